//! The parallel variant: the vectorized engine on rayon, over channels × blocks of frames.
//!
//! Each block owns a disjoint range of output samples — one chunk of the output buffer, so no
//! two threads ever write the same sample and no per-block buffers are needed. A block
//! computes every frame that touches its range, including the `fft/hop − 1` frames at its end
//! that reach into the next block's range (plus one more to complete the last frame pair);
//! the next block computes those again, and each keeps only its own share of their output. Every output sample therefore receives the same frame contributions, computed from
//! the same frame pairs and added in the same order as in the vectorized variant: the result
//! is bit-identical to it, and so cannot depend on the number of threads or on scheduling.
//!
//! The block size depends only on the input length (about 16 blocks per channel, at least 64
//! frames so the recomputed frames cost ≤ 6 %; ≈ 0.8 % on a 3-minute track).

use auralis_core::{AudioBuffer, Result};
use rayon::prelude::*;

use crate::packed::PackedFilter;
use crate::settings::EqSettings;

/// Blocks per channel aimed for; more than enough to balance a few cores.
const TARGET_BLOCKS_PER_CHANNEL: usize = 16;
/// Smallest block, in frames: bounds the redundant work at `overlap / MIN_BLOCK_FRAMES`.
const MIN_BLOCK_FRAMES: usize = 64;

pub(crate) fn process(
    audio: &AudioBuffer,
    settings: &EqSettings,
    mut outputs: Vec<Vec<f32>>,
) -> Result<AudioBuffer> {
    let filter = PackedFilter::new(settings, audio.sample_rate());
    let layout = filter.layout;
    let len = audio.len();
    let total_frames = filter.paired_frame_count(len);
    let block_frames = block_frames(total_frames);
    let block_samples = block_frames * layout.hop;

    let mut tasks: Vec<(&[f32], usize, &mut [f32])> = Vec::new();
    for (input, output) in audio.channels().iter().zip(outputs.iter_mut()) {
        for (block, out) in output.chunks_mut(block_samples).enumerate() {
            tasks.push((input.as_slice(), block, out));
        }
    }
    // Each task checks its own block for non-finite output (possible only for inputs near
    // f32::MAX boosted by the gains) right after writing it, in parallel and while it is
    // still cached, so the buffer below needs no second sequential pass over 64 MB.
    let any_non_finite = tasks
        .into_par_iter()
        .map_init(
            || filter.scratch(),
            |scratch, (input, block, out)| {
                // Frames touching output block b: b·F ..= (b+1)·F + R − 2; the range is
                // rounded up to whole pairs.
                let first = block * block_frames;
                let last = ((block + 1) * block_frames + layout.overlap()).min(total_frames);
                filter.filter_frames(input, first..last, out, block * block_samples, scratch);
                auralis_core::first_non_finite(out).is_some()
            },
        )
        .reduce(|| false, |a, b| a || b);
    if any_non_finite {
        // Rare: let the full check name the channel and sample.
        return Ok(AudioBuffer::from_stage_output(
            outputs,
            audio.sample_rate(),
        )?);
    }
    Ok(AudioBuffer::from_checked_finite(
        outputs,
        audio.sample_rate(),
    )?)
}

/// Frames per block for a channel of `total_frames` frames: even (blocks start on a pair
/// boundary), about `total / 16`, at least [`MIN_BLOCK_FRAMES`].
fn block_frames(total_frames: usize) -> usize {
    total_frames
        .div_ceil(TARGET_BLOCKS_PER_CHANNEL)
        .max(MIN_BLOCK_FRAMES)
        .next_multiple_of(2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_even_and_bounded() {
        assert_eq!(block_frames(2), 64);
        assert_eq!(block_frames(218), 64);
        assert_eq!(block_frames(7756), 486);
        for total in [2, 100, 1000, 7756, 100_000] {
            let f = block_frames(total);
            assert_eq!(f % 2, 0);
            assert!(f >= MIN_BLOCK_FRAMES);
            assert!(total.div_ceil(f) <= TARGET_BLOCKS_PER_CHANNEL);
        }
    }
}
