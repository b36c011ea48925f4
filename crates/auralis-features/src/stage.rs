//! The features stage in the lab.

use auralis_core::{Accuracy, AudioBuffer, ImplKind, Result, Stage, Trace};

use crate::{FeatureResult, FeatureSettings};

/// Points a plotted series is decimated to (a 3-minute file has 15 500 frames).
const PLOT_POINTS: usize = 2000;

/// Levels, spectral features, onset strength, tempo and beats.
pub struct FeaturesStage;

impl Stage for FeaturesStage {
    type Settings = FeatureSettings;
    type Output = FeatureResult;

    fn name(&self) -> &'static str {
        crate::NAME
    }

    fn implementations(&self) -> &'static [ImplKind] {
        &ImplKind::ALL
    }

    fn bench_settings(&self) -> FeatureSettings {
        FeatureSettings::default()
    }

    fn run(
        &self,
        kind: ImplKind,
        audio: &AudioBuffer,
        settings: &FeatureSettings,
    ) -> Result<FeatureResult> {
        crate::extract(kind, audio, settings)
    }

    fn compare(&self, reference: &FeatureResult, candidate: &FeatureResult) -> Accuracy {
        crate::compare(reference, candidate)
    }

    /// Poisons every number an earlier result holds (its series keep their storage).
    fn poison(&self, output: &mut FeatureResult) {
        let p = auralis_core::POISON;
        for v in [
            &mut output.levels.peak,
            &mut output.levels.rms,
            &mut output.levels.dc,
        ] {
            v.fill(f64::from(p));
        }
        let s = &mut output.series;
        for v in [
            &mut s.centroid_hz,
            &mut s.rolloff_hz,
            &mut s.flatness,
            &mut s.zcr,
            &mut s.stereo_correlation,
            &mut s.stereo_width,
            &mut output.onset_strength,
        ] {
            v.fill(p);
        }
        output.tempo = Err("poisoned".into());
        output.means = None;
        output.stereo = None;
    }

    fn tolerance(&self) -> &'static str {
        "centroid and flatness within 1e-4 relative (f32 lane sums, 2-ulp logarithm), rolloff \
         within one FFT bin (a crossing within rounding of a bin edge), zero-crossing rate exact, \
         levels and stereo within 1e-6; onset envelope, tempo and beats bit-identical (one shared \
         computation)"
    }

    /// Onset strength with the detected beats (as a pulse train at the envelope's peak), and
    /// the spectral centroid and rolloff over time.
    fn traces(&self, output: &FeatureResult) -> Vec<Trace> {
        let period = crate::HOP as f64 / f64::from(output.sample_rate);
        let decimated = |name: &str, unit: &str, values: &[f32], start_secs: f64| {
            let step = values.len().div_ceil(PLOT_POINTS).max(1);
            Trace {
                x_hz: None,
                name: name.into(),
                unit: unit.into(),
                period_secs: period * step as f64,
                start_secs,
                // The largest value of each group: onsets are spikes a mean would flatten.
                values: values
                    .chunks(step)
                    .map(|c| c.iter().copied().fold(f32::NEG_INFINITY, f32::max))
                    .collect(),
            }
        };
        let mut traces = Vec::new();
        if !output.onset_strength.is_empty() {
            traces.push(decimated(
                "onset strength",
                "dB",
                &output.onset_strength,
                0.0,
            ));
        }
        if let Ok(tempo) = &output.tempo {
            // Beats as spikes on the plot's time grid (one point per 10 ms).
            let grid = 0.01;
            let len = (output.frames_in as f64 / f64::from(output.sample_rate) / grid) as usize + 1;
            let top = output.onset_strength.iter().copied().fold(0.0f32, f32::max);
            let mut values = vec![0.0f32; len];
            for &b in &tempo.beats_s {
                if let Some(v) = values.get_mut((b / grid).round() as usize) {
                    *v = top;
                }
            }
            traces.push(Trace {
                x_hz: None,
                name: format!("beats ({:.1} BPM)", tempo.bpm),
                unit: "dB".into(),
                period_secs: grid,
                start_secs: 0.0,
                values,
            });
        }
        let half_frame = crate::FRAME_LEN as f64 / 2.0 / f64::from(output.sample_rate);
        if !output.series.centroid_hz.is_empty() {
            traces.push(decimated(
                "spectral centroid",
                "Hz",
                &output.series.centroid_hz,
                half_frame,
            ));
            traces.push(decimated(
                "85 % rolloff",
                "Hz",
                &output.series.rolloff_hz,
                half_frame,
            ));
        }
        traces
    }
}
