//! If-conversion: small `if`/`else` diamonds (and `if` triangles) whose arms only compute
//! scalars run both arms and pick the results with `select`, a conditional move, instead
//! of a branch the CPU mispredicts when the condition follows the data (Collatz's
//! even/odd step: half the branches mispredicted).
//!
//! An arm qualifies when every op in it is pure and cannot fail — integer arithmetic,
//! moves, constants, division by a constant — so running the arm whose condition is false
//! changes nothing but registers the select then overwrites. Codegen also requires every
//! register an arm writes to be an integer one (x64 has no conditional move for floats:
//! Cranelift would branch again).

use crate::bytecode::{CompiledFn, Op};

/// Longest arm converted (ops): both arms always run.
const MAX_ARM: usize = 4;

/// `test` jumps to `else_arm.start` (or to `join` when there is no else arm) when its
/// condition holds; the then-arm falls through from `test` and (in a diamond) jumps to
/// `join` from `else_arm.start - 1`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diamond {
    pub test: usize,
    pub then_arm: std::ops::Range<usize>,
    pub else_arm: std::ops::Range<usize>,
    pub join: usize,
}

impl Diamond {
    /// The ops of both arms, then-arm first.
    pub fn arms(&self) -> impl Iterator<Item = usize> {
        self.then_arm.clone().chain(self.else_arm.clone())
    }
}

/// Ops an arm may hold: pure integer ops, without memory, helpers or failure.
pub(super) fn pure(op: &Op) -> bool {
    matches!(
        op,
        Op::LoadK { .. }
            | Op::Mov { .. }
            | Op::AddI { .. }
            | Op::SubI { .. }
            | Op::MulI { .. }
            | Op::AddIImm { .. }
            | Op::NegI { .. }
            | Op::MulAddI { .. }
            | Op::MulSubI { .. }
            | Op::SubMulI { .. }
            | Op::FloorDivIK { .. }
            | Op::ModIK { .. }
            | Op::MinI { .. }
            | Op::MaxI { .. }
            | Op::AndI { .. }
            | Op::OrI { .. }
            | Op::XorI { .. }
            | Op::LtI { .. }
            | Op::LeI { .. }
            | Op::EqI { .. }
            | Op::NeI { .. }
    )
}

fn conditional(op: &Op) -> bool {
    matches!(
        op,
        Op::JmpIf { .. }
            | Op::JmpIfNot { .. }
            | Op::JmpNotLtI { .. }
            | Op::JmpNotLeI { .. }
            | Op::JmpNotEqI { .. }
            | Op::JmpNotNeI { .. }
            | Op::JmpNotLtF { .. }
            | Op::JmpNotLeF { .. }
    )
}

/// The diamonds of `f` worth converting, by test pc.
pub fn diamonds(f: &CompiledFn) -> Vec<Diamond> {
    let code = &f.code;
    let loop_entry = |p: usize| {
        code.iter().any(|op| {
            matches!(op, Op::ForLoop { target, .. } | Op::ForStep { target, .. }
                if *target as usize == p + 1)
        })
    };
    let mut out = Vec::new();
    for (p, op) in code.iter().enumerate() {
        if !conditional(op) || loop_entry(p) {
            continue;
        }
        let t = op.jump_target().expect("a conditional jump") as usize;
        if t <= p + 1 || t >= code.len() {
            continue;
        }
        let d = match code[t - 1] {
            Op::Jmp { target } if target as usize >= t && (target as usize) < code.len() => {
                Diamond {
                    test: p,
                    then_arm: p + 1..t - 1,
                    else_arm: t..target as usize,
                    join: target as usize,
                }
            }
            _ => Diamond {
                test: p,
                then_arm: p + 1..t,
                else_arm: t..t,
                join: t,
            },
        };
        let small = d.then_arm.len() <= MAX_ARM && d.else_arm.len() <= MAX_ARM;
        if !small || !d.arms().all(|q| pure(&code[q])) {
            continue;
        }
        // Nothing else enters the arms: the only jumps into `test + 1 .. join` are the
        // test's own (to the else arm).
        let entered = code.iter().enumerate().any(|(q, op)| {
            op.jump_target().is_some_and(|x| {
                let x = x as usize;
                x > p && x < d.join && q != p
            })
        });
        if !entered {
            out.push(d);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_diamonds_and_triangles_qualify() {
        let src = "fn f(n: i64) -> i64 {\n\
                   let s = 0;\n\
                   while n != 1 {\n\
                     if n % 2 == 0 { n = n // 2; } else { n = 3 * n + 1; }\n\
                     if n > s { s = n; }\n\
                     if n < 0 { print(n); }\n\
                   }\n\
                   return s;\n}\n\
                   print(f(7));";
        let loaded = crate::loader::load_source("t.nk", src.to_string(), None).expect("loads");
        let prog = crate::types::check_program(&loaded).expect("checks");
        let id = prog.funcs.iter().position(|f| f.name.starts_with("f(")).unwrap();
        let bc = crate::bytecode::compile(&prog, id as crate::ir::FuncId).unwrap();
        let ds = diamonds(&bc);
        // The even/odd step (a diamond) and the maximum (a triangle); not the `if` that
        // prints, nor the loop's own test.
        assert_eq!(ds.len(), 2, "{ds:?}");
        assert!(!ds[0].else_arm.is_empty() && ds[1].else_arm.is_empty(), "{ds:?}");
    }
}
