//! Every implementation against the reference on the music fixture, through the same gate
//! the lab uses; the stage interface. Stale outputs, thread counts and the stream: the stage
//! kit (`kit.rs`).

use auralis_core::{ImplKind, LabStage, Stage};
use auralis_dynamics::{
    compare, process, CompressorSettings, DynamicsOutput, DynamicsSettings, DynamicsStage,
    LimiterSettings, PeakMode, GAIN_TOLERANCE_DB,
};

fn settings(makeup_db: f32, mode: PeakMode) -> DynamicsSettings {
    DynamicsSettings {
        compressor: Some(CompressorSettings {
            makeup_db,
            ..Default::default()
        }),
        limiter: Some(LimiterSettings {
            mode,
            ..Default::default()
        }),
    }
}

/// The 5 s music fixture (quiet and loud sections, transients, −0.5 dBFS peak).
fn music() -> auralis_core::AudioBuffer {
    auralis_fixtures::generate_seconds(5.0)
}

fn run(kind: ImplKind, s: &DynamicsSettings) -> DynamicsOutput {
    process(kind, &music(), s).unwrap()
}

#[test]
fn every_implementation_passes_the_gate_on_music() {
    // Defaults (compressor only really works), +6 dB makeup (the limiter works too), and
    // true-peak limiting.
    for (makeup, mode) in [
        (0.0, PeakMode::Sample),
        (6.0, PeakMode::Sample),
        (6.0, PeakMode::True),
    ] {
        let s = settings(makeup, mode);
        let reference = run(ImplKind::Reference, &s);
        assert!(
            reference.stats.max_reduction_db > 3.0,
            "the fixture must engage the compressor"
        );
        assert!(reference.stats.time_over_threshold_secs > 0.1);
        if makeup > 0.0 {
            // Peaks get limited: the total gain dips below what the compressor alone does.
            let comp_only = process(
                ImplKind::Reference,
                &music(),
                &DynamicsSettings {
                    limiter: None,
                    ..s.clone()
                },
            )
            .unwrap();
            let limited = reference
                .gain_db
                .iter()
                .zip(&comp_only.gain_db)
                .filter(|(a, b)| a < b)
                .count();
            assert!(limited > 100, "limiter engaged on {limited} frames");
        }
        for kind in [ImplKind::Vectorized, ImplKind::Parallel] {
            let out = run(kind, &s);
            let accuracy = compare(&reference, &out);
            assert!(
                accuracy.passed(),
                "{kind} makeup {makeup} {mode:?}: {:?}",
                accuracy.failures()
            );
            assert!(accuracy.metrics.max_abs_error <= GAIN_TOLERANCE_DB);
        }
    }
}

#[test]
fn gate_rejects_a_wrong_trajectory() {
    let s = DynamicsSettings::default();
    let reference = run(ImplKind::Reference, &s);
    let mut wrong = reference.clone();
    wrong.gain_db[123_456] -= 1e-4;
    assert!(!compare(&reference, &wrong).passed());
    let mut louder = reference.clone();
    let boosted: Vec<Vec<f32>> = louder
        .audio
        .channels()
        .iter()
        .map(|c| c.iter().map(|s| s * 1.001).collect())
        .collect();
    louder.audio = auralis_core::AudioBuffer::new(boosted, 44_100).unwrap();
    assert!(!compare(&reference, &louder).passed());
    assert!(compare(&reference, &reference).passed());
}

#[test]
fn outputs_are_aligned_and_gains_are_at_most_makeup() {
    let s = settings(3.0, PeakMode::Sample);
    let audio = music();
    for kind in ImplKind::ALL {
        let out = process(kind, &audio, &s).unwrap();
        assert_eq!(out.audio.len(), audio.len());
        assert_eq!(out.gain_db.len(), audio.len());
        assert!(out.gain_db.iter().all(|&g| g <= 3.0));
        // Every output frame is its own input frame times its own reported gain: no latency
        // left in the output, and `gain_db` means what it says.
        let mut checked = 0;
        for c in 0..audio.num_channels() {
            for i in 0..audio.len() {
                let x = f64::from(audio.channel(c)[i]);
                let expected = x * 10f64.powf(f64::from(out.gain_db[i]) / 20.0);
                let got = f64::from(out.audio.channel(c)[i]);
                assert!(
                    (got - expected).abs() <= 1e-5 * x.abs() + 1e-12,
                    "{kind} {c} {i}: {got} vs {expected}"
                );
                checked += usize::from(x.abs() > 0.01);
            }
        }
        assert!(checked > 100_000, "{checked}");
    }
}

#[test]
fn stage_interface_runs_compares_traces_and_streams() {
    let stage = DynamicsStage::default();
    assert_eq!(Stage::name(&stage), "dynamics");
    assert_eq!(Stage::implementations(&stage), &ImplKind::ALL);
    let lab: &dyn LabStage = &stage;
    let audio = music();
    let r = lab.run_erased(ImplKind::Reference, &audio).unwrap();
    let v = lab.run_erased(ImplKind::Vectorized, &audio).unwrap();
    assert!(lab.compare_erased(&*r, &*v).passed());
    let traces = lab.traces_erased(&*r);
    assert_eq!(traces.len(), 1);
    let t = &traces[0];
    assert!(
        (1900..=2000).contains(&t.values.len()),
        "{}",
        t.values.len()
    );
    assert!(t.values.iter().all(|&v| v <= 0.0));
    let reference = r.downcast_ref::<DynamicsOutput>().unwrap();
    let deepest = t.values.iter().fold(0.0f32, |m, &v| m.min(v));
    assert!(
        (deepest + reference.stats.max_reduction_db).abs() < 1e-4,
        "min-hold keeps the peak"
    );
    let stream = lab.stream_erased(2, 44_100).unwrap().unwrap();
    assert_eq!(stream.latency_frames(), 2 * 221);
    assert!(!lab.tolerance().is_empty());
}
