//! Deterministic test signals generated inline, so the tests depend on nothing but this crate.

#![allow(dead_code)] // each test file uses a different subset

use std::f64::consts::TAU;

use auralis_core::{AudioBuffer, ImplKind};
use auralis_spectrum::{analyze, compare, SpectrumResult, SpectrumSettings};

/// A small deterministic PRNG (xorshift64*), uniform in [-1, 1).
pub struct Noise(u64);

impl Noise {
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let x = self.0.wrapping_mul(0x2545_F491_4F6C_DD1D);
        (x >> 11) as f64 / (1u64 << 52) as f64 - 1.0
    }
}

/// Music-like: bass, a three-note chord and a vibrato lead panned across `channels`, pink-ish
/// noise, a decaying kick every half second, and a slow level swell. Peak below 1.
pub fn music_like(seconds: f64, sample_rate: u32, channels: usize) -> AudioBuffer {
    let sr = f64::from(sample_rate);
    let n = (seconds * sr) as usize;
    let mut noise = Noise::new(7);
    let mut pink = 0.0;
    let mut out = vec![Vec::with_capacity(n); channels];
    for i in 0..n {
        let t = i as f64 / sr;
        let swell = 0.6 + 0.4 * (TAU * 0.1 * t).sin();
        let bass = 0.25 * (TAU * 55.0 * t).sin();
        let chord: f64 = [220.0, 277.18, 329.63]
            .iter()
            .map(|f| 0.08 * (TAU * f * t).sin())
            .sum();
        let lead = 0.1 * (TAU * 880.0 * t + 3.0 * (TAU * 5.0 * t).sin()).sin();
        pink = 0.97 * pink + 0.03 * noise.next();
        let beat_t = t % 0.5;
        let kick = 0.4
            * (-beat_t * 30.0).exp()
            * (TAU * (50.0 + 80.0 * (-beat_t * 40.0).exp()) * beat_t).sin();
        let hat = 0.05 * (-((t + 0.25) % 0.5) * 200.0).exp() * noise.next();
        for (c, ch) in out.iter_mut().enumerate() {
            let pan = if channels == 1 {
                0.5
            } else {
                c as f64 / (channels - 1) as f64
            };
            let x = swell * (bass + (1.0 - pan) * chord + pan * lead) + 0.5 * pink + kick + hat;
            ch.push((0.8 * x) as f32);
        }
    }
    AudioBuffer::new(out, sample_rate).expect("valid test signal")
}

/// A sine of `freq` Hz and amplitude `amp` on every channel.
pub fn sine(freq: f64, amp: f64, samples: usize, sample_rate: u32, channels: usize) -> AudioBuffer {
    let x: Vec<f32> = (0..samples)
        .map(|i| (amp * (TAU * freq * i as f64 / f64::from(sample_rate)).sin()) as f32)
        .collect();
    AudioBuffer::new(vec![x; channels], sample_rate).expect("valid test signal")
}

/// A full-scale (±1) square wave.
pub fn square(freq: f64, samples: usize, sample_rate: u32) -> AudioBuffer {
    let period = f64::from(sample_rate) / freq;
    let x: Vec<f32> = (0..samples)
        .map(|i| {
            if (i as f64 % period) < period / 2.0 {
                1.0
            } else {
                -1.0
            }
        })
        .collect();
    AudioBuffer::new(vec![x.clone(), x], sample_rate).expect("valid test signal")
}

/// Runs every implementation on `audio` and holds each against the reference; returns the
/// reference result.
pub fn assert_variants_agree(audio: &AudioBuffer, settings: &SpectrumSettings) -> SpectrumResult {
    let reference = analyze(ImplKind::Reference, audio, settings).expect("reference runs");
    assert_finite(&reference);
    for kind in [ImplKind::Vectorized, ImplKind::Parallel] {
        let candidate = analyze(kind, audio, settings).expect("variant runs");
        let accuracy = compare(&reference, &candidate);
        assert!(
            accuracy.passed(),
            "{kind} fails against the reference: {:?}",
            accuracy.failures()
        );
    }
    reference
}

pub fn assert_finite(r: &SpectrumResult) {
    assert!(r.band_levels_db.iter().all(|v| v.is_finite()), "{r:?}");
    for v in [
        r.peak_frequency_hz,
        r.centroid_hz,
        r.rolloff_hz,
        r.total_energy_db,
    ] {
        assert!(v.is_none_or(f32::is_finite), "{r:?}");
    }
}
