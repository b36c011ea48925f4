//! Criterion benches for the eq stage (filled in by the stage).
fn main() {}
