//! Argument definitions and the command implementations.

use std::fmt;
use std::path::{Path, PathBuf};

use auralis::dynamics::{
    CompressorSettings, DynamicsOutput, DynamicsStream, LimiterSettings, PeakMode,
};
use auralis::eq::{EqGains, EqSettings, EqStream};
use auralis::spectrum::{SpectrumResult, SpectrumSettings, Weighting};
use auralis::{AudioBuffer, ImplKind};
use clap::{Args, Parser, Subcommand};

use crate::analysis::Section;
use crate::console;
use crate::output::{prepare, Format};
use auralis::pipeline::Source;

/// Audio mastering stages, measured and verified by Auralis Lab.
#[derive(Debug, Parser)]
#[command(name = "auralis", version, about)]
pub struct Cli {
    /// Force one implementation instead of the lab's measured default
    /// (reference, vectorized or parallel).
    #[arg(long = "impl", global = true, value_name = "KIND")]
    implementation: Option<ImplKind>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the analysis of an audio file: spectrum, loudness (BS.1770-4 / EBU R128),
    /// features (librosa's definitions) and tempo with beats.
    Analyze {
        /// The audio file to analyse.
        file: PathBuf,
        /// Print machine-readable JSON instead of a table (schema in README).
        #[arg(long)]
        json: bool,
        /// Frequency weighting of the spectrum: a, c or z (none).
        #[arg(long, default_value = "a")]
        weighting: Weighting,
        /// Only this section (repeatable): spectrum, loudness, features, tempo. Default: all.
        #[arg(long = "only", value_enum, value_name = "SECTION")]
        only: Vec<Section>,
    },
    /// Apply the 25-band critical-band EQ.
    Eq {
        #[command(flatten)]
        io: IoArgs,
        /// 25 comma-separated band gains in dB, band 1 (0–100 Hz) first (clipped to
        /// ±12 dB, with a warning), or a preset name…
        #[arg(long, conflicts_with = "preset", allow_hyphen_values = true)]
        gains: Option<String>,
        /// …or a preset: flat, warm, bright, balanced.
        #[arg(long)]
        preset: Option<String>,
        /// STFT hop: 1024 (default) or 2048 (half the cost, also perfect reconstruction).
        #[arg(long, default_value_t = 1024)]
        hop: usize,
    },
    /// Apply the soft-knee compressor.
    Compress {
        #[command(flatten)]
        io: IoArgs,
        #[arg(long, default_value_t = CompressorSettings::default().threshold_db, allow_negative_numbers = true)]
        threshold: f32,
        #[arg(long, default_value_t = CompressorSettings::default().ratio)]
        ratio: f32,
        #[arg(long, default_value_t = CompressorSettings::default().knee_db)]
        knee: f32,
        /// Attack in ms.
        #[arg(long, default_value_t = CompressorSettings::default().attack_ms)]
        attack: f32,
        /// Release in ms.
        #[arg(long, default_value_t = CompressorSettings::default().release_ms)]
        release: f32,
        /// Lookahead in ms (delays the audio, not the detector).
        #[arg(long, default_value_t = CompressorSettings::default().lookahead_ms)]
        lookahead: f32,
        /// Makeup gain in dB.
        #[arg(long, default_value_t = CompressorSettings::default().makeup_db, allow_negative_numbers = true)]
        makeup: f32,
    },
    /// Master a track: analysis, EQ toward a preset's curve or a reference's balance,
    /// compression, gain to the loudness target (hit by measurement), true-peak limiting.
    /// `master IN OUT` masters one track; `master --out-dir DIR INPUT...` a batch.
    Master {
        /// IN OUT (one track), or with --out-dir the inputs: files, or directories searched
        /// recursively for WAV, FLAC, MP3, Ogg Vorbis and AIFF files.
        #[arg(required = true, value_name = "PATHS")]
        paths: Vec<PathBuf>,
        /// Output sample format [default: f32 for a .wav name and in a batch, flac for a
        /// .flac name, wav24 for -, FIFOs and devices].
        #[arg(long, value_enum)]
        format: Option<Format>,
        /// Replace existing outputs.
        #[arg(long)]
        overwrite: bool,
        #[command(flatten)]
        mastering: MasteringArgs,
        /// Also write the before/after report as JSON here (atomically; one track only).
        #[arg(long, conflicts_with = "out_dir")]
        report: Option<PathBuf>,
        #[command(flatten)]
        batch: BatchFlags,
    },
    /// Apply the lookahead limiter.
    Limit {
        #[command(flatten)]
        io: IoArgs,
        /// Ceiling in dBFS (dBTP with --true-peak), from -60 to 0.
        #[arg(long, default_value_t = LimiterSettings::default().ceiling_db, allow_negative_numbers = true)]
        ceiling: f32,
        /// Release in ms.
        #[arg(long, default_value_t = LimiterSettings::default().release_ms)]
        release: f32,
        /// Lookahead in ms.
        #[arg(long, default_value_t = LimiterSettings::default().lookahead_ms)]
        lookahead: f32,
        /// Keep 4×-oversampled (inter-sample) peaks under the ceiling too.
        #[arg(long)]
        true_peak: bool,
    },
}

/// The mastering options, for one track and for a batch alike.
#[derive(Debug, Args)]
struct MasteringArgs {
    /// Preset: balanced (default), warm, bright, gentle, loud (−9 LUFS).
    #[arg(long, conflicts_with = "reference")]
    preset: Option<String>,
    /// Match this track's spectral balance and (unless --target-lufs) its loudness.
    #[arg(long)]
    reference: Option<PathBuf>,
    /// Integrated loudness target, LUFS [default: the preset's, else the reference's,
    /// else -14].
    #[arg(long, allow_negative_numbers = true)]
    target_lufs: Option<f64>,
    /// True-peak ceiling, dBTP.
    #[arg(long, default_value_t = -1.0, allow_negative_numbers = true)]
    ceiling: f64,
    /// Write no tags: neither the input's nor the loudness tags (FLAC outputs carry
    /// both by default).
    #[arg(long)]
    strip_metadata: bool,
    /// Output sample rate, Hz (the input is converted with rubato before mastering, so
    /// the loudness and the ceiling hold at the new rate).
    #[arg(long, value_name = "HZ")]
    sample_rate: Option<u32>,
}

/// Batch mastering (`--out-dir`).
#[derive(Debug, Args)]
struct BatchFlags {
    /// Master every input into this folder, keeping each file's path relative to the
    /// input directory it was found in.
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,
    /// Tracks in flight at once [default: what the lab measured best on this machine].
    #[arg(long, requires = "out_dir")]
    jobs: Option<usize>,
    /// Skip tracks whose output is up to date (its record in the state folder matches the
    /// input, the settings, the auralis version and the SIMD level).
    #[arg(long, requires = "out_dir")]
    skip_existing: bool,
    /// Master only shard I of N (I from 0): a deterministic, duration-balanced share.
    #[arg(long, value_name = "I/N", requires = "out_dir")]
    shard: Option<String>,
    /// List what would be done and why, and touch nothing.
    #[arg(long, requires = "out_dir")]
    dry_run: bool,
    /// Write the batch summary as JSON here (atomically).
    #[arg(long, requires = "out_dir")]
    summary: Option<PathBuf>,
    /// Where the --skip-existing records live [default: DIR/.auralis-state].
    #[arg(long, value_name = "DIR", requires = "out_dir")]
    state_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct IoArgs {
    /// Input audio file.
    input: PathBuf,
    /// Output WAV file, or - for standard output. A regular file is written atomically (links
    /// are followed); a FIFO or character device is written directly; never the input.
    output: PathBuf,
    /// Output sample format [default: f32 for a .wav name, wav24 for -, FIFOs and devices].
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Replace the output file if it already exists.
    #[arg(long)]
    overwrite: bool,
}

/// A failure, with the exit code it maps to.
#[derive(Debug)]
pub struct CliError {
    code: u8,
    message: String,
}

impl CliError {
    /// Bad input or usage: exit code 2.
    pub fn usage(message: impl Into<String>) -> Self {
        CliError {
            code: 2,
            message: message.into(),
        }
    }

    /// Anything else: exit code 1.
    pub fn other(err: impl fmt::Display) -> Self {
        CliError {
            code: 1,
            message: err.to_string(),
        }
    }

    /// A failure with its own exit code (a batch: 1 when some tracks failed, 130 / 143
    /// when a signal stopped it).
    pub fn with_code(code: u8, message: impl Into<String>) -> Self {
        CliError {
            code,
            message: message.into(),
        }
    }

    /// Standard output was closed by its reader: a normal end, exit code 0, no message.
    pub fn broken_pipe() -> Self {
        CliError {
            code: 0,
            message: String::new(),
        }
    }

    pub fn exit_code(&self) -> u8 {
        self.code
    }

    /// Whether there is nothing to tell the user (a broken pipe).
    pub fn is_silent(&self) -> bool {
        self.message.is_empty()
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Library errors are all about the input or the parameters the user gave.
impl From<auralis::Error> for CliError {
    fn from(err: auralis::Error) -> Self {
        CliError::usage(err.to_string())
    }
}

pub(crate) fn read(path: &Path) -> Result<AudioBuffer, CliError> {
    auralis::io::read_audio(path).map_err(|e| CliError::usage(e.to_string()))
}

/// Runs one parsed command line.
pub fn run(cli: Cli) -> Result<(), CliError> {
    let forced = cli.implementation;
    match cli.command {
        Command::Analyze {
            file,
            json,
            weighting,
            only,
        } => {
            let audio = read(&file)?;
            let wanted = |s: Section| only.is_empty() || only.contains(&s);
            let spectrum = if wanted(Section::Spectrum) {
                let settings = SpectrumSettings {
                    weighting,
                    ..SpectrumSettings::default()
                };
                Some(match forced {
                    Some(kind) => auralis::spectrum::analyze_with(kind, &audio, &settings)?,
                    None => auralis::spectrum::analyze(&audio, &settings)?,
                })
            } else {
                None
            };
            let loudness_settings =
                wanted(Section::Loudness).then(auralis::loudness::LoudnessSettings::default);
            let (want_features, want_tempo) = (wanted(Section::Features), wanted(Section::Tempo));
            let feature_settings = (want_features || want_tempo)
                .then(|| auralis::features::FeatureSettings::with_parts(want_features, want_tempo));
            let analysis = match forced {
                Some(kind) => auralis::analysis::Analysis::from_parts(
                    loudness_settings
                        .map(|s| auralis::loudness::measure_with(kind, &audio, &s))
                        .transpose()?,
                    feature_settings
                        .map(|s| auralis::features::extract_with(kind, &audio, &s))
                        .transpose()?,
                ),
                None => auralis::analysis::analyze(
                    &audio,
                    &auralis::analysis::AnalysisSettings::new(loudness_settings, feature_settings),
                )?,
            };
            let sections = crate::analysis::Sections {
                spectrum: spectrum.as_ref(),
                loudness: analysis.loudness.as_ref(),
                features: analysis
                    .features
                    .as_ref()
                    .map(|f| (f, want_features, want_tempo)),
            };
            let text = if json {
                crate::analysis::json(&file, &audio, &sections)?
            } else {
                let mut text = String::new();
                if let Some(r) = &spectrum {
                    text.push_str(&spectrum_table(&file, &audio, r));
                }
                if let Some(r) = &analysis.loudness {
                    text.push_str(&crate::analysis::loudness_table(r));
                }
                if let Some(r) = &analysis.features {
                    text.push_str(&crate::analysis::features_table(
                        r,
                        want_features,
                        want_tempo,
                    ));
                }
                text
            };
            console::out(&text)
        }
        Command::Eq {
            io,
            gains,
            preset,
            hop,
        } => {
            let gains =
                match (gains, preset) {
                    // `--gains warm` is the preset, as `--preset warm` is: `EqGains::preset`
                    // knows the names; anything else is parsed as numbers (and its error
                    // is the one reported).
                    (Some(list), _) => match EqGains::preset(&list) {
                        Ok(gains) => gains,
                        Err(_) => parse_gains(&list)?,
                    },
                    (None, Some(name)) => EqGains::preset(&name)?,
                    (None, None) => return Err(CliError::usage(
                        "give --gains \"g1,…,g25\" or --preset NAME (flat, warm, bright, balanced)",
                    )),
                };
            let settings = EqSettings {
                gains,
                hop,
                ..EqSettings::default()
            };
            let output = prepare(&io.input, &io.output, io.format, io.overwrite)?;
            // A WAV or FLAC file goes chunk by chunk through the EQ's stream (bounded memory).
            if let Some(reader) = crate::streamed::open(&io.input, forced) {
                let stream = EqStream::new(&settings, reader.channels(), reader.sample_rate())?;
                return crate::streamed::run(
                    reader,
                    &output,
                    None,
                    stream,
                    auralis::without_gain,
                    &mut |_| {},
                );
            }
            let audio = read(&io.input)?;
            output.check_fits(&audio)?;
            let out = match forced {
                Some(kind) => auralis::eq::process_with(kind, &audio, &settings)?,
                None => auralis::eq::process(&audio, &settings)?,
            };
            output.write(&out, None)
        }
        Command::Compress {
            io,
            threshold,
            ratio,
            knee,
            attack,
            release,
            lookahead,
            makeup,
        } => {
            let settings = auralis::dynamics::DynamicsSettings {
                compressor: Some(CompressorSettings {
                    threshold_db: threshold,
                    ratio,
                    knee_db: knee,
                    attack_ms: attack,
                    release_ms: release,
                    lookahead_ms: lookahead,
                    makeup_db: makeup,
                }),
                limiter: None,
            };
            run_dynamics(&io, &settings, forced)
        }
        Command::Master {
            paths,
            format,
            overwrite,
            mastering,
            report,
            batch,
        } => {
            let options = crate::master::Options {
                preset: mastering.preset,
                reference: mastering.reference,
                target_lufs: mastering.target_lufs,
                ceiling: mastering.ceiling,
                strip_metadata: mastering.strip_metadata,
                sample_rate: mastering.sample_rate,
                forced,
            };
            match batch.out_dir {
                Some(out_dir) => crate::batch::run(
                    crate::batch::BatchArgs {
                        inputs: paths,
                        out_dir,
                        format,
                        overwrite,
                        jobs: batch.jobs,
                        skip_existing: batch.skip_existing,
                        shard: batch.shard,
                        dry_run: batch.dry_run,
                        summary: batch.summary,
                        state_dir: batch.state_dir,
                    },
                    &options,
                ),
                None => {
                    let [input, output] = <[PathBuf; 2]>::try_from(paths).map_err(|paths| {
                        CliError::usage(format!(
                            "master takes IN OUT ({} path(s) given); for many tracks use \
                             --out-dir DIR INPUT...",
                            paths.len()
                        ))
                    })?;
                    crate::master::run(
                        &input,
                        &crate::master::Request {
                            output: &output,
                            format,
                            overwrite,
                            report: report.as_deref(),
                            options,
                        },
                    )
                }
            }
        }
        Command::Limit {
            io,
            ceiling,
            release,
            lookahead,
            true_peak,
        } => {
            let settings = auralis::dynamics::DynamicsSettings {
                compressor: None,
                limiter: Some(LimiterSettings {
                    ceiling_db: ceiling,
                    release_ms: release,
                    lookahead_ms: lookahead,
                    mode: if true_peak {
                        PeakMode::True
                    } else {
                        PeakMode::Sample
                    },
                }),
            };
            run_dynamics(&io, &settings, forced)
        }
    }
}

fn run_dynamics(
    io: &IoArgs,
    settings: &auralis::dynamics::DynamicsSettings,
    forced: Option<ImplKind>,
) -> Result<(), CliError> {
    let output = prepare(&io.input, &io.output, io.format, io.overwrite)?;
    // Integer codes stay within the limiter's ceiling (a sample at the ceiling rounds
    // toward zero rather than one step over it).
    let ceiling = settings
        .limiter
        .as_ref()
        .map(|l| 10f32.powf(l.ceiling_db / 20.0));
    // A WAV or FLAC file goes chunk by chunk through the dynamics stream (bounded memory); the
    // gain-reduction figures come from the gain it applied.
    if let Some(reader) = crate::streamed::open(&io.input, forced) {
        let (frames_total, rate) = (reader.frames(), reader.sample_rate());
        let stream = DynamicsStream::new(settings, reader.channels(), rate)?;
        let makeup = settings.compressor.as_ref().map_or(0.0, |c| c.makeup_db);
        let (mut max, mut sum, mut over) = (0.0f32, 0.0f64, 0u64);
        let mut on_gain = |gain: &[f32]| {
            for &g in gain {
                let reduction = (makeup - g).max(0.0);
                max = max.max(reduction);
                sum += f64::from(reduction);
                over += u64::from(reduction > 0.0);
            }
        };
        crate::streamed::run(
            reader,
            &output,
            ceiling,
            stream,
            auralis::dynamics::with_gain,
            &mut on_gain,
        )?;
        console::note(&format!(
            "gain reduction: max {max:.2} dB, mean {:.2} dB, {:.2} s reducing",
            sum / frames_total.max(1) as f64,
            over as f64 / f64::from(rate)
        ));
        return Ok(());
    }
    let audio = read(&io.input)?;
    output.check_fits(&audio)?;
    let out: DynamicsOutput = match forced {
        Some(kind) => auralis::dynamics::process_with(kind, &audio, settings)?,
        None => auralis::dynamics::process(&audio, settings)?,
    };
    output.write(&out.audio, ceiling)?;
    console::note(&format!(
        "gain reduction: max {:.2} dB, mean {:.2} dB, {:.2} s over threshold",
        out.stats.max_reduction_db, out.stats.mean_reduction_db, out.stats.time_over_threshold_secs
    ));
    Ok(())
}

/// Parses `--gains`, warning about values clipped to ±12 dB (the EQ clips them; silently,
/// a user asking for +20 dB would not know they got +12).
fn parse_gains(list: &str) -> Result<EqGains, CliError> {
    let (gains, clipped) = EqGains::parse_noting_clipped(list)?;
    if !clipped.is_empty() {
        let values: Vec<String> = clipped.iter().map(|v| v.to_string()).collect();
        console::note(&format!(
            "auralis: warning: gain values {} are beyond ±{} dB and were clipped to it",
            values.join(", "),
            auralis::eq::MAX_GAIN_DB
        ));
    }
    Ok(gains)
}

fn spectrum_table(file: &Path, audio: &AudioBuffer, r: &SpectrumResult) -> String {
    use std::fmt::Write;
    let mut t = String::new();
    let _ = writeln!(
        t,
        "{}: {} ch, {} Hz, {:.2} s, {} frames (fft {}, hop {}, {:?}-weighted)",
        file.display(),
        audio.num_channels(),
        audio.sample_rate(),
        audio.duration_secs(),
        r.frames,
        r.settings.fft_size,
        r.settings.hop,
        r.settings.weighting
    );
    // Silence has no peak, centroid or rolloff: "—", as `null` is in JSON.
    let value = |v: Option<f32>, decimals: usize| match v {
        Some(v) => format!("{v:>10.decimals$}"),
        None => format!("{:>10}", "—"),
    };
    let _ = writeln!(t, "peak frequency  {} Hz", value(r.peak_frequency_hz, 1));
    let _ = writeln!(t, "centroid        {} Hz", value(r.centroid_hz, 1));
    let _ = writeln!(t, "rolloff (85 %)  {} Hz", value(r.rolloff_hz, 1));
    let _ = writeln!(
        t,
        "total energy    {} dB re |X| = 1 (unnormalised FFT)",
        value(r.total_energy_db, 2)
    );
    if r.silent_frames > 0 {
        let _ = writeln!(
            t,
            "silent frames   {:>10} of {} (left out of the means above)",
            r.silent_frames, r.frames
        );
    }
    // Bands numbered from 1, as `--gains` values are.
    let _ = writeln!(t, "band  lower Hz   upper Hz  centre Hz   level dB");
    for i in 0..r.band_levels_db.len() {
        let _ = writeln!(
            t,
            "{:>4} {:>9.1} {:>10.1} {:>10.1} {:>10.2}",
            i + 1,
            r.band_lower_edges_hz[i],
            r.band_upper_edges_hz[i],
            r.band_centres_hz[i],
            r.band_levels_db[i]
        );
    }
    t
}
