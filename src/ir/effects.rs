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

use super::{Builtin, ExprKind, FuncId, Program, Stmt, Type};

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
        let mut stores = false;
        let mut host_writes = false;
        super::walk(
            &func.body,
            &mut |s| stores |= matches!(
                s,
                Stmt::Store { .. } | Stmt::StoreSlice { .. } | Stmt::StoreTake { .. }
            ),
            &mut |e| match &e.kind {
                ExprKind::Call(c, _) => calls.push(*c),
                // A host function given an array may write it.
                ExprKind::Builtin(Builtin::Host(_), args) => {
                    host_writes |= args.iter().any(|a| holds_array(&a.ty))
                }
                _ => {}
            },
        );
        if stores || host_writes {
            return true;
        }
        todo.extend(calls.into_iter().filter(|&c| {
            // An unknown callee is checked (and answered `true`) when popped.
            seen.get(c as usize).is_none_or(|s| !s)
        }));
    }
    false
}

/// Whether a value of type `t` is or contains an array.
fn holds_array(t: &Type) -> bool {
    match t {
        Type::Array(..) | Type::Str(None) => true,
        Type::Tuple(ts) => ts.iter().any(holds_array),
        Type::Prim(_) | Type::Unit | Type::Str(Some(_)) | Type::Unknown => false,
    }
}

// Tests: `types/effects_tests.rs` (they check programs, and `ir` may not import `types`).
