//! Time-domain measures: whole-file levels (peak, RMS, DC) and stereo sums, and the
//! per-frame zero-crossing rate and stereo image.
//!
//! The zero-crossing rate is librosa's (`zero_crossing_rate` on the same frames as the
//! spectral features, `center=False`): values with `|x| ≤ 10⁻¹⁰` count as zero, zero counts
//! as positive, and a frame's rate is its sign changes between consecutive samples over the
//! frame length (`pad=False`: the first sample has no predecessor).
//!
//! The reference measures every frame sample by sample. The fast path reads the audio once,
//! measuring each 512-sample hop — its levels per channel, its inner crossings, the crossing
//! into it from the previous hop, and its five stereo sums — and adds four hops per frame: a
//! quarter of the work, the same crossings, sums within the stated tolerances.

use auralis_core::AudioBuffer;
use pulp::{Arch, Simd, WithSimd};
use rayon::prelude::*;

use crate::result::{Levels, Stereo};
use crate::settings::{FRAME_LEN, HOP};

/// librosa's `zero_crossings` threshold.
pub const ZERO_THRESHOLD: f32 = 1e-10;

/// Sample `i` of the mono mix: the channels summed in order, divided by their count (numpy's
/// `mean` over two rows; the same expression everywhere, so every variant sees the same bits).
#[inline(always)]
pub fn mono_at(channels: &[Vec<f32>], i: usize) -> f32 {
    let mut acc = channels[0][i];
    for c in &channels[1..] {
        acc += c[i];
    }
    acc / channels.len() as f32
}

#[inline(always)]
fn negative(x: f32) -> bool {
    x < -ZERO_THRESHOLD
}

/// Sums of channels 0 and 1 over a span: `Σ L²`, `Σ R²`, `Σ L·R`, `Σ M²`, `Σ S²`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StereoSums {
    pub ll: f64,
    pub rr: f64,
    pub lr: f64,
    pub mm: f64,
    pub ss: f64,
}

impl StereoSums {
    fn add(&mut self, o: &StereoSums) {
        self.ll += o.ll;
        self.rr += o.rr;
        self.lr += o.lr;
        self.mm += o.mm;
        self.ss += o.ss;
    }

    fn add_sample(&mut self, l: f32, r: f32) {
        let (l, r) = (f64::from(l), f64::from(r));
        let (m, s) = (0.5 * (l + r), 0.5 * (l - r));
        self.ll += l * l;
        self.rr += r * r;
        self.lr += l * r;
        self.mm += m * m;
        self.ss += s * s;
    }

    /// Correlation (0 when a channel is silent).
    pub fn correlation(&self) -> f64 {
        let d = (self.ll * self.rr).sqrt();
        if d > 0.0 {
            (self.lr / d).clamp(-1.0, 1.0)
        } else {
            0.0
        }
    }

    /// Side/mid energy ratio (0 for silence, ∞ for side without mid).
    pub fn width(&self) -> f64 {
        if self.mm > 0.0 {
            self.ss / self.mm
        } else if self.ss > 0.0 {
            f64::INFINITY
        } else {
            0.0
        }
    }
}

/// Whole-file levels and stereo measures, sample by sample in `f64`.
pub fn levels_reference(audio: &AudioBuffer) -> (Levels, Option<Stereo>) {
    let n = audio.len().max(1) as f64;
    let mut levels = Levels::default();
    for c in audio.channels() {
        levels
            .peak
            .push(c.iter().fold(0.0f64, |m, &x| m.max(f64::from(x.abs()))));
        levels
            .rms
            .push((c.iter().map(|&x| f64::from(x) * f64::from(x)).sum::<f64>() / n).sqrt());
        levels
            .dc
            .push(c.iter().map(|&x| f64::from(x)).sum::<f64>() / n);
    }
    let stereo = (audio.num_channels() >= 2).then(|| {
        let mut s = StereoSums::default();
        for (&l, &r) in audio.channel(0).iter().zip(audio.channel(1)) {
            s.add_sample(l, r);
        }
        s
    });
    (levels, stereo.and_then(stereo_of))
}

fn stereo_of(s: StereoSums) -> Option<Stereo> {
    (s.ll > 0.0 && s.rr > 0.0).then(|| Stereo {
        correlation: s.correlation(),
        width: s.width(),
    })
}

/// One hop's sums of one channel: `max |x|`, `Σ x`, `Σ x²` (the sums of `f32` lanes over the
/// hop, added in `f64`: the rounding of a 512-term `f32` sum, ≈ 3·10⁻⁵ of it at worst, stays
/// far inside [`crate::LEVEL_RELATIVE_TOLERANCE`] once the whole file's sum is divided by its
/// length).
#[derive(Clone, Copy, Default)]
struct Partial {
    peak: f32,
    sum: f64,
    squares: f64,
}

/// The five stereo sums of one hop in eight `f32` lanes (within
/// [`crate::FRAME_STEREO_TOLERANCE`] of `f64` sums; half the cost of `f64` lanes, which
/// convert every sample first).
#[inline(always)]
fn hop_stereo_sums(l: &[f32], r: &[f32]) -> StereoSums {
    let mut acc = [[0.0f32; 8]; 5];
    let (lanes_l, lanes_r) = (l.chunks_exact(8), r.chunks_exact(8));
    let (rest_l, rest_r) = (lanes_l.remainder(), lanes_r.remainder());
    for (a, b) in lanes_l.zip(lanes_r) {
        for i in 0..8 {
            let (x, y) = (a[i], b[i]);
            let (m, s) = (0.5 * (x + y), 0.5 * (x - y));
            acc[0][i] += x * x;
            acc[1][i] += y * y;
            acc[2][i] += x * y;
            acc[3][i] += m * m;
            acc[4][i] += s * s;
        }
    }
    let lane = |k: usize| acc[k].iter().map(|&v| f64::from(v)).sum::<f64>();
    let mut s = StereoSums {
        ll: lane(0),
        rr: lane(1),
        lr: lane(2),
        mm: lane(3),
        ss: lane(4),
    };
    for (&x, &y) in rest_l.iter().zip(rest_r) {
        s.add_sample(x, y);
    }
    s
}

/// Per-frame zero-crossing rate and stereo series of the first `frames` frames.
#[derive(Debug, Default)]
pub struct FrameTimeSeries {
    pub zcr: Vec<f32>,
    pub correlation: Vec<f32>,
    pub width: Vec<f32>,
}

/// The reference: each frame sample by sample.
pub fn frames_reference(audio: &AudioBuffer, frames: usize) -> FrameTimeSeries {
    let ch = audio.channels();
    let stereo = ch.len() >= 2;
    let mut out = FrameTimeSeries::default();
    for f in 0..frames {
        let start = f * HOP;
        let mut crossings = 0u32;
        let mut previous = negative(mono_at(ch, start));
        for i in start + 1..start + FRAME_LEN {
            let now = negative(mono_at(ch, i));
            crossings += u32::from(now != previous);
            previous = now;
        }
        out.zcr.push(crossings as f32 / FRAME_LEN as f32);
        if stereo {
            let mut s = StereoSums::default();
            let span = start..start + FRAME_LEN;
            for (&l, &r) in ch[0][span.clone()].iter().zip(&ch[1][span]) {
                s.add_sample(l, r);
            }
            out.correlation.push(s.correlation() as f32);
            out.width.push(s.width() as f32);
        }
    }
    out
}

/// One hop's contribution: crossings inside it, whether its first sample crosses from the
/// previous hop's last, and its stereo sums.
#[derive(Clone, Copy, Default)]
struct Hop {
    inside: u32,
    boundary: bool,
    stereo: StereoSums,
}

/// What the fast path measures in its one pass over the audio.
#[derive(Debug, Default)]
pub struct Scan {
    pub levels: Levels,
    pub stereo: Option<Stereo>,
    pub series: FrameTimeSeries,
}

/// The fast path: one pass over the audio, hop by hop (512 samples; the last may be short),
/// measuring each hop's levels per channel, its zero crossings and its stereo sums; the
/// whole-file levels are the hops' sums in order, a frame's series four hops' (see the module
/// notes). One pass instead of three (levels, stereo, frames): the audio is read once — a
/// 180 s stereo file is 64 MB, a few milliseconds of memory bandwidth per pass.
pub fn scan_fast(audio: &AudioBuffer, frames: usize, parallel: bool) -> Scan {
    let n = audio.len();
    let channels = audio.num_channels();
    let hops = n.div_ceil(HOP);
    let mut hop_stats = vec![Hop::default(); hops];
    let mut partials = vec![Partial::default(); hops * channels];
    let arch = Arch::new();
    let work = |(h, (stats, parts)): (usize, (&mut Hop, &mut [Partial]))| {
        *stats = arch.dispatch(HopKernel { audio, h, parts });
    };
    if parallel {
        hop_stats
            .par_iter_mut()
            .zip(partials.par_chunks_mut(channels))
            .enumerate()
            .for_each(work);
    } else {
        hop_stats
            .iter_mut()
            .zip(partials.chunks_mut(channels))
            .enumerate()
            .for_each(work);
    }
    let mut levels = Levels::default();
    let length = n.max(1) as f64;
    for c in 0..channels {
        let mut total = Partial::default();
        for p in partials.iter().skip(c).step_by(channels) {
            total.peak = total.peak.max(p.peak);
            total.sum += p.sum;
            total.squares += p.squares;
        }
        levels.peak.push(f64::from(total.peak));
        levels.rms.push((total.squares / length).sqrt());
        levels.dc.push(total.sum / length);
    }
    let stereo = (channels >= 2).then(|| {
        let mut s = StereoSums::default();
        for h in &hop_stats {
            s.add(&h.stereo);
        }
        s
    });
    let per_frame = FRAME_LEN / HOP;
    let mut series = FrameTimeSeries::default();
    for f in 0..frames {
        let span = &hop_stats[f..f + per_frame];
        let crossings: u32 = span.iter().map(|h| h.inside).sum::<u32>()
            + span[1..].iter().map(|h| u32::from(h.boundary)).sum::<u32>();
        series.zcr.push(crossings as f32 / FRAME_LEN as f32);
        if channels >= 2 {
            let mut s = StereoSums::default();
            for h in span {
                s.add(&h.stereo);
            }
            series.correlation.push(s.correlation() as f32);
            series.width.push(s.width() as f32);
        }
    }
    Scan {
        levels,
        stereo: stereo.and_then(stereo_of),
        series,
    }
}

struct HopKernel<'a> {
    audio: &'a AudioBuffer,
    h: usize,
    /// This hop's partial of each channel (output).
    parts: &'a mut [Partial],
}

impl WithSimd for HopKernel<'_> {
    type Output = Hop;
    #[inline(always)]
    fn with_simd<S: Simd>(self, _: S) -> Hop {
        let ch = self.audio.channels();
        let start = self.h * HOP;
        let len = HOP.min(self.audio.len() - start);
        let span = start..start + len;
        for (part, c) in self.parts.iter_mut().zip(ch) {
            *part = channel_partial(&c[span.clone()]);
        }
        let mut mono = [0.0f32; HOP];
        let mono = &mut mono[..len];
        mono.copy_from_slice(&ch[0][span.clone()]);
        for c in &ch[1..] {
            for (m, x) in mono.iter_mut().zip(&c[span.clone()]) {
                *m += x;
            }
        }
        let count = ch.len() as f32;
        let mut negative_at = [false; HOP];
        let negative_at = &mut negative_at[..len];
        for (s, m) in negative_at.iter_mut().zip(mono.iter()) {
            *s = negative(m / count);
        }
        let inside = negative_at
            .windows(2)
            .map(|w| u32::from(w[0] != w[1]))
            .sum::<u32>();
        let boundary = start > 0 && negative(mono[0] / count) != negative(mono_at(ch, start - 1));
        let stereo = if ch.len() >= 2 {
            hop_stereo_sums(&ch[0][span.clone()], &ch[1][span])
        } else {
            StereoSums::default()
        };
        Hop {
            inside,
            boundary,
            stereo,
        }
    }
}

/// One channel's sums over one hop, in eight `f32` lanes.
#[inline(always)]
fn channel_partial(x: &[f32]) -> Partial {
    let mut peak = [0.0f32; 8];
    let mut sum = [0.0f32; 8];
    let mut squares = [0.0f32; 8];
    let lanes = x.chunks_exact(8);
    let rest = lanes.remainder();
    for c in lanes {
        for l in 0..8 {
            let v = c[l];
            // Not `f32::max`: its NaN rule keeps LLVM from vectorizing (audio has no NaN).
            let a = v.abs();
            peak[l] = if a > peak[l] { a } else { peak[l] };
            sum[l] += v;
            squares[l] += v * v;
        }
    }
    let mut p = Partial {
        peak: peak.iter().copied().fold(0.0, f32::max),
        sum: sum.iter().map(|&v| f64::from(v)).sum(),
        squares: squares.iter().map(|&v| f64::from(v)).sum(),
    };
    for &v in rest {
        p.peak = p.peak.max(v.abs());
        p.sum += f64::from(v);
        p.squares += f64::from(v) * f64::from(v);
    }
    p
}
