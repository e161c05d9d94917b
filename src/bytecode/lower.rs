//! Typed IR → bytecode for one specialization.
//!
//! Register allocation is a stack: every IR local gets fixed registers at the bottom of
//! the frame (parameters first, in the order of the calling convention); temporaries are
//! allocated above them and released at the end of each statement. Invariant: a call's
//! argument window is allocated last, so the callee's frame (which starts there) never
//! overlaps a live register of the caller.

use super::*;
use crate::ir::{Builtin, Expr, ExprKind, FuncId, Program, SliceIdx, Stmt, Type, UnOp};
use crate::source::Span;
use crate::vocab::{squaring_exponent, BinOp, MathFn, MathFn2, Prim};
use std::collections::HashMap;

/// Registers per frame and file; a function needing more is reported, not miscompiled.
const MAX_REGS: usize = u16::MAX as usize - 8;

/// A `for` loop over a literal range of at most this many iterations, whose body is small
/// and holds no loop, is lowered as that many copies of its body, the counter a literal in
/// each (`for k in 0..3 { s += x[i, k] * y[k]; }`): no loop overhead, and each index a
/// constant the native tier folds.
const UNROLL_MAX_TRIPS: i64 = 4;
/// ... and whose body has at most this many statements (nested ones counted).
const UNROLL_MAX_STMTS: usize = 6;

/// `(first value, iterations)` of a `for` loop lowered as copies of its body (see
/// [`UNROLL_MAX_TRIPS`]).
fn unrolled(start: &Expr, end: &Expr, step: Option<&Expr>, body: &[Stmt]) -> Option<(i64, i64)> {
    let (ExprKind::Int(lo), ExprKind::Int(hi), None) = (&start.kind, &end.kind, step) else {
        return None;
    };
    let n = hi.checked_sub(*lo).filter(|n| (0..=UNROLL_MAX_TRIPS).contains(n))?;
    let mut count = 0;
    let mut loops = false;
    crate::ir::walk(
        body,
        &mut |st| {
            count += 1;
            loops |= matches!(st, Stmt::While(..) | Stmt::ForRange { .. } | Stmt::ParFor(_));
        },
        &mut |_| {},
    );
    (count <= UNROLL_MAX_STMTS && !loops).then_some((*lo, n))
}

pub(super) fn lower(prog: &Program, id: FuncId) -> Result<CompiledFn, BytecodeError> {
    // Tail self-calls become a loop before lowering, so both tiers run the same body.
    let looped = crate::ir::accumulate::rewrite(&prog.funcs[id as usize], id);
    let func = looped.as_ref().unwrap_or(&prog.funcs[id as usize]);
    // Views each iteration makes first, of what the loop does not assign: made once.
    let hoisted = crate::ir::hoist::rewrite(func, &|start, end, body| {
        unrolled(start, end, None, body).is_some()
    });
    let func = hoisted.as_ref().unwrap_or(func);
    // About one op per statement and expression: reserved, a large function's code does
    // not grow by doubling, which leaves each smaller copy behind as a hole in the heap
    // (26 MiB of a 400,000-statement script's peak).
    let (mut stmts, mut exprs) = (0, 0);
    crate::ir::walk(&func.body, &mut |_| stmts += 1, &mut |_| exprs += 1);
    let nodes = stmts + exprs;
    let mut c = FnCompiler {
        prog,
        code: Vec::with_capacity(nodes),
        spans: Spans::with_capacity(nodes),
        consts: Vec::new(),
        ext: Vec::new(),
        locals: Vec::new(),
        next_s: 0,
        next_a: 0,
        max_s: 0,
        max_a: 0,
        loops: Vec::new(),
        span: func.span,
        overflow: false,
        literal_regs: HashMap::new(),
        const_index: HashMap::new(),
        divisors: Vec::new(),
    };
    // Parameters first, in order: this is the calling convention's window layout.
    let mut locals = vec![Loc::Unit; func.locals.len()];
    for &p in &func.params {
        locals[p as usize] = c.alloc(&func.locals[p as usize].ty);
    }
    for (i, l) in func.locals.iter().enumerate() {
        if !func.params.contains(&(i as u32)) {
            locals[i] = c.alloc(&l.ty);
        }
    }
    c.locals = locals;
    // Literals get registers loaded once at entry, so loops do not reload them.
    let mut lits = Vec::new();
    for st in &func.body {
        collect_literals_stmt(st, &mut lits);
    }
    for bits in lits {
        if !c.literal_regs.contains_key(&bits) {
            let r = c.new_s();
            let k = c.konst(bits);
            c.emit(Op::LoadK { dst: r, k }, func.span);
            c.literal_regs.insert(bits, r);
        }
    }
    c.block(&func.body);
    // Falling off the end returns nothing.
    c.emit(
        Op::Ret {
            s: 0,
            ns: 0,
            a: 0,
            na: 0,
        },
        func.span,
    );
    if c.overflow {
        return Err(BytecodeError::TooManyRegisters {
            func: func.name.clone(),
            max: MAX_REGS,
        });
    }
    c.code.shrink_to_fit();
    c.spans.shrink_to_fit();
    Ok(CompiledFn {
        func: id,
        code: c.code,
        spans: c.spans,
        consts: c.consts,
        divisors: c.divisors,
        ext: c.ext,
        n_s: c.max_s,
        n_a: c.max_a,
    })
}

struct LoopCx {
    breaks: Vec<usize>,
    continues: Vec<usize>,
}

struct FnCompiler<'p> {
    prog: &'p Program,
    code: Vec<Op>,
    spans: Spans,
    consts: Vec<u64>,
    ext: Vec<Ext>,
    locals: Vec<Loc>,
    next_s: usize,
    next_a: usize,
    max_s: usize,
    max_a: usize,
    loops: Vec<LoopCx>,
    span: Span,
    overflow: bool,
    /// Registers holding each literal's bits, loaded at function entry.
    literal_regs: HashMap<u64, Reg>,
    /// Position of each constant's bits in `consts`, so each is stored once.
    const_index: HashMap<u64, u32>,
    /// Constant divisors of `//` and `%` (see `Op::ModIK`).
    divisors: Vec<strength_reduce::StrengthReducedU64>,
}

/// The comparison that is true exactly when `op` is false (for integers and bools).
fn negate(op: BinOp) -> BinOp {
    match op {
        BinOp::Lt => BinOp::Ge,
        BinOp::Le => BinOp::Gt,
        BinOp::Gt => BinOp::Le,
        BinOp::Ge => BinOp::Lt,
        BinOp::Eq => BinOp::Ne,
        BinOp::Ne => BinOp::Eq,
        other => unreachable!("`{}` is not a comparison", other.symbol()),
    }
}

/// The fused "jump unless `x op y`" op, its target patched later. `float` selects the
/// f64 forms, which exist for `<`, `<=`, `>`, `>=` only; `>`/`>=` are `<`/`<=` with the
/// operands swapped.
fn jump_unless(op: BinOp, float: bool, x: Reg, y: Reg) -> Op {
    let target = 0;
    let (op, a, b) = match op {
        BinOp::Gt => (BinOp::Lt, y, x),
        BinOp::Ge => (BinOp::Le, y, x),
        _ => (op, x, y),
    };
    match (op, float) {
        (BinOp::Lt, false) => Op::JmpNotLtI { a, b, target },
        (BinOp::Le, false) => Op::JmpNotLeI { a, b, target },
        (BinOp::Eq, false) => Op::JmpNotEqI { a, b, target },
        (BinOp::Ne, false) => Op::JmpNotNeI { a, b, target },
        (BinOp::Lt, true) => Op::JmpNotLtF { a, b, target },
        (BinOp::Le, true) => Op::JmpNotLeF { a, b, target },
        (other, _) => unreachable!("no fused jump for `{}`", other.symbol()),
    }
}

/// Does evaluating `e` leave an array in a register of its own (a temporary), rather than
/// in a variable's register? Only such a register may be reused for the result.
fn is_temporary_array(e: &Expr) -> bool {
    e.ty.is_array() && !matches!(e.kind, ExprKind::Local(_) | ExprKind::Field(..))
}

/// Bits of a scalar literal expression.
fn literal_bits(e: &Expr) -> Option<u64> {
    match e.kind {
        ExprKind::Int(i) => Some(i as u64),
        ExprKind::Float(f) => Some(f.to_bits()),
        ExprKind::Bool(b) => Some(b as u64),
        _ => None,
    }
}

/// Literals used inside loops, where reloading them would cost every iteration.
fn collect_literals_stmt(s: &Stmt, out: &mut Vec<u64>) {
    match s {
        Stmt::While(..) | Stmt::ForRange { .. } => {
            let mut counters = Vec::new();
            crate::ir::walk(
                std::slice::from_ref(s),
                &mut |st| {
                    // An unrolled loop's counter values are literals of its copies.
                    if let Stmt::ForRange {
                        start,
                        end,
                        step,
                        body,
                        ..
                    } = st
                    {
                        if let Some((lo, n)) = unrolled(start, end, step.as_deref(), body) {
                            counters.extend((lo..lo + n).map(|v| v as u64));
                        }
                    }
                },
                &mut |e| {
                    if let Some(b) = literal_bits(e) {
                        out.push(b);
                    }
                },
            );
            out.extend(counters);
        }
        Stmt::If(_, a, b) => a
            .iter()
            .chain(b)
            .for_each(|st| collect_literals_stmt(st, out)),
        _ => {}
    }
}

fn s_of(l: &Loc) -> Reg {
    match l {
        Loc::S(r) => *r,
        other => unreachable!("expected a scalar location, got {other:?}"),
    }
}

fn a_of(l: &Loc) -> Reg {
    match l {
        Loc::A(r) => *r,
        other => unreachable!("expected an array location, got {other:?}"),
    }
}

/// The element types of a `prange` body's results: one scalar, or a tuple of them.
fn leaf_prims(t: &Type) -> Vec<Prim> {
    match t {
        Type::Prim(p) => vec![*p],
        Type::Tuple(ts) => ts.iter().flat_map(leaf_prims).collect(),
        _ => vec![],
    }
}

/// Counts of scalar and array leaves of a flattened value.
fn leaves(l: &Loc) -> (usize, usize) {
    match l {
        Loc::S(_) => (1, 0),
        Loc::A(_) => (0, 1),
        Loc::Unit => (0, 0),
        Loc::Tuple(ls) => ls.iter().fold((0, 0), |(s, a), l| {
            let (x, y) = leaves(l);
            (s + x, a + y)
        }),
    }
}

impl FnCompiler<'_> {
    fn emit(&mut self, op: Op, span: Span) -> usize {
        self.code.push(op);
        self.spans.push(span);
        self.code.len() - 1
    }

    fn ext(&mut self, e: Ext, span: Span) {
        self.ext.push(e);
        let i = (self.ext.len() - 1) as u32;
        self.emit(Op::Ext { i }, span);
    }

    fn here(&self) -> u32 {
        self.code.len() as u32
    }

    fn patch(&mut self, at: usize, target: u32) {
        match self.code[at].target_mut() {
            Some(t) => *t = target,
            None => unreachable!("patching a non-jump {:?}", self.code[at]),
        }
    }

    fn konst(&mut self, bits: u64) -> u32 {
        let next = self.consts.len() as u32;
        let k = *self.const_index.entry(bits).or_insert(next);
        if k == next {
            self.consts.push(bits);
        }
        k
    }

    fn new_s(&mut self) -> Reg {
        let r = self.next_s;
        self.next_s += 1;
        self.max_s = self.max_s.max(self.next_s);
        if r >= MAX_REGS {
            self.overflow = true;
            return 0;
        }
        r as Reg
    }

    fn new_a(&mut self) -> Reg {
        let r = self.next_a;
        self.next_a += 1;
        self.max_a = self.max_a.max(self.next_a);
        if r >= MAX_REGS {
            self.overflow = true;
            return 0;
        }
        r as Reg
    }

    /// Fresh registers for a value of type `ty`, leaves in order.
    fn alloc(&mut self, ty: &Type) -> Loc {
        match ty {
            Type::Prim(_) => Loc::S(self.new_s()),
            // A run-time string is the array of its UTF-8 bytes.
            Type::Array(..) | Type::Str(None) => Loc::A(self.new_a()),
            Type::Tuple(ts) => Loc::Tuple(ts.iter().map(|t| self.alloc(t)).collect()),
            Type::Unit | Type::Str(Some(_)) | Type::Unknown => Loc::Unit,
        }
    }

    fn mov(&mut self, dst: &Loc, src: &Loc, span: Span) {
        match (dst, src) {
            (Loc::S(d), Loc::S(s)) if d != s => {
                self.emit(Op::Mov { dst: *d, src: *s }, span);
            }
            (Loc::A(d), Loc::A(s)) if d != s => {
                self.emit(Op::MovA { dst: *d, src: *s }, span);
            }
            (Loc::Tuple(ds), Loc::Tuple(ss)) => {
                for (d, s) in ds.iter().zip(ss) {
                    self.mov(d, s, span);
                }
            }
            _ => {}
        }
    }

    // ------------------------------------------------------------ statements

    fn block(&mut self, stmts: &[Stmt]) {
        for s in stmts {
            let (ms, ma) = (self.next_s, self.next_a);
            self.stmt(s);
            self.next_s = ms;
            self.next_a = ma;
        }
    }

    /// A loop over `lo..lo + n` lowered as `n` copies of its body (see [`unrolled`]), `var`
    /// a literal in each: `continue` goes to the next copy, `break` past the last.
    fn copies(&mut self, var: u32, lo: i64, n: i64, body: &[Stmt], span: Span) {
        let mut breaks = Vec::new();
        for v in lo..lo + n {
            let mut copy = body.to_vec();
            let value = Expr {
                kind: ExprKind::Int(v),
                ty: Type::I64,
                span,
            };
            let read = |e: &mut Expr| {
                if matches!(e.kind, ExprKind::Local(l) if l == var) {
                    *e = value.clone();
                }
            };
            crate::ir::rewrite_locals(&mut copy, &read, &|_: &mut u32| {});
            self.loops.push(LoopCx {
                breaks: vec![],
                continues: vec![],
            });
            self.block(&copy);
            let lp = self.loops.pop().expect("loop pushed above");
            let next = self.here();
            for c in lp.continues {
                self.patch(c, next);
            }
            breaks.extend(lp.breaks);
        }
        let exit = self.here();
        for b in breaks {
            self.patch(b, exit);
        }
    }

    fn stmt(&mut self, s: &Stmt) {
        match s {
            Stmt::ParFor(p) => {
                let ExprKind::Call(id, args) = &p.call.kind else {
                    unreachable!("a prange loop calls its body")
                };
                let reds: Vec<(crate::vocab::Reduce, Prim)> = p
                    .reductions
                    .iter()
                    .map(|&(_, r)| r)
                    .zip(leaf_prims(&p.call.ty))
                    .collect();
                let ret = self.call_or_par(*id, args, &p.call.ty, p.span, Some(reds));
                let results = match ret {
                    Loc::Tuple(ls) => ls,
                    Loc::Unit => vec![],
                    l => vec![l],
                };
                for (&(v, _), r) in p.reductions.iter().zip(&results) {
                    let dst = self.locals[v as usize].clone();
                    self.mov(&dst, r, p.span);
                }
            }
            Stmt::Assign(l, e) => {
                let dst = self.locals[*l as usize].clone();
                if matches!(dst, Loc::Tuple(_)) {
                    // A tuple may read the variable it replaces: build it aside first.
                    let v = self.expr_any(e);
                    self.mov(&dst, &v, e.span);
                } else {
                    self.expr_to(e, &dst);
                }
            }
            Stmt::Store {
                array,
                index,
                value,
                span,
            } => {
                let e = elem_of(&array.ty);
                let arr = a_of(&self.expr_any(array));
                let idx = self.index_regs(index);
                let v = s_of(&self.expr_any(value));
                let op = match idx.as_slice() {
                    [i] => Op::AStore1 {
                        arr,
                        i: *i,
                        src: v,
                        e,
                    },
                    [i, j] => Op::AStore2 {
                        arr,
                        i: *i,
                        j: *j,
                        src: v,
                        e,
                    },
                    _ => Op::AStore3 {
                        arr,
                        idx: idx[0],
                        src: v,
                        e,
                    },
                };
                self.emit(op, *span);
            }
            Stmt::StoreSlice {
                array,
                index,
                value,
                span,
            } => {
                let arr = a_of(&self.expr_any(array));
                let index = self.slice_operands(index);
                let value = self.operand(value);
                self.ext(Ext::StoreSlice { arr, index, value }, *span);
            }
            Stmt::StoreTake {
                array,
                index,
                value,
                span,
            } => {
                let arr = a_of(&self.expr_any(array));
                let index = a_of(&self.expr_any(index));
                let value = self.operand(value);
                self.ext(Ext::StoreTake { arr, index, value }, *span);
            }
            Stmt::Expr(e) => {
                self.expr_any(e);
            }
            Stmt::If(c, then, els) => {
                if let ExprKind::Bool(true) = c.kind {
                    self.block(then);
                    return;
                }
                let jf = self.jump_when(c, false);
                self.block(then);
                if els.is_empty() {
                    let end = self.here();
                    jf.into_iter().for_each(|j| self.patch(j, end));
                } else {
                    let jend = self.emit(Op::Jmp { target: 0 }, c.span);
                    let e = self.here();
                    jf.into_iter().for_each(|j| self.patch(j, e));
                    self.block(els);
                    let end = self.here();
                    self.patch(jend, end);
                }
            }
            Stmt::While(c, body) => {
                // Rotated: test once on entry, then at the bottom, so each iteration
                // runs one conditional jump and no unconditional one.
                let always = matches!(c.kind, ExprKind::Bool(true));
                let entry = if always {
                    vec![]
                } else {
                    self.jump_when(c, false)
                };
                let top = self.here();
                self.loops.push(LoopCx {
                    breaks: vec![],
                    continues: vec![],
                });
                self.block(body);
                let cont = self.here();
                if always {
                    self.emit(Op::Jmp { target: top }, c.span);
                } else {
                    for back in self.jump_when(c, true) {
                        self.patch(back, top);
                    }
                }
                let end = self.here();
                entry.into_iter().for_each(|j| self.patch(j, end));
                let lp = self.loops.pop().expect("loop pushed above");
                for b in lp.breaks {
                    self.patch(b, end);
                }
                for c in lp.continues {
                    self.patch(c, cont);
                }
            }
            Stmt::ForRange {
                var,
                start,
                end,
                step,
                body,
                span,
            } => {
                if let Some((lo, n)) = unrolled(start, end, step.as_deref(), body) {
                    return self.copies(*var, lo, n, body, *span);
                }
                let i = s_of(&self.locals[*var as usize].clone());
                self.expr_to(start, &Loc::S(i));
                let end_r = self.new_s();
                self.expr_to(end, &Loc::S(end_r));
                let step_r = step.as_ref().map(|st| {
                    let r = self.new_s();
                    self.expr_to(st, &Loc::S(r));
                    r
                });
                let prep = match step_r {
                    None => self.emit(
                        Op::JmpNotLtI {
                            a: i,
                            b: end_r,
                            target: 0,
                        },
                        *span,
                    ),
                    Some(st) => self.emit(
                        Op::ForStepPrep {
                            i,
                            end: end_r,
                            step: st,
                            target: 0,
                        },
                        *span,
                    ),
                };
                let top = self.here();
                self.loops.push(LoopCx {
                    breaks: vec![],
                    continues: vec![],
                });
                self.block(body);
                let cont = self.here();
                match step_r {
                    None => self.emit(
                        Op::ForLoop {
                            i,
                            end: end_r,
                            target: top,
                        },
                        *span,
                    ),
                    Some(st) => self.emit(
                        Op::ForStep {
                            i,
                            end: end_r,
                            step: st,
                            target: top,
                        },
                        *span,
                    ),
                };
                let exit = self.here();
                self.patch(prep, exit);
                let lp = self.loops.pop().expect("loop pushed above");
                for b in lp.breaks {
                    self.patch(b, exit);
                }
                for c in lp.continues {
                    self.patch(c, cont);
                }
            }
            Stmt::Break => {
                let j = self.emit(Op::Jmp { target: 0 }, self.span);
                if let Some(l) = self.loops.last_mut() {
                    l.breaks.push(j);
                }
            }
            Stmt::Continue => {
                let j = self.emit(Op::Jmp { target: 0 }, self.span);
                if let Some(l) = self.loops.last_mut() {
                    l.continues.push(j);
                }
            }
            Stmt::Return(e) => {
                let span = e.as_ref().map_or(self.span, |e| e.span);
                match e {
                    None => {
                        self.emit(
                            Op::Ret {
                                s: 0,
                                ns: 0,
                                a: 0,
                                na: 0,
                            },
                            span,
                        );
                    }
                    Some(e) if matches!(e.ty, Type::Prim(_) | Type::Array(..)) => {
                        // One leaf: return it from wherever it is.
                        let op = match self.expr_any(e) {
                            Loc::S(r) => Op::Ret {
                                s: r,
                                ns: 1,
                                a: 0,
                                na: 0,
                            },
                            Loc::A(r) => Op::Ret {
                                s: 0,
                                ns: 0,
                                a: r,
                                na: 1,
                            },
                            other => unreachable!("one-leaf value at {other:?}"),
                        };
                        self.emit(op, span);
                    }
                    Some(e) => {
                        // Evaluate into fresh, contiguous registers; Ret moves them down.
                        let (s0, a0) = (self.next_s, self.next_a);
                        let dst = self.alloc(&e.ty);
                        self.expr_to(e, &dst);
                        let (ns, na) = leaves(&dst);
                        self.emit(
                            Op::Ret {
                                s: s0 as Reg,
                                ns: ns as u16,
                                a: a0 as Reg,
                                na: na as u16,
                            },
                            span,
                        );
                    }
                }
            }
            Stmt::Print(args) => {
                let mut out = Vec::new();
                for a in args {
                    match &a.ty {
                        Type::Str(Some(s)) => {
                            // The text is known statically; still evaluate for effects.
                            if !matches!(a.kind, ExprKind::Str(_)) {
                                self.expr_any(a);
                            }
                            out.push(PrintArg::Str(s.to_string()));
                        }
                        _ => {
                            let l = self.expr_any(a);
                            out.push(PrintArg::Value(a.ty.clone(), l));
                        }
                    }
                }
                let span = args.first().map_or(self.span, |a| a.span);
                self.ext(Ext::Print(out), span);
            }
            Stmt::Assert(c, msg, span) => {
                let r = s_of(&self.expr_any(c));
                self.ext(
                    Ext::Assert {
                        c: r,
                        message: msg.clone(),
                    },
                    *span,
                );
            }
        }
    }

    /// Emits the conditional jumps taken when `c` is `when`, all to one target; returns
    /// them for patching. `and`, `or` and `not` become jumps, evaluating their operands as
    /// their value would (left to right, the right one only when it decides), so a
    /// condition made of comparisons fuses each into its jump and materializes no `bool`.
    fn jump_when(&mut self, c: &Expr, when: bool) -> Vec<usize> {
        let mut out = Vec::new();
        self.jump_when_into(c, when, &mut out);
        out
    }

    fn jump_when_into(&mut self, c: &Expr, when: bool, out: &mut Vec<usize>) {
        match &c.kind {
            ExprKind::And(a, b) | ExprKind::Or(a, b) => {
                let and = matches!(c.kind, ExprKind::And(..));
                if and != when {
                    // `a and b` is false, `a or b` true, as soon as either operand is.
                    self.jump_when_into(a, when, out);
                    self.jump_when_into(b, when, out);
                } else {
                    // `a and b` is true only if `a` is (else it is false: past the jump),
                    // then as `b` is; `a or b` false likewise.
                    let mut decided = Vec::new();
                    self.jump_when_into(a, !when, &mut decided);
                    self.jump_when_into(b, when, out);
                    let past = self.here();
                    for j in decided {
                        self.patch(j, past);
                    }
                }
            }
            ExprKind::Unary(UnOp::Not, x) if x.ty == Type::BOOL => self.jump_when_into(x, !when, out),
            _ => out.push(match when {
                true => self.jump_if_true(c),
                false => self.jump_if_false(c),
            }),
        }
    }

    /// Emits a conditional jump taken when `c` is true; returns it for patching. The
    /// condition's temporaries are released: the jump has consumed them.
    fn jump_if_true(&mut self, c: &Expr) -> usize {
        let (ms, ma) = (self.next_s, self.next_a);
        let j = self.jump_if_true_inner(c);
        self.next_s = ms;
        self.next_a = ma;
        j
    }

    fn jump_if_true_inner(&mut self, c: &Expr) -> usize {
        if let ExprKind::Binary(op, a, b) = &c.kind {
            // Comparisons only: `a | b` on bools is a condition too, but has no fused jump.
            if op.is_comparison() && (a.ty == Type::I64 || a.ty == Type::BOOL) {
                // For integers, "jump if x < y" is "jump unless x >= y", and so on.
                let x = s_of(&self.expr_any(a));
                let y = s_of(&self.expr_any(b));
                return self.emit(jump_unless(negate(*op), false, x, y), c.span);
            }
        }
        let r = s_of(&self.expr_any(c));
        self.emit(Op::JmpIf { c: r, target: 0 }, c.span)
    }

    /// Emits a conditional jump taken when `c` is false; returns it for patching. The
    /// condition's temporaries are released, as in `jump_if_true`.
    fn jump_if_false(&mut self, c: &Expr) -> usize {
        let (ms, ma) = (self.next_s, self.next_a);
        let j = self.jump_if_false_inner(c);
        self.next_s = ms;
        self.next_a = ma;
        j
    }

    fn jump_if_false_inner(&mut self, c: &Expr) -> usize {
        if let ExprKind::Binary(op, a, b) = &c.kind {
            let int = matches!(a.ty, Type::Prim(p) if !p.is_float());
            // Floats have no fused ==/!= (and negating a float comparison is wrong for NaN).
            let float = matches!(a.ty, Type::Prim(p) if p.is_float())
                && !matches!(op, BinOp::Eq | BinOp::Ne);
            if (int || float) && op.is_comparison() {
                let x = s_of(&self.expr_any(a));
                let y = s_of(&self.expr_any(b));
                return self.emit(jump_unless(*op, float, x, y), c.span);
            }
        }
        let r = s_of(&self.expr_any(c));
        self.emit(Op::JmpIfNot { c: r, target: 0 }, c.span)
    }

    fn index_regs(&mut self, index: &[Expr]) -> Vec<Reg> {
        // ALoad3/AStore3 need the indices in consecutive registers.
        if index.len() >= 3 {
            let regs: Vec<Reg> = index.iter().map(|_| self.new_s()).collect();
            for (e, r) in index.iter().zip(&regs) {
                self.expr_to(e, &Loc::S(*r));
            }
            return regs;
        }
        index.iter().map(|e| s_of(&self.expr_any(e))).collect()
    }

    fn slice_operands(&mut self, index: &[SliceIdx]) -> Vec<SliceOperand> {
        index
            .iter()
            .map(|i| match i {
                SliceIdx::At(e) => SliceOperand::At(s_of(&self.expr_any(e))),
                SliceIdx::Range(a, b, c) => SliceOperand::Range(
                    a.as_ref().map(|e| s_of(&self.expr_any(e))),
                    b.as_ref().map(|e| s_of(&self.expr_any(e))),
                    c.as_ref().map(|e| s_of(&self.expr_any(e))),
                ),
                SliceIdx::NewAxis => SliceOperand::NewAxis,
            })
            .collect()
    }

    fn operand(&mut self, e: &Expr) -> Operand {
        let l = self.expr_any(e);
        match (&e.ty, l) {
            (Type::Prim(p), Loc::S(r)) => Operand::Scalar(r, *p),
            (_, Loc::A(r)) => Operand::Array(r),
            (t, l) => unreachable!("operand of type {t} at {l:?}"),
        }
    }

    // ------------------------------------------------------------ expressions

    /// Evaluates `e` and returns where its value is (a local's own registers when `e` is
    /// a local, so reading a variable copies nothing).
    fn expr_any(&mut self, e: &Expr) -> Loc {
        if let Some(bits) = literal_bits(e) {
            if let Some(r) = self.literal_regs.get(&bits) {
                return Loc::S(*r);
            }
        }
        match &e.kind {
            ExprKind::Local(l) => self.locals[*l as usize].clone(),
            ExprKind::Call(id, args) => self.call(*id, args, &e.ty, e.span),
            ExprKind::Field(t, i) => match self.expr_any(t) {
                Loc::Tuple(mut ls) if *i < ls.len() => ls.swap_remove(*i),
                other => unreachable!("field of non-tuple {other:?}"),
            },
            _ => {
                let dst = self.alloc(&e.ty);
                self.expr_to(e, &dst);
                dst
            }
        }
    }

    fn expr_to(&mut self, e: &Expr, dst: &Loc) {
        let span = e.span;
        match &e.kind {
            ExprKind::Int(i) => {
                let k = self.konst(*i as u64);
                self.emit(Op::LoadK { dst: s_of(dst), k }, span);
            }
            ExprKind::Float(f) => {
                let k = self.konst(f.to_bits());
                self.emit(Op::LoadK { dst: s_of(dst), k }, span);
            }
            ExprKind::Bool(b) => {
                let k = self.konst(*b as u64);
                self.emit(Op::LoadK { dst: s_of(dst), k }, span);
            }
            ExprKind::Str(_) => {}
            ExprKind::Local(_) | ExprKind::Field(..) => {
                let src = self.expr_any(e);
                self.mov(dst, &src, span);
            }
            ExprKind::Unary(op, a) => {
                let src = self.expr_any(a);
                match (&a.ty, op, src) {
                    (Type::Prim(p), UnOp::Neg, Loc::S(r)) if !p.is_float() => {
                        self.emit(
                            Op::NegI {
                                dst: s_of(dst),
                                a: r,
                            },
                            span,
                        );
                        self.narrow(&e.ty, dst, span);
                    }
                    (Type::Prim(_), UnOp::Neg, Loc::S(r)) => {
                        self.emit(
                            Op::NegF {
                                dst: s_of(dst),
                                a: r,
                            },
                            span,
                        );
                    }
                    (Type::Prim(_), UnOp::BitNot, Loc::S(r)) => {
                        self.emit(
                            Op::NotI {
                                dst: s_of(dst),
                                a: r,
                            },
                            span,
                        );
                        self.narrow(&e.ty, dst, span);
                    }
                    (Type::Prim(_), UnOp::Not, Loc::S(r)) => {
                        self.emit(
                            Op::Not {
                                dst: s_of(dst),
                                a: r,
                            },
                            span,
                        );
                    }
                    (_, UnOp::Neg, Loc::A(r)) => self.ext(
                        Ext::ArrayNeg {
                            src: r,
                            dst: a_of(dst),
                        },
                        span,
                    ),
                    (_, UnOp::Not | UnOp::BitNot, Loc::A(r)) => self.ext(
                        Ext::ArrayNot {
                            src: r,
                            dst: a_of(dst),
                        },
                        span,
                    ),
                    (t, op, l) => unreachable!("unary {op:?} on {t} at {l:?}"),
                }
            }
            ExprKind::Binary(op, a, b) => {
                self.binary(*op, a, b, dst, span);
                if !op.is_comparison() {
                    self.narrow(&e.ty, dst, span);
                }
            }
            ExprKind::And(a, b) | ExprKind::Or(a, b) => {
                let d = s_of(dst);
                self.expr_to(a, dst);
                let j = if matches!(e.kind, ExprKind::And(..)) {
                    self.emit(Op::JmpIfNot { c: d, target: 0 }, span)
                } else {
                    self.emit(Op::JmpIf { c: d, target: 0 }, span)
                };
                self.expr_to(b, dst);
                let end = self.here();
                self.patch(j, end);
            }
            ExprKind::Cast(p, a) => {
                let src = self.expr_any(a);
                match (&a.ty, src) {
                    (Type::Prim(from), Loc::S(r)) => self.convert(*from, *p, r, dst, span),
                    (_, Loc::A(r)) => self.ext(
                        Ext::ArrayCast {
                            to: *p,
                            src: r,
                            dst: a_of(dst),
                        },
                        span,
                    ),
                    (t, l) => unreachable!("cast of {t} to {p:?} at {l:?}"),
                }
            }
            ExprKind::Call(id, args) => {
                let ret = self.call(*id, args, &e.ty, span);
                self.mov(dst, &ret, span);
            }
            ExprKind::Builtin(b, args) => {
                self.builtin(*b, args, dst, span);
                if matches!(b, Builtin::Math1(_) | Builtin::Math2(_)) {
                    self.narrow(&e.ty, dst, span);
                }
            }
            ExprKind::Index(arr, index) => {
                let e = elem_of(&arr.ty);
                let a = a_of(&self.expr_any(arr));
                let idx = self.index_regs(index);
                let d = s_of(dst);
                let op = match idx.as_slice() {
                    [i] => Op::ALoad1 {
                        dst: d,
                        arr: a,
                        i: *i,
                        e,
                    },
                    [i, j] => Op::ALoad2 {
                        dst: d,
                        arr: a,
                        i: *i,
                        j: *j,
                        e,
                    },
                    _ => Op::ALoad3 {
                        dst: d,
                        arr: a,
                        idx: idx[0],
                        e,
                    },
                };
                self.emit(op, span);
            }
            ExprKind::Slice(arr, index) => {
                let a = a_of(&self.expr_any(arr));
                let index = self.slice_operands(index);
                self.ext(
                    Ext::Slice {
                        arr: a,
                        index,
                        dst: a_of(dst),
                    },
                    span,
                );
            }
            ExprKind::Take(arr, index) => {
                let a = a_of(&self.expr_any(arr));
                let index = a_of(&self.expr_any(index));
                self.ext(
                    Ext::Take {
                        arr: a,
                        index,
                        dst: a_of(dst),
                    },
                    span,
                );
            }
            ExprKind::Tuple(items) => {
                let Loc::Tuple(ds) = dst else {
                    unreachable!("tuple into {dst:?}")
                };
                for (x, d) in items.iter().zip(ds.clone()) {
                    self.expr_to(x, &d);
                }
            }
        }
    }

    /// Emits a call and returns where its result is: the window's base registers, in
    /// the same leaf order as the callee's parameters (the calling convention).
    fn call(&mut self, id: FuncId, args: &[Expr], ret_ty: &Type, span: Span) -> Loc {
        self.call_or_par(id, args, ret_ty, span, None)
    }

    /// A call of `id`, or with `par` a `prange` loop calling its outlined body `id`
    /// (`Ext::ParFor`, whose reductions combine by `par`): the window is the same.
    fn call_or_par(
        &mut self,
        id: FuncId,
        args: &[Expr],
        ret_ty: &Type,
        span: Span,
        par: Option<Vec<(crate::vocab::Reduce, Prim)>>,
    ) -> Loc {
        // The window: fresh registers at the top of both files, params in order.
        let (s0, a0) = (self.next_s, self.next_a);
        let callee = &self.prog.funcs[id as usize];
        let param_tys: Vec<Type> = callee
            .params
            .iter()
            .map(|p| callee.locals[*p as usize].ty.clone())
            .collect();
        let param_locs: Vec<Loc> = param_tys.iter().map(|t| self.alloc(t)).collect();
        for (a, l) in args.iter().zip(&param_locs) {
            self.expr_to(a, l);
        }
        match par {
            None => {
                self.emit(
                    Op::Call {
                        slot: id,
                        s: s0 as Reg,
                        a: a0 as Reg,
                    },
                    span,
                );
            }
            Some(reds) => {
                // Results come back at the window's base: it must hold them all.
                let n_s = (self.next_s - s0).max(reds.len());
                self.next_s = s0 + n_s;
                self.max_s = self.max_s.max(self.next_s);
                self.ext(
                    Ext::ParFor {
                        slot: id,
                        s: s0 as Reg,
                        a: a0 as Reg,
                        n_s: (n_s) as u16,
                        n_a: (self.next_a - a0) as u16,
                        reds,
                    },
                    span,
                );
            }
        }
        let (ss, sa) = (self.next_s, self.next_a);
        self.next_s = s0;
        self.next_a = a0;
        let ret = self.alloc(ret_ty);
        self.next_s = self.next_s.max(ss);
        self.next_a = self.next_a.max(sa);
        ret
    }

    /// `x*y + z`, `z + x*y`, `x*y - z` and `z - x*y` as one op (two roundings, exactly
    /// like the separate operations — not a fused multiply-add). Saves a dispatch and a
    /// register round trip in the most common numeric pattern (dot products, Horner, axpy).
    /// The scalar conversion from kind `from` to kind `to` of register `r` into `dst`
    /// (the rules of `runtime::ops::convert_bits`, one op each).
    fn convert(&mut self, from: Prim, to: Prim, r: Reg, dst: &Loc, span: Span) {
        let d = s_of(dst);
        let op = match (from.is_float(), to.is_float()) {
            _ if from == to => None,
            (false, false) if to == Prim::I64 => None,
            (false, false) => Some(Op::NarrowI { dst: d, a: r, to }),
            (false, true) => Some(Op::I2F { dst: d, a: r, to }),
            (true, false) => Some(Op::F2I { dst: d, a: r, to }),
            (true, true) if to == Prim::F32 => Some(Op::RoundF32 { dst: d, a: r }),
            (true, true) => None,
        };
        match op {
            Some(op) => {
                self.emit(op, span);
            }
            None => self.mov(dst, &Loc::S(r), span),
        }
    }

    /// After a scalar operation computed in its class (i64 or f64): the result made the
    /// register form of its narrow kind (`u8`/`i32` wrap, `f32` rounds once).
    fn narrow(&mut self, ty: &Type, dst: &Loc, span: Span) {
        let (Type::Prim(p), Loc::S(d)) = (ty, dst) else {
            return;
        };
        let op = match p {
            Prim::U8 | Prim::I32 => Op::NarrowI {
                dst: *d,
                a: *d,
                to: *p,
            },
            Prim::F32 => Op::RoundF32 { dst: *d, a: *d },
            _ => return,
        };
        self.emit(op, span);
    }

    fn multiply_add(&mut self, op: BinOp, a: &Expr, b: &Expr, d: Reg) -> Option<Op> {
        let is_mul = |e: &Expr| matches!(e.kind, ExprKind::Binary(BinOp::Mul, _, _));
        let (mul, other, mul_first) = match op {
            BinOp::Add | BinOp::Sub if is_mul(a) => (a, b, true),
            BinOp::Add | BinOp::Sub if is_mul(b) => (b, a, false),
            _ => return None,
        };
        let ExprKind::Binary(_, x, y) = &mul.kind else {
            return None;
        };
        let float = mul.ty == Type::F64;
        if !float && mul.ty != Type::I64 {
            return None;
        }
        // Evaluate in source order: the product's operands, then the other side.
        let (x, y, z) = if mul_first {
            let x = s_of(&self.expr_any(x));
            let y = s_of(&self.expr_any(y));
            (x, y, s_of(&self.expr_any(other)))
        } else {
            let z = s_of(&self.expr_any(other));
            let x = s_of(&self.expr_any(x));
            (x, s_of(&self.expr_any(y)), z)
        };
        Some(match (op, mul_first, float) {
            (BinOp::Add, _, true) => Op::MulAddF {
                dst: d,
                a: x,
                b: y,
                c: z,
            },
            (BinOp::Add, _, false) => Op::MulAddI {
                dst: d,
                a: x,
                b: y,
                c: z,
            },
            (_, true, true) => Op::MulSubF {
                dst: d,
                a: x,
                b: y,
                c: z,
            },
            (_, true, false) => Op::MulSubI {
                dst: d,
                a: x,
                b: y,
                c: z,
            },
            (_, false, true) => Op::SubMulF {
                dst: d,
                a: x,
                b: y,
                c: z,
            },
            (_, false, false) => Op::SubMulI {
                dst: d,
                a: x,
                b: y,
                c: z,
            },
        })
    }

    fn binary(&mut self, op: BinOp, a: &Expr, b: &Expr, dst: &Loc, span: Span) {
        if a.ty.is_array() || b.ty.is_array() {
            let x = self.operand(a);
            let y = self.operand(b);
            let elem = |t: &Type| match t {
                Type::Prim(p) | Type::Array(p, _) => *p,
                t => unreachable!("elementwise operand of type {t}"),
            };
            self.ext(
                Ext::ArrayBin {
                    op,
                    a: x,
                    b: y,
                    dst: a_of(dst),
                    a_temp: is_temporary_array(a),
                    b_temp: is_temporary_array(b),
                    elems: [elem(&a.ty), elem(&b.ty)],
                },
                span,
            );
            return;
        }
        let d = s_of(dst);
        // An integer kind (or bool for ==/!=): computed as i64, narrowed by the caller.
        let int = !matches!(a.ty, Type::Prim(p) if p.is_float());
        if let Some(fused) = self.multiply_add(op, a, b, d) {
            self.emit(fused, span);
            return;
        }
        let imm = match (int, op, &b.kind) {
            (true, BinOp::Add, ExprKind::Int(k)) => Some(*k),
            (true, BinOp::Sub, ExprKind::Int(k)) => k.checked_neg(),
            _ => None,
        };
        if let Some(k) = imm {
            // x ± small constant: one op.
            if let Ok(imm) = i32::try_from(k) {
                let x = s_of(&self.expr_any(a));
                self.emit(Op::AddIImm { dst: d, a: x, imm }, span);
                return;
            }
        }
        if let (true, BinOp::FloorDiv | BinOp::Mod, ExprKind::Int(k)) = (int, op, &b.kind) {
            // Division by a positive constant: a precomputed reciprocal.
            if *k > 0 && self.divisors.len() < u16::MAX as usize {
                let x = s_of(&self.expr_any(a));
                let reducer = strength_reduce::StrengthReducedU64::new(*k as u64);
                let k_idx = match self.divisors.iter().position(|r| r.get() == *k as u64) {
                    Some(i) => i as u16,
                    None => {
                        self.divisors.push(reducer);
                        (self.divisors.len() - 1) as u16
                    }
                };
                let o = if op == BinOp::Mod {
                    Op::ModIK {
                        dst: d,
                        a: x,
                        d: k_idx,
                    }
                } else {
                    Op::FloorDivIK {
                        dst: d,
                        a: x,
                        d: k_idx,
                    }
                };
                self.emit(o, span);
                return;
            }
        }
        if let (false, BinOp::Pow, ExprKind::Float(k)) = (int, op, &b.kind) {
            if self.power_by_constant(a, *k, d, span) {
                return;
            }
        }
        let x = s_of(&self.expr_any(a));
        let y = s_of(&self.expr_any(b));
        let o = match (op, int) {
            (BinOp::Add, true) => Op::AddI { dst: d, a: x, b: y },
            (BinOp::Sub, true) => Op::SubI { dst: d, a: x, b: y },
            (BinOp::Mul, true) => Op::MulI { dst: d, a: x, b: y },
            (BinOp::FloorDiv, true) => Op::FloorDivI { dst: d, a: x, b: y },
            (BinOp::Mod, true) => Op::ModI { dst: d, a: x, b: y },
            (BinOp::Pow, true) => Op::PowI { dst: d, a: x, b: y },
            (BinOp::Add, false) => Op::AddF { dst: d, a: x, b: y },
            (BinOp::Sub, false) => Op::SubF { dst: d, a: x, b: y },
            (BinOp::Mul, false) => Op::MulF { dst: d, a: x, b: y },
            (BinOp::Div, _) => Op::DivF { dst: d, a: x, b: y },
            (BinOp::FloorDiv, false) => Op::FloorDivF { dst: d, a: x, b: y },
            (BinOp::Mod, false) => Op::ModF { dst: d, a: x, b: y },
            (BinOp::Pow, false) => Op::PowF { dst: d, a: x, b: y },
            (BinOp::Lt, true) => Op::LtI { dst: d, a: x, b: y },
            (BinOp::Le, true) => Op::LeI { dst: d, a: x, b: y },
            (BinOp::Gt, true) => Op::LtI { dst: d, a: y, b: x },
            (BinOp::Ge, true) => Op::LeI { dst: d, a: y, b: x },
            (BinOp::Eq, true) => Op::EqI { dst: d, a: x, b: y },
            (BinOp::Ne, true) => Op::NeI { dst: d, a: x, b: y },
            (BinOp::Lt, false) => Op::LtF { dst: d, a: x, b: y },
            (BinOp::Le, false) => Op::LeF { dst: d, a: x, b: y },
            (BinOp::Gt, false) => Op::LtF { dst: d, a: y, b: x },
            (BinOp::Ge, false) => Op::LeF { dst: d, a: y, b: x },
            (BinOp::Eq, false) => Op::EqF { dst: d, a: x, b: y },
            (BinOp::Ne, false) => Op::NeF { dst: d, a: x, b: y },
            (BinOp::BitAnd, _) => Op::AndI { dst: d, a: x, b: y },
            (BinOp::BitOr, _) => Op::OrI { dst: d, a: x, b: y },
            (BinOp::BitXor, _) => Op::XorI { dst: d, a: x, b: y },
            (BinOp::Shl | BinOp::Shr, _) => {
                let t = a.ty.prim().unwrap_or(Prim::I64);
                if op == BinOp::Shl {
                    Op::ShlI { dst: d, a: x, b: y, t }
                } else {
                    Op::ShrI { dst: d, a: x, b: y, t }
                }
            }
        };
        self.emit(o, span);
    }

    /// `a ** k` on floats for a literal `k` that `runtime::ops::powf` does not take to
    /// libm: `0.5` is one `PowHalfF`; an integer in `0..=POW_BY_SQUARING_MAX` (`vocab::squaring_exponent`) is a chain of
    /// `MulF`s in `powf`'s order (low bits first). False if `k` is neither.
    fn power_by_constant(&mut self, a: &Expr, k: f64, d: Reg, span: Span) -> bool {
        let squared = squaring_exponent(k);
        if k != 0.5 && squared.is_none() {
            return false;
        }
        let x = s_of(&self.expr_any(a));
        let Some(mut exp) = squared else {
            self.emit(Op::PowHalfF { dst: d, a: x }, span);
            return true;
        };
        if exp == 0 {
            let one = self.konst(1f64.to_bits());
            self.emit(Op::LoadK { dst: d, k: one }, span);
            return true;
        }
        // The last multiplication writes `d` (the one made with the top bit, or the last
        // squaring when that bit's product is the square itself); every earlier product
        // goes to a fresh register, so `d` may be `x`'s own register.
        let mul = |this: &mut Self, p: Reg, q: Reg, last: bool| {
            let dst = if last { d } else { this.new_s() };
            this.emit(Op::MulF { dst, a: p, b: q }, span);
            dst
        };
        let mut acc: Option<Reg> = None;
        let mut base = x;
        while exp > 0 {
            if exp & 1 == 1 {
                acc = Some(match acc {
                    None => base,
                    Some(p) => mul(self, p, base, exp == 1),
                });
            }
            exp >>= 1;
            if exp > 0 {
                base = mul(self, base, base, exp == 1 && acc.is_none());
            }
        }
        let result = acc.unwrap_or(x);
        self.mov(&Loc::S(d), &Loc::S(result), span);
        true
    }

    fn builtin(&mut self, b: Builtin, args: &[Expr], dst: &Loc, span: Span) {
        let scalar_args = args.iter().all(|a| matches!(a.ty, Type::Prim(_)));
        // Scalar fast paths: one op, no generic value path.
        if scalar_args && !args.is_empty() {
            let regs: Vec<Reg> = args.iter().map(|a| s_of(&self.expr_any(a))).collect();
            let f64_args = matches!(args[0].ty, Type::Prim(p) if p.is_float());
            // Scalar `min(x, y)`/`max(x, y)` are `minimum`/`maximum` on scalars.
            let b1 = match b {
                Builtin::MinScalar => Builtin::Math2(MathFn2::Minimum),
                Builtin::MaxScalar => Builtin::Math2(MathFn2::Maximum),
                other => other,
            };
            // Only built-ins with a scalar result have a one-op form.
            let op = match (dst, b1, regs.as_slice()) {
                (&Loc::S(d), Builtin::Math1(MathFn::Abs), [x]) if !f64_args => {
                    Some(Op::AbsI { dst: d, a: *x })
                }
                (&Loc::S(d), Builtin::Math1(f), [x]) => Some(Op::Math1 { f, dst: d, a: *x }),
                (&Loc::S(d), Builtin::Math2(f), [x, y]) if f64_args || !f.keeps_int() => {
                    Some(Op::Math2 {
                        f,
                        dst: d,
                        a: *x,
                        b: *y,
                    })
                }
                (&Loc::S(d), Builtin::Math2(MathFn2::Minimum), [x, y]) => Some(Op::MinI {
                    dst: d,
                    a: *x,
                    b: *y,
                }),
                (&Loc::S(d), Builtin::Math2(MathFn2::Maximum), [x, y]) => Some(Op::MaxI {
                    dst: d,
                    a: *x,
                    b: *y,
                }),
                (&Loc::S(d), Builtin::IsNan, [x]) => Some(Op::IsNan { dst: d, a: *x }),
                (&Loc::S(d), Builtin::IsInf, [x]) => Some(Op::IsInf { dst: d, a: *x }),
                _ => None,
            };
            if let Some(op) = op {
                self.emit(op, span);
                return;
            }
            let largs = args
                .iter()
                .zip(regs)
                .map(|(a, r)| (a.ty.clone(), Loc::S(r)))
                .collect();
            self.ext(
                Ext::Builtin {
                    b,
                    args: largs,
                    dst: dst.clone(),
                },
                span,
            );
            return;
        }
        if b == Builtin::Len {
            let a = a_of(&self.expr_any(&args[0]));
            self.emit(
                Op::Len {
                    dst: s_of(dst),
                    arr: a,
                },
                span,
            );
            return;
        }
        let largs = args
            .iter()
            .map(|a| (a.ty.clone(), self.expr_any(a)))
            .collect();
        self.ext(
            Ext::Builtin {
                b,
                args: largs,
                dst: dst.clone(),
            },
            span,
        );
    }
}

/// The element type of an array type (what an element access reads or writes).
fn elem_of(t: &Type) -> Prim {
    match t {
        Type::Array(p, _) => *p,
        other => unreachable!("element access on {other}"),
    }
}

#[cfg(test)]
/// `ir::accumulate`'s rewrite, on functions checked from source (the `ir` layer cannot
/// reach the checker).
mod tail_self_call_tests {
    use crate::ir::accumulate::rewrite;
    use crate::ir::{Expr, ExprKind, Func, FuncId, Stmt};

    pub(super) fn func(src: &str, name: &str) -> (Func, FuncId) {
        let loaded = crate::loader::load_source("t.nk", src.to_string(), None).expect("loads");
        let prog = crate::types::check_program(&loaded).expect("checks");
        let id = prog.funcs.iter().position(|f| f.name.starts_with(name)).expect("function");
        (prog.funcs[id].clone(), id as FuncId)
    }

    fn rewritten(src: &str, name: &str) -> Option<Func> {
        let (f, id) = func(src, name);
        rewrite(&f, id)
    }

    /// Self-calls left in the body.
    fn self_calls(stmts: &[Stmt], me: FuncId) -> usize {
        let mut n = 0;
        crate::ir::walk(stmts, &mut |_| {}, &mut |e| {
            n += usize::from(matches!(e.kind, ExprKind::Call(f, _) if f == me));
        });
        n
    }

    #[test]
    fn fib_keeps_one_call_and_loops_with_an_accumulator() {
        let src = "fn fib(n: i64) -> i64 { if n < 2 { return n; } return fib(n - 1) + fib(n - 2); }\nprint(fib(10));";
        let (f, id) = func(src, "fib");
        assert_eq!(self_calls(&f.body, id), 2);
        let r = rewrite(&f, id).expect("rewritten");
        assert_eq!(self_calls(&r.body, id), 1, "{:?}", r.body);
        // `<acc>` and one temporary for `n`, after the function's own locals.
        assert_eq!(r.locals.len(), f.locals.len() + 2);
        assert_eq!(r.params, f.params);
        assert!(matches!(r.body[0], Stmt::Assign(acc, Expr { kind: ExprKind::Int(0), .. }) if acc as usize == f.locals.len()));
        assert!(matches!(&r.body[1], Stmt::While(c, _) if matches!(c.kind, ExprKind::Bool(true))));
    }

    #[test]
    fn products_start_from_one_and_plain_tail_calls_need_no_accumulator() {
        let fact = "fn fact(n: i64) -> i64 { if n < 2 { return 1; } return n * fact(n - 1); }\nprint(fact(5));";
        let r = rewritten(fact, "fact").expect("rewritten");
        assert!(matches!(r.body[0], Stmt::Assign(_, Expr { kind: ExprKind::Int(1), .. })));
        let halve = "fn h(x: f64, k: i64) -> f64 { if k == 0 { return x; } return h(x / 2.0, k - 1); }\nprint(h(1.0, 3));";
        let (f, id) = func(halve, "h");
        let r = rewrite(&f, id).expect("rewritten");
        assert_eq!(r.locals.len(), f.locals.len() + 2, "two temporaries, no accumulator");
        assert_eq!(r.body.len(), 1);
        assert_eq!(self_calls(&r.body, id), 0);
    }

    #[test]
    fn calls_evaluated_before_other_operands_or_in_loops_stay_calls() {
        for (src, name) in [
            // The self-call is the left operand: it runs before `n` is added.
            ("fn l(n: i64) -> i64 { if n == 0 { return 1; } return l(n - 1) + n; }\nprint(l(3));", "l"),
            // Float sums are not associative.
            ("fn s(n: i64) -> f64 { if n == 0 { return 0.0; } return 0.5 + s(n - 1); }\nprint(s(3));", "s"),
            // Inside a loop, `continue` would be the loop's.
            ("fn w(n: i64) -> i64 { while n > 0 { return w(n - 1); } return 0; }\nprint(w(3));", "w"),
            // Subtraction does not accumulate.
            ("fn d(n: i64) -> i64 { if n == 0 { return 0; } return n - d(n - 1); }\nprint(d(3));", "d"),
            // No result: nothing to rewrite.
            ("fn u(n: i64) { if n > 0 { u(n - 1); } }\nu(3);", "u"),
        ] {
            assert!(rewritten(src, name).is_none(), "{src}");
        }
    }
}

#[cfg(test)]
/// `ir::hoist`'s rewrite, on functions checked from source.
mod loop_view_tests {
    use super::tail_self_call_tests::func;
    use crate::ir::hoist::rewrite;
    use crate::ir::{Expr, ExprKind, Stmt};

    const G: &str = "fn g(p: f64[], q: f64[]) -> f64 { return p[0] - q[0]; }\n";

    fn unrolled(start: &Expr, end: &Expr, body: &[Stmt]) -> bool {
        super::unrolled(start, end, None, body).is_some()
    }

    /// `f`'s body (`f(x: f64[,], i: i64, n: i64) -> f64`, `e` its running sum) rewritten.
    fn hoists(body: &str) -> bool {
        let src = format!(
            "{G}fn f(x: f64[,], i: i64, n: i64) -> f64 {{\n  let e = 0.0;\n  {body}\n  return e;\n}}\n\
             print(f(zeros((3, 2)), 1, 2));"
        );
        rewrite(&func(&src, "f(").0, &unrolled).is_some()
    }

    #[test]
    fn the_first_view_of_an_iteration_moves_before_its_loop() {
        let src = format!(
            "{G}fn f(x: f64[,], i: i64) -> f64 {{\n\
               let e = 0.0;\n\
               for j in 0..len(x) {{ e += g(x[i], x[j]); }}\n\
               return e;\n\
             }}\n\
             print(f(zeros((3, 2)), 1));"
        );
        let f = rewrite(&func(&src, "f(").0, &unrolled).expect("rewritten");
        // `e = 0.0; <start> = 0; <end> = len(x); if <start> < <end> { <view> = x[i]; for .. }`
        let Stmt::If(_, then, els) = &f.body[3] else {
            panic!("{:?}", f.body)
        };
        assert!(els.is_empty());
        let [Stmt::Assign(view, made), Stmt::ForRange { body, .. }] = then.as_slice() else {
            panic!("{then:?}")
        };
        assert!(matches!(made.kind, ExprKind::Slice(..)));
        assert_eq!(f.locals[*view as usize].name, "<view>");
        let mut reads = 0;
        crate::ir::walk(body, &mut |_| {}, &mut |e| {
            reads += usize::from(matches!(e.kind, ExprKind::Local(l) if l == *view));
        });
        assert_eq!(reads, 1, "{body:?}");
        // A `let` of the call, a `let` of the view itself, a range of invariant bounds.
        assert!(hoists("for j in 0..n { let d = g(x[i], x[j]); e += d; }"));
        assert!(hoists("for j in 0..n { let r = x[-1]; e += r[0]; }"));
        assert!(hoists("let lo = 0; for j in 0..n { let r = x[lo:n]; e += r[0, 0]; }"));
    }

    #[test]
    fn views_that_change_or_come_later_stay_in_the_loop() {
        // The index or the array assigned in the loop, the counter as the index.
        assert!(!hoists("for j in 0..n { e += g(x[i], x[j]); i = j; }"));
        assert!(!hoists("for j in 0..n { e += g(x[i], x[j]); x = x * 2.0; }"));
        assert!(!hoists("for j in 0..n { e += g(x[j], x[i]); }"));
        // Not what the iteration evaluates first; an index that is an expression.
        assert!(!hoists("for j in 0..n { let a = float(j); e += g(x[i], x[j]) + a; }"));
        assert!(!hoists("for j in 0..n { e += g(x[i + 1], x[j]); }"));
        assert!(!hoists("for j in 0..n { e = g(x[j], x[i]) + e; }"));
        // A loop the lowering unrolls, a step; a longer literal one moves its view.
        assert!(!hoists("for j in 0..2 { e += g(x[i], x[j]); }"));
        assert!(hoists("for j in 0..9 { e += g(x[i], x[j]); }"));
        assert!(!hoists("for j in range(0, n, 1) { e += g(x[i], x[j]); }"));
    }
}
