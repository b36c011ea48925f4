//! Tempo from the onset envelope: librosa's `tempo` (mean of the normalised, windowed
//! autocorrelations of 8 s of onset envelope — its `tempogram` — weighted by a log-normal
//! prior around 120 BPM, `std_bpm=1`), with three changes, each for a stated reason:
//!
//! 1. **Search range 60–200 BPM** (STAGES.md §4), where librosa takes every lag up to 320
//!    BPM. The prior alone lets a strong half-beat (off-beat hi-hats) win at 240 BPM.
//! 2. **One window per second** ([`WINDOWS_PER_WINDOW_LENGTH`]) instead of one per frame, and
//!    only the lags the search needs: librosa autocorrelates 15 500 windows of 689 frames for
//!    3 minutes of audio (≈ 0.3 s here even with FFTs); the mean over windows that overlap by
//!    7/8 is the same curve to well within what moves the argmax, at 1/86 of the work.
//! 3. **Sub-lag refinement**: librosa reports the lag's BPM, a grid 2.8 BPM wide at 120 BPM
//!    (lag 43 → 120.2, 44 → 117.5). A parabola through the log-autocorrelation at the peak
//!    and its neighbours places the period between lags.
//!
//! The estimate is refused (absent, with the reason) when the envelope has no onsets, the
//! audio is shorter than [`MIN_TEMPO_SECS`], or the peak does not stand out of the
//! autocorrelation by [`MIN_PULSE_CLARITY`] (noise, a steady tone): an invented tempo is
//! worse than none.

use rayon::prelude::*;

use crate::settings::{FeatureSettings, HOP};
use auralis_fft::periodic_hann as hann_periodic;

/// Seconds of onset envelope per autocorrelation window (librosa's `ac_size`).
pub const AC_WINDOW_SECS: f64 = 8.0;
/// Windows are taken every `window / 8` frames (≈ 1 s at 44.1 kHz).
pub const WINDOWS_PER_WINDOW_LENGTH: usize = 8;
/// Highest sample rate given a tempo. The envelope's hop is 512 samples at any rate (librosa's
/// definition): 2.7 ms at 192 kHz, where a 120 BPM test signal read 137 BPM or no tempo
/// (tests: 8 to 96 kHz read 120 ± 0.5). Rather than an invented number, no tempo there.
pub const MAX_TEMPO_RATE: u32 = 96_000;
/// Fewest beats the tracker must find for a tempo to be reported.
pub const MIN_BEATS: usize = 4;
/// Shortest audio given a tempo: three beats at 60 BPM.
pub const MIN_TEMPO_SECS: f64 = 3.0;
/// Smallest pulse clarity reported as a tempo. The fixtures read 0.24–0.49 (`tests/tempo.rs`
/// prints them); noise, DC, a sine and a square wave get no tempo (`tests/bad_input.rs`), by
/// this floor or by the beat count.
pub const MIN_PULSE_CLARITY: f64 = 0.05;

/// A tempo estimate before beat tracking.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    pub bpm: f64,
    pub pulse_clarity: f64,
}

/// Frames of onset envelope per second.
pub fn frame_rate(sample_rate: u32) -> f64 {
    f64::from(sample_rate) / HOP as f64
}

/// The tempo of `onset` (one value per hop at `sample_rate`), or why there is none.
pub fn estimate(
    onset: &[f32],
    sample_rate: u32,
    settings: &FeatureSettings,
    parallel: bool,
) -> Result<Estimate, String> {
    let seconds = (onset.len() * HOP) as f64 / f64::from(sample_rate);
    if sample_rate > MAX_TEMPO_RATE {
        return Err(format!(
            "the tempo tracker is validated up to {MAX_TEMPO_RATE} Hz; resample to measure tempo"
        ));
    }
    if seconds < MIN_TEMPO_SECS {
        return Err(format!(
            "shorter than {MIN_TEMPO_SECS} s: too few beats for a tempo"
        ));
    }
    if onset.iter().all(|&v| v == 0.0) {
        return Err("no onsets (silence or a steady signal)".into());
    }
    let fr = frame_rate(sample_rate);
    // librosa's time_to_frames(8 s): whole samples, then whole frames.
    let win = ((AC_WINDOW_SECS * f64::from(sample_rate)).floor() as usize) / HOP;
    let lag_lo = ((60.0 * fr / settings.max_bpm).ceil() as usize).max(1);
    let lag_hi = (60.0 * fr / settings.min_bpm).floor() as usize;
    let max_lag = (lag_hi + 1).min(win - 1);
    if lag_lo > lag_hi || lag_hi >= win {
        return Err("sample rate too low for the tempo range".into());
    }
    let tg = mean_autocorrelation(onset, win, max_lag, parallel);

    let log_ac = |k: usize| (1e6 * tg[k]).ln_1p();
    let prior = |k: usize| {
        let bpm = 60.0 * fr / k as f64;
        -0.5 * (bpm / settings.prior_bpm).log2().powi(2)
    };
    // numpy's argmax: the first of equal maxima.
    let mut best = lag_lo;
    for k in lag_lo..=lag_hi {
        if log_ac(k) + prior(k) > log_ac(best) + prior(best) {
            best = k;
        }
    }
    let mut range: Vec<f64> = tg[lag_lo..=lag_hi].to_vec();
    range.sort_by(f64::total_cmp);
    let median = range[range.len() / 2];
    let pulse_clarity = tg[best] - median;
    if pulse_clarity < MIN_PULSE_CLARITY {
        return Err(format!(
            "no steady beat (pulse clarity {pulse_clarity:.3} < {MIN_PULSE_CLARITY})"
        ));
    }
    // Parabola through the log-autocorrelation at best − 1, best, best + 1.
    let (a, b, c) = (log_ac(best - 1), log_ac(best), log_ac(best + 1));
    let curvature = a - 2.0 * b + c;
    let shift = if curvature < 0.0 {
        (0.5 * (a - c) / curvature).clamp(-0.5, 0.5)
    } else {
        0.0
    };
    Ok(Estimate {
        bpm: 60.0 * fr / (best as f64 + shift),
        pulse_clarity,
    })
}

/// librosa's tempogram, averaged over windows: the envelope padded by `win/2` on each side
/// with linear ramps from 0 (numpy's `linear_ramp`), windows of `win` frames (periodic Hann)
/// starting every `win / 8` frames, each autocorrelated for lags `0..=max_lag` and divided by
/// its lag-0 value (all-zero windows stay zero and count), then the mean over windows.
fn mean_autocorrelation(onset: &[f32], win: usize, max_lag: usize, parallel: bool) -> Vec<f64> {
    let n = onset.len();
    let half = win / 2;
    let first = f64::from(onset[0]);
    let last = f64::from(onset[n - 1]);
    let padded = |i: usize| -> f64 {
        if i < half {
            first * i as f64 / half as f64
        } else if i < half + n {
            f64::from(onset[i - half])
        } else {
            let j = i - half - n; // 0 next to the envelope
            last * (half - 1 - j.min(half - 1)) as f64 / half as f64
        }
    };
    let window = hann_periodic(win);
    let stride = (win / WINDOWS_PER_WINDOW_LENGTH).max(1);
    // One window's normalised autocorrelation (zeros for an all-zero window, which counts).
    let one = |t: usize| -> Vec<f64> {
        let y: Vec<f64> = window
            .iter()
            .enumerate()
            .map(|(i, w)| padded(t + i) * w)
            .collect();
        let mut ac: Vec<f64> = (0..=max_lag).map(|k| dot(&y[..win - k], &y[k..])).collect();
        let zero_lag = ac[0];
        for a in &mut ac {
            *a = if zero_lag > 0.0 { *a / zero_lag } else { 0.0 };
        }
        ac
    };
    let starts: Vec<usize> = (0..n).step_by(stride).collect();
    // Windows are independent; their sum is taken in window order either way, so the
    // parallel variant's tempo is the same bits.
    let per_window: Vec<Vec<f64>> = if parallel {
        starts.par_iter().map(|&t| one(t)).collect()
    } else {
        starts.iter().map(|&t| one(t)).collect()
    };
    let mut mean = vec![0.0f64; max_lag + 1];
    for ac in &per_window {
        for (m, a) in mean.iter_mut().zip(ac) {
            *m += a;
        }
    }
    for m in &mut mean {
        *m /= starts.len() as f64;
    }
    mean
}

/// `Σ a_i·b_i` in four interleaved accumulators (a fixed order: the same bits everywhere).
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0f64; 4];
    let chunks = a.chunks_exact(4).zip(b.chunks_exact(4));
    for (x, y) in chunks {
        for l in 0..4 {
            acc[l] += x[l] * y[l];
        }
    }
    let tail = a.len() / 4 * 4;
    let rest: f64 = a[tail..].iter().zip(&b[tail..]).map(|(x, y)| x * y).sum();
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + rest
}
