//! Summary statistics and the plot trace of a gain trajectory.

use auralis_core::{AudioBuffer, Result, Trace};

use crate::engine::RangeSummary;
use crate::settings::DynamicsSettings;
use crate::{DynamicsOutput, GainStats};

/// Points in the decimated gain-reduction trace.
pub(crate) const TRACE_POINTS: usize = 2000;

pub(crate) fn makeup_db(settings: &DynamicsSettings) -> f32 {
    settings.compressor.as_ref().map_or(0.0, |c| c.makeup_db)
}

/// Output storage: one `len`-sample vector per channel plus the gain trajectory, fresh or
/// recycled from an earlier output (see [`crate::process_into`]). Recycled vectors hold stale
/// values; the engine stores every output frame (it never accumulates), so they need no
/// zeroing — the test `outputs_written_into_reused_buffers_equal_fresh_ones` holds every
/// implementation to that.
pub(crate) struct Storage {
    pub channels: Vec<Vec<f32>>,
    pub gain_db: Vec<f32>,
}

impl Storage {
    pub fn new(old: Option<DynamicsOutput>, audio: &AudioBuffer) -> Self {
        let (old_audio, mut gain_db) = match old {
            Some(o) => (Some(o.audio), o.gain_db),
            None => (None, Vec::new()),
        };
        gain_db.resize(audio.len(), 0.0);
        Storage {
            channels: AudioBuffer::recycle(old_audio, audio.num_channels(), audio.len()),
            gain_db,
        }
    }
}

/// Packs processed channels, the gain trajectory and the statistics gathered on the way
/// ([`RangeSummary`]) into the output. The engine driver checked every output chunk for
/// non-finite samples while it was in cache; only if it found one is the full check run
/// here, to name the channel and sample in the error.
pub(crate) fn finish(
    input: &AudioBuffer,
    channels: Vec<Vec<f32>>,
    gain_db: Vec<f32>,
    summary: RangeSummary,
) -> Result<DynamicsOutput> {
    let rate = f64::from(input.sample_rate());
    let stats = GainStats {
        max_reduction_db: summary.max_reduction as f32,
        mean_reduction_db: (summary.sum_reduction / gain_db.len().max(1) as f64) as f32,
        time_over_threshold_secs: summary.over as f64 / rate,
    };
    Ok(DynamicsOutput {
        audio: if summary.finite {
            AudioBuffer::from_checked_finite(channels, input.sample_rate())?
        } else {
            AudioBuffer::from_stage_output(channels, input.sample_rate())?
        },
        gain_db,
        stats,
    })
}

/// The gain reduction (`gain − makeup`, ≤ 0 dB) decimated to about [`TRACE_POINTS`] values,
/// keeping the deepest reduction of each bucket so that short peaks stay visible.
pub(crate) fn reduction_trace(gain_db: &[f32], makeup: f32, sample_rate: u32) -> Trace {
    let bucket = gain_db.len().div_ceil(TRACE_POINTS).max(1);
    Trace {
        x_hz: None,
        name: "gain reduction".into(),
        unit: "dB".into(),
        period_secs: bucket as f64 / f64::from(sample_rate),
        start_secs: 0.0,
        values: gain_db
            .chunks(bucket)
            .map(|c| c.iter().fold(0.0f32, |m, &g| m.min(g - makeup)))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_and_trace_by_hand() {
        let input = AudioBuffer::new(vec![vec![0.0; 4]], 8_000).unwrap();
        let summary = RangeSummary {
            over: 2,
            max_reduction: 3.0,
            sum_reduction: 4.0,
            ..RangeSummary::default()
        };
        let out = finish(
            &input,
            vec![vec![0.0; 4]],
            vec![0.0, -1.0, -3.0, 0.0],
            summary,
        )
        .unwrap();
        assert_eq!(out.stats.max_reduction_db, 3.0);
        assert_eq!(out.stats.mean_reduction_db, 1.0);
        assert_eq!(out.stats.time_over_threshold_secs, 2.0 / 8000.0);
        let t = reduction_trace(&vec![0.0; 10_000], 0.0, 1000);
        assert_eq!(t.values.len(), 2000);
        assert_eq!(t.period_secs, 0.005);
        // 6000 frames → buckets of 3; the −7 dB spike survives decimation.
        let g: Vec<f32> = (0..6000).map(|i| if i == 4 { -7.0 } else { 0.0 }).collect();
        let t = reduction_trace(&g, 0.0, 1000);
        assert_eq!(t.values.len(), 2000);
        assert_eq!(&t.values[..3], &[0.0, -7.0, 0.0]);
    }
}
