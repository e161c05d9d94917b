//! Typed function handles: [`Func`], made by [`super::Engine::func`].
//!
//! A handle is resolved once — name, specialization, argument conversions — so a call
//! does no name lookup, no parsing and no type check: it converts the arguments, locks the
//! engine and runs the slot.

use super::convert::{ConvertError, FromNk, IntoNk, Loans, NkElement, Seal};
use super::{Error, Shared};
use crate::interp::Value;
use crate::ir::{FuncId, Type};
use crate::vocab::Prim;
use std::marker::PhantomData;

/// A Rust type with a fixed nk type: what a typed handle's parameters and result are.
pub trait NkType {
    /// The nk type (an error for types nk cannot name statically, like `ArrayD`).
    fn nk_type() -> Result<Type, String>;
    /// A scalar's 64-bit pattern in nk's registers (`None`: not a scalar).
    fn scalar_bits(&self) -> Option<u64> {
        None
    }
    /// The value from a scalar result's 64-bit pattern (`None`: not a scalar type).
    fn from_scalar_bits(_bits: u64) -> Option<Self>
    where
        Self: Sized,
    {
        None
    }
}

macro_rules! scalar_type {
    ($t:ty, $ty:expr, $to:expr, $from:expr) => {
        impl NkType for $t {
            fn nk_type() -> Result<Type, String> {
                Ok($ty)
            }
            fn scalar_bits(&self) -> Option<u64> {
                Some($to(*self))
            }
            fn from_scalar_bits(bits: u64) -> Option<Self> {
                Some($from(bits))
            }
        }
    };
}
scalar_type!(i64, Type::I64, |x: i64| x as u64, |b: u64| b as i64);
scalar_type!(f64, Type::F64, f64::to_bits, f64::from_bits);
scalar_type!(bool, Type::BOOL, |x: bool| x as u64, |b: u64| b != 0);
scalar_type!((), Type::Unit, |_: ()| 0, |_: u64| ());
scalar_type!(
    f32,
    Type::Prim(Prim::F32),
    |x: f32| (x as f64).to_bits(),
    |b: u64| f64::from_bits(b) as f32
);
scalar_type!(
    i32,
    Type::Prim(Prim::I32),
    |x: i32| x as i64 as u64,
    |b: u64| b as i32
);
scalar_type!(u8, Type::Prim(Prim::U8), |x: u8| x as u64, |b: u64| b as u8);

impl<S, D, A> NkType for ndarray::ArrayBase<S, D>
where
    S: ndarray::RawData<Elem = A>,
    D: ndarray::Dimension,
    A: NkElement,
{
    fn nk_type() -> Result<Type, String> {
        match D::NDIM {
            Some(n @ 1..=3) => Ok(Type::Array(A::PRIM, n as u8)),
            Some(n) => Err(format!(
                "nk arrays have 1 to 3 dimensions, not {n}"
            )),
            None => Err(
                "an `ArrayD` has no fixed number of dimensions; use `Array1`..`Array3` (or `Engine::call`)"
                    .into(),
            ),
        }
    }
}

impl<T: NkType + ?Sized> NkType for &T {
    fn nk_type() -> Result<Type, String> {
        T::nk_type()
    }
}

impl<T: NkType + ?Sized> NkType for &mut T {
    fn nk_type() -> Result<Type, String> {
        T::nk_type()
    }
}

/// The argument list of a typed handle: a tuple of [`IntoNk`] + [`NkType`] values.
pub trait Params {
    /// The nk types of the parameters, in order.
    fn types() -> Result<Vec<Type>, String>;
    /// Writes every argument's 64-bit pattern to `out` if all are scalars (the fast path);
    /// false otherwise.
    fn scalar_bits(&self, out: &mut [u64; 12]) -> bool;
    /// Converts the arguments, appending them to `out` (`loans` keeps what must happen
    /// after the call).
    fn push_values<'a>(
        self,
        out: &mut Vec<Value>,
        loans: &mut Loans<'a>,
    ) -> Result<(), ConvertError>
    where
        Self: 'a;
}

impl Params for () {
    fn types() -> Result<Vec<Type>, String> {
        Ok(Vec::new())
    }
    fn scalar_bits(&self, _: &mut [u64; 12]) -> bool {
        true
    }
    fn push_values<'a>(self, _: &mut Vec<Value>, _: &mut Loans<'a>) -> Result<(), ConvertError>
    where
        Self: 'a,
    {
        Ok(())
    }
}

macro_rules! params {
    ($($t:ident),+) => {
        impl<$($t: IntoNk + NkType),+> Params for ($($t,)+) {
            fn types() -> Result<Vec<Type>, String> {
                Ok(vec![$(<$t as NkType>::nk_type()?),+])
            }
            #[allow(non_snake_case, unused_assignments)]
            fn scalar_bits(&self, out: &mut [u64; 12]) -> bool {
                let ($($t,)+) = self;
                let mut k = 0;
                $(
                    match $t.scalar_bits() {
                        Some(b) => out[k] = b,
                        None => return false,
                    }
                    k += 1;
                )+
                true
            }
            #[allow(non_snake_case)]
            fn push_values<'a>(self, out: &mut Vec<Value>, loans: &mut Loans<'a>) -> Result<(), ConvertError>
            where
                Self: 'a,
            {
                let ($($t,)+) = self;
                $(out.push($t.into_nk(loans)?);)+
                Ok(())
            }
        }
    };
}
params!(A);
params!(A, B);
params!(A, B, C);
params!(A, B, C, D);
params!(A, B, C, D, E);
params!(A, B, C, D, E, F);
params!(A, B, C, D, E, F, G);
params!(A, B, C, D, E, F, G, H);
params!(A, B, C, D, E, F, G, H, I);
params!(A, B, C, D, E, F, G, H, I, J);
params!(A, B, C, D, E, F, G, H, I, J, K);
params!(A, B, C, D, E, F, G, H, I, J, K, L);

/// A handle on one specialization of an nk function, with Rust argument types `A` (a
/// tuple) and result type `R`: made once by [`super::Engine::func`], then called as often
/// as needed without any name lookup or type check. It shares the engine (the engine can
/// be dropped first: the handle keeps what it needs alive); calls from several threads
/// take turns.
///
/// ```
/// use nvm::Engine;
///
/// let mut engine = Engine::new();
/// engine.load_str("m", "fn add(a, b) { return a + b; }").unwrap();
/// let add = engine.func::<(i64, i64), i64>("add").unwrap();
/// assert_eq!(add.call((2, 3)).unwrap(), 5);
/// // A wrong result type is reported when the handle is made.
/// let e = engine.func::<(i64, i64), f64>("add").unwrap_err();
/// assert!(e.to_string().contains("returns i64"), "{e}");
/// ```
pub struct Func<A, R> {
    pub(super) shared: Shared,
    pub(super) id: FuncId,
    /// The result type the handle was made for (a redefinition may change it).
    pub(super) ret: Type,
    /// Arguments that widen to their parameter's type.
    pub(super) widen: super::Widen,
    /// Scalars in and out: calls take the fast path (no `Value` made).
    pub(super) scalar: bool,
    pub(super) arity: usize,
    pub(super) name: String,
    pub(super) _types: PhantomData<fn(A) -> R>,
}

impl<A, R> std::fmt::Debug for Func<A, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Func")
            .field("name", &self.name)
            .field("ret", &self.ret.to_string())
            .finish()
    }
}

impl<A, R> Clone for Func<A, R> {
    fn clone(&self) -> Self {
        Func {
            shared: self.shared.clone(),
            id: self.id,
            ret: self.ret.clone(),
            widen: self.widen.clone(),
            scalar: self.scalar,
            arity: self.arity,
            name: self.name.clone(),
            _types: PhantomData,
        }
    }
}

impl<A: Params, R: FromNk + NkType> Func<A, R> {
    /// Calls the function.
    pub fn call(&self, args: A) -> Result<R, Error> {
        let mut bits = [0u64; 12];
        if self.scalar && args.scalar_bits(&mut bits) {
            self.widen.bits(&mut bits);
            let r = super::lock(&self.shared)?.call_scalars(
                self.id,
                &self.ret,
                &self.name,
                &bits[..self.arity],
            )?;
            return R::from_scalar_bits(r)
                .ok_or_else(|| Error::Usage(format!("internal: `{}` is not scalar", self.name)));
        }
        // Write-backs into `&mut` arrays passed as copies run when `loans` drops, after
        // the call.
        let mut loans = Loans::new(Seal::new());
        let mut inner = super::lock(&self.shared)?;
        // The argument vector is the engine's, reused: no allocation per call.
        let mut values = std::mem::take(&mut inner.scratch);
        let r = match args.push_values(&mut values, &mut loans) {
            Ok(()) => {
                self.widen.values(&mut values);
                inner.call_id(self.id, Some(&self.ret), &self.name, &mut values)
            }
            Err(e) => Err(Error::from(e)),
        };
        values.clear();
        inner.scratch = values;
        drop(inner);
        drop(loans);
        R::from_nk(r?).map_err(Error::from)
    }

    /// The specialization's name, with its argument types (`m.add(i64, i64)`).
    pub fn name(&self) -> &str {
        &self.name
    }
}
