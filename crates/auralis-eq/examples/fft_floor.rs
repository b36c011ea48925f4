//! The FFT floor under the EQ: how long one 4096-point FFT takes on this machine.
//!
//! ```text
//! cargo run --release -p auralis-eq --example fft_floor
//! ```
//! Whole-file EQ at hop 1024 on 180 s stereo needs 15 496 frames; the vectorized and parallel
//! variants pack two frames into one complex FFT, so they do 7 748 forward + 7 748 inverse
//! complex FFTs. This prints the per-FFT cost (minimum over repeats of a 1000-FFT loop, the
//! best estimate on a shared machine) and the resulting floor for one and two cores.

use std::time::Instant;

use realfft::num_complex::Complex;
use realfft::RealFftPlanner;
use rustfft::FftPlanner;

const N: usize = 4096;
const LOOP: usize = 1000;
const REPEATS: usize = 15;

fn best_of(mut f: impl FnMut()) -> f64 {
    (0..REPEATS)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..LOOP {
                f();
            }
            t.elapsed().as_secs_f64() * 1e6 / LOOP as f64
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() {
    let mut planner = FftPlanner::<f32>::new();
    let fft = planner.plan_fft_forward(N);
    let mut data: Vec<Complex<f32>> = (0..N)
        .map(|i| Complex::new((i as f32 * 0.37).sin(), (i as f32 * 0.11).cos()))
        .collect();
    let mut scratch = vec![Complex::new(0.0, 0.0); fft.get_inplace_scratch_len()];
    let complex_us = best_of(|| {
        fft.process_with_scratch(&mut data, &mut scratch);
        // Keep the values bounded across repeats.
        data[0] = Complex::new(0.5, 0.5);
        std::hint::black_box(&mut data);
    });

    let mut real_planner = RealFftPlanner::<f32>::new();
    let r2c = real_planner.plan_fft_forward(N);
    let mut input: Vec<f32> = (0..N).map(|i| (i as f32 * 0.37).sin()).collect();
    let mut spectrum = r2c.make_output_vec();
    let mut rscratch = r2c.make_scratch_vec();
    let real_us = best_of(|| {
        r2c.process_with_scratch(&mut input, &mut spectrum, &mut rscratch)
            .expect("sizes match");
        std::hint::black_box(&mut spectrum);
    });

    let frames_per_channel = (180 * 44_100usize).div_ceil(1024) + 3;
    let pairs = 2 * frames_per_channel / 2;
    let packed_ms = pairs as f64 * 2.0 * complex_us / 1e3;
    let real_ms = 2.0 * frames_per_channel as f64 * 2.0 * real_us / 1e3;
    println!("complex FFT {N}: {complex_us:.2} µs   real FFT {N}: {real_us:.2} µs");
    println!(
        "180 s stereo hop 1024 ({} frames): packed complex floor {packed_ms:.1} ms on one core, {:.1} ms on two; real-FFT floor {real_ms:.1} ms on one core",
        2 * frames_per_channel,
        packed_ms / 2.0
    );
}
