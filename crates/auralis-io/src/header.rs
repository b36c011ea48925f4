//! Parsing a WAV header: a RIFF (or RF64/BW64) chunk walk that leaves the reader at the first
//! sample byte.
//!
//! Written here rather than borrowed, because neither library at hand reads the files users
//! have: hound refused a chunk of odd length before `data` (as DAWs write `LIST`, `bext`,
//! `iXML` — the pad byte made it report "truncated?"), 64-bit float, and
//! WAVE_FORMAT_EXTENSIBLE with padded containers (20-in-24, 24-in-32); symphonia 0.6.1
//! reads an odd `LIST` one byte off, panics on three crafted `fmt ` chunks (overflowing
//! multiplications and shifts in debug builds), refuses RF64 and invents an LFE channel for
//! plain multichannel PCM. What this walker accepts:
//!
//! * `RIFF`/`WAVE`, and `RF64`/`BW64` with their `ds64` chunk (64-bit sizes: files over
//!   4 GiB);
//! * any chunk order before `data`, odd sizes followed by their pad byte, unknown chunks
//!   skipped;
//! * format tags PCM (1), IEEE float (3) and WAVE_FORMAT_EXTENSIBLE (0xFFFE, PCM or float
//!   sub-format) with its valid-bits and channel mask. Integer samples are MSB-aligned in
//!   their container (the WAVE rule), so a 20-in-24 file decodes exactly as 24-bit;
//! * a `data` size of `0xFFFFFFFF` (streaming writers that never came back to fill it in):
//!   the data runs to the end of the file.
//!
//! Everything else is a typed error saying what the file is and why it is not read.

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
    /// The header gave no data size (`0xFFFFFFFF`): the samples run to the end of the
    /// stream, and `spec.frames` is filled in from the file size where there is one.
    pub length_unknown: bool,
}

/// The tail shared by the KSDATAFORMAT sub-format GUIDs: `xxxxxxxx-0000-0010-8000-00aa00389b71`.
const GUID_TAIL: [u8; 14] = [
    0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71,
];
const TAG_PCM: u16 = 1;
const TAG_FLOAT: u16 = 3;
const TAG_EXTENSIBLE: u16 = 0xFFFE;
/// `fmt ` bytes looked at; the rest of a longer chunk is skipped.
const FMT_BYTES_READ: usize = 40;
/// A `data` size meaning "unknown": the samples run to the end of the stream.
const UNKNOWN_SIZE: u32 = u32::MAX;

/// A reader that counts what it hands out and tells a clean end from a failure.
struct Counted<'a, R> {
    inner: &'a mut R,
    consumed: u64,
}

impl<R: Read> Counted<'_, R> {
    /// Reads exactly `buf.len()` bytes; `Ok(false)` if the stream ended first.
    fn fill(&mut self, buf: &mut [u8]) -> io::Result<bool> {
        let mut filled = 0;
        while filled < buf.len() {
            match self.inner.read(&mut buf[filled..]) {
                Ok(0) => return Ok(false),
                Ok(n) => {
                    filled += n;
                    self.consumed += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    }

    /// Skips `n` bytes; `Ok(false)` if the stream ended first.
    fn skip(&mut self, n: u64) -> io::Result<bool> {
        let copied = io::copy(&mut self.inner.by_ref().take(n), &mut io::sink())?;
        self.consumed += copied;
        Ok(copied == n)
    }
}

/// What the `fmt ` chunk says.
#[derive(Clone, Copy, Debug)]
struct Fmt {
    tag: u16,
    channels: u16,
    sample_rate: u32,
    block_align: u16,
    bits: u16,
    valid_bits: u16,
    channel_mask: u32,
    tag_was_extensible: bool,
}

fn le16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn le64(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(std::array::from_fn(|i| b[at + i]))
}

/// Whether a file's first four bytes name a RIFF-family container (`RIFF`, `RF64`, `BW64`,
/// `RIFX`): the files this crate's own WAV reader handles.
pub(crate) fn is_riff_family(magic: &[u8; 4]) -> bool {
    matches!(magic, b"RIFF" | b"RF64" | b"BW64" | b"RIFX")
}

/// Reads the header from `reader`, leaving it at the first sample byte.
pub(crate) fn read_header<R: Read>(reader: &mut R, path: &Path) -> Result<Header, IoError> {
    let mut r = Counted {
        inner: reader,
        consumed: 0,
    };
    let io_err = |e: io::Error| IoError::io(path, "cannot read", e);
    let ended = |consumed: u64, inside: &str| {
        if consumed == 0 {
            IoError::corrupt(path, "the file is empty (0 bytes)")
        } else {
            IoError::corrupt(
                path,
                format!("the file ends after {consumed} bytes, inside the {inside} (truncated?)"),
            )
        }
    };
    let mut riff = [0u8; 12];
    if !r.fill(&mut riff).map_err(io_err)? {
        return Err(ended(r.consumed, "RIFF header"));
    }
    let sixty_four = match &riff[..4] {
        b"RIFF" => false,
        b"RF64" | b"BW64" => true,
        b"RIFX" => {
            return Err(IoError::unsupported(
                path,
                "big-endian RIFX WAV (only little-endian RIFF is read)",
            ))
        }
        _ => return Err(IoError::corrupt(path, "no RIFF header (is it a WAV file?)")),
    };
    if &riff[8..12] != b"WAVE" {
        return Err(IoError::corrupt(path, "a RIFF file, but not WAVE"));
    }
    let riff_size = le32(&riff, 4);
    let mut ds64_data_size: Option<u64> = None;
    let mut fmt: Option<Fmt> = None;
    loop {
        let mut head = [0u8; 8];
        if !r.fill(&mut head).map_err(io_err)? {
            return Err(if fmt.is_none() {
                ended(r.consumed, "header, before the `fmt ` chunk")
            } else {
                IoError::corrupt(path, "no `data` chunk (the file holds no samples)")
            });
        }
        let id = [head[0], head[1], head[2], head[3]];
        let size = le32(&head, 4);
        match &id {
            b"ds64" if sixty_four => {
                let mut body = [0u8; 28];
                let want = (size as usize).min(body.len());
                if size < 24 || !r.fill(&mut body[..want]).map_err(io_err)? {
                    return Err(IoError::corrupt(
                        path,
                        "RF64 file with a short `ds64` chunk",
                    ));
                }
                ds64_data_size = Some(le64(&body, 8));
                skip_rest(&mut r, u64::from(size) - want as u64, path, "`ds64` chunk")?;
            }
            b"fmt " => {
                if size < 16 {
                    return Err(IoError::corrupt(
                        path,
                        format!("the `fmt ` chunk is {size} bytes; at least 16 are needed"),
                    ));
                }
                let mut body = [0u8; FMT_BYTES_READ];
                let want = (size as usize).min(FMT_BYTES_READ);
                if !r.fill(&mut body[..want]).map_err(io_err)? {
                    return Err(ended(r.consumed, "`fmt ` chunk"));
                }
                fmt = Some(parse_fmt(&body[..want], path)?);
                skip_rest(&mut r, u64::from(size) - want as u64, path, "`fmt ` chunk")?;
            }
            b"data" => {
                let fmt = fmt.ok_or_else(|| {
                    IoError::corrupt(path, "the `data` chunk comes before any `fmt ` chunk")
                })?;
                let declared = match (sixty_four, size, ds64_data_size) {
                    (true, UNKNOWN_SIZE, Some(big)) => Some(big),
                    (true, UNKNOWN_SIZE, None) => {
                        return Err(IoError::corrupt(path, "RF64 file without a `ds64` chunk"))
                    }
                    // 0xFFFFFFFF in a RIFF file (or a RIFF size of it): written by a
                    // streaming writer that never filled the sizes in.
                    // …unless the RIFF size is real: then the data ends where the RIFF
                    // chunk does (bytes appended after it, an ID3 tag say, are not audio).
                    (false, UNKNOWN_SIZE, _) if riff_size != UNKNOWN_SIZE && riff_size != 0 => {
                        Some((u64::from(riff_size) + 8).saturating_sub(r.consumed))
                    }
                    (false, UNKNOWN_SIZE, _) => None,
                    (false, 0, _) if riff_size == UNKNOWN_SIZE || riff_size == 0 => None,
                    (_, n, _) => Some(u64::from(n)),
                };
                return header_from(fmt, declared, r.consumed, path);
            }
            _ => {
                // Any other chunk (LIST, bext, iXML, fact, cue, JUNK, …), with its pad byte.
                let padded = u64::from(size) + u64::from(size % 2);
                skip_rest(&mut r, padded, path, "a chunk before the samples")?;
                continue;
            }
        }
        // The pad byte after an odd-sized `fmt ` or `ds64` chunk.
        if size % 2 == 1 {
            skip_rest(&mut r, 1, path, "a chunk's pad byte")?;
        }
    }
}

fn skip_rest<R: Read>(
    r: &mut Counted<'_, R>,
    n: u64,
    path: &Path,
    inside: &str,
) -> Result<(), IoError> {
    if r.skip(n).map_err(|e| IoError::io(path, "cannot read", e))? {
        Ok(())
    } else {
        Err(IoError::corrupt(
            path,
            format!(
                "the file ends after {} bytes, inside {inside} (truncated?)",
                r.consumed
            ),
        ))
    }
}

fn parse_fmt(b: &[u8], path: &Path) -> Result<Fmt, IoError> {
    let mut fmt = Fmt {
        tag: le16(b, 0),
        channels: le16(b, 2),
        sample_rate: le32(b, 4),
        block_align: le16(b, 12),
        bits: le16(b, 14),
        valid_bits: le16(b, 14),
        channel_mask: 0,
        tag_was_extensible: false,
    };
    if fmt.tag == TAG_EXTENSIBLE {
        if b.len() < 40 || le16(b, 16) < 22 {
            return Err(IoError::corrupt(
                path,
                "WAVE_FORMAT_EXTENSIBLE without its 22-byte extension",
            ));
        }
        let valid = le16(b, 18);
        fmt.valid_bits = if valid == 0 { fmt.bits } else { valid };
        fmt.channel_mask = le32(b, 20);
        let guid = &b[24..40];
        if guid[2..] != GUID_TAIL {
            return Err(IoError::unsupported(
                path,
                "WAVE_FORMAT_EXTENSIBLE with a non-standard sub-format GUID",
            ));
        }
        fmt.tag = le16(guid, 0);
        fmt.tag_was_extensible = true;
    }
    Ok(fmt)
}

/// Validates the format and turns it into a [`Header`].
fn header_from(
    fmt: Fmt,
    declared_bytes: Option<u64>,
    data_offset: u64,
    path: &Path,
) -> Result<Header, IoError> {
    let format = match (fmt.tag, fmt.bits) {
        (TAG_PCM, 8) => SampleFormat::Int8,
        (TAG_PCM, 16) => SampleFormat::Int16,
        (TAG_PCM, 24) => SampleFormat::Int24,
        (TAG_PCM, 32) => SampleFormat::Int32,
        (TAG_FLOAT, 32) => SampleFormat::Float32,
        (TAG_FLOAT, 64) => SampleFormat::Float64,
        (TAG_PCM, bits) => {
            return Err(IoError::unsupported(
                path,
                format!(
                    "{bits}-bit integer containers (8, 16, 24 and 32 are read; a 20-bit \
                     sample lives in a 24-bit container)"
                ),
            ))
        }
        (TAG_FLOAT, bits) => {
            return Err(IoError::unsupported(
                path,
                format!("{bits}-bit float samples (32- and 64-bit float are read)"),
            ))
        }
        (tag, _) => {
            return Err(IoError::unsupported(
                path,
                format!(
                    "format tag 0x{tag:04X} ({}); integer PCM and IEEE float are read",
                    codec_name(tag)
                ),
            ))
        }
    };
    if fmt.channels == 0 {
        return Err(IoError::audio(path, AudioError::NoChannels));
    }
    if fmt.valid_bits == 0 || fmt.valid_bits > fmt.bits {
        return Err(IoError::corrupt(
            path,
            format!(
                "{} valid bits in a {}-bit container",
                fmt.valid_bits, fmt.bits
            ),
        ));
    }
    let frame_bytes = u64::from(fmt.channels) * format.bytes() as u64;
    if u64::from(fmt.block_align) != frame_bytes {
        return Err(IoError::corrupt(
            path,
            format!(
                "the header's block align is {} bytes, but {} channels of {}-bit samples take \
                 {frame_bytes} per frame",
                fmt.block_align, fmt.channels, fmt.bits
            ),
        ));
    }
    check_sample_rate(fmt.sample_rate).map_err(|e| IoError::audio(path, e))?;
    let channels = usize::from(fmt.channels);
    let frames = declared_bytes.map_or(u64::MAX, |bytes| bytes / frame_bytes);
    if frames == 0 {
        return Err(IoError::audio(path, AudioError::Empty));
    }
    // An extensible mask of 0 is a statement too ("no speaker positions": stems,
    // ambisonics), kept; the default mask for the count says nothing beyond the count.
    let default_mask = default_channel_mask(channels);
    let channel_mask =
        (fmt.tag_was_extensible && fmt.channel_mask != default_mask).then_some(fmt.channel_mask);
    Ok(Header {
        spec: WavSpec {
            channels,
            sample_rate: fmt.sample_rate,
            format,
            valid_bits: fmt.valid_bits,
            frames,
            channel_mask,
        },
        data_offset,
        length_unknown: declared_bytes.is_none(),
    })
}

/// The channel mask a writer uses when it has nothing to say: the first `n` speaker
/// positions (FL, FR, FC, LFE, BL, BR, …), as hound writes it. A file declaring exactly
/// that mask carries no layout beyond its channel count.
pub(crate) fn default_channel_mask(channels: usize) -> u32 {
    let n = channels.min(18) as u32;
    if n == 32 {
        u32::MAX
    } else {
        (1u32 << n) - 1
    }
}

/// A name for the common compressed WAV encodings, for the error message.
fn codec_name(tag: u16) -> &'static str {
    match tag {
        0x0002 => "Microsoft ADPCM",
        0x0006 => "A-law",
        0x0007 => "µ-law",
        0x0011 => "IMA ADPCM",
        0x0050 => "MPEG audio",
        0x0055 => "MP3",
        0x0000 => "unknown",
        _ => "a compressed encoding",
    }
}
