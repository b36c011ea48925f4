//! WAV reading and writing against real files: round trips for every format, hand-built
//! files with known bytes, and every kind of bad input (which must be a typed error naming
//! the file, never a panic).

use std::path::{Path, PathBuf};

use auralis_core::{AudioBuffer, AudioError};
use auralis_io::{
    encode_wav, read_wav, read_wav_from, write_wav, IoError, SampleFormat, WavChunkReader,
};

/// Deterministic test audio in [-1, 1): a few sines per channel plus an LCG's noise.
fn signal(channels: usize, frames: usize, rate: u32) -> AudioBuffer {
    let mut state = 0x1234_5678_u32;
    let data = (0..channels)
        .map(|c| {
            (0..frames)
                .map(|n| {
                    state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    let noise = (state >> 8) as f32 / (1 << 24) as f32 - 0.5;
                    let t = n as f32 / rate as f32;
                    let tone = (t * 440.0 * (c + 1) as f32 * std::f32::consts::TAU).sin();
                    0.6 * tone + 0.35 * noise
                })
                .collect()
        })
        .collect();
    AudioBuffer::new(data, rate).unwrap()
}

fn max_error(a: &AudioBuffer, b: &AudioBuffer) -> f32 {
    assert_eq!((a.num_channels(), a.len()), (b.num_channels(), b.len()));
    a.channels()
        .iter()
        .flatten()
        .zip(b.channels().iter().flatten())
        .fold(0.0, |m, (x, y)| m.max((x - y).abs()))
}

// ---------------------------------------------------------------- hand-built files

fn riff(chunks: &[(&[u8; 4], &[u8])]) -> Vec<u8> {
    let mut body = b"WAVE".to_vec();
    for (id, content) in chunks {
        body.extend_from_slice(*id);
        body.extend_from_slice(&(content.len() as u32).to_le_bytes());
        body.extend_from_slice(content);
    }
    let mut file = b"RIFF".to_vec();
    file.extend_from_slice(&(body.len() as u32).to_le_bytes());
    file.extend(body);
    file
}

fn fmt(tag: u16, channels: u16, rate: u32, container: u16, bits: u16) -> Vec<u8> {
    let block_align = channels * container;
    let mut f = Vec::new();
    f.extend_from_slice(&tag.to_le_bytes());
    f.extend_from_slice(&channels.to_le_bytes());
    f.extend_from_slice(&rate.to_le_bytes());
    f.extend_from_slice(&(rate * u32::from(block_align)).to_le_bytes());
    f.extend_from_slice(&block_align.to_le_bytes());
    f.extend_from_slice(&bits.to_le_bytes());
    f
}

fn fmt_extensible(
    channels: u16,
    rate: u32,
    container: u16,
    valid_bits: u16,
    float: bool,
) -> Vec<u8> {
    let mut f = fmt(0xFFFE, channels, rate, container, container * 8);
    f.extend_from_slice(&22u16.to_le_bytes());
    f.extend_from_slice(&valid_bits.to_le_bytes());
    f.extend_from_slice(&0u32.to_le_bytes());
    let first = if float { 3 } else { 1 };
    f.extend_from_slice(&[
        first, 0, 0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xaa, 0, 0x38, 0x9b, 0x71,
    ]);
    f
}

fn wav(tag: u16, channels: u16, rate: u32, container: u16, bits: u16, data: &[u8]) -> Vec<u8> {
    riff(&[
        (b"fmt ", &fmt(tag, channels, rate, container, bits)),
        (b"data", data),
    ])
}

fn float_wav(samples: &[f32], channels: u16) -> Vec<u8> {
    let data: Vec<u8> = samples.iter().flat_map(|x| x.to_le_bytes()).collect();
    wav(3, channels, 44_100, 4, 32, &data)
}

fn from_bytes(bytes: &[u8]) -> Result<AudioBuffer, IoError> {
    read_wav_from(bytes, "test.wav")
}

struct Dir(tempfile::TempDir);

impl Dir {
    fn new() -> Self {
        Dir(tempfile::tempdir().unwrap())
    }
    fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.0.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }
    fn path(&self, name: &str) -> PathBuf {
        self.0.path().join(name)
    }
}

/// The error's message is one line and names the file.
fn assert_names(err: &IoError, path: &Path) {
    let message = err.to_string();
    assert!(!message.contains('\n'), "one line: {message}");
    let name = path.file_name().unwrap().to_string_lossy();
    assert!(
        message.contains(name.as_ref()),
        "`{name}` not in `{message}`"
    );
    assert_eq!(err.path(), path);
}

// ---------------------------------------------------------------- round trips

#[test]
fn float32_round_trip_is_exact_for_1_2_and_6_channels() {
    let dir = Dir::new();
    for channels in [1, 2, 6] {
        let audio = signal(channels, 4_801, 48_000);
        let path = dir.path(&format!("f{channels}.wav"));
        write_wav(&path, &audio, SampleFormat::Float32).unwrap();
        assert_eq!(read_wav(&path).unwrap(), audio, "{channels} channels");
    }
}

#[test]
fn integer_round_trips_stay_within_half_a_step() {
    let dir = Dir::new();
    for format in [
        SampleFormat::Int8,
        SampleFormat::Int16,
        SampleFormat::Int24,
        SampleFormat::Int32,
    ] {
        for channels in [1, 2, 6] {
            let audio = signal(channels, 3_000, 44_100);
            let path = dir.path(&format!("{format:?}-{channels}.wav"));
            write_wav(&path, &audio, format).unwrap();
            let back = read_wav(&path).unwrap();
            let step = 1.0 / format.full_scale().unwrap() as f32;
            let err = max_error(&audio, &back);
            assert!(
                err <= 0.5 * step * (1.0 + 1e-6),
                "{format:?}/{channels}: {err} > {}",
                0.5 * step
            );
            if format != SampleFormat::Int32 {
                assert!(err > 0.1 * step, "{format:?} should quantise: {err}");
            }
        }
    }
}

#[test]
fn sixteen_bit_error_has_the_statistics_of_rounding() {
    let audio = signal(2, 44_100, 44_100);
    let back = from_bytes(&encode_wav(&audio, SampleFormat::Int16).unwrap()).unwrap();
    let step = 1.0 / 32_768.0f64;
    let (mut sum_sq, mut count) = (0.0f64, 0usize);
    for (x, y) in audio
        .channels()
        .iter()
        .flatten()
        .zip(back.channels().iter().flatten())
    {
        let e = f64::from(x - y);
        assert!(e.abs() <= 0.5 * step + 1e-12);
        sum_sq += e * e;
        count += 1;
    }
    // Uniform rounding error has RMS step/√12.
    let rms = (sum_sq / count as f64).sqrt();
    let expected = step / 12f64.sqrt();
    assert!(
        (rms / expected - 1.0).abs() < 0.05,
        "rms {rms} vs {expected}"
    );
}

#[test]
fn representable_values_round_trip_exactly() {
    for format in [
        SampleFormat::Int8,
        SampleFormat::Int16,
        SampleFormat::Int24,
        SampleFormat::Int32,
    ] {
        let full = format.full_scale().unwrap();
        let values: Vec<f32> = [
            -1.0,
            -0.5,
            -1.0 / full,
            0.0,
            1.0 / full,
            0.25,
            1.0 - 1.0 / full,
        ]
        .iter()
        .map(|&v| v as f32)
        .collect();
        let audio = AudioBuffer::new(vec![values], 8_000).unwrap();
        let back = from_bytes(&encode_wav(&audio, format).unwrap()).unwrap();
        if format == SampleFormat::Int32 {
            // 1 − 2⁻³¹ is not an f32; it rounds to 1.0 and clips back to the largest integer.
            assert_eq!(back.channel(0)[..6], audio.channel(0)[..6]);
        } else {
            assert_eq!(back, audio, "{format:?}");
        }
    }
}

#[test]
fn int32_is_lossless_for_f32_samples_above_2_pow_minus_8() {
    let audio = signal(2, 2_000, 96_000);
    let back = from_bytes(&encode_wav(&audio, SampleFormat::Int32).unwrap()).unwrap();
    for (x, y) in audio
        .channels()
        .iter()
        .flatten()
        .zip(back.channels().iter().flatten())
    {
        if x.abs() >= 1.0 / 256.0 {
            assert_eq!(x, y);
        } else {
            assert!((x - y).abs() <= 0.5 / 2_147_483_648.0);
        }
    }
}

#[test]
fn out_of_range_samples_clip_instead_of_wrapping() {
    let audio = AudioBuffer::new(vec![vec![1.0, 1.5, -1.5, 6e4, -1.0]], 44_100).unwrap();
    let bytes = encode_wav(&audio, SampleFormat::Int16).unwrap();
    let data = &bytes[bytes.len() - 10..];
    let ints: Vec<i16> = data
        .chunks(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect();
    assert_eq!(ints, [32_767, 32_767, -32_768, 32_767, -32_768]);
    // 8-bit is stored unsigned: 0.0 is 128, clipping still applies.
    let audio = AudioBuffer::new(vec![vec![0.0, 2.0, -2.0, 0.5]], 44_100).unwrap();
    let bytes = encode_wav(&audio, SampleFormat::Int8).unwrap();
    assert_eq!(&bytes[bytes.len() - 4..], &[128, 255, 0, 192]);
}

#[test]
fn headers_are_the_canonical_ones() {
    let audio = AudioBuffer::new(vec![vec![0.0; 3], vec![0.5; 3]], 44_100).unwrap();
    let bytes = encode_wav(&audio, SampleFormat::Int16).unwrap();
    let mut expected = b"RIFF".to_vec();
    expected.extend_from_slice(&(36u32 + 12).to_le_bytes());
    expected.extend_from_slice(b"WAVEfmt ");
    expected.extend_from_slice(&16u32.to_le_bytes());
    expected.extend_from_slice(&[1, 0, 2, 0]); // PCM, 2 channels
    expected.extend_from_slice(&44_100u32.to_le_bytes());
    expected.extend_from_slice(&(44_100u32 * 4).to_le_bytes());
    expected.extend_from_slice(&[4, 0, 16, 0]); // block align, bits
    expected.extend_from_slice(b"data");
    expected.extend_from_slice(&12u32.to_le_bytes());
    assert_eq!(&bytes[..44], expected.as_slice());
    assert_eq!(&bytes[44..48], &[0, 0, 0, 0x40]);
    assert_eq!(bytes.len(), 56);
    // Six float channels need WAVE_FORMAT_EXTENSIBLE with the IEEE float sub-format.
    let bytes = encode_wav(
        &AudioBuffer::new(vec![vec![0.0; 2]; 6], 48_000).unwrap(),
        SampleFormat::Float32,
    )
    .unwrap();
    assert_eq!(&bytes[20..22], &[0xfe, 0xff]);
    assert_eq!(bytes[44], 3);
    assert_eq!(bytes.len(), 68 + 6 * 2 * 4);
}

/// An independent implementation agrees with ours in both directions: hound's own
/// per-sample reader decodes our files, and we decode files hound's writer made.
#[test]
fn hound_agrees_in_both_directions() {
    for (format, channels) in [
        (SampleFormat::Int16, 2),
        (SampleFormat::Int24, 6),
        (SampleFormat::Float32, 3),
    ] {
        let audio = signal(channels, 777, 32_000);
        let ours = encode_wav(&audio, format).unwrap();
        let mut reader = hound::WavReader::new(ours.as_slice()).unwrap();
        let decoded: Vec<f32> = if format.is_float() {
            reader.samples::<f32>().map(|s| s.unwrap()).collect()
        } else {
            let scale = format.full_scale().unwrap() as f32;
            reader
                .samples::<i32>()
                .map(|s| s.unwrap() as f32 / scale)
                .collect()
        };
        assert_eq!(
            decoded,
            from_bytes(&ours).unwrap().to_interleaved(),
            "{format:?}"
        );

        let spec = hound::WavSpec {
            channels: channels as u16,
            sample_rate: 32_000,
            bits_per_sample: format.bits(),
            sample_format: if format.is_float() {
                hound::SampleFormat::Float
            } else {
                hound::SampleFormat::Int
            },
        };
        let mut theirs = std::io::Cursor::new(Vec::new());
        let mut writer = hound::WavWriter::new(&mut theirs, spec).unwrap();
        let scale = format.full_scale().unwrap_or(1.0);
        for x in audio.to_interleaved() {
            if format.is_float() {
                writer.write_sample(x).unwrap();
            } else {
                writer
                    .write_sample((f64::from(x) * scale).round() as i32)
                    .unwrap();
            }
        }
        writer.finalize().unwrap();
        assert_eq!(
            from_bytes(theirs.get_ref()).unwrap(),
            from_bytes(&ours).unwrap(),
            "{format:?}"
        );
    }
}

#[test]
fn odd_sized_data_is_padded_as_riff_requires() {
    let audio = AudioBuffer::new(vec![vec![0.0, 0.5, -0.5]], 8_000).unwrap();
    let bytes = encode_wav(&audio, SampleFormat::Int8).unwrap();
    assert_eq!(bytes.len(), 44 + 3 + 1);
    let riff_size = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]) as usize;
    assert_eq!(riff_size, bytes.len() - 8);
    assert_eq!(from_bytes(&bytes).unwrap(), audio);
    let dir = Dir::new();
    let path = dir.file("odd.wav", &bytes);
    assert_eq!(read_wav(&path).unwrap(), audio);
}

#[test]
fn float_output_keeps_values_beyond_full_scale() {
    let audio = AudioBuffer::new(vec![vec![1.5, -3.0]], 44_100).unwrap();
    assert_eq!(
        from_bytes(&encode_wav(&audio, SampleFormat::Float32).unwrap()).unwrap(),
        audio
    );
}

// ---------------------------------------------------------------- reading known bytes

#[test]
fn reads_hand_built_files_of_every_format() {
    let cases: Vec<(Vec<u8>, Vec<f32>)> = vec![
        (
            wav(1, 1, 8_000, 1, 8, &[0, 128, 255, 64]),
            vec![-1.0, 0.0, 127.0 / 128.0, -0.5],
        ),
        (
            wav(1, 1, 8_000, 2, 16, &[0x00, 0x80, 0x00, 0x40, 0xff, 0xff]),
            vec![-1.0, 0.5, -1.0 / 32_768.0],
        ),
        (
            wav(1, 1, 8_000, 3, 24, &[0, 0, 0xc0, 1, 0, 0]),
            vec![-0.5, 1.0 / 8_388_608.0],
        ),
        (wav(1, 1, 8_000, 4, 32, &[0, 0, 0, 0x20]), vec![0.25]),
        (float_wav(&[0.125, -2.5], 1), vec![0.125, -2.5]),
    ];
    for (bytes, expected) in cases {
        let audio = from_bytes(&bytes).unwrap();
        assert_eq!(audio.channel(0), expected.as_slice());
    }
}

#[test]
fn reads_extensible_headers_and_skips_unknown_chunks() {
    let data: Vec<u8> = [0.5f32, -0.5, 0.25, -0.25, 0.0, 1.0]
        .iter()
        .flat_map(|x| x.to_le_bytes())
        .collect();
    let bytes = riff(&[
        (b"LIST", b"INFOISFT\x04\x00\x00\x00test"),
        (b"fmt ", &fmt_extensible(3, 44_100, 4, 32, true)),
        (b"data", &data),
    ]);
    let audio = from_bytes(&bytes).unwrap();
    assert_eq!(audio.num_channels(), 3);
    assert_eq!(audio.channel(1), &[-0.5, 0.0]);
    assert_eq!(audio.channel(2), &[0.25, 1.0]);
    let ints = riff(&[
        (b"fmt ", &fmt_extensible(2, 22_050, 3, 24, false)),
        (b"data", &[0, 0, 0x40, 0, 0, 0xc0]),
    ]);
    let audio = from_bytes(&ints).unwrap();
    assert_eq!((audio.channel(0)[0], audio.channel(1)[0]), (0.5, -0.5));
    assert_eq!(audio.sample_rate(), 22_050);
}

#[test]
fn reading_from_a_stream_equals_reading_the_file() {
    let dir = Dir::new();
    let audio = signal(2, 70_000, 44_100);
    let path = dir.path("a.wav");
    write_wav(&path, &audio, SampleFormat::Int24).unwrap();
    let file = std::fs::File::open(&path).unwrap();
    assert_eq!(
        read_wav_from(file, "a.wav").unwrap(),
        read_wav(&path).unwrap()
    );
}

// ---------------------------------------------------------------- bad input

#[test]
fn missing_file_and_directory() {
    let dir = Dir::new();
    let missing = dir.path("nope.wav");
    let err = read_wav(&missing).unwrap_err();
    assert!(matches!(err, IoError::NotFound { .. }), "{err}");
    assert_names(&err, &missing);
    let sub = dir.path("folder.wav");
    std::fs::create_dir(&sub).unwrap();
    let err = read_wav(&sub).unwrap_err();
    assert!(
        matches!(err, IoError::Io { .. }) && err.to_string().contains("directory"),
        "{err}"
    );
    assert_names(&err, &sub);
    assert!(WavChunkReader::open(&sub).is_err());
}

#[test]
fn empty_garbage_and_truncated_files_are_corrupt() {
    let dir = Dir::new();
    let good = encode_wav(&signal(2, 1_000, 44_100), SampleFormat::Int16).unwrap();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty.wav", Vec::new(), "empty"),
        (
            "garbage.wav",
            b"this is not audio at all, just text".to_vec(),
            "RIFF",
        ),
        (
            "riffgarbage.wav",
            b"RIFF\x10\x00\x00\x00WAVEfmt garbage".to_vec(),
            "`fmt `",
        ),
        ("notwave.wav", b"RIFF\x04\x00\x00\x00AVI ".to_vec(), "WAVE"),
        (
            "header-cut.wav",
            good[..30].to_vec(),
            "inside the `fmt ` chunk",
        ),
        ("data-cut.wav", good[..good.len() - 7].to_vec(), "truncated"),
        ("no-data.wav", good[..44].to_vec(), "truncated"),
    ];
    for (name, bytes, needle) in cases {
        let path = dir.file(name, &bytes);
        for err in [
            read_wav(&path).unwrap_err(),
            WavChunkReader::open(&path).err().unwrap(),
        ] {
            assert!(matches!(err, IoError::Corrupt { .. }), "{name}: {err}");
            assert!(
                err.to_string().contains(needle),
                "{name}: `{needle}` not in `{err}`"
            );
            assert_names(&err, &path);
        }
        // A stream cannot be checked against a file size, but is still a typed error.
        let err = read_wav_from(bytes.as_slice(), name).unwrap_err();
        assert!(
            matches!(err, IoError::Corrupt { .. }),
            "stream {name}: {err}"
        );
    }
}

/// A device or pipe has no length to check against; it is read like a stream.
#[cfg(unix)]
#[test]
fn a_device_is_read_as_a_stream() {
    let err = read_wav(Path::new("/dev/null")).unwrap_err();
    assert!(
        matches!(err, IoError::Corrupt { .. }) && err.to_string().contains("empty"),
        "{err}"
    );
}

#[test]
fn truncation_reports_how_much_is_there() {
    let good = encode_wav(&signal(1, 1_000, 44_100), SampleFormat::Int16).unwrap();
    let err = from_bytes(&good[..44 + 2 * 600 + 1]).unwrap_err();
    assert!(
        err.to_string()
            .contains("declares 1000 frames but the data ends after 600"),
        "{err}"
    );
}

#[test]
fn nan_and_inf_in_float_files_are_invalid_audio() {
    for (bad, index) in [(f32::NAN, 3), (f32::INFINITY, 0), (f32::NEG_INFINITY, 5)] {
        let mut samples = vec![0.1f32; 6];
        samples[index] = bad;
        let err = from_bytes(&float_wav(&samples, 2)).unwrap_err();
        match err {
            IoError::Audio {
                source:
                    AudioError::NonFinite {
                        channel, index: i, ..
                    },
                ..
            } => {
                assert_eq!((channel, i), (index % 2, index / 2));
            }
            other => panic!("{other}"),
        }
    }
}

#[test]
fn zero_frames_and_bad_sample_rates_are_invalid_audio() {
    let err = from_bytes(&wav(1, 2, 44_100, 2, 16, &[])).unwrap_err();
    assert!(
        matches!(
            err,
            IoError::Audio {
                source: AudioError::Empty,
                ..
            }
        ),
        "{err}"
    );
    let err = from_bytes(&wav(1, 1, 4_000, 2, 16, &[0, 0])).unwrap_err();
    assert!(
        matches!(
            err,
            IoError::Audio {
                source: AudioError::SampleRate { .. },
                ..
            }
        ),
        "{err}"
    );
    let err = from_bytes(&wav(1, 0, 44_100, 2, 16, &[0, 0])).unwrap_err();
    assert!(
        matches!(
            err,
            IoError::Audio {
                source: AudioError::NoChannels,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn unsupported_encodings_say_so() {
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (wav(3, 1, 44_100, 2, 16, &[0; 16]), "16-bit float"),
        (
            wav(2, 1, 44_100, 1, 8, &[0; 16]),
            "0x0002 (Microsoft ADPCM)",
        ),
        (wav(2, 1, 44_100, 1, 4, &[0; 16]), "ADPCM"),
        (wav(0x55, 2, 44_100, 1, 0, &[0; 16]), "MP3"),
        (
            wav(1, 1, 44_100, 5, 40, &[0; 10]),
            "40-bit integer containers",
        ),
    ];
    for (bytes, needle) in cases {
        let err = from_bytes(&bytes).unwrap_err();
        assert!(matches!(err, IoError::Unsupported { .. }), "{err}");
        assert!(
            err.to_string().contains(needle),
            "`{needle}` not in `{err}`"
        );
    }
}

/// Deterministic mutation fuzzing of the header and first samples: whatever the bytes, the
/// reader returns (a buffer or a typed error) and never panics or allocates absurdly.
#[test]
fn mangled_files_never_panic() {
    let mut bases = vec![
        encode_wav(&signal(2, 64, 44_100), SampleFormat::Int16).unwrap(),
        encode_wav(&signal(6, 16, 44_100), SampleFormat::Float32).unwrap(),
        encode_wav(&signal(1, 32, 8_000), SampleFormat::Int24).unwrap(),
    ];
    bases.push(riff(&[
        (b"fmt ", &fmt_extensible(2, 44_100, 4, 32, false)),
        (b"data", &[7; 64]),
    ]));
    let mut state = 0x9E37_79B9_7F4A_7C15_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for base in &bases {
        for cut in 0..base.len().min(120) {
            let _ = from_bytes(&base[..cut]);
        }
        for _ in 0..3_000 {
            let mut bytes = base.clone();
            for _ in 0..1 + next() % 4 {
                let at = (next() % 80.min(bytes.len() as u64)) as usize;
                bytes[at] = match next() % 4 {
                    0 => 0,
                    1 => 0xff,
                    _ => next() as u8,
                };
            }
            if let Ok(audio) = from_bytes(&bytes) {
                assert!(audio.channels().iter().flatten().all(|x| x.is_finite()));
            }
        }
    }
}

// ---------------------------------------------------------------- chunked reading

#[test]
fn chunk_reader_concatenates_to_the_whole_file() {
    let dir = Dir::new();
    let audio = signal(6, 10_007, 48_000);
    let path = dir.path("c.wav");
    write_wav(&path, &audio, SampleFormat::Int24).unwrap();
    let whole = read_wav(&path).unwrap().to_interleaved();
    let mut reader = WavChunkReader::open(&path).unwrap();
    let spec = reader.spec();
    assert_eq!(
        (spec.channels, spec.sample_rate, spec.format, spec.frames),
        (6, 48_000, SampleFormat::Int24, 10_007)
    );
    let mut chunk = Vec::new();
    let mut joined = Vec::new();
    let mut sizes = Vec::new();
    loop {
        let n = reader.read_chunk(&mut chunk, 4_096).unwrap();
        assert_eq!(chunk.len(), n * 6);
        if n == 0 {
            break;
        }
        sizes.push(n);
        joined.extend_from_slice(&chunk);
    }
    assert_eq!(sizes, [4_096, 4_096, 1_815]);
    assert_eq!(joined, whole);
    assert_eq!(reader.frames_remaining(), 0);
    assert_eq!(reader.read_chunk(&mut chunk, 100).unwrap(), 0);
}

#[test]
fn chunk_reader_reports_nan_at_its_frame() {
    let dir = Dir::new();
    let mut samples = vec![0.0f32; 2 * 100];
    samples[2 * 70 + 1] = f32::NAN;
    let path = dir.file("nan.wav", &float_wav(&samples, 2));
    let mut reader = WavChunkReader::open(&path).unwrap();
    let mut chunk = Vec::new();
    assert_eq!(reader.read_chunk(&mut chunk, 50).unwrap(), 50);
    let err = reader.read_chunk(&mut chunk, 50).unwrap_err();
    assert!(
        matches!(
            err,
            IoError::Audio {
                source: AudioError::NonFinite {
                    channel: 1,
                    index: 70,
                    ..
                },
                ..
            }
        ),
        "{err}"
    );
    assert!(chunk.is_empty());
}

/// Sizes a WAV header cannot describe are refused by a check that needs no audio, so that
/// a command can refuse before processing (a float WAV over 4 GiB, 65 536 channels).
#[test]
fn sizes_beyond_the_wav_format_are_refused_up_front() {
    use auralis_io::check_wav_fits;
    let p = Path::new("out.wav");
    let four_gib_frames = (1u64 << 32) / 8; // stereo f32: 8 bytes a frame
    assert!(check_wav_fits(p, 2, four_gib_frames - 100, 44_100, SampleFormat::Float32).is_ok());
    let err = check_wav_fits(p, 2, four_gib_frames, 44_100, SampleFormat::Float32).unwrap_err();
    assert!(matches!(err, IoError::Unsupported { .. }) && err.to_string().contains("4 GiB"));
    // The same audio fits as 16-bit.
    assert!(check_wav_fits(p, 2, four_gib_frames, 44_100, SampleFormat::Int16).is_ok());
    assert!(check_wav_fits(p, 65_536, 1, 44_100, SampleFormat::Int16).is_err());
}
