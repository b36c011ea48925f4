//! Parsing a WAV header with hound, and turning hound's verdict into a [`WavSpec`].
//!
//! hound parses and validates the RIFF structure (chunk walk, `fmt ` variants including
//! WAVE_FORMAT_EXTENSIBLE, consistency checks) — well-tested code we do not want to rewrite.
//! The samples, however, are decoded in bulk by [`crate::decode`]: hound's per-sample
//! iterator costs about 9 ns a sample, twice the cost of reading the file. Bulk decoding
//! needs the container width, which hound does not expose, so the reader handed to hound is
//! wrapped in a [`HeaderTap`] that remembers the last eight bytes hound consumed: when
//! hound returns, those are the `data` chunk's id and length, hence width = length / samples.
//!
//! Can hound panic on hostile bytes? Its header path (hound 3.5.1, `read.rs`) was audited:
//! the divisions are guarded (zero channels and zero-width samples are rejected first), the
//! multiplications are checked or bounded, and every short read is an error. So no
//! `catch_unwind` is needed; the mutation test `mangled_files_never_panic` keeps us honest.

use std::io::{self, Read};
use std::path::Path;

use auralis_core::audio::check_sample_rate;
use auralis_core::AudioError;

use crate::error::IoError;
use crate::format::{SampleFormat, WavSpec};

/// A parsed header: what the file holds and where its samples start.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Header {
    pub spec: WavSpec,
    /// Byte offset of the first sample from the start of the stream.
    pub data_offset: u64,
}

/// A reader that remembers what hound took from it.
struct HeaderTap<R> {
    inner: R,
    consumed: u64,
    last: [u8; 8],
    /// The inner reader ran out of bytes (as opposed to failing).
    hit_eof: bool,
}

impl<R: Read> Read for HeaderTap<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = loop {
            match self.inner.read(buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => break other?,
            }
        };
        if n == 0 && !buf.is_empty() {
            self.hit_eof = true;
        }
        self.consumed += n as u64;
        let got = &buf[..n];
        if got.len() >= 8 {
            self.last.copy_from_slice(&got[got.len() - 8..]);
        } else {
            self.last.rotate_left(got.len());
            self.last[8 - got.len()..].copy_from_slice(got);
        }
        Ok(n)
    }
}

/// Reads the header from `reader`, leaving it at the first sample byte.
pub(crate) fn read_header<R: Read>(reader: &mut R, path: &Path) -> Result<Header, IoError> {
    let mut tap = HeaderTap {
        inner: reader,
        consumed: 0,
        last: [0; 8],
        hit_eof: false,
    };
    let (hound_spec, samples) = match hound::WavReader::new(&mut tap) {
        Ok(wav) => (wav.spec(), u64::from(wav.len())),
        Err(e) => return Err(classify(e, &tap, path)),
    };
    let format = match (hound_spec.sample_format, hound_spec.bits_per_sample) {
        (hound::SampleFormat::Int, 8) => SampleFormat::Int8,
        (hound::SampleFormat::Int, 16) => SampleFormat::Int16,
        (hound::SampleFormat::Int, 24) => SampleFormat::Int24,
        (hound::SampleFormat::Int, 32) => SampleFormat::Int32,
        (hound::SampleFormat::Float, 32) => SampleFormat::Float32,
        (hound::SampleFormat::Float, bits) => {
            return Err(IoError::unsupported(
                path,
                format!("{bits}-bit float samples (only 32-bit float is read)"),
            ));
        }
        (hound::SampleFormat::Int, bits) => {
            return Err(IoError::unsupported(
                path,
                format!("{bits}-bit integer samples (8, 16, 24 and 32 are read)"),
            ));
        }
    };
    if tap.last[..4] != *b"data" {
        // hound returns right after reading the data chunk header; if that ever changes,
        // fail loudly instead of decoding from the wrong place.
        return Err(IoError::corrupt(path, "could not locate the data chunk"));
    }
    let data_len = u64::from(u32::from_le_bytes([
        tap.last[4],
        tap.last[5],
        tap.last[6],
        tap.last[7],
    ]));
    if samples == 0 {
        return Err(IoError::audio(path, AudioError::Empty));
    }
    let container = data_len / samples;
    if container != format.bytes() as u64 {
        return Err(IoError::unsupported(
            path,
            format!(
                "{}-bit samples in {container}-byte containers (only packed samples are read; \
                 padded containers are ambiguously justified)",
                format.bits()
            ),
        ));
    }
    check_sample_rate(hound_spec.sample_rate).map_err(|e| IoError::audio(path, e))?;
    let channels = usize::from(hound_spec.channels);
    let spec = WavSpec {
        channels,
        sample_rate: hound_spec.sample_rate,
        format,
        frames: samples / channels as u64,
    };
    Ok(Header {
        spec,
        data_offset: tap.consumed,
    })
}

/// Turns a hound error into ours, telling a truncated or empty file from a failing disk.
fn classify<R>(error: hound::Error, tap: &HeaderTap<R>, path: &Path) -> IoError {
    match error {
        hound::Error::IoError(_) if tap.hit_eof && tap.consumed == 0 => {
            IoError::corrupt(path, "the file is empty (0 bytes)")
        }
        hound::Error::IoError(_) if tap.hit_eof => IoError::corrupt(
            path,
            format!("the file ends after {} bytes, inside the header (truncated?)", tap.consumed),
        ),
        hound::Error::IoError(e) => IoError::io(path, "cannot read", e),
        hound::Error::FormatError("no RIFF tag found") => {
            IoError::corrupt(path, "no RIFF header (is it a WAV file?)")
        }
        hound::Error::FormatError("no WAVE tag found") => {
            IoError::corrupt(path, "a RIFF file, but not WAVE")
        }
        // hound rejects float formats other than 32-bit while parsing `fmt `.
        hound::Error::FormatError("bits per sample is not 32") => IoError::unsupported(
            path,
            "floating-point samples that are not 32-bit (e.g. 64-bit float)",
        ),
        // Compressed formats (ADPCM: 4 bits) fail this check before hound looks at the tag.
        hound::Error::FormatError("bits per sample is not a multiple of 8") => IoError::unsupported(
            path,
            "samples are not a whole number of bytes (compressed formats such as ADPCM are not read)",
        ),
        hound::Error::FormatError(reason) => IoError::corrupt(path, reason),
        hound::Error::Unsupported => IoError::unsupported(
            path,
            "the encoding is neither integer PCM nor IEEE float (compressed WAV is not read)",
        ),
        other => IoError::corrupt(path, other.to_string()),
    }
}
