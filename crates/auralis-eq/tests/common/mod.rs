//! Deterministic test signals shared by the integration tests.
//!
//! Generated inline (rather than with `auralis-fixtures`' music) so these tests do not depend
//! on another crate's schedule; the signal has the features the EQ cares about: tones across
//! the whole spectrum, noise, transients, silence and a quiet passage next to a loud one. The
//! noise does come from `auralis_fixtures::rng::SplitMix64`, whose output stream is fixed by
//! its definition.

#![allow(dead_code)] // each test file uses a different subset

use std::f64::consts::TAU;

use auralis_core::AudioBuffer;
use auralis_fixtures::rng::SplitMix64;

/// White noise at `amplitude`, one channel.
pub fn noise(len: usize, amplitude: f64, seed: u64) -> Vec<f32> {
    let mut rng = SplitMix64::new(seed);
    (0..len)
        .map(|_| (rng.next_signed() * amplitude) as f32)
        .collect()
}

/// A sine, one channel.
pub fn sine(freq_hz: f64, sample_rate: u32, len: usize, amplitude: f64) -> Vec<f32> {
    let w = TAU * freq_hz / f64::from(sample_rate);
    (0..len)
        .map(|i| (amplitude * (w * i as f64).sin()) as f32)
        .collect()
}

/// A music-like signal: silent lead-in, bass/chord/lead tones with vibrato and slowly varying
/// level, pink-ish noise, a kick every half second and hi-hat bursts on the off-beats, a quiet
/// section (≈ −30 dB) and a loud one; each channel panned differently.
pub fn music_like(seconds: f64, sample_rate: u32, channels: usize, seed: u64) -> AudioBuffer {
    let sr = f64::from(sample_rate);
    let len = (seconds * sr).round() as usize;
    let mut rng = SplitMix64::new(seed);
    let mut pink = [0.0f64; 3];
    let mut mono_parts = Vec::with_capacity(len);
    for i in 0..len {
        let t = i as f64 / sr;
        let white = rng.next_signed();
        // Three one-pole low-passes summed: roughly −3 dB/octave over the audio band.
        pink[0] = 0.997 * pink[0] + 0.029 * white;
        pink[1] = 0.985 * pink[1] + 0.032 * white;
        pink[2] = 0.950 * pink[2] + 0.048 * white;
        let noise = pink.iter().sum::<f64>() + 0.02 * white;

        let beat = (t * 2.0).fract(); // 120 BPM
        let kick = (-beat * 25.0).exp() * (TAU * (50.0 + 80.0 * (-beat * 40.0).exp()) * t).sin();
        let off_beat = ((t * 2.0) + 0.5).fract();
        let hat = if off_beat < 0.03 {
            white * (1.0 - off_beat / 0.03)
        } else {
            0.0
        };

        let bass = (TAU * 55.0 * t).sin() + 0.4 * (TAU * 110.0 * t).sin();
        let chord: f64 = [220.0, 277.18, 329.63, 440.0]
            .iter()
            .map(|f| (TAU * f * t).sin())
            .sum();
        // 5.5 Hz vibrato of ±4.4 Hz (phase modulation index 0.8).
        let lead = (TAU * 880.0 * t + 0.8 * (TAU * 5.5 * t).sin()).sin()
            + 0.3 * (TAU * 2637.0 * t).sin()
            + 0.1 * (TAU * 7040.0 * t).sin();

        let level = 0.75 + 0.25 * (TAU * 0.13 * t).sin();
        let section = if t < 0.5 {
            0.0 // silent lead-in
        } else if (seconds * 0.4..seconds * 0.55).contains(&t) {
            0.03 // quiet passage, ≈ −30 dB
        } else {
            1.0
        };
        mono_parts.push((section * level, bass, chord, lead, kick, hat, noise));
    }
    let channel_data = (0..channels)
        .map(|c| {
            let pan = if channels == 1 {
                0.5
            } else {
                c as f64 / (channels - 1) as f64
            };
            mono_parts
                .iter()
                .map(|&(gain, bass, chord, lead, kick, hat, noise)| {
                    let mix = 0.25 * bass
                        + 0.08 * chord * (1.0 - 0.5 * pan)
                        + 0.12 * lead * (0.5 + 0.5 * pan)
                        + 0.35 * kick
                        + 0.08 * hat
                        + 0.5 * noise;
                    (gain * mix * 0.9) as f32
                })
                .collect()
        })
        .collect();
    AudioBuffer::new(channel_data, sample_rate).expect("generated audio is valid")
}

/// Relative RMS error of `candidate` against `reference`, in dB.
pub fn relative_error_db(reference: &[f32], candidate: &[f32]) -> f64 {
    auralis_core::Metrics::of_f32(reference, candidate).relative_error_db()
}

/// RMS of a slice, in f64.
pub fn rms(x: &[f32]) -> f64 {
    (x.iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>() / x.len() as f64).sqrt()
}
