//! The stage kit on the mastering chain: every variant within tolerance of the reference's
//! master, outputs reused over stale ones, the parallel variant the same bits at any thread
//! count.

use auralis_core::alloc_count::ThreadCountingAllocator;
use auralis_pipeline::{PipelineSettings, PipelineStage};
use auralis_testkit::check_stage;
use auralis_testkit::signals::music_like;

#[global_allocator]
static GLOBAL: ThreadCountingAllocator = ThreadCountingAllocator;

#[test]
fn pipeline_passes_the_kit() {
    check_stage(
        &PipelineStage,
        &PipelineSettings::preset("balanced").unwrap(),
        &auralis_fixtures::generate_seconds(12.0),
    );
    check_stage(
        &PipelineStage,
        &PipelineSettings::preset("loud").unwrap(),
        &music_like(6.0, 48_000, 2, 3),
    );
}
