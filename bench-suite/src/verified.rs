//! Timing that cannot be fooled by a cache: every timed run gets input it has never seen, its
//! output slot is poisoned first, and timed outputs are checked against the reference run on
//! that same input.
//!
//! Why: the original engine's "895,819× real time" timed a cache hit, and a vectorized
//! dynamics variant that returned at once when its output slot already held an output was
//! selected here as "4341× faster than reference". A result carried over from an earlier
//! call — through the output slot, or any state an implementation keeps between calls, keyed
//! on anything, even the full content — must fail the gate or gain nothing. So, outside the
//! timed window, before every run (warm-up included):
//!
//! * **fresh input**: the cell's audio with a random gain in `[0.85, 1]` and a random
//!   circular shift, different for every call of every implementation (so not even a cache
//!   shared between implementations can hit);
//! * **poisoned slot**: the previous output is overwritten in place ([`Stage::poison`],
//!   `auralis_core`), keeping its storage so the timing still measures reuse;
//!
//! and after the run, for the first warm-up call, about one timed call in [`VERIFY_ONE_IN`]
//! (chosen at random) and the last call of each implementation, the output is compared with
//! the reference run on the same input by the stage's own tolerance (the reference itself
//! too, against a fresh reference run: it must be deterministic). A failure is an accuracy
//! failure of that implementation with its own message ([`VERIFY_FAILED`]).
//!
//! The transformed input lives in one buffer shared by all contenders (rebuilt per call), so
//! a 180 s stereo cell needs one extra copy of its input, not one per implementation.
//!
//! [`Stage::poison`]: auralis_core::Stage::poison

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::time::Instant;

use auralis_core::{AudioBuffer, ImplKind, LabStage};
use auralis_fixtures::rng::SplitMix64;

use crate::timing::{sample_interleaved_self_timed, Call, SamplePlan};

/// About one timed call in this many is verified, besides the first and the last.
pub const VERIFY_ONE_IN: u64 = 8;
/// The start of every verification failure's message.
pub const VERIFY_FAILED: &str = "timed output on fresh input fails against the reference";

/// The per-call inputs: the cell's audio, gained and circularly shifted by a call-specific
/// amount. Deterministic in `(seed, contender, call)`, so the input of a call can be rebuilt
/// for its verification after the fact.
pub struct FreshInputs<'a> {
    base: &'a AudioBuffer,
    seed: u64,
    buffer: RefCell<Option<AudioBuffer>>,
}

impl<'a> FreshInputs<'a> {
    pub fn new(base: &'a AudioBuffer, seed: u64) -> Self {
        Self {
            base,
            seed,
            buffer: RefCell::new(None),
        }
    }

    /// The gain and shift of one call.
    pub fn transform(&self, contender: usize, call: u64) -> (f32, usize) {
        let mut rng = SplitMix64::new(
            self.seed
                ^ (contender as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
                ^ call.rotate_left(32),
        );
        let gain = 0.85 + 0.15 * rng.next_f64() as f32;
        let shift = rng.index(self.base.len().max(1));
        (gain, shift)
    }

    /// Rebuilds the shared buffer as the input of `(contender, call)` and lends it to `f`.
    pub fn with_input<R>(
        &self,
        contender: usize,
        call: u64,
        f: impl FnOnce(&AudioBuffer) -> R,
    ) -> R {
        let (gain, shift) = self.transform(contender, call);
        let mut slot = self.buffer.borrow_mut();
        let old = slot.take();
        let mut channels = AudioBuffer::recycle(old, self.base.num_channels(), self.base.len());
        for (out, src) in channels.iter_mut().zip(self.base.channels()) {
            let n = src.len();
            for (i, o) in out.iter_mut().enumerate() {
                let j = i + shift;
                *o = gain * src[if j >= n { j - n } else { j }];
            }
        }
        // A gain ≤ 1 keeps valid audio valid; only the shape checks remain.
        let audio = AudioBuffer::from_checked_finite(channels, self.base.sample_rate())
            .expect("a gained, shifted copy of valid audio is valid audio");
        let result = f(&audio);
        *slot = Some(audio);
        result
    }
}

/// Checks `output` (of `kind`, on `input`) against a fresh reference run on `input`.
fn verify(
    stage: &dyn LabStage,
    kind: ImplKind,
    input: &AudioBuffer,
    output: Option<&(dyn Any + Send)>,
    what: &str,
) -> Result<(), String> {
    let output = output.ok_or_else(|| format!("{VERIFY_FAILED} ({what}): no output"))?;
    let reference = guarded(|| stage.run_erased(ImplKind::Reference, input))
        .and_then(|r| r.map_err(|e| e.to_string()))
        .map_err(|e| format!("{VERIFY_FAILED} ({what}): the reference failed: {e}"))?;
    let accuracy = guarded(|| stage.compare_erased(&*reference, output))
        .map_err(|e| format!("{VERIFY_FAILED} ({what}): the comparison failed: {e}"))?;
    if accuracy.passed() {
        Ok(())
    } else {
        Err(format!(
            "{VERIFY_FAILED} ({what}, {kind}): {}",
            accuracy.failures().join("; ")
        ))
    }
}

fn guarded<R>(f: impl FnOnce() -> R) -> Result<R, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .map_err(|p| format!("panicked: {}", crate::run::panic_message(&*p)))
}

/// Who is timed: one of the stage's implementations, or one of its peers (by index into
/// [`LabStage::peers`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contender {
    Kind(ImplKind),
    Peer(usize),
}

/// Samples `kinds` of `stage` interleaved on fresh inputs derived from `audio`, poisoning
/// each output slot before and verifying outputs after (see the module documentation).
/// Returns one sample vector per kind, or the first kind that failed and why.
pub fn time_kinds_verified(
    stage: &dyn LabStage,
    audio: &AudioBuffer,
    kinds: &[ImplKind],
    plan: &SamplePlan,
    seed: u64,
) -> Result<Vec<Vec<f64>>, (ImplKind, String)> {
    match time_verified(stage, audio, kinds, &[], plan, seed) {
        Ok((samples, _)) => Ok(samples),
        Err((Contender::Kind(kind), message)) => Err((kind, message)),
        Err((Contender::Peer(_), message)) => Err((ImplKind::Reference, message)),
    }
}

/// [`time_kinds_verified`] with the stage's `peers` (indices) timed in the same rounds: each
/// gets fresh input like the implementations and allocates its own output, as its users'
/// code does. Returns the implementations' and the peers' samples.
#[allow(clippy::type_complexity)]
pub fn time_verified(
    stage: &dyn LabStage,
    audio: &AudioBuffer,
    kinds: &[ImplKind],
    peers: &[usize],
    plan: &SamplePlan,
    seed: u64,
) -> Result<(Vec<Vec<f64>>, Vec<Vec<f64>>), (Contender, String)> {
    let contenders: Vec<Contender> = kinds
        .iter()
        .map(|&k| Contender::Kind(k))
        .chain(peers.iter().map(|&p| Contender::Peer(p)))
        .collect();
    let inputs = FreshInputs::new(audio, seed);
    let slots: Vec<RefCell<Option<Box<dyn Any + Send>>>> =
        contenders.iter().map(|_| RefCell::new(None)).collect();
    let calls: Vec<Cell<u64>> = contenders.iter().map(|_| Cell::new(0)).collect();
    let mut pick = SplitMix64::new(seed ^ 0x5EED);
    let verify_round: Vec<bool> = (0..plan.max_samples)
        .map(|_| pick.next_u64().is_multiple_of(VERIFY_ONE_IN))
        .collect();
    let mut closures: Vec<_> = contenders
        .iter()
        .enumerate()
        .map(|(k, &contender)| {
            let (inputs, slots, calls, verify_round) = (&inputs, &slots, &calls, &verify_round);
            move |call: Call| -> Result<f64, String> {
                let n = calls[k].get();
                calls[k].set(n + 1);
                inputs.with_input(k, n, |input| {
                    let mut slot = slots[k].borrow_mut();
                    let check = match call {
                        Call::Warmup(0) => Some("first warm-up call".to_string()),
                        Call::Round(r) if verify_round.get(r).copied().unwrap_or(false) => {
                            Some(format!("round {r}"))
                        }
                        _ => None,
                    };
                    match contender {
                        Contender::Kind(kind) => {
                            stage.poison_erased(&mut slot);
                            let start = Instant::now();
                            guarded(|| stage.run_into_erased(kind, input, &mut slot))
                                .and_then(|r| r.map_err(|e| e.to_string()))?;
                            let secs = start.elapsed().as_secs_f64();
                            if let Some(what) = check {
                                verify(stage, kind, input, slot.as_deref(), &what)?;
                            }
                            Ok(secs)
                        }
                        // Someone else's code: its accuracy is measured once, untimed
                        // (`run.rs`); here it only has to run.
                        Contender::Peer(p) => {
                            let start = Instant::now();
                            let output = guarded(|| stage.run_peer_erased(p, input))
                                .and_then(|r| r.map_err(|e| e.to_string()))?;
                            let secs = start.elapsed().as_secs_f64();
                            drop(std::hint::black_box(output));
                            Ok(secs)
                        }
                    }
                })
            }
        })
        .collect();
    let mut timed: Vec<&mut dyn FnMut(Call) -> Result<f64, String>> = closures
        .iter_mut()
        .map(|c| c as &mut dyn FnMut(Call) -> Result<f64, String>)
        .collect();
    let mut samples = sample_interleaved_self_timed(&mut timed, plan)
        .map_err(|e| (contenders[e.contender], e.message))?;
    drop(timed);
    drop(closures);
    // The last call of every implementation, whatever round it fell in.
    for (k, &kind) in kinds.iter().enumerate() {
        let last = calls[k].get().saturating_sub(1);
        let slot = slots[k].borrow();
        inputs
            .with_input(k, last, |input| {
                verify(stage, kind, input, slot.as_deref(), "last timed call")
            })
            .map_err(|e| (Contender::Kind(kind), e))?;
    }
    let peer_samples = samples.split_off(kinds.len());
    Ok((samples, peer_samples))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_call_gets_its_own_input_and_it_can_be_rebuilt() {
        let base = AudioBuffer::new(
            vec![(0..1000).map(|i| (i as f32 * 0.01).sin() * 0.5).collect()],
            44_100,
        )
        .unwrap();
        let inputs = FreshInputs::new(&base, 42);
        let a = inputs.with_input(0, 0, |x| x.clone());
        let b = inputs.with_input(0, 1, |x| x.clone());
        let c = inputs.with_input(1, 0, |x| x.clone());
        assert_ne!(a, b, "another call of the same contender");
        assert_ne!(a, c, "the same call of another contender");
        assert_eq!(inputs.with_input(0, 0, |x| x.clone()), a, "rebuilt exactly");
        let (gain, shift) = inputs.transform(0, 0);
        assert!((0.85..=1.0).contains(&gain) && shift < 1000);
        assert_eq!(a.channel(0)[0], gain * base.channel(0)[shift]);
    }
}
