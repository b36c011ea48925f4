//! Overlapping the input's main-memory reads with the compressor's sequential recurrence.
//!
//! Whole-file processing streams a 180 s stereo track (64 MB in, 96 MB of audio and gain
//! trajectory out) through a cache-resident chunk. Read in bursts — touch a chunk, wait for
//! it, compute — the CPU waits for memory at every chunk's first touch (profile of the
//! vectorized 180 s run: ≈ 13 % of its time on the first load of each input sample).
//! Meanwhile the envelope follower, a dependency chain of a few cycles per frame, leaves
//! most issue slots idle.
//!
//! So the driver ([`crate::engine::run_range`]) hands the engine a [`Background`] job that
//! prefetches the *next* chunk's input, and the follower calls [`Background::tick`] every
//! [`TICK_FRAMES`] frames: one cache line of every input channel per tick, spread over the
//! whole recurrence instead of a burst that would stall on the CPU's few outstanding-miss
//! slots. Whatever the ticks have not done when the chunk ends (a short chunk, or an engine
//! without a compressor) is done then.
//!
//! Measured (`profile_stage dynamics vectorized 180`, alternating builds, best of 8 runs,
//! five rounds): 35.0–45.1 ms with the ticks against 39.9–44.3 ms with a burst prefetch per
//! chunk and 43.6–45.0 ms without prefetching. Streaming the *outputs* out in ticks as well
//! (non-temporal stores of one line per tick) was slower (≈ 52 ms): the follower loop does
//! not absorb the stores. Outputs are written with non-temporal stores after each chunk
//! instead (`run_range`).
//!
//! A prefetch is a hint: no value changes, and the bit-identity tests between stream,
//! chunkings and whole file hold.

use std::ops::Range;

use auralis_core::memory::{prefetch, FLOATS_PER_LINE};

/// Frames per tick: one cache line per input channel.
pub(crate) const TICK_FRAMES: usize = FLOATS_PER_LINE;

/// Memory work a long sequential loop can interleave with its arithmetic.
pub(crate) trait Background {
    /// Does the next [`TICK_FRAMES`] frames' share of the work.
    fn tick(&mut self);
}

/// No background work (the streaming processor's chunks are the caller's, in cache).
impl Background for () {
    #[inline(always)]
    fn tick(&mut self) {}
}

/// Prefetches `inputs[..][next]`, a tick at a time.
pub(crate) struct PrefetchNext<'a> {
    pub inputs: &'a [Vec<f32>],
    pub next: Range<usize>,
    /// Frames of `next` prefetched so far.
    pub loaded: usize,
}

impl PrefetchNext<'_> {
    /// Advances the prefetch to frame `to` of `next`.
    #[inline(always)]
    fn load(&mut self, to: usize) {
        let to = to.min(self.next.len());
        if self.loaded < to {
            let frames = self.next.start + self.loaded..self.next.start + to;
            for channel in self.inputs {
                prefetch(&channel[frames.clone()]);
            }
            self.loaded = to;
        }
    }

    /// Prefetches whatever the ticks have not.
    pub fn finish(mut self) {
        self.load(self.next.len());
    }
}

impl Background for PrefetchNext<'_> {
    #[inline(always)]
    fn tick(&mut self) {
        self.load(self.loaded + TICK_FRAMES);
    }
}
