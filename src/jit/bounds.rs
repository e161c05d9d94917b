//! Which 1-D element accesses a test on every path to them proves in bounds: a forward
//! "must" analysis over the bytecode. In `while i < len(a) and j < len(b) { ... a[i] ...
//! b[j] ... }` (mergesort's merge loops, a scan with a cursor) each access follows its
//! loop's own test of the index against the array's length, so native code can skip the
//! access's bounds check and NumPy's negative wrap.
//!
//! Facts about the values the registers hold when an op runs:
//! - `Len(n, a)`: scalar `n` holds the length of array register `a` (a `len` wrote it);
//! - `NonNeg(r)`: `r >= 0`; `Zero(r)`: `r == 0`;
//! - `Below(i, a)`: `0 <= i < len(a)`.
//!
//! Where they come from: `len` (`Len`, `NonNeg`); a constant (`NonNeg`, `Zero`; every
//! register but the parameters starts at 0); a copy; the branch of `i < n` (or `n > i`)
//! that holds, with `Len(n, a)` and `NonNeg(i)` (`Below(i, a)`), or of `0 <= x`, `0 < x`
//! with `Zero` of the 0 (`NonNeg(x)`); a checked access `a[i]` with `NonNeg(i)` that
//! succeeded (`Below(i, a)`); and `i + c`, `0 <= c < 2^31`, where `Below(i, _)` (`NonNeg`:
//! `i < len <= runtime::MAX_ELEMENTS = 2^40`, so the sum cannot wrap). A write of a register drops what was known of it; a
//! call drops what was known of the registers of its window and above (the callee's
//! frame); an op that may replace an array (a move, an `Ext` op) drops what was known of
//! lengths, and a parallel loop, whose body's frame is its window, everything. A join
//! keeps what holds on all of its paths.

use crate::bytecode::{CompiledFn, Ext, Op};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Fact {
    // (In the order `capped` keeps them.)
    Below(u16, u16),
    Len(u16, u16),
    NonNeg(u16),
    Zero(u16),
}

impl Fact {
    /// Whether the fact is about an array's length (an op that may replace an array
    /// drops these).
    fn about_arrays(self) -> bool {
        matches!(self, Fact::Len(..) | Fact::Below(..))
    }

    /// The scalar register the fact is about.
    fn scalar(self) -> u16 {
        match self {
            Fact::Len(r, _) | Fact::NonNeg(r) | Fact::Zero(r) | Fact::Below(r, _) => r,
        }
    }
}

/// Per op: the facts that hold when it runs (sorted).
pub struct Bounds {
    at: Vec<Vec<Fact>>,
}

impl Bounds {
    /// `0 <= s[i] < len(arr)` whenever op `pc` runs.
    pub fn below(&self, pc: usize, arr: u16, i: u16) -> bool {
        self.at.get(pc).is_some_and(|s| s.binary_search(&Fact::Below(i, arr)).is_ok())
    }

    /// `s[r] >= 0` whenever op `pc` runs.
    pub fn non_negative(&self, pc: usize, r: u16) -> bool {
        self.at.get(pc).is_some_and(|s| non_neg(s, r))
    }
}

/// Whether the facts `s` (sorted) hold `r >= 0`, or `r` below a length.
fn non_neg(s: &[Fact], r: u16) -> bool {
    s.binary_search(&Fact::NonNeg(r)).is_ok() || below_some(s, r)
}

/// Whether the facts `s` hold `r` below some array's length.
fn below_some(s: &[Fact], r: u16) -> bool {
    s.iter().any(|f| matches!(*f, Fact::Below(i, _) if i == r))
}

/// The analysis for `f`, whose first `n_params` scalar registers are its parameters.
pub fn bounds(f: &CompiledFn, n_params: usize) -> Bounds {
    let n = f.code.len();
    let relevant = relevant(f);
    // `None`: not reached yet (the top of the lattice).
    let mut state: Vec<Option<Vec<Fact>>> = vec![None; n + 1];
    let entry: Vec<Fact> = (n_params..f.n_s)
        .filter(|&r| relevant[r])
        .flat_map(|r| [Fact::NonNeg(r as u16), Fact::Zero(r as u16)])
        .collect();
    state[0] = Some(capped(sorted(entry)));
    let mut work = vec![0usize];
    while let Some(pc) = work.pop() {
        let Some(op) = f.code.get(pc) else { continue };
        let s = state[pc].clone().expect("a reached op has a state");
        let (through, jumped) = transfer(f, op, s);
        let (through, jumped) = (capped(keep(through, &relevant)), capped(keep(jumped, &relevant)));
        let mut next = Vec::with_capacity(2);
        if let Some(t) = op.jump_target() {
            next.push((t as usize, jumped));
        }
        if op.falls_through() {
            next.push((pc + 1, through));
        }
        for (t, out) in next {
            let merged = match &state[t] {
                None => out,
                Some(old) => old.iter().copied().filter(|x| out.binary_search(x).is_ok()).collect(),
            };
            if state[t].as_ref() != Some(&merged) {
                state[t] = Some(merged);
                work.push(t);
            }
        }
    }
    Bounds {
        at: state.into_iter().take(n).map(Option::unwrap_or_default).collect(),
    }
}

/// Facts kept per op at most: a state is copied at every op, so a function of many
/// registers (a long script) must not make the analysis quadratic. Dropping facts only
/// proves less, and states still only shrink, so the fixed point is still reached.
const MAX_FACTS: usize = 128;

fn capped(mut v: Vec<Fact>) -> Vec<Fact> {
    v.truncate(MAX_FACTS);
    v
}

/// The registers whose facts can matter: the indices of element accesses, the operands
/// of integer comparisons that jump, and what is copied or stepped into them.
fn relevant(f: &CompiledFn) -> Vec<bool> {
    let mut r = vec![false; f.n_s];
    let mark = |x: u16, r: &mut Vec<bool>| {
        if let Some(b) = r.get_mut(x as usize) {
            *b = true;
        }
    };
    for op in &f.code {
        if let Some((_, idx, _)) = super::versions::access(op) {
            idx.into_iter().for_each(|i| mark(i, &mut r));
        }
        if let Op::JmpNotLtI { a, b, .. } | Op::JmpNotLeI { a, b, .. } = *op {
            mark(a, &mut r);
            mark(b, &mut r);
        }
    }
    // Sources of copies and steps into relevant registers, to a fixed point.
    loop {
        let mut changed = false;
        for op in &f.code {
            if let Op::Mov { dst, src } | Op::AddIImm { dst, a: src, .. } = *op {
                if r.get(dst as usize) == Some(&true) && r.get(src as usize) == Some(&false) {
                    r[src as usize] = true;
                    changed = true;
                }
            }
        }
        if !changed {
            return r;
        }
    }
}

/// The facts of `s` about relevant registers.
fn keep(mut s: Vec<Fact>, relevant: &[bool]) -> Vec<Fact> {
    let on = |r: u16| relevant.get(r as usize) == Some(&true);
    s.retain(|f| on(f.scalar()));
    s
}

fn sorted(mut v: Vec<Fact>) -> Vec<Fact> {
    v.sort_unstable();
    v.dedup();
    v
}

/// The facts after `op` on its fall-through edge and on its jump edge.
fn transfer(f: &CompiledFn, op: &Op, mut s: Vec<Fact>) -> (Vec<Fact>, Vec<Fact>) {
    // What the op establishes, from the facts before it.
    let mut gen = Vec::new();
    match *op {
        Op::LoadK { dst, k } => {
            let v = f.consts[k as usize] as i64;
            if v >= 0 {
                gen.push(Fact::NonNeg(dst));
            }
            if v == 0 {
                gen.push(Fact::Zero(dst));
            }
        }
        Op::Mov { dst, src } => {
            for x in &s {
                gen.extend(match *x {
                    Fact::Len(r, a) if r == src => Some(Fact::Len(dst, a)),
                    Fact::NonNeg(r) if r == src => Some(Fact::NonNeg(dst)),
                    Fact::Zero(r) if r == src => Some(Fact::Zero(dst)),
                    Fact::Below(r, a) if r == src => Some(Fact::Below(dst, a)),
                    _ => None,
                });
            }
        }
        Op::Len { dst, arr } => gen.extend([Fact::Len(dst, arr), Fact::NonNeg(dst)]),
        Op::AddIImm { dst, a, imm } if imm >= 0 && below_some(&s, a) => gen.push(Fact::NonNeg(dst)),
        // (Not when the load overwrites its own index.)
        Op::ALoad1 { dst, arr, i, .. } if dst != i && non_neg(&s, i) => gen.push(Fact::Below(i, arr)),
        Op::AStore1 { arr, i, .. } if non_neg(&s, i) => gen.push(Fact::Below(i, arr)),
        _ => {}
    }
    // What the op's writes make unknown.
    if let Op::Call { s: ws, a: wa, .. } = *op {
        // The callee's frame starts at the window: the registers below it keep their
        // values, and so do the arrays below its array window.
        s.retain(|x| {
            x.scalar() < ws && !matches!(*x, Fact::Len(_, a) | Fact::Below(_, a) if a >= wa)
        });
    } else if let Op::Ext { i } = *op {
        match &f.ext[i as usize] {
            Ext::ParFor { .. } => s.clear(), // its body's frame is the window and above
            e => {
                let (_, written) = super::codegen::ext_regs(e);
                s.retain(|x| !x.about_arrays() && !written.contains(&x.scalar()));
            }
        }
    } else {
        if op.may_replace_arrays() {
            s.retain(|x| !x.about_arrays());
        }
        for r in op.s_writes() {
            s.retain(|x| x.scalar() != r);
        }
    }
    s.extend(gen);
    let s = sorted(s);
    // A conditional jump: what each of its edges knows more.
    let (mut through, mut jumped) = (s.clone(), s.clone());
    match *op {
        // Falls through when `a < b`; jumps when `b <= a`.
        Op::JmpNotLtI { a, b, .. } => {
            less(&s, a, b, true, &mut through);
            less(&s, b, a, false, &mut jumped);
        }
        // Jumps when `a > b`, i.e. `b < a`; falls through when `a <= b`.
        Op::JmpNotLeI { a, b, .. } => {
            less(&s, b, a, true, &mut jumped);
            less(&s, a, b, false, &mut through);
        }
        _ => {}
    }
    (sorted(through), sorted(jumped))
}

/// Adds to `out` what `x < y` (`x <= y` when not `strict`) proves, given the facts `s`.
fn less(s: &[Fact], x: u16, y: u16, strict: bool, out: &mut Vec<Fact>) {
    if s.binary_search(&Fact::Zero(x)).is_ok() {
        out.push(Fact::NonNeg(y));
    }
    if strict && non_neg(s, x) {
        for f in s {
            if let Fact::Len(n, a) = *f {
                if n == y {
                    out.push(Fact::Below(x, a));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn analysed(src: &str, name: &str) -> (CompiledFn, Bounds) {
        let (prog, id, bc) = crate::jit::compiled_for_test(src, name);
        let n_params = prog.funcs[id].params.len();
        let b = bounds(&bc, n_params);
        (bc, b)
    }

    /// The element accesses (pc, array, index) the analysis proves in bounds.
    fn proven(bc: &CompiledFn, b: &Bounds) -> Vec<(usize, u16, u16)> {
        (bc.code.iter().enumerate())
            .filter_map(|(pc, op)| match *op {
                Op::ALoad1 { arr, i, .. } | Op::AStore1 { arr, i, .. } => Some((pc, arr, i)),
                _ => None,
            })
            .filter(|&(pc, arr, i)| b.below(pc, arr, i))
            .collect()
    }

    #[test]
    fn a_merge_loop_reads_both_inputs_proven_and_stores_checked() {
        let src = "fn f(a: f64[], b: f64[], c: f64[]) -> i64 {
                     let i = 0; let j = 0; let k = 0;
                     while i < len(a) and j < len(b) {
                       if a[i] <= b[j] { c[k] = a[i]; i += 1; } else { c[k] = b[j]; j += 1; }
                       k += 1;
                     }
                     while i < len(a) { c[k] = a[i]; i += 1; k += 1; }
                     return k;
                   }
                   print(f(ones(2), ones(2), ones(4)));";
        let (bc, b) = analysed(src, "f(");
        let p = proven(&bc, &b);
        // Every read of `a` and `b` (both tests' loads, both arms', the tail loop's);
        // no store into `c`, whose index no test bounds.
        let reads = bc.code.iter().filter(|op| matches!(op, Op::ALoad1 { .. })).count();
        assert_eq!(p.len(), reads, "{p:?}\n{:#?}", bc.code);
        assert!(p.iter().all(|&(pc, _, _)| matches!(bc.code[pc], Op::ALoad1 { .. })));
    }

    #[test]
    fn a_function_of_many_compared_registers_keeps_few_facts_per_op() {
        // 400 integer variables, each compared with others: every state stays within
        // `MAX_FACTS`, and the access after them is still proven.
        let mut src = String::from("fn f(a: f64[]) -> f64 {\n let s = 0.0; let i = 0;\n");
        for j in 0..400 {
            src += &format!(" let v{j} = {j};\n");
        }
        for j in 0..400 {
            src += &format!(" if v{j} < v{} {{ v{} = v{j} + 1; }}\n", (j * 7 + 3) % 400, (j * 13 + 1) % 400);
        }
        src += " while i < len(a) { s += a[i]; i += 1; }\n return s;\n}\nprint(f(ones(3)));";
        let (bc, b) = analysed(&src, "f(");
        assert!(b.at.iter().all(|s| s.len() <= MAX_FACTS));
        assert_eq!(proven(&bc, &b).len(), 1);
    }

    #[test]
    fn tests_that_prove_nothing_leave_the_checks() {
        // A bound that is not the array's length, an index that may be negative, an
        // index written after its test, an array replaced after its length was taken,
        // and a test on another array.
        for body in [
            "while i < n { s += a[i]; i += 1; }",
            "while i < len(a) { s += a[i - 1]; i += 1; }",
            "if i < len(a) { i = i * 2; s += a[i]; }",
            "let m = len(a); a = b; if i < m { s += a[i]; }",
            "if i < len(b) { s += a[i]; }",
            "let j = i - 5; if j < len(a) { s += a[j]; }",
        ] {
            let src = format!(
                "fn f(a: f64[], b: f64[], n: i64) -> f64 {{\n let s = 0.0; let i = 0;\n {body}\n return s;\n}}\n\
                 print(f(ones(2), ones(3), 2));"
            );
            let (bc, b) = analysed(&src, "f(");
            assert!(proven(&bc, &b).is_empty(), "{body}: {:?}", proven(&bc, &b));
        }
    }
}
