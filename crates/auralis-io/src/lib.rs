//! # auralis-io
//!
//! Audio files in, WAV out, for Auralis Lab — and atomic file writes for everything the lab
//! produces.
//!
//! * [`read_audio`] reads WAV (RIFF and RF64, every real-world form: see `header.rs`), FLAC,
//!   MP3, Ogg Vorbis and AIFF (through symphonia, see `compressed.rs`) into a validated
//!   [`AudioBuffer`](auralis_core::AudioBuffer); integers are scaled into `[-1, 1)`.
//!   [`read_wav_from`] reads a WAV stream, [`WavChunkReader`] a WAV file a chunk at a time.
//! * [`OutputPath`] decides what an output path is before any work is done (`-`, a link, a
//!   FIFO, a device, a regular file); [`write_wav_output`] / [`write_wav`] write through it,
//!   regular files atomically; integers are rounded (within a ceiling, if given) and clipped.
//! * [`write_atomically`] / [`write_atomically_with`] replace a file so that readers see
//!   the old content or the new one, never a mixture, and leave no temporary file behind
//!   (see `atomic.rs`; [`remove_temporaries`] is for signal handlers).
//!
//! Bad input never panics: every failure is an [`IoError`] whose one-line message names the
//! file, the detected format and what is wrong (missing, a directory, empty, truncated,
//! garbage, an unsupported encoding, NaN or out-of-range samples, …).
//!
//! WAV samples are decoded in bulk here (`decode.rs`), about twice as fast as a per-sample
//! iterator; hound only writes WAV headers.

mod atomic;
mod bext;
mod compressed;
mod decode;
mod dither;
mod error;
mod flac;
mod format;
mod header;
mod output;
mod probe;
mod rate;
mod read;
mod wav_meta;
mod write;

pub use atomic::{remove_temporaries, write_atomically, write_atomically_with};
pub use bext::{bext_chunk, bext_chunk_from, BextLoudness, BEXT_FIXED_BYTES};
pub use compressed::{read_pictures, read_tags, CompressedChunkReader};
pub use dither::{content_seed, dither_interleaved, dither_tpdf, ContentHasher};
pub use error::IoError;
pub use flac::{
    write_flac_output, write_flac_stream, FlacMetadata, FLAC_BLOCK, MAX_METADATA_BLOCK,
};
pub use format::{SampleFormat, WavSpec};
pub use output::{OutputKind, OutputPath};
pub use probe::{is_audio_file_name, probe_duration_secs, AUDIO_EXTENSIONS};
pub use rate::convert_rate;
pub use read::{read_audio, read_wav, read_wav_from, WavChunkReader};
pub use wav_meta::{info_list_chunk, read_wav_metadata, riff_chunk, WavMetadata};
pub use write::{
    check_wav_fits, encode_wav, write_wav, write_wav_output, write_wav_output_with,
    write_wav_stream, write_wav_to, EncodeSummary,
};
