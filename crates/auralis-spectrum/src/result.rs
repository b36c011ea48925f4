//! The whole-file result and the running sums it is built from.

use auralis_core::{Error, Result};
use serde::{Deserialize, Serialize};

use crate::analysis::Analysis;
use crate::features::FrameFeatures;
use crate::settings::SpectrumSettings;

/// Whole-file spectrum summary: means over all frames.
///
/// The spectral features are `None` for digital silence: a frame whose every band sits at
/// the magnitude floor has no peak, centroid or rolloff — computed anyway, they would come
/// from the weighting curve alone. Such frames are left out of the features' means (and
/// counted in `silent_frames`); a file of nothing but silence has none (`null` in JSON).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SpectrumResult {
    /// Lower band edges (Hz), log-spaced from 20 Hz to 20 kHz: band `i` spans
    /// `[lower_i, upper_i)`.
    pub band_lower_edges_hz: Vec<f32>,
    /// Upper band edges (Hz): the next band's lower edge; Nyquist for the last band.
    pub band_upper_edges_hz: Vec<f32>,
    /// Geometric band centres (Hz), `sqrt(lower·upper)` (the last band: one half log step
    /// above its lower edge); weighting and the features are evaluated here.
    pub band_centres_hz: Vec<f32>,
    /// Mean over frames of the smoothed, weighted band levels, in dB re a band whose mean
    /// unnormalised FFT magnitude `|X_k|` is 1 (a full-scale sine's band reads about +60 dB
    /// at FFT size 4096, the Hann window's coherent gain included).
    pub band_levels_db: Vec<f32>,
    /// Mean over non-silent frames of the centre of each frame's loudest band (Hz).
    pub peak_frequency_hz: Option<f32>,
    /// Mean over non-silent frames of the power-weighted band centroid (Hz).
    pub centroid_hz: Option<f32>,
    /// Mean over non-silent frames of the 85 % power rolloff band centre (Hz).
    pub rolloff_hz: Option<f32>,
    /// Mean over non-silent frames of `10·log10(Σ band power)`, in dB re the same unit as
    /// the band levels (band power 1 = a band mean magnitude of 1).
    pub total_energy_db: Option<f32>,
    /// Number of frames analysed.
    pub frames: usize,
    /// Frames of digital silence, left out of the features' means.
    pub silent_frames: usize,
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
    silent_frames: usize,
}

impl Summary {
    pub fn new(bands: usize) -> Self {
        Self {
            level_sums: vec![0.0; bands],
            feature_sums: FrameFeatures::default(),
            frames: 0,
            silent_frames: 0,
        }
    }

    /// Adds one frame's smoothed levels.
    pub fn add_levels(&mut self, smoothed_db: &[f64]) {
        for (sum, &level) in self.level_sums.iter_mut().zip(smoothed_db) {
            *sum += level;
        }
        self.frames += 1;
    }

    /// Adds one frame's features (a silent frame's only to the count of silent frames).
    pub fn add_features(&mut self, features: &FrameFeatures) {
        if features.silent {
            self.silent_frames += 1;
        } else {
            self.feature_sums.accumulate(features);
        }
    }

    /// The means, as a [`SpectrumResult`].
    ///
    /// A finite input can still overflow `f32` inside the FFT (samples near `f32::MAX`); that
    /// is reported as an error rather than returned as infinities or NaN.
    pub fn finish(self, ctx: &Analysis<'_>) -> Result<SpectrumResult> {
        let n = self.frames.max(1) as f64;
        let mean = |sum: f64| (sum / n) as f32;
        let voiced = self.frames - self.silent_frames;
        let feature = |sum: f64| (voiced > 0).then(|| (sum / voiced as f64) as f32);
        let layout = &ctx.layout;
        let f32s = |v: &[f64]| v.iter().map(|&f| f as f32).collect::<Vec<f32>>();
        let mut upper: Vec<f64> = layout.lower_edges_hz[1..].to_vec();
        upper.push(
            layout
                .nyquist_hz
                .max(*layout.lower_edges_hz.last().unwrap_or(&0.0)),
        );
        let result = SpectrumResult {
            band_lower_edges_hz: f32s(&layout.lower_edges_hz),
            band_upper_edges_hz: f32s(&upper),
            band_centres_hz: f32s(&layout.centres_hz),
            band_levels_db: self.level_sums.iter().map(|&s| mean(s)).collect(),
            peak_frequency_hz: feature(self.feature_sums.peak_hz),
            centroid_hz: feature(self.feature_sums.centroid_hz),
            rolloff_hz: feature(self.feature_sums.rolloff_hz),
            total_energy_db: feature(self.feature_sums.total_energy_db),
            frames: self.frames,
            silent_frames: self.silent_frames,
            settings: ctx.settings.clone(),
            sample_rate: ctx.audio.sample_rate(),
        };
        let scalars: Vec<f32> = [
            result.peak_frequency_hz,
            result.centroid_hz,
            result.rolloff_hz,
            result.total_energy_db,
        ]
        .into_iter()
        .flatten()
        .collect();
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
