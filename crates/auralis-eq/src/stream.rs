//! The streaming processor: whole-file STFT filtering, one block of frames at a time.
//!
//! Per channel it keeps the last input samples one computation needs, an overlap-add
//! accumulator and the block of finished output being played out. It runs in one of two
//! modes, each the exact streaming twin of a whole-file implementation:
//!
//! * [`StreamMode::Packed`] (the default, [`EqStream::new`]) — every `2·H` input samples it
//!   filters the frame pair `(2m, 2m + 1)` of each channel with one complex FFT, exactly as the
//!   vectorized and parallel whole-file variants do (`packed.rs`): half the FFT work of one
//!   real FFT per frame. The output is [`ImplKind::Vectorized`](auralis_core::ImplKind)'s
//!   whole-file output bit for bit, delayed by `N + H − 1` samples.
//! * [`StreamMode::LowLatency`] ([`EqStream::low_latency`]) — every `H` input samples it
//!   filters one frame per channel with a real FFT, exactly as the reference does. The output
//!   is the reference's whole-file output bit for bit, delayed by `N − 1` samples.
//!
//! Why `N − 1` and not `N − H`: see [`EqSettings::latency_frames`]. In short, a frame can
//! only be filtered once its last sample has arrived, and the output sample one past that
//! frame's first sample already depends on it. The packed mode waits one hop longer, for the
//! second frame of the pair: at 44.1 kHz, FFT 4096 and hop 1024, 116 ms instead of 93 ms.

use auralis_core::audio::check_sample_rate;
use auralis_core::{AudioError, Error, Result, StreamProcessor};
use pulp::Arch;

use crate::gains::EqGains;
use crate::packed::{PackedFilter, PackedScratch};
use crate::settings::EqSettings;
use crate::simd;
use crate::stft::{fill_half_spectrum_gains, RealFft, StftLayout, Windows};

/// How an [`EqStream`] computes its frames; see the module documentation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StreamMode {
    /// Two frames of a channel per complex FFT; equals the vectorized whole-file output;
    /// latency `fft_size + hop − 1`.
    Packed,
    /// One real FFT per frame; equals the reference's whole-file output; latency
    /// `fft_size − 1`.
    LowLatency,
}

impl StreamMode {
    /// Frames of delay between input and output in this mode.
    pub fn latency_frames(self, settings: &EqSettings) -> usize {
        match self {
            StreamMode::Packed => settings.latency_frames() + settings.hop,
            StreamMode::LowLatency => settings.latency_frames(),
        }
    }
}

/// The per-block computation of each mode, with its plans, windows and gains.
enum Engine {
    LowLatency {
        fft: RealFft,
        windows: Windows,
        /// Interleaved half-spectrum bin gains (`N + 2` values).
        gains: Vec<f32>,
    },
    Packed {
        filter: PackedFilter,
        scratch: PackedScratch,
    },
}

/// Real-time EQ: feed interleaved chunks of any size; output is the whole-file output delayed
/// by [`EqStream::latency_frames`]. Allocates only in the constructors.
///
/// The first `latency` output frames are the run-in: silence, then the filter's pre-ringing
/// before the first input sample (under partial window overlap), which the whole-file output
/// trims. To flush the end, feed `latency` frames of silence.
pub struct EqStream {
    settings: EqSettings,
    mode: StreamMode,
    channels: usize,
    sample_rate: u32,
    engine: Engine,
    arch: Arch,
    /// Input samples per block: `H` (low latency) or `2H` (packed).
    period: usize,
    /// Input samples one block computation reads, and accumulator length: `N` or `N + H`.
    span: usize,
    /// Per channel, the last `span` input samples, oldest first (`channels × span`).
    inputs: Vec<f32>,
    /// Per channel, overlap-add sums for the next `span` output samples.
    accumulators: Vec<f32>,
    /// Per channel, the finished block being played out (`channels × period`).
    outputs: Vec<f32>,
    /// Input samples received since the last block, `0 .. period`. The next output sample of
    /// the current block is `outputs[pending + 1]` (the block's first sample goes out
    /// together with the input sample that completes it).
    pending: usize,
}

impl EqStream {
    /// A packed-mode processor ([`StreamMode::Packed`]) for `channels` interleaved channels
    /// at `sample_rate`: the fast one, used by the lab and the facade.
    pub fn new(settings: &EqSettings, channels: usize, sample_rate: u32) -> Result<Self> {
        Self::with_mode(settings, channels, sample_rate, StreamMode::Packed)
    }

    /// A low-latency processor ([`StreamMode::LowLatency`]): one hop less delay, about twice
    /// the FFT work.
    pub fn low_latency(settings: &EqSettings, channels: usize, sample_rate: u32) -> Result<Self> {
        Self::with_mode(settings, channels, sample_rate, StreamMode::LowLatency)
    }

    /// A processor in the given mode.
    pub fn with_mode(
        settings: &EqSettings,
        channels: usize,
        sample_rate: u32,
        mode: StreamMode,
    ) -> Result<Self> {
        settings.validate()?;
        check_sample_rate(sample_rate)?;
        if channels == 0 {
            return Err(AudioError::NoChannels.into());
        }
        let layout = StftLayout::new(settings);
        let (n, hop) = (layout.fft, layout.hop);
        let (engine, period, span) = match mode {
            StreamMode::LowLatency => {
                let mut gains = vec![0.0; n + 2];
                fill_half_spectrum_gains(&settings.gains, sample_rate, n, &mut gains);
                let engine = Engine::LowLatency {
                    fft: RealFft::new(n),
                    windows: Windows::new(&layout),
                    gains,
                };
                (engine, hop, n)
            }
            StreamMode::Packed => {
                let filter = PackedFilter::new(settings, sample_rate);
                let scratch = filter.scratch();
                (Engine::Packed { filter, scratch }, 2 * hop, n + hop)
            }
        };
        let mut stream = EqStream {
            settings: settings.clone(),
            mode,
            channels,
            sample_rate,
            engine,
            arch: Arch::new(),
            period,
            span,
            inputs: vec![0.0; channels * span],
            accumulators: vec![0.0; channels * span],
            outputs: vec![0.0; channels * period],
            pending: 0,
        };
        // Prime: filter one block of silence so every buffer (ours and the FFT's) has been
        // touched before the first real chunk, which then pays no page faults.
        stream.process_block()?;
        stream.reset();
        Ok(stream)
    }

    /// The settings in force (gains as last set).
    pub fn settings(&self) -> &EqSettings {
        &self.settings
    }

    /// The mode this processor runs in.
    pub fn mode(&self) -> StreamMode {
        self.mode
    }

    /// Changes the band gains (25 values in dB, validated and clipped like
    /// [`EqGains::new`]). Takes effect from the next block computed — the next frame in
    /// low-latency mode, the next frame pair in packed mode — so a change is smoothed by the
    /// frames' overlap rather than switched at a sample. Allocation-free.
    pub fn set_gains(&mut self, gains_db: &[f32]) -> Result<()> {
        let gains = EqGains::new(gains_db)?;
        self.set_eq_gains(&gains);
        Ok(())
    }

    /// Like [`EqStream::set_gains`] with already validated gains.
    pub fn set_eq_gains(&mut self, gains: &EqGains) {
        match &mut self.engine {
            Engine::LowLatency { gains: bins, .. } => {
                let n = self.settings.fft_size;
                fill_half_spectrum_gains(gains, self.sample_rate, n, bins);
            }
            Engine::Packed { filter, .. } => filter.set_gains(gains, self.sample_rate),
        }
        self.settings.gains = gains.clone();
    }

    /// Accepts only the current rate. The gain curve maps bins to frequencies through the
    /// sample rate, and the latency in seconds depends on it too, so a rate change cannot be
    /// applied mid-stream without a discontinuity; build a new processor instead.
    pub fn set_sample_rate(&mut self, sample_rate: u32) -> Result<()> {
        if sample_rate == self.sample_rate {
            Ok(())
        } else {
            Err(Error::Stream(format!(
                "the EQ stream runs at {} Hz and cannot switch to {sample_rate} Hz mid-stream \
                 (its gain curve and latency depend on the rate); build a new EqStream",
                self.sample_rate
            )))
        }
    }

    fn check_chunk(&self, input: &[f32], output: &[f32]) -> Result<()> {
        if input.len() % self.channels != 0 {
            return Err(AudioError::Interleaving {
                len: input.len(),
                channels: self.channels,
            }
            .into());
        }
        if output.len() != input.len() {
            return Err(Error::Stream(format!(
                "output chunk has {} samples but input has {}; they must be equal",
                output.len(),
                input.len()
            )));
        }
        if let Some(index) = auralis_core::first_invalid_sample(input) {
            return Err(AudioError::invalid_sample(
                index % self.channels,
                index / self.channels,
                input[index],
            )
            .into());
        }
        Ok(())
    }

    /// Filters one block (a frame, or a frame pair) per channel from `inputs`, hands the
    /// finished `period` samples to `outputs` and shifts the input and accumulator buffers
    /// by one period.
    fn process_block(&mut self) -> Result<()> {
        let (span, period) = (self.span, self.period);
        let blocks = self
            .inputs
            .chunks_exact_mut(span)
            .zip(self.accumulators.chunks_exact_mut(span))
            .zip(self.outputs.chunks_exact_mut(period));
        for ((input, acc), output) in blocks {
            match &mut self.engine {
                Engine::LowLatency {
                    fft,
                    windows,
                    gains,
                } => {
                    simd::multiply_into(self.arch, &mut fft.time, input, &windows.analysis);
                    fft.forward()?;
                    let spectrum = pulp::bytemuck::cast_slice_mut(&mut fft.spectrum);
                    simd::multiply_in_place(self.arch, spectrum, gains);
                    fft.inverse()?;
                    simd::add_product(self.arch, acc, &fft.time, &windows.synthesis);
                }
                Engine::Packed { filter, scratch } => filter.filter_pair(input, acc, scratch),
            }
            output.copy_from_slice(&acc[..period]);
            acc.copy_within(period.., 0);
            acc[span - period..].fill(0.0);
            input.copy_within(period.., 0);
        }
        Ok(())
    }
}

impl StreamProcessor for EqStream {
    fn channels(&self) -> usize {
        self.channels
    }

    fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    fn latency_frames(&self) -> usize {
        self.mode.latency_frames(&self.settings)
    }

    fn process_interleaved(&mut self, input: &[f32], output: &mut [f32]) -> Result<()> {
        self.check_chunk(input, output)?;
        let (span, period, channels) = (self.span, self.period, self.channels);
        let total = input.len() / channels;
        let mut done = 0;
        while done < total {
            // A run ends at the end of the chunk or at the sample that completes a block.
            let run = (total - done).min(period - self.pending);
            let completes_block = self.pending + run == period;
            let input_run = &input[done * channels..(done + run) * channels];
            let output_run = &mut output[done * channels..(done + run) * channels];

            let write_at = span - period + self.pending;
            for (c, history) in self.inputs.chunks_exact_mut(span).enumerate() {
                let dst = &mut history[write_at..write_at + run];
                for (d, frame) in dst.iter_mut().zip(input_run.chunks_exact(channels)) {
                    *d = frame[c];
                }
            }

            let from_current_block = if completes_block { run - 1 } else { run };
            let read_at = self.pending + 1;
            for (c, block) in self.outputs.chunks_exact(period).enumerate() {
                let src = &block[read_at..read_at + from_current_block];
                for (frame, &s) in output_run.chunks_exact_mut(channels).zip(src) {
                    frame[c] = s;
                }
            }

            if completes_block {
                self.process_block()?;
                let last = &mut output_run[(run - 1) * channels..];
                for (c, block) in self.outputs.chunks_exact(period).enumerate() {
                    last[c] = block[0];
                }
                self.pending = 0;
            } else {
                self.pending += run;
            }
            done += run;
        }
        // Finite input boosted by up to +12 dB can still overflow near f32::MAX: refuse to
        // hand back infinities (a scan of the chunk just written, still in L1).
        match auralis_core::first_non_finite(output) {
            None => Ok(()),
            Some(i) => Err(auralis_core::AudioError::NonFinite {
                channel: i % channels,
                index: i / channels,
                value: output[i],
            }
            .into()),
        }
    }

    fn reset(&mut self) {
        self.inputs.fill(0.0);
        self.accumulators.fill(0.0);
        self.outputs.fill(0.0);
        self.pending = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference;

    fn test_signal(len: usize) -> Vec<f32> {
        // A chirp plus a little deterministic noise: energy in every band over time.
        let mut state = 1u32;
        (0..len)
            .map(|i| {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                let noise = (state >> 8) as f32 / (1u32 << 24) as f32 - 0.5;
                let t = i as f32 / 44_100.0;
                0.5 * (std::f32::consts::TAU * (60.0 + 4000.0 * t) * t).sin() + 0.1 * noise
            })
            .collect()
    }

    /// The signal, settings and gain changes of the gain-change tests: changes after
    /// 10_000 and 23_456 input samples (neither on a hop boundary).
    struct GainChanges {
        settings: EqSettings,
        layout: StftLayout,
        x: Vec<f32>,
        changes: [(usize, EqGains); 2],
    }

    impl GainChanges {
        fn new() -> Self {
            let settings = EqSettings {
                gains: EqGains::preset("warm").unwrap(),
                ..EqSettings::default()
            };
            let mut cut = [0.0f32; crate::NUM_BANDS];
            cut[12] = -12.0;
            GainChanges {
                layout: StftLayout::new(&settings),
                settings,
                x: test_signal(60_000),
                changes: [
                    (10_000, EqGains::preset("bright").unwrap()),
                    (23_456, EqGains::new(&cut).unwrap()),
                ],
            }
        }

        /// Streams the signal in uneven chunks, changing gains between chunks; returns the
        /// output with the latency removed.
        fn stream(&self, mode: StreamMode) -> Vec<f32> {
            let mut stream = EqStream::with_mode(&self.settings, 1, 44_100, mode).unwrap();
            let latency = stream.latency_frames();
            let mut input = self.x.clone();
            input.resize(self.x.len() + latency, 0.0);
            let mut output = vec![0.0f32; input.len()];
            let mut at = 0;
            for (change_at, gains) in &self.changes {
                while at < *change_at {
                    let end = (at + 777).min(*change_at);
                    stream
                        .process_interleaved(&input[at..end], &mut output[at..end])
                        .unwrap();
                    at = end;
                }
                stream.set_gains(gains.as_slice()).unwrap();
            }
            let end = input.len();
            stream
                .process_interleaved(&input[at..end], &mut output[at..end])
                .unwrap();
            output.split_off(latency)
        }

        /// The reference with the gains switched at frames `first_new[0]` and `first_new[1]`.
        fn reference(&self, first_new: [usize; 2]) -> Vec<f32> {
            let layout = &self.layout;
            let half_gains = |g: &EqGains| {
                let mut v = vec![0.0; layout.fft + 2];
                fill_half_spectrum_gains(g, 44_100, layout.fft, &mut v);
                v
            };
            let schedule = [
                half_gains(&self.settings.gains),
                half_gains(&self.changes[0].1),
                half_gains(&self.changes[1].1),
            ];
            reference::filter_channel(
                &self.x,
                layout,
                &Windows::new(layout),
                |t| &schedule[first_new.iter().filter(|&&f| t >= f).count()],
                &mut RealFft::new(layout.fft),
            )
            .unwrap()
        }

        /// First frame computed after each change, for blocks of `frames_per_block` frames.
        fn first_new(&self, frames_per_block: usize) -> [usize; 2] {
            let block = frames_per_block * self.layout.hop;
            self.changes
                .each_ref()
                .map(|(at, _)| at / block * frames_per_block)
        }
    }

    fn relative_error(a: &[f32], b: &[f32]) -> f64 {
        let m = auralis_core::Metrics::of_f32(a, b);
        m.relative_rms_error
    }

    /// Low-latency mode: gain changes take effect at the next frame; the stream equals the
    /// reference run with that per-frame gain schedule, bit for bit.
    #[test]
    fn low_latency_gain_changes_apply_from_the_next_frame() {
        let case = GainChanges::new();
        let streamed = case.stream(StreamMode::LowLatency);
        let expected = case.reference(case.first_new(1));
        assert_eq!(expected.len(), streamed.len());
        for (i, (e, s)) in expected.iter().zip(&streamed).enumerate() {
            assert_eq!(e.to_bits(), s.to_bits(), "sample {i}: {e} vs {s}");
        }
        // And the schedule mattered: off by one frame, the output differs.
        let [bright, cut] = case.first_new(1);
        let shifted = case.reference([bright + 1, cut]);
        assert!(shifted[..20_000] != streamed[..20_000]);
    }

    /// Packed mode: both frames of a pair are filtered together, so a change takes effect
    /// from the next frame *pair*; the stream matches the reference run with that schedule
    /// within the stage's tolerance, and a per-frame schedule is far outside it.
    #[test]
    fn packed_gain_changes_apply_from_the_next_frame_pair() {
        let case = GainChanges::new();
        let streamed = case.stream(StreamMode::Packed);
        let by_pair = case.reference(case.first_new(2));
        assert!(relative_error(&by_pair, &streamed) <= crate::RELATIVE_RMS_TOLERANCE);
        let by_frame = case.reference(case.first_new(1));
        assert_ne!(
            case.first_new(1),
            case.first_new(2),
            "the test must tell them apart"
        );
        assert!(relative_error(&by_frame, &streamed) > 100.0 * crate::RELATIVE_RMS_TOLERANCE);
    }
}
