//! The definition itself, checked against independent computations: a naive DFT, the band
//! mapping of pure tones, and the smoothing recurrence applied by hand.

mod common;

use std::f64::consts::TAU;

use auralis_core::{AudioBuffer, Error, ImplKind};
use auralis_spectrum::testing::{frame_levels_db, frame_magnitudes};
use auralis_spectrum::{analyze, band_centres_hz, band_edges_hz, SpectrumSettings, Weighting};
use auralis_testkit::signals::{sine_buffer as sine, Noise};
use common::music_like;

/// `|Σ_j w_j x_j e^{−2πi jk/N}|` for `k = 0..=N/2`, in `f64`, with the periodic Hann window.
fn naive_dft_magnitudes(x: &[f32]) -> Vec<f64> {
    let n = x.len();
    let windowed: Vec<f64> = x
        .iter()
        .enumerate()
        .map(|(j, &v)| (0.5 - 0.5 * (TAU * j as f64 / n as f64).cos()) * f64::from(v))
        .collect();
    (0..=n / 2)
        .map(|k| {
            let (mut re, mut im) = (0.0, 0.0);
            for (j, &v) in windowed.iter().enumerate() {
                // Reduce jk mod n first so the angle stays small and exact.
                let angle = TAU * ((j * k) % n) as f64 / n as f64;
                re += v * angle.cos();
                im -= v * angle.sin();
            }
            re.hypot(im)
        })
        .collect()
}

fn noise_frame(n: usize, seed: u64) -> Vec<f32> {
    let mut noise = Noise::new(seed);
    (0..n).map(|_| noise.next() as f32).collect()
}

#[test]
fn frame_magnitudes_equal_a_naive_dft() {
    for n in [16, 64, 99, 100, 256, 1000] {
        let frame = noise_frame(n, n as u64);
        let fast = frame_magnitudes(&frame).unwrap();
        let naive = naive_dft_magnitudes(&frame);
        assert_eq!(fast.len(), n / 2 + 1);
        // f32 FFT rounding is relative to the frame's energy, not to each bin.
        let scale = naive.iter().cloned().fold(0.0, f64::max);
        for (k, (a, b)) in fast.iter().zip(&naive).enumerate() {
            assert!((a - b).abs() <= 2e-6 * scale, "n {n}, bin {k}: {a} vs {b}");
        }
    }
}

#[test]
fn a_bin_centred_sine_has_the_hann_peak_magnitude() {
    // Periodic Hann, tone exactly on bin k: |X_k| = A·N/4, |X_{k±1}| = A·N/8, others ≈ 0.
    let (n, k, amp) = (256usize, 10usize, 0.5);
    let frame: Vec<f32> = (0..n)
        .map(|j| (amp * (TAU * (k * j) as f64 / n as f64).cos()) as f32)
        .collect();
    let m = frame_magnitudes(&frame).unwrap();
    let full = amp * n as f64 / 4.0;
    assert!((m[k] - full).abs() < 1e-4, "{}", m[k]);
    assert!((m[k - 1] - full / 2.0).abs() < 1e-4 && (m[k + 1] - full / 2.0).abs() < 1e-4);
    assert!(
        m[k + 3] < 1e-4,
        "periodic Hann has no leakage beyond ±1 bin: {}",
        m[k + 3]
    );
}

#[test]
fn band_levels_of_a_frame_equal_naive_dft_band_means() {
    // Even sizes take the packed half-length transform, odd ones the direct realfft path.
    for (n, sr) in [
        (256usize, 44_100u32),
        (512, 8_000),
        (1024, 192_000),
        (999, 48_000),
    ] {
        let frame = noise_frame(n, 42);
        let audio = AudioBuffer::new(vec![frame.clone()], sr).unwrap();
        let settings = SpectrumSettings {
            fft_size: n,
            hop: n,
            weighting: Weighting::Z,
            ..SpectrumSettings::default()
        };
        let naive = naive_dft_magnitudes(&frame);
        let scale = naive.iter().cloned().fold(0.0, f64::max);
        let centres = band_edges_hz(64);
        let bin_hz = f64::from(sr) / n as f64;
        for kind in [ImplKind::Reference, ImplKind::Vectorized] {
            let levels = frame_levels_db(kind, &audio, &settings, 0).unwrap();
            for (i, &level) in levels.iter().enumerate() {
                let members: Vec<f64> = (0..=n / 2)
                    .filter(|&k| {
                        let f = k as f64 * bin_hz;
                        f >= centres[i] && (i == 63 || f < centres[i + 1])
                    })
                    .map(|k| naive[k])
                    .collect();
                if members.is_empty() {
                    assert!(
                        (level + 200.0).abs() < 1e-9,
                        "{kind} n {n} band {i}: {level}"
                    );
                } else {
                    let mean = members.iter().sum::<f64>() / members.len() as f64;
                    let got = 10f64.powf(level / 20.0);
                    assert!(
                        (got - mean).abs() <= 2e-6 * scale,
                        "{kind} n {n} sr {sr} band {i}: {got} vs {mean}"
                    );
                }
            }
        }
    }
}

#[test]
fn a_pure_tone_peaks_in_the_band_that_contains_it() {
    let sr = 44_100u32;
    let bin_hz = f64::from(sr) / 4096.0;
    let edges = band_edges_hz(64);
    let centres = band_centres_hz(64);
    for bin in [10usize, 37, 93, 464, 929, 1800] {
        let freq = bin as f64 * bin_hz;
        let expected = edges.iter().rposition(|&e| e <= freq).unwrap();
        let audio = sine(freq, 0.5, 3 * 4096, sr, 2);
        for weighting in [Weighting::Z, Weighting::C] {
            let settings = SpectrumSettings {
                weighting,
                ..SpectrumSettings::default()
            };
            for kind in ImplKind::ALL {
                let r = analyze(kind, &audio, &settings).unwrap();
                assert_eq!(
                    r.peak_frequency_hz,
                    Some(centres[expected] as f32),
                    "{kind} {weighting}: tone at {freq:.1} Hz"
                );
            }
        }
    }
}

#[test]
fn whole_file_levels_are_the_mean_of_the_smoothed_frame_levels() {
    // A tone that starts after silence: smoothing visibly shapes the first frames.
    let mut x = vec![0.0f32; 3 * 4096];
    x.extend_from_slice(sine(2000.0, 0.7, 6 * 4096, 44_100, 1).channel(0));
    let audio = AudioBuffer::new(vec![x], 44_100).unwrap();
    let settings = SpectrumSettings::default();
    let r = analyze(ImplKind::Reference, &audio, &settings).unwrap();

    let a = f64::from(settings.smoothing);
    let mut state: Option<Vec<f64>> = None;
    let mut sums = vec![0.0; 64];
    let mut energy = 0.0;
    let mut silent = 0;
    for frame in 0..r.frames {
        let x = frame_levels_db(ImplKind::Reference, &audio, &settings, frame).unwrap();
        let s: Vec<f64> = match &state {
            None => x,
            Some(prev) => prev
                .iter()
                .zip(&x)
                .map(|(p, x)| a * p + (1.0 - a) * x)
                .collect(),
        };
        for (sum, v) in sums.iter_mut().zip(&s) {
            *sum += v;
        }
        // Frames wholly inside the leading silence (and so, smoothed, still at the floor)
        // are left out of the features' means.
        if frame * settings.hop + settings.fft_size <= 3 * 4096 {
            silent += 1;
        } else {
            energy += 10.0 * s.iter().map(|l| 10f64.powf(l / 10.0)).sum::<f64>().log10();
        }
        state = Some(s);
    }
    let n = r.frames as f64;
    for (i, (&got, sum)) in r.band_levels_db.iter().zip(&sums).enumerate() {
        assert!(
            (f64::from(got) - sum / n).abs() < 1e-4,
            "band {i}: {got} vs {}",
            sum / n
        );
    }
    assert_eq!(r.silent_frames, silent);
    let voiced = (r.frames - silent) as f64;
    assert!((f64::from(r.total_energy_db.unwrap()) - energy / voiced).abs() < 1e-4);
}

#[test]
fn invalid_settings_are_typed_errors_for_every_implementation() {
    let audio = music_like(0.2, 44_100, 2);
    let d = SpectrumSettings::default;
    let cases = [
        (SpectrumSettings { fft_size: 0, ..d() }, "fft_size"),
        (SpectrumSettings { hop: 0, ..d() }, "hop"),
        (SpectrumSettings { hop: 8192, ..d() }, "hop"),
        (SpectrumSettings { bands: 0, ..d() }, "bands"),
        (
            SpectrumSettings {
                smoothing: 1.0,
                ..d()
            },
            "smoothing",
        ),
        (
            SpectrumSettings {
                smoothing: -0.5,
                ..d()
            },
            "smoothing",
        ),
    ];
    for kind in ImplKind::ALL {
        for (settings, field) in &cases {
            match analyze(kind, &audio, settings) {
                Err(Error::InvalidParameter { name, .. }) => assert_eq!(name, *field),
                other => panic!("{kind} {field}: expected InvalidParameter, got {other:?}"),
            }
        }
    }
}

/// Input that would overflow the `f32` spectrum (3e38) cannot become audio at all; input at
/// the bound analyses like unit-level input, shifted by exactly its level.
#[test]
fn input_beyond_the_bound_is_refused_and_at_the_bound_is_analysed() {
    assert!(AudioBuffer::new(vec![vec![3e38f32; 5000]], 44_100).is_err());
    let max = auralis_core::MAX_SAMPLE_MAGNITUDE;
    let tone = |a: f32| -> Vec<f32> { (0..20_000).map(|n| a * (n as f32 * 0.05).sin()).collect() };
    let big = AudioBuffer::new(vec![tone(max)], 44_100).unwrap();
    let unit = AudioBuffer::new(vec![tone(1.0)], 44_100).unwrap();
    let shift = 20.0 * max.log10();
    for kind in ImplKind::ALL {
        let b = analyze(kind, &big, &SpectrumSettings::default()).unwrap();
        let u = analyze(kind, &unit, &SpectrumSettings::default()).unwrap();
        assert!(
            ((b.total_energy_db.unwrap() - u.total_energy_db.unwrap()) - shift).abs() < 1e-3,
            "{kind}"
        );
        assert!(
            (b.centroid_hz.unwrap() - u.centroid_hz.unwrap()).abs()
                <= 1e-4 * u.centroid_hz.unwrap(),
            "{kind}"
        );
    }
}
