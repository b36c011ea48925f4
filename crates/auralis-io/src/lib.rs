//! # auralis-io
//!
//! WAV in and out for Auralis Lab, and atomic file writes for everything the lab produces.
//!
//! * [`read_wav`] / [`read_wav_from`] read 8/16/24/32-bit integer PCM and 32-bit float WAV
//!   with any number of channels into a validated
//!   [`AudioBuffer`](auralis_core::AudioBuffer); integers are scaled into
//!   `[-1, 1)`. [`WavChunkReader`] reads the same files a chunk at a time for streaming.
//! * [`write_wav`] writes any [`SampleFormat`] atomically; integers are rounded and clipped.
//! * [`write_atomically`] / [`write_atomically_with`] replace a file so that readers see
//!   the old content or the new one, never a half-written mixture.
//!
//! Bad input never panics: every failure is an [`IoError`] whose one-line message names the
//! file and says what is wrong with it (missing, a directory, empty, truncated, not a WAV,
//! an unsupported encoding, NaN samples, …).
//!
//! hound parses and validates headers; samples are decoded in bulk here, which reads a file
//! about twice as fast as hound's per-sample iterator (see `header.rs` for how).

mod atomic;
mod decode;
mod error;
mod format;
mod header;
mod output;
mod read;
mod write;

pub use atomic::{remove_temporaries, write_atomically, write_atomically_with};
pub use error::IoError;
pub use format::{SampleFormat, WavSpec};
pub use output::{OutputKind, OutputPath};
pub use read::{read_wav, read_wav_from, WavChunkReader};
pub use write::{
    check_wav_fits, encode_wav, write_wav, write_wav_output, write_wav_to, EncodeSummary,
};
