//! Where processed audio goes. The output is checked before any work is done: what the path
//! names (`-` is standard output; links are followed; FIFOs and character devices are written
//! directly; only a regular file is ever replaced, atomically — see `auralis_io::OutputPath`),
//! that it is not the input, that an existing file is replaced only with `--overwrite`, and
//! that the format fits the name.

use std::path::Path;

use auralis::io::{
    check_wav_fits, write_flac_output, write_wav_output_with, IoError, OutputPath, SampleFormat,
};
use auralis::AudioBuffer;

use crate::commands::CliError;
use crate::console;

/// Output sample formats, named alike in every subcommand.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// 16-bit integer WAV (CD; rounded, never above a limiter's ceiling).
    #[value(alias = "i16")]
    Wav16,
    /// 24-bit integer WAV.
    Wav24,
    /// 32-bit float WAV (lossless for what the stages compute).
    F32,
    /// 24-bit FLAC (lossless compression of the 24-bit codes).
    Flac,
}

impl Format {
    fn sample_format(self) -> SampleFormat {
        match self {
            Format::Wav16 => SampleFormat::Int16,
            Format::Wav24 | Format::Flac => SampleFormat::Int24,
            Format::F32 => SampleFormat::Float32,
        }
    }

    fn is_flac(self) -> bool {
        self == Format::Flac
    }

    /// The file name extension of outputs in this format.
    pub fn extension(self) -> &'static str {
        if self.is_flac() {
            "flac"
        } else {
            "wav"
        }
    }
}

/// An output that passed every check that can be made before processing.
pub struct PreparedOutput {
    path: OutputPath,
    format: SampleFormat,
    flac: bool,
    overwrite: bool,
}

/// Resolves and checks `output` for a command reading `input`.
///
/// The format: `--format` if given; else a `.wav` name is 32-bit float (the single-stage
/// commands' lossless default) and a name without extension (`-`, a FIFO, a device) is
/// 24-bit WAV. Another extension is refused: WAV bytes are never written under a name that
/// promises another format.
pub fn prepare(
    input: &Path,
    output: &Path,
    format: Option<Format>,
    overwrite: bool,
) -> Result<PreparedOutput, CliError> {
    let path = OutputPath::resolve(output).map_err(|e| CliError::usage(e.to_string()))?;
    if path.is_same_file_as(input) {
        return Err(CliError::usage(format!(
            "output {} is the input file; choose another path (the input is never overwritten)",
            output.display()
        )));
    }
    if path.existing_file().is_some() && !overwrite {
        return Err(CliError::usage(format!(
            "output {} already exists; pass --overwrite to replace it",
            output.display()
        )));
    }
    let mismatch = |f: Format, ext: &str| {
        CliError::usage(format!(
            "output {}: --format {f:?} under a .{ext} name; name the file for its format \
             (.wav for wav16|wav24|f32, .flac for flac)",
            output.display()
        ))
    };
    let format = match path.extension().as_deref() {
        Some("wav") => match format.unwrap_or(Format::F32) {
            Format::Flac => return Err(mismatch(Format::Flac, "wav")),
            f => f,
        },
        Some("flac") => match format.unwrap_or(Format::Flac) {
            Format::Flac => Format::Flac,
            f => return Err(mismatch(f, "flac")),
        },
        None => format.unwrap_or(Format::Wav24),
        Some(other) => {
            return Err(CliError::usage(format!(
                "output {}: cannot write .{other} files; outputs are WAV or FLAC \
                 (--format wav16|wav24|f32|flac): name it *.wav or *.flac, or - for standard \
                 output",
                output.display()
            )))
        }
    };
    Ok(PreparedOutput {
        path,
        format: format.sample_format(),
        flac: format.is_flac(),
        overwrite,
    })
}

impl PreparedOutput {
    /// Whether the output is FLAC.
    pub fn is_flac(&self) -> bool {
        self.flac
    }

    /// The sample format the output will be written in.
    pub fn sample_format(&self) -> SampleFormat {
        self.format
    }

    /// Refuses, before processing, audio the format cannot hold (a WAV over 4 GiB, FLAC
    /// with more than 8 channels).
    pub fn check_fits(&self, audio: &AudioBuffer) -> Result<(), CliError> {
        self.check_shape(
            audio.num_channels(),
            audio.len() as u64,
            audio.sample_rate(),
        )
    }

    /// [`PreparedOutput::check_fits`] for audio of `channels` × `frames` at `sample_rate`.
    pub fn check_shape(
        &self,
        channels: usize,
        frames: u64,
        sample_rate: u32,
    ) -> Result<(), CliError> {
        if self.flac {
            return if channels > 8 {
                Err(CliError::usage(format!(
                    "output {}: FLAC holds at most 8 channels, not {channels}",
                    self.path.requested().display(),
                )))
            } else {
                Ok(())
            };
        }
        check_wav_fits(
            self.path.requested(),
            channels,
            frames,
            sample_rate,
            self.format,
        )
        .map_err(|e| CliError::usage(e.to_string()))
    }

    /// Writes `audio`; with `ceiling` (linear), integer codes never exceed it. Warns on
    /// stderr when samples beyond full scale had to be clipped.
    pub fn write(&self, audio: &AudioBuffer, ceiling: Option<f32>) -> Result<(), CliError> {
        self.write_tagged(audio, ceiling, &Metadata::default())
    }

    /// [`PreparedOutput::write`] with `metadata` (what the output's format holds of it).
    pub fn write_tagged(
        &self,
        audio: &AudioBuffer,
        ceiling: Option<f32>,
        metadata: &Metadata,
    ) -> Result<(), CliError> {
        let summary = if self.flac {
            write_flac_output(
                &self.path,
                self.overwrite,
                audio,
                self.format,
                ceiling,
                metadata.flac(),
            )
        } else {
            write_wav_output_with(
                &self.path,
                self.overwrite,
                audio,
                self.format,
                ceiling,
                metadata.wav_chunks.as_deref(),
            )
        }
        .map_err(write_error)?;
        self.warn_clipped(
            summary.clipped,
            &format!(
                " (peak {:+.2} dBFS)",
                20.0 * f64::from(audio.peak()).log10()
            ),
        );
        Ok(())
    }

    /// Warns on stderr when `clipped` samples beyond full scale had to be clipped.
    fn warn_clipped(&self, clipped: u64, detail: &str) {
        if clipped > 0 {
            console::note(&format!(
                "auralis: warning: {clipped} samples beyond full scale were clipped in the {}-bit \
                 output {}{detail}; lower the level or use --format f32",
                self.format.bits(),
                self.path.requested().display(),
            ));
        }
    }

    /// Writes an output of `(channels, frames, sample rate)` whose samples `next` delivers a
    /// chunk at a time ([`auralis::io::write_wav_stream`], [`auralis::io::write_flac_stream`]),
    /// with metadata as [`PreparedOutput::write_tagged`] takes it.
    pub fn write_stream_tagged(
        &self,
        shape: (usize, u64, u32),
        ceiling: Option<f32>,
        metadata: &Metadata,
        next: &mut dyn FnMut(&mut Vec<f32>) -> Result<(), IoError>,
    ) -> Result<(), CliError> {
        let summary = if self.flac {
            auralis::io::write_flac_stream(
                &self.path,
                self.overwrite,
                shape,
                self.format,
                ceiling,
                metadata.flac(),
                next,
            )
        } else {
            auralis::io::write_wav_stream(
                &self.path,
                self.overwrite,
                shape,
                self.format,
                ceiling,
                metadata.wav_chunks.as_deref(),
                next,
            )
        }
        .map_err(write_error)?;
        self.warn_clipped(summary.clipped, "");
        Ok(())
    }

    /// Where scratch files for this output go (see [`auralis::io::OutputPath::scratch_dir`]).
    pub fn scratch_dir(&self) -> std::path::PathBuf {
        self.path.scratch_dir()
    }
}

/// What an output carries besides its audio; each format takes what it holds.
#[derive(Debug, Clone, Default)]
pub struct Metadata {
    /// Vorbis comments of a FLAC output.
    pub tags: Vec<(String, String)>,
    /// PICTURE blocks (cover art) of a FLAC output.
    pub pictures: Vec<Vec<u8>>,
    /// Whole RIFF chunks (`LIST`/`INFO`, `bext`, `iXML`) of a WAV output.
    pub wav_chunks: Option<Vec<u8>>,
}

impl Metadata {
    fn flac(&self) -> auralis::io::FlacMetadata<'_> {
        auralis::io::FlacMetadata {
            tags: &self.tags,
            pictures: &self.pictures,
        }
    }
}

/// A write that failed: a closed pipe is the reader's choice (a normal end), anything else
/// (a full disk, a vanished directory) is a failure, exit code 1.
fn write_error(err: IoError) -> CliError {
    if err.is_broken_pipe() {
        CliError::broken_pipe()
    } else {
        CliError::other(err)
    }
}
