//! The one error type of this crate. Every variant names the file, and its message says in
//! one line what is wrong with it.

use std::path::{Path, PathBuf};

use auralis_core::AudioError;
use thiserror::Error;

/// Why a WAV file (or any file written through this crate) could not be read or written.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum IoError {
    /// The file — or, when writing, its directory — does not exist.
    #[error("{}: no such file or directory", path.display())]
    NotFound { path: PathBuf },
    /// The operating system refused (permissions, disk full, a directory where a file was
    /// expected, …). `action` says what could not be done, e.g. "cannot read".
    #[error("{}: {action}: {source}", path.display())]
    Io {
        path: PathBuf,
        action: &'static str,
        #[source]
        source: std::io::Error,
    },
    /// Not a well-formed audio file: garbage, a truncated file, an inconsistent header. The
    /// reason starts with the detected format (`WAV: …`, `flac: …`).
    #[error("{}: not a valid audio file: {reason}", path.display())]
    Corrupt { path: PathBuf, reason: String },
    /// A well-formed file in a format or encoding this crate does not read or write.
    #[error("{}: unsupported: {reason}", path.display())]
    Unsupported { path: PathBuf, reason: String },
    /// The samples do not make valid audio: NaN/Inf floats, no frames, an absurd rate.
    #[error("{}: invalid audio: {source}", path.display())]
    Audio {
        path: PathBuf,
        #[source]
        source: AudioError,
    },
}

impl IoError {
    /// The file (or directory) the error is about.
    pub fn path(&self) -> &Path {
        match self {
            IoError::NotFound { path }
            | IoError::Io { path, .. }
            | IoError::Corrupt { path, .. }
            | IoError::Unsupported { path, .. }
            | IoError::Audio { path, .. } => path,
        }
    }

    /// The same error with the detected container format in front of its reason.
    pub(crate) fn in_format(self, format: &str) -> Self {
        match self {
            IoError::Corrupt { path, reason } => IoError::Corrupt {
                path,
                reason: format!("{format}: {reason}"),
            },
            IoError::Unsupported { path, reason } => IoError::Unsupported {
                path,
                reason: format!("{format}: {reason}"),
            },
            other => other,
        }
    }

    /// Whether this is a write to a pipe whose reader has gone (`EPIPE`).
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, IoError::Io { source, .. } if source.kind() == std::io::ErrorKind::BrokenPipe)
    }

    pub(crate) fn io(path: &Path, action: &'static str, source: std::io::Error) -> Self {
        if source.kind() == std::io::ErrorKind::NotFound {
            return IoError::NotFound {
                path: path.to_path_buf(),
            };
        }
        IoError::Io {
            path: path.to_path_buf(),
            action,
            source,
        }
    }

    pub(crate) fn corrupt(path: &Path, reason: impl Into<String>) -> Self {
        IoError::Corrupt {
            path: path.to_path_buf(),
            reason: reason.into(),
        }
    }

    pub(crate) fn unsupported(path: &Path, reason: impl Into<String>) -> Self {
        IoError::Unsupported {
            path: path.to_path_buf(),
            reason: reason.into(),
        }
    }

    pub(crate) fn audio(path: &Path, source: AudioError) -> Self {
        IoError::Audio {
            path: path.to_path_buf(),
            source,
        }
    }
}
