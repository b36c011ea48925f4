//! `auralis` — the command line over the facade crate (the work is in the library half of
//! this crate, `auralis_cli`, so that the fuzzer drives the same code).

use std::process::ExitCode;

use auralis_cli::{commands, console, signals};
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
