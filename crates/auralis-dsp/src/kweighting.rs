//! The BS.1770 K-weighting filter, for any sample rate.
//!
//! BS.1770-4 tabulates the two biquads only at 48 kHz. Like libebur128 (and so the `ebur128`
//! crate, the meter this workspace is held to), the coefficients here are derived from the
//! analogue prototypes for any rate by the bilinear transform with pre-warping:
//!
//! * pre-filter (high shelf, +4 dB above ≈ 1.7 kHz): `f0 = 1681.974450955533`,
//!   `G = 3.999843853973347` dB, `Q = 0.7071752369554196`, with `K = tan(π f0 / fs)`,
//!   `Vh = 10^(G/20)`, `Vb = Vh^0.4996667741545416`:
//!   `b = [(Vh + Vb K/Q + K²), 2(K² − Vh), (Vh − Vb K/Q + K²)] / a0`,
//!   `a = [1, 2(K² − 1)/a0, (1 − K/Q + K²)/a0]`, `a0 = 1 + K/Q + K²`;
//! * RLB high-pass (≈ 38 Hz): `f0 = 38.13547087602444`, `Q = 0.5003270373238773`:
//!   `b = [1, −2, 1]`, `a = [1, 2(K² − 1)/a0, (1 − K/Q + K²)/a0]`.
//!
//! The two are multiplied into one 4th-order filter run in direct form II in `f64`, exactly as
//! libebur128 runs it, so the filtered samples agree with the standard meter's to rounding.
//! At 48 kHz the coefficients equal BS.1770-4's table to 1e-9 (tested).

/// The combined 4th-order K-weighting filter for one sample rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KWeighting {
    /// Feed-forward coefficients `b0 … b4`.
    pub b: [f64; 5],
    /// Feedback coefficients `a1 … a4` (`a0 = 1`).
    pub a: [f64; 4],
}

/// A channel's filter state: the direct-form-II delay line `v[n−1] … v[n−4]`.
pub type KState = [f64; 4];

impl KWeighting {
    /// The filter for `sample_rate` (Hz, > 0).
    pub fn new(sample_rate: u32) -> Self {
        use std::f64::consts::PI;
        let fs = f64::from(sample_rate);

        let (f0, g, q) = (1681.974450955533, 3.999843853973347, 0.7071752369554196);
        let k = (PI * f0 / fs).tan();
        let vh = 10f64.powf(g / 20.0);
        let vb = vh.powf(0.4996667741545416);
        let a0 = 1.0 + k / q + k * k;
        let pb = [
            (vh + vb * k / q + k * k) / a0,
            2.0 * (k * k - vh) / a0,
            (vh - vb * k / q + k * k) / a0,
        ];
        let pa = [1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0];

        let (f0, q) = (38.13547087602444, 0.5003270373238773);
        let k = (PI * f0 / fs).tan();
        let a0 = 1.0 + k / q + k * k;
        let rb = [1.0, -2.0, 1.0];
        let ra = [1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0];

        // The product of the two second-order polynomials, term by term as libebur128 forms it.
        let b = [
            pb[0],
            pb[1] + pb[0] * rb[1],
            pb[2] + pb[1] * rb[1] + pb[0] * rb[2],
            pb[2] * rb[1] + pb[1] * rb[2],
            pb[2] * rb[2],
        ];
        let a = [
            pa[1] + pa[0] * ra[1],
            pa[2] + pa[1] * ra[1] + pa[0] * ra[2],
            pa[2] * ra[1] + pa[1] * ra[2],
            pa[2] * ra[2],
        ];
        Self { b, a }
    }

    /// Filters one sample: returns the K-weighted output and advances `state`.
    ///
    /// The operation order is fixed — it is the definition every variant reproduces bit for
    /// bit — and chosen for speed: the newest state `v[n−1]` enters the feedback sum last, so
    /// the recurrence's critical path is one multiply and one subtract per sample, not five
    /// operations (libebur128 sums in the opposite order; the two differ by rounding only,
    /// ~10⁻¹⁶ relative).
    #[inline(always)]
    pub fn step(&self, state: &mut KState, x: f64) -> f64 {
        let v0 = x
            - self.a[3] * state[3]
            - self.a[2] * state[2]
            - self.a[1] * state[1]
            - self.a[0] * state[0];
        let y = self.b[4] * state[3]
            + self.b[3] * state[2]
            + self.b[2] * state[1]
            + self.b[1] * state[0]
            + self.b[0] * v0;
        *state = [v0, state[0], state[1], state[2]];
        y
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coefficients_at_48_khz_match_the_bs1770_table() {
        let k = KWeighting::new(48_000);
        // BS.1770-4 Table 1 (pre-filter) and Table 2 (RLB), multiplied out.
        let pb = [1.53512485958697, -2.69169618940638, 1.19839281085285];
        let pa = [1.0, -1.69065929318241, 0.73248077421585];
        let rb = [1.0, -2.0, 1.0];
        let ra = [1.0, -1.99004745483398, 0.99007225036621];
        let b = [
            pb[0],
            pb[1] + pb[0] * rb[1],
            pb[2] + pb[1] * rb[1] + pb[0] * rb[2],
            pb[2] * rb[1] + pb[1] * rb[2],
            pb[2] * rb[2],
        ];
        let a = [
            pa[1] + ra[1],
            pa[2] + pa[1] * ra[1] + ra[2],
            pa[2] * ra[1] + pa[1] * ra[2],
            pa[2] * ra[2],
        ];
        for (got, want) in k.b.iter().zip(&b).chain(k.a.iter().zip(&a)) {
            assert!((got - want).abs() < 1e-8, "{got} vs {want}");
        }
    }

    #[test]
    fn gain_is_about_plus_4_db_at_high_frequencies_and_rolls_off_below_40_hz() {
        let k = KWeighting::new(48_000);
        let gain_db = |freq: f64| {
            let mut state = [0.0; 4];
            let w = 2.0 * std::f64::consts::PI * freq / 48_000.0;
            let (mut energy_in, mut energy_out) = (0.0, 0.0);
            for n in 0..96_000 {
                let x = (w * n as f64).sin();
                let y = k.step(&mut state, x);
                if n >= 48_000 {
                    energy_in += x * x;
                    energy_out += y * y;
                }
            }
            10.0 * (energy_out / energy_in).log10()
        };
        assert!((gain_db(997.0) - 0.69).abs() < 0.05, "{}", gain_db(997.0)); // the −0.691 offset
        assert!((gain_db(10_000.0) - 4.0).abs() < 0.1);
        assert!(gain_db(20.0) < -10.0);
    }
}
