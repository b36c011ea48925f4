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
/// Copies per measurement at least; the fastest counts (the floor is a best case by design).
const MIN_COPIES: usize = 3;
/// …and more, for small buffers, until this much time was spent: one copy of a few KB takes
/// a microsecond, and a preempted one would raise the floor and fail honest fast code.
const MIN_PROBE_SECS: f64 = 2e-3;
/// An implementation is failed as implausible only below this fraction of the floor: the
/// faults it exists for (a cache hit, skipped work) are hundreds of times below it, while
/// honest code is at least at it, and the margin absorbs the floor's own noise.
const IMPLAUSIBLE_FRACTION: f64 = 0.5;

/// Seconds of the fastest copy of `bytes` bytes.
fn best_copy_secs(bytes: usize) -> f64 {
    let words = (bytes / 8).max(1);
    let src: Vec<u64> = (0..words as u64).collect();
    let mut dst = vec![0u64; words];
    let mut best = f64::INFINITY;
    let started = Instant::now();
    let mut copies = 0;
    while copies < MIN_COPIES
        || (started.elapsed().as_secs_f64() < MIN_PROBE_SECS && copies < 10_000)
    {
        let start = Instant::now();
        dst.copy_from_slice(black_box(&src));
        black_box(&mut dst);
        best = best.min(start.elapsed().as_secs_f64());
        copies += 1;
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

/// `Some(message)` if `median_secs` is below half the time needed to read `input_bytes`
/// ([`IMPLAUSIBLE_FRACTION`]).
pub fn implausible(median_secs: f64, input_bytes: usize, floor_secs: f64) -> Option<String> {
    (median_secs < IMPLAUSIBLE_FRACTION * floor_secs).then(|| {
        format!(
            "{IMPLAUSIBLE}: median {:.1} µs is less than half the {:.1} µs this machine needs \
             just to read the {:.1} MB input — no work was done (a cache hit?)",
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
        assert!(
            implausible(large * 0.6, 1 << 24, large).is_none(),
            "within the margin"
        );
        let bw = memory_bandwidth_gbs();
        assert!(bw > 0.1 && bw < 10_000.0, "{bw}");
    }
}
