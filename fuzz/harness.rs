//! The fuzz harnesses' bodies, shared by the fuzz targets (`fuzz_targets/*.rs`) and by the
//! regression replay (`crates/auralis-cli/tests/fuzz_regressions.rs`), so that a kept crash
//! is replayed through exactly the code that found it.
//!
//! * [`read_one`] — `auralis_io::read_audio` (every format: the WAV chunk walk, symphonia
//!   behind it) and `read_wav_from` (the stream path): whatever the bytes, a buffer or a typed
//!   error, never a panic. The first byte picks the file name's extension, so the
//!   content-sniffing dispatch and the `.wav`-named fallback are both reached.
//! * [`cli_one`] — argument parsing (numbers, presets, gain lists, formats) and output-path
//!   handling (existing files, links, dangling links, directories, no extension), running the
//!   real commands in process on a small input. Input and output names come from a fixed menu
//!   of entries made inside `dir`, never from the fuzzer's bytes as paths, so every write
//!   stays in `dir` (a FIFO is left out: opening one without a reader blocks, which is
//!   correct behaviour). After each run `dir` must hold no temporary file, and the existing
//!   file must not have been truncated.

#![allow(dead_code)] // each target uses one of the two harnesses

use std::path::Path;

use clap::Parser;

const EXTENSIONS: [&str; 7] = ["wav", "flac", "mp3", "ogg", "aiff", "bin", ""];

/// One `read` case, in the scratch directory `dir`.
pub fn read_one(data: &[u8], dir: &Path) {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let ext = EXTENSIONS[usize::from(pick) % EXTENSIONS.len()];
    let path = dir.join(format!("input.{ext}"));
    std::fs::write(&path, bytes).expect("scratch write");
    if let Ok(audio) = auralis_io::read_audio(&path) {
        assert!(!audio.is_empty() && audio.num_channels() > 0);
    }
    let _ = auralis_io::read_wav_from(bytes, "fuzz");
}

const SUBCOMMANDS: [&str; 4] = ["analyze", "eq", "compress", "limit"];
const FLAGS: [&str; 16] = [
    "--json",
    "--weighting",
    "--gains",
    "--preset",
    "--hop",
    "--threshold",
    "--ratio",
    "--knee",
    "--attack",
    "--release",
    "--lookahead",
    "--makeup",
    "--ceiling",
    "--true-peak",
    "--format",
    "--overwrite",
];
const OUTPUTS: [&str; 6] = [
    "new.wav",
    "existing.wav",
    "link.wav",
    "dangling.wav",
    "dir",
    "noext",
];

/// A small valid stereo WAV (what most runs read), or the fuzzer's own bytes.
fn input_bytes(own: &[u8], use_own: bool) -> Vec<u8> {
    if use_own {
        return own.to_vec();
    }
    let frames = 600u32;
    let mut data = Vec::new();
    for n in 0..frames {
        let v = ((n as f32 * 0.05).sin() * 0.9).to_le_bytes();
        data.extend_from_slice(&v);
        data.extend_from_slice(&v);
    }
    let mut wav = b"RIFF".to_vec();
    wav.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    for (v, n) in [
        (16u32, 4),
        (3, 2),
        (2, 2),
        (44_100, 4),
        (352_800, 4),
        (8, 2),
        (32, 2),
    ] {
        wav.extend_from_slice(&v.to_le_bytes()[..n]);
    }
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&(data.len() as u32).to_le_bytes());
    wav.extend_from_slice(&data);
    wav
}

/// Resets the scratch directory to the menu of outputs.
fn prepare(dir: &Path, input: &[u8]) {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir.join("dir")).unwrap();
    std::fs::write(dir.join("in.wav"), input).unwrap();
    std::fs::write(dir.join("existing.wav"), b"keep me").unwrap();
    std::os::unix::fs::symlink("existing.wav", dir.join("link.wav")).unwrap();
    std::os::unix::fs::symlink("nowhere/x.wav", dir.join("dangling.wav")).unwrap();
}

/// One `cli` case, in the scratch directory `dir` (emptied and refilled).
pub fn cli_one(data: &[u8], dir: &Path) {
    if data.len() < 3 {
        return;
    }
    let (head, rest) = data.split_at(3);
    let mut parts = rest.split(|&b| b == 0);
    let own_input = parts.next().unwrap_or(&[]);
    prepare(dir, &input_bytes(own_input, head[2] & 1 == 1));
    let sub = SUBCOMMANDS[usize::from(head[0]) % SUBCOMMANDS.len()];
    let input = dir.join("in.wav");
    let output = dir.join(OUTPUTS[usize::from(head[1]) % OUTPUTS.len()]);
    let mut args: Vec<String> = vec!["auralis".into(), sub.into(), input.display().to_string()];
    if sub != "analyze" {
        args.push(output.display().to_string());
    }
    // The rest: alternately a flag from the menu (by its first byte) and a free value.
    for (i, part) in parts.enumerate() {
        if i % 2 == 0 {
            let pick = part.first().copied().unwrap_or(0);
            args.push(FLAGS[usize::from(pick) % FLAGS.len()].into());
        } else {
            args.push(String::from_utf8_lossy(part).into_owned());
        }
        if args.len() > 24 {
            break;
        }
    }
    // Half the runs write through named temporaries (the fallback for file systems without
    // O_TMPFILE), so that "no temporary left" is tested on the path where it can fail.
    if head[2] & 2 == 2 {
        std::env::set_var("AURALIS_IO_NAMED_TEMPORARIES", "1");
    } else {
        std::env::remove_var("AURALIS_IO_NAMED_TEMPORARIES");
    }
    let overwrite = args.iter().any(|a| a == "--overwrite");
    if let Ok(cli) = auralis_cli::commands::Cli::try_parse_from(&args) {
        let _ = auralis_cli::commands::run(cli);
    }
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        assert!(
            !name.contains(".auralis-tmp."),
            "temporary file left: {name}"
        );
    }
    // The existing file (also reached through link.wav) is never truncated, and without
    // --overwrite it is untouched.
    let existing = std::fs::read(dir.join("existing.wav")).expect("existing.wav is still there");
    assert!(!existing.is_empty(), "existing.wav was truncated");
    if !overwrite {
        assert_eq!(
            existing, b"keep me",
            "existing.wav replaced without --overwrite"
        );
    }
}
