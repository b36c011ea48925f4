//! The true-peak guard: makes "no 4×-oversampled output peak exceeds the ceiling" hold by
//! construction, not just approximately.
//!
//! ## Why a guard is needed
//! An interpolated point `p` of the output is `out_p = Σ_j h_j·y_j·g_j` over its 12-sample
//! support. The limiter's plan keeps `g_j·|v_p| ≤ ceiling` for every `j` in the support of
//! every point (`v_p` = the point interpolated from the *input*). If `g` were constant over
//! the support, `out_p = g·v_p` and we would be done — but a gain that moves inside the
//! support changes the partial cancellations of the sinc's lobes, and lowering one sample's
//! gain can *raise* `|out_p|`. No per-sample cap fixes that, so the guard checks the
//! actual output values and corrects them.
//!
//! ## How
//! The planned gains are multiplied by a correction `q_k ∈ [0, 1]` that is constant over
//! segments of [`SEGMENT`] = 16 samples. Because a support (12 samples) spans at most two
//! segments, every interpolated point is either *interior* (`|q_k·V| ≤ c`, a bound on `q_k`)
//! or *straddles* a boundary (`|q_k·A + q_{k+1}·B| ≤ c`, a strip in the `(q_k, q_{k+1})`
//! plane, `A`/`B` the parts of the sum in each segment, computed from the planned output).
//! Phase 0 — the sample itself — is an interior point, so sample peaks are covered too.
//!
//! The constraints form a chain, and `q = 0` satisfies every one of them. With a window of
//! [`WINDOW_SEGMENTS`] pending segments the guard propagates, from the newest segment back
//! to the oldest, `F_k = {q_k : some q_{k+1} ∈ F_{k+1} satisfies the strips}`; each `F_k` is
//! an interval `[0, u_k]` (a projection of a convex polygon that contains the origin). At
//! the newest segment it assumes the worst about the unseen future (the next segment's gain
//! may be 0), so every `F_k` it computes is contained in the truly feasible set, and it only
//! grows as the future is revealed. The oldest segment is then given the largest `q` that is
//! compatible with its (already emitted) predecessor and lies in `F` — which by the above
//! always exists. The worst-case assumption costs nothing in practice: its effect shrinks by
//! roughly the ratio of the outer to the central sinc lobes (~0.12) per segment and is
//! negligible four segments back. With the plan's small margin `q` is almost always 1.
//!
//! All constraint arithmetic is `f64`; the ceiling it enforces is 10⁻⁵ below the user's, which
//! covers the rounding of the `f32` output and of any `f32` measurement of it.

use auralis_dsp::truepeak::{taps, Taps, SUPPORT_BEFORE, TRUE_PEAK_TAPS_PER_PHASE};

/// Samples per correction segment (≥ the 12-sample support, so a support touches at most
/// two segments).
pub(crate) const SEGMENT: usize = 16;
/// Segments the guard looks ahead over.
pub(crate) const WINDOW_SEGMENTS: usize = 4;
/// Pending samples held by the guard.
const PENDING: usize = SEGMENT * WINDOW_SEGMENTS;
/// Delay, in samples, between a planned gain entering and the final gain leaving.
pub(crate) const GUARD_LATENCY: usize = PENDING - 1;
/// Interpolated positions whose support straddles one segment boundary.
const STRADDLING: usize = TRUE_PEAK_TAPS_PER_PHASE - 1;
const PHASES: usize = 3;
/// Bisection steps when the largest candidate is infeasible (resolution 2⁻⁵⁰).
const BISECTION_STEPS: usize = 50;

#[derive(Clone, Debug)]
pub(crate) struct TruePeakGuard {
    channels: usize,
    ceiling: f64,
    taps: &'static Taps,
    /// `|interpolated| ≤ quiet_factor · max |w|` over a support.
    quiet_factor: f64,
    /// Planned output `w = y·g`, channel-major ring of `PENDING` samples per channel.
    w: Vec<f64>,
    /// Planned gains, ring of `PENDING`.
    g: [f64; PENDING],
    /// Per pending segment (ring of `WINDOW_SEGMENTS`): interior bound `min(1, c/max|V|)`.
    interior_bound: [f64; WINDOW_SEGMENTS],
    /// Per pending segment: `u_k`, the top of `F_k`.
    upper: [f64; WINDOW_SEGMENTS],
    /// Per pending segment: largest `|w|` (lets quiet segments skip the filter).
    loudest: [f64; WINDOW_SEGMENTS],
    /// Per pending segment `k`: the strips `(A, B)` of the boundary `(k−1, k)`.
    strips: Vec<(f64, f64)>,
    strip_count: [usize; WINDOW_SEGMENTS],
    strips_per_segment: usize,
    /// `q` of the last decided segment (being emitted now).
    q: f64,
    /// Index of the next incoming sample.
    next: u64,
}

impl TruePeakGuard {
    pub fn new(channels: usize, ceiling: f64) -> Self {
        let strips_per_segment = STRADDLING * PHASES * channels;
        TruePeakGuard {
            channels,
            ceiling,
            taps: taps(),
            quiet_factor: auralis_dsp::truepeak::max_abs_tap_sum(),
            w: vec![0.0; channels * PENDING],
            g: [1.0; PENDING],
            interior_bound: [1.0; WINDOW_SEGMENTS],
            upper: [1.0; WINDOW_SEGMENTS],
            loudest: [0.0; WINDOW_SEGMENTS],
            strips: vec![(0.0, 0.0); strips_per_segment * WINDOW_SEGMENTS],
            strip_count: [0; WINDOW_SEGMENTS],
            strips_per_segment,
            q: 1.0,
            next: 0,
        }
    }

    pub fn reset(&mut self) {
        self.w.fill(0.0);
        self.g = [1.0; PENDING];
        self.interior_bound = [1.0; WINDOW_SEGMENTS];
        self.upper = [1.0; WINDOW_SEGMENTS];
        self.loudest = [0.0; WINDOW_SEGMENTS];
        self.strip_count = [0; WINDOW_SEGMENTS];
        self.q = 1.0;
        self.next = 0;
    }

    /// Takes the next sample (`y(c)` per channel) with its planned gain and returns the final
    /// gain of the sample [`GUARD_LATENCY`] samples earlier (1 before the stream starts).
    pub fn push(&mut self, y: impl Fn(usize) -> f32, planned_gain: f64) -> f64 {
        let j = self.next;
        self.next += 1;
        let slot = (j % PENDING as u64) as usize;
        self.g[slot] = planned_gain;
        for c in 0..self.channels {
            self.w[c * PENDING + slot] = f64::from(y(c)) * planned_gain;
        }
        if j % SEGMENT as u64 == SEGMENT as u64 - 1 {
            self.segment_complete(j / SEGMENT as u64);
        }
        match j.checked_sub(GUARD_LATENCY as u64) {
            Some(e) => self.g[(e % PENDING as u64) as usize] * self.q,
            None => 1.0,
        }
    }

    #[inline]
    fn w_at(&self, c: usize, index: i64) -> f64 {
        self.w[c * PENDING + index.rem_euclid(PENDING as i64) as usize]
    }

    /// The three interpolated values of channel `c` between `a` and `a + 1`, using only the
    /// support samples in `[lo, hi]` (the others count as zero).
    fn partial(&self, c: usize, a: i64, lo: i64, hi: i64) -> [f64; PHASES] {
        let mut out = [0.0; PHASES];
        for i in 0..TRUE_PEAK_TAPS_PER_PHASE {
            let idx = a - SUPPORT_BEFORE as i64 + i as i64;
            if idx < lo || idx > hi {
                continue;
            }
            let w = self.w_at(c, idx);
            for (o, phase) in out.iter_mut().zip(self.taps.iter()) {
                *o += phase[i] * w;
            }
        }
        out
    }

    fn segment_complete(&mut self, h: u64) {
        let c_max = self.ceiling;
        let b = (h * SEGMENT as u64) as i64;
        let end = b + SEGMENT as i64 - 1;
        let slot = (h % WINDOW_SEGMENTS as u64) as usize;
        let prev_slot = (slot + WINDOW_SEGMENTS - 1) % WINDOW_SEGMENTS;

        let mut loudest = 0.0f64;
        for c in 0..self.channels {
            for s in b..=end {
                loudest = loudest.max(self.w_at(c, s).abs());
            }
        }
        let loud_here = loudest * self.quiet_factor > c_max;
        // Before the first segment the signal is silence.
        let loud_before = h > 0 && self.loudest[prev_slot] * self.quiet_factor > c_max;
        self.loudest[slot] = loudest;

        // Interior points: every sample itself, and the points whose support lies inside.
        let mut peak = loudest;
        if loud_here {
            for c in 0..self.channels {
                for a in b + SUPPORT_BEFORE as i64..=end - (STRADDLING - SUPPORT_BEFORE) as i64 {
                    for v in self.partial(c, a, b, end) {
                        peak = peak.max(v.abs());
                    }
                }
            }
        }
        let interior = if peak > c_max { c_max / peak } else { 1.0 };
        self.interior_bound[slot] = interior;

        // Strips of the boundary (h−1, h).
        let base = slot * self.strips_per_segment;
        let mut count = 0;
        if loud_here || loud_before {
            for c in 0..self.channels {
                for a in b - 6..=b + 4 {
                    let before = self.partial(c, a, i64::MIN, b - 1);
                    let after = self.partial(c, a, b, i64::MAX);
                    for (&ab, &bb) in before.iter().zip(&after) {
                        if ab.abs().max(bb.abs()).max((ab + bb).abs()) > c_max {
                            self.strips[base + count] = (ab, bb);
                            count += 1;
                        }
                    }
                }
            }
        }
        self.strip_count[slot] = count;

        // The newest segment assumes the next one may get q = 0.
        let mut upper = interior;
        if loud_here {
            for c in 0..self.channels {
                for a in end - 5..=end + 5 {
                    for v in self.partial(c, a, b, end) {
                        if v.abs() > c_max {
                            upper = upper.min(c_max / v.abs());
                        }
                    }
                }
            }
        }
        self.upper[slot] = upper;

        // Propagate back to the oldest pending segment.
        let oldest = h.saturating_sub(WINDOW_SEGMENTS as u64 - 1);
        let mut k = h;
        while k > oldest {
            k -= 1;
            let ks = (k % WINDOW_SEGMENTS as u64) as usize;
            let next = (ks + 1) % WINDOW_SEGMENTS;
            let u = self.largest_feasible(self.interior_bound[ks], next, self.upper[next]);
            if u == self.upper[ks] {
                break;
            }
            self.upper[ks] = u;
        }

        // Decide the oldest segment, which starts being emitted now.
        if h + 1 >= WINDOW_SEGMENTS as u64 {
            let ks = (oldest % WINDOW_SEGMENTS as u64) as usize;
            let (lo, hi) = self.interval(ks, self.q, self.upper[ks]);
            // `lo > hi` can only be rounding (the theory guarantees a compatible value);
            // then honour the strips' lower bounds, which are within rounding of the upper.
            self.q = if lo <= hi { hi } else { lo.clamp(0.0, 1.0) };
        }
    }

    /// The feasible range of `q_k` given `q_{k−1} = x`, from the strips stored with
    /// segment slot `ks`, intersected with `[0, u]`.
    fn interval(&self, ks: usize, x: f64, u: f64) -> (f64, f64) {
        let c_max = self.ceiling;
        let (mut lo, mut hi) = (0.0f64, u);
        let base = ks * self.strips_per_segment;
        for &(a, b) in &self.strips[base..base + self.strip_count[ks]] {
            let xa = x * a;
            if b > 0.0 {
                lo = lo.max((-c_max - xa) / b);
                hi = hi.min((c_max - xa) / b);
            } else if b < 0.0 {
                lo = lo.max((c_max - xa) / b);
                hi = hi.min((-c_max - xa) / b);
            } else if xa.abs() > c_max {
                return (1.0, 0.0);
            }
        }
        (lo, hi)
    }

    /// The largest `x ∈ [0, x_max]` for which some `y ∈ [0, u_next]` satisfies the strips
    /// between this segment and the next (stored with slot `next`).
    fn largest_feasible(&self, x_max: f64, next: usize, u_next: f64) -> f64 {
        let feasible = |x: f64| {
            let (lo, hi) = self.interval(next, x, u_next);
            lo <= hi
        };
        if feasible(x_max) {
            return x_max;
        }
        // x = 0 is always feasible; the feasible set is an interval containing it.
        let (mut good, mut bad) = (0.0, x_max);
        for _ in 0..BISECTION_STEPS {
            let mid = 0.5 * (good + bad);
            if feasible(mid) {
                good = mid;
            } else {
                bad = mid;
            }
        }
        good
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use auralis_dsp::truepeak::interpolate;

    /// Runs the guard over planned output `y·g` (one channel) and returns the final output.
    fn guard_run(y: &[f32], g: &[f64], ceiling: f64) -> Vec<f32> {
        let mut guard = TruePeakGuard::new(1, ceiling);
        let mut out = Vec::with_capacity(y.len());
        let total = y.len() + GUARD_LATENCY;
        for j in 0..total {
            let (yj, gj) = if j < y.len() {
                (y[j], g[j])
            } else {
                (0.0, 1.0)
            };
            let gain = guard.push(|_| yj, gj);
            if j >= GUARD_LATENCY {
                let e = j - GUARD_LATENCY;
                out.push(y[e] * gain as f32);
            }
        }
        out
    }

    fn oversampled_peak(x: &[f32]) -> f64 {
        auralis_dsp::truepeak::true_peak_channel(x)
    }

    #[test]
    fn leaves_safe_signals_alone() {
        let y: Vec<f32> = (0..500).map(|n| 0.3 * (n as f32 * 0.05).sin()).collect();
        let g = vec![1.0; y.len()];
        assert_eq!(guard_run(&y, &g, 0.9), y);
    }

    #[test]
    fn enforces_the_ceiling_on_adversarial_signals_with_uneven_gains() {
        // A fs/4-ish signal near full scale with a gain that jumps around: the planned
        // output's true peak is far above the ceiling; the guard must bring it under.
        let mut state = 12345u64;
        let mut rnd = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 33) as f64 / (1u64 << 31) as f64) * 2.0 - 1.0
        };
        for round in 0..20 {
            let n = 700;
            let y: Vec<f32> = (0..n)
                .map(|i| {
                    let s = (std::f64::consts::FRAC_PI_2 * i as f64 + 0.7).sin();
                    (if round % 2 == 0 { s } else { rnd() }) as f32 * 2.0
                })
                .collect();
            let g: Vec<f64> = (0..n).map(|_| 0.3 + 0.2 * rnd().abs()).collect();
            let ceiling = 0.5;
            let out = guard_run(&y, &g, ceiling);
            let tp = oversampled_peak(&out);
            // The f32 output may round up by 2⁻²⁴ per sample; the guard works in f64.
            assert!(tp <= ceiling * (1.0 + 1e-6), "round {round}: {tp}");
            // It does not silence the signal to get there.
            assert!(out.iter().any(|s| s.abs() > 0.2), "round {round}");
        }
    }

    #[test]
    fn interpolate_matches_partial_sums() {
        let mut guard = TruePeakGuard::new(1, 1.0);
        for j in 0..40 {
            guard.push(|_| (j as f32 * 0.37).sin(), 1.0);
        }
        let window: Vec<f32> = (20 - 5..20 + 7).map(|j| (j as f32 * 0.37).sin()).collect();
        let full = guard.partial(0, 20, i64::MIN, i64::MAX);
        let direct = interpolate(guard.taps, &window);
        for (a, b) in full.iter().zip(&direct) {
            assert!((a - b).abs() < 1e-12);
        }
    }
}
