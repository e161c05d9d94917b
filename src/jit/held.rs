//! Which array registers hold an array at each op, on every path there: a forward "must"
//! analysis over the bytecode. A `len` of such a register reads its length without the
//! test for an empty register (the interpreter reports an empty one; native code's test
//! of its header's rank made every `len` a compare, a branch and a live `ndim` more:
//! mergesort's merge loops read two lengths per element).
//!
//! At entry the parameters hold arrays. An op that writes an array register (`MovA`, the
//! array results of `Ext` ops, a call's results) makes it hold one, or, for `MovA` from a
//! register not known to hold one, not known. A call empties the callee's frame above its
//! results (`interp::semantics::ret_arrays`), and a parallel loop is not followed: every
//! register of its window and above is unknown after it.

use super::codegen::array_leaves;
use crate::bytecode::{CompiledFn, Ext, Loc, Op};
use crate::ir::Program;

/// Per op, per array register: whether it holds an array when the op runs.
pub struct Held {
    n_a: usize,
    bits: Vec<bool>,
}

impl Held {
    pub fn at(&self, pc: usize, r: u16) -> bool {
        (r as usize) < self.n_a && self.bits[pc * self.n_a + r as usize]
    }
}

/// The analysis for `f`, whose first `n_params` array registers are its parameters.
pub fn held(prog: &Program, f: &CompiledFn, n_params: usize) -> Held {
    let (n, n_a) = (f.code.len(), f.n_a);
    // `None`: not reached yet (the top of the lattice).
    let mut state: Vec<Option<Vec<bool>>> = vec![None; n + 1];
    state[0] = Some((0..n_a).map(|r| r < n_params).collect());
    let mut work = vec![0usize];
    while let Some(pc) = work.pop() {
        let Some(op) = f.code.get(pc) else { continue };
        let mut out = state[pc].clone().expect("a reached op has a state");
        transfer(prog, f, op, &mut out);
        let mut next = Vec::with_capacity(2);
        if let Some(t) = op.jump_target() {
            next.push(t as usize);
        }
        if op.falls_through() {
            next.push(pc + 1);
        }
        for t in next {
            let merged = match &state[t] {
                None => out.clone(),
                Some(old) => old.iter().zip(&out).map(|(a, b)| *a && *b).collect(),
            };
            if state[t].as_ref() != Some(&merged) {
                state[t] = Some(merged);
                work.push(t);
            }
        }
    }
    let mut bits = vec![false; n * n_a];
    for (pc, s) in state.iter().take(n).enumerate() {
        if let Some(s) = s {
            bits[pc * n_a..(pc + 1) * n_a].copy_from_slice(s);
        }
    }
    Held { n_a, bits }
}

fn transfer(prog: &Program, f: &CompiledFn, op: &Op, s: &mut [bool]) {
    fn set(s: &mut [bool], r: u16, v: bool) {
        if let Some(x) = s.get_mut(r as usize) {
            *x = v;
        }
    }
    match *op {
        Op::MovA { dst, src } => {
            let v = s.get(src as usize).copied().unwrap_or(false);
            set(s, dst, v);
        }
        Op::Call { slot, a, .. } => {
            let na = prog.funcs.get(slot as usize).map_or(0, |c| array_leaves(&c.ret));
            let a = a as usize;
            for (r, x) in s.iter_mut().enumerate().skip(a) {
                *x = r < a + na;
            }
        }
        Op::Ext { i } => match &f.ext[i as usize] {
            Ext::ArrayBin { dst, .. }
            | Ext::ArrayNeg { dst, .. }
            | Ext::ArrayNot { dst, .. }
            | Ext::ArrayCast { dst, .. }
            | Ext::Slice { dst, .. }
            | Ext::Take { dst, .. } => set(s, *dst, true),
            Ext::Builtin { dst, .. } => arrays_of(dst, &mut |r| set(s, r, true)),
            Ext::Print(_) | Ext::Assert { .. } | Ext::StoreSlice { .. } | Ext::StoreTake { .. } => {}
            Ext::ParFor { a, .. } => s.iter_mut().skip(*a as usize).for_each(|x| *x = false),
        },
        _ => {}
    }
}

/// The array registers of a result location.
fn arrays_of(l: &Loc, f: &mut impl FnMut(u16)) {
    match l {
        Loc::A(r) => f(*r),
        Loc::Tuple(ls) => ls.iter().for_each(|l| arrays_of(l, f)),
        Loc::S(_) | Loc::Unit => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held_of(src: &str, name: &str) -> (CompiledFn, Held) {
        let (prog, id, bc) = crate::jit::compiled_for_test(src, name);
        let n_params: usize = prog.funcs[id]
            .params
            .iter()
            .map(|&p| array_leaves(&prog.funcs[id].locals[p as usize].ty))
            .sum();
        let h = held(&prog, &bc, n_params);
        (bc, h)
    }

    /// Whether each `len` in `f` reads a register known to hold an array, in code order.
    fn lens(src: &str, name: &str) -> Vec<bool> {
        let (bc, h) = held_of(src, name);
        (bc.code.iter().enumerate())
            .filter_map(|(pc, op)| match *op {
                Op::Len { arr, .. } => Some(h.at(pc, arr)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn parameters_call_results_and_views_hold_arrays() {
        let src = "fn g(a: f64[]) -> f64[] { return a; }
                   fn f(a: f64[], n: i64) -> i64 {
                     let b = g(a); let c = a[1:]; let t = len(a) + len(b) + len(c);
                     for i in 0..n { t += len(b); }
                     return t; }
                   print(f(ones(3), 2));";
        assert_eq!(lens(src, "f("), vec![true; 4]);
    }

    #[test]
    fn a_call_empties_its_window_above_its_results() {
        // `copy(a[1:])` fills the window's first register from a view in the register
        // above it; the callee's return leaves its result and empties the rest.
        let src = "fn g(a: f64[]) -> f64[] { return a; }
                   fn f(a: f64[]) -> i64 { let b = g(copy(a[1:])); return len(b); }
                   print(f(ones(3)));";
        let (bc, h) = held_of(src, "f(");
        let (at, wa) = (bc.code.iter().enumerate())
            .find_map(|(pc, op)| match *op {
                Op::Call { a, .. } => Some((pc, a)),
                _ => None,
            })
            .expect("a call");
        assert!(h.at(at, wa) && h.at(at, wa + 1), "the argument and the view before");
        assert!(h.at(at + 1, wa) && !h.at(at + 1, wa + 1), "the result, and nothing above");
        assert!(!h.at(0, wa), "nothing but the parameters at entry");
    }
}
