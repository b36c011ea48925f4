//! What the loudness stage measures.

/// Settings of a loudness measurement.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LoudnessSettings {
    /// Measure the true peak (4× interpolation below 96 kHz, 2× below 192 kHz). Off, the
    /// meter reports sample peaks only — a third of the work on a 44.1 kHz file.
    pub true_peak: bool,
}

impl Default for LoudnessSettings {
    fn default() -> Self {
        Self { true_peak: true }
    }
}

impl LoudnessSettings {
    /// The defaults with true peak on or off.
    pub fn with_true_peak(true_peak: bool) -> Self {
        Self { true_peak }
    }
}
