//! Element access and slicing: get/set by a full index tuple (and the 1-D and 2-D forms
//! compiled code calls), [`Index`], and `slice`, which makes views sharing storage
//! (steps, negative ones included, and new axes); `take`/`put_*`, NumPy's boolean-mask and
//! integer-array indexing (copies out, stores in).
//!
//! Invariant: every user index is normalized and bounds-checked here, with NumPy's messages,
//! before it is used as a storage position. A view made here selects a subset of its
//! source's in-bounds index tuples (a stepped range picks positions `lo + t*step`, all in
//! `0..n`; a new axis has length 1, index 0 only, stride 0), so every in-bounds index of the
//! view maps to a position of the source's buffer: the invariant of `array/mod.rs` holds.

use std::rc::Rc;

use super::layout::Offsets;
use super::storage::oom;
use super::{Array, ArrayRef};
use crate::runtime::error::RtError;
use crate::runtime::format::format_shape;
use crate::runtime::ops::{convert_bits, Scalar};
use crate::vocab::Prim;

/// One index of a slicing expression: `At(i)` selects (and removes) an axis, `Range(lo, hi)`
/// is `lo:hi` and `Stepped(lo, hi, step)` is `lo:hi:step`, both with Python's defaults and
/// clamping; `NewAxis` (`None` in nk) inserts an axis of length 1 and consumes none.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Index {
    At(i64),
    Range(Option<i64>, Option<i64>),
    Stepped(Option<i64>, Option<i64>, i64),
    NewAxis,
}

/// A view's layout: what [`Array::slice`] computes before it assembles the view.
#[derive(Clone, Copy, Debug)]
pub struct ViewLayout {
    ndim: usize,
    shape: [usize; 3],
    strides: [isize; 3],
    offset: usize,
}

/// The views [`Array::fast_view_layout`] makes: `Row(i)` is `a[i]` on an array of 2 or 3
/// axes, `Range(lo, hi)` is `a[lo:hi]` (step 1, along axis 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FastView {
    Row(i64),
    Range(Option<i64>, Option<i64>),
}

/// `regs[dst] = view of regs[src]` with `layout` (computed from `regs[src]`; `false`, and
/// nothing changed, if `regs[src]` is empty). A view costs no allocation when `regs[dst]`
/// holds an array that no one else holds (`Rc::get_mut`: no other register, variable or
/// view shares the `Rc`) over the same storage: its layout is rewritten in place, so
/// neither the storage's count nor the allocator is touched (the old view is dead: its
/// register is being overwritten). This also covers `dst == src` (`a = a[1:]`).
/// Otherwise a new `Rc<Array>` sharing the storage replaces the register's value.
///
/// Sound for native code, which caches headers: it re-reads an array register's header
/// after every helper that may write the register, and a count of one means no other
/// register (whose header some frame may cache) holds this `Array`.
pub fn put_view(regs: &mut [Option<ArrayRef>], src: usize, dst: usize, layout: ViewLayout) -> bool {
    let Some(Some(from)) = regs.get(src) else {
        return false;
    };
    let (elem, data) = (from.elem, Rc::as_ptr(&from.data));
    let Some(slot) = regs.get_mut(dst) else {
        return false;
    };
    if let Some(old) = slot.as_mut().and_then(Rc::get_mut) {
        if Rc::as_ptr(&old.data) == data && old.elem == elem {
            let ViewLayout {
                ndim,
                shape,
                strides,
                offset,
            } = layout;
            // The same fields `view_of` sets, `ptr` derived from `data` and `offset` as there.
            old.ptr = old.data.as_ptr().wrapping_add(offset * elem.size());
            old.shape = shape;
            old.strides = strides;
            old.ndim = ndim;
            old.offset = offset;
            return true;
        }
    }
    let Some(Some(from)) = regs.get(src) else {
        return false;
    };
    let view = Array::view_of(
        elem,
        layout.ndim,
        layout.shape,
        layout.strides,
        layout.offset,
        Rc::clone(&from.data),
    );
    if let Some(old) = regs[dst].replace(super::pool::new_ref(view)) {
        super::pool::recycle(old);
    }
    true
}

impl Array {
    /// `copy(self[v])` for the views [`Array::fast_view_layout`] takes, without making the
    /// view's header; `None` (nothing made) for any other.
    pub fn copy_of_view(&self, v: FastView) -> Option<ArrayRef> {
        // `copy(a[lo:hi])` of a 1-D array of unit stride: one run of its storage.
        if let (FastView::Range(lo, hi), 1, 1) = (v, self.ndim, self.strides[0]) {
            if let Ok((lo, len, _)) = slice_axis(lo, hi, 1, self.shape[0]) {
                if let Some(c) = super::pool::copy_run(self, lo as usize, len) {
                    return Some(c);
                }
            }
        }
        let l = self.fast_view_layout(v)?;
        let view = Array::view_of(
            self.elem,
            l.ndim,
            l.shape,
            l.strides,
            l.offset,
            Rc::clone(&self.data),
        );
        Some(view.copy_ref())
    }
}

/// `regs[dst] = regs[src][spec]` (as [`Array::slice`], its errors included), reusing the
/// destination's dead view as [`put_view`] does. `regs[src]` must hold an array.
pub fn slice_into(
    regs: &mut [Option<ArrayRef>],
    src: usize,
    dst: usize,
    spec: &[Index],
) -> Result<(), RtError> {
    let layout = match regs.get(src) {
        Some(Some(a)) => match spec {
            [Index::At(i)] => match a.fast_view_layout(FastView::Row(*i)) {
                Some(l) => l,
                None => a.slice_layout(spec)?,
            },
            [Index::Range(lo, hi)] => match a.fast_view_layout(FastView::Range(*lo, *hi)) {
                Some(l) => l,
                None => a.slice_layout(spec)?,
            },
            _ => a.slice_layout(spec)?,
        },
        _ => return Err(RtError::new("internal: slicing an empty array register")),
    };
    put_view(regs, src, dst, layout);
    Ok(())
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

/// `slice(lo, hi, step).indices(n)` and the slice's length, as Python computes them
/// (CPython's `PySlice_AdjustIndices`): the first position, the count and the step. A
/// negative step defaults to `n-1` down to before 0; out-of-range bounds clamp.
fn slice_axis(
    lo: Option<i64>,
    hi: Option<i64>,
    step: i64,
    n: usize,
) -> Result<(i64, usize, i64), RtError> {
    if step == 0 {
        return Err(RtError::new("slice step cannot be zero"));
    }
    let n = n as i64;
    let back = step < 0;
    let adjust = |v: Option<i64>, default: i64| match v {
        None => default,
        Some(x) if x < 0 => match x.saturating_add(n) {
            x if x < 0 => {
                if back {
                    -1
                } else {
                    0
                }
            }
            x => x,
        },
        Some(x) if x >= n => {
            if back {
                n - 1
            } else {
                n
            }
        }
        Some(x) => x,
    };
    let (lo, hi) = if back {
        (adjust(lo, n - 1), adjust(hi, -1))
    } else {
        (adjust(lo, 0), adjust(hi, n))
    };
    // Both bounds are in -1..=n now, so the differences cannot overflow.
    let len = match (back, lo.abs_diff(hi)) {
        (false, d) if lo < hi => (d - 1) / step.unsigned_abs() + 1,
        (true, d) if hi < lo => (d - 1) / step.unsigned_abs() + 1,
        _ => 0,
    };
    Ok((lo, len as usize, step))
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

    /// A view selected by `spec`: one entry per leading axis, plus any `NewAxis` entries
    /// (missing trailing axes are taken whole). `At` removes its axis; `Range`/`Stepped`
    /// clamp like Python slicing (a step may be negative: the view walks backwards, with a
    /// negative stride); `NewAxis` adds an axis of length 1. At most 3 axes result.
    pub fn slice(&self, spec: &[Index]) -> Result<Array, RtError> {
        let v = self.slice_layout(spec)?;
        Ok(Array::view_of(
            self.elem,
            v.ndim,
            v.shape,
            v.strides,
            v.offset,
            Rc::clone(&self.data),
        ))
    }

    /// The layout of `self[spec]` (see [`Array::slice`]), with its errors.
    fn slice_layout(&self, spec: &[Index]) -> Result<ViewLayout, RtError> {
        let consumed = spec.iter().filter(|i| **i != Index::NewAxis).count();
        if consumed > self.ndim {
            return Err(index_count_error(self.ndim, consumed));
        }
        let ranges = spec
            .iter()
            .filter(|i| matches!(i, Index::Range(..) | Index::Stepped(..)))
            .count();
        let out_ndim = (spec.len() - consumed) + ranges + (self.ndim - consumed);
        if out_ndim == 0 {
            return Err(RtError::new(
                "indexing every axis gives an element, not a view",
            ));
        }
        if out_ndim > 3 {
            return Err(RtError::new(format!(
                "arrays have 1 to 3 dimensions, not {out_ndim}"
            )));
        }
        let mut shape = [1usize; 3];
        let mut strides = [0isize; 3];
        let mut ndim = 0;
        // Accumulated wide: for an empty result the sum is never used (see below), so
        // strides of huge empty arrays cannot overflow it.
        let mut offset = self.offset as i128;
        let mut push = |n: usize, st: isize| {
            shape[ndim] = n;
            strides[ndim] = st;
            ndim += 1;
        };
        let mut k = 0;
        for ix in spec.iter().copied().chain((consumed..self.ndim).map(|_| Index::Range(None, None))) {
            if ix == Index::NewAxis {
                push(1, 0);
                continue;
            }
            let (n, st) = (self.shape[k], self.strides[k]);
            match ix {
                Index::At(i) => {
                    let j = norm_index(i, n, k)?;
                    offset += j as i128 * st as i128;
                }
                Index::Range(lo, hi) | Index::Stepped(lo, hi, _) => {
                    let step = match ix {
                        Index::Stepped(_, _, step) => step,
                        _ => 1,
                    };
                    let (lo, len, step) = slice_axis(lo, hi, step, n)?;
                    if len > 0 {
                        offset += lo as i128 * st as i128;
                    }
                    // With two or more elements |step| < n, so |st * step| is at most the
                    // distance between two in-bounds positions: no overflow. A length-1
                    // axis keeps its stride (it only ever multiplies index 0).
                    let st = if len > 1 { st.saturating_mul(step as isize) } else { st };
                    push(len, st);
                }
                Index::NewAxis => unreachable!("handled above"),
            }
            k += 1;
        }
        // A non-empty view's (0,0,0) is an in-bounds element of `self`, so `offset` is a
        // position in the buffer; an empty view keeps `self`'s offset (never dereferenced).
        let empty = shape[..ndim].contains(&0);
        let offset = if empty { self.offset } else { offset as usize };
        Ok(ViewLayout {
            ndim,
            shape,
            strides,
            offset,
        })
    }

    /// The layout of the common views hot code makes, without a spec list: `a[i]` (axis 0
    /// taken; `a` has 2 or 3 axes) and `a[lo:hi]` (step 1 along axis 0, bounds clamped as
    /// in Python). `None` for anything else and for every error (an index out of range):
    /// the caller then takes the general path, [`Array::slice`], which reports it.
    pub fn fast_view_layout(&self, v: FastView) -> Option<ViewLayout> {
        let (n, st) = (self.shape[0], self.strides[0]);
        // Whole arrays, not `copy_from_slice` of `ndim` entries (a `memcpy` call): entries
        // past `ndim` are shape 1, stride 0 in every array, so shifting keeps that true.
        match v {
            FastView::Row(i) => {
                if self.ndim < 2 {
                    return None;
                }
                let j = if i < 0 { i.wrapping_add(n as i64) } else { i };
                if j < 0 || j >= n as i64 {
                    return None;
                }
                let ndim = self.ndim - 1;
                let shape = [self.shape[1], self.shape[2], 1];
                let strides = [self.strides[1], self.strides[2], 0];
                // `j` is in range, so a non-empty row's (0,0,0) is an in-bounds element;
                // an empty one keeps the source's offset (as `slice`).
                let offset = if shape[..ndim].contains(&0) {
                    self.offset
                } else {
                    (self.offset as isize + j as isize * st) as usize
                };
                Some(ViewLayout {
                    ndim,
                    shape,
                    strides,
                    offset,
                })
            }
            FastView::Range(lo, hi) => {
                let (lo, len, _) = slice_axis(lo, hi, 1, n).ok()?;
                let ndim = self.ndim;
                let shape = [len, self.shape[1], self.shape[2]];
                let strides = self.strides;
                // As `slice`: an empty view keeps the source's offset (never dereferenced).
                let empty = shape[..ndim].contains(&0);
                let offset = if empty {
                    self.offset
                } else {
                    (self.offset as isize + lo as isize * st) as usize
                };
                Some(ViewLayout {
                    ndim,
                    shape,
                    strides,
                    offset,
                })
            }
        }
    }

    // ----- index arrays -------------------------------------------------------------------

    /// The storage positions `idx` selects, in order, after checking all of it: a `bool`
    /// array of this array's shape (a mask: the `true` places in C order) or an integer
    /// array on a 1-D array (its entries, negative ones counting from the end).
    fn selected(&self, idx: &Array) -> Result<Vec<usize>, RtError> {
        if idx.elem == Prim::Bool {
            if idx.ndim != self.ndim || idx.shape() != self.shape() {
                let k = (0..self.ndim.min(idx.ndim))
                    .find(|&k| idx.shape[k] != self.shape[k])
                    .unwrap_or(0);
                if idx.ndim > self.ndim {
                    return Err(index_count_error(self.ndim, idx.ndim));
                }
                return Err(RtError::new(format!(
                    "boolean index did not match indexed array along axis {k}; size of axis \
                     is {} but size of corresponding boolean axis is {}",
                    self.shape[k], idx.shape[k]
                )));
            }
            let count = idx.iter_bits().filter(|&b| b != 0).count();
            let mut out = reserve_positions(count)?;
            out.extend(
                Offsets::new(self)
                    .zip(idx.iter_bits())
                    .filter(|&(_, b)| b != 0)
                    .map(|(p, _)| p),
            );
            return Ok(out);
        }
        if !idx.elem.is_int() {
            return Err(RtError::new(
                "arrays used as indices must be of integer (or boolean) type",
            ));
        }
        if self.ndim != 1 {
            return Err(RtError::new(format!(
                "an integer index array indexes a 1-D array, not one of {} dimensions",
                self.ndim
            )));
        }
        let mut out = reserve_positions(idx.size())?;
        for b in idx.iter_bits() {
            // Integer register forms are the value as an `i64` (`u8` zero-extended).
            let j = norm_index(b as i64, self.shape[0], 0)?;
            out.push((self.offset as isize + j as isize * self.strides[0]) as usize);
        }
        Ok(out)
    }

    /// `a[idx]` with an index array: a copy of the selected elements — 1-D for a mask (in
    /// C order), of `idx`'s shape for an integer array.
    pub fn take(&self, idx: &Array) -> Result<Array, RtError> {
        let pos = self.selected(idx)?;
        let bits: Vec<u64> = pos.iter().map(|&p| self.data.load(self.elem, p)).collect();
        let n = bits.len();
        let shape: &[usize] = if idx.elem == Prim::Bool {
            &[n]
        } else {
            idx.shape()
        };
        Ok(Array::from_vec(self.elem, shape, bits))
    }

    /// `a[idx] = v` with an index array and a scalar: every selected element is set (`v`
    /// converted to this array's kind).
    pub fn put_scalar(&self, idx: &Array, v: Scalar) -> Result<(), RtError> {
        let pos = self.selected(idx)?;
        let bits = convert_bits(v.prim(), self.elem, v.to_bits());
        for p in pos {
            self.data.store(self.elem, p, bits);
        }
        Ok(())
    }

    /// `a[idx] = v` with an index array and an array: `v`'s elements, in C order, go to the
    /// selected places in order (a later one wins a repeated index, as NumPy); `v` has
    /// one element per selected place (for a mask, as a 1-D array; for an integer index
    /// array, `idx`'s shape) or a single one. Correct when `v` or `idx` overlaps `self`.
    pub fn put_array(&self, idx: &Array, v: &Array) -> Result<(), RtError> {
        let pos = self.selected(idx)?;
        let fits = v.size() == 1
            || if idx.elem == Prim::Bool {
                v.size() == pos.len() && v.ndim == 1
            } else {
                v.shape() == idx.shape()
            };
        if !fits {
            return Err(RtError::new(if idx.elem == Prim::Bool {
                format!(
                    "NumPy boolean array indexing assignment cannot assign {} input values \
                     to the {} output values where the mask is true",
                    v.size(),
                    pos.len()
                )
            } else {
                format!(
                    "shape mismatch: value array of shape {} could not be broadcast to \
                     indexing result of shape {}",
                    format_shape(v.shape()),
                    format_shape(idx.shape())
                )
            }));
        }
        // Read all of `v` before writing (it may be a view of `self`).
        let (from, to) = (v.elem, self.elem);
        let vals: Vec<u64> = v.iter_bits().map(|b| convert_bits(from, to, b)).collect();
        for (k, p) in pos.into_iter().enumerate() {
            self.data.store(self.elem, p, vals[if vals.len() == 1 { 0 } else { k }]);
        }
        Ok(())
    }
}

/// An empty position list with room for `n`, or an out-of-memory error.
fn reserve_positions(n: usize) -> Result<Vec<usize>, RtError> {
    let mut v = Vec::new();
    v.try_reserve_exact(n)
        .map_err(|_| oom(&format!("({n},)")))?;
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::array::test_util::*;
    use crate::vocab::Prim;

    /// Every field `view_of` sets, so two arrays compare as layouts over the same storage.
    fn layout_of(a: &Array) -> (usize, [usize; 3], [isize; 3], usize, usize, usize) {
        let data = Rc::as_ptr(&a.data) as usize;
        (a.ndim, a.shape, a.strides, a.offset, a.ptr as usize, data)
    }

    #[test]
    fn fast_views_match_slice_and_reuse_a_dead_view_in_place() {
        let base = Array::from_vec(Prim::I64, &[4, 3, 2], (0..24).collect());
        let rev = base.slice(&[Index::Stepped(None, None, -1)]).unwrap();
        let empty = Array::zeros(Prim::F64, &[3, 0]).unwrap();
        let flat = Array::from_vec(Prim::F64, &[5], (0..5).collect());
        for src in [&base, &rev, &empty, &flat, &base.slice(&[Index::At(1)]).unwrap()] {
            let n = src.shape[0] as i64;
            let mut views = vec![];
            for i in -n - 1..=n {
                views.push((FastView::Row(i), vec![Index::At(i)]));
            }
            for lo in [None, Some(-5), Some(-1), Some(0), Some(2), Some(9)] {
                for hi in [None, Some(-2), Some(0), Some(1), Some(3), Some(9)] {
                    views.push((FastView::Range(lo, hi), vec![Index::Range(lo, hi)]));
                }
            }
            for (fast, spec) in views {
                let general = src.slice(&spec);
                match src.fast_view_layout(fast) {
                    // Declined: an error (reported by `slice`) or a 1-D row (an element).
                    None => assert!(general.is_err() || src.ndim == 1, "{fast:?}"),
                    Some(l) => {
                        let general = general.unwrap();
                        let mut regs = vec![Some(Rc::new(src.clone())), None];
                        assert!(put_view(&mut regs, 0, 1, l));
                        let made = regs[1].clone().unwrap();
                        assert_eq!(layout_of(&made), layout_of(&general), "{fast:?}");
                        assert_eq!(made.format(), general.format());
                        // Again into the now unshared view: the same allocation, rewritten.
                        drop(made);
                        let at = Rc::as_ptr(regs[1].as_ref().unwrap());
                        assert!(put_view(&mut regs, 0, 1, l));
                        assert_eq!(Rc::as_ptr(regs[1].as_ref().unwrap()), at);
                        assert_eq!(layout_of(regs[1].as_ref().unwrap()), layout_of(&general));
                    }
                }
            }
        }
    }

    #[test]
    fn a_shared_or_foreign_destination_gets_a_new_view() {
        let m = Array::from_vec(Prim::I64, &[3, 2], (0..6).collect());
        let other = Array::from_vec(Prim::I64, &[3, 2], (10..16).collect());
        let row = |a: &Array, i| a.fast_view_layout(FastView::Row(i)).unwrap();
        let mut regs = vec![Some(Rc::new(m.clone())), Some(Rc::new(other.clone()))];
        // Another storage in the destination: replaced, the other array untouched.
        let kept = regs[1].clone().unwrap();
        assert!(put_view(&mut regs, 0, 1, row(&m, 1)));
        assert_eq!(regs[1].as_ref().unwrap().format(), "[2, 3]");
        assert_eq!(kept.format(), other.format());
        // A destination someone else holds (a variable's view): never rewritten.
        let held = regs[1].clone().unwrap();
        assert!(put_view(&mut regs, 0, 1, row(&m, 2)));
        assert_eq!(held.format(), "[2, 3]");
        assert_eq!(regs[1].as_ref().unwrap().format(), "[4, 5]");
        // Into its own register (`a = a[1:]`), then an error through `slice_into`.
        assert!(slice_into(&mut regs, 1, 1, &[Index::Range(Some(1), None)]).is_ok());
        assert_eq!(regs[1].as_ref().unwrap().format(), "[5]");
        assert_eq!(
            err(slice_into(&mut regs, 0, 1, &[Index::At(3)])),
            "index 3 is out of bounds for axis 0 with size 3"
        );
        assert!(!put_view(&mut regs, 5, 1, row(&m, 0)));
    }

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

    #[test]
    fn steps_new_axes_and_their_errors() {
        let a = i(&[0, 1, 2, 3, 4, 5]);
        let r = |lo, hi, st| a.slice(&[Index::Stepped(lo, hi, st)]).unwrap().format();
        assert_eq!(r(None, None, 2), "[0, 2, 4]");
        assert_eq!(r(None, None, -1), "[5, 4, 3, 2, 1, 0]");
        assert_eq!(r(None, None, -2), "[5, 3, 1]");
        assert_eq!(r(Some(4), Some(1), -1), "[4, 3, 2]");
        assert_eq!(r(Some(-2), None, -2), "[4, 2, 0]");
        assert_eq!(r(Some(100), Some(-100), -3), "[5, 2]");
        assert_eq!(r(Some(1), Some(4), -1), "[]");
        assert_eq!(r(None, None, 10), "[0]");
        assert_eq!(r(None, None, i64::MIN), "[5]");
        assert_eq!(
            err(a.slice(&[Index::Stepped(None, None, 0)])),
            "slice step cannot be zero"
        );
        // A reversed view writes through and is not contiguous: reshape copies.
        let rev = a.slice(&[Index::Stepped(None, None, -1)]).unwrap();
        assert_eq!(rev.strides(), &[-1]);
        assert!(!rev.is_contiguous());
        rev.set1(0, 50).unwrap();
        assert_eq!(a.get1(5), Ok(50));
        assert!(!rev.reshape(&[2, 3]).unwrap().shares_storage(&a));
        assert_eq!(rev.reshape(&[2, 3]).unwrap().format(), "[[50, 4, 3], [2, 1, 0]]");
        // Reversing twice is the original layout again.
        let back = rev.slice(&[Index::Stepped(None, None, -1)]).unwrap();
        assert!(back.is_contiguous() && back.reshape(&[6]).unwrap().shares_storage(&a));

        let m = iota2(3, 4);
        let s = m
            .slice(&[Index::Stepped(None, None, 2), Index::Range(Some(1), None)])
            .unwrap();
        assert_eq!(s.format(), "[[1, 2, 3], [9, 10, 11]]");
        let flip = m
            .slice(&[Index::Stepped(None, None, -1), Index::Stepped(None, None, -2)])
            .unwrap();
        assert_eq!(flip.format(), "[[11, 9], [7, 5], [3, 1]]");
        let col = a.slice(&[Index::Range(None, None), Index::NewAxis]).unwrap();
        assert_eq!((col.shape(), col.strides()), (&[6, 1][..], &[1, 0][..]));
        let row = a.slice(&[Index::NewAxis]).unwrap();
        assert_eq!(row.shape(), &[1, 6]);
        assert!(row.is_contiguous());
        let mid = m.slice(&[Index::Range(None, None), Index::NewAxis]).unwrap();
        assert_eq!(mid.shape(), &[3, 1, 4]);
        assert_eq!(mid.format(), "[[[0, 1, 2, 3]], [[4, 5, 6, 7]], [[8, 9, 10, 11]]]");
        assert_eq!(
            err(m.slice(&[Index::NewAxis, Index::NewAxis])),
            "arrays have 1 to 3 dimensions, not 4"
        );
        // `a[0, None]`: the element's axis is gone, a new one of length 1 is there.
        assert_eq!(a.slice(&[Index::At(1), Index::NewAxis]).unwrap().format(), "[1]");
    }

    #[test]
    fn masks_and_integer_index_arrays_copy_out_and_store_in() {
        let a = i(&[10, 20, 30, 40]);
        let mask = Array::from_bools(&[true, false, true, true]);
        assert_eq!(a.take(&mask).unwrap().format(), "[10, 30, 40]");
        let none = Array::from_bools(&[false; 4]);
        assert_eq!(a.take(&none).unwrap().format(), "[]");
        assert_eq!(
            err(a.take(&Array::from_bools(&[true, false]))),
            "boolean index did not match indexed array along axis 0; size of axis is 4 but \
             size of corresponding boolean axis is 2"
        );
        let m = iota2(2, 3);
        let mm = Array::from_vec(Prim::Bool, &[2, 3], vec![0, 1, 0, 1, 1, 0]);
        assert_eq!(m.take(&mm).unwrap().format(), "[1, 3, 4]");
        let m2 = Array::from_vec(Prim::Bool, &[2, 2], vec![1; 4]);
        assert_eq!(
            err(m.take(&m2)),
            "boolean index did not match indexed array along axis 1; size of axis is 3 but \
             size of corresponding boolean axis is 2"
        );
        // Through a reversed view: selected in the view's order.
        let rev = a.slice(&[Index::Stepped(None, None, -1)]).unwrap();
        assert_eq!(rev.take(&mask).unwrap().format(), "[40, 20, 10]");
        rev.put_scalar(&mask, Scalar::I64(0)).unwrap();
        assert_eq!(a.format(), "[0, 0, 30, 0]");
        assert_eq!(
            err(a.put_array(&mask, &i(&[1, 2]))),
            "NumPy boolean array indexing assignment cannot assign 2 input values to the 3 \
             output values where the mask is true"
        );
        a.put_array(&mask, &i(&[1, 2, 3])).unwrap();
        assert_eq!(a.format(), "[1, 0, 2, 3]");

        let idx = i(&[3, -4, 3]);
        assert_eq!(a.take(&idx).unwrap().format(), "[3, 1, 3]");
        let idx2 = Array::from_vec(Prim::I32, &[2, 2], vec![0, 1, 2, (-1i64) as u64]);
        assert_eq!(a.take(&idx2).unwrap().format(), "[[1, 0], [2, 3]]");
        assert_eq!(
            err(a.take(&i(&[0, 5]))),
            "index 5 is out of bounds for axis 0 with size 4"
        );
        assert_eq!(
            err(a.take(&f(&[0.0]))),
            "arrays used as indices must be of integer (or boolean) type"
        );
        // Repeated indices: the last write wins; nothing is written when one is bad.
        a.put_array(&idx, &i(&[7, 8, 9])).unwrap();
        assert_eq!(a.format(), "[8, 0, 2, 9]");
        assert!(a.put_scalar(&i(&[0, 9]), Scalar::I64(5)).is_err());
        assert_eq!(a.format(), "[8, 0, 2, 9]");
        assert_eq!(
            err(a.put_array(&i(&[0, 1]), &i(&[1, 2, 3]))),
            "shape mismatch: value array of shape (3,) could not be broadcast to indexing \
             result of shape (2,)"
        );
        // Overlap: `a[a_positions] = a[::-1]` reads all of the value first.
        let b = i(&[0, 1, 2]);
        let rb = b.slice(&[Index::Stepped(None, None, -1)]).unwrap();
        b.put_array(&b.copy(), &rb).unwrap();
        assert_eq!(b.format(), "[2, 1, 0]");
        // A float array stored into an int array converts as NumPy's assignment.
        b.put_array(&i(&[0]), &f(&[2.7])).unwrap();
        assert_eq!(b.get1(0), Ok(2));
    }

    /// Python slice semantics of one axis, as the list of selected positions: written as a
    /// filter over `0..n` (not as CPython's arithmetic, which `slice_axis` follows).
    fn model_range(lo: Option<i64>, hi: Option<i64>, step: i64, n: usize) -> Vec<usize> {
        let n = n as i64;
        let norm = |x: i64| if x < 0 { x + n } else { x };
        if step > 0 {
            let lo = lo.map_or(0, |x| norm(x).clamp(0, n));
            let hi = hi.map_or(n, norm);
            (0..n)
                .filter(|&k| k >= lo && k < hi && ((k - lo) as u64).is_multiple_of(step as u64))
                .map(|k| k as usize)
                .collect()
        } else {
            let lo = lo.map_or(n - 1, |x| norm(x).min(n - 1));
            let hi = hi.map_or(-1, |x| norm(x).max(-1));
            (0..n)
                .rev()
                .filter(|&k| k <= lo && k > hi && ((lo - k) as u64).is_multiple_of(step.unsigned_abs()))
                .map(|k| k as usize)
                .collect()
        }
    }

    #[test]
    fn random_views_agree_with_a_model_and_never_panic() {
        let mut rng = crate::runtime::random::Rng::new(3);
        let mut pick = |n: i64| (rng.next_u64() % n as u64) as i64;
        for _ in 0..5000 {
            let ndim = 1 + pick(3) as usize;
            let dims: Vec<i64> = (0..ndim).map(|_| pick(6)).collect();
            let base = Array::zeros(Prim::I64, &dims).unwrap();
            let n = base.size() as i64;
            base.fill_with({
                let mut k = 0u64;
                move || {
                    k += 1;
                    k
                }
            });
            // Optionally start from a transposed or reversed view so strides vary in sign.
            let a = match pick(3) {
                0 => base.transpose(),
                1 => base
                    .slice(&[Index::Stepped(None, None, -1)])
                    .unwrap()
                    .transpose(),
                _ => base.clone(),
            };
            let mut spec = Vec::new();
            let mut picks: Vec<Vec<usize>> = Vec::new();
            let mut valid = true;
            let mut new_axes = 0;
            for k in 0..a.ndim() {
                let len = a.shape()[k];
                if pick(5) == 0 {
                    spec.push(Index::NewAxis);
                    new_axes += 1;
                }
                let consumed = spec.iter().filter(|i| **i != Index::NewAxis).count();
                let bound = |pick: &mut dyn FnMut(i64) -> i64| match pick(4) {
                    0 => None,
                    _ => Some(pick(2 * len as i64 + 7) - len as i64 - 3),
                };
                match pick(4) {
                    0 if consumed == k => {
                        let i = pick(len as i64 * 2 + 3) - len as i64 - 1;
                        spec.push(Index::At(i));
                        let j = if i < 0 { i + len as i64 } else { i };
                        if j < 0 || j >= len as i64 {
                            valid = false;
                        }
                        picks.push(vec![j.max(0) as usize]);
                    }
                    1 if consumed == k => {
                        let (lo, hi) = (bound(&mut pick), bound(&mut pick));
                        spec.push(Index::Range(lo, hi));
                        picks.push(model_range(lo, hi, 1, len));
                    }
                    2 if consumed == k => {
                        let (lo, hi) = (bound(&mut pick), bound(&mut pick));
                        let step = match pick(8) {
                            0 => 0,
                            1 => i64::MIN,
                            2 => i64::MAX,
                            _ => pick(11) - 5,
                        };
                        spec.push(Index::Stepped(lo, hi, step));
                        if step == 0 {
                            valid = false;
                            picks.push(vec![]);
                        } else {
                            picks.push(model_range(lo, hi, step, len));
                        }
                    }
                    _ => picks.push((0..len).collect()),
                }
            }
            let consumed = spec.iter().filter(|i| **i != Index::NewAxis).count();
            let kept = spec
                .iter()
                .filter(|i| matches!(i, Index::Range(..) | Index::Stepped(..)))
                .count()
                + (a.ndim() - consumed);
            let out_ndim = kept + new_axes;
            let res = a.slice(&spec);
            if !valid || out_ndim == 0 || out_ndim > 3 {
                assert!(res.is_err(), "{spec:?} on {:?}", a.shape());
                continue;
            }
            let v = res.unwrap();
            assert_eq!(v.ndim(), out_ndim, "{spec:?} on {:?}", a.shape());
            let want_shape: Vec<usize> = {
                let mut out = Vec::new();
                let mut k = 0;
                for ix in spec.iter().chain(std::iter::repeat(&Index::Range(None, None))) {
                    if out.len() == out_ndim {
                        break;
                    }
                    match ix {
                        Index::NewAxis => out.push(1),
                        Index::At(_) => k += 1,
                        _ => {
                            out.push(picks[k].len());
                            k += 1;
                        }
                    }
                }
                out
            };
            assert_eq!(v.shape(), want_shape, "{spec:?} on {:?}", a.shape());
            // A non-empty view's elements lie in the buffer, whatever the signs of strides.
            assert!(v.is_empty() || v.offset() < v.storage().len());
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
            let flat = v.reshape(&[-1]).unwrap();
            assert_eq!(flat.to_vec_bits(), v.to_vec_bits());
            assert_eq!(v.ravel().to_vec_bits(), v.to_vec_bits());
            assert_eq!(v.copy().to_vec_bits(), v.to_vec_bits());
            // A view reshaped in place must be contiguous; a reversed one is copied.
            if flat.shares_storage(&v) && v.size() > 1 {
                assert!(v.is_contiguous(), "{spec:?} on {:?}: {v:?}", a.shape());
            }
        }
    }
}
