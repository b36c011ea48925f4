//! # auralis-fft — FFT plans planned once per process
//!
//! Planning a transform is not free: for 4096 points rustfft computes its twiddle factors and
//! builds the algorithm tree, ≈ 150 µs for a forward/inverse complex pair and ≈ 110 µs for a
//! real pair on the lab machine. A stage that plans on every call pays that per call: ≈ 4 %
//! of a 5 s EQ run, and once per clip when many short tracks are processed. rustfft's and
//! realfft's planners cache every plan they make, so one process-wide planner of each kind,
//! behind a mutex, answers every request after the first with a clone of the same `Arc`.
//!
//! Plans are immutable and `Send + Sync`; the lock is held only while a plan is looked up
//! (or made, once), never while a transform runs, and nothing here runs on a real-time hot
//! path (streams plan when they are built). A plan from the cache is the plan a fresh planner
//! would make — the same algorithm for the same length and CPU — so results do not change.

pub mod packed;

use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

pub use realfft::num_complex::Complex32;
use realfft::RealFftPlanner;
pub use realfft::{ComplexToReal, FftError, RealToComplex};
pub use rustfft::Fft;
use rustfft::FftPlanner;

fn complex_planner() -> MutexGuard<'static, FftPlanner<f32>> {
    static PLANNER: OnceLock<Mutex<FftPlanner<f32>>> = OnceLock::new();
    lock(PLANNER.get_or_init(|| Mutex::new(FftPlanner::new())))
}

fn real_planner() -> MutexGuard<'static, RealFftPlanner<f32>> {
    static PLANNER: OnceLock<Mutex<RealFftPlanner<f32>>> = OnceLock::new();
    lock(PLANNER.get_or_init(|| Mutex::new(RealFftPlanner::new())))
}

/// A panic while planning (out of memory, say) cannot leave a planner's cache half-written
/// in a way that matters — an entry is either inserted whole or not at all — so a poisoned
/// lock is simply taken over.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The forward complex transform of `len` points (unnormalised).
pub fn forward(len: usize) -> Arc<dyn Fft<f32>> {
    complex_planner().plan_fft_forward(len)
}

/// The inverse complex transform of `len` points (unnormalised).
pub fn inverse(len: usize) -> Arc<dyn Fft<f32>> {
    complex_planner().plan_fft_inverse(len)
}

/// The forward real-to-complex transform of `len` points (`len / 2 + 1` bins).
pub fn real_forward(len: usize) -> Arc<dyn RealToComplex<f32>> {
    real_planner().plan_fft_forward(len)
}

/// The inverse complex-to-real transform of `len` points (unnormalised).
pub fn real_inverse(len: usize) -> Arc<dyn ComplexToReal<f32>> {
    real_planner().plan_fft_inverse(len)
}

/// The periodic Hann window `0.5 − 0.5·cos(2πj/N)`, `j = 0..N`, in `f64`.
///
/// Periodic (DFT-even), not symmetric: this is `scipy.signal.get_window("hann", N)`, which is
/// what librosa's `stft` uses, so per-frame spectra can be checked against librosa.
/// `numpy.hanning` would be the symmetric one (`/(N−1)`).
pub fn periodic_hann(n: usize) -> Vec<f64> {
    let step = std::f64::consts::TAU / n as f64;
    (0..n)
        .map(|j| 0.5 - 0.5 * (step * j as f64).cos())
        .collect()
}

/// One thread's real-FFT buffers: fill [`RealWorkspace::input`], call
/// [`RealWorkspace::forward`], read [`RealWorkspace::spectrum`]. Nothing allocates per frame.
pub struct RealWorkspace {
    fft: Arc<dyn RealToComplex<f32>>,
    /// The windowed frame; the transform uses it as scratch, so refill it every frame.
    pub input: Vec<f32>,
    /// `N/2 + 1` bins of the unnormalised forward transform (numpy `rfft` convention).
    pub spectrum: Vec<Complex32>,
    scratch: Vec<Complex32>,
}

impl RealWorkspace {
    pub fn new(fft: &Arc<dyn RealToComplex<f32>>) -> Self {
        Self {
            input: fft.make_input_vec(),
            spectrum: fft.make_output_vec(),
            scratch: fft.make_scratch_vec(),
            fft: Arc::clone(fft),
        }
    }

    /// Transforms `input` (destroying it) into `spectrum`.
    pub fn forward(&mut self) -> Result<(), FftError> {
        self.fft
            .process_with_scratch(&mut self.input, &mut self.spectrum, &mut self.scratch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustfft::num_complex::Complex32;

    #[test]
    fn repeated_requests_share_one_plan() {
        assert!(Arc::ptr_eq(&forward(4096), &forward(4096)));
        assert!(Arc::ptr_eq(&inverse(4096), &inverse(4096)));
        assert!(Arc::ptr_eq(&real_forward(2048), &real_forward(2048)));
        assert!(Arc::ptr_eq(&real_inverse(2048), &real_inverse(2048)));
        assert!(!Arc::ptr_eq(&forward(4096), &inverse(4096)));
        assert_eq!(forward(1024).len(), 1024);
        assert_eq!(real_forward(1024).len(), 1024);
    }

    #[test]
    fn cached_plans_compute_what_fresh_plans_compute() {
        let n = 4096;
        let signal: Vec<Complex32> = (0..n)
            .map(|i| Complex32::new((i as f32 * 0.01).sin(), (i as f32 * 0.003).cos()))
            .collect();
        let mut cached = signal.clone();
        forward(n).process(&mut cached);
        let mut fresh = signal;
        FftPlanner::<f32>::new()
            .plan_fft_forward(n)
            .process(&mut fresh);
        assert_eq!(cached, fresh, "bit for bit");

        let mut input: Vec<f32> = (0..n).map(|i| (i as f32 * 0.02).sin()).collect();
        let mut again = input.clone();
        let plan = real_forward(n);
        let mut cached = plan.make_output_vec();
        plan.process(&mut input, &mut cached).unwrap();
        let fresh_plan = RealFftPlanner::<f32>::new().plan_fft_forward(n);
        let mut fresh = fresh_plan.make_output_vec();
        fresh_plan.process(&mut again, &mut fresh).unwrap();
        assert_eq!(cached, fresh, "bit for bit");
    }

    #[test]
    fn threads_get_the_same_plan() {
        let first = forward(512);
        let plans: Vec<_> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..4).map(|_| s.spawn(|| forward(512))).collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(plans.iter().all(|p| Arc::ptr_eq(p, &first)));
    }
}
