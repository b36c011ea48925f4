//! The stage kit (`auralis_testkit::check_stage`) on dynamics: every variant against the
//! reference, into stale outputs, at 1/2/3/7 threads, and the stream against the vectorized
//! variant for every chunking without allocating — for compressor-only, limiter-only, both
//! (sample and true peak), on the lab's fixture and on loud mono and three-channel noise.

mod common;

use auralis_core::alloc_count::ThreadCountingAllocator;
use auralis_core::AudioBuffer;
use auralis_dynamics::DynamicsStage;
use auralis_fixtures::rng::SplitMix64;
use auralis_testkit::check_stage;

#[global_allocator]
static GLOBAL: ThreadCountingAllocator = ThreadCountingAllocator;

#[test]
fn dynamics_passes_the_kit_on_the_fixture() {
    let audio = auralis_fixtures::generate_seconds(3.0);
    for settings in common::cases() {
        check_stage(&DynamicsStage::default(), &settings, &audio);
    }
}

#[test]
fn dynamics_passes_the_kit_on_mono_and_three_channels() {
    let mut rng = SplitMix64::new(11);
    for channels in [1usize, 3] {
        // Alternating loud (1.5× full scale) and quiet passages keep the limiter busy.
        let data: Vec<Vec<f32>> = (0..channels)
            .map(|_| {
                (0..60_000)
                    .map(|i| {
                        let a = if (i / 3000) % 2 == 0 { 1.5 } else { 0.05 };
                        a * rng.next_signed_f32()
                    })
                    .collect()
            })
            .collect();
        let audio = AudioBuffer::new(data, 48_000).unwrap();
        for settings in common::cases() {
            check_stage(&DynamicsStage::default(), &settings, &audio);
        }
    }
}
