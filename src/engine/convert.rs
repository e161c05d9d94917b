//! Rust values ⇄ nk values at the engine's boundary.

use super::Error;
use crate::interp::Value;
use crate::ir::Type;
use crate::runtime::{Array, Scalar};
use crate::vocab::Prim;
use std::rc::Rc;

/// Proof that a conversion is made by the engine: only the engine can make one, so values
/// over lent memory ([`IntoNk`] for `&mut` arrays) never outlive the call that lends it.
pub struct Seal(());

impl Seal {
    pub(super) fn new() -> Seal {
        Seal(())
    }
}

/// A Rust value nk can take as an argument.
pub trait IntoNk {
    /// Its nk type, as written in a parameter list (`i64`, `f64[,]`).
    fn nk_type(&self) -> Result<String, Error>;
    fn into_nk(self, seal: Seal) -> Value;
}

impl IntoNk for i64 {
    fn nk_type(&self) -> Result<String, Error> {
        Ok("i64".into())
    }
    fn into_nk(self, _: Seal) -> Value {
        Value::S(Scalar::I64(self))
    }
}

impl IntoNk for f64 {
    fn nk_type(&self) -> Result<String, Error> {
        Ok("f64".into())
    }
    fn into_nk(self, _: Seal) -> Value {
        Value::S(Scalar::F64(self))
    }
}

impl IntoNk for bool {
    fn nk_type(&self) -> Result<String, Error> {
        Ok("bool".into())
    }
    fn into_nk(self, _: Seal) -> Value {
        Value::S(Scalar::Bool(self))
    }
}

/// Element types of arrays that cross the boundary.
pub trait NkElement: Copy {
    const PRIM: Prim;
    fn to_bits(self) -> u64;
    fn from_bits(bits: u64) -> Self;
}

impl NkElement for f64 {
    const PRIM: Prim = Prim::F64;
    fn to_bits(self) -> u64 {
        f64::to_bits(self)
    }
    fn from_bits(bits: u64) -> Self {
        f64::from_bits(bits)
    }
}

impl NkElement for i64 {
    const PRIM: Prim = Prim::I64;
    fn to_bits(self) -> u64 {
        self as u64
    }
    fn from_bits(bits: u64) -> Self {
        bits as i64
    }
}

/// The nk type of an `ndim`-dimensional array of `A` (`f64[,]`).
fn array_type_name<A: NkElement>(ndim: usize) -> Result<String, Error> {
    if !(1..=3).contains(&ndim) {
        return Err(Error::Usage(format!(
            "nk arrays have 1 to 3 dimensions, not {ndim}"
        )));
    }
    Ok(format!("{}[{}]", A::PRIM.name(), ",".repeat(ndim - 1)))
}

impl<S, D, A> IntoNk for ndarray::ArrayBase<S, D>
where
    S: ndarray::Data<Elem = A>,
    D: ndarray::Dimension,
    A: NkElement,
{
    fn nk_type(&self) -> Result<String, Error> {
        array_type_name::<A>(self.ndim())
    }
    /// Moves an owned standard-layout array's buffer into nk without copying; copies
    /// anything else (views, other layouts).
    fn into_nk(self, _: Seal) -> Value {
        let shape = self.shape().to_vec();
        let owned = self.into_owned();
        let whole = owned.is_standard_layout() && !owned.is_empty();
        let (vec, offset) = owned.into_raw_vec_and_offset();
        let n: usize = shape.iter().product();
        let bits: Vec<u64> = if whole && offset == Some(0) && vec.len() == n {
            // Same size and alignment: `collect` reuses the allocation.
            vec.into_iter().map(A::to_bits).collect()
        } else {
            let start = offset.unwrap_or(0);
            vec[start..start + n].iter().map(|x| x.to_bits()).collect()
        };
        Value::A(Rc::new(Array::from_vec(A::PRIM, &shape, bits)))
    }
}

/// `&mut` arrays are *lent*: nk reads and writes the caller's memory in place, for the
/// duration of the call (any layout with non-negative strides).
impl<S, D, A> IntoNk for &mut ndarray::ArrayBase<S, D>
where
    S: ndarray::DataMut<Elem = A>,
    D: ndarray::Dimension,
    A: NkElement,
{
    fn nk_type(&self) -> Result<String, Error> {
        if ndarray::ArrayBase::strides(self).iter().any(|&s| s < 0) {
            return Err(Error::Usage(
                "an array lent to nk (`&mut`) needs non-negative strides; pass a copy".into(),
            ));
        }
        array_type_name::<A>(self.ndim())
    }
    fn into_nk(self, _: Seal) -> Value {
        let shape = self.shape().to_vec();
        let strides = ndarray::ArrayBase::strides(self).to_vec();
        // Words from the first element to the last one (inclusive).
        let span = 1 + shape
            .iter()
            .zip(&strides)
            .map(|(&d, &s)| d.saturating_sub(1) * s.max(0) as usize)
            .sum::<usize>();
        let lendable = !self.is_empty() && strides.iter().all(|&s| s >= 0);
        let ptr = std::ptr::NonNull::new(self.as_mut_ptr().cast::<u64>());
        if let (true, Some(ptr)) = (lendable, ptr) {
            // SAFETY: `A` is `f64` or `i64` (the only `NkElement`s): 8-byte words. The
            // `span` words from `ptr` are this array's memory, borrowed mutably for as long
            // as `self` lives, and the `Seal` means the engine is converting the arguments of
            // one call: it drops every value made here before that call returns (checked in
            // `Engine::call_values`), so nothing touches them after the borrow ends.
            let data = Rc::new(unsafe { crate::runtime::Storage::lend(ptr, span) });
            let lent = Array::over_lent(A::PRIM, &shape, &strides, data);
            if let Some(a) = lent {
                return Value::A(Rc::new(a));
            }
        }
        // Empty: nothing to share.
        let bits: Vec<u64> = self.iter().map(|x| x.to_bits()).collect();
        Value::A(Rc::new(Array::from_vec(A::PRIM, &shape, bits)))
    }
}

/// Argument lists: tuples of [`IntoNk`] values.
pub trait IntoArgs {
    fn into_args(self, seal: Seal) -> Result<Vec<(String, Value)>, Error>;
}

impl IntoArgs for () {
    fn into_args(self, _: Seal) -> Result<Vec<(String, Value)>, Error> {
        Ok(vec![])
    }
}

macro_rules! into_args {
    ($($t:ident),+) => {
        impl<$($t: IntoNk),+> IntoArgs for ($($t,)+) {
            #[allow(non_snake_case)]
            fn into_args(self, _: Seal) -> Result<Vec<(String, Value)>, Error> {
                let ($($t,)+) = self;
                // Every type is checked before any value is made.
                let types = [$($t.nk_type()?),+];
                let values = [$($t.into_nk(Seal::new())),+];
                Ok(types.into_iter().zip(values).collect())
            }
        }
    };
}
into_args!(A);
into_args!(A, B);
into_args!(A, B, C);
into_args!(A, B, C, D);
into_args!(A, B, C, D, E);
into_args!(A, B, C, D, E, F);

/// A Rust type an nk result converts to.
pub trait FromNk: Sized {
    fn from_nk(v: Value) -> Result<Self, String>;
}

fn mismatch(want: &str, v: &Value) -> String {
    let have = match v {
        Value::S(s) => Type::Prim(s.prim()).to_string(),
        Value::A(a) => Type::Array(a.elem(), a.shape().len() as u8).to_string(),
        Value::T(_) => "a tuple".into(),
        Value::Unit => "nothing".into(),
    };
    format!("the nk function returned {have}, not {want}")
}

impl FromNk for f64 {
    fn from_nk(v: Value) -> Result<Self, String> {
        match v {
            Value::S(Scalar::F64(x)) => Ok(x),
            other => Err(mismatch("f64", &other)),
        }
    }
}

impl FromNk for i64 {
    fn from_nk(v: Value) -> Result<Self, String> {
        match v {
            Value::S(Scalar::I64(x)) => Ok(x),
            other => Err(mismatch("i64", &other)),
        }
    }
}

impl FromNk for bool {
    fn from_nk(v: Value) -> Result<Self, String> {
        match v {
            Value::S(Scalar::Bool(x)) => Ok(x),
            other => Err(mismatch("bool", &other)),
        }
    }
}

impl FromNk for () {
    fn from_nk(v: Value) -> Result<Self, String> {
        match v {
            Value::Unit => Ok(()),
            other => Err(mismatch("nothing", &other)),
        }
    }
}

/// An nk array result becomes an `ndarray` array (`ArrayD`, or `Array1`..`Array3` when the
/// number of dimensions matches) — without copying when nk's buffer is the result's alone.
impl<A: NkElement, D: ndarray::Dimension> FromNk for ndarray::Array<A, D> {
    fn from_nk(v: Value) -> Result<Self, String> {
        let want = || match D::NDIM {
            Some(n) => format!("{}[{}]", A::PRIM.name(), ",".repeat(n.saturating_sub(1))),
            None => format!("an array of {}", A::PRIM.name()),
        };
        let a = match v {
            Value::A(a) if a.elem() == A::PRIM && D::NDIM.is_none_or(|n| n == a.ndim()) => a,
            other => return Err(mismatch(&want(), &other)),
        };
        let shape = a.shape().to_vec();
        let bits = match Rc::try_unwrap(a) {
            Ok(a) => a.take_contiguous_bits().unwrap_or_else(|a| a.to_vec_bits()),
            Err(a) => a.to_vec_bits(),
        };
        // Same size and alignment: `collect` reuses the allocation.
        let data: Vec<A> = bits.into_iter().map(A::from_bits).collect();
        ndarray::ArrayD::from_shape_vec(shape, data)
            .and_then(|x| x.into_dimensionality::<D>())
            .map_err(|e| format!("internal: {e}"))
    }
}

macro_rules! from_tuple {
    ($($t:ident),+) => {
        impl<$($t: FromNk),+> FromNk for ($($t,)+) {
            #[allow(non_snake_case)]
            fn from_nk(v: Value) -> Result<Self, String> {
                match v {
                    Value::T(vs) => {
                        let n = vs.len();
                        let mut it = vs.into_iter();
                        let r = ($($t::from_nk(it.next().ok_or_else(|| format!("a tuple of {n}"))?)?,)+);
                        if it.next().is_some() {
                            return Err(format!("the nk function returned a tuple of {n}"));
                        }
                        Ok(r)
                    }
                    other => Err(mismatch("a tuple", &other)),
                }
            }
        }
    };
}
from_tuple!(A, B);
from_tuple!(A, B, C);
from_tuple!(A, B, C, D);
