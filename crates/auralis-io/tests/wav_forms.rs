//! WAV in the forms real files take: odd-sized chunks before `data` with their pad byte (as
//! DAWs write `LIST`, `bext`, `iXML`), 64-bit float, WAVE_FORMAT_EXTENSIBLE with padded
//! containers (20-in-24, 24-in-32, 12-in-16), RF64, a data size left open by a streaming
//! writer, a declared speaker mask — and clear errors for a wrong block align.

use auralis_io::{read_wav, read_wav_from, IoError, WavChunkReader};

/// A RIFF chunk with its pad byte after an odd size, as the format requires.
fn chunk(id: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut c = id.to_vec();
    c.extend_from_slice(&(body.len() as u32).to_le_bytes());
    c.extend_from_slice(body);
    if body.len() % 2 == 1 {
        c.push(0);
    }
    c
}

fn riff(magic: &[u8; 4], chunks: &[Vec<u8>]) -> Vec<u8> {
    let body: Vec<u8> = b"WAVE"
        .iter()
        .copied()
        .chain(chunks.iter().flatten().copied())
        .collect();
    let mut f = magic.to_vec();
    f.extend_from_slice(&(body.len() as u32).to_le_bytes());
    f.extend(body);
    f
}

fn fmt(tag: u16, channels: u16, rate: u32, container_bits: u16) -> Vec<u8> {
    let align = channels * container_bits / 8;
    let mut f = Vec::new();
    for v in [tag, channels] {
        f.extend_from_slice(&v.to_le_bytes());
    }
    f.extend_from_slice(&rate.to_le_bytes());
    f.extend_from_slice(&(rate * u32::from(align)).to_le_bytes());
    f.extend_from_slice(&align.to_le_bytes());
    f.extend_from_slice(&container_bits.to_le_bytes());
    f
}

fn fmt_ext(
    channels: u16,
    rate: u32,
    container_bits: u16,
    valid: u16,
    mask: u32,
    float: bool,
) -> Vec<u8> {
    let mut f = fmt(0xFFFE, channels, rate, container_bits);
    f.extend_from_slice(&22u16.to_le_bytes());
    f.extend_from_slice(&valid.to_le_bytes());
    f.extend_from_slice(&mask.to_le_bytes());
    f.push(if float { 3 } else { 1 });
    f.extend_from_slice(&[
        0, 0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xaa, 0, 0x38, 0x9b, 0x71,
    ]);
    f
}

fn read(bytes: &[u8]) -> Result<auralis_core::AudioBuffer, IoError> {
    // Through a file (size checks) and through a stream; both must agree.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.wav");
    std::fs::write(&path, bytes).unwrap();
    let from_file = read_wav(&path);
    let from_stream = read_wav_from(bytes, "t.wav");
    match (&from_file, &from_stream) {
        (Ok(a), Ok(b)) => assert_eq!(a, b),
        (Err(a), Err(b)) => assert_eq!(
            a.to_string().replace(&path.display().to_string(), "t.wav"),
            b.to_string()
        ),
        _ => panic!("file {from_file:?} vs stream {from_stream:?}"),
    }
    from_file
}

fn i16_data(values: &[i16]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

#[test]
fn odd_chunks_before_data_are_skipped_with_their_pad_byte() {
    let samples = [1000i16, -2000, 3000, -4000];
    for odd in [&b"LIST"[..], b"bext", b"iXML"] {
        let id: [u8; 4] = odd.try_into().unwrap();
        let file = riff(
            b"RIFF",
            &[
                chunk(&id, b"odd-sized body"), // 14 bytes: even
                chunk(b"JUNK", b"abc"),        // 3 bytes + pad
                chunk(b"fmt ", &fmt(1, 2, 44_100, 16)),
                chunk(&id, b"seven!!"), // 7 + pad
                chunk(b"data", &i16_data(&samples)),
            ],
        );
        let audio = read(&file).unwrap();
        assert_eq!(audio.len(), 2);
        assert_eq!(audio.channel(0), [1000.0 / 32768.0, 3000.0 / 32768.0]);
        assert_eq!(audio.channel(1), [-2000.0 / 32768.0, -4000.0 / 32768.0]);
    }
}

#[test]
fn float64_is_read_exactly_where_f32_can_hold_it() {
    let values = [0.5f64, -0.25, 1.5, -1.0 / 3.0];
    let data: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    let audio = read(&riff(
        b"RIFF",
        &[
            chunk(b"fmt ", &fmt(3, 1, 48_000, 64)),
            chunk(b"data", &data),
        ],
    ))
    .unwrap();
    let expected: Vec<f32> = values.iter().map(|&v| v as f32).collect();
    assert_eq!(audio.channel(0), expected);
}

#[test]
fn padded_extensible_containers_decode_msb_aligned() {
    // 20-in-24: value v is stored as v << 4 in a 24-bit container; it means v / 2^19.
    let v20 = [0x7FFFFi32, -0x80000, 12345, -1];
    let data: Vec<u8> = v20
        .iter()
        .flat_map(|&v| {
            let b = (v << 4).to_le_bytes();
            [b[0], b[1], b[2]]
        })
        .collect();
    let audio = read(&riff(
        b"RIFF",
        &[
            chunk(b"fmt ", &fmt_ext(1, 44_100, 24, 20, 0, false)),
            chunk(b"data", &data),
        ],
    ))
    .unwrap();
    let expected: Vec<f32> = v20.iter().map(|&v| v as f32 / (1 << 19) as f32).collect();
    assert_eq!(audio.channel(0), expected);
    // 24-in-32.
    let v24 = [0x7FFFFFi32, -0x800000, 4321];
    let data: Vec<u8> = v24.iter().flat_map(|&v| (v << 8).to_le_bytes()).collect();
    let audio = read(&riff(
        b"RIFF",
        &[
            chunk(b"fmt ", &fmt_ext(1, 44_100, 32, 24, 0, false)),
            chunk(b"data", &data),
        ],
    ))
    .unwrap();
    let expected: Vec<f32> = v24.iter().map(|&v| v as f32 / (1 << 23) as f32).collect();
    assert_eq!(audio.channel(0), expected);
    // 12-in-16.
    let data = i16_data(&[0x7FF0, -0x8000]);
    let audio = read(&riff(
        b"RIFF",
        &[
            chunk(b"fmt ", &fmt_ext(1, 44_100, 16, 12, 0, false)),
            chunk(b"data", &data),
        ],
    ))
    .unwrap();
    assert_eq!(audio.channel(0), [2047.0 / 2048.0, -1.0]);
}

#[test]
fn rf64_and_open_ended_data_sizes_are_read() {
    let samples = i16_data(&[100, -100, 200, -200, 300, -300]);
    // RF64: the RIFF and data sizes are 0xFFFFFFFF, the real ones are in `ds64`.
    let mut ds64 = Vec::new();
    ds64.extend_from_slice(&0u64.to_le_bytes()); // riff size (unused here)
    ds64.extend_from_slice(&(samples.len() as u64).to_le_bytes());
    ds64.extend_from_slice(&3u64.to_le_bytes()); // sample count
    ds64.extend_from_slice(&0u32.to_le_bytes()); // table length
    let mut data = b"data".to_vec();
    data.extend_from_slice(&u32::MAX.to_le_bytes());
    data.extend_from_slice(&samples);
    let mut file = riff(
        b"RF64",
        &[
            chunk(b"ds64", &ds64),
            chunk(b"fmt ", &fmt(1, 2, 44_100, 16)),
            data,
        ],
    );
    file[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
    let audio = read(&file).unwrap();
    assert_eq!(audio.len(), 3);
    assert_eq!(audio.channel(1)[2], -300.0 / 32768.0);

    // RIFF with the data size left at 0xFFFFFFFF: the samples run to the end (whole
    // frames; a trailing partial frame is not audio).
    let mut data = b"data".to_vec();
    data.extend_from_slice(&u32::MAX.to_le_bytes());
    data.extend_from_slice(&samples);
    data.push(7);
    let file = riff(b"RIFF", &[chunk(b"fmt ", &fmt(1, 2, 44_100, 16)), data]);
    let audio = read(&file).unwrap();
    assert_eq!(audio.len(), 3);
    // With a real RIFF size, open-ended data stops where the RIFF chunk does: a chunk after
    // it is not audio.
    let mut data = b"data".to_vec();
    data.extend_from_slice(&u32::MAX.to_le_bytes());
    data.extend_from_slice(&samples);
    let bounded = riff(
        b"RIFF",
        &[chunk(b"fmt ", &fmt(1, 2, 44_100, 16)), data.clone()],
    );
    let mut with_trailer = bounded.clone();
    with_trailer.extend_from_slice(&chunk(b"LIST", b"trailing metadata"));
    assert_eq!(read(&with_trailer).unwrap(), read(&bounded).unwrap());
    // A chunk reader needs a known length: from a file it has one.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("open.wav");
    std::fs::write(&path, &file).unwrap();
    assert_eq!(WavChunkReader::open(&path).unwrap().spec().frames, 3);
}

#[test]
fn a_wrong_block_align_says_what_it_should_be() {
    let mut f = fmt(1, 2, 44_100, 16);
    f[12..14].copy_from_slice(&3u16.to_le_bytes());
    let err = read(&riff(
        b"RIFF",
        &[chunk(b"fmt ", &f), chunk(b"data", &[0; 8])],
    ))
    .unwrap_err();
    assert!(matches!(err, IoError::Corrupt { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("block align is 3") && msg.contains("take 4"),
        "{msg}"
    );
}

#[test]
fn a_declared_speaker_mask_is_carried_and_the_default_is_not() {
    let data = vec![0u8; 6 * 2 * 4];
    // 5.1 as FL FR FC LFE SL SR (0x60F): not the default for six channels.
    let audio = read(&riff(
        b"RIFF",
        &[
            chunk(b"fmt ", &fmt_ext(6, 48_000, 16, 16, 0x60F, false)),
            chunk(b"data", &data),
        ],
    ))
    .unwrap();
    assert_eq!(audio.channel_mask(), Some(0x60F));
    assert_eq!(audio.lfe_channel(), Some(3));
    // The default mask for six channels (0x3F) says nothing beyond the count.
    let audio = read(&riff(
        b"RIFF",
        &[
            chunk(b"fmt ", &fmt_ext(6, 48_000, 16, 16, 0x3F, false)),
            chunk(b"data", &data),
        ],
    ))
    .unwrap();
    assert_eq!(audio.channel_mask(), None);
    assert_eq!(audio.lfe_channel(), Some(3), "5.1 by convention");
    // An explicit mask of 0 ("no positions": stems) is kept, and names no LFE.
    let audio = read(&riff(
        b"RIFF",
        &[
            chunk(b"fmt ", &fmt_ext(6, 48_000, 16, 16, 0, false)),
            chunk(b"data", &data),
        ],
    ))
    .unwrap();
    assert_eq!((audio.channel_mask(), audio.lfe_channel()), (Some(0), None));
    // Stereo without LFE.
    let audio = read(&riff(
        b"RIFF",
        &[
            chunk(b"fmt ", &fmt_ext(2, 48_000, 16, 16, 0x3, false)),
            chunk(b"data", &data[..8]),
        ],
    ))
    .unwrap();
    assert_eq!(audio.lfe_channel(), None);
}
