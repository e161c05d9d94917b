//! If-conversion: small `if`/`else` diamonds (and `if` triangles) whose arms only compute
//! scalars run both arms and pick the results with `select`, a conditional move, instead
//! of a branch the CPU mispredicts when the condition follows the data (Collatz's
//! even/odd step: half the branches mispredicted).
//!
//! An arm qualifies when every op in it is pure and cannot fail — integer arithmetic,
//! moves, constants, division by a constant — so running the arm whose condition is false
//! changes nothing but registers the select then overwrites. Codegen also requires every
//! register an arm writes to be an integer or `f64` one (an `f64` is selected as its bits:
//! x64 has no conditional move for floats, and Cranelift would branch again).
//!
//! Two more kinds of op make a merge step (`if a[i] <= b[j] { c[k] = a[i]; i += 1; } else
//! { c[k] = b[j]; j += 1; }`, whose branch follows the data) branch-free, as LLVM makes it:
//! - an element load whose index registers no earlier op of its arm writes: safe to run
//!   on the path not taken when codegen knows the element checked on every path to the
//!   test (`Lower::checked`, `bounds` at the test); else the diamond keeps its branch;
//! - one element store in each arm of a diamond, to the same element (same array and index
//!   registers, which no arm writes, same type), after the arm's loads and with only pure
//!   ops after it, none writing its value's register: codegen stores the selected value
//!   once, after both arms. Its bounds check fails on either path alike, and reports the
//!   store of the arm the condition picks.

use super::versions::access;
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
    /// The element loads in the arms (codegen converts only when each is checked).
    pub loads: Vec<usize>,
    /// The then-arm's and the else-arm's store of one element, stored once.
    pub store: Option<(usize, usize)>,
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

/// `d` with its element loads and merged store, if every op of its arms is pure or one of
/// those (see the module's documentation).
fn with_memory(code: &[Op], mut d: Diamond) -> Option<Diamond> {
    // (No arm op replaces an array register: pure ops and element accesses do not.)
    let written = |ops: std::ops::Range<usize>| -> Vec<u16> { ops.flat_map(|q| code[q].s_writes()).collect() };
    let in_arms = written(d.then_arm.clone()).into_iter().chain(written(d.else_arm.clone())).collect::<Vec<_>>();
    let mut stores = Vec::new();
    for arm in [d.then_arm.clone(), d.else_arm.clone()] {
        let mut stored: Option<usize> = None;
        for q in arm.clone() {
            let op = &code[q];
            if pure(op) {
                if stored.is_some_and(|st| op.s_writes().any(|r| Some(r) == store_src(&code[st]))) {
                    return None; // the stored value's register changes after the store
                }
                continue;
            }
            let (_, idx, _) = access(op)?;
            if stored.is_some() {
                return None;
            }
            // A load runs with the registers as they are at the test; the store after
            // both arms, with them as the arm the condition picks leaves them.
            let is_store = store_src(op).is_some();
            let changed = if is_store { in_arms.clone() } else { written(arm.start..q) };
            if idx.iter().any(|r| changed.contains(r)) {
                return None;
            }
            if is_store {
                stored = Some(q);
            } else {
                d.loads.push(q);
            }
        }
        stores.push(stored);
    }
    d.store = match stores[..] {
        [None, None] => None,
        // The same element from the same register: after the selects, that register
        // holds what the picked arm stored.
        [Some(a), Some(b)] if access(&code[a]) == access(&code[b]) && store_src(&code[a]) == store_src(&code[b]) => {
            Some((a, b))
        }
        _ => return None,
    };
    Some(d)
}

/// The value register of an element store.
fn store_src(op: &Op) -> Option<u16> {
    match *op {
        Op::AStore1 { src, .. } | Op::AStore2 { src, .. } | Op::AStore3 { src, .. } => Some(src),
        _ => None,
    }
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
                    loads: Vec::new(),
                    store: None,
                }
            }
            _ => Diamond {
                test: p,
                then_arm: p + 1..t,
                else_arm: t..t,
                join: t,
                loads: Vec::new(),
                store: None,
            },
        };
        let small = d.then_arm.len() <= MAX_ARM && d.else_arm.len() <= MAX_ARM;
        let Some(d) = small.then(|| with_memory(code, d)).flatten() else {
            continue;
        };
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

    fn diamonds_of(src: &str) -> (CompiledFn, Vec<Diamond>) {
        let (_, _, bc) = crate::jit::compiled_for_test(src, "f(");
        let ds = diamonds(&bc);
        (bc, ds)
    }

    #[test]
    fn a_merge_step_qualifies_with_its_loads_and_one_store() {
        let (bc, ds) = diamonds_of(
            "fn f(a: f64[], b: f64[], c: f64[], i: i64, j: i64, k: i64) -> i64 {\n\
               if a[i] <= b[j] { c[k] = a[i]; i += 1; } else { c[k] = b[j]; j += 1; }\n\
               return i + j;\n}\n\
             print(f(ones(2), ones(2), ones(2), 0, 0, 0));",
        );
        assert_eq!(ds.len(), 1, "{ds:?}");
        let d = &ds[0];
        let (then_store, else_store) = d.store.expect("one store for both arms");
        assert!(d.then_arm.contains(&then_store) && d.else_arm.contains(&else_store), "{d:?}");
        assert_eq!(d.loads.len(), 2, "{d:?}");
        for &q in &d.loads {
            assert!(matches!(bc.code[q], Op::ALoad1 { .. }), "{:?}", bc.code[q]);
        }
    }

    #[test]
    fn stores_that_do_not_merge_keep_the_branch() {
        // Stores of two registers, a store whose index an arm writes, a load after the
        // store, and a store in one arm only.
        for body in [
            "if i < j { c[k] = x; } else { c[k] = y; }",
            "if i < j { c[k] = x; k += 1; } else { c[k] = x; }",
            "if i < j { c[k] = x; x = c[j]; } else { c[k] = x; }",
            "if i < j { c[k] = x; }",
        ] {
            let src = format!(
                "fn f(c: f64[], i: i64, j: i64, k: i64, x: f64, y: f64) -> f64 {{\n{body}\nreturn x + y + float(k);\n}}\n\
                 print(f(ones(2), 0, 1, 0, 1.0, 2.0));"
            );
            let (_, ds) = diamonds_of(&src);
            assert!(ds.is_empty(), "{body}: {ds:?}");
        }
    }

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
        let (_, _, bc) = crate::jit::compiled_for_test(src, "f(");
        let ds = diamonds(&bc);
        // The even/odd step (a diamond) and the maximum (a triangle); not the `if` that
        // prints, nor the loop's own test.
        assert_eq!(ds.len(), 2, "{ds:?}");
        assert!(!ds[0].else_arm.is_empty() && ds[1].else_arm.is_empty(), "{ds:?}");
    }
}
