//! The processing chain (compressor → limiter) as one streaming engine, and the driver that
//! turns it into whole-file processing of any range of an input.
//!
//! The engine is a stream: it takes chunks of any size and emits, for every frame in, the
//! frame [`Engine::latency`] frames earlier (silence before the start). Whole-file output is
//! defined as the stream fed the input followed by `latency` frames of silence, with the
//! first `latency` outputs dropped — the same length as the input and aligned with it. The
//! streaming processor, the reference, the vectorized and the parallel implementation all
//! run this one engine, so "streaming equals whole-file" holds by construction (and is tested).
//!
//! Every part of the engine is *chunk-invariant*: per-frame state machines, element-wise
//! kernels (SIMD tails use partial vectors, never a different scalar path) and housekeeping
//! at absolute frame indices. Any chunking gives bit-identical output.

use std::marker::PhantomData;
use std::ops::Range;

use auralis_core::memory::StreamingStores;
use auralis_core::{AudioBuffer, Result};

use crate::compressor::CompressorStage;
use crate::kernel::Kernel;
use crate::limiter::LimiterStage;
use crate::overlap::{Background, PrefetchNext};
use crate::settings::DynamicsSettings;

/// Frames per internal chunk: every per-chunk buffer is this long (tens of kB, cache-resident).
pub(crate) const CHUNK: usize = 2048;

/// Planar input for one chunk: `channel(c)` starts at the chunk's first frame.
pub(crate) trait FrameSource {
    fn channel(&self, c: usize) -> &[f32];
}

/// Planar output for one chunk: `channel_mut(c)` starts at the chunk's first frame.
pub(crate) trait FrameSink {
    fn channel_mut(&mut self, c: usize) -> &mut [f32];
}

/// The stereo-linked (all-channel) sample peak of each frame: `out[i] = max_c |channel_c[i]|`
/// for the first `out.len()` frames of each channel. The first channel is stored, the others
/// folded in, so `out` needs no zeroing first. There is at least one channel (the engine
/// rejects zero).
#[inline(always)] // compiled inside `Kernel::dispatch`
pub(crate) fn linked_peaks<'a>(out: &mut [f32], mut channels: impl Iterator<Item = &'a [f32]>) {
    if let Some(first) = channels.next() {
        for (p, &x) in out.iter_mut().zip(first) {
            *p = x.abs();
        }
    }
    for channel in channels {
        for (p, &x) in out.iter_mut().zip(channel) {
            *p = p.max(x.abs());
        }
    }
}

/// A range of an [`AudioBuffer`]'s channels.
pub(crate) struct BufferAt<'a> {
    pub channels: &'a [Vec<f32>],
    pub start: usize,
}

impl FrameSource for BufferAt<'_> {
    fn channel(&self, c: usize) -> &[f32] {
        &self.channels[c][self.start..]
    }
}

/// Silence on every channel.
pub(crate) struct Silence<'a>(pub &'a [f32]);

impl FrameSource for Silence<'_> {
    fn channel(&self, _c: usize) -> &[f32] {
        self.0
    }
}

/// Channel-major planar storage with a fixed stride (the stream's scratch).
pub(crate) struct Planar<'a> {
    pub data: &'a [f32],
    pub stride: usize,
}

impl FrameSource for Planar<'_> {
    fn channel(&self, c: usize) -> &[f32] {
        &self.data[c * self.stride..(c + 1) * self.stride]
    }
}

pub(crate) struct PlanarMut<'a> {
    pub data: &'a mut [f32],
    pub stride: usize,
}

impl FrameSink for PlanarMut<'_> {
    fn channel_mut(&mut self, c: usize) -> &mut [f32] {
        &mut self.data[c * self.stride..(c + 1) * self.stride]
    }
}

/// Compressor → limiter, either optional.
#[derive(Clone, Debug)]
pub(crate) struct Engine<K: Kernel> {
    channels: usize,
    compressor: Option<CompressorStage<K>>,
    limiter: Option<LimiterStage>,
    /// The compressor's gain for the chunk when no limiter holds it.
    gain_db: Vec<f64>,
    latency: usize,
    kernel: PhantomData<K>,
}

impl<K: Kernel> Engine<K> {
    /// Validates the settings and allocates everything the engine will ever need.
    pub fn new(settings: &DynamicsSettings, channels: usize, sample_rate: u32) -> Result<Self> {
        settings.validate()?;
        auralis_core::audio::check_sample_rate(sample_rate)?;
        if channels == 0 {
            return Err(auralis_core::AudioError::NoChannels.into());
        }
        let compressor = settings
            .compressor
            .as_ref()
            .map(|s| CompressorStage::new(s, channels, sample_rate));
        let limiter = settings
            .limiter
            .as_ref()
            .map(|s| LimiterStage::new(s, channels, sample_rate));
        let latency = compressor.as_ref().map_or(0, CompressorStage::latency)
            + limiter.as_ref().map_or(0, LimiterStage::latency);
        Ok(Engine {
            channels,
            compressor,
            limiter,
            gain_db: vec![0.0; CHUNK],
            latency,
            kernel: PhantomData,
        })
    }

    pub fn latency(&self) -> usize {
        self.latency
    }

    pub fn channels(&self) -> usize {
        self.channels
    }

    pub fn reset(&mut self) {
        if let Some(c) = &mut self.compressor {
            c.reset();
        }
        if let Some(l) = &mut self.limiter {
            l.reset();
        }
    }

    /// Processes `n ≤ CHUNK` frames. Returns how many of the *input* frames at chunk
    /// positions `count` are over the threshold (the compressor's, or without one the
    /// limiter's ceiling).
    #[inline(always)] // compiled inside `Kernel::dispatch`
    pub fn process_chunk(
        &mut self,
        input: &impl FrameSource,
        n: usize,
        out: &mut impl FrameSink,
        gain_db: &mut [f32],
        count: Range<usize>,
        background: &mut impl Background,
    ) -> u64 {
        debug_assert!(n <= CHUNK);
        match (&mut self.compressor, &mut self.limiter) {
            (Some(comp), Some(lim)) => {
                let (mut sink, gain_in) = lim.inputs(n);
                let over = comp.process(input, n, &mut sink, gain_in, count, background);
                lim.process::<K>(n, out, gain_db, 0..0);
                over
            }
            (Some(comp), None) => {
                let over = comp.process(input, n, out, &mut self.gain_db[..n], count, background);
                for (o, &g) in gain_db[..n].iter_mut().zip(&self.gain_db[..n]) {
                    *o = g as f32;
                }
                over
            }
            (None, Some(lim)) => {
                lim.load(input, n);
                lim.process::<K>(n, out, gain_db, count)
            }
            (None, None) => {
                for c in 0..self.channels {
                    out.channel_mut(c)[..n].copy_from_slice(&input.channel(c)[..n]);
                }
                gain_db[..n].fill(0.0);
                0
            }
        }
    }

    /// [`Engine::process_chunk`] compiled inside the kernel's [`Kernel::dispatch`], for
    /// callers that drive the engine chunk by chunk (the stream).
    pub fn process_chunk_dispatched(
        &mut self,
        input: &impl FrameSource,
        n: usize,
        out: &mut impl FrameSink,
        gain_db: &mut [f32],
    ) -> u64 {
        K::dispatch(ProcessChunk {
            engine: self,
            input,
            n,
            out,
            gain_db,
        })
    }
}

/// [`Engine::process_chunk_dispatched`]'s arguments as a pulp operation (see [`RunRange`]).
struct ProcessChunk<'e, 'i, 'o, 'g, K: Kernel, I, O> {
    engine: &'e mut Engine<K>,
    input: &'i I,
    n: usize,
    out: &'o mut O,
    gain_db: &'g mut [f32],
}

impl<K: Kernel, I: FrameSource, O: FrameSink> pulp::WithSimd
    for ProcessChunk<'_, '_, '_, '_, K, I, O>
{
    type Output = u64;

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) -> u64 {
        self.engine
            .process_chunk(self.input, self.n, self.out, self.gain_db, 0..0, &mut ())
    }
}

/// What [`run_range`] gathers while the data is in cache, for [`crate::GainStats`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct RangeSummary {
    /// Frames over the threshold.
    pub over: u64,
    /// True if every output sample written in the range is finite (checked per chunk while
    /// it is in cache, so the whole-file output needs no second pass).
    pub finite: bool,
    /// Largest reduction `makeup − gain` (dB).
    pub max_reduction: f64,
    /// Sum of reductions (dB), for the mean.
    pub sum_reduction: f64,
}

/// The summary of an empty range (the identity of [`RangeSummary::then`]).
impl Default for RangeSummary {
    fn default() -> Self {
        RangeSummary {
            finite: true,
            over: 0,
            max_reduction: 0.0,
            sum_reduction: 0.0,
        }
    }
}

impl RangeSummary {
    /// Folds in the next range (in order, so the result does not depend on threads).
    pub fn then(self, next: RangeSummary) -> RangeSummary {
        RangeSummary {
            finite: self.finite && next.finite,
            over: self.over + next.over,
            max_reduction: self.max_reduction.max(next.max_reduction),
            sum_reduction: self.sum_reduction + next.sum_reduction,
        }
    }

    /// Adds a chunk's reductions. Eight independent partial sums (by position in the chunk)
    /// keep this off the floating-point add latency chain and let it vectorize.
    #[inline(always)] // compiled inside `Kernel::dispatch`
    fn add_gains(&mut self, gain_db: &[f32], makeup: f64) {
        let mut max = [0.0f64; 8];
        let mut sum = [0.0f64; 8];
        let mut chunks = gain_db.chunks_exact(8);
        for chunk in &mut chunks {
            for ((m, s), &g) in max.iter_mut().zip(sum.iter_mut()).zip(chunk) {
                let r = (makeup - f64::from(g)).max(0.0);
                *m = m.max(r);
                *s += r;
            }
        }
        for (k, &g) in chunks.remainder().iter().enumerate() {
            let r = (makeup - f64::from(g)).max(0.0);
            max[k] = max[k].max(r);
            sum[k] += r;
        }
        self.max_reduction = max.iter().fold(self.max_reduction, |a, &b| a.max(b));
        self.sum_reduction += sum.iter().sum::<f64>();
    }
}

/// Runs `engine` (fresh) on `audio` from frame `feed_start` and writes the output frames
/// `[out_start, out_start + gain_db.len())` to `out` (one slice per channel) and `gain_db`.
///
/// With `feed_start = 0` this is the exact whole-file result for that range; with a later
/// `feed_start` the engine starts from silence and has `out_start − feed_start` frames to
/// forget that (the parallel implementation's warm-up).
pub(crate) fn run_range<K: Kernel>(
    engine: &mut Engine<K>,
    audio: &AudioBuffer,
    feed_start: usize,
    out_start: usize,
    out: &mut [&mut [f32]],
    gain_db: &mut [f32],
    makeup_db: f32,
) -> RangeSummary {
    K::dispatch(RunRange {
        engine,
        audio,
        feed_start,
        out_start,
        out,
        gain_db,
        makeup_db,
    })
}

/// [`run_range`]'s arguments as a pulp operation: a struct rather than a closure because
/// `with_simd` is `#[inline(always)]`, so the body really is compiled inside the dispatched
/// instruction set (a closure this large is not inlined, and would run as SSE2 code).
struct RunRange<'e, 'a, 'o, 's, K: Kernel> {
    engine: &'e mut Engine<K>,
    audio: &'a AudioBuffer,
    feed_start: usize,
    out_start: usize,
    out: &'o mut [&'s mut [f32]],
    gain_db: &'o mut [f32],
    makeup_db: f32,
}

impl<K: Kernel> pulp::WithSimd for RunRange<'_, '_, '_, '_, K> {
    type Output = RangeSummary;

    /// [`run_range`]'s body, compiled inside the kernel's [`Kernel::dispatch`].
    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) -> RangeSummary {
        let RunRange {
            engine,
            audio,
            feed_start,
            out_start,
            out,
            gain_db,
            makeup_db,
        } = self;
        let total = audio.len();
        let out_end = out_start + gain_db.len();
        debug_assert!(feed_start <= out_start && out_end <= total);
        let latency = engine.latency();
        let channels = engine.channels();
        // Stream time s carries input frame feed_start + s and outputs frame feed_start + s − latency.
        let first_output = out_start + latency - feed_start;
        let end = out_end + latency - feed_start;
        let input_end = total - feed_start;

        let zeros = vec![0.0f32; CHUNK];
        // Each chunk is processed into a cache-resident scratch, checked and summarized
        // there, and then written out with streaming stores (`auralis_core::memory`): the
        // output is not read again before it leaves the cache.
        let mut scratch = vec![0.0f32; channels * CHUNK];
        let mut scratch_gain = vec![0.0f32; CHUNK];
        let mut stores = StreamingStores::new();
        let mut summary = RangeSummary::default();
        let mut s = 0;
        while s < end {
            let mut n = CHUNK.min(end - s);
            if s < first_output {
                n = n.min(first_output - s);
            }
            if s < input_end {
                n = n.min(input_end - s);
            }
            let frame = feed_start + s;
            let count = out_start.saturating_sub(frame).min(n)
                ..out_end.min(total).saturating_sub(frame).min(n);
            let count = count.start..count.end.max(count.start);
            let next = (frame + n).min(total);
            let mut prefetch = PrefetchNext {
                inputs: audio.channels(),
                next: next..(next + CHUNK).min(total),
                loaded: 0,
            };
            let mut sink = PlanarMut {
                data: &mut scratch,
                stride: CHUNK,
            };
            let gains = &mut scratch_gain[..n];
            summary.over += if s < input_end {
                let src = BufferAt {
                    channels: audio.channels(),
                    start: frame,
                };
                engine.process_chunk(&src, n, &mut sink, gains, count, &mut prefetch)
            } else {
                let src = Silence(&zeros);
                engine.process_chunk(&src, n, &mut sink, gains, count, &mut prefetch)
            };
            prefetch.finish();
            if s >= first_output {
                let at = s - first_output;
                summary.add_gains(gains, f64::from(makeup_db));
                stores.copy(&mut gain_db[at..at + n], gains);
                for (c, dst) in out.iter_mut().enumerate() {
                    let chunk = &scratch[c * CHUNK..c * CHUNK + n];
                    summary.finite &= auralis_core::first_non_finite(chunk).is_none();
                    stores.copy(&mut dst[at..at + n], chunk);
                }
            }
            s += n;
        }
        drop(stores);
        summary
    }
}
