//! Feature-parallel (the seed's plan: one thread per feature family, each with its own pass
//! over the audio) against time-parallel (the selected parallel variant: frames split over
//! the threads in one shared pass), interleaved in the same rounds on the standard fixtures.
//!
//! `cargo run --release -p auralis-features --example features_strategies`

use std::time::Instant;

use auralis_core::ImplKind;
use auralis_features::{extract, extract_feature_parallel, FeatureSettings};

fn main() {
    let settings = FeatureSettings::default();
    println!("threads: {}", rayon::current_num_threads());
    for seconds in [5.0, 30.0, 180.0] {
        let audio = auralis_fixtures::generate_seconds(seconds);
        let time_parallel = extract(ImplKind::Parallel, &audio, &settings).expect("features");
        let feature_parallel = extract_feature_parallel(&audio, &settings).expect("features");
        assert_eq!(
            time_parallel, feature_parallel,
            "the two strategies must agree bit for bit"
        );
        let rounds = if seconds > 60.0 { 11 } else { 31 };
        let (mut by_time, mut by_feature, mut sequential) = (Vec::new(), Vec::new(), Vec::new());
        for round in 0..rounds {
            // Rotate the order so drift hits all three alike.
            for i in 0..3 {
                let t = Instant::now();
                match (round + i) % 3 {
                    0 => drop(extract(ImplKind::Parallel, &audio, &settings)),
                    1 => drop(extract_feature_parallel(&audio, &settings)),
                    _ => drop(extract(ImplKind::Vectorized, &audio, &settings)),
                }
                let ms = t.elapsed().as_secs_f64() * 1e3;
                [&mut by_time, &mut by_feature, &mut sequential][(round + i) % 3].push(ms);
            }
        }
        let median = |v: &mut Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        println!(
            "{seconds:>5} s: time-parallel {:.2} ms, feature-parallel {:.2} ms, one thread (vectorized) {:.2} ms",
            median(&mut by_time),
            median(&mut by_feature),
            median(&mut sequential)
        );
    }
}
