//! Times the three implementations on the standard fixtures and prints what they find.
//!
//! `cargo run --release -p auralis-features --example features_timing [KIND] [SECONDS...]`

use std::time::Instant;

use auralis_core::ImplKind;
use auralis_features::{extract, FeatureSettings};

fn main() {
    let seconds: Vec<f64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let seconds = if seconds.is_empty() {
        vec![5.0, 30.0, 180.0]
    } else {
        seconds
    };
    let kinds: Vec<ImplKind> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let kinds = if kinds.is_empty() {
        ImplKind::ALL.to_vec()
    } else {
        kinds
    };
    let settings = FeatureSettings::default();
    for s in seconds {
        let audio = auralis_fixtures::generate_seconds(s);
        for &kind in &kinds {
            let mut times = Vec::new();
            let mut last = None;
            for _ in 0..7 {
                let t = Instant::now();
                last = Some(extract(kind, &audio, &settings).expect("features"));
                times.push(t.elapsed().as_secs_f64() * 1e3);
            }
            times.sort_by(f64::total_cmp);
            let r = last.expect("ran");
            let tempo = r
                .tempo
                .as_ref()
                .map(|t| {
                    format!(
                        "{:.2} BPM, {} beats, clarity {:.3}",
                        t.bpm,
                        t.beats_s.len(),
                        t.pulse_clarity
                    )
                })
                .unwrap_or_else(|e| e.clone());
            println!(
                "{s:>5} s {kind:<10} median {:8.2} ms (min {:7.2})  centroid {:7.1} Hz  {tempo}",
                times[3],
                times[0],
                r.means.map_or(f64::NAN, |m| m.centroid_hz)
            );
        }
    }
}
