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
use crate::vocab::{squaring_exponent, BinOp, MathFn, MathFn2, Prim, Reduce};
#[cfg(test)]
use crate::vocab::POW_BY_SQUARING_MAX;

/// A scalar value with its kind. In registers and arrays scalars are untyped words (see
/// [`Prim`] for the register form); this enum is for the places that need the kind at run
/// time (formatting, built-ins, the embedding API).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Scalar {
    I64(i64),
    F64(f64),
    Bool(bool),
    U8(u8),
    I32(i32),
    F32(f32),
}

impl Scalar {
    /// The kind of this scalar.
    pub fn prim(self) -> Prim {
        match self {
            Scalar::I64(_) => Prim::I64,
            Scalar::F64(_) => Prim::F64,
            Scalar::Bool(_) => Prim::Bool,
            Scalar::U8(_) => Prim::U8,
            Scalar::I32(_) => Prim::I32,
            Scalar::F32(_) => Prim::F32,
        }
    }

    /// The register form of this scalar (see [`Prim`]): integers as their `i64` value, floats
    /// as the bits of their `f64` value, bool 0/1.
    pub fn to_bits(self) -> u64 {
        match self {
            Scalar::I64(v) => v as u64,
            Scalar::F64(v) => v.to_bits(),
            Scalar::Bool(v) => v as u64,
            Scalar::U8(v) => v as u64,
            Scalar::I32(v) => v as i64 as u64,
            Scalar::F32(v) => (v as f64).to_bits(),
        }
    }

    /// Reads a register-form word as a scalar of kind `p` (the narrow kinds keep their low
    /// bits; any nonzero word is `true` for `Bool`).
    pub fn from_bits(p: Prim, bits: u64) -> Scalar {
        match p {
            Prim::I64 => Scalar::I64(bits as i64),
            Prim::F64 => Scalar::F64(f64::from_bits(bits)),
            Prim::Bool => Scalar::Bool(bits != 0),
            Prim::U8 => Scalar::U8(bits as u8),
            Prim::I32 => Scalar::I32(bits as i32),
            Prim::F32 => Scalar::F32(f64::from_bits(bits) as f32),
        }
    }

    /// The value as `f64` (integers and `bool` convert).
    pub fn as_f64(self) -> f64 {
        match self {
            Scalar::I64(v) => v as f64,
            Scalar::F64(v) => v,
            Scalar::Bool(v) => v as u8 as f64,
            Scalar::U8(v) => v as f64,
            Scalar::I32(v) => v as f64,
            Scalar::F32(v) => v as f64,
        }
    }

    /// The value as `i64`: bool is 0/1, floats truncate as [`f64_to_i64`].
    pub fn as_i64(self) -> i64 {
        match self {
            Scalar::I64(v) => v,
            Scalar::F64(v) => f64_to_i64(v),
            Scalar::Bool(v) => v as i64,
            Scalar::U8(v) => v as i64,
            Scalar::I32(v) => v as i64,
            Scalar::F32(v) => f64_to_i64(v as f64),
        }
    }

    /// Converts to kind `p` (the rules of [`convert_bits`]).
    pub fn convert(self, p: Prim) -> Scalar {
        Scalar::from_bits(p, convert_bits(self.prim(), p, self.to_bits()))
    }
}

/// `f64 -> i64` truncating toward zero; out of range saturates and NaN gives 0, as Rust's
/// `as` (NumPy leaves these undefined).
#[inline]
pub fn f64_to_i64(x: f64) -> i64 {
    x as i64
}

/// An `i64` value as the register form of the integer kind `to` (`u8`/`i32` keep the low
/// bits, as NumPy's `astype` and wrapping arithmetic; `bool` is "nonzero").
#[inline]
pub fn narrow_int(to: Prim, x: i64) -> u64 {
    match to {
        Prim::U8 => x as u8 as u64,
        Prim::I32 => x as i32 as i64 as u64,
        Prim::Bool => (x != 0) as u64,
        _ => x as u64,
    }
}

/// An `f64` value converted to the integer kind `to`: truncation toward zero, saturating
/// at the kind's range, NaN gives 0 (Rust's `as`); `bool` is "nonzero".
#[inline]
pub fn float_to_int(to: Prim, x: f64) -> u64 {
    match to {
        Prim::U8 => x as u8 as u64,
        Prim::I32 => x as i32 as i64 as u64,
        Prim::Bool => (x != 0.0) as u64,
        _ => x as i64 as u64,
    }
}

/// The register form of an `f64` value as kind `to` (`f32` rounds to nearest).
#[inline]
pub fn narrow_float(to: Prim, x: f64) -> u64 {
    if to == Prim::F32 {
        (x as f32 as f64).to_bits()
    } else {
        x.to_bits()
    }
}

/// Converts one register-form word from kind `from` to kind `to`, as NumPy's `astype` and
/// nk's `T(x)`: float to integer truncates toward zero and saturates ([`float_to_int`]),
/// integer to a narrower integer keeps the low bits, anything to `bool` is "nonzero",
/// `i64` to `f32` rounds once.
#[inline]
pub fn convert_bits(from: Prim, to: Prim, bits: u64) -> u64 {
    match (from.is_float(), to.is_float()) {
        (false, false) => narrow_int(to, bits as i64),
        (true, true) => narrow_float(to, f64::from_bits(bits)),
        (true, false) => float_to_int(to, f64::from_bits(bits)),
        (false, true) => {
            let x = bits as i64;
            if to == Prim::F32 {
                (x as f32 as f64).to_bits()
            } else {
                (x as f64).to_bits()
            }
        }
    }
}

/// A result computed in its class (an `i64` or an `f64` value, as register-form bits) made
/// the register form of kind `to`: wraps to a narrow integer, rounds to `f32`.
fn narrow_bits(to: Prim, bits: u64) -> u64 {
    if to.is_float() {
        narrow_float(to, f64::from_bits(bits))
    } else {
        narrow_int(to, bits as i64)
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

/// `x ** y` on floats, in both tiers and in elementwise kernels. As Numba computes a power
/// with a constant integer exponent, and as LLVM rewrites `pow(x, 0.5)`: an exponent that
/// is an integer in `0..=32` ([`squaring_exponent`]) by repeated squaring ([`pow_by_squaring`]),
/// `0.5` by a square root ([`pow_half`]), every other one by libm's `pow`. The bytecode
/// lowers a literal exponent to the same operations, so `x ** 6` and `x ** k` with `k = 6`
/// give the same bits.
#[inline]
pub fn powf(x: f64, y: f64) -> f64 {
    if y == 0.5 {
        pow_half(x)
    } else if let Some(k) = squaring_exponent(y) {
        pow_by_squaring(x, k)
    } else {
        x.powf(y)
    }
}

/// `x ** k` by squaring, multiplying in Numba's order (the low bits first; `x ** 0` is 1).
#[inline]
pub fn pow_by_squaring(x: f64, k: u32) -> f64 {
    let mut acc: Option<f64> = None;
    let mut base = x;
    let mut exp = k;
    while exp > 0 {
        if exp & 1 == 1 {
            acc = Some(acc.map_or(base, |a| a * base));
        }
        exp >>= 1;
        if exp > 0 {
            base *= base;
        }
    }
    acc.unwrap_or(1.0)
}

/// `x ** 0.5` as `pow` defines it but correctly rounded: a square root, with `pow`'s
/// `+0` for `-0` and `+inf` for `-inf`.
#[inline]
pub fn pow_half(x: f64) -> f64 {
    if x == f64::NEG_INFINITY {
        f64::INFINITY
    } else {
        x.sqrt().abs()
    }
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
        MathFn2::Pow => powf(x, y),
        MathFn2::Minimum => float_minimum(x, y),
        MathFn2::Maximum => float_maximum(x, y),
    }
}

/// Two-argument math on scalars with the result kind of the language: `minimum`/`maximum`
/// of two integers stay integers (of the promoted kind); everything else is a float, `f32`
/// when the promoted kind is `f32`.
pub fn scalar_math2(f: MathFn2, a: Scalar, b: Scalar) -> Scalar {
    let p = Prim::promote(a.prim(), b.prim());
    if f.keeps_int() && !p.is_float() {
        let (x, y) = (a.as_i64(), b.as_i64());
        let r = if f == MathFn2::Minimum {
            x.min(y)
        } else {
            x.max(y)
        };
        return Scalar::from_bits(p, r as u64);
    }
    let to = p.float_result();
    Scalar::from_bits(to, narrow_float(to, math2(f, a.as_f64(), b.as_f64())))
}

/// One-argument math on a scalar with the result kind of the language: `abs` keeps an
/// integer kind (wrapping in it); every other function gives `f64`, or `f32` for `f32`.
pub fn scalar_math1(f: MathFn, a: Scalar) -> Scalar {
    let p = a.prim();
    if f.keeps_int() && !p.is_float() {
        let to = if p == Prim::Bool { Prim::I64 } else { p };
        return Scalar::from_bits(to, narrow_int(to, int_abs(a.as_i64())));
    }
    let to = p.float_result();
    Scalar::from_bits(to, narrow_float(to, math1(f, a.as_f64())))
}

/// Whether `op` on operands of kinds `a` and `b` is computed in integers (true) or in `f64`
/// (an `f32` result is computed in `f64` and rounded once, which for `+ - * /` and `sqrt`
/// is exactly the correctly rounded `f32` result).
#[inline]
pub fn binop_in_int(op: BinOp, a: Prim, b: Prim) -> bool {
    op != BinOp::Div && !a.is_float() && !b.is_float()
}

/// The result kind of `op` on operands of kinds `a` and `b` (NumPy 2's promotion).
pub fn binop_result(op: BinOp, a: Prim, b: Prim) -> Prim {
    Prim::binop_result(op, a, b)
}

/// `x << y` or `x >> y` (arithmetic) on a register-form integer of `bits` bits: a negative
/// count or one of at least `bits` is an error (NumPy leaves it undefined).
#[inline]
pub fn int_shift(op: BinOp, x: i64, y: i64, bits: u32) -> Result<i64, RtError> {
    if !(0..bits as i64).contains(&y) {
        return Err(RtError::new(if y < 0 {
            format!("negative shift count {y}")
        } else {
            format!("shift count {y} is too large for a {bits}-bit integer (at most {})", bits - 1)
        }));
    }
    Ok(if op == BinOp::Shl {
        x.wrapping_shl(y as u32)
    } else {
        x >> y
    })
}

/// `op` on two integers. `Div` (true division) is not an integer op: callers promote first;
/// here it is computed as `f64` and returned as bits so the function stays total. Shifts
/// are checked against 64 bits here; narrower kinds go through [`int_shift`].
#[inline]
pub fn int_binop_bits(op: BinOp, x: i64, y: i64) -> Result<u64, RtError> {
    Ok(match op {
        BinOp::BitAnd => (x & y) as u64,
        BinOp::BitOr => (x | y) as u64,
        BinOp::BitXor => (x ^ y) as u64,
        BinOp::Shl | BinOp::Shr => int_shift(op, x, y, 64)? as u64,
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
        BinOp::Pow => powf(x, y).to_bits(),
        BinOp::Lt => (x < y) as u64,
        BinOp::Le => (x <= y) as u64,
        BinOp::Gt => (x > y) as u64,
        BinOp::Ge => (x >= y) as u64,
        BinOp::Eq => (x == y) as u64,
        BinOp::Ne => (x != y) as u64,
        // The checker allows bitwise operators on integers and bool only.
        BinOp::BitAnd | BinOp::BitOr | BinOp::BitXor | BinOp::Shl | BinOp::Shr => 0,
    }
}

/// How two partial results of a `prange` reduction of kind `p` combine (register forms):
/// `Sum` and `Prod` as `+`/`*` on `p` (integers wrap at their width), `Min`/`Max` as the
/// scalar `min`/`max` (a NaN wins).
pub fn combine(r: Reduce, p: Prim, a: u64, b: u64) -> u64 {
    let op = match r {
        Reduce::Min | Reduce::Max => {
            let f = if r == Reduce::Min {
                MathFn2::Minimum
            } else {
                MathFn2::Maximum
            };
            return scalar_math2(f, Scalar::from_bits(p, a), Scalar::from_bits(p, b)).to_bits();
        }
        Reduce::Prod => BinOp::Mul,
        _ => BinOp::Add,
    };
    let bits = if p.is_float() {
        float_binop_bits(op, f64::from_bits(a), f64::from_bits(b))
    } else {
        // `+` and `*` of integers cannot fail.
        int_binop_bits(op, a as i64, b as i64).unwrap_or(a)
    };
    narrow_bits(p, bits)
}

/// The value a part of a `prange` reduction of kind `p` starts from (register form): one
/// that [`combine`] leaves the other operand unchanged with — `-0.0` for a float sum
/// (`-0.0 + x` is `x` for every `x`, `-0.0` included), 1 for a product, the largest value of
/// `p` for `Min` and the smallest for `Max`.
pub fn reduction_identity(r: Reduce, p: Prim) -> u64 {
    let (lo, hi) = match p {
        Prim::Bool => (0, 1),
        Prim::U8 => (0, u8::MAX as i64),
        Prim::I32 => (i32::MIN as i64, i32::MAX as i64),
        _ => (i64::MIN, i64::MAX),
    };
    match (r, p.is_float()) {
        (Reduce::Prod, true) => 1f64.to_bits(),
        (Reduce::Prod, false) => 1,
        (Reduce::Min, true) => f64::INFINITY.to_bits(),
        (Reduce::Min, false) => hi as u64,
        (Reduce::Max, true) => f64::NEG_INFINITY.to_bits(),
        (Reduce::Max, false) => lo as u64,
        (_, true) => (-0f64).to_bits(),
        (_, false) => 0,
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
    Ok(Scalar::from_bits(res, narrow_bits(res, bits)))
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
    fn float_power_squares_small_integer_exponents_and_roots_a_half() {
        // Numba's order: x^6 = x^2 * x^4, which is not pow's correctly rounded x^6.
        let x = 0.1f64;
        assert_eq!(powf(x, 6.0), (x * x) * ((x * x) * (x * x)));
        assert_eq!(powf(x, 3.0), x * (x * x));
        assert_eq!(powf(f64::NAN, 0.0), 1.0);
        assert_eq!(powf(-2.0, 33.0), -8589934592.0);
        for x in [0.1, 0.7, 1.5, 3.3, 1e-5, 12345.678] {
            for k in 0..=POW_BY_SQUARING_MAX {
                let (a, b) = (powf(x, k as f64), x.powf(k as f64));
                assert!((a - b).abs() <= 1e-14 * b.abs(), "{x} ** {k}: {a} vs pow {b}");
            }
        }
        // Past the limit and for fractional exponents: pow itself.
        assert_eq!(powf(0.1, 33.0), 0.1f64.powf(33.0));
        assert_eq!(powf(0.1, 2.5), 0.1f64.powf(2.5));
        assert_eq!(powf(2.0, -1.0), 0.5);
        // ** 0.5: the square root, with pow's answers at -0 and -inf.
        assert_eq!(powf(2.0, 0.5), 2f64.sqrt());
        assert_eq!(powf(-0.0, 0.5).to_bits(), 0f64.to_bits());
        assert_eq!(powf(f64::NEG_INFINITY, 0.5), f64::INFINITY);
        assert!(powf(-1.0, 0.5).is_nan());
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
        // Out of range saturates, NaN gives 0 (Rust's `as`; LANGUAGE.md version 2).
        assert_eq!(Scalar::F64(f64::NAN).convert(Prim::I64), Scalar::I64(0));
        assert_eq!(Scalar::F64(1e300).convert(Prim::I64), Scalar::I64(i64::MAX));
        assert_eq!(
            Scalar::F64(-(2f64.powi(63))).convert(Prim::I64),
            Scalar::I64(i64::MIN)
        );
        assert_eq!(Scalar::Bool(true).convert(Prim::F64), Scalar::F64(1.0));
        assert_eq!(Scalar::F64(0.5).convert(Prim::Bool), Scalar::Bool(true));
        assert_eq!(Scalar::I64(0).convert(Prim::Bool), Scalar::Bool(false));
        // The narrow kinds.
        for s in [
            Scalar::U8(200),
            Scalar::I32(-7),
            Scalar::I32(i32::MIN),
            Scalar::F32(0.1),
            Scalar::F32(f32::MAX),
        ] {
            assert_eq!(Scalar::from_bits(s.prim(), s.to_bits()), s);
        }
        assert_eq!(Scalar::I64(300).convert(Prim::U8), Scalar::U8(44));
        assert_eq!(Scalar::I64(-1).convert(Prim::U8), Scalar::U8(255));
        assert_eq!(Scalar::I64(1 << 31).convert(Prim::I32), Scalar::I32(i32::MIN));
        assert_eq!(Scalar::F64(300.7).convert(Prim::U8), Scalar::U8(255));
        assert_eq!(Scalar::F64(-3.9).convert(Prim::U8), Scalar::U8(0));
        assert_eq!(Scalar::F64(-3.9).convert(Prim::I32), Scalar::I32(-3));
        assert_eq!(Scalar::F64(1e10).convert(Prim::I32), Scalar::I32(i32::MAX));
        assert_eq!(Scalar::F64(0.1).convert(Prim::F32), Scalar::F32(0.1));
        // i64 to f32 rounds once (2^53 + 1 is not a tie for f32).
        let big = (1i64 << 53) + 1;
        assert_eq!(Scalar::I64(big).convert(Prim::F32), Scalar::F32(big as f32));
    }

    #[test]
    fn promotion_follows_numpy_2() {
        use Prim::*;
        let cases = [
            (Bool, U8, U8),
            (U8, I32, I32),
            (I32, I64, I64),
            (U8, F32, F32),
            (Bool, F32, F32),
            (I32, F32, F64),
            (I64, F32, F64),
            (F32, F64, F64),
            (I64, F64, F64),
        ];
        for (a, b, want) in cases {
            assert_eq!(Prim::promote(a, b), want, "{a:?} {b:?}");
            assert_eq!(Prim::promote(b, a), want, "{b:?} {a:?}");
        }
        assert_eq!(Prim::binop_result(BinOp::Div, U8, U8), F64);
        assert_eq!(Prim::binop_result(BinOp::Div, F32, U8), F32);
        assert_eq!(Prim::binop_result(BinOp::Div, I32, F32), F64);
        assert_eq!(Prim::binop_result(BinOp::Lt, F32, I64), Bool);
        // Narrow arithmetic wraps in its kind, f32 rounds once.
        let add = |a, b| scalar_binop(BinOp::Add, a, b).unwrap();
        assert_eq!(add(Scalar::U8(250), Scalar::U8(10)), Scalar::U8(4));
        assert_eq!(
            add(Scalar::I32(i32::MAX), Scalar::I32(1)),
            Scalar::I32(i32::MIN)
        );
        assert_eq!(add(Scalar::F32(0.1), Scalar::F32(0.2)), Scalar::F32(0.1 + 0.2));
    }
}
