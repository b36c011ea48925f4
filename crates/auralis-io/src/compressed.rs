//! Every format but WAV — FLAC, MP3, Ogg Vorbis, AIFF — through symphonia.
//!
//! * **Length.** MP3 and Vorbis decode to the encoder's input length: symphonia's gapless
//!   mode (on by default) trims the encoder delay and padding the LAME/Xing tag or the Ogg
//!   granule positions declare. An MP3 without such a tag has no declared length and keeps
//!   the decoder's delay, as every decoder does.
//! * **Scaling.** Integer samples become `x / 2^(bits−1)`, exactly as the WAV reader does,
//!   so FLAC and AIFF round trips of integer audio are bit-exact.
//! * **Errors.** A truncated stream (ended before the length its header declares), a corrupt
//!   packet and an unsupported codec are typed errors naming the detected format. symphonia
//!   has panicked on crafted input before (its tracker lists fuzzer finds), so the decode
//!   runs under `catch_unwind` and a panic is reported as a corrupt file.

use std::fs::File;
use std::io;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use auralis_core::audio::check_sample_rate;
use auralis_core::{AudioBuffer, AudioError};
use symphonia::core::codecs::audio::AudioDecoderOptions;
use symphonia::core::codecs::CodecParameters;
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, TrackType};
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;

use crate::error::IoError;

/// Longest audio decoded from a file whose header declares no length: 24 hours at its rate.
/// A compressed stream can expand enormously (a FLAC of constant subframes, a few KB,
/// decodes to gigabytes): past the declared length, or this, decoding stops with an error
/// instead of exhausting memory.
const MAX_UNDECLARED_SECS: u64 = 24 * 3600;
/// Frames tolerated beyond a declared length (a final partial block).
const DECLARED_SLACK_FRAMES: u64 = 1 << 16;
/// Packets that may fail to decode before the file is refused: real MP3s carry the odd
/// corrupt frame, which decoders skip (symphonia asks callers to); a file of nothing else is
/// not audio.
const MAX_BAD_PACKETS: usize = 16;

/// The start of the message for a file no reader recognises.
pub(crate) const NO_FORMAT: &str = "not a format that is read";

/// Frames reserved up front from a declared length: a lying header must not make us
/// allocate gigabytes (the vectors grow as samples really arrive).
const MAX_RESERVE_FRAMES: u64 = 1 << 22;

/// Reads a whole non-WAV file.
pub(crate) fn read_compressed(path: &Path, file: File) -> Result<AudioBuffer, IoError> {
    let mut reader = CompressedChunkReader::from_file(path, file)?;
    let channels = reader.channels();
    let reserve = reader.declared.unwrap_or(0).min(MAX_RESERVE_FRAMES) as usize;
    let mut out: Vec<Vec<f32>> = (0..channels).map(|_| Vec::with_capacity(reserve)).collect();
    let mut chunk = Vec::new();
    while reader.read_chunk(&mut chunk, 1 << 16)? > 0 {
        for frame in chunk.chunks_exact(channels) {
            for (ch, &x) in out.iter_mut().zip(frame) {
                ch.push(x);
            }
        }
    }
    AudioBuffer::new(out, reader.rate).map_err(|e| IoError::audio(path, e))
}

/// Runs a step of symphonia's, whose panics on malformed data become a corrupt-file error.
fn guarded<T>(path: &Path, step: impl FnOnce() -> Result<T, IoError>) -> Result<T, IoError> {
    catch_unwind(AssertUnwindSafe(step)).unwrap_or_else(|_| {
        Err(IoError::corrupt(
            path,
            "the decoder failed on malformed data (it panicked; please report the file)",
        ))
    })
}

/// A non-WAV file decoded packet by packet and handed out in interleaved chunks, so that a
/// long FLAC or MP3 is never held whole; the samples, the checks and the errors are the
/// whole-file reader's (which is this reader, read to the end).
pub struct CompressedChunkReader {
    path: std::path::PathBuf,
    name: &'static str,
    format: Box<dyn symphonia::core::formats::FormatReader>,
    decoder: Box<dyn symphonia::core::codecs::audio::AudioDecoder>,
    track_id: u32,
    channels: usize,
    rate: u32,
    /// The length the container declares (`None` for an MP3 without a LAME/Xing tag,
    /// whose frame count is only an estimate from the bit rate).
    declared: Option<u64>,
    limit: u64,
    bad_packets: usize,
    /// Frames decoded and handed out so far, and decoded frames not handed out yet
    /// (interleaved).
    decoded: u64,
    handed: u64,
    pending: Vec<f32>,
    ended: bool,
}

impl CompressedChunkReader {
    /// Opens `path` and sets up its decoder.
    pub fn open(path: &Path) -> Result<Self, IoError> {
        let file = File::open(path).map_err(|e| IoError::io(path, "cannot open", e))?;
        Self::from_file(path, file)
    }

    fn from_file(path: &Path, file: File) -> Result<Self, IoError> {
        guarded(path, || Self::set_up(path, file))
    }

    fn set_up(path: &Path, mut file: File) -> Result<Self, IoError> {
        let sniffed = sniffed_name(&mut file);
        let format = probe(path, file).map_err(|e| match e {
            SymError::Unsupported(_) => IoError::unsupported(
                path,
                format!("{NO_FORMAT} (WAV, RF64, FLAC, MP3, Ogg Vorbis, AIFF)"),
            ),
            other => symphonia_error(path, sniffed, other),
        })?;
        let name = format.format_info().short_name;
        let track = format
            .default_track(TrackType::Audio)
            .ok_or_else(|| IoError::unsupported(path, format!("{name}: no audio track")))?
            .clone();
        let Some(CodecParameters::Audio(params)) = track.codec_params.clone() else {
            return Err(IoError::unsupported(
                path,
                format!("{name}: no audio parameters"),
            ));
        };
        let rate = params
            .sample_rate
            .ok_or_else(|| IoError::corrupt(path, format!("{name}: no sample rate")))?;
        check_sample_rate(rate).map_err(|e| IoError::audio(path, e))?;
        let channels = params.channels.as_ref().map_or(0, |c| c.count());
        if channels == 0 {
            return Err(IoError::audio(path, AudioError::NoChannels));
        }
        let decoder = symphonia::default::get_codecs()
            .make_audio_decoder(&params, &AudioDecoderOptions::default())
            .map_err(|e| symphonia_error(path, name, e))?;
        let declared = track
            .num_frames
            .filter(|_| name != "mp3" || track.delay.is_some());
        Ok(Self {
            path: path.to_path_buf(),
            name,
            format,
            decoder,
            track_id: track.id,
            channels,
            rate,
            declared,
            limit: declared.map_or(u64::from(rate) * MAX_UNDECLARED_SECS, |n| {
                n.saturating_add(DECLARED_SLACK_FRAMES)
            }),
            bad_packets: 0,
            decoded: 0,
            handed: 0,
            pending: Vec::new(),
            ended: false,
        })
    }

    pub fn channels(&self) -> usize {
        self.channels
    }

    pub fn sample_rate(&self) -> u32 {
        self.rate
    }

    /// The container's short name (`flac`, `mp3`, `ogg`, `aiff`, …).
    pub fn format_name(&self) -> &'static str {
        self.name
    }

    /// The frame count the container declares, if it declares a reliable one.
    pub fn declared_frames(&self) -> Option<u64> {
        self.declared
    }

    /// Replaces `out` with up to `max_frames` interleaved frames; returns how many (0 at the
    /// end). A stream that ends before its declared length is an error, as in the
    /// whole-file reader.
    pub fn read_chunk(&mut self, out: &mut Vec<f32>, max_frames: usize) -> Result<usize, IoError> {
        out.clear();
        let want = max_frames * self.channels;
        while self.pending.len() < want && !self.ended {
            let path = self.path.clone();
            if let Err(e) = guarded(&path, || self.decode_packet()) {
                self.ended = true;
                return Err(e);
            }
        }
        let take = want.min(self.pending.len());
        out.extend(self.pending.drain(..take));
        if let Some(i) = auralis_core::first_invalid_sample(out) {
            let frame = self.handed as usize + i / self.channels;
            let source = AudioError::invalid_sample(i % self.channels, frame, out[i]);
            out.clear();
            return Err(IoError::audio(&self.path, source));
        }
        self.handed += (take / self.channels) as u64;
        Ok(take / self.channels)
    }

    /// Decodes the next packet of the track into `pending` (or notes the end).
    fn decode_packet(&mut self) -> Result<(), IoError> {
        let (path, name) = (self.path.as_path(), self.name);
        let packet = match self.format.next_packet() {
            Ok(Some(p)) => p,
            Ok(None) => return self.end(),
            Err(SymError::IoError(e))
                if e.kind() == io::ErrorKind::UnexpectedEof && self.declared.is_none() =>
            {
                return self.end()
            }
            Err(e) => return Err(symphonia_error(path, name, e)),
        };
        if packet.track_id != self.track_id {
            return Ok(());
        }
        let buf = match self.decoder.decode(&packet) {
            Ok(buf) => buf,
            Err(SymError::DecodeError(_)) if self.bad_packets < MAX_BAD_PACKETS => {
                self.bad_packets += 1;
                return Ok(());
            }
            Err(e) => return Err(symphonia_error(path, name, e)),
        };
        if buf.num_planes() != self.channels {
            return Err(IoError::unsupported(
                path,
                format!(
                    "{name}: the channel count changes from {} to {} mid-stream",
                    self.channels,
                    buf.num_planes()
                ),
            ));
        }
        if self.decoded + buf.frames() as u64 > self.limit {
            return Err(IoError::corrupt(
                path,
                format!(
                    "{name}: decodes to more than {} frames (declared: {:?})",
                    self.limit, self.declared
                ),
            ));
        }
        let base = self.pending.len();
        self.pending
            .resize(base + buf.frames() * self.channels, 0.0);
        buf.copy_to_slice_interleaved::<f32, _>(&mut self.pending[base..]);
        self.decoded += buf.frames() as u64;
        Ok(())
    }

    /// The stream ended: an error if before its declared length.
    fn end(&mut self) -> Result<(), IoError> {
        self.ended = true;
        match self.declared {
            Some(n) if self.decoded < n => Err(IoError::corrupt(
                &self.path,
                format!(
                    "{}: truncated: the header declares {n} frames but the data ends after {}",
                    self.name, self.decoded
                ),
            )),
            _ => Ok(()),
        }
    }
}

/// The container's name from its first bytes, for messages about files the probe could not
/// open (a truncated Ogg or AIFF fails there, before symphonia names the format).
fn sniffed_name(file: &mut File) -> &'static str {
    use std::io::{Read, Seek, SeekFrom};
    let mut magic = [0u8; 4];
    let got = file.read(&mut magic).unwrap_or(0);
    let _ = file.seek(SeekFrom::Start(0));
    match &magic[..got] {
        b"fLaC" => "flac",
        b"OggS" => "ogg",
        b"FORM" => "aiff",
        [b'I', b'D', b'3', _] => "mp3",
        [0xFF, b, _, _] if b & 0xE0 == 0xE0 => "mp3",
        _ => "unknown format",
    }
}

/// symphonia's probe of `file`, hinted by `path`'s extension: the set-up every reader of a
/// non-WAV file shares (decoding, tags, the declared duration).
fn probe(
    path: &Path,
    file: File,
) -> Result<Box<dyn symphonia::core::formats::FormatReader>, SymError> {
    let source = MediaSourceStream::new(Box::new(file), Default::default());
    let mut hint = Hint::new();
    if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
        hint.with_extension(ext);
    }
    symphonia::default::get_probe().probe(
        &hint,
        source,
        FormatOptions::default(),
        MetadataOptions::default(),
    )
}

/// The duration a non-WAV file's container declares, seconds (`None` when it declares none
/// or cannot be probed). symphonia has panicked on crafted input before: a probe must not
/// take a batch down.
pub(crate) fn declared_duration_secs(path: &Path, file: File) -> Option<f64> {
    catch_unwind(AssertUnwindSafe(|| {
        let format = probe(path, file).ok()?;
        let track = format.default_track(TrackType::Audio)?;
        let frames = track.num_frames?;
        let rate = match track.codec_params.as_ref()? {
            CodecParameters::Audio(p) => p.sample_rate?,
            _ => return None,
        };
        (rate > 0).then(|| frames as f64 / f64::from(rate))
    }))
    .ok()
    .flatten()
}

/// symphonia's error, named by the detected container.
fn symphonia_error(path: &Path, format: &str, err: SymError) -> IoError {
    match err {
        SymError::IoError(e) if e.kind() == io::ErrorKind::UnexpectedEof => IoError::corrupt(
            path,
            format!("{format}: the file ends in the middle of the audio (truncated?)"),
        ),
        SymError::IoError(e) => IoError::io(path, "cannot read", e),
        SymError::Unsupported(what) => {
            IoError::unsupported(path, format!("{format}: unsupported: {what}"))
        }
        SymError::ResetRequired => IoError::unsupported(
            path,
            format!("{format}: chained streams whose parameters change are not read"),
        ),
        other => IoError::corrupt(path, format!("{format}: {other}")),
    }
}

/// The tags of a FLAC, Ogg, MP3 or AIFF file as Vorbis-comment pairs (`TITLE`, `ARTIST`, …):
/// Vorbis comments as they are, other containers' standard tags mapped to their Vorbis
/// names. Best effort: a file without tags, or one symphonia cannot probe, has none (the
/// audio reader reports real errors). A WAV file's tags are its `LIST`/`INFO` tags
/// ([`crate::read_wav_metadata`]).
pub fn read_tags(path: &Path) -> Vec<(String, String)> {
    use symphonia::core::meta::StandardTag as S;
    let Ok(mut file) = File::open(path) else {
        return Vec::new();
    };
    if sniffed_name(&mut file) == "unknown format" {
        return crate::read_wav_metadata(path).tags;
    }
    let probed = catch_unwind(AssertUnwindSafe(|| probe(path, file)));
    let Ok(Ok(mut format)) = probed else {
        return Vec::new();
    };
    let vorbis = matches!(format.format_info().short_name, "flac" | "ogg");
    let mut metadata = format.metadata();
    let Some(revision) = metadata.skip_to_latest() else {
        return Vec::new();
    };
    let mut tags = Vec::new();
    for tag in &revision.media.tags {
        if vorbis {
            tags.push((tag.raw.key.to_ascii_uppercase(), tag.raw.value.to_string()));
            continue;
        }
        let mapped = match &tag.std {
            Some(S::TrackTitle(v)) => Some(("TITLE", v.to_string())),
            Some(S::Artist(v)) => Some(("ARTIST", v.to_string())),
            Some(S::Album(v)) => Some(("ALBUM", v.to_string())),
            Some(S::Genre(v)) => Some(("GENRE", v.to_string())),
            Some(S::TrackNumber(n)) => Some(("TRACKNUMBER", n.to_string())),
            _ if tag.raw.key.eq_ignore_ascii_case("TSRC") => {
                Some(("ISRC", tag.raw.value.to_string()))
            }
            _ => None,
        };
        if let Some((k, v)) = mapped {
            tags.push((k.to_string(), v));
        }
    }
    tags
}

/// The pictures (cover art) of a FLAC, Ogg, MP3 or AIFF file as FLAC PICTURE block bodies
/// (type, MIME type, description, size, data: the layout FLAC stores and a FLAC output
/// writes back). Best effort, like [`read_tags`]: none when there are none or the file cannot
/// be probed.
pub fn read_pictures(path: &Path) -> Vec<Vec<u8>> {
    use symphonia::core::meta::StandardVisualKey as K;
    let Ok(mut file) = File::open(path) else {
        return Vec::new();
    };
    if sniffed_name(&mut file) == "unknown format" {
        return Vec::new();
    }
    let probed = catch_unwind(AssertUnwindSafe(|| probe(path, file)));
    let Ok(Ok(mut format)) = probed else {
        return Vec::new();
    };
    let mut metadata = format.metadata();
    let Some(revision) = metadata.skip_to_latest() else {
        return Vec::new();
    };
    revision
        .media
        .visuals
        .iter()
        .map(|v| {
            // The ID3v2 APIC picture types, which FLAC uses too.
            let kind: u32 = match v.usage {
                Some(K::FileIcon) => 1,
                Some(K::OtherIcon) => 2,
                Some(K::FrontCover) => 3,
                Some(K::BackCover) => 4,
                Some(K::Leaflet) => 5,
                Some(K::Media) => 6,
                Some(K::LeadArtistPerformerSoloist) => 7,
                Some(K::ArtistPerformer) => 8,
                Some(K::Conductor) => 9,
                Some(K::BandOrchestra) => 10,
                Some(K::Composer) => 11,
                Some(K::Lyricist) => 12,
                Some(K::RecordingLocation) => 13,
                Some(K::RecordingSession) => 14,
                Some(K::Performance) => 15,
                Some(K::ScreenCapture) => 16,
                Some(K::Illustration) => 18,
                Some(K::BandArtistLogo) => 19,
                Some(K::PublisherStudioLogo) => 20,
                _ => 0,
            };
            let mime = v.media_type.as_deref().unwrap_or("");
            let (width, height) = v.dimensions.map_or((0, 0), |d| (d.width, d.height));
            let mut body = Vec::with_capacity(32 + mime.len() + v.data.len());
            body.extend_from_slice(&kind.to_be_bytes());
            body.extend_from_slice(&(mime.len() as u32).to_be_bytes());
            body.extend_from_slice(mime.as_bytes());
            body.extend_from_slice(&0u32.to_be_bytes()); // no description
            for value in [width, height, 0, 0] {
                body.extend_from_slice(&value.to_be_bytes());
            }
            body.extend_from_slice(&(v.data.len() as u32).to_be_bytes());
            body.extend_from_slice(&v.data);
            body
        })
        .collect()
}
