//! End-to-end tests of the `auralis` binary: real files in, real files out, and a one-line
//! error with a non-zero exit for every kind of bad input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use auralis::io::{read_wav, write_wav, SampleFormat};
use auralis::AudioBuffer;

fn auralis(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_auralis"))
        .args(args)
        .output()
        .expect("the auralis binary runs")
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("temp paths are UTF-8")
}

/// Two seconds of the lab's music-like fixture, written as a float WAV.
fn music_file(dir: &Path) -> PathBuf {
    let audio = auralis_fixtures::generate_seconds(2.0);
    let path = dir.join("music.wav");
    write_wav(&path, &audio, SampleFormat::Float32).unwrap();
    path
}

fn assert_one_line_error(out: &Output, code: i32, needle: &str) {
    assert_eq!(out.status.code(), Some(code), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "one line expected: {err}"
    );
    assert!(err.starts_with("auralis: error:"), "{err}");
    assert!(err.contains(needle), "`{needle}` not in: {err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn analyze_prints_json() {
    let dir = tempfile::tempdir().unwrap();
    let file = music_file(dir.path());
    let out = auralis(&["analyze", path_str(&file), "--json"]);
    assert!(out.status.success(), "{out:?}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        json["spectrum"]["band_levels_db"].as_array().unwrap().len(),
        64
    );
    let centroid = json["spectrum"]["centroid_hz"].as_f64().unwrap();
    assert!(centroid > 20.0 && centroid < 20_000.0, "{centroid}");
}

#[test]
fn analyze_table_and_forced_implementation_agree() {
    let dir = tempfile::tempdir().unwrap();
    let file = music_file(dir.path());
    let a = auralis(&["analyze", path_str(&file), "--impl", "reference"]);
    let b = auralis(&["analyze", path_str(&file), "--impl", "parallel"]);
    assert!(a.status.success() && b.status.success());
    let text = String::from_utf8_lossy(&a.stdout);
    assert!(text.contains("centroid"), "{text}");
    let bad = auralis(&["analyze", path_str(&file), "--impl", "gpu"]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn missing_and_corrupt_files_are_one_line_errors() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.wav");
    assert_one_line_error(&auralis(&["analyze", path_str(&missing)]), 2, "nope.wav");
    let corrupt = dir.path().join("corrupt.wav");
    std::fs::write(&corrupt, b"RIFF\x10\x00\x00\x00WAVEfmt garbage").unwrap();
    assert_one_line_error(&auralis(&["analyze", path_str(&corrupt)]), 2, "corrupt.wav");
    let truncated = dir.path().join("truncated.wav");
    let good = std::fs::read(music_file(dir.path())).unwrap();
    std::fs::write(&truncated, &good[..100]).unwrap();
    let out = auralis(&["analyze", path_str(&truncated)]);
    assert_one_line_error(&out, 2, "truncated.wav");
}

#[test]
fn eq_preset_writes_output_and_protects_files() {
    let dir = tempfile::tempdir().unwrap();
    let input = music_file(dir.path());
    let output = dir.path().join("out.wav");
    let out = auralis(&[
        "eq",
        path_str(&input),
        path_str(&output),
        "--preset",
        "warm",
    ]);
    assert!(out.status.success(), "{out:?}");
    let original = read_wav(&input).unwrap();
    let processed = read_wav(&output).unwrap();
    assert_eq!(processed.len(), original.len());
    assert_eq!(processed.num_channels(), original.num_channels());
    assert_ne!(processed, original, "the warm preset changes the audio");

    // An existing output is not replaced without --overwrite…
    let before = std::fs::read(&output).unwrap();
    let again = auralis(&[
        "eq",
        path_str(&input),
        path_str(&output),
        "--preset",
        "bright",
    ]);
    assert_one_line_error(&again, 2, "--overwrite");
    assert_eq!(std::fs::read(&output).unwrap(), before);
    // …and the input is never the output.
    let over_input = auralis(&[
        "eq",
        path_str(&input),
        path_str(&input),
        "--preset",
        "flat",
        "--overwrite",
    ]);
    assert_one_line_error(&over_input, 2, "input");
    assert_eq!(read_wav(&input).unwrap(), original);

    // A preset name given to --gains is that preset.
    let by_gains = dir.path().join("by_gains.wav");
    let out = auralis(&[
        "eq",
        path_str(&input),
        path_str(&by_gains),
        "--gains",
        "Warm",
    ]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(read_wav(&by_gains).unwrap(), processed);
}

#[test]
fn eq_rejects_bad_gains() {
    let dir = tempfile::tempdir().unwrap();
    let input = music_file(dir.path());
    let output = dir.path().join("out.wav");
    for gains in [
        "1,2,3",
        "nan,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0",
        "",
    ] {
        let out = auralis(&["eq", path_str(&input), path_str(&output), "--gains", gains]);
        assert_eq!(out.status.code(), Some(2), "gains `{gains}`: {out:?}");
        assert!(!output.exists(), "no half-written output for `{gains}`");
    }
    let out = auralis(&[
        "eq",
        path_str(&input),
        path_str(&output),
        "--preset",
        "loud",
    ]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn limit_keeps_samples_under_the_ceiling() {
    let dir = tempfile::tempdir().unwrap();
    let input = music_file(dir.path());
    let output = dir.path().join("limited.wav");
    let out = auralis(&[
        "limit",
        path_str(&input),
        path_str(&output),
        "--ceiling",
        "-6",
    ]);
    assert!(out.status.success(), "{out:?}");
    let limited: AudioBuffer = read_wav(&output).unwrap();
    let ceiling = 10f32.powf(-6.0 / 20.0);
    assert!(limited.peak() <= ceiling, "{} > {ceiling}", limited.peak());
    let bad = auralis(&[
        "limit",
        path_str(&input),
        path_str(&dir.path().join("x.wav")),
        "--ceiling",
        "3",
    ]);
    assert_one_line_error(&bad, 2, "ceiling");
}

#[test]
fn compress_rejects_ratio_below_one() {
    let dir = tempfile::tempdir().unwrap();
    let input = music_file(dir.path());
    let output = dir.path().join("c.wav");
    let out = auralis(&[
        "compress",
        path_str(&input),
        path_str(&output),
        "--ratio",
        "0.5",
    ]);
    assert_one_line_error(&out, 2, "ratio");
    assert!(!output.exists());
    let ok = auralis(&["compress", path_str(&input), path_str(&output)]);
    assert!(ok.status.success(), "{ok:?}");
    assert!(String::from_utf8_lossy(&ok.stderr).contains("gain reduction"));
}

/// `analyze` tells the truth: silence has no peak, centroid, rolloff or energy (null in JSON,
/// "—" in the table), and a 1 kHz tone is reported in the band that holds it, by that band's
/// edges and geometric centre (the original printed the lower edge, 928 Hz, as the "centre").
#[test]
fn analyze_reports_absent_features_for_silence_and_true_band_centres() {
    let dir = tempfile::tempdir().unwrap();
    let silence = dir.path().join("silence.wav");
    write_wav(
        &silence,
        &AudioBuffer::new(vec![vec![0.0; 20_000]; 2], 44_100).unwrap(),
        SampleFormat::Float32,
    )
    .unwrap();
    let out = auralis(&["analyze", path_str(&silence), "--json"]);
    assert!(out.status.success(), "{out:?}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in [
        "peak_frequency_hz",
        "centroid_hz",
        "rolloff_hz",
        "total_energy_db",
    ] {
        assert!(
            json["spectrum"][key].is_null(),
            "{key}: {}",
            json["spectrum"][key]
        );
    }
    let table = auralis(&["analyze", path_str(&silence)]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.contains("centroid                 —"), "{text}");

    let tone = dir.path().join("tone.wav");
    let sr = 44_100;
    let samples: Vec<f32> = (0..sr)
        .map(|n| 0.5 * (std::f32::consts::TAU * 1000.0 * n as f32 / sr as f32).sin())
        .collect();
    write_wav(
        &tone,
        &AudioBuffer::new(vec![samples], sr as u32).unwrap(),
        SampleFormat::Float32,
    )
    .unwrap();
    let out = auralis(&["analyze", path_str(&tone), "--json", "--weighting", "z"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let peak = json["spectrum"]["peak_frequency_hz"].as_f64().unwrap();
    let lower = json["spectrum"]["band_lower_edges_hz"].as_array().unwrap();
    let upper = json["spectrum"]["band_upper_edges_hz"].as_array().unwrap();
    let band = lower
        .iter()
        .rposition(|f| f.as_f64().unwrap() <= 1000.0)
        .unwrap();
    assert!(upper[band].as_f64().unwrap() > 1000.0);
    let centre = json["spectrum"]["band_centres_hz"][band].as_f64().unwrap();
    assert!((peak - centre).abs() < 1e-3, "{peak} vs {centre}");
    assert!((965.0..1036.0).contains(&peak), "{peak}");
}

/// `--gains` takes a list that starts with a minus sign (clap used to suggest `-- -3`, which
/// is wrong), names a bad value by its 1-based position and its band's frequencies (the
/// messages mixed 1-based "item" and 0-based "band"), and warns when it clips.
#[test]
fn gains_accept_leading_hyphens_and_name_values_one_based() {
    let dir = tempfile::tempdir().unwrap();
    let input = music_file(dir.path());
    let output = dir.path().join("g.wav");
    let mut gains = vec!["0"; 25];
    gains[0] = "-3";
    gains[24] = "20";
    let list = gains.join(",");
    let out = auralis(&["eq", path_str(&input), path_str(&output), "--gains", &list]);
    assert!(out.status.success(), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("warning") && err.contains("20") && err.contains("12 dB"),
        "{err}"
    );

    gains[2] = "x";
    let out = auralis(&[
        "eq",
        path_str(&input),
        path_str(&dir.path().join("h.wav")),
        "--gains",
        &gains.join(","),
    ]);
    assert_one_line_error(&out, 2, "value 3 of 25 (band 200–300 Hz)");
    let mut nan = vec!["0"; 25];
    nan[2] = "nan";
    let out = auralis(&[
        "eq",
        path_str(&input),
        path_str(&dir.path().join("i.wav")),
        "--gains",
        &nan.join(","),
    ]);
    assert_one_line_error(&out, 2, "value 3 of 25 (band 200–300 Hz)");
}

/// Usage errors exit 2, `--help` exits 0 (also when stdout is closed), and the ceiling's help
/// states its real range.
#[test]
fn usage_exit_codes_and_ceiling_help() {
    let out = auralis(&["limit", "--help"]);
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("from -60 to 0"), "{help}");
    assert_eq!(auralis(&["limit"]).status.code(), Some(2));
    assert_eq!(auralis(&["no-such-command"]).status.code(), Some(2));
}
