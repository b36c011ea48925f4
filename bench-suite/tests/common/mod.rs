//! What the planted-fault tests share: run the lab's real measurement path on one stage and
//! one music fixture, and hold the faulty variant to "caught, with a message, never
//! selected".

use auralis_core::{ImplKind, LabStage};
use auralis_lab::run::NoProgress;
use auralis_lab::{run_bench, BenchInput, Mode, RunOptions};

/// Runs `stage` on `seconds` of the music fixture (quick mode, `samples` rounds) and asserts
/// that `kind` failed accuracy with a message containing `needle` and was not selected.
/// `what` names the fault in failure messages.
pub fn assert_caught(
    stage: Box<dyn LabStage>,
    kind: ImplKind,
    seconds: f64,
    samples: usize,
    needle: &str,
    what: &str,
) {
    let name = stage.name();
    let input = BenchInput::new(
        format!("music-{seconds}s"),
        auralis_lab::report::InputSource::Fixture,
        None,
        None,
        auralis_fixtures::generate_seconds(seconds),
    );
    let mut options = RunOptions::new(Mode::Quick, "planted faults");
    options.samples = Some(samples);
    options.chunk_sizes = vec![];
    let machine = auralis_lab::machine::MachineInfo::probe(std::path::Path::new("."));
    let report = run_bench(&[stage], &[input], &options, machine, &NoProgress);
    let result = report.stages[0].cells[0]
        .results
        .iter()
        .find(|r| r.implementation == kind)
        .unwrap();
    assert!(
        !result.accuracy.passed,
        "{what} on {name}/{kind} was not caught: {result:?}"
    );
    let failures = result.accuracy.failures.join("; ");
    assert!(
        !failures.is_empty() && failures.contains(needle),
        "{what} on {name}/{kind}: expected `{needle}` in `{failures}`"
    );
    let selected = report
        .selection
        .stages
        .get(name)
        .is_some_and(|s| s.buckets.iter().any(|b| b.implementation == kind));
    assert!(
        !selected,
        "{what} on {name}: the faulty variant was selected"
    );
}
