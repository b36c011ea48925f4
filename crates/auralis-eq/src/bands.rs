//! The 25 Bark critical bands and the smooth per-bin gain curve built from band gains.
//!
//! The curve is a monotone cubic (PCHIP, Fritsch–Carlson) interpolation of the band gains in
//! dB over `ln f`, through one node per band centre. Why this shape rather than straight lines:
//!
//! * it is C¹ (no hard steps and no kinks), so the STFT filter it defines has short, gentle
//!   impulse responses;
//! * it never overshoots: between two centres the curve stays between their gains, so a
//!   ±12 dB clip on the bands is a ±12 dB bound on every bin;
//! * at a local extremum (a band boosted or cut alone) its slope is zero, so a sine at the
//!   band's centre gets the band's gain even after the STFT smears it over neighbouring bins.
//!
//! Below the first centre the curve holds band 0's gain and above the last centre it holds
//! band 24's (so bins above 20 kHz belong to the last band); the end slopes are zero so those
//! constant extensions join the cubic smoothly.

use crate::gains::EqGains;

/// Number of Bark critical bands.
pub const NUM_BANDS: usize = 25;

/// Band edges in Hz: band `i` spans `BAND_EDGES_HZ[i] .. BAND_EDGES_HZ[i + 1]`.
pub const BAND_EDGES_HZ: [f32; NUM_BANDS + 1] = [
    0.0, 100.0, 200.0, 300.0, 400.0, 510.0, 630.0, 770.0, 920.0, 1080.0, 1270.0, 1480.0, 1720.0,
    2000.0, 2320.0, 2700.0, 3150.0, 3700.0, 4400.0, 5300.0, 6400.0, 7700.0, 9500.0, 12000.0,
    15500.0, 20000.0,
];

/// Centre of band 0, whose lower edge is 0 Hz (a geometric mean would be 0).
const FIRST_CENTRE_HZ: f64 = 50.0;

/// Band centres in Hz: 50 Hz for band 0, the geometric mean of the edges for the others.
pub fn band_centres_hz() -> [f32; NUM_BANDS] {
    band_centres_f64().map(|c| c as f32)
}

fn band_centres_f64() -> [f64; NUM_BANDS] {
    let mut centres = [FIRST_CENTRE_HZ; NUM_BANDS];
    for (band, centre) in centres.iter_mut().enumerate().skip(1) {
        let lo = f64::from(BAND_EDGES_HZ[band]);
        let hi = f64::from(BAND_EDGES_HZ[band + 1]);
        *centre = (lo * hi).sqrt();
    }
    centres
}

/// The gain curve of one gain set: a piecewise cubic in (ln f, dB), evaluable at any
/// frequency. Built on the stack, so streaming gain changes do not allocate.
#[derive(Debug, Clone)]
pub struct GainCurve {
    /// `ln` of each band centre (the interpolation nodes).
    log_centres: [f64; NUM_BANDS],
    /// Band gains in dB at the nodes.
    gains_db: [f64; NUM_BANDS],
    /// Curve slope (dB per unit of `ln f`) at each node.
    slopes: [f64; NUM_BANDS],
}

impl GainCurve {
    /// Builds the curve through `gains`.
    pub fn new(gains: &EqGains) -> Self {
        let log_centres = band_centres_f64().map(f64::ln);
        let gains_db = gains.as_array().map(f64::from);
        let slopes = pchip_slopes(&log_centres, &gains_db);
        GainCurve {
            log_centres,
            gains_db,
            slopes,
        }
    }

    /// Gain in dB at `freq_hz` (any frequency ≥ 0, including 0 Hz and above 20 kHz).
    pub fn gain_db(&self, freq_hz: f64) -> f64 {
        let last = NUM_BANDS - 1;
        if freq_hz <= FIRST_CENTRE_HZ {
            return self.gains_db[0];
        }
        let x = freq_hz.ln();
        if x >= self.log_centres[last] {
            return self.gains_db[last];
        }
        // The segment [j, j + 1] containing x; 25 nodes, so a linear scan is plenty.
        let j = self.log_centres[1..]
            .iter()
            .position(|&c| x < c)
            .unwrap_or(last - 1);
        let h = self.log_centres[j + 1] - self.log_centres[j];
        let t = (x - self.log_centres[j]) / h;
        let (t2, t3) = (t * t, t * t * t);
        let h00 = 2.0 * t3 - 3.0 * t2 + 1.0;
        let h10 = t3 - 2.0 * t2 + t;
        let h01 = -2.0 * t3 + 3.0 * t2;
        let h11 = t3 - t2;
        h00 * self.gains_db[j]
            + h10 * h * self.slopes[j]
            + h01 * self.gains_db[j + 1]
            + h11 * h * self.slopes[j + 1]
    }

    /// Linear amplitude gain at `freq_hz`, as applied to an FFT bin.
    pub fn bin_gain(&self, freq_hz: f64) -> f32 {
        db_to_amplitude(self.gain_db(freq_hz)) as f32
    }
}

/// `10^(dB/20)`; exactly 1 at 0 dB, so a flat EQ multiplies every bin by exactly 1.
fn db_to_amplitude(db: f64) -> f64 {
    10f64.powf(db / 20.0)
}

/// Fritsch–Carlson node slopes: zero at local extrema and at both ends, a weighted harmonic
/// mean of the neighbouring secant slopes elsewhere (which keeps the cubic monotone between
/// nodes, i.e. no overshoot).
fn pchip_slopes(x: &[f64; NUM_BANDS], y: &[f64; NUM_BANDS]) -> [f64; NUM_BANDS] {
    let mut slopes = [0.0; NUM_BANDS];
    for k in 1..NUM_BANDS - 1 {
        let h_prev = x[k] - x[k - 1];
        let h_next = x[k + 1] - x[k];
        let d_prev = (y[k] - y[k - 1]) / h_prev;
        let d_next = (y[k + 1] - y[k]) / h_next;
        if d_prev * d_next > 0.0 {
            let w_prev = 2.0 * h_next + h_prev;
            let w_next = h_next + 2.0 * h_prev;
            slopes[k] = (w_prev + w_next) / (w_prev / d_prev + w_next / d_next);
        }
    }
    slopes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn curve(gains: &[f32]) -> GainCurve {
        GainCurve::new(&EqGains::new(gains).unwrap())
    }

    #[test]
    fn centres_are_geometric_means_inside_their_bands() {
        let c = band_centres_hz();
        assert_eq!(c[0], 50.0);
        assert!((c[1] - 141.421_36).abs() < 1e-3);
        assert!((c[10] - (1270.0f32 * 1480.0).sqrt()).abs() < 1e-2);
        for band in 0..NUM_BANDS {
            assert!(c[band] > BAND_EDGES_HZ[band] && c[band] < BAND_EDGES_HZ[band + 1]);
        }
    }

    #[test]
    fn curve_passes_through_every_band_gain() {
        let gains: Vec<f32> = (0..NUM_BANDS)
            .map(|b| (b as f32 * 1.7).sin() * 9.0)
            .collect();
        let c = curve(&gains);
        for (band, &centre) in band_centres_hz().iter().enumerate() {
            let got = c.gain_db(f64::from(centre));
            assert!(
                (got - f64::from(gains[band])).abs() < 1e-4,
                "band {band}: {got}"
            );
        }
    }

    #[test]
    fn curve_holds_the_end_gains_outside_the_centres() {
        let mut gains = [0.0f32; NUM_BANDS];
        gains[0] = 5.0;
        gains[24] = -7.0;
        let c = curve(&gains);
        for f in [0.0, 1.0, 20.0, 50.0] {
            assert_eq!(c.gain_db(f), 5.0);
        }
        for f in [17_700.0, 20_000.0, 48_000.0, 96_000.0] {
            assert_eq!(c.gain_db(f), -7.0);
        }
    }

    #[test]
    fn curve_is_continuous_and_never_overshoots() {
        let gains: Vec<f32> = (0..NUM_BANDS)
            .map(|b| if b % 3 == 0 { 12.0 } else { -12.0 })
            .collect();
        let c = curve(&gains);
        let mut previous = c.gain_db(10.0);
        let mut f = 10.0f64;
        while f < 24_000.0 {
            let next_f = f * 1.0005;
            let g = c.gain_db(next_f);
            assert!(g.abs() <= 12.0 + 1e-9, "overshoot {g} dB at {next_f} Hz");
            // 0.05 % of an octave step: a hard step would jump by up to 24 dB.
            assert!(
                (g - previous).abs() < 0.5,
                "step at {next_f} Hz: {previous} → {g}"
            );
            previous = g;
            f = next_f;
        }
    }

    #[test]
    fn single_band_boost_is_local_and_flat_topped() {
        let mut gains = [0.0f32; NUM_BANDS];
        gains[10] = 6.0;
        let c = curve(&gains);
        let centres = band_centres_hz().map(f64::from);
        // Zero slope at the peak: one bin (≈ 0.8 %) either side of the centre the gain has
        // moved by less than 0.1 dB, where straight lines in log f would lose ≈ 0.35 dB.
        for f in [centres[10] * 1.01, centres[10] / 1.01] {
            let g = c.gain_db(f);
            assert!(g < 6.0 && 6.0 - g < 0.1, "{g} dB at {f} Hz");
        }
        // Outside the neighbouring centres the curve is exactly flat.
        assert_eq!(c.gain_db(centres[8]), 0.0);
        assert_eq!(c.gain_db(centres[12]), 0.0);
        assert_eq!(c.gain_db(centres[11] * 1.001), 0.0);
    }

    #[test]
    fn bin_gains_are_linear_amplitudes() {
        let mut gains = [0.0f32; NUM_BANDS];
        gains[0] = 20.0 * 2f32.log10(); // +6.02 dB = ×2
        gains[24] = -20.0 * 2f32.log10();
        let c = curve(&gains);
        assert!((c.bin_gain(0.0) - 2.0).abs() < 1e-6);
        assert!((c.bin_gain(22_050.0) - 0.5).abs() < 1e-6);
        assert_eq!(c.bin_gain(1_000.0), 1.0);
        let flat = curve(&[0.0; NUM_BANDS]);
        assert!((0..2049).all(|k| flat.bin_gain(k as f64 * 10.77) == 1.0));
    }
}
