//! Log-spaced bands, the mapping of FFT bins onto them, and the weighting curves.
//!
//! Everything here depends only on the settings and the sample rate, is computed once per
//! analysis, and is shared by every implementation, so the variants cannot disagree about
//! which bin belongs to which band or how much a band is weighted.

use std::ops::Range;

use crate::settings::{SpectrumSettings, Weighting};

/// Lowest band edge (Hz): the bottom of the audible range.
pub const MIN_CENTRE_HZ: f64 = 20.0;
/// Lower edge of the last band (Hz), which runs from here to Nyquist.
pub const MAX_CENTRE_HZ: f64 = 20_000.0;
/// The level of an empty or silent band before weighting: `20·log10(MAGNITUDE_FLOOR)`.
pub const FLOOR_DB: f64 = -200.0;
/// Magnitude floor: an empty or silent band reads `20·log10(1e-10) = -200 dB` instead of −∞.
pub const MAGNITUDE_FLOOR: f64 = 1e-10;

/// `20·log10(x) = AMPLITUDE_DB_PER_NEPER · ln(x)`; `ln` is about twice as fast as `log10`
/// and this conversion runs for every band of every frame.
const AMPLITUDE_DB_PER_NEPER: f64 = 20.0 / std::f64::consts::LN_10;

/// `bands` lower band edges spaced evenly in log frequency from 20 Hz to 20 kHz inclusive,
/// computed like `numpy.logspace(log10(20), log10(20000), bands)` (exponents on a linear grid,
/// then `10^x`). Band `i` spans `[f_i, f_{i+1})`; the last band runs from `f_last` to Nyquist.
/// (The original called these values "centres"; a 1 kHz tone landed in the band "centred"
/// at 928 Hz, its lower edge.)
pub fn band_edges_hz(bands: usize) -> Vec<f64> {
    let lo = MIN_CENTRE_HZ.log10();
    let hi = MAX_CENTRE_HZ.log10();
    let steps = bands.saturating_sub(1).max(1) as f64;
    (0..bands)
        .map(|i| {
            // The last exponent is `hi` exactly, as in numpy's linspace.
            let exponent = if i + 1 == bands {
                hi
            } else {
                lo + (hi - lo) * (i as f64 / steps)
            };
            10f64.powf(exponent)
        })
        .collect()
}

/// The geometric centre of each band (STAGES.md §1): `c_i = sqrt(f_i·f_{i+1})`, and for the
/// last band, which runs to Nyquist, one more log step above its lower edge's geometric
/// half: `c_last = f_last·sqrt(f_last/f_{last−1})`. Weighting, centroid, rolloff and peak
/// frequency are evaluated here.
pub fn band_centres_hz(bands: usize) -> Vec<f64> {
    let edges = band_edges_hz(bands);
    (0..bands)
        .map(|i| match (edges.get(i + 1), i.checked_sub(1)) {
            (Some(&upper), _) => (edges[i] * upper).sqrt(),
            (None, Some(prev)) => edges[i] * (edges[i] / edges[prev]).sqrt(),
            (None, None) => edges[i],
        })
        .collect()
}

/// The weighting's gain at `frequency_hz`, in dB, normalised so that the curve's maximum over
/// all frequencies is exactly 0 dB.
///
/// Normalising to the continuous maximum (rather than to the largest value among the band
/// centres, as the original did) makes the weighting a property of frequency alone: it does
/// not shift when the number of bands changes. At 64 bands the two agree to within 0.01 dB.
/// A peaks near 2.5 kHz, where the IEC curve reads +1.27 dB, so here A(1 kHz) ≈ −1.27 dB;
/// C peaks at `sqrt(20.6·12194) ≈ 501 Hz`.
pub fn weighting_db(weighting: Weighting, frequency_hz: f64) -> f64 {
    match weighting {
        Weighting::Z => 0.0,
        Weighting::A | Weighting::C => {
            let peak = peak_frequency_hz(weighting);
            AMPLITUDE_DB_PER_NEPER
                * (response(weighting, frequency_hz) / response(weighting, peak)).ln()
        }
    }
}

/// The unnormalised IEC 61672 pole/zero response (linear amplitude ratio) at `f` Hz.
///
/// C-weighting has `f²` in its numerator; the original wrote `f⁴` (copied from A), which
/// turned C into a steep high-pass. That defect is not reproduced.
fn response(weighting: Weighting, f: f64) -> f64 {
    const P1: f64 = 20.6 * 20.6;
    const P2: f64 = 107.7 * 107.7;
    const P3: f64 = 737.9 * 737.9;
    const P4: f64 = 12_194.0 * 12_194.0;
    let f2 = f * f;
    match weighting {
        Weighting::A => P4 * f2 * f2 / ((f2 + P1) * ((f2 + P2) * (f2 + P3)).sqrt() * (f2 + P4)),
        Weighting::C => P4 * f2 / ((f2 + P1) * (f2 + P4)),
        Weighting::Z => 1.0,
    }
}

/// Where the response peaks, found by golden-section search on `ln f`.
///
/// `ln response` is a sum of `k·ln f` and `−ln(f² + p²)` terms, each concave in `ln f`, so it
/// has a single maximum and the search cannot be fooled by a local one.
fn peak_frequency_hz(weighting: Weighting) -> f64 {
    const INV_PHI: f64 = 0.618_033_988_749_894_9;
    let score = |u: f64| response(weighting, u.exp()).ln();
    let (mut lo, mut hi) = (10f64.ln(), 100_000f64.ln());
    let mut a = hi - INV_PHI * (hi - lo);
    let mut b = lo + INV_PHI * (hi - lo);
    let (mut fa, mut fb) = (score(a), score(b));
    // 0.618^120 · ln(10⁴) ≈ 1e-25: far past f64 resolution; the loop is a few µs once per call.
    for _ in 0..120 {
        if fa < fb {
            lo = a;
            a = b;
            fa = fb;
            b = lo + INV_PHI * (hi - lo);
            fb = score(b);
        } else {
            hi = b;
            b = a;
            fb = fa;
            a = hi - INV_PHI * (hi - lo);
            fa = score(a);
        }
    }
    (0.5 * (lo + hi)).exp()
}

/// Bands of one analysis: edges, centres, the contiguous bin range each band averages, and
/// the weighting gain of each band.
#[derive(Clone, Debug)]
pub(crate) struct BandLayout {
    /// Lower band edges in Hz: band `i` spans `[f_i, f_{i+1})`, the last one up to Nyquist.
    pub lower_edges_hz: Vec<f64>,
    /// Geometric band centres in Hz ([`band_centres_hz`]).
    pub centres_hz: Vec<f64>,
    /// FFT bin range of each band (possibly empty, e.g. above Nyquist).
    pub bins: Vec<Range<usize>>,
    /// Weighting at each band centre, dB.
    pub weights_db: Vec<f64>,
    /// Nyquist frequency, the last band's upper edge (Hz).
    pub nyquist_hz: f64,
}

impl BandLayout {
    /// Layout for `settings` at `sample_rate`. Bins are `k·sr/N` for `k = 0..=N/2`
    /// (`numpy.fft.rfftfreq`); band `i` takes bins with `f_i <= f < f_{i+1}` and the last band
    /// takes every bin `>= f_last` up to Nyquist. Bins below 20 Hz belong to no band.
    pub fn new(settings: &SpectrumSettings, sample_rate: u32) -> Self {
        let lower_edges_hz = band_edges_hz(settings.bands);
        let centres_hz = band_centres_hz(settings.bands);
        let spectrum_len = settings.fft_size / 2 + 1;
        let bin_hz = f64::from(sample_rate) / settings.fft_size as f64;
        let first_bin_at_or_above = |edge: f64| -> usize {
            // Start from the arithmetic guess, then settle it against the exact bin frequencies
            // the band test uses, so rounding in the division cannot misplace an edge bin.
            let mut k = ((edge / bin_hz).ceil().max(0.0) as usize).min(spectrum_len);
            while k > 0 && (k - 1) as f64 * bin_hz >= edge {
                k -= 1;
            }
            while k < spectrum_len && (k as f64 * bin_hz) < edge {
                k += 1;
            }
            k
        };
        let starts: Vec<usize> = lower_edges_hz
            .iter()
            .map(|&f| first_bin_at_or_above(f))
            .collect();
        let bins = starts
            .iter()
            .enumerate()
            .map(|(i, &start)| start..starts.get(i + 1).copied().unwrap_or(spectrum_len))
            .collect();
        let weights_db = centres_hz
            .iter()
            .map(|&f| weighting_db(settings.weighting, f))
            .collect();
        Self {
            lower_edges_hz,
            centres_hz,
            bins,
            weights_db,
            nyquist_hz: f64::from(sample_rate) / 2.0,
        }
    }

    /// Number of bands.
    pub fn len(&self) -> usize {
        self.centres_hz.len()
    }

    /// Converts band mean magnitudes to weighted levels:
    /// `20·log10(max(mean, 1e-10)) + weight` dB. Shared by every implementation.
    pub fn weighted_levels_db<T: Copy + Into<f64>>(&self, band_means: &[T], levels_db: &mut [f64]) {
        for ((level, &mean), &weight) in levels_db.iter_mut().zip(band_means).zip(&self.weights_db)
        {
            let mean = mean.into();
            // Not `f64::max`, which would turn a NaN (an overflowed FFT) into the floor and
            // hide it; NaN must reach `Summary::finish`, which reports it.
            let floored = if mean < MAGNITUDE_FLOOR {
                MAGNITUDE_FLOOR
            } else {
                mean
            };
            *level = AMPLITUDE_DB_PER_NEPER * floored.ln() + weight;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn centres_are_geometric_between_the_edges() {
        let e = band_edges_hz(64);
        let c = band_centres_hz(64);
        let ratio = 1000f64.powf(1.0 / 63.0);
        for i in 0..63 {
            assert!(close(c[i], (e[i] * e[i + 1]).sqrt(), 1e-9));
            assert!(e[i] < c[i] && c[i] < e[i + 1]);
        }
        assert!(close(c[63], 20_000.0 * ratio.sqrt(), 1e-6), "{}", c[63]);
        // The band that holds 1 kHz is centred within half a band of it (the original
        // reported its lower edge, 928 Hz).
        let band = e.iter().rposition(|&f| f <= 1000.0).unwrap();
        assert!((c[band] / 1000.0).log(ratio).abs() <= 0.5, "{}", c[band]);
    }

    #[test]
    fn edges_are_logspace_20_to_20k() {
        let c = band_edges_hz(64);
        assert_eq!(c.len(), 64);
        assert!(close(c[0], 20.0, 1e-12));
        assert!(close(c[63], 20_000.0, 1e-9));
        // Constant ratio 1000^(1/63) ≈ 1.1158 between neighbours.
        let ratio = 1000f64.powf(1.0 / 63.0);
        for w in c.windows(2) {
            assert!(close(w[1] / w[0], ratio, 1e-12), "{w:?}");
        }
        let two = band_edges_hz(2);
        assert!(close(two[0], 20.0, 1e-12) && close(two[1], 20_000.0, 1e-9));
    }

    #[test]
    fn a_weighting_matches_standard_values() {
        // IEC 61672: A(100 Hz) = −19.1 dB relative to A(1 kHz) = 0 dB; A(10 kHz) = −2.5 dB.
        let a = |f| weighting_db(Weighting::A, f);
        assert!(
            close(a(100.0) - a(1000.0), -19.1, 0.05),
            "{}",
            a(100.0) - a(1000.0)
        );
        assert!(close(a(10_000.0) - a(1000.0), -2.5, 0.05));
        // Normalised to the peak: 1 kHz sits 1.27 dB below the ≈ 2.5 kHz maximum.
        assert!(close(a(1000.0), -1.27, 0.01), "{}", a(1000.0));
        let peak = peak_frequency_hz(Weighting::A);
        assert!((2400.0..2600.0).contains(&peak), "{peak}");
        assert!(close(a(peak), 0.0, 1e-12));
    }

    #[test]
    fn normalised_maximum_is_zero_db() {
        for w in Weighting::ALL {
            let max = (0..=4000)
                .map(|i| weighting_db(w, 10f64.powf(1.0 + 4.0 * i as f64 / 4000.0)))
                .fold(f64::NEG_INFINITY, f64::max);
            assert!(max <= 1e-12 && max > -1e-4, "{w:?}: {max}");
        }
    }

    #[test]
    fn c_weighting_uses_f_squared() {
        let c = |f| weighting_db(Weighting::C, f);
        // Peak at sqrt(20.6·12194) Hz, where the curve is 0 dB by construction. (The search
        // resolves a flat maximum to ~sqrt(ε) relative; the dB value there is exact to ε.)
        let peak = (20.6f64 * 12_194.0).sqrt();
        assert!(close(peak_frequency_hz(Weighting::C), peak, 1e-4 * peak));
        assert!(close(c(peak), 0.0, 1e-12));
        // IEC 61672 C-weighting, relative to 1 kHz: −3.0 dB at 31.5 Hz (f⁴ would give ≈ −31 dB),
        // −0.3 dB at 100 Hz, −4.4 dB at 10 kHz... within the table's rounding.
        assert!(
            close(c(31.5) - c(1000.0), -3.0, 0.1),
            "{}",
            c(31.5) - c(1000.0)
        );
        assert!(close(c(100.0) - c(1000.0), -0.3, 0.05));
        assert!(close(c(10_000.0) - c(1000.0), -4.4, 0.05));
        // Far below the 20.6 Hz pole the amplitude goes as f²: +12 dB/octave (f⁴: +24).
        let slope = c(2.0) - c(1.0);
        assert!(close(slope, 12.0, 0.1), "{slope}");
    }

    #[test]
    fn z_weighting_is_flat() {
        for f in [20.0, 1000.0, 20_000.0] {
            assert_eq!(weighting_db(Weighting::Z, f), 0.0);
        }
    }

    fn layout(fft_size: usize, sample_rate: u32) -> BandLayout {
        let settings = SpectrumSettings {
            fft_size,
            ..SpectrumSettings::default()
        };
        BandLayout::new(&settings, sample_rate)
    }

    #[test]
    fn bins_partition_the_range_from_20_hz_to_nyquist() {
        for (fft, sr) in [(4096, 44_100), (4096, 8_000), (4096, 192_000), (64, 44_100)] {
            let l = layout(fft, sr);
            let bin_hz = sr as f64 / fft as f64;
            assert_eq!(l.bins.len(), 64);
            let mut next = (20.0 / bin_hz).ceil() as usize;
            for (i, r) in l.bins.iter().enumerate() {
                assert_eq!(r.start, next, "band {i} at fft {fft}, sr {sr}");
                assert!(r.start <= r.end);
                for k in r.clone() {
                    let f = k as f64 * bin_hz;
                    assert!(f >= l.lower_edges_hz[i]);
                    if i + 1 < l.len() {
                        assert!(f < l.lower_edges_hz[i + 1]);
                    }
                }
                next = r.end;
            }
            assert_eq!(next, fft / 2 + 1, "last band ends at Nyquist");
        }
    }

    #[test]
    fn bands_above_nyquist_are_empty() {
        // At 8 kHz a 4096-point bin is 1.95 Hz wide, narrower than the narrowest band (2.3 Hz),
        // so exactly the bands starting above Nyquist are empty.
        let l = layout(4096, 8_000);
        for (r, &f) in l.bins.iter().zip(&l.lower_edges_hz) {
            assert_eq!(r.is_empty(), f > 4000.0, "band at {f} Hz: {r:?}");
        }
    }

    #[test]
    fn weighted_levels_floor_empty_bands() {
        let settings = SpectrumSettings {
            weighting: Weighting::Z,
            ..SpectrumSettings::default()
        };
        let l = BandLayout::new(&settings, 44_100);
        let mut means = vec![0.0f32; 64];
        means[1] = 1.0;
        means[2] = 10.0;
        let mut out = vec![0.0; 64];
        l.weighted_levels_db(&means, &mut out);
        assert!(close(out[0], -200.0, 1e-9));
        assert!(close(out[1], 0.0, 1e-12));
        assert!(close(out[2], 20.0, 1e-12));
    }
}
