//! Processing a chunk allocates nothing: a counting global allocator watches every
//! allocation the test thread makes while streams of every configuration process chunks of
//! many sizes. The count is per thread, so the test harness's own threads cannot disturb it.

use auralis_core::alloc_count::{thread_allocations, ThreadCountingAllocator};
use auralis_core::{ImplKind, StreamProcessor};
use auralis_dynamics::{
    CompressorSettings, DynamicsSettings, DynamicsStream, LimiterSettings, PeakMode,
};

#[global_allocator]
static GLOBAL: ThreadCountingAllocator = ThreadCountingAllocator;

#[test]
fn streaming_does_not_allocate() {
    // Full-scale noise with +12 dB makeup keeps every part of the limiter busy.
    let mut state = 1u32;
    let signal: Vec<f32> = (0..2 * 50_000)
        .map(|_| {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (state >> 8) as f32 / (1u32 << 24) as f32 * 2.0 - 1.0
        })
        .collect();
    let loud = CompressorSettings {
        makeup_db: 12.0,
        ..Default::default()
    };
    let configs = [
        DynamicsSettings::default(),
        DynamicsSettings {
            compressor: Some(loud.clone()),
            limiter: Some(LimiterSettings::default()),
        },
        DynamicsSettings {
            compressor: Some(loud),
            limiter: Some(LimiterSettings {
                mode: PeakMode::True,
                ..Default::default()
            }),
        },
    ];
    for settings in &configs {
        for kind in [ImplKind::Reference, ImplKind::Vectorized] {
            let mut stream =
                DynamicsStream::with_implementation(kind, settings, 2, 44_100).unwrap();
            let mut out = vec![0.0f32; signal.len()];
            let mut gain = vec![0.0f32; signal.len() / 2];
            // Warm up once (nothing here should allocate either, but lazily initialised
            // statics may).
            stream
                .process_interleaved(&signal[..2 * 100], &mut out[..2 * 100])
                .unwrap();

            let before = thread_allocations();
            let mut at = 0;
            for (i, n) in [1usize, 256, 4096, 5000, 3, 2048, 10_000]
                .iter()
                .cycle()
                .take(20)
                .enumerate()
            {
                let n = (*n).min(signal.len() / 2 - at);
                let (a, b) = (2 * at, 2 * (at + n));
                let result = if i % 2 == 0 {
                    stream.process_interleaved(&signal[a..b], &mut out[a..b])
                } else {
                    stream.process_interleaved_with_gain(
                        &signal[a..b],
                        &mut out[a..b],
                        &mut gain[at..at + n],
                    )
                };
                assert!(result.is_ok());
                at = (at + n) % (signal.len() / 2 - 10_000);
            }
            stream.reset();
            let during = thread_allocations() - before;
            assert_eq!(during, 0, "{kind} {settings:?}");
        }
    }
    // The counter works (so a 0 above means something).
    let before = thread_allocations();
    let v = std::hint::black_box(vec![1u8; 10]);
    assert!(thread_allocations() > before);
    drop(v);
}
