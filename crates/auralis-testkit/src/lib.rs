//! The stage test kit: what every stage's tests share.
//!
//! As `rustfft`'s `check_fft_algorithm` serves every FFT algorithm, [`check_stage`] serves
//! every stage: it runs each implementation against the reference, into stale output buffers
//! of another size, at several thread counts, and — where the stage streams — holds the
//! stream to its whole-file twin for many chunkings and counts its allocations. A new stage
//! gets all of it by calling one function from its tests; a stage crate keeps only the tests
//! that are about *its* algorithm.
//!
//! [`signals`] is the one place test signals come from (before it, three crates had three
//! generators), and [`oracle`] wraps the independent meters tests compare against.

pub mod oracle;
pub mod signals;
mod stage_check;
mod stream_check;

pub use stage_check::{
    check_against_reference, check_stage, check_stale_outputs, check_thread_counts,
    KIT_THREAD_COUNTS,
};
pub use stream_check::{
    assert_bit_identical, check_stream, check_stream_allocations, counting_allocator_installed,
    stream_through, CHUNK_PATTERNS,
};
