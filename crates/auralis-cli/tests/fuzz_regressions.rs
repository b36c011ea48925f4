//! Replays, through the fuzz harnesses themselves, every input `cargo xtask fuzz` ever found
//! (`fuzz/regressions/<target>/`) and every seed (`fuzz/seeds/<target>/`): each must run
//! without a panic, and leave no temporary file behind.

#[path = "../../../fuzz/harness.rs"]
mod harness;

use std::path::{Path, PathBuf};

fn inputs(kind: &str, target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz")
        .join(kind)
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            !name.starts_with('.') && name != "README.md"
        })
        .collect();
    files.sort();
    files
}

fn replay(target: &str, run: fn(&[u8], &Path)) -> usize {
    let scratch = tempfile::tempdir().unwrap();
    let mut count = 0;
    for kind in ["regressions", "seeds"] {
        for file in inputs(kind, target) {
            let data = std::fs::read(&file).unwrap();
            run(&data, scratch.path());
            count += 1;
        }
    }
    count
}

#[test]
fn read_findings_and_seeds_replay_cleanly() {
    assert!(replay("read", harness::read_one) >= 10);
}

#[test]
fn cli_findings_and_seeds_replay_cleanly() {
    assert!(replay("cli", harness::cli_one) >= 5);
}
