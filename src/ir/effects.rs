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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::HostSig;
    use crate::loader::load_source;
    use crate::vocab::Prim;

    fn program(src: &str, hosts: Vec<HostSig>) -> Program {
        let mut loaded = load_source("t.nk", src.to_string(), None).expect("loads");
        loaded.hosts = hosts;
        crate::types::check_program(&loaded).expect("checks")
    }

    fn id(p: &Program, name: &str) -> FuncId {
        p.funcs
            .iter()
            .position(|f| f.name == name)
            .unwrap_or_else(|| panic!("{name} in {:?}", p.funcs.iter().map(|f| &f.name)))
            as FuncId
    }

    const SRC: &str = "\
fn total(xs) { return sum(xs) + mean(xs); }
fn view(xs) { let v = xs[1:]; return v[0] + len(xs); }
fn store(xs) { xs[0] = 1.0; }
fn store_slice(xs) { xs[1:] = 0.0; }
fn aug(xs) { xs += 1.0; }
fn rebind(xs) { xs = xs + 1.0; return xs; }
fn calls_store(xs) { store(xs); }
fn deep(xs) { return indirect(xs); }
fn indirect(xs) { if len(xs) > 0 { calls_store(xs); } return 0.0; }
fn rec_read(xs, n) { if n == 0 { return xs[0]; } return rec_read(xs, n - 1); }
fn rec_write(xs, n) { if n == 0 { xs[0] = 2.0; return 0.0; } return rec_write(xs, n - 1); }
fn own(n) { let a = zeros(n); a[0] = 1.0; return a; }
fn sorted(xs) { return sort(xs)[0] + copy(xs)[0] + transpose(xs)[0]; }
fn host_scalar(x) { return h_scalar(x); }
fn host_array(xs) { return h_array(xs); }
fn in_loop(xs) { let s = 0.0; for i in 0..len(xs) { while s < 0.0 { xs[i] = 0.0; } s += xs[i]; } return s; }
let a = ones(3);
print(total(a), view(a), rebind(a), rec_read(a, 3), sorted(a), own(2), host_scalar(1.0), host_array(a), in_loop(a));
store(a); store_slice(a); aug(a); calls_store(a); print(deep(a), rec_write(a, 2));
";

    #[test]
    fn stores_anywhere_in_the_call_graph_are_found() {
        let hosts = vec![
            HostSig {
                name: "h_scalar".into(),
                params: vec![Type::F64],
                ret: Type::F64,
            },
            HostSig {
                name: "h_array".into(),
                params: vec![Type::Array(Prim::F64, 1)],
                ret: Type::F64,
            },
        ];
        let p = program(SRC, hosts);
        let f = |n: &str| writes_arrays(&p, id(&p, n));
        for pure in [
            "total(f64[])",
            "view(f64[])",
            "rebind(f64[])",
            "rec_read(f64[], i64)",
            "sorted(f64[])",
            "host_scalar(f64)",
        ] {
            assert!(!f(pure), "{pure} writes no array");
        }
        for writes in [
            "store(f64[])",
            "store_slice(f64[])",
            "aug(f64[])",
            "calls_store(f64[])",
            "deep(f64[])",
            "indirect(f64[])",
            "rec_write(f64[], i64)",
            "own(i64)",
            "host_array(f64[])",
            "in_loop(f64[])",
        ] {
            assert!(f(writes), "{writes} writes an array");
        }
        // The script calls writers; an id outside the program is answered safely.
        assert!(writes_arrays(&p, p.script));
        assert!(writes_arrays(&p, p.funcs.len() as FuncId));
    }
}
