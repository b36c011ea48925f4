//! The SIMD K-weighting kernel: several filter blocks at once, one per vector lane.
//!
//! A recursive filter cannot be vectorised along time within one run — each output needs the
//! previous one — but independent runs can share a vector: lane `l` filters block `l` (of any
//! channel) from a zero state (pass 1 of `energy.rs`). Each lane executes exactly the
//! operations of [`KWeighting::step`] in the same order, as separate multiplies and adds (no
//! fused multiply-add), so every lane's sums and states have the scalar loop's bits.

use auralis_dsp::kweighting::{KState, KWeighting};
use pulp::{Arch, Simd, WithSimd};

use crate::energy::filter_subblocks;

/// One job: a run of sub-blocks of one channel filtered from a given state (pass 1: a
/// block from zero; the correction: a block's first sub-blocks from its true start state).
pub struct Job<'a> {
    /// Its samples (a whole number of sub-blocks).
    pub x: &'a [f32],
    /// Its sub-block sums (output).
    pub sums: &'a mut [f64],
    /// The state it starts from.
    pub start: KState,
    /// The state after its last sub-block (output).
    pub end: KState,
    /// The caller's label (jobs are reordered for SIMD grouping).
    pub tag: usize,
}

/// Samples transposed per tile: lane-interleaved `f64`s in a stack buffer (8 KiB at 8 lanes),
/// written long before they are read back as vectors.
const TILE: usize = 128;
/// The widest vector handled (AVX-512: 8 `f64` lanes).
const MAX_LANES: usize = 8;

/// Runs every job: groups of equal-length jobs in SIMD lanes, the rest with the scalar loop
/// (the same bits either way).
pub fn run_jobs(k: &KWeighting, frames: usize, jobs: &mut [Job<'_>]) {
    Arch::new().dispatch(RunJobs { k, frames, jobs });
}

/// The number of `f64` lanes the dispatched kernel uses on this machine.
pub fn lanes() -> usize {
    struct Lanes;
    impl WithSimd for Lanes {
        type Output = usize;
        fn with_simd<S: Simd>(self, _: S) -> usize {
            S::F64_LANES.min(MAX_LANES)
        }
    }
    Arch::new().dispatch(Lanes)
}

struct RunJobs<'a, 'b> {
    k: &'a KWeighting,
    frames: usize,
    jobs: &'a mut [Job<'b>],
}

impl WithSimd for RunJobs<'_, '_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        let lanes = S::F64_LANES;
        let mut rest: &mut [Job<'_>] = self.jobs;
        if lanes > 1 && lanes <= MAX_LANES {
            // Group jobs of equal length (all but each channel's last block) by lanes.
            while rest.len() >= lanes {
                let len = rest[0].sums.len();
                let group = rest[..lanes].iter().all(|j| j.sums.len() == len);
                let (head, tail) = rest.split_at_mut(if group { lanes } else { 1 });
                if group {
                    filter_group(simd, self.k, self.frames, head);
                } else {
                    scalar(self.k, self.frames, &mut head[0]);
                }
                rest = tail;
            }
        }
        for job in rest {
            scalar(self.k, self.frames, job);
        }
    }
}

fn scalar(k: &KWeighting, frames: usize, job: &mut Job<'_>) {
    let mut state = job.start;
    filter_subblocks(k, job.x, frames, &mut state, job.sums);
    job.end = state;
}

#[inline(always)]
fn filter_group<S: Simd>(simd: S, k: &KWeighting, frames: usize, jobs: &mut [Job<'_>]) {
    let lanes = S::F64_LANES;
    let splat = |v: f64| simd.splat_f64s(v);
    let (a0, a1, a2, a3) = (splat(k.a[0]), splat(k.a[1]), splat(k.a[2]), splat(k.a[3]));
    let (b0, b1, b2, b3, b4) = (
        splat(k.b[0]),
        splat(k.b[1]),
        splat(k.b[2]),
        splat(k.b[3]),
        splat(k.b[4]),
    );
    let zero = splat(0.0);
    let mut out = [0.0f64; MAX_LANES];
    // The start states, lane by lane.
    let mut s = [zero; 4];
    for (q, v) in s.iter_mut().enumerate() {
        for (o, job) in out.iter_mut().zip(jobs.iter()) {
            *o = job.start[q];
        }
        *v = simd.partial_load_f64s(&out[..lanes]);
    }
    let mut buf = [0.0f64; TILE * MAX_LANES];
    let subblocks = jobs[0].sums.len();
    for j in 0..subblocks {
        let mut acc = zero;
        let base = j * frames;
        let mut t0 = 0;
        while t0 < frames {
            let tile = TILE.min(frames - t0);
            for (l, job) in jobs.iter().enumerate() {
                let src = &job.x[base + t0..base + t0 + tile];
                for (t, &v) in src.iter().enumerate() {
                    buf[t * lanes + l] = f64::from(v);
                }
            }
            let (vectors, _) = S::as_simd_f64s(&buf[..tile * lanes]);
            for &x in vectors {
                // v0 = x − a3·s3 − a2·s2 − a1·s1 − a0·s0, as KWeighting::step.
                let v0 = simd.sub_f64s(
                    simd.sub_f64s(
                        simd.sub_f64s(
                            simd.sub_f64s(x, simd.mul_f64s(a3, s[3])),
                            simd.mul_f64s(a2, s[2]),
                        ),
                        simd.mul_f64s(a1, s[1]),
                    ),
                    simd.mul_f64s(a0, s[0]),
                );
                // y = b4·s3 + b3·s2 + b2·s1 + b1·s0 + b0·v0.
                let y = simd.add_f64s(
                    simd.add_f64s(
                        simd.add_f64s(
                            simd.add_f64s(simd.mul_f64s(b4, s[3]), simd.mul_f64s(b3, s[2])),
                            simd.mul_f64s(b2, s[1]),
                        ),
                        simd.mul_f64s(b1, s[0]),
                    ),
                    simd.mul_f64s(b0, v0),
                );
                acc = simd.add_f64s(acc, simd.mul_f64s(y, y));
                s = [v0, s[0], s[1], s[2]];
            }
            t0 += tile;
        }
        simd.partial_store_f64s(&mut out[..lanes], acc);
        for (job, &sum) in jobs.iter_mut().zip(&out) {
            job.sums[j] = sum;
        }
    }
    for (q, v) in s.iter().enumerate() {
        simd.partial_store_f64s(&mut out[..lanes], *v);
        for (job, &value) in jobs.iter_mut().zip(&out) {
            job.end[q] = value;
        }
    }
}
