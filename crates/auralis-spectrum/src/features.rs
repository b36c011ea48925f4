//! What happens to a frame's weighted band levels after the spectrum: temporal smoothing and
//! the per-frame features. Shared by every implementation, so the variants differ only in how
//! they get from samples to band levels.

use crate::bands::{BandLayout, FLOOR_DB};

/// Share of the total band power below the rolloff frequency.
pub(crate) const ROLLOFF_FRACTION: f64 = 0.85;

/// `P = 10^(L/10) = exp(L · POWER_NEPERS_PER_DB)`; `exp` is the cheapest route and this runs
/// for every band of every frame.
const POWER_NEPERS_PER_DB: f64 = std::f64::consts::LN_10 / 10.0;

/// Exponential smoothing across frames, per band: `s_0 = x_0`, `s_t = a·s_{t−1} + (1−a)·x_t`.
///
/// This recurrence is the analysis' only dependency between frames. It costs one multiply-add
/// per band per frame, so the parallel implementation computes all frames' levels first and
/// runs it afterwards, sequentially, which makes that implementation exact (the original
/// parallel analyzer skipped it and was off by up to 0.4 dB).
#[derive(Clone, Debug)]
pub(crate) struct Smoother {
    factor: f64,
    state: Vec<f64>,
    primed: bool,
}

impl Smoother {
    pub fn new(factor: f32, bands: usize) -> Self {
        Self {
            factor: f64::from(factor),
            state: vec![0.0; bands],
            primed: false,
        }
    }

    /// Replaces this frame's levels `x_t` by the smoothed levels `s_t`.
    pub fn smooth(&mut self, levels: &mut [f64]) {
        if !self.primed {
            self.state.copy_from_slice(levels);
            self.primed = true;
            return;
        }
        let a = self.factor;
        let b = 1.0 - a;
        for (s, x) in self.state.iter_mut().zip(levels.iter_mut()) {
            *s = a * *s + b * *x;
            *x = *s;
        }
    }
}

/// Spectral features of one frame, computed from its smoothed weighted band levels.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct FrameFeatures {
    /// Every band sits at the magnitude floor: the frame (and all before it, since levels
    /// are smoothed) is digital silence, and the values below would come from the weighting
    /// curve alone. Silent frames are left out of the means.
    pub silent: bool,
    /// Centre of the band with the highest level (the lowest such band on a tie).
    pub peak_hz: f64,
    /// Power-weighted mean band centre `Σ f·P / Σ P`.
    pub centroid_hz: f64,
    /// Lowest band centre at which the cumulative power reaches 85 % of the total.
    pub rolloff_hz: f64,
    /// `10·log10(Σ P)`.
    pub total_energy_db: f64,
}

impl FrameFeatures {
    /// Field-wise sum, for the means over frames (the caller skips silent frames).
    pub fn accumulate(&mut self, other: &FrameFeatures) {
        self.peak_hz += other.peak_hz;
        self.centroid_hz += other.centroid_hz;
        self.rolloff_hz += other.rolloff_hz;
        self.total_energy_db += other.total_energy_db;
    }
}

/// Features of one frame from its smoothed weighted levels `L_i` (dB) and the band centres
/// `c_i` of `layout`.
///
/// Everything is computed from the linear band power `P_i = 10^(L_i/10)`: the original
/// weighted frequencies by dB values, which is meaningless once levels are negative. `power`
/// is caller-owned scratch of one value per band, so nothing allocates per frame.
pub(crate) fn frame_features(
    levels_db: &[f64],
    layout: &BandLayout,
    power: &mut [f64],
) -> FrameFeatures {
    let silent = levels_db
        .iter()
        .zip(&layout.weights_db)
        .all(|(&level, &weight)| level - weight <= FLOOR_DB + SILENCE_MARGIN_DB);
    let mut features = features_at(levels_db, &layout.centres_hz, power);
    features.silent = silent;
    features
}

/// How close to the floor a band may be and still count as silent: above the rounding of
/// `ln`/`exp` in the level path, and far below any band that holds signal (the floor is a
/// magnitude of 1e-10, about −260 dB below a full-scale sine's band).
const SILENCE_MARGIN_DB: f64 = 1e-6;

/// The features from levels and centres alone (no silence test).
fn features_at(levels_db: &[f64], centres_hz: &[f64], power: &mut [f64]) -> FrameFeatures {
    let mut total = 0.0;
    let mut moment = 0.0;
    let mut peak = 0;
    for (i, ((p, &level), &f)) in power.iter_mut().zip(levels_db).zip(centres_hz).enumerate() {
        *p = (level * POWER_NEPERS_PER_DB).exp();
        total += *p;
        moment += f * *p;
        if level > levels_db[peak] {
            peak = i;
        }
    }
    // Accumulated in the same order as `total`, so the last cumulative value equals `total`
    // exactly and the threshold is always reached.
    let threshold = ROLLOFF_FRACTION * total;
    let mut cumulative = 0.0;
    let mut rolloff = centres_hz.len() - 1;
    for (i, &p) in power.iter().enumerate() {
        cumulative += p;
        if cumulative >= threshold {
            rolloff = i;
            break;
        }
    }
    FrameFeatures {
        silent: false,
        peak_hz: centres_hz[peak],
        centroid_hz: moment / total,
        rolloff_hz: centres_hz[rolloff],
        total_energy_db: 10.0 * total.log10(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_features() {
        // Levels 0, 10, 20, 10 dB → powers 1, 10, 100, 10; total 121.
        let levels = [0.0, 10.0, 20.0, 10.0];
        let centres = [100.0, 200.0, 400.0, 800.0];
        let mut power = [0.0; 4];
        let f = features_at(&levels, &centres, &mut power);
        for (p, e) in power.iter().zip([1.0, 10.0, 100.0, 10.0]) {
            assert!((p - e).abs() < 1e-12 * e, "{power:?}");
        }
        // Centroid (100 + 2000 + 40000 + 8000) / 121 = 50100 / 121.
        assert!((f.centroid_hz - 50_100.0 / 121.0).abs() < 1e-9, "{f:?}");
        // 85 % of 121 = 102.85; cumulative 1, 11, 111 → third band.
        assert_eq!(f.rolloff_hz, 400.0);
        assert_eq!(f.peak_hz, 400.0);
        assert!((f.total_energy_db - 10.0 * 121f64.log10()).abs() < 1e-12);
    }

    #[test]
    fn negative_levels_use_linear_power() {
        // −60 and −20 dB: the −20 dB band dominates the centroid (the original's Σ f·dB
        // would put it outside the band range altogether).
        let f = features_at(&[-60.0, -20.0], &[100.0, 1000.0], &mut [0.0; 2]);
        let expected = (100.0 * 1e-6 + 1000.0 * 1e-2) / (1e-6 + 1e-2);
        assert!((f.centroid_hz - expected).abs() < 1e-9, "{f:?}");
        assert_eq!(f.rolloff_hz, 1000.0);
        assert!((f.total_energy_db - 10.0 * (1e-6f64 + 1e-2).log10()).abs() < 1e-12);
    }

    #[test]
    fn rolloff_threshold_is_inclusive_and_ties_pick_the_lowest_peak() {
        // Twenty bands at 0 dB (P = exp(0) = 1 exactly): 85 % of 20 is 17, reached exactly
        // at the 17th band, which must count as "reached".
        let centres: Vec<f64> = (0..20).map(f64::from).collect();
        let f = features_at(&[0.0; 20], &centres, &mut [0.0; 20]);
        assert_eq!(f.rolloff_hz, 16.0);
        let flat = features_at(&[-200.0; 3], &[1.0, 2.0, 3.0], &mut [0.0; 3]);
        assert_eq!(flat.peak_hz, 1.0);
        assert_eq!(flat.rolloff_hz, 3.0);
        assert!((flat.centroid_hz - 2.0).abs() < 1e-12);
    }

    #[test]
    fn smoothing_recurrence() {
        let mut s = Smoother::new(0.5, 2);
        let mut x = [4.0, -4.0];
        s.smooth(&mut x);
        assert_eq!(x, [4.0, -4.0], "s_0 = x_0");
        let mut x = [0.0, 0.0];
        s.smooth(&mut x);
        assert_eq!(x, [2.0, -2.0]);
        let mut x = [2.0, 2.0];
        s.smooth(&mut x);
        assert_eq!(x, [2.0, 0.0]);
        let mut none = Smoother::new(0.0, 1);
        let (mut a, mut b) = ([3.0], [7.0]);
        none.smooth(&mut a);
        none.smooth(&mut b);
        assert_eq!(b, [7.0], "factor 0 keeps the current frame");
    }
}
