//! The lab's one error type.
//!
//! `cargo xtask` turns every error into exactly one line on stderr and an exit code, so each
//! variant carries a complete, self-explanatory message and says which exit code it deserves:
//! mistakes in what the user asked for (an unknown stage, a missing WAV file, a missing
//! baseline) are usage errors; a failed regression check is not an error at all but a
//! verdict (see [`crate::check`]).

use std::fmt;

/// Why the lab could not do what it was asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LabError {
    /// The request itself is wrong: unknown stage, absurd thread count, bad flag value.
    Usage(String),
    /// An input the user named (a WAV file, a report, a baseline) is missing or unreadable.
    Input(String),
    /// Writing an output (report, plot, selection) failed.
    Output(String),
    /// The measurement itself could not be carried out (e.g. a thread pool could not be
    /// built). Implementation failures are *not* this: they are recorded in the report.
    Run(String),
}

impl LabError {
    /// The process exit code `cargo xtask` uses for every error: 2. (0 is success and 1 is
    /// reserved for a regression check that ran and found a regression, so that CI can tell
    /// "the code got worse" from "the command could not run".)
    pub fn exit_code(&self) -> i32 {
        2
    }
}

impl fmt::Display for LabError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Messages are already complete sentences; keep them to one line whatever they hold.
        let message = match self {
            LabError::Usage(m) | LabError::Input(m) | LabError::Output(m) | LabError::Run(m) => m,
        };
        f.write_str(&message.replace('\n', " "))
    }
}

impl std::error::Error for LabError {}

/// The lab's result type.
pub type LabResult<T> = Result<T, LabError>;
