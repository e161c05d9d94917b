//! NumPy 2's promotion rules as the checker applies them (NEP 50): typed operands promote by
//! [`Prim::promote`]; a literal ("weak" scalar) takes the other operand's kind; and the
//! implicit conversions of an assignment or an argument.

use crate::ir::{Expr, ExprKind, Type};
use crate::vocab::Prim;

/// A literal operand `lit` (an `Int` or `Float` expression) given the kind of the other,
/// typed operand: an integer literal takes an integer kind (and must fit it: NumPy 2 raises
/// `OverflowError`, nk reports it before running) or a float kind; a float literal takes
/// `f32` from an `f32` operand and stays `f64` otherwise. In a comparison an integer
/// literal keeps `i64` against an integer operand, so `u8_array < 300` compares values, as
/// NumPy 2 does. Anything else is returned unchanged.
pub(super) fn weaken(lit: Expr, other: Prim, comparison: bool) -> Result<Expr, String> {
    let span = lit.span;
    let typed = |kind, p: Prim| Expr {
        kind,
        ty: Type::Prim(p),
        span,
    };
    Ok(match (&lit.kind, other) {
        (ExprKind::Int(v), Prim::F32) => typed(ExprKind::Float(*v as f32 as f64), Prim::F32),
        (ExprKind::Int(v), Prim::F64) => typed(ExprKind::Float(*v as f64), Prim::F64),
        (ExprKind::Int(_), Prim::U8 | Prim::I32) if comparison => lit,
        (ExprKind::Int(v), p @ (Prim::U8 | Prim::I32)) => {
            let fits = match p {
                Prim::U8 => u8::try_from(*v).is_ok(),
                _ => i32::try_from(*v).is_ok(),
            };
            if !fits {
                return Err(format!(
                    "integer literal {v} is out of range for {} (write `{}({v})` to wrap it)",
                    p.name(),
                    p.name()
                ));
            }
            typed(ExprKind::Int(*v), p)
        }
        (ExprKind::Float(f), Prim::F32) => typed(ExprKind::Float(*f as f32 as f64), Prim::F32),
        _ => lit,
    })
}

/// A literal for a `to` wanted where `lit` was written (`let x: f32 = 1.5;`,
/// `let b: u8 = 200;`): the literal converted when it is weak and fits, else `None`.
pub(super) fn literal_as(lit: &Expr, to: Prim) -> Option<Expr> {
    let p = lit.ty.prim()?;
    match (&lit.kind, to) {
        (ExprKind::Int(_), _) if p == Prim::I64 && to != Prim::Bool => {
            weaken(lit.clone(), to, false).ok()
        }
        (ExprKind::Float(_), Prim::F32) if p == Prim::F64 => weaken(lit.clone(), to, false).ok(),
        _ => None,
    }
}
