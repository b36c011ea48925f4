//! Every implementation against the reference, on the inputs that stress different paths.

mod common;

use auralis_core::{AudioBuffer, ImplKind};
use auralis_spectrum::{
    analyze, compare, weighting_db, SpectrumSettings, SpectrumStage, Weighting,
    BAND_LEVEL_TOLERANCE_DB,
};
use auralis_testkit::signals::{sine_buffer as sine, square};
use common::{assert_variants_agree, music_like};

fn defaults() -> SpectrumSettings {
    SpectrumSettings::default()
}

#[test]
fn music_like_stereo_5s() {
    let audio = music_like(5.0, 44_100, 2);
    let r = assert_variants_agree(&audio, &defaults());
    assert_eq!(r.frames, (5 * 44_100 - 4096) / 1024 + 1);
    // A broadband signal: the centroid sits between bass and hi-hat, the rolloff above it.
    let (centroid, rolloff) = (r.centroid_hz.unwrap(), r.rolloff_hz.unwrap());
    assert!(centroid > 50.0 && rolloff >= centroid * 0.5, "{r:?}");
}

#[test]
fn every_weighting_and_hop() {
    let audio = music_like(2.0, 44_100, 2);
    for weighting in Weighting::ALL {
        for hop in [512, 1024, 4096] {
            let settings = SpectrumSettings {
                weighting,
                hop,
                ..defaults()
            };
            assert_variants_agree(&audio, &settings);
        }
    }
}

#[test]
fn non_power_of_two_fft_and_more_bands() {
    let audio = music_like(1.0, 48_000, 2);
    let settings = SpectrumSettings {
        fft_size: 3000,
        hop: 750,
        bands: 100,
        ..defaults()
    };
    let r = assert_variants_agree(&audio, &settings);
    assert_eq!(r.band_levels_db.len(), 100);
}

#[test]
fn odd_fft_size() {
    let audio = music_like(1.0, 44_100, 2);
    let settings = SpectrumSettings {
        fft_size: 2001,
        hop: 500,
        ..defaults()
    };
    assert_variants_agree(&audio, &settings);
}

#[test]
fn standard_fixture_5s() {
    let audio = auralis_fixtures::generate_seconds(5.0);
    let r = assert_variants_agree(&audio, &defaults());
    assert_eq!(r.frames, 212);
}

#[test]
fn input_shorter_than_one_frame_is_zero_padded() {
    let audio = music_like(0.05, 44_100, 2); // 2205 samples < 4096
    let r = assert_variants_agree(&audio, &defaults());
    assert_eq!(r.frames, 1);
    // A single sample is still one (mostly padding) frame, not an error.
    let one = AudioBuffer::new(vec![vec![0.5]], 44_100).unwrap();
    assert_eq!(assert_variants_agree(&one, &defaults()).frames, 1);
}

#[test]
fn mono_and_six_channels() {
    let mono = music_like(1.5, 44_100, 1);
    assert_variants_agree(&mono, &defaults());
    let six = music_like(1.5, 44_100, 6);
    assert_variants_agree(&six, &defaults());
}

#[test]
fn lowest_and_highest_sample_rates() {
    for sr in [8_000, 192_000] {
        let audio = music_like(1.0, sr, 2);
        let r = assert_variants_agree(&audio, &defaults());
        let nyquist = sr as f32 / 2.0;
        // Bands wholly above Nyquist (8 kHz) are empty: −200 dB plus their weighting.
        for (i, &level) in r.band_levels_db.iter().enumerate() {
            let f = r.band_centres_hz[i];
            if r.band_lower_edges_hz[i] > nyquist {
                let expected = -200.0 + weighting_db(Weighting::A, f64::from(f));
                assert!(
                    (f64::from(level) - expected).abs() < 1e-3,
                    "{f} Hz: {level}"
                );
            }
        }
    }
}

#[test]
fn digital_silence_is_the_floor_plus_weighting() {
    let audio = AudioBuffer::new(vec![vec![0.0; 20_000]; 2], 44_100).unwrap();
    for weighting in Weighting::ALL {
        let settings = SpectrumSettings {
            weighting,
            ..defaults()
        };
        let r = assert_variants_agree(&audio, &settings);
        for (&f, &level) in r.band_centres_hz.iter().zip(&r.band_levels_db) {
            let expected = -200.0 + weighting_db(weighting, f64::from(f));
            assert!(
                (f64::from(level) - expected).abs() < 1e-3,
                "{weighting}: {f} Hz: {level}"
            );
        }
        // Nothing but silence: no invented peak, centroid, rolloff or energy.
        assert_eq!(r.silent_frames, r.frames);
        assert_eq!(
            (
                r.peak_frequency_hz,
                r.centroid_hz,
                r.rolloff_hz,
                r.total_energy_db
            ),
            (None, None, None, None),
            "{r:?}"
        );
    }
}

#[test]
fn full_scale_square_wave() {
    let audio = square(441.0, 3 * 44_100, 44_100);
    let r = assert_variants_agree(
        &audio,
        &SpectrumSettings {
            weighting: Weighting::Z,
            ..defaults()
        },
    );
    // The fundamental (441 Hz) dominates: the peak band is the one containing it.
    let band = r
        .band_lower_edges_hz
        .iter()
        .rposition(|&f| f <= 441.0)
        .unwrap();
    assert_eq!(r.peak_frequency_hz, Some(r.band_centres_hz[band]), "{r:?}");
    assert!(r.band_lower_edges_hz[band] <= 441.0 && 441.0 < r.band_upper_edges_hz[band]);
}

/// The kit's checks (reference, stale outputs, 1/2/3/7 threads), plus the spectrum's own
/// stronger claim: the parallel variant is the vectorized one, bit for bit.
#[test]
fn passes_the_kit_and_parallel_equals_vectorized() {
    // 6 s: 255 frames, several blocks; the wave logic is covered by the long test below.
    let audio = music_like(6.0, 44_100, 2);
    auralis_testkit::check_stage(&SpectrumStage, &defaults(), &audio);
    assert_eq!(
        analyze(ImplKind::Parallel, &audio, &defaults()).unwrap(),
        analyze(ImplKind::Vectorized, &audio, &defaults()).unwrap()
    );
}

#[test]
fn parallel_spans_several_waves_exactly() {
    // Hop 32 over 2 s: 2629 frames, more than one wave of 2048.
    let audio = music_like(2.0, 44_100, 1);
    let settings = SpectrumSettings {
        hop: 32,
        ..defaults()
    };
    let frames = (audio.len() - 4096) / 32 + 1;
    assert!(
        frames > auralis_spectrum::parallel::wave_frames(64),
        "{frames}"
    );
    let vectorized = analyze(ImplKind::Vectorized, &audio, &settings).unwrap();
    let parallel = analyze(ImplKind::Parallel, &audio, &settings).unwrap();
    assert_eq!(parallel, vectorized);
    let reference = analyze(ImplKind::Reference, &audio, &settings).unwrap();
    assert!(compare(&reference, &parallel).passed());
}

#[test]
fn many_bands_keep_waves_small_and_still_exact() {
    // 4096 bands: waves shrink to the minimum of 8 blocks (256 frames), so 300 frames span two.
    assert_eq!(auralis_spectrum::parallel::wave_frames(4096), 256);
    let audio = music_like(1.0, 44_100, 2);
    let settings = SpectrumSettings {
        bands: 4096,
        hop: 128,
        ..defaults()
    };
    let vectorized = analyze(ImplKind::Vectorized, &audio, &settings).unwrap();
    assert!(vectorized.frames > 256);
    assert_eq!(
        analyze(ImplKind::Parallel, &audio, &settings).unwrap(),
        vectorized
    );
}

#[test]
fn stereo_is_the_mean_of_both_channels_not_channel_zero() {
    let tone = sine(1000.0, 0.5, 20_000, 44_100, 1);
    let mut left_only = tone.channels().to_vec();
    left_only.push(vec![0.0; 20_000]);
    let left_only = AudioBuffer::new(left_only, 44_100).unwrap();
    for kind in ImplKind::ALL {
        let mono = analyze(kind, &tone, &defaults()).unwrap();
        let stereo = analyze(kind, &left_only, &defaults()).unwrap();
        // Mean of (x, 0) is x/2: every non-floor band drops by 20·log10(2) = 6.02 dB.
        let peak = mono
            .band_levels_db
            .iter()
            .zip(&stereo.band_levels_db)
            .max_by(|a, b| a.0.total_cmp(b.0))
            .unwrap();
        let drop = f64::from(peak.0 - peak.1);
        assert!((drop - 6.0206).abs() < 1e-3, "{kind}: {drop}");
    }
}

#[test]
fn tolerance_is_tight_enough_to_catch_a_skipped_smoothing_step() {
    // The original parallel analyzer skipped smoothing; `compare` must reject such a result.
    let audio = music_like(3.0, 44_100, 2);
    let smoothed = analyze(ImplKind::Reference, &audio, &defaults()).unwrap();
    let mut unsmoothed = analyze(
        ImplKind::Reference,
        &audio,
        &SpectrumSettings {
            smoothing: 0.0,
            ..defaults()
        },
    )
    .unwrap();
    unsmoothed.settings = smoothed.settings.clone();
    let accuracy = compare(&smoothed, &unsmoothed);
    assert!(!accuracy.passed());
    assert!(
        accuracy.checks.iter().filter(|c| !c.passed).count() >= 2,
        "{:?}",
        accuracy.failures()
    );
    assert!(
        accuracy.metrics.max_abs_error > 10.0 * BAND_LEVEL_TOLERANCE_DB,
        "{:?}",
        accuracy.metrics
    );
}
