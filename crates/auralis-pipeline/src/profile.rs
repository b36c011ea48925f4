//! Spectral balance: the long-term average level of the mono mix in each of the EQ's 25
//! critical bands (STAGES.md §5), what the EQ gains are derived from.

use auralis_core::AudioBuffer;
use auralis_eq::{BAND_EDGES_HZ, NUM_BANDS};
use auralis_fft::packed::MagnitudePlan;
use pulp::Arch;
use rayon::prelude::*;

/// FFT size of the profile: 4096 points (10.8 Hz bins at 44.1 kHz, so the narrowest band,
/// 0–100 Hz, holds nine).
pub const PROFILE_FFT: usize = 4096;
/// Hop between profile frames (50 % overlap).
pub const PROFILE_HOP: usize = 2048;
/// Frames summed per task (a fixed split: the same sums at any thread count).
const FRAMES_PER_TASK: usize = 64;
/// Level of a band with no energy, dB.
pub const PROFILE_FLOOR_DB: f64 = -200.0;

/// Long-term average power per band, dB (relative to a full-scale sine's bin power: only
/// differences between profiles matter).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BandProfile(pub [f64; NUM_BANDS]);

impl BandProfile {
    /// The profile of `audio`: periodic-Hann frames of the mono mix, power per bin averaged
    /// over frames (summed in `f64` in fixed tasks), then the mean power of the bins whose
    /// centre lies in each band.
    pub fn of(audio: &AudioBuffer) -> Self {
        let n = audio.len();
        let frames = if n >= PROFILE_FFT {
            1 + (n - PROFILE_FFT) / PROFILE_HOP
        } else {
            usize::from(n > 0)
        };
        let plan = MagnitudePlan::shared(PROFILE_FFT);
        let window: Vec<f32> = auralis_fft::periodic_hann(PROFILE_FFT)
            .into_iter()
            .map(|w| w as f32)
            .collect();
        let bins = plan.spectrum_len();
        let channels = audio.channels();
        let count = channels.len() as f32;
        let task = |t: usize| -> Vec<f64> {
            let arch = Arch::new();
            let mut work = plan.workspace();
            let mut power = vec![0.0f32; bins];
            let mut sum = vec![0.0f64; bins];
            for f in t * FRAMES_PER_TASK..((t + 1) * FRAMES_PER_TASK).min(frames) {
                let start = f * PROFILE_HOP;
                for (i, (x, w)) in work.input().iter_mut().zip(&window).enumerate() {
                    let j = start + i;
                    *x = if j < n {
                        channels.iter().map(|c| c[j]).sum::<f32>() / count * w
                    } else {
                        0.0
                    };
                }
                work.powers(arch, &mut power)
                    .expect("buffer lengths come from the plan");
                for (s, &p) in sum.iter_mut().zip(&power) {
                    *s += f64::from(p);
                }
            }
            sum
        };
        let tasks: Vec<Vec<f64>> = (0..frames.div_ceil(FRAMES_PER_TASK))
            .into_par_iter()
            .map(task)
            .collect();
        let mut total = vec![0.0f64; bins];
        for t in &tasks {
            for (s, v) in total.iter_mut().zip(t) {
                *s += v;
            }
        }
        let bin_hz = f64::from(audio.sample_rate()) / PROFILE_FFT as f64;
        let mut levels = [PROFILE_FLOOR_DB; NUM_BANDS];
        for (b, level) in levels.iter_mut().enumerate() {
            let (lo, hi) = (f64::from(BAND_EDGES_HZ[b]), f64::from(BAND_EDGES_HZ[b + 1]));
            let in_band: Vec<f64> = (0..bins)
                .filter(|&k| {
                    let f = k as f64 * bin_hz;
                    f >= lo && f < hi
                })
                .map(|k| total[k] / frames.max(1) as f64)
                .collect();
            let mean = in_band.iter().sum::<f64>() / in_band.len().max(1) as f64;
            if mean > 0.0 {
                *level = 10.0 * mean.log10();
            }
        }
        BandProfile(levels)
    }
}
