//! Times fixture generation: `cargo run --release -p auralis-fixtures --example fixture_timing`.

use std::time::Instant;

use auralis_fixtures::{generate_with_truth, sha256_bytes, standard};
use auralis_io::{encode_wav, SampleFormat};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    for spec in standard() {
        let mut best = f64::INFINITY;
        let mut result = None;
        for _ in 0..3 {
            let start = Instant::now();
            result = Some(generate_with_truth(&spec)?);
            best = best.min(start.elapsed().as_secs_f64());
        }
        let Some((audio, truth)) = result else {
            continue;
        };
        let start = Instant::now();
        let bytes = encode_wav(&audio, SampleFormat::Float32)?;
        let encode = start.elapsed().as_secs_f64();
        let start = Instant::now();
        let hash = sha256_bytes(&bytes);
        let sha = start.elapsed().as_secs_f64();
        println!(
            "{:<11} generate {:7.1} ms ({:5.0}x real time)  encode {:6.1} ms  sha256 {:6.1} ms  peak {:.3} dBFS  {}",
            spec.name,
            best * 1e3,
            spec.seconds / best,
            encode * 1e3,
            sha * 1e3,
            truth.peak_dbfs,
            &hash[..16]
        );
        for s in &truth.sections {
            println!(
                "    {:?} {:.2}-{:.2} s: {:.2} dBFS RMS",
                s.kind, s.start_secs, s.end_secs, s.rms_dbfs
            );
        }
    }
    Ok(())
}
