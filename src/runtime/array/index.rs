//! Element access and slicing: get/set by a full index tuple (and the 1-D and 2-D forms
//! compiled code calls), [`Index`], and `slice`, which makes views sharing storage.
//!
//! Invariant: every user index is normalized and bounds-checked here, with NumPy's messages,
//! before it is used as a storage position.

use std::rc::Rc;

use super::Array;
use crate::runtime::error::RtError;
use crate::runtime::ops::{convert_bits, Scalar};

/// One index of a slicing expression: `At(i)` selects (and removes) an axis, `Range(lo, hi)`
/// is `lo:hi` with Python's defaults and clamping.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Index {
    At(i64),
    Range(Option<i64>, Option<i64>),
}

fn norm_index(i: i64, n: usize, axis: usize) -> Result<usize, RtError> {
    let n_i = n as i64;
    let j = if i < 0 { i + n_i } else { i };
    if j < 0 || j >= n_i {
        return Err(RtError::new(format!(
            "index {i} is out of bounds for axis {axis} with size {n}"
        )));
    }
    Ok(j as usize)
}

fn index_count_error(ndim: usize, given: usize) -> RtError {
    if given > ndim {
        RtError::new(format!(
            "too many indices for array: array is {ndim}-dimensional, but {given} were indexed"
        ))
    } else {
        RtError::new(format!(
            "too few indices for array: array is {ndim}-dimensional, but {given} were indexed"
        ))
    }
}

/// Python slice clamping of one bound.
fn clamp_bound(v: Option<i64>, n: i64, default: i64) -> i64 {
    match v {
        None => default,
        Some(x) => {
            let x = if x < 0 { x.saturating_add(n) } else { x };
            x.clamp(0, n)
        }
    }
}

impl Array {
    /// Storage position of a full index tuple (negative indices count from the end).
    fn position(&self, idx: &[i64]) -> Result<usize, RtError> {
        if idx.len() != self.ndim {
            return Err(index_count_error(self.ndim, idx.len()));
        }
        let mut pos = self.offset as isize;
        for (k, &i) in idx.iter().enumerate() {
            let j = norm_index(i, self.shape[k], k)?;
            pos += j as isize * self.strides[k];
        }
        Ok(pos as usize)
    }

    /// The stored word at `idx`.
    pub fn get(&self, idx: &[i64]) -> Result<u64, RtError> {
        let p = self.position(idx)?;
        Ok(self.data.load(self.elem, p))
    }

    /// Stores `bits` at `idx` (the caller passes a word of this array's kind).
    pub fn set(&self, idx: &[i64], bits: u64) -> Result<(), RtError> {
        let p = self.position(idx)?;
        self.data.store(self.elem, p, bits);
        Ok(())
    }

    /// The element at `idx` as a scalar.
    pub fn get_scalar(&self, idx: &[i64]) -> Result<Scalar, RtError> {
        Ok(Scalar::from_bits(self.elem, self.get(idx)?))
    }

    /// Stores `v` at `idx`, converting it to this array's kind (`i64` into `f64` widens).
    pub fn set_scalar(&self, idx: &[i64], v: Scalar) -> Result<(), RtError> {
        self.set(idx, convert_bits(v.prim(), self.elem, v.to_bits()))
    }

    #[inline]
    fn position1(&self, i: i64) -> Result<usize, RtError> {
        if self.ndim != 1 {
            return Err(index_count_error(self.ndim, 1));
        }
        let j = norm_index(i, self.shape[0], 0)?;
        Ok((self.offset as isize + j as isize * self.strides[0]) as usize)
    }

    #[inline]
    fn position2(&self, i: i64, j: i64) -> Result<usize, RtError> {
        if self.ndim != 2 {
            return Err(index_count_error(self.ndim, 2));
        }
        let a = norm_index(i, self.shape[0], 0)?;
        let b = norm_index(j, self.shape[1], 1)?;
        Ok(
            (self.offset as isize + a as isize * self.strides[0] + b as isize * self.strides[1])
                as usize,
        )
    }

    /// `a[i]` on a 1-D array.
    #[inline]
    pub fn get1(&self, i: i64) -> Result<u64, RtError> {
        let p = self.position1(i)?;
        Ok(self.data.load(self.elem, p))
    }

    /// `a[i] = bits` on a 1-D array.
    #[inline]
    pub fn set1(&self, i: i64, bits: u64) -> Result<(), RtError> {
        let p = self.position1(i)?;
        self.data.store(self.elem, p, bits);
        Ok(())
    }

    /// `m[i, j]` on a 2-D array.
    #[inline]
    pub fn get2(&self, i: i64, j: i64) -> Result<u64, RtError> {
        let p = self.position2(i, j)?;
        Ok(self.data.load(self.elem, p))
    }

    /// `m[i, j] = bits` on a 2-D array.
    #[inline]
    pub fn set2(&self, i: i64, j: i64, bits: u64) -> Result<(), RtError> {
        let p = self.position2(i, j)?;
        self.data.store(self.elem, p, bits);
        Ok(())
    }

    // ----- views --------------------------------------------------------------------------

    /// A view selected by `spec` (one entry per leading axis; missing trailing axes are
    /// taken whole). `At` removes its axis; `Range` clamps like Python slicing.
    pub fn slice(&self, spec: &[Index]) -> Result<Array, RtError> {
        if spec.len() > self.ndim {
            return Err(index_count_error(self.ndim, spec.len()));
        }
        let mut shape = [1usize; 3];
        let mut strides = [0isize; 3];
        let mut ndim = 0;
        let mut offset = self.offset as isize;
        for k in 0..self.ndim {
            let n = self.shape[k];
            match spec.get(k) {
                Some(Index::At(i)) => {
                    let j = norm_index(*i, n, k)?;
                    offset += j as isize * self.strides[k];
                }
                Some(Index::Range(lo, hi)) => {
                    let n_i = n as i64;
                    let lo = clamp_bound(*lo, n_i, 0);
                    let hi = clamp_bound(*hi, n_i, n_i);
                    let len = (hi - lo).max(0) as usize;
                    if len > 0 {
                        offset += lo as isize * self.strides[k];
                    }
                    shape[ndim] = len;
                    strides[ndim] = self.strides[k];
                    ndim += 1;
                }
                None => {
                    shape[ndim] = n;
                    strides[ndim] = self.strides[k];
                    ndim += 1;
                }
            }
        }
        if ndim == 0 {
            return Err(RtError::new(
                "indexing every axis gives an element, not a view",
            ));
        }
        Ok(Array::view_of(
            self.elem,
            ndim,
            shape,
            strides,
            offset as usize,
            Rc::clone(&self.data),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::array::test_util::*;
    use crate::vocab::Prim;

    #[test]
    fn indexing_negative_and_out_of_bounds() {
        let a = i(&[10, 20, 30]);
        assert_eq!(a.get1(0), Ok(10));
        assert_eq!(a.get1(-1), Ok(30));
        assert_eq!(a.get1(-3), Ok(10));
        assert_eq!(
            err(a.get1(5)),
            "index 5 is out of bounds for axis 0 with size 3"
        );
        assert_eq!(
            err(a.get1(3)),
            "index 3 is out of bounds for axis 0 with size 3"
        );
        assert_eq!(
            err(a.get1(-4)),
            "index -4 is out of bounds for axis 0 with size 3"
        );
        assert_eq!(
            err(a.get1(i64::MIN)),
            format!("index {} is out of bounds for axis 0 with size 3", i64::MIN)
        );
        assert_eq!(
            err(a.get(&[0, 1])),
            "too many indices for array: array is 1-dimensional, but 2 were indexed"
        );
        assert_eq!(
            err(a.get2(0, 1)),
            "too many indices for array: array is 1-dimensional, but 2 were indexed"
        );
        a.set1(-1, 99).unwrap();
        assert_eq!(a.format(), "[10, 20, 99]");
        assert!(a.set1(3, 0).is_err());

        let m = iota2(2, 3);
        assert_eq!(m.get2(1, 2), Ok(5));
        assert_eq!(m.get(&[-1, -3]), Ok(3));
        assert_eq!(
            err(m.get2(0, 3)),
            "index 3 is out of bounds for axis 1 with size 3"
        );
        assert_eq!(
            err(m.get2(2, 0)),
            "index 2 is out of bounds for axis 0 with size 2"
        );
        assert_eq!(
            err(m.get1(0)),
            "too few indices for array: array is 2-dimensional, but 1 were indexed"
        );
        m.set2(0, 0, 42).unwrap();
        assert_eq!(m.format(), "[[42, 1, 2], [3, 4, 5]]");
        let e = Array::zeros(Prim::F64, &[0]).unwrap();
        assert_eq!(
            err(e.get1(0)),
            "index 0 is out of bounds for axis 0 with size 0"
        );

        let f64s = f(&[1.5]);
        f64s.set_scalar(&[0], Scalar::I64(3)).unwrap();
        assert_eq!(f64s.get_scalar(&[0]), Ok(Scalar::F64(3.0)));
    }

    #[test]
    fn slices_are_views_with_write_through() {
        let a = i(&[0, 1, 2, 3, 4, 5]);
        let s = a.slice(&[Index::Range(Some(1), Some(4))]).unwrap();
        assert_eq!(s.format(), "[1, 2, 3]");
        assert!(s.shares_storage(&a));
        s.set1(0, 100).unwrap();
        s.set1(-1, 300).unwrap();
        assert_eq!(a.format(), "[0, 100, 2, 300, 4, 5]");
        // Python clamping.
        let r = |lo, hi| a.slice(&[Index::Range(lo, hi)]).unwrap().format();
        assert_eq!(r(Some(-2), None), "[4, 5]");
        assert_eq!(r(None, Some(-4)), "[0, 100]");
        assert_eq!(r(Some(-100), Some(100)), "[0, 100, 2, 300, 4, 5]");
        assert_eq!(r(Some(4), Some(2)), "[]");
        assert_eq!(r(Some(6), None), "[]");
        assert_eq!(r(Some(i64::MIN), Some(i64::MAX)), "[0, 100, 2, 300, 4, 5]");
        let empty = a.slice(&[Index::Range(Some(6), None)]).unwrap();
        assert_eq!(empty.len(), 0);
        assert_eq!(empty.to_vec_bits(), Vec::<u64>::new());

        let m = iota2(3, 4);
        let row = m.slice(&[Index::At(1)]).unwrap();
        assert_eq!(row.format(), "[4, 5, 6, 7]");
        let col = m.slice(&[Index::Range(None, None), Index::At(-1)]).unwrap();
        assert_eq!(col.format(), "[3, 7, 11]");
        assert!(!col.is_contiguous());
        col.set1(1, 70).unwrap();
        assert_eq!(m.get2(1, 3), Ok(70));
        let blk = m
            .slice(&[
                Index::Range(Some(1), Some(3)),
                Index::Range(Some(1), Some(3)),
            ])
            .unwrap();
        assert_eq!(blk.format(), "[[5, 6], [9, 10]]");
        blk.fill(Scalar::I64(0));
        assert_eq!(m.format(), "[[0, 1, 2, 3], [4, 0, 0, 70], [8, 0, 0, 11]]");
        assert_eq!(
            err(m.slice(&[Index::At(3)])),
            "index 3 is out of bounds for axis 0 with size 3"
        );
        assert_eq!(
            err(m.slice(&[Index::At(0), Index::At(0), Index::At(0)])),
            "too many indices for array: array is 2-dimensional, but 3 were indexed"
        );
        assert!(m.slice(&[Index::At(0), Index::At(0)]).is_err());
        let edge = m
            .slice(&[Index::Range(None, None), Index::Range(Some(4), None)])
            .unwrap();
        assert_eq!(edge.shape(), &[3, 0]);
        assert_eq!(edge.format(), "[[], [], []]");
    }

    /// Python slice semantics of one axis, as the list of selected positions.
    fn model_range(lo: Option<i64>, hi: Option<i64>, n: usize) -> Vec<usize> {
        (0..n)
            .filter(|&k| {
                let k = k as i64;
                let n = n as i64;
                let lo = lo.map_or(0, |x| if x < 0 { x + n } else { x });
                let hi = hi.map_or(n, |x| if x < 0 { x + n } else { x });
                k >= lo && k < hi
            })
            .collect()
    }

    #[test]
    fn random_views_agree_with_a_model_and_never_panic() {
        let mut rng = crate::runtime::random::Rng::new(3);
        let mut pick = |n: i64| (rng.next_u64() % n as u64) as i64;
        for _ in 0..2000 {
            let ndim = 1 + pick(3) as usize;
            let dims: Vec<i64> = (0..ndim).map(|_| pick(5)).collect();
            let base = Array::zeros(Prim::I64, &dims).unwrap();
            let n = base.size() as i64;
            base.fill_with({
                let mut k = 0u64;
                move || {
                    k += 1;
                    k
                }
            });
            // Optionally start from a transposed view so strides vary.
            let a = if pick(2) == 0 {
                base.transpose()
            } else {
                base.clone()
            };
            let mut spec = Vec::new();
            let mut picks: Vec<Vec<usize>> = Vec::new();
            let mut valid = true;
            for k in 0..a.ndim() {
                let len = a.shape()[k];
                match pick(3) {
                    0 if spec.len() == k => {
                        let i = pick(len as i64 * 2 + 3) - len as i64 - 1;
                        spec.push(Index::At(i));
                        let j = if i < 0 { i + len as i64 } else { i };
                        if j < 0 || j >= len as i64 {
                            valid = false;
                        }
                        picks.push(vec![j.max(0) as usize]);
                    }
                    1 if spec.len() == k => {
                        let mut bound = || match pick(4) {
                            0 => None,
                            _ => Some(pick(2 * len as i64 + 7) - len as i64 - 3),
                        };
                        let (lo, hi) = (bound(), bound());
                        spec.push(Index::Range(lo, hi));
                        picks.push(model_range(lo, hi, len));
                    }
                    _ => picks.push((0..len).collect()),
                }
            }
            let all_at = spec.len() == a.ndim() && spec.iter().all(|s| matches!(s, Index::At(_)));
            let res = a.slice(&spec);
            if !valid || all_at {
                assert!(res.is_err(), "{spec:?} on {:?}", a.shape());
                continue;
            }
            let v = res.unwrap();
            let mut want = Vec::new();
            let p1 = picks.get(1).cloned().unwrap_or(vec![0]);
            let p2 = picks.get(2).cloned().unwrap_or(vec![0]);
            for &i in &picks[0] {
                for &j in &p1 {
                    for &k in &p2 {
                        let idx: Vec<i64> =
                            [i, j, k][..a.ndim()].iter().map(|&x| x as i64).collect();
                        want.push(a.get(&idx).unwrap());
                    }
                }
            }
            assert_eq!(v.to_vec_bits(), want, "{spec:?} on {:?}", a.shape());
            // Out-of-range element reads are errors, never panics.
            let idx: Vec<i64> = (0..v.ndim()).map(|_| pick(2 * n + 5) - n - 2).collect();
            let _ = v.get(&idx);
            // Writes through the view land in the base.
            if v.size() > 0 {
                v.fill(Scalar::I64(-1));
                let changed = base.iter_bits().filter(|&b| b == u64::MAX).count();
                assert_eq!(changed, v.size());
            }
            let _ = v.format();
            let _ = v.reshape(&[-1]).unwrap();
        }
    }
}
