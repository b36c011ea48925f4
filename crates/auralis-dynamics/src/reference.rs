//! The sequential reference: the definition every other implementation is held to.
//!
//! One frame at a time, in `f64`, with the standard library's `log10` and `exp`: detector
//! level in dB, the static curve, the envelope follower exactly as STAGES.md writes it, the
//! gain back to linear. The surrounding machinery (delay lines, limiter, latency) is the
//! shared engine.

use auralis_core::{AudioBuffer, Result};

use crate::curve::StaticCurve;
use crate::engine::{run_range, Engine};
use crate::envelope::EnvelopeFollower;
use crate::kernel::{Kernel, KernelScratch};
use crate::overlap::Background;
use crate::settings::{db_to_linear, DynamicsSettings};
use crate::stats::Storage;
use crate::DynamicsOutput;

/// Exact per-frame arithmetic.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Exact;

impl Kernel for Exact {
    type FollowerState = ();

    fn dispatch<Op: pulp::WithSimd>(op: Op) -> Op::Output {
        op.with_simd(pulp::Scalar::new())
    }

    fn compressor_gains(
        curve: &StaticCurve,
        follower: &mut EnvelopeFollower,
        _state: &mut (),
        _first_index: u64,
        makeup_db: f64,
        peaks: &[f32],
        _scratch: &mut KernelScratch,
        gain_db: &mut [f64],
        gain_linear: &mut [f32],
        _background: &mut impl Background,
    ) {
        for ((&peak, db), linear) in peaks.iter().zip(gain_db).zip(gain_linear) {
            let reduction = follower.step(curve.reduction_for_peak(peak));
            *db = makeup_db - reduction;
            *linear = db_to_linear(*db) as f32;
        }
    }

    fn gain_to_db(gain: f64) -> f64 {
        20.0 * gain.log10()
    }
}

/// Whole-file processing with the reference arithmetic.
pub(crate) fn process(
    audio: &AudioBuffer,
    settings: &DynamicsSettings,
    storage: Storage,
) -> Result<DynamicsOutput> {
    let mut engine = Engine::<Exact>::new(settings, audio.num_channels(), audio.sample_rate())?;
    whole_file(&mut engine, audio, settings, storage)
}

/// Runs a fresh engine over the whole input (shared by the reference and the vectorized
/// implementation, which differ only in their kernel).
pub(crate) fn whole_file<K: Kernel>(
    engine: &mut Engine<K>,
    audio: &AudioBuffer,
    settings: &DynamicsSettings,
    storage: Storage,
) -> Result<DynamicsOutput> {
    let Storage {
        mut channels,
        mut gain_db,
    } = storage;
    let summary = {
        let mut out: Vec<&mut [f32]> = channels.iter_mut().map(Vec::as_mut_slice).collect();
        let makeup = crate::stats::makeup_db(settings);
        run_range(engine, audio, 0, 0, &mut out, &mut gain_db, makeup)
    };
    crate::stats::finish(audio, channels, gain_db, summary)
}
