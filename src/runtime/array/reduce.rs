//! Whole-array reductions (`sum`, `prod`, `min`/`max`, `argmin`/`argmax`, `any`/`all`) and
//! the other computations over all elements: `cumsum` and `sort` along the last axis.
//!
//! Invariant: NumPy's results on the edge cases: integer sums wrap, a NaN wins `min`/`max`
//! and the arg forms, sorting puts NaN last, and only a reduction without identity
//! (`min`, `max`, `argmin`, `argmax`) errors on an empty array.

use super::kernels::{fv, iv};
use super::Array;
use crate::runtime::error::RtError;
use crate::runtime::ops::{convert_bits, narrow_float, Scalar};
use crate::vocab::Prim;

/// NaN-last total order for sorting floats (NumPy puts NaN at the end).
fn cmp_f64_nan_last(a: f64, b: f64) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
    }
}

impl Array {
    /// A sorted copy, sorting along the last axis (NaN last, as NumPy).
    pub fn sort(&self) -> Array {
        let mut bits = self.to_vec_bits();
        let n = self.shape[self.ndim - 1];
        if n > 0 {
            for row in bits.chunks_mut(n) {
                if self.elem.is_float() {
                    row.sort_by(|&x, &y| cmp_f64_nan_last(fv(x), fv(y)))
                } else {
                    row.sort_by_key(|&x| iv(x))
                }
            }
        }
        Array::with_shape_of(self, self.elem, bits)
    }

    /// Running sums over the flattened array (1-D result). Integers (and `bool`) sum as
    /// `i64`, wrapping; `f32` sums in `f32` (each partial sum rounded), as NumPy.
    pub fn cumsum(&self) -> Array {
        let n = self.size();
        match self.elem {
            p if p.is_float() => {
                let mut acc = 0.0f64;
                let bits = self
                    .iter_bits()
                    .map(|x| {
                        acc = f64::from_bits(narrow_float(p, acc + fv(x)));
                        acc.to_bits()
                    })
                    .collect();
                Array::from_vec(p, &[n], bits)
            }
            _ => {
                let mut acc = 0i64;
                let bits = self
                    .iter_bits()
                    .map(|x| {
                        acc = acc.wrapping_add(iv(x));
                        acc as u64
                    })
                    .collect();
                Array::from_vec(Prim::I64, &[n], bits)
            }
        }
    }

    // ----- reductions over all elements ---------------------------------------------------

    /// Sum of all elements (integers and `bool` as `i64`, wrapping; `f32` in `f32`; empty
    /// gives 0).
    pub fn sum(&self) -> Scalar {
        match self.elem {
            Prim::F64 => Scalar::F64(self.iter_bits().map(fv).sum()),
            Prim::F32 => Scalar::F32(
                self.iter_bits()
                    .fold(0.0f32, |a, x| a + fv(x) as f32),
            ),
            _ => Scalar::I64(self.iter_bits().fold(0i64, |a, x| a.wrapping_add(iv(x)))),
        }
    }

    /// Product of all elements (integers as `i64`, wrapping; empty gives 1).
    pub fn prod(&self) -> Scalar {
        match self.elem {
            Prim::F64 => Scalar::F64(self.iter_bits().map(fv).product()),
            Prim::F32 => Scalar::F32(
                self.iter_bits()
                    .fold(1.0f32, |a, x| a * fv(x) as f32),
            ),
            _ => Scalar::I64(self.iter_bits().fold(1i64, |a, x| a.wrapping_mul(iv(x)))),
        }
    }

    /// Position (flattened) of the smallest (`want_max == false`) or largest element; the
    /// first NaN wins, as NumPy.
    fn arg_extreme(&self, want_max: bool) -> Option<usize> {
        let mut best: Option<(usize, u64)> = None;
        for (i, x) in self.iter_bits().enumerate() {
            let better = match best {
                None => true,
                Some((_, b)) => match self.elem {
                    Prim::F64 | Prim::F32 => {
                        let (x, b) = (fv(x), fv(b));
                        if b.is_nan() {
                            false
                        } else if x.is_nan() {
                            true
                        } else if want_max {
                            x > b
                        } else {
                            x < b
                        }
                    }
                    _ => {
                        if want_max {
                            iv(x) > iv(b)
                        } else {
                            iv(x) < iv(b)
                        }
                    }
                },
            };
            if better {
                best = Some((i, x));
            }
        }
        best.map(|(i, _)| i)
    }

    /// The smallest element (NaN if any element is NaN). Errors on an empty array.
    pub fn min(&self) -> Result<Scalar, RtError> {
        let i = self.arg_extreme(false).ok_or_else(|| {
            RtError::new("zero-size array to reduction operation minimum which has no identity")
        })?;
        Ok(Scalar::from_bits(self.elem, self.flat_get(i)))
    }

    /// The largest element (NaN if any element is NaN). Errors on an empty array.
    pub fn max(&self) -> Result<Scalar, RtError> {
        let i = self.arg_extreme(true).ok_or_else(|| {
            RtError::new("zero-size array to reduction operation maximum which has no identity")
        })?;
        Ok(Scalar::from_bits(self.elem, self.flat_get(i)))
    }

    /// Flattened index of the smallest element (first NaN if any). Errors on an empty array.
    pub fn argmin(&self) -> Result<i64, RtError> {
        self.arg_extreme(false)
            .map(|i| i as i64)
            .ok_or_else(|| RtError::new("attempt to get argmin of an empty sequence"))
    }

    /// Flattened index of the largest element (first NaN if any). Errors on an empty array.
    pub fn argmax(&self) -> Result<i64, RtError> {
        self.arg_extreme(true)
            .map(|i| i as i64)
            .ok_or_else(|| RtError::new("attempt to get argmax of an empty sequence"))
    }

    /// Whether any element is nonzero / `true` (NaN counts as true, as NumPy).
    pub fn any(&self) -> bool {
        let elem = self.elem;
        self.iter_bits()
            .any(|x| convert_bits(elem, Prim::Bool, x) != 0)
    }

    /// Whether every element is nonzero / `true` (true for an empty array).
    pub fn all(&self) -> bool {
        let elem = self.elem;
        self.iter_bits()
            .all(|x| convert_bits(elem, Prim::Bool, x) != 0)
    }

    /// The `i`-th element in logical C order (`i < size()`).
    fn flat_get(&self, i: usize) -> u64 {
        self.iter_bits().nth(i).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::array::test_util::*;

    #[test]
    fn copy_astype_sort_cumsum() {
        let a = f(&[3.0, f64::NAN, -1.0, 2.5, f64::NEG_INFINITY]);
        let c = a.copy();
        c.set1(0, 0f64.to_bits()).unwrap();
        assert_eq!(a.get1(0), Ok(3f64.to_bits()));
        assert_eq!(a.sort().format(), "[-inf, -1.0, 2.5, 3.0, nan]");
        assert_eq!(a.format(), "[3.0, nan, -1.0, 2.5, -inf]");
        let m = Array::from_vec(
            Prim::I64,
            &[2, 3],
            [3i64, 1, 2, -1, -5, 0].map(|x| x as u64).to_vec(),
        );
        assert_eq!(m.sort().format(), "[[1, 2, 3], [-5, -1, 0]]");
        assert_eq!(m.transpose().sort().format(), "[[-1, 3], [-5, 1], [0, 2]]");
        assert_eq!(
            Array::zeros(Prim::I64, &[2, 0]).unwrap().sort().format(),
            "[[], []]"
        );
        assert_eq!(
            f(&[-2.7, 2.7, 0.5]).astype(Prim::I64).format(),
            "[-2, 2, 0]"
        );
        assert_eq!(
            Array::from_bools(&[true, false]).astype(Prim::F64).format(),
            "[1.0, 0.0]"
        );
        assert_eq!(
            Array::from_bools(&[true, false]).astype(Prim::I64).format(),
            "[1, 0]"
        );
        assert_eq!(m.astype(Prim::F64).shape(), &[2, 3]);
        assert_eq!(m.cumsum().format(), "[3, 4, 6, 5, 0, 0]");
        assert_eq!(f(&[0.5, 0.25]).cumsum().format(), "[0.5, 0.75]");
        assert_eq!(Array::from_bools(&[true, true]).cumsum().format(), "[1, 2]");
        assert_eq!(
            i(&[i64::MAX, 1]).cumsum().to_vec_bits(),
            vec![i64::MAX as u64, i64::MIN as u64]
        );
    }

    #[test]
    fn reductions() {
        let a = f(&[1.0, 4.0, -2.0]);
        assert_eq!(a.sum(), Scalar::F64(3.0));
        assert_eq!(a.prod(), Scalar::F64(-8.0));
        assert_eq!(a.min(), Ok(Scalar::F64(-2.0)));
        assert_eq!(a.max(), Ok(Scalar::F64(4.0)));
        assert_eq!(a.argmin(), Ok(2));
        assert_eq!(a.argmax(), Ok(1));
        let n = f(&[1.0, f64::NAN, -5.0, f64::NAN]);
        assert!(matches!(n.min(), Ok(Scalar::F64(x)) if x.is_nan()));
        assert_eq!(n.argmax(), Ok(1));
        let e = Array::zeros(Prim::I64, &[0]).unwrap();
        assert_eq!(e.sum(), Scalar::I64(0));
        assert_eq!(e.prod(), Scalar::I64(1));
        assert_eq!(
            err(e.min()),
            "zero-size array to reduction operation minimum which has no identity"
        );
        assert!(e.argmax().is_err());
        assert!(e.all() && !e.any());
        assert_eq!(i(&[i64::MAX, 1]).sum(), Scalar::I64(i64::MIN));
        assert_eq!(iota2(2, 2).transpose().argmax(), Ok(3));
        assert!(Array::from_bools(&[false, true]).any());
        assert!(!Array::from_bools(&[false, true]).all());
        assert!(f(&[f64::NAN]).all());
    }
}
