//! `auralis` — the command line over the facade crate.
//!
//! Thin glue: parse arguments, read the file, call `auralis::…`, print or write the result.
//! Every failure is one line on stderr and a documented exit code: 0 success (a closed
//! standard output counts: the reader has what it wanted), 1 failure (I/O, a full disk),
//! 2 usage or bad input, 130 / 143 interrupted by SIGINT / SIGTERM. Nothing panics on user
//! input or on closed streams, outputs are written atomically, never over the input or an
//! existing file unless `--overwrite` is given, and no temporary file outlives the process.

mod commands;
mod console;
mod output;
mod signals;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    signals::install();
    let cli = match commands::Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            // Help and version go to stdout, usage errors to stderr; either may be closed.
            let _ = err.print();
            return ExitCode::from(u8::try_from(err.exit_code()).unwrap_or(2));
        }
    };
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            if !err.is_silent() {
                console::note(&format!("auralis: error: {err}"));
            }
            ExitCode::from(err.exit_code())
        }
    }
}
