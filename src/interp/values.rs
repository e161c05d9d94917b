//! The generic (slow) value path: reading and writing whole values — tuples included —
//! from register locations, formatting them for `print`, and the runtime built-ins.
//! Only rare operations come here; hot ones are single bytecode ops.

use crate::bytecode::{Loc, SliceOperand};
use crate::ir::{Builtin, Type};
use crate::runtime::format::format_scalar;
use crate::runtime::random::Rng;
use crate::runtime::ArrayRef;
use crate::runtime::{Array, Index, RtError, Scalar};
use crate::vocab::Prim;
use std::rc::Rc;

/// A whole nk value.
#[derive(Clone, Debug)]
pub enum Value {
    /// A scalar (`i64`, `f64`, `bool`).
    S(Scalar),
    /// An array (shared: nk arrays are references, as in NumPy).
    A(ArrayRef),
    /// A tuple.
    T(Vec<Value>),
    /// A string known only when the program runs (in registers: its UTF-8 bytes).
    Str(String),
    /// The "value" of a call that returns nothing.
    Unit,
}

impl Value {
    /// The value of type `ty` at `loc` of the register files (frame bases `bs`, `ba`).
    pub fn read(
        ty: &Type,
        loc: &Loc,
        s: &[u64],
        a: &[Option<ArrayRef>],
        bs: usize,
        ba: usize,
    ) -> Value {
        match (ty, loc) {
            (Type::Prim(p), Loc::S(r)) => Value::S(Scalar::from_bits(*p, s[bs + *r as usize])),
            (Type::Array(..), Loc::A(r)) => match &a[ba + *r as usize] {
                Some(x) => Value::A(x.clone()),
                None => Value::Unit,
            },
            (Type::Str(Some(text)), _) => Value::Str(text.to_string()),
            (Type::Str(None), Loc::A(r)) => match &a[ba + *r as usize] {
                Some(x) => Value::text_of(x),
                None => Value::Unit,
            },
            (Type::Tuple(ts), Loc::Tuple(ls)) => Value::T(
                ts.iter()
                    .zip(ls)
                    .map(|(t, l)| Value::read(t, l, s, a, bs, ba))
                    .collect(),
            ),
            _ => Value::Unit,
        }
    }

    /// Stores the value at `loc` of the register files (frame bases `bs`, `ba`).
    pub fn write(self, loc: &Loc, s: &mut [u64], a: &mut [Option<ArrayRef>], bs: usize, ba: usize) {
        match (self, loc) {
            (Value::S(x), Loc::S(r)) => s[bs + *r as usize] = x.to_bits(),
            (Value::A(x), Loc::A(r)) => a[ba + *r as usize] = Some(x),
            (Value::Str(x), Loc::A(r)) => a[ba + *r as usize] = Some(Rc::new(Array::from_text(&x))),
            (Value::T(vs), Loc::Tuple(ls)) => {
                for (v, l) in vs.into_iter().zip(ls) {
                    v.write(l, s, a, bs, ba);
                }
            }
            _ => {}
        }
    }

    /// Writes the value's leaves in calling-convention order (scalars and arrays each
    /// numbered from the window's base).
    pub fn write_leaves(
        &self,
        s: &mut Vec<u64>,
        a: &mut Vec<Option<ArrayRef>>,
        ns: &mut usize,
        na: &mut usize,
    ) {
        match self {
            Value::S(x) => {
                if s.len() <= *ns {
                    s.resize(*ns + 1, 0);
                }
                s[*ns] = x.to_bits();
                *ns += 1;
            }
            Value::A(x) => {
                if a.len() <= *na {
                    a.resize(*na + 1, None);
                }
                a[*na] = Some(x.clone());
                *na += 1;
            }
            Value::Str(x) => {
                if a.len() <= *na {
                    a.resize(*na + 1, None);
                }
                a[*na] = Some(Rc::new(Array::from_text(x)));
                *na += 1;
            }
            Value::T(vs) => vs.iter().for_each(|v| v.write_leaves(s, a, ns, na)),
            Value::Unit => {}
        }
    }

    /// The value of type `ty` whose leaves are the next registers from `ns`/`na` (advanced past them).
    pub fn read_leaves(
        ty: &Type,
        s: &[u64],
        a: &[Option<ArrayRef>],
        ns: &mut usize,
        na: &mut usize,
    ) -> Value {
        match ty {
            Type::Prim(p) => {
                let v = Value::S(Scalar::from_bits(*p, s.get(*ns).copied().unwrap_or(0)));
                *ns += 1;
                v
            }
            Type::Array(..) => {
                let v = a.get(*na).cloned().flatten().map_or(Value::Unit, Value::A);
                *na += 1;
                v
            }
            Type::Str(Some(text)) => Value::Str(text.to_string()),
            Type::Str(None) => {
                let v = a.get(*na).cloned().flatten().map_or(Value::Unit, |x| Value::text_of(&x));
                *na += 1;
                v
            }
            Type::Tuple(ts) => Value::T(
                ts.iter()
                    .map(|t| Value::read_leaves(t, s, a, ns, na))
                    .collect(),
            ),
            _ => Value::Unit,
        }
    }

    /// nk's `print` format: Python float repr, nested lists, Python tuples.
    pub fn format(&self) -> String {
        match self {
            Value::S(x) => format_scalar(*x),
            Value::A(x) => x.format(),
            Value::T(vs) => {
                // Inside a tuple a string prints as Python's `repr` does: quoted.
                let item = |v: &Value| match v {
                    Value::Str(x) => quoted(x),
                    v => v.format(),
                };
                let items: Vec<String> = vs.iter().map(item).collect();
                if items.len() == 1 {
                    format!("({},)", items[0])
                } else {
                    format!("({})", items.join(", "))
                }
            }
            Value::Str(x) => x.clone(),
            Value::Unit => String::new(),
        }
    }

    /// The string a run-time string's bytes hold (invalid UTF-8 replaced: only printing
    /// reads it so; file names are checked).
    fn text_of(bytes: &ArrayRef) -> Value {
        Value::Str(String::from_utf8_lossy(&bytes.text_bytes()).into_owned())
    }

    fn scalar(&self) -> Result<Scalar, RtError> {
        match self {
            Value::S(x) => Ok(*x),
            _ => Err(RtError::new("internal: expected a scalar")),
        }
    }

    fn array(&self) -> Result<&ArrayRef, RtError> {
        match self {
            Value::A(x) => Ok(x),
            _ => Err(RtError::new("internal: expected an array")),
        }
    }

    /// A shape argument: one length or a tuple of lengths.
    fn shape(&self) -> Result<Vec<i64>, RtError> {
        match self {
            Value::S(x) => Ok(vec![x.as_i64()]),
            Value::T(vs) => vs.iter().map(|v| v.scalar().map(Scalar::as_i64)).collect(),
            _ => Err(RtError::new("internal: expected a shape")),
        }
    }
}

/// [`slice_spec`] written into `buf` (no allocation), or `None` if it has more entries
/// than `buf` holds (the caller then uses `slice_spec`).
pub fn slice_spec_into<'b>(
    index: &[SliceOperand],
    s: &[u64],
    bs: usize,
    buf: &'b mut [Index; 8],
) -> Option<&'b [Index]> {
    let n = index.len();
    if n > buf.len() {
        return None;
    }
    for (slot, ix) in buf.iter_mut().zip(slice_spec_iter(index, s, bs)) {
        *slot = ix;
    }
    Some(&buf[..n])
}

fn slice_spec_iter<'a>(
    index: &'a [SliceOperand],
    s: &'a [u64],
    bs: usize,
) -> impl Iterator<Item = Index> + 'a {
    let get = move |r: &u16| s[bs + *r as usize] as i64;
    index.iter().map(move |i| match i {
        SliceOperand::At(r) => Index::At(get(r)),
        SliceOperand::Range(lo, hi, None) => Index::Range(lo.as_ref().map(get), hi.as_ref().map(get)),
        SliceOperand::Range(lo, hi, Some(step)) => {
            Index::Stepped(lo.as_ref().map(get), hi.as_ref().map(get), get(step))
        }
        SliceOperand::NewAxis => Index::NewAxis,
    })
}

/// The runtime spec of a slicing op's operands (index registers read in the frame at `bs`).
pub fn slice_spec(index: &[SliceOperand], s: &[u64], bs: usize) -> Vec<Index> {
    slice_spec_iter(index, s, bs).collect()
}

/// A string as Python's `repr` writes it: in single quotes (double if it holds a single
/// quote and no double one), with `\\`, the quote, and control characters escaped.
fn quoted(text: &str) -> String {
    let q = if text.contains('\'') && !text.contains('"') { '"' } else { '\'' };
    let mut out = String::with_capacity(text.len() + 2);
    out.push(q);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c == q => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push(q);
    out
}

fn arr(x: Array) -> Value {
    Value::A(Rc::new(x))
}

/// A path passed to a file built-in: the bytes of a string (a `u8` array).
fn path_of(v: &Value) -> Result<String, RtError> {
    let path = v.array()?.text()?;
    if path.is_empty() {
        return Err(RtError::new("a file name must not be empty"));
    }
    Ok(path)
}

fn missing() -> RtError {
    RtError::new("internal: missing argument")
}

/// The runtime built-ins (those not written in nk and not single bytecode ops).
pub fn builtin(b: Builtin, args: Vec<Value>, rng: &mut Rng) -> Result<Value, RtError> {
    use crate::runtime::ops as rops;
    let a0 = || {
        args.first()
            .ok_or_else(|| RtError::new("internal: missing argument"))
    };
    Ok(match b {
        Builtin::Host(_) => return Err(RtError::new("internal: host function without a host")),
        Builtin::Zeros(p) => arr(Array::zeros(p, &a0()?.shape()?)?),
        Builtin::Ones(p) => {
            let one = Scalar::I64(1).convert(p);
            arr(Array::full(&a0()?.shape()?, one)?)
        }
        Builtin::Full => arr(Array::full(&a0()?.shape()?, args[1].scalar()?)?),
        Builtin::Arange(Prim::F64) => arr(Array::arange_f64(
            args[0].scalar()?.as_f64(),
            args[1].scalar()?.as_f64(),
            args[2].scalar()?.as_f64(),
        )?),
        Builtin::Arange(_) => arr(Array::arange_i64(
            args[0].scalar()?.as_i64(),
            args[1].scalar()?.as_i64(),
            args[2].scalar()?.as_i64(),
        )?),
        Builtin::Copy => arr(a0()?.array()?.copy()),
        Builtin::Reshape => arr(a0()?.array()?.reshape(&args[1].shape()?)?),
        Builtin::Transpose => arr(a0()?.array()?.transpose()),
        Builtin::Ravel => arr(a0()?.array()?.ravel()),
        Builtin::LoadNpy(p, nd) => arr(Array::load_npy(&path_of(a0()?)?, p, nd)?),
        Builtin::SaveNpy => {
            let a = args.get(1).ok_or_else(missing)?.array()?;
            a.save_npy(&path_of(a0()?)?)?;
            Value::Unit
        }
        Builtin::LoadCsv => {
            let skip = args.get(1).ok_or_else(missing)?.scalar()?.as_i64();
            arr(Array::load_csv(&path_of(a0()?)?, skip)?)
        }
        Builtin::SaveCsv => {
            let a = args.get(1).ok_or_else(missing)?.array()?;
            a.save_csv(&path_of(a0()?)?)?;
            Value::Unit
        }
        Builtin::ArrayLit(p) => {
            let shape: Vec<usize> = a0()?.shape()?.iter().map(|&d| d as usize).collect();
            let bits = args[1..]
                .iter()
                .map(|v| Ok(v.scalar()?.convert(p).to_bits()))
                .collect::<Result<Vec<u64>, RtError>>()?;
            arr(Array::from_vec(p, &shape, bits))
        }
        Builtin::Join(p, stack) => {
            let Value::T(items) = a0()? else {
                return Err(RtError::new("internal: join of no tuple"));
            };
            let arrays = items
                .iter()
                .map(|v| v.array().map(|a| &**a))
                .collect::<Result<Vec<&Array>, RtError>>()?;
            let axis = args.get(1).ok_or_else(missing)?.scalar()?.as_i64();
            arr(Array::join(&arrays, axis, p, stack)?)
        }
        Builtin::Where(p) => {
            // Scalars are arrays of shape (1,); all scalars select a scalar.
            let as_array = |v: &Value| -> Result<Array, RtError> {
                match v {
                    Value::A(a) => Ok((**a).clone()),
                    other => Array::full(&[1], other.scalar()?),
                }
            };
            if args.iter().all(|v| matches!(v, Value::S(_))) {
                let c = args[0].scalar()?.as_i64() != 0;
                let pick = if c { &args[1] } else { &args[2] };
                return Ok(Value::S(pick.scalar()?.convert(p)));
            }
            let (c, a, b) = (as_array(&args[0])?, as_array(&args[1])?, as_array(&args[2])?);
            arr(Array::select(&c, &a, &b, p)?)
        }
        Builtin::ReduceAxis(r) => {
            let axis = args
                .get(1)
                .ok_or_else(|| RtError::new("internal: missing axis"))?
                .scalar()?
                .as_i64();
            match a0()?.array()?.reduce_axis(r, axis)? {
                Ok(a) => arr(a),
                Err(s) => Value::S(s),
            }
        }
        Builtin::ReduceAll(r) => Value::S(a0()?.array()?.reduce_all(r)?),
        Builtin::Dot => {
            let b = args.get(1).ok_or_else(missing)?.array()?;
            match a0()?.array()?.dot(b)? {
                Ok(a) => arr(a),
                Err(s) => Value::S(s),
            }
        }
        Builtin::Sort => arr(a0()?.array()?.sort()),
        Builtin::Len => Value::S(Scalar::I64(a0()?.array()?.len() as i64)),
        Builtin::Size => Value::S(Scalar::I64(a0()?.array()?.size() as i64)),
        Builtin::Ndim => Value::S(Scalar::I64(a0()?.array()?.ndim() as i64)),
        Builtin::Shape => Value::T(
            a0()?
                .array()?
                .shape()
                .iter()
                .map(|&d| Value::S(Scalar::I64(d as i64)))
                .collect(),
        ),
        Builtin::Math1(f) => match a0()? {
            Value::A(x) => arr(Array::math1_array(f, x)),
            v => Value::S(rops::scalar_math1(f, v.scalar()?)),
        },
        Builtin::Math2(f) => match (&args[0], &args[1]) {
            (Value::A(x), Value::A(y)) => arr(Array::math2_aa(f, x, y)?),
            (Value::A(x), y) => arr(Array::math2_as(f, x, y.scalar()?, false)),
            (x, Value::A(y)) => arr(Array::math2_as(f, y, x.scalar()?, true)),
            (x, y) => Value::S(rops::scalar_math2(f, x.scalar()?, y.scalar()?)),
        },
        Builtin::MinScalar | Builtin::MaxScalar => {
            let f = if b == Builtin::MinScalar {
                crate::vocab::MathFn2::Minimum
            } else {
                crate::vocab::MathFn2::Maximum
            };
            Value::S(rops::scalar_math2(f, args[0].scalar()?, args[1].scalar()?))
        }
        Builtin::IsNan | Builtin::IsInf => {
            let test = |x: f64| {
                if b == Builtin::IsNan {
                    x.is_nan()
                } else {
                    x.is_infinite()
                }
            };
            match a0()? {
                Value::A(x) => {
                    let bits: Vec<bool> = x.iter_scalars().map(|v| test(v.as_f64())).collect();
                    let flat = Array::from_bools(&bits);
                    let shape: Vec<i64> = x.shape().iter().map(|&d| d as i64).collect();
                    arr(flat.reshape(&shape)?)
                }
                v => Value::S(Scalar::Bool(test(v.scalar()?.as_f64()))),
            }
        }
        Builtin::Seed => {
            rng.seed(a0()?.scalar()?.as_i64() as u64);
            Value::Unit
        }
        Builtin::Rand => arr(rng.rand_shape(&a0()?.shape()?)?),
        Builtin::Randn => arr(rng.randn_shape(&a0()?.shape()?)?),
        Builtin::Random => Value::S(Scalar::F64(rng.next_f64())),
    })
}
