//! The kit can fail: a toy stage (a gain of one half, with a stream) passes it, and each
//! planted fault fails it with the message that names the check.

use auralis_core::alloc_count::ThreadCountingAllocator;
use auralis_core::{
    Accuracy, AudioBuffer, Check, ImplKind, Metrics, Result, Stage, StreamProcessor, POISON,
};
use auralis_testkit::check_stage;
use auralis_testkit::signals::music_like;

#[global_allocator]
static GLOBAL: ThreadCountingAllocator = ThreadCountingAllocator;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Fault {
    None,
    WrongVectorized,
    AddsIntoStaleOutput,
    ThreadDependent,
    StreamDiffersAtChunkStarts,
    StreamAllocates,
}

struct Half(Fault);

impl Stage for Half {
    type Settings = ();
    type Output = AudioBuffer;
    fn name(&self) -> &'static str {
        "half"
    }
    fn implementations(&self) -> &'static [ImplKind] {
        &ImplKind::ALL
    }
    fn bench_settings(&self) {}
    fn run(&self, kind: ImplKind, audio: &AudioBuffer, _: &()) -> Result<AudioBuffer> {
        let mut slot = None;
        self.run_into(kind, audio, &(), &mut slot)?;
        Ok(slot.expect("filled"))
    }
    fn run_into(
        &self,
        kind: ImplKind,
        audio: &AudioBuffer,
        _: &(),
        output: &mut Option<AudioBuffer>,
    ) -> Result<()> {
        let mut gain = 0.5f32;
        if self.0 == Fault::WrongVectorized && kind == ImplKind::Vectorized {
            gain = 0.6;
        }
        if self.0 == Fault::ThreadDependent && kind == ImplKind::Parallel {
            gain += rayon::current_num_threads() as f32 * 1e-7;
        }
        let adds = self.0 == Fault::AddsIntoStaleOutput;
        let mut channels = AudioBuffer::recycle(output.take(), audio.num_channels(), audio.len());
        for (out, x) in channels.iter_mut().zip(audio.channels()) {
            for (o, &s) in out.iter_mut().zip(x) {
                *o = if adds { *o + gain * s } else { gain * s };
            }
        }
        *output = Some(AudioBuffer::from_stage_output(
            channels,
            audio.sample_rate(),
        )?);
        Ok(())
    }
    fn compare(&self, r: &AudioBuffer, c: &AudioBuffer) -> Accuracy {
        let metrics = Metrics::of_channels(r.channels(), c.channels());
        let checks = vec![Check::at_most("max error", metrics.max_abs_error, 1e-6)];
        Accuracy { metrics, checks }
    }
    fn poison(&self, output: &mut AudioBuffer) {
        output.overwrite_in_place(POISON);
    }
    fn tolerance(&self) -> &'static str {
        "exact"
    }
    fn output_audio<'a>(&self, output: &'a AudioBuffer) -> Option<&'a AudioBuffer> {
        Some(output)
    }
    fn stream(
        &self,
        _: &(),
        channels: usize,
        rate: u32,
    ) -> Option<Result<Box<dyn StreamProcessor>>> {
        Some(Ok(Box::new(HalfStream {
            fault: self.0,
            channels,
            rate,
        })))
    }
}

struct HalfStream {
    fault: Fault,
    channels: usize,
    rate: u32,
}

impl StreamProcessor for HalfStream {
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
        for (o, &x) in output.iter_mut().zip(input) {
            *o = 0.5 * x;
        }
        match self.fault {
            Fault::StreamDiffersAtChunkStarts if !output.is_empty() => output[0] *= 1.001,
            Fault::StreamAllocates => drop(std::hint::black_box(vec![0u8; 8])),
            _ => {}
        }
        Ok(())
    }
    fn reset(&mut self) {}
}

fn run_kit(fault: Fault) {
    check_stage(&Half(fault), &(), &music_like(1.5, 8_000, 2, 1));
}

#[test]
fn an_honest_stage_passes() {
    run_kit(Fault::None);
}

#[test]
#[should_panic(expected = "vectorized disagrees with the reference")]
fn a_wrong_variant_fails() {
    run_kit(Fault::WrongVectorized);
}

#[test]
#[should_panic(expected = "poisoned output of a shorter input differs from a fresh run")]
fn adding_into_a_stale_output_fails() {
    run_kit(Fault::AddsIntoStaleOutput);
}

#[test]
#[should_panic(expected = "parallel output at 2 threads differs from 1 thread")]
fn a_thread_dependent_result_fails() {
    run_kit(Fault::ThreadDependent);
}

#[test]
#[should_panic(expected = "half stream vs reference, chunks")]
fn a_stream_that_differs_from_its_twin_fails() {
    run_kit(Fault::StreamDiffersAtChunkStarts);
}

#[test]
#[should_panic(expected = "allocations in the streaming hot path")]
fn an_allocating_stream_fails() {
    run_kit(Fault::StreamAllocates);
}
