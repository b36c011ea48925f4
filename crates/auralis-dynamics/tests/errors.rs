//! Bad parameters and bad input: typed errors naming the problem, never a panic.

use auralis_core::{AudioBuffer, Error, ImplKind};
use auralis_dynamics::{
    process, CompressorSettings, DynamicsSettings, EnvelopeFollower, LimiterSettings,
};

fn audio() -> AudioBuffer {
    AudioBuffer::new(vec![vec![0.1; 1000], vec![-0.2; 1000]], 44_100).unwrap()
}

fn expect_param(settings: DynamicsSettings, name: &str) {
    for kind in ImplKind::ALL {
        match process(kind, &audio(), &settings) {
            Err(Error::InvalidParameter { name: n, reason }) => {
                assert_eq!(n, name, "{kind}");
                assert!(!reason.is_empty());
            }
            other => panic!(
                "{kind} {name}: expected InvalidParameter, got {:?}",
                other.map(|o| o.stats)
            ),
        }
    }
}

#[test]
fn invalid_compressor_parameters() {
    let c = CompressorSettings::default();
    let cases: Vec<(CompressorSettings, &str)> = vec![
        (
            CompressorSettings {
                ratio: 0.5,
                ..c.clone()
            },
            "compressor.ratio",
        ),
        (
            CompressorSettings {
                ratio: f32::NAN,
                ..c.clone()
            },
            "compressor.ratio",
        ),
        (
            CompressorSettings {
                attack_ms: 0.0,
                ..c.clone()
            },
            "compressor.attack_ms",
        ),
        (
            CompressorSettings {
                release_ms: 0.0,
                ..c.clone()
            },
            "compressor.release_ms",
        ),
        (
            CompressorSettings {
                attack_ms: f32::INFINITY,
                ..c.clone()
            },
            "compressor.attack_ms",
        ),
        (
            CompressorSettings {
                knee_db: -2.0,
                ..c.clone()
            },
            "compressor.knee_db",
        ),
        (
            CompressorSettings {
                threshold_db: f32::NAN,
                ..c.clone()
            },
            "compressor.threshold_db",
        ),
        (
            CompressorSettings {
                lookahead_ms: -1.0,
                ..c.clone()
            },
            "compressor.lookahead_ms",
        ),
        (
            CompressorSettings {
                makeup_db: f32::INFINITY,
                ..c
            },
            "compressor.makeup_db",
        ),
    ];
    for (comp, name) in cases {
        expect_param(
            DynamicsSettings {
                compressor: Some(comp),
                limiter: None,
            },
            name,
        );
    }
}

#[test]
fn invalid_limiter_parameters() {
    let l = LimiterSettings::default();
    let cases: Vec<(LimiterSettings, &str)> = vec![
        (
            LimiterSettings {
                ceiling_db: 0.1,
                ..l.clone()
            },
            "limiter.ceiling_db",
        ),
        (
            LimiterSettings {
                ceiling_db: f32::NAN,
                ..l.clone()
            },
            "limiter.ceiling_db",
        ),
        (
            LimiterSettings {
                release_ms: 0.0,
                ..l.clone()
            },
            "limiter.release_ms",
        ),
        (
            LimiterSettings {
                release_ms: f32::NAN,
                ..l.clone()
            },
            "limiter.release_ms",
        ),
        (
            LimiterSettings {
                lookahead_ms: f32::INFINITY,
                ..l
            },
            "limiter.lookahead_ms",
        ),
    ];
    for (lim, name) in cases {
        expect_param(
            DynamicsSettings {
                compressor: None,
                limiter: Some(lim),
            },
            name,
        );
    }
}

#[test]
fn envelope_follower_rejects_bad_times() {
    assert!(matches!(
        EnvelopeFollower::new(0.0, 100.0, 44_100),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(
        EnvelopeFollower::new(10.0, -1.0, 44_100),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(
        EnvelopeFollower::new(f32::NAN, 1.0, 44_100),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(EnvelopeFollower::new(10.0, 100.0, 44_100).is_ok());
}

#[test]
fn nothing_to_do_is_not_an_error() {
    let none = DynamicsSettings {
        compressor: None,
        limiter: None,
    };
    for kind in ImplKind::ALL {
        let out = process(kind, &audio(), &none).unwrap();
        assert_eq!(out.audio, audio());
        assert!(out.gain_db.iter().all(|&g| g == 0.0));
    }
    // A single frame works too (shorter than every lookahead).
    let one = AudioBuffer::new(vec![vec![0.9]], 8_000).unwrap();
    for kind in ImplKind::ALL {
        let out = process(kind, &one, &DynamicsSettings::default()).unwrap();
        assert_eq!(out.audio.len(), 1);
    }
}
