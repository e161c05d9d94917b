//! Rust functions and closures callable from nk ([`super::Engine::register_fn`]).
//!
//! A host function's nk signature comes from its Rust types: parameters implement
//! [`HostArg`] (`f64`, `i64`, `bool`, `Array1`..`Array3` of `f64`/`i64`), the result
//! [`HostRet`] (those, `()`, tuples of them, or `Result<T, E: Display>`, whose `Err` becomes
//! an nk runtime error). The type checker sees the signature as it sees a built-in's: calls
//! are checked (an `i64` argument widens to an `f64` parameter) and every other mismatch is
//! a compile error at the call.

use super::convert::{FromNk, IntoNk, NkElement, Seal};
use crate::interp::{HostFn, Value};
use crate::ir::Type;
use crate::runtime::Scalar;
use std::rc::Rc;

/// A Rust type a host function can take from nk.
pub trait HostArg: Sized {
    /// The nk parameter type (an error for types nk cannot name, like `ArrayD`).
    fn nk_type() -> Result<Type, String>;
    fn from_nk_arg(v: &Value) -> Result<Self, String>;
}

/// A Rust type a host function can give back to nk.
pub trait HostRet {
    fn nk_type() -> Result<Type, String>;
    fn into_nk_ret(self) -> Result<Value, String>;
}

fn wrong(v: &Value, want: &str) -> String {
    format!("internal: a host function expected {want}, got {v:?}")
}

macro_rules! scalar {
    ($t:ty, $ty:expr, $variant:ident) => {
        impl HostArg for $t {
            fn nk_type() -> Result<Type, String> {
                Ok($ty)
            }
            fn from_nk_arg(v: &Value) -> Result<Self, String> {
                match v {
                    Value::S(Scalar::$variant(x)) => Ok(*x),
                    other => Err(wrong(other, stringify!($t))),
                }
            }
        }
        impl HostRet for $t {
            fn nk_type() -> Result<Type, String> {
                Ok($ty)
            }
            fn into_nk_ret(self) -> Result<Value, String> {
                Ok(Value::S(Scalar::$variant(self)))
            }
        }
    };
}
scalar!(f64, Type::F64, F64);
scalar!(i64, Type::I64, I64);
scalar!(bool, Type::BOOL, Bool);

fn array_type<A: NkElement, D: ndarray::Dimension>() -> Result<Type, String> {
    match D::NDIM {
        Some(n @ 1..=3) => Ok(Type::Array(A::PRIM, n as u8)),
        _ => Err(
            "host functions take and return arrays of 1, 2 or 3 dimensions \
                  (Array1, Array2, Array3), not ArrayD or other ranks"
                .into(),
        ),
    }
}

impl<A: NkElement, D: ndarray::Dimension> HostArg for ndarray::Array<A, D> {
    fn nk_type() -> Result<Type, String> {
        array_type::<A, D>()
    }
    /// A copy of the nk array (nk keeps its own).
    fn from_nk_arg(v: &Value) -> Result<Self, String> {
        FromNk::from_nk(v.clone())
    }
}

impl<A: NkElement, D: ndarray::Dimension> HostRet for ndarray::Array<A, D> {
    fn nk_type() -> Result<Type, String> {
        array_type::<A, D>()
    }
    fn into_nk_ret(self) -> Result<Value, String> {
        Ok(self.into_nk(Seal::new()))
    }
}

impl HostRet for () {
    fn nk_type() -> Result<Type, String> {
        Ok(Type::Unit)
    }
    fn into_nk_ret(self) -> Result<Value, String> {
        Ok(Value::Unit)
    }
}

/// `Err(e)` stops the nk program with the runtime error `e` (and the nk call chain).
impl<T: HostRet, E: std::fmt::Display> HostRet for Result<T, E> {
    fn nk_type() -> Result<Type, String> {
        T::nk_type()
    }
    fn into_nk_ret(self) -> Result<Value, String> {
        self.map_err(|e| e.to_string())?.into_nk_ret()
    }
}

macro_rules! tuple_ret {
    ($($t:ident),+) => {
        impl<$($t: HostRet),+> HostRet for ($($t,)+) {
            fn nk_type() -> Result<Type, String> {
                Ok(Type::Tuple(vec![$($t::nk_type()?),+]))
            }
            #[allow(non_snake_case)]
            fn into_nk_ret(self) -> Result<Value, String> {
                let ($($t,)+) = self;
                Ok(Value::T(vec![$($t.into_nk_ret()?),+]))
            }
        }
    };
}
tuple_ret!(A, B);
tuple_ret!(A, B, C);
tuple_ret!(A, B, C, D);

/// A Rust function or closure nk can call: `Fn(A, B, ...) -> R` with [`HostArg`]
/// parameters (up to six) and a [`HostRet`] result. `Args` is the parameter tuple (inferred).
pub trait HostFunction<Args>: 'static {
    /// Parameter types and result type.
    fn signature() -> Result<(Vec<Type>, Type), String>;
    fn into_host(self) -> HostFn;
}

macro_rules! host_fn {
    ($($a:ident),*) => {
        impl<F, R, $($a),*> HostFunction<($($a,)*)> for F
        where
            F: Fn($($a),*) -> R + 'static,
            R: HostRet,
            $($a: HostArg,)*
        {
            fn signature() -> Result<(Vec<Type>, Type), String> {
                Ok((vec![$($a::nk_type()?),*], R::nk_type()?))
            }
            #[allow(non_snake_case, unused_mut, unused_variables)]
            fn into_host(self) -> HostFn {
                Rc::new(move |args: &[Value]| {
                    let mut it = args.iter();
                    $(let $a = $a::from_nk_arg(
                        it.next().ok_or("internal: too few arguments for a host function")?,
                    )?;)*
                    self($($a),*).into_nk_ret()
                })
            }
        }
    };
}
host_fn!();
host_fn!(A);
host_fn!(A, B);
host_fn!(A, B, C);
host_fn!(A, B, C, D);
host_fn!(A, B, C, D, E);
host_fn!(A, B, C, D, E, G);
