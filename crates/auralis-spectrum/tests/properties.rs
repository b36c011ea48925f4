//! Properties over arbitrary inputs: any length, channel count, sample rate and settings the
//! validator accepts must analyse without error, give finite numbers, and agree across
//! implementations.

mod common;

use auralis_core::{AudioBuffer, ImplKind, LabStage};
use auralis_spectrum::{SpectrumSettings, SpectrumStage, Weighting};
use auralis_testkit::signals::Noise;
use common::assert_variants_agree;
use proptest::prelude::*;

fn audio(len: usize, channels: usize, sample_rate: u32, seed: u64, gain: f32) -> AudioBuffer {
    let mut noise = Noise::new(seed);
    let data = (0..channels)
        .map(|_| (0..len).map(|_| gain * noise.next() as f32).collect())
        .collect();
    AudioBuffer::new(data, sample_rate).expect("valid")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn variants_agree_on_arbitrary_input(
        len in 1usize..12_000,
        channels in 1usize..=4,
        sample_rate in prop::sample::select(vec![8_000u32, 22_050, 44_100, 96_000, 192_000]),
        fft_size in prop::sample::select(vec![16usize, 255, 512, 1024, 4096]),
        hop_fraction in 1usize..=4,
        bands in 2usize..=128,
        weighting in prop::sample::select(Weighting::ALL.to_vec()),
        smoothing in 0.0f32..0.99,
        seed in any::<u64>(),
        gain in prop::sample::select(vec![1e-6f32, 1e-3, 1.0, 100.0]),
    ) {
        let settings = SpectrumSettings {
            fft_size,
            hop: (fft_size / hop_fraction).max(1),
            bands,
            weighting,
            smoothing,
        };
        let audio = audio(len, channels, sample_rate, seed, gain);
        let r = assert_variants_agree(&audio, &settings);
        prop_assert_eq!(r.band_levels_db.len(), bands);
        prop_assert!(r.frames >= 1);
    }
}

#[test]
fn the_stage_runs_and_compares_through_the_erased_interface() {
    let stage: Box<dyn LabStage> = Box::new(SpectrumStage);
    assert_eq!(stage.name(), "spectrum");
    assert_eq!(stage.implementations(), &ImplKind::ALL);
    let audio = audio(30_000, 2, 44_100, 3, 0.5);
    let reference = stage.run_erased(ImplKind::Reference, &audio).unwrap();
    for kind in ImplKind::ALL {
        let candidate = stage.run_erased(kind, &audio).unwrap();
        let accuracy = stage.compare_erased(&*reference, &*candidate);
        assert!(accuracy.passed(), "{kind}: {:?}", accuracy.failures());
    }
    assert!(!stage.compare_erased(&*reference, &0u8).passed());
    assert!(stage.stream_erased(2, 44_100).is_none());
}
