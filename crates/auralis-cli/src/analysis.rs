//! `auralis analyze`'s report: the JSON document (its keys are a promise to scripts, versioned
//! by [`SCHEMA_VERSION`]) and the loudness table.

use std::fmt::Write;
use std::path::Path;

use auralis::loudness::LoudnessResult;
use auralis::spectrum::SpectrumResult;
use auralis::AudioBuffer;
use serde_json::{json, Value};

use crate::commands::CliError;

/// Version of `analyze --json`'s layout. Bumped whenever a key is renamed, removed or
/// changes meaning (adding a section or key does not bump it). 1: `spectrum` and `loudness`.
pub const SCHEMA_VERSION: u32 = 1;

/// The sections `analyze` can compute (`--only`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Section {
    Spectrum,
    Loudness,
}

/// A number, or `null` where the quantity does not exist (silence, too short).
fn number(value: Option<f64>) -> Value {
    value
        .filter(|v| v.is_finite())
        .map_or(Value::Null, Value::from)
}

/// The loudness section: the summary a mastering engineer reads (series stay in the library).
pub fn loudness_json(r: &LoudnessResult) -> Value {
    json!({
        "integrated_lufs": number(r.integrated_lufs),
        "range_lu": number(r.range_lu),
        "true_peak_dbtp": number(r.true_peak_dbtp()),
        "sample_peak_dbfs": number(r.sample_peak_dbfs()),
        "momentary_max_lufs": number(r.momentary_max_lufs),
        "short_term_max_lufs": number(r.short_term_max_lufs),
    })
}

/// The whole document.
pub fn json(
    file: &Path,
    audio: &AudioBuffer,
    spectrum: Option<&SpectrumResult>,
    loudness: Option<&LoudnessResult>,
) -> Result<String, CliError> {
    let mut doc = json!({
        "schema_version": SCHEMA_VERSION,
        "file": file.display().to_string(),
        "channels": audio.num_channels(),
        "sample_rate": audio.sample_rate(),
        "duration_s": audio.duration_secs(),
    });
    if let Some(s) = spectrum {
        doc["spectrum"] = serde_json::to_value(s).map_err(CliError::other)?;
    }
    if let Some(l) = loudness {
        doc["loudness"] = loudness_json(l);
    }
    serde_json::to_string_pretty(&doc)
        .map(|t| t + "\n")
        .map_err(CliError::other)
}

fn cell(value: Option<f64>, unit: &str) -> String {
    match value.filter(|v| v.is_finite()) {
        Some(v) => format!("{v:.2} {unit}"),
        None => "—".to_string(),
    }
}

/// The loudness part of the human-readable table.
pub fn loudness_table(r: &LoudnessResult) -> String {
    let mut t = String::from("loudness (BS.1770-4 / EBU R128)\n");
    let rows = [
        ("integrated", cell(r.integrated_lufs, "LUFS")),
        ("loudness range", cell(r.range_lu, "LU")),
        ("true peak", cell(r.true_peak_dbtp(), "dBTP")),
        ("sample peak", cell(r.sample_peak_dbfs(), "dBFS")),
        ("max momentary", cell(r.momentary_max_lufs, "LUFS")),
        ("max short-term", cell(r.short_term_max_lufs, "LUFS")),
    ];
    for (name, value) in rows {
        let _ = writeln!(t, "  {name:<22} {value}");
    }
    if let Some(reason) = r.integrated_absent_reason() {
        let _ = writeln!(t, "  (no integrated loudness: {reason})");
    }
    t
}
