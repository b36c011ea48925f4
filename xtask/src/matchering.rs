//! `cargo xtask matchering`: the peer a user would pick instead of `auralis master
//! --reference` — matchering (Python) — timed on the same files, whole process against whole
//! process, interleaved. Optional: without Python or matchering (`pip install matchering`)
//! it says so and exits 0; never part of the main job (one matchering run takes seconds, and
//! the main job's budget is 3 minutes) or of CI.
//!
//! Files: the 180 s standard fixture as the track and a 290 s track of the batch set (another
//! seed and tempo) as the reference, as the mastering issue's targets name them; outputs 24-bit
//! WAV for both. Writes `reports/latest/matchering.json`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use auralis_lab::error::{LabError, LabResult};
use serde_json::json;

/// The matchering call, as its README documents it (24-bit PCM result, quiet log).
const MATCHERING_SCRIPT: &str = "import sys, matchering as mg\n\
mg.log(lambda *a: None)\n\
mg.process(target=sys.argv[1], reference=sys.argv[2], results=[mg.pcm24(sys.argv[3])])\n";

fn timed(command: &mut Command) -> LabResult<f64> {
    let start = Instant::now();
    let out = command
        .output()
        .map_err(|e| LabError::Run(format!("cannot run {command:?}: {e}")))?;
    let secs = start.elapsed().as_secs_f64();
    if !out.status.success() {
        return Err(LabError::Run(format!(
            "{command:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    Ok(secs)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Runs the comparison `runs` times.
pub fn run(root: &Path, runs: usize) -> LabResult<std::process::ExitCode> {
    let probe = Command::new("python3")
        .args(["-c", "import matchering"])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        eprintln!(
            "matchering: skipped — python3 with matchering is not installed here \
             (pip install matchering)"
        );
        return Ok(std::process::ExitCode::SUCCESS);
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let built = Command::new(cargo)
        .args(["build", "--release", "-q", "-p", "auralis-cli"])
        .current_dir(root)
        .status()
        .map_err(|e| LabError::Run(format!("cannot build the auralis binary: {e}")))?;
    if !built.success() {
        return Err(LabError::Run("building the auralis binary failed".into()));
    }
    let fixtures = root.join("fixtures");
    let track_spec = auralis_fixtures::FixtureSpec::music("music-180s", 180.0);
    let reference_spec = auralis_fixtures::batch_set(1, 290.0).remove(0);
    let (track, _) = auralis_fixtures::ensure(&fixtures, &track_spec)
        .map_err(|e| LabError::Output(e.to_string()))?;
    let reference_dir = fixtures.join("batch-290s");
    std::fs::create_dir_all(&reference_dir)
        .map_err(|e| LabError::Output(format!("{}: {e}", reference_dir.display())))?;
    let (reference, _) = auralis_fixtures::ensure(&reference_dir, &reference_spec)
        .map_err(|e| LabError::Output(e.to_string()))?;
    let scratch = tempfile::tempdir().map_err(|e| LabError::Output(e.to_string()))?;
    let script = scratch.path().join("matchering_peer.py");
    std::fs::write(&script, MATCHERING_SCRIPT).map_err(|e| LabError::Output(e.to_string()))?;
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let auralis_bin = target_dir.join("release/auralis");
    let out = |name: &str| scratch.path().join(name);

    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for round in 0..runs.max(1) {
        eprintln!("matchering: round {} of {runs}", round + 1);
        ours.push(timed(
            Command::new(&auralis_bin)
                .arg("master")
                .arg(&track)
                .arg(out("auralis.wav"))
                .arg("--reference")
                .arg(&reference)
                .args(["--format", "wav24", "--overwrite"]),
        )?);
        theirs.push(timed(
            Command::new("python3")
                .arg(&script)
                .arg(&track)
                .arg(&reference)
                .arg(out("matchering.wav")),
        )?);
    }
    let version = Command::new("python3")
        .args(["-c", "import matchering; print(matchering.__version__)"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let (a, m) = (median(ours.clone()), median(theirs.clone()));
    let doc = json!({
        "track": track.display().to_string(),
        "reference": reference.display().to_string(),
        "runs": runs,
        "auralis_secs": ours,
        "matchering_secs": theirs,
        "matchering_version": version,
        "auralis_median_secs": a,
        "matchering_median_secs": m,
        "speedup": m / a,
        "note": "whole process each (decode, analysis, mastering, 24-bit encode), interleaved, \
                 on this machine; the targets: auralis ≤ 0.4 s and ≥ 15× matchering",
    });
    let path = root.join("reports/latest/matchering.json");
    let text = serde_json::to_string_pretty(&doc).map_err(|e| LabError::Output(e.to_string()))?;
    auralis_lab::output::write_file(&path, (text + "\n").as_bytes())?;
    println!(
        "auralis master --reference: {a:.2} s median; matchering {version}: {m:.2} s median; \
         auralis {:.1}× faster ({runs} interleaved runs)\n{}",
        m / a,
        path.display()
    );
    Ok(std::process::ExitCode::SUCCESS)
}
