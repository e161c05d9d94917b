//! Bytecode → Cranelift IR.
//!
//! The Cranelift tier compiles a specialization's *bytecode* (already register-allocated,
//! tuples flattened, calls in windows), so both tiers share one lowering of the typed IR
//! and one frame layout. Each scalar register becomes an SSA variable (typed `f64` when
//! only float operations touch it, `i64` otherwise); its memory word in the register file
//! is only a transport, written before a call or helper that reads it and read back after
//! one that writes it. Array registers stay in memory (they are reference-counted).
//!
//! What runs inline: scalar arithmetic and comparisons, control flow, loops, element
//! loads and stores with NumPy's negative indices and bounds checks, `len`, calls through
//! the table. Everything else — the failing side of every check, integer `**`, array
//! expressions, slicing, built-ins, `print` — calls `H_EXEC_OP`, which runs that one
//! bytecode op exactly as the interpreter does. So an error message or an output can
//! never differ between the tiers: the same Rust code produces it.

use crate::abi::*;
use crate::bytecode::{
    Class, CompiledFn, Ext, Loc, Op, Operand, PrintArg, Reg, Role, SliceOperand,
};
use crate::ir::{FuncId, Program, Type};
use crate::runtime::native_layout as AL;
use super::diamonds::Diamond;
use super::versions::{Axis, GuardKind, Step, Version};
use crate::vocab::{BinOp, MathFn, MathFn2, Prim};
use cranelift_codegen::ir::condcodes::{CondCode, FloatCC, IntCC};
use cranelift_codegen::ir::{
    types, AbiParam, AliasRegionData, Block, BlockArg, Function, Inst, InstBuilder,
    InstructionData, MemFlagsData, Opcode, SigRef, Signature, StackSlot, StackSlotData, StackSlotKind,
    Value as V, ValueDef,
};
use cranelift_codegen::isa::{CallConv, TargetFrontendConfig};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Variable};

const I64: types::Type = types::I64;
/// Loop iterations between two looks at the interrupt flag in native code.
const POLL_EVERY: i64 = 1024;
/// Iterations per pass of a loop's `f64x2` copy (`two_lane_loop`): the body twice, to
/// spread the pass's fixed cost (its test, the poll, the allocator's moves) over four.
const LANE_PASS: i64 = 4;
const F64: types::Type = types::F64;

/// Number of scalar leaves of a value of type `t` (its registers in a call window).
pub fn scalar_leaves(t: &Type) -> usize {
    match t {
        Type::Prim(_) => 1,
        Type::Tuple(ts) => ts.iter().map(scalar_leaves).sum(),
        _ => 0,
    }
}

/// Number of array leaves of a value of type `t` (its array registers in a call window;
/// a run-time string is an array register too, as `bytecode::lower` allocates them).
pub fn array_leaves(t: &Type) -> usize {
    match t {
        Type::Array(..) | Type::Str(None) => 1,
        Type::Tuple(ts) => ts.iter().map(array_leaves).sum(),
        _ => 0,
    }
}

/// The signature every compiled specialization has (see [`NativeFn`]).
pub fn native_signature(cc: CallConv) -> Signature {
    let mut s = Signature::new(cc);
    for _ in 0..5 {
        s.params.push(AbiParam::new(I64));
    }
    s.returns.push(AbiParam::new(I64));
    s
}

fn sig(cc: CallConv, params: &[types::Type], ret: Option<types::Type>) -> Signature {
    let mut s = Signature::new(cc);
    s.params.extend(params.iter().map(|t| AbiParam::new(*t)));
    s.returns.extend(ret.map(AbiParam::new));
    s
}

/// Register classes: `F64` for a register only float operations touch, else `I64`.
/// "Touch" is the op table's float and integer roles (`Role::class`).
fn classify(f: &CompiledFn) -> Vec<types::Type> {
    #[derive(Clone, Copy, Default)]
    struct Use {
        float: bool,
        int: bool,
    }
    let mut u = vec![Use::default(); f.n_s];
    for op in &f.code {
        for o in op.operands() {
            match o.role.class() {
                Some(Class::Float) => o.regs().for_each(|r| u[r].float = true),
                Some(Class::Int) => o.regs().for_each(|r| u[r].int = true),
                None => {}
            }
        }
    }
    // Moves and loads carry no type of their own: a register written only by moves from
    // float registers (or read only into them) is a float register too.
    let mut ty: Vec<types::Type> = u
        .iter()
        .map(|x| if x.float && !x.int { F64 } else { I64 })
        .collect();
    let free: Vec<bool> = u.iter().map(|x| !x.float && !x.int).collect();
    for _ in 0..4 {
        for op in &f.code {
            if let Op::Mov { dst, src } = *op {
                let (d, s) = (dst as usize, src as usize);
                if free[d] && ty[s] == F64 {
                    ty[d] = F64;
                }
                if free[s] && ty[d] == F64 {
                    ty[s] = F64;
                }
            }
        }
    }
    ty
}

/// Narrows float registers to `F32` where every write gives an `f32` value, so `f32`
/// arithmetic runs on `f32` registers: a sum `s += y[i]` over `f32` values is one `addss`
/// instead of a widening, an `f64` add and the `RoundF32` op's round trip (three dependent
/// conversions per element). Exact: for `+ - * /`, an `f64` operation on two `f32` values
/// rounded to `f32` equals the `f32` operation (the `f64` significand has more than twice
/// the bits plus two), and the register's memory form stays the `f64` the interpreter
/// uses (widened on every flush, narrowed, exactly, on every reload).
///
/// A write gives an `f32` value when it is `RoundF32`, an `f32` element load, an integer
/// converted to `f32`, a constant that `f32` holds exactly, or a move or negation of an
/// `F32` register; and `x op y` of two `F32` registers (`+ - * /`) when the next op rounds
/// its result in place and no jump lands between them (then nothing sees the value
/// before the rounding). Anything else writing the register (a parameter, a call's
/// result, a built-in, another operation) keeps it `F64`. Optimistic fixed point: start
/// from every float register, drop those with another write until none changes.
fn narrow_f32(
    f: &CompiledFn,
    prog: &Program,
    starts: &[bool],
    ty: &mut [types::Type],
    n_params: usize,
) {
    let mut f32r: Vec<bool> = (0..f.n_s).map(|r| ty[r] == F64 && r >= n_params).collect();
    let rounds_in_place = |pc: usize, d: u16| {
        pc + 1 < f.code.len()
            && !starts[pc + 1]
            && matches!(f.code[pc + 1], Op::RoundF32 { dst, a } if dst == d && a == d)
    };
    // Every scalar register each op writes (a built-in's results, a call's too), once.
    let writes: Vec<Vec<u16>> = f
        .code
        .iter()
        .map(|op| {
            let mut w: Vec<u16> = op.s_writes().collect();
            match op {
                Op::Ext { i } => w.extend(ext_regs(&f.ext[*i as usize]).1),
                Op::Call { slot, s: ws, .. } => {
                    let n = scalar_leaves(&prog.funcs[*slot as usize].ret) as u16;
                    w.extend(*ws..*ws + n);
                }
                _ => {}
            }
            w
        })
        .collect();
    let mut changed = true;
    while changed {
        changed = false;
        for (pc, op) in f.code.iter().enumerate() {
            for &w in &writes[pc] {
                if !f32r[w as usize] {
                    continue;
                }
                let ok = match *op {
                    Op::RoundF32 { .. } => true,
                    Op::ALoad1 { e, .. } | Op::ALoad2 { e, .. } | Op::ALoad3 { e, .. } => {
                        e == Prim::F32
                    }
                    Op::I2F { to, .. } => to == Prim::F32,
                    Op::LoadK { k, .. } => {
                        let x = f64::from_bits(f.consts[k as usize]);
                        !x.is_nan() && (x as f32) as f64 == x
                    }
                    Op::Mov { src, .. } | Op::NegF { a: src, .. } => f32r[src as usize],
                    Op::AddF { dst, a, b }
                    | Op::SubF { dst, a, b }
                    | Op::MulF { dst, a, b }
                    | Op::DivF { dst, a, b } => {
                        f32r[a as usize] && f32r[b as usize] && rounds_in_place(pc, dst)
                    }
                    _ => false,
                };
                if !ok {
                    f32r[w as usize] = false;
                    changed = true;
                }
            }
        }
    }
    // A register only constants write stays `F64` (an `f64` constant needs no `f32` register
    // and its readers no widening); `f32` operations still read it as an `f32`, exactly.
    let mut seeded = vec![false; f.n_s];
    for op in &f.code {
        if !matches!(op, Op::LoadK { .. }) {
            op.s_writes().for_each(|r| seeded[r as usize] = true);
        }
    }
    for (r, &yes) in f32r.iter().enumerate() {
        if yes && seeded[r] {
            ty[r] = types::F32;
        }
    }
}

/// How many scalar registers `f`'s parameters fill (its caller writes them).
pub(super) fn scalar_params(prog: &Program, f: &CompiledFn) -> usize {
    let func_ir = &prog.funcs[f.func as usize];
    func_ir
        .params
        .iter()
        .map(|&p| scalar_leaves(&func_ir.locals[p as usize].ty))
        .sum()
}

/// Each scalar register's Cranelift type: `classify`, then `narrow_f32`.
pub(super) fn register_classes(prog: &Program, f: &CompiledFn, starts: &[bool]) -> Vec<types::Type> {
    let mut ty = classify(f);
    narrow_f32(f, prog, starts, &mut ty, scalar_params(prog, f));
    ty
}

/// `(m, s)` with `u / k == (u * m) >> (64 + s)` for every `u < 2^63`, for a `k > 1`.
///
/// With `p = 64 + s` and `m = ceil(2^p / k)`, the error `e = m * k - 2^p` (`0 <= e < k`)
/// adds `e * u / (k * 2^p)` to `u / k`, which stays below the next integer while
/// `e * u < 2^p`: true for every `u < 2^63` when `e <= 2^(s + 1)`. The smallest `s` for
/// which that holds is at most `ceil(log2 k) - 1`, where `m` still fits in 64 bits.
fn magic_below_2_63(k: u64) -> (u64, u32) {
    debug_assert!(k > 1);
    for s in 0..64 {
        let p = 64 + s;
        let m = (1u128 << p).div_ceil(k as u128);
        let e = m * k as u128 - (1u128 << p);
        if m <= u64::MAX as u128 && e <= 1u128 << (s + 1) {
            return (m as u64, s);
        }
    }
    unreachable!("s = ceil(log2 k) - 1 always qualifies")
}

/// log2 of an element's size in bytes.
fn elem_shift(e: Prim) -> i64 {
    match e.size() {
        1 => 0,
        4 => 2,
        _ => 3,
    }
}

/// First op of every basic block.
pub(super) fn block_starts(f: &CompiledFn) -> Vec<bool> {
    let n = f.code.len();
    let mut starts = vec![false; n];
    starts[0] = true;
    let mut mark = |pc: usize| {
        if pc < n {
            starts[pc] = true;
        }
    };
    for (pc, op) in f.code.iter().enumerate() {
        if let Some(target) = op.jump_target() {
            mark(target as usize);
            mark(pc + 1);
        } else if matches!(op, Op::Ret { .. }) {
            mark(pc + 1);
        }
    }
    starts
}

/// Whether ops `pc` and `pc + 1` are `t = a[lo:hi]` (one range, no step) and `d =
/// copy(t)`, entered only through `pc` (no jump to `pc + 1`), with `t` neither a parameter
/// register nor `a`, and dead after the copy (`array_dead_from`): then nothing can tell
/// whether the view was made, and codegen copies the slice without it (`fused_copy`).
fn fusable_copy(
    prog: &Program,
    f: &CompiledFn,
    starts: &[bool],
    pc: usize,
    n_array_params: usize,
) -> bool {
    let (Some(Op::Ext { i: i0 }), Some(Op::Ext { i: i1 })) = (f.code.get(pc), f.code.get(pc + 1))
    else {
        return false;
    };
    if starts[pc + 1] {
        return false;
    }
    let Ext::Slice { arr, index, dst: t } = &f.ext[*i0 as usize] else {
        return false;
    };
    let [SliceOperand::Range(_, _, None)] = index.as_slice() else {
        return false;
    };
    let Ext::Builtin {
        b: crate::ir::Builtin::Copy,
        args,
        dst: Loc::A(_),
    } = &f.ext[*i1 as usize]
    else {
        return false;
    };
    let [(Type::Array(..), Loc::A(src))] = args.as_slice() else {
        return false;
    };
    src == t
        && arr != t
        && *t as usize >= n_array_params
        && array_dead_from(prog, f, pc + 2, *t as usize)
}

/// Whether array register `t` is written before it is read on every path from op `from`
/// (conservatively: any `Ext` op but a slice not of `t` counts as a read, and so does a
/// call whose arguments include `t`; a `Ret` that does not return `t` ends the path, the
/// frame's other registers being cleared or dead temporaries of the caller's window).
fn array_dead_from(prog: &Program, f: &CompiledFn, from: usize, t: usize) -> bool {
    let mut seen = vec![false; f.code.len()];
    let mut work = vec![from];
    while let Some(pc) = work.pop() {
        let Some(op) = f.code.get(pc) else {
            return false;
        };
        if std::mem::replace(&mut seen[pc], true) {
            continue;
        }
        let mut written = false;
        match *op {
            Op::Ext { i } => match &f.ext[i as usize] {
                // A slice reads `arr` and writes `dst` (its indices are scalars).
                Ext::Slice { arr, .. } if *arr as usize == t => return false,
                Ext::Slice { dst, .. } => written = *dst as usize == t,
                _ => return false,
            },
            Op::Call { slot, a, .. } => {
                let Some(callee) = prog.funcs.get(slot as usize) else {
                    return false;
                };
                let k: usize = callee
                    .params
                    .iter()
                    .map(|&p| callee.locals.get(p as usize).map_or(usize::MAX / 4, |l| array_leaves(&l.ty)))
                    .sum();
                if (a as usize..(a as usize).saturating_add(k)).contains(&t) {
                    return false;
                }
            }
            Op::Ret { a, na, .. } => {
                if (a as usize..a as usize + na as usize).contains(&t) {
                    return false;
                }
                continue;
            }
            _ => {
                for o in op.operands() {
                    if o.role == Role::AWindow {
                        return false;
                    }
                    if o.role.file() == Some(crate::bytecode::File::A) && o.regs().contains(&t) {
                        if o.role.reads() {
                            return false;
                        }
                        written |= o.role.writes();
                    }
                }
            }
        }
        if written {
            continue;
        }
        if let Some(target) = op.jump_target() {
            work.push(target as usize);
        }
        if !matches!(op, Op::Jmp { .. }) {
            work.push(pc + 1);
        }
    }
    true
}

/// Scalar registers an `Ext` op reads and writes (flushed before, reloaded after).
pub(super) fn ext_regs(e: &Ext) -> (Vec<u16>, Vec<u16>) {
    fn loc(l: &Loc, out: &mut Vec<u16>) {
        match l {
            Loc::S(r) => out.push(*r),
            Loc::Tuple(ls) => ls.iter().for_each(|l| loc(l, out)),
            _ => {}
        }
    }
    fn operand(o: &Operand, out: &mut Vec<u16>) {
        if let Operand::Scalar(r, _) = o {
            out.push(*r)
        }
    }
    fn index(ix: &[SliceOperand], out: &mut Vec<u16>) {
        for s in ix {
            match s {
                SliceOperand::At(r) => out.push(*r),
                SliceOperand::Range(a, b, c) => out.extend(a.iter().chain(b).chain(c)),
                SliceOperand::NewAxis => {}
            }
        }
    }
    let (mut r, mut w) = (Vec::new(), Vec::new());
    match e {
        Ext::Print(args) => args.iter().for_each(|a| {
            if let PrintArg::Value(_, l) = a {
                loc(l, &mut r)
            }
        }),
        Ext::Assert { c, .. } => r.push(*c),
        Ext::ArrayBin { a, b, .. } => {
            operand(a, &mut r);
            operand(b, &mut r);
        }
        Ext::ArrayNeg { .. }
        | Ext::ArrayNot { .. }
        | Ext::ArrayCast { .. }
        | Ext::Take { .. } => {}
        Ext::StoreTake { value, .. } => operand(value, &mut r),
        Ext::Slice { index: ix, .. } => index(ix, &mut r),
        Ext::StoreSlice {
            index: ix, value, ..
        } => {
            index(ix, &mut r);
            operand(value, &mut r);
        }
        Ext::Builtin { args, dst, .. } => {
            args.iter().for_each(|(_, l)| loc(l, &mut r));
            loc(dst, &mut w);
        }
        Ext::ParFor {
            s, n_s, reds, ..
        } => {
            r.extend(*s..*s + *n_s);
            w.extend(*s..*s + reds.len() as u16);
        }
    }
    (r, w)
}

/// Chains shorter than this run one operation at a time (through the interpreter's kernels).
const MIN_CHAIN: usize = 1;

/// Elements between two looks at the interrupt flag in a fused loop.
const FUSE_POLL_EVERY: i64 = 1 << 16;

/// A run of elementwise `+ - * /` operations whose arrays — inputs, intermediates and
/// result — all have one element type (`f64`, `f32`, `i64`, `i32` or `u8`; integers
/// wrap at their width, and their `/` gives `f64`, so it is never in an integer run),
/// possibly with constant loads and scalar moves between them, in which every result but
/// the last is a temporary consumed by a later operation of the run: compiled to one loop
/// over the elements instead of one pass (and one temporary array) per operation. None of
/// these operations can fail, and each element's result depends only on the inputs'
/// elements at the same position.
struct Chain {
    start: usize,
    /// One past the last op of the run.
    end: usize,
    /// (pc, op, a, b, dst) per elementwise operation, in order.
    ops: Vec<(usize, BinOp, Operand, Operand, u16)>,
    /// Array registers read from outside the chain.
    inputs: Vec<u16>,
    /// The element type of every array of the run.
    elem: Prim,
}

fn fusable_chains(f: &CompiledFn, blocks: &[Option<Block>]) -> Vec<Chain> {
    type Elementwise = (BinOp, Operand, Operand, u16, bool, bool, [Prim; 2]);
    let elementwise = |pc: usize| -> Option<Elementwise> {
        match f.code.get(pc) {
            Some(Op::Ext { i }) => match &f.ext[*i as usize] {
                Ext::ArrayBin {
                    op: op @ (BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div),
                    a,
                    b,
                    dst,
                    a_temp,
                    b_temp,
                    elems,
                } if !elems.contains(&Prim::Bool) => Some((
                    *op,
                    a.clone(),
                    b.clone(),
                    *dst,
                    *a_temp,
                    *b_temp,
                    *elems,
                )),
                _ => None,
            },
            _ => None,
        }
    };
    // Scalar-only ops that may sit between the operations (they run before the loop).
    let scalar_move = |pc: usize| matches!(f.code.get(pc), Some(Op::LoadK { .. } | Op::Mov { .. }));
    let mut chains = Vec::new();
    let mut pc = 0;
    while pc < f.code.len() {
        let Some(first) = elementwise(pc) else {
            pc += 1;
            continue;
        };
        // The run's element type: the first operation's result; every array operand and
        // result of the run must have it (a scalar may be of any type that keeps it).
        let elem = Prim::binop_result(first.0, first.6[0], first.6[1]);
        let typed = |(op, a, b, _, _, _, elems): &Elementwise| {
            Prim::binop_result(*op, elems[0], elems[1]) == elem
                && [a, b]
                    .iter()
                    .zip(elems)
                    .all(|(o, e)| matches!(o, Operand::Scalar(..)) || *e == elem)
        };
        if !matches!(elem, Prim::F64 | Prim::F32 | Prim::I64 | Prim::I32 | Prim::U8)
            || !typed(&first)
        {
            pc += 1;
            continue;
        }
        let mut ops = Vec::new();
        let mut temps = Vec::new();
        let mut next = pc;
        let mut end = pc;
        while next < f.code.len() && (next == pc || blocks[next].is_none()) {
            match elementwise(next) {
                Some(e) if typed(&e) => {
                    let (op, a, b, dst, at, bt, _) = e;
                    ops.push((next, op, a, b, dst));
                    temps.push((at, bt));
                    end = next + 1;
                }
                Some(_) => break,
                None if !scalar_move(next) => break,
                None => {}
            }
            next += 1;
        }
        // Keep the longest prefix in which every result but the last is a temporary that
        // a later operation of the prefix consumes (so no one else can see it is missing).
        let consumed =
            |ops: &[(usize, BinOp, Operand, Operand, u16)], temps: &[(bool, bool)], k: usize| {
                let d = ops[k].4;
                ops.iter()
                    .zip(temps)
                    .skip(k + 1)
                    .any(|((_, _, a, b, _), (at, bt))| {
                        matches!(a, Operand::Array(r) if *r == d && *at)
                            || matches!(b, Operand::Array(r) if *r == d && *bt)
                    })
            };
        while ops.len() > 1 && !(0..ops.len() - 1).all(|k| consumed(&ops, &temps, k)) {
            ops.pop();
            temps.pop();
            end = ops.last().expect("non-empty").0 + 1;
        }
        let mut inputs: Vec<u16> = Vec::new();
        let mut made: Vec<u16> = Vec::new();
        for (_, _, a, b, dst) in &ops {
            for o in [a, b] {
                if let Operand::Array(r) = o {
                    if !made.contains(r) && !inputs.contains(r) {
                        inputs.push(*r);
                    }
                }
            }
            made.push(*dst);
        }
        let out = ops.last().expect("non-empty").4;
        if ops.len() >= MIN_CHAIN
            && !inputs.is_empty()
            && inputs.len() <= 4
            && inputs.iter().chain([&out]).all(|&r| r < 1 << 14)
        {
            chains.push(Chain {
                start: pc,
                end,
                ops,
                inputs,
                elem,
            });
            pc = end;
        } else {
            pc += 1;
        }
    }
    chains
}

/// Memory flags by region: accesses in different regions never alias, which lets
/// Cranelift keep an array's header in registers across element stores.
struct Mem {
    ctx: MemFlagsData,
    /// What does not change while native code runs: the context's table, link and helper
    /// pointers, limits, the helper table and link vectors (not the table's entries,
    /// which tier-up patches). Such loads are pure: unused ones vanish, repeats are shared.
    fixed: MemFlagsData,
    sfile: MemFlagsData,
    afile: MemFlagsData,
    header: MemFlagsData,
    /// A dead row view's header rewritten in place (`row_view_in_place`).
    header_store: MemFlagsData,
    elem: MemFlagsData,
    /// Vector accesses to elements: no alignment promised.
    elem_vec: MemFlagsData,
    refcount: MemFlagsData,
}

/// An array register's header in variables: `ndim` (0 when the register is empty), the
/// element pointer, shape and strides.
#[derive(Clone, Copy)]
struct ArrayVars {
    /// Axes read by inline code (only these are loaded).
    axes: usize,
    /// Whether a `len` reads `ndim` (else it is not loaded: a header load nobody reads
    /// stays in the code).
    len: bool,
    ndim: Variable,
    ptr: Variable,
    shape: [Variable; 3],
    strides: [Variable; 3],
}

struct Lower<'a, 'b> {
    b: FunctionBuilder<'b>,
    f: &'a CompiledFn,
    prog: &'a Program,
    /// This function's slot (the 4th parameter) and link vector.
    slot: V,
    links: V,
    /// Its `depth` (the 5th parameter: nk frames active, its own counted).
    depth: V,
    /// Callees in link-vector order.
    callees: Vec<FuncId>,
    rc_off: i64,
    vars: Vec<Variable>,
    ty: Vec<types::Type>,
    /// Scalar registers holding the parameters (the first ones of the frame).
    n_params: usize,
    /// Array registers holding the parameters (the first ones of the frame): the caller's
    /// window, which `Ret` leaves to the caller (see there).
    n_array_params: usize,
    /// Per op: a slice `t = a[lo:hi]` whose only use is the `copy(t)` right after it, `t`
    /// a dead temporary from then on (`fused_copy`): the two run as one `H_COPY_SLICE`.
    fused_copies: Vec<bool>,
    /// Which array registers hold an array at each op (`held`): a `len` of one skips the
    /// empty-register test.
    held: super::held::Held,
    /// Which 1-D accesses a test on every path proves in bounds, and which indices it
    /// proves non-negative (`if bin >= 0 { hist[bin] += 1; }`): no check, no wrap.
    bounds: super::bounds::Bounds,
    /// Scalar registers that never hold a negative value (`ranges`): indices without wrap.
    non_negative: Vec<bool>,
    /// Scalar registers that hold no negative value, overflow included
    /// (`ranges::Bound::Exact`): division by a constant without the sign fix.
    non_negative_exact: Vec<bool>,
    /// The header of each array register that inline code reads (`None`: never read
    /// inline), cached in variables and re-read after every call or helper, which may
    /// replace the array. Headers are immutable, so the cache is exact in between.
    arrays: Vec<Option<ArrayVars>>,
    /// Back-edges left before the next look at the interrupt flag (a register, not
    /// memory: the common case costs a decrement and a branch).
    poll: Variable,
    /// See `lower`: per `for` loop, the counter value up to which its back-edge needs no
    /// look at the interrupt flag (`min(end, next multiple of POLL_EVERY)`).
    for_limits: Vec<Option<Variable>>,
    blocks: Vec<Option<Block>>,
    /// Innermost loops run in two versions (`versions`), and the one whose fast copy is
    /// being emitted.
    versions: Vec<Version>,
    /// Loops run in two versions for their arrays' strides (`versions::UnitLoop`).
    unit_loops: Vec<super::versions::UnitLoop>,
    /// In a unit-stride copy: the arrays whose stride is 1 there.
    unit: Vec<u16>,
    /// Per version: its two-lane copy, if it has one (`simd`).
    simd: Vec<Option<super::simd::Plan>>,
    /// Per version: its counting copy, if it counts true `bool` elements (`simd::count`).
    counts: Vec<Option<super::simd::Count>>,
    /// Per version: whether its fast copy runs several iterations per pass (`unroll`).
    unrolled: Vec<bool>,
    fast: Option<FastCopy>,
    /// The ops (entry to back-edge) of a nest's inner loop whose fast copy alone is being
    /// emitted: it does not poll (the nest's guard holds it to `POLL_EVERY` iterations, and
    /// the nest's back-edge counts down to its reads of the interrupt flag).
    unpolled: Option<(usize, usize)>,
    /// In the unrolled copy (`unrolled_loop`): per access with a counter axis (by pc), its
    /// address at the current iteration, every proven axis included.
    unrolled_ptrs: Vec<(usize, V)>,
    /// Diamonds emitted without branches (`diamonds`), by test pc.
    diamonds: Vec<Diamond>,
    /// The op a failed check reports, when not the op checking: a diamond's merged
    /// store reports the store of the arm its condition picks (`if_converted`).
    error_pc: Option<V>,
    /// While a converted diamond's arms and merged store are emitted: its test's pc,
    /// where `bounds`' facts hold on both paths. (Both arms run; what an arm's own path
    /// proves, `if i < len(a) { a[i] = x; } else { ... }`, does not hold on the other.)
    facts_at: Option<usize>,
    ctx: V,
    bs: V,
    ba: V,
    bs8: V,
    ba8: V,
    fail: Block,
    /// Whether the function calls no nk function (see `prologue`).
    leaf: bool,
    /// How many ops jump or fall through to each pc.
    preds: Vec<u32>,
    /// `checked` at the jump to a later op that it alone reaches, by that op's pc.
    checked_at: Vec<(usize, Checked)>,
    /// The op emitted last (`step`).
    last_pc: Option<usize>,
    /// Element accesses checked in bounds by earlier ops that every path to the current
    /// op passes (it falls through from them), with neither the array register nor an
    /// index register written since: `(array, indices)`. The same access again skips its
    /// check (`hist[b] += 1`: the store after the load; a reload of `a[i]`).
    checked: Checked,
    /// The signature of every compiled function (a callee through the table).
    native_sig: SigRef,
    /// Each helper's signature, by `H_*` index.
    helper_sigs: [SigRef; N_HELPERS],
    mem: Mem,
}

/// Element accesses known in bounds: `(array register, index registers)`.
type Checked = Vec<(u16, Vec<u16>)>;

/// The fast copy of `versions[k]` being emitted: its addressing, computed where the loop
/// is entered (see `versions`).
#[derive(Clone)]
struct FastCopy {
    k: usize,
    /// The copy for unit strides: every counter axis's stride is 1 (a nest's third copy,
    /// and its inner loop's copy in it).
    unit: bool,
    /// A nest's: the outer iterations left before its back-edge reads the interrupt flag,
    /// and the slot of how many it runs between two reads (`nest_poll`).
    poll: Option<(Variable, StackSlot)>,
    /// Per access (by pc): the array pointer plus the access's invariant terms, in bytes.
    bases: Vec<(usize, V)>,
    /// Per array register, axis and element size (as a shift): `i * stride` in bytes,
    /// stepped with the counter, and its step in bytes (the stride times the counter's
    /// step: 1 in a `for` loop).
    offsets: Vec<(u16, usize, i64, Variable, V)>,
}

impl FastCopy {
    /// The offset of array `arr`'s `axis` for elements of `1 << shift` bytes.
    fn offset(&self, arr: u16, axis: usize, shift: i64) -> Option<&(u16, usize, i64, Variable, V)> {
        self.offsets.iter().find(|o| (o.0, o.1, o.2) == (arr, axis, shift))
    }
}

/// A loop of several iterations per pass (`open_pass_loop`): its counter, the last
/// counter value a pass may start at plus one, the iterations per pass, its blocks.
struct PassLoop {
    counter: Variable,
    last: V,
    per: i64,
    body: Block,
    exit: Block,
}

/// Builds the Cranelift function for `f` into `func` and returns its callees in the order
/// of its link vector. `rc_off` is the byte offset from an array register's word to its
/// `Array`.
pub fn lower(
    func: &mut Function,
    fctx: &mut FunctionBuilderContext,
    frontend: TargetFrontendConfig,
    prog: &Program,
    f: &CompiledFn,
    rc_off: i64,
) -> Result<Vec<FuncId>, String> {
    let cc = frontend.default_call_conv;
    func.signature = native_signature(cc);
    let mut region_of = |id: u32, name: &'static str| {
        func.dfg.alias_regions.insert(AliasRegionData {
            user_id: id,
            description: name.into(),
        })
    };
    let elem_region = region_of(5, "array elements");
    let header_region = region_of(4, "array headers");
    let mut region = |id: u32, name: &'static str| {
        MemFlagsData::trusted().with_alias_region(Some(region_of(id, name)))
    };
    let mem = Mem {
        ctx: region(1, "ctx"),
        fixed: region(7, "fixed context").with_readonly().with_can_move(),
        sfile: region(2, "scalar registers"),
        afile: region(3, "array registers"),
        // An `Array` never changes after it is built: no store aliases a header read.
        header: MemFlagsData::trusted()
            .with_alias_region(Some(header_region))
            .with_readonly(),
        header_store: MemFlagsData::trusted().with_alias_region(Some(header_region)),
        elem: MemFlagsData::trusted().with_alias_region(Some(elem_region)),
        elem_vec: MemFlagsData::new()
            .with_notrap()
            .with_alias_region(Some(elem_region)),
        refcount: region(6, "reference counts"),
    };
    let mut b = FunctionBuilder::new(func, fctx);
    let native_sig = b.import_signature(native_signature(cc));
    let class = |c: AbiClass| match c {
        AbiClass::I64 => I64,
        AbiClass::F64 => F64,
    };
    let helper_sigs = HELPER_SIGNATURES.map(|h| {
        let params: Vec<types::Type> = h.params.iter().map(|&c| class(c)).collect();
        b.import_signature(sig(cc, &params, h.ret.map(class)))
    });
    let func_ir = &prog.funcs[f.func as usize];
    let n_params = scalar_params(prog, f);
    let starts = block_starts(f);
    let ty = register_classes(prog, f, &starts);
    let vars: Vec<Variable> = ty.iter().map(|t| b.declare_var(*t)).collect();
    let n_array_params: usize = func_ir
        .params
        .iter()
        .map(|&p| array_leaves(&func_ir.locals[p as usize].ty))
        .sum();
    let non_negative = super::ranges::non_negative(f, prog, n_params, super::ranges::Bound::Index);
    // Only a division by a constant reads it: no second fixed point for other functions.
    let divides = f.code.iter().any(|op| matches!(op, Op::FloorDivIK { .. } | Op::ModIK { .. }));
    let non_negative_exact = match divides {
        true => super::ranges::non_negative(f, prog, n_params, super::ranges::Bound::Exact),
        false => vec![false; f.n_s],
    };
    let fused_copies = (0..f.code.len())
        .map(|pc| fusable_copy(prog, f, &starts, pc, n_array_params))
        .collect();
    // Per array register: how many axes inline code indexes (0: none; Len needs axis 0):
    // an op's index registers, for the array whose header it reads.
    let mut axes = vec![0usize; f.n_a];
    // Per array register: whether a `len` reads its `ndim` (the one reader of it inline).
    let mut len_of = vec![false; f.n_a];
    let held = super::held::held(prog, f, n_array_params);
    let bounds = super::bounds::bounds(f, n_params);
    for (pc, op) in f.code.iter().enumerate() {
        if let Op::Len { arr, .. } = *op {
            len_of[arr as usize] |= !held.at(pc, arr);
        }
        let fields = op.operands();
        let Some(arr) = fields.iter().find(|o| o.role == Role::AElems) else {
            continue;
        };
        let n = fields
            .iter()
            .filter(|o| matches!(o.role, Role::Index | Role::Index3))
            .map(|o| o.len as usize)
            .sum::<usize>()
            .max(1);
        let r = arr.value as usize;
        axes[r] = axes[r].max(n);
    }
    let arrays: Vec<Option<ArrayVars>> = axes
        .iter()
        .zip(&len_of)
        .map(|(&n, &len)| {
            (n > 0).then(|| ArrayVars {
                axes: n,
                len,
                ndim: b.declare_var(I64),
                ptr: b.declare_var(I64),
                shape: [b.declare_var(I64), b.declare_var(I64), b.declare_var(I64)],
                strides: [b.declare_var(I64), b.declare_var(I64), b.declare_var(I64)],
            })
        })
        .collect();
    let blocks: Vec<Option<Block>> = starts
        .iter()
        .map(|&s| s.then(|| b.create_block()))
        .collect();
    let poll = b.declare_var(I64);
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    b.switch_to_block(entry);
    let p = b.block_params(entry).to_vec();
    let (ctx, bs, ba, slot, depth) = (p[0], p[1], p[2], p[3], p[4]);
    let first_poll = b.ins().iconst(I64, POLL_EVERY);
    b.def_var(poll, first_poll);
    // A `for` loop's polling limit, by the pc of its `ForLoop` op and of the `JmpNotLtI`
    // that enters it (which resets the limit to i64::MIN: the first back-edge takes the slow
    // path, whatever the counter's sign).
    let mut for_limits: Vec<Option<Variable>> = vec![None; f.code.len()];
    for (pc, op) in f.code.iter().enumerate() {
        if let Op::ForLoop { i, target, .. } = *op {
            let prep = (target as usize).checked_sub(1);
            let entered = prep
                .is_some_and(|q| q < pc && matches!(f.code[q], Op::JmpNotLtI { a, .. } if a == i));
            if let (true, Some(q)) = (entered, prep) {
                let v = b.declare_var(I64);
                let lowest = b.ins().iconst(I64, i64::MIN);
                b.def_var(v, lowest);
                for_limits[pc] = Some(v);
                for_limits[q] = Some(v);
            }
        }
    }
    let bs8 = b.ins().ishl_imm_s(bs, 3);
    let ba8 = b.ins().ishl_imm_s(ba, 3);
    let fail = b.create_block();
    b.set_cold_block(fail);
    let leaf = f.callees().is_empty();
    let mut l = Lower {
        b,
        f,
        prog,
        slot,
        depth,
        links: slot, // set by the prologue
        callees: f.callees(),
        rc_off,
        vars,
        ty,
        n_params,
        n_array_params,
        fused_copies,
        held,
        bounds,
        non_negative,
        non_negative_exact,
        arrays,
        poll,
        for_limits,
        blocks,
        versions: super::versions::versions(f, &starts),
        unit_loops: Vec::new(),
        unit: Vec::new(),
        simd: Vec::new(),
        counts: Vec::new(),
        unrolled: Vec::new(),
        fast: None,
        unpolled: None,
        unrolled_ptrs: Vec::new(),
        diamonds: Vec::new(),
        error_pc: None,
        facts_at: None,
        ctx,
        bs,
        ba,
        bs8,
        ba8,
        fail,
        leaf,
        preds: {
            let mut n = vec![0u32; f.code.len() + 1];
            for (pc, op) in f.code.iter().enumerate() {
                if let Some(t) = op.jump_target() {
                    n[t as usize] += 1;
                }
                if op.falls_through() {
                    n[pc + 1] += 1;
                }
            }
            n
        },
        checked_at: Vec::new(),
        last_pc: None,
        checked: Vec::new(),
        native_sig,
        helper_sigs,
        mem,
    };
    // Diamonds whose arms write only integer registers (x64 selects those without a
    // branch), or, in a merge step, `f64` ones too, selected as words. Elsewhere an `f64`
    // written in an arm is most often a running minimum or maximum, whose branch is
    // predicted: its select would put two moves between the register files and a
    // conditional move on the loop's chain (histogram's `get_bin_edges` ran 1.09x).
    l.diamonds = super::diamonds::diamonds(f)
        .into_iter()
        .filter(|d| {
            let mut w = d.arms().flat_map(|q| f.code[q].s_writes());
            w.all(|r| l.ty[r as usize] == I64 || (l.ty[r as usize] == F64 && d.store.is_some()))
        })
        .collect();
    l.simd = l
        .versions
        .iter()
        .map(|v| super::simd::plan(f, v, &l.ty, &starts))
        .collect();
    l.counts = l.versions.iter().map(|v| super::simd::count(f, v)).collect();
    l.unrolled = (l.versions.iter().enumerate())
        .map(|(k, v)| l.simd[k].is_none() && l.counts[k].is_none() && super::unroll::unrolls(f, v, &starts))
        .collect();
    // (Not where the entry is a diamond's test: `step` would emit past the head.)
    l.unit_loops = super::versions::unit_loops(f, &l.versions);
    l.unit_loops.retain(|u| !l.diamonds.iter().any(|d| d.test == u.entry));
    let entry_slow = l.prologue();
    let chains = fusable_chains(f, &l.blocks);
    let mut open = false; // whether the current block still needs a terminator
    let mut pc = 0;
    while pc < f.code.len() {
        pc = l.emit_at(pc, &chains, &mut open)?;
    }
    if open {
        return Err("internal: bytecode runs off its end".into());
    }
    // The shared error exit: report failure.
    l.b.switch_to_block(l.fail);
    let one = l.b.ins().iconst(I64, 1);
    l.b.ins().return_(&[one]);
    l.b.seal_all_blocks();
    let callees = std::mem::take(&mut l.callees);
    // The parameters as the entry block has them and as the body reads them (the same
    // values, or the leaf prologue's block parameters), with their byte offsets. Cold
    // blocks reload them (`cold`): all four in a function with a loop; in a leaf without
    // one only the context, which the error exit reads after the helper calls that lead
    // there (the leaf prologue's block parameter does not reach it from `H_ENTER`'s path);
    // a function with nk calls and no loop keeps the context in a callee-saved register
    // across its calls anyway.
    let entry_params = [ctx, bs, ba, slot];
    let has_loop = f.has_loop();
    let mut copies = Vec::new();
    for (param, vals) in [(0, [ctx, l.ctx]), (1, [bs, l.bs]), (2, [ba, l.ba]), (3, [slot, l.slot])] {
        for value in vals {
            copies.push(super::cold::ParamCopy { value, param, shifted: false });
        }
    }
    for (param, vals) in [(1, [bs8, l.bs8]), (2, [ba8, l.ba8])] {
        for value in vals {
            copies.push(super::cold::ParamCopy { value, param, shifted: true });
        }
    }
    if !has_loop {
        copies.retain(|c| c.param == 0);
    }
    copies.dedup_by_key(|c| c.value);
    l.b.finalize(frontend);
    if has_loop || leaf {
        super::cold::reload_params(func, entry_params, &copies, entry_slow);
    }
    super::phis::remove_trivial(func);
    super::peephole::rewrite(func);
    Ok(callees)
}

impl Lower<'_, '_> {
    /// Emits the loop whose entry is op `pc` in its versions (`versions`: inside a nest's
    /// fast copy, its inner loop's fast copy alone) or with its unit-stride copy, else the
    /// op (or the fused chain starting there); returns the next pc.
    fn emit_at(&mut self, pc: usize, chains: &[Chain], open: &mut bool) -> Result<usize, String> {
        if let Some(k) = self.versions.iter().position(|v| v.entry == pc) {
            let proven = (self.fast.as_ref()).is_some_and(|fc| self.versions[fc.k].inner.map(|n| n.at) == Some(k));
            self.versioned_loop(k, proven, chains, open)
        } else if let Some(k) = self.unit_loops.iter().position(|u| u.entry == pc) {
            self.unit_stride_loop(k, chains, open)
        } else {
            self.step(pc, chains, open)
        }
    }

    /// Emits op `pc` (or the fused chain starting there) in its block; returns the next pc.
    /// `open`: whether the current block still needs a terminator.
    fn step(&mut self, pc: usize, chains: &[Chain], open: &mut bool) -> Result<usize, String> {
        if let Some(blk) = self.blocks[pc] {
            if *open {
                self.b.ins().jump(blk, &[]);
            }
            self.b.switch_to_block(blk);
        }
        // Checks carry over to an op that only the op before it in code order reaches, by
        // falling through or by a forward jump; a loop run in two versions takes no
        // checks from a jump, nor passes any on from its end (its two copies lead to one
        // block).
        let single = self.preds[pc] == 1;
        let follows = single
            && self.last_pc.is_some_and(|q| {
                q + 1 == pc
                    && self.f.code[q].falls_through()
                    && !self.versions.iter().any(|v| v.back == q)
                    && !self.unit_loops.iter().any(|u| u.back == q)
            });
        let jumped = (self.checked_at.iter())
            .position(|(t, _)| *t == pc)
            .map(|k| self.checked_at.swap_remove(k).1);
        if !follows {
            self.checked = match jumped {
                Some(c) if single && !self.in_version(pc) => c,
                _ => Vec::new(),
            };
        }
        self.last_pc = None; // a chain or a diamond ends the run
        if let Some(chain) = chains.iter().find(|c| c.start == pc) {
            self.fused(chain)?;
            *open = true;
            return Ok(chain.end);
        }
        // (A diamond with loads only when each reads an element already checked.)
        let diamond = self.diamonds.iter().find(|d| d.test == pc).cloned();
        if let Some(d) = diamond.filter(|d| d.loads.iter().all(|&q| self.checked_already(q, pc))) {
            *open = true;
            return self.if_converted(&d);
        }
        *open = self.op(pc)?;
        self.forget_checks(pc);
        self.last_pc = Some(pc);
        if let Some(t) = self.f.code[pc].jump_target().map(|t| t as usize) {
            if t > pc && self.preds[t] == 1 && !self.in_version(pc) {
                self.checked_at.push((t, self.checked.clone()));
            }
        }
        let steps = |fc: &FastCopy| self.versions[fc.k].while_count.is_some_and(|w| w.at == pc);
        if self.fast.as_ref().is_some_and(steps) {
            self.step_offsets();
        }
        Ok(pc + 1)
    }

    /// Emits `versions[k]`'s loop twice (see `versions`): the entry test, then the guard
    /// choosing a copy, the ordinary copy, and the fast copy in blocks of its own that
    /// leave to the same exit. Returns the pc after the loop. `proven`: the loop is a
    /// nest's inner loop in the nest's fast copy, whose guard holds; only its fast copy
    /// is emitted, in the loop's own blocks.
    fn versioned_loop(
        &mut self,
        k: usize,
        proven: bool,
        chains: &[Chain],
        open: &mut bool,
    ) -> Result<usize, String> {
        let (entry, head, back) = {
            let v = &self.versions[k];
            (v.entry, v.head, v.back)
        };
        // (An error ends the whole function's lowering: no need to reset this then.)
        self.unpolled = proven.then_some((entry, back));
        // The entry test skips an empty loop; otherwise it falls into the guard.
        let (guard, checked) = self.enter_loop(entry, head, chains, open)?;
        self.b.switch_to_block(guard);
        let (ok, inner_trips) = match proven {
            false => {
                let (ok, trips) = self.guard(k);
                (Some(ok), trips)
            }
            true => (None, None),
        };
        // Inside a nest's copy for unit strides, its inner loop's copy takes them too.
        let unit = proven && self.fast.as_ref().is_some_and(|fc| fc.unit);
        let mut addressing = self.fast_addressing(k, unit);
        addressing.poll = inner_trips.map(|trips| self.nest_poll(trips));
        let fast = if proven { checked } else { self.b.create_block() };
        // A nest whose counters index arrays: a third copy where those axes' strides are 1
        // (a contiguous row), picked after the guard. (A nest has no lanes, counting or
        // passes of its own: its body holds a loop.)
        let unit_nest = match (proven, self.versions[k].inner) {
            (false, Some(_)) => self.counter_strides_are_one(k).map(|one| {
                let mut unit_addressing = self.fast_addressing(k, true);
                unit_addressing.poll = addressing.poll;
                (one, self.b.create_block(), unit_addressing)
            }),
            _ => None,
        };
        let enter = |s: &mut Self, to: Block| match ok {
            Some(ok) => s.b.ins().brif(ok, to, &[], checked, &[]),
            None => s.b.ins().jump(to, &[]),
        };
        if self.simd[k].is_some() {
            let lanes = self.b.create_block();
            enter(self, lanes);
            self.b.switch_to_block(lanes);
            self.two_lane_loop(k, &addressing, fast);
        } else if let Some(count) = self.counts[k] {
            let words = self.b.create_block();
            enter(self, words);
            self.b.switch_to_block(words);
            self.count_by_words(k, count, &addressing, fast);
        } else if self.unrolled[k] {
            let passes = self.b.create_block();
            enter(self, passes);
            self.b.switch_to_block(passes);
            self.unrolled_loop(k, &addressing, fast)?;
        } else if let Some((one, unit_fast, _)) = &unit_nest {
            let pick = self.b.create_block();
            enter(self, pick);
            self.switch_sealed(pick);
            self.b.ins().brif(*one, *unit_fast, &[], fast, &[]);
        } else {
            enter(self, fast);
        }
        if !proven {
            self.emit_range(head, back, chains, open)?;
            let pc = self.copy_again(head, back, fast, chains, open, |l| l.fast = Some(addressing))?;
            if let Some((_, unit_fast, unit_addressing)) = unit_nest {
                self.copy_again(head, back, unit_fast, chains, open, |l| l.fast = Some(unit_addressing))?;
            }
            return Ok(pc);
        }
        let outer = self.fast.replace(addressing);
        let pc = self.emit_range(head, back, chains, open)?;
        self.fast = outer;
        self.unpolled = None;
        Ok(pc)
    }

    /// Emits ops `head..=back` (a loop's, its head's block not yet entered); returns the
    /// pc after them.
    fn emit_range(&mut self, head: usize, back: usize, chains: &[Chain], open: &mut bool) -> Result<usize, String> {
        *open = false;
        let mut pc = head;
        while pc <= back {
            pc = self.emit_at(pc, chains, open)?;
        }
        Ok(pc)
    }

    /// Emits the op `entry` before a loop run in two copies with its head's block
    /// replaced by a new one, where the test that picks a copy goes; returns that block
    /// and the head's own (the ordinary copy's).
    fn enter_loop(
        &mut self,
        entry: usize,
        head: usize,
        chains: &[Chain],
        open: &mut bool,
    ) -> Result<(Block, Block), String> {
        let test = self.b.create_block();
        let ordinary = self.blocks[head].replace(test).expect("a loop head starts a block");
        if self.step(entry, chains, open)? != head {
            return Err("internal: a loop's entry does not fall into its head".into());
        }
        if *open {
            self.b.ins().jump(test, &[]);
        }
        self.blocks[head] = Some(ordinary);
        Ok((test, ordinary))
    }

    /// Emits the ops `head..=back` of a loop whose ordinary copy is emitted once more, the
    /// copy that `setup` sets up (a fast copy, unit strides), in new blocks from `first`
    /// that leave to the loop's exits; the loop's own blocks are kept. Returns the pc
    /// after the loop.
    fn copy_again(
        &mut self,
        head: usize,
        back: usize,
        first: Block,
        chains: &[Chain],
        open: &mut bool,
        setup: impl FnOnce(&mut Self),
    ) -> Result<usize, String> {
        let saved = self.blocks[head..=back].to_vec();
        for p in head..=back {
            if self.blocks[p].is_some() {
                let blk = if p == head { first } else { self.b.create_block() };
                self.blocks[p] = Some(blk);
            }
        }
        setup(self);
        let pc = self.emit_range(head, back, chains, open)?;
        self.fast = None;
        self.unit.clear();
        self.blocks[head..=back].copy_from_slice(&saved);
        Ok(pc)
    }

    /// Emits `unit_loops[k]` twice (see `versions::UnitLoop`): the entry op, falling into
    /// the test of the arrays' strides, the ordinary copy, then the copy whose 1-D accesses
    /// take the stride 1, in blocks of its own that leave to the same exits. Returns the pc
    /// after the loop.
    fn unit_stride_loop(&mut self, k: usize, chains: &[Chain], open: &mut bool) -> Result<usize, String> {
        let (entry, head, back) = (self.unit_loops[k].entry, self.unit_loops[k].head, self.unit_loops[k].back);
        let arrays = self.unit_loops[k].arrays.clone();
        let (test, ordinary) = self.enter_loop(entry, head, chains, open)?;
        self.switch_sealed(test);
        let mut ok = None;
        for &arr in &arrays {
            let st = self.b.use_var(self.array_vars(arr).strides[0]);
            let one = self.b.ins().icmp_imm_s(IntCC::Equal, st, 1);
            ok = Some(self.and_also(ok, one));
        }
        let fast = self.b.create_block();
        self.b.ins().brif(ok.expect("a unit loop indexes an array"), fast, &[], ordinary, &[]);
        self.emit_range(head, back, chains, open)?;
        self.copy_again(head, back, fast, chains, open, |l| l.unit = arrays)
    }

    /// `acc && c`, or `c` when there is nothing before it.
    fn and_also(&mut self, acc: Option<V>, c: V) -> V {
        match acc {
            None => c,
            Some(a) => self.b.ins().band(a, c),
        }
    }

    /// Whether every access `versions[k]`'s fast copy leaves unchecked is in bounds on
    /// every iteration (emitted where the loop is entered: the counter holds `lo`); for a
    /// nest, also the most iterations of its inner loop per outer one (at least 1).
    fn guard(&mut self, k: usize) -> (V, Option<V>) {
        let (counter, end, guards, while_count, inner) = {
            let v = &self.versions[k];
            (v.counter, v.end, v.guards.clone(), v.while_count, v.inner)
        };
        let lo = self.geti(counter);
        let mut end = self.geti(end);
        let mut ok = None;
        if let Some(w) = while_count {
            // The counter only grows, and never wraps before the loop ends: `step > 0`
            // and `end <= i64::MAX - step`. Then its last value is `end` (`end - 1`).
            let (up, room) = match w.step {
                Step::Reg(r) => {
                    let st = self.geti(r);
                    let up = self.b.ins().icmp_imm_s(IntCC::SignedGreaterThan, st, 0);
                    let max = self.iconst(i64::MAX);
                    let room = self.b.ins().isub(max, st);
                    (Some(up), room)
                }
                Step::Imm(c) => (None, self.iconst(i64::MAX - c as i64)),
            };
            let fits = self.b.ins().icmp(IntCC::SignedLessThanOrEqual, end, room);
            ok = Some(match up {
                Some(u) => self.b.ins().band(u, fits),
                None => fits,
            });
            if w.inclusive {
                // No wrap: `end < i64::MAX` when `fits` holds.
                end = self.b.ins().iadd_imm_s(end, 1);
            }
        }
        // A nest: the inner loop's least first value and greatest end over the outer range.
        let (mut span, mut inner_trips) = (None, None);
        if let Some(n) = inner {
            use super::versions::Term;
            // A bound of the outer counter (a triangular nest) plus `|c| < 2^31` wraps
            // nowhere when the outer range is within `±2^62`.
            if [n.lo, n.end].iter().any(|b| b.of == Term::Counter) {
                let low = self.b.ins().icmp_imm_s(IntCC::SignedGreaterThanOrEqual, lo, -(1 << 62));
                let high = self.b.ins().icmp_imm_s(IntCC::SignedLessThanOrEqual, end, 1 << 62);
                let within = self.b.ins().band(low, high);
                ok = Some(self.and_also(ok, within));
            }
            // Least first value: the outer counter's first; greatest end: its last.
            let from = self.bound_value(n.lo, lo);
            let to = match n.end.of {
                Term::Counter => {
                    let last = self.b.ins().iadd_imm_s(end, -1);
                    self.bound_value(n.end, last)
                }
                _ => self.bound_value(n.end, end),
            };
            // At most `POLL_EVERY` inner iterations per outer one (its fast copy does not
            // poll): 1 when `to <= from`, else `to - from` (exact as unsigned).
            let none = self.b.ins().icmp(IntCC::SignedLessThanOrEqual, to, from);
            let diff = self.b.ins().isub(to, from);
            let one = self.iconst(1);
            let trips = self.b.ins().select(none, one, diff);
            let few = self.b.ins().icmp_imm_s(IntCC::UnsignedLessThanOrEqual, trips, POLL_EVERY);
            ok = Some(self.and_also(ok, few));
            (span, inner_trips) = (Some((from, to)), Some(trips));
        }
        for g in guards {
            let n = self.b.use_var(self.array_vars(g.arr).shape[g.axis]);
            let holds = match g.kind {
                GuardKind::Counter { offset } => self.spans_in(offset, (lo, end), n),
                GuardKind::Inner { offset } => {
                    let span = span.expect("an `Inner` guard is a nest's");
                    self.spans_in(offset, span, n)
                }
                GuardKind::Invariant { reg, offset } => {
                    let r = self.invariant_index(reg, offset);
                    self.b.ins().icmp(IntCC::UnsignedLessThan, r, n)
                }
                GuardKind::Quotient { k } => {
                    // `end - 1` as unsigned: a loop that does not run (`end <= lo`, with
                    // `lo >= 0`) fails the test, and its ordinary copy skips it.
                    let from = self.b.ins().icmp_imm_s(IntCC::SignedGreaterThanOrEqual, lo, 0);
                    let last = self.b.ins().iadd_imm_s(end, -1);
                    let k = self.iconst(k as i64);
                    let q = self.b.ins().udiv(last, k);
                    let to = self.b.ins().icmp(IntCC::UnsignedLessThan, q, n);
                    self.b.ins().band(from, to)
                }
            };
            ok = Some(self.and_also(ok, holds));
        }
        (ok.expect("a version has a guard"), inner_trips)
    }

    /// Whether `i + offset` is in `0..n` for every `i` in `lo..end` (when that is not
    /// empty): `lo >= -offset && end <= n - offset`, exact (`offset` is an `i32`, `n` a
    /// shape).
    fn spans_in(&mut self, offset: i32, (lo, end): (V, V), n: V) -> V {
        let c = offset as i64;
        let from = self.b.ins().icmp_imm_s(IntCC::SignedGreaterThanOrEqual, lo, -c);
        let lim = self.b.ins().iadd_imm_s(n, -c);
        let to = self.b.ins().icmp(IntCC::SignedLessThanOrEqual, end, lim);
        self.b.ins().band(from, to)
    }

    /// A nest's inner bound (`versions::Bound`) at the outer loop's entry, with `counter`
    /// for the outer counter's value.
    fn bound_value(&mut self, bound: super::versions::Bound, counter: V) -> V {
        use super::versions::Term;
        let x = match bound.of {
            Term::Zero => return self.iconst(bound.offset),
            Term::Reg(r) => self.geti(r),
            Term::Shape { arr, axis } => self.b.use_var(self.array_vars(arr).shape[axis]),
            Term::Counter => counter,
        };
        self.b.ins().iadd_imm_s(x, bound.offset)
    }

    /// `versions[k]`'s loop two iterations at a time in `f64x2` lanes (see `simd`), four per
    /// pass, from the guard's block: its own test, the loop, then the registers as the
    /// scalar loop leaves them, and on to `fast` (the scalar fast copy) for the last
    /// iterations or to the loop's exit.
    fn two_lane_loop(&mut self, k: usize, fc: &FastCopy, fast: Block) {
        let plan = self.simd[k].clone().expect("a plan"); // (a nest emits its inner loop twice)
        let (head, back, counter, end_reg) = {
            let v = &self.versions[k];
            (v.head, v.back, v.counter, v.end)
        };
        let f = self.f;
        let code = &f.code;
        let base = |pc: usize| fc.bases.iter().find(|b| b.0 == pc).expect("a base").1;
        let lo = self.geti(counter);
        let end = self.geti(end_reg);
        // Adjacent lanes; no store overlapping another access.
        let mut ok = self.b.ins().iconst(types::I8, 1);
        for &pc in &plan.accesses {
            let (arr, idx, _) = super::versions::access(&code[pc]).expect("an access");
            let st = self.b.use_var(self.array_vars(arr).strides[idx.len() - 1]);
            let unit = self.b.ins().icmp_imm_s(IntCC::Equal, st, 1);
            ok = self.b.ins().band(ok, unit);
        }
        let lo8 = self.b.ins().ishl_imm_s(lo, 3);
        let end8 = self.b.ins().ishl_imm_s(end, 3);
        let range = |s: &mut Self, pc: usize| {
            let b = base(pc);
            (s.b.ins().iadd(b, lo8), s.b.ins().iadd(b, end8))
        };
        for &(st, x) in &plan.disjoint {
            let ((s0, s1), (x0, x1)) = (range(self, st), range(self, x));
            let before = self.b.ins().icmp(IntCC::UnsignedLessThanOrEqual, s1, x0);
            let after = self.b.ins().icmp(IntCC::UnsignedLessThanOrEqual, x1, s0);
            let apart = self.b.ins().bor(before, after);
            ok = self.b.ins().band(ok, apart);
        }
        // Splats of the values the body reads and does not write.
        let mut vals: std::collections::HashMap<u16, V> = std::collections::HashMap::new();
        let (pass, i) = self.open_pass_loop(ok, (lo, end), LANE_PASS, back, fast, |s| {
            for &r in &plan.invariants {
                let x = s.getf(r);
                let v = s.b.ins().splat(types::F64X2, x);
                vals.insert(r, v);
            }
        });
        let i8_0 = self.b.ins().ishl_imm_s(i, 3);
        let mut index_fix: Vec<(u16, V)> = Vec::new();
        // The body twice per pass: iterations `i, i + 1`, then `i + 2, i + 3`.
        for (u, (pc, &op)) in (0..LANE_PASS / 2)
            .flat_map(|u| code.iter().enumerate().take(back).skip(head).map(move |x| (u, x)))
        {
            let i8 = self.b.ins().iadd_imm_s(i8_0, 16 * u);
            let m = self.mem.elem_vec;
            match op {
                Op::ALoad1 { dst, .. } | Op::ALoad2 { dst, .. } | Op::ALoad3 { dst, .. } => {
                    let at = self.b.ins().iadd(base(pc), i8);
                    let v = self.b.ins().load(types::F64X2, m, at, 0);
                    vals.insert(dst, v);
                }
                Op::AStore1 { src, .. } | Op::AStore2 { src, .. } | Op::AStore3 { src, .. } => {
                    let at = self.b.ins().iadd(base(pc), i8);
                    self.b.ins().store(m, vals[&src], at, 0);
                }
                Op::AddIImm { dst, a, imm } => {
                    // Its value after the loop: the last iteration's (lane 1: `i + 1`).
                    let x = if a == counter {
                        self.b.ins().iadd_imm_s(i, 2 * u + 1 + imm as i64)
                    } else {
                        let x = self.geti(a);
                        self.b.ins().iadd_imm_s(x, imm as i64)
                    };
                    index_fix.retain(|f| f.0 != dst);
                    index_fix.push((dst, x));
                    vals.remove(&dst);
                }
                Op::Mov { dst, src } => {
                    vals.insert(dst, vals[&src]);
                }
                Op::NegF { dst, a } => {
                    let v = self.b.ins().fneg(vals[&a]);
                    vals.insert(dst, v);
                }
                Op::AddF { dst, a, b }
                | Op::SubF { dst, a, b }
                | Op::MulF { dst, a, b }
                | Op::DivF { dst, a, b } => {
                    let (x, y) = (vals[&a], vals[&b]);
                    let ins = self.b.ins();
                    let v = match op {
                        Op::AddF { .. } => ins.fadd(x, y),
                        Op::SubF { .. } => ins.fsub(x, y),
                        Op::MulF { .. } => ins.fmul(x, y),
                        _ => ins.fdiv(x, y),
                    };
                    vals.insert(dst, v);
                }
                Op::MulAddF { dst, a, b, c }
                | Op::MulSubF { dst, a, b, c }
                | Op::SubMulF { dst, a, b, c } => {
                    // Two roundings, as the scalar op (never an FMA).
                    let (x, y, z) = (vals[&a], vals[&b], vals[&c]);
                    let p = self.b.ins().fmul(x, y);
                    let ins = self.b.ins();
                    let v = match op {
                        Op::MulAddF { .. } => ins.fadd(p, z),
                        Op::MulSubF { .. } => ins.fsub(p, z),
                        _ => ins.fsub(z, p),
                    };
                    vals.insert(dst, v);
                }
                op => unreachable!("`simd::plan` admits no {op:?}"),
            }
            if !matches!(op, Op::AddIImm { .. }) {
                for r in op.s_writes() {
                    index_fix.retain(|f| f.0 != r);
                }
            }
        }
        let next = self.close_pass_loop(&pass, i);
        // Out of the lanes: the registers as the last iteration left them, the counter and
        // the scalar copy's offsets at the next iteration.
        for &r in &plan.written {
            match index_fix.iter().find(|f| f.0 == r) {
                Some(&(_, x)) => self.set(r, x),
                None => {
                    let x = self.b.ins().extractlane(vals[&r], 1);
                    self.set(r, x);
                }
            }
        }
        self.resume_fast_copy(counter, next, end, fc, fast, back);
    }

    /// `versions[k]`'s loop `unroll::PER` iterations per pass (see `unroll`), from the
    /// guard's block: the body once per iteration, the counter and each access's pointer
    /// stepped once per pass, then on to `fast` (the scalar fast copy) for the last
    /// iterations or to the loop's exit.
    fn unrolled_loop(&mut self, k: usize, fc: &FastCopy, fast: Block) -> Result<(), String> {
        const { assert!(super::unroll::PER == 4, "the addressing below is for four") };
        let (head, back, counter, end_reg) = {
            let v = &self.versions[k];
            (v.head, v.back, v.counter, v.end)
        };
        let lo = self.geti(counter);
        let end = self.geti(end_reg);
        let yes = self.b.ins().iconst(types::I8, 1);
        // Per access: a variable with its address at the pass's first iteration, and its
        // step per iteration in bytes (one value per distinct step: `x[i, c]`, `x[j, c]`).
        let mut ptrs: Vec<(usize, Variable, V)> = Vec::new();
        let mut steps: Vec<(V, V)> = Vec::new(); // (step, the same made before the loop)
        const PER: i64 = super::unroll::PER;
        let (pass, i) = self.open_pass_loop(yes, (lo, end), PER, back, fast, |s| {
            for &(pc, base) in &fc.bases {
                let (arr, _, e) = super::versions::access(&s.f.code[pc]).expect("an access");
                let shift = elem_shift(e);
                let axes = s.versions[k].axes_at(pc).expect("a proven access").to_vec();
                let (mut at, mut by) = (base, None::<V>);
                for (axis, a) in axes.into_iter().enumerate() {
                    if let Axis::Counter { .. } = a {
                        let (x, step) = s.counter_offset(fc, arr, axis, shift);
                        at = s.b.ins().iadd(at, x);
                        by = Some(match by {
                            None => step,
                            Some(b) => s.b.ins().iadd(b, step),
                        });
                    }
                }
                let Some(by) = by else { continue };
                let step = match steps.iter().find(|p| p.0 == by) {
                    Some(p) => p.1,
                    None => {
                        // (A unit copy's step stays an immediate.)
                        let pinned = if fc.unit { by } else { s.pinned(by) };
                        steps.push((by, pinned));
                        pinned
                    }
                };
                let var = s.b.declare_var(I64);
                s.b.def_var(var, at);
                ptrs.push((pc, var, step));
            }
        });
        // (A nest's fast copy around this loop takes its own back after the passes.)
        let around = self.fast.replace(fc.clone());
        self.last_pc = None;
        for u in 0..PER {
            let x = if u == 0 { i } else { self.b.ins().iadd_imm_s(i, u) };
            self.set(counter, x);
            // Iteration `u`'s address, `p + u * s`, as x64 addresses it: `p + s * 2` is one
            // operand, `p + 3 * s` is `(p + s) + s * 2`.
            self.unrolled_ptrs = (ptrs.iter())
                .map(|&(pc, var, st)| {
                    let p = self.b.use_var(var);
                    let at = match u {
                        0 => p,
                        1 => self.b.ins().iadd(p, st),
                        2 => {
                            let two = self.b.ins().ishl_imm_s(st, 1);
                            self.b.ins().iadd(p, two)
                        }
                        _ => {
                            let p1 = self.b.ins().iadd(p, st);
                            let two = self.b.ins().ishl_imm_s(st, 1);
                            self.b.ins().iadd(p1, two)
                        }
                    };
                    (pc, at)
                })
                .collect();
            // Every copy starts an iteration: nothing is known from the last.
            self.forget_facts();
            for pc in head..back {
                let open = self.op(pc)?;
                debug_assert!(open, "an unrolled body is one block");
                self.forget_checks(pc);
            }
        }
        for &(_, var, st) in &ptrs {
            let p = self.b.use_var(var);
            let four = self.b.ins().ishl_imm_s(st, 2);
            let p = self.b.ins().iadd(p, four);
            self.b.def_var(var, p);
        }
        self.unrolled_ptrs.clear();
        self.fast = around;
        let next = self.close_pass_loop(&pass, i);
        self.resume_fast_copy(counter, next, end, fc, fast, back);
        Ok(())
    }

    /// `x`, computed where it is written: Cranelift moves no instruction with two results
    /// (this is `uadd_overflow` of `x` and 0, its carry unused). Its own code motion would
    /// recompute a product of a stride and a constant inside the loop that uses it (the
    /// constant is rematerialized in the loop's block, which pins its user there).
    fn pinned(&mut self, x: V) -> V {
        let zero = self.iconst(0);
        self.b.ins().uadd_overflow(x, zero).0
    }

    /// Opens a loop that runs `per` iterations of a versioned loop per pass (the lanes, the
    /// words), between the guard and the scalar fast copy `fast`: taken when `ok` holds and
    /// `per` iterations of `lo..end` remain, after `before` (work done once, in its own block); polls
    /// once per pass. Returns the loop and the counter at the pass's first iteration.
    fn open_pass_loop(
        &mut self,
        ok: V,
        (lo, end): (V, V),
        per: i64,
        back: usize,
        fast: Block,
        before: impl FnOnce(&mut Self),
    ) -> (PassLoop, V) {
        let span = self.b.ins().isub(end, lo);
        let enough = self.b.ins().icmp_imm_s(IntCC::SignedGreaterThanOrEqual, span, per);
        let ok = self.b.ins().band(enough, ok);
        let (pre, body, exit) = (self.b.create_block(), self.b.create_block(), self.b.create_block());
        self.b.ins().brif(ok, pre, &[], fast, &[]);
        self.switch_sealed(pre);
        before(self);
        let counter = self.b.declare_var(I64);
        self.b.def_var(counter, lo);
        // `end - (per - 1)` cannot wrap: `end >= lo + per`.
        let last = self.b.ins().iadd_imm_s(end, 1 - per);
        self.b.ins().jump(body, &[]);
        self.b.switch_to_block(body);
        if !self.unpolled_at(back) {
            self.poll_count(back);
        }
        let i = self.b.use_var(counter);
        let pass = PassLoop {
            counter,
            last,
            per,
            body,
            exit,
        };
        (pass, i)
    }

    /// Ends a pass of `pass` begun at iteration `i`: on to the next pass while `per`
    /// iterations remain, else out to its exit block (current on return). Returns the
    /// iteration after the pass.
    fn close_pass_loop(&mut self, pass: &PassLoop, i: V) -> V {
        let next = self.b.ins().iadd_imm_s(i, pass.per);
        self.b.def_var(pass.counter, next);
        let more = self.b.ins().icmp(IntCC::SignedLessThan, next, pass.last);
        self.b.ins().brif(more, pass.body, &[], pass.exit, &[]);
        self.switch_sealed(pass.exit);
        self.b.seal_block(pass.body);
        next
    }

    /// After a copy that runs several iterations per pass (the lanes, the words): the
    /// counter and the fast copy's offsets at iteration `next`, then on to the scalar fast
    /// copy `fast` for the iterations left, or out of the loop (whose back-edge is `back`).
    fn resume_fast_copy(
        &mut self,
        counter: u16,
        next: V,
        end: V,
        fc: &FastCopy,
        fast: Block,
        back: usize,
    ) {
        self.set(counter, next);
        for (_, _, _, var, by) in fc.offsets.clone() {
            let o = self.b.ins().imul(next, by);
            self.b.def_var(var, o);
        }
        let left = self.b.ins().icmp(IntCC::SignedLessThan, next, end);
        let after = self.block(back as u32 + 1);
        self.b.ins().brif(left, fast, &[], after, &[]);
    }

    /// The counting copy of loop `k` (`simd::count`), between its guard and the scalar fast
    /// copy `fast`: while eight elements remain (and the array's stride is one byte), one
    /// word of eight `bool`s per pass; the scalar copy counts the rest. After the words,
    /// the flag register holds the last element read, as after the scalar loop.
    fn count_by_words(&mut self, k: usize, c: super::simd::Count, fc: &FastCopy, fast: Block) {
        let (back, counter, end_reg) = {
            let v = &self.versions[k];
            (v.back, v.counter, v.end)
        };
        let Op::ALoad1 { arr, .. } = self.f.code[c.load] else {
            unreachable!("`simd::count` starts with a load")
        };
        let base = fc.bases.iter().find(|b| b.0 == c.load).expect("a base").1;
        let lo = self.geti(counter);
        let end = self.geti(end_reg);
        let st = self.b.use_var(self.array_vars(arr).strides[0]);
        let unit = self.b.ins().icmp_imm_s(IntCC::Equal, st, 1);
        let (pass, i) = self.open_pass_loop(unit, (lo, end), 8, back, fast, |_| {});
        let at = self.b.ins().iadd(base, i);
        let w = self.b.ins().load(I64, self.mem.elem_vec, at, 0);
        // The top bit of each non-zero byte: `((b & 0x7f) + 0x7f) | b` has it set exactly
        // when `b != 0`, and the sum never carries into the next byte.
        let low7 = self.b.ins().band_imm_s(w, 0x7f7f_7f7f_7f7f_7f7f);
        let seven = self.b.ins().iadd_imm_s(low7, 0x7f7f_7f7f_7f7f_7f7f);
        let any = self.b.ins().bor(seven, w);
        let tops = self.b.ins().band_imm_s(any, 0x8080_8080_8080_8080_u64 as i64);
        let n = self.b.ins().popcnt(tops);
        let add = self.b.ins().imul_imm_s(n, c.by as i64);
        let acc = self.geti(c.acc);
        let acc = self.b.ins().iadd(acc, add);
        self.set(c.acc, acc);
        let next = self.close_pass_loop(&pass, i);
        let prev = self.b.ins().iadd(base, next);
        let flag = self.b.ins().uload8(I64, self.mem.elem, prev, -1);
        self.set(c.flag, flag);
        if let Some((x, imm)) = c.index {
            let v = self.b.ins().iadd_imm_s(next, imm as i64 - 1);
            self.set(x, v);
        }
        self.resume_fast_copy(counter, next, end, fc, fast, back);
    }

    /// Whether op `pc` is in a loop run in two versions (`versions`).
    fn in_version(&self, pc: usize) -> bool {
        self.versions.iter().any(|v| (v.head..=v.back).contains(&pc))
            || self.unit_loops.iter().any(|u| (u.head..=u.back).contains(&pc))
    }

    /// Drops the checked accesses that op `pc` may invalidate: those whose index registers
    /// it writes, and all when it may replace an array register's array.
    fn forget_checks(&mut self, pc: usize) {
        let op = &self.f.code[pc];
        if op.may_replace_arrays() {
            self.forget_facts();
            return;
        }
        let written: Vec<u16> = op.s_writes().collect();
        self.checked.retain(|(_, idx)| !idx.iter().any(|r| written.contains(r)));
    }

    /// Forgets the accesses earlier ops checked.
    fn forget_facts(&mut self) {
        self.checked.clear();
    }

    /// A fast copy's counter stepped (the `for` loop's back-edge, a `while` loop's step
    /// op): every `counter * stride` steps with it.
    fn step_offsets(&mut self) {
        if let Some(fc) = self.fast.as_ref() {
            for (_, _, _, var, by) in fc.offsets.clone() {
                let o = self.b.use_var(var);
                let o = self.b.ins().iadd(o, by);
                self.b.def_var(var, o);
            }
        }
    }

    /// In fast copy `fc`: the offset in bytes of array `arr`'s counter axis `axis`
    /// (elements of `1 << shift` bytes) at the current iteration, and its step per
    /// iteration. A unit copy computes it from the counter (an x64 operand scales it).
    fn counter_offset(&mut self, fc: &FastCopy, arr: u16, axis: usize, shift: i64) -> (V, V) {
        if fc.unit {
            let i = self.geti(self.versions[fc.k].counter);
            return (self.b.ins().ishl_imm_s(i, shift), self.iconst(1 << shift));
        }
        let o = fc.offset(arr, axis, shift).expect("every counter axis has its offset");
        (self.b.use_var(o.3), o.4)
    }

    /// A nest's polling (`FastCopy::poll`), from the most iterations of its inner loop
    /// per outer one (`trips`, at least 1, which the guard holds to `POLL_EVERY`): it reads
    /// the interrupt flag every `POLL_EVERY / trips` outer iterations, so that at most
    /// `POLL_EVERY` inner iterations pass between two reads. (A read per outer iteration
    /// cost a register and four instructions per pair of pairwise's nest.) When the guard
    /// fails, the period may be 0: it is not used then.
    fn nest_poll(&mut self, trips: V) -> (Variable, StackSlot) {
        let every = self.iconst(POLL_EVERY);
        let period = self.b.ins().udiv(every, trips);
        let slot = self.b.create_sized_stack_slot(StackSlotData::new(StackSlotKind::ExplicitSlot, 8, 3));
        self.b.ins().stack_store(I64, period, slot, 0);
        let left = self.b.declare_var(I64);
        self.b.def_var(left, period);
        (left, slot)
    }

    /// For nest `k`: whether every array axis that its counter or its inner loop's indexes
    /// has stride 1, or `None` if there is none.
    fn counter_strides_are_one(&mut self, k: usize) -> Option<V> {
        let inner = self.versions[k].inner.expect("a nest").at;
        let mut axes: Vec<(u16, usize)> = Vec::new();
        for v in [k, inner] {
            let v = &self.versions[v];
            for pc in v.head..=v.back {
                let (Some(ax), Some((arr, _, _))) = (v.axes_at(pc), super::versions::access(&self.f.code[pc])) else {
                    continue;
                };
                let counted = ax.iter().enumerate().filter(|(_, a)| matches!(a, Axis::Counter { .. }));
                axes.extend(counted.map(|(axis, _)| (arr, axis)));
            }
        }
        axes.sort_unstable();
        axes.dedup();
        let mut one = None;
        for (arr, axis) in axes {
            let st = self.b.use_var(self.array_vars(arr).strides[axis]);
            let is_one = self.b.ins().icmp_imm_s(IntCC::Equal, st, 1);
            one = Some(self.and_also(one, is_one));
        }
        one
    }

    /// The invariant parts of the fast copy's addresses (emitted with the guard); `unit`:
    /// for the copy where every counter axis's stride is 1.
    fn fast_addressing(&mut self, k: usize, unit: bool) -> FastCopy {
        let (head, back, counter, step) = {
            let v = &self.versions[k];
            (v.head, v.back, v.counter, v.while_count.map(|w| w.step))
        };
        let nest = self.versions[k].inner.is_some();
        let mut fc = FastCopy {
            k,
            unit,
            poll: None,
            bases: Vec::new(),
            offsets: Vec::new(),
        };
        for pc in head..back {
            let Some(axes) = self.versions[k].axes_at(pc).map(<[Axis]>::to_vec) else {
                continue;
            };
            let (arr, _, e) = super::versions::access(&self.f.code[pc]).expect("an access");
            let shift = elem_shift(e);
            let av = self.array_vars(arr);
            let mut base = self.b.use_var(av.ptr);
            for (axis, a) in axes.into_iter().enumerate() {
                let st = self.b.use_var(av.strides[axis]);
                let st = self.b.ins().ishl_imm_s(st, shift);
                match a {
                    Axis::Checked | Axis::Quotient { .. } => {}
                    Axis::Invariant { reg, offset } => {
                        let x = self.invariant_index(reg, offset);
                        let t = self.b.ins().imul(x, st);
                        base = self.b.ins().iadd(base, t);
                    }
                    Axis::Counter { offset } => {
                        let st = if unit { self.iconst(1 << shift) } else { st };
                        if offset != 0 {
                            let t = self.b.ins().imul_imm_s(st, offset as i64);
                            base = self.b.ins().iadd(base, t);
                        }
                        // (A unit copy addresses by the counter itself: `counter_offset`.)
                        if !unit && fc.offset(arr, axis, shift).is_none() {
                            let var = self.b.declare_var(I64);
                            let lo = self.geti(counter);
                            let first = self.b.ins().imul(lo, st);
                            self.b.def_var(var, first);
                            let by = match step {
                                None => st,
                                Some(Step::Imm(c)) => self.b.ins().imul_imm_s(st, c as i64),
                                Some(Step::Reg(r)) => {
                                    let x = self.geti(r);
                                    self.b.ins().imul(x, st)
                                }
                            };
                            let by = if nest { self.pinned(by) } else { by };
                            fc.offsets.push((arr, axis, shift, var, by));
                        }
                    }
                }
            }
            // (A nest's accesses are in blocks after its inner loop: Cranelift would
            // compute them there, per iteration.)
            let base = if nest { self.pinned(base) } else { base };
            fc.bases.push((pc, base));
        }
        fc
    }

    /// An `Axis::Invariant` index: `s[reg] + offset` (wrapping, as `AddIImm`).
    fn invariant_index(&mut self, reg: u16, offset: i64) -> V {
        let x = self.geti(reg);
        self.b.ins().iadd_imm_s(x, offset)
    }

    fn iconst(&mut self, v: i64) -> V {
        self.b.ins().iconst(I64, v)
    }

    fn ctx_load(&mut self, off: i32) -> V {
        let m = if [
            CTX_TABLE,
            CTX_LINKS,
            CTX_HELPERS,
            CTX_MAX_DEPTH,
            CTX_STACK_LIMIT,
            CTX_INTERRUPT,
        ]
        .contains(&off)
        {
            self.mem.fixed
        } else {
            self.mem.ctx
        };
        self.b.ins().load(I64, m, self.ctx, off)
    }

    /// Reads register `r` as type `want` (bit-casting between `i64` and `f64` as needed).
    fn get(&mut self, r: u16, want: types::Type) -> V {
        let v = self.b.use_var(self.vars[r as usize]);
        self.as_type(v, want)
    }
    /// Register `r` in whichever class holds it here without a move (for a store of its
    /// bits).
    fn bits(&mut self, r: u16) -> V {
        let v = self.b.use_var(self.vars[r as usize]);
        self.bit_cast_from(v).unwrap_or(v)
    }
    fn geti(&mut self, r: u16) -> V {
        self.get(r, I64)
    }
    fn getf(&mut self, r: u16) -> V {
        self.get(r, F64)
    }
    fn set(&mut self, r: u16, v: V) {
        let v = self.as_type(v, self.ty[r as usize]);
        self.b.def_var(self.vars[r as usize], v);
    }
    /// Register `r` in its memory form: its word in the file (an `F32` register widened).
    fn word(&mut self, r: u16) -> V {
        let v = self.b.use_var(self.vars[r as usize]);
        if self.ty[r as usize] == types::F32 {
            self.b.ins().fpromote(F64, v)
        } else {
            v
        }
    }
    /// Sets `r` to a boolean (an `i8` 0/1 from a comparison) widened to a word.
    fn set_bool(&mut self, r: u16, c: V) {
        let w = self.b.ins().uextend(I64, c);
        self.set(r, w);
    }

    /// Base address of this frame in the scalar file (reloaded: calls may move the file).
    fn sframe(&mut self) -> V {
        let p = self.ctx_load(CTX_S_PTR);
        self.b.ins().iadd(p, self.bs8)
    }
    fn flush(&mut self, regs: &[u16]) {
        if regs.is_empty() {
            return;
        }
        let base = self.sframe();
        for &r in regs {
            let v = self.word(r);
            let m = self.mem.sfile;
            self.b.ins().store(m, v, base, r as i32 * 8);
        }
    }
    fn reload(&mut self, regs: &[u16]) {
        if regs.is_empty() {
            return;
        }
        let base = self.sframe();
        for &r in regs {
            let m = self.mem.sfile;
            let t = match self.ty[r as usize] {
                types::F32 => F64,
                t => t,
            };
            let v = self.b.ins().load(t, m, base, r as i32 * 8);
            self.set(r, v);
        }
    }

    /// Calls runtime helper `k` (an `H_*` index) through the context's helper table.
    fn call_helper(&mut self, k: usize, args: &[V]) -> Inst {
        let table = self.ctx_load(CTX_HELPERS);
        let m = self.mem.fixed;
        let h = self.b.ins().load(I64, m, table, (k * 8) as i32);
        self.b.ins().call_indirect(self.helper_sigs[k], h, args)
    }

    /// Branches to the error exit when `status` is non-zero.
    fn check(&mut self, status: V) {
        let ok = self.b.create_block();
        self.b.ins().brif(status, self.fail, &[], ok, &[]);
        self.b.switch_to_block(ok);
    }

    /// Runs op `pc` through the interpreter's code on the in-memory frame, with the
    /// scalar registers it reads and writes by the op table (`Op::s_reads`, `s_writes`).
    fn op_via_interp(&mut self, pc: usize) {
        let op = self.f.code[pc];
        let (reads, writes): (Vec<Reg>, Vec<Reg>) =
            (op.s_reads().collect(), op.s_writes().collect());
        self.via_interp(pc, &reads, &writes);
    }

    /// Runs op `pc` through the interpreter's code on the in-memory frame: flushes
    /// `reads`, calls `H_EXEC_OP`, fails on error, reloads `writes`.
    fn via_interp(&mut self, pc: usize, reads: &[u16], writes: &[u16]) {
        self.flush(reads);
        if matches!(self.f.code[pc], Op::Ext { i } if matches!(self.f.ext[i as usize], Ext::ParFor { .. })) {
            // The loop's body runs one frame deeper (`Host::run_par_for` reads it).
            let m = self.mem.ctx;
            self.b.ins().store(m, self.depth, self.ctx, CTX_DEPTH);
        }
        let pc = self.iconst(pc as i64);
        let args = [self.ctx, self.bs, self.ba, self.slot, pc];
        let call = self.call_helper(H_EXEC_OP, &args);
        let st = self.b.inst_results(call)[0];
        self.check(st);
        self.reload(writes);
        self.reload_arrays();
    }

    /// Re-reads the cached headers of the array registers (after a call or helper), so
    /// loops between calls index arrays without touching their headers.
    fn reload_arrays(&mut self) {
        self.reload_arrays_from(0);
    }

    /// [`Self::reload_arrays`] for the cached registers from `first` on.
    fn reload_arrays_from(&mut self, first: usize) {
        if self.arrays.iter().skip(first).all(Option::is_none) {
            return;
        }
        let a = self.aframe();
        for r in first..self.arrays.len() {
            self.reload_array(a, r);
        }
    }

    /// Base address of this frame in the array file.
    fn aframe(&mut self) -> V {
        let a = self.ctx_load(CTX_A_PTR);
        self.b.ins().iadd(a, self.ba8)
    }

    fn reload_array(&mut self, a: V, r: usize) {
        {
            let Some(av) = self.arrays[r] else { return };
            let m = self.mem.afile;
            let w = self.b.ins().load(I64, m, a, r as i32 * 8);
            let null = self.b.ins().icmp_imm_s(IntCC::Equal, w, 0);
            let hdr = self.b.ins().iadd_imm_s(w, self.rc_off);
            // An empty register reads the context's all-zero header instead: shape 0
            // fails every bounds check, `ndim` 0 fails `len`'s.
            let empty = self.b.ins().iadd_imm_s(self.ctx, CTX_EMPTY_HEADER as i64);
            let hdr = self.b.ins().select(null, empty, hdr);
            if av.len {
                let ndim = self.header(hdr, AL::NDIM);
                self.b.def_var(av.ndim, ndim);
            }
            let ptr = self.header(hdr, AL::PTR);
            self.b.def_var(av.ptr, ptr);
            for k in 0..av.axes {
                let n = self.header(hdr, AL::SHAPE + 8 * k as i32);
                self.b.def_var(av.shape[k], n);
                let st = self.header(hdr, AL::STRIDES + 8 * k as i32);
                self.b.def_var(av.strides[k], st);
            }
        }
    }

    /// Emits `if !ok { op pc via the interpreter, which reports the error; fail }` for
    /// checks whose failure is always an nk error (bounds, rank, missing array). No
    /// path rejoins after the helper call, so what Cranelift knows about memory survives.
    ///
    /// Flushes only the op's index registers (`Role::Index`, `Index3`), deliberately
    /// fewer than `Op::s_reads`: the interpreter fails on them before anything else it
    /// reads matters (an element store's value is never stored), and nothing is reloaded.
    /// Switches to `blk`, whose predecessors are all emitted: sealed, a read of a register
    /// there is the value that reaches it, with no block parameter to remove later (and a
    /// value bit-cast in a predecessor can be seen through, see `as_type`).
    fn switch_sealed(&mut self, blk: Block) {
        self.b.switch_to_block(blk);
        self.b.seal_block(blk);
    }

    fn or_fail(&mut self, ok: V, pc: usize) {
        let reads: Vec<Reg> = self.f.code[pc]
            .operands()
            .into_iter()
            .filter(|o| matches!(o.role, Role::Index | Role::Index3))
            .flat_map(|o| o.regs())
            .map(|r| r as Reg)
            .collect();
        let (cont, slow_b) = (self.b.create_block(), self.b.create_block());
        self.b.set_cold_block(slow_b);
        self.b.ins().brif(ok, cont, &[], slow_b, &[]);
        self.switch_sealed(slow_b);
        self.flush(&reads);
        let pc = self.error_pc.unwrap_or_else(|| self.iconst(pc as i64));
        let args = [self.ctx, self.bs, self.ba, self.slot, pc];
        self.call_helper(H_EXEC_OP, &args);
        // Status 0 here would be a bug (the check and the interpreter disagree); failing
        // without a pending error reports it as an internal error, never a wrong value.
        self.b.ins().jump(self.fail, &[]);
        self.switch_sealed(cont);
    }

    /// Emits `if cond { fast } else { op pc via the interpreter }`, joining after.
    fn fast_or_interp(&mut self, ok: V, pc: usize, fast: impl FnOnce(&mut Self)) {
        let (fast_b, slow_b, join) = (
            self.b.create_block(),
            self.b.create_block(),
            self.b.create_block(),
        );
        self.b.set_cold_block(slow_b);
        self.b.ins().brif(ok, fast_b, &[], slow_b, &[]);
        self.b.switch_to_block(fast_b);
        fast(self);
        self.b.ins().jump(join, &[]);
        self.b.switch_to_block(slow_b);
        self.op_via_interp(pc);
        self.b.ins().jump(join, &[]);
        self.b.switch_to_block(join);
    }

    /// Emits the frame's entry tests and the parameters' loads; returns the tests' slow
    /// path (`H_ENTER`), which `cold` leaves as it is.
    fn prologue(&mut self) -> Block {
        let f = self.f;
        let (slow_b, body) = (self.b.create_block(), self.b.create_block());
        self.b.set_cold_block(slow_b);
        // A compare and a branch per test: fewer instructions than or-ing the tests' flags
        // into one branch (fib_rec's prologue 19 → 15).
        let max = self.ctx_load(CTX_MAX_DEPTH);
        let c = self.b.ins().icmp(IntCC::UnsignedGreaterThan, self.depth, max);
        self.branch_out(c, slow_b);
        let s_len = self.ctx_load(CTX_S_LEN);
        let need_s = self.b.ins().iadd_imm_s(self.bs, f.n_s as i64 + 1);
        let c = self.b.ins().icmp(IntCC::UnsignedGreaterThan, need_s, s_len);
        self.branch_out(c, slow_b);
        // A frame without array registers never touches the array file (a callee's
        // window there is the callee's to test).
        if f.n_a > 0 {
            let a_len = self.ctx_load(CTX_A_LEN);
            let need_a = self.b.ins().iadd_imm_s(self.ba, f.n_a as i64 + 1);
            let c = self.b.ins().icmp(IntCC::UnsignedGreaterThan, need_a, a_len);
            self.branch_out(c, slow_b);
        }
        let sp = self.b.ins().get_stack_pointer(I64);
        let limit = self.ctx_load(CTX_STACK_LIMIT);
        let low = self.b.ins().icmp(IntCC::UnsignedLessThan, sp, limit);
        // An interrupt also stops recursion that has no loop to poll it (`H_ENTER` raises
        // it). A function without calls or loops runs a bounded number of ops and returns
        // to a caller that polls (in its loop, or in its own prologue when it recurses):
        // it need not look.
        let slow = if self.leaf && !f.has_loop() {
            low
        } else {
            self.branch_out(low, slow_b);
            let p = self.ctx_load(CTX_INTERRUPT);
            self.b.ins().load(types::I8, self.mem.ctx, p, 0)
        };
        // In the order of the function's own parameters (and `H_ENTER`'s), so that the
        // leaf's body finds them where they arrived, with no moves on the hot path.
        let args = [self.ctx, self.bs, self.ba, self.slot, self.depth];
        if !self.leaf {
            self.b.ins().brif(slow, slow_b, &[], body, &[]);
            self.switch_sealed(slow_b);
            let call = self.call_helper(H_ENTER, &args);
            let st = self.b.inst_results(call)[0];
            self.b.ins().brif(st, self.fail, &[], body, &[]);
            self.switch_sealed(body);
        } else {
            // No nk calls: the parameters cross `H_ENTER` in a stack slot and the body
            // takes them as block parameters, so no value lives across a call on any path
            // but the error exits (which reload the context: `cold`), and the function
            // needs no callee-saved register. Their saves and restores were a
            // fifth of a small callee's instructions.
            for _ in args {
                self.b.append_block_param(body, I64);
            }
            let pass: Vec<BlockArg> = args.iter().map(|&v| BlockArg::Value(v)).collect();
            self.b.ins().brif(slow, slow_b, &[], body, &pass);
            self.switch_sealed(slow_b);
            let saved = self.b.create_sized_stack_slot(StackSlotData::new(
                StackSlotKind::ExplicitSlot,
                8 * args.len() as u32,
                3,
            ));
            for (i, &v) in args.iter().enumerate() {
                self.b.ins().stack_store(I64, v, saved, 8 * i as i32);
            }
            let call = self.call_helper(H_ENTER, &args);
            let st = self.b.inst_results(call)[0];
            let back: Vec<BlockArg> = (0..args.len())
                .map(|i| BlockArg::Value(self.b.ins().stack_load(I64, I64, saved, 8 * i as i32)))
                .collect();
            self.b.ins().brif(st, self.fail, &[], body, &back);
            self.switch_sealed(body);
            let p = self.b.block_params(body).to_vec();
            (self.ctx, self.bs, self.ba, self.slot, self.depth) = (p[0], p[1], p[2], p[3], p[4]);
            self.bs8 = self.b.ins().ishl_imm_s(self.bs, 3);
            self.ba8 = self.b.ins().ishl_imm_s(self.ba, 3);
        }
        let links = self.ctx_load(CTX_LINKS);
        let off = self.b.ins().ishl_imm_s(self.slot, 3);
        let at = self.b.ins().iadd(links, off);
        let m = self.mem.fixed;
        self.links = self.b.ins().load(I64, m, at, 0);
        // Parameters arrive in the first registers of the frame; the rest start at 0.
        let n_params = self.n_params;
        let params: Vec<u16> = (0..n_params.min(f.n_s) as u16).collect();
        self.reload(&params);
        self.reload_arrays();
        for r in n_params..f.n_s {
            let z = match self.ty[r] {
                F64 => self.b.ins().f64const(0.0),
                types::F32 => self.b.ins().f32const(0.0),
                _ => self.iconst(0),
            };
            self.set(r as u16, z);
        }
        let first = self.blocks[0].expect("pc 0 starts a block");
        self.b.ins().jump(first, &[]);
        slow_b
    }

    /// `brif cond → out`, else on in a new block (current on return).
    fn branch_out(&mut self, cond: V, out: Block) {
        let next = self.b.create_block();
        self.b.ins().brif(cond, out, &[], next, &[]);
        self.switch_sealed(next);
    }

    fn block(&self, pc: u32) -> Block {
        self.blocks[pc as usize].expect("jump targets start blocks")
    }

    /// A conditional jump's condition (true: it jumps) and target.
    fn jump_condition(&mut self, pc: usize) -> (V, u32) {
        match self.f.code[pc] {
            Op::JmpIf { c, target } | Op::JmpIfNot { c, target } => {
                let x = self.geti(c);
                let jump_if = matches!(self.f.code[pc], Op::JmpIf { .. });
                if let Some(cond) = self.comparison_of(x, jump_if) {
                    return (cond, target);
                }
                let cc = if jump_if {
                    IntCC::NotEqual
                } else {
                    IntCC::Equal
                };
                (self.b.ins().icmp_imm_s(cc, x, 0), target)
            }
            Op::JmpNotLtI { a, b, target }
            | Op::JmpNotLeI { a, b, target }
            | Op::JmpNotEqI { a, b, target }
            | Op::JmpNotNeI { a, b, target } => {
                let cc = match self.f.code[pc] {
                    Op::JmpNotLtI { .. } => IntCC::SignedGreaterThanOrEqual,
                    Op::JmpNotLeI { .. } => IntCC::SignedGreaterThan,
                    Op::JmpNotEqI { .. } => IntCC::NotEqual,
                    _ => IntCC::Equal,
                };
                let (x, y) = (self.geti(a), self.geti(b));
                (self.b.ins().icmp(cc, x, y), target)
            }
            Op::JmpNotLtF { a, b, target } | Op::JmpNotLeF { a, b, target } => {
                // "not less" includes unordered (NaN) operands.
                let cc = if matches!(self.f.code[pc], Op::JmpNotLtF { .. }) {
                    FloatCC::UnorderedOrGreaterThanOrEqual
                } else {
                    FloatCC::UnorderedOrGreaterThan
                };
                let (x, y) = (self.getf(a), self.getf(b));
                (self.b.ins().fcmp(cc, x, y), target)
            }
            op => unreachable!("not a conditional jump: {op:?}"),
        }
    }

    /// Emits `d` without branches (see `diamonds`): both arms, then a `select` per
    /// register they write, on the test's condition. Returns the join's pc.
    fn if_converted(&mut self, d: &Diamond) -> Result<usize, String> {
        let mut written: Vec<u16> = d.arms().flat_map(|q| self.f.code[q].s_writes()).collect();
        written.sort_unstable();
        written.dedup();
        let (to_else, _) = self.jump_condition(d.test);
        let before: Vec<V> = written.iter().map(|&r| self.b.use_var(self.vars[r as usize])).collect();
        let stores = d.store.map_or([usize::MAX; 2], |(a, b)| [a, b]);
        self.facts_at = Some(d.test);
        let arm = |l: &mut Self, ops: std::ops::Range<usize>| -> Result<Vec<V>, String> {
            for (&r, &v) in written.iter().zip(&before) {
                l.set(r, v);
            }
            // The store is made once, after both arms.
            for q in ops.filter(|q| !stores.contains(q)) {
                l.op(q)?;
            }
            // Selected as words: an `f64` select would branch.
            Ok(written.iter().map(|&r| l.get(r, I64)).collect())
        };
        let then_v = arm(self, d.then_arm.clone())?;
        let else_v = arm(self, d.else_arm.clone())?;
        for ((&r, t), e) in written.iter().zip(then_v).zip(else_v) {
            let v = self.b.ins().select(to_else, e, t);
            self.set(r, v);
        }
        if let Some((then_store, else_store)) = d.store {
            // Both stores' registers hold what the arm the condition picks stored; a
            // failed check reports that arm's store.
            let (t, e) = (self.iconst(then_store as i64), self.iconst(else_store as i64));
            self.error_pc = Some(self.b.ins().select(to_else, e, t));
            self.op(then_store)?;
            self.error_pc = None;
        }
        self.facts_at = None;
        Ok(d.join)
    }

    /// `brif cond → target, else fall through to pc + 1`.
    fn branch(&mut self, cond: V, target: u32, pc: usize) {
        let t = self.block(target);
        let next = self.block(pc as u32 + 1);
        self.b.ins().brif(cond, t, &[], next, &[]);
    }

    /// Adds a reference to the array behind `w` (if any). Counts live at offset 0 of the
    /// word's allocation (`abi::pure::rc_layout` checked that at startup).
    fn incref(&mut self, w: V) {
        let (inc, done) = (self.b.create_block(), self.b.create_block());
        self.b.ins().brif(w, inc, &[], done, &[]);
        self.b.switch_to_block(inc);
        let m = self.mem.refcount;
        let c = self.b.ins().load(I64, m, w, 0);
        let c = self.b.ins().iadd_imm_s(c, 1);
        self.b.ins().store(m, c, w, 0);
        self.b.ins().jump(done, &[]);
        self.b.switch_to_block(done);
    }

    /// Gives up the reference `w` (already removed from its register) holds, if any:
    /// inline above a count of one, through `H_RELEASE` (which frees) at one.
    fn release(&mut self, w: V) {
        let (some, dec, last, done) = (
            self.b.create_block(),
            self.b.create_block(),
            self.b.create_block(),
            self.b.create_block(),
        );
        self.b.set_cold_block(last);
        self.b.ins().brif(w, some, &[], done, &[]);
        self.b.switch_to_block(some);
        let m = self.mem.refcount;
        let c = self.b.ins().load(I64, m, w, 0);
        let shared = self.b.ins().icmp_imm_u(IntCC::UnsignedGreaterThan, c, 1);
        self.b.ins().brif(shared, dec, &[], last, &[]);
        self.b.switch_to_block(dec);
        let c1 = self.b.ins().iadd_imm_s(c, -1);
        self.b.ins().store(m, c1, w, 0);
        self.b.ins().jump(done, &[]);
        self.b.switch_to_block(last);
        self.call_helper(H_RELEASE, &[w]);
        self.b.ins().jump(done, &[]);
        self.b.switch_to_block(done);
    }

    fn header(&mut self, hdr: V, off: i32) -> V {
        let m = self.mem.header;
        self.b.ins().load(I64, m, hdr, off)
    }

    fn array_vars(&self, r: u16) -> ArrayVars {
        self.arrays[r as usize].expect("inline array registers are cached")
    }

    /// Element address for `arr[idx...]` and the condition under which it is valid (every
    /// index in bounds after NumPy's negative wrap; an empty register has shape 0), or
    /// `None` when the loop's guard proved every index (`versions`).
    ///
    /// The array's rank is not tested: in typed bytecode an access always has as many
    /// indices as the array has axes (the interpreter's test never fails). Memory safety
    /// does not depend on it either way: axes past `ndim` have shape 1 and stride 0, so
    /// every index tuple that passes the bounds checks addresses an element of the array.
    /// Strides may be negative (`a[::-1]`): `imul`, `ishl` and `iadd` are two's-complement,
    /// so `ptr + Σ j·(stride·size)` is the signed sum the runtime computes.
    ///
    /// The address is `base + vary`: `base` holds the pointer and the terms a versioned
    /// loop does not change (hoisted out of it), `vary` the per-iteration ones.
    fn element(&mut self, pc: usize, arr: u16, idx: &[u16], e: Prim) -> (V, Option<V>) {
        let av = self.array_vars(arr);
        let shift = elem_shift(e);
        let (mut addr, axes) = match self.fast_access(pc) {
            Some((base, axes)) => (base, Some(axes)),
            None => (self.b.use_var(av.ptr), None),
        };
        let unrolled = self.unrolled_ptrs.iter().find(|p| p.0 == pc).map(|p| p.1);
        if let Some(at) = unrolled {
            addr = at; // the base and every counter axis
        }
        // Proven by a test of the index against the length on every path (`bounds`).
        let at = self.facts_at.unwrap_or(pc);
        let proven = axes.is_none() && matches!(idx, [i] if self.bounds.below(at, arr, *i));
        let seen = axes.is_none() && (proven || self.seen(arr, idx));
        if axes.is_none() && !seen {
            self.checked.push((arr, idx.to_vec()));
        }
        let mut ok: Option<V> = None;
        let mut off: Option<V> = None; // checked axes, in elements
        for (k, &r) in idx.iter().enumerate() {
            let axis = axes.as_ref().map_or(Axis::Checked, |a| a[k]);
            match axis {
                Axis::Checked | Axis::Quotient { .. } => {}
                Axis::Invariant { .. } => continue, // in the base
                Axis::Counter { .. } if unrolled.is_some() => continue,
                Axis::Counter { .. } => {
                    let fc = self.fast.take().expect("a proven axis is in a fast copy");
                    let (o, _) = self.counter_offset(&fc, arr, k, shift);
                    self.fast = Some(fc);
                    addr = self.b.ins().iadd(addr, o);
                    continue;
                }
            }
            let n = self.b.use_var(av.shape[k]);
            // (A unit-stride copy's 1-D accesses: the stride its test found.)
            let st = match idx.len() == 1 && self.unit.contains(&arr) {
                true => self.iconst(1),
                false => self.b.use_var(av.strides[k]),
            };
            let i = self.geti(r);
            let tested = self.bounds.non_negative(at, r);
            let j = if self.non_negative[r as usize] || tested || matches!(axis, Axis::Quotient { .. }) {
                i // (`ranges` or the version's guard: no wrap needed)
            } else {
                let neg = self.b.ins().icmp_imm_s(IntCC::SignedLessThan, i, 0);
                let wrapped = self.b.ins().iadd(i, n);
                self.b.ins().select(neg, wrapped, i)
            };
            if axis == Axis::Checked && !seen {
                let inb = self.b.ins().icmp(IntCC::UnsignedLessThan, j, n);
                ok = Some(self.and_also(ok, inb));
            }
            let t = self.b.ins().imul(j, st);
            off = Some(match off {
                None => t,
                Some(o) => self.b.ins().iadd(o, t),
            });
        }
        if let Some(off) = off {
            let bytes = self.b.ins().ishl_imm_s(off, shift);
            addr = self.b.ins().iadd(addr, bytes);
        }
        (addr, ok)
    }

    /// In a fast copy: the invariant base of the access at `pc`, and its proven axes.
    fn fast_access(&self, pc: usize) -> Option<(V, Vec<Axis>)> {
        let fc = self.fast.as_ref()?;
        let axes = self.versions[fc.k].axes_at(pc)?.to_vec();
        let base = fc.bases.iter().find(|b| b.0 == pc)?.1;
        Some((base, axes))
    }

    /// Whether an op that every path here passed checked the element `arr[idx]`
    /// (`checked`).
    fn seen(&self, arr: u16, idx: &[u16]) -> bool {
        self.checked.iter().any(|(a, i)| *a == arr && i[..] == idx[..])
    }

    /// Whether the access at `pc` would be emitted without a bounds check here (`element`).
    /// (`bounds` facts taken as they hold at op `at`, which every path to `pc` passes
    /// without writing the access's registers.)
    fn checked_already(&self, pc: usize, at: usize) -> bool {
        let Some((arr, idx, _)) = super::versions::access(&self.f.code[pc]) else {
            return false;
        };
        match self.fast_access(pc) {
            Some((_, axes)) => !axes.contains(&Axis::Checked),
            None => self.seen(arr, &idx) || matches!(idx[..], [i] if self.bounds.below(at, arr, i)),
        }
    }

    fn int_bin(&mut self, dst: u16, a: u16, b: u16, f: impl FnOnce(&mut Self, V, V) -> V) {
        let (x, y) = (self.geti(a), self.geti(b));
        let v = f(self, x, y);
        self.set(dst, v);
    }
    fn float_bin(&mut self, dst: u16, a: u16, b: u16, f: impl FnOnce(&mut Self, V, V) -> V) {
        // An `F32` result: `narrow_f32` made it one only for `+ - * /` of two `f32`
        // values rounded in place by the next op, so the operation runs in `f32` (an
        // operand in an `F64` register, which only `f32`-exact constants write, narrows
        // exactly).
        let t = match self.ty[dst as usize] {
            types::F32 => types::F32,
            _ => F64,
        };
        let (x, y) = (self.get(a, t), self.get(b, t));
        let v = f(self, x, y);
        self.set(dst, v);
    }
    fn icmp(&mut self, cc: IntCC, dst: u16, a: u16, b: u16) {
        let (x, y) = (self.geti(a), self.geti(b));
        let c = self.b.ins().icmp(cc, x, y);
        self.set_bool(dst, c);
    }
    fn fcmp(&mut self, cc: FloatCC, dst: u16, a: u16, b: u16) {
        let (x, y) = (self.getf(a), self.getf(b));
        let c = self.b.ins().fcmp(cc, x, y);
        self.set_bool(dst, c);
    }
    fn math2(&mut self, code: i64, x: V, y: V) -> V {
        let c = self.iconst(code);
        let call = self.call_helper(H_MATH2, &[c, x, y]);
        self.b.inst_results(call)[0]
    }

    /// `u / k` for a `u` below 2^63 (`x ^ (x >> 63)` always is) and a constant `k > 0`
    /// not a power of two: one high multiply and a shift (`magic_below_2_63`), where
    /// Cranelift's `udiv` by a constant must serve every `u64` and for most `k` needs an
    /// add-and-shift fix-up after the multiply.
    fn udiv_below_2_63(&mut self, u: V, k: u64) -> V {
        let (m, s) = magic_below_2_63(k);
        let m = self.iconst(m as i64);
        let hi = self.b.ins().umulhi(u, m);
        match s {
            0 => hi,
            s => self.b.ins().ushr_imm_s(hi, s as i64),
        }
    }

    /// Python's floor division and modulo for a positive divisor `y` (no trap possible).
    fn floor_divmod(&mut self, x: V, y: V) -> (V, V) {
        let q = self.b.ins().sdiv(x, y);
        let r = self.b.ins().srem(x, y);
        let neg = self.b.ins().icmp_imm_s(IntCC::SignedLessThan, r, 0);
        let q1 = self.b.ins().iadd_imm_s(q, -1);
        let r1 = self.b.ins().iadd(r, y);
        let q = self.b.ins().select(neg, q1, q);
        let r = self.b.ins().select(neg, r1, r);
        (q, r)
    }

    /// A `for` loop's polling limit from counter value `n`: its next multiple of
    /// `POLL_EVERY`, or its end.
    fn next_poll_limit(&mut self, n: V, end: V) -> V {
        let base = self.b.ins().band_imm_s(n, !(POLL_EVERY - 1));
        let at = self.b.ins().iadd_imm_s(base, POLL_EVERY);
        self.b.ins().smin(end, at)
    }

    /// At a loop back-edge: stop if the run was interrupted (`ctx.interrupt`).
    fn poll_interrupt(&mut self, pc: usize) {
        if self.unpolled_at(pc) || matches!(self.f.code[pc], Op::ForLoop { .. }) && self.for_limits[pc].is_some() {
            return; // checked by the nest around, or in the loop's own back-edge (`Op::ForLoop`)
        }
        self.poll_count(pc);
    }

    /// Whether op `pc` is in a nest's inner loop whose fast copy is being emitted (see
    /// `unpolled`).
    fn unpolled_at(&self, pc: usize) -> bool {
        self.unpolled.is_some_and(|(entry, back)| (entry..=back).contains(&pc))
    }

    /// The polling limit of the `for` loop entered or stepped at op `pc` (see `for_limits`),
    /// unless it does not poll.
    fn for_limit(&self, pc: usize) -> Option<Variable> {
        self.for_limits[pc].filter(|_| !self.unpolled_at(pc))
    }

    /// Counts a back-edge in `poll`; every `POLL_EVERY`, reads the interrupt flag and stops
    /// (as interrupted at op `pc`) when it is set. Other loops (and a `for` entered some
    /// other way) poll this way.
    fn poll_count(&mut self, pc: usize) {
        let left = self.b.use_var(self.poll);
        let left = self.b.ins().iadd_imm_s(left, -1);
        self.b.def_var(self.poll, left);
        let (look, go) = (self.b.create_block(), self.b.create_block());
        self.b.set_cold_block(look);
        self.b.ins().brif(left, go, &[], look, &[]);
        // Every POLL_EVERY back-edges: read the flag.
        self.switch_sealed(look);
        let again = self.iconst(POLL_EVERY);
        self.b.def_var(self.poll, again);
        self.stop_if_interrupted(pc, go);
        self.switch_sealed(go);
    }

    /// Reads the interrupt flag (`ctx.interrupt`): set, a cold block stops the run as
    /// interrupted at op `pc`; else on to `go`. Leaves the builder in the cold block's
    /// successor-less end: the caller switches to `go`.
    fn stop_if_interrupted(&mut self, pc: usize, go: Block) {
        let p = self.ctx_load(CTX_INTERRUPT);
        let flag = self.b.ins().load(types::I8, self.mem.ctx, p, 0);
        let stop = self.b.create_block();
        self.b.set_cold_block(stop);
        self.b.ins().brif(flag, stop, &[], go, &[]);
        self.switch_sealed(stop);
        self.stop_interrupted(pc);
    }

    /// In a block of its own: op `pc` was interrupted; record it and fail.
    fn stop_interrupted(&mut self, pc: usize) {
        let args = [self.ctx, self.slot, self.iconst(pc as i64)];
        self.call_helper(H_INTERRUPTED, &args);
        self.b.ins().jump(self.fail, &[]);
    }

    /// Emits op `pc`; returns whether the current block is still open (falls through).
    fn op(&mut self, pc: usize) -> Result<bool, String> {
        let f = self.f;
        if f.code[pc].jump_target().is_some_and(|t| t as usize <= pc) {
            self.poll_interrupt(pc);
        }
        if let (&Op::JmpNotLtI { .. }, Some(lim)) = (&f.code[pc], self.for_limit(pc)) {
            // Entering a `for` loop: its polling limit starts below any counter (its first
            // back-edge polls).
            let first = self.iconst(i64::MIN);
            self.b.def_var(lim, first);
        }
        match f.code[pc] {
            Op::LoadK { dst, k } => {
                let bits = f.consts[k as usize];
                let v = match self.ty[dst as usize] {
                    F64 => self.b.ins().f64const(f64::from_bits(bits)),
                    // Exact: `narrow_f32` checked that `f32` holds the constant.
                    types::F32 => self.b.ins().f32const(f64::from_bits(bits) as f32),
                    _ => self.iconst(bits as i64),
                };
                self.set(dst, v);
            }
            Op::Mov { dst, src } => {
                let v = self.get(src, self.ty[dst as usize]);
                self.set(dst, v);
            }
            Op::AddI { dst, a, b } => self.int_bin(dst, a, b, |s, x, y| s.b.ins().iadd(x, y)),
            Op::SubI { dst, a, b } => self.int_bin(dst, a, b, |s, x, y| s.b.ins().isub(x, y)),
            Op::MulI { dst, a, b } => self.int_bin(dst, a, b, |s, x, y| s.b.ins().imul(x, y)),
            Op::FloorDivI { dst, a, b } | Op::ModI { dst, a, b } => {
                let is_div = matches!(f.code[pc], Op::FloorDivI { .. });
                let y = self.geti(b);
                let pos = self.b.ins().icmp_imm_s(IntCC::SignedGreaterThan, y, 0);
                self.fast_or_interp(pos, pc, |s| {
                    let x = s.geti(a);
                    let (q, r) = s.floor_divmod(x, y);
                    s.set(dst, if is_div { q } else { r });
                });
            }
            Op::FloorDivIK { dst, a, d } | Op::ModIK { dst, a, d } => {
                let is_div = matches!(f.code[pc], Op::FloorDivIK { .. });
                let x = self.geti(a);
                let k = f.divisors[d as usize].get();
                let v = if k.is_power_of_two() {
                    // Floor division and modulo by 2^s are an arithmetic shift and a mask
                    // in two's complement, negative dividends included (-3 // 2 == -2,
                    // -3 % 4 == 1).
                    if is_div {
                        self.b.ins().sshr_imm_s(x, k.trailing_zeros() as i64)
                    } else {
                        self.b.ins().band_imm_s(x, k as i64 - 1)
                    }
                } else {
                    // Floor division by a constant `k > 0` with no fix-up after it: with
                    // `m = x >> 63` (all ones for a negative `x`), `x ^ m` is `x` or
                    // `-x - 1`, never negative, and `x // k == m ^ ((x ^ m) / k)` in
                    // unsigned division, which Cranelift makes a multiply. A register
                    // `ranges` proves non-negative, overflow included, needs no `m`.
                    let m = (!self.non_negative_exact[a as usize]).then(|| self.b.ins().sshr_imm_s(x, 63));
                    let u = match m {
                        Some(m) => self.b.ins().bxor(x, m),
                        None => x,
                    };
                    let q = self.udiv_below_2_63(u, k);
                    let q = match m {
                        Some(m) => self.b.ins().bxor(q, m),
                        None => q,
                    };
                    if is_div {
                        q
                    } else {
                        let qk = self.b.ins().imul_imm_s(q, k as i64);
                        self.b.ins().isub(x, qk)
                    }
                };
                self.set(dst, v);
            }
            Op::PowI { .. } => self.op_via_interp(pc),
            Op::AddIImm { dst, a, imm } => {
                let x = self.geti(a);
                let v = self.b.ins().iadd_imm_s(x, imm as i64);
                self.set(dst, v);
            }
            Op::AddF { dst, a, b } => self.float_bin(dst, a, b, |s, x, y| s.b.ins().fadd(x, y)),
            Op::SubF { dst, a, b } => self.float_bin(dst, a, b, |s, x, y| s.b.ins().fsub(x, y)),
            Op::MulF { dst, a, b } => self.float_bin(dst, a, b, |s, x, y| s.b.ins().fmul(x, y)),
            Op::DivF { dst, a, b } => self.float_bin(dst, a, b, |s, x, y| s.b.ins().fdiv(x, y)),
            Op::FloorDivF { dst, a, b } => {
                self.float_bin(dst, a, b, |s, x, y| s.math2(M2_FLOORDIV, x, y))
            }
            Op::ModF { dst, a, b } => self.float_bin(dst, a, b, |s, x, y| s.math2(M2_MOD, x, y)),
            Op::PowF { dst, a, b } => self.float_bin(dst, a, b, |s, x, y| s.math2(M2_POWF, x, y)),
            Op::PowHalfF { dst, a } => {
                // `runtime::ops::pow_half`: |sqrt(x)|, but +inf for -inf.
                let x = self.getf(a);
                let root = self.b.ins().sqrt(x);
                let root = self.b.ins().fabs(root);
                let neg_inf = self.b.ins().f64const(f64::NEG_INFINITY);
                let inf = self.b.ins().f64const(f64::INFINITY);
                let is_neg_inf = self.b.ins().fcmp(FloatCC::Equal, x, neg_inf);
                let v = self.b.ins().select(is_neg_inf, inf, root);
                self.set(dst, v);
            }
            Op::MulAddI { dst, a, b, c }
            | Op::MulSubI { dst, a, b, c }
            | Op::SubMulI { dst, a, b, c }
            | Op::MulAddF { dst, a, b, c }
            | Op::MulSubF { dst, a, b, c }
            | Op::SubMulF { dst, a, b, c } => {
                // Float forms are rounded twice, as the interpreter does: never an FMA.
                let float = matches!(
                    f.code[pc],
                    Op::MulAddF { .. } | Op::MulSubF { .. } | Op::SubMulF { .. }
                );
                let ty = if float { F64 } else { I64 };
                let (x, y, z) = (self.get(a, ty), self.get(b, ty), self.get(c, ty));
                let ins = self.b.ins();
                let m = if float {
                    ins.fmul(x, y)
                } else {
                    ins.imul(x, y)
                };
                let ins = self.b.ins();
                let v = match (f.code[pc], float) {
                    (Op::MulAddI { .. } | Op::MulAddF { .. }, false) => ins.iadd(m, z),
                    (Op::MulAddI { .. } | Op::MulAddF { .. }, true) => ins.fadd(m, z),
                    (Op::MulSubI { .. } | Op::MulSubF { .. }, false) => ins.isub(m, z),
                    (Op::MulSubI { .. } | Op::MulSubF { .. }, true) => ins.fsub(m, z),
                    (_, false) => ins.isub(z, m),
                    (_, true) => ins.fsub(z, m),
                };
                self.set(dst, v);
            }
            Op::NegI { dst, a } => {
                let x = self.geti(a);
                let v = self.b.ins().ineg(x);
                self.set(dst, v);
            }
            Op::AndI { dst, a, b } => self.int_bin(dst, a, b, |s, x, y| s.b.ins().band(x, y)),
            Op::OrI { dst, a, b } => self.int_bin(dst, a, b, |s, x, y| s.b.ins().bor(x, y)),
            Op::XorI { dst, a, b } => self.int_bin(dst, a, b, |s, x, y| s.b.ins().bxor(x, y)),
            Op::NotI { dst, a } => {
                let x = self.geti(a);
                let v = self.b.ins().bnot(x);
                self.set(dst, v);
            }
            Op::ShlI { dst, a, b, t } | Op::ShrI { dst, a, b, t } => {
                // In range (0 <= count < width, one unsigned compare): the shift; else the
                // interpreter's op reports the error.
                let left = matches!(f.code[pc], Op::ShlI { .. });
                let y = self.geti(b);
                let ok = self.b.ins().icmp_imm_s(IntCC::UnsignedLessThan, y, t.size() as i64 * 8);
                self.fast_or_interp(ok, pc, |s| {
                    let x = s.geti(a);
                    let v = if left {
                        s.b.ins().ishl(x, y)
                    } else {
                        s.b.ins().sshr(x, y)
                    };
                    s.set(dst, v);
                });
            }
            Op::NegF { dst, a } => {
                // In `f32` for an `F32` result (its operand is one too): exact either way.
                let t = match self.ty[dst as usize] {
                    types::F32 => types::F32,
                    _ => F64,
                };
                let x = self.get(a, t);
                let v = self.b.ins().fneg(x);
                self.set(dst, v);
            }
            Op::Not { dst, a } => {
                let x = self.geti(a);
                let c = self.b.ins().icmp_imm_s(IntCC::Equal, x, 0);
                self.set_bool(dst, c);
            }
            Op::LtI { dst, a, b } => self.icmp(IntCC::SignedLessThan, dst, a, b),
            Op::LeI { dst, a, b } => self.icmp(IntCC::SignedLessThanOrEqual, dst, a, b),
            Op::EqI { dst, a, b } => self.icmp(IntCC::Equal, dst, a, b),
            Op::NeI { dst, a, b } => self.icmp(IntCC::NotEqual, dst, a, b),
            Op::LtF { dst, a, b } => self.fcmp(FloatCC::LessThan, dst, a, b),
            Op::LeF { dst, a, b } => self.fcmp(FloatCC::LessThanOrEqual, dst, a, b),
            Op::EqF { dst, a, b } => self.fcmp(FloatCC::Equal, dst, a, b),
            Op::NeF { dst, a, b } => self.fcmp(FloatCC::NotEqual, dst, a, b),
            Op::I2F { dst, a, to } => {
                let x = self.geti(a);
                let v = if to == Prim::F32 {
                    self.b.ins().fcvt_from_sint(types::F32, x)
                } else {
                    self.b.ins().fcvt_from_sint(F64, x)
                };
                self.set(dst, v);
            }
            Op::F2I { dst, a, to } => {
                // Truncation saturating at the kind's range, NaN → 0 (`ops::float_to_int`):
                // saturating at i64's range, then clamping, saturates at the narrower one.
                let x = self.getf(a);
                let v = match to {
                    Prim::Bool => {
                        let zero = self.b.ins().f64const(0.0);
                        let c = self.b.ins().fcmp(FloatCC::NotEqual, x, zero);
                        self.b.ins().uextend(I64, c)
                    }
                    _ => {
                        let t = self.b.ins().fcvt_to_sint_sat(I64, x);
                        let (lo, hi) = match to {
                            Prim::U8 => (0, u8::MAX as i64),
                            Prim::I32 => (i32::MIN as i64, i32::MAX as i64),
                            _ => (i64::MIN, i64::MAX),
                        };
                        if to == Prim::I64 {
                            t
                        } else {
                            let lo = self.iconst(lo);
                            let hi = self.iconst(hi);
                            let t = self.b.ins().smax(t, lo);
                            self.b.ins().smin(t, hi)
                        }
                    }
                };
                self.set(dst, v);
            }
            Op::NarrowI { dst, a, to } => {
                let x = self.geti(a);
                let v = match to {
                    Prim::U8 => self.b.ins().band_imm_s(x, 0xff),
                    Prim::I32 => {
                        let n = self.b.ins().ireduce(types::I32, x);
                        self.b.ins().sextend(I64, n)
                    }
                    Prim::Bool => {
                        let c = self.b.ins().icmp_imm_s(IntCC::NotEqual, x, 0);
                        self.b.ins().uextend(I64, c)
                    }
                    _ => x,
                };
                self.set(dst, v);
            }
            Op::RoundF32 { dst, a } => {
                // `get` narrows an `F64` register with `fdemote` (the rounding) and leaves
                // an `F32` one as it is (already an `f32` value); `set` widens it for an
                // `F64` destination.
                let v = self.get(a, types::F32);
                self.set(dst, v);
            }
            Op::Math1 { f: mf, dst, a } => {
                let x = self.getf(a);
                let v = match mf {
                    MathFn::Sqrt => self.b.ins().sqrt(x),
                    MathFn::Abs => self.b.ins().fabs(x),
                    _ => {
                        let c = self.iconst(math1_code(mf));
                        let call = self.call_helper(H_MATH1, &[c, x]);
                        self.b.inst_results(call)[0]
                    }
                };
                self.set(dst, v);
            }
            Op::AbsI { dst, a } => {
                let x = self.geti(a);
                let v = self.b.ins().iabs(x);
                self.set(dst, v);
            }
            // `minimum`/`maximum` inline, as `runtime::ops::float_minimum`: a NaN operand
            // wins (the first if both), else `x <= y ? x : y` (`>=` for the maximum).
            Op::Math2 {
                f: mf @ (MathFn2::Minimum | MathFn2::Maximum),
                dst,
                a,
                b,
            } => self.float_bin(dst, a, b, |s, x, y| {
                let cc = if mf == MathFn2::Minimum {
                    FloatCC::LessThanOrEqual
                } else {
                    FloatCC::GreaterThanOrEqual
                };
                let keep_x = s.b.ins().fcmp(cc, x, y);
                let r = s.b.ins().select(keep_x, x, y);
                let x_nan = s.b.ins().fcmp(FloatCC::Unordered, x, x);
                s.b.ins().select(x_nan, x, r)
            }),
            Op::Math2 { f: mf, dst, a, b } => {
                self.float_bin(dst, a, b, |s, x, y| s.math2(math2_code(mf), x, y))
            }
            Op::MinI { dst, a, b } => self.int_bin(dst, a, b, |s, x, y| s.b.ins().smin(x, y)),
            Op::MaxI { dst, a, b } => self.int_bin(dst, a, b, |s, x, y| s.b.ins().smax(x, y)),
            Op::IsNan { dst, a } => {
                let x = self.getf(a);
                let c = self.b.ins().fcmp(FloatCC::Unordered, x, x);
                self.set_bool(dst, c);
            }
            Op::IsInf { dst, a } => {
                let x = self.getf(a);
                let ax = self.b.ins().fabs(x);
                let inf = self.b.ins().f64const(f64::INFINITY);
                let c = self.b.ins().fcmp(FloatCC::Equal, ax, inf);
                self.set_bool(dst, c);
            }
            Op::Jmp { target } => {
                let t = self.block(target);
                self.b.ins().jump(t, &[]);
                return Ok(false);
            }
            Op::JmpIf { .. }
            | Op::JmpIfNot { .. }
            | Op::JmpNotLtI { .. }
            | Op::JmpNotLeI { .. }
            | Op::JmpNotEqI { .. }
            | Op::JmpNotNeI { .. }
            | Op::JmpNotLtF { .. }
            | Op::JmpNotLeF { .. } => {
                let (cond, target) = self.jump_condition(pc);
                self.branch(cond, target, pc);
                return Ok(false);
            }
            Op::ForLoop { i, end, target } => {
                let x = self.geti(i);
                let n = self.b.ins().iadd_imm_s(x, 1);
                self.set(i, n);
                // A fast copy's back-edge: every `i * stride` steps with the counter; a
                // nest's counts down to its reads of the interrupt flag (`nest_poll`: its
                // inner loop does not poll).
                if let Some(fc) = self.fast.as_ref().filter(|fc| self.versions[fc.k].back == pc) {
                    let poll = fc.poll;
                    self.step_offsets();
                    if let Some((left, period)) = poll {
                        let n = self.b.use_var(left);
                        let n = self.b.ins().iadd_imm_s(n, -1);
                        self.b.def_var(left, n);
                        let (look, go) = (self.b.create_block(), self.b.create_block());
                        self.b.set_cold_block(look);
                        self.b.ins().brif(n, go, &[], look, &[]);
                        self.switch_sealed(look);
                        let again = self.b.ins().stack_load(I64, I64, period, 0);
                        self.b.def_var(left, again);
                        self.stop_if_interrupted(pc, go);
                        self.switch_sealed(go);
                    }
                }
                let Some(lim) = self.for_limit(pc) else {
                    let e = self.geti(end);
                    let cond = self.b.ins().icmp(IntCC::SignedLessThan, n, e);
                    self.branch(cond, target, pc);
                    return Ok(false);
                };
                // Hot back-edge: one compare, as without interrupts. At the limit: the
                // loop ends, or (every POLL_EVERY iterations) the flag is read.
                let l = self.b.use_var(lim);
                let fast = self.b.ins().icmp(IntCC::SignedLessThan, n, l);
                let (t, next) = (self.block(target), self.block(pc as u32 + 1));
                let blocks = [(); 3].map(|_| self.b.create_block());
                let [slow, look, relimit] = blocks;
                // `slow` (where the loop ends) stays in line, right after the back-edge: a
                // cold one would make the back-edge a test and a jump, two instructions.
                [look, relimit].iter().for_each(|&k| self.b.set_cold_block(k));
                self.b.ins().brif(fast, t, &[], slow, &[]);
                self.b.switch_to_block(slow);
                let e = self.geti(end);
                let more = self.b.ins().icmp(IntCC::SignedLessThan, n, e);
                self.b.ins().brif(more, look, &[], next, &[]);
                self.b.switch_to_block(look);
                self.stop_if_interrupted(pc, relimit);
                self.b.switch_to_block(relimit);
                let new = self.next_poll_limit(n, e);
                self.b.def_var(lim, new);
                self.b.ins().jump(t, &[]);
                return Ok(false);
            }
            Op::ForStepPrep {
                i,
                end,
                step,
                target,
            } => {
                let sv = self.geti(step);
                let nz = self.b.ins().icmp_imm_s(IntCC::NotEqual, sv, 0);
                // A zero step is the interpreter's error.
                self.fast_or_interp(nz, pc, |_| {});
                let (iv, ev, sv) = (self.geti(i), self.geti(end), self.geti(step));
                let cond = self.in_range(iv, ev, sv);
                let empty = self.b.ins().bxor_imm_s(cond, 1);
                self.branch(empty, target, pc);
                return Ok(false);
            }
            Op::ForStep {
                i,
                end,
                step,
                target,
            } => {
                let (iv, sv) = (self.geti(i), self.geti(step));
                let (n, ovf) = self.b.ins().sadd_overflow(iv, sv);
                // On overflow the loop ends with `i` unchanged.
                let go = self.b.create_block();
                let next = self.block(pc as u32 + 1);
                self.b.ins().brif(ovf, next, &[], go, &[]);
                self.b.switch_to_block(go);
                self.set(i, n);
                let ev = self.geti(end);
                let cond = self.in_range(n, ev, sv);
                self.branch(cond, target, pc);
                return Ok(false);
            }
            Op::ALoad1 { dst, arr, i, e } => self.load_elem(pc, dst, arr, &[i], e),
            Op::ALoad2 { dst, arr, i, j, e } => self.load_elem(pc, dst, arr, &[i, j], e),
            Op::ALoad3 { dst, arr, idx, e } => {
                self.load_elem(pc, dst, arr, &[idx, idx + 1, idx + 2], e)
            }
            Op::AStore1 { arr, i, src, e } => self.store_elem(pc, src, arr, &[i], e),
            Op::AStore2 { arr, i, j, src, e } => self.store_elem(pc, src, arr, &[i, j], e),
            Op::AStore3 { arr, idx, src, e } => {
                self.store_elem(pc, src, arr, &[idx, idx + 1, idx + 2], e)
            }
            Op::Len { dst, arr } => {
                let av = self.array_vars(arr);
                // An empty register (its header's rank 0) fails in the interpreter's code,
                // unless every path here put an array in it (`held`).
                if !self.held.at(pc, arr) {
                    let ndim = self.b.use_var(av.ndim);
                    let ok = self.b.ins().icmp_imm_s(IntCC::NotEqual, ndim, 0);
                    self.or_fail(ok, pc);
                }
                let n = self.b.use_var(av.shape[0]);
                self.set(dst, n);
            }
            Op::MovA { dst, src } => {
                // a[dst] = a[src].clone(), with the counts adjusted inline; nothing when
                // `dst` holds that array already (an argument passed again in a loop,
                // `f(x, table)`: its count would go up and straight down).
                let base = self.aframe();
                let m = self.mem.afile;
                let ws = self.b.ins().load(I64, m, base, src as i32 * 8);
                let wd = self.b.ins().load(I64, m, base, dst as i32 * 8);
                let (copy, done) = (self.b.create_block(), self.b.create_block());
                let same = self.b.ins().icmp(IntCC::Equal, ws, wd);
                self.b.ins().brif(same, done, &[], copy, &[]);
                self.b.switch_to_block(copy);
                self.incref(ws);
                self.b.ins().store(m, ws, base, dst as i32 * 8);
                self.release(wd);
                self.b.ins().jump(done, &[]);
                self.b.switch_to_block(done);
                self.reload_array(base, dst as usize);
            }
            Op::Call { slot, s: ws, a: wa } => {
                let callee = &self.prog.funcs[slot as usize];
                let n_args: usize = callee
                    .params
                    .iter()
                    .map(|&p| scalar_leaves(&callee.locals[p as usize].ty))
                    .sum();
                let n_ret = scalar_leaves(&callee.ret);
                let args: Vec<u16> = (ws..ws + n_args as u16).collect();
                self.flush(&args);
                // The callee's slot in this program comes from the link vector.
                let k = self
                    .callees
                    .iter()
                    .position(|&c| c == slot)
                    .expect("`CompiledFn::callees` lists every callee");
                let m = self.mem.fixed;
                let sl = self.b.ins().load(I64, m, self.links, k as i32 * 8);
                let m = self.mem.ctx;
                let table = self.ctx_load(CTX_TABLE);
                let off = self.b.ins().ishl_imm_s(sl, 3);
                let entry = self.b.ins().iadd(table, off);
                let target = self.b.ins().load(I64, m, entry, 0);
                let cbs = self.b.ins().iadd_imm_s(self.bs, ws as i64);
                let cba = self.b.ins().iadd_imm_s(self.ba, wa as i64);
                let d = self.b.ins().iadd_imm_s(self.depth, 1);
                let call = (self.b.ins())
                    .call_indirect(self.native_sig, target, &[self.ctx, cbs, cba, sl, d]);
                let st = self.b.inst_results(call)[0];
                // On failure: add this frame to the chain, then fail too.
                let (bad, ok) = (self.b.create_block(), self.b.create_block());
                self.b.set_cold_block(bad);
                self.b.ins().brif(st, bad, &[], ok, &[]);
                self.switch_sealed(bad);
                let args = [self.ctx, self.slot, self.iconst(pc as i64)];
                self.call_helper(H_TRACE, &args);
                self.b.ins().jump(self.fail, &[]);
                self.switch_sealed(ok);
                let rets: Vec<u16> = (ws..ws + n_ret as u16).collect();
                self.reload(&rets);
                // The callee's frame starts at the window: the array registers below it
                // hold the same arrays as before the call, whose headers never change
                // (a view is rewritten in place only when nothing else holds it).
                self.reload_arrays_from(wa as usize);
            }
            Op::Ret { s, ns, na, .. } => {
                // Results go to the bottom of the frame, where the caller's window is.
                let vals: Vec<V> = (s..s + ns).map(|r| self.word(r)).collect();
                let base = self.sframe();
                for (k, v) in vals.into_iter().enumerate() {
                    let m = self.mem.sfile;
                    self.b.ins().store(m, v, base, k as i32 * 8);
                }
                // The parameters' registers are the caller's window: left to the caller,
                // like its other temporaries (overwritten by its next call there, cleared
                // by its own `Ret`). So a row view passed in a loop (`f(m[i])`) is still in
                // the window at the next iteration, where `H_VIEW` rewrites it in place
                // instead of allocating a new one.
                let first = (na as usize).max(self.n_array_params) as i32;
                if na > 0 || first < f.n_a as i32 {
                    // Moves the array results down and releases the frame's other arrays
                    // (as the interpreter's `Ret`: `a[k] = a[ra + k].take()`, then clear).
                    let Op::Ret { a: ra, .. } = f.code[pc] else {
                        unreachable!()
                    };
                    let base = self.aframe();
                    let m = self.mem.afile;
                    let zero = self.iconst(0);
                    for k in 0..na as i32 {
                        let from = (ra as i32 + k) * 8;
                        let w = self.b.ins().load(I64, m, base, from);
                        self.b.ins().store(m, zero, base, from);
                        let old = self.b.ins().load(I64, m, base, k * 8);
                        self.b.ins().store(m, w, base, k * 8);
                        self.release(old);
                    }
                    for j in first..f.n_a as i32 {
                        let old = self.b.ins().load(I64, m, base, j * 8);
                        self.b.ins().store(m, zero, base, j * 8);
                        self.release(old);
                    }
                }
                let zero = self.iconst(0);
                self.b.ins().return_(&[zero]);
                return Ok(false);
            }
            Op::Ext { i } => {
                if self.fused_copies[pc] {
                    // Made by the `copy` that follows (`fused_copy`).
                    return Ok(true);
                }
                if pc > 0 && self.fused_copies[pc - 1] {
                    self.fused_copy(pc);
                    return Ok(true);
                }
                if self.fast_view(pc, &f.ext[i as usize]) || self.fast_copy(pc, &f.ext[i as usize]) {
                    return Ok(true);
                }
                // An `Ext` op's registers are in its side-table entry, not its fields.
                let (reads, writes) = ext_regs(&f.ext[i as usize]);
                self.via_interp(pc, &reads, &writes);
            }
        }
        Ok(true)
    }

    /// A row `a[i]` or a slice `a[lo:hi]` (`Ext::Slice` with one index): `H_VIEW` makes
    /// it (or rewrites the destination's dead view in place) without the interpreter's
    /// generic path; when it declines — another kind of view, an index out of range, an
    /// empty register — the op runs through the interpreter's code, which reports any
    /// error exactly as it does. Returns `false` for any other op (nothing emitted).
    fn fast_view(&mut self, pc: usize, e: &Ext) -> bool {
        let Ext::Slice { arr, index, dst } = e else {
            return false;
        };
        let (kind, x, y) = match index.as_slice() {
            [SliceOperand::At(r)] => (0u64, Some(*r), None),
            [SliceOperand::Range(lo, hi, None)] => (
                1 | (lo.is_some() as u64) << 1 | (hi.is_some() as u64) << 2,
                *lo,
                *hi,
            ),
            _ => return false,
        };
        // A row whose destination holds a dead view of the same storage: rewritten in
        // place inline; anything else (or a failed test) goes to `H_VIEW`.
        let join = self.b.create_block();
        if let (0, Some(i)) = (kind, x) {
            let helper = self.b.create_block();
            self.row_view_in_place(*arr, i, *dst, helper, join);
            self.b.switch_to_block(helper);
        }
        let packed = *arr as u64 | (*dst as u64) << 16 | kind << 32;
        let packed = self.iconst(packed as i64);
        let (x, y) = (self.int_or_zero(x), self.int_or_zero(y));
        let args = [self.ctx, self.ba, packed, x, y];
        // Only `dst` changes (its header, perhaps in place).
        self.helper_else_interp(H_VIEW, &args, &[pc], *dst);
        self.b.ins().jump(join, &[]);
        self.b.switch_to_block(join);
        true
    }

    /// `copy(a[lo:hi])` at op `pc` (the `copy`; op `pc - 1` is the slice, see
    /// `fusable_copy`): `H_COPY_SLICE` copies the elements of the slice's layout straight
    /// from the source, so the view in between is never made; when it declines (an empty
    /// register, a slice it does not take) both ops run through the interpreter's code, in
    /// order, as they would have.
    fn fused_copy(&mut self, pc: usize) {
        let f = self.f;
        let (Op::Ext { i: i0 }, Op::Ext { i: i1 }) = (f.code[pc - 1], f.code[pc]) else {
            unreachable!("fusable_copy checked both ops")
        };
        let (slice, copy) = (&f.ext[i0 as usize], &f.ext[i1 as usize]);
        let (Ext::Slice { arr, index, .. }, Ext::Builtin { dst: Loc::A(dst), .. }) = (slice, copy) else {
            unreachable!("fusable_copy checked both ops")
        };
        let [SliceOperand::Range(lo, hi, None)] = index.as_slice() else {
            unreachable!("fusable_copy checked the index")
        };
        let kind = 1 | (lo.is_some() as u64) << 1 | (hi.is_some() as u64) << 2;
        let packed = *arr as u64 | (*dst as u64) << 16 | kind << 32;
        let packed = self.iconst(packed as i64);
        let (x, y) = (self.int_or_zero(*lo), self.int_or_zero(*hi));
        let args = [self.ctx, self.ba, packed, x, y];
        self.helper_else_interp(H_COPY_SLICE, &args, &[pc - 1, pc], *dst);
    }

    /// `copy(a)` of an array register into an array register (`Ext::Builtin` `Copy`):
    /// `H_COPY` makes it without the interpreter's built-in path; when it declines (an
    /// empty register) the op runs through the interpreter's code, which reports the
    /// error as it does. Returns `false` for any other op (nothing emitted).
    fn fast_copy(&mut self, pc: usize, e: &Ext) -> bool {
        let Ext::Builtin {
            b: crate::ir::Builtin::Copy,
            args,
            dst: Loc::A(dst),
        } = e
        else {
            return false;
        };
        let [(Type::Array(..), Loc::A(src))] = args.as_slice() else {
            return false;
        };
        let packed = *src as u64 | (*dst as u64) << 16;
        let packed = self.iconst(packed as i64);
        let args = [self.ctx, self.ba, packed];
        self.helper_else_interp(H_COPY, &args, &[pc], *dst);
        true
    }

    /// Calls helper `k` (status 0: done, 1: declined, nothing changed); when it declines,
    /// the `Ext` ops `pcs` run through the interpreter's code, in order. Either way only
    /// array register `dst` changed: it is re-read if it is cached.
    fn helper_else_interp(&mut self, k: usize, args: &[V], pcs: &[usize], dst: u16) {
        let call = self.call_helper(k, args);
        let declined = self.b.inst_results(call)[0];
        let (slow, made) = (self.b.create_block(), self.b.create_block());
        self.b.set_cold_block(slow);
        self.b.ins().brif(declined, slow, &[], made, &[]);
        self.b.switch_to_block(slow);
        let f = self.f;
        for &pc in pcs {
            let Op::Ext { i } = f.code[pc] else {
                unreachable!("a helper stands in for `Ext` ops only")
            };
            let (reads, writes) = ext_regs(&f.ext[i as usize]);
            self.via_interp(pc, &reads, &writes);
        }
        self.b.ins().jump(made, &[]);
        self.b.switch_to_block(made);
        let a = self.aframe();
        self.reload_array(a, dst as usize);
    }

    /// The integer in scalar register `r`, or 0 when there is none (a helper's absent
    /// bound).
    fn int_or_zero(&mut self, r: Option<u16>) -> V {
        match r {
            Some(r) => self.geti(r),
            None => self.iconst(0),
        }
    }

    /// `a[dst] = a[src][i]` as `runtime::put_view` makes it when it reuses the destination
    /// (`Rc::get_mut` succeeds, same storage and element type), inline: the destination's
    /// header is rewritten with `Array::fast_view_layout`'s row layout. Jumps to `join`
    /// when done, to `helper` when a test fails: either register empty, the destination
    /// shared or over other storage, the source of rank 1, `i` out of range, or an empty
    /// row (whose offset rule the helper keeps).
    fn row_view_in_place(&mut self, src: u16, i: u16, dst: u16, helper: Block, join: Block) {
        let a = self.aframe();
        let m = self.mem.afile;
        let ws = self.b.ins().load(I64, m, a, src as i32 * 8);
        let wd = self.b.ins().load(I64, m, a, dst as i32 * 8);
        let nonneg = self.non_negative[i as usize];
        let i = self.geti(i);
        let both = self.b.ins().umin(ws, wd);
        let filled = self.b.create_block();
        self.b.ins().brif(both, filled, &[], helper, &[]);
        self.b.switch_to_block(filled);
        // The tests read only what they test; the rest of the header is read after them,
        // so that little is live across the branch (the pair loop around spills less).
        let rc = self.mem.refcount;
        let strong = self.b.ins().load(I64, rc, wd, 0);
        let weak = self.b.ins().load(I64, rc, wd, 8);
        let hs = self.b.ins().iadd_imm_s(ws, self.rc_off);
        let hd = self.b.ins().iadd_imm_s(wd, self.rc_off);
        let h = self.mem.header;
        let data_s = self.b.ins().load(I64, h, hs, AL::DATA);
        let data_d = self.b.ins().load(I64, h, hd, AL::DATA);
        let elem_s = self.b.ins().uload8(I64, h, hs, AL::ELEM);
        let elem_d = self.b.ins().uload8(I64, h, hd, AL::ELEM);
        let ndim = self.header(hs, AL::NDIM);
        let n = self.header(hs, AL::SHAPE);
        let shape = [1, 2].map(|k| self.header(hs, AL::SHAPE + 8 * k));
        // NumPy's negative wrap (not for an index `ranges` proves non-negative: were it
        // negative after all, the unsigned test sends it to the helper, which wraps it),
        // then one unsigned test for 0 <= j < n.
        let j = if nonneg {
            i
        } else {
            let neg = self.b.ins().icmp_imm_s(IntCC::SignedLessThan, i, 0);
            let wrapped = self.b.ins().iadd(i, n);
            self.b.ins().select(neg, wrapped, i)
        };
        // The destination the only reference (both counts 1) to a header over the same
        // storage and element kind: zero when all four hold.
        let differ = [
            self.b.ins().bxor_imm_s(strong, 1),
            self.b.ins().bxor_imm_s(weak, 1),
            self.b.ins().bxor(data_s, data_d),
            self.b.ins().bxor(elem_s, elem_d),
        ]
        .into_iter()
        .reduce(|x, y| self.b.ins().bor(x, y))
        .expect("four values");
        let tests = [
            self.b.ins().icmp_imm_s(IntCC::Equal, differ, 0),
            self.b.ins().icmp(IntCC::UnsignedLessThan, j, n),
            self.b.ins().icmp_imm_s(IntCC::UnsignedGreaterThanOrEqual, ndim, 2),
        ];
        // An empty row keeps the helper's offset rule.
        let smaller = self.b.ins().umin(shape[0], shape[1]);
        let mut ok = self.b.ins().icmp_imm_s(IntCC::NotEqual, smaller, 0);
        for t in tests {
            ok = self.b.ins().band(ok, t);
        }
        let rewrite = self.b.create_block();
        self.b.ins().brif(ok, rewrite, &[], helper, &[]);
        self.b.switch_to_block(rewrite);
        let strides = [0, 1, 2].map(|k| self.header(hs, AL::STRIDES + 8 * k));
        // The element size's log2 from the `elem` byte: two bits per `Prim` in a constant.
        let table = Prim::ALL
            .iter()
            .fold(0i64, |t, &p| t | elem_shift(p) << (2 * p as u8));
        let table = self.iconst(table);
        let at = self.b.ins().ishl_imm_s(elem_s, 1);
        let shift = self.b.ins().ushr(table, at);
        let shift = self.b.ins().band_imm_s(shift, 3);
        let step = self.b.ins().imul(j, strides[0]);
        let offset = self.header(hs, AL::OFFSET);
        let offset = self.b.ins().iadd(offset, step);
        let bytes = self.b.ins().ishl(step, shift);
        let ptr = self.header(hs, AL::PTR);
        let ptr = self.b.ins().iadd(ptr, bytes);
        let ndim = self.b.ins().iadd_imm_s(ndim, -1);
        let one = self.iconst(1);
        let zero = self.iconst(0);
        let store = |s: &mut Self, v: V, off: i32| {
            let m = s.mem.header_store;
            s.b.ins().store(m, v, hd, off);
        };
        store(self, ptr, AL::PTR);
        store(self, shape[0], AL::SHAPE);
        store(self, shape[1], AL::SHAPE + 8);
        store(self, one, AL::SHAPE + 16);
        store(self, strides[1], AL::STRIDES);
        store(self, strides[2], AL::STRIDES + 8);
        store(self, zero, AL::STRIDES + 16);
        store(self, ndim, AL::NDIM);
        store(self, offset, AL::OFFSET);
        // Header loads are pure (an `Array` is otherwise never changed): storing the
        // register's word again makes later loads of it new values, so no header load
        // after this point is merged with one made before the rewrite.
        self.b.ins().store(m, wd, a, dst as i32 * 8);
        if let Some(av) = self.arrays[dst as usize] {
            self.b.def_var(av.ndim, ndim);
            self.b.def_var(av.ptr, ptr);
            let new_shape = [shape[0], shape[1], one];
            let new_strides = [strides[1], strides[2], zero];
            for k in 0..av.axes {
                self.b.def_var(av.shape[k], new_shape[k]);
                self.b.def_var(av.strides[k], new_strides[k]);
            }
        }
        self.b.ins().jump(join, &[]);
    }

    /// A fused elementwise chain: if its inputs are contiguous arrays of its element type
    /// and of one shape, one loop computes the final result (16 bytes of
    /// elements at a time, then one at a time for the tail); otherwise each operation
    /// runs as in the interpreter (broadcasting, other types, errors). The scalar moves
    /// between the operations run first; each operation's scalar operands are taken as
    /// they are at its own position.
    ///
    /// When the result's register is also an input (`y = x * 2.5 + y`), this code holds a
    /// reference to the input's array across the helper call and the loop, so the array
    /// it reads stays alive whatever the helper puts in the register; the helper may
    /// then write the result into that array itself (see `abi::H_FUSE`).
    fn fused(&mut self, chain: &Chain) -> Result<(), String> {
        // Per operation: (register, value) of its scalar operands, as they are there.
        type Snapshot = (Option<(u16, V)>, Option<(u16, V)>);
        let mut snapshots: Vec<Snapshot> = Vec::new();
        let mut k = 0;
        for pc in chain.start..chain.end {
            if k < chain.ops.len() && chain.ops[k].0 == pc {
                let (_, _, a, b, _) = &chain.ops[k];
                let snap = |s: &mut Self, o: &Operand| match o {
                    Operand::Scalar(r, _) => Some((*r, s.word(*r))),
                    Operand::Array(_) => None,
                };
                let pair = (snap(self, a), snap(self, b));
                snapshots.push(pair);
                k += 1;
            } else {
                self.op(pc)?;
            }
        }
        let elem = chain.elem;
        let dst = chain.ops.last().expect("non-empty").4;
        let held = chain.inputs.contains(&dst);
        let mut packed = (chain.inputs.len() as u64) << 56;
        for (k, &r) in chain.inputs.iter().enumerate() {
            packed |= (r as u64) << (14 * k);
        }
        packed |= (elem as u64) << 59;
        packed |= (held as u64) << 62;
        // The array the result's register holds now, if it is also an input: one more
        // reference, given up after the loop (or before the slow path).
        let old = if held {
            let base = self.aframe();
            let m = self.mem.afile;
            let w = self.b.ins().load(I64, m, base, dst as i32 * 8);
            self.incref(w);
            Some(w)
        } else {
            None
        };
        let args = [
            self.ctx,
            self.ba,
            self.b.ins().iconst(I64, packed as i64),
            self.iconst(dst as i64),
        ];
        let call = self.call_helper(H_FUSE, &args);
        let n = self.b.inst_results(call)[0];
        let (fast, slow, join) = (
            self.b.create_block(),
            self.b.create_block(),
            self.b.create_block(),
        );
        let ok = self
            .b
            .ins()
            .icmp_imm_s(IntCC::SignedGreaterThanOrEqual, n, 0);
        self.b.ins().brif(ok, fast, &[], slow, &[]);

        // Fast: one pass; scalars are converted once, outside the loop.
        self.b.switch_to_block(fast);
        let base = self.aframe();
        let ptr_of_word = |s: &mut Self, w: V| {
            let hdr = s.b.ins().iadd_imm_s(w, s.rc_off);
            s.header(hdr, AL::PTR)
        };
        let ptr_of = |s: &mut Self, r: u16| {
            let m = s.mem.afile;
            let w = s.b.ins().load(I64, m, base, r as i32 * 8);
            ptr_of_word(s, w)
        };
        let mut inputs: Vec<(u16, V)> = Vec::new();
        for &r in &chain.inputs {
            let p = match old {
                Some(w) if r == dst => ptr_of_word(self, w),
                _ => ptr_of(self, r),
            };
            inputs.push((r, p));
        }
        let out = ptr_of(self, dst);
        let (ety, vty) = match elem {
            Prim::F64 => (F64, types::F64X2),
            Prim::F32 => (types::F32, types::F32X4),
            Prim::I64 => (I64, types::I64X2),
            Prim::I32 => (types::I32, types::I32X4),
            _ => (types::I8, types::I8X16),
        };
        // The scalar operands as elements of the run's type (each value is exact in it:
        // the operation's result type is the run's).
        let as_elem = |s: &mut Self, o: &Operand, snap: Option<(u16, V)>| match (o, snap) {
            (Operand::Scalar(_, p), Some((_, v))) => {
                let have = s.b.func.dfg.value_type(v);
                let v = if elem.is_float() {
                    let x = match (p, have) {
                        (p, t) if p.is_float() && t == F64 => v,
                        (p, _) if p.is_float() => s.b.ins().bitcast(F64, MemFlagsData::new(), v),
                        (_, t) if t == F64 => {
                            let i = s.b.ins().bitcast(I64, MemFlagsData::new(), v);
                            s.b.ins().fcvt_from_sint(F64, i)
                        }
                        _ => s.b.ins().fcvt_from_sint(F64, v),
                    };
                    if ety == F64 {
                        x
                    } else {
                        s.b.ins().fdemote(ety, x)
                    }
                } else {
                    let x = s.as_type(v, I64);
                    if ety == I64 {
                        x
                    } else {
                        s.b.ins().ireduce(ety, x)
                    }
                };
                Some(v)
            }
            _ => None,
        };
        let scalars: Vec<(Option<V>, Option<V>)> = chain
            .ops
            .iter()
            .zip(&snapshots)
            .map(|((_, _, a, b, _), (sa, sb))| (as_elem(self, a, *sa), as_elem(self, b, *sb)))
            .collect();
        // No `i8x16` multiply on x64: a `u8` run with `*` goes one element at a time.
        let vector = !(elem == Prim::U8 && chain.ops.iter().any(|o| o.1 == BinOp::Mul));
        let lanes = if vector { (16 / elem.size()) as i64 } else { 0 };
        let splats: Vec<(Option<V>, Option<V>)> = if vector {
            scalars
                .iter()
                .map(|(x, y)| {
                    let mut sp = |v: &Option<V>| v.map(|v| self.b.ins().splat(vty, v));
                    (sp(x), sp(y))
                })
                .collect()
        } else {
            Vec::new()
        };
        let shift = elem.size().trailing_zeros() as i64;

        // for each block of FUSE_POLL_EVERY elements: look at the interrupt flag, then
        // `lanes` elements at a time while a whole vector fits, then one at a time.
        let (outer, chunk, stop, go) = (
            self.b.create_block(),
            self.b.create_block(),
            self.b.create_block(),
            self.b.create_block(),
        );
        let (vhead, shead, sbody, done) = (
            self.b.create_block(),
            self.b.create_block(),
            self.b.create_block(),
            self.b.create_block(),
        );
        let zero = self.iconst(0);
        self.b.ins().jump(outer, &[BlockArg::Value(zero)]);
        self.b.switch_to_block(outer);
        let i = self.b.append_block_param(outer, I64);
        let more = self.b.ins().icmp(IntCC::SignedLessThan, i, n);
        self.b.ins().brif(more, chunk, &[], done, &[]);

        self.b.switch_to_block(chunk);
        let p = self.ctx_load(CTX_INTERRUPT);
        let m = self.mem.ctx;
        let flag = self.b.ins().load(types::I8, m, p, 0);
        self.b.set_cold_block(stop);
        self.b.ins().brif(flag, stop, &[], go, &[]);
        self.b.switch_to_block(stop);
        if let Some(w) = old {
            self.release(w);
        }
        self.stop_interrupted(chain.ops[0].0);

        self.b.switch_to_block(go);
        let step = self.b.ins().iadd_imm_s(i, FUSE_POLL_EVERY);
        let short = self.b.ins().icmp(IntCC::SignedLessThan, step, n);
        let lim = self.b.ins().select(short, step, n);
        self.b.ins().jump(vhead, &[BlockArg::Value(i)]);

        // One step of the loop: loads at `j`, the operations, the store.
        let body = |s: &mut Self, j: V, ty: types::Type, scalars: &[(Option<V>, Option<V>)]| {
            let off = if shift == 0 {
                j
            } else {
                s.b.ins().ishl_imm_s(j, shift)
            };
            let m = if ty.is_vector() {
                s.mem.elem_vec
            } else {
                s.mem.elem
            };
            let mut vals: Vec<(u16, V)> = Vec::new();
            for &(r, p) in &inputs {
                let addr = s.b.ins().iadd(p, off);
                let v = s.b.ins().load(ty, m, addr, 0);
                vals.push((r, v));
            }
            let mut last = None;
            for ((_, op, a, b, d), (sa, sb)) in chain.ops.iter().zip(scalars) {
                let get = |o: &Operand, sc: &Option<V>, vals: &[(u16, V)]| match (o, sc) {
                    (_, Some(v)) => *v,
                    (Operand::Array(r), None) => {
                        vals.iter().rev().find(|(x, _)| x == r).expect("operand").1
                    }
                    _ => unreachable!("scalars are precomputed"),
                };
                let (x, y) = (get(a, sa, &vals), get(b, sb, &vals));
                let v = match (elem.is_float(), op) {
                    (true, BinOp::Add) => s.b.ins().fadd(x, y),
                    (true, BinOp::Sub) => s.b.ins().fsub(x, y),
                    (true, BinOp::Mul) => s.b.ins().fmul(x, y),
                    (true, _) => s.b.ins().fdiv(x, y),
                    (false, BinOp::Add) => s.b.ins().iadd(x, y),
                    (false, BinOp::Sub) => s.b.ins().isub(x, y),
                    (false, _) => s.b.ins().imul(x, y),
                };
                vals.push((*d, v));
                last = Some(v);
            }
            let addr = s.b.ins().iadd(out, off);
            s.b.ins().store(m, last.expect("non-empty"), addr, 0);
        };

        // Whole vectors.
        self.b.switch_to_block(vhead);
        let j = self.b.append_block_param(vhead, I64);
        if vector {
            let vbody = self.b.create_block();
            let j_end = self.b.ins().iadd_imm_s(j, lanes);
            let fits = self.b.ins().icmp(IntCC::SignedLessThanOrEqual, j_end, lim);
            self.b
                .ins()
                .brif(fits, vbody, &[], shead, &[BlockArg::Value(j)]);
            self.b.switch_to_block(vbody);
            body(self, j, vty, &splats);
            self.b.ins().jump(vhead, &[BlockArg::Value(j_end)]);
        } else {
            self.b.ins().jump(shead, &[BlockArg::Value(j)]);
        }

        // The tail, one element at a time.
        self.b.switch_to_block(shead);
        let j = self.b.append_block_param(shead, I64);
        let left = self.b.ins().icmp(IntCC::SignedLessThan, j, lim);
        self.b
            .ins()
            .brif(left, sbody, &[], outer, &[BlockArg::Value(j)]);
        self.b.switch_to_block(sbody);
        body(self, j, ety, &scalars);
        let j1 = self.b.ins().iadd_imm_s(j, 1);
        self.b.ins().jump(shead, &[BlockArg::Value(j1)]);

        self.b.switch_to_block(done);
        if let Some(w) = old {
            self.release(w);
        }
        self.reload_arrays();
        self.b.ins().jump(join, &[]);

        // Slow: each operation as the interpreter runs it, with its scalars as they were.
        self.b.switch_to_block(slow);
        if let Some(w) = old {
            self.release(w);
        }
        for ((pc, ..), (sa, sb)) in chain.ops.iter().zip(&snapshots) {
            let base = self.sframe();
            for (r, v) in sa.iter().chain(sb.iter()) {
                let m = self.mem.sfile;
                self.b.ins().store(m, *v, base, *r as i32 * 8);
            }
            // Its scalar operands were just stored from the snapshots (their values at
            // its own position, which their registers may no longer hold), not flushed;
            // an elementwise operation writes no scalar register.
            self.via_interp(*pc, &[], &[]);
        }
        self.b.ins().jump(join, &[]);
        self.b.switch_to_block(join);
        Ok(())
    }

    /// Whether `i` is still inside `range(.., end, step)` (step non-zero).
    fn in_range(&mut self, i: V, end: V, step: V) -> V {
        let up = self.b.ins().icmp_imm_s(IntCC::SignedGreaterThan, step, 0);
        let lt = self.b.ins().icmp(IntCC::SignedLessThan, i, end);
        let gt = self.b.ins().icmp(IntCC::SignedGreaterThan, i, end);
        self.b.ins().select(up, lt, gt)
    }

    /// Loads an element of type `e` into `dst` in register form: narrow integers extend
    /// (`u8`/`bool` with zeros, `i32` with its sign), an `f32` widens to `f64`.
    fn load_elem(&mut self, pc: usize, dst: u16, arr: u16, idx: &[u16], e: Prim) {
        let (addr, ok) = self.element(pc, arr, idx, e);
        if let Some(ok) = ok {
            self.or_fail(ok, pc);
        }
        let m = self.mem.elem;
        let v = match e {
            Prim::I64 => self.b.ins().load(I64, m, addr, 0),
            Prim::F64 => self.b.ins().load(F64, m, addr, 0),
            Prim::Bool | Prim::U8 => self.b.ins().uload8(I64, m, addr, 0),
            Prim::I32 => self.b.ins().sload32(m, addr, 0),
            // An `f32` stays one in an `F32` register; `as_type` widens it for the others.
            Prim::F32 => self.b.ins().load(types::F32, m, addr, 0),
        };
        self.set(dst, v);
    }

    /// Stores `src` (register form of an `e`) as an element of type `e`: narrow integers
    /// keep their low bytes (a `bool` register holds 0 or 1), an `f64` value rounds to
    /// `f32` (exact: it holds an `f32` value).
    fn store_elem(&mut self, pc: usize, src: u16, arr: u16, idx: &[u16], e: Prim) {
        let (addr, ok) = self.element(pc, arr, idx, e);
        if let Some(ok) = ok {
            self.or_fail(ok, pc);
        }
        let v = self.bits(src);
        let m = self.mem.elem;
        match e {
            Prim::I64 | Prim::F64 => {
                self.b.ins().store(m, v, addr, 0);
            }
            Prim::Bool | Prim::U8 => {
                let v = self.as_type(v, I64);
                self.b.ins().istore8(m, v, addr, 0);
            }
            Prim::I32 => {
                let v = self.as_type(v, I64);
                self.b.ins().istore32(m, v, addr, 0);
            }
            Prim::F32 => {
                let x = self.as_type(v, types::F32);
                self.b.ins().store(m, x, addr, 0);
            }
        }
    }

    /// `v` as type `ty`: `I64` and `F64` reinterpret each other's bits (the register
    /// file's word); an `F32` widens exactly to its `F64` form, and a value made `F32`
    /// rounds to the nearest `f32` (exact for the values `narrow_f32` allows there).
    fn as_type(&mut self, v: V, ty: types::Type) -> V {
        let have = self.b.func.dfg.value_type(v);
        if have == ty {
            v
        } else if have == types::F32 {
            let w = self.b.ins().fpromote(F64, v);
            self.as_type(w, ty)
        } else if ty == types::F32 {
            let w = self.as_type(v, F64);
            self.b.ins().fdemote(types::F32, w)
        } else {
            // A value bit-cast back is the value it came from: a temporary the lowering
            // reuses across classes (written as an `f64` into an `I64` register, read as
            // an `f64`) costs no move between register files, in its block or through a
            // sealed one (`switch_sealed`); the cast for the variable is then dead code.
            match self.bit_cast_from(v) {
                Some(x) if self.b.func.dfg.value_type(x) == ty => x,
                _ => self.b.ins().bitcast(ty, MemFlagsData::new(), v),
            }
        }
    }

    /// A `bool` register's value that widens a comparison (`set_bool`) in the current
    /// block, as that comparison (`want`: true) or its complement (false), redone here so
    /// the branch tests the flags: `a == b` on floats otherwise costs two `set`s, an `and`,
    /// a widening and a test before the jump (NaN compares as the complement says:
    /// `FloatCC::complement` keeps unordered on the right side).
    fn comparison_of(&mut self, v: V, want: bool) -> Option<V> {
        let dfg = &self.b.func.dfg;
        let ValueDef::Result(ext, _) = dfg.value_def(v) else {
            return None;
        };
        let InstructionData::Unary {
            opcode: Opcode::Uextend,
            arg,
        } = dfg.insts[ext]
        else {
            return None;
        };
        if self.b.func.layout.inst_block(ext) != self.b.current_block() {
            return None;
        }
        let ValueDef::Result(cmp, _) = dfg.value_def(arg) else {
            return None;
        };
        match dfg.insts[cmp] {
            InstructionData::FloatCompare { cond, args, .. } => {
                let cc = if want { cond } else { cond.complement() };
                Some(self.b.ins().fcmp(cc, args[0], args[1]))
            }
            InstructionData::IntCompare { cond, args, .. } => {
                let cc = if want { cond } else { cond.complement() };
                Some(self.b.ins().icmp(cc, args[0], args[1]))
            }
            _ => None,
        }
    }

    /// The value `v` is a bit-cast of, if a `bitcast` defines it.
    fn bit_cast_from(&self, v: V) -> Option<V> {
        let dfg = &self.b.func.dfg;
        let ValueDef::Result(inst, _) = dfg.value_def(v) else {
            return None;
        };
        match dfg.insts[inst] {
            InstructionData::LoadNoOffset {
                opcode: Opcode::Bitcast,
                arg,
                ..
            } => Some(arg),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loader::load_source;

    #[test]
    fn magic_division_is_exact_below_2_63() {
        // Divisors small and large, near powers of two and at the top of the range;
        // dividends at the edges (multiples, one below them, the largest) and spread out.
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut divisors: Vec<u64> = (3..2000).filter(|k: &u64| !k.is_power_of_two()).collect();
        for b in 2..63 {
            divisors.extend([(1u64 << b) - 1, (1u64 << b) + 1]);
        }
        divisors.extend([i64::MAX as u64, i64::MAX as u64 - 2, 1_000_000_007, 641 * 6_700_417]);
        divisors.extend((0..300).map(|_| (next() >> 1 >> (next() % 62)).max(3)));
        divisors.retain(|k| !k.is_power_of_two());
        let top = (1u64 << 63) - 1;
        for k in divisors {
            let (m, s) = magic_below_2_63(k);
            let mut us = vec![0, 1, k - 1, k, k + 1, top, top - 1, top - top % k, top - top % k - 1];
            us.extend((0..64).map(|_| next() >> 1));
            us.extend((0..16).map(|_| (next() >> 1) / k * k));
            for u in us.into_iter().filter(|&u| u <= top) {
                let q = ((u as u128 * m as u128) >> (64 + s)) as u64;
                assert_eq!(q, u / k, "{u} / {k} (m = {m}, s = {s})");
            }
        }
    }

    #[test]
    fn temporaries_reused_across_classes_move_nothing_between_register_files() {
        // The lowering reuses `k`'s register and the loads' for floats and integers; a
        // value read in the class it was written in, in the same block or through a
        // sealed one, needs no `movq` between a general and a vector register.
        let src = "fn f(a: f64[], n: i64) -> f64 {\n\
                     let s = 0.0;\n\
                     for i in 0..n {\n\
                       let k = i * 3 % 7;\n\
                       s += a[i] * float(k) + a[i * 5 % n];\n\
                     }\n\
                     return s;\n\
                   }\n\
                   print(f(zeros(4), 4));";
        let (prog, _, bc) = crate::jit::compiled_for_test(src, "f(");
        let ty = register_classes(&prog, &bc, &block_starts(&bc));
        assert!(
            (0..bc.n_s).any(|r| ty[r] == I64 && bc.code.iter().any(|op| op.operands().iter().any(
                |o| o.role.class() == Some(Class::Float) && o.regs().any(|x| x == r)
            ))),
            "the test needs a register used in both classes"
        );
        let mut jit = crate::jit::Jit::new(false).expect("native code");
        let asm = jit.compile_bytes(&prog, &bc, true).expect("compiles").asm.expect("listing");
        let moves = asm
            .lines()
            .filter(|l| {
                let l = l.trim_start().trim_start_matches('v');
                l.starts_with("movq %xmm") && l.contains(", %r")
                    || l.starts_with("movq %r") && l.contains(", %xmm")
            })
            .count();
        assert_eq!(moves, 0, "{asm}");
    }

    /// The Cranelift IR of `name`'s first specialization in `src`.
    fn clif_of(src: &str, name: &str) -> String {
        let (prog, _, bc) = crate::jit::compiled_for_test(src, name);
        let mut jit = crate::jit::Jit::new(false).expect("native code");
        jit.compile_bytes(&prog, &bc, true).expect("compiles").clif.expect("listing")
    }

    /// The instruction lines of each block whose header says `cold`.
    fn cold_blocks(clif: &str) -> Vec<Vec<&str>> {
        let mut out: Vec<Vec<&str>> = Vec::new();
        let mut cold = false;
        for line in clif.lines() {
            if line.starts_with("block") {
                cold = line.contains(" cold:");
                if cold {
                    out.push(Vec::new());
                }
            } else if cold && line.starts_with("    ") {
                out.last_mut().expect("in a block").push(line);
            }
        }
        out
    }

    #[test]
    fn cold_blocks_of_a_loop_reload_the_parameters_and_a_leaf_keeps_none_across_calls() {
        // In a function with a loop, no cold block (error exits, the poll's slow path)
        // reads the entry's parameters v0..v3: each reloads them from the slot the entry
        // fills, so they need no register through the loop. The prologue's slow path, which
        // runs before any loop, passes them to `H_ENTER` as they arrived.
        let src = "fn f(a: f64[], b: f64[], n: i64) -> f64 {\n\
                     let s = 0.0;\n\
                     let i = 0;\n\
                     while i < n { s += a[i] * b[n - 1 - i]; i += 1; }\n\
                     return s;\n\
                   }\n\
                   fn g(x: f64, a: f64[]) -> i64 {\n\
                     if x == a[0] { return 1; }\n\
                     return int(x / a[1]);\n\
                   }\n\
                   print(f(zeros(4), zeros(4), 4), g(1.0, zeros(2)));";
        let clif = clif_of(src, "f(");
        let mut cold = cold_blocks(&clif);
        let entry_slow = |b: &Vec<&str>| b.iter().any(|l| l.contains("(v0, v1, v2, v3, v4)"));
        assert_eq!(cold.iter().filter(|b| entry_slow(b)).count(), 1, "{clif}");
        cold.retain(|b| !entry_slow(b));
        assert!(cold.len() >= 3, "{clif}");
        let param = regex_lite_word(&["v0", "v1", "v2", "v3"]);
        for b in &cold {
            for l in b {
                assert!(!param(l), "a cold block reads a parameter: {l}\n{clif}");
            }
        }
        // (The listing is legalized: a stack slot's store and load go through its address.)
        assert!(clif.contains("store notrap v0, "), "{clif}");
        assert!(cold.iter().any(|b| b.iter().any(|l| l.contains("stack_addr"))), "{clif}");
        // A function that calls no nk function and has no loop: its prologue's slow path
        // spills the parameters around the helper itself and its error exit reads the
        // context from the stack, and its branch on `x == a[0]` tests the comparison.
        let clif = clif_of(src, "g(");
        assert!(clif.contains("stack_addr"), "{clif}");
        let fcmps: Vec<&str> = clif
            .lines()
            .filter(|l| l.contains(" = fcmp"))
            .filter_map(|l| l.split_whitespace().next())
            .collect();
        let on_fcmp = clif.lines().any(|l| {
            let mut w = l.split_whitespace();
            w.next() == Some("brif") && w.next().is_some_and(|c| fcmps.contains(&c.trim_end_matches(',')))
        });
        assert!(on_fcmp, "{clif}");
    }

    #[test]
    fn an_element_checked_on_every_path_here_is_not_checked_again() {
        // Bounds checks are `icmp ult` of an index and a shape (the prologue's other one
        // compares the stack pointer). `h[b] += 1` and the reload of `x[i]` in the branch
        // its comparison chose check once; so does the `else` branch, reached by the jump
        // alone. A store after its index changed, after a join with a path that did not
        // load, or after a call (which may replace the array) checks again.
        let checks = |src: &str| {
            let clif = clif_of(src, "f(");
            let sp: Vec<&str> = clif
                .lines()
                .filter(|l| l.contains("get_stack_pointer"))
                .filter_map(|l| l.split_whitespace().next())
                .collect();
            let on_sp = |l: &str| sp.iter().any(|v| l.contains(&format!("icmp ult {v},")));
            clif.lines().filter(|l| l.contains(" = icmp ult") && !on_sp(l)).count()
        };
        let once = "fn f(h: i64[], x: f64[], b: i64, i: i64) -> f64 {
                      h[b] += 1;
                      if x[i] <= 1.0 { return x[i]; } else { return x[i] * 2.0; }
                    }
                    print(f(full(3, 0), ones(3), 1, 2));";
        assert_eq!(checks(once), 2);
        let index_changed = "fn f(h: i64[], b: i64) -> f64 { let x = h[b]; b += 1; h[b] = x; return 0.0; }
                             print(f(full(3, 0), 1));";
        assert_eq!(checks(index_changed), 2);
        let join = "fn f(h: i64[], b: i64, c: bool) -> f64 { let x = 0; if c { x = h[b]; } h[b] = x; return 0.0; }
                    print(f(full(3, 0), 1, true));";
        assert_eq!(checks(join), 2);
        let call = "fn g(h: i64[]) -> i64 { return 1; }
                    fn f(h: i64[], b: i64) -> f64 { let x = h[b]; x += g(h); h[b] = x; return 0.0; }
                    print(f(full(3, 0), 1));";
        assert_eq!(checks(call), 2);
    }

    #[test]
    fn a_merge_step_selects_and_stores_once_and_unchecked_loads_keep_their_branch() {
        // The comparison of the merge step feeds selects (of words: an `f64` select would
        // branch), no branch, and the element is stored once. Arms that load elements no
        // op before the test checked keep the branch on `c`.
        let merge = "fn f(a: f64[], b: f64[], c: f64[]) -> i64 {
                       let i = 0; let j = 0; let k = 0;
                       while i < len(a) and j < len(b) {
                         if a[i] <= b[j] { c[k] = a[i]; i += 1; } else { c[k] = b[j]; j += 1; }
                         k += 1;
                       }
                       return k;
                     }
                     print(f(ones(2), ones(2), ones(4)));";
        // (The loop runs in two copies, for its arrays' strides: each has one step.)
        let clif = clif_of(merge, "f(");
        let fcmp: Vec<&str> = (clif.lines())
            .filter(|l| l.contains(" = fcmp"))
            .filter_map(|l| l.split_whitespace().next())
            .collect();
        assert_eq!(fcmp.len(), 2, "{clif}");
        // Lines whose instruction (`v1 = select ...`, `brif ...`) is `op` and reads a
        // comparison.
        let on_cond = |op: &str, c: &str| {
            let cond = format!("{c},");
            (clif.lines())
                .filter(|l| {
                    let inst = l.split_once(" = ").map_or(l.trim_start(), |(_, r)| r);
                    inst.split(['.', ' ']).next() == Some(op) && l.split_whitespace().any(|w| w == cond)
                })
                .count()
        };
        for c in &fcmp {
            assert_eq!(on_cond("brif", c), 0, "{clif}");
            assert!(on_cond("select", c) >= 3, "{clif}");
        }
        assert!(!clif.contains("select.f64"), "{clif}");
        let element_stores = clif.lines().filter(|l| l.contains("store") && l.contains("region0")).count();
        assert_eq!(element_stores, 2, "{clif}");
        // The same choice after the elements were read once: one branch fewer (the
        // loads' checks move before the test, where they are in both versions). Not for
        // an `f64` choice outside a merge step (a running maximum's branch is predicted).
        let choose = |t: &str, before: &str| {
            let src = format!(
                "fn f(a: {t}[], b: {t}[], c: bool, i: i64) -> {t} {{
                   let x = a[0];
                   {before}
                   if c {{ x = a[i]; }} else {{ x = b[i]; }}
                   return x;
                 }}
                 print(f(ones(2, {t}), ones(2, {t}), true, 1));"
            );
            let clif = clif_of(&src, "f(");
            clif.lines().filter(|l| l.trim_start().starts_with("brif")).count()
        };
        assert_eq!(choose("i64", ""), choose("i64", "x = a[i] + b[i];") + 1);
        // Both arms run: an arm's load takes what the test's path knows (`i` may be
        // negative there), not what its own path proves (`i >= 0`), and keeps its wrap.
        let src = "fn f(a: i64[], b: i64[], i: i64) -> i64 {
                     let x = a[i] + b[i];
                     if i >= 0 { x = a[i]; } else { x = b[i]; }
                     return x;
                   }
                   print(f(ones(2, i64), ones(2, i64), -1));";
        assert_eq!(clif_of(src, "f(").matches(" slt ").count(), 4);
        assert_eq!(choose("f64", ""), choose("f64", "x = a[i] + b[i];"));
    }

    #[test]
    fn a_len_of_an_array_held_on_every_path_has_no_empty_register_test() {
        // The empty-register test of `len` fails through the interpreter's code: a call of
        // `H_EXEC_OP` with the `len`'s pc. A parameter, and a local written on every path,
        // hold arrays (`held`): no such call.
        for src in [
            "fn f(a: f64[], c: bool) -> i64 { return len(a); }\nprint(f(ones(2), true));",
            "fn f(a: f64[], c: bool) -> i64 { let b = a; if c { b = ones(3); } return len(b) + len(a); }\n\
             print(f(ones(2), true));",
        ] {
            let (_, _, bc) = crate::jit::compiled_for_test(src, "f(");
            let lens: Vec<usize> = (bc.code.iter().enumerate())
                .filter_map(|(pc, op)| matches!(op, Op::Len { .. }).then_some(pc))
                .collect();
            assert!(!lens.is_empty());
            let clif = clif_of(src, "f(");
            for pc in lens {
                let at_len = |l: &&str| l.contains("call_indirect") && l.ends_with(&format!(" = {pc}"));
                assert!(!clif.lines().any(|l| at_len(&l)), "len at {pc}:\n{clif}");
            }
        }
    }

    #[test]
    fn a_while_loop_with_two_cursors_has_a_copy_for_unit_strides() {
        // Each access multiplies its index by its array's stride in the ordinary copy and
        // by the constant 1 in the copy its entry's test of both strides picks.
        let src = "fn f(a: f64[], b: f64[]) -> f64 {
                     let s = 0.0; let i = 0; let j = 0;
                     while i < len(a) and j < len(b) { s += a[i] * b[j]; i += 1; j += 2; }
                     return s;
                   }
                   print(f(ones(4), ones(4)));";
        let clif = clif_of(src, "f(");
        let imuls: Vec<&str> = clif.lines().filter(|l| l.contains(" = imul ")).collect();
        let by_one = imuls.iter().filter(|l| l.ends_with(" = 1")).count();
        assert_eq!((imuls.len(), by_one), (4, 2), "{clif}");
    }

    #[test]
    fn an_index_tested_non_negative_just_before_is_not_wrapped() {
        // NumPy's wrap of a negative index tests `i < 0` (`slt`); after `b >= 0` (`0 < b`) falls
        // through to the access, `b` cannot be negative. A test against 1, or a write of
        // `b` in between keeps the wrap.
        let wraps = |cond: &str| {
            let src = format!(
                "fn f(h: i64[], b: i64, c: i64) -> i64 {{ if {cond} {{ h[b] += 1; }} return 0; }}\n\
                 print(f(zeros(3, i64), 1, 1));"
            );
            clif_of(&src, "f(").matches(" slt ").count()
        };
        assert_eq!(wraps("b >= 0"), 0);
        assert_eq!(wraps("b > 0"), 0);
        assert_eq!(wraps("0 <= b"), 0);
        assert!(wraps("b >= 1") > 0);
        assert!(wraps("c >= 0") > 0);
        let written = "fn f(h: i64[], b: i64) -> i64 { if b >= 0 { b -= 5; h[b] += 1; } return 0; }\n\
                       print(f(zeros(3, i64), 1));";
        assert!(clif_of(written, "f(").matches(" slt ").count() > 0);
    }

    #[test]
    fn small_inline_loops_run_four_iterations_per_pass() {
        // The ordinary copy, the fast copy, and the unrolled copy's four: six products. A
        // body that calls out (`exp`), a body of two blocks and a `while` loop keep their
        // two copies.
        let fmuls = |src: &str| clif_of(src, "f(").matches(" = fmul").count();
        let reduction = "fn f(a: f64[,], b: f64[,], i: i64, j: i64) -> f64 {
                           let s = 0.0; for k in 0..len(b) { s += a[i, k] * b[k, j]; } return s; }";
        assert_eq!(fmuls(reduction), 6);
        let calls = "fn f(a: f64[]) -> f64 {
                       let s = 0.0; for k in 0..len(a) { s += exp(a[k] * 3.0); } return s; }";
        assert_eq!(fmuls(calls), 2);
        let branch = "fn f(a: f64[]) -> f64 {
                        let s = 0.0; for k in 0..len(a) { if a[k] > 0.0 { s += a[k] * 3.0; } } return s; }";
        assert_eq!(fmuls(branch), 2);
        let counted = "fn f(a: f64[]) -> f64 {
                         let s = 0.0; let k = 0; let n = len(a); while k < n { s += a[k] * 3.0; k += 2; } return s; }";
        assert_eq!(fmuls(counted), 2);
    }

    #[test]
    fn a_frame_without_array_registers_does_not_test_the_array_file() {
        // The prologue reads the array file's length (`ctx + CTX_A_LEN`) only for a frame
        // with array registers.
        let src = "fn fib(n: i64) -> i64 { if n < 2 { return n; } return fib(n - 1) + fib(n - 2); }\n\
                   fn total(a: f64[]) -> f64 { return sum(a) + float(fib(3)); }\n\
                   print(total(ones(2)));";
        let a_len = format!("v0+{CTX_A_LEN}\n");
        let clif = clif_of(src, "fib(");
        assert!(!clif.contains(&a_len), "{clif}");
        let clif = clif_of(src, "total(");
        assert!(clif.contains(&a_len), "{clif}");
    }

    /// Whether a line names one of `words` as a whole word (`v1` but not `v10`).
    fn regex_lite_word(words: &'static [&'static str]) -> impl Fn(&str) -> bool {
        move |line: &str| {
            line.split(|c: char| !c.is_ascii_alphanumeric())
                .any(|t| words.contains(&t))
        }
    }

    #[test]
    fn a_slice_only_copied_is_fused_and_one_read_again_is_not() {
        let src = "fn once(a: f64[]) -> f64[] { return copy(a[1:]); }\n\
                   fn kept(a: f64[]) -> f64[] { let v = a[1:]; let c = copy(v); c[0] = v[0]; return c; }\n\
                   fn returned(a: f64[]) -> f64[] { let v = a[:2]; let c = copy(v); return v; }\n\
                   fn looped(a: f64[], n: i64) -> f64 { let s = 0.0; let v = a[0:1]; for i in 0..n { let c = copy(a[i:]); s += c[0] + v[0]; v = a[i:]; } return s; }\n\
                   fn back(a: f64[], n: i64) -> f64 { let s = 0.0; let t = a[0:1]; for i in 0..n { s += t[0]; t = a[i:]; let c = copy(t); s += c[0]; } return s; }\n\
                   fn passed(a: f64[]) -> f64 { return g(copy(a[1:]), a[2:]); }\n\
                   fn g(x: f64[], y: f64[]) -> f64 { return x[0] + y[0]; }\n\
                   let z = ones(3);\n\
                   print(once(z), kept(z), returned(z), looped(z, 2), back(z, 2), passed(z));";
        let loaded = load_source("t.nk", src.to_string(), None).expect("loads");
        let prog = crate::types::check_program(&loaded).expect("checks");
        let fused = |name: &str| {
            let id = prog.funcs.iter().position(|f| f.name.starts_with(name)).unwrap();
            let bc = crate::bytecode::compile(&prog, id as FuncId).unwrap();
            let starts = block_starts(&bc);
            (0..bc.code.len())
                .filter(|&pc| fusable_copy(&prog, &bc, &starts, pc, 1))
                .count()
        };
        assert_eq!(fused("once("), 1);
        assert_eq!(fused("passed("), 1);
        // `v` is read after the copy, or returned.
        assert_eq!(fused("kept("), 0);
        assert_eq!(fused("returned("), 0);
        assert_eq!(fused("looped("), 1, "the copy of `a[i:]`, not of `v`");
        // `t` is read at the top of the next iteration.
        assert_eq!(fused("back("), 0);
    }

    #[test]
    fn elementwise_chains_over_temporaries_are_fused() {
        let src =
            "fn f(a: f64[], b: f64[]) -> f64[] { let c = a * 2.0 + b * 3.0 - a; return c; }\n\
                   fn g(a: f64[]) -> f64[] { let x = a * 2.0; let y = x + 1.0; return y; }\n\
                   print(f(ones(2), ones(2)), g(ones(2)));";
        let loaded = load_source("t.nk", src.to_string(), None).expect("loads");
        let prog = crate::types::check_program(&loaded).expect("checks");
        let chains_of = |name: &str| {
            let id = prog.funcs.iter().position(|f| f.name == name).unwrap();
            let bc = crate::bytecode::compile(&prog, id as FuncId).unwrap();
            let blocks = vec![None; bc.code.len()];
            fusable_chains(&bc, &blocks)
        };
        // a*2, b*3, (+), (-a), with constant loads between: one loop reading a and b.
        let f = chains_of("f(f64[], f64[])");
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].ops.len(), 4);
        assert_eq!(f[0].inputs.len(), 2);
        assert_eq!(f[0].elem, Prim::F64);
        // `x` is a variable, visible after its statement: never fused away (each statement
        // is a chain of its own).
        let g = chains_of("g(f64[])");
        assert_eq!(g.len(), 2);
        assert!(g.iter().all(|c| c.ops.len() == 1));
    }

    #[test]
    fn a_nest_runs_its_inner_loops_lanes_in_every_copy() {
        // The stencil's row loop is a nest around the column loop (which has a two-lane
        // copy): its ordinary copy, its fast copy and its copy for unit strides each hold
        // the lanes. A call in the row loop makes it an ordinary loop around a versioned
        // one.
        let lanes = |extra: &str| {
            let src = format!(
                "fn g(x: i64) -> i64 {{ return x; }}\n\
                 fn f(u: f64[,], v: f64[,], n: i64) {{\n\
                   for i in 1..n - 1 {{\n\
                     for j in 1..n - 1 {{ v[i, j] = 0.25 * (u[i - 1, j] + u[i + 1, j] + u[i, j - 1]); }}\n\
                     {extra}\n\
                   }}\n\
                 }}\n\
                 f(zeros((3, 3)), zeros((3, 3)), 3);"
            );
            clif_of(&src, "f(").lines().filter(|l| l.contains("load.f64x2")).count()
        };
        let single = lanes("v[i, 0] = float(g(i));");
        assert!(single > 0);
        assert_eq!(lanes(""), 3 * single, "the nest's ordinary, fast and unit-stride copies");
    }

    #[test]
    fn chains_have_one_element_type() {
        let src = "fn f(x: f32[], y: f32[], i: i32[], u: u8[]) {\n\
                   let a = x * 2.5 + y;\n\
                   let b = i * 3 - i * i;\n\
                   let c = u + u8(1);\n\
                   let d = x * 2.0 + i;\n\
                   let e = i / 2;\n\
                   print(a, b, c, d, e);\n}\n\
                   f(ones(2, f32), ones(2, f32), ones(2, i32), ones(2, u8));";
        let (_, _, bc) = crate::jit::compiled_for_test(src, "f(");
        let blocks = vec![None; bc.code.len()];
        let chains = fusable_chains(&bc, &blocks);
        let kinds: Vec<(Prim, usize)> = chains.iter().map(|c| (c.elem, c.ops.len())).collect();
        // `x * 2.0` is f32, then `+ i` gives f64 (a chain of its own, but with an `i32`
        // input: never fused); `i / 2` gives f64 from an i32 array: not a chain.
        assert_eq!(
            kinds,
            [(Prim::F32, 2), (Prim::I32, 3), (Prim::U8, 1), (Prim::F32, 1)]
        );
    }
}
