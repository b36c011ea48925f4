//! The static curve against the STAGES.md formula, and the attack/release time constants
//! measured through the whole chain.

use auralis_core::{AudioBuffer, ImplKind};
use auralis_dynamics::{compressor_gain_db, process, CompressorSettings, DynamicsSettings};

/// STAGES.md §3, written out independently of the crate.
fn formula(level: f64, t: f64, r: f64, w: f64) -> f64 {
    let slope = 1.0 - 1.0 / r;
    if level < t - w / 2.0 {
        0.0
    } else if level > t + w / 2.0 {
        -(level - t) * slope
    } else {
        -slope * (level - t + w / 2.0).powi(2) / (2.0 * w)
    }
}

#[test]
fn static_curve_matches_the_formula_below_in_and_above_the_knee() {
    let cases = [
        (-18.0, 4.0, 2.0),
        (-30.0, 10.0, 6.0),
        (-6.0, 1.5, 12.0),
        (-12.0, 2.0, 0.5),
    ];
    for (t, r, w) in cases {
        let s = CompressorSettings {
            threshold_db: t as f32,
            ratio: r as f32,
            knee_db: w as f32,
            ..Default::default()
        };
        let mut counts = [0usize; 3];
        for i in 0..=4000 {
            let level = -60.0 + 70.0 * f64::from(i) / 4000.0;
            let got = f64::from(compressor_gain_db(level as f32, &s));
            let want = formula(level, t, r, w);
            assert!(
                (got - want).abs() <= 0.01,
                "T={t} R={r} W={w} L={level}: {got} vs {want}"
            );
            let region = if level < t - w / 2.0 {
                0
            } else if level > t + w / 2.0 {
                2
            } else {
                1
            };
            counts[region] += 1;
        }
        assert!(
            counts.iter().all(|&c| c > 20),
            "every region sampled: {counts:?}"
        );
    }
}

#[test]
fn static_curve_is_continuous_non_increasing_and_hard_knee_works() {
    let s = CompressorSettings::default();
    let mut last = 0.0f32;
    for i in 0..=10_000 {
        let level = -40.0 + 40.0 * i as f32 / 10_000.0;
        let g = compressor_gain_db(level, &s);
        assert!(g <= 0.0 && g <= last + 1e-6, "{level}: {g} after {last}");
        assert!((g - last).abs() < 0.01, "jump at {level}");
        last = g;
    }
    let hard = CompressorSettings {
        knee_db: 0.0,
        ..Default::default()
    };
    assert_eq!(compressor_gain_db(-18.0, &hard), 0.0);
    assert!((compressor_gain_db(-10.0, &hard) + 6.0).abs() < 1e-6);
}

/// Frames after the step at which the reduction first reaches `fraction` of its final value.
fn crossing(gain_db: &[f32], from: usize, start_db: f32, end_db: f32, fraction: f32) -> usize {
    let target = start_db + fraction * (end_db - start_db);
    let falling = end_db < start_db;
    (from..gain_db.len())
        .find(|&i| {
            if falling {
                gain_db[i] <= target
            } else {
                gain_db[i] >= target
            }
        })
        .map(|i| i - from)
        .unwrap_or(usize::MAX)
}

#[test]
fn attack_and_release_reach_63_percent_after_one_time_constant() {
    let rate = 48_000;
    let (attack_ms, release_ms) = (10.0f32, 100.0f32);
    let (tau_a, tau_r) = (480.0, 4800.0);
    for lookahead_ms in [0.0f32, 5.0] {
        let la = (lookahead_ms * 48.0) as usize;
        let settings = DynamicsSettings {
            compressor: Some(CompressorSettings {
                attack_ms,
                release_ms,
                lookahead_ms,
                ..Default::default()
            }),
            limiter: None,
        };
        // Silence, a 0 dBFS step (13.5 dB of reduction), silence again.
        let (on, off, len) = (4_800, 4_800 + 48_000, 4_800 + 48_000 + 60_000);
        let x: Vec<f32> = (0..len)
            .map(|i| if (on..off).contains(&i) { 1.0 } else { 0.0 })
            .collect();
        let audio = AudioBuffer::new(vec![x.clone(), x], rate).unwrap();
        for kind in ImplKind::ALL {
            let out = process(kind, &audio, &settings).unwrap();
            let g = &out.gain_db;
            let full = -13.5f32;
            assert!(
                (g[off - la - 1] - full).abs() < 1e-3,
                "{kind}: settled at {}",
                g[off - la - 1]
            );
            // The lookahead moves the gain change `la` frames ahead of the audio.
            let k = crossing(g, on - la, 0.0, full, 1.0 - (-1.0f32).exp());
            assert!(
                (k as f64 + 1.0 - tau_a).abs() <= 0.02 * tau_a,
                "{kind} la={la}: attack 63 % after {k} frames, τ = {tau_a}"
            );
            let k = crossing(g, off - la, full, 0.0, 1.0 - (-1.0f32).exp());
            assert!(
                (k as f64 + 1.0 - tau_r).abs() <= 0.02 * tau_r,
                "{kind} la={la}: release 63 % after {k} frames, τ = {tau_r}"
            );
            // The audio itself is delayed by exactly the lookahead (aligned output).
            assert_eq!(out.audio.channel(0)[on - 1], 0.0);
            assert!(out.audio.channel(0)[on] > 0.0);
        }
    }
}
