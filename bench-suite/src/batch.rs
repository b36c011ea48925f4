//! The `batch` measurement (the batch-mastering issue): many tracks through the pipeline,
//! three ways, on this machine.
//!
//! * **sequential** — the streamed chain `auralis master` runs on every file
//!   ([`streamed_master`], in-memory spools: its stages on one thread, its meters on a
//!   second), one track after another: the reference of this measurement;
//! * **across files** — the same chain, one track per job, with 2 jobs (this machine's
//!   cores) and 4 (oversubscribed), in a rayon pool of that many threads — what
//!   `auralis master --out-dir … --jobs N` does;
//! * **within files** — tracks one after another, each through the in-memory parallel
//!   pipeline (what a library user holding the tracks would call).
//!
//! Tracks are the standard music at other seeds and tempos (`auralis_fixtures::batch_set`),
//! generated in memory, 10 × 30 s and (full runs) 4 × 180 s. The pipeline is planned once
//! per set and shared by every job, as a batch does. Accuracy before speed: across-files
//! outputs must be bit-identical to the sequential ones (same code, other threads), within-
//! files outputs within the pipeline stage's tolerance of them; a strategy that fails is
//! reported and never wins. Rounds interleave the strategies (rotating their order), and the
//! median of the rounds counts.
//!
//! From the 1- and 2-job throughputs a model predicts larger machines (see
//! [`ScalingModel`]); the winner on the longest tracks measured decides the CLI's default
//! `--jobs` (`selection.json`'s `batch`).

use std::time::Instant;

use auralis_core::selection::{BatchSelection, BatchStrategy};
use auralis_core::{AudioBuffer, ImplKind, Stage};
use auralis_pipeline::{streamed_master, Mastered, Pipeline, PipelineSettings, PipelineStage};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::timing::Mode;

/// Full passes over a track's samples the streamed chain makes (each a read or a write of
/// every sample, as counted in `auralis-pipeline/src/streamed.rs`): the input read twice
/// (analysis; EQ → compressor), the middle spool written once and read twice (estimate;
/// true-peak pass), the master spool written and read once, and three copies handed to the
/// meter thread — about 10, plus a second true-peak pass when the first misses the target.
/// An estimate, stated as one: the bandwidth ceiling below scales with it.
pub const CHAIN_PASSES: f64 = 10.0;

/// One strategy's timing on one set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StrategyResult {
    /// `sequential`, `across-files` or `within-files`.
    pub strategy: String,
    /// Tracks in flight (1 for sequential and within-files).
    pub jobs: usize,
    pub median_secs: f64,
    pub min_secs: f64,
    pub max_secs: f64,
    /// Seconds of audio mastered per second of wall time (median).
    pub realtime_factor: f64,
    /// Sequential median / this median.
    pub speedup: f64,
    /// Whether the outputs passed the accuracy check (see the module doc).
    pub accurate: bool,
    pub accuracy_note: String,
}

/// One set of tracks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchSetReport {
    /// E.g. `"10x30s"`.
    pub name: String,
    pub tracks: usize,
    pub track_secs: f64,
    pub rounds: usize,
    pub results: Vec<StrategyResult>,
    /// The fastest accurate strategy (and its job count), e.g. `"across-files ×2"`.
    pub winner: String,
}

/// Throughput on larger machines, predicted from this one: across-files speed-up follows
/// Amdahl's law with the serial fraction fitted from the 1- and 2-job runs, capped by memory
/// bandwidth (the measured copy bandwidth over the bytes a second of audio moves,
/// [`CHAIN_PASSES`] reads and writes of its samples). Assumes one job per core and the same
/// per-core speed; shards carry the figures past one machine linearly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScalingModel {
    pub fitted_on: String,
    pub serial_fraction: f64,
    pub one_job_realtime: f64,
    pub bandwidth_ceiling_realtime: f64,
    /// (jobs, predicted × real time).
    pub predicted: Vec<(usize, f64)>,
}

/// The whole measurement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchReport {
    /// The kernels of the chain the sequential and across-files strategies run (the streamed
    /// chain: its streams are the vectorized implementations' twins).
    pub single_thread: ImplKind,
    pub sets: Vec<BatchSetReport>,
    pub model: Option<ScalingModel>,
    pub wall_secs: f64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Strategy {
    Sequential,
    AcrossFiles(usize),
    WithinFiles,
}

impl Strategy {
    fn name(self) -> &'static str {
        match self {
            Strategy::Sequential => "sequential",
            Strategy::AcrossFiles(_) => "across-files",
            Strategy::WithinFiles => "within-files",
        }
    }

    fn jobs(self) -> usize {
        match self {
            Strategy::AcrossFiles(n) => n,
            _ => 1,
        }
    }
}

/// The streamed chain's kernels (its streams are the vectorized implementations' twins).
const STREAMED_KERNELS: ImplKind = ImplKind::Vectorized;

/// Masters every track with `strategy`; the outputs in track order.
fn master_all(strategy: Strategy, pipeline: &Pipeline, tracks: &[AudioBuffer]) -> Vec<Mastered> {
    let streamed = |audio: &AudioBuffer| {
        streamed_master(pipeline.settings(), audio)
            .expect("the streamed chain masters the generated fixtures")
    };
    match strategy {
        Strategy::Sequential => tracks.iter().map(streamed).collect(),
        Strategy::WithinFiles => tracks
            .iter()
            .map(|t| {
                pipeline
                    .process(ImplKind::Parallel, t)
                    .expect("the pipeline masters the generated fixtures")
            })
            .collect(),
        Strategy::AcrossFiles(jobs) => rayon::ThreadPoolBuilder::new()
            .num_threads(jobs)
            .build()
            .expect("a small thread pool")
            .install(|| tracks.par_iter().map(streamed).collect()),
    }
}

/// A digest of a master's samples (bit patterns), to hold repeated runs to each other.
fn digest(outputs: &[Mastered]) -> Vec<u64> {
    outputs
        .iter()
        .map(|m| {
            m.audio
                .channels()
                .iter()
                .flatten()
                .fold(0xcbf2_9ce4_8422_2325u64, |h, s| {
                    (h ^ u64::from(s.to_bits())).wrapping_mul(0x0000_0100_0000_01b3)
                })
        })
        .collect()
}

fn measure_set(
    name: &str,
    tracks: &[AudioBuffer],
    rounds: usize,
    strategies: &[Strategy],
) -> BatchSetReport {
    let settings = PipelineSettings::preset("balanced").expect("a built-in preset");
    let pipeline = Pipeline::new(settings, tracks[0].sample_rate()).expect("a valid pipeline");
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); strategies.len()];
    let mut notes: Vec<Option<String>> = vec![None; strategies.len()];
    let mut reference_digest = None;
    for round in 0..rounds {
        let mut sequential_outputs = None;
        for k in 0..strategies.len() {
            // Rotate the order each round (drift spreads over every strategy).
            let i = (k + round) % strategies.len();
            // The sequential run is the reference: in round 0 it runs first.
            let i = if round == 0 { k } else { i };
            let strategy = strategies[i];
            let start = Instant::now();
            let outputs = master_all(strategy, &pipeline, tracks);
            times[i].push(start.elapsed().as_secs_f64());
            let d = digest(&outputs);
            let reference: &Vec<u64> = reference_digest.get_or_insert_with(|| d.clone());
            let failure = match strategy {
                Strategy::WithinFiles => {
                    sequential_outputs.as_ref().and_then(|seq: &Vec<Mastered>| {
                        seq.iter()
                            .zip(&outputs)
                            .enumerate()
                            .find_map(|(t, (a, b))| {
                                let accuracy = PipelineStage.compare(a, b);
                                (!accuracy.passed()).then(|| {
                                    format!("track {t}: {}", accuracy.failures().join("; "))
                                })
                            })
                    })
                }
                _ if &d != reference => {
                    Some("outputs differ from the sequential run's bits".to_string())
                }
                _ => None,
            };
            if let Some(f) = failure {
                notes[i].get_or_insert(f);
            }
            if strategy == Strategy::Sequential && round == 0 {
                sequential_outputs = Some(outputs);
            }
        }
    }
    let medians: Vec<(f64, f64, f64)> = times
        .iter()
        .map(|t| {
            let mut t = t.clone();
            t.sort_by(f64::total_cmp);
            (t[t.len() / 2], t[0], t[t.len() - 1])
        })
        .collect();
    let audio_secs: f64 = tracks.iter().map(|t| t.duration_secs()).sum();
    let sequential = medians[0].0;
    let results: Vec<StrategyResult> = strategies
        .iter()
        .zip(&medians)
        .zip(notes)
        .map(|((s, &(median, min, max)), note)| StrategyResult {
            strategy: s.name().into(),
            jobs: s.jobs(),
            median_secs: median,
            min_secs: min,
            max_secs: max,
            realtime_factor: audio_secs / median,
            speedup: sequential / median,
            accurate: note.is_none(),
            accuracy_note: note.unwrap_or_else(|| match s {
                Strategy::WithinFiles => "within the pipeline stage's tolerance".into(),
                _ => "bit-identical to sequential".into(),
            }),
        })
        .collect();
    let winner = results
        .iter()
        .filter(|r| r.accurate)
        .min_by(|a, b| a.median_secs.total_cmp(&b.median_secs))
        .map_or("none".to_string(), |r| {
            format!("{} ×{}", r.strategy, r.jobs)
        });
    BatchSetReport {
        name: name.into(),
        tracks: tracks.len(),
        track_secs: tracks[0].duration_secs(),
        rounds,
        results,
        winner,
    }
}

/// Fits [`ScalingModel`] on `set` (its 1- and 2-job runs) with `bandwidth_gbs`.
fn fit_model(
    set: &BatchSetReport,
    bandwidth_gbs: f64,
    channels: usize,
    rate: u32,
) -> Option<ScalingModel> {
    let one = set.results.iter().find(|r| r.strategy == "sequential")?;
    let two = set
        .results
        .iter()
        .find(|r| r.strategy == "across-files" && r.jobs == 2)?;
    let speedup = one.median_secs / two.median_secs;
    // Amdahl: 1/S(n) = s + (1 − s)/n, so s = 2/S(2) − 1.
    let serial = (2.0 / speedup - 1.0).clamp(0.0, 1.0);
    let bytes_per_audio_sec = CHAIN_PASSES * 2.0 * (channels * 4) as f64 * f64::from(rate);
    let ceiling = bandwidth_gbs * 1e9 / bytes_per_audio_sec;
    let predicted = [1usize, 2, 4, 8, 16, 32]
        .into_iter()
        .map(|n| {
            let amdahl = one.realtime_factor / (serial + (1.0 - serial) / n as f64);
            (n, amdahl.min(ceiling))
        })
        .collect();
    Some(ScalingModel {
        fitted_on: set.name.clone(),
        serial_fraction: serial,
        one_job_realtime: one.realtime_factor,
        bandwidth_ceiling_realtime: ceiling,
        predicted,
    })
}

/// Runs the measurement: 10 × 30 s with 1, 2 and 4 jobs and within files, and (full runs)
/// 4 × 180 s without the oversubscribed 4 jobs, one round each. Why one: each run is
/// seconds of work (a spread of a few per cent, as the repeated sets in the report show),
/// and the main job's 3-minute budget has ≈ 20 s for this measurement.
pub fn measure(mode: Mode, bandwidth_gbs: f64) -> BatchReport {
    use Strategy::*;
    let started = Instant::now();
    let all: &[Strategy] = &[Sequential, AcrossFiles(2), AcrossFiles(4), WithinFiles];
    let no_oversubscription: &[Strategy] = &[Sequential, AcrossFiles(2), WithinFiles];
    let plan: &[(usize, f64, usize, &[Strategy])] = match mode {
        Mode::Full => &[(10, 30.0, 1, all), (4, 180.0, 1, no_oversubscription)],
        Mode::Quick => &[(10, 30.0, 1, all)],
    };
    let mut sets = Vec::new();
    for &(count, secs, rounds, strategies) in plan {
        // Generated in parallel: equal specs give equal bits on any thread.
        let tracks: Vec<AudioBuffer> = auralis_fixtures::batch_set(count, secs)
            .par_iter()
            .map(auralis_fixtures::generate)
            .collect();
        sets.push(measure_set(
            &format!("{count}x{secs:.0}s"),
            &tracks,
            rounds,
            strategies,
        ));
    }
    let model = sets
        .last()
        .and_then(|s| fit_model(s, bandwidth_gbs, 2, auralis_fixtures::DEFAULT_SAMPLE_RATE));
    BatchReport {
        single_thread: STREAMED_KERNELS,
        sets,
        model,
        wall_secs: started.elapsed().as_secs_f64(),
    }
}

/// The fastest accurate strategy of `set` that the command line runs (it streams every
/// track: sequential or across files).
fn cli_best(set: &BatchSetReport) -> Option<&StrategyResult> {
    set.results
        .iter()
        .filter(|r| r.accurate && r.strategy != "within-files")
        .min_by(|a, b| a.median_secs.total_cmp(&b.median_secs))
}

/// The default for `--jobs`: the faster of the strategies the command line runs — it
/// streams every track through the streamed chain, so sequential or across files; the
/// in-memory within-files pipeline is measured for library users, not selectable there —
/// on the longest tracks measured (closest to real catalogues).
pub fn selection(report: &BatchReport) -> Option<BatchSelection> {
    let set = report
        .sets
        .iter()
        .max_by(|a, b| a.track_secs.total_cmp(&b.track_secs))?;
    let best = cli_best(set)?;
    let strategy = match (best.strategy.as_str(), best.jobs) {
        ("across-files", _) => BatchStrategy::AcrossFiles,
        ("within-files", _) => BatchStrategy::WithinFiles,
        _ => BatchStrategy::Sequential,
    };
    Some(BatchSelection {
        strategy,
        reason: format!(
            "{}: {} ×{} at {:.0}× real time ({:.2}× sequential, median of {} round(s))",
            set.name, best.strategy, best.jobs, best.realtime_factor, best.speedup, set.rounds
        ),
    })
}

/// The report's "Batch" section.
pub fn write_markdown(md: &mut String, report: &BatchReport, plots: &[String]) {
    use std::fmt::Write as _;
    let _ = writeln!(md, "## Batch (many tracks through the pipeline)\n");
    let _ = writeln!(
        md,
        "Sequential and across-files run the streamed chain `auralis master` runs ({} kernels, \
         meters on a second thread); within-files runs the in-memory parallel pipeline. \
         Median of the rounds, min–max in brackets. The faster of sequential and across-files \
         — what `auralis master --out-dir` can run: it streams every track — sets its default \
         `--jobs` (the longest tracks decide); within-files is the in-memory choice for library \
         users holding the tracks. Took {:.0} s.\n",
        report.single_thread, report.wall_secs
    );
    for set in &report.sets {
        let streamed =
            cli_best(set).map_or("none".into(), |r| format!("{} ×{}", r.strategy, r.jobs));
        let _ = writeln!(
            md,
            "**{}** ({} tracks × {:.0} s, {} round(s)) — fastest: {}; fastest the command line \
             runs: {streamed}\n",
            set.name, set.tracks, set.track_secs, set.rounds, set.winner
        );
        let _ = writeln!(
            md,
            "| strategy | jobs | median | min–max | × real time | × sequential | accuracy |\n|---|---|---|---|---|---|---|"
        );
        for r in &set.results {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {}–{} | {:.0}× | {:.2}× | {}{} |",
                r.strategy,
                r.jobs,
                crate::select::format_secs(r.median_secs),
                crate::select::format_secs(r.min_secs),
                crate::select::format_secs(r.max_secs),
                r.realtime_factor,
                r.speedup,
                if r.accurate { "pass: " } else { "**FAIL**: " },
                r.accuracy_note
            );
        }
        let _ = writeln!(md);
    }
    if let Some(m) = &report.model {
        let _ = writeln!(
            md,
            "**Past this machine, on paper.** Fitted on {}: serial fraction {:.3} (Amdahl, from \
             the 1- and 2-job runs), one job {:.0}× real time, memory-bandwidth ceiling {:.0}× \
             real time (measured copy bandwidth over {} reads and writes of each second of \
             stereo f32 audio). Predicted, one job per core at this machine's per-core speed: {}. \
             Beyond one machine, `--shard I/N` divides the list; throughput adds up.\n",
            m.fitted_on,
            m.serial_fraction,
            m.one_job_realtime,
            m.bandwidth_ceiling_realtime,
            CHAIN_PASSES,
            m.predicted
                .iter()
                .map(|(n, x)| format!("{n} jobs {x:.0}×"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if plots.iter().any(|p| p == PLOT_FILE) {
        let _ = writeln!(md, "![throughput against jobs]({PLOT_FILE})\n");
    }
}

/// The plot's file name.
pub const PLOT_FILE: &str = "batch_throughput.svg";

/// One set's line in the throughput plot: its name, (jobs, × real time) across files (the
/// sequential run as 1 job), and the within-files throughput.
pub type ThroughputCurve = (String, Vec<(f64, f64)>, Option<f64>);

/// The plot's lines, one per set.
pub fn throughput_curves(report: &BatchReport) -> Vec<ThroughputCurve> {
    report
        .sets
        .iter()
        .map(|set| {
            let points = set
                .results
                .iter()
                .filter(|r| r.strategy != "within-files")
                .map(|r| (r.jobs as f64, r.realtime_factor))
                .collect();
            let within = set
                .results
                .iter()
                .find(|r| r.strategy == "within-files")
                .map(|r| r.realtime_factor);
            (set.name.clone(), points, within)
        })
        .collect()
}

/// A strategy row for tests: `secs` of median on a 300 s set.
#[cfg(test)]
pub(crate) fn test_result(
    strategy: &str,
    jobs: usize,
    secs: f64,
    accurate: bool,
) -> StrategyResult {
    StrategyResult {
        strategy: strategy.into(),
        jobs,
        median_secs: secs,
        min_secs: secs,
        max_secs: secs,
        realtime_factor: 300.0 / secs,
        speedup: 1.0,
        accurate,
        accuracy_note: String::new(),
    }
}

/// A 10 × 30 s set whose three strategies took these times (sequential and across-files
/// accurate; within-files as said).
#[cfg(test)]
pub(crate) fn test_set(
    sequential: f64,
    across: f64,
    within: f64,
    within_accurate: bool,
) -> BatchSetReport {
    BatchSetReport {
        name: "10x30s".into(),
        tracks: 10,
        track_secs: 30.0,
        rounds: 1,
        results: vec![
            test_result("sequential", 1, sequential, true),
            test_result("across-files", 2, across, true),
            test_result("within-files", 1, within, within_accurate),
        ],
        winner: String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(across_secs: f64, within_accurate: bool) -> BatchSetReport {
        test_set(2.0, across_secs, 0.5, within_accurate)
    }

    #[test]
    fn the_model_fits_amdahl_and_caps_at_the_bandwidth_ceiling() {
        // Perfect scaling: no serial fraction.
        let m = fit_model(&set(1.0, true), 1e6, 2, 44_100).unwrap();
        assert!(m.serial_fraction.abs() < 1e-12);
        assert!(
            (m.predicted[3].1 - 8.0 * 150.0).abs() < 1e-6,
            "{:?}",
            m.predicted
        );
        // 1.5× on 2 jobs: 1/1.5 = s + (1 − s)/2 gives s = 1/3, and no job count passes
        // 1/s = 3× one job.
        let m = fit_model(&set(2.0 / 1.5, true), 1e6, 2, 44_100).unwrap();
        assert!((m.serial_fraction - 1.0 / 3.0).abs() < 1e-12);
        assert!(m.predicted.last().unwrap().1 < 3.0 * 150.0);
        // A slow memory caps everything.
        let m = fit_model(&set(1.0, true), 0.001, 2, 44_100).unwrap();
        assert!(m
            .predicted
            .iter()
            .all(|&(_, x)| x <= m.bandwidth_ceiling_realtime));
    }

    #[test]
    fn the_fastest_accurate_strategy_the_command_line_runs_is_selected() {
        let report = |s: BatchSetReport| BatchReport {
            single_thread: STREAMED_KERNELS,
            sets: vec![s],
            model: None,
            wall_secs: 0.0,
        };
        let chosen = |r: &BatchReport| selection(r).unwrap().strategy;
        // Within files (0.5 s) is fastest, but the command line streams: across files.
        assert_eq!(chosen(&report(set(1.0, true))), BatchStrategy::AcrossFiles);
        assert_eq!(chosen(&report(set(1.0, false))), BatchStrategy::AcrossFiles);
        assert_eq!(chosen(&report(set(3.0, true))), BatchStrategy::Sequential);
        // An inaccurate strategy never wins, however fast.
        let mut broken = set(1.0, true);
        broken.results[1].accurate = false;
        assert_eq!(chosen(&report(broken)), BatchStrategy::Sequential);
    }
}
