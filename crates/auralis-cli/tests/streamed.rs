//! `eq`, `compress` and `limit` stream WAV files chunk by chunk: the bytes are the
//! vectorized whole-file implementation's (the streams' twin), the length is the input's, and
//! a long file does not need memory in proportion to its length.

mod common;

use auralis::dynamics::{DynamicsSettings, LimiterSettings, PeakMode};
use auralis::eq::{EqGains, EqSettings};
use std::io::Write;

use auralis::io::read_audio;
use auralis::ImplKind;
use common::{auralis, music_wav, s};

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
    // Written a second at a time, so that this test process stays small: a child forked
    // from it starts with its resident memory, and that would count as the child's peak.
    let frames: u32 = 600 * 44_100;
    let data_bytes = frames * 2 * 4;
    let mut file = std::io::BufWriter::new(std::fs::File::create(&input).unwrap());
    let mut header = b"RIFF".to_vec();
    header.extend_from_slice(&(36 + data_bytes).to_le_bytes());
    header.extend_from_slice(b"WAVEfmt ");
    for field in [16u32.to_le_bytes().to_vec(), 3u16.to_le_bytes().to_vec()] {
        header.extend_from_slice(&field);
    }
    header.extend_from_slice(&2u16.to_le_bytes());
    header.extend_from_slice(&44_100u32.to_le_bytes());
    header.extend_from_slice(&(44_100u32 * 8).to_le_bytes());
    header.extend_from_slice(&8u16.to_le_bytes());
    header.extend_from_slice(&32u16.to_le_bytes());
    header.extend_from_slice(b"data");
    header.extend_from_slice(&data_bytes.to_le_bytes());
    file.write_all(&header).unwrap();
    for second in 0..600u32 {
        let bytes: Vec<u8> = (0..44_100u32)
            .flat_map(|i| {
                let x = 0.9 * ((second * 44_100 + i) as f32 * 0.0627).sin();
                [x.to_le_bytes(), x.to_le_bytes()].concat()
            })
            .collect();
        file.write_all(&bytes).unwrap();
    }
    file.flush().unwrap();
    drop(file);
    let output = dir.path().join("out.wav");
    // Reaped below with `wait4`, which also reports the child's own resource usage.
    #[allow(clippy::zombie_processes)]
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_auralis"))
        .args([
            "limit",
            s(&input),
            s(&output),
            "--ceiling",
            "-3",
            "--format",
            "wav24",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // This child's own peak resident memory (wait4), not every child's of the test binary.
    // SAFETY: waiting for our own child with valid out-pointers; the result is checked.
    let (status, peak_kib) = unsafe {
        let mut status = 0;
        let mut usage: libc::rusage = std::mem::zeroed();
        let pid = libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage);
        assert_eq!(pid, child.id() as libc::pid_t);
        (status, usage.ru_maxrss)
    };
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "{status}"
    );
    assert!(
        peak_kib < 64 * 1024,
        "peak {peak_kib} KiB for a 212 MB input"
    );
    let header = auralis::io::WavChunkReader::open(&output).unwrap().spec();
    assert_eq!(header.frames, u64::from(frames));
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
