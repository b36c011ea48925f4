//! Where the streamed chain keeps audio between its passes, and what it reads from.
//!
//! The chain reads its input twice (analysis, then EQ → compressor) and the compressor's
//! output once per gain-and-limit pass; none of that may live in memory for a long file, so
//! the passes meet in a [`Spool`]: interleaved `f32` in memory (the lab, short inputs) or in
//! an unnamed temporary file (the command line: the kernel deletes it when it is closed, so
//! nothing is left behind even if the process is killed).

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use auralis_core::{AudioBuffer, Error, Result};

/// Interleaved audio that can be read from its start again.
pub trait Source {
    fn channels(&self) -> usize;
    fn sample_rate(&self) -> u32;
    /// The WAV speaker mask, if the input declares one (it sets the loudness weights).
    fn channel_mask(&self) -> Option<u32> {
        None
    }
    /// Replaces `out` with the next frames, at most `max_frames`; returns how many (0 at
    /// the end). Samples are finite (a source checks what it decodes).
    fn read(&mut self, out: &mut Vec<f32>, max_frames: usize) -> Result<usize>;
    /// Back to the first frame.
    fn rewind(&mut self) -> Result<()>;
}

/// An [`AudioBuffer`] as a [`Source`].
pub struct BufferSource<'a> {
    audio: &'a AudioBuffer,
    position: usize,
}

impl<'a> BufferSource<'a> {
    pub fn new(audio: &'a AudioBuffer) -> Self {
        Self { audio, position: 0 }
    }
}

impl Source for BufferSource<'_> {
    fn channels(&self) -> usize {
        self.audio.num_channels()
    }

    fn sample_rate(&self) -> u32 {
        self.audio.sample_rate()
    }

    fn channel_mask(&self) -> Option<u32> {
        self.audio.channel_mask()
    }

    fn read(&mut self, out: &mut Vec<f32>, max_frames: usize) -> Result<usize> {
        Ok(read_interleaved(
            self.audio,
            &mut self.position,
            out,
            max_frames,
        ))
    }

    fn rewind(&mut self) -> Result<()> {
        self.position = 0;
        Ok(())
    }
}

/// Replaces `out` with up to `max_frames` frames of `audio` from `position` on, interleaved,
/// and advances `position`; returns how many (0 at the end). What every in-memory source
/// reads with.
pub fn read_interleaved(
    audio: &AudioBuffer,
    position: &mut usize,
    out: &mut Vec<f32>,
    max_frames: usize,
) -> usize {
    let end = (*position + max_frames).min(audio.len());
    out.clear();
    for i in *position..end {
        out.extend(audio.channels().iter().map(|c| c[i]));
    }
    let frames = end - *position;
    *position = end;
    frames
}

enum Store {
    Memory { samples: Vec<f32>, position: usize },
    File { file: File, bytes: Vec<u8> },
}

/// Interleaved `f32` written once and then read back from the start (exactly: the bits
/// are stored, so a spooled pass gives what an in-memory one would).
pub struct Spool {
    store: Store,
    channels: usize,
    sample_rate: u32,
}

fn io_error(what: &str, e: std::io::Error) -> Error {
    Error::Io(format!("the chain's temporary file: {what}: {e}"))
}

impl Spool {
    /// A spool in memory.
    pub fn in_memory(channels: usize, sample_rate: u32) -> Self {
        Self {
            store: Store::Memory {
                samples: Vec::new(),
                position: 0,
            },
            channels,
            sample_rate,
        }
    }

    /// A spool in an unnamed temporary file in `dir` (on the output's file system, not a
    /// `/tmp` that may be memory).
    pub fn in_dir(dir: &Path, channels: usize, sample_rate: u32) -> Result<Self> {
        let file = tempfile::tempfile_in(dir).map_err(|e| io_error("cannot create", e))?;
        Ok(Self {
            store: Store::File {
                file,
                bytes: Vec::new(),
            },
            channels,
            sample_rate,
        })
    }

    /// Empties the spool for writing.
    pub fn clear(&mut self) -> Result<()> {
        match &mut self.store {
            Store::Memory { samples, position } => {
                samples.clear();
                *position = 0;
            }
            Store::File { file, .. } => {
                file.set_len(0).map_err(|e| io_error("cannot empty", e))?;
                file.seek(SeekFrom::Start(0))
                    .map_err(|e| io_error("cannot seek", e))?;
            }
        }
        Ok(())
    }

    /// Appends interleaved samples.
    pub fn append(&mut self, interleaved: &[f32]) -> Result<()> {
        match &mut self.store {
            Store::Memory { samples, .. } => samples.extend_from_slice(interleaved),
            Store::File { file, bytes } => {
                bytes.clear();
                bytes.extend(interleaved.iter().flat_map(|x| x.to_le_bytes()));
                file.write_all(bytes)
                    .map_err(|e| io_error("cannot write", e))?;
            }
        }
        Ok(())
    }
}

impl Source for Spool {
    fn channels(&self) -> usize {
        self.channels
    }

    fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    fn read(&mut self, out: &mut Vec<f32>, max_frames: usize) -> Result<usize> {
        out.clear();
        let c = self.channels;
        match &mut self.store {
            Store::Memory { samples, position } => {
                let end = (*position + max_frames * c).min(samples.len());
                out.extend_from_slice(&samples[*position..end]);
                *position = end;
            }
            Store::File { file, bytes } => {
                bytes.resize(max_frames * c * 4, 0);
                let mut filled = 0;
                while filled < bytes.len() {
                    match file.read(&mut bytes[filled..]) {
                        Ok(0) => break,
                        Ok(n) => filled += n,
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(io_error("cannot read", e)),
                    }
                }
                out.extend(
                    bytes[..filled]
                        .chunks_exact(4)
                        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
                );
            }
        }
        Ok(out.len() / c)
    }

    fn rewind(&mut self) -> Result<()> {
        match &mut self.store {
            Store::Memory { position, .. } => *position = 0,
            Store::File { file, .. } => {
                file.seek(SeekFrom::Start(0))
                    .map_err(|e| io_error("cannot seek", e))?;
            }
        }
        Ok(())
    }
}
