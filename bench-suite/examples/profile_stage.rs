//! Runs one implementation of one registered stage over the standard fixture, repeatedly,
//! printing each run's wall time: the thing to put under a profiler.
//!
//! ```text
//! cargo run --release -p auralis-lab --example profile_stage -- STAGE IMPL [SECONDS] [RUNS]
//! perf record -g target/release/examples/profile_stage eq parallel 180 20
//! ```
//! The fixture is generated once, before the first run, so a profile of many runs is
//! dominated by the stage's own work. The first run writes a fresh output; later runs reuse
//! the previous one, as the lab's timed samples do.

use auralis_core::ImplKind;
use auralis_lab::registry::{filter_stages, standard_stages};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: profile_stage STAGE IMPL [SECONDS] [RUNS]";
    let stage_name = args.first().ok_or(usage)?;
    let kind: ImplKind = args.get(1).ok_or(usage)?.parse()?;
    let seconds: f64 = args.get(2).map_or(Ok(180.0), |s| s.parse())?;
    let runs: usize = args.get(3).map_or(Ok(20), |s| s.parse())?;

    let stages = filter_stages(standard_stages(), std::slice::from_ref(stage_name))?;
    let stage = &stages[0];
    let audio = auralis_fixtures::generate_seconds(seconds);
    // The first run writes a fresh output (as `cold` in the lab's report); the others reuse
    // the previous output's allocations (as the lab's timed samples do).
    let mut previous = None;
    for run in 0..runs {
        let start = std::time::Instant::now();
        stage.run_into_erased(kind, &audio, &mut previous)?;
        let label = if run == 0 { "cold" } else { "reused" };
        println!("{label} {:.1} ms", start.elapsed().as_secs_f64() * 1e3);
        std::hint::black_box(&previous);
    }
    Ok(())
}
