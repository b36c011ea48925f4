//! Quick timing of every implementation and of the stream (not a benchmark suite — the lab
//! and `bench-suite/benches/dynamics.rs` do that properly).
//!
//! ```text
//! cargo run --release -p auralis-dynamics --example dynamics_timing [seconds...] [--runs N] [--true-peak]
//! ```
//! Prints the median of N runs (after one warm-up run) per implementation and fixture length,
//! the accuracy verdict against the reference, and streaming chunk latencies (p50/p99/p99.9/max).

use std::time::{Duration, Instant};

use auralis_core::{ImplKind, StreamProcessor};
use auralis_dynamics::{compare, process, DynamicsSettings, DynamicsStream, PeakMode};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut seconds = Vec::new();
    let mut runs = 5;
    let mut settings = DynamicsSettings::default();
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--runs" => {
                i += 1;
                runs = args.get(i).ok_or("--runs needs a value")?.parse()?;
            }
            "--true-peak" => {
                if let Some(l) = &mut settings.limiter {
                    l.mode = PeakMode::True;
                }
            }
            s => seconds.push(s.parse::<f64>()?),
        }
        i += 1;
    }
    if seconds.is_empty() {
        seconds = vec![5.0, 30.0, 180.0];
    }

    for &secs in &seconds {
        let audio = auralis_fixtures::generate_seconds(secs);
        let frames = audio.len();
        let reference = process(ImplKind::Reference, &audio, &settings)?;
        println!(
            "{secs} s ({frames} frames): max reduction {:.2} dB, mean {:.2} dB, {:.2} s over threshold",
            reference.stats.max_reduction_db,
            reference.stats.mean_reduction_db,
            reference.stats.time_over_threshold_secs
        );
        for kind in ImplKind::ALL {
            let out = process(kind, &audio, &settings)?;
            let verdict = compare(&reference, &out);
            let times: Vec<Duration> = (0..runs)
                .map(|_| {
                    let t = Instant::now();
                    let out = process(kind, &audio, &settings);
                    let d = t.elapsed();
                    drop(out);
                    d
                })
                .collect();
            let m = median(times);
            println!(
                "  {:<10} {:>9.2} ms  {:>6.2} ns/frame  {:>7.0}× real time  max |Δgain| {:.2e} dB  {}",
                kind.name(),
                m.as_secs_f64() * 1e3,
                m.as_secs_f64() * 1e9 / frames as f64,
                secs / m.as_secs_f64(),
                verdict.metrics.max_abs_error,
                if verdict.passed() { "pass" } else { "FAIL" }
            );
            if !verdict.passed() {
                println!("    {:?}", verdict.failures());
            }
        }
    }

    // Five passes over 30 s of music: ~1 600 chunks of 4096 frames, enough for a p99.9.
    let audio = auralis_fixtures::generate_seconds(30.0);
    let interleaved = audio.to_interleaved();
    for chunk in [256usize, 1024, 4096] {
        let mut stream = DynamicsStream::new(&settings, 2, audio.sample_rate())?;
        let mut out = vec![0.0f32; chunk * 2];
        let mut lat = Vec::new();
        for _pass in 0..5 {
            for block in interleaved.chunks_exact(chunk * 2) {
                let t = Instant::now();
                stream.process_interleaved(block, &mut out)?;
                lat.push(t.elapsed());
            }
        }
        lat.sort();
        let q = |p: f64| lat[((lat.len() - 1) as f64 * p).round() as usize].as_secs_f64() * 1e6;
        println!(
            "stream chunk {chunk:>4}: p50 {:>6.1} µs  p99 {:>6.1} µs  p99.9 {:>6.1} µs  max {:>6.1} µs  ({} chunks)",
            q(0.5),
            q(0.99),
            q(0.999),
            q(1.0),
            lat.len()
        );
    }
    Ok(())
}
