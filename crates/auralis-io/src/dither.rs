//! TPDF dither for integer outputs, reproducible: the noise of sample `(channel, frame)` is a
//! pure function of a seed and that position, so a re-run — or the same audio written in
//! other chunks or by other threads — gives the same bits.
//!
//! Why dither: rounding a quiet fade to 16 bits leaves distortion correlated with the
//! signal; adding triangular noise of ±1 step (two independent uniforms of ±½ step) before
//! rounding makes the error signal-independent white noise instead (≈ −101 dBFS RMS at 16
//! bits, inaudible at 24).

use auralis_core::AudioBuffer;

use crate::format::SampleFormat;

/// SplitMix64's finaliser: a bijective 64-bit mix (the position's hash).
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A seed from `audio`'s content: a 64-bit hash of every sample's bits (and the shape), so
/// that different inputs get independent dither and the same input the same.
pub fn content_seed(audio: &AudioBuffer) -> u64 {
    let mut h = mix(audio.len() as u64 ^ ((audio.num_channels() as u64) << 48));
    for c in audio.channels() {
        // Four independent lanes, folded at the end: a few ms for 180 s of stereo.
        let mut lanes = [h, h ^ 1, h ^ 2, h ^ 3];
        for chunk in c.chunks(4) {
            for (l, x) in lanes.iter_mut().zip(chunk) {
                *l = (*l ^ u64::from(x.to_bits())).wrapping_mul(0x0100_0000_01B3);
            }
        }
        h = lanes.iter().fold(h, |acc, &l| mix(acc ^ l));
    }
    h
}

/// A seed from content that arrives in interleaved chunks (a streamed input): a 64-bit hash
/// of every sample's bits in order, and the shape. Not [`content_seed`]'s value (that one
/// hashes channel by channel), but as reproducible: the chunking does not change it.
#[derive(Debug, Clone)]
pub struct ContentHasher {
    lanes: [u64; 4],
    samples: u64,
}

impl Default for ContentHasher {
    fn default() -> Self {
        Self::new()
    }
}

impl ContentHasher {
    pub fn new() -> Self {
        let h = mix(0x6175_7261_6c69_7321);
        Self {
            lanes: [h, h ^ 1, h ^ 2, h ^ 3],
            samples: 0,
        }
    }

    /// Hashes the next interleaved samples.
    pub fn update(&mut self, interleaved: &[f32]) {
        for &x in interleaved {
            let lane = &mut self.lanes[(self.samples % 4) as usize];
            *lane = (*lane ^ u64::from(x.to_bits())).wrapping_mul(0x0100_0000_01B3);
            self.samples += 1;
        }
    }

    /// The seed of everything hashed, for `channels` channels.
    pub fn seed(&self, channels: usize) -> u64 {
        let h = mix(self.samples ^ ((channels as u64) << 48));
        self.lanes.iter().fold(h, |acc, &l| mix(acc ^ l))
    }
}

/// The TPDF noise, in steps, of sample `index` (frame × channels + channel) under `seed`.
#[inline]
fn noise(seed: u64, index: u64) -> f32 {
    let r = mix(seed ^ mix(index));
    // Two 24-bit uniforms in [0, 1): their difference is triangular on (−1, 1).
    let u1 = (r >> 40) as f32 / (1u32 << 24) as f32;
    let u2 = ((r >> 16) & 0xFF_FFFF) as f32 / (1u32 << 24) as f32;
    u1 - u2
}

/// `audio` with TPDF dither of ±1 step of `format` added (unchanged for float formats).
pub fn dither_tpdf(audio: AudioBuffer, format: SampleFormat, seed: u64) -> AudioBuffer {
    let Some(full_scale) = format.full_scale() else {
        return audio;
    };
    let step = (1.0 / full_scale) as f32;
    let rate = audio.sample_rate();
    let channels_count = audio.num_channels() as u64;
    let mut channels = audio.into_channels();
    for (c, samples) in channels.iter_mut().enumerate() {
        for (i, x) in samples.iter_mut().enumerate() {
            *x += noise(seed, i as u64 * channels_count + c as u64) * step;
        }
    }
    AudioBuffer::from_stage_output(channels, rate).expect("dither keeps samples finite")
}

/// [`dither_tpdf`] on interleaved frames starting at frame `first_frame`: the same noise at
/// the same positions, so a file dithered chunk by chunk equals one dithered whole.
pub fn dither_interleaved(
    interleaved: &mut [f32],
    first_frame: u64,
    channels: usize,
    format: SampleFormat,
    seed: u64,
) {
    let Some(full_scale) = format.full_scale() else {
        return;
    };
    let step = (1.0 / full_scale) as f32;
    let first = first_frame * channels as u64;
    for (k, x) in interleaved.iter_mut().enumerate() {
        *x += noise(seed, first + k as u64) * step;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dither_is_reproducible_triangular_and_one_step_wide() {
        let audio = AudioBuffer::new(vec![vec![0.0; 100_000]; 2], 44_100).unwrap();
        let seed = content_seed(&audio);
        let a = dither_tpdf(audio.clone(), SampleFormat::Int16, seed);
        let b = dither_tpdf(audio.clone(), SampleFormat::Int16, seed);
        assert_eq!(a, b);
        let step = 1.0 / 32_768.0f64;
        let x = a.channel(0);
        assert!(x.iter().all(|v| f64::from(v.abs()) < step));
        let mean = x.iter().map(|&v| f64::from(v)).sum::<f64>() / x.len() as f64;
        let var = x.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>() / x.len() as f64;
        // Triangular on (−1, 1) steps: mean 0, variance 1/6 step².
        assert!(mean.abs() < 0.01 * step, "{mean}");
        assert!(
            (var / (step * step) - 1.0 / 6.0).abs() < 0.01,
            "{}",
            var / (step * step)
        );
        assert_ne!(a.channel(0), a.channel(1), "channels get independent noise");
        assert_eq!(
            dither_tpdf(audio.clone(), SampleFormat::Float32, seed),
            audio
        );
        let other = AudioBuffer::new(vec![vec![0.5; 100_000]; 2], 44_100).unwrap();
        assert_ne!(content_seed(&other), seed);
    }

    #[test]
    fn chunked_dither_and_hash_equal_whole_ones() {
        let audio = AudioBuffer::new(
            vec![
                (0..9999).map(|i| (i as f32 * 0.01).sin()).collect(),
                (0..9999).map(|i| (i as f32 * 0.02).cos()).collect(),
            ],
            44_100,
        )
        .unwrap();
        let whole = dither_tpdf(audio.clone(), SampleFormat::Int24, 42);
        let mut x: Vec<f32> = (0..audio.len())
            .flat_map(|i| [audio.channel(0)[i], audio.channel(1)[i]])
            .collect();
        let mut hashers = (ContentHasher::new(), ContentHasher::new());
        hashers.0.update(&x);
        let mut frame = 0;
        for chunk in x.chunks_mut(2 * 777) {
            hashers.1.update(chunk);
            dither_interleaved(chunk, frame, 2, SampleFormat::Int24, 42);
            frame += (chunk.len() / 2) as u64;
        }
        let expected: Vec<f32> = (0..audio.len())
            .flat_map(|i| [whole.channel(0)[i], whole.channel(1)[i]])
            .collect();
        assert_eq!(x, expected);
        assert_eq!(hashers.0.seed(2), hashers.1.seed(2));
        assert_ne!(hashers.0.seed(2), ContentHasher::new().seed(2));
    }
}
