//! The streaming processor beyond what the stage kit checks (`tests/kit.rs`: the packed
//! stream against the vectorized variant for any chunking, no allocation): the low-latency
//! mode against the reference, the reported latency, resets, and typed errors for bad chunks.

use auralis_core::{AudioBuffer, AudioError, Error, ImplKind, Stage, StreamProcessor};
use auralis_eq::{process, EqGains, EqSettings, EqStage, EqStream, StreamMode, NUM_BANDS};
use auralis_testkit::signals::{music_like, noise};
use auralis_testkit::{check_stream, stream_through};

/// Each stream mode and the whole-file implementation it must reproduce bit for bit.
const MODES: [(StreamMode, ImplKind); 2] = [
    (StreamMode::Packed, ImplKind::Vectorized),
    (StreamMode::LowLatency, ImplKind::Reference),
];

fn settings(preset: &str, hop: usize) -> EqSettings {
    EqSettings {
        gains: EqGains::preset(preset).unwrap(),
        fft_size: 4096,
        hop,
    }
}

#[test]
fn low_latency_stream_equals_the_reference_for_any_chunking() {
    let audio = music_like(3.0, 44_100, 2, 11);
    for hop in [1024, 2048] {
        let s = settings("balanced", hop);
        let whole = process(ImplKind::Reference, &audio, &s).unwrap();
        let mut stream = EqStream::with_mode(&s, 2, 44_100, StreamMode::LowLatency).unwrap();
        check_stream(
            &mut stream,
            &audio,
            &whole,
            &format!("low-latency hop {hop}"),
        );
    }
}

#[test]
fn every_stream_mode_is_within_tolerance_of_every_variant() {
    let audio = music_like(2.0, 48_000, 2, 13);
    let s = settings("bright", 1024);
    for (mode, _) in MODES {
        let mut stream = EqStream::with_mode(&s, 2, 48_000, mode).unwrap();
        let out = stream_through(&mut stream, &audio, &[480]);
        let streamed = AudioBuffer::new(out, 48_000).unwrap();
        for kind in ImplKind::ALL {
            let whole = process(kind, &audio, &s).unwrap();
            assert!(
                auralis_eq::compare(&whole, &streamed).passed(),
                "{mode:?} vs {kind}"
            );
        }
    }
}

#[test]
fn latency_is_reported_and_fixed() {
    for hop in [1024, 2048] {
        let s = settings("flat", hop);
        let low = EqStream::low_latency(&s, 2, 44_100).unwrap();
        assert_eq!(low.latency_frames(), 4095);
        assert_eq!(low.latency_frames(), s.latency_frames());
        let packed = EqStream::new(&s, 2, 44_100).unwrap();
        assert_eq!(packed.mode(), StreamMode::Packed);
        assert_eq!(packed.latency_frames(), 4095 + hop);
        assert_eq!(packed.channels(), 2);
        assert_eq!(packed.sample_rate(), 44_100);
    }
    // An impulse comes out exactly `latency` frames later at 0 dB, wherever it falls
    // relative to the frame pairs.
    for (mode, _) in MODES {
        for at in [5_000, 6_144, 7_167] {
            let mut stream = EqStream::with_mode(&settings("flat", 1024), 1, 44_100, mode).unwrap();
            let mut input = vec![0.0f32; 20_000];
            input[at] = 1.0;
            let mut output = vec![0.0f32; input.len()];
            stream.process_interleaved(&input, &mut output).unwrap();
            let peak = output
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
                .unwrap();
            assert_eq!(peak.0, at + stream.latency_frames(), "{mode:?} at {at}");
            assert!((peak.1 - 1.0).abs() < 1e-6, "{mode:?} at {at}");
        }
    }
}

/// Why the latency is `fft − 1` and not `fft − hop`: the whole-file output at sample `i`
/// already depends on input sample `i + fft − 2` (through the frame that starts at `i − 1`),
/// so no causal processor fed one sample at a time can produce it with less delay than
/// `fft − 2`; computing a frame when its last sample arrives makes it `fft − 1`.
#[test]
fn whole_file_output_depends_on_input_fft_minus_two_ahead() {
    let s = settings("balanced", 1024);
    let (n, hop) = (4096usize, 1024usize);
    let len = 40_000;
    // Frames start at multiples of the hop (in input coordinates), so i = 10·hop + 1 is one
    // sample after a frame start.
    let i = 10 * hop + 1;
    for (ahead, depends) in [(n - 2, true), (n - 1, false), (n - hop, true)] {
        let mut x = vec![0.0f32; len];
        x[i + ahead] = 1.0;
        let audio = AudioBuffer::new(vec![x], 44_100).unwrap();
        let y = process(ImplKind::Reference, &audio, &s).unwrap();
        assert_eq!(y.channel(0)[i] != 0.0, depends, "input {ahead} ahead");
    }
}

#[test]
fn reset_restores_the_fresh_state() {
    let audio = music_like(1.0, 44_100, 2, 14);
    let s = settings("balanced", 1024);
    let mut fresh = EqStream::new(&s, 2, 44_100).unwrap();
    let expected = stream_through(&mut fresh, &audio, &[1000]);
    let mut used = EqStream::new(&s, 2, 44_100).unwrap();
    let junk = noise(2 * 7777, 0.9, 3);
    let mut sink = vec![0.0; junk.len()];
    used.process_interleaved(&junk, &mut sink).unwrap();
    used.reset();
    let again = stream_through(&mut used, &audio, &[1000]);
    assert_eq!(expected, again);
}

#[test]
fn bad_chunks_are_typed_errors_and_leave_the_state_untouched() {
    let audio = music_like(1.0, 44_100, 2, 15);
    let s = settings("balanced", 1024);
    let mut clean = EqStream::new(&s, 2, 44_100).unwrap();
    let expected = stream_through(&mut clean, &audio, &[3000]);

    let mut stream = EqStream::new(&s, 2, 44_100).unwrap();
    let mut out = vec![0.0f32; 8];
    // Odd length for two channels.
    assert!(matches!(
        stream.process_interleaved(&[0.0; 7], &mut out[..7]),
        Err(Error::Audio(AudioError::Interleaving {
            len: 7,
            channels: 2
        }))
    ));
    // Output of the wrong length.
    assert!(matches!(
        stream.process_interleaved(&[0.0; 8], &mut out[..6]),
        Err(Error::Stream(_))
    ));
    // Non-finite samples: reported with their channel and frame.
    for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
        let mut chunk = [0.25f32; 8];
        chunk[5] = bad;
        match stream.process_interleaved(&chunk, &mut out) {
            Err(Error::Audio(AudioError::NonFinite { channel, index, .. })) => {
                assert_eq!((channel, index), (1, 2));
            }
            other => panic!("{bad}: {other:?}"),
        }
    }
    // Zero-length chunks are fine.
    stream.process_interleaved(&[], &mut []).unwrap();
    // None of that changed anything.
    let after = stream_through(&mut stream, &audio, &[3000]);
    assert_eq!(expected, after);
}

#[test]
fn sample_rate_changes_are_refused() {
    let mut stream = EqStream::new(&settings("flat", 1024), 2, 44_100).unwrap();
    assert!(stream.set_sample_rate(44_100).is_ok());
    for rate in [48_000, 8_000, 0] {
        assert!(matches!(
            stream.set_sample_rate(rate),
            Err(Error::Stream(_))
        ));
    }
    assert_eq!(stream.sample_rate(), 44_100);
}

#[test]
fn bad_gains_and_constructor_arguments_are_typed_errors() {
    let s = settings("warm", 1024);
    let mut stream = EqStream::new(&s, 1, 44_100).unwrap();
    let mut nan = [0.0f32; NUM_BANDS];
    nan[4] = f32::NAN;
    for bad in [&nan[..], &[0.0; 24][..], &[0.0; 26][..], &[][..]] {
        assert!(matches!(
            stream.set_gains(bad),
            Err(Error::InvalidParameter { name: "gains", .. })
        ));
    }
    assert_eq!(
        stream.settings().gains,
        s.gains,
        "failed calls keep the old gains"
    );
    stream.set_gains(&[30.0; NUM_BANDS]).unwrap();
    assert!(stream
        .settings()
        .gains
        .as_slice()
        .iter()
        .all(|&g| g == 12.0));

    assert!(matches!(
        EqStream::new(&s, 0, 44_100),
        Err(Error::Audio(AudioError::NoChannels))
    ));
    assert!(matches!(
        EqStream::new(&s, 2, 1_000),
        Err(Error::Audio(AudioError::SampleRate { .. }))
    ));
    let bad_hop = EqSettings { hop: 1000, ..s };
    assert!(matches!(
        EqStream::new(&bad_hop, 2, 44_100),
        Err(Error::InvalidParameter { name: "hop", .. })
    ));
}

#[test]
fn the_stage_hands_out_working_streams() {
    let stage = EqStage::default();
    assert_eq!(stage.name(), "eq");
    assert!(
        !stage.settings.gains.is_flat(),
        "bench gains must not hide the gain path"
    );
    assert_eq!(EqStage::hop_2048().name(), "eq-hop2048");
    assert_eq!(EqStage::hop_2048().settings.hop, 2048);
    let mut stream = stage.stream(&stage.settings, 2, 44_100).unwrap().unwrap();
    assert_eq!(
        stream.latency_frames(),
        4095 + 1024,
        "the fast, packed mode"
    );
    let input = noise(2 * 5000, 0.5, 9);
    let mut output = vec![0.0; input.len()];
    stream.process_interleaved(&input, &mut output).unwrap();
    assert!(output.iter().any(|&v| v != 0.0));
}
