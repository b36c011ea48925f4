//! `eq`, `compress` and `limit` on a WAV file, chunk by chunk: decode a chunk, run the
//! stage's stream, encode, write — so memory stays a few chunks whatever the file's length
//! (a whole-file run holds the input and the output: two copies of a 2 GB file, and more in
//! the parallel implementations' scratch).
//!
//! The stream's latency is removed (its first `latency` output frames are dropped and as many
//! frames of silence flush the tail), so the output has the input's length and lines up with
//! it. A stream equals its stage's whole-file implementation frame for frame (the stage kit
//! holds it to that), and it has no blocks or threads, so the bytes do not depend on the chunk
//! size or the thread count. WAV and FLAC inputs stream; other formats (whose declared length
//! a header written first cannot trust to the frame) and `--impl` take the whole-file path.

use auralis::pipeline::Source;

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

/// A stage run on one chunk: interleaved input → output of the same length; the third
/// argument is the chunk's frame count.
pub type ChunkStage<'a> = dyn FnMut(&[f32], &mut [f32], usize) -> Result<(), CliError> + 'a;

/// Streams `reader` through `process` (interleaved input → output of the same length; the
/// third argument is the chunk's frame count) into `output`, removing `latency` frames.
pub fn run(
    mut reader: InputSource,
    output: &PreparedOutput,
    latency: usize,
    ceiling: Option<f32>,
    process: &mut ChunkStage<'_>,
) -> Result<(), CliError> {
    let (channels, frames, rate) = (reader.channels(), reader.frames(), reader.sample_rate());
    let (mut input, mut processed) = (Vec::new(), Vec::new());
    let mut skip = latency;
    let mut flush = latency;
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
            let frames = if frames > 0 {
                frames
            } else {
                // The input is exhausted: silence pushes the last `latency` frames out.
                let frames = flush.min(CHUNK_FRAMES);
                if frames == 0 {
                    return Ok(());
                }
                flush -= frames;
                input.clear();
                input.resize(frames * channels, 0.0);
                frames
            };
            processed.resize(input.len(), 0.0);
            if let Err(e) = process(&input, &mut processed, frames) {
                failure = Some(e);
                // The stage's own error is kept in `failure` and reported instead.
                return Err(auralis::io::IoError::Unsupported {
                    path: "<stream>".into(),
                    reason: "the stage failed".into(),
                });
            }
            let dropped = skip.min(frames);
            skip -= dropped;
            out.extend_from_slice(&processed[dropped * channels..]);
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
