//! Criterion benches for the features stage (levels, spectral features, stereo, onset
//! strength, tempo and beats), and the two ways of running it in parallel.
//!
//! * `features/<implementation>/<seconds>s`: the whole stage on the 5/30/180 s fixtures;
//! * `features/feature-parallel/<seconds>s`: the seed's plan (one task per feature family,
//!   each with its own pass), against which the selected time-parallel variant is measured.
//!
//! `cargo bench -p auralis-lab --bench features`

use std::time::Duration;

use auralis_core::ImplKind;
use auralis_features::{extract, extract_feature_parallel, FeatureSettings};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

fn whole_file(c: &mut Criterion) {
    let settings = FeatureSettings::default();
    let mut group = c.benchmark_group("features");
    group.sample_size(10);
    for seconds in [5.0, 30.0, 180.0] {
        let audio = auralis_fixtures::generate_seconds(seconds);
        group.throughput(Throughput::Elements(audio.len() as u64));
        group.measurement_time(Duration::from_secs_f64((seconds / 5.0).clamp(3.0, 20.0)));
        for kind in ImplKind::ALL {
            group.bench_with_input(
                BenchmarkId::new(kind.name(), format!("{seconds}s")),
                &audio,
                |b, audio| b.iter(|| extract(kind, audio, &settings).expect("valid audio")),
            );
        }
        group.bench_with_input(
            BenchmarkId::new("feature-parallel", format!("{seconds}s")),
            &audio,
            |b, audio| b.iter(|| extract_feature_parallel(audio, &settings).expect("valid audio")),
        );
    }
    group.finish();
}

criterion_group!(benches, whole_file);
criterion_main!(benches);
