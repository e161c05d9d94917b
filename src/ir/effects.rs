//! Effects of a specialization, read off the typed IR: does it (or anything it calls)
//! write into an array?
//!
//! The engine lends an embedder's read-only arrays (`&ndarray::Array`, `ArrayView`) to nk
//! without copying only when the function called cannot write to any array
//! ([`writes_arrays`] is `false`); otherwise it passes copies.
//!
//! The analysis is *conservative*: it answers `true` when the function, or any function it
//! calls transitively, contains an element store (`a[i] = v`), a slice store (`a[lo:hi] = v`,
//! `a[:] = v`, and `a += b` on an array variable, which the checker lowers to a whole-array
//! slice store), or a call to a host function that takes an array (the host receives a copy
//! today, but a future host API may receive views). It does not track which array is
//! written: a function that fills an array it made itself also counts as writing. No
//! built-in writes into its arguments (`sort`, `copy`, `reshape`, ... return new arrays or
//! views), so built-ins other than host functions never count.

use super::{Builtin, Expr, ExprKind, FuncId, Program, SliceIdx, Stmt, Type};

/// Whether running specialization `id` may write into an array element or slice: through a
/// store in its own body or in any function it calls (transitively), or by passing an array
/// to a host function. Pure function of the program; an `id` outside the program is `true`
/// (the safe answer).
///
/// ```ignore
/// // fn total(xs) { return sum(xs); }        -> false
/// // fn scale(xs) { xs[:] = xs * 2.0; }      -> true
/// // fn outer(xs) { scale(xs); }             -> true (through the call)
/// ```
pub fn writes_arrays(prog: &Program, id: FuncId) -> bool {
    let mut seen = vec![false; prog.funcs.len()];
    let mut todo = vec![id];
    while let Some(f) = todo.pop() {
        let Some(func) = prog.funcs.get(f as usize) else {
            return true;
        };
        if std::mem::replace(&mut seen[f as usize], true) {
            continue;
        }
        let mut calls = Vec::new();
        if func.body.iter().any(|s| stmt_writes(s, &mut calls)) {
            return true;
        }
        todo.extend(calls.into_iter().filter(|&c| {
            // An unknown callee is checked (and answered `true`) when popped.
            seen.get(c as usize).is_none_or(|s| !s)
        }));
    }
    false
}

/// Whether `s` writes to an array by itself; collects the functions it calls.
fn stmt_writes(s: &Stmt, calls: &mut Vec<FuncId>) -> bool {
    let exprs = |es: &[&Expr], calls: &mut Vec<FuncId>| es.iter().any(|e| expr_writes(e, calls));
    let block = |b: &[Stmt], calls: &mut Vec<FuncId>| b.iter().any(|s| stmt_writes(s, calls));
    match s {
        Stmt::Store { .. } | Stmt::StoreSlice { .. } => true,
        Stmt::Assign(_, e) | Stmt::Expr(e) | Stmt::Assert(e, _, _) => expr_writes(e, calls),
        Stmt::Return(e) => e.as_ref().is_some_and(|e| expr_writes(e, calls)),
        Stmt::Print(es) => es.iter().any(|e| expr_writes(e, calls)),
        Stmt::If(c, a, b) => expr_writes(c, calls) || block(a, calls) || block(b, calls),
        Stmt::While(c, b) => expr_writes(c, calls) || block(b, calls),
        Stmt::ForRange {
            start,
            end,
            step,
            body,
            ..
        } => {
            let mut es = vec![start, end];
            es.extend(step.as_ref());
            exprs(&es, calls) || block(body, calls)
        }
        Stmt::Break | Stmt::Continue => false,
    }
}

/// Whether evaluating `e` writes to an array by itself (a host call with an array
/// argument); collects the functions it calls.
fn expr_writes(e: &Expr, calls: &mut Vec<FuncId>) -> bool {
    let all = |es: &[Expr], calls: &mut Vec<FuncId>| es.iter().any(|e| expr_writes(e, calls));
    match &e.kind {
        ExprKind::Int(_)
        | ExprKind::Float(_)
        | ExprKind::Bool(_)
        | ExprKind::Str(_)
        | ExprKind::Local(_) => false,
        ExprKind::Unary(_, x) | ExprKind::Cast(_, x) | ExprKind::Field(x, _) => {
            expr_writes(x, calls)
        }
        ExprKind::Binary(_, a, b) | ExprKind::And(a, b) | ExprKind::Or(a, b) => {
            expr_writes(a, calls) || expr_writes(b, calls)
        }
        ExprKind::Call(f, args) => {
            calls.push(*f);
            all(args, calls)
        }
        ExprKind::Builtin(Builtin::Host(_), args) => {
            args.iter().any(|a| holds_array(&a.ty)) || all(args, calls)
        }
        ExprKind::Builtin(_, args) | ExprKind::Tuple(args) => all(args, calls),
        ExprKind::Index(a, idx) => expr_writes(a, calls) || all(idx, calls),
        ExprKind::Slice(a, idx) => {
            expr_writes(a, calls)
                || idx.iter().any(|i| match i {
                    SliceIdx::At(x) => expr_writes(x, calls),
                    SliceIdx::Range(lo, hi) => [lo, hi]
                        .into_iter()
                        .flatten()
                        .any(|x| expr_writes(x, calls)),
                })
        }
    }
}

/// Whether a value of type `t` is or contains an array.
fn holds_array(t: &Type) -> bool {
    match t {
        Type::Array(..) => true,
        Type::Tuple(ts) => ts.iter().any(holds_array),
        Type::Prim(_) | Type::Unit | Type::Str(_) | Type::Unknown => false,
    }
}

// Tests: `types/effects_tests.rs` (they check programs, and `ir` may not import `types`).
