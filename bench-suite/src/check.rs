//! The regression check: this run against a committed baseline.
//!
//! It fails on
//! 1. any implementation that fails accuracy (or a reference that fails to run);
//! 2. a default named in `reports/selection.json` that is no longer faster than the
//!    reference;
//! 3. a speed **ratio** (implementation median ÷ reference median, same run) that worsened
//!    beyond [`RATIO_TOLERANCE`] plus the measured noise of both runs, relative to the
//!    baseline's ratio;
//! 4. a streaming processor that allocates in its processing loop (or fails).
//!
//! Absolute times are never compared: they drift between machines and days; ratios measured
//! within one interleaved run mostly do not.
//!
//! **A flaky check is worse than none**, so a speed finding (2 or 3) is never reported from
//! one measurement: the cell is measured again with more samples (through the injectable
//! [`Remeasure`]) and fails only if the new measurement fails too. Comparisons that are not
//! fair are reported but not gated: parallel ratios when the core or thread count differs
//! from the baseline's, vectorized ratios when the SIMD level differs.

use std::collections::{BTreeSet, HashMap};

use auralis_core::selection::Selection;
use auralis_core::ImplKind;

use crate::report::{Cell, Report};
use crate::timing::TimingStats;

/// How much worse a speed ratio may get before the check fails, before widening by noise.
///
/// Same-run ratios of the same code on the same kind of machine move by 5–15 % between runs
/// on a shared 2-core machine (frequency boost, cache contention with neighbours); 35 % is
/// beyond that, and well below the regressions worth catching (a lost SIMD path or a
/// serialised parallel loop costs 2× or more).
pub const RATIO_TOLERANCE: f64 = 0.35;

/// A fresh measurement of one cell's speed ratio.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RatioSample {
    /// Implementation median ÷ reference median.
    pub ratio: f64,
    /// Relative uncertainty of that ratio: the sum of both relative IQRs.
    pub noise: f64,
}

impl RatioSample {
    /// The ratio of `candidate` to `reference` with its noise.
    pub fn of(reference: &TimingStats, candidate: &TimingStats) -> Option<Self> {
        (reference.median_secs > 0.0).then(|| RatioSample {
            ratio: candidate.median_secs / reference.median_secs,
            noise: reference.iqr_rel + candidate.iqr_rel,
        })
    }

    fn from_cell(cell: &Cell, kind: ImplKind) -> Option<Self> {
        let reference = cell.reference_timing()?;
        let candidate = cell.result(kind)?.timing.as_ref()?;
        Self::of(reference, candidate)
    }
}

/// Measures one cell again (reference and `kind`, interleaved, more samples).
pub trait Remeasure {
    fn remeasure(
        &mut self,
        stage: &str,
        input: &str,
        kind: ImplKind,
    ) -> Result<RatioSample, String>;
}

/// What the check found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CheckOutcome {
    /// One line per failure; the check failed if this is not empty.
    pub failures: Vec<String>,
    /// What was not gated and why, and suspicions a re-measurement cleared.
    pub notes: Vec<String>,
    /// Speed ratios compared with the baseline.
    pub ratios_compared: usize,
    /// Cells measured again.
    pub remeasured: usize,
}

impl CheckOutcome {
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }

    /// A human summary: failures, then notes, then one verdict line.
    pub fn summary(&self) -> String {
        let mut out = findings(&self.failures, &self.notes);
        out.push_str(&format!(
            "check {}: {} failure(s), {} speed ratio(s) compared with the baseline, {} cell(s) re-measured\n",
            if self.passed() { "passed" } else { "FAILED" },
            self.failures.len(),
            self.ratios_compared,
            self.remeasured
        ));
        out
    }
}

/// One `FAIL` line per failure, then one `note` line per note: the body of every gate's
/// summary (this check and [`crate::icount`]'s).
pub fn findings(failures: &[String], notes: &[String]) -> String {
    let mut out = String::new();
    for f in failures {
        out.push_str(&format!("FAIL  {f}\n"));
    }
    for n in notes {
        out.push_str(&format!("note  {n}\n"));
    }
    out
}

/// Why an implementation's speed is or is not gated against this baseline.
fn gating_exemption(kind: ImplKind, current: &Report, baseline: &Report) -> Option<String> {
    match kind {
        ImplKind::Parallel
            if current.machine.logical_cores != baseline.machine.logical_cores
                || current.run.rayon_threads != baseline.run.rayon_threads =>
        {
            Some(format!(
                "parallel speed not gated: {} logical cores / {} threads now, {} / {} in the baseline",
                current.machine.logical_cores,
                current.run.rayon_threads,
                baseline.machine.logical_cores,
                baseline.run.rayon_threads
            ))
        }
        ImplKind::Vectorized if current.machine.simd != baseline.machine.simd => Some(format!(
            "vectorized speed not gated: SIMD level {} now, {} in the baseline",
            current.machine.simd, baseline.machine.simd
        )),
        _ => None,
    }
}

/// Speed findings it would not be fair to gate (see [`gating_exemption`]): noted, not failed.
struct Exemptions<'r> {
    current: &'r Report,
    baseline: &'r Report,
    /// Reasons already noted: each is stated once, however many findings it excuses.
    noted: BTreeSet<String>,
}

impl Exemptions<'_> {
    /// When `kind`'s speed is not gated, notes why (once) and `finding` as "(not gated)",
    /// and returns `true`; otherwise returns `false` and notes nothing.
    fn excuse(
        &mut self,
        outcome: &mut CheckOutcome,
        kind: ImplKind,
        finding: impl FnOnce() -> String,
    ) -> bool {
        let Some(why) = gating_exemption(kind, self.current, self.baseline) else {
            return false;
        };
        if self.noted.insert(why.clone()) {
            outcome.notes.push(why);
        }
        outcome.notes.push(format!("{} (not gated)", finding()));
        true
    }
}

/// Compares `current` with `baseline` (and the committed `selection`, if any).
pub fn check(
    current: &Report,
    baseline: &Report,
    selection: Option<&Selection>,
    remeasure: &mut dyn Remeasure,
) -> CheckOutcome {
    let mut outcome = CheckOutcome::default();
    // Re-measurements are cached per cell, so rules 2 and 3 judge one cell by one
    // re-measurement.
    let mut fresh: HashMap<(String, String, ImplKind), Result<RatioSample, String>> =
        HashMap::new();
    let mut confirm = |outcome: &mut CheckOutcome, stage: &str, input: &str, kind: ImplKind| {
        fresh
            .entry((stage.to_string(), input.to_string(), kind))
            .or_insert_with(|| {
                outcome.remeasured += 1;
                remeasure.remeasure(stage, input, kind)
            })
            .clone()
    };

    // 1. Accuracy.
    for (stage, input, kind, reason) in current.accuracy_failures() {
        let what = kind.map_or("the reference".to_string(), |k| k.to_string());
        outcome
            .failures
            .push(format!("{stage} / {input} / {what}: accuracy: {reason}"));
    }

    // 4. Streaming.
    for stage in &current.stages {
        let Some(streaming) = &stage.streaming else {
            continue;
        };
        if let Some(error) = &streaming.error {
            outcome
                .failures
                .push(format!("{} streaming: {error}", stage.name));
        }
        for chunk in &streaming.chunks {
            if chunk.allocations > 0 {
                outcome.failures.push(format!(
                    "{} streaming at {} frames: {} allocation(s) in the processing loop (must be 0)",
                    stage.name, chunk.chunk_frames, chunk.allocations
                ));
            }
            if let Some(error) = &chunk.error {
                outcome.failures.push(format!(
                    "{} streaming at {} frames: {error}",
                    stage.name, chunk.chunk_frames
                ));
            }
        }
    }

    let mut exemptions = Exemptions {
        current,
        baseline,
        noted: BTreeSet::new(),
    };

    // 2. Selected defaults must still beat the reference.
    if let Some(selection) = selection {
        for (stage_name, stage_selection) in &selection.stages {
            for bucket in stage_selection
                .buckets
                .iter()
                .filter(|b| b.implementation != ImplKind::Reference)
            {
                let kind = bucket.implementation;
                let Some(cell) = current
                    .stage(stage_name)
                    .and_then(|s| s.cell(&bucket.measured_on))
                else {
                    outcome.notes.push(format!(
                        "selected default {stage_name} / {} / {kind} not measured in this run",
                        bucket.measured_on
                    ));
                    continue;
                };
                if cell.result(kind).is_some_and(|r| !r.accuracy.passed) {
                    continue; // already failed under rule 1
                }
                let Some(now) = RatioSample::from_cell(cell, kind) else {
                    outcome.failures.push(format!(
                        "{stage_name} / {} / {kind}: selected default was not timed in this run",
                        bucket.measured_on
                    ));
                    continue;
                };
                if now.ratio < 1.0 {
                    continue;
                }
                if exemptions.excuse(&mut outcome, kind, || {
                    format!(
                        "{stage_name} / {} / {kind}: selected default at {:.2}× the reference time",
                        bucket.measured_on, now.ratio
                    )
                }) {
                    continue;
                }
                match confirm(&mut outcome, stage_name, &bucket.measured_on, kind) {
                    Ok(again) if again.ratio >= 1.0 => outcome.failures.push(format!(
                        "{stage_name} / {} / {kind}: selected default is no longer faster than the reference \
                         ({:.3}× its time, {:.3}× on re-measurement)",
                        bucket.measured_on, now.ratio, again.ratio
                    )),
                    Ok(again) => outcome.notes.push(format!(
                        "{stage_name} / {} / {kind}: measured {:.3}× the reference time, re-measured {:.3}×: cleared",
                        bucket.measured_on, now.ratio, again.ratio
                    )),
                    Err(e) => outcome.failures.push(format!(
                        "{stage_name} / {} / {kind}: re-measurement failed: {e}",
                        bucket.measured_on
                    )),
                }
            }
        }
    } else {
        outcome
            .notes
            .push("no selection file: selected defaults not checked".to_string());
    }

    // 3. Ratio regressions against the baseline.
    for stage in &current.stages {
        let Some(base_stage) = baseline.stage(&stage.name) else {
            outcome.notes.push(format!(
                "{}: not in the baseline, nothing to compare",
                stage.name
            ));
            continue;
        };
        for cell in &stage.cells {
            let Some(base_cell) = base_stage.cell(&cell.input) else {
                continue;
            };
            for result in cell
                .results
                .iter()
                .filter(|r| r.implementation != ImplKind::Reference && r.accuracy.passed)
            {
                let kind = result.implementation;
                let (Some(now), Some(base)) = (
                    RatioSample::from_cell(cell, kind),
                    RatioSample::from_cell(base_cell, kind),
                ) else {
                    continue;
                };
                outcome.ratios_compared += 1;
                let allowed = |now: &RatioSample| {
                    base.ratio * (1.0 + RATIO_TOLERANCE + now.noise + base.noise)
                };
                if now.ratio <= allowed(&now) {
                    continue;
                }
                let label = format!("{} / {} / {kind}", stage.name, cell.input);
                if exemptions.excuse(&mut outcome, kind, || {
                    format!(
                        "{label}: ratio {:.3} vs baseline {:.3}",
                        now.ratio, base.ratio
                    )
                }) {
                    continue;
                }
                match confirm(&mut outcome, &stage.name, &cell.input, kind) {
                    Ok(again) if again.ratio > allowed(&again) => outcome.failures.push(format!(
                        "{label}: speed ratio regressed: {:.3}× the reference time (re-measured {:.3}×), \
                         baseline {:.3}×, allowed ≤ {:.3}× ({:.0} % tolerance + noise)",
                        now.ratio,
                        again.ratio,
                        base.ratio,
                        allowed(&again),
                        100.0 * RATIO_TOLERANCE
                    )),
                    Ok(again) => outcome.notes.push(format!(
                        "{label}: ratio {:.3} (baseline {:.3}) re-measured at {:.3}: cleared",
                        now.ratio, base.ratio, again.ratio
                    )),
                    Err(e) => outcome
                        .failures
                        .push(format!("{label}: re-measurement failed: {e}")),
                }
            }
        }
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::toy::{cell, report, result};
    use auralis_core::selection::{Bucket, StageSelection};
    use ImplKind::{Parallel, Reference, Vectorized};

    /// Returns a fixed answer and counts calls.
    struct Scripted {
        answer: Result<RatioSample, String>,
        calls: Vec<(String, String, ImplKind)>,
    }

    impl Scripted {
        fn new(ratio: f64) -> Self {
            Scripted {
                answer: Ok(RatioSample { ratio, noise: 0.02 }),
                calls: Vec::new(),
            }
        }
    }

    impl Remeasure for Scripted {
        fn remeasure(
            &mut self,
            stage: &str,
            input: &str,
            kind: ImplKind,
        ) -> Result<RatioSample, String> {
            self.calls.push((stage.into(), input.into(), kind));
            self.answer.clone()
        }
    }

    fn two_impl_report(vec_median: f64, par_median: f64, cores: usize) -> Report {
        report(
            "toy",
            vec![cell(
                "f",
                1000,
                vec![
                    result(Reference, Some((1.0, 0.01))),
                    result(Vectorized, Some((vec_median, 0.01))),
                    result(Parallel, Some((par_median, 0.01))),
                ],
            )],
            cores,
        )
    }

    #[test]
    fn identical_runs_pass_without_remeasuring() {
        let r = two_impl_report(0.5, 0.3, 2);
        let mut re = Scripted::new(0.0);
        let outcome = check(&r, &r, None, &mut re);
        assert!(outcome.passed(), "{}", outcome.summary());
        assert_eq!(outcome.ratios_compared, 2);
        assert!(re.calls.is_empty());
    }

    #[test]
    fn accuracy_failure_fails() {
        let base = two_impl_report(0.5, 0.3, 2);
        let mut now = base.clone();
        now.stages[0].cells[0].results[2] = result(Parallel, None);
        let outcome = check(&now, &base, None, &mut Scripted::new(0.3));
        assert!(!outcome.passed());
        assert!(
            outcome.failures[0].contains("toy / f / parallel: accuracy"),
            "{:?}",
            outcome.failures
        );
    }

    #[test]
    fn ratio_regression_fails_only_if_the_remeasurement_confirms_it() {
        let base = two_impl_report(0.5, 0.3, 2);
        // Vectorized went from 0.5 to 0.9 of the reference time: beyond 0.5 · (1 + 0.35 + 0.04).
        let now = two_impl_report(0.9, 0.3, 2);
        let mut confirms = Scripted::new(0.88);
        let outcome = check(&now, &base, None, &mut confirms);
        assert_eq!(outcome.failures.len(), 1, "{}", outcome.summary());
        assert!(outcome.failures[0].contains("vectorized: speed ratio regressed"));
        assert_eq!(confirms.calls, vec![("toy".into(), "f".into(), Vectorized)]);

        let mut clears = Scripted::new(0.52);
        let outcome = check(&now, &base, None, &mut clears);
        assert!(outcome.passed(), "{}", outcome.summary());
        assert_eq!(outcome.remeasured, 1);
        assert!(outcome.notes.iter().any(|n| n.contains("cleared")));

        let mut broken = Scripted::new(0.0);
        broken.answer = Err("vectorized failed: boom".into());
        assert!(!check(&now, &base, None, &mut broken).passed());
    }

    #[test]
    fn regression_within_tolerance_passes() {
        let base = two_impl_report(0.5, 0.3, 2);
        // 0.65 ≤ 0.5 · 1.39 = 0.695.
        let now = two_impl_report(0.65, 0.3, 2);
        let mut re = Scripted::new(1.0);
        assert!(check(&now, &base, None, &mut re).passed());
        assert!(re.calls.is_empty());
    }

    #[test]
    fn core_count_change_skips_parallel_gating() {
        let base = two_impl_report(0.5, 0.3, 8);
        let now = two_impl_report(0.5, 0.9, 2);
        let mut re = Scripted::new(0.9);
        let outcome = check(&now, &base, None, &mut re);
        assert!(outcome.passed(), "{}", outcome.summary());
        assert!(re.calls.is_empty());
        assert!(outcome
            .notes
            .iter()
            .any(|n| n.contains("parallel speed not gated")));
        // Same core count: the same numbers fail.
        let base = two_impl_report(0.5, 0.3, 2);
        assert!(!check(&now, &base, None, &mut re).passed());
    }

    #[test]
    fn selected_default_must_still_beat_the_reference() {
        let base = two_impl_report(0.5, 0.3, 2);
        let mut selection = Selection::empty();
        selection.stages.insert(
            "toy".into(),
            StageSelection::with_crossovers(vec![Bucket {
                measured_on: "f".into(),
                max_frames: None,
                implementation: Vectorized,
                reason: String::new(),
            }]),
        );
        // Now vectorized is slower than the reference, and the baseline says so too (so
        // only the selection rule can catch it).
        let now = two_impl_report(1.05, 0.3, 2);
        let slow_base = two_impl_report(1.0, 0.3, 2);
        let mut confirms = Scripted::new(1.04);
        let outcome = check(&now, &slow_base, Some(&selection), &mut confirms);
        assert_eq!(outcome.failures.len(), 1, "{}", outcome.summary());
        assert!(outcome.failures[0].contains("no longer faster"));
        let mut clears = Scripted::new(0.97);
        assert!(check(&now, &slow_base, Some(&selection), &mut clears).passed());
        // Still faster: nothing to re-measure.
        let mut re = Scripted::new(2.0);
        assert!(check(&base, &base, Some(&selection), &mut re).passed());
        assert!(re.calls.is_empty());
    }

    #[test]
    fn streaming_allocations_fail() {
        use crate::report::{ChunkLatency, StreamingReport};
        let base = two_impl_report(0.5, 0.3, 2);
        let mut now = base.clone();
        let chunk = ChunkLatency {
            chunk_frames: 256,
            calls: 10,
            budget_ns: 5_000_000,
            p50_ns: 1,
            p99_ns: 1,
            p999_ns: 1,
            max_ns: 1,
            p50_share: 0.0,
            p99_share: 0.0,
            p999_share: 0.0,
            max_share: 0.0,
            real_time_factor: 1.0,
            allocations: 3,
            percentiles: vec![],
            error: None,
        };
        now.stages[0].streaming = Some(StreamingReport {
            input: "f".into(),
            channels: 2,
            sample_rate: 44_100,
            latency_frames: Some(0),
            error: None,
            chunks: vec![chunk],
        });
        let outcome = check(&now, &base, None, &mut Scripted::new(0.5));
        assert_eq!(outcome.failures.len(), 1);
        assert!(outcome.failures[0].contains("3 allocation(s)"));
    }
}
