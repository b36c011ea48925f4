//! Small numeric helpers: a fast, deterministic natural logarithm and Python's rounding.

/// `ln(x)` for positive normal `f32` values, within 2 ulp of the correctly rounded result
/// (tested), in plain arithmetic that LLVM vectorizes: `x = 2^e · m` with `m` folded into
/// `[√½, √2)`, then `ln m = 2·atanh(t)`, `t = (m−1)/(m+1)`, `|t| ≤ 0.172`, by its odd series
/// to `t⁹` (truncation below 4·10⁻¹⁰). `std`'s `ln` is a libm call per value, which does not
/// vectorize: it was half the time of the mel and flatness passes.
///
/// Callers clamp their input to a positive floor first (librosa's `amin`), so zero,
/// subnormal, negative and non-finite inputs do not occur; for them the result is garbage.
#[inline(always)]
pub fn fast_ln(x: f32) -> f32 {
    const LN_2: f32 = std::f32::consts::LN_2;
    let bits = x.to_bits();
    let mut e = ((bits >> 23) & 0xff) as i32 - 127;
    let mut m = f32::from_bits((bits & 0x007f_ffff) | 0x3f80_0000);
    // Fold [√2, 2) down to [√½, 1): the series converges fastest around m = 1.
    let high = m > std::f32::consts::SQRT_2;
    m = if high { m * 0.5 } else { m };
    e += i32::from(high);
    let t = (m - 1.0) / (m + 1.0);
    let t2 = t * t;
    let series = 1.0 + t2 * (1.0 / 3.0 + t2 * (1.0 / 5.0 + t2 * (1.0 / 7.0 + t2 * (1.0 / 9.0))));
    e as f32 * LN_2 + 2.0 * t * series
}

/// Rounds half to even, as Python's `round` (librosa's beat tracker rounds `frames_per_beat / 2`
/// with it).
pub fn round_half_even(x: f64) -> f64 {
    let r = x.round();
    if (x - x.trunc()).abs() == 0.5 && r % 2.0 != 0.0 {
        r - x.signum()
    } else {
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_ln_is_within_two_ulp() {
        let mut x = 1e-10f32;
        let mut worst = 0.0f64;
        while x < 1e12 {
            let exact = f64::from(x).ln();
            let got = f64::from(fast_ln(x));
            let ulp = f64::from(f32::EPSILON) * exact.abs().max(1.0);
            worst = worst.max((got - exact).abs() / ulp);
            x *= 1.000_37;
        }
        assert!(worst <= 2.0, "worst error {worst} ulp");
    }

    #[test]
    fn rounding_is_pythons() {
        for (x, r) in [
            (21.5, 22.0),
            (18.5, 18.0),
            (0.5, 0.0),
            (1.5, 2.0),
            (2.4, 2.0),
            (2.6, 3.0),
        ] {
            assert_eq!(round_half_even(x), r, "{x}");
        }
    }
}
