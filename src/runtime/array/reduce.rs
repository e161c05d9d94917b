//! Whole-array reductions (`sum`, `prod`, `min`/`max`, `argmin`/`argmax`, `any`/`all`) and
//! the other computations over all elements: `cumsum` and `sort` along the last axis.
//!
//! Invariant: NumPy's results on the edge cases: integer sums wrap, a NaN wins `min`/`max`
//! and the arg forms, sorting puts NaN last, and only a reduction without identity
//! (`min`, `max`, `argmin`, `argmax`) errors on an empty array.

use super::kernels::{fv, iv};
use super::storage::Words;
use super::{Array, Index};
use crate::runtime::error::RtError;
use crate::runtime::ops::{convert_bits, narrow_float, Scalar};
use crate::vocab::{Prim, Reduce};
use std::cell::Cell;
use std::ops::{Add, Div, Mul, Sub};
use std::rc::Rc;

// ----- NumPy's summation of floats ------------------------------------------------------

/// NumPy's `PW_BLOCKSIZE`: runs up to this length are summed with eight accumulators.
const PW_BLOCKSIZE: usize = 128;

/// NumPy's default buffer size (`np.getbufsize()`): a reduction that converts its input
/// (integers summed as `f64` by `mean`) converts and sums this many elements at a time.
const NPY_BUFSIZE: usize = 8192;

/// A float kind summed in its own precision (`f64`, `f32`), and how its elements are
/// stored (`Word`: the cell type of its storage).
pub(crate) trait Lane:
    Copy + Add<Output = Self> + Sub<Output = Self> + Mul<Output = Self> + Div<Output = Self>
{
    const ZERO: Self;
    const NEG_ZERO: Self;
    type Word: Copy;
    fn from_word(w: Self::Word) -> Self;
    /// The value of register-form bits of this kind.
    fn from_reg(bits: u64) -> Self;
    fn count(n: usize) -> Self;
    fn sqrt(self) -> Self;
    /// The stored cells of a buffer of this kind.
    fn cells(w: Words<'_>) -> Option<&[Cell<Self::Word>]>;
}

impl Lane for f64 {
    const ZERO: f64 = 0.0;
    const NEG_ZERO: f64 = -0.0;
    type Word = u64;
    fn from_word(w: u64) -> f64 {
        f64::from_bits(w)
    }
    fn from_reg(bits: u64) -> f64 {
        f64::from_bits(bits)
    }
    fn count(n: usize) -> f64 {
        n as f64
    }
    fn sqrt(self) -> f64 {
        f64::sqrt(self)
    }
    fn cells(w: Words<'_>) -> Option<&[Cell<u64>]> {
        match w {
            Words::W8(c) => Some(c),
            _ => None,
        }
    }
}

impl Lane for f32 {
    const ZERO: f32 = 0.0;
    const NEG_ZERO: f32 = -0.0;
    type Word = u32;
    fn from_word(w: u32) -> f32 {
        f32::from_bits(w)
    }
    fn from_reg(bits: u64) -> f32 {
        f64::from_bits(bits) as f32
    }
    fn count(n: usize) -> f32 {
        n as f32
    }
    fn sqrt(self) -> f32 {
        f32::sqrt(self)
    }
    fn cells(w: Words<'_>) -> Option<&[Cell<u32>]> {
        match w {
            Words::W4(c) => Some(c),
            _ => None,
        }
    }
}

/// NumPy's pairwise summation of `conv(x)` over `xs` (`pairwise_sum` in
/// numpy/_core/src/umath/loops_utils.h.src), in `T`'s precision: fewer than 8 values left
/// to right from `-0.0`; up to [`PW_BLOCKSIZE`], eight accumulators over the values
/// unrolled by 8, combined as `((r0+r1)+(r2+r3))+((r4+r5)+(r6+r7))`, then the rest left to
/// right; longer runs split at half the length rounded down to a multiple of 8, each half
/// summed so and the two added. The same bits as NumPy for the same values in the same
/// order.
pub(crate) fn pairwise<E, T: Lane>(xs: &[E], conv: &impl Fn(&E) -> T) -> T {
    let n = xs.len();
    if n < 8 {
        xs.iter().fold(T::NEG_ZERO, |r, x| r + conv(x))
    } else if n <= PW_BLOCKSIZE {
        let mut r: [T; 8] = std::array::from_fn(|k| conv(&xs[k]));
        let whole = n - n % 8;
        for c in xs[8..whole].chunks_exact(8) {
            for k in 0..8 {
                r[k] = r[k] + conv(&c[k]);
            }
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for x in &xs[whole..] {
            res = res + conv(x);
        }
        res
    } else {
        let n2 = n / 2;
        let (a, b) = xs.split_at(n2 - n2 % 8);
        pairwise(a, conv) + pairwise(b, conv)
    }
}

/// The smallest (`want_max == false`) or largest of the non-empty run `cells` of `f64`s,
/// as the one-at-a-time loop of [`Array::extreme`] finds it — the first NaN if there is
/// one, the first of equal values (`-0.0`, `0.0`) — but with eight independent lanes, so
/// the loop has no early exit and no dependence from one element to the next.
fn extreme_f64(cells: &[Cell<u64>], want_max: bool) -> f64 {
    if want_max {
        extreme_f64_lanes::<true>(cells)
    } else {
        extreme_f64_lanes::<false>(cells)
    }
}

/// [`extreme_f64`] for one direction: monomorphic, so the lane updates vectorize without a
/// run-time choice of comparison inside the loop.
fn extreme_f64_lanes<const MAX: bool>(cells: &[Cell<u64>]) -> f64 {
    let get = |c: &Cell<u64>| f64::from_bits(c.get());
    let better = |x: f64, m: f64| if MAX { x > m } else { x < m };
    let mut lanes = [get(&cells[0]); 8];
    // `x - x` is NaN for a NaN (and for an infinity), 0 otherwise: summed per lane, it
    // marks a run that may hold a NaN with vector arithmetic alone (a flag set by
    // `is_nan` compiled to a scalar test per element). A mark sends the run to a scan for
    // its first NaN, which also clears a false alarm from infinities.
    let mut marks = [0.0f64; 8];
    let chunks = cells.chunks_exact(8);
    let rest = chunks.remainder();
    for c in chunks {
        for k in 0..8 {
            let x = get(&c[k]);
            #[allow(clippy::eq_op)] // on purpose: NaN exactly for a NaN or an infinity
            {
                marks[k] += x - x;
            }
            lanes[k] = if better(x, lanes[k]) { x } else { lanes[k] };
        }
    }
    let mut maybe_nan = marks.iter().any(|m| m.is_nan());
    for x in rest {
        let x = get(x);
        maybe_nan |= x.is_nan();
        if better(x, lanes[0]) {
            lanes[0] = x;
        }
    }
    if maybe_nan {
        if let Some(first) = cells.iter().map(get).find(|x| x.is_nan()) {
            return first;
        }
    }
    let m = lanes[1..]
        .iter()
        .fold(lanes[0], |m, &x| if better(x, m) { x } else { m });
    if m == 0.0 {
        // `-0.0 == 0.0`: the first zero in the run is the one met first.
        return cells.iter().map(get).find(|&x| x == 0.0).unwrap_or(m);
    }
    m
}

/// How NumPy adds up one run of values of a reduction.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Order {
    /// One pairwise sum of the whole run (the run is the inner loop of the reduction).
    Pairwise,
    /// Pairwise sums of buffers of [`NPY_BUFSIZE`] converted values, added in turn.
    InBuffers,
    /// Left to right (the reduced axis is not the innermost in memory: NumPy adds whole
    /// rows of partial results, one element of the run at a time).
    Sequential,
}

/// The float values one sum runs over, in NumPy's order: the stored cells themselves when
/// they are one contiguous run, else a copy.
enum Vals<'a, T: Lane> {
    Stored(&'a [Cell<T::Word>]),
    Copied(Vec<T>),
}

/// One run of float values and how NumPy sums it.
struct FloatRun<'a, T: Lane> {
    vals: Vals<'a, T>,
    order: Order,
}

impl<'a, T: Lane> FloatRun<'a, T> {
    /// The elements of `a` (of `T`'s kind) in NumPy's order for a reduction over all of
    /// them ([`Array::k_ordered`]), summed pairwise.
    fn of(a: &'a Array) -> FloatRun<'a, T> {
        let k = a.k_ordered();
        let n = k.size();
        let stored = if k.is_contiguous() && k.strides[..k.ndim].iter().all(|&s| s >= 0) {
            T::cells(a.data.words()).and_then(|c| c.get(k.offset..k.offset + n))
        } else {
            None
        };
        let vals = match stored {
            Some(c) => Vals::Stored(c),
            None => Vals::Copied(k.iter_bits().map(T::from_reg).collect()),
        };
        FloatRun {
            vals,
            order: Order::Pairwise,
        }
    }

    fn len(&self) -> usize {
        match &self.vals {
            Vals::Stored(c) => c.len(),
            Vals::Copied(v) => v.len(),
        }
    }

    /// `0 + Σ map(x)` in `order` (NumPy's reductions start from the identity, so a sum of
    /// `-0.0`s is `0.0`).
    fn total(&self, order: Order, map: impl Fn(T) -> T) -> T {
        fn go<E, T: Lane>(xs: &[E], order: Order, conv: &impl Fn(&E) -> T) -> T {
            match order {
                Order::Pairwise => T::ZERO + pairwise(xs, conv),
                Order::InBuffers => xs
                    .chunks(NPY_BUFSIZE)
                    .fold(T::ZERO, |acc, c| acc + pairwise(c, conv)),
                Order::Sequential => xs.iter().fold(T::ZERO, |acc, x| acc + conv(x)),
            }
        }
        match &self.vals {
            Vals::Stored(c) => go(c, order, &|x: &Cell<T::Word>| map(T::from_word(x.get()))),
            Vals::Copied(v) => go(v, order, &|x: &T| map(*x)),
        }
    }

    fn sum(&self) -> T {
        self.total(self.order, |x| x)
    }

    /// `sum`, `mean`, `var` or `std` of the run, as NumPy's `_mean` and `_var`: the mean is
    /// the sum over the count; the variance sums `(x - mean)**2` (an array of the input's
    /// layout, already converted, so summed pairwise where the input was buffered) over
    /// the count.
    fn moment(&self, r: Reduce) -> T {
        let n = T::count(self.len());
        let s = self.sum();
        match r {
            Reduce::Mean => s / n,
            Reduce::Var | Reduce::Std => {
                let m = s / n;
                let order = match self.order {
                    Order::InBuffers => Order::Pairwise,
                    o => o,
                };
                let v = self.total(order, |x| {
                    let d = x - m;
                    d * d
                }) / n;
                if r == Reduce::Std {
                    v.sqrt()
                } else {
                    v
                }
            }
            _ => s,
        }
    }
}

impl FloatRun<'static, f64> {
    /// The elements of an integer or `bool` array `a` as `f64`, in NumPy's order, summed in
    /// buffers as NumPy's converting reduction does.
    fn converted(a: &Array) -> FloatRun<'static, f64> {
        let p = a.elem;
        let vals = a
            .k_ordered()
            .iter_bits()
            .map(|x| f64::from_bits(convert_bits(p, Prim::F64, x)))
            .collect();
        FloatRun {
            vals: Vals::Copied(vals),
            order: Order::InBuffers,
        }
    }
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

    /// Sum of all elements: integers and `bool` as `i64`, wrapping; floats in their own
    /// precision by NumPy's pairwise summation over the elements in memory order
    /// ([`Array::k_ordered`]), from the identity `+0.0` (so an empty or all `-0.0` array
    /// sums to `0.0`, as NumPy).
    pub fn sum(&self) -> Scalar {
        match self.elem {
            Prim::F64 => Scalar::F64(FloatRun::<f64>::of(self).sum()),
            Prim::F32 => Scalar::F32(FloatRun::<f32>::of(self).sum()),
            _ => Scalar::I64(self.iter_bits().fold(0i64, |a, x| a.wrapping_add(iv(x)))),
        }
    }

    /// Product of all elements, left to right from 1 (integers as `i64`, wrapping; `f32` in
    /// `f32`), as NumPy's `multiply.reduce`.
    pub fn prod(&self) -> Scalar {
        match self.elem {
            Prim::F64 => Scalar::F64(self.iter_bits().fold(1.0, |a, x| a * fv(x))),
            Prim::F32 => Scalar::F32(
                self.iter_bits()
                    .fold(1.0f32, |a, x| a * fv(x) as f32),
            ),
            _ => Scalar::I64(self.iter_bits().fold(1i64, |a, x| a.wrapping_mul(iv(x)))),
        }
    }

    /// `mean`, `var` or `std` (population, NumPy's `ddof=0`) of all elements, computed as
    /// NumPy's `_mean`/`_var` do: `f32` in `f32`, everything else in `f64`; the mean is the
    /// pairwise sum over the count, the variance the pairwise sum of `(x - mean)**2` over
    /// the count. Integers and `bool` are converted to `f64` in NumPy's buffers of 8,192
    /// elements, each buffer summed pairwise and the buffers added in turn. An empty array
    /// gives NaN.
    pub fn moments(&self, r: Reduce) -> Scalar {
        match self.elem {
            Prim::F64 => Scalar::F64(FloatRun::<f64>::of(self).moment(r)),
            Prim::F32 => Scalar::F32(FloatRun::<f32>::of(self).moment(r)),
            _ => Scalar::F64(FloatRun::<f64>::converted(self).moment(r)),
        }
    }

    /// One reduction over all elements, as `sum(a)`, `min(a)`, ... call it: the result kind
    /// is `r.result(elem)`. `min`/`max` of an empty array are errors in the prelude's
    /// words (`operation min`), the arg forms NumPy's.
    pub fn reduce_all(&self, r: Reduce) -> Result<Scalar, RtError> {
        match r {
            Reduce::Sum => Ok(self.sum()),
            Reduce::Prod => Ok(self.prod()),
            Reduce::Mean | Reduce::Var | Reduce::Std => Ok(self.moments(r)),
            Reduce::Min | Reduce::Max => self.extreme(r == Reduce::Max).ok_or_else(|| {
                RtError::new(format!(
                    "zero-size array to reduction operation {} which has no identity",
                    r.name()
                ))
            }),
            Reduce::ArgMin => self.argmin().map(Scalar::I64),
            Reduce::ArgMax => self.argmax().map(Scalar::I64),
            Reduce::Any => Ok(Scalar::Bool(self.any())),
            Reduce::All => Ok(Scalar::Bool(self.all())),
            Reduce::CumSum | Reduce::CumProd => Err(RtError::new(format!(
                "internal: `{}` is not a reduction to a scalar",
                r.name()
            ))),
        }
    }

    /// The smallest (`want_max == false`) or largest element, `None` for an empty array; the
    /// first NaN met wins. One pass in memory order (the answer does not depend on it).
    fn extreme(&self, want_max: bool) -> Option<Scalar> {
        let k = self.k_ordered();
        if let Some(cells) = k.contig_cells().filter(|c| !c.is_empty()) {
            let bits = if self.elem == Prim::F64 {
                extreme_f64(cells, want_max).to_bits()
            } else {
                let pick = if want_max { i64::max } else { i64::min };
                cells.iter().fold(cells[0].get() as i64, |m, x| pick(m, x.get() as i64)) as u64
            };
            return Some(Scalar::from_bits(self.elem, bits));
        }
        let mut it = k.iter_bits();
        let first = it.next()?;
        let bits = if self.elem.is_float() {
            let mut m = fv(first);
            if !m.is_nan() {
                for x in it {
                    let x = fv(x);
                    if x.is_nan() {
                        m = x;
                        break;
                    }
                    if (want_max && x > m) || (!want_max && x < m) {
                        m = x;
                    }
                }
            }
            m.to_bits()
        } else {
            let pick = if want_max { i64::max } else { i64::min };
            it.fold(iv(first), |m, x| pick(m, iv(x))) as u64
        };
        Some(Scalar::from_bits(self.elem, bits))
    }

    /// This array's elements in NumPy's iteration order for a reduction over all axes ("K"
    /// order): a view with the axes sorted by decreasing stride magnitude, so a C- or
    /// Fortran-contiguous array (or a transpose) is walked in memory order as one run.
    fn k_ordered(&self) -> Array {
        if self.ndim == 1 || self.size() == 0 {
            return self.clone();
        }
        let mut axes: Vec<usize> = (0..self.ndim).collect();
        axes.sort_by_key(|&d| std::cmp::Reverse(self.strides[d].unsigned_abs()));
        let mut shape = [1usize; 3];
        let mut strides = [0isize; 3];
        for (i, &d) in axes.iter().enumerate() {
            shape[i] = self.shape[d];
            strides[i] = self.strides[d];
        }
        Array::view_of(
            self.elem,
            self.ndim,
            shape,
            strides,
            self.offset,
            Rc::clone(&self.data),
        )
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

    /// The smallest element (NaN if any element is NaN). Errors on an empty array (NumPy's
    /// words, as `min(a, axis=k)` reports them).
    pub fn min(&self) -> Result<Scalar, RtError> {
        self.extreme(false).ok_or_else(|| {
            RtError::new("zero-size array to reduction operation minimum which has no identity")
        })
    }

    /// The largest element (NaN if any element is NaN). Errors on an empty array.
    pub fn max(&self) -> Result<Scalar, RtError> {
        self.extreme(true).ok_or_else(|| {
            RtError::new("zero-size array to reduction operation maximum which has no identity")
        })
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
}

impl Array {
    /// One reduction over all elements of this (1-D lane) array, as a register-form word of
    /// `r.result(elem)`; running reductions are not handled here. Sums of floats (also
    /// inside `mean`, `var`, `std`) are added in `order`.
    fn reduce_lane(&self, r: Reduce, order: Order) -> Result<u64, RtError> {
        let p = self.elem;
        let out = r.result(p);
        let moment = |r: Reduce| -> u64 {
            match p {
                Prim::F64 => {
                    let run = FloatRun::<f64> { order, ..FloatRun::of(self) };
                    run.moment(r).to_bits()
                }
                Prim::F32 => {
                    let run = FloatRun::<f32> { order, ..FloatRun::of(self) };
                    (run.moment(r) as f64).to_bits()
                }
                _ => {
                    let order = match order {
                        Order::Pairwise => Order::InBuffers,
                        o => o,
                    };
                    let run = FloatRun { order, ..FloatRun::converted(self) };
                    run.moment(r).to_bits()
                }
            }
        };
        Ok(match r {
            Reduce::Sum if p.is_float() => moment(Reduce::Sum),
            Reduce::Sum => self.sum().convert(out).to_bits(),
            Reduce::Prod => self.prod().convert(out).to_bits(),
            Reduce::Mean | Reduce::Var | Reduce::Std => moment(r),
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
        // NumPy sums a lane pairwise when the reduced axis is the innermost in memory (the
        // reduction is then its inner loop), else element by element into the partial
        // results of all lanes at once: left to right.
        let innermost = (0..self.ndim).all(|d| {
            d == k
                || self.shape[d] <= 1
                || self.strides[d].unsigned_abs() >= self.strides[k].unsigned_abs()
        });
        let order = if innermost {
            Order::Pairwise
        } else {
            Order::Sequential
        };
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
            let bits = lane(self.offset).reduce_lane(r, order)?;
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
            bits.push(lane(s).reduce_lane(r, order)?);
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
    fn eight_lane_extremes_agree_with_one_at_a_time() {
        // The reference: the first NaN, else the first value no later one beats.
        let reference = |xs: &[f64], want_max: bool| {
            if let Some(&n) = xs.iter().find(|x| x.is_nan()) {
                return n;
            }
            let better = |x: f64, m: f64| if want_max { x > m } else { x < m };
            xs[1..].iter().fold(xs[0], |m, &x| if better(x, m) { x } else { m })
        };
        let pool = [
            0.0,
            -0.0,
            1.5,
            -2.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            -f64::NAN,
            7.25,
            -0.5,
        ];
        let mut seed = 12345u64;
        for len in [1usize, 2, 7, 8, 9, 16, 17, 40, 67] {
            for _ in 0..200 {
                let xs: Vec<f64> = (0..len)
                    .map(|_| {
                        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                        // NaNs rare, so most runs take the lanes' answer (infinities: false alarms).
                        let k = (seed >> 33) as usize % (pool.len() * 4);
                        if k < pool.len() { pool[k] } else { (k as f64 - 20.0) * 0.75 }
                    })
                    .collect();
                let cells: Vec<Cell<u64>> = xs.iter().map(|x| Cell::new(x.to_bits())).collect();
                for want_max in [false, true] {
                    let (got, want) = (extreme_f64(&cells, want_max), reference(&xs, want_max));
                    assert_eq!(got.to_bits(), want.to_bits(), "{xs:?} max={want_max}");
                }
            }
        }
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

    /// NumPy's `pairwise_sum` written as plainly as possible, on indices.
    fn reference(x: &[f64], lo: usize, n: usize) -> f64 {
        if n < 8 {
            let mut r = -0.0;
            for i in 0..n {
                r += x[lo + i];
            }
            r
        } else if n <= 128 {
            let mut r = [0.0; 8];
            r.copy_from_slice(&x[lo..lo + 8]);
            let mut i = 8;
            while i < n - n % 8 {
                for (k, rk) in r.iter_mut().enumerate() {
                    *rk += x[lo + i + k];
                }
                i += 8;
            }
            let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
            while i < n {
                res += x[lo + i];
                i += 1;
            }
            res
        } else {
            let n2 = n / 2 - (n / 2) % 8;
            reference(x, lo, n2) + reference(x, lo + n2, n - n2)
        }
    }

    #[test]
    fn pairwise_is_numpys_order() {
        let id = |x: &f64| *x;
        // Exact cases: small integers sum exactly in any order.
        for n in [0usize, 1, 7, 8, 9, 15, 16, 17, 127, 128, 129, 130, 255, 256, 1000, 4097] {
            let xs: Vec<f64> = (0..n).map(|i| (i % 13) as f64 - 6.0).collect();
            let exact: f64 = (0..n).map(|i| (i % 13) as i64 - 6).sum::<i64>() as f64;
            assert_eq!(pairwise(&xs, &id), exact, "n = {n}");
            assert_eq!(pairwise(&xs, &id), reference(&xs, 0, n), "n = {n}");
        }
        // Inexact values: the order shows in the bits, which must be the reference's.
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
        };
        for n in 0..1000 {
            let xs: Vec<f64> = (0..n).map(|_| next() * 1e3).collect();
            assert_eq!(
                pairwise(&xs, &id).to_bits(),
                reference(&xs, 0, n).to_bits(),
                "n = {n}"
            );
        }
        // And they are not the left-to-right sum's (the order matters in the bits).
        let xs: Vec<f64> = (0..1000).map(|_| next()).collect();
        let seq = xs.iter().fold(0.0, |a, x| a + x);
        assert_ne!(pairwise(&xs, &id).to_bits(), seq.to_bits());
        // Fewer than 8 values start from -0.0; a sum starts from the identity +0.0.
        assert_eq!(pairwise(&[-0.0f64], &id).to_bits(), (-0.0f64).to_bits());
        assert_eq!(Array::from_f64s(&[-0.0]).sum(), Scalar::F64(0.0));
        assert!(matches!(Array::from_f64s(&[-0.0]).sum(), Scalar::F64(x) if x.is_sign_positive()));
        // f32 accumulates in f32: 2^24 + 1 is not an f32.
        let big = Array::from_f64s(&[16777216.0, 1.0, 1.0]).astype(Prim::F32);
        assert_eq!(big.sum(), Scalar::F32(16777216.0));
    }

    #[test]
    fn moments_and_layouts() {
        let a = f(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(a.reduce_all(Reduce::Mean), Ok(Scalar::F64(2.5)));
        assert_eq!(a.reduce_all(Reduce::Var), Ok(Scalar::F64(1.25)));
        assert_eq!(a.reduce_all(Reduce::Std), Ok(Scalar::F64(1.25f64.sqrt())));
        let e = Array::zeros(Prim::F64, &[0]).unwrap();
        assert!(matches!(e.reduce_all(Reduce::Mean), Ok(Scalar::F64(x)) if x.is_nan()));
        assert!(matches!(e.reduce_all(Reduce::Var), Ok(Scalar::F64(x)) if x.is_nan()));
        assert_eq!(
            err(e.reduce_all(Reduce::Min)),
            "zero-size array to reduction operation min which has no identity"
        );
        assert_eq!(
            i(&[1, 2]).astype(Prim::U8).reduce_all(Reduce::Mean),
            Ok(Scalar::F64(1.5))
        );
        assert_eq!(
            f(&[1.0, 2.0]).astype(Prim::F32).reduce_all(Reduce::Var),
            Ok(Scalar::F32(0.25))
        );
        // A transposed (Fortran-order) matrix is summed in memory order, as one run.
        let bits: Vec<u64> = (0..300).map(|k| (1.0 + k as f64 * 1e-3).to_bits()).collect();
        let m = Array::from_vec(Prim::F64, &[20, 15], bits.clone());
        let flat = Array::from_vec(Prim::F64, &[300], bits);
        assert_eq!(m.transpose().sum(), flat.sum());
        assert_eq!(m.sum(), flat.sum());
        assert_eq!(m.transpose().reduce_all(Reduce::ArgMax), Ok(Scalar::I64(299)));
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
