//! The compressor's static gain computer (STAGES.md §3).
//!
//! With level `L`, threshold `T`, ratio `R` and knee `W` (all dB): gain `0` below `T − W/2`,
//! `−(L − T)(1 − 1/R)` above `T + W/2`, and the quadratic `−(1 − 1/R)(L − T + W/2)²/(2W)`
//! in between. The pieces meet with equal value and slope at both knee edges.
//!
//! Below the knee the gain is exactly 0, so the processors compare the *linear* peak with the
//! knee start and take no logarithm at all for those samples (most samples of most music).

use crate::settings::CompressorSettings;

/// The static curve `gain(level)` in dB; `≤ 0`, non-increasing, continuous.
pub fn compressor_gain_db(level_db: f32, s: &CompressorSettings) -> f32 {
    -(StaticCurve::new(s).reduction_db(f64::from(level_db)) as f32)
}

/// The curve's parameters, precomputed in `f64`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct StaticCurve {
    pub threshold_db: f64,
    pub half_knee_db: f64,
    /// `1 − 1/R`: dB of reduction per dB above the threshold.
    pub slope: f64,
    /// `slope / (2W)` (0 for a hard knee, where the quadratic piece is empty).
    pub knee_coefficient: f64,
    /// Linear peak at the start of the knee; at or below it the reduction is exactly 0.
    pub knee_start_linear: f32,
    /// Linear peak at the threshold (for "time over threshold").
    pub threshold_linear: f32,
}

impl StaticCurve {
    pub fn new(s: &CompressorSettings) -> Self {
        let threshold_db = f64::from(s.threshold_db);
        let knee = f64::from(s.knee_db);
        let slope = 1.0 - 1.0 / f64::from(s.ratio);
        StaticCurve {
            threshold_db,
            half_knee_db: knee / 2.0,
            slope,
            knee_coefficient: if knee > 0.0 {
                slope / (2.0 * knee)
            } else {
                0.0
            },
            knee_start_linear: crate::settings::db_to_linear(threshold_db - knee / 2.0) as f32,
            threshold_linear: crate::settings::db_to_linear(threshold_db) as f32,
        }
    }

    /// Gain reduction (≥ 0 dB) for a level in dB.
    #[inline]
    pub fn reduction_db(&self, level_db: f64) -> f64 {
        let over = level_db - self.threshold_db;
        if over >= self.half_knee_db {
            over * self.slope
        } else if over > -self.half_knee_db {
            let x = over + self.half_knee_db;
            self.knee_coefficient * x * x
        } else {
            0.0
        }
    }

    /// Gain reduction for a linear peak: 0 at or below the knee start, otherwise the curve at
    /// `20·log10(peak)` (computed with the standard library's `log10`).
    #[inline]
    pub fn reduction_for_peak(&self, peak: f32) -> f64 {
        if peak <= self.knee_start_linear {
            0.0
        } else {
            self.reduction_db(20.0 * f64::from(peak).log10())
        }
    }

    /// The largest reduction any finite `f32` input can cause: the bound on how far two
    /// followers of this curve can ever be apart (used to size the parallel warm-up).
    pub fn max_possible_reduction_db(&self) -> f64 {
        self.reduction_db(20.0 * f64::from(f32::MAX).log10())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_meet_at_the_knee_edges() {
        let c = StaticCurve::new(&CompressorSettings::default());
        // T = −18, W = 2, R = 4: knee from −19 to −17 dB.
        assert_eq!(c.reduction_db(-19.0), 0.0);
        let top = c.reduction_db(-17.0);
        assert!((top - 0.75).abs() < 1e-12);
        let just_below = c.reduction_db(-17.0 - 1e-9);
        assert!((top - just_below).abs() < 1e-8);
        assert_eq!(c.reduction_for_peak(0.0), 0.0);
        assert!((c.reduction_for_peak(1.0) - 13.5).abs() < 1e-12);
    }

    #[test]
    fn hard_knee() {
        let s = CompressorSettings {
            knee_db: 0.0,
            ..Default::default()
        };
        let c = StaticCurve::new(&s);
        assert_eq!(c.reduction_db(-18.0), 0.0);
        assert!((c.reduction_db(-8.0) - 7.5).abs() < 1e-12);
        assert_eq!(c.reduction_db(-30.0), 0.0);
    }

    #[test]
    fn worst_case_reduction_is_finite() {
        let c = StaticCurve::new(&CompressorSettings::default());
        let m = c.max_possible_reduction_db();
        assert!(m.is_finite() && m > 500.0 && m < 700.0, "{m}");
    }
}
