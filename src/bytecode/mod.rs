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

// The ops' comments use register notation (`s[dst]`), not intra-doc links.
#![allow(rustdoc::broken_intra_doc_links)]

use crate::ir::{Builtin, FuncId, Type};
use crate::source::Span;
use crate::vocab::{BinOp, MathFn, MathFn2, Prim};

mod lower;

/// Lowers specialization `id` to verified bytecode.
pub fn compile(prog: &crate::ir::Program, id: FuncId) -> Result<CompiledFn, String> {
    let f = lower::lower(prog, id)?;
    // The dispatch loop's unchecked register access relies on this check.
    verify(&f)?;
    Ok(f)
}

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
    /// s[dst] = s[a] // divisors[d] — a positive constant divisor, by multiplication
    FloorDivIK {
        dst: Reg,
        a: Reg,
        d: u16,
    },
    /// s[dst] = s[a] % divisors[d] — a positive constant divisor, by multiplication
    ModIK {
        dst: Reg,
        a: Reg,
        d: u16,
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
    /// s[dst] = s[a] * s[b] + s[c] (wrapping) — a superinstruction, like the five below
    MulAddI {
        dst: Reg,
        a: Reg,
        b: Reg,
        c: Reg,
    },
    /// s[dst] = s[a] * s[b] - s[c]
    MulSubI {
        dst: Reg,
        a: Reg,
        b: Reg,
        c: Reg,
    },
    /// s[dst] = s[c] - s[a] * s[b]
    SubMulI {
        dst: Reg,
        a: Reg,
        b: Reg,
        c: Reg,
    },
    /// s[dst] = s[a] * s[b] + s[c], rounded twice (not a fused multiply-add)
    MulAddF {
        dst: Reg,
        a: Reg,
        b: Reg,
        c: Reg,
    },
    /// s[dst] = s[a] * s[b] - s[c]
    MulSubF {
        dst: Reg,
        a: Reg,
        b: Reg,
        c: Reg,
    },
    /// s[dst] = s[c] - s[a] * s[b]
    SubMulF {
        dst: Reg,
        a: Reg,
        b: Reg,
        c: Reg,
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
    /// if s[a] != s[b] goto target (i64 or bool)
    JmpNotEqI {
        a: Reg,
        b: Reg,
        target: u32,
    },
    /// if s[a] == s[b] goto target (i64 or bool)
    JmpNotNeI {
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

impl Op {
    /// The op's jump target, if it can jump.
    pub fn jump_target(&self) -> Option<u32> {
        match *self {
            Op::Jmp { target }
            | Op::JmpIf { target, .. }
            | Op::JmpIfNot { target, .. }
            | Op::JmpNotLtI { target, .. }
            | Op::JmpNotLeI { target, .. }
            | Op::JmpNotEqI { target, .. }
            | Op::JmpNotNeI { target, .. }
            | Op::JmpNotLtF { target, .. }
            | Op::JmpNotLeF { target, .. }
            | Op::ForLoop { target, .. }
            | Op::ForStepPrep { target, .. }
            | Op::ForStep { target, .. } => Some(target),
            _ => None,
        }
    }
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
    /// error with `message` if s[c] is false
    Assert {
        c: Reg,
        message: String,
    },
    /// a[dst] = elementwise a op b
    /// `a_temp`/`b_temp`: the operand's register holds a temporary (not a variable), so
    /// if no one else holds the array the result may be written into it.
    ArrayBin {
        op: BinOp,
        a: Operand,
        b: Operand,
        dst: Reg,
        a_temp: bool,
        b_temp: bool,
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
    /// Positive constant divisors with their precomputed reciprocals (`FloorDivIK`, `ModIK`):
    /// a multiply and a shift instead of a 64-bit hardware division.
    pub divisors: Vec<strength_reduce::StrengthReducedU64>,
    pub ext: Vec<Ext>,
    /// Frame sizes in both files.
    pub n_s: usize,
    pub n_a: usize,
}

impl CompiledFn {
    /// The callees in link-vector order: first appearance in code order. Native code
    /// numbers its call sites with this list, and the heap key names callees in it.
    pub fn callees(&self) -> Vec<FuncId> {
        let mut out = Vec::new();
        for op in &self.code {
            if let Op::Call { slot, .. } = *op {
                if !out.contains(&slot) {
                    out.push(slot);
                }
            }
        }
        out
    }

    /// Whether the code has a loop (a jump backwards).
    pub fn has_loop(&self) -> bool {
        self.code
            .iter()
            .enumerate()
            .any(|(pc, op)| op.jump_target().is_some_and(|t| t as usize <= pc))
    }

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

/// Checks that every operand of every op is inside its function's frame and tables, every
/// jump lands inside the code, and the code cannot run off its end. The dispatch loop
/// relies on this to index registers and code without bounds checks.
pub fn verify(f: &CompiledFn) -> Result<(), String> {
    let n_code = f.code.len();
    let bad = |pc: usize, what: &str| {
        Err(format!(
            "bytecode verifier: op {pc} ({:?}): {what}",
            f.code[pc]
        ))
    };
    match f.code.last() {
        Some(Op::Ret { .. }) | Some(Op::Jmp { .. }) => {}
        _ => return Err("bytecode verifier: code may run off its end".to_string()),
    }
    if f.spans.len() != n_code {
        return Err("bytecode verifier: one span per op is required".to_string());
    }
    for (pc, op) in f.code.iter().enumerate() {
        let s_ok = |r: &[Reg]| r.iter().all(|&r| (r as usize) < f.n_s);
        let a_ok = |r: &[Reg]| r.iter().all(|&r| (r as usize) < f.n_a);
        let t_ok = |t: u32| (t as usize) < n_code;
        let ok = match *op {
            Op::LoadK { dst, k } => s_ok(&[dst]) && (k as usize) < f.consts.len(),
            Op::Mov { dst, src } => s_ok(&[dst, src]),
            Op::MovA { dst, src } => a_ok(&[dst, src]),
            Op::AddI { dst, a, b }
            | Op::SubI { dst, a, b }
            | Op::MulI { dst, a, b }
            | Op::FloorDivI { dst, a, b }
            | Op::ModI { dst, a, b }
            | Op::PowI { dst, a, b }
            | Op::AddF { dst, a, b }
            | Op::SubF { dst, a, b }
            | Op::MulF { dst, a, b }
            | Op::DivF { dst, a, b }
            | Op::FloorDivF { dst, a, b }
            | Op::ModF { dst, a, b }
            | Op::PowF { dst, a, b }
            | Op::LtI { dst, a, b }
            | Op::LeI { dst, a, b }
            | Op::EqI { dst, a, b }
            | Op::NeI { dst, a, b }
            | Op::LtF { dst, a, b }
            | Op::LeF { dst, a, b }
            | Op::EqF { dst, a, b }
            | Op::NeF { dst, a, b }
            | Op::MinI { dst, a, b }
            | Op::MaxI { dst, a, b }
            | Op::Math2 { dst, a, b, .. } => s_ok(&[dst, a, b]),
            Op::MulAddI { dst, a, b, c }
            | Op::MulSubI { dst, a, b, c }
            | Op::SubMulI { dst, a, b, c }
            | Op::MulAddF { dst, a, b, c }
            | Op::MulSubF { dst, a, b, c }
            | Op::SubMulF { dst, a, b, c } => s_ok(&[dst, a, b, c]),
            Op::FloorDivIK { dst, a, d } | Op::ModIK { dst, a, d } => {
                s_ok(&[dst, a]) && (d as usize) < f.divisors.len()
            }
            Op::AddIImm { dst, a, .. }
            | Op::NegI { dst, a }
            | Op::NegF { dst, a }
            | Op::Not { dst, a }
            | Op::I2F { dst, a }
            | Op::F2I { dst, a }
            | Op::Math1 { dst, a, .. }
            | Op::AbsI { dst, a }
            | Op::IsNan { dst, a }
            | Op::IsInf { dst, a } => s_ok(&[dst, a]),
            Op::Jmp { target } => t_ok(target),
            Op::JmpIf { c, target } | Op::JmpIfNot { c, target } => s_ok(&[c]) && t_ok(target),
            Op::JmpNotLtI { a, b, target }
            | Op::JmpNotLeI { a, b, target }
            | Op::JmpNotEqI { a, b, target }
            | Op::JmpNotNeI { a, b, target }
            | Op::JmpNotLtF { a, b, target }
            | Op::JmpNotLeF { a, b, target } => s_ok(&[a, b]) && t_ok(target),
            Op::ForLoop { i, end, target } => s_ok(&[i, end]) && t_ok(target),
            Op::ForStepPrep {
                i,
                end,
                step,
                target,
            }
            | Op::ForStep {
                i,
                end,
                step,
                target,
            } => s_ok(&[i, end, step]) && t_ok(target),
            Op::ALoad1 { dst, arr, i } => s_ok(&[dst, i]) && a_ok(&[arr]),
            Op::ALoad2 { dst, arr, i, j } => s_ok(&[dst, i, j]) && a_ok(&[arr]),
            Op::ALoad3 { dst, arr, idx } => {
                s_ok(&[dst]) && (idx as usize) + 2 < f.n_s && a_ok(&[arr])
            }
            Op::AStore1 { arr, i, src } => s_ok(&[i, src]) && a_ok(&[arr]),
            Op::AStore2 { arr, i, j, src } => s_ok(&[i, j, src]) && a_ok(&[arr]),
            Op::AStore3 { arr, idx, src } => {
                s_ok(&[src]) && (idx as usize) + 2 < f.n_s && a_ok(&[arr])
            }
            Op::Len { dst, arr } => s_ok(&[dst]) && a_ok(&[arr]),
            Op::Call { s, a, .. } => (s as usize) <= f.n_s && (a as usize) <= f.n_a,
            Op::Ret { s, ns, a, na } => {
                s as usize + ns as usize <= f.n_s && a as usize + na as usize <= f.n_a
            }
            Op::Ext { i } => (i as usize) < f.ext.len(),
        };
        if !ok {
            return bad(pc, "operand outside the frame, tables or code");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn func(code: Vec<Op>, n_s: usize) -> CompiledFn {
        CompiledFn {
            func: 0,
            spans: vec![Span::default(); code.len()],
            code,
            consts: vec![7],
            divisors: vec![],
            ext: vec![],
            n_s,
            n_a: 0,
        }
    }

    #[test]
    fn verifier_accepts_well_formed_code() {
        let f = func(
            vec![
                Op::LoadK { dst: 0, k: 0 },
                Op::AddI { dst: 1, a: 0, b: 0 },
                Op::Ret {
                    s: 1,
                    ns: 1,
                    a: 0,
                    na: 0,
                },
            ],
            2,
        );
        assert!(verify(&f).is_ok());
    }

    #[test]
    fn verifier_rejects_out_of_frame_registers_bad_jumps_and_fall_through() {
        let reg = func(
            vec![
                Op::AddI { dst: 2, a: 0, b: 0 },
                Op::Ret {
                    s: 0,
                    ns: 0,
                    a: 0,
                    na: 0,
                },
            ],
            2,
        );
        assert!(verify(&reg).is_err());
        let jump = func(vec![Op::Jmp { target: 5 }], 1);
        assert!(verify(&jump).is_err());
        let falls = func(vec![Op::Mov { dst: 0, src: 0 }], 1);
        assert!(verify(&falls).is_err());
        let konst = func(
            vec![
                Op::LoadK { dst: 0, k: 1 },
                Op::Ret {
                    s: 0,
                    ns: 0,
                    a: 0,
                    na: 0,
                },
            ],
            1,
        );
        assert!(verify(&konst).is_err());
    }
}
