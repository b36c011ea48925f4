//! Deterministic test signals, shared by every stage's tests.
//!
//! Everything random comes from `auralis_fixtures::rng::SplitMix64`, whose output stream is
//! fixed by its definition, so a signal is the same on every machine and every run.

use std::f64::consts::TAU;

use auralis_core::AudioBuffer;
use auralis_fixtures::rng::SplitMix64;

/// A seeded source of uniform values in `[-1, 1)` (for tests that build signals sample by
/// sample).
pub struct Noise(SplitMix64);

impl Noise {
    /// A source for `seed`.
    pub fn new(seed: u64) -> Self {
        Self(SplitMix64::new(seed))
    }

    /// The next value, uniform in `[-1, 1)`.
    #[allow(clippy::should_implement_trait)] // an infinite source, not an iterator
    pub fn next(&mut self) -> f64 {
        self.0.next_signed()
    }
}

/// White noise at `amplitude`, one channel.
pub fn noise(len: usize, amplitude: f64, seed: u64) -> Vec<f32> {
    let mut rng = Noise::new(seed);
    (0..len).map(|_| (rng.next() * amplitude) as f32).collect()
}

/// A sine of `freq_hz` at `amplitude`, one channel.
pub fn sine(freq_hz: f64, sample_rate: u32, len: usize, amplitude: f64) -> Vec<f32> {
    let w = TAU * freq_hz / f64::from(sample_rate);
    (0..len)
        .map(|i| (amplitude * (w * i as f64).sin()) as f32)
        .collect()
}

/// The same sine on every one of `channels` channels.
pub fn sine_buffer(
    freq_hz: f64,
    amplitude: f64,
    len: usize,
    sample_rate: u32,
    channels: usize,
) -> AudioBuffer {
    let x = sine(freq_hz, sample_rate, len, amplitude);
    AudioBuffer::new(vec![x; channels], sample_rate).expect("valid test signal")
}

/// A full-scale (±1) square wave of `freq_hz`, stereo.
pub fn square(freq_hz: f64, len: usize, sample_rate: u32) -> AudioBuffer {
    let period = f64::from(sample_rate) / freq_hz;
    let x: Vec<f32> = (0..len)
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

/// A music-like signal: silent lead-in (0.5 s), bass/chord/lead tones with vibrato and a
/// slowly varying level, pink-ish noise, a kick every half second (120 BPM) and hi-hat bursts
/// on the off-beats, a quiet section (≈ −30 dB) and a loud one; each channel panned
/// differently. Peak below 1.
pub fn music_like(seconds: f64, sample_rate: u32, channels: usize, seed: u64) -> AudioBuffer {
    let sr = f64::from(sample_rate);
    let len = (seconds * sr).round() as usize;
    let mut rng = SplitMix64::new(seed);
    let mut pink = [0.0f64; 3];
    let mut out = vec![Vec::with_capacity(len); channels];
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
        let gain = section * level;
        for (c, channel) in out.iter_mut().enumerate() {
            let pan = if channels == 1 {
                0.5
            } else {
                c as f64 / (channels - 1) as f64
            };
            let mix = 0.25 * bass
                + 0.08 * chord * (1.0 - 0.5 * pan)
                + 0.12 * lead * (0.5 + 0.5 * pan)
                + 0.35 * kick
                + 0.08 * hat
                + 0.5 * noise;
            channel.push((gain * mix * 0.9) as f32);
        }
    }
    AudioBuffer::new(out, sample_rate).expect("generated audio is valid")
}

/// The first `frames` frames of `audio` (all of it if shorter).
pub fn prefix(audio: &AudioBuffer, frames: usize) -> AudioBuffer {
    let n = frames.min(audio.len());
    AudioBuffer::new(
        audio.channels().iter().map(|c| c[..n].to_vec()).collect(),
        audio.sample_rate(),
    )
    .expect("a prefix of valid audio is valid")
}

/// RMS of a slice, in f64.
pub fn rms(x: &[f32]) -> f64 {
    (x.iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>() / x.len() as f64).sqrt()
}

/// Relative RMS error of `candidate` against `reference`, in dB.
pub fn relative_error_db(reference: &[f32], candidate: &[f32]) -> f64 {
    auralis_core::Metrics::of_f32(reference, candidate).relative_error_db()
}

/// Largest absolute sample over all channels, in f64.
pub fn sample_peak(audio: &AudioBuffer) -> f64 {
    audio
        .channels()
        .iter()
        .flat_map(|c| c.iter())
        .fold(0.0f64, |m, &s| m.max(f64::from(s.abs())))
}

/// `10^(db/20)` in f64, independently of any stage crate.
pub fn linear(db: f32) -> f64 {
    10f64.powf(f64::from(db) / 20.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_are_deterministic_and_bounded() {
        let a = music_like(1.0, 44_100, 2, 3);
        assert_eq!(a, music_like(1.0, 44_100, 2, 3));
        assert_ne!(a, music_like(1.0, 44_100, 2, 4));
        assert!(sample_peak(&a) < 1.0 && sample_peak(&a) > 0.1);
        // Silent lead-in, then sound.
        assert!(a.channel(0)[..22_000].iter().all(|&s| s == 0.0));
        assert!(rms(&a.channel(0)[22_050..]) > 0.01);
        let n = noise(1000, 0.5, 1);
        assert!(n.iter().all(|v| v.abs() <= 0.5));
        assert_eq!(prefix(&a, 10).len(), 10);
    }
}
