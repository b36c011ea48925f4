//! The report model: everything one `cargo xtask bench` run measured, as serde types.
//!
//! `report.json` is this model serialised; `REPORT.md`, the plots, the default selection and
//! the regression check are all computed from it (and only from it), so a report can be
//! re-rendered, re-selected or checked later without re-running anything. The layout is
//! documented field by field in `reports/SCHEMA.md`; bump [`SCHEMA_VERSION`] on any change a
//! reader of an older report would misunderstand.
//!
//! Every number is finite by construction (JSON has no NaN or ∞): values that can be
//! undefined are `Option`s and appear as `null`.

use std::path::Path;

use auralis_core::selection::Selection;
use auralis_core::{Accuracy, ImplKind, Trace};
use serde::{Deserialize, Serialize};

use crate::alloc_counter::MemoryUsage;
use crate::error::{LabError, LabResult};
use crate::machine::MachineInfo;
use crate::timing::{Mode, TimingStats};

/// Version of the `report.json` layout.
pub const SCHEMA_VERSION: u32 = 1;

/// One bench run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub schema_version: u32,
    /// The program that wrote it, e.g. `"auralis-lab 0.1.0"`.
    pub generator: String,
    pub machine: MachineInfo,
    pub run: RunInfo,
    pub inputs: Vec<InputInfo>,
    pub stages: Vec<StageReport>,
    /// What `cargo xtask select` would write from this report (standard fixtures only).
    pub selection: Selection,
    /// The batch measurement (`batch.rs`), when the run included it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch: Option<crate::batch::BatchReport>,
}

/// Percentiles of the wall time of identical, fixed work timed many times on one thread:
/// any spread is the machine's (preemption, interrupts, neighbours), not the code's.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct JitterProbe {
    pub calls: u64,
    pub p50_ns: u64,
    pub p99_ns: u64,
    pub p999_ns: u64,
    pub max_ns: u64,
}

/// How the run was made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    pub mode: Mode,
    /// The command that reproduces the run, e.g. `"cargo xtask bench --quick"`.
    pub command: String,
    /// Threads in the rayon pool the run used.
    pub rayon_threads: usize,
    /// A fixed sample count requested with `--samples`, if any.
    pub samples_override: Option<usize>,
    /// Stages measured, in order.
    pub stages: Vec<String>,
    /// The input the streaming measurement and the traces used.
    pub stream_input: Option<String>,
    /// Chunk sizes (frames) of the streaming measurement.
    pub chunk_sizes: Vec<usize>,
    /// Wall-clock duration of the whole run, seconds.
    pub wall_secs: f64,
    /// The machine's own timing noise, measured on fixed work (see
    /// `streaming::measure_jitter`); absent in reports before it existed.
    #[serde(default)]
    pub jitter: Option<JitterProbe>,
    /// Main-memory copy bandwidth in GB/s (read + written), measured by the lab
    /// (`bandwidth.rs`); absent in reports before it existed.
    #[serde(default)]
    pub memory_bandwidth_gbs: Option<f64>,
    /// The scheduling policy the noise probe and the streaming chunk sizes were timed under
    /// (`realtime.rs`): `"SCHED_FIFO, priority 50"`, or `"normal (…why…)"`. Absent in
    /// reports before it existed (those were timed under the normal policy).
    #[serde(default)]
    pub stream_scheduling: Option<String>,
    /// Anything a reader must know to trust the numbers (e.g. a debug build).
    pub warnings: Vec<String>,
}

/// Where an input came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InputSource {
    /// A standard fixture (counts for the default selection).
    Fixture,
    /// A user's file given with `--input` (reported, never used for selection).
    File,
}

/// One input the stages were measured on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputInfo {
    /// Fixture name (`"music-30s"`) or the file's stem.
    pub name: String,
    pub source: InputSource,
    pub path: Option<String>,
    /// SHA-256 of the file, when known.
    pub sha256: Option<String>,
    /// Frames (samples per channel).
    pub frames: u64,
    pub channels: usize,
    pub sample_rate: u32,
    pub seconds: f64,
}

/// One stage: its tolerance, one cell per input, streaming latency, traces.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageReport {
    pub name: String,
    /// The stage's accuracy tolerance and its reason, in its own words.
    pub tolerance: String,
    pub implementations: Vec<ImplKind>,
    pub cells: Vec<Cell>,
    pub streaming: Option<StreamingReport>,
    pub traces: Vec<TraceReport>,
}

/// One stage on one input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    pub input: String,
    pub source: InputSource,
    pub frames: u64,
    pub seconds: f64,
    /// Set when nothing could be measured (the reference itself failed).
    pub error: Option<String>,
    /// One entry per implementation, reference first.
    pub results: Vec<ImplResult>,
    /// The stage's peers (other crates doing the same job), timed in the same rounds and
    /// compared with the reference; never selected. Absent in reports before peers existed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub peers: Vec<PeerResult>,
}

/// One peer on one input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeerResult {
    pub name: String,
    /// Held to the reference with the peer tolerance ([`auralis_core::Stage::compare_peer`]).
    pub accuracy: AccuracyVerdict,
    /// `None` if it failed to run (see `error`).
    pub timing: Option<TimingStats>,
    pub error: Option<String>,
    /// Audio seconds per wall second at the median.
    pub real_time_factor: Option<f64>,
    /// Reference median ÷ this median, both from this run.
    pub speedup_vs_reference: Option<f64>,
}

impl Cell {
    /// The result of implementation `kind`, if it was run.
    pub fn result(&self, kind: ImplKind) -> Option<&ImplResult> {
        self.results.iter().find(|r| r.implementation == kind)
    }

    /// The reference's timing, if it was timed.
    pub fn reference_timing(&self) -> Option<&TimingStats> {
        self.result(ImplKind::Reference)
            .and_then(|r| r.timing.as_ref())
    }
}

/// One implementation on one input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImplResult {
    pub implementation: ImplKind,
    pub accuracy: AccuracyVerdict,
    /// Extra heap of one run (the first, untimed one).
    pub memory: Option<MemoryUsage>,
    /// Wall time of that first run, which writes a freshly allocated output (first-touch
    /// page faults included); one sample, so only indicative. The timed samples reuse the
    /// previous output instead (see `run::time_kinds`). Absent in reports before it existed.
    #[serde(default)]
    pub cold_secs: Option<f64>,
    /// `None` when it was not timed (see `not_timed`).
    pub timing: Option<TimingStats>,
    /// Why it was not timed (failed accuracy, or failed while being timed).
    pub not_timed: Option<String>,
    /// Audio seconds per wall second at the median.
    pub real_time_factor: Option<f64>,
    /// Reference median ÷ this median, both from this run.
    pub speedup_vs_reference: Option<f64>,
}

/// The accuracy verdict on one implementation, against the reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccuracyVerdict {
    pub passed: bool,
    /// The check closest to its limit (or the first failure), e.g.
    /// `"relative RMS error = 1.2e-7 (limit 1.0e-6)"`.
    pub key_metric: String,
    /// Every failed check or the error that prevented a comparison.
    pub failures: Vec<String>,
    pub checks: Vec<CheckResult>,
    pub metrics: Option<MetricsSummary>,
}

/// One named requirement with its value and limit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    pub name: String,
    /// `null` when not finite (NaN never passes).
    pub value: Option<f64>,
    pub limit: Option<f64>,
    pub lower_bound: bool,
    pub passed: bool,
}

/// [`auralis_core::Metrics`] with non-finite values as `null` (no match of length, NaN…).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricsSummary {
    pub mse: Option<f64>,
    pub correlation: Option<f64>,
    pub max_abs_error: Option<f64>,
    /// `null` also for an exact match (infinite SNR).
    pub snr_db: Option<f64>,
    pub relative_rms_error: Option<f64>,
    pub len: usize,
}

/// Per-call latency of a stage's streaming processor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StreamingReport {
    pub input: String,
    pub channels: usize,
    pub sample_rate: u32,
    pub latency_frames: Option<usize>,
    /// Set when the processor could not be built.
    pub error: Option<String>,
    pub chunks: Vec<ChunkLatency>,
}

/// Latency of `process_interleaved` for one chunk size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChunkLatency {
    pub chunk_frames: usize,
    /// Calls timed (full chunks of the input).
    pub calls: u64,
    /// The chunk's duration: the time a real-time caller has for one call.
    pub budget_ns: u64,
    pub p50_ns: u64,
    pub p99_ns: u64,
    pub p999_ns: u64,
    pub max_ns: u64,
    /// Each percentile as a fraction of `budget_ns` (1.0 = exactly real time).
    pub p50_share: f64,
    pub p99_share: f64,
    pub p999_share: f64,
    pub max_share: f64,
    /// Audio seconds per second of processing, over all calls.
    pub real_time_factor: f64,
    /// Allocations by the calling thread during the loop; must be 0.
    pub allocations: u64,
    /// Latency at percentiles 50, 90, 99, 99.9, 99.99, 100 (for the plot).
    pub percentiles: Vec<PercentilePoint>,
    /// Set when a call failed (the loop stops there).
    pub error: Option<String>,
}

/// One point of a latency percentile curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PercentilePoint {
    pub percentile: f64,
    pub ns: u64,
}

/// A time series from the reference output, for plotting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceReport {
    pub input: String,
    pub trace: Trace,
}

impl AccuracyVerdict {
    /// The reference is the definition; its verdict records that the stage's comparison
    /// accepts the reference's own output (a comparison that rejects it is broken).
    pub fn from_accuracy(accuracy: &Accuracy) -> Self {
        let checks: Vec<CheckResult> = accuracy
            .checks
            .iter()
            .map(|c| CheckResult {
                name: c.name.clone(),
                value: finite(c.value),
                limit: finite(c.limit),
                lower_bound: c.lower_bound,
                passed: c.passed,
            })
            .collect();
        let m = &accuracy.metrics;
        let metrics = MetricsSummary {
            mse: finite(m.mse),
            correlation: finite(m.correlation),
            max_abs_error: finite(m.max_abs_error),
            snr_db: m.snr_db.and_then(finite),
            relative_rms_error: finite(m.relative_rms_error),
            len: m.len,
        };
        AccuracyVerdict {
            passed: accuracy.passed(),
            key_metric: key_metric(accuracy),
            failures: accuracy.failures(),
            checks,
            metrics: Some(metrics),
        }
    }

    /// The reference's own verdict: it is the definition, and its output must pass the
    /// stage's comparison with itself (a comparison that rejects identical outputs is broken
    /// and makes every other verdict meaningless).
    pub fn reference(self_comparison: &Accuracy) -> Self {
        let mut verdict = Self::from_accuracy(self_comparison);
        if verdict.passed {
            verdict.key_metric = "the definition (accepts its own output)".to_string();
        } else {
            verdict.key_metric = format!(
                "the stage's comparison rejects the reference's own output: {}",
                verdict.key_metric
            );
        }
        verdict
    }

    /// A verdict for an implementation that could not even produce an output.
    pub fn error(message: impl Into<String>) -> Self {
        let message = message.into();
        AccuracyVerdict {
            passed: false,
            key_metric: message.clone(),
            failures: vec![message],
            checks: Vec::new(),
            metrics: None,
        }
    }
}

/// The line a reader needs: the first failed check, or else the check closest to its limit
/// (for an upper bound, the largest `value / limit`; for a lower bound, the smallest
/// distance above it), so "passed" comes with how much headroom was left.
fn key_metric(accuracy: &Accuracy) -> String {
    if !accuracy.passed() {
        return accuracy
            .failures()
            .into_iter()
            .next()
            .unwrap_or_else(|| "no checks".to_string());
    }
    let utilisation = |c: &auralis_core::Check| -> f64 {
        if c.lower_bound {
            // 1.0 at the bound, 0 far above it; correlation-like values live near 1.
            let headroom = (c.value - c.limit).abs();
            let scale = (1.0 - c.limit).abs().max(f64::MIN_POSITIVE);
            1.0 - (headroom / scale).min(1.0)
        } else if c.limit > 0.0 {
            c.value / c.limit
        } else {
            0.0
        }
    };
    accuracy
        .checks
        .iter()
        .max_by(|a, b| utilisation(a).total_cmp(&utilisation(b)))
        .map(|c| {
            if c.lower_bound {
                // Lower bounds are correlation-like, close to 1: scientific notation would
                // print both value and limit as 1.0e0.
                format!("{} = {} (≥ {})", c.name, decimal(c.value), decimal(c.limit))
            } else {
                format!("{} = {:.2e} (≤ {:.1e})", c.name, c.value, c.limit)
            }
        })
        .unwrap_or_else(|| "no checks".to_string())
}

/// Up to 10 decimals, trailing zeros trimmed: `0.999999`, `0.9999999987`, `1`.
fn decimal(x: f64) -> String {
    let s = format!("{x:.10}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

/// `Some(x)` for finite `x`, else `None` (JSON `null`).
pub fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

/// The text of a file the lab reads back (a report, a baseline), with an error that names
/// the file and says whether it is missing or unreadable.
pub(crate) fn read_text(path: &Path) -> LabResult<String> {
    std::fs::read_to_string(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            LabError::Input(format!("{}: no such file", path.display()))
        } else {
            LabError::Input(format!("{}: cannot read: {e}", path.display()))
        }
    })
}

impl Report {
    /// The report as pretty JSON.
    pub fn to_json(&self) -> LabResult<String> {
        serde_json::to_string_pretty(self)
            .map_err(|e| LabError::Output(format!("cannot encode the report as JSON: {e}")))
    }

    /// Parses a report, rejecting other schema versions with a message that says what to do.
    pub fn from_json(text: &str, origin: &Path) -> LabResult<Self> {
        #[derive(Deserialize)]
        struct VersionOnly {
            schema_version: u32,
        }
        let version: VersionOnly = serde_json::from_str(text)
            .map_err(|e| LabError::Input(format!("{}: not a lab report: {e}", origin.display())))?;
        if version.schema_version != SCHEMA_VERSION {
            return Err(LabError::Input(format!(
                "{}: report schema version {} but this lab reads version {SCHEMA_VERSION}; \
                 re-run `cargo xtask bench` (and `cargo xtask baseline`) to regenerate it",
                origin.display(),
                version.schema_version
            )));
        }
        serde_json::from_str(text).map_err(|e| {
            LabError::Input(format!("{}: malformed lab report: {e}", origin.display()))
        })
    }

    /// Reads a report file.
    pub fn read(path: &Path) -> LabResult<Self> {
        Self::from_json(&read_text(path)?, path)
    }

    /// The stage called `name`, if it was measured.
    pub fn stage(&self, name: &str) -> Option<&StageReport> {
        self.stages.iter().find(|s| s.name == name)
    }

    /// Every implementation that failed accuracy (or could not run), as
    /// `(stage, input, implementation or None for the whole cell, reason)`.
    pub fn accuracy_failures(&self) -> Vec<(String, String, Option<ImplKind>, String)> {
        let mut failures = Vec::new();
        for stage in &self.stages {
            for cell in &stage.cells {
                if let Some(error) = &cell.error {
                    failures.push((stage.name.clone(), cell.input.clone(), None, error.clone()));
                }
                for result in cell.results.iter().filter(|r| !r.accuracy.passed) {
                    failures.push((
                        stage.name.clone(),
                        cell.input.clone(),
                        Some(result.implementation),
                        result.accuracy.failures.join("; "),
                    ));
                }
            }
        }
        failures
    }
}

impl StageReport {
    /// The cell for input `name`.
    pub fn cell(&self, input: &str) -> Option<&Cell> {
        self.cells.iter().find(|c| c.input == input)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::toy::{cell, report, result};
    use auralis_core::Metrics;

    #[test]
    fn json_round_trip_including_non_finite_values() {
        let mut r = report(
            "toy",
            vec![cell(
                "f",
                1000,
                vec![
                    result(ImplKind::Reference, Some((1.0, 0.01))),
                    result(ImplKind::Parallel, None),
                ],
            )],
            2,
        );
        // A comparison that failed before any metric: NaN value, infinite metrics.
        let failed = AccuracyVerdict::from_accuracy(&Accuracy::failed("outputs differ in shape"));
        assert_eq!(failed.checks[0].value, None);
        assert_eq!(failed.metrics.as_ref().unwrap().mse, None);
        r.stages[0].cells[0].results[1].accuracy = failed;
        r.stages[0].cells[0].results[0].accuracy = AccuracyVerdict::from_accuracy(&Accuracy {
            metrics: Metrics::of_f32(&[1.0, 2.0], &[1.0, 2.0]),
            checks: vec![auralis_core::Check::at_least("correlation", 1.0, 0.999_999)],
        });
        r.selection = crate::select::select(&r);
        let json = r.to_json().unwrap();
        let back = Report::from_json(&json, Path::new("r.json")).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn other_schema_versions_and_garbage_are_rejected() {
        let r = report("toy", vec![], 2);
        let json = r.to_json().unwrap().replacen(
            &format!("\"schema_version\": {SCHEMA_VERSION}"),
            "\"schema_version\": 99",
            1,
        );
        let err = Report::from_json(&json, Path::new("old.json")).unwrap_err();
        assert!(err.to_string().contains("schema version 99"), "{err}");
        assert!(Report::from_json("{", Path::new("x.json")).is_err());
        let err = Report::read(Path::new("/definitely/missing.json")).unwrap_err();
        assert!(matches!(err, LabError::Input(_)));
    }

    #[test]
    fn key_metric_names_the_tightest_check() {
        let accuracy = Accuracy {
            metrics: Metrics::of_f32(&[1.0], &[1.0]),
            checks: vec![
                auralis_core::Check::at_most("loose", 1e-9, 1.0),
                auralis_core::Check::at_most("tight", 5e-7, 1e-6),
            ],
        };
        let v = AccuracyVerdict::from_accuracy(&accuracy);
        assert!(v.passed);
        assert!(
            v.key_metric.starts_with("tight = 5.00e-7"),
            "{}",
            v.key_metric
        );
        let correlation = Accuracy {
            metrics: Metrics::of_f32(&[1.0], &[1.0]),
            checks: vec![auralis_core::Check::at_least(
                "correlation",
                0.999_999_98,
                0.999_999,
            )],
        };
        let v = AccuracyVerdict::from_accuracy(&correlation);
        assert_eq!(v.key_metric, "correlation = 0.99999998 (≥ 0.999999)");
        assert_eq!(decimal(1.0), "1");
    }
}
