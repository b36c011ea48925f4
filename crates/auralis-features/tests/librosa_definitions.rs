//! Spectral centroid, rolloff, flatness and zero-crossing rate against a straightforward
//! implementation of librosa's definitions (naive DFT in `f64`, periodic Hann, frames of
//! 2048 every 512 samples with `center=False`, formulas as in `librosa/feature/spectral.py`)
//! on random signals, frame by frame.

use std::f64::consts::TAU;

use auralis_core::{AudioBuffer, ImplKind};
use auralis_features::{extract, FeatureSettings, FRAME_LEN, HOP};
use auralis_testkit::signals::noise;

/// librosa's features of one frame of `mono`, from first principles.
fn librosa_frame(mono: &[f32], start: usize, sr: f64) -> [f64; 4] {
    let n = FRAME_LEN;
    let x: Vec<f64> = (0..n)
        .map(|i| {
            let w = 0.5 - 0.5 * (TAU * i as f64 / n as f64).cos();
            f64::from(mono[start + i]) * w
        })
        .collect();
    let bins = n / 2 + 1;
    let mag: Vec<f64> = (0..bins)
        .map(|k| {
            let (mut re, mut im) = (0.0, 0.0);
            for (i, &v) in x.iter().enumerate() {
                let phase = TAU * (k * i % n) as f64 / n as f64;
                re += v * phase.cos();
                im -= v * phase.sin();
            }
            (re * re + im * im).sqrt()
        })
        .collect();
    let freq = |k: usize| k as f64 * sr / n as f64;
    // spectral_centroid: sum(freq * normalize(S, norm=1)).
    let total: f64 = mag.iter().sum();
    let centroid = mag
        .iter()
        .enumerate()
        .map(|(k, m)| freq(k) * m)
        .sum::<f64>()
        / total;
    // spectral_rolloff: lowest frequency where cumsum(S) >= 0.85 * sum(S).
    let mut cum = 0.0;
    let rolloff = (0..bins)
        .find(|&k| {
            cum += mag[k];
            cum >= 0.85 * total
        })
        .map(freq)
        .unwrap();
    // spectral_flatness: gmean/amean of max(amin, S**2), amin = 1e-10.
    let p: Vec<f64> = mag.iter().map(|m| (m * m).max(1e-10)).collect();
    let gmean = (p.iter().map(|v| v.ln()).sum::<f64>() / bins as f64).exp();
    let flatness = gmean / (p.iter().sum::<f64>() / bins as f64);
    // zero_crossing_rate: sign changes (|x| <= 1e-10 counts as 0, 0 as positive) / frame.
    let negative = |v: f32| v < -1e-10;
    let crossings = (start + 1..start + n)
        .filter(|&i| negative(mono[i]) != negative(mono[i - 1]))
        .count();
    [centroid, rolloff, flatness, crossings as f64 / n as f64]
}

#[test]
fn spectral_features_are_librosas_on_random_signals() {
    let sr = 22_050u32;
    for (seed, channels) in [(1u64, 1usize), (2, 2), (3, 3)] {
        let len = FRAME_LEN + 5 * HOP + 100;
        let chans: Vec<Vec<f32>> = (0..channels)
            .map(|c| {
                // Noise plus a tone, so the spectrum is not flat.
                let tone: Vec<f32> = (0..len)
                    .map(|i| {
                        (0.3 * (TAU * 440.0 * (c + 1) as f64 * i as f64 / 22_050.0).sin()) as f32
                    })
                    .collect();
                noise(len, 0.2, seed * 10 + c as u64)
                    .iter()
                    .zip(&tone)
                    .map(|(a, b)| a + b)
                    .collect()
            })
            .collect();
        let mono: Vec<f32> = (0..len)
            .map(|i| chans.iter().map(|c| c[i]).fold(0.0f32, |a, b| a + b) / channels as f32)
            .collect();
        let audio = AudioBuffer::new(chans, sr).unwrap();
        for kind in ImplKind::ALL {
            let r = extract(kind, &audio, &FeatureSettings::default()).unwrap();
            assert_eq!(r.series.centroid_hz.len(), 6);
            for f in 0..6 {
                let [centroid, rolloff, flatness, zcr] =
                    librosa_frame(&mono, f * HOP, f64::from(sr));
                let s = &r.series;
                let bin = f64::from(sr) / FRAME_LEN as f64;
                assert!(
                    (f64::from(s.centroid_hz[f]) - centroid).abs() <= 1e-4 * centroid,
                    "{kind} frame {f}: centroid {} vs {centroid}",
                    s.centroid_hz[f]
                );
                assert!(
                    (f64::from(s.rolloff_hz[f]) - rolloff).abs() <= bin,
                    "{kind} frame {f}: rolloff {} vs {rolloff}",
                    s.rolloff_hz[f]
                );
                assert!(
                    (f64::from(s.flatness[f]) - flatness).abs() <= 1e-3 * flatness,
                    "{kind} frame {f}: flatness {} vs {flatness}",
                    s.flatness[f]
                );
                assert_eq!(f64::from(s.zcr[f]), zcr, "{kind} frame {f}: zcr");
            }
        }
    }
}
