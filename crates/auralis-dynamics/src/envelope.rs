//! The one-pole envelope follower of STAGES.md §3.
//!
//! `c = exp(-1/(t_ms·0.001·sr))`; `e = x + (e − x)·c_attack` when `x > e`, else
//! `e = x + (e − x)·c_release`; `e₀ = 0`. After one time constant (`t_ms·0.001·sr` samples) a
//! step has covered `1 − 1/e ≈ 63.2 %` of its distance.
//!
//! The state is kept in `f64`. A follower with a 100 ms release at 44.1 kHz averages over
//! ~4 400 samples, and `f32` rounding noise accumulated over that many steps reaches
//! ~2·10⁻⁵ dB — more than the stage's whole accuracy budget. In `f64` it is ~10⁻¹¹ dB.
//!
//! The map `e ↦ x + (e − x)·c` is monotone, commutes with adding a constant to both `e` and
//! `x`, and has slope `c_attack` or `c_release` in `e`. Hence two followers fed the same input
//! from different states get closer by at least `max(c_attack, c_release)` per sample — the
//! contraction the parallel variant's warm-up relies on (see `parallel.rs`) — and two
//! followers fed inputs that differ by at most `δ` never drift more than `δ` apart.

use auralis_core::{Error, Result};

/// States below this are set to zero. Without it a follower fed silence decays through the
/// subnormal range, where arithmetic is up to ~100× slower, after ~700 time constants
/// (70 s of silence at 100 ms). The change to the output is below 10⁻³⁰.
pub(crate) const SUBNORMAL_GUARD: f64 = 1e-30;

/// The smoothing coefficient `exp(-1/(t_ms·0.001·sr))` of a time constant `t_ms`.
pub fn time_coefficient(time_ms: f64, sample_rate: u32) -> f64 {
    (-1.0 / (time_ms * 0.001 * f64::from(sample_rate))).exp()
}

/// One-pole attack/release envelope follower on a level signal (STAGES.md §3).
#[derive(Clone, Debug, PartialEq)]
pub struct EnvelopeFollower {
    attack: f64,
    release: f64,
    state: f64,
}

impl EnvelopeFollower {
    /// A follower with the given time constants; both must be finite and positive and the
    /// sample rate in the supported range.
    pub fn new(attack_ms: f32, release_ms: f32, sample_rate: u32) -> Result<Self> {
        auralis_core::audio::check_sample_rate(sample_rate)?;
        for (name, t) in [("attack_ms", attack_ms), ("release_ms", release_ms)] {
            if !(t.is_finite() && t > 0.0) {
                return Err(Error::param(
                    name,
                    format!("must be a finite time > 0 ms, got {t}"),
                ));
            }
        }
        Ok(Self::from_coefficients(
            time_coefficient(f64::from(attack_ms), sample_rate),
            time_coefficient(f64::from(release_ms), sample_rate),
        ))
    }

    /// A follower from precomputed coefficients (each in `[0, 1)`); `attack = 0` follows
    /// rising input instantly.
    pub(crate) fn from_coefficients(attack: f64, release: f64) -> Self {
        EnvelopeFollower {
            attack,
            release,
            state: 0.0,
        }
    }

    /// Feeds one level value and returns the new envelope.
    pub fn next(&mut self, x: f32) -> f32 {
        self.step(f64::from(x)) as f32
    }

    /// The current envelope.
    pub fn value(&self) -> f32 {
        self.state as f32
    }

    /// Back to `e₀ = 0`.
    pub fn reset(&mut self) {
        self.state = 0.0;
    }

    /// `(c_attack, c_release)`.
    pub fn coefficients(&self) -> (f64, f64) {
        (self.attack, self.release)
    }

    /// The recurrence exactly as written in STAGES.md, in `f64`.
    #[inline]
    pub(crate) fn step(&mut self, x: f64) -> f64 {
        let e = self.state;
        let mut next = if x > e {
            x + (e - x) * self.attack
        } else {
            x + (e - x) * self.release
        };
        if next.abs() < SUBNORMAL_GUARD {
            next = 0.0;
        }
        self.state = next;
        next
    }

    #[cfg(test)]
    fn state(&self) -> f64 {
        self.state
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coefficient_formula() {
        let c = time_coefficient(10.0, 44_100);
        assert!((c - (-1.0f64 / 441.0).exp()).abs() < 1e-15);
    }

    #[test]
    fn literal_recurrence_and_reset() {
        let mut f = EnvelopeFollower::new(10.0, 100.0, 44_100).unwrap();
        let (a, r) = f.coefficients();
        assert_eq!(f.value(), 0.0);
        let e1 = f.next(1.0);
        assert_eq!(e1, (1.0 + (0.0 - 1.0) * a) as f32);
        // e1 ≈ 0.00226: a level of 0.25 is above it (attack), 0.001 below (release).
        let e2 = f64::from(f.next(0.25));
        let attacked = 0.25 + ((1.0 - a) - 0.25) * a;
        assert!((e2 - attacked).abs() < 1e-8);
        let e3 = f64::from(f.next(0.001));
        let released = 0.001 + (attacked - 0.001) * r;
        assert!((e3 - released).abs() < 1e-8);
        f.reset();
        assert_eq!(f.value(), 0.0);
    }

    #[test]
    fn one_time_constant_reaches_63_percent() {
        // 10 ms at 48 kHz = 480 samples exactly.
        let mut f = EnvelopeFollower::new(10.0, 50.0, 48_000).unwrap();
        let mut e = 0.0;
        for _ in 0..480 {
            e = f.next(1.0);
        }
        assert!((f64::from(e) - (1.0 - (-1.0f64).exp())).abs() < 1e-6, "{e}");
        // Release: 50 ms = 2400 samples down to 1/e of the distance.
        let start = f64::from(e);
        for _ in 0..2400 {
            e = f.next(0.0);
        }
        assert!((f64::from(e) - start * (-1.0f64).exp()).abs() < 1e-6, "{e}");
    }

    #[test]
    fn rejects_bad_times_and_rates() {
        assert!(EnvelopeFollower::new(0.0, 10.0, 44_100).is_err());
        assert!(EnvelopeFollower::new(1.0, f32::NAN, 44_100).is_err());
        assert!(EnvelopeFollower::new(1.0, -1.0, 44_100).is_err());
        assert!(EnvelopeFollower::new(1.0, 1.0, 100).is_err());
    }

    #[test]
    fn decays_to_exact_zero_without_subnormals() {
        let mut f = EnvelopeFollower::from_coefficients(0.5, 0.5);
        f.next(1.0);
        let mut steps = 0;
        while f.state() != 0.0 {
            f.next(0.0);
            assert!(f.state() == 0.0 || f.state().is_normal());
            steps += 1;
            assert!(steps < 200);
        }
    }
}
