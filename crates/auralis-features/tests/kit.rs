//! The stage kit on features: every variant within tolerance of the reference, outputs reused
//! over stale ones, the parallel variant the same bits at 1, 2, 3 and 7 threads.

use auralis_core::alloc_count::ThreadCountingAllocator;
use auralis_features::{FeatureSettings, FeaturesStage};
use auralis_testkit::check_stage;
use auralis_testkit::signals::music_like;

#[global_allocator]
static GLOBAL: ThreadCountingAllocator = ThreadCountingAllocator;

#[test]
fn features_pass_the_kit() {
    check_stage(
        &FeaturesStage,
        &FeatureSettings::default(),
        &music_like(8.0, 44_100, 2, 3),
    );
    check_stage(
        &FeaturesStage,
        &FeatureSettings::default(),
        &auralis_fixtures::generate_seconds(30.0),
    );
    check_stage(
        &FeaturesStage,
        &FeatureSettings::with_parts(true, false),
        &music_like(5.0, 48_000, 6, 4),
    );
    check_stage(
        &FeaturesStage,
        &FeatureSettings::with_parts(false, true),
        &music_like(5.0, 22_050, 1, 5),
    );
}
