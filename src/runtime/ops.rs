//! Scalar semantics of nk: integer and float arithmetic, math functions, comparisons.
//!
//! Invariant: this file is the single definition of what an operator does to two scalars.
//! The interpreter calls these functions for scalar operations and the elementwise array
//! kernels in `array/kernels.rs` call the very same functions, so the two cannot disagree.
//!
//! Rules (the language contract, NumPy/Python semantics):
//! - `i64` `+ - *` wrap (two's complement); `//` and `%` floor (the remainder has the sign of
//!   the divisor); `**` needs a non-negative exponent and wraps; `//` or `%` by zero is an error.
//! - `/` is true division and always gives `f64`; mixed `i64`/`f64` operands promote to `f64`.
//! - `f64` follows IEEE 754; `//` and `%` follow Python (`1.0 // 0.1 == 9.0`,
//!   `-7.5 % 2.0 == 0.5`), and by zero they follow NumPy (`x // 0.0` is `x / 0.0`,
//!   `x % 0.0` is `nan`).
//! - Comparisons give `bool`. `bool` operands are treated as the integers 0 and 1 (the type
//!   checker rejects bool arithmetic before it gets here).

use super::error::RtError;
use crate::vocab::{BinOp, MathFn, MathFn2, Prim};

/// A scalar value with its kind. In registers and arrays scalars are untyped 64-bit words;
/// this enum is for the places that need the kind at run time (formatting, built-ins).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Scalar {
    I64(i64),
    F64(f64),
    Bool(bool),
}

impl Scalar {
    /// The kind of this scalar.
    pub fn prim(self) -> Prim {
        match self {
            Scalar::I64(_) => Prim::I64,
            Scalar::F64(_) => Prim::F64,
            Scalar::Bool(_) => Prim::Bool,
        }
    }

    /// The 64-bit word that stores this scalar: `f64` bits, `i64` two's complement, bool 0/1.
    pub fn to_bits(self) -> u64 {
        match self {
            Scalar::I64(v) => v as u64,
            Scalar::F64(v) => v.to_bits(),
            Scalar::Bool(v) => v as u64,
        }
    }

    /// Reads a stored word as a scalar of kind `p`. Any nonzero word is `true` for `Bool`.
    pub fn from_bits(p: Prim, bits: u64) -> Scalar {
        match p {
            Prim::I64 => Scalar::I64(bits as i64),
            Prim::F64 => Scalar::F64(f64::from_bits(bits)),
            Prim::Bool => Scalar::Bool(bits != 0),
        }
    }

    /// The value as `f64` (`i64` and `bool` widen).
    pub fn as_f64(self) -> f64 {
        match self {
            Scalar::I64(v) => v as f64,
            Scalar::F64(v) => v,
            Scalar::Bool(v) => v as u8 as f64,
        }
    }

    /// The value as `i64`: bool is 0/1, `f64` truncates toward zero as [`f64_to_i64`].
    pub fn as_i64(self) -> i64 {
        match self {
            Scalar::I64(v) => v,
            Scalar::F64(v) => f64_to_i64(v),
            Scalar::Bool(v) => v as i64,
        }
    }

    /// Converts to kind `p` (as NumPy `astype`: `f64 -> i64` truncates, nonzero is `true`).
    pub fn convert(self, p: Prim) -> Scalar {
        Scalar::from_bits(p, convert_bits(self.prim(), p, self.to_bits()))
    }
}

/// `f64 -> i64` truncating toward zero, as NumPy's `astype(int64)` on x86-64: NaN, infinities
/// and values outside the `i64` range give `i64::MIN`.
pub fn f64_to_i64(x: f64) -> i64 {
    // 2^63 is exactly representable; every finite f64 in (-2^63 - 1, 2^63) truncates in range.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if x.is_nan() || !(-LIMIT..LIMIT).contains(&x) {
        i64::MIN
    } else {
        x as i64
    }
}

/// Converts one stored word from kind `from` to kind `to` (the rules of [`Scalar::convert`]).
#[inline]
pub fn convert_bits(from: Prim, to: Prim, bits: u64) -> u64 {
    match (from, to) {
        (Prim::F64, Prim::F64) | (Prim::I64, Prim::I64) => bits,
        (Prim::Bool, Prim::Bool) => (bits != 0) as u64,
        (Prim::I64, Prim::F64) => (bits as i64 as f64).to_bits(),
        (Prim::Bool, Prim::F64) => ((bits != 0) as u8 as f64).to_bits(),
        (Prim::F64, Prim::I64) => f64_to_i64(f64::from_bits(bits)) as u64,
        (Prim::Bool, Prim::I64) => (bits != 0) as u64,
        (Prim::I64, Prim::Bool) => (bits != 0) as u64,
        (Prim::F64, Prim::Bool) => (f64::from_bits(bits) != 0.0) as u64,
    }
}

/// Integer floor division. `i64::MIN // -1` wraps to `i64::MIN`.
#[inline]
pub fn int_floordiv(a: i64, b: i64) -> Result<i64, RtError> {
    if b == 0 {
        return Err(RtError::new("integer division by zero"));
    }
    if (a | b) as u64 >> 31 == 0 {
        // Both in [0, 2^31): 32-bit division is several times faster than 64-bit on
        // many x86 cores, and floor equals truncation for non-negative operands.
        return Ok(((a as u32) / (b as u32)) as i64);
    }
    let q = a.wrapping_div(b);
    if a.wrapping_rem(b) != 0 && ((a < 0) != (b < 0)) {
        Ok(q - 1)
    } else {
        Ok(q)
    }
}

/// Integer floor modulo: the result has the sign of the divisor (Python `%`).
#[inline]
pub fn int_mod(a: i64, b: i64) -> Result<i64, RtError> {
    if b == 0 {
        return Err(RtError::new("integer modulo by zero"));
    }
    if (a | b) as u64 >> 31 == 0 {
        // See `int_floordiv`: the 32-bit fast path for small non-negative operands.
        return Ok(((a as u32) % (b as u32)) as i64);
    }
    let r = a.wrapping_rem(b);
    if r != 0 && ((r < 0) != (b < 0)) {
        Ok(r + b)
    } else {
        Ok(r)
    }
}

/// Integer power by repeated squaring, wrapping on overflow.
#[inline]
pub fn int_pow(a: i64, b: i64) -> Result<i64, RtError> {
    if b < 0 {
        return Err(RtError::new(format!(
            "negative exponent {b} for integer power"
        )));
    }
    let mut base = a;
    let mut exp = b as u64;
    let mut acc: i64 = 1;
    while exp > 0 {
        if exp & 1 == 1 {
            acc = acc.wrapping_mul(base);
        }
        exp >>= 1;
        if exp > 0 {
            base = base.wrapping_mul(base);
        }
    }
    Ok(acc)
}

/// Python/NumPy `divmod` on floats (NumPy's `npy_divmod`): returns `(floor quotient, mod)`.
#[inline]
fn float_divmod(a: f64, b: f64) -> (f64, f64) {
    let m = a % b; // fmod
    if b == 0.0 {
        return (a / b, m);
    }
    let mut div = (a - m) / b;
    let mut md = m;
    if md != 0.0 {
        if (b < 0.0) != (md < 0.0) {
            md += b;
            div -= 1.0;
        }
    } else {
        md = 0.0f64.copysign(b);
    }
    let floordiv = if div != 0.0 {
        let mut f = div.floor();
        if div - f > 0.5 {
            f += 1.0;
        }
        f
    } else {
        0.0f64.copysign(a / b)
    };
    (floordiv, md)
}

/// Float floor division as Python (`1.0 // 0.1 == 9.0`); `x // 0.0` is `x / 0.0` as NumPy.
#[inline]
pub fn float_floordiv(a: f64, b: f64) -> f64 {
    float_divmod(a, b).0
}

/// Float floor modulo as Python (`-7.5 % 2.0 == 0.5`); `x % 0.0` is `nan` as NumPy.
#[inline]
pub fn float_mod(a: f64, b: f64) -> f64 {
    float_divmod(a, b).1
}

/// One-argument math on `f64`. `round` rounds half to even (NumPy); `abs` here is the float
/// one (integer `abs` is `i64::wrapping_abs`, see [`int_abs`]).
#[inline]
pub fn math1(f: MathFn, x: f64) -> f64 {
    match f {
        MathFn::Abs => x.abs(),
        MathFn::Sqrt => x.sqrt(),
        MathFn::Exp => x.exp(),
        MathFn::Log => x.ln(),
        MathFn::Log10 => x.log10(),
        MathFn::Sin => x.sin(),
        MathFn::Cos => x.cos(),
        MathFn::Tan => x.tan(),
        MathFn::Asin => x.asin(),
        MathFn::Acos => x.acos(),
        MathFn::Atan => x.atan(),
        MathFn::Sinh => x.sinh(),
        MathFn::Cosh => x.cosh(),
        MathFn::Tanh => x.tanh(),
        MathFn::Floor => x.floor(),
        MathFn::Ceil => x.ceil(),
        MathFn::Round => x.round_ties_even(),
    }
}

/// Integer `abs`: wraps like NumPy (`abs(i64::MIN) == i64::MIN`).
#[inline]
pub fn int_abs(x: i64) -> i64 {
    x.wrapping_abs()
}

/// NumPy `minimum` on floats: NaN-propagating.
#[inline]
pub fn float_minimum(x: f64, y: f64) -> f64 {
    if x.is_nan() {
        x
    } else if y.is_nan() {
        y
    } else if x <= y {
        x
    } else {
        y
    }
}

/// NumPy `maximum` on floats: NaN-propagating.
#[inline]
pub fn float_maximum(x: f64, y: f64) -> f64 {
    if x.is_nan() {
        x
    } else if y.is_nan() {
        y
    } else if x >= y {
        x
    } else {
        y
    }
}

/// Two-argument math on `f64`: `atan2(y, x)`, `pow(x, y)`, NaN-propagating `minimum`/`maximum`.
#[inline]
pub fn math2(f: MathFn2, x: f64, y: f64) -> f64 {
    match f {
        MathFn2::Atan2 => x.atan2(y),
        MathFn2::Pow => x.powf(y),
        MathFn2::Minimum => float_minimum(x, y),
        MathFn2::Maximum => float_maximum(x, y),
    }
}

/// Two-argument math on scalars with the result kind of the language: `minimum`/`maximum`
/// of two integers stay `i64`; everything else is `f64`.
pub fn scalar_math2(f: MathFn2, a: Scalar, b: Scalar) -> Scalar {
    if f.keeps_int() && a.prim() != Prim::F64 && b.prim() != Prim::F64 {
        let (x, y) = (a.as_i64(), b.as_i64());
        return Scalar::I64(if f == MathFn2::Minimum {
            x.min(y)
        } else {
            x.max(y)
        });
    }
    Scalar::F64(math2(f, a.as_f64(), b.as_f64()))
}

/// One-argument math on a scalar with the result kind of the language: `abs` keeps `i64`;
/// every other function gives `f64`.
pub fn scalar_math1(f: MathFn, a: Scalar) -> Scalar {
    match (f, a) {
        (MathFn::Abs, Scalar::I64(x)) => Scalar::I64(int_abs(x)),
        (MathFn::Abs, Scalar::Bool(x)) => Scalar::I64(x as i64),
        _ => Scalar::F64(math1(f, a.as_f64())),
    }
}

/// Whether `op` on operands of kinds `a` and `b` is computed in integers (true) or in `f64`.
#[inline]
pub fn binop_in_int(op: BinOp, a: Prim, b: Prim) -> bool {
    op != BinOp::Div && a != Prim::F64 && b != Prim::F64
}

/// The result kind of `op` on operands of kinds `a` and `b`.
pub fn binop_result(op: BinOp, a: Prim, b: Prim) -> Prim {
    if op.is_comparison() {
        Prim::Bool
    } else if binop_in_int(op, a, b) {
        Prim::I64
    } else {
        Prim::F64
    }
}

/// `op` on two integers. `Div` (true division) is not an integer op: callers promote first;
/// here it is computed as `f64` and returned as bits so the function stays total.
#[inline]
pub fn int_binop_bits(op: BinOp, x: i64, y: i64) -> Result<u64, RtError> {
    Ok(match op {
        BinOp::Add => x.wrapping_add(y) as u64,
        BinOp::Sub => x.wrapping_sub(y) as u64,
        BinOp::Mul => x.wrapping_mul(y) as u64,
        BinOp::Div => (x as f64 / y as f64).to_bits(),
        BinOp::FloorDiv => int_floordiv(x, y)? as u64,
        BinOp::Mod => int_mod(x, y)? as u64,
        BinOp::Pow => int_pow(x, y)? as u64,
        BinOp::Lt => (x < y) as u64,
        BinOp::Le => (x <= y) as u64,
        BinOp::Gt => (x > y) as u64,
        BinOp::Ge => (x >= y) as u64,
        BinOp::Eq => (x == y) as u64,
        BinOp::Ne => (x != y) as u64,
    })
}

/// `op` on two floats, returned as the stored word (`f64` bits or bool 0/1).
#[inline]
pub fn float_binop_bits(op: BinOp, x: f64, y: f64) -> u64 {
    match op {
        BinOp::Add => (x + y).to_bits(),
        BinOp::Sub => (x - y).to_bits(),
        BinOp::Mul => (x * y).to_bits(),
        BinOp::Div => (x / y).to_bits(),
        BinOp::FloorDiv => float_floordiv(x, y).to_bits(),
        BinOp::Mod => float_mod(x, y).to_bits(),
        BinOp::Pow => x.powf(y).to_bits(),
        BinOp::Lt => (x < y) as u64,
        BinOp::Le => (x <= y) as u64,
        BinOp::Gt => (x > y) as u64,
        BinOp::Ge => (x >= y) as u64,
        BinOp::Eq => (x == y) as u64,
        BinOp::Ne => (x != y) as u64,
    }
}

/// A binary operator on two scalars, with the language's promotion rules.
#[cfg(test)]
pub fn scalar_binop(op: BinOp, a: Scalar, b: Scalar) -> Result<Scalar, RtError> {
    let res = binop_result(op, a.prim(), b.prim());
    let bits = if binop_in_int(op, a.prim(), b.prim()) {
        int_binop_bits(op, a.as_i64(), b.as_i64())?
    } else {
        float_binop_bits(op, a.as_f64(), b.as_f64())
    };
    Ok(Scalar::from_bits(res, bits))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bin(op: BinOp, a: Scalar, b: Scalar) -> Scalar {
        scalar_binop(op, a, b).expect("no error expected")
    }

    #[test]
    fn int_floordiv_floors() {
        assert_eq!(int_floordiv(-17, 5), Ok(-4));
        assert_eq!(int_floordiv(17, -5), Ok(-4));
        assert_eq!(int_floordiv(-17, -5), Ok(3));
        assert_eq!(int_floordiv(17, 5), Ok(3));
        assert_eq!(int_floordiv(-15, 5), Ok(-3));
        assert_eq!(int_floordiv(i64::MIN, -1), Ok(i64::MIN));
        assert_eq!(
            int_floordiv(1, 0),
            Err(RtError::new("integer division by zero"))
        );
    }

    #[test]
    fn int_mod_has_sign_of_divisor() {
        assert_eq!(int_mod(-17, 5), Ok(3));
        assert_eq!(int_mod(17, -5), Ok(-3));
        assert_eq!(int_mod(-17, -5), Ok(-2));
        assert_eq!(int_mod(17, 5), Ok(2));
        assert_eq!(int_mod(i64::MIN, -1), Ok(0));
        assert_eq!(int_mod(5, 0), Err(RtError::new("integer modulo by zero")));
    }

    #[test]
    fn int_pow_wraps_and_rejects_negative_exponents() {
        assert_eq!(int_pow(2, 10), Ok(1024));
        assert_eq!(int_pow(-3, 3), Ok(-27));
        assert_eq!(int_pow(0, 0), Ok(1));
        assert_eq!(int_pow(2, 64), Ok(0));
        assert_eq!(int_pow(3, 40), Ok(3i64.wrapping_pow(40)));
        assert_eq!(int_pow(1, i64::MAX), Ok(1));
        assert_eq!(int_pow(-1, i64::MAX), Ok(-1));
        assert_eq!(
            int_pow(2, -2),
            Err(RtError::new("negative exponent -2 for integer power"))
        );
    }

    #[test]
    fn float_floordiv_and_mod_follow_python() {
        assert_eq!(float_floordiv(1.0, 0.1), 9.0);
        assert_eq!(float_mod(-7.5, 2.0), 0.5);
        assert_eq!(float_floordiv(-7.5, 2.0), -4.0);
        assert_eq!(float_mod(7.5, -2.0), -0.5);
        assert_eq!(float_floordiv(7.0, 2.0), 3.0);
        let z = float_mod(-4.0, 2.0);
        assert!(z == 0.0 && z.is_sign_positive());
        let z = float_mod(4.0, -2.0);
        assert!(z == 0.0 && z.is_sign_negative());
        let q = float_floordiv(-0.5, 2.0);
        assert_eq!(q, -1.0);
        let q = float_floordiv(0.5, -2.0);
        assert_eq!(q, -1.0);
        let q = float_floordiv(0.0, -2.0);
        assert!(q == 0.0 && q.is_sign_negative());
        assert_eq!(float_mod(1.0, f64::INFINITY), 1.0);
        assert_eq!(float_mod(-1.0, f64::INFINITY), f64::INFINITY);
    }

    #[test]
    fn float_by_zero_follows_numpy() {
        assert_eq!(float_floordiv(1.0, 0.0), f64::INFINITY);
        assert_eq!(float_floordiv(-1.0, 0.0), f64::NEG_INFINITY);
        assert!(float_floordiv(0.0, 0.0).is_nan());
        assert!(float_mod(1.0, 0.0).is_nan());
        assert!(float_mod(f64::NAN, 2.0).is_nan());
    }

    #[test]
    fn round_is_half_to_even() {
        let r = |x: f64| math1(MathFn::Round, x);
        assert_eq!(r(0.5), 0.0);
        assert_eq!(r(1.5), 2.0);
        assert_eq!(r(2.5), 2.0);
        assert_eq!(r(-2.5), -2.0);
        assert_eq!(r(2.6), 3.0);
        let z = r(-0.5);
        assert!(z == 0.0 && z.is_sign_negative());
        assert_eq!(math1(MathFn::Floor, -1.5), -2.0);
        assert_eq!(math1(MathFn::Ceil, -1.5), -1.0);
        assert!(math1(MathFn::Sqrt, -1.0).is_nan());
    }

    #[test]
    fn math2_minimum_maximum_propagate_nan() {
        assert!(math2(MathFn2::Minimum, f64::NAN, 1.0).is_nan());
        assert!(math2(MathFn2::Minimum, 1.0, f64::NAN).is_nan());
        assert!(math2(MathFn2::Maximum, 1.0, f64::NAN).is_nan());
        assert_eq!(math2(MathFn2::Minimum, 1.0, 2.0), 1.0);
        assert_eq!(math2(MathFn2::Maximum, 1.0, 2.0), 2.0);
        assert_eq!(math2(MathFn2::Pow, 2.0, 0.5), 2f64.sqrt());
        assert_eq!(math2(MathFn2::Atan2, 1.0, 1.0), std::f64::consts::FRAC_PI_4);
        assert_eq!(
            scalar_math2(MathFn2::Minimum, Scalar::I64(3), Scalar::I64(-4)),
            Scalar::I64(-4)
        );
        assert_eq!(
            scalar_math2(MathFn2::Maximum, Scalar::I64(3), Scalar::F64(-4.0)),
            Scalar::F64(3.0)
        );
        assert_eq!(
            scalar_math2(MathFn2::Pow, Scalar::I64(2), Scalar::I64(3)),
            Scalar::F64(8.0)
        );
        assert_eq!(
            scalar_math1(MathFn::Abs, Scalar::I64(i64::MIN)),
            Scalar::I64(i64::MIN)
        );
        assert_eq!(scalar_math1(MathFn::Abs, Scalar::I64(-3)), Scalar::I64(3));
        assert_eq!(
            scalar_math1(MathFn::Floor, Scalar::I64(-3)),
            Scalar::F64(-3.0)
        );
    }

    #[test]
    fn scalar_binop_promotion_rules() {
        use Scalar::*;
        assert_eq!(bin(BinOp::Add, I64(i64::MAX), I64(1)), I64(i64::MIN));
        assert_eq!(bin(BinOp::Mul, I64(1 << 62), I64(4)), I64(0));
        assert_eq!(bin(BinOp::Sub, I64(i64::MIN), I64(1)), I64(i64::MAX));
        assert_eq!(bin(BinOp::Div, I64(7), I64(2)), F64(3.5));
        assert_eq!(bin(BinOp::Div, I64(1), I64(0)), F64(f64::INFINITY));
        assert_eq!(bin(BinOp::FloorDiv, I64(-17), I64(5)), I64(-4));
        assert_eq!(bin(BinOp::Mod, I64(-17), I64(5)), I64(3));
        assert_eq!(bin(BinOp::Pow, I64(3), I64(4)), I64(81));
        assert_eq!(bin(BinOp::Add, I64(1), F64(0.5)), F64(1.5));
        assert_eq!(bin(BinOp::Pow, F64(2.0), I64(-1)), F64(0.5));
        assert_eq!(bin(BinOp::FloorDiv, F64(1.0), F64(0.1)), F64(9.0));
        assert_eq!(bin(BinOp::Mod, F64(-7.5), I64(2)), F64(0.5));
        assert_eq!(bin(BinOp::Lt, I64(1), F64(1.5)), Bool(true));
        assert_eq!(bin(BinOp::Eq, Bool(true), Bool(true)), Bool(true));
        assert_eq!(bin(BinOp::Ne, Bool(true), Bool(false)), Bool(true));
        assert_eq!(bin(BinOp::Eq, F64(f64::NAN), F64(f64::NAN)), Bool(false));
        assert_eq!(bin(BinOp::Ne, F64(f64::NAN), F64(f64::NAN)), Bool(true));
        // i64 comparisons are exact, not through f64.
        assert_eq!(bin(BinOp::Lt, I64(i64::MAX - 1), I64(i64::MAX)), Bool(true));
        assert_eq!(
            scalar_binop(BinOp::FloorDiv, I64(1), I64(0)),
            Err(RtError::new("integer division by zero"))
        );
        assert_eq!(
            scalar_binop(BinOp::Pow, I64(1), I64(-1)),
            Err(RtError::new("negative exponent -1 for integer power"))
        );
    }

    #[test]
    fn bits_round_trip_and_conversions() {
        for s in [
            Scalar::I64(-5),
            Scalar::F64(-0.0),
            Scalar::F64(2.5),
            Scalar::Bool(true),
            Scalar::Bool(false),
        ] {
            assert_eq!(Scalar::from_bits(s.prim(), s.to_bits()), s);
        }
        assert_eq!(Scalar::I64(3).as_f64(), 3.0);
        assert_eq!(Scalar::Bool(true).as_f64(), 1.0);
        assert_eq!(Scalar::F64(-2.7).convert(Prim::I64), Scalar::I64(-2));
        assert_eq!(Scalar::F64(2.7).convert(Prim::I64), Scalar::I64(2));
        assert_eq!(
            Scalar::F64(f64::NAN).convert(Prim::I64),
            Scalar::I64(i64::MIN)
        );
        assert_eq!(Scalar::F64(1e300).convert(Prim::I64), Scalar::I64(i64::MIN));
        assert_eq!(
            Scalar::F64(-(2f64.powi(63))).convert(Prim::I64),
            Scalar::I64(i64::MIN)
        );
        assert_eq!(Scalar::Bool(true).convert(Prim::F64), Scalar::F64(1.0));
        assert_eq!(Scalar::F64(0.5).convert(Prim::Bool), Scalar::Bool(true));
        assert_eq!(Scalar::I64(0).convert(Prim::Bool), Scalar::Bool(false));
    }
}
