//! A third copy of a versioned `for` loop (`versions`) that runs [`PER`] iterations per
//! pass, one after the other, in order: the loop's body emitted [`PER`] times with one
//! counter step, one compare and one branch per pass instead of per iteration. For a
//! reduction such as matmul's `s += a[i, k] * b[k, j]` (no lanes: the sum's order is
//! fixed) the loop control was half of the iteration's instructions.
//!
//! Each copy computes exactly what its iteration does, in the same order; only the
//! loop's own bookkeeping moves. Its accesses' addresses are a pointer at the pass's first
//! iteration plus a multiple of the step, which x64 addresses as an operand of the load
//! (`p + s`, `p + s * 2`, `(p + s) + s * 2`). Errors (an unproven access out of bounds, an overflow check) leave
//! from the copy that makes them with the counter and every register at that iteration's
//! values, as the scalar fast copy does.
//!
//! A loop qualifies when it has a fast copy but no two-lane or counting copy (`simd`),
//! its body is one basic block of at most [`MAX_BODY`] ops, and every op is inline
//! arithmetic, a comparison, a move, a constant or an element access: nothing that calls
//! out, which would make the loop's control a small part of its time.

use super::versions::Version;
use crate::bytecode::{CompiledFn, Op};

/// Iterations per pass.
pub const PER: i64 = 4;

/// Bodies longer than this (in ops, the back-edge excluded) run as the scalar fast copy:
/// their loop control is a small part of an iteration, and each copy adds code.
const MAX_BODY: usize = 12;

/// Whether `v`'s loop runs [`PER`] iterations per pass in its fast copy.
pub fn unrolls(f: &CompiledFn, v: &Version, starts: &[bool]) -> bool {
    let body = v.head..v.back;
    v.while_count.is_none()
        && !body.is_empty()
        && body.len() <= MAX_BODY
        && v.one_block(starts)
        && f.code[body].iter().all(inline)
}

/// Ops that native code emits inline, without a branch out of the block but to an error:
/// the integer ops an if-converted arm may hold (`diamonds::pure`), float arithmetic and
/// comparisons, conversions, and element accesses.
fn inline(op: &Op) -> bool {
    super::diamonds::pure(op)
        || matches!(
            op,
            Op::AddF { .. }
                | Op::SubF { .. }
                | Op::MulF { .. }
                | Op::DivF { .. }
                | Op::MulAddF { .. }
                | Op::MulSubF { .. }
                | Op::SubMulF { .. }
                | Op::NotI { .. }
                | Op::NegF { .. }
                | Op::Not { .. }
                | Op::LtF { .. }
                | Op::LeF { .. }
                | Op::EqF { .. }
                | Op::NeF { .. }
                | Op::I2F { .. }
                | Op::NarrowI { .. }
                | Op::RoundF32 { .. }
                | Op::AbsI { .. }
                | Op::ALoad1 { .. }
                | Op::ALoad2 { .. }
                | Op::ALoad3 { .. }
                | Op::AStore1 { .. }
                | Op::AStore2 { .. }
                | Op::AStore3 { .. }
        )
}
