//! The mastering chain in the lab: the `balanced` preset at −14 LUFS / −1 dBTP, each variant
//! running every step with the same implementation kind (the reference: every stage's
//! reference, in order).

use auralis_core::{
    worst_difference, Accuracy, AudioBuffer, Check, ImplKind, Metrics, Result, Stage, Trace, POISON,
};

use crate::{BufferSource, Mastered, Pipeline, PipelineSettings, Spool};

/// Largest relative RMS difference between a variant's master and the reference's. Each
/// step's variants differ by their own tolerances (EQ 1e-6 relative RMS, dynamics gain 1e-5
/// dB, loudness 1e-6 LU); the gain that lands on the target follows the measured loudness,
/// and the limiter's gain follows its input, so the differences compound to ≈ 1e-5 (measured
/// in the kit test); 1e-4 (−80 dB) leaves a decade of margin and is far below audibility.
pub const MASTER_RELATIVE_RMS_TOLERANCE: f64 = 1e-4;
/// Largest difference in the master's measured integrated loudness, LU.
pub const MASTER_LOUDNESS_TOLERANCE_LU: f64 = 1e-3;
/// Largest difference in an EQ gain, dB (the band profiles differ by f32 summation only).
pub const MASTER_EQ_TOLERANCE_DB: f64 = 1e-3;

/// The chain as a lab stage.
pub struct PipelineStage;

impl Stage for PipelineStage {
    type Settings = PipelineSettings;
    type Output = Mastered;

    fn name(&self) -> &'static str {
        crate::NAME
    }

    fn implementations(&self) -> &'static [ImplKind] {
        &ImplKind::ALL
    }

    fn bench_settings(&self) -> PipelineSettings {
        PipelineSettings::preset("balanced").expect("a built-in preset")
    }

    fn run(
        &self,
        kind: ImplKind,
        audio: &AudioBuffer,
        settings: &PipelineSettings,
    ) -> Result<Mastered> {
        Pipeline::new(settings.clone(), audio.sample_rate())?.process(kind, audio)
    }

    fn run_into(
        &self,
        kind: ImplKind,
        audio: &AudioBuffer,
        settings: &PipelineSettings,
        output: &mut Option<Mastered>,
    ) -> Result<()> {
        Pipeline::new(settings.clone(), audio.sample_rate())?.process_into(kind, audio, output)
    }

    fn compare(&self, reference: &Mastered, candidate: &Mastered) -> Accuracy {
        let metrics = Metrics::of_channels(reference.audio.channels(), candidate.audio.channels());
        let loudness = match (
            reference.report.output.integrated_lufs,
            candidate.report.output.integrated_lufs,
        ) {
            (None, None) => 0.0,
            (Some(a), Some(b)) => (a - b).abs(),
            _ => f64::INFINITY,
        };
        let eq = worst_difference(
            &reference.report.eq_gains_db,
            &candidate.report.eq_gains_db,
            |a, b| f64::from((a - b).abs()),
        );
        let shape_ok = reference.audio.len() == candidate.audio.len()
            && reference.audio.num_channels() == candidate.audio.num_channels();
        let checks = vec![
            Check::at_most(
                "relative RMS error",
                if shape_ok {
                    metrics.relative_rms_error
                } else {
                    f64::INFINITY
                },
                MASTER_RELATIVE_RMS_TOLERANCE,
            ),
            Check::at_most(
                "output loudness (LU)",
                if loudness.is_nan() {
                    f64::INFINITY
                } else {
                    loudness
                },
                MASTER_LOUDNESS_TOLERANCE_LU,
            ),
            Check::at_most("EQ gains (dB)", eq, MASTER_EQ_TOLERANCE_DB),
        ];
        Accuracy { metrics, checks }
    }

    /// Overwrites the master's samples and numbers in place.
    fn poison(&self, output: &mut Mastered) {
        output.audio.overwrite_in_place(POISON);
        output.report.eq_gains_db.fill(POISON);
        output.report.output.integrated_lufs = Some(f64::from(POISON));
    }

    fn tolerance(&self) -> &'static str {
        "relative RMS error ≤ 1e-4 of the reference's master, output loudness within 1e-3 LU, \
         EQ gains within 1e-3 dB: each step's own tolerance, compounded through the \
         loudness-driven gain and the limiter"
    }

    /// Compressor and limiter gain reduction over time, and the band levels before and after
    /// (the output's profile is measured here, outside the timed run).
    fn traces(&self, output: &Mastered) -> Vec<Trace> {
        let mut traces: Vec<Trace> = [
            (
                "compressor gain reduction",
                &output.report.compressor_trace_db,
            ),
            ("limiter gain reduction", &output.report.limiter_trace_db),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(name, values)| Trace {
            x_hz: None,
            name: name.into(),
            unit: "dB".into(),
            period_secs: crate::GAIN_TRACE_PERIOD_SECS,
            start_secs: 0.0,
            values: values.clone(),
        })
        .collect();
        let centres: Vec<f64> = auralis_eq::band_centres_hz()
            .iter()
            .map(|&c| f64::from(c))
            .collect();
        let after: Vec<f32> = crate::BandProfile::of(&output.audio)
            .0
            .iter()
            .map(|&v| v as f32)
            .collect();
        for (name, values) in [
            ("band level before", output.report.input_bands_db.clone()),
            ("band level after", after),
        ] {
            if values.len() == centres.len() {
                traces.push(Trace {
                    name: name.into(),
                    unit: "dB".into(),
                    period_secs: 0.0,
                    start_secs: 0.0,
                    values,
                    x_hz: Some(centres.clone()),
                });
            }
        }
        traces
    }

    fn output_audio<'a>(&self, output: &'a Mastered) -> Option<&'a AudioBuffer> {
        Some(&output.audio)
    }

    /// The streamed chain `auralis master` runs on files ([`Pipeline::master_stream`], here
    /// with in-memory spools), timed in the same rounds and held to the reference by the
    /// same tolerances. Listed with the peers because it is not selectable: the command line
    /// always runs it, whatever the lab picks for in-memory use.
    fn peers(&self) -> &'static [&'static str] {
        &[STREAMED_CHAIN]
    }

    fn run_peer(
        &self,
        index: usize,
        audio: &AudioBuffer,
        settings: &PipelineSettings,
    ) -> Result<Mastered> {
        if index != 0 {
            return Err(auralis_core::Error::UnknownImplementation {
                stage: crate::NAME,
                kind: format!("peer {index}"),
            });
        }
        streamed_master(settings, audio)
    }
}

/// The streamed chain's row in the lab's report.
pub const STREAMED_CHAIN: &str = "streamed chain (auralis master)";

/// [`Pipeline::master_stream`] over `audio` with in-memory spools, as a [`Mastered`].
pub fn streamed_master(settings: &PipelineSettings, audio: &AudioBuffer) -> Result<Mastered> {
    let (c, rate) = (audio.num_channels(), audio.sample_rate());
    let m = Pipeline::new(settings.clone(), rate)?.master_stream(
        &mut BufferSource::new(audio),
        Spool::in_memory(c, rate),
        Spool::in_memory(c, rate),
        &mut |_| {},
    )?;
    m.into_mastered()
}
