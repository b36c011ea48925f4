//! The input of `auralis master` as the streamed chain reads it: a WAV file chunk by chunk,
//! a FLAC, MP3, Ogg or AIFF file packet by packet (each re-opened for every pass, so memory
//! does not grow with the length), or audio decoded whole (standard input, a rate
//! conversion, an MP3 that declares no length) — the same chain either way, so a track
//! gives the same master from a WAV and from a FLAC.
//!
//! Whatever the first complete pass reads is hashed: the dither's seed, so a re-run gives
//! the same bits.

use std::path::{Path, PathBuf};

use auralis::io::{CompressedChunkReader, ContentHasher, IoError, WavChunkReader, WavSpec};
use auralis::pipeline::Source;
use auralis::{AudioBuffer, Error};

use crate::commands::{read, CliError};

enum Input {
    Wav {
        path: PathBuf,
        reader: WavChunkReader,
        spec: WavSpec,
    },
    Compressed {
        path: PathBuf,
        reader: CompressedChunkReader,
        frames: u64,
    },
    Decoded {
        audio: AudioBuffer,
        position: usize,
    },
}

/// A [`Source`] over the user's input file.
pub struct InputSource {
    input: Input,
    hasher: ContentHasher,
    hashed: bool,
}

/// The error for an input file that changed between two passes.
fn changed(path: &Path) -> Error {
    Error::param(
        "input",
        format!("{} changed while it was being mastered", path.display()),
    )
}

/// A read error as the chain carries it (the message is the reader's: it names the file).
fn input_error(e: IoError) -> Error {
    Error::Other(e.to_string())
}

impl InputSource {
    /// Opens `path`: streamed if it is a file of declared length and no conversion to
    /// another `rate` is asked for, else decoded whole (and converted to `rate`).
    pub fn open(path: &Path, rate: Option<u32>) -> Result<Self, CliError> {
        if let Some(source) = Self::open_streaming(path, false) {
            // A conversion to the rate the file already has is none.
            if rate.is_none_or(|r| r == source.sample_rate()) {
                return Ok(source);
            }
        }
        let audio = read(path)?;
        let audio = match rate {
            Some(rate) => auralis::io::convert_rate(&audio, rate).map_err(CliError::usage)?,
            None => audio,
        };
        Ok(Self::new(Input::Decoded { audio, position: 0 }))
    }

    /// `path` as a stream if it can be one: a WAV file, or a non-WAV file that declares its
    /// length — with `exact_length`, only FLAC, whose STREAMINFO count is exact (a writer
    /// that puts the length in its header first needs it exact; the decoders tolerate a few
    /// frames more than an MP3 or Ogg declares). `None` otherwise (standard input, an MP3
    /// without a length, anything the readers refuse — the whole-file reader then reports
    /// it).
    pub fn open_streaming(path: &Path, exact_length: bool) -> Option<Self> {
        if path == Path::new("-") {
            return None;
        }
        if let Ok(reader) = WavChunkReader::open(path) {
            return Some(Self::new(Input::Wav {
                path: path.to_path_buf(),
                spec: reader.spec(),
                reader,
            }));
        }
        let reader = CompressedChunkReader::open(path)
            .ok()
            .filter(|r| !exact_length || r.format_name() == "flac")?;
        Some(Self::new(Input::Compressed {
            path: path.to_path_buf(),
            frames: reader.declared_frames()?,
            reader,
        }))
    }

    fn new(input: Input) -> Self {
        Self {
            input,
            hasher: ContentHasher::new(),
            hashed: false,
        }
    }

    /// Frames in the input (as its header declares them, for a streamed WAV).
    pub fn frames(&self) -> u64 {
        match &self.input {
            Input::Wav { spec, .. } => spec.frames,
            Input::Compressed { frames, .. } => *frames,
            Input::Decoded { audio, .. } => audio.len() as u64,
        }
    }

    /// The dither seed: a hash of the input's samples, known once a pass has read them all.
    pub fn seed(&self) -> Option<u64> {
        self.hashed.then(|| self.hasher.seed(self.channels()))
    }
}

impl Source for InputSource {
    fn channels(&self) -> usize {
        match &self.input {
            Input::Wav { spec, .. } => spec.channels,
            Input::Compressed { reader, .. } => reader.channels(),
            Input::Decoded { audio, .. } => audio.num_channels(),
        }
    }

    fn sample_rate(&self) -> u32 {
        match &self.input {
            Input::Wav { spec, .. } => spec.sample_rate,
            Input::Compressed { reader, .. } => reader.sample_rate(),
            Input::Decoded { audio, .. } => audio.sample_rate(),
        }
    }

    fn channel_mask(&self) -> Option<u32> {
        match &self.input {
            Input::Wav { spec, .. } => spec.channel_mask,
            Input::Compressed { .. } => None,
            Input::Decoded { audio, .. } => audio.channel_mask(),
        }
    }

    fn read(&mut self, out: &mut Vec<f32>, max_frames: usize) -> auralis::Result<usize> {
        let frames = match &mut self.input {
            Input::Wav { reader, .. } => reader.read_chunk(out, max_frames).map_err(input_error)?,
            Input::Compressed { reader, .. } => {
                reader.read_chunk(out, max_frames).map_err(input_error)?
            }
            Input::Decoded { audio, position } => {
                auralis::pipeline::read_interleaved(audio, position, out, max_frames)
            }
        };
        if !self.hashed {
            self.hasher.update(out);
            self.hashed = frames == 0;
        }
        Ok(frames)
    }

    fn rewind(&mut self) -> auralis::Result<()> {
        if !self.hashed {
            self.hasher = ContentHasher::new();
        }
        match &mut self.input {
            Input::Wav { path, reader, spec } => {
                let again = WavChunkReader::open(path).map_err(input_error)?;
                if again.spec() != *spec {
                    return Err(changed(path));
                }
                *reader = again;
            }
            Input::Compressed {
                path,
                reader,
                frames,
            } => {
                let again = CompressedChunkReader::open(path).map_err(input_error)?;
                let shape = |r: &CompressedChunkReader| {
                    (r.channels(), r.sample_rate(), r.declared_frames())
                };
                if shape(&again) != (reader.channels(), reader.sample_rate(), Some(*frames)) {
                    return Err(changed(path));
                }
                *reader = again;
            }
            Input::Decoded { position, .. } => *position = 0,
        }
        Ok(())
    }
}
