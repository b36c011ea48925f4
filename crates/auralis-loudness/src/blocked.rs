//! The blocked driver shared by the vectorized and parallel variants (the method is in
//! `energy.rs`): plan blocks, pass 1 from zero states, propagate the true start states,
//! correct each block's first sub-blocks.

use auralis_dsp::kweighting::{KState, KWeighting};
use rayon::prelude::*;

use crate::energy::{block_subblocks, Carry};
use crate::kernel::{lanes, run_jobs, Job};

/// Runs `jobs` on this thread, or spread over rayon's threads in SIMD-sized groups.
fn run(k: &KWeighting, frames: usize, jobs: &mut [Job<'_>], parallel: bool) {
    // Equal lengths first, so they fill whole SIMD groups.
    jobs.sort_by_key(|j| std::cmp::Reverse(j.sums.len()));
    if parallel {
        jobs.par_chunks_mut(lanes().max(1))
            .for_each(|group| run_jobs(k, frames, group));
    } else {
        run_jobs(k, frames, jobs);
    }
}

/// Sub-block energies of every channel (`frames` frames per sub-block), on this thread
/// (`parallel == false`) or on rayon's pool.
pub fn channel_energies(
    k: &KWeighting,
    channels: &[&[f32]],
    frames: usize,
    parallel: bool,
) -> Vec<Vec<f64>> {
    let Some(first) = channels.first() else {
        return Vec::new();
    };
    let subblocks = first.len() / frames;
    if subblocks == 0 {
        return vec![Vec::new(); channels.len()];
    }
    let block_len = block_subblocks(subblocks, channels.len());
    let blocks = subblocks.div_ceil(block_len);
    let mut sums: Vec<Vec<f64>> = vec![vec![0.0; subblocks]; channels.len()];

    // Pass 1: every block of every channel from a zero state; keep the end states.
    let mut ends: Vec<Vec<KState>> = vec![vec![[0.0; 4]; blocks]; channels.len()];
    {
        let mut jobs: Vec<Job<'_>> = Vec::with_capacity(blocks * channels.len());
        for (x, s) in channels.iter().zip(&mut sums) {
            for (b, chunk) in s.chunks_mut(block_len).enumerate() {
                let start = b * block_len * frames;
                jobs.push(Job {
                    x: &x[start..start + chunk.len() * frames],
                    sums: chunk,
                    start: [0.0; 4],
                    end: [0.0; 4],
                    tag: b,
                });
            }
        }
        let mut channel_of = Vec::with_capacity(jobs.len());
        for (c, _) in channels.iter().enumerate() {
            channel_of.extend(std::iter::repeat_n(c, blocks));
        }
        for (job, &c) in jobs.iter_mut().zip(&channel_of) {
            job.tag += c * blocks;
        }
        run(k, frames, &mut jobs, parallel);
        for job in &jobs {
            ends[job.tag / blocks][job.tag % blocks] = job.end;
        }
    }

    // Propagation: S_0 = 0, S_{b+1} = Z_b + A^L·S_b, with A^L·e_q from the filter's own
    // zero-input recursion over one block (four unit starts in SIMD lanes).
    let silence = vec![0.0f32; frames];
    let carry = Carry::new(block_len, |states| {
        let mut scratch = [[0.0f64; 1]; 4];
        let mut jobs: Vec<Job<'_>> = scratch
            .iter_mut()
            .zip(states.iter())
            .map(|(sum, &start)| Job {
                x: &silence,
                sums: sum,
                start,
                end: [0.0; 4],
                tag: 0,
            })
            .collect();
        run_jobs(k, frames, &mut jobs);
        for (state, job) in states.iter_mut().zip(&jobs) {
            *state = job.end;
        }
    });
    let starts: Vec<Vec<KState>> = ends
        .iter()
        .map(|z| {
            let mut s = vec![[0.0; 4]; blocks];
            for b in 1..blocks {
                s[b] = carry.propagate(&z[b - 1], &s[b - 1]);
            }
            s
        })
        .collect();

    // Correction: the first P sub-blocks of every later block, from its true start.
    let settle = carry.settle;
    let mut jobs: Vec<Job<'_>> = Vec::with_capacity(blocks * channels.len());
    for ((x, s), st) in channels.iter().zip(&mut sums).zip(&starts) {
        for (b, chunk) in s.chunks_mut(block_len).enumerate().skip(1) {
            let n = settle.min(chunk.len());
            let start = b * block_len * frames;
            jobs.push(Job {
                x: &x[start..start + n * frames],
                sums: &mut chunk[..n],
                start: st[b],
                end: [0.0; 4],
                tag: 0,
            });
        }
    }
    run(k, frames, &mut jobs, parallel);
    drop(jobs);
    sums
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::energy::channel_energies_sequential;

    #[test]
    fn blocked_sums_match_the_sequential_ones() {
        for rate in [8_000u32, 44_100, 192_000] {
            let frames = crate::gating::subblock_frames(rate);
            let k = KWeighting::new(rate);
            // Noise with a slow swell: every sub-block loud enough to compare relatively.
            let mut state = 7u64;
            let x: Vec<f32> = (0..(4.3 * f64::from(rate)) as usize)
                .map(|i| {
                    state = state
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    let noise = ((state >> 40) as f32 / (1u64 << 24) as f32) - 0.5;
                    noise * (1.0 + (i as f32 * 1e-4).sin())
                })
                .collect();
            let reference = channel_energies_sequential(&k, &x, frames);
            for parallel in [false, true] {
                let blocked = channel_energies(&k, &[&x], frames, parallel);
                for (j, (r, b)) in reference.iter().zip(&blocked[0]).enumerate() {
                    assert!(
                        ((r - b) / r).abs() < 1e-9,
                        "{rate} Hz, parallel {parallel}: sub-block {j}: {r} vs {b}"
                    );
                }
            }
        }
    }
}
