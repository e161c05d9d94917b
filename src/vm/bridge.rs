//! The bridge between the interpreter and native code: the context, the table of native
//! entries, and the helpers compiled code calls (`extern "C"`, reached through
//! `Ctx::helpers`). Every raw pointer the tiers share is handled here.
//!
//! Both tiers keep their frames in the same register files, so a call in either
//! direction passes only frame bases. Errors never unwind through native code: a helper
//! records the `RuntimeError` in `Vm::pending` and returns status 1; each native
//! frame on the way out adds itself to the chain (`trace`), innermost first.

use super::Vm;
use crate::abi::*;
use crate::bytecode::CompiledFn;
use crate::bytecode::{Ext, Op};
use crate::interp::{stack_overflow_message, Machine, Slot, MAX_CALL_DEPTH};
use crate::runtime::{put_view, FastView, RuntimeError};
use crate::jit::code_memory::CodeMemory;
use crate::source::Span;
use std::ffi::c_void;
use std::ptr::NonNull;
use std::rc::Rc;

/// A function compiled by Cranelift. Held only to keep its memory alive while table slots
/// and link pointers refer to it (its bytecode stays in the slot).
struct NativeCode {
    /// The link vector (`ctx.links[slot]` points here): this program's slot for each
    /// callee of the code.
    _links: Box<[u64]>,
    /// The executable memory the slot's entry points into.
    code: CodeMemory,
}

/// The native side of a [`Vm`]: the context compiled code runs with, the per-slot tables it
/// points at, the installed code, and the error native code records on its way out.
pub(super) struct Native {
    /// The context (owned; freed in `Drop`).
    ctx: NonNull<Ctx>,
    helpers: Box<[usize; N_HELPERS]>,
    /// The native entry of every slot, mirrored from the slot table (`ctx.table` points
    /// here): compiled code, or the interpreter trampoline.
    entries: Vec<usize>,
    /// The link vector of every slot's native code (0 for none; `ctx.links` points here).
    links: Vec<usize>,
    /// Each slot's installed native code (kept alive while the slot points into it; freed
    /// when the slot gets other code, which happens only while no nk code runs).
    codes: Vec<Option<NativeCode>>,
    /// An error recorded by native code on its way out (chain innermost first).
    pub(super) pending: Option<RuntimeError>,
    /// The pending error's place is the call site of the frame that `trace`s it first.
    pub(super) pending_at_caller: bool,
}

impl Drop for Native {
    fn drop(&mut self) {
        // SAFETY: `ctx` came from `Box::leak` in `Native::new` and is freed only here.
        drop(unsafe { Box::from_raw(self.ctx.as_ptr()) });
    }
}

impl Native {
    /// The native side of a program with `n` slots, none of them native yet.
    pub(super) fn new(n: usize) -> Native {
        let ctx = Box::new(new_ctx(
            &super::INTERRUPT as *const std::sync::atomic::AtomicBool as *const u8,
        ));
        Native {
            ctx: NonNull::from(Box::leak(ctx)),
            helpers: Box::new(helper_table()),
            entries: vec![interp_entry(); n],
            links: vec![0; n],
            codes: (0..n).map(|_| None).collect(),
            pending: None,
            pending_at_caller: false,
        }
    }

    /// Makes `code` the native entry of `slot`, its callees linked by `links`.
    pub(super) fn install(&mut self, slot: u32, code: CodeMemory, links: Box<[u64]>) {
        self.links[slot as usize] = links.as_ptr() as usize;
        self.entries[slot as usize] = code.entry() as usize;
        self.codes[slot as usize] = Some(NativeCode {
            _links: links,
            code,
        });
    }

    /// The native code installed in `slot`, if any.
    pub(super) fn code(&self, slot: u32) -> Option<&CodeMemory> {
        self.codes.get(slot as usize)?.as_ref().map(|c| &c.code)
    }

    /// Room for `n` slots (new ones not native yet). The context's pointers are set again
    /// by `sync_ctx` before native code runs.
    pub(super) fn grow(&mut self, n: usize) {
        self.entries.resize(n, interp_entry());
        self.links.resize(n, 0);
        self.codes.resize_with(n, || None);
    }

    /// Sends native callers of `slot` to the interpreter again.
    pub(super) fn uninstall(&mut self, slot: u32) {
        self.entries[slot as usize] = interp_entry();
        self.links[slot as usize] = 0;
        self.codes[slot as usize] = None;
    }

    /// The tables native code reads through a context: slot entries, link vectors,
    /// helpers (a worker's context points at the same ones).
    pub(super) fn tables(&self) -> (*const usize, *const usize, *const usize) {
        (
            self.entries.as_ptr(),
            self.links.as_ptr(),
            self.helpers.as_ptr(),
        )
    }

    /// Makes native code poll the byte at `flag` for interrupts.
    pub(super) fn set_interrupt(&mut self, flag: *const u8) {
        // SAFETY: `ctx` is this value's own allocation and no native code runs while
        // `&mut self` is held; the caller keeps `flag` alive as long as the context.
        unsafe { (*self.ctx.as_ptr()).interrupt = flag };
    }
}

/// A context polling the byte at `interrupt`, with no register files or tables yet: its
/// owner points it at them (`point_at`, `Vm::sync_ctx`) before native code runs.
pub(super) fn new_ctx(interrupt: *const u8) -> Ctx {
    Ctx {
        s_ptr: std::ptr::null_mut(),
        s_len: 0,
        a_ptr: std::ptr::null_mut(),
        a_len: 0,
        table: std::ptr::null(),
        links: std::ptr::null(),
        helpers: std::ptr::null(),
        depth: 0,
        max_depth: MAX_CALL_DEPTH as u64 + 1,
        stack_limit: 0,
        empty_header: [0; 8],
        interrupt,
        interp: std::ptr::null_mut(),
        worker: std::ptr::null_mut(),
    }
}

/// Points `c` at the register files of `m` (a helper may have grown, so moved, them).
pub(super) fn point_at(c: &mut Ctx, m: &mut Machine) {
    c.s_ptr = m.s.as_mut_ptr();
    c.s_len = m.s.len() as u64;
    c.a_ptr = m.a.as_mut_ptr() as *mut c_void;
    c.a_len = m.a.len() as u64;
}

/// Room left below the stack limit for helpers and the interpreter runs they start.
const STACK_MARGIN: usize = 256 * 1024;

/// The lowest address native frames of the current thread may reach (computed once per
/// thread).
pub(super) fn thread_stack_limit() -> u64 {
    thread_local! {
        static LIMIT: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    }
    LIMIT.with(|l| {
        if l.get() == 0 {
            l.set(stack_limit());
        }
        l.get()
    })
}

/// The lowest address native frames of this thread may reach.
fn stack_limit() -> u64 {
    let local = 0u8;
    let here = std::hint::black_box(&local) as *const u8 as usize;
    // Unknown stack: assume the smallest common one (about 1 MiB left from here).
    let low = thread_stack_low().unwrap_or(here.saturating_sub(1 << 20));
    (low + STACK_MARGIN) as u64
}

/// The low end of the current thread's stack, from the C library.
#[cfg(target_os = "linux")]
fn thread_stack_low() -> Option<usize> {
    // SAFETY: plain libc calls on a zeroed, then initialized, attribute object for the
    // calling thread, destroyed before returning; out-pointers are valid locals.
    unsafe {
        let mut attr: libc::pthread_attr_t = std::mem::zeroed();
        if libc::pthread_getattr_np(libc::pthread_self(), &mut attr) != 0 {
            return None;
        }
        let mut addr: *mut libc::c_void = std::ptr::null_mut();
        let mut size: libc::size_t = 0;
        let r = libc::pthread_attr_getstack(&attr, &mut addr, &mut size);
        libc::pthread_attr_destroy(&mut attr);
        (r == 0 && !addr.is_null()).then_some(addr as usize)
    }
}

#[cfg(not(target_os = "linux"))]
fn thread_stack_low() -> Option<usize> {
    None
}

/// The helper table, in `H_*` order: each entry is the function `abi::for_each_helper`
/// names, coerced to the type declared there (a mismatch is a compile error).
pub fn helper_table() -> [usize; N_HELPERS] {
    use crate::abi::pure::{math1, math2, release};
    macro_rules! table {
        ($( $(#[doc = $doc:literal])* ($idx:ident, $name:ident, fn($($arg:ty),*) $(-> $ret:ty)?) ),* $(,)?) => {{
            let mut h = [0usize; N_HELPERS];
            $( h[$idx] = {
                let f: extern "C" fn($($arg),*) $(-> $ret)? = $name;
                f as usize
            }; )*
            h
        }};
    }
    crate::abi::for_each_helper!(table)
}

/// The table entry of every slot without native code: enters the interpreter.
pub fn interp_entry() -> usize {
    call_interp as *const () as usize
}

/// Whoever runs native code on a context: the VM on the thread that owns it, or a worker
/// of a `prange` loop on a thread of the pool (`parallel::Worker`). The helpers below serve
/// either through [`host_of`]; only `H_EXEC_OP` of a `prange` loop and calls into a slot
/// without native code differ.
pub(super) trait Host {
    /// The bytecode running in `slot`, and the machine (register files, output) its ops
    /// run on.
    fn parts(&mut self, slot: u64) -> (&CompiledFn, &mut Machine<'static>);
    /// The machine alone.
    fn machine(&mut self) -> &mut Machine<'static>;
    /// Points the context at the register files again (an op may have grown them).
    fn refresh_ctx(&mut self);
    /// Records an error raised by op `pc` of the native code running for `slot`.
    fn record_error(&mut self, slot: u64, pc: usize, message: String);
    /// Records an error that belongs at the caller's call site (the callee has no frame
    /// yet): the caller's `trace` supplies the place.
    fn record_error_at_caller(&mut self, message: String);
    /// A call at op `pc` of `slot` failed: adds the frame to the pending error's chain.
    fn trace_frame(&mut self, slot: u64, pc: u64);
    /// Whether the run must stop; the VM takes the request (one request stops one run),
    /// a worker leaves its loop's flag set for the others.
    fn take_stop(&mut self) -> bool;
    /// Runs the `prange` loop of op `pc` (ext `i`) of `slot`; returns the status.
    fn run_par_for(&mut self, ctx: *mut Ctx, slot: u64, pc: u64, bs: u64, ba: u64, i: usize) -> u64;
    /// A call into `slot`, which has no native code, as the `depth`-th active frame;
    /// returns the status.
    fn call_without_code(&mut self, bs: u64, ba: u64, slot: u64, depth: u64) -> u64;
}

/// The host behind a context.
///
/// # Safety
/// `ctx` must be the context of native code running now on this thread: the VM's (whose
/// `call_native` set `ctx.interp` and holds no borrow of the VM while the native code
/// runs) or a worker's (`Worker::run_part` set `ctx.worker` likewise), so this is the
/// only live reference to its host.
unsafe fn host_of<'a>(ctx: *mut Ctx) -> &'a mut dyn Host {
    // SAFETY: per this function's contract. The `'static` is never observed: the
    // reference does not outlive the helper call.
    unsafe {
        let worker = (*ctx).worker;
        if worker.is_null() {
            &mut *((*ctx).interp as *mut Vm<'static>)
        } else {
            &mut *(worker as *mut super::parallel::Worker)
        }
    }
}

/// Runs a helper's body; a panic (a bug in nvm) must not unwind through native frames, so
/// it becomes an nk runtime error ("internal error") and status 1.
fn guard(ctx: *mut Ctx, f: impl FnOnce() -> u64) -> u64 {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(status) => status,
        Err(_) => {
            // SAFETY: as in `exec_op`; the panicking body's borrow of the host ended
            // when it unwound.
            let h = unsafe { host_of(ctx) };
            h.record_error_at_caller("internal error in nvm's runtime (a bug, please report it)".into());
            1
        }
    }
}

/// `H_EXEC_OP`: runs one bytecode op the interpreter's way on the frame in memory.
extern "C" fn exec_op(ctx: *mut Ctx, bs: u64, ba: u64, slot: u64, pc: u64) -> u64 {
    guard(ctx, || exec_op_inner(ctx, slot, pc, bs, ba))
}

fn exec_op_inner(ctx: *mut Ctx, slot: u64, pc: u64, bs: u64, ba: u64) -> u64 {
    // SAFETY: called only by native code, which passes the context it was given.
    let h = unsafe { host_of(ctx) };
    // The bytecode is borrowed from the slot, not cloned (this is native code's slow path
    // for every op it does not inline): the op runs on the machine alone, which cannot
    // change the table.
    let (bc, m) = h.parts(slot);
    let r = match bc.code[pc as usize] {
        Op::Ext { i } if matches!(bc.ext[i as usize], Ext::ParFor { .. }) => {
            return h.run_par_for(ctx, slot, pc, bs, ba, i as usize);
        }
        _ => m.exec_single(bc, pc as usize, bs as usize, ba as usize),
    };
    h.refresh_ctx();
    match r {
        Ok(()) => 0,
        Err(m) => {
            h.record_error(slot, pc as usize, m);
            1
        }
    }
}

/// `H_ENTER`: the prologue's slow path: too deep, or the register files need to grow.
extern "C" fn enter(ctx: *mut Ctx, bs: u64, ba: u64, slot: u64, depth: u64) -> u64 {
    guard(ctx, || enter_inner(ctx, slot, bs, ba, depth))
}

fn enter_inner(ctx: *mut Ctx, slot: u64, bs: u64, ba: u64, depth: u64) -> u64 {
    // SAFETY: as in `exec_op`.
    let h = unsafe { host_of(ctx) };
    // SAFETY: `ctx` is valid (see above); plain reads of two words.
    let (max, limit) = unsafe { ((*ctx).max_depth, (*ctx).stack_limit) };
    let here = &depth as *const u64 as u64; // this helper's frame: below the caller's
    let ok = depth <= max && here >= limit && {
        let (bc, m) = h.parts(slot);
        let (n_s, n_a) = (bc.n_s, bc.n_a);
        m.grow(bs as usize + n_s + 1, ba as usize + n_a + 1)
    };
    h.refresh_ctx();
    if !ok {
        h.record_error_at_caller(stack_overflow_message());
        1
    } else if h.take_stop() {
        h.record_error_at_caller(crate::interp::INTERRUPTED.to_string());
        1
    } else {
        0
    }
}

/// `H_TRACE`: a call at op `pc` failed; add this frame to the error's chain.
extern "C" fn trace(ctx: *mut Ctx, slot: u64, pc: u64) {
    // SAFETY: as in `exec_op`.
    unsafe { host_of(ctx) }.trace_frame(slot, pc);
}

/// `H_INTERRUPTED`: the run was asked to stop at a loop back-edge of op `pc`.
extern "C" fn interrupted(ctx: *mut Ctx, slot: u64, pc: u64) -> u64 {
    guard(ctx, || {
        // SAFETY: as in `exec_op`.
        let h = unsafe { host_of(ctx) };
        // Consumed by the run it stops (so one request stops one run).
        h.take_stop();
        h.record_error(slot, pc as usize, crate::interp::INTERRUPTED.to_string());
        1
    })
}

/// `H_FUSE`: see `abi::H_FUSE`.
extern "C" fn fuse(ctx: *mut Ctx, ba: u64, packed: u64, dst: u64) -> i64 {
    // A panic here (a bug) must not unwind into native code: fall back to the slow path.
    std::panic::catch_unwind(|| fuse_inner(ctx, ba, packed, dst)).unwrap_or(-1)
}

/// Whether a fused loop may write its result into the array its result register holds
/// when nothing else can see that array (lever 4 of issue 15: no allocation, no zeroing).
const FUSE_REUSE: bool = true;

/// The array register file of the host behind `ctx`.
///
/// # Safety
/// As [`host_of`].
unsafe fn arrays_of<'a>(ctx: *mut Ctx) -> &'a mut Vec<Option<crate::runtime::ArrayRef>> {
    // SAFETY: per this function's contract.
    &mut unsafe { host_of(ctx) }.machine().a
}

fn fuse_inner(ctx: *mut Ctx, ba: u64, packed: u64, dst: u64) -> i64 {
    use crate::vocab::Prim;
    // SAFETY: as in `exec_op`.
    let regs = unsafe { arrays_of(ctx) };
    let n = ((packed >> 56) & 7) as usize;
    let Some(&elem) = Prim::ALL.get(((packed >> 59) & 7) as usize) else {
        return -1;
    };
    let held = (packed >> 62) & 1;
    let mut shape: Option<Vec<usize>> = None;
    for k in 0..n.min(4) {
        let r = ((packed >> (14 * k)) & 0x3fff) as usize;
        let Some(Some(a)) = regs.get(ba as usize + r) else {
            return -1;
        };
        if a.elem() != elem || !a.is_contiguous() {
            return -1;
        }
        match &shape {
            None => shape = Some(a.shape().to_vec()),
            Some(s) if s.as_slice() == a.shape() => {}
            Some(_) => return -1,
        }
    }
    let Some(shape) = shape else { return -1 };
    let Some(slot) = regs.get_mut(ba as usize + dst as usize) else {
        return -1;
    };
    // The register's array is dead after this statement if no one else holds it or its
    // storage (native code's own reference, `held`, aside): the loop may overwrite it. It
    // may be one of the inputs — each element is read before its own position is written.
    if let Some(old) = slot {
        if FUSE_REUSE
            && Rc::strong_count(old) as u64 == 1 + held
            && Rc::strong_count(old.storage()) == 1
            && !old.storage().is_lent()
            && old.elem() == elem
            && old.shape() == shape.as_slice()
            && old.is_contiguous()
        {
            return old.size() as i64;
        }
    }
    let dims: Vec<i64> = shape.iter().map(|&d| d as i64).collect();
    // Out of memory: the operations then run one by one and report it as the interpreter does.
    let Ok(out) = crate::runtime::Array::zeros(elem, &dims) else {
        return -1;
    };
    let size = out.size();
    *slot = Some(Rc::new(out));
    size as i64
}

/// `H_VIEW`: see `abi::H_VIEW`.
extern "C" fn view(ctx: *mut Ctx, ba: u64, packed: u64, x: u64, y: u64) -> u64 {
    // A panic here (a bug) must not unwind into native code: take the interpreter's path.
    std::panic::catch_unwind(|| view_inner(ctx, ba, packed, x, y)).unwrap_or(1)
}

/// The source and destination array registers of a `packed` word (`abi::H_VIEW`, `H_COPY`,
/// `H_COPY_SLICE`): its low two 16-bit fields, in the frame at `ba`.
fn packed_regs(ba: u64, packed: u64) -> (usize, usize) {
    let src = ba as usize + (packed & 0xffff) as usize;
    let dst = ba as usize + ((packed >> 16) & 0xffff) as usize;
    (src, dst)
}

/// The view a `packed` word names (`abi::H_VIEW`): bit 32 a range (bits 33 and 34: its
/// bounds `x`, `y` given), else the row `x`.
fn packed_view(packed: u64, x: u64, y: u64) -> FastView {
    let bit = |k: u32| (packed >> k) & 1 == 1;
    if bit(32) {
        FastView::Range(bit(33).then_some(x as i64), bit(34).then_some(y as i64))
    } else {
        FastView::Row(x as i64)
    }
}

/// Register `dst` takes `made`; the array it held goes back to the thread's pool.
fn put_made(regs: &mut [Option<crate::runtime::ArrayRef>], dst: usize, made: crate::runtime::ArrayRef) {
    if let Some(old) = regs[dst].replace(made) {
        crate::runtime::array::recycle(old);
    }
}

fn view_inner(ctx: *mut Ctx, ba: u64, packed: u64, x: u64, y: u64) -> u64 {
    // SAFETY: as in `exec_op`.
    let regs = unsafe { arrays_of(ctx) };
    let (src, dst) = packed_regs(ba, packed);
    let v = packed_view(packed, x, y);
    let Some(Some(a)) = regs.get(src) else {
        return 1;
    };
    let Some(layout) = a.fast_view_layout(v) else {
        return 1;
    };
    if put_view(regs, src, dst, layout) {
        0
    } else {
        1
    }
}

/// `H_COPY`: see `abi::H_COPY`.
extern "C" fn copy(ctx: *mut Ctx, ba: u64, packed: u64) -> u64 {
    // A panic here (a bug) must not unwind into native code: take the interpreter's path.
    std::panic::catch_unwind(|| copy_inner(ctx, ba, packed)).unwrap_or(1)
}

fn copy_inner(ctx: *mut Ctx, ba: u64, packed: u64) -> u64 {
    // SAFETY: as in `exec_op`.
    let regs = unsafe { arrays_of(ctx) };
    let (src, dst) = packed_regs(ba, packed);
    let made = match regs.get(src) {
        Some(Some(a)) if dst < regs.len() => a.copy_ref(),
        _ => return 1,
    };
    put_made(regs, dst, made);
    0
}

/// `H_COPY_SLICE`: see `abi::H_COPY_SLICE`.
extern "C" fn copy_slice(ctx: *mut Ctx, ba: u64, packed: u64, x: u64, y: u64) -> u64 {
    // A panic here (a bug) must not unwind into native code: take the interpreter's path.
    std::panic::catch_unwind(|| copy_slice_inner(ctx, ba, packed, x, y)).unwrap_or(1)
}

fn copy_slice_inner(ctx: *mut Ctx, ba: u64, packed: u64, x: u64, y: u64) -> u64 {
    // SAFETY: as in `exec_op`.
    let regs = unsafe { arrays_of(ctx) };
    let (src, dst) = packed_regs(ba, packed);
    let v @ FastView::Range(..) = packed_view(packed, x, y) else {
        return 1;
    };
    let made = match regs.get(src) {
        Some(Some(a)) if dst < regs.len() => match a.copy_of_view(v) {
            Some(c) => c,
            None => return 1,
        },
        _ => return 1,
    };
    put_made(regs, dst, made);
    0
}

/// Table entry for slots that are not native: runs the callee in the interpreter (after
/// resolving it, which may compile it to native code — then that runs instead).
extern "C" fn call_interp(ctx: *mut Ctx, bs: u64, ba: u64, slot: u64, depth: u64) -> u64 {
    // SAFETY: as in `exec_op`.
    guard(ctx, || unsafe { host_of(ctx) }.call_without_code(bs, ba, slot, depth))
}

impl Host for Vm<'static> {
    fn parts(&mut self, slot: u64) -> (&CompiledFn, &mut Machine<'static>) {
        match &self.table[slot as usize] {
            Slot::Native(bc, _) | Slot::Interp(bc) => (bc, &mut self.m),
            Slot::Unresolved => unreachable!("native code runs only for resolved slots"),
        }
    }

    fn machine(&mut self) -> &mut Machine<'static> {
        &mut self.m
    }

    fn refresh_ctx(&mut self) {
        self.sync_ctx();
    }

    fn record_error(&mut self, slot: u64, pc: usize, message: String) {
        let bc = self.running_bytecode(slot);
        self.raise_native(&bc, pc, message);
    }

    fn record_error_at_caller(&mut self, message: String) {
        self.raise_at_caller(message);
    }

    fn trace_frame(&mut self, slot: u64, pc: u64) {
        let bc = self.running_bytecode(slot);
        let span = bc.spans.at(pc as usize);
        let name = self.prog.funcs[bc.func as usize].name.clone();
        if let Some(e) = &mut self.native.pending {
            if self.native.pending_at_caller {
                e.span = span;
                self.native.pending_at_caller = false;
            }
            e.chain.push((name, span));
        }
    }

    fn take_stop(&mut self) -> bool {
        self.interrupt_flag()
            .swap(false, std::sync::atomic::Ordering::Relaxed)
    }

    fn run_par_for(&mut self, ctx: *mut Ctx, slot: u64, pc: u64, bs: u64, ba: u64, i: usize) -> u64 {
        let bc = self.running_bytecode(slot);
        // SAFETY: `ctx` is this VM's context, valid while its native code runs; a plain
        // read of one word.
        let depth = unsafe { (*ctx).depth };
        // The loop's frame stored its own depth there just before this call: the frames
        // active with the loop's own, as the interpreter passes them.
        let r = self.par_for(&bc, i, pc as usize, bs as usize, ba as usize, depth as usize);
        self.sync_ctx();
        match r {
            Ok(()) => 0,
            Err(mut e) => {
                // The body's frame stands for this one: this frame adds nothing.
                e.chain.reverse();
                self.native.pending = Some(e);
                self.native.pending_at_caller = false;
                1
            }
        }
    }

    fn call_without_code(&mut self, bs: u64, ba: u64, slot: u64, depth: u64) -> u64 {
        // `depth` counts the callee; `enter_from_native` takes the frames outside it.
        let outside = depth.saturating_sub(1) as usize;
        let r = self.enter_from_native(slot as u32, bs as usize, ba as usize, outside);
        self.sync_ctx();
        match r {
            Ok(()) => 0,
            Err(()) => 1,
        }
    }
}

impl Vm<'_> {
    /// The bytecode of the native code running for `slot`. (A slot is re-patched only
    /// when none of its frames is active, so the slot's code is the running code.)
    fn running_bytecode(&self, slot: u64) -> Rc<CompiledFn> {
        match &self.table[slot as usize] {
            Slot::Native(bc, _) | Slot::Interp(bc) => bc.clone(),
            Slot::Unresolved => unreachable!("native code runs only for resolved slots"),
        }
    }

    /// Points the context at the current register files and tables.
    pub(super) fn sync_ctx(&mut self) {
        let c = self.native.ctx.as_ptr();
        // SAFETY: `self.native.ctx` is this interpreter's own live allocation; no other
        // reference to it exists while these plain stores run.
        unsafe {
            point_at(&mut *c, &mut self.m);
            (*c).table = self.native.entries.as_ptr();
            (*c).links = self.native.links.as_ptr();
            (*c).helpers = self.native.helpers.as_ptr();
        }
    }

    /// Sets the context's stack limit for the current thread (an engine, and its `Vm`,
    /// may move between threads between calls; each thread's limit is computed once).
    fn set_stack_limit(&mut self) {
        let limit = thread_stack_limit();
        let c = self.native.ctx.as_ptr();
        // SAFETY: this interpreter's own context; a plain write.
        unsafe { (*c).stack_limit = limit };
    }

    /// Records an error raised by op `pc` of a native function (innermost frame first).
    fn raise_native(&mut self, bc: &CompiledFn, pc: usize, message: String) {
        let span = bc.spans.at(pc);
        let name = self.prog.funcs[bc.func as usize].name.clone();
        self.native.pending = Some(RuntimeError {
            message,
            span,
            chain: vec![(name, span)],
        });
        self.native.pending_at_caller = false;
    }

    /// Records an error that belongs at the caller's call site (the callee has no frame
    /// yet): the caller's `trace` supplies the place.
    fn raise_at_caller(&mut self, message: String) {
        self.native.pending = Some(RuntimeError {
            message,
            span: Span::default(),
            chain: vec![],
        });
        self.native.pending_at_caller = true;
    }

    /// Calls the native code of `slot` on the frame at (`bs`, `ba`), with `depth` nk
    /// frames active outside it. On error the result's chain is innermost-first and its
    /// span may be the caller's to fill (`pending_at_caller`).
    pub(super) fn call_native(
        &mut self,
        slot: u32,
        bs: usize,
        ba: usize,
        depth: usize,
    ) -> Result<(), RuntimeError> {
        let Slot::Native(_, entry) = &self.table[slot as usize] else {
            return Err(RuntimeError {
                message: "internal: slot has no native code".into(),
                span: Span::default(),
                chain: vec![],
            });
        };
        let entry = *entry;
        self.sync_ctx();
        self.set_stack_limit();
        let c = self.native.ctx.as_ptr();
        // SAFETY: `c` is this interpreter's context. The pointer to `self` stays valid
        // for the call: `self` is borrowed mutably here and not touched until it returns,
        // so the helpers' `interp_of` is the only access meanwhile.
        let status = unsafe {
            (*c).interp = self as *mut Vm<'_> as *mut c_void;
            // The frame bases are inside the files (the caller's window), and `entry` is
            // native code compiled for this program's slots and helpers.
            entry(c, bs as u64, ba as u64, slot as u64, depth as u64 + 1)
        };
        if status == 0 {
            return Ok(());
        }
        Err(self.native.pending.take().unwrap_or_else(|| RuntimeError {
            message: "internal: native code failed without an error".into(),
            span: Span::default(),
            chain: vec![],
        }))
    }

    /// A call from native code into a slot that has no native code (yet).
    pub(super) fn enter_from_native(
        &mut self,
        slot: u32,
        bs: usize,
        ba: usize,
        depth: usize,
    ) -> Result<(), ()> {
        if depth > MAX_CALL_DEPTH {
            self.raise_at_caller(stack_overflow_message());
            return Err(());
        }
        let bc = match self.resolve(slot) {
            Ok(bc) => bc,
            Err(e) => {
                self.raise_at_caller(e.to_string());
                return Err(());
            }
        };
        self.note_call(slot);
        if matches!(self.table[slot as usize], Slot::Native(..)) {
            return match self.call_native(slot, bs, ba, depth) {
                Ok(()) => Ok(()),
                Err(e) => {
                    self.native.pending = Some(e);
                    Err(())
                }
            };
        }
        if !self.m.grow(bs + bc.n_s + 1, ba + bc.n_a + 1) {
            self.raise_at_caller(stack_overflow_message());
            return Err(());
        }
        match self.run(bc, bs, ba, depth) {
            Ok(()) => Ok(()),
            Err(mut e) => {
                // `run` gives the chain outermost first; native frames add theirs after.
                e.chain.reverse();
                self.native.pending = Some(e);
                self.native.pending_at_caller = false;
                Err(())
            }
        }
    }
}
