//! Settings of the compressor and the limiter, their defaults (STAGES.md §3) and validation.
//!
//! Validation is strict and happens once, before any processing: every value must be finite
//! and inside a stated range, so that the processors can size their buffers from the settings
//! and never meet a NaN coefficient in a hot loop.

use auralis_core::{Error, Result};
use serde::{Deserialize, Serialize};

/// Longest lookahead accepted, in milliseconds. Bounds the delay lines (19 200 frames at
/// 192 kHz) and therefore the working memory.
pub const MAX_LOOKAHEAD_MS: f32 = 100.0;

/// Longest attack or release time accepted, in milliseconds. Far beyond any musical use; it
/// keeps the parallel variant's warm-up (proportional to the time constant) finite.
pub const MAX_TIME_CONSTANT_MS: f32 = 10_000.0;

/// Soft-knee compressor (STAGES.md §3): static curve, attack/release smoothing of the gain
/// reduction, lookahead that delays the audio (not the detector), makeup gain.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CompressorSettings {
    /// Threshold `T` in dBFS, in `[-120, 24]`.
    pub threshold_db: f32,
    /// Ratio `R`, at least 1 (1 = no compression).
    pub ratio: f32,
    /// Knee width `W` in dB, in `[0, 48]` (0 = hard knee).
    pub knee_db: f32,
    /// Attack time constant in ms, in `(0, 10 000]`.
    pub attack_ms: f32,
    /// Release time constant in ms, in `(0, 10 000]`.
    pub release_ms: f32,
    /// Lookahead (audio delay) in ms, in `[0, 100]`.
    pub lookahead_ms: f32,
    /// Makeup gain in dB, in `[-48, 48]`.
    pub makeup_db: f32,
}

impl Default for CompressorSettings {
    fn default() -> Self {
        CompressorSettings {
            threshold_db: -18.0,
            ratio: 4.0,
            knee_db: 2.0,
            attack_ms: 10.0,
            release_ms: 100.0,
            lookahead_ms: 5.0,
            makeup_db: 0.0,
        }
    }
}

/// How the limiter measures peaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum PeakMode {
    /// Sample peaks: no output sample exceeds the ceiling.
    #[default]
    Sample,
    /// True peaks: additionally, no 4×-oversampled (inter-sample) peak of the output exceeds
    /// the ceiling, measured with this crate's interpolator ([`crate::true_peak`]).
    True,
}

/// Lookahead brick-wall limiter (STAGES.md §3).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LimiterSettings {
    /// Ceiling in dBFS, in `[-60, 0]`.
    pub ceiling_db: f32,
    /// Lookahead in ms, in `[0, 100]`: the length of the gain ramp before a peak.
    pub lookahead_ms: f32,
    /// Release time constant in ms, in `(0, 10 000]`.
    pub release_ms: f32,
    /// Sample-peak or true-peak limiting.
    pub mode: PeakMode,
}

impl Default for LimiterSettings {
    fn default() -> Self {
        LimiterSettings {
            ceiling_db: -1.0,
            lookahead_ms: 5.0,
            release_ms: 50.0,
            mode: PeakMode::Sample,
        }
    }
}

/// The chain the lab benchmarks: compressor → limiter (either may be absent).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DynamicsSettings {
    pub compressor: Option<CompressorSettings>,
    pub limiter: Option<LimiterSettings>,
}

impl Default for DynamicsSettings {
    fn default() -> Self {
        DynamicsSettings {
            compressor: Some(CompressorSettings::default()),
            limiter: Some(LimiterSettings::default()),
        }
    }
}

fn in_range(name: &'static str, value: f32, lo: f32, hi: f32) -> Result<()> {
    if value.is_finite() && (lo..=hi).contains(&value) {
        Ok(())
    } else {
        Err(Error::param(
            name,
            format!("must be a finite number in [{lo}, {hi}], got {value}"),
        ))
    }
}

fn time_constant(name: &'static str, value: f32) -> Result<()> {
    if value.is_finite() && value > 0.0 && value <= MAX_TIME_CONSTANT_MS {
        Ok(())
    } else {
        Err(Error::param(
            name,
            format!("must be a finite time in (0, {MAX_TIME_CONSTANT_MS}] ms, got {value}"),
        ))
    }
}

impl CompressorSettings {
    /// Checks every parameter; the error names the first offending one.
    pub fn validate(&self) -> Result<()> {
        in_range("compressor.threshold_db", self.threshold_db, -120.0, 24.0)?;
        if !(self.ratio.is_finite() && self.ratio >= 1.0) {
            return Err(Error::param(
                "compressor.ratio",
                format!("must be a finite number ≥ 1, got {}", self.ratio),
            ));
        }
        in_range("compressor.knee_db", self.knee_db, 0.0, 48.0)?;
        time_constant("compressor.attack_ms", self.attack_ms)?;
        time_constant("compressor.release_ms", self.release_ms)?;
        in_range(
            "compressor.lookahead_ms",
            self.lookahead_ms,
            0.0,
            MAX_LOOKAHEAD_MS,
        )?;
        in_range("compressor.makeup_db", self.makeup_db, -48.0, 48.0)
    }
}

impl LimiterSettings {
    /// Checks every parameter; the error names the first offending one.
    pub fn validate(&self) -> Result<()> {
        in_range("limiter.ceiling_db", self.ceiling_db, -60.0, 0.0)?;
        in_range(
            "limiter.lookahead_ms",
            self.lookahead_ms,
            0.0,
            MAX_LOOKAHEAD_MS,
        )?;
        time_constant("limiter.release_ms", self.release_ms)
    }
}

impl DynamicsSettings {
    /// Checks both stages' parameters.
    pub fn validate(&self) -> Result<()> {
        if let Some(c) = &self.compressor {
            c.validate()?;
        }
        if let Some(l) = &self.limiter {
            l.validate()?;
        }
        Ok(())
    }
}

/// A duration in milliseconds as a whole number of frames (rounded to nearest).
pub(crate) fn ms_to_frames(ms: f32, sample_rate: u32) -> usize {
    (f64::from(ms) * f64::from(sample_rate) / 1000.0).round() as usize
}

/// Linear amplitude of a level in dB, in `f64`.
pub(crate) fn db_to_linear(db: f64) -> f64 {
    (db * (std::f64::consts::LN_10 / 20.0)).exp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_stages_md_and_validate() {
        let s = DynamicsSettings::default();
        let c = s.compressor.as_ref().unwrap();
        assert_eq!(
            (
                c.threshold_db,
                c.ratio,
                c.knee_db,
                c.attack_ms,
                c.release_ms
            ),
            (-18.0, 4.0, 2.0, 10.0, 100.0)
        );
        assert_eq!((c.lookahead_ms, c.makeup_db), (5.0, 0.0));
        let l = s.limiter.as_ref().unwrap();
        assert_eq!(
            (l.ceiling_db, l.lookahead_ms, l.release_ms),
            (-1.0, 5.0, 50.0)
        );
        assert_eq!(l.mode, PeakMode::Sample);
        s.validate().unwrap();
    }

    #[test]
    fn rejects_each_bad_parameter_by_name() {
        let bad_c = [
            (
                "compressor.ratio",
                CompressorSettings {
                    ratio: 0.5,
                    ..Default::default()
                },
            ),
            (
                "compressor.ratio",
                CompressorSettings {
                    ratio: f32::INFINITY,
                    ..Default::default()
                },
            ),
            (
                "compressor.attack_ms",
                CompressorSettings {
                    attack_ms: 0.0,
                    ..Default::default()
                },
            ),
            (
                "compressor.release_ms",
                CompressorSettings {
                    release_ms: f32::NAN,
                    ..Default::default()
                },
            ),
            (
                "compressor.knee_db",
                CompressorSettings {
                    knee_db: -1.0,
                    ..Default::default()
                },
            ),
            (
                "compressor.threshold_db",
                CompressorSettings {
                    threshold_db: f32::NEG_INFINITY,
                    ..Default::default()
                },
            ),
            (
                "compressor.lookahead_ms",
                CompressorSettings {
                    lookahead_ms: 101.0,
                    ..Default::default()
                },
            ),
            (
                "compressor.makeup_db",
                CompressorSettings {
                    makeup_db: f32::NAN,
                    ..Default::default()
                },
            ),
        ];
        for (name, c) in bad_c {
            match c.validate() {
                Err(Error::InvalidParameter { name: n, .. }) => assert_eq!(n, name),
                other => panic!("{name}: expected a typed error, got {other:?}"),
            }
        }
        let bad_l = [
            (
                "limiter.ceiling_db",
                LimiterSettings {
                    ceiling_db: 0.5,
                    ..Default::default()
                },
            ),
            (
                "limiter.ceiling_db",
                LimiterSettings {
                    ceiling_db: f32::NAN,
                    ..Default::default()
                },
            ),
            (
                "limiter.release_ms",
                LimiterSettings {
                    release_ms: 0.0,
                    ..Default::default()
                },
            ),
            (
                "limiter.lookahead_ms",
                LimiterSettings {
                    lookahead_ms: -1.0,
                    ..Default::default()
                },
            ),
        ];
        for (name, l) in bad_l {
            match l.validate() {
                Err(Error::InvalidParameter { name: n, .. }) => assert_eq!(n, name),
                other => panic!("{name}: expected a typed error, got {other:?}"),
            }
        }
    }

    #[test]
    fn frames_round_to_nearest() {
        assert_eq!(ms_to_frames(5.0, 44_100), 221); // 220.5 rounds away from zero
        assert_eq!(ms_to_frames(5.0, 48_000), 240);
        assert_eq!(ms_to_frames(0.0, 48_000), 0);
        assert!((db_to_linear(-20.0) - 0.1).abs() < 1e-15);
    }
}
