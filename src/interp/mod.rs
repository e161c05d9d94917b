//! The interpreter tier: the dispatch loop over bytecode, and the interpreter's code for
//! every op, which native code also runs for its slow paths (`Machine::exec_single`), so
//! the tiers cannot disagree on a result or an error.
//!
//! The interpreter knows nothing of Cranelift or the code heap: a call through a slot that
//! is unresolved, native or hot, and every `Ext` op, return to the caller (`vm`) as a
//! [`Transfer`]. Invariants: nk calls never recurse on the Rust stack (frames are a `Vec`,
//! the depth is bounded and reported as "stack overflow"); no nk error panics or aborts —
//! it becomes a `RuntimeError` with the message and the chain of nk calls.

pub mod semantics;
mod values;

pub use values::Value;

use crate::abi::NativeFn;
use crate::bytecode::{self, CompiledFn, Ext, Op, PrintArg, Reg};
use crate::ir::{FuncId, Program};
use crate::runtime::ops as rops;
use crate::vocab::{BinOp, Prim};
use crate::runtime::random::Rng;
use crate::runtime::{self, Array, ArrayRef, InPlace, Index, RtError, RuntimeError};
use crate::source::Span;
use semantics as sem;
use std::io::Write;
use std::rc::Rc;

/// Deepest nk call nesting before "stack overflow" (checked at each call, in both tiers).
pub const MAX_CALL_DEPTH: usize = 20_000;
/// Largest register file (in 8-byte words, per file); deeper recursion through large frames
/// is "recursion too deep" rather than an allocation failure.
pub const MAX_STACK_WORDS: usize = 1 << 25;

/// The message of an interrupted run.
pub const INTERRUPTED: &str = "interrupted";

/// The message of every call-depth error, in both tiers.
pub fn stack_overflow_message() -> String {
    format!(
        "stack overflow: recursion too deep (more than {MAX_CALL_DEPTH} nested calls, or {} MiB of registers)",
        (MAX_STACK_WORDS * 8) >> 20
    )
}

/// What a table slot points at.
#[derive(Clone)]
pub enum Slot {
    /// Not called yet: the first call compiles and patches.
    Unresolved,
    Interp(Rc<CompiledFn>),
    /// Compiled by Cranelift (the bytecode stays for slow paths and error locations).
    Native(Rc<CompiledFn>, NativeFn),
}

/// An interpreted frame: its code, where it continues, and its register bases.
pub struct Frame {
    pub f: Rc<CompiledFn>,
    /// Where to continue in this frame's code.
    pub pc: usize,
    pub base_s: usize,
    pub base_a: usize,
}

/// A function of the embedding program as the interpreter calls it: nk values in (already
/// of the registered parameter types), an nk value or an error message out.
pub type HostFn = Rc<dyn Fn(&[Value]) -> Result<Value, String>>;

/// The interpreter's state: its register files (shared with native frames), the random
/// generator, the output and the embedder's host functions.
pub struct Machine<'p> {
    pub s: Vec<u64>,
    pub a: Vec<Option<ArrayRef>>,
    pub rng: Rng,
    pub out: Box<dyn Write + 'p>,
    /// Functions of the embedding program, by `Builtin::Host` index.
    pub hosts: Vec<HostFn>,
}

impl<'p> Machine<'p> {
    pub fn new(out: Box<dyn Write + 'p>) -> Self {
        Machine {
            s: Vec::new(),
            a: Vec::new(),
            rng: Rng::new(crate::runtime::random::DEFAULT_SEED),
            out,
            hosts: Vec::new(),
        }
    }

    /// Grows the register files to at least the given lengths; false if that is past the
    /// limit (the caller reports a stack overflow).
    pub fn grow(&mut self, need_s: usize, need_a: usize) -> bool {
        grow(&mut self.s, &mut self.a, need_s, need_a)
    }

    pub fn flush(&mut self) {
        let _ = self.out.flush();
    }

    /// Runs host function `h`. A panic in it is caught and becomes this call's error.
    fn call_host(
        hosts: &[HostFn],
        out: &mut dyn Write,
        h: usize,
        args: &[Value],
    ) -> Result<Value, String> {
        let f = hosts
            .get(h)
            .cloned()
            .ok_or_else(|| format!("internal: host function {h} is not registered"))?;
        let _ = out.flush();
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(args))) {
            Ok(r) => r,
            Err(p) => {
                let why = p
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| p.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "no message".into());
                Err(format!("host function panicked: {why}"))
            }
        }
    }

    pub fn exec_ext(
        &mut self,
        f: &CompiledFn,
        i: usize,
        bs: usize,
        ba: usize,
    ) -> Result<(), String> {
        let s = &mut self.s;
        let a = &mut self.a;
        let get_a = |a: &Vec<Option<ArrayRef>>, r: u16| -> Result<ArrayRef, String> {
            a[ba + r as usize]
                .clone()
                .ok_or_else(|| sem::EMPTY_ARRAY_REGISTER.to_string())
        };
        match &f.ext[i] {
            // Runs through the VM (`Vm::par_for`), which calls the body.
            Ext::ParFor { .. } => return Err("internal: a prange loop outside the VM".into()),
            Ext::Print(args) => {
                let mut line = String::new();
                for (k, arg) in args.iter().enumerate() {
                    if k > 0 {
                        line.push(' ');
                    }
                    match arg {
                        PrintArg::Str(t) => line.push_str(t),
                        PrintArg::Value(ty, loc) => {
                            let v = Value::read(ty, loc, s, a, bs, ba);
                            line.push_str(&v.format());
                        }
                    }
                }
                line.push('\n');
                self.out
                    .write_all(line.as_bytes())
                    .map_err(|e| format!("cannot write output: {e}"))?;
            }
            Ext::Assert { c, message } => {
                if s[bs + *c as usize] == 0 {
                    return Err(message.clone());
                }
            }
            Ext::ArrayBin {
                op,
                a: x,
                b: y,
                dst,
                a_temp,
                b_temp,
                ..
            } => {
                // Temporary elision: write into a temporary operand that nothing else holds.
                let sole = |r: &u16| {
                    a[ba + *r as usize]
                        .as_ref()
                        .is_some_and(|rc| Rc::strong_count(rc) == 1)
                };
                let target = match (x, y) {
                    (bytecode::Operand::Array(r), _) if *a_temp && sole(r) => Some((true, *r)),
                    (_, bytecode::Operand::Array(r)) if *b_temp && sole(r) => Some((false, *r)),
                    _ => None,
                };
                if let Some((into_left, t)) = target {
                    let view = |o: &bytecode::Operand| match o {
                        bytecode::Operand::Array(r) => {
                            a[ba + *r as usize].as_deref().map(InPlace::Array)
                        }
                        bytecode::Operand::Scalar(r, p) => Some(InPlace::Scalar(
                            rops::Scalar::from_bits(*p, s[bs + *r as usize]),
                        )),
                    };
                    let done = match (view(x), view(y)) {
                        (Some(xv), Some(yv)) => {
                            Array::binop_in_place(*op, xv, yv, into_left).map_err(|e| e.msg)?
                        }
                        _ => false,
                    };
                    if done {
                        let v = a[ba + t as usize].take();
                        a[ba + *dst as usize] = v;
                        return Ok(());
                    }
                }
                let r = match (x, y) {
                    (bytecode::Operand::Array(x), bytecode::Operand::Array(y)) => {
                        Array::binop(*op, &*get_a(a, *x)?, &*get_a(a, *y)?)
                    }
                    (bytecode::Operand::Array(x), bytecode::Operand::Scalar(y, p)) => {
                        let sc = rops::Scalar::from_bits(*p, s[bs + *y as usize]);
                        Array::binop_scalar(*op, &*get_a(a, *x)?, sc, false)
                    }
                    (bytecode::Operand::Scalar(x, p), bytecode::Operand::Array(y)) => {
                        let sc = rops::Scalar::from_bits(*p, s[bs + *x as usize]);
                        Array::binop_scalar(*op, &*get_a(a, *y)?, sc, true)
                    }
                    _ => return Err("internal: scalar operands in an array operation".to_string()),
                }
                .map_err(|e| e.msg)?;
                a[ba + *dst as usize] = Some(Rc::new(r));
            }
            Ext::ArrayNeg { src, dst } => {
                let r = Array::neg(&*get_a(a, *src)?);
                a[ba + *dst as usize] = Some(Rc::new(r));
            }
            Ext::ArrayNot { src, dst } => {
                let r = Array::not(&*get_a(a, *src)?);
                a[ba + *dst as usize] = Some(Rc::new(r));
            }
            Ext::ArrayCast { to, src, dst } => {
                let r = get_a(a, *src)?.astype(*to);
                a[ba + *dst as usize] = Some(Rc::new(r));
            }
            Ext::Slice { arr, index, dst } => {
                sem::array(&a[ba + *arr as usize])?;
                // The spec on the stack (a slice has at most 3 indices and 3 new axes), and
                // the view written into the destination's dead view when it can be reused.
                let mut buf = [Index::NewAxis; 8];
                let (src, dst) = (ba + *arr as usize, ba + *dst as usize);
                match values::slice_spec_into(index, s, bs, &mut buf) {
                    Some(spec) => runtime::slice_into(a, src, dst, spec),
                    None => runtime::slice_into(a, src, dst, &values::slice_spec(index, s, bs)),
                }
                .map_err(|e| e.msg)?;
            }
            Ext::StoreSlice { arr, index, value } => {
                let base = get_a(a, *arr)?;
                let view = if index.is_empty() {
                    (*base).clone()
                } else {
                    base.slice(&values::slice_spec(index, s, bs))
                        .map_err(|e| e.msg)?
                };
                match value {
                    bytecode::Operand::Scalar(r, p) => {
                        view.fill(rops::Scalar::from_bits(*p, s[bs + *r as usize]));
                    }
                    bytecode::Operand::Array(r) => {
                        view.assign(&*get_a(a, *r)?).map_err(|e| e.msg)?
                    }
                }
            }
            Ext::Take { arr, index, dst } => {
                let r = get_a(a, *arr)?
                    .take(&*get_a(a, *index)?)
                    .map_err(|e| e.msg)?;
                a[ba + *dst as usize] = Some(Rc::new(r));
            }
            Ext::StoreTake { arr, index, value } => {
                let (base, idx) = (get_a(a, *arr)?, get_a(a, *index)?);
                match value {
                    bytecode::Operand::Scalar(r, p) => base
                        .put_scalar(&idx, rops::Scalar::from_bits(*p, s[bs + *r as usize])),
                    bytecode::Operand::Array(r) => base.put_array(&idx, &*get_a(a, *r)?),
                }
                .map_err(|e| e.msg)?
            }
            Ext::Builtin { b, args, dst } => {
                if let Some(r) = fast_builtin(*b, args, dst, s, a, bs, ba) {
                    return r;
                }
                let vals: Vec<Value> = args
                    .iter()
                    .map(|(t, l)| Value::read(t, l, s, a, bs, ba))
                    .collect();
                let v = match *b {
                    crate::ir::Builtin::Host(h) => {
                        Self::call_host(&self.hosts, &mut *self.out, h as usize, &vals)?
                    }
                    b => values::builtin(b, vals, &mut self.rng).map_err(|e| e.msg)?,
                };
                v.write(dst, s, a, bs, ba);
            }
        }
        Ok(())
    }

    /// Runs op `pc` of `f` as the interpreter does, on the frame at (`bs`, `ba`) in memory.
    pub fn exec_single(
        &mut self,
        f: &CompiledFn,
        pc: usize,
        bs: usize,
        ba: usize,
    ) -> Result<(), String> {
        let op = f.code[pc];
        if let Op::Ext { i } = op {
            return self.exec_ext(f, i as usize, bs, ba);
        }
        let rt = |e: RtError| e.msg;
        // The frame's registers (native code sized the files to fit it on entry).
        let sf = &mut self.s[bs..bs + f.n_s];
        let af = &mut self.a[ba..ba + f.n_a];
        let s = |r: Reg| sf[r as usize];
        let ix3 = |r: Reg| [s(r), s(r + 1), s(r + 2)];
        let arr = |r: Reg| sem::array(&af[r as usize]).map_err(str::to_string);
        let (dst, v) = match op {
            Op::ALoad1 { dst, arr: x, i, .. } => (dst, sem::aload1(arr(x)?, s(i)).map_err(rt)?),
            Op::ALoad2 { dst, arr: x, i, j, .. } => {
                (dst, sem::aload2(arr(x)?, s(i), s(j)).map_err(rt)?)
            }
            Op::ALoad3 { dst, arr: x, idx, .. } => (dst, sem::aload3(arr(x)?, ix3(idx)).map_err(rt)?),
            Op::AStore1 { arr: x, i, src, .. } => {
                return sem::astore1(arr(x)?, s(i), s(src)).map_err(rt)
            }
            Op::AStore2 { arr: x, i, j, src, .. } => {
                return sem::astore2(arr(x)?, s(i), s(j), s(src)).map_err(rt)
            }
            Op::AStore3 { arr: x, idx, src, .. } => {
                return sem::astore3(arr(x)?, ix3(idx), s(src)).map_err(rt)
            }
            Op::Len { dst, arr: x } => (dst, sem::len(arr(x)?)),
            Op::FloorDivI { dst, a, b } => (dst, sem::floordiv_i(s(a), s(b)).map_err(rt)?),
            Op::ModI { dst, a, b } => (dst, sem::mod_i(s(a), s(b)).map_err(rt)?),
            Op::PowI { dst, a, b } => (dst, sem::pow_i(s(a), s(b)).map_err(rt)?),
            Op::ShlI { dst, a, b, t } => (dst, sem::shift_i(BinOp::Shl, s(a), s(b), t).map_err(rt)?),
            Op::ShrI { dst, a, b, t } => (dst, sem::shift_i(BinOp::Shr, s(a), s(b), t).map_err(rt)?),
            Op::ForStepPrep { i, end, step, .. } => {
                return sem::for_step_prep(s(i), s(end), s(step))
                    .map(|_| ())
                    .map_err(str::to_string)
            }
            Op::MovA { dst, src } => {
                sem::mov_a(af, dst, src);
                return Ok(());
            }
            Op::Ret { a: ra, na, .. } => {
                sem::ret_arrays(af, ra, na);
                return Ok(());
            }
            other => return Err(format!("internal: {other:?} has no slow path")),
        };
        sf[dst as usize] = v;
        Ok(())
    }
}

/// Grows the register files to at least the given lengths (doubling); false if that is
/// past [`MAX_STACK_WORDS`].
#[inline]
pub fn grow(s: &mut Vec<u64>, a: &mut Vec<Option<ArrayRef>>, need_s: usize, need_a: usize) -> bool {
    if need_s > MAX_STACK_WORDS || need_a > MAX_STACK_WORDS {
        return false;
    }
    if s.len() < need_s {
        s.resize(need_s.max(s.len() * 2).min(MAX_STACK_WORDS), 0);
    }
    if a.len() < need_a {
        a.resize(need_a.max(a.len() * 2).min(MAX_STACK_WORDS), None);
    }
    true
}

/// The error `message` raised at op `pc` of the current frame, with the interpreted call chain.
pub fn error(
    prog: &Program,
    frames: &[Frame],
    cur: &Frame,
    pc: usize,
    message: String,
) -> RuntimeError {
    let name = |f: &CompiledFn| prog.funcs[f.func as usize].name.clone();
    let span_at = |f: &CompiledFn, pc: usize| f.spans.at(pc);
    let mut chain: Vec<(String, Span)> = frames
        .iter()
        .map(|fr| (name(&fr.f), span_at(&fr.f, fr.pc.saturating_sub(1))))
        .collect();
    let span = span_at(&cur.f, pc);
    chain.push((name(&cur.f), span));
    RuntimeError {
        message,
        span,
        chain,
    }
}

/// The dispatch loop. Runs bytecode — calls and returns included — until an `Ext` op, a
/// call through an unresolved slot, the end of the entry frame, or an error; each of those
/// goes back to the caller (`vm::Vm::run`), with `cur.pc` just after the op concerned. `pc`, the code
/// and the frame's register slices live in locals between calls.
// Inlined into its one caller (`Vm::run`), as it was when both lived in one module.
#[inline(always)]
pub fn exec(
    s: &mut Vec<u64>,
    a: &mut Vec<Option<ArrayRef>>,
    frames: &mut Vec<Frame>,
    cur: &mut Frame,
    env: Env<'_>,
) -> Result<Transfer, String> {
    let Env {
        table,
        calls,
        hot,
        threshold,
        depth_base,
        interrupt,
    } = env;
    loop {
        let f: &CompiledFn = &cur.f;
        let (bs, ba) = (cur.base_s, cur.base_a);
        let mut pc = cur.pc;
        let code = &f.code[..];
        let consts = &f.consts[..];
        // This frame's registers; every frame entered below was sized to fit first.
        let sf = &mut s[bs..bs + f.n_s];
        let af = &mut a[ba..ba + f.n_a];
        // Scalar register access without bounds checks.
        // SAFETY: `f` passed `bytecode::verify` when it was compiled (see `bytecode::compile`),
        // so every scalar register operand of every op is `< f.n_s == sf.len()`, and
        // `ALoad3`/`AStore3` index registers up to `idx + 2 < f.n_s`.
        macro_rules! r {
            ($x:expr) => {
                (*unsafe { sf.get_unchecked_mut($x as usize) })
            };
        }
        macro_rules! fr {
            ($x:expr) => {
                f64::from_bits(r!($x))
            };
        }
        macro_rules! arr {
            ($x:expr) => {
                match sem::array(&af[$x as usize]) {
                    Ok(arr) => arr,
                    Err(e) => {
                        cur.pc = pc;
                        return Err(e.to_string());
                    }
                }
            };
        }
        macro_rules! tryrt {
            ($e:expr) => {
                match $e {
                    Ok(v) => v,
                    Err(e) => {
                        cur.pc = pc;
                        return Err(RtError::from(e).msg);
                    }
                }
            };
        }
        // Every jump goes through here: a backward one (a loop's next iteration) first
        // checks for an interrupt (Ctrl-C in the REPL, an embedder's stop request); so does
        // every call.
        macro_rules! jump {
            ($t:expr) => {{
                let t = $t as usize;
                if t < pc && interrupt.load(std::sync::atomic::Ordering::Relaxed) {
                    // Consumed by the run it stops (so one request stops one run).
                    interrupt.store(false, std::sync::atomic::Ordering::Relaxed);
                    cur.pc = pc;
                    return Err(INTERRUPTED.to_string());
                }
                pc = t;
            }};
        }
        let switch = loop {
            // SAFETY: `verify` checked that every jump target is `< code.len()` and that the
            // last op is `Ret` or `Jmp`, so straight-line execution never passes the end;
            // callers resume at `pc` after a `Call`/`Ext`, which are never the last op.
            let op = unsafe { code.get_unchecked(pc) };
            pc += 1;
            match *op {
                Op::LoadK { dst, k } => r!(dst) = consts[k as usize],
                Op::Mov { dst, src } => r!(dst) = r!(src),
                Op::MovA { dst, src } => sem::mov_a(af, dst, src),
                Op::AddI { dst, a: x, b: y } => {
                    r!(dst) = (r!(x) as i64).wrapping_add(r!(y) as i64) as u64
                }
                Op::SubI { dst, a: x, b: y } => {
                    r!(dst) = (r!(x) as i64).wrapping_sub(r!(y) as i64) as u64
                }
                Op::MulI { dst, a: x, b: y } => {
                    r!(dst) = (r!(x) as i64).wrapping_mul(r!(y) as i64) as u64
                }
                Op::FloorDivI { dst, a: x, b: y } => {
                    r!(dst) = tryrt!(sem::floordiv_i(r!(x), r!(y)))
                }
                Op::ModI { dst, a: x, b: y } => r!(dst) = tryrt!(sem::mod_i(r!(x), r!(y))),
                Op::PowI { dst, a: x, b: y } => r!(dst) = tryrt!(sem::pow_i(r!(x), r!(y))),
                Op::FloorDivIK { dst, a: x, d } => {
                    let n = r!(x) as i64;
                    let div = &f.divisors[d as usize];
                    r!(dst) = if n >= 0 {
                        ((n as u64) / *div) as i64 as u64
                    } else {
                        // Negative dividend: the floor rules; the divisor is positive, never 0.
                        tryrt!(rops::int_floordiv(n, div.get() as i64)) as u64
                    }
                }
                Op::ModIK { dst, a: x, d } => {
                    let n = r!(x) as i64;
                    let div = &f.divisors[d as usize];
                    r!(dst) = if n >= 0 {
                        (n as u64) % *div
                    } else {
                        tryrt!(rops::int_mod(n, div.get() as i64)) as u64
                    }
                }
                Op::AddIImm { dst, a: x, imm } => {
                    r!(dst) = (r!(x) as i64).wrapping_add(imm as i64) as u64
                }
                Op::AddF { dst, a: x, b: y } => r!(dst) = (fr!(x) + fr!(y)).to_bits(),
                Op::SubF { dst, a: x, b: y } => r!(dst) = (fr!(x) - fr!(y)).to_bits(),
                Op::MulF { dst, a: x, b: y } => r!(dst) = (fr!(x) * fr!(y)).to_bits(),
                Op::DivF { dst, a: x, b: y } => r!(dst) = (fr!(x) / fr!(y)).to_bits(),
                Op::FloorDivF { dst, a: x, b: y } => {
                    r!(dst) = rops::float_floordiv(fr!(x), fr!(y)).to_bits()
                }
                Op::ModF { dst, a: x, b: y } => r!(dst) = rops::float_mod(fr!(x), fr!(y)).to_bits(),
                Op::PowF { dst, a: x, b: y } => r!(dst) = rops::powf(fr!(x), fr!(y)).to_bits(),
                Op::PowHalfF { dst, a: x } => r!(dst) = rops::pow_half(fr!(x)).to_bits(),
                Op::MulAddI {
                    dst,
                    a: x,
                    b: y,
                    c: z,
                } => {
                    r!(dst) = (r!(x) as i64)
                        .wrapping_mul(r!(y) as i64)
                        .wrapping_add(r!(z) as i64) as u64
                }
                Op::MulSubI {
                    dst,
                    a: x,
                    b: y,
                    c: z,
                } => {
                    r!(dst) = (r!(x) as i64)
                        .wrapping_mul(r!(y) as i64)
                        .wrapping_sub(r!(z) as i64) as u64
                }
                Op::SubMulI {
                    dst,
                    a: x,
                    b: y,
                    c: z,
                } => {
                    r!(dst) = (r!(z) as i64).wrapping_sub((r!(x) as i64).wrapping_mul(r!(y) as i64))
                        as u64
                }
                Op::MulAddF {
                    dst,
                    a: x,
                    b: y,
                    c: z,
                } => r!(dst) = (fr!(x) * fr!(y) + fr!(z)).to_bits(),
                Op::MulSubF {
                    dst,
                    a: x,
                    b: y,
                    c: z,
                } => r!(dst) = (fr!(x) * fr!(y) - fr!(z)).to_bits(),
                Op::SubMulF {
                    dst,
                    a: x,
                    b: y,
                    c: z,
                } => r!(dst) = (fr!(z) - fr!(x) * fr!(y)).to_bits(),
                Op::NegI { dst, a: x } => r!(dst) = (r!(x) as i64).wrapping_neg() as u64,
                Op::AndI { dst, a: x, b: y } => r!(dst) = r!(x) & r!(y),
                Op::OrI { dst, a: x, b: y } => r!(dst) = r!(x) | r!(y),
                Op::XorI { dst, a: x, b: y } => r!(dst) = r!(x) ^ r!(y),
                Op::NotI { dst, a: x } => r!(dst) = !r!(x),
                Op::ShlI { dst, a: x, b: y, t } => {
                    r!(dst) = tryrt!(sem::shift_i(BinOp::Shl, r!(x), r!(y), t));
                }
                Op::ShrI { dst, a: x, b: y, t } => {
                    r!(dst) = tryrt!(sem::shift_i(BinOp::Shr, r!(x), r!(y), t));
                }
                Op::NegF { dst, a: x } => r!(dst) = (-fr!(x)).to_bits(),
                Op::Not { dst, a: x } => r!(dst) = (r!(x) == 0) as u64,
                Op::LtI { dst, a: x, b: y } => r!(dst) = ((r!(x) as i64) < (r!(y) as i64)) as u64,
                Op::LeI { dst, a: x, b: y } => r!(dst) = ((r!(x) as i64) <= (r!(y) as i64)) as u64,
                Op::EqI { dst, a: x, b: y } => r!(dst) = (r!(x) == r!(y)) as u64,
                Op::NeI { dst, a: x, b: y } => r!(dst) = (r!(x) != r!(y)) as u64,
                Op::LtF { dst, a: x, b: y } => r!(dst) = (fr!(x) < fr!(y)) as u64,
                Op::LeF { dst, a: x, b: y } => r!(dst) = (fr!(x) <= fr!(y)) as u64,
                Op::EqF { dst, a: x, b: y } => r!(dst) = (fr!(x) == fr!(y)) as u64,
                Op::NeF { dst, a: x, b: y } => r!(dst) = (fr!(x) != fr!(y)) as u64,
                Op::I2F { dst, a: x, to } => {
                    r!(dst) = rops::convert_bits(Prim::I64, to, r!(x));
                }
                Op::F2I { dst, a: x, to } => r!(dst) = rops::float_to_int(to, fr!(x)),
                Op::NarrowI { dst, a: x, to } => r!(dst) = rops::narrow_int(to, r!(x) as i64),
                Op::RoundF32 { dst, a: x } => r!(dst) = rops::narrow_float(Prim::F32, fr!(x)),
                Op::Math1 { f, dst, a: x } => r!(dst) = rops::math1(f, fr!(x)).to_bits(),
                Op::AbsI { dst, a: x } => r!(dst) = rops::int_abs(r!(x) as i64) as u64,
                Op::Math2 { f, dst, a: x, b: y } => {
                    r!(dst) = rops::math2(f, fr!(x), fr!(y)).to_bits()
                }
                Op::MinI { dst, a: x, b: y } => r!(dst) = (r!(x) as i64).min(r!(y) as i64) as u64,
                Op::MaxI { dst, a: x, b: y } => r!(dst) = (r!(x) as i64).max(r!(y) as i64) as u64,
                Op::IsNan { dst, a: x } => r!(dst) = fr!(x).is_nan() as u64,
                Op::IsInf { dst, a: x } => r!(dst) = fr!(x).is_infinite() as u64,
                Op::Jmp { target } => jump!(target),
                Op::JmpIf { c, target } => {
                    if r!(c) != 0 {
                        jump!(target)
                    }
                }
                Op::JmpIfNot { c, target } => {
                    if r!(c) == 0 {
                        jump!(target)
                    }
                }
                Op::JmpNotLtI { a: x, b: y, target } => {
                    if (r!(x) as i64) >= (r!(y) as i64) {
                        jump!(target)
                    }
                }
                Op::JmpNotLeI { a: x, b: y, target } => {
                    if (r!(x) as i64) > (r!(y) as i64) {
                        jump!(target)
                    }
                }
                Op::JmpNotEqI { a: x, b: y, target } => {
                    if r!(x) != r!(y) {
                        jump!(target)
                    }
                }
                Op::JmpNotNeI { a: x, b: y, target } => {
                    if r!(x) == r!(y) {
                        jump!(target)
                    }
                }
                Op::JmpNotLtF { a: x, b: y, target } => {
                    if fr!(x).partial_cmp(&fr!(y)) != Some(std::cmp::Ordering::Less) {
                        jump!(target)
                    }
                }
                Op::JmpNotLeF { a: x, b: y, target } => {
                    if !matches!(
                        fr!(x).partial_cmp(&fr!(y)),
                        Some(std::cmp::Ordering::Less | std::cmp::Ordering::Equal)
                    ) {
                        jump!(target)
                    }
                }
                Op::ForLoop { i, end, target } => {
                    let n = (r!(i) as i64).wrapping_add(1);
                    r!(i) = n as u64;
                    if n < r!(end) as i64 {
                        jump!(target)
                    }
                }
                Op::ForStepPrep {
                    i,
                    end,
                    step,
                    target,
                } => match sem::for_step_prep(r!(i), r!(end), r!(step)) {
                    Ok(true) => {}
                    Ok(false) => jump!(target),
                    Err(e) => {
                        cur.pc = pc;
                        return Err(e.to_string());
                    }
                },
                Op::ForStep {
                    i,
                    end,
                    step,
                    target,
                } => {
                    let sv = r!(step) as i64;
                    let Some(n) = (r!(i) as i64).checked_add(sv) else {
                        continue;
                    };
                    r!(i) = n as u64;
                    let ev = r!(end) as i64;
                    if (sv > 0 && n < ev) || (sv < 0 && n > ev) {
                        jump!(target)
                    }
                }
                Op::ALoad1 { dst, arr: x, i, .. } => r!(dst) = tryrt!(sem::aload1(arr!(x), r!(i))),
                Op::ALoad2 { dst, arr: x, i, j, .. } => {
                    r!(dst) = tryrt!(sem::aload2(arr!(x), r!(i), r!(j)))
                }
                Op::ALoad3 { dst, arr: x, idx, .. } => {
                    let ix = [r!(idx), r!(idx + 1), r!(idx + 2)];
                    r!(dst) = tryrt!(sem::aload3(arr!(x), ix))
                }
                Op::AStore1 { arr: x, i, src, .. } => tryrt!(sem::astore1(arr!(x), r!(i), r!(src))),
                Op::AStore2 { arr: x, i, j, src, .. } => {
                    tryrt!(sem::astore2(arr!(x), r!(i), r!(j), r!(src)))
                }
                Op::AStore3 { arr: x, idx, src, .. } => {
                    let ix = [r!(idx), r!(idx + 1), r!(idx + 2)];
                    tryrt!(sem::astore3(arr!(x), ix, r!(src)))
                }
                Op::Len { dst, arr: x } => r!(dst) = sem::len(arr!(x)),
                Op::Call { slot, s: ws, a: wa } => break Switch::Call { slot, ws, wa },
                Op::Ret {
                    s: rs,
                    ns,
                    a: ra,
                    na,
                } => {
                    if ns == 1 {
                        sf[0] = sf[rs as usize]; // the common case, without a memmove call
                    } else {
                        sf.copy_within(rs as usize..rs as usize + ns as usize, 0);
                    }
                    sem::ret_arrays(af, ra, na);
                    break Switch::Ret;
                }
                Op::Ext { i } => {
                    cur.pc = pc;
                    return Ok(Transfer::Ext { i });
                }
            }
        };
        // The frame's register slices are dead here, so the files may grow.
        cur.pc = pc;
        match switch {
            Switch::Call { slot, ws, wa } => {
                // Recursion without loops must be stoppable too.
                if interrupt.load(std::sync::atomic::Ordering::Relaxed) {
                    interrupt.store(false, std::sync::atomic::Ordering::Relaxed);
                    return Err(INTERRUPTED.to_string());
                }
                let callee = match &table[slot as usize] {
                    Slot::Interp(c) => {
                        let h = &mut hot[slot as usize];
                        *h = h.saturating_add(1);
                        if *h > threshold {
                            return Ok(Transfer::TierUp { slot });
                        }
                        c.clone()
                    }
                    Slot::Native(..) => return Ok(Transfer::Native { slot, ws, wa }),
                    Slot::Unresolved => return Ok(Transfer::Resolve { slot }),
                };
                if frames.len() + depth_base >= MAX_CALL_DEPTH {
                    return Ok(Transfer::TooDeep);
                }
                *calls += 1;
                let nbs = bs + ws as usize;
                let nba = ba + wa as usize;
                // The files usually fit already (one compare each on the hot path); deep
                // recursion through big frames is an nk error, not an abort.
                let (need_s, need_a) = (nbs + callee.n_s + 1, nba + callee.n_a + 1);
                if (s.len() < need_s || a.len() < need_a) && !grow(s, a, need_s, need_a) {
                    return Ok(Transfer::TooDeep);
                }
                let callee_frame = Frame {
                    f: callee,
                    pc: 0,
                    base_s: nbs,
                    base_a: nba,
                };
                frames.push(std::mem::replace(cur, callee_frame));
            }
            Switch::Ret => match frames.pop() {
                Some(fr) => *cur = fr,
                None => return Ok(Transfer::Done),
            },
        }
    }
}

/// What the dispatch loop needs besides the frames.
pub struct Env<'a> {
    pub table: &'a [Slot],
    pub calls: &'a mut u64,
    pub hot: &'a mut [u32],
    /// Interpreted calls of one slot after which to tier up (`u32::MAX`: never).
    pub threshold: u32,
    /// nk frames active outside this run (for the depth limit).
    pub depth_base: usize,
    /// Polled at every backward jump.
    pub interrupt: &'a std::sync::atomic::AtomicBool,
}

/// How the inner dispatch loop left the current frame.
enum Switch {
    Call { slot: FuncId, ws: u16, wa: u16 },
    Ret,
}

/// Why the dispatch loop returned to its caller (`vm::Vm::run`).
pub enum Transfer {
    /// The entry frame returned.
    Done,
    /// Run `ext[i]` of the current function.
    Ext { i: u32 },
    /// The call just executed goes through a slot not yet resolved.
    Resolve { slot: FuncId },
    /// The call just executed goes to native code; its window is at (`ws`, `wa`).
    Native { slot: FuncId, ws: u16, wa: u16 },
    /// The call just executed made `slot` hot.
    TierUp { slot: FuncId },
    /// The call just executed would exceed `MAX_CALL_DEPTH`.
    TooDeep,
}

/// The built-ins every array program calls, on their common argument types, without the
/// generic path's `Value` list: `zeros(n)`, `full(n, x)` with an `i64` length, and `ravel`
/// of an array that is already 1-D and contiguous (the array itself: headers are immutable,
/// so sharing the `Rc` is the same as a new view over the same storage). The results are
/// exactly the generic path's (`values::builtin`), errors included; `None` for anything
/// else.
fn fast_builtin(
    b: crate::ir::Builtin,
    args: &[(crate::ir::Type, bytecode::Loc)],
    dst: &bytecode::Loc,
    s: &mut [u64],
    a: &mut [Option<ArrayRef>],
    bs: usize,
    ba: usize,
) -> Option<Result<(), String>> {
    use crate::bytecode::Loc;
    use crate::ir::{Builtin, Type};
    use crate::vocab::Prim;
    // A whole-array reduction (`sum(a)`, `min(a)`, ...) into a scalar register.
    if let (Builtin::ReduceAll(r), [(Type::Array(..), Loc::A(x))], &Loc::S(d)) = (b, args, dst) {
        let arr = a[ba + *x as usize].as_ref()?;
        return Some(match arr.reduce_all(r) {
            Ok(v) => {
                s[bs + d as usize] = v.to_bits();
                Ok(())
            }
            Err(e) => Err(e.msg),
        });
    }
    let &Loc::A(d) = dst else { return None };
    let made = match (b, args) {
        (Builtin::Zeros(p), [(Type::Prim(Prim::I64), Loc::S(n))]) => {
            Array::zeros(p, &[s[bs + *n as usize] as i64])
        }
        (Builtin::Full, [(Type::Prim(Prim::I64), Loc::S(n)), (Type::Prim(p), Loc::S(x))]) => {
            Array::full(
                &[s[bs + *n as usize] as i64],
                rops::Scalar::from_bits(*p, s[bs + *x as usize]),
            )
        }
        (Builtin::Copy, [(Type::Array(..), Loc::A(r))]) => {
            let made = a[ba + *r as usize].as_ref()?.copy_ref();
            if let Some(old) = a[ba + d as usize].replace(made) {
                crate::runtime::array::recycle(old);
            }
            return Some(Ok(()));
        }
        (Builtin::Ravel, [(Type::Array(..), Loc::A(r))]) => {
            let x = a[ba + *r as usize].as_ref()?;
            if x.ndim() != 1 || !x.is_contiguous() {
                return None;
            }
            a[ba + d as usize] = Some(x.clone());
            return Some(Ok(()));
        }
        _ => return None,
    };
    Some(match made {
        Ok(arr) => {
            a[ba + d as usize] = Some(Rc::new(arr));
            Ok(())
        }
        Err(e) => Err(e.msg),
    })
}
