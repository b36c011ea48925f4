//! [`DynamicsStream`]: the dynamics chain for real time.
//!
//! It runs the same engine as the whole-file implementations, so its concatenated output is
//! bit-identical to their output delayed by [`StreamProcessor::latency_frames`], for any
//! chunking. Everything is allocated in the constructor; processing a chunk allocates
//! nothing (`tests/no_alloc.rs` counts).

use auralis_core::{AudioError, Error, ImplKind, Result, StreamProcessor};

use crate::engine::{Engine, Planar, PlanarMut, CHUNK};
use crate::reference::Exact;
use crate::settings::DynamicsSettings;
use crate::simd::Fast;

#[derive(Clone, Debug)]
enum Engines {
    Reference(Engine<Exact>),
    Vectorized(Engine<Fast>),
}

/// Streaming compressor → limiter over interleaved chunks of any size.
#[derive(Clone, Debug)]
pub struct DynamicsStream {
    engine: Engines,
    channels: usize,
    sample_rate: u32,
    input: Vec<f32>,
    output: Vec<f32>,
    gain: Vec<f32>,
}

impl DynamicsStream {
    /// A stream with the vectorized kernels (equal, frame for frame, to
    /// `process(ImplKind::Vectorized, …)` delayed by the latency).
    pub fn new(settings: &DynamicsSettings, channels: usize, sample_rate: u32) -> Result<Self> {
        Self::with_implementation(ImplKind::Vectorized, settings, channels, sample_rate)
    }

    /// A stream with the reference kernels (`Reference`) or the vectorized ones (`Vectorized`
    /// and `Parallel`: a stream has no blocks to spread over threads).
    pub fn with_implementation(
        kind: ImplKind,
        settings: &DynamicsSettings,
        channels: usize,
        sample_rate: u32,
    ) -> Result<Self> {
        let engine = match kind {
            ImplKind::Reference => {
                Engines::Reference(Engine::new(settings, channels, sample_rate)?)
            }
            ImplKind::Vectorized | ImplKind::Parallel => {
                Engines::Vectorized(Engine::new(settings, channels, sample_rate)?)
            }
        };
        Ok(DynamicsStream {
            engine,
            channels,
            sample_rate,
            input: vec![0.0; channels * CHUNK],
            output: vec![0.0; channels * CHUNK],
            gain: vec![0.0; CHUNK],
        })
    }

    /// Like [`StreamProcessor::process_interleaved`], and also writes the total applied gain
    /// (dB) of each output frame to `gain_db` (one value per frame).
    pub fn process_interleaved_with_gain(
        &mut self,
        input: &[f32],
        output: &mut [f32],
        gain_db: &mut [f32],
    ) -> Result<()> {
        let frames = self.check(input, output)?;
        if gain_db.len() != frames {
            return Err(Error::Stream(format!(
                "gain buffer has {} values for {frames} frames",
                gain_db.len()
            )));
        }
        self.run(input, output, Some(gain_db));
        Ok(())
    }

    /// Validates a chunk without touching any state; returns its frame count.
    fn check(&self, input: &[f32], output: &[f32]) -> Result<usize> {
        let c = self.channels;
        if input.len() % c != 0 {
            return Err(AudioError::Interleaving {
                len: input.len(),
                channels: c,
            }
            .into());
        }
        if output.len() != input.len() {
            return Err(Error::Stream(format!(
                "output has {} samples, input {}; they must be equal",
                output.len(),
                input.len()
            )));
        }
        if let Some(i) = auralis_core::first_invalid_sample(input) {
            return Err(AudioError::invalid_sample(i % c, i / c, input[i]).into());
        }
        Ok(input.len() / c)
    }

    fn run(&mut self, input: &[f32], output: &mut [f32], mut gain_db: Option<&mut [f32]>) {
        let c = self.channels;
        let frames = input.len() / c;
        let mut done = 0;
        while done < frames {
            let n = CHUNK.min(frames - done);
            deinterleave(&input[done * c..(done + n) * c], c, &mut self.input);
            let src = Planar {
                data: &self.input,
                stride: CHUNK,
            };
            let mut dst = PlanarMut {
                data: &mut self.output,
                stride: CHUNK,
            };
            let gains = &mut self.gain[..n];
            match &mut self.engine {
                Engines::Reference(e) => e.process_chunk_dispatched(&src, n, &mut dst, gains),
                Engines::Vectorized(e) => e.process_chunk_dispatched(&src, n, &mut dst, gains),
            };
            interleave(&self.output, c, &mut output[done * c..(done + n) * c]);
            if let Some(g) = gain_db.as_deref_mut() {
                g[done..done + n].copy_from_slice(&self.gain[..n]);
            }
            done += n;
        }
    }
}

/// Interleaved frames → channel-major planar with stride [`CHUNK`].
fn deinterleave(frames: &[f32], channels: usize, planar: &mut [f32]) {
    if channels == 2 {
        let (left, rest) = planar.split_at_mut(CHUNK);
        for ((frame, l), r) in frames.chunks_exact(2).zip(left).zip(&mut rest[..CHUNK]) {
            *l = frame[0];
            *r = frame[1];
        }
    } else {
        for (ch, line) in planar.chunks_exact_mut(CHUNK).enumerate().take(channels) {
            for (dst, frame) in line.iter_mut().zip(frames.chunks_exact(channels)) {
                *dst = frame[ch];
            }
        }
    }
}

/// Channel-major planar with stride [`CHUNK`] → interleaved frames.
fn interleave(planar: &[f32], channels: usize, frames: &mut [f32]) {
    if channels == 2 {
        let (left, right) = planar.split_at(CHUNK);
        for ((frame, &l), &r) in frames.chunks_exact_mut(2).zip(left).zip(right) {
            frame[0] = l;
            frame[1] = r;
        }
    } else {
        for (ch, line) in planar.chunks_exact(CHUNK).enumerate().take(channels) {
            for (frame, &src) in frames.chunks_exact_mut(channels).zip(line) {
                frame[ch] = src;
            }
        }
    }
}

/// [`auralis_core::Step`] for dynamics: the chunk and the gain it applied.
pub fn with_gain(
    stream: &mut DynamicsStream,
    input: &[f32],
    output: &mut [f32],
    gain_db: &mut [f32],
) -> Result<()> {
    stream.process_interleaved_with_gain(input, output, gain_db)
}

impl StreamProcessor for DynamicsStream {
    fn channels(&self) -> usize {
        self.channels
    }

    fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    fn latency_frames(&self) -> usize {
        match &self.engine {
            Engines::Reference(e) => e.latency(),
            Engines::Vectorized(e) => e.latency(),
        }
    }

    fn process_interleaved(&mut self, input: &[f32], output: &mut [f32]) -> Result<()> {
        self.check(input, output)?;
        self.run(input, output, None);
        Ok(())
    }

    fn reset(&mut self) {
        match &mut self.engine {
            Engines::Reference(e) => e.reset(),
            Engines::Vectorized(e) => e.reset(),
        }
    }
}
