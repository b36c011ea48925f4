//! Per-thread allocation counting: the proof that a real-time hot path does not allocate.
//!
//! Real-time safety is a property of the audio thread, so the count is kept per thread. A
//! process-wide count is disturbed by whatever else runs at the time — the test harness's
//! own threads, a progress bar, rayon workers — and a "no allocation" test built on one
//! fails at random (one did, in CI: a single stray allocation from another thread).
//!
//! Two ways to use it:
//!
//! * a test binary installs [`ThreadCountingAllocator`] as its `#[global_allocator]` and
//!   compares [`thread_allocations`] before and after the hot path;
//! * a binary with its own counting allocator (the lab's, which also tracks bytes) calls
//!   [`note_allocation`] from it, so both share one definition of "this thread allocated".

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

thread_local! {
    // `const` and without a destructor, so touching it from inside an allocator can neither
    // allocate nor fail during thread teardown.
    static THREAD_ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

/// Counts one allocation (or reallocation) against the calling thread. For use inside a
/// `GlobalAlloc`; it never allocates.
#[inline]
pub fn note_allocation() {
    // `try_with`: the thread-local may already be gone while a thread shuts down.
    let _ = THREAD_ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
}

/// Allocations (including reallocations) made by the calling thread since it started, as
/// counted by [`note_allocation`]. Always 0 unless a counting allocator is installed.
pub fn thread_allocations() -> u64 {
    THREAD_ALLOCATIONS.try_with(Cell::get).unwrap_or(0)
}

/// The system allocator plus the per-thread count. Install it in a test binary:
///
/// ```ignore
/// #[global_allocator]
/// static GLOBAL: auralis_core::alloc_count::ThreadCountingAllocator =
///     auralis_core::alloc_count::ThreadCountingAllocator;
/// ```
pub struct ThreadCountingAllocator;

// SAFETY: every method forwards to `System` with the caller's arguments unchanged and only
// bumps a const thread-local, which neither allocates nor unwinds.
unsafe impl GlobalAlloc for ThreadCountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note_allocation();
        // SAFETY: forwarded contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note_allocation();
        // SAFETY: forwarded contract.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note_allocation();
        // SAFETY: forwarded contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded contract.
        unsafe { System.dealloc(ptr, layout) }
    }
}
