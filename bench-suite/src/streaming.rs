//! Real-time behaviour: per-call latency of a stage's streaming processor, and proof that
//! its processing loop does not allocate.
//!
//! A real-time audio callback has one chunk's duration to return, every time; the mean says
//! little about that and the tail says everything. So every `process_interleaved` call is
//! timed into an HdrHistogram (nanoseconds, 3 significant digits), and p50 / p99 / p99.9 /
//! max are reported next to the chunk's budget. Allocations are counted on the calling
//! thread — the audio thread — across the whole loop, including the timing code itself,
//! which therefore must not allocate either: the histogram, the interleaved input and the
//! output buffer are all created before the loop starts.

use std::hint::black_box;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

use auralis_core::{AudioBuffer, LabStage, StreamProcessor};
use hdrhistogram::Histogram;

use crate::alloc_counter::thread_allocations;
use crate::realtime::RealTimeSection;
use crate::report::{ChunkLatency, JitterProbe, PercentilePoint, StreamingReport};

/// Chunk sizes measured, in frames: a low-latency callback, a typical one, a relaxed one.
pub const CHUNK_SIZES: [usize; 3] = [256, 1024, 4096];

/// Percentiles on the latency curve (the plot) — "nines" up to the maximum.
pub const CURVE_PERCENTILES: [f64; 6] = [50.0, 90.0, 99.0, 99.9, 99.99, 100.0];

/// Fewest calls timed per chunk size; the input is looped to reach it. With fewer than 1000
/// calls the p99.9 is simply the maximum — one preemption of this shared VM — so 2000 calls
/// make p99.9 the second-worst call and leave the worst to `max`, which is reported too.
pub const MIN_CALLS: usize = 2000;

/// Calls of the jitter probe, and the dependent integer steps each call does (about 30 µs on
/// the lab's machine: the size of a 4096-frame dynamics chunk, a third of an EQ one).
const PROBE_CALLS: usize = 2000;
const PROBE_STEPS: u32 = 20_000;

/// Times the same fixed work — a dependent chain of integer multiply-adds, no memory traffic,
/// no allocation — [`PROBE_CALLS`] times on this thread. Every call does identical work, so
/// the spread between its percentiles is the machine's (preemption, interrupts, a neighbour
/// on a shared host), and a streaming processor's p99.9 on the same machine cannot be
/// expected to sit closer to its median than this probe's does.
pub fn measure_jitter() -> Option<JitterProbe> {
    let mut histogram = Histogram::<u64>::new_with_bounds(1, HISTOGRAM_MAX_NS, 3).ok()?;
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    for _ in 0..PROBE_CALLS {
        let start = Instant::now();
        for _ in 0..PROBE_STEPS {
            state = black_box(state)
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
        }
        let elapsed = start.elapsed().as_nanos();
        black_box(state);
        histogram.saturating_record(elapsed.clamp(1, HISTOGRAM_MAX_NS as u128) as u64);
    }
    Some(JitterProbe {
        calls: histogram.len(),
        p50_ns: histogram.value_at_quantile(0.5),
        p99_ns: histogram.value_at_quantile(0.99),
        p999_ns: histogram.value_at_quantile(0.999),
        max_ns: histogram.max(),
    })
}

/// Longest call the histogram resolves (longer calls are recorded as this): one minute.
const HISTOGRAM_MAX_NS: u64 = 60_000_000_000;

/// Measures `stage`'s streaming processor on `audio`, or `None` if the stage has none.
pub fn measure_streaming(
    stage: &dyn LabStage,
    input_name: &str,
    audio: &AudioBuffer,
    chunk_sizes: &[usize],
) -> Option<StreamingReport> {
    let channels = audio.num_channels();
    let sample_rate = audio.sample_rate();
    let built = catch_unwind(AssertUnwindSafe(|| {
        stage.stream_erased(channels, sample_rate)
    }));
    let mut report = StreamingReport {
        input: input_name.to_string(),
        channels,
        sample_rate,
        latency_frames: None,
        error: None,
        chunks: Vec::new(),
    };
    let mut processor = match built {
        Ok(None) => return None,
        Ok(Some(Ok(processor))) => processor,
        Ok(Some(Err(e))) => {
            report.error = Some(format!("cannot build the streaming processor: {e}"));
            return Some(report);
        }
        Err(panic) => {
            report.error = Some(format!(
                "building the streaming processor panicked: {}",
                crate::run::panic_message(&*panic)
            ));
            return Some(report);
        }
    };
    report.latency_frames = Some(processor.latency_frames());
    let interleaved = audio.to_interleaved();
    for &chunk_frames in chunk_sizes {
        if chunk_frames == 0 || chunk_frames > audio.len() {
            continue;
        }
        match catch_unwind(AssertUnwindSafe(|| {
            time_chunks(
                &mut *processor,
                &interleaved,
                channels,
                sample_rate,
                chunk_frames,
            )
        })) {
            Ok(chunk) => report.chunks.push(chunk),
            Err(panic) => {
                report.error = Some(format!(
                    "the streaming processor panicked at chunk size {chunk_frames}: {}",
                    crate::run::panic_message(&*panic)
                ));
                break;
            }
        }
    }
    Some(report)
}

/// Feeds `interleaved` through `processor` in full chunks of `chunk_frames` frames, timing
/// each call, looping the input until at least [`MIN_CALLS`] calls are made. A trailing
/// partial chunk is not fed: its shorter call would flatter the percentiles of this chunk
/// size.
fn time_chunks(
    processor: &mut dyn StreamProcessor,
    interleaved: &[f32],
    channels: usize,
    sample_rate: u32,
    chunk_frames: usize,
) -> ChunkLatency {
    let chunk_len = chunk_frames * channels;
    let mut output = vec![0.0f32; chunk_len];
    let mut histogram = match Histogram::<u64>::new_with_bounds(1, HISTOGRAM_MAX_NS, 3) {
        Ok(h) => h,
        // Unreachable with these constant bounds; reported rather than unwrapped.
        Err(e) => return failed_chunk(chunk_frames, sample_rate, format!("histogram: {e}")),
    };
    processor.reset();
    let mut total_ns: u128 = 0;
    let mut failure = None;
    // As a real-time audio thread runs (`realtime.rs`); one section per chunk size keeps
    // each well inside Linux's real-time throttling budget. Entered before the allocation
    // count starts: entering may allocate (the policy's description), the calls must not.
    let section = RealTimeSection::enter();
    let allocations_before = thread_allocations();
    let chunks = interleaved.chunks_exact(chunk_len);
    let calls = match chunks.len() {
        0 => 0,
        n => n.max(MIN_CALLS),
    };
    for chunk in chunks.cycle().take(calls) {
        let start = Instant::now();
        let result = processor.process_interleaved(chunk, &mut output);
        let elapsed = start.elapsed().as_nanos();
        black_box(&mut output);
        total_ns += elapsed;
        histogram.saturating_record(elapsed.clamp(1, HISTOGRAM_MAX_NS as u128) as u64);
        if let Err(e) = result {
            failure = Some(e);
            break;
        }
    }
    let allocations = thread_allocations() - allocations_before;
    drop(section);
    let budget_ns = chunk_budget_ns(chunk_frames, sample_rate);
    let calls = histogram.len();
    let audio_secs = calls as f64 * chunk_frames as f64 / sample_rate as f64;
    let share = |ns: u64| ns as f64 / budget_ns.max(1) as f64;
    let p50_ns = histogram.value_at_quantile(0.5);
    let p99_ns = histogram.value_at_quantile(0.99);
    let p999_ns = histogram.value_at_quantile(0.999);
    let max_ns = histogram.max();
    ChunkLatency {
        chunk_frames,
        calls,
        budget_ns,
        p50_ns,
        p99_ns,
        p999_ns,
        max_ns,
        p50_share: share(p50_ns),
        p99_share: share(p99_ns),
        p999_share: share(p999_ns),
        max_share: share(max_ns),
        real_time_factor: if total_ns > 0 {
            audio_secs / (total_ns as f64 * 1e-9)
        } else {
            0.0
        },
        allocations,
        percentiles: CURVE_PERCENTILES
            .iter()
            .map(|&p| PercentilePoint {
                percentile: p,
                ns: histogram.value_at_percentile(p),
            })
            .collect(),
        error: failure.map(|e| format!("process_interleaved failed: {e}")),
    }
}

/// A chunk's duration in nanoseconds: the real-time budget of one call.
pub fn chunk_budget_ns(chunk_frames: usize, sample_rate: u32) -> u64 {
    (chunk_frames as u128 * 1_000_000_000 / sample_rate.max(1) as u128) as u64
}

fn failed_chunk(chunk_frames: usize, sample_rate: u32, error: String) -> ChunkLatency {
    ChunkLatency {
        chunk_frames,
        calls: 0,
        budget_ns: chunk_budget_ns(chunk_frames, sample_rate),
        p50_ns: 0,
        p99_ns: 0,
        p999_ns: 0,
        max_ns: 0,
        p50_share: 0.0,
        p99_share: 0.0,
        p999_share: 0.0,
        max_share: 0.0,
        real_time_factor: 0.0,
        allocations: 0,
        percentiles: Vec::new(),
        error: Some(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_probe_times_every_call_and_orders_its_percentiles() {
        let j = measure_jitter().unwrap();
        assert_eq!(j.calls, PROBE_CALLS as u64);
        assert!(0 < j.p50_ns && j.p50_ns <= j.p99_ns);
        assert!(j.p99_ns <= j.p999_ns && j.p999_ns <= j.max_ns);
    }

    #[test]
    fn budgets() {
        // 1024 frames at 44.1 kHz = 23.219954… ms.
        assert_eq!(chunk_budget_ns(1024, 44_100), 23_219_954);
        assert_eq!(chunk_budget_ns(256, 48_000), 5_333_333);
    }
}
