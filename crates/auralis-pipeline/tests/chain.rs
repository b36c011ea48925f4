//! The mastering chain's checks (mastering-pipeline issue, "Checks"), on in-memory audio:
//! every preset lands on its loudness target under our meter and the `ebur128` crate, true
//! peak stays under the ceiling under the `ebur128` crate, shape is kept; identity settings
//! return the input; reference matching; thread-count independence; bad input.

use auralis_core::{AudioBuffer, ImplKind};
use auralis_pipeline::{Pipeline, PipelineSettings, PRESETS};
use auralis_testkit::oracle::{ebur128_reading, ebur128_true_peak};
use auralis_testkit::signals::relative_error_db;

fn master(
    settings: PipelineSettings,
    audio: &AudioBuffer,
    kind: ImplKind,
) -> auralis_pipeline::Mastered {
    Pipeline::new(settings, audio.sample_rate())
        .unwrap()
        .process(kind, audio)
        .unwrap()
}

#[test]
fn every_preset_hits_its_target_under_ceiling_by_two_meters() {
    let audio = auralis_fixtures::generate_seconds(30.0);
    for name in PRESETS {
        let settings = PipelineSettings::preset(name).unwrap();
        let target = settings.target();
        let m = master(settings, &audio, ImplKind::Parallel);
        let out = &m.audio;
        assert_eq!(
            (out.len(), out.num_channels()),
            (audio.len(), audio.num_channels())
        );
        let ours = m.report.output.integrated_lufs.unwrap();
        let theirs = ebur128_reading(out, None).integrated_lufs;
        let tp_db = 20.0 * ebur128_true_peak(out).log10();
        eprintln!(
            "{name}: {ours:.3} LUFS (ebur128 {theirs:.3}), target {target}, TP {tp_db:.3} dBTP, \
             EQ {:?}, GR {:?}, {} passes, {:?}",
            m.report.eq_gains_db, m.report.gain_reduction_db, m.report.passes, m.report.warnings
        );
        // On target within 0.1 LU by both meters — unless that takes more than 6 dB of
        // limiting, which the report must then say (the fixture under `loud`: 9.5 dB).
        let out_of_reach = m.report.gain_reduction_db.limiter_max_db > 6.0;
        if out_of_reach {
            assert!(
                m.report.warnings.iter().any(|w| w.contains("of limiting")),
                "{name}: {:?}",
                m.report.warnings
            );
        } else {
            assert!((ours - target).abs() <= 0.1, "{name}: {ours}");
            assert!((theirs - target).abs() <= 0.1, "{name}: ebur128 {theirs}");
        }
        assert!((ours - theirs).abs() <= 0.01, "{name}: meters disagree");
        // ceiling − 0.1 dB ≤ true peak ≤ ceiling + 0.001 dB under the ebur128 crate.
        assert!(
            (-1.1..=-1.0 + 0.001).contains(&tp_db),
            "{name}: true peak {tp_db}"
        );
        assert!(out
            .channels()
            .iter()
            .all(|c| c.iter().all(|x| x.is_finite())));
    }
}

#[test]
fn identity_settings_return_the_input() {
    let audio = auralis_fixtures::generate_seconds(8.0);
    let loudness = ebur128_reading(&audio, None).integrated_lufs;
    // The fixture peaks at −0.5 dBFS: a ceiling of 0 dBTP is above its true peak.
    let tp = 20.0 * ebur128_true_peak(&audio).log10();
    assert!(tp < -0.01, "{tp}");
    let m = master(
        PipelineSettings::flat(Some(loudness), 0.0),
        &audio,
        ImplKind::Parallel,
    );
    for (a, b) in audio.channels().iter().zip(m.audio.channels()) {
        let error = relative_error_db(a, b);
        assert!(error <= -100.0, "{error} dB");
    }
}

#[test]
fn matching_a_track_to_itself_changes_nothing_and_a_brighter_reference_lifts_the_top() {
    let audio = auralis_fixtures::generate_seconds(10.0);
    let m = master(
        PipelineSettings::reference(&audio).unwrap(),
        &audio,
        ImplKind::Parallel,
    );
    assert!(
        m.report.eq_gains_db.iter().all(|g| g.abs() <= 0.1),
        "{:?}",
        m.report.eq_gains_db
    );
    let bright = auralis_eq::process(
        ImplKind::Parallel,
        &audio,
        &auralis_eq::EqSettings {
            gains: auralis_eq::EqGains::preset("bright").unwrap(),
            ..Default::default()
        },
    )
    .unwrap();
    let m = master(
        PipelineSettings::reference(&bright).unwrap(),
        &audio,
        ImplKind::Parallel,
    );
    let g = &m.report.eq_gains_db;
    let (low, high) = (
        g[..8].iter().sum::<f32>() / 8.0,
        g[19..].iter().sum::<f32>() / 6.0,
    );
    assert!(high > low + 1.0, "{g:?}");
}

#[test]
fn output_does_not_depend_on_the_thread_count() {
    let audio = auralis_fixtures::generate_seconds(6.0);
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| {
                master(
                    PipelineSettings::preset("balanced").unwrap(),
                    &audio,
                    ImplKind::Parallel,
                )
                .audio
            })
    };
    let one = run(1);
    for threads in [2, 7] {
        assert!(run(threads) == one, "{threads} threads");
    }
}

#[test]
fn silence_goes_through_the_limiter_and_says_so() {
    let audio = AudioBuffer::new(vec![vec![0.0; 44_100 * 4]; 2], 44_100).unwrap();
    let m = master(
        PipelineSettings::preset("balanced").unwrap(),
        &audio,
        ImplKind::Vectorized,
    );
    assert!(m.report.output.integrated_lufs.is_none());
    assert!(
        m.report.warnings.iter().any(|w| w.contains("no loudness")),
        "{:?}",
        m.report.warnings
    );
    assert!(m
        .audio
        .channels()
        .iter()
        .all(|c| c.iter().all(|&x| x == 0.0)));
}

#[test]
fn bad_requests_are_errors() {
    assert!(PipelineSettings::preset("extreme").is_err());
    let short = auralis_fixtures::generate_seconds(2.0);
    assert!(PipelineSettings::reference(&short).is_err());
    let audio = auralis_fixtures::generate_seconds(4.0);
    let p = Pipeline::new(PipelineSettings::preset("warm").unwrap(), 48_000).unwrap();
    assert!(
        p.process(ImplKind::Reference, &audio).is_err(),
        "rate mismatch"
    );
}

/// The chain runs its EQ at hop 2048 (half the FFTs of the EQ's default 1024). How far is
/// that master from one at hop 1024? Printed, and held to the bound the measurement
/// supports.
#[test]
fn eq_at_hop_2048_against_hop_1024() {
    let audio = auralis_fixtures::generate_seconds(30.0);
    let at = |hop: usize| {
        let mut settings = PipelineSettings::preset("balanced").unwrap();
        settings.eq_hop = hop;
        master(settings, &audio, ImplKind::Parallel)
    };
    let (fast, slow) = (at(2048), at(1024));
    let metrics = auralis_core::Metrics::of_channels(slow.audio.channels(), fast.audio.channels());
    let loudness = (fast.report.output.integrated_lufs.unwrap()
        - slow.report.output.integrated_lufs.unwrap())
    .abs();
    eprintln!(
        "hop 2048 vs 1024: relative RMS {:.3e} ({:.1} dB), loudness {loudness:.4} LU",
        metrics.relative_rms_error,
        20.0 * metrics.relative_rms_error.log10()
    );
    assert!(
        metrics.relative_rms_error <= HOP_2048_RELATIVE_RMS,
        "{}",
        metrics.relative_rms_error
    );
    assert!(loudness <= 0.05, "{loudness}");
}

/// See `eq_at_hop_2048_against_hop_1024`: measured 1.66e-4 (−75.6 dB) on the 30 s fixture,
/// loudness equal to 1e-4 LU. That is above the 1e-4 the chain's *variants* are held to (a
/// hop is a setting with its own STFT grid, not a rounding difference) and far below
/// audibility; 5e-4 (−66 dB) leaves a margin.
const HOP_2048_RELATIVE_RMS: f64 = 5e-4;

#[test]
fn handing_the_input_over_gives_the_same_master() {
    let audio = auralis_fixtures::generate_seconds(6.0);
    let pipeline = Pipeline::new(PipelineSettings::preset("balanced").unwrap(), 44_100).unwrap();
    for kind in ImplKind::ALL {
        let borrowed = pipeline.process(kind, &audio).unwrap();
        let mut steps = Vec::new();
        let owned = pipeline
            .process_owned_observed(kind, audio.clone(), &mut |s| steps.push(s))
            .unwrap();
        assert_eq!(borrowed, owned, "{kind}");
        assert_eq!(steps, auralis_pipeline::STEPS);
    }
}

#[test]
fn process_into_reuses_a_buffer_and_gives_the_same_master() {
    let pipeline = Pipeline::new(PipelineSettings::preset("balanced").unwrap(), 44_100).unwrap();
    let (a, b) = (
        auralis_fixtures::generate_seconds(6.0),
        auralis_fixtures::generate_seconds(4.0),
    );
    let mut out = None;
    for audio in [&a, &b, &a] {
        pipeline
            .process_into(ImplKind::Vectorized, audio, &mut out)
            .unwrap();
        let fresh = pipeline.process(ImplKind::Vectorized, audio).unwrap();
        assert_eq!(out.as_ref().unwrap(), &fresh);
    }
}
