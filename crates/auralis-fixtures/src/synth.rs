//! The instruments: harmonic voices, drum one-shots and pink noise.
//!
//! Speed matters (180 s of stereo must render in well under a second), so nothing here calls
//! a transcendental function per sample. Oscillators are complex rotators advanced by one
//! complex multiplication per sample; a note's harmonics come from its fundamental by the
//! Chebyshev recurrence `sin((k+1)θ) = 2cosθ·sin(kθ) − sin((k−1)θ)`; vibrato, tremolo and
//! rotator renormalisation run at a control rate of one update per [`CONTROL_BLOCK`] frames;
//! drums are rendered once into tables and mixed in. All arithmetic is `f64`.

use std::f64::consts::TAU;

use crate::math::{exp, midi_to_hz, sin_cos};
use crate::rng::SplitMix64;
use crate::score::{Hit, Note};

/// Frames between control-rate updates (≈ 0.7 ms at 44.1 kHz: smooth enough for 5.5 Hz
/// vibrato and slow level changes, cheap enough to be invisible in the profile).
pub const CONTROL_BLOCK: usize = 32;

/// A stereo pan as constant-power gains.
#[derive(Clone, Copy, Debug)]
pub struct Pan {
    left: f64,
    right: f64,
}

impl Pan {
    /// `position` from −1 (hard left) to +1 (hard right).
    pub fn new(position: f64) -> Self {
        let (s, c) = sin_cos((position.clamp(-1.0, 1.0) + 1.0) * std::f64::consts::FRAC_PI_4);
        Self { left: c, right: s }
    }
}

/// Something that adds its sound into a block of stereo frames.
pub trait Layer {
    /// Adds frames `start .. start + left.len()` into `left`/`right`. Called with consecutive
    /// blocks of at most [`CONTROL_BLOCK`] frames, `start` a multiple of it.
    fn render(&mut self, start: usize, left: &mut [f64], right: &mut [f64]);
}

/// A slow sinusoidal level change: `1 + depth·sin(2π t / period + phase)`.
#[derive(Clone, Copy, Debug)]
pub struct Tremolo {
    pub depth: f64,
    pub period_secs: f64,
    pub phase: f64,
}

impl Tremolo {
    fn gain(&self, seconds: f64) -> f64 {
        1.0 + self.depth * sin_cos(TAU * seconds / self.period_secs + self.phase).0
    }
}

/// Frequency modulation of a held note, faded in after the attack like a singer's.
#[derive(Clone, Copy, Debug)]
pub struct Vibrato {
    pub rate_hz: f64,
    pub depth_semitones: f64,
    pub delay_secs: f64,
    pub fade_in_secs: f64,
}

/// How a voice sounds: harmonic amplitudes and envelope.
#[derive(Clone, Debug)]
pub struct Timbre {
    /// Amplitude of harmonic 1, 2, 3, … .
    pub harmonics: Vec<f64>,
    pub attack_secs: f64,
    /// Time constant of the decay from full level towards `sustain`.
    pub decay_secs: f64,
    pub sustain: f64,
    /// Linear fade at the end of each note (avoids clicks when the next one starts).
    pub release_secs: f64,
    pub vibrato: Option<Vibrato>,
}

/// A complex phasor `e^{iθ}` advanced by `e^{iω}` each frame.
#[derive(Clone, Copy, Debug)]
struct Rotator {
    re: f64,
    im: f64,
    step_re: f64,
    step_im: f64,
}

impl Rotator {
    fn start(hz: f64, rate: f64) -> Self {
        let mut r = Self {
            re: 1.0,
            im: 0.0,
            step_re: 1.0,
            step_im: 0.0,
        };
        r.set_frequency(hz, rate);
        r
    }

    fn set_frequency(&mut self, hz: f64, rate: f64) {
        let (s, c) = sin_cos(TAU * hz / rate);
        self.step_re = c;
        self.step_im = s;
    }

    /// Current `(cos θ, sin θ)`, then advances.
    #[inline(always)]
    fn next(&mut self) -> (f64, f64) {
        let out = (self.re, self.im);
        let re = self.re * self.step_re - self.im * self.step_im;
        self.im = self.re * self.step_im + self.im * self.step_re;
        self.re = re;
        out
    }

    /// Pulls the magnitude back to 1; rounding drifts it by ~1e-16 per step otherwise.
    fn renormalise(&mut self) {
        let norm = (self.re * self.re + self.im * self.im).sqrt();
        self.re /= norm;
        self.im /= norm;
    }
}

/// State of the note a [`Voice`] is playing.
#[derive(Clone, Copy, Debug)]
struct Playing {
    note: Note,
    hz: f64,
    rotator: Rotator,
    /// Harmonics below 0.45 × the sample rate (no aliasing at 8 kHz either).
    harmonics: usize,
    attack: f64,
    decay: f64,
}

/// A monophonic harmonic instrument playing a list of non-overlapping notes.
pub struct Voice {
    notes: Vec<Note>,
    next_note: usize,
    playing: Option<Playing>,
    timbre: Timbre,
    pan: Pan,
    level: f64,
    tremolo: Tremolo,
    rate: f64,
    attack_step: f64,
    decay_factor: f64,
    release_frames: f64,
}

impl Voice {
    pub fn new(
        notes: Vec<Note>,
        timbre: Timbre,
        pan: Pan,
        level: f64,
        tremolo: Tremolo,
        rate: f64,
    ) -> Self {
        let attack_step = 1.0 / (timbre.attack_secs * rate).max(1.0);
        let decay_factor = exp(-1.0 / (timbre.decay_secs * rate));
        let release_frames = (timbre.release_secs * rate).max(1.0);
        Self {
            notes,
            next_note: 0,
            playing: None,
            timbre,
            pan,
            level,
            tremolo,
            rate,
            attack_step,
            decay_factor,
            release_frames,
        }
    }

    /// Starts or stops notes at `frame`.
    fn update_note(&mut self, frame: usize) {
        if let Some(p) = &self.playing {
            if frame >= p.note.end {
                self.playing = None;
            }
        }
        if self.playing.is_none() {
            if let Some(&note) = self.notes.get(self.next_note) {
                if frame >= note.start {
                    self.next_note += 1;
                    let hz = midi_to_hz(note.midi);
                    let limit = (0.45 * self.rate / hz).floor() as usize;
                    self.playing = Some(Playing {
                        note,
                        hz,
                        rotator: Rotator::start(hz, self.rate),
                        harmonics: self.timbre.harmonics.len().min(limit),
                        attack: 0.0,
                        decay: 1.0,
                    });
                }
            }
        }
    }

    /// Control-rate work at the start of a block: vibrato and renormalisation.
    fn control(&mut self, frame: usize) {
        let Some(p) = &mut self.playing else { return };
        if let Some(v) = self.timbre.vibrato {
            let t = frame.saturating_sub(p.note.start) as f64 / self.rate;
            let fade = ((t - v.delay_secs) / v.fade_in_secs).clamp(0.0, 1.0);
            let semitones = fade * v.depth_semitones * sin_cos(TAU * v.rate_hz * t).0;
            let hz = p.hz * exp(semitones * (std::f64::consts::LN_2 / 12.0));
            p.rotator.set_frequency(hz, self.rate);
        }
        p.rotator.renormalise();
    }
}

impl Layer for Voice {
    fn render(&mut self, start: usize, left: &mut [f64], right: &mut [f64]) {
        self.control(start);
        let level = self.level * self.tremolo.gain(start as f64 / self.rate);
        let end = start + left.len();
        let mut frame = start;
        while frame < end {
            self.update_note(frame);
            let run_end = match &self.playing {
                Some(p) => p.note.end.min(end),
                // Silent until the next note starts (or the block ends).
                None => self
                    .notes
                    .get(self.next_note)
                    .map_or(end, |n| n.start.min(end)),
            };
            let range = frame - start..run_end - start;
            self.synthesise(frame, level, &mut left[range.clone()], &mut right[range]);
            frame = run_end;
        }
    }
}

impl Voice {
    /// Adds the playing note (if any) to a run of frames that contains no note boundary.
    fn synthesise(&mut self, first_frame: usize, level: f64, left: &mut [f64], right: &mut [f64]) {
        let Some(p) = &mut self.playing else { return };
        let harmonics = &self.timbre.harmonics[..p.harmonics];
        let Some((&first, rest)) = harmonics.split_first() else {
            return;
        };
        let sustain = self.timbre.sustain;
        let gain = level * p.note.velocity;
        let inverse_release = 1.0 / self.release_frames;
        // Frames left in the note, counted down in f64 (exact for integers this small).
        let mut remaining = (p.note.end - first_frame) as f64;
        for (l, r) in left.iter_mut().zip(right.iter_mut()) {
            let (cos, sin) = p.rotator.next();
            // Σ a_k sin(kθ) by the Chebyshev recurrence from sin θ and cos θ.
            let mut prev = 0.0;
            let mut cur = sin;
            let mut sum = first * sin;
            for &a in rest {
                let next = 2.0 * cos * cur - prev;
                prev = cur;
                cur = next;
                sum += a * next;
            }
            p.attack = (p.attack + self.attack_step).min(1.0);
            p.decay *= self.decay_factor;
            let release = (remaining * inverse_release).min(1.0);
            remaining -= 1.0;
            let envelope = p.attack * (sustain + (1.0 - sustain) * p.decay) * release;
            let amplitude = gain * envelope * sum;
            *l += self.pan.left * amplitude;
            *r += self.pan.right * amplitude;
        }
    }
}

/// Pre-rendered one-shots (kick, hi-hat) triggered by a list of hits.
pub struct Drum {
    variants: Vec<Vec<f64>>,
    hits: Vec<Hit>,
    /// First hit that may still be sounding.
    first_active: usize,
    pan: Pan,
    level: f64,
}

impl Drum {
    pub fn new(variants: Vec<Vec<f64>>, hits: Vec<Hit>, pan: Pan, level: f64) -> Self {
        Self {
            variants,
            hits,
            first_active: 0,
            pan,
            level,
        }
    }
}

impl Layer for Drum {
    fn render(&mut self, start: usize, left: &mut [f64], right: &mut [f64]) {
        let end = start + left.len();
        let variants = &self.variants;
        let finished = |h: &Hit| h.start + variants[h.variant].len() <= start;
        while self.hits.get(self.first_active).is_some_and(finished) {
            self.first_active += 1;
        }
        for hit in self.hits[self.first_active..]
            .iter()
            .take_while(|h| h.start < end)
        {
            let table = &self.variants[hit.variant];
            let from = start.max(hit.start);
            let to = end.min(hit.start + table.len());
            let gain = self.level * hit.gain;
            for frame in from..to {
                let x = gain * table[frame - hit.start];
                left[frame - start] += self.pan.left * x;
                right[frame - start] += self.pan.right * x;
            }
        }
    }
}

/// A kick drum: a sine swept from 150 Hz down to 48 Hz with a fast exponential decay.
pub fn kick_table(rate: f64) -> Vec<f64> {
    let (f_start, f_end, sweep_secs, decay_secs) = (150.0, 48.0, 0.025, 0.16);
    let frames = (0.3 * rate).round() as usize;
    let fade = (0.02 * rate).max(1.0);
    (0..frames)
        .map(|n| {
            let t = n as f64 / rate;
            // Phase = 2π ∫ f(t) dt for f(t) = f_end + (f_start − f_end)·e^{−t/τ}.
            let sweep = exp(-t / sweep_secs);
            let phase = TAU * (f_end * t + (f_start - f_end) * sweep_secs * (1.0 - sweep));
            let tail = ((frames - n) as f64 / fade).min(1.0);
            sin_cos(phase).0 * exp(-t / decay_secs) * tail
        })
        .collect()
}

/// A closed hi-hat: differentiated (bright) white noise with a 12 ms decay.
pub fn hat_table(rate: f64, rng: &mut SplitMix64) -> Vec<f64> {
    let frames = (0.06 * rate).round() as usize;
    let decay = exp(-1.0 / (0.012 * rate));
    let mut envelope = 1.0;
    let mut previous = 0.0;
    (0..frames)
        .map(|_| {
            let white = rng.next_signed();
            let bright = 0.5 * (white - previous);
            previous = white;
            let y = bright * envelope;
            envelope *= decay;
            y
        })
        .collect()
}

/// Independent pink-ish noise on each channel from `start` on: white noise through Paul
/// Kellet's three-pole "economy" filter, which approximates −3 dB/octave at 44.1 kHz (at
/// other rates the corner frequencies move; "pink-ish" is all the fixtures need).
pub struct PinkNoise {
    rng: SplitMix64,
    start: usize,
    level: f64,
    state: [[f64; 3]; 2],
}

impl PinkNoise {
    pub fn new(rng: SplitMix64, start: usize, level: f64) -> Self {
        Self {
            rng,
            start,
            level,
            state: [[0.0; 3]; 2],
        }
    }

    #[inline(always)]
    fn next(&mut self, channel: usize) -> f64 {
        let white = self.rng.next_signed();
        let b = &mut self.state[channel];
        b[0] = 0.997_65 * b[0] + white * 0.099_046;
        b[1] = 0.963 * b[1] + white * 0.296_516_4;
        b[2] = 0.57 * b[2] + white * 1.052_691_3;
        (b[0] + b[1] + b[2] + white * 0.184_8) * 0.25
    }
}

impl Layer for PinkNoise {
    fn render(&mut self, start: usize, left: &mut [f64], right: &mut [f64]) {
        let skip = self.start.saturating_sub(start).min(left.len());
        for (l, r) in left.iter_mut().zip(right.iter_mut()).skip(skip) {
            *l += self.level * self.next(0);
            *r += self.level * self.next(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render_mono(layer: &mut dyn Layer, frames: usize) -> Vec<f64> {
        let mut out = Vec::with_capacity(frames);
        let mut start = 0;
        while start < frames {
            let n = CONTROL_BLOCK.min(frames - start);
            let (mut l, mut r) = (vec![0.0; n], vec![0.0; n]);
            layer.render(start, &mut l, &mut r);
            out.extend(l.iter().zip(&r).map(|(a, b)| a + b));
            start += n;
        }
        out
    }

    #[test]
    fn rotator_stays_on_pitch_and_on_the_unit_circle() {
        let rate = 44_100.0;
        let mut r = Rotator::start(440.0, rate);
        let mut crossings = 0;
        let mut last = 0.0;
        for n in 0..44_100 {
            if n % CONTROL_BLOCK == 0 {
                r.renormalise();
            }
            let (_, s) = r.next();
            if last < 0.0 && s >= 0.0 {
                crossings += 1;
            }
            last = s;
        }
        assert!((crossings - 440i32).abs() <= 1, "{crossings}");
        assert!(((r.re * r.re + r.im * r.im) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn voice_is_silent_outside_its_notes() {
        let timbre = Timbre {
            harmonics: vec![1.0, 0.5],
            attack_secs: 0.01,
            decay_secs: 0.2,
            sustain: 0.5,
            release_secs: 0.01,
            vibrato: None,
        };
        let note = Note {
            start: 100,
            end: 1000,
            midi: 69.0,
            velocity: 1.0,
        };
        let tremolo = Tremolo {
            depth: 0.0,
            period_secs: 1.0,
            phase: 0.0,
        };
        let mut voice = Voice::new(vec![note], timbre, Pan::new(0.0), 1.0, tremolo, 44_100.0);
        let out = render_mono(&mut voice, 2000);
        assert!(out[..100].iter().all(|&x| x == 0.0));
        assert!(out[1000..].iter().all(|&x| x == 0.0));
        assert!(out[100..1000].iter().any(|&x| x.abs() > 0.1));
        // Starts at a zero crossing and fades out before its end: no clicks.
        assert!(out[100].abs() < 1e-3 && out[999].abs() < 0.05);
    }

    #[test]
    fn drum_hits_land_on_their_frames() {
        let table = vec![1.0, 0.5];
        let hits = vec![
            Hit {
                start: 31,
                variant: 0,
                gain: 1.0,
            },
            Hit {
                start: 64,
                variant: 0,
                gain: 2.0,
            },
        ];
        let mut drum = Drum::new(vec![table], hits, Pan::new(-1.0), 1.0);
        let out = render_mono(&mut drum, 100);
        let nonzero: Vec<(usize, f64)> = out
            .iter()
            .copied()
            .enumerate()
            .filter(|&(_, x)| x != 0.0)
            .collect();
        assert_eq!(nonzero, [(31, 1.0), (32, 0.5), (64, 2.0), (65, 1.0)]);
    }
}
