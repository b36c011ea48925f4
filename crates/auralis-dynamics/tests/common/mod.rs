//! Settings shared by the dynamics tests.

use auralis_dynamics::{CompressorSettings, DynamicsSettings, LimiterSettings, PeakMode};

/// The configurations every dynamics test runs: the defaults, compressor (+6 dB makeup) into a
/// true-peak limiter, the compressor alone, the sample-peak limiter alone.
pub fn cases() -> Vec<DynamicsSettings> {
    let loud = CompressorSettings {
        makeup_db: 6.0,
        ..Default::default()
    };
    vec![
        DynamicsSettings::default(),
        DynamicsSettings {
            compressor: Some(loud.clone()),
            limiter: Some(LimiterSettings {
                mode: PeakMode::True,
                ..Default::default()
            }),
        },
        DynamicsSettings {
            compressor: Some(loud),
            limiter: None,
        },
        DynamicsSettings {
            compressor: None,
            limiter: Some(LimiterSettings::default()),
        },
    ]
}
