//! The sequential reference: the definition every other implementation is held to.
//!
//! Written for clarity, one frame at a time: mix the channels, window, FFT, magnitudes, band
//! means. Mixing, windowing, magnitudes and band sums run in `f64` so the reference's own
//! rounding is negligible next to the tolerances; the FFT is realfft's `f32` real-to-complex
//! transform, used as is (the faster variants reorganise the transform, see `packed.rs`).

use auralis_core::Result;

use crate::analysis::{run_sequential, Analysis, FrameLevels};
use crate::framing::{periodic_hann, plan_forward, FftWorkspace};
use crate::result::SpectrumResult;

/// Analyses the whole file with the reference implementation.
pub(crate) fn analyze(ctx: &Analysis<'_>) -> Result<SpectrumResult> {
    run_sequential(ctx, &mut ReferenceFrames::new(ctx))
}

/// Per-frame state of the reference: the window and one FFT workspace.
pub(crate) struct ReferenceFrames<'a> {
    ctx: &'a Analysis<'a>,
    window: Vec<f64>,
    fft: FftWorkspace,
    magnitudes: Vec<f64>,
    band_means: Vec<f64>,
}

impl<'a> ReferenceFrames<'a> {
    pub fn new(ctx: &'a Analysis<'a>) -> Self {
        let fft = FftWorkspace::new(&plan_forward(ctx.framing.fft_size));
        Self {
            window: periodic_hann(ctx.framing.fft_size),
            magnitudes: vec![0.0; fft.spectrum.len()],
            band_means: vec![0.0; ctx.bands()],
            fft,
            ctx,
        }
    }

    /// `|X_k|` of frame `frame`: the mean of all channels, Hann-windowed, transformed.
    pub fn magnitudes(&mut self, frame: usize) -> Result<&[f64]> {
        let channels = self.ctx.audio.channels();
        let channel_count = channels.len() as f64;
        let (start, available) = self.ctx.framing.span(frame);
        for (j, (x, &w)) in self.fft.input.iter_mut().zip(&self.window).enumerate() {
            let mono = if j < available {
                channels
                    .iter()
                    .map(|c| f64::from(c[start + j]))
                    .sum::<f64>()
                    / channel_count
            } else {
                0.0 // zero padding of a signal shorter than one frame
            };
            *x = (mono * w) as f32;
        }
        self.fft.forward().map_err(crate::framing::fft_error)?;
        for (m, z) in self.magnitudes.iter_mut().zip(&self.fft.spectrum) {
            // In f64 the squares of f32 values can neither overflow nor underflow, so the
            // plain formula is exact to rounding (and ~10× faster than `hypot`).
            let (re, im) = (f64::from(z.re), f64::from(z.im));
            *m = (re * re + im * im).sqrt();
        }
        Ok(&self.magnitudes)
    }
}

impl FrameLevels for ReferenceFrames<'_> {
    fn frame_levels(&mut self, frame: usize, levels_db: &mut [f64]) -> Result<()> {
        self.magnitudes(frame)?;
        for (mean, bins) in self.band_means.iter_mut().zip(&self.ctx.layout.bins) {
            *mean = if bins.is_empty() {
                0.0 // floored to −200 dB below
            } else {
                self.magnitudes[bins.clone()].iter().sum::<f64>() / bins.len() as f64
            };
        }
        self.ctx
            .layout
            .weighted_levels_db(&self.band_means, levels_db);
        Ok(())
    }
}
