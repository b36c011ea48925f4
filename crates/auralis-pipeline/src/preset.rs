//! Mastering presets: a target curve (the EQ preset of the same name, which `auralis eq
//! --preset NAME` applies as fixed gains and `auralis master --preset NAME` adds to the
//! input's evened-out balance) plus dynamics and, for `loud`, a loudness target.

use auralis_core::{Error, Result};
use auralis_dynamics::CompressorSettings;
use auralis_eq::EqGains;

/// The presets `master` knows.
pub const PRESETS: [&str; 5] = ["balanced", "warm", "bright", "gentle", "loud"];

/// One preset.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Preset {
    pub name: &'static str,
    /// The target curve (dB per band).
    pub curve: EqGains,
    pub compressor: Option<CompressorSettings>,
    /// The preset's own loudness target, LUFS (only `loud` has one).
    pub target_lufs: Option<f64>,
}

/// Glue compression: 2:1 above −18 dBFS with a wide knee, slow enough to leave transients.
fn glue() -> CompressorSettings {
    CompressorSettings {
        threshold_db: -18.0,
        ratio: 2.0,
        knee_db: 6.0,
        attack_ms: 20.0,
        release_ms: 200.0,
        lookahead_ms: 5.0,
        makeup_db: 0.0,
    }
}

impl Preset {
    /// The preset called `name` (case-insensitive).
    pub fn named(name: &str) -> Result<Self> {
        let lower = name.trim().to_ascii_lowercase();
        let (name, curve, compressor, target_lufs) = match lower.as_str() {
            "balanced" => ("balanced", EqGains::preset("balanced")?, Some(glue()), None),
            "warm" => ("warm", EqGains::preset("warm")?, Some(glue()), None),
            "bright" => ("bright", EqGains::preset("bright")?, Some(glue()), None),
            "gentle" => (
                "gentle",
                EqGains::flat(),
                Some(CompressorSettings {
                    threshold_db: -20.0,
                    ratio: 1.5,
                    knee_db: 8.0,
                    attack_ms: 30.0,
                    release_ms: 300.0,
                    lookahead_ms: 5.0,
                    makeup_db: 0.0,
                }),
                None,
            ),
            "loud" => (
                "loud",
                EqGains::preset("balanced")?,
                Some(CompressorSettings {
                    threshold_db: -20.0,
                    ratio: 3.0,
                    knee_db: 4.0,
                    attack_ms: 10.0,
                    release_ms: 120.0,
                    lookahead_ms: 5.0,
                    makeup_db: 0.0,
                }),
                Some(-9.0),
            ),
            _ => {
                return Err(Error::param(
                    "preset",
                    format!(
                        "unknown mastering preset `{name}`; expected one of {}",
                        PRESETS.join(", ")
                    ),
                ))
            }
        };
        Ok(Preset {
            name,
            curve,
            compressor,
            target_lufs,
        })
    }
}
