//! The streamed chain (`Pipeline::master_stream`, what `auralis master` runs): held to the
//! reference chain by the lab's tolerances, on target by the `ebur128` crate, and the same
//! bits whatever the chunking, the spool (memory or file) and the thread count.

use auralis_core::{AudioBuffer, ImplKind, Stage};
use auralis_pipeline::{
    BufferSource, Mastered, Pipeline, PipelineSettings, PipelineStage, Source, Spool, PRESETS,
};
use auralis_testkit::oracle::{ebur128_reading, ebur128_true_peak};

/// A source that hands out chunks of varying, odd sizes (never what was asked).
struct Trickle<'a> {
    inner: BufferSource<'a>,
    sizes: &'static [usize],
    turn: usize,
}

impl Source for Trickle<'_> {
    fn channels(&self) -> usize {
        self.inner.channels()
    }
    fn sample_rate(&self) -> u32 {
        self.inner.sample_rate()
    }
    fn read(&mut self, out: &mut Vec<f32>, max_frames: usize) -> auralis_core::Result<usize> {
        self.turn += 1;
        let size = self.sizes[self.turn % self.sizes.len()].min(max_frames);
        self.inner.read(out, size)
    }
    fn rewind(&mut self) -> auralis_core::Result<()> {
        self.inner.rewind()
    }
}

fn spools(audio: &AudioBuffer, on_disk: bool) -> (Spool, Spool) {
    let (c, r) = (audio.num_channels(), audio.sample_rate());
    if on_disk {
        let dir = std::env::temp_dir();
        (
            Spool::in_dir(&dir, c, r).unwrap(),
            Spool::in_dir(&dir, c, r).unwrap(),
        )
    } else {
        (Spool::in_memory(c, r), Spool::in_memory(c, r))
    }
}

fn streamed(
    settings: &PipelineSettings,
    source: &mut dyn Source,
    on_disk: bool,
    audio: &AudioBuffer,
) -> Mastered {
    let (middle, master) = spools(audio, on_disk);
    Pipeline::new(settings.clone(), audio.sample_rate())
        .unwrap()
        .master_stream(source, middle, master, &mut |_| {})
        .unwrap()
        .into_mastered()
        .unwrap()
}

#[test]
fn the_streamed_chain_is_held_to_the_reference_chain() {
    let audio = auralis_fixtures::generate_seconds(12.0);
    let settings = PipelineSettings::preset("balanced").unwrap();
    let reference = PipelineStage
        .run(ImplKind::Reference, &audio, &settings)
        .unwrap();
    let candidate = streamed(&settings, &mut BufferSource::new(&audio), false, &audio);
    let accuracy = PipelineStage.compare(&reference, &candidate);
    assert!(accuracy.passed(), "{accuracy:?}");
}

#[test]
fn chunking_spool_and_threads_do_not_change_a_bit() {
    let audio = auralis_fixtures::generate_seconds(9.0);
    let settings = PipelineSettings::preset("warm").unwrap();
    let first = streamed(&settings, &mut BufferSource::new(&audio), false, &audio);
    let mut trickle = Trickle {
        inner: BufferSource::new(&audio),
        sizes: &[1, 4097, 333, 16_384, 2],
        turn: 0,
    };
    let second = streamed(&settings, &mut trickle, true, &audio);
    assert_eq!(second, first);
    for threads in [1, 7] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let out =
            pool.install(|| streamed(&settings, &mut BufferSource::new(&audio), true, &audio));
        assert_eq!(out, first, "{threads} threads");
    }
}

#[test]
fn every_preset_lands_on_target_under_the_ceiling_by_ebur128() {
    let audio = auralis_fixtures::generate_seconds(20.0);
    for name in PRESETS {
        let settings = PipelineSettings::preset(name).unwrap();
        let target = settings.target();
        let m = streamed(&settings, &mut BufferSource::new(&audio), false, &audio);
        let out = &m.audio;
        assert_eq!(out.len(), audio.len());
        let theirs = ebur128_reading(out, None).integrated_lufs;
        let ours = m.report.output.integrated_lufs.unwrap();
        assert!((ours - theirs).abs() <= 0.01, "{name}: {ours} vs {theirs}");
        if m.report.gain_reduction_db.limiter_max_db <= 6.0 {
            assert!((theirs - target).abs() <= 0.1, "{name}: {theirs}");
        } else {
            assert!(m.report.warnings.iter().any(|w| w.contains("of limiting")));
        }
        let tp_db = 20.0 * ebur128_true_peak(out).log10();
        assert!((-1.1..=-0.999).contains(&tp_db), "{name}: {tp_db}");
    }
}

#[test]
fn silence_and_emptiness() {
    let silence = AudioBuffer::new(vec![vec![0.0; 44_100 * 2]; 2], 44_100).unwrap();
    let settings = PipelineSettings::preset("balanced").unwrap();
    let m = streamed(&settings, &mut BufferSource::new(&silence), false, &silence);
    assert_eq!(m.audio, silence);
    assert!(
        m.report.warnings[0].contains("no loudness"),
        "{:?}",
        m.report.warnings
    );

    struct Empty;
    impl Source for Empty {
        fn channels(&self) -> usize {
            2
        }
        fn sample_rate(&self) -> u32 {
            44_100
        }
        fn read(&mut self, out: &mut Vec<f32>, _: usize) -> auralis_core::Result<usize> {
            out.clear();
            Ok(0)
        }
        fn rewind(&mut self) -> auralis_core::Result<()> {
            Ok(())
        }
    }
    let err = Pipeline::new(settings, 44_100)
        .unwrap()
        .master_stream(
            &mut Empty,
            Spool::in_memory(2, 44_100),
            Spool::in_memory(2, 44_100),
            &mut |_| {},
        )
        .err()
        .unwrap();
    assert!(err.to_string().contains("empty"), "{err}");
}

#[test]
fn identity_settings_return_the_input_through_the_streamed_chain() {
    let audio = auralis_fixtures::generate_seconds(8.0);
    let loudness = ebur128_reading(&audio, None).integrated_lufs;
    let m = streamed(
        &PipelineSettings::flat(Some(loudness), 0.0),
        &mut BufferSource::new(&audio),
        false,
        &audio,
    );
    for (a, b) in audio.channels().iter().zip(m.audio.channels()) {
        let error = auralis_testkit::signals::relative_error_db(a, b);
        assert!(error <= -100.0, "{error} dB");
    }
}

#[test]
fn absurd_channel_counts_are_refused_and_many_channels_take_smaller_chunks() {
    let many = AudioBuffer::new(vec![vec![0.1; 1000]; 300], 44_100).unwrap();
    let err = Pipeline::new(PipelineSettings::preset("balanced").unwrap(), 44_100)
        .unwrap()
        .master_stream(
            &mut BufferSource::new(&many),
            Spool::in_memory(300, 44_100),
            Spool::in_memory(300, 44_100),
            &mut |_| {},
        )
        .err()
        .unwrap();
    assert!(err.to_string().contains("300 channels"), "{err}");
    assert_eq!(
        auralis_pipeline::chunk_frames(2),
        auralis_pipeline::STREAM_CHUNK
    );
    assert_eq!(auralis_pipeline::chunk_frames(256), 256);
}
