//! Accuracy metrics and the pass/fail verdict.
//!
//! An implementation's speed only counts once it agrees with the stage's sequential reference.
//! Each stage compares outputs in its own terms (band levels in dB for spectrum, samples for
//! EQ, gain trajectories for dynamics) but reports them with the same [`Metrics`] and the same
//! list of named [`Check`]s, each carrying the limit it was held to. Limits live in the stage
//! crates, next to the reason they are what they are.
//!
//! All sums run in `f64` so that the metrics themselves do not add error to what they measure.

use serde::{Deserialize, Serialize, Serializer};

/// How far a candidate signal is from a reference signal.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Mean squared error `Σ(c−r)²/n`.
    pub mse: f64,
    /// Pearson correlation. Two constant signals that are equal correlate 1; a constant
    /// against a varying signal correlates 0 (the formula would divide by zero).
    pub correlation: f64,
    /// Largest `|c−r|`.
    pub max_abs_error: f64,
    /// Signal-to-error ratio `10·log10(Σr² / Σ(c−r)²)` in dB; `None` (JSON `null`) when the
    /// error is exactly zero, i.e. infinitely good.
    #[serde(serialize_with = "finite_or_null")]
    pub snr_db: Option<f64>,
    /// `sqrt(Σ(c−r)² / Σr²)`; 0 when both are all-zero, +∞ (JSON `null`) when only the
    /// reference is all-zero.
    #[serde(
        serialize_with = "finite_opt_or_null_f64",
        deserialize_with = "null_as_infinity"
    )]
    pub relative_rms_error: f64,
    /// Number of values compared.
    pub len: usize,
}

impl Metrics {
    /// Compares two equally long `f32` signals. Lengths that differ are an error in the
    /// implementation under test, reported as a failed comparison by the caller; here they
    /// make every metric maximally bad rather than panicking.
    pub fn of_f32(reference: &[f32], candidate: &[f32]) -> Self {
        Self::from_pairs(
            reference.len(),
            candidate.len(),
            reference
                .iter()
                .zip(candidate)
                .map(|(&r, &c)| (r as f64, c as f64)),
        )
    }

    /// Compares two equally long `f64` signals.
    pub fn of_f64(reference: &[f64], candidate: &[f64]) -> Self {
        Self::from_pairs(
            reference.len(),
            candidate.len(),
            reference.iter().copied().zip(candidate.iter().copied()),
        )
    }

    /// Compares several channels as one signal (all channels concatenated).
    pub fn of_channels(reference: &[Vec<f32>], candidate: &[Vec<f32>]) -> Self {
        let ref_len: usize = reference.iter().map(Vec::len).sum();
        let cand_len: usize = candidate.iter().map(Vec::len).sum();
        if reference.len() != candidate.len()
            || reference
                .iter()
                .zip(candidate)
                .any(|(r, c)| r.len() != c.len())
        {
            return Self::mismatch(ref_len.max(cand_len));
        }
        Self::from_pairs(
            ref_len,
            cand_len,
            reference
                .iter()
                .zip(candidate)
                .flat_map(|(r, c)| r.iter().zip(c))
                .map(|(&r, &c)| (r as f64, c as f64)),
        )
    }

    fn mismatch(len: usize) -> Self {
        Metrics {
            mse: f64::INFINITY,
            correlation: 0.0,
            max_abs_error: f64::INFINITY,
            snr_db: Some(f64::NEG_INFINITY),
            relative_rms_error: f64::INFINITY,
            len,
        }
    }

    fn from_pairs(
        ref_len: usize,
        cand_len: usize,
        pairs: impl Iterator<Item = (f64, f64)>,
    ) -> Self {
        if ref_len != cand_len {
            return Self::mismatch(ref_len.max(cand_len));
        }
        let n = ref_len;
        // One pass with Welford-free sums: values here are audio-scale or dB-scale, where
        // f64 sums of up to ~10^8 terms lose nothing that matters at the tolerances we check.
        let (mut sr, mut sc, mut srr, mut scc, mut src, mut see, mut max_err) =
            (0.0f64, 0.0f64, 0.0f64, 0.0f64, 0.0f64, 0.0f64, 0.0f64);
        let mut non_finite = false;
        for (r, c) in pairs {
            if !r.is_finite() || !c.is_finite() {
                non_finite = true;
            }
            let e = c - r;
            sr += r;
            sc += c;
            srr += r * r;
            scc += c * c;
            src += r * c;
            see += e * e;
            max_err = max_err.max(e.abs());
        }
        if n == 0 {
            return Metrics {
                mse: 0.0,
                correlation: 1.0,
                max_abs_error: 0.0,
                snr_db: None,
                relative_rms_error: 0.0,
                len: 0,
            };
        }
        if non_finite {
            return Self::mismatch(n);
        }
        let nf = n as f64;
        let cov = src - sr * sc / nf;
        let var_r = (srr - sr * sr / nf).max(0.0);
        let var_c = (scc - sc * sc / nf).max(0.0);
        let correlation = if var_r == 0.0 || var_c == 0.0 {
            if see == 0.0 {
                1.0
            } else {
                0.0
            }
        } else {
            (cov / (var_r.sqrt() * var_c.sqrt())).clamp(-1.0, 1.0)
        };
        let snr_db = if see == 0.0 {
            None
        } else if srr == 0.0 {
            Some(f64::NEG_INFINITY)
        } else {
            Some(10.0 * (srr / see).log10())
        };
        let relative_rms_error = if see == 0.0 {
            0.0
        } else if srr == 0.0 {
            f64::INFINITY
        } else {
            (see / srr).sqrt()
        };
        Metrics {
            mse: see / nf,
            correlation,
            max_abs_error: max_err,
            snr_db,
            relative_rms_error,
            len: n,
        }
    }

    /// Relative RMS error in dB (`20·log10`), −∞ for an exact match.
    pub fn relative_error_db(&self) -> f64 {
        20.0 * self.relative_rms_error.log10()
    }
}

/// One named requirement: `value <= limit` (or `>=`, see [`Check::at_least`]).
/// The largest `difference(r_i, c_i)` over two series: 0 for two empty ones, ∞ when their
/// lengths differ or any difference is NaN (`f64::max` would drop a NaN and let a broken value
/// pass). What the stages' `compare` functions fold their per-value differences with.
pub fn worst_difference<T: Copy>(
    reference: &[T],
    candidate: &[T],
    difference: impl Fn(T, T) -> f64,
) -> f64 {
    if reference.len() != candidate.len() {
        return f64::INFINITY;
    }
    reference
        .iter()
        .zip(candidate)
        .map(|(&r, &c)| difference(r, c))
        .fold(0.0, |worst, d| {
            if d.is_nan() {
                f64::INFINITY
            } else {
                worst.max(d)
            }
        })
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Check {
    /// What was measured, e.g. `"band level max |Δ| (dB)"`.
    pub name: String,
    /// The measured value (JSON `null` if not finite).
    #[serde(
        serialize_with = "finite_opt_or_null_f64",
        deserialize_with = "null_as_infinity"
    )]
    pub value: f64,
    /// The bound it was held to.
    pub limit: f64,
    /// `true` when the bound is a lower bound (e.g. correlation ≥ 0.999999).
    pub lower_bound: bool,
    /// Whether the requirement holds. NaN never passes.
    pub passed: bool,
}

impl Check {
    /// Passes when `value <= limit`.
    pub fn at_most(name: impl Into<String>, value: f64, limit: f64) -> Self {
        Check {
            name: name.into(),
            value,
            limit,
            lower_bound: false,
            passed: value <= limit,
        }
    }

    /// Passes when `value >= limit`.
    pub fn at_least(name: impl Into<String>, value: f64, limit: f64) -> Self {
        Check {
            name: name.into(),
            value,
            limit,
            lower_bound: true,
            passed: value >= limit,
        }
    }
}

/// The verdict on one implementation's output against the reference's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Accuracy {
    /// Metrics on the stage's primary comparison signal.
    pub metrics: Metrics,
    /// Every requirement the stage holds the output to.
    pub checks: Vec<Check>,
}

impl Accuracy {
    /// True when every check passed (and there is at least one).
    pub fn passed(&self) -> bool {
        !self.checks.is_empty() && self.checks.iter().all(|c| c.passed)
    }

    /// The failed checks, formatted for a report.
    pub fn failures(&self) -> Vec<String> {
        self.checks
            .iter()
            .filter(|c| !c.passed)
            .map(|c| {
                format!(
                    "{} = {:.3e} ({} {:.3e})",
                    c.name,
                    c.value,
                    if c.lower_bound { "needs ≥" } else { "limit" },
                    c.limit
                )
            })
            .collect()
    }

    /// A comparison that failed before any metric could be computed (e.g. the candidate
    /// returned an error, or outputs of different shape).
    pub fn failed(reason: impl Into<String>) -> Self {
        Accuracy {
            metrics: Metrics::mismatch(0),
            checks: vec![Check {
                name: reason.into(),
                value: f64::NAN,
                limit: 0.0,
                lower_bound: false,
                passed: false,
            }],
        }
    }
}

fn finite_or_null<S: Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(x) if x.is_finite() => s.serialize_some(x),
        _ => s.serialize_none(),
    }
}

fn finite_opt_or_null_f64<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
    if v.is_finite() {
        s.serialize_f64(*v)
    } else {
        s.serialize_none()
    }
}

/// Non-finite values are written as `null`; reading one back yields +∞, the worst value.
fn null_as_infinity<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::INFINITY))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * (1.0 + a.abs().max(b.abs()))
    }

    #[test]
    fn hand_computed_values() {
        // r = [1, 2, 3, 4], c = [1, 2, 3, 5]: error [0,0,0,1].
        let m = Metrics::of_f64(&[1.0, 2.0, 3.0, 4.0], &[1.0, 2.0, 3.0, 5.0]);
        assert!(close(m.mse, 0.25));
        assert!(close(m.max_abs_error, 1.0));
        // Σr² = 30, Σe² = 1 → SNR = 10·log10(30) = 14.771212547196624 dB.
        assert!(close(m.snr_db.unwrap(), 14.771_212_547_196_624));
        // relative RMS = sqrt(1/30).
        assert!(close(m.relative_rms_error, (1.0f64 / 30.0).sqrt()));
        // Pearson: mean r 2.5, mean c 2.75; cov = Σ(r-2.5)(c-2.75) = 6.5;
        // var r = 5, var c = 8.75 → 6.5 / sqrt(43.75) = 0.9827076298239908.
        assert!(close(m.correlation, 0.982_707_629_823_990_8));
        assert_eq!(m.len, 4);
    }

    #[test]
    fn identical_signals_are_exact() {
        let x = [0.5f32, -0.25, 0.125];
        let m = Metrics::of_f32(&x, &x);
        assert_eq!(m.mse, 0.0);
        assert_eq!(m.max_abs_error, 0.0);
        assert_eq!(m.snr_db, None);
        assert_eq!(m.relative_rms_error, 0.0);
        assert!(close(m.correlation, 1.0));
        assert_eq!(m.relative_error_db(), f64::NEG_INFINITY);
    }

    #[test]
    fn anti_correlated() {
        let m = Metrics::of_f64(&[1.0, -1.0, 1.0, -1.0], &[-1.0, 1.0, -1.0, 1.0]);
        assert!(close(m.correlation, -1.0));
        // error = -2r: Σe² = 16, Σr² = 4 → SNR = 10·log10(0.25).
        assert!(close(m.snr_db.unwrap(), 10.0 * 0.25f64.log10()));
        assert!(close(m.relative_rms_error, 2.0));
    }

    #[test]
    fn constant_signals() {
        let m = Metrics::of_f64(&[0.0; 4], &[0.0; 4]);
        assert_eq!(m.correlation, 1.0);
        assert_eq!(m.relative_rms_error, 0.0);
        let m = Metrics::of_f64(&[0.0; 4], &[0.0, 1.0, 0.0, 0.0]);
        assert_eq!(m.correlation, 0.0);
        assert_eq!(m.relative_rms_error, f64::INFINITY);
    }

    #[test]
    fn worst_difference_counts_nan_and_length_mismatch_as_infinite() {
        let d = |a: f64, b: f64| (a - b).abs();
        assert_eq!(worst_difference(&[1.0, 2.0], &[1.5, 2.0], d), 0.5);
        assert_eq!(worst_difference::<f64>(&[], &[], d), 0.0);
        assert_eq!(worst_difference(&[1.0], &[1.0, 2.0], d), f64::INFINITY);
        assert_eq!(
            worst_difference(&[f64::NAN, 1.0], &[0.0, 1.0], d),
            f64::INFINITY
        );
    }

    #[test]
    fn length_mismatch_and_nan_fail_hard() {
        let m = Metrics::of_f32(&[1.0, 2.0], &[1.0]);
        assert_eq!(m.max_abs_error, f64::INFINITY);
        let m = Metrics::of_f32(&[1.0, 2.0], &[1.0, f32::NAN]);
        assert_eq!(m.max_abs_error, f64::INFINITY);
        assert_eq!(m.correlation, 0.0);
        let m = Metrics::of_channels(&[vec![1.0]], &[vec![1.0], vec![1.0]]);
        assert_eq!(m.mse, f64::INFINITY);
    }

    #[test]
    fn multichannel_is_concatenation() {
        let r = vec![vec![1.0f32, 2.0], vec![3.0, 4.0]];
        let c = vec![vec![1.0f32, 2.0], vec![3.0, 5.0]];
        let a = Metrics::of_channels(&r, &c);
        let b = Metrics::of_f64(&[1.0, 2.0, 3.0, 4.0], &[1.0, 2.0, 3.0, 5.0]);
        assert_eq!(a, b);
    }

    #[test]
    fn checks_and_verdict() {
        let pass = Check::at_most("max error", 1e-7, 1e-6);
        let fail = Check::at_least("correlation", 0.9, 0.999_999);
        let nan = Check::at_most("nan", f64::NAN, 1.0);
        assert!(pass.passed && !fail.passed && !nan.passed);
        let m = Metrics::of_f64(&[1.0], &[1.0]);
        let ok = Accuracy {
            metrics: m,
            checks: vec![pass.clone()],
        };
        assert!(ok.passed());
        let bad = Accuracy {
            metrics: m,
            checks: vec![pass, fail],
        };
        assert!(!bad.passed());
        assert_eq!(bad.failures().len(), 1);
        assert!(!Accuracy::failed("error").passed());
        let empty = Accuracy {
            metrics: m,
            checks: vec![],
        };
        assert!(!empty.passed(), "an accuracy with no checks proves nothing");
    }

    #[test]
    fn infinities_serialize_as_null() {
        let m = Metrics::of_f64(&[1.0], &[1.0]);
        let json = serde_json::to_string(&m).unwrap();
        assert!(json.contains("\"snr_db\":null"), "{json}");
        let back: Metrics = serde_json::from_str(&json).unwrap();
        assert_eq!(back, m);
        let bad = Metrics::of_f64(&[0.0], &[1.0]);
        let back: Metrics = serde_json::from_str(&serde_json::to_string(&bad).unwrap()).unwrap();
        assert_eq!(back.relative_rms_error, f64::INFINITY);
    }
}
