//! What the analysis is asked to do, checked once before any work starts.

use std::fmt;
use std::str::FromStr;

use auralis_core::{Error, Result};
use serde::{Deserialize, Serialize};

/// Frequency weighting applied to each band level (in dB, at the band centre).
///
/// Every curve is normalised so that its maximum over all frequencies is 0 dB
/// (see [`crate::bands::weighting_db`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Weighting {
    /// IEC 61672 A-weighting: the ear's sensitivity at moderate levels.
    #[default]
    A,
    /// IEC 61672 C-weighting: nearly flat, rolls off only at the extremes.
    C,
    /// No weighting (0 dB everywhere).
    Z,
}

impl Weighting {
    /// Every weighting, in declaration order.
    pub const ALL: [Weighting; 3] = [Weighting::A, Weighting::C, Weighting::Z];

    /// The one-letter name used on the command line and in reports.
    pub fn letter(self) -> &'static str {
        match self {
            Weighting::A => "A",
            Weighting::C => "C",
            Weighting::Z => "Z",
        }
    }
}

impl fmt::Display for Weighting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.letter())
    }
}

impl FromStr for Weighting {
    type Err = Error;

    /// Accepts `a`, `c` or `z` in either case.
    fn from_str(s: &str) -> Result<Self> {
        Weighting::ALL
            .into_iter()
            .find(|w| w.letter().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| Error::param("weighting", format!("`{s}` is not one of a, c, z")))
    }
}

/// Parameters of the spectrum analysis. The defaults are the lab's definition (STAGES.md §1).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SpectrumSettings {
    /// FFT size in samples (frame length). Any length is accepted (realfft handles
    /// non-powers of two); 4096 is the definition.
    pub fft_size: usize,
    /// Samples between the starts of consecutive frames; 1024 (75 % overlap) by default.
    pub hop: usize,
    /// Number of log-spaced bands between 20 Hz and 20 kHz.
    pub bands: usize,
    /// Frequency weighting added to each band level.
    pub weighting: Weighting,
    /// Temporal smoothing factor `a` of `s_t = a·s_{t-1} + (1−a)·x_t`, in `[0, 1)`.
    pub smoothing: f32,
}

impl Default for SpectrumSettings {
    fn default() -> Self {
        Self {
            fft_size: 4096,
            hop: 1024,
            bands: 64,
            weighting: Weighting::A,
            smoothing: 0.8,
        }
    }
}

impl SpectrumSettings {
    /// Smallest accepted FFT size: below this a frame cannot resolve even the 20 Hz – 20 kHz
    /// range coarsely, and the naive-DFT tests cover everything from here up.
    pub const MIN_FFT_SIZE: usize = 16;
    /// Largest accepted FFT size (≈ 5.9 s at 44.1 kHz): bounds the per-thread buffers so a typo
    /// cannot ask for gigabytes.
    pub const MAX_FFT_SIZE: usize = 1 << 18;
    /// Fewest bands: log spacing needs two end points (20 Hz and 20 kHz).
    pub const MIN_BANDS: usize = 2;
    /// Most bands: far finer than any FFT size here can populate, and it bounds the per-frame
    /// work of the feature pass.
    pub const MAX_BANDS: usize = 4096;

    /// Checks every parameter; the error names the offending one and what would be accepted.
    pub fn validate(&self) -> Result<()> {
        if !(Self::MIN_FFT_SIZE..=Self::MAX_FFT_SIZE).contains(&self.fft_size) {
            return Err(Error::param(
                "fft_size",
                format!(
                    "{} is outside {}..={}",
                    self.fft_size,
                    Self::MIN_FFT_SIZE,
                    Self::MAX_FFT_SIZE
                ),
            ));
        }
        if self.hop == 0 || self.hop > self.fft_size {
            return Err(Error::param(
                "hop",
                format!(
                    "{} must be at least 1 and at most fft_size ({}); a larger hop would skip samples",
                    self.hop, self.fft_size
                ),
            ));
        }
        if !(Self::MIN_BANDS..=Self::MAX_BANDS).contains(&self.bands) {
            return Err(Error::param(
                "bands",
                format!(
                    "{} is outside {}..={}",
                    self.bands,
                    Self::MIN_BANDS,
                    Self::MAX_BANDS
                ),
            ));
        }
        if !(0.0..1.0).contains(&self.smoothing) {
            return Err(Error::param(
                "smoothing",
                format!(
                    "{} must be in [0, 1): 1 would freeze the first frame forever",
                    self.smoothing
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rejected(settings: SpectrumSettings, name: &str) {
        match settings.validate() {
            Err(Error::InvalidParameter { name: got, .. }) => assert_eq!(got, name),
            other => panic!("expected InvalidParameter({name}), got {other:?}"),
        }
    }

    #[test]
    fn defaults_are_the_definition_and_valid() {
        let s = SpectrumSettings::default();
        assert_eq!((s.fft_size, s.hop, s.bands), (4096, 1024, 64));
        assert_eq!(s.weighting, Weighting::A);
        assert_eq!(s.smoothing, 0.8);
        assert!(s.validate().is_ok());
    }

    #[test]
    fn invalid_settings_are_typed_errors() {
        let d = SpectrumSettings::default;
        rejected(SpectrumSettings { fft_size: 0, ..d() }, "fft_size");
        rejected(SpectrumSettings { fft_size: 8, ..d() }, "fft_size");
        rejected(
            SpectrumSettings {
                fft_size: SpectrumSettings::MAX_FFT_SIZE + 1,
                ..d()
            },
            "fft_size",
        );
        rejected(SpectrumSettings { hop: 0, ..d() }, "hop");
        rejected(SpectrumSettings { hop: 4097, ..d() }, "hop");
        rejected(SpectrumSettings { bands: 1, ..d() }, "bands");
        rejected(SpectrumSettings { bands: 0, ..d() }, "bands");
        rejected(
            SpectrumSettings {
                smoothing: 1.0,
                ..d()
            },
            "smoothing",
        );
        rejected(
            SpectrumSettings {
                smoothing: -0.1,
                ..d()
            },
            "smoothing",
        );
        rejected(
            SpectrumSettings {
                smoothing: f32::NAN,
                ..d()
            },
            "smoothing",
        );
    }

    #[test]
    fn edge_values_are_accepted() {
        let d = SpectrumSettings::default;
        for s in [
            SpectrumSettings { hop: 4096, ..d() },
            SpectrumSettings { hop: 1, ..d() },
            SpectrumSettings {
                fft_size: 100,
                hop: 30,
                ..d()
            },
            SpectrumSettings {
                smoothing: 0.0,
                ..d()
            },
            SpectrumSettings { bands: 2, ..d() },
        ] {
            assert!(s.validate().is_ok(), "{s:?}");
        }
    }

    #[test]
    fn weighting_parses_case_insensitively() {
        assert_eq!("a".parse::<Weighting>().unwrap(), Weighting::A);
        assert_eq!("C".parse::<Weighting>().unwrap(), Weighting::C);
        assert_eq!(" z ".parse::<Weighting>().unwrap(), Weighting::Z);
        assert!(matches!(
            "b".parse::<Weighting>(),
            Err(Error::InvalidParameter {
                name: "weighting",
                ..
            })
        ));
        for w in Weighting::ALL {
            assert_eq!(w.to_string().parse::<Weighting>().unwrap(), w);
        }
    }
}
