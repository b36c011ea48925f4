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

/// One call of a stream on a chunk: input, output, gain per frame (dB; left untouched by
/// streams that apply none).
pub type Step<P> = fn(&mut P, &[f32], &mut [f32], &mut [f32]) -> Result<()>;

/// [`Step`] for any stream: [`StreamProcessor::process_interleaved`], no gain.
pub fn without_gain<P: StreamProcessor>(
    p: &mut P,
    input: &[f32],
    output: &mut [f32],
    _: &mut [f32],
) -> Result<()> {
    p.process_interleaved(input, output)
}

/// A stream with its latency taken out, for file work: output frame `i` belongs to input
/// frame `i`. The first `latency` output frames (the run-in) are dropped, and
/// [`Aligned::flush`] pushes the last `latency` frames out with silence, so the output has
/// the input's length. (A real-time caller keeps the latency instead.)
pub struct Aligned<P> {
    stage: P,
    channels: usize,
    skip: usize,
    latency: usize,
    processed: Vec<f32>,
    gain: Vec<f32>,
}

impl<P: StreamProcessor> Aligned<P> {
    pub fn new(stage: P) -> Self {
        let (channels, latency) = (stage.channels(), stage.latency_frames());
        Self {
            stage,
            channels,
            skip: latency,
            latency,
            processed: Vec::new(),
            gain: Vec::new(),
        }
    }

    /// Runs `step` on `input` and returns the aligned output and gains (fewer frames than
    /// the input while the run-in is dropped).
    pub fn process(&mut self, input: &[f32], step: Step<P>) -> Result<(&[f32], &[f32])> {
        let frames = input.len() / self.channels;
        self.processed.resize(input.len(), 0.0);
        self.gain.resize(frames, 0.0);
        step(&mut self.stage, input, &mut self.processed, &mut self.gain)?;
        let dropped = self.skip.min(frames);
        self.skip -= dropped;
        Ok((
            &self.processed[dropped * self.channels..],
            &self.gain[dropped..],
        ))
    }

    /// The last `latency` frames, pushed out by silence (once, after the input's end).
    pub fn flush(&mut self, step: Step<P>) -> Result<(&[f32], &[f32])> {
        let zeros = vec![0.0; self.latency * self.channels];
        self.process(&zeros, step)
    }
}
