//! Criterion benches for the spectrum stage (filled in by the stage).
fn main() {}
