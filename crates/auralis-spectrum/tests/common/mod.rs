//! Spectrum-specific helpers; the signals come from `auralis_testkit::signals`, the checks
//! every stage shares from `auralis_testkit`.

#![allow(dead_code)] // each test file uses a different subset

use auralis_core::{AudioBuffer, ImplKind};
use auralis_spectrum::{analyze, SpectrumResult, SpectrumSettings, SpectrumStage};

/// The music-like test signal (seed 7), as these tests have always used one seed.
pub fn music_like(seconds: f64, sample_rate: u32, channels: usize) -> AudioBuffer {
    auralis_testkit::signals::music_like(seconds, sample_rate, channels, 7)
}

/// Holds every implementation against the reference (the kit's check) and returns the
/// reference result, checked for finite values.
pub fn assert_variants_agree(audio: &AudioBuffer, settings: &SpectrumSettings) -> SpectrumResult {
    auralis_testkit::check_against_reference(&SpectrumStage, settings, audio);
    let reference = analyze(ImplKind::Reference, audio, settings).expect("reference runs");
    assert_finite(&reference);
    reference
}

pub fn assert_finite(r: &SpectrumResult) {
    assert!(r.band_levels_db.iter().all(|v| v.is_finite()), "{r:?}");
    for v in [
        r.peak_frequency_hz,
        r.centroid_hz,
        r.rolloff_hz,
        r.total_energy_db,
    ] {
        assert!(v.is_none_or(f32::is_finite), "{r:?}");
    }
}
