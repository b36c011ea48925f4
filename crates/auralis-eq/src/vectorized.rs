//! The vectorized variant: single-threaded, SIMD kernels, two frames per complex FFT
//! (see [`crate::packed`]). Memory: the output buffer (`channels`, fresh or recycled) plus
//! O(fft size) scratch.

use auralis_core::{AudioBuffer, Result};

use crate::packed::PackedFilter;
use crate::settings::EqSettings;

pub(crate) fn process(
    audio: &AudioBuffer,
    settings: &EqSettings,
    mut channels: Vec<Vec<f32>>,
) -> Result<AudioBuffer> {
    let filter = PackedFilter::new(settings, audio.sample_rate());
    let mut scratch = filter.scratch();
    let frames = 0..filter.paired_frame_count(audio.len());
    for (input, out) in audio.channels().iter().zip(&mut channels) {
        filter.filter_frames(input, frames.clone(), out, 0, &mut scratch);
    }
    Ok(AudioBuffer::from_stage_output(
        channels,
        audio.sample_rate(),
    )?)
}
