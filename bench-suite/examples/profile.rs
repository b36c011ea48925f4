//! Runs one implementation of one registered stage over the standard fixture, repeatedly,
//! printing each run's wall time: the thing to put under a profiler.
//!
//! ```text
//! cargo run --release -p auralis-lab --example profile -- STAGE IMPL [SECONDS] [RUNS]
//! perf record -g target/release/examples/profile eq parallel 180 20
//! ```
//! The fixture is generated once, before the first run, so a profile of many runs is
//! dominated by the stage's own work.

use auralis_core::ImplKind;
use auralis_lab::registry::{filter_stages, standard_stages};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: profile STAGE IMPL [SECONDS] [RUNS]";
    let stage_name = args.first().ok_or(usage)?;
    let kind: ImplKind = args.get(1).ok_or(usage)?.parse()?;
    let seconds: f64 = args.get(2).map_or(Ok(180.0), |s| s.parse())?;
    let runs: usize = args.get(3).map_or(Ok(20), |s| s.parse())?;

    let stages = filter_stages(standard_stages(), std::slice::from_ref(stage_name))?;
    let stage = &stages[0];
    let audio = auralis_fixtures::generate_seconds(seconds);
    for _ in 0..runs {
        let start = std::time::Instant::now();
        let output = stage.run_erased(kind, &audio)?;
        println!("{:.1} ms", start.elapsed().as_secs_f64() * 1e3);
        drop(std::hint::black_box(output));
    }
    Ok(())
}
