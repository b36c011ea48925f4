//! Loudness as a lab [`Stage`].

use auralis_core::{Accuracy, AudioBuffer, ImplKind, Result, Stage, Trace};

use crate::{LoudnessResult, LoudnessSettings, SERIES_PERIOD_SECS};

/// The loudness stage, measured with true peak on (the whole meter).
#[derive(Clone, Debug, Default)]
pub struct LoudnessStage;

impl Stage for LoudnessStage {
    type Settings = LoudnessSettings;
    type Output = LoudnessResult;

    fn name(&self) -> &'static str {
        crate::NAME
    }

    fn implementations(&self) -> &'static [ImplKind] {
        &ImplKind::ALL
    }

    fn bench_settings(&self) -> LoudnessSettings {
        LoudnessSettings::default()
    }

    fn run(
        &self,
        kind: ImplKind,
        audio: &AudioBuffer,
        settings: &LoudnessSettings,
    ) -> Result<LoudnessResult> {
        crate::measure(kind, audio, settings)
    }

    fn compare(&self, reference: &LoudnessResult, candidate: &LoudnessResult) -> Accuracy {
        crate::compare(reference, candidate)
    }

    /// Poisons every number an earlier result holds (its series keep their storage).
    fn poison(&self, output: &mut LoudnessResult) {
        let p = f64::from(auralis_core::POISON);
        for v in [
            &mut output.integrated_lufs,
            &mut output.range_lu,
            &mut output.momentary_max_lufs,
            &mut output.short_term_max_lufs,
            &mut output.relative_gate_lufs,
        ] {
            *v = Some(p);
        }
        output.sample_peak.fill(p);
        if let Some(tp) = output.true_peak.as_mut() {
            tp.fill(p);
        }
        output.momentary_lufs.fill(auralis_core::POISON);
        output.short_term_lufs.fill(auralis_core::POISON);
    }

    fn tolerance(&self) -> &'static str {
        "loudness values within 1e-6 LU (exact state propagation; f64 rounding only), f32 \
         series within one f32 step (1e-5 LU); true \
         peak within 4e-6 relative (f32 interpolation against the f64 reference)"
    }

    fn traces(&self, output: &LoudnessResult) -> Vec<Trace> {
        let trace = |name: &str, values: &[f32]| Trace {
            name: name.into(),
            unit: "LUFS".into(),
            period_secs: SERIES_PERIOD_SECS,
            values: values.iter().map(|v| v.max(-70.0)).collect(),
        };
        vec![
            trace("momentary loudness", &output.momentary_lufs),
            trace("short-term loudness", &output.short_term_lufs),
        ]
    }
}
