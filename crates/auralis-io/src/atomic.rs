//! Writing files so that readers see the old content or the new, never a mixture.
//!
//! The bytes go to a uniquely named temporary file in the target's own directory (so the
//! final `rename` never crosses a file system), which is flushed and `fsync`ed before it is
//! renamed over the target. On any error — or a panic in the caller's closure — the
//! temporary file is removed and the target is left exactly as it was.

use std::ffi::OsString;
use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::IoError;

/// Distinguishes temporary files of concurrent writes from one process.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);
/// Buffer between the caller's writes and the file.
const WRITE_BUFFER_BYTES: usize = 256 * 1024;

/// Atomically replaces (or creates) `path` with `bytes`.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), IoError> {
    write_atomically_with(path, |w| w.write_all(bytes))
}

/// Atomically replaces (or creates) `path` with whatever `write` writes. The parent
/// directory must exist (it is not created: where files go is the caller's decision).
pub fn write_atomically_with(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> io::Result<()>,
) -> Result<(), IoError> {
    let name = path.file_name().ok_or_else(|| {
        IoError::io(
            path,
            "cannot write",
            io::Error::new(io::ErrorKind::InvalidInput, "the path does not name a file"),
        )
    })?;
    let dir = directory_of(path);
    let (file, temp) = create_temp(dir, name, path)?;
    let mut writer = BufWriter::with_capacity(WRITE_BUFFER_BYTES, file);
    write(&mut writer).map_err(|e| IoError::io(path, "cannot write", e))?;
    let file = writer
        .into_inner()
        .map_err(|e| IoError::io(path, "cannot write", e.into_error()))?;
    file.sync_all()
        .map_err(|e| IoError::io(path, "cannot sync to disk", e))?;
    drop(file);
    std::fs::rename(&temp.path, path)
        .map_err(|e| IoError::io(path, "cannot move the new file into place", e))?;
    temp.disarm();
    sync_directory(dir);
    Ok(())
}

/// The directory a file path lives in; a bare file name lives in the current directory.
fn directory_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// A temporary file that deletes itself unless disarmed (also when a panic unwinds).
struct TempFile {
    path: PathBuf,
    armed: bool,
}

impl TempFile {
    fn disarm(mut self) {
        self.armed = false;
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if self.armed {
            // Nothing better to do if this fails: the original error is what matters.
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Creates `.<name>.tmp-<pid>-<counter>` in `dir`; never opens an existing file.
fn create_temp(
    dir: &Path,
    name: &std::ffi::OsStr,
    target: &Path,
) -> Result<(File, TempFile), IoError> {
    if !dir.is_dir() {
        return Err(if dir.exists() {
            let e = io::Error::new(
                io::ErrorKind::NotADirectory,
                format!("{} is not a directory", dir.display()),
            );
            IoError::io(target, "cannot write", e)
        } else {
            IoError::NotFound {
                path: dir.to_path_buf(),
            }
        });
    }
    let mut attempts = 0;
    loop {
        let mut temp_name = OsString::from(".");
        temp_name.push(name);
        let counter = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
        temp_name.push(format!(".tmp-{}-{counter}", std::process::id()));
        let temp_path = dir.join(temp_name);
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp_path)
        {
            Ok(file) => {
                return Ok((
                    file,
                    TempFile {
                        path: temp_path,
                        armed: true,
                    },
                ))
            }
            // A stale file from a crashed process with a recycled pid: try the next name.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempts < 100 => attempts += 1,
            Err(e) => {
                return Err(IoError::io(
                    target,
                    "cannot create a temporary file beside it",
                    e,
                ))
            }
        }
    }
}

/// Makes the rename itself durable. Best effort: not every platform or file system lets a
/// directory be opened and synced, and the data is already safe either way.
fn sync_directory(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_file_names_live_in_the_current_directory() {
        assert_eq!(directory_of(Path::new("out.wav")), Path::new("."));
        assert_eq!(directory_of(Path::new("a/out.wav")), Path::new("a"));
        assert_eq!(directory_of(Path::new("/out.wav")), Path::new("/"));
    }
}
