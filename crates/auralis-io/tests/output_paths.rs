//! What an output path names decides how it is written: regular files atomically, links
//! followed (the link stays), FIFOs and character devices directly, everything else refused
//! — and only a regular file is ever replaced.

mod common;

use common::names;

use std::os::unix::fs::{symlink, FileTypeExt, PermissionsExt};
use std::path::Path;

use auralis_io::{write_atomically, write_atomically_with, OutputKind, OutputPath};

#[test]
fn a_symlink_is_followed_and_stays_a_symlink() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("real.wav");
    let link = dir.path().join("link.wav");
    std::fs::write(&target, b"old").unwrap();
    symlink("real.wav", &link).unwrap();
    write_atomically(&link, b"new").unwrap();
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(std::fs::read(&target).unwrap(), b"new");
    assert_eq!(names(dir.path()), ["link.wav", "real.wav"]);
}

#[test]
fn a_dangling_symlink_creates_its_target() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("link.wav");
    symlink("made.wav", &link).unwrap();
    let out = OutputPath::resolve(&link).unwrap();
    assert_eq!(
        out.kind(),
        &OutputKind::NewFile(dir.path().join("made.wav"))
    );
    write_atomically(&link, b"x").unwrap();
    assert_eq!(std::fs::read(dir.path().join("made.wav")).unwrap(), b"x");
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
}

#[test]
fn a_fifo_is_written_directly_and_not_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid C string; mkfifo has no other preconditions.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read(fifo).unwrap())
    };
    let out = OutputPath::resolve(&fifo).unwrap();
    assert!(matches!(out.kind(), OutputKind::Stream(_)));
    assert_eq!(out.extension(), None, "a FIFO's format must be given");
    out.write_with(false, |w| w.write_all(b"through the pipe"))
        .unwrap();
    assert_eq!(reader.join().unwrap(), b"through the pipe");
    assert!(std::fs::symlink_metadata(&fifo)
        .unwrap()
        .file_type()
        .is_fifo());
    assert_eq!(names(dir.path()), ["pipe"]);
}

#[test]
fn dev_null_and_dev_stdout_are_written_not_replaced() {
    let null = OutputPath::resolve(Path::new("/dev/null")).unwrap();
    assert!(matches!(null.kind(), OutputKind::Stream(_)));
    null.write_with(false, |w| w.write_all(&[0u8; 4096]))
        .unwrap();
    assert!(std::fs::metadata("/dev/null")
        .unwrap()
        .file_type()
        .is_char_device());
    // /dev/stdout is a link into /proc; what it resolves to depends on how the test runs,
    // but it is never classified as a new file to create in /proc.
    let stdout = OutputPath::resolve(Path::new("/dev/stdout")).unwrap();
    assert!(
        !matches!(stdout.kind(), OutputKind::NewFile(_)),
        "{stdout:?}"
    );
    assert_eq!(
        OutputPath::resolve(Path::new("-")).unwrap().kind(),
        &OutputKind::Stdout
    );
}

#[test]
fn directories_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let err = OutputPath::resolve(dir.path()).unwrap_err();
    assert!(err.to_string().contains("directory"), "{err}");
}

#[test]
fn an_existing_file_is_replaced_only_when_allowed_and_keeps_its_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.wav");
    std::fs::write(&path, b"old").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
    let out = OutputPath::resolve(&path).unwrap();
    assert_eq!(out.existing_file(), Some(path.as_path()));
    let err = out.write_with(false, |w| w.write_all(b"new")).unwrap_err();
    assert!(err.to_string().contains("already exists"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), b"old");
    out.write_with(true, |w| w.write_all(b"new")).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"new");
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640);
    assert_eq!(names(dir.path()), ["out.wav"]);
}

#[test]
fn a_new_file_never_overwrites_one_that_appears_meanwhile() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("late.wav");
    let out = OutputPath::resolve(&path).unwrap();
    assert!(matches!(out.kind(), OutputKind::NewFile(_)));
    let err = out
        .write_with(false, |w| {
            std::fs::write(&path, b"someone else's")?;
            w.write_all(b"ours")
        })
        .unwrap_err();
    assert!(err.to_string().contains("appeared"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), b"someone else's");
    assert_eq!(names(dir.path()), ["late.wav"]);
}

#[test]
fn while_writing_nothing_is_visible_where_the_file_system_has_o_tmpfile() {
    use std::os::unix::fs::OpenOptionsExt;
    let dir = tempfile::tempdir().unwrap();
    let supported = std::fs::OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_TMPFILE)
        .open(dir.path())
        .is_ok();
    if !supported {
        eprintln!("skipped: this file system has no O_TMPFILE (named_temporaries.rs covers it)");
        return;
    }
    let path = dir.path().join("out.wav");
    let mut during = Vec::new();
    write_atomically_with(&path, |w| {
        during = names(dir.path());
        w.write_all(b"data")
    })
    .unwrap();
    assert!(during.is_empty(), "{during:?}");
    assert_eq!(names(dir.path()), ["out.wav"]);
}

#[test]
fn dev_stdout_is_standard_output_even_when_it_is_a_regular_file() {
    // Through /dev/stdout or /proc/self/fd/1, the output is our descriptor 1, never a path
    // to replace: `>> job.log` must be appended to, not swapped for a new file.
    for path in ["/dev/stdout", "/proc/self/fd/1", "/dev/fd/1"] {
        let out = OutputPath::resolve(Path::new(path)).unwrap();
        assert_eq!(out.kind(), &OutputKind::Stdout, "{path}");
    }
    let err = OutputPath::resolve(Path::new("/dev/stderr")).unwrap_err();
    assert!(err.to_string().contains("standard error"), "{err}");
}

#[test]
fn a_foreign_link_in_a_sticky_world_writable_directory_is_not_followed() {
    use std::os::unix::fs::MetadataExt;
    let dir = tempfile::tempdir().unwrap();
    let shared = dir.path().join("tmp");
    std::fs::create_dir(&shared).unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o1777)).unwrap();
    let victim = dir.path().join("victim.wav");
    std::fs::write(&victim, b"precious").unwrap();
    let link = shared.join("out.wav");
    symlink(&victim, &link).unwrap();
    // Our own link is followed…
    assert!(OutputPath::resolve(&link).is_ok());
    // …another user's is not (needs root to hand the link to someone else).
    let c = std::ffi::CString::new(link.to_str().unwrap()).unwrap();
    // SAFETY: a valid C string; lchown changes the link, not its target.
    let rc = unsafe { libc::lchown(c.as_ptr(), 65_534, 65_534) };
    if rc != 0 {
        eprintln!("skipped: not allowed to give the link away (not root)");
        return;
    }
    assert_eq!(std::fs::symlink_metadata(&link).unwrap().uid(), 65_534);
    let err = OutputPath::resolve(&link).unwrap_err();
    assert!(err.to_string().contains("owned by another user"), "{err}");
    assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
}
