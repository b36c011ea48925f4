//! The fixtures keep their promises: determinism, levels, silence, sections, beats, and
//! files on disk that `ensure` keeps in line with the generator.

use std::path::Path;
use std::time::{Duration, SystemTime};

use auralis_core::AudioBuffer;
use auralis_fixtures::{
    ensure, ensure_all, generate, generate_seconds, generate_with_truth, read_manifest,
    sha256_bytes, sha256_file, try_generate, FixtureError, FixtureSpec, GroundTruth, SectionKind,
    MANIFEST_FILE,
};
use auralis_io::{encode_wav, read_wav, IoError, SampleFormat};

fn five() -> FixtureSpec {
    FixtureSpec::music("music-5s", 5.0)
}

fn db(x: f64) -> f64 {
    20.0 * x.log10()
}

/// RMS over all channels of frames `[from, to)`, in dBFS.
fn rms_dbfs(audio: &AudioBuffer, from: usize, to: usize) -> f64 {
    let mut sum = 0.0;
    for channel in audio.channels() {
        sum += channel[from..to]
            .iter()
            .map(|&x| f64::from(x).powi(2))
            .sum::<f64>();
    }
    db((sum / ((to - from) * audio.num_channels()) as f64).sqrt())
}

fn frames(secs: f64, audio: &AudioBuffer) -> usize {
    (secs * audio.sample_rate() as f64).round() as usize
}

#[test]
fn same_seed_gives_bit_identical_samples_and_wav_bytes() {
    let (a, b) = (generate(&five()), generate(&five()));
    assert_eq!(a, b);
    let hash =
        |audio: &AudioBuffer| sha256_bytes(&encode_wav(audio, SampleFormat::Float32).unwrap());
    assert_eq!(hash(&a), hash(&b));
}

/// The recipe is frozen: if this fails, a change altered the fixtures. If that was the
/// intent, bump `GENERATOR` and update the hash (and regenerate `fixtures/manifest.json`).
#[test]
fn the_recipe_has_not_changed() {
    let bytes = encode_wav(&generate(&five()), SampleFormat::Float32).unwrap();
    assert_eq!(sha256_bytes(&bytes), PINNED_MUSIC_5S_SHA256);
}

const PINNED_MUSIC_5S_SHA256: &str =
    "ef8dd01a9c89a002b63967480f7e7ebc0574bce677dd66ba1e89b4f6aca8f32c";

#[test]
fn different_seeds_give_different_music_at_the_same_peak() {
    let a = generate(&five());
    let b = generate(&FixtureSpec {
        seed: five().seed + 1,
        ..five()
    });
    assert_ne!(a, b);
    let differing = a
        .channel(0)
        .iter()
        .zip(b.channel(0))
        .filter(|(x, y)| x != y)
        .count();
    assert!(differing > a.len() / 2, "{differing} of {}", a.len());
    assert!((db(f64::from(a.peak())) - db(f64::from(b.peak()))).abs() < 0.01);
}

#[test]
fn peak_is_minus_half_dbfs() {
    for seconds in [5.0, 30.0] {
        let (audio, truth) = generate_with_truth(&FixtureSpec::music("m", seconds)).unwrap();
        let peak = db(f64::from(audio.peak()));
        assert!((peak + 0.5).abs() < 1e-3, "{seconds} s: peak {peak} dBFS");
        assert!((truth.peak_dbfs - peak).abs() < 1e-3);
    }
}

#[test]
fn lead_in_is_exact_silence_and_music_follows_at_once() {
    let audio = generate(&five());
    let lead_in = frames(0.5, &audio);
    for channel in audio.channels() {
        assert!(
            channel[..lead_in].iter().all(|x| x.to_bits() == 0),
            "bit-exact +0.0"
        );
        let attack = &channel[lead_in..lead_in + frames(0.01, &audio)];
        assert!(
            attack.iter().any(|x| x.abs() > 0.01),
            "the first kick starts on the lead-in's end"
        );
    }
}

#[test]
fn sections_have_their_levels() {
    for seconds in [5.0, 30.0] {
        let (audio, truth) = generate_with_truth(&FixtureSpec::music("m", seconds)).unwrap();
        let level = |kind: SectionKind| {
            let s = truth
                .section(kind)
                .unwrap_or_else(|| panic!("{kind:?} in {seconds} s"));
            // The last 50 ms of a section ramp towards the next one's level.
            rms_dbfs(
                &audio,
                frames(s.start_secs, &audio),
                frames(s.end_secs - 0.05, &audio),
            )
        };
        let (quiet, normal, loud) = (
            level(SectionKind::Quiet),
            level(SectionKind::Normal),
            level(SectionKind::Loud),
        );
        assert!(
            (quiet + 30.0).abs() < 0.1,
            "{seconds} s: quiet section at {quiet} dBFS"
        );
        assert!(
            loud > normal + 4.0 && normal > quiet + 10.0,
            "{seconds} s: {quiet} / {normal} / {loud}"
        );
        // The loud section carries the peak: that is where the limiter must work.
        let s = truth.section(SectionKind::Loud).unwrap();
        let loud_peak = audio
            .channels()
            .iter()
            .flat_map(|c| &c[frames(s.start_secs, &audio)..frames(s.end_secs, &audio)])
            .fold(0.0f32, |m, x| m.max(x.abs()));
        assert_eq!(loud_peak, audio.peak());
    }
}

#[test]
fn ground_truth_describes_the_file() {
    let (audio, truth) = generate_with_truth(&five()).unwrap();
    assert_eq!(truth.tempo_bpm, 120.0);
    assert_eq!(truth.beats, 9);
    let expected: Vec<f64> = (0..9).map(|k| 0.5 + 0.5 * k as f64).collect();
    assert_eq!(truth.beat_times(audio.sample_rate()), expected);
    let kinds: Vec<SectionKind> = truth.sections.iter().map(|s| s.kind).collect();
    use SectionKind::*;
    assert_eq!(kinds, [Silence, Normal, Quiet, Normal, Loud, Normal]);
    assert_eq!(truth.sections[0].start_secs, 0.0);
    assert_eq!(truth.sections.last().unwrap().end_secs, 5.0);
    assert!(truth
        .sections
        .windows(2)
        .all(|w| w[0].end_secs == w[1].start_secs));
    assert_eq!(truth.sections[0].rms_dbfs, auralis_fixtures::DB_FLOOR);
}

/// A kick on every beat: low-frequency energy jumps at each beat, and typically far less
/// between beats. (Not never: the bass and the kick's ≈ 50 Hz tail beat against each other,
/// so the low band wobbles by a few dB in between; the medians tell beats from off-beats.)
#[test]
fn kicks_land_on_every_beat() {
    let (audio, truth) = generate_with_truth(&FixtureSpec::music("m", 12.0)).unwrap();
    let rate = audio.sample_rate() as f64;
    // Two one-pole low-passes at 120 Hz over the mono mix.
    let a = (-std::f64::consts::TAU * 120.0 / rate).exp();
    let (mut y1, mut y2) = (0.0, 0.0);
    let low: Vec<f64> = audio
        .mono_mix()
        .iter()
        .map(|&x| {
            y1 = (1.0 - a) * f64::from(x) + a * y1;
            y2 = (1.0 - a) * y1 + a * y2;
            y2
        })
        .collect();
    let at = |t: f64| (t * rate).round() as usize;
    let energy = |from: f64, to: f64| -> f64 {
        low[at(from)..at(to)].iter().map(|x| x * x).sum::<f64>() / (at(to) - at(from)) as f64
    };
    // Low-band energy in the 50 ms after `t` over the 50 ms before.
    let rise = |t: f64| energy(t, t + 0.05) / energy(t - 0.05, t);
    let beats = truth.beat_times(audio.sample_rate());
    assert_eq!(beats.len(), 23);
    let mut at_beats = Vec::new();
    let mut between = Vec::new();
    for &t in &beats[1..] {
        let r = rise(t);
        assert!(r > 2.0, "no kick at {t} s: low-band energy rises only {r}x");
        at_beats.push(r);
        between.push(rise(t + 0.25));
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (on, off) = (median(&mut at_beats), median(&mut between));
    assert!(
        on > 10.0 * off && off < 1.5,
        "median rise {on} at beats vs {off} between"
    );
}

#[test]
fn other_channel_counts_and_rates() {
    let mono = generate(&FixtureSpec {
        channels: 1,
        ..five()
    });
    assert_eq!(mono.num_channels(), 1);
    assert!((db(f64::from(mono.peak())) + 0.5).abs() < 1e-3);
    let six = generate(&FixtureSpec {
        channels: 6,
        ..five()
    });
    assert_eq!(six.num_channels(), 6);
    assert_eq!(six.channel(4), six.channel(0));
    assert_eq!(six.channel(5), six.channel(1));
    assert_eq!(six.channel(0), generate(&five()).channel(0));
    for rate in [8_000, 96_000] {
        let (audio, truth) = generate_with_truth(&FixtureSpec {
            sample_rate: rate,
            ..five()
        })
        .unwrap();
        assert_eq!(audio.len(), 5 * rate as usize);
        assert!(
            (truth.peak_dbfs + 0.5).abs() < 1e-3,
            "{rate} Hz: {}",
            truth.peak_dbfs
        );
        let quiet = truth.section(SectionKind::Quiet).unwrap();
        assert!(
            (quiet.rms_dbfs + 30.0).abs() < 0.1,
            "{rate} Hz: {}",
            quiet.rms_dbfs
        );
    }
}

#[test]
fn short_and_invalid_requests() {
    let silent = generate_seconds(0.3);
    assert_eq!(silent.len(), 13_230);
    assert_eq!(
        silent.peak(),
        0.0,
        "shorter than the lead-in: all silence, no normalisation blow-up"
    );
    let short = generate_seconds(2.0);
    assert!((db(f64::from(short.peak())) + 0.5).abs() < 1e-3);
    let err = try_generate(&FixtureSpec {
        tempo_bpm: -1.0,
        ..five()
    })
    .unwrap_err();
    assert!(
        matches!(err, FixtureError::InvalidSpec { .. }) && err.to_string().contains("tempo"),
        "{err}"
    );
}

// ---------------------------------------------------------------- files and manifest

fn set_old_mtime(path: &Path) -> SystemTime {
    let old = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(old)
        .unwrap();
    old
}

fn mtime(path: &Path) -> SystemTime {
    std::fs::metadata(path).unwrap().modified().unwrap()
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn ensure_writes_once_then_leaves_a_good_file_alone_and_repairs_a_bad_one() {
    let dir = tempfile::tempdir().unwrap();
    let spec = FixtureSpec::music("music-2s", 2.0);
    let (path, entry) = ensure(dir.path(), &spec).unwrap();
    assert_eq!(path, dir.path().join("music-2s.wav"));
    assert_eq!(sha256_file(&path).unwrap(), entry.sha256);
    assert_eq!(read_wav(&path).unwrap(), generate(&spec));
    assert_eq!(
        (entry.frames, entry.duration_secs, entry.tempo_bpm),
        (88_200, 2.0, 120.0)
    );

    let old = set_old_mtime(&path);
    let (_, again) = ensure(dir.path(), &spec).unwrap();
    assert_eq!(again, entry);
    assert_eq!(mtime(&path), old, "a good file is not rewritten");

    let mut bytes = std::fs::read(&path).unwrap();
    bytes[1000] ^= 0x40;
    std::fs::write(&path, &bytes).unwrap();
    set_old_mtime(&path);
    ensure(dir.path(), &spec).unwrap();
    assert_eq!(
        sha256_file(&path).unwrap(),
        entry.sha256,
        "a tampered file is regenerated"
    );
    assert_ne!(mtime(&path), old);
    assert_eq!(
        entries(dir.path()),
        ["music-2s.wav"],
        "no temporary files left"
    );
}

#[test]
fn ensure_all_writes_a_stable_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let specs = [
        FixtureSpec::music("b-3s", 3.0),
        FixtureSpec::music("a-2s", 2.0),
    ];
    let manifest = ensure_all(dir.path(), &specs).unwrap();
    assert_eq!(read_manifest(dir.path()).unwrap(), manifest);
    let names: Vec<&str> = manifest
        .fixtures
        .iter()
        .map(|e| e.spec.name.as_str())
        .collect();
    assert_eq!(names, ["b-3s", "a-2s"], "in the order given");
    for entry in &manifest.fixtures {
        assert_eq!(
            sha256_file(&dir.path().join(&entry.file)).unwrap(),
            entry.sha256
        );
        assert!(!entry.sections.is_empty());
    }
    let json_path = dir.path().join(MANIFEST_FILE);
    let json = std::fs::read_to_string(&json_path).unwrap();
    assert!(json.ends_with("}\n") && json.contains("\"sha256\"") && json.contains("\"quiet\""));
    let old = set_old_mtime(&json_path);
    assert_eq!(ensure_all(dir.path(), &specs).unwrap(), manifest);
    assert_eq!(
        mtime(&json_path),
        old,
        "an unchanged manifest is not rewritten"
    );
    assert_eq!(entries(dir.path()), ["a-2s.wav", "b-3s.wav", MANIFEST_FILE]);

    let twice = [FixtureSpec::music("x", 1.0), FixtureSpec::music("x", 2.0)];
    assert!(matches!(
        ensure_all(dir.path(), &twice),
        Err(FixtureError::InvalidSpec { .. })
    ));
}

#[test]
fn ensure_into_a_missing_directory_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope");
    let err = ensure(&missing, &FixtureSpec::music("m", 1.0)).unwrap_err();
    assert!(
        matches!(err, FixtureError::Io(IoError::NotFound { .. })),
        "{err}"
    );
    assert!(err.to_string().contains("nope"), "{err}");
}

#[allow(dead_code)]
fn _ground_truth_is_public(t: GroundTruth) -> f64 {
    t.peak_dbfs
}
