//! Frame → `|X_k|` or `|X_k|²`, with the real-FFT "split" step fused into that computation
//! (moved here from the spectrum stage so that the features stage shares it).
//!
//! A real FFT of even length `N` is a complex FFT of `M = N/2` points on the frame packed as
//! `z_j = x_{2j} + i·x_{2j+1}`, followed by a split step that recovers
//! `X_k = P_k·Z_k + Q_k·conj(Z_{M−k})` (`Z_M ≡ Z_0`) with `P_k = (1 − i·W^k)/2`,
//! `Q_k = (1 + i·W^k)/2`, `W = e^{−2πi/N}`. realfft performs that split in generic scalar code
//! that, measured here, costs more than the complex FFT itself (≈ 2.3 µs of its 4.0 µs at
//! N = 4096); this module does the split and `|X_k|` in one pass, so the spectrum is never
//! materialised. Odd `N` (allowed, if unusual) falls back to realfft plus a magnitude pass.
//!
//! The split is written as a plain loop over bins. Inside the `pulp` kernel it is compiled
//! with the dispatched target features, and LLVM vectorizes it (deinterleave, reversal of the
//! mirrored half, 8-wide `sqrt` on AVX2 — checked in the disassembly). An explicit `pulp`
//! version needs a reversed copy of the spectrum, since `pulp` has no lane reversal, and
//! measured slower. Tests hold the result to a naive DFT either way.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use pulp::{Arch, Simd, WithSimd};
use realfft::num_complex::Complex32;
use realfft::{FftError, RealToComplex};
use rustfft::Fft;

use crate::{real_forward as plan_forward, RealWorkspace as FftWorkspace};

/// The transform shared by all threads of one analysis.
pub enum MagnitudePlan {
    /// Even `N`: half-length complex FFT plus the fused split.
    Packed {
        fft: Arc<dyn Fft<f32>>,
        /// `P_k = (1 − i·W^k)/2`, `k = 0..M`.
        own: Vec<Complex32>,
        /// `Q_k = (1 + i·W^k)/2`, `k = 0..M`.
        mirror: Vec<Complex32>,
    },
    /// Odd `N`: realfft, then `|X_k|`.
    Direct(Arc<dyn RealToComplex<f32>>),
}

impl MagnitudePlan {
    /// The plan for `fft_size`, made once per process and shared, like the FFT plans it
    /// holds (`auralis-fft`): its split factors cost `N/2` `sin_cos` (≈ 40 µs at 4096) per
    /// analysis otherwise. One entry per FFT size a process uses.
    pub fn shared(fft_size: usize) -> Arc<Self> {
        static PLANS: OnceLock<Mutex<HashMap<usize, Arc<MagnitudePlan>>>> = OnceLock::new();
        let mut plans = PLANS
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        Arc::clone(
            plans
                .entry(fft_size)
                .or_insert_with(|| Arc::new(Self::new(fft_size))),
        )
    }

    pub fn new(fft_size: usize) -> Self {
        if fft_size % 2 != 0 {
            return MagnitudePlan::Direct(plan_forward(fft_size));
        }
        let half = fft_size / 2;
        let step = -std::f64::consts::TAU / fft_size as f64;
        let (own, mirror) = (0..half)
            .map(|k| {
                let (sin, cos) = (step * k as f64).sin_cos();
                // i·W^k = i·(cos + i·sin) = −sin + i·cos
                let own = Complex32::new((0.5 * (1.0 + sin)) as f32, (-0.5 * cos) as f32);
                let mirror = Complex32::new((0.5 * (1.0 - sin)) as f32, (0.5 * cos) as f32);
                (own, mirror)
            })
            .unzip();
        MagnitudePlan::Packed {
            fft: crate::forward(half),
            own,
            mirror,
        }
    }

    /// Number of magnitudes per frame, `N/2 + 1`.
    pub fn spectrum_len(&self) -> usize {
        match self {
            MagnitudePlan::Packed { own, .. } => own.len() + 1,
            MagnitudePlan::Direct(fft) => fft.complex_len(),
        }
    }

    /// Per-thread buffers (allocated once; nothing allocates per frame).
    pub fn workspace(&self) -> MagnitudeWorkspace<'_> {
        match self {
            MagnitudePlan::Packed { fft, own, mirror } => MagnitudeWorkspace::Packed {
                fft: fft.as_ref(),
                own,
                mirror,
                input: vec![0.0; 2 * fft.len()],
                half: vec![Complex32::default(); fft.len()],
                scratch: vec![Complex32::default(); fft.get_outofplace_scratch_len()],
            },
            MagnitudePlan::Direct(fft) => MagnitudeWorkspace::Direct(FftWorkspace::new(fft)),
        }
    }
}

/// One thread's buffers, tied to the [`MagnitudePlan`] that made them.
pub enum MagnitudeWorkspace<'p> {
    Packed {
        fft: &'p dyn Fft<f32>,
        own: &'p [Complex32],
        mirror: &'p [Complex32],
        input: Vec<f32>,
        half: Vec<Complex32>,
        scratch: Vec<Complex32>,
    },
    Direct(FftWorkspace),
}

impl MagnitudeWorkspace<'_> {
    /// The frame buffer to fill (length `N`); it is consumed by [`Self::magnitudes`].
    pub fn input(&mut self) -> &mut [f32] {
        match self {
            MagnitudeWorkspace::Packed { input, .. } => input,
            MagnitudeWorkspace::Direct(fft) => &mut fft.input,
        }
    }

    /// `|X_k|`, `k = 0..=N/2`, of the frame in [`Self::input`], into `magnitudes`.
    pub fn magnitudes(&mut self, arch: Arch, magnitudes: &mut [f32]) -> Result<(), FftError> {
        self.split(arch, magnitudes, Value::Magnitude)
    }

    /// `|X_k|² = re² + im²`, `k = 0..=N/2`, of the frame in [`Self::input`], into `powers`.
    pub fn powers(&mut self, arch: Arch, powers: &mut [f32]) -> Result<(), FftError> {
        self.split(arch, powers, Value::Power)
    }

    fn split(&mut self, arch: Arch, out: &mut [f32], value: Value) -> Result<(), FftError> {
        match self {
            MagnitudeWorkspace::Packed {
                fft,
                own,
                mirror,
                input,
                half,
                scratch,
            } => {
                // (x_0, x_1, x_2, …) reinterpreted as (x_0 + i·x_1, x_2 + i·x_3, …).
                let packed: &mut [Complex32] = pulp::bytemuck::cast_slice_mut(input);
                fft.process_outofplace_with_scratch(packed, half, scratch);
                arch.dispatch(SplitMagnitudes {
                    half,
                    own,
                    mirror,
                    magnitudes: out,
                    value,
                });
            }
            MagnitudeWorkspace::Direct(fft) => {
                fft.forward()?;
                arch.dispatch(Magnitudes {
                    spectrum: &fft.spectrum,
                    magnitudes: out,
                    value,
                });
            }
        }
        Ok(())
    }
}

/// Which value of each bin is written.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Value {
    Magnitude,
    Power,
}

impl Value {
    /// The value of a purely real bin `x` (DC and Nyquist).
    #[inline(always)]
    fn of_real(self, x: f32) -> f32 {
        match self {
            Value::Magnitude => x.abs(),
            Value::Power => x * x,
        }
    }

    #[inline(always)]
    fn of(self, x: Complex32) -> f32 {
        let power = x.re * x.re + x.im * x.im;
        match self {
            Value::Magnitude => power.sqrt(),
            Value::Power => power,
        }
    }
}

/// `magnitudes[k] = |P_k·Z_k + Q_k·conj(Z_{M−k})|` for `k = 0..=M`.
struct SplitMagnitudes<'a> {
    half: &'a [Complex32],
    own: &'a [Complex32],
    mirror: &'a [Complex32],
    magnitudes: &'a mut [f32],
    value: Value,
}

impl WithSimd for SplitMagnitudes<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, _simd: S) {
        let z = self.half;
        let m = z.len();
        // DC and Nyquist pair Z_0 with itself: X_0 = Re + Im, X_M = Re − Im (both real).
        self.magnitudes[0] = self.value.of_real(z[0].re + z[0].im);
        self.magnitudes[m] = self.value.of_real(z[0].re - z[0].im);
        let bins = &z[1..];
        let pairs = self.magnitudes[1..m]
            .iter_mut()
            .zip(bins.iter().zip(bins.iter().rev()))
            .zip(self.own[1..].iter().zip(&self.mirror[1..]));
        // One monomorphised loop per value rather than a branch per bin, so each vectorizes.
        match self.value {
            Value::Magnitude => write_bins(pairs, |x| Value::Magnitude.of(x)),
            Value::Power => write_bins(pairs, |x| Value::Power.of(x)),
        }
    }
}

/// `out = value(P_k·Z_k + Q_k·conj(Z_{M−k}))` for every `(out, (Z_k, Z_{M−k})), (P_k, Q_k)`.
#[inline(always)]
fn write_bins<'a>(
    pairs: impl Iterator<
        Item = (
            (&'a mut f32, (&'a Complex32, &'a Complex32)),
            (&'a Complex32, &'a Complex32),
        ),
    >,
    value: impl Fn(Complex32) -> f32,
) {
    for ((out, (&own_bin, &mirror_bin)), (&p, &q)) in pairs {
        *out = value(p * own_bin + q * mirror_bin.conj());
    }
}

/// `magnitudes[k] = |spectrum[k]|`.
struct Magnitudes<'a> {
    spectrum: &'a [Complex32],
    magnitudes: &'a mut [f32],
    value: Value,
}

impl WithSimd for Magnitudes<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, _simd: S) {
        for (out, z) in self.magnitudes.iter_mut().zip(self.spectrum) {
            *out = self.value.of(*z);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_and_direct_magnitudes_equal_realfft() {
        for n in [16usize, 18, 64, 1000, 4096, 15, 999] {
            let frame: Vec<f32> = (0..n)
                .map(|j| ((j * 7919 + 13) % 1009) as f32 / 1009.0 - 0.5)
                .collect();
            let plan = MagnitudePlan::new(n);
            assert_eq!(matches!(plan, MagnitudePlan::Packed { .. }), n % 2 == 0);
            let mut work = plan.workspace();
            work.input().copy_from_slice(&frame);
            let mut fast = vec![f32::NAN; plan.spectrum_len()];
            work.magnitudes(Arch::new(), &mut fast).unwrap();

            let mut reference = FftWorkspace::new(&plan_forward(n));
            reference.input.copy_from_slice(&frame);
            reference.forward().unwrap();
            assert_eq!(fast.len(), reference.spectrum.len());
            let scale = (n as f32).sqrt();
            for (k, (a, z)) in fast.iter().zip(&reference.spectrum).enumerate() {
                assert!(
                    (a - z.norm()).abs() <= 2e-6 * scale,
                    "n {n} bin {k}: {a} vs {}",
                    z.norm()
                );
            }
        }
    }

    #[test]
    fn shared_plans_are_made_once_per_size() {
        let a = MagnitudePlan::shared(4096);
        assert!(Arc::ptr_eq(&a, &MagnitudePlan::shared(4096)));
        assert!(!Arc::ptr_eq(&a, &MagnitudePlan::shared(2048)));
        assert_eq!(a.spectrum_len(), 2049);
        assert_eq!(MagnitudePlan::shared(15).spectrum_len(), 8);
    }
}
