//! Runs the vectorized meter without true peak in a loop (for `perf record`).
//! `cargo run --release -p auralis-loudness --example loudness_profile -- vectorized 20`
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let kind: auralis_core::ImplKind = args.get(1).map_or("vectorized", |s| s).parse().unwrap();
    let n: usize = args.get(2).map_or(20, |s| s.parse().unwrap());
    let audio = auralis_fixtures::generate_seconds(180.0);
    let s = auralis_loudness::LoudnessSettings::with_true_peak(false);
    for _ in 0..n {
        std::hint::black_box(auralis_loudness::measure(kind, &audio, &s).unwrap());
    }
}
