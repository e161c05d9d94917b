//! The interpreter's bytecode: a register machine over two register files.
//!
//! ```text
//!  scalar file  s[base_s + r] : u64   i64 / f64 bits / bool 0-1 — the IR says which
//!  array file   a[base_a + r] : Option<Rc<Array>>
//! ```
//! Tuples have no registers of their own: they are flattened into their leaves. A call
//! passes arguments in a *window*: the caller writes them into consecutive registers at
//! the top of its frame in both files, and the callee's frame starts there (Lua's
//! calling convention), so arguments are never copied again. Results come back the same
//! way, in the callee's first registers.
//!
//! Every operation is defined once, in the `Op` enum below, with its meaning beside it.
//! Hot operations are small `Copy` variants; rare, data-heavy ones (array expressions,
//! built-ins, print) live in a per-function side table (`Ext`) so `Op` stays compact.
//! No operation checks a type at run time: the typed IR fixed them all.

use crate::ir::ops::{BinOp, MathFn, MathFn2, Prim};
use crate::ir::{Builtin, FuncId, Type};
use crate::syntax::Span;

pub type Reg = u16;

/// Where a value lives: one register, or (for a tuple) the places of its leaves.
#[derive(Clone, Debug, PartialEq)]
pub enum Loc {
    S(Reg),
    A(Reg),
    Tuple(Vec<Loc>),
    Unit,
}

#[derive(Clone, Copy, Debug)]
pub enum Op {
    // --- moves and constants
    /// s[dst] = consts[k]
    LoadK {
        dst: Reg,
        k: u32,
    },
    /// s[dst] = s[src]
    Mov {
        dst: Reg,
        src: Reg,
    },
    /// a[dst] = a[src] (shares the array)
    MovA {
        dst: Reg,
        src: Reg,
    },

    // --- i64 arithmetic (wrapping) and f64 arithmetic (IEEE)
    AddI {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    SubI {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    MulI {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    /// floor division; error on zero divisor
    FloorDivI {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    /// floor modulo; error on zero divisor
    ModI {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    /// error on negative exponent
    PowI {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    /// s[dst] = s[a] + imm
    AddIImm {
        dst: Reg,
        a: Reg,
        imm: i32,
    },
    AddF {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    SubF {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    MulF {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    DivF {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    FloorDivF {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    ModF {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    PowF {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    NegI {
        dst: Reg,
        a: Reg,
    },
    NegF {
        dst: Reg,
        a: Reg,
    },
    Not {
        dst: Reg,
        a: Reg,
    },

    // --- comparisons: s[dst] = s[a] op s[b] as bool (Gt/Ge are emitted with swapped operands)
    LtI {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    LeI {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    EqI {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    NeI {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    LtF {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    LeF {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    EqF {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    NeF {
        dst: Reg,
        a: Reg,
        b: Reg,
    },

    // --- conversions and scalar math
    /// i64 → f64
    I2F {
        dst: Reg,
        a: Reg,
    },
    /// f64 → i64, truncating toward zero (NaN/out of range → i64::MIN, as NumPy on x86)
    F2I {
        dst: Reg,
        a: Reg,
    },
    Math1 {
        f: MathFn,
        dst: Reg,
        a: Reg,
    },
    AbsI {
        dst: Reg,
        a: Reg,
    },
    Math2 {
        f: MathFn2,
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    MinI {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    MaxI {
        dst: Reg,
        a: Reg,
        b: Reg,
    },
    IsNan {
        dst: Reg,
        a: Reg,
    },
    IsInf {
        dst: Reg,
        a: Reg,
    },

    // --- control
    Jmp {
        target: u32,
    },
    JmpIf {
        c: Reg,
        target: u32,
    },
    JmpIfNot {
        c: Reg,
        target: u32,
    },
    /// if !(s[a] < s[b]) goto target (i64) — a fused loop test
    JmpNotLtI {
        a: Reg,
        b: Reg,
        target: u32,
    },
    /// if !(s[a] <= s[b]) goto target (i64)
    JmpNotLeI {
        a: Reg,
        b: Reg,
        target: u32,
    },
    /// if !(s[a] < s[b]) goto target (f64)
    JmpNotLtF {
        a: Reg,
        b: Reg,
        target: u32,
    },
    /// if !(s[a] <= s[b]) goto target (f64)
    JmpNotLeF {
        a: Reg,
        b: Reg,
        target: u32,
    },
    /// s[i] += 1; if s[i] < s[end] goto target
    ForLoop {
        i: Reg,
        end: Reg,
        target: u32,
    },
    /// error if s[step] == 0; if the range from s[i] is empty goto target
    ForStepPrep {
        i: Reg,
        end: Reg,
        step: Reg,
        target: u32,
    },
    /// s[i] += s[step]; if still inside the range goto target
    ForStep {
        i: Reg,
        end: Reg,
        step: Reg,
        target: u32,
    },

    // --- arrays (element access, bounds-checked, negative indices from the end)
    /// s[dst] = a[arr][s[i]]
    ALoad1 {
        dst: Reg,
        arr: Reg,
        i: Reg,
    },
    /// s[dst] = a[arr][s[i], s[j]]
    ALoad2 {
        dst: Reg,
        arr: Reg,
        i: Reg,
        j: Reg,
    },
    /// s[dst] = a[arr][s[idx], s[idx+1], s[idx+2]]
    ALoad3 {
        dst: Reg,
        arr: Reg,
        idx: Reg,
    },
    /// a[arr][s[i]] = s[src]
    AStore1 {
        arr: Reg,
        i: Reg,
        src: Reg,
    },
    AStore2 {
        arr: Reg,
        i: Reg,
        j: Reg,
        src: Reg,
    },
    AStore3 {
        arr: Reg,
        idx: Reg,
        src: Reg,
    },
    /// s[dst] = len(a[arr])
    Len {
        dst: Reg,
        arr: Reg,
    },

    // --- calls, through the indirection table
    /// call table[slot] with the window at (s: base_s + s, a: base_a + a)
    Call {
        slot: FuncId,
        s: Reg,
        a: Reg,
    },
    /// return the `ns` scalar leaves from s[s..] and `na` array leaves from a[a..]
    Ret {
        s: Reg,
        ns: u16,
        a: Reg,
        na: u16,
    },

    /// a rare operation described by `ext[i]`
    Ext {
        i: u32,
    },
}

/// An operand of an elementwise array operation.
#[derive(Clone, Debug)]
pub enum Operand {
    Array(Reg),
    Scalar(Reg, Prim),
}

#[derive(Clone, Debug)]
pub enum SliceOperand {
    At(Reg),
    Range(Option<Reg>, Option<Reg>),
}

#[derive(Clone, Debug)]
pub enum PrintArg {
    Str(String),
    Value(Type, Loc),
}

/// The rare, data-heavy operations.
#[derive(Clone, Debug)]
pub enum Ext {
    Print(Vec<PrintArg>),
    Assert {
        c: Reg,
        msg: Option<String>,
    },
    /// a[dst] = elementwise a op b
    ArrayBin {
        op: BinOp,
        a: Operand,
        b: Operand,
        dst: Reg,
    },
    ArrayNeg {
        src: Reg,
        dst: Reg,
    },
    ArrayNot {
        src: Reg,
        dst: Reg,
    },
    ArrayCast {
        to: Prim,
        src: Reg,
        dst: Reg,
    },
    /// a[dst] = view of a[arr]
    Slice {
        arr: Reg,
        index: Vec<SliceOperand>,
        dst: Reg,
    },
    /// a[arr][index] = value (a scalar fills, an array is copied in)
    StoreSlice {
        arr: Reg,
        index: Vec<SliceOperand>,
        value: Operand,
    },
    /// dst = builtin(args), through the generic value path
    Builtin {
        b: Builtin,
        args: Vec<(Type, Loc)>,
        dst: Loc,
    },
}

/// One specialization compiled to bytecode.
#[derive(Debug)]
pub struct CompiledFn {
    pub func: FuncId,
    pub code: Vec<Op>,
    /// The source span of each op, for runtime errors.
    pub spans: Vec<Span>,
    pub consts: Vec<u64>,
    pub ext: Vec<Ext>,
    /// Frame sizes in both files.
    pub n_s: usize,
    pub n_a: usize,
}

impl CompiledFn {
    /// A readable listing (for the inspector and for debugging the compiler).
    pub fn disassemble(&self) -> String {
        let mut out = String::new();
        for (pc, op) in self.code.iter().enumerate() {
            out.push_str(&format!("{pc:5}  {op:?}"));
            if let Op::Ext { i } = op {
                out.push_str(&format!("  ; {:?}", self.ext[*i as usize]));
            }
            if let Op::LoadK { k, .. } = op {
                out.push_str(&format!("  ; bits {:#x}", self.consts[*k as usize]));
            }
            out.push('\n');
        }
        out
    }
}
