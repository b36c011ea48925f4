//! Accuracy of every implementation: identity at 0 dB, the gain a band actually applies,
//! short inputs and typed errors — and a gate that rejects the original engine's algorithm.
//! Agreement with the reference, stale outputs and thread counts: the stage kit (`kit.rs`).

use auralis_core::{AudioBuffer, Error, ImplKind, Metrics};
use auralis_eq::{band_centres_hz, compare, process, EqGains, EqSettings, NUM_BANDS};
use auralis_testkit::signals::{music_like, noise, relative_error_db, rms, sine};
use realfft::RealFftPlanner;

fn settings(gains: EqGains, hop: usize) -> EqSettings {
    EqSettings {
        gains,
        fft_size: 4096,
        hop,
    }
}

/// Every band at ±12 dB alternately: the harshest gain set, steepest curve.
fn single_band(band: usize, db: f32) -> EqGains {
    let mut g = [0.0f32; NUM_BANDS];
    g[band] = db;
    EqGains::new(&g).unwrap()
}

#[test]
fn flat_gains_reproduce_the_input_below_minus_120_db() {
    let mut worst = f64::NEG_INFINITY;
    for sample_rate in [8_000u32, 44_100, 192_000] {
        for channels in [1usize, 2, 6] {
            // 0.4 s of noise plus tones per channel, with a different seed per channel.
            let len = (0.4 * f64::from(sample_rate)) as usize;
            let data: Vec<Vec<f32>> = (0..channels)
                .map(|c| {
                    let n = noise(len, 0.3, 7 + c as u64);
                    let s = sine(440.0 * (c + 1) as f64, sample_rate, len, 0.5);
                    n.iter().zip(&s).map(|(a, b)| a + b).collect()
                })
                .collect();
            let audio = AudioBuffer::new(data, sample_rate).unwrap();
            for hop in [1024, 2048] {
                for kind in ImplKind::ALL {
                    let out = process(kind, &audio, &settings(EqGains::flat(), hop)).unwrap();
                    assert_eq!(out.num_channels(), channels);
                    assert_eq!(out.len(), len);
                    assert_eq!(out.sample_rate(), sample_rate);
                    let m = Metrics::of_channels(audio.channels(), out.channels());
                    let db = m.relative_error_db();
                    assert!(
                        m.relative_rms_error < 1e-6,
                        "{kind} hop {hop} {channels} ch @ {sample_rate} Hz: {db:.1} dB"
                    );
                    worst = worst.max(db);
                }
            }
        }
    }
    eprintln!("worst 0 dB round-trip error over all cases: {worst:.1} dB");
}

#[test]
fn a_band_boost_applies_at_its_centre_and_stays_local() {
    let sample_rate = 44_100;
    let len = 2 * sample_rate as usize;
    let centres = band_centres_hz();
    let gains = settings(single_band(10, 6.0), 1024);
    // Measure away from the ends so only steady-state output counts.
    let steady = len / 4..3 * len / 4;
    let gain_db = |kind: ImplKind, freq: f32| {
        let x = sine(f64::from(freq), sample_rate, len, 0.5);
        let audio = AudioBuffer::new(vec![x.clone()], sample_rate).unwrap();
        let y = process(kind, &audio, &gains).unwrap();
        20.0 * (rms(&y.channel(0)[steady.clone()]) / rms(&x[steady.clone()])).log10()
    };
    for kind in ImplKind::ALL {
        let at_centre = gain_db(kind, centres[10]);
        assert!((at_centre - 6.0).abs() < 0.1, "{kind}: {at_centre:.3} dB");
        for band in [8, 12] {
            let away = gain_db(kind, centres[band]);
            assert!(away.abs() < 0.5, "{kind} band {band}: {away:.3} dB");
        }
        eprintln!("{kind}: +6 dB on band 10 gives {at_centre:.3} dB at its centre");
    }
}

#[test]
fn the_eq_actually_changes_music() {
    // Guards against a gate that passes because nothing happens: with a non-trivial gain
    // set the output differs from the input by far more than the tolerance.
    let audio = music_like(2.0, 44_100, 2, 2);
    let out = process(
        ImplKind::Reference,
        &audio,
        &settings(EqGains::preset("bright").unwrap(), 1024),
    )
    .unwrap();
    let m = Metrics::of_channels(audio.channels(), out.channels());
    assert!(m.relative_rms_error > 1e-2, "{}", m.relative_rms_error);
}

#[test]
fn short_inputs_keep_their_shape_and_content() {
    for len in [1usize, 2, 1023, 1024, 1025, 4095, 4096, 4097, 10_000] {
        let x = noise(len, 0.5, len as u64);
        let audio = AudioBuffer::new(vec![x.clone(), x.clone()], 48_000).unwrap();
        let flat = settings(EqGains::flat(), 1024);
        let balanced = settings(EqGains::preset("balanced").unwrap(), 1024);
        let reference = process(ImplKind::Reference, &audio, &balanced).unwrap();
        for kind in ImplKind::ALL {
            let out = process(kind, &audio, &flat).unwrap();
            assert_eq!(out.len(), len);
            assert!(
                relative_error_db(&x, out.channel(1)) < -120.0,
                "{kind} len {len}"
            );
            let eq = process(kind, &audio, &balanced).unwrap();
            let accuracy = compare(&reference, &eq);
            assert!(
                accuracy.passed(),
                "{kind} len {len}: {:?}",
                accuracy.failures()
            );
        }
    }
}

#[test]
fn invalid_settings_are_typed_errors_for_every_variant() {
    let audio = AudioBuffer::new(vec![vec![0.0; 100]], 44_100).unwrap();
    for (fft_size, hop) in [(4096, 1000), (4096, 512), (4000, 1000), (4096, 0), (0, 0)] {
        for kind in ImplKind::ALL {
            let s = EqSettings {
                gains: EqGains::flat(),
                fft_size,
                hop,
            };
            assert!(
                matches!(
                    process(kind, &audio, &s),
                    Err(Error::InvalidParameter { .. })
                ),
                "{kind} ({fft_size}, {hop})"
            );
        }
    }
}

/// Before the input bound, finite input could overflow (a full-scale `f32` signal boosted by
/// +12 dB came back as a NaN the input did not have). Now input past
/// `auralis_core::MAX_SAMPLE_MAGNITUDE` is refused, by the buffer and by the stream alike,
/// and input at the bound, boosted +12 dB by every variant, stays finite and exact.
#[test]
fn input_past_the_bound_is_refused_and_at_the_bound_is_processed() {
    let max = auralis_core::MAX_SAMPLE_MAGNITUDE;
    let settings = EqSettings {
        gains: EqGains::new(&[12.0; auralis_eq::NUM_BANDS]).unwrap(),
        ..EqSettings::default()
    };
    let alternating = |a: f32| -> Vec<f32> {
        (0..20_000)
            .map(|i| if i % 2 == 0 { a } else { -a })
            .collect()
    };
    let huge = alternating(f32::MAX);
    assert!(matches!(
        AudioBuffer::new(vec![huge.clone()], 44_100),
        Err(auralis_core::AudioError::OutOfRange { .. })
    ));
    let mut stream = auralis_eq::EqStream::new(&settings, 1, 44_100).unwrap();
    let mut output = vec![0.0; huge.len()];
    let result =
        auralis_core::StreamProcessor::process_interleaved(&mut stream, &huge, &mut output);
    assert!(
        matches!(
            result,
            Err(Error::Audio(auralis_core::AudioError::OutOfRange { .. }))
        ),
        "stream: {result:?}"
    );

    let at_bound = AudioBuffer::new(vec![alternating(max), alternating(max)], 44_100).unwrap();
    let unit = AudioBuffer::new(vec![alternating(1.0), alternating(1.0)], 44_100).unwrap();
    for kind in ImplKind::ALL {
        let big = process(kind, &at_bound, &settings).unwrap();
        let small = process(kind, &unit, &settings).unwrap();
        assert!(
            big.peak() > max,
            "{kind}: the boost lifts the output past the bound"
        );
        let worst = big
            .channels()
            .iter()
            .flatten()
            .zip(small.channels().iter().flatten())
            .fold(0.0f32, |m, (b, s)| m.max((b - s * max).abs()));
        assert!(worst <= 1e-6 * big.peak(), "{kind}: {worst}");
    }
}

#[test]
fn compare_rejects_shape_mismatches() {
    let a = AudioBuffer::new(vec![vec![0.1; 10]], 44_100).unwrap();
    let longer = AudioBuffer::new(vec![vec![0.1; 11]], 44_100).unwrap();
    let stereo = AudioBuffer::new(vec![vec![0.1; 10], vec![0.1; 10]], 44_100).unwrap();
    let rate = AudioBuffer::new(vec![vec![0.1; 10]], 48_000).unwrap();
    assert!(compare(&a, &a).passed());
    // A constant reference has no correlation to speak of; relative RMS still decides.
    let close = AudioBuffer::new(vec![vec![0.1 + 1e-8; 10]], 44_100).unwrap();
    let far = AudioBuffer::new(vec![vec![0.11; 10]], 44_100).unwrap();
    assert!(compare(&a, &close).passed());
    assert!(!compare(&a, &far).passed());
    for b in [longer, stereo, rate] {
        assert!(!compare(&a, &b).passed());
    }
}

/// The original engine's EQ: Hann window before the FFT *and* after the inverse FFT, frames
/// of 4096 simply concatenated (no overlap-add).
fn original_broken_eq(audio: &AudioBuffer, gains: &EqGains) -> AudioBuffer {
    let n = 4096;
    let mut planner = RealFftPlanner::<f32>::new();
    let (forward, inverse) = (planner.plan_fft_forward(n), planner.plan_fft_inverse(n));
    let hann: Vec<f32> = (0..n)
        .map(|k| (0.5 - 0.5 * (std::f64::consts::TAU * k as f64 / n as f64).cos()) as f32)
        .collect();
    let centres = band_centres_hz();
    let bin_hz = audio.sample_rate() as f32 / n as f32;
    // Nearest-band gains, no interpolation (also as the original did).
    let bin_gain: Vec<f32> = (0..=n / 2)
        .map(|k| {
            let f = k as f32 * bin_hz;
            let band = centres
                .iter()
                .enumerate()
                .min_by(|a, b| (a.1 - f).abs().total_cmp(&(b.1 - f).abs()))
                .map(|(i, _)| i)
                .unwrap();
            10f32.powf(gains.as_slice()[band] / 20.0)
        })
        .collect();
    let channels = audio
        .channels()
        .iter()
        .map(|x| {
            let mut out = vec![0.0f32; x.len()];
            for start in (0..x.len()).step_by(n) {
                let end = (start + n).min(x.len());
                let mut frame = vec![0.0f32; n];
                for (i, v) in frame.iter_mut().enumerate().take(end - start) {
                    *v = x[start + i] * hann[i];
                }
                let mut spectrum = forward.make_output_vec();
                forward.process(&mut frame, &mut spectrum).unwrap();
                for (bin, g) in spectrum.iter_mut().zip(&bin_gain) {
                    *bin *= *g;
                }
                spectrum[0].im = 0.0;
                spectrum[n / 2].im = 0.0;
                inverse.process(&mut spectrum, &mut frame).unwrap();
                for i in 0..end - start {
                    out[start + i] = frame[i] / n as f32 * hann[i];
                }
            }
            out
        })
        .collect();
    AudioBuffer::new(channels, audio.sample_rate()).unwrap()
}

#[test]
fn the_gate_rejects_the_original_algorithm() {
    let audio = auralis_fixtures::generate_seconds(5.0);
    let flat = settings(EqGains::flat(), 1024);
    let reference = process(ImplKind::Reference, &audio, &flat).unwrap();
    let broken = original_broken_eq(&audio, &EqGains::flat());
    let accuracy = compare(&reference, &broken);
    assert!(!accuracy.passed());
    let db = accuracy.metrics.relative_error_db();
    eprintln!(
        "original algorithm at 0 dB: relative RMS error {:.3} ({db:.2} dB), correlation {:.4}",
        accuracy.metrics.relative_rms_error, accuracy.metrics.correlation
    );
    // sqrt(mean((1 − hann²)²)) = sqrt(67/128) ≈ 0.7235 → −2.81 dB on stationary input.
    assert!((-3.3..-2.3).contains(&db), "{db} dB");

    // With gains, too.
    let balanced = EqGains::preset("balanced").unwrap();
    let reference = process(
        ImplKind::Reference,
        &audio,
        &settings(balanced.clone(), 1024),
    )
    .unwrap();
    assert!(!compare(&reference, &original_broken_eq(&audio, &balanced)).passed());
}

#[test]
fn the_gate_rejects_subtle_defects() {
    let audio = music_like(3.0, 44_100, 2, 5);
    let gains = EqGains::preset("balanced").unwrap();
    let reference = process(ImplKind::Reference, &audio, &settings(gains.clone(), 1024)).unwrap();

    // Gains shifted by one band (an off-by-one in the band table).
    let mut shifted = gains.as_array();
    shifted.rotate_right(1);
    let off_by_one = process(
        ImplKind::Reference,
        &audio,
        &settings(EqGains::new(&shifted).unwrap(), 1024),
    )
    .unwrap();
    assert!(!compare(&reference, &off_by_one).passed());

    // A 0.01 dB level error (e.g. a slightly wrong overlap-add normalisation).
    let scaled: Vec<Vec<f32>> = reference
        .channels()
        .iter()
        .map(|c| c.iter().map(|v| v * 1.001_152).collect())
        .collect();
    let scaled = AudioBuffer::new(scaled, 44_100).unwrap();
    let accuracy = compare(&reference, &scaled);
    assert!(!accuracy.passed(), "{:?}", accuracy.metrics);

    // One sample of delay.
    let delayed: Vec<Vec<f32>> = reference
        .channels()
        .iter()
        .map(|c| {
            std::iter::once(0.0)
                .chain(c[..c.len() - 1].iter().copied())
                .collect()
        })
        .collect();
    let delayed = AudioBuffer::new(delayed, 44_100).unwrap();
    assert!(!compare(&reference, &delayed).passed());
}
