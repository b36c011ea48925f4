//! The streaming hot path never allocates while gains change (the kit checks plain
//! processing; this is the EQ's own API): counted with a global allocator that tallies
//! allocations made by the current thread (so the test harness's own threads don't count).

use auralis_core::alloc_count::{thread_allocations, ThreadCountingAllocator};
use auralis_core::StreamProcessor;
use auralis_eq::{EqGains, EqSettings, EqStream};

#[global_allocator]
static GLOBAL: ThreadCountingAllocator = ThreadCountingAllocator;

#[test]
fn streaming_hot_path_does_not_allocate() {
    for hop in [1024, 2048] {
        let settings = EqSettings {
            gains: EqGains::preset("balanced").unwrap(),
            fft_size: 4096,
            hop,
        };
        let channels = 2;
        let mut stream = EqStream::new(&settings, channels, 44_100).unwrap();
        let warm = EqGains::preset("warm").unwrap();
        let bright: Vec<f32> = EqGains::preset("bright").unwrap().as_slice().to_vec();
        let input: Vec<f32> = (0..channels * 44_100)
            .map(|i| ((i as f32) * 0.013).sin() * 0.5)
            .collect();
        let mut output = vec![0.0f32; input.len()];

        let before = thread_allocations();
        let mut at = 0;
        // Chunk sizes from 1 frame to several hops, gain changes in between.
        for (round, frames) in [1usize, 7, 256, 1023, 1024, 1025, 4096, 9000]
            .iter()
            .cycle()
            .take(40)
            .enumerate()
        {
            let len = (frames * channels).min(input.len() - at);
            stream
                .process_interleaved(&input[at..at + len], &mut output[at..at + len])
                .unwrap();
            at = (at + len) % input.len();
            match round % 3 {
                0 => stream.set_gains(&bright).unwrap(),
                1 => stream.set_eq_gains(&warm),
                _ => stream.set_sample_rate(44_100).unwrap(),
            }
        }
        stream.reset();
        stream
            .process_interleaved(&input[..4096], &mut output[..4096])
            .unwrap();
        let during = thread_allocations() - before;
        assert_eq!(during, 0, "hop {hop}: {during} allocations in the hot path");
    }
    // The counter works (so a 0 above means something).
    assert!(auralis_testkit::counting_allocator_installed());
}
