//! What a feature extraction reports.

use serde::Serialize;

/// Whole-file levels of each channel (linear).
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
#[non_exhaustive]
pub struct Levels {
    /// Largest `|x|` of each channel.
    pub peak: Vec<f64>,
    /// Root mean square of each channel.
    pub rms: Vec<f64>,
    /// Mean (DC offset) of each channel.
    pub dc: Vec<f64>,
}

/// Per-frame series: frame `f` covers samples `f·512 .. f·512 + 2048` (librosa's framing
/// with `center=False`); empty when the audio is shorter than one frame or the spectral
/// features were not asked for.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
#[non_exhaustive]
pub struct FrameSeries {
    /// Spectral centroid of the mono mix, Hz.
    pub centroid_hz: Vec<f32>,
    /// 85 % spectral rolloff of the mono mix, Hz.
    pub rolloff_hz: Vec<f32>,
    /// Spectral flatness of the mono mix (0 = a pure tone, 1 = white noise).
    pub flatness: Vec<f32>,
    /// Zero-crossing rate of the mono mix (crossings per sample).
    pub zcr: Vec<f32>,
    /// Pearson correlation of channels 0 and 1 (empty for mono; 0 where a channel is silent).
    pub stereo_correlation: Vec<f32>,
    /// Side/mid energy ratio of channels 0 and 1 (empty for mono; 0 for a silent frame, ∞
    /// where the mid is silent and the side is not).
    pub stereo_width: Vec<f32>,
}

/// Means of the spectral series over all frames (librosa users' `np.mean`; silent frames
/// count, with librosa's values for them: centroid and rolloff 0, flatness 1).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[non_exhaustive]
pub struct SpectralMeans {
    pub centroid_hz: f64,
    pub rolloff_hz: f64,
    pub flatness: f64,
    pub zcr: f64,
}

/// Correlation and width of channels 0 and 1 over the whole file.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Stereo {
    /// `Σ L·R / √(Σ L² · Σ R²)`.
    pub correlation: f64,
    /// Side/mid energy ratio `Σ S² / Σ M²`, `M = (L+R)/2`, `S = (L−R)/2` (0 = mono-compatible
    /// centre, 1 = as much side as mid, ∞ = pure anti-phase).
    pub width: f64,
}

/// A tempo estimate with its beats.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Tempo {
    /// Beats per minute.
    pub bpm: f64,
    /// Beat times, seconds.
    pub beats_s: Vec<f64>,
    /// How clearly the onset envelope repeats at that period: the mean normalised
    /// autocorrelation at the tempo's lag minus its median over the search range (0 for
    /// noise; a steady beat reads 0.2–0.6).
    pub pulse_clarity: f64,
}

/// The result of a feature extraction.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct FeatureResult {
    pub sample_rate: u32,
    /// Samples per channel.
    pub frames_in: usize,
    pub levels: Levels,
    /// Per-frame series (see [`FrameSeries`]).
    pub series: FrameSeries,
    /// Means of the spectral series (`None` without frames).
    pub means: Option<SpectralMeans>,
    /// Whole-file stereo measures (`None` for one channel, or a silent channel).
    pub stereo: Option<Stereo>,
    /// Onset strength per frame of 512 samples (librosa's `onset_strength` with
    /// `aggregate=median`, as `beat_track` computes it); frame `t` is centred at `t·512`.
    pub onset_strength: Vec<f32>,
    /// The tempo and beats, or why there are none.
    pub tempo: Result<Tempo, String>,
}

fn db(linear: f64) -> Option<f64> {
    (linear > 0.0).then(|| 20.0 * linear.log10())
}

impl FeatureResult {
    /// Highest sample peak over the channels, dBFS (`None` for digital silence).
    pub fn peak_dbfs(&self) -> Option<f64> {
        db(self.levels.peak.iter().copied().fold(0.0, f64::max))
    }

    /// RMS over all channels (the root of the mean of their mean squares), dBFS.
    pub fn rms_dbfs(&self) -> Option<f64> {
        let n = self.levels.rms.len().max(1) as f64;
        db((self.levels.rms.iter().map(|r| r * r).sum::<f64>() / n).sqrt())
    }

    /// Crest factor: peak over RMS, dB (`None` for silence).
    pub fn crest_db(&self) -> Option<f64> {
        Some(self.peak_dbfs()? - self.rms_dbfs()?)
    }

    /// Largest DC offset over the channels (signed, linear).
    pub fn dc_offset(&self) -> f64 {
        self.levels
            .dc
            .iter()
            .copied()
            .fold(0.0, |m: f64, d| if d.abs() > m.abs() { d } else { m })
    }

    /// Seconds from the start to the centre of onset-strength frame `t`.
    pub fn onset_time(&self, t: usize) -> f64 {
        (t * crate::HOP) as f64 / f64::from(self.sample_rate)
    }
}
