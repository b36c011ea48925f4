//! SIMD kernels (pulp, run-time dispatch to AVX2/AVX-512/SSE/NEON or scalar) for the
//! element-wise parts of STFT filtering: windowing, gain on the spectrum, overlap-add, and
//! the (de)interleaving that packs two real frames into one complex FFT.
//!
//! Every kernel does exactly the scalar arithmetic of the reference — one rounded multiply,
//! then one rounded add, never a fused multiply-add — so its results are bit-identical to a
//! plain loop whatever the vector width or the split between vector body and scalar tail.
//! That is what lets the streaming processor reproduce the reference bit for bit, and the
//! parallel variant reproduce the vectorized one.

use pulp::{Arch, Simd, WithSimd};

/// `dst[i] = a[i] · b[i]`.
pub(crate) fn multiply_into(arch: Arch, dst: &mut [f32], a: &[f32], b: &[f32]) {
    debug_assert!(dst.len() == a.len() && a.len() == b.len());
    arch.dispatch(MultiplyInto { dst, a, b });
}

/// `dst[i] ·= factor[i]`.
pub(crate) fn multiply_in_place(arch: Arch, dst: &mut [f32], factor: &[f32]) {
    debug_assert_eq!(dst.len(), factor.len());
    arch.dispatch(MultiplyInPlace { dst, factor });
}

/// `acc[i] += a[i] · b[i]` (product rounded, then the sum: not fused).
pub(crate) fn add_product(arch: Arch, acc: &mut [f32], a: &[f32], b: &[f32]) {
    debug_assert!(acc.len() == a.len() && a.len() == b.len());
    arch.dispatch(AddProduct { acc, a, b });
}

/// `acc[i] += x[i]`.
pub(crate) fn add_in_place(arch: Arch, acc: &mut [f32], x: &[f32]) {
    debug_assert_eq!(acc.len(), x.len());
    arch.dispatch(AddInPlace { acc, x });
}

/// Packs two windowed real frames as one complex frame:
/// `dst[2i] = first[i] · window[i]`, `dst[2i + 1] = second[i] · window[i]`.
pub(crate) fn window_pair_interleaved(
    arch: Arch,
    first: &[f32],
    second: &[f32],
    window: &[f32],
    dst: &mut [f32],
) {
    debug_assert!(first.len() == window.len() && second.len() == window.len());
    debug_assert_eq!(dst.len(), 2 * window.len());
    arch.dispatch(WindowPairInterleaved {
        first,
        second,
        window,
        dst,
    });
}

/// Unpacks a complex frame into two windowed real frames:
/// `first[i] = src[2i] · window[i]`, `second[i] = src[2i + 1] · window[i]`.
pub(crate) fn split_windowed(
    arch: Arch,
    src: &[f32],
    window: &[f32],
    first: &mut [f32],
    second: &mut [f32],
) {
    debug_assert!(first.len() == window.len() && second.len() == window.len());
    debug_assert_eq!(src.len(), 2 * window.len());
    arch.dispatch(SplitWindowed {
        src,
        window,
        first,
        second,
    });
}

/// Overlap-adds a packed pair of filtered frames `t` (real parts) and `t + 1` (imaginary
/// parts, one hop later) into `out`, the pair's whole output span of `N + H` samples, with
/// the synthesis window applied on the way. Per output sample it does exactly what
/// [`split_windowed`] followed by the two frames' overlap-adds does (same products, same
/// order of additions; each frame's last hop stored, not added, as the first contribution
/// there), in one pass and without the intermediate frames. Requires `H ≤ N/2`.
pub(crate) fn overlap_add_pair(
    arch: Arch,
    out: &mut [f32],
    packed: &[f32],
    window: &[f32],
    hop: usize,
) {
    debug_assert_eq!(packed.len(), 2 * window.len());
    debug_assert_eq!(out.len(), window.len() + hop);
    debug_assert!(2 * hop <= window.len());
    arch.dispatch(OverlapAddPair {
        out,
        packed,
        window,
        hop,
    });
}

struct MultiplyInto<'a> {
    dst: &'a mut [f32],
    a: &'a [f32],
    b: &'a [f32],
}

impl WithSimd for MultiplyInto<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        let (dst, dst_tail) = S::as_mut_simd_f32s(self.dst);
        let (a, a_tail) = S::as_simd_f32s(self.a);
        let (b, b_tail) = S::as_simd_f32s(self.b);
        for ((d, &a), &b) in dst.iter_mut().zip(a).zip(b) {
            *d = simd.mul_f32s(a, b);
        }
        for ((d, &a), &b) in dst_tail.iter_mut().zip(a_tail).zip(b_tail) {
            *d = a * b;
        }
    }
}

struct MultiplyInPlace<'a> {
    dst: &'a mut [f32],
    factor: &'a [f32],
}

impl WithSimd for MultiplyInPlace<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        let (dst, dst_tail) = S::as_mut_simd_f32s(self.dst);
        let (factor, factor_tail) = S::as_simd_f32s(self.factor);
        for (d, &f) in dst.iter_mut().zip(factor) {
            *d = simd.mul_f32s(*d, f);
        }
        for (d, &f) in dst_tail.iter_mut().zip(factor_tail) {
            *d *= f;
        }
    }
}

struct AddProduct<'a> {
    acc: &'a mut [f32],
    a: &'a [f32],
    b: &'a [f32],
}

impl WithSimd for AddProduct<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        let (acc, acc_tail) = S::as_mut_simd_f32s(self.acc);
        let (a, a_tail) = S::as_simd_f32s(self.a);
        let (b, b_tail) = S::as_simd_f32s(self.b);
        for ((s, &a), &b) in acc.iter_mut().zip(a).zip(b) {
            *s = simd.add_f32s(*s, simd.mul_f32s(a, b));
        }
        for ((s, &a), &b) in acc_tail.iter_mut().zip(a_tail).zip(b_tail) {
            *s += a * b;
        }
    }
}

struct AddInPlace<'a> {
    acc: &'a mut [f32],
    x: &'a [f32],
}

impl WithSimd for AddInPlace<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        let (acc, acc_tail) = S::as_mut_simd_f32s(self.acc);
        let (x, x_tail) = S::as_simd_f32s(self.x);
        for (s, &x) in acc.iter_mut().zip(x) {
            *s = simd.add_f32s(*s, x);
        }
        for (s, &x) in acc_tail.iter_mut().zip(x_tail) {
            *s += x;
        }
    }
}

struct WindowPairInterleaved<'a> {
    first: &'a [f32],
    second: &'a [f32],
    window: &'a [f32],
    dst: &'a mut [f32],
}

/// Written as a plain loop on purpose: pulp's register (de)interleave returns lanes in a
/// permuted order (`a0 a4 a1 a5 …` on AVX2), which would need the windows permuted to match.
/// Inside `with_simd` the loop is compiled with the dispatched instruction set enabled, and
/// LLVM turns it into vector multiplies plus unpack/permute shuffles on its own.
impl WithSimd for WindowPairInterleaved<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, _simd: S) {
        for (((d, &w), &a), &b) in self
            .dst
            .chunks_exact_mut(2)
            .zip(self.window)
            .zip(self.first)
            .zip(self.second)
        {
            d[0] = a * w;
            d[1] = b * w;
        }
    }
}

struct SplitWindowed<'a> {
    src: &'a [f32],
    window: &'a [f32],
    first: &'a mut [f32],
    second: &'a mut [f32],
}

/// A plain loop compiled for the dispatched instruction set, as for
/// [`WindowPairInterleaved`].
impl WithSimd for SplitWindowed<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, _simd: S) {
        for (((s, &w), a), b) in self
            .src
            .chunks_exact(2)
            .zip(self.window)
            .zip(self.first.iter_mut())
            .zip(self.second.iter_mut())
        {
            *a = s[0] * w;
            *b = s[1] * w;
        }
    }
}

struct OverlapAddPair<'a> {
    out: &'a mut [f32],
    packed: &'a [f32],
    window: &'a [f32],
    hop: usize,
}

/// Plain loops compiled for the dispatched instruction set (see
/// [`WindowPairInterleaved`]), one per region of the pair's span `m ∈ [0, N + H)`:
/// first frame only, both frames, first frame's last hop (stored) plus the second frame,
/// second frame's last hop (stored).
impl WithSimd for OverlapAddPair<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, _simd: S) {
        let (n, h) = (self.window.len(), self.hop);
        let (w, p) = (self.window, self.packed);
        let (only_first, rest) = self.out.split_at_mut(h);
        let (both, rest) = rest.split_at_mut(n - 2 * h);
        let (stored_first, only_second) = rest.split_at_mut(h);

        // m ∈ [0, H): out += re[m]·w[m].
        for ((o, re), &wf) in only_first.iter_mut().zip(p.chunks_exact(2)).zip(w) {
            *o += re[0] * wf;
        }
        // m ∈ [H, N − H): out = (out + re[m]·w[m]) + im[m − H]·w[m − H].
        let first = p[2 * h..].chunks_exact(2).zip(&w[h..]);
        let second = p.chunks_exact(2).zip(w);
        for ((o, (re, &wf)), (im, &ws)) in both.iter_mut().zip(first).zip(second) {
            *o = (*o + re[0] * wf) + im[1] * ws;
        }
        // m ∈ [N − H, N): out = re[m]·w[m] + im[m − H]·w[m − H].
        let first = p[2 * (n - h)..].chunks_exact(2).zip(&w[n - h..]);
        let second = p[2 * (n - 2 * h)..].chunks_exact(2).zip(&w[n - 2 * h..]);
        for ((o, (re, &wf)), (im, &ws)) in stored_first.iter_mut().zip(first).zip(second) {
            *o = re[0] * wf + im[1] * ws;
        }
        // m ∈ [N, N + H): out = im[m − H]·w[m − H].
        let second = p[2 * (n - h)..].chunks_exact(2).zip(&w[n - h..]);
        for (o, (im, &ws)) in only_second.iter_mut().zip(second) {
            *o = im[1] * ws;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic values with varied exponents, so rounding differences would show.
    fn values(len: usize, seed: u32) -> Vec<f32> {
        (0..len)
            .map(|i| {
                let x = (i as u32).wrapping_mul(2_654_435_761).wrapping_add(seed) >> 8;
                (x as f32 / (1u32 << 24) as f32 - 0.5) * (1.0 + (i % 7) as f32 * 3.3)
            })
            .collect()
    }

    /// Lengths that exercise empty, tail-only, body-only and mixed splits for any lane count.
    const LENGTHS: [usize; 7] = [0, 1, 3, 8, 16, 37, 4096];

    #[test]
    fn elementwise_kernels_match_scalar_bit_for_bit() {
        let arch = Arch::new();
        for len in LENGTHS {
            let (a, b, c) = (values(len, 1), values(len, 2), values(len, 3));

            let mut dst = vec![0.0; len];
            multiply_into(arch, &mut dst, &a, &b);
            let expected: Vec<f32> = a.iter().zip(&b).map(|(x, y)| x * y).collect();
            assert_eq!(dst, expected);

            let mut dst = c.clone();
            multiply_in_place(arch, &mut dst, &a);
            let expected: Vec<f32> = c.iter().zip(&a).map(|(x, y)| x * y).collect();
            assert_eq!(dst, expected);

            let mut acc = c.clone();
            add_product(arch, &mut acc, &a, &b);
            let expected: Vec<f32> = (0..len).map(|i| c[i] + a[i] * b[i]).collect();
            assert_eq!(acc, expected);

            let mut acc = c.clone();
            add_in_place(arch, &mut acc, &a);
            let expected: Vec<f32> = (0..len).map(|i| c[i] + a[i]).collect();
            assert_eq!(acc, expected);
        }
    }

    #[test]
    fn interleave_and_split_match_scalar_and_invert_each_other() {
        let arch = Arch::new();
        for len in LENGTHS {
            let (a, b, w) = (values(len, 4), values(len, 5), values(len, 6));
            let mut packed = vec![0.0; 2 * len];
            window_pair_interleaved(arch, &a, &b, &w, &mut packed);
            for i in 0..len {
                assert_eq!(packed[2 * i], a[i] * w[i], "len {len} i {i}");
                assert_eq!(packed[2 * i + 1], b[i] * w[i], "len {len} i {i}");
            }
            let ones = vec![1.0; len];
            let (mut first, mut second) = (vec![0.0; len], vec![0.0; len]);
            split_windowed(arch, &packed, &ones, &mut first, &mut second);
            for i in 0..len {
                assert_eq!(first[i], packed[2 * i]);
                assert_eq!(second[i], packed[2 * i + 1]);
            }
            split_windowed(arch, &packed, &w, &mut first, &mut second);
            for i in 0..len {
                assert_eq!(first[i], packed[2 * i] * w[i]);
                assert_eq!(second[i], packed[2 * i + 1] * w[i]);
            }
        }
    }
}
