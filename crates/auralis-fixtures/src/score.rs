//! The composition: which notes and drum hits happen when, and the section layout.
//!
//! Everything here is integer sample positions and MIDI numbers chosen from the seed; the
//! synthesis in [`crate::synth`] turns it into sound. Keeping the two apart means the ground
//! truth the manifest records (beats, sections) comes from the same data the audio does.

use serde::{Deserialize, Serialize};

use crate::rng::SplitMix64;
use crate::spec::FixtureSpec;

/// Length of the silent lead-in (STAGES.md: "a half-second silent lead-in").
pub const LEAD_IN_SECS: f64 = 0.5;
/// Beats per bar; chords change once a bar.
const BEATS_PER_BAR: usize = 4;

/// What a stretch of the fixture is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SectionKind {
    /// Exact digital silence (the lead-in): exercises the absolute loudness gate.
    Silence,
    /// The body of the track.
    Normal,
    /// About −30 dBFS RMS: falls under the relative loudness gate, below the compressor.
    Quiet,
    /// 6 dB above normal and carrying the file's peak: compressor and limiter engage.
    Loud,
}

/// The arrangement after the lead-in, as (kind, start as a fraction of the beats).
/// Section starts are rounded to whole beats so they coincide with a kick.
const ARRANGEMENT: [(SectionKind, f64); 5] = [
    (SectionKind::Normal, 0.0),
    (SectionKind::Quiet, 0.25),
    (SectionKind::Normal, 0.45),
    (SectionKind::Loud, 0.70),
    (SectionKind::Normal, 0.90),
];

/// A stretch `[start, end)` of frames.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SectionPlan {
    pub kind: SectionKind,
    pub start: usize,
    pub end: usize,
}

/// One pitched note, `[start, end)` in frames.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Note {
    pub start: usize,
    pub end: usize,
    pub midi: f64,
    pub velocity: f64,
}

/// One drum hit: which pre-rendered variant, how loud, from which frame.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hit {
    pub start: usize,
    pub variant: usize,
    pub gain: f64,
}

/// A whole fixture's composition.
#[derive(Clone, Debug)]
pub struct Score {
    pub frames: usize,
    pub lead_in: usize,
    /// Onset frame of every beat (one kick each).
    pub beats: Vec<usize>,
    pub sections: Vec<SectionPlan>,
    pub bass: Vec<Note>,
    /// Three chord voices (low, middle, high note of each triad).
    pub chord: [Vec<Note>; 3],
    pub lead: Vec<Note>,
    pub kicks: Vec<Hit>,
    pub hats: Vec<Hit>,
}

/// Chord loops in A minor, voiced around A3, with the bass root (MIDI) of each chord.
const PROGRESSIONS: [[([f64; 3], f64); 4]; 3] = [
    // Am – F – C – G
    [
        ([57.0, 60.0, 64.0], 33.0),
        ([57.0, 60.0, 65.0], 29.0),
        ([55.0, 60.0, 64.0], 36.0),
        ([55.0, 59.0, 62.0], 31.0),
    ],
    // Am – Dm – G – C
    [
        ([57.0, 60.0, 64.0], 33.0),
        ([57.0, 62.0, 65.0], 38.0),
        ([55.0, 59.0, 62.0], 31.0),
        ([55.0, 60.0, 64.0], 36.0),
    ],
    // Am – G – F – G
    [
        ([57.0, 60.0, 64.0], 33.0),
        ([55.0, 59.0, 62.0], 31.0),
        ([57.0, 60.0, 65.0], 29.0),
        ([55.0, 59.0, 62.0], 31.0),
    ],
];

/// A minor pentatonic over two octaves from A4: the lead's notes.
const LEAD_SCALE: [f64; 11] = [
    69.0, 72.0, 74.0, 76.0, 79.0, 81.0, 84.0, 86.0, 88.0, 91.0, 93.0,
];

/// Number of hi-hat variants rendered (each hit picks one, so hats are not identical).
pub const HAT_VARIANTS: usize = 4;

impl Score {
    /// Composes the fixture `spec` describes; `rng` is the only source of variation.
    pub fn compose(spec: &FixtureSpec, rng: &mut SplitMix64) -> Score {
        let frames = spec.frames();
        let rate = spec.sample_rate as f64;
        let lead_in = ((LEAD_IN_SECS * rate).round() as usize).min(frames);
        let beat_frames = 60.0 / spec.tempo_bpm * rate;
        // Frame of a position measured in beats after the lead-in.
        let at = |beats: f64| lead_in + (beats * beat_frames).round() as usize;

        let beats: Vec<usize> = (0..)
            .map(|k| at(k as f64))
            .take_while(|&onset| onset < frames)
            .collect();
        let sections = arrange(frames, lead_in, &beats);

        let progression = &PROGRESSIONS[rng.index(PROGRESSIONS.len())];
        let mut bass = Vec::new();
        let mut chord: [Vec<Note>; 3] = Default::default();
        let mut lead = Vec::new();
        let mut kicks = Vec::new();
        let mut hats = Vec::new();
        let note = |start_beats: f64, length_beats: f64, midi: f64, velocity: f64| Note {
            start: at(start_beats),
            end: at(start_beats + length_beats).min(frames),
            midi,
            velocity,
        };

        let mut scale_index = 4usize;
        for (bar, bar_start) in (0..beats.len()).step_by(BEATS_PER_BAR).enumerate() {
            let (triad, root) = progression[bar % progression.len()];
            let b0 = bar_start as f64;
            for (voice, &midi) in chord.iter_mut().zip(&triad) {
                voice.push(note(b0, 3.9, midi, rng.range(0.8, 1.0)));
            }
            for half in 0..2 {
                let octave = if half == 1 && rng.chance(0.3) {
                    12.0
                } else {
                    0.0
                };
                bass.push(note(
                    b0 + 2.0 * half as f64,
                    1.85,
                    root + octave,
                    rng.range(0.9, 1.0),
                ));
            }
            // The lead: a random walk on the pentatonic scale, one slot per eighth note.
            let mut slot = 0;
            while slot < 2 * BEATS_PER_BAR {
                let slots = if rng.chance(0.3) { 2 } else { 1 };
                if rng.chance(0.7) {
                    let step = rng.index(5) as isize - 2;
                    scale_index = (scale_index as isize + step)
                        .clamp(0, LEAD_SCALE.len() as isize - 1)
                        as usize;
                    let start = b0 + 0.5 * slot as f64;
                    lead.push(note(
                        start,
                        0.45 * slots as f64,
                        LEAD_SCALE[scale_index],
                        rng.range(0.7, 1.0),
                    ));
                }
                slot += slots;
            }
        }
        for (k, &onset) in beats.iter().enumerate() {
            let downbeat = k % BEATS_PER_BAR == 0;
            let gain = if downbeat { 1.0 } else { rng.range(0.85, 0.95) };
            kicks.push(Hit {
                start: onset,
                variant: 0,
                gain,
            });
            let offbeat = at(k as f64 + 0.5);
            if offbeat < frames {
                let variant = rng.index(HAT_VARIANTS);
                hats.push(Hit {
                    start: offbeat,
                    variant,
                    gain: rng.range(0.6, 0.9),
                });
            }
        }
        let keep = |notes: &mut Vec<Note>| notes.retain(|n| n.start < n.end);
        keep(&mut bass);
        keep(&mut lead);
        chord.iter_mut().for_each(keep);

        Score {
            frames,
            lead_in,
            beats,
            sections,
            bass,
            chord,
            lead,
            kicks,
            hats,
        }
    }
}

/// Lays [`ARRANGEMENT`] over the beats: silence, then sections starting on beats, the last
/// one running to the end. Empty sections (short fixtures) are dropped and neighbours of the
/// same kind merged, so a 2 s fixture simply has fewer sections.
fn arrange(frames: usize, lead_in: usize, beats: &[usize]) -> Vec<SectionPlan> {
    let mut sections = Vec::new();
    if lead_in > 0 {
        sections.push(SectionPlan {
            kind: SectionKind::Silence,
            start: 0,
            end: lead_in,
        });
    }
    let starts: Vec<usize> = ARRANGEMENT
        .iter()
        .map(|&(_, fraction)| {
            let beat = (fraction * beats.len() as f64).round() as usize;
            beats.get(beat).copied().unwrap_or(frames).max(lead_in)
        })
        .collect();
    for (i, &(kind, _)) in ARRANGEMENT.iter().enumerate() {
        let start = starts[i];
        let end = starts.get(i + 1).copied().unwrap_or(frames);
        if start >= end {
            continue;
        }
        match sections.last_mut() {
            Some(last) if last.kind == kind && last.end == start => last.end = end,
            _ => sections.push(SectionPlan { kind, start, end }),
        }
    }
    sections
}

#[cfg(test)]
mod tests {
    use super::*;

    fn score(seconds: f64) -> Score {
        Score::compose(&FixtureSpec::music("t", seconds), &mut SplitMix64::new(1))
    }

    #[test]
    fn five_seconds_has_every_section_on_beats() {
        let s = score(5.0);
        let kinds: Vec<SectionKind> = s.sections.iter().map(|x| x.kind).collect();
        use SectionKind::*;
        assert_eq!(kinds, [Silence, Normal, Quiet, Normal, Loud, Normal]);
        assert_eq!(s.beats.len(), 9);
        assert_eq!(s.beats[0], 22_050);
        assert!(s.beats.windows(2).all(|w| w[1] - w[0] == 22_050));
        for pair in s.sections.windows(2) {
            assert_eq!(pair[0].end, pair[1].start, "sections tile the file");
            assert!(s.beats.contains(&pair[1].start), "sections start on a beat");
        }
        assert_eq!(s.sections.last().unwrap().end, s.frames);
    }

    #[test]
    fn events_lie_inside_the_music() {
        let s = score(7.3);
        let notes = s.bass.iter().chain(&s.lead).chain(s.chord.iter().flatten());
        for n in notes {
            assert!(
                n.start >= s.lead_in && n.start < n.end && n.end <= s.frames,
                "{n:?}"
            );
        }
        for h in s.kicks.iter().chain(&s.hats) {
            assert!(h.start >= s.lead_in && h.start < s.frames);
        }
    }

    #[test]
    fn tiny_fixtures_degrade_gracefully() {
        let s = score(0.3);
        assert!(s.beats.is_empty());
        assert_eq!(s.sections.len(), 1);
        assert_eq!(s.sections[0].kind, SectionKind::Silence);
        let s = score(2.0);
        assert!(s.sections.iter().all(|x| x.start < x.end));
    }
}
