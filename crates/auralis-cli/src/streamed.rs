//! `eq`, `compress` and `limit` on a WAV file, chunk by chunk: decode a chunk, run the
//! stage's stream, encode, write — so memory stays a few chunks whatever the file's length
//! (a whole-file run holds the input and the output: two copies of a 2 GB file, and more in
//! the parallel implementations' scratch).
//!
//! The stream's latency is removed ([`Aligned`]: its first `latency` output frames are dropped
//! and as many frames of silence flush the tail), so the output has the input's length and lines up with
//! it. A stream equals its stage's whole-file implementation frame for frame (the stage kit
//! holds it to that), and it has no blocks or threads, so the bytes do not depend on the chunk
//! size or the thread count. WAV and FLAC inputs stream; other formats (whose declared length
//! a header written first cannot trust to the frame) and `--impl` take the whole-file path.

use auralis::pipeline::Source;
use auralis::{Aligned, Step, StreamProcessor};

use crate::commands::CliError;
use crate::output::PreparedOutput;
use crate::source::InputSource;

/// Frames per chunk read from the input.
const CHUNK_FRAMES: usize = 16 * 1024;

/// A reader for `input` if it can be streamed (a WAV or FLAC file, no `--impl`), else
/// `None` (the caller reads it whole, which also reports any error properly).
pub fn open(input: &std::path::Path, forced: Option<auralis::ImplKind>) -> Option<InputSource> {
    if forced.is_some() {
        return None;
    }
    InputSource::open_streaming(input, true)
}

/// Streams `reader` through `stage` (each chunk by `step`, the latency taken out by
/// [`Aligned`]) into `output`, handing the aligned gain of every frame to `on_gain`.
pub fn run<P: StreamProcessor>(
    mut reader: InputSource,
    output: &PreparedOutput,
    ceiling: Option<f32>,
    stage: P,
    step: Step<P>,
    on_gain: &mut dyn FnMut(&[f32]),
) -> Result<(), CliError> {
    let (channels, frames, rate) = (reader.channels(), reader.frames(), reader.sample_rate());
    let mut stage = Aligned::new(stage);
    let mut input = Vec::new();
    let mut flushed = false;
    let mut failure = None;
    let mut next = |out: &mut Vec<f32>| -> Result<(), auralis::io::IoError> {
        out.clear();
        while out.is_empty() {
            let frames = match reader.read(&mut input, CHUNK_FRAMES) {
                Ok(frames) => frames,
                Err(e) => {
                    // Bad input (a truncated file, a NaN sample) is the user's: exit 2, as
                    // the whole-file path reports it.
                    let message = e.to_string();
                    failure = Some(CliError::usage(message.clone()));
                    return Err(auralis::io::IoError::Unsupported {
                        path: "<input>".into(),
                        reason: message,
                    });
                }
            };
            let processed = if frames > 0 {
                stage.process(&input, step)
            } else if !flushed {
                // The input is exhausted: silence pushes the last `latency` frames out.
                flushed = true;
                stage.flush(step)
            } else {
                return Ok(());
            };
            match processed {
                Ok((audio, gain)) => {
                    out.extend_from_slice(audio);
                    on_gain(gain);
                }
                Err(e) => {
                    // The stage's own error is kept in `failure` and reported instead.
                    failure = Some(CliError::from(e));
                    return Err(auralis::io::IoError::Unsupported {
                        path: "<stream>".into(),
                        reason: "the stage failed".into(),
                    });
                }
            }
        }
        Ok(())
    };
    let written = output.write_stream_tagged(
        (channels, frames, rate),
        ceiling,
        &crate::output::Metadata::default(),
        &mut next,
    );
    match (failure, written) {
        (Some(e), _) => Err(e),
        (None, result) => result,
    }
}
