//! Helpers shared by the CLI tests: run the binary, name paths, parse its JSON.

// Each test binary uses a subset of these.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs the `auralis` binary with `args`.
pub fn auralis(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_auralis"))
        .args(args)
        .output()
        .expect("the auralis binary runs")
}

/// A path as the `&str` an argument list needs.
pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The JSON a successful run printed.
pub fn json(out: &Output) -> serde_json::Value {
    assert!(out.status.success(), "{out:?}");
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Writes `seconds` of the generated music fixture as a float WAV (equal lengths give equal
/// content).
pub fn music_wav(dir: &Path, name: &str, seconds: f64) -> PathBuf {
    let path = dir.join(name);
    auralis::io::write_wav(
        &path,
        &auralis_fixtures::generate_seconds(seconds),
        auralis::io::SampleFormat::Float32,
    )
    .unwrap();
    path
}
