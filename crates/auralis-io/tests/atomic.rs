//! Atomic writes: the target holds the old content or the new, and no temporary file is
//! ever left behind.

use auralis_core::AudioBuffer;
use auralis_io::{write_atomically, write_atomically_with, write_wav, IoError, SampleFormat};

fn entries(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn creates_and_replaces() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.json");
    write_atomically(&path, b"first").unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"first");
    write_atomically(&path, b"second, longer").unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"second, longer");
    assert_eq!(entries(dir.path()), ["report.json"]);
}

#[test]
fn a_writer_failing_midway_leaves_the_old_file_and_no_temp() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.wav");
    std::fs::write(&path, b"old content").unwrap();
    let err = write_atomically_with(&path, |w| {
        w.write_all(&[1u8; 1 << 20])?;
        Err(std::io::Error::other("disk on fire"))
    })
    .unwrap_err();
    assert!(matches!(err, IoError::Io { .. }));
    assert!(
        err.to_string().contains("out.wav") && err.to_string().contains("disk on fire"),
        "{err}"
    );
    assert_eq!(std::fs::read(&path).unwrap(), b"old content");
    assert_eq!(entries(dir.path()), ["out.wav"]);
}

#[test]
fn a_panicking_writer_leaves_no_temp() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.bin");
    let result = std::panic::catch_unwind(|| {
        let _ = write_atomically_with(&path, |w| {
            w.write_all(b"partial")?;
            panic!("writer bug");
        });
    });
    assert!(result.is_err());
    assert!(entries(dir.path()).is_empty(), "{:?}", entries(dir.path()));
}

#[test]
fn missing_directory_is_reported_not_created() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no/such/dir/out.json");
    let err = write_atomically(&path, b"x").unwrap_err();
    match &err {
        IoError::NotFound { path: missing } => assert!(missing.ends_with("no/such/dir")),
        other => panic!("{other}"),
    }
    assert!(!dir.path().join("no").exists());
}

#[test]
fn a_directory_in_the_way_is_an_error_and_no_temp_remains() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("taken");
    std::fs::create_dir(&target).unwrap();
    let err = write_atomically(&target, b"x").unwrap_err();
    assert!(err.to_string().contains("taken"), "{err}");
    assert_eq!(entries(dir.path()), ["taken"]);
    let err = write_atomically(std::path::Path::new("/"), b"x").unwrap_err();
    assert!(err.to_string().contains("directory"), "{err}");
}

#[test]
fn oversized_wav_headers_are_refused_before_touching_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wide.wav");
    std::fs::write(&path, b"keep me").unwrap();
    for channels in [20_000usize, 70_000] {
        let audio = AudioBuffer::new(vec![vec![0.0; 1]; channels], 44_100).unwrap();
        let err = write_wav(&path, &audio, SampleFormat::Float32).unwrap_err();
        assert!(matches!(err, IoError::Unsupported { .. }), "{err}");
        assert!(err.to_string().contains("channels"), "{err}");
    }
    assert_eq!(std::fs::read(&path).unwrap(), b"keep me");
    assert_eq!(entries(dir.path()), ["wide.wav"]);
}
