//! Beat positions by dynamic programming (Ellis 2007), step for step as librosa's
//! `beat_track` (`__beat_tracker` and its helpers in `librosa/beat.py`): the onset envelope
//! divided by its standard deviation, smoothed by a Gaussian of ±1 beat (`localscore`), a
//! programme in which each frame takes the best predecessor between ½ and 2 beats back,
//! penalised by `tightness · (ln(gap) − ln(period))²`, backtracking from the last local
//! maximum of the cumulative score above half their median, and trimming of leading and
//! trailing frames whose local score is at most half the RMS of the smoothed beat scores.
//!
//! librosa's quirks are kept so that the beats are its beats: the "same" convolution never
//! uses the first envelope value, and `frames_per_beat / 2` is rounded half to even
//! (Python's `round`).

use crate::math::round_half_even;

/// Beat frames (indices into the onset envelope) for a tempo of `bpm`.
pub fn track(onset: &[f32], bpm: f64, frame_rate: f64, tightness: f64) -> Vec<usize> {
    let n = onset.len();
    if n == 0 || onset.iter().all(|&v| v == 0.0) {
        return Vec::new();
    }
    let period = round_half_even(frame_rate * 60.0 / bpm).max(1.0);
    let local = local_score(&normalized(onset), period);
    let (backlink, cumulative) = programme(&local, period, tightness);
    let mut beats = vec![false; n];
    let mut i = last_beat(&cumulative) as isize;
    while i >= 0 {
        beats[i as usize] = true;
        i = backlink[i as usize];
    }
    trim(&local, &mut beats);
    beats
        .iter()
        .enumerate()
        .filter_map(|(i, &b)| b.then_some(i))
        .collect()
}

/// The envelope over its sample standard deviation (`ddof=1`; plus f32's tiny, as librosa).
fn normalized(onset: &[f32]) -> Vec<f64> {
    let n = onset.len() as f64;
    let mean = onset.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
    let var = onset
        .iter()
        .map(|&v| (f64::from(v) - mean).powi(2))
        .sum::<f64>()
        / (n - 1.0).max(1.0);
    let norm = var.sqrt() + f64::from(f32::MIN_POSITIVE);
    onset.iter().map(|&v| f64::from(v) / norm).collect()
}

/// Same-mode convolution with `exp(−½·(32·j/period)²)`, `j = −period..=period`, including
/// librosa's loop bound (`k < min(i + K/2, K)`), which leaves out envelope value 0.
fn local_score(x: &[f64], period: f64) -> Vec<f64> {
    let p = period as i64;
    let window: Vec<f64> = (-p..=p)
        .map(|j| (-0.5 * (j as f64 * 32.0 / period).powi(2)).exp())
        .collect();
    let (n, k_len) = (x.len() as i64, window.len() as i64);
    let h = k_len / 2;
    (0..n)
        .map(|i| {
            let lo = 0.max(i + h - n + 1);
            let hi = (i + h).min(k_len);
            (lo..hi)
                .map(|k| window[k as usize] * x[(i + h - k) as usize])
                .sum()
        })
        .collect()
}

/// The dynamic programme: for every frame, the best previous beat `2·period ≥ gap ≥
/// round(period/2)` frames back; frames before the first strong one (local score below 1 %
/// of the maximum) start no chain.
fn programme(local: &[f64], period: f64, tightness: f64) -> (Vec<isize>, Vec<f64>) {
    let n = local.len();
    let threshold = 0.01 * local.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let nearest = round_half_even(period / 2.0) as isize;
    let farthest = (2.0 * period) as isize;
    // Penalty per gap, computed once: gaps nearest..=farthest.
    let penalty: Vec<f64> = (0..=farthest)
        .map(|gap| tightness * ((gap as f64).ln() - period.ln()).powi(2))
        .collect();
    let mut backlink = vec![-1isize; n];
    let mut cumulative = vec![0.0f64; n];
    let mut first_beat = true;
    for i in 0..n {
        let mut best = f64::NEG_INFINITY;
        let mut location = -1isize;
        let mut gap = nearest;
        while gap <= farthest {
            let loc = i as isize - gap;
            if loc < 0 {
                break;
            }
            let score = cumulative[loc as usize] - penalty[gap as usize];
            if score > best {
                best = score;
                location = loc;
            }
            gap += 1;
        }
        cumulative[i] = if location >= 0 {
            local[i] + best
        } else {
            local[i]
        };
        if first_beat && local[i] < threshold {
            backlink[i] = -1;
        } else {
            backlink[i] = location;
            first_beat = false;
        }
    }
    (backlink, cumulative)
}

/// The last local maximum of the cumulative score that reaches half the median of all its
/// local maxima (librosa's `localmax`: `x[i] > x[i−1]` and `x[i] ≥ x[i+1]`, edges padded
/// with their own value).
fn last_beat(cumulative: &[f64]) -> usize {
    let n = cumulative.len();
    let is_max = |i: usize| {
        let prev = cumulative[i.saturating_sub(1)];
        let next = cumulative[(i + 1).min(n - 1)];
        cumulative[i] > prev && cumulative[i] >= next
    };
    let mut maxima: Vec<f64> = (0..n)
        .filter(|&i| is_max(i))
        .map(|i| cumulative[i])
        .collect();
    if maxima.is_empty() {
        return n - 1;
    }
    maxima.sort_by(f64::total_cmp);
    let m = maxima.len();
    let median = if m % 2 == 1 {
        maxima[m / 2]
    } else {
        0.5 * (maxima[m / 2 - 1] + maxima[m / 2])
    };
    let threshold = 0.5 * median;
    (0..n)
        .rev()
        .find(|&i| is_max(i) && cumulative[i] >= threshold)
        .unwrap_or(n - 1)
}

/// Clears leading and trailing frames whose local score is at most half the RMS of the beat
/// scores smoothed by `hanning(5)` (librosa's slicing of the full convolution kept).
fn trim(local: &[f64], beats: &mut [bool]) {
    let scores: Vec<f64> = local
        .iter()
        .zip(beats.iter())
        .filter_map(|(&s, &b)| b.then_some(s))
        .collect();
    if scores.is_empty() {
        return;
    }
    let w = [0.0, 0.5, 1.0, 0.5, 0.0];
    let full_len = scores.len() + w.len() - 1;
    let full = |j: usize| -> f64 {
        (0..w.len())
            .filter(|&k| j >= k && j - k < scores.len())
            .map(|k| w[k] * scores[j - k])
            .sum()
    };
    let (lo, hi) = (w.len() / 2, (local.len() + w.len() / 2).min(full_len));
    let smooth: Vec<f64> = (lo..hi).map(full).collect();
    let threshold = 0.5 * (smooth.iter().map(|v| v * v).sum::<f64>() / smooth.len() as f64).sqrt();
    let n = local.len();
    let mut i = 0;
    while i < n && local[i] <= threshold {
        beats[i] = false;
        i += 1;
    }
    let mut i = n;
    while i > 0 && local[i - 1] <= threshold {
        beats[i - 1] = false;
        i -= 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_click_train_gives_its_clicks() {
        // Clicks every 43 frames (120 BPM at 44.1 kHz / 512) from frame 20.
        let mut onset = vec![0.0f32; 1000];
        for i in (20..1000).step_by(43) {
            onset[i] = 1.0;
        }
        let fr = 44_100.0 / 512.0;
        let beats = track(&onset, 120.0, fr, 100.0);
        let clicks: Vec<usize> = (20..1000).step_by(43).collect();
        // Every detected beat is on a click (±1 frame) and at most the edges are trimmed.
        assert!(beats.len() + 2 >= clicks.len(), "{beats:?}");
        for b in &beats {
            assert!(clicks.iter().any(|c| c.abs_diff(*b) <= 1), "{b} {beats:?}");
        }
    }

    #[test]
    fn silence_has_no_beats() {
        assert!(track(&[0.0; 500], 120.0, 86.13, 100.0).is_empty());
        assert!(track(&[], 120.0, 86.13, 100.0).is_empty());
    }
}
