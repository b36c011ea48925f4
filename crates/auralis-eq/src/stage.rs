//! The EQ as a lab [`Stage`].

use auralis_core::{Accuracy, AudioBuffer, ImplKind, Result, Stage, StreamProcessor};

use crate::gains::EqGains;
use crate::settings::EqSettings;
use crate::stream::EqStream;

/// The EQ registered with the lab, with the settings it is measured at.
#[derive(Clone, Debug)]
pub struct EqStage {
    /// Settings the lab benchmarks with.
    pub settings: EqSettings,
    name: &'static str,
}

impl Default for EqStage {
    /// `"eq"`: 4096/1024 with the `balanced` preset. A non-trivial gain set on purpose: at
    /// 0 dB every correct variant returns its input, which would hide errors in the gain path.
    fn default() -> Self {
        EqStage {
            settings: EqSettings::with_gains(EqGains::bench_default()),
            name: crate::NAME,
        }
    }
}

impl EqStage {
    /// The registered stage whose measurements apply to `settings`: `"eq-hop2048"` at 50 %
    /// overlap, `"eq"` otherwise — the one place the selection key of an EQ call is derived.
    pub fn for_settings(settings: &EqSettings) -> Self {
        if settings.hop * 2 == settings.fft_size {
            Self::hop_2048()
        } else {
            Self::default()
        }
    }

    /// `"eq-hop2048"`: the same with hop 2048 (50 % overlap, half the FFTs).
    pub fn hop_2048() -> Self {
        let mut stage = Self::default();
        stage.settings.hop = stage.settings.fft_size / 2;
        stage.name = "eq-hop2048";
        stage
    }
}

impl Stage for EqStage {
    type Settings = EqSettings;
    type Output = AudioBuffer;

    fn name(&self) -> &'static str {
        self.name
    }

    fn implementations(&self) -> &'static [ImplKind] {
        &ImplKind::ALL
    }

    fn bench_settings(&self) -> EqSettings {
        self.settings.clone()
    }

    fn run(
        &self,
        kind: ImplKind,
        audio: &AudioBuffer,
        settings: &EqSettings,
    ) -> Result<AudioBuffer> {
        crate::process(kind, audio, settings)
    }

    fn run_into(
        &self,
        kind: ImplKind,
        audio: &AudioBuffer,
        settings: &EqSettings,
        output: &mut Option<AudioBuffer>,
    ) -> Result<()> {
        crate::process_into(kind, audio, settings, output)
    }

    fn poison(&self, output: &mut AudioBuffer) {
        output.overwrite_in_place(auralis_core::POISON);
    }

    fn compare(&self, reference: &AudioBuffer, candidate: &AudioBuffer) -> Accuracy {
        crate::compare(reference, candidate)
    }

    fn tolerance(&self) -> &'static str {
        "relative RMS error ≤ 1e-6 (−120 dB) and correlation ≥ 0.999999 against the reference: \
         f32 FFT round trips differ by ~1e-7, while any real defect (window, normalisation, \
         band mapping) shows up at 1e-3 or more"
    }

    fn output_audio<'a>(&self, output: &'a AudioBuffer) -> Option<&'a AudioBuffer> {
        Some(output)
    }

    /// `EqStream::new` pairs frames exactly like the vectorized variant.
    fn stream_twin(&self) -> ImplKind {
        ImplKind::Vectorized
    }

    fn stream(
        &self,
        settings: &EqSettings,
        channels: usize,
        sample_rate: u32,
    ) -> Option<Result<Box<dyn StreamProcessor>>> {
        Some(
            EqStream::new(settings, channels, sample_rate)
                .map(|s| Box::new(s) as Box<dyn StreamProcessor>),
        )
    }
}
