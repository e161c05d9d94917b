//! A view that each iteration of a `for` loop makes first, of an array and at indices the
//! loop does not assign, made once before the loop instead (loop-invariant code motion
//! for the one kind of expression where it pays: a view costs a header, a call's
//! argument a frame's worth of work to remake).
//!
//! ```text
//! for j in a..b { let r = distance(x[i], x[j]); ... }
//! ```
//! becomes
//! ```text
//! <start> = a; <end> = b;
//! if <start> < <end> { <view> = x[i]; for j in <start>..<end> { let r = distance(<view>, x[j]); ... } }
//! ```
//! The loop's statements run as before; what changes is how often `x[i]` is made:
//! - The view is made exactly where the first iteration made it: after `a` and `b` (a
//!   `for` evaluates its bounds once, before its first iteration), before anything else of
//!   that iteration (it is what the iteration evaluates first: the whole value of its
//!   first statement, or that value's call's first argument, the arguments being evaluated
//!   left to right), and not at all when the loop runs no iteration. An index out of
//!   range fails at the same point with the same message (the view keeps its span).
//! - Every later iteration would have made a view of the same elements: the loop assigns
//!   neither `x` nor the indices (locals or constants). Element writes show through a view
//!   whichever one it is, and nothing in nk tells two views of the same elements apart.
//!   (The native tier rewrites a dead view's header in place only when its register holds
//!   the one reference, which a hoisted view, also held by `<view>`, never is.)
//!
//! Both tiers run the rewritten body (the bytecode is lowered from it), so they agree. The
//! cost: the view lives until the function returns or the loop is entered again, and keeps
//! `x`'s elements alive that long (they are alive while the loop runs anyway).
//!
//! Only `for` loops with a step of 1 that the lowering does not unroll into copies of
//! their body (it says which: `unrolled`), and loops without `prange` inside.

use super::accumulate::new_local;
use super::{Expr, ExprKind, Func, LocalId, SliceIdx, Stmt, Type};
use crate::vocab::{BinOp, Prim};

/// Whether the lowering unrolls `for v in start..end { body }` (step 1).
pub type Unrolled<'a> = &'a dyn Fn(&Expr, &Expr, &[Stmt]) -> bool;

/// `func` with the invariant first views of its loops made before the loops, or `None`
/// when it has none.
pub fn rewrite(func: &Func, unrolled: Unrolled<'_>) -> Option<Func> {
    let mut found = false;
    super::walk(&func.body, &mut |s| found |= candidate(s, unrolled), &mut |_| {});
    if !found {
        return None;
    }
    let mut out = func.clone();
    let body = std::mem::take(&mut out.body);
    out.body = block(body, &mut out, unrolled);
    Some(out)
}

fn block(stmts: Vec<Stmt>, func: &mut Func, unrolled: Unrolled<'_>) -> Vec<Stmt> {
    let mut out = Vec::with_capacity(stmts.len());
    for mut s in stmts {
        // Inner loops first: a view moved out of one may be what the loop around it
        // evaluates first.
        let mut inner = |b: &mut Vec<Stmt>| *b = block(std::mem::take(b), func, unrolled);
        match &mut s {
            Stmt::If(_, then, els) => {
                inner(then);
                inner(els);
            }
            Stmt::While(_, body) | Stmt::ForRange { body, .. } => inner(body),
            _ => {}
        }
        if candidate(&s, unrolled) {
            out.extend(hoisted(s, func));
        } else {
            out.push(s);
        }
    }
    out
}

/// The loop `lp` (a candidate) as its bounds, the test that it runs, the view and the
/// loop reading it.
fn hoisted(lp: Stmt, func: &mut Func) -> Vec<Stmt> {
    let Stmt::ForRange {
        var,
        start,
        end,
        step: None,
        mut body,
        span,
    } = lp
    else {
        unreachable!("`candidate` takes `for` loops of step 1 only")
    };
    let path = first_view(&body[0]).expect("`candidate` found a view there").1;
    let (Stmt::Assign(_, value) | Stmt::Expr(value)) = &mut body[0] else {
        unreachable!("`first_view` looks into these only")
    };
    let first = path.iter().fold(value, |e, step| match (&mut e.kind, step) {
        (ExprKind::Call(_, args), Step::FirstArg) => &mut args[0],
        (ExprKind::Binary(_, _, rhs), Step::Right) => &mut **rhs,
        _ => unreachable!("`first_view` took these steps"),
    });
    let view_ty = first.ty.clone();
    let view_at = first.span;
    let int = Type::Prim(Prim::I64);
    let (lo, hi) = (new_local(func, "<start>", int.clone()), new_local(func, "<end>", int.clone()));
    let t = new_local(func, "<view>", view_ty.clone());
    let view = std::mem::replace(first, local(t, view_ty, view_at));
    let runs = Expr {
        kind: ExprKind::Binary(BinOp::Lt, Box::new(local(lo, int.clone(), span)), Box::new(local(hi, int.clone(), span))),
        ty: Type::Prim(Prim::Bool),
        span,
    };
    let lp = Stmt::ForRange {
        var,
        start: Box::new(local(lo, int.clone(), start.span)),
        end: Box::new(local(hi, int, end.span)),
        step: None,
        body,
        span,
    };
    vec![
        Stmt::Assign(lo, *start),
        Stmt::Assign(hi, *end),
        Stmt::If(Box::new(runs), vec![Stmt::Assign(t, view), lp], vec![]),
    ]
}

fn local(id: LocalId, ty: Type, span: crate::source::Span) -> Expr {
    Expr {
        kind: ExprKind::Local(id),
        ty,
        span,
    }
}

/// Whether `s` is a `for` loop whose first view can move before it.
fn candidate(s: &Stmt, unrolled: Unrolled<'_>) -> bool {
    let Stmt::ForRange {
        var,
        start,
        end,
        step: None,
        body,
        ..
    } = s
    else {
        return false;
    };
    if unrolled(start, end, body) {
        return false;
    }
    let Some((view, _)) = body.first().and_then(first_view) else {
        return false;
    };
    let ExprKind::Slice(base, index) = &view.kind else {
        return false;
    };
    let ExprKind::Local(x) = base.kind else {
        return false;
    };
    // What the loop assigns: its counter, every local assigned in it; `prange` inside
    // (whose reductions assign) is not looked into.
    let mut assigned = vec![*var];
    let mut par = false;
    super::walk(
        body,
        &mut |s| match s {
            Stmt::Assign(l, _) => assigned.push(*l),
            Stmt::ForRange { var, .. } => assigned.push(*var),
            Stmt::ParFor(_) => par = true,
            _ => {}
        },
        &mut |_| {},
    );
    let invariant = |e: &Expr| match e.kind {
        ExprKind::Int(_) => true,
        ExprKind::Local(l) => !assigned.contains(&l),
        _ => false,
    };
    let invariant_opt = |e: &Option<Expr>| e.as_ref().is_none_or(invariant);
    let indices = index.iter().all(|ix| match ix {
        SliceIdx::At(e) => invariant(e),
        SliceIdx::Range(lo, hi, st) => invariant_opt(lo) && invariant_opt(hi) && invariant_opt(st),
        SliceIdx::NewAxis => true,
    });
    !par && indices && !assigned.contains(&x)
}

/// A step into an expression, towards what it evaluates first.
enum Step {
    /// A call's first argument (arguments are evaluated in order).
    FirstArg,
    /// A binary operator's right operand, its left one a local or a literal (read
    /// without an op of its own: `e += f(x[i])`).
    Right,
}

/// What statement `s` evaluates first that does anything, if it is a view, and the steps
/// into `s`'s value that reach it (`hoisted` takes the view from there).
fn first_view(s: &Stmt) -> Option<(&Expr, Vec<Step>)> {
    let (Stmt::Assign(_, e) | Stmt::Expr(e)) = s else {
        return None;
    };
    let mut e: &Expr = e;
    let mut path = Vec::new();
    loop {
        match &e.kind {
            ExprKind::Slice(..) => return Some((e, path)),
            ExprKind::Call(_, args) if !args.is_empty() => {
                path.push(Step::FirstArg);
                e = &args[0];
            }
            ExprKind::Binary(_, lhs, rhs)
                if matches!(lhs.kind, ExprKind::Local(_) | ExprKind::Int(_) | ExprKind::Float(_)) =>
            {
                path.push(Step::Right);
                e = rhs;
            }
            _ => return None,
        }
    }
}
