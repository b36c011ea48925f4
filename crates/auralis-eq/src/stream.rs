//! The streaming processor: the reference algorithm, one frame at a time.
//!
//! Per channel it keeps the last `N` input samples, an `N`-sample overlap-add accumulator and
//! the `H`-sample block of finished output being played out. Every `H` input samples one frame
//! is filtered exactly as the reference does it (same windows, same real FFT, same gains, same
//! order of additions — the SIMD kernels round exactly like the reference's scalar loops), the
//! accumulator's first `H` samples become the next output block, and both buffers shift by
//! `H`. The output is therefore the reference's whole-file output, bit for bit, delayed by
//! [`EqSettings::latency_frames`] = `N − 1` samples, whatever the chunk sizes.
//!
//! Why `N − 1` and not `N − H`: see [`EqSettings::latency_frames`]. In short, a frame can
//! only be filtered once its last sample has arrived, and the output sample one past that
//! frame's first sample already depends on it.

use auralis_core::audio::check_sample_rate;
use auralis_core::{AudioError, Error, Result, StreamProcessor};
use pulp::Arch;

use crate::gains::EqGains;
use crate::settings::EqSettings;
use crate::simd;
use crate::stft::{fill_half_spectrum_gains, RealFft, StftLayout, Windows};

/// Real-time EQ: feed interleaved chunks of any size; output is the whole-file output delayed
/// by `fft_size − 1` frames. Allocates only in [`EqStream::new`].
///
/// The first `fft_size − 1` output frames are the run-in: `hop − 1` frames of silence, then
/// the filter's pre-ringing before the first input sample (under partial window overlap),
/// which the whole-file output trims. To flush the end, feed `fft_size − 1` frames of
/// silence.
pub struct EqStream {
    settings: EqSettings,
    channels: usize,
    sample_rate: u32,
    layout: StftLayout,
    windows: Windows,
    fft: RealFft,
    arch: Arch,
    /// Interleaved half-spectrum bin gains in use (`N + 2` values).
    gains: Vec<f32>,
    /// Where [`EqStream::set_gains`] builds the next curve before swapping it in.
    spare_gains: Vec<f32>,
    /// Per channel, the last `N` input samples, oldest first (`channels × N`).
    inputs: Vec<f32>,
    /// Per channel, overlap-add sums for the next `N` output samples (`channels × N`).
    accumulators: Vec<f32>,
    /// Per channel, the finished block being played out (`channels × H`).
    outputs: Vec<f32>,
    /// Input samples received since the last frame, `0 .. H`. The next output sample of the
    /// current block is `outputs[pending + 1]` (the block's first sample goes out together
    /// with the input sample that completes its frame).
    pending: usize,
}

impl EqStream {
    /// Builds a processor for `channels` interleaved channels at `sample_rate`.
    pub fn new(settings: &EqSettings, channels: usize, sample_rate: u32) -> Result<Self> {
        settings.validate()?;
        check_sample_rate(sample_rate)?;
        if channels == 0 {
            return Err(AudioError::NoChannels.into());
        }
        let layout = StftLayout::new(settings);
        let (n, hop) = (layout.fft, layout.hop);
        let mut gains = vec![0.0; n + 2];
        fill_half_spectrum_gains(&settings.gains, sample_rate, n, &mut gains);
        let mut stream = EqStream {
            settings: settings.clone(),
            channels,
            sample_rate,
            windows: Windows::new(&layout),
            layout,
            fft: RealFft::new(n),
            arch: Arch::new(),
            spare_gains: gains.clone(),
            gains,
            inputs: vec![0.0; channels * n],
            accumulators: vec![0.0; channels * n],
            outputs: vec![0.0; channels * hop],
            pending: 0,
        };
        // Prime: filter one frame of silence so every buffer (ours and the FFT's) has been
        // touched before the first real chunk, which then pays no page faults.
        stream.process_frame()?;
        stream.reset();
        Ok(stream)
    }

    /// The settings in force (gains as last set).
    pub fn settings(&self) -> &EqSettings {
        &self.settings
    }

    /// Changes the band gains (25 values in dB, validated and clipped like
    /// [`EqGains::new`]). Takes effect from the next STFT frame, so a change is smoothed by
    /// the frames' overlap rather than switched at a sample. Allocation-free.
    pub fn set_gains(&mut self, gains_db: &[f32]) -> Result<()> {
        let gains = EqGains::new(gains_db)?;
        self.set_eq_gains(&gains);
        Ok(())
    }

    /// Like [`EqStream::set_gains`] with already validated gains.
    pub fn set_eq_gains(&mut self, gains: &EqGains) {
        fill_half_spectrum_gains(
            gains,
            self.sample_rate,
            self.layout.fft,
            &mut self.spare_gains,
        );
        std::mem::swap(&mut self.gains, &mut self.spare_gains);
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
        if let Some(index) = auralis_core::first_non_finite(input) {
            return Err(AudioError::NonFinite {
                channel: index % self.channels,
                index: index / self.channels,
                value: input[index],
            }
            .into());
        }
        Ok(())
    }

    /// Filters one frame per channel from `inputs`, hands the finished block to `outputs` and
    /// shifts the input and accumulator buffers by one hop.
    fn process_frame(&mut self) -> Result<()> {
        let (n, hop) = (self.layout.fft, self.layout.hop);
        let frames = self
            .inputs
            .chunks_exact_mut(n)
            .zip(self.accumulators.chunks_exact_mut(n))
            .zip(self.outputs.chunks_exact_mut(hop));
        for ((input, acc), output) in frames {
            simd::multiply_into(self.arch, &mut self.fft.time, input, &self.windows.analysis);
            self.fft.forward()?;
            let spectrum = pulp::bytemuck::cast_slice_mut(&mut self.fft.spectrum);
            simd::multiply_in_place(self.arch, spectrum, &self.gains);
            self.fft.inverse()?;
            simd::add_product(self.arch, acc, &self.fft.time, &self.windows.synthesis);

            output.copy_from_slice(&acc[..hop]);
            acc.copy_within(hop.., 0);
            acc[n - hop..].fill(0.0);
            input.copy_within(hop.., 0);
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
        self.settings.latency_frames()
    }

    fn process_interleaved(&mut self, input: &[f32], output: &mut [f32]) -> Result<()> {
        self.check_chunk(input, output)?;
        let (n, hop, channels) = (self.layout.fft, self.layout.hop, self.channels);
        let total = input.len() / channels;
        let mut done = 0;
        while done < total {
            // A run ends at the end of the chunk or at the sample that completes a frame.
            let run = (total - done).min(hop - self.pending);
            let completes_frame = self.pending + run == hop;
            let input_run = &input[done * channels..(done + run) * channels];
            let output_run = &mut output[done * channels..(done + run) * channels];

            let write_at = n - hop + self.pending;
            for (c, history) in self.inputs.chunks_exact_mut(n).enumerate() {
                let dst = &mut history[write_at..write_at + run];
                for (d, frame) in dst.iter_mut().zip(input_run.chunks_exact(channels)) {
                    *d = frame[c];
                }
            }

            let from_current_block = if completes_frame { run - 1 } else { run };
            let read_at = self.pending + 1;
            for (c, block) in self.outputs.chunks_exact(hop).enumerate() {
                let src = &block[read_at..read_at + from_current_block];
                for (frame, &s) in output_run.chunks_exact_mut(channels).zip(src) {
                    frame[c] = s;
                }
            }

            if completes_frame {
                self.process_frame()?;
                let last = &mut output_run[(run - 1) * channels..];
                for (c, block) in self.outputs.chunks_exact(hop).enumerate() {
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

    /// Gain changes between chunks take effect at the next frame: the stream equals the
    /// reference run with a per-frame gain schedule, bit for bit.
    #[test]
    fn gain_changes_apply_from_the_next_frame() {
        let settings = EqSettings {
            gains: EqGains::preset("warm").unwrap(),
            ..EqSettings::default()
        };
        let layout = StftLayout::new(&settings);
        let hop = layout.hop;
        let len = 60_000;
        let x = test_signal(len);
        // Changes after 10_000 and 23_456 input samples (one at a hop boundary would be
        // 10_240): frames completed before a change keep the old gains.
        let bright = EqGains::preset("bright").unwrap();
        let mut cut = [0.0f32; crate::NUM_BANDS];
        cut[12] = -12.0;
        let cut = EqGains::new(&cut).unwrap();
        let changes = [(10_000usize, bright.clone()), (23_456, cut.clone())];

        let mut stream = EqStream::new(&settings, 1, 44_100).unwrap();
        let latency = stream.latency_frames();
        let mut input = x.clone();
        input.resize(len + latency, 0.0);
        let mut output = vec![0.0f32; input.len()];
        let mut at = 0;
        for (change_at, gains) in &changes {
            // Uneven chunks up to the change.
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

        let half_gains = |g: &EqGains| {
            let mut v = vec![0.0; layout.fft + 2];
            fill_half_spectrum_gains(g, 44_100, layout.fft, &mut v);
            v
        };
        let schedule = [
            half_gains(&settings.gains),
            half_gains(&bright),
            half_gains(&cut),
        ];
        let (first_bright, first_cut) = (10_000 / hop, 23_456 / hop);
        let expected = reference::filter_channel(
            &x,
            &layout,
            &Windows::new(&layout),
            |t| {
                if t < first_bright {
                    &schedule[0]
                } else if t < first_cut {
                    &schedule[1]
                } else {
                    &schedule[2]
                }
            },
            &mut RealFft::new(layout.fft),
        )
        .unwrap();
        let streamed = &output[latency..];
        assert_eq!(expected.len(), streamed.len());
        for (i, (e, s)) in expected.iter().zip(streamed).enumerate() {
            assert_eq!(e.to_bits(), s.to_bits(), "sample {i}: {e} vs {s}");
        }

        // And the schedule mattered: off by one frame, the output differs.
        let shifted = reference::filter_channel(
            &x,
            &layout,
            &Windows::new(&layout),
            |t| {
                if t <= first_bright {
                    &schedule[0]
                } else {
                    &schedule[1]
                }
            },
            &mut RealFft::new(layout.fft),
        )
        .unwrap();
        assert!(shifted[..20_000] != streamed[..20_000]);
    }
}
