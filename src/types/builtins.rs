//! Typing of the built-in functions implemented by the runtime, and of the built-ins that
//! dispatch to prelude functions written in nk (`min(a)` → `amin`, `dot` → `__dot21`, ...).

use super::promote;
use crate::ir::{Builtin, Expr, ExprKind, Type};
use crate::source::Span;
use crate::vocab::{MathFn, MathFn2, Prim, Reduce};

const NAMES: &[&str] = &[
    "zeros",
    "ones",
    "empty",
    "full",
    "arange",
    "copy",
    "reshape",
    "transpose",
    "ravel",
    "sort",
    "len",
    "shape",
    "size",
    "ndim",
    "min",
    "max",
    "int",
    "float",
    "isnan",
    "isinf",
    "to_int",
    "to_float",
    "seed",
    "rand",
    "randn",
    "random",
    "dot",
    "atan2",
    "pow",
    "minimum",
    "maximum",
    "astype",
    "where",
    "concatenate",
    "stack",
    "load_npy",
    "save_npy",
    "load_csv",
    "save_csv",
    "__as",
    "__zero",
    "__elem0",
    "__num",
    "__reduce",
];

/// The built-ins users may call by name (for "did you mean" hints).
pub fn public_names() -> impl Iterator<Item = &'static str> {
    NAMES
        .iter()
        .copied()
        .filter(|n| !n.starts_with("__"))
        .chain(MathFn::ALL.iter().map(|f| f.name()))
        .chain(["print", "assert", "range"])
}

pub fn is_builtin_name(n: &str) -> bool {
    NAMES.contains(&n) || MathFn::ALL.iter().any(|f| f.name() == n)
}

/// What a call gives a built-in besides its positional arguments.
#[derive(Default)]
pub(super) struct Extra {
    /// The element type named by a trailing type-name argument or `dtype=`.
    pub dtype: Option<Prim>,
    /// Other `name=value` arguments, in order.
    pub keywords: Vec<(String, Expr)>,
}

/// The built-ins that take a dtype (`zeros(n, f32)`, `astype(a, i32)`, `f32(x)`).
fn takes_dtype(name: &str) -> bool {
    matches!(
        name,
        "zeros" | "ones" | "empty" | "full" | "arange" | "astype" | "load_npy"
    )
}

fn math2_by_name(n: &str) -> Option<MathFn2> {
    MathFn2::ALL.into_iter().find(|f| f.name() == n)
}

/// The scalar kernel of a prelude built-in that takes arrays (`sign(x)` → `__sign1`): a
/// prelude function cannot choose code by the rank of an argument, so a call whose
/// arguments at the listed positions are all scalars goes to the scalar form, which has
/// the same parameters. `args` are in parameter order.
pub(super) fn prelude_scalar_form(name: &str, args: &[Expr]) -> Option<&'static str> {
    let (form, scalars): (&str, &[usize]) = match name {
        "sign" => ("__sign1", &[0]),
        "log2" => ("__log2_1", &[0]),
        "log1p" => ("__log1p1", &[0]),
        "expm1" => ("__expm1_1", &[0]),
        "count_nonzero" => ("__count_nonzero1", &[0]),
        "hypot" => ("__hypot1", &[0, 1]),
        "isclose" => ("__isclose1", &[0, 1]),
        "interp" => ("__interp1", &[0]),
        "searchsorted" => ("__searchsorted1", &[1]),
        _ => return None,
    };
    let scalar = |i: &usize| matches!(args.get(*i).map(|a| &a.ty), Some(Type::Prim(_)));
    scalars.iter().all(scalar).then_some(form)
}

/// What lowering a built-in needs from the checker: calls of built-ins written in nk
/// (`stdlib/prelude.nk`) are specialized like user calls. A trait, so that this module
/// does not import the checker that imports it.
pub(super) trait Prelude {
    fn call_prelude(&mut self, name: &str, args: Vec<Expr>, span: Span) -> Expr;
}

/// Lowers a call of built-in `name`: `None` if `name` is not a built-in, else the IR or the
/// error message (reported at `span` by the checker).
pub(super) fn lower(
    ch: &mut impl Prelude,
    name: &str,
    args: Vec<Expr>,
    extra: Extra,
    span: Span,
) -> Option<Result<Expr, String>> {
    let conversion = Prim::from_name(name);
    if !is_builtin_name(name) && conversion.is_none() {
        return None;
    }
    let mut extra = extra;
    let mut args = args;
    if matches!(name, "concatenate" | "stack") {
        // `axis=k` (or a second positional argument); 0 by default.
        if let Some(i) = extra.keywords.iter().position(|(k, _)| k == "axis") {
            args.push(extra.keywords.remove(i).1);
        } else if args.len() == 1 {
            args.push(mk(ExprKind::Int(0), Type::I64, span));
        }
    }
    if name == "load_csv" {
        // `skip=k` (or a second positional argument): header lines to skip.
        if let Some(i) = extra.keywords.iter().position(|(k, _)| k == "skip") {
            args.push(extra.keywords.remove(i).1);
        } else if args.len() == 1 {
            args.push(mk(ExprKind::Int(0), Type::I64, span));
        }
    }
    if let Some((k, _)) = extra.keywords.first() {
        return Some(Err(format!("`{name}` has no keyword argument `{k}`")));
    }
    if extra.dtype.is_some() && !takes_dtype(name) {
        return Some(Err(format!("`{name}` takes no dtype")));
    }
    if args.iter().any(|a| a.ty.is_unknown()) {
        return Some(Ok(Expr {
            kind: ExprKind::Int(0),
            ty: Type::Unknown,
            span,
        }));
    }
    if let Some(p) = conversion {
        return Some(convert(name, p, args, span));
    }
    Some(lower_known(ch, name, args, extra.dtype, span))
}

/// `T(x)` for a type name `T` (`f32(x)`, `u8(300)`), `int(x)` and `float(x)`: a scalar
/// converted by NumPy's `astype` rules; on an array, `astype(x, T)`.
fn convert(name: &str, p: Prim, mut args: Vec<Expr>, span: Span) -> Result<Expr, String> {
    arity(name, &args, 1, 1)?;
    let a = args.remove(0);
    match a.ty {
        // `i64(300)` and `f64(2)` are typed values, not literals: kept as a conversion,
        // they are not taken for weak scalars (`minimum(u8_x, i64(300))` is an `i64`).
        Type::Prim(_) if matches!(a.kind, ExprKind::Int(_) | ExprKind::Float(_)) => {
            let span = a.span;
            Ok(Expr {
                kind: ExprKind::Cast(p, Box::new(a)),
                ty: Type::Prim(p),
                span,
            })
        }
        Type::Prim(q) if q == p => Ok(a),
        Type::Prim(_) => Ok(Expr::cast(p, a)),
        Type::Array(..) => astype(a, p, span),
        ref other => Err(mismatch(name, "a number or an array", other)),
    }
}

/// `astype(a, p)`: always a new array, even when the element type is already right.
fn astype(a: Expr, p: Prim, span: Span) -> Result<Expr, String> {
    match a.ty {
        Type::Array(q, _) if q == p => {
            let ty = a.ty.clone();
            Ok(builtin(Builtin::Copy, vec![a], ty, span))
        }
        Type::Array(..) => Ok(Expr::cast(p, a)),
        ref other => Err(mismatch("astype", "an array", other)),
    }
}

fn arity(name: &str, args: &[Expr], lo: usize, hi: usize) -> Result<(), String> {
    if args.len() < lo || args.len() > hi {
        let want = if lo == hi {
            format!("{lo}")
        } else {
            format!("{lo} to {hi}")
        };
        return Err(format!(
            "wrong number of arguments: `{name}` expected {want} argument{}, found {}",
            if hi == 1 { "" } else { "s" },
            args.len()
        ));
    }
    Ok(())
}

fn mk(kind: ExprKind, ty: Type, span: Span) -> Expr {
    Expr { kind, ty, span }
}

fn builtin(b: Builtin, args: Vec<Expr>, ty: Type, span: Span) -> Expr {
    mk(ExprKind::Builtin(b, args), ty, span)
}

fn mismatch(name: &str, what: &str, got: &Type) -> String {
    format!("type mismatch: `{name}` expects {what}, found {got}")
}

/// The number of dimensions a shape argument describes: an `i64` or a tuple of 1–3 `i64`.
fn shape_dims(name: &str, shape: &Expr) -> Result<u8, String> {
    match &shape.ty {
        Type::Prim(Prim::I64) => Ok(1),
        Type::Tuple(ts) if (1..=3).contains(&ts.len()) && ts.iter().all(|t| *t == Type::I64) => {
            Ok(ts.len() as u8)
        }
        other => Err(mismatch(
            name,
            "a length (i64) or a shape tuple of 1 to 3 i64",
            other,
        )),
    }
}

fn array_arg(name: &str, e: &Expr) -> Result<(Prim, u8), String> {
    match e.ty {
        Type::Array(p, n) => Ok((p, n)),
        ref other => Err(mismatch(name, "an array", other)),
    }
}

fn lower_known(
    ch: &mut impl Prelude,
    name: &str,
    mut args: Vec<Expr>,
    dtype: Option<Prim>,
    span: Span,
) -> Result<Expr, String> {
    if let Some(f) = MathFn::ALL.iter().copied().find(|f| f.name() == name) {
        arity(name, &args, 1, 1)?;
        let a = args.remove(0);
        // `abs` keeps an integer kind; the others give f64, or f32 for f32.
        let out = |p: Prim| {
            if f.keeps_int() && p.is_int() {
                p
            } else {
                p.float_result()
            }
        };
        return match a.ty {
            Type::Prim(p) if p.is_numeric() => {
                let o = out(p);
                let a = if o.is_float() && !p.is_float() {
                    Expr::cast(Prim::F64, a)
                } else {
                    a
                };
                Ok(builtin(Builtin::Math1(f), vec![a], Type::Prim(o), span))
            }
            Type::Array(p, n) if p.is_numeric() => Ok(builtin(
                Builtin::Math1(f),
                vec![a],
                Type::Array(out(p), n),
                span,
            )),
            ref other => Err(mismatch(name, "a number or a numeric array", other)),
        };
    }
    if let Some(f) = math2_by_name(name) {
        arity(name, &args, 2, 2)?;
        return math2(f, args, span);
    }
    match name {
        "min" | "max" => {
            arity(name, &args, 1, 2)?;
            if args.len() == 1 {
                array_arg(name, &args[0])?;
                let prelude_fn = if name == "min" { "amin" } else { "amax" };
                return Ok(ch.call_prelude(prelude_fn, args, span));
            }
            let (a, b) = (args.remove(0), args.remove(0));
            let (a, b) = weak_pair(a, b)?;
            let (pa, pb) = match (&a.ty, &b.ty) {
                (Type::Prim(x), Type::Prim(y)) if x.is_numeric() && y.is_numeric() => (*x, *y),
                _ => {
                    return Err(format!(
                        "type mismatch: `{name}` of two values needs two numbers, found {} and {} (use `minimum`/`maximum` for arrays)",
                        a.ty, b.ty
                    ))
                }
            };
            let p = Prim::promote(pa, pb);
            let fix = |e: Expr| {
                if e.ty == Type::Prim(p) {
                    e
                } else {
                    Expr::cast(p, e)
                }
            };
            let b_ = if name == "min" {
                Builtin::MinScalar
            } else {
                Builtin::MaxScalar
            };
            Ok(builtin(b_, vec![fix(a), fix(b)], Type::Prim(p), span))
        }
        "zeros" | "ones" | "empty" => {
            arity(name, &args, 1, 1)?;
            let n = shape_dims(name, &args[0])?;
            let p = dtype.unwrap_or(Prim::F64);
            let b = if name == "ones" {
                Builtin::Ones(p)
            } else {
                Builtin::Zeros(p)
            };
            Ok(builtin(b, args, Type::Array(p, n), span))
        }
        "full" => {
            arity(name, &args, 2, 2)?;
            let n = shape_dims(name, &args[0])?;
            let q = args[1]
                .ty
                .prim()
                .ok_or_else(|| mismatch(name, "a scalar fill value", &args[1].ty))?;
            let p = dtype.unwrap_or(q);
            if p != q {
                let v = args.pop().expect("two arguments");
                args.push(Expr::cast(p, v));
            }
            Ok(builtin(Builtin::Full, args, Type::Array(p, n), span))
        }
        "where" => {
            arity(name, &args, 3, 3)?;
            let c = args.remove(0);
            let (a, b) = weak_pair(args.remove(0), args.remove(0))?;
            let kind = |e: &Expr| match e.ty {
                Type::Prim(p) => Some((p, 0)),
                Type::Array(p, n) => Some((p, n)),
                _ => None,
            };
            let (Some((pc, nc)), Some((pa, na)), Some((pb, nb))) = (kind(&c), kind(&a), kind(&b))
            else {
                return Err(format!(
                    "type mismatch: `where` takes a condition and two values, found {}, {} and {}",
                    c.ty, a.ty, b.ty
                ));
            };
            if pc != Prim::Bool {
                return Err(mismatch(name, "a bool condition (scalar or array)", &c.ty));
            }
            let p = Prim::promote(pa, pb);
            let n = nc.max(na).max(nb);
            let ty = if n == 0 { Type::Prim(p) } else { Type::Array(p, n) };
            Ok(builtin(Builtin::Where(p), vec![c, a, b], ty, span))
        }
        "concatenate" | "stack" => {
            arity(name, &args, 2, 2)?;
            let parts = match &args[0].ty {
                Type::Tuple(ts) if !ts.is_empty() => ts.clone(),
                other => {
                    return Err(mismatch(name, "a tuple of arrays: `(a, b, ...)`", other));
                }
            };
            let mut kind: Option<(Prim, u8)> = None;
            for t in parts.iter() {
                let Type::Array(p, n) = *t else {
                    return Err(mismatch(name, "a tuple of arrays", &args[0].ty));
                };
                kind = match kind {
                    None => Some((p, n)),
                    Some((_, m)) if m != n => {
                        return Err(format!(
                            "`{name}` needs arrays of one rank, found {} and {}",
                            Type::Array(p, n),
                            Type::Array(p, m)
                        ))
                    }
                    Some((q, _)) => Some((Prim::promote(q, p), n)),
                };
            }
            let (p, n) = kind.expect("a non-empty tuple");
            let stack = name == "stack";
            let rank = n + stack as u8;
            if rank > 3 {
                return Err("arrays have at most 3 dimensions".into());
            }
            let axis = args.remove(1);
            let axis = match axis.ty {
                Type::Prim(Prim::I64) => axis,
                Type::Prim(q) if q.is_int() => Expr::cast(Prim::I64, axis),
                ref other => return Err(mismatch(name, "an integer axis", other)),
            };
            Ok(builtin(
                Builtin::Join(p, stack),
                vec![args.remove(0), axis],
                Type::Array(p, rank),
                span,
            ))
        }
        "load_npy" => {
            arity(name, &args, 2, 2)?;
            let Some(p) = dtype else {
                return Err("`load_npy` needs the element type: `load_npy(path, f64, 2)`".into());
            };
            let nd = match args[1].kind {
                ExprKind::Int(n @ 1..=3) => n as u8,
                _ => {
                    return Err(
                        "`load_npy` needs the number of dimensions as a literal 1, 2 or 3: `load_npy(path, f64, 2)`"
                            .into(),
                    )
                }
            };
            let path = path_arg(name, &args[0])?;
            Ok(builtin(Builtin::LoadNpy(p, nd), vec![path], Type::Array(p, nd), span))
        }
        "save_npy" | "save_csv" => {
            arity(name, &args, 2, 2)?;
            let path = path_arg(name, &args[0])?;
            let a = args.remove(1);
            array_arg(name, &a)?;
            let b = if name == "save_npy" {
                Builtin::SaveNpy
            } else {
                Builtin::SaveCsv
            };
            Ok(builtin(b, vec![path, a], Type::Unit, span))
        }
        "load_csv" => {
            arity(name, &args, 2, 2)?;
            let path = path_arg(name, &args[0])?;
            let skip = args.remove(1);
            match skip.ty {
                Type::Prim(p) if p.is_int() => {}
                ref other => return Err(mismatch(name, "an integer `skip`", other)),
            }
            let skip = if skip.ty == Type::I64 {
                skip
            } else {
                Expr::cast(Prim::I64, skip)
            };
            Ok(builtin(
                Builtin::LoadCsv,
                vec![path, skip],
                Type::Array(Prim::F64, 2),
                span,
            ))
        }
        "astype" => {
            arity(name, &args, 1, 1)?;
            let Some(p) = dtype else {
                return Err("`astype` needs a dtype: `astype(a, f32)`".to_string());
            };
            astype(args.remove(0), p, span)
        }
        "rand" | "randn" => {
            arity(name, &args, 1, 1)?;
            let n = shape_dims(name, &args[0])?;
            let b = if name == "rand" {
                Builtin::Rand
            } else {
                Builtin::Randn
            };
            Ok(builtin(b, args, Type::Array(Prim::F64, n), span))
        }
        "random" => {
            arity(name, &args, 0, 0)?;
            Ok(builtin(Builtin::Random, args, Type::F64, span))
        }
        "seed" => {
            arity(name, &args, 1, 1)?;
            if args[0].ty != Type::I64 {
                return Err(mismatch(name, "an i64 seed", &args[0].ty));
            }
            Ok(builtin(Builtin::Seed, args, Type::Unit, span))
        }
        "arange" => {
            arity(name, &args, 1, 3)?;
            for a in &args {
                if !a.ty.is_numeric() {
                    return Err(mismatch(name, "numbers", &a.ty));
                }
            }
            let natural = if args.iter().all(|a| a.ty == Type::I64) {
                Prim::I64
            } else {
                Prim::F64
            };
            // With a dtype, the values are computed as i64/f64 and converted (NumPy's
            // `arange(n, dtype=...)`).
            let p = natural;
            let lit = |x: i64| {
                if p == Prim::I64 {
                    mk(ExprKind::Int(x), Type::I64, span)
                } else {
                    mk(ExprKind::Float(x as f64), Type::F64, span)
                }
            };
            let fix = |e: Expr| {
                if e.ty == Type::Prim(p) {
                    e
                } else {
                    Expr::cast(p, e)
                }
            };
            let mut it = args.into_iter().map(fix);
            let (a, b, s) = match it.len() {
                1 => (lit(0), it.next().expect("1 arg"), lit(1)),
                2 => (
                    it.next().expect("2 args"),
                    it.next().expect("2 args"),
                    lit(1),
                ),
                _ => (
                    it.next().expect("3 args"),
                    it.next().expect("3 args"),
                    it.next().expect("3 args"),
                ),
            };
            let r = builtin(Builtin::Arange(p), vec![a, b, s], Type::Array(p, 1), span);
            Ok(match dtype {
                Some(d) if d != p => Expr::cast(d, r),
                _ => r,
            })
        }
        "copy" | "transpose" | "sort" | "ravel" => {
            arity(name, &args, 1, 1)?;
            let (p, n) = array_arg(name, &args[0])?;
            let (b, ty) = match name {
                "copy" => (Builtin::Copy, Type::Array(p, n)),
                "transpose" => (Builtin::Transpose, Type::Array(p, n)),
                "sort" => (Builtin::Sort, Type::Array(p, n)),
                _ => (Builtin::Ravel, Type::Array(p, 1)),
            };
            Ok(builtin(b, args, ty, span))
        }
        "reshape" => {
            arity(name, &args, 2, 2)?;
            let (p, _) = array_arg(name, &args[0])?;
            let n = shape_dims(name, &args[1])?;
            Ok(builtin(Builtin::Reshape, args, Type::Array(p, n), span))
        }
        "len" | "size" | "ndim" | "shape" => {
            arity(name, &args, 1, 1)?;
            let (_, n) = array_arg(name, &args[0])?;
            let (b, ty) = match name {
                "len" => (Builtin::Len, Type::I64),
                "size" => (Builtin::Size, Type::I64),
                "ndim" => (Builtin::Ndim, Type::I64),
                _ => (Builtin::Shape, Type::tuple(vec![Type::I64; n as usize])),
            };
            Ok(builtin(b, args, ty, span))
        }
        "int" | "float" => {
            // Version 1's names of `i64(x)` and `f64(x)`, on scalars only.
            let p = if name == "int" { Prim::I64 } else { Prim::F64 };
            if let Some(a) = args.first().filter(|a| a.ty.is_array()) {
                return Err(mismatch(
                    name,
                    "a scalar (use to_int/to_float or astype for arrays)",
                    &a.ty,
                ));
            }
            convert(name, p, args, span)
        }
        "to_int" | "to_float" => {
            arity(name, &args, 1, 1)?;
            array_arg(name, &args[0])?;
            let p = if name == "to_int" {
                Prim::I64
            } else {
                Prim::F64
            };
            astype(args.remove(0), p, span)
        }
        "isnan" | "isinf" => {
            arity(name, &args, 1, 1)?;
            let b = if name == "isnan" {
                Builtin::IsNan
            } else {
                Builtin::IsInf
            };
            let a = args.remove(0);
            match a.ty {
                Type::Prim(p) if p.is_int() => {
                    Ok(builtin(b, vec![Expr::cast(Prim::F64, a)], Type::BOOL, span))
                }
                Type::Prim(p) if p.is_float() => Ok(builtin(b, vec![a], Type::BOOL, span)),
                Type::Array(p, n) if p.is_numeric() => {
                    Ok(builtin(b, vec![a], Type::Array(Prim::Bool, n), span))
                }
                ref other => Err(mismatch(name, "a number or numeric array", other)),
            }
        }
        "dot" => {
            arity(name, &args, 2, 2)?;
            let (pa, na) = array_arg(name, &args[0])?;
            let (pb, nb) = array_arg(name, &args[1])?;
            if pa == Prim::Bool || pb == Prim::Bool {
                return Err("type mismatch: `dot` needs numeric arrays".to_string());
            }
            if !(1..=2).contains(&na) || !(1..=2).contains(&nb) {
                return Err(format!(
                    "`dot` supports 1-D·1-D, 2-D·1-D, 1-D·2-D and 2-D·2-D, not {na}-D·{nb}-D"
                ));
            }
            // Floats: the runtime's GEMM, both operands converted to the promoted type
            // first (NumPy's `dot` casts to the common type the same way).
            let p = Prim::promote(pa, pb);
            if p.is_float() {
                let ty = match (na, nb) {
                    (1, 1) => Type::Prim(p),
                    (2, 2) => Type::Array(p, 2),
                    _ => Type::Array(p, 1),
                };
                let args = args
                    .into_iter()
                    .map(|a| match a.ty {
                        Type::Array(q, _) if q == p => a,
                        _ => Expr::cast(p, a),
                    })
                    .collect();
                return Ok(builtin(Builtin::Dot, args, ty, span));
            }
            let f = match (na, nb) {
                (1, 1) => "__dot11",
                (2, 1) => "__dot21",
                (1, 2) => "__dot12",
                (2, 2) => "__dot22",
                _ => {
                    return Err(format!(
                        "`dot` supports 1-D·1-D, 2-D·1-D, 1-D·2-D and 2-D·2-D, not {na}-D·{nb}-D"
                    ))
                }
            };
            Ok(ch.call_prelude(f, args, span))
        }
        "__zero" => {
            // The zero a sum of this array starts from: f64 and f32 keep their kind, every
            // integer kind (and bool) sums as i64, as NumPy. `__zero(a, b)`: the zero of a
            // sum of products of their elements (`dot`, `outer`): the promoted float kind
            // (`f32` with `u8` stays `f32`), or i64.
            arity(name, &args, 1, 2)?;
            let (mut p, _) = array_arg(name, &args[0])?;
            if let Some(b) = args.get(1) {
                p = Prim::promote(p, array_arg(name, b)?.0);
            }
            Ok(match p {
                Prim::F64 | Prim::F32 => mk(ExprKind::Float(0.0), Type::Prim(p), span),
                _ => mk(ExprKind::Int(0), Type::I64, span),
            })
        }
        "__elem0" => {
            // The zero of this array's own element type (`false` for `bool`), for results
            // that keep the input's type (`zeros_like`, `diff`, `outer`...).
            arity(name, &args, 1, 1)?;
            let (p, _) = array_arg(name, &args[0])?;
            let zero = mk(ExprKind::Int(0), Type::I64, span);
            Ok(if p == Prim::I64 { zero } else { Expr::cast(p, zero) })
        }
        "__as" => {
            // `__as(x, y)`: scalar `x` converted to the kind of scalar `y`.
            arity(name, &args, 2, 2)?;
            let (x, y) = (args.remove(0), args.remove(0));
            match (&x.ty, &y.ty) {
                (Type::Prim(p), Type::Prim(q)) if p == q => Ok(x),
                (Type::Prim(_), Type::Prim(q)) => Ok(Expr::cast(*q, x)),
                _ => Err(mismatch(name, "two scalars", &x.ty)),
            }
        }
        "__reduce" => {
            // `__reduce(a, "sum")`: the runtime's reduction of the whole array (the
            // prelude's `sum`, `mean`, `amin`, ... are this call).
            arity(name, &args, 2, 2)?;
            let (p, _) = array_arg(name, &args[0])?;
            let r = match &args[1].ty {
                Type::Str(Some(s)) => Reduce::by_name(s).filter(|r| !r.keeps_shape()),
                _ => None,
            }
            .ok_or_else(|| mismatch(name, "a reduction's name", &args[1].ty))?;
            Ok(builtin(
                Builtin::ReduceAll(r),
                vec![args.remove(0)],
                Type::Prim(r.result(p)),
                span,
            ))
        }
        "__num" => {
            arity(name, &args, 1, 1)?;
            let a = args.remove(0);
            match a.ty {
                Type::Prim(Prim::Bool) => Ok(Expr::cast(Prim::I64, a)),
                Type::Prim(_) => Ok(a),
                ref other => Err(mismatch(name, "a scalar", other)),
            }
        }
        _ => Err(format!("internal: built-in `{name}` has no typing rule")),
    }
}

fn math2(f: MathFn2, mut args: Vec<Expr>, span: Span) -> Result<Expr, String> {
    let (a, b) = (args.remove(0), args.remove(0));
    let (a, b) = weak_pair(a, b)?;
    let parts = |t: &Type| match t {
        Type::Prim(p) if p.is_numeric() => Some((*p, None)),
        Type::Array(p, n) if p.is_numeric() => Some((*p, Some(*n))),
        _ => None,
    };
    let (Some((pa, na)), Some((pb, nb))) = (parts(&a.ty), parts(&b.ty)) else {
        return Err(format!(
            "type mismatch: `{}` needs numbers or numeric arrays, found {} and {}",
            f.name(),
            a.ty,
            b.ty
        ));
    };
    // Arrays of different ranks broadcast at run time; the result has the larger rank.
    let ndim = match (na, nb) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, y) => x.or(y),
    };
    let promoted = Prim::promote(pa, pb);
    let p = if f.keeps_int() && !promoted.is_float() {
        promoted
    } else {
        promoted.float_result()
    };
    let ty = match ndim {
        Some(n) => Type::Array(p, n),
        None => Type::Prim(p),
    };
    // Scalars are converted to the computation type (the float ops read f64 registers);
    // arrays convert element-wise at run time.
    let fix = |e: Expr| match e.ty {
        Type::Prim(q) if q != p && na.or(nb).is_none() => Expr::cast(p, e),
        Type::Prim(q) if p.is_float() && !q.is_float() => Expr::cast(p, e),
        _ => e,
    };
    Ok(builtin(Builtin::Math2(f), vec![fix(a), fix(b)], ty, span))
}

/// Two operands of a two-argument numeric built-in (`minimum`, `min`, `atan2`...), a literal
/// among them taking the other's kind, as in an operator (NumPy 2's weak scalars; here a
/// `const` counts as a literal too).
fn weak_pair(a: Expr, b: Expr) -> Result<(Expr, Expr), String> {
    let lit = |e: &Expr| matches!(e.kind, ExprKind::Int(_) | ExprKind::Float(_));
    let kind = |e: &Expr| match e.ty {
        Type::Prim(p) | Type::Array(p, _) => Some(p),
        _ => None,
    };
    match (lit(&a), lit(&b), kind(&a), kind(&b)) {
        (true, false, _, Some(p)) => Ok((promote::weaken(a, p, false)?, b)),
        (false, true, Some(p), _) => Ok((a, promote::weaken(b, p, false)?)),
        _ => Ok((a, b)),
    }
}

/// A file name argument: a string, passed to the runtime as its UTF-8 bytes.
fn path_arg(name: &str, e: &Expr) -> Result<Expr, String> {
    match &e.ty {
        Type::Str(Some(s)) if s.is_empty() => {
            Err(format!("`{name}` needs a file name, found an empty string"))
        }
        Type::Str(_) => Ok(str_bytes(e.clone())),
        other => Err(mismatch(name, "a file name (a string)", other)),
    }
}

/// A string as a run-time value (type `str` of unknown value): a literal becomes the array
/// of its UTF-8 bytes; a run-time string is itself.
pub(super) fn runtime_str(e: Expr) -> Expr {
    let Type::Str(Some(s)) = &e.ty else {
        return e;
    };
    let span = e.span;
    let mut args = vec![mk(
        ExprKind::Tuple(vec![mk(ExprKind::Int(s.len() as i64), Type::I64, span)]),
        Type::tuple(vec![Type::I64]),
        span,
    )];
    args.extend(
        s.bytes()
            .map(|b| mk(ExprKind::Int(b as i64), Type::Prim(Prim::U8), span)),
    );
    builtin(Builtin::ArrayLit(Prim::U8), args, Type::Str(None), span)
}

/// A string's UTF-8 bytes as a `u8[]` (a run-time string is held as exactly that array,
/// so only the type changes).
pub(super) fn str_bytes(e: Expr) -> Expr {
    Expr {
        ty: Type::Array(Prim::U8, 1),
        ..runtime_str(e)
    }
}
