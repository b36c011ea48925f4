//! What a batch will do, decided before any work starts: the inputs (files, and directories
//! searched recursively for the formats the decoder reads), where each output goes (its
//! path relative to the input directory, under `--out-dir`, with the output format's
//! extension), and every reason to refuse the whole run (no inputs, an empty directory, the
//! same file twice, two inputs landing on one output, an input inside the output folder).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use crate::commands::CliError;

/// One track of the batch.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// The input as found (given, or the given directory joined with the relative path).
    pub input: PathBuf,
    /// The path the output keeps under `--out-dir` (before its extension is set); also the
    /// key of the list's byte-wise order and of the state records.
    pub relative: PathBuf,
    pub output: PathBuf,
    /// Duration the header declares, ms (0 when it declares none).
    pub duration_ms: u64,
}

/// The inputs of a batch, sorted byte-wise by relative path.
#[derive(Debug)]
pub struct Plan {
    pub items: Vec<Item>,
    /// Files the directory walks passed over (not an audio extension).
    pub ignored: usize,
}

/// The canonical form of a path that may not exist yet: its deepest existing ancestor
/// canonicalised, the rest appended.
fn canonical_lenient(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut existing = absolute.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(canonical) = existing.canonicalize() {
            return rest.iter().rev().fold(canonical, |p, c| p.join(c));
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                existing = parent;
            }
            _ => return absolute,
        }
    }
}

/// Finds the inputs and maps them to outputs under `out_dir` with `extension`.
/// `excluded` folders (the output and state folders) are never searched.
pub fn discover(
    inputs: &[PathBuf],
    out_dir: &Path,
    excluded: &[&Path],
    extension: &str,
) -> Result<Plan, CliError> {
    if inputs.is_empty() {
        return Err(CliError::usage(
            "no inputs: give audio files or directories",
        ));
    }
    if out_dir.exists() && !out_dir.is_dir() {
        return Err(CliError::usage(format!(
            "--out-dir {} exists and is not a directory",
            out_dir.display()
        )));
    }
    for folder in excluded {
        check_folder(folder)?;
    }
    let excluded: Vec<PathBuf> = excluded.iter().map(|p| canonical_lenient(p)).collect();
    let out_canonical = canonical_lenient(out_dir);
    let mut found = Vec::new();
    let mut ignored = 0;
    for input in inputs {
        let meta = fs::metadata(input)
            .map_err(|e| CliError::usage(format!("input {}: {}", input.display(), describe(&e))))?;
        let canonical = canonical_lenient(input);
        if meta.is_dir() {
            if out_canonical == canonical {
                return Err(CliError::usage(format!(
                    "--out-dir {} is the input directory {}: outputs would land among the \
                     inputs; choose another folder",
                    out_dir.display(),
                    input.display()
                )));
            }
            if let Some(x) = excluded.iter().find(|x| canonical.starts_with(x)) {
                return Err(CliError::usage(format!(
                    "input directory {} is inside the output or state folder {}: outputs \
                     are never read back as inputs",
                    input.display(),
                    x.display()
                )));
            }
            let before = found.len();
            walk(input, Path::new(""), &excluded, &mut found, &mut ignored)?;
            if found.len() == before {
                return Err(CliError::usage(format!(
                    "input directory {} holds no audio files ({})",
                    input.display(),
                    auralis::io::AUDIO_EXTENSIONS.join(", ")
                )));
            }
        } else {
            if excluded.iter().any(|x| canonical.starts_with(x)) {
                return Err(CliError::usage(format!(
                    "input {} is inside the output folder {}: outputs are never read back as \
                     inputs",
                    input.display(),
                    out_dir.display()
                )));
            }
            let name = input.file_name().ok_or_else(|| {
                CliError::usage(format!("input {} names no file", input.display()))
            })?;
            found.push((input.clone(), PathBuf::from(name)));
        }
    }

    // The same file twice (given twice, or both directly and inside a given directory).
    let mut seen: BTreeMap<PathBuf, PathBuf> = BTreeMap::new();
    for (input, _) in &found {
        if let Some(first) = seen.insert(canonical_lenient(input), input.clone()) {
            return Err(CliError::usage(format!(
                "input {} is given twice (also as {}); name each file once",
                input.display(),
                first.display()
            )));
        }
    }
    let mut items: Vec<Item> = found
        .into_iter()
        .map(|(input, relative)| Item {
            output: out_dir.join(&relative).with_extension(extension),
            duration_ms: auralis::io::probe_duration_secs(&input)
                .map_or(0, |s| (s * 1e3).round() as u64),
            input,
            relative,
        })
        .collect();
    items.sort_by(|a, b| {
        a.relative
            .as_os_str()
            .as_encoded_bytes()
            .cmp(b.relative.as_os_str().as_encoded_bytes())
    });
    // Two inputs landing on one output (a.wav and a.flac; the same name in two inputs).
    let mut outputs: BTreeMap<&Path, &Path> = BTreeMap::new();
    for item in &items {
        if let Some(other) = outputs.insert(&item.output, &item.input) {
            return Err(CliError::usage(format!(
                "inputs {} and {} would both be written to {}; rename one or master them \
                 in separate runs",
                other.display(),
                item.input.display(),
                item.output.display()
            )));
        }
        if seen.contains_key(&canonical_lenient(&item.output)) {
            return Err(CliError::usage(format!(
                "the output for {} would be the input file {}; choose another --out-dir",
                item.input.display(),
                item.output.display()
            )));
        }
    }
    Ok(Plan { items, ignored })
}

/// A folder the batch will create or write into (`--out-dir`, `--state-dir`) must be one,
/// or not exist yet under a folder: a file in the way is a usage error now, not a failure
/// of every track later.
fn check_folder(path: &Path) -> Result<(), CliError> {
    let mut existing = path;
    loop {
        match fs::metadata(existing) {
            Ok(meta) if meta.is_dir() => return Ok(()),
            Ok(_) => {
                return Err(CliError::usage(format!(
                    "{}: {} is not a folder",
                    path.display(),
                    existing.display()
                )))
            }
            Err(_) => match existing.parent() {
                Some(parent) if !parent.as_os_str().is_empty() => existing = parent,
                _ => return Ok(()),
            },
        }
    }
}

/// Collects the audio files under `dir` (recursively, in no particular order: the caller
/// sorts), skipping `excluded` folders and not following links to directories (a link
/// cycle must not hang the walk).
fn walk(
    root: &Path,
    relative: &Path,
    excluded: &[PathBuf],
    found: &mut Vec<(PathBuf, PathBuf)>,
    ignored: &mut usize,
) -> Result<(), CliError> {
    let dir = root.join(relative);
    if excluded.iter().any(|x| canonical_lenient(&dir) == *x) {
        return Ok(());
    }
    let entries = fs::read_dir(&dir)
        .map_err(|e| CliError::usage(format!("cannot list {}: {}", dir.display(), describe(&e))))?;
    for entry in entries {
        let entry = entry.map_err(|e| {
            CliError::usage(format!("cannot list {}: {}", dir.display(), describe(&e)))
        })?;
        let path = entry.path();
        let name = relative.join(entry.file_name());
        let file_type = entry
            .file_type()
            .map_err(|e| CliError::usage(format!("{}: {}", path.display(), describe(&e))))?;
        if file_type.is_dir() {
            walk(root, &name, excluded, found, ignored)?;
        } else if file_type.is_symlink() && path.is_dir() {
            // Links to folders are not followed (a cycle must not hang the walk), nor
            // counted as passed-over files.
        } else if auralis::io::is_audio_file_name(&path) && path.is_file() {
            found.push((path, name));
        } else {
            *ignored += 1;
        }
    }
    Ok(())
}

fn describe(err: &std::io::Error) -> String {
    match err.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => err.to_string(),
    }
}
