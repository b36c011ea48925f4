//! Planted faults: every real stage, wrapped in fault injectors, run through the lab's real
//! measurement path; each fault must be caught by the gate named in README's fault table,
//! with its message — a gate is only as good as the faults it has been shown to catch.
//!
//! Covered here: a cache hit through the output slot (the plant that was once selected as
//! "4341× faster than reference"), a result memoized from an earlier call on a cheap
//! fingerprint, a parallel result that depends on the thread count, and plainly wrong output.
//! (Errors of 3× the tolerance, partial work, a no-op, one NaN and a wrong length are planted
//! in `planted_output_faults.rs`; an extra pass of instructions by `cargo xtask icount
//! --check` itself.)

use std::sync::Mutex;

mod common;

use auralis_core::{AudioBuffer, ImplKind, LabStage, Result, Stage};
use auralis_lab::run::THREAD_DEPENDENT;
use auralis_lab::verified::VERIFY_FAILED;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Fault {
    /// `run_into` returns at once when its output slot already holds an output.
    SlotCacheHit,
    /// Returns the output of an earlier call whose input had the same length, channel count
    /// and rate (a cheap fingerprint, like the original's printed summary of the array).
    Memoized,
    /// The parallel output is altered when run on 7 threads.
    ThreadDependent,
    /// The output is wrong (poisoned) every time.
    WrongOutput,
}

/// Length, channels and rate: a fingerprint that says nothing about the content.
type Fingerprint = (usize, usize, u32);

struct Faulty<S: Stage> {
    inner: S,
    fault: Fault,
    memo: Mutex<Option<(Fingerprint, S::Output)>>,
}

impl<S: Stage> Faulty<S> {
    fn new(inner: S, fault: Fault) -> Self {
        Self {
            inner,
            fault,
            memo: Mutex::new(None),
        }
    }

    /// The variant that carries the fault.
    fn faulty_kind(&self) -> ImplKind {
        match self.fault {
            Fault::ThreadDependent => ImplKind::Parallel,
            _ => ImplKind::Vectorized,
        }
    }
}

impl<S: Stage> Stage for Faulty<S>
where
    S::Output: Clone,
{
    type Settings = S::Settings;
    type Output = S::Output;

    fn name(&self) -> &'static str {
        self.inner.name()
    }
    fn implementations(&self) -> &'static [ImplKind] {
        self.inner.implementations()
    }
    fn bench_settings(&self) -> S::Settings {
        self.inner.bench_settings()
    }
    fn run(
        &self,
        kind: ImplKind,
        audio: &AudioBuffer,
        settings: &S::Settings,
    ) -> Result<S::Output> {
        if kind != self.faulty_kind() {
            return self.inner.run(kind, audio, settings);
        }
        match self.fault {
            Fault::Memoized => {
                let key = (audio.len(), audio.num_channels(), audio.sample_rate());
                let mut memo = self.memo.lock().unwrap();
                if let Some((k, out)) = memo.as_ref() {
                    if *k == key {
                        return Ok(out.clone());
                    }
                }
                let out = self.inner.run(kind, audio, settings)?;
                *memo = Some((key, out.clone()));
                Ok(out)
            }
            Fault::ThreadDependent => {
                let mut out = self.inner.run(kind, audio, settings)?;
                if rayon::current_num_threads() == 7 {
                    self.inner.poison(&mut out);
                }
                Ok(out)
            }
            Fault::WrongOutput => {
                let mut out = self.inner.run(kind, audio, settings)?;
                self.inner.poison(&mut out);
                Ok(out)
            }
            Fault::SlotCacheHit => self.inner.run(kind, audio, settings),
        }
    }
    fn run_into(
        &self,
        kind: ImplKind,
        audio: &AudioBuffer,
        settings: &S::Settings,
        output: &mut Option<S::Output>,
    ) -> Result<()> {
        if self.fault == Fault::SlotCacheHit && kind == self.faulty_kind() {
            if output.is_some() {
                return Ok(());
            }
            return self.inner.run_into(kind, audio, settings, output);
        }
        if kind == self.faulty_kind() {
            *output = Some(self.run(kind, audio, settings)?);
            return Ok(());
        }
        self.inner.run_into(kind, audio, settings, output)
    }
    fn compare(&self, reference: &S::Output, candidate: &S::Output) -> auralis_core::Accuracy {
        self.inner.compare(reference, candidate)
    }
    fn tolerance(&self) -> &'static str {
        self.inner.tolerance()
    }
    fn poison(&self, output: &mut S::Output) {
        self.inner.poison(output)
    }
}

/// Runs `fault` on every real stage: each faulty variant must be caught with `needle`.
fn caught(fault: Fault, needle: &str) {
    let stages: Vec<(Box<dyn LabStage>, ImplKind)> = vec![
        {
            let s = Faulty::new(auralis_spectrum::SpectrumStage, fault);
            let k = s.faulty_kind();
            (Box::new(s), k)
        },
        {
            let s = Faulty::new(auralis_eq::EqStage::default(), fault);
            let k = s.faulty_kind();
            (Box::new(s), k)
        },
        {
            let s = Faulty::new(auralis_dynamics::DynamicsStage::default(), fault);
            let k = s.faulty_kind();
            (Box::new(s), k)
        },
        {
            let s = Faulty::new(auralis_loudness::LoudnessStage, fault);
            let k = s.faulty_kind();
            (Box::new(s), k)
        },
    ];
    for (stage, kind) in stages {
        common::assert_caught(stage, kind, 2.0, 4, needle, &format!("{fault:?}"));
    }
}

#[test]
fn a_cache_hit_through_the_output_slot_fails_verification() {
    caught(Fault::SlotCacheHit, VERIFY_FAILED);
}

#[test]
fn a_result_memoized_on_a_cheap_fingerprint_fails_verification() {
    caught(Fault::Memoized, VERIFY_FAILED);
}

#[test]
fn a_thread_dependent_parallel_result_fails_the_thread_check() {
    caught(Fault::ThreadDependent, THREAD_DEPENDENT);
}

#[test]
fn wrong_output_fails_accuracy() {
    caught(Fault::WrongOutput, "");
}
