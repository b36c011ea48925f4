//! FLAC output with `flacenc`, frame by frame.
//!
//! flacenc's whole-file entry point (`encode_with_fixed_block_size`) keeps every encoded
//! frame as a structure until the end (≈ 2.5 GB for an hour of stereo). Here each block of
//! 4096 frames is quantised (with the WAV writer's rounding and ceiling), encoded, and
//! serialised at once; only the compressed bytes are kept, so that
//! STREAMINFO — whose frame sizes, MD5 and sample count are known only at the end — can be
//! written first even to a pipe. The compressed frames wait in an unnamed temporary file
//! beside the output, not in memory, so an hour of audio costs one batch of blocks (32,
//! encoded across the cores) of memory.

use std::io::{Seek, SeekFrom, Write};

use auralis_core::AudioBuffer;
use flacenc::bitsink::ByteSink;
use flacenc::component::{BitRepr, MetadataBlockData, Stream};
use flacenc::error::Verify;
use flacenc::source::{Context, Fill, FrameBuf};
use rayon::prelude::*;

use crate::error::IoError;
use crate::format::SampleFormat;
use crate::output::OutputPath;
use crate::write::{EncodeSummary, Quantiser};

/// Samples per channel per FLAC frame (flacenc's and libFLAC's default).
pub const FLAC_BLOCK: usize = 4096;
/// Frames encoded at once, spread over rayon's threads (flacenc's LPC search is the costly
/// part of a FLAC master: 180 s took 2.1 s on one core).
const BATCH_BLOCKS: usize = 32;

fn flac_error(path: &OutputPath, e: impl std::fmt::Display) -> IoError {
    IoError::unsupported(path.requested(), format!("FLAC encoding failed: {e}"))
}

/// The VORBIS_COMMENT block's body: vendor string and `KEY=value` comments, lengths as
/// little-endian `u32` (the Vorbis comment format FLAC uses). Keys are limited to the
/// printable ASCII a field name may hold, upper-cased; pairs with an empty key are dropped.
fn vorbis_comment(tags: &[(String, String)]) -> Vec<u8> {
    let vendor = concat!("auralis ", env!("CARGO_PKG_VERSION"));
    let clean: Vec<String> = tags
        .iter()
        .filter_map(|(k, v)| {
            let key: String = k
                .chars()
                .filter(|c| (' '..='}').contains(c) && *c != '=')
                .collect::<String>()
                .to_ascii_uppercase();
            (!key.is_empty()).then(|| format!("{key}={v}"))
        })
        .collect();
    let mut out = Vec::new();
    out.extend_from_slice(&(vendor.len() as u32).to_le_bytes());
    out.extend_from_slice(vendor.as_bytes());
    out.extend_from_slice(&(clean.len() as u32).to_le_bytes());
    for c in &clean {
        out.extend_from_slice(&(c.len() as u32).to_le_bytes());
        out.extend_from_slice(c.as_bytes());
    }
    out
}

/// FLAC's metadata block type of Vorbis comments.
const VORBIS_COMMENT_BLOCK: u8 = 4;
/// FLAC's metadata block type of pictures (cover art).
const PICTURE_BLOCK: u8 = 6;

/// The longest metadata block body FLAC can describe (a 24-bit length).
pub const MAX_METADATA_BLOCK: usize = (1 << 24) - 1;

/// What a FLAC output carries besides its audio.
#[derive(Debug, Clone, Copy, Default)]
pub struct FlacMetadata<'a> {
    /// Vorbis comments (`KEY`, value).
    pub tags: &'a [(String, String)],
    /// PICTURE block bodies (as [`crate::read_pictures`] returns them).
    pub pictures: &'a [Vec<u8>],
}

/// Encodes `audio` as FLAC of `format` (16- or 24-bit integer) and writes it to `output`
/// (atomically for a regular file, as the WAV writer does), with `metadata`'s tags as Vorbis
/// comments (none: no comment block) and its pictures. With `ceiling`, codes never exceed
/// it.
pub fn write_flac_output(
    output: &OutputPath,
    replace_existing: bool,
    audio: &AudioBuffer,
    format: SampleFormat,
    ceiling: Option<f32>,
    metadata: FlacMetadata<'_>,
) -> Result<EncodeSummary, IoError> {
    let mut start = 0;
    let mut next = |chunk: &mut Vec<f32>| -> Result<(), IoError> {
        let end = (start + FLAC_BLOCK).min(audio.len());
        chunk.clear();
        for i in start..end {
            chunk.extend(audio.channels().iter().map(|c| c[i]));
        }
        start = end;
        Ok(())
    };
    write_flac_stream(
        output,
        replace_existing,
        (
            audio.num_channels(),
            audio.len() as u64,
            audio.sample_rate(),
        ),
        format,
        ceiling,
        metadata,
        &mut next,
    )
}

/// [`write_flac_output`] for `frames` frames that `next` delivers a chunk at a time (each
/// call replaces its buffer's contents with the next interleaved frames, any whole number),
/// with `metadata`'s comments and pictures:
/// the encoded frames go to an unnamed temporary file beside the output until STREAMINFO
/// (sizes, MD5) is known, so memory holds one batch of blocks (their codes and encoded
/// frames) whatever the length.
pub fn write_flac_stream(
    output: &OutputPath,
    replace_existing: bool,
    (channels, total, sample_rate): (usize, u64, u32),
    format: SampleFormat,
    ceiling: Option<f32>,
    metadata: FlacMetadata<'_>,
    next: &mut dyn FnMut(&mut Vec<f32>) -> Result<(), IoError>,
) -> Result<EncodeSummary, IoError> {
    let bits = match format {
        SampleFormat::Int16 => 16,
        SampleFormat::Int24 => 24,
        other => {
            return Err(IoError::unsupported(
                output.requested(),
                format!("FLAC holds 16- or 24-bit integers here, not {other:?}"),
            ))
        }
    };
    if channels > 8 {
        return Err(IoError::unsupported(
            output.requested(),
            format!("FLAC holds at most 8 channels, not {channels}"),
        ));
    }
    // A metadata block's length is 24 bits; flacenc would write a longer one's length
    // truncated, and the file would not parse.
    let too_long = |len: usize, what: &str| {
        (len > MAX_METADATA_BLOCK).then(|| {
            IoError::unsupported(
                output.requested(),
                format!("{what} of {len} bytes is more than a FLAC metadata block holds ({MAX_METADATA_BLOCK})"),
            )
        })
    };
    if let Some(e) = metadata
        .pictures
        .iter()
        .find_map(|p| too_long(p.len(), "a picture"))
    {
        return Err(e);
    }
    let comment = (!metadata.tags.is_empty()).then(|| vorbis_comment(metadata.tags));
    if let Some(e) = comment.as_ref().and_then(|c| too_long(c.len(), "the tags")) {
        return Err(e);
    }
    let config = flacenc::config::Encoder::default()
        .into_verified()
        .map_err(|(_, e)| flac_error(output, e))?;
    let mut stream =
        Stream::new(sample_rate as usize, channels, bits).map_err(|e| flac_error(output, e))?;
    // MD5 of every code in order (STREAMINFO's); the frames themselves are encoded apart.
    let mut context = Context::new(bits, channels);
    let q = Quantiser::new(format, ceiling);
    let mut summary = EncodeSummary::default();
    let scratch =
        |e: std::io::Error| IoError::io(output.requested(), "cannot write a temporary file", e);
    let mut frames_file = std::io::BufWriter::with_capacity(
        256 * 1024,
        tempfile::tempfile_in(output.scratch_dir()).map_err(scratch)?,
    );
    let (mut pending, mut chunk) = (Vec::new(), Vec::new());
    let mut batch: Vec<Vec<i32>> = Vec::with_capacity(BATCH_BLOCKS);
    let (mut delivered, mut number) = (0u64, 0usize);
    let block = FLAC_BLOCK * channels;
    loop {
        // Whole blocks of FLAC_BLOCK frames (the last one shorter), whatever `next` delivers.
        while batch.len() < BATCH_BLOCKS {
            while pending.len() < block && delivered < total {
                next(&mut chunk)?;
                let got = (chunk.len() / channels.max(1)) as u64;
                if got == 0 || delivered + got > total || chunk.len() % channels.max(1) != 0 {
                    return Err(IoError::unsupported(
                        output.requested(),
                        format!(
                            "the processed stream delivered {} frames, not {total}",
                            delivered + got
                        ),
                    ));
                }
                delivered += got;
                pending.extend_from_slice(&chunk);
            }
            if pending.is_empty() {
                break;
            }
            let take = block.min(pending.len());
            let mut codes = Vec::with_capacity(take);
            for &x in &pending[..take] {
                let (code, clipped) = q.code(x);
                summary.clipped += u64::from(clipped);
                codes.push(code);
            }
            pending.drain(..take);
            context
                .fill_interleaved(&codes)
                .map_err(|e| flac_error(output, e))?;
            batch.push(codes);
        }
        if batch.is_empty() {
            break;
        }
        // Each frame is a function of its own samples and number only: encoded on any
        // thread, written in order, the same bytes.
        let info = stream.stream_info();
        let encoded: Vec<_> = batch
            .par_iter()
            .enumerate()
            .map(|(i, codes)| {
                let mut buffer =
                    FrameBuf::with_size(channels, FLAC_BLOCK).map_err(|e| flac_error(output, e))?;
                buffer
                    .fill_interleaved(codes)
                    .map_err(|e| flac_error(output, e))?;
                let frame = flacenc::encode_fixed_size_frame(&config, &buffer, number + i, info)
                    .map_err(|e| flac_error(output, e))?;
                let mut sink = ByteSink::new();
                frame.write(&mut sink).map_err(|e| flac_error(output, e))?;
                Ok((frame, sink))
            })
            .collect::<Result<_, IoError>>()?;
        for (frame, sink) in encoded {
            stream.stream_info_mut().update_frame_info(&frame);
            frames_file.write_all(sink.as_slice()).map_err(scratch)?;
        }
        number += batch.len();
        batch.clear();
    }
    let info = stream.stream_info_mut();
    // Fixed-size blocks: the minimum excludes the last, shorter block (as libFLAC writes it
    // and flacenc's own whole-file path does).
    let block = FLAC_BLOCK.min(total as usize).max(16);
    info.set_block_sizes(block, block)
        .map_err(|e| flac_error(output, e))?;
    info.set_md5_digest(&context.md5_digest());
    info.set_total_samples(total as usize);
    if let Some(comment) = &comment {
        let block = MetadataBlockData::new_unknown(VORBIS_COMMENT_BLOCK, comment)
            .map_err(|e| flac_error(output, e))?;
        stream.add_metadata_block(block);
    }
    for picture in metadata.pictures {
        let block = MetadataBlockData::new_unknown(PICTURE_BLOCK, picture)
            .map_err(|e| flac_error(output, e))?;
        stream.add_metadata_block(block);
    }
    let mut head = ByteSink::new();
    stream.write(&mut head).map_err(|e| flac_error(output, e))?;
    let mut frames_file = frames_file
        .into_inner()
        .map_err(|e| scratch(e.into_error()))?;
    frames_file.seek(SeekFrom::Start(0)).map_err(scratch)?;
    output.write_with(replace_existing, |w| {
        w.write_all(head.as_slice())?;
        std::io::copy(&mut frames_file, w)?;
        w.flush()
    })?;
    Ok(summary)
}
