//! The parallel implementation: the vectorized per-frame computation spread over threads,
//! with the smoothing recurrence applied afterwards, in order — which makes it exact.
//!
//! Frames are processed in waves (see [`wave_frames`]) so memory stays bounded whatever the
//! length, hop or band count (one wave of band levels: 2048 × 64 × 8 B = 1 MiB at the
//! defaults). Per wave:
//!
//! 1. in parallel, over blocks of [`BLOCK_FRAMES`] frames, each thread computes weighted band
//!    levels with its own FFT buffers (allocated once per rayon work item, not per frame);
//! 2. sequentially, the smoothing recurrence and the level sums, in frame order;
//! 3. in parallel, each frame's features (the `exp` of every band level is the costly part);
//! 4. sequentially, the feature sums, in frame order.
//!
//! Every frame's numbers are computed by the same code as in the vectorized implementation
//! and every sum is taken in frame order, so the result is bit-identical to the vectorized
//! one and cannot depend on the number of threads. Block and wave sizes follow from the
//! settings alone, never from the thread count.

use auralis_core::Result;
use rayon::prelude::*;

use crate::analysis::{Analysis, FrameLevels};
use crate::features::{frame_features, FrameFeatures, Smoother};
use crate::result::{SpectrumResult, Summary};
use crate::simd::VectorizedPlan;

/// Frames per parallel work item: enough to amortise scheduling, small enough to balance
/// two to a few dozen cores over one wave.
pub const BLOCK_FRAMES: usize = 32;
/// Band levels held per wave (1 MiB of `f64`): 2048 frames at the default 64 bands.
pub const WAVE_LEVELS: usize = 2048 * 64;
/// Fewest blocks per wave, so that many bands cannot starve the threads of work.
pub const MIN_WAVE_BLOCKS: usize = 8;

/// Frames per wave for `bands` bands: a whole number of blocks holding about
/// [`WAVE_LEVELS`] levels, but at least [`MIN_WAVE_BLOCKS`] blocks. Depends on the settings
/// only, never on the thread count.
pub fn wave_frames(bands: usize) -> usize {
    (WAVE_LEVELS / bands.max(1) / BLOCK_FRAMES).max(MIN_WAVE_BLOCKS) * BLOCK_FRAMES
}

/// Analyses the whole file with the parallel implementation on the current rayon pool.
pub(crate) fn analyze(ctx: &Analysis<'_>) -> Result<SpectrumResult> {
    let plan = VectorizedPlan::new(ctx);
    let bands = ctx.bands();
    let total_frames = ctx.framing.frames;
    let wave = wave_frames(bands);
    let wave_capacity = wave.min(total_frames);
    let mut levels = vec![0.0f64; wave_capacity * bands];
    let mut features = vec![FrameFeatures::default(); wave_capacity];
    let mut smoother = Smoother::new(ctx.settings.smoothing, bands);
    let mut summary = Summary::new(bands);

    for wave_start in (0..total_frames).step_by(wave) {
        let frames_in_wave = wave.min(total_frames - wave_start);
        let levels = &mut levels[..frames_in_wave * bands];
        let features = &mut features[..frames_in_wave];

        levels
            .par_chunks_mut(BLOCK_FRAMES * bands)
            .enumerate()
            .try_for_each_init(
                || plan.frames(),
                |source, (block, rows)| -> Result<()> {
                    let first = wave_start + block * BLOCK_FRAMES;
                    for (i, row) in rows.chunks_exact_mut(bands).enumerate() {
                        source.frame_levels(first + i, row)?;
                    }
                    Ok(())
                },
            )?;

        for row in levels.chunks_exact_mut(bands) {
            smoother.smooth(row);
            summary.add_levels(row);
        }

        features
            .par_chunks_mut(BLOCK_FRAMES)
            .zip(levels.par_chunks(BLOCK_FRAMES * bands))
            .for_each_init(
                || vec![0.0; bands],
                |power, (out, rows)| {
                    for (f, row) in out.iter_mut().zip(rows.chunks_exact(bands)) {
                        *f = frame_features(row, &ctx.layout, power);
                    }
                },
            );

        for f in features.iter() {
            summary.add_features(f);
        }
    }
    summary.finish(ctx)
}
