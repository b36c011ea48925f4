//! The streaming processor: concatenated output and gain equal the whole-file output exactly,
//! for any chunking and both engines (mono and multichannel audio: `kit.rs`); latency as
//! reported; bad chunks are typed errors that leave the state alone.

mod common;

use auralis_core::{AudioBuffer, Error, ImplKind, StreamProcessor};
use auralis_dynamics::{
    process, CompressorSettings, DynamicsSettings, DynamicsStream, LimiterSettings, PeakMode,
};
use auralis_fixtures::rng::SplitMix64;

/// Streams `audio` (plus `latency` frames of silence to flush) in chunks of the given sizes
/// (cycled) and returns the output and gain aligned with the input.
fn stream_whole(
    kind: ImplKind,
    settings: &DynamicsSettings,
    audio: &AudioBuffer,
    sizes: &[usize],
) -> (Vec<f32>, Vec<f32>) {
    let c = audio.num_channels();
    let mut stream =
        DynamicsStream::with_implementation(kind, settings, c, audio.sample_rate()).unwrap();
    let latency = stream.latency_frames();
    let mut input = audio.to_interleaved();
    input.extend(std::iter::repeat_n(0.0, latency * c));
    let mut output = vec![0.0; input.len()];
    let mut gain = vec![0.0; input.len() / c];
    let (mut at, mut k) = (0, 0);
    while at < input.len() / c {
        let n = sizes[k % sizes.len()].min(input.len() / c - at);
        k += 1;
        stream
            .process_interleaved_with_gain(
                &input[at * c..(at + n) * c],
                &mut output[at * c..(at + n) * c],
                &mut gain[at..at + n],
            )
            .unwrap();
        at += n;
    }
    (output[latency * c..].to_vec(), gain[latency..].to_vec())
}

/// Beyond the kit (which holds the stage's vectorized stream's audio to the whole file):
/// the gain trace, and the reference engine's stream.
#[test]
fn stream_audio_and_gain_equal_whole_file_for_any_chunking() {
    let full = auralis_fixtures::generate_seconds(5.0);
    // 2 s keep the 1-frame chunking quick.
    let frames = 2 * 44_100;
    let audio = AudioBuffer::new(
        full.channels()
            .iter()
            .map(|c| c[44_100..44_100 + frames].to_vec())
            .collect(),
        44_100,
    )
    .unwrap();
    let mut rng = SplitMix64::new(42);
    let random: Vec<usize> = (0..200).map(|_| 1 + rng.index(5000)).collect();
    let patterns: Vec<Vec<usize>> = vec![
        vec![1],
        vec![256],
        vec![4096],
        vec![7, 2048, 1, 3, 10_000],
        random,
    ];
    for settings in common::cases() {
        for kind in [ImplKind::Reference, ImplKind::Vectorized] {
            let whole = process(kind, &audio, &settings).unwrap();
            let expected = whole.audio.to_interleaved();
            for sizes in &patterns {
                if sizes == &vec![1] && kind == ImplKind::Reference {
                    continue; // same engine as Vectorized's 1-frame run; saves time
                }
                let (out, gain) = stream_whole(kind, &settings, &audio, sizes);
                assert!(
                    out == expected,
                    "{kind} {settings:?} chunks {:?}…",
                    &sizes[..sizes.len().min(5)]
                );
                assert!(
                    gain == whole.gain_db,
                    "{kind} {settings:?} gain, chunks {:?}…",
                    &sizes[..sizes.len().min(5)]
                );
            }
        }
    }
}

#[test]
fn latency_is_the_lookahead_and_reset_restarts() {
    let settings = DynamicsSettings::default();
    let mut s = DynamicsStream::new(&settings, 2, 48_000).unwrap();
    assert_eq!(s.latency_frames(), 240 + 240);
    assert_eq!((s.channels(), s.sample_rate()), (2, 48_000));
    let tp = DynamicsSettings {
        compressor: None,
        limiter: Some(LimiterSettings {
            mode: PeakMode::True,
            ..Default::default()
        }),
    };
    assert_eq!(
        DynamicsStream::new(&tp, 1, 48_000)
            .unwrap()
            .latency_frames(),
        240 + 74
    );

    // An impulse comes out exactly `latency` frames later.
    let mut input = vec![0.0f32; 2 * 1000];
    input[2 * 10] = 0.5;
    input[2 * 10 + 1] = -0.5;
    let mut first = vec![0.0; input.len()];
    s.process_interleaved(&input, &mut first).unwrap();
    let at = first.iter().position(|&x| x != 0.0).unwrap() / 2;
    assert_eq!(at, 10 + 480);
    s.reset();
    let mut again = vec![0.0; input.len()];
    s.process_interleaved(&input, &mut again).unwrap();
    assert_eq!(first, again);
}

#[test]
fn bad_chunks_are_errors_and_leave_the_state_alone() {
    let settings = DynamicsSettings::default();
    let mut rng = SplitMix64::new(3);
    let good: Vec<f32> = (0..2 * 3000).map(|_| rng.next_signed_f32()).collect();
    let mut clean = DynamicsStream::new(&settings, 2, 44_100).unwrap();
    let mut dirty = clean.clone();
    let mut expected = vec![0.0; good.len()];
    clean.process_interleaved(&good, &mut expected).unwrap();

    let mut out = vec![0.0; good.len()];
    for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
        let mut chunk = good.clone();
        chunk[2 * 500 + 1] = bad;
        match dirty.process_interleaved(&chunk, &mut out) {
            Err(Error::Audio(auralis_core::AudioError::NonFinite {
                channel: 1,
                index: 500,
                ..
            })) => {}
            other => panic!("{bad}: {other:?}"),
        }
    }
    assert!(matches!(
        dirty.process_interleaved(&good[..5], &mut out[..5]),
        Err(Error::Audio(_))
    ));
    assert!(matches!(
        dirty.process_interleaved(&good, &mut out[..10]),
        Err(Error::Stream(_))
    ));
    let mut gain = vec![0.0; 3];
    assert!(dirty
        .process_interleaved_with_gain(&good, &mut out, &mut gain)
        .is_err());
    // Empty chunks are fine.
    dirty.process_interleaved(&[], &mut []).unwrap();

    dirty.process_interleaved(&good, &mut out).unwrap();
    assert_eq!(out, expected, "errors must not disturb the state");
}

#[test]
fn constructor_rejects_bad_configuration() {
    let s = DynamicsSettings::default();
    assert!(DynamicsStream::new(&s, 0, 44_100).is_err());
    assert!(DynamicsStream::new(&s, 2, 1_000).is_err());
    let bad = DynamicsSettings {
        compressor: Some(CompressorSettings {
            ratio: 0.9,
            ..Default::default()
        }),
        limiter: None,
    };
    assert!(matches!(
        DynamicsStream::new(&bad, 2, 44_100),
        Err(Error::InvalidParameter {
            name: "compressor.ratio",
            ..
        })
    ));
}
