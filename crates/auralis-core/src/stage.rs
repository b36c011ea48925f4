//! The stage trait: one stage, several interchangeable implementations.
//!
//! A stage (spectrum, EQ, dynamics, …) computes one well-defined thing. It offers a sequential
//! [`ImplKind::Reference`] written for clarity, and faster variants — [`ImplKind::Vectorized`]
//! (SIMD kernels via `pulp`) and [`ImplKind::Parallel`] (`rayon`) — that must agree with the
//! reference within the stage's stated tolerance. Like `rustfft`'s `Fft` trait, callers never
//! need to know which one runs: the facade crate picks the one the lab measured fastest for the
//! input size, and the lab itself enumerates all of them through [`LabStage`].

use std::any::Any;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::audio::AudioBuffer;
use crate::error::{Error, Result};
use crate::metrics::Accuracy;
use crate::stream::StreamProcessor;

/// Which family an implementation belongs to.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum ImplKind {
    /// Sequential, written for clarity; the definition every other variant is held to.
    #[default]
    Reference,
    /// SIMD kernels (run-time dispatch with `pulp`).
    Vectorized,
    /// Multi-threaded with `rayon`; results must not depend on the thread count.
    Parallel,
}

impl ImplKind {
    /// Every kind, reference first.
    pub const ALL: [ImplKind; 3] = [
        ImplKind::Reference,
        ImplKind::Vectorized,
        ImplKind::Parallel,
    ];

    /// The lower-case name used in reports, JSON and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            ImplKind::Reference => "reference",
            ImplKind::Vectorized => "vectorized",
            ImplKind::Parallel => "parallel",
        }
    }
}

impl fmt::Display for ImplKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ImplKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        ImplKind::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                Error::param(
                    "implementation",
                    format!("`{s}` is not one of reference, vectorized, parallel"),
                )
            })
    }
}

/// A time series a stage can expose for plots (e.g. gain reduction in dB over time).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trace {
    /// What the values are, e.g. `"gain reduction"`.
    pub name: String,
    /// Their unit, e.g. `"dB"`.
    pub unit: String,
    /// Seconds between consecutive values.
    pub period_secs: f64,
    /// Time of the first value, seconds (e.g. 0.4 for a momentary-loudness series, whose
    /// first 400 ms window ends there). Older reports have none: 0.
    #[serde(default)]
    pub start_secs: f64,
    /// The values (decimated by the stage to a plot-friendly length).
    pub values: Vec<f32>,
    /// When set, the values are a spectrum at these frequencies (Hz, one per value) rather
    /// than a time series (`period_secs` and `start_secs` are then unused): the lab plots
    /// them on a frequency axis (e.g. a master's band levels before and after).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x_hz: Option<Vec<f64>>,
}

/// One processing stage with its interchangeable implementations.
///
/// Implementors are usually small structs carrying the settings the lab benchmarks with
/// (e.g. an EQ registered once at hop 1024 and once at hop 2048).
pub trait Stage: Send + Sync {
    /// Parameters of the stage (band gains, thresholds, FFT settings, …).
    type Settings: Clone + fmt::Debug + Send + Sync;
    /// What the stage produces (a spectrum summary, processed audio, …). `PartialEq` is
    /// bit-for-bit equality of the values, which is how the lab holds a parallel variant's
    /// output at 1, 2 and 7 threads to itself.
    type Output: Send + PartialEq + 'static;

    /// Short machine name used in reports and `selection.json`, e.g. `"spectrum"`.
    fn name(&self) -> &'static str;

    /// The implementations this stage offers; always includes [`ImplKind::Reference`].
    fn implementations(&self) -> &'static [ImplKind];

    /// The settings the lab measures with.
    fn bench_settings(&self) -> Self::Settings;

    /// Runs one implementation on one input.
    fn run(
        &self,
        kind: ImplKind,
        audio: &AudioBuffer,
        settings: &Self::Settings,
    ) -> Result<Self::Output>;

    /// Runs one implementation into `output`, which may hold an earlier output of this stage
    /// whose allocations the implementation is free to reuse (on success `output` is
    /// `Some`). The default ignores the old output and calls [`Stage::run`].
    ///
    /// Why: a 180 s stereo output is 64 MB, and writing a freshly allocated one costs a page
    /// fault per 4 KiB — a third of a dynamics run, a sixth of an EQ run on the lab's
    /// machine, and a cost that depends on the allocator's mood (glibc's mmap threshold
    /// decides whether freed buffers come back already mapped). Callers that process many
    /// inputs, and the lab's repeated timing runs, reuse the output instead.
    fn run_into(
        &self,
        kind: ImplKind,
        audio: &AudioBuffer,
        settings: &Self::Settings,
        output: &mut Option<Self::Output>,
    ) -> Result<()> {
        *output = Some(self.run(kind, audio, settings)?);
        Ok(())
    }

    /// Holds a candidate's output against the reference's output with this stage's
    /// tolerances (stated, with their reasons, in the stage crate).
    fn compare(&self, reference: &Self::Output, candidate: &Self::Output) -> Accuracy;

    /// Overwrites an earlier output in place, without freeing or unmapping its storage, so
    /// that an implementation that hands it back unchanged (a "cache hit" through the output
    /// slot) returns something the accuracy check rejects. The lab calls it before every
    /// timed run. The default does nothing; stages whose outputs can be reused should
    /// override it (see [`POISON`]).
    fn poison(&self, _output: &mut Self::Output) {}

    /// Whether the parallel implementation's output is the same bits at any thread count
    /// (the default, and what the lab checks at 1, 2 and 7 threads), or only within the
    /// stage's tolerance — then say why.
    fn thread_independence(&self) -> ThreadIndependence {
        ThreadIndependence::BitIdentical
    }

    /// One sentence on the tolerance and why it is what it is, for reports.
    fn tolerance(&self) -> &'static str;

    /// Time series worth plotting from an output (none by default).
    fn traces(&self, _output: &Self::Output) -> Vec<Trace> {
        Vec::new()
    }

    /// The audio inside an output, for stages whose output is audio (EQ, dynamics): what a
    /// stream of this stage must reproduce. `None` (the default) for analysis stages.
    fn output_audio<'a>(&self, _output: &'a Self::Output) -> Option<&'a AudioBuffer> {
        None
    }

    /// The implementation whose whole-file output [`Stage::stream`]'s processor reproduces
    /// bit for bit, once its latency is removed (the stage test kit holds it to that).
    fn stream_twin(&self) -> ImplKind {
        ImplKind::Reference
    }

    /// A streaming processor for real-time use, if the stage has one.
    fn stream(
        &self,
        _settings: &Self::Settings,
        _channels: usize,
        _sample_rate: u32,
    ) -> Option<Result<Box<dyn StreamProcessor>>> {
        None
    }

    /// Peers: what a user would pick instead of this stage (another crate doing the same
    /// job), by name. The lab times them in the same rounds as the implementations and
    /// compares them with the reference, but never selects one. None by default.
    fn peers(&self) -> &'static [&'static str] {
        &[]
    }

    /// Runs peer `index` of [`Stage::peers`] on `audio`, its readings put into this stage's
    /// output type (fields the peer does not report left empty).
    fn run_peer(
        &self,
        index: usize,
        _audio: &AudioBuffer,
        _settings: &Self::Settings,
    ) -> Result<Self::Output> {
        Err(Error::UnknownImplementation {
            stage: self.name(),
            kind: format!("peer {index}"),
        })
    }

    /// Holds a peer's output against the reference with the tolerance users hold such a
    /// peer to (not the stage's own, which is about rounding). Defaults to [`Stage::compare`].
    fn compare_peer(&self, reference: &Self::Output, peer: &Self::Output) -> Accuracy {
        self.compare(reference, peer)
    }
}

/// The value [`Stage::poison`] writes: finite and in range (an output stays a valid value of
/// its type), and far from anything a stage computes from real audio at every sample.
pub const POISON: f32 = 0.123_456_79;

/// How a stage's parallel output relates across thread counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThreadIndependence {
    /// The same bits whatever the thread count.
    BitIdentical,
    /// Within the stage's tolerance, for the stated reason (e.g. a reduction whose order
    /// follows the thread count).
    WithinTolerance(&'static str),
}

/// Object-safe view of a [`Stage`] using its bench settings, so the lab can hold
/// `Vec<Box<dyn LabStage>>` and run any stage without knowing its types.
pub trait LabStage: Send + Sync {
    /// See [`Stage::name`].
    fn name(&self) -> &'static str;
    /// See [`Stage::implementations`].
    fn implementations(&self) -> &'static [ImplKind];
    /// See [`Stage::tolerance`].
    fn tolerance(&self) -> &'static str;
    /// Runs one implementation with the bench settings; the output is opaque to the caller.
    fn run_erased(&self, kind: ImplKind, audio: &AudioBuffer) -> Result<Box<dyn Any + Send>>;
    /// See [`Stage::run_into`], with the bench settings: `slot` holds an earlier output of
    /// this stage (reused where the stage can) or nothing, and holds the new output after
    /// success.
    fn run_into_erased(
        &self,
        kind: ImplKind,
        audio: &AudioBuffer,
        slot: &mut Option<Box<dyn Any + Send>>,
    ) -> Result<()>;
    /// Compares two outputs produced by [`LabStage::run_erased`] of this stage.
    fn compare_erased(&self, reference: &dyn Any, candidate: &dyn Any) -> Accuracy;
    /// See [`Stage::traces`].
    fn traces_erased(&self, output: &dyn Any) -> Vec<Trace>;
    /// See [`Stage::poison`]; does nothing to an empty slot or another stage's output.
    fn poison_erased(&self, slot: &mut Option<Box<dyn Any + Send>>);
    /// Whether two outputs of this stage are the same bits (`false` for other types).
    fn identical_erased(&self, a: &dyn Any, b: &dyn Any) -> bool;
    /// See [`Stage::thread_independence`].
    fn thread_independence(&self) -> ThreadIndependence;
    /// See [`Stage::stream`], with the bench settings.
    fn stream_erased(
        &self,
        channels: usize,
        sample_rate: u32,
    ) -> Option<Result<Box<dyn StreamProcessor>>>;
    /// See [`Stage::peers`] (none, unless a wrapper forwards them).
    fn peers(&self) -> &'static [&'static str] {
        &[]
    }
    /// See [`Stage::run_peer`], with the bench settings.
    fn run_peer_erased(&self, index: usize, _audio: &AudioBuffer) -> Result<Box<dyn Any + Send>> {
        Err(Error::UnknownImplementation {
            stage: self.name(),
            kind: format!("peer {index}"),
        })
    }
    /// See [`Stage::compare_peer`] (a failed comparison for other types).
    fn compare_peer_erased(&self, _reference: &dyn Any, _peer: &dyn Any) -> Accuracy {
        Accuracy::failed("this stage has no peers")
    }
}

impl<S: Stage> LabStage for S {
    fn name(&self) -> &'static str {
        Stage::name(self)
    }

    fn implementations(&self) -> &'static [ImplKind] {
        Stage::implementations(self)
    }

    fn tolerance(&self) -> &'static str {
        Stage::tolerance(self)
    }

    fn run_erased(&self, kind: ImplKind, audio: &AudioBuffer) -> Result<Box<dyn Any + Send>> {
        let settings = self.bench_settings();
        Ok(Box::new(self.run(kind, audio, &settings)?))
    }

    fn run_into_erased(
        &self,
        kind: ImplKind,
        audio: &AudioBuffer,
        slot: &mut Option<Box<dyn Any + Send>>,
    ) -> Result<()> {
        let settings = self.bench_settings();
        let mut typed: Option<S::Output> = slot
            .take()
            .and_then(|old| old.downcast::<S::Output>().ok())
            .map(|old| *old);
        self.run_into(kind, audio, &settings, &mut typed)?;
        *slot = typed.map(|output| Box::new(output) as Box<dyn Any + Send>);
        Ok(())
    }

    fn compare_erased(&self, reference: &dyn Any, candidate: &dyn Any) -> Accuracy {
        match (
            reference.downcast_ref::<S::Output>(),
            candidate.downcast_ref::<S::Output>(),
        ) {
            (Some(r), Some(c)) => self.compare(r, c),
            _ => Accuracy::failed("outputs are not of this stage's output type"),
        }
    }

    fn traces_erased(&self, output: &dyn Any) -> Vec<Trace> {
        output
            .downcast_ref::<S::Output>()
            .map(|o| self.traces(o))
            .unwrap_or_default()
    }

    fn poison_erased(&self, slot: &mut Option<Box<dyn Any + Send>>) {
        if let Some(output) = slot.as_mut().and_then(|b| b.downcast_mut::<S::Output>()) {
            self.poison(output);
        }
    }

    fn identical_erased(&self, a: &dyn Any, b: &dyn Any) -> bool {
        match (a.downcast_ref::<S::Output>(), b.downcast_ref::<S::Output>()) {
            (Some(a), Some(b)) => a == b,
            _ => false,
        }
    }

    fn thread_independence(&self) -> ThreadIndependence {
        Stage::thread_independence(self)
    }

    fn stream_erased(
        &self,
        channels: usize,
        sample_rate: u32,
    ) -> Option<Result<Box<dyn StreamProcessor>>> {
        self.stream(&self.bench_settings(), channels, sample_rate)
    }

    fn peers(&self) -> &'static [&'static str] {
        Stage::peers(self)
    }

    fn run_peer_erased(&self, index: usize, audio: &AudioBuffer) -> Result<Box<dyn Any + Send>> {
        let settings = self.bench_settings();
        Ok(Box::new(self.run_peer(index, audio, &settings)?))
    }

    fn compare_peer_erased(&self, reference: &dyn Any, peer: &dyn Any) -> Accuracy {
        match (
            reference.downcast_ref::<S::Output>(),
            peer.downcast_ref::<S::Output>(),
        ) {
            (Some(r), Some(p)) => self.compare_peer(r, p),
            _ => Accuracy::failed("outputs are not of this stage's output type"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{Check, Metrics};

    /// A toy stage: doubles the first channel. The "vectorized" variant is deliberately
    /// wrong so the test can see the comparison fail through the erased interface.
    struct Doubler;

    impl Stage for Doubler {
        type Settings = ();
        type Output = Vec<f32>;
        fn name(&self) -> &'static str {
            "doubler"
        }
        fn implementations(&self) -> &'static [ImplKind] {
            &[ImplKind::Reference, ImplKind::Vectorized]
        }
        fn bench_settings(&self) {}
        fn run(&self, kind: ImplKind, audio: &AudioBuffer, _: &()) -> Result<Vec<f32>> {
            let gain = match kind {
                ImplKind::Reference => 2.0,
                ImplKind::Vectorized => 2.5,
                ImplKind::Parallel => {
                    return Err(Error::UnknownImplementation {
                        stage: "doubler",
                        kind: kind.to_string(),
                    })
                }
            };
            Ok(audio.channel(0).iter().map(|s| s * gain).collect())
        }
        fn compare(&self, r: &Vec<f32>, c: &Vec<f32>) -> Accuracy {
            let metrics = Metrics::of_f32(r, c);
            let checks = vec![Check::at_most("max error", metrics.max_abs_error, 1e-6)];
            Accuracy { metrics, checks }
        }
        fn tolerance(&self) -> &'static str {
            "exact arithmetic"
        }
    }

    #[test]
    fn erased_stage_runs_and_compares() {
        let stages: Vec<Box<dyn LabStage>> = vec![Box::new(Doubler)];
        let audio = AudioBuffer::new(vec![vec![0.5, 1.0]], 44_100).unwrap();
        let stage = &stages[0];
        let r = stage.run_erased(ImplKind::Reference, &audio).unwrap();
        let v = stage.run_erased(ImplKind::Vectorized, &audio).unwrap();
        assert!(stage.compare_erased(&*r, &*r).passed());
        assert!(!stage.compare_erased(&*r, &*v).passed());
        // run_into_erased fills an empty slot, then replaces what it holds.
        let mut slot = None;
        stage
            .run_into_erased(ImplKind::Vectorized, &audio, &mut slot)
            .unwrap();
        assert!(stage.compare_erased(&*v, slot.as_deref().unwrap()).passed());
        stage
            .run_into_erased(ImplKind::Reference, &audio, &mut slot)
            .unwrap();
        assert!(stage.compare_erased(&*r, slot.as_deref().unwrap()).passed());
        assert!(stage
            .run_into_erased(ImplKind::Parallel, &audio, &mut slot)
            .is_err());
        assert!(!stage.compare_erased(&*r, &42u8).passed());
        assert!(stage.run_erased(ImplKind::Parallel, &audio).is_err());
        assert!(stage.stream_erased(2, 44_100).is_none());
        assert!(stage.peers().is_empty());
        assert!(stage.run_peer_erased(0, &audio).is_err());
    }

    #[test]
    fn kind_names_round_trip() {
        for k in ImplKind::ALL {
            assert_eq!(k.name().parse::<ImplKind>().unwrap(), k);
            assert_eq!(
                serde_json::to_string(&k).unwrap(),
                format!("\"{}\"", k.name())
            );
        }
        assert!("simd".parse::<ImplKind>().is_err());
    }
}
