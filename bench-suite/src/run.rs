//! One bench run: for every stage and input, accuracy first, then interleaved timing; then
//! streaming latency; all recorded in a [`Report`].
//!
//! Failures of an implementation — a wrong result, an error, even a panic — are findings,
//! not reasons to stop: they are recorded in the report (and fail the regression check), and
//! the run goes on with the other implementations and stages.

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

use auralis_core::{AudioBuffer, ImplKind, LabStage, ThreadIndependence};

use crate::alloc_counter::{measure, MemoryUsage};
use crate::check::{RatioSample, Remeasure};
use crate::error::{LabError, LabResult};
use crate::machine::MachineInfo;
use crate::report::{
    AccuracyVerdict, Cell, ImplResult, InputInfo, InputSource, PeerResult, Report, RunInfo,
    StageReport, TraceReport, SCHEMA_VERSION,
};
use crate::streaming::measure_streaming;
use crate::timing::{Mode, SamplePlan, TimingStats};
use crate::verified::Contender;

/// Most threads `--threads` accepts: far beyond any machine this lab runs on, low enough
/// that a typo cannot ask the OS for a million threads.
pub const MAX_THREADS: usize = 1024;

/// Most samples `--samples` accepts per implementation and input.
pub const MAX_SAMPLES: usize = 10_000;

/// An input with its audio.
#[derive(Debug, Clone)]
pub struct BenchInput {
    pub info: InputInfo,
    pub audio: AudioBuffer,
}

impl BenchInput {
    /// Wraps audio with its description.
    pub fn new(
        name: impl Into<String>,
        source: InputSource,
        path: Option<String>,
        sha256: Option<String>,
        audio: AudioBuffer,
    ) -> Self {
        let info = InputInfo {
            name: name.into(),
            source,
            path,
            sha256,
            frames: audio.len() as u64,
            channels: audio.num_channels(),
            sample_rate: audio.sample_rate(),
            seconds: audio.duration_secs(),
        };
        BenchInput { info, audio }
    }
}

/// What to run and how.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub mode: Mode,
    /// Fixed sample count (`--samples`), else adaptive.
    pub samples: Option<usize>,
    /// The command line that reproduces this run, recorded in the report.
    pub command: String,
    /// Name of the input used for streaming and traces; `None` picks the input closest in
    /// duration to [`RunOptions::stream_target_secs`].
    pub stream_input: Option<String>,
    /// 30 s for a full run, 5 s for a quick one.
    pub stream_target_secs: f64,
    pub chunk_sizes: Vec<usize>,
}

impl RunOptions {
    /// The defaults for `mode`.
    pub fn new(mode: Mode, command: impl Into<String>) -> Self {
        RunOptions {
            mode,
            samples: None,
            command: command.into(),
            stream_input: None,
            stream_target_secs: match mode {
                Mode::Full => 30.0,
                Mode::Quick => 5.0,
            },
            chunk_sizes: crate::streaming::CHUNK_SIZES.to_vec(),
        }
    }
}

/// Reports the run's progress (a progress bar in the terminal, nothing in tests).
pub trait Progress: Sync {
    /// The run has `total` steps.
    fn begin(&self, total: u64);
    /// A step starts (and the previous one, if any, is done); `message` says what it is.
    fn step(&self, message: &str);
    /// The run is over.
    fn finish(&self);
}

/// A [`Progress`] that shows nothing.
pub struct NoProgress;

impl Progress for NoProgress {
    fn begin(&self, _total: u64) {}
    fn step(&self, _message: &str) {}
    fn finish(&self) {}
}

/// Runs `f` inside a rayon pool of `threads` threads (or the global pool for `None`).
pub fn with_threads<R: Send>(threads: Option<usize>, f: impl FnOnce() -> R + Send) -> LabResult<R> {
    check_threads(threads)?;
    let Some(n) = threads else {
        return Ok(f());
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build()
        .map_err(|e| LabError::Run(format!("cannot build a pool of {n} threads: {e}")))?;
    Ok(pool.install(f))
}

/// Checks a `--threads` value: 0 threads cannot run anything, and more than
/// [`MAX_THREADS`] is a typo, not a plan.
pub fn check_threads(threads: Option<usize>) -> LabResult<()> {
    match threads {
        Some(n) if !(1..=MAX_THREADS).contains(&n) => Err(LabError::Usage(format!(
            "--threads {n} is out of range; use 1..={MAX_THREADS}"
        ))),
        _ => Ok(()),
    }
}

/// Checks a `--samples` value.
pub fn check_samples(samples: Option<usize>) -> LabResult<()> {
    match samples {
        Some(n) if !(1..=MAX_SAMPLES).contains(&n) => Err(LabError::Usage(format!(
            "--samples {n} is out of range; use 1..={MAX_SAMPLES}"
        ))),
        _ => Ok(()),
    }
}

/// Measures every stage on every input. Never fails: what goes wrong is in the report.
/// Run it inside the thread pool it should measure (see [`with_threads`]).
pub fn run_bench(
    stages: &[Box<dyn LabStage>],
    inputs: &[BenchInput],
    options: &RunOptions,
    machine: MachineInfo,
    progress: &dyn Progress,
) -> Report {
    let started = Instant::now();
    let stream_input = pick_stream_input(inputs, options);
    // Before anything else loads the caches or the allocator: the machine's own noise floor,
    // which bounds what the streaming tails below can show.
    // Under the real-time policy the streams are timed under (see `realtime.rs`).
    let (jitter, stream_scheduling) = {
        let section = crate::realtime::RealTimeSection::enter();
        (
            crate::streaming::measure_jitter(),
            section.scheduling().to_string(),
        )
    };
    let memory_bandwidth_gbs = crate::bandwidth::memory_bandwidth_gbs();
    progress.begin((stages.len() * (2 * inputs.len() + 1)) as u64);
    let mut stage_reports = Vec::with_capacity(stages.len());
    for stage in stages {
        let mut report = StageReport {
            name: stage.name().to_string(),
            tolerance: stage.tolerance().to_string(),
            implementations: stage.implementations().to_vec(),
            cells: Vec::with_capacity(inputs.len()),
            streaming: None,
            traces: Vec::new(),
        };
        for input in inputs {
            let wants_traces = stream_input.is_some_and(|s| std::ptr::eq(s, input));
            let (cell, traces) = measure_cell(&**stage, input, options, wants_traces, progress);
            report.cells.push(cell);
            report.traces.extend(traces);
        }
        progress.step(&format!("{}: streaming", stage.name()));
        if let Some(input) = stream_input {
            report.streaming = measure_streaming(
                &**stage,
                &input.info.name,
                &input.audio,
                &options.chunk_sizes,
            );
        }
        stage_reports.push(report);
    }
    progress.finish();
    let mut warnings = Vec::new();
    if machine.build != "release" {
        warnings.push(
            "built without optimisations (debug): timings are meaningless; use `cargo xtask`"
                .to_string(),
        );
    }
    let mut report = Report {
        schema_version: SCHEMA_VERSION,
        generator: format!("auralis-lab {}", env!("CARGO_PKG_VERSION")),
        machine,
        run: RunInfo {
            mode: options.mode,
            command: options.command.clone(),
            rayon_threads: rayon::current_num_threads(),
            samples_override: options.samples,
            stages: stages.iter().map(|s| s.name().to_string()).collect(),
            stream_input: stream_input.map(|i| i.info.name.clone()),
            chunk_sizes: options.chunk_sizes.clone(),
            wall_secs: started.elapsed().as_secs_f64(),
            jitter,
            memory_bandwidth_gbs: Some(memory_bandwidth_gbs),
            stream_scheduling: Some(stream_scheduling),
            warnings,
        },
        inputs: inputs.iter().map(|i| i.info.clone()).collect(),
        stages: stage_reports,
        selection: auralis_core::selection::Selection::empty(),
        batch: None,
    };
    report.selection = crate::select::select(&report);
    report
}

/// The input streaming and traces use: the named one, else the standard fixture closest in
/// duration to the target (any input if there is no fixture).
fn pick_stream_input<'a>(inputs: &'a [BenchInput], options: &RunOptions) -> Option<&'a BenchInput> {
    if let Some(name) = &options.stream_input {
        return inputs.iter().find(|i| &i.info.name == name);
    }
    let distance = |i: &&BenchInput| (i.info.seconds - options.stream_target_secs).abs();
    inputs
        .iter()
        .filter(|i| i.info.source == InputSource::Fixture)
        .min_by(|a, b| distance(a).total_cmp(&distance(b)))
        .or_else(|| inputs.first())
}

/// Accuracy, then timing, of every implementation of `stage` on `input`.
fn measure_cell(
    stage: &dyn LabStage,
    input: &BenchInput,
    options: &RunOptions,
    wants_traces: bool,
    progress: &dyn Progress,
) -> (Cell, Vec<TraceReport>) {
    let audio = &input.audio;
    let mut cell = Cell {
        input: input.info.name.clone(),
        source: input.info.source,
        frames: input.info.frames,
        seconds: input.info.seconds,
        error: None,
        results: Vec::new(),
        peers: Vec::new(),
    };
    progress.step(&format!("{} on {}: accuracy", stage.name(), cell.input));
    let (reference_output, reference_memory, reference_cold) =
        run_guarded(stage, ImplKind::Reference, audio);
    let reference_output = match reference_output {
        Ok(output) => output,
        Err(message) => {
            cell.error = Some(format!("the reference failed: {message}"));
            progress.step(&format!("{} on {}: skipped", stage.name(), cell.input));
            return (cell, Vec::new());
        }
    };
    let traces = if wants_traces {
        guarded(|| stage.traces_erased(&*reference_output))
            .unwrap_or_default()
            .into_iter()
            // A time series needs a period; a spectrum, one frequency per value.
            .filter(|t| {
                t.values.iter().all(|v| v.is_finite())
                    && match &t.x_hz {
                        None => t.period_secs > 0.0,
                        Some(hz) => hz.len() == t.values.len(),
                    }
            })
            .map(|trace| TraceReport {
                input: cell.input.clone(),
                trace,
            })
            .collect()
    } else {
        Vec::new()
    };
    for &kind in stage.implementations() {
        let (accuracy, memory, cold_secs) = if kind == ImplKind::Reference {
            let verdict = match guarded(|| {
                stage.compare_erased(&*reference_output, &*reference_output)
            }) {
                Ok(accuracy) => AccuracyVerdict::reference(&accuracy),
                Err(message) => AccuracyVerdict::error(format!("the comparison failed: {message}")),
            };
            (verdict, reference_memory, reference_cold)
        } else {
            let (output, memory, cold) = run_guarded(stage, kind, audio);
            let verdict = match output {
                Ok(output) => {
                    let verdict = compare_guarded(stage, &*reference_output, &*output);
                    match (verdict.passed, kind) {
                        (true, ImplKind::Parallel) => thread_counts_agree(stage, audio, &*output)
                            .map_or(verdict, AccuracyVerdict::error),
                        _ => verdict,
                    }
                }
                Err(message) => AccuracyVerdict::error(format!("failed to run: {message}")),
            };
            (verdict, memory, cold)
        };
        let not_timed = (!accuracy.passed).then(|| "failed accuracy".to_string());
        cell.results.push(ImplResult {
            implementation: kind,
            accuracy,
            memory: Some(memory),
            cold_secs: Some(cold_secs),
            timing: None,
            not_timed,
            real_time_factor: None,
            speedup_vs_reference: None,
        });
    }
    for (index, name) in stage.peers().iter().enumerate() {
        let outcome = guarded(|| stage.run_peer_erased(index, audio))
            .and_then(|r| r.map_err(|e| e.to_string()));
        let (accuracy, error) = match outcome {
            Ok(output) => (
                match guarded(|| stage.compare_peer_erased(&*reference_output, &*output)) {
                    Ok(accuracy) => AccuracyVerdict::from_accuracy(&accuracy),
                    Err(message) => {
                        AccuracyVerdict::error(format!("the comparison failed: {message}"))
                    }
                },
                None,
            ),
            Err(message) => (
                AccuracyVerdict::error(format!("failed to run: {message}")),
                Some(message),
            ),
        };
        cell.peers.push(PeerResult {
            name: name.to_string(),
            accuracy,
            timing: None,
            error,
            real_time_factor: None,
            speedup_vs_reference: None,
        });
    }
    drop(reference_output);
    progress.step(&format!("{} on {}: timing", stage.name(), cell.input));
    let plan = SamplePlan::for_input(input.info.seconds, options.mode, options.samples);
    time_cell(stage, audio, &mut cell, &plan);
    (cell, traces)
}

/// Times the reference and every implementation that passed accuracy, interleaved, and
/// fills in timing, real-time factor and speed-up.
fn time_cell(stage: &dyn LabStage, audio: &AudioBuffer, cell: &mut Cell, plan: &SamplePlan) {
    let mut kinds: Vec<ImplKind> = cell
        .results
        .iter()
        .filter(|r| r.implementation == ImplKind::Reference || r.accuracy.passed)
        .map(|r| r.implementation)
        .collect();
    // Peers that ran are timed in the same rounds (never selected: `select.rs` reads only
    // `results`).
    let mut peers: Vec<usize> = (0..cell.peers.len())
        .filter(|&p| cell.peers[p].error.is_none())
        .collect();
    // An implementation (or peer) that fails while being timed is marked and the others are
    // timed again without it, so one flaky variant cannot cost the rest their numbers.
    while kinds.contains(&ImplKind::Reference) {
        match time_all(stage, audio, &kinds, &peers, plan) {
            Ok((samples, peer_samples)) => {
                for (kind, samples) in kinds.iter().zip(samples) {
                    if let Some(result) =
                        cell.results.iter_mut().find(|r| r.implementation == *kind)
                    {
                        result.timing = TimingStats::from_samples(samples);
                    }
                }
                for (&p, samples) in peers.iter().zip(peer_samples) {
                    cell.peers[p].timing = TimingStats::from_samples(samples);
                }
                break;
            }
            Err((Contender::Peer(p), message)) => {
                cell.peers[p].error = Some(format!("failed while being timed: {message}"));
                peers.retain(|&q| q != p);
            }
            Err((Contender::Kind(kind), message)) => {
                if kind == ImplKind::Reference {
                    cell.error = Some(format!("the reference failed while being timed: {message}"));
                }
                if let Some(result) = cell.results.iter_mut().find(|r| r.implementation == kind) {
                    result.not_timed = Some(format!("failed while being timed: {message}"));
                    result.accuracy = AccuracyVerdict::error(
                        if message.starts_with(crate::verified::VERIFY_FAILED) {
                            // Its own message: passed on the accuracy input, failed on a
                            // fresh one while timed (a cache, or state kept between calls).
                            message
                        } else {
                            format!("failed while being timed (nondeterministic?): {message}")
                        },
                    );
                }
                kinds.retain(|k| *k != kind);
            }
        }
    }
    // No work is faster than reading the input once: below that, a result is no result.
    let input_bytes = audio.len() * audio.num_channels() * std::mem::size_of::<f32>();
    let floor = crate::bandwidth::read_floor_secs(input_bytes);
    for result in &mut cell.results {
        let verdict = result
            .timing
            .as_ref()
            .and_then(|t| crate::bandwidth::implausible(t.median_secs, input_bytes, floor));
        if let Some(message) = verdict {
            result.accuracy = AccuracyVerdict::error(message);
        }
    }
    let reference_median = cell.reference_timing().map(|t| t.median_secs);
    let seconds = cell.seconds;
    for result in &mut cell.results {
        if let Some(timing) = &result.timing {
            if timing.median_secs > 0.0 {
                result.real_time_factor = Some(seconds / timing.median_secs);
                result.speedup_vs_reference = reference_median.map(|r| r / timing.median_secs);
            }
        }
    }
    for peer in &mut cell.peers {
        if let Some(timing) = &peer.timing {
            if timing.median_secs > 0.0 {
                peer.real_time_factor = Some(seconds / timing.median_secs);
                peer.speedup_vs_reference = reference_median.map(|r| r / timing.median_secs);
            }
        }
    }
}

/// [`time_kinds`] with the stage's peers in the same rounds.
#[allow(clippy::type_complexity)]
fn time_all(
    stage: &dyn LabStage,
    audio: &AudioBuffer,
    kinds: &[ImplKind],
    peers: &[usize],
    plan: &SamplePlan,
) -> Result<(Vec<Vec<f64>>, Vec<Vec<f64>>), (Contender, String)> {
    crate::verified::time_verified(stage, audio, kinds, peers, plan, timing_seed(stage, audio))
}

/// The seed of a cell's fresh inputs: from the stage's name and the input's length.
fn timing_seed(stage: &dyn LabStage, audio: &AudioBuffer) -> u64 {
    stage
        .name()
        .bytes()
        .chain(audio.len().to_le_bytes())
        .fold(0xCBF2_9CE4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01B3)
        })
}

/// Samples `kinds` of `stage` on `audio` interleaved; on failure, which kind failed and why.
///
/// Each implementation writes into its own previous output ([`LabStage::run_into_erased`]),
/// as a caller processing many tracks would: the timings are the steady-state cost of the
/// work, without first-touch page faults on a fresh 64 MB output, whose cost depends on
/// whether the allocator hands back mapped memory (glibc decides by a moving threshold)
/// and made the fast variants' timings bimodal. The one-off cost of a fresh output is
/// reported separately (`cold_secs`, from the memory-measuring run).
///
/// Every call gets input it has never seen and a poisoned output slot, and timed outputs
/// are verified against the reference on the same input ([`crate::verified`]): a result
/// carried over from an earlier call fails instead of looking fast.
pub fn time_kinds(
    stage: &dyn LabStage,
    audio: &AudioBuffer,
    kinds: &[ImplKind],
    plan: &SamplePlan,
) -> Result<Vec<Vec<f64>>, (ImplKind, String)> {
    crate::verified::time_kinds_verified(stage, audio, kinds, plan, timing_seed(stage, audio))
}

/// Thread counts the parallel variants are checked at: one (no parallelism at all), two
/// (this machine's cores), and seven (more threads than cores, and odd, so any block split
/// that follows the thread count lands differently).
pub const CHECKED_THREAD_COUNTS: [usize; 3] = [1, 2, 7];
/// The start of a thread-count failure's message.
pub const THREAD_DEPENDENT: &str = "thread-count dependent";

/// Runs the parallel implementation inside pools of [`CHECKED_THREAD_COUNTS`] threads and
/// holds each output to `output` (from the lab's own pool): the same bits, unless the stage
/// states why not, and then within its tolerance. `Some(message)` on a difference.
fn thread_counts_agree(
    stage: &dyn LabStage,
    audio: &AudioBuffer,
    output: &dyn Any,
) -> Option<String> {
    let lab_threads = rayon::current_num_threads();
    for threads in CHECKED_THREAD_COUNTS {
        let pool = match rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
            Ok(pool) => pool,
            Err(e) => return Some(format!("cannot build a {threads}-thread pool: {e}")),
        };
        let other = match pool.install(|| guarded(|| stage.run_erased(ImplKind::Parallel, audio))) {
            Ok(Ok(other)) => other,
            Ok(Err(e)) => {
                return Some(format!(
                    "{THREAD_DEPENDENT}: fails at {threads} threads: {e}"
                ))
            }
            Err(e) => {
                return Some(format!(
                    "{THREAD_DEPENDENT}: fails at {threads} threads: {e}"
                ))
            }
        };
        let agrees = match stage.thread_independence() {
            ThreadIndependence::BitIdentical => stage.identical_erased(output, &*other),
            ThreadIndependence::WithinTolerance(_) => {
                guarded(|| stage.compare_erased(output, &*other)).is_ok_and(|a| a.passed())
            }
        };
        if !agrees {
            return Some(format!(
                "{THREAD_DEPENDENT}: the output at {threads} threads differs from the output at \
                 {lab_threads} (must be {})",
                match stage.thread_independence() {
                    ThreadIndependence::BitIdentical => "bit-identical".to_string(),
                    ThreadIndependence::WithinTolerance(why) => format!("within tolerance: {why}"),
                }
            ));
        }
    }
    None
}

/// Runs one implementation once into a fresh output, measuring its extra memory and wall
/// time; errors and panics become messages.
fn run_guarded(
    stage: &dyn LabStage,
    kind: ImplKind,
    audio: &AudioBuffer,
) -> (Result<Box<dyn Any + Send>, String>, MemoryUsage, f64) {
    let start = std::time::Instant::now();
    let (output, memory) = measure(|| guarded(|| stage.run_erased(kind, audio)));
    let cold_secs = start.elapsed().as_secs_f64();
    (
        output.and_then(|r| r.map_err(|e| e.to_string())),
        memory,
        cold_secs,
    )
}

fn compare_guarded(
    stage: &dyn LabStage,
    reference: &dyn Any,
    candidate: &dyn Any,
) -> AccuracyVerdict {
    match guarded(|| stage.compare_erased(reference, candidate)) {
        Ok(accuracy) => AccuracyVerdict::from_accuracy(&accuracy),
        Err(message) => AccuracyVerdict::error(format!("the comparison failed: {message}")),
    }
}

/// Runs `f`, turning a panic into an error message: one broken implementation must not take
/// the whole run down.
fn guarded<R>(f: impl FnOnce() -> R) -> Result<R, String> {
    catch_unwind(AssertUnwindSafe(f))
        .map_err(|panic| format!("panicked: {}", panic_message(&*panic)))
}

/// The message of a panic payload.
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".to_string())
}

/// Re-measures cells for the regression check with the real stages and inputs, using three
/// times the samples of the original plan (see [`SamplePlan::remeasure`]).
pub struct LiveRemeasure<'a> {
    pub stages: &'a [Box<dyn LabStage>],
    pub inputs: &'a [BenchInput],
    pub mode: Mode,
    pub samples: Option<usize>,
}

impl Remeasure for LiveRemeasure<'_> {
    fn remeasure(
        &mut self,
        stage: &str,
        input: &str,
        kind: ImplKind,
    ) -> Result<RatioSample, String> {
        let stage = self
            .stages
            .iter()
            .find(|s| s.name() == stage)
            .ok_or_else(|| format!("stage {stage} is not registered"))?;
        let input = self
            .inputs
            .iter()
            .find(|i| i.info.name == input)
            .ok_or_else(|| format!("input {input} is not loaded"))?;
        let plan = SamplePlan::for_input(input.info.seconds, self.mode, self.samples).remeasure();
        let samples = time_kinds(&**stage, &input.audio, &[ImplKind::Reference, kind], &plan)
            .map_err(|(k, e)| format!("{k} failed: {e}"))?;
        let mut stats = samples.into_iter().map(TimingStats::from_samples);
        match (stats.next().flatten(), stats.next().flatten()) {
            (Some(reference), Some(candidate)) => RatioSample::of(&reference, &candidate)
                .ok_or_else(|| "the reference took no measurable time".to_string()),
            _ => Err("no samples".to_string()),
        }
    }
}
