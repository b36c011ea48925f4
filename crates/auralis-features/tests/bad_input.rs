//! Bad and odd input: a correct answer or a typed error, never a panic or an invented number.

use auralis_core::{AudioBuffer, ImplKind};
use auralis_features::{extract, FeatureSettings};
use auralis_testkit::signals::{noise, sine_buffer, square};

fn all_kinds(audio: &AudioBuffer) -> Vec<auralis_features::FeatureResult> {
    ImplKind::ALL
        .into_iter()
        .map(|k| extract(k, audio, &FeatureSettings::default()).expect("a result"))
        .collect()
}

fn mono(x: Vec<f32>, sr: u32) -> AudioBuffer {
    AudioBuffer::new(vec![x], sr).unwrap()
}

#[test]
fn silence_has_levels_but_no_tempo() {
    for r in all_kinds(&mono(vec![0.0; 44_100 * 5], 44_100)) {
        assert_eq!(r.peak_dbfs(), None);
        assert_eq!(r.crest_db(), None);
        assert!(r.tempo.is_err(), "{:?}", r.tempo);
        let m = r.means.unwrap();
        // librosa's values for silent frames: centroid 0, rolloff 0, flatness 1.
        assert_eq!((m.centroid_hz, m.rolloff_hz, m.zcr), (0.0, 0.0, 0.0));
        assert!((m.flatness - 1.0).abs() < 1e-5, "{}", m.flatness);
    }
}

#[test]
fn short_audio_has_no_frames_and_no_tempo() {
    for len in [1usize, 100, 2047, 17_640] {
        for r in all_kinds(&mono(noise(len, 0.5, 3), 44_100)) {
            assert!(r.tempo.is_err());
            assert_eq!(r.means.is_some(), len >= 2048, "{len}");
            assert!(r.peak_dbfs().is_some());
        }
    }
    let empty = AudioBuffer::new(vec![vec![]], 44_100);
    if let Ok(empty) = empty {
        assert!(extract(ImplKind::Reference, &empty, &FeatureSettings::default()).is_err());
    }
}

#[test]
fn steady_signals_and_noise_have_no_tempo() {
    let dc = mono(vec![0.25; 44_100 * 6], 44_100);
    for r in all_kinds(&dc) {
        assert!(r.tempo.is_err(), "DC: {:?}", r.tempo);
        assert!((r.dc_offset() - 0.25).abs() < 1e-6);
        assert!(r.crest_db().unwrap().abs() < 1e-5);
    }
    for r in all_kinds(&square(441.0, 44_100 * 6, 44_100)) {
        assert!(r.tempo.is_err(), "square: {:?}", r.tempo);
        assert!(r.crest_db().unwrap().abs() < 1e-5);
    }
    for r in all_kinds(&sine_buffer(1000.0, 0.5, 44_100 * 6, 44_100, 2)) {
        assert!(r.tempo.is_err(), "sine: {:?}", r.tempo);
        let s = r.stereo.unwrap();
        assert!((s.correlation - 1.0).abs() < 1e-9 && s.width == 0.0);
    }
    for r in all_kinds(&mono(noise(44_100 * 10, 0.5, 9), 44_100)) {
        assert!(r.tempo.is_err(), "noise: {:?}", r.tempo);
    }
}

#[test]
fn odd_rates_and_channel_counts_work() {
    for (sr, channels) in [(8_000u32, 1usize), (96_000, 2), (192_000, 2), (44_100, 8)] {
        let audio = auralis_testkit::signals::music_like(6.0, sr, channels, 7);
        for r in all_kinds(&audio) {
            assert!(r.means.is_some());
            assert_eq!(r.stereo.is_some(), channels >= 2);
            match &r.tempo {
                Ok(t) => assert!(
                    (t.bpm - 120.0).abs() <= 1.0,
                    "{sr} Hz × {channels}: {} BPM",
                    t.bpm
                ),
                Err(reason) => assert!(sr > 96_000, "{sr} Hz: {reason}"),
            }
        }
    }
}

#[test]
fn anti_phase_is_infinitely_wide() {
    let x = noise(44_100, 0.3, 4);
    let y: Vec<f32> = x.iter().map(|v| -v).collect();
    let r = extract(
        ImplKind::Vectorized,
        &AudioBuffer::new(vec![x, y], 44_100).unwrap(),
        &FeatureSettings::default(),
    )
    .unwrap();
    let s = r.stereo.unwrap();
    assert!((s.correlation + 1.0).abs() < 1e-9);
    assert!(s.width.is_infinite());
}
