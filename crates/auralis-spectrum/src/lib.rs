//! # auralis-spectrum
//!
//! The spectrum stage of Auralis Lab (STAGES.md §1): a short-time spectrum of the mean of all
//! channels (periodic Hann, FFT 4096, hop 1024), averaged into 64 log-spaced bands from 20 Hz
//! to 20 kHz (reported by their lower and upper edges and geometric centres), weighted (A, C
//! or Z, at the centres), smoothed across frames, and summarised over the file as mean band
//! levels plus mean peak frequency, centroid, 85 % rolloff and total energy — the last four
//! absent (`None`) for digital silence, which has none of them.
//!
//! Three implementations with one definition:
//!
//! * [`ImplKind::Reference`] (`reference.rs`) — sequential, `f64` wherever it is cheap to be
//!   exact; the definition the others are held to.
//! * [`ImplKind::Vectorized`] (`simd.rs`, `packed.rs`) — the same frame loop with SIMD
//!   kernels (runtime dispatch via `pulp`) for channel mixing × window and band sums, and the
//!   real FFT computed as a half-length complex FFT whose split step is fused with `|X_k|`.
//! * [`ImplKind::Parallel`] (`parallel.rs`) — the vectorized per-frame work spread over rayon
//!   threads in fixed-size blocks, with the smoothing recurrence applied afterwards in order:
//!   bit-identical to the vectorized result for any thread count.
//!
//! What is not the point of a variant is shared: framing, FFT plan and buffers
//! (`framing.rs`), bands, bin mapping and weighting (`bands.rs`), smoothing and per-frame
//! features (`features.rs`), and the running means (`result.rs`). The variants differ only in
//! how a frame of samples becomes band levels, and in scheduling.
//!
//! Memory beyond the input: O(FFT size) per thread, plus one bounded wave of band levels in
//! the parallel variant. No whole-file spectrogram and no mono copy of the input are made.
//!
//! ```
//! use auralis_core::{AudioBuffer, ImplKind};
//! use auralis_spectrum::{analyze, SpectrumSettings};
//!
//! let sr = 44_100;
//! let tone: Vec<f32> = (0..sr).map(|n| (std::f32::consts::TAU * 1000.0 * n as f32 / sr as f32).sin()).collect();
//! let audio = AudioBuffer::new(vec![tone], sr as u32)?;
//! let result = analyze(ImplKind::Reference, &audio, &SpectrumSettings::default())?;
//! assert_eq!(result.band_levels_db.len(), 64);
//! // The band holding 1 kHz is reported by its geometric centre (the original reported its
//! // lower edge, 928 Hz).
//! let peak = result.peak_frequency_hz.expect("a tone is not silence");
//! assert!((965.0..1036.0).contains(&peak), "{peak}");
//! # Ok::<(), auralis_core::Error>(())
//! ```

mod analysis;
pub mod bands;
mod features;
mod framing;
pub mod parallel;
mod reference;
mod result;
mod settings;
mod simd;
mod stage;

use auralis_core::{AudioBuffer, ImplKind, Result};

use crate::analysis::Analysis;

pub use bands::{band_centres_hz, band_edges_hz, weighting_db};
pub use result::SpectrumResult;
pub use settings::{SpectrumSettings, Weighting};
pub use stage::{compare, SpectrumStage, BAND_LEVEL_TOLERANCE_DB, CENTROID_ROLLOFF_REL_TOLERANCE};

/// The stage's machine name in reports and `selection.json`.
pub const NAME: &str = "spectrum";

/// Analyses `audio` with the chosen implementation.
///
/// Errors: invalid `settings` ([`auralis_core::Error::InvalidParameter`] naming the field), or
/// samples so large that the `f32` spectrum overflows. Input shorter than one frame is
/// zero-padded to one frame, and bands above the Nyquist frequency read −200 dB plus their
/// weighting.
pub fn analyze(
    kind: ImplKind,
    audio: &AudioBuffer,
    settings: &SpectrumSettings,
) -> Result<SpectrumResult> {
    let ctx = Analysis::new(audio, settings)?;
    match kind {
        ImplKind::Reference => reference::analyze(&ctx),
        ImplKind::Vectorized => simd::analyze(&ctx),
        ImplKind::Parallel => parallel::analyze(&ctx),
    }
}

/// Per-frame internals exposed for tests against independent computations (a naive DFT).
/// Not part of the stable API.
#[doc(hidden)]
pub mod testing {
    use auralis_core::{AudioBuffer, Error, ImplKind, Result};

    use crate::analysis::{Analysis, FrameLevels};
    use crate::reference::ReferenceFrames;
    use crate::settings::SpectrumSettings;
    use crate::simd::VectorizedPlan;

    /// `|X_k|`, `k = 0..=N/2`, of the periodic-Hann-windowed `frame` (`N = frame.len()`,
    /// at least [`SpectrumSettings::MIN_FFT_SIZE`]), as the reference computes them.
    pub fn frame_magnitudes(frame: &[f32]) -> Result<Vec<f64>> {
        let audio = AudioBuffer::new(vec![frame.to_vec()], 44_100)?;
        let settings = SpectrumSettings {
            fft_size: frame.len(),
            hop: frame.len(),
            ..SpectrumSettings::default()
        };
        let ctx = Analysis::new(&audio, &settings)?;
        let mut frames = ReferenceFrames::new(&ctx);
        Ok(frames.magnitudes(0)?.to_vec())
    }

    /// Weighted band levels (dB, before smoothing) of frame `frame`, computed by `kind`'s
    /// per-frame code (the parallel variant uses the vectorized per-frame code).
    pub fn frame_levels_db(
        kind: ImplKind,
        audio: &AudioBuffer,
        settings: &SpectrumSettings,
        frame: usize,
    ) -> Result<Vec<f64>> {
        let ctx = Analysis::new(audio, settings)?;
        if frame >= ctx.framing.frames {
            return Err(Error::param(
                "frame",
                format!(
                    "{frame} is past the last frame ({})",
                    ctx.framing.frames - 1
                ),
            ));
        }
        let mut levels = vec![0.0; ctx.bands()];
        match kind {
            ImplKind::Reference => ReferenceFrames::new(&ctx).frame_levels(frame, &mut levels)?,
            ImplKind::Vectorized | ImplKind::Parallel => VectorizedPlan::new(&ctx)
                .frames()
                .frame_levels(frame, &mut levels)?,
        }
        Ok(levels)
    }
}
