//! `auralis master --out-dir DIR INPUT...`: many tracks through the mastering chain.
//!
//! * Everything that can refuse the run is checked before any work starts (`plan.rs`).
//! * At most `--jobs` tracks are in flight, each through exactly the single-file command's
//!   path ([`crate::master::master_file`]), so a batch's outputs equal `auralis master IN
//!   OUT`'s bit for bit whatever `--jobs` is: the implementation each track runs is chosen
//!   by the track's length (the lab's selection), never by the job count.
//! * A track that fails is reported and the others go on (exit 1 at the end). SIGINT or
//!   SIGTERM stops taking new tracks, lets those in flight finish, prints the summary and
//!   exits 130 / 143; a second signal aborts at once (`signals.rs`). Outputs are renamed into
//!   place whole, so neither leaves a partial file.
//! * `--skip-existing` trusts records in a state folder (`state.rs`); `--shard I/N` takes a
//!   deterministic, duration-balanced share (`shard.rs`).

mod plan;
mod progress;
pub mod shard;
mod state;
mod summary;

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use crate::commands::CliError;
use crate::master::{master_file, Event, Options, SettingsSource};
use crate::output::{prepare, Format};
use crate::signals;

use plan::Item;
use shard::Shard;
use state::{Freshness, StateDir};
use summary::{FileResult, Status};

/// The batch's own options (the mastering options are [`Options`]).
pub struct BatchArgs {
    pub inputs: Vec<PathBuf>,
    pub out_dir: PathBuf,
    pub format: Option<Format>,
    pub overwrite: bool,
    pub jobs: Option<usize>,
    pub skip_existing: bool,
    pub shard: Option<String>,
    pub dry_run: bool,
    pub summary: Option<PathBuf>,
    pub state_dir: Option<PathBuf>,
}

/// What to do with one track, decided before the run.
#[derive(Debug, Clone, PartialEq)]
enum Action {
    /// Master it (no output yet).
    Master,
    /// Master it, replacing the existing output (atomically), for this reason.
    Remaster(&'static str),
    Skip(String),
    /// Refused without processing (an output exists that is not ours to replace).
    Refuse(String),
}

/// Runs a batch.
pub fn run(args: BatchArgs, options: &Options) -> Result<(), CliError> {
    let jobs = match args.jobs {
        Some(0) => return Err(CliError::usage("--jobs 0: at least one job is needed")),
        Some(n) => n,
        // What the lab measured best on this machine: tracks across cores when that won,
        // else one track at a time with the parallel pipeline.
        None => auralis::selection::batch_jobs(
            std::thread::available_parallelism().map_or(1, |n| n.get()),
        ),
    };
    let shard: Option<Shard> = args
        .shard
        .as_deref()
        .map(str::parse)
        .transpose()
        .map_err(CliError::usage)?;
    let format = args.format.unwrap_or(Format::F32);
    let state = StateDir::new(
        args.state_dir
            .clone()
            .unwrap_or_else(|| args.out_dir.join(state::DEFAULT_STATE_DIR)),
    );
    let mut plan = plan::discover(
        &args.inputs,
        &args.out_dir,
        &[&args.out_dir, state.root()],
        format.extension(),
    )?;
    if let Some(shard) = shard {
        let weights: Vec<u64> = plan.items.iter().map(|i| i.duration_ms).collect();
        let shard_of = shard::assign(&weights, shard.count);
        plan.items = std::mem::take(&mut plan.items)
            .into_iter()
            .zip(shard_of)
            .filter_map(|(item, s)| (s == shard.index).then_some(item))
            .collect();
    }
    if let Some(path) = &args.summary {
        check_summary_path(path, &plan.items)?;
    }
    // The preset is checked and the reference read before any track is touched.
    let settings = SettingsSource::new(options)?;
    let settings_hash = settings_hash(options, format)?;
    let actions: Vec<Action> = plan
        .items
        .iter()
        .map(|item| decide(item, &args, &state, &settings_hash))
        .collect();

    if args.dry_run {
        return crate::console::out(&summary::dry_run_listing(
            &plan.items,
            &actions_text(&actions),
            plan.ignored,
            shard,
            jobs,
        ));
    }

    let workers = jobs.min(plan.items.len()).max(1);
    signals::graceful();
    let progress = progress::Progress::new(plan.items.len());
    let results: Mutex<Vec<Option<FileResult>>> = Mutex::new(vec![None; plan.items.len()]);
    let next = AtomicUsize::new(0);
    let clock = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                if signals::pending().is_some() {
                    break;
                }
                let index = next.fetch_add(1, Ordering::SeqCst);
                let Some(item) = plan.items.get(index) else {
                    break;
                };
                let result = process(
                    item,
                    &actions[index],
                    format,
                    options,
                    &settings,
                    &state,
                    &settings_hash,
                    &progress,
                );
                results.lock().unwrap_or_else(|e| e.into_inner())[index] = Some(result);
            });
        }
    });
    progress.close();
    let wall_secs = clock.elapsed().as_secs_f64();
    let results: Vec<FileResult> = results
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .zip(&plan.items)
        .map(|(result, item)| result.unwrap_or_else(|| FileResult::not_started(item)))
        .collect();
    let interrupted = signals::pending();
    let totals = summary::Totals::of(&results, wall_secs, workers);
    crate::console::out(&summary::table(&results, &totals, interrupted))?;
    if let Some(path) = &args.summary {
        let written = serde_json::to_string_pretty(&summary::json(&results, &totals, interrupted))
            .map_err(|e| e.to_string())
            .and_then(|text| {
                auralis::io::write_atomically(path, (text + "\n").as_bytes())
                    .map_err(|e| e.to_string())
            });
        if let Err(e) = written {
            // Reported, but the batch's own exit code (failures, a signal) still decides.
            crate::console::note(&format!("auralis: error: cannot write the summary: {e}"));
            if interrupted.is_none() && totals.failed == 0 {
                return Err(CliError::other(format!("cannot write the summary: {e}")));
            }
        }
    }
    match interrupted {
        Some(signal) => Err(CliError::with_code(
            u8::try_from(128 + signal).unwrap_or(130),
            format!(
                "stopped by signal {signal}: {} track(s) not started; re-run with \
                 --skip-existing to finish",
                totals.not_started
            ),
        )),
        None if totals.failed > 0 => Err(CliError::with_code(
            1,
            format!("{} of {} track(s) failed", totals.failed, results.len()),
        )),
        None => Ok(()),
    }
}

/// The `--summary` path must not be an input or an output (it is replaced atomically, as a
/// report is) and must be writable where it is: checked before any work.
fn check_summary_path(path: &std::path::Path, items: &[Item]) -> Result<(), CliError> {
    let bad = |why: &str| CliError::usage(format!("--summary {}: {why}", path.display()));
    if path.is_dir() {
        return Err(bad("is a directory"));
    }
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => std::path::Path::new("."),
    };
    if !parent.is_dir() {
        return Err(bad("its folder does not exist"));
    }
    let same = |other: &std::path::Path| {
        std::path::absolute(other).ok() == std::path::absolute(path).ok()
            || other
                .canonicalize()
                .ok()
                .is_some_and(|c| path.canonicalize().ok() == Some(c))
    };
    if items.iter().any(|i| same(&i.input) || same(&i.output)) {
        return Err(bad(
            "is one of the batch's inputs or outputs; choose another path",
        ));
    }
    Ok(())
}

fn actions_text(actions: &[Action]) -> Vec<String> {
    actions
        .iter()
        .map(|a| match a {
            Action::Master => "master".to_string(),
            Action::Remaster(why) => format!("master, replacing the output: {why}"),
            Action::Skip(why) => format!("skip: {why}"),
            Action::Refuse(why) => format!("refuse: {why}"),
        })
        .collect()
}

/// What to do with `item`, from the output's state and the flags.
fn decide(item: &Item, args: &BatchArgs, state: &StateDir, settings_hash: &str) -> Action {
    match state.freshness(&item.input, &item.output, settings_hash) {
        Freshness::Missing => Action::Master,
        _ if args.overwrite => Action::Remaster("--overwrite"),
        Freshness::Current if args.skip_existing => {
            Action::Skip("its output is up to date (its record matches)".into())
        }
        Freshness::Stale(why) if args.skip_existing => Action::Remaster(why),
        Freshness::Unrecorded if args.skip_existing => Action::Refuse(format!(
            "{} exists and no record says auralis made it; pass --overwrite to replace it",
            item.output.display()
        )),
        _ => Action::Refuse(format!(
            "{} already exists; pass --skip-existing to keep up-to-date outputs or \
             --overwrite to replace them",
            item.output.display()
        )),
    }
}

/// Everything that changes the bytes of an output, hashed: a changed setting re-processes.
fn settings_hash(options: &Options, format: Format) -> Result<String, CliError> {
    let reference = match &options.reference {
        Some(path) => state::file_sha256(path)
            .map_err(|e| CliError::usage(format!("reference {}: {e}", path.display())))?,
        None => String::new(),
    };
    Ok(state::text_sha256(&format!(
        "preset={:?};reference_sha256={reference};target={:?};ceiling={:?};format={format:?};\
         rate={:?};strip={};impl={:?}",
        options.preset,
        options.target_lufs,
        options.ceiling,
        options.sample_rate,
        options.strip_metadata,
        options.forced,
    )))
}

/// Masters one track (or records why not).
#[allow(clippy::too_many_arguments)]
fn process(
    item: &Item,
    action: &Action,
    format: Format,
    options: &Options,
    settings: &SettingsSource,
    state: &StateDir,
    settings_hash: &str,
    progress: &progress::Progress,
) -> FileResult {
    let name = item.relative.display().to_string();
    let clock = Instant::now();
    let line = progress.start(&name);
    let mut result = FileResult::new(item);
    let replace = match action {
        Action::Master => false,
        Action::Remaster(_) => true,
        Action::Skip(why) => {
            result.status = Status::Skipped;
            result.reason = Some(why.clone());
            progress.finish(line, 0.0, &format!("skipped {name}: {why}"));
            return result;
        }
        Action::Refuse(why) => {
            result.status = Status::Failed;
            result.reason = Some(why.clone());
            progress.finish(line, 0.0, &format!("failed {name}: {why}"));
            return result;
        }
    };
    let outcome = || {
        let fingerprint = state::fingerprint(&item.input)
            .map_err(|e| CliError::usage(format!("input {}: {e}", item.input.display())))?;
        if let Some(parent) = item.output.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| CliError::other(format!("cannot create {}: {e}", parent.display())))?;
        }
        let output = prepare(&item.input, &item.output, Some(format), replace)?;
        // Pending before the output can land, completed after: an output is never ours
        // without a record saying so (see `state.rs`).
        state.begin(&item.input, &item.output, fingerprint, settings_hash)?;
        let (report, duration) =
            master_file(&item.input, &output, options, settings, &mut |e| match e {
                Event::Decoded(secs) => line.decoded(secs),
                Event::Step(step) => line.step(step),
            })?;
        state.complete(&item.output)?;
        Ok::<_, CliError>((report, duration))
    };
    // A panic in one track (a bug) is that track's failure, not the batch's end.
    let outcome =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(outcome)).unwrap_or_else(|_| {
            Err(CliError::other(
                "internal error (a panic) while mastering this track; please report it",
            ))
        });
    result.time_ms = clock.elapsed().as_secs_f64() * 1e3;
    match outcome {
        Ok((report, duration)) => {
            result.status = Status::Done;
            result.audio_secs = duration;
            result.input_loudness = Some(report.input);
            result.output_loudness = Some(report.output);
            let speed = duration / (result.time_ms / 1e3).max(1e-9);
            progress.finish(
                line,
                duration,
                &format!(
                    "done {name} → {} ({speed:.0}× real time)",
                    item.output.display()
                ),
            );
        }
        Err(err) => {
            result.status = Status::Failed;
            result.reason = Some(err.to_string());
            progress.finish(line, 0.0, &format!("failed {name}: {err}"));
        }
    }
    result
}
