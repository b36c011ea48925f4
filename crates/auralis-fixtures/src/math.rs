//! Deterministic `sin`, `cos` and `exp` in plain `f64` arithmetic.
//!
//! `f64::sin` and friends call the platform's libm, and libms differ in the last bit between
//! glibc, musl, macOS and Windows. One differing bit in one oscillator coefficient changes
//! the fixture's bytes and its SHA-256, so the recipe computes every transcendental value
//! with the functions below instead: range reduction plus a fixed polynomial, using only
//! `+ − × ÷` and `round`, which IEEE 754 defines exactly and Rust never contracts into FMAs.
//! Accuracy is a few ulp — far below anything audible, and identical everywhere.

use std::f64::consts::LN_2;

/// `π/2` split in two so that `k·PIO2_HI` is exact for `|k| < 2²⁰` (fdlibm's `pio2_1` and
/// `pio2_1t`, given by their bits: 1.570796326734125614 and 6.077100506506192e-11).
const PIO2_HI: f64 = f64::from_bits(0x3FF9_21FB_5440_0000);
const PIO2_LO: f64 = f64::from_bits(0x3DD0_B461_1A62_6331);
/// `ln 2` split the same way (fdlibm's `ln2_hi`, `ln2_lo`: 0.6931471803691238 and
/// 1.9082149292705877e-10).
const LN2_HI: f64 = f64::from_bits(0x3FE6_2E42_FEE0_0000);
const LN2_LO: f64 = f64::from_bits(0x3DEA_39EF_3579_3C76);

/// `(sin x, cos x)`. Accurate to a few ulp for `|x| < 10⁵`, plenty for oscillator phases.
pub fn sin_cos(x: f64) -> (f64, f64) {
    let k = (x * std::f64::consts::FRAC_2_PI).round();
    let r = (x - k * PIO2_HI) - k * PIO2_LO;
    let (s, c) = sin_cos_reduced(r);
    match (k as i64).rem_euclid(4) {
        0 => (s, c),
        1 => (c, -s),
        2 => (-s, -c),
        _ => (-c, s),
    }
}

/// Taylor series on `|r| ≤ π/4`, where the first omitted terms are below 10⁻¹⁶.
fn sin_cos_reduced(r: f64) -> (f64, f64) {
    let r2 = r * r;
    let mut s = 0.0;
    let mut c = 0.0;
    // Horner, highest order first.
    for n in (0..TAYLOR_TERMS).rev() {
        s = s * r2 + SIN_COEFFS[n];
        c = c * r2 + COS_COEFFS[n];
    }
    (s * r, c)
}

const TAYLOR_TERMS: usize = 9;
/// `(−1)ⁿ/(2n+1)!`, the Taylor coefficients of `sin r / r` in `r²`.
const SIN_COEFFS: [f64; TAYLOR_TERMS] = alternating_inverse_factorials(1);
/// `(−1)ⁿ/(2n)!`, the Taylor coefficients of `cos r` in `r²`.
const COS_COEFFS: [f64; TAYLOR_TERMS] = alternating_inverse_factorials(0);
/// `1/n!` for `n = 0..=13`, the Taylor coefficients of `eʳ`.
const EXP_COEFFS: [f64; 14] = inverse_factorials();

/// `(−1)ⁿ/(2n+offset)!` for `n = 0..TAYLOR_TERMS`, evaluated at compile time.
const fn alternating_inverse_factorials(offset: u32) -> [f64; TAYLOR_TERMS] {
    let mut out = [0.0; TAYLOR_TERMS];
    let mut n = 0;
    while n < TAYLOR_TERMS {
        let sign = if n % 2 == 0 { 1.0 } else { -1.0 };
        out[n] = sign / factorial(2 * n as u32 + offset);
        n += 1;
    }
    out
}

/// `1/n!` for `n = 0..14`, evaluated at compile time.
const fn inverse_factorials() -> [f64; 14] {
    let mut out = [0.0; 14];
    let mut n = 0;
    while n < 14 {
        out[n] = 1.0 / factorial(n as u32);
        n += 1;
    }
    out
}

/// `n!` as `f64`, exact for the `n ≤ 17` used here.
const fn factorial(n: u32) -> f64 {
    let mut acc = 1.0;
    let mut i = 2;
    while i <= n {
        acc *= i as f64;
        i += 1;
    }
    acc
}

/// `eˣ`. Accurate to a few ulp; `0` below −745 and `∞` above 709.8 like `f64::exp`.
pub fn exp(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    if x < -745.2 {
        return 0.0;
    }
    if x > 709.8 {
        return f64::INFINITY;
    }
    let k = (x / LN_2).round();
    let r = (x - k * LN2_HI) - k * LN2_LO;
    // Taylor to r¹³/13! on |r| ≤ ln2/2: the first omitted term is below 10⁻¹⁷.
    let mut p = 0.0;
    for coeff in EXP_COEFFS.iter().rev() {
        p = p * r + coeff;
    }
    // 2ᵏ in two halves keeps both factors normal even when the result is subnormal.
    let k = k as i64;
    let half = k / 2;
    p * pow2(half) * pow2(k - half)
}

/// `2ⁿ` for `−1022 ≤ n ≤ 1023`, built from its exponent bits.
fn pow2(n: i64) -> f64 {
    f64::from_bits(((n + 1023) as u64) << 52)
}

/// Linear gain of a level in decibels.
pub fn db_to_gain(db: f64) -> f64 {
    exp(db * (std::f64::consts::LN_10 / 20.0))
}

/// Frequency of a MIDI note number (A4 = 69 = 440 Hz, equal temperament).
pub fn midi_to_hz(note: f64) -> f64 {
    440.0 * exp((note - 69.0) * (LN_2 / 12.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sin_cos_agree_with_libm() {
        let mut x = -2000.0;
        while x < 2000.0 {
            let (s, c) = sin_cos(x);
            assert!((s - x.sin()).abs() < 1e-13, "sin {x}: {s} vs {}", x.sin());
            assert!((c - x.cos()).abs() < 1e-13, "cos {x}: {c} vs {}", x.cos());
            x += 0.0137;
        }
        assert_eq!(sin_cos(0.0), (0.0, 1.0));
    }

    #[test]
    fn exp_agrees_with_libm() {
        let mut x = -740.0;
        while x < 700.0 {
            let (ours, std) = (exp(x), x.exp());
            assert!(
                ((ours - std) / std).abs() < 1e-14,
                "exp {x}: {ours} vs {std}"
            );
            x += 0.731;
        }
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(exp(-800.0), 0.0);
        assert!(exp(800.0).is_infinite());
    }

    #[test]
    fn split_constants_sum_to_the_real_ones() {
        assert_eq!(PIO2_HI + PIO2_LO, std::f64::consts::FRAC_PI_2);
        assert_eq!(LN2_HI + LN2_LO, LN_2);
        assert_eq!(
            PIO2_HI.to_bits() & 0xf_ffff,
            0,
            "33 significant bits: k·PIO2_HI is exact"
        );
    }

    #[test]
    fn musical_helpers() {
        assert!((midi_to_hz(69.0) - 440.0).abs() < 1e-12);
        assert!((midi_to_hz(57.0) - 220.0).abs() < 1e-12);
        assert!((db_to_gain(-6.020_599_913_279_624) - 0.5).abs() < 1e-15);
    }
}
