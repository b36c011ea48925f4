//! Planar `f32` audio, validated once at construction.
//!
//! Every stage takes an [`AudioBuffer`], so every stage can rely on its invariants instead of
//! re-checking them: at least one channel, at least one sample, equal channel lengths, finite
//! samples within ±[`MAX_SAMPLE_MAGNITUDE`] and a sample rate between 8 kHz and 192 kHz.
//!
//! Why a magnitude bound: float audio may legitimately exceed full scale (overs of a few dB
//! in a float master), but nothing real comes near +96 dBFS, while past about 1e9 the stages
//! stop being exact in `f32` (squared levels and 4096-point FFT sums overflow at ~1e17,
//! dB-domain gains leave the range of the fast `exp2`): the limiter put a 1e15 input at the
//! wrong level and made 1e18 silent, the EQ turned 3e38 into NaN, with exit code 0. One
//! rule for every command and every entry point — refuse, with the sample and the bound
//! named — replaces three different behaviours. Stage *outputs* may exceed the bound (an EQ
//! boost of a sample at the bound); the bound is on what comes in.

/// Largest accepted sample magnitude: 2^16, +96.3 dBFS. Every stage processes inputs up to
/// it exactly as it processes full-scale audio (tested at the bound and just past it).
pub const MAX_SAMPLE_MAGNITUDE: f32 = 65_536.0;

use crate::error::AudioError;

/// Planar audio: one `Vec<f32>` per channel plus the sample rate.
#[derive(Debug, Clone, PartialEq)]
pub struct AudioBuffer {
    channels: Vec<Vec<f32>>,
    sample_rate: u32,
    /// WAVE_FORMAT_EXTENSIBLE speaker mask, when the source declared one other than the
    /// default for its channel count.
    channel_mask: Option<u32>,
}

impl AudioBuffer {
    /// Lowest supported sample rate (telephone-band audio).
    pub const MIN_SAMPLE_RATE: u32 = 8_000;
    /// Highest supported sample rate (high-resolution masters).
    pub const MAX_SAMPLE_RATE: u32 = 192_000;

    /// Builds a buffer from planar channels, checking every invariant.
    pub fn new(channels: Vec<Vec<f32>>, sample_rate: u32) -> Result<Self, AudioError> {
        Self::checked(channels, sample_rate, first_invalid_sample)
    }

    /// Builds a buffer from what a stage computed: every invariant of [`AudioBuffer::new`]
    /// but the input bound. A stage may lift valid input past ±[`MAX_SAMPLE_MAGNITUDE`]
    /// (a boost, a flat EQ's rounding at the bound); its output is still audio, and
    /// refusing it would fail a command after the work was done.
    pub fn from_stage_output(
        channels: Vec<Vec<f32>>,
        sample_rate: u32,
    ) -> Result<Self, AudioError> {
        Self::checked(channels, sample_rate, first_non_finite)
    }

    /// The shape checks, then `first_bad` over every channel.
    fn checked(
        channels: Vec<Vec<f32>>,
        sample_rate: u32,
        first_bad: fn(&[f32]) -> Option<usize>,
    ) -> Result<Self, AudioError> {
        check_shape(&channels, sample_rate)?;
        for (channel, samples) in channels.iter().enumerate() {
            if let Some(index) = first_bad(samples) {
                return Err(AudioError::invalid_sample(channel, index, samples[index]));
            }
        }
        Ok(Self {
            channels,
            sample_rate,
            channel_mask: None,
        })
    }

    /// Builds a buffer whose samples the caller has already proved finite with
    /// [`first_non_finite`] — typically a parallel stage that checks each block of its
    /// output on the thread that wrote it, while the block is still in cache, instead of
    /// re-reading the whole output on one thread here. Everything else is checked as in
    /// [`AudioBuffer::new`]; debug builds re-check finiteness too.
    pub fn from_checked_finite(
        channels: Vec<Vec<f32>>,
        sample_rate: u32,
    ) -> Result<Self, AudioError> {
        check_shape(&channels, sample_rate)?;
        debug_assert!(channels.iter().all(|c| first_non_finite(c).is_none()));
        Ok(Self {
            channels,
            sample_rate,
            channel_mask: None,
        })
    }

    /// The same audio with a speaker layout: a WAVE_FORMAT_EXTENSIBLE channel mask (bit 0
    /// front left, 1 front right, 2 front centre, 3 LFE, …). `None`, or the default mask of
    /// the channel count, means the conventional order (see [`AudioBuffer::lfe_channel`]).
    pub fn with_channel_mask(mut self, mask: Option<u32>) -> Self {
        self.channel_mask = mask;
        self
    }

    /// Overwrites every sample with `value` in place (the storage is kept, not reallocated):
    /// the lab's way to make a stale output recognisable before a timed run
    /// (`Stage::poison`). `value` must itself be valid audio (finite, within the bound).
    pub fn overwrite_in_place(&mut self, value: f32) {
        assert!(
            value.is_finite() && value.abs() <= MAX_SAMPLE_MAGNITUDE,
            "overwrite_in_place needs a valid sample value, not {value}"
        );
        for channel in &mut self.channels {
            channel.fill(value);
        }
    }

    /// The declared speaker mask, if the source declared one other than the default.
    pub fn channel_mask(&self) -> Option<u32> {
        self.channel_mask
    }

    /// Which channel is the low-frequency effects channel, if any: from the declared mask
    /// (the LFE bit's rank among the set bits), else by convention for the channel count —
    /// 5.1 and 7.1 (6 and 8 channels) carry LFE fourth (FL FR FC LFE …), as
    /// WAVE_FORMAT_EXTENSIBLE's default order and ITU-R BS.2051 have it. Loudness meters
    /// leave it out (BS.1770).
    pub fn lfe_channel(&self) -> Option<usize> {
        const LFE: u32 = 1 << 3;
        match self.channel_mask {
            Some(mask) if mask & LFE != 0 => {
                let rank = (mask & (LFE - 1)).count_ones() as usize;
                (rank < self.channels.len()).then_some(rank)
            }
            Some(_) => None,
            None => matches!(self.channels.len(), 6 | 8).then_some(3),
        }
    }

    /// Builds a buffer from interleaved samples (`L R L R …` for stereo).
    pub fn from_interleaved(
        data: &[f32],
        num_channels: usize,
        sample_rate: u32,
    ) -> Result<Self, AudioError> {
        if num_channels == 0 {
            return Err(AudioError::NoChannels);
        }
        if !data.len().is_multiple_of(num_channels) {
            return Err(AudioError::Interleaving {
                len: data.len(),
                channels: num_channels,
            });
        }
        let frames = data.len() / num_channels;
        let mut channels = vec![Vec::with_capacity(frames); num_channels];
        for frame in data.chunks_exact(num_channels) {
            for (channel, &sample) in channels.iter_mut().zip(frame) {
                channel.push(sample);
            }
        }
        Self::new(channels, sample_rate)
    }

    /// Number of channels (≥ 1).
    pub fn num_channels(&self) -> usize {
        self.channels.len()
    }

    /// Samples per channel (≥ 1).
    pub fn len(&self) -> usize {
        self.channels[0].len()
    }

    /// Always false: an empty buffer cannot be built. Present for API symmetry with slices.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Sample rate in Hz.
    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// Duration in seconds.
    pub fn duration_secs(&self) -> f64 {
        self.len() as f64 / self.sample_rate as f64
    }

    /// All channels, planar.
    pub fn channels(&self) -> &[Vec<f32>] {
        &self.channels
    }

    /// One channel. Panics if `index >= num_channels()`, like slice indexing.
    pub fn channel(&self, index: usize) -> &[f32] {
        &self.channels[index]
    }

    /// Gives the channels back, e.g. to reuse their allocation for output.
    pub fn into_channels(self) -> Vec<Vec<f32>> {
        self.channels
    }

    /// Channel storage for an output of `channels × len` samples, reusing `old`'s
    /// allocations where there are any (see [`crate::Stage::run_into`] for why). Reused
    /// samples keep whatever values they had (finite, but stale): a caller that accumulates
    /// into the storage must zero it first. Fresh storage is zeroed.
    pub fn recycle(old: Option<AudioBuffer>, channels: usize, len: usize) -> Vec<Vec<f32>> {
        let mut storage = old.map(AudioBuffer::into_channels).unwrap_or_default();
        storage.truncate(channels);
        for channel in &mut storage {
            channel.resize(len, 0.0);
        }
        // One zeroed allocation per channel: `vec![vec![..]; n]` would clone, i.e. write,
        // every page of the first up front.
        storage.extend((storage.len()..channels).map(|_| vec![0.0; len]));
        storage
    }

    /// The mean of all channels (the signal the spectrum and content analyses look at).
    pub fn mono_mix(&self) -> Vec<f32> {
        if self.channels.len() == 1 {
            return self.channels[0].clone();
        }
        let scale = 1.0 / self.channels.len() as f32;
        let mut mix = self.channels[0].clone();
        for channel in &self.channels[1..] {
            for (m, &s) in mix.iter_mut().zip(channel) {
                *m += s;
            }
        }
        for m in &mut mix {
            *m *= scale;
        }
        mix
    }

    /// Interleaved copy (`L R L R …`), e.g. for writing a WAV file.
    pub fn to_interleaved(&self) -> Vec<f32> {
        let n = self.num_channels();
        let mut out = vec![0.0; self.len() * n];
        for (c, channel) in self.channels.iter().enumerate() {
            for (i, &s) in channel.iter().enumerate() {
                out[i * n + c] = s;
            }
        }
        out
    }

    /// Largest absolute sample over all channels.
    pub fn peak(&self) -> f32 {
        self.channels
            .iter()
            .flat_map(|c| c.iter())
            .fold(0.0f32, |m, &s| m.max(s.abs()))
    }
}

/// Every invariant but finiteness: a supported rate, at least one channel, at least one
/// sample, equal channel lengths.
fn check_shape(channels: &[Vec<f32>], sample_rate: u32) -> Result<(), AudioError> {
    check_sample_rate(sample_rate)?;
    let first = channels.first().ok_or(AudioError::NoChannels)?;
    let expected = first.len();
    if expected == 0 {
        return Err(AudioError::Empty);
    }
    match channels.iter().position(|c| c.len() != expected) {
        None => Ok(()),
        Some(channel) => Err(AudioError::ChannelLengthMismatch {
            channel,
            expected,
            found: channels[channel].len(),
        }),
    }
}

/// Checks a sample rate against the supported range.
pub fn check_sample_rate(rate: u32) -> Result<(), AudioError> {
    if (AudioBuffer::MIN_SAMPLE_RATE..=AudioBuffer::MAX_SAMPLE_RATE).contains(&rate) {
        Ok(())
    } else {
        Err(AudioError::SampleRate {
            rate,
            min: AudioBuffer::MIN_SAMPLE_RATE,
            max: AudioBuffer::MAX_SAMPLE_RATE,
        })
    }
}

/// Checks that every sample of a slice is finite; used by streaming processors, which take
/// raw slices rather than validated buffers.
pub fn check_finite(samples: &[f32]) -> Result<(), AudioError> {
    match first_non_finite(samples) {
        None => Ok(()),
        Some(index) => Err(AudioError::NonFinite {
            channel: 0,
            index,
            value: samples[index],
        }),
    }
}

/// Index of the first sample that is not valid *input*: NaN, infinite, or beyond
/// ±[`MAX_SAMPLE_MAGNITUDE`]. The same block scan as [`first_non_finite`], with the bound in
/// place of the exponent test: adding `0x7fff_ffff − bits(MAX)` to the magnitude bits carries
/// into bit 31 exactly when they exceed the bound's (NaN and ±∞ included, whose magnitude
/// bits are larger than any finite value's).
pub fn first_invalid_sample(samples: &[f32]) -> Option<usize> {
    const ABS: u32 = 0x7fff_ffff;
    first_flagged(samples, ABS, ABS - MAX_SAMPLE_MAGNITUDE.to_bits())
}

/// Index of the first NaN or infinite sample, if any.
///
/// NaN and ±∞ are exactly the values whose exponent bits are all ones, and adding one
/// exponent step to the exponent bits carries into bit 31 only then.
pub fn first_non_finite(samples: &[f32]) -> Option<usize> {
    const EXPONENT: u32 = 0x7f80_0000;
    const STEP: u32 = 0x0080_0000;
    first_flagged(samples, EXPONENT, STEP)
}

/// Index of the first sample whose `(bits & mask) + add` sets bit 31.
///
/// Scans blocks branch-free: OR-ing that value over a block flags the block with integer
/// AND, ADD and OR — which the compiler vectorizes even for the SSE2 baseline — and only a
/// flagged block is searched element by element. Several times faster than a
/// `position(|s| !s.is_finite())` scan, whose early exit keeps it scalar.
#[inline(always)]
fn first_flagged(samples: &[f32], mask: u32, add: u32) -> Option<usize> {
    const BLOCK: usize = 1024;
    const FLAG: u32 = 0x8000_0000;
    let flag = |s: &f32| (s.to_bits() & mask) + add;
    samples
        .chunks(BLOCK)
        .enumerate()
        .find(|(_, block)| block.iter().fold(0u32, |flags, s| flags | flag(s)) & FLAG != 0)
        .and_then(|(b, block)| {
            let at = block.iter().position(|s| flag(s) & FLAG != 0)?;
            Some(b * BLOCK + at)
        })
}

#[cfg(test)]
mod tests {
    #[test]
    fn samples_at_the_bound_are_accepted_and_past_it_refused() {
        let max = MAX_SAMPLE_MAGNITUDE;
        let mut x = vec![0.5f32; 3000];
        x[5] = max;
        x[6] = -max;
        assert_eq!(first_invalid_sample(&x), None);
        assert!(AudioBuffer::new(vec![x.clone()], 44_100).is_ok());
        for (i, bad) in [
            (2999, f32::from_bits(max.to_bits() + 1)),
            (1500, -1e15),
            (0, 3e38),
            (7, f32::NAN),
            (2048, f32::NEG_INFINITY),
        ] {
            let mut y = x.clone();
            y[i] = bad;
            assert_eq!(first_invalid_sample(&y), Some(i), "{bad}");
            let err = AudioBuffer::new(vec![vec![0.0; 3000], y], 44_100).unwrap_err();
            match (bad.is_finite(), &err) {
                (
                    true,
                    AudioError::OutOfRange {
                        channel: 1, index, ..
                    },
                ) => assert_eq!(*index, i),
                (
                    false,
                    AudioError::NonFinite {
                        channel: 1, index, ..
                    },
                ) => assert_eq!(*index, i),
                _ => panic!("{bad}: {err:?}"),
            }
            assert!(err
                .to_string()
                .contains(&format!("sample {i} of channel 1")));
        }
        // An out-of-range first, a NaN later: the first invalid sample is named.
        let mut y = x.clone();
        y[10] = 1e6;
        y[20] = f32::NAN;
        assert_eq!(first_invalid_sample(&y), Some(10));
        let msg = AudioError::invalid_sample(0, 10, 1e6).to_string();
        assert!(msg.contains("65536") && msg.contains("+96.3 dBFS"), "{msg}");
    }

    #[test]
    fn first_non_finite_finds_the_first_bad_sample_anywhere() {
        assert_eq!(first_non_finite(&[]), None);
        let mut x = vec![0.5f32; 5000];
        x[17] = -1e38;
        x[4000] = f32::MIN_POSITIVE / 2.0; // subnormal: finite
        assert_eq!(first_non_finite(&x), None);
        for (i, bad) in [
            (0, f32::NAN),
            (1023, f32::INFINITY),
            (1024, f32::NEG_INFINITY),
            (4999, -f32::NAN),
        ] {
            let mut y = x.clone();
            y[i] = bad;
            y[4998] = f32::NAN; // a later one must not win
            assert_eq!(first_non_finite(&y), Some(i.min(4998)), "{i}");
        }
    }

    #[test]
    fn recycle_reuses_allocations_and_fixes_the_shape() {
        let old = AudioBuffer::new(vec![vec![0.5; 8], vec![0.25; 8]], 44_100).unwrap();
        let pointer = old.channel(0).as_ptr();
        let storage = AudioBuffer::recycle(Some(old), 3, 6);
        assert_eq!(storage.len(), 3);
        assert!(storage.iter().all(|c| c.len() == 6));
        assert_eq!(
            storage[0].as_ptr(),
            pointer,
            "first channel's allocation reused"
        );
        assert_eq!(
            storage[0][0], 0.5,
            "reused samples are stale, as documented"
        );
        assert!(
            storage[2].iter().all(|&s| s == 0.0),
            "new channels are zeroed"
        );
        let fresh = AudioBuffer::recycle(None, 2, 4);
        assert_eq!(fresh, vec![vec![0.0; 4]; 2]);
        let fewer = AudioBuffer::recycle(AudioBuffer::new(vec![vec![1.0; 2]; 4], 8_000).ok(), 1, 3);
        assert_eq!(fewer, vec![vec![1.0, 1.0, 0.0]]);
    }

    #[test]
    fn checked_finite_constructor_still_checks_shape_and_rate() {
        assert!(AudioBuffer::from_checked_finite(vec![vec![0.0; 2]], 44_100).is_ok());
        assert_eq!(
            AudioBuffer::from_checked_finite(vec![vec![0.0; 2], vec![0.0]], 44_100),
            Err(AudioError::ChannelLengthMismatch {
                channel: 1,
                expected: 2,
                found: 1
            })
        );
        assert_eq!(
            AudioBuffer::from_checked_finite(vec![vec![]], 44_100),
            Err(AudioError::Empty)
        );
        assert!(matches!(
            AudioBuffer::from_checked_finite(vec![vec![0.0]], 1_000),
            Err(AudioError::SampleRate { .. })
        ));
    }

    use super::*;

    #[test]
    fn valid_stereo_buffer() {
        let a = AudioBuffer::new(vec![vec![0.1, 0.2], vec![0.3, 0.4]], 44_100).unwrap();
        assert_eq!(a.num_channels(), 2);
        assert_eq!(a.len(), 2);
        assert_eq!(a.to_interleaved(), vec![0.1, 0.3, 0.2, 0.4]);
        let m = a.mono_mix();
        assert!((m[0] - 0.2).abs() < 1e-7 && (m[1] - 0.3).abs() < 1e-7);
    }

    #[test]
    fn rejects_no_channels() {
        assert_eq!(
            AudioBuffer::new(vec![], 44_100),
            Err(AudioError::NoChannels)
        );
    }

    #[test]
    fn rejects_empty() {
        assert_eq!(
            AudioBuffer::new(vec![vec![], vec![]], 44_100),
            Err(AudioError::Empty)
        );
    }

    #[test]
    fn rejects_ragged_channels() {
        let err = AudioBuffer::new(vec![vec![0.0; 3], vec![0.0; 2]], 44_100).unwrap_err();
        assert_eq!(
            err,
            AudioError::ChannelLengthMismatch {
                channel: 1,
                expected: 3,
                found: 2
            }
        );
    }

    #[test]
    fn rejects_nan_and_inf() {
        let err = AudioBuffer::new(vec![vec![0.0, f32::NAN]], 44_100).unwrap_err();
        assert!(matches!(err, AudioError::NonFinite { index: 1, .. }));
        let err = AudioBuffer::new(vec![vec![f32::INFINITY]], 44_100).unwrap_err();
        assert!(matches!(err, AudioError::NonFinite { index: 0, .. }));
        assert!(err.to_string().contains("finite"));
    }

    #[test]
    fn rejects_absurd_sample_rates() {
        for rate in [0, 7_999, 192_001, u32::MAX] {
            assert!(matches!(
                AudioBuffer::new(vec![vec![0.0]], rate),
                Err(AudioError::SampleRate { .. })
            ));
        }
        assert!(AudioBuffer::new(vec![vec![0.0]], 8_000).is_ok());
        assert!(AudioBuffer::new(vec![vec![0.0]], 192_000).is_ok());
    }

    #[test]
    fn interleaved_round_trip_and_errors() {
        let a = AudioBuffer::from_interleaved(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 3, 48_000).unwrap();
        assert_eq!(a.channel(2), &[3.0, 6.0]);
        assert_eq!(a.to_interleaved(), vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        assert!(matches!(
            AudioBuffer::from_interleaved(&[1.0, 2.0, 3.0], 2, 48_000),
            Err(AudioError::Interleaving { .. })
        ));
        assert_eq!(
            AudioBuffer::from_interleaved(&[1.0], 0, 48_000),
            Err(AudioError::NoChannels)
        );
    }
}
