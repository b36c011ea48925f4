//! The lookahead limiter as a chunked state machine, shared by every implementation and the
//! stream.
//!
//! ## Gain plan (both modes), in linear reduction `x = 1 − gain`
//! 1. Required reduction of the frame entering: `x[t] = max(0, 1 − c/peak[t])`.
//! 2. Hold: `h[t] = max(x[t−D ..= t])` (monotone deque), `D` = lookahead frames.
//! 3. Release: `e[t] = h` if `h > e[t−1]` (instant attack), else `h + (e[t−1] − h)·c_rel`.
//! 4. Attack ramp: `s[t] = mean(e[t−D ..= t])` is the reduction applied to frame `t − D`.
//!
//! Every `e[i]` with `i ∈ [t−D, t]` is `≥ h[i] ≥ x[t−D]` (each hold window contains `t−D`),
//! so their mean is too: the plan never reduces a frame by less than it requires, and it
//! ramps into every peak over `D` frames instead of jumping. Then a final *exact clamp*
//! `gain = min(1 − s, c/peak)` for the frame being output makes float rounding irrelevant,
//! and `c` is 2⁻²⁰ below the user's ceiling so that rounding `sample·gain` to `f32` cannot
//! cross it either. The product is formed in `f64` and rounded once, so even a gain that is
//! subnormal in `f32` cannot round the output up.
//!
//! ## True-peak mode
//! The peak of frame `j` becomes the largest interpolated magnitude of every point whose
//! 12-sample support contains `j` (`truepeak.rs`; 11 frames of extra latency), the plan aims
//! 0.2 % below the ceiling, and the [`TruePeakGuard`] then enforces the ceiling on the actual
//! oversampled output (63 frames of latency).
//!
//! While no frame needs limiting and the state is at rest, whole chunks skip the per-frame
//! loop; the skip produces exactly what the loop would.

use crate::engine::{linked_peaks, FrameSink, FrameSource, CHUNK};
use crate::envelope::{time_coefficient, SUBNORMAL_GUARD};
use crate::guard::{TruePeakGuard, GUARD_LATENCY};
use crate::kernel::Kernel;
use crate::settings::{db_to_linear, ms_to_frames, LimiterSettings, PeakMode};
use auralis_dsp::truepeak::{max_abs_tap_sum, taps, Taps, TRUE_PEAK_TAPS_PER_PHASE};

/// Relative distance of the internal sample-peak ceiling below the user's: covers the
/// rounding of the gain and of `sample·gain` to `f32` (2⁻²⁴ each).
pub(crate) const SAMPLE_PEAK_GUARD: f64 = 1.0 / (1 << 20) as f64;
/// Relative distance of the internal true-peak ceiling below the user's: covers `f32`
/// rounding of the output and of a 12-tap `f32` measurement of it.
pub(crate) const TRUE_PEAK_GUARD: f64 = 1e-5;
/// How far below the guarded ceiling the true-peak *plan* aims, so that the guard rarely has
/// to correct anything (0.2 % ≈ 0.017 dB).
pub(crate) const TRUE_PEAK_PLAN_MARGIN: f64 = 2e-3;
/// Frames of extra detector latency in true-peak mode: a point needs 6 samples after it,
/// and its requirement is held over the 12 samples of its support.
const TRUE_PEAK_DETECTOR_LATENCY: usize = TRUE_PEAK_TAPS_PER_PHASE - 1;
/// The box filter's running sum is recomputed from scratch this often (at absolute frame
/// indices, so every chunking of the stream does it at the same frames).
const RESYNC_PERIOD: u64 = 1 << 16;

/// Reported floor of the limiter's gain in dB. A gain can be exactly 0 (a sample near
/// `f32::MAX` against a −60 dB ceiling needs −830 dB, which rounds the plan to 0); the
/// trajectory stays finite so that it can be compared and plotted.
const FLOOR_DB: f64 = -1000.0;

/// Required reduction `max(0, 1 − ceiling/peak)`.
#[inline]
fn requirement(peak: f64, ceiling: f64) -> f64 {
    if peak > ceiling {
        1.0 - ceiling / peak
    } else {
        0.0
    }
}

/// Sliding maximum over the last `span + 1` indices (monotone deque on a ring buffer).
#[derive(Clone, Debug)]
struct MaxWindow {
    index: Vec<u64>,
    value: Vec<f64>,
    head: usize,
    len: usize,
    span: u64,
}

impl MaxWindow {
    fn new(span: usize) -> Self {
        MaxWindow {
            index: vec![0; span + 1],
            value: vec![0.0; span + 1],
            head: 0,
            len: 0,
            span: span as u64,
        }
    }

    fn reset(&mut self) {
        self.head = 0;
        self.len = 0;
    }

    fn capacity(&self) -> usize {
        self.index.len()
    }

    /// Adds `x` at index `t` and returns the maximum over `[t − span, t]` (zeros implied).
    #[inline]
    fn push(&mut self, t: u64, x: f64) -> f64 {
        let cap = self.capacity();
        if x > 0.0 {
            while self.len > 0 && self.value[(self.head + self.len - 1) % cap] <= x {
                self.len -= 1;
            }
            let slot = (self.head + self.len) % cap;
            self.index[slot] = t;
            self.value[slot] = x;
            self.len += 1;
        }
        while self.len > 0 && self.index[self.head] + self.span < t {
            self.head = (self.head + 1) % cap;
            self.len -= 1;
        }
        if self.len > 0 {
            self.value[self.head]
        } else {
            0.0
        }
    }
}

/// Steps 2–4 of the plan.
#[derive(Clone, Debug)]
struct GainPlan {
    hold: MaxWindow,
    release: f64,
    envelope: f64,
    ring: Vec<f64>,
    position: usize,
    sum: f64,
    nonzero: usize,
    /// Index of the next requirement.
    t: u64,
}

impl GainPlan {
    fn new(lookahead: usize, release: f64) -> Self {
        GainPlan {
            hold: MaxWindow::new(lookahead),
            release,
            envelope: 0.0,
            ring: vec![0.0; lookahead + 1],
            position: 0,
            sum: 0.0,
            nonzero: 0,
            t: 0,
        }
    }

    fn reset(&mut self) {
        self.hold.reset();
        self.envelope = 0.0;
        self.ring.fill(0.0);
        self.position = 0;
        self.sum = 0.0;
        self.nonzero = 0;
        self.t = 0;
    }

    /// Nothing held, released or averaged: a zero requirement leaves the state unchanged.
    fn is_at_rest(&self) -> bool {
        self.hold.len == 0 && self.envelope == 0.0 && self.nonzero == 0
    }

    /// What `n` zero requirements do to a state at rest.
    fn skip_at_rest(&mut self, n: usize) {
        self.t += n as u64;
        self.position = (self.position + n) % self.ring.len();
    }

    /// Feeds the required reduction of the newest frame; returns the planned reduction of
    /// the frame `lookahead` frames earlier.
    #[inline]
    fn step(&mut self, x: f64) -> f64 {
        let t = self.t;
        self.t += 1;
        let h = self.hold.push(t, x);
        let e = self.envelope;
        let mut e = if h > e { h } else { h + (e - h) * self.release };
        if e < SUBNORMAL_GUARD {
            e = 0.0;
        }
        self.envelope = e;

        let old = std::mem::replace(&mut self.ring[self.position], e);
        self.position += 1;
        if self.position == self.ring.len() {
            self.position = 0;
        }
        self.nonzero = self.nonzero + usize::from(e != 0.0) - usize::from(old != 0.0);
        if self.nonzero == 0 {
            self.sum = 0.0;
        } else if t % RESYNC_PERIOD == 0 {
            // Oldest to newest, so the result does not depend on where the ring starts.
            let (newer, older) = self.ring.split_at(self.position);
            self.sum = older.iter().chain(newer).sum();
        } else {
            self.sum += e - old;
        }
        (self.sum / self.ring.len() as f64).clamp(0.0, 1.0)
    }
}

/// The true-peak detector's state: the interpolated peak of the last 12 points.
#[derive(Clone, Debug)]
struct TruePeakPath {
    taps: &'static Taps,
    quiet_factor: f64,
    recent: [f64; TRUE_PEAK_TAPS_PER_PHASE],
    position: usize,
    guard: TruePeakGuard,
    /// Scratch for a chunk's detector pass (allocated once): one channel's support in `f64`,
    /// one phase's interpolated values, and the points' peaks.
    support: Vec<f64>,
    phase_values: Vec<f64>,
    point_peaks: Vec<f64>,
}

/// The peak of every point of a chunk: `point_peaks[i]` = the largest of `|x|` at the
/// point's left sample and its three interpolated values, over the channels. `support`
/// holds each channel's `n + 11` frames of support (converted to `f64` here).
///
/// Why a pass of its own: per point, the filter is 3 phases × 12 taps per channel. Looping
/// over the points innermost (one tap at a time across the chunk) makes every point's sum
/// an independent lane, so the loop vectorizes, while each sum still adds its 12 products
/// in tap order from zero — the same value as the per-point `interpolate` (up to the sign of
/// a zero, which `abs` removes), so the limiter's output is unchanged bit for bit.
#[inline(always)] // compiled inside `Kernel::dispatch`
fn point_peaks(
    taps: &Taps,
    channels: impl Iterator<Item = impl AsRef<[f32]>>,
    n: usize,
    support: &mut [f64],
    phase_values: &mut [f64],
    point_peaks: &mut [f64],
) {
    let point_peaks = &mut point_peaks[..n];
    point_peaks.fill(0.0);
    let phase_values = &mut phase_values[..n];
    for channel in channels {
        let channel = channel.as_ref();
        let support = &mut support[..n + TRUE_PEAK_TAPS_PER_PHASE - 1];
        for (s, &x) in support.iter_mut().zip(channel) {
            *s = f64::from(x);
        }
        for (p, &x) in point_peaks
            .iter_mut()
            .zip(&support[auralis_dsp::truepeak::SUPPORT_BEFORE..])
        {
            *p = p.max(x.abs());
        }
        for phase in taps {
            phase_values.fill(0.0);
            for (j, &h) in phase.iter().enumerate() {
                for (v, &x) in phase_values.iter_mut().zip(&support[j..]) {
                    *v += h * x;
                }
            }
            for (p, &v) in point_peaks.iter_mut().zip(phase_values.iter()) {
                *p = p.max(v.abs());
            }
        }
    }
}

#[derive(Clone, Debug)]
pub(crate) struct LimiterStage {
    channels: usize,
    /// Guarded ceiling (slightly below the user's).
    ceiling: f64,
    /// Ceiling the plan aims at (equal to `ceiling` in sample-peak mode).
    plan_ceiling: f64,
    /// The user's ceiling, for "time over threshold".
    user_ceiling: f32,
    latency: usize,
    /// Audio history per channel: `latency` frames, then the current chunk.
    history: Vec<f32>,
    stride: usize,
    /// Stereo-linked sample peak per frame (same layout as one channel of `history`).
    peaks: Vec<f32>,
    /// Gain already applied upstream (dB), aligned with `history`.
    gain_in: Vec<f64>,
    gains: Vec<f64>,
    plan: GainPlan,
    true_peak: Option<TruePeakPath>,
}

impl LimiterStage {
    /// Settings must have been validated.
    pub fn new(s: &LimiterSettings, channels: usize, sample_rate: u32) -> Self {
        let lookahead = ms_to_frames(s.lookahead_ms, sample_rate);
        let user = db_to_linear(f64::from(s.ceiling_db));
        let (ceiling, plan_ceiling, latency, true_peak) = match s.mode {
            PeakMode::Sample => {
                let c = user * (1.0 - SAMPLE_PEAK_GUARD);
                (c, c, lookahead, None)
            }
            PeakMode::True => {
                let c = user * (1.0 - TRUE_PEAK_GUARD);
                let path = TruePeakPath {
                    taps: taps(),
                    quiet_factor: max_abs_tap_sum(),
                    recent: [0.0; TRUE_PEAK_TAPS_PER_PHASE],
                    position: 0,
                    guard: TruePeakGuard::new(channels, c),
                    support: vec![0.0; CHUNK + TRUE_PEAK_TAPS_PER_PHASE - 1],
                    phase_values: vec![0.0; CHUNK],
                    point_peaks: vec![0.0; CHUNK],
                };
                (
                    c,
                    c * (1.0 - TRUE_PEAK_PLAN_MARGIN),
                    TRUE_PEAK_DETECTOR_LATENCY + lookahead + GUARD_LATENCY,
                    Some(path),
                )
            }
        };
        let stride = latency + CHUNK;
        LimiterStage {
            channels,
            ceiling,
            plan_ceiling,
            user_ceiling: user as f32,
            latency,
            history: vec![0.0; channels * stride],
            stride,
            peaks: vec![0.0; stride],
            gain_in: vec![0.0; stride],
            gains: vec![1.0; CHUNK],
            plan: GainPlan::new(
                lookahead,
                time_coefficient(f64::from(s.release_ms), sample_rate),
            ),
            true_peak,
        }
    }

    pub fn latency(&self) -> usize {
        self.latency
    }

    pub fn reset(&mut self) {
        self.history.fill(0.0);
        self.peaks.fill(0.0);
        self.gain_in.fill(0.0);
        self.plan.reset();
        if let Some(tp) = &mut self.true_peak {
            tp.recent = [0.0; TRUE_PEAK_TAPS_PER_PHASE];
            tp.position = 0;
            tp.guard.reset();
        }
    }

    /// Where the upstream stage writes the next `n` frames and their gain in dB.
    #[inline(always)] // compiled inside `Kernel::dispatch`
    pub fn inputs(&mut self, n: usize) -> (HistorySink<'_>, &mut [f64]) {
        let at = self.latency;
        (
            HistorySink {
                data: &mut self.history,
                stride: self.stride,
                offset: at,
            },
            &mut self.gain_in[at..at + n],
        )
    }

    /// Loads `n` frames straight from a source (no stage upstream, gain 0 dB).
    #[inline(always)] // compiled inside `Kernel::dispatch`
    pub fn load(&mut self, input: &impl FrameSource, n: usize) {
        let at = self.latency;
        for c in 0..self.channels {
            let base = c * self.stride + at;
            self.history[base..base + n].copy_from_slice(&input.channel(c)[..n]);
        }
        self.gain_in[at..at + n].fill(0.0);
    }

    /// Limits the `n` frames loaded by [`Self::inputs`]/[`Self::load`]: writes the frames
    /// `latency` earlier to `out` and their total gain (dB) to `gain_db`. Returns how many
    /// loaded frames at chunk positions `count` have a sample peak above the user's ceiling.
    #[inline(always)] // compiled inside `Kernel::dispatch`
    pub fn process<K: Kernel>(
        &mut self,
        n: usize,
        out: &mut impl FrameSink,
        gain_db: &mut [f32],
        count: std::ops::Range<usize>,
    ) -> u64 {
        let lat = self.latency;
        let newest = &mut self.peaks[lat..lat + n];
        let history = &self.history;
        let stride = self.stride;
        linked_peaks(
            newest,
            (0..self.channels).map(|c| &history[c * stride + lat..]),
        );
        let user = self.user_ceiling;
        let over = newest[count].iter().filter(|&&p| p > user).count() as u64;

        let untouched = if self.true_peak.is_some() {
            self.plan_true_peak(n);
            false
        } else {
            self.plan_sample_peak(n)
        };

        if untouched {
            // Gain exactly 1: the same bits the general path below would produce.
            for c in 0..self.channels {
                let src = &self.history[c * self.stride..c * self.stride + n];
                out.channel_mut(c)[..n].copy_from_slice(src);
            }
            for (o, &upstream) in gain_db[..n].iter_mut().zip(&self.gain_in[..n]) {
                *o = upstream as f32;
            }
        } else {
            self.apply::<K>(n, out, gain_db);
        }

        for c in 0..self.channels {
            let line = &mut self.history[c * self.stride..(c + 1) * self.stride];
            line.copy_within(n..n + lat, 0);
        }
        self.peaks.copy_within(n..n + lat, 0);
        self.gain_in.copy_within(n..n + lat, 0);
        over
    }

    #[inline(always)] // compiled inside `Kernel::dispatch`
    fn apply<K: Kernel>(&self, n: usize, out: &mut impl FrameSink, gain_db: &mut [f32]) {
        for c in 0..self.channels {
            let src = &self.history[c * self.stride..c * self.stride + n];
            let dst = &mut out.channel_mut(c)[..n];
            for ((o, &x), &g) in dst.iter_mut().zip(src).zip(&self.gains[..n]) {
                *o = (f64::from(x) * g) as f32;
            }
        }
        for ((o, &upstream), &g) in gain_db[..n]
            .iter_mut()
            .zip(&self.gain_in[..n])
            .zip(&self.gains[..n])
        {
            let db = if g > 0.0 {
                K::gain_to_db(g).max(FLOOR_DB)
            } else {
                FLOOR_DB
            };
            *o = (upstream + db) as f32;
        }
    }

    /// Plans the chunk's gains; returns true if they are all exactly 1 (nothing to limit and
    /// the plan at rest), in which case `gains` is not written.
    #[inline(always)] // compiled inside `Kernel::dispatch`
    fn plan_sample_peak(&mut self, n: usize) -> bool {
        let lat = self.latency;
        if self.plan.is_at_rest() && f64::from(loudest(&self.peaks[lat..lat + n])) <= self.ceiling {
            self.plan.skip_at_rest(n);
            return true;
        }
        for i in 0..n {
            let x = requirement(f64::from(self.peaks[lat + i]), self.ceiling);
            let mut gain = 1.0 - self.plan.step(x);
            // Exact clamp for the frame leaving now (its peak is `lat` = D frames old).
            let leaving = f64::from(self.peaks[i]);
            if leaving * gain > self.ceiling {
                gain = self.ceiling / leaving;
            }
            self.gains[i] = gain;
        }
        false
    }

    #[inline(always)] // compiled inside `Kernel::dispatch`
    fn plan_true_peak(&mut self, n: usize) {
        let lat = self.latency;
        let Some(tp) = self.true_peak.as_mut() else {
            return;
        };
        // Whole chunk (with the support history) provably below the plan ceiling?
        let mut loudest = 0.0f32;
        for c in 0..self.channels {
            let base = c * self.stride;
            for &x in &self.history[base + lat - TRUE_PEAK_DETECTOR_LATENCY..base + lat + n] {
                loudest = loudest.max(x.abs());
            }
        }
        let quiet = f64::from(loudest) * tp.quiet_factor <= self.plan_ceiling;
        if quiet {
            tp.point_peaks[..n].fill(0.0);
        } else {
            // Point i lies between frames a and a+1, a = newest − 6; its support is the
            // newest 12 frames, starting at history index lat + i + 1 − 12.
            let start = lat + 1 - TRUE_PEAK_TAPS_PER_PHASE;
            let history = &self.history;
            let stride = self.stride;
            point_peaks(
                tp.taps,
                (0..self.channels).map(|c| &history[c * stride + start..]),
                n,
                &mut tp.support,
                &mut tp.phase_values,
                &mut tp.point_peaks,
            );
        }
        for i in 0..n {
            let point_peak = tp.point_peaks[i];
            tp.recent[tp.position] = point_peak;
            tp.position = (tp.position + 1) % TRUE_PEAK_TAPS_PER_PHASE;
            let held = tp.recent.iter().fold(0.0f64, |m, &p| m.max(p));
            let x = requirement(held, self.plan_ceiling);
            let planned = 1.0 - self.plan.step(x);
            let history = &self.history;
            let stride = self.stride;
            // The planned gain is for the frame 11 + D frames older than the newest, i.e.
            // GUARD_LATENCY frames newer than the one leaving now (history index i).
            let at = i + GUARD_LATENCY;
            self.gains[i] = tp.guard.push(|c| history[c * stride + at], planned);
        }
    }
}

/// Largest value of a slice of non-negative peaks (8 independent maxima, so it vectorizes).
#[inline(always)] // compiled inside `Kernel::dispatch`
fn loudest(peaks: &[f32]) -> f32 {
    let mut lanes = [0.0f32; 8];
    let mut chunks = peaks.chunks_exact(8);
    for chunk in &mut chunks {
        for (l, &p) in lanes.iter_mut().zip(chunk) {
            *l = l.max(p);
        }
    }
    let tail = chunks.remainder().iter().fold(0.0f32, |m, &p| m.max(p));
    lanes.iter().fold(tail, |m, &l| m.max(l))
}

/// The limiter's input region for the next chunk, as a [`FrameSink`].
pub(crate) struct HistorySink<'a> {
    data: &'a mut [f32],
    stride: usize,
    offset: usize,
}

impl FrameSink for HistorySink<'_> {
    fn channel_mut(&mut self, c: usize) -> &mut [f32] {
        let start = c * self.stride + self.offset;
        &mut self.data[start..(c + 1) * self.stride]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chunk_detector_pass_equals_the_per_point_filter_bit_for_bit() {
        use auralis_dsp::truepeak::{interpolate, SUPPORT_BEFORE};
        let n = 300;
        let channels: Vec<Vec<f32>> = (0..2)
            .map(|c| {
                (0..n + TRUE_PEAK_TAPS_PER_PHASE - 1)
                    .map(|i| ((i * 7919 + c * 104_729) % 2001) as f32 / 1000.0 - 1.0)
                    .collect()
            })
            .collect();
        let (mut support, mut values, mut peaks) = (vec![0.0; 400], vec![0.0; 400], vec![0.0; 400]);
        point_peaks(
            taps(),
            channels.iter(),
            n,
            &mut support,
            &mut values,
            &mut peaks,
        );
        for (i, &peak) in peaks[..n].iter().enumerate() {
            let mut expected = 0.0f64;
            for channel in &channels {
                let window = &channel[i..i + TRUE_PEAK_TAPS_PER_PHASE];
                expected = expected.max(f64::from(window[SUPPORT_BEFORE].abs()));
                for v in interpolate(taps(), window) {
                    expected = expected.max(v.abs());
                }
            }
            assert_eq!(peak.to_bits(), expected.to_bits(), "point {i}");
        }
    }

    #[test]
    fn max_window_matches_brute_force() {
        let span = 7;
        let mut w = MaxWindow::new(span);
        let xs: Vec<f64> = (0..200)
            .map(|i| {
                if i % 5 == 0 {
                    0.0
                } else {
                    ((i * 37) % 23) as f64 / 23.0
                }
            })
            .collect();
        for (t, &x) in xs.iter().enumerate() {
            let got = w.push(t as u64, x);
            let lo = t.saturating_sub(span);
            let want = xs[lo..=t].iter().fold(0.0f64, |m, &v| m.max(v));
            assert_eq!(got, want, "t = {t}");
        }
    }

    #[test]
    fn plan_never_reduces_less_than_required() {
        let d = 10;
        let mut plan = GainPlan::new(d, time_coefficient(5.0, 8_000));
        let xs: Vec<f64> = (0..3000)
            .map(|i| match i % 97 {
                0 => 0.9,
                13 => 0.3,
                14..=20 => 0.05 * (i % 7) as f64,
                _ => 0.0,
            })
            .collect();
        for (t, &x) in xs.iter().enumerate() {
            let s = plan.step(x);
            if t >= d {
                assert!(s >= xs[t - d] - 1e-12, "t = {t}: {s} < {}", xs[t - d]);
            }
        }
    }
}
