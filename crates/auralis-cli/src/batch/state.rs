//! `--skip-existing`: records of what was mastered, kept in a state folder (by default
//! `.auralis-state` under `--out-dir`, never beside the deliverables).
//!
//! A record, keyed by the output's absolute path, says: this output (of this size and
//! modification time) was made from an input of this size, modification time and content
//! hash, with these settings, by this auralis version at this SIMD level. An output is
//! skipped only when its record matches all of that. A record is first written *pending*
//! (before the output is moved into place) and completed after, so an output a second Ctrl-C
//! left unrecorded is known to be ours and is re-mastered; an output that changed since
//! auralis wrote it is the user's and is not replaced. The input's content is hashed only
//! when its size or modification time changed (a touched but identical file is still
//! skipped; an edited one with a restored mtime is not caught — the price of not reading a
//! whole catalogue on every re-run, as make and rsync pay it too).

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::commands::CliError;

/// Version of the record layout; a record of another version is not trusted (re-process).
const RECORD_SCHEMA_VERSION: u32 = 2;

/// The default state folder's name under `--out-dir`.
pub const DEFAULT_STATE_DIR: &str = ".auralis-state";

/// What identifies an input's content cheaply (size, mtime) and surely (SHA-256).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fingerprint {
    pub size: u64,
    pub mtime_ns: u128,
    pub sha256: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct Record {
    schema_version: u32,
    input: String,
    output: String,
    input_fingerprint: Fingerprint,
    settings_hash: String,
    tool_version: String,
    simd_level: String,
    /// The output's size and mtime once it is in place; `None` while pending.
    output_written: Option<(u64, u128)>,
}

/// Why an existing output is, or is not, up to date.
#[derive(Debug, PartialEq)]
pub enum Freshness {
    /// The record matches: skip.
    Current,
    /// Made by auralis, but from something else: re-process (replacing it).
    Stale(&'static str),
    /// No output yet.
    Missing,
    /// An output exists that no record accounts for: not ours to replace without
    /// `--overwrite`.
    Unrecorded,
}

/// The state folder.
pub struct StateDir {
    root: PathBuf,
}

/// SHA-256 of a file, hex.
pub fn file_sha256(path: &Path) -> std::io::Result<String> {
    let mut file = fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

/// SHA-256 of a string, hex.
pub fn text_sha256(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn size_and_mtime(path: &Path) -> std::io::Result<(u64, u128)> {
    let meta = fs::metadata(path)?;
    let mtime = meta
        .modified()?
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    Ok((meta.len(), mtime))
}

/// The input's fingerprint, hashing its content.
pub fn fingerprint(path: &Path) -> std::io::Result<Fingerprint> {
    let (size, mtime_ns) = size_and_mtime(path)?;
    Ok(Fingerprint {
        size,
        mtime_ns,
        sha256: file_sha256(path)?,
    })
}

impl StateDir {
    pub fn new(root: PathBuf) -> Self {
        StateDir { root }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Records are keyed by the output's absolute path: two out-dirs sharing a state folder,
    /// or two formats' outputs, never share a record.
    fn record_path(&self, output: &Path) -> PathBuf {
        let absolute = std::path::absolute(output).unwrap_or_else(|_| output.to_path_buf());
        let key = text_sha256(&absolute.to_string_lossy());
        self.root
            .join("records")
            .join(format!("{}.json", &key[..32]))
    }

    fn read(&self, output: &Path) -> Option<Record> {
        fs::read(self.record_path(output))
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Record>(&bytes).ok())
            .filter(|r| r.schema_version == RECORD_SCHEMA_VERSION)
    }

    /// Whether `output` (made from `input`) is up to date.
    pub fn freshness(&self, input: &Path, output: &Path, settings_hash: &str) -> Freshness {
        let Ok(out_meta) = size_and_mtime(output) else {
            return if fs::symlink_metadata(output).is_err() {
                Freshness::Missing
            } else {
                Freshness::Unrecorded
            };
        };
        let Some(record) = self.read(output) else {
            return Freshness::Unrecorded;
        };
        match record.output_written {
            // An earlier run was stopped between moving the output into place and
            // completing its record: the output is ours, but unconfirmed.
            None => return Freshness::Stale("an earlier run stopped before recording it"),
            // Changed since auralis wrote it: the user's now.
            Some(written) if written != out_meta => return Freshness::Unrecorded,
            Some(_) => {}
        }
        if record.settings_hash != settings_hash {
            return Freshness::Stale("the settings changed");
        }
        if record.tool_version != env!("CARGO_PKG_VERSION") {
            return Freshness::Stale("another auralis version made it");
        }
        if record.simd_level != auralis::simd_level() {
            return Freshness::Stale("it was made at another SIMD level");
        }
        let Ok((size, mtime_ns)) = size_and_mtime(input) else {
            return Freshness::Stale("the input cannot be read");
        };
        let known = &record.input_fingerprint;
        if size == known.size && mtime_ns == known.mtime_ns {
            return Freshness::Current;
        }
        // Size or mtime changed: only the content decides.
        if size == known.size && file_sha256(input).is_ok_and(|h| h == known.sha256) {
            Freshness::Current
        } else {
            Freshness::Stale("the input changed")
        }
    }

    /// Records, before the output is written, that `output` is being made from an input
    /// with `fingerprint` (pending).
    pub fn begin(
        &self,
        input: &Path,
        output: &Path,
        fingerprint: Fingerprint,
        settings_hash: &str,
    ) -> Result<(), CliError> {
        self.write(&Record {
            schema_version: RECORD_SCHEMA_VERSION,
            input: input.to_string_lossy().into_owned(),
            output: output.to_string_lossy().into_owned(),
            input_fingerprint: fingerprint,
            settings_hash: settings_hash.to_string(),
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            simd_level: auralis::simd_level().to_string(),
            output_written: None,
        })
    }

    /// Completes `output`'s pending record now that the output is in place.
    pub fn complete(&self, output: &Path) -> Result<(), CliError> {
        let mut record = self.read(output).ok_or_else(|| {
            CliError::other(format!("the record of {} vanished", output.display()))
        })?;
        record.output_written =
            Some(size_and_mtime(output).map_err(|e| {
                CliError::other(format!("cannot read back {}: {e}", output.display()))
            })?);
        self.write(&record)
    }

    fn write(&self, record: &Record) -> Result<(), CliError> {
        let path = self.record_path(Path::new(&record.output));
        let fail = |e: &dyn std::fmt::Display| {
            CliError::other(format!("cannot write the record {}: {e}", path.display()))
        };
        fs::create_dir_all(path.parent().unwrap_or(&self.root)).map_err(|e| fail(&e))?;
        let text = serde_json::to_vec_pretty(record).map_err(|e| fail(&e))?;
        auralis::io::write_atomically(&path, &text).map_err(|e| fail(&e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_is_current_until_the_input_the_settings_or_the_output_change() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.wav");
        let output = dir.path().join("out.wav");
        fs::write(&input, b"first content").unwrap();
        let state = StateDir::new(dir.path().join("state"));
        let fresh = |settings| state.freshness(&input, &output, settings);
        assert_eq!(fresh("s1"), Freshness::Missing);
        fs::write(&output, b"master").unwrap();
        assert_eq!(fresh("s1"), Freshness::Unrecorded);
        // Pending: ours, but unconfirmed.
        state
            .begin(&input, &output, fingerprint(&input).unwrap(), "s1")
            .unwrap();
        assert!(matches!(fresh("s1"), Freshness::Stale(_)));
        state.complete(&output).unwrap();
        assert_eq!(fresh("s1"), Freshness::Current);
        assert!(matches!(fresh("s2"), Freshness::Stale(_)));
        // Touched, same bytes: still current (the hash decides).
        let later = std::time::SystemTime::now() + std::time::Duration::from_secs(5);
        fs::File::options()
            .write(true)
            .open(&input)
            .unwrap()
            .set_modified(later)
            .unwrap();
        assert_eq!(fresh("s1"), Freshness::Current);
        // Same size, other bytes: stale.
        fs::write(&input, b"other content").unwrap();
        assert_eq!(fresh("s1"), Freshness::Stale("the input changed"));
        // An output changed since it was written is the user's.
        fs::write(&output, b"edited by hand").unwrap();
        assert_eq!(fresh("s1"), Freshness::Unrecorded);
        // Another output (another folder or format) has no record of its own.
        let other = dir.path().join("out.flac");
        fs::write(&other, b"x").unwrap();
        assert_eq!(state.freshness(&input, &other, "s1"), Freshness::Unrecorded);
    }
}
