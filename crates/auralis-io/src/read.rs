//! Reading audio files whole ([`read_audio`]: WAV here, every other format through
//! symphonia) or WAV in chunks ([`WavChunkReader`]).

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};

use auralis_core::{AudioBuffer, AudioError};

use crate::decode::{decode_interleaved, decode_planar};
use crate::error::IoError;
use crate::format::WavSpec;
use crate::header::{read_header, Header};

/// Bytes decoded per step when reading a whole file: large enough to amortise the read
/// calls, small enough to stay in L2 while it is decoded.
const READ_CHUNK_BYTES: usize = 256 * 1024;
/// Samples (all channels) reserved up front when the header's claim cannot be checked
/// against a file size (a stream), so that a lying header cannot make us allocate gigabytes.
const UNVERIFIED_RESERVE_SAMPLES: u64 = 1 << 22;

/// Reads a whole audio file: WAV (RIFF or RF64; 8/16/24/32-bit integer PCM, also in
/// WAVE_FORMAT_EXTENSIBLE's padded containers, 32/64-bit float, any channel count), FLAC,
/// MP3, Ogg Vorbis or AIFF, told apart by content, not name. Integer samples are scaled into
/// `[-1, 1)`. A pipe or device is read as a WAV stream.
///
/// Every failure is a typed [`IoError`] naming the file and, where one was recognised, the
/// format: missing file, directory, empty or truncated file, garbage, unsupported encoding,
/// or samples that are not valid audio (NaN/Inf, beyond the input bound, zero frames, a
/// sample rate outside 8–192 kHz).
pub fn read_audio(path: &Path) -> Result<AudioBuffer, IoError> {
    let (mut file, file_len) = open_file(path)?;
    if file_len.is_some() && !starts_like_wav(&mut file, path)? {
        let named_wav = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("wav") || e.eq_ignore_ascii_case("wave"));
        return match crate::compressed::read_compressed(path, file) {
            // Content decides the format, but a `.wav` that is no format at all is a broken
            // WAV file, and its error should say what a WAV file lacks.
            Err(IoError::Unsupported { reason, .. })
                if named_wav && reason.starts_with(crate::compressed::NO_FORMAT) =>
            {
                Err(IoError::corrupt(
                    path,
                    "WAV: no RIFF header (is it a WAV file?)",
                ))
            }
            other => other,
        };
    }
    read_wav_file(path, file, file_len).map_err(|e| e.in_format("WAV"))
}

/// The former name of [`read_audio`], which it calls: despite the name, every supported
/// format is read.
pub fn read_wav(path: &Path) -> Result<AudioBuffer, IoError> {
    read_audio(path)
}

/// Whether the file begins with a RIFF-family magic (`RIFF`, `RF64`, `BW64`, `RIFX`);
/// leaves the file at its start.
fn starts_like_wav(file: &mut File, path: &Path) -> Result<bool, IoError> {
    use std::io::{Seek, SeekFrom};
    let mut magic = [0u8; 4];
    let got = read_full(file, &mut magic).map_err(|e| IoError::io(path, "cannot read", e))?;
    file.seek(SeekFrom::Start(0))
        .map_err(|e| IoError::io(path, "cannot read", e))?;
    Ok(got < 4 || crate::header::is_riff_family(&magic))
}

fn read_wav_file(path: &Path, file: File, file_len: Option<u64>) -> Result<AudioBuffer, IoError> {
    let mut reader = BufReader::with_capacity(64 * 1024, file);
    let mut header = read_header(&mut reader, path)?;
    let reserve = match file_len {
        Some(len) => {
            size_open_length(&mut header, len, path)?;
            check_not_truncated(&header, len, path)?;
            header.spec.frames
        }
        None => unverified_reserve(&header.spec),
    };
    read_samples(reader, &header, path, reserve)
}

/// A header that left the data size open (`0xFFFFFFFF`): in a regular file, the samples
/// are whatever follows the header, in whole frames.
fn size_open_length(header: &mut Header, file_len: u64, path: &Path) -> Result<(), IoError> {
    if header.length_unknown {
        let bytes = file_len.saturating_sub(header.data_offset);
        header.spec.frames = bytes / header.spec.frame_bytes() as u64;
        if header.spec.frames == 0 {
            return Err(IoError::audio(path, AudioError::Empty));
        }
    }
    Ok(())
}

/// Reads a whole WAV stream from any reader; `name` stands for the source in error messages.
/// The stream may be unbuffered (it is buffered here).
pub fn read_wav_from(reader: impl Read, name: &str) -> Result<AudioBuffer, IoError> {
    let path = Path::new(name);
    let mut reader = BufReader::with_capacity(64 * 1024, reader);
    let header = read_header(&mut reader, path).map_err(|e| e.in_format("WAV"))?;
    let reserve = unverified_reserve(&header.spec);
    read_samples(reader, &header, path, reserve).map_err(|e| e.in_format("WAV"))
}

/// Frames to reserve when the header's length cannot be checked against a file size.
fn unverified_reserve(spec: &WavSpec) -> u64 {
    spec.frames
        .min(UNVERIFIED_RESERVE_SAMPLES / spec.channels as u64)
}

/// Opens a file for reading, with a precise error for what is not a readable file. Returns
/// its length if it is a regular file (a pipe or device has none to check against).
fn open_file(path: &Path) -> Result<(File, Option<u64>), IoError> {
    let meta = std::fs::metadata(path).map_err(|e| IoError::io(path, "cannot read", e))?;
    if meta.is_dir() {
        let source = io::Error::new(
            io::ErrorKind::IsADirectory,
            "it is a directory, not a WAV file",
        );
        return Err(IoError::io(path, "cannot read", source));
    }
    let len = meta.is_file().then_some(meta.len());
    if len == Some(0) {
        return Err(IoError::corrupt(path, "the file is empty (0 bytes)"));
    }
    let file = File::open(path).map_err(|e| IoError::io(path, "cannot open", e))?;
    Ok((file, len))
}

/// A header that promises more samples than the file holds is a truncated file; saying so
/// before reading gives the clearest message and bounds the allocation by the file size.
fn check_not_truncated(header: &Header, file_len: u64, path: &Path) -> Result<(), IoError> {
    let available = file_len.saturating_sub(header.data_offset);
    let spec = &header.spec;
    if spec.data_bytes() > available {
        return Err(truncated(path, spec, available / spec.frame_bytes() as u64));
    }
    Ok(())
}

fn truncated(path: &Path, spec: &WavSpec, frames_present: u64) -> IoError {
    IoError::corrupt(
        path,
        format!(
            "truncated: the header declares {} frames but the data ends after {frames_present}",
            spec.frames
        ),
    )
}

/// Reads `buf.len()` bytes unless the stream ends first; returns how many were read.
fn read_full(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Reads and decodes all samples after the header into a validated buffer.
fn read_samples(
    mut reader: impl Read,
    header: &Header,
    path: &Path,
    reserve_frames: u64,
) -> Result<AudioBuffer, IoError> {
    let spec = header.spec;
    let frame_bytes = spec.frame_bytes();
    let mut channels: Vec<Vec<f32>> = (0..spec.channels)
        .map(|_| Vec::with_capacity(reserve_frames as usize))
        .collect();
    let chunk_frames = (READ_CHUNK_BYTES / frame_bytes).max(1) as u64;
    let mut buf = vec![0u8; chunk_frames as usize * frame_bytes];
    let mut done = 0u64;
    while done < spec.frames {
        let frames = chunk_frames.min(spec.frames - done);
        let want = frames as usize * frame_bytes;
        let got = read_full(&mut reader, &mut buf[..want])
            .map_err(|e| IoError::io(path, "cannot read", e))?;
        if got < want {
            if !header.length_unknown {
                return Err(truncated(path, &spec, done + (got / frame_bytes) as u64));
            }
            // An open-ended stream: its end is the end of the samples (whole frames).
            let whole = got / frame_bytes * frame_bytes;
            decode_planar(spec.format, &buf[..whole], &mut channels);
            break;
        }
        decode_planar(spec.format, &buf[..want], &mut channels);
        done += frames;
    }
    AudioBuffer::new(channels, spec.sample_rate)
        .map(|a| a.with_channel_mask(spec.channel_mask))
        .map_err(|e| IoError::audio(path, e))
}

/// Reads a WAV file a chunk at a time, for streaming: memory stays bounded by the chunk
/// size, and after the first call with the largest chunk size no call allocates.
///
/// ```no_run
/// # fn main() -> Result<(), auralis_io::IoError> {
/// let mut reader = auralis_io::WavChunkReader::open("in.wav".as_ref())?;
/// let mut chunk = Vec::new();
/// while reader.read_chunk(&mut chunk, 4096)? > 0 {
///     // `chunk` holds up to 4096 interleaved frames.
/// }
/// # Ok(()) }
/// ```
pub struct WavChunkReader {
    path: PathBuf,
    reader: BufReader<File>,
    spec: WavSpec,
    frames_read: u64,
    bytes: Vec<u8>,
}

impl WavChunkReader {
    /// Opens `path` and reads its header; the same checks as [`read_wav`] apply, except
    /// NaN/Inf samples, which are found when the chunk containing them is read.
    pub fn open(path: &Path) -> Result<Self, IoError> {
        let (file, file_len) = open_file(path)?;
        let mut reader = BufReader::with_capacity(64 * 1024, file);
        let mut header = read_header(&mut reader, path)?;
        if let Some(len) = file_len {
            size_open_length(&mut header, len, path)?;
            check_not_truncated(&header, len, path)?;
        } else if header.length_unknown {
            return Err(IoError::unsupported(
                path,
                "a stream whose header leaves the data size open cannot be read in chunks",
            ));
        }
        Ok(Self {
            path: path.to_path_buf(),
            reader,
            spec: header.spec,
            frames_read: 0,
            bytes: Vec::new(),
        })
    }

    /// What the file holds.
    pub fn spec(&self) -> WavSpec {
        self.spec
    }

    /// Frames not read yet.
    pub fn frames_remaining(&self) -> u64 {
        self.spec.frames - self.frames_read
    }

    /// Replaces the contents of `out` with up to `max_frames` interleaved frames (scaled like
    /// [`read_wav`]) and returns how many frames that is: 0 once the file is exhausted (or if
    /// `max_frames` is 0).
    pub fn read_chunk(&mut self, out: &mut Vec<f32>, max_frames: usize) -> Result<usize, IoError> {
        out.clear();
        let frames = (max_frames as u64).min(self.frames_remaining()) as usize;
        if frames == 0 {
            return Ok(0);
        }
        let frame_bytes = self.spec.frame_bytes();
        let want = frames * frame_bytes;
        if self.bytes.len() < want {
            self.bytes.resize(want, 0);
        }
        let got = read_full(&mut self.reader, &mut self.bytes[..want])
            .map_err(|e| IoError::io(&self.path, "cannot read", e))?;
        if got < want {
            let present = self.frames_read + (got / frame_bytes) as u64;
            return Err(truncated(&self.path, &self.spec, present));
        }
        decode_interleaved(self.spec.format, &self.bytes[..want], out);
        if let Some(i) = auralis_core::first_invalid_sample(out) {
            let channels = self.spec.channels;
            let source = AudioError::invalid_sample(
                i % channels,
                (self.frames_read + (i / channels) as u64) as usize,
                out[i],
            );
            out.clear();
            return Err(IoError::audio(&self.path, source));
        }
        self.frames_read += frames as u64;
        Ok(frames)
    }
}
