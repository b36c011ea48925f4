//! `auralis` — the command line over the facade crate.
//!
//! Thin glue: parse arguments, read the file, call `auralis::…`, print or write the result.
//! Every failure is one line on stderr and a documented exit code: 0 success (a closed
//! standard output counts: the reader has what it wanted), 1 failure (I/O, a full disk),
//! 2 usage or bad input, 130 / 143 interrupted by SIGINT / SIGTERM. Nothing panics on user
//! input or on closed streams, outputs are written atomically, never over the input or an
//! existing file unless `--overwrite` is given, and no temporary file outlives the process.

pub mod analysis;
pub mod batch;
pub mod commands;
pub mod console;
pub mod master;
pub mod output;
pub mod signals;
pub mod source;
pub mod streamed;
