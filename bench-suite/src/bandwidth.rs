//! What the machine's memory can do, measured by the lab: the floor under any honest run.
//!
//! Every implementation must at least read its input. A median faster than this machine can
//! merely *read* that many bytes — measured here as half the best of a few copies of an
//! input-sized buffer, so caches help the floor exactly as they help the stage — is not
//! fast code but no work (a cache hit, a skipped computation), and is failed as
//! implausible rather than reported as a speed-up. The machine table also records the
//! main-memory copy bandwidth (a 256 MiB copy), for the reader.

use std::hint::black_box;
use std::time::Instant;

/// Bytes of the main-memory probe: far beyond any cache.
const DRAM_PROBE_BYTES: usize = 256 << 20;
/// Copies per measurement; the fastest counts (the floor is a best case by design).
const COPIES: usize = 3;

/// Seconds of the fastest of [`COPIES`] copies of `bytes` bytes.
fn best_copy_secs(bytes: usize) -> f64 {
    let words = (bytes / 8).max(1);
    let src: Vec<u64> = (0..words as u64).collect();
    let mut dst = vec![0u64; words];
    let mut best = f64::INFINITY;
    for _ in 0..COPIES {
        let start = Instant::now();
        dst.copy_from_slice(black_box(&src));
        black_box(&mut dst);
        best = best.min(start.elapsed().as_secs_f64());
    }
    best
}

/// Main-memory copy bandwidth in GB/s (bytes read plus bytes written, per second).
pub fn memory_bandwidth_gbs() -> f64 {
    let secs = best_copy_secs(DRAM_PROBE_BYTES);
    2.0 * DRAM_PROBE_BYTES as f64 / secs / 1e9
}

/// The least time this machine needs to read `bytes` bytes once: half the best copy of that
/// many (a copy reads and writes each byte once).
pub fn read_floor_secs(bytes: usize) -> f64 {
    best_copy_secs(bytes) / 2.0
}

/// The start of an implausible-speed failure's message.
pub const IMPLAUSIBLE: &str = "implausible speed";

/// `Some(message)` if `median_secs` is below the time needed to read `input_bytes`.
pub fn implausible(median_secs: f64, input_bytes: usize, floor_secs: f64) -> Option<String> {
    (median_secs < floor_secs).then(|| {
        format!(
            "{IMPLAUSIBLE}: median {:.1} µs is less than the {:.1} µs this machine needs just \
             to read the {:.1} MB input — no work was done (a cache hit?)",
            median_secs * 1e6,
            floor_secs * 1e6,
            input_bytes as f64 / 1e6
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_floor_grows_with_size_and_flags_only_what_is_below_it() {
        let small = read_floor_secs(1 << 16);
        let large = read_floor_secs(1 << 24);
        assert!(small > 0.0 && large > small, "{small} vs {large}");
        assert!(implausible(large * 0.1, 1 << 24, large).is_some());
        assert!(implausible(large * 10.0, 1 << 24, large).is_none());
        let bw = memory_bandwidth_gbs();
        assert!(bw > 0.1 && bw < 10_000.0, "{bw}");
    }
}
