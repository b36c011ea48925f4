//! The end of a batch: the final table on stdout and `--summary` JSON (its keys are a
//! promise to scripts, versioned by [`SUMMARY_SCHEMA_VERSION`]), and the `--dry-run` listing.

use std::fmt::Write as _;

use auralis::pipeline::LoudnessSummary;
use serde_json::{json, Value};

use super::plan::Item;
use super::shard::Shard;

/// Version of `--summary`'s layout; bumped when a key is renamed, removed or changes
/// meaning (adding keys does not bump it).
pub const SUMMARY_SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Done,
    Skipped,
    Failed,
    /// Never started: the batch was stopped by a signal first.
    NotStarted,
}

impl Status {
    fn name(self) -> &'static str {
        match self {
            Status::Done => "done",
            Status::Skipped => "skipped",
            Status::Failed => "failed",
            Status::NotStarted => "not_started",
        }
    }
}

/// One track's outcome.
#[derive(Debug, Clone)]
pub struct FileResult {
    pub input: String,
    pub output: String,
    pub status: Status,
    /// Why it was skipped, or what failed.
    pub reason: Option<String>,
    pub input_loudness: Option<LoudnessSummary>,
    pub output_loudness: Option<LoudnessSummary>,
    /// Audio mastered, seconds (0 unless done).
    pub audio_secs: f64,
    pub time_ms: f64,
}

impl FileResult {
    pub fn new(item: &Item) -> Self {
        FileResult {
            input: item.input.display().to_string(),
            output: item.output.display().to_string(),
            status: Status::NotStarted,
            reason: None,
            input_loudness: None,
            output_loudness: None,
            audio_secs: 0.0,
            time_ms: 0.0,
        }
    }

    pub fn not_started(item: &Item) -> Self {
        let mut result = Self::new(item);
        result.reason = Some("the batch was stopped before this track started".into());
        result
    }
}

/// Counts and speeds of a run.
pub struct Totals {
    pub done: usize,
    pub skipped: usize,
    pub failed: usize,
    pub not_started: usize,
    pub audio_secs: f64,
    pub wall_secs: f64,
    pub jobs: usize,
}

impl Totals {
    pub fn of(results: &[FileResult], wall_secs: f64, jobs: usize) -> Self {
        let count = |s: Status| results.iter().filter(|r| r.status == s).count();
        Totals {
            done: count(Status::Done),
            skipped: count(Status::Skipped),
            failed: count(Status::Failed),
            not_started: count(Status::NotStarted),
            audio_secs: results.iter().map(|r| r.audio_secs).sum(),
            wall_secs,
            jobs,
        }
    }

    fn real_time_factor(&self) -> f64 {
        self.audio_secs / self.wall_secs.max(1e-9)
    }
}

fn loudness(l: Option<&LoudnessSummary>) -> Value {
    match l {
        Some(l) => json!({
            "integrated_lufs": l.integrated_lufs,
            "true_peak_dbtp": l.true_peak_dbtp,
        }),
        None => Value::Null,
    }
}

/// The `--summary` document.
pub fn json(results: &[FileResult], totals: &Totals, interrupted: Option<i32>) -> Value {
    let files: Vec<Value> = results
        .iter()
        .map(|r| {
            json!({
                "input": r.input,
                "output": r.output,
                "status": r.status.name(),
                "error": if r.status == Status::Failed { r.reason.clone() } else { None },
                "reason": if r.status != Status::Failed { r.reason.clone() } else { None },
                "input_loudness": loudness(r.input_loudness.as_ref()),
                "output_loudness": loudness(r.output_loudness.as_ref()),
                "audio_secs": r.audio_secs,
                "time_ms": r.time_ms,
            })
        })
        .collect();
    json!({
        "schema_version": SUMMARY_SCHEMA_VERSION,
        "files": files,
        "done": totals.done,
        "skipped": totals.skipped,
        "failed": totals.failed,
        "not_started": totals.not_started,
        "jobs": totals.jobs,
        "audio_secs": totals.audio_secs,
        "wall_secs": totals.wall_secs,
        "real_time_factor": totals.real_time_factor(),
        "interrupted_by_signal": interrupted,
    })
}

/// The final table.
pub fn table(results: &[FileResult], totals: &Totals, interrupted: Option<i32>) -> String {
    let mut t = String::new();
    let _ = writeln!(
        t,
        "batch: {} done, {} skipped, {} failed{} — {:.2} s for {:.1} min of audio \
         ({:.0}× real time, {} job(s))",
        totals.done,
        totals.skipped,
        totals.failed,
        if totals.not_started > 0 {
            format!(", {} not started", totals.not_started)
        } else {
            String::new()
        },
        totals.wall_secs,
        totals.audio_secs / 60.0,
        totals.real_time_factor(),
        totals.jobs
    );
    for r in results.iter().filter(|r| r.status == Status::Failed) {
        let reason = r.reason.as_deref().unwrap_or("?");
        // Reader errors already name the file.
        if reason.contains(&r.input) {
            let _ = writeln!(t, "  failed  {reason}");
        } else {
            let _ = writeln!(t, "  failed  {}: {reason}", r.input);
        }
    }
    if let Some(signal) = interrupted {
        let _ = writeln!(
            t,
            "  stopped by signal {signal}: tracks in flight finished, the rest were not started"
        );
    }
    t
}

/// `--dry-run`: what would be done, and nothing done.
pub fn dry_run_listing(
    items: &[Item],
    actions: &[String],
    ignored: usize,
    shard: Option<Shard>,
    jobs: usize,
) -> String {
    let mut t = String::new();
    let total_secs: u64 = items.iter().map(|i| i.duration_ms).sum::<u64>() / 1000;
    let _ = writeln!(
        t,
        "dry run: {} track(s){}, {} min of audio, {jobs} job(s); nothing is written",
        items.len(),
        shard.map_or(String::new(), |s| format!(" in shard {s}")),
        total_secs / 60
    );
    for (item, action) in items.iter().zip(actions) {
        let _ = writeln!(
            t,
            "  {} → {}: {action}",
            item.input.display(),
            item.output.display()
        );
    }
    if ignored > 0 {
        let _ = writeln!(
            t,
            "  ({ignored} other file(s) in the input folders are not audio and were passed over)"
        );
    }
    t
}
