//! The one error type of this crate.

use std::fmt;
use std::path::PathBuf;

use auralis_io::IoError;

/// Why a fixture could not be generated, written or described.
#[derive(Debug)]
pub enum FixtureError {
    /// The spec asks for something the generator does not make (see
    /// [`crate::FixtureSpec::validate`]).
    InvalidSpec { name: String, reason: String },
    /// Reading, hashing or writing a file failed; the message names the file.
    Io(IoError),
    /// The manifest could not be encoded or decoded.
    Json {
        path: PathBuf,
        source: serde_json::Error,
    },
}

impl fmt::Display for FixtureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FixtureError::InvalidSpec { name, reason } => {
                write!(f, "invalid fixture spec `{name}`: {reason}")
            }
            FixtureError::Io(e) => write!(f, "{e}"),
            FixtureError::Json { path, source } => {
                write!(f, "{}: manifest JSON error: {source}", path.display())
            }
        }
    }
}

impl std::error::Error for FixtureError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            FixtureError::InvalidSpec { .. } => None,
            FixtureError::Io(e) => Some(e),
            FixtureError::Json { source, .. } => Some(source),
        }
    }
}

impl From<IoError> for FixtureError {
    fn from(e: IoError) -> Self {
        FixtureError::Io(e)
    }
}
