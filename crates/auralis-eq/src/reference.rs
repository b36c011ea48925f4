//! The sequential reference: the lab's definition of the EQ, written to be read.
//!
//! For each channel: pad the input with `fft − hop` zeros in front (and zeros behind), and for
//! every frame `t` starting at `t·hop` of the padded signal
//!
//! 1. multiply by the sqrt-Hann analysis window,
//! 2. real FFT,
//! 3. multiply every bin by the gain curve's linear gain,
//! 4. inverse real FFT,
//! 5. multiply by the synthesis window (sqrt-Hann ÷ overlap-add gain) and add into the
//!    padded output.
//!
//! Then drop the padding again. Every other implementation is held to this one; the streaming
//! processor reproduces it bit for bit. Clarity over memory: it keeps a padded copy of each
//! channel and a padded output (the fast variants need only the output buffer).

use auralis_core::{AudioBuffer, Result};

use crate::settings::EqSettings;
use crate::stft::{fill_half_spectrum_gains, RealFft, StftLayout, Windows};

/// Runs the reference on every channel.
pub(crate) fn process(audio: &AudioBuffer, settings: &EqSettings) -> Result<AudioBuffer> {
    let layout = StftLayout::new(settings);
    let windows = Windows::new(&layout);
    let mut gains = vec![0.0; layout.fft + 2];
    fill_half_spectrum_gains(&settings.gains, audio.sample_rate(), layout.fft, &mut gains);
    let mut fft = RealFft::new(layout.fft);
    let channels = audio
        .channels()
        .iter()
        .map(|x| filter_channel(x, &layout, &windows, |_| &gains, &mut fft))
        .collect::<Result<Vec<_>>>()?;
    Ok(AudioBuffer::from_stage_output(
        channels,
        audio.sample_rate(),
    )?)
}

/// Filters one channel; `gains_for_frame(t)` gives the interleaved bin gains frame `t` uses
/// (constant for whole-file processing; tests use a schedule to model streaming gain changes).
pub(crate) fn filter_channel<'g>(
    input: &[f32],
    layout: &StftLayout,
    windows: &Windows,
    gains_for_frame: impl Fn(usize) -> &'g [f32],
    fft: &mut RealFft,
) -> Result<Vec<f32>> {
    let (n, lead, len) = (layout.fft, layout.lead(), input.len());
    let mut padded = vec![0.0f32; layout.padded_len(len)];
    padded[lead..lead + len].copy_from_slice(input);
    let mut output = vec![0.0f32; padded.len()];

    for t in 0..layout.frame_count(len) {
        let start = t * layout.hop;
        let frame = &padded[start..start + n];
        for ((dst, &x), &w) in fft.time.iter_mut().zip(frame).zip(&windows.analysis) {
            *dst = x * w;
        }
        fft.forward()?;
        let gains = gains_for_frame(t);
        for (bin, g) in fft.spectrum.iter_mut().zip(gains.chunks_exact(2)) {
            bin.re *= g[0];
            bin.im *= g[1];
        }
        fft.inverse()?;
        let out = &mut output[start..start + n];
        for ((acc, &y), &w) in out.iter_mut().zip(&fft.time).zip(&windows.synthesis) {
            *acc += y * w;
        }
    }
    output.truncate(lead + len);
    output.drain(..lead);
    Ok(output)
}
