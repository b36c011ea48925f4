//! Helpers shared by the integration tests: deterministic signals and checks.
//!
//! Random test signals use `auralis_fixtures::rng::SplitMix64` (seeded, so every test signal
//! is reproducible; `next_signed_f32` for samples in `[-1, 1)`).
#![allow(dead_code)]

use auralis_core::AudioBuffer;

/// The 5 s music fixture (quiet and loud sections, transients, −0.5 dBFS peak).
pub fn music() -> AudioBuffer {
    auralis_fixtures::generate_seconds(5.0)
}

/// `10^(db/20)` in f64: the ceiling as the tests measure it, independently of the crate.
pub fn linear(db: f32) -> f64 {
    10f64.powf(f64::from(db) / 20.0)
}

pub fn sample_peak(audio: &AudioBuffer) -> f64 {
    audio
        .channels()
        .iter()
        .flat_map(|c| c.iter())
        .fold(0.0f64, |m, &s| m.max(f64::from(s.abs())))
}

/// An independent implementation of the documented interpolator (Kaiser-windowed sinc,
/// β = 5, half-width 6, 12 taps per phase, phases at 1/4, 1/2, 3/4, unit DC gain), in f64.
pub fn oversampled_peak(samples: &[f32]) -> f64 {
    fn i0(x: f64) -> f64 {
        let (mut sum, mut term) = (1.0, 1.0);
        for k in 1..80 {
            term *= (x / 2.0) * (x / 2.0) / (k * k) as f64;
            sum += term;
        }
        sum
    }
    let mut phases = [[0.0f64; 12]; 3];
    for (k, phase) in phases.iter_mut().enumerate() {
        let frac = (k + 1) as f64 / 4.0;
        for (i, tap) in phase.iter_mut().enumerate() {
            let t = frac + 5.0 - i as f64;
            let sinc = (std::f64::consts::PI * t).sin() / (std::f64::consts::PI * t);
            let r = t / 6.0;
            *tap = sinc * i0(5.0 * (1.0 - r * r).sqrt()) / i0(5.0);
        }
        let sum: f64 = phase.iter().sum();
        phase.iter_mut().for_each(|t| *t /= sum);
    }
    let n = samples.len() as isize;
    let at = |i: isize| {
        if (0..n).contains(&i) {
            f64::from(samples[i as usize])
        } else {
            0.0
        }
    };
    let mut peak = samples
        .iter()
        .fold(0.0f64, |m, &s| m.max(f64::from(s.abs())));
    for a in -1..n {
        for phase in &phases {
            let v: f64 = (0..12).map(|i| phase[i] * at(a - 5 + i as isize)).sum();
            peak = peak.max(v.abs());
        }
    }
    peak
}

pub fn true_peak(audio: &AudioBuffer) -> f64 {
    audio
        .channels()
        .iter()
        .map(|c| oversampled_peak(c))
        .fold(0.0, f64::max)
}
