//! Where processed audio goes: atomically, never over the input, never over an existing file
//! unless asked to.

use std::path::Path;

use auralis::io::{write_wav, SampleFormat};
use auralis::AudioBuffer;

use crate::commands::CliError;

/// Output sample formats offered on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// 32-bit float (lossless for what the stages compute).
    F32,
    /// 16-bit integer (rounded; clipped at full scale).
    I16,
}

/// Writes `audio` to `output` after the safety checks.
pub fn write_output(
    input: &Path,
    output: &Path,
    audio: &AudioBuffer,
    format: Format,
    overwrite: bool,
) -> Result<(), CliError> {
    if same_file(input, output) {
        return Err(CliError::usage(format!(
            "output {} is the input file; choose another path (the input is never overwritten)",
            output.display()
        )));
    }
    if output.exists() && !overwrite {
        return Err(CliError::usage(format!(
            "output {} already exists; pass --overwrite to replace it",
            output.display()
        )));
    }
    let format = match format {
        Format::F32 => SampleFormat::Float32,
        Format::I16 => SampleFormat::Int16,
    };
    write_wav(output, audio, format).map_err(CliError::other)
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}
