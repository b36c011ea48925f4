//! The true-peak meter's SIMD kernel: the interpolator of [`crate::truepeak`], evaluated for
//! eight (AVX2) or sixteen (AVX-512) consecutive positions at once in `f32`, as the `ebur128`
//! meter computes it (in `f32`).
//!
//! Lane `l` of a vector holds the interpolated value between samples `a + l` and `a + l + 1`;
//! each tap is one fused multiply-add of a broadcast coefficient with an unaligned load of the
//! input shifted by the tap's offset, so the input is read in place — no padded copy. The
//! first and last few positions, whose support reaches past the ends (zeros there), run a
//! scalar loop of the same sums. Against the `f64` definition the values differ by `f32`
//! rounding (< 10⁻⁶ relative, ≈ 10⁻⁵ dB): the stated tolerance of the true-peak reading.

use pulp::{Arch, Simd, WithSimd};

use crate::truepeak::{
    oversampling_for, taps, two_x_taps, SUPPORT_BEFORE, TRUE_PEAK_TAPS_PER_PHASE,
    TWO_X_SUPPORT_BEFORE, TWO_X_TAPS_PER_PHASE,
};

/// The true peak (linear) of one channel at `sample_rate`: 4× below 96 kHz, 2× below
/// 192 kHz, the sample peak above — as [`crate::truepeak::true_peak_channel_at`], in `f32`.
pub fn true_peak_channel_fast(samples: &[f32], sample_rate: u32) -> f64 {
    true_peak_range_fast(samples, sample_rate, 0..samples.len())
}

/// [`true_peak_channel_fast`] over the interpolation points between samples `range` (and
/// the samples themselves) only; the filter still reads the neighbours outside the range.
/// The maximum over ranges that cover `0..len` is the channel's true peak, bit for bit —
/// so a parallel caller can split a channel anywhere.
///
/// Quiet passages are skipped without changing the result: an interpolated value is at most
/// `Σ|h|` (the phase's absolute tap sum, ≈ 1.3) times the largest sample in its support, so
/// a block of samples whose neighbourhood's peak times that bound cannot beat the largest
/// value found so far cannot hold the maximum. Blocks are visited loudest first, so on music
/// most of them are skipped; the maximum of what remains is the maximum of everything.
pub fn true_peak_range_fast(
    samples: &[f32],
    sample_rate: u32,
    range: std::ops::Range<usize>,
) -> f64 {
    const BLOCK: usize = 1024;
    let factor = oversampling_for(sample_rate);
    let blocks: Vec<(usize, usize)> = (range.start..range.end)
        .step_by(BLOCK)
        .map(|b| (b, (b + BLOCK).min(range.end)))
        .collect();
    let maxima: Vec<f32> = blocks
        .iter()
        .map(|&(b, e)| Arch::new().dispatch(AbsMax(&samples[b..e])))
        .collect();
    let sample_peak = maxima.iter().copied().fold(0.0f32, f32::max);
    if factor == 1 || blocks.is_empty() {
        return f64::from(sample_peak);
    }
    // A block's points read up to 24 samples beyond it: bound them by the neighbours too,
    // and by the samples just outside the range.
    let outside = |from: usize, to: usize| {
        samples[from.min(samples.len())..to.min(samples.len())]
            .iter()
            .fold(0.0f32, |m, v| m.max(v.abs()))
    };
    let before = outside(range.start.saturating_sub(32), range.start);
    let after = outside(range.end, range.end + 32);
    // A block's support reaches 24 samples past it: the next block, and — when that one is
    // the last and may be shorter than 24 — the samples beyond the range too.
    let last = blocks.len() - 1;
    let neighbourhood: Vec<f32> = (0..blocks.len())
        .map(|j| {
            let left = if j == 0 { before } else { maxima[j - 1] };
            let right = match j {
                j if j == last => after,
                j if j + 1 == last => maxima[j + 1].max(after),
                _ => maxima[j + 1],
            };
            left.max(maxima[j]).max(right)
        })
        .collect();
    let (bound, peak_fn): (f32, &dyn Fn(isize, isize) -> f32) = match factor {
        4 => {
            let taps = four_x();
            (abs_sum_bound(&taps), &move |from, to| {
                Arch::new().dispatch(Interpolate::<TRUE_PEAK_TAPS_PER_PHASE, 3> {
                    taps: &taps,
                    before: SUPPORT_BEFORE,
                    x: samples,
                    from,
                    to,
                })
            })
        }
        _ => {
            let taps = two_x();
            (abs_sum_bound(&taps), &move |from, to| {
                Arch::new().dispatch(Interpolate::<TWO_X_TAPS_PER_PHASE, 1> {
                    taps: &taps,
                    before: TWO_X_SUPPORT_BEFORE,
                    x: samples,
                    from,
                    to,
                })
            })
        }
    };
    let mut order: Vec<usize> = (0..blocks.len()).collect();
    order.sort_by(|&a, &b| neighbourhood[b].total_cmp(&neighbourhood[a]));
    let mut peak = sample_peak;
    for j in order {
        if neighbourhood[j] * bound <= peak {
            break; // sorted: no later block can beat it either
        }
        let (b, e) = blocks[j];
        // Points between a and a + 1 for every a whose support touches the signal: the
        // first block also owns the points before the signal, the last those after.
        let from = if b == 0 { isize::MIN } else { b as isize };
        let to = if e == samples.len() {
            samples.len() as isize
        } else {
            e as isize
        };
        peak = peak.max(peak_fn(from, to));
    }
    f64::from(peak)
}

/// The largest absolute tap sum over the phases, rounded up with margin for `f32`
/// accumulation: no interpolated value exceeds it times the largest sample in its support.
fn abs_sum_bound<const TAPS: usize, const PHASES: usize>(taps: &[[f32; TAPS]; PHASES]) -> f32 {
    let sum = taps
        .iter()
        .map(|row| row.iter().map(|h| f64::from(h.abs())).sum::<f64>())
        .fold(0.0, f64::max);
    (sum * (1.0 + 1e-4)) as f32
}

fn four_x() -> [[f32; TRUE_PEAK_TAPS_PER_PHASE]; 3] {
    taps().map(|phase| phase.map(|h| h as f32))
}

fn two_x() -> [[f32; TWO_X_TAPS_PER_PHASE]; 1] {
    [two_x_taps().map(|h| h as f32)]
}

/// The sample peak `max |x|` of one channel (exact: a maximum has no rounding).
pub fn sample_peak_fast(samples: &[f32]) -> f64 {
    f64::from(Arch::new().dispatch(AbsMax(samples)))
}

struct AbsMax<'a>(&'a [f32]);

impl WithSimd for AbsMax<'_> {
    type Output = f32;
    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) -> f32 {
        let (head, tail) = S::as_simd_f32s(self.0);
        let mut m = simd.splat_f32s(0.0);
        for &v in head {
            m = simd.max_f32s(m, simd.abs_f32s(v));
        }
        tail.iter()
            .fold(simd.reduce_max_f32s(m), |acc, v| acc.max(v.abs()))
    }
}

/// The interpolated peak over positions `a ∈ [from, to)` (clamped to where the support
/// touches the signal), `TAPS` taps per phase, `PHASES` interpolated phases.
struct Interpolate<'a, const TAPS: usize, const PHASES: usize> {
    taps: &'a [[f32; TAPS]; PHASES],
    before: usize,
    x: &'a [f32],
    from: isize,
    to: isize,
}

impl<const TAPS: usize, const PHASES: usize> Interpolate<'_, TAPS, PHASES> {
    /// One position by the scalar sum, zeros outside the signal (the edges) — in exactly the
    /// vector lanes' order (two partial sums, even and odd taps, fused multiply-adds, then
    /// one add; a zero sample adds exactly nothing), so a point has the same bits whichever
    /// path computes it and a channel can be split anywhere.
    fn peak_at(&self, a: isize) -> f32 {
        let n = self.x.len() as isize;
        let sample = |i: usize| {
            let idx = a - self.before as isize + i as isize;
            if (0..n).contains(&idx) {
                self.x[idx as usize]
            } else {
                0.0
            }
        };
        let mut peak = 0.0f32;
        for row in self.taps {
            let mut even = row[0] * sample(0);
            let mut odd = row[1] * sample(1);
            let mut i = 2;
            while i + 1 < TAPS {
                even = row[i].mul_add(sample(i), even);
                odd = row[i + 1].mul_add(sample(i + 1), odd);
                i += 2;
            }
            peak = peak.max((even + odd).abs());
        }
        peak
    }
}

impl<const TAPS: usize, const PHASES: usize> WithSimd for Interpolate<'_, TAPS, PHASES> {
    type Output = f32;

    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) -> f32 {
        let x = self.x;
        let n = x.len() as isize;
        let before = self.before as isize;
        let lanes = S::F32_LANES;
        let first = self.from.max(-(TAPS as isize - before));
        let end = self.to.min(n);
        // Positions whose whole support (a − before … a − before + TAPS − 1) is inside.
        let inner_from = before.max(first);
        let inner_to = (n - TAPS as isize + before + 1).min(end);
        let mut peak = 0.0f32;
        let mut a = first;
        while a < inner_from.min(end) {
            peak = peak.max(self.peak_at(a));
            a += 1;
        }
        let h: [[S::f32s; TAPS]; PHASES] = self.taps.map(|row| row.map(|c| simd.splat_f32s(c)));
        let mut vmax = simd.splat_f32s(0.0);
        while a + lanes as isize <= inner_to {
            let base = (a - before) as usize;
            let window = &x[base..base + TAPS + lanes - 1];
            let xs: [S::f32s; TAPS] =
                std::array::from_fn(|i| S::as_simd_f32s(&window[i..i + lanes]).0[0]);
            const { assert!(TAPS % 2 == 0, "the two partial sums need an even tap count") };
            for row in &h {
                // Two partial sums (even and odd taps) halve the dependency chain.
                let mut even = simd.mul_f32s(row[0], xs[0]);
                let mut odd = simd.mul_f32s(row[1], xs[1]);
                let mut i = 2;
                while i + 1 < TAPS {
                    even = simd.mul_add_f32s(row[i], xs[i], even);
                    odd = simd.mul_add_f32s(row[i + 1], xs[i + 1], odd);
                    i += 2;
                }
                let v = simd.add_f32s(even, odd);
                vmax = simd.max_f32s(vmax, simd.abs_f32s(v));
            }
            a += lanes as isize;
        }
        peak = peak.max(simd.reduce_max_f32s(vmax));
        while a < end {
            peak = peak.max(self.peak_at(a));
            a += 1;
        }
        peak
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::truepeak::true_peak_channel_at;

    #[test]
    fn agrees_with_the_f64_definition() {
        let mut state = 0x1234_5678u32;
        let x: Vec<f32> = (0..10_007)
            .map(|i| {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                let noise = (state >> 8) as f32 / (1 << 24) as f32 - 0.5;
                0.7 * ((i as f32) * 1.9).sin() + 0.3 * noise
            })
            .collect();
        for rate in [44_100, 48_000, 96_000, 176_400, 192_000] {
            let exact = true_peak_channel_at(&x, rate);
            let fast = true_peak_channel_fast(&x, rate);
            assert!(
                ((fast - exact) / exact).abs() < 2e-6,
                "{rate}: {fast} vs {exact}"
            );
        }
        // Short inputs: everything is edge.
        for len in [1usize, 2, 5, 11, 12, 13, 30] {
            let x: Vec<f32> = (0..len).map(|i| (i as f32 * 0.7).sin() + 0.1).collect();
            let exact = true_peak_channel_at(&x, 48_000);
            let fast = true_peak_channel_fast(&x, 48_000);
            assert!(((fast - exact) / exact).abs() < 2e-6, "{len}");
        }
        assert_eq!(true_peak_channel_fast(&[], 48_000), 0.0);
        // Split anywhere, the ranges' maximum is the whole channel's, bit for bit.
        let x: Vec<f32> = (0..5000).map(|i| ((i * i) as f32 * 1e-4).sin()).collect();
        for rate in [48_000, 96_000] {
            let whole = true_peak_channel_fast(&x, rate);
            for cut in [1usize, 7, 13, 2500, 4990] {
                let split = true_peak_range_fast(&x, rate, 0..cut).max(true_peak_range_fast(
                    &x,
                    rate,
                    cut..x.len(),
                ));
                assert_eq!(split, whole, "{rate} cut {cut}");
            }
        }
    }
}
