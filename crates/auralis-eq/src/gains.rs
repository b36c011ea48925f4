//! Band gains: validated, clipped, with named presets and a text form for the command line.

use auralis_core::{Error, Result};
use serde::{Deserialize, Serialize};

use crate::bands::{BAND_EDGES_HZ, NUM_BANDS};

/// Largest boost or cut per band, in dB. Larger requests are clipped (not rejected): a
/// mastering EQ moves tonal balance, it is not a notch filter.
pub const MAX_GAIN_DB: f32 = 12.0;

/// Gain in dB for each of the 25 Bark bands, finite and within ±[`MAX_GAIN_DB`].
///
/// Serialised as a plain array of 25 numbers; deserialising validates and clips exactly like
/// [`EqGains::new`], so a settings file cannot smuggle in a 40 dB band.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Vec<f32>", into = "Vec<f32>")]
pub struct EqGains([f32; NUM_BANDS]);

/// The named presets, in the order they are documented in [`EqGains::preset`].
pub const PRESET_NAMES: [&str; 4] = ["flat", "warm", "bright", "balanced"];

/// +2 dB of low-end weight easing off by 500 Hz; the top rolls off gently to −2 dB.
const WARM: [f32; NUM_BANDS] = [
    2.0, 2.0, 1.5, 1.0, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -0.5, -0.5,
    -1.0, -1.0, -1.5, -1.5, -2.0, -2.0, -2.0,
];

/// Slightly leaner lows (−1 dB under 100 Hz); presence and air rise to +3 dB above 9.5 kHz.
const BRIGHT: [f32; NUM_BANDS] = [
    -1.0, -0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5, 0.5, 1.0, 1.0,
    1.5, 2.0, 2.0, 2.5, 3.0, 3.0, 3.0,
];

/// A mild "smile": +1.5 dB sub-bass, −1 dB of low-mid mud (400–630 Hz), −0.5 dB around the
/// harsh 2.3–3.2 kHz region, +1.5 dB of air.
const BALANCED: [f32; NUM_BANDS] = [
    1.5, 1.0, 0.0, -0.5, -1.0, -1.0, -0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -0.5, -0.5, 0.0, 0.0,
    0.5, 1.0, 1.0, 1.5, 1.5, 1.5, 1.0,
];

impl EqGains {
    /// Validates `gains_db` (exactly 25 finite values) and clips each to ±12 dB.
    pub fn new(gains_db: &[f32]) -> Result<Self> {
        if gains_db.len() != NUM_BANDS {
            return Err(Error::param(
                "gains",
                format!(
                    "expected {NUM_BANDS} band gains (one per Bark band), got {}",
                    gains_db.len()
                ),
            ));
        }
        let mut gains = [0.0; NUM_BANDS];
        for (band, (out, &g)) in gains.iter_mut().zip(gains_db).enumerate() {
            if !g.is_finite() {
                return Err(Error::param(
                    "gains",
                    format!(
                        "{} is {g}; gains must be finite numbers of dB",
                        describe_band(band)
                    ),
                ));
            }
            *out = g.clamp(-MAX_GAIN_DB, MAX_GAIN_DB);
        }
        Ok(EqGains(gains))
    }

    /// 0 dB on every band: the EQ reproduces its input.
    pub fn flat() -> Self {
        EqGains([0.0; NUM_BANDS])
    }

    /// A named preset (case-insensitive), all small, musical tilts of at most ±3 dB:
    ///
    /// * `flat` — 0 dB everywhere;
    /// * `warm` — +2 dB below 200 Hz easing to 0 by 510 Hz, gently darker top (−2 dB above
    ///   9.5 kHz);
    /// * `bright` — −1 dB below 100 Hz, rising presence and air to +3 dB above 9.5 kHz;
    /// * `balanced` — a mild smile: +1.5 dB sub-bass, −1 dB low-mid mud, −0.5 dB harshness
    ///   at 2.3–3.2 kHz, +1.5 dB air.
    pub fn preset(name: &str) -> Result<Self> {
        let table = match name.trim().to_ascii_lowercase().as_str() {
            "flat" => [0.0; NUM_BANDS],
            "warm" => WARM,
            "bright" => BRIGHT,
            "balanced" => BALANCED,
            _ => {
                return Err(Error::param(
                    "preset",
                    format!(
                        "unknown EQ preset `{name}`; expected one of {}",
                        PRESET_NAMES.join(", ")
                    ),
                ))
            }
        };
        Ok(EqGains(table))
    }

    /// Parses the command-line form: exactly 25 comma-separated numbers of dB, e.g.
    /// `"0,0,3,0,…"` (whitespace around numbers is allowed).
    pub fn parse(text: &str) -> Result<Self> {
        if text.trim().is_empty() {
            return Err(Error::param(
                "gains",
                format!("empty gain list; expected {NUM_BANDS} comma-separated numbers of dB"),
            ));
        }
        let mut gains = [0.0f32; NUM_BANDS];
        let mut count = 0;
        for (index, field) in text.split(',').enumerate() {
            let value: f32 = field.trim().parse().map_err(|_| {
                Error::param(
                    "gains",
                    if index < NUM_BANDS {
                        format!(
                            "{} (`{}`) is not a number of dB",
                            describe_band(index),
                            field.trim()
                        )
                    } else {
                        format!(
                            "value {} (`{}`) is not a number of dB",
                            index + 1,
                            field.trim()
                        )
                    },
                )
            })?;
            if let Some(slot) = gains.get_mut(index) {
                *slot = value;
            }
            count += 1;
        }
        if count != NUM_BANDS {
            return Err(Error::param(
                "gains",
                format!("expected {NUM_BANDS} comma-separated band gains, got {count}"),
            ));
        }
        Self::new(&gains)
    }

    /// Like [`EqGains::parse`], and also returns the values that were beyond ±12 dB and
    /// clipped (as given), so that a command line can say so.
    pub fn parse_noting_clipped(text: &str) -> Result<(Self, Vec<f32>)> {
        let gains = Self::parse(text)?;
        let clipped = text
            .split(',')
            .filter_map(|f| f.trim().parse::<f32>().ok())
            .filter(|g| g.abs() > MAX_GAIN_DB)
            .collect();
        Ok((gains, clipped))
    }

    /// The 25 gains in dB, band 0 first.
    pub fn as_slice(&self) -> &[f32] {
        &self.0
    }

    /// The 25 gains in dB as an array.
    pub fn as_array(&self) -> [f32; NUM_BANDS] {
        self.0
    }

    /// The gains the lab benchmarks with (`balanced`).
    pub(crate) fn bench_default() -> Self {
        EqGains(BALANCED)
    }

    /// True when every band is at 0 dB.
    pub fn is_flat(&self) -> bool {
        self.0.iter().all(|&g| g == 0.0)
    }
}

impl Default for EqGains {
    fn default() -> Self {
        Self::flat()
    }
}

impl TryFrom<Vec<f32>> for EqGains {
    type Error = Error;
    fn try_from(gains: Vec<f32>) -> Result<Self> {
        Self::new(&gains)
    }
}

impl From<EqGains> for Vec<f32> {
    fn from(gains: EqGains) -> Self {
        gains.0.to_vec()
    }
}

/// How messages name a band: the position a user typed it at (1-based, as in a
/// comma-separated list) and its frequency range, so the 0-based index of the code never
/// shows.
fn describe_band(index: usize) -> String {
    format!(
        "value {} of {NUM_BANDS} (band {:.0}–{:.0} Hz)",
        index + 1,
        BAND_EDGES_HZ[index],
        BAND_EDGES_HZ[index + 1]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_param_error(result: Result<EqGains>, name: &str) -> bool {
        matches!(result, Err(Error::InvalidParameter { name: n, .. }) if n == name)
    }

    #[test]
    fn new_clips_and_validates() {
        let mut g = [0.0f32; NUM_BANDS];
        g[0] = 20.0;
        g[1] = -30.0;
        g[2] = 11.5;
        let gains = EqGains::new(&g).unwrap();
        assert_eq!(&gains.as_slice()[..3], &[12.0, -12.0, 11.5]);
        for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
            g[7] = bad;
            assert!(is_param_error(EqGains::new(&g), "gains"));
        }
        assert!(is_param_error(EqGains::new(&[0.0; 24]), "gains"));
        assert!(is_param_error(EqGains::new(&[0.0; 26]), "gains"));
        assert!(is_param_error(EqGains::new(&[]), "gains"));
    }

    #[test]
    fn presets_are_small_distinct_tilts() {
        assert!(EqGains::preset("flat").unwrap().is_flat());
        let mut seen = Vec::new();
        for name in PRESET_NAMES {
            let p = EqGains::preset(name).unwrap();
            assert!(p.as_slice().iter().all(|g| g.abs() <= 3.0), "{name}");
            assert!(!seen.contains(&p), "{name} duplicates another preset");
            seen.push(p);
        }
        for name in ["warm", "bright", "balanced"] {
            assert!(!EqGains::preset(name).unwrap().is_flat(), "{name}");
        }
        assert_eq!(
            EqGains::preset(" Warm ").unwrap(),
            EqGains::preset("warm").unwrap()
        );
        assert!(is_param_error(EqGains::preset("loud"), "preset"));
        assert!(is_param_error(EqGains::preset(""), "preset"));
    }

    #[test]
    fn parse_round_trips_and_rejects_bad_text() {
        let text = (0..NUM_BANDS)
            .map(|b| format!("{}", b as f32 * 0.5 - 6.0))
            .collect::<Vec<_>>()
            .join(", ");
        let gains = EqGains::parse(&text).unwrap();
        assert_eq!(gains.as_slice()[0], -6.0);
        assert_eq!(gains.as_slice()[24], 6.0);
        let zeros = vec!["0"; NUM_BANDS].join(",");
        assert!(EqGains::parse(&zeros).unwrap().is_flat());

        let mut with_nan = vec!["0"; NUM_BANDS];
        with_nan[3] = "NaN";
        let mut with_inf = vec!["0"; NUM_BANDS];
        with_inf[3] = "inf";
        let mut with_word = vec!["0"; NUM_BANDS];
        with_word[3] = "loud";
        for bad in [
            String::new(),
            "   ".to_string(),
            vec!["0"; 24].join(","),
            vec!["0"; 26].join(","),
            format!("{zeros},"),
            with_nan.join(","),
            with_inf.join(","),
            with_word.join(","),
        ] {
            assert!(is_param_error(EqGains::parse(&bad), "gains"), "`{bad}`");
        }
    }

    #[test]
    fn serde_validates_and_clips() {
        let gains = EqGains::preset("bright").unwrap();
        let json = serde_json::to_string(&gains).unwrap();
        assert!(json.starts_with('['), "{json}");
        assert_eq!(serde_json::from_str::<EqGains>(&json).unwrap(), gains);
        let loud = format!("[40{}]", ",0".repeat(NUM_BANDS - 1));
        let clipped: EqGains = serde_json::from_str(&loud).unwrap();
        assert_eq!(clipped.as_slice()[0], 12.0);
        assert!(serde_json::from_str::<EqGains>("[1, 2]").is_err());
    }
}
