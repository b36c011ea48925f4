//! Content features of a piece of audio: whole-file levels (peak, RMS, crest, DC), per-frame
//! spectral features of the mono mix (centroid, rolloff, flatness — librosa's definitions on
//! librosa's frames, STFT 2048/512 Hann, `center=False`), zero-crossing rate, stereo
//! correlation and width, and the onset strength with tempo and beats (librosa's
//! `beat_track`, Ellis 2007; `tempo.rs` says where and why we depart from it).
//!
//! Three implementations behind [`auralis_core::Stage`], side by side:
//! * [`ImplKind::Reference`]: every frame sample by sample; spectral features by their
//!   formulas in `f64` (`spectral::reference`), zero crossings and stereo sums per frame.
//! * [`ImplKind::Vectorized`]: frames filled and squared in SIMD, spectral sums in `f32` lanes
//!   with a vectorizable logarithm (`spectral::Fast`), time-domain measures per 512-sample
//!   hop (four hops make a frame) in `f64` lanes.
//! * [`ImplKind::Parallel`]: the vectorized kernels with frames split over rayon's threads in
//!   fixed tasks of 256 (**time-parallel**). The seed planned one thread per feature instead;
//!   `examples/features_strategies.rs` measures both (the note in README says which won).
//!
//! What every variant shares, bit for bit: the windowed frame, its FFT and power spectrum,
//! the mel bands and the onset envelope, and the tempo and beat tracking that follow (a
//! sequential pass over 86 values per second). The onset envelope feeds an argmax and a
//! dynamic programme, where a last-bit difference could move a beat, so it is one
//! computation, not three that agree within a tolerance.

mod beats;
mod frames;
mod math;
mod mel;
mod onset;
mod result;
mod settings;
mod spectral;
mod stage;
mod tempo;
mod time_domain;

use auralis_core::{
    worst_difference, Accuracy, AudioBuffer, Check, Error, ImplKind, Metrics, Result,
};

pub use frames::{centred_frames, uncentred_frames};
pub use math::fast_ln;
pub use mel::{MelBank, MEL_BANDS};
pub use result::{FeatureResult, FrameSeries, Levels, SpectralMeans, Stereo, Tempo};
pub use settings::{FeatureSettings, BINS, FRAME_LEN, HOP};
pub use spectral::reference as spectral_reference;
pub use stage::FeaturesStage;
pub use tempo::{frame_rate, MIN_PULSE_CLARITY, MIN_TEMPO_SECS};

/// The stage's name in reports and `selection.json`.
pub const NAME: &str = "features";

/// Largest relative difference in a frame's centroid or flatness between an implementation
/// and the reference: the fast path sums 1025 magnitudes in `f32` lanes (≈ 1025 · 2⁻²⁴ ≈
/// 6·10⁻⁵ worst case, ~10⁻⁶ measured) and takes logarithms to 2 ulp, where the reference sums
/// in `f64` with `std`'s `ln`. 10⁻⁴ is 0.1 Hz at 1 kHz: far below a bin (21.5 Hz).
pub const SPECTRAL_RELATIVE_TOLERANCE: f64 = 1e-4;

/// Largest difference in a frame's rolloff, in FFT bins: the rolloff is the bin where a
/// cumulative sum crosses 85 % of the total; when the crossing is within rounding of a bin
/// edge, a different summation order moves it by one bin.
pub const ROLLOFF_TOLERANCE_BINS: f64 = 1.0;

/// Largest difference in a whole-file level or stereo measure (relative to the value, or
/// absolute below 1): `f64` sums in another order.
pub const LEVEL_RELATIVE_TOLERANCE: f64 = 1e-6;

/// Largest difference in a frame's stereo correlation or width (relative, absolute below 1):
/// the fast path sums each 512-sample hop in `f32` lanes (≈ 10⁻⁶ typical, 3·10⁻⁵ worst-case
/// relative error of a 512-term sum), the reference the whole frame in `f64`. A correlation
/// to four decimals is more than any display or decision uses.
pub const FRAME_STEREO_TOLERANCE: f64 = 1e-4;

/// Extracts the features of `audio` with implementation `kind`.
pub fn extract(
    kind: ImplKind,
    audio: &AudioBuffer,
    settings: &FeatureSettings,
) -> Result<FeatureResult> {
    check_input(audio, settings)?;
    let vectorized = kind != ImplKind::Reference;
    let parallel = kind == ImplKind::Parallel;
    let spectral_frames = spectral_frame_count(audio, settings);
    let run_frames = || frames::run(kind, audio, settings, settings.spectral, settings.tempo);
    // The time-domain measures: the reference sample by sample per frame, the fast variants
    // in one hop-by-hop pass.
    let run_time_domain = || {
        if vectorized {
            let scan = time_domain::scan_fast(audio, spectral_frames, parallel);
            ((scan.levels, scan.stereo), scan.series)
        } else {
            (
                time_domain::levels_reference(audio),
                time_domain::frames_reference(audio, spectral_frames),
            )
        }
    };
    // Time-parallel: each pass splits its frames (or hops) over the threads.
    let ((levels, time_series), short_time) = if parallel {
        rayon::join(run_time_domain, run_frames)
    } else {
        (run_time_domain(), run_frames())
    };
    let onset = settings
        .tempo
        .then(|| onset::envelope(&short_time.mel_db, parallel));
    Ok(assemble(
        audio,
        settings,
        levels,
        &short_time.spectral,
        time_series,
        onset,
        parallel,
    ))
}

/// The seed's plan for the parallel variant, kept for the measurement in
/// `examples/features_strategies.rs`: **one task per feature family** instead of frames split
/// over threads — the spectral features (their own FFT pass over the uncentred frames); the
/// onset envelope, tempo and beats (their own FFT pass over the centred frames); the levels,
/// zero crossings and stereo (one pass) — each task sequential (vectorized kernels). Same result as
/// [`ImplKind::Parallel`], bit for bit.
#[doc(hidden)]
pub fn extract_feature_parallel(
    audio: &AudioBuffer,
    settings: &FeatureSettings,
) -> Result<FeatureResult> {
    check_input(audio, settings)?;
    let kind = ImplKind::Vectorized;
    let spectral_frames = spectral_frame_count(audio, settings);
    let (scan, (spectral, onset)) = rayon::join(
        || time_domain::scan_fast(audio, spectral_frames, false),
        || {
            rayon::join(
                || frames::run(kind, audio, settings, settings.spectral, false).spectral,
                || {
                    settings.tempo.then(|| {
                        let mel = frames::run(kind, audio, settings, false, true).mel_db;
                        onset::envelope(&mel, false)
                    })
                },
            )
        },
    );
    Ok(assemble(
        audio,
        settings,
        (scan.levels, scan.stereo),
        &spectral,
        scan.series,
        onset,
        false,
    ))
}

fn check_input(audio: &AudioBuffer, settings: &FeatureSettings) -> Result<()> {
    settings.validate()?;
    if audio.is_empty() {
        return Err(Error::param(
            "audio",
            "is empty: there is nothing to measure",
        ));
    }
    Ok(())
}

fn spectral_frame_count(audio: &AudioBuffer, settings: &FeatureSettings) -> usize {
    if settings.spectral {
        uncentred_frames(audio.len())
    } else {
        0
    }
}

/// The result from the passes' outputs: series, means, and (from the onset envelope, if
/// asked for) tempo and beats — one sequential computation for every variant.
fn assemble(
    audio: &AudioBuffer,
    settings: &FeatureSettings,
    (levels, stereo): (Levels, Option<Stereo>),
    spectral: &[spectral::Spectral],
    time_series: time_domain::FrameTimeSeries,
    onset: Option<Vec<f32>>,
    parallel: bool,
) -> FeatureResult {
    let column = |i: usize| spectral.iter().map(|s| s[i]).collect::<Vec<f32>>();
    let series = FrameSeries {
        centroid_hz: column(0),
        rolloff_hz: column(1),
        flatness: column(2),
        zcr: time_series.zcr,
        stereo_correlation: time_series.correlation,
        stereo_width: time_series.width,
    };
    let mean = |v: &[f32]| v.iter().map(|&x| f64::from(x)).sum::<f64>() / v.len() as f64;
    let means = (!spectral.is_empty()).then(|| SpectralMeans {
        centroid_hz: mean(&series.centroid_hz),
        rolloff_hz: mean(&series.rolloff_hz),
        flatness: mean(&series.flatness),
        zcr: mean(&series.zcr),
    });
    let (onset_strength, tempo) = match onset {
        Some(onset) => {
            let tempo = tempo_and_beats(&onset, audio.sample_rate(), settings, parallel);
            (onset, tempo)
        }
        None => (Vec::new(), Err("not asked for".to_string())),
    };
    FeatureResult {
        sample_rate: audio.sample_rate(),
        frames_in: audio.len(),
        levels,
        series,
        means,
        stereo,
        onset_strength,
        tempo,
    }
}

/// Tempo, then beats at that tempo; absent (with the reason) when either is not credible.
fn tempo_and_beats(
    onset: &[f32],
    sample_rate: u32,
    settings: &FeatureSettings,
    parallel: bool,
) -> std::result::Result<Tempo, String> {
    let estimate = tempo::estimate(onset, sample_rate, settings, parallel)?;
    let fr = tempo::frame_rate(sample_rate);
    let beats = beats::track(onset, estimate.bpm, fr, settings.tightness);
    if beats.len() < tempo::MIN_BEATS {
        return Err(format!(
            "no steady beat (the tracker found {} beats, fewer than {})",
            beats.len(),
            tempo::MIN_BEATS
        ));
    }
    Ok(Tempo {
        bpm: estimate.bpm,
        beats_s: beats.iter().map(|&b| b as f64 / fr).collect(),
        pulse_clarity: estimate.pulse_clarity,
    })
}

/// Relative difference, absolute below 1; ∞ for NaN or a one-sided ∞.
fn relative(a: f64, b: f64) -> f64 {
    if a == b {
        return 0.0;
    }
    let d = (a - b).abs() / a.abs().max(1.0);
    if d.is_nan() {
        f64::INFINITY
    } else {
        d
    }
}

/// Largest [`relative`] difference over two series (∞ if their lengths differ).
fn worst<T: Copy + Into<f64>>(r: &[T], c: &[T], scale: f64) -> f64 {
    worst_difference(r, c, |a: T, b: T| {
        relative(a.into() / scale, b.into() / scale)
    })
}

/// Holds `candidate` against `reference` with the stated tolerances.
pub fn compare(reference: &FeatureResult, candidate: &FeatureResult) -> Accuracy {
    let (r, c) = (reference, candidate);
    let bin_hz = f64::from(r.sample_rate) / FRAME_LEN as f64;
    let levels = worst(&r.levels.peak, &c.levels.peak, 1.0)
        .max(worst(&r.levels.rms, &c.levels.rms, 1.0))
        .max(worst(&r.levels.dc, &c.levels.dc, 1.0));
    let stereo = match (&r.stereo, &c.stereo) {
        (None, None) => 0.0,
        (Some(a), Some(b)) => {
            relative(a.correlation, b.correlation).max(relative(a.width, b.width))
        }
        _ => f64::INFINITY,
    };
    let spectral = worst(&r.series.centroid_hz, &c.series.centroid_hz, 1e3).max(worst(
        &r.series.flatness,
        &c.series.flatness,
        1e-3,
    ));
    let rolloff = worst_difference(&r.series.rolloff_hz, &c.series.rolloff_hz, |a, b| {
        (f64::from(a) - f64::from(b)).abs() / bin_hz
    });
    let zcr = worst(&r.series.zcr, &c.series.zcr, 1.0);
    let frame_stereo = worst(
        &r.series.stereo_correlation,
        &c.series.stereo_correlation,
        1.0,
    )
    .max(worst(&r.series.stereo_width, &c.series.stereo_width, 1.0));
    let onset_equal = r.onset_strength == c.onset_strength && r.tempo == c.tempo;
    let checks = vec![
        Check::at_most("levels (relative)", levels, LEVEL_RELATIVE_TOLERANCE),
        Check::at_most("stereo (relative)", stereo, LEVEL_RELATIVE_TOLERANCE),
        Check::at_most(
            "centroid, flatness (relative)",
            spectral,
            SPECTRAL_RELATIVE_TOLERANCE,
        ),
        Check::at_most("rolloff (bins)", rolloff, ROLLOFF_TOLERANCE_BINS),
        Check::at_most("zero-crossing rate", zcr, 0.0),
        Check::at_most(
            "frame stereo (relative)",
            frame_stereo,
            FRAME_STEREO_TOLERANCE,
        ),
        Check::at_most(
            "onset, tempo, beats (bit-identical)",
            if onset_equal { 0.0 } else { f64::INFINITY },
            0.0,
        ),
    ];
    let metrics = Metrics::of_f32(&r.series.centroid_hz, &c.series.centroid_hz);
    Accuracy { metrics, checks }
}
