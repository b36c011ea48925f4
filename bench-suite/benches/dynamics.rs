//! Criterion benches for the dynamics stage (compressor → limiter, STAGES.md defaults).
//!
//! * `dynamics/<implementation>/<seconds>s`: whole-file processing of the 5/30/180 s stereo
//!   music fixtures, throughput in frames.
//! * `dynamics/stream/<chunk>`: one interleaved stereo chunk through `DynamicsStream`
//!   (chunks cycle through a 30 s fixture so the state sees real music), throughput in frames.
//!
//! `cargo bench -p auralis-lab --bench dynamics`

use std::time::Duration;

use auralis_core::{ImplKind, StreamProcessor};
use auralis_dynamics::{process_into, DynamicsSettings, DynamicsStream};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

fn whole_file(c: &mut Criterion) {
    let settings = DynamicsSettings::default();
    let mut group = c.benchmark_group("dynamics");
    group.sample_size(10);
    for seconds in [5.0, 30.0, 180.0] {
        let audio = auralis_fixtures::generate_seconds(seconds);
        group.throughput(Throughput::Elements(audio.len() as u64));
        group.measurement_time(Duration::from_secs_f64((seconds / 5.0).clamp(3.0, 20.0)));
        for kind in ImplKind::ALL {
            group.bench_with_input(
                BenchmarkId::new(kind.name(), format!("{seconds}s")),
                &audio,
                |b, audio| {
                    // Each iteration writes into the previous output, as the lab times it.
                    let mut previous = None;
                    b.iter(|| {
                        if let Err(e) = process_into(kind, audio, &settings, &mut previous) {
                            panic!("dynamics {kind}: {e}");
                        }
                    })
                },
            );
        }
    }
    group.finish();
}

fn stream(c: &mut Criterion) {
    let settings = DynamicsSettings::default();
    let audio = auralis_fixtures::generate_seconds(30.0);
    let interleaved = audio.to_interleaved();
    let mut group = c.benchmark_group("dynamics/stream");
    for chunk in [256usize, 1024, 4096] {
        group.throughput(Throughput::Elements(chunk as u64));
        group.bench_function(BenchmarkId::from_parameter(chunk), |b| {
            let mut processor = match DynamicsStream::new(&settings, 2, audio.sample_rate()) {
                Ok(p) => p,
                Err(e) => panic!("dynamics stream: {e}"),
            };
            let mut output = vec![0.0f32; chunk * 2];
            let mut chunks = interleaved.chunks_exact(chunk * 2).cycle();
            b.iter(|| {
                let input = chunks.next().unwrap_or(&interleaved[..chunk * 2]);
                if let Err(e) = processor.process_interleaved(input, &mut output) {
                    panic!("dynamics stream: {e}");
                }
            });
        });
    }
    group.finish();
}

criterion_group!(benches, whole_file, stream);
criterion_main!(benches);
