//! Python values ⇄ nk values: NumPy arrays and Python scalars in, NumPy arrays and Python
//! scalars out.
//!
//! Invariant: nothing here copies an array that nk can address in place. A writable NumPy
//! array of a dtype nk has is *lent* read-write (nk's writes are seen by Python; a
//! negative-stride array is copied in and written back by the engine, a byte-swapped or
//! unaligned one here, by `write_back`); a read-only one is
//! lent read-only, and a function that may write an array gets a copy of it, so a
//! read-only array is never written. A result array moves out of nk into the NumPy array
//! that Python gets (its base object owns nk's buffer), copied only when nk still shares
//! the buffer (a result that is a view of an argument, or of another value).

use ndarray::ArrayD;
use numpy::{
    BorrowError, PyArrayDescrMethods, PyArrayDyn, PyArrayMethods, PyReadonlyArrayDyn,
    PyReadwriteArrayDyn, PyUntypedArray, PyUntypedArrayMethods,
};
use nvm::engine::{DynArg, DynArrayMut, DynArrayRef, FromNk};
use nvm::Value;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyFloat, PyInt, PyTuple};
use pyo3::IntoPyObjectExt;

/// A NumPy array borrowed for the length of one call (NumPy's borrow flags keep two
/// loans of overlapping memory apart, as Rust's `&mut` would).
pub enum Loan<'py> {
    Bool(PyReadwriteArrayDyn<'py, bool>),
    U8(PyReadwriteArrayDyn<'py, u8>),
    I32(PyReadwriteArrayDyn<'py, i32>),
    I64(PyReadwriteArrayDyn<'py, i64>),
    F32(PyReadwriteArrayDyn<'py, f32>),
    F64(PyReadwriteArrayDyn<'py, f64>),
    BoolRo(PyReadonlyArrayDyn<'py, bool>),
    U8Ro(PyReadonlyArrayDyn<'py, u8>),
    I32Ro(PyReadonlyArrayDyn<'py, i32>),
    I64Ro(PyReadonlyArrayDyn<'py, i64>),
    F32Ro(PyReadonlyArrayDyn<'py, f32>),
    F64Ro(PyReadonlyArrayDyn<'py, f64>),
}

/// One argument as converted under the GIL: a scalar, a loan, or a tuple of these.
pub enum Arg<'py> {
    Bool(bool),
    I64(i64),
    F64(f64),
    F32(f32),
    I32(i32),
    U8(u8),
    Array(Box<Loan<'py>>),
    Tuple(Vec<Arg<'py>>),
    Str(String),
}

impl<'py> Arg<'py> {
    /// The engine's view of this argument (borrowing the loans for the call).
    pub fn as_dyn(&mut self) -> DynArg<'_> {
        match self {
            Arg::Bool(x) => DynArg::Bool(*x),
            Arg::I64(x) => DynArg::I64(*x),
            Arg::F64(x) => DynArg::F64(*x),
            Arg::F32(x) => DynArg::F32(*x),
            Arg::I32(x) => DynArg::I32(*x),
            Arg::U8(x) => DynArg::U8(*x),
            Arg::Tuple(xs) => DynArg::Tuple(xs.iter_mut().map(Arg::as_dyn).collect()),
            Arg::Str(x) => DynArg::Str(x.clone()),
            Arg::Array(l) => match &mut **l {
                Loan::Bool(a) => DynArg::Mut(DynArrayMut::Bool(a.as_array_mut())),
                Loan::U8(a) => DynArg::Mut(DynArrayMut::U8(a.as_array_mut())),
                Loan::I32(a) => DynArg::Mut(DynArrayMut::I32(a.as_array_mut())),
                Loan::I64(a) => DynArg::Mut(DynArrayMut::I64(a.as_array_mut())),
                Loan::F32(a) => DynArg::Mut(DynArrayMut::F32(a.as_array_mut())),
                Loan::F64(a) => DynArg::Mut(DynArrayMut::F64(a.as_array_mut())),
                Loan::BoolRo(a) => DynArg::Ref(DynArrayRef::Bool(a.as_array())),
                Loan::U8Ro(a) => DynArg::Ref(DynArrayRef::U8(a.as_array())),
                Loan::I32Ro(a) => DynArg::Ref(DynArrayRef::I32(a.as_array())),
                Loan::I64Ro(a) => DynArg::Ref(DynArrayRef::I64(a.as_array())),
                Loan::F32Ro(a) => DynArg::Ref(DynArrayRef::F32(a.as_array())),
                Loan::F64Ro(a) => DynArg::Ref(DynArrayRef::F64(a.as_array())),
            },
        }
    }
}

/// `argument 2 (`xs`) of `m.f``, or without the name when it is not known.
pub fn describe(pos: usize, param: Option<&str>, func: &str) -> String {
    match param {
        Some(p) => format!("argument {} (`{p}`) of `{func}`", pos + 1),
        None => format!("argument {} of `{func}`", pos + 1),
    }
}

fn type_error(what: &str, msg: impl std::fmt::Display) -> PyErr {
    PyTypeError::new_err(format!("{what}: {msg}"))
}

/// Borrows array `a` of element type `T`: read-write when it is writable, else read-only.
macro_rules! borrow_as {
    ($a:expr, $t:ty, $rw:ident, $ro:ident, $what:expr) => {{
        let arr = $a.cast::<PyArrayDyn<$t>>().map_err(PyErr::from)?;
        match arr.try_readwrite() {
            Ok(rw) => Loan::$rw(rw),
            Err(BorrowError::NotWriteable) => match arr.try_readonly() {
                Ok(ro) => Loan::$ro(ro),
                Err(e) => return Err(borrow_error($what, e)),
            },
            Err(e) => return Err(borrow_error($what, e)),
        }
    }};
}

fn borrow_error(what: &str, e: BorrowError) -> PyErr {
    match e {
        BorrowError::AlreadyBorrowed => type_error(
            what,
            "this array shares memory with another array argument (or is in use by another \
             call); nk lends a writable array to one parameter at a time: pass a copy",
        ),
        other => type_error(what, other),
    }
}

/// The NumPy dtype names nk takes, for messages.
const DTYPES: &str = "bool, uint8, int32, int64, float32 or float64";

/// Converts one Python argument. `what` names it in errors.
/// Arrays nk got an aligned, native-order copy of: (the caller's array, the copy), written
/// back after the call.
pub type WriteBacks<'py> = Vec<(Bound<'py, PyAny>, Bound<'py, PyAny>)>;

/// Writes the copies back into the caller's arrays (after the call, also a failed one).
pub fn write_back(py: Python<'_>, wb: WriteBacks<'_>) -> PyResult<()> {
    if wb.is_empty() {
        return Ok(());
    }
    let copyto = py.import("numpy")?.getattr("copyto")?;
    for (orig, copy) in wb {
        copyto.call1((orig, copy))?;
    }
    Ok(())
}

pub fn convert<'py>(
    x: &Bound<'py, PyAny>,
    what: &str,
    depth: usize,
    wb: &mut WriteBacks<'py>,
) -> PyResult<Arg<'py>> {
    // bool before int: Python's bool is an int.
    if let Ok(b) = x.cast::<PyBool>() {
        return Ok(Arg::Bool(b.is_true()));
    }
    if x.is_instance_of::<PyInt>() {
        return x.extract::<i64>().map(Arg::I64).map_err(|_| {
            type_error(
                what,
                format!("the int {x} does not fit nk's i64 (-2**63 .. 2**63-1)"),
            )
        });
    }
    if let Ok(f) = x.cast::<PyFloat>() {
        return Ok(Arg::F64(f.value()));
    }
    if x.is_instance_of::<pyo3::types::PyString>() {
        return Ok(Arg::Str(x.extract::<String>()?));
    }
    if let Ok(a) = x.cast::<PyUntypedArray>() {
        return convert_array(a, what, wb).map(|l| Arg::Array(Box::new(l)));
    }
    if let Ok(t) = x.cast::<PyTuple>() {
        if depth > 32 {
            return Err(type_error(what, "tuples nested too deeply"));
        }
        return t
            .iter()
            .enumerate()
            .map(|(i, item)| convert(&item, &format!("{what}, item {i}"), depth + 1, wb))
            .collect::<PyResult<Vec<_>>>()
            .map(Arg::Tuple);
    }
    // NumPy scalars (np.float32(1.5), np.int32(3), np.uint8(7), np.bool_(True), ...).
    let py = x.py();
    let np = py.import("numpy")?;
    if x.is_instance(&np.getattr("generic")?)? {
        let name: String = x.getattr("dtype")?.getattr("name")?.extract()?;
        return match name.as_str() {
            "bool" => Ok(Arg::Bool(x.is_truthy()?)),
            "uint8" => Ok(Arg::U8(x.call_method0("item")?.extract()?)),
            "int32" => Ok(Arg::I32(x.call_method0("item")?.extract()?)),
            "int64" => Ok(Arg::I64(x.call_method0("item")?.extract()?)),
            "float32" => Ok(Arg::F32(x.call_method0("item")?.extract()?)),
            "float64" => Ok(Arg::F64(x.call_method0("item")?.extract()?)),
            other => Err(type_error(
                what,
                format!("a NumPy {other} scalar has no nk type (nk has {DTYPES})"),
            )),
        };
    }
    let ty = x.get_type().name()?;
    Err(type_error(
        what,
        format!(
            "a Python {ty} has no nk type (nk takes int, float, bool, str, NumPy arrays of \
             {DTYPES} with 1 to 3 dimensions, and tuples of these)"
        ),
    ))
}

fn convert_array<'py>(
    a: &Bound<'py, PyUntypedArray>,
    what: &str,
    wb: &mut WriteBacks<'py>,
) -> PyResult<Loan<'py>> {
    let ndim = a.ndim();
    let dtype = a.dtype();
    // Kind and size are fields of the descriptor; `dtype.name` is computed in Python
    // (several µs), so it is asked only for messages.
    let (kind, size) = (dtype.kind(), dtype.itemsize());
    let name = || -> PyResult<String> { dtype.getattr("name")?.extract() };
    if !(1..=3).contains(&ndim) {
        return Err(type_error(
            what,
            format!(
                "a {ndim}-dimensional array of {}: nk arrays have 1 to 3 dimensions{}",
                name()?,
                if ndim == 0 {
                    " (pass a 0-dimensional array as a scalar: a.item())"
                } else {
                    ""
                }
            ),
        ));
    }
    let supported = matches!(
        (kind, size),
        (b'b', 1) | (b'u', 1) | (b'i', 4) | (b'i', 8) | (b'f', 4) | (b'f', 8)
    );
    if supported && (!dtype.is_native_byteorder().unwrap_or(true) || !a.is_aligned()) {
        // Byte-swapped or unaligned (a buffer received from another process, a field of a
        // record array): nk gets an aligned copy in native order, written back after the
        // call when the caller's array is writable.
        let py = a.py();
        let native = dtype.call_method1("newbyteorder", ("=",))?;
        let copy = py
            .import("numpy")?
            .call_method1("array", (a, native))?
            .cast_into::<PyUntypedArray>()
            .map_err(PyErr::from)?;
        if a.getattr("flags")?.getattr("writeable")?.is_truthy()? {
            wb.push((a.clone().into_any(), copy.clone().into_any()));
        }
        return convert_array(&copy, what, wb);
    }
    Ok(match (kind, size) {
        (b'b', 1) => borrow_as!(a, bool, Bool, BoolRo, what),
        (b'u', 1) => borrow_as!(a, u8, U8, U8Ro, what),
        (b'i', 4) => borrow_as!(a, i32, I32, I32Ro, what),
        (b'i', 8) => borrow_as!(a, i64, I64, I64Ro, what),
        (b'f', 4) => borrow_as!(a, f32, F32, F32Ro, what),
        (b'f', 8) => borrow_as!(a, f64, F64, F64Ro, what),
        _ => {
            return Err(type_error(
                what,
                format!(
                    "an array of dtype {} has no nk type (nk arrays hold {DTYPES})",
                    name()?
                ),
            ))
        }
    })
}

/// An nk result, out of nk and free of its reference counts, so it can cross threads.
pub enum Out {
    Unit,
    Bool(bool),
    U8(u8),
    I32(i32),
    I64(i64),
    F32(f32),
    F64(f64),
    Tuple(Vec<Out>),
    Str(String),
    ABool(ArrayD<bool>),
    AU8(ArrayD<u8>),
    AI32(ArrayD<i32>),
    AI64(ArrayD<i64>),
    AF32(ArrayD<f32>),
    AF64(ArrayD<f64>),
}

/// The result value as an [`Out`] (arrays move out of nk without copying when nk holds no
/// other reference to their buffer).
pub fn out_of_nk(v: Value) -> Result<Out, String> {
    fn get<T: FromNk>(v: Value) -> Result<T, String> {
        T::from_nk(v).map_err(|e| e.to_string())
    }
    if let Value::S(_) = &v {
        // A scalar: copying the value is free, so try each type in turn.
        macro_rules! try_scalar {
            ($($t:ty => $o:ident),*) => {$(
                if let Ok(x) = <$t>::from_nk(v.clone()) {
                    return Ok(Out::$o(x));
                }
            )*};
        }
        try_scalar!(f64 => F64, i64 => I64, bool => Bool, f32 => F32, i32 => I32, u8 => U8);
    }
    let ty = match &v {
        Value::Unit => return Ok(Out::Unit),
        Value::T(_) => {
            let items: Vec<Value> = get(v)?;
            return items
                .into_iter()
                .map(out_of_nk)
                .collect::<Result<_, _>>()
                .map(Out::Tuple);
        }
        _ => nvm::Engine::type_of(&v).unwrap_or_default(),
    };
    let elem = ty.split('[').next().unwrap_or_default();
    Ok(match (elem, ty.contains('[')) {
        ("bool", false) => Out::Bool(get(v)?),
        ("u8", false) => Out::U8(get(v)?),
        ("i32", false) => Out::I32(get(v)?),
        ("i64", false) => Out::I64(get(v)?),
        ("f32", false) => Out::F32(get(v)?),
        ("f64", false) => Out::F64(get(v)?),
        ("bool", true) => Out::ABool(get(v)?),
        ("u8", true) => Out::AU8(get(v)?),
        ("i32", true) => Out::AI32(get(v)?),
        ("i64", true) => Out::AI64(get(v)?),
        ("f32", true) => Out::AF32(get(v)?),
        ("f64", true) => Out::AF64(get(v)?),
        ("str", false) => Out::Str(get(v)?),
        _ => return Err(format!("an nk result of type {ty} has no Python form")),
    })
}

/// The Python object of a result: NumPy arrays own nk's buffer (no copy); `i32`/`u8`/`f32`
/// scalars become NumPy scalars of their dtype, the others Python scalars.
pub fn to_python(py: Python<'_>, out: Out) -> PyResult<Py<PyAny>> {
    use numpy::PyArray;
    let np_scalar = |dtype: &str, v: Py<PyAny>| -> PyResult<Py<PyAny>> {
        Ok(py.import("numpy")?.getattr(dtype)?.call1((v,))?.unbind())
    };
    Ok(match out {
        Out::Unit => py.None(),
        Out::Bool(x) => x.into_py_any(py)?,
        Out::I64(x) => x.into_py_any(py)?,
        Out::F64(x) => x.into_py_any(py)?,
        Out::Str(x) => x.into_py_any(py)?,
        Out::U8(x) => np_scalar("uint8", x.into_py_any(py)?)?,
        Out::I32(x) => np_scalar("int32", x.into_py_any(py)?)?,
        Out::F32(x) => np_scalar("float32", x.into_py_any(py)?)?,
        Out::Tuple(xs) => {
            let items = xs
                .into_iter()
                .map(|x| to_python(py, x))
                .collect::<PyResult<Vec<_>>>()?;
            PyTuple::new(py, items)?.into_any().unbind()
        }
        Out::ABool(a) => PyArray::from_owned_array(py, a).into_any().unbind(),
        Out::AU8(a) => PyArray::from_owned_array(py, a).into_any().unbind(),
        Out::AI32(a) => PyArray::from_owned_array(py, a).into_any().unbind(),
        Out::AI64(a) => PyArray::from_owned_array(py, a).into_any().unbind(),
        Out::AF32(a) => PyArray::from_owned_array(py, a).into_any().unbind(),
        Out::AF64(a) => PyArray::from_owned_array(py, a).into_any().unbind(),
    })
}
