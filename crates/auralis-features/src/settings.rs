//! What the features stage computes.

/// Frame length of the short-time analysis, samples (librosa's `n_fft` default).
pub const FRAME_LEN: usize = 2048;
/// Hop between frames, samples (librosa's `hop_length` default).
pub const HOP: usize = 512;
/// FFT bins per frame.
pub const BINS: usize = FRAME_LEN / 2 + 1;

/// Settings of a feature extraction.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct FeatureSettings {
    /// Per-frame spectral and time-domain features (centroid, rolloff, flatness, zero-crossing
    /// rate, stereo correlation and width). Off, only the whole-file levels are computed
    /// (peak, RMS, crest, DC) — unless `tempo` needs the spectrum anyway.
    pub spectral: bool,
    /// Onset strength, tempo and beats.
    pub tempo: bool,
    /// Share of the spectral magnitude below the rolloff frequency (librosa: 0.85).
    pub rolloff_fraction: f64,
    /// Tempo search range, BPM (STAGES.md §4: 60–200).
    pub min_bpm: f64,
    pub max_bpm: f64,
    /// Centre of the log-normal tempo prior, BPM (librosa's `start_bpm`: 120).
    pub prior_bpm: f64,
    /// How strictly the beat tracker keeps to the tempo (librosa's `tightness`: 100).
    pub tightness: f64,
}

impl Default for FeatureSettings {
    fn default() -> Self {
        Self {
            spectral: true,
            tempo: true,
            rolloff_fraction: 0.85,
            min_bpm: 60.0,
            max_bpm: 200.0,
            prior_bpm: 120.0,
            tightness: 100.0,
        }
    }
}

impl FeatureSettings {
    /// The defaults with the spectral features and the tempo each on or off (the command
    /// line's `--only`).
    pub fn with_parts(spectral: bool, tempo: bool) -> Self {
        Self {
            spectral,
            tempo,
            ..Self::default()
        }
    }

    /// Checks the numeric settings.
    pub fn validate(&self) -> auralis_core::Result<()> {
        use auralis_core::Error;
        if !(self.rolloff_fraction > 0.0 && self.rolloff_fraction <= 1.0) {
            return Err(Error::param(
                "rolloff_fraction",
                format!("{} is not in (0, 1]", self.rolloff_fraction),
            ));
        }
        let bpm_ok = |v: f64| v.is_finite() && v > 0.0;
        if !(bpm_ok(self.min_bpm) && bpm_ok(self.max_bpm) && self.min_bpm < self.max_bpm) {
            return Err(Error::param(
                "min_bpm/max_bpm",
                format!(
                    "{}–{} is not a positive, increasing range",
                    self.min_bpm, self.max_bpm
                ),
            ));
        }
        if !bpm_ok(self.prior_bpm) {
            return Err(Error::param("prior_bpm", "must be positive"));
        }
        if !(self.tightness.is_finite() && self.tightness > 0.0) {
            return Err(Error::param("tightness", "must be positive"));
        }
        Ok(())
    }
}
