//! Criterion benches for the dynamics stage (filled in by the stage).
fn main() {}
