//! # auralis-dynamics
//!
//! The dynamics stage of Auralis Lab (STAGES.md §3): a soft-knee compressor followed by a
//! lookahead limiter, with a sequential reference, a vectorized and a block-parallel
//! implementation and a streaming processor.
//!
//! ## What it computes
//! * **Compressor.** Detector: the stereo-linked peak `max_c |x_c[n]|` in dB. Static curve
//!   ([`compressor_gain_db`]): threshold −18 dB, ratio 4, 2 dB quadratic soft knee. The
//!   gain reduction is smoothed by the one-pole [`EnvelopeFollower`] (attack 10 ms, release
//!   100 ms). The lookahead (5 ms) delays the audio, not the detector. Makeup gain last.
//! * **Limiter.** Ceiling −1 dBFS, lookahead 5 ms, release 50 ms. **No output sample
//!   exceeds the ceiling, for any input** — by construction (`limiter.rs`): a lookahead
//!   hold of the required reduction, a release follower, a box-filter attack ramp that
//!   provably never undershoots the requirement, and an exact final clamp with a margin for
//!   `f32` rounding. In [`PeakMode::True`] additionally no 4×-oversampled peak of the output
//!   (measured with [`true_peak`]) exceeds it, enforced by an exact guard (`guard.rs`).
//! * **Outputs.** Processed audio — same length as the input and aligned with it (the
//!   latency is compensated) — the gain trajectory (total applied gain per frame in dB,
//!   `≤ makeup`) and [`GainStats`].
//!
//! ## Implementations
//! | kind | what | module |
//! |---|---|---|
//! | `Reference` | one frame at a time, `f64`, `std` `log10`/`exp` | `reference.rs` |
//! | `Vectorized` | SIMD gain computer and conversions (bounded-error `log2`/`exp2`), sequential `f64` recurrence | `simd.rs` |
//! | `Parallel` | the vectorized engine on fixed time blocks with a proven warm-up, on `rayon` | `parallel.rs` |
//!
//! All three — and [`DynamicsStream`] — run one shared engine (`engine.rs`, `compressor.rs`,
//! `limiter.rs`); they differ only in the per-frame arithmetic (`kernel.rs`). Every variant's
//! gain trajectory must stay within [`GAIN_TOLERANCE_DB`] of the reference's ([`compare`]).
//!
//! ## Latency
//! Compressor lookahead + limiter lookahead frames (sample-peak mode); true-peak mode adds 74
//! frames (11 for the interpolator's support, 63 for the guard). Working memory is
//! `O(lookahead)` besides the outputs.

mod compressor;
mod curve;
mod engine;
mod envelope;
mod fastmath;
mod guard;
mod kernel;
mod limiter;
mod overlap;
mod parallel;
mod reference;
mod settings;
mod simd;
mod stage;
mod stats;
mod stream;

use auralis_core::{Accuracy, AudioBuffer, Check, ImplKind, Metrics, Result};
use serde::{Deserialize, Serialize};

pub use auralis_dsp::truepeak::{
    true_peak, true_peak_channel, TRUE_PEAK_OVERSAMPLING, TRUE_PEAK_TAPS_PER_PHASE,
};
pub use curve::compressor_gain_db;
pub use envelope::{time_coefficient, EnvelopeFollower};
pub use settings::{
    CompressorSettings, DynamicsSettings, LimiterSettings, PeakMode, MAX_LOOKAHEAD_MS,
    MAX_TIME_CONSTANT_MS,
};
pub use stage::DynamicsStage;
pub use stream::{with_gain, DynamicsStream};

/// The stage's name in reports and `selection.json`.
pub const NAME: &str = "dynamics";

/// Largest difference in the gain trajectory (dB) an implementation may have from the
/// reference. Why 10⁻⁵ dB is achievable: the followers run in `f64` and are non-expansive
/// (an input difference never grows), the vectorized `log2`/`exp2` err by < 4·10⁻⁶ dB up to 15 dB of reduction, and
/// the parallel warm-up leaves < 10⁻⁶ dB in each follower. `f32` output rounding alone is
/// ~10⁻⁶ dB at −20 dB, so a much tighter bound would only measure the output format.
pub const GAIN_TOLERANCE_DB: f64 = 1e-5;

/// Largest relative RMS difference of the output audio from the reference's: 10⁻⁵ dB of gain
/// is a factor of 1.15·10⁻⁶, plus one `f32` rounding (6·10⁻⁸) per sample.
pub const AUDIO_TOLERANCE: f64 = 2e-6;

/// Summary of a gain trajectory, for reports and the mastering pipeline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GainStats {
    /// Largest gain reduction, dB (≥ 0; makeup gain not counted).
    pub max_reduction_db: f32,
    /// Mean gain reduction over all frames, dB (≥ 0).
    pub mean_reduction_db: f32,
    /// Time during which the detector is above the compressor threshold — or, with no
    /// compressor, the input's sample peak above the limiter ceiling.
    pub time_over_threshold_secs: f64,
}

/// Result of [`process`].
#[derive(Clone, Debug, PartialEq)]
pub struct DynamicsOutput {
    /// Processed audio, same length as the input and aligned with it.
    pub audio: AudioBuffer,
    /// Total applied gain per frame in dB (compressor incl. makeup, plus limiter);
    /// `≤ makeup`, i.e. `≤ 0 dB` before makeup. This is what the accuracy gate compares.
    pub gain_db: Vec<f32>,
    pub stats: GainStats,
}

impl DynamicsOutput {
    /// An "earlier output" holding only `audio`, for [`process_into`] to write into: how a
    /// caller with a spare buffer (a chain link, the pipeline's passes) lends it.
    pub fn recycling(audio: AudioBuffer) -> Self {
        DynamicsOutput {
            audio,
            gain_db: Vec::new(),
            stats: GainStats {
                max_reduction_db: 0.0,
                mean_reduction_db: 0.0,
                time_over_threshold_secs: 0.0,
            },
        }
    }
}

/// Runs the chain with one implementation. Invalid settings are a typed error.
pub fn process(
    kind: ImplKind,
    audio: &AudioBuffer,
    settings: &DynamicsSettings,
) -> Result<DynamicsOutput> {
    process_reusing(kind, audio, settings, None)
}

/// Like [`process`], writing into `output`'s allocations (audio and gain trajectory)
/// instead of fresh ones where the shape allows. For callers that process many inputs: a
/// fresh 180 s stereo output plus trajectory is 95 MB, and first-touching it costs a page
/// fault per 4 KiB — about a third of a fast run. On success `output` holds the new output;
/// on error it is left empty.
pub fn process_into(
    kind: ImplKind,
    audio: &AudioBuffer,
    settings: &DynamicsSettings,
    output: &mut Option<DynamicsOutput>,
) -> Result<()> {
    *output = Some(process_reusing(kind, audio, settings, output.take())?);
    Ok(())
}

fn process_reusing(
    kind: ImplKind,
    audio: &AudioBuffer,
    settings: &DynamicsSettings,
    old: Option<DynamicsOutput>,
) -> Result<DynamicsOutput> {
    settings.validate()?;
    let storage = stats::Storage::new(old, audio);
    match kind {
        ImplKind::Reference => reference::process(audio, settings, storage),
        ImplKind::Vectorized => simd::process(audio, settings, storage),
        ImplKind::Parallel => parallel::process(audio, settings, storage),
    }
}

/// Holds a candidate's output against the reference's: gain trajectory within
/// [`GAIN_TOLERANCE_DB`], audio within [`AUDIO_TOLERANCE`], peak and statistics consistent.
pub fn compare(reference: &DynamicsOutput, candidate: &DynamicsOutput) -> Accuracy {
    let metrics = Metrics::of_f32(&reference.gain_db, &candidate.gain_db);
    let audio = Metrics::of_channels(reference.audio.channels(), candidate.audio.channels());
    let (rp, cp) = (
        f64::from(reference.audio.peak()),
        f64::from(candidate.audio.peak()),
    );
    let peak_excess_db = if cp <= rp {
        0.0
    } else if rp > 0.0 {
        20.0 * (cp / rp).log10()
    } else {
        f64::INFINITY
    };
    let (rs, cs) = (&reference.stats, &candidate.stats);
    let mut checks = vec![
        Check::at_most(
            "gain trajectory max |Δ| (dB)",
            metrics.max_abs_error,
            GAIN_TOLERANCE_DB,
        ),
        Check::at_most(
            "audio relative RMS error",
            audio.relative_rms_error,
            AUDIO_TOLERANCE,
        ),
        Check::at_most(
            "sample peak above the reference's (dB)",
            peak_excess_db,
            GAIN_TOLERANCE_DB,
        ),
        Check::at_most(
            "max reduction |Δ| (dB)",
            f64::from((rs.max_reduction_db - cs.max_reduction_db).abs()),
            GAIN_TOLERANCE_DB,
        ),
        Check::at_most(
            "mean reduction |Δ| (dB)",
            f64::from((rs.mean_reduction_db - cs.mean_reduction_db).abs()),
            GAIN_TOLERANCE_DB,
        ),
        Check::at_most(
            "time over threshold |Δ| (s)",
            (rs.time_over_threshold_secs - cs.time_over_threshold_secs).abs(),
            0.0,
        ),
    ];
    if reference.audio.sample_rate() != candidate.audio.sample_rate() {
        checks.push(Check::at_most("sample rates differ", 1.0, 0.0));
    }
    Accuracy { metrics, checks }
}

/// What dynamics report beside their audio in a processing chain.
#[derive(Clone, Debug, PartialEq)]
pub struct GainReport {
    /// Total applied gain per frame, dB (as [`DynamicsOutput::gain_db`]).
    pub gain_db: Vec<f32>,
    pub stats: GainStats,
}

/// Dynamics as a link of a processing chain: audio out, the gain trace on the side.
impl auralis_core::AudioProcessor for DynamicsSettings {
    type Report = GainReport;

    fn stage_name(&self) -> &'static str {
        NAME
    }

    fn process_into(
        &self,
        choose: auralis_core::Chooser<'_>,
        audio: &AudioBuffer,
        output: &mut Option<AudioBuffer>,
    ) -> Result<GainReport> {
        let mut recycled = output.take().map(DynamicsOutput::recycling);
        process_into(choose(NAME), audio, self, &mut recycled)?;
        let out = recycled.expect("process_into leaves its output on success");
        *output = Some(out.audio);
        Ok(GainReport {
            gain_db: out.gain_db,
            stats: out.stats,
        })
    }
}
