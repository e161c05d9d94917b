//! The interpreter tier: runs bytecode compiled from the typed IR.
//!
//! Every nk call goes through the indirection table (`table`), one slot per
//! specialization. A slot starts `Unresolved`; the first call resolves it (compiles the
//! specialization's bytecode) and patches the slot, so later calls go straight to the
//! code. The next tiers patch the same slots with native code.
//!
//! Invariants: nk calls never recurse on the Rust stack (frames are a `Vec`, the depth is
//! bounded and reported as "recursion too deep"); no nk error panics or aborts — it
//! becomes a `RuntimeError` with the message and the chain of nk calls.

pub mod bytecode;
mod compile;
mod native;
mod values;

use crate::ir::ops::Prim;
use crate::ir::{FuncId, Program};
use crate::jit::abi::{Ctx, NativeFn, N_HELPERS};
use crate::runtime::ops as rops;
use crate::runtime::random::Rng;
use crate::runtime::{Array, InPlace, RtError};
use crate::syntax::Span;
use bytecode::{CompiledFn, Ext, Op, PrintArg};
use std::io::Write;
use std::ptr::NonNull;
use std::rc::Rc;
use std::time::Instant;

pub use native::stack_overflow_message;
pub use values::Value;

/// Deepest nk call nesting before "stack overflow" (checked at each call, in both tiers).
pub const MAX_CALL_DEPTH: usize = 20_000;
/// Largest register file (in 8-byte words, per file); deeper recursion through large frames
/// is "recursion too deep" rather than an allocation failure.
const MAX_STACK_WORDS: usize = 1 << 25;

pub type ARef = Rc<Array>;

/// What a table slot points at.
#[derive(Clone)]
pub enum Slot {
    /// Not called yet: the first call compiles and patches.
    Unresolved,
    Interp(Rc<CompiledFn>),
    /// Compiled by Cranelift (the bytecode stays for slow paths and error locations).
    Native(Rc<CompiledFn>, NativeFn),
}

/// Set to stop running nk code: every loop iteration in both tiers checks it and ends
/// the run with the runtime error [`INTERRUPTED`]. `Interp::call` clears it on entry.
pub static INTERRUPT: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
/// The message of an interrupted run.
pub const INTERRUPTED: &str = "interrupted";

/// Which tier runs a specialization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    /// Everything in the interpreter.
    Interp,
    /// Everything compiled by Cranelift before its first call.
    Jit,
    /// Start interpreted; compile a function when it has a loop (at its first call) or
    /// after `jit_calls` calls.
    Auto,
}

/// How the tiers are chosen.
#[derive(Debug, Clone, Copy)]
pub struct TierPolicy {
    pub tier: Tier,
    /// Calls after which `Auto` compiles a loop-free function.
    pub jit_calls: u32,
}

/// Default of [`TierPolicy::jit_calls`] (also `NVM_JIT_CALLS`, `--jit-calls`).
pub const DEFAULT_JIT_CALLS: u32 = 50;

impl Default for TierPolicy {
    fn default() -> Self {
        TierPolicy {
            tier: Tier::Auto,
            jit_calls: DEFAULT_JIT_CALLS,
        }
    }
}

/// A runtime error: the message, where it happened, and the nk call chain (outermost
/// first) as (function name, call-site span).
#[derive(Debug, Clone)]
pub struct RuntimeError {
    pub message: String,
    pub span: Span,
    pub chain: Vec<(String, Span)>,
}

struct Frame {
    f: Rc<CompiledFn>,
    /// Where to continue in this frame's code.
    pc: usize,
    base_s: usize,
    base_a: usize,
}

/// Counters shown by `--stats`.
#[derive(Debug, Default, Clone)]
pub struct Stats {
    /// Calls run by the interpreter.
    pub calls: u64,
    /// Specializations lowered to bytecode (every one that ran).
    pub compiled: u64,
    /// Specializations compiled to native code by Cranelift.
    pub native: u64,
    /// Specializations whose native code was loaded from the code heap.
    pub loaded: u64,
    /// The code heap's counters (when there is a heap).
    pub heap: Option<crate::heap::HeapStats>,
    /// Time spent in Cranelift, and the machine code it produced.
    pub native_ns: u64,
    pub native_bytes: u64,
    /// Specializations Cranelift could not compile, with the reason (they stay interpreted).
    pub not_compiled: Vec<(String, String)>,
}

pub struct Interp<'p> {
    prog: Rc<Program>,
    table: Vec<Slot>,
    s: Vec<u64>,
    a: Vec<Option<ARef>>,
    rng: Rng,
    out: Box<dyn Write + 'p>,
    pub stats: Stats,
    policy: TierPolicy,
    /// Calls per slot while interpreted (`Auto` compiles past `jit_calls`).
    hot: Vec<u32>,
    /// Slots Cranelift refused (never retried).
    refused: Vec<bool>,
    /// The native entry of every slot, mirrored from `table` (`ctx.table` points here).
    entries: Vec<usize>,
    /// The link vector of every slot's native code (0 for none; `ctx.links` points here).
    links: Vec<usize>,
    helpers: Box<[usize; N_HELPERS]>,
    /// The context native code runs with (owned; freed in `Drop`).
    ctx: NonNull<Ctx>,
    jit: Option<crate::jit::Jit>,
    /// Where compiled code is kept between runs (opened with the compiler, whose
    /// fingerprint names the heap's folder).
    heap_root: Option<std::path::PathBuf>,
    heap: Option<crate::heap::CodeHeap>,
    /// Every native function compiled, by code id (kept alive while the interpreter is).
    native: Vec<native::NativeCode>,
    /// An error recorded by native code on its way out (chain innermost first).
    pending: Option<RuntimeError>,
    /// The pending error's place is the call site of the frame that `trace`s it first.
    pending_at_caller: bool,
    /// Functions of the embedding program, by `Builtin::Host` index.
    hosts: Vec<HostFn>,
    /// This interpreter's stop flag, if not the process-wide [`INTERRUPT`] (`ctx.interrupt`
    /// points into it, so it lives as long as the interpreter).
    interrupt: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
}

/// An interpreter's own stop flag, or else the process-wide [`INTERRUPT`] (a free function
/// so `run` can borrow it beside other fields).
fn stop_flag(
    own: &Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
) -> &std::sync::atomic::AtomicBool {
    own.as_deref().unwrap_or(&INTERRUPT)
}

/// A function of the embedding program as the interpreter calls it: nk values in (already
/// of the registered parameter types), an nk value or an error message out.
pub type HostFn = Rc<dyn Fn(&[Value]) -> Result<Value, String>>;

impl Drop for Interp<'_> {
    fn drop(&mut self) {
        // SAFETY: `ctx` came from `Box::into_raw` in `with_policy` and is freed only here.
        drop(unsafe { Box::from_raw(self.ctx.as_ptr()) });
    }
}

impl<'p> Interp<'p> {
    /// An interpreter that interprets everything.
    pub fn new(prog: Rc<Program>, out: Box<dyn Write + 'p>) -> Self {
        Self::with_policy(
            prog,
            out,
            TierPolicy {
                tier: Tier::Interp,
                jit_calls: DEFAULT_JIT_CALLS,
            },
        )
    }

    pub fn with_policy(prog: Rc<Program>, out: Box<dyn Write + 'p>, policy: TierPolicy) -> Self {
        let n = prog.funcs.len();
        let ctx = Box::new(Ctx {
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
            interrupt: &INTERRUPT as *const std::sync::atomic::AtomicBool as *const u8,
            interp: std::ptr::null_mut(),
        });
        Interp {
            prog,
            table: vec![Slot::Unresolved; n],
            s: Vec::new(),
            a: Vec::new(),
            rng: Rng::new(crate::runtime::random::DEFAULT_SEED),
            out,
            stats: Stats::default(),
            policy,
            hot: vec![0; n],
            refused: vec![false; n],
            entries: vec![native::interp_entry(); n],
            links: vec![0; n],
            helpers: Box::new(native::helper_table()),
            ctx: NonNull::from(Box::leak(ctx)),
            jit: None,
            heap_root: None,
            heap: None,
            native: Vec::new(),
            pending: None,
            pending_at_caller: false,
            hosts: Vec::new(),
            interrupt: None,
        }
    }

    /// The bytecode of a specialization (compiling it if needed), for the inspector.
    pub fn bytecode(&mut self, id: FuncId) -> Result<Rc<CompiledFn>, String> {
        self.resolve(id)
    }

    /// Keeps compiled code in the code heap under `root` (and loads it from there).
    pub fn use_code_heap(&mut self, root: std::path::PathBuf) {
        self.heap_root = Some(root);
    }

    /// Which tier `slot` is in: "not called yet", "interpreter" or "native".
    pub fn slot_tier(&self, slot: FuncId) -> &'static str {
        match self.table.get(slot as usize) {
            Some(Slot::Native(..)) => "native",
            Some(Slot::Interp(_)) => "interpreter",
            _ => "not called yet",
        }
    }

    /// The code heap's counters, if there is a heap.
    pub fn heap_stats(&self) -> Option<crate::heap::HeapStats> {
        self.heap.as_ref().map(|h| h.stats.clone())
    }

    /// Resolves specialization `id` as its first call would (bytecode; native code per
    /// the tier policy, from the heap or by compiling it) without running it: `nvm build`.
    pub fn prepare(&mut self, id: FuncId) -> Result<(), String> {
        self.resolve(id).map(|_| ())
    }

    /// The code heap's problems met so far (damaged entries, unwritable folder).
    pub fn heap_warnings(&mut self) -> Vec<String> {
        self.heap
            .as_mut()
            .map(|h| std::mem::take(&mut h.warnings))
            .unwrap_or_default()
    }

    /// The compiler, created on first use; opens the code heap with it.
    fn jit(&mut self) -> Result<&mut crate::jit::Jit, String> {
        if self.jit.is_none() {
            let j = crate::jit::Jit::new()?;
            if let Some(root) = &self.heap_root {
                self.heap = Some(crate::heap::CodeHeap::open(root, j.fingerprint()));
            }
            self.jit = Some(j);
        }
        Ok(self.jit.as_mut().expect("just set"))
    }

    fn resolve(&mut self, id: FuncId) -> Result<Rc<CompiledFn>, String> {
        match &self.table[id as usize] {
            Slot::Interp(f) | Slot::Native(f, _) => return Ok(f.clone()),
            Slot::Unresolved => {}
        }
        let f = compile_bytecode(&self.prog, id)?;
        let f = Rc::new(f);
        self.stats.compiled += 1;
        self.table[id as usize] = Slot::Interp(f.clone());
        // Native code already in the heap is used at once, in any tier but `interp`.
        if self.policy.tier != Tier::Interp && self.heap_root.is_some() && self.load_native(id) {
            return Ok(f);
        }
        let early = match self.policy.tier {
            Tier::Interp => false,
            Tier::Jit => true,
            // A loop may run long: compiling at the first call means it never runs
            // interpreted (measured against on-stack replacement in BENCHMARKS.md).
            Tier::Auto => has_loop(&f),
        };
        if early {
            self.tier_up(id);
        }
        Ok(f)
    }

    /// Counts an interpreted call of `slot`; past the threshold, compiles it.
    fn note_call(&mut self, slot: FuncId) {
        if self.policy.tier == Tier::Auto && matches!(self.table[slot as usize], Slot::Interp(_)) {
            let h = &mut self.hot[slot as usize];
            *h = h.saturating_add(1);
            if *h > self.policy.jit_calls {
                self.tier_up(slot);
            }
        }
    }

    /// Compiles `slot`'s bytecode with Cranelift and patches the slot; on failure the
    /// function stays interpreted and the reason goes to the stats.
    fn tier_up(&mut self, slot: FuncId) {
        let Slot::Interp(bc) = &self.table[slot as usize] else {
            return;
        };
        if self.refused[slot as usize] {
            return;
        }
        let bc = bc.clone();
        let start = Instant::now();
        let prog = self.prog.clone();
        let r = self.jit().and_then(|j| j.compile(&prog, &bc, false));
        self.stats.native_ns += start.elapsed().as_nanos() as u64;
        match r {
            Ok(code) => {
                self.stats.native += 1;
                let fingerprint = self.fingerprint();
                if let Some(heap) = &mut self.heap {
                    let key = crate::heap::key::key_for(&prog, &bc, &fingerprint);
                    let callees: Vec<String> = code
                        .callees
                        .iter()
                        .map(|&c| crate::heap::key::identity(&prog, c))
                        .collect();
                    let name = &prog.funcs[slot as usize].name;
                    heap.store(&key, code.code.bytes(), name, &callees);
                }
                self.install(slot, bc, code.code);
            }
            Err(reason) => {
                self.refused[slot as usize] = true;
                let name = self.prog.funcs[slot as usize].name.clone();
                self.stats.not_compiled.push((name, reason));
            }
        }
    }

    fn fingerprint(&self) -> [u8; 16] {
        self.jit.as_ref().map_or([0; 16], |j| j.fingerprint())
    }

    /// Loads `slot`'s native code from the code heap if it is there; true if it was.
    fn load_native(&mut self, slot: FuncId) -> bool {
        let Slot::Interp(bc) = &self.table[slot as usize] else {
            return false;
        };
        let bc = bc.clone();
        if self.jit().is_err() {
            return false;
        }
        let key = crate::heap::key::key_for(&self.prog, &bc, &self.fingerprint());
        let Some(bytes) = self.heap.as_mut().and_then(|h| h.load(&key)) else {
            return false;
        };
        match crate::jit::code_memory::CodeMemory::new(&bytes) {
            Ok(code) => {
                self.stats.loaded += 1;
                self.install(slot, bc, code);
                true
            }
            Err(_) => false,
        }
    }

    /// Makes `code` (compiled from `bc`) the slot's native code: links its callees to
    /// this program's slots and patches the table.
    fn install(
        &mut self,
        slot: FuncId,
        bc: Rc<CompiledFn>,
        code: crate::jit::code_memory::CodeMemory,
    ) {
        let entry = code.entry();
        perf_map(
            &self.prog.funcs[slot as usize].name,
            entry as usize,
            code.len(),
        );
        self.stats.native_bytes += code.len() as u64;
        let links: Box<[u64]> = crate::heap::key::callees_of(&bc)
            .iter()
            .map(|&c| c as u64)
            .collect();
        self.links[slot as usize] = links.as_ptr() as usize;
        self.native.push(native::NativeCode { links, code });
        self.entries[slot as usize] = entry as usize;
        self.table[slot as usize] = Slot::Native(bc, entry);
    }

    /// Compiles specialization `id` (bytecode, then Cranelift) and returns its Cranelift
    /// IR and disassembly, for the inspector.
    pub fn native_listing(&mut self, id: FuncId) -> Result<(String, String), String> {
        let bc = self.resolve(id)?;
        let prog = self.prog.clone();
        let c = self.jit()?.compile(&prog, &bc, true)?;
        Ok((c.clif.unwrap_or_default(), c.asm.unwrap_or_default()))
    }

    /// Points `slot` at other code: how tier-up, recompilation and REPL redefinition
    /// will replace a function. Every caller sees the new code on its next call.
    pub fn patch_slot(&mut self, slot: FuncId, code: Rc<CompiledFn>) {
        self.table[slot as usize] = Slot::Interp(code);
        self.entries[slot as usize] = native::interp_entry();
    }

    /// The functions `Builtin::Host(i)` calls (index = position in `Loaded::hosts`).
    pub fn set_hosts(&mut self, hosts: Vec<HostFn>) {
        self.hosts = hosts;
    }

    /// Polls `flag` instead of [`INTERRUPT`] at loop back-edges (an embedder's own stop
    /// request or time budget, which then concerns this interpreter only).
    pub fn set_interrupt_flag(&mut self, flag: std::sync::Arc<std::sync::atomic::AtomicBool>) {
        let p = std::sync::Arc::as_ptr(&flag) as *const u8;
        // SAFETY: `ctx` is owned by this interpreter (see `Drop`) and no native code runs
        // while `&mut self` is held; the Arc is kept in `self.interrupt`, so the pointer
        // native code reads stays valid as long as the context.
        unsafe { (*self.ctx.as_ptr()).interrupt = p };
        self.interrupt = Some(flag);
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

    /// The stop flag loops poll.
    fn interrupt_flag(&self) -> &std::sync::atomic::AtomicBool {
        stop_flag(&self.interrupt)
    }

    pub fn flush(&mut self) {
        let _ = self.out.flush();
    }

    /// Calls specialization `id` with `args` and returns its result. Whatever happens, no
    /// value of the call is left in the register files afterwards (the engine relies on it
    /// to end the loan of an embedder's array).
    pub fn call(&mut self, id: FuncId, args: &[Value]) -> Result<Value, RuntimeError> {
        let r = self.call_inner(id, args);
        self.clear_registers();
        r
    }

    /// Drops every value in the register files (after a call, also one that panicked).
    pub fn clear_registers(&mut self) {
        self.s.clear();
        self.a.clear();
    }

    fn call_inner(&mut self, id: FuncId, args: &[Value]) -> Result<Value, RuntimeError> {
        let prog = self.prog.clone();
        let func = &prog.funcs[id as usize];
        self.interrupt_flag()
            .store(false, std::sync::atomic::Ordering::Relaxed);
        let err_at = |message: String| RuntimeError {
            message,
            span: func.span,
            chain: vec![],
        };
        let f = self.resolve(id).map_err(err_at)?;
        // Lay the arguments out as the callee's window at the bottom of the stacks.
        self.s.clear();
        self.a.clear();
        self.s.resize(f.n_s + 1, 0);
        self.a.resize(f.n_a + 1, None);
        let (mut ns, mut na) = (0usize, 0usize);
        for v in args {
            v.write_leaves(&mut self.s, &mut self.a, &mut ns, &mut na);
        }
        if matches!(self.table[id as usize], Slot::Native(..)) {
            self.call_native(id, 0, 0, 0).map_err(|mut e| {
                e.chain.reverse();
                if self.pending_at_caller {
                    e.span = func.span;
                }
                e
            })?;
        } else {
            self.run(f, 0, 0, 0)?;
        }
        let ret = self.prog.funcs[id as usize].ret.clone();
        let (mut ns, mut na) = (0usize, 0usize);
        Ok(Value::read_leaves(&ret, &self.s, &self.a, &mut ns, &mut na))
    }

    fn error(&self, frames: &[Frame], cur: &Frame, pc: usize, message: String) -> RuntimeError {
        let name = |f: &CompiledFn| self.prog.funcs[f.func as usize].name.clone();
        let span_at = |f: &CompiledFn, pc: usize| f.spans.get(pc).copied().unwrap_or_default();
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

    /// The dispatch loop. `pc`, the code and the frame bases live in locals; the frame
    /// stack is touched only at calls and returns. The entry frame is at (`bs`, `ba`) and
    /// `depth_base` nk frames are active outside this run.
    fn run(
        &mut self,
        entry: Rc<CompiledFn>,
        bs: usize,
        ba: usize,
        depth_base: usize,
    ) -> Result<(), RuntimeError> {
        let mut frames: Vec<Frame> = Vec::new();
        let mut cur = Frame {
            f: entry,
            pc: 0,
            base_s: bs,
            base_a: ba,
        };
        let threshold = match self.policy.tier {
            Tier::Auto => self.policy.jit_calls,
            _ => u32::MAX,
        };
        loop {
            // Runs calls and returns itself; comes back only for what needs `self`.
            let step = exec(
                &mut self.s,
                &mut self.a,
                &mut frames,
                &mut cur,
                Env {
                    table: &self.table,
                    calls: &mut self.stats.calls,
                    hot: &mut self.hot,
                    threshold,
                    depth_base,
                    interrupt: stop_flag(&self.interrupt),
                },
            );
            match step {
                Ok(Transfer::Done) => return Ok(()),
                Ok(Transfer::Native { slot, ws, wa }) => {
                    let (nbs, nba) = (cur.base_s + ws as usize, cur.base_a + wa as usize);
                    let depth = depth_base + frames.len() + 1;
                    if let Err(mut e) = self.call_native(slot, nbs, nba, depth) {
                        // The interpreted frames come first, then the native ones.
                        let outer = self.error(&frames, &cur, cur.pc - 1, String::new());
                        if self.pending_at_caller {
                            e.span = outer.span;
                            self.pending_at_caller = false;
                        }
                        e.chain.reverse();
                        let mut chain = outer.chain;
                        chain.extend(e.chain);
                        e.chain = chain;
                        return Err(e);
                    }
                }
                Ok(Transfer::TierUp { slot }) => {
                    // Hot: compile, then re-run the Call (now native, or counted afresh).
                    self.hot[slot as usize] = 0;
                    self.tier_up(slot);
                    cur.pc -= 1;
                }
                Ok(Transfer::Ext { i }) => {
                    let f: &CompiledFn = &cur.f;
                    if let Err(m) = self.exec_ext(f, i as usize, cur.base_s, cur.base_a) {
                        return Err(self.error(&frames, &cur, cur.pc - 1, m));
                    }
                }
                Ok(Transfer::Resolve { slot }) => {
                    // First call through this slot: compile, patch, then re-run the Call.
                    if let Err(m) = self.resolve(slot) {
                        return Err(self.error(&frames, &cur, cur.pc - 1, m));
                    }
                    cur.pc -= 1;
                }
                Ok(Transfer::TooDeep) => {
                    let msg = stack_overflow_message();
                    return Err(self.error(&frames, &cur, cur.pc - 1, msg));
                }
                Err(m) => return Err(self.error(&frames, &cur, cur.pc - 1, m)),
            }
        }
    }

    fn exec_ext(&mut self, f: &CompiledFn, i: usize, bs: usize, ba: usize) -> Result<(), String> {
        let s = &mut self.s;
        let a = &mut self.a;
        let get_a = |a: &Vec<Option<ARef>>, r: u16| -> Result<ARef, String> {
            a[ba + r as usize]
                .clone()
                .ok_or_else(|| "internal: empty array register".to_string())
        };
        match &f.ext[i] {
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
                let spec = values::slice_spec(index, s, bs);
                let r = get_a(a, *arr)?.slice(&spec).map_err(|e| e.msg)?;
                a[ba + *dst as usize] = Some(Rc::new(r));
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
            Ext::Builtin { b, args, dst } => {
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
}

/// The dispatch loop. Runs bytecode — calls and returns included — until an `Ext` op, a
/// call through an unresolved slot, the end of the entry frame, or an error; each of those
/// goes back to `Interp::run`, with `cur.pc` just after the op concerned. `pc`, the code
/// and the frame's register slices live in locals between calls.
fn exec(
    s: &mut Vec<u64>,
    a: &mut Vec<Option<ARef>>,
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
        // SAFETY: `f` passed `bytecode::verify` when it was compiled (see `Interp::resolve`),
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
                match &af[$x as usize] {
                    Some(arr) => arr,
                    None => {
                        cur.pc = pc;
                        return Err("internal: empty array register".to_string());
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
                Op::MovA { dst, src } => af[dst as usize] = af[src as usize].clone(),
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
                    r!(dst) = tryrt!(rops::int_floordiv(r!(x) as i64, r!(y) as i64)) as u64
                }
                Op::ModI { dst, a: x, b: y } => {
                    r!(dst) = tryrt!(rops::int_mod(r!(x) as i64, r!(y) as i64)) as u64
                }
                Op::PowI { dst, a: x, b: y } => {
                    r!(dst) = tryrt!(rops::int_pow(r!(x) as i64, r!(y) as i64)) as u64
                }
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
                Op::PowF { dst, a: x, b: y } => r!(dst) = fr!(x).powf(fr!(y)).to_bits(),
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
                Op::I2F { dst, a: x } => r!(dst) = (r!(x) as i64 as f64).to_bits(),
                Op::F2I { dst, a: x } => r!(dst) = rops::f64_to_i64(fr!(x)) as u64,
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
                } => {
                    let (iv, ev, sv) = (r!(i) as i64, r!(end) as i64, r!(step) as i64);
                    if sv == 0 {
                        cur.pc = pc;
                        return Err("range() step must not be zero".to_string());
                    }
                    if !((sv > 0 && iv < ev) || (sv < 0 && iv > ev)) {
                        jump!(target)
                    }
                }
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
                Op::ALoad1 { dst, arr: x, i } => r!(dst) = tryrt!(arr!(x).get1(r!(i) as i64)),
                Op::ALoad2 { dst, arr: x, i, j } => {
                    r!(dst) = tryrt!(arr!(x).get2(r!(i) as i64, r!(j) as i64))
                }
                Op::ALoad3 { dst, arr: x, idx } => {
                    let ix = [r!(idx) as i64, r!(idx + 1) as i64, r!(idx + 2) as i64];
                    r!(dst) = tryrt!(arr!(x).get(&ix))
                }
                Op::AStore1 { arr: x, i, src } => {
                    tryrt!(arr!(x).set1(r!(i) as i64, r!(src)))
                }
                Op::AStore2 { arr: x, i, j, src } => {
                    tryrt!(arr!(x).set2(r!(i) as i64, r!(j) as i64, r!(src)))
                }
                Op::AStore3 { arr: x, idx, src } => {
                    let ix = [r!(idx) as i64, r!(idx + 1) as i64, r!(idx + 2) as i64];
                    tryrt!(arr!(x).set(&ix, r!(src)))
                }
                Op::Len { dst, arr: x } => r!(dst) = arr!(x).len() as u64,
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
                    for k in 0..na as usize {
                        af[k] = af[ra as usize + k].take();
                    }
                    // Release the frame's other arrays now, not when reused.
                    for slot in &mut af[na as usize..] {
                        *slot = None;
                    }
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
                if s.len() < nbs + callee.n_s + 1 || a.len() < nba + callee.n_a + 1 {
                    let (need_s, need_a) = (nbs + callee.n_s + 1, nba + callee.n_a + 1);
                    // Deep recursion through big frames: an nk error, not an abort.
                    if need_s > MAX_STACK_WORDS || need_a > MAX_STACK_WORDS {
                        return Ok(Transfer::TooDeep);
                    }
                    if s.len() < need_s {
                        s.resize(need_s.max(s.len() * 2).min(MAX_STACK_WORDS), 0);
                    }
                    if a.len() < need_a {
                        a.resize(need_a.max(a.len() * 2).min(MAX_STACK_WORDS), None);
                    }
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

/// With `NVM_PERF_MAP` set, names compiled code for `perf` (`/tmp/perf-PID.map`).
fn perf_map(name: &str, addr: usize, size: usize) {
    if std::env::var_os("NVM_PERF_MAP").is_some() {
        let path = format!("/tmp/perf-{}.map", std::process::id());
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
            let _ = writeln!(f, "{addr:x} {size:x} nk::{name}");
        }
        // The bytes too, for `objdump -D -b binary -mi386:x86-64 --adjust-vma=ADDR`.
        // SAFETY: `addr..addr + size` is the code just copied into a live mapping.
        let bytes = unsafe { std::slice::from_raw_parts(addr as *const u8, size) };
        let _ = std::fs::write(
            format!("/tmp/perf-{}-{addr:x}.bin", std::process::id()),
            bytes,
        );
    }
}

/// What the dispatch loop needs besides the frames.
struct Env<'a> {
    table: &'a [Slot],
    calls: &'a mut u64,
    hot: &'a mut [u32],
    /// Interpreted calls of one slot after which to tier up (`u32::MAX`: never).
    threshold: u32,
    /// nk frames active outside this run (for the depth limit).
    depth_base: usize,
    /// Polled at every backward jump.
    interrupt: &'a std::sync::atomic::AtomicBool,
}

/// Whether the bytecode has a loop (a jump backwards).
fn has_loop(f: &CompiledFn) -> bool {
    f.code
        .iter()
        .enumerate()
        .any(|(pc, op)| op.jump_target().is_some_and(|t| t as usize <= pc))
}

/// How the inner dispatch loop left the current frame.
enum Switch {
    Call { slot: FuncId, ws: u16, wa: u16 },
    Ret,
}

/// Why the dispatch loop returned to `Interp::run`.
enum Transfer {
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

// Keep the hot instruction compact: a size regression here slows every program.
const _: () = assert!(std::mem::size_of::<Op>() <= 12);

/// Lowers specialization `id` to verified bytecode.
pub fn compile_bytecode(prog: &Program, id: FuncId) -> Result<CompiledFn, String> {
    let f = compile::compile(prog, id)?;
    // The dispatch loop's unchecked register access relies on this check.
    bytecode::verify(&f)?;
    Ok(f)
}

/// Parses a command-line argument for a `main` parameter of type `p`.
pub fn parse_main_arg(p: Prim, text: &str) -> Option<Value> {
    match p {
        Prim::I64 => text
            .parse::<i64>()
            .ok()
            .map(|v| Value::S(rops::Scalar::I64(v))),
        Prim::F64 => text
            .parse::<f64>()
            .ok()
            .map(|v| Value::S(rops::Scalar::F64(v))),
        Prim::Bool => match text {
            "true" => Some(Value::S(rops::Scalar::Bool(true))),
            "false" => Some(Value::S(rops::Scalar::Bool(false))),
            _ => None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loader::load_source;

    fn program(src: &str) -> Program {
        let loaded = load_source("t.nk", src.to_string(), None).expect("loads");
        crate::types::check_program(&loaded).expect("checks")
    }

    fn find(p: &Program, name: &str) -> FuncId {
        p.funcs
            .iter()
            .position(|f| f.name == name)
            .expect("specialization exists") as FuncId
    }

    #[test]
    fn calls_go_through_the_slot_so_patching_it_redirects_every_caller() {
        let p = program(
            "fn one() -> i64 { return 1; }\nfn two() -> i64 { return 2; }\n\
             fn twice() -> i64 { return one() + one(); }\nprint(twice(), two());",
        );
        let mut out = Vec::new();
        let mut it = Interp::new(Rc::new(p.clone()), Box::new(&mut out));
        let twice = find(&p, "twice()");
        let v = it.call(twice, &[]).expect("runs");
        assert_eq!(v.format(), "2");
        // Patch `one`'s slot with `two`'s code: the already-compiled caller follows.
        let two_code = it.bytecode(find(&p, "two()")).expect("compiles");
        it.patch_slot(find(&p, "one()"), two_code);
        let v = it.call(twice, &[]).expect("runs");
        assert_eq!(v.format(), "4");
    }

    #[test]
    fn each_specialization_is_compiled_once_however_often_it_is_called() {
        let p = program(
            "fn sq(x) { return x * x; }\nfn many(n: i64) -> i64 { let s = 0; \
             for i in 0..n { s += sq(i); } return s; }\nprint(many(100), sq(2.0));",
        );
        let mut out = Vec::new();
        let mut it = Interp::new(Rc::new(p.clone()), Box::new(&mut out));
        it.call(p.script, &[]).expect("runs");
        drop(it);
        assert_eq!(String::from_utf8(out).unwrap(), "328350 4.0\n");
        // <script>, many(i64), sq(i64), sq(f64): four slots resolved, one compile each.
        let mut out = Vec::new();
        let mut it = Interp::new(Rc::new(p.clone()), Box::new(&mut out));
        it.call(p.script, &[]).expect("runs");
        assert_eq!(it.stats.compiled, 4);
        assert_eq!(it.stats.calls, 102);
    }

    fn with_tier(p: &Program, tier: Tier, jit_calls: u32) -> Interp<'static> {
        Interp::with_policy(
            Rc::new(p.clone()),
            Box::new(std::io::sink()),
            TierPolicy { tier, jit_calls },
        )
    }

    #[test]
    fn patching_a_slot_redirects_native_callers_too() {
        let p = program(
            "fn one() -> i64 { return 1; }\nfn two() -> i64 { return 2; }\n\
             fn twice() -> i64 { return one() + one(); }\nprint(twice(), two());",
        );
        let mut it = with_tier(&p, Tier::Jit, 0);
        let twice = find(&p, "twice()");
        assert_eq!(it.call(twice, &[]).expect("runs").format(), "2");
        assert!(matches!(it.table[twice as usize], Slot::Native(..)));
        assert_eq!(it.stats.native, 2, "twice and one compiled by Cranelift");
        // `twice` is native code; it calls `one` through the table, so patching `one`'s
        // slot (here with `two`'s bytecode) changes what `twice` computes.
        let two_code = it.bytecode(find(&p, "two()")).expect("compiles");
        it.patch_slot(find(&p, "one()"), two_code);
        assert_eq!(it.call(twice, &[]).expect("runs").format(), "4");
    }

    #[test]
    fn error_chains_are_the_same_across_mixed_tiers() {
        // `mid` has a loop (native at once in auto mode); `outer` and `inner` stay
        // interpreted: the chain crosses interpreter → native → interpreter.
        let src = "fn inner(a) { return a[5]; }\n\
                   fn mid(a) { let s = 0.0; for i in 0..2 { s += inner(a); } return s; }\n\
                   fn outer() { return mid(zeros(3)); }\nprint(outer());";
        let p = program(src);
        let chain = |tier| {
            let mut it = with_tier(&p, tier, 1000);
            let e = it.call(p.script, &[]).unwrap_err();
            let names: Vec<String> = e.chain.iter().map(|(n, _)| n.clone()).collect();
            (e.message, e.span, names, it.stats.native)
        };
        let (msg, span, names, native) = chain(Tier::Interp);
        assert_eq!(native, 0);
        assert_eq!(msg, "index 5 is out of bounds for axis 0 with size 3");
        assert_eq!(
            names,
            vec!["<script>", "outer()", "mid(f64[])", "inner(f64[])"]
        );
        for tier in [Tier::Auto, Tier::Jit] {
            let (m, sp, n, native) = chain(tier);
            assert!(native > 0, "{tier:?} compiled something");
            assert_eq!((&m, sp, &n), (&msg, span, &names), "{tier:?}");
        }
    }

    #[test]
    fn deep_recursion_is_a_stack_overflow_error_in_native_code() {
        let p = program("fn down(n: i64) -> i64 { return down(n + 1) + 1; }\nprint(down(0));");
        let run = |tier, stack: usize| {
            let p = p.clone();
            std::thread::Builder::new()
                .stack_size(stack)
                .spawn(move || {
                    let e = with_tier(&p, tier, 5).call(p.script, &[]).unwrap_err();
                    (e.message, e.chain.len())
                })
                .unwrap()
                .join()
                .expect("no crash")
        };
        for tier in [Tier::Jit, Tier::Auto, Tier::Interp] {
            // On a big stack the depth limit is reached first: the script frame plus
            // MAX_CALL_DEPTH frames of `down`, in every tier.
            let (msg, frames) = run(tier, 256 << 20);
            assert!(msg.starts_with("stack overflow"), "{tier:?}: {msg}");
            assert_eq!(frames, MAX_CALL_DEPTH + 1, "{tier:?}");
            // On a small one native code stops at the end of the thread's stack: the
            // same error, earlier, and never a signal.
            let (msg, frames) = run(tier, 1 << 20);
            assert!(msg.starts_with("stack overflow"), "{tier:?}: {msg}");
            assert!(frames > 100, "{tier:?}: only {frames} frames");
        }
    }

    #[test]
    fn runtime_errors_carry_the_nk_call_chain() {
        let p = program(
            "fn inner(a) { return a[5]; }\nfn outer() { return inner(zeros(3)); }\nprint(outer());",
        );
        let mut out = Vec::new();
        let mut it = Interp::new(Rc::new(p.clone()), Box::new(&mut out));
        let e = it.call(p.script, &[]).unwrap_err();
        assert_eq!(e.message, "index 5 is out of bounds for axis 0 with size 3");
        let names: Vec<&str> = e.chain.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, vec!["<script>", "outer()", "inner(f64[])"]);
    }
}
