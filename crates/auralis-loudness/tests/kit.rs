//! The stage kit on loudness, plus the claims the blocked scheme rests on: within tolerance
//! of the sequential reference even across long digital silence, and the same bits at any
//! thread count.

use auralis_core::alloc_count::ThreadCountingAllocator;
use auralis_core::{AudioBuffer, ImplKind};
use auralis_loudness::{measure, LoudnessSettings, LoudnessStage, LOUDNESS_TOLERANCE_LU};
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

/// Digital silence after music — mid-block, and starting exactly at a filter-block boundary
/// (9 s of music then 3 s of zeros: 120 sub-blocks × 2 channels gives 15-sub-block blocks, so
/// the silence begins block 6; the review that found the boundary case computed it): every
/// value within tolerance of the sequential reference, the decaying filter tail included, and
/// the vectorized and parallel variants the same bits at any thread count.
#[test]
fn blocked_variants_match_the_reference_across_silence_at_any_thread_count() {
    let with_silence = |music_secs: f64, silence_secs: f64, then_music: bool| {
        let music = music_like(music_secs, 44_100, 2, 8);
        let channels: Vec<Vec<f32>> = music
            .channels()
            .iter()
            .map(|c| {
                let mut out = c.clone();
                out.extend(std::iter::repeat_n(0.0, (silence_secs * 44_100.0) as usize));
                if then_music {
                    out.extend_from_slice(c);
                }
                out
            })
            .collect();
        AudioBuffer::new(channels, 44_100).unwrap()
    };
    for audio in [
        with_silence(10.0, 40.0, true),
        with_silence(9.0, 3.0, false),
    ] {
        let settings = LoudnessSettings::default();
        let reference = measure(ImplKind::Reference, &audio, &settings).unwrap();
        let vectorized = measure(ImplKind::Vectorized, &audio, &settings).unwrap();
        let accuracy = auralis_loudness::compare(&reference, &vectorized);
        assert!(accuracy.passed(), "{:?}", accuracy.failures());
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
}
