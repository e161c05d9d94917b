//! The nk abstract syntax tree. Plain data with spans; knows nothing about types.

use crate::source::Span;
use crate::vocab::BinOp;
use smol_str::SmolStr;

#[derive(Debug, Clone, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Module {
    pub items: Vec<Item>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// `import a.b.c;` — the last segment names the module in this file.
    Import {
        path: Vec<Ident>,
        span: Span,
    },
    // Boxed: a script's top-level statements are most of a large program, and an unboxed
    // item is as large as its largest kind (a statement, 240 bytes); boxed, the checker
    // can also take the script's statements out and free each once lowered.
    Const(Box<ConstDef>),
    Fn(Box<FnDef>),
    Stmt(Box<Stmt>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ConstDef {
    pub name: Ident,
    pub ty: Option<TypeExpr>,
    pub value: Expr,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FnDef {
    pub name: Ident,
    pub params: Vec<Param>,
    pub ret: Option<TypeExpr>,
    pub body: Block,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    pub name: Ident,
    pub ty: Option<TypeExpr>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TypeExpr {
    /// `f64`, `i64`, `bool`, or with `dims` > 0 an array type `f64[,]`.
    Named {
        name: Ident,
        dims: usize,
    },
    Tuple(Vec<TypeExpr>, Span),
}

impl TypeExpr {
    pub fn span(&self) -> Span {
        match self {
            TypeExpr::Named { name, .. } => name.span,
            TypeExpr::Tuple(_, s) => *s,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    pub stmts: Vec<Stmt>,
    pub span: Span,
}

/// A script's top-level statements taken out of its module, in order: boxed, so that each
/// can be freed once checked rather than all with the vector.
#[allow(clippy::vec_box)]
pub type ScriptBody = Vec<Box<Stmt>>;

#[derive(Debug, Clone, PartialEq)]
pub struct Stmt {
    pub kind: StmtKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Pattern {
    Name(Ident),
    Tuple(Vec<Pattern>, Span),
}

#[derive(Debug, Clone, PartialEq)]
pub enum StmtKind {
    Let {
        pat: Pattern,
        ty: Option<Box<TypeExpr>>,
        value: Expr,
    },
    /// `target = value` or, with `op`, `target op= value`.
    Assign {
        target: Expr,
        op: Option<BinOp>,
        value: Expr,
    },
    Expr(Expr),
    If {
        cond: Expr,
        then: Block,
        els: Option<Box<Block>>,
    },
    While {
        cond: Expr,
        body: Block,
    },
    /// `for var in a..b` (iter = Range) or `for var in expr` (range(...) call or an array).
    For {
        var: Ident,
        iter: Box<ForIter>,
        body: Block,
    },
    Return(Option<Expr>),
    Break,
    Continue,
    Block(Block),
    /// Placeholder left by parser error recovery; never reaches the type checker.
    Error,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ForIter {
    Range(Expr, Expr),
    Expr(Expr),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum IndexArg {
    At(Expr),
    /// `lo:hi` or `lo:hi:step`, any part absent.
    Slice(Option<Expr>, Option<Expr>, Option<Expr>),
    /// `None`: a new axis of length 1.
    NewAxis(Span),
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Int(i64),
    Float(f64),
    Bool(bool),
    Str(String),
    /// Inline (no allocation) up to 23 bytes: a script is mostly names, and a million
    /// small `String`s cost 32 bytes of heap each.
    Name(SmolStr),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Neg(Box<Expr>),
    /// `~a`: bitwise not on integers, logical on `bool`.
    BitNot(Box<Expr>),
    /// `a @ b`: `dot(a, b)`.
    MatMul(Box<Expr>, Box<Expr>),
    /// `[1.0, 2.0]`, `[[1, 2], [3, 4]]`: an array literal (rows are nested literals).
    ArrayLit(Vec<Expr>),
    Call(Box<Expr>, Vec<Expr>),
    Index(Box<Expr>, Vec<IndexArg>),
    /// `module.member`
    Member(Box<Expr>, Box<Ident>),
    /// `t.0`
    TupleField(Box<Expr>, usize),
    Tuple(Vec<Expr>),
    /// `None`: meaningful only as an index (see [`IndexArg::NewAxis`]).
    NoneLit,
    /// `name=value`: a keyword argument (the parser makes it only among a call's arguments).
    Keyword(Box<Ident>, Box<Expr>),
}

// A large script is mostly statements and expressions: the rarer and larger parts are
// boxed so that each is small (a statement was 240 bytes, an expression 72).
const _: () = assert!(std::mem::size_of::<Stmt>() <= 136);
const _: () = assert!(std::mem::size_of::<Expr>() <= 56);
