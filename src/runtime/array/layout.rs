//! Shape and stride arithmetic: checking user shapes, C-order strides, contiguity, walking
//! the elements in logical C order, and the views that only change shape and strides
//! (`reshape`, `transpose`, `ravel`).
//!
//! Invariant: every in-bounds index tuple maps into the storage (strides may be negative;
//! see `array/mod.rs`), so the positions computed here index `cells()` without panicking.
//! Only positive unit-stride layouts are contiguous.

use std::borrow::Cow;
use std::cell::Cell;
use std::rc::Rc;

use super::storage::oom;
use super::{Array, Storage, MAX_ELEMENTS};
use crate::vocab::Prim;
use crate::runtime::error::RtError;
use crate::runtime::format::format_shape;
use crate::runtime::ops::Scalar;

fn dims_error(n: usize) -> RtError {
    RtError::new(format!("arrays have 1 to 3 dimensions, not {n}"))
}

/// Checks a user-given shape: 1..=3 non-negative dims with at most [`MAX_ELEMENTS`] elements.
pub(super) fn check_shape(shape: &[i64]) -> Result<(usize, [usize; 3], usize), RtError> {
    if shape.is_empty() || shape.len() > 3 {
        return Err(dims_error(shape.len()));
    }
    let mut dims = [1usize; 3];
    let mut total: usize = 1;
    for (k, &d) in shape.iter().enumerate() {
        if d < 0 {
            return Err(RtError::new(format!(
                "negative dimension {d} in array shape"
            )));
        }
        dims[k] = d as usize;
    }
    let mut overflow = false;
    for &d in &dims[..shape.len()] {
        match total.checked_mul(d) {
            Some(t) => total = t,
            None => overflow = true,
        }
    }
    // A zero dimension makes the array empty whatever the others are.
    if dims[..shape.len()].contains(&0) {
        return Ok((shape.len(), dims, 0));
    }
    if overflow || total > MAX_ELEMENTS {
        return Err(oom(&format_shape(shape)));
    }
    Ok((shape.len(), dims, total))
}

pub(super) fn c_strides(ndim: usize, shape: &[usize; 3]) -> [isize; 3] {
    let mut strides = [0isize; 3];
    let mut acc: isize = 1;
    for k in (0..ndim).rev() {
        strides[k] = acc;
        acc = acc.saturating_mul(shape[k] as isize);
    }
    strides
}

/// Storage positions of an array's elements in logical C order.
#[derive(Clone, Debug)]
pub(super) struct Offsets {
    ndim: usize,
    shape: [usize; 3],
    strides: [isize; 3],
    idx: [usize; 3],
    pos: isize,
    left: usize,
}

impl Offsets {
    pub(super) fn new(a: &Array) -> Offsets {
        Offsets {
            ndim: a.ndim,
            shape: a.shape,
            strides: a.strides,
            idx: [0; 3],
            pos: a.offset as isize,
            left: a.size(),
        }
    }
}

impl Iterator for Offsets {
    type Item = usize;
    #[inline]
    fn next(&mut self) -> Option<usize> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let cur = self.pos as usize;
        let mut k = self.ndim;
        while k > 0 {
            k -= 1;
            self.idx[k] += 1;
            self.pos += self.strides[k];
            if self.idx[k] < self.shape[k] {
                break;
            }
            self.pos -= self.strides[k] * self.shape[k] as isize;
            self.idx[k] = 0;
        }
        Some(cur)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for Offsets {}

/// The elements of an array in logical C order, in register form.
pub struct BitsIter<'a> {
    inner: BitsInner<'a>,
}

enum BitsInner<'a> {
    Contig(std::slice::Iter<'a, Cell<u64>>),
    Strided(&'a [Cell<u64>], Offsets),
    /// Elements narrower than 8 bytes, converted one by one.
    Narrow(&'a Storage, Prim, Offsets),
}

impl Iterator for BitsIter<'_> {
    type Item = u64;
    #[inline]
    fn next(&mut self) -> Option<u64> {
        match &mut self.inner {
            BitsInner::Contig(it) => it.next().map(Cell::get),
            BitsInner::Strided(cells, offs) => offs.next().map(|o| cells[o].get()),
            BitsInner::Narrow(data, elem, offs) => offs.next().map(|o| data.load(*elem, o)),
        }
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        match &self.inner {
            BitsInner::Contig(it) => it.size_hint(),
            BitsInner::Strided(_, offs) | BitsInner::Narrow(_, _, offs) => offs.size_hint(),
        }
    }
}

impl ExactSizeIterator for BitsIter<'_> {}

impl Array {
    /// Number of axes, 1 to 3.
    pub fn ndim(&self) -> usize {
        self.ndim
    }

    /// Extent of each axis (length `ndim`).
    pub fn shape(&self) -> &[usize] {
        &self.shape[..self.ndim]
    }

    /// Step in elements along each axis (length `ndim`).
    pub fn strides(&self) -> &[isize] {
        &self.strides[..self.ndim]
    }

    /// Position in storage of the first element.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// Length of the first axis (`len(a)`).
    pub fn len(&self) -> usize {
        self.shape[0]
    }

    /// Whether the array has no elements.
    pub fn is_empty(&self) -> bool {
        self.size() == 0
    }

    /// Total number of elements.
    pub fn size(&self) -> usize {
        // Entries past `ndim` are 1 (the layout invariant, `mod.rs`): the product of all
        // three, multiplied in the same order, is that of the first `ndim`, without a loop.
        debug_assert!(self.shape[self.ndim..].iter().all(|&d| d == 1));
        self.shape[0] * self.shape[1] * self.shape[2]
    }

    /// Whether the elements are contiguous in C order in storage.
    pub fn is_contiguous(&self) -> bool {
        if self.size() == 0 {
            return true;
        }
        let mut expect: isize = 1;
        for k in (0..self.ndim).rev() {
            if self.shape[k] != 1 && self.strides[k] != expect {
                return false;
            }
            expect *= self.shape[k] as isize;
        }
        true
    }

    /// The elements as one slice of 64-bit words when the array is contiguous and its
    /// elements are 8 bytes wide (`i64`, `f64`: stored words are the register form) — the
    /// fast path of the kernels; `None` sends them to the general one.
    pub(super) fn contig_cells(&self) -> Option<&[Cell<u64>]> {
        if !self.is_contiguous() {
            return None;
        }
        let cells = self.data.cells64()?;
        let n = self.size();
        if n == 0 {
            return Some(&[]);
        }
        cells.get(self.offset..self.offset + n)
    }

    // ----- iteration in logical C order ---------------------------------------------------

    /// The stored words in logical C order.
    pub fn iter_bits(&self) -> BitsIter<'_> {
        let inner = match (self.contig_cells(), self.data.cells64()) {
            (Some(cells), _) => BitsInner::Contig(cells.iter()),
            (None, Some(cells)) => BitsInner::Strided(cells, Offsets::new(self)),
            (None, None) => BitsInner::Narrow(&self.data, self.elem, Offsets::new(self)),
        };
        BitsIter { inner }
    }

    /// The elements as scalars in logical C order.
    pub fn iter_scalars(&self) -> impl Iterator<Item = Scalar> + '_ {
        let elem = self.elem;
        self.iter_bits().map(move |b| Scalar::from_bits(elem, b))
    }

    /// The stored words in logical C order, copied out.
    pub fn to_vec_bits(&self) -> Vec<u64> {
        self.iter_bits().collect()
    }

    // ----- structure ----------------------------------------------------------------------

    /// The same elements with a new shape (one dimension may be `-1`). A view when this
    /// array is contiguous, else a copy.
    pub fn reshape(&self, shape: &[i64]) -> Result<Array, RtError> {
        if shape.is_empty() || shape.len() > 3 {
            return Err(dims_error(shape.len()));
        }
        let size = self.size();
        let cannot = || {
            RtError::new(format!(
                "cannot reshape array of size {size} into shape {}",
                format_shape(shape)
            ))
        };
        let mut unknown = None;
        let mut known: usize = 1;
        for (k, &d) in shape.iter().enumerate() {
            if d == -1 {
                if unknown.is_some() {
                    return Err(RtError::new("can only specify one unknown dimension"));
                }
                unknown = Some(k);
            } else if d < 0 {
                return Err(RtError::new(format!(
                    "negative dimension {d} in array shape"
                )));
            } else {
                known = known.checked_mul(d as usize).ok_or_else(cannot)?;
            }
        }
        let mut dims = [1usize; 3];
        for (k, &d) in shape.iter().enumerate() {
            dims[k] = d.max(0) as usize;
        }
        match unknown {
            Some(k) => {
                if known == 0 || !size.is_multiple_of(known) {
                    return Err(cannot());
                }
                dims[k] = size / known;
            }
            None => {
                if known != size {
                    return Err(cannot());
                }
            }
        }
        let ndim = shape.len();
        let base = if self.is_contiguous() {
            Cow::Borrowed(self)
        } else {
            Cow::Owned(self.copy())
        };
        Ok(Array::view_of(
            self.elem,
            ndim,
            dims,
            c_strides(ndim, &dims),
            base.offset,
            Rc::clone(&base.data),
        ))
    }

    /// The view with reversed axes (a 1-D array is its own transpose).
    pub fn transpose(&self) -> Array {
        let mut t = self.clone();
        for k in 0..self.ndim {
            t.shape[k] = self.shape[self.ndim - 1 - k];
            t.strides[k] = self.strides[self.ndim - 1 - k];
        }
        t
    }

    /// The elements as a 1-D array (a view when contiguous).
    pub fn ravel(&self) -> Array {
        let n = self.size();
        if self.is_contiguous() {
            Array::view_of(
                self.elem,
                1,
                [n, 1, 1],
                [1, 0, 0],
                self.offset,
                Rc::clone(&self.data),
            )
        } else {
            Array::from_vec(self.elem, &[n], self.to_vec_bits())
        }
    }
}

/// NumPy's broadcast shape of two shapes (trailing axes aligned; each pair equal or one of
/// them 1), or `None` when they do not broadcast.
pub fn broadcast_shape(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
    let n = a.len().max(b.len());
    let at = |s: &[usize], k: usize| {
        let off = n - s.len();
        if k < off {
            1
        } else {
            s[k - off]
        }
    };
    (0..n)
        .map(|k| match (at(a, k), at(b, k)) {
            (x, y) if x == y => Some(x),
            (1, y) => Some(y),
            (x, 1) => Some(x),
            _ => None,
        })
        .collect()
}

impl Array {
    /// A read-only view of this array with `shape` (at most 3 axes) by NumPy's broadcasting:
    /// new leading axes and axes of length 1 repeat with stride 0. `None` if the shapes do
    /// not broadcast. (Every in-bounds index of the view maps to an in-bounds element of
    /// this array, so the layout invariant holds.)
    pub fn broadcast_to(&self, shape: &[usize]) -> Option<Array> {
        let n = shape.len();
        if !(1..=3).contains(&n) || n < self.ndim {
            return None;
        }
        let off = n - self.ndim;
        let (mut dims, mut strides) = ([1usize; 3], [0isize; 3]);
        for k in 0..n {
            dims[k] = shape[k];
            if k >= off {
                let (d, st) = (self.shape[k - off], self.strides[k - off]);
                strides[k] = match d {
                    _ if d == shape[k] => st,
                    1 => 0,
                    _ => return None,
                };
            }
        }
        Some(Array::view_of(
            self.elem,
            n,
            dims,
            strides,
            self.offset,
            Rc::clone(&self.data),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::array::test_util::*;
    use crate::runtime::array::Index;
    use crate::vocab::{BinOp, Prim};

    #[test]
    fn reshape_views_copies_and_errors() {
        let a = Array::arange_i64(0, 6, 1).unwrap();
        let m = a.reshape(&[2, 3]).unwrap();
        assert!(m.shares_storage(&a));
        assert_eq!(m.format(), "[[0, 1, 2], [3, 4, 5]]");
        assert_eq!(a.reshape(&[-1, 2]).unwrap().shape(), &[3, 2]);
        assert_eq!(a.reshape(&[3, -1]).unwrap().shape(), &[3, 2]);
        assert_eq!(
            err(a.reshape(&[4])),
            "cannot reshape array of size 6 into shape (4,)"
        );
        assert_eq!(
            err(a.reshape(&[-1, 4])),
            "cannot reshape array of size 6 into shape (-1, 4)"
        );
        assert_eq!(
            err(a.reshape(&[-1, -1])),
            "can only specify one unknown dimension"
        );
        assert_eq!(
            err(a.reshape(&[-2, -3])),
            "negative dimension -2 in array shape"
        );
        assert_eq!(
            err(a.reshape(&[i64::MAX, i64::MAX])),
            format!(
                "cannot reshape array of size 6 into shape ({}, {})",
                i64::MAX,
                i64::MAX
            )
        );
        assert!(a.reshape(&[]).is_err());
        // A transposed (non-contiguous) array reshapes through a copy.
        let t = m.transpose();
        let r = t.reshape(&[6]).unwrap();
        assert!(!r.shares_storage(&a));
        assert_eq!(r.format(), "[0, 3, 1, 4, 2, 5]");
        assert_eq!(t.ravel().format(), "[0, 3, 1, 4, 2, 5]");
        assert!(m.ravel().shares_storage(&a));
        // A contiguous sub-view reshapes as a view keeping its offset.
        let tail = a.slice(&[Index::Range(Some(2), None)]).unwrap();
        let v = tail.reshape(&[2, 2]).unwrap();
        assert!(v.shares_storage(&a));
        assert_eq!(v.format(), "[[2, 3], [4, 5]]");
        let e = Array::zeros(Prim::F64, &[0]).unwrap();
        assert_eq!(e.reshape(&[0, 5]).unwrap().shape(), &[0, 5]);
        assert!(e.reshape(&[-1, 0]).is_err());
    }

    #[test]
    fn strided_and_transposed_operands() {
        let m = iota2(2, 3);
        let t = m.transpose();
        assert_eq!(t.shape(), &[3, 2]);
        assert_eq!(t.strides(), &[1, 3]);
        assert!(!t.is_contiguous());
        assert_eq!(t.format(), "[[0, 3], [1, 4], [2, 5]]");
        let sum = Array::binop(BinOp::Add, &t, &t.copy()).unwrap();
        assert_eq!(sum.format(), "[[0, 6], [2, 8], [4, 10]]");
        assert!(sum.is_contiguous());
        let col = m.slice(&[Index::Range(None, None), Index::At(1)]).unwrap();
        assert_eq!(
            Array::binop(BinOp::Mul, &col, &i(&[10, 100]))
                .unwrap()
                .format(),
            "[10, 400]"
        );
        assert_eq!(
            Array::binop_scalar(BinOp::Add, &t, Scalar::F64(0.5), true)
                .unwrap()
                .format(),
            "[[0.5, 3.5], [1.5, 4.5], [2.5, 5.5]]"
        );
        assert_eq!(Array::neg(&t).format(), "[[0, -3], [-1, -4], [-2, -5]]");
        assert_eq!(t.to_vec_bits(), vec![0, 3, 1, 4, 2, 5]);
        // 3-D transpose reverses all axes.
        let c = Array::from_vec(Prim::I64, &[2, 3, 4], (0..24).collect());
        let ct = c.transpose();
        assert_eq!(ct.shape(), &[4, 3, 2]);
        assert_eq!(ct.get(&[3, 2, 1]), c.get(&[1, 2, 3]));
        assert_eq!(
            c.slice(&[Index::At(1), Index::Range(Some(1), None), Index::At(-1)])
                .unwrap()
                .format(),
            "[19, 23]"
        );
    }
}
