//! The typed IR: the one representation of a checked program that every tier consumes
//! (the interpreter's bytecode compiler now, the Cranelift tier next).
//!
//! Invariants (established by `types`, relied on by every consumer):
//! - Every expression's `ty` is concrete: no `Type::Unknown` survives a successful check.
//! - Scalar binary operations have operands of one primitive type, except comparisons of
//!   bools and the shift-free integer ops; mixed `i64`/`f64` operands were made explicit
//!   with `Cast`. So a tier never decides a promotion itself.
//! - Every call names a specialization (`FuncId`), which is also its slot in the
//!   indirection table: a tier calls through the slot, never into a callee's body.
//! - The IR knows no AST and no tier.

pub mod accumulate;
pub mod effects;
pub mod hoist;
pub mod print;

use crate::source::Span;
use crate::vocab::{BinOp, MathFn, MathFn2, Prim, Reduce};
use std::fmt;

/// Index of a specialization in `Program::funcs` — and its indirection-table slot.
pub type FuncId = u32;
/// Index of a local variable in `Func::locals`.
pub type LocalId = u32;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[allow(clippy::box_collection)] // thin pointers on purpose: see `Type::Tuple`
pub enum Type {
    Prim(Prim),
    /// Element type and number of dimensions (1..=3).
    Array(Prim, u8),
    /// Boxed (a thin pointer), as a literal string's value: every IR expression holds a
    /// type and few are tuples or strings, so a type is 16 bytes rather than 32.
    Tuple(Box<Vec<Type>>),
    /// The "type" of a call to a function that returns nothing.
    Unit,
    /// A string. `Some`: its value is known when the program is checked (a literal): like
    /// Numba's literal strings, a function taking one is specialized per distinct value,
    /// and it takes no register. `None`: known only when the program runs (`main(path:
    /// str)`, a variable assigned different strings): held as an array of its UTF-8 bytes.
    Str(Option<Box<String>>),
    /// Not yet known (a recursive call still being inferred) or already reported as an
    /// error; operations on it yield `Unknown` silently so one mistake gives one message.
    Unknown,
}

impl Type {
    pub const I64: Type = Type::Prim(Prim::I64);
    pub const F64: Type = Type::Prim(Prim::F64);
    pub const BOOL: Type = Type::Prim(Prim::Bool);

    pub fn tuple(items: Vec<Type>) -> Type {
        Type::Tuple(Box::new(items))
    }
    /// A string known when the program is checked (see [`Type::Str`]).
    pub fn str_lit(value: String) -> Type {
        Type::Str(Some(Box::new(value)))
    }

    pub fn prim(&self) -> Option<Prim> {
        match self {
            Type::Prim(p) => Some(*p),
            _ => None,
        }
    }
    /// A number scalar (`u8`, `i32`, `i64`, `f32`, `f64`; not `bool`).
    pub fn is_numeric(&self) -> bool {
        matches!(self, Type::Prim(p) if p.is_numeric())
    }
    pub fn is_array(&self) -> bool {
        matches!(self, Type::Array(..))
    }
    pub fn is_unknown(&self) -> bool {
        match self {
            Type::Unknown => true,
            Type::Tuple(ts) => ts.iter().any(Type::is_unknown),
            _ => false,
        }
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Prim(p) => write!(f, "{}", p.name()),
            Type::Array(p, n) => {
                write!(
                    f,
                    "{}[{}]",
                    p.name(),
                    ",".repeat((*n as usize).saturating_sub(1))
                )
            }
            Type::Tuple(ts) => {
                write!(f, "(")?;
                for (i, t) in ts.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{t}")?;
                }
                if ts.len() == 1 {
                    write!(f, ",")?;
                }
                write!(f, ")")
            }
            Type::Unit => write!(f, "nothing"),
            Type::Str(_) => write!(f, "str"),
            Type::Unknown => write!(f, "?"),
        }
    }
}

/// A checked program: every reachable specialization, the script body and `main`.
#[derive(Debug, Clone)]
pub struct Program {
    pub funcs: Vec<Func>,
    /// The script's top-level statements, as a function of no arguments.
    pub script: FuncId,
    /// `fn main(...)` of the script, if any, with its parameters' names and types.
    pub main: Option<MainFn>,
}

impl Program {
    /// The program's functions with their names, parameters, results and spans but no
    /// bodies or other locals: all that native code generation reads of a program, cheap
    /// to copy to another thread.
    pub fn signatures(&self) -> Program {
        let funcs = self
            .funcs
            .iter()
            .map(|f| Func {
                name: f.name.clone(),
                params: (0..f.params.len() as LocalId).collect(),
                locals: f
                    .params
                    .iter()
                    .map(|&p| f.locals[p as usize].clone())
                    .collect(),
                ret: f.ret.clone(),
                body: Vec::new(),
                span: f.span,
            })
            .collect();
        Program {
            funcs,
            script: self.script,
            main: self.main.clone(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct MainFn {
    pub func: FuncId,
    /// Each a scalar type or `str` (a run-time string).
    pub params: Vec<(String, Type)>,
}

/// One specialization of one nk function.
#[derive(Debug, Clone)]
pub struct Func {
    /// For messages and call chains: `mean(f64[])`, `stats.mean(f64[])`, `<script>`.
    pub name: String,
    pub params: Vec<LocalId>,
    pub locals: Vec<Local>,
    pub ret: Type,
    pub body: Vec<Stmt>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Local {
    pub name: String,
    pub ty: Type,
}

#[derive(Debug, Clone)]
pub enum Stmt {
    Assign(LocalId, Expr),
    /// `array[index...] = value`, one index per dimension; value has the element type.
    Store {
        array: Box<Expr>,
        index: Vec<Expr>,
        value: Box<Expr>,
        span: Span,
    },
    /// `array[index...] = value` where the target is a view; value is a scalar of the
    /// element type (fill) or an array of the view's shape. Empty `index` = whole array.
    StoreSlice {
        array: Box<Expr>,
        index: Vec<SliceIdx>,
        value: Box<Expr>,
        span: Span,
    },
    /// `array[index] = value` with an index array (see [`ExprKind::Take`]); value is a
    /// scalar of the element type or an array (one element per selected place).
    StoreTake {
        array: Box<Expr>,
        index: Box<Expr>,
        value: Box<Expr>,
        span: Span,
    },
    Expr(Expr),
    If(Box<Expr>, Vec<Stmt>, Vec<Stmt>),
    While(Box<Expr>, Vec<Stmt>),
    /// `for var in start..end` (step 1) or `range(start, end, step)`; `end` and `step`
    /// are evaluated once, before the first iteration; `var` is only read by the body.
    ForRange {
        var: LocalId,
        start: Box<Expr>,
        end: Box<Expr>,
        step: Option<Box<Expr>>,
        body: Vec<Stmt>,
        span: Span,
    },
    /// `for var in prange(start, end)`: a loop whose iterations are independent. Its body
    /// is a specialization of its own (see [`ParLoop`]), so a tier may run it on several
    /// threads, each over a part of the range.
    ParFor(Box<ParLoop>),
    Break,
    Continue,
    Return(Option<Expr>),
    Print(Vec<Expr>),
    /// Stop with `message` as a runtime error when the condition is false.
    Assert(Box<Expr>, String, Span),
}

const _: () = assert!(std::mem::size_of::<Type>() == 16);

// A script body is a vector of statements: the rare large kinds keep their parts boxed so
// that every statement is not as large as a `for` loop (304 bytes before).
const _: () = assert!(std::mem::size_of::<Stmt>() <= 104);

/// A `prange` loop, outlined: `call` is `Call(body, [start, end, captured..., reductions...])`
/// where `body` runs the iterations `start..end` in order, reading the loop's outer
/// variables from its parameters (`captured`, by value: an array is shared) and updating
/// its reduction variables, which it returns (one value, a tuple of them, or nothing). Run
/// over parts of the range, each from the reduction's identity, the parts' results are
/// combined in range order, and the first part starts from the variables' values.
#[derive(Debug, Clone)]
pub struct ParLoop {
    pub call: Expr,
    /// The reduction variables in the body's result order, each with how two partial
    /// results combine: `Sum` (`+=`), `Prod` (`*=`), `Min`, `Max`.
    pub reductions: Vec<(LocalId, Reduce)>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum SliceIdx {
    At(Expr),
    /// `lo:hi:step`, each `i64` or absent (Python's defaults; a step of 0 is a runtime
    /// error).
    Range(Option<Expr>, Option<Expr>, Option<Expr>),
    /// `None`: a new axis of length 1.
    NewAxis,
}

#[derive(Debug, Clone)]
pub struct Expr {
    pub kind: ExprKind,
    pub ty: Type,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnOp {
    Neg,
    /// Logical `not` on `bool`.
    Not,
    /// `~` on an integer kind (bitwise; `~` on `bool` is `Not`).
    BitNot,
}

#[derive(Debug, Clone)]
pub enum ExprKind {
    Int(i64),
    Float(f64),
    Bool(bool),
    Str(String),
    Local(LocalId),
    Unary(UnOp, Box<Expr>),
    /// Scalar⊕scalar (operands of one prim, see module invariant), array⊕array,
    /// array⊕scalar or scalar⊕array (elementwise, result a new array).
    Binary(BinOp, Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    /// Scalar conversion (`i64`→`f64` widening, `f64`→`i64` truncation, `bool`→`i64`)
    /// or, on an array, an elementwise conversion to a new array.
    Cast(Prim, Box<Expr>),
    /// A call through the indirection table slot of a specialization.
    Call(FuncId, Vec<Expr>),
    Builtin(Builtin, Vec<Expr>),
    /// Element load: one `i64` index per dimension.
    Index(Box<Expr>, Vec<Expr>),
    /// A view sharing the array's storage.
    Slice(Box<Expr>, Vec<SliceIdx>),
    /// `a[idx]` with an index array, a copy: `idx` a `bool` array of `a`'s shape (a mask:
    /// the selected elements in C order, 1-D) or an integer array on a 1-D `a` (of `idx`'s
    /// shape).
    Take(Box<Expr>, Box<Expr>),
    Tuple(Vec<Expr>),
    Field(Box<Expr>, usize),
}

/// Operations implemented by the runtime (Rust) rather than in `stdlib/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Builtin {
    Math1(MathFn),
    Math2(MathFn2),
    /// `zeros`/`ones`/`empty`/`full` with the result's element type; the shape argument is
    /// one `i64` or a tuple of them.
    Zeros(Prim),
    Ones(Prim),
    Full,
    Arange(Prim),
    Copy,
    Reshape,
    Transpose,
    Ravel,
    Sort,
    Len,
    Shape,
    Size,
    Ndim,
    MinScalar,
    MaxScalar,
    IsNan,
    IsInf,
    Seed,
    Rand,
    Randn,
    Random,
    /// An array literal of this element type: `(shape tuple, element, element, ...)`, the
    /// elements in C order, each already of the element type.
    ArrayLit(Prim),
    /// `load_npy(path, T, ndim)`: `(path as u8[])`.
    LoadNpy(Prim, u8),
    /// `save_npy(path, a)`: `(path as u8[], array)`.
    SaveNpy,
    /// `load_csv(path, skip=k)`: `(path as u8[], skip)`.
    LoadCsv,
    /// `save_csv(path, a)`: `(path as u8[], array)`.
    SaveCsv,
    /// `concatenate(arrays, axis)` (`false`) or `stack(arrays, axis)` (`true`), elements
    /// converted to the result's element type: `(tuple of arrays, axis)`.
    Join(Prim, bool),
    /// `where(c, a, b)` with the result's element type (scalars, or arrays broadcast
    /// together).
    Where(Prim),
    /// A reduction along an axis: `(array, axis)`; the array of the remaining axes, or a
    /// scalar for a 1-D array (the running ones keep the shape).
    ReduceAxis(Reduce),
    /// `dot(a, b)` / `a @ b` of two `f64` (or two `f32`) arrays of 1 or 2 dimensions,
    /// through the runtime's GEMM (`Array::dot`): a scalar for two vectors, else an array.
    /// Integer dots are the prelude's `__dotNN`.
    Dot,
    /// A reduction of a whole array to a scalar of `r.result(elem)` (`sum(a)`, `min(a)`,
    /// `mean(a)`, ...): `(array)`. The prelude's `sum`, `amin`, ... call it (as
    /// `__reduce(a, "sum")`).
    ReduceAll(Reduce),
    /// A function of the embedding program (index into [`crate::loader::Loaded::hosts`]),
    /// registered with `Engine::register_fn`; the interpreter calls it.
    Host(u32),
}

/// The nk signature of a host function: what the type checker sees of it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HostSig {
    pub name: String,
    pub params: Vec<Type>,
    pub ret: Type,
}

impl Builtin {
    pub fn name(self) -> &'static str {
        match self {
            Builtin::Math1(f) => f.name(),
            Builtin::Math2(f) => f.name(),
            Builtin::Zeros(_) => "zeros",
            Builtin::Ones(_) => "ones",
            Builtin::Full => "full",
            Builtin::Arange(_) => "arange",
            Builtin::Copy => "copy",
            Builtin::Reshape => "reshape",
            Builtin::Transpose => "transpose",
            Builtin::Ravel => "ravel",
            Builtin::Sort => "sort",
            Builtin::Len => "len",
            Builtin::Shape => "shape",
            Builtin::Size => "size",
            Builtin::Ndim => "ndim",
            Builtin::MinScalar => "min",
            Builtin::MaxScalar => "max",
            Builtin::IsNan => "isnan",
            Builtin::IsInf => "isinf",
            Builtin::Seed => "seed",
            Builtin::Rand => "rand",
            Builtin::Randn => "randn",
            Builtin::Random => "random",
            Builtin::ReduceAxis(r) => r.name(),
            Builtin::Dot => "dot",
            Builtin::ReduceAll(r) => r.name(),
            Builtin::Where(_) => "where",
            Builtin::Join(_, false) => "concatenate",
            Builtin::Join(_, true) => "stack",
            Builtin::ArrayLit(_) => "array literal",
            Builtin::LoadNpy(..) => "load_npy",
            Builtin::SaveNpy => "save_npy",
            Builtin::LoadCsv => "load_csv",
            Builtin::SaveCsv => "save_csv",
            Builtin::Host(_) => "host function",
        }
    }
}

impl Expr {
    /// `e` converted to element type `p` (a scalar, or every element of an array); an
    /// integer literal becomes a float literal rather than a conversion.
    pub fn cast(p: Prim, e: Expr) -> Expr {
        let ty = match &e.ty {
            Type::Array(_, n) => Type::Array(p, *n),
            _ => Type::Prim(p),
        };
        if let (Prim::F64, ExprKind::Int(i)) = (p, &e.kind) {
            return Expr {
                kind: ExprKind::Float(*i as f64),
                ty,
                span: e.span,
            };
        }
        let span = e.span;
        Expr {
            kind: ExprKind::Cast(p, Box::new(e)),
            ty,
            span,
        }
    }
}

impl Func {
    /// Calls `f` on every expression of the body, outer before inner.
    pub fn visit_exprs(&self, f: &mut impl FnMut(&Expr)) {
        walk(&self.body, &mut |_| {}, f);
    }

    /// The specializations this one calls (each once, in order of first call).
    pub fn callees(&self) -> Vec<FuncId> {
        let mut out = Vec::new();
        self.visit_exprs(&mut |e| {
            if let ExprKind::Call(id, _) = e.kind {
                if !out.contains(&id) {
                    out.push(id);
                }
            }
        });
        out
    }
}

/// The one walk over IR: calls `on_stmt` on every statement (nested ones included, outer
/// first) and `on_expr` on every expression and sub-expression (outer before inner).
pub fn walk(stmts: &[Stmt], on_stmt: &mut impl FnMut(&Stmt), on_expr: &mut impl FnMut(&Expr)) {
    for s in stmts {
        on_stmt(s);
        let mut e = |x: &Expr| visit_expr(x, on_expr);
        match s {
            Stmt::Assign(_, x) | Stmt::Expr(x) => e(x),
            Stmt::Assert(x, _, _) => e(x),
            Stmt::Store {
                array,
                index,
                value,
                ..
            } => {
                e(array);
                index.iter().for_each(&mut e);
                e(value);
            }
            Stmt::StoreSlice {
                array,
                index,
                value,
                ..
            } => {
                e(array);
                visit_slice(index, on_expr);
                visit_expr(value, on_expr);
            }
            Stmt::StoreTake {
                array,
                index,
                value,
                ..
            } => {
                e(array);
                e(index);
                e(value);
            }
            Stmt::If(c, a, b) => {
                e(c);
                walk(a, on_stmt, on_expr);
                walk(b, on_stmt, on_expr);
            }
            Stmt::While(c, body) => {
                e(c);
                walk(body, on_stmt, on_expr);
            }
            Stmt::ForRange {
                start,
                end,
                step,
                body,
                ..
            } => {
                e(start);
                e(end);
                step.iter().for_each(|x| e(x));
                walk(body, on_stmt, on_expr);
            }
            Stmt::ParFor(p) => e(&p.call),
            Stmt::Return(x) => x.iter().for_each(&mut e),
            Stmt::Print(xs) => xs.iter().for_each(&mut e),
            Stmt::Break | Stmt::Continue => {}
        }
    }
}

/// Rewrites every local the statements name: `read` gets each expression that reads one
/// (and may replace it), `write` each assigned or looped-over local.
pub fn rewrite_locals<R: Fn(&mut Expr), W: Fn(&mut LocalId)>(stmts: &mut [Stmt], read: &R, write: &W) {
    fn expr<R: Fn(&mut Expr)>(e: &mut Expr, map: &R) {
        if matches!(e.kind, ExprKind::Local(_)) {
            return map(e);
        }
        match &mut e.kind {
            ExprKind::Local(_) => {}
            ExprKind::Int(_) | ExprKind::Float(_) | ExprKind::Bool(_) | ExprKind::Str(_) => {}
            ExprKind::Unary(_, a) | ExprKind::Cast(_, a) | ExprKind::Field(a, _) => expr(a, map),
            ExprKind::Binary(_, a, b) | ExprKind::And(a, b) | ExprKind::Or(a, b) => {
                expr(a, map);
                expr(b, map);
            }
            ExprKind::Call(_, xs) | ExprKind::Builtin(_, xs) | ExprKind::Tuple(xs) => {
                xs.iter_mut().for_each(|x| expr(x, map))
            }
            ExprKind::Index(a, xs) => {
                expr(a, map);
                xs.iter_mut().for_each(|x| expr(x, map));
            }
            ExprKind::Slice(a, idx) => {
                expr(a, map);
                slice(idx, map);
            }
            ExprKind::Take(a, b) => {
                expr(a, map);
                expr(b, map);
            }
        }
    }
    fn slice<R: Fn(&mut Expr)>(idx: &mut [SliceIdx], map: &R) {
        for i in idx {
            match i {
                SliceIdx::At(e) => expr(e, map),
                SliceIdx::Range(a, b, c) => {
                    for e in [a, b, c].into_iter().flatten() {
                        expr(e, map);
                    }
                }
                SliceIdx::NewAxis => {}
            }
        }
    }
    for s in stmts {
        match s {
            Stmt::Assign(l, x) => {
                write(l);
                expr(x, read);
            }
            Stmt::Expr(x) => expr(x, read),
            Stmt::Assert(x, _, _) => expr(x, read),
            Stmt::Store {
                array,
                index,
                value,
                ..
            } => {
                expr(array, read);
                index.iter_mut().for_each(|x| expr(x, read));
                expr(value, read);
            }
            Stmt::StoreSlice {
                array,
                index,
                value,
                ..
            } => {
                expr(array, read);
                slice(index, read);
                expr(value, read);
            }
            Stmt::StoreTake {
                array,
                index,
                value,
                ..
            } => {
                expr(array, read);
                expr(index, read);
                expr(value, read);
            }
            Stmt::If(c, a, b) => {
                expr(c, read);
                rewrite_locals(a, read, write);
                rewrite_locals(b, read, write);
            }
            Stmt::While(c, body) => {
                expr(c, read);
                rewrite_locals(body, read, write);
            }
            Stmt::ForRange {
                var,
                start,
                end,
                step,
                body,
                ..
            } => {
                write(var);
                expr(start, read);
                expr(end, read);
                if let Some(x) = step {
                    expr(x, read);
                }
                rewrite_locals(body, read, write);
            }
            Stmt::ParFor(p) => {
                expr(&mut p.call, read);
                for (l, _) in &mut p.reductions {
                    write(l);
                }
            }
            Stmt::Return(x) => {
                if let Some(x) = x {
                    expr(x, read);
                }
            }
            Stmt::Print(xs) => xs.iter_mut().for_each(|x| expr(x, read)),
            Stmt::Break | Stmt::Continue => {}
        }
    }
}


/// Renames every local the statements name — assigned, looped over, or read — by `map`
/// (outlining a `prange` body gives it locals of its own).
pub fn rename_locals(stmts: &mut [Stmt], map: &impl Fn(LocalId) -> LocalId) {
    let read = |e: &mut Expr| {
        if let ExprKind::Local(l) = &mut e.kind {
            *l = map(*l);
        }
    };
    rewrite_locals(stmts, &read, &|l: &mut LocalId| *l = map(*l));
}

fn visit_slice(index: &[SliceIdx], f: &mut impl FnMut(&Expr)) {
    for i in index {
        match i {
            SliceIdx::At(e) => visit_expr(e, f),
            SliceIdx::Range(a, b, c) => a
                .iter()
                .chain(b.iter())
                .chain(c.iter())
                .for_each(|e| visit_expr(e, f)),
            SliceIdx::NewAxis => {}
        }
    }
}

fn visit_expr(e: &Expr, f: &mut impl FnMut(&Expr)) {
    f(e);
    match &e.kind {
        ExprKind::Int(_)
        | ExprKind::Float(_)
        | ExprKind::Bool(_)
        | ExprKind::Str(_)
        | ExprKind::Local(_) => {}
        ExprKind::Unary(_, a) | ExprKind::Cast(_, a) | ExprKind::Field(a, _) => visit_expr(a, f),
        ExprKind::Binary(_, a, b) | ExprKind::And(a, b) | ExprKind::Or(a, b) => {
            visit_expr(a, f);
            visit_expr(b, f);
        }
        ExprKind::Call(_, args) | ExprKind::Builtin(_, args) | ExprKind::Tuple(args) => {
            args.iter().for_each(|e| visit_expr(e, f))
        }
        ExprKind::Index(a, idx) => {
            visit_expr(a, f);
            idx.iter().for_each(|e| visit_expr(e, f));
        }
        ExprKind::Slice(a, idx) => {
            visit_expr(a, f);
            visit_slice(idx, f);
        }
        ExprKind::Take(a, idx) => {
            visit_expr(a, f);
            visit_expr(idx, f);
        }
    }
}
