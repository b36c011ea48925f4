//! The dynamics stage as seen by the lab.

use auralis_core::{Accuracy, AudioBuffer, ImplKind, Result, Stage, StreamProcessor, Trace};

use crate::settings::DynamicsSettings;
use crate::{DynamicsOutput, DynamicsStream, NAME};

/// Compressor → limiter with the settings the lab measures (STAGES.md defaults unless set).
#[derive(Clone, Debug, Default)]
pub struct DynamicsStage {
    pub settings: DynamicsSettings,
}

impl Stage for DynamicsStage {
    type Settings = DynamicsSettings;
    type Output = DynamicsOutput;

    fn name(&self) -> &'static str {
        NAME
    }

    fn implementations(&self) -> &'static [ImplKind] {
        &ImplKind::ALL
    }

    fn bench_settings(&self) -> DynamicsSettings {
        self.settings.clone()
    }

    fn run(
        &self,
        kind: ImplKind,
        audio: &AudioBuffer,
        settings: &DynamicsSettings,
    ) -> Result<DynamicsOutput> {
        crate::process(kind, audio, settings)
    }

    fn run_into(
        &self,
        kind: ImplKind,
        audio: &AudioBuffer,
        settings: &DynamicsSettings,
        output: &mut Option<DynamicsOutput>,
    ) -> Result<()> {
        crate::process_into(kind, audio, settings, output)
    }

    fn poison(&self, output: &mut DynamicsOutput) {
        output.audio.overwrite_in_place(auralis_core::POISON);
        output.gain_db.fill(auralis_core::POISON);
    }

    fn compare(&self, reference: &DynamicsOutput, candidate: &DynamicsOutput) -> Accuracy {
        crate::compare(reference, candidate)
    }

    fn tolerance(&self) -> &'static str {
        "gain trajectory within 1e-5 dB of the reference (the f64 follower and the bounded-error \
         log2/exp2 kernels stay below 4e-6 dB up to 15 dB of reduction; the parallel warm-up leaves < 1e-6 dB per \
         follower), audio within 2e-6 relative RMS (what 1e-5 dB of gain allows)"
    }

    fn traces(&self, output: &DynamicsOutput) -> Vec<Trace> {
        vec![crate::stats::reduction_trace(
            &output.gain_db,
            crate::stats::makeup_db(&self.settings),
            output.audio.sample_rate(),
        )]
    }

    fn output_audio<'a>(&self, output: &'a DynamicsOutput) -> Option<&'a AudioBuffer> {
        Some(&output.audio)
    }

    /// `DynamicsStream::new` runs the vectorized kernel.
    fn stream_twin(&self) -> ImplKind {
        ImplKind::Vectorized
    }

    fn stream(
        &self,
        settings: &DynamicsSettings,
        channels: usize,
        sample_rate: u32,
    ) -> Option<Result<Box<dyn StreamProcessor>>> {
        Some(
            DynamicsStream::new(settings, channels, sample_rate)
                .map(|s| Box::new(s) as Box<dyn StreamProcessor>),
        )
    }
}
