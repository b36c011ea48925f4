//! Tempo and beats against the fixtures' ground truth (the manifest's kick times): within
//! 1 BPM, beat F-measure ≥ 0.9 with a ±70 ms window, at 120 BPM (5, 30 and 180 s) and at 92
//! and 140 BPM, where a half- or double-tempo reading (an octave error) would fail.

use auralis_core::ImplKind;
use auralis_features::{extract, FeatureSettings};
use auralis_fixtures::{generate_with_truth, standard, tempo_variants, FixtureSpec};

/// Beat-tracking F-measure (MIREX): a detection within ±`window` s of an unmatched truth beat
/// is a hit; each truth beat matches once.
fn f_measure(detected: &[f64], truth: &[f64], window: f64) -> f64 {
    let mut used = vec![false; truth.len()];
    let mut hits = 0usize;
    for &d in detected {
        if let Some(i) = (0..truth.len()).find(|&i| !used[i] && (truth[i] - d).abs() <= window) {
            used[i] = true;
            hits += 1;
        }
    }
    if hits == 0 {
        return 0.0;
    }
    let precision = hits as f64 / detected.len() as f64;
    let recall = hits as f64 / truth.len() as f64;
    2.0 * precision * recall / (precision + recall)
}

fn check(spec: &FixtureSpec) {
    let (audio, truth) = generate_with_truth(spec).expect("fixture");
    let r = extract(ImplKind::Parallel, &audio, &FeatureSettings::default()).expect("features");
    let tempo = r.tempo.as_ref().expect("a tempo");
    let error = (tempo.bpm - spec.tempo_bpm).abs();
    let f = f_measure(&tempo.beats_s, &truth.beat_times(spec.sample_rate), 0.070);
    eprintln!(
        "{}: {:.2} BPM (truth {}), F = {f:.3}, {} beats of {}, clarity {:.3}",
        spec.name,
        tempo.bpm,
        spec.tempo_bpm,
        tempo.beats_s.len(),
        truth.beats,
        tempo.pulse_clarity
    );
    assert!(error <= 1.0, "{}: {} BPM", spec.name, tempo.bpm);
    assert!(f >= 0.9, "{}: F-measure {f}", spec.name);
}

#[test]
fn standard_fixtures_read_120_bpm_and_their_beats() {
    for spec in standard() {
        check(&spec);
    }
}

#[test]
fn other_tempos_read_right_without_octave_errors() {
    for spec in tempo_variants() {
        check(&spec);
    }
}

#[test]
fn f_measure_counts_each_truth_beat_once() {
    assert_eq!(f_measure(&[1.0, 1.01], &[1.0], 0.07), 2.0 * 0.5 / 1.5);
    assert_eq!(f_measure(&[], &[1.0], 0.07), 0.0);
    assert_eq!(f_measure(&[1.0, 2.0], &[1.05, 2.06], 0.07), 1.0);
}
