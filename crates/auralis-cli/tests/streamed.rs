//! `eq`, `compress` and `limit` stream WAV files chunk by chunk: the bytes are the
//! vectorized whole-file implementation's (the streams' twin), the length is the input's, and
//! a long file does not need memory in proportion to its length.

mod common;

use auralis::dynamics::{DynamicsSettings, LimiterSettings, PeakMode};
use auralis::eq::{EqGains, EqSettings};

use auralis::io::read_audio;
use auralis::ImplKind;
use common::{auralis, music_wav, peak_memory_kib, s, write_long_wav};

#[test]
fn streamed_commands_write_the_vectorized_whole_file_result() {
    let dir = tempfile::tempdir().unwrap();
    let input = music_wav(dir.path(), "in.wav", 7.3);
    let audio = read_audio(&input).unwrap();

    let eq_out = dir.path().join("eq.wav");
    let run = auralis(&["eq", s(&input), s(&eq_out), "--preset", "warm"]);
    assert!(run.status.success(), "{run:?}");
    let settings = EqSettings {
        gains: EqGains::preset("warm").unwrap(),
        ..EqSettings::default()
    };
    let expected = auralis::eq::process_with(ImplKind::Vectorized, &audio, &settings).unwrap();
    assert_eq!(read_audio(&eq_out).unwrap(), expected);

    let limited = dir.path().join("limited.wav");
    let run = auralis(&[
        "limit",
        s(&input),
        s(&limited),
        "--ceiling",
        "-6",
        "--true-peak",
    ]);
    assert!(run.status.success(), "{run:?}");
    assert!(String::from_utf8_lossy(&run.stderr).contains("gain reduction: max"));
    let settings = DynamicsSettings {
        compressor: None,
        limiter: Some(LimiterSettings {
            ceiling_db: -6.0,
            mode: PeakMode::True,
            ..LimiterSettings::default()
        }),
    };
    let expected =
        auralis::dynamics::process_with(ImplKind::Vectorized, &audio, &settings).unwrap();
    assert_eq!(read_audio(&limited).unwrap(), expected.audio);

    // `--impl` keeps the whole-file path, with the implementation asked for.
    let forced = dir.path().join("forced.wav");
    let run = auralis(&[
        "--impl",
        "parallel",
        "limit",
        s(&input),
        s(&forced),
        "--ceiling",
        "-6",
        "--true-peak",
    ]);
    assert!(run.status.success(), "{run:?}");
    let expected = auralis::dynamics::process_with(ImplKind::Parallel, &audio, &settings).unwrap();
    assert_eq!(read_audio(&forced).unwrap(), expected.audio);
}

#[test]
fn a_long_file_is_limited_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    // 10 minutes of stereo f32: 212 MB of samples; a whole-file run holds at least two copies.
    let input = dir.path().join("long.wav");
    let frames = write_long_wav(&input, 600);
    let output = dir.path().join("out.wav");
    let (ok, peak_kib) = peak_memory_kib(&[
        "limit",
        s(&input),
        s(&output),
        "--ceiling",
        "-3",
        "--format",
        "wav24",
    ]);
    assert!(ok);
    assert!(
        peak_kib < 64 * 1024,
        "peak {peak_kib} KiB for a 212 MB input"
    );
    let header = auralis::io::WavChunkReader::open(&output).unwrap().spec();
    assert_eq!(header.frames, frames);
}

#[test]
fn music_of_another_length_streams_to_the_same_length() {
    let dir = tempfile::tempdir().unwrap();
    let input = music_wav(dir.path(), "odd.wav", 0.37);
    let output = dir.path().join("out.wav");
    let run = auralis(&["compress", s(&input), s(&output)]);
    assert!(run.status.success(), "{run:?}");
    assert_eq!(
        read_audio(&output).unwrap().len(),
        read_audio(&input).unwrap().len()
    );
}

#[test]
fn a_flac_input_streams_to_the_whole_file_result_too() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.flac");
    auralis::io::write_flac_output(
        &auralis::io::OutputPath::resolve(&input).unwrap(),
        false,
        &auralis_fixtures::generate_seconds(5.0),
        auralis::io::SampleFormat::Int24,
        None,
        auralis::io::FlacMetadata::default(),
    )
    .unwrap();
    let (streamed, whole) = (dir.path().join("s.wav"), dir.path().join("w.wav"));
    let limit = |out: &std::path::Path, extra: &[&str]| {
        let mut args = vec!["limit", s(&input), s(out), "--true-peak", "--ceiling", "-2"];
        args.extend_from_slice(extra);
        let run = auralis(&args);
        assert!(run.status.success(), "{run:?}");
    };
    limit(&streamed, &[]);
    limit(&whole, &["--impl", "vectorized"]);
    assert_eq!(
        std::fs::read(&streamed).unwrap(),
        std::fs::read(&whole).unwrap()
    );
}
