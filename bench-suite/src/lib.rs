//! # auralis-lab — the measurement harness of Auralis Lab
//!
//! The lab answers one question per stage and input size: *which implementation should run
//! by default, and can we prove it is both correct and faster?* It does so in a fixed order,
//! because a fast wrong answer is worth nothing:
//!
//! 1. **Accuracy first** ([`run`]): each implementation runs once and is compared with the
//!    stage's sequential reference by the stage's own tolerance. Failures (wrong output,
//!    errors, panics) are recorded and never timed or selected.
//! 2. **Interleaved timing** ([`timing`]): warm-up, then round-robin samples over the
//!    implementations, every sample kept, summarised by median, quartiles and MAD; speed-ups
//!    are ratios within one run. Extra heap and allocation counts come from the counting
//!    global allocator in [`alloc_counter`].
//! 3. **Streaming** ([`streaming`]): per-call latency percentiles of real-time processors
//!    against the chunk's budget, and zero allocations in the loop; timed under a real-time
//!    scheduling policy where the OS permits, as audio threads run ([`realtime`]).
//! 4. **Reports** ([`report`], [`markdown`], [`plots`], [`output`]): `report.json` (see
//!    `reports/SCHEMA.md`), `REPORT.md`, SVG plots; `REPORT.md` also judges the issues'
//!    stated targets ([`targets`]), naming those below the machine's own timing noise.
//! 5. **Defaults** ([`select`]): fastest implementation that passes accuracy and is faster
//!    than the reference with 95 % confidence, judged on per-round paired ratios, per size
//!    bucket; a heavier one (parallel) must also be at least 10 % faster than the lighter
//!    qualifying one (median of the per-round ratios).
//! 6. **Regression check** ([`check`]): accuracy, selected defaults and speed ratios against
//!    a committed baseline, with re-measurement before any speed verdict; and instruction
//!    counts under callgrind ([`icount`]), which do not move with the machine's load.
//!
//! `cargo xtask` (the `xtask` crate) is thin command-line glue over this library. Linking
//! this crate installs [`alloc_counter::CountingAllocator`] as the global allocator.

pub mod alloc_counter;
pub mod bandwidth;
pub mod batch;
pub mod check;
pub mod compare;
pub mod error;
pub mod icount;
pub mod inputs;
pub mod machine;
pub mod markdown;
pub mod output;
pub mod peers;
pub mod plots;
pub mod progress;
pub mod realtime;
pub mod registry;
pub mod report;
pub mod run;
pub mod select;
pub mod streaming;
pub mod targets;
pub mod timing;
pub mod verified;

pub use error::{LabError, LabResult};
pub use report::Report;
pub use run::{run_bench, BenchInput, RunOptions};
pub use timing::Mode;

#[cfg(test)]
mod end_to_end_tests;
#[cfg(test)]
mod toy;
