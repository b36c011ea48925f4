//! A tiny hand-written PRNG.
//!
//! The fixtures promise bit-identical audio for a given seed, forever. A PRNG from a crate
//! (`rand`'s `StdRng`, for instance) is free to change its algorithm or its float conversion
//! between versions — `rand` has done both — which would silently change every fixture and
//! its SHA-256. SplitMix64 is ten lines, has no dependency, and its output stream is fixed by
//! its definition (Steele, Lea & Flood, "Fast splittable pseudorandom number generators",
//! OOPSLA 2014). Its statistical quality is far beyond what music-like test signals need.

/// SplitMix64: a 64-bit state advanced by a Weyl sequence and scrambled by a fixed mixer.
#[derive(Clone, Debug)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator whose whole output stream is determined by `seed`.
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`, from the top 53 bits (every value is an exact multiple of 2⁻⁵³).
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in `[-1, 1)`.
    pub fn next_signed(&mut self) -> f64 {
        2.0 * self.next_f64() - 1.0
    }

    /// Uniform in `[-1, 1)` as an `f32`, from the top 24 bits: every value is a multiple of
    /// 2⁻²³ and exactly representable, so (unlike `next_signed() as f32`) it never rounds up
    /// to 1.0, which matters to test signals that must stay below full scale.
    pub fn next_signed_f32(&mut self) -> f32 {
        ((self.next_u64() >> 40) as f64 / (1u64 << 23) as f64 - 1.0) as f32
    }

    /// Uniform in `[lo, hi)`.
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.next_f64()
    }

    /// Uniform index in `0..n` (`n > 0`). The modulo bias is below 2⁻⁵⁰ for the tiny `n`
    /// used here, and — what matters for fixtures — it is deterministic.
    pub fn index(&mut self, n: usize) -> usize {
        debug_assert!(n > 0);
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.next_f64() < p
    }

    /// An independent generator for a sub-task, so that adding randomness to one part of
    /// the recipe does not shift the stream every other part sees.
    pub fn fork(&mut self) -> Self {
        Self::new(self.next_u64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_published_reference_stream() {
        // First outputs of SplitMix64 seeded with 1234567, as printed by the reference C
        // implementation (Vigna, xoshiro's splitmix64.c).
        let mut rng = SplitMix64::new(1_234_567);
        assert_eq!(rng.next_u64(), 6_457_827_717_110_365_317);
        assert_eq!(rng.next_u64(), 3_203_168_211_198_807_973);
        assert_eq!(rng.next_u64(), 9_817_491_932_198_370_423);
    }

    #[test]
    fn f32_samples_stay_below_full_scale_on_a_24_bit_grid() {
        let mut rng = SplitMix64::new(7);
        let step = 1.0 / (1u32 << 23) as f32;
        for _ in 0..100_000 {
            let x = rng.next_signed_f32();
            assert!((-1.0..1.0).contains(&x), "{x}");
            assert_eq!((x / step).fract(), 0.0, "{x}");
        }
    }

    #[test]
    fn floats_stay_in_range_and_look_uniform() {
        let mut rng = SplitMix64::new(7);
        let n = 100_000;
        let mut sum = 0.0;
        for _ in 0..n {
            let x = rng.next_f64();
            assert!((0.0..1.0).contains(&x));
            sum += x;
        }
        let mean = sum / n as f64;
        assert!((mean - 0.5).abs() < 0.01, "mean {mean}");
    }
}
