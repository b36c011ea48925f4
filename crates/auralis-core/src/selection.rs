//! The schema of `reports/selection.json`: which implementation runs by default, per stage
//! and input size.
//!
//! The lab (`cargo xtask select`) writes it from a measured report; the facade crate compiles
//! it in and obeys it. It lives here, in the crate both depend on, so the writer and the
//! reader cannot drift apart.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::stage::ImplKind;

/// Version of the `selection.json` layout; bump on incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// Default implementation per stage and size bucket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Selection {
    pub schema_version: u32,
    /// Where the numbers came from (report commit and machine), for humans.
    pub source: String,
    /// Per stage name (`"spectrum"`, `"eq"`, …).
    pub stages: BTreeMap<String, StageSelection>,
    /// How a batch of tracks runs best on the measured machine (absent in older files: then
    /// one track per core).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch: Option<BatchSelection>,
}

/// How many tracks a batch keeps in flight by default, as the lab's `batch` measurement
/// decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BatchStrategy {
    /// One track at a time, each with the single-thread pipeline.
    Sequential,
    /// One track per core at once.
    AcrossFiles,
    /// One track at a time, each with the parallel pipeline.
    WithinFiles,
}

/// The batch decision and its evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchSelection {
    pub strategy: BatchStrategy,
    /// Why: the measured throughputs.
    pub reason: String,
}

/// The buckets of one stage, ordered by increasing size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageSelection {
    pub buckets: Vec<Bucket>,
    /// Sizes (frames per channel) at which the selected implementation changes.
    #[serde(default)]
    pub crossovers: Vec<Crossover>,
}

/// One size bucket: inputs up to `max_frames` frames per channel (inclusive; `None` = no
/// upper bound) run `implementation`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bucket {
    /// The fixture the decision was measured on, e.g. `"music-30s"`.
    pub measured_on: String,
    pub max_frames: Option<u64>,
    pub implementation: ImplKind,
    /// Why: speed-up over the reference and the evidence for it (paired ratio, its
    /// confidence bound, rounds), or why the reference was kept.
    pub reason: String,
}

/// A size where the default changes from one implementation to another.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Crossover {
    pub at_frames: u64,
    pub from: ImplKind,
    pub to: ImplKind,
}

impl Selection {
    /// An empty selection: every stage runs its reference.
    pub fn empty() -> Self {
        Selection {
            schema_version: SCHEMA_VERSION,
            source: "none".into(),
            stages: BTreeMap::new(),
            batch: None,
        }
    }

    /// Tracks in flight for a batch on a machine with `cores` cores: one per core when
    /// across-files parallelism won (or nothing was measured), else one.
    pub fn batch_jobs(&self, cores: usize) -> usize {
        match self.batch.as_ref().map(|b| b.strategy) {
            Some(BatchStrategy::Sequential | BatchStrategy::WithinFiles) => 1,
            Some(BatchStrategy::AcrossFiles) | None => cores.max(1),
        }
    }

    /// The implementation to run for `stage` on an input of `frames` frames per channel.
    /// Stages or sizes the selection does not cover fall back to the reference, which is
    /// always correct.
    pub fn choose(&self, stage: &str, frames: u64) -> ImplKind {
        self.stages
            .get(stage)
            .and_then(|s| {
                s.buckets
                    .iter()
                    .find(|b| b.max_frames.is_none_or(|max| frames <= max))
            })
            .map(|b| b.implementation)
            .unwrap_or(ImplKind::Reference)
    }
}

impl StageSelection {
    /// Builds the crossover list from consecutive buckets.
    pub fn with_crossovers(buckets: Vec<Bucket>) -> Self {
        let crossovers = buckets
            .windows(2)
            .filter(|w| w[0].implementation != w[1].implementation)
            .filter_map(|w| {
                w[0].max_frames.map(|m| Crossover {
                    at_frames: m + 1,
                    from: w[0].implementation,
                    to: w[1].implementation,
                })
            })
            .collect();
        StageSelection {
            buckets,
            crossovers,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bucket(max: Option<u64>, kind: ImplKind) -> Bucket {
        Bucket {
            measured_on: "t".into(),
            max_frames: max,
            implementation: kind,
            reason: String::new(),
        }
    }

    #[test]
    fn chooses_by_size_and_falls_back_to_reference() {
        let mut sel = Selection::empty();
        sel.stages.insert(
            "spectrum".into(),
            StageSelection::with_crossovers(vec![
                bucket(Some(1000), ImplKind::Vectorized),
                bucket(None, ImplKind::Parallel),
            ]),
        );
        assert_eq!(sel.choose("spectrum", 10), ImplKind::Vectorized);
        assert_eq!(sel.choose("spectrum", 1000), ImplKind::Vectorized);
        assert_eq!(sel.choose("spectrum", 1001), ImplKind::Parallel);
        assert_eq!(sel.choose("eq", 10), ImplKind::Reference);
        let s = &sel.stages["spectrum"];
        assert_eq!(
            s.crossovers,
            vec![Crossover {
                at_frames: 1001,
                from: ImplKind::Vectorized,
                to: ImplKind::Parallel
            }]
        );
        let json = serde_json::to_string(&sel).unwrap();
        assert_eq!(serde_json::from_str::<Selection>(&json).unwrap(), sel);
    }
}
