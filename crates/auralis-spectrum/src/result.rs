//! The whole-file result and the running sums it is built from.

use auralis_core::{Error, Result};
use serde::{Deserialize, Serialize};

use crate::analysis::Analysis;
use crate::features::FrameFeatures;
use crate::settings::SpectrumSettings;

/// Whole-file spectrum summary: means over all frames.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SpectrumResult {
    /// Band centres (Hz), log-spaced from 20 Hz to 20 kHz.
    pub band_centres_hz: Vec<f32>,
    /// Mean over frames of the smoothed, weighted band levels (dB).
    pub band_levels_db: Vec<f32>,
    /// Mean over frames of the centre of each frame's loudest band (Hz).
    pub peak_frequency_hz: f32,
    /// Mean over frames of the power-weighted band centroid (Hz).
    pub centroid_hz: f32,
    /// Mean over frames of the 85 % power rolloff band centre (Hz).
    pub rolloff_hz: f32,
    /// Mean over frames of `10·log10(Σ band power)` (dB).
    pub total_energy_db: f32,
    /// Number of frames analysed.
    pub frames: usize,
    /// The settings used.
    pub settings: SpectrumSettings,
    /// Sample rate of the analysed audio (Hz).
    pub sample_rate: u32,
}

/// Running sums over frames, in `f64`, fed in frame order by every implementation so that
/// the same levels always give bit-identical means.
#[derive(Clone, Debug)]
pub(crate) struct Summary {
    level_sums: Vec<f64>,
    feature_sums: FrameFeatures,
    frames: usize,
}

impl Summary {
    pub fn new(bands: usize) -> Self {
        Self {
            level_sums: vec![0.0; bands],
            feature_sums: FrameFeatures::default(),
            frames: 0,
        }
    }

    /// Adds one frame's smoothed levels.
    pub fn add_levels(&mut self, smoothed_db: &[f64]) {
        for (sum, &level) in self.level_sums.iter_mut().zip(smoothed_db) {
            *sum += level;
        }
        self.frames += 1;
    }

    /// Adds one frame's features.
    pub fn add_features(&mut self, features: &FrameFeatures) {
        self.feature_sums.accumulate(features);
    }

    /// The means, as a [`SpectrumResult`].
    ///
    /// A finite input can still overflow `f32` inside the FFT (samples near `f32::MAX`); that
    /// is reported as an error rather than returned as infinities or NaN.
    pub fn finish(self, ctx: &Analysis<'_>) -> Result<SpectrumResult> {
        let n = self.frames.max(1) as f64;
        let mean = |sum: f64| (sum / n) as f32;
        let result = SpectrumResult {
            band_centres_hz: ctx.layout.centres_hz.iter().map(|&f| f as f32).collect(),
            band_levels_db: self.level_sums.iter().map(|&s| mean(s)).collect(),
            peak_frequency_hz: mean(self.feature_sums.peak_hz),
            centroid_hz: mean(self.feature_sums.centroid_hz),
            rolloff_hz: mean(self.feature_sums.rolloff_hz),
            total_energy_db: mean(self.feature_sums.total_energy_db),
            frames: self.frames,
            settings: ctx.settings.clone(),
            sample_rate: ctx.audio.sample_rate(),
        };
        let scalars = [
            result.peak_frequency_hz,
            result.centroid_hz,
            result.rolloff_hz,
            result.total_energy_db,
        ];
        if result
            .band_levels_db
            .iter()
            .chain(&scalars)
            .all(|v| v.is_finite())
        {
            Ok(result)
        } else {
            Err(Error::param(
                "audio",
                "sample values are so large that the spectrum overflows f32; scale the input down",
            ))
        }
    }
}
