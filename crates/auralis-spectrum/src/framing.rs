//! STFT framing shared by every implementation: how many frames, where each starts, the
//! window, and an FFT workspace whose buffers are allocated once and reused for every frame.

use std::sync::Arc;

use auralis_core::{Error, Result};
use realfft::num_complex::Complex32;
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

/// The periodic Hann window `0.5 − 0.5·cos(2πj/N)`, `j = 0..N`.
///
/// Periodic (DFT-even), not symmetric: this is `scipy.signal.get_window("hann", N)`, which is
/// what librosa's `stft` uses, so per-frame magnitudes can be checked against librosa (the
/// external check in STAGES.md). `numpy.hanning` would be the symmetric one (`/(N−1)`).
pub(crate) fn periodic_hann(n: usize) -> Vec<f64> {
    let step = std::f64::consts::TAU / n as f64;
    (0..n)
        .map(|j| 0.5 - 0.5 * (step * j as f64).cos())
        .collect()
}

/// The forward real FFT of `fft_size` points (planned once per process by `auralis-fft`;
/// the plan is shared between calls and threads).
pub(crate) fn plan_forward(fft_size: usize) -> Arc<dyn RealToComplex<f32>> {
    auralis_fft::real_forward(fft_size)
}

/// One thread's FFT buffers: fill [`FftWorkspace::input`], call
/// [`FftWorkspace::forward`], read [`FftWorkspace::spectrum`]. Nothing allocates per frame.
pub(crate) struct FftWorkspace {
    fft: Arc<dyn RealToComplex<f32>>,
    /// The windowed frame; the transform uses it as scratch, so refill it every frame.
    pub input: Vec<f32>,
    /// `N/2 + 1` bins of the unnormalised forward transform (numpy `rfft` convention).
    pub spectrum: Vec<Complex32>,
    scratch: Vec<Complex32>,
}

impl FftWorkspace {
    pub fn new(fft: &Arc<dyn RealToComplex<f32>>) -> Self {
        Self {
            input: fft.make_input_vec(),
            spectrum: fft.make_output_vec(),
            scratch: fft.make_scratch_vec(),
            fft: Arc::clone(fft),
        }
    }

    /// Transforms `input` (destroying it) into `spectrum`.
    pub fn forward(&mut self) -> Result<()> {
        self.fft
            .process_with_scratch(&mut self.input, &mut self.spectrum, &mut self.scratch)
            .map_err(|e| Error::Other(format!("spectrum: forward FFT failed: {e}")))
    }
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
