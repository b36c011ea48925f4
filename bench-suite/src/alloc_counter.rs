//! A counting global allocator: how much memory a run really needs, and proof that a
//! streaming loop does not allocate.
//!
//! Every allocation in a binary that links this crate goes through [`CountingAllocator`],
//! which forwards to the system allocator and keeps three process-wide atomics — bytes
//! currently live, the peak of that since the last reset, and the number of allocations —
//! plus one per-thread allocation count.
//!
//! * [`measure`] answers "how much extra heap did this closure need": it resets the peak to
//!   the current level, runs the closure and reports the peak above the starting level and
//!   the number of allocations made meanwhile. Work that rayon spreads over other threads is
//!   included, which is what a memory budget is about. (Allocations by unrelated threads
//!   running at the same time are included too, so the lab runs nothing else meanwhile.)
//! * [`thread_allocations`] (shared with the stages' own no-allocation tests, from
//!   `auralis_core::alloc_count`) counts allocations of the *calling thread* only. Real-time safety
//!   is a property of the audio thread, and a thread-local count cannot be disturbed by a
//!   progress bar or a test running beside it, so the streaming check uses this one.
//!
//! The bookkeeping costs a few relaxed atomic operations per allocation, negligible next to
//! the allocation itself, and the same for every implementation measured.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use serde::{Deserialize, Serialize};

static CURRENT_BYTES: AtomicUsize = AtomicUsize::new(0);
static PEAK_BYTES: AtomicUsize = AtomicUsize::new(0);
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

pub use auralis_core::alloc_count::thread_allocations;

/// The system allocator plus counters. Installed as this crate's `#[global_allocator]`.
pub struct CountingAllocator;

impl CountingAllocator {
    #[inline]
    fn record_alloc(size: usize) {
        let now = CURRENT_BYTES.fetch_add(size, Ordering::Relaxed) + size;
        PEAK_BYTES.fetch_max(now, Ordering::Relaxed);
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        auralis_core::alloc_count::note_allocation();
    }

    #[inline]
    fn record_dealloc(size: usize) {
        CURRENT_BYTES.fetch_sub(size, Ordering::Relaxed);
    }
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged and only
// adds bookkeeping on atomics and a const thread-local (`note_allocation`), which neither allocate nor unwind.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded contract.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            Self::record_alloc(layout.size());
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded contract.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            Self::record_alloc(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded contract.
        unsafe { System.dealloc(ptr, layout) };
        Self::record_dealloc(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded contract.
        let new_ptr = unsafe { System.realloc(ptr, layout, new_size) };
        if !new_ptr.is_null() {
            // A realloc is an allocation of the new block and a release of the old one.
            Self::record_dealloc(layout.size());
            Self::record_alloc(new_size);
        }
        new_ptr
    }
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

/// What a measured closure cost in heap memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct MemoryUsage {
    /// Highest live heap during the closure, minus the live heap when it started (bytes).
    pub peak_extra_bytes: u64,
    /// Allocations (including reallocations) made while it ran, by any thread.
    pub allocations: u64,
}

/// Bytes currently allocated by the whole process.
pub fn current_bytes() -> usize {
    CURRENT_BYTES.load(Ordering::Relaxed)
}

/// Runs `f` and reports the extra heap it needed. Resets the process-wide peak first, so two
/// measurements never see each other's peaks (and must therefore not run concurrently).
pub fn measure<R>(f: impl FnOnce() -> R) -> (R, MemoryUsage) {
    let start_bytes = CURRENT_BYTES.load(Ordering::Relaxed);
    PEAK_BYTES.store(start_bytes, Ordering::Relaxed);
    let start_count = ALLOCATIONS.load(Ordering::Relaxed);
    let result = f();
    let peak = PEAK_BYTES.load(Ordering::Relaxed);
    let usage = MemoryUsage {
        peak_extra_bytes: peak.saturating_sub(start_bytes) as u64,
        allocations: ALLOCATIONS.load(Ordering::Relaxed) - start_count,
    };
    (result, usage)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hint::black_box;

    #[test]
    fn measure_sees_the_peak_even_after_the_memory_is_freed() {
        const BYTES: usize = 8 << 20;
        let ((), usage) = measure(|| {
            let big = black_box(vec![1u8; BYTES]);
            drop(big);
        });
        // Other tests may allocate concurrently, so only lower bounds are exact here.
        assert!(usage.peak_extra_bytes >= BYTES as u64, "{usage:?}");
        assert!(usage.allocations >= 1);
    }

    #[test]
    fn thread_count_is_exact_for_this_thread() {
        let before = thread_allocations();
        let a = black_box(Vec::<u64>::with_capacity(16));
        let b = black_box(Box::new(7u32));
        assert_eq!(thread_allocations() - before, 2);
        drop((a, b));
        let before = thread_allocations();
        let mut x = 0u64;
        for i in 0..1000u64 {
            x = black_box(x.wrapping_add(i));
        }
        assert_eq!(thread_allocations(), before, "arithmetic must not allocate");
        assert_eq!(x, 499_500);
    }

    #[test]
    fn realloc_counts_and_tracks_bytes() {
        let before = thread_allocations();
        let mut v: Vec<u8> = Vec::with_capacity(1);
        v.reserve_exact(1 << 20);
        black_box(&v);
        assert_eq!(thread_allocations() - before, 2, "alloc + realloc");
        assert!(current_bytes() >= 1 << 20);
    }

    #[test]
    fn other_threads_do_not_touch_this_threads_count() {
        let before = thread_allocations();
        std::thread::scope(|s| {
            s.spawn(|| black_box(vec![0u8; 1024]).len());
        });
        // Spawning may allocate on this thread (the closure box, thread handle), but the
        // spawned thread's own 1 KiB vector is counted there, not here: compare with a run
        // that spawns a thread doing nothing.
        let with_work = thread_allocations() - before;
        let before = thread_allocations();
        std::thread::scope(|s| {
            s.spawn(|| 0usize);
        });
        let without_work = thread_allocations() - before;
        assert_eq!(with_work, without_work);
    }
}
