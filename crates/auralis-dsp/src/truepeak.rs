//! The 4× (and 2×) oversampling interpolators used for true-peak limiting and measurement.
//!
//! A polyphase FIR with exactly the coefficients of libebur128 (and so of the `ebur128`
//! crate, the meter users hold a master against): a 48-tap Hann-windowed sinc prototype at
//! 4×, `h(j) = ½(1 − cos(2πj/48))·sinc((j − 24)/4)`, `j = 0 … 47`, each coefficient rounded
//! to `f32` as libebur128 stores it, split into 4 phases of 12 taps. Phase 0 is the sample
//! itself; the value at `a + k/4` (`k = 1, 2, 3`) is `Σ_{i<12} h_k[i]·x[a − 5 + i]` with
//! `h_k[i] = h(4·(11 − i) + k)`. The phases are *not* normalised: their DC gains are
//! 1.0005 (¼, ¾) and 1.0009 (½), as in the meter.
//!
//! Why that filter and not a "better" one: a limiter that guarantees a ceiling under its own
//! interpolator is only as good as the agreement between that interpolator and the meter
//! that judges its output. An earlier Kaiser design (β = 5, unit DC gain per phase) differed
//! from libebur128's by up to 0.05 dB around 0.3·fs, and limited masters read up to
//! +0.008 dB over the ceiling on the `ebur128` meter. The limiter evaluates the taps in
//! `f64`; the meter sums in `f32`, a difference below `1.5e-6` relative, which the
//! limiter's guard margin covers.
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
pub const SUPPORT_BEFORE: usize = 5;

/// Length of libebur128's prototype filter (taps per phase × oversampling).
const PROTOTYPE_TAPS: usize = TRUE_PEAK_TAPS_PER_PHASE * TRUE_PEAK_OVERSAMPLING;

/// `h[k−1][i]` for the interpolated phases `k = 1, 2, 3`.
pub type Taps = [[f64; TRUE_PEAK_TAPS_PER_PHASE]; TRUE_PEAK_OVERSAMPLING - 1];

/// Tap `j` of libebur128's 4× prototype, as it stores it (`f32`).
fn prototype(j: usize) -> f32 {
    prototype_at(j, TRUE_PEAK_OVERSAMPLING)
}

/// Tap `j` of libebur128's 48-tap prototype for oversampling `factor`, as stored (`f32`).
fn prototype_at(j: usize, factor: usize) -> f32 {
    use std::f64::consts::PI;
    let n = PROTOTYPE_TAPS as f64;
    let j = j as f64;
    let window = 0.5 * (1.0 - (2.0 * PI * j / n).cos());
    let m = j - n / 2.0;
    let sinc = if m.abs() <= 1e-6 {
        1.0
    } else {
        let x = PI * m / factor as f64;
        x.sin() / x
    };
    (window * sinc) as f32
}

fn design() -> Taps {
    let mut taps = [[0.0; TRUE_PEAK_TAPS_PER_PHASE]; TRUE_PEAK_OVERSAMPLING - 1];
    for (k, phase) in taps.iter_mut().enumerate() {
        for (i, tap) in phase.iter_mut().enumerate() {
            let j = TRUE_PEAK_OVERSAMPLING * (TRUE_PEAK_TAPS_PER_PHASE - 1 - i) + k + 1;
            *tap = f64::from(prototype(j));
        }
    }
    taps
}

/// The interpolator's coefficients (computed once).
pub fn taps() -> &'static Taps {
    static TAPS: OnceLock<Taps> = OnceLock::new();
    TAPS.get_or_init(design)
}

/// Largest `Σ_i |h_k[i]|` over the phases: `|interpolated| ≤ this × max |sample|` over the
/// support, which lets the limiter skip the filter wherever the signal is clearly quiet.
pub fn max_abs_tap_sum() -> f64 {
    taps()
        .iter()
        .map(|p| p.iter().map(|h| h.abs()).sum::<f64>())
        .fold(1.0, f64::max)
}

/// The three interpolated values between `window[SUPPORT_BEFORE]` and the next sample, for
/// a window of exactly [`TRUE_PEAK_TAPS_PER_PHASE`] samples.
#[inline]
pub fn interpolate(taps: &Taps, window: &[f32]) -> [f64; 3] {
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
    // Points between a and a+1 for a = −7 .. n−1 (the first, all zeros, is harmless): every
    // point whose support reaches the signal from before or inside it (5 samples back, 6
    // ahead), as the meter measures them; points past the end are not (they read at most
    // ≈ 0.45 of the last samples).
    for a in -(TRUE_PEAK_TAPS_PER_PHASE as isize - SUPPORT_BEFORE as isize)..n as isize {
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

/// The oversampling factor BS.1770-4 (and libebur128) use at `sample_rate`: 4× below
/// 96 kHz, 2× below 192 kHz, none from 192 kHz up (the sample peak is the true peak there).
pub fn oversampling_for(sample_rate: u32) -> usize {
    match sample_rate {
        0..96_000 => 4,
        96_000..192_000 => 2,
        _ => 1,
    }
}

/// Taps per phase of the 2× interpolator: the same 48-tap prototype at factor 2.
pub const TWO_X_TAPS_PER_PHASE: usize = 24;

/// The 2× interpolator's one interpolated phase, as libebur128 forms it from the 48-tap
/// prototype `h(j) = ½(1 − cos(2πj/48))·sinc((j − 24)/2)` (stored as `f32`): the value at
/// `a + ½` is `Σ_{i<24} g[i]·x[a − 11 + i]` with `g[i] = h(2·(23 − i) + 1)`.
pub fn two_x_taps() -> &'static [f64; TWO_X_TAPS_PER_PHASE] {
    static TAPS: OnceLock<[f64; TWO_X_TAPS_PER_PHASE]> = OnceLock::new();
    TAPS.get_or_init(|| {
        let mut g = [0.0; TWO_X_TAPS_PER_PHASE];
        for (i, tap) in g.iter_mut().enumerate() {
            *tap = f64::from(prototype_at(2 * (TWO_X_TAPS_PER_PHASE - 1 - i) + 1, 2));
        }
        g
    })
}

/// Index within the 2× support of the sample just before the interpolated point.
pub const TWO_X_SUPPORT_BEFORE: usize = 11;

/// The 2×-oversampled peak of one channel (samples outside count as 0), in `f64`.
pub fn true_peak_channel_2x(samples: &[f32]) -> f64 {
    let g = two_x_taps();
    let n = samples.len() as isize;
    let mut peak = samples
        .iter()
        .fold(0.0f64, |m, &s| m.max(f64::from(s.abs())));
    let before = TWO_X_SUPPORT_BEFORE as isize;
    for a in -(TWO_X_TAPS_PER_PHASE as isize - before)..n {
        let mut v = 0.0f64;
        for (i, &h) in g.iter().enumerate() {
            let idx = a - before + i as isize;
            if (0..n).contains(&idx) {
                v += h * f64::from(samples[idx as usize]);
            }
        }
        peak = peak.max(v.abs());
    }
    peak
}

/// The true peak (linear) of one channel at `sample_rate`, as BS.1770-4 defines it: the
/// 4× or 2× interpolated peak, or the sample peak from 192 kHz up.
pub fn true_peak_channel_at(samples: &[f32], sample_rate: u32) -> f64 {
    match oversampling_for(sample_rate) {
        4 => true_peak_channel(samples),
        2 => true_peak_channel_2x(samples),
        _ => samples
            .iter()
            .fold(0.0f64, |m, &s| m.max(f64::from(s.abs()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_have_libebur128_dc_gains_and_mirror_each_other() {
        let t = taps();
        let gains: Vec<f64> = t.iter().map(|p| p.iter().sum()).collect();
        assert!((gains[0] - 1.00048).abs() < 2e-5, "{gains:?}");
        assert!((gains[1] - 1.000_904_5).abs() < 2e-5, "{gains:?}");
        // Phase 0 of the prototype is a unit impulse at tap 24: the sample itself.
        assert_eq!(prototype(24), 1.0);
        for t in 0..TRUE_PEAK_TAPS_PER_PHASE {
            if t != 6 {
                assert!(prototype(4 * t).abs() < 1e-7);
            }
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
    fn the_2x_interpolator_finds_the_peak_between_samples() {
        // A sine at fs/4 sampled at 45°: at 2× the midpoints land on the true peak.
        let x: Vec<f32> = (0..400)
            .map(|n| {
                (std::f64::consts::FRAC_PI_2 * n as f64 + std::f64::consts::FRAC_PI_4).sin() as f32
            })
            .collect();
        let tp = true_peak_channel_2x(&x);
        assert!((tp - 1.0).abs() < 0.02, "{tp}");
        assert_eq!(oversampling_for(44_100), 4);
        assert_eq!(oversampling_for(96_000), 2);
        assert_eq!(oversampling_for(192_000), 1);
        assert_eq!(
            true_peak_channel_at(&x, 192_000),
            f64::from(x[0].abs().max(x[1].abs()))
        );
        // Phase ½ of the 2× prototype is the sample itself; the taps sum to ≈ 1.
        assert_eq!(prototype_at(24, 2), 1.0);
        let sum: f64 = two_x_taps().iter().sum();
        assert!((sum - 1.0).abs() < 2e-3, "{sum}");
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
