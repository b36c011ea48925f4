//! `auralis master --out-dir`: a batch masters the good files exactly as the single-file
//! command does (whatever `--jobs` is), reports the bad ones and goes on, stops cleanly on
//! SIGINT and resumes with `--skip-existing`, and refuses bad requests before any work.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{auralis, music_wav, s};

/// A WAV whose encoding the reader does not support (MS ADPCM).
fn adpcm_wav(path: &Path) {
    let mut b = Vec::new();
    b.extend_from_slice(b"RIFF");
    b.extend_from_slice(&(4 + 24 + 8 + 64u32).to_le_bytes());
    b.extend_from_slice(b"WAVEfmt ");
    b.extend_from_slice(&16u32.to_le_bytes());
    b.extend_from_slice(&2u16.to_le_bytes()); // WAVE_FORMAT_ADPCM
    b.extend_from_slice(&2u16.to_le_bytes());
    b.extend_from_slice(&44_100u32.to_le_bytes());
    b.extend_from_slice(&(44_100u32 * 2).to_le_bytes());
    b.extend_from_slice(&4u16.to_le_bytes());
    b.extend_from_slice(&4u16.to_le_bytes());
    b.extend_from_slice(b"data");
    b.extend_from_slice(&64u32.to_le_bytes());
    b.extend_from_slice(&[0u8; 64]);
    std::fs::write(path, b).unwrap();
}

/// `auralis master --out-dir OUT_DIR INPUT extra...`.
fn batch(out_dir: &Path, input: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["master", "--out-dir", s(out_dir), s(input)];
    args.extend_from_slice(extra);
    auralis(&args)
}

/// A JSON file's document.
fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// Every file under `dir`, relative, sorted (state records excluded).
fn files_under(dir: &Path) -> Vec<PathBuf> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                if path.file_name().unwrap() != ".auralis-state" {
                    walk(root, &path, out);
                }
            } else {
                out.push(path.strip_prefix(root).unwrap().to_path_buf());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

#[test]
fn a_batch_masters_good_files_like_the_single_file_command_and_reports_bad_ones() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = dir.path().join("in");
    std::fs::create_dir_all(inputs.join("album")).unwrap();
    std::fs::create_dir_all(inputs.join("blocked")).unwrap();
    let good = [
        music_wav(&inputs, "one.wav", 4.0),
        music_wav(&inputs.join("album"), "two.wav", 4.5),
    ];
    music_wav(&inputs.join("blocked"), "three.wav", 3.5);
    let whole = std::fs::read(&good[0]).unwrap();
    std::fs::write(inputs.join("corrupt.wav"), &whole[..whole.len() / 3]).unwrap();
    adpcm_wav(&inputs.join("album/adpcm.wav"));
    std::fs::write(inputs.join("cover.jpg"), b"not audio").unwrap();
    let out_dir = dir.path().join("out");
    // An unwritable output: its folder's name is taken by a file.
    std::fs::create_dir_all(&out_dir).unwrap();
    std::fs::write(out_dir.join("blocked"), b"a file, not a folder").unwrap();
    let summary = dir.path().join("summary.json");

    let out = batch(
        &out_dir,
        &inputs,
        &["--format", "wav24", "--summary", s(&summary), "--jobs", "2"],
    );
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("2 done, 0 skipped, 3 failed"), "{table}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("corrupt.wav") && stderr.contains("truncated"),
        "{stderr}"
    );
    assert!(stderr.contains("adpcm.wav"), "{stderr}");
    assert!(
        stderr.contains("three.wav") && stderr.contains("cannot create"),
        "{stderr}"
    );

    // Exactly the two good outputs (and the blocking file), no temporaries anywhere.
    assert_eq!(
        files_under(&out_dir),
        vec![
            PathBuf::from("album/two.wav"),
            PathBuf::from("blocked"),
            PathBuf::from("one.wav")
        ]
    );
    assert_eq!(files_under(&inputs).len(), 6);
    // Bit for bit what `auralis master IN OUT` writes.
    for (input, name) in good.iter().zip(["one.wav", "album/two.wav"]) {
        let single = dir.path().join("single.wav");
        let one = auralis(&[
            "master",
            s(input),
            s(&single),
            "--format",
            "wav24",
            "--overwrite",
        ]);
        assert!(one.status.success(), "{one:?}");
        assert_eq!(
            std::fs::read(&single).unwrap(),
            std::fs::read(out_dir.join(name)).unwrap(),
            "{name}"
        );
    }

    let doc = read_json(&summary);
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(doc["done"], 2);
    assert_eq!(doc["failed"], 3);
    let files = doc["files"].as_array().unwrap();
    assert_eq!(files.len(), 5);
    for file in files {
        match file["status"].as_str().unwrap() {
            "done" => {
                let lufs = file["output_loudness"]["integrated_lufs"].as_f64().unwrap();
                assert!((lufs - -14.0).abs() <= 0.1, "{file}");
                assert!(file["output_loudness"]["true_peak_dbtp"].as_f64().unwrap() <= -0.999);
                assert!(file["error"].is_null());
            }
            "failed" => assert!(file["error"].is_string(), "{file}"),
            other => panic!("{other}: {file}"),
        }
    }
}

#[test]
fn outputs_do_not_depend_on_the_job_count() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = dir.path().join("in");
    std::fs::create_dir_all(&inputs).unwrap();
    for (i, secs) in [3.5, 4.0, 4.5, 5.0].into_iter().enumerate() {
        music_wav(&inputs, &format!("t{i}.wav"), secs);
    }
    let mut masters = Vec::new();
    for jobs in ["1", "3"] {
        let out_dir = dir.path().join(format!("out{jobs}"));
        let out = batch(&out_dir, &inputs, &["--jobs", jobs, "--format", "flac"]);
        assert!(out.status.success(), "{out:?}");
        let files = files_under(&out_dir);
        assert_eq!(files.len(), 4, "{files:?}");
        masters.push(
            files
                .iter()
                .map(|f| std::fs::read(out_dir.join(f)).unwrap())
                .collect::<Vec<_>>(),
        );
    }
    assert!(masters[0] == masters[1]);
}

#[test]
fn sigint_stops_cleanly_and_skip_existing_finishes_the_rest() {
    stops_cleanly_on(libc::SIGINT, 130);
}

#[test]
fn sigterm_stops_cleanly_too() {
    stops_cleanly_on(libc::SIGTERM, 143);
}

fn stops_cleanly_on(signal: libc::c_int, code: i32) {
    let dir = tempfile::tempdir().unwrap();
    let inputs = dir.path().join("in");
    std::fs::create_dir_all(&inputs).unwrap();
    let count = 8;
    for i in 0..count {
        music_wav(&inputs, &format!("t{i}.wav"), 6.0 + i as f64 * 0.25);
    }
    let out_dir = dir.path().join("out");
    let mut child = Command::new(env!("CARGO_BIN_EXE_auralis"))
        .args([
            "master",
            "--out-dir",
            s(&out_dir),
            s(&inputs),
            "--jobs",
            "1",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait for the first finished track, then interrupt.
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    loop {
        line.clear();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "ended before a track finished"
        );
        if line.contains("] done") {
            break;
        }
    }
    // SAFETY: sending a signal to our own child process.
    unsafe { libc::kill(child.id() as libc::pid_t, signal) };
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(code), "{rest}");
    assert!(rest.contains("not started"), "{rest}");

    // Finished outputs are complete and valid; nothing partial, no temporaries.
    let finished = files_under(&out_dir);
    assert!(
        !finished.is_empty() && finished.len() < count,
        "{finished:?}"
    );
    for f in &finished {
        assert!(f.extension().is_some_and(|e| e == "wav"), "{f:?}");
        let audio = auralis::io::read_audio(&out_dir.join(f)).unwrap();
        assert!(audio.duration_secs() >= 6.0);
    }

    // A re-run finishes the rest and re-does nothing.
    let summary = dir.path().join("summary.json");
    let out = batch(
        &out_dir,
        &inputs,
        &["--skip-existing", "--summary", s(&summary)],
    );
    assert!(out.status.success(), "{out:?}");
    let doc = read_json(&summary);
    assert_eq!(doc["skipped"], finished.len());
    assert_eq!(doc["done"], count - finished.len());
    assert_eq!(files_under(&out_dir).len(), count);
}

#[test]
fn skip_existing_redoes_changed_inputs_and_settings_only() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = dir.path().join("in");
    std::fs::create_dir_all(&inputs).unwrap();
    music_wav(&inputs, "a.wav", 3.5);
    music_wav(&inputs, "b.wav", 4.0);
    let out_dir = dir.path().join("out");
    let run = |extra: &[&str]| {
        let summary = dir.path().join("summary.json");
        let mut args = vec!["--skip-existing", "--summary", s(&summary)];
        args.extend_from_slice(extra);
        let out = batch(&out_dir, &inputs, &args);
        assert!(out.status.success(), "{out:?}");
        let doc = read_json(&summary);
        (
            doc["done"].as_u64().unwrap(),
            doc["skipped"].as_u64().unwrap(),
        )
    };
    assert_eq!(run(&[]), (2, 0));
    assert_eq!(run(&[]), (0, 2));
    // A changed input is re-done; so is everything under changed settings.
    music_wav(&inputs, "b.wav", 4.25);
    assert_eq!(run(&[]), (1, 1));
    assert_eq!(run(&["--target-lufs", "-16"]), (2, 0));
    // The records live in the state folder, not beside the deliverables.
    assert_eq!(
        files_under(&out_dir),
        vec![PathBuf::from("a.wav"), PathBuf::from("b.wav")]
    );
    // An output no record accounts for is not replaced.
    let foreign = dir.path().join("foreign");
    std::fs::create_dir_all(&foreign).unwrap();
    std::fs::write(foreign.join("a.wav"), b"the user's own file").unwrap();
    let out = batch(&foreign, &inputs.join("a.wav"), &["--skip-existing"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(
        std::fs::read(foreign.join("a.wav")).unwrap(),
        b"the user's own file"
    );
}

#[test]
fn shards_partition_the_list_and_dry_run_touches_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = dir.path().join("in");
    std::fs::create_dir_all(&inputs).unwrap();
    for i in 0..5 {
        music_wav(&inputs, &format!("t{i}.wav"), 3.0 + f64::from(i));
    }
    let out_dir = dir.path().join("out");
    let listed = |shard: &str| -> Vec<String> {
        let out = batch(&out_dir, &inputs, &["--dry-run", "--shard", shard]);
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .filter(|l| l.contains(" → "))
            .map(str::to_string)
            .collect()
    };
    for n in 1..=4 {
        let mut union: Vec<String> = (0..n).flat_map(|i| listed(&format!("{i}/{n}"))).collect();
        union.sort();
        let before = union.len();
        union.dedup();
        assert_eq!((before, union.len()), (5, 5), "{n} shards");
    }
    assert!(!out_dir.exists(), "a dry run created the output folder");
}

#[test]
fn bad_requests_are_refused_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = dir.path().join("in");
    std::fs::create_dir_all(inputs.join("x")).unwrap();
    std::fs::create_dir_all(inputs.join("y")).unwrap();
    std::fs::create_dir_all(dir.path().join("empty")).unwrap();
    let a = music_wav(&inputs.join("x"), "a.wav", 3.0);
    music_wav(&inputs.join("y"), "a.wav", 3.0);
    let out_dir = dir.path().join("out");
    let o = s(&out_dir);
    let missing_folder = dir.path().join("nowhere/summary.json");
    let (empty, x, y, missing) = (
        dir.path().join("empty"),
        inputs.join("x"),
        inputs.join("y"),
        dir.path().join("missing"),
    );
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec![s(&empty)], "no audio files"),
        (vec![s(&a), s(&a)], "given twice"),
        (vec![s(&inputs), s(&a)], "given twice"),
        (vec![s(&x), s(&y)], "both be written"),
        (vec![s(&inputs), "--shard", "3/2"], "below N"),
        (vec![s(&inputs), "--shard", "2/2"], "below N"),
        (vec![s(&inputs), "--jobs", "0"], "--jobs 0"),
        (vec![s(&missing)], "no such file"),
        (vec![s(&inputs), "--preset", "nope"], "preset"),
        (vec![s(&inputs), "--summary", s(&a)], "inputs or outputs"),
        (
            vec![s(&inputs), "--summary", s(&missing_folder)],
            "does not exist",
        ),
    ];
    for (extra, expected) in cases {
        let mut args = vec!["master", "--out-dir", o];
        args.extend_from_slice(&extra);
        let out = auralis(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {stderr}");
        assert!(stderr.contains(expected), "{extra:?}: {stderr}");
        assert!(!out_dir.exists(), "{extra:?} created the output folder");
    }
    // A file where a folder must go, and an input inside the output folder.
    let blocker = dir.path().join("blocker");
    std::fs::write(&blocker, b"a file").unwrap();
    let out = batch(&blocker.join("out"), &inputs, &[]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a folder"));
    let library = dir.path().join("lib");
    let album = library.join("album");
    std::fs::create_dir_all(&album).unwrap();
    music_wav(&album, "t.wav", 3.0);
    let out = batch(&library, &album, &[]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("inside the output"));
    // The output folder inside the input tree is never read back as input.
    let nested = inputs.join("x/mastered");
    for _ in 0..2 {
        let out = batch(&nested, &inputs.join("x"), &["--skip-existing"]);
        assert!(out.status.success(), "{out:?}");
    }
    assert_eq!(files_under(&nested), vec![PathBuf::from("a.wav")]);
}
