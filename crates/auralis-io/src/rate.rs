//! Sample-rate conversion with `rubato` (its synchronous FFT resampler: a fixed ratio, the
//! case of converting a file), latency removed, so that the output is aligned with the input
//! and `round(n · out / in)` frames long.

use auralis_core::AudioBuffer;
use rubato::{FftFixedIn, Resampler};

/// Input frames per resampler call.
const CHUNK: usize = 4096;

/// `audio` at `rate` Hz (the same audio if it is already there). Errors name the rates.
pub fn convert_rate(audio: &AudioBuffer, rate: u32) -> Result<AudioBuffer, String> {
    let from = audio.sample_rate();
    if from == rate {
        return Ok(audio.clone());
    }
    auralis_core::audio::check_sample_rate(rate).map_err(|e| e.to_string())?;
    let channels = audio.num_channels();
    let fail = |e: &dyn std::fmt::Display| format!("converting {from} Hz to {rate} Hz: {e}");
    let mut resampler = FftFixedIn::<f32>::new(from as usize, rate as usize, CHUNK, 2, channels)
        .map_err(|e| fail(&e))?;
    let delay = resampler.output_delay();
    let wanted = ((audio.len() as u128 * u128::from(rate) + u128::from(from) / 2)
        / u128::from(from)) as usize;
    let mut out: Vec<Vec<f32>> = vec![Vec::with_capacity(wanted + delay + 2 * CHUNK); channels];
    let append = |block: Vec<Vec<f32>>, out: &mut Vec<Vec<f32>>| {
        for (o, b) in out.iter_mut().zip(block) {
            o.extend_from_slice(&b);
        }
    };
    let mut at = 0;
    while at < audio.len() {
        let end = (at + CHUNK).min(audio.len());
        let slices: Vec<&[f32]> = audio.channels().iter().map(|c| &c[at..end]).collect();
        let block = if end - at == CHUNK {
            resampler.process(&slices, None)
        } else {
            resampler.process_partial(Some(&slices), None)
        }
        .map_err(|e| fail(&e))?;
        append(block, &mut out);
        at = end;
    }
    // Flush the filter's tail until the delayed output covers the whole input.
    while out[0].len() < delay + wanted {
        let block = resampler
            .process_partial::<&[f32]>(None, None)
            .map_err(|e| fail(&e))?;
        if block[0].is_empty() {
            break;
        }
        append(block, &mut out);
    }
    for o in &mut out {
        o.drain(..delay.min(o.len()));
        o.resize(wanted, 0.0);
    }
    AudioBuffer::from_stage_output(out, rate).map_err(|e| fail(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sine_keeps_its_frequency_level_and_alignment() {
        let n = 44_100;
        let sine = |rate: f64, len: usize| -> Vec<f32> {
            (0..len)
                .map(|i| (0.5 * (std::f64::consts::TAU * 1000.0 * i as f64 / rate).sin()) as f32)
                .collect()
        };
        let audio = AudioBuffer::new(vec![sine(44_100.0, n)], 44_100).unwrap();
        let out = convert_rate(&audio, 48_000).unwrap();
        assert_eq!(out.len(), 48_000);
        let expected = sine(48_000.0, 48_000);
        // Away from the edges the converted sine is the 48 kHz sine, aligned, to −60 dB.
        let (a, b) = (&out.channel(0)[2000..46_000], &expected[2000..46_000]);
        let err: f64 = a
            .iter()
            .zip(b)
            .map(|(x, y)| f64::from(x - y).powi(2))
            .sum::<f64>();
        let sig: f64 = b.iter().map(|y| f64::from(*y).powi(2)).sum::<f64>();
        assert!(
            10.0 * (err / sig).log10() < -60.0,
            "{}",
            10.0 * (err / sig).log10()
        );
        assert_eq!(convert_rate(&audio, 44_100).unwrap(), audio);
        assert!(convert_rate(&audio, 1_000).is_err());
    }
}
