//! The spectrum stage as the lab sees it: the [`Stage`] implementation and the accuracy gate.

use auralis_core::{Accuracy, AudioBuffer, Check, ImplKind, Metrics, Result, Stage};

use crate::result::SpectrumResult;
use crate::settings::SpectrumSettings;
use crate::{analyze, NAME};

/// Largest allowed difference between a variant's band levels (and total energy) and the
/// reference's, in dB.
///
/// The variants differ from the reference only in rounding: `f32` instead of `f64` channel
/// mixing, magnitudes and band sums. That moves a level by about 1e-6 relative, ~1e-5 dB.
/// 1e-3 dB leaves two orders of magnitude of headroom for that, is far below anything audible
/// or visible on a meter, and still catches every real defect: a bin in the wrong band, a
/// different window or a skipped smoothing step (the original parallel analyzer's 0.4 dB)
/// each move levels by 0.01 dB or more.
pub const BAND_LEVEL_TOLERANCE_DB: f64 = 1e-3;

/// Largest allowed relative difference (0.01 %) of the mean centroid, rolloff and peak
/// frequency.
///
/// The centroid is a ratio of sums of the same band powers, so level errors of ~1e-5 dB move
/// it by ~1e-6 relative. Rolloff and peak are choices of a band centre per frame; rounding can
/// only flip one when a frame sits within ~1e-6 of a decision boundary, and a flip moves the
/// mean by at most one band step (11.6 % at 64 bands) divided by the frame count, so a variant
/// that fails here on more than a freak frame is computing something different.
pub const CENTROID_ROLLOFF_REL_TOLERANCE: f64 = 1e-4;

/// The spectrum stage with the lab's bench settings (the defaults).
#[derive(Clone, Debug, Default)]
pub struct SpectrumStage;

impl Stage for SpectrumStage {
    type Settings = SpectrumSettings;
    type Output = SpectrumResult;

    fn name(&self) -> &'static str {
        NAME
    }

    fn implementations(&self) -> &'static [ImplKind] {
        &ImplKind::ALL
    }

    fn bench_settings(&self) -> SpectrumSettings {
        SpectrumSettings::default()
    }

    fn run(
        &self,
        kind: ImplKind,
        audio: &AudioBuffer,
        settings: &SpectrumSettings,
    ) -> Result<SpectrumResult> {
        analyze(kind, audio, settings)
    }

    fn compare(&self, reference: &SpectrumResult, candidate: &SpectrumResult) -> Accuracy {
        compare(reference, candidate)
    }

    fn poison(&self, output: &mut SpectrumResult) {
        let p = auralis_core::POISON;
        output.band_levels_db.fill(p);
        output.peak_frequency_hz = Some(p);
        output.centroid_hz = Some(p);
        output.rolloff_hz = Some(p);
        output.total_energy_db = Some(p);
    }

    fn tolerance(&self) -> &'static str {
        "band levels and total energy within 1e-3 dB, centroid/rolloff/peak within 0.01 % of the \
         reference: f32 rounding moves them ~100x less, any real defect moves them more"
    }
}

/// Holds a candidate's result against the reference's.
///
/// Checks: identical setup (settings, sample rate, frame count, band centres); band levels
/// (the primary signal, whose [`Metrics`] are reported) and total energy within
/// [`BAND_LEVEL_TOLERANCE_DB`]; centroid, rolloff and peak frequency within
/// [`CENTROID_ROLLOFF_REL_TOLERANCE`].
pub fn compare(reference: &SpectrumResult, candidate: &SpectrumResult) -> Accuracy {
    let metrics = Metrics::of_f32(&reference.band_levels_db, &candidate.band_levels_db);
    let same_setup = reference.settings == candidate.settings
        && reference.sample_rate == candidate.sample_rate
        && reference.frames == candidate.frames
        && reference.silent_frames == candidate.silent_frames
        && reference.band_centres_hz == candidate.band_centres_hz;
    let checks = vec![
        Check::at_most(
            "setup differs (settings, sample rate, frames, silent frames, band centres)",
            if same_setup { 0.0 } else { 1.0 },
            0.0,
        ),
        Check::at_most(
            "band level max |Δ| (dB)",
            metrics.max_abs_error,
            BAND_LEVEL_TOLERANCE_DB,
        ),
        Check::at_most(
            "total energy |Δ| (dB)",
            abs_diff(reference.total_energy_db, candidate.total_energy_db),
            BAND_LEVEL_TOLERANCE_DB,
        ),
        Check::at_most(
            "centroid relative error",
            relative_diff(reference.centroid_hz, candidate.centroid_hz),
            CENTROID_ROLLOFF_REL_TOLERANCE,
        ),
        Check::at_most(
            "rolloff relative error",
            relative_diff(reference.rolloff_hz, candidate.rolloff_hz),
            CENTROID_ROLLOFF_REL_TOLERANCE,
        ),
        Check::at_most(
            "peak frequency relative error",
            relative_diff(reference.peak_frequency_hz, candidate.peak_frequency_hz),
            CENTROID_ROLLOFF_REL_TOLERANCE,
        ),
    ];
    Accuracy { metrics, checks }
}

/// `|c − r|`, NaN-propagating (a NaN never passes a check); 0 when both are absent
/// (silence), +∞ when only one is.
fn abs_diff(r: Option<f32>, c: Option<f32>) -> f64 {
    match (r, c) {
        (Some(r), Some(c)) => (f64::from(c) - f64::from(r)).abs(),
        (None, None) => 0.0,
        _ => f64::INFINITY,
    }
}

/// `|c − r| / |r|`; 0 when both are equal (or both absent), +∞ when only the reference is 0
/// or only one is absent.
fn relative_diff(r: Option<f32>, c: Option<f32>) -> f64 {
    let diff = abs_diff(r, c);
    if diff == 0.0 || diff.is_infinite() {
        diff
    } else {
        diff / f64::from(r.unwrap_or(0.0)).abs()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result() -> SpectrumResult {
        SpectrumResult {
            band_lower_edges_hz: vec![20.0, 20_000.0],
            band_upper_edges_hz: vec![20_000.0, 22_050.0],
            band_centres_hz: vec![632.5, 21_000.0],
            band_levels_db: vec![-10.0, -20.0],
            peak_frequency_hz: Some(632.5),
            centroid_hz: Some(1000.0),
            rolloff_hz: Some(21_000.0),
            total_energy_db: Some(-9.5),
            frames: 3,
            silent_frames: 0,
            settings: SpectrumSettings {
                bands: 2,
                ..SpectrumSettings::default()
            },
            sample_rate: 44_100,
        }
    }

    #[test]
    fn identical_results_pass() {
        assert!(compare(&result(), &result()).passed());
    }

    #[test]
    fn each_check_can_fail() {
        let r = result();
        let tweaks: &[fn(&mut SpectrumResult)] = &[
            |c| c.band_levels_db[1] += 2e-3,
            |c| c.band_levels_db.push(0.0),
            |c| c.band_levels_db[0] = f32::NAN,
            |c| *c.total_energy_db.as_mut().unwrap() += 2e-3,
            |c| *c.centroid_hz.as_mut().unwrap() *= 1.0 + 2e-4,
            |c| *c.rolloff_hz.as_mut().unwrap() *= 1.0 - 2e-4,
            |c| *c.peak_frequency_hz.as_mut().unwrap() *= 1.0 + 2e-4,
            |c| c.centroid_hz = Some(f32::NAN),
            |c| c.centroid_hz = None,
            |c| c.frames += 1,
            |c| c.silent_frames += 1,
            |c| c.sample_rate = 48_000,
            |c| c.settings.hop = 512,
        ];
        for (i, tweak) in tweaks.iter().enumerate() {
            let mut c = r.clone();
            tweak(&mut c);
            assert!(!compare(&r, &c).passed(), "tweak {i} went unnoticed");
        }
        // Within tolerance passes.
        let mut c = r.clone();
        c.band_levels_db[0] += 5e-4;
        *c.centroid_hz.as_mut().unwrap() *= 1.0 + 5e-5;
        assert!(compare(&r, &c).passed(), "{:?}", compare(&r, &c).failures());
    }
}
