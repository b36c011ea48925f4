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
        Self::from_power_sums(&total, frames, audio.sample_rate())
    }

    /// The profile from the power per bin summed over `frames` frames: the mean power of
    /// the bins whose centre lies in each band, in dB.
    fn from_power_sums(total: &[f64], frames: usize, sample_rate: u32) -> Self {
        let bin_hz = f64::from(sample_rate) / PROFILE_FFT as f64;
        let mut levels = [PROFILE_FLOOR_DB; NUM_BANDS];
        for (b, level) in levels.iter_mut().enumerate() {
            let (lo, hi) = (f64::from(BAND_EDGES_HZ[b]), f64::from(BAND_EDGES_HZ[b + 1]));
            let in_band: Vec<f64> = (0..total.len())
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

/// [`BandProfile::of`] for audio that arrives chunk by chunk: the same frames, summed in the
/// same tasks of [`FRAMES_PER_TASK`] in the same order, so the same bits whatever the
/// chunking (tested).
pub struct ProfileAccumulator {
    plan: std::sync::Arc<MagnitudePlan>,
    window: Vec<f32>,
    power: Vec<f32>,
    channels: usize,
    sample_rate: u32,
    /// The mono mix from absolute frame `origin` on (what the next profile frame needs).
    mono: Vec<f32>,
    origin: usize,
    /// Frames of audio pushed, and profile frames taken.
    len: usize,
    frames: usize,
    task: Vec<f64>,
    total: Vec<f64>,
}

impl ProfileAccumulator {
    pub fn new(channels: usize, sample_rate: u32) -> Self {
        let plan = MagnitudePlan::shared(PROFILE_FFT);
        let bins = plan.spectrum_len();
        Self {
            window: auralis_fft::periodic_hann(PROFILE_FFT)
                .into_iter()
                .map(|w| w as f32)
                .collect(),
            power: vec![0.0; bins],
            plan,
            channels: channels.max(1),
            sample_rate,
            mono: Vec::with_capacity(2 * PROFILE_FFT),
            origin: 0,
            len: 0,
            frames: 0,
            task: vec![0.0; bins],
            total: vec![0.0; bins],
        }
    }

    /// Adds the next interleaved frames.
    pub fn push(&mut self, interleaved: &[f32]) {
        let count = self.channels as f32;
        self.mono.extend(
            interleaved
                .chunks_exact(self.channels)
                .map(|f| f.iter().copied().sum::<f32>() / count),
        );
        self.len += interleaved.len() / self.channels;
        let arch = Arch::new();
        let mut work = self.plan.workspace();
        while self.origin + self.mono.len() >= self.frames * PROFILE_HOP + PROFILE_FFT {
            let start = self.frames * PROFILE_HOP - self.origin;
            Self::frame(
                &mut work,
                arch,
                &self.mono[start..start + PROFILE_FFT],
                &self.window,
                &mut self.power,
                &mut self.task,
            );
            self.frames += 1;
            if self.frames % FRAMES_PER_TASK == 0 {
                Self::add_task(&mut self.total, &mut self.task);
            }
        }
        let keep = (self.frames * PROFILE_HOP).min(self.origin + self.mono.len());
        self.mono.drain(..keep - self.origin);
        self.origin = keep;
    }

    /// One windowed frame's power per bin, added to `task`.
    fn frame(
        work: &mut auralis_fft::packed::MagnitudeWorkspace<'_>,
        arch: Arch,
        mono: &[f32],
        window: &[f32],
        power: &mut [f32],
        task: &mut [f64],
    ) {
        for ((x, &m), &w) in work.input().iter_mut().zip(mono).zip(window) {
            *x = m * w;
        }
        for x in work.input().iter_mut().skip(mono.len()) {
            *x = 0.0;
        }
        work.powers(arch, power)
            .expect("buffer lengths come from the plan");
        for (s, &p) in task.iter_mut().zip(power.iter()) {
            *s += f64::from(p);
        }
    }

    fn add_task(total: &mut [f64], task: &mut [f64]) {
        for (t, s) in total.iter_mut().zip(task.iter_mut()) {
            *t += *s;
            *s = 0.0;
        }
    }

    /// The profile of everything pushed.
    pub fn finish(mut self) -> BandProfile {
        if self.frames == 0 && self.len > 0 {
            // Shorter than one frame: one zero-padded frame, as `BandProfile::of` takes it.
            let mut work = self.plan.workspace();
            Self::frame(
                &mut work,
                Arch::new(),
                &self.mono,
                &self.window,
                &mut self.power,
                &mut self.task,
            );
            self.frames = 1;
        }
        if self.frames % FRAMES_PER_TASK != 0 {
            Self::add_task(&mut self.total, &mut self.task);
        }
        BandProfile::from_power_sums(&self.total, self.frames, self.sample_rate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_accumulator_equals_the_whole_file_profile_for_any_chunking() {
        for secs in [0.05, 1.0, 7.7] {
            let audio = auralis_fixtures::generate_seconds(secs);
            let whole = BandProfile::of(&audio);
            let x: Vec<f32> = (0..audio.len())
                .flat_map(|i| audio.channels().iter().map(move |c| c[i]))
                .collect();
            for chunk in [1, 1000, 4096, 65_536] {
                let mut acc = ProfileAccumulator::new(2, audio.sample_rate());
                for c in x.chunks(chunk * 2) {
                    acc.push(c);
                }
                assert_eq!(acc.finish(), whole, "{secs} s in chunks of {chunk}");
            }
        }
    }
}
