//! Helpers shared by this crate's integration tests.

use std::path::Path;

/// The sorted names of the entries of `dir` (to see what a write left behind).
pub fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}
