//! [`check_stage`]: the checks every stage must pass, written once.

use std::fmt::Debug;

use auralis_core::{AudioBuffer, ImplKind, Stage, ThreadIndependence};

use crate::signals::prefix;
use crate::stream_check::{check_stream, check_stream_allocations, counting_allocator_installed};

/// Thread counts the parallel variant is run at: one (no splitting), the machine's usual
/// two, an odd three, and seven (more workers than cores and than many inputs' blocks).
pub const KIT_THREAD_COUNTS: [usize; 4] = [1, 2, 3, 7];

/// Runs every check on `stage` with `settings` and `audio`, panicking with a message that
/// names the check, the stage and the implementation on the first failure:
///
/// 1. [`check_against_reference`] — every implementation within the stage's tolerance;
/// 2. [`check_stale_outputs`] — `run_into` over an earlier, poisoned output of another
///    length gives the same bits as a fresh run;
/// 3. [`check_thread_counts`] — the parallel variant at 1, 2, 3 and 7 threads;
/// 4. if the stage streams: [`check_stream`] (the stream reproduces its whole-file twin
///    bit for bit for many chunkings) and [`check_stream_allocations`] (no allocation after
///    the first chunk). The test binary must install
///    `auralis_core::alloc_count::ThreadCountingAllocator` as its global allocator; without
///    it the allocation check would pass vacuously, so the kit refuses to run.
///
/// `audio` should be a few seconds of music-like sound (it is streamed once per chunk
/// pattern, including one-frame chunks over its first second).
pub fn check_stage<S: Stage>(stage: &S, settings: &S::Settings, audio: &AudioBuffer)
where
    S::Output: Debug,
{
    check_against_reference(stage, settings, audio);
    check_stale_outputs(stage, settings, audio);
    check_thread_counts(stage, settings, audio);
    if let Some(stream) = stage.stream(settings, audio.num_channels(), audio.sample_rate()) {
        assert!(
            counting_allocator_installed(),
            "check_stage: `{}` streams, so its test binary must install \
             auralis_core::alloc_count::ThreadCountingAllocator as #[global_allocator] \
             (the no-allocation check would otherwise prove nothing)",
            stage.name()
        );
        drop(stream);
        let whole = stage
            .run(stage.stream_twin(), audio, settings)
            .unwrap_or_else(|e| panic!("{}: {} fails: {e}", stage.name(), stage.stream_twin()));
        let expected = stage.output_audio(&whole).unwrap_or_else(|| {
            panic!(
                "{}: streams but Stage::output_audio names no audio to hold the stream to",
                stage.name()
            )
        });
        let make = || {
            stage
                .stream(settings, audio.num_channels(), audio.sample_rate())
                .expect("the stage streamed a moment ago")
                .unwrap_or_else(|e| panic!("{}: stream fails to start: {e}", stage.name()))
        };
        check_stream(
            &mut *make(),
            audio,
            expected,
            &format!("{} stream vs {}", stage.name(), stage.stream_twin()),
        );
        check_stream_allocations(&mut *make(), audio, stage.name());
    }
}

/// Every implementation the stage offers runs on `audio` and passes the stage's own
/// comparison against the reference.
pub fn check_against_reference<S: Stage>(stage: &S, settings: &S::Settings, audio: &AudioBuffer) {
    let name = stage.name();
    assert!(
        stage.implementations().contains(&ImplKind::Reference),
        "{name}: offers no reference implementation"
    );
    let reference = stage
        .run(ImplKind::Reference, audio, settings)
        .unwrap_or_else(|e| panic!("{name}: reference fails: {e}"));
    for &kind in stage.implementations() {
        let candidate = stage
            .run(kind, audio, settings)
            .unwrap_or_else(|e| panic!("{name}: {kind} fails: {e}"));
        let accuracy = stage.compare(&reference, &candidate);
        assert!(
            accuracy.passed(),
            "{name}: {kind} disagrees with the reference beyond the stated tolerance ({}): {:?}",
            stage.tolerance(),
            accuracy.failures()
        );
    }
}

/// `run_into` into a slot that holds an earlier output — of a shorter input, a longer one and
/// one with another channel count, poisoned with [`Stage::poison`] — gives exactly what a fresh `run` gives. This is what
/// lets batch callers and the lab recycle 64 MB outputs without zeroing them, and it catches
/// an implementation that adds into storage it never cleared or trusts a stale length.
pub fn check_stale_outputs<S: Stage>(stage: &S, settings: &S::Settings, audio: &AudioBuffer)
where
    S::Output: Debug,
{
    let name = stage.name();
    // (One frame has no shorter prefix: then a one-frame stale output is the "shorter" one.)
    let shorter = prefix(audio, (audio.len() / 2).max(1));
    let longer = {
        let channels = audio
            .channels()
            .iter()
            .map(|c| c.iter().chain(c.iter()).copied().collect())
            .collect();
        AudioBuffer::new(channels, audio.sample_rate()).expect("valid audio")
    };
    // Another channel count: the first channel alone, or a mono input doubled.
    let other_channels = {
        let channels = if audio.num_channels() > 1 {
            vec![audio.channel(0).to_vec()]
        } else {
            vec![audio.channel(0).to_vec(); 2]
        };
        AudioBuffer::new(channels, audio.sample_rate()).expect("valid audio")
    };
    for &kind in stage.implementations() {
        let fresh = stage
            .run(kind, audio, settings)
            .unwrap_or_else(|e| panic!("{name}: {kind} fails: {e}"));
        for (what, earlier) in [
            ("shorter", &shorter),
            ("longer", &longer),
            ("other channel count", &other_channels),
        ] {
            let mut slot = match stage.run(kind, earlier, settings) {
                Ok(mut old) => {
                    stage.poison(&mut old);
                    Some(old)
                }
                // A stage may refuse an input that short; then there is no stale slot to test.
                Err(_) => continue,
            };
            stage
                .run_into(kind, audio, settings, &mut slot)
                .unwrap_or_else(|e| panic!("{name}: {kind} run_into fails: {e}"));
            let reused = slot.unwrap_or_else(|| panic!("{name}: {kind} run_into left no output"));
            assert!(
                reused == fresh,
                "{name}: {kind} written over a poisoned output of a {what} input differs from \
                 a fresh run"
            );
        }
    }
}

/// The parallel variant (if the stage has one) at [`KIT_THREAD_COUNTS`] threads: the same
/// bits every time, or — for a stage that states why it cannot be — within its tolerance.
pub fn check_thread_counts<S: Stage>(stage: &S, settings: &S::Settings, audio: &AudioBuffer) {
    let name = stage.name();
    if !stage.implementations().contains(&ImplKind::Parallel) {
        return;
    }
    let run_on = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("a thread pool")
            .install(|| stage.run(ImplKind::Parallel, audio, settings))
            .unwrap_or_else(|e| panic!("{name}: parallel at {threads} threads fails: {e}"))
    };
    let first = run_on(KIT_THREAD_COUNTS[0]);
    for &threads in &KIT_THREAD_COUNTS[1..] {
        let other = run_on(threads);
        match stage.thread_independence() {
            ThreadIndependence::BitIdentical => assert!(
                other == first,
                "{name}: parallel output at {threads} threads differs from 1 thread \
                 (the stage promises the same bits)"
            ),
            ThreadIndependence::WithinTolerance(why) => {
                let accuracy = stage.compare(&first, &other);
                assert!(
                    accuracy.passed(),
                    "{name}: parallel at {threads} threads beyond tolerance ({why}): {:?}",
                    accuracy.failures()
                );
            }
        }
    }
}
