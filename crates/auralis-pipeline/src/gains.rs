//! EQ gains from spectral balance: toward a reference track (matchering's idea: the difference
//! of the two long-term profiles, its mean removed so that loudness is left to the gain
//! stage, smoothed across bands, clamped to ±12 dB) or toward a preset's target curve.

use auralis_eq::{band_centres_hz, EqGains, MAX_GAIN_DB, NUM_BANDS};

use crate::profile::{BandProfile, PROFILE_FLOOR_DB};

/// A band is measured if it holds energy (bands above Nyquist hold no bins).
fn measured(level: f64) -> bool {
    level > PROFILE_FLOOR_DB + 1.0
}

/// `[¼, ½, ¼]` across neighbouring bands (renormalised at the ends and next to unmeasured
/// bands): a single band's deviation is as likely a note as a tonal imbalance.
fn smooth(d: &[Option<f64>; NUM_BANDS]) -> [f64; NUM_BANDS] {
    let mut out = [0.0; NUM_BANDS];
    for (b, o) in out.iter_mut().enumerate() {
        if d[b].is_none() {
            continue;
        }
        let mut sum = 0.0;
        let mut weight = 0.0;
        for (j, w) in [(b.wrapping_sub(1), 0.25), (b, 0.5), (b + 1, 0.25)] {
            if let Some(Some(v)) = d.get(j) {
                sum += w * v;
                weight += w;
            }
        }
        *o = sum / weight;
    }
    out
}

fn clamp_to_gains(d: [f64; NUM_BANDS]) -> EqGains {
    let limit = f64::from(MAX_GAIN_DB);
    let gains: Vec<f32> = d.iter().map(|v| v.clamp(-limit, limit) as f32).collect();
    EqGains::new(&gains).expect("clamped gains are valid")
}

/// Gains that move `input`'s balance to `reference`'s.
pub fn match_reference(input: &BandProfile, reference: &BandProfile) -> EqGains {
    let mut d = [None; NUM_BANDS];
    for ((slot, &i), &r) in d.iter_mut().zip(&input.0).zip(&reference.0) {
        if measured(i) && measured(r) {
            *slot = Some(r - i);
        }
    }
    let valid: Vec<f64> = d.iter().flatten().copied().collect();
    let mean = valid.iter().sum::<f64>() / valid.len().max(1) as f64;
    for v in d.iter_mut().flatten() {
        *v -= mean;
    }
    clamp_to_gains(smooth(&d))
}

/// How much of the distance to the input's own tilt line a preset corrects (a half: EQ in
/// mastering nudges, it does not flatten).
pub const PRESET_CORRECTION: f64 = 0.5;

/// Gains toward a preset: the input's band levels pulled halfway to the straight line (in dB
/// over log frequency) fitted through them — the input's own overall tilt, so resonances and
/// holes are evened out without imposing another track's tilt — plus the preset's curve.
pub fn toward_preset(input: &BandProfile, curve: &EqGains) -> EqGains {
    let centres = band_centres_hz();
    let points: Vec<(f64, f64)> = (0..NUM_BANDS)
        .filter(|&b| measured(input.0[b]))
        .map(|b| (f64::from(centres[b]).log2(), input.0[b]))
        .collect();
    let mut d = [None; NUM_BANDS];
    if points.len() >= 2 {
        let n = points.len() as f64;
        let (mx, my) = (
            points.iter().map(|p| p.0).sum::<f64>() / n,
            points.iter().map(|p| p.1).sum::<f64>() / n,
        );
        let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
        let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
        let slope = if sxx > 0.0 { sxy / sxx } else { 0.0 };
        for ((slot, &level), &centre) in d.iter_mut().zip(&input.0).zip(&centres) {
            if measured(level) {
                let line = my + slope * (f64::from(centre).log2() - mx);
                *slot = Some(PRESET_CORRECTION * (line - level));
            }
        }
    }
    let mut gains = smooth(&d);
    for (g, c) in gains.iter_mut().zip(curve.as_slice()) {
        *g += f64::from(*c);
    }
    clamp_to_gains(gains)
}
