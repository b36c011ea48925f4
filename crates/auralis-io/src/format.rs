//! Sample encodings and the description of a WAV file's audio.

/// How samples are stored in a WAV file. Integer formats are PCM (8-bit unsigned with an
/// offset of 128, as the WAV format prescribes; wider ones signed little-endian); `Float32`
/// is IEEE float. All of them are read, and all of them can be written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum SampleFormat {
    Int8,
    /// CD quality. Written with rounding and clipping (see [`crate::write_wav`]).
    Int16,
    Int24,
    Int32,
    /// Lossless for everything the stages compute; the default.
    #[default]
    Float32,
    /// 64-bit IEEE float: read (to `f32`), not written.
    Float64,
}

impl SampleFormat {
    /// Every format that is written, in order of width (64-bit float is only read).
    pub const ALL: [SampleFormat; 5] = [
        SampleFormat::Int8,
        SampleFormat::Int16,
        SampleFormat::Int24,
        SampleFormat::Int32,
        SampleFormat::Float32,
    ];

    /// Bits per sample as stored.
    pub fn bits(self) -> u16 {
        8 * self.bytes() as u16
    }

    /// Bytes per sample as stored (the container is always exactly as wide as the sample).
    pub fn bytes(self) -> usize {
        match self {
            SampleFormat::Int8 => 1,
            SampleFormat::Int16 => 2,
            SampleFormat::Int24 => 3,
            SampleFormat::Int32 | SampleFormat::Float32 => 4,
            SampleFormat::Float64 => 8,
        }
    }

    /// True for IEEE float, false for integer PCM.
    pub fn is_float(self) -> bool {
        matches!(self, SampleFormat::Float32 | SampleFormat::Float64)
    }

    /// For integer formats, `2^(bits−1)`: a stored integer `i` means `i / full_scale`, so
    /// values lie in `[-1, 1)`. `None` for float.
    pub fn full_scale(self) -> Option<f64> {
        (!self.is_float()).then(|| (1u64 << (self.bits() - 1)) as f64)
    }
}

/// What a WAV file holds, from its header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WavSpec {
    pub channels: usize,
    pub sample_rate: u32,
    /// The container each sample is stored in.
    pub format: SampleFormat,
    /// Bits of the container that carry the sample (WAVE_FORMAT_EXTENSIBLE: 20 in a 24-bit
    /// container); equal to the container's width otherwise.
    pub valid_bits: u16,
    /// Samples per channel, as the header declares (or as the file's size implies when the
    /// header left the size open).
    pub frames: u64,
    /// The WAVE_FORMAT_EXTENSIBLE speaker mask, when the file declares one other than the
    /// default for its channel count (bit 3 is LFE).
    pub channel_mask: Option<u32>,
}

impl WavSpec {
    /// Bytes per frame (all channels of one sample instant).
    pub fn frame_bytes(&self) -> usize {
        self.channels * self.format.bytes()
    }

    /// Bytes of sample data the header declares.
    pub fn data_bytes(&self) -> u64 {
        self.frames * self.frame_bytes() as u64
    }

    /// Duration in seconds.
    pub fn duration_secs(&self) -> f64 {
        self.frames as f64 / self.sample_rate as f64
    }
}
