//! Test doubles: toy stages with known behaviour and builders for synthetic reports, so the
//! harness is tested without depending on the real stages' speed or correctness.

use auralis_core::selection::Selection;
use auralis_core::{
    Accuracy, AudioBuffer, Check, Error, ImplKind, Metrics, Result, Stage, StreamProcessor, Trace,
};

use crate::machine::MachineInfo;
use crate::report::{
    AccuracyVerdict, Cell, ImplResult, InputSource, Report, RunInfo, StageReport, SCHEMA_VERSION,
};
use crate::timing::{Mode, TimingStats};

/// Halves the first channel. Its vectorized variant is correct but does the work 30 times
/// (slower); its parallel variant is wrong (scales by 0.6) — so the harness must time the
/// first, reject the second, and select neither.
pub struct Toy {
    /// Whether the streaming processor allocates on every call (to test the gate).
    pub allocating_stream: bool,
}

impl Stage for Toy {
    type Settings = ();
    type Output = Vec<f32>;

    fn name(&self) -> &'static str {
        "toy"
    }
    fn implementations(&self) -> &'static [ImplKind] {
        &ImplKind::ALL
    }
    fn bench_settings(&self) {}
    fn run(&self, kind: ImplKind, audio: &AudioBuffer, _: &()) -> Result<Vec<f32>> {
        let x = audio.channel(0);
        match kind {
            ImplKind::Reference => Ok(x.iter().map(|s| s * 0.5).collect()),
            ImplKind::Vectorized => {
                let mut out = vec![0.0; x.len()];
                for _ in 0..30 {
                    for (o, s) in out.iter_mut().zip(x) {
                        *o = std::hint::black_box(s * 0.5);
                    }
                }
                Ok(out)
            }
            ImplKind::Parallel => Ok(x.iter().map(|s| s * 0.6).collect()),
        }
    }
    fn compare(&self, r: &Vec<f32>, c: &Vec<f32>) -> Accuracy {
        let metrics = Metrics::of_f32(r, c);
        let checks = vec![Check::at_most("max |Δ|", metrics.max_abs_error, 1e-6)];
        Accuracy { metrics, checks }
    }
    fn tolerance(&self) -> &'static str {
        "exact: max |Δ| ≤ 1e-6"
    }
    fn traces(&self, output: &Vec<f32>) -> Vec<Trace> {
        vec![Trace {
            x_hz: None,
            name: "level".into(),
            unit: "dB".into(),
            period_secs: 0.01,
            start_secs: 0.0,
            values: output.iter().step_by(100).map(|v| v.abs()).collect(),
        }]
    }
    fn stream(
        &self,
        _: &(),
        channels: usize,
        rate: u32,
    ) -> Option<Result<Box<dyn StreamProcessor>>> {
        Some(Ok(Box::new(ToyStream {
            channels,
            rate,
            allocate: self.allocating_stream,
        })))
    }
}

/// A stage whose reference returns an error: nothing can be measured.
pub struct Broken;

impl Stage for Broken {
    type Settings = ();
    type Output = ();
    fn name(&self) -> &'static str {
        "broken"
    }
    fn implementations(&self) -> &'static [ImplKind] {
        &[ImplKind::Reference, ImplKind::Vectorized]
    }
    fn bench_settings(&self) {}
    fn run(&self, kind: ImplKind, _: &AudioBuffer, _: &()) -> Result<()> {
        match kind {
            ImplKind::Vectorized => panic!("vectorized toy panics"),
            _ => Err(Error::Other("the reference is broken".into())),
        }
    }
    fn compare(&self, _: &(), _: &()) -> Accuracy {
        Accuracy::failed("never called")
    }
    fn tolerance(&self) -> &'static str {
        "n/a"
    }
}

struct ToyStream {
    channels: usize,
    rate: u32,
    allocate: bool,
}

impl StreamProcessor for ToyStream {
    fn channels(&self) -> usize {
        self.channels
    }
    fn sample_rate(&self) -> u32 {
        self.rate
    }
    fn latency_frames(&self) -> usize {
        0
    }
    fn process_interleaved(&mut self, input: &[f32], output: &mut [f32]) -> Result<()> {
        if self.allocate {
            std::hint::black_box(vec![0u8; 16]);
        }
        for (o, i) in output.iter_mut().zip(input) {
            *o = i * 0.5;
        }
        Ok(())
    }
    fn reset(&mut self) {}
}

/// A deterministic test signal: `frames` frames of a 440 Hz tone, stereo, 44.1 kHz.
pub fn tone(frames: usize) -> AudioBuffer {
    let ch: Vec<f32> = (0..frames)
        .map(|n| (n as f32 * 440.0 * std::f32::consts::TAU / 44_100.0).sin() * 0.5)
        .collect();
    AudioBuffer::new(vec![ch.clone(), ch], 44_100).expect("valid tone")
}

/// Timing whose median is `median` and whose relative IQR is exactly `iqr_rel`: samples
/// `m(1−r), m, m(1+r)` have quartiles `m(1−r/2)`, `m(1+r/2)`.
pub fn timing(median: f64, iqr_rel: f64) -> TimingStats {
    TimingStats::from_samples(vec![
        median * (1.0 - iqr_rel),
        median,
        median * (1.0 + iqr_rel),
    ])
    .expect("valid samples")
}

fn passed_verdict() -> AccuracyVerdict {
    AccuracyVerdict::from_accuracy(&Accuracy {
        metrics: Metrics::of_f32(&[1.0], &[1.0]),
        checks: vec![Check::at_most("max |Δ|", 0.0, 1e-6)],
    })
}

/// An implementation result: `Some(median, iqr)` timed, `None` for failed accuracy.
pub fn result(kind: ImplKind, timed: Option<(f64, f64)>) -> ImplResult {
    let accuracy = match timed {
        Some(_) => passed_verdict(),
        None => AccuracyVerdict::from_accuracy(&Accuracy {
            metrics: Metrics::of_f32(&[1.0], &[2.0]),
            checks: vec![Check::at_most("max |Δ|", 1.0, 1e-6)],
        }),
    };
    let timing = timed.map(|(m, r)| timing(m, r));
    ImplResult {
        implementation: kind,
        accuracy,
        memory: None,
        cold_secs: None,
        not_timed: timing.is_none().then(|| "failed accuracy".to_string()),
        timing,
        real_time_factor: None,
        speedup_vs_reference: None,
    }
}

/// A fixture cell with the given results.
pub fn cell(input: &str, frames: u64, results: Vec<ImplResult>) -> Cell {
    Cell {
        input: input.into(),
        source: InputSource::Fixture,
        frames,
        seconds: frames as f64 / 44_100.0,
        error: None,
        results,
        peers: Vec::new(),
    }
}

/// A fake machine.
pub fn machine(logical_cores: usize) -> MachineInfo {
    MachineInfo {
        cpu_model: "Test CPU".into(),
        logical_cores,
        physical_cores: Some(logical_cores),
        simd: "avx2+fma".into(),
        pulp_arch: "V3".into(),
        rustc: "rustc 1.95.0".into(),
        build: "release".into(),
        git_commit: Some("0123456789abcdef".into()),
        git_dirty: Some(false),
        os: "linux-x86_64".into(),
        unix_time_secs: 1_800_000_000,
    }
}

/// A report holding one stage with the given cells.
pub fn report(stage: &str, cells: Vec<Cell>, cores: usize) -> Report {
    Report {
        schema_version: SCHEMA_VERSION,
        generator: "test".into(),
        machine: machine(cores),
        run: RunInfo {
            jitter: None,
            memory_bandwidth_gbs: None,
            stream_scheduling: None,
            mode: Mode::Full,
            command: "cargo xtask bench".into(),
            rayon_threads: cores,
            samples_override: None,
            stages: vec![stage.into()],
            stream_input: None,
            chunk_sizes: vec![],
            wall_secs: 1.0,
            warnings: vec![],
        },
        inputs: vec![],
        stages: vec![StageReport {
            name: stage.into(),
            tolerance: "test".into(),
            implementations: ImplKind::ALL.to_vec(),
            cells,
            streaming: None,
            traces: vec![],
        }],
        selection: Selection::empty(),
        batch: None,
    }
}
