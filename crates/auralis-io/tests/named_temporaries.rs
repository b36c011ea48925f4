//! The fallback for file systems without `O_TMPFILE`: named temporaries carry host, boot id
//! and PID; a signal handler can remove them; a later write removes stale ones of this host
//! whose process is gone — and never another host's.
//!
//! This file is its own test binary because it forces the named path for the whole process.

mod common;

use common::names;

use std::path::Path;

use auralis_io::{write_atomically, write_atomically_with};

/// `remove_temporaries` removes every live temporary of the process, so the tests of this
/// binary take turns.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn force_named() -> std::sync::MutexGuard<'static, ()> {
    let guard = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    // SAFETY (edition 2024 wording; a plain call in 2021): set before any test writes, and
    // every test in this binary wants the same value.
    std::env::set_var("AURALIS_IO_NAMED_TEMPORARIES", "1");
    guard
}

/// This host's `HOST.BOOT` as the writer spells it, read back from a live temporary.
fn live_temp_name(dir: &Path) -> String {
    let mut seen = String::new();
    write_atomically_with(&dir.join("probe.bin"), |w| {
        seen = names(dir)
            .into_iter()
            .find(|n| n.contains(".auralis-tmp."))
            .expect("a named temporary exists while writing");
        w.write_all(b"x")
    })
    .unwrap();
    seen
}

#[test]
fn named_temporaries_are_visible_while_writing_and_gone_after() {
    let _serial = force_named();
    let dir = tempfile::tempdir().unwrap();
    let name = live_temp_name(dir.path());
    assert!(name.starts_with(".probe.bin.auralis-tmp."), "{name}");
    assert!(
        name.contains(&format!(".{}.", std::process::id())),
        "{name}"
    );
    assert_eq!(names(dir.path()), ["probe.bin"]);
}

#[test]
fn stale_temporaries_of_this_host_are_removed_others_kept() {
    let _serial = force_named();
    let dir = tempfile::tempdir().unwrap();
    let live = live_temp_name(dir.path());
    // `.probe.bin.auralis-tmp.HOST.BOOT.PID.N` → this host's `HOST.BOOT`.
    let rest = live.split(".auralis-tmp.").nth(1).unwrap();
    let parts: Vec<&str> = rest.split('.').collect();
    let host_boot = format!("{}.{}", parts[0], parts[1]);
    // A PID that cannot be running: beyond the kernel's pid_max (at most 2^22).
    let dead = format!(".song.wav.auralis-tmp.{host_boot}.99999999.0");
    let other_host = ".song.wav.auralis-tmp.elsewhere.0123456789ab.99999999.0".to_string();
    let alive = format!(".song.wav.auralis-tmp.{host_boot}.1.0"); // init is always alive
    for n in [&dead, &other_host, &alive] {
        std::fs::write(dir.path().join(n), b"stale").unwrap();
    }
    write_atomically(&dir.path().join("next.wav"), b"x").unwrap();
    let left = names(dir.path());
    assert!(!left.contains(&dead), "{left:?}");
    assert!(left.contains(&other_host), "{left:?}");
    assert!(left.contains(&alive), "{left:?}");
}
