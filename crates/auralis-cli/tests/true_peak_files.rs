//! `auralis limit --true-peak`, measured on the file it wrote: decoded back and metered by
//! the `ebur128` crate (libebur128's BS.1770-4 meter), the true peak lies within
//! `[ceiling − 0.1 dB, ceiling + 0.001 dB]` for float, 24-bit and 16-bit output alike.

use std::path::Path;
use std::process::Command;

use auralis::io::{read_wav, write_wav, SampleFormat};
use auralis::AudioBuffer;
use auralis_fixtures::rng::SplitMix64;

fn meter_true_peak_db(audio: &AudioBuffer) -> f64 {
    let mut meter = ebur128::EbuR128::new(
        audio.num_channels() as u32,
        audio.sample_rate(),
        ebur128::Mode::TRUE_PEAK,
    )
    .unwrap();
    let planes: Vec<&[f32]> = audio.channels().iter().map(Vec::as_slice).collect();
    meter.add_frames_planar_f32(&planes).unwrap();
    let tp = (0..audio.num_channels() as u32)
        .map(|c| meter.true_peak(c).unwrap())
        .fold(0.0, f64::max);
    20.0 * tp.log10()
}

fn write_input(dir: &Path, name: &str, audio: &AudioBuffer) -> std::path::PathBuf {
    let path = dir.join(name);
    write_wav(&path, audio, SampleFormat::Float32).unwrap();
    path
}

#[test]
fn the_written_file_meets_the_ceiling_on_the_standard_meter() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = SplitMix64::new(11);
    // Uniform noise at +3 dB, 5 s: enough loud inter-sample peaks around 0.3·fs, where the
    // old interpolator and the meter's differed most, to show any disagreement.
    let noise = AudioBuffer::new(
        (0..2)
            .map(|_| {
                (0..5 * 44_100)
                    .map(|_| 1.41 * rng.next_signed_f32())
                    .collect()
            })
            .collect(),
        44_100,
    )
    .unwrap();
    let music = auralis_fixtures::generate_seconds(3.0);
    let loud_music = AudioBuffer::new(
        music
            .channels()
            .iter()
            .map(|c| c.iter().map(|&x| 2.0 * x).collect())
            .collect(),
        44_100,
    )
    .unwrap();
    // The case the limiter's property test found against the old (Kaiser) interpolator:
    // 0.114 dB under a 0 dBTP ceiling on the meter, outside the window.
    let mut rng = SplitMix64::new(7_721_077_049_987_733_075);
    let g = 10f32.powf(3.0 / 20.0);
    let found = AudioBuffer::new(
        (0..2)
            .map(|_| (0..6000).map(|_| g * rng.next_signed_f32()).collect())
            .collect(),
        44_100,
    )
    .unwrap();
    let inputs = [
        write_input(dir.path(), "found.wav", &found),
        write_input(dir.path(), "noise.wav", &noise),
        write_input(dir.path(), "music.wav", &loud_music),
    ];
    for input in &inputs {
        for ceiling in ["0", "-1"] {
            for format in ["f32", "wav24", "wav16"] {
                let out = dir.path().join(format!("out-{ceiling}-{format}.wav"));
                let status = Command::new(env!("CARGO_BIN_EXE_auralis"))
                    .args(["limit", input.to_str().unwrap(), out.to_str().unwrap()])
                    .args(["--true-peak", "--ceiling", ceiling, "--format", format])
                    .args(["--overwrite"])
                    .output()
                    .unwrap();
                assert!(status.status.success(), "{status:?}");
                let written = read_wav(&out).unwrap();
                let over = meter_true_peak_db(&written) - ceiling.parse::<f64>().unwrap();
                assert!(
                    (-0.1..=0.001).contains(&over),
                    "{} at {ceiling} dBTP as {format}: {over:+.5} dB",
                    input.display()
                );
            }
        }
    }
}
