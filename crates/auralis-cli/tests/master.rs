//! `auralis master`: the written file lands on the target under the `ebur128` crate and stays
//! under the ceiling, the report has its documented keys, and bad requests are one-line
//! errors that leave nothing behind.

mod common;

use auralis::io::{read_audio, write_wav, SampleFormat};
use common::{auralis, music_wav, peak_memory_kib, s, write_long_wav};

#[test]
fn master_writes_a_file_on_target_with_a_report() {
    let dir = tempfile::tempdir().unwrap();
    let input = music_wav(dir.path(), "in.wav", 12.0);
    let output = dir.path().join("out.wav");
    let report = dir.path().join("report.json");
    let out = auralis(&[
        "master",
        s(&input),
        s(&output),
        "--format",
        "wav24",
        "--target-lufs",
        "-16",
        "--report",
        s(&report),
    ]);
    assert!(out.status.success(), "{out:?}");
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(
        table.contains("before") && table.contains("EQ gains"),
        "{table}"
    );

    let mastered = read_audio(&output).unwrap();
    let reading = auralis_testkit::oracle::ebur128_reading(&mastered, None);
    assert!(
        (reading.integrated_lufs - -16.0).abs() <= 0.1,
        "{}",
        reading.integrated_lufs
    );
    let tp = 20.0 * auralis_testkit::oracle::ebur128_true_peak(&mastered).log10();
    assert!(tp <= -1.0 + 0.001, "{tp}");

    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(doc["schema_version"], 1);
    for side in ["input", "output"] {
        for key in [
            "integrated_lufs",
            "range_lu",
            "true_peak_dbtp",
            "sample_peak_dbfs",
        ] {
            assert!(doc[side][key].is_f64(), "{side}.{key}");
        }
    }
    assert_eq!(doc["eq_gains_db"].as_array().unwrap().len(), 25);
    assert!(doc["gain_reduction_db"]["limiter_max"].is_f64());
    assert!(doc["timings_ms"]["eq"].is_f64());

    // The output exists now: without --overwrite it is refused and kept.
    let again = auralis(&["master", s(&input), s(&output)]);
    assert_eq!(again.status.code(), Some(2));
    assert_eq!(read_audio(&output).unwrap(), mastered);
}

#[test]
fn bad_requests_are_one_line_errors() {
    let dir = tempfile::tempdir().unwrap();
    let input = music_wav(dir.path(), "in.wav", 4.0);
    let short = music_wav(dir.path(), "short.wav", 1.0);
    let output = dir.path().join("out.wav");
    for args in [
        vec!["master", s(&input), s(&output), "--preset", "extreme"],
        vec!["master", s(&input), s(&output), "--reference", s(&short)],
        vec!["master", s(&input), s(&input)],
        vec!["master", s(&input), s(&output), "--ceiling", "3"],
    ] {
        let out = auralis(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {out:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
    }
    assert!(!output.exists());
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn a_rerun_gives_the_same_bits_dither_included() {
    let dir = tempfile::tempdir().unwrap();
    let input = music_wav(dir.path(), "in.wav", 6.0);
    let (a, b) = (dir.path().join("a.wav"), dir.path().join("b.wav"));
    for out in [&a, &b] {
        let run = auralis(&[
            "master",
            s(&input),
            s(out),
            "--format",
            "wav16",
            "--preset",
            "warm",
        ]);
        assert!(run.status.success(), "{run:?}");
    }
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    // Dithered: the 16-bit file is not the plain rounding of the float master.
    let float = dir.path().join("f.wav");
    assert!(
        auralis(&["master", s(&input), s(&float), "--preset", "warm"])
            .status
            .success()
    );
    let (dithered, plain) = (read_audio(&a).unwrap(), read_audio(&float).unwrap());
    let rounded: Vec<f32> = plain
        .channel(0)
        .iter()
        .map(|x| (x * 32_768.0).round() / 32_768.0)
        .collect();
    assert_ne!(dithered.channel(0), rounded.as_slice());
}

#[test]
fn flac_output_decodes_to_the_same_codes_as_24_bit_wav() {
    let dir = tempfile::tempdir().unwrap();
    let input = music_wav(dir.path(), "in.wav", 7.0);
    let (flac, wav) = (dir.path().join("m.flac"), dir.path().join("m.wav"));
    assert!(auralis(&["master", s(&input), s(&flac)]).status.success());
    assert!(
        auralis(&["master", s(&input), s(&wav), "--format", "wav24"])
            .status
            .success()
    );
    assert_eq!(read_audio(&flac).unwrap(), read_audio(&wav).unwrap());
    assert_eq!(&std::fs::read(&flac).unwrap()[..4], b"fLaC");
    // Never one format under another's extension.
    for (name, format) in [("x.wav", "flac"), ("x.flac", "wav24")] {
        let out = auralis(&[
            "master",
            s(&input),
            s(&dir.path().join(name)),
            "--format",
            format,
        ]);
        assert_eq!(out.status.code(), Some(2), "{name} as {format}");
    }
}

#[test]
fn flac_tags_survive_and_loudness_tags_are_the_masters() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.flac");
    let tags = vec![
        ("TITLE".to_string(), "Song".to_string()),
        ("ARTIST".to_string(), "Band".to_string()),
        ("ISRC".to_string(), "USRC17607839".to_string()),
        ("REPLAYGAIN_TRACK_GAIN".to_string(), "+9.99 dB".to_string()),
    ];
    let path = auralis::io::OutputPath::resolve(&input).unwrap();
    auralis::io::write_flac_output(
        &path,
        false,
        &auralis_fixtures::generate_seconds(6.0),
        SampleFormat::Int24,
        None,
        auralis::io::FlacMetadata {
            tags: &tags,
            pictures: &[],
        },
    )
    .unwrap();
    assert_eq!(auralis::io::read_tags(&input)[..3], tags[..3]);
    let output = dir.path().join("out.flac");
    assert!(auralis(&["master", s(&input), s(&output)]).status.success());
    let out_tags = auralis::io::read_tags(&output);
    for t in &tags[..3] {
        assert!(out_tags.contains(t), "{t:?} in {out_tags:?}");
    }
    let gain: Vec<&(String, String)> = out_tags
        .iter()
        .filter(|(k, _)| k == "REPLAYGAIN_TRACK_GAIN")
        .collect();
    assert_eq!(gain.len(), 1, "{out_tags:?}");
    // The master is −14 LUFS (within 0.05): 4 dB above ReplayGain's −18, 9 dB above R128's −23.
    let db: f64 = gain[0].1.trim_end_matches(" dB").parse().unwrap();
    assert!((db - -4.0).abs() <= 0.06, "{db}");
    let r128: f64 = out_tags
        .iter()
        .find(|(k, _)| k == "R128_TRACK_GAIN")
        .map(|(_, v)| v.parse().unwrap())
        .unwrap();
    assert!((r128 / 256.0 - -9.0).abs() <= 0.06, "{r128}");
    let stripped = dir.path().join("stripped.flac");
    assert!(
        auralis(&["master", s(&input), s(&stripped), "--strip-metadata"])
            .status
            .success()
    );
    assert!(auralis::io::read_tags(&stripped).is_empty());
}

#[test]
fn sample_rate_conversion_and_a_reference_at_another_rate() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.wav");
    let audio = auralis_fixtures::generate_seconds(8.0);
    write_wav(&input, &audio, SampleFormat::Float32).unwrap();
    let output = dir.path().join("out.wav");
    let run = auralis(&["master", s(&input), s(&output), "--sample-rate", "48000"]);
    assert!(run.status.success(), "{run:?}");
    let out = read_audio(&output).unwrap();
    assert_eq!(out.sample_rate(), 48_000);
    assert_eq!(out.len(), (audio.len() as u64 * 48_000 / 44_100) as usize);
    let reading = auralis_testkit::oracle::ebur128_reading(&out, None);
    assert!(
        (reading.integrated_lufs - -14.0).abs() <= 0.1,
        "{}",
        reading.integrated_lufs
    );
    let tp = 20.0 * auralis_testkit::oracle::ebur128_true_peak(&out).log10();
    assert!(tp <= -1.0 + 0.001, "{tp}");
    // The 48 kHz master as a reference for the 44.1 kHz input: converted, then matched.
    let matched = dir.path().join("matched.wav");
    let run = auralis(&["master", s(&input), s(&matched), "--reference", s(&output)]);
    assert!(run.status.success(), "{run:?}");
}

#[test]
fn a_wav_master_states_its_loudness_in_bext_and_still_reads() {
    let dir = tempfile::tempdir().unwrap();
    let input = music_wav(dir.path(), "in.wav", 6.0);
    let output = dir.path().join("out.wav");
    assert!(
        auralis(&["master", s(&input), s(&output), "--format", "wav24"])
            .status
            .success()
    );
    let bytes = std::fs::read(&output).unwrap();
    let at = bytes
        .windows(4)
        .position(|w| w == b"bext")
        .expect("a bext chunk");
    let body = &bytes[at + 8..];
    let field = |i: usize| i16::from_le_bytes([body[412 + 2 * i], body[413 + 2 * i]]);
    assert!(
        (f64::from(field(0)) / 100.0 - -14.0).abs() <= 0.06,
        "{}",
        field(0)
    );
    assert!(f64::from(field(2)) / 100.0 <= -1.0 + 0.01, "{}", field(2));
    // Readers skip the chunk: the audio reads as written, and sox agrees if present.
    let audio = read_audio(&output).unwrap();
    assert_eq!(audio.len(), 6 * 44_100);
    let stripped = dir.path().join("stripped.wav");
    assert!(
        auralis(&["master", s(&input), s(&stripped), "--strip-metadata"])
            .status
            .success()
    );
    assert!(!std::fs::read(&stripped)
        .unwrap()
        .windows(4)
        .any(|w| w == b"bext"));
}

#[test]
fn tags_survive_wav_to_flac_to_wav_and_bwf_chunks_carry_wav_to_wav() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.wav");
    let tags = vec![
        ("TITLE".to_string(), "Song".to_string()),
        ("ARTIST".to_string(), "Band".to_string()),
        ("ALBUM".to_string(), "Record".to_string()),
        ("TRACKNUMBER".to_string(), "7".to_string()),
    ];
    // A broadcast WAV: INFO tags, a bext chunk with its originator, and iXML.
    let mut chunks = auralis::io::info_list_chunk(&tags).unwrap();
    let mut bext = auralis::io::bext_chunk("field recording", &Default::default());
    bext[8 + 256..8 + 256 + 9].copy_from_slice(b"recorder1");
    chunks.extend(bext);
    chunks.extend(auralis::io::riff_chunk(
        b"iXML",
        b"<BWFXML><SCENE>12</SCENE></BWFXML>",
    ));
    auralis::io::write_wav_output_with(
        &auralis::io::OutputPath::resolve(&input).unwrap(),
        false,
        &auralis_fixtures::generate_seconds(6.0),
        SampleFormat::Int24,
        None,
        Some(&chunks),
    )
    .unwrap();
    assert_eq!(auralis::io::read_tags(&input), tags);

    let flac = dir.path().join("master.flac");
    let back = dir.path().join("back.wav");
    assert!(auralis(&["master", s(&input), s(&flac)]).status.success());
    assert!(
        auralis(&["master", s(&flac), s(&back), "--format", "wav24"])
            .status
            .success()
    );
    let flac_tags = auralis::io::read_tags(&flac);
    for t in &tags {
        assert!(flac_tags.contains(t), "{t:?} in {flac_tags:?}");
    }
    assert_eq!(auralis::io::read_tags(&back), tags);

    let wav = dir.path().join("master.wav");
    assert!(
        auralis(&["master", s(&input), s(&wav), "--format", "wav24"])
            .status
            .success()
    );
    let meta = auralis::io::read_wav_metadata(&wav);
    assert_eq!(meta.tags, tags);
    assert_eq!(
        meta.ixml.as_deref(),
        Some(b"<BWFXML><SCENE>12</SCENE></BWFXML>".as_slice())
    );
    let bext = meta.bext.expect("the input's bext, carried");
    assert_eq!(&bext[..15], b"field recording");
    assert_eq!(&bext[256..265], b"recorder1");
    let integrated = i16::from_le_bytes([bext[412], bext[413]]);
    assert!(
        (f64::from(integrated) / 100.0 - -14.0).abs() <= 0.06,
        "{integrated}"
    );
}

#[test]
fn a_long_master_runs_in_bounded_memory_to_wav_and_to_flac() {
    let dir = tempfile::tempdir().unwrap();
    // 5 minutes of stereo f32 (106 MB): the streamed chain holds a few chunks of it (a
    // whole-file master held four copies; 60 minutes are measured in the note).
    let input = dir.path().join("long.wav");
    let frames = write_long_wav(&input, 300);
    let names = ["out.wav", "out.flac"];
    // Every run first: a child forked later would start with this process's resident
    // memory (the decoded outputs below), and that would count as its peak.
    for name in names {
        let output = dir.path().join(name);
        let report = dir.path().join(format!("{name}.json"));
        let (ok, peak_kib) =
            peak_memory_kib(&["master", s(&input), s(&output), "--report", s(&report)]);
        assert!(ok, "{name}");
        assert!(
            peak_kib < 40 * 1024,
            "{name}: peak {peak_kib} KiB for a 106 MB input"
        );
    }
    for name in names {
        let output = dir.path().join(name);
        let report = dir.path().join(format!("{name}.json"));
        let report: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
        let lufs = report["output"]["integrated_lufs"].as_f64().unwrap();
        assert!((lufs + 14.0).abs() <= 0.1, "{name}: {lufs}");
        let decoded = read_audio(&output).unwrap();
        assert_eq!(decoded.len() as u64, frames, "{name}");
    }
    // Nothing but the input, the outputs and the reports is left (the chain's temporary
    // files are unnamed).
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 5);
}

#[test]
fn the_same_samples_give_the_same_master_from_wav_or_flac_at_any_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let audio = auralis_fixtures::generate_seconds(7.0);
    let (wav, flac) = (dir.path().join("in.wav"), dir.path().join("in.flac"));
    write_wav(&wav, &audio, SampleFormat::Int24).unwrap();
    auralis::io::write_flac_output(
        &auralis::io::OutputPath::resolve(&flac).unwrap(),
        false,
        &audio,
        SampleFormat::Int24,
        None,
        auralis::io::FlacMetadata::default(),
    )
    .unwrap();
    assert_eq!(read_audio(&wav).unwrap(), read_audio(&flac).unwrap());
    let master = |input: &std::path::Path, name: &str, threads: &str| {
        let output = dir.path().join(name);
        let run = std::process::Command::new(env!("CARGO_BIN_EXE_auralis"))
            .args(["master", s(input), s(&output), "--strip-metadata"])
            .env("RAYON_NUM_THREADS", threads)
            .output()
            .unwrap();
        assert!(run.status.success(), "{run:?}");
        std::fs::read(output).unwrap()
    };
    let expected = master(&wav, "a.wav", "2");
    assert_eq!(master(&flac, "b.wav", "2"), expected, "from FLAC");
    assert_eq!(master(&wav, "c.wav", "1"), expected, "1 thread");
    assert_eq!(master(&wav, "d.wav", "7"), expected, "7 threads");
}

#[test]
fn cover_art_survives_flac_to_flac() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.flac");
    // A PICTURE block body: front cover, PNG, no description, 1×1, 8 bits, the data.
    let data = b"\x89PNG\r\n\x1a\n not really a png, but bytes to carry";
    let mut picture = Vec::new();
    picture.extend_from_slice(&3u32.to_be_bytes());
    picture.extend_from_slice(&9u32.to_be_bytes());
    picture.extend_from_slice(b"image/png");
    picture.extend_from_slice(&0u32.to_be_bytes());
    for v in [1u32, 1, 8, 0, data.len() as u32] {
        picture.extend_from_slice(&v.to_be_bytes());
    }
    picture.extend_from_slice(data);
    auralis::io::write_flac_output(
        &auralis::io::OutputPath::resolve(&input).unwrap(),
        false,
        &auralis_fixtures::generate_seconds(4.0),
        SampleFormat::Int16,
        None,
        auralis::io::FlacMetadata {
            tags: &[("TITLE".into(), "Cover".into())],
            pictures: std::slice::from_ref(&picture),
        },
    )
    .unwrap();
    let read = auralis::io::read_pictures(&input);
    assert_eq!(read.len(), 1);
    assert!(read[0].ends_with(data), "the picture's data is read back");
    let output = dir.path().join("out.flac");
    assert!(auralis(&["master", s(&input), s(&output)]).status.success());
    assert_eq!(auralis::io::read_pictures(&output), read);
    // A WAV output cannot hold it, and says so.
    let wav = dir.path().join("out.wav");
    let run = auralis(&["master", s(&input), s(&wav)]);
    assert!(run.status.success());
    assert!(String::from_utf8_lossy(&run.stderr).contains("artwork"));
}
