//! `auralis analyze`'s report: the JSON document (its keys are a promise to scripts, versioned
//! by [`SCHEMA_VERSION`]) and the loudness table.

use std::fmt::Write;
use std::path::Path;

use auralis::features::FeatureResult;
use auralis::loudness::LoudnessResult;
use auralis::pipeline::LoudnessSummary;
use auralis::spectrum::SpectrumResult;
use auralis::AudioBuffer;
use serde_json::{json, Value};

use crate::commands::CliError;

/// Version of `analyze --json`'s layout. Bumped whenever a key is renamed, removed or
/// changes meaning (adding a section or key does not bump it). 1: `spectrum` and `loudness`,
/// then `features` and `tempo` added.
pub const SCHEMA_VERSION: u32 = 1;

/// The sections `analyze` can compute (`--only`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Section {
    Spectrum,
    Loudness,
    Features,
    Tempo,
}

/// A number, or `null` where the quantity does not exist (silence, too short).
pub(crate) fn number(value: Option<f64>) -> Value {
    value
        .filter(|v| v.is_finite())
        .map_or(Value::Null, Value::from)
}

/// The loudness section: the summary a mastering engineer reads (series stay in the library).
/// `auralis master --report` writes the same keys for its input and output.
pub fn loudness_json(l: &LoudnessSummary) -> Value {
    json!({
        "integrated_lufs": number(l.integrated_lufs),
        "range_lu": number(l.range_lu),
        "true_peak_dbtp": number(l.true_peak_dbtp),
        "sample_peak_dbfs": number(l.sample_peak_dbfs),
        "momentary_max_lufs": number(l.momentary_max_lufs),
        "short_term_max_lufs": number(l.short_term_max_lufs),
    })
}

/// The features section: means of the per-frame spectral features and the whole-file levels.
pub fn features_json(r: &FeatureResult) -> Value {
    let means = r.means;
    json!({
        "centroid_hz": number(means.map(|m| m.centroid_hz)),
        "rolloff_hz": number(means.map(|m| m.rolloff_hz)),
        "flatness": number(means.map(|m| m.flatness)),
        "zcr": number(means.map(|m| m.zcr)),
        "crest_db": number(r.crest_db()),
        "rms_dbfs": number(r.rms_dbfs()),
        "peak_dbfs": number(r.peak_dbfs()),
        "dc_offset": number(Some(r.dc_offset())),
        "stereo_correlation": number(r.stereo.map(|s| s.correlation)),
        "stereo_width": number(r.stereo.map(|s| s.width)),
    })
}

/// The tempo section: `bpm` and `beats_s`, or `null`, `[]` and the reason there are none.
pub fn tempo_json(r: &FeatureResult) -> Value {
    match &r.tempo {
        Ok(t) => json!({
            "bpm": t.bpm,
            "beats_s": t.beats_s,
            "pulse_clarity": t.pulse_clarity,
        }),
        Err(reason) => json!({
            "bpm": Value::Null,
            "beats_s": [],
            "absent_reason": reason,
        }),
    }
}

/// What `analyze` computed.
pub struct Sections<'a> {
    pub spectrum: Option<&'a SpectrumResult>,
    pub loudness: Option<&'a LoudnessResult>,
    /// With which of its parts were asked for: (features, tempo).
    pub features: Option<(&'a FeatureResult, bool, bool)>,
}

/// The whole document.
pub fn json(file: &Path, audio: &AudioBuffer, sections: &Sections<'_>) -> Result<String, CliError> {
    let (spectrum, loudness) = (sections.spectrum, sections.loudness);
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
        doc["loudness"] = loudness_json(&LoudnessSummary::from(l));
    }
    if let Some((f, features, tempo)) = sections.features {
        if features {
            doc["features"] = features_json(f);
        }
        if tempo {
            doc["tempo"] = tempo_json(f);
        }
    }
    serde_json::to_string_pretty(&doc)
        .map(|t| t + "\n")
        .map_err(CliError::other)
}

pub(crate) fn cell(value: Option<f64>, unit: &str) -> String {
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

/// The features and tempo parts of the human-readable table.
pub fn features_table(r: &FeatureResult, features: bool, tempo: bool) -> String {
    let mut t = String::new();
    if features {
        t.push_str("features (mono mix; librosa's definitions, STFT 2048/512)\n");
        let m = r.means;
        let plain = |v: Option<f64>, digits: usize| match v.filter(|v| v.is_finite()) {
            Some(v) => format!("{v:.digits$}"),
            None => "—".to_string(),
        };
        let rows = [
            ("spectral centroid", cell(m.map(|m| m.centroid_hz), "Hz")),
            ("85 % rolloff", cell(m.map(|m| m.rolloff_hz), "Hz")),
            ("flatness", plain(m.map(|m| m.flatness), 4)),
            ("zero-crossing rate", plain(m.map(|m| m.zcr), 4)),
            ("RMS", cell(r.rms_dbfs(), "dBFS")),
            ("crest factor", cell(r.crest_db(), "dB")),
            (
                "stereo correlation",
                plain(r.stereo.map(|s| s.correlation), 3),
            ),
            ("stereo width (S/M)", plain(r.stereo.map(|s| s.width), 3)),
        ];
        for (name, value) in rows {
            let _ = writeln!(t, "  {name:<22} {value}");
        }
    }
    if tempo {
        t.push_str("tempo\n");
        match &r.tempo {
            Ok(tempo) => {
                let _ = writeln!(t, "  {:<22} {:.1} BPM", "tempo", tempo.bpm);
                let _ = writeln!(
                    t,
                    "  {:<22} {} (first at {:.2} s)",
                    "beats",
                    tempo.beats_s.len(),
                    tempo.beats_s.first().copied().unwrap_or(f64::NAN)
                );
            }
            Err(reason) => {
                let _ = writeln!(t, "  {:<22} — ({reason})", "tempo");
            }
        }
    }
    t
}
