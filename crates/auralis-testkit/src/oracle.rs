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

/// What the `ebur128` crate reads on a piece of audio, fed and polled as a file meter is:
/// 100 ms chunks, momentary polled after every chunk from the fourth on (complete 400 ms
/// windows) and short-term from the thirtieth (complete 3 s windows).
#[derive(Debug, Clone, PartialEq)]
pub struct Ebur128Reading {
    pub integrated_lufs: f64,
    pub range_lu: f64,
    pub momentary_max_lufs: f64,
    pub short_term_max_lufs: f64,
    /// Per channel, linear; `true_peak` is `max(sample peak, interpolated)` as the crate
    /// reports it.
    pub sample_peak: Vec<f64>,
    pub true_peak: Vec<f64>,
}

/// Measures `audio` with the `ebur128` crate (exact gating lists, not its histogram mode).
/// `channel_map`, if given, overrides the crate's default map (e.g. for a declared layout).
pub fn ebur128_reading(
    audio: &AudioBuffer,
    channel_map: Option<&[ebur128::Channel]>,
) -> Ebur128Reading {
    use ebur128::{EbuR128, Mode};
    let channels = audio.num_channels();
    let rate = audio.sample_rate();
    let mut meter = EbuR128::new(
        channels as u32,
        rate,
        Mode::I | Mode::LRA | Mode::M | Mode::S | Mode::TRUE_PEAK | Mode::SAMPLE_PEAK,
    )
    .expect("the meter accepts the layout");
    if let Some(map) = channel_map {
        meter.set_channel_map(map).expect("a valid channel map");
    }
    let step = ((rate as usize) + 5) / 10;
    let (mut momentary_max, mut short_term_max) = (f64::NEG_INFINITY, f64::NEG_INFINITY);
    let mut chunk = 0;
    let mut at = 0;
    while at < audio.len() {
        let end = (at + step).min(audio.len());
        let planes: Vec<&[f32]> = audio.channels().iter().map(|c| &c[at..end]).collect();
        meter.add_frames_planar_f32(&planes).expect("frames");
        if end - at == step {
            if chunk >= 3 {
                momentary_max = momentary_max.max(meter.loudness_momentary().expect("M"));
            }
            if chunk >= 29 {
                short_term_max = short_term_max.max(meter.loudness_shortterm().expect("S"));
            }
        }
        chunk += 1;
        at = end;
    }
    Ebur128Reading {
        integrated_lufs: meter.loudness_global().expect("I"),
        range_lu: meter.loudness_range().expect("LRA"),
        momentary_max_lufs: momentary_max,
        short_term_max_lufs: short_term_max,
        sample_peak: (0..channels as u32)
            .map(|c| meter.sample_peak(c).expect("sample peak"))
            .collect(),
        true_peak: (0..channels as u32)
            .map(|c| meter.true_peak(c).expect("true peak"))
            .collect(),
    }
}
