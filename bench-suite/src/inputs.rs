//! Loading what the stages are measured on: the standard fixtures (generated if missing) and
//! the user's own WAV files.

use std::collections::BTreeSet;
use std::path::Path;

use auralis_fixtures::FixtureSpec;

use crate::error::{LabError, LabResult};
use crate::report::InputSource;
use crate::run::BenchInput;

/// Makes sure each fixture exists in `dir` with exactly the generator's bytes (writing it if
/// missing or stale), then reads it back through the WAV reader, as a user's file would be.
pub fn load_fixtures(dir: &Path, specs: &[FixtureSpec]) -> LabResult<Vec<BenchInput>> {
    std::fs::create_dir_all(dir).map_err(|e| {
        LabError::Output(format!(
            "{}: cannot create the fixtures directory: {e}",
            dir.display()
        ))
    })?;
    specs
        .iter()
        .map(|spec| {
            let (path, entry) = auralis_fixtures::ensure(dir, spec)
                .map_err(|e| LabError::Input(format!("fixture {}: {e}", spec.name)))?;
            let audio = auralis_io::read_wav(&path).map_err(|e| LabError::Input(e.to_string()))?;
            Ok(BenchInput::new(
                spec.name.clone(),
                InputSource::Fixture,
                Some(path.display().to_string()),
                Some(entry.sha256),
                audio,
            ))
        })
        .collect()
}

/// Reads the user's WAV files. Each is named by its file stem, made unique against `taken`
/// (the fixture names) and each other by a numeric suffix.
pub fn load_user_files(paths: &[impl AsRef<Path>], taken: &[String]) -> LabResult<Vec<BenchInput>> {
    let mut names: BTreeSet<String> = taken.iter().cloned().collect();
    paths
        .iter()
        .map(|path| {
            let path = path.as_ref();
            let audio = auralis_io::read_wav(path).map_err(|e| LabError::Input(e.to_string()))?;
            let sha256 = auralis_fixtures::sha256_file(path).ok();
            let stem = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "input".to_string());
            let name = unique_name(&stem, &mut names);
            Ok(BenchInput::new(
                name,
                InputSource::File,
                Some(path.display().to_string()),
                sha256,
                audio,
            ))
        })
        .collect()
}

/// `stem`, or `stem-2`, `stem-3`, … whichever is not yet in `taken` (which it joins).
fn unique_name(stem: &str, taken: &mut BTreeSet<String>) -> String {
    let mut name = stem.to_string();
    let mut n = 2;
    while taken.contains(&name) {
        name = format!("{stem}-{n}");
        n += 1;
    }
    taken.insert(name.clone());
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_made_unique() {
        let mut taken: BTreeSet<String> = ["music-5s".to_string()].into();
        assert_eq!(unique_name("song", &mut taken), "song");
        assert_eq!(unique_name("song", &mut taken), "song-2");
        assert_eq!(unique_name("music-5s", &mut taken), "music-5s-2");
    }

    #[test]
    fn missing_and_corrupt_files_are_one_line_input_errors() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.wav");
        let err = load_user_files(&[&missing], &[]).unwrap_err();
        assert!(matches!(err, LabError::Input(_)), "{err:?}");
        assert!(err.to_string().contains("nope.wav"));
        let corrupt = dir.path().join("bad.wav");
        std::fs::write(&corrupt, b"RIFF\x04\x00\x00\x00WAVEjunk").unwrap();
        let err = load_user_files(&[&corrupt], &[]).unwrap_err();
        assert!(matches!(err, LabError::Input(_)));
        assert!(!err.to_string().contains('\n'));
    }
}
