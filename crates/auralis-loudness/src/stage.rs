//! Loudness as a lab [`Stage`].

use auralis_core::{Accuracy, AudioBuffer, ImplKind, Result, Stage, Trace};

use crate::{
    LoudnessResult, LoudnessSettings, MOMENTARY_START_SECS, SERIES_PERIOD_SECS,
    SHORT_TERM_START_SECS,
};

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
            &mut output.range_low_lufs,
            &mut output.range_high_lufs,
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
         series within one f32 step of the value; true \
         peak within 4e-6 relative (f32 interpolation against the f64 reference)"
    }

    /// Momentary and short-term loudness over time (each from its first complete window),
    /// with the integrated level and the loudness range's floor and ceiling as level lines.
    fn traces(&self, output: &LoudnessResult) -> Vec<Trace> {
        let series = |name: &str, values: &[f32], start_secs: f64| Trace {
            x_hz: None,
            name: name.into(),
            unit: "LUFS".into(),
            period_secs: SERIES_PERIOD_SECS,
            start_secs,
            values: values.iter().map(|v| v.max(-70.0)).collect(),
        };
        let end = MOMENTARY_START_SECS + SERIES_PERIOD_SECS * output.momentary_lufs.len() as f64;
        let level = |name: String, value: Option<f64>| {
            value.map(|v| Trace {
                x_hz: None,
                name,
                unit: "LUFS".into(),
                period_secs: end,
                start_secs: 0.0,
                values: vec![v as f32; 2],
            })
        };
        let mut traces = vec![
            series(
                "momentary loudness",
                &output.momentary_lufs,
                MOMENTARY_START_SECS,
            ),
            series(
                "short-term loudness",
                &output.short_term_lufs,
                SHORT_TERM_START_SECS,
            ),
        ];
        traces.extend(level(
            format!(
                "integrated {:.1} LUFS",
                output.integrated_lufs.unwrap_or(f64::NAN)
            ),
            output.integrated_lufs,
        ));
        if let Some(lra) = output.range_lu {
            traces.extend(level(
                format!("range floor (LRA {lra:.1} LU)"),
                output.range_low_lufs,
            ));
            traces.extend(level("range ceiling".into(), output.range_high_lufs));
        }
        traces
    }
}
