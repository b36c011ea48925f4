//! Typed errors. Bad input must produce one of these with a message a user can act on —
//! never a panic and never silently wrong output.

use thiserror::Error;

/// Why an [`crate::AudioBuffer`] could not be built.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum AudioError {
    #[error("audio has no channels")]
    NoChannels,
    #[error("audio is empty (0 samples per channel)")]
    Empty,
    #[error("channel {channel} has {found} samples but channel 0 has {expected}; all channels must have the same length")]
    ChannelLengthMismatch {
        channel: usize,
        expected: usize,
        found: usize,
    },
    #[error(
        "sample {index} of channel {channel} is {value}; audio must be finite (no NaN or Inf)"
    )]
    NonFinite {
        channel: usize,
        index: usize,
        value: f32,
    },
    #[error(
        "sample {index} of channel {channel} is {value:e}; samples must lie within ±{max} \
         (+{:.1} dBFS): scale the input down",
        20.0 * max.log10()
    )]
    OutOfRange {
        channel: usize,
        index: usize,
        value: f32,
        max: f32,
    },
    #[error("sample rate {rate} Hz is outside the supported range {min}..={max} Hz")]
    SampleRate { rate: u32, min: u32, max: u32 },
    #[error("interleaved data of {len} samples does not divide into {channels} channels")]
    Interleaving { len: usize, channels: usize },
}

impl AudioError {
    /// The error for the invalid sample `value` (found by
    /// [`crate::audio::first_invalid_sample`]): non-finite, or finite and out of range.
    pub fn invalid_sample(channel: usize, index: usize, value: f32) -> Self {
        if value.is_finite() {
            AudioError::OutOfRange {
                channel,
                index,
                value,
                max: crate::audio::MAX_SAMPLE_MAGNITUDE,
            }
        } else {
            AudioError::NonFinite {
                channel,
                index,
                value,
            }
        }
    }
}

/// The error type shared by every stage and the lab (`#[non_exhaustive]`: new failure kinds
/// can be added without breaking callers' matches).
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    #[error("invalid audio: {0}")]
    Audio(#[from] AudioError),
    #[error("invalid parameter `{name}`: {reason}")]
    InvalidParameter { name: &'static str, reason: String },
    #[error("stream error: {0}")]
    Stream(String),
    /// A file the computation itself needed (a temporary spool) could not be written or
    /// read: the machine's failure (a full disk), not the input's.
    #[error("I/O error: {0}")]
    Io(String),
    #[error("stage `{stage}` has no `{kind}` implementation")]
    UnknownImplementation { stage: &'static str, kind: String },
    #[error("{0}")]
    Other(String),
}

impl Error {
    /// Shorthand for [`Error::InvalidParameter`].
    pub fn param(name: &'static str, reason: impl Into<String>) -> Self {
        Error::InvalidParameter {
            name,
            reason: reason.into(),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
