//! # auralis — the facade
//!
//! One crate for library users. Each stage module exposes plain functions
//! (`auralis::spectrum::analyze`, `auralis::eq::process`, `auralis::dynamics::process`, …)
//! that run the implementation the lab *measured* fastest for that stage and input size, as
//! recorded in `reports/selection.json` and compiled into this crate — the way `rustfft`'s
//! planner hands out the best algorithm for a length, except that here the choice comes from
//! measurements rather than rules. Every implementation that can be selected has passed the
//! stage's accuracy gate against the sequential reference, so the choice changes speed, never
//! the result beyond the stated tolerance.
//!
//! To force one implementation (for comparisons, debugging, or a deployment whose machine
//! differs from the lab's), call the `*_with` variant with an [`ImplKind`].
//!
//! ```no_run
//! use auralis::{spectrum, AudioBuffer};
//! let audio = auralis::io::read_wav("song.wav".as_ref())?;
//! let result = spectrum::analyze(&audio, &spectrum::SpectrumSettings::default())?;
//! if let Some(centroid) = result.centroid_hz {
//!     println!("centroid {centroid:.0} Hz"); // None for digital silence
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub use auralis_core::{
    simd_level, without_gain, Aligned, AudioBuffer, AudioError, Error, ImplKind, Result, Step,
    StreamProcessor, MAX_SAMPLE_MAGNITUDE,
};

/// WAV reading and atomic writing.
pub mod io {
    pub use auralis_io::*;
}

pub mod selection;

/// Spectrum analysis (STFT 4096/1024, 64 log-spaced bands, A/C/Z weighting).
pub mod spectrum {
    pub use auralis_spectrum::{SpectrumResult, SpectrumSettings, Weighting};

    use crate::{selection, AudioBuffer, ImplKind, Result};

    /// Analyses `audio` with the implementation selected for its length.
    pub fn analyze(audio: &AudioBuffer, settings: &SpectrumSettings) -> Result<SpectrumResult> {
        selection::run(&auralis_spectrum::SpectrumStage, audio, settings)
    }

    /// Analyses `audio` with an explicitly chosen implementation.
    pub fn analyze_with(
        kind: ImplKind,
        audio: &AudioBuffer,
        settings: &SpectrumSettings,
    ) -> Result<SpectrumResult> {
        auralis_spectrum::analyze(kind, audio, settings)
    }
}

/// Loudness (ITU-R BS.1770-4 / EBU R128): integrated loudness, loudness range, momentary and
/// short-term series and maxima, sample and true peak per channel. Levels that do not exist
/// (silence, audio shorter than a 400 ms block) are `None`, never a number.
pub mod loudness {
    pub use auralis_loudness::{
        LoudnessMeter, LoudnessResult, LoudnessSettings, MOMENTARY_START_SECS, SERIES_PERIOD_SECS,
        SHORT_TERM_START_SECS,
    };

    use crate::{selection, AudioBuffer, ImplKind, Result};

    /// Measures `audio` with the implementation selected for its length.
    pub fn measure(audio: &AudioBuffer, settings: &LoudnessSettings) -> Result<LoudnessResult> {
        selection::run(&auralis_loudness::LoudnessStage, audio, settings)
    }

    /// Measures `audio` with an explicitly chosen implementation.
    pub fn measure_with(
        kind: ImplKind,
        audio: &AudioBuffer,
        settings: &LoudnessSettings,
    ) -> Result<LoudnessResult> {
        auralis_loudness::measure(kind, audio, settings)
    }

    /// The momentary and short-term series as `ndarray` views (feature `ndarray`, on by
    /// default), without copying: value `i` of the momentary series is the 400 ms window
    /// ending at `MOMENTARY_START_SECS + i · SERIES_PERIOD_SECS`.
    ///
    /// ```
    /// use auralis::loudness::{measure, LoudnessSeries};
    /// let audio = auralis::AudioBuffer::new(vec![vec![0.1; 48_000]], 48_000)?;
    /// let r = measure(&audio, &Default::default())?;
    /// let m = r.momentary_view();
    /// assert_eq!(m.len(), r.momentary_lufs.len());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(feature = "ndarray")]
    pub trait LoudnessSeries {
        /// Momentary loudness every 100 ms (LUFS; −∞ for silence).
        fn momentary_view(&self) -> ndarray::ArrayView1<'_, f32>;
        /// Short-term loudness every 100 ms (LUFS; −∞ for silence).
        fn short_term_view(&self) -> ndarray::ArrayView1<'_, f32>;
    }

    #[cfg(feature = "ndarray")]
    impl LoudnessSeries for LoudnessResult {
        fn momentary_view(&self) -> ndarray::ArrayView1<'_, f32> {
            ndarray::ArrayView1::from(self.momentary_lufs.as_slice())
        }
        fn short_term_view(&self) -> ndarray::ArrayView1<'_, f32> {
            ndarray::ArrayView1::from(self.short_term_lufs.as_slice())
        }
    }
}

/// Content features: levels (peak, RMS, crest, DC), per-frame spectral features of the mono mix
/// with librosa's definitions (centroid, 85 % rolloff, flatness, zero-crossing rate), stereo
/// correlation and width, onset strength, tempo and beats.
pub mod features {
    pub use auralis_features::{
        FeatureResult, FeatureSettings, FrameSeries, Levels, SpectralMeans, Stereo, Tempo,
        FRAME_LEN, HOP,
    };

    use crate::{selection, AudioBuffer, ImplKind, Result};

    /// Extracts the features of `audio` with the implementation selected for its length.
    pub fn extract(audio: &AudioBuffer, settings: &FeatureSettings) -> Result<FeatureResult> {
        selection::run(&auralis_features::FeaturesStage, audio, settings)
    }

    /// Extracts the features of `audio` with an explicitly chosen implementation.
    pub fn extract_with(
        kind: ImplKind,
        audio: &AudioBuffer,
        settings: &FeatureSettings,
    ) -> Result<FeatureResult> {
        auralis_features::extract(kind, audio, settings)
    }

    /// Names of the columns of [`FeatureFrames::frames`], in order.
    pub const FRAME_COLUMNS: [&str; 6] = [
        "centroid_hz",
        "rolloff_hz",
        "flatness",
        "zcr",
        "stereo_correlation",
        "stereo_width",
    ];

    /// The per-frame series as `ndarray` arrays (feature `ndarray`, on by default).
    ///
    /// ```
    /// use auralis::features::{extract, FeatureFrames};
    /// let audio = auralis::AudioBuffer::new(vec![vec![0.1; 48_000]; 2], 48_000)?;
    /// let r = extract(&audio, &Default::default())?;
    /// let frames = r.frames(); // frames × 6 (FRAME_COLUMNS)
    /// assert_eq!(frames.nrows(), r.series.centroid_hz.len());
    /// assert_eq!(r.onset_view().len(), r.onset_strength.len());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(feature = "ndarray")]
    pub trait FeatureFrames {
        /// Frames × [`FRAME_COLUMNS`] (a copy: the series are stored column by column; stereo
        /// columns are NaN for mono audio). Frame `f` covers samples `f·512 .. f·512 + 2048`.
        fn frames(&self) -> ndarray::Array2<f32>;
        /// The onset strength, one value per 512 samples (no copy).
        fn onset_view(&self) -> ndarray::ArrayView1<'_, f32>;
    }

    #[cfg(feature = "ndarray")]
    impl FeatureFrames for FeatureResult {
        fn frames(&self) -> ndarray::Array2<f32> {
            let s = &self.series;
            let rows = s.centroid_hz.len();
            let columns: [&[f32]; 6] = [
                &s.centroid_hz,
                &s.rolloff_hz,
                &s.flatness,
                &s.zcr,
                &s.stereo_correlation,
                &s.stereo_width,
            ];
            ndarray::Array2::from_shape_fn((rows, columns.len()), |(r, c)| {
                columns[c].get(r).copied().unwrap_or(f32::NAN)
            })
        }
        fn onset_view(&self) -> ndarray::ArrayView1<'_, f32> {
            ndarray::ArrayView1::from(self.onset_strength.as_slice())
        }
    }
}

/// The whole content analysis: loudness and features (with tempo) of one piece of audio.
pub mod analysis {
    use crate::features::{FeatureResult, FeatureSettings};
    use crate::loudness::{LoudnessResult, LoudnessSettings};
    use crate::{AudioBuffer, Result};

    /// What to analyse (`None` skips a part).
    #[derive(Debug, Clone, PartialEq)]
    #[non_exhaustive]
    pub struct AnalysisSettings {
        pub loudness: Option<LoudnessSettings>,
        pub features: Option<FeatureSettings>,
    }

    impl AnalysisSettings {
        /// Loudness and features with these settings, `None` to skip one.
        pub fn new(loudness: Option<LoudnessSettings>, features: Option<FeatureSettings>) -> Self {
            Self { loudness, features }
        }
    }

    impl Default for AnalysisSettings {
        fn default() -> Self {
            Self {
                loudness: Some(LoudnessSettings::default()),
                features: Some(FeatureSettings::default()),
            }
        }
    }

    /// The results of [`analyze`].
    #[derive(Debug, Clone, PartialEq)]
    #[non_exhaustive]
    pub struct Analysis {
        pub loudness: Option<LoudnessResult>,
        pub features: Option<FeatureResult>,
    }

    impl Analysis {
        /// An analysis from parts computed elsewhere (e.g. with forced implementations).
        pub fn from_parts(
            loudness: Option<LoudnessResult>,
            features: Option<FeatureResult>,
        ) -> Self {
            Self { loudness, features }
        }
    }

    /// Measures loudness and extracts features (each with its selected implementation),
    /// concurrently: measured with `cargo run --release -p auralis --example analysis_timing`,
    /// running the two stages side by side beats one after the other (see that example's
    /// output in README), because neither stage keeps both cores busy all the time (the
    /// loudness gating, the tempo and beat tracking are sequential).
    pub fn analyze(audio: &AudioBuffer, settings: &AnalysisSettings) -> Result<Analysis> {
        let loudness = || {
            settings
                .loudness
                .as_ref()
                .map(|s| crate::loudness::measure(audio, s))
                .transpose()
        };
        let features = || {
            settings
                .features
                .as_ref()
                .map(|s| crate::features::extract(audio, s))
                .transpose()
        };
        let (loudness, features) = rayon::join(loudness, features);
        Ok(Analysis {
            loudness: loudness?,
            features: features?,
        })
    }

    /// [`analyze`] with the two stages one after the other (for the comparison).
    pub fn analyze_sequentially(
        audio: &AudioBuffer,
        settings: &AnalysisSettings,
    ) -> Result<Analysis> {
        Ok(Analysis {
            loudness: settings
                .loudness
                .as_ref()
                .map(|s| crate::loudness::measure(audio, s))
                .transpose()?,
            features: settings
                .features
                .as_ref()
                .map(|s| crate::features::extract(audio, s))
                .transpose()?,
        })
    }
}

/// Mastering: analysis, preset or reference-matched EQ, compression, gain to a loudness
/// target (hit by measurement) and a true-peak limiter, in one [`pipeline::Pipeline`] made
/// once and run on any number of tracks.
pub mod pipeline {
    pub use auralis_pipeline::{
        chunk_frames, read_interleaved, BandProfile, BufferSource, GainReduction, LoudnessSummary,
        MasterReport, Mastered, Pipeline, PipelineSettings, Preset, Source, Spool, StreamedMaster,
        Tone, MAX_STREAM_CHANNELS, PRESETS, STEPS, STREAM_CHUNK,
    };

    use crate::{selection, AudioBuffer, Result};

    /// The stage's name in `selection.json`.
    pub use auralis_pipeline::NAME;

    /// Masters `audio` with the implementation the lab selected for its length.
    pub fn master(pipeline: &Pipeline, audio: &AudioBuffer) -> Result<Mastered> {
        pipeline.process(selection::choose(NAME, audio), audio)
    }
}

/// Audio → audio processing that chains: the EQ ([`eq::EqSettings`]) and dynamics
/// ([`dynamics::DynamicsSettings`]) are [`chain::AudioProcessor`]s, and `a.then(b)` is one
/// too, whose report is both reports. Every step runs the implementation the lab selected
/// for its stage and the input's length (or one given kind), through this one path — the
/// `eq` and `dynamics` functions below are it, with their settings.
///
/// ```
/// use auralis::chain::{self, AudioProcessor};
/// use auralis::{dynamics, eq};
/// let audio = auralis::AudioBuffer::new(vec![vec![0.25; 48_000]; 2], 48_000)?;
/// let tone = eq::EqSettings::default();
/// let limiter = dynamics::DynamicsSettings {
///     compressor: None,
///     limiter: Some(dynamics::LimiterSettings::default()),
/// };
/// let (out, ((), gain)) = chain::process(&tone.then(limiter), &audio)?;
/// assert_eq!((out.len(), gain.gain_db.len()), (audio.len(), audio.len()));
/// # Ok::<(), auralis::Error>(())
/// ```
pub mod chain {
    pub use auralis_core::{AudioProcessor, Chooser, Then};

    use crate::{selection, AudioBuffer, ImplKind, Result};

    /// Runs `processor` on `audio`, each step with the implementation selected for it.
    pub fn process<P: AudioProcessor>(
        processor: &P,
        audio: &AudioBuffer,
    ) -> Result<(AudioBuffer, P::Report)> {
        processor.process(&|stage| selection::choose(stage, audio), audio)
    }

    /// Runs `processor` on `audio` with implementation `kind` at every step.
    pub fn process_with<P: AudioProcessor>(
        kind: ImplKind,
        processor: &P,
        audio: &AudioBuffer,
    ) -> Result<(AudioBuffer, P::Report)> {
        processor.process(&|_| kind, audio)
    }

    /// [`process`] into `output`, reusing its allocations (an earlier result) where the
    /// shape allows: for batch work, it saves the page faults of a fresh output.
    pub fn process_into<P: AudioProcessor>(
        processor: &P,
        audio: &AudioBuffer,
        output: &mut Option<AudioBuffer>,
    ) -> Result<P::Report> {
        processor.process_into(&|stage| selection::choose(stage, audio), audio, output)
    }
}

/// Critical-band (Bark) EQ with perfect-reconstruction STFT filtering.
pub mod eq {
    pub use auralis_eq::{
        band_centres_hz, EqGains, EqSettings, EqStream, StreamMode, MAX_GAIN_DB, NUM_BANDS,
    };

    use crate::{chain, AudioBuffer, ImplKind, Result};

    /// Equalises `audio` with the implementation selected for its length (the lab measures
    /// hop 2048 as its own stage, `eq-hop2048`: its selection applies at that hop).
    pub fn process(audio: &AudioBuffer, settings: &EqSettings) -> Result<AudioBuffer> {
        Ok(chain::process(settings, audio)?.0)
    }

    /// Equalises `audio` with an explicitly chosen implementation.
    pub fn process_with(
        kind: ImplKind,
        audio: &AudioBuffer,
        settings: &EqSettings,
    ) -> Result<AudioBuffer> {
        Ok(chain::process_with(kind, settings, audio)?.0)
    }

    /// Like [`process`], reusing `output`'s allocations (an earlier result) where the shape
    /// allows: for batch work, it saves the page faults of a fresh output.
    pub fn process_into(
        audio: &AudioBuffer,
        settings: &EqSettings,
        output: &mut Option<AudioBuffer>,
    ) -> Result<()> {
        chain::process_into(settings, audio, output)
    }
}

/// Compressor and limiter (envelope follower, soft knee, lookahead, sample/true peak).
pub mod dynamics {
    pub use auralis_dynamics::{
        with_gain, CompressorSettings, DynamicsOutput, DynamicsSettings, DynamicsStream,
        GainReport, GainStats, LimiterSettings, PeakMode,
    };

    use crate::{chain, AudioBuffer, ImplKind, Result};

    fn output((audio, report): (AudioBuffer, GainReport)) -> DynamicsOutput {
        DynamicsOutput {
            audio,
            gain_db: report.gain_db,
            stats: report.stats,
        }
    }

    /// Runs the configured chain (compressor and/or limiter) with the selected implementation.
    pub fn process(audio: &AudioBuffer, settings: &DynamicsSettings) -> Result<DynamicsOutput> {
        chain::process(settings, audio).map(output)
    }

    /// Runs the chain with an explicitly chosen implementation.
    pub fn process_with(
        kind: ImplKind,
        audio: &AudioBuffer,
        settings: &DynamicsSettings,
    ) -> Result<DynamicsOutput> {
        chain::process_with(kind, settings, audio).map(output)
    }

    /// Like [`process`], reusing `output`'s allocations (an earlier result: its audio *and*
    /// its gain trajectory) where the shape allows: for batch work, it saves the page faults
    /// of a fresh output. (The chain's link lends only the audio, so this one goes to the
    /// stage directly, with the same selection.)
    pub fn process_into(
        audio: &AudioBuffer,
        settings: &DynamicsSettings,
        out: &mut Option<DynamicsOutput>,
    ) -> Result<()> {
        let kind = crate::selection::choose(auralis_dynamics::NAME, audio);
        auralis_dynamics::process_into(kind, audio, settings, out)
    }

    /// Compressor only.
    pub fn compress(audio: &AudioBuffer, settings: &CompressorSettings) -> Result<DynamicsOutput> {
        process(
            audio,
            &DynamicsSettings {
                compressor: Some(settings.clone()),
                limiter: None,
            },
        )
    }

    /// Limiter only.
    pub fn limit(audio: &AudioBuffer, settings: &LimiterSettings) -> Result<DynamicsOutput> {
        process(
            audio,
            &DynamicsSettings {
                compressor: None,
                limiter: Some(settings.clone()),
            },
        )
    }
}
