//! Elementwise computation: binary operators (array/array, array/scalar, and in place into
//! an operand's storage), negation and `not`, one- and two-argument math, casts (`astype`),
//! and the writes `fill`, `fill_with` and `assign`.
//!
//! Invariant: every element result comes from the scalar definitions in
//! [`crate::runtime::ops`], with the `match` on operator and element kind outside the
//! element loop, so array and scalar arithmetic cannot disagree.

use std::borrow::Cow;
use std::cell::Cell;
use std::rc::Rc;

use super::layout::{broadcast_shape, Offsets};
use super::storage::{from_raw, to_raw, OwnedWords, Words};
use super::{Array, ArrayRef};
use crate::runtime::error::RtError;
use crate::runtime::format::format_shape;
use crate::runtime::ops::{
    binop_in_int, binop_result, convert_bits, f64_to_i64, float_binop_bits, float_maximum,
    float_minimum, int_abs, int_binop_bits, int_shift, math1, powf, Scalar,
};
use crate::vocab::{BinOp, MathFn, MathFn2, Prim};

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

/// `g` of the register form of every element of `a`, in C order. Contiguous arrays of any
/// width are read as one slice (the general path walks offsets element by element).
fn map1<T>(a: &Array, g: impl Fn(u64) -> T) -> Vec<T> {
    let e = a.elem;
    match a.contig_words() {
        Some(Words::W8(w)) => w.iter().map(|x| g(x.get())).collect(),
        Some(Words::W4(w)) => w.iter().map(|x| g(from_raw(e, x.get() as u64))).collect(),
        Some(Words::W1(w)) => w.iter().map(|x| g(from_raw(e, x.get() as u64))).collect(),
        None => a.iter_bits().map(g).collect(),
    }
}

/// `f` over the elements of `a`, as a new array of kind `out` and `a`'s shape: stored at
/// `out`'s width in the same pass (no 8-byte buffer in between for narrow kinds).
pub(super) fn map1_to(a: &Array, out: Prim, f: impl Fn(u64) -> u64) -> Array {
    let words = match out.size() {
        1 => OwnedWords::W1(map1(a, |x| Cell::new(to_raw(out, f(x)) as u8))),
        4 => OwnedWords::W4(map1(a, |x| Cell::new(to_raw(out, f(x)) as u32))),
        _ => OwnedWords::W8(map1(a, |x| Cell::new(f(x)))),
    };
    Array::from_words(out, a.ndim, a.shape, words)
}

/// [`Array::copy`] into a storage the pool kept, as a new reference (see `pool.rs`): the
/// elements as `map1_to` writes them, so the copy is the same.
pub(super) fn copy_ref(a: &Array) -> ArrayRef {
    let out = a.elem;
    if let Some(mut h) = super::pool::take_array(out.size(), a.size()) {
        if let Some(arr) = Rc::get_mut(&mut h) {
            if let Some(st) = Rc::get_mut(&mut arr.data) {
                st.refill(|w| match w {
                    OwnedWords::W1(v) => map1_into(a, v, |x| Cell::new(to_raw(out, x) as u8)),
                    OwnedWords::W4(v) => map1_into(a, v, |x| Cell::new(to_raw(out, x) as u32)),
                    OwnedWords::W8(v) => map1_into(a, v, Cell::new),
                });
                let strides = super::layout::c_strides(a.ndim, &a.shape);
                arr.set_layout(out, a.ndim, a.shape, strides, 0);
                return h;
            }
        }
    }
    super::pool::new_ref(a.copy())
}

/// `map1` appending to `v`.
fn map1_into<T>(a: &Array, v: &mut Vec<T>, g: impl Fn(u64) -> T) {
    let e = a.elem;
    match a.contig_words() {
        Some(Words::W8(w)) => v.extend(w.iter().map(|x| g(x.get()))),
        Some(Words::W4(w)) => v.extend(w.iter().map(|x| g(from_raw(e, x.get() as u64)))),
        Some(Words::W1(w)) => v.extend(w.iter().map(|x| g(from_raw(e, x.get() as u64)))),
        None => v.extend(a.iter_bits().map(g)),
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
pub(super) fn fv(x: u64) -> f64 {
    f64::from_bits(x)
}

#[inline(always)]
pub(super) fn iv(x: u64) -> i64 {
    x as i64
}

/// `op` over integer (or bool 0/1) operands; the result words are `i64` or bool. Each arm
/// calls the scalar definition ([`int_binop_bits`]) with a constant operator, so the match
/// folds away inside the loop and scalar and array results cannot differ.
/// `bits` is the width of the result kind (shifts are checked against it).
fn int_kernel<D: Driver>(op: BinOp, d: &D, bits: u32) -> Result<Vec<u64>, RtError> {
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
        BinOp::BitAnd => total!(BitAnd),
        BinOp::BitOr => total!(BitOr),
        BinOp::BitXor => total!(BitXor),
        BinOp::Shl | BinOp::Shr => d.try_run(|x, y| int_shift(op, iv(x), iv(y), bits).map(|v| v as u64))?,
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
        // The checker allows bitwise operators on integers and bool only.
        BinOp::BitAnd | BinOp::BitOr | BinOp::BitXor | BinOp::Shl | BinOp::Shr => {
            d.run(|_, _| 0)
        }
    }
}

/// Two-argument math over `f64` operands.
fn float_math2_kernel<D: Driver>(f: MathFn2, d: &D) -> Vec<u64> {
    match f {
        MathFn2::Atan2 => d.run(|y, x| fv(y).atan2(fv(x)).to_bits()),
        MathFn2::Pow => d.run(|x, y| powf(fv(x), fv(y)).to_bits()),
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

/// The result kind of integer `minimum`/`maximum`/`abs` of kind `p` (`bool` counts as `i64`).
fn int_kind(p: Prim) -> Prim {
    if p == Prim::Bool {
        Prim::I64
    } else {
        p
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

/// The other operand of the same-type fast path ([`Array::same_type`]): cells of the
/// element width, or a scalar already converted to that element type's stored bits.
#[derive(Clone, Copy)]
enum Same<'a, T> {
    Cells(&'a [Cell<T>]),
    Scalar(T),
}

/// `f(x, y)` over the cells of `xs` and the other operand (`f(s, x)` with `left`), into
/// a fresh buffer of the same width: one tight loop the compiler can vectorize.
#[inline(always)]
fn same_type_loop<T: Copy>(
    xs: &[Cell<T>],
    y: Same<'_, T>,
    left: bool,
    f: impl Fn(T, T) -> T,
) -> Vec<Cell<T>> {
    match y {
        Same::Cells(ys) => xs
            .iter()
            .zip(ys)
            .map(|(x, y)| Cell::new(f(x.get(), y.get())))
            .collect(),
        Same::Scalar(s) if left => xs.iter().map(|x| Cell::new(f(s, x.get()))).collect(),
        Same::Scalar(s) => xs.iter().map(|x| Cell::new(f(x.get(), s))).collect(),
    }
}

/// An operand of [`Array::same_type`].
#[derive(Clone, Copy)]
enum SameOperand<'a> {
    Array(&'a Array),
    Scalar(Scalar),
}

fn shape_mismatch(a: &Array, b: &Array) -> RtError {
    RtError::new(format!(
        "shape mismatch: operands could not be broadcast together with shapes {} and {}",
        format_shape(a.shape()),
        format_shape(b.shape())
    ))
}

impl Array {
    // ----- writes -------------------------------------------------------------------------

    /// Copies `src` into this array (or view), converting elements to this array's kind;
    /// `src` broadcasts to this shape. Correct when `src` overlaps `self`.
    pub fn assign(&self, src: &Array) -> Result<(), RtError> {
        // `src` broadcasts to this array's shape, as in NumPy's assignment.
        let spread;
        let src = if self.shape() == src.shape() {
            src
        } else {
            match src.broadcast_to(self.shape()) {
                Some(v) => {
                    spread = v;
                    &spread
                }
                None => {
                    return Err(RtError::new(format!(
                        "shape mismatch: cannot assign array of shape {} to slice of shape {}",
                        format_shape(src.shape()),
                        format_shape(self.shape())
                    )))
                }
            }
        };
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
                for (o, b) in Offsets::new(self).zip(src) {
                    self.data.store(self.elem, o, b);
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

    // ----- elementwise --------------------------------------------------------------------

    /// This array with float elements (borrowed when it already is: an `f32` element's
    /// register form is its `f64` value).
    fn as_float(&self) -> Cow<'_, Array> {
        if self.elem.is_float() {
            Cow::Borrowed(self)
        } else {
            Cow::Owned(self.astype(Prim::F64))
        }
    }

    /// Both operands as views of their broadcast shape (NumPy's rules), or the error naming
    /// both shapes. Equal shapes (the common case) borrow.
    fn broadcast_pair<'a>(
        a: &'a Array,
        b: &'a Array,
    ) -> Result<(Cow<'a, Array>, Cow<'a, Array>), RtError> {
        if a.shape() == b.shape() {
            return Ok((Cow::Borrowed(a), Cow::Borrowed(b)));
        }
        let views = broadcast_shape(a.shape(), b.shape())
            .and_then(|s| Some((a.broadcast_to(&s)?, b.broadcast_to(&s)?)));
        match views {
            Some((x, y)) => Ok((Cow::Owned(x), Cow::Owned(y))),
            None => Err(shape_mismatch(a, b)),
        }
    }

    /// The elements of a contiguous array as one slice of cells of their width.
    fn contig_words(&self) -> Option<Words<'_>> {
        if !self.is_contiguous() {
            return None;
        }
        let (lo, hi) = (self.offset, self.offset + self.size());
        Some(match self.data.words() {
            _ if self.size() == 0 => match self.elem.size() {
                1 => Words::W1(&[]),
                4 => Words::W4(&[]),
                _ => Words::W8(&[]),
            },
            Words::W1(w) => Words::W1(w.get(lo..hi)?),
            Words::W4(w) => Words::W4(w.get(lo..hi)?),
            Words::W8(w) => Words::W8(w.get(lo..hi)?),
        })
    }

    /// The fast path of [`Array::binop`] and [`Array::binop_scalar`]: `a op b` (`b op a`
    /// with `left`) when `a` is contiguous, `b` is a contiguous array of `a`'s shape or a
    /// scalar, the result has `a`'s element type (not `bool`), a `b` array has it too, and
    /// `op` is `+ - *` (integers wrap at their width) or a float `/`. The elements are
    /// computed at their own width, one loop per operator and type, each element by the
    /// scalar definition ([`float_binop_bits`], [`int_binop_bits`]) — an `f32` in `f64`
    /// rounded once, which is the `f32` operation — so the result is the general path's.
    /// `None` when these conditions do not hold.
    fn same_type(op: BinOp, a: &Array, b: SameOperand<'_>, left: bool) -> Option<Array> {
        let e = a.elem;
        let be = match b {
            SameOperand::Array(b) => b.elem,
            SameOperand::Scalar(s) => s.prim(),
        };
        if e == Prim::Bool
            || be == Prim::Bool
            || !matches!(op, BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div)
            || binop_result(op, e, be) != e
        {
            return None;
        }
        let xs = a.contig_words()?;
        let ys = match b {
            SameOperand::Array(b) if b.elem == e && b.shape() == a.shape() => {
                Some(b.contig_words()?)
            }
            SameOperand::Array(_) => return None,
            SameOperand::Scalar(_) => None,
        };
        let sc = match b {
            SameOperand::Scalar(s) => s,
            SameOperand::Array(_) => Scalar::from_bits(e, 0),
        };
        // One arm per operator, so the operator is a constant inside each loop.
        macro_rules! per_op {
            ($m:ident) => {
                match op {
                    BinOp::Add => $m!(Add),
                    BinOp::Sub => $m!(Sub),
                    BinOp::Mul => $m!(Mul),
                    _ => $m!(Div),
                }
            };
        }
        let words = match (e, xs, ys) {
            (Prim::F64, Words::W8(xs), ys) => {
                let y = match ys {
                    Some(Words::W8(ys)) => Same::Cells(ys),
                    _ => Same::Scalar(sc.as_f64().to_bits()),
                };
                macro_rules! f64_arm {
                    ($op:ident) => {
                        same_type_loop(xs, y, left, |x, y| {
                            float_binop_bits(BinOp::$op, fv(x), fv(y))
                        })
                    };
                }
                OwnedWords::W8(per_op!(f64_arm))
            }
            (Prim::I64, Words::W8(xs), ys) => {
                let y = match ys {
                    Some(Words::W8(ys)) => Same::Cells(ys),
                    _ => Same::Scalar(sc.as_i64() as u64),
                };
                macro_rules! i64_arm {
                    ($op:ident) => {
                        same_type_loop(xs, y, left, |x, y| {
                            int_binop_bits(BinOp::$op, iv(x), iv(y)).unwrap_or(0)
                        })
                    };
                }
                OwnedWords::W8(per_op!(i64_arm))
            }
            (Prim::F32, Words::W4(xs), ys) => {
                let y = match ys {
                    Some(Words::W4(ys)) => Same::Cells(ys),
                    _ => Same::Scalar((sc.as_f64() as f32).to_bits()),
                };
                macro_rules! f32_arm {
                    ($op:ident) => {
                        same_type_loop(xs, y, left, |x, y| {
                            let (x, y) = (f32::from_bits(x) as f64, f32::from_bits(y) as f64);
                            (fv(float_binop_bits(BinOp::$op, x, y)) as f32).to_bits()
                        })
                    };
                }
                OwnedWords::W4(per_op!(f32_arm))
            }
            (Prim::I32, Words::W4(xs), ys) => {
                let y = match ys {
                    Some(Words::W4(ys)) => Same::Cells(ys),
                    _ => Same::Scalar(sc.as_i64() as u32),
                };
                macro_rules! i32_arm {
                    ($op:ident) => {
                        same_type_loop(xs, y, left, |x, y| {
                            let (x, y) = (x as i32 as i64, y as i32 as i64);
                            int_binop_bits(BinOp::$op, x, y).unwrap_or(0) as u32
                        })
                    };
                }
                OwnedWords::W4(per_op!(i32_arm))
            }
            (Prim::U8, Words::W1(xs), ys) => {
                let y = match ys {
                    Some(Words::W1(ys)) => Same::Cells(ys),
                    _ => Same::Scalar(sc.as_i64() as u8),
                };
                macro_rules! u8_arm {
                    ($op:ident) => {
                        same_type_loop(xs, y, left, |x, y| {
                            int_binop_bits(BinOp::$op, x as i64, y as i64).unwrap_or(0) as u8
                        })
                    };
                }
                OwnedWords::W1(per_op!(u8_arm))
            }
            _ => return None,
        };
        Some(Array::from_words(e, a.ndim, a.shape, words))
    }

    /// `a op b` elementwise, broadcasting as NumPy.
    pub fn binop(op: BinOp, a: &Array, b: &Array) -> Result<Array, RtError> {
        if let Some(r) = Array::same_type(op, a, SameOperand::Array(b), false) {
            return Ok(r);
        }
        let (a, b) = Array::broadcast_pair(a, b)?;
        let (a, b) = (&*a, &*b);
        let res = binop_result(op, a.elem, b.elem);
        let bits = if binop_in_int(op, a.elem, b.elem) {
            int_kernel(op, &ArrArr(a, b), res.size() as u32 * 8)?
        } else {
            let (fa, fb) = (a.as_float(), b.as_float());
            float_kernel(op, &ArrArr(&fa, &fb))
        };
        Ok(Array::with_shape_of(a, res, bits))
    }

    /// `x op y` elementwise written into the storage of `x` (`into_left`) or of `y`,
    /// instead of a new array: NumPy's temporary elision. Done only for an `f64` result
    /// into a contiguous `f64` target whose storage no other array shares and is not lent
    /// by the embedding program (never written behind its back); the caller
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
            || target.data.is_lent()
        {
            return Ok(false);
        }
        // The other operand broadcast to the target's shape; any other shape is left to
        // the allocating `binop` (which reports a mismatch).
        let spread;
        let other = match other {
            InPlace::Array(o) if o.shape() != target.shape() => {
                let both = broadcast_shape(o.shape(), target.shape());
                match o.broadcast_to(target.shape()) {
                    Some(v) if both.as_deref() == Some(target.shape()) => {
                        spread = v;
                        InPlace::Array(&spread)
                    }
                    _ => return Ok(false),
                }
            }
            o => o,
        };
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

    /// `a op s` (or `s op a` when `scalar_on_left`) elementwise.
    pub fn binop_scalar(
        op: BinOp,
        a: &Array,
        s: Scalar,
        scalar_on_left: bool,
    ) -> Result<Array, RtError> {
        if let Some(r) = Array::same_type(op, a, SameOperand::Scalar(s), scalar_on_left) {
            return Ok(r);
        }
        let res = binop_result(op, a.elem, s.prim());
        let bits = if binop_in_int(op, a.elem, s.prim()) {
            let d = ArrScalar {
                a,
                s: s.as_i64() as u64,
                left: scalar_on_left,
            };
            int_kernel(op, &d, res.size() as u32 * 8)?
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

    /// `-a` elementwise (integers wrap in their kind; `bool` counts as 0/1 and gives `i64`).
    pub fn neg(a: &Array) -> Array {
        match a.elem {
            p if p.is_float() => map1_to(a, p, |x| (-fv(x)).to_bits()),
            p => {
                let to = if p == Prim::Bool { Prim::I64 } else { p };
                map1_to(a, to, |x| iv(x).wrapping_neg() as u64)
            }
        }
    }

    /// `not a` / `~a` elementwise: logical on a bool array (any nonzero word counts as
    /// `true`), bitwise on integers (in their kind).
    pub fn not(a: &Array) -> Array {
        if a.elem == Prim::Bool {
            map1_to(a, Prim::Bool, |x| (x == 0) as u64)
        } else {
            map1_to(a, a.elem, |x| !x)
        }
    }

    /// A one-argument math function elementwise: `abs` keeps an integer kind (`bool` gives
    /// `i64`), the others give `f64`, or `f32` for `f32` (computed in `f64`, rounded once).
    pub fn math1_array(f: MathFn, a: &Array) -> Array {
        if f == MathFn::Abs && !a.elem.is_float() {
            let to = if a.elem == Prim::Bool { Prim::I64 } else { a.elem };
            return map1_to(a, to, |x| int_abs(iv(x)) as u64);
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
        Array::with_shape_of(a, a.elem.float_result(), bits)
    }

    /// A two-argument math function on two arrays, broadcasting as NumPy.
    pub fn math2_aa(f: MathFn2, a: &Array, b: &Array) -> Result<Array, RtError> {
        let (a, b) = Array::broadcast_pair(a, b)?;
        let (a, b) = (&*a, &*b);
        let p = Prim::promote(a.elem, b.elem);
        if f.keeps_int() && !p.is_float() {
            return Ok(Array::with_shape_of(
                a,
                int_kind(p),
                int_math2_kernel(f, &ArrArr(a, b)),
            ));
        }
        let (fa, fb) = (a.as_float(), b.as_float());
        Ok(Array::with_shape_of(
            a,
            p.float_result(),
            float_math2_kernel(f, &ArrArr(&fa, &fb)),
        ))
    }

    /// A two-argument math function between an array and a scalar (`f(s, a)` when
    /// `scalar_on_left`).
    pub fn math2_as(f: MathFn2, a: &Array, s: Scalar, scalar_on_left: bool) -> Array {
        let p = Prim::promote(a.elem, s.prim());
        if f.keeps_int() && !p.is_float() {
            let d = ArrScalar {
                a,
                s: s.as_i64() as u64,
                left: scalar_on_left,
            };
            return Array::with_shape_of(a, int_kind(p), int_math2_kernel(f, &d));
        }
        let fa = a.as_float();
        let d = ArrScalar {
            a: &fa,
            s: s.as_f64().to_bits(),
            left: scalar_on_left,
        };
        Array::with_shape_of(a, p.float_result(), float_math2_kernel(f, &d))
    }

    /// NumPy's `where(c, a, b)`: `a`'s element where `c` is true, else `b`'s, converted to
    /// kind `p`; the three broadcast together (a scalar is an array of shape `(1,)`).
    pub fn select(c: &Array, a: &Array, b: &Array, p: Prim) -> Result<Array, RtError> {
        let shape = broadcast_shape(c.shape(), a.shape())
            .and_then(|s| broadcast_shape(&s, b.shape()))
            .ok_or_else(|| {
                RtError::new(format!(
                    "shape mismatch: operands could not be broadcast together with shapes {} {} {}",
                    format_shape(c.shape()),
                    format_shape(a.shape()),
                    format_shape(b.shape())
                ))
            })?;
        let view = |x: &Array| x.broadcast_to(&shape).expect("broadcastable: checked above");
        let (cv, av, bv) = (view(c), view(a), view(b));
        let (pa, pb) = (a.elem, b.elem);
        let bits = cv
            .iter_bits()
            .zip(av.iter_bits().zip(bv.iter_bits()))
            .map(|(k, (x, y))| {
                if k != 0 {
                    convert_bits(pa, p, x)
                } else {
                    convert_bits(pb, p, y)
                }
            })
            .collect();
        Ok(Array::with_shape_of(&cv, p, bits))
    }

    // ----- casts --------------------------------------------------------------------------

    /// A copy converted to kind `p` (the rules of [`convert_bits`]: float to integer
    /// truncates toward zero and saturates, narrower integers keep the low bits, `bool` is
    /// "nonzero").
    pub fn astype(&self, p: Prim) -> Array {
        let from = self.elem;
        // The common casts with the kinds matched once, outside the element loop.
        match (from, p) {
            (Prim::I64, Prim::F64) => map1_to(self, p, |x| (iv(x) as f64).to_bits()),
            (Prim::I64, Prim::F32) => map1_to(self, p, |x| (iv(x) as f32 as f64).to_bits()),
            (Prim::F64, Prim::I64) => map1_to(self, p, |x| f64_to_i64(fv(x)) as u64),
            (Prim::F64 | Prim::F32, Prim::F64 | Prim::F32) => map1_to(self, p, |x| x),
            _ => map1_to(self, p, |x| convert_bits(from, p, x)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::array::test_util::*;
    use crate::runtime::array::Index;

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
            "shape mismatch: operands could not be broadcast together with shapes (3,) and (4,)"
        );
        assert_eq!(
            err(Array::binop(BinOp::Add, &iota2(2, 3), &iota2(3, 2))),
            "shape mismatch: operands could not be broadcast together with shapes (2, 3) and (3, 2)"
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
                            crate::runtime::ops::scalar_binop(op, s, x)
                        } else {
                            crate::runtime::ops::scalar_binop(op, x, s)
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
        // A length-1 operand broadcasts; unequal lengths do not.
        assert!(Array::math2_aa(MathFn2::Pow, &a, &f(&[1.0])).is_ok());
        assert!(Array::math2_aa(MathFn2::Pow, &a, &f(&[1.0, 2.0, 3.0])).is_err());
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
    fn in_place_leaves_shape_mismatches_to_binop_and_broadcasts_into_the_target() {
        let x = Array::from_f64s(&[1.0, 2.0]);
        let y = Array::from_f64s(&[1.0, 2.0, 3.0]);
        let r = Array::binop_in_place(BinOp::Add, InPlace::Array(&x), InPlace::Array(&y), true);
        assert_eq!(r, Ok(false), "nothing written");
        assert!(err(Array::binop(BinOp::Add, &x, &y)).contains("shape mismatch"));
        // A (2,) operand broadcasts into a (3, 2) target in place.
        let t = Array::from_vec(Prim::F64, &[3, 2], vec![0f64.to_bits(); 6]);
        let r = Array::binop_in_place(BinOp::Add, InPlace::Array(&t), InPlace::Array(&x), true);
        assert_eq!(r, Ok(true));
        assert_eq!(t.format(), "[[1.0, 2.0], [1.0, 2.0], [1.0, 2.0]]");
        // A (3, 2) operand does not fit a (2,) target: left to `binop`.
        let r = Array::binop_in_place(BinOp::Add, InPlace::Array(&x), InPlace::Array(&t), true);
        assert_eq!(r, Ok(false));
    }
}
