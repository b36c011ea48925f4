//! # auralis-core
//!
//! The shared vocabulary of Auralis Lab. Nothing here is specific to one stage:
//!
//! * [`AudioBuffer`] — planar `f32` audio plus its sample rate, validated when built so that
//!   no stage ever sees NaN, ragged channels or an absurd sample rate.
//! * [`Stage`] / [`ImplKind`] — the one trait through which every stage (spectrum, EQ,
//!   dynamics, …) exposes its sequential reference, vectorized and parallel implementations,
//!   and [`LabStage`], its object-safe twin that the measurement harness enumerates without
//!   knowing any stage's types.
//! * [`StreamProcessor`] — chunk-by-chunk processing for real-time stages.
//! * [`metrics`] — MSE, correlation, max error, SNR and relative RMS error, and the
//!   [`Accuracy`] verdict every implementation must pass before its speed counts.
//! * [`alloc_count`] — per-thread allocation counting, the proof that a real-time hot path
//!   does not allocate.
//! * [`memory`] — prefetch and streaming stores for stages that stream a whole file
//!   through a small working set.
//! * [`selection`] — the schema of `reports/selection.json`, shared by the lab that writes it
//!   and the facade crate that obeys it.
//!
//! Dependencies point one way: stages depend on this crate, the lab and the facade depend on
//! the stages, and this crate depends on none of them.

pub mod alloc_count;
pub mod audio;
pub mod cpu;
pub mod error;
pub mod memory;
pub mod metrics;
pub mod processor;
pub mod selection;
pub mod stage;
pub mod stream;

pub use audio::{first_invalid_sample, first_non_finite, AudioBuffer, MAX_SAMPLE_MAGNITUDE};
pub use cpu::simd_level;
pub use error::{AudioError, Error, Result};
pub use metrics::{worst_difference, Accuracy, Check, Metrics};
pub use processor::{AudioProcessor, Chooser, Then};
pub use stage::{ImplKind, LabStage, Stage, ThreadIndependence, Trace, POISON};
pub use stream::{without_gain, Aligned, Step, StreamProcessor};
