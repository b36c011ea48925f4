//! What a loudness measurement reports.

use serde::Serialize;

/// A BS.1770-4 / EBU R128 measurement of one piece of audio.
///
/// Levels that do not exist are `None`, never a number: silence (or audio shorter than one
/// 400 ms block) has no integrated loudness; audio shorter than 3 s has no short-term maximum
/// or loudness range.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct LoudnessResult {
    pub sample_rate: u32,
    /// The BS.1770 weight each channel was measured with (0 = left out, e.g. LFE).
    pub channel_weights: Vec<f64>,
    /// Integrated (programme) loudness, LUFS.
    pub integrated_lufs: Option<f64>,
    /// The relative gate the integrated loudness used (integrated of the loud blocks − 10).
    pub relative_gate_lufs: Option<f64>,
    /// Loudness range (EBU Tech 3342), LU: `range_high_lufs − range_low_lufs`.
    pub range_lu: Option<f64>,
    /// The 10th percentile of the gated short-term levels, LUFS (the range's floor).
    pub range_low_lufs: Option<f64>,
    /// The 95th percentile, LUFS (the range's ceiling).
    pub range_high_lufs: Option<f64>,
    /// Loudest momentary (400 ms) value, LUFS.
    pub momentary_max_lufs: Option<f64>,
    /// Loudest short-term (3 s) value, LUFS.
    pub short_term_max_lufs: Option<f64>,
    /// Sample peak of each channel, linear.
    pub sample_peak: Vec<f64>,
    /// True peak of each channel, linear (`None` if it was not measured).
    pub true_peak: Option<Vec<f64>>,
    /// Momentary loudness every 100 ms, from the window ending at 0.4 s (−∞ for silence).
    pub momentary_lufs: Vec<f32>,
    /// Short-term loudness every 100 ms, from the window ending at 3 s.
    pub short_term_lufs: Vec<f32>,
}

/// Seconds between values of the momentary and short-term series.
pub const SERIES_PERIOD_SECS: f64 = 0.1;
/// Time of the first momentary value (the end of the first 400 ms window), seconds.
pub const MOMENTARY_START_SECS: f64 = 0.4;
/// Time of the first short-term value (the end of the first 3 s window), seconds.
pub const SHORT_TERM_START_SECS: f64 = 3.0;

fn to_db(linear: f64) -> Option<f64> {
    (linear > 0.0).then(|| 20.0 * linear.log10())
}

impl LoudnessResult {
    /// The result from the gating pass's numbers and the peaks (every meter of this crate
    /// ends here).
    pub(crate) fn from_gated(
        sample_rate: u32,
        channel_weights: Vec<f64>,
        gated: crate::gating::Gated,
        sample_peak: Vec<f64>,
        true_peak: Option<Vec<f64>>,
    ) -> Self {
        Self {
            sample_rate,
            channel_weights,
            integrated_lufs: gated.integrated_lufs,
            relative_gate_lufs: gated.relative_gate_lufs,
            range_lu: gated.range_lu,
            range_low_lufs: gated.range_low_lufs,
            range_high_lufs: gated.range_high_lufs,
            momentary_max_lufs: gated.momentary_max_lufs,
            short_term_max_lufs: gated.short_term_max_lufs,
            sample_peak,
            true_peak,
            momentary_lufs: gated.momentary_lufs,
            short_term_lufs: gated.short_term_lufs,
        }
    }

    /// A result from another meter's summary readings (no series, no gate levels): how the
    /// lab puts a peer meter's numbers beside ours. `sample_peak` may be empty (not reported)
    /// and `true_peak` may hold one value for all channels (a meter that reports only the
    /// maximum).
    #[allow(clippy::too_many_arguments)]
    pub fn from_meter(
        sample_rate: u32,
        integrated_lufs: Option<f64>,
        range_lu: Option<f64>,
        momentary_max_lufs: Option<f64>,
        short_term_max_lufs: Option<f64>,
        sample_peak: Vec<f64>,
        true_peak: Option<Vec<f64>>,
    ) -> Self {
        Self {
            sample_rate,
            channel_weights: Vec::new(),
            integrated_lufs,
            relative_gate_lufs: None,
            range_lu,
            range_low_lufs: None,
            range_high_lufs: None,
            momentary_max_lufs,
            short_term_max_lufs,
            sample_peak,
            true_peak,
            momentary_lufs: Vec::new(),
            short_term_lufs: Vec::new(),
        }
    }

    /// The highest sample peak over the channels, dBFS (`None` for digital silence).
    pub fn sample_peak_dbfs(&self) -> Option<f64> {
        to_db(self.sample_peak.iter().copied().fold(0.0, f64::max))
    }

    /// The highest true peak over the channels, dBTP (`None` if not measured or silent).
    pub fn true_peak_dbtp(&self) -> Option<f64> {
        to_db(self.true_peak.as_ref()?.iter().copied().fold(0.0, f64::max))
    }

    /// Why there is no integrated loudness, if there is none.
    pub fn integrated_absent_reason(&self) -> Option<&'static str> {
        if self.integrated_lufs.is_some() {
            None
        } else if self.momentary_lufs.is_empty() {
            Some("shorter than one 400 ms block")
        } else {
            Some("every 400 ms block is below the −70 LUFS gate (silence)")
        }
    }
}
