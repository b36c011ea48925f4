//! The compressor as a chunked state machine, shared by every implementation and the stream.
//!
//! Per frame `t`: detector `d[t] = max_c |x_c[t]|`; gain `G[t] = makeup − follow(r(d[t]))`
//! (kernel); output `x[t − lookahead]·10^(G[t]/20)`. The lookahead delays the *audio*, so a
//! transient's gain reduction is already under way when the transient itself is output.

use std::ops::Range;

use crate::curve::StaticCurve;
use crate::engine::{linked_peaks, FrameSink, FrameSource, CHUNK};
use crate::envelope::{time_coefficient, EnvelopeFollower};
use crate::kernel::{Kernel, KernelScratch};
use crate::overlap::Background;
use crate::settings::{ms_to_frames, CompressorSettings};

#[derive(Clone, Debug)]
pub(crate) struct CompressorStage<K: Kernel> {
    curve: StaticCurve,
    follower: EnvelopeFollower,
    follower_state: K::FollowerState,
    /// Absolute index of the next frame.
    frames: u64,
    makeup_db: f64,
    lookahead: usize,
    channels: usize,
    /// The last `lookahead` input frames per channel (channel-major).
    history: Vec<f32>,
    peaks: Vec<f32>,
    gain_linear: Vec<f32>,
    scratch: KernelScratch,
}

impl<K: Kernel> CompressorStage<K> {
    /// Settings must have been validated.
    pub fn new(s: &CompressorSettings, channels: usize, sample_rate: u32) -> Self {
        let lookahead = ms_to_frames(s.lookahead_ms, sample_rate);
        CompressorStage {
            curve: StaticCurve::new(s),
            follower: EnvelopeFollower::from_coefficients(
                time_coefficient(f64::from(s.attack_ms), sample_rate),
                time_coefficient(f64::from(s.release_ms), sample_rate),
            ),
            follower_state: K::FollowerState::default(),
            frames: 0,
            makeup_db: f64::from(s.makeup_db),
            lookahead,
            channels,
            history: vec![0.0; channels * lookahead],
            peaks: vec![0.0; CHUNK],
            gain_linear: vec![0.0; CHUNK],
            scratch: KernelScratch::new(CHUNK),
        }
    }

    pub fn latency(&self) -> usize {
        self.lookahead
    }

    pub fn reset(&mut self) {
        self.follower.reset();
        self.follower_state = K::FollowerState::default();
        self.frames = 0;
        self.history.fill(0.0);
    }

    /// Processes `n ≤ CHUNK` frames: writes the delayed, gain-applied audio to `out` and the
    /// applied gain in dB to `gain_db`. Returns how many frames in `count` (chunk positions)
    /// have a detector level above the threshold.
    #[inline(always)] // compiled inside `Kernel::dispatch`
    pub fn process(
        &mut self,
        input: &impl FrameSource,
        n: usize,
        out: &mut impl FrameSink,
        gain_db: &mut [f64],
        count: Range<usize>,
        background: &mut impl Background,
    ) -> u64 {
        let peaks = &mut self.peaks[..n];
        linked_peaks(peaks, (0..self.channels).map(|c| input.channel(c)));
        let threshold = self.curve.threshold_linear;
        let over = peaks[count].iter().filter(|&&p| p > threshold).count() as u64;

        K::compressor_gains(
            &self.curve,
            &mut self.follower,
            &mut self.follower_state,
            self.frames,
            self.makeup_db,
            peaks,
            &mut self.scratch,
            &mut gain_db[..n],
            &mut self.gain_linear[..n],
            background,
        );

        self.frames += n as u64;

        // The frames leaving are the `lookahead` held ones, then the chunk's own.
        let la = self.lookahead;
        let held = la.min(n);
        for c in 0..self.channels {
            let line = &mut self.history[c * la..(c + 1) * la];
            let src = &input.channel(c)[..n];
            let dst = &mut out.channel_mut(c)[..n];
            let gains = &self.gain_linear[..n];
            apply(&line[..held], &gains[..held], &mut dst[..held]);
            apply(&src[..n - held], &gains[held..], &mut dst[held..]);
            // Keep the newest `la` frames of (held ++ chunk).
            if n >= la {
                line.copy_from_slice(&src[n - la..]);
            } else {
                line.copy_within(n.., 0);
                line[la - n..].copy_from_slice(src);
            }
        }
        over
    }
}

/// `out = x·gain`, kept finite (makeup on a near-`f32::MAX` input could overflow).
#[inline(always)]
fn apply(x: &[f32], gain: &[f32], out: &mut [f32]) {
    for ((o, &x), &g) in out.iter_mut().zip(x).zip(gain) {
        *o = (x * g).clamp(f32::MIN, f32::MAX);
    }
}
