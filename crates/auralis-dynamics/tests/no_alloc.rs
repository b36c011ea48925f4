//! Processing a chunk allocates nothing: a counting global allocator watches every
//! allocation made while streams of every configuration process chunks of many sizes.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use auralis_core::{ImplKind, StreamProcessor};
use auralis_dynamics::{
    CompressorSettings, DynamicsSettings, DynamicsStream, LimiterSettings, PeakMode,
};

struct Counting;

static COUNTING: AtomicBool = AtomicBool::new(false);
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::SeqCst) {
            ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        }
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.load(Ordering::SeqCst) {
            ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

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

            ALLOCATIONS.store(0, Ordering::SeqCst);
            COUNTING.store(true, Ordering::SeqCst);
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
            COUNTING.store(false, Ordering::SeqCst);
            assert_eq!(ALLOCATIONS.load(Ordering::SeqCst), 0, "{kind} {settings:?}");
        }
    }
}
