//! A compact binary form of [`CompiledFn`] (and of the IR types its tables name), for the
//! run image the CLI caches in the code heap (`heap::image`).
//!
//! Integers are LEB128 varints (signed ones zigzagged); strings and lists are
//! length-prefixed. Each op is its index in the op table followed by its fields in
//! declaration order: the encoder and decoder are generated from `for_each_op!`, so a new
//! op or field needs nothing here. `Ext` and the IR types are written by hand (they are
//! few and rare). Decoding never panics and never trusts its input: every read is bounds
//! checked, every tag and field range checked, recursion depth bounded, and the result must
//! pass [`super::verify`] — a damaged image decodes to `None`, never to code the dispatch
//! loop could misuse.

use super::{CompiledFn, Ext, Loc, Op, Operand, PrintArg, Reg, SliceOperand, Spans};
use crate::ir::{Builtin, FuncId, Type};
use crate::source::Span;
use crate::vocab::{BinOp, MathFn, MathFn2, Prim, Reduce};

/// Appends the encoding of values to a byte vector.
#[derive(Default)]
pub struct Writer {
    pub buf: Vec<u8>,
}

impl Writer {
    pub fn u64(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.buf.push(v as u8 | 0x80);
            v >>= 7;
        }
        self.buf.push(v as u8);
    }
    pub fn i64(&mut self, v: i64) {
        self.u64(((v << 1) ^ (v >> 63)) as u64);
    }
    pub fn bool(&mut self, b: bool) {
        self.buf.push(b as u8);
    }
    pub fn bytes(&mut self, b: &[u8]) {
        self.u64(b.len() as u64);
        self.buf.extend_from_slice(b);
    }
    pub fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }
}

/// Reads values back; every method returns `None` past the end or on a bad value.
pub struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
}

/// Types nested deeper than this are refused (the checker bounds tuples far below it).
const MAX_DEPTH: u32 = 64;

impl<'a> Reader<'a> {
    pub fn new(b: &'a [u8]) -> Self {
        Reader { b, pos: 0 }
    }
    pub fn at_end(&self) -> bool {
        self.pos == self.b.len()
    }
    pub fn u64(&mut self) -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = *self.b.get(self.pos)?;
            self.pos += 1;
            v |= ((byte & 0x7f) as u64) << shift;
            if byte < 0x80 {
                return Some(v);
            }
        }
        None
    }
    pub fn i64(&mut self) -> Option<i64> {
        let v = self.u64()?;
        Some((v >> 1) as i64 ^ -((v & 1) as i64))
    }
    pub fn u32(&mut self) -> Option<u32> {
        u32::try_from(self.u64()?).ok()
    }
    pub fn u16(&mut self) -> Option<u16> {
        u16::try_from(self.u64()?).ok()
    }
    pub fn u8(&mut self) -> Option<u8> {
        let b = *self.b.get(self.pos)?;
        self.pos += 1;
        Some(b)
    }
    pub fn bool(&mut self) -> Option<bool> {
        match self.u8()? {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }
    /// A length that cannot exceed the bytes left (each element takes at least one).
    pub fn count(&mut self) -> Option<usize> {
        let n = usize::try_from(self.u64()?).ok()?;
        (n <= self.b.len() - self.pos).then_some(n)
    }
    pub fn bytes(&mut self) -> Option<&'a [u8]> {
        let n = self.count()?;
        let s = &self.b[self.pos..self.pos + n];
        self.pos += n;
        Some(s)
    }
    pub fn str(&mut self) -> Option<&'a str> {
        std::str::from_utf8(self.bytes()?).ok()
    }
}

/// How an op field's type is written and read.
trait Field: Sized {
    fn put(self, w: &mut Writer);
    fn get(r: &mut Reader) -> Option<Self>;
}
impl Field for u16 {
    fn put(self, w: &mut Writer) {
        w.u64(self as u64)
    }
    fn get(r: &mut Reader) -> Option<Self> {
        r.u16()
    }
}
impl Field for u32 {
    fn put(self, w: &mut Writer) {
        w.u64(self as u64)
    }
    fn get(r: &mut Reader) -> Option<Self> {
        r.u32()
    }
}
impl Field for i32 {
    fn put(self, w: &mut Writer) {
        w.i64(self as i64)
    }
    fn get(r: &mut Reader) -> Option<Self> {
        i32::try_from(r.i64()?).ok()
    }
}
impl Field for MathFn {
    fn put(self, w: &mut Writer) {
        w.u64(self as u64)
    }
    fn get(r: &mut Reader) -> Option<Self> {
        MathFn::ALL.get(r.len_small()?).copied()
    }
}
impl Field for Prim {
    fn put(self, w: &mut Writer) {
        w.u64(self as u64)
    }
    fn get(r: &mut Reader) -> Option<Self> {
        Prim::ALL.get(r.len_small()?).copied()
    }
}
impl Field for MathFn2 {
    fn put(self, w: &mut Writer) {
        w.u64(self as u64)
    }
    fn get(r: &mut Reader) -> Option<Self> {
        MathFn2::ALL.get(r.len_small()?).copied()
    }
}

impl Reader<'_> {
    /// A small index (a tag's discriminant).
    fn len_small(&mut self) -> Option<usize> {
        usize::try_from(self.u64()?).ok()
    }
}

/// Generates `put_op` and `get_op` from the op table: the op's index in the table, then
/// its fields in declaration order.
macro_rules! define_codec {
    ($(
        $(#[$doc:meta])*
        $name:ident { $($field:ident : $ty:ty => $role:ident $(($count:ident))?),+ $(,)? }
    ),+ $(,)?) => {
        /// The ops' indices in the table.
        #[allow(dead_code)]
        #[repr(u8)]
        enum Tag { $($name),+ }

        fn put_op(op: &Op, w: &mut Writer) {
            match *op {
                $(Op::$name { $($field),+ } => {
                    w.buf.push(Tag::$name as u8);
                    $(Field::put($field, w);)+
                })+
            }
        }

        fn get_op(r: &mut Reader) -> Option<Op> {
            let tag = r.u8()?;
            $(if tag == Tag::$name as u8 {
                return Some(Op::$name { $($field: <$ty as Field>::get(r)?),+ });
            })+
            None
        }
    };
}

for_each_op!(define_codec);

fn put_prim(p: Prim, w: &mut Writer) {
    w.buf.push(p as u8);
}
fn get_prim(r: &mut Reader) -> Option<Prim> {
    Prim::ALL.get(r.u8()? as usize).copied()
}

const BINOPS: [BinOp; 18] = [
    BinOp::Add,
    BinOp::Sub,
    BinOp::Mul,
    BinOp::Div,
    BinOp::FloorDiv,
    BinOp::Mod,
    BinOp::Pow,
    BinOp::Lt,
    BinOp::Le,
    BinOp::Gt,
    BinOp::Ge,
    BinOp::Eq,
    BinOp::Ne,
    BinOp::BitAnd,
    BinOp::BitOr,
    BinOp::BitXor,
    BinOp::Shl,
    BinOp::Shr,
];

/// Writes an IR type.
pub fn put_type(t: &Type, w: &mut Writer) {
    match t {
        Type::Prim(p) => {
            w.buf.push(0);
            put_prim(*p, w);
        }
        Type::Array(p, n) => {
            w.buf.push(1);
            put_prim(*p, w);
            w.buf.push(*n);
        }
        Type::Tuple(ts) => {
            w.buf.push(2);
            w.u64(ts.len() as u64);
            for t in ts.iter() {
                put_type(t, w);
            }
        }
        Type::Unit => w.buf.push(3),
        Type::Str(Some(s)) => {
            w.buf.push(4);
            w.str(s);
        }
        Type::Unknown => w.buf.push(5),
        Type::Str(None) => w.buf.push(6),
    }
}

/// Reads an IR type.
pub fn get_type(r: &mut Reader) -> Option<Type> {
    get_type_at(r, 0)
}

fn get_type_at(r: &mut Reader, depth: u32) -> Option<Type> {
    if depth > MAX_DEPTH {
        return None;
    }
    Some(match r.u8()? {
        0 => Type::Prim(get_prim(r)?),
        1 => Type::Array(get_prim(r)?, r.u8()?),
        2 => {
            let n = r.count()?;
            let mut ts = Vec::with_capacity(n);
            for _ in 0..n {
                ts.push(get_type_at(r, depth + 1)?);
            }
            Type::tuple(ts)
        }
        3 => Type::Unit,
        4 => Type::str_lit(r.str()?.to_string()),
        5 => Type::Unknown,
        6 => Type::Str(None),
        _ => return None,
    })
}

fn put_loc(l: &Loc, w: &mut Writer) {
    match l {
        Loc::S(r) => {
            w.buf.push(0);
            w.u64(*r as u64);
        }
        Loc::A(r) => {
            w.buf.push(1);
            w.u64(*r as u64);
        }
        Loc::Tuple(ls) => {
            w.buf.push(2);
            w.u64(ls.len() as u64);
            for l in ls {
                put_loc(l, w);
            }
        }
        Loc::Unit => w.buf.push(3),
    }
}

fn get_loc(r: &mut Reader, depth: u32) -> Option<Loc> {
    if depth > MAX_DEPTH {
        return None;
    }
    Some(match r.u8()? {
        0 => Loc::S(r.u16()?),
        1 => Loc::A(r.u16()?),
        2 => {
            let n = r.count()?;
            let mut ls = Vec::with_capacity(n);
            for _ in 0..n {
                ls.push(get_loc(r, depth + 1)?);
            }
            Loc::Tuple(ls)
        }
        3 => Loc::Unit,
        _ => return None,
    })
}

fn put_operand(o: &Operand, w: &mut Writer) {
    match o {
        Operand::Array(r) => {
            w.buf.push(0);
            w.u64(*r as u64);
        }
        Operand::Scalar(r, p) => {
            w.buf.push(1);
            w.u64(*r as u64);
            put_prim(*p, w);
        }
    }
}

fn get_operand(r: &mut Reader) -> Option<Operand> {
    Some(match r.u8()? {
        0 => Operand::Array(r.u16()?),
        1 => Operand::Scalar(r.u16()?, get_prim(r)?),
        _ => return None,
    })
}

fn put_opt_reg(o: Option<Reg>, w: &mut Writer) {
    // 0 = none, r + 1 = register r.
    w.u64(o.map_or(0, |r| r as u64 + 1));
}

fn get_opt_reg(r: &mut Reader) -> Option<Option<Reg>> {
    match r.u64()? {
        0 => Some(None),
        v => Some(Some(u16::try_from(v - 1).ok()?)),
    }
}

fn put_slices(index: &[SliceOperand], w: &mut Writer) {
    w.u64(index.len() as u64);
    for s in index {
        match s {
            SliceOperand::At(r) => {
                w.buf.push(0);
                w.u64(*r as u64);
            }
            SliceOperand::Range(a, b, None) => {
                w.buf.push(1);
                put_opt_reg(*a, w);
                put_opt_reg(*b, w);
            }
            SliceOperand::Range(a, b, Some(c)) => {
                w.buf.push(2);
                put_opt_reg(*a, w);
                put_opt_reg(*b, w);
                w.u64(*c as u64);
            }
            SliceOperand::NewAxis => w.buf.push(3),
        }
    }
}

fn get_slices(r: &mut Reader) -> Option<Vec<SliceOperand>> {
    let n = r.count()?;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(match r.u8()? {
            0 => SliceOperand::At(r.u16()?),
            1 => SliceOperand::Range(get_opt_reg(r)?, get_opt_reg(r)?, None),
            2 => SliceOperand::Range(get_opt_reg(r)?, get_opt_reg(r)?, Some(r.u16()?)),
            3 => SliceOperand::NewAxis,
            _ => return None,
        });
    }
    Some(out)
}

fn put_builtin(b: Builtin, w: &mut Writer) {
    use Builtin::*;
    let (tag, arg): (u8, u64) = match b {
        Math1(f) => (0, f as u64),
        Math2(f) => (1, f as u64),
        Zeros(p) => (2, p as u64),
        Ones(p) => (3, p as u64),
        Full => (4, 0),
        Arange(p) => (5, p as u64),
        Copy => (6, 0),
        Reshape => (7, 0),
        Transpose => (8, 0),
        Ravel => (9, 0),
        Sort => (10, 0),
        Len => (11, 0),
        Shape => (12, 0),
        Size => (13, 0),
        Ndim => (14, 0),
        MinScalar => (15, 0),
        MaxScalar => (16, 0),
        IsNan => (17, 0),
        IsInf => (18, 0),
        Seed => (19, 0),
        Rand => (20, 0),
        Randn => (21, 0),
        Random => (22, 0),
        Host(i) => (23, i as u64),
        ReduceAxis(r) => (24, r as u64),
        Where(p) => (25, p as u64),
        ArrayLit(p) => (26, p as u64),
        LoadNpy(p, n) => (27, p as u64 * 4 + n as u64),
        SaveNpy => (28, 0),
        LoadCsv => (29, 0),
        SaveCsv => (30, 0),
        Join(p, stack) => (31, p as u64 * 2 + stack as u64),
        Dot => (32, 0),
        ReduceAll(r) => (33, r as u64),
    };
    w.buf.push(tag);
    w.u64(arg);
}

fn get_builtin(r: &mut Reader) -> Option<Builtin> {
    use Builtin::*;
    let tag = r.u8()?;
    let arg = r.u64()?;
    let prim = || Prim::ALL.get(arg as usize).copied();
    Some(match tag {
        0 => Math1(*MathFn::ALL.get(arg as usize)?),
        1 => Math2(*MathFn2::ALL.get(arg as usize)?),
        2 => Zeros(prim()?),
        3 => Ones(prim()?),
        4 => Full,
        5 => Arange(prim()?),
        24 => ReduceAxis(*Reduce::ALL.get(arg as usize)?),
        25 => Where(prim()?),
        26 => ArrayLit(prim()?),
        27 if (1..=3).contains(&(arg % 4)) => {
            LoadNpy(*Prim::ALL.get((arg / 4) as usize)?, (arg % 4) as u8)
        }
        28 => SaveNpy,
        29 => LoadCsv,
        30 => SaveCsv,
        31 => Join(*Prim::ALL.get((arg / 2) as usize)?, arg % 2 == 1),
        32 => Dot,
        33 => ReduceAll(*Reduce::ALL.get(arg as usize)?),
        6 => Copy,
        7 => Reshape,
        8 => Transpose,
        9 => Ravel,
        10 => Sort,
        11 => Len,
        12 => Shape,
        13 => Size,
        14 => Ndim,
        15 => MinScalar,
        16 => MaxScalar,
        17 => IsNan,
        18 => IsInf,
        19 => Seed,
        20 => Rand,
        21 => Randn,
        22 => Random,
        23 => Host(u32::try_from(arg).ok()?),
        _ => return None,
    })
}

fn put_ext(e: &Ext, w: &mut Writer) {
    match e {
        Ext::Print(args) => {
            w.buf.push(0);
            w.u64(args.len() as u64);
            for a in args {
                match a {
                    PrintArg::Str(s) => {
                        w.buf.push(0);
                        w.str(s);
                    }
                    PrintArg::Value(t, l) => {
                        w.buf.push(1);
                        put_type(t, w);
                        put_loc(l, w);
                    }
                }
            }
        }
        Ext::Assert { c, message } => {
            w.buf.push(1);
            w.u64(*c as u64);
            w.str(message);
        }
        Ext::ArrayBin {
            op,
            a,
            b,
            dst,
            a_temp,
            b_temp,
            elems,
        } => {
            w.buf.push(2);
            w.buf.push(*op as u8);
            put_operand(a, w);
            put_operand(b, w);
            w.u64(*dst as u64);
            w.bool(*a_temp);
            w.bool(*b_temp);
            put_prim(elems[0], w);
            put_prim(elems[1], w);
        }
        Ext::ArrayNeg { src, dst } | Ext::ArrayNot { src, dst } => {
            w.buf.push(if matches!(e, Ext::ArrayNeg { .. }) { 3 } else { 4 });
            w.u64(*src as u64);
            w.u64(*dst as u64);
        }
        Ext::ArrayCast { to, src, dst } => {
            w.buf.push(5);
            put_prim(*to, w);
            w.u64(*src as u64);
            w.u64(*dst as u64);
        }
        Ext::Slice { arr, index, dst } => {
            w.buf.push(6);
            w.u64(*arr as u64);
            put_slices(index, w);
            w.u64(*dst as u64);
        }
        Ext::StoreSlice { arr, index, value } => {
            w.buf.push(7);
            w.u64(*arr as u64);
            put_slices(index, w);
            put_operand(value, w);
        }
        Ext::Take { arr, index, dst } => {
            w.buf.push(9);
            w.u64(*arr as u64);
            w.u64(*index as u64);
            w.u64(*dst as u64);
        }
        Ext::StoreTake { arr, index, value } => {
            w.buf.push(10);
            w.u64(*arr as u64);
            w.u64(*index as u64);
            put_operand(value, w);
        }
        Ext::Builtin { b, args, dst } => {
            w.buf.push(8);
            put_builtin(*b, w);
            w.u64(args.len() as u64);
            for (t, l) in args {
                put_type(t, w);
                put_loc(l, w);
            }
            put_loc(dst, w);
        }
        Ext::ParFor {
            slot,
            s,
            a,
            n_s,
            n_a,
            reds,
        } => {
            w.buf.push(11);
            for v in [*slot as u64, *s as u64, *a as u64, *n_s as u64, *n_a as u64] {
                w.u64(v);
            }
            w.u64(reds.len() as u64);
            for (red, p) in reds {
                let k = crate::vocab::Reduce::ALL.iter().position(|x| x == red);
                w.buf.push(k.unwrap_or(0) as u8);
                put_prim(*p, w);
            }
        }
    }
}

fn get_ext(r: &mut Reader) -> Option<Ext> {
    Some(match r.u8()? {
        0 => {
            let n = r.count()?;
            let mut args = Vec::with_capacity(n);
            for _ in 0..n {
                args.push(match r.u8()? {
                    0 => PrintArg::Str(r.str()?.to_string()),
                    1 => PrintArg::Value(get_type(r)?, get_loc(r, 0)?),
                    _ => return None,
                });
            }
            Ext::Print(args)
        }
        1 => Ext::Assert {
            c: r.u16()?,
            message: r.str()?.to_string(),
        },
        2 => Ext::ArrayBin {
            op: *BINOPS.get(r.u8()? as usize)?,
            a: get_operand(r)?,
            b: get_operand(r)?,
            dst: r.u16()?,
            a_temp: r.bool()?,
            b_temp: r.bool()?,
            elems: [get_prim(r)?, get_prim(r)?],
        },
        3 => Ext::ArrayNeg {
            src: r.u16()?,
            dst: r.u16()?,
        },
        4 => Ext::ArrayNot {
            src: r.u16()?,
            dst: r.u16()?,
        },
        5 => Ext::ArrayCast {
            to: get_prim(r)?,
            src: r.u16()?,
            dst: r.u16()?,
        },
        6 => Ext::Slice {
            arr: r.u16()?,
            index: get_slices(r)?,
            dst: r.u16()?,
        },
        7 => Ext::StoreSlice {
            arr: r.u16()?,
            index: get_slices(r)?,
            value: get_operand(r)?,
        },
        9 => Ext::Take {
            arr: r.u16()?,
            index: r.u16()?,
            dst: r.u16()?,
        },
        10 => Ext::StoreTake {
            arr: r.u16()?,
            index: r.u16()?,
            value: get_operand(r)?,
        },
        11 => {
            let slot = r.u32()?;
            let (s, a, n_s, n_a) = (r.u16()?, r.u16()?, r.u16()?, r.u16()?);
            let n = r.count()?;
            let mut reds = Vec::with_capacity(n);
            for _ in 0..n {
                let red = *crate::vocab::Reduce::ALL.get(r.u8()? as usize)?;
                reds.push((red, get_prim(r)?));
            }
            Ext::ParFor {
                slot,
                s,
                a,
                n_s,
                n_a,
                reds,
            }
        }
        8 => {
            let b = get_builtin(r)?;
            let n = r.count()?;
            let mut args = Vec::with_capacity(n);
            for _ in 0..n {
                args.push((get_type(r)?, get_loc(r, 0)?));
            }
            Ext::Builtin {
                b,
                args,
                dst: get_loc(r, 0)?,
            }
        }
        _ => return None,
    })
}

/// Writes one specialization's bytecode.
pub fn put_fn(f: &CompiledFn, w: &mut Writer) {
    w.u64(f.func as u64);
    w.u64(f.n_s as u64);
    w.u64(f.n_a as u64);
    w.u64(f.code.len() as u64);
    for op in &f.code {
        put_op(op, w);
    }
    // Spans: mostly in one file and close together, so each is its difference from the
    // previous one.
    let mut prev = Span::default();
    for s in f.spans.iter() {
        w.u64(s.file as u64);
        w.i64(s.lo as i64 - prev.lo as i64);
        w.i64(s.hi as i64 - s.lo as i64);
        prev = s;
    }
    w.u64(f.consts.len() as u64);
    for &c in &f.consts {
        w.u64(c);
    }
    w.u64(f.divisors.len() as u64);
    for d in &f.divisors {
        w.u64(d.get());
    }
    w.u64(f.ext.len() as u64);
    for e in &f.ext {
        put_ext(e, w);
    }
}

/// Reads one specialization's bytecode; `None` unless it is well-formed, passes
/// [`super::verify`] and calls only slots below `n_funcs`.
pub fn get_fn(r: &mut Reader, n_funcs: usize) -> Option<CompiledFn> {
    let func: FuncId = r.u32()?;
    let n_s = usize::try_from(r.u64()?).ok()?;
    let n_a = usize::try_from(r.u64()?).ok()?;
    let n = r.count()?;
    let mut code = Vec::with_capacity(n);
    for _ in 0..n {
        code.push(get_op(r)?);
    }
    let mut spans = Spans::with_capacity(n);
    let mut prev = Span::default();
    for _ in 0..n {
        let file = r.u32()?;
        let lo = u32::try_from(prev.lo as i64 + r.i64()?).ok()?;
        let hi = u32::try_from(lo as i64 + r.i64()?).ok()?;
        prev = Span { file, lo, hi };
        spans.push(prev);
    }
    let n = r.count()?;
    let mut consts = Vec::with_capacity(n);
    for _ in 0..n {
        consts.push(r.u64()?);
    }
    let n = r.count()?;
    let mut divisors = Vec::with_capacity(n);
    for _ in 0..n {
        let d = r.u64()?;
        if d == 0 {
            return None;
        }
        divisors.push(strength_reduce::StrengthReducedU64::new(d));
    }
    let n = r.count()?;
    let mut ext = Vec::with_capacity(n);
    for _ in 0..n {
        ext.push(get_ext(r)?);
    }
    let f = CompiledFn {
        func,
        code,
        spans,
        consts,
        divisors,
        ext,
        n_s,
        n_a,
    };
    let slots_ok = f.callees().iter().all(|&slot| (slot as usize) < n_funcs);
    (slots_ok && (func as usize) < n_funcs && super::verify(&f).is_ok()).then_some(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_function_of_the_corpus_round_trips() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/programs");
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .expect("the corpus")
            .flatten()
            .flat_map(|d| std::fs::read_dir(d.path()).into_iter().flatten().flatten())
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "nk"))
            .collect();
        files.sort();
        let mut n = 0;
        for path in files {
            let Ok(loaded) = crate::loader::load_file(&path, &[]) else {
                continue;
            };
            let Ok(prog) = crate::types::check_program(&loaded) else {
                continue;
            };
            for id in 0..prog.funcs.len() {
                let Ok(f) = super::super::compile(&prog, id as FuncId) else {
                    continue;
                };
                let mut w = Writer::default();
                put_fn(&f, &mut w);
                let mut r = Reader::new(&w.buf);
                let g = get_fn(&mut r, prog.funcs.len()).expect("decodes");
                assert!(r.at_end());
                assert_eq!(format!("{f:?}"), format!("{g:?}"), "{}", prog.funcs[id].name);
                n += 1;
                if n % 50 == 1 {
                    // Every prefix is refused, never a panic.
                    for cut in 0..w.buf.len() {
                        assert!(get_fn(&mut Reader::new(&w.buf[..cut]), prog.funcs.len()).is_none());
                    }
                }
            }
        }
        assert!(n > 100, "only {n} functions");
    }

    #[test]
    fn types_round_trip_and_junk_is_refused() {
        let t = Type::tuple(vec![
            Type::F64,
            Type::Array(Prim::Bool, 2),
            Type::str_lit("s".into()),
            Type::Str(None),
            Type::Unit,
        ]);
        let mut w = Writer::default();
        put_type(&t, &mut w);
        assert_eq!(get_type(&mut Reader::new(&w.buf)), Some(t));
        assert!(get_type(&mut Reader::new(&[9])).is_none());
        let deep = [2u8, 1].repeat(100);
        assert!(get_type(&mut Reader::new(&deep)).is_none());
    }
}
