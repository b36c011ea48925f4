//! librosa's mel filterbank (`librosa.filters.mel` with its defaults: Slaney's mel scale,
//! `htk=False`, `norm="slaney"`, `fmin=0`, `fmax=sr/2`, 128 bands) and the log-mel frame of
//! the onset envelope (`power_to_db` before its `top_db` floor, which needs the whole file).

use pulp::{Arch, Simd, WithSimd};

use crate::math::fast_ln;

/// Mel bands (librosa's `n_mels`).
pub const MEL_BANDS: usize = 128;
/// librosa's `amin` in `power_to_db`.
pub const POWER_FLOOR: f32 = 1e-10;

/// Slaney's mel scale: linear below 1 kHz (3 mels per 200 Hz), logarithmic above.
fn hz_to_mel(hz: f64) -> f64 {
    const F_SP: f64 = 200.0 / 3.0;
    if hz >= 1000.0 {
        15.0 + (hz / 1000.0).ln() / (6.4f64.ln() / 27.0)
    } else {
        hz / F_SP
    }
}

fn mel_to_hz(mel: f64) -> f64 {
    const F_SP: f64 = 200.0 / 3.0;
    if mel >= 15.0 {
        1000.0 * ((6.4f64.ln() / 27.0) * (mel - 15.0)).exp()
    } else {
        mel * F_SP
    }
}

/// The filterbank, stored sparsely: band `b` weights bins `start[b] .. start[b] + len`.
#[derive(Debug, Clone)]
pub struct MelBank {
    /// First bin and weights of each band (`f32`, as librosa stores them).
    bands: Vec<(usize, Vec<f32>)>,
}

impl MelBank {
    /// The bank for `bins = n_fft/2 + 1` bins at `sample_rate`.
    pub fn new(sample_rate: u32, n_fft: usize) -> Self {
        let sr = f64::from(sample_rate);
        let bins = n_fft / 2 + 1;
        let (lo, hi) = (hz_to_mel(0.0), hz_to_mel(sr / 2.0));
        // numpy's linspace: start + i·step, step = (stop − start)/(num − 1).
        let points = MEL_BANDS + 2;
        let step = (hi - lo) / (points - 1) as f64;
        let mel_f: Vec<f64> = (0..points)
            .map(|i| mel_to_hz(lo + i as f64 * step))
            .collect();
        let fft_hz = |k: usize| k as f64 * (sr / n_fft as f64);
        let bands = (0..MEL_BANDS)
            .map(|b| {
                let (left, centre, right) = (mel_f[b], mel_f[b + 1], mel_f[b + 2]);
                let enorm = 2.0 / (right - left);
                let weight = |k: usize| {
                    let f = fft_hz(k);
                    let lower = (f - left) / (centre - left);
                    let upper = (right - f) / (right - centre);
                    (lower.min(upper).max(0.0) * enorm) as f32
                };
                let nonzero: Vec<usize> = (0..bins).filter(|&k| weight(k) > 0.0).collect();
                match (nonzero.first(), nonzero.last()) {
                    (Some(&a), Some(&z)) => (a, (a..=z).map(weight).collect()),
                    // An empty filter (librosa warns and keeps it): it reads the floor.
                    _ => (0, Vec::new()),
                }
            })
            .collect();
        Self { bands }
    }

    /// `10·log10(max(M_b, 10⁻¹⁰))` of each band's power `M_b = Σ_k W_bk·P_k`. Every variant
    /// calls this same function, so the onset envelope — which feeds an argmax and a dynamic
    /// programme, where a last-bit difference could move a beat — is the same bits in all of
    /// them. Each band is summed in four interleaved `f32` accumulators (a band is up to 65
    /// bins: one chain would wait on every add), compiled for the machine's SIMD; the plain
    /// arithmetic has one result whatever the vector width.
    pub fn db_into(&self, power: &[f32], out: &mut [f32]) {
        Arch::new().dispatch(MelDb {
            bank: self,
            power,
            out,
        });
    }

    /// The dense weights of band `b` over `bins` bins (for tests and plots).
    pub fn dense_band(&self, b: usize, bins: usize) -> Vec<f32> {
        let mut row = vec![0.0; bins];
        let (start, w) = &self.bands[b];
        row[*start..*start + w.len()].copy_from_slice(w);
        row
    }
}

struct MelDb<'a> {
    bank: &'a MelBank,
    power: &'a [f32],
    out: &'a mut [f32],
}

impl WithSimd for MelDb<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, _: S) {
        const DB_PER_NEPER: f32 = 10.0 / std::f32::consts::LN_10;
        for ((start, weights), o) in self.bank.bands.iter().zip(self.out.iter_mut()) {
            let power = &self.power[*start..*start + weights.len()];
            let mut acc = [0.0f32; 4];
            let (w4, p4) = (weights.chunks_exact(4), power.chunks_exact(4));
            let (w_rest, p_rest) = (w4.remainder(), p4.remainder());
            for (w, p) in w4.zip(p4) {
                for l in 0..4 {
                    acc[l] += w[l] * p[l];
                }
            }
            let mut m = (acc[0] + acc[1]) + (acc[2] + acc[3]);
            for (w, p) in w_rest.iter().zip(p_rest) {
                m += w * p;
            }
            *o = m.max(POWER_FLOOR);
        }
        for o in self.out.iter_mut() {
            *o = DB_PER_NEPER * fast_ln(*o);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slaney_scale_round_trips_and_breaks_at_1_khz() {
        for hz in [0.0, 100.0, 999.0, 1000.0, 4000.0, 22_050.0] {
            assert!((mel_to_hz(hz_to_mel(hz)) - hz).abs() < 1e-9 * hz.max(1.0));
        }
        assert!((hz_to_mel(1000.0) - 15.0).abs() < 1e-12);
        // Linear part: 3 mels per 200 Hz.
        assert!((hz_to_mel(440.0) - 6.6).abs() < 1e-12);
        // Log part: 27 mels per factor 6.4 above 1 kHz.
        assert!((hz_to_mel(6400.0) - 42.0).abs() < 1e-12);
    }

    #[test]
    fn bands_are_non_negative_and_cover_the_top() {
        let bank = MelBank::new(44_100, 2048);
        for b in 0..MEL_BANDS {
            let row = bank.dense_band(b, 1025);
            assert!(row.iter().all(|w| *w >= 0.0));
        }
        // The top band is non-empty and reaches the last bins.
        assert!(bank.dense_band(MEL_BANDS - 1, 1025)[1000] > 0.0);
    }
}
