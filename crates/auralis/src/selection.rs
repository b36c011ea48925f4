//! The measured defaults, compiled in from `reports/selection.json`.
//!
//! `cargo xtask select` rewrites that file from a benchmark report; rebuilding this crate picks
//! the new choices up. A stage or size the file does not cover runs the reference, which is
//! always correct.

use std::sync::OnceLock;

use auralis_core::selection::{Selection, SCHEMA_VERSION};
use auralis_core::{AudioBuffer, ImplKind, Result, Stage};

/// The committed selection file, as text.
pub const SELECTION_JSON: &str = include_str!("../../../reports/selection.json");

/// The parsed selection. A file that does not parse (or has another schema version) is a
/// build-time mistake caught by this crate's tests; at run time it degrades to "reference
/// everywhere" rather than failing the user's call.
pub fn selection() -> &'static Selection {
    static PARSED: OnceLock<Selection> = OnceLock::new();
    PARSED.get_or_init(|| parse(SELECTION_JSON).unwrap_or_else(|_| Selection::empty()))
}

fn parse(text: &str) -> Result<Selection, String> {
    let selection: Selection = serde_json::from_str(text).map_err(|e| e.to_string())?;
    if selection.schema_version != SCHEMA_VERSION {
        return Err(format!(
            "selection.json has schema version {}, this build reads {SCHEMA_VERSION}",
            selection.schema_version
        ));
    }
    Ok(selection)
}

/// The implementation selected for `stage` on `audio`.
pub fn choose(stage: &str, audio: &AudioBuffer) -> ImplKind {
    selection().choose(stage, audio.len() as u64)
}

/// Tracks a batch keeps in flight by default on a machine with `cores` cores (the lab's
/// `batch` measurement; see [`Selection::batch_jobs`]).
pub fn batch_jobs(cores: usize) -> usize {
    selection().batch_jobs(cores)
}

/// The one path every facade call takes: `stage` run with the implementation selected for
/// its name and `audio`'s length. (Each facade function is this plus its stage: no stage
/// re-derives its selection key or its dispatch.)
pub fn run<S: Stage>(stage: &S, audio: &AudioBuffer, settings: &S::Settings) -> Result<S::Output> {
    stage.run(choose(stage.name(), audio), audio, settings)
}

/// [`run`], reusing `output`'s allocations where the stage can ([`Stage::run_into`]).
pub fn run_into<S: Stage>(
    stage: &S,
    audio: &AudioBuffer,
    settings: &S::Settings,
    output: &mut Option<S::Output>,
) -> Result<()> {
    stage.run_into(choose(stage.name(), audio), audio, settings, output)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn committed_selection_parses() {
        parse(SELECTION_JSON).expect("reports/selection.json must parse with the current schema");
    }

    #[test]
    fn wrong_schema_version_is_rejected() {
        let text = SELECTION_JSON.replacen(
            &format!("\"schema_version\": {SCHEMA_VERSION}"),
            "\"schema_version\": 999",
            1,
        );
        assert!(parse(&text).is_err());
    }
}
