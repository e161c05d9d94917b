//! Innermost loops in two versions: one test before the loop proves every element
//! access of the loop in bounds (the *guard*), and the loop then runs a copy whose
//! accesses skip their bounds checks and negative-index wraps; when the guard fails, the
//! ordinary copy runs, with every check (so an error is reported at the iteration that
//! makes it, after the iterations before it ran, exactly as in the interpreter).
//!
//! An index is proven for a loop `for i in lo..end` when it is
//! - the counter plus a constant, `i + c` (the counter itself, or a register whose write
//!   reaching the access from earlier in its basic block is an `AddIImm` of it, so it
//!   holds this iteration's `i + c`; the lowering may reuse the register elsewhere): in bounds on every iteration iff `lo + c >= 0` and
//!   `end + c <= n` (the counter runs from `lo` to `end - 1`: the loop writes neither
//!   `i` nor `end` except by its own increment);
//! - the counter divided by a constant, `i // k` (a register whose write reaching the
//!   access from earlier in its basic block is a `FloorDivIK` of the counter): in bounds
//!   on every iteration iff `lo >= 0` and `(end - 1) // k < n` (then every `i` is
//!   non-negative, and so is `i // k`, which only grows: `arr1[i // 2]`);
//! - a register the loop never writes: in bounds iff `0 <= r < n` once.
//!
//! A `while` loop counts like a `for` loop when its condition is `j <= end` or `j < end`
//! (`end` not written in it) and the last op of its body, the only write to `j`, adds a
//! step the loop does not write, or a positive constant: `while j <= n { a[j] = 0; j += i; }`.
//! Then `j` runs up from its value `lo` at the entry, and the guard adds `step > 0` and
//! `end <= i64::MAX - step` (no wrap before the loop ends), so every access sees a `j` in
//! `lo..=end` (`lo..end`): the `for` loop's guard with `end + 1` (`end`) as its end.
//!
//! The array's shape is the same on every iteration: the loop holds no op that replaces
//! an array register (no call, no `Ext`, no array move), and an array's shape never
//! changes. The guard compares without overflow: `c` is an `i32` and a shape is at most
//! `isize::MAX`, so `-c` and `n - c` are exact.
//!
//! A `for` loop around exactly one such inner `for` loop (and no other loop) runs in two
//! versions too when the inner loop's guard can be tested once where the outer loop is
//! entered (a *nest*: pairwise distances' `j` loop around its 3-iteration `c` loop, a row
//! loop around a column loop). That is when the inner loop's first counter value and its
//! end are, where it is entered, a constant, an outer-invariant register, an array's
//! shape or the outer counter (a triangular nest, `for j in i + 1..n`), plus a constant,
//! and its invariant indices are the outer counter plus a constant or registers the outer
//! loop does not write. The outer guard then holds the inner guard's conditions
//! for every outer iteration, and the outer fast copy runs the inner loop's fast copy
//! with no test of its own (its ordinary copy keeps the inner loop's two versions). Its
//! guard also holds the inner loop to at most 1,024 iterations per outer iteration, so
//! that the inner fast copy needs no polling: the outer back-edge reads the interrupt
//! flag often enough (a longer inner loop pays for its own guard and polls many times
//! over).
//!
//! Besides the checks, the fast copy computes each access's invariant part of the address
//! (the pointer, invariant axes, `c * stride`) once where the loop is entered, and keeps
//! `i * stride` per array and axis in a variable the back-edge steps by the stride: an
//! access in the loop is one add and the load (Cranelift's own code motion left these
//! products in the loop: an operand that is a constant is rematerialized in each block,
//! which pins the instruction using it there).

use crate::bytecode::{CompiledFn, Ext, Loc, Op};
use crate::ir::Builtin;
use crate::vocab::Prim;

/// Loops larger than this (in bytecode ops) run one copy: the second doubles their code.
const MAX_BODY: usize = 400;

/// How the fast copy indexes one axis of an access.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Axis {
    /// Not proven: checked and wrapped as in the ordinary copy.
    Checked,
    /// The counter plus `offset`, in bounds on every iteration.
    Counter { offset: i32 },
    /// `s[reg] + offset`, `reg` a register the loop does not write, in bounds.
    Invariant { reg: u16, offset: i64 },
    /// The counter floor-divided by `k > 0`, non-negative and in bounds: the index
    /// register holds it.
    Quotient { k: u64 },
}

/// One condition of a loop's guard: axis `axis` of array register `arr`...
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Guard {
    pub arr: u16,
    pub axis: usize,
    pub kind: GuardKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum GuardKind {
    /// ...holds `i + offset` for every `i` in `lo..end`: `lo >= -offset && end <= n - offset`.
    Counter { offset: i32 },
    /// ...holds `s[reg] + offset` (wrapping, as `AddIImm` computes it): `(that as u64) < n`.
    Invariant { reg: u16, offset: i64 },
    /// ...holds `i // k` for every `i` in `lo..end`: `lo >= 0 && (end - 1) // k < n`.
    Quotient { k: u64 },
    /// ...holds `c + offset` for every counter value `c` of the inner loop of a nest,
    /// which runs over `lo..end` on every outer iteration ([`Inner`]): the `Counter` test
    /// with the least `lo` and the greatest `end` (the outer counter's first and last value
    /// where they are `Term::Counter`; then the outer range must also be within `±2^62`,
    /// so that neither wraps).
    Inner { offset: i32 },
}

/// An inner loop's first counter value or end as the outer loop's entry sees it:
/// `of + offset` (wrapping, as `AddIImm` computes it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Bound {
    pub of: Term,
    pub offset: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Term {
    /// Nothing: the bound is the constant `offset`.
    Zero,
    /// A scalar register the outer loop does not write.
    Reg(u16),
    /// An axis of an array register's shape (`shape(x).1`, `len(x)` in the outer loop).
    Shape { arr: u16, axis: usize },
    /// The outer loop's counter (a triangular nest: `for j in i + 1..n`): the guard takes
    /// its first value for a first value, its last for an end.
    Counter,
}

/// How a `while` loop's counter steps (the last op of its body).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// `AddI j, j, reg`: `reg` is not written in the loop.
    Reg(u16),
    /// `AddIImm j, j, imm`, `imm > 0`.
    Imm(i32),
}

/// A `while` loop's counting (see the module's documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WhileCount {
    /// The op that steps the counter (the body's last) and by how much.
    pub at: usize,
    pub step: Step,
    /// The condition is `counter <= end` (else `counter < end`).
    pub inclusive: bool,
}

/// A loop run in two versions.
#[derive(Debug)]
pub struct Version {
    /// The `JmpNotLtI` that enters the loop (or skips it).
    pub entry: usize,
    /// The loop's first op (the target of its back-edge).
    pub head: usize,
    /// The loop's `ForLoop`, or a `while` loop's conditional jump back.
    pub back: usize,
    /// `None` for a `for` loop.
    pub while_count: Option<WhileCount>,
    /// The counter and end registers.
    pub counter: u16,
    pub end: u16,
    /// The guard: every condition must hold.
    pub guards: Vec<Guard>,
    /// Per op of the loop (`head..=back`, by `pc - head`): its access's axes, if it is an
    /// element access with at least one proven axis (a nest: outside its inner loop).
    pub axes: Vec<Option<Vec<Axis>>>,
    /// A nest: its inner loop, which the fast copy runs without a guard of its own.
    pub inner: Option<Inner>,
}

/// A nest's inner loop: its version's index, and its first counter value and end as the
/// outer loop's entry sees them. The guard also tests that the inner loop runs at most
/// `POLL_EVERY` iterations per outer iteration, so that its fast copy needs no polling
/// of its own (the outer back-edge counts down to its reads of the interrupt flag).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Inner {
    pub at: usize,
    pub lo: Bound,
    pub end: Bound,
}

impl Version {
    /// Whether the loop's body is one basic block (`starts`: `codegen::block_starts`).
    pub fn one_block(&self, starts: &[bool]) -> bool {
        !starts[self.head + 1..=self.back].iter().any(|&s| s)
    }

    /// The fast copy's axes for the access at `pc`, if any are proven.
    pub fn axes_at(&self, pc: usize) -> Option<&[Axis]> {
        let k = pc.checked_sub(self.head)?;
        self.axes.get(k)?.as_deref()
    }
}

/// An innermost loop run in two versions for its arrays' strides: where it is entered,
/// one test of the arrays it indexes with one index (`a[i]`) picks a copy in which their
/// stride is the constant 1 (the address `ptr + i * 8`, an x64 operand), else the
/// ordinary copy runs. In mergesort's merge loop the `i * stride` products were three
/// cycles on the chain from one iteration's comparison to the next one's loads.
///
/// Which loops: a `while` loop's back-edge is a conditional jump to its head, which only
/// the op before it (the loop's entry test) and that jump reach; no other jump enters
/// the loop or goes back inside it; no op in it can replace an array (no call, no `Ext`
/// op, no array move), so the strides tested at the entry hold on every iteration. Loops
/// run in two versions for their bounds (`versions`) keep that plan, whose fast copy
/// steps `i * stride` with the counter.
#[derive(Debug)]
pub struct UnitLoop {
    /// The op before the head, which falls into it (or jumps past the loop).
    pub entry: usize,
    pub head: usize,
    /// The conditional jump back to `head`.
    pub back: usize,
    /// The array registers of the loop's 1-D accesses (`ALoad1`, `AStore1`).
    pub arrays: Vec<u16>,
}

/// The loops of `f` worth a unit-stride copy (see [`UnitLoop`]), none overlapping a loop
/// of `versions`.
pub fn unit_loops(f: &CompiledFn, versions: &[Version]) -> Vec<UnitLoop> {
    let code = &f.code;
    let mut out = Vec::new();
    for (back, op) in code.iter().enumerate() {
        let conditional = op.falls_through() && !matches!(op, Op::ForLoop { .. } | Op::ForStep { .. });
        let Some(head) = op.jump_target().map(|t| t as usize) else { continue };
        let Some(entry) = head.checked_sub(1) else { continue };
        // (An `Ext` entry may start a fused chain, which codegen emits past the head.)
        let entry_ok = code[entry].falls_through() && !matches!(code[entry], Op::Ext { .. });
        if !conditional || head > back || back - head > MAX_BODY || !entry_ok {
            continue;
        }
        let taken = |x: usize| versions.iter().any(|v| (v.entry..=v.back).contains(&x));
        if taken(entry) || taken(back) || versions.iter().any(|v| v.head <= back && head <= v.back) {
            continue;
        }
        if out.iter().any(|u: &UnitLoop| (u.entry..=u.back).contains(&entry)) {
            continue;
        }
        // Only the entry's fall-through and the back-edge reach the head; nothing else
        // enters the loop; no other jump goes back inside it (innermost).
        let inside = |x: usize| (head..=back).contains(&x);
        let bad_jump = code.iter().enumerate().any(|(q, op)| {
            op.jump_target().is_some_and(|t| {
                let t = t as usize;
                (inside(t) && !inside(q) && t != head) || (t == head && q != back) || (inside(q) && q != back && t <= q)
            })
        });
        let replaces = code[head..=back].iter().any(|op| op.may_replace_arrays());
        if bad_jump || replaces {
            continue;
        }
        let mut arrays: Vec<u16> = (code[head..=back].iter())
            .filter_map(|op| match *op {
                Op::ALoad1 { arr, .. } | Op::AStore1 { arr, .. } => Some(arr),
                _ => None,
            })
            .collect();
        arrays.sort_unstable();
        arrays.dedup();
        if !arrays.is_empty() {
            out.push(UnitLoop { entry, head, back, arrays });
        }
    }
    out
}

/// The array register, index registers and element type of an element access.
pub fn access(op: &Op) -> Option<(u16, Vec<u16>, Prim)> {
    Some(match *op {
        Op::ALoad1 { arr, i, e, .. } | Op::AStore1 { arr, i, e, .. } => (arr, vec![i], e),
        Op::ALoad2 { arr, i, j, e, .. } | Op::AStore2 { arr, i, j, e, .. } => {
            (arr, vec![i, j], e)
        }
        Op::ALoad3 { arr, idx, e, .. } | Op::AStore3 { arr, idx, e, .. } => {
            (arr, vec![idx, idx + 1, idx + 2], e)
        }
        _ => return None,
    })
}

/// The innermost loops of `f` worth two versions. `starts`: first op of each block.
pub fn versions(f: &CompiledFn, starts: &[bool]) -> Vec<Version> {
    let mut out = Vec::new();
    for (back, op) in f.code.iter().enumerate() {
        let (i, end, head, while_count) = match *op {
            Op::ForLoop { i, end, target } => (i, end, target as usize, None),
            // A rotated `while j <= end` (`j < end`) loop: `JmpNotLtI end, j` (`JmpNotLeI`)
            // back to its head.
            Op::JmpNotLtI { a, b, target } | Op::JmpNotLeI { a, b, target }
                if (target as usize) <= back && back > 0 =>
            {
                let inclusive = matches!(op, Op::JmpNotLtI { .. });
                let step = match f.code[back - 1] {
                    Op::AddI { dst, a: x, b: s } if dst == b && x == b && s != b && s != a => {
                        Step::Reg(s)
                    }
                    Op::AddIImm { dst, a: x, imm } if dst == b && x == b && imm > 0 => {
                        Step::Imm(imm)
                    }
                    _ => continue,
                };
                let count = WhileCount {
                    at: back - 1,
                    step,
                    inclusive,
                };
                (b, a, target as usize, Some(count))
            }
            _ => continue,
        };
        let Some(entry) = head.checked_sub(1) else {
            continue;
        };
        // The entry skips the loop unless `i < end` (`i <= end` for an inclusive `while`).
        let (a, b, target, inclusive) = match f.code[entry] {
            Op::JmpNotLtI { a, b, target } => (a, b, target, false),
            Op::JmpNotLeI { a, b, target } => (a, b, target, true),
            _ => continue,
        };
        let entered = a == i
            && b == end
            && target as usize == back + 1
            && inclusive == while_count.is_some_and(|w| w.inclusive);
        if !entered || head > back || back - head > MAX_BODY {
            continue;
        }
        let shape = Version {
            entry,
            head,
            back,
            while_count,
            counter: i,
            end,
            guards: Vec::new(),
            axes: Vec::new(),
            inner: None,
        };
        if let Some(v) = version(f, starts, shape) {
            out.push(v);
        }
    }
    // Nests: a `for` loop around one of these (found after them: its back-edge is later).
    let innermost = out.len();
    for (back, op) in f.code.iter().enumerate() {
        let Op::ForLoop { i, end, target } = *op else { continue };
        let head = target as usize;
        let Some(entry) = head.checked_sub(1) else { continue };
        let entered = matches!(f.code[entry], Op::JmpNotLtI { a, b, target }
            if a == i && b == end && target as usize == back + 1);
        if !entered || head > back || back - head > MAX_BODY {
            continue;
        }
        let mut inside = (0..innermost).filter(|&k| (head..back).contains(&out[k].entry));
        let (Some(at), None) = (inside.next(), inside.next()) else { continue };
        let shape = Version {
            entry,
            head,
            back,
            while_count: None,
            counter: i,
            end,
            guards: Vec::new(),
            axes: Vec::new(),
            inner: None,
        };
        if let Some(v) = nest(f, starts, shape, &out[at], at) {
            out.push(v);
        }
    }
    out
}

/// Whether the ops outside `body` jump into it only at `head` (from `entry` and `back`),
/// and the ops inside it only within it or to `back + 1`.
fn enters_only_at_head(f: &CompiledFn, entry: usize, head: usize, back: usize) -> bool {
    let body = head..back;
    f.code.iter().enumerate().all(|(pc, op)| {
        let Some(t) = op.jump_target().map(|t| t as usize) else { return true };
        let inside = body.contains(&pc);
        let into = t > head && t <= back;
        let escapes = inside && !(head..=back + 1).contains(&t);
        let enters = !inside && pc != back && into;
        let to_head = !inside && pc != entry && pc != back && t == head;
        !(escapes || enters || to_head)
    })
}

/// The index `r`'s axis in an access at `at` of the loop `head..` (counter `i`): the
/// counter, a register `unwritten` by the loop, or one of those plus a constant or the
/// counter divided by one, written earlier in the access's basic block.
fn classify(
    f: &CompiledFn,
    starts: &[bool],
    (head, i): (usize, u16),
    unwritten: &dyn Fn(u16) -> bool,
    r: u16,
    at: usize,
) -> Axis {
    if r == i {
        return Axis::Counter { offset: 0 };
    }
    if unwritten(r) {
        return Axis::Invariant { reg: r, offset: 0 };
    }
    // The write of `r` that reaches the access from earlier in its basic block (the
    // lowering reuses registers, so `r` may be written elsewhere in the loop too).
    let Some(def) = reaching_write(f, starts, head, r, at) else {
        return Axis::Checked;
    };
    match f.code[def] {
        Op::AddIImm { dst, a, imm } if dst == r => {
            if a == i {
                Axis::Counter { offset: imm }
            } else if unwritten(a) {
                Axis::Invariant {
                    reg: a,
                    offset: imm as i64,
                }
            } else {
                Axis::Checked
            }
        }
        Op::FloorDivIK { dst, a, d } if dst == r && a == i => Axis::Quotient {
            k: f.divisors[d as usize].get(),
        },
        _ => Axis::Checked,
    }
}

/// The op at or after `from` and before `at`, in `at`'s basic block, whose write of `r`
/// reaches `at`.
fn reaching_write(f: &CompiledFn, starts: &[bool], from: usize, r: u16, at: usize) -> Option<usize> {
    for p in (from..at).rev() {
        if starts[p + 1] {
            return None;
        }
        if scalar_writes(f, p).contains(&r) {
            return Some(p);
        }
    }
    None
}

/// The scalar registers op `pc` writes in its frame (an `Ext` op's included).
fn scalar_writes(f: &CompiledFn, pc: usize) -> Vec<u16> {
    match f.code[pc] {
        Op::Ext { i } => super::codegen::ext_regs(&f.ext[i as usize]).1,
        ref op => op.s_writes().collect(),
    }
}

/// Writes per scalar register by the ops of `body`.
fn writes_in(f: &CompiledFn, body: std::ops::Range<usize>) -> Vec<u32> {
    let mut writes: Vec<u32> = vec![0; f.n_s];
    for pc in body {
        for r in scalar_writes(f, pc) {
            if let Some(w) = writes.get_mut(r as usize) {
                *w += 1;
            }
        }
    }
    writes
}

/// The guard and axes of the accesses at `pcs` of the loop `head..` (counter `i`).
fn proven_accesses(
    f: &CompiledFn,
    starts: &[bool],
    (head, i): (usize, u16),
    unwritten: &dyn Fn(u16) -> bool,
    pcs: impl Iterator<Item = usize>,
    axes: &mut [Option<Vec<Axis>>],
) -> Vec<Guard> {
    let mut guards = Vec::new();
    for pc in pcs {
        let Some((arr, idx, _)) = access(&f.code[pc]) else {
            continue;
        };
        let ax: Vec<Axis> = idx.iter().map(|&r| classify(f, starts, (head, i), unwritten, r, pc)).collect();
        if ax.iter().all(|a| *a == Axis::Checked) {
            continue;
        }
        for (axis, &a) in ax.iter().enumerate() {
            let kind = match a {
                Axis::Checked => continue,
                Axis::Counter { offset } => GuardKind::Counter { offset },
                Axis::Invariant { reg, offset } => GuardKind::Invariant { reg, offset },
                Axis::Quotient { k } => GuardKind::Quotient { k },
            };
            guards.push(Guard { arr, axis, kind });
        }
        axes[pc - head] = Some(ax);
    }
    guards
}

/// The array register and destination registers (by axis) of a read of an array's
/// shape at `pc` (`shape(x)`, `len(x)`).
fn shape_read(f: &CompiledFn, pc: usize) -> Option<(u16, Vec<Option<u16>>)> {
    match f.code[pc] {
        Op::Len { dst, arr } => Some((arr, vec![Some(dst)])),
        Op::Ext { i } => match &f.ext[i as usize] {
            Ext::Builtin {
                b: Builtin::Shape,
                args,
                dst: Loc::Tuple(dims),
            } => match args[..] {
                [(_, Loc::A(arr))] => {
                    let regs = dims.iter().map(|d| if let Loc::S(r) = d { Some(*r) } else { None });
                    Some((arr, regs.collect()))
                }
                _ => None,
            },
            _ => None,
        },
        _ => None,
    }
}

/// Register `r`'s value at op `at` of a nest's body from `head`, as a constant, an
/// `unwritten` register, an array's shape or the outer `counter`, plus a constant, written
/// earlier in `at`'s basic block (through moves and `AddIImm`s).
fn bound_at(
    f: &CompiledFn,
    starts: &[bool],
    (head, counter): (usize, u16),
    unwritten: &dyn Fn(u16) -> bool,
    r: u16,
    at: usize,
) -> Option<Bound> {
    let Some(def) = reaching_write(f, starts, head, r, at) else {
        let of = match r == counter {
            true => Term::Counter,
            false => unwritten(r).then_some(Term::Reg(r))?,
        };
        return Some(Bound { of, offset: 0 });
    };
    match f.code[def] {
        Op::LoadK { dst, k } if dst == r => Some(Bound {
            of: Term::Zero,
            offset: f.consts[k as usize] as i64,
        }),
        Op::Mov { dst, src } if dst == r => bound_at(f, starts, (head, counter), unwritten, src, def),
        Op::AddIImm { dst, a, imm } if dst == r => {
            let b = bound_at(f, starts, (head, counter), unwritten, a, def)?;
            let offset = b.offset.wrapping_add(imm as i64);
            // (The counter plus a constant: the guard's no-wrap test allows `|c| < 2^31`.)
            if b.of == Term::Counter && offset.unsigned_abs() >= 1 << 31 {
                return None;
            }
            Some(Bound { offset, ..b })
        }
        _ => {
            let (arr, dims) = shape_read(f, def)?;
            let axis = dims.iter().position(|d| *d == Some(r))?;
            Some(Bound {
                of: Term::Shape { arr, axis },
                offset: 0,
            })
        }
    }
}

/// `shape`, a `for` loop around exactly one other loop, `inner` (innermost, run in two
/// versions; `out[at]`), with its guard (its own accesses' and `inner`'s, lifted to its entry) and
/// its own accesses' axes, if it qualifies (see the module's documentation).
fn nest(f: &CompiledFn, starts: &[bool], shape: Version, inner: &Version, at: usize) -> Option<Version> {
    let (entry, head, back, i, end) = (shape.entry, shape.head, shape.back, shape.counter, shape.end);
    if inner.while_count.is_some() || !enters_only_at_head(f, entry, head, back) {
        return None;
    }
    for (pc, op) in f.code.iter().enumerate().take(back).skip(head) {
        // No other loop, nothing that replaces an array (reading a shape does not),
        // writes the counter or the end.
        let loops = op.jump_target().is_some_and(|t| t as usize <= pc)
            || matches!(op, Op::ForLoop { .. } | Op::ForStep { .. } | Op::ForStepPrep { .. });
        let replaces = op.may_replace_arrays() && shape_read(f, pc).is_none();
        if loops && pc != inner.back || replaces || scalar_writes(f, pc).iter().any(|&r| r == i || r == end) {
            return None;
        }
    }
    let writes = writes_in(f, head..back);
    // Not written by the loop (its counter is, by the back-edge).
    let unwritten = |r: u16| r != i && writes.get(r as usize).is_some_and(|&w| w == 0);
    let value = |r: u16| bound_at(f, starts, (head, i), &unwritten, r, inner.entry);
    let (lo, inner_end) = (value(inner.counter)?, value(inner.end)?);
    let mut guards = Vec::new();
    for g in &inner.guards {
        let kind = match g.kind {
            GuardKind::Counter { offset } => GuardKind::Inner { offset },
            GuardKind::Invariant { reg, offset } if reg == i => GuardKind::Counter {
                offset: i32::try_from(offset).ok()?,
            },
            GuardKind::Invariant { reg, .. } if unwritten(reg) => g.kind,
            _ => return None,
        };
        guards.push(Guard { kind, ..*g });
    }
    let mut axes = vec![None; back + 1 - head];
    let own = (head..back).filter(|pc| !(inner.entry..=inner.back).contains(pc));
    guards.extend(proven_accesses(f, starts, (head, i), &unwritten, own, &mut axes));
    guards.sort();
    guards.dedup();
    let inner = Some(Inner { at, lo, end: inner_end });
    Some(Version { guards, axes, inner, ..shape })
}

/// `shape` (a loop's ops, counter and end) with its guard and proven axes, if the loop
/// qualifies and proves at least one access.
fn version(f: &CompiledFn, starts: &[bool], shape: Version) -> Option<Version> {
    let (entry, head, back) = (shape.entry, shape.head, shape.back);
    let (i, end, while_count) = (shape.counter, shape.end, shape.while_count);
    // A `while` loop's step op writes its counter; nothing else may, nor its step register.
    let step_at = while_count.map(|w| w.at);
    let step_reg = match while_count.map(|w| w.step) {
        Some(Step::Reg(r)) => Some(r),
        _ => None,
    };
    // Straight code with branches inside the loop (or out of it), nothing that replaces an
    // array register, writes the counter or the end, or enters from elsewhere.
    if !enters_only_at_head(f, entry, head, back) {
        return None;
    }
    for (pc, op) in f.code.iter().enumerate().take(back).skip(head) {
        // A `while` loop: innermost only (its counter proves nothing about an inner one's).
        if while_count.is_some() && op.jump_target().is_some_and(|t| t as usize <= pc) {
            return None;
        }
        if op.may_replace_arrays()
            || matches!(op, Op::ForLoop { .. } | Op::ForStep { .. } | Op::ForStepPrep { .. })
        {
            return None;
        }
        if Some(pc) != step_at && op.s_writes().any(|r| r == i || r == end || Some(r) == step_reg)
        {
            return None;
        }
    }
    let writes = writes_in(f, head..back);
    let unwritten = |r: u16| writes.get(r as usize).is_some_and(|&w| w == 0);
    let mut axes = vec![None; back + 1 - head];
    let mut guards = proven_accesses(f, starts, (head, i), &unwritten, head..back, &mut axes);
    if guards.is_empty() {
        return None;
    }
    guards.sort();
    guards.dedup();
    Some(Version {
        guards,
        axes,
        ..shape
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn versions_of(src: &str, name: &str) -> Vec<Version> {
        let (_, _, bc) = crate::jit::compiled_for_test(src, name);
        versions(&bc, &super::super::codegen::block_starts(&bc))
    }

    #[test]
    fn unit_stride_copies_for_innermost_while_loops_that_keep_their_arrays() {
        let units = |body: &str| {
            let src = format!(
                "fn g(x: f64) -> f64 {{ return x; }}\n\
                 fn f(a: f64[], b: f64[], n: i64) -> f64 {{\n let s = 0.0; let i = 0; let j = 0;\n {body}\n return s;\n}}\n\
                 print(f(ones(4), ones(4), 3));"
            );
            let (_, _, bc) = crate::jit::compiled_for_test(&src, "f(");
            let vs = versions(&bc, &super::super::codegen::block_starts(&bc));
            unit_loops(&bc, &vs).into_iter().map(|u| u.arrays.len()).collect::<Vec<_>>()
        };
        // A scan with two cursors; an inner loop (not the outer one).
        assert_eq!(units("while i < n and j < n { s += a[i] * b[j]; i += 1; j += 2; }"), [2]);
        assert_eq!(units("while j < n { i = 0; while i < j and i < n { s += a[i]; i += 1; } j += 1; }"), [1]);
        // A call in the loop, an array replaced in it, a counted loop (run in two
        // versions for its bounds), a loop that indexes no array.
        assert!(units("while i < n and j < n { s += g(a[i]); i += 1; }").is_empty());
        assert!(units("while i < n and j < n { s += a[i]; a = b; i += 1; }").is_empty());
        assert!(units("while i < n { s += a[i]; i += 1; }").is_empty());
        assert!(units("while i < n and j < n { s += 1.0; i += 1; }").is_empty());
    }

    #[test]
    fn counter_offsets_and_invariant_rows_are_proven() {
        let v = versions_of(
            "fn f(u: f64[,], v: f64[,], n: i64) {\n\
               for i in 1..n - 1 {\n\
                 for j in 1..n - 1 {\n\
                   v[i, j] = u[i - 1, j] + u[i, j + 1];\n\
                 }\n\
               }\n\
             }\n\
             f(zeros((3, 3)), zeros((3, 3)), 3);",
            "f(",
        );
        // The inner loop, and the outer one as a nest around it.
        assert_eq!(v.len(), 2, "{v:?}");
        assert_eq!((v[0].inner, v[1].inner.map(|n| n.at)), (None, Some(0)), "{v:?}");
        let kinds: Vec<_> = v[0].guards.iter().map(|g| (g.axis, g.kind)).collect();
        // `v[i, j]`: a 2-D store's row (`i`, not written in the loop).
        assert!(kinds.iter().any(|(a, k)| *a == 0
            && matches!(k, GuardKind::Invariant { offset: 0, .. })));
        assert!(kinds.contains(&(1, GuardKind::Counter { offset: 1 })), "{kinds:?}");
        assert!(kinds.contains(&(1, GuardKind::Counter { offset: 0 })), "{kinds:?}");
        // `i - 1`, written in the inner loop from the outer counter: an invariant row.
        assert!(kinds
            .iter()
            .any(|(a, k)| *a == 0 && matches!(k, GuardKind::Invariant { offset: -1, .. })));

    }

    #[test]
    fn counted_while_loops_are_proven_and_others_are_not() {
        let v = versions_of(
            "fn f(a: i64[], s: i64, n: i64) {\n\
               let j = 0;\n\
               while j <= n { a[j] = 1; j += s; }\n\
               let k = 1;\n\
               while k < n { a[k - 1] = a[k + 1]; k += 2; }\n\
               let m = 0;\n\
               while m < n { a[m] = 0; m += s; s += 1; }\n\
               let p = 0;\n\
               while p < n { p += 1; a[p] = 2; }\n\
             }\n\
             f(zeros(9, i64), 2, 6);",
            "f(",
        );
        // The third loop writes its step, the fourth steps before its access.
        assert_eq!(v.len(), 2, "{v:?}");
        let w = v[0].while_count.expect("a while loop");
        assert!(w.inclusive && matches!(w.step, Step::Reg(_)), "{w:?}");
        let w = v[1].while_count.expect("a while loop");
        assert!(!w.inclusive && w.step == Step::Imm(2), "{w:?}");
        let kinds: Vec<_> = v[1].guards.iter().map(|g| g.kind).collect();
        assert!(kinds.contains(&GuardKind::Counter { offset: -1 }), "{kinds:?}");
        assert!(kinds.contains(&GuardKind::Counter { offset: 1 }), "{kinds:?}");
    }

    #[test]
    fn quotients_of_the_counter_are_proven() {
        let v = versions_of(
            "fn f(a: f64[], b: f64[], n: i64) {\n\
               for i in 0..n { b[i] = a[i // 2] + a[i // 3]; }\n\
               for i in 0..n { b[i] = a[(i + 1) // 2]; }\n\
             }\n\
             f(zeros(4), zeros(8), 8);",
            "f(",
        );
        assert_eq!(v.len(), 2, "{v:?}");
        let kinds: Vec<_> = v[0].guards.iter().map(|g| g.kind).collect();
        assert!(kinds.contains(&GuardKind::Quotient { k: 2 }), "{kinds:?}");
        assert!(kinds.contains(&GuardKind::Quotient { k: 3 }), "{kinds:?}");
        // `(i + 1) // 2` divides another register than the counter: checked.
        let kinds: Vec<_> = v[1].guards.iter().map(|g| g.kind).collect();
        assert_eq!(kinds, [GuardKind::Counter { offset: 0 }], "{kinds:?}");
    }

    #[test]
    fn a_loop_around_one_inner_loop_is_a_nest_when_the_inner_guard_lifts() {
        let nests = |body: &str| {
            let src = format!(
                "fn g(x: i64) -> i64 {{ return x; }}\n\
                 fn f(x: f64[,], d: f64[,], k: i64, m: i64) {{\n{body}\n}}\n\
                 f(zeros((4, 3)), zeros((4, 4)), 3, 4);"
            );
            let v = versions_of(&src, "f(");
            v.iter().filter_map(|n| Some((n.guards.clone(), n.inner?))).collect::<Vec<_>>()
        };
        // Pairwise distances: the row `j` is the outer counter, the column the inner one
        // over `0..k` (a constant and an outer-invariant end).
        let pairwise = "for i in 0..m { for j in 0..m { let s = 0.0;\n\
                          for c in 0..k { let t = x[i, c] - x[j, c]; s += t * t; }\n\
                          d[i, j] = s; } }";
        let found = nests(pairwise);
        assert_eq!(found.len(), 1, "{found:?}");
        let kinds: Vec<_> = found[0].0.iter().map(|g| (g.arr, g.axis, g.kind)).collect();
        assert!(kinds.contains(&(0, 0, GuardKind::Counter { offset: 0 })), "{kinds:?}");
        assert!(kinds.contains(&(0, 1, GuardKind::Inner { offset: 0 })), "{kinds:?}");
        let zero = Bound { of: Term::Zero, offset: 0 };
        let inner = found[0].1;
        assert!(matches!((inner.lo, inner.end.of, inner.end.offset), (l, Term::Reg(_), 0) if l == zero), "{inner:?}");
        assert!(kinds.contains(&(1, 1, GuardKind::Counter { offset: 0 })), "{kinds:?}");
        // An inner end of an outer-invariant register plus a constant lifts too, and one
        // of an array's shape read in the outer loop.
        assert_eq!(nests("for j in 0..m { for c in 1..k - 1 { d[j, c] = x[j, c + 1]; } }").len(), 1);
        let shaped = nests("for j in 0..shape(x).0 { for c in 1..shape(x).1 - 1 { d[j, c] = x[j, c + 1]; } }");
        let end = Bound { of: Term::Shape { arr: 0, axis: 1 }, offset: -1 };
        assert_eq!(shaped[0].1.end, end, "{shaped:?}");
        assert_eq!(nests("for j in 0..len(d) { for c in 0..len(x) { d[j, c] = 1.0; } }").len(), 1);
        // Triangular nests: an inner first value or end of the outer counter plus a
        // constant.
        let counter = |off: i64| Bound { of: Term::Counter, offset: off };
        let tri = nests("for j in 0..m { for c in j + 1..k { d[j, c] = 1.0; } }");
        assert_eq!(tri[0].1.lo, counter(1), "{tri:?}");
        let tri = nests("for j in 0..m { for c in 0..j + 1 { d[j, c] = 1.0; } }");
        assert_eq!(tri[0].1.end, counter(1), "{tri:?}");
        // An inner end the outer loop computes otherwise, two inner loops, a call, a
        // `while` inside.
        assert!(nests("for j in 0..m { for c in 0..j * 2 { d[j, c] = 1.0; } }").is_empty());
        assert!(nests("for j in 0..m { for c in 0..k { d[j, c] = 1.0; } for c in 0..k { d[c, j] = 2.0; } }")
            .is_empty());
        assert!(nests("for j in 0..m { for c in 0..k { d[j, c] = 1.0; } d[j, g(j)] = 0.0; }").is_empty());
        assert!(nests("for j in 0..m { let c = 0; while c < k { c += 1; } for c in 0..k { d[j, c] = 1.0; } }")
            .is_empty());
        // An inner index the outer loop writes other than by its counter.
        assert!(nests("for j in 0..m { let r = j * 2; for c in 0..k { d[r, c] = 1.0; } }").is_empty());
    }

    #[test]
    fn loops_with_calls_or_data_dependent_indices_run_one_copy() {
        let v = versions_of(
            "fn g(x: i64) -> i64 { return x; }\n\
             fn f(a: f64[], ix: i64[]) -> f64 {\n\
               let s = 0.0;\n\
               for i in 0..len(ix) { s += a[ix[i]] + 1.0; }\n\
               for i in 0..len(ix) { s += a[g(i)]; }\n\
               for i in 1..len(ix) { s += a[2] * f64(ix[i - 1]); }\n\
               return s;\n\
             }\n\
             print(f(zeros(3), zeros(3, i64)));",
            "f(",
        );
        // The first loop proves `ix[i]` (not `a[ix[i]]`); the second calls; the third
        // proves a constant index (a register the loop does not write) and a counter offset.
        assert_eq!(v.len(), 2, "{v:?}");
        assert_eq!(v[0].guards.len(), 1, "{:?}", v[0].guards);
        let third: Vec<_> = v[1].guards.iter().map(|g| g.kind).collect();
        assert!(third.iter().any(|k| matches!(k, GuardKind::Invariant { offset: 0, .. })));
        assert!(third.contains(&GuardKind::Counter { offset: -1 }), "{third:?}");
    }
}
