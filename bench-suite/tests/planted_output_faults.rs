//! More planted faults, on the audio stages' outputs (EQ, dynamics) and the spectrum's:
//! an error of 3× the stage's stated tolerance, partial work (only the first 4096 frames
//! processed), a no-op that returns the input, a wrong output length, and (spectrum) one
//! NaN. Each must fail the lab's accuracy gate and never be selected. (One NaN in *audio*
//! cannot be planted: `AudioBuffer` refuses it by construction.)

mod common;

use auralis_core::{Accuracy, AudioBuffer, ImplKind, LabStage, Result, Stage};
use auralis_dynamics::DynamicsOutput;
use auralis_spectrum::SpectrumResult;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Fault {
    ThreeTimesTolerance,
    PartialWork,
    NoOp,
    WrongLength,
    OneNan,
}

/// Frames a "partial" implementation processes.
const PARTIAL_FRAMES: usize = 4096;

/// How each fault is made in an output type; `None` where it does not apply.
trait Plant: Sized {
    fn plant(self, fault: Fault, input: &AudioBuffer) -> Option<Self>;
}

fn channels_map(a: &AudioBuffer, f: impl Fn(usize, &[f32]) -> Vec<f32>) -> Vec<Vec<f32>> {
    a.channels()
        .iter()
        .enumerate()
        .map(|(c, x)| f(c, x))
        .collect()
}

fn spliced(out: &AudioBuffer, input: &AudioBuffer) -> AudioBuffer {
    let ch = channels_map(out, |c, x| {
        let mut v = x[..PARTIAL_FRAMES].to_vec();
        v.extend_from_slice(&input.channel(c)[PARTIAL_FRAMES..]);
        v
    });
    AudioBuffer::from_stage_output(ch, out.sample_rate()).unwrap()
}

fn scaled(out: &AudioBuffer, factor: f64) -> AudioBuffer {
    let ch = channels_map(out, |_, x| {
        x.iter().map(|&s| (f64::from(s) * factor) as f32).collect()
    });
    AudioBuffer::from_stage_output(ch, out.sample_rate()).unwrap()
}

fn one_short(out: &AudioBuffer) -> AudioBuffer {
    let ch = channels_map(out, |_, x| x[..x.len() - 1].to_vec());
    AudioBuffer::from_stage_output(ch, out.sample_rate()).unwrap()
}

impl Plant for AudioBuffer {
    fn plant(self, fault: Fault, input: &AudioBuffer) -> Option<Self> {
        Some(match fault {
            // Relative RMS error 3e-6 where 1e-6 is allowed.
            Fault::ThreeTimesTolerance => {
                scaled(&self, 1.0 + 3.0 * auralis_eq::RELATIVE_RMS_TOLERANCE)
            }
            Fault::PartialWork => spliced(&self, input),
            Fault::NoOp => input.clone(),
            Fault::WrongLength => one_short(&self),
            Fault::OneNan => return None,
        })
    }
}

impl Plant for DynamicsOutput {
    fn plant(mut self, fault: Fault, input: &AudioBuffer) -> Option<Self> {
        match fault {
            // Gain off by 3e-5 dB where 1e-5 dB is allowed (and the audio with it).
            Fault::ThreeTimesTolerance => {
                let db = 3.0 * auralis_dynamics::GAIN_TOLERANCE_DB;
                self.gain_db.iter_mut().for_each(|g| *g += db as f32);
                self.audio = scaled(&self.audio, 10f64.powf(db / 20.0));
            }
            Fault::PartialWork => {
                self.audio = spliced(&self.audio, input);
                self.gain_db[PARTIAL_FRAMES..].fill(0.0);
            }
            Fault::NoOp => {
                self.audio = input.clone();
                self.gain_db.fill(0.0);
            }
            Fault::WrongLength => {
                self.audio = one_short(&self.audio);
                self.gain_db.pop();
            }
            Fault::OneNan => return None,
        }
        Some(self)
    }
}

impl Plant for SpectrumResult {
    fn plant(mut self, fault: Fault, _input: &AudioBuffer) -> Option<Self> {
        match fault {
            Fault::ThreeTimesTolerance => {
                let db = 3.0 * auralis_spectrum::BAND_LEVEL_TOLERANCE_DB;
                self.band_levels_db.iter_mut().for_each(|l| *l += db as f32);
            }
            Fault::WrongLength => {
                self.band_levels_db.pop();
            }
            Fault::OneNan => self.band_levels_db[10] = f32::NAN,
            Fault::PartialWork | Fault::NoOp => return None,
        }
        Some(self)
    }
}

impl Plant for auralis_loudness::LoudnessResult {
    fn plant(mut self, fault: Fault, input: &AudioBuffer) -> Option<Self> {
        match fault {
            Fault::ThreeTimesTolerance => {
                let d = 3.0 * auralis_loudness::LOUDNESS_TOLERANCE_LU;
                self.integrated_lufs = self.integrated_lufs.map(|v| v + d);
            }
            Fault::PartialWork => {
                // The meter read only the first 4096 frames.
                let head = AudioBuffer::new(
                    input
                        .channels()
                        .iter()
                        .map(|c| c[..c.len().min(4096)].to_vec())
                        .collect(),
                    input.sample_rate(),
                )
                .ok()?;
                return auralis_loudness::measure(ImplKind::Reference, &head, &Default::default())
                    .ok();
            }
            Fault::WrongLength => {
                if self.momentary_lufs.pop().is_none() {
                    self.momentary_lufs.push(-20.0);
                }
            }
            Fault::OneNan => self.range_lu = Some(f64::NAN),
            Fault::NoOp => return None, // an analysis has no input to hand back
        }
        Some(self)
    }
}

/// The vectorized variant of `S` with `fault` planted in its output.
struct Faulty<S> {
    inner: S,
    fault: Fault,
}

impl<S: Stage> Stage for Faulty<S>
where
    S::Output: Plant,
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
    fn run(&self, kind: ImplKind, audio: &AudioBuffer, s: &S::Settings) -> Result<S::Output> {
        let out = self.inner.run(kind, audio, s)?;
        if kind != ImplKind::Vectorized {
            return Ok(out);
        }
        Ok(out
            .plant(self.fault, audio)
            .expect("only applicable faults are run"))
    }
    fn compare(&self, reference: &S::Output, candidate: &S::Output) -> Accuracy {
        self.inner.compare(reference, candidate)
    }
    fn tolerance(&self) -> &'static str {
        self.inner.tolerance()
    }
    fn poison(&self, output: &mut S::Output) {
        self.inner.poison(output)
    }
}

fn applies<T: Plant>(probe: T, fault: Fault, audio: &AudioBuffer) -> bool {
    probe.plant(fault, audio).is_some()
}

fn assert_caught(stage: Box<dyn LabStage>, fault: Fault) {
    common::assert_caught(
        stage,
        ImplKind::Vectorized,
        1.5,
        3,
        "",
        &format!("{fault:?}"),
    );
}

/// Plants `fault` in `stage`'s vectorized output and asserts the lab catches it — if the
/// fault applies to that stage's output at all (checked on `probe`).
fn plant_in<S>(stage: S, fault: Fault, probe: &AudioBuffer)
where
    S: Stage + 'static,
    S::Output: Plant + Clone,
{
    let sample = stage.run(ImplKind::Reference, probe, &stage.bench_settings());
    if applies(sample.unwrap(), fault, probe) {
        assert_caught(
            Box::new(Faulty {
                inner: stage,
                fault,
            }),
            fault,
        );
    }
}

#[test]
fn output_faults_fail_the_accuracy_gate_on_every_stage_they_apply_to() {
    let probe = auralis_fixtures::generate_seconds(0.2);
    for fault in [
        Fault::ThreeTimesTolerance,
        Fault::PartialWork,
        Fault::NoOp,
        Fault::WrongLength,
        Fault::OneNan,
    ] {
        plant_in(auralis_eq::EqStage::default(), fault, &probe);
        plant_in(auralis_dynamics::DynamicsStage::default(), fault, &probe);
        plant_in(auralis_loudness::LoudnessStage, fault, &probe);
        plant_in(auralis_spectrum::SpectrumStage, fault, &probe);
    }
}
