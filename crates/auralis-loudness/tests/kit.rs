//! The stage kit on loudness, plus the claims the blocked scheme rests on: within tolerance
//! of the sequential reference even across long digital silence, and the same bits at any
//! thread count.

use auralis_core::alloc_count::ThreadCountingAllocator;
use auralis_core::{AudioBuffer, ImplKind};
use auralis_loudness::{
    measure, LoudnessSettings, LoudnessStage, LOUDNESS_TOLERANCE_LU, SERIES_TOLERANCE_LU,
};
use auralis_testkit::check_stage;
use auralis_testkit::signals::music_like;

#[global_allocator]
static GLOBAL: ThreadCountingAllocator = ThreadCountingAllocator;

#[test]
fn loudness_passes_the_kit() {
    check_stage(
        &LoudnessStage,
        &LoudnessSettings::default(),
        &music_like(8.0, 44_100, 2, 3),
    );
    check_stage(
        &LoudnessStage,
        &LoudnessSettings::default(),
        &auralis_fixtures::generate_seconds(30.0),
    );
    check_stage(
        &LoudnessStage,
        &LoudnessSettings::with_true_peak(false),
        &music_like(5.0, 48_000, 6, 4),
    );
}

/// Long digital silence between loud passages: the block states carried across it (and the
/// corrections after it) keep every value within the tolerance of the sequential reference,
/// and the vectorized and parallel variants — one block plan, the same operations — agree
/// to the bit at any thread count.
#[test]
fn blocked_variants_match_the_reference_across_silence_at_any_thread_count() {
    let music = music_like(10.0, 44_100, 2, 8);
    let mut channels: Vec<Vec<f32>> = music.channels().to_vec();
    for c in &mut channels {
        let head = c.clone();
        c.extend(std::iter::repeat_n(0.0, 40 * 44_100));
        c.extend(head);
    }
    let audio = AudioBuffer::new(channels, 44_100).unwrap();
    let settings = LoudnessSettings::default();
    let reference = measure(ImplKind::Reference, &audio, &settings).unwrap();
    let vectorized = measure(ImplKind::Vectorized, &audio, &settings).unwrap();
    let mut worst = 0.0f64;
    for (r, v) in reference
        .momentary_lufs
        .iter()
        .zip(&vectorized.momentary_lufs)
    {
        if r.is_finite() {
            worst = worst.max(f64::from((r - v).abs()));
        }
    }
    eprintln!("largest momentary difference from the reference: {worst:e} LU");
    assert!(worst <= SERIES_TOLERANCE_LU, "{worst}");
    let i = (reference.integrated_lufs.unwrap() - vectorized.integrated_lufs.unwrap()).abs();
    assert!(i <= LOUDNESS_TOLERANCE_LU, "{i}");
    for threads in [1, 2, 5] {
        let p = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| measure(ImplKind::Parallel, &audio, &settings))
            .unwrap();
        assert_eq!(p, vectorized, "{threads} threads");
    }
}
