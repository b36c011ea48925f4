//! Chunk-by-chunk processing for real-time use.
//!
//! A streaming processor is built once (allocating everything it will ever need) and then fed
//! interleaved chunks of any size, from one frame to many seconds. It never allocates after
//! construction, has a fixed latency it reports, and — the property the tests hold every
//! implementation to — its concatenated output equals the whole-file output of the same stage
//! shifted by that latency.
//!
//! Interleaved slices are used (rather than `&[&[f32]]`) so that a caller with a fixed audio
//! callback buffer can pass it straight through without building a slice-of-slices per call.

use crate::error::Result;

/// A stateful processor fed interleaved chunks.
pub trait StreamProcessor: Send {
    /// Channels per frame of the interleaved input.
    fn channels(&self) -> usize;

    /// The sample rate the processor was built for.
    fn sample_rate(&self) -> u32;

    /// Fixed delay, in frames, between a frame entering and the corresponding frame leaving.
    fn latency_frames(&self) -> usize;

    /// Processes one chunk. `input.len()` must be a multiple of [`Self::channels`] and equal to
    /// `output.len()`; a zero-length chunk is allowed. Non-finite input is an error.
    fn process_interleaved(&mut self, input: &[f32], output: &mut [f32]) -> Result<()>;

    /// Returns to the freshly constructed state (silence history), without allocating.
    fn reset(&mut self);
}
