//! How long a file is, from its header alone: what a batch needs to balance shards
//! (`auralis master --shard I/N`) without decoding a whole catalogue first.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use crate::header::{is_riff_family, read_header};

/// The duration a file's header declares, in seconds, or `None` when it declares none (an
/// MP3 without a LAME/Xing tag, a WAV whose data size is left open) or cannot be read — the
/// decoder names the problem when the file is processed; a probe only estimates.
pub fn probe_duration_secs(path: &Path) -> Option<f64> {
    let mut file = File::open(path).ok()?;
    let mut magic = [0u8; 4];
    file.read_exact(&mut magic).ok()?;
    file.seek(SeekFrom::Start(0)).ok()?;
    if !is_riff_family(&magic) {
        return crate::compressed::declared_duration_secs(path, file);
    }
    let header = read_header(&mut BufReader::new(file), path).ok()?;
    (!header.length_unknown && header.spec.sample_rate > 0).then(|| header.spec.duration_secs())
}

/// Whether a file name has an extension [`crate::read_audio`] reads (case-insensitive):
/// what a directory walk picks up.
pub fn is_audio_file_name(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| AUDIO_EXTENSIONS.iter().any(|x| x.eq_ignore_ascii_case(e)))
}

/// The file name extensions of the formats [`crate::read_audio`] reads.
pub const AUDIO_EXTENSIONS: [&str; 9] = [
    "wav", "wave", "rf64", "flac", "mp3", "ogg", "oga", "aif", "aiff",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wav_header_gives_its_duration_and_garbage_gives_none() {
        let dir = tempfile::tempdir().unwrap();
        let wav = dir.path().join("a.wav");
        let audio = auralis_core::AudioBuffer::new(vec![vec![0.1; 22_050]; 2], 44_100).unwrap();
        crate::write_wav(&wav, &audio, crate::SampleFormat::Int16).unwrap();
        assert_eq!(probe_duration_secs(&wav), Some(0.5));
        let junk = dir.path().join("b.flac");
        std::fs::write(&junk, b"not audio at all").unwrap();
        assert_eq!(probe_duration_secs(&junk), None);
        assert_eq!(probe_duration_secs(&dir.path().join("missing.wav")), None);
    }

    #[test]
    fn audio_names_are_recognised_case_insensitively() {
        assert!(is_audio_file_name(Path::new("x/Track.FLAC")));
        assert!(is_audio_file_name(Path::new("a.wav")));
        assert!(!is_audio_file_name(Path::new("cover.jpg")));
        assert!(!is_audio_file_name(Path::new("README")));
    }
}
