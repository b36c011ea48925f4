//! Loudness (ITU-R BS.1770-4 / EBU R128): integrated loudness with both gates, loudness
//! range, momentary and short-term series and maxima, sample and true peak per channel.
//!
//! Three implementations behind [`auralis_core::Stage`], side by side:
//! * [`ImplKind::Reference`] (`energy::channel_energies_sequential`): each channel K-weighted sample by sample from
//!   rest, in `f64`; true peak by the `f64` interpolator of `auralis-dsp`.
//! * [`ImplKind::Vectorized`]: the same filter on several time blocks at once, one per SIMD
//!   lane, made exact by state propagation (`energy.rs`, `kernel.rs`); true peak by the SIMD
//!   `f32` interpolator.
//! * [`ImplKind::Parallel`]: the vectorized kernels with the blocks and channels spread over
//!   rayon's threads.
//!
//! The blocked variants are exact by construction (state propagation, not warm-up): they
//! differ from the reference by `f64` rounding only, and from each other not at all, at any
//! thread count. The true peak differs by `f32` rounding. The gating pass (`gating.rs`) is
//! shared.

mod blocked;
mod energy;
mod gating;
mod kernel;
mod meter;
mod result;
mod settings;
mod stage;
mod weights;

use auralis_core::{worst_difference, Accuracy, AudioBuffer, Check, ImplKind, Metrics, Result};
use auralis_dsp::kweighting::KWeighting;
use auralis_dsp::truepeak::true_peak_channel_at;
use auralis_dsp::truepeak_simd::{sample_peak_fast, true_peak_channel_fast};
use rayon::prelude::*;

pub use energy::BLOCK_SUBBLOCKS;
pub use gating::{energy_to_lufs, subblock_frames, ABSOLUTE_GATE_LUFS, SILENCE_FLOOR_LUFS};
pub use meter::{LoudnessMeter, TRUE_PEAK_BLOCK};
pub use result::{LoudnessResult, MOMENTARY_START_SECS, SERIES_PERIOD_SECS, SHORT_TERM_START_SECS};
pub use settings::LoudnessSettings;
pub use stage::LoudnessStage;
pub use weights::{channel_weights, weights_for, SURROUND_WEIGHT};

/// The stage's name in reports and `selection.json`.
pub const NAME: &str = "loudness";

/// Largest difference in any loudness value (integrated, range, maxima, series) between an
/// implementation and the reference, LU. The blocked variants carry the filter state across
/// blocks by exact linear algebra (`energy.rs`), so they differ from the sequential run only by
/// the rounding of a different order of `f64` operations — amplified by the K-weighting
/// recursion's poles near 1, it reaches ~1e-10 relative in the energies (measured: see the
/// kit test); 1e-6 LU is four orders above that and four below the 0.01 LU the meters are
/// held to. (A `f32` momentary series rounds at ~1e-6 LU itself: compared as such.)
pub const LOUDNESS_TOLERANCE_LU: f64 = 1e-6;

/// Largest difference in a value of the momentary and short-term series, in `f32` steps of
/// that value (plus [`LOUDNESS_TOLERANCE_LU`]). The series are `f32` (a 3-hour file has
/// 100 000 values each): an `f64` difference far below the loudness tolerance can still round
/// to the neighbouring `f32` — 1.9·10⁻⁶ LU at 16 LUFS, 1.5·10⁻⁵ at 150 (seen in the lab:
/// 1.907e-6 at 30 s) — so one step is allowed, still a thousand times below what a meter shows.
pub const SERIES_TOLERANCE_STEPS: f64 = 1.0;

/// Largest relative difference in a true peak: the fast interpolator sums in `f32` (as the
/// `ebur128` meter does), the reference in `f64`; the difference is below 2·10⁻⁶ (tested),
/// ≈ 2·10⁻⁵ dB — three orders below the 0.05 dB the meters are held to.
pub const TRUE_PEAK_RELATIVE_TOLERANCE: f64 = 4e-6;

/// Measures `audio` with the implementation `kind`.
pub fn measure(
    kind: ImplKind,
    audio: &AudioBuffer,
    settings: &LoudnessSettings,
) -> Result<LoudnessResult> {
    let frames = subblock_frames(audio.sample_rate());
    let weights = channel_weights(audio);
    let k = KWeighting::new(audio.sample_rate());
    let measured: Vec<(usize, &[f32])> = audio
        .channels()
        .iter()
        .enumerate()
        .filter(|&(c, _)| weights[c] > 0.0)
        .map(|(c, x)| (c, x.as_slice()))
        .collect();
    let slices: Vec<&[f32]> = measured.iter().map(|&(_, x)| x).collect();
    let energies = || -> Vec<Vec<f64>> {
        match kind {
            ImplKind::Reference => slices
                .iter()
                .map(|x| energy::channel_energies_sequential(&k, x, frames))
                .collect(),
            ImplKind::Vectorized => blocked::channel_energies(&k, &slices, frames, false),
            ImplKind::Parallel => blocked::channel_energies(&k, &slices, frames, true),
        }
    };
    let peaks = || peaks(kind, audio, settings);
    // The parallel variant filters and interpolates at the same time.
    let (energies, (sample_peak, true_peak)) = if kind == ImplKind::Parallel {
        rayon::join(energies, peaks)
    } else {
        (energies(), peaks())
    };
    // Weighted sum over channels, in channel order (one order for every variant).
    let subblocks = audio.len() / frames;
    let mut z = vec![0.0f64; subblocks];
    for ((c, _), e) in measured.iter().zip(&energies) {
        for (zj, &ej) in z.iter_mut().zip(e) {
            *zj += weights[*c] * ej;
        }
    }
    Ok(LoudnessResult::from_gated(
        audio.sample_rate(),
        weights,
        gating::gate(&z, frames),
        sample_peak,
        true_peak,
    ))
}

/// Sample and true peak per channel (the parallel variant: channels across threads; a
/// channel is not split further, since one running maximum lets the interpolator skip more
/// quiet blocks than split ones do).
fn peaks(
    kind: ImplKind,
    audio: &AudioBuffer,
    settings: &LoudnessSettings,
) -> (Vec<f64>, Option<Vec<f64>>) {
    let rate = audio.sample_rate();
    let sequential = |sample: fn(&[f32]) -> f64, true_peak: fn(&[f32], u32) -> f64| {
        (
            audio.channels().iter().map(|c| sample(c)).collect(),
            settings.true_peak.then(|| {
                audio
                    .channels()
                    .iter()
                    .map(|c| true_peak(c, rate))
                    .collect()
            }),
        )
    };
    match kind {
        ImplKind::Reference => sequential(
            |x| x.iter().fold(0.0f64, |m, &s| m.max(f64::from(s.abs()))),
            true_peak_channel_at,
        ),
        ImplKind::Vectorized => sequential(sample_peak_fast, true_peak_channel_fast),
        ImplKind::Parallel => {
            let sample: Vec<f64> = audio
                .channels()
                .par_iter()
                .map(|c| sample_peak_fast(c))
                .collect();
            let tp = settings.true_peak.then(|| {
                audio
                    .channels()
                    .par_iter()
                    .map(|c| true_peak_channel_fast(c, rate))
                    .collect()
            });
            (sample, tp)
        }
    }
}

/// What users hold two loudness meters to (the content-analysis issue's accuracy list, from
/// EBU Tech 3341/3342 practice): integrated loudness within 0.01 LU, …
pub const METER_INTEGRATED_LU: f64 = 0.01;
/// … maximum momentary and short-term loudness within 0.02 LU, …
pub const METER_MAXIMA_LU: f64 = 0.02;
/// … loudness range within 0.05 LU, …
pub const METER_RANGE_LU: f64 = 0.05;
/// … and true peak within 0.05 dB.
pub const METER_TRUE_PEAK_DB: f64 = 0.05;

/// Holds another meter's readings (see [`LoudnessResult::from_meter`]) against ours with the
/// meter tolerances above; what the other meter does not report is not checked.
pub fn compare_meter(reference: &LoudnessResult, meter: &LoudnessResult) -> Accuracy {
    let level = |name: &'static str, r: Option<f64>, c: Option<f64>, limit: f64| {
        let d = match (r, c) {
            (None, None) => 0.0,
            (Some(r), Some(c)) => (r - c).abs(),
            _ => f64::INFINITY,
        };
        Check::at_most(name, if d.is_nan() { f64::INFINITY } else { d }, limit)
    };
    let (r, m) = (reference, meter);
    let mut checks = vec![
        level(
            "integrated (LU)",
            r.integrated_lufs,
            m.integrated_lufs,
            METER_INTEGRATED_LU,
        ),
        level(
            "loudness range (LU)",
            r.range_lu,
            m.range_lu,
            METER_RANGE_LU,
        ),
        level(
            "max momentary (LU)",
            r.momentary_max_lufs,
            m.momentary_max_lufs,
            METER_MAXIMA_LU,
        ),
        level(
            "max short-term (LU)",
            r.short_term_max_lufs,
            m.short_term_max_lufs,
            METER_MAXIMA_LU,
        ),
    ];
    if m.true_peak.is_some() {
        checks.push(level(
            "true peak (dB)",
            r.true_peak_dbtp(),
            m.true_peak_dbtp(),
            METER_TRUE_PEAK_DB,
        ));
    }
    if !m.sample_peak.is_empty() {
        checks.push(level(
            "sample peak (dB)",
            r.sample_peak_dbfs(),
            m.sample_peak_dbfs(),
            1e-6,
        ));
    }
    // The metrics over the levels both report (integrated, range, maxima, true peak, dB).
    let pairs: Vec<(f64, f64)> = [
        (r.integrated_lufs, m.integrated_lufs),
        (r.range_lu, m.range_lu),
        (r.momentary_max_lufs, m.momentary_max_lufs),
        (r.short_term_max_lufs, m.short_term_max_lufs),
        (r.true_peak_dbtp(), m.true_peak_dbtp()),
    ]
    .into_iter()
    .filter_map(|(a, b)| Some((a?, b?)))
    .collect();
    let (ra, ca): (Vec<f64>, Vec<f64>) = pairs.into_iter().unzip();
    Accuracy {
        metrics: Metrics::of_f64(&ra, &ca),
        checks,
    }
}

/// Holds `candidate` against `reference` with the stated tolerances.
pub fn compare(reference: &LoudnessResult, candidate: &LoudnessResult) -> Accuracy {
    let mut checks = Vec::new();
    let scalar = |name: &'static str, r: Option<f64>, c: Option<f64>| match (r, c) {
        (None, None) => Check::at_most(name, 0.0, LOUDNESS_TOLERANCE_LU),
        (Some(r), Some(c)) if r == c => Check::at_most(name, 0.0, LOUDNESS_TOLERANCE_LU),
        (Some(r), Some(c)) => {
            let d = (r - c).abs();
            let d = if d.is_nan() { f64::INFINITY } else { d };
            Check::at_most(name, d, LOUDNESS_TOLERANCE_LU)
        }
        _ => Check::at_most(name, f64::INFINITY, LOUDNESS_TOLERANCE_LU),
    };
    checks.push(scalar(
        "integrated (LU)",
        reference.integrated_lufs,
        candidate.integrated_lufs,
    ));
    checks.push(scalar(
        "loudness range (LU)",
        reference.range_lu,
        candidate.range_lu,
    ));
    checks.push(scalar(
        "max momentary (LU)",
        reference.momentary_max_lufs,
        candidate.momentary_max_lufs,
    ));
    checks.push(scalar(
        "max short-term (LU)",
        reference.short_term_max_lufs,
        candidate.short_term_max_lufs,
    ));
    // Difference in f32 steps of the value (∞ for NaN or one-sided ∞).
    let series_error = |r: &[f32], c: &[f32]| {
        worst_difference(r, c, |a, b| {
            if a == b {
                return 0.0;
            }
            let step = f64::from(a.abs()) * f64::from(f32::EPSILON) + LOUDNESS_TOLERANCE_LU;
            let d = f64::from(a) - f64::from(b);
            if d.is_finite() {
                d.abs() / step
            } else {
                f64::INFINITY
            }
        })
    };
    checks.push(Check::at_most(
        "momentary series (f32 steps)",
        series_error(&reference.momentary_lufs, &candidate.momentary_lufs),
        SERIES_TOLERANCE_STEPS,
    ));
    checks.push(Check::at_most(
        "short-term series (f32 steps)",
        series_error(&reference.short_term_lufs, &candidate.short_term_lufs),
        SERIES_TOLERANCE_STEPS,
    ));
    // Largest relative difference between two per-channel peak lists.
    let peaks = |r: &[f64], c: &[f64]| {
        worst_difference(r, c, |a, b| {
            if a == b {
                0.0
            } else {
                (a - b).abs() / a.abs().max(1e-30)
            }
        })
    };
    checks.push(Check::at_most(
        "sample peak (relative)",
        peaks(&reference.sample_peak, &candidate.sample_peak),
        0.0,
    ));
    let tp_error = match (&reference.true_peak, &candidate.true_peak) {
        (None, None) => 0.0,
        (Some(r), Some(c)) => peaks(r, c),
        _ => f64::INFINITY,
    };
    checks.push(Check::at_most(
        "true peak (relative)",
        tp_error,
        TRUE_PEAK_RELATIVE_TOLERANCE,
    ));
    let ref_series: Vec<f32> = reference
        .momentary_lufs
        .iter()
        .map(|v| v.max(-200.0))
        .collect();
    let cand_series: Vec<f32> = candidate
        .momentary_lufs
        .iter()
        .map(|v| v.max(-200.0))
        .collect();
    let metrics = Metrics::of_f32(&ref_series, &cand_series);
    Accuracy { metrics, checks }
}
