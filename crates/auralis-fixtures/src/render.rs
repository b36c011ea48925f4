//! From a [`FixtureSpec`] to samples: compose, synthesise, apply the section levels, and
//! normalise the peak.
//!
//! Three passes over the audio: (1) render the "dry" mix block by block; (2) calibrate the
//! quiet section's gain so that, after peak normalisation, its RMS is [`QUIET_RMS_DBFS`];
//! (3) apply section gains and the normalisation in one multiply per sample. Every step is
//! plain `f64` arithmetic on values derived from the seed, so equal specs give equal bits.

use auralis_core::AudioBuffer;
use serde::{Deserialize, Serialize};

use crate::error::FixtureError;
use crate::math::db_to_gain;
use crate::rng::SplitMix64;
use crate::score::{Score, SectionKind, SectionPlan, HAT_VARIANTS};
use crate::spec::FixtureSpec;
use crate::synth::{
    hat_table, kick_table, Drum, Layer, Pan, PinkNoise, Timbre, Tremolo, Vibrato, Voice,
    CONTROL_BLOCK,
};

/// Sample peak of every fixture after normalisation (STAGES.md: "peak about −0.5 dBFS").
/// Above the limiter's −1 dBFS ceiling, so the limiter always has work to do.
pub const PEAK_DBFS: f64 = -0.5;
/// RMS of the quiet section's plateau (STAGES.md: "a quiet section (about −30 dBFS)").
/// About 15 dB under the loud section, so the −10 LU relative gate drops it.
pub const QUIET_RMS_DBFS: f64 = -30.0;
/// Level of the loud section over the normal ones.
pub const LOUD_GAIN_DB: f64 = 6.0;
/// Length of the linear gain ramp that ends each section (no clicks at level changes).
pub const RAMP_SECS: f64 = 0.05;
/// Reported level of exact silence (the spectrum stage uses the same floor).
pub const DB_FLOOR: f64 = -200.0;
/// Quiet gain used when a fixture is too short to have a quiet plateau to calibrate on.
const QUIET_FALLBACK_DB: f64 = -24.0;

/// What the fixture contains, for tests and the manifest: the facts a correct analysis must
/// recover.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroundTruth {
    pub tempo_bpm: f64,
    /// Length of the exact digital silence at the start.
    pub lead_in_secs: f64,
    /// Number of beats (kicks); beat `k` starts at `first_beat_secs + k·beat_period_secs`,
    /// rounded to the nearest frame.
    pub beats: usize,
    pub first_beat_secs: f64,
    pub beat_period_secs: f64,
    /// The sections in order; they tile the file.
    pub sections: Vec<Section>,
    /// Measured sample peak over all channels.
    pub peak_dbfs: f64,
}

impl GroundTruth {
    /// Onset of every beat in seconds, rounded to frames exactly as the kicks are (the same
    /// expression as the score's, so the frames agree even at odd tempos).
    pub fn beat_times(&self, sample_rate: u32) -> Vec<f64> {
        let rate = sample_rate as f64;
        let first = (self.first_beat_secs * rate).round();
        (0..self.beats)
            .map(|k| (first + (k as f64 * (self.beat_period_secs * rate)).round()) / rate)
            .collect()
    }

    /// The first section of `kind`, if the fixture has one.
    pub fn section(&self, kind: SectionKind) -> Option<&Section> {
        self.sections.iter().find(|s| s.kind == kind)
    }
}

/// One section of a fixture, with its measured level.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Section {
    pub kind: SectionKind,
    pub start_secs: f64,
    pub end_secs: f64,
    /// RMS over all channels of the section's steady part (without the closing gain ramp);
    /// [`DB_FLOOR`] for silence.
    pub rms_dbfs: f64,
}

/// Generates the fixture `spec` describes, after validating it.
pub fn try_generate(spec: &FixtureSpec) -> Result<AudioBuffer, FixtureError> {
    generate_with_truth(spec).map(|(audio, _)| audio)
}

/// Generates the fixture and describes what it contains.
pub fn generate_with_truth(spec: &FixtureSpec) -> Result<(AudioBuffer, GroundTruth), FixtureError> {
    spec.validate()?;
    let mut rng = SplitMix64::new(spec.seed);
    let score = Score::compose(spec, &mut rng.fork());
    let rate = spec.sample_rate as f64;
    let distinct = spec.channels.min(2);

    let mut mix = render_dry(&score, distinct, rate, &mut rng);
    let ramp = ((RAMP_SECS * rate).round() as usize).max(1);
    let quiet_gain = calibrate_quiet_gain(&mix, &score.sections, ramp);
    let segments = gain_segments(&score.sections, quiet_gain, ramp);
    let peak = peak_with_gains(&mix, &segments);
    let normalise = if peak > 0.0 {
        db_to_gain(PEAK_DBFS) / peak
    } else {
        1.0
    };
    for channel in &mut mix {
        apply_gains(channel, &segments, normalise);
    }

    let truth = describe(spec, &score, &mix, ramp);
    // Beyond stereo, the L/R pair repeats.
    while mix.len() < spec.channels {
        mix.push(mix[mix.len() % distinct].clone());
    }
    let audio = AudioBuffer::new(mix, spec.sample_rate).map_err(|e| FixtureError::InvalidSpec {
        name: spec.name.clone(),
        reason: e.to_string(),
    })?;
    Ok((audio, truth))
}

/// The instruments of the recipe, each with its share of the composition.
fn band(score: &Score, rate: f64, rng: &mut SplitMix64) -> Vec<Box<dyn Layer>> {
    let mut tremolo = |depth: f64, period_secs: f64| Tremolo {
        depth,
        period_secs,
        phase: rng.range(0.0, std::f64::consts::TAU),
    };
    let bass = Timbre {
        harmonics: vec![1.0, 0.5, 0.33, 0.2, 0.12, 0.08],
        attack_secs: 0.005,
        decay_secs: 0.4,
        sustain: 0.6,
        release_secs: 0.03,
        vibrato: None,
    };
    let pad = Timbre {
        harmonics: vec![1.0, 0.4, 0.2, 0.1],
        attack_secs: 0.06,
        decay_secs: 1.5,
        sustain: 0.7,
        release_secs: 0.08,
        vibrato: None,
    };
    let lead = Timbre {
        harmonics: vec![1.0, 0.6, 0.4, 0.25, 0.15, 0.1],
        attack_secs: 0.015,
        decay_secs: 0.3,
        sustain: 0.5,
        release_secs: 0.025,
        vibrato: Some(Vibrato {
            rate_hz: 5.5,
            depth_semitones: 0.3,
            delay_secs: 0.12,
            fade_in_secs: 0.2,
        }),
    };
    let mut layers: Vec<Box<dyn Layer>> = vec![
        Box::new(Voice::new(
            score.bass.clone(),
            bass,
            Pan::new(0.0),
            0.35,
            tremolo(0.15, 9.1),
            rate,
        )),
        Box::new(Voice::new(
            score.lead.clone(),
            lead,
            Pan::new(0.3),
            0.2,
            tremolo(0.2, 11.3),
            rate,
        )),
    ];
    for (notes, (pan, period)) in score
        .chord
        .iter()
        .zip([(-0.6, 7.3), (0.0, 8.9), (0.6, 6.1)])
    {
        let voice = Voice::new(
            notes.clone(),
            pad.clone(),
            Pan::new(pan),
            0.12,
            tremolo(0.25, period),
            rate,
        );
        layers.push(Box::new(voice));
    }
    let hats = (0..HAT_VARIANTS).map(|_| hat_table(rate, rng)).collect();
    layers.push(Box::new(Drum::new(
        vec![kick_table(rate)],
        score.kicks.clone(),
        Pan::new(0.0),
        0.9,
    )));
    layers.push(Box::new(Drum::new(
        hats,
        score.hats.clone(),
        Pan::new(-0.35),
        0.25,
    )));
    layers.push(Box::new(PinkNoise::new(rng.fork(), score.lead_in, 0.02)));
    layers
}

/// Pass 1: the mix before section levels, as `distinct` (1 = mono mix, 2 = stereo) channels.
fn render_dry(score: &Score, distinct: usize, rate: f64, rng: &mut SplitMix64) -> Vec<Vec<f32>> {
    let frames = score.frames;
    let mut out = vec![vec![0.0f32; frames]; distinct];
    let mut layers = band(score, rate, rng);
    let mut left = [0.0f64; CONTROL_BLOCK];
    let mut right = [0.0f64; CONTROL_BLOCK];
    // Everything before the lead-in is silence; start at the block containing it.
    let mut start = score.lead_in / CONTROL_BLOCK * CONTROL_BLOCK;
    while start < frames {
        let n = CONTROL_BLOCK.min(frames - start);
        left[..n].fill(0.0);
        right[..n].fill(0.0);
        for layer in &mut layers {
            layer.render(start, &mut left[..n], &mut right[..n]);
        }
        if let [mono] = &mut out[..] {
            for (o, (l, r)) in mono[start..start + n]
                .iter_mut()
                .zip(left.iter().zip(&right))
            {
                *o = (0.5 * (l + r)) as f32;
            }
        } else {
            for (channel, block) in out.iter_mut().zip([&left, &right]) {
                for (o, &x) in channel[start..start + n].iter_mut().zip(block.iter()) {
                    *o = x as f32;
                }
            }
        }
        start += n;
    }
    out
}

/// A stretch of frames whose gain goes linearly from `from` to `to` (equal on plateaus).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Segment {
    start: usize,
    end: usize,
    from: f64,
    to: f64,
}

impl Segment {
    #[inline(always)]
    fn gain(&self, frame: usize) -> f64 {
        if self.from == self.to {
            return self.from;
        }
        let x = (frame - self.start) as f64 / (self.end - self.start) as f64;
        self.from + (self.to - self.from) * x
    }
}

fn section_gain(kind: SectionKind, quiet_gain: f64) -> f64 {
    match kind {
        SectionKind::Silence | SectionKind::Normal => 1.0,
        SectionKind::Quiet => quiet_gain,
        SectionKind::Loud => db_to_gain(LOUD_GAIN_DB),
    }
}

/// The steady part of section `index`: all of it but the ramp towards the next section.
fn plateau(sections: &[SectionPlan], index: usize, ramp: usize) -> std::ops::Range<usize> {
    let s = &sections[index];
    let ramp = if index + 1 < sections.len() {
        ramp.min((s.end - s.start) / 2)
    } else {
        0
    };
    s.start..s.end - ramp
}

/// Each section is a plateau at its gain followed by a ramp to the next section's gain that
/// ends exactly at the boundary, so the kick on the boundary already has the new level.
fn gain_segments(sections: &[SectionPlan], quiet_gain: f64, ramp: usize) -> Vec<Segment> {
    let mut segments = Vec::with_capacity(2 * sections.len());
    for (i, s) in sections.iter().enumerate() {
        let gain = section_gain(s.kind, quiet_gain);
        let steady = plateau(sections, i, ramp);
        segments.push(Segment {
            start: s.start,
            end: steady.end,
            from: gain,
            to: gain,
        });
        if let Some(next) = sections.get(i + 1) {
            let to = section_gain(next.kind, quiet_gain);
            segments.push(Segment {
                start: steady.end,
                end: s.end,
                from: gain,
                to,
            });
        }
    }
    segments.retain(|s| s.start < s.end);
    segments
}

/// Largest `|x|·gain` over all channels.
fn peak_with_gains(channels: &[Vec<f32>], segments: &[Segment]) -> f64 {
    PeakFinder::new(channels, segments).peak(segments)
}

/// Peaks under a gain curve whose segment *boundaries* are fixed but whose *gains* vary
/// (the quiet-gain calibration asks for several): each constant segment's `max |x|` is
/// computed once, and only the short ramps are rescanned per call.
struct PeakFinder<'a> {
    channels: &'a [Vec<f32>],
    /// `max |x|` of each segment, for the constant ones.
    constant_max: Vec<Option<f64>>,
}

impl<'a> PeakFinder<'a> {
    fn new(channels: &'a [Vec<f32>], segments: &[Segment]) -> Self {
        let constant_max = segments
            .iter()
            .map(|seg| {
                (seg.from == seg.to).then(|| {
                    let max = channels
                        .iter()
                        .flat_map(|c| c[seg.start..seg.end].iter())
                        .fold(0.0f32, |m, &x| m.max(x.abs()));
                    f64::from(max)
                })
            })
            .collect();
        Self {
            channels,
            constant_max,
        }
    }

    /// `segments` must have the boundaries (and constancy) of the ones given to `new`.
    fn peak(&self, segments: &[Segment]) -> f64 {
        let mut peak = 0.0f64;
        for (seg, constant_max) in segments.iter().zip(&self.constant_max) {
            if let (Some(max), true) = (constant_max, seg.from == seg.to) {
                peak = peak.max(max * seg.from);
                continue;
            }
            for channel in self.channels {
                for (i, &x) in channel[seg.start..seg.end].iter().enumerate() {
                    peak = peak.max(f64::from(x).abs() * seg.gain(seg.start + i));
                }
            }
        }
        peak
    }
}

/// Pass 3: section gains and normalisation, in place.
fn apply_gains(channel: &mut [f32], segments: &[Segment], scale: f64) {
    for seg in segments {
        for (i, x) in channel[seg.start..seg.end].iter_mut().enumerate() {
            *x = (f64::from(*x) * seg.gain(seg.start + i) * scale) as f32;
        }
    }
}

/// RMS over all channels of `channels[range]`.
fn rms(channels: &[Vec<f32>], range: std::ops::Range<usize>) -> f64 {
    let count = (channels.len() * range.len()) as f64;
    let energy: f64 = channels
        .iter()
        .flat_map(|c| c[range.clone()].iter())
        .map(|&x| x as f64 * x as f64)
        .sum();
    if count > 0.0 {
        (energy / count).sqrt()
    } else {
        0.0
    }
}

/// Pass 2: the quiet-section gain `q` such that `q · normalise(q) · rms_dry = QUIET_RMS`.
///
/// The normalisation depends on `q` only if the peak falls in the quiet section or its
/// ramps, so the fixed-point iteration below normally settles after one step; it is a
/// contraction in any case (`q` scales only part of the peak), and four steps are plenty.
fn calibrate_quiet_gain(dry: &[Vec<f32>], sections: &[SectionPlan], ramp: usize) -> f64 {
    let fallback = db_to_gain(QUIET_FALLBACK_DB);
    let quiet = sections.iter().position(|s| s.kind == SectionKind::Quiet);
    let Some(index) = quiet else { return fallback };
    let quiet_rms = rms(dry, plateau(sections, index, ramp));
    if quiet_rms == 0.0 {
        return fallback;
    }
    let (target_rms, target_peak) = (db_to_gain(QUIET_RMS_DBFS), db_to_gain(PEAK_DBFS));
    let finder = PeakFinder::new(dry, &gain_segments(sections, fallback, ramp));
    let mut q = fallback;
    for _ in 0..4 {
        let peak = finder.peak(&gain_segments(sections, q, ramp));
        let next = (target_rms * peak / (target_peak * quiet_rms)).min(1.0);
        if next == q {
            break;
        }
        q = next;
    }
    q
}

/// Level in dBFS, rounded to 0.1 mdB: the manifest records these, and libm's `log10` may
/// differ in the last bit between platforms; rounding keeps the JSON identical everywhere.
fn to_dbfs(x: f64) -> f64 {
    let db = if x > 0.0 {
        (20.0 * x.log10()).max(DB_FLOOR)
    } else {
        DB_FLOOR
    };
    (db * 1e4).round() / 1e4
}

/// The ground truth of the finished fixture, measured on the final samples.
fn describe(spec: &FixtureSpec, score: &Score, mixed: &[Vec<f32>], ramp: usize) -> GroundTruth {
    let rate = spec.sample_rate as f64;
    let peak = mixed.iter().flatten().fold(0.0f32, |m, &x| m.max(x.abs()));
    let sections = score
        .sections
        .iter()
        .enumerate()
        .map(|(i, s)| Section {
            kind: s.kind,
            start_secs: s.start as f64 / rate,
            end_secs: s.end as f64 / rate,
            rms_dbfs: to_dbfs(rms(mixed, plateau(&score.sections, i, ramp))),
        })
        .collect();
    GroundTruth {
        tempo_bpm: spec.tempo_bpm,
        lead_in_secs: score.lead_in as f64 / rate,
        beats: score.beats.len(),
        first_beat_secs: score.lead_in as f64 / rate,
        beat_period_secs: 60.0 / spec.tempo_bpm,
        sections,
        peak_dbfs: to_dbfs(peak as f64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beat_times_are_the_kick_frames_at_odd_tempos_and_rates() {
        for (tempo_bpm, sample_rate) in [(133.7, 48_000), (97.0, 22_050), (120.0, 44_100)] {
            let spec = FixtureSpec {
                tempo_bpm,
                sample_rate,
                ..FixtureSpec::music("t", 9.0)
            };
            let score = Score::compose(&spec, &mut SplitMix64::new(spec.seed).fork());
            let (_, truth) = generate_with_truth(&spec).unwrap();
            let frames: Vec<usize> = truth
                .beat_times(sample_rate)
                .iter()
                .map(|t| (t * sample_rate as f64).round() as usize)
                .collect();
            assert_eq!(frames, score.beats, "{tempo_bpm} BPM at {sample_rate} Hz");
            let kicks: Vec<usize> = score.kicks.iter().map(|h| h.start).collect();
            assert_eq!(kicks, score.beats);
        }
    }

    #[test]
    fn gain_segments_tile_the_sections_and_meet_at_the_boundaries() {
        let sections = [
            SectionPlan {
                kind: SectionKind::Silence,
                start: 0,
                end: 100,
            },
            SectionPlan {
                kind: SectionKind::Quiet,
                start: 100,
                end: 130,
            },
            SectionPlan {
                kind: SectionKind::Loud,
                start: 130,
                end: 400,
            },
        ];
        let segments = gain_segments(&sections, 0.1, 20);
        assert!(segments.windows(2).all(|w| w[0].end == w[1].start));
        assert_eq!((segments[0].start, segments.last().unwrap().end), (0, 400));
        // The quiet section is too short for a 20-frame ramp: its ramp takes half of it.
        let ramp = segments.iter().find(|s| s.start == 115).unwrap();
        assert_eq!(
            (ramp.end, ramp.from, ramp.to),
            (130, 0.1, db_to_gain(LOUD_GAIN_DB))
        );
        assert_eq!(ramp.gain(115), 0.1);
        assert!(ramp.gain(129) < ramp.to && ramp.gain(129) > 0.9 * ramp.to);
    }
}
