//! Loudness and features one after the other against side by side (`auralis::analysis`), on
//! the 30 s and 180 s fixtures: the measurement behind `analyze`'s choice.
//!
//! `cargo run --release -p auralis --example analysis_timing`

use std::time::Instant;

use auralis::analysis::{analyze, analyze_sequentially, AnalysisSettings};

fn main() {
    let settings = AnalysisSettings::default();
    for seconds in [30.0, 180.0] {
        let audio = auralis_fixtures::generate_seconds(seconds);
        let mut joined = Vec::new();
        let mut sequential = Vec::new();
        for round in 0..15 {
            // Alternate the order so drift hits both alike.
            for first in [round % 2 == 0, round % 2 == 1] {
                let t = Instant::now();
                if first {
                    analyze(&audio, &settings).expect("analysis");
                    joined.push(t.elapsed().as_secs_f64() * 1e3);
                } else {
                    analyze_sequentially(&audio, &settings).expect("analysis");
                    sequential.push(t.elapsed().as_secs_f64() * 1e3);
                }
            }
        }
        joined.sort_by(f64::total_cmp);
        sequential.sort_by(f64::total_cmp);
        println!(
            "{seconds:>4} s: side by side median {:.1} ms, one after the other {:.1} ms",
            joined[joined.len() / 2],
            sequential[sequential.len() / 2]
        );
    }
}
