//! The command line as a user meets it: exit codes, one-line errors, and one real (tiny) run
//! through the whole pipeline: bench → baseline → select → bench --check.

use std::path::Path;
use std::process::{Command, Output};

fn xtask(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .output()
        .expect("the xtask binary runs")
}

/// Asserts exit code 2 and a single stderr line containing `needle`.
fn assert_usage_error(args: &[&str], needle: &str) {
    let out = xtask(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "{args:?}: one line, got {stderr:?}"
    );
    assert!(
        stderr.contains(needle),
        "{args:?}: {stderr:?} lacks {needle:?}"
    );
    assert!(!stderr.contains("panicked") && !stderr.contains("backtrace"));
}

#[test]
fn bad_requests_are_one_line_errors_with_exit_code_2() {
    assert_usage_error(
        &["bench", "--stage", "nope"],
        "valid stages: spectrum, eq, eq-hop2048, dynamics",
    );
    assert_usage_error(&["bench", "--threads", "0"], "--threads 0 is out of range");
    assert_usage_error(&["bench", "--threads", "99999999"], "out of range");
    assert_usage_error(&["bench", "--samples", "0"], "--samples 0 is out of range");
    assert_usage_error(
        &["bench", "--input", "/no/such/file.wav"],
        "/no/such/file.wav",
    );
    assert_usage_error(&["bench", "--threads", "many"], "invalid value");
    assert_usage_error(&["bench", "--frobnicate"], "--frobnicate");
    assert_usage_error(&["nonsense"], "nonsense");
    assert_usage_error(
        &["bench", "--check", "--baseline", "/no/such/baseline.json"],
        "baseline /no/such/baseline.json not found",
    );
    assert_usage_error(
        &["select", "--from", "/no/such/report.json"],
        "no such file",
    );
}

#[test]
fn corrupt_inputs_are_one_line_errors() {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("garbage.wav");
    std::fs::write(&wav, b"this is not a wav file at all").unwrap();
    assert_usage_error(&["bench", "--input", wav.to_str().unwrap()], "garbage.wav");
    let report = dir.path().join("report.json");
    std::fs::write(&report, b"{\"schema_version\": 42}").unwrap();
    assert_usage_error(
        &["baseline", "--from", report.to_str().unwrap()],
        "schema version 42",
    );
}

#[test]
fn help_exits_zero() {
    let out = xtask(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("bench"));
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn tiny_real_run_then_baseline_select_and_check() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("latest");
    let baseline = dir.path().join("baseline.json");
    let selection = dir.path().join("selection.json");
    let s = |p: &Path| p.to_str().unwrap().to_string();
    let bench_args = [
        "bench",
        "--quick",
        "--stage",
        "spectrum",
        "--samples",
        "2",
        "--threads",
        "2",
        "--out",
    ];
    let mut args: Vec<String> = bench_args.iter().map(|a| a.to_string()).collect();
    args.push(s(&out));
    let run = xtask(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let md = read(&out.join("REPORT.md"));
    assert!(md.contains("## spectrum") && md.contains("music-30s"));
    assert!(out.join("time_spectrum.svg").is_file());
    let json = read(&out.join("report.json"));
    assert!(json.contains("\"rayon_threads\": 2"));

    let report = s(&out.join("report.json"));
    let b = xtask(&["baseline", "--from", &report, "--to", &s(&baseline)]);
    assert_eq!(b.status.code(), Some(0));
    let sel = xtask(&["select", "--from", &report, "--to", &s(&selection)]);
    assert_eq!(sel.status.code(), Some(0));
    let selection_json = read(&selection);
    assert!(selection_json.contains("\"spectrum\"") && selection_json.contains("measured_on"));

    // Checking a run against its own baseline: the check runs to a verdict, accuracy and the
    // selected defaults hold, and nothing errors. Its speed ratios come from 2 samples per
    // implementation on a shared VM, so they may drift beyond the tolerance even after the
    // re-measurement (CI saw the parallel spectrum at 0.16× the reference time in the
    // baseline run and 0.30× in the check): a test cannot assert timing (the gate proper
    // runs with full sampling in `.ci/run`; its ratio rule is unit-tested in `check.rs`).
    // So the only failures tolerated here are re-measured speed-ratio regressions.
    args.extend([
        "--check".to_string(),
        "--baseline".to_string(),
        s(&baseline),
    ]);
    let check = xtask(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let stdout = String::from_utf8_lossy(&check.stdout);
    let context = format!("{stdout}\n{}", String::from_utf8_lossy(&check.stderr));
    let failures: Vec<&str> = stdout.lines().filter(|l| l.starts_with("FAIL")).collect();
    match check.status.code() {
        Some(0) => {
            assert!(stdout.contains("check passed"), "{context}");
            assert!(failures.is_empty(), "{context}");
        }
        Some(1) => {
            assert!(stdout.contains("check FAILED"), "{context}");
            assert!(!failures.is_empty(), "{context}");
            for failure in failures {
                assert!(
                    failure.contains("speed ratio regressed") && failure.contains("re-measured"),
                    "only re-measured timing may fail a 2-sample self-check: {context}"
                );
            }
        }
        other => panic!("check did not reach a verdict ({other:?}): {context}"),
    }
}
