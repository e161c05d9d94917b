//! n-dimensional arrays (1 to 3 axes) with strided views and reference semantics.
//!
//! # Layout
//! One layout serves every tier (the interpreter now, native code and the embedding API
//! later): *data, shape, strides, owner with count*.
//! - `data: Rc<Storage>` — the owner. `Rc` is the count; [`Storage`] is a contiguous buffer
//!   of 64-bit words (`Cell<u64>`): an `f64` as its IEEE bits, an `i64` in two's complement,
//!   a `bool` as 0 or 1. Views share one `Storage`, so a write through any view is seen by
//!   all; the buffer is freed when the last view drops (no cycles are possible: storage holds
//!   only numbers).
//! - `shape: [usize; 3]`, `strides: [isize; 3]` (in elements, not bytes), `ndim` in `1..=3`;
//!   entries past `ndim` are shape 1, stride 0.
//! - `offset: usize` — index in `data` of the element at all-zero indices.
//!
//! Element `(i, j, k)` lives at `data[offset + i*strides[0] + j*strides[1] + k*strides[2]]`.
//!
//! # Invariants
//! - Every in-bounds index tuple maps into `data` (established by every constructor and view
//!   operation; strides are never negative). Hence indexing `data` at such a position cannot
//!   panic; everything else (user indices, shapes, sizes) is checked and reported as an
//!   [`RtError`] in NumPy's wording.
//! - The total element count of any array is at most [`MAX_ELEMENTS`], so index arithmetic in
//!   `i64`/`isize` cannot overflow. Allocation of user-sized arrays is fallible.
//! - Elementwise arithmetic uses the scalar functions of [`super::ops`], with the `match` on
//!   operator and element kind outside the element loop.
//! - One `unsafe` block: [`Storage::cells`] of storage lent by the embedding program
//!   ([`Storage::lend`], whose contract the engine keeps).

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;
use std::rc::Rc;

use super::error::RtError;
use super::format::{format_scalar, format_shape};
use super::ops::{
    binop_in_int, binop_result, convert_bits, float_binop_bits, float_maximum, float_minimum,
    int_abs, int_binop_bits, math1, Scalar,
};
use crate::vocab::{BinOp, MathFn, MathFn2, Prim};

/// Shared handle to an array (a variable of array type holds one of these).
pub type ArrayRef = Rc<Array>;

/// The largest element count of an array (2^40 words = 8 TiB). Larger requests are reported
/// as out of memory before any allocation is attempted.
pub const MAX_ELEMENTS: usize = 1 << 40;

/// The owner of an array's elements: one contiguous buffer of 64-bit words.
#[derive(Debug)]
pub struct Storage {
    cells: Cells,
}

#[derive(Debug)]
enum Cells {
    Owned(Vec<Cell<u64>>),
    /// Words of the embedding program, lent for one call (see [`Storage::lend`]).
    Lent {
        ptr: std::ptr::NonNull<Cell<u64>>,
        len: usize,
    },
}

impl Storage {
    /// Storage over `len` words at `ptr` that belong to someone else (an `ndarray` the
    /// embedding program passes by `&mut`): nk reads and writes them in place.
    ///
    /// # Safety
    /// `ptr` must be valid for reads and writes of `len` 8-byte words, and nothing else may
    /// access them, for as long as this `Storage` lives. (The engine lends memory only for
    /// the duration of one call and checks that the storage is dropped before it returns.)
    #[allow(unsafe_code)]
    pub unsafe fn lend(ptr: std::ptr::NonNull<u64>, len: usize) -> Storage {
        Storage {
            cells: Cells::Lent {
                ptr: ptr.cast(),
                len,
            },
        }
    }

    /// All words of the buffer, in memory order.
    #[allow(unsafe_code)]
    pub fn cells(&self) -> &[Cell<u64>] {
        match &self.cells {
            Cells::Owned(v) => v,
            // SAFETY: `lend`'s contract: `len` words at `ptr` are valid and ours alone while
            // `self` lives; `Cell<u64>` has the layout of `u64`, and all access is through
            // `Cell`, so shared references to the slice are sound.
            Cells::Lent { ptr, len } => unsafe { std::slice::from_raw_parts(ptr.as_ptr(), *len) },
        }
    }
    /// Number of words in the buffer.
    pub fn len(&self) -> usize {
        self.cells().len()
    }
    pub fn is_empty(&self) -> bool {
        self.cells().is_empty()
    }
    /// Address of the first word (for native code; reading it needs the owner kept alive).
    pub fn as_ptr(&self) -> *const Cell<u64> {
        self.cells().as_ptr()
    }
    /// Whether the words are lent by the embedding program.
    pub fn is_lent(&self) -> bool {
        matches!(self.cells, Cells::Lent { .. })
    }
}

/// One index of a slicing expression: `At(i)` selects (and removes) an axis, `Range(lo, hi)`
/// is `lo:hi` with Python's defaults and clamping.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Index {
    At(i64),
    Range(Option<i64>, Option<i64>),
}

/// An n-D view over shared [`Storage`]. `Clone` makes another view of the same elements;
/// [`Array::copy`] copies them.
///
/// `repr(C)` with the fields native code reads first, at fixed offsets (see
/// [`native_layout`]): `ptr` (the address of element `(0,0,0)`, i.e. `data[offset]`), the
/// shape, the strides and `ndim`.
#[derive(Clone)]
#[repr(C)]
pub struct Array {
    ptr: *const Cell<u64>,
    shape: [usize; 3],
    strides: [isize; 3],
    ndim: usize,
    elem: Prim,
    offset: usize,
    data: Rc<Storage>,
}

/// Byte offsets of the fields native code reads inline: `(ptr, shape, strides, ndim)`.
pub mod native_layout {
    use super::Array;
    pub const PTR: i32 = std::mem::offset_of!(Array, ptr) as i32;
    pub const SHAPE: i32 = std::mem::offset_of!(Array, shape) as i32;
    pub const STRIDES: i32 = std::mem::offset_of!(Array, strides) as i32;
    pub const NDIM: i32 = std::mem::offset_of!(Array, ndim) as i32;
}

fn oom(shape: &str) -> RtError {
    RtError::new(format!(
        "cannot allocate array of shape {shape}: out of memory"
    ))
}

fn dims_error(n: usize) -> RtError {
    RtError::new(format!("arrays have 1 to 3 dimensions, not {n}"))
}

/// Checks a user-given shape: 1..=3 non-negative dims with at most [`MAX_ELEMENTS`] elements.
fn check_shape(shape: &[i64]) -> Result<(usize, [usize; 3], usize), RtError> {
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

/// Physical memory in bytes (Linux: `MemTotal` of /proc/meminfo), read once; `None` if unknown.
fn physical_memory() -> Option<u64> {
    static MEM: std::sync::OnceLock<Option<u64>> = std::sync::OnceLock::new();
    *MEM.get_or_init(|| {
        let info = std::fs::read_to_string("/proc/meminfo").ok()?;
        let line = info.lines().find(|l| l.starts_with("MemTotal:"))?;
        let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        kib.checked_mul(1024)
    })
}

/// Allocates `n` words set to `fill`, reporting allocation failure as an error. A request
/// larger than the machine's physical memory is refused up front: with overcommit the
/// allocation could succeed and the process be killed while filling it.
fn alloc_cells(n: usize, fill: u64, shape: &str) -> Result<Vec<Cell<u64>>, RtError> {
    let mut v = reserve_cells(n, shape)?;
    v.resize(n, Cell::new(fill));
    Ok(v)
}

/// An empty buffer with room for `n` words (see [`alloc_cells`] for the limits).
fn reserve_cells(n: usize, shape: &str) -> Result<Vec<Cell<u64>>, RtError> {
    if physical_memory().is_some_and(|m| (n as u64).saturating_mul(8) > m) {
        return Err(oom(shape));
    }
    let mut v: Vec<Cell<u64>> = Vec::new();
    v.try_reserve_exact(n).map_err(|_| oom(shape))?;
    Ok(v)
}

fn c_strides(ndim: usize, shape: &[usize; 3]) -> [isize; 3] {
    let mut strides = [0isize; 3];
    let mut acc: isize = 1;
    for k in (0..ndim).rev() {
        strides[k] = acc;
        acc = acc.saturating_mul(shape[k] as isize);
    }
    strides
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

/// Storage positions of an array's elements in logical C order.
#[derive(Clone, Debug)]
struct Offsets {
    ndim: usize,
    shape: [usize; 3],
    strides: [isize; 3],
    idx: [usize; 3],
    pos: isize,
    left: usize,
}

impl Offsets {
    fn new(a: &Array) -> Offsets {
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

/// The elements of an array in logical C order, as stored words.
pub struct BitsIter<'a> {
    inner: BitsInner<'a>,
}

enum BitsInner<'a> {
    Contig(std::slice::Iter<'a, Cell<u64>>),
    Strided(&'a [Cell<u64>], Offsets),
}

impl Iterator for BitsIter<'_> {
    type Item = u64;
    #[inline]
    fn next(&mut self) -> Option<u64> {
        match &mut self.inner {
            BitsInner::Contig(it) => it.next().map(Cell::get),
            BitsInner::Strided(cells, offs) => offs.next().map(|o| cells[o].get()),
        }
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        match &self.inner {
            BitsInner::Contig(it) => it.size_hint(),
            BitsInner::Strided(_, offs) => offs.size_hint(),
        }
    }
}

impl ExactSizeIterator for BitsIter<'_> {}

// ---------------------------------------------------------------------------------------
// Elementwise drivers: the kernel picks the closure (operator and kind matched once), the
// driver runs it over array/array or array/scalar operands.

/// `run` and `try_run` walk the operands the same way but stay separate on purpose: a
/// plain `collect` keeps the exact-size, vectorizable fast path, which collecting into a
/// `Result` loses — and only integer `//`, `%` and `**` can fail.
trait Driver {
    fn run<F: Fn(u64, u64) -> u64>(&self, f: F) -> Vec<u64>;
    fn try_run<F: Fn(u64, u64) -> Result<u64, RtError>>(&self, f: F) -> Result<Vec<u64>, RtError>;
}

/// Two arrays of the same shape.
struct ArrArr<'a>(&'a Array, &'a Array);

/// An array and a scalar word; `left` puts the scalar on the left of the operator.
struct ArrScalar<'a> {
    a: &'a Array,
    s: u64,
    left: bool,
}

fn map1<F: Fn(u64) -> u64>(a: &Array, f: F) -> Vec<u64> {
    match a.contig_cells() {
        Some(xs) => xs.iter().map(|x| f(x.get())).collect(),
        None => a.iter_bits().map(f).collect(),
    }
}

fn try_map1<F: Fn(u64) -> Result<u64, RtError>>(a: &Array, f: F) -> Result<Vec<u64>, RtError> {
    match a.contig_cells() {
        Some(xs) => xs.iter().map(|x| f(x.get())).collect(),
        None => a.iter_bits().map(f).collect(),
    }
}

impl Driver for ArrArr<'_> {
    fn run<F: Fn(u64, u64) -> u64>(&self, f: F) -> Vec<u64> {
        match (self.0.contig_cells(), self.1.contig_cells()) {
            (Some(xs), Some(ys)) => xs
                .iter()
                .zip(ys)
                .map(|(x, y)| f(x.get(), y.get()))
                .collect(),
            _ => self
                .0
                .iter_bits()
                .zip(self.1.iter_bits())
                .map(|(x, y)| f(x, y))
                .collect(),
        }
    }
    fn try_run<F: Fn(u64, u64) -> Result<u64, RtError>>(&self, f: F) -> Result<Vec<u64>, RtError> {
        match (self.0.contig_cells(), self.1.contig_cells()) {
            (Some(xs), Some(ys)) => xs
                .iter()
                .zip(ys)
                .map(|(x, y)| f(x.get(), y.get()))
                .collect(),
            _ => self
                .0
                .iter_bits()
                .zip(self.1.iter_bits())
                .map(|(x, y)| f(x, y))
                .collect(),
        }
    }
}

impl Driver for ArrScalar<'_> {
    fn run<F: Fn(u64, u64) -> u64>(&self, f: F) -> Vec<u64> {
        let s = self.s;
        if self.left {
            map1(self.a, |x| f(s, x))
        } else {
            map1(self.a, |x| f(x, s))
        }
    }
    fn try_run<F: Fn(u64, u64) -> Result<u64, RtError>>(&self, f: F) -> Result<Vec<u64>, RtError> {
        let s = self.s;
        if self.left {
            try_map1(self.a, |x| f(s, x))
        } else {
            try_map1(self.a, |x| f(x, s))
        }
    }
}

#[inline(always)]
fn fv(x: u64) -> f64 {
    f64::from_bits(x)
}

#[inline(always)]
fn iv(x: u64) -> i64 {
    x as i64
}

/// `op` over integer (or bool 0/1) operands; the result words are `i64` or bool. Each arm
/// calls the scalar definition ([`int_binop_bits`]) with a constant operator, so the match
/// folds away inside the loop and scalar and array results cannot differ.
fn int_kernel<D: Driver>(op: BinOp, d: &D) -> Result<Vec<u64>, RtError> {
    macro_rules! total {
        ($op:ident) => {
            // Only `//`, `%` and `**` can fail; these arms never do.
            d.run(|x, y| int_binop_bits(BinOp::$op, iv(x), iv(y)).unwrap_or(0))
        };
    }
    macro_rules! fallible {
        ($op:ident) => {
            d.try_run(|x, y| int_binop_bits(BinOp::$op, iv(x), iv(y)))?
        };
    }
    Ok(match op {
        BinOp::Add => total!(Add),
        BinOp::Sub => total!(Sub),
        BinOp::Mul => total!(Mul),
        BinOp::Div => total!(Div),
        BinOp::FloorDiv => fallible!(FloorDiv),
        BinOp::Mod => fallible!(Mod),
        BinOp::Pow => fallible!(Pow),
        BinOp::Lt => total!(Lt),
        BinOp::Le => total!(Le),
        BinOp::Gt => total!(Gt),
        BinOp::Ge => total!(Ge),
        BinOp::Eq => total!(Eq),
        BinOp::Ne => total!(Ne),
    })
}

/// `op` over `f64` operands; the result words are `f64` or bool. As [`int_kernel`], each arm
/// calls the scalar definition ([`float_binop_bits`]) with a constant operator.
fn float_kernel<D: Driver>(op: BinOp, d: &D) -> Vec<u64> {
    macro_rules! arm {
        ($op:ident) => {
            d.run(|x, y| float_binop_bits(BinOp::$op, fv(x), fv(y)))
        };
    }
    match op {
        BinOp::Add => arm!(Add),
        BinOp::Sub => arm!(Sub),
        BinOp::Mul => arm!(Mul),
        BinOp::Div => arm!(Div),
        BinOp::FloorDiv => arm!(FloorDiv),
        BinOp::Mod => arm!(Mod),
        BinOp::Pow => arm!(Pow),
        BinOp::Lt => arm!(Lt),
        BinOp::Le => arm!(Le),
        BinOp::Gt => arm!(Gt),
        BinOp::Ge => arm!(Ge),
        BinOp::Eq => arm!(Eq),
        BinOp::Ne => arm!(Ne),
    }
}

/// Two-argument math over `f64` operands.
fn float_math2_kernel<D: Driver>(f: MathFn2, d: &D) -> Vec<u64> {
    match f {
        MathFn2::Atan2 => d.run(|y, x| fv(y).atan2(fv(x)).to_bits()),
        MathFn2::Pow => d.run(|x, y| fv(x).powf(fv(y)).to_bits()),
        MathFn2::Minimum => d.run(|x, y| float_minimum(fv(x), fv(y)).to_bits()),
        MathFn2::Maximum => d.run(|x, y| float_maximum(fv(x), fv(y)).to_bits()),
    }
}

/// `minimum`/`maximum` over integer operands (the only two-argument math that keeps `i64`).
fn int_math2_kernel<D: Driver>(f: MathFn2, d: &D) -> Vec<u64> {
    if f == MathFn2::Minimum {
        d.run(|x, y| iv(x).min(iv(y)) as u64)
    } else {
        d.run(|x, y| iv(x).max(iv(y)) as u64)
    }
}

/// An operand of [`Array::binop_in_place`].
#[derive(Clone, Copy)]
pub enum InPlace<'a> {
    Array(&'a Array),
    Scalar(Scalar),
}

/// The loop of [`Array::binop_in_place`]: `cells[i] = f(cells[i], other[i])` (or with the
/// operands swapped), the other operand read as `f64`.
#[inline(always)]
fn in_place_kernel(
    cells: &[Cell<u64>],
    other: InPlace<'_>,
    into_left: bool,
    f: impl Fn(f64, f64) -> u64,
) {
    let apply = |c: &Cell<u64>, y: f64| {
        let t = fv(c.get());
        c.set(if into_left { f(t, y) } else { f(y, t) });
    };
    match other {
        InPlace::Scalar(s) => {
            let y = s.as_f64();
            cells.iter().for_each(|c| apply(c, y));
        }
        InPlace::Array(o) => match (o.elem, o.contig_cells()) {
            (Prim::F64, Some(ys)) => cells
                .iter()
                .zip(ys)
                .for_each(|(c, y)| apply(c, fv(y.get()))),
            (p, _) => cells
                .iter()
                .zip(o.iter_bits())
                .for_each(|(c, y)| apply(c, Scalar::from_bits(p, y).as_f64())),
        },
    }
}

fn shape_mismatch(a: &Array, b: &Array) -> RtError {
    RtError::new(format!(
        "shape mismatch: operands have shapes {} and {}",
        format_shape(a.shape()),
        format_shape(b.shape())
    ))
}

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
    // ----- constructors -----------------------------------------------------------------

    fn from_cells(elem: Prim, ndim: usize, shape: [usize; 3], cells: Vec<Cell<u64>>) -> Array {
        let strides = c_strides(ndim, &shape);
        let data = Rc::new(Storage {
            cells: Cells::Owned(cells),
        });
        Array::view_of(elem, ndim, shape, strides, 0, data)
    }

    /// An array over lent storage with the given shape and strides (in elements), or `None`
    /// unless every in-bounds index maps into `data` with non-negative strides.
    pub fn over_lent(
        elem: Prim,
        shape: &[usize],
        strides: &[isize],
        data: Rc<Storage>,
    ) -> Option<Array> {
        let ndim = shape.len();
        if !(1..=3).contains(&ndim) || strides.len() != ndim || strides.iter().any(|&s| s < 0) {
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

    /// The elements as one C-order buffer without copying when this array is the only
    /// view of owned storage that it fills exactly; otherwise `None`.
    pub fn take_contiguous_bits(self) -> Result<Vec<u64>, Array> {
        let whole = self.offset == 0 && self.is_contiguous() && self.size() == self.data.len();
        if !whole || self.data.is_lent() {
            return Err(self);
        }
        let Array { data, .. } = self;
        match Rc::try_unwrap(data) {
            Ok(Storage {
                cells: Cells::Owned(v),
            }) => Ok(v.into_iter().map(Cell::into_inner).collect()),
            Ok(st) => unreachable!("checked above: {st:?} is owned"),
            Err(data) => Err(Array { data, ..self }),
        }
    }

    /// The one place an `Array` is assembled: `ptr` is derived here from `data` and `offset`,
    /// so it always agrees with them.
    fn view_of(
        elem: Prim,
        ndim: usize,
        shape: [usize; 3],
        strides: [isize; 3],
        offset: usize,
        data: Rc<Storage>,
    ) -> Array {
        Array {
            ptr: data.as_ptr().wrapping_add(offset),
            shape,
            strides,
            ndim,
            elem,
            offset,
            data,
        }
    }

    /// A new contiguous array with the shape of `like` holding `bits`.
    fn with_shape_of(like: &Array, elem: Prim, bits: Vec<u64>) -> Array {
        let cells: Vec<Cell<u64>> = bits.into_iter().map(Cell::new).collect();
        Array::from_cells(elem, like.ndim, like.shape, cells)
    }

    /// An array of `elem` zeros (`0`, `0.0` or `false`). Errors on a negative dimension, on
    /// 0 or more than 3 dimensions, and when the array cannot be allocated.
    pub fn zeros(elem: Prim, shape: &[i64]) -> Result<Array, RtError> {
        let (ndim, dims, total) = check_shape(shape)?;
        let cells = alloc_cells(total, 0, &format_shape(shape))?;
        Ok(Array::from_cells(elem, ndim, dims, cells))
    }

    /// An array filled with `v`, of `v`'s kind.
    pub fn full(shape: &[i64], v: Scalar) -> Result<Array, RtError> {
        let (ndim, dims, total) = check_shape(shape)?;
        let cells = alloc_cells(total, v.to_bits(), &format_shape(shape))?;
        Ok(Array::from_cells(v.prim(), ndim, dims, cells))
    }

    /// An array over `data` (C order). The shape must have 1 to 3 dimensions whose product is
    /// `data.len()`; a caller that breaks this gets a 1-D array over all of `data` (and a
    /// debug assertion).
    pub fn from_vec(elem: Prim, shape: &[usize], data: Vec<u64>) -> Array {
        let ok = (1..=3).contains(&shape.len())
            && shape
                .iter()
                .try_fold(1usize, |acc, &d| acc.checked_mul(d))
                .is_some_and(|n| n == data.len());
        debug_assert!(
            ok,
            "Array::from_vec: shape {shape:?} for {} words",
            data.len()
        );
        let mut dims = [1usize; 3];
        let ndim = if ok {
            dims[..shape.len()].copy_from_slice(shape);
            shape.len()
        } else {
            dims[0] = data.len();
            1
        };
        let cells: Vec<Cell<u64>> = data.into_iter().map(Cell::new).collect();
        Array::from_cells(elem, ndim, dims, cells)
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
        let mut cells = reserve_cells(n, &format!("({n},)"))?;
        let mut v = a;
        for _ in 0..n {
            cells.push(Cell::new(v as u64));
            v = v.wrapping_add(step);
        }
        Ok(Array::from_cells(Prim::I64, 1, [n, 1, 1], cells))
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
        let shape = format!("({n},)");
        let mut cells = reserve_cells(n, &shape)?;
        for i in 0..n {
            let x = if i == 0 { a } else { a + i as f64 * delta };
            cells.push(Cell::new(x.to_bits()));
        }
        Ok(Array::from_cells(Prim::F64, 1, [n, 1, 1], cells))
    }

    // ----- layout accessors ---------------------------------------------------------------

    /// Element kind.
    pub fn elem(&self) -> Prim {
        self.elem
    }
    /// Number of axes, 1 to 3.
    /// The storage, if the embedding program lent it (to check that the loan has ended).
    pub fn lent_storage(&self) -> Option<std::rc::Weak<Storage>> {
        self.data.is_lent().then(|| Rc::downgrade(&self.data))
    }

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
    /// The shared owner of the elements.
    pub fn storage(&self) -> &Rc<Storage> {
        &self.data
    }
    /// Whether two arrays are views of the same storage.
    pub fn shares_storage(&self, other: &Array) -> bool {
        Rc::ptr_eq(&self.data, &other.data)
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
        self.shape[..self.ndim].iter().product()
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

    /// The elements as one slice when the array is contiguous.
    fn contig_cells(&self) -> Option<&[Cell<u64>]> {
        if !self.is_contiguous() {
            return None;
        }
        let n = self.size();
        if n == 0 {
            return Some(&[]);
        }
        self.data.cells().get(self.offset..self.offset + n)
    }

    // ----- element access -----------------------------------------------------------------

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
        Ok(self.data.cells()[p].get())
    }

    /// Stores `bits` at `idx` (the caller passes a word of this array's kind).
    pub fn set(&self, idx: &[i64], bits: u64) -> Result<(), RtError> {
        let p = self.position(idx)?;
        self.data.cells()[p].set(bits);
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
        Ok(self.data.cells()[p].get())
    }

    /// `a[i] = bits` on a 1-D array.
    #[inline]
    pub fn set1(&self, i: i64, bits: u64) -> Result<(), RtError> {
        let p = self.position1(i)?;
        self.data.cells()[p].set(bits);
        Ok(())
    }

    /// `m[i, j]` on a 2-D array.
    #[inline]
    pub fn get2(&self, i: i64, j: i64) -> Result<u64, RtError> {
        let p = self.position2(i, j)?;
        Ok(self.data.cells()[p].get())
    }

    /// `m[i, j] = bits` on a 2-D array.
    #[inline]
    pub fn set2(&self, i: i64, j: i64, bits: u64) -> Result<(), RtError> {
        let p = self.position2(i, j)?;
        self.data.cells()[p].set(bits);
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

    /// Copies `src` into this array (or view). Shapes must be equal; `i64`/`bool` elements
    /// stored into an `f64` array widen. Correct when `src` overlaps `self`.
    pub fn assign(&self, src: &Array) -> Result<(), RtError> {
        if self.shape() != src.shape() {
            return Err(RtError::new(format!(
                "shape mismatch: cannot assign array of shape {} to slice of shape {}",
                format_shape(src.shape()),
                format_shape(self.shape())
            )));
        }
        let (from, to) = (src.elem, self.elem);
        if self.shares_storage(src) {
            let tmp = src.to_vec_bits();
            self.write_from(tmp.into_iter().map(|b| convert_bits(from, to, b)));
        } else if from == to {
            self.write_from(src.iter_bits());
        } else {
            self.write_from(src.iter_bits().map(|b| convert_bits(from, to, b)));
        }
        Ok(())
    }

    /// Writes words in logical C order (at most `size()` of them).
    fn write_from<I: Iterator<Item = u64>>(&self, src: I) {
        match self.contig_cells() {
            Some(cells) => {
                for (c, b) in cells.iter().zip(src) {
                    c.set(b);
                }
            }
            None => {
                let cells = self.data.cells();
                for (o, b) in Offsets::new(self).zip(src) {
                    cells[o].set(b);
                }
            }
        }
    }

    /// Sets every element to `v` (converted to this array's kind).
    pub fn fill(&self, v: Scalar) {
        let bits = convert_bits(v.prim(), self.elem, v.to_bits());
        self.write_from(std::iter::repeat_n(bits, self.size()));
    }

    /// Sets every element, in logical C order, to successive words from `next` (which must
    /// produce words of this array's kind).
    pub fn fill_with(&self, mut next: impl FnMut() -> u64) {
        self.write_from(std::iter::repeat_with(&mut next).take(self.size()));
    }

    /// The stored words in logical C order.
    pub fn iter_bits(&self) -> BitsIter<'_> {
        let inner = match self.contig_cells() {
            Some(cells) => BitsInner::Contig(cells.iter()),
            None => BitsInner::Strided(self.data.cells(), Offsets::new(self)),
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

    // ----- elementwise --------------------------------------------------------------------

    /// This array with `f64` elements (borrowed when it already is).
    fn as_float(&self) -> Cow<'_, Array> {
        if self.elem == Prim::F64 {
            Cow::Borrowed(self)
        } else {
            Cow::Owned(self.astype(Prim::F64))
        }
    }

    /// `a op b` elementwise; shapes must be equal.
    pub fn binop(op: BinOp, a: &Array, b: &Array) -> Result<Array, RtError> {
        if a.shape() != b.shape() {
            return Err(shape_mismatch(a, b));
        }
        let res = binop_result(op, a.elem, b.elem);
        let bits = if binop_in_int(op, a.elem, b.elem) {
            int_kernel(op, &ArrArr(a, b))?
        } else {
            let (fa, fb) = (a.as_float(), b.as_float());
            float_kernel(op, &ArrArr(&fa, &fb))
        };
        Ok(Array::with_shape_of(a, res, bits))
    }

    /// `a op s` (or `s op a` when `scalar_on_left`) elementwise.
    /// `x op y` elementwise written into the storage of `x` (`into_left`) or of `y`,
    /// instead of a new array: NumPy's temporary elision. Done only for an `f64` result
    /// into a contiguous `f64` target whose storage no other array shares; the caller
    /// guarantees that nothing else holds the target array itself. Returns `Ok(false)`, having
    /// changed nothing, when those conditions do not hold.
    pub fn binop_in_place(
        op: BinOp,
        x: InPlace<'_>,
        y: InPlace<'_>,
        into_left: bool,
    ) -> Result<bool, RtError> {
        let (target, other) = match (into_left, x, y) {
            (true, InPlace::Array(t), o) | (false, o, InPlace::Array(t)) => (t, o),
            _ => return Ok(false),
        };
        let prim = |o: &InPlace| match o {
            InPlace::Array(a) => a.elem,
            InPlace::Scalar(s) => s.prim(),
        };
        let (px, py) = if into_left {
            (target.elem, prim(&other))
        } else {
            (prim(&other), target.elem)
        };
        if op.is_comparison()
            || target.elem != Prim::F64
            || binop_result(op, px, py) != Prim::F64
            || Rc::strong_count(&target.data) != 1
        {
            return Ok(false);
        }
        if let InPlace::Array(o) = other {
            if o.shape() != target.shape() {
                return Err(if into_left {
                    shape_mismatch(target, o)
                } else {
                    shape_mismatch(o, target)
                });
            }
        }
        let Some(cells) = target.contig_cells() else {
            return Ok(false);
        };
        macro_rules! arm {
            ($op:ident) => {
                in_place_kernel(cells, other, into_left, |a, b| {
                    float_binop_bits(BinOp::$op, a, b)
                })
            };
        }
        match op {
            BinOp::Add => arm!(Add),
            BinOp::Sub => arm!(Sub),
            BinOp::Mul => arm!(Mul),
            BinOp::Div => arm!(Div),
            BinOp::FloorDiv => arm!(FloorDiv),
            BinOp::Mod => arm!(Mod),
            BinOp::Pow => arm!(Pow),
            _ => return Ok(false),
        }
        Ok(true)
    }

    pub fn binop_scalar(
        op: BinOp,
        a: &Array,
        s: Scalar,
        scalar_on_left: bool,
    ) -> Result<Array, RtError> {
        let res = binop_result(op, a.elem, s.prim());
        let bits = if binop_in_int(op, a.elem, s.prim()) {
            let d = ArrScalar {
                a,
                s: s.as_i64() as u64,
                left: scalar_on_left,
            };
            int_kernel(op, &d)?
        } else {
            let fa = a.as_float();
            let d = ArrScalar {
                a: &fa,
                s: s.as_f64().to_bits(),
                left: scalar_on_left,
            };
            float_kernel(op, &d)
        };
        Ok(Array::with_shape_of(a, res, bits))
    }

    /// `-a` elementwise (`i64` wraps; `bool` counts as 0/1 and gives `i64`).
    pub fn neg(a: &Array) -> Array {
        match a.elem {
            Prim::F64 => Array::with_shape_of(a, Prim::F64, map1(a, |x| (-fv(x)).to_bits())),
            Prim::I64 | Prim::Bool => {
                Array::with_shape_of(a, Prim::I64, map1(a, |x| iv(x).wrapping_neg() as u64))
            }
        }
    }

    /// `not a` elementwise on a bool array (any nonzero word counts as `true`).
    pub fn not(a: &Array) -> Array {
        Array::with_shape_of(a, Prim::Bool, map1(a, |x| (x == 0) as u64))
    }

    /// A one-argument math function elementwise: `abs` keeps `i64`, the others give `f64`.
    pub fn math1_array(f: MathFn, a: &Array) -> Array {
        if f == MathFn::Abs && a.elem != Prim::F64 {
            return Array::with_shape_of(a, Prim::I64, map1(a, |x| int_abs(iv(x)) as u64));
        }
        let fa = a.as_float();
        let bits = match f {
            MathFn::Abs => map1(&fa, |x| fv(x).abs().to_bits()),
            MathFn::Sqrt => map1(&fa, |x| fv(x).sqrt().to_bits()),
            MathFn::Floor => map1(&fa, |x| fv(x).floor().to_bits()),
            MathFn::Ceil => map1(&fa, |x| fv(x).ceil().to_bits()),
            MathFn::Round => map1(&fa, |x| fv(x).round_ties_even().to_bits()),
            other => map1(&fa, |x| math1(other, fv(x)).to_bits()),
        };
        Array::with_shape_of(a, Prim::F64, bits)
    }

    /// A two-argument math function on two arrays of the same shape.
    pub fn math2_aa(f: MathFn2, a: &Array, b: &Array) -> Result<Array, RtError> {
        if a.shape() != b.shape() {
            return Err(shape_mismatch(a, b));
        }
        if f.keeps_int() && a.elem != Prim::F64 && b.elem != Prim::F64 {
            return Ok(Array::with_shape_of(
                a,
                Prim::I64,
                int_math2_kernel(f, &ArrArr(a, b)),
            ));
        }
        let (fa, fb) = (a.as_float(), b.as_float());
        Ok(Array::with_shape_of(
            a,
            Prim::F64,
            float_math2_kernel(f, &ArrArr(&fa, &fb)),
        ))
    }

    /// A two-argument math function between an array and a scalar (`f(s, a)` when
    /// `scalar_on_left`).
    pub fn math2_as(f: MathFn2, a: &Array, s: Scalar, scalar_on_left: bool) -> Array {
        if f.keeps_int() && a.elem != Prim::F64 && s.prim() != Prim::F64 {
            let d = ArrScalar {
                a,
                s: s.as_i64() as u64,
                left: scalar_on_left,
            };
            return Array::with_shape_of(a, Prim::I64, int_math2_kernel(f, &d));
        }
        let fa = a.as_float();
        let d = ArrScalar {
            a: &fa,
            s: s.as_f64().to_bits(),
            left: scalar_on_left,
        };
        Array::with_shape_of(a, Prim::F64, float_math2_kernel(f, &d))
    }

    // ----- structure ----------------------------------------------------------------------

    /// A contiguous copy with its own storage.
    pub fn copy(&self) -> Array {
        Array::with_shape_of(self, self.elem, self.to_vec_bits())
    }

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

    /// A copy converted to kind `p` (`f64 -> i64` truncates toward zero; `bool` is 0/1).
    pub fn astype(&self, p: Prim) -> Array {
        let from = self.elem;
        let bits = match (from, p) {
            (Prim::I64, Prim::F64) => map1(self, |x| (iv(x) as f64).to_bits()),
            (Prim::F64, Prim::I64) => map1(self, |x| super::ops::f64_to_i64(fv(x)) as u64),
            _ => map1(self, |x| convert_bits(from, p, x)),
        };
        Array::with_shape_of(self, p, bits)
    }

    /// A sorted copy, sorting along the last axis (NaN last, as NumPy).
    pub fn sort(&self) -> Array {
        let mut bits = self.to_vec_bits();
        let n = self.shape[self.ndim - 1];
        if n > 0 {
            for row in bits.chunks_mut(n) {
                match self.elem {
                    Prim::F64 => row.sort_by(|&x, &y| cmp_f64_nan_last(fv(x), fv(y))),
                    Prim::I64 => row.sort_by_key(|&x| iv(x)),
                    Prim::Bool => row.sort_unstable(),
                }
            }
        }
        Array::with_shape_of(self, self.elem, bits)
    }

    /// Running sums over the flattened array (1-D result). `i64` wraps; `bool` sums as `i64`.
    pub fn cumsum(&self) -> Array {
        let n = self.size();
        match self.elem {
            Prim::F64 => {
                let mut acc = 0.0f64;
                let bits = self
                    .iter_bits()
                    .map(|x| {
                        acc += fv(x);
                        acc.to_bits()
                    })
                    .collect();
                Array::from_vec(Prim::F64, &[n], bits)
            }
            Prim::I64 | Prim::Bool => {
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

    /// Sum of all elements (`i64` wraps; `bool` counts 0/1 as `i64`; empty gives 0).
    pub fn sum(&self) -> Scalar {
        match self.elem {
            Prim::F64 => Scalar::F64(self.iter_bits().map(fv).sum()),
            _ => Scalar::I64(self.iter_bits().fold(0i64, |a, x| a.wrapping_add(iv(x)))),
        }
    }

    /// Product of all elements (`i64` wraps; empty gives 1).
    pub fn prod(&self) -> Scalar {
        match self.elem {
            Prim::F64 => Scalar::F64(self.iter_bits().map(fv).product()),
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
                    Prim::F64 => {
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

    // ----- output -------------------------------------------------------------------------

    /// The `print` form: nested lists, `[1.0, 2.5]`, `[[1, 2], [3, 4]]`, `[]`, `[[], []]`.
    pub fn format(&self) -> String {
        let mut out = String::new();
        self.format_axis(0, self.offset as isize, &mut out);
        out
    }

    fn format_axis(&self, axis: usize, base: isize, out: &mut String) {
        out.push('[');
        for i in 0..self.shape[axis] {
            if i > 0 {
                out.push_str(", ");
            }
            let pos = base + i as isize * self.strides[axis];
            if axis + 1 == self.ndim {
                let bits = self.data.cells()[pos as usize].get();
                out.push_str(&format_scalar(Scalar::from_bits(self.elem, bits)));
            } else {
                self.format_axis(axis + 1, pos, out);
            }
        }
        out.push(']');
    }
}

impl fmt::Debug for Array {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Array({}, shape {}",
            self.elem.name(),
            format_shape(self.shape())
        )?;
        if self.size() <= 64 {
            write!(f, ", {})", self.format())
        } else {
            write!(
                f,
                ", strides {}, offset {}, storage of {})",
                format_shape(self.strides()),
                self.offset,
                self.data.len()
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(xs: &[f64]) -> Array {
        Array::from_f64s(xs)
    }
    fn i(xs: &[i64]) -> Array {
        Array::from_i64s(xs)
    }
    /// A 2-D i64 array `rows x cols` holding 0, 1, 2, ... in C order.
    fn iota2(rows: usize, cols: usize) -> Array {
        Array::from_vec(
            Prim::I64,
            &[rows, cols],
            (0..(rows * cols) as u64).collect(),
        )
    }
    fn err<T: fmt::Debug>(r: Result<T, RtError>) -> String {
        r.expect_err("expected an error").msg
    }

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
    fn out_of_memory_shape_is_an_error_not_an_abort() {
        assert_eq!(
            err(Array::zeros(Prim::F64, &[100000, 100000, 100000])),
            "cannot allocate array of shape (100000, 100000, 100000): out of memory"
        );
        assert_eq!(
            err(Array::zeros(Prim::F64, &[i64::MAX, i64::MAX])),
            format!(
                "cannot allocate array of shape ({}, {}): out of memory",
                i64::MAX,
                i64::MAX
            )
        );
        assert_eq!(
            err(Array::full(&[1 << 41], Scalar::F64(1.0))),
            "cannot allocate array of shape (2199023255552,): out of memory"
        );
        assert!(err(Array::arange_i64(i64::MIN, i64::MAX, 1)).contains("out of memory"));
        assert!(err(Array::arange_f64(0.0, 1e300, 1.0)).contains("out of memory"));
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
    fn assign_converts_checks_shapes_and_handles_overlap() {
        let a = f(&[0.0; 4]);
        a.slice(&[Index::Range(Some(1), Some(3))])
            .unwrap()
            .assign(&i(&[7, 8]))
            .unwrap();
        assert_eq!(a.format(), "[0.0, 7.0, 8.0, 0.0]");
        assert_eq!(
            err(a.assign(&f(&[1.0, 2.0]))),
            "shape mismatch: cannot assign array of shape (2,) to slice of shape (4,)"
        );
        // Overlapping shift right: a[1:] = a[:-1].
        let b = i(&[1, 2, 3, 4, 5]);
        let dst = b.slice(&[Index::Range(Some(1), None)]).unwrap();
        let src = b.slice(&[Index::Range(None, Some(-1))]).unwrap();
        dst.assign(&src).unwrap();
        assert_eq!(b.format(), "[1, 1, 2, 3, 4]");
        // Overlapping shift left.
        let c = i(&[1, 2, 3, 4, 5]);
        let dst = c.slice(&[Index::Range(None, Some(-1))]).unwrap();
        let src = c.slice(&[Index::Range(Some(1), None)]).unwrap();
        dst.assign(&src).unwrap();
        assert_eq!(c.format(), "[2, 3, 4, 5, 5]");
        // Square matrix assigned its own transpose.
        let m = iota2(3, 3);
        m.assign(&m.transpose()).unwrap();
        assert_eq!(m.format(), "[[0, 3, 6], [1, 4, 7], [2, 5, 8]]");
        // Into a strided column.
        let n = Array::zeros(Prim::F64, &[2, 2]).unwrap();
        n.slice(&[Index::Range(None, None), Index::At(0)])
            .unwrap()
            .assign(&f(&[1.5, 2.5]))
            .unwrap();
        assert_eq!(n.format(), "[[1.5, 0.0], [2.5, 0.0]]");
        let g = f(&[0.0, 0.0]);
        g.fill(Scalar::I64(3));
        assert_eq!(g.format(), "[3.0, 3.0]");
    }

    #[test]
    fn binops_follow_scalar_rules() {
        let a = i(&[-17, 7, 3]);
        let b = i(&[5, -2, 2]);
        let r = |op| Array::binop(op, &a, &b).unwrap().format();
        assert_eq!(r(BinOp::Add), "[-12, 5, 5]");
        assert_eq!(r(BinOp::FloorDiv), "[-4, -4, 1]");
        assert_eq!(r(BinOp::Mod), "[3, -1, 1]");
        assert_eq!(r(BinOp::Div), "[-3.4, -3.5, 1.5]");
        assert_eq!(
            err(Array::binop(BinOp::Pow, &a, &b)),
            "negative exponent -2 for integer power"
        );
        assert_eq!(
            Array::binop(BinOp::Pow, &a, &i(&[2, 3, 63]))
                .unwrap()
                .format(),
            format!("[289, 343, {}]", 3i64.wrapping_pow(63))
        );
        assert_eq!(r(BinOp::Lt), "[true, false, false]");
        assert_eq!(r(BinOp::Ne), "[true, true, true]");
        assert_eq!(
            err(Array::binop(BinOp::FloorDiv, &a, &i(&[1, 0, 1]))),
            "integer division by zero"
        );
        assert_eq!(
            err(Array::binop(BinOp::Mod, &a, &i(&[1, 1, 0]))),
            "integer modulo by zero"
        );
        let big = i(&[i64::MAX, i64::MIN]);
        assert_eq!(
            Array::binop(BinOp::Add, &big, &i(&[1, -1]))
                .unwrap()
                .to_vec_bits(),
            vec![i64::MIN as u64, i64::MAX as u64]
        );
        // Mixed kinds promote to f64.
        let x = f(&[-7.5, 1.0, 0.5]);
        assert_eq!(
            Array::binop(BinOp::Mod, &x, &i(&[2, 0, 2]))
                .unwrap()
                .format(),
            "[0.5, nan, 0.5]"
        );
        assert_eq!(
            Array::binop(BinOp::FloorDiv, &f(&[1.0, -1.0]), &f(&[0.1, 0.0]))
                .unwrap()
                .format(),
            "[9.0, -inf]"
        );
        assert_eq!(
            Array::binop(BinOp::Div, &f(&[1.0, 0.0]), &f(&[0.0, 0.0]))
                .unwrap()
                .format(),
            "[inf, nan]"
        );
        assert_eq!(
            err(Array::binop(BinOp::Add, &i(&[1, 2, 3]), &i(&[1, 2, 3, 4]))),
            "shape mismatch: operands have shapes (3,) and (4,)"
        );
        assert_eq!(
            err(Array::binop(BinOp::Add, &iota2(2, 3), &iota2(3, 2))),
            "shape mismatch: operands have shapes (2, 3) and (3, 2)"
        );
        let bools = Array::from_bools(&[true, false]);
        assert_eq!(
            Array::binop(BinOp::Eq, &bools, &Array::from_bools(&[true, true]))
                .unwrap()
                .format(),
            "[true, false]"
        );
        assert_eq!(Array::not(&bools).format(), "[false, true]");
    }

    #[test]
    fn binop_with_scalar_on_either_side() {
        let a = i(&[1, 2, 3]);
        let r = |op, s, left| Array::binop_scalar(op, &a, s, left).unwrap().format();
        assert_eq!(r(BinOp::Sub, Scalar::I64(10), false), "[-9, -8, -7]");
        assert_eq!(r(BinOp::Sub, Scalar::I64(10), true), "[9, 8, 7]");
        assert_eq!(r(BinOp::Div, Scalar::I64(2), false), "[0.5, 1.0, 1.5]");
        assert_eq!(
            r(BinOp::Div, Scalar::I64(2), true),
            "[2.0, 1.0, 0.6666666666666666]"
        );
        assert_eq!(r(BinOp::Mul, Scalar::F64(0.5), false), "[0.5, 1.0, 1.5]");
        assert_eq!(r(BinOp::Pow, Scalar::I64(2), true), "[2, 4, 8]");
        assert_eq!(r(BinOp::Pow, Scalar::I64(2), false), "[1, 4, 9]");
        assert_eq!(r(BinOp::Ge, Scalar::F64(2.0), false), "[false, true, true]");
        assert_eq!(r(BinOp::Mod, Scalar::I64(-2), false), "[-1, 0, -1]");
        assert_eq!(
            err(Array::binop_scalar(
                BinOp::FloorDiv,
                &a,
                Scalar::I64(0),
                false
            )),
            "integer division by zero"
        );
        // Dividing zero by the array elements is fine; by an element 0 is not.
        assert_eq!(
            err(Array::binop_scalar(
                BinOp::Mod,
                &i(&[1, 0]),
                Scalar::I64(5),
                true
            )),
            "integer modulo by zero"
        );
        // Scalar and array paths agree element by element.
        let xs = f(&[-7.5, -0.5, 0.0, 2.25, 1e300]);
        for op in [
            BinOp::Add,
            BinOp::FloorDiv,
            BinOp::Mod,
            BinOp::Pow,
            BinOp::Lt,
        ] {
            for s in [Scalar::F64(2.0), Scalar::I64(-3), Scalar::F64(0.1)] {
                for left in [false, true] {
                    let arr = Array::binop_scalar(op, &xs, s, left).unwrap();
                    for (k, x) in xs.iter_scalars().enumerate() {
                        let want = if left {
                            super::super::ops::scalar_binop(op, s, x)
                        } else {
                            super::super::ops::scalar_binop(op, x, s)
                        }
                        .unwrap();
                        assert_eq!(
                            arr.get_scalar(&[k as i64]).unwrap().to_bits(),
                            want.to_bits()
                        );
                    }
                }
            }
        }
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

    #[test]
    fn math_elementwise() {
        let a = i(&[-3, 4]);
        assert_eq!(Array::math1_array(MathFn::Abs, &a).format(), "[3, 4]");
        assert_eq!(Array::math1_array(MathFn::Abs, &a).elem(), Prim::I64);
        assert_eq!(Array::math1_array(MathFn::Sqrt, &a).format(), "[nan, 2.0]");
        let x = f(&[0.5, 1.5, 2.5, -0.5, -1.7]);
        assert_eq!(
            Array::math1_array(MathFn::Round, &x).format(),
            "[0.0, 2.0, 2.0, -0.0, -2.0]"
        );
        assert_eq!(
            Array::math1_array(MathFn::Floor, &x).format(),
            "[0.0, 1.0, 2.0, -1.0, -2.0]"
        );
        assert_eq!(
            Array::math1_array(MathFn::Exp, &f(&[0.0])).format(),
            "[1.0]"
        );
        assert_eq!(
            Array::math2_aa(MathFn2::Minimum, &a, &i(&[0, 9]))
                .unwrap()
                .format(),
            "[-3, 4]"
        );
        assert_eq!(
            Array::math2_aa(MathFn2::Maximum, &f(&[f64::NAN, 1.0]), &a)
                .unwrap()
                .format(),
            "[nan, 4.0]"
        );
        assert_eq!(
            Array::math2_aa(MathFn2::Atan2, &f(&[1.0]), &f(&[1.0]))
                .unwrap()
                .format(),
            format!("[{}]", std::f64::consts::FRAC_PI_4)
        );
        assert!(Array::math2_aa(MathFn2::Pow, &a, &f(&[1.0])).is_err());
        assert_eq!(
            Array::math2_as(MathFn2::Maximum, &a, Scalar::I64(0), false).format(),
            "[0, 4]"
        );
        assert_eq!(
            Array::math2_as(MathFn2::Minimum, &a, Scalar::F64(0.5), true).format(),
            "[-3.0, 0.5]"
        );
        assert_eq!(
            Array::math2_as(MathFn2::Pow, &a, Scalar::I64(2), true).format(),
            "[0.125, 16.0]"
        );
        assert_eq!(
            Array::math2_as(MathFn2::Pow, &a, Scalar::I64(2), false).format(),
            "[9.0, 16.0]"
        );
        assert_eq!(Array::neg(&f(&[0.0, -1.5])).format(), "[-0.0, 1.5]");
    }

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

    #[test]
    fn format_nested_lists() {
        assert_eq!(f(&[1.0, 2.5, 3.0]).format(), "[1.0, 2.5, 3.0]");
        assert_eq!(iota2(2, 2).format(), "[[0, 1], [2, 3]]");
        assert_eq!(
            Array::from_vec(Prim::I64, &[2, 1, 2], (0..4).collect()).format(),
            "[[[0, 1]], [[2, 3]]]"
        );
        assert_eq!(f(&[1e-5, 1e16]).format(), "[1e-05, 1e+16]");
        assert_eq!(format!("{:?}", i(&[1])), "Array(i64, shape (1,), [1])");
    }
}

#[cfg(test)]
mod in_place_tests {
    use super::*;

    fn f64s(a: &Array) -> Vec<f64> {
        a.iter_bits().map(f64::from_bits).collect()
    }

    #[test]
    fn in_place_matches_the_allocating_operation() {
        let x = Array::from_f64s(&[1.0, -2.5, 3.25]);
        let y = Array::from_i64s(&[4, 5, -6]);
        for op in [
            BinOp::Add,
            BinOp::Sub,
            BinOp::Mul,
            BinOp::Div,
            BinOp::FloorDiv,
            BinOp::Mod,
        ] {
            let want = Array::binop(op, &x, &y).unwrap();
            let t = x.copy();
            let done = Array::binop_in_place(op, InPlace::Array(&t), InPlace::Array(&y), true);
            assert_eq!(done, Ok(true), "{op:?}");
            assert_eq!(f64s(&t), f64s(&want), "{op:?}");
            // Into the right operand, scalar on the left.
            let want = Array::binop_scalar(op, &x, Scalar::F64(0.5), true).unwrap();
            let t = x.copy();
            let s = InPlace::Scalar(Scalar::F64(0.5));
            assert_eq!(
                Array::binop_in_place(op, s, InPlace::Array(&t), false),
                Ok(true)
            );
            assert_eq!(f64s(&t), f64s(&want), "{op:?}");
        }
    }

    #[test]
    fn in_place_refuses_shared_storage_non_f64_targets_and_comparisons() {
        let x = Array::from_f64s(&[1.0, 2.0, 3.0, 4.0]);
        let view = x.slice(&[Index::Range(Some(1), Some(3))]).unwrap();
        let one = InPlace::Scalar(Scalar::F64(1.0));
        assert_eq!(
            Array::binop_in_place(BinOp::Add, InPlace::Array(&view), one, true),
            Ok(false)
        );
        assert_eq!(
            f64s(&x),
            vec![1.0, 2.0, 3.0, 4.0],
            "a view's base must not change"
        );
        let ints = Array::from_i64s(&[1, 2]);
        assert_eq!(
            Array::binop_in_place(BinOp::Add, InPlace::Array(&ints), one, true),
            Ok(false)
        );
        let fresh = x.copy();
        assert_eq!(
            Array::binop_in_place(BinOp::Lt, InPlace::Array(&fresh), one, true),
            Ok(false)
        );
    }

    #[test]
    fn in_place_still_reports_shape_mismatch() {
        let x = Array::from_f64s(&[1.0, 2.0]);
        let y = Array::from_f64s(&[1.0, 2.0, 3.0]);
        let e = Array::binop_in_place(BinOp::Add, InPlace::Array(&x), InPlace::Array(&y), true);
        assert!(e.unwrap_err().msg.contains("shape mismatch"));
    }

    #[test]
    fn a_unique_whole_buffer_is_taken_without_copying_and_a_view_is_not() {
        let a = Array::from_vec(Prim::I64, &[2, 3], (0..6).collect());
        let p = a.data.as_ptr() as usize;
        let bits = a.take_contiguous_bits().unwrap();
        assert_eq!(bits, (0..6).collect::<Vec<u64>>());
        assert_eq!(bits.as_ptr() as usize, p, "copied");
        // A second view shares the storage: not taken.
        let a = Array::from_vec(Prim::I64, &[4], vec![1, 2, 3, 4]);
        let b = a.clone();
        let a = a.take_contiguous_bits().unwrap_err();
        drop(b);
        // A part of the buffer: not taken.
        let tail = a.slice(&[Index::Range(Some(1), None)]).unwrap();
        drop(a);
        assert_eq!(
            tail.take_contiguous_bits().unwrap_err().to_vec_bits(),
            vec![2, 3, 4]
        );
    }

    #[test]
    #[allow(unsafe_code)]
    fn lent_storage_is_shared_in_place_and_bad_layouts_are_refused() {
        let mut buf: Vec<u64> = (0..6).collect();
        // Column 1 of a 3x2 row-major matrix: lent from its first element on.
        let ptr = std::ptr::NonNull::new(buf[1..].as_mut_ptr()).unwrap();
        // SAFETY: `buf` outlives every array made here and is not touched meanwhile.
        let data = Rc::new(unsafe { Storage::lend(ptr, 5) });
        let col = Array::over_lent(Prim::I64, &[3], &[2], data.clone()).unwrap();
        assert_eq!(col.to_vec_bits(), vec![1, 3, 5]);
        col.set(&[2], 50).unwrap();
        // A layout reaching past the buffer, negative strides, 0 or 4 axes: refused.
        assert!(Array::over_lent(Prim::I64, &[3], &[3], data.clone()).is_none());
        assert!(Array::over_lent(Prim::I64, &[3], &[-1], data.clone()).is_none());
        assert!(Array::over_lent(Prim::I64, &[], &[], data.clone()).is_none());
        assert!(Array::over_lent(Prim::I64, &[1, 1, 1, 1], &[1, 1, 1, 1], data.clone()).is_none());
        // Lent storage is never taken as an owned buffer.
        let whole = Array::over_lent(Prim::I64, &[5], &[1], data.clone()).unwrap();
        assert!(whole.lent_storage().is_some());
        assert!(whole.take_contiguous_bits().is_err());
        drop((col, data));
        assert_eq!(buf, vec![0, 1, 2, 3, 4, 50]);
    }
}
