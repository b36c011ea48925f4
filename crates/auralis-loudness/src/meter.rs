//! [`LoudnessMeter`]: the loudness of audio that arrives chunk by chunk (a file too long to
//! hold, a mastering pass that writes as it measures), with the whole-file result's bits.
//!
//! * The K-weighting runs sample by sample with the state carried across chunks, which is
//!   the sequential reference's definition (`energy::filter_subblocks`): the sub-block
//!   energies, and so every loudness value, equal [`crate::measure`] with
//!   [`auralis_core::ImplKind::Reference`] exactly.
//! * The true peak is evaluated on fixed blocks of [`TRUE_PEAK_BLOCK`] points at absolute
//!   positions, each with its neighbours in hand, by the vectorized interpolator — the same
//!   1024-point groups the whole-file call forms — so it equals the vectorized
//!   variant's true peak exactly.
//!
//! Neither depends on how the audio was cut into chunks: a meter fed one frame at a time
//! and one fed the whole file give the same result (tested).

use auralis_core::{AudioError, Result};
use auralis_dsp::kweighting::{KState, KWeighting};
use auralis_dsp::truepeak_simd::true_peak_range_fast;

use crate::gating::{gate, subblock_frames};
use crate::result::LoudnessResult;
use crate::settings::LoudnessSettings;
use crate::weights::weights_for;

/// Interpolation points per true-peak evaluation (a multiple of the interpolator's
/// 1024-point blocks, so the groups are the whole-file call's).
pub const TRUE_PEAK_BLOCK: usize = 8 * 1024;
/// Samples kept on each side of a block: more than the interpolator's support and the
/// 32-sample neighbourhood it bounds blocks by.
const MARGIN: usize = 64;

/// One channel's true-peak state: the samples from `origin` on, and the next block to
/// evaluate.
#[derive(Debug, Clone)]
struct TruePeakChannel {
    samples: Vec<f32>,
    origin: usize,
    next: usize,
    peak: f64,
}

impl TruePeakChannel {
    fn new() -> Self {
        Self {
            samples: Vec::with_capacity(TRUE_PEAK_BLOCK + 2 * MARGIN),
            origin: 0,
            next: 0,
            peak: 0.0,
        }
    }

    /// Evaluates every block whose neighbourhood is in hand (all of them when `end`), then
    /// drops the samples no later block needs — once, so a large push costs linear time.
    fn evaluate(&mut self, sample_rate: u32, end: bool) {
        let held_to = self.origin + self.samples.len();
        loop {
            let block_end = self.next + TRUE_PEAK_BLOCK;
            let complete = held_to >= block_end + MARGIN;
            // At the end, the last (partial) block too.
            let last = end && self.next < held_to;
            if !(complete || last) {
                break;
            }
            // The slice starts MARGIN before the block (or at the signal's start), as the
            // drained buffer would: the same neighbourhood, the same bits.
            let start = self.next.saturating_sub(MARGIN).max(self.origin);
            let slice = &self.samples[start - self.origin..];
            let (from, to) = (self.next - start, block_end.min(held_to) - start);
            self.peak = self
                .peak
                .max(true_peak_range_fast(slice, sample_rate, from..to));
            self.next = block_end;
        }
        // Keep MARGIN samples before the next block.
        let keep_from = self.next.saturating_sub(MARGIN).clamp(self.origin, held_to);
        self.samples.drain(..keep_from - self.origin);
        self.origin = keep_from;
    }
}

/// A BS.1770-4 meter fed interleaved chunks; [`LoudnessMeter::finish`] gives the same
/// [`LoudnessResult`] as measuring the concatenated audio whole.
#[derive(Debug, Clone)]
pub struct LoudnessMeter {
    sample_rate: u32,
    channels: usize,
    weights: Vec<f64>,
    filter: KWeighting,
    states: Vec<KState>,
    /// The current sub-block's sum of squares, per channel.
    sums: Vec<f64>,
    /// Frames into the current sub-block.
    filled: usize,
    subblock: usize,
    /// Channel-weighted energy of every complete sub-block.
    energies: Vec<f64>,
    sample_peak: Vec<f32>,
    true_peak: Option<Vec<TruePeakChannel>>,
}

impl LoudnessMeter {
    /// A meter for `channels` channels at `sample_rate` (speaker `mask` as a WAV declares
    /// it, if any).
    pub fn new(
        channels: usize,
        sample_rate: u32,
        mask: Option<u32>,
        settings: &LoudnessSettings,
    ) -> Result<Self> {
        auralis_core::audio::check_sample_rate(sample_rate)?;
        if channels == 0 {
            return Err(AudioError::NoChannels.into());
        }
        Ok(Self {
            sample_rate,
            channels,
            weights: weights_for(channels, mask),
            filter: KWeighting::new(sample_rate),
            states: vec![[0.0; 4]; channels],
            sums: vec![0.0; channels],
            filled: 0,
            subblock: subblock_frames(sample_rate),
            energies: Vec::new(),
            sample_peak: vec![0.0; channels],
            true_peak: settings
                .true_peak
                .then(|| (0..channels).map(|_| TruePeakChannel::new()).collect()),
        })
    }

    /// Channels per frame.
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// Measures the next `interleaved` frames (finite samples, a whole number of frames:
    /// the caller's stages have checked them).
    pub fn push(&mut self, interleaved: &[f32]) {
        let c = self.channels;
        debug_assert_eq!(interleaved.len() % c, 0);
        self.sample_peaks(interleaved);
        if let Some(tp) = &mut self.true_peak {
            for (ch, channel) in tp.iter_mut().enumerate() {
                channel
                    .samples
                    .extend(interleaved.iter().skip(ch).step_by(c));
                channel.evaluate(self.sample_rate, false);
            }
        }
        let mut rest = interleaved;
        while !rest.is_empty() {
            // Up to the end of the current sub-block.
            let take = (self.subblock - self.filled).min(rest.len() / c);
            let (segment, tail) = rest.split_at(take * c);
            rest = tail;
            self.filter_segment(segment);
            self.filled += take;
            if self.filled < self.subblock {
                return;
            }
            // Weighted over the measured channels in channel order, as `measure` sums.
            let mut z = 0.0;
            for (sum, &w) in self.sums.iter_mut().zip(&self.weights) {
                if w > 0.0 {
                    z += w * *sum;
                }
                *sum = 0.0;
            }
            self.energies.push(z);
            self.filled = 0;
        }
    }

    /// Folds `interleaved` into the per-channel sample peaks: eight frames per step into
    /// independent maxima (a compare-and-select the compiler vectorizes, where `f32::max`'s
    /// NaN rule keeps it scalar; the samples are finite), folded per channel at the end. A
    /// maximum has no rounding: the result is the sequential fold's.
    fn sample_peaks(&mut self, interleaved: &[f32]) {
        const FRAMES: usize = 8;
        let c = self.channels;
        let width = c * FRAMES;
        let mut lanes = vec![0.0f32; width];
        let mut blocks = interleaved.chunks_exact(width);
        for block in &mut blocks {
            for (m, &x) in lanes.iter_mut().zip(block) {
                let a = x.abs();
                *m = if a > *m { a } else { *m };
            }
        }
        for (m, &x) in lanes.iter_mut().zip(blocks.remainder()) {
            let a = x.abs();
            *m = if a > *m { a } else { *m };
        }
        for (j, &m) in lanes.iter().enumerate() {
            let peak = &mut self.sample_peak[j % c];
            *peak = peak.max(m);
        }
    }

    /// K-weights `segment` (within one sub-block) into the channels' sums. The state and the
    /// sum live in registers through the loop (a state stored to memory every sample would
    /// put a store-to-load delay on the recursion's critical path); stereo runs both
    /// channels' recursions side by side. Per channel, the operations are the reference's,
    /// in its order.
    fn filter_segment(&mut self, segment: &[f32]) {
        let k = self.filter;
        if self.channels == 2 {
            let (mut s0, mut s1) = (self.states[0], self.states[1]);
            let (mut a0, mut a1) = (self.sums[0], self.sums[1]);
            for frame in segment.chunks_exact(2) {
                let y0 = k.step(&mut s0, f64::from(frame[0]));
                let y1 = k.step(&mut s1, f64::from(frame[1]));
                a0 += y0 * y0;
                a1 += y1 * y1;
            }
            self.states[0] = s0;
            self.states[1] = s1;
            self.sums[0] = a0;
            self.sums[1] = a1;
            return;
        }
        for ch in 0..self.channels {
            let mut state = self.states[ch];
            let mut acc = self.sums[ch];
            for &x in segment.iter().skip(ch).step_by(self.channels) {
                let y = k.step(&mut state, f64::from(x));
                acc += y * y;
            }
            self.states[ch] = state;
            self.sums[ch] = acc;
        }
    }

    /// The measurement of everything pushed (a trailing partial sub-block belongs to no
    /// block, as in [`crate::measure`]).
    pub fn finish(mut self) -> LoudnessResult {
        let gated = gate(&self.energies, self.subblock);
        let true_peak = self.true_peak.as_mut().map(|tp| {
            tp.iter_mut()
                .map(|channel| {
                    channel.evaluate(self.sample_rate, true);
                    channel.peak
                })
                .collect()
        });
        LoudnessResult::from_gated(
            self.sample_rate,
            self.weights,
            gated,
            self.sample_peak.iter().map(|&p| f64::from(p)).collect(),
            true_peak,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use auralis_core::{AudioBuffer, ImplKind};

    fn interleave(audio: &AudioBuffer) -> Vec<f32> {
        (0..audio.len())
            .flat_map(|i| audio.channels().iter().map(move |c| c[i]))
            .collect()
    }

    fn metered(audio: &AudioBuffer, chunk_frames: usize) -> LoudnessResult {
        let settings = LoudnessSettings::default();
        let mut meter = LoudnessMeter::new(
            audio.num_channels(),
            audio.sample_rate(),
            audio.channel_mask(),
            &settings,
        )
        .unwrap();
        let x = interleave(audio);
        for chunk in x.chunks(chunk_frames * audio.num_channels()) {
            meter.push(chunk);
        }
        meter.finish()
    }

    #[test]
    fn equals_the_whole_file_meters_for_any_chunking() {
        let audio = auralis_fixtures::generate_seconds(7.3);
        let settings = LoudnessSettings::default();
        let reference = crate::measure(ImplKind::Reference, &audio, &settings).unwrap();
        let fast = crate::measure(ImplKind::Vectorized, &audio, &settings).unwrap();
        for chunk in [1, 441, 4410, 8192, 100_000, audio.len()] {
            let m = metered(&audio, chunk);
            assert_eq!(m.integrated_lufs, reference.integrated_lufs, "{chunk}");
            assert_eq!(m.range_lu, reference.range_lu, "{chunk}");
            assert_eq!(m.momentary_lufs, reference.momentary_lufs, "{chunk}");
            assert_eq!(m.short_term_lufs, reference.short_term_lufs, "{chunk}");
            assert_eq!(m.sample_peak, reference.sample_peak, "{chunk}");
            assert_eq!(m.true_peak, fast.true_peak, "{chunk}");
        }
    }

    #[test]
    fn short_and_multichannel_inputs_match_too() {
        let settings = LoudnessSettings::default();
        for (frames, channels) in [(1, 1), (100, 2), (5000, 6), (9000, 3)] {
            let data: Vec<Vec<f32>> = (0..channels)
                .map(|c| {
                    (0..frames)
                        .map(|i| ((i * (c + 3)) as f32 * 0.01).sin() * 0.5)
                        .collect()
                })
                .collect();
            let audio = AudioBuffer::new(data, 48_000).unwrap();
            let whole = crate::measure(ImplKind::Reference, &audio, &settings).unwrap();
            let fast = crate::measure(ImplKind::Vectorized, &audio, &settings).unwrap();
            let m = metered(&audio, 37);
            assert_eq!(m.integrated_lufs, whole.integrated_lufs);
            assert_eq!(m.momentary_lufs, whole.momentary_lufs);
            assert_eq!(m.channel_weights, whole.channel_weights);
            assert_eq!(m.true_peak, fast.true_peak, "{frames}×{channels}");
        }
    }
}
