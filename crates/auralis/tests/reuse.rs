//! The facade's buffer-reusing entry points give the same results as the allocating ones.

use auralis::{dynamics, eq};

#[test]
fn process_into_equals_process() {
    let audio = auralis_fixtures::generate_seconds(1.0);
    let settings = eq::EqSettings {
        gains: eq::EqGains::preset("warm").unwrap(),
        ..Default::default()
    };
    let fresh = eq::process(&audio, &settings).unwrap();
    let mut slot = Some(fresh.clone());
    eq::process_into(&audio, &settings, &mut slot).unwrap();
    assert_eq!(slot.as_ref(), Some(&fresh));

    let settings = dynamics::DynamicsSettings::default();
    let fresh = dynamics::process(&audio, &settings).unwrap();
    let mut slot = None;
    dynamics::process_into(&audio, &settings, &mut slot).unwrap();
    dynamics::process_into(&audio, &settings, &mut slot).unwrap();
    let reused = slot.unwrap();
    assert_eq!(reused.audio, fresh.audio);
    assert_eq!(reused.gain_db, fresh.gain_db);
}
