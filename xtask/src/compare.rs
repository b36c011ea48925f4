//! `cargo xtask compare --base REV` and `cargo xtask compare --study`: glue over
//! `auralis_lab::compare` (the method is documented there).
//!
//! The base revision is checked out in a git worktree under `target/compare/` and built there
//! with its own target directory (so the work tree's build is not invalidated); each build
//! then runs as a worker process and the two are timed interleaved.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use auralis_lab::compare::{
    self, Comparison, Verdict, Worker, DEFAULT_ROUNDS, DEFAULT_SECONDS, DEFAULT_THRESHOLD,
};
use auralis_lab::output::write_file;
use auralis_lab::{LabError, LabResult};
use serde::Serialize;

#[derive(clap::Args, Debug)]
pub struct CompareArgs {
    /// The revision (commit, branch, tag) whose build the work tree's build is held to.
    #[arg(long, value_name = "REV", required_unless_present = "study")]
    base: Option<String>,
    /// Measure the comparison's power instead: A/A runs (the same build on both sides) and
    /// runs with planted wall-time slowdowns of 5, 10 and 20 % that add no instructions.
    #[arg(long, conflicts_with = "base")]
    study: bool,
    /// ABBA blocks per cell.
    #[arg(long, default_value_t = DEFAULT_ROUNDS, value_name = "N")]
    rounds: usize,
    /// A cell fails when its whole interval lies above this slowdown, in per cent.
    #[arg(long, default_value_t = DEFAULT_THRESHOLD * 100.0, value_name = "PCT")]
    threshold: f64,
    /// Fixture length to compare on, in seconds (repeatable) [default: 5 and 30; the study:
    /// 30].
    #[arg(long = "seconds", value_name = "S")]
    seconds: Vec<f64>,
    /// If the base revision predates `compare` (its build has no worker), say so and succeed
    /// instead of failing (CI, on the commit that introduced it).
    #[arg(long, requires = "base")]
    allow_old_base: bool,
    /// The study's runs per arm.
    #[arg(long, default_value_t = 20, value_name = "N", requires = "study")]
    runs: usize,
    /// Where to write the result (Markdown; JSON beside it) [default:
    /// reports/partial/compare.md; the study: reports/compare-study.md].
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

/// The hidden worker subcommand's arguments.
#[derive(clap::Args, Debug)]
pub struct WorkerArgs {
    /// Fixture lengths to hold, in seconds (repeatable).
    #[arg(long = "seconds", value_name = "S", required = true)]
    seconds: Vec<f64>,
    /// Sleep this fraction of each call's own time inside the timed window (power study).
    #[arg(long, default_value_t = 0.0, value_name = "FRACTION")]
    plant_slowdown: f64,
}

/// The hidden subcommand the workers run.
pub const WORKER_COMMAND: &str = "compare-worker";

/// `xtask compare-worker`: serve timing requests on stdin/stdout.
pub fn worker(root: &Path, args: WorkerArgs) -> LabResult<ExitCode> {
    let selection = crate::read_selection(&root.join("reports/selection.json"))?
        .unwrap_or_else(auralis_core::selection::Selection::empty);
    let stdin = std::io::stdin().lock();
    let stdout = std::io::stdout().lock();
    compare::serve(
        auralis_lab::registry::standard_stages(),
        &selection,
        &args.seconds,
        args.plant_slowdown,
        stdin,
        stdout,
    )?;
    Ok(ExitCode::SUCCESS)
}

fn worker_command(program: &Path, dir: &Path, seconds: &[f64], plant: f64) -> Command {
    let mut command = Command::new(program);
    command.current_dir(dir).arg(WORKER_COMMAND);
    for s in seconds {
        command.arg("--seconds").arg(s.to_string());
    }
    if plant > 0.0 {
        command.arg("--plant-slowdown").arg(plant.to_string());
    }
    command
}

fn this_program() -> LabResult<PathBuf> {
    std::env::current_exe().map_err(|e| LabError::Run(format!("cannot locate this program: {e}")))
}

pub fn run(root: &Path, args: CompareArgs) -> LabResult<ExitCode> {
    if args.rounds < 10 {
        return Err(LabError::Usage(
            "--rounds must be at least 10 (fewer blocks give no interval at the corrected level)"
                .into(),
        ));
    }
    if !(args.threshold.is_finite() && args.threshold >= 0.0) {
        return Err(LabError::Usage(
            "--threshold must be a percentage ≥ 0".into(),
        ));
    }
    if args.study {
        return study(root, &args);
    }
    let base = args
        .base
        .as_deref()
        .expect("clap requires --base without --study");
    let seconds = if args.seconds.is_empty() {
        DEFAULT_SECONDS.to_vec()
    } else {
        args.seconds.clone()
    };
    let (sha, base_dir, base_program) = build_base(root, base)?;
    eprintln!("comparing the work tree's build (B) with {base} = {sha} (A)");
    let mut a = match Worker::spawn(
        worker_command(&base_program, &base_dir, &seconds, 0.0),
        "base",
    ) {
        Err(e) if args.allow_old_base && e.to_string().contains(compare::NO_WORKER) => {
            println!("compare skipped: {base} ({sha}) predates `cargo xtask compare` ({e})");
            return Ok(ExitCode::SUCCESS);
        }
        other => other?,
    };
    let mut b = Worker::spawn(
        worker_command(&this_program()?, root, &seconds, 0.0),
        "head",
    )?;
    let comparison = compare::compare(
        &mut a,
        &mut b,
        args.rounds,
        args.threshold / 100.0,
        0xC0FFEE,
        &|m| eprintln!("{m}"),
    )?;
    let title = format!(
        "# Compare: work tree (B) against {base} = {sha} (A)\n\n{} ABBA blocks per cell; a cell \
         fails when its whole interval (Bonferroni-corrected over the cells) lies above \
         +{:.1} %, and fails the run only if a re-measurement agrees.\n\n",
        args.rounds, args.threshold
    );
    let markdown = title + &comparison.table();
    print!("{markdown}");
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| root.join("reports/partial/compare.md"));
    write_outputs(&out, &markdown, &comparison)?;
    let regressions = comparison.regressions();
    if regressions.is_empty() {
        println!(
            "compare passed: no cell slower beyond +{:.1} %",
            args.threshold
        );
        Ok(ExitCode::SUCCESS)
    } else {
        for r in &regressions {
            eprintln!(
                "error: {} is {:+.1} % slower ({:+.1} % … {:+.1} %), twice",
                r.cell,
                r.change * 100.0,
                r.low * 100.0,
                r.high * 100.0
            );
        }
        Ok(ExitCode::from(1))
    }
}

fn write_outputs(out: &Path, markdown: &str, json: &impl Serialize) -> LabResult<()> {
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| LabError::Output(format!("{}: {e}", parent.display())))?;
    }
    write_file(out, markdown.as_bytes())?;
    let text = serde_json::to_string_pretty(json)
        .map_err(|e| LabError::Output(format!("cannot serialise: {e}")))?;
    write_file(&out.with_extension("json"), (text + "\n").as_bytes())?;
    eprintln!("wrote {}", out.display());
    Ok(())
}

fn git(root: &Path, args: &[&str]) -> LabResult<String> {
    let output = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(args)
        .output()
        .map_err(|e| LabError::Run(format!("cannot run git: {e}")))?;
    if !output.status.success() {
        return Err(LabError::Input(format!(
            "git {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
}

/// Checks `rev` out in `target/compare/base-SHA` (once) and builds its xtask in release
/// there; returns the commit, the worktree and the program.
fn build_base(root: &Path, rev: &str) -> LabResult<(String, PathBuf, PathBuf)> {
    let sha = git(
        root,
        &["rev-parse", "--verify", &format!("{rev}^{{commit}}")],
    )?;
    let short = &sha[..12.min(sha.len())];
    let compare_dir = root.join("target/compare");
    let dir = compare_dir.join(format!("base-{short}"));
    if !dir.join("Cargo.toml").exists() {
        // A leftover directory without a checkout (an interrupted run) is removed first.
        let _ = git(
            root,
            &["worktree", "remove", "--force", &dir.to_string_lossy()],
        );
        let _ = std::fs::remove_dir_all(&dir);
        let _ = git(root, &["worktree", "prune"]);
        eprintln!("checking out {rev} ({short}) in {}", dir.display());
        git(
            root,
            &[
                "worktree",
                "add",
                "--detach",
                "--force",
                &dir.to_string_lossy(),
                &sha,
            ],
        )?;
    }
    // The base's own target directory: building it in the work tree's would throw away
    // the work tree's build every time.
    let target = compare_dir.join("target");
    eprintln!("building {short} (cargo build --release -p xtask)");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(&dir)
        .args(["build", "--release", "--quiet", "-p", "xtask"])
        .env("CARGO_TARGET_DIR", &target)
        .status()
        .map_err(|e| LabError::Run(format!("cannot run cargo: {e}")))?;
    if !status.success() {
        return Err(LabError::Run(format!("building {rev} ({short}) failed")));
    }
    Ok((sha, dir, target.join("release/xtask")))
}

// ---------------------------------------------------------------- the power study -------

/// The slowdowns planted on B in the study (0 = the A/A arm).
const STUDY_ARMS: [f64; 4] = [0.0, 0.05, 0.10, 0.20];

#[derive(Serialize)]
struct StudyRun {
    planted: f64,
    run: usize,
    comparison: Comparison,
}

#[derive(Serialize)]
struct Study {
    machine: auralis_lab::machine::MachineInfo,
    rounds: usize,
    threshold: f64,
    seconds: Vec<f64>,
    runs_per_arm: usize,
    wall_secs: f64,
    runs: Vec<StudyRun>,
}

fn study(root: &Path, args: &CompareArgs) -> LabResult<ExitCode> {
    let seconds = if args.seconds.is_empty() {
        vec![30.0]
    } else {
        args.seconds.clone()
    };
    let program = this_program()?;
    let started = std::time::Instant::now();
    let mut runs = Vec::new();
    // Arms interleaved run by run, so a slow hour of the machine spreads over all of them.
    for run in 0..args.runs {
        for &planted in &STUDY_ARMS {
            eprintln!(
                "study run {}/{} planted {:.0} % ({:.0} s so far)",
                run + 1,
                args.runs,
                planted * 100.0,
                started.elapsed().as_secs_f64()
            );
            let mut a = Worker::spawn(worker_command(&program, root, &seconds, 0.0), "A")?;
            let mut b = Worker::spawn(worker_command(&program, root, &seconds, planted), "B")?;
            let seed = 0x5EED_0000 + (run as u64) * 16 + (planted * 100.0) as u64;
            let comparison = compare::compare(
                &mut a,
                &mut b,
                args.rounds,
                args.threshold / 100.0,
                seed,
                &|_| {},
            )?;
            runs.push(StudyRun {
                planted,
                run,
                comparison,
            });
        }
    }
    let study = Study {
        machine: auralis_lab::machine::MachineInfo::probe(root),
        rounds: args.rounds,
        threshold: args.threshold / 100.0,
        seconds: seconds.clone(),
        runs_per_arm: args.runs,
        wall_secs: started.elapsed().as_secs_f64(),
        runs,
    };
    let markdown = study_table(&study);
    print!("{markdown}");
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| root.join("reports/compare-study.md"));
    write_outputs(&out, &markdown, &study)?;
    Ok(ExitCode::SUCCESS)
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

/// The study's tables: per arm, how often the run failed (false alarms in the A/A arm,
/// detections otherwise) and per cell how often the first measurement flagged it, the median
/// measured change and the median interval width.
fn study_table(study: &Study) -> String {
    let cells: Vec<String> = study
        .runs
        .first()
        .map(|r| {
            r.comparison
                .verdicts
                .iter()
                .map(|v| v.cell.clone())
                .collect()
        })
        .unwrap_or_default();
    let mut out = format!(
        "# Compare: power study\n\n{} runs per arm, {} ABBA blocks per cell, cells: {}; a \
         cell fails when its Bonferroni-corrected interval lies wholly above +{:.1} %, the run \
         only if a re-measurement agrees. {:.0} min on {} ({} logical cores), commit {}.\n\n\
         | planted slowdown | runs failed | per cell: flagged at first / failed twice · median measured change · median interval |\n|---|---|---|\n",
        study.runs_per_arm,
        study.rounds,
        cells.join(", "),
        study.threshold * 100.0,
        study.wall_secs / 60.0,
        study.machine.cpu_model,
        study.machine.logical_cores,
        study.machine.short_commit(),
    );
    for &planted in &STUDY_ARMS {
        let arm: Vec<&StudyRun> = study.runs.iter().filter(|r| r.planted == planted).collect();
        let failed = arm.iter().filter(|r| !r.comparison.passed()).count();
        let mut per_cell = Vec::new();
        for cell in &cells {
            let verdicts: Vec<_> = arm
                .iter()
                .filter_map(|r| r.comparison.verdicts.iter().find(|v| &v.cell == cell))
                .collect();
            let flagged = verdicts
                .iter()
                .filter(|v| v.verdict == Verdict::Slower)
                .count();
            let twice = arm
                .iter()
                .filter(|r| r.comparison.regressions().iter().any(|v| &v.cell == cell))
                .count();
            let mut changes: Vec<f64> = verdicts.iter().map(|v| v.change).collect();
            changes.sort_by(f64::total_cmp);
            let mut widths: Vec<f64> = verdicts.iter().map(|v| v.high - v.low).collect();
            widths.sort_by(f64::total_cmp);
            per_cell.push(format!(
                "{cell}: {flagged}/{twice} · {:+.1} % · {:.1} %",
                quantile(&changes, 0.5) * 100.0,
                quantile(&widths, 0.5) * 100.0
            ));
        }
        let label = if planted == 0.0 {
            "none (A/A: false alarms)".to_string()
        } else {
            format!("{:.0} %", planted * 100.0)
        };
        out.push_str(&format!(
            "| {label} | {failed} of {} | {} |\n",
            arm.len(),
            per_cell.join("<br>")
        ));
    }
    out
}
