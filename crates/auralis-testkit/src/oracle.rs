//! The independent meters tests hold stages against — never the crate under test.

use auralis_core::AudioBuffer;

/// True peak (linear) as the `ebur128` crate measures it — the BS.1770-4 meter (a port of
/// libebur128) that users hold a master against: 4× below 96 kHz, 2× up to 192 kHz, the
/// sample peak at 192 kHz and above (where it does not interpolate).
pub fn ebur128_true_peak(audio: &AudioBuffer) -> f64 {
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
pub fn ebur128_oversampled_peak(samples: &[f32]) -> f64 {
    ebur128_true_peak(&AudioBuffer::new(vec![samples.to_vec()], 48_000).expect("valid audio"))
}
