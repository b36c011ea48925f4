//! Criterion benches for the spectrum stage: every implementation on 5 s, 30 s and 180 s of
//! the standard stereo 44.1 kHz fixture, default settings (FFT 4096, hop 1024, 64 bands, A).
//!
//! `cargo bench -p auralis-lab --bench spectrum` (add `-- parallel/180s` to filter).
//! Throughput is reported in STFT frames per second.

use std::hint::black_box;
use std::time::Duration;

use auralis_core::{AudioBuffer, ImplKind};
use auralis_spectrum::{analyze, SpectrumSettings};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

const DURATIONS_SECS: [u32; 3] = [5, 30, 180];

fn spectrum(c: &mut Criterion) {
    let settings = SpectrumSettings::default();
    let inputs: Vec<(u32, AudioBuffer)> = DURATIONS_SECS
        .iter()
        .map(|&s| (s, auralis_fixtures::generate_seconds(f64::from(s))))
        .collect();

    for kind in ImplKind::ALL {
        let mut group = c.benchmark_group(format!("spectrum/{kind}"));
        for (seconds, audio) in &inputs {
            // Frame count and a correctness smoke check in one: a failing run must not be timed.
            let frames = analyze(kind, audio, &settings)
                .unwrap_or_else(|e| panic!("spectrum {kind} failed on {seconds} s: {e}"))
                .frames;
            group.throughput(Throughput::Elements(frames as u64));
            if *seconds >= 30 {
                group
                    .sample_size(10)
                    .measurement_time(Duration::from_secs(8));
            }
            group.bench_with_input(
                BenchmarkId::from_parameter(format!("{seconds}s")),
                audio,
                |b, audio| b.iter(|| analyze(kind, black_box(audio), &settings)),
            );
        }
        group.finish();
    }
}

criterion_group!(benches, spectrum);
criterion_main!(benches);
