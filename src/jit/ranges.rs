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

/// `out[r]`: register `r` of `f` holds a value `>= 0` wherever it is read.
pub fn non_negative(f: &CompiledFn, prog: &Program, n_params: usize) -> Vec<bool> {
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
        writes(f, prog, op, &[], |r, _| {
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
            writes(f, prog, op, &lb, |r, v| updates.push((r, v)));
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
    mut out: impl FnMut(usize, Option<i64>),
) {
    let get = |r: u16| lb.get(r as usize).copied().flatten();
    let small = |imm: i32| (imm.unsigned_abs() < 1 << 30).then_some(imm as i64);
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
    use crate::ir::FuncId;
    use crate::loader::load_source;

    /// Whether the indices of each `ALoad2` of specialization `name` in `src` are known
    /// non-negative, in code order.
    fn load_indices(src: &str, name: &str) -> Vec<(bool, bool)> {
        let loaded = load_source("t.nk", src.to_string(), None).expect("loads");
        let prog = crate::types::check_program(&loaded).expect("checks");
        let id = prog.funcs.iter().position(|f| f.name == name).unwrap();
        let bc = crate::bytecode::compile(&prog, id as FuncId).unwrap();
        let nn = non_negative(&bc, &prog, prog.funcs[id].params.len());
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
