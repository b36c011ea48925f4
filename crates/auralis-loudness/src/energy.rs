//! K-weighted sub-block energies: the sequential definition and the blocked scheme that the
//! vectorized and parallel variants use to run a recursive filter in independent pieces —
//! and still produce the reference's bits.
//!
//! ## How a recursive filter is split into independent blocks
//! The K-weighting filter is linear: its state after a block is the state a zero start would
//! give, plus the true start state carried through the block by the homogeneous recursion
//! (`S_end = Z + A^L·S_start`, `A` the 4×4 state-transition matrix, `L` the block length).
//! And the output from a true start is the zero-start output plus the zero-input response
//! `C·A^n·S_start`, which decays (the slowest pole, the 38 Hz high-pass, is ≈ 0.995 at
//! 44.1 kHz). So:
//!
//! 1. **Pass 1** (independent; SIMD lanes and threads): every filter block (up to 30
//!    sub-blocks = 3 s) is filtered from a zero state; its sub-block sums and end state `Z`
//!    are kept.
//! 2. **Propagation** (sequential, 16 multiply-adds per block): the true start states,
//!    `S_0 = 0`, `S_{b+1} = Z_b + A^L·S_b`, with the columns `A^L·e_q` obtained by running the
//!    filter's zero-input recursion from the four unit states over one block ([`Carry`]).
//! 3. **Correction** (independent): the first `P` sub-blocks of every later block are filtered
//!    again from `S_b`, replacing their sums; `P` is the fewest sub-blocks after which every
//!    unit start has decayed below [`SETTLED`] (a few sub-blocks; more at high rates).
//!
//! Nothing is approximated but what double precision cannot hold: the result differs from the
//! sequential reference by rounding only (the two are different orders of `f64` operations).
//! The block plan depends on the input's length only — never on the thread count or SIMD
//! width — so the vectorized and parallel variants give the same bits at any thread count.

use auralis_dsp::kweighting::{KState, KWeighting};

/// Sub-blocks per filter block of the blocked scheme: 3 s, long enough that the rerun
/// (≈ 2 sub-blocks at 44.1 kHz) costs a few per cent, short enough that 30 s of audio gives
/// a SIMD vector and two threads full blocks to chew on.
pub const BLOCK_SUBBLOCKS: usize = 30;

/// Filters the sub-blocks of `x` (`frames` frames each, `x.len()` a multiple) from `state`,
/// writing each sub-block's sum of squares to `sums`. This loop is the definition; the SIMD
/// kernel runs exactly its operations in each lane.
#[inline]
pub fn filter_subblocks(
    k: &KWeighting,
    x: &[f32],
    frames: usize,
    state: &mut KState,
    sums: &mut [f64],
) {
    for (sub, sum) in x.chunks_exact(frames).zip(sums.iter_mut()) {
        let mut acc = 0.0f64;
        for &s in sub {
            let y = k.step(state, f64::from(s));
            acc += y * y;
        }
        *sum = acc;
    }
}

/// The reference: one channel's sub-block energies, filtered sequentially from rest.
pub fn channel_energies_sequential(k: &KWeighting, x: &[f32], frames: usize) -> Vec<f64> {
    let n = x.len() / frames;
    let mut sums = vec![0.0; n];
    let mut state = [0.0; 4];
    filter_subblocks(k, &x[..n * frames], frames, &mut state, &mut sums);
    sums
}

/// Sub-blocks per filter block for `subblocks` sub-blocks per channel over `channels`
/// channels: [`BLOCK_SUBBLOCKS`], or fewer (down to 10, 1 s) so that short inputs still give
/// 16 blocks to share among SIMD lanes and threads. A function of the input's shape only, so
/// the result (which depends on the plan at the rounding level) is the same at any thread
/// count and SIMD width.
pub fn block_subblocks(subblocks: usize, channels: usize) -> usize {
    let total = subblocks * channels.max(1);
    total.div_ceil(16).clamp(10, BLOCK_SUBBLOCKS)
}

/// The zero-input response must fall below this (from a unit state) before a block's
/// zero-start sums are used. The direct-form state is the input through `1/A(z)`, whose DC
/// gain is ≈ 2·10⁸ at 192 kHz: at the input bound (±65 536) a state can reach ≈ 10¹³, which
/// this leaves at ≈ 10⁻¹⁷ — far below the silence floor and `f64` resolution of any level.
/// (One sub-block more than 10⁻²⁴ would need at 44.1 kHz: ≈ 3 % of the filtering.)
pub const SETTLED: f64 = 1e-30;

/// How the filter carries a state through a block, by running its own zero-input recursion
/// (not by powers of the 4×4 transition matrix: its companion form is so ill-conditioned that
/// repeated squaring blew up to 10⁸⁵ at 192 kHz; the recursion is exactly as stable as the
/// filter).
#[derive(Debug, Clone)]
pub struct Carry {
    /// `A^L·e_q` for the four unit states: the state a unit start leaves after a whole block.
    pub through_block: [KState; 4],
    /// Sub-blocks after which every unit start has decayed below [`SETTLED`].
    pub settle: usize,
}

impl Carry {
    /// The carry over blocks of `block_len` sub-blocks of `frames` frames, computed by
    /// `run(states, frames)`: advance the four states by `frames` zero-input samples.
    pub fn new(block_len: usize, mut advance: impl FnMut(&mut [KState; 4])) -> Self {
        let mut states: [KState; 4] = std::array::from_fn(|q| {
            let mut e = [0.0; 4];
            e[q] = 1.0;
            e
        });
        let mut settle = block_len;
        for p in 1..=block_len {
            advance(&mut states);
            if settle == block_len && states.iter().flatten().all(|v| v.abs() <= SETTLED) {
                settle = p;
            }
        }
        Self {
            through_block: states,
            settle,
        }
    }

    /// `S_end = Z + A^L·S_start`.
    pub fn propagate(&self, zero_start_end: &KState, start: &KState) -> KState {
        std::array::from_fn(|i| {
            zero_start_end[i]
                + (0..4)
                    .map(|q| start[q] * self.through_block[q][i])
                    .sum::<f64>()
        })
    }
}
