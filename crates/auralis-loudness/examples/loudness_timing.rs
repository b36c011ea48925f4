//! Quick look at where the loudness meter's time goes on the 180 s fixture: the whole meter
//! per implementation, without true peak, and the true-peak interpolators alone.
//!
//! `cargo run --release -p auralis-loudness --example loudness_timing`

use std::time::Instant;

use auralis_core::ImplKind;
use auralis_loudness::{measure, LoudnessSettings};

fn best_of<R>(n: usize, mut f: impl FnMut() -> R) -> f64 {
    (0..n)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(f());
            t.elapsed().as_secs_f64() * 1e3
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() {
    let audio = auralis_fixtures::generate_seconds(180.0);
    for kind in ImplKind::ALL {
        for tp in [true, false] {
            let s = LoudnessSettings::with_true_peak(tp);
            let ms = best_of(5, || measure(kind, &audio, &s).unwrap());
            println!("{kind:<10} true peak {tp:<5} {ms:8.2} ms");
        }
    }
    let x = audio.channel(0);
    let ms = best_of(5, || {
        auralis_dsp::truepeak_simd::true_peak_channel_fast(x, 44_100)
    });
    println!("true peak, fast, one channel {ms:.2} ms");
    let ms = best_of(2, || auralis_dsp::truepeak::true_peak_channel_at(x, 44_100));
    println!("true peak, f64 reference, one channel {ms:.2} ms");
}
