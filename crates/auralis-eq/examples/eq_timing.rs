//! Rough timings of every EQ implementation and of the streaming processor.
//!
//! ```text
//! CARGO_TARGET_DIR=target-eq cargo run --release -p auralis-eq --example eq_timing [seconds…]
//! ```
//!
//! Whole file: median and minimum of several runs after a warm-up, stereo 44.1 kHz
//! music-like signal. On a shared machine the minimum is the better estimate of the cost;
//! the median shows what contention does to it.
//! Streaming: per-chunk wall time over a 30 s signal; median, p99, p99.9 and max. The lab's
//! harness measures the same things with hdrhistogram; this is the quick local check.

use auralis_testkit::signals as common;

use std::time::Instant;

use auralis_core::{ImplKind, StreamProcessor};
use auralis_eq::{process, EqGains, EqSettings, EqStream};

/// CPU time (user + system, all threads) of this process so far in ms, from
/// `/proc/self/stat` (Linux; 10 ms ticks, so only meaningful summed over several runs).
fn cpu_ms() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) * 10.0)
}

/// (median, minimum) of the run times.
fn summary(mut v: Vec<f64>) -> (f64, f64) {
    v.sort_by(f64::total_cmp);
    (v[v.len() / 2], v[0])
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn main() {
    let durations: Vec<f64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let durations = if durations.is_empty() {
        vec![5.0, 30.0, 180.0]
    } else {
        durations
    };
    let gains = EqGains::preset("balanced").expect("preset exists");
    println!(
        "threads available to rayon: {}",
        rayon::current_num_threads()
    );

    for &seconds in &durations {
        let audio = common::music_like(seconds, 44_100, 2, 1);
        let runs = if seconds > 60.0 { 5 } else { 9 };
        for hop in [1024, 2048] {
            let settings = EqSettings {
                gains: gains.clone(),
                fft_size: 4096,
                hop,
            };
            for kind in ImplKind::ALL {
                let _warm_up = process(kind, &audio, &settings).expect("valid settings");
                let cpu_before = cpu_ms();
                let times: Vec<f64> = (0..runs)
                    .map(|_| {
                        let start = Instant::now();
                        let out = process(kind, &audio, &settings).expect("valid settings");
                        let elapsed = start.elapsed().as_secs_f64() * 1e3;
                        std::hint::black_box(out);
                        elapsed
                    })
                    .collect();
                let cpu = cpu_ms()
                    .zip(cpu_before)
                    .map(|(after, before)| (after - before) / runs as f64);
                let (ms, min) = summary(times);
                println!(
                    "{seconds:>5} s stereo hop {hop}  {:<10}  median {ms:8.2} ms  min {min:8.2} ms  \
                     cpu {:6.1} ms/run  ({:6.0}× real time)",
                    kind.name(),
                    cpu.unwrap_or(f64::NAN),
                    seconds * 1e3 / ms
                );
            }
        }
    }

    let audio = common::music_like(30.0, 44_100, 2, 2);
    let input = audio.to_interleaved();
    for hop in [1024, 2048] {
        let settings = EqSettings {
            gains: gains.clone(),
            fft_size: 4096,
            hop,
        };
        for chunk_frames in [256usize, 1024, 4096] {
            let mut stream = EqStream::new(&settings, 2, 44_100).expect("valid settings");
            let mut output = vec![0.0f32; chunk_frames * 2];
            let mut times = Vec::new();
            for _pass in 0..2 {
                for chunk in input.chunks_exact(chunk_frames * 2) {
                    let start = Instant::now();
                    stream
                        .process_interleaved(chunk, &mut output)
                        .expect("finite input");
                    times.push(start.elapsed().as_secs_f64() * 1e6);
                }
            }
            times.sort_by(f64::total_cmp);
            println!(
                "stream hop {hop} chunk {chunk_frames:>4}: median {:6.1} µs  p99 {:6.1} µs  \
                 p99.9 {:6.1} µs  max {:7.1} µs  (chunk lasts {:.0} µs; {} chunks)",
                percentile(&times, 0.5),
                percentile(&times, 0.99),
                percentile(&times, 0.999),
                times[times.len() - 1],
                chunk_frames as f64 / 44_100.0 * 1e6,
                times.len()
            );
        }
    }
}
