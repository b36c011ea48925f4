//! A whole run on toy stages and tiny inputs, from measurement to written files.

use auralis_core::{ImplKind, LabStage};

use crate::check::{check, RatioSample, Remeasure};
use crate::output::write_reports;
use crate::report::{InputSource, Report};
use crate::run::{run_bench, with_threads, BenchInput, LiveRemeasure, NoProgress, RunOptions};
use crate::timing::Mode;
use crate::toy::{machine, tone, Broken, Toy};

fn inputs() -> Vec<BenchInput> {
    vec![
        BenchInput::new("tiny-a", InputSource::Fixture, None, None, tone(4_410)),
        BenchInput::new("tiny-b", InputSource::Fixture, None, None, tone(17_640)),
        BenchInput::new(
            "mine",
            InputSource::File,
            Some("mine.wav".into()),
            None,
            tone(8_000),
        ),
    ]
}

/// The toy stage alone; `allocating_stream` makes its streaming processor allocate per call.
fn toy_alone(allocating_stream: bool) -> Vec<Box<dyn LabStage>> {
    vec![Box::new(Toy { allocating_stream })]
}

/// One fixture input "t": a tone of `frames` frames.
fn one_tone(frames: usize) -> Vec<BenchInput> {
    vec![BenchInput::new(
        "t",
        InputSource::Fixture,
        None,
        None,
        tone(frames),
    )]
}

fn options() -> RunOptions {
    let mut o = RunOptions::new(Mode::Quick, "cargo xtask bench --quick");
    o.samples = Some(3);
    o
}

fn toy_report(stages: &[Box<dyn LabStage>]) -> Report {
    run_bench(stages, &inputs(), &options(), machine(2), &NoProgress)
}

#[test]
fn mini_run_writes_every_artefact_and_judges_correctly() {
    let stages: Vec<Box<dyn LabStage>> = vec![
        Box::new(Toy {
            allocating_stream: false,
        }),
        Box::new(Broken),
    ];
    let report = toy_report(&stages);

    let toy = report.stage("toy").unwrap();
    assert_eq!(toy.cells.len(), 3);
    for cell in &toy.cells {
        let reference = cell.result(ImplKind::Reference).unwrap();
        let vectorized = cell.result(ImplKind::Vectorized).unwrap();
        let parallel = cell.result(ImplKind::Parallel).unwrap();
        assert!(reference.accuracy.passed && vectorized.accuracy.passed);
        assert!(!parallel.accuracy.passed, "the wrong variant must fail");
        assert!(parallel.timing.is_none(), "failing variants are not timed");
        assert_eq!(reference.timing.as_ref().unwrap().len(), 3);
        assert_eq!(vectorized.timing.as_ref().unwrap().len(), 3);
        // 30× the work: slower than the reference by any reasonable measure.
        assert!(vectorized.speedup_vs_reference.unwrap() < 1.0);
        assert!(
            reference.memory.unwrap().allocations >= 1,
            "the output is allocated"
        );
    }
    // Nothing beats the reference: it stays the default everywhere, with reasons.
    let sel = &report.selection.stages["toy"];
    assert_eq!(sel.buckets.len(), 2, "user files do not make buckets");
    assert!(sel
        .buckets
        .iter()
        .all(|b| b.implementation == ImplKind::Reference));
    assert!(sel.buckets[0].reason.contains("parallel failed accuracy"));
    // √(4410 · 17640) = 8820.
    assert_eq!(sel.buckets[0].max_frames, Some(8_820));

    // Streaming on the fixture closest to 5 s, all chunk sizes that fit, no allocations.
    let streaming = toy.streaming.as_ref().unwrap();
    assert_eq!(streaming.input, "tiny-b");
    let sizes: Vec<usize> = streaming.chunks.iter().map(|c| c.chunk_frames).collect();
    assert_eq!(sizes, vec![256, 1024, 4096]);
    for c in &streaming.chunks {
        assert_eq!(c.allocations, 0, "{c:?}");
        // The input is looped up to the minimum call count.
        let full_chunks = 17_640 / c.chunk_frames;
        assert_eq!(c.calls, full_chunks.max(crate::streaming::MIN_CALLS) as u64);
        assert!(c.p50_ns <= c.p99_ns && c.p99_ns <= c.max_ns);
    }
    assert_eq!(toy.traces.len(), 1);
    assert_eq!(toy.traces[0].input, "tiny-b");

    // The broken stage: reference error recorded, nothing timed, the run went on.
    let broken = report.stage("broken").unwrap();
    assert!(broken
        .cells
        .iter()
        .all(|c| c.error.as_deref().unwrap().contains("broken")));
    assert!(broken.streaming.is_none());

    let dir = tempfile::tempdir().unwrap();
    let written = write_reports(&report, dir.path()).unwrap();
    assert!(written.plot_errors.is_empty(), "{:?}", written.plot_errors);
    for file in [
        "report.json",
        "REPORT.md",
        "time_toy.svg",
        "speedup_toy.svg",
        "stream_toy.svg",
        "trace_toy.svg",
    ] {
        let path = dir.path().join(file);
        assert!(path.is_file(), "{file} missing");
    }
    let svg = std::fs::read_to_string(dir.path().join("time_toy.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("<text") && svg.contains("vectorized"));
    let md = std::fs::read_to_string(dir.path().join("REPORT.md")).unwrap();
    assert!(md.contains("![time_toy.svg](time_toy.svg)"));
    assert!(md.contains("**FAIL**"));
    assert!(md.contains("User files do not decide defaults"));
    assert!(md.contains("## Machine") && md.contains("cargo xtask bench --quick"));
    let back = Report::read(&dir.path().join("report.json")).unwrap();
    assert_eq!(back, report);

    // Writing again replaces atomically: no temporary files left, stale plots removed.
    std::fs::write(dir.path().join("time_gone.svg"), "old").unwrap();
    write_reports(&report, dir.path()).unwrap();
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n.contains("tmp")), "{names:?}");
    assert!(!names.contains(&"time_gone.svg".to_string()));
}

#[test]
fn allocating_stream_is_caught_and_fails_the_check() {
    let stages = toy_alone(true);
    let report = toy_report(&stages);
    let streaming = report.stage("toy").unwrap().streaming.as_ref().unwrap();
    for c in &streaming.chunks {
        assert_eq!(c.allocations, c.calls, "one allocation per call");
    }
    struct Never;
    impl Remeasure for Never {
        fn remeasure(&mut self, _: &str, _: &str, _: ImplKind) -> Result<RatioSample, String> {
            Err("not expected".into())
        }
    }
    let outcome = check(&report, &report, None, &mut Never);
    assert!(outcome.failures.iter().any(|f| f.contains("allocation")));
    // And the wrong parallel variant fails it too.
    assert!(outcome
        .failures
        .iter()
        .any(|f| f.contains("toy / tiny-a / parallel: accuracy")));
}

#[test]
fn thread_pools_are_recorded_and_absurd_counts_rejected() {
    let stages = toy_alone(false);
    let inputs = one_tone(2_000);
    for n in [1, 2, 3, 7] {
        let report = with_threads(Some(n), || {
            run_bench(&stages, &inputs, &options(), machine(2), &NoProgress)
        })
        .unwrap();
        assert_eq!(report.run.rayon_threads, n);
    }
    assert!(with_threads(Some(0), || ()).is_err());
    assert!(with_threads(Some(1_000_000), || ()).is_err());
}

#[test]
fn live_remeasure_measures_the_named_cell() {
    let stages = toy_alone(false);
    let inputs = one_tone(20_000);
    let mut live = LiveRemeasure {
        stages: &stages,
        inputs: &inputs,
        mode: Mode::Quick,
        samples: Some(3),
    };
    let sample = live.remeasure("toy", "t", ImplKind::Vectorized).unwrap();
    assert!(sample.ratio > 1.0, "30× the work is slower: {sample:?}");
    assert!(live.remeasure("nope", "t", ImplKind::Vectorized).is_err());
    assert!(live.remeasure("toy", "nope", ImplKind::Vectorized).is_err());
}
