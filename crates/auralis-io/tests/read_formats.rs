//! Formats other than WAV, through the one read entry point: FLAC and AIFF are lossless (bit
//! for bit the WAV they were made from), MP3 and Ogg Vorbis decode to the right length with
//! the encoder delay removed and agree with an independent decoder (sox's libmad and
//! libvorbis, output committed beside the files; see `tests/data/README.md`). Damaged files
//! are typed errors naming the detected format.

use std::path::{Path, PathBuf};

use auralis_core::AudioBuffer;
use auralis_io::{read_audio, IoError};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// The source: 22 050 frames of 16-bit mono.
fn source() -> AudioBuffer {
    let audio = read_audio(&data("tone16.wav")).unwrap();
    assert_eq!((audio.len(), audio.num_channels()), (22_050, 1));
    audio
}

fn sox(name: &str) -> Vec<f32> {
    std::fs::read(data(name))
        .unwrap()
        .chunks_exact(2)
        .map(|b| f32::from(i16::from_le_bytes([b[0], b[1]])) / 32_768.0)
        .collect()
}

fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .fold(0.0f32, |m, (x, y)| m.max((x - y).abs()))
}

#[test]
fn flac_and_aiff_are_bit_exact() {
    let wav = source();
    for name in ["tone16.flac", "tone16.aiff"] {
        assert_eq!(read_audio(&data(name)).unwrap(), wav, "{name}");
    }
}

#[test]
fn mp3_decodes_to_the_source_length_aligned_with_it() {
    let wav = source();
    let mp3 = read_audio(&data("tone16.mp3")).unwrap();
    assert_eq!(mp3.len(), wav.len(), "encoder delay and padding removed");
    // sox (libmad) trims nothing: it decodes the LAME info frame as 1152 samples of silence,
    // then the encoder's delay of 576 + 529 = 1105; past those 2257, the two decoders agree
    // to within MP3 decoders' freedom (and sox's 16-bit output).
    const LIBMAD_LEAD: usize = 1152 + 1105;
    let reference = sox("tone16.mp3.sox.s16");
    // libmad stops 140 samples short of the end (its last granule's overlap is never
    // flushed); compare what both have.
    assert!(reference.len() - LIBMAD_LEAD > wav.len() - 200);
    let diff = max_diff(mp3.channel(0), &reference[LIBMAD_LEAD..]);
    assert!(diff < 2e-3, "symphonia vs libmad after the delay: {diff}");
    // Not shifted: the decode lines up with the source at lag 0.
    let error = max_diff(mp3.channel(0), wav.channel(0));
    assert!(error < 0.05, "{error}");
}

#[test]
fn ogg_vorbis_decodes_to_the_source_length_and_matches_libvorbis() {
    let wav = source();
    let ogg = read_audio(&data("tone16.ogg")).unwrap();
    let reference = sox("tone16.ogg.sox.s16");
    assert_eq!(ogg.len(), wav.len());
    assert_eq!(reference.len(), wav.len());
    let diff = max_diff(ogg.channel(0), &reference);
    assert!(diff < 1e-3, "symphonia vs libvorbis: {diff}");
}

#[test]
fn damaged_files_name_their_format_and_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    for (name, format) in [
        ("tone16.flac", "flac"),
        ("tone16.mp3", "mp3"),
        ("tone16.ogg", "ogg"),
        ("tone16.aiff", "aiff"),
    ] {
        let bytes = std::fs::read(data(name)).unwrap();
        for keep in [bytes.len() * 6 / 10, 40, 4] {
            let cut = dir.path().join(format!("cut-{keep}-{name}"));
            std::fs::write(&cut, &bytes[..keep]).unwrap();
            match read_audio(&cut) {
                Err(e @ (IoError::Corrupt { .. } | IoError::Unsupported { .. })) => {
                    let msg = e.to_string();
                    assert!(!msg.contains('\n'), "{msg}");
                    if keep > 40 {
                        assert!(msg.contains(format), "`{format}` not in `{msg}`");
                    }
                }
                other => panic!("{name} cut to {keep} bytes: {other:?}"),
            }
        }
    }
    let junk = dir.path().join("junk.bin");
    std::fs::write(&junk, b"\x00\x01definitely not audio, at any length at all").unwrap();
    let err = read_audio(&junk).unwrap_err();
    assert!(
        err.to_string().contains("not a format that is read"),
        "{err}"
    );
}
