//! Peers: the meters a user would pick instead of ours, timed in the same rounds and held to
//! the reference with the tolerance users hold meters to, never selectable as a default.
//!
//! The loudness stage runs beside two Rust meters (content-analysis issue, item 5):
//! * `ebur128` — the port of libebur128, which passes the EBU 3341/3342 suites (our accuracy
//!   oracle in the tests), fed and polled as a file meter is: 100 ms chunks, momentary and
//!   short-term read after each (for their maxima), integrated, range, sample and true peak
//!   at the end — everything our meter reports;
//! * `ebur128-stream` — pure Rust, with its `simd` feature, all modes, whole file in one push.
//!   It reports only the maximum true peak over the channels and no sample peak.
//!
//! [`LoudnessWithPeers`] is the loudness stage with those two attached; the registry uses it
//! in place of the bare stage, so every report shows, in one run, how far ahead we are.

use auralis_core::{
    Accuracy, AudioBuffer, Error, ImplKind, Result, Stage, StreamProcessor, ThreadIndependence,
    Trace,
};
use auralis_loudness::{LoudnessResult, LoudnessSettings, LoudnessStage};

/// The loudness stage with its peer meters.
pub struct LoudnessWithPeers;

/// The peers' names, in report order.
pub const LOUDNESS_PEERS: &[&str] = &["ebur128", "ebur128-stream"];

fn finite(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

/// The `ebur128` crate's readings.
fn ebur128_meter(audio: &AudioBuffer) -> LoudnessResult {
    let r = auralis_testkit::oracle::ebur128_reading(audio, None);
    let long_enough = audio.duration_secs() >= 3.0;
    LoudnessResult::from_meter(
        audio.sample_rate(),
        finite(r.integrated_lufs),
        long_enough.then_some(r.range_lu),
        finite(r.momentary_max_lufs),
        finite(r.short_term_max_lufs),
        r.sample_peak,
        Some(r.true_peak),
    )
}

/// The `ebur128-stream` crate's readings.
fn ebur128_stream_meter(audio: &AudioBuffer) -> Result<LoudnessResult> {
    use ebur128_stream::{AnalyzerBuilder, Channel, Mode};
    let layout: Vec<Channel> = match audio.num_channels() {
        1 => vec![Channel::Center],
        2 => vec![Channel::Left, Channel::Right],
        6 => vec![
            Channel::Left,
            Channel::Right,
            Channel::Center,
            Channel::Lfe,
            Channel::LeftSurround,
            Channel::RightSurround,
        ],
        n => vec![Channel::Other; n],
    };
    let peer_error = |e: ebur128_stream::Error| Error::param("ebur128-stream", e.to_string());
    let mut analyzer = AnalyzerBuilder::new()
        .sample_rate(audio.sample_rate())
        .channels(&layout)
        .modes(Mode::All)
        .build()
        .map_err(peer_error)?;
    let planes: Vec<&[f32]> = audio.channels().iter().map(Vec::as_slice).collect();
    analyzer.push_planar(&planes).map_err(peer_error)?;
    let report = analyzer.finalize();
    Ok(LoudnessResult::from_meter(
        audio.sample_rate(),
        report.integrated_lufs(),
        report.loudness_range_lu(),
        report.momentary_max_lufs(),
        report.short_term_max_lufs(),
        Vec::new(),
        report
            .true_peak_dbtp()
            .map(|db| vec![10f64.powf(db / 20.0)]),
    ))
}

/// Everything but the peers is the loudness stage's own.
impl Stage for LoudnessWithPeers {
    type Settings = LoudnessSettings;
    type Output = LoudnessResult;

    fn name(&self) -> &'static str {
        LoudnessStage.name()
    }
    fn implementations(&self) -> &'static [ImplKind] {
        LoudnessStage.implementations()
    }
    fn bench_settings(&self) -> LoudnessSettings {
        LoudnessStage.bench_settings()
    }
    fn run(
        &self,
        kind: ImplKind,
        audio: &AudioBuffer,
        s: &LoudnessSettings,
    ) -> Result<LoudnessResult> {
        LoudnessStage.run(kind, audio, s)
    }
    fn run_into(
        &self,
        kind: ImplKind,
        audio: &AudioBuffer,
        s: &LoudnessSettings,
        output: &mut Option<LoudnessResult>,
    ) -> Result<()> {
        LoudnessStage.run_into(kind, audio, s, output)
    }
    fn compare(&self, reference: &LoudnessResult, candidate: &LoudnessResult) -> Accuracy {
        LoudnessStage.compare(reference, candidate)
    }
    fn poison(&self, output: &mut LoudnessResult) {
        LoudnessStage.poison(output)
    }
    fn thread_independence(&self) -> ThreadIndependence {
        LoudnessStage.thread_independence()
    }
    fn tolerance(&self) -> &'static str {
        LoudnessStage.tolerance()
    }
    fn traces(&self, output: &LoudnessResult) -> Vec<Trace> {
        LoudnessStage.traces(output)
    }
    fn stream(
        &self,
        s: &LoudnessSettings,
        channels: usize,
        sample_rate: u32,
    ) -> Option<Result<Box<dyn StreamProcessor>>> {
        LoudnessStage.stream(s, channels, sample_rate)
    }

    fn peers(&self) -> &'static [&'static str] {
        LOUDNESS_PEERS
    }

    fn run_peer(
        &self,
        index: usize,
        audio: &AudioBuffer,
        _: &LoudnessSettings,
    ) -> Result<LoudnessResult> {
        match index {
            0 => Ok(ebur128_meter(audio)),
            1 => ebur128_stream_meter(audio),
            _ => Err(Error::UnknownImplementation {
                stage: auralis_loudness::NAME,
                kind: format!("peer {index}"),
            }),
        }
    }

    fn compare_peer(&self, reference: &LoudnessResult, peer: &LoudnessResult) -> Accuracy {
        auralis_loudness::compare_meter(reference, peer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_peers_read_the_fixture_like_our_meter() {
        let audio = auralis_fixtures::generate_seconds(8.0);
        let ours = LoudnessStage
            .run(ImplKind::Reference, &audio, &LoudnessSettings::default())
            .unwrap();
        let stage = LoudnessWithPeers;
        let libebur128 = stage
            .run_peer(0, &audio, &LoudnessSettings::default())
            .unwrap();
        assert!(
            stage.compare_peer(&ours, &libebur128).passed(),
            "{:?}",
            stage.compare_peer(&ours, &libebur128).failures()
        );
        let stream = stage
            .run_peer(1, &audio, &LoudnessSettings::default())
            .unwrap();
        let accuracy = stage.compare_peer(&ours, &stream);
        // ebur128-stream's integrated loudness agrees; its range and true peak may not (0.23 LU
        // and 0.2 dB on 180 s of noise, BASELINES.md): only check that it was compared.
        assert!(accuracy
            .checks
            .iter()
            .any(|c| c.name.starts_with("integrated") && c.passed));
        assert!(stage
            .run_peer(2, &audio, &LoudnessSettings::default())
            .is_err());
    }
}
