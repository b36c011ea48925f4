//! Writing what a run produced. Every file is replaced atomically (readers — a CI job, the
//! facade's build — see the old version or the new one, never half of one).

use std::path::{Path, PathBuf};

use auralis_core::selection::Selection;

use crate::error::{LabError, LabResult};
use crate::markdown;
use crate::plots;
use crate::report::Report;

/// Prefixes of the plot files this lab writes (to clear plots of stages no longer run).
const PLOT_PREFIXES: [&str; 4] = ["time_", "speedup_", "stream_", "trace_"];

/// What [`write_reports`] wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct Written {
    pub files: Vec<PathBuf>,
    /// Plots that could not be drawn (the rest of the report is still written).
    pub plot_errors: Vec<String>,
}

/// Writes `report.json`, `REPORT.md` and the plots into `dir` (created if missing), and
/// removes plots of an earlier run that this one did not produce.
pub fn write_reports(report: &Report, dir: &Path) -> LabResult<Written> {
    std::fs::create_dir_all(dir).map_err(|e| {
        LabError::Output(format!("{}: cannot create directory: {e}", dir.display()))
    })?;
    let (plots, plot_errors) = plots::render_all(report);
    let mut files = Vec::new();
    for plot in &plots {
        let path = dir.join(&plot.file);
        write_file(&path, plot.svg.as_bytes())?;
        files.push(path);
    }
    remove_stale_plots(dir, &plots);
    let plot_names: Vec<String> = plots.into_iter().map(|p| p.file).collect();
    let json_path = dir.join("report.json");
    write_file(&json_path, report.to_json()?.as_bytes())?;
    files.push(json_path);
    let md_path = dir.join("REPORT.md");
    write_file(&md_path, markdown::render(report, &plot_names).as_bytes())?;
    files.push(md_path);
    Ok(Written { files, plot_errors })
}

/// Writes `selection` as pretty JSON (with a final newline, like the committed file).
pub fn write_selection(selection: &Selection, path: &Path) -> LabResult<()> {
    let mut json = serde_json::to_string_pretty(selection)
        .map_err(|e| LabError::Output(format!("cannot encode the selection: {e}")))?;
    json.push('\n');
    write_file(path, json.as_bytes())
}

/// Atomically replaces `path` with `bytes`.
pub fn write_file(path: &Path, bytes: &[u8]) -> LabResult<()> {
    auralis_io::write_atomically(path, bytes).map_err(|e| LabError::Output(e.to_string()))
}

fn remove_stale_plots(dir: &Path, current: &[plots::Plot]) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let ours = name.ends_with(".svg") && PLOT_PREFIXES.iter().any(|p| name.starts_with(p));
        if ours && !current.iter().any(|p| p.file == name) {
            // Best effort: a stale plot that cannot be removed is unlinked from REPORT.md anyway.
            let _ = std::fs::remove_file(entry.path());
        }
    }
}
