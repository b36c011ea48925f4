//! The vectorized implementation: SIMD kernels (pulp, run-time dispatch) for the gain
//! computer and the gain conversions, with the smoothing recurrence kept sequential.
//!
//! Per chunk, in one dispatched kernel (so the scalar recurrence is compiled with the same
//! FMA-capable target features as the vector code):
//! 1. gain computer on 8 frames at a time: `u = 20·log10(peak/threshold)` via the bounded
//!    [`fastmath::log2`], the static curve with selects, and exactly 0 at or below the knee;
//! 2. the follower in `f64`, branch-free: for `c_a ≤ c_r`,
//!    `x + (e−x)·c` with the STAGES.md choice of `c` equals `max(c_a·e + (1−c_a)·x,
//!    c_r·e + (1−c_r)·x)` (if `x > e` the attack term is the larger, otherwise the release
//!    term; for `c_a > c_r` it is the `min`), so a step is two independent FMAs and a max
//!    instead of a compare and a hard-to-predict branch — and two steps compose into one
//!    FMA-and-two-max link of the dependency chain ([`two`]), which is what bounds the
//!    vectorized implementation's speed;
//! 3. `10^(G/20)` 8 frames at a time via [`fastmath::exp2`].
//!
//! Against the subnormal slowdown the follower subtracts 10⁻²⁰ dB per step from the release
//! term (its state settles at −4·10⁻¹⁷ dB instead of decaying through subnormals; reported
//! gains are clamped to ≤ makeup). Error budget (`fastmath.rs`, tested below): the static
//! reduction is within `2·10⁻⁶ dB + 1.5·10⁻⁷ × reduction` of the exact one (4·10⁻⁶ dB at
//! 15 dB of reduction), and the follower passes an input error through without growing it;
//! the accuracy gate holds the result to [`crate::GAIN_TOLERANCE_DB`].

use auralis_core::{AudioBuffer, Result};
use pulp::Simd;

use crate::curve::StaticCurve;
use crate::engine::Engine;
use crate::envelope::EnvelopeFollower;
use crate::fastmath::{self, DB_PER_LOG2, LOG2_10_OVER_20};
use crate::kernel::{Kernel, KernelScratch};
use crate::overlap::{Background, TICK_FRAMES};
use crate::settings::DynamicsSettings;
use crate::DynamicsOutput;

/// Per-step bias (dB) on the release term; see the module docs.
const RELEASE_BIAS_DB: f64 = 1e-20;

/// Smallest gain handed to the `f32` fast log2 (well inside `f32`'s normal range).
const TINY_GAIN: f64 = 1e-30;

/// Vectorized per-frame arithmetic.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Fast;

impl Kernel for Fast {
    type FollowerState = PairState;

    fn compressor_gains(
        curve: &StaticCurve,
        follower: &mut EnvelopeFollower,
        state: &mut PairState,
        first_index: u64,
        makeup_db: f64,
        peaks: &[f32],
        scratch: &mut KernelScratch,
        gain_db: &mut [f64],
        gain_linear: &mut [f32],
        background: &mut impl Background,
    ) {
        let n = peaks.len();
        pulp::Arch::new().dispatch(CompressorKernel {
            curve,
            coefficients: Coefficients::new(follower.coefficients()),
            state,
            first_index,
            makeup_db,
            peaks,
            reduction: &mut scratch.reduction[..n],
            gain_db32: &mut scratch.gain_db[..n],
            gain_db,
            gain_linear,
            background,
        });
    }

    fn dispatch<Op: pulp::WithSimd>(op: Op) -> Op::Output {
        pulp::Arch::new().dispatch(op)
    }

    fn gain_to_db(gain: f64) -> f64 {
        if gain >= 1.0 {
            0.0
        } else if gain >= TINY_GAIN {
            f64::from(DB_PER_LOG2 * fastmath::log2_scalar(gain as f32))
        } else {
            // Below f32's normal range the fast log2 does not apply (and the value is rare).
            20.0 * gain.log10()
        }
    }
}

struct CompressorKernel<'a, B> {
    curve: &'a StaticCurve,
    coefficients: Coefficients,
    state: &'a mut PairState,
    first_index: u64,
    makeup_db: f64,
    peaks: &'a [f32],
    reduction: &'a mut [f32],
    gain_db32: &'a mut [f32],
    gain_db: &'a mut [f64],
    gain_linear: &'a mut [f32],
    background: &'a mut B,
}

impl<B: Background> pulp::WithSimd for CompressorKernel<'_, B> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        static_curve(simd, self.curve, self.peaks, self.reduction);

        let k = &self.coefficients;
        let out = Outputs {
            makeup_db: self.makeup_db,
            gain_db: self.gain_db,
            gain_db32: self.gain_db32,
        };
        if k.attack <= k.release {
            follow::<true>(
                self.state,
                self.first_index,
                k,
                self.reduction,
                out,
                self.background,
            );
        } else {
            follow::<false>(
                self.state,
                self.first_index,
                k,
                self.reduction,
                out,
                self.background,
            );
        }

        db_to_linear(simd, self.gain_db32, self.gain_linear);
    }
}

/// The follower's coefficients and the products the two-step form needs.
#[derive(Clone, Copy, Debug)]
struct Coefficients {
    attack: f64,
    release: f64,
    attack_in: f64,
    release_in: f64,
    attack2: f64,
    mixed: f64,
    release2: f64,
}

impl Coefficients {
    fn new((attack, release): (f64, f64)) -> Self {
        Coefficients {
            attack,
            release,
            attack_in: 1.0 - attack,
            release_in: 1.0 - release,
            attack2: attack * attack,
            mixed: attack * release,
            release2: release * release,
        }
    }
}

/// Follower state of the vectorized kernel. Frames are stepped in pairs `(2m, 2m+1)` of
/// absolute index, so that any chunking computes exactly the same numbers: `anchor` is the
/// envelope after the last odd frame, `pending` the input of an even frame already output
/// whose pair is not complete yet.
#[derive(Clone, Debug, Default)]
pub(crate) struct PairState {
    anchor: f64,
    pending: Option<f32>,
}

struct Outputs<'a> {
    makeup_db: f64,
    gain_db: &'a mut [f64],
    gain_db32: &'a mut [f32],
}

impl Outputs<'_> {
    #[inline(always)]
    fn write(&mut self, i: usize, e: f64) {
        let g = self.makeup_db - if e > 0.0 { e } else { 0.0 };
        self.gain_db[i] = g;
        self.gain_db32[i] = g as f32;
    }
}

/// `max` when the attack is the faster time constant (the usual case), `min` otherwise:
/// the branch-free identity flips with the sign of `c_attack − c_release`. Written as a
/// compare-and-select (no NaN can occur here) so that it is one `maxsd`/`minsd` on the
/// dependency chain; `f64::max` adds a NaN fix-up to it.
#[inline(always)]
fn pick<const ATTACK_FASTER: bool>(u: f64, v: f64) -> f64 {
    if ATTACK_FASTER {
        if u > v {
            u
        } else {
            v
        }
    } else if u < v {
        u
    } else {
        v
    }
}

/// One step: `pick(c_a·e + (1−c_a)·x, c_r·e + (1−c_r)·x − bias)`.
#[inline(always)]
fn one<const F: bool>(k: &Coefficients, e: f64, x: f32) -> f64 {
    let x = f64::from(x);
    pick::<F>(
        e.mul_add(k.attack, x * k.attack_in),
        e.mul_add(k.release, x * k.release_in - RELEASE_BIAS_DB),
    )
}

/// Two steps at once. Each step is `pick` of two increasing affine maps of `e`, and positive
/// scaling commutes with `pick`, so two steps are `pick` of four affine maps with slopes
/// `a²`, `a·r` (twice — merged by picking the offsets) and `r²`, whose offsets depend only
/// on the inputs. The dependency chain per two frames is then one FMA and two `pick`s
/// instead of two FMAs and two `pick`s.
#[inline(always)]
fn two<const F: bool>(k: &Coefficients, e: f64, x1: f32, x2: f32) -> f64 {
    let (x1, x2) = (f64::from(x1), f64::from(x2));
    let (rise1, fall1) = (x1 * k.attack_in, x1 * k.release_in - RELEASE_BIAS_DB);
    let (rise2, fall2) = (x2 * k.attack_in, x2 * k.release_in - RELEASE_BIAS_DB);
    let both_rise = k.attack.mul_add(rise1, rise2);
    let mixed = pick::<F>(
        k.attack.mul_add(fall1, rise2),
        k.release.mul_add(rise1, fall2),
    );
    let both_fall = k.release.mul_add(fall1, fall2);
    pick::<F>(
        pick::<F>(e.mul_add(k.attack2, both_rise), e.mul_add(k.mixed, mixed)),
        e.mul_add(k.release2, both_fall),
    )
}

/// The follower over one chunk whose first frame has absolute index `first_index`.
#[inline(always)]
fn follow<const F: bool>(
    state: &mut PairState,
    first_index: u64,
    k: &Coefficients,
    reduction: &[f32],
    mut out: Outputs<'_>,
    background: &mut impl Background,
) {
    let n = reduction.len();
    let mut anchor = state.anchor;
    let mut i = 0;
    if first_index % 2 == 1 && n > 0 {
        // Finish the pair the previous chunk started.
        debug_assert!(state.pending.is_some());
        let first = state.pending.take().unwrap_or_default();
        anchor = two::<F>(k, anchor, first, reduction[0]);
        out.write(0, anchor);
        i = 1;
    }
    while i + 1 < n {
        if i % TICK_FRAMES < 2 {
            background.tick();
        }
        let (x1, x2) = (reduction[i], reduction[i + 1]);
        out.write(i, one::<F>(k, anchor, x1));
        anchor = two::<F>(k, anchor, x1, x2);
        out.write(i + 1, anchor);
        i += 2;
    }
    if i < n {
        out.write(i, one::<F>(k, anchor, reduction[i]));
        state.pending = Some(reduction[i]);
    }
    state.anchor = anchor;
}

/// The static curve's constants, splatted once per chunk.
#[derive(Clone, Copy)]
struct CurveVectors<S: Simd> {
    inv_threshold: S::f32s,
    db_per_log2: S::f32s,
    half_knee: S::f32s,
    neg_half_knee: S::f32s,
    slope: S::f32s,
    knee_coefficient: S::f32s,
    knee_start: S::f32s,
    zero: S::f32s,
}

impl<S: Simd> CurveVectors<S> {
    #[inline(always)]
    fn new(simd: S, curve: &StaticCurve) -> Self {
        CurveVectors {
            inv_threshold: simd.splat_f32s((1.0 / f64::from(curve.threshold_linear)) as f32),
            db_per_log2: simd.splat_f32s(DB_PER_LOG2),
            half_knee: simd.splat_f32s(curve.half_knee_db as f32),
            neg_half_knee: simd.splat_f32s(-curve.half_knee_db as f32),
            slope: simd.splat_f32s(curve.slope as f32),
            knee_coefficient: simd.splat_f32s(curve.knee_coefficient as f32),
            knee_start: simd.splat_f32s(curve.knee_start_linear),
            zero: simd.splat_f32s(0.0),
        }
    }

    /// Reduction (dB) for 8 (or 16, …) linear peaks; exactly 0 at or below the knee.
    #[inline(always)]
    fn reduction(&self, simd: S, peak: S::f32s) -> S::f32s {
        let over = simd.mul_f32s(
            self.db_per_log2,
            fastmath::log2(simd, simd.mul_f32s(peak, self.inv_threshold)),
        );
        let above = simd.mul_f32s(over, self.slope);
        let x = simd.add_f32s(over, self.half_knee);
        let knee = simd.mul_f32s(self.knee_coefficient, simd.mul_f32s(x, x));
        let r = simd.select_f32s(
            simd.greater_than_or_equal_f32s(over, self.half_knee),
            above,
            simd.select_f32s(
                simd.greater_than_f32s(over, self.neg_half_knee),
                knee,
                self.zero,
            ),
        );
        simd.select_f32s(simd.greater_than_f32s(peak, self.knee_start), r, self.zero)
    }
}

// The loops below handle the tail with a zero-padded vector, never a scalar path, so that
// every element sees exactly the same arithmetic wherever a chunk boundary falls.

/// The static curve on linear peaks.
#[inline(always)]
fn static_curve<S: Simd>(simd: S, curve: &StaticCurve, peaks: &[f32], reduction: &mut [f32]) {
    let k = CurveVectors::new(simd, curve);
    let (xs, x_tail) = S::as_simd_f32s(peaks);
    let (ys, y_tail) = S::as_mut_simd_f32s(reduction);
    for (x, y) in xs.iter().zip(ys.iter_mut()) {
        *y = k.reduction(simd, *x);
    }
    if !x_tail.is_empty() {
        let y = k.reduction(simd, simd.partial_load_f32s(x_tail));
        simd.partial_store_f32s(y_tail, y);
    }
}

/// `10^(dB/20)`.
#[inline(always)]
fn db_to_linear<S: Simd>(simd: S, db: &[f32], linear: &mut [f32]) {
    let scale = simd.splat_f32s(LOG2_10_OVER_20);
    let (xs, x_tail) = S::as_simd_f32s(db);
    let (ys, y_tail) = S::as_mut_simd_f32s(linear);
    for (x, y) in xs.iter().zip(ys.iter_mut()) {
        *y = fastmath::exp2(simd, simd.mul_f32s(*x, scale));
    }
    if !x_tail.is_empty() {
        let x = simd.partial_load_f32s(x_tail);
        simd.partial_store_f32s(y_tail, fastmath::exp2(simd, simd.mul_f32s(x, scale)));
    }
}

/// Whole-file processing with the vectorized kernels.
pub(crate) fn process(
    audio: &AudioBuffer,
    settings: &DynamicsSettings,
    storage: crate::stats::Storage,
) -> Result<DynamicsOutput> {
    let mut engine = Engine::<Fast>::new(settings, audio.num_channels(), audio.sample_rate())?;
    crate::reference::whole_file(&mut engine, audio, settings, storage)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::CompressorSettings;

    struct Curve<'a>(&'a StaticCurve, &'a [f32], &'a mut [f32]);
    impl pulp::WithSimd for Curve<'_> {
        type Output = ();
        fn with_simd<S: Simd>(self, simd: S) {
            static_curve(simd, self.0, self.1, self.2);
        }
    }

    #[test]
    fn vectorized_curve_matches_the_exact_one() {
        for s in [
            CompressorSettings::default(),
            CompressorSettings {
                knee_db: 0.0,
                ratio: 10.0,
                threshold_db: -30.0,
                ..Default::default()
            },
            CompressorSettings {
                knee_db: 12.0,
                ratio: 1.5,
                threshold_db: -6.0,
                ..Default::default()
            },
        ] {
            let curve = StaticCurve::new(&s);
            let peaks: Vec<f32> = (0..20_001)
                .map(|i| 10f64.powf((-80.0 + 100.0 * i as f64 / 20_000.0) / 20.0) as f32)
                .collect();
            let mut fast = vec![0.0; peaks.len()];
            pulp::Arch::new().dispatch(Curve(&curve, &peaks, &mut fast));
            for (&p, &f) in peaks.iter().zip(&fast) {
                let exact = curve.reduction_for_peak(p);
                // fastmath.rs bound, in dB, plus the f32 rounding of the result.
                let bound = 2e-6 + 1.5e-7 * exact;
                assert!(
                    (f64::from(f) - exact).abs() < bound,
                    "{s:?} at {p}: {f} vs {exact}"
                );
            }
        }
    }

    #[test]
    fn max_form_equals_the_branch_form() {
        // The identity the vectorized follower relies on, on awkward values, for a faster
        // attack (max) and a faster release (min).
        for (a, r, pick) in [
            (0.9f64, 0.999f64, f64::max as fn(f64, f64) -> f64),
            (0.999, 0.9, f64::min),
        ] {
            for &(e, x) in &[
                (0.0f64, 1.0f64),
                (1.0, 0.0),
                (0.5, 0.5),
                (3.0, 2.9999),
                (2.0, 7.0),
            ] {
                let branch = if x > e {
                    x + (e - x) * a
                } else {
                    x + (e - x) * r
                };
                let picked = pick(a * e + (1.0 - a) * x, r * e + (1.0 - r) * x);
                assert!((branch - picked).abs() < 1e-12, "{a} {r} {e} {x}");
            }
        }
    }

    fn reductions() -> Vec<f32> {
        (0..4000)
            .map(|i| match (i / 300) % 4 {
                0 => 0.0,
                1 => 12.0 + (i % 7) as f32,
                2 => 3.0,
                _ => ((i * 37) % 19) as f32,
            })
            .collect()
    }

    fn run_follow(k: &Coefficients, xs: &[f32], splits: &[usize]) -> Vec<f64> {
        let mut state = PairState::default();
        let mut db = vec![0.0; xs.len()];
        let mut db32 = vec![0.0f32; xs.len()];
        let mut start = 0;
        let mut cuts: Vec<usize> = splits.iter().copied().filter(|&c| c < xs.len()).collect();
        cuts.push(xs.len());
        for end in cuts {
            let out = Outputs {
                makeup_db: 0.0,
                gain_db: &mut db[start..end],
                gain_db32: &mut db32[start..end],
            };
            if k.attack <= k.release {
                follow::<true>(&mut state, start as u64, k, &xs[start..end], out, &mut ());
            } else {
                follow::<false>(&mut state, start as u64, k, &xs[start..end], out, &mut ());
            }
            start = end;
        }
        db
    }

    #[test]
    fn paired_steps_match_single_steps_and_ignore_chunking() {
        let xs = reductions();
        for (a, r) in [(0.99, 0.999), (0.999, 0.99), (0.5, 0.5)] {
            let k = Coefficients::new((a, r));
            // Sequential single steps (the bias included), as the reference of this test.
            let mut e = 0.0;
            let single: Vec<f64> = xs
                .iter()
                .map(|&x| {
                    e = if a <= r {
                        one::<true>(&k, e, x)
                    } else {
                        one::<false>(&k, e, x)
                    };
                    -e.max(0.0)
                })
                .collect();
            let whole = run_follow(&k, &xs, &[]);
            for (i, (p, s)) in whole.iter().zip(&single).enumerate() {
                assert!(
                    (p - s).abs() <= 1e-12 * (1.0 + s.abs()),
                    "{a} {r} frame {i}: {p} vs {s}"
                );
            }
            for splits in [
                vec![1, 2, 3, 5, 8, 13, 2000],
                vec![999, 1000, 1001, 3001],
                (1..4000).collect(),
            ] {
                assert_eq!(run_follow(&k, &xs, &splits), whole, "{a} {r}");
            }
        }
    }
}
