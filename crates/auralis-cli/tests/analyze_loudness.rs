//! `auralis analyze`'s loudness section: the standard meter's numbers (held against the
//! `ebur128` crate on the same file), `null`/"—" where a level does not exist, `--only`, and
//! the versioned JSON layout.

mod common;

use auralis::io::{write_wav, SampleFormat};
use auralis::AudioBuffer;
use common::{auralis, json, s};

#[test]
fn loudness_matches_the_standard_meter_on_the_same_file() {
    let dir = tempfile::tempdir().unwrap();
    let audio = auralis_fixtures::generate_seconds(8.0);
    let file = dir.path().join("music.wav");
    write_wav(&file, &audio, SampleFormat::Float32).unwrap();
    let doc = json(&auralis(&["analyze", s(&file), "--json"]));
    assert_eq!(doc["schema_version"], 1);
    assert!(doc["spectrum"]["centroid_hz"].is_f64());
    let l = &doc["loudness"];
    let mut meter = ebur128::EbuR128::new(
        2,
        audio.sample_rate(),
        ebur128::Mode::I | ebur128::Mode::LRA | ebur128::Mode::TRUE_PEAK,
    )
    .unwrap();
    let planes: Vec<&[f32]> = audio.channels().iter().map(Vec::as_slice).collect();
    meter.add_frames_planar_f32(&planes).unwrap();
    let integrated = l["integrated_lufs"].as_f64().unwrap();
    assert!((integrated - meter.loudness_global().unwrap()).abs() <= 0.01);
    let range = l["range_lu"].as_f64().unwrap();
    assert!((range - meter.loudness_range().unwrap()).abs() <= 0.05);
    let tp = (0..2)
        .map(|c| meter.true_peak(c).unwrap())
        .fold(0.0, f64::max);
    let tp_db = l["true_peak_dbtp"].as_f64().unwrap();
    assert!((tp_db - 20.0 * tp.log10()).abs() <= 0.05);
    for key in [
        "sample_peak_dbfs",
        "momentary_max_lufs",
        "short_term_max_lufs",
    ] {
        assert!(l[key].is_f64(), "{key}");
    }
    // The table shows the same numbers.
    let table = String::from_utf8_lossy(&auralis(&["analyze", s(&file)]).stdout).into_owned();
    assert!(table.contains(&format!("{integrated:.2} LUFS")), "{table}");
}

#[test]
fn silence_has_no_loudness_and_only_limits_the_work() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("silence.wav");
    let audio = AudioBuffer::new(vec![vec![0.0; 88_200]; 2], 44_100).unwrap();
    write_wav(&file, &audio, SampleFormat::Float32).unwrap();
    let doc = json(&auralis(&[
        "analyze",
        s(&file),
        "--json",
        "--only",
        "loudness",
    ]));
    assert!(doc.get("spectrum").is_none(), "{doc}");
    for key in [
        "integrated_lufs",
        "range_lu",
        "true_peak_dbtp",
        "sample_peak_dbfs",
        "momentary_max_lufs",
        "short_term_max_lufs",
    ] {
        assert!(doc["loudness"][key].is_null(), "{key}: {doc}");
    }
    let table =
        String::from_utf8_lossy(&auralis(&["analyze", s(&file), "--only", "loudness"]).stdout)
            .into_owned();
    assert!(table.contains("integrated             —"), "{table}");
    assert!(table.contains("silence"), "{table}");
    let doc = json(&auralis(&[
        "analyze",
        s(&file),
        "--json",
        "--only",
        "spectrum",
    ]));
    assert!(doc.get("loudness").is_none());
    let bad = auralis(&["analyze", s(&file), "--only", "rhythm"]);
    assert_eq!(bad.status.code(), Some(2));
}
