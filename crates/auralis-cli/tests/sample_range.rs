//! One rule for finite but absurd samples, in every command: float input within
//! ±`MAX_SAMPLE_MAGNITUDE` (2^16, +96.3 dBFS) is processed exactly as full-scale audio is;
//! anything beyond is refused with exit code 2 and a message naming the sample and the
//! bound — before, `limit` put 1e15 at the wrong level and made 1e18 silent with exit 0,
//! `eq` reported a NaN the input did not have, and `analyze` refused what `limit` accepted.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use auralis::io::{read_wav, write_wav, SampleFormat};
use auralis::AudioBuffer;

const MAX: f32 = auralis::MAX_SAMPLE_MAGNITUDE;

fn auralis(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_auralis"))
        .args(args)
        .output()
        .unwrap()
}

/// One second of two tones scaled so that the peak is `peak`, written as float WAV
/// (written byte by byte: the library refuses to build such a buffer).
fn tones_file(dir: &Path, name: &str, peak: f32) -> PathBuf {
    let rate = 44_100u32;
    let frames = rate as usize;
    let mut data = Vec::with_capacity(frames * 8);
    for n in 0..frames {
        let t = n as f64 / f64::from(rate);
        for f in [440.0, 660.0] {
            let v = (peak as f64 * (std::f64::consts::TAU * f * t).sin()) as f32;
            let v = if n == 100 { peak } else { v };
            data.extend_from_slice(&v.to_le_bytes());
        }
    }
    let mut wav = Vec::new();
    wav.extend_from_slice(b"RIFF");
    wav.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    for (v, bytes) in [
        (16u32, 4),
        (3, 2),
        (2, 2),
        (rate, 4),
        (rate * 8, 4),
        (8, 2),
        (32, 2),
    ] {
        wav.extend_from_slice(&v.to_le_bytes()[..bytes]);
    }
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&(data.len() as u32).to_le_bytes());
    wav.extend_from_slice(&data);
    let path = dir.join(name);
    std::fs::write(&path, wav).unwrap();
    path
}

/// The samples of a float WAV, straight from its `data` chunk.
fn raw_f32(path: &Path) -> Vec<f32> {
    let bytes = std::fs::read(path).unwrap();
    let at = bytes.windows(4).position(|w| w == b"data").unwrap() + 8;
    bytes[at..]
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn every_command_processes_the_bound_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let unit = tones_file(dir.path(), "unit.wav", 1.0);
    let at_bound = tones_file(dir.path(), "bound.wav", MAX);

    // limit: the ceiling holds and the level is the ceiling, as for full-scale input.
    let out = dir.path().join("limited.wav");
    let r = auralis(&["limit", s(&at_bound), s(&out), "--ceiling", "-1"]);
    assert!(r.status.success(), "{r:?}");
    let limited = read_wav(&out).unwrap();
    let ceiling = 10f32.powf(-1.0 / 20.0);
    assert!(
        limited.peak() <= ceiling && limited.peak() > ceiling * 0.99,
        "{}",
        limited.peak()
    );

    // eq (flat) is linear: the output at the bound is the unit output × MAX.
    let eq_unit = dir.path().join("eq_unit.wav");
    let eq_bound = dir.path().join("eq_bound.wav");
    for (i, o) in [(&unit, &eq_unit), (&at_bound, &eq_bound)] {
        let r = auralis(&[
            "eq",
            s(i),
            s(o),
            "--preset",
            "bright",
            "--impl",
            "reference",
        ]);
        assert!(r.status.success(), "{r:?}");
    }
    // The boosted output exceeds the input bound (outputs may): decode it by hand, since
    // reading it back as *input* is refused.
    let (a, b) = (raw_f32(&eq_unit), raw_f32(&eq_bound));
    assert_eq!(a.len(), b.len());
    assert!(
        b.iter().any(|y| y.abs() > MAX),
        "the +3 dB boost lifts it past the bound"
    );
    let worst = a
        .iter()
        .zip(&b)
        .fold(0.0f32, |m, (x, y)| m.max((x * MAX - y).abs()));
    assert!(
        worst <= 1e-5 * MAX,
        "eq at the bound is not the scaled unit output: {worst}"
    );

    // analyze: the spectral shape (centroid) does not depend on the level.
    let centroid = |file: &PathBuf| {
        let r = auralis(&["analyze", s(file), "--json"]);
        assert!(r.status.success(), "{r:?}");
        let v: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
        v["spectrum"]["centroid_hz"].as_f64().unwrap()
    };
    let (cu, cb) = (centroid(&unit), centroid(&at_bound));
    assert!((cu - cb).abs() <= 1e-3 * cu, "{cu} vs {cb}");

    // compress: well above the knee the gain computer is linear in dB, so input 48.16 dB
    // louder than a 256-peak (+48.16 dBFS) file is reduced by exactly 48.16·(1 − 1/R) dB more.
    // (Full-scale input is no reference: its sine peaks sit near the knee.)
    let loud = tones_file(dir.path(), "loud.wav", 256.0);
    let max_reduction = |file: &PathBuf, name: &str| -> f64 {
        let out = dir.path().join(name);
        let r = auralis(&["compress", s(file), s(&out)]);
        assert!(r.status.success(), "{r:?}");
        assert!(raw_f32(&out).iter().all(|x| x.is_finite()));
        let err = String::from_utf8_lossy(&r.stderr).into_owned();
        err.split("max ")
            .nth(1)
            .and_then(|t| t.split(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{err}"))
    };
    let extra = max_reduction(&at_bound, "c_bound.wav") - max_reduction(&loud, "c_loud.wav");
    let expected = 20.0 * f64::from(MAX / 256.0).log10() * 0.75;
    assert!((extra - expected).abs() < 0.02, "{extra} vs {expected}");
}

#[test]
fn every_command_refuses_samples_past_the_bound() {
    let dir = tempfile::tempdir().unwrap();
    let past = f32::from_bits(MAX.to_bits() + 1);
    for (name, peak) in [
        ("past.wav", past),
        ("1e15.wav", 1e15),
        ("1e18.wav", 1e18),
        ("3e38.wav", 3e38),
    ] {
        let file = tones_file(dir.path(), name, peak);
        let out = dir.path().join("out.wav");
        for args in [
            vec!["analyze", s(&file)],
            vec!["eq", s(&file), s(&out), "--preset", "warm"],
            vec!["compress", s(&file), s(&out)],
            vec!["limit", s(&file), s(&out)],
            vec!["limit", s(&file), s(&out), "--true-peak"],
        ] {
            let r = auralis(&args);
            assert_eq!(r.status.code(), Some(2), "{args:?}: {r:?}");
            let err = String::from_utf8_lossy(&r.stderr);
            assert!(err.contains("65536") && err.contains("channel"), "{err}");
            assert!(!out.exists());
        }
    }
    // Writing such audio from the library is refused the same way.
    assert!(AudioBuffer::new(vec![vec![1e15]], 44_100).is_err());
    let ok = AudioBuffer::new(vec![vec![MAX, -MAX]], 44_100).unwrap();
    let path = dir.path().join("max.wav");
    write_wav(&path, &ok, SampleFormat::Float32).unwrap();
    assert_eq!(read_wav(&path).unwrap(), ok);
}
