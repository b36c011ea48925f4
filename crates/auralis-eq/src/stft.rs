//! STFT geometry shared by every implementation: frame layout and padding, the sqrt-Hann
//! windows with the overlap-add normalisation folded in, per-bin gain layouts, and the real
//! FFT pair used by the reference and the streaming processor.
//!
//! # Frame layout
//!
//! Conceptually the input is padded with `lead = fft − hop` zeros in front (and zeros at the
//! end) and cut into frames starting every `hop` samples of the padded signal. The whole-file
//! output is the overlap-added result with the `lead` samples removed again, so it is
//! latency-compensated and has the input's length. In input coordinates frame `t` covers
//! samples `t·hop − lead .. t·hop − lead + fft` (reading zeros outside the input), and output
//! sample `i` is covered by exactly `fft / hop` frames — full overlap everywhere, including
//! the first and last samples.
//!
//! # Perfect reconstruction
//!
//! Analysis and synthesis windows are both periodic sqrt-Hann, `w[n] = sin(π n / N)`, so
//! their product is the periodic Hann window `sin²(π n / N)`. Shifted copies of the periodic
//! Hann window at hop `N/R` (R ≥ 2) sum to exactly `R/2` at every sample: the `cos` terms are
//! the R-th roots of unity rotated, which sum to zero. With the inverse FFT unnormalised (it
//! multiplies by `N`), the overlap-add gain is `N · R/2`; [`ola_gain`] computes it and the
//! synthesis window divides by it. For the allowed hops it is a power of two (8192 or 4096
//! at N = 4096), so the division is exact in `f32`.

use std::sync::Arc;

use auralis_core::{Error, Result};
use realfft::num_complex::Complex;
use realfft::{ComplexToReal, RealToComplex};

use crate::bands::GainCurve;
use crate::gains::EqGains;
use crate::settings::EqSettings;

/// Frame geometry of one settings value (assumed validated).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StftLayout {
    /// FFT (frame) size `N`.
    pub fft: usize,
    /// Frame advance `H`.
    pub hop: usize,
}

impl StftLayout {
    pub fn new(settings: &EqSettings) -> Self {
        StftLayout {
            fft: settings.fft_size,
            hop: settings.hop,
        }
    }

    /// Frames covering each sample, `R = N / H` (4 or 2).
    pub fn overlap(&self) -> usize {
        self.fft / self.hop
    }

    /// Zeros conceptually in front of the input, `N − H`: with them, the first output sample
    /// is covered by all `R` frames.
    pub fn lead(&self) -> usize {
        self.fft - self.hop
    }

    /// Frames needed so every one of `len ≥ 1` output samples gets full overlap:
    /// `⌊(len − 1)/H⌋ + R`.
    pub fn frame_count(&self, len: usize) -> usize {
        len.saturating_sub(1) / self.hop + self.overlap()
    }

    /// First sample of frame `t` in input/output coordinates (negative for the first `R − 1`
    /// frames, which start in the zero padding).
    pub fn frame_start(&self, t: usize) -> isize {
        (t * self.hop) as isize - self.lead() as isize
    }

    /// Length of the padded signal that holds all frames of a `len`-sample input.
    pub fn padded_len(&self, len: usize) -> usize {
        (self.frame_count(len) - 1) * self.hop + self.fft
    }
}

/// Overlap-add gain of the sqrt-Hann pair with an unnormalised inverse FFT: `N · N/(2H)`.
pub(crate) fn ola_gain(layout: &StftLayout) -> f64 {
    layout.fft as f64 * layout.overlap() as f64 / 2.0
}

/// The analysis window and the synthesis window with `1 / ola_gain` folded in.
#[derive(Debug, Clone)]
pub(crate) struct Windows {
    pub analysis: Vec<f32>,
    pub synthesis: Vec<f32>,
}

impl Windows {
    pub fn new(layout: &StftLayout) -> Self {
        let n = layout.fft;
        let scale = 1.0 / ola_gain(layout);
        // sin(πk/N) is sqrt(0.5 − 0.5·cos(2πk/N)) without the cancellation near k = 0.
        let sqrt_hann = |k: usize| (std::f64::consts::PI * k as f64 / n as f64).sin();
        Windows {
            analysis: (0..n).map(|k| sqrt_hann(k) as f32).collect(),
            synthesis: (0..n).map(|k| (sqrt_hann(k) * scale) as f32).collect(),
        }
    }
}

/// Linear gain of each real-FFT bin, duplicated for the real and imaginary parts so a
/// spectrum viewed as `[re0, im0, re1, im1, …]` can be scaled by a plain element-wise
/// product: `N + 2` values.
pub(crate) fn fill_half_spectrum_gains(
    gains: &EqGains,
    sample_rate: u32,
    fft: usize,
    out: &mut [f32],
) {
    let curve = GainCurve::new(gains);
    let bin_hz = f64::from(sample_rate) / fft as f64;
    for (k, pair) in out.chunks_exact_mut(2).enumerate() {
        let g = curve.bin_gain(k as f64 * bin_hz);
        pair[0] = g;
        pair[1] = g;
    }
}

/// Like [`fill_half_spectrum_gains`] for a full complex spectrum of `N` bins (`2N` values):
/// bin `N − k` gets bin `k`'s gain. The exact symmetry keeps the filter's impulse response
/// real, which is what lets two real frames share one complex FFT without leaking into each
/// other.
pub(crate) fn fill_full_spectrum_gains(
    gains: &EqGains,
    sample_rate: u32,
    fft: usize,
    out: &mut [f32],
) {
    let curve = GainCurve::new(gains);
    let bin_hz = f64::from(sample_rate) / fft as f64;
    for (k, pair) in out.chunks_exact_mut(2).enumerate() {
        let mirrored = if k <= fft / 2 { k } else { fft - k };
        let g = curve.bin_gain(mirrored as f64 * bin_hz);
        pair[0] = g;
        pair[1] = g;
    }
}

/// A forward/inverse real FFT pair of one size with its buffers, reused for every frame.
pub(crate) struct RealFft {
    forward: Arc<dyn RealToComplex<f32>>,
    inverse: Arc<dyn ComplexToReal<f32>>,
    /// Time-domain frame: windowed input before the forward transform, filtered frame after
    /// the inverse.
    pub time: Vec<f32>,
    /// `N/2 + 1` bins.
    pub spectrum: Vec<Complex<f32>>,
    scratch: Vec<Complex<f32>>,
}

impl RealFft {
    pub fn new(fft: usize) -> Self {
        let forward = auralis_fft::real_forward(fft);
        let inverse = auralis_fft::real_inverse(fft);
        let scratch_len = forward.get_scratch_len().max(inverse.get_scratch_len());
        RealFft {
            time: forward.make_input_vec(),
            spectrum: forward.make_output_vec(),
            scratch: vec![Complex::new(0.0, 0.0); scratch_len],
            forward,
            inverse,
        }
    }

    /// `spectrum ← FFT(time)`; `time` is used as scratch by `realfft` and left undefined.
    pub fn forward(&mut self) -> Result<()> {
        self.forward
            .process_with_scratch(&mut self.time, &mut self.spectrum, &mut self.scratch)
            .map_err(fft_error)
    }

    /// `time ← IFFT(spectrum)` (unnormalised); `spectrum` is left undefined.
    ///
    /// The DC and Nyquist bins of a real signal's spectrum are real. They already are here
    /// (the forward transform writes exact zeros and gains are real), but `realfft` reports an
    /// error for any non-zero imaginary part there, so they are cleared explicitly.
    pub fn inverse(&mut self) -> Result<()> {
        if let Some(dc) = self.spectrum.first_mut() {
            dc.im = 0.0;
        }
        if let Some(nyquist) = self.spectrum.last_mut() {
            nyquist.im = 0.0;
        }
        self.inverse
            .process_with_scratch(&mut self.spectrum, &mut self.time, &mut self.scratch)
            .map_err(fft_error)
    }
}

fn fft_error(e: realfft::FftError) -> Error {
    Error::Other(format!("internal FFT error: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(fft: usize, hop: usize) -> StftLayout {
        StftLayout { fft, hop }
    }

    #[test]
    fn ola_gain_matches_the_summed_window_products() {
        for (fft, hop) in [(4096, 1024), (4096, 2048), (256, 64), (512, 256)] {
            let l = layout(fft, hop);
            let w = Windows::new(&l);
            for n in 0..hop {
                // Sum of analysis × synthesis over every frame covering a sample, in f64.
                let sum: f64 = (0..l.overlap())
                    .map(|k| {
                        f64::from(w.analysis[n + k * hop]) * f64::from(w.synthesis[n + k * hop])
                    })
                    .sum();
                // × N undoes the synthesis scale's FFT part: the result must be exactly 1
                // up to the f32 rounding of the windows.
                let reconstructed = sum * fft as f64;
                assert!(
                    (reconstructed - 1.0).abs() < 1e-6,
                    "N={fft} H={hop} n={n}: {reconstructed}"
                );
            }
            assert_eq!(ola_gain(&l), fft as f64 * (fft / hop) as f64 / 2.0);
        }
    }

    #[test]
    fn synthesis_scale_is_a_power_of_two() {
        for hop in [1024, 2048] {
            let l = layout(4096, hop);
            let g = ola_gain(&l);
            assert_eq!(g.log2().fract(), 0.0, "{g}");
            let w = Windows::new(&l);
            for (a, s) in w.analysis.iter().zip(&w.synthesis) {
                assert_eq!(f64::from(*a) / g, f64::from(*s));
            }
        }
    }

    #[test]
    fn windows_are_periodic_sqrt_hann() {
        let w = Windows::new(&layout(4096, 1024));
        assert_eq!(w.analysis[0], 0.0);
        assert_eq!(w.analysis[2048], 1.0);
        // Periodic, not symmetric: w[k] = w[N − k], and w[N−1] ≠ 0.
        for k in 1..4096 {
            assert_eq!(w.analysis[k], w.analysis[4096 - k]);
        }
        let hann_1 = (0.5 - 0.5 * (2.0 * std::f64::consts::PI / 4096.0).cos()).sqrt();
        assert!((f64::from(w.analysis[1]) - hann_1).abs() < 1e-9);
    }

    #[test]
    fn layout_gives_every_sample_full_overlap() {
        for (fft, hop) in [(4096, 1024), (4096, 2048), (256, 64)] {
            let l = layout(fft, hop);
            for len in [1, 2, hop - 1, hop, hop + 1, fft, 3 * fft + 17] {
                let frames = l.frame_count(len);
                for i in 0..len as isize {
                    let covering = (0..frames)
                        .filter(|&t| {
                            let s = l.frame_start(t);
                            s <= i && i < s + fft as isize
                        })
                        .count();
                    assert_eq!(covering, l.overlap(), "len {len} sample {i}");
                }
                // And no frame is wasted: the last one covers the last sample.
                assert!(l.frame_start(frames - 1) < len as isize);
                let padded_end = l.frame_start(frames - 1) + fft as isize + l.lead() as isize;
                assert_eq!(padded_end as usize, l.padded_len(len));
            }
        }
    }

    #[test]
    fn full_spectrum_gains_are_mirror_symmetric() {
        let gains = EqGains::preset("bright").unwrap();
        let mut full = vec![0.0; 2 * 256];
        fill_full_spectrum_gains(&gains, 44_100, 256, &mut full);
        let mut half = vec![0.0; 256 + 2];
        fill_half_spectrum_gains(&gains, 44_100, 256, &mut half);
        for k in 0..256 {
            assert_eq!(full[2 * k], full[2 * k + 1]);
            assert_eq!(full[2 * k], full[2 * ((256 - k) % 256)], "bin {k}");
        }
        assert_eq!(&full[..half.len()], &half[..]);
        assert_ne!(full[2], full[2 * 100]);
    }
}
