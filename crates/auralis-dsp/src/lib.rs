//! DSP primitives shared by several stages, so that no stage depends on another stage.
//!
//! * [`truepeak`]: the 4× (and 2×) polyphase interpolator of BS.1770-4 Annex 2 with exactly
//!   libebur128's coefficients — one definition for the limiter's true-peak mode (dynamics)
//!   and the true-peak meter (loudness), so the ceiling the limiter guarantees is the one
//!   the meter reads.
//! * [`kweighting`]: the BS.1770 K-weighting filter (pre-filter shelf and RLB high-pass),
//!   coefficients derived for any sample rate as libebur128 does.

pub mod kweighting;
pub mod truepeak;
pub mod truepeak_simd;
