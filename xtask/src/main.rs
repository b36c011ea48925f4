//! `cargo xtask` — the lab's automation, as thin glue over `auralis-lab`.
//!
//! ```text
//! cargo xtask fixtures                       generate fixtures/ and fixtures/manifest.json
//! cargo xtask bench [--quick] [--stage NAME]... [--input FILE.wav]... [--threads N]
//!                   [--samples N] [--out DIR] [--check [--baseline FILE]]
//! cargo xtask select [--from reports/latest/report.json]   write reports/selection.json
//! cargo xtask baseline [--from reports/latest/report.json] write reports/baseline.json
//! cargo xtask icount [--check [--baseline FILE]] [--out FILE] [--write-baseline]
//!                                            instruction counts under valgrind (callgrind)
//! cargo xtask compare --base REV [--rounds N] [--threshold PCT] [--seconds S]...
//!                                            this build against REV's, interleaved (ABBA)
//! cargo xtask compare --study [--runs N]     the comparison's false alarms and power
//! cargo xtask fuzz [--minutes N] [--target read|cli]...
//!                                            coverage-guided fuzzing (stable toolchain)
//! ```
//!
//! Exit codes: 0 success; 1 the regression check ran and failed; 2 the command could not do
//! what was asked (usage, input or output error). Every error is one line on stderr.

mod compare;
mod fuzz;
mod matchering;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use auralis_core::selection::Selection;
use auralis_lab::check::{check, CheckOutcome};
use auralis_lab::machine::MachineInfo;
use auralis_lab::output::{write_file, write_reports, write_selection};
use auralis_lab::progress::TerminalProgress;
use auralis_lab::registry::{filter_stages, standard_stages};
use auralis_lab::run::{check_samples, check_threads, with_threads, LiveRemeasure};
use auralis_lab::{inputs, select, LabError, LabResult, Mode, Report, RunOptions};
use clap::{Parser, Subcommand};

/// The lab's tasks: fixtures, bench, select, baseline, icount, compare, fuzz.
#[derive(Parser, Debug)]
#[command(name = "cargo xtask", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Generate the standard fixtures and write fixtures/manifest.json.
    Fixtures {
        /// Instead, write the batch measurement's tracks as WAV files to
        /// fixtures/batch-<SECS>s/ (e.g. 10x30: ten 30 s tracks), to time `auralis master
        /// --out-dir` on the files the lab masters in memory.
        #[arg(long, value_name = "COUNTxSECS")]
        batch: Option<String>,
    },
    /// Measure every stage: accuracy, timing, streaming; write reports.
    Bench(BenchArgs),
    /// Write reports/selection.json (the facade's defaults) from a report.
    Select {
        /// The report to select from [default: reports/latest/report.json].
        #[arg(long, value_name = "FILE")]
        from: Option<PathBuf>,
        /// Where to write the selection [default: reports/selection.json].
        #[arg(long, value_name = "FILE")]
        to: Option<PathBuf>,
    },
    /// Copy a report to reports/baseline.json, the reference of `bench --check`.
    Baseline {
        /// The report to adopt as the baseline [default: reports/latest/report.json].
        #[arg(long, value_name = "FILE")]
        from: Option<PathBuf>,
        /// Where to write it [default: reports/baseline.json].
        #[arg(long, value_name = "FILE")]
        to: Option<PathBuf>,
    },
    /// Count each implementation's instructions under valgrind; optionally gate on them.
    Icount(IcountArgs),
    /// Coverage-guided fuzzing of the read entry point and the command line.
    Fuzz(fuzz::FuzzArgs),
    /// Time the work tree's build against another revision's, interleaved, with confidence
    /// intervals (or measure that comparison's power with --study).
    Compare(compare::CompareArgs),
    /// Time `auralis master --reference` against matchering (Python), the peer a user would
    /// pick instead, on the same files (optional: skipped where matchering is absent).
    Matchering {
        /// Interleaved runs of each.
        #[arg(long, default_value_t = 3)]
        runs: usize,
    },
    /// (Internal) one build's side of `compare`: answers timing requests on stdin.
    #[command(hide = true, name = "compare-worker")]
    CompareWorker(compare::WorkerArgs),
    /// (Internal) the run `icount` counts under valgrind: STAGE IMPL.
    #[command(hide = true)]
    IcountProbe {
        stage: String,
        implementation: String,
        /// Count the stage wrapped in the planted extra pass (the gate's self-test).
        #[arg(long = "planted-extra-pass")]
        planted: bool,
    },
}

#[derive(clap::Args, Debug)]
struct IcountArgs {
    /// Compare with the baseline counts; exit 1 on a count more than 1 % above its baseline,
    /// or if a planted 15 % extra pass on any stage is not caught (the gate's self-test).
    #[arg(long)]
    check: bool,
    /// The baseline for --check [default: reports/icount-baseline.json].
    #[arg(long, value_name = "FILE", requires = "check")]
    baseline: Option<PathBuf>,
    /// Where to write the counts [default: reports/latest/icount.json].
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Also write the counts as the new baseline (reports/icount-baseline.json).
    #[arg(long, conflicts_with = "check")]
    write_baseline: bool,
}

#[derive(clap::Args, Debug)]
struct BenchArgs {
    /// Only the 5 s and 30 s fixtures and fewer samples (about 30 s in all).
    #[arg(long)]
    quick: bool,
    /// Measure only this stage (repeatable).
    #[arg(long = "stage", value_name = "NAME")]
    stages: Vec<String>,
    /// Also measure on this WAV file (repeatable; never used for selection).
    #[arg(long = "input", value_name = "FILE.wav")]
    inputs: Vec<PathBuf>,
    /// Run inside a rayon pool of N threads.
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
    /// Take exactly N timing samples per implementation and input.
    #[arg(long, value_name = "N")]
    samples: Option<usize>,
    /// Where to write the reports [default: reports/latest; reports/partial for --quick,
    /// --stage or --input, so a partial run never replaces the full report].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Compare with the baseline report; exit 1 on a regression.
    #[arg(long)]
    check: bool,
    /// The baseline for --check [default: reports/baseline.json].
    #[arg(long, value_name = "FILE", requires = "check")]
    baseline: Option<PathBuf>,
}

/// The workspace root (this crate lives in `<root>/xtask`).
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

fn main() -> ExitCode {
    // A panic anywhere is a bug; report it in one line instead of a backtrace. (The lab
    // catches panics inside stage implementations and records them in the report.)
    std::panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "(no message)".into());
        let location = info
            .location()
            .map_or(String::new(), |l| format!(" at {}:{}", l.file(), l.line()));
        eprintln!("panic: {}{location}", message.replace('\n', " "));
    }));
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return clap_exit(e),
    };
    match catch_unwind(AssertUnwindSafe(|| run(cli))) {
        Ok(Ok(code)) => code,
        Ok(Err(e)) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code() as u8)
        }
        Err(_) => ExitCode::from(2),
    }
}

/// Help and version go to stdout with status 0; usage errors become one line and status 2.
fn clap_exit(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            }
        }
        _ => {
            let rendered = e.render().to_string();
            let first = rendered
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("invalid arguments");
            eprintln!("{} (see `cargo xtask --help`)", first.trim());
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> LabResult<ExitCode> {
    let root = workspace_root();
    match cli.command {
        Command::Fixtures { batch } => fixtures(&root, batch.as_deref()),
        Command::Bench(args) => bench(&root, args),
        Command::Select { from, to } => select_cmd(&root, from, to),
        Command::Baseline { from, to } => baseline(&root, from, to),
        Command::Icount(args) => icount(&root, args),
        Command::Fuzz(args) => fuzz::fuzz(&root, args),
        Command::Compare(args) => compare::run(&root, args),
        Command::Matchering { runs } => matchering::run(&root, runs),
        Command::CompareWorker(args) => compare::worker(&root, args),
        Command::IcountProbe {
            stage,
            implementation,
            planted,
        } => icount_probe(&stage, &implementation, planted),
    }
}

fn fixtures(root: &Path, batch: Option<&str>) -> LabResult<ExitCode> {
    let (dir, specs) = match batch {
        None => (root.join("fixtures"), auralis_fixtures::standard()),
        Some(spec) => {
            let parsed = spec
                .split_once('x')
                .and_then(|(n, s)| Some((n.parse::<usize>().ok()?, s.parse::<f64>().ok()?)))
                .filter(|&(n, s)| (1..=1000).contains(&n) && s > 0.0 && s <= 3600.0);
            let Some((count, secs)) = parsed else {
                return Err(LabError::Usage(format!(
                    "--batch {spec}: expected COUNTxSECS, e.g. 10x30 (1–1000 tracks of up to 3600 s)"
                )));
            };
            (
                root.join("fixtures").join(format!("batch-{secs:.0}s")),
                auralis_fixtures::batch_set(count, secs),
            )
        }
    };
    std::fs::create_dir_all(&dir).map_err(|e| {
        LabError::Output(format!("{}: cannot create directory: {e}", dir.display()))
    })?;
    let manifest =
        auralis_fixtures::ensure_all(&dir, &specs).map_err(|e| LabError::Output(e.to_string()))?;
    for entry in &manifest.fixtures {
        println!(
            "{}  {:>6.1} s  sha256 {}",
            dir.join(&entry.file).display(),
            entry.duration_secs,
            entry.sha256
        );
    }
    println!("{}", dir.join(auralis_fixtures::MANIFEST_FILE).display());
    Ok(ExitCode::SUCCESS)
}

/// A run that does not measure every stage on every standard fixture: its report must not
/// replace the committed full one (it used to rewrite `reports/latest/` and delete the
/// other stages' plots).
fn is_partial(args: &BenchArgs) -> bool {
    args.quick || !args.stages.is_empty() || !args.inputs.is_empty()
}

/// `reports/latest/` for a full run, `reports/partial/` for a partial one.
fn default_out_dir(reports_dir: &Path, args: &BenchArgs) -> PathBuf {
    reports_dir.join(if is_partial(args) {
        "partial"
    } else {
        "latest"
    })
}

fn bench(root: &Path, args: BenchArgs) -> LabResult<ExitCode> {
    // Everything the user can get wrong is checked before minutes of measuring.
    check_samples(args.samples)?;
    check_threads(args.threads)?;
    // `batch` is not a stage over one input but a measurement over sets of tracks
    // (`auralis_lab::batch`); it runs when no stage is named or when it is.
    let want_batch = args.stages.is_empty() || args.stages.iter().any(|s| s == "batch");
    let stage_names: Vec<String> = args
        .stages
        .iter()
        .filter(|s| *s != "batch")
        .cloned()
        .collect();
    let stages = if stage_names.is_empty() && !args.stages.is_empty() {
        Vec::new()
    } else {
        filter_stages(standard_stages(), &stage_names)?
    };
    let reports_dir = root.join("reports");
    let baseline = if args.check {
        let path = args
            .baseline
            .clone()
            .unwrap_or_else(|| reports_dir.join("baseline.json"));
        if !path.exists() {
            return Err(LabError::Input(format!(
                "baseline {} not found; create it with `cargo xtask bench` then `cargo xtask baseline`",
                path.display()
            )));
        }
        Some(Report::read(&path)?)
    } else {
        None
    };
    let selection = if args.check {
        read_selection(&reports_dir.join("selection.json"))?
    } else {
        None
    };
    let mode = if args.quick { Mode::Quick } else { Mode::Full };
    let specs = match mode {
        Mode::Full => auralis_fixtures::standard(),
        Mode::Quick => auralis_fixtures::quick(),
    };
    let fixture_names: Vec<String> = specs.iter().map(|s| s.name.clone()).collect();
    let user_inputs = inputs::load_user_files(&args.inputs, &fixture_names)?;
    eprintln!("preparing fixtures in {}", root.join("fixtures").display());
    let mut all_inputs = inputs::load_fixtures(&root.join("fixtures"), &specs)?;
    all_inputs.extend(user_inputs);

    let mut options = RunOptions::new(mode, reproduce_command(&args));
    options.samples = args.samples;
    let machine = MachineInfo::probe(root);
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| default_out_dir(&reports_dir, &args));
    if is_partial(&args) && args.out.is_none() {
        eprintln!(
            "a partial run (--quick, --stage or --input): reports go to {}, leaving the full \
             report in reports/latest/ whole",
            out_dir.display()
        );
    }

    let outcome = with_threads(args.threads, || -> LabResult<Option<CheckOutcome>> {
        let progress = TerminalProgress::new();
        let mut report = auralis_lab::run_bench(&stages, &all_inputs, &options, machine, &progress);
        if want_batch {
            eprintln!("batch: mastering sets of tracks sequentially, across files, within files");
            let batch =
                auralis_lab::batch::measure(mode, report.run.memory_bandwidth_gbs.unwrap_or(0.0));
            // The run's duration is the main job's: stages and batch together.
            report.run.wall_secs += batch.wall_secs;
            report.batch = Some(batch);
            report.selection = auralis_lab::select::select(&report);
        }
        let written = write_reports(&report, &out_dir)?;
        print_summary(&report, &out_dir);
        for e in &written.plot_errors {
            eprintln!("warning: plot not drawn: {e}");
        }
        let Some(baseline) = &baseline else {
            return Ok(None);
        };
        let mut remeasure = LiveRemeasure {
            stages: &stages,
            inputs: &all_inputs,
            mode,
            samples: args.samples,
        };
        Ok(Some(check(
            &report,
            baseline,
            selection.as_ref(),
            &mut remeasure,
        )))
    })??;
    Ok(outcome.map_or(ExitCode::SUCCESS, |outcome| {
        gate_exit(
            &outcome.summary(),
            outcome.failures.len(),
            "regression check",
        )
    }))
}

/// Prints a gate's summary and turns its verdict into the exit code: 1 if it found
/// failures (named on stderr too), else 0.
fn gate_exit(summary: &str, failures: usize, gate: &str) -> ExitCode {
    print!("{summary}");
    if failures == 0 {
        ExitCode::SUCCESS
    } else {
        eprintln!("error: {gate} failed with {failures} failure(s) (listed above)");
        ExitCode::from(1)
    }
}

/// The committed selection, or `None` if there is none yet.
fn read_selection(path: &Path) -> LabResult<Option<Selection>> {
    match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text).map(Some).map_err(|e| {
            LabError::Input(format!(
                "{}: not a valid selection file: {e}",
                path.display()
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(LabError::Input(format!(
            "{}: cannot read: {e}",
            path.display()
        ))),
    }
}

/// The command line that reproduces a run (without --check, which does not change the
/// measurements, and without --out).
fn reproduce_command(args: &BenchArgs) -> String {
    let mut cmd = String::from("cargo xtask bench");
    if args.quick {
        cmd.push_str(" --quick");
    }
    for s in &args.stages {
        cmd.push_str(&format!(" --stage {s}"));
    }
    for i in &args.inputs {
        cmd.push_str(&format!(" --input {}", i.display()));
    }
    if let Some(t) = args.threads {
        cmd.push_str(&format!(" --threads {t}"));
    }
    if let Some(n) = args.samples {
        cmd.push_str(&format!(" --samples {n}"));
    }
    cmd
}

fn print_summary(report: &Report, out_dir: &Path) {
    println!("defaults this run would select (`cargo xtask select` writes them):");
    for (stage, selection) in &report.selection.stages {
        for bucket in &selection.buckets {
            let range = bucket
                .max_frames
                .map_or("and longer".to_string(), |m| format!("≤ {m} frames"));
            println!(
                "  {stage:<12} {:<12} {range:<20} {:<10}  {}",
                bucket.measured_on, bucket.implementation, bucket.reason
            );
        }
    }
    for (stage, input, kind, reason) in report.accuracy_failures() {
        let what = kind.map_or("reference".to_string(), |k| k.to_string());
        println!("  ACCURACY FAILURE {stage} / {input} / {what}: {reason}");
    }
    let measured: Vec<_> = auralis_lab::targets::evaluate(report)
        .into_iter()
        .filter(|o| o.verdict != auralis_lab::targets::Verdict::NotMeasured)
        .collect();
    if !measured.is_empty() {
        println!("targets stated in the issues (goals, not gates; see REPORT.md):");
        for outcome in measured {
            println!("  {}", outcome.line());
        }
    }
    println!(
        "report: {} ({:.0} s)",
        out_dir.join("REPORT.md").display(),
        report.run.wall_secs
    );
}

fn select_cmd(root: &Path, from: Option<PathBuf>, to: Option<PathBuf>) -> LabResult<ExitCode> {
    let from = from.unwrap_or_else(|| root.join("reports/latest/report.json"));
    let report = Report::read(&from)?;
    let selection = select::select(&report);
    let to = to.unwrap_or_else(|| root.join("reports/selection.json"));
    write_selection(&selection, &to)?;
    for (stage, s) in &selection.stages {
        for b in &s.buckets {
            println!(
                "{stage:<12} {:<12} {:<10} {}",
                b.measured_on, b.implementation, b.reason
            );
        }
    }
    println!("wrote {}", to.display());
    Ok(ExitCode::SUCCESS)
}

fn baseline(root: &Path, from: Option<PathBuf>, to: Option<PathBuf>) -> LabResult<ExitCode> {
    let from = from.unwrap_or_else(|| root.join("reports/latest/report.json"));
    // Parse before copying: a baseline that cannot be read would only fail later, in CI.
    let report = Report::read(&from)?;
    let to = to.unwrap_or_else(|| root.join("reports/baseline.json"));
    write_file(&to, report.to_json()?.as_bytes())?;
    println!("wrote {} (from {})", to.display(), from.display());
    Ok(ExitCode::SUCCESS)
}

/// The hidden subcommand `icount` runs this binary with, under valgrind.
const ICOUNT_PROBE: &str = "icount-probe";

fn icount(root: &Path, args: IcountArgs) -> LabResult<ExitCode> {
    let baseline_path = args
        .baseline
        .clone()
        .unwrap_or_else(|| root.join("reports/icount-baseline.json"));
    // Read the baseline first: a missing one should fail before a minute of counting.
    let baseline = if args.check {
        if !baseline_path.exists() {
            return Err(LabError::Input(format!(
                "instruction-count baseline {} not found; create it with `cargo xtask icount --write-baseline`",
                baseline_path.display()
            )));
        }
        Some(auralis_lab::icount::IcountReport::read(&baseline_path)?)
    } else {
        None
    };
    let program = std::env::current_exe()
        .map_err(|e| LabError::Run(format!("cannot locate this program: {e}")))?;
    let machine = MachineInfo::probe(root);
    let report = auralis_lab::icount::count_all(
        &program,
        ICOUNT_PROBE,
        &standard_stages(),
        machine.rustc.clone(),
        machine.short_commit(),
        &|message| eprintln!("{message}"),
    )?;
    print!("{}", report.table());
    let json = report.to_json()?;
    let out = args
        .out
        .unwrap_or_else(|| root.join("reports/latest/icount.json"));
    write_file(&out, json.as_bytes())?;
    println!("wrote {}", out.display());
    if args.write_baseline {
        write_file(&baseline_path, json.as_bytes())?;
        println!("wrote {}", baseline_path.display());
    }
    let Some(baseline) = baseline else {
        return Ok(ExitCode::SUCCESS);
    };
    let mut outcome = auralis_lab::icount::compare(&baseline, &report);
    // The gate's self-test: a planted 15 % extra pass on every stage must be caught.
    let (caught, missed) = auralis_lab::icount::check_planted(
        &program,
        ICOUNT_PROBE,
        &report,
        &standard_stages(),
        &|message| eprintln!("{message}"),
    )?;
    outcome.notes.extend(caught);
    outcome.failures.extend(missed);
    Ok(gate_exit(
        &outcome.summary(),
        outcome.failures.len(),
        "instruction-count check",
    ))
}

fn icount_probe(stage: &str, implementation: &str, planted: bool) -> LabResult<ExitCode> {
    let mut stages = filter_stages(standard_stages(), &[stage.to_string()])?;
    let kind = implementation
        .parse()
        .map_err(|e| LabError::Usage(format!("{implementation}: {e}")))?;
    let stage = stages.swap_remove(0);
    if planted {
        auralis_lab::icount::probe(&auralis_lab::icount::PlantedExtraPass(stage), kind)?;
    } else {
        auralis_lab::icount::probe(&*stage, kind)?;
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(extra: &[&str]) -> BenchArgs {
        let mut argv = vec!["cargo xtask", "bench"];
        argv.extend(extra);
        match Cli::try_parse_from(argv).unwrap().command {
            Command::Bench(args) => args,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn partial_runs_write_beside_the_full_report_not_over_it() {
        let reports = Path::new("reports");
        assert_eq!(default_out_dir(reports, &args(&[])), reports.join("latest"));
        for partial in [
            &["--quick"][..],
            &["--stage", "eq"],
            &["--input", "song.wav"],
            &["--quick", "--stage", "dynamics"],
        ] {
            assert_eq!(
                default_out_dir(reports, &args(partial)),
                reports.join("partial"),
                "{partial:?}"
            );
        }
        // An explicit --out is the user's choice either way.
        assert!(is_partial(&args(&["--stage", "eq", "--out", "x"])));
    }
}
