//! Writes the standard fixtures and `manifest.json` into a directory (default `fixtures`),
//! regenerating only files that are missing or differ — what `cargo xtask fixtures` does,
//! without the lab: `cargo run --release -p auralis-fixtures --example ensure_fixtures [dir]`.

use std::path::PathBuf;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "fixtures".into()));
    let start = Instant::now();
    let manifest = auralis_fixtures::ensure_all(&dir, &auralis_fixtures::standard())?;
    for entry in &manifest.fixtures {
        println!(
            "{}  {}  {:.1} s  peak {:.3} dBFS",
            entry.sha256, entry.file, entry.duration_secs, entry.peak_dbfs
        );
    }
    println!(
        "{} fixtures in {} ({:.2} s)",
        manifest.fixtures.len(),
        dir.display(),
        start.elapsed().as_secs_f64()
    );
    Ok(())
}
