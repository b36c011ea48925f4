//! Bounded-error `log2` / `exp2` for the vectorized kernels, generic over `pulp::Simd`.
//!
//! The standard library's `log10`/`powf` cost tens of nanoseconds per call; the stage has a
//! budget of about 3 ns per frame for the whole chain. These kernels use only add, multiply,
//! divide and bit manipulation, so they vectorize, and their error is small and *bounded*
//! (tested below against `f64` over the whole range the stage uses):
//!
//! * [`log2`]: `x = 2^k·m` with `m ∈ [√½, √2)`, then `log2 m = (2/ln 2)·atanh(t)` with
//!   `t = (m−1)/(m+1)`, `|t| ≤ 0.1716`, as the odd series through `t⁹`. Truncation error
//!   `< 1.1·10⁻⁹`; with `f32` rounding the absolute error is below `3·10⁻⁷ + 2⁻²³·|log2 x|`,
//!   i.e. below `2·10⁻⁶ dB + 2·10⁻⁷·|L|` for a level `L` in dB relative to the threshold.
//! * [`exp2`]: `y = n + f`, `f ∈ [−½, ½]`, `2^f` by its Taylor series through `f⁷`
//!   (truncation `< 6·10⁻⁹` relative), `2^n` added to the exponent bits. Relative error
//!   below `4·10⁻⁷` for `y ∈ [−125, 125]`, i.e. `< 4·10⁻⁶ dB`; inputs are clamped to that
//!   range (gains below −750 dB are indistinguishable from silence anyway).
//!
//! The stage tolerance is `1e-5 dB` on the gain trajectory; the kernels use less than a
//! fifth of it, and the recurrence is non-expansive, so the error does not accumulate.

use pulp::Simd;

/// `log2(10)/20`: multiply a level in dB by this to get a power of two.
pub(crate) const LOG2_10_OVER_20: f32 = 0.166_096_4;
/// `20/log2(10) = 20·log10(2)`: multiply a `log2` by this to get dB.
pub(crate) const DB_PER_LOG2: f32 = 6.020_6;

const SQRT2_BITS: u32 = 0x3FB5_04F3;
const MANTISSA_MASK: u32 = 0x007F_FFFF;
const ONE_BITS: u32 = 0x3F80_0000;
/// `2²³` as float bits; OR-ing a small integer into its mantissa gives `2²³ + n` exactly.
const TWO_POW_23_BITS: u32 = 0x4B00_0000;

// 2/(k·ln 2) for k = 1, 3, 5, 7, 9.
const L1: f32 = 2.885_39;
const L3: f32 = 0.961_796_7;
const L5: f32 = 0.577_078;
const L7: f32 = 0.412_198_6;
const L9: f32 = 0.320_598_9;

// ln(2)^k / k! for k = 1..7.
const E1: f32 = std::f32::consts::LN_2;
const E2: f32 = 0.240_226_5;
const E3: f32 = 0.055_504_11;
const E4: f32 = 0.009_618_129;
const E5: f32 = 0.001_333_355_8;
const E6: f32 = 0.000_154_035_3;
const E7: f32 = 0.000_015_252_73;

/// `log2(x)` for positive, normal `x` (other lanes give finite garbage, never NaN traps).
#[inline(always)]
pub(crate) fn log2<S: Simd>(simd: S, x: S::f32s) -> S::f32s {
    let bits = simd.transmute_u32s_f32s(x);
    let mut exponent = simd.wrapping_dyn_shr_u32s(bits, simd.splat_u32s(23));
    let mut mantissa = simd.or_u32s(
        simd.and_u32s(bits, simd.splat_u32s(MANTISSA_MASK)),
        simd.splat_u32s(ONE_BITS),
    );
    // Centre the mantissa on 1: m ∈ [√½, √2) keeps |t| small.
    let above = simd.greater_than_u32s(mantissa, simd.splat_u32s(SQRT2_BITS));
    mantissa = simd.select_u32s(
        above,
        simd.sub_u32s(mantissa, simd.splat_u32s(0x0080_0000)),
        mantissa,
    );
    exponent = simd.select_u32s(above, simd.add_u32s(exponent, simd.splat_u32s(1)), exponent);
    let m = simd.transmute_f32s_u32s(mantissa);
    let one = simd.splat_f32s(1.0);
    let t = simd.div_f32s(simd.sub_f32s(m, one), simd.add_f32s(m, one));
    let t2 = simd.mul_f32s(t, t);
    let mut p = simd.splat_f32s(L9);
    p = simd.mul_add_e_f32s(p, t2, simd.splat_f32s(L7));
    p = simd.mul_add_e_f32s(p, t2, simd.splat_f32s(L5));
    p = simd.mul_add_e_f32s(p, t2, simd.splat_f32s(L3));
    p = simd.mul_add_e_f32s(p, t2, simd.splat_f32s(L1));
    // Biased exponent as float, exactly: (2²³ + e) − (2²³ + 127).
    let e = simd.sub_f32s(
        simd.transmute_f32s_u32s(simd.or_u32s(exponent, simd.splat_u32s(TWO_POW_23_BITS))),
        simd.splat_f32s(8_388_735.0),
    );
    simd.mul_add_e_f32s(p, t, e)
}

/// `2^y`, with `y` clamped to `[−125, 125]`.
#[inline(always)]
pub(crate) fn exp2<S: Simd>(simd: S, y: S::f32s) -> S::f32s {
    let y = simd.min_f32s(
        simd.max_f32s(y, simd.splat_f32s(-125.0)),
        simd.splat_f32s(125.0),
    );
    // Adding 1.5·2²³ rounds to an integer and leaves it in the low mantissa bits.
    let magic = simd.splat_f32s(12_582_912.0);
    let shifted = simd.add_f32s(y, magic);
    let n = simd.sub_u32s(
        simd.transmute_u32s_f32s(shifted),
        simd.transmute_u32s_f32s(magic),
    );
    let f = simd.sub_f32s(y, simd.sub_f32s(shifted, magic));
    let mut p = simd.splat_f32s(E7);
    p = simd.mul_add_e_f32s(p, f, simd.splat_f32s(E6));
    p = simd.mul_add_e_f32s(p, f, simd.splat_f32s(E5));
    p = simd.mul_add_e_f32s(p, f, simd.splat_f32s(E4));
    p = simd.mul_add_e_f32s(p, f, simd.splat_f32s(E3));
    p = simd.mul_add_e_f32s(p, f, simd.splat_f32s(E2));
    p = simd.mul_add_e_f32s(p, f, simd.splat_f32s(E1));
    p = simd.mul_add_e_f32s(p, f, simd.splat_f32s(1.0));
    let scale = simd.wrapping_dyn_shl_u32s(n, simd.splat_u32s(23));
    simd.transmute_f32s_u32s(simd.add_u32s(simd.transmute_u32s_f32s(p), scale))
}

/// Scalar [`log2`] (same algorithm, one lane).
#[inline]
pub(crate) fn log2_scalar(x: f32) -> f32 {
    log2(pulp::Scalar::new(), x)
}

/// Scalar [`exp2`] (same algorithm, one lane).
#[cfg(test)]
pub(crate) fn exp2_scalar(y: f32) -> f32 {
    exp2(pulp::Scalar::new(), y)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Log2All<'a>(&'a [f32], &'a mut [f32]);
    impl pulp::WithSimd for Log2All<'_> {
        type Output = ();
        fn with_simd<S: Simd>(self, simd: S) {
            let (xs, xt) = S::as_simd_f32s(self.0);
            let (ys, yt) = S::as_mut_simd_f32s(self.1);
            for (x, y) in xs.iter().zip(ys.iter_mut()) {
                *y = log2(simd, *x);
            }
            for (x, y) in xt.iter().zip(yt.iter_mut()) {
                *y = log2_scalar(*x);
            }
        }
    }

    /// Log-spaced test points over `[lo, hi]` plus the mantissa edges that matter.
    fn points(lo: f64, hi: f64, n: usize) -> Vec<f32> {
        let mut v: Vec<f32> = (0..n)
            .map(|i| (lo.ln() + (hi.ln() - lo.ln()) * i as f64 / (n - 1) as f64).exp() as f32)
            .collect();
        v.extend([
            1.0,
            std::f32::consts::SQRT_2,
            f32::from_bits(SQRT2_BITS),
            f32::from_bits(SQRT2_BITS + 1),
            0.5,
            2.0,
        ]);
        v
    }

    #[test]
    fn log2_error_is_bounded() {
        let xs = points(1e-30, 1e30, 200_001);
        let mut ys = vec![0.0; xs.len()];
        pulp::Arch::new().dispatch(Log2All(&xs, &mut ys));
        let mut worst = 0.0f64;
        for (&x, &y) in xs.iter().zip(&ys) {
            let exact = f64::from(x).log2();
            let bound = 3e-7 + exact.abs() * 2f64.powi(-23);
            let err = (f64::from(y) - exact).abs();
            assert!(err <= bound, "log2({x}) = {y}, exact {exact}");
            worst = worst.max(err / bound);
        }
        assert!(
            worst > 0.01,
            "test points should exercise the bound ({worst})"
        );
        assert_eq!(log2_scalar(1.0), 0.0);
        assert_eq!(log2_scalar(0.25), -2.0);
    }

    #[test]
    fn log2_in_db_is_well_within_the_stage_tolerance_near_the_threshold() {
        // Levels within ±60 dB of a threshold → ratios 1e-3..1e3.
        for &x in &points(1e-3, 1e3, 100_001) {
            let exact_db = 20.0 * f64::from(x).log10();
            let db = f64::from(DB_PER_LOG2 * log2_scalar(x));
            // Absolute part from the polynomial, relative part from f32 scaling.
            assert!(
                (db - exact_db).abs() < 2e-6 + 2e-7 * exact_db.abs(),
                "{x}: {db} vs {exact_db}"
            );
        }
        // The dB conversion constant itself is accurate to < 2e-7 relative.
        assert!((f64::from(DB_PER_LOG2) / (20.0 * 2f64.log10()) - 1.0).abs() < 2e-7);
        assert!((f64::from(LOG2_10_OVER_20) / (10f64.log2() / 20.0) - 1.0).abs() < 2e-7);
    }

    #[test]
    fn exp2_error_is_bounded() {
        let mut worst = 0.0f64;
        for i in 0..=500_000 {
            let y = -125.0 + 250.0 * f64::from(i) / 500_000.0;
            let y32 = y as f32;
            let got = f64::from(exp2_scalar(y32));
            let exact = f64::from(y32).exp2();
            let rel = (got / exact - 1.0).abs();
            assert!(rel < 4e-7, "exp2({y32}) = {got}, exact {exact}");
            worst = worst.max(rel);
        }
        assert!(worst > 1e-8);
        assert_eq!(exp2_scalar(0.0), 1.0);
        assert_eq!(exp2_scalar(-3.0), 0.125);
        // Clamped, never zero, infinite or NaN.
        assert!(exp2_scalar(-1e9) > 0.0 && exp2_scalar(1e9).is_finite());
    }
}
