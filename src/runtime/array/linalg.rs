//! `dot` / `@` of `f64` and `f32` arrays through a GEMM library (the `gemm` crate, one
//! thread: packed, cache-blocked kernels, AVX-512 or AVX2/FMA picked at run time), for
//! every layout — the kernels take a row and a column stride per operand (any sign; a
//! negative one is flipped or read as is), so C, Fortran, transposed, stepped and reversed
//! views are read in place, without a copy.
//!
//! The 1-D forms are the 2-D product of a row or column vector: `v @ w` is `(1, k) @ (k, 1)`,
//! `m @ v` is `(m, k) @ (k, 1)`, `v @ m` is `(1, k) @ (k, n)`. Integer dots stay nk loops
//! in the prelude (`__dot11`, ...).
//!
//! Invariant: the one `unsafe` block outside `storage.rs` is the GEMM call below; its
//! argument is that every pointer and stride describes elements of a live array
//! (`Array`'s layout invariant in `mod.rs`) and that the result is a fresh buffer no one
//! else can see.

use super::Array;
use crate::runtime::error::RtError;
use crate::runtime::ops::Scalar;
use crate::vocab::Prim;

/// One operand of a product seen as a matrix: rows, columns, row stride and column stride
/// (in elements).
#[derive(Clone, Copy)]
struct Mat {
    rows: usize,
    cols: usize,
    rs: isize,
    cs: isize,
}

impl Array {
    /// `self @ other` for two `f64` (or two `f32`) arrays of 1 or 2 dimensions, as NumPy's
    /// `dot`: a scalar for two vectors, else an array (`(m,k)@(k,n)` → `(m,n)`, `(m,k)@(k,)`
    /// → `(m,)`, `(k,)@(k,n)` → `(n,)`). Mismatched lengths are the prelude's errors.
    pub fn dot(&self, other: &Array) -> Result<Result<Array, Scalar>, RtError> {
        let p = self.elem;
        if !p.is_float() || other.elem != p || self.ndim > 2 || other.ndim > 2 {
            return Err(RtError::new(format!(
                "internal: dot of {}-D {} and {}-D {}",
                self.ndim,
                p.name(),
                other.ndim,
                other.elem.name()
            )));
        }
        // A vector on the left is a row (1, k); on the right a column (k, 1).
        let a = if self.ndim == 1 {
            Mat { rows: 1, cols: self.shape[0], rs: 0, cs: self.strides[0] }
        } else {
            Mat { rows: self.shape[0], cols: self.shape[1], rs: self.strides[0], cs: self.strides[1] }
        };
        let b = if other.ndim == 1 {
            Mat { rows: other.shape[0], cols: 1, rs: other.strides[0], cs: 0 }
        } else {
            Mat { rows: other.shape[0], cols: other.shape[1], rs: other.strides[0], cs: other.strides[1] }
        };
        if a.cols != b.rows {
            return Err(RtError::new(match (self.ndim, other.ndim) {
                (1, 1) => "shape mismatch: dot of 1-D arrays of different lengths",
                (2, 1) => "shape mismatch: matrix columns differ from vector length in dot",
                (1, 2) => "shape mismatch: vector length differs from matrix rows in dot",
                _ => "shape mismatch: inner dimensions differ in matrix product",
            }));
        }
        let (m, k, n) = (a.rows, a.cols, b.cols);
        let shape: Vec<i64> = match (self.ndim, other.ndim) {
            (1, 1) => vec![1],
            (2, 1) => vec![m as i64],
            (1, 2) => vec![n as i64],
            _ => vec![m as i64, n as i64],
        };
        // Zeros: the answer when k == 0 (and the buffer the product is written into).
        let out = Array::zeros(p, &shape)?;
        if m > 0 && n > 0 && k > 0 {
            gemm(p, self, a, other, b, &out);
        }
        if self.ndim == 1 && other.ndim == 1 {
            let bits = out.iter_bits().next().unwrap_or(0);
            return Ok(Err(Scalar::from_bits(p, bits)));
        }
        Ok(Ok(out))
    }
}

/// `out = A @ B` (`out` a fresh, contiguous `m x n` array of `p` zeros).
#[allow(unsafe_code)]
fn gemm(p: Prim, x: &Array, a: Mat, y: &Array, b: Mat, out: &Array) {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    let c = out.data.as_ptr();
    // SAFETY: `x.ptr` is the address of `x`'s element (0, 0), and by `Array`'s layout
    // invariant every `ptr + i*rs + j*cs` with `i < rows`, `j < cols` (in elements, any
    // sign) lies in `x`'s live storage of `p` elements, aligned to their size (owned
    // buffers are `Vec`s of cells of that width; lent ones are aligned by `Storage::lend`'s
    // contract); a vector's unused stride (0) is multiplied only by index 0. The same holds
    // for `y`. `x`, `y` and `out` are borrowed for the whole call, so their storage lives.
    // `out` is a fresh C-contiguous `m x n` buffer of `p` (row stride `n`, column stride
    // 1) that no other array or reference shares, so writing it through `c` (cells are
    // `Cell`s, which allow writes through a shared pointer) cannot be observed elsewhere,
    // and it overlaps neither input. The inputs are only read. `m`, `k`, `n` are positive.
    // The `gemm` crate takes raw pointers and strides of any sign and reads or writes only
    // the elements with in-range indices (a negative stride is flipped to a pointer at
    // the other end of the same range) — checked against a naive product for every sign,
    // step, zero unused stride and sizes 1-257, with NaN in the unused slots.
    // `::gemm::gemm` computes `dst = alpha * dst + beta * lhs @ rhs` and takes each
    // operand's column stride before its row stride; with `read_dst == false` the old
    // contents of `dst` (and `alpha`) are ignored.
    unsafe {
        if p == Prim::F32 {
            ::gemm::gemm(
                m,
                n,
                k,
                c.cast::<f32>().cast_mut(),
                1,
                n as isize,
                false,
                x.ptr.cast::<f32>(),
                a.cs,
                a.rs,
                y.ptr.cast::<f32>(),
                b.cs,
                b.rs,
                0.0,
                1.0,
                false,
                false,
                false,
                ::gemm::Parallelism::None,
            )
        } else {
            ::gemm::gemm(
                m,
                n,
                k,
                c.cast::<f64>().cast_mut(),
                1,
                n as isize,
                false,
                x.ptr.cast::<f64>(),
                a.cs,
                a.rs,
                y.ptr.cast::<f64>(),
                b.cs,
                b.rs,
                0.0,
                1.0,
                false,
                false,
                false,
                ::gemm::Parallelism::None,
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::array::test_util::*;
    use crate::runtime::array::Index;

    /// The textbook triple loop over logical indices, in f64.
    fn naive(a: &Array, b: &Array) -> Vec<f64> {
        let (m, k) = (a.shape()[0], a.shape()[1]);
        let n = b.shape()[1];
        let av: Vec<f64> = a.iter_scalars().map(|s| s.as_f64()).collect();
        let bv: Vec<f64> = b.iter_scalars().map(|s| s.as_f64()).collect();
        let mut c = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                for p in 0..k {
                    c[i * n + j] += av[i * k + p] * bv[p * n + j];
                }
            }
        }
        c
    }

    fn vals(a: &Array) -> Vec<f64> {
        a.iter_scalars().map(|s| s.as_f64()).collect()
    }

    /// Small integers (exact in any summation order) in an `m x n` array.
    fn ints(m: usize, n: usize, seed: usize) -> Array {
        let bits = (0..m * n)
            .map(|i| (((i * 7 + seed * 3) % 11) as f64 - 5.0).to_bits())
            .collect();
        Array::from_vec(Prim::F64, &[m, n], bits)
    }

    #[test]
    fn every_layout_matches_the_triple_loop() {
        for &(m, k, n) in &[(1, 1, 1), (7, 3, 5), (65, 66, 67), (2, 130, 3)] {
            let a = ints(m, k, 1);
            let b = ints(k, n, 2);
            let want = naive(&a, &b);
            // Transposes of transposed copies: the same values, Fortran order.
            let af = a.transpose().copy().transpose();
            let bf = b.transpose().copy().transpose();
            for (x, y) in [(&a, &b), (&af, &b), (&a, &bf), (&af, &bf)] {
                let c = x.dot(y).unwrap().unwrap();
                assert_eq!(c.shape(), &[m, n]);
                assert_eq!(vals(&c), want);
            }
            // Stepped and reversed views.
            let big = ints(2 * m, 2 * k, 3);
            let s = big
                .slice(&[Index::Stepped(None, None, 2), Index::Stepped(None, None, 2)])
                .unwrap();
            assert_eq!(vals(&s.dot(&b).unwrap().unwrap()), naive(&s, &b));
            let r = big
                .slice(&[Index::Stepped(None, None, -2), Index::Stepped(None, None, -2)])
                .unwrap();
            assert_eq!(vals(&r.dot(&b).unwrap().unwrap()), naive(&r, &b));
            let bt = b.transpose();
            assert_eq!(vals(&bt.dot(&r.transpose()).unwrap().unwrap()), naive(&bt, &r.transpose()));
        }
        for p in [Prim::F64, Prim::F32] {
            let a = ints(4, 3, 5).astype(p);
            let v = ints(3, 1, 6).astype(p).ravel();
            let w = ints(4, 1, 7).astype(p).ravel();
            let mv = a.dot(&v).unwrap().unwrap();
            assert_eq!(mv.shape(), &[4]);
            assert_eq!(mv.elem(), p);
            assert_eq!(vals(&mv), naive(&a, &v.reshape(&[3, 1]).unwrap()));
            let vm = w.dot(&a).unwrap().unwrap();
            assert_eq!(vals(&vm), naive(&w.reshape(&[1, 4]).unwrap(), &a));
            let vv = v.dot(&v).unwrap().unwrap_err();
            assert_eq!(vv.as_f64(), vals(&v).iter().map(|x| x * x).sum::<f64>());
        }
    }

    #[test]
    fn empty_and_mismatched() {
        let e = Array::zeros(Prim::F64, &[3, 0]).unwrap();
        let g = Array::zeros(Prim::F64, &[0, 2]).unwrap();
        assert_eq!(e.dot(&g).unwrap().unwrap().format(), "[[0.0, 0.0], [0.0, 0.0], [0.0, 0.0]]");
        assert_eq!(g.dot(&ints(2, 4, 0)).unwrap().unwrap().shape(), &[0, 4]);
        let z = Array::zeros(Prim::F64, &[0]).unwrap();
        assert_eq!(z.dot(&z).unwrap().unwrap_err(), Scalar::F64(0.0));
        assert_eq!(
            err(ints(2, 3, 0).dot(&ints(2, 3, 0))),
            "shape mismatch: inner dimensions differ in matrix product"
        );
        assert_eq!(
            err(f(&[1.0]).dot(&f(&[1.0, 2.0]))),
            "shape mismatch: dot of 1-D arrays of different lengths"
        );
    }
}
