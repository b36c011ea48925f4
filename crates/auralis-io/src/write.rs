//! Writing WAV files.
//!
//! hound writes the header — the part that needs knowledge of the format (PCM or IEEE
//! float `fmt ` chunk, WAVE_FORMAT_EXTENSIBLE beyond two channels or 16 bits, channel
//! masks). The samples are encoded here in bulk: hound's `write_sample` costs a call and a
//! `Result` per sample, which made writing 180 s of 24-bit stereo take a quarter second.

use std::io::{self, Cursor, Write};
use std::path::Path;

use auralis_core::AudioBuffer;

use crate::atomic::write_atomically_with;
use crate::error::IoError;
use crate::format::SampleFormat;
use crate::output::OutputPath;

/// Largest header hound writes (RIFF + WAVE_FORMAT_EXTENSIBLE `fmt ` + `data` header).
const MAX_HEADER_BYTES: u64 = 68;
/// Frames encoded per `write_all`.
const ENCODE_CHUNK_FRAMES: usize = 16 * 1024;

/// Writes `audio` to `path` atomically (see [`crate::write_atomically_with`]): an existing
/// file is replaced only once the new one is complete and on disk.
///
/// Integer formats store `round(x · 2^(bits−1))` (ties away from zero) **clipped** to the
/// integer range: a sample at or beyond full scale becomes the largest (or smallest)
/// integer; nothing wraps around. With the reader's scaling by `1/2^(bits−1)` every value
/// an integer format can represent round-trips exactly, and any other in-range value comes
/// back within half a step (`2^-bits`). `Float32` stores the samples unchanged.
///
/// Up to 65 535 channels and 4 GiB of samples can be described by a WAV header; anything
/// larger is [`IoError::Unsupported`], found before the file is touched.
pub fn write_wav(path: &Path, audio: &AudioBuffer, format: SampleFormat) -> Result<(), IoError> {
    let header = header(audio, format, path)?;
    write_atomically_with(path, |w| encode(w, &header, audio, format, None).map(drop))
}

/// Writes `audio` as WAV to a resolved output (a regular file atomically, a stream or device
/// directly; see [`OutputPath`]). With `ceiling`, integer codes never exceed it: a sample
/// within the ceiling that would round one step past it rounds toward zero instead.
/// Returns how many samples were clipped at the integer format's full scale.
pub fn write_wav_output(
    output: &OutputPath,
    replace_existing: bool,
    audio: &AudioBuffer,
    format: SampleFormat,
    ceiling: Option<f32>,
) -> Result<EncodeSummary, IoError> {
    write_wav_output_with(output, replace_existing, audio, format, ceiling, None)
}

/// [`write_wav_output`] with extra chunks (e.g. a `bext` chunk, [`crate::bext_chunk`]) placed
/// before the samples; each must be a whole chunk of even length.
pub fn write_wav_output_with(
    output: &OutputPath,
    replace_existing: bool,
    audio: &AudioBuffer,
    format: SampleFormat,
    ceiling: Option<f32>,
    extra_chunks: Option<&[u8]>,
) -> Result<EncodeSummary, IoError> {
    let mut header = header(audio, format, output.requested())?;
    if let Some(extra) = extra_chunks.filter(|e| !e.is_empty()) {
        insert_before_data(&mut header, extra, output.requested())?;
    }
    let mut summary = EncodeSummary::default();
    output.write_with(replace_existing, |w| {
        summary = encode(w, &header, audio, format, ceiling)?;
        Ok(())
    })?;
    Ok(summary)
}

/// Checks, before any work is done, that `frames` frames of `channels` channels at
/// `sample_rate` fit a WAV file of `format` (4 GiB of data, 65 535 channels, the byte-rate
/// field); `path` names the output in the error.
pub fn check_wav_fits(
    path: &Path,
    channels: usize,
    frames: u64,
    sample_rate: u32,
    format: SampleFormat,
) -> Result<(), IoError> {
    let too_big = |what: String| IoError::unsupported(path, what);
    if channels > usize::from(u16::MAX) {
        return Err(too_big(format!("{channels} channels (at most 65535)")));
    }
    let block_align = channels as u64 * format.bytes() as u64;
    if block_align > u64::from(u16::MAX)
        || block_align * u64::from(sample_rate) > u64::from(u32::MAX)
    {
        return Err(too_big(format!(
            "{channels} channels of {}-bit samples at {sample_rate} Hz overflow the header's \
             byte-rate fields",
            format.bits()
        )));
    }
    let data_bytes = block_align.saturating_mul(frames);
    if data_bytes.saturating_add(MAX_HEADER_BYTES + 1) > u64::from(u32::MAX) {
        return Err(too_big(format!(
            "{data_bytes} bytes of samples exceed the 4 GiB limit of the WAV format \
             (choose a narrower --format or split the file)"
        )));
    }
    Ok(())
}

/// Writes `audio` as a WAV stream to any writer; `name` stands for it in error messages.
pub fn write_wav_to(
    writer: impl Write,
    audio: &AudioBuffer,
    format: SampleFormat,
    name: &str,
) -> Result<(), IoError> {
    let path = Path::new(name);
    let header = header(audio, format, path)?;
    encode(writer, &header, audio, format, None)
        .map(drop)
        .map_err(|e| IoError::io(path, "cannot write", e))
}

/// The bytes of the WAV file [`write_wav`] would write (to hash it, or send it elsewhere).
pub fn encode_wav(audio: &AudioBuffer, format: SampleFormat) -> Result<Vec<u8>, IoError> {
    let bytes = MAX_HEADER_BYTES as usize + 1 + audio.len() * audio.num_channels() * format.bytes();
    let mut out = Vec::with_capacity(bytes);
    write_wav_to(&mut out, audio, format, "<in-memory WAV>")?;
    Ok(out)
}

/// The complete header for `audio`, sizes filled in, after checking that they fit.
fn header(audio: &AudioBuffer, format: SampleFormat, path: &Path) -> Result<Vec<u8>, IoError> {
    header_for(
        audio.num_channels(),
        audio.len() as u64,
        audio.sample_rate(),
        format,
        path,
    )
}

/// The complete header for `frames` frames of `channels` channels at `sample_rate`.
fn header_for(
    channels: usize,
    frames: u64,
    sample_rate: u32,
    format: SampleFormat,
    path: &Path,
) -> Result<Vec<u8>, IoError> {
    check_wav_fits(path, channels, frames, sample_rate, format)?;
    if format == SampleFormat::Float64 {
        return Err(IoError::unsupported(
            path,
            "64-bit float output (it is read, not written; 32-bit float is lossless for what \
             the stages compute)",
        ));
    }
    let data_bytes = channels as u64 * format.bytes() as u64 * frames;
    let spec = hound::WavSpec {
        channels: channels as u16,
        sample_rate,
        bits_per_sample: format.bits(),
        sample_format: if format.is_float() {
            hound::SampleFormat::Float
        } else {
            hound::SampleFormat::Int
        },
    };
    // hound's header for an empty file, then the sizes patched in. Both fields are where
    // the RIFF/WAVE format puts them: the RIFF size at byte 4, the data size in the last
    // four bytes of the header (hound writes `data` as the last chunk header).
    let mut bytes = Vec::with_capacity(MAX_HEADER_BYTES as usize);
    let writer = hound::WavWriter::new(Cursor::new(&mut bytes), spec)
        .map_err(|e| IoError::unsupported(path, e.to_string()))?;
    writer
        .finalize()
        .map_err(|e| IoError::unsupported(path, e.to_string()))?;
    let n = bytes.len();
    if n < 12 || bytes[n - 8..n - 4] != *b"data" {
        return Err(IoError::unsupported(
            path,
            "hound wrote an unexpected header layout",
        ));
    }
    // An odd-sized chunk is followed by a pad byte, counted in the RIFF size.
    let padded = data_bytes + data_bytes % 2;
    let riff_size = (n as u64 - 8 + padded) as u32;
    bytes[4..8].copy_from_slice(&riff_size.to_le_bytes());
    bytes[n - 4..].copy_from_slice(&(data_bytes as u32).to_le_bytes());
    Ok(bytes)
}

/// Puts `extra` (whole chunks, even length) between the format chunk and the `data` chunk
/// header of a finished header, and grows the RIFF size by as much.
fn insert_before_data(header: &mut Vec<u8>, extra: &[u8], path: &Path) -> Result<(), IoError> {
    let n = header.len();
    if extra.len() % 2 == 1 || n < 12 || header[n - 8..n - 4] != *b"data" {
        return Err(IoError::unsupported(
            path,
            "an extra WAV chunk of odd length",
        ));
    }
    let riff = u32::from_le_bytes(header[4..8].try_into().expect("4 bytes"));
    let grown = u64::from(riff) + extra.len() as u64;
    let grown = u32::try_from(grown)
        .map_err(|_| IoError::unsupported(path, "WAV over 4 GiB with its extra chunks"))?;
    header[4..8].copy_from_slice(&grown.to_le_bytes());
    header.splice(n - 8..n - 8, extra.iter().copied());
    Ok(())
}

/// Integer quantisation: `round(x · full_scale)` with ties away from zero, then limited to
/// `[lo, hi]` — the format's range, or the narrower one a ceiling allows.
///
/// Rounds by adding ±½ and truncating, which is exact here: `x · full_scale` has at most
/// 24 significant bits (an `f32` times a power of two), so adding ½ in `f64` never rounds.
/// (`f64::round` would be a libm call per sample on baseline x86-64.)
#[derive(Clone, Copy)]
pub(crate) struct Quantiser {
    full_scale: f64,
    lo: f64,
    hi: f64,
}

impl Quantiser {
    pub(crate) fn new(format: SampleFormat, ceiling: Option<f32>) -> Self {
        let full_scale = format.full_scale().unwrap_or(1.0);
        let (mut lo, mut hi) = (-full_scale, full_scale - 1.0);
        if let Some(c) = ceiling {
            // The largest code whose value does not exceed the ceiling: a sample at the
            // ceiling rounds toward zero instead of one step over it.
            let limit = (f64::from(c.abs()) * full_scale).floor();
            hi = hi.min(limit);
            lo = lo.max(-limit);
        }
        Self { full_scale, lo, hi }
    }

    /// The code for `x`, and whether `x` lay beyond the format's own range (clipped).
    #[inline(always)]
    pub(crate) fn code(self, x: f32) -> (i32, bool) {
        let scaled = f64::from(x) * self.full_scale;
        let rounded = (scaled + 0.5f64.copysign(scaled)).trunc();
        let clipped = rounded >= self.full_scale || rounded < -self.full_scale;
        (rounded.clamp(self.lo, self.hi) as i32, clipped)
    }
}

/// What encoding did to the samples.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EncodeSummary {
    /// Samples beyond the integer format's full scale, stored as its largest (or smallest)
    /// value. Always 0 for float.
    pub clipped: u64,
}

fn encode(
    mut writer: impl Write,
    header: &[u8],
    audio: &AudioBuffer,
    format: SampleFormat,
    ceiling: Option<f32>,
) -> io::Result<EncodeSummary> {
    writer.write_all(header)?;
    let q = Quantiser::new(format, ceiling);
    let mut clipped = 0u64;
    let mut buf = Vec::with_capacity(ENCODE_CHUNK_FRAMES * audio.num_channels() * format.bytes());
    let mut start = 0;
    while start < audio.len() {
        let end = (start + ENCODE_CHUNK_FRAMES).min(audio.len());
        buf.clear();
        clipped += encode_frames(audio.channels(), start..end, format, q, &mut buf);
        writer.write_all(&buf)?;
        start = end;
    }
    let data_bytes = audio.len() * audio.num_channels() * format.bytes();
    if data_bytes % 2 == 1 {
        writer.write_all(&[0])?;
    }
    writer.flush()?;
    Ok(EncodeSummary { clipped })
}

/// Writes a WAV file of `frames` frames of `channels` channels at `sample_rate` whose samples
/// come from `next`, a chunk at a time: each call replaces the contents of its buffer with
/// the next interleaved frames (any whole number of them). Memory stays one chunk whatever
/// the length — how the single-stage commands write a long file. The header is written
/// first with the sizes `frames` promises; `next` delivering fewer frames, or more, is an
/// error and (for a regular file) leaves nothing behind, as every write here does.
/// `extra_chunks` go before the samples, as in [`write_wav_output_with`].
pub fn write_wav_stream(
    output: &OutputPath,
    replace_existing: bool,
    (channels, frames, sample_rate): (usize, u64, u32),
    format: SampleFormat,
    ceiling: Option<f32>,
    extra_chunks: Option<&[u8]>,
    next: &mut dyn FnMut(&mut Vec<f32>) -> Result<(), IoError>,
) -> Result<EncodeSummary, IoError> {
    let mut header = header_for(channels, frames, sample_rate, format, output.requested())?;
    if let Some(extra) = extra_chunks.filter(|e| !e.is_empty()) {
        insert_before_data(&mut header, extra, output.requested())?;
    }
    let mut failure = None;
    let mut summary = EncodeSummary::default();
    let written = output.write_with(replace_existing, |w| {
        w.write_all(&header)?;
        let q = Quantiser::new(format, ceiling);
        let (mut chunk, mut bytes) = (Vec::new(), Vec::new());
        let mut done = 0u64;
        while done < frames {
            if let Err(e) = next(&mut chunk) {
                failure = Some(e);
                return Err(io::Error::other("the input failed"));
            }
            let got = (chunk.len() / channels.max(1)) as u64;
            if got == 0 || done + got > frames || chunk.len() % channels.max(1) != 0 {
                failure = Some(IoError::unsupported(
                    output.requested(),
                    format!(
                        "the processed stream delivered {} frames, not {frames}",
                        done + got
                    ),
                ));
                return Err(io::Error::other("the stream's length is wrong"));
            }
            bytes.clear();
            summary.clipped += encode_frames(
                std::slice::from_ref(&chunk),
                0..chunk.len(),
                format,
                q,
                &mut bytes,
            );
            w.write_all(&bytes)?;
            done += got;
        }
        if (frames * channels as u64 * format.bytes() as u64) % 2 == 1 {
            w.write_all(&[0])?;
        }
        w.flush()
    });
    match (written, failure) {
        (_, Some(e)) => Err(e),
        (Err(e), None) => Err(e),
        (Ok(()), None) => Ok(summary),
    }
}

/// Appends frames `range` of the planar `channels`, interleaved and encoded in `format`, to
/// `out`; returns how many samples were clipped. Already interleaved samples are one
/// "channel" here: encoding them in order is their interleaving.
fn encode_frames(
    channels: &[Vec<f32>],
    range: std::ops::Range<usize>,
    format: SampleFormat,
    q: Quantiser,
    out: &mut Vec<u8>,
) -> u64 {
    let mut clipped = 0u64;
    let mut code = |x: f32| {
        let (c, over) = q.code(x);
        clipped += u64::from(over);
        c
    };
    match format {
        SampleFormat::Float32 => interleave(channels, range, out, f32::to_le_bytes),
        SampleFormat::Float64 => interleave(channels, range, out, |x| f64::from(x).to_le_bytes()),
        // WAV stores 8-bit samples unsigned, offset by 128.
        SampleFormat::Int8 => interleave(channels, range, out, |x| [(code(x) + 128) as u8]),
        SampleFormat::Int16 => interleave(channels, range, out, |x| (code(x) as i16).to_le_bytes()),
        SampleFormat::Int24 => interleave(channels, range, out, |x| {
            let b = code(x).to_le_bytes();
            [b[0], b[1], b[2]]
        }),
        SampleFormat::Int32 => interleave(channels, range, out, |x| code(x).to_le_bytes()),
    }
    clipped
}

/// Appends frames `range` of the planar `channels`, interleaved and encoded, to `out`.
#[inline(always)]
fn interleave<const B: usize>(
    channels: &[Vec<f32>],
    range: std::ops::Range<usize>,
    out: &mut Vec<u8>,
    mut encode: impl FnMut(f32) -> [u8; B],
) {
    let frame_bytes = B * channels.len();
    let start = out.len();
    out.resize(start + range.len() * frame_bytes, 0);
    let frames = out[start..].chunks_exact_mut(frame_bytes);
    if let [mono] = channels {
        for (slot, &x) in frames.zip(&mono[range]) {
            slot.copy_from_slice(&encode(x));
        }
        return;
    }
    for (slot, frame) in frames.zip(range) {
        for (sample, channel) in slot.chunks_exact_mut(B).zip(channels) {
            sample.copy_from_slice(&encode(channel[frame]));
        }
    }
}
