//! The typed IR as source-like text, for `nvm inspect --emit=ir` (in the spirit of
//! Numba's `inspect_types`): one statement a line, blocks indented by four spaces, and
//! every expression's type written next to it.
//!
//! Notation:
//! - `fn caller(n: i64) -> f64 { ... }`: the specialization, parameters by name.
//! - `let x: T = e` at a local's first assignment (in text order), `x = e` after;
//!   `for i: i64 in a..b` / `for i: i64 in range(a, b, step)` declare the loop variable.
//! - `(e: T)`: the expression `e` has type `T`. Every expression is written so except
//!   literals and local variables, whose types are plain from the literal and the
//!   declaration. The `: T` belongs to the whole parenthesis: `(s + (v[i]: f64): f64)`.
//! - Locals by name; a name declared again (shadowing, a second `for i`) is `i.1`, `i.2`;
//!   the checker's temporaries are `%N` (`N` is the local's index).
//! - `f(i64)#3(x)`: a call through slot 3, the specialization `f(i64)`. Built-ins are
//!   plain `zeros(n)`; a host function is `host[K](...)` (`K` indexes the registered
//!   host functions). `f64(e)` is a conversion; `not`, `and`, `or` as in nk.
//! - `a[i, lo:hi, :] = v` stores into a view; `a[...] = v` stores into all of `a`.
//! - `assert(c, "message")` shows the message exactly as the error will.
//!
//! Invariant: reads the IR only; the matches over `Stmt`, `ExprKind` and `SliceIdx` are
//! exhaustive, so a new variant does not compile until it has a notation here.

use super::{Expr, ExprKind, Func, FuncId, LocalId, Program, SliceIdx, Stmt, UnOp};
use std::fmt::Write;

/// The text of specialization `id` of `prog`, ending with a newline.
pub fn func(prog: &Program, id: FuncId) -> String {
    let f = &prog.funcs[id as usize];
    let mut p = Printer {
        prog,
        f,
        names: local_names(f),
        declared: vec![false; f.locals.len()],
        out: String::new(),
    };
    let base = f.name.split('(').next().unwrap_or(&f.name);
    let params: Vec<String> = f
        .params
        .iter()
        .map(|&l| {
            p.declared[l as usize] = true;
            format!("{}: {}", p.name(l), f.locals[l as usize].ty)
        })
        .collect();
    let _ = writeln!(p.out, "fn {base}({}) -> {} {{", params.join(", "), f.ret);
    p.block(&f.body, 1);
    p.out.push_str("}\n");
    p.out
}

/// A name for every local: its own, `name.K` for the K-th other local of that name,
/// `%N` for a temporary.
fn local_names(f: &Func) -> Vec<String> {
    let mut seen = std::collections::HashMap::<&str, usize>::new();
    f.locals
        .iter()
        .enumerate()
        .map(|(i, l)| {
            if l.name.is_empty() {
                return format!("%{i}");
            }
            let k = seen.entry(&l.name).or_insert(0);
            *k += 1;
            match *k {
                1 => l.name.clone(),
                k => format!("{}.{}", l.name, k - 1),
            }
        })
        .collect()
}

struct Printer<'a> {
    prog: &'a Program,
    f: &'a Func,
    names: Vec<String>,
    /// Locals already declared (parameters, earlier `let`s and loop variables).
    declared: Vec<bool>,
    out: String,
}

impl Printer<'_> {
    fn name(&self, l: LocalId) -> &str {
        &self.names[l as usize]
    }

    fn line(&mut self, depth: usize, text: &str) {
        for _ in 0..depth {
            self.out.push_str("    ");
        }
        self.out.push_str(text);
        self.out.push('\n');
    }

    fn block(&mut self, body: &[Stmt], depth: usize) {
        for s in body {
            self.stmt(s, depth);
        }
    }

    /// `x` if declared already, else `x: T` (and now declared).
    fn declare(&mut self, l: LocalId) -> String {
        let i = l as usize;
        if std::mem::replace(&mut self.declared[i], true) {
            self.name(l).to_string()
        } else {
            format!("{}: {}", self.name(l), self.f.locals[i].ty)
        }
    }

    fn stmt(&mut self, s: &Stmt, depth: usize) {
        match s {
            Stmt::Assign(l, e) => {
                let rhs = self.expr(e);
                let text = if self.declared[*l as usize] {
                    format!("{} = {rhs}", self.name(*l))
                } else {
                    format!("let {} = {rhs}", self.declare(*l))
                };
                self.line(depth, &text);
            }
            Stmt::Store {
                array,
                index,
                value,
                span: _,
            } => {
                let text = format!(
                    "{}[{}] = {}",
                    self.expr(array),
                    self.list(index),
                    self.expr(value)
                );
                self.line(depth, &text);
            }
            Stmt::StoreSlice {
                array,
                index,
                value,
                span: _,
            } => {
                let index = if index.is_empty() {
                    "...".to_string()
                } else {
                    self.slice_index(index)
                };
                let text = format!("{}[{index}] = {}", self.expr(array), self.expr(value));
                self.line(depth, &text);
            }
            Stmt::StoreTake {
                array,
                index,
                value,
                span: _,
            } => {
                let text = format!(
                    "{}[{}] = {}",
                    self.expr(array),
                    self.expr(index),
                    self.expr(value)
                );
                self.line(depth, &text);
            }
            Stmt::Expr(e) => {
                let text = self.expr(e);
                self.line(depth, &text);
            }
            Stmt::If(c, then, els) => {
                let text = format!("if {} {{", self.expr(c));
                self.line(depth, &text);
                self.block(then, depth + 1);
                self.else_part(els, depth);
            }
            Stmt::While(c, body) => {
                let text = format!("while {} {{", self.expr(c));
                self.line(depth, &text);
                self.block(body, depth + 1);
                self.line(depth, "}");
            }
            Stmt::ForRange {
                var,
                start,
                end,
                step,
                body,
                span: _,
            } => {
                let range = match step {
                    None => format!("{}..{}", self.expr(start), self.expr(end)),
                    Some(step) => format!(
                        "range({}, {}, {})",
                        self.expr(start),
                        self.expr(end),
                        self.expr(step)
                    ),
                };
                let text = format!("for {} in {range} {{", self.declare(*var));
                self.line(depth, &text);
                self.block(body, depth + 1);
                self.line(depth, "}");
            }
            Stmt::ParFor(p) => {
                let reds: Vec<String> = p
                    .reductions
                    .iter()
                    .map(|(v, r)| format!("{} {}", r.name(), self.name(*v)))
                    .collect();
                let text = format!("prange {} reducing [{}]", self.expr(&p.call), reds.join(", "));
                self.line(depth, &text);
            }
            Stmt::Break => self.line(depth, "break"),
            Stmt::Continue => self.line(depth, "continue"),
            Stmt::Return(None) => self.line(depth, "return"),
            Stmt::Return(Some(e)) => {
                let text = format!("return {}", self.expr(e));
                self.line(depth, &text);
            }
            Stmt::Print(args) => {
                let text = format!("print({})", self.list(args));
                self.line(depth, &text);
            }
            Stmt::Assert(c, message, _) => {
                let text = format!("assert({}, {message:?})", self.expr(c));
                self.line(depth, &text);
            }
        }
    }

    /// Closes an `if`: `}`, or `} else { ... }`, or `} else if ... {` for a lone `if`.
    fn else_part(&mut self, els: &[Stmt], depth: usize) {
        match els {
            [] => self.line(depth, "}"),
            [Stmt::If(c, then, els)] => {
                let text = format!("}} else if {} {{", self.expr(c));
                self.line(depth, &text);
                self.block(then, depth + 1);
                self.else_part(els, depth);
            }
            _ => {
                self.line(depth, "} else {");
                self.block(els, depth + 1);
                self.line(depth, "}");
            }
        }
    }

    fn list(&self, es: &[Expr]) -> String {
        es.iter()
            .map(|e| self.expr(e))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn slice_index(&self, index: &[SliceIdx]) -> String {
        let opt = |e: &Option<Expr>| e.as_ref().map_or(String::new(), |e| self.expr(e));
        index
            .iter()
            .map(|ix| match ix {
                SliceIdx::At(e) => self.expr(e),
                SliceIdx::Range(lo, hi, None) => format!("{}:{}", opt(lo), opt(hi)),
                SliceIdx::Range(lo, hi, step) => {
                    format!("{}:{}:{}", opt(lo), opt(hi), opt(step))
                }
                SliceIdx::NewAxis => "None".to_string(),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// `e` annotated: literals and locals bare, anything else `(e: T)`.
    fn expr(&self, e: &Expr) -> String {
        let text = match &e.kind {
            ExprKind::Int(v) => return v.to_string(),
            ExprKind::Float(v) => return format!("{v:?}"),
            ExprKind::Bool(b) => return b.to_string(),
            ExprKind::Str(s) => return format!("{s:?}"),
            ExprKind::Local(l) => return self.name(*l).to_string(),
            ExprKind::Unary(UnOp::Neg, a) => format!("-{}", self.expr(a)),
            ExprKind::Unary(UnOp::Not, a) => format!("not {}", self.expr(a)),
            ExprKind::Unary(UnOp::BitNot, a) => format!("~{}", self.expr(a)),
            ExprKind::Binary(op, a, b) => {
                format!("{} {} {}", self.expr(a), op.symbol(), self.expr(b))
            }
            ExprKind::And(a, b) => format!("{} and {}", self.expr(a), self.expr(b)),
            ExprKind::Or(a, b) => format!("{} or {}", self.expr(a), self.expr(b)),
            ExprKind::Cast(p, a) => format!("{}({})", p.name(), self.expr(a)),
            ExprKind::Call(id, args) => {
                let callee = &self.prog.funcs[*id as usize].name;
                format!("{callee}#{id}({})", self.list(args))
            }
            ExprKind::Builtin(b, args) => match b {
                super::Builtin::Host(k) => format!("host[{k}]({})", self.list(args)),
                b => format!("{}({})", b.name(), self.list(args)),
            },
            ExprKind::Index(a, index) => format!("{}[{}]", self.expr(a), self.list(index)),
            ExprKind::Slice(a, index) => {
                format!("{}[{}]", self.expr(a), self.slice_index(index))
            }
            ExprKind::Take(a, index) => format!("{}[{}]", self.expr(a), self.expr(index)),
            ExprKind::Tuple(es) => {
                let comma = if es.len() == 1 { "," } else { "" };
                format!("({}{comma})", self.list(es))
            }
            ExprKind::Field(a, k) => format!("{}.{k}", self.expr(a)),
        };
        format!("({text}: {})", e.ty)
    }
}
