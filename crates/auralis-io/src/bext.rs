//! The Broadcast WAV `bext` chunk (EBU Tech 3285, version 2) with its loudness fields: how a
//! WAV master states its own loudness, as `REPLAYGAIN_*`/`R128_*` tags do in FLAC.

/// Loudness of the audio, as EBU Tech 3285 v2 records it (each `None` is stored as the
/// standard's "not set", 0x7FFF).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct BextLoudness {
    pub integrated_lufs: Option<f64>,
    pub range_lu: Option<f64>,
    pub true_peak_dbtp: Option<f64>,
    pub momentary_max_lufs: Option<f64>,
    pub short_term_max_lufs: Option<f64>,
}

/// Bytes of the fixed part of a version-2 `bext` body (before the coding history).
pub const BEXT_FIXED_BYTES: usize = 602;

/// The whole `bext` chunk (id, size, body; even length): `description` (ASCII, cut at 256
/// bytes), originator "auralis", version 2, the loudness fields in hundredths, an empty
/// coding history.
pub fn bext_chunk(description: &str, loudness: &BextLoudness) -> Vec<u8> {
    bext_chunk_from(None, description, loudness)
}

/// [`bext_chunk`] starting from an input's `bext` body, when there is one of at least the
/// version-0 fixed size (346 bytes): its description, originator, dates, time reference,
/// UMID and coding history are kept; the version becomes at least 2 and the loudness fields
/// are the master's. Without one, as [`bext_chunk`].
pub fn bext_chunk_from(
    input: Option<&[u8]>,
    description: &str,
    loudness: &BextLoudness,
) -> Vec<u8> {
    let mut body = match input.filter(|b| b.len() >= 346) {
        Some(input) => {
            let mut body = input.to_vec();
            if body.len() < BEXT_FIXED_BYTES {
                body.resize(BEXT_FIXED_BYTES, 0);
            }
            body
        }
        None => {
            let mut body = vec![0u8; BEXT_FIXED_BYTES];
            let ascii: Vec<u8> = description.bytes().filter(u8::is_ascii).take(256).collect();
            body[..ascii.len()].copy_from_slice(&ascii);
            body[256..256 + 7].copy_from_slice(b"auralis");
            body
        }
    };
    // Version at 256 + 32 + 32 + 10 + 8 + 4 + 4 = 346; UMID 64 bytes; loudness at 412.
    let version = u16::from_le_bytes([body[346], body[347]]).max(2);
    body[346..348].copy_from_slice(&version.to_le_bytes());
    let hundredths = |v: Option<f64>| -> i16 {
        v.filter(|v| v.is_finite()).map_or(0x7FFF, |v| {
            (v * 100.0).round().clamp(-32768.0, 32766.0) as i16
        })
    };
    let fields = [
        loudness.integrated_lufs,
        loudness.range_lu,
        loudness.true_peak_dbtp,
        loudness.momentary_max_lufs,
        loudness.short_term_max_lufs,
    ];
    for (i, v) in fields.into_iter().enumerate() {
        let at = 412 + 2 * i;
        body[at..at + 2].copy_from_slice(&hundredths(v).to_le_bytes());
    }
    crate::wav_meta::riff_chunk(b"bext", &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loudness_fields_are_where_tech_3285_puts_them() {
        let chunk = bext_chunk(
            "master",
            &BextLoudness {
                integrated_lufs: Some(-14.004),
                range_lu: Some(6.5),
                true_peak_dbtp: Some(-1.02),
                momentary_max_lufs: None,
                short_term_max_lufs: Some(-10.0),
            },
        );
        assert_eq!(&chunk[..4], b"bext");
        assert_eq!(u32::from_le_bytes(chunk[4..8].try_into().unwrap()), 602);
        let body = &chunk[8..];
        let field =
            |i: usize| i16::from_le_bytes(body[412 + 2 * i..414 + 2 * i].try_into().unwrap());
        assert_eq!(u16::from_le_bytes(body[346..348].try_into().unwrap()), 2);
        assert_eq!(
            [field(0), field(1), field(2), field(3), field(4)],
            [-1400, 650, -102, 0x7FFF, -1000]
        );
        assert_eq!(&body[..6], b"master");
        assert_eq!(chunk.len() % 2, 0);
    }
}
