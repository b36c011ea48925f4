//! Runs one implementation repeatedly (for `perf record`), printing wall time and the CPU
//! time of all threads (from /proc, so it is meaningful on a busy machine too).
//! `cargo run --release -p auralis-dynamics --example profile -- <kind> <seconds> <runs>`
use auralis_core::ImplKind;
use auralis_dynamics::{process, DynamicsSettings};

/// CPU nanoseconds consumed so far by all threads of this process (Linux), if available.
fn cpu_ns() -> Option<u64> {
    let mut total = 0;
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        let stat = std::fs::read_to_string(task.ok()?.path().join("schedstat")).ok()?;
        total += stat.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(total)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let kind: ImplKind = args
        .first()
        .map(String::as_str)
        .unwrap_or("vectorized")
        .parse()?;
    let secs: f64 = args.get(1).map(|s| s.parse()).transpose()?.unwrap_or(30.0);
    let runs: usize = args.get(2).map(|s| s.parse()).transpose()?.unwrap_or(5);
    let audio = auralis_fixtures::generate_seconds(secs);
    let settings = DynamicsSettings::default();
    std::hint::black_box(process(kind, &audio, &settings)?);
    let cpu0 = cpu_ns();
    let t = std::time::Instant::now();
    for _ in 0..runs {
        std::hint::black_box(process(kind, &audio, &settings)?);
    }
    let wall = t.elapsed().as_secs_f64() * 1e3 / runs as f64;
    let cpu = cpu0
        .zip(cpu_ns())
        .map(|(a, b)| (b - a) as f64 / 1e6 / runs as f64);
    println!(
        "{kind}: {wall:.2} ms wall, {} ms CPU per run ({:.2} ns CPU/frame)",
        cpu.map_or("?".into(), |c| format!("{c:.2}")),
        cpu.unwrap_or(f64::NAN) * 1e6 / audio.len() as f64
    );
    Ok(())
}
