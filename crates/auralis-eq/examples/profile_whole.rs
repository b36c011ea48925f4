//! Runs one EQ implementation on 180 s stereo repeatedly, for a profiler (`perf record`).
//!
//! ```text
//! cargo run --release -p auralis-eq --example profile_whole -- [reference|vectorized|parallel] [runs]
//! ```
use auralis_core::ImplKind;
use auralis_eq::{process, EqGains, EqSettings};

fn main() {
    let mut args = std::env::args().skip(1);
    let kind: ImplKind = args
        .next()
        .unwrap_or_else(|| "parallel".into())
        .parse()
        .expect("reference, vectorized or parallel");
    let runs: usize = args.next().map_or(20, |r| r.parse().expect("a count"));
    let audio = auralis_fixtures::generate_seconds(180.0);
    let settings = EqSettings {
        gains: EqGains::preset("balanced").expect("preset exists"),
        ..EqSettings::default()
    };
    for _ in 0..runs {
        let t = std::time::Instant::now();
        let out = process(kind, &audio, &settings).expect("valid settings");
        println!("{:.1} ms", t.elapsed().as_secs_f64() * 1e3);
        std::hint::black_box(out);
    }
}
