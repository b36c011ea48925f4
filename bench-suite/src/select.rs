//! The default-selection rule: which implementation runs by default, per stage and input
//! size.
//!
//! Per stage, one size bucket per standard fixture; a bucket ends at the geometric mean of
//! its fixture's length and the next one's (in frames), and the last is unbounded. In each
//! bucket the default is the fastest implementation that
//!
//! 1. **passed accuracy** against the reference (a fast wrong answer is never a default), and
//! 2. **is faster than the reference with 95 % confidence**: the lab times implementations
//!    round-robin, so sample `i` of every implementation comes from the same round, a few
//!    milliseconds apart, under the same machine phase. The per-round ratios
//!    `candidate_i / reference_i` cancel the phases that move both; the one-sided 95 %
//!    distribution-free upper bound of their median ([`PairedRatio`]) must be below
//!    `1 −` [`NOISE_FLOOR`].
//!
//! Otherwise the reference stays the default. Among several qualifying implementations the
//! lightest comes first (vectorized: one core; parallel: all of them), and a heavier one
//! replaces it only if its paired median ratio to the lighter one is at most
//! `1 −` [`HEAVIER_MARGIN`]: a parallel variant must earn the cores it takes from the caller,
//! and the default does not flip from run to run between two implementations within a few
//! per cent of each other. Either way the bucket records why.
//! Only standard fixtures count: a user's `--input` file is reported but never decides a
//! default.
//!
//! Why paired ratios and not each implementation's spread: the rule used to require a
//! candidate's median to beat the reference's by more than the larger relative IQR. An IQR is
//! one implementation's spread across machine phases, not the uncertainty of a difference
//! measured in the same rounds; on a busy run it kept the reference at 5 s although the
//! vectorized EQ was faster in every one of 200 rounds (paired ratios 0.61–0.75, IQR 32 %).

use auralis_core::selection::{Bucket, Selection, StageSelection, SCHEMA_VERSION};
use auralis_core::ImplKind;

use crate::report::{Cell, InputSource, Report, StageReport};
use crate::timing::{quantile_sorted, TimingStats};

/// Smallest speed-up worth a default: below 2 %, a difference is within what the same build
/// measures on the same machine from one run to the next.
pub const NOISE_FLOOR: f64 = 0.02;

/// One-sided confidence of [`PairedRatio::upper`].
pub const CONFIDENCE: f64 = 0.95;

/// How much faster (paired median ratio) a heavier implementation must be than a lighter one
/// that also qualifies. A policy, not a noise estimate: 10 % is what occupying every core
/// should buy at least.
pub const HEAVIER_MARGIN: f64 = 0.10;

/// The decision for one stage on one input.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub implementation: ImplKind,
    pub reason: String,
}

/// Two implementations compared round by round: the ratios `a_i / b_i` of their samples
/// from the same round.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PairedRatio {
    pub rounds: usize,
    /// Median of the per-round ratios.
    pub median: f64,
    /// One-sided upper confidence bound of that median: the order statistic `r_(j)` with the
    /// smallest `j` such that `P(Binomial(n, ½) ≤ j − 1) ≥` [`CONFIDENCE`] (distribution-free:
    /// the median is below `r_(j)` unless at least `j` of `n` ratios fall below it). With
    /// fewer than 5 rounds no order statistic reaches 95 %; the bound is then the largest
    /// ratio (every round must agree) and [`PairedRatio::confidence`] says how sure that is.
    pub upper: f64,
    /// The confidence the bound actually has, `P(Binomial(n, ½) ≤ j − 1)`: at least
    /// [`CONFIDENCE`] from 5 rounds on, `1 − 2⁻ⁿ` below (87.5 % with 3 rounds).
    pub confidence: f64,
}

impl PairedRatio {
    /// Pairs `a`'s and `b`'s samples by round; `None` without a complete pair or if the two
    /// were not sampled in the same rounds (different sample counts).
    pub fn of(a: &TimingStats, b: &TimingStats) -> Option<Self> {
        if a.samples_secs.len() != b.samples_secs.len() {
            return None;
        }
        let mut ratios: Vec<f64> = a
            .samples_secs
            .iter()
            .zip(&b.samples_secs)
            .map(|(x, y)| x / y)
            .filter(|r| r.is_finite() && *r > 0.0)
            .collect();
        if ratios.is_empty() {
            return None;
        }
        ratios.sort_by(f64::total_cmp);
        let n = ratios.len();
        let (j, confidence) = upper_order_statistic(n);
        Some(PairedRatio {
            rounds: n,
            median: quantile_sorted(&ratios, 0.5),
            upper: ratios[j - 1],
            confidence,
        })
    }
}

/// The 1-based index `j` of the order statistic that bounds the median from above with
/// [`CONFIDENCE`] among `n ≥ 1` ratios (`n` when none does), and the confidence it has,
/// `P(X ≤ j − 1)` for `X ~ Binomial(n, ½)`.
pub fn upper_order_statistic(n: usize) -> (usize, f64) {
    // Terms P(X = j) in log space, updated as running ratios: `0.5ⁿ` itself underflows for
    // n ≥ 1075, and the tiny early terms that do underflow contribute nothing anyway.
    let mut log_term = n as f64 * 0.5f64.ln(); // ln P(X = 0)
    let mut cumulative = 0.0;
    for j in 1..=n {
        cumulative += log_term.exp();
        if cumulative >= CONFIDENCE {
            return (j, cumulative);
        }
        // ln P(X = j) from ln P(X = j − 1).
        log_term += ((n - (j - 1)) as f64 / j as f64).ln();
    }
    (n, cumulative.min(1.0))
}

/// How much of the machine an implementation takes: candidates are considered lightest
/// first.
fn weight(kind: ImplKind) -> u8 {
    match kind {
        ImplKind::Reference => 0,
        ImplKind::Vectorized => 1,
        ImplKind::Parallel => 2,
    }
}

/// Applies the rule to one cell.
pub fn decide(cell: &Cell) -> Decision {
    let keep = |why: String| Decision {
        implementation: ImplKind::Reference,
        reason: why,
    };
    if let Some(error) = &cell.error {
        return keep(format!("reference kept: {error}"));
    }
    let Some(reference) = cell.reference_timing() else {
        return keep("reference kept: the reference was not timed".to_string());
    };
    let mut best: Option<(ImplKind, &TimingStats, PairedRatio)> = None;
    let mut rejected = Vec::new();
    let mut candidates: Vec<_> = cell
        .results
        .iter()
        .filter(|r| r.implementation != ImplKind::Reference)
        .collect();
    candidates.sort_by_key(|r| weight(r.implementation));
    for result in candidates {
        let kind = result.implementation;
        if !result.accuracy.passed {
            rejected.push(format!(
                "{kind} failed accuracy ({})",
                result.accuracy.key_metric
            ));
            continue;
        }
        let Some(timing) = &result.timing else {
            let why = result.not_timed.as_deref().unwrap_or("not timed");
            rejected.push(format!("{kind} {why}"));
            continue;
        };
        let Some(vs_reference) = PairedRatio::of(timing, reference) else {
            rejected.push(format!("{kind} has no samples paired with the reference's"));
            continue;
        };
        if vs_reference.upper >= 1.0 - NOISE_FLOOR {
            rejected.push(format!(
                "{kind} not faster than the reference with {:.1} % confidence (paired ratio {:.3}, \
                 upper bound {:.3} over {} rounds; needed < {:.2})",
                100.0 * vs_reference.confidence,
                vs_reference.median,
                vs_reference.upper,
                vs_reference.rounds,
                1.0 - NOISE_FLOOR
            ));
            continue;
        }
        match best {
            None => best = Some((kind, timing, vs_reference)),
            Some((lighter, chosen, _)) => {
                // A heavier implementation must also beat the lighter choice: the median of their
                // per-round ratios, by the margin.
                let vs_lighter =
                    PairedRatio::of(timing, chosen).map_or(f64::INFINITY, |p| p.median);
                if vs_lighter <= 1.0 - HEAVIER_MARGIN {
                    rejected.push(format!(
                        "{lighter} slower than {kind} by more than {:.0} % (paired ratio {:.3})",
                        100.0 * HEAVIER_MARGIN,
                        vs_lighter
                    ));
                    best = Some((kind, timing, vs_reference));
                } else {
                    rejected.push(format!(
                        "{kind} not faster than {lighter} by more than {:.0} % (paired ratio {:.3})",
                        100.0 * HEAVIER_MARGIN,
                        vs_lighter
                    ));
                }
            }
        }
    }
    match best {
        Some((kind, timing, paired)) => {
            let mut reason = format!(
                "{kind}: {:.2}× faster than reference (median {} vs {}; paired ratio {:.3}, \
                 ≤ {:.3} at {:.1} % over {} rounds)",
                reference.median_secs / timing.median_secs,
                format_secs(timing.median_secs),
                format_secs(reference.median_secs),
                paired.median,
                paired.upper,
                100.0 * paired.confidence,
                paired.rounds
            );
            if !rejected.is_empty() {
                reason.push_str("; ");
                reason.push_str(&rejected.join("; "));
            }
            Decision {
                implementation: kind,
                reason,
            }
        }
        None if rejected.is_empty() => keep("reference kept: no other implementation".into()),
        None => keep(format!("reference kept: {}", rejected.join("; "))),
    }
}

/// Bucket upper bounds (inclusive, frames) for fixtures of the given lengths, sorted
/// ascending: the geometric mean of neighbours, the last unbounded.
pub fn bucket_bounds(sorted_frames: &[u64]) -> Vec<Option<u64>> {
    sorted_frames
        .iter()
        .enumerate()
        .map(|(i, &frames)| {
            sorted_frames
                .get(i + 1)
                .map(|&next| ((frames as f64) * (next as f64)).sqrt().floor() as u64)
        })
        .collect()
}

/// The buckets of one stage from its standard-fixture cells.
pub fn select_stage(stage: &StageReport) -> StageSelection {
    let mut cells: Vec<&Cell> = stage
        .cells
        .iter()
        .filter(|c| c.source == InputSource::Fixture)
        .collect();
    cells.sort_by_key(|c| c.frames);
    // Two fixtures of one length would make an empty bucket: the first one decides.
    cells.dedup_by_key(|c| c.frames);
    let frames: Vec<u64> = cells.iter().map(|c| c.frames).collect();
    let buckets = cells
        .iter()
        .zip(bucket_bounds(&frames))
        .map(|(cell, max_frames)| {
            let decision = decide(cell);
            Bucket {
                measured_on: cell.input.clone(),
                max_frames,
                implementation: decision.implementation,
                reason: decision.reason,
            }
        })
        .collect();
    StageSelection::with_crossovers(buckets)
}

/// The selection for every stage of `report` that has standard-fixture measurements.
pub fn select(report: &Report) -> Selection {
    let mut selection = Selection {
        schema_version: SCHEMA_VERSION,
        source: format!(
            "cargo xtask select: {} on {} ({} logical cores, {}), rayon {} threads, {:?} run, unix time {}",
            report.machine.short_commit(),
            report.machine.cpu_model,
            report.machine.logical_cores,
            report.machine.simd,
            report.run.rayon_threads,
            report.run.mode,
            report.machine.unix_time_secs
        ),
        stages: Default::default(),
        batch: report.batch.as_ref().and_then(crate::batch::selection),
    };
    for stage in &report.stages {
        let stage_selection = select_stage(stage);
        if !stage_selection.buckets.is_empty() {
            selection.stages.insert(stage.name.clone(), stage_selection);
        }
    }
    selection
}

/// Seconds in the unit a reader wants (`412 µs`, `12.3 ms`, `1.84 s`).
pub fn format_secs(secs: f64) -> String {
    if secs < 1e-3 {
        format!("{:.0} µs", secs * 1e6)
    } else if secs < 1.0 {
        format!("{:.2} ms", secs * 1e3)
    } else {
        format!("{secs:.2} s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::toy::{cell, report, result};
    use ImplKind::{Parallel, Reference, Vectorized};

    /// A fixture cell with one result per implementation: `Some((median, IQR))` when it was
    /// timed, `None` when it failed accuracy.
    fn sized_cell(input: &str, frames: u64, results: &[(ImplKind, Option<(f64, f64)>)]) -> Cell {
        let results = results.iter().map(|&(kind, timed)| result(kind, timed));
        cell(input, frames, results.collect())
    }

    /// The 100-frame fixture cell "f" most tests decide on (see [`sized_cell`]).
    fn cell_f(results: &[(ImplKind, Option<(f64, f64)>)]) -> Cell {
        sized_cell("f", 100, results)
    }

    /// Cell "f" with only the reference and the vectorized variant, timed at `(median, IQR)`.
    fn reference_vs_vectorized(reference: (f64, f64), vectorized: (f64, f64)) -> Cell {
        cell_f(&[(Reference, Some(reference)), (Vectorized, Some(vectorized))])
    }

    #[test]
    fn faster_but_failing_is_never_selected() {
        // Parallel would be 10× faster but failed accuracy; vectorized is 2× faster.
        let c = cell_f(&[
            (Reference, Some((1.0, 0.01))),
            (Vectorized, Some((0.5, 0.01))),
            (Parallel, None),
        ]);
        let d = decide(&c);
        assert_eq!(d.implementation, Vectorized);
        assert!(d.reason.contains("2.00× faster"), "{}", d.reason);
        assert!(
            d.reason.contains("parallel failed accuracy"),
            "{}",
            d.reason
        );

        let only_failing = cell_f(&[(Reference, Some((1.0, 0.01))), (Parallel, None)]);
        let d = decide(&only_failing);
        assert_eq!(d.implementation, Reference);
        assert!(d.reason.starts_with("reference kept"), "{}", d.reason);
    }

    /// Cell "f" with the reference and the vectorized variant timed in the same rounds:
    /// the reference's sample in round `i` is `reference[i]`, the candidate's
    /// `reference[i] × ratios[i]`.
    fn paired_cell(reference: &[f64], ratios: &[f64]) -> Cell {
        let mut c = reference_vs_vectorized((1.0, 0.0), (1.0, 0.0));
        let candidate: Vec<f64> = reference.iter().zip(ratios).map(|(r, q)| r * q).collect();
        c.results[0].timing = TimingStats::from_samples(reference.to_vec());
        c.results[1].timing = TimingStats::from_samples(candidate);
        c
    }

    /// 15 rounds whose machine phase doubles the time of every implementation halfway.
    fn phased_rounds() -> Vec<f64> {
        (0..15).map(|i| if i < 8 { 1.0 } else { 2.0 }).collect()
    }

    #[test]
    fn the_upper_bound_is_the_binomial_order_statistic() {
        // Smallest j with P(Binomial(n, ½) ≤ j − 1) ≥ 0.95 (checked against exact sums).
        for (n, j) in [
            (1, 1),
            (3, 3),
            (4, 4),
            (5, 5),
            (9, 8),
            (15, 12),
            (17, 13),
            (200, 113),
        ] {
            assert_eq!(upper_order_statistic(n).0, j, "n = {n}");
        }
        // The achieved confidence: 31/32 at 5 rounds, 7/8 with 3 (below 95 %: said so).
        assert!((upper_order_statistic(5).1 - 31.0 / 32.0).abs() < 1e-12);
        assert!((upper_order_statistic(3).1 - 0.875).abs() < 1e-12);
        // Far beyond where 0.5ⁿ underflows (n ≥ 1075): mean n/2 plus 1.645 standard deviations.
        let (j, confidence) = upper_order_statistic(10_000);
        assert!((5083..=5084).contains(&j), "{j}");
        assert!((0.95..0.96).contains(&confidence), "{confidence}");
        let a = TimingStats::from_samples(vec![3.0, 1.0, 2.0, 8.0, 5.0]).unwrap();
        let b = TimingStats::from_samples(vec![1.0; 5]).unwrap();
        let p = PairedRatio::of(&a, &b).unwrap();
        assert_eq!((p.rounds, p.median, p.upper), (5, 3.0, 8.0));
        // Samples from different rounds cannot be paired.
        let short = TimingStats::from_samples(vec![1.0; 4]).unwrap();
        assert_eq!(PairedRatio::of(&a, &short), None);
    }

    #[test]
    fn a_consistent_win_counts_whatever_the_phases_do() {
        // 3 % faster in every round, while the phases spread the reference's own samples by
        // 100 %: the old IQR rule kept the reference here; paired rounds see the win.
        let c = paired_cell(&phased_rounds(), &[0.97; 15]);
        let d = decide(&c);
        assert_eq!(d.implementation, Vectorized, "{}", d.reason);
        assert!(d.reason.contains("over 15 rounds"), "{}", d.reason);
        // 1 % faster in every round: below the 2 % floor.
        let c = paired_cell(&phased_rounds(), &[0.99; 15]);
        assert_eq!(decide(&c).implementation, Reference);
    }

    #[test]
    fn independent_noise_on_both_sides() {
        // ±30 % noise that does not move with the reference's: a 40 % faster candidate is
        // slower in 2 of 15 rounds, but the bound (0.814) still shows the win; an equally
        // fast one (bound 1.356) does not qualify.
        let reference: Vec<f64> = (0..15)
            .map(|i| 1.0 + 0.3 * (i as f64 * 1.7).sin())
            .collect();
        let noise = |i: usize| 1.0 + 0.3 * (i as f64 * 2.3).cos();
        let ratios =
            |speed: f64| -> Vec<f64> { (0..15).map(|i| speed * noise(i) / reference[i]).collect() };
        let d = decide(&paired_cell(&reference, &ratios(0.6)));
        assert_eq!(d.implementation, Vectorized, "{}", d.reason);
        assert!(d.reason.contains("≤ 0.814"), "{}", d.reason);
        let d = decide(&paired_cell(&reference, &ratios(1.0)));
        assert_eq!(d.implementation, Reference, "{}", d.reason);
        assert!(d.reason.contains("upper bound 1.356"), "{}", d.reason);
    }

    #[test]
    fn an_inconsistent_win_keeps_the_reference() {
        // Faster in 8 rounds of 15 (median ratio 0.8) but slower in 7: the 95 % bound is
        // the 12th ratio, 1.1.
        let ratios: Vec<f64> = (0..15)
            .map(|i| if i % 2 == 0 { 0.8 } else { 1.1 })
            .collect();
        let c = paired_cell(&[1.0; 15], &ratios);
        let d = decide(&c);
        assert_eq!(d.implementation, Reference, "{}", d.reason);
        assert!(
            d.reason
                .contains("not faster than the reference with 98.2 % confidence")
                && d.reason.contains("upper bound 1.100"),
            "{}",
            d.reason
        );
        // Faster in 12 of 15 rounds: the 12th ratio is a win, so the bound is too.
        let ratios: Vec<f64> = (0..15).map(|i| if i < 12 { 0.8 } else { 1.1 }).collect();
        assert_eq!(
            decide(&paired_cell(&[1.0; 15], &ratios)).implementation,
            Vectorized
        );
    }

    #[test]
    fn fastest_qualifying_wins() {
        let c = cell_f(&[
            (Reference, Some((1.0, 0.01))),
            (Vectorized, Some((0.5, 0.01))),
            (Parallel, Some((0.3, 0.01))),
        ]);
        assert_eq!(decide(&c).implementation, Parallel);
    }

    #[test]
    fn a_heavier_implementation_must_beat_the_lighter_by_the_margin() {
        // Parallel 4 % faster than vectorized: vectorized stays, and says why.
        let c = cell_f(&[
            (Reference, Some((1.0, 0.01))),
            (Parallel, Some((0.48, 0.10))),
            (Vectorized, Some((0.5, 0.01))),
        ]);
        let d = decide(&c);
        assert_eq!(d.implementation, Vectorized, "{}", d.reason);
        assert!(
            d.reason
                .contains("parallel not faster than vectorized by more than 10 %"),
            "{}",
            d.reason
        );
        // 40 % faster, even with a 50 % spread: parallel earns its cores.
        let c = cell_f(&[
            (Reference, Some((1.0, 0.01))),
            (Vectorized, Some((0.5, 0.01))),
            (Parallel, Some((0.3, 0.50))),
        ]);
        let d = decide(&c);
        assert_eq!(d.implementation, Parallel, "{}", d.reason);
        assert!(
            d.reason
                .contains("vectorized slower than parallel by more than 10 %"),
            "{}",
            d.reason
        );
        // A lighter variant that does not beat the reference does not block a heavier one.
        let c = cell_f(&[
            (Reference, Some((1.0, 0.01))),
            (Vectorized, Some((0.99, 0.01))),
            (Parallel, Some((0.5, 0.01))),
        ]);
        assert_eq!(decide(&c).implementation, Parallel);
    }

    #[test]
    fn reference_error_keeps_reference() {
        let mut c = cell_f(&[]);
        c.error = Some("the reference failed: boom".into());
        let d = decide(&c);
        assert_eq!(d.implementation, Reference);
        assert!(d.reason.contains("boom"));
    }

    #[test]
    fn bucket_bounds_are_geometric_means() {
        // √(100·400) = 200, √(400·1600) = 800.
        assert_eq!(
            bucket_bounds(&[100, 400, 1600]),
            vec![Some(200), Some(800), None]
        );
        assert_eq!(bucket_bounds(&[5]), vec![None]);
        // The standard fixtures: √(220 500 · 1 323 000) = 540 112.49…
        assert_eq!(bucket_bounds(&[220_500, 1_323_000])[0], Some(540_112));
    }

    #[test]
    fn selection_uses_fixtures_only_sorted_by_size() {
        let fast = |input: &str, frames| {
            sized_cell(
                input,
                frames,
                &[
                    (Reference, Some((1.0, 0.01))),
                    (Parallel, Some((0.5, 0.01))),
                ],
            )
        };
        let small = sized_cell(
            "small",
            100,
            &[
                (Reference, Some((1.0, 0.01))),
                (Parallel, Some((1.5, 0.01))),
            ],
        );
        let mut user = fast("user", 50);
        user.source = InputSource::File;
        let r = report("toy", vec![fast("large", 1600), user, small], 2);
        let sel = select(&r);
        let toy = &sel.stages["toy"];
        let got: Vec<(&str, Option<u64>, ImplKind)> = toy
            .buckets
            .iter()
            .map(|b| (b.measured_on.as_str(), b.max_frames, b.implementation))
            .collect();
        assert_eq!(
            got,
            vec![("small", Some(400), Reference), ("large", None, Parallel)]
        );
        assert_eq!(toy.crossovers.len(), 1);
        assert_eq!(toy.crossovers[0].at_frames, 401);
        assert_eq!(sel.choose("toy", 400), Reference);
        assert_eq!(sel.choose("toy", 401), Parallel);
    }
}
