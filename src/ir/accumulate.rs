//! Self-calls in tail position become a loop, with an accumulator for `+` and `*` of
//! `i64` (LLVM's tail-recursion elimination, which Numba gets for free).
//!
//! In a function `f`, `return f(x)` (a tail call) and, when `f` returns `i64`,
//! `return a + f(x)` or `return a * f(x)` (the self-call the right operand, so it is
//! evaluated last) do not need a frame of their own: the function's body runs in a
//! `while true` loop, such a `return` adds (multiplies) `a` into an accumulator, sets the
//! parameters to `x` and starts the body again, and every other `return e` returns
//! `acc + e` (`acc * e`). Wrapping `i64` `+` and `*` are associative and commutative, so
//! the result is the same bits; every expression is evaluated in the same order as
//! before. `fib(n - 1) + fib(n - 2)` makes half as many calls.
//!
//! What changes is what a frame is: a call made this way is not a frame on the stack, so
//! it neither counts toward the depth at which recursion is too deep nor appears in an
//! error's call chain (as Lua's and Scheme's tail calls). Both tiers run the rewritten
//! body (the bytecode is lowered from it), so they agree.
//!
//! Only `return`s outside loops are rewritten (the loop's `continue` must be this one's);
//! others return `acc ⊕ e`.

use super::{Expr, ExprKind, Func, FuncId, Local, LocalId, Stmt, Type};
use crate::vocab::{BinOp, Prim};

/// `func` (the specialization `me`) with its tail self-calls as a loop, or `None` if it
/// has none.
pub fn rewrite(func: &Func, me: FuncId) -> Option<Func> {
    if matches!(func.ret, Type::Unit | Type::Unknown) {
        return None;
    }
    let mut found = Found::default();
    scan(&func.body, me, func.ret == Type::I64, &mut found);
    if !found.tail && found.op.is_none() {
        return None;
    }
    let mut out = func.clone();
    let span = func.span;
    let acc = found.op.map(|op| {
        let acc = new_local(&mut out, "<acc>", Type::I64);
        (acc, op)
    });
    // One temporary per parameter: every argument is evaluated before any parameter is set.
    let temps: Vec<LocalId> = func
        .params
        .iter()
        .map(|&p| {
            let ty = func.locals[p as usize].ty.clone();
            new_local(&mut out, "<arg>", ty)
        })
        .collect();
    let r = Rewriter {
        me,
        acc,
        params: &func.params,
        temps: &temps,
    };
    let body = r.block(std::mem::take(&mut out.body), 0);
    let mut top = Vec::new();
    if let Some((acc, op)) = acc {
        let identity = match op {
            BinOp::Mul => 1,
            _ => 0,
        };
        top.push(Stmt::Assign(acc, int(identity, span)));
    }
    top.push(Stmt::While(
        Box::new(Expr {
            kind: ExprKind::Bool(true),
            ty: Type::BOOL,
            span,
        }),
        body,
    ));
    out.body = top;
    Some(out)
}

#[derive(Default)]
struct Found {
    /// Some `return f(x)`.
    tail: bool,
    /// The operator of the first `return a ⊕ f(x)`, `+` or `*` (`i64` only).
    op: Option<BinOp>,
}

/// Records the tail self-calls among `stmts`' `return`s outside loops.
fn scan(stmts: &[Stmt], me: FuncId, int: bool, found: &mut Found) {
    for s in stmts {
        match s {
            Stmt::Return(Some(e)) => match tail_form(e, me, int) {
                Some(None) => found.tail = true,
                Some(Some(op)) => {
                    found.op.get_or_insert(op);
                }
                None => {}
            },
            Stmt::If(_, a, b) => {
                scan(a, me, int, found);
                scan(b, me, int, found);
            }
            _ => {}
        }
    }
}

/// Whether a returned `e` is a tail self-call of `me`: `Some(None)` for `f(x)`,
/// `Some(Some(op))` for `a + f(x)` / `a * f(x)` when the result accumulates (`int`).
fn tail_form(e: &Expr, me: FuncId, int: bool) -> Option<Option<BinOp>> {
    let is_self_call = |e: &Expr| matches!(&e.kind, ExprKind::Call(f, _) if *f == me);
    match &e.kind {
        ExprKind::Call(..) if is_self_call(e) => Some(None),
        ExprKind::Binary(op @ (BinOp::Add | BinOp::Mul), _, b) if int && is_self_call(b) => {
            Some(Some(*op))
        }
        _ => None,
    }
}

struct Rewriter<'a> {
    me: FuncId,
    /// The accumulator and its operator.
    acc: Option<(LocalId, BinOp)>,
    params: &'a [LocalId],
    temps: &'a [LocalId],
}

impl Rewriter<'_> {
    /// `stmts` with their `return`s rewritten; `depth` counts the loops around them.
    fn block(&self, stmts: Vec<Stmt>, depth: usize) -> Vec<Stmt> {
        let mut out = Vec::with_capacity(stmts.len());
        for s in stmts {
            match s {
                Stmt::Return(Some(e)) => self.ret(e, depth, &mut out),
                mut s => {
                    self.nested(&mut s, depth);
                    out.push(s);
                }
            }
        }
        out
    }

    /// The blocks nested in `s`, rewritten in place.
    fn nested(&self, s: &mut Stmt, depth: usize) {
        match s {
            Stmt::If(_, a, b) => {
                *a = self.block(std::mem::take(a), depth);
                *b = self.block(std::mem::take(b), depth);
            }
            Stmt::While(_, body) | Stmt::ForRange { body, .. } => {
                *body = self.block(std::mem::take(body), depth + 1);
            }
            _ => {}
        }
    }

    /// `return e`: the body again if `e` is a tail self-call this function folds (outside
    /// loops), else `return acc ⊕ e`.
    fn ret(&self, e: Expr, depth: usize, out: &mut Vec<Stmt>) {
        let folded = self.acc.map(|(_, op)| op);
        let again = match tail_form(&e, self.me, folded.is_some()) {
            Some(None) => true,
            Some(op) => op == folded,
            None => false,
        };
        if depth > 0 || !again {
            return out.push(Stmt::Return(Some(self.finish(e))));
        }
        match e.kind {
            ExprKind::Call(_, args) => self.again(args, out),
            ExprKind::Binary(op, a, b) => {
                let (ExprKind::Call(_, args), Some((acc, _))) = (b.kind, self.acc) else {
                    unreachable!("a tail form with an accumulator")
                };
                out.push(Stmt::Assign(acc, self.fold(op, *a)));
                self.again(args, out)
            }
            _ => unreachable!("a tail form"),
        }
    }

    /// The parameters set to `args` (all evaluated first), then the body again.
    fn again(&self, args: Vec<Expr>, out: &mut Vec<Stmt>) {
        let mut sets = Vec::new();
        for ((&p, &t), a) in self.params.iter().zip(self.temps).zip(args) {
            if matches!(a.kind, ExprKind::Local(l) if l == p) {
                continue; // passed on unchanged
            }
            let (span, ty) = (a.span, a.ty.clone());
            out.push(Stmt::Assign(t, a));
            sets.push(Stmt::Assign(
                p,
                Expr {
                    kind: ExprKind::Local(t),
                    ty,
                    span,
                },
            ));
        }
        out.extend(sets);
        out.push(Stmt::Continue);
    }

    /// `acc ⊕ e`: what a `return e` returns.
    fn finish(&self, e: Expr) -> Expr {
        match self.acc {
            Some((_, op)) => self.fold(op, e),
            None => e,
        }
    }

    fn fold(&self, op: BinOp, e: Expr) -> Expr {
        let (acc, _) = self.acc.expect("an accumulator");
        let span = e.span;
        Expr {
            kind: ExprKind::Binary(
                op,
                Box::new(Expr {
                    kind: ExprKind::Local(acc),
                    ty: Type::I64,
                    span,
                }),
                Box::new(e),
            ),
            ty: Type::I64,
            span,
        }
    }
}

pub(super) fn new_local(func: &mut Func, name: &str, ty: Type) -> LocalId {
    func.locals.push(Local {
        name: name.to_string(),
        ty,
    });
    (func.locals.len() - 1) as LocalId
}

fn int(v: i64, span: crate::source::Span) -> Expr {
    Expr {
        kind: ExprKind::Int(v),
        ty: Type::Prim(Prim::I64),
        span,
    }
}

