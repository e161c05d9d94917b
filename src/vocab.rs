//! Operator and built-in vocabularies shared by the type checker, the typed IR, the
//! interpreter and the runtime. Kept free of any AST or bytecode detail so every tier
//! names an operation the same way.

/// Scalar element/value kinds (nk's element types).
///
/// In registers every scalar lives in 64 bits in its *register form*: the integer kinds
/// (`bool`, `u8`, `i32`, `i64`) as the `i64` value they hold (`bool` 0 or 1, `u8`
/// zero-extended, `i32` sign-extended), the float kinds (`f32`, `f64`) as the IEEE bits of
/// the `f64` value they hold (an `f32` widened exactly). So a tier computes on two classes
/// only, integer and float, and rounds a narrow result back with one conversion. In arrays
/// each element takes its natural size ([`Prim::size`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)] // native code reads an array's `elem` byte (`runtime::array::native_layout`)
pub enum Prim {
    I64,
    F64,
    Bool,
    U8,
    I32,
    F32,
}

impl Prim {
    /// Every kind, in the order of their encoding tags.
    pub const ALL: [Prim; 6] = [Prim::I64, Prim::F64, Prim::Bool, Prim::U8, Prim::I32, Prim::F32];

    pub fn name(self) -> &'static str {
        match self {
            Prim::I64 => "i64",
            Prim::F64 => "f64",
            Prim::Bool => "bool",
            Prim::U8 => "u8",
            Prim::I32 => "i32",
            Prim::F32 => "f32",
        }
    }

    /// The kind a type name in nk source names (`f32`, `i64`, ...).
    pub fn from_name(name: &str) -> Option<Prim> {
        Prim::ALL.into_iter().find(|p| p.name() == name)
    }

    /// Bytes of one array element.
    pub const fn size(self) -> usize {
        match self {
            Prim::Bool | Prim::U8 => 1,
            Prim::I32 | Prim::F32 => 4,
            Prim::I64 | Prim::F64 => 8,
        }
    }

    /// `f32` or `f64`: the register form is an `f64`.
    pub const fn is_float(self) -> bool {
        matches!(self, Prim::F32 | Prim::F64)
    }

    /// A number type that is not `bool`: `u8`, `i32`, `i64`, `f32`, `f64`.
    pub const fn is_numeric(self) -> bool {
        !matches!(self, Prim::Bool)
    }

    /// An integer type (`u8`, `i32`, `i64`; not `bool`).
    pub const fn is_int(self) -> bool {
        matches!(self, Prim::U8 | Prim::I32 | Prim::I64)
    }

    /// NumPy 2's promotion of two *typed* operands (NEP 50; weak literals are resolved by
    /// the checker before this): `bool < u8 < i32 < i64` among integers, `f32 < f64`;
    /// `u8` (or `bool`) with `f32` stays `f32`, `i32`/`i64` with `f32` give `f64`.
    pub fn promote(a: Prim, b: Prim) -> Prim {
        use Prim::*;
        if a == b {
            return a;
        }
        let rank = |p: Prim| match p {
            Bool => 0,
            U8 => 1,
            I32 => 2,
            I64 => 3,
            F32 => 4,
            F64 => 5,
        };
        let (lo, hi) = if rank(a) <= rank(b) { (a, b) } else { (b, a) };
        match (lo, hi) {
            (I32 | I64, F32) => F64,
            _ => hi,
        }
    }

    /// Whether a value of kind `self` converts implicitly where a `to` is wanted (an
    /// argument, an assignment to a typed variable, a return): when promotion loses nothing
    /// (`u8` to `i32`, `f32` to `f64`, `i32` to `f32`... as [`Prim::promote`] says), or an
    /// integer into a float (nk's version-1 widening of `i64` to `f64`).
    pub fn widens_to(self, to: Prim) -> bool {
        self == to
            || (self != Prim::Bool && Prim::promote(self, to) == to)
            || (self.is_int() && to.is_float())
    }

    /// The element type of `a op b` for typed operands of kinds `a` and `b`: `bool` for a
    /// comparison; for `/`, `f64` unless the promoted type is `f32`; else the promotion.
    pub fn binop_result(op: BinOp, a: Prim, b: Prim) -> Prim {
        let p = Prim::promote(a, b);
        if op.is_comparison() {
            Prim::Bool
        } else if op == BinOp::Div && p != Prim::F32 {
            Prim::F64
        } else {
            p
        }
    }

    /// The result kind of a float math function (`sqrt`, `exp`, ...) on this kind: `f32`
    /// stays `f32`, everything else gives `f64`.
    pub fn float_result(self) -> Prim {
        if self == Prim::F32 {
            Prim::F32
        } else {
            Prim::F64
        }
    }
}

/// The largest integer exponent a float `**` computes by repeated squaring (as Numba does
/// for a constant integer exponent) rather than by libm's `pow`.
pub const POW_BY_SQUARING_MAX: u32 = 32;

/// The exponent `y` as the integer a float `**` squares by, if it is one in
/// `0..=POW_BY_SQUARING_MAX` (`-0.0` is 0): the one test of `runtime::ops::powf` at run
/// time and of the bytecode's lowering of a literal exponent.
pub fn squaring_exponent(y: f64) -> Option<u32> {
    ((0.0..=POW_BY_SQUARING_MAX as f64).contains(&y) && y == y.trunc()).then_some(y as u32)
}

/// Binary operators. Arithmetic ones apply to scalars and elementwise to arrays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    /// True division: `f64`, or `f32` when both operands are `f32` (or one a `u8`/`bool`).
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
    /// `&`: bitwise on integers, logical on `bool`.
    BitAnd,
    /// `|`
    BitOr,
    /// `^`
    BitXor,
    /// `<<`; a negative count or one of at least the type's width is an error.
    Shl,
    /// `>>`, arithmetic for signed kinds.
    Shr,
}

impl BinOp {
    /// `& | ^ << >>`.
    pub fn is_bitwise(self) -> bool {
        matches!(
            self,
            BinOp::BitAnd | BinOp::BitOr | BinOp::BitXor | BinOp::Shl | BinOp::Shr
        )
    }
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
            BinOp::BitAnd => "&",
            BinOp::BitOr => "|",
            BinOp::BitXor => "^",
            BinOp::Shl => "<<",
            BinOp::Shr => ">>",
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

/// Reductions that take an `axis` (`sum(a, axis=0)`), and the running ones that keep the
/// shape along it (`cumsum`, `cumprod`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reduce {
    Sum,
    Prod,
    Mean,
    Var,
    Std,
    Min,
    Max,
    ArgMin,
    ArgMax,
    Any,
    All,
    CumSum,
    CumProd,
}

impl Reduce {
    pub const ALL: [Reduce; 13] = [
        Reduce::Sum,
        Reduce::Prod,
        Reduce::Mean,
        Reduce::Var,
        Reduce::Std,
        Reduce::Min,
        Reduce::Max,
        Reduce::ArgMin,
        Reduce::ArgMax,
        Reduce::Any,
        Reduce::All,
        Reduce::CumSum,
        Reduce::CumProd,
    ];

    /// The nk name (`min`/`max` are also the two-scalar built-ins).
    pub fn name(self) -> &'static str {
        match self {
            Reduce::Sum => "sum",
            Reduce::Prod => "prod",
            Reduce::Mean => "mean",
            Reduce::Var => "var",
            Reduce::Std => "std",
            Reduce::Min => "min",
            Reduce::Max => "max",
            Reduce::ArgMin => "argmin",
            Reduce::ArgMax => "argmax",
            Reduce::Any => "any",
            Reduce::All => "all",
            Reduce::CumSum => "cumsum",
            Reduce::CumProd => "cumprod",
        }
    }

    pub fn by_name(n: &str) -> Option<Reduce> {
        Reduce::ALL.into_iter().find(|r| r.name() == n)
    }

    /// `cumsum`/`cumprod`: the result keeps the input's shape.
    pub fn keeps_shape(self) -> bool {
        matches!(self, Reduce::CumSum | Reduce::CumProd)
    }

    /// The element type of the result for elements of kind `p` (NumPy's): sums and
    /// products of integers and bool are `i64`, of floats keep the kind; means, variances
    /// and deviations are `f64`, or `f32` for `f32`; `min`/`max` keep the kind; the arg
    /// forms are `i64`; `any`/`all` are `bool`.
    pub fn result(self, p: Prim) -> Prim {
        match self {
            Reduce::Sum | Reduce::Prod | Reduce::CumSum | Reduce::CumProd => {
                if p.is_float() {
                    p
                } else {
                    Prim::I64
                }
            }
            Reduce::Mean | Reduce::Var | Reduce::Std => p.float_result(),
            Reduce::Min | Reduce::Max => p,
            Reduce::ArgMin | Reduce::ArgMax => Prim::I64,
            Reduce::Any | Reduce::All => Prim::Bool,
        }
    }
}
