//! n-dimensional arrays (1 to 3 axes) with strided views and reference semantics.
//!
//! # Layout
//! One layout serves every tier (the interpreter now, native code and the embedding API
//! later): *data, shape, strides, owner with count*.
//! - `data: Rc<Storage>` — the owner. `Rc` is the count; [`Storage`] is a contiguous buffer
//!   of elements at their natural size (`bool`/`u8` one byte, `i32`/`f32` four, `i64`/`f64`
//!   eight; as NumPy stores them). Views share one `Storage`, so a write through any view is
//!   seen by all; the buffer is freed when the last view drops (no cycles are possible:
//!   storage holds only numbers). Elements enter and leave in register form (see
//!   [`Prim`]): every accessor converts at the boundary.
//! - `shape: [usize; 3]`, `strides: [isize; 3]` (in elements, not bytes), `ndim` in `1..=3`;
//!   entries past `ndim` are shape 1, stride 0.
//! - `offset: usize` — index in `data` of the element at all-zero indices.
//!
//! Element `(i, j, k)` lives at `data[offset + i*strides[0] + j*strides[1] + k*strides[2]]`
//! (positions in elements; native code multiplies by the element size).
//!
//! # Invariants
//! - Every in-bounds index tuple maps into `data`: for a non-empty array, `offset` (the
//!   position of element `(0,0,0)`) and `offset + Σ (shape[k]-1)·strides[k]` over any subset
//!   of axes lie in `0..data.len()`. Strides may be negative (a view with a negative step,
//!   `a[::-1]`); the position is affine in each index, so its least and greatest values over
//!   the index box are at corners, and the corners are in range. Constructors establish it
//!   with C strides; every view operation (`slice`, `transpose`, `reshape` of a contiguous
//!   array, `ravel`) selects a subset of its source's in-bounds tuples, so it is kept.
//!   Hence indexing `data` at such a position cannot panic; everything else (user indices,
//!   shapes, sizes) is checked and reported as an [`RtError`] in NumPy's wording. An empty
//!   array's layout is never dereferenced (its `offset` stays `<= data.len()`).
//! - A negatively strided array is never contiguous ([`Array::is_contiguous`]): the fast
//!   paths over one slice of words (`contig_cells`, native fusion, `reshape`/`ravel` as
//!   views) see it only through [`Offsets`](layout::Offsets) or a copy.
//! - The total element count of any array is at most [`MAX_ELEMENTS`], so index arithmetic in
//!   `i64`/`isize` cannot overflow. Allocation of user-sized arrays is fallible.
//! - Elementwise arithmetic uses the scalar functions of [`super::ops`], with the `match` on
//!   operator and element kind outside the element loop.
//! - Two `unsafe` blocks: [`Storage::cells`] of storage lent by the embedding program
//!   ([`Storage::lend`], whose contract the engine keeps), and the GEMM call of `dot` in
//!   `linalg.rs` (reads live arrays through their pointers and strides, writes a fresh one).
//!
//! # Files
//! This file holds the [`Array`] type, the field offsets native code reads
//! ([`native_layout`]), construction and ownership; the rest is one file per concern in
//! `array/`, each adding an `impl Array` block and its private helpers:
//! - `storage.rs` — [`Storage`]: owned or lent words, fallible allocation; the `unsafe`.
//! - `layout.rs` — shape checks, C strides, contiguity, iteration in logical C order, and the
//!   views that only change shape and strides (`reshape`, `transpose`, `ravel`).
//! - `index.rs` — element get/set, [`Index`] and `slice`.
//! - `kernels.rs` — elementwise operators and math, casts, [`InPlace`] operations, `fill` and
//!   `assign`.
//! - `reduce.rs` — reductions (floats summed by NumPy's pairwise summation), `cumsum` and
//!   `sort`.
//! - `linalg.rs` — `dot` / `@` of `f64` and `f32` arrays through a GEMM library.
//! - `format.rs` — the `print` form and `Debug`.
//! - `io.rs` — arrays to and from data files (`load_npy`, `save_npy`, `load_csv`,
//!   `save_csv`) over the format code of `runtime::files`.
//!
//! What compiled code relies on (the struct, [`native_layout`], `view_of` deriving `ptr`)
//! is in this file; `build.rs` fingerprints the whole folder as the runtime layout cached
//! machine code depends on.

use std::rc::Rc;

use super::error::RtError;
use super::format::format_shape;
use super::ops::Scalar;
use crate::vocab::Prim;

mod format;
mod index;
mod io;
mod kernels;
mod layout;
mod linalg;
mod pool;
mod reduce;
mod storage;

pub use index::{put_view, slice_into, FastView, Index};
pub use storage::MemoryBudget;
pub use kernels::InPlace;
pub use pool::recycle;
pub use storage::{from_raw, to_raw, OwnedWords, Storage};

use layout::{c_strides, check_shape};
use storage::{alloc_words, oom, reserve_bits};

/// Shared handle to an array (a variable of array type holds one of these).
pub type ArrayRef = Rc<Array>;

/// The largest element count of an array (2^40 words = 8 TiB). Larger requests are reported
/// as out of memory before any allocation is attempted.
pub const MAX_ELEMENTS: usize = 1 << 40;

/// An n-D view over shared [`Storage`]. `Clone` makes another view of the same elements;
/// [`Array::copy`] copies them.
///
/// `repr(C)` with the fields native code reads first, at fixed offsets (see
/// [`native_layout`]): `ptr` (the byte address of element `(0,0,0)`, i.e. `data[offset]`),
/// the shape, the strides (in elements) and `ndim`.
#[derive(Clone)]
#[repr(C)]
pub struct Array {
    ptr: *const u8,
    shape: [usize; 3],
    strides: [isize; 3],
    ndim: usize,
    elem: Prim,
    offset: usize,
    data: Rc<Storage>,
}

/// Byte offsets of the fields native code reads inline: `(ptr, shape, strides, ndim)`, and
/// those it compares or rewrites when it makes a row view in place (`elem`, one byte of
/// `Prim`'s `repr(u8)`; `offset`; `data`, the storage's `Rc` pointer).
pub mod native_layout {
    use super::Array;
    pub const PTR: i32 = std::mem::offset_of!(Array, ptr) as i32;
    pub const SHAPE: i32 = std::mem::offset_of!(Array, shape) as i32;
    pub const STRIDES: i32 = std::mem::offset_of!(Array, strides) as i32;
    pub const NDIM: i32 = std::mem::offset_of!(Array, ndim) as i32;
    pub const ELEM: i32 = std::mem::offset_of!(Array, elem) as i32;
    pub const OFFSET: i32 = std::mem::offset_of!(Array, offset) as i32;
    pub const DATA: i32 = std::mem::offset_of!(Array, data) as i32;
    const _: () = assert!(std::mem::size_of::<super::Prim>() == 1);
    const _: () = assert!(std::mem::size_of::<std::rc::Rc<super::Storage>>() == 8);
}

impl Array {
    // ----- constructors -----------------------------------------------------------------

    fn from_words(elem: Prim, ndim: usize, shape: [usize; 3], words: OwnedWords) -> Array {
        let strides = c_strides(ndim, &shape);
        let data = Rc::new(Storage::owned(words));
        Array::view_of(elem, ndim, shape, strides, 0, data)
    }

    /// An array over lent storage with the given shape and strides (in elements), or `None`
    /// unless every in-bounds index maps into `data` with non-negative strides (element
    /// `(0,0,0)` is `data[0]`; the engine lends negatively strided arrays as copies).
    pub fn over_lent(
        elem: Prim,
        shape: &[usize],
        strides: &[isize],
        data: Rc<Storage>,
    ) -> Option<Array> {
        let ndim = shape.len();
        if !(1..=3).contains(&ndim)
            || strides.len() != ndim
            || strides.iter().any(|&s| s < 0)
            || data.width() != elem.size()
        {
            return None;
        }
        let total = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d))?;
        if total > MAX_ELEMENTS {
            return None;
        }
        // The last element's position must be inside the buffer.
        let mut last = 0usize;
        for (&d, &st) in shape.iter().zip(strides) {
            last = last.checked_add(d.saturating_sub(1).checked_mul(st as usize)?)?;
        }
        if total > 0 && last >= data.len() {
            return None;
        }
        let (mut dims, mut st) = ([1usize; 3], [0isize; 3]);
        dims[..ndim].copy_from_slice(shape);
        st[..ndim].copy_from_slice(strides);
        Some(Array::view_of(elem, ndim, dims, st, 0, data))
    }

    /// The elements as one C-order buffer at their natural width without copying when this
    /// array is the only view of owned storage that it fills exactly; otherwise the array
    /// back.
    pub fn take_contiguous(self) -> Result<OwnedWords, Array> {
        let whole = self.offset == 0 && self.is_contiguous() && self.size() == self.data.len();
        if !whole || self.data.is_lent() {
            return Err(self);
        }
        let Array { data, .. } = self;
        match Rc::try_unwrap(data) {
            Ok(st) => match st.into_owned() {
                Ok(v) => Ok(v),
                Err(st) => unreachable!("checked above: {st:?} is owned"),
            },
            Err(data) => Err(Array { data, ..self }),
        }
    }

    /// The one place an `Array` is assembled: `ptr` is derived here from `data` and `offset`,
    /// so it always agrees with them.
    pub(super) fn view_of(
        elem: Prim,
        ndim: usize,
        shape: [usize; 3],
        strides: [isize; 3],
        offset: usize,
        data: Rc<Storage>,
    ) -> Array {
        Array {
            ptr: data.as_ptr().wrapping_add(offset * elem.size()),
            shape,
            strides,
            ndim,
            elem,
            offset,
            data,
        }
    }

    /// Gives this header a new layout over its own storage, `ptr` derived as in
    /// [`Array::view_of`] (for the pool, which reuses headers).
    pub(super) fn set_layout(
        &mut self,
        elem: Prim,
        ndim: usize,
        shape: [usize; 3],
        strides: [isize; 3],
        offset: usize,
    ) {
        self.ptr = self.data.as_ptr().wrapping_add(offset * elem.size());
        self.shape = shape;
        self.strides = strides;
        self.ndim = ndim;
        self.elem = elem;
        self.offset = offset;
    }

    /// A new contiguous array with the shape of `like` holding `bits`.
    pub(super) fn with_shape_of(like: &Array, elem: Prim, bits: Vec<u64>) -> Array {
        Array::from_words(elem, like.ndim, like.shape, OwnedWords::pack(elem, bits))
    }

    /// An array of `elem` zeros (`0`, `0.0` or `false`). Errors on a negative dimension, on
    /// 0 or more than 3 dimensions, and when the array cannot be allocated.
    pub fn zeros(elem: Prim, shape: &[i64]) -> Result<Array, RtError> {
        let (ndim, dims, total) = check_shape(shape)?;
        let words = alloc_words(elem, total, 0, || format_shape(shape))?;
        Ok(Array::from_words(elem, ndim, dims, words))
    }

    /// An array filled with `v`, of `v`'s kind.
    pub fn full(shape: &[i64], v: Scalar) -> Result<Array, RtError> {
        let (ndim, dims, total) = check_shape(shape)?;
        let words = alloc_words(v.prim(), total, v.to_bits(), || format_shape(shape))?;
        Ok(Array::from_words(v.prim(), ndim, dims, words))
    }

    /// An array over `data`, register forms of `elem` (C order). The shape must have 1 to 3
    /// dimensions whose product is `data.len()`; a caller that breaks this gets a 1-D array
    /// over all of `data` (and a debug assertion).
    pub fn from_vec(elem: Prim, shape: &[usize], data: Vec<u64>) -> Array {
        let n = data.len();
        Array::from_owned(elem, shape, OwnedWords::pack(elem, data), n)
    }

    /// An array over `words` of `elem`'s width holding `n` elements (C order); the shape
    /// rule of [`Array::from_vec`]. Words of another width are packed first.
    pub fn from_owned(elem: Prim, shape: &[usize], words: OwnedWords, n: usize) -> Array {
        let words = match (&words, elem.size()) {
            (OwnedWords::W1(_), 1) | (OwnedWords::W4(_), 4) | (OwnedWords::W8(_), 8) => words,
            _ => {
                debug_assert!(false, "Array::from_owned: {words:?} for {elem:?}");
                OwnedWords::pack(elem, vec![0; n])
            }
        };
        let n = words.len();
        let ok = (1..=3).contains(&shape.len())
            && shape
                .iter()
                .try_fold(1usize, |acc, &d| acc.checked_mul(d))
                .is_some_and(|m| m == n);
        debug_assert!(ok, "Array::from_owned: shape {shape:?} for {n} elements");
        let mut dims = [1usize; 3];
        let ndim = if ok {
            dims[..shape.len()].copy_from_slice(shape);
            shape.len()
        } else {
            dims[0] = n;
            1
        };
        Array::from_words(elem, ndim, dims, words)
    }

    /// A 1-D `f64` array.
    pub fn from_f64s(xs: &[f64]) -> Array {
        Array::from_vec(
            Prim::F64,
            &[xs.len()],
            xs.iter().map(|x| x.to_bits()).collect(),
        )
    }

    /// A 1-D `i64` array.
    pub fn from_i64s(xs: &[i64]) -> Array {
        Array::from_vec(
            Prim::I64,
            &[xs.len()],
            xs.iter().map(|&x| x as u64).collect(),
        )
    }

    /// A run-time string: the 1-D `u8` array of its UTF-8 bytes.
    pub fn from_text(text: &str) -> Array {
        Array::from_vec(
            Prim::U8,
            &[text.len()],
            text.bytes().map(u64::from).collect(),
        )
    }

    /// The bytes a run-time string (a `u8` array of UTF-8 bytes) holds.
    pub fn text_bytes(&self) -> Vec<u8> {
        self.iter_bits().map(|b| b as u8).collect()
    }

    /// The text a run-time string holds.
    pub fn text(&self) -> Result<String, RtError> {
        String::from_utf8(self.text_bytes())
            .map_err(|_| RtError::new("a string must be UTF-8 text"))
    }

    /// A 1-D `bool` array.
    pub fn from_bools(xs: &[bool]) -> Array {
        Array::from_vec(
            Prim::Bool,
            &[xs.len()],
            xs.iter().map(|&x| x as u64).collect(),
        )
    }

    /// `arange(a, b, step)` on integers: `a, a+step, ...` up to but excluding `b`.
    pub fn arange_i64(a: i64, b: i64, step: i64) -> Result<Array, RtError> {
        if step == 0 {
            return Err(RtError::new("arange step must not be zero"));
        }
        let (a_w, b_w, s_w) = (a as i128, b as i128, step as i128);
        let span = b_w - a_w;
        // ceil(span / step) for either sign of step.
        let mut n = span / s_w;
        if span % s_w != 0 && ((span < 0) == (s_w < 0)) {
            n += 1;
        }
        let n = n.max(0);
        if n > MAX_ELEMENTS as i128 {
            return Err(oom(&format!("({n},)")));
        }
        let n = n as usize;
        let mut bits = reserve_bits(Prim::I64, n, || format!("({n},)"))?;
        let mut v = a;
        for _ in 0..n {
            bits.push(v as u64);
            v = v.wrapping_add(step);
        }
        Ok(Array::from_vec(Prim::I64, &[n], bits))
    }

    /// `arange(a, b, step)` on floats, as NumPy: length `ceil((b - a) / step)` (at least 0),
    /// element `i` is `a + i * ((a + step) - a)`.
    pub fn arange_f64(a: f64, b: f64, step: f64) -> Result<Array, RtError> {
        if step == 0.0 {
            return Err(RtError::new("arange step must not be zero"));
        }
        let len = ((b - a) / step).ceil();
        if !len.is_finite() {
            return Err(RtError::new("arange: cannot compute length"));
        }
        let len = if len > 0.0 { len } else { 0.0 };
        if len > MAX_ELEMENTS as f64 {
            return Err(oom(&format!("({},)", len as u64)));
        }
        let n = len as usize;
        let delta = (a + step) - a;
        let mut bits = reserve_bits(Prim::F64, n, || format!("({n},)"))?;
        for i in 0..n {
            let x = if i == 0 { a } else { a + i as f64 * delta };
            bits.push(x.to_bits());
        }
        Ok(Array::from_vec(Prim::F64, &[n], bits))
    }

    /// A contiguous copy with its own storage.
    pub fn copy(&self) -> Array {
        // At the elements' width in one pass, a contiguous array read as one slice.
        kernels::map1_to(self, self.elem, |x| x)
    }

    /// [`Array::copy`] in a new reference: a header and a buffer the thread's pool kept
    /// (see `pool.rs`) when it has them.
    pub fn copy_ref(&self) -> ArrayRef {
        kernels::copy_ref(self)
    }

    // ----- element kind and ownership -----------------------------------------------------

    /// Element kind.
    pub fn elem(&self) -> Prim {
        self.elem
    }

    /// The storage, if the embedding program lent it (to check that the loan has ended).
    pub fn lent_storage(&self) -> Option<std::rc::Weak<Storage>> {
        self.data.is_lent().then(|| Rc::downgrade(&self.data))
    }

    /// The shared owner of the elements.
    pub fn storage(&self) -> &Rc<Storage> {
        &self.data
    }

    /// This array's layout over `data`, another handle to the same elements (see
    /// [`Storage::unowned`]).
    pub fn with_storage(&self, data: Rc<Storage>) -> Array {
        debug_assert_eq!(data.as_ptr(), self.data.as_ptr());
        Array {
            ptr: self.ptr,
            shape: self.shape,
            strides: self.strides,
            ndim: self.ndim,
            elem: self.elem,
            offset: self.offset,
            data,
        }
    }

    /// Whether two arrays are views of the same storage.
    pub fn shares_storage(&self, other: &Array) -> bool {
        Rc::ptr_eq(&self.data, &other.data)
    }
}

/// Constructors and error extraction shared by the unit tests of the array files.
#[cfg(test)]
mod test_util {
    use super::*;
    use std::fmt;

    pub(super) fn f(xs: &[f64]) -> Array {
        Array::from_f64s(xs)
    }
    pub(super) fn i(xs: &[i64]) -> Array {
        Array::from_i64s(xs)
    }
    /// A 2-D i64 array `rows x cols` holding 0, 1, 2, ... in C order.
    pub(super) fn iota2(rows: usize, cols: usize) -> Array {
        Array::from_vec(
            Prim::I64,
            &[rows, cols],
            (0..(rows * cols) as u64).collect(),
        )
    }
    pub(super) fn err<T: fmt::Debug>(r: Result<T, RtError>) -> String {
        r.expect_err("expected an error").msg
    }
}

#[cfg(test)]
mod tests {
    use super::test_util::*;
    use super::*;

    #[test]
    fn zeros_full_and_shapes() {
        let a = Array::zeros(Prim::F64, &[2, 3]).unwrap();
        assert_eq!(a.shape(), &[2, 3]);
        assert_eq!(a.strides(), &[3, 1]);
        assert_eq!((a.len(), a.size(), a.ndim()), (2, 6, 2));
        assert_eq!(a.format(), "[[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]");
        let b = Array::full(&[3], Scalar::I64(7)).unwrap();
        assert_eq!(b.elem(), Prim::I64);
        assert_eq!(b.format(), "[7, 7, 7]");
        let c = Array::full(&[2], Scalar::Bool(true)).unwrap();
        assert_eq!(c.format(), "[true, true]");
        assert_eq!(
            err(Array::zeros(Prim::F64, &[2, -3])),
            "negative dimension -3 in array shape"
        );
        assert_eq!(
            err(Array::zeros(Prim::F64, &[1, 2, 3, 4])),
            "arrays have 1 to 3 dimensions, not 4"
        );
        assert_eq!(Array::zeros(Prim::F64, &[0]).unwrap().format(), "[]");
        assert_eq!(
            Array::zeros(Prim::I64, &[2, 0]).unwrap().format(),
            "[[], []]"
        );
        assert_eq!(Array::zeros(Prim::I64, &[0, 2]).unwrap().format(), "[]");
        // A zero dimension makes any other dimension harmless.
        assert_eq!(Array::zeros(Prim::I64, &[0, i64::MAX]).unwrap().size(), 0);
    }

    #[test]
    fn arange_lengths_follow_numpy() {
        assert_eq!(
            Array::arange_i64(0, 5, 1).unwrap().format(),
            "[0, 1, 2, 3, 4]"
        );
        assert_eq!(Array::arange_i64(1, 10, 3).unwrap().format(), "[1, 4, 7]");
        assert_eq!(Array::arange_i64(10, 1, -3).unwrap().format(), "[10, 7, 4]");
        assert_eq!(Array::arange_i64(5, 0, 1).unwrap().format(), "[]");
        assert_eq!(
            Array::arange_i64(i64::MAX - 2, i64::MAX, 1)
                .unwrap()
                .to_vec_bits(),
            vec![(i64::MAX - 2) as u64, (i64::MAX - 1) as u64]
        );
        assert_eq!(
            err(Array::arange_i64(0, 5, 0)),
            "arange step must not be zero"
        );
        assert_eq!(
            Array::arange_f64(0.0, 1.0, 0.25).unwrap().format(),
            "[0.0, 0.25, 0.5, 0.75]"
        );
        // numpy: np.arange(0, 1, 0.1) has 10 elements, the last 0.9.
        let a = Array::arange_f64(0.0, 1.0, 0.1).unwrap();
        assert_eq!(a.len(), 10);
        assert_eq!(
            a.format(),
            "[0.0, 0.1, 0.2, 0.30000000000000004, 0.4, 0.5, 0.6000000000000001, \
             0.7000000000000001, 0.8, 0.9]"
        );
        assert_eq!(Array::arange_f64(1.0, 0.0, 0.5).unwrap().len(), 0);
        assert_eq!(
            Array::arange_f64(1.0, 0.0, -0.5).unwrap().format(),
            "[1.0, 0.5]"
        );
        assert_eq!(
            err(Array::arange_f64(0.0, 1.0, 0.0)),
            "arange step must not be zero"
        );
        assert!(Array::arange_f64(0.0, f64::INFINITY, 1.0).is_err());
        assert!(Array::arange_f64(0.0, f64::NAN, 1.0).is_err());
    }

    #[test]
    fn a_unique_whole_buffer_is_taken_without_copying_and_a_view_is_not() {
        let a = Array::from_vec(Prim::I64, &[2, 3], (0..6).collect());
        let p = a.data.as_ptr() as usize;
        let Ok(OwnedWords::W8(words)) = a.take_contiguous() else {
            panic!("not taken as 8-byte words")
        };
        let bits: Vec<u64> = words.iter().map(|c| c.get()).collect();
        assert_eq!(bits, (0..6).collect::<Vec<u64>>());
        assert_eq!(words.as_ptr() as usize, p, "copied");
        // A second view shares the storage: not taken.
        let a = Array::from_vec(Prim::I64, &[4], vec![1, 2, 3, 4]);
        let b = a.clone();
        let a = a.take_contiguous().unwrap_err();
        drop(b);
        // A part of the buffer: not taken.
        let tail = a.slice(&[Index::Range(Some(1), None)]).unwrap();
        drop(a);
        assert_eq!(
            tail.take_contiguous().unwrap_err().to_vec_bits(),
            vec![2, 3, 4]
        );
    }
}
