//! FLAC output with `flacenc`, frame by frame.
//!
//! flacenc's whole-file entry point (`encode_with_fixed_block_size`) keeps every encoded
//! frame as a structure until the end (≈ 2.5 GB for an hour of stereo). Here each block of
//! 4096 frames is quantised (with the WAV writer's rounding and ceiling), encoded, and
//! serialised at once into a byte buffer; only the compressed bytes are kept, so that
//! STREAMINFO — whose frame sizes, MD5 and sample count are known only at the end — can be
//! written first even to a pipe. A file written chunk by chunk from a stream (the
//! mastering issue's bounded-memory path) will rewrite STREAMINFO in place instead.

use auralis_core::AudioBuffer;
use flacenc::bitsink::ByteSink;
use flacenc::component::{BitRepr, MetadataBlockData, Stream};
use flacenc::error::Verify;
use flacenc::source::{Context, Fill, FrameBuf};

use crate::error::IoError;
use crate::format::SampleFormat;
use crate::output::OutputPath;
use crate::write::{EncodeSummary, Quantiser};

/// Samples per channel per FLAC frame (flacenc's and libFLAC's default).
pub const FLAC_BLOCK: usize = 4096;

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

/// Encodes `audio` as FLAC of `format` (16- or 24-bit integer) and writes it to `output`
/// (atomically for a regular file, as the WAV writer does), with `tags` as Vorbis comments
/// (none: no comment block). With `ceiling`, codes never exceed it.
pub fn write_flac_output(
    output: &OutputPath,
    replace_existing: bool,
    audio: &AudioBuffer,
    format: SampleFormat,
    ceiling: Option<f32>,
    tags: &[(String, String)],
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
    let channels = audio.num_channels();
    if channels > 8 {
        return Err(IoError::unsupported(
            output.requested(),
            format!("FLAC holds at most 8 channels, not {channels}"),
        ));
    }
    let config = flacenc::config::Encoder::default()
        .into_verified()
        .map_err(|(_, e)| flac_error(output, e))?;
    let mut stream = Stream::new(audio.sample_rate() as usize, channels, bits)
        .map_err(|e| flac_error(output, e))?;
    let mut buffer = (
        FrameBuf::with_size(channels, FLAC_BLOCK).map_err(|e| flac_error(output, e))?,
        Context::new(bits, channels),
    );
    let q = Quantiser::new(format, ceiling);
    let mut summary = EncodeSummary::default();
    let mut interleaved = Vec::with_capacity(FLAC_BLOCK * channels);
    let mut frames = ByteSink::new();
    for (number, start) in (0..audio.len()).step_by(FLAC_BLOCK).enumerate() {
        let end = (start + FLAC_BLOCK).min(audio.len());
        interleaved.clear();
        for i in start..end {
            for c in audio.channels() {
                let (code, clipped) = q.code(c[i]);
                summary.clipped += u64::from(clipped);
                interleaved.push(code);
            }
        }
        buffer
            .fill_interleaved(&interleaved)
            .map_err(|e| flac_error(output, e))?;
        let frame =
            flacenc::encode_fixed_size_frame(&config, &buffer.0, number, stream.stream_info())
                .map_err(|e| flac_error(output, e))?;
        stream.stream_info_mut().update_frame_info(&frame);
        frame
            .write(&mut frames)
            .map_err(|e| flac_error(output, e))?;
    }
    let (_, context) = buffer;
    let info = stream.stream_info_mut();
    // Fixed-size blocks: the minimum excludes the last, shorter block (as libFLAC writes it
    // and flacenc's own whole-file path does).
    let block = FLAC_BLOCK.min(audio.len()).max(16);
    info.set_block_sizes(block, block)
        .map_err(|e| flac_error(output, e))?;
    info.set_md5_digest(&context.md5_digest());
    info.set_total_samples(audio.len());
    if !tags.is_empty() {
        let block = MetadataBlockData::new_unknown(VORBIS_COMMENT_BLOCK, &vorbis_comment(tags))
            .map_err(|e| flac_error(output, e))?;
        stream.add_metadata_block(block);
    }
    let mut head = ByteSink::new();
    stream.write(&mut head).map_err(|e| flac_error(output, e))?;
    output.write_with(replace_existing, |w| {
        w.write_all(head.as_slice())?;
        w.write_all(frames.as_slice())?;
        w.flush()
    })?;
    Ok(summary)
}
