//! The vectorized implementation: the reference's frame loop with every non-FFT step as a
//! SIMD kernel (runtime dispatch with `pulp`, so one binary uses AVX2 where the CPU has it and
//! scalar code elsewhere):
//!
//! * [`WindowMix`] — mean of the channels times the window, fused in one pass (the `1/C` of
//!   the mean is folded into the window, so no mono copy of the input is ever made);
//! * the real-FFT split fused with `|X_k|` ([`crate::packed`]);
//! * [`BandMeans`] — per-band sums of the magnitudes: bands are contiguous bin ranges, so a
//!   band sum is a range sum.
//!
//! Magnitudes and band sums are `f32` here (the reference uses `f64`): a band holds at most a
//! few thousand positive terms, so the relative error stays near 1e-6, two orders of magnitude
//! inside [`crate::BAND_LEVEL_TOLERANCE_DB`] (1e-3 dB ≈ 1.2e-4 relative).

use std::ops::Range;
use std::sync::Arc;

use auralis_core::Result;
use pulp::{Arch, Simd, WithSimd};

use crate::analysis::{run_sequential, Analysis, FrameLevels};
use crate::framing::periodic_hann;
use crate::result::SpectrumResult;
use auralis_fft::packed::{MagnitudePlan, MagnitudeWorkspace};

/// Analyses the whole file with the vectorized implementation.
pub(crate) fn analyze(ctx: &Analysis<'_>) -> Result<SpectrumResult> {
    let plan = VectorizedPlan::new(ctx);
    run_sequential(ctx, &mut plan.frames())
}

/// What all threads of a vectorized analysis share: the scaled window and the transform.
pub(crate) struct VectorizedPlan<'a> {
    ctx: &'a Analysis<'a>,
    /// Periodic Hann divided by the channel count: windowing and the channel mean in one
    /// multiply.
    scaled_window: Vec<f32>,
    transform: Arc<MagnitudePlan>,
    arch: Arch,
}

impl<'a> VectorizedPlan<'a> {
    pub fn new(ctx: &'a Analysis<'a>) -> Self {
        let channels = ctx.audio.num_channels() as f64;
        Self {
            scaled_window: periodic_hann(ctx.framing.fft_size)
                .into_iter()
                .map(|w| (w / channels) as f32)
                .collect(),
            transform: MagnitudePlan::shared(ctx.framing.fft_size),
            arch: Arch::new(),
            ctx,
        }
    }

    /// A per-thread frame source (allocates its buffers once).
    pub fn frames(&self) -> VectorizedFrames<'_> {
        VectorizedFrames {
            plan: self,
            transform: self.transform.workspace(),
            magnitudes: vec![0.0; self.transform.spectrum_len()],
            band_means: vec![0.0; self.ctx.bands()],
        }
    }
}

/// One thread's buffers for the vectorized frame computation.
pub(crate) struct VectorizedFrames<'p> {
    plan: &'p VectorizedPlan<'p>,
    transform: MagnitudeWorkspace<'p>,
    magnitudes: Vec<f32>,
    band_means: Vec<f32>,
}

impl FrameLevels for VectorizedFrames<'_> {
    fn frame_levels(&mut self, frame: usize, levels_db: &mut [f64]) -> Result<()> {
        let plan = self.plan;
        let ctx = plan.ctx;
        let (start, available) = ctx.framing.span(frame);
        let (frame_input, padding) = self.transform.input().split_at_mut(available);
        plan.arch.dispatch(WindowMix {
            channels: ctx.audio.channels(),
            start,
            window: &plan.scaled_window[..available],
            out: frame_input,
        });
        padding.fill(0.0);
        self.transform
            .magnitudes(plan.arch, &mut self.magnitudes)
            .map_err(crate::framing::fft_error)?;
        plan.arch.dispatch(BandMeans {
            magnitudes: &self.magnitudes,
            bins: &ctx.layout.bins,
            means: &mut self.band_means,
        });
        ctx.layout.weighted_levels_db(&self.band_means, levels_db);
        Ok(())
    }
}

/// `out[j] = window[j] · Σ_c channels[c][start + j]` for `j < out.len()`.
pub(crate) struct WindowMix<'a> {
    pub channels: &'a [Vec<f32>],
    pub start: usize,
    /// Already divided by the channel count.
    pub window: &'a [f32],
    pub out: &'a mut [f32],
}

impl WithSimd for WindowMix<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        let n = self.out.len();
        let range = self.start..self.start + n;
        let window = &self.window[..n];
        match self.channels {
            [mono] => mul_into(simd, window, &mono[range], self.out),
            [left, right] => {
                mul_sum_into(simd, window, &left[range.clone()], &right[range], self.out)
            }
            [first, rest @ ..] => {
                // Any other layout: accumulate the channels, then window. Three or more
                // channels are rare enough that the extra passes over a frame do not matter.
                self.out.copy_from_slice(&first[range.clone()]);
                for channel in rest {
                    add_into(simd, &channel[range.clone()], self.out);
                }
                scale_in_place(simd, window, self.out);
            }
            [] => self.out.fill(0.0), // unreachable: an AudioBuffer has at least one channel
        }
    }
}

#[inline(always)]
fn mul_into<S: Simd>(simd: S, a: &[f32], b: &[f32], out: &mut [f32]) {
    let (a_head, a_tail) = S::as_simd_f32s(a);
    let (b_head, b_tail) = S::as_simd_f32s(b);
    let (out_head, out_tail) = S::as_mut_simd_f32s(out);
    for ((o, &a), &b) in out_head.iter_mut().zip(a_head).zip(b_head) {
        *o = simd.mul_f32s(a, b);
    }
    for ((o, &a), &b) in out_tail.iter_mut().zip(a_tail).zip(b_tail) {
        *o = a * b;
    }
}

#[inline(always)]
fn mul_sum_into<S: Simd>(simd: S, w: &[f32], a: &[f32], b: &[f32], out: &mut [f32]) {
    let (w_head, w_tail) = S::as_simd_f32s(w);
    let (a_head, a_tail) = S::as_simd_f32s(a);
    let (b_head, b_tail) = S::as_simd_f32s(b);
    let (out_head, out_tail) = S::as_mut_simd_f32s(out);
    for (((o, &w), &a), &b) in out_head.iter_mut().zip(w_head).zip(a_head).zip(b_head) {
        *o = simd.mul_f32s(w, simd.add_f32s(a, b));
    }
    for (((o, &w), &a), &b) in out_tail.iter_mut().zip(w_tail).zip(a_tail).zip(b_tail) {
        *o = w * (a + b);
    }
}

#[inline(always)]
fn add_into<S: Simd>(simd: S, x: &[f32], out: &mut [f32]) {
    let (x_head, x_tail) = S::as_simd_f32s(x);
    let (out_head, out_tail) = S::as_mut_simd_f32s(out);
    for (o, &x) in out_head.iter_mut().zip(x_head) {
        *o = simd.add_f32s(*o, x);
    }
    for (o, &x) in out_tail.iter_mut().zip(x_tail) {
        *o += x;
    }
}

#[inline(always)]
fn scale_in_place<S: Simd>(simd: S, w: &[f32], out: &mut [f32]) {
    let (w_head, w_tail) = S::as_simd_f32s(w);
    let (out_head, out_tail) = S::as_mut_simd_f32s(out);
    for (o, &w) in out_head.iter_mut().zip(w_head) {
        *o = simd.mul_f32s(*o, w);
    }
    for (o, &w) in out_tail.iter_mut().zip(w_tail) {
        *o *= w;
    }
}

/// `means[i]` = mean of `magnitudes[bins[i]]` (0 for an empty band).
pub(crate) struct BandMeans<'a> {
    pub magnitudes: &'a [f32],
    pub bins: &'a [Range<usize>],
    pub means: &'a mut [f32],
}

impl WithSimd for BandMeans<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        for (mean, bins) in self.means.iter_mut().zip(self.bins) {
            let count = bins.len();
            if count == 0 {
                *mean = 0.0;
                continue;
            }
            let (head, tail) = S::as_simd_f32s(&self.magnitudes[bins.clone()]);
            let mut acc = simd.splat_f32s(0.0);
            for &m in head {
                acc = simd.add_f32s(acc, m);
            }
            let sum = simd.reduce_sum_f32s(acc) + tail.iter().sum::<f32>();
            *mean = sum / count as f32;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Small deterministic generator (xorshift) for kernel inputs.
    fn noise(n: usize, seed: u64) -> Vec<f32> {
        let mut s = seed | 1;
        (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                (s >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0
            })
            .collect()
    }

    #[test]
    fn band_means_match_scalar_sums_for_every_range_shape() {
        let magnitudes: Vec<f32> = noise(300, 1).iter().map(|x| x.abs() * 100.0).collect();
        // Empty, single-bin, shorter than a register, exactly one, unaligned, long ranges.
        let bins = vec![0..0, 5..6, 7..10, 16..32, 33..50, 50..299, 299..300];
        let mut means = vec![f32::NAN; bins.len()];
        Arch::new().dispatch(BandMeans {
            magnitudes: &magnitudes,
            bins: &bins,
            means: &mut means,
        });
        for (mean, r) in means.iter().zip(&bins) {
            let expected = if r.is_empty() {
                0.0
            } else {
                magnitudes[r.clone()]
                    .iter()
                    .map(|&m| f64::from(m))
                    .sum::<f64>()
                    / r.len() as f64
            };
            assert!(
                (f64::from(*mean) - expected).abs() <= 1e-6 * expected.max(1.0),
                "{r:?}: {mean} vs {expected}"
            );
        }
    }

    #[test]
    fn window_mix_matches_scalar_for_1_2_and_5_channels() {
        for channels in [1usize, 2, 5] {
            let audio: Vec<Vec<f32>> = (0..channels).map(|c| noise(200, 10 + c as u64)).collect();
            let window: Vec<f32> = noise(200, 99);
            for (start, n) in [(0, 200), (3, 101), (17, 0), (50, 150)] {
                let mut out = vec![f32::NAN; n];
                Arch::new().dispatch(WindowMix {
                    channels: &audio,
                    start,
                    window: &window[..n],
                    out: &mut out,
                });
                for (j, o) in out.iter().enumerate() {
                    let sum: f32 = audio.iter().map(|c| c[start + j]).sum();
                    let expected = window[j] * sum;
                    assert!(
                        (o - expected).abs() <= 1e-6,
                        "{channels} ch, j {j}: {o} vs {expected}"
                    );
                }
            }
        }
    }
}
