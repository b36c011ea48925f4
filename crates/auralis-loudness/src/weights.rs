//! BS.1770 channel weights: 1.0 for front channels, 1.41 for surrounds, 0 (left out) for LFE.

use auralis_core::AudioBuffer;

/// Weight of a surround channel (BS.1770-4 Table 3, as libebur128 applies it: +1.5 dB).
pub const SURROUND_WEIGHT: f64 = 1.41;

/// WAVE_FORMAT_EXTENSIBLE speaker bits.
const FRONT_CENTRE_AND_FRONT: u32 = 0x1 | 0x2 | 0x4;
const LFE: u32 = 0x8;
/// Back left/right (0x10, 0x20) and side left/right (0x200, 0x400).
const SURROUNDS: u32 = 0x10 | 0x20 | 0x200 | 0x400;

/// The weight of every channel of `audio`.
///
/// With a declared speaker mask, each channel's speaker decides: LFE 0, back and side
/// surrounds 1.41, every other speaker 1.0. Without one, the `ebur128` crate's (and
/// libebur128's) default map for the channel count: 1–3 channels L R C at 1.0; 4 channels
/// L R Ls Rs; 5 channels L R C Ls Rs; 6 and more L R C LFE Ls Rs, further channels unused
/// (weight 0), as the meters users compare against do.
pub fn channel_weights(audio: &AudioBuffer) -> Vec<f64> {
    weights_for(audio.num_channels(), audio.channel_mask())
}

/// [`channel_weights`] of `n` channels with the speaker mask `mask` (for audio that is not
/// held in an [`AudioBuffer`], such as a stream).
pub fn weights_for(n: usize, mask: Option<u32>) -> Vec<f64> {
    if let Some(mask) = mask {
        let mut weights = Vec::with_capacity(n);
        let mut bits = (0..32).map(|b| 1u32 << b).filter(|bit| mask & bit != 0);
        for _ in 0..n {
            weights.push(match bits.next() {
                Some(LFE) => 0.0,
                Some(bit) if bit & SURROUNDS != 0 => SURROUND_WEIGHT,
                Some(bit) if bit & FRONT_CENTRE_AND_FRONT != 0 => 1.0,
                // Other speakers (wide, top, …) and channels beyond the mask: full weight,
                // as BS.1770 gives every non-LFE, non-surround channel.
                _ => 1.0,
            });
        }
        return weights;
    }
    (0..n)
        .map(|c| match (n, c) {
            (4, 2 | 3) => SURROUND_WEIGHT,
            (5, 3 | 4) => SURROUND_WEIGHT,
            (6.., 3) => 0.0,
            (6.., 4 | 5) => SURROUND_WEIGHT,
            (6.., 6..) => 0.0,
            _ => 1.0,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn silent(channels: usize, mask: Option<u32>) -> AudioBuffer {
        AudioBuffer::new(vec![vec![0.0; 10]; channels], 48_000)
            .unwrap()
            .with_channel_mask(mask)
    }

    #[test]
    fn default_maps_follow_libebur128() {
        assert_eq!(channel_weights(&silent(1, None)), [1.0]);
        assert_eq!(channel_weights(&silent(2, None)), [1.0, 1.0]);
        assert_eq!(channel_weights(&silent(4, None)), [1.0, 1.0, 1.41, 1.41]);
        assert_eq!(
            channel_weights(&silent(5, None)),
            [1.0, 1.0, 1.0, 1.41, 1.41]
        );
        assert_eq!(
            channel_weights(&silent(6, None)),
            [1.0, 1.0, 1.0, 0.0, 1.41, 1.41]
        );
        assert_eq!(
            channel_weights(&silent(8, None)),
            [1.0, 1.0, 1.0, 0.0, 1.41, 1.41, 0.0, 0.0]
        );
    }

    #[test]
    fn a_declared_mask_decides() {
        // 5.1 with side surrounds (0x60F): FL FR FC LFE SL SR.
        assert_eq!(
            channel_weights(&silent(6, Some(0x60F))),
            [1.0, 1.0, 1.0, 0.0, 1.41, 1.41]
        );
        // Stereo plus LFE (FL FR LFE): the LFE is third.
        assert_eq!(channel_weights(&silent(3, Some(0xB))), [1.0, 1.0, 0.0]);
        // 7.1 (0x63F): FL FR FC LFE BL BR SL SR.
        assert_eq!(
            channel_weights(&silent(8, Some(0x63F))),
            [1.0, 1.0, 1.0, 0.0, 1.41, 1.41, 1.41, 1.41]
        );
    }
}
