//! The default-selection rule: which implementation runs by default, per stage and input
//! size.
//!
//! Per stage, one size bucket per standard fixture; a bucket ends at the geometric mean of
//! its fixture's length and the next one's (in frames), and the last is unbounded. In each
//! bucket the default is the fastest implementation that
//!
//! 1. **passed accuracy** against the reference (a fast wrong answer is never a default), and
//! 2. **beat the reference by more than the noise**: its median is below
//!    `reference median × (1 − noise)`, where `noise` is the larger relative IQR of the two,
//!    and at least [`NOISE_FLOOR`].
//!
//! Otherwise the reference stays the default. Among several qualifying implementations the
//! lightest comes first (vectorized: one core; parallel: all of them), and a heavier one
//! replaces it only if its median is at least [`HEAVIER_MARGIN`] below the lighter one's: a
//! parallel variant must earn the cores it takes from the caller, and the default no longer
//! flips from run to run between two implementations within a few per cent of each other
//! (it did at 5 s and 30 s). Either way the bucket records why.
//! Only standard fixtures count: a user's `--input` file is reported but never decides a
//! default.

use auralis_core::selection::{Bucket, Selection, StageSelection, SCHEMA_VERSION};
use auralis_core::ImplKind;

use crate::report::{Cell, InputSource, Report, StageReport};
use crate::timing::TimingStats;

/// Smallest noise a speed-up must beat: below 2 %, a difference is within what the same
/// build measures on the same machine from one run to the next.
pub const NOISE_FLOOR: f64 = 0.02;

/// The decision for one stage on one input.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub implementation: ImplKind,
    pub reason: String,
}

/// The noise a candidate must beat against the reference (or a lighter candidate): the
/// larger relative IQR, floored.
pub fn noise(reference: &TimingStats, candidate: &TimingStats) -> f64 {
    reference.iqr_rel.max(candidate.iqr_rel).max(NOISE_FLOOR)
}

/// How much faster (relative median) a heavier implementation must be than a lighter one
/// that also qualifies. A policy, not a noise estimate: each implementation's IQR measures
/// its own spread, not the uncertainty of the difference between two medians of interleaved
/// samples, and on a noisy run it would keep a variant 37 % slower as the default (EQ at
/// 180 s: IQR 47 %). 10 % is what occupying every core should buy at least.
pub const HEAVIER_MARGIN: f64 = 0.10;

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
    let mut best: Option<(ImplKind, &TimingStats, f64)> = None;
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
        let noise = noise(reference, timing);
        let threshold = reference.median_secs * (1.0 - noise);
        let change = timing.median_secs / reference.median_secs - 1.0;
        if timing.median_secs < threshold {
            match best {
                None => best = Some((kind, timing, noise)),
                Some((lighter, chosen, _)) => {
                    // A heavier implementation must also beat the lighter choice.
                    let between = HEAVIER_MARGIN;
                    if timing.median_secs < chosen.median_secs * (1.0 - between) {
                        rejected.push(format!(
                            "{lighter} slower than {kind} by more than {:.0} %",
                            100.0 * HEAVIER_MARGIN
                        ));
                        best = Some((kind, timing, noise));
                    } else {
                        rejected.push(format!(
                            "{kind} not faster than {lighter} by more than {:.0} % ({:+.1} %)",
                            100.0 * between,
                            100.0 * (timing.median_secs / chosen.median_secs - 1.0)
                        ));
                    }
                }
            }
        } else if noise >= 1.0 {
            rejected.push(format!(
                "{kind} undecidable: timing spread (IQR {:.0} % of the median) too large to tell \
                 {:+.1} % from noise",
                100.0 * noise,
                100.0 * change
            ));
        } else {
            rejected.push(format!(
                "{kind} not faster by more than the noise ({:+.1} % vs reference, needed < −{:.1} %)",
                100.0 * change,
                100.0 * noise
            ));
        }
    }
    match best {
        Some((kind, timing, noise)) => {
            let mut reason = format!(
                "{kind}: {:.2}× faster than reference (median {} vs {}; noise {:.1} %)",
                reference.median_secs / timing.median_secs,
                format_secs(timing.median_secs),
                format_secs(reference.median_secs),
                100.0 * noise
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

    #[test]
    fn within_noise_keeps_the_reference() {
        // 3 % faster, but the reference's spread is 5 %: not a measurable win.
        let c = reference_vs_vectorized((1.0, 0.05), (0.97, 0.01));
        let d = decide(&c);
        assert_eq!(d.implementation, Reference);
        assert!(d.reason.contains("needed < −5.0 %"), "{}", d.reason);
        // 1 % faster with tiny spreads: the 2 % floor still applies.
        let c = reference_vs_vectorized((1.0, 0.001), (0.99, 0.001));
        assert_eq!(decide(&c).implementation, Reference);
        // A spread larger than the median itself decides nothing, and says so.
        let mut c = reference_vs_vectorized((1.0, 0.01), (0.4, 0.01));
        // Quartiles 0.6 and 2.0 around a median of 1: IQR 140 % of the median.
        c.results[0].timing = TimingStats::from_samples(vec![0.2, 1.0, 3.0]);
        let d = decide(&c);
        assert_eq!(d.implementation, Reference);
        assert!(d.reason.contains("undecidable"), "{}", d.reason);
        // 6 % faster against 5 % noise: selected.
        let c = reference_vs_vectorized((1.0, 0.05), (0.94, 0.01));
        assert_eq!(decide(&c).implementation, Vectorized);
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
