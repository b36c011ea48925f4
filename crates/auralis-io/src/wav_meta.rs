//! The metadata chunks of a WAV file a master carries over: `LIST`/`INFO` tags, the Broadcast
//! WAV `bext` chunk and `iXML`.
//!
//! RIFF `INFO` maps to Vorbis-comment names: `INAM` TITLE, `IART` ARTIST, `IPRD` ALBUM,
//! `IGNR` GENRE, `ITRK` (or `IPRT`) TRACKNUMBER, `ICRD` DATE, `ICMT` COMMENT, `ICOP`
//! COPYRIGHT. INFO has no ISRC: its `ISRC` id means "source" (who supplied the material), so
//! an ISRC is carried in FLAC outputs only.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// Largest metadata chunk read (a `LIST` with embedded artwork can be big; a master carries
/// tags, not megabytes of JUNK).
const MAX_CHUNK_BYTES: u32 = 1 << 20;

/// RIFF INFO ids and the Vorbis-comment names they stand for.
const INFO_NAMES: [(&[u8; 4], &str); 9] = [
    (b"INAM", "TITLE"),
    (b"IART", "ARTIST"),
    (b"IPRD", "ALBUM"),
    (b"IGNR", "GENRE"),
    (b"ITRK", "TRACKNUMBER"),
    (b"IPRT", "TRACKNUMBER"),
    (b"ICRD", "DATE"),
    (b"ICMT", "COMMENT"),
    (b"ICOP", "COPYRIGHT"),
];

/// What a WAV file says about itself besides its audio.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WavMetadata {
    /// `LIST`/`INFO` tags as Vorbis-comment pairs.
    pub tags: Vec<(String, String)>,
    /// The `bext` chunk's body.
    pub bext: Option<Vec<u8>>,
    /// The `iXML` chunk's body.
    pub ixml: Option<Vec<u8>>,
}

/// Reads the metadata chunks of a RIFF WAV file, before and after its samples. Best effort:
/// anything that is not a readable RIFF file has none (the audio reader reports real
/// errors).
pub fn read_wav_metadata(path: &Path) -> WavMetadata {
    let mut meta = WavMetadata::default();
    let Ok(mut file) = File::open(path) else {
        return meta;
    };
    let mut head = [0u8; 12];
    if file.read_exact(&mut head).is_err() || &head[..4] != b"RIFF" || &head[8..] != b"WAVE" {
        return meta;
    }
    let mut chunk = [0u8; 8];
    while file.read_exact(&mut chunk).is_ok() {
        let id = [chunk[0], chunk[1], chunk[2], chunk[3]];
        let size = u32::from_le_bytes([chunk[4], chunk[5], chunk[6], chunk[7]]);
        let padded = i64::from(size) + i64::from(size % 2);
        let wanted = matches!(&id, b"LIST" | b"bext" | b"iXML") && size <= MAX_CHUNK_BYTES;
        if !wanted {
            if size == u32::MAX || file.seek(SeekFrom::Current(padded)).is_err() {
                break;
            }
            continue;
        }
        let mut body = vec![0u8; size as usize];
        if file.read_exact(&mut body).is_err() {
            break;
        }
        if size % 2 == 1 && file.seek(SeekFrom::Current(1)).is_err() {
            break;
        }
        match &id {
            b"LIST" if body.starts_with(b"INFO") => meta.tags.extend(parse_info(&body[4..])),
            b"bext" => meta.bext = Some(body),
            b"iXML" => meta.ixml = Some(body),
            _ => {}
        }
    }
    meta
}

/// The tags of an `INFO` list's body (after the `INFO` type).
fn parse_info(mut body: &[u8]) -> Vec<(String, String)> {
    let mut tags = Vec::new();
    while body.len() >= 8 {
        let id = &body[..4];
        let size = u32::from_le_bytes([body[4], body[5], body[6], body[7]]) as usize;
        let Some(value) = body.get(8..8 + size) else {
            break;
        };
        if let Some((_, name)) = INFO_NAMES.iter().find(|(i, _)| i.as_slice() == id) {
            let text = String::from_utf8_lossy(value);
            let text = text.trim_end_matches('\0').trim();
            if !text.is_empty() && !tags.iter().any(|(k, _): &(String, String)| k == name) {
                tags.push((name.to_string(), text.to_string()));
            }
        }
        body = body.get(8 + size + size % 2..).unwrap_or(&[]);
    }
    tags
}

/// A whole chunk (id, size, body, pad byte).
pub fn riff_chunk(id: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut chunk = Vec::with_capacity(body.len() + 9);
    chunk.extend_from_slice(id);
    chunk.extend_from_slice(&(body.len() as u32).to_le_bytes());
    chunk.extend_from_slice(body);
    if body.len() % 2 == 1 {
        chunk.push(0);
    }
    chunk
}

/// A `LIST`/`INFO` chunk holding the `tags` INFO can hold (see the module doc), or `None`
/// if there are none.
pub fn info_list_chunk(tags: &[(String, String)]) -> Option<Vec<u8>> {
    let mut body = b"INFO".to_vec();
    let mut written: Vec<&[u8; 4]> = Vec::new();
    for (key, value) in tags {
        let Some((id, _)) = INFO_NAMES
            .iter()
            .find(|(_, name)| key.eq_ignore_ascii_case(name))
        else {
            continue;
        };
        if written.contains(id) || value.is_empty() {
            continue;
        }
        written.push(id);
        let mut text = value.as_bytes().to_vec();
        text.push(0); // INFO strings are zero-terminated
        body.extend_from_slice(&riff_chunk(id, &text));
    }
    (body.len() > 4).then(|| riff_chunk(b"LIST", &body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_tags_round_trip_through_a_wav_file() {
        let tags = vec![
            ("TITLE".to_string(), "Blue in Green".to_string()),
            ("ARTIST".to_string(), "Miles Davis".to_string()),
            ("ALBUM".to_string(), "Kind of Blue".to_string()),
            ("TRACKNUMBER".to_string(), "3".to_string()),
            ("ISRC".to_string(), "USSM15900113".to_string()),
        ];
        let mut chunks = info_list_chunk(&tags).unwrap();
        chunks.extend(riff_chunk(b"iXML", b"<BWFXML/>"));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.wav");
        let audio = auralis_core::AudioBuffer::new(vec![vec![0.1; 100]; 2], 44_100).unwrap();
        let output = crate::OutputPath::resolve(&path).unwrap();
        crate::write_wav_output_with(
            &output,
            false,
            &audio,
            crate::SampleFormat::Int16,
            None,
            Some(&chunks),
        )
        .unwrap();
        let meta = read_wav_metadata(&path);
        // INFO holds no ISRC; the rest comes back as written.
        assert_eq!(meta.tags, tags[..4].to_vec());
        assert_eq!(meta.ixml.as_deref(), Some(b"<BWFXML/>".as_slice()));
        assert_eq!(meta.bext, None);
        // The samples still read, as written, past the extra chunks.
        assert_eq!(crate::read_audio(&path).unwrap().len(), 100);
        assert_eq!(
            read_wav_metadata(&dir.path().join("missing.wav")),
            WavMetadata::default()
        );
    }
}
