//! `auralis analyze`'s features and tempo sections: the JSON keys, the fixture's
//! tempo and beats, `--only`, and a tempo that is absent (with its reason) for silence.

mod common;

use auralis::io::{write_wav, SampleFormat};
use auralis::AudioBuffer;
use common::{auralis, json, s};

#[test]
fn features_and_tempo_sections_have_the_documented_keys() {
    let dir = tempfile::tempdir().unwrap();
    let audio = auralis_fixtures::generate_seconds(10.0);
    let file = dir.path().join("music.wav");
    write_wav(&file, &audio, SampleFormat::Float32).unwrap();
    let doc = json(&auralis(&["analyze", s(&file), "--json"]));
    assert_eq!(doc["schema_version"], 1);
    for key in [
        "centroid_hz",
        "rolloff_hz",
        "flatness",
        "zcr",
        "crest_db",
        "rms_dbfs",
        "stereo_correlation",
        "stereo_width",
    ] {
        assert!(doc["features"][key].is_f64(), "features.{key}: {doc}");
    }
    let bpm = doc["tempo"]["bpm"].as_f64().unwrap();
    assert!((bpm - 120.0).abs() <= 1.0, "{bpm}");
    let beats = doc["tempo"]["beats_s"].as_array().unwrap();
    assert!(beats.len() >= 17, "{beats:?}");
    assert!((beats[0].as_f64().unwrap() - 0.5).abs() <= 0.07);

    // --only limits the work and the document.
    let doc = json(&auralis(&[
        "analyze",
        s(&file),
        "--json",
        "--only",
        "tempo",
    ]));
    assert!(doc.get("features").is_none() && doc.get("loudness").is_none());
    assert!(doc.get("spectrum").is_none() && doc["tempo"]["bpm"].is_f64());
    let doc = json(&auralis(&[
        "analyze",
        s(&file),
        "--json",
        "--only",
        "features",
        "--only",
        "loudness",
    ]));
    assert!(doc.get("tempo").is_none() && doc["features"]["zcr"].is_f64());
    assert!(doc["loudness"]["integrated_lufs"].is_f64());

    // The table shows the same sections.
    let out = auralis(&["analyze", s(&file)]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("spectral centroid") && text.contains("BPM"),
        "{text}"
    );
}

#[test]
fn silence_has_no_tempo_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("silence.wav");
    let audio = AudioBuffer::new(vec![vec![0.0; 44_100 * 4]; 2], 44_100).unwrap();
    write_wav(&file, &audio, SampleFormat::Float32).unwrap();
    let doc = json(&auralis(&["analyze", s(&file), "--json"]));
    assert!(doc["tempo"]["bpm"].is_null());
    assert!(doc["tempo"]["absent_reason"]
        .as_str()
        .unwrap()
        .contains("onset"));
    assert!(doc["features"]["crest_db"].is_null());
    assert!(doc["features"]["stereo_correlation"].is_null());
    let text = String::from_utf8(auralis(&["analyze", s(&file)]).stdout).unwrap();
    assert!(text.contains("tempo                  —"), "{text}");
}
