//! STFT framing shared by every implementation: how many frames, where each starts, the
//! window, and an FFT workspace whose buffers are allocated once and reused for every frame.

use std::sync::Arc;

use auralis_core::Error;
use realfft::RealToComplex;

use crate::settings::SpectrumSettings;

/// Where the frames of a signal of `len` samples lie.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Framing {
    /// Samples per frame (the FFT size).
    pub fft_size: usize,
    /// Samples between frame starts.
    pub hop: usize,
    /// Samples per channel in the signal.
    pub len: usize,
    /// Number of frames: `(len − fft)/hop + 1` full frames, or one zero-padded frame when the
    /// signal is shorter than a frame.
    pub frames: usize,
}

impl Framing {
    pub fn new(len: usize, settings: &SpectrumSettings) -> Self {
        let frames = if len < settings.fft_size {
            1
        } else {
            (len - settings.fft_size) / settings.hop + 1
        };
        Self {
            fft_size: settings.fft_size,
            hop: settings.hop,
            len,
            frames,
        }
    }

    /// First sample of `frame` and how many of its samples exist in the signal (the rest,
    /// only ever in the single frame of a short signal, are zero padding).
    pub fn span(&self, frame: usize) -> (usize, usize) {
        let start = frame * self.hop;
        (start, self.fft_size.min(self.len.saturating_sub(start)))
    }
}

pub(crate) use auralis_fft::periodic_hann;

/// The forward real FFT of `fft_size` points (planned once per process by `auralis-fft`;
/// the plan is shared between calls and threads).
pub(crate) fn plan_forward(fft_size: usize) -> Arc<dyn RealToComplex<f32>> {
    auralis_fft::real_forward(fft_size)
}

/// One thread's FFT buffers (`auralis-fft`'s, shared with the other stages).
pub(crate) use auralis_fft::RealWorkspace as FftWorkspace;

/// A failed transform as this crate's error (it only fails on buffer lengths, which come
/// from the plan).
pub(crate) fn fft_error(e: auralis_fft::FftError) -> Error {
    Error::Other(format!("spectrum: forward FFT failed: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn framing(len: usize) -> Framing {
        Framing::new(len, &SpectrumSettings::default())
    }

    #[test]
    fn frame_count_formula() {
        assert_eq!(framing(1).frames, 1);
        assert_eq!(framing(4095).frames, 1);
        assert_eq!(framing(4096).frames, 1);
        assert_eq!(framing(5119).frames, 1);
        assert_eq!(framing(5120).frames, 2);
        // 180 s at 44.1 kHz: 7748 frames of the channel mean (BASELINES.md's 15 496 counts
        // both stereo channels separately).
        assert_eq!(framing(180 * 44_100).frames, 7748);
    }

    #[test]
    fn spans_cover_full_frames_and_pad_short_input() {
        let f = framing(10_000);
        assert_eq!(f.span(0), (0, 4096));
        assert_eq!(f.span(f.frames - 1), (5 * 1024, 4096));
        assert_eq!(framing(100).span(0), (0, 100));
    }

    #[test]
    fn hann_is_periodic() {
        let w = periodic_hann(8);
        let expected = [
            0.0,
            0.146_446_6,
            0.5,
            0.853_553_4,
            1.0,
            0.853_553_4,
            0.5,
            0.146_446_6,
        ];
        for (a, b) in w.iter().zip(expected) {
            assert!((a - b).abs() < 1e-7, "{w:?}");
        }
    }
}
