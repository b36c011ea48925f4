//! From weighted 100 ms energies to the numbers a meter reports: the cheap second pass that
//! every implementation shares (so they differ only in how they filter).
//!
//! Definitions (BS.1770-4, EBU Tech 3341/3342, and where those leave room, libebur128's —
//! and so the `ebur128` crate's — choices, since that is the meter results are held to):
//! * `z[j]`: the channel-weighted sum of squared K-weighted samples in 100 ms sub-block `j`
//!   (`(rate + 5) / 10` frames, as libebur128 rounds it); a trailing partial sub-block is
//!   not part of any block.
//! * Momentary: the mean square over the 400 ms (4 sub-blocks) ending at each 100 ms
//!   boundary, from the first complete window; short-term likewise over 3 s (30). A window
//!   that would reach before the start is not reported (a file meter has no "before"), which
//!   changes no maximum: such a window holds less energy than the first complete one.
//! * Integrated: the momentary blocks (400 ms, 75 % overlap) at or above −70 LUFS, then at or
//!   above the mean of those minus 10 LU; the loudness of their mean. No block passes (silence,
//!   or less than 400 ms): absent.
//! * Loudness range: 3 s blocks every **1 s** (libebur128's step; Tech 3342 asks for 10 Hz,
//!   but the `ebur128` crate, the oracle within 0.05 LU, steps 1 s), gated at −70 LUFS and
//!   at −20 LU below their mean; the 95th minus the 10th percentile, each the element at index
//!   `⌊m·p + ½⌋` of the sorted survivors (`m` = count − 1), as libebur128 takes it.
//! * Loudness is `−0.691 + 10·log10(mean square)`. A window below [`SILENCE_FLOOR_LUFS`] is
//!   silence (−∞): after digital silence the filter's tail decays through −400 LUFS and
//!   beyond, which no meter shows, and which the blocked variants' state correction (exact to
//!   ≈ 10⁻³⁰ of the state) would otherwise turn into "−∞ here, −812 LUFS there".

/// `−0.691 + 10 log10(energy)`; `−∞` for zero energy.
pub fn energy_to_lufs(energy: f64) -> f64 {
    if energy > 0.0 {
        10.0 * energy.log10() - 0.691
    } else {
        f64::NEG_INFINITY
    }
}

/// The energy of a loudness level (inverse of [`energy_to_lufs`]).
pub fn lufs_to_energy(lufs: f64) -> f64 {
    10f64.powf((lufs + 0.691) / 10.0)
}

/// Sub-blocks per momentary window (400 ms).
pub const MOMENTARY_SUBBLOCKS: usize = 4;
/// Sub-blocks per short-term window (3 s).
pub const SHORT_TERM_SUBBLOCKS: usize = 30;
/// Sub-blocks between the loudness-range blocks (1 s).
pub const RANGE_STEP_SUBBLOCKS: usize = 10;
/// Windows quieter than this are reported as silence (−∞), by every variant. 150 dB below
/// the −0 LUFS of a full-scale 1 kHz sine: below the noise of any 24-bit file.
pub const SILENCE_FLOOR_LUFS: f64 = -150.0;
/// The absolute gate, LUFS.
pub const ABSOLUTE_GATE_LUFS: f64 = -70.0;
/// The integrated loudness's relative gate, LU.
pub const RELATIVE_GATE_LU: f64 = -10.0;
/// The loudness range's relative gate, LU.
pub const RANGE_RELATIVE_GATE_LU: f64 = -20.0;

/// Frames in a 100 ms sub-block at `sample_rate`, rounded as libebur128 rounds it.
pub fn subblock_frames(sample_rate: u32) -> usize {
    (sample_rate as usize + 5) / 10
}

/// Everything the gating pass derives from the sub-block energies.
#[derive(Debug, Clone, PartialEq)]
pub struct Gated {
    pub integrated_lufs: Option<f64>,
    pub relative_gate_lufs: Option<f64>,
    pub range_lu: Option<f64>,
    /// The 10th and 95th percentiles the range spans, LUFS.
    pub range_low_lufs: Option<f64>,
    pub range_high_lufs: Option<f64>,
    pub momentary_max_lufs: Option<f64>,
    pub short_term_max_lufs: Option<f64>,
    /// Momentary loudness every 100 ms from the first complete window (ending at 0.4 s).
    pub momentary_lufs: Vec<f32>,
    /// Short-term loudness every 100 ms from the first complete window (ending at 3 s).
    pub short_term_lufs: Vec<f32>,
}

/// Mean squares of the windows of `len` sub-blocks ending at each sub-block, from the first
/// complete one, with windows below the silence floor set to 0. The sum runs in sub-block
/// order (one fixed order for every variant).
fn window_energies(z: &[f64], len: usize, frames: usize) -> Vec<f64> {
    if z.len() < len {
        return Vec::new();
    }
    let denominator = (len * frames) as f64;
    let floor = lufs_to_energy(SILENCE_FLOOR_LUFS);
    (len - 1..z.len())
        .map(|end| z[end + 1 - len..=end].iter().sum::<f64>() / denominator)
        .map(|e| if e < floor { 0.0 } else { e })
        .collect()
}

/// The finite maximum of `energies` as loudness; absent if every window is silent.
fn max_lufs(energies: &[f64]) -> Option<f64> {
    let max = energies.iter().copied().fold(0.0f64, f64::max);
    (max > 0.0).then(|| energy_to_lufs(max))
}

/// The gating pass over the weighted sub-block energies `z` (`frames` frames each).
pub fn gate(z: &[f64], frames: usize) -> Gated {
    let momentary = window_energies(z, MOMENTARY_SUBBLOCKS, frames);
    let short_term = window_energies(z, SHORT_TERM_SUBBLOCKS, frames);
    let absolute = lufs_to_energy(ABSOLUTE_GATE_LUFS);

    // Integrated loudness: the momentary blocks through both gates.
    let loud: Vec<f64> = momentary
        .iter()
        .copied()
        .filter(|&e| e >= absolute)
        .collect();
    let (integrated_lufs, relative_gate_lufs) = if loud.is_empty() {
        (None, None)
    } else {
        let threshold =
            loud.iter().sum::<f64>() / loud.len() as f64 * 10f64.powf(RELATIVE_GATE_LU / 10.0);
        let kept: Vec<f64> = loud.iter().copied().filter(|&e| e >= threshold).collect();
        let mean = kept.iter().sum::<f64>() / kept.len() as f64;
        (Some(energy_to_lufs(mean)), Some(energy_to_lufs(threshold)))
    };

    // Loudness range: the short-term blocks every second (t = 3 s, 4 s, …).
    let mut blocks: Vec<f64> = short_term
        .iter()
        .step_by(RANGE_STEP_SUBBLOCKS)
        .copied()
        .filter(|&e| e >= absolute)
        .collect();
    let range = if blocks.is_empty() {
        None
    } else {
        blocks.sort_by(f64::total_cmp);
        let power = blocks.iter().sum::<f64>() / blocks.len() as f64;
        let threshold = power * 10f64.powf(RANGE_RELATIVE_GATE_LU / 10.0);
        let gated = blocks.iter().take_while(|&&e| e < threshold).count();
        let m = (blocks.len() - gated - 1) as f64;
        let high = blocks[gated + (m * 0.95 + 0.5) as usize];
        let low = blocks[gated + (m * 0.1 + 0.5) as usize];
        Some((energy_to_lufs(low), energy_to_lufs(high)))
    };

    let series = |e: &[f64]| e.iter().map(|&e| energy_to_lufs(e) as f32).collect();
    Gated {
        integrated_lufs,
        relative_gate_lufs,
        range_lu: range.map(|(low, high)| high - low),
        range_low_lufs: range.map(|(low, _)| low),
        range_high_lufs: range.map(|(_, high)| high),
        momentary_max_lufs: max_lufs(&momentary),
        short_term_max_lufs: max_lufs(&short_term),
        momentary_lufs: series(&momentary),
        short_term_lufs: series(&short_term),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silence_and_short_input_have_no_loudness() {
        let g = gate(&[0.0; 50], 4410);
        assert_eq!(g.integrated_lufs, None);
        assert_eq!(g.range_lu, None);
        assert_eq!(g.momentary_max_lufs, None);
        assert_eq!(g.short_term_max_lufs, None);
        assert!(g.momentary_lufs.iter().all(|v| *v == f32::NEG_INFINITY));
        // Three sub-blocks (300 ms): no 400 ms block at all.
        let g = gate(&[1.0; 3], 4410);
        assert_eq!(g.integrated_lufs, None);
        assert!(g.momentary_lufs.is_empty());
    }

    #[test]
    fn a_constant_level_reads_itself() {
        // Mean square 0.01 → −20.691 LUFS everywhere, no range.
        let frames = 4800;
        let z = vec![0.01 * frames as f64; 100];
        let g = gate(&z, frames);
        let want = energy_to_lufs(0.01);
        assert!((g.integrated_lufs.unwrap() - want).abs() < 1e-12);
        assert!((g.momentary_max_lufs.unwrap() - want).abs() < 1e-12);
        assert!((g.short_term_max_lufs.unwrap() - want).abs() < 1e-12);
        assert!(g.range_lu.unwrap().abs() < 1e-12);
        assert_eq!(g.momentary_lufs.len(), 97);
        assert_eq!(g.short_term_lufs.len(), 71);
    }

    #[test]
    fn gates_drop_quiet_blocks() {
        // 20 s at −20 and 20 s at −90 (below the absolute gate): integrated −20.
        let frames = 4800;
        let mut z = vec![lufs_to_energy(-20.0) * frames as f64; 200];
        z.extend(vec![lufs_to_energy(-90.0) * frames as f64; 200]);
        let g = gate(&z, frames);
        // (The three blocks straddling the change pass the gates too: −20.03.)
        assert!((g.integrated_lufs.unwrap() + 20.0).abs() < 0.05);
    }
}
