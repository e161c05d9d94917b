//! Operator and built-in vocabularies shared by the type checker, the typed IR, the
//! interpreter and the runtime. Kept free of any AST or bytecode detail so every tier
//! names an operation the same way.

/// Scalar element/value kinds. Every scalar lives in 64 bits: `f64` as its IEEE bits,
/// `i64` as two's complement, `bool` as 0 or 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Prim {
    I64,
    F64,
    Bool,
}

impl Prim {
    pub fn name(self) -> &'static str {
        match self {
            Prim::I64 => "i64",
            Prim::F64 => "f64",
            Prim::Bool => "bool",
        }
    }
}

/// Binary operators. Arithmetic ones apply to scalars and elementwise to arrays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    /// True division: always `f64`.
    Div,
    /// Floor division (Python `//`).
    FloorDiv,
    /// Floor modulo (Python `%`, sign of the divisor).
    Mod,
    Pow,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

impl BinOp {
    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge | BinOp::Eq | BinOp::Ne
        )
    }
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::FloorDiv => "//",
            BinOp::Mod => "%",
            BinOp::Pow => "**",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
        }
    }
}

/// One-argument math functions, on scalars and elementwise on arrays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MathFn {
    Abs,
    Sqrt,
    Exp,
    Log,
    Log10,
    Sin,
    Cos,
    Tan,
    Asin,
    Acos,
    Atan,
    Sinh,
    Cosh,
    Tanh,
    Floor,
    Ceil,
    Round,
}

impl MathFn {
    pub const ALL: [MathFn; 17] = [
        MathFn::Abs,
        MathFn::Sqrt,
        MathFn::Exp,
        MathFn::Log,
        MathFn::Log10,
        MathFn::Sin,
        MathFn::Cos,
        MathFn::Tan,
        MathFn::Asin,
        MathFn::Acos,
        MathFn::Atan,
        MathFn::Sinh,
        MathFn::Cosh,
        MathFn::Tanh,
        MathFn::Floor,
        MathFn::Ceil,
        MathFn::Round,
    ];
    pub fn name(self) -> &'static str {
        match self {
            MathFn::Abs => "abs",
            MathFn::Sqrt => "sqrt",
            MathFn::Exp => "exp",
            MathFn::Log => "log",
            MathFn::Log10 => "log10",
            MathFn::Sin => "sin",
            MathFn::Cos => "cos",
            MathFn::Tan => "tan",
            MathFn::Asin => "asin",
            MathFn::Acos => "acos",
            MathFn::Atan => "atan",
            MathFn::Sinh => "sinh",
            MathFn::Cosh => "cosh",
            MathFn::Tanh => "tanh",
            MathFn::Floor => "floor",
            MathFn::Ceil => "ceil",
            MathFn::Round => "round",
        }
    }
    /// `abs` keeps `i64`; every other function turns `i64` into `f64`.
    pub fn keeps_int(self) -> bool {
        matches!(self, MathFn::Abs)
    }
}

/// Two-argument math functions (scalar or elementwise).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MathFn2 {
    Atan2,
    Pow,
    Minimum,
    Maximum,
}

impl MathFn2 {
    /// Every two-operand function, in a fixed order (native code passes the index).
    pub const ALL: [MathFn2; 4] = [
        MathFn2::Atan2,
        MathFn2::Pow,
        MathFn2::Minimum,
        MathFn2::Maximum,
    ];

    pub fn name(self) -> &'static str {
        match self {
            MathFn2::Atan2 => "atan2",
            MathFn2::Pow => "pow",
            MathFn2::Minimum => "minimum",
            MathFn2::Maximum => "maximum",
        }
    }
    /// `minimum`/`maximum` keep `i64` when both operands are `i64`.
    pub fn keeps_int(self) -> bool {
        matches!(self, MathFn2::Minimum | MathFn2::Maximum)
    }
}
