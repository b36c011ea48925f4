//! The stages the lab measures. Adding a stage is one line here (see `ARCHITECTURE.md`).

use auralis_core::LabStage;

use crate::error::{LabError, LabResult};

/// Every registered stage, with the settings it is benchmarked at, in report order.
pub fn standard_stages() -> Vec<Box<dyn LabStage>> {
    vec![
        Box::new(auralis_spectrum::SpectrumStage),
        Box::new(auralis_eq::EqStage::default()),
        Box::new(auralis_eq::EqStage::hop_2048()),
        Box::new(auralis_dynamics::DynamicsStage::default()),
        // With its peer meters (`peers.rs`), timed beside it and never selected.
        Box::new(crate::peers::LoudnessWithPeers),
        Box::new(auralis_features::FeaturesStage),
        Box::new(auralis_pipeline::PipelineStage),
    ]
}

/// Keeps the stages named in `names` (all of them when `names` is empty), in registry order.
/// An unknown name is a usage error that lists the valid ones.
pub fn filter_stages(
    stages: Vec<Box<dyn LabStage>>,
    names: &[String],
) -> LabResult<Vec<Box<dyn LabStage>>> {
    if let Some(unknown) = names
        .iter()
        .find(|n| !stages.iter().any(|s| s.name() == n.as_str()))
    {
        let valid: Vec<&str> = stages.iter().map(|s| s.name()).collect();
        return Err(LabError::Usage(format!(
            "unknown stage `{unknown}`; valid stages: {}",
            valid.join(", ")
        )));
    }
    if names.is_empty() {
        return Ok(stages);
    }
    Ok(stages
        .into_iter()
        .filter(|s| names.iter().any(|n| n == s.name()))
        .collect())
}
