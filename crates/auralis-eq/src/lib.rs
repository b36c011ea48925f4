//! # auralis-eq — critical-band EQ by perfect-reconstruction STFT filtering
//!
//! 25 Bark bands with gains in dB (±12 dB), turned into a smooth per-bin gain curve
//! (monotone cubic in dB over log frequency between band centres, see [`bands`]), applied
//! by STFT filtering: FFT 4096, hop 1024 (or 2048), periodic sqrt-Hann analysis and synthesis
//! windows, overlap-add normalised exactly. At 0 dB the output equals the input to f32
//! rounding (≈ −136 dB relative RMS error, measured); whole-file output has the input's
//! length and no delay.
//!
//! Implementations, all held to [`compare`] against the reference:
//!
//! * [`ImplKind::Reference`] (`reference.rs`) — sequential, one real FFT per frame, written
//!   to be read. The definition.
//! * [`ImplKind::Vectorized`] (`vectorized.rs`, `packed.rs`, `simd.rs`) — pulp SIMD kernels,
//!   and two frames per complex FFT (the gain is real and symmetric, so the packed frames
//!   come back separated): nearly half the FFT work.
//! * [`ImplKind::Parallel`] (`parallel.rs`) — the vectorized engine on rayon over
//!   channels × blocks of frames; bit-identical to the vectorized variant for any thread
//!   count.
//! * [`EqStream`] (`stream.rs`) — real-time chunks of any size, allocation-free. By default
//!   it pairs frames like the vectorized variant and reproduces its output bit for bit with
//!   latency `fft + hop − 1`; [`StreamMode::LowLatency`] reproduces the reference bit for
//!   bit with latency `fft − 1` at about twice the FFT work.
//!
//! This crate fixes the original engine's defects rather than reproducing them: it
//! overlap-adds (the original windowed twice and concatenated frames, −2.8 dB RMS error at
//! 0 dB gain), processes the whole input (not the first 4096 samples), and has exactly 25
//! bands (no out-of-range band index falling back to a broadband gain).

pub mod bands;
mod gains;
mod packed;
mod parallel;
mod reference;
mod settings;
mod simd;
mod stage;
mod stft;
mod stream;
mod vectorized;

use auralis_core::{Accuracy, AudioBuffer, Check, ImplKind, Metrics, Result};

pub use bands::{band_centres_hz, BAND_EDGES_HZ, NUM_BANDS};
pub use gains::{EqGains, MAX_GAIN_DB, PRESET_NAMES};
pub use settings::{EqSettings, DEFAULT_FFT_SIZE, DEFAULT_HOP, MAX_FFT_SIZE, MIN_FFT_SIZE};
pub use stage::EqStage;
pub use stream::{EqStream, StreamMode};

/// Stage name in reports and `selection.json`.
pub const NAME: &str = "eq";

/// Largest relative RMS error (`‖candidate − reference‖ / ‖reference‖`, all channels) a
/// variant may have: 1e-6, i.e. −120 dB.
///
/// Why this value: every variant does the same arithmetic in `f32`, and a 4096-point f32 FFT
/// round trip is accurate to ≈ 1e-7 relative; packing two frames into one complex FFT adds
/// error of the same order. 1e-6 leaves a 10× margin for that and is still far below anything
/// audible (a 24-bit master's quantisation noise is about −144 dBFS, a 16-bit one −96 dBFS),
/// while any algorithmic defect — wrong window or normalisation, a band off by one, a missing
/// frame — gives errors of 1e-3 or more.
pub const RELATIVE_RMS_TOLERANCE: f64 = 1e-6;

/// Smallest correlation with the reference a variant may have. Redundant with the RMS bound
/// for small errors, but it reads directly as "same waveform" in reports and catches a
/// candidate that is right in level but wrong in shape.
pub const MIN_CORRELATION: f64 = 0.999_999;

/// Equalises every channel of `audio` with the chosen implementation. The output has the
/// input's shape and sample rate and is aligned with it (no latency).
pub fn process(kind: ImplKind, audio: &AudioBuffer, settings: &EqSettings) -> Result<AudioBuffer> {
    process_reusing(kind, audio, settings, None)
}

/// Like [`process`], writing into `output`'s allocations instead of fresh ones where the
/// shape allows (the reference always allocates: it is written for clarity). For callers
/// that equalise many inputs: a fresh 180 s stereo output costs a page fault per 4 KiB,
/// about a sixth of a fast run. On success `output` holds the new output; on error it is
/// left empty.
pub fn process_into(
    kind: ImplKind,
    audio: &AudioBuffer,
    settings: &EqSettings,
    output: &mut Option<AudioBuffer>,
) -> Result<()> {
    *output = Some(process_reusing(kind, audio, settings, output.take())?);
    Ok(())
}

fn process_reusing(
    kind: ImplKind,
    audio: &AudioBuffer,
    settings: &EqSettings,
    old: Option<AudioBuffer>,
) -> Result<AudioBuffer> {
    settings.validate()?;
    match kind {
        ImplKind::Reference => reference::process(audio, settings),
        ImplKind::Vectorized => {
            vectorized::process(audio, settings, packed::output_storage(old, audio))
        }
        ImplKind::Parallel => {
            parallel::process(audio, settings, packed::output_storage(old, audio))
        }
    }
}

/// Holds `candidate` against `reference`: same shape and sample rate, relative RMS error
/// ≤ [`RELATIVE_RMS_TOLERANCE`] and correlation ≥ [`MIN_CORRELATION`] over all channels.
pub fn compare(reference: &AudioBuffer, candidate: &AudioBuffer) -> Accuracy {
    if reference.num_channels() != candidate.num_channels()
        || reference.len() != candidate.len()
        || reference.sample_rate() != candidate.sample_rate()
    {
        return Accuracy::failed(format!(
            "shape differs: reference {} ch × {} @ {} Hz, candidate {} ch × {} @ {} Hz",
            reference.num_channels(),
            reference.len(),
            reference.sample_rate(),
            candidate.num_channels(),
            candidate.len(),
            candidate.sample_rate()
        ));
    }
    let metrics = Metrics::of_channels(reference.channels(), candidate.channels());
    let mut checks = vec![Check::at_most(
        "relative RMS error",
        metrics.relative_rms_error,
        RELATIVE_RMS_TOLERANCE,
    )];
    // Correlation is undefined for a constant reference (e.g. a one-sample input, or
    // silence); `Metrics` reports 0 there for any non-zero error, which would fail a
    // candidate that is correct to 1e-7. The relative RMS check covers that case alone.
    if !is_constant(reference) {
        checks.push(Check::at_least(
            "correlation",
            metrics.correlation,
            MIN_CORRELATION,
        ));
    }
    Accuracy { metrics, checks }
}

fn is_constant(audio: &AudioBuffer) -> bool {
    let first = audio.channel(0)[0];
    audio.channels().iter().flatten().all(|&s| s == first)
}

/// The EQ as a link of a processing chain: audio in, audio out, nothing on the side. Its
/// stage name is the one the lab measures these settings under (`eq` or `eq-hop2048`).
impl auralis_core::AudioProcessor for EqSettings {
    type Report = ();

    fn stage_name(&self) -> &'static str {
        auralis_core::Stage::name(&EqStage::for_settings(self))
    }

    fn process_into(
        &self,
        choose: auralis_core::Chooser<'_>,
        audio: &AudioBuffer,
        output: &mut Option<AudioBuffer>,
    ) -> Result<()> {
        process_into(choose(self.stage_name()), audio, self, output)
    }
}
