//! Criterion benches for the EQ stage: every implementation on 5 s, 30 s and 180 s of the
//! standard stereo 44.1 kHz fixture with the lab's gains (`balanced`), at hop 1024 (`eq`) and
//! hop 2048 (`eq-hop2048`); and the streaming processor on 256-, 1024- and 4096-frame chunks.
//!
//! `cargo bench -p auralis-lab --bench eq` (add `-- eq/parallel/180s` or `-- eq-stream` to
//! filter). Throughput is in audio frames (samples per channel) per second.

use std::hint::black_box;
use std::time::Duration;

use auralis_core::{AudioBuffer, ImplKind, Stage, StreamProcessor};
use auralis_eq::{process, process_into, EqStage, EqStream};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

const DURATIONS_SECS: [u32; 3] = [5, 30, 180];
const CHUNK_FRAMES: [usize; 3] = [256, 1024, 4096];

fn whole_file(c: &mut Criterion) {
    let inputs: Vec<(u32, AudioBuffer)> = DURATIONS_SECS
        .iter()
        .map(|&s| (s, auralis_fixtures::generate_seconds(f64::from(s))))
        .collect();
    for stage in [EqStage::default(), EqStage::hop_2048()] {
        let settings = stage.bench_settings();
        for kind in ImplKind::ALL {
            let mut group = c.benchmark_group(format!("{}/{kind}", stage.name()));
            for (seconds, audio) in &inputs {
                // A failing implementation must not be timed.
                process(kind, audio, &settings)
                    .unwrap_or_else(|e| panic!("eq {kind} failed on {seconds} s: {e}"));
                group.throughput(Throughput::Elements(audio.len() as u64));
                if *seconds >= 180 {
                    group
                        .sample_size(10)
                        .measurement_time(Duration::from_secs(10));
                } else if *seconds >= 30 {
                    group
                        .sample_size(20)
                        .measurement_time(Duration::from_secs(8));
                }
                group.bench_with_input(
                    BenchmarkId::from_parameter(format!("{seconds}s")),
                    audio,
                    |b, audio| {
                        // Each iteration writes into the previous output, as the lab times it.
                        let mut previous = None;
                        b.iter(|| process_into(kind, black_box(audio), &settings, &mut previous))
                    },
                );
            }
            group.finish();
        }
    }
}

fn streaming(c: &mut Criterion) {
    let audio = auralis_fixtures::generate_seconds(30.0);
    let input = audio.to_interleaved();
    let channels = audio.num_channels();
    for stage in [EqStage::default(), EqStage::hop_2048()] {
        let mut group = c.benchmark_group(format!("{}-stream", stage.name()));
        for chunk_frames in CHUNK_FRAMES {
            let mut stream = EqStream::new(&stage.settings, channels, audio.sample_rate())
                .expect("bench settings are valid");
            let chunk_len = chunk_frames * channels;
            let mut output = vec![0.0f32; chunk_len];
            // Cycle through the fixture so every chunk is fresh audio, not a cached repeat.
            let last_start = input.len() - chunk_len;
            let mut at = 0;
            group.throughput(Throughput::Elements(chunk_frames as u64));
            group.bench_function(BenchmarkId::from_parameter(chunk_frames), |b| {
                b.iter(|| {
                    stream
                        .process_interleaved(black_box(&input[at..at + chunk_len]), &mut output)
                        .expect("fixture audio is finite");
                    at = if at + chunk_len > last_start {
                        0
                    } else {
                        at + chunk_len
                    };
                })
            });
        }
        group.finish();
    }
}

criterion_group!(benches, whole_file, streaming);
criterion_main!(benches);
