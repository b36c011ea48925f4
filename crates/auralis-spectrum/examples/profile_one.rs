//! Runs one implementation repeatedly on 180 s of the standard fixture, for profilers.
//!
//! `cargo run --release -p auralis-spectrum --example profile_one -- vectorized 10`

use auralis_core::ImplKind;
use auralis_spectrum::{analyze, SpectrumSettings};

fn main() -> Result<(), auralis_core::Error> {
    let mut args = std::env::args().skip(1);
    let kind: ImplKind = args.next().as_deref().unwrap_or("vectorized").parse()?;
    let repeats: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(10);
    let audio = auralis_fixtures::generate_seconds(180.0);
    let settings = SpectrumSettings::default();
    let start = std::time::Instant::now();
    for _ in 0..repeats {
        std::hint::black_box(analyze(kind, &audio, &settings)?);
    }
    println!(
        "{kind}: {:.2} ms per run",
        start.elapsed().as_secs_f64() * 1e3 / repeats as f64
    );
    Ok(())
}
