//! The 4× oversampling interpolator used for true-peak limiting and measurement.
//!
//! A polyphase windowed-sinc FIR: the value at `a + k/4` (`k = 1, 2, 3`) is
//! `Σ_{i<12} h_k[i]·x[a − 5 + i]` — 12 taps per phase, a 48-tap prototype at 4× like the
//! example filter of ITU-R BS.1770-4 Annex 2. `h_k[i] = sinc(τ)·kaiser(τ/6, β = 5)` with
//! `τ = k/4 + 5 − i`, each phase normalised to unit DC gain (so a constant signal never reads
//! above itself). Phase 0 is the sample itself. Samples outside the signal count as zero.
//!
//! The support of an interpolated point between `a` and `a+1` is `[a − 5, a + 6]`; the
//! limiter needs that many samples around a peak before it can measure it, which is why the
//! true-peak mode has 11 frames more latency than the sample-peak mode (plus its guard, see
//! `guard.rs`).

use std::sync::OnceLock;

use auralis_core::AudioBuffer;

/// Taps per phase of the interpolator.
pub const TRUE_PEAK_TAPS_PER_PHASE: usize = 12;
/// Oversampling factor.
pub const TRUE_PEAK_OVERSAMPLING: usize = 4;
/// Index within the support of the sample just before the interpolated points.
pub(crate) const SUPPORT_BEFORE: usize = 5;

const KAISER_BETA: f64 = 5.0;
const HALF_WIDTH: f64 = 6.0;

/// `h[k−1][i]` for the interpolated phases `k = 1, 2, 3`.
pub(crate) type Taps = [[f64; TRUE_PEAK_TAPS_PER_PHASE]; TRUE_PEAK_OVERSAMPLING - 1];

/// Modified Bessel function of the first kind, order 0 (power series; converges fast for
/// the small arguments a Kaiser window uses).
fn bessel_i0(x: f64) -> f64 {
    let mut term = 1.0;
    let mut sum = 1.0;
    let q = x * x / 4.0;
    for k in 1..60 {
        term *= q / f64::from(k * k);
        sum += term;
        if term < sum * 1e-17 {
            break;
        }
    }
    sum
}

fn design() -> Taps {
    let mut taps = [[0.0; TRUE_PEAK_TAPS_PER_PHASE]; TRUE_PEAK_OVERSAMPLING - 1];
    for (k, phase) in taps.iter_mut().enumerate() {
        let frac = (k + 1) as f64 / TRUE_PEAK_OVERSAMPLING as f64;
        for (i, tap) in phase.iter_mut().enumerate() {
            let tau = frac + SUPPORT_BEFORE as f64 - i as f64;
            let sinc = (std::f64::consts::PI * tau).sin() / (std::f64::consts::PI * tau);
            let r = tau / HALF_WIDTH;
            let window =
                bessel_i0(KAISER_BETA * (1.0 - r * r).max(0.0).sqrt()) / bessel_i0(KAISER_BETA);
            *tap = sinc * window;
        }
        let sum: f64 = phase.iter().sum();
        for tap in phase.iter_mut() {
            *tap /= sum;
        }
    }
    taps
}

/// The interpolator's coefficients (computed once).
pub(crate) fn taps() -> &'static Taps {
    static TAPS: OnceLock<Taps> = OnceLock::new();
    TAPS.get_or_init(design)
}

/// Largest `Σ_i |h_k[i]|` over the phases: `|interpolated| ≤ this × max |sample|` over the
/// support, which lets the limiter skip the filter wherever the signal is clearly quiet.
pub(crate) fn max_abs_tap_sum() -> f64 {
    taps()
        .iter()
        .map(|p| p.iter().map(|h| h.abs()).sum::<f64>())
        .fold(1.0, f64::max)
}

/// The three interpolated values between `window[SUPPORT_BEFORE]` and the next sample, for
/// a window of exactly [`TRUE_PEAK_TAPS_PER_PHASE`] samples.
#[inline]
pub(crate) fn interpolate(taps: &Taps, window: &[f32]) -> [f64; 3] {
    let mut out = [0.0; 3];
    for (o, phase) in out.iter_mut().zip(taps) {
        *o = phase
            .iter()
            .zip(window)
            .map(|(h, &x)| h * f64::from(x))
            .sum();
    }
    out
}

/// The 4×-oversampled peak `max |x(n + k/4)|` of one channel (samples outside count as 0),
/// computed in `f64`. This is the measurement the true-peak limiter guarantees.
pub fn true_peak_channel(samples: &[f32]) -> f64 {
    let taps = taps();
    let n = samples.len();
    let mut window = [0.0f32; TRUE_PEAK_TAPS_PER_PHASE];
    let mut peak = samples
        .iter()
        .fold(0.0f64, |m, &s| m.max(f64::from(s.abs())));
    // Points between a and a+1 for a = −1 .. n−1 (the support reaches 6 samples either side).
    for a in -1..n as isize {
        for (i, w) in window.iter_mut().enumerate() {
            let idx = a - SUPPORT_BEFORE as isize + i as isize;
            *w = if (0..n as isize).contains(&idx) {
                samples[idx as usize]
            } else {
                0.0
            };
        }
        for v in interpolate(taps, &window) {
            peak = peak.max(v.abs());
        }
    }
    peak
}

/// The 4×-oversampled peak over all channels of `audio`, linear.
pub fn true_peak(audio: &AudioBuffer) -> f64 {
    audio
        .channels()
        .iter()
        .map(|c| true_peak_channel(c))
        .fold(0.0, f64::max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_have_unit_dc_gain_and_mirror_each_other() {
        let t = taps();
        for phase in t {
            assert!((phase.iter().sum::<f64>() - 1.0).abs() < 1e-14);
        }
        // Phase 1/4 is the mirror image of phase 3/4; phase 1/2 is symmetric.
        for i in 0..TRUE_PEAK_TAPS_PER_PHASE {
            let j = TRUE_PEAK_TAPS_PER_PHASE - 1 - i;
            assert!((t[0][i] - t[2][j]).abs() < 1e-12);
            assert!((t[1][i] - t[1][j]).abs() < 1e-12);
        }
        assert!(max_abs_tap_sum() > 1.0 && max_abs_tap_sum() < 2.0);
    }

    #[test]
    fn finds_inter_sample_peaks_of_a_quarter_rate_sine() {
        // fs/4 sine with a 45° phase: samples at ±0.7071, the true peak is 1.
        let x: Vec<f32> = (0..400)
            .map(|n| {
                (std::f64::consts::FRAC_PI_2 * n as f64 + std::f64::consts::FRAC_PI_4).sin() as f32
            })
            .collect();
        let sample_peak = x.iter().fold(0.0f32, |m, s| m.max(s.abs()));
        assert!((sample_peak - std::f32::consts::FRAC_1_SQRT_2).abs() < 1e-6);
        let tp = true_peak_channel(&x);
        assert!((tp - 1.0).abs() < 0.02, "{tp}");
    }

    #[test]
    fn interpolates_smooth_signals_accurately() {
        // A 1 kHz sine at 48 kHz: interpolated values match the analytic signal closely.
        let f = 1000.0 / 48_000.0;
        let x: Vec<f32> = (0..64)
            .map(|n| (2.0 * std::f64::consts::PI * f * n as f64).sin() as f32)
            .collect();
        let t = taps();
        let a = 30;
        let v = interpolate(t, &x[a - SUPPORT_BEFORE..a - SUPPORT_BEFORE + 12]);
        for (k, got) in v.iter().enumerate() {
            let time = a as f64 + (k + 1) as f64 / 4.0;
            let exact = (2.0 * std::f64::consts::PI * f * time).sin();
            assert!((got - exact).abs() < 1e-3, "{k}: {got} vs {exact}");
        }
    }
}
