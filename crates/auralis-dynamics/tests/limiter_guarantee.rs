//! The limiter's guarantee, for every implementation, on adversarial random input:
//! no output sample above the ceiling, and in true-peak mode no 4×-oversampled peak above it
//! (measured by an independent implementation of the documented interpolator).

use auralis_core::{AudioBuffer, ImplKind};
use auralis_dynamics::{process, CompressorSettings, DynamicsSettings, LimiterSettings, PeakMode};
use auralis_fixtures::rng::SplitMix64;
use auralis_testkit::oracle::ebur128_true_peak as true_peak;
use auralis_testkit::signals::{linear, sample_peak};
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Shape {
    /// Uniform noise at this amplitude (linear; 4 = +12 dBFS).
    Noise(f32),
    /// Silence with single-sample spikes.
    Spikes { count: usize, amplitude: f32 },
    /// A sine at `cycles` per 100 samples (25 = fs/4, the worst case for inter-sample peaks).
    Sine {
        cycles: f32,
        phase: f32,
        amplitude: f32,
    },
    /// Bursts of noise separated by silence (attack, release and rest in turn).
    Bursts(f32),
}

fn signal(shape: &Shape, frames: usize, channels: usize, seed: u64) -> Vec<Vec<f32>> {
    let mut rng = SplitMix64::new(seed);
    (0..channels)
        .map(|_| match *shape {
            Shape::Noise(a) => (0..frames).map(|_| a * rng.next_signed_f32()).collect(),
            Shape::Spikes { count, amplitude } => {
                let mut x = vec![0.0; frames];
                for _ in 0..count {
                    let i = rng.index(frames);
                    let sign = if rng.next_signed_f32() < 0.0 {
                        -1.0
                    } else {
                        1.0
                    };
                    x[i] = amplitude * sign;
                }
                x
            }
            Shape::Sine {
                cycles,
                phase,
                amplitude,
            } => (0..frames)
                .map(|i| {
                    amplitude * (std::f32::consts::TAU * cycles * i as f32 / 100.0 + phase).sin()
                })
                .collect(),
            Shape::Bursts(a) => (0..frames)
                .map(|i| {
                    if (i / 700) % 3 == 0 {
                        a * rng.next_signed_f32()
                    } else {
                        0.0
                    }
                })
                .collect(),
        })
        .collect()
}

fn shapes() -> impl Strategy<Value = Shape> {
    prop_oneof![
        (0.01f32..8.0).prop_map(Shape::Noise),
        Just(Shape::Noise(1.0)),
        (1usize..6, 0.5f32..3000.0)
            .prop_map(|(count, amplitude)| Shape::Spikes { count, amplitude }),
        (0.1f32..49.9, 0.0f32..6.3, 0.5f32..4.0).prop_map(|(cycles, phase, amplitude)| {
            Shape::Sine {
                cycles,
                phase,
                amplitude,
            }
        }),
        Just(Shape::Sine {
            cycles: 25.0,
            phase: std::f32::consts::FRAC_PI_4,
            amplitude: 1.0
        }),
        (0.5f32..6.0).prop_map(Shape::Bursts),
    ]
}

/// A random test signal, kept as its recipe so that a failing case prints compactly.
#[derive(Clone, Debug)]
struct Signal {
    shape: Shape,
    seed: u64,
    frames: usize,
    channels: usize,
}

impl Signal {
    fn audio(&self, sample_rate: u32) -> AudioBuffer {
        let channels = signal(&self.shape, self.frames, self.channels, self.seed);
        AudioBuffer::new(channels, sample_rate).unwrap()
    }
}

/// Signals of every shape with `1..max_frames` frames and `1..max_channels` channels.
fn signals(max_frames: usize, max_channels: usize) -> impl Strategy<Value = Signal> {
    (shapes(), any::<u64>(), 1..max_frames, 1..max_channels).prop_map(
        |(shape, seed, frames, channels)| Signal {
            shape,
            seed,
            frames,
            channels,
        },
    )
}

fn limiter(ceiling_db: f32, lookahead_ms: f32, release_ms: f32, mode: PeakMode) -> LimiterSettings {
    LimiterSettings {
        ceiling_db,
        lookahead_ms,
        release_ms,
        mode,
    }
}

/// Limiters in `mode` with a ceiling in `min_ceiling_db..=0` dBFS, a lookahead in
/// `0..max_lookahead_ms` and a release in `1..max_release_ms`.
fn limiters(
    mode: PeakMode,
    min_ceiling_db: f32,
    max_lookahead_ms: f32,
    max_release_ms: f32,
) -> impl Strategy<Value = LimiterSettings> {
    (
        min_ceiling_db..=0.0,
        0.0..max_lookahead_ms,
        1.0..max_release_ms,
    )
        .prop_map(move |(ceiling_db, lookahead_ms, release_ms)| {
            limiter(ceiling_db, lookahead_ms, release_ms, mode)
        })
}

fn check_all(audio: &AudioBuffer, settings: &DynamicsSettings) -> Result<(), TestCaseError> {
    let l = settings.limiter.as_ref().expect("limiter");
    let ceiling = linear(l.ceiling_db);
    for kind in ImplKind::ALL {
        let out = process(kind, audio, settings).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(out.audio.len(), audio.len());
        let peak = sample_peak(&out.audio);
        prop_assert!(
            peak <= ceiling,
            "{}: sample peak {} > ceiling {}",
            kind,
            peak,
            ceiling
        );
        if l.mode == PeakMode::True {
            let tp = true_peak(&out.audio);
            prop_assert!(
                tp <= ceiling,
                "{}: true peak {} > ceiling {}",
                kind,
                tp,
                ceiling
            );
        }
        prop_assert!(out.gain_db.iter().all(|g| g.is_finite()));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn sample_peak_never_exceeds_the_ceiling(
        signal in signals(3000, 4),
        limiter in limiters(PeakMode::Sample, -12.0, 8.0, 200.0),
        rate in prop_oneof![Just(8_000u32), Just(44_100), Just(96_000)],
        with_compressor in any::<bool>(),
    ) {
        let settings = DynamicsSettings {
            // +12 dB makeup drives the limiter hard after the compressor.
            compressor: with_compressor.then(|| CompressorSettings { makeup_db: 12.0, ..Default::default() }),
            limiter: Some(limiter),
        };
        check_all(&signal.audio(rate), &settings)?;
    }

    #[test]
    fn true_peak_never_exceeds_the_ceiling(
        signal in signals(2000, 3),
        limiter in limiters(PeakMode::True, -6.0, 6.0, 100.0),
    ) {
        let settings = DynamicsSettings {
            compressor: None,
            limiter: Some(limiter),
        };
        check_all(&signal.audio(44_100), &settings)?;
    }
}

#[test]
fn extreme_inputs_stay_finite_and_under_the_ceiling() {
    let frames = 5_000;
    let mut x = vec![0.0f32; frames];
    // The largest accepted input (see `auralis_core::MAX_SAMPLE_MAGNITUDE`) next to the
    // smallest normal one; anything larger cannot become audio at all.
    let max = auralis_core::MAX_SAMPLE_MAGNITUDE;
    x[100] = max;
    x[101] = -max;
    x[2000] = f32::MIN_POSITIVE;
    x[3000] = max;
    for beyond in [f32::MAX, 1e30, 1e15, f32::from_bits(max.to_bits() + 1)] {
        let mut y = x.clone();
        y[3000] = beyond;
        assert!(AudioBuffer::new(vec![y], 44_100).is_err(), "{beyond}");
    }
    for mode in [PeakMode::Sample, PeakMode::True] {
        let audio = AudioBuffer::new(vec![x.clone(), x.clone()], 44_100).unwrap();
        let settings = DynamicsSettings {
            compressor: Some(CompressorSettings {
                makeup_db: 48.0,
                ..Default::default()
            }),
            limiter: Some(limiter(-60.0, 5.0, 50.0, mode)),
        };
        let ceiling = linear(-60.0);
        for kind in ImplKind::ALL {
            let out = process(kind, &audio, &settings).unwrap();
            let worst = out
                .audio
                .channel(0)
                .iter()
                .enumerate()
                .fold(
                    (0, 0.0f32),
                    |m, (i, &s)| if s.abs() > m.1 { (i, s.abs()) } else { m },
                );
            assert!(
                sample_peak(&out.audio) <= ceiling,
                "{mode:?} {kind}: {worst:?} gain {}",
                out.gain_db[worst.0]
            );
            if mode == PeakMode::True {
                assert!(true_peak(&out.audio) <= ceiling, "{mode:?} {kind}");
            }
            assert!(out.gain_db.iter().all(|g| g.is_finite()), "{mode:?} {kind}");
        }
    }
}

#[test]
fn true_peak_mode_catches_what_sample_peak_mode_lets_through() {
    // fs/4 sine at 45°: samples at 0.707·A, inter-sample peaks at A.
    let x: Vec<f32> = (0..20_000)
        .map(|i| {
            0.95 * (std::f32::consts::FRAC_PI_2 * i as f32 + std::f32::consts::FRAC_PI_4).sin()
        })
        .collect();
    let audio = AudioBuffer::new(vec![x], 44_100).unwrap();
    let ceiling = linear(-1.0);
    let run = |mode| {
        let settings = DynamicsSettings {
            compressor: None,
            limiter: Some(limiter(-1.0, 5.0, 50.0, mode)),
        };
        process(ImplKind::Reference, &audio, &settings).unwrap()
    };
    let sample = run(PeakMode::Sample);
    assert!(sample_peak(&sample.audio) <= ceiling);
    assert!(
        true_peak(&sample.audio) > ceiling * 1.05,
        "sample-peak mode ignores inter-sample peaks"
    );
    let tp = run(PeakMode::True);
    let peak = true_peak(&tp.audio);
    assert!(peak <= ceiling);
    // …and does not over-limit: within 0.1 dB of the ceiling once settled.
    assert!(peak > ceiling * 10f64.powf(-0.1 / 20.0), "{peak}");
}

#[test]
fn limiting_is_transparent_below_the_ceiling() {
    let mut rng = SplitMix64::new(7);
    let x: Vec<f32> = (0..10_000).map(|_| 0.5 * rng.next_signed_f32()).collect();
    let audio = AudioBuffer::new(vec![x.clone()], 48_000).unwrap();
    for mode in [PeakMode::Sample, PeakMode::True] {
        let settings = DynamicsSettings {
            compressor: None,
            limiter: Some(limiter(-1.0, 5.0, 50.0, mode)),
        };
        for kind in ImplKind::ALL {
            let out = process(kind, &audio, &settings).unwrap();
            assert_eq!(out.audio.channel(0), &x[..], "{mode:?} {kind}");
            assert!(out.gain_db.iter().all(|&g| g == 0.0));
        }
    }
}
