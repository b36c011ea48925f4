//! Inputs a meter must answer correctly or refuse — never a panic, never an invented number.

use auralis_core::{AudioBuffer, ImplKind};
use auralis_loudness::{measure, LoudnessResult, LoudnessSettings};
use auralis_testkit::signals::{music_like, square};

fn all(audio: &AudioBuffer) -> Vec<LoudnessResult> {
    ImplKind::ALL
        .into_iter()
        .map(|k| measure(k, audio, &LoudnessSettings::default()).unwrap())
        .collect()
}

#[test]
fn silence_has_no_loudness_and_says_why() {
    let audio = AudioBuffer::new(vec![vec![0.0; 5 * 48_000]; 2], 48_000).unwrap();
    for r in all(&audio) {
        assert_eq!(r.integrated_lufs, None);
        assert_eq!(r.range_lu, None);
        assert_eq!(r.momentary_max_lufs, None);
        assert_eq!(r.short_term_max_lufs, None);
        assert_eq!(r.sample_peak_dbfs(), None);
        assert_eq!(r.true_peak_dbtp(), None);
        assert!(r.integrated_absent_reason().unwrap().contains("gate"));
    }
}

#[test]
fn audio_shorter_than_400_ms_has_no_integrated_loudness_but_has_peaks() {
    for len in [1usize, 2, 100, 17_639] {
        let x: Vec<f32> = (0..len)
            .map(|i| 0.5 * (i as f32 * 0.3).sin() + 0.25)
            .collect();
        let audio = AudioBuffer::new(vec![x], 44_100).unwrap();
        for r in all(&audio) {
            assert_eq!(r.integrated_lufs, None, "{len}");
            assert!(r.integrated_absent_reason().unwrap().contains("400 ms"));
            assert!(r.momentary_lufs.is_empty());
            assert!(r.sample_peak_dbfs().is_some());
            assert!(r.true_peak_dbtp().unwrap() >= r.sample_peak_dbfs().unwrap());
        }
    }
}

#[test]
fn dc_is_removed_by_k_weighting() {
    // DC has no loudness (the RLB high-pass removes it): after the transient, silence.
    let audio = AudioBuffer::new(vec![vec![0.5; 20 * 48_000]], 48_000).unwrap();
    for r in all(&audio) {
        let last = *r.momentary_lufs.last().unwrap();
        assert!(last < -100.0, "{last}");
        assert!((r.sample_peak_dbfs().unwrap() - 20.0 * 0.5f64.log10()).abs() < 1e-9);
    }
}

#[test]
fn full_scale_square_waves_read_loud_and_peak_above_0_dbtp() {
    let audio = square(441.0, 10 * 44_100, 44_100);
    let results = all(&audio);
    for r in &results {
        let i = r.integrated_lufs.unwrap();
        assert!(i > 0.0 && i < 6.0, "{i}");
        // The interpolated square overshoots (Gibbs): true peak above the sample peak.
        assert!(r.true_peak_dbtp().unwrap() > 0.5);
    }
}

#[test]
fn extreme_rates_and_channel_counts() {
    for (rate, channels) in [(8_000, 1), (8_000, 8), (192_000, 2), (11_025, 3)] {
        let audio = music_like(4.0, rate, channels, 2);
        let results = all(&audio);
        let r0 = &results[0];
        assert!(r0.integrated_lufs.unwrap().is_finite(), "{rate} {channels}");
        for r in &results[1..] {
            let d = (r.integrated_lufs.unwrap() - r0.integrated_lufs.unwrap()).abs();
            assert!(
                d <= auralis_loudness::LOUDNESS_TOLERANCE_LU,
                "{rate} Hz {channels} ch: {d}"
            );
        }
        if channels == 8 {
            // Default 8-channel map: channel 3 (LFE), 6 and 7 are left out.
            assert_eq!(
                r0.channel_weights,
                [1.0, 1.0, 1.0, 0.0, 1.41, 1.41, 0.0, 0.0]
            );
        }
    }
}
