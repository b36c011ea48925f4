//! # auralis-fixtures
//!
//! Deterministic, music-like test signals for Auralis Lab (STAGES.md, "Fixtures"): a
//! half-second silent lead-in, then bass, chords and a vibrato lead with slowly varying
//! levels, pink-ish noise, a kick on every beat and hi-hats on the off-beats, a quiet section
//! at about −30 dBFS RMS and a loud one, normalised to a −0.5 dBFS sample peak. Every stage's
//! gates (silence, loudness gating, compression, limiting, tempo) have something to bite on.
//!
//! The same [`FixtureSpec`] always gives bit-identical samples — on every platform: the
//! recipe uses its own PRNG ([`rng`]) and its own `sin`/`exp` ([`math`]) instead of anything
//! whose output could change with a dependency or a libm. [`ensure`] writes fixtures as
//! 32-bit float WAV files (atomically) and [`ensure_all`] records them, with their SHA-256
//! and [`GroundTruth`], in `manifest.json`.
//!
//! ```
//! let audio = auralis_fixtures::generate_seconds(2.0);
//! assert_eq!(audio.num_channels(), 2);
//! assert_eq!(audio.sample_rate(), 44_100);
//! ```

mod error;
mod manifest;
pub mod math;
mod render;
pub mod rng;
mod score;
mod spec;
mod synth;

pub use error::FixtureError;
pub use manifest::{
    ensure, ensure_all, read_manifest, sha256_bytes, sha256_file, Manifest, ManifestEntry,
    GENERATOR, MANIFEST_FILE, SCHEMA_VERSION,
};
pub use render::{
    generate_with_truth, try_generate, GroundTruth, Section, DB_FLOOR, LOUD_GAIN_DB, PEAK_DBFS,
    QUIET_RMS_DBFS, RAMP_SECS,
};
pub use score::{SectionKind, LEAD_IN_SECS};
pub use spec::{
    batch_set, quick, standard, tempo_variants, FixtureSpec, DEFAULT_SAMPLE_RATE, DEFAULT_SEED,
    DEFAULT_TEMPO_BPM, MAX_CHANNELS, MAX_SECONDS,
};

use auralis_core::AudioBuffer;

/// Generates the fixture `spec` describes (deterministic: equal specs, equal bits).
///
/// # Panics
/// If `spec` is invalid (see [`FixtureSpec::validate`]); the specs of [`standard`],
/// [`quick`] and [`FixtureSpec::music`] with a sensible duration always are valid. Use
/// [`try_generate`] for specs that come from users.
pub fn generate(spec: &FixtureSpec) -> AudioBuffer {
    match try_generate(spec) {
        Ok(audio) => audio,
        Err(e) => panic!("auralis_fixtures::generate: {e}"),
    }
}

/// `seconds` of the standard music (stereo, 44.1 kHz, 120 BPM, default seed), for tests.
/// The first half second is silence, so ask for at least a few seconds to hear every part.
///
/// # Panics
/// If `seconds` is not in `(0, MAX_SECONDS]`.
pub fn generate_seconds(seconds: f64) -> AudioBuffer {
    generate(&FixtureSpec::music("music", seconds))
}
