//! EQ settings: band gains plus the STFT geometry.

use auralis_core::{Error, Result};
use serde::{Deserialize, Serialize};

use crate::gains::EqGains;

/// Default FFT size: 4096 points (≈ 10.8 Hz bins at 44.1 kHz, fine enough for the 100 Hz
/// wide low bands).
pub const DEFAULT_FFT_SIZE: usize = 4096;
/// Default hop: a quarter frame (75 % overlap).
pub const DEFAULT_HOP: usize = 1024;

/// Smallest FFT size accepted. Below this the lowest Bark bands (100 Hz wide) are narrower
/// than a bin even at 8 kHz and the curve would be meaningless.
pub const MIN_FFT_SIZE: usize = 256;
/// Largest FFT size accepted (≈ 1.5 s frames at 44.1 kHz; beyond that pre-echo dominates).
pub const MAX_FFT_SIZE: usize = 65_536;

/// Band gains and STFT geometry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EqSettings {
    /// Gain per Bark band.
    pub gains: EqGains,
    /// FFT (frame) size: a power of two in [`MIN_FFT_SIZE`]`..=`[`MAX_FFT_SIZE`].
    pub fft_size: usize,
    /// Frame advance: `fft_size / 4` (75 % overlap) or `fft_size / 2` (50 %, half the cost).
    /// With sqrt-Hann analysis and synthesis windows both reconstruct perfectly.
    pub hop: usize,
}

impl Default for EqSettings {
    fn default() -> Self {
        EqSettings {
            gains: EqGains::flat(),
            fft_size: DEFAULT_FFT_SIZE,
            hop: DEFAULT_HOP,
        }
    }
}

impl EqSettings {
    /// Default geometry with the given gains.
    pub fn with_gains(gains: EqGains) -> Self {
        EqSettings {
            gains,
            ..Self::default()
        }
    }

    /// Checks the geometry. Only `hop = fft/4` and `hop = fft/2` are accepted: those are the
    /// overlaps at which periodic sqrt-Hann windows sum to a constant (2 and 1 respectively)
    /// and which the lab measures; other overlaps are either not perfect-reconstruction
    /// (e.g. `fft/3`) or cost more for no benefit to a static EQ (`fft/8`).
    pub fn validate(&self) -> Result<()> {
        let n = self.fft_size;
        if !n.is_power_of_two() || !(MIN_FFT_SIZE..=MAX_FFT_SIZE).contains(&n) {
            return Err(Error::param(
                "fft_size",
                format!("{n} is not a power of two in {MIN_FFT_SIZE}..={MAX_FFT_SIZE}"),
            ));
        }
        if self.hop != n / 4 && self.hop != n / 2 {
            return Err(Error::param(
                "hop",
                format!(
                    "{} is not fft_size/4 ({}) or fft_size/2 ({}); only those overlaps reconstruct \
                     perfectly with sqrt-Hann windows",
                    self.hop,
                    n / 4,
                    n / 2
                ),
            ));
        }
        // Gains need no check here: `EqGains` can only be built (or deserialised) through
        // `EqGains::new`, which already rejects non-finite values and clips to ±12 dB.
        Ok(())
    }

    /// Latency of the low-latency streaming processor in frames: `fft_size − 1` (the default,
    /// packed stream waits one hop more; see [`crate::StreamMode`]).
    ///
    /// Why not `fft_size − hop`: that is the delay of a block processor whose buffers are
    /// aligned to the hop. A processor that accepts chunks of *any* size (down to one sample)
    /// and must reproduce the whole-file output exactly has to wait for the last sample of the
    /// frame that starts one sample before an output sample (the synthesis window is zero only
    /// at its first sample), i.e. `fft_size − 2` samples into the future; the frame is
    /// computed when its last sample arrives, which makes the delay `fft_size − 1`. See
    /// `tests/stream.rs::whole_file_output_depends_on_input_fft_minus_two_ahead`.
    pub fn latency_frames(&self) -> usize {
        self.fft_size - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_4096_by_1024_flat() {
        let s = EqSettings::default();
        assert_eq!((s.fft_size, s.hop), (4096, 1024));
        assert!(s.gains.is_flat());
        assert!(s.validate().is_ok());
        assert_eq!(s.latency_frames(), 4095);
    }

    #[test]
    fn accepts_quarter_and_half_hops_only() {
        let ok = |fft_size, hop| {
            EqSettings {
                fft_size,
                hop,
                ..EqSettings::default()
            }
            .validate()
        };
        assert!(ok(4096, 1024).is_ok());
        assert!(ok(4096, 2048).is_ok());
        assert!(ok(256, 64).is_ok());
        assert!(ok(65_536, 16_384).is_ok());
        for (n, h) in [
            (4096, 512),
            (4096, 4096),
            (4096, 1000),
            (4096, 0),
            (4096, 3072),
            (4000, 1000),
            (128, 32),
            (131_072, 32_768),
            (0, 0),
        ] {
            assert!(
                matches!(ok(n, h), Err(Error::InvalidParameter { .. })),
                "({n}, {h}) accepted"
            );
        }
    }
}
