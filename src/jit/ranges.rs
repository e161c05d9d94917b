//! Which scalar registers never hold a negative index: an element access through one skips
//! NumPy's negative wrap (`i < 0 → i + n`) and keeps only the unsigned bounds check.
//!
//! A flow-insensitive lower bound per register, the minimum over every op that writes it:
//! a constant, a copy, `for`'s `+1`, `+ imm`, `len`. Anything else (a parameter, a call's
//! result, an element load, other arithmetic) has no bound. The prologue's 0 counts as a
//! write when the register may be read before its first write in code order (the lowering
//! is structured: a variable or temporary is written before the code that reads it). A
//! loop that counts down never reaches a fixed point; after a few rounds the registers
//! still falling lose their bound.
//!
//! Why this cannot give a wrong answer: a bound comes only from `+ imm` and `+1` on values
//! at least the bound, so a value below it can only come from an i64 overflow, which lands
//! below `i64::MIN + 2^31`, far outside every array, where the wrapped and the unwrapped
//! index both fail the bounds check and the interpreter reports the error. Were a bound
//! ever wrong (a read of the prologue's 0 the code-order rule missed), the unsigned check
//! still fails for the negative index, and the interpreter, which then runs the op and
//! succeeds, makes that an internal error: never a wrong element.

use crate::bytecode::{CompiledFn, Op};
use crate::ir::Program;

/// Rounds of the fixed point before the registers still falling are given up.
const ROUNDS: usize = 8;

/// How far a bound must hold.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Bound {
    /// As an element index: `+ imm` of a non-negative value counts as non-negative,
    /// although it may overflow (the argument above: the access still fails its unsigned
    /// check, and the interpreter reports it).
    Index,
    /// For arithmetic whose result depends on the sign (`x // k`, `x % k` without the sign
    /// fix): only writes that cannot overflow count — constants, copies, a `for` counter
    /// (`i + 1` only while `i < end`), `len`, and `+ imm` with `imm <= 0`. A run of `i +=
    /// 1000000000` from a large constant wraps within a few iterations.
    Exact,
}

/// `out[r]`: register `r` of `f` holds a value `>= 0` wherever it is read, as `bound` says.
pub fn non_negative(f: &CompiledFn, prog: &Program, n_params: usize, bound: Bound) -> Vec<bool> {
    let n = f.n_s;
    // The prologue's 0 reaches a register read before it is first written.
    let (mut first_read, mut first_write) = (vec![usize::MAX; n], vec![usize::MAX; n]);
    for (pc, op) in f.code.iter().enumerate() {
        for r in op.s_reads() {
            let r = r as usize;
            if r < n {
                first_read[r] = first_read[r].min(pc);
            }
        }
        writes(f, prog, op, &[], bound, |r, _| {
            if r < n {
                first_write[r] = first_write[r].min(pc);
            }
        });
    }
    // `None`: no bound; `Some(i64::MAX)`: no write seen yet.
    let mut lb: Vec<Option<i64>> = (0..n)
        .map(|r| match r < n_params {
            true => None,
            false if first_read[r] <= first_write[r] => Some(0),
            false => Some(i64::MAX),
        })
        .collect();
    // One op's writes, gathered before they change `lb` (the op reads it).
    let mut updates: Vec<(usize, Option<i64>)> = Vec::new();
    for round in 0.. {
        let mut changed = vec![false; n];
        for op in &f.code {
            updates.clear();
            writes(f, prog, op, &lb, bound, |r, v| updates.push((r, v)));
            for &(r, v) in &updates {
                if r >= n {
                    continue;
                }
                let new = match (lb[r], v) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    _ => None,
                };
                if new != lb[r] {
                    lb[r] = new;
                    changed[r] = true;
                }
            }
        }
        if !changed.contains(&true) {
            break;
        }
        if round >= ROUNDS {
            for (r, c) in changed.iter().enumerate() {
                if *c {
                    lb[r] = None;
                }
            }
        }
    }
    lb.iter().map(|b| b.is_some_and(|b| b >= 0)).collect()
}

/// Calls `out` with each register `op` writes and a lower bound of the value written
/// (given the current bounds `lb`; a register past `lb`'s end has none), or `None`.
fn writes(
    f: &CompiledFn,
    prog: &Program,
    op: &Op,
    lb: &[Option<i64>],
    bound: Bound,
    mut out: impl FnMut(usize, Option<i64>),
) {
    let get = |r: u16| lb.get(r as usize).copied().flatten();
    let small = |imm: i32| {
        let ok = imm.unsigned_abs() < 1 << 30 && (bound == Bound::Index || imm <= 0);
        ok.then_some(imm as i64)
    };
    match *op {
        Op::LoadK { dst, k } => out(dst as usize, Some(f.consts[k as usize] as i64)),
        Op::Mov { dst, src } => out(dst as usize, get(src)),
        // `i + 1` while `i < end`: never below `i`.
        Op::ForLoop { i, .. } => out(i as usize, get(i)),
        Op::AddIImm { dst, a, imm } => out(
            dst as usize,
            get(a).zip(small(imm)).and_then(|(x, y)| x.checked_add(y)),
        ),
        Op::Len { dst, .. } => out(dst as usize, Some(0)),
        Op::Call { slot, s, .. } => {
            // The results come back in the call's window.
            let callee = &prog.funcs[slot as usize];
            let n_ret = super::codegen::scalar_leaves(&callee.ret);
            (s as usize..s as usize + n_ret).for_each(|r| out(r, None));
        }
        Op::Ext { i } => {
            let (_, w) = super::codegen::ext_regs(&f.ext[i as usize]);
            w.into_iter().for_each(|r| out(r as usize, None));
        }
        _ => op.s_writes().for_each(|r| out(r as usize, None)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bytecode of specialization `name` in `src`, and its bounds under `bound`.
    fn bounds(src: &str, name: &str, bound: Bound) -> (CompiledFn, Vec<bool>) {
        let (prog, id, bc) = crate::jit::compiled_for_test(src, name);
        let nn = non_negative(&bc, &prog, prog.funcs[id].params.len(), bound);
        (bc, nn)
    }

    /// Whether the indices of each `ALoad2` of specialization `name` in `src` are known
    /// non-negative, in code order.
    fn load_indices(src: &str, name: &str) -> Vec<(bool, bool)> {
        let (bc, nn) = bounds(src, name, Bound::Index);
        bc.code
            .iter()
            .filter_map(|op| match *op {
                Op::ALoad2 { i, j, .. } => Some((nn[i as usize], nn[j as usize])),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn loop_counters_and_offsets_from_them_are_non_negative() {
        let src = "fn f(u: f64[,], n: i64) -> f64 {\n\
                     let s = 0.0;\n\
                     for i in 1..n - 1 { for j in 0..n { s += u[i - 1, j] + u[i + 1, j]; } }\n\
                     return s;\n\
                   }\n\
                   print(f(zeros((3, 3)), 3));";
        assert_eq!(
            load_indices(src, "f(f64[,], i64)"),
            vec![(true, true), (true, true)]
        );
    }

    #[test]
    fn an_exact_bound_excludes_additions_that_may_overflow() {
        // `i += 1000000000` from a large constant wraps within a few iterations: as an index
        // it stays "non-negative" (its access would fail the unsigned check anyway), but
        // not for `//` and `%`, whose sign fix it needs. A `for` counter and `k - 1` from
        // 1 cannot overflow.
        let src = "fn f(n: i64) -> i64 {\n\
                     let i = 9223372031854775807;\n\
                     let s = 0;\n\
                     for k in 1..n { i += 1000000000; s += i // 7 + k // 7 + (k - 1) % 7; }\n\
                     return s;\n\
                   }\n\
                   print(f(3));";
        let dividends = |bound| {
            let (bc, nn) = bounds(src, "f(i64)", bound);
            bc.code
                .iter()
                .filter_map(|op| match *op {
                    Op::FloorDivIK { a, .. } | Op::ModIK { a, .. } => Some(nn[a as usize]),
                    _ => None,
                })
                .collect::<Vec<bool>>()
        };
        assert_eq!(dividends(Bound::Index), vec![true, true, true]);
        assert_eq!(dividends(Bound::Exact), vec![false, true, true]);
    }

    #[test]
    fn parameters_loads_counting_down_and_offsets_below_the_start_may_be_negative() {
        let src = "fn f(u: f64[,], i: i64, n: i64) -> f64 {\n\
                     let s = 0.0;\n\
                     let k = n;\n\
                     while k > -3 { k = k - 1; s += u[i, k]; }\n\
                     for j in 0..n { s += u[j - 1, j]; }\n\
                     return s;\n\
                   }\n\
                   print(f(zeros((3, 3)), -1, 3));";
        // A parameter, a counter that falls below 0, and `j - 1` from 0: all wrap.
        assert_eq!(
            load_indices(src, "f(f64[,], i64, i64)"),
            vec![(false, false), (false, true)]
        );
    }
}
