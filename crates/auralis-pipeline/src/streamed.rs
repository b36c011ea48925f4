//! The chain over a [`Source`], chunk by chunk, in memory that does not grow with the
//! track: what `auralis master` runs on files.
//!
//! Passes (each reads what the one before left, [`STREAM_CHUNK`] frames at a time):
//! 1. **Analysis**: the input through a [`LoudnessMeter`] and a [`ProfileAccumulator`].
//! 2. **EQ → compressor**: the input again, through the EQ's and the compressor's streams
//!    (latency removed) into a [`Spool`], metered on the way (the loudness to normalise).
//! 3. **Estimate**: gain → sample-peak limiter → meter, which predicts the loudness the
//!    true-peak limiter will take away (as the in-memory chain does).
//! 4. **Gain → true-peak limiter → meter** into a second spool, repeated with a corrected
//!    gain while the output misses the target (at most [`MAX_PASSES`]).
//!
//! The caller then reads the master from the second spool, knowing its loudness before it
//! writes a byte — so tags and `bext` loudness fields go in the file's header.
//!
//! Every step is a stream without threads or blocks, and the meters sum in stream order, so
//! the result does not depend on the chunk size, the thread count or the track's length
//! (tested). The streams are the vectorized implementations' twins and the meter is the
//! reference's, so a streamed master is held to the reference chain by the same tolerances
//! as the in-memory variants (the lab's `streamed` row).

use std::collections::BTreeMap;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use auralis_core::{without_gain as plain, Aligned, AudioBuffer, Error, Result};
use auralis_dynamics::{with_gain, DynamicsSettings, DynamicsStream, LimiterSettings, PeakMode};
use auralis_eq::{EqSettings, EqStream};
use auralis_loudness::{LoudnessMeter, LoudnessResult, LoudnessSettings};

use crate::chain::{
    starting_gain_db, warn_of_the_outcome, GainReduction, MasterReport, Mastered, Pipeline,
    Reduction, EQ_FFT, LOUDNESS_TOLERANCE_LU, MAX_PASSES,
};
use crate::profile::ProfileAccumulator;
use crate::spool::{Source, Spool};

/// Frames per read: 16 384 (128 KiB of stereo `f32`), large enough that per-chunk costs
/// vanish, small enough to stay in L2 through a stream. (Fewer for many channels: see
/// [`chunk_frames`].)
pub const STREAM_CHUNK: usize = 16 * 1024;

/// Most channels the streamed chain takes: memory is per channel (the meters' true-peak
/// windows, the streams' state), and no mastering input has more (a WAV header may claim
/// 65 535).
pub const MAX_STREAM_CHANNELS: usize = 256;

/// Frames per read for `channels` channels: [`STREAM_CHUNK`] stereo frames' worth of samples
/// (at least 256 frames), so a chunk's size does not grow with the channel count. The chunk
/// size never changes a bit of the result.
pub fn chunk_frames(channels: usize) -> usize {
    (STREAM_CHUNK * 2 / channels.max(1)).clamp(256, STREAM_CHUNK)
}

/// Chunks waiting for the meter thread: enough to ride out a slow chunk on either side.
const METER_QUEUE: usize = 4;

/// Hands chunks to a [`LoudnessMeter`] running on its own thread.
struct MeterFeed {
    chunks: mpsc::SyncSender<Vec<f32>>,
    spare: mpsc::Receiver<Vec<f32>>,
}

impl MeterFeed {
    fn push(&mut self, x: &[f32]) {
        // Buffers come back from the meter once read: a pass allocates a handful.
        let mut buffer = self.spare.try_recv().unwrap_or_default();
        buffer.clear();
        buffer.extend_from_slice(x);
        // The meter only stops when the feed is dropped.
        let _ = self.chunks.send(buffer);
    }
}

/// Runs `body` with a feed into `meter` on a second thread — a pass's stages and its meter
/// then share the two cores, and the meter still sees every chunk in order, so its result
/// is the single-threaded one — and returns what `body` returned and the measurement.
fn with_meter_thread<T>(
    meter: LoudnessMeter,
    body: impl FnOnce(&mut MeterFeed) -> Result<T>,
) -> Result<(T, LoudnessResult)> {
    std::thread::scope(|scope| {
        let (chunks, queue) = mpsc::sync_channel::<Vec<f32>>(METER_QUEUE);
        let (spare_tx, spare) = mpsc::channel();
        let worker = scope.spawn(move || {
            let mut meter = meter;
            for chunk in queue {
                meter.push(&chunk);
                let _ = spare_tx.send(chunk);
            }
            meter.finish()
        });
        let mut feed = MeterFeed { chunks, spare };
        let out = body(&mut feed);
        drop(feed);
        let measured = worker
            .join()
            .map_err(|_| Error::Stream("the loudness meter's thread panicked".into()))?;
        Ok((out?, measured))
    })
}

/// A master made by [`Pipeline::master_stream`]: its report, and the audio in a spool
/// (rewound: read it with [`Source::read`]).
pub struct StreamedMaster {
    pub report: MasterReport,
    pub audio: Spool,
    /// Frames in the master (the input's length).
    pub frames: u64,
}

impl StreamedMaster {
    /// The master read into memory (for tests and the lab; the command line writes it out
    /// chunk by chunk instead).
    pub fn into_mastered(mut self) -> Result<Mastered> {
        let c = self.audio.channels();
        let mut channels = vec![Vec::with_capacity(self.frames as usize); c];
        let mut chunk = Vec::new();
        while self.audio.read(&mut chunk, chunk_frames(c))? > 0 {
            for frame in chunk.chunks_exact(c) {
                for (channel, &x) in channels.iter_mut().zip(frame) {
                    channel.push(x);
                }
            }
        }
        Ok(Mastered {
            audio: AudioBuffer::from_stage_output(channels, self.audio.sample_rate())?,
            report: self.report,
        })
    }
}

/// Wall time per step, for `timings_ms`.
#[derive(Default)]
struct Clock(BTreeMap<&'static str, Duration>);

impl Clock {
    fn time<T>(&mut self, step: &'static str, f: impl FnOnce() -> T) -> T {
        let start = Instant::now();
        let out = f();
        *self.0.entry(step).or_default() += start.elapsed();
        out
    }
}

impl Pipeline {
    /// Masters `source` chunk by chunk, keeping intermediate audio in `middle` and the master
    /// in `master` (two spools the caller made: in memory or in temporary files), telling
    /// `progress` each step of [`crate::STEPS`] as it finishes.
    pub fn master_stream(
        &self,
        source: &mut dyn Source,
        mut middle: Spool,
        mut master: Spool,
        progress: &mut dyn FnMut(&'static str),
    ) -> Result<StreamedMaster> {
        let rate = source.sample_rate();
        let channels = source.channels();
        if rate != self.sample_rate {
            return Err(Error::param(
                "audio",
                format!(
                    "is at {rate} Hz; this pipeline was made for {} Hz",
                    self.sample_rate
                ),
            ));
        }
        if channels == 0 || channels > MAX_STREAM_CHANNELS {
            return Err(Error::param(
                "audio",
                format!(
                    "has {channels} channels; the streamed chain masters 1 to \
                     {MAX_STREAM_CHANNELS}"
                ),
            ));
        }
        let chunk_len = chunk_frames(channels);
        let settings = &self.settings;
        let mask = source.channel_mask();
        // The true peak is read on the input and the master; the passes in between need only
        // the loudness.
        let new_meter = |true_peak: bool| {
            LoudnessMeter::new(
                channels,
                rate,
                mask,
                &LoudnessSettings::with_true_peak(true_peak),
            )
        };
        let mut clock = Clock::default();
        for step in crate::STEPS {
            clock.0.insert(step, Duration::ZERO);
        }
        let mut chunk = Vec::with_capacity(chunk_len * channels);

        // 1. Analysis.
        let ((profile, frames), input_loudness) = clock.time("analysis", || {
            with_meter_thread(new_meter(true)?, |meter| {
                let mut profile = ProfileAccumulator::new(channels, rate);
                let mut frames = 0u64;
                source.rewind()?;
                loop {
                    let n = source.read(&mut chunk, chunk_len)?;
                    if n == 0 {
                        break;
                    }
                    frames += n as u64;
                    meter.push(&chunk);
                    profile.push(&chunk);
                }
                Ok((profile.finish(), frames))
            })
        })?;
        if frames == 0 {
            return Err(Error::param("audio", "is empty"));
        }
        progress("analysis");

        // 2. EQ → compressor into `middle`, metered.
        let gains = self.eq_gains(&profile);
        let mut eq = if gains.is_flat() {
            None
        } else {
            let eq_settings = EqSettings {
                gains: gains.clone(),
                fft_size: EQ_FFT,
                hop: settings.eq_hop,
            };
            Some(Aligned::new(EqStream::new(&eq_settings, channels, rate)?))
        };
        let mut compressor = match &settings.compressor {
            Some(c) => Some(Aligned::new(DynamicsStream::new(
                &DynamicsSettings {
                    compressor: Some(c.clone()),
                    limiter: None,
                },
                channels,
                rate,
            )?)),
            None => None,
        };
        let mut compression = Reduction::new(
            settings.compressor.as_ref().map_or(0.0, |c| c.makeup_db),
            rate,
        );
        middle.clear()?;
        source.rewind()?;
        let ((), before) = with_meter_thread(new_meter(false)?, |before| {
            let mut eq_done = false;
            loop {
                let n = source.read(&mut chunk, chunk_len)?;
                let ended = n == 0;
                // The EQ's output for this chunk (its tail, by silence, once the input ends).
                let equalised: &[f32] = match &mut eq {
                    Some(eq) if !ended => clock.time("eq", || eq.process(&chunk, plain))?.0,
                    Some(eq) if !eq_done => {
                        eq_done = true;
                        clock.time("eq", || eq.flush(plain))?.0
                    }
                    Some(_) => &[],
                    None => &chunk,
                };
                let compressed: &[f32] = match &mut compressor {
                    Some(c) => {
                        let (audio, gain) =
                            clock.time("compressor", || c.process(equalised, with_gain))?;
                        compression.push(gain);
                        audio
                    }
                    None => equalised,
                };
                middle.append(compressed)?;
                before.push(compressed);
                if ended {
                    if let Some(c) = &mut compressor {
                        let (audio, gain) = clock.time("compressor", || c.flush(with_gain))?;
                        compression.push(gain);
                        middle.append(audio)?;
                        before.push(audio);
                    }
                    return Ok(());
                }
            }
        })?;
        progress("eq");
        progress("compressor");
        let (compressor_max, compressor_mean, compressor_trace) = compression.finish();

        // 3–4. Gain → limiter, measured, until on target.
        let target = settings.target();
        let mut warnings = Vec::new();
        let mut gain_db = starting_gain_db(target, &before, &mut warnings);
        let limiter = |mode: PeakMode| -> Result<DynamicsStream> {
            DynamicsStream::new(
                &DynamicsSettings {
                    compressor: None,
                    limiter: Some(LimiterSettings {
                        ceiling_db: settings.ceiling_dbtp as f32,
                        mode,
                        ..LimiterSettings::default()
                    }),
                },
                channels,
                rate,
            )
        };
        let mut limit = |mode: PeakMode,
                         gain_db: f64,
                         mut keep: Option<&mut Spool>,
                         chunk: &mut Vec<f32>|
         -> Result<(LoudnessResult, Reduction)> {
            let g = 10f64.powf(gain_db / 20.0) as f32;
            let mut stage = Aligned::new(limiter(mode)?);
            let mut reduction = Reduction::new(0.0, rate);
            middle.rewind()?;
            if let Some(spool) = keep.as_deref_mut() {
                spool.clear()?;
            }
            let ((), measured) = with_meter_thread(new_meter(keep.is_some())?, |meter| loop {
                let n = middle.read(chunk, chunk_len)?;
                let (audio, gain) = if n == 0 {
                    stage.flush(with_gain)?
                } else {
                    for x in chunk.iter_mut() {
                        *x *= g;
                    }
                    stage.process(chunk, with_gain)?
                };
                meter.push(audio);
                reduction.push(gain);
                if let Some(spool) = keep.as_deref_mut() {
                    spool.append(audio)?;
                }
                if n == 0 {
                    return Ok(());
                }
            })?;
            Ok((measured, reduction))
        };
        let (output_loudness, limiting, passes) =
            clock.time("gain and limiter", || -> Result<_> {
                if let Some(l) = before.integrated_lufs {
                    let (estimate, _) = limit(PeakMode::Sample, gain_db, None, &mut chunk)?;
                    if let Some(after) = estimate.integrated_lufs {
                        gain_db += (l + gain_db) - after;
                    }
                }
                let mut passes = 0;
                loop {
                    passes += 1;
                    let (measured, reduction) =
                        limit(PeakMode::True, gain_db, Some(&mut master), &mut chunk)?;
                    match measured.integrated_lufs.map(|l| target - l) {
                        Some(e) if e.abs() > LOUDNESS_TOLERANCE_LU && passes < MAX_PASSES => {
                            gain_db += e;
                        }
                        _ => break Ok((measured, reduction, passes)),
                    }
                }
            })?;
        progress("gain and limiter");
        let (limiter_max, limiter_mean, limiter_trace) = limiting.finish();
        warn_of_the_outcome(target, limiter_max, &output_loudness, &mut warnings);
        master.rewind()?;
        Ok(StreamedMaster {
            report: MasterReport {
                input: (&input_loudness).into(),
                output: (&output_loudness).into(),
                target_lufs: target,
                ceiling_dbtp: settings.ceiling_dbtp,
                eq_gains_db: gains.as_slice().to_vec(),
                input_bands_db: profile.0.iter().map(|&v| v as f32).collect(),
                gain_db,
                gain_reduction_db: GainReduction {
                    compressor_max_db: compressor_max,
                    compressor_mean_db: compressor_mean,
                    limiter_max_db: limiter_max,
                    limiter_mean_db: limiter_mean,
                },
                passes,
                warnings,
                timings_ms: clock
                    .0
                    .into_iter()
                    .map(|(k, v)| (k, v.as_secs_f64() * 1e3))
                    .collect(),
                compressor_trace_db: compressor_trace,
                limiter_trace_db: limiter_trace,
            },
            audio: master,
            frames,
        })
    }
}
