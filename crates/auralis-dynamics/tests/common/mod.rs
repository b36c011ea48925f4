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

/// True peak (linear) as the `ebur128` crate measures it — the independent BS.1770-4 meter
/// (a port of libebur128) that users hold a master against: 4× below 96 kHz, 2× up to
/// 192 kHz, the sample peak at 192 kHz.
pub fn true_peak(audio: &AudioBuffer) -> f64 {
    let mut meter = ebur128::EbuR128::new(
        audio.num_channels() as u32,
        audio.sample_rate(),
        ebur128::Mode::TRUE_PEAK | ebur128::Mode::SAMPLE_PEAK,
    )
    .expect("the meter accepts the layout");
    let planes: Vec<&[f32]> = audio.channels().iter().map(Vec::as_slice).collect();
    meter.add_frames_planar_f32(&planes).expect("frames");
    (0..audio.num_channels() as u32)
        .map(|c| {
            let tp = meter.true_peak(c).expect("true peak");
            tp.max(meter.sample_peak(c).expect("sample peak"))
        })
        .fold(0.0, f64::max)
}

/// The true peak of one channel at 48 kHz as the `ebur128` crate measures it.
pub fn oversampled_peak(samples: &[f32]) -> f64 {
    true_peak(&AudioBuffer::new(vec![samples.to_vec()], 48_000).expect("valid audio"))
}
