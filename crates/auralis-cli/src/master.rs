//! `auralis master`: one track through the mastering chain, with a before/after table and
//! an optional JSON report (its keys are a promise to scripts, versioned by
//! [`REPORT_SCHEMA_VERSION`]).

use std::fmt::Write as _;
use std::path::Path;
use std::sync::Mutex;
use std::time::Instant;

use auralis::pipeline::{
    LoudnessSummary, MasterReport, Mastered, Pipeline, PipelineSettings, Source, Spool,
    StreamedMaster,
};
use auralis::ImplKind;
use serde_json::{json, Value};

use crate::analysis::{cell, loudness_json};
use crate::commands::{read, CliError};
use crate::console;
use crate::output::{prepare, Format, Metadata, PreparedOutput};
use crate::source::InputSource;

/// Version of `master --report`'s layout; bumped when a key is renamed, removed or changes
/// meaning (adding keys does not bump it).
pub const REPORT_SCHEMA_VERSION: u32 = 1;

/// What the command line asked for.
pub struct Request<'a> {
    pub output: &'a Path,
    pub format: Option<Format>,
    pub overwrite: bool,
    pub report: Option<&'a Path>,
    pub options: Options,
}

/// The mastering options one file and a batch share.
pub struct Options {
    pub preset: Option<String>,
    pub reference: Option<std::path::PathBuf>,
    pub target_lufs: Option<f64>,
    pub ceiling: f64,
    pub strip_metadata: bool,
    pub sample_rate: Option<u32>,
    /// `--impl`, if given.
    pub forced: Option<ImplKind>,
}

/// The pipeline settings for each sample rate met, built from a preset or from a reference
/// analysed once per rate (streamed from a WAV at its own rate; decoded and converted for
/// another rate), so a batch does not re-read and re-analyse its reference for every track.
pub struct SettingsSource {
    options_target: Option<f64>,
    ceiling: f64,
    preset: Option<String>,
    reference: Option<std::path::PathBuf>,
    built: Mutex<Vec<(u32, PipelineSettings)>>,
}

impl SettingsSource {
    /// Checks the preset name, and reads and analyses the reference now (at its own rate),
    /// before any track is touched.
    pub fn new(options: &Options) -> Result<Self, CliError> {
        let source = SettingsSource {
            options_target: options.target_lufs,
            ceiling: options.ceiling,
            preset: options.preset.clone(),
            reference: options.reference.clone(),
            built: Mutex::new(Vec::new()),
        };
        match &source.reference {
            Some(path) => {
                let mut reference = InputSource::open(path, None)?;
                let rate = reference.sample_rate();
                source.remember(rate, PipelineSettings::reference_from(&mut reference)?);
            }
            None => {
                PipelineSettings::preset(source.preset.as_deref().unwrap_or("balanced"))?;
            }
        }
        Ok(source)
    }

    fn remember(&self, rate: u32, mut settings: PipelineSettings) -> PipelineSettings {
        settings.target_lufs = self.options_target;
        settings.ceiling_dbtp = self.ceiling;
        let mut built = self.built.lock().unwrap_or_else(|e| e.into_inner());
        built.push((rate, settings.clone()));
        settings
    }

    /// The settings for a track at `rate`.
    pub fn for_rate(&self, rate: u32) -> Result<PipelineSettings, CliError> {
        {
            let built = self.built.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((_, settings)) = built.iter().find(|(r, _)| *r == rate) {
                return Ok(settings.clone());
            }
        }
        let settings = match &self.reference {
            // A reference at another rate is converted to the master's rate.
            Some(path) => {
                PipelineSettings::reference_from(&mut InputSource::open(path, Some(rate))?)?
            }
            None => PipelineSettings::preset(self.preset.as_deref().unwrap_or("balanced"))?,
        };
        Ok(self.remember(rate, settings))
    }
}

/// What happens while one track is mastered, for progress displays.
pub enum Event<'a> {
    /// Decoded: the track's duration, seconds.
    Decoded(f64),
    /// A step of the chain ([`auralis::pipeline::STEPS`]) is done.
    Step(&'a str),
}

/// Masters `input` into `output` and returns the report (with decode and encode timings)
/// and the input's duration. The one path both `master IN OUT` and a batch take, so a
/// batch's outputs are the single-file command's, bit for bit.
///
/// The chain runs streamed ([`Pipeline::master_stream`]): a WAV input is read chunk by chunk
/// in each pass, a FLAC/MP3/Ogg/AIFF input packet by packet (see [`InputSource`]), and the
/// passes meet in unnamed temporary files beside the output, so memory does not grow with
/// the track. The bits depend on the samples and settings only — not on the format they came in, the thread
/// count or the track's length. `--impl` runs the in-memory chain with that implementation
/// instead (for comparing implementations; its output is within the lab's tolerances of the
/// streamed one, not equal to it).
pub fn master_file(
    input: &Path,
    output: &PreparedOutput,
    options: &Options,
    settings: &SettingsSource,
    observe: &mut dyn FnMut(Event<'_>),
) -> Result<(MasterReport, f64), CliError> {
    if let Some(kind) = options.forced {
        return master_in_memory(input, output, options, settings, kind, observe);
    }
    let clock = Instant::now();
    let mut source = InputSource::open(input, options.sample_rate)?;
    let (channels, rate, frames) = (source.channels(), source.sample_rate(), source.frames());
    let duration = frames as f64 / f64::from(rate);
    observe(Event::Decoded(duration));
    output.check_shape(channels, frames, rate)?;
    let pipeline = Pipeline::new(settings.for_rate(rate)?, rate)?;
    let scratch = output.scratch_dir();
    let spool =
        || Spool::in_dir(&scratch, channels, rate).map_err(|e| CliError::other(e.to_string()));
    let decode_ms = clock.elapsed().as_secs_f64() * 1e3;
    let StreamedMaster {
        report,
        audio: mut master,
        frames,
    } = pipeline
        .master_stream(&mut source, spool()?, spool()?, &mut |step| {
            observe(Event::Step(step))
        })
        .map_err(|e| match e {
            // The temporary files failed (a full disk): exit 1, not a usage error.
            auralis::Error::Io(_) => CliError::other(e.to_string()),
            e => e.into(),
        })?;
    let seed = source
        .seed()
        .ok_or_else(|| CliError::other("the input was not read to its end"))?;
    drop(source);

    let clock = Instant::now();
    let metadata = output_metadata(
        input,
        output.is_flac(),
        options.strip_metadata,
        &report.output,
    );
    let format = output.sample_format();
    let mut position = 0u64;
    // TPDF dither for integer formats, by position; integer codes stay within the ceiling
    // (a sample at it rounds toward zero).
    let mut next = |chunk: &mut Vec<f32>| -> Result<(), auralis::io::IoError> {
        master
            .read(chunk, auralis::pipeline::chunk_frames(channels))
            .map_err(|e| auralis::io::IoError::Io {
                path: scratch.clone(),
                action: "cannot read back",
                source: std::io::Error::other(e.to_string()),
            })?;
        auralis::io::dither_interleaved(chunk, position, channels, format, seed);
        position += (chunk.len() / channels) as u64;
        Ok(())
    };
    output.write_stream_tagged(
        (channels, frames, rate),
        Some(10f32.powf(options.ceiling as f32 / 20.0)),
        &metadata,
        &mut next,
    )?;
    Ok((with_io_timings(report, decode_ms, clock), duration))
}

/// `report` with the decode time and the encode time since `encode_started`.
fn with_io_timings(
    mut report: MasterReport,
    decode_ms: f64,
    encode_started: Instant,
) -> MasterReport {
    report.timings_ms.insert("decode", decode_ms);
    report
        .timings_ms
        .insert("encode", encode_started.elapsed().as_secs_f64() * 1e3);
    report
}

/// `--impl KIND`: the in-memory chain with one implementation, on the input decoded whole.
fn master_in_memory(
    input: &Path,
    output: &PreparedOutput,
    options: &Options,
    settings: &SettingsSource,
    kind: ImplKind,
    observe: &mut dyn FnMut(Event<'_>),
) -> Result<(MasterReport, f64), CliError> {
    let clock = Instant::now();
    let audio = read(input)?;
    let duration = audio.duration_secs();
    observe(Event::Decoded(duration));
    // Dither seeded from the input's content (as read): a re-run gives the same bits.
    let seed = auralis::io::content_seed(&audio);
    let audio = match options.sample_rate {
        Some(rate) => auralis::io::convert_rate(&audio, rate).map_err(CliError::usage)?,
        None => audio,
    };
    output.check_fits(&audio)?;
    let settings = settings.for_rate(audio.sample_rate())?;
    let decode_ms = clock.elapsed().as_secs_f64() * 1e3;

    let pipeline = Pipeline::new(settings, audio.sample_rate())?;
    // The input by value: freed once the EQ has read it.
    let mastered =
        pipeline.process_owned_observed(kind, audio, &mut |step| observe(Event::Step(step)))?;
    let clock = Instant::now();
    let Mastered { audio, report } = mastered;
    let audio = auralis::io::dither_tpdf(audio, output.sample_format(), seed);
    let metadata = output_metadata(
        input,
        output.is_flac(),
        options.strip_metadata,
        &report.output,
    );
    output.write_tagged(
        &audio,
        Some(10f32.powf(options.ceiling as f32 / 20.0)),
        &metadata,
    )?;
    Ok((with_io_timings(report, decode_ms, clock), duration))
}

/// The tags a master carries: the input's (minus stale loudness tags) and the master's own
/// loudness as ReplayGain 2 (reference −18 LUFS, peak = true peak, linear) and R128 (Q7.8
/// gain to −23 LUFS, RFC 7845) tags.
pub fn master_tags(
    input_tags: Vec<(String, String)>,
    output: &LoudnessSummary,
) -> Vec<(String, String)> {
    let mut tags: Vec<(String, String)> = input_tags
        .into_iter()
        .filter(|(k, _)| !(k.starts_with("REPLAYGAIN_") || k.starts_with("R128_")))
        .collect();
    if let Some(l) = output.integrated_lufs {
        tags.push((
            "REPLAYGAIN_TRACK_GAIN".into(),
            format!("{:.2} dB", -18.0 - l),
        ));
        let r128 = ((-23.0 - l) * 256.0).round().clamp(-32768.0, 32767.0) as i32;
        tags.push(("R128_TRACK_GAIN".into(), r128.to_string()));
    }
    if let Some(tp) = output.true_peak_dbtp {
        tags.push((
            "REPLAYGAIN_TRACK_PEAK".into(),
            format!("{:.6}", 10f64.powf(tp / 20.0)),
        ));
    }
    tags
}

/// Masters `input` as `request` says.
pub fn run(input: &Path, request: &Request<'_>) -> Result<(), CliError> {
    let output = prepare(input, request.output, request.format, request.overwrite)?;
    if let Some(report) = request.report {
        if report == input || report == request.output {
            return Err(CliError::usage(format!(
                "--report {} is the input or the output; choose another path",
                report.display()
            )));
        }
    }
    let settings = SettingsSource::new(&request.options)?;
    let mut bar = None;
    let (report, _) =
        master_file(
            input,
            &output,
            &request.options,
            &settings,
            &mut |event| match event {
                Event::Decoded(secs) => bar = progress_bar(secs),
                Event::Step(step) => {
                    if let Some(bar) = &bar {
                        bar.inc(1);
                        bar.set_message(format!("{step} done"));
                    }
                }
            },
        )?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    if let Some(path) = request.report {
        let text = serde_json::to_string_pretty(&report_json(input, request.output, &report))
            .map_err(CliError::other)?
            + "\n";
        auralis::io::write_atomically(path, text.as_bytes())
            .map_err(|e| CliError::other(format!("cannot write the report: {e}")))?;
    }
    let table = table(&report);
    if request.output == Path::new("-") {
        // Standard output carries the audio: the table goes to standard error.
        for line in table.lines() {
            console::note(line);
        }
        Ok(())
    } else {
        console::out(&table)
    }
}

/// The metadata the output holds (none with `--strip-metadata`): a FLAC output, the input's
/// tags and the master's loudness tags as Vorbis comments, and the input's pictures (cover
/// art); a WAV output, the input's tags as a `LIST`/`INFO` chunk, a Broadcast WAV `bext`
/// chunk with the EBU Tech 3285 loudness fields (the input's own `bext`, loudness updated,
/// when it is a WAV that has one) and the input's `iXML` chunk as it was.
fn output_metadata(input: &Path, flac: bool, strip: bool, loudness: &LoudnessSummary) -> Metadata {
    if strip {
        return Metadata::default();
    }
    let input_tags = auralis::io::read_tags(input);
    let mut pictures = auralis::io::read_pictures(input);
    if flac {
        let before = pictures.len();
        pictures.retain(|p| p.len() <= auralis::io::MAX_METADATA_BLOCK);
        if pictures.len() < before {
            console::note(&format!(
                "auralis: note: {} picture(s) over 16 MiB left out: a FLAC metadata block holds \
                 at most {} bytes",
                before - pictures.len(),
                auralis::io::MAX_METADATA_BLOCK
            ));
        }
        return Metadata {
            tags: master_tags(input_tags, loudness),
            pictures,
            wav_chunks: None,
        };
    }
    if !pictures.is_empty() || input_tags.iter().any(|(k, _)| k == "ISRC") {
        console::note(
            "auralis: note: a WAV output's INFO list holds no ISRC or artwork; use a .flac \
             output to keep them",
        );
    }
    let wav = auralis::io::read_wav_metadata(input);
    let mut chunks = auralis::io::info_list_chunk(&input_tags).unwrap_or_default();
    chunks.extend(auralis::io::bext_chunk_from(
        wav.bext.as_deref(),
        "mastered by auralis",
        &auralis::io::BextLoudness {
            integrated_lufs: loudness.integrated_lufs,
            range_lu: loudness.range_lu,
            true_peak_dbtp: loudness.true_peak_dbtp,
            momentary_max_lufs: loudness.momentary_max_lufs,
            short_term_max_lufs: loudness.short_term_max_lufs,
        },
    ));
    if let Some(ixml) = &wav.ixml {
        chunks.extend(auralis::io::riff_chunk(b"iXML", ixml));
    }
    Metadata {
        wav_chunks: Some(chunks),
        ..Metadata::default()
    }
}

/// Tracks shorter than this get no progress bar: they are done before it would be read.
const PROGRESS_MIN_SECS: f64 = 10.0;

/// A progress bar over the chain's steps, on a terminal's stderr for tracks longer than
/// [`PROGRESS_MIN_SECS`]; nothing when stderr is a file or a pipe (logs stay clean).
fn progress_bar(duration_secs: f64) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    if duration_secs < PROGRESS_MIN_SECS || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(auralis::pipeline::STEPS.len() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("mastering [{bar:24}] {pos}/{len} {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    Some(bar)
}

/// The `--report` document.
pub fn report_json(input: &Path, output: &Path, r: &MasterReport) -> Value {
    let mut input_section = loudness_json(&r.input);
    input_section["file"] = Value::from(input.display().to_string());
    let mut output_section = loudness_json(&r.output);
    output_section["file"] = Value::from(output.display().to_string());
    json!({
        "schema_version": REPORT_SCHEMA_VERSION,
        "input": input_section,
        "output": output_section,
        "target_lufs": r.target_lufs,
        "ceiling_dbtp": r.ceiling_dbtp,
        "eq_gains_db": r.eq_gains_db,
        "gain_db": r.gain_db,
        "gain_reduction_db": {
            "compressor_max": r.gain_reduction_db.compressor_max_db,
            "compressor_mean": r.gain_reduction_db.compressor_mean_db,
            "limiter_max": r.gain_reduction_db.limiter_max_db,
            "limiter_mean": r.gain_reduction_db.limiter_mean_db,
        },
        "passes": r.passes,
        "warnings": r.warnings,
        "timings_ms": r.timings_ms,
    })
}

/// The before/after table.
pub fn table(r: &MasterReport) -> String {
    let mut t = String::from("                        before        after\n");
    let rows = [
        (
            "integrated",
            r.input.integrated_lufs,
            r.output.integrated_lufs,
            "LUFS",
        ),
        ("loudness range", r.input.range_lu, r.output.range_lu, "LU"),
        (
            "true peak",
            r.input.true_peak_dbtp,
            r.output.true_peak_dbtp,
            "dBTP",
        ),
    ];
    for (name, before, after, unit) in rows {
        let _ = writeln!(
            t,
            "  {name:<20} {:>12} {:>12}",
            cell(before, unit),
            cell(after, unit)
        );
    }
    let _ = writeln!(
        t,
        "  target {:.1} LUFS, ceiling {:.1} dBTP, gain {:+.2} dB, {} pass(es)",
        r.target_lufs, r.ceiling_dbtp, r.gain_db, r.passes
    );
    let gains: Vec<String> = r.eq_gains_db.iter().map(|g| format!("{g:+.1}")).collect();
    let _ = writeln!(
        t,
        "  EQ gains (dB, 25 bands from 0 Hz): {}",
        gains.join(" ")
    );
    let g = &r.gain_reduction_db;
    let _ = writeln!(
        t,
        "  gain reduction: compressor max {:.1} / mean {:.1} dB, limiter max {:.1} / mean {:.2} dB",
        g.compressor_max_db, g.compressor_mean_db, g.limiter_max_db, g.limiter_mean_db
    );
    for w in &r.warnings {
        let _ = writeln!(t, "  warning: {w}");
    }
    t
}
