//! What a fixture is: its name, length, format, seed and tempo.

use serde::{Deserialize, Serialize};

use crate::error::FixtureError;

/// The seed of the standard fixtures. Changing it changes every fixture (and the manifest).
pub const DEFAULT_SEED: u64 = 0x00A0_2A15_2025;
/// The tempo of the standard fixtures, in beats per minute.
pub const DEFAULT_TEMPO_BPM: f64 = 120.0;
/// The sample rate of the standard fixtures (the benchmark case of STAGES.md).
pub const DEFAULT_SAMPLE_RATE: u32 = 44_100;
/// Longest fixture [`FixtureSpec::validate`] accepts: an hour of audio, so that a typo in a
/// spec cannot ask for gigabytes.
pub const MAX_SECONDS: f64 = 3600.0;
/// Most channels a fixture may have (the stereo mix is repeated as L/R pairs beyond two).
pub const MAX_CHANNELS: usize = 8;
/// Tempo range [`FixtureSpec::validate`] accepts; the content stage searches 60–200 BPM.
pub const TEMPO_RANGE_BPM: std::ops::RangeInclusive<f64> = 40.0..=300.0;

/// Everything that determines a fixture's samples. Two equal specs give bit-identical audio.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FixtureSpec {
    /// File stem, e.g. `"music-5s"`; the WAV is `<name>.wav`. Lowercase ASCII letters,
    /// digits, `-`, `_` and `.` only, so it is a safe file name everywhere.
    pub name: String,
    /// Duration in seconds (rounded to whole frames).
    pub seconds: f64,
    pub sample_rate: u32,
    /// 1 (the mono mix), 2 (stereo), or up to [`MAX_CHANNELS`] (L/R pairs repeated).
    pub channels: usize,
    pub seed: u64,
    pub tempo_bpm: f64,
}

impl FixtureSpec {
    /// A stereo 44.1 kHz 120 BPM spec with the default seed.
    pub fn music(name: impl Into<String>, seconds: f64) -> Self {
        Self {
            name: name.into(),
            seconds,
            sample_rate: DEFAULT_SAMPLE_RATE,
            channels: 2,
            seed: DEFAULT_SEED,
            tempo_bpm: DEFAULT_TEMPO_BPM,
        }
    }

    /// Number of frames (samples per channel): `round(seconds · sample_rate)`.
    pub fn frames(&self) -> usize {
        (self.seconds * self.sample_rate as f64).round() as usize
    }

    /// Checks every field; [`crate::try_generate`] and [`crate::ensure`] call this first.
    pub fn validate(&self) -> Result<(), FixtureError> {
        let invalid = |reason: String| FixtureError::InvalidSpec {
            name: self.name.clone(),
            reason,
        };
        let name_ok = !self.name.is_empty()
            && !self.name.starts_with('.')
            && self.name.bytes().all(|b| {
                b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.')
            });
        if !name_ok {
            return Err(invalid(
                "name must be non-empty, not start with '.', and use only a-z, 0-9, '-', '_', '.'"
                    .into(),
            ));
        }
        auralis_core::audio::check_sample_rate(self.sample_rate)
            .map_err(|e| invalid(e.to_string()))?;
        if !(self.seconds.is_finite() && self.seconds > 0.0 && self.seconds <= MAX_SECONDS) {
            return Err(invalid(format!(
                "seconds is {}; it must be in (0, {MAX_SECONDS}]",
                self.seconds
            )));
        }
        if self.frames() == 0 {
            return Err(invalid(format!(
                "{} s at {} Hz is less than one frame",
                self.seconds, self.sample_rate
            )));
        }
        if !(1..=MAX_CHANNELS).contains(&self.channels) {
            return Err(invalid(format!(
                "channels is {}; it must be 1..={MAX_CHANNELS}",
                self.channels
            )));
        }
        if !(self.tempo_bpm.is_finite() && TEMPO_RANGE_BPM.contains(&self.tempo_bpm)) {
            return Err(invalid(format!(
                "tempo is {} BPM; it must be in {}..={} BPM",
                self.tempo_bpm,
                TEMPO_RANGE_BPM.start(),
                TEMPO_RANGE_BPM.end()
            )));
        }
        Ok(())
    }
}

/// The lab's standard fixtures: `music-5s`, `music-30s`, `music-180s`.
pub fn standard() -> Vec<FixtureSpec> {
    vec![
        FixtureSpec::music("music-5s", 5.0),
        FixtureSpec::music("music-30s", 30.0),
        FixtureSpec::music("music-180s", 180.0),
    ]
}

/// The quick subset (CI gate): `music-5s`, `music-30s`.
pub fn quick() -> Vec<FixtureSpec> {
    standard().into_iter().take(2).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_specs_are_valid_and_named() {
        let names: Vec<String> = standard().into_iter().map(|s| s.name).collect();
        assert_eq!(names, ["music-5s", "music-30s", "music-180s"]);
        for spec in standard() {
            spec.validate().unwrap();
            assert_eq!(spec.channels, 2);
            assert_eq!(spec.sample_rate, 44_100);
        }
        assert_eq!(quick(), standard()[..2].to_vec());
        assert_eq!(standard()[2].frames(), 180 * 44_100);
    }

    #[test]
    fn invalid_specs_are_rejected_with_a_reason() {
        let good = FixtureSpec::music("x", 1.0);
        let cases: Vec<(FixtureSpec, &str)> = vec![
            (
                FixtureSpec {
                    name: "../evil".into(),
                    ..good.clone()
                },
                "name",
            ),
            (
                FixtureSpec {
                    name: "".into(),
                    ..good.clone()
                },
                "name",
            ),
            (
                FixtureSpec {
                    name: "Caps".into(),
                    ..good.clone()
                },
                "name",
            ),
            (
                FixtureSpec {
                    seconds: f64::NAN,
                    ..good.clone()
                },
                "seconds",
            ),
            (
                FixtureSpec {
                    seconds: -1.0,
                    ..good.clone()
                },
                "seconds",
            ),
            (
                FixtureSpec {
                    seconds: 1e9,
                    ..good.clone()
                },
                "seconds",
            ),
            (
                FixtureSpec {
                    seconds: 1e-9,
                    ..good.clone()
                },
                "frame",
            ),
            (
                FixtureSpec {
                    sample_rate: 1000,
                    ..good.clone()
                },
                "sample rate",
            ),
            (
                FixtureSpec {
                    channels: 0,
                    ..good.clone()
                },
                "channels",
            ),
            (
                FixtureSpec {
                    channels: 9,
                    ..good.clone()
                },
                "channels",
            ),
            (
                FixtureSpec {
                    tempo_bpm: 0.0,
                    ..good.clone()
                },
                "tempo",
            ),
            (
                FixtureSpec {
                    tempo_bpm: f64::INFINITY,
                    ..good.clone()
                },
                "tempo",
            ),
        ];
        for (spec, needle) in cases {
            let err = spec.validate().expect_err(needle).to_string();
            assert!(err.contains(needle), "`{needle}` not in `{err}`");
        }
    }
}
