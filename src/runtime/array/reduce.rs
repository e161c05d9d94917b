//! Whole-array reductions (`sum`, `prod`, `min`/`max`, `argmin`/`argmax`, `any`/`all`) and
//! the other computations over all elements: `cumsum` and `sort` along the last axis.
//!
//! Invariant: NumPy's results on the edge cases: integer sums wrap, a NaN wins `min`/`max`
//! and the arg forms, sorting puts NaN last, and only a reduction without identity
//! (`min`, `max`, `argmin`, `argmax`) errors on an empty array.

use super::kernels::{fv, iv};
use super::{Array, Index};
use crate::runtime::error::RtError;
use crate::runtime::ops::{convert_bits, narrow_float, Scalar};
use crate::vocab::{Prim, Reduce};
use std::rc::Rc;

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
            // From +0.0 (as NumPy; `Iterator::sum` of floats starts from -0.0).
            Prim::F64 => Scalar::F64(self.iter_bits().fold(0.0, |a, x| a + fv(x))),
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

impl Array {
    /// One reduction over all elements of this (1-D lane) array, as a register-form word of
    /// `r.result(elem)`; running reductions are not handled here.
    fn reduce_lane(&self, r: Reduce) -> Result<u64, RtError> {
        let p = self.elem;
        let out = r.result(p);
        let float = |x: f64| narrow_float(out, x);
        let n = self.size() as f64;
        Ok(match r {
            Reduce::Sum => self.sum().convert(out).to_bits(),
            Reduce::Prod => self.prod().convert(out).to_bits(),
            Reduce::Mean => float(self.sum().as_f64() / n),
            Reduce::Var | Reduce::Std => {
                // Two passes, as the prelude's `var` (population variance).
                let m = self.sum().as_f64() / n;
                let mut s = 0.0;
                for x in self.iter_scalars() {
                    let d = x.as_f64() - m;
                    s += d * d;
                }
                let v = s / n;
                float(if r == Reduce::Std { v.sqrt() } else { v })
            }
            Reduce::Min => self.min()?.to_bits(),
            Reduce::Max => self.max()?.to_bits(),
            Reduce::ArgMin => self.argmin()? as u64,
            Reduce::ArgMax => self.argmax()? as u64,
            Reduce::Any => self.any() as u64,
            Reduce::All => self.all() as u64,
            Reduce::CumSum | Reduce::CumProd => 0,
        })
    }

    /// Running sums or products along one lane, as register-form words of `r.result(elem)`.
    fn running_lane(&self, r: Reduce) -> Vec<u64> {
        let out = r.result(self.elem);
        let prod = r == Reduce::CumProd;
        if out.is_float() {
            let mut acc = if prod { 1.0f64 } else { 0.0 };
            self.iter_scalars()
                .map(|x| {
                    let y = if prod { acc * x.as_f64() } else { acc + x.as_f64() };
                    acc = f64::from_bits(narrow_float(out, y));
                    acc.to_bits()
                })
                .collect()
        } else {
            let mut acc = if prod { 1i64 } else { 0 };
            self.iter_scalars()
                .map(|x| {
                    acc = if prod {
                        acc.wrapping_mul(x.as_i64())
                    } else {
                        acc.wrapping_add(x.as_i64())
                    };
                    acc as u64
                })
                .collect()
        }
    }

    /// `r` along `axis` (negative counts from the end), as NumPy's `np.sum(a, axis=k)`: an
    /// array of the remaining axes (the running reductions keep the shape), or the scalar
    /// of a 1-D array. An axis out of range is NumPy's error.
    pub fn reduce_axis(&self, r: Reduce, axis: i64) -> Result<Result<Array, Scalar>, RtError> {
        let nd = self.ndim as i64;
        let k = if axis < 0 { axis + nd } else { axis };
        if !(0..nd).contains(&k) {
            return Err(RtError::new(format!(
                "axis {axis} is out of bounds for array of dimension {nd}"
            )));
        }
        let k = k as usize;
        let out = r.result(self.elem);
        // The lane through `pos` along axis k: a 1-D view.
        let lane = |pos: usize| {
            Array::view_of(
                self.elem,
                1,
                [self.shape[k], 1, 1],
                [self.strides[k], 0, 0],
                pos,
                Rc::clone(&self.data),
            )
        };
        // Storage positions of the lanes' starts, in C order of the remaining axes.
        let rest: Vec<usize> = (0..self.ndim).filter(|&d| d != k).collect();
        let mut starts = vec![self.offset];
        for &d in &rest {
            starts = starts
                .iter()
                .flat_map(|&s| {
                    (0..self.shape[d]).map(move |i| (s as isize + i as isize * self.strides[d]) as usize)
                })
                .collect();
        }
        if self.ndim == 1 && !r.keeps_shape() {
            let bits = lane(self.offset).reduce_lane(r)?;
            return Ok(Err(Scalar::from_bits(out, bits)));
        }
        if r.keeps_shape() {
            // Write each lane's running values back at the lane's positions of a copy.
            let res = Array::zeros(out, &self.shape[..self.ndim].iter().map(|&d| d as i64).collect::<Vec<_>>())?;
            for (li, &s) in starts.iter().enumerate() {
                let vals = lane(s).running_lane(r);
                // Index of lane `li` in the remaining axes, then each position along k.
                let mut idx = [0i64; 3];
                let mut rem = li;
                for &d in rest.iter().rev() {
                    idx[d] = (rem % self.shape[d]) as i64;
                    rem /= self.shape[d];
                }
                for (j, v) in vals.into_iter().enumerate() {
                    idx[k] = j as i64;
                    res.set(&idx[..self.ndim], v)?;
                }
            }
            return Ok(Ok(res));
        }
        let mut bits = Vec::with_capacity(starts.len());
        for &s in &starts {
            bits.push(lane(s).reduce_lane(r)?);
        }
        let shape: Vec<usize> = rest.iter().map(|&d| self.shape[d]).collect();
        Ok(Ok(Array::from_vec(out, &shape, bits)))
    }
}

impl Array {
    /// NumPy's `concatenate(arrays, axis)` (`stack == false`: along an existing axis) or
    /// `stack(arrays, axis)` (a new axis), elements converted to `p`.
    pub fn join(arrays: &[&Array], axis: i64, p: Prim, stack: bool) -> Result<Array, RtError> {
        let what = if stack { "stack" } else { "concatenate" };
        let first = arrays
            .first()
            .ok_or_else(|| RtError::new(format!("need at least one array to {what}")))?;
        let nd = first.ndim + stack as usize;
        let k = if axis < 0 { axis + nd as i64 } else { axis };
        if !(0..nd as i64).contains(&k) || nd > 3 {
            return Err(RtError::new(format!(
                "axis {axis} is out of bounds for array of dimension {nd}"
            )));
        }
        let k = k as usize;
        let mut shape: Vec<usize> = first.shape().to_vec();
        if stack {
            if let Some(a) = arrays.iter().find(|a| a.shape() != first.shape()) {
                return Err(RtError::new(format!(
                    "all input arrays must have the same shape ({} and {})",
                    crate::runtime::format::format_shape(first.shape()),
                    crate::runtime::format::format_shape(a.shape())
                )));
            }
            shape.insert(k, arrays.len());
        } else {
            for (i, a) in arrays.iter().enumerate().skip(1) {
                for d in (0..nd).filter(|&d| d != k) {
                    if a.shape()[d] != first.shape()[d] {
                        return Err(RtError::new(format!(
                            "all the input array dimensions except for the concatenation axis must match exactly, but along dimension {d}, the array at index 0 has size {} and the array at index {i} has size {}",
                            first.shape()[d],
                            a.shape()[d]
                        )));
                    }
                }
            }
            shape[k] = arrays.iter().map(|a| a.shape()[k]).sum();
        }
        let dims: Vec<i64> = shape.iter().map(|&d| d as i64).collect();
        let out = Array::zeros(p, &dims)?;
        let mut at = 0i64;
        for a in arrays {
            let mut spec = vec![Index::Range(None, None); nd];
            if stack {
                spec[k] = Index::At(at);
                at += 1;
            } else {
                let n = a.shape()[k] as i64;
                spec[k] = Index::Range(Some(at), Some(at + n));
                at += n;
            }
            out.slice(&spec)?.assign(a)?;
        }
        Ok(out)
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
