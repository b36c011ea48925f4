//! `auralis` — the command line over the facade crate.
//!
//! Thin glue: parse arguments, read the file, call `auralis::…`, print or write the result.
//! Every failure is one line on stderr and a non-zero exit code (2 for bad input or usage,
//! 1 for anything else); nothing panics on user input, and output files are written
//! atomically and never over the input or an existing file unless `--overwrite` is given.

mod commands;
mod output;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = commands::Cli::parse();
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("auralis: error: {err}");
            ExitCode::from(err.exit_code())
        }
    }
}
