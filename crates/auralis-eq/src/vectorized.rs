//! The vectorized variant: single-threaded, SIMD kernels, two frames per complex FFT
//! (see [`crate::packed`]). Memory: the output buffer plus O(fft size) scratch.

use auralis_core::{AudioBuffer, Result};

use crate::packed::PackedFilter;
use crate::settings::EqSettings;

pub(crate) fn process(audio: &AudioBuffer, settings: &EqSettings) -> Result<AudioBuffer> {
    let filter = PackedFilter::new(settings, audio.sample_rate());
    let mut scratch = filter.scratch();
    let len = audio.len();
    let frames = 0..filter.paired_frame_count(len);
    let channels = audio
        .channels()
        .iter()
        .map(|input| {
            let mut out = vec![0.0f32; len];
            filter.filter_frames(input, frames.clone(), &mut out, 0, &mut scratch);
            out
        })
        .collect();
    Ok(AudioBuffer::new(channels, audio.sample_rate())?)
}
