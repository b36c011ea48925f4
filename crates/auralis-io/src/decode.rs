//! Bytes of a WAV data chunk → `f32` samples, in bulk.
//!
//! Integers are scaled by `1 / 2^(bits−1)`, so they land in `[-1, 1)` — the inverse of the
//! writer's quantisation, which makes integer round trips exact. (A 32-bit integer has more
//! precision than an `f32`; values within 64 of full scale round to exactly 1.0.)

use crate::format::SampleFormat;

/// One stored sample → `f32`, for a container of `B` bytes.
#[inline(always)]
fn int8(b: [u8; 1]) -> f32 {
    (f32::from(b[0]) - 128.0) * (1.0 / 128.0)
}

#[inline(always)]
fn int16(b: [u8; 2]) -> f32 {
    f32::from(i16::from_le_bytes(b)) * (1.0 / 32_768.0)
}

#[inline(always)]
fn int24(b: [u8; 3]) -> f32 {
    // Into the top three bytes of an i32, then an arithmetic shift extends the sign.
    (i32::from_le_bytes([0, b[0], b[1], b[2]]) >> 8) as f32 * (1.0 / 8_388_608.0)
}

#[inline(always)]
fn int32(b: [u8; 4]) -> f32 {
    i32::from_le_bytes(b) as f32 * (1.0 / 2_147_483_648.0)
}

#[inline(always)]
fn float32(b: [u8; 4]) -> f32 {
    f32::from_le_bytes(b)
}

#[inline(always)]
fn float64(b: [u8; 8]) -> f32 {
    f64::from_le_bytes(b) as f32
}

/// Appends the interleaved samples in `bytes` (whole frames) to `out`.
pub(crate) fn decode_interleaved(format: SampleFormat, bytes: &[u8], out: &mut Vec<f32>) {
    match format {
        SampleFormat::Int8 => extend(bytes, out, int8),
        SampleFormat::Int16 => extend(bytes, out, int16),
        SampleFormat::Int24 => extend(bytes, out, int24),
        SampleFormat::Int32 => extend(bytes, out, int32),
        SampleFormat::Float32 => extend(bytes, out, float32),
        SampleFormat::Float64 => extend(bytes, out, float64),
    }
}

/// Appends the frames in `bytes` to the planar `channels` (one `Vec` per channel).
pub(crate) fn decode_planar(format: SampleFormat, bytes: &[u8], channels: &mut [Vec<f32>]) {
    match format {
        SampleFormat::Int8 => scatter(bytes, channels, int8),
        SampleFormat::Int16 => scatter(bytes, channels, int16),
        SampleFormat::Int24 => scatter(bytes, channels, int24),
        SampleFormat::Int32 => scatter(bytes, channels, int32),
        SampleFormat::Float32 => scatter(bytes, channels, float32),
        SampleFormat::Float64 => scatter(bytes, channels, float64),
    }
}

#[inline(always)]
fn extend<const B: usize>(bytes: &[u8], out: &mut Vec<f32>, decode: impl Fn([u8; B]) -> f32) {
    out.extend(
        bytes
            .chunks_exact(B)
            .map(|s| decode(std::array::from_fn(|i| s[i]))),
    );
}

#[inline(always)]
fn scatter<const B: usize>(
    bytes: &[u8],
    channels: &mut [Vec<f32>],
    decode: impl Fn([u8; B]) -> f32,
) {
    let frame = B * channels.len();
    for (c, channel) in channels.iter_mut().enumerate() {
        let offset = c * B;
        channel.extend(
            bytes
                .chunks_exact(frame)
                .map(|f| decode(std::array::from_fn(|i| f[offset + i]))),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(format: SampleFormat, bytes: &[u8]) -> f32 {
        let mut out = Vec::new();
        decode_interleaved(format, bytes, &mut out);
        assert_eq!(out.len(), 1);
        out[0]
    }

    #[test]
    fn integer_extremes_map_to_minus_one_and_just_below_one() {
        assert_eq!(one(SampleFormat::Int8, &[0]), -1.0);
        assert_eq!(one(SampleFormat::Int8, &[128]), 0.0);
        assert_eq!(one(SampleFormat::Int8, &[255]), 127.0 / 128.0);
        assert_eq!(one(SampleFormat::Int16, &[0x00, 0x80]), -1.0);
        assert_eq!(one(SampleFormat::Int16, &[0xff, 0x7f]), 32_767.0 / 32_768.0);
        assert_eq!(one(SampleFormat::Int24, &[0x00, 0x00, 0x80]), -1.0);
        assert_eq!(
            one(SampleFormat::Int24, &[0xff, 0xff, 0x7f]),
            8_388_607.0 / 8_388_608.0
        );
        assert_eq!(
            one(SampleFormat::Int24, &[0xff, 0xff, 0xff]),
            -1.0 / 8_388_608.0
        );
        assert_eq!(one(SampleFormat::Int32, &[0, 0, 0, 0x80]), -1.0);
        assert_eq!(one(SampleFormat::Int32, &[0, 0, 0, 0x40]), 0.5);
        assert_eq!(one(SampleFormat::Float32, &0.25f32.to_le_bytes()), 0.25);
    }

    #[test]
    fn planar_and_interleaved_agree() {
        let bytes: Vec<u8> = (0..36u8).map(|b| b.wrapping_mul(37)).collect();
        let mut interleaved = Vec::new();
        decode_interleaved(SampleFormat::Int24, &bytes, &mut interleaved);
        let mut planar = vec![Vec::new(); 3];
        decode_planar(SampleFormat::Int24, &bytes, &mut planar);
        for (i, &x) in interleaved.iter().enumerate() {
            assert_eq!(planar[i % 3][i / 3], x);
        }
        assert_eq!(planar[0].len(), 4);
    }
}
