//! `cargo xtask fuzz [--minutes N] [--target read|cli]...` — coverage-guided fuzzing of the
//! read entry point and the command line, on the stable toolchain.
//!
//! How, and why this way: `fuzz/` is its own workspace depending on `libfuzzer-sys` (which
//! compiles LLVM's libFuzzer with the system C++ compiler). It is built with the
//! instrumentation flags cargo-fuzz uses — `-Cpasses=sancov-module` and the
//! `-sanitizer-coverage-*` LLVM options, all stable — and no sanitizer (ASan needs nightly;
//! safe Rust's bounds and overflow checks, kept on with `-Cdebug-assertions -Coverflow-checks`,
//! turn memory errors into panics, which libFuzzer reports). `--target <host>` keeps the flags
//! off build scripts; `--locked` keeps `fuzz/Cargo.lock` as committed. No cargo plugin to
//! install: a fresh clone needs only cargo and a C++ compiler.
//!
//! Each target runs for its share of the minutes with an RSS limit (unbounded allocation is
//! a failure, reported as `oom-…`), a per-input timeout (a hang is `timeout-…`), its
//! committed seeds (`fuzz/seeds/<target>/`, read only) and a fresh corpus in a temporary
//! directory, which is also its working directory and where every file it writes lives.
//! Findings are copied to `fuzz/artifacts/<target>/`; keep each in `fuzz/regressions/` with
//! its fix (`cargo test` replays them). Exit code 1 if anything was found.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use auralis_lab::{LabError, LabResult};

/// The targets in `fuzz/fuzz_targets/`, with the largest input each is given.
const TARGETS: [(&str, usize); 2] = [("read", 65_536), ("cli", 4_096)];
/// The stable instrumentation cargo-fuzz applies, plus checks that make bugs loud.
const RUSTFLAGS: &str = "-Cpasses=sancov-module \
    -Cllvm-args=-sanitizer-coverage-level=4 \
    -Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
    -Cllvm-args=-sanitizer-coverage-pc-table \
    -Cllvm-args=-sanitizer-coverage-trace-compares \
    --cfg fuzzing -Cdebug-assertions -Coverflow-checks";
/// Seconds one input may take before it counts as a hang.
const TIMEOUT_SECS: u32 = 20;

#[derive(clap::Args, Debug)]
pub struct FuzzArgs {
    /// Minutes of fuzzing in all, shared evenly by the targets.
    #[arg(long, default_value_t = 10.0)]
    minutes: f64,
    /// Only this target (read, cli); repeatable [default: all].
    #[arg(long = "target", value_name = "NAME")]
    targets: Vec<String>,
    /// Resident memory limit in MB: a run that grows past it is a failure.
    #[arg(long, default_value_t = 2048)]
    rss_limit_mb: u64,
}

/// What one target's run found, from libFuzzer's final lines.
struct Outcome {
    target: &'static str,
    seconds: u64,
    executions: u64,
    coverage: String,
    corpus: String,
    findings: Vec<PathBuf>,
    exit: Option<i32>,
}

pub fn fuzz(root: &Path, args: FuzzArgs) -> LabResult<ExitCode> {
    if !(args.minutes > 0.0 && args.minutes <= 24.0 * 60.0) {
        return Err(LabError::Usage(format!(
            "--minutes {} is not in (0, 1440]",
            args.minutes
        )));
    }
    let targets: Vec<(&'static str, usize)> = if args.targets.is_empty() {
        TARGETS.to_vec()
    } else {
        args.targets
            .iter()
            .map(|name| {
                TARGETS
                    .iter()
                    .find(|(t, _)| t == name)
                    .copied()
                    .ok_or_else(|| {
                        LabError::Usage(format!("unknown fuzz target `{name}` (read, cli)"))
                    })
            })
            .collect::<LabResult<_>>()?
    };
    let binaries = build(root)?;
    let seconds = ((args.minutes * 60.0) / targets.len() as f64).max(1.0) as u64;
    let mut outcomes = Vec::new();
    for (target, max_len) in targets {
        eprintln!("fuzzing `{target}` for {seconds} s …");
        outcomes.push(run_target(
            root,
            &binaries.join(target),
            target,
            max_len,
            seconds,
            args.rss_limit_mb,
        )?);
    }
    println!(
        "target  seconds  executions  exec/s  coverage (cov / features)  corpus       findings"
    );
    for o in &outcomes {
        println!(
            "{:<7} {:>7}  {:>10}  {:>6}  {:<25}  {:<11}  {}",
            o.target,
            o.seconds,
            o.executions,
            o.executions / o.seconds.max(1),
            o.coverage,
            o.corpus,
            o.findings.len()
        );
    }
    let failed: Vec<&Outcome> = outcomes
        .iter()
        .filter(|o| !o.findings.is_empty() || o.exit != Some(0))
        .collect();
    if failed.is_empty() {
        println!("fuzz: no crash, hang or RSS overrun");
        return Ok(ExitCode::SUCCESS);
    }
    for o in failed {
        eprintln!(
            "fuzz: `{}` failed (exit {:?}); findings kept in {}",
            o.target,
            o.exit,
            root.join("fuzz/artifacts").join(o.target).display()
        );
        for f in &o.findings {
            eprintln!("  {}", f.display());
        }
    }
    Ok(ExitCode::from(1))
}

/// Builds the instrumented fuzz binaries; returns the directory they are in.
fn build(root: &Path) -> LabResult<PathBuf> {
    let host = host_triple()?;
    let target_dir = root.join("target/fuzz");
    eprintln!("building the instrumented fuzz targets (first build: a few minutes) …");
    let status = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .current_dir(root.join("fuzz"))
        .args([
            "build",
            "--release",
            "--locked",
            "--bins",
            "--target",
            &host,
        ])
        .arg("--target-dir")
        .arg(&target_dir)
        .env("RUSTFLAGS", RUSTFLAGS)
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_BUILD_RUSTFLAGS")
        .status()
        .map_err(|e| LabError::Run(format!("cannot run cargo: {e}")))?;
    if !status.success() {
        return Err(LabError::Run(format!(
            "building fuzz/ failed ({status}); it needs a C++ compiler (g++ or clang++) for \
             libFuzzer"
        )));
    }
    Ok(target_dir.join(host).join("release"))
}

fn host_triple() -> LabResult<String> {
    let out = Command::new("rustc")
        .arg("-vV")
        .output()
        .map_err(|e| LabError::Run(format!("cannot run rustc -vV: {e}")))?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_string))
        .ok_or_else(|| LabError::Run("rustc -vV names no host".into()))
}

fn run_target(
    root: &Path,
    binary: &Path,
    target: &'static str,
    max_len: usize,
    seconds: u64,
    rss_limit_mb: u64,
) -> LabResult<Outcome> {
    let work = std::env::temp_dir().join(format!("auralis-fuzz-{target}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    let corpus = work.join("corpus");
    let artifacts = work.join("artifacts");
    for dir in [&corpus, &artifacts] {
        std::fs::create_dir_all(dir).map_err(|e| {
            LabError::Output(format!("{}: cannot create directory: {e}", dir.display()))
        })?;
    }
    let log_path = work.join("fuzz.log");
    let log = std::fs::File::create(&log_path)
        .map_err(|e| LabError::Output(format!("{}: {e}", log_path.display())))?;
    let status = Command::new(binary)
        .current_dir(&work)
        .env("TMPDIR", &work)
        .arg(format!("-max_total_time={seconds}"))
        .arg(format!("-rss_limit_mb={rss_limit_mb}"))
        .arg(format!("-timeout={TIMEOUT_SECS}"))
        .arg(format!("-max_len={max_len}"))
        .arg("-print_final_stats=1")
        .arg(format!("-artifact_prefix={}/", artifacts.display()))
        .arg(&corpus)
        .arg(root.join("fuzz/seeds").join(target))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .status()
        .map_err(|e| LabError::Run(format!("cannot run {}: {e}", binary.display())))?;
    let text = std::fs::read_to_string(&log_path).unwrap_or_default();
    let stat = |key: &str| -> u64 {
        text.lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0)
    };
    // The last progress line: `#N DONE cov: C ft: F corp: K/Sb …`.
    let progress = text
        .lines()
        .rev()
        .find(|l| l.starts_with('#') && l.contains(" cov: "))
        .unwrap_or("");
    let field = |name: &str| -> String {
        progress
            .split_whitespace()
            .skip_while(|w| *w != name)
            .nth(1)
            .unwrap_or("?")
            .to_string()
    };
    let kept = root.join("fuzz/artifacts").join(target);
    let mut findings = Vec::new();
    for entry in std::fs::read_dir(&artifacts)
        .into_iter()
        .flatten()
        .flatten()
    {
        std::fs::create_dir_all(&kept).ok();
        let to = kept.join(entry.file_name());
        if std::fs::copy(entry.path(), &to).is_ok() {
            findings.push(to);
        }
    }
    if !status.success() {
        let tail: Vec<&str> = text.lines().rev().take(40).collect();
        for line in tail.iter().rev() {
            eprintln!("  | {line}");
        }
    }
    let outcome = Outcome {
        target,
        seconds,
        executions: stat("stat::number_of_executed_units:"),
        coverage: format!("{} / {}", field("cov:"), field("ft:")),
        corpus: field("corp:"),
        findings,
        exit: status.code(),
    };
    let _ = std::fs::remove_dir_all(&work);
    Ok(outcome)
}
