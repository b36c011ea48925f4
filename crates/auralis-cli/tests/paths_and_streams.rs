//! The command line in ordinary shell use: output paths that are links, pipes, devices or
//! `-`; closed and full standard streams; signals in the middle of a write. Nothing the
//! user owns may be replaced or left half-written, and nothing may panic.

use std::fs::File;
use std::os::unix::fs::{symlink, FileTypeExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use auralis::io::{read_wav, read_wav_from, write_wav, SampleFormat};

fn auralis() -> Command {
    Command::new(env!("CARGO_BIN_EXE_auralis"))
}

fn run(args: &[&str]) -> Output {
    auralis()
        .args(args)
        .output()
        .expect("the auralis binary runs")
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn music_file(dir: &Path) -> PathBuf {
    let audio = auralis_fixtures::generate_seconds(2.0);
    let path = dir.join("music.wav");
    write_wav(&path, &audio, SampleFormat::Float32).unwrap();
    path
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn no_panic(out: &Output) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert_ne!(out.status.code(), Some(101), "{out:?}");
}

// ------------------------------------------------------------------ item 1: output paths

#[test]
fn dash_is_standard_output_as_24_bit_wav() {
    let dir = tempfile::tempdir().unwrap();
    let input = music_file(dir.path());
    let out = run(&["limit", s(&input), "-"]);
    assert!(out.status.success(), "{out:?}");
    let audio = read_wav_from(&out.stdout[..], "<stdout>").unwrap();
    assert_eq!(audio.len(), read_wav(&input).unwrap().len());
    // 24-bit: 3 bytes per sample after the header.
    let samples = audio.len() * audio.num_channels();
    assert!(out.stdout.len() >= samples * 3 && out.stdout.len() < samples * 3 + 100);
    assert_eq!(names(dir.path()), ["music.wav"]);
}

#[test]
fn a_symlinked_output_is_written_through_and_the_link_stays() {
    let dir = tempfile::tempdir().unwrap();
    let input = music_file(dir.path());
    let target = dir.path().join("master.wav");
    std::fs::write(&target, b"old").unwrap();
    let link = dir.path().join("current.wav");
    symlink("master.wav", &link).unwrap();
    let out = run(&["limit", s(&input), s(&link), "--overwrite"]);
    assert!(out.status.success(), "{out:?}");
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(
        read_wav(&target).unwrap().len(),
        read_wav(&input).unwrap().len()
    );
    assert_eq!(
        names(dir.path()),
        ["current.wav", "master.wav", "music.wav"]
    );
}

#[test]
fn a_fifo_and_a_character_device_are_written_directly() {
    let dir = tempfile::tempdir().unwrap();
    let input = music_file(dir.path());
    let fifo = dir.path().join("pipe");
    let c = std::ffi::CString::new(s(&fifo)).unwrap();
    // SAFETY: a valid C string; mkfifo has no other preconditions.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read(fifo).unwrap())
    };
    // --overwrite must not turn the FIFO into a regular file.
    let out = run(&["eq", s(&input), s(&fifo), "--preset", "warm", "--overwrite"]);
    assert!(out.status.success(), "{out:?}");
    let bytes = reader.join().unwrap();
    assert!(read_wav_from(&bytes[..], "fifo").is_ok());
    assert!(std::fs::symlink_metadata(&fifo)
        .unwrap()
        .file_type()
        .is_fifo());
    let out = run(&["limit", s(&input), "/dev/null", "--overwrite"]);
    assert!(out.status.success(), "{out:?}");
    assert!(std::fs::metadata("/dev/null")
        .unwrap()
        .file_type()
        .is_char_device());
}

#[test]
fn directories_and_foreign_extensions_are_refused_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    let input = music_file(dir.path());
    let out = run(&["limit", s(&input), s(dir.path())]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("directory"));
    let out = run(&["limit", s(&input), s(&dir.path().join("x.mp3"))]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains(".mp3"));
    // FLAC is written now, but never WAV bytes under a .flac name.
    let out = run(&[
        "limit",
        s(&input),
        s(&dir.path().join("x.flac")),
        "--format",
        "wav24",
    ]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains(".flac"));
    assert_eq!(names(dir.path()), ["music.wav"]);
}

// ------------------------------------------------------------------ item 2: signals

/// Starts a write that holds just before its commit, sends `signal`, and returns the exit
/// code and what is left in the directory.
fn interrupt_write(signal: libc::c_int, named_temporaries: bool) -> (Option<i32>, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let input = music_file(dir.path());
    let marker_dir = tempfile::tempdir().unwrap();
    let marker = marker_dir.path().join("holding");
    let output = dir.path().join("out.wav");
    let mut cmd = auralis();
    cmd.args(["limit", s(&input), s(&output)])
        .env("AURALIS_IO_TEST_HOLD_BEFORE_COMMIT", &marker)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if named_temporaries {
        cmd.env("AURALIS_IO_NAMED_TEMPORARIES", "1");
    }
    let mut child = cmd.spawn().unwrap();
    let start = Instant::now();
    while !marker.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "never reached the commit"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    if named_temporaries {
        assert!(
            names(dir.path())
                .iter()
                .any(|n| n.contains(".auralis-tmp.")),
            "the named temporary exists while held: {:?}",
            names(dir.path())
        );
    }
    // SAFETY: sending a signal to our own child.
    assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, signal) }, 0);
    let status = child.wait().unwrap();
    (status.code(), names(dir.path()))
}

#[test]
fn sigint_and_sigterm_leave_no_temporary_file_and_exit_130_143() {
    for named in [false, true] {
        let (code, left) = interrupt_write(libc::SIGINT, named);
        assert_eq!(code, Some(130), "named={named}");
        assert_eq!(left, ["music.wav"], "named={named}");
        let (code, left) = interrupt_write(libc::SIGTERM, named);
        assert_eq!(code, Some(143), "named={named}");
        assert_eq!(left, ["music.wav"], "named={named}");
    }
}

// ------------------------------------------------------------------ item 3: closed streams

#[test]
fn a_closed_stdout_is_a_normal_end() {
    let dir = tempfile::tempdir().unwrap();
    let input = music_file(dir.path());
    for args in [
        vec!["analyze", s(&input)],
        vec!["analyze", s(&input), "--json"],
        vec!["limit", s(&input), "-"],
    ] {
        let mut child = auralis()
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take()); // like `| head -0`: the reader is gone
        let out = child.wait_with_output().unwrap();
        no_panic(&out);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {out:?}");
    }
}

#[test]
fn a_full_stdout_is_exit_1_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let input = music_file(dir.path());
    for args in [
        vec!["analyze", s(&input), "--json"],
        vec!["limit", s(&input), "-"],
    ] {
        let out = auralis()
            .args(&args)
            .stdout(File::create("/dev/full").unwrap())
            .output()
            .unwrap();
        no_panic(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {out:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("No space left"), "{err}");
    }
}

#[test]
fn an_unwritable_or_closed_stderr_does_not_fail_a_finished_job() {
    let dir = tempfile::tempdir().unwrap();
    let input = music_file(dir.path());
    let full = dir.path().join("a.wav");
    let out = auralis()
        .args(["limit", s(&input), s(&full)])
        .stderr(File::create("/dev/full").unwrap())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(read_wav(&full).is_ok());
    let closed = dir.path().join("b.wav");
    let mut cmd = auralis();
    cmd.args(["limit", s(&input), s(&closed)]);
    // SAFETY: close(2) is async-signal-safe; the child then runs with fd 2 closed.
    unsafe {
        cmd.pre_exec(|| {
            libc::close(2);
            Ok(())
        });
    }
    let status = cmd.status().unwrap();
    assert_eq!(status.code(), Some(0));
    assert!(read_wav(&closed).is_ok());
}

// ------------------------------------------------------------------ item 6: formats read

#[test]
fn every_subcommand_reads_flac_mp3_ogg_and_aiff() {
    let dir = tempfile::tempdir().unwrap();
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../auralis-io/tests/data");
    for name in ["tone16.flac", "tone16.mp3", "tone16.ogg", "tone16.aiff"] {
        let input = data.join(name);
        let out = run(&["analyze", s(&input), "--json"]);
        assert!(out.status.success(), "{name}: {out:?}");
        for (i, cmd) in [
            vec!["eq", "--preset", "warm"],
            vec!["compress"],
            vec!["limit", "--true-peak"],
        ]
        .into_iter()
        .enumerate()
        {
            let output = dir.path().join(format!("{name}-{i}.wav"));
            let mut args = vec![cmd[0], s(&input), s(&output)];
            args.extend(&cmd[1..]);
            let out = run(&args);
            assert!(out.status.success(), "{name} {cmd:?}: {out:?}");
            assert_eq!(read_wav(&output).unwrap().len(), 22_050, "{name} {cmd:?}");
        }
    }
}

#[test]
fn dev_stdout_redirected_to_a_log_appends_and_keeps_the_log() {
    use std::io::Write;
    use std::os::unix::fs::MetadataExt;
    let dir = tempfile::tempdir().unwrap();
    let input = music_file(dir.path());
    let log = dir.path().join("job.log");
    std::fs::write(&log, b"earlier lines\n").unwrap();
    let inode = std::fs::metadata(&log).unwrap().ino();
    let appending = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    let out = auralis()
        .args(["limit", s(&input), "/dev/stdout", "--overwrite"])
        .stdout(appending)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let bytes = std::fs::read(&log).unwrap();
    assert!(
        bytes.starts_with(b"earlier lines\nRIFF"),
        "the log was replaced"
    );
    assert_eq!(
        std::fs::metadata(&log).unwrap().ino(),
        inode,
        "same file, not a new one"
    );
    let _ = std::io::stderr().flush();
}
