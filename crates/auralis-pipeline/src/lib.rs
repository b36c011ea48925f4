//! # auralis-pipeline — the mastering chain
//!
//! Analyse → EQ gains from a preset's target curve or a reference track's balance → EQ →
//! compressor → gain to the target loudness → true-peak limiter, with the loudness hit by
//! measurement (STAGES.md §5). A [`Pipeline`] is made once from [`PipelineSettings`] and a
//! sample rate and masters any number of tracks; every step runs the implementation it is
//! given, so the lab can hold the chain's fast variants to its reference.
//!
//! ```
//! use auralis_pipeline::{Pipeline, PipelineSettings};
//! let audio = auralis_fixtures::generate_seconds(5.0);
//! let pipeline = Pipeline::new(PipelineSettings::preset("balanced")?, audio.sample_rate())?;
//! let mastered = pipeline.process(auralis_core::ImplKind::Parallel, &audio)?;
//! let lufs = mastered.report.output.integrated_lufs.unwrap();
//! assert!((lufs - -14.0).abs() <= 0.1, "{lufs}");
//! # Ok::<(), auralis_core::Error>(())
//! ```

/// The stage's name in reports and `selection.json`.
pub const NAME: &str = "pipeline";

mod chain;
mod gains;
mod preset;
mod profile;
mod spool;
mod stage;
mod streamed;

pub use chain::{
    GainReduction, LoudnessSummary, MasterReport, Mastered, Pipeline, PipelineSettings, Tone,
    DEFAULT_TARGET_LUFS, EQ_FFT, EQ_HOP, GAIN_TRACE_PERIOD_SECS, LOUDNESS_TOLERANCE_LU,
    MAX_LIMITING_DB, MAX_PASSES, STEPS,
};
pub use gains::{match_reference, toward_preset, PRESET_CORRECTION};
pub use preset::{Preset, PRESETS};
pub use profile::{BandProfile, ProfileAccumulator, PROFILE_FFT, PROFILE_HOP};
pub use spool::{read_interleaved, BufferSource, Source, Spool};
pub use stage::{
    streamed_master, PipelineStage, MASTER_EQ_TOLERANCE_DB, MASTER_LOUDNESS_TOLERANCE_LU,
    MASTER_RELATIVE_RMS_TOLERANCE, STREAMED_CHAIN,
};
pub use streamed::{chunk_frames, StreamedMaster, MAX_STREAM_CHANNELS, STREAM_CHUNK};
