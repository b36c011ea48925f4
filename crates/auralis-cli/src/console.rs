//! Standard output and standard error that never panic.
//!
//! `println!` and `eprintln!` panic when their stream is closed or full, which turned
//! `auralis analyze f.wav | head -1` and `> /dev/full` into exit 101. Here a broken pipe on
//! standard output is a normal end (the reader has what it wanted), any other failure to
//! write it is an error with exit code 1, and standard error is best effort: a message that
//! cannot be shown must not turn a finished job into a failure.

use std::io::{self, Write};

use crate::commands::CliError;

/// Writes `text` to standard output and flushes it.
pub fn out(text: &str) -> Result<(), CliError> {
    let mut stdout = io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(stdout_error)
}

/// The error for a failed write to standard output.
pub fn stdout_error(err: io::Error) -> CliError {
    if err.kind() == io::ErrorKind::BrokenPipe {
        CliError::broken_pipe()
    } else {
        CliError::other(format!("cannot write to standard output: {err}"))
    }
}

/// Writes one line to standard error, ignoring failure.
pub fn note(line: &str) {
    let mut stderr = io::stderr().lock();
    let _ = writeln!(stderr, "{line}");
}
