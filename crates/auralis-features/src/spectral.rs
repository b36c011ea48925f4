//! Per-frame spectral features from a frame's power spectrum `P_k = |X_k|²`, with librosa's
//! definitions (`librosa.feature.spectral_*` with their defaults, on the same frames):
//!
//! * centroid `Σ f_k·|X_k| / Σ |X_k|` — librosa weights by the magnitude (its `power=1`
//!   spectrogram), not the power; 0 for a silent frame;
//! * rolloff: the lowest `f_k` at which the cumulative magnitude reaches 85 % of the total
//!   (`roll_percent=0.85`; 0 Hz for a silent frame);
//! * flatness `exp(mean ln P̃_k) / mean P̃_k` with `P̃_k = max(P_k, 10⁻¹⁰)` — on the power
//!   (`power=2.0`, `amin=1e-10`); 1 for a silent frame;
//!
//! over all `N/2 + 1` bins, `f_k = k·sr/N`. STAGES.md says "from the linear power spectrum";
//! librosa, whose numbers users compare with, uses the magnitude for centroid and rolloff,
//! and so do we.
//!
//! [`reference`] is the formula, term by term, in `f64`; [`Fast`] is the vectorized
//! variant's (SIMD square roots and sums in `f32` lanes, a vectorizable logarithm).

use pulp::{Arch, Simd, WithSimd};

use crate::math::fast_ln;

/// librosa's `amin` for the flatness.
pub const FLATNESS_FLOOR: f32 = 1e-10;

/// Centroid (Hz), rolloff (Hz) and flatness of one frame.
pub type Spectral = [f32; 3];

/// The definitions above, summed in order in `f64` (`std`'s `ln`).
pub fn reference(power: &[f32], bin_hz: f64, rolloff_fraction: f64) -> Spectral {
    let magnitude = |p: f32| f64::from(p.sqrt());
    let total: f64 = power.iter().map(|&p| magnitude(p)).sum();
    let weighted: f64 = power
        .iter()
        .enumerate()
        .map(|(k, &p)| k as f64 * bin_hz * magnitude(p))
        .sum();
    let centroid = if total > 0.0 { weighted / total } else { 0.0 };
    let threshold = rolloff_fraction * total;
    let mut cumulative = 0.0;
    let mut rolloff_bin = power.len() - 1;
    for (k, &p) in power.iter().enumerate() {
        cumulative += magnitude(p);
        if cumulative >= threshold {
            rolloff_bin = k;
            break;
        }
    }
    let n = power.len() as f64;
    let floored = |p: f32| f64::from(p.max(FLATNESS_FLOOR));
    let log_mean = power.iter().map(|&p| floored(p).ln()).sum::<f64>() / n;
    let mean = power.iter().map(|&p| floored(p)).sum::<f64>() / n;
    [
        centroid as f32,
        (rolloff_bin as f64 * bin_hz) as f32,
        (log_mean.exp() / mean) as f32,
    ]
}

/// Bins per partial sum of the magnitude in [`Fast`]: the rolloff is found block by block,
/// then bin by bin inside the one block where the cumulative sum crosses the threshold.
const BLOCK: usize = 32;

/// The vectorized variant's per-frame feature computation, with its scratch (reused for
/// every frame of a run: nothing is allocated per frame).
pub struct Fast {
    arch: Arch,
    magnitude: Vec<f32>,
    blocks: Vec<f64>,
}

impl Fast {
    pub fn new(bins: usize) -> Self {
        Self {
            arch: Arch::new(),
            magnitude: vec![0.0; bins],
            blocks: vec![0.0; bins.div_ceil(BLOCK)],
        }
    }

    /// The same three numbers as [`reference`], within the stage's tolerances: sums in `f32`
    /// lanes (per block of 32 bins, then in `f64`), logarithms by [`fast_ln`].
    pub fn compute(&mut self, power: &[f32], bin_hz: f64, rolloff_fraction: f64) -> Spectral {
        let arch = self.arch;
        arch.dispatch(Compute {
            fast: self,
            power,
            bin_hz,
            rolloff_fraction,
        })
    }

    /// The body of [`Fast::compute`], inlined into the dispatched kernel.
    #[inline(always)]
    fn compute_inline<S: Simd>(
        &mut self,
        simd: S,
        power: &[f32],
        bin_hz: f64,
        rolloff_fraction: f64,
    ) -> Spectral {
        let n = power.len();
        let sums = Sums {
            power,
            magnitude: &mut self.magnitude[..n],
        }
        .with_simd(simd);
        let log_sum = log_sum(power);
        let mut total = 0.0f64;
        for (b, c) in self
            .blocks
            .iter_mut()
            .zip(self.magnitude[..n].chunks(BLOCK))
        {
            *b = f64::from(lane_sum(c));
            total += *b;
        }
        let centroid = if total > 0.0 {
            sums.weighted * bin_hz / total
        } else {
            0.0
        };
        // Rolloff: the block where the cumulative sum reaches the threshold, then the bin.
        let threshold = rolloff_fraction * total;
        let mut cumulative = 0.0f64;
        let mut rolloff_bin = n - 1;
        'blocks: for (b, &block_sum) in self.blocks.iter().enumerate() {
            if cumulative + block_sum >= threshold {
                for (i, &m) in self.magnitude[b * BLOCK..n.min((b + 1) * BLOCK)]
                    .iter()
                    .enumerate()
                {
                    cumulative += f64::from(m);
                    if cumulative >= threshold {
                        rolloff_bin = b * BLOCK + i;
                        break 'blocks;
                    }
                }
                // Rounding put the crossing past this block's last bin: it is the last bin.
                rolloff_bin = n.min((b + 1) * BLOCK) - 1;
                break;
            }
            cumulative += block_sum;
        }
        let count = n as f64;
        let flatness = (log_sum / count).exp() / (sums.floored / count);
        [
            centroid as f32,
            (rolloff_bin as f64 * bin_hz) as f32,
            flatness as f32,
        ]
    }
}

struct Compute<'a, 'b> {
    fast: &'a mut Fast,
    power: &'b [f32],
    bin_hz: f64,
    rolloff_fraction: f64,
}

impl WithSimd for Compute<'_, '_> {
    type Output = Spectral;
    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) -> Spectral {
        self.fast
            .compute_inline(simd, self.power, self.bin_hz, self.rolloff_fraction)
    }
}

/// Mantissas multiplied per lane before one logarithm is taken: 16 factors in `[1, 2)` stay
/// below 2¹⁶, far from `f32`'s range, and cost one rounding each (≈ 10⁻⁶ relative in the
/// product, 10⁻⁶ absolute in its logarithm).
const PRODUCT_RUN: usize = 16;

/// `Σ ln max(P_k, 10⁻¹⁰)` with one logarithm per 16 values: `x = 2^e·m`, so the sum is
/// `ln 2 · Σ e + ln Π m`; the exponents add exactly as integers, the mantissas multiply in
/// eight lanes. (A logarithm per bin was a fifth of the vectorized variant's time.)
#[inline(always)]
fn log_sum(power: &[f32]) -> f64 {
    let mut exponents = [0i32; 8];
    let mut products = [1.0f32; 8];
    let mut logs = 0.0f64;
    let split = |p: f32| {
        let bits = p.max(FLATNESS_FLOOR).to_bits();
        (
            ((bits >> 23) & 0xff) as i32 - 127,
            f32::from_bits((bits & 0x007f_ffff) | 0x3f80_0000),
        )
    };
    let runs = power.chunks_exact(8 * PRODUCT_RUN);
    let rest = runs.remainder();
    for run in runs {
        for c in run.chunks_exact(8) {
            for l in 0..8 {
                let (e, m) = split(c[l]);
                exponents[l] += e;
                products[l] *= m;
            }
        }
        for p in &mut products {
            logs += f64::from(fast_ln(*p));
            *p = 1.0;
        }
    }
    let mut exponent_sum: i64 = exponents.iter().map(|&e| i64::from(e)).sum();
    for &p in rest {
        let (e, m) = split(p);
        exponent_sum += i64::from(e);
        logs += f64::from(fast_ln(m));
    }
    exponent_sum as f64 * std::f64::consts::LN_2 + logs
}

/// Sum of a short slice in eight independent `f32` lanes (vectorized by LLVM: the lanes are
/// separate accumulators, so no reassociation is needed), then the lanes in order.
#[inline(always)]
fn lane_sum(x: &[f32]) -> f32 {
    let mut lanes = [0.0f32; 8];
    let chunks = x.chunks_exact(8);
    let rest = chunks.remainder();
    for c in chunks {
        for (l, v) in lanes.iter_mut().zip(c) {
            *l += v;
        }
    }
    lanes.iter().sum::<f32>() + rest.iter().sum::<f32>()
}

struct SumsOut {
    /// `Σ k·|X_k|` (the centroid's numerator, in bins).
    weighted: f64,
    /// `Σ max(P_k, 10⁻¹⁰)`.
    floored: f64,
}

/// One SIMD pass: `|X_k| = √P_k` into the scratch, and the two sums.
struct Sums<'a> {
    power: &'a [f32],
    magnitude: &'a mut [f32],
}

impl WithSimd for Sums<'_> {
    type Output = SumsOut;

    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) -> SumsOut {
        let (p_head, p_tail) = S::as_simd_f32s(self.power);
        let (m_head, m_tail) = S::as_mut_simd_f32s(self.magnitude);
        let lanes = S::F32_LANES;
        let mut index = [0.0f32; 16];
        for (i, v) in index.iter_mut().enumerate().take(lanes) {
            *v = i as f32;
        }
        let mut k = simd.partial_load_f32s(&index[..lanes]);
        let step = simd.splat_f32s(lanes as f32);
        let floor = simd.splat_f32s(FLATNESS_FLOOR);
        let mut weighted = simd.splat_f32s(0.0);
        let mut floored = simd.splat_f32s(0.0);
        for (&p, m) in p_head.iter().zip(m_head.iter_mut()) {
            let mag = simd.sqrt_f32s(p);
            *m = mag;
            weighted = simd.add_f32s(weighted, simd.mul_f32s(k, mag));
            floored = simd.add_f32s(floored, simd.max_f32s(p, floor));
            k = simd.add_f32s(k, step);
        }
        let mut weighted_sum = f64::from(simd.reduce_sum_f32s(weighted));
        let mut floored_sum = f64::from(simd.reduce_sum_f32s(floored));
        let offset = p_head.len() * lanes;
        for (i, (&p, m)) in p_tail.iter().zip(m_tail.iter_mut()).enumerate() {
            *m = p.sqrt();
            weighted_sum += (offset + i) as f64 * f64::from(*m);
            floored_sum += f64::from(p.max(FLATNESS_FLOOR));
        }
        SumsOut {
            weighted: weighted_sum,
            floored: floored_sum,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spectrum(seed: u64, n: usize) -> Vec<f32> {
        let mut s = seed;
        (0..n)
            .map(|k| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let u = (s >> 40) as f32 / (1u64 << 24) as f32;
                // A falling spectrum with a few empty bins.
                if k % 97 == 5 {
                    0.0
                } else {
                    u * 1e4 / (1.0 + k as f32)
                }
            })
            .collect()
    }

    #[test]
    fn fast_equals_reference_within_tolerance() {
        let mut fast = Fast::new(1025);
        for seed in 0..50 {
            let p = spectrum(seed, 1025);
            let r = reference(&p, 21.533, 0.85);
            let f = fast.compute(&p, 21.533, 0.85);
            assert!((r[0] - f[0]).abs() <= 1e-4 * r[0], "{r:?} {f:?}");
            assert!((r[1] - f[1]).abs() <= 21.54, "{r:?} {f:?}");
            assert!((r[2] - f[2]).abs() <= 1e-4 * r[2], "{r:?} {f:?}");
        }
    }

    #[test]
    fn silent_frame_has_librosas_values() {
        let p = vec![0.0f32; 1025];
        assert_eq!(reference(&p, 21.5, 0.85), [0.0, 0.0, 1.0]);
        assert_eq!(Fast::new(1025).compute(&p, 21.5, 0.85), [0.0, 0.0, 1.0]);
    }
}
