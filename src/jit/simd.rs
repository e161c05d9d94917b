//! A third copy of a versioned `for` loop (`versions`) that runs two iterations at a
//! time in `f64x2` lanes, four per pass: the stencils and elementwise loops users write by hand
//! (`v[i, j] = 0.25 * (u[i - 1, j] + u[i + 1, j] + u[i, j - 1] + u[i, j + 1])`).
//!
//! A loop qualifies when its body is one basic block of `f64` element loads and stores
//! whose last index is the counter plus a constant (other axes invariant, all proven by
//! the loop's guard), `f64` arithmetic (`+ - * /`, negation, the two-rounding
//! multiply-adds: each lane computes exactly what one iteration does), moves, and index
//! arithmetic `counter + c` or `invariant + c` used only as indices. No register may
//! carry a value from one iteration to the next (a sum `s += a[i]` would add in another
//! order): every register the body writes is written before the body reads it.
//!
//! The lanes change the order of memory accesses between iterations, so a second test,
//! after the guard, takes the copy only when it cannot matter: the last axes of its
//! accesses have stride 1 (lanes are adjacent elements), every store's range over the
//! whole loop is disjoint from every other access's range (except the same element of the
//! same register, which each lane reads and writes in order), and four iterations remain.
//! The scalar fast copy then runs what is left (at most three iterations), and the registers
//! the body writes hold the last iteration's values, as after the scalar loop.
//!
//! A loop that counts the true elements of a `bool` array (`count`) gets a copy of the
//! same kind: eight elements per pass, read as one word (see [`Count`]).

use super::versions::{access, Axis, Version};
use crate::bytecode::{CompiledFn, Op};
use cranelift_codegen::ir::types;

/// The two-lane copy of a loop.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The body's element accesses, by pc.
    pub accesses: Vec<usize>,
    /// Pairs `(store, other access)` whose ranges must be disjoint.
    pub disjoint: Vec<(usize, usize)>,
    /// The registers the body reads as values and does not write (splat once).
    pub invariants: Vec<u16>,
    /// The registers the body writes, each once (set from the last lane after the loop).
    pub written: Vec<u16>,
}

/// A loop that counts the true elements of a `bool` array, `for k in lo..end { if a[k]
/// { c += d; } }`: its vectorized copy reads eight elements as one word and adds
/// `d * popcount` of the word's non-zero bytes (any non-zero byte is true, as the `if`
/// reads it). Integer addition wraps and is associative, so the sum is the loop's.
#[derive(Clone, Copy, Debug)]
pub struct Count {
    /// The element load, its destination (the flag), the counter register and `d`.
    pub load: usize,
    pub flag: u16,
    pub acc: u16,
    pub by: i32,
    /// The index register and its offset from the counter, when the body computes the
    /// index first (`a[k - 1]`: an `AddIImm` of the counter).
    pub index: Option<(u16, i32)>,
}

/// The counting copy for `v`'s loop, if it is one: a `for` loop whose body is exactly a
/// `bool` load at the counter plus a constant (a proven axis; the index computed first or
/// the counter itself), a jump over the increment when the flag is false, and the
/// increment of a register that is none of the others.
pub fn count(f: &CompiledFn, v: &Version) -> Option<Count> {
    if v.while_count.is_some() {
        return None;
    }
    let (index, load) = match f.code[v.head] {
        Op::AddIImm { dst, a, imm } if a == v.counter && dst != v.counter => {
            (Some((dst, imm)), v.head + 1)
        }
        _ => (None, v.head),
    };
    if v.back != load + 3 {
        return None;
    }
    let Op::ALoad1 { dst: flag, i, e: crate::vocab::Prim::Bool, .. } = f.code[load] else {
        return None;
    };
    let Op::JmpIfNot { c, target } = f.code[load + 1] else {
        return None;
    };
    let Op::AddIImm { dst: acc, a, imm } = f.code[load + 2] else {
        return None;
    };
    let proven = matches!(v.axes_at(load), Some([Axis::Counter { .. }]));
    let regs = [Some(flag), Some(acc), Some(v.counter), index.map(|x| x.0)];
    let distinct = regs
        .iter()
        .enumerate()
        .all(|(n, r)| r.is_none() || !regs[..n].contains(r));
    (proven
        && i == index.map_or(v.counter, |x| x.0)
        && c == flag
        && target as usize == v.back
        && acc == a
        && distinct)
        .then_some(Count {
            load,
            flag,
            acc,
            by: imm,
            index,
        })
}

/// The plan for `v`'s loop, if it qualifies. `ty`: the registers' classes.
pub fn plan(f: &CompiledFn, v: &Version, ty: &[types::Type], starts: &[bool]) -> Option<Plan> {
    if v.while_count.is_some() || !v.one_block(starts) {
        return None;
    }
    let body = v.head..v.back;
    // Registers the body writes hold `f64` lanes; an `I64` one (a register the lowering
    // also uses for integers elsewhere) takes the last lane's bits, an `F32` one could not.
    let wide = |r: u16| ty.get(r as usize).is_some_and(|&t| t != types::F32);
    let mut written: Vec<u16> = body.clone().flat_map(|pc| f.code[pc].s_writes()).collect();
    written.sort_unstable();
    written.dedup();
    let mut invariants: Vec<u16> = Vec::new();
    let mut accesses = Vec::new();
    let mut seen: Vec<bool> = vec![false; f.n_s]; // written earlier in the body
    let mut index_regs: Vec<u16> = Vec::new();
    for pc in body.clone() {
        let op = f.code[pc];
        // Registers read as values: written before in the body, or never written in it.
        for r in value_reads(&op) {
            // An invariant is read once, as the op reads it, and splat.
            let carried = !seen[r as usize] && written.contains(&r);
            if carried || r == v.counter || index_regs.contains(&r) {
                return None;
            }
            if !written.contains(&r) && !invariants.contains(&r) {
                invariants.push(r);
            }
        }
        match op {
            Op::ALoad1 { dst, e, .. } | Op::ALoad2 { dst, e, .. } | Op::ALoad3 { dst, e, .. } => {
                if e != crate::vocab::Prim::F64 || !wide(dst) || !lanes_ok(v, pc) {
                    return None;
                }
                accesses.push(pc);
            }
            Op::AStore1 { e, .. } | Op::AStore2 { e, .. } | Op::AStore3 { e, .. } => {
                if e != crate::vocab::Prim::F64 || !lanes_ok(v, pc) {
                    return None;
                }
                accesses.push(pc);
            }
            Op::AddF { dst, .. }
            | Op::SubF { dst, .. }
            | Op::MulF { dst, .. }
            | Op::DivF { dst, .. }
            | Op::MulAddF { dst, .. }
            | Op::MulSubF { dst, .. }
            | Op::SubMulF { dst, .. }
            | Op::NegF { dst, .. }
            | Op::Mov { dst, .. }
                if wide(dst) => {}
            // Index arithmetic: the accesses' proven axes hold it already.
            Op::AddIImm { dst, a, .. }
                if (a == v.counter || !written.contains(&a)) && ty[dst as usize] == types::I64 =>
            {
                index_regs.push(dst);
            }
            _ => return None,
        }
        for r in op.s_writes() {
            seen[r as usize] = true;
            // A register the lowering reuses: a value now, no longer an index.
            if !matches!(op, Op::AddIImm { .. }) {
                index_regs.retain(|&x| x != r);
            }
        }
    }
    let mut disjoint = Vec::new();
    for &s in &accesses {
        if !is_store(&f.code[s]) {
            continue;
        }
        for &x in &accesses {
            if x != s && !same_element(f, v, s, x) {
                disjoint.push((s, x));
            }
        }
    }
    Some(Plan {
        accesses,
        disjoint,
        invariants,
        written,
    })
}

/// The registers op `op` of an admitted body reads as values (not as indices, which the
/// accesses' proven axes replace).
fn value_reads(op: &Op) -> Vec<u16> {
    match *op {
        Op::ALoad1 { .. } | Op::ALoad2 { .. } | Op::ALoad3 { .. } | Op::AddIImm { .. } => {
            Vec::new()
        }
        Op::AStore1 { src, .. } | Op::AStore2 { src, .. } | Op::AStore3 { src, .. } => vec![src],
        _ => op.s_reads().collect(),
    }
}

fn is_store(op: &Op) -> bool {
    matches!(op, Op::AStore1 { .. } | Op::AStore2 { .. } | Op::AStore3 { .. })
}

/// The access at `pc` indexes its last axis by the counter and the others invariantly.
fn lanes_ok(v: &Version, pc: usize) -> bool {
    let Some(axes) = v.axes_at(pc) else {
        return false;
    };
    let (last, rest) = axes.split_last().expect("an access has an index");
    matches!(last, Axis::Counter { .. }) && rest.iter().all(|a| matches!(a, Axis::Invariant { .. }))
}

/// Accesses `a` and `b` name the same element on every iteration.
fn same_element(f: &CompiledFn, v: &Version, a: usize, b: usize) -> bool {
    let (Some((ra, _, _)), Some((rb, _, _))) = (access(&f.code[a]), access(&f.code[b])) else {
        return false;
    };
    ra == rb && v.axes_at(a) == v.axes_at(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plans(src: &str) -> Vec<Option<Plan>> {
        let (prog, _, bc) = crate::jit::compiled_for_test(src, "f(");
        let starts = super::super::codegen::block_starts(&bc);
        let ty = super::super::codegen::register_classes(&prog, &bc, &starts);
        let vs = super::super::versions::versions(&bc, &starts);
        // (A nest, a loop around one of these, is never one block: no plan.)
        assert!(vs.iter().filter(|v| v.inner.is_some()).all(|v| plan(&bc, v, &ty, &starts).is_none()));
        vs.iter().filter(|v| v.inner.is_none()).map(|v| plan(&bc, v, &ty, &starts)).collect()
    }

    #[test]
    fn stencils_qualify_and_carried_values_do_not() {
        let p = plans(
            "fn f(u: f64[,], v: f64[,], a: f64[], n: i64) -> f64 {\n\
               for i in 1..n - 1 {\n\
                 for j in 1..n - 1 {\n\
                   v[i, j] = 0.25 * (u[i - 1, j] + u[i + 1, j] + u[i, j - 1] + u[i, j + 1]);\n\
                 }\n\
               }\n\
               let s = 0.0;\n\
               for k in 0..n { s += a[k]; }\n\
               for k in 1..n { a[k] = a[k] * 2.0 - 1.0; }\n\
               for k in 1..n { if a[k] > 0.0 { a[k] = 0.0; } }\n\
               return s;\n\
             }\n\
             print(f(zeros((3, 3)), zeros((3, 3)), zeros(3), 3));",
        );
        assert_eq!(p.len(), 4, "{p:?}");
        let stencil = p[0].as_ref().expect("the stencil qualifies");
        // The store against each of the four loads.
        assert_eq!((stencil.accesses.len(), stencil.disjoint.len()), (5, 4), "{stencil:?}");
        assert!(p[1].is_none(), "a sum carries its value");
        let scale = p[2].as_ref().expect("an in-place update qualifies");
        assert!(scale.disjoint.is_empty(), "the same element: {scale:?}");
        assert!(p[3].is_none(), "a branch");
    }

    #[test]
    fn loops_counting_true_elements_are_counts() {
        let src = "fn f(m: bool[], u: u8[], n: i64) -> i64 {\n\
                     let c = 0;\n\
                     for k in 0..n { if m[k] { c += 1; } }\n\
                     for k in 1..n { if m[k - 1] { c += 3; } }\n\
                     for k in 0..n { if u[k] > 0 { c += 1; } }\n\
                     for k in 0..n { if m[k] { c += k; } }\n\
                     for k in 0..n { if m[k] { c += 1; m[k] = false; } }\n\
                     return c;\n\
                   }\n\
                   print(f(zeros(3) < 1.0, zeros(3, u8), 3));";
        let (_, _, bc) = crate::jit::compiled_for_test(src, "f(");
        let starts = super::super::codegen::block_starts(&bc);
        let counts: Vec<Option<Count>> = super::super::versions::versions(&bc, &starts)
            .iter()
            .map(|v| count(&bc, v))
            .collect();
        assert_eq!(counts.len(), 5, "{counts:?}");
        assert_eq!(counts[0].map(|c| c.by), Some(1), "{counts:?}");
        assert_eq!(counts[1].map(|c| c.by), Some(3), "an offset index, a step of 3");
        // A comparison, a step that is not a constant, a store in the body: not counts.
        assert!(counts[2..].iter().all(Option::is_none), "{counts:?}");
    }
}
