//! One analysis run: the validated inputs, and the frame loop shared by the sequential
//! implementations.

use auralis_core::{AudioBuffer, Result};

use crate::bands::BandLayout;
use crate::features::{frame_features, Smoother};
use crate::framing::Framing;
use crate::result::{SpectrumResult, Summary};
use crate::settings::SpectrumSettings;

/// Everything an implementation needs, built once after the settings have been validated.
pub(crate) struct Analysis<'a> {
    pub audio: &'a AudioBuffer,
    pub settings: &'a SpectrumSettings,
    pub framing: Framing,
    pub layout: BandLayout,
}

impl<'a> Analysis<'a> {
    pub fn new(audio: &'a AudioBuffer, settings: &'a SpectrumSettings) -> Result<Self> {
        settings.validate()?;
        Ok(Self {
            audio,
            settings,
            framing: Framing::new(audio.len(), settings),
            layout: BandLayout::new(settings, audio.sample_rate()),
        })
    }

    /// Number of bands.
    pub fn bands(&self) -> usize {
        self.layout.len()
    }
}

/// The part in which implementations differ: turning frame `t` of the signal into its weighted
/// band levels (dB, before smoothing).
pub(crate) trait FrameLevels {
    fn frame_levels(&mut self, frame: usize, levels_db: &mut [f64]) -> Result<()>;
}

/// Runs `source` over every frame in order, smoothing and summarising as it goes. Memory is
/// O(bands) beyond the source's own per-frame buffers: no spectrogram is kept.
pub(crate) fn run_sequential(
    ctx: &Analysis<'_>,
    source: &mut impl FrameLevels,
) -> Result<SpectrumResult> {
    let bands = ctx.bands();
    let mut levels = vec![0.0; bands];
    let mut power = vec![0.0; bands];
    let mut smoother = Smoother::new(ctx.settings.smoothing, bands);
    let mut summary = Summary::new(bands);
    for frame in 0..ctx.framing.frames {
        source.frame_levels(frame, &mut levels)?;
        smoother.smooth(&mut levels);
        summary.add_levels(&levels);
        summary.add_features(&frame_features(&levels, &ctx.layout, &mut power));
    }
    summary.finish(ctx)
}
