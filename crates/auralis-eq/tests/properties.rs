//! Properties over random gain sets and signals (few cases each, to stay fast).

use auralis_core::{AudioBuffer, ImplKind};
use auralis_eq::bands::GainCurve;
use auralis_eq::{compare, process, EqGains, EqSettings, MAX_GAIN_DB, NUM_BANDS};
use auralis_testkit::signals::noise;
use proptest::prelude::*;

fn gains_strategy() -> impl Strategy<Value = Vec<f32>> {
    // Beyond ±12 dB on purpose: clipping is part of the contract.
    prop::collection::vec(-20.0f32..20.0, NUM_BANDS)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    #[test]
    fn fast_variants_pass_the_gate_for_any_gains(
        gains in gains_strategy(),
        len in 1usize..30_000,
        hop_2048 in any::<bool>(),
        seed in any::<u64>(),
    ) {
        let settings = EqSettings {
            gains: EqGains::new(&gains).unwrap(),
            fft_size: 4096,
            hop: if hop_2048 { 2048 } else { 1024 },
        };
        let audio = AudioBuffer::new(
            vec![noise(len, 0.5, seed), noise(len, 0.2, seed ^ 1)],
            44_100,
        )
        .unwrap();
        let reference = process(ImplKind::Reference, &audio, &settings).unwrap();
        for kind in [ImplKind::Vectorized, ImplKind::Parallel] {
            let candidate = process(kind, &audio, &settings).unwrap();
            let accuracy = compare(&reference, &candidate);
            prop_assert!(accuracy.passed(), "{kind}: {:?}", accuracy.failures());
        }
    }

    #[test]
    fn the_curve_stays_within_the_clipped_band_gains(gains in gains_strategy()) {
        let eq_gains = EqGains::new(&gains).unwrap();
        let clipped = eq_gains.as_slice();
        let (lo, hi) = clipped
            .iter()
            .fold((f32::MAX, f32::MIN), |(lo, hi), &g| (lo.min(g), hi.max(g)));
        prop_assert!(lo >= -MAX_GAIN_DB && hi <= MAX_GAIN_DB);
        let curve = GainCurve::new(&eq_gains);
        let mut f = 1.0f64;
        while f < 96_000.0 {
            let g = curve.gain_db(f);
            prop_assert!(g >= f64::from(lo) - 1e-9 && g <= f64::from(hi) + 1e-9, "{g} dB at {f} Hz");
            f *= 1.01;
        }
    }

    #[test]
    fn parse_accepts_what_it_prints(gains in gains_strategy()) {
        let text = gains.iter().map(|g| g.to_string()).collect::<Vec<_>>().join(",");
        prop_assert_eq!(EqGains::parse(&text).unwrap(), EqGains::new(&gains).unwrap());
    }
}
