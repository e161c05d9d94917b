//! What the ops that can fail (or that native code leaves to the interpreter) do, once:
//! the dispatch loop (`exec`) and the native tier's slow paths (`Machine::exec_single`)
//! both call these, so the tiers cannot disagree on a result or an error. The hot ones
//! are `#[inline(always)]`: the dispatch loop compiles to what it did with them written in.

use crate::bytecode::Reg;
use crate::runtime::ops as rops;
use crate::vocab::{BinOp, Prim};
use crate::runtime::{Array, ArrayRef, RtError};

/// The error of an array register that holds no array (a compiler bug, never an nk error).
pub const EMPTY_ARRAY_REGISTER: &str = "internal: empty array register";

/// The error of `range(.., .., 0)`.
pub const ZERO_STEP: &str = "range() step must not be zero";

/// The array in an array register.
#[inline(always)]
pub fn array(reg: &Option<ArrayRef>) -> Result<&Array, &'static str> {
    reg.as_deref().ok_or(EMPTY_ARRAY_REGISTER)
}

/// `ALoad1`: `arr[i]`.
#[inline(always)]
pub fn aload1(arr: &Array, i: u64) -> Result<u64, RtError> {
    arr.get1(i as i64)
}

/// `ALoad2`: `arr[i, j]`.
#[inline(always)]
pub fn aload2(arr: &Array, i: u64, j: u64) -> Result<u64, RtError> {
    arr.get2(i as i64, j as i64)
}

/// `ALoad3`: `arr[i, j, k]`.
#[inline(always)]
pub fn aload3(arr: &Array, ix: [u64; 3]) -> Result<u64, RtError> {
    arr.get(&ix.map(|x| x as i64))
}

/// `AStore1`: `arr[i] = v`.
#[inline(always)]
pub fn astore1(arr: &Array, i: u64, v: u64) -> Result<(), RtError> {
    arr.set1(i as i64, v)
}

/// `AStore2`: `arr[i, j] = v`.
#[inline(always)]
pub fn astore2(arr: &Array, i: u64, j: u64, v: u64) -> Result<(), RtError> {
    arr.set2(i as i64, j as i64, v)
}

/// `AStore3`: `arr[i, j, k] = v`.
#[inline(always)]
pub fn astore3(arr: &Array, ix: [u64; 3], v: u64) -> Result<(), RtError> {
    arr.set(&ix.map(|x| x as i64), v)
}

/// `Len`: `len(arr)`.
#[inline(always)]
pub fn len(arr: &Array) -> u64 {
    arr.len() as u64
}

/// `FloorDivI`: Python's `a // b` on i64; an error on a zero divisor.
#[inline(always)]
pub fn floordiv_i(a: u64, b: u64) -> Result<u64, RtError> {
    rops::int_floordiv(a as i64, b as i64).map(|v| v as u64)
}

/// `ModI`: Python's `a % b` on i64; an error on a zero divisor.
#[inline(always)]
pub fn mod_i(a: u64, b: u64) -> Result<u64, RtError> {
    rops::int_mod(a as i64, b as i64).map(|v| v as u64)
}

/// `PowI`: `a ** b` on i64; an error on a negative exponent.
#[inline(always)]
pub fn pow_i(a: u64, b: u64) -> Result<u64, RtError> {
    rops::int_pow(a as i64, b as i64).map(|v| v as u64)
}

/// `ShlI`/`ShrI`: `a << b` or `a >> b` on an integer of kind `t`.
#[inline]
pub fn shift_i(op: BinOp, a: u64, b: u64, t: Prim) -> Result<u64, RtError> {
    rops::int_shift(op, a as i64, b as i64, t.size() as u32 * 8).map(|v| v as u64)
}

/// `ForStepPrep`: whether `range(i, end, step)` is entered; an error on a zero step.
#[inline(always)]
pub fn for_step_prep(i: u64, end: u64, step: u64) -> Result<bool, &'static str> {
    let (iv, ev, sv) = (i as i64, end as i64, step as i64);
    if sv == 0 {
        return Err(ZERO_STEP);
    }
    Ok((sv > 0 && iv < ev) || (sv < 0 && iv > ev))
}

/// `MovA`: `a[dst] = a[src]`, sharing the array (`af` is the frame's array registers).
#[inline(always)]
pub fn mov_a(af: &mut [Option<ArrayRef>], dst: Reg, src: Reg) {
    af[dst as usize] = af[src as usize].clone();
}

/// `Ret`'s arrays: moves the `na` array results from `a[ra..]` to the bottom of the frame
/// `af` and releases the frame's other arrays now, not when the registers are reused.
#[inline(always)]
pub fn ret_arrays(af: &mut [Option<ArrayRef>], ra: Reg, na: u16) {
    for k in 0..na as usize {
        af[k] = af[ra as usize + k].take();
    }
    for slot in &mut af[na as usize..] {
        *slot = None;
    }
}
