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

/// Writes `seconds` of a stereo f32 sine (−0.9 dBFS) as a WAV file a second at a time, so
/// that the test process stays small (a child forked from it starts with its resident
/// memory, and that would count as the child's peak); returns the frame count.
pub fn write_long_wav(path: &Path, seconds: u32) -> u64 {
    use std::io::Write;
    let frames: u32 = seconds * 44_100;
    let data_bytes = frames * 2 * 4;
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut header = b"RIFF".to_vec();
    header.extend_from_slice(&(36 + data_bytes).to_le_bytes());
    header.extend_from_slice(b"WAVEfmt ");
    for field in [16u32.to_le_bytes().to_vec(), 3u16.to_le_bytes().to_vec()] {
        header.extend_from_slice(&field);
    }
    header.extend_from_slice(&2u16.to_le_bytes());
    header.extend_from_slice(&44_100u32.to_le_bytes());
    header.extend_from_slice(&(44_100u32 * 8).to_le_bytes());
    header.extend_from_slice(&8u16.to_le_bytes());
    header.extend_from_slice(&32u16.to_le_bytes());
    header.extend_from_slice(b"data");
    header.extend_from_slice(&data_bytes.to_le_bytes());
    file.write_all(&header).unwrap();
    for second in 0..seconds {
        let bytes: Vec<u8> = (0..44_100u32)
            .flat_map(|i| {
                // A sine whose level swells and fades over 8 s, so the chain has work.
                let t = (second * 44_100 + i) as f32;
                let x = (0.2 + 0.7 * (t * 1.8e-5).sin().abs()) * (t * 0.0627).sin();
                [x.to_le_bytes(), x.to_le_bytes()].concat()
            })
            .collect();
        file.write_all(&bytes).unwrap();
    }
    file.flush().unwrap();
    u64::from(frames)
}

/// Runs `auralis args` and returns whether it succeeded and its own peak resident memory,
/// KiB (`wait4`'s report for this child alone, not every child's of the test binary).
pub fn peak_memory_kib(args: &[&str]) -> (bool, i64) {
    // Reaped below with `wait4`, which also reports the child's own resource usage.
    #[allow(clippy::zombie_processes)]
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_auralis"))
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // SAFETY: waiting for our own child with valid out-pointers; the result is checked.
    let (status, peak_kib) = unsafe {
        let mut status = 0;
        let mut usage: libc::rusage = std::mem::zeroed();
        let pid = libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage);
        assert_eq!(pid, child.id() as libc::pid_t);
        (status, usage.ru_maxrss)
    };
    (
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        peak_kib,
    )
}
