//! Rust values ⇄ nk values at the engine's boundary.
//!
//! **Into nk** ([`IntoNk`], [`IntoArgs`]): scalars (`i64`, `f64`, `bool`), `ndarray` arrays
//! of any [`NkElement`] with 1 to 3 dimensions (`Array1`..`Array3`, `ArrayD`, views, any
//! strides), tuples of these (nested: nk tuples), and [`Value`]s
//! (the table of what is moved, lent or copied is on [`IntoNk`]).
//!
//! **Out of nk** ([`FromNk`]): the same scalars, `()`, `Array<A, D>` for any dimension
//! type (`ArrayD` takes the rank of the value), tuples (nested), `Vec<T>` of a tuple and
//! [`Value`].
//!
//! No conversion panics: every mismatch is a [`ConvertError`] naming the argument, what nk
//! expected and what was given.

use super::Error;
use crate::interp::Value;
use crate::ir::Type;
use crate::runtime::array::{from_raw, to_raw};
use crate::runtime::{Array, OwnedWords, Scalar, Storage, MAX_ELEMENTS};
use crate::vocab::Prim;
use ndarray::{ArrayBase, ArrayView, ArrayViewMut, Data, DataMut, Dimension};
use std::cell::Cell;
use std::fmt;
use std::rc::Rc;

/// Proof that a conversion is made by the engine: only the engine can make one, so values
/// over lent memory ([`IntoNk`] for borrowed arrays) never outlive the call that lends it.
pub struct Seal(());

impl Seal {
    pub(super) fn new() -> Seal {
        Seal(())
    }
}

// ----- errors -----------------------------------------------------------------------------

/// A value that cannot cross the boundary: which argument (if any), what nk expected and
/// what was given. The engine reports it as [`Error::Usage`] with this text.
///
/// ```
/// use nvm::engine::ConvertError;
/// let e = ConvertError { arg: Some(1), expected: "f64[,]".into(), found: "i64[]".into() };
/// assert_eq!(e.to_string(), "argument 1: expected f64[,], found i64[]");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConvertError {
    /// The argument's position, counted from 0 like a tuple's fields (`None`: the result,
    /// or a value not yet placed in an argument list).
    pub arg: Option<usize>,
    /// What nk can take or what the caller asked for (`f64[,]`, `an array of 1 to 3
    /// dimensions`).
    pub expected: String,
    /// What was given: a Rust type and shape (`an ndarray of f64 with shape [2, 2, 2, 2]`)
    /// or an nk type (`i64[]`).
    pub found: String,
}

impl ConvertError {
    fn new(expected: impl Into<String>, found: impl Into<String>) -> ConvertError {
        ConvertError {
            arg: None,
            expected: expected.into(),
            found: found.into(),
        }
    }
    /// The same error, placed at argument `i` (unless already placed).
    pub fn at(mut self, i: usize) -> ConvertError {
        self.arg.get_or_insert(i);
        self
    }
}

impl fmt::Display for ConvertError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.arg {
            Some(i) => write!(
                f,
                "argument {i}: expected {}, found {}",
                self.expected, self.found
            ),
            None => write!(
                f,
                "the nk function returned {}, not {}",
                self.found, self.expected
            ),
        }
    }
}

impl std::error::Error for ConvertError {}

impl From<ConvertError> for Error {
    fn from(e: ConvertError) -> Error {
        Error::Usage(e.to_string())
    }
}

// ----- element types ----------------------------------------------------------------------

mod sealed {
    /// Implemented only here: lending relies on knowing every implementation.
    pub trait Sealed {}
}

/// An element type of arrays that cross the boundary: an nk element type, stored by nk
/// exactly as Rust stores it (natural size, native byte order; `bool` one byte 0/1), so
/// arrays of it can be lent to nk and moved in and out without conversion. Sealed; the
/// implementations are `f64`, `f32`, `i64`, `i32`, `u8` and `bool`.
pub trait NkElement: Copy + 'static + sealed::Sealed {
    /// The nk element type.
    const PRIM: Prim;
    /// nk's register form of `self`: integers as their `i64` value, floats as the bits of
    /// their `f64` value, `bool` 0 or 1.
    fn to_bits(self) -> u64;
    /// The value of register form `bits`.
    fn from_bits(bits: u64) -> Self;
    /// nk's owned buffer over these elements (the allocation is reused).
    fn into_words(v: Vec<Self>) -> OwnedWords;
    /// The elements of an owned buffer of this width (the allocation is reused), or the
    /// buffer back if it has another width.
    fn from_words(w: OwnedWords) -> Result<Vec<Self>, OwnedWords>;
}

/// One line per element type: `rust type => nk Prim, buffer width, raw word type, to raw,
/// from raw`.
macro_rules! nk_elements {
    ($($t:ty => $prim:ident, $w:ident, $raw:ty, $to:expr, $from:expr;)*) => {$(
        impl sealed::Sealed for $t {}
        impl NkElement for $t {
            const PRIM: Prim = Prim::$prim;
            fn to_bits(self) -> u64 {
                from_raw(Prim::$prim, ($to)(self) as u64)
            }
            fn from_bits(bits: u64) -> Self {
                ($from)(to_raw(Prim::$prim, bits) as $raw)
            }
            fn into_words(v: Vec<Self>) -> OwnedWords {
                OwnedWords::$w(v.into_iter().map(|x| Cell::new(($to)(x))).collect())
            }
            fn from_words(w: OwnedWords) -> Result<Vec<Self>, OwnedWords> {
                match w {
                    OwnedWords::$w(v) => Ok(v.into_iter().map(|c| ($from)(c.into_inner())).collect()),
                    other => Err(other),
                }
            }
        }
    )*};
}
nk_elements! {
    f64 => F64, W8, u64, f64::to_bits, f64::from_bits;
    i64 => I64, W8, u64, |x: i64| x as u64, |b: u64| b as i64;
    f32 => F32, W4, u32, f32::to_bits, f32::from_bits;
    i32 => I32, W4, u32, |x: i32| x as u32, |b: u32| b as i32;
    u8 => U8, W1, u8, |x: u8| x, |b: u8| b;
    bool => Bool, W1, u8, |x: bool| x as u8, |b: u8| b != 0;
}

/// Whether arrays of `A` can be lent: nk stores `A` with its size and alignment.
fn word_sized<A: NkElement>() -> bool {
    std::mem::size_of::<A>() == A::PRIM.size() && std::mem::align_of::<A>() == A::PRIM.size()
}

/// `an ndarray of f64 with shape [2, 3]`.
fn describe_array<A: NkElement>(shape: &[usize]) -> String {
    format!("an ndarray of {} with shape {shape:?}", A::PRIM.name())
}

/// The nk type of an `ndim`-dimensional array of `A` (`f64[,]`).
fn array_type_name<A: NkElement>(shape: &[usize]) -> Result<String, ConvertError> {
    if !(1..=3).contains(&shape.len()) {
        return Err(ConvertError::new(
            format!(
                "an array of 1 to 3 dimensions (nk has no {}-dimensional arrays)",
                shape.len()
            ),
            describe_array::<A>(shape),
        ));
    }
    Ok(Type::Array(A::PRIM, shape.len() as u8).to_string())
}

// ----- into nk ----------------------------------------------------------------------------

/// What the conversion of one argument list keeps for the end of the call: the copies to
/// write back into `&mut` arrays nk could not be lent. Made only by the engine.
pub struct Loans<'a> {
    write_backs: Vec<Box<dyn FnOnce() + 'a>>,
    _seal: Seal,
}

/// Dropped after the call: the copies are written back into the caller's arrays.
impl Drop for Loans<'_> {
    fn drop(&mut self) {
        for w in self.write_backs.drain(..) {
            w();
        }
    }
}

impl<'a> Loans<'a> {
    pub(super) fn new(seal: Seal) -> Loans<'a> {
        Loans {
            write_backs: Vec::new(),
            _seal: seal,
        }
    }
}

/// A converted argument list: the values (each with its nk type) for
/// [`super::Engine::call_values`], and the write-backs of `&mut` arrays passed as copies,
/// which run when the `Args` is dropped (after the call, also after a failed one).
pub struct Args<'a> {
    values: Vec<(String, Value)>,
    loans: Loans<'a>,
}

impl Args<'_> {
    /// The values, each with its nk type; taking them leaves the write-backs here.
    pub fn take(&mut self) -> Vec<(String, Value)> {
        std::mem::take(&mut self.values)
    }
    /// The nk types of the arguments (`f64[,]`, `(i64, bool)`).
    pub fn types(&self) -> impl Iterator<Item = &str> {
        self.values.iter().map(|(t, _)| t.as_str())
    }
}

impl Drop for Args<'_> {
    fn drop(&mut self) {
        // The values first: a write-back reads the copy, which no nk value should share.
        self.values.clear();
        for w in self.loans.write_backs.drain(..) {
            w();
        }
    }
}

/// A Rust value nk can take as an argument: `i64`, `f64`, `bool` (and references to
/// them), `ndarray` arrays of [`NkElement`]s with 1 to 3 dimensions, tuples of these
/// (nk tuples), and [`Value`]. Sealed: its implementations are the engine's, because values
/// over lent memory must not escape the call. How an array crosses:
///
/// | Rust argument | nk gets |
/// |---|---|
/// | `Array` (owned), standard layout, `i64`/`f64` | its buffer, moved (no copy) |
/// | `Array`, `ArcArray`, `CowArray`, other layouts or `bool` | a copy in logical order |
/// | `&Array`, `&ArrayView`, `ArrayView` | the caller's memory, *lent read-only*, when its strides are non-negative and the element is `i64`/`f64`; the engine replaces it by a copy before calling a function that may write an array (`ir::effects::writes_arrays`); otherwise a copy |
/// | `&mut Array`, `&mut ArrayViewMut`, `ArrayViewMut` | the caller's memory, *lent* read-write, when its strides are non-negative and the element is `i64`/`f64`; otherwise (negative strides, `bool`) a copy that is *written back* element by element when the call ends — with either, nk's writes are seen by the caller |
///
/// ```
/// use nvm::engine::Engine;
/// let mut e = Engine::new();
/// e.load_str("m", "fn f(x) { return x[0, 1]; }\nfn g(t) { let (x, k) = t; x[0] = k; }").unwrap();
/// let m = ndarray::arr2(&[[1.0, 2.0], [3.0, 4.0]]);
/// // A transposed view, lent read-only: nk sees m.t()[[0, 1]] == m[[1, 0]].
/// assert_eq!(e.call::<f64>("f", (m.t(),)).unwrap(), 3.0);
/// // A reversed `&mut` view inside a tuple: copied in, written back.
/// let mut v = ndarray::arr1(&[1_i64, 2, 3]);
/// let () = e.call("g", ((&mut v.slice_mut(ndarray::s![..;-1]), 9_i64),)).unwrap();
/// assert_eq!(v, ndarray::arr1(&[1, 2, 9]));
/// ```
pub trait IntoNk: Sized + sealed::Sealed {
    /// Its nk type, as written in a parameter list (`i64`, `f64[,]`, `(i64, f64[])`).
    fn nk_type(&self) -> Result<String, ConvertError>;
    /// The nk value; borrowed arrays may be lent (`loans` keeps what must happen after the
    /// call).
    fn into_nk<'a>(self, loans: &mut Loans<'a>) -> Result<Value, ConvertError>
    where
        Self: 'a;
}

macro_rules! scalar_into {
    ($($t:ty => $variant:ident),*) => {$(
        impl IntoNk for $t {
            fn nk_type(&self) -> Result<String, ConvertError> {
                Ok(Prim::$variant.name().to_string())
            }
            fn into_nk<'a>(self, _: &mut Loans<'a>) -> Result<Value, ConvertError>
            where
                Self: 'a,
            {
                Ok(Value::S(Scalar::$variant(self)))
            }
        }
        impl sealed::Sealed for &$t {}
        impl IntoNk for &$t {
            fn nk_type(&self) -> Result<String, ConvertError> {
                (**self).nk_type()
            }
            fn into_nk<'a>(self, loans: &mut Loans<'a>) -> Result<Value, ConvertError>
            where
                Self: 'a,
            {
                (*self).into_nk(loans)
            }
        }
    )*};
}
scalar_into!(i64 => I64, f64 => F64, bool => Bool, f32 => F32, i32 => I32, u8 => U8);

impl sealed::Sealed for &str {}
impl sealed::Sealed for String {}

/// A Rust string is an nk `str` (a parameter declared `str`, or a generic one).
impl IntoNk for &str {
    fn nk_type(&self) -> Result<String, ConvertError> {
        Ok("str".to_string())
    }
    fn into_nk<'a>(self, _: &mut Loans<'a>) -> Result<Value, ConvertError>
    where
        Self: 'a,
    {
        Ok(Value::Str(self.to_string()))
    }
}

impl IntoNk for String {
    fn nk_type(&self) -> Result<String, ConvertError> {
        Ok("str".to_string())
    }
    fn into_nk<'a>(self, _: &mut Loans<'a>) -> Result<Value, ConvertError>
    where
        Self: 'a,
    {
        Ok(Value::Str(self))
    }
}

/// The nk type of a value, as written in a parameter list; `None` for nothing (`Unit`).
pub(crate) fn value_type(v: &Value) -> Option<String> {
    super::value_type(v).map(|t| t.to_string())
}

impl sealed::Sealed for Value {}
impl sealed::Sealed for &Value {}

/// An nk value passes as it is (arrays by reference, as nk passes them).
impl IntoNk for Value {
    fn nk_type(&self) -> Result<String, ConvertError> {
        value_type(self).ok_or_else(|| ConvertError::new("a value", "nothing (Value::Unit)"))
    }
    fn into_nk<'a>(self, _: &mut Loans<'a>) -> Result<Value, ConvertError>
    where
        Self: 'a,
    {
        Ok(self)
    }
}

impl IntoNk for &Value {
    fn nk_type(&self) -> Result<String, ConvertError> {
        (*self).nk_type()
    }
    fn into_nk<'a>(self, _: &mut Loans<'a>) -> Result<Value, ConvertError>
    where
        Self: 'a,
    {
        Ok(self.clone())
    }
}

/// Storage kinds of `ndarray` arrays passed by value: owned ones move or copy, views lend.
/// Sealed; implemented for `OwnedRepr` (`Array`), `OwnedArcRepr` (`ArcArray`), `CowRepr`
/// (`CowArray`) and `ViewRepr` (`ArrayView`, `ArrayViewMut`).
pub trait NkData: Data + sealed::Sealed {
    /// The nk value of `a`.
    fn array_into_nk<'a, D: Dimension>(
        a: ArrayBase<Self, D>,
        loans: &mut Loans<'a>,
    ) -> Result<Value, ConvertError>
    where
        ArrayBase<Self, D>: 'a;
}

impl<A: NkElement> sealed::Sealed for ndarray::OwnedRepr<A> {}
impl<A: NkElement> NkData for ndarray::OwnedRepr<A>
where
    A: NkElement,
{
    fn array_into_nk<'a, D: Dimension>(
        a: ArrayBase<Self, D>,
        _: &mut Loans<'a>,
    ) -> Result<Value, ConvertError>
    where
        ArrayBase<Self, D>: 'a,
    {
        owned_into_nk(a)
    }
}

impl<A: NkElement> sealed::Sealed for ndarray::OwnedArcRepr<A> {}
impl<A: NkElement> NkData for ndarray::OwnedArcRepr<A> {
    fn array_into_nk<'a, D: Dimension>(
        a: ArrayBase<Self, D>,
        _: &mut Loans<'a>,
    ) -> Result<Value, ConvertError>
    where
        ArrayBase<Self, D>: 'a,
    {
        owned_into_nk(a.into_owned())
    }
}

impl<A: NkElement> sealed::Sealed for ndarray::CowRepr<'_, A> {}
impl<A: NkElement> NkData for ndarray::CowRepr<'_, A> {
    fn array_into_nk<'a, D: Dimension>(
        a: ArrayBase<Self, D>,
        _: &mut Loans<'a>,
    ) -> Result<Value, ConvertError>
    where
        ArrayBase<Self, D>: 'a,
    {
        owned_into_nk(a.into_owned())
    }
}

impl<A: NkElement> sealed::Sealed for ndarray::ViewRepr<&A> {}
impl<A: NkElement> NkData for ndarray::ViewRepr<&A> {
    fn array_into_nk<'a, D: Dimension>(
        a: ArrayBase<Self, D>,
        _: &mut Loans<'a>,
    ) -> Result<Value, ConvertError>
    where
        ArrayBase<Self, D>: 'a,
    {
        lend_read_only(a)
    }
}

impl<A: NkElement> sealed::Sealed for ndarray::ViewRepr<&mut A> {}
impl<A: NkElement> NkData for ndarray::ViewRepr<&mut A> {
    fn array_into_nk<'a, D: Dimension>(
        a: ArrayBase<Self, D>,
        loans: &mut Loans<'a>,
    ) -> Result<Value, ConvertError>
    where
        ArrayBase<Self, D>: 'a,
    {
        lend_mut(a, loans)
    }
}

impl<S: NkData, D: Dimension> sealed::Sealed for ArrayBase<S, D> {}
/// By value: owned arrays move (standard layout, `i64`/`f64`) or are copied; views are lent
/// (`ArrayView` read-only, `ArrayViewMut` read-write), see the module docs.
impl<S, D> IntoNk for ArrayBase<S, D>
where
    S: NkData,
    S::Elem: NkElement,
    D: Dimension,
{
    fn nk_type(&self) -> Result<String, ConvertError> {
        array_type_name::<S::Elem>(self.shape())
    }
    fn into_nk<'a>(self, loans: &mut Loans<'a>) -> Result<Value, ConvertError>
    where
        Self: 'a,
    {
        S::array_into_nk(self, loans)
    }
}

impl<S: Data, D: Dimension> sealed::Sealed for &ArrayBase<S, D> {}
/// `&` arrays are lent read-only (see the module docs): no copy for a function that writes
/// no array.
impl<S, D> IntoNk for &ArrayBase<S, D>
where
    S: Data,
    S::Elem: NkElement,
    D: Dimension,
{
    fn nk_type(&self) -> Result<String, ConvertError> {
        array_type_name::<S::Elem>(self.shape())
    }
    fn into_nk<'a>(self, _: &mut Loans<'a>) -> Result<Value, ConvertError>
    where
        Self: 'a,
    {
        lend_read_only(self.view())
    }
}

impl<S: DataMut, D: Dimension> sealed::Sealed for &mut ArrayBase<S, D> {}
/// `&mut` arrays are *lent*: nk reads and writes the caller's memory in place for the
/// duration of the call (any layout with non-negative strides); arrays nk cannot address
/// in place (negative strides, `bool` elements) are copied in and written back after the
/// call, so nk's writes are seen either way.
impl<S, D> IntoNk for &mut ArrayBase<S, D>
where
    S: DataMut,
    S::Elem: NkElement,
    D: Dimension,
{
    fn nk_type(&self) -> Result<String, ConvertError> {
        array_type_name::<S::Elem>(self.shape())
    }
    fn into_nk<'a>(self, loans: &mut Loans<'a>) -> Result<Value, ConvertError>
    where
        Self: 'a,
    {
        lend_mut(self.view_mut(), loans)
    }
}

/// Shape and strides of a lendable array: 1 to 3 axes, non-empty, strides non-negative.
/// With the number of elements from the first to the last (inclusive).
fn lendable<A: NkElement>(shape: &[usize], strides: &[isize], ptr: *const A) -> Option<usize> {
    if !word_sized::<A>()
        || !(1..=3).contains(&shape.len())
        || shape.contains(&0)
        || strides.iter().any(|&s| s < 0)
        || !(ptr as usize).is_multiple_of(std::mem::align_of::<A>())
    {
        return None;
    }
    shape
        .iter()
        .zip(strides)
        .try_fold(1usize, |span, (&d, &s)| {
            span.checked_add((d - 1).checked_mul(s as usize)?)
        })
}

/// `a` over the caller's memory (read-only), or a copy when it cannot be lent.
fn lend_read_only<A: NkElement, D: Dimension>(
    a: ArrayView<'_, A, D>,
) -> Result<Value, ConvertError> {
    let shape = a.shape().to_vec();
    let strides = a.strides().to_vec();
    array_type_name::<A>(&shape)?;
    let ptr = a.as_ptr();
    let start = std::ptr::NonNull::new(ptr.cast_mut().cast::<u8>());
    if let (Some(span), Some(start)) = (lendable::<A>(&shape, &strides, ptr), start) {
        // SAFETY: `A` is stored by nk as Rust stores it, with its size and alignment
        // (`word_sized`, and the start is aligned); the `span` elements from `start` are
        // the view's elements
        // (strides non-negative), which are valid for reads for the view's lifetime, which
        // outlives the call converting them; values made from them are dropped before the
        // call returns (checked in `Engine::call_values`). Nothing writes through the
        // storage: the engine replaces read-only loans by copies before calling a
        // function that may write an array (`copy_readonly_loans`, `writes_arrays`).
        let data = Rc::new(unsafe { Storage::lend_read_only(start, span, A::PRIM) });
        if let Some(arr) = Array::over_lent(A::PRIM, &shape, &strides, data) {
            return Ok(Value::A(Rc::new(arr)));
        }
    }
    copy_into_nk(&a)
}

/// `a` over the caller's memory (read-write), or a copy written back after the call.
fn lend_mut<'a, A: NkElement, D: Dimension + 'a>(
    mut a: ArrayViewMut<'a, A, D>,
    loans: &mut Loans<'a>,
) -> Result<Value, ConvertError> {
    let shape = a.shape().to_vec();
    let strides = a.strides().to_vec();
    array_type_name::<A>(&shape)?;
    let ptr = a.as_mut_ptr();
    let start = std::ptr::NonNull::new(ptr.cast::<u8>());
    if let (Some(span), Some(start)) = (lendable::<A>(&shape, &strides, ptr), start) {
        // SAFETY: `A` is stored by nk as Rust stores it, with its size and alignment
        // (`word_sized`, and the start is aligned), and nk writes only valid `A`s (every bit
        // pattern is one for the numbers; a `bool` element is only ever stored as 0 or 1,
        // the register form of a `bool`, see `Storage::store` and the native stores); the
        // `span` elements from `start` are the view's elements (strides non-negative), borrowed
        // mutably for `'a`, which outlives the call converting them; values made from them
        // are dropped before that call returns (checked in `Engine::call_values`), so
        // nothing touches them after the borrow ends.
        let data = Rc::new(unsafe { Storage::lend(start, span, A::PRIM) });
        if let Some(arr) = Array::over_lent(A::PRIM, &shape, &strides, data) {
            return Ok(Value::A(Rc::new(arr)));
        }
    }
    // A copy, and its elements back into `a` after the call.
    let Value::A(copy) = copy_into_nk(&a.view())? else {
        return Err(ConvertError::new(
            "an array",
            "internal: a copy that is no array",
        ));
    };
    let back = copy.clone();
    loans.write_backs.push(Box::new(move || {
        for (dst, bits) in a.iter_mut().zip(back.iter_bits()) {
            *dst = A::from_bits(bits);
        }
    }));
    Ok(Value::A(copy))
}

/// A contiguous nk copy of `a`'s elements in logical (C) order, whatever its strides.
fn copy_into_nk<A: NkElement, D: Dimension>(
    a: &ArrayView<'_, A, D>,
) -> Result<Value, ConvertError> {
    array_type_name::<A>(a.shape())?;
    // A broadcast view (stride 0) can be far larger than its memory: allocate fallibly.
    let too_big = || {
        ConvertError::new(
            format!("an array nk can copy (at most {MAX_ELEMENTS} elements, in memory)"),
            describe_array::<A>(a.shape()),
        )
    };
    if a.len() > MAX_ELEMENTS {
        return Err(too_big());
    }
    let mut elems: Vec<A> = Vec::new();
    elems.try_reserve_exact(a.len()).map_err(|_| too_big())?;
    elems.extend(a.iter().copied());
    let n = elems.len();
    Ok(Value::A(Rc::new(Array::from_owned(
        A::PRIM,
        a.shape(),
        A::into_words(elems),
        n,
    ))))
}

/// An owned array into nk: its buffer moves when it is standard layout and exactly the
/// array (the allocation is reused); otherwise its elements are copied.
pub(super) fn owned_into_nk<A: NkElement, D: Dimension>(
    a: ndarray::Array<A, D>,
) -> Result<Value, ConvertError> {
    let shape = a.shape().to_vec();
    array_type_name::<A>(&shape)?;
    if !a.is_standard_layout() {
        return copy_into_nk(&a.view());
    }
    let n = a.len();
    let (vec, offset) = a.into_raw_vec_and_offset();
    let start = offset.unwrap_or(0);
    let elems: Vec<A> = if start == 0 && vec.len() == n {
        vec
    } else {
        // Standard layout: the elements are `n` consecutive ones from `start`.
        let Some(elems) = start.checked_add(n).and_then(|end| vec.get(start..end)) else {
            return Err(ConvertError::new(
                "a standard-layout array",
                format!(
                    "internal: {} over {} elements",
                    describe_array::<A>(&shape),
                    vec.len()
                ),
            ));
        };
        elems.to_vec()
    };
    Ok(Value::A(Rc::new(Array::from_owned(
        A::PRIM,
        &shape,
        A::into_words(elems),
        n,
    ))))
}

/// Replaces every array lent read-only in `args` (also inside tuples) by a copy of its own.
/// The engine calls it before calling a function that may write an array
/// (`ir::effects::writes_arrays`), so the caller's memory is never written.
/// Returns how many were copied.
pub(crate) fn copy_readonly_loans(args: &mut [Value]) -> usize {
    args.iter_mut().map(copy_readonly).sum()
}

fn copy_readonly(v: &mut Value) -> usize {
    match v {
        Value::A(a) if a.storage().is_read_only() => {
            *v = Value::A(Rc::new(a.copy()));
            1
        }
        Value::T(vs) => copy_readonly_loans(vs),
        _ => 0,
    }
}

/// Whether any of `args` (also inside tuples) is an array lent read-only.
pub(crate) fn has_readonly_loans(args: &[Value]) -> bool {
    args.iter().any(|v| match v {
        Value::A(a) => a.storage().is_read_only(),
        Value::T(vs) => has_readonly_loans(vs),
        _ => false,
    })
}

macro_rules! tuple_into {
    ($($t:ident),+) => {
        impl<$($t: IntoNk),+> sealed::Sealed for ($($t,)+) {}
        /// A tuple is an nk tuple of its elements' values.
        impl<$($t: IntoNk),+> IntoNk for ($($t,)+) {
            #[allow(non_snake_case)]
            fn nk_type(&self) -> Result<String, ConvertError> {
                let ($($t,)+) = self;
                let ts = [$($t.nk_type()?),+];
                Ok(if ts.len() == 1 {
                    format!("({},)", ts[0])
                } else {
                    format!("({})", ts.join(", "))
                })
            }
            #[allow(non_snake_case)]
            fn into_nk<'a>(self, loans: &mut Loans<'a>) -> Result<Value, ConvertError>
            where
                Self: 'a,
            {
                let ($($t,)+) = self;
                Ok(Value::T(vec![$($t.into_nk(loans)?),+]))
            }
        }
    };
}

/// Argument lists: tuples of [`IntoNk`] values (up to 16), or any number of them in a
/// `Vec`, an array or a slice (e.g. `Vec<Value>` for an arity known only at run time).
///
/// ```
/// use nvm::engine::Engine;
/// let mut e = Engine::new();
/// e.load_str("m", "fn add3(a, b, c) { return a + b + c; }").unwrap();
/// let args = vec![1.0, 2.0, 3.0];
/// assert_eq!(e.call::<f64>("add3", args).unwrap(), 6.0);
/// assert_eq!(e.call::<f64>("add3", (1.0, 2_i64, 3.5)).unwrap(), 6.5);
/// ```
pub trait IntoArgs {
    /// The converted list; its types are all checked before any value is made.
    fn into_args<'a>(self, seal: Seal) -> Result<Args<'a>, ConvertError>
    where
        Self: 'a;
}

impl IntoArgs for () {
    fn into_args<'a>(self, seal: Seal) -> Result<Args<'a>, ConvertError>
    where
        Self: 'a,
    {
        Ok(Args {
            values: vec![],
            loans: Loans::new(seal),
        })
    }
}

/// Types first (so nothing is lent when one is wrong), then values.
fn convert_all<'a, T: IntoNk + 'a>(items: Vec<T>, seal: Seal) -> Result<Args<'a>, ConvertError> {
    let types = items
        .iter()
        .enumerate()
        .map(|(i, x)| x.nk_type().map_err(|e| e.at(i)))
        .collect::<Result<Vec<_>, _>>()?;
    let mut args = Args {
        values: Vec::with_capacity(items.len()),
        loans: Loans::new(seal),
    };
    for (i, (t, x)) in types.into_iter().zip(items).enumerate() {
        let v = x.into_nk(&mut args.loans).map_err(|e| e.at(i))?;
        args.values.push((t, v));
    }
    Ok(args)
}

impl<T: IntoNk> IntoArgs for Vec<T> {
    fn into_args<'a>(self, seal: Seal) -> Result<Args<'a>, ConvertError>
    where
        Self: 'a,
    {
        convert_all(self, seal)
    }
}

impl<T: IntoNk, const N: usize> IntoArgs for [T; N] {
    fn into_args<'a>(self, seal: Seal) -> Result<Args<'a>, ConvertError>
    where
        Self: 'a,
    {
        convert_all(Vec::from(self), seal)
    }
}

impl<'s, T> IntoArgs for &'s [T]
where
    &'s T: IntoNk,
{
    fn into_args<'a>(self, seal: Seal) -> Result<Args<'a>, ConvertError>
    where
        Self: 'a,
    {
        convert_all(self.iter().collect(), seal)
    }
}

macro_rules! into_args {
    ($(($($t:ident $i:tt),+))*) => {$(
        tuple_into!($($t),+);
        impl<$($t: IntoNk),+> IntoArgs for ($($t,)+) {
            fn into_args<'a>(self, seal: Seal) -> Result<Args<'a>, ConvertError>
            where
                Self: 'a,
            {
                // Every type is checked before any value is made.
                let types = [$(self.$i.nk_type().map_err(|e| e.at($i))?),+];
                let mut loans = Loans::new(seal);
                let values = [$(self.$i.into_nk(&mut loans).map_err(|e| e.at($i))?),+];
                Ok(Args { values: types.into_iter().zip(values).collect(), loans })
            }
        }
    )*};
}
into_args! {
    (A 0)
    (A 0, B 1)
    (A 0, B 1, C 2)
    (A 0, B 1, C 2, D 3)
    (A 0, B 1, C 2, D 3, E 4)
    (A 0, B 1, C 2, D 3, E 4, F 5)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11, M 12)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11, M 12, N 13)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11, M 12, N 13, O 14)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11, M 12, N 13, O 14, P 15)
}

// ----- arguments of run-time types -------------------------------------------------------

macro_rules! dyn_arrays {
    ($($v:ident: $t:ty),*) => {
        /// An array lent read-write whose element type is known only at run time (for
        /// bindings to dynamic languages, such as the Python package): crosses as an
        /// `ArrayViewMut` of its element type does ([`IntoNk`]).
        pub enum DynArrayMut<'a> {
            $(
                #[allow(missing_docs)]
                $v(ndarray::ArrayViewMutD<'a, $t>),
            )*
        }
        /// An array lent read-only whose element type is known only at run time: crosses
        /// as an `ArrayView` of its element type does (a function that may write an array
        /// gets a copy; the caller's memory is never written).
        pub enum DynArrayRef<'a> {
            $(
                #[allow(missing_docs)]
                $v(ndarray::ArrayViewD<'a, $t>),
            )*
        }
        impl sealed::Sealed for DynArrayMut<'_> {}
        impl IntoNk for DynArrayMut<'_> {
            fn nk_type(&self) -> Result<String, ConvertError> {
                match self { $(Self::$v(a) => array_type_name::<$t>(a.shape()),)* }
            }
            fn into_nk<'a>(self, loans: &mut Loans<'a>) -> Result<Value, ConvertError>
            where
                Self: 'a,
            {
                match self { $(Self::$v(a) => lend_mut(a, loans),)* }
            }
        }
        impl sealed::Sealed for DynArrayRef<'_> {}
        impl IntoNk for DynArrayRef<'_> {
            fn nk_type(&self) -> Result<String, ConvertError> {
                match self { $(Self::$v(a) => array_type_name::<$t>(a.shape()),)* }
            }
            fn into_nk<'a>(self, _: &mut Loans<'a>) -> Result<Value, ConvertError>
            where
                Self: 'a,
            {
                match self { $(Self::$v(a) => lend_read_only(a),)* }
            }
        }
    };
}
dyn_arrays!(Bool: bool, U8: u8, I32: i32, I64: i64, F32: f32, F64: f64);

/// An argument whose type is known only at run time (a binding to a dynamic language
/// builds a `Vec<DynArg>` and passes it as the argument list): a scalar, an array of any
/// element type lent read-write or read-only, a string, or a tuple of these (an nk tuple).
///
/// ```
/// use nvm::engine::{DynArg, DynArrayMut, Engine};
/// let mut e = Engine::new();
/// e.load_str("m", "fn fill(x, k) { x[:] = k; return len(x); }").unwrap();
/// let mut a = ndarray::arr1(&[1.0f32, 2.0]).into_dyn();
/// let args = vec![DynArg::Mut(DynArrayMut::F32(a.view_mut())), DynArg::F32(7.0)];
/// assert_eq!(e.call::<i64>("fill", args).unwrap(), 2);
/// assert_eq!(a.as_slice().unwrap(), &[7.0, 7.0]);
/// ```
pub enum DynArg<'a> {
    /// `bool`.
    Bool(bool),
    /// `u8`.
    U8(u8),
    /// `i32`.
    I32(i32),
    /// `i64`.
    I64(i64),
    /// `f32`.
    F32(f32),
    /// `f64`.
    F64(f64),
    /// An array nk may write in place (the caller sees its writes).
    Mut(DynArrayMut<'a>),
    /// An array nk must not write (see [`DynArrayRef`]).
    Ref(DynArrayRef<'a>),
    /// An nk tuple.
    Tuple(Vec<DynArg<'a>>),
    /// An nk `str`.
    Str(String),
}

impl sealed::Sealed for DynArg<'_> {}
impl IntoNk for DynArg<'_> {
    fn nk_type(&self) -> Result<String, ConvertError> {
        Ok(match self {
            DynArg::Bool(_) => Prim::Bool.name().to_string(),
            DynArg::U8(_) => Prim::U8.name().to_string(),
            DynArg::I32(_) => Prim::I32.name().to_string(),
            DynArg::I64(_) => Prim::I64.name().to_string(),
            DynArg::F32(_) => Prim::F32.name().to_string(),
            DynArg::F64(_) => Prim::F64.name().to_string(),
            DynArg::Mut(a) => a.nk_type()?,
            DynArg::Ref(a) => a.nk_type()?,
            DynArg::Str(x) => x.nk_type()?,
            DynArg::Tuple(items) => {
                let ts = items
                    .iter()
                    .map(|x| x.nk_type())
                    .collect::<Result<Vec<_>, _>>()?;
                if ts.len() == 1 {
                    format!("({},)", ts[0])
                } else {
                    format!("({})", ts.join(", "))
                }
            }
        })
    }
    fn into_nk<'a>(self, loans: &mut Loans<'a>) -> Result<Value, ConvertError>
    where
        Self: 'a,
    {
        Ok(match self {
            DynArg::Bool(x) => Value::S(Scalar::Bool(x)),
            DynArg::U8(x) => Value::S(Scalar::U8(x)),
            DynArg::I32(x) => Value::S(Scalar::I32(x)),
            DynArg::I64(x) => Value::S(Scalar::I64(x)),
            DynArg::F32(x) => Value::S(Scalar::F32(x)),
            DynArg::F64(x) => Value::S(Scalar::F64(x)),
            DynArg::Mut(a) => a.into_nk(loans)?,
            DynArg::Ref(a) => a.into_nk(loans)?,
            DynArg::Str(x) => x.into_nk(loans)?,
            DynArg::Tuple(items) => Value::T(
                items
                    .into_iter()
                    .map(|x| x.into_nk(loans))
                    .collect::<Result<Vec<_>, _>>()?,
            ),
        })
    }
}

// ----- out of nk --------------------------------------------------------------------------

/// A Rust type an nk result converts to: `i64`, `f64`, `bool`, `()`, `ndarray` arrays
/// (`Array1`..`Array3`, `ArrayD`) of `i64`/`f64`/`bool`, tuples of these (nested, up to 16),
/// `Vec<T>` (from a tuple of `T`s), and [`Value`] (as it is).
///
/// ```
/// use nvm::engine::Engine;
/// let mut e = Engine::new();
/// e.load_str("m", "fn f(x: f64) { return (x, (x > 0.0, ones(2))); }").unwrap();
/// let (x, (pos, a)): (f64, (bool, ndarray::ArrayD<f64>)) = e.call("f", (2.0,)).unwrap();
/// assert!(x == 2.0 && pos && a.shape() == [2]);
/// ```
pub trait FromNk: Sized {
    /// Converts an nk result.
    fn from_nk(v: Value) -> Result<Self, ConvertError>;
}

/// `v`'s nk type for messages (`i64[]`, `a tuple (i64, f64)`, `nothing`).
fn found(v: &Value) -> String {
    match v {
        Value::T(_) => format!("a tuple {}", value_type(v).unwrap_or_default()),
        _ => value_type(v).unwrap_or_else(|| "nothing".into()),
    }
}

fn mismatch(want: &str, v: &Value) -> ConvertError {
    ConvertError::new(want, found(v))
}

macro_rules! scalar_from {
    ($($t:ty => $variant:ident),*) => {$(
        impl FromNk for $t {
            fn from_nk(v: Value) -> Result<Self, ConvertError> {
                match v {
                    Value::S(Scalar::$variant(x)) => Ok(x),
                    other => Err(mismatch(Prim::$variant.name(), &other)),
                }
            }
        }
    )*};
}
scalar_from!(i64 => I64, f64 => F64, bool => Bool, f32 => F32, i32 => I32, u8 => U8);

/// An nk `str` result.
impl FromNk for String {
    fn from_nk(v: Value) -> Result<Self, ConvertError> {
        match v {
            Value::Str(x) => Ok(x),
            other => Err(mismatch("str", &other)),
        }
    }
}

impl FromNk for () {
    fn from_nk(v: Value) -> Result<Self, ConvertError> {
        match v {
            Value::Unit => Ok(()),
            other => Err(mismatch("nothing", &other)),
        }
    }
}

impl FromNk for Value {
    fn from_nk(v: Value) -> Result<Self, ConvertError> {
        Ok(v)
    }
}

/// The elements of an nk tuple.
impl<T: FromNk> FromNk for Vec<T> {
    fn from_nk(v: Value) -> Result<Self, ConvertError> {
        match v {
            Value::T(vs) => vs.into_iter().map(T::from_nk).collect(),
            other => Err(mismatch("a tuple", &other)),
        }
    }
}

/// An nk array result becomes an `ndarray` array (`ArrayD` of the value's rank, or
/// `Array1`..`Array3` when the number of dimensions matches) — without copying when nk's
/// buffer is the result's alone (`i64`, `f64`).
impl<A: NkElement, D: Dimension> FromNk for ndarray::Array<A, D> {
    fn from_nk(v: Value) -> Result<Self, ConvertError> {
        let want = || match D::NDIM {
            Some(n) => format!("{}", Type::Array(A::PRIM, n.clamp(1, 255) as u8)),
            None => format!("an array of {}", A::PRIM.name()),
        };
        let a = match v {
            Value::A(a) if a.elem() == A::PRIM && D::NDIM.is_none_or(|n| n == a.ndim()) => a,
            other => return Err(mismatch(&want(), &other)),
        };
        let shape = a.shape().to_vec();
        let copy = |a: &Array| -> Vec<A> { a.iter_bits().map(A::from_bits).collect() };
        let data: Vec<A> = match Rc::try_unwrap(a) {
            // The buffer moves out (the allocation is reused).
            Ok(a) => match a.take_contiguous() {
                Ok(words) => match A::from_words(words) {
                    Ok(v) => v,
                    Err(_) => return Err(ConvertError::new(want(), "internal: element width")),
                },
                Err(a) => copy(&a),
            },
            Err(a) => copy(&a),
        };
        ndarray::ArrayD::from_shape_vec(shape, data)
            .and_then(|x| x.into_dimensionality::<D>())
            .map_err(|e| ConvertError::new(want(), format!("internal: {e}")))
    }
}

macro_rules! from_tuple {
    ($($n:literal: ($($t:ident),+))*) => {$(
        /// An nk tuple of as many elements.
        impl<$($t: FromNk),+> FromNk for ($($t,)+) {
            #[allow(non_snake_case)]
            fn from_nk(v: Value) -> Result<Self, ConvertError> {
                let want = || format!("a tuple of {}", $n);
                match v {
                    Value::T(vs) if vs.len() == $n => {
                        let mut it = vs.into_iter();
                        $(let $t = match it.next() {
                            Some(x) => $t::from_nk(x)?,
                            None => return Err(ConvertError::new(want(), "a shorter tuple")),
                        };)+
                        Ok(($($t,)+))
                    }
                    other => Err(mismatch(&want(), &other)),
                }
            }
        }
    )*};
}
from_tuple! {
    1: (A)
    2: (A, B)
    3: (A, B, C)
    4: (A, B, C, D)
    5: (A, B, C, D, E)
    6: (A, B, C, D, E, F)
    7: (A, B, C, D, E, F, G)
    8: (A, B, C, D, E, F, G, H)
    9: (A, B, C, D, E, F, G, H, I)
    10: (A, B, C, D, E, F, G, H, I, J)
    11: (A, B, C, D, E, F, G, H, I, J, K)
    12: (A, B, C, D, E, F, G, H, I, J, K, L)
    13: (A, B, C, D, E, F, G, H, I, J, K, L, M)
    14: (A, B, C, D, E, F, G, H, I, J, K, L, M, N)
    15: (A, B, C, D, E, F, G, H, I, J, K, L, M, N, O)
    16: (A, B, C, D, E, F, G, H, I, J, K, L, M, N, O, P)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{arr1, arr2, s};

    fn array(v: &Value) -> &Array {
        match v {
            Value::A(a) => a,
            other => panic!("not an array: {other:?}"),
        }
    }

    /// The address of element (0, 0, 0) of an nk array.
    fn first_word(a: &Array) -> *const u64 {
        a.storage().as_ptr().wrapping_add(a.offset()).cast::<u64>()
    }

    #[test]
    fn shared_arrays_are_lent_read_only_until_a_writer_needs_a_copy() {
        let m = arr2(&[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
        let col = m.column(2);
        let mut args = (&m, col, (1_i64, m.t())).into_args(Seal::new()).unwrap();
        let mut values: Vec<Value> = args.take().into_iter().map(|(_, v)| v).collect();
        // Lent in place: same memory, marked read-only.
        let a = array(&values[0]);
        assert_eq!(first_word(a), m.as_ptr().cast::<u64>());
        assert!(a.storage().is_read_only());
        let c = array(&values[1]);
        assert_eq!(first_word(c), (&m[[0, 2]] as *const f64).cast::<u64>());
        assert_eq!(c.to_vec_bits(), vec![3.0f64.to_bits(), 6.0f64.to_bits()]);
        assert!(has_readonly_loans(&values));
        // Before a call that may write: copies, and the caller's memory is left alone.
        assert_eq!(copy_readonly_loans(&mut values), 3);
        assert!(!has_readonly_loans(&values));
        let a = array(&values[0]);
        assert!(!a.storage().is_lent());
        assert_ne!(first_word(a), m.as_ptr().cast::<u64>());
        a.set(&[0, 0], 99.0f64.to_bits()).unwrap();
        assert_eq!(m[[0, 0]], 1.0);
    }

    #[test]
    fn mut_arrays_are_lent_in_place_or_copied_and_written_back() {
        let mut v = arr1(&[1_i64, 2, 3, 4]);
        let p = v.as_ptr();
        {
            let mut args = (&mut v,).into_args(Seal::new()).unwrap();
            let vals = args.take();
            let a = array(&vals[0].1);
            assert_eq!(first_word(a), p.cast::<u64>());
            assert!(a.storage().is_lent() && !a.storage().is_read_only());
            a.set(&[1], 20).unwrap();
        }
        assert_eq!(v, arr1(&[1, 20, 3, 4]));
        // Negative strides: a copy, written back when the arguments are dropped.
        {
            let mut args = (v.slice_mut(s![..;-2]),).into_args(Seal::new()).unwrap();
            let vals = args.take();
            let a = array(&vals[0].1);
            assert!(!a.storage().is_lent());
            assert_eq!(a.to_vec_bits(), vec![4, 20]);
            a.set(&[0], 40).unwrap();
            drop(vals);
            assert_eq!(args.loans.write_backs.len(), 1);
        }
        assert_eq!(v, arr1(&[1, 20, 3, 40]));
    }

    #[test]
    fn owned_arrays_move_when_they_can_and_never_panic() {
        let a = arr1(&[1.0, 2.0, 3.0]);
        let p = a.as_ptr();
        let v = owned_into_nk(a).unwrap();
        assert_eq!(first_word(array(&v)), p.cast::<u64>(), "moved, not copied");
        // Offsets into the buffer, other layouts, empty arrays, bool.
        let tail = arr1(&[1_i64, 2, 3, 4]).slice_move(s![1..;2]);
        assert_eq!(
            array(&owned_into_nk(tail).unwrap()).to_vec_bits(),
            vec![2, 4]
        );
        let f = arr2(&[[1_i64, 2], [3, 4]]).reversed_axes();
        assert_eq!(
            array(&owned_into_nk(f).unwrap()).to_vec_bits(),
            vec![1, 3, 2, 4]
        );
        let e = ndarray::Array2::<f64>::zeros((0, 3));
        assert_eq!(array(&owned_into_nk(e).unwrap()).shape(), &[0, 3]);
        let b = arr1(&[true, false]);
        assert_eq!(array(&owned_into_nk(b).unwrap()).to_vec_bits(), vec![1, 0]);
        // A broadcast view: lent read-only with stride 0; too large to copy: an error.
        let one = arr1(&[2.0]);
        let wide = one.broadcast((3, 4)).unwrap();
        let mut args = (&wide,).into_args(Seal::new()).unwrap();
        let vals = args.take();
        assert_eq!(array(&vals[0].1).to_vec_bits(), vec![2.0f64.to_bits(); 12]);
        let huge = one.broadcast((1 << 30, 1 << 12)).unwrap();
        let err = copy_into_nk(&huge).map(|_| ()).unwrap_err();
        assert!(err.expected.contains("at most"), "{err}");
        let four = ndarray::ArrayD::<f64>::zeros(vec![1, 1, 1, 1]);
        let err = owned_into_nk(four).unwrap_err();
        assert_eq!(err.arg, None);
        assert!(err.to_string().contains("[1, 1, 1, 1]"), "{err}");
    }

    #[test]
    fn results_convert_back_or_say_what_they_are() {
        let v = owned_into_nk(arr2(&[[1.0, 2.0], [3.0, 4.0]])).unwrap();
        let back: ndarray::Array2<f64> = FromNk::from_nk(v.clone()).unwrap();
        assert_eq!(back, arr2(&[[1.0, 2.0], [3.0, 4.0]]));
        let err = <ndarray::Array1<f64>>::from_nk(v.clone()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the nk function returned f64[,], not f64[]"
        );
        let err = <ndarray::Array2<i64>>::from_nk(v.clone()).unwrap_err();
        assert_eq!(err.found, "f64[,]");
        let t = Value::T(vec![Value::S(Scalar::I64(1)), v]);
        let err = <(i64, f64)>::from_nk(t.clone()).unwrap_err();
        assert_eq!(err.found, "f64[,]");
        let err = <(i64,)>::from_nk(t).unwrap_err();
        assert_eq!(err.found, "a tuple (i64, f64[,])");
        assert_eq!(
            value_type(&Value::T(vec![Value::S(Scalar::Bool(true))])).unwrap(),
            "(bool,)"
        );
    }
}
