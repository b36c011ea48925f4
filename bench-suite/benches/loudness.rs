//! Criterion benches for the loudness stage (BS.1770-4 meter with true peak), next to the
//! meters a Rust user would pick instead.
//!
//! * `loudness/<implementation>/<seconds>s`: the whole meter on the 5/30/180 s stereo
//!   fixtures (integrated, range, maxima, series, sample and true peak).
//! * `loudness/ebur128/<seconds>s`: the `ebur128` crate (port of libebur128) with integrated,
//!   range and true peak, one thread — the peer (and the accuracy oracle).
//!
//! `cargo bench -p auralis-lab --bench loudness`

use std::time::Duration;

use auralis_core::ImplKind;
use auralis_loudness::{measure, LoudnessSettings};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

fn whole_file(c: &mut Criterion) {
    let settings = LoudnessSettings::default();
    let mut group = c.benchmark_group("loudness");
    group.sample_size(10);
    for seconds in [5.0, 30.0, 180.0] {
        let audio = auralis_fixtures::generate_seconds(seconds);
        group.throughput(Throughput::Elements(audio.len() as u64));
        group.measurement_time(Duration::from_secs_f64((seconds / 5.0).clamp(3.0, 20.0)));
        for kind in ImplKind::ALL {
            group.bench_with_input(
                BenchmarkId::new(kind.name(), format!("{seconds}s")),
                &audio,
                |b, audio| b.iter(|| measure(kind, audio, &settings).expect("valid audio")),
            );
        }
        group.bench_with_input(
            BenchmarkId::new("ebur128", format!("{seconds}s")),
            &audio,
            |b, audio| {
                b.iter(|| {
                    let mut meter = ebur128::EbuR128::new(
                        2,
                        audio.sample_rate(),
                        ebur128::Mode::I | ebur128::Mode::LRA | ebur128::Mode::TRUE_PEAK,
                    )
                    .expect("stereo");
                    let planes: Vec<&[f32]> = audio.channels().iter().map(Vec::as_slice).collect();
                    meter.add_frames_planar_f32(&planes).expect("frames");
                    (
                        meter.loudness_global(),
                        meter.loudness_range(),
                        meter.true_peak(0),
                    )
                })
            },
        );
    }
    group.finish();
}

criterion_group!(benches, whole_file);
criterion_main!(benches);
