//! The short-time pass: one FFT per frame of the mono mix, shared by the spectral features
//! and the onset envelope.
//!
//! librosa frames the spectral features with `center=False` (frame `f` starts at `f·512`) and
//! the onset envelope's mel spectrogram with `center=True` (frame `j` is centred on `j·512`,
//! zero-padded at the ends). Since the half frame, 1024, is two hops, centred frame `j` *is*
//! uncentred frame `j − 2` wherever both lie inside the audio: one transform serves both, and
//! only the first two and last few centred frames need their own (zero-padded) transforms.
//!
//! Every variant computes the windowed frame, its FFT (`auralis_fft::packed`, `f32`) and the power
//! spectrum with the same operations in the same order, so they share the spectrum's bits;
//! they differ in the spectral features (the reference's `f64` formulas against the fast
//! SIMD sums) and in how frames are spread over threads.

use std::sync::Arc;

use auralis_core::{AudioBuffer, ImplKind};
use auralis_fft::packed::{MagnitudePlan, MagnitudeWorkspace};
use pulp::{Arch, Simd, WithSimd};
use rayon::prelude::*;

use crate::mel::{MelBank, MEL_BANDS};
use crate::settings::{FeatureSettings, BINS, FRAME_LEN, HOP};
use crate::spectral::{self, Spectral};
use crate::time_domain::mono_at;
use auralis_fft::periodic_hann as hann_periodic;

/// Centred frames a parallel task takes at once (a fixed size: the split does not depend on
/// the thread count, and the per-task scratch is allocated once per 256 frames).
const FRAMES_PER_TASK: usize = 256;

/// What the short-time pass produces.
#[derive(Debug, Default)]
pub struct FrameOutput {
    /// Centroid, rolloff and flatness of each uncentred frame (empty if not asked for).
    pub spectral: Vec<Spectral>,
    /// Log-mel frames, `centred frames × 128` (empty if the tempo was not asked for).
    pub mel_db: Vec<f32>,
}

/// Number of uncentred frames (`center=False`): `1 + (n − 2048) / 512`, or 0 if shorter.
pub fn uncentred_frames(n: usize) -> usize {
    if n >= FRAME_LEN {
        1 + (n - FRAME_LEN) / HOP
    } else {
        0
    }
}

/// Number of centred frames (`center=True`): `1 + n / 512`.
pub fn centred_frames(n: usize) -> usize {
    1 + n / HOP
}

/// Offset of centred frame `j` relative to uncentred frame numbering.
const CENTRE_SHIFT: usize = FRAME_LEN / 2 / HOP;

/// What one run needs, made once.
struct Pass<'a> {
    audio: &'a AudioBuffer,
    settings: &'a FeatureSettings,
    window: Vec<f32>,
    bank: Option<MelBank>,
    fft: Arc<MagnitudePlan>,
    bin_hz: f64,
    spectral_frames: usize,
    want_spectral: bool,
}

/// Runs the short-time pass with implementation `kind`; `spectral` and `mel` say which
/// outputs are wanted (the "feature-parallel" study in the examples runs them separately).
pub fn run(
    kind: ImplKind,
    audio: &AudioBuffer,
    settings: &FeatureSettings,
    spectral: bool,
    mel: bool,
) -> FrameOutput {
    let n = audio.len();
    let spectral_frames = if spectral { uncentred_frames(n) } else { 0 };
    let pass = Pass {
        audio,
        settings,
        window: hann_periodic(FRAME_LEN)
            .into_iter()
            .map(|w| w as f32)
            .collect(),
        bank: mel.then(|| MelBank::new(audio.sample_rate(), FRAME_LEN)),
        fft: MagnitudePlan::shared(FRAME_LEN),
        bin_hz: f64::from(audio.sample_rate()) / FRAME_LEN as f64,
        spectral_frames,
        want_spectral: spectral,
    };
    // Centred frames to transform: all of them for the mel spectrogram, else only those that
    // are uncentred frames.
    let frames = if mel {
        0..centred_frames(n)
    } else {
        CENTRE_SHIFT..CENTRE_SHIFT + spectral_frames
    };
    let mut out = FrameOutput {
        spectral: vec![[0.0; 3]; spectral_frames],
        mel_db: vec![0.0; if mel { frames.len() * MEL_BANDS } else { 0 }],
    };
    let vectorized = kind != ImplKind::Reference;
    if kind == ImplKind::Parallel {
        let tasks = frames.len().div_ceil(FRAMES_PER_TASK);
        // Each task writes its log-mel frames in place (a second copy of them would be
        // 8 MB at 180 s); its spectral features, 12 bytes a frame, come back to be copied.
        let mel_chunks: Vec<Option<&mut [f32]>> = if mel {
            out.mel_db
                .chunks_mut(FRAMES_PER_TASK * MEL_BANDS)
                .map(Some)
                .collect()
        } else {
            (0..tasks).map(|_| None).collect()
        };
        let results: Vec<Vec<Spectral>> = mel_chunks
            .into_par_iter()
            .enumerate()
            .map(|(t, mut mel_chunk)| {
                let lo = frames.start + t * FRAMES_PER_TASK;
                let hi = (lo + FRAMES_PER_TASK).min(frames.end);
                let mut worker = Worker::new(&pass, vectorized);
                let mut spectral = Vec::with_capacity(hi - lo);
                for j in lo..hi {
                    let mel_out = mel_chunk.as_deref_mut().map(|c| {
                        let at = (j - lo) * MEL_BANDS;
                        &mut c[at..at + MEL_BANDS]
                    });
                    if let Some(s) = worker.frame(&pass, j, mel_out) {
                        spectral.push(s);
                    }
                }
                spectral
            })
            .collect();
        let mut spectral_at = 0;
        for s in results {
            out.spectral[spectral_at..spectral_at + s.len()].copy_from_slice(&s);
            spectral_at += s.len();
        }
    } else {
        let mut worker = Worker::new(&pass, vectorized);
        let first = frames.start;
        for j in frames {
            let mel_out = mel.then(|| {
                let at = (j - first) * MEL_BANDS;
                &mut out.mel_db[at..at + MEL_BANDS]
            });
            if let Some(s) = worker.frame(&pass, j, mel_out) {
                out.spectral[j - CENTRE_SHIFT] = s;
            }
        }
    }
    out
}

/// One thread's scratch: the transform's buffers, power, the fast feature scratch.
struct Worker<'p> {
    arch: Arch,
    vectorized: bool,
    transform: MagnitudeWorkspace<'p>,
    power: Vec<f32>,
    fast: Option<spectral::Fast>,
}

impl<'p> Worker<'p> {
    fn new(pass: &'p Pass<'_>, vectorized: bool) -> Self {
        Self {
            arch: Arch::new(),
            vectorized,
            transform: pass.fft.workspace(),
            power: vec![0.0; BINS],
            fast: vectorized.then(|| spectral::Fast::new(BINS)),
        }
    }

    /// Centred frame `j`: its log-mel bands into `mel_out` (if given) and, if it is an
    /// uncentred frame whose features are wanted, those.
    fn frame(
        &mut self,
        pass: &Pass<'_>,
        j: usize,
        mel_out: Option<&mut [f32]>,
    ) -> Option<Spectral> {
        let start = j as isize * HOP as isize - (FRAME_LEN / 2) as isize;
        let ch = pass.audio.channels();
        let n = pass.audio.len() as isize;
        let frame = self.transform.input();
        if start >= 0 && start + FRAME_LEN as isize <= n && self.vectorized {
            self.arch.dispatch(FillInside {
                channels: ch,
                start: start as usize,
                window: &pass.window,
                frame,
            });
        } else {
            for (i, (f, w)) in frame.iter_mut().zip(&pass.window).enumerate() {
                let s = start + i as isize;
                *f = if s >= 0 && s < n {
                    mono_at(ch, s as usize) * w
                } else {
                    0.0
                };
            }
        }
        // The transform consumes its input buffer; it is refilled next time. Every variant
        // uses the same transform (a half-length complex FFT with the real split fused into
        // the power computation, `auralis_fft::packed`), so the power spectrum is shared bits.
        self.transform
            .powers(self.arch, &mut self.power)
            .expect("buffer lengths come from the plan");
        if let (Some(out), Some(bank)) = (mel_out, pass.bank.as_ref()) {
            bank.db_into(&self.power, out);
        }
        let f = j.checked_sub(CENTRE_SHIFT)?;
        if !pass.want_spectral || f >= pass.spectral_frames {
            return None;
        }
        let fraction = pass.settings.rolloff_fraction;
        Some(match self.fast.as_mut() {
            Some(fast) => fast.compute(&self.power, pass.bin_hz, fraction),
            None => spectral::reference(&self.power, pass.bin_hz, fraction),
        })
    }
}

/// The windowed mono frame of a frame inside the audio: the same expression as
/// [`mono_at`]` · w`, element by element (so the same bits), compiled for the machine's SIMD.
struct FillInside<'a> {
    channels: &'a [Vec<f32>],
    start: usize,
    window: &'a [f32],
    frame: &'a mut [f32],
}

impl WithSimd for FillInside<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, _: S) {
        let span = self.start..self.start + FRAME_LEN;
        self.frame.copy_from_slice(&self.channels[0][span.clone()]);
        for c in &self.channels[1..] {
            for (f, x) in self.frame.iter_mut().zip(&c[span.clone()]) {
                *f += x;
            }
        }
        let count = self.channels.len() as f32;
        for (f, w) in self.frame.iter_mut().zip(self.window) {
            *f = *f / count * w;
        }
    }
}
