//! Times every implementation on 5 s, 30 s and 180 s of the standard stereo 44.1 kHz fixture
//! and checks each against the reference.
//!
//! `cargo run --release -p auralis-spectrum --example spectrum_timing [-- RUNS]`
//!
//! Median of RUNS (default 7) runs after one warm-up run, on fresh calls each time (nothing is
//! cached between calls). Parallel runs on rayon's global pool (all cores).

use std::time::{Duration, Instant};

use auralis_core::{AudioBuffer, ImplKind};
use auralis_spectrum::{analyze, compare, SpectrumSettings};

fn median_time(runs: usize, mut f: impl FnMut()) -> Duration {
    f(); // warm-up: page in the input, plan caches, thread pool
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

fn main() -> Result<(), auralis_core::Error> {
    let runs = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(7usize)
        .max(1);
    let settings = SpectrumSettings::default();
    println!(
        "spectrum timing: median of {runs} runs, {} rayon threads",
        rayon::current_num_threads()
    );
    println!(
        "{:>6} {:>7} {:>11} {:>10} {:>9} {:>10} {:>11} {:>11}",
        "input", "frames", "impl", "ms", "x ref", "x realtime", "|Δ| dB", "worst rel"
    );
    for seconds in [5.0, 30.0, 180.0] {
        let audio: AudioBuffer = auralis_fixtures::generate_seconds(seconds);
        let reference = analyze(ImplKind::Reference, &audio, &settings)?;
        let mut reference_ms = 0.0;
        for kind in ImplKind::ALL {
            let result = analyze(kind, &audio, &settings)?;
            let accuracy = compare(&reference, &result);
            let time = median_time(runs, || {
                std::hint::black_box(analyze(kind, std::hint::black_box(&audio), &settings))
                    .map(drop)
                    .unwrap_or_else(|e| panic!("{kind} failed: {e}"));
            });
            let ms = time.as_secs_f64() * 1e3;
            if kind == ImplKind::Reference {
                reference_ms = ms;
            }
            // Largest relative error among centroid, rolloff and peak frequency.
            let worst_relative = accuracy
                .checks
                .iter()
                .filter(|c| c.name.contains("relative"))
                .map(|c| c.value)
                .fold(0.0, f64::max);
            println!(
                "{:>5}s {:>7} {:>11} {:>10.2} {:>8.2}x {:>9.0}x {:>11.1e} {:>11.1e} {}",
                seconds,
                result.frames,
                kind.name(),
                ms,
                reference_ms / ms,
                seconds * 1e3 / ms,
                accuracy.metrics.max_abs_error,
                worst_relative,
                if accuracy.passed() { "pass" } else { "FAIL" }
            );
        }
    }
    Ok(())
}
