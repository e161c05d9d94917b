//! The virtual machine: the one place that joins the interpreter, the Cranelift tier and
//! the code heap (they never import each other).
//!
//! Every nk call goes through the indirection table (`table`), one slot per
//! specialization. A slot starts `Unresolved`; the first call resolves it (lowers the
//! specialization to bytecode, loads its native code from the heap or compiles it as the
//! tier policy says) and patches the slot, so later calls go straight to the code.
//! Tier-up, recompilation and redefinition patch the same slot. `bridge` holds the native
//! side: the context, the helpers native code calls, and calls between the tiers.

mod bridge;
mod parallel;

use crate::bytecode::{BytecodeError, CompiledFn};
use crate::interp::{error, exec, Env, Frame, HostFn, Machine, Slot, Transfer, Value};
use crate::interp::stack_overflow_message;
use crate::ir::{FuncId, Program};
use crate::jit::JitError;
use crate::runtime::RuntimeError;
use std::io::Write;
use std::rc::Rc;
use std::time::Instant;

pub use crate::interp::INTERRUPTED;

/// Set to stop running nk code: every loop iteration in both tiers checks it and ends
/// the run with the runtime error [`INTERRUPTED`]. The run that sees it clears it (a
/// request made between calls stops the next call: it is never lost).
pub static INTERRUPT: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

pub use crate::options::{Options, Tier, TierPolicy, DEFAULT_JIT_CALLS};

/// Why the VM could not give a specialization's code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VmError {
    Bytecode(BytecodeError),
    Jit(JitError),
}

impl std::fmt::Display for VmError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VmError::Bytecode(e) => e.fmt(f),
            VmError::Jit(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for VmError {}

impl From<BytecodeError> for VmError {
    fn from(e: BytecodeError) -> Self {
        VmError::Bytecode(e)
    }
}

impl From<JitError> for VmError {
    fn from(e: JitError) -> Self {
        VmError::Jit(e)
    }
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
    /// Time spent in Cranelift, whichever thread ran it.
    pub native_ns: u64,
    /// Time the running thread spent compiling, or waiting for a compile thread's code:
    /// what the run itself lost to compilation (less than `native_ns` when compile threads
    /// worked ahead, and the difference between wall time and the program's own time).
    pub compile_wait_ns: u64,
    /// Bytes of machine code installed (compiled or loaded).
    pub native_bytes: u64,
    /// Specializations Cranelift could not compile, with the reason (they stay interpreted).
    pub not_compiled: Vec<(String, String)>,
    /// The CLI's run image: `"hit"` (nothing was parsed or checked), `"miss"` (checked,
    /// image written) or `None` (no image: no heap, a script from stdin, the engine).
    pub image: Option<&'static str>,
    /// The wall time of each call of `main` (`nvm run --repeat N` calls it N times), in
    /// nanoseconds; empty when the program has no `main`.
    pub main_ns: Vec<u64>,
}

pub struct Vm<'p> {
    prog: Rc<Program>,
    /// The interpreter: register files, output, RNG, host functions.
    m: Machine<'p>,
    table: Vec<Slot>,
    pub stats: Stats,
    policy: TierPolicy,
    /// Calls per slot while interpreted (`Auto` compiles past `jit_calls`).
    hot: Vec<u32>,
    /// Slots Cranelift refused (never retried).
    refused: Vec<bool>,
    /// The native side: the context compiled code runs with and what it points at, the
    /// installed code, the error native code records on its way out.
    native: bridge::Native,
    jit: Option<crate::jit::Jit>,
    /// Where compiled code is kept between runs (opened with the compiler, whose
    /// fingerprint names the heap's folder).
    heap_root: Option<std::path::PathBuf>,
    heap: Option<crate::heap::CodeHeap>,
    /// Name compiled code for `perf` ([`Options::perf_map`]).
    perf_map: bool,
    /// Print optimized Cranelift IR when compiling ([`Options::dump_opt`]).
    dump_opt: bool,
    /// This interpreter's stop flag, if not the process-wide [`INTERRUPT`] (`ctx.interrupt`
    /// points into it, so it lives as long as the interpreter).
    interrupt: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
    /// Bytecode made before the VM (a run image's, or lowered with it), taken by each
    /// slot's first resolution instead of lowering the IR ([`Vm::with_bytecode`]).
    preset: Vec<Option<Rc<CompiledFn>>>,
    /// The program's pack in the code heap ([`Vm::with_pack`]): which one, and its
    /// functions not yet installed (by slot; read when the heap is opened).
    pack_id: Option<crate::heap::pack::PackId>,
    pack: Vec<Option<PackFn>>,
    /// Whether the run installed native code the pack did not give (the pack is then
    /// written again by [`Vm::save_pack`]).
    pack_outdated: bool,
    /// The heap key of each slot's installed native code (for the pack).
    keys: Vec<Option<crate::heap::Key>>,
    /// Compile threads ([`Options::compile_threads`]; under [`Tier::Jit`] only), started
    /// by the first compile that queues work for them, with the program's signatures
    /// they compile against.
    pool: Option<(crate::jit::pool::CompilePool, std::sync::Arc<Program>)>,
    compile_threads: usize,
    /// Worker threads of `prange` loops ([`Options::threads`], 0 resolved to the cores).
    threads: usize,
    /// Per slot: already considered for the compile threads (queued, or found in the code
    /// heap, or not compilable).
    ahead: Vec<bool>,
    /// Bytecode lowered when its slot was queued, taken by the slot's first resolution.
    lowered: Vec<Option<Rc<CompiledFn>>>,
}

/// A function of the program's pack, already in executable memory.
struct PackFn {
    key: crate::heap::Key,
    code: crate::jit::code_memory::CodeMemory,
}

/// An interpreter's own stop flag, or else the process-wide [`INTERRUPT`] (a free function
/// so `run` can borrow it beside other fields).
fn stop_flag(
    own: &Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
) -> &std::sync::atomic::AtomicBool {
    own.as_deref().unwrap_or(&INTERRUPT)
}

impl<'p> Vm<'p> {
    /// An interpreter that interprets everything (for tests).
    #[cfg(test)]
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

    /// An interpreter with this tier policy and otherwise [`Options::default`]: no code
    /// heap, no `perf` map (for tests).
    #[cfg(test)]
    pub fn with_policy(prog: Rc<Program>, out: Box<dyn Write + 'p>, policy: TierPolicy) -> Self {
        Self::with_options(
            prog,
            out,
            &Options {
                policy,
                ..Options::default()
            },
        )
    }

    /// An interpreter set up by `opts`: its tier policy, its code heap (compiled code is
    /// kept in and loaded from `cache_dir`), `perf_map` and `dump_opt`. The module path
    /// concerns loading only and is not used here.
    pub fn with_options(prog: Rc<Program>, out: Box<dyn Write + 'p>, opts: &Options) -> Self {
        let n = prog.funcs.len();
        Vm {
            prog,
            table: vec![Slot::Unresolved; n],
            m: Machine::new(out),
            stats: Stats::default(),
            policy: opts.policy,
            hot: vec![0; n],
            refused: vec![false; n],
            native: bridge::Native::new(n),
            jit: None,
            heap_root: opts.cache_dir.clone(),
            heap: None,
            perf_map: opts.perf_map,
            dump_opt: opts.dump_opt,
            interrupt: None,
            preset: Vec::new(),
            pack_id: None,
            pack: Vec::new(),
            pack_outdated: false,
            keys: vec![None; n],
            pool: None,
            compile_threads: match opts.compile_threads {
                0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
                n => n,
            },
            threads: match opts.threads {
                0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
                n => n,
            },
            ahead: vec![false; n],
            lowered: vec![None; n],
        }
    }

    /// Uses the code heap's pack `id` (see `heap::pack`) for the slots whose bytecode
    /// came from [`Vm::with_bytecode`] — the run image `id` names; other slots never take
    /// code from it. [`Vm::save_pack`] writes it again if the run needed more.
    pub fn with_pack(mut self, id: crate::heap::pack::PackId) -> Self {
        self.pack_id = Some(id);
        self
    }

    /// Stores an entry for every installed native code whose entry is missing from the
    /// heap or damaged (deleted, removed by `gc`, or unreadable, while the program's pack
    /// still held its code):
    /// `nvm build` leaves every function it built in the heap, where other programs find it.
    pub fn publish_missing_entries(&mut self) {
        let Some(heap) = self.heap.as_mut() else {
            return;
        };
        for slot in 0..self.table.len() {
            let (Some(key), Some(code), Slot::Native(bc, _)) = (
                self.keys[slot],
                self.native.code(slot as FuncId),
                &self.table[slot],
            ) else {
                continue;
            };
            if heap.holds(&key) {
                continue;
            }
            let callees: Vec<String> = bc
                .callees()
                .iter()
                .map(|&c| crate::heap::key::identity(&self.prog, c))
                .collect();
            heap.store(&key, code.bytes(), &self.prog.funcs[slot].name, &callees);
        }
    }

    /// Writes the program's pack if this run installed native code the pack did not hold
    /// (it had none, a stale or damaged one, or fewer functions): every function native
    /// now, and those of the old pack not used this time.
    pub fn save_pack(&mut self) {
        let (Some(id), Some(heap)) = (self.pack_id, self.heap.as_mut()) else {
            return;
        };
        if !self.pack_outdated {
            return;
        }
        let mut funcs: Vec<(u32, crate::heap::Key, &[u8])> = Vec::new();
        for slot in 0..self.table.len() {
            let (Some(key), Some(code)) = (self.keys[slot], self.native.code(slot as FuncId)) else {
                continue;
            };
            funcs.push((slot as u32, key, code.bytes()));
        }
        for (slot, p) in self.pack.iter().enumerate() {
            if let Some(p) = p {
                funcs.push((slot as u32, p.key, p.code.bytes()));
            }
        }
        funcs.sort_by_key(|f| f.0);
        heap.store_pack(&id, &funcs);
        self.pack_outdated = false;
    }

    /// Gives the VM each slot's bytecode up front (by slot; `bytecode[i].func == i`): a
    /// slot's first resolution takes it instead of lowering the slot's IR, so the program
    /// may be one whose functions have signatures but no bodies (the CLI's run image).
    pub fn with_bytecode(mut self, bytecode: Vec<Rc<CompiledFn>>) -> Self {
        debug_assert!(bytecode.iter().enumerate().all(|(i, f)| f.func as usize == i));
        self.preset = bytecode.into_iter().map(Some).collect();
        self
    }

    /// The bytecode of a specialization (compiling it if needed), for the inspector.
    pub fn bytecode(&mut self, id: FuncId) -> Result<Rc<CompiledFn>, BytecodeError> {
        self.resolve(id)
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
    pub fn prepare(&mut self, id: FuncId) -> Result<(), BytecodeError> {
        self.resolve(id).map(|_| ())
    }

    /// The code heap's problems met so far (damaged entries, unwritable folder).
    pub fn heap_warnings(&mut self) -> Vec<String> {
        self.heap
            .as_mut()
            .map(|h| std::mem::take(&mut h.warnings))
            .unwrap_or_default()
    }

    /// The compiler, created on first use; opens the code heap with it (and reads the
    /// program's pack).
    fn jit(&mut self) -> Result<&mut crate::jit::Jit, JitError> {
        if self.jit.is_none() {
            let j = crate::jit::Jit::new(self.dump_opt)?;
            if let Some(root) = &self.heap_root {
                let mut heap = crate::heap::CodeHeap::open(root, j.fingerprint());
                if let Some(id) = &self.pack_id {
                    self.pack = read_pack(&mut heap, id, self.prog.funcs.len());
                    // No pack (or a stale one) is written at the end of the run.
                    self.pack_outdated = self.pack.is_empty();
                }
                self.heap = Some(heap);
            }
            self.jit = Some(j);
        }
        Ok(self.jit.as_mut().expect("just set"))
    }

    fn resolve(&mut self, id: FuncId) -> Result<Rc<CompiledFn>, BytecodeError> {
        match &self.table[id as usize] {
            Slot::Interp(f) | Slot::Native(f, _) => return Ok(f.clone()),
            Slot::Unresolved => {}
        }
        let (f, preset) = match self.preset.get_mut(id as usize).and_then(Option::take) {
            Some(f) => (f, true),
            None => match self.lowered.get_mut(id as usize).and_then(Option::take) {
                Some(f) => (f, false),
                None => (Rc::new(crate::bytecode::compile(&self.prog, id)?), false),
            },
        };
        self.stats.compiled += 1;
        self.place(id, f.clone(), preset);
        Ok(f)
    }

    /// Makes `f` the code of slot `id` in the tier the policy wants for it (interpreted,
    /// native code from the heap, or compiled now). `preset`: `f` is the bytecode
    /// [`Vm::with_bytecode`] gave, which the pack's code was compiled from.
    fn place(&mut self, id: FuncId, f: Rc<CompiledFn>, preset: bool) {
        self.table[id as usize] = Slot::Interp(f.clone());
        self.native.uninstall(id);
        self.keys[id as usize] = None;
        self.hot[id as usize] = 0;
        self.refused[id as usize] = false;
        // Native code already in the heap is used at once, in any tier but `interp`.
        if self.policy.tier != Tier::Interp
            && self.heap_root.is_some()
            && self.load_native(id, preset)
        {
            return;
        }
        let early = match self.policy.tier {
            Tier::Interp => false,
            Tier::Jit => true,
            // A loop may run long: compiling at the first call means it never runs
            // interpreted (measured against on-stack replacement in BENCHMARKS.md).
            Tier::Auto => f.has_loop(),
        };
        if early {
            self.compile_ahead(&f);
            self.tier_up(id);
        }
    }

    /// Under [`Tier::Jit`] with compile threads: queues every function `f` may call,
    /// directly or not, that is not resolved, queued or in the code heap yet — each will
    /// be compiled when first called, so the threads compile them while this one runs.
    fn compile_ahead(&mut self, f: &CompiledFn) {
        if self.policy.tier != Tier::Jit || self.compile_threads < 2 || self.jit().is_err() {
            return;
        }
        let mut todo = f.callees();
        while let Some(c) = todo.pop() {
            let ci = c as usize;
            if self.ahead[ci] || !matches!(self.table[ci], Slot::Unresolved) {
                continue;
            }
            self.ahead[ci] = true;
            // Its bytecode: the run image's, else lowered now and kept for its first call.
            let preset = self.preset.get(ci).and_then(Clone::clone);
            let bc = match preset.clone() {
                Some(bc) => bc,
                None => match crate::bytecode::compile(&self.prog, c) {
                    Ok(bc) => {
                        let bc = Rc::new(bc);
                        self.lowered[ci] = Some(bc.clone());
                        bc
                    }
                    // Reported when it is called, as without compile threads.
                    Err(_) => continue,
                },
            };
            todo.extend(bc.callees());
            if bc.code.len() > crate::jit::MAX_NATIVE_OPS {
                continue;
            }
            // Code the pack or the heap holds is loaded, not compiled.
            if preset.is_some() && self.pack.get(ci).is_some_and(Option::is_some) {
                continue;
            }
            let fingerprint = self.fingerprint();
            if let Some(heap) = &self.heap {
                let key = crate::heap::key::key_for(&self.prog, &bc, &fingerprint);
                if heap.has_file(&key) {
                    continue;
                }
            }
            let (pool, sigs) = self.pool.get_or_insert_with(|| {
                (
                    crate::jit::pool::CompilePool::new(self.compile_threads, self.dump_opt),
                    std::sync::Arc::new(self.prog.signatures()),
                )
            });
            pool.submit(c, sigs.clone(), std::sync::Arc::new((*bc).clone()));
        }
    }

    /// Compiles `bc`, slot `slot`'s bytecode: the compile threads' result if it was
    /// queued for them, else compiled here.
    fn compile(&mut self, slot: FuncId, bc: &CompiledFn) -> Result<crate::jit::Compiled, JitError> {
        let start = Instant::now();
        let r = self.compile_here_or_take(slot, bc);
        self.stats.compile_wait_ns += start.elapsed().as_nanos() as u64;
        r
    }

    fn compile_here_or_take(
        &mut self,
        slot: FuncId,
        bc: &CompiledFn,
    ) -> Result<crate::jit::Compiled, JitError> {
        self.jit()?;
        let jit = self.jit.as_mut().expect("just made");
        if let Some((pool, _)) = &self.pool {
            if let Some(outcome) = pool.take(slot, jit) {
                self.stats.native_ns += outcome.nanos;
                return outcome.code?.into_executable();
            }
        }
        let start = Instant::now();
        let r = jit.compile(&self.prog, bc, false);
        self.stats.native_ns += start.elapsed().as_nanos() as u64;
        r
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
        let prog = self.prog.clone();
        match self.compile(slot, &bc) {
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
                    self.keys[slot as usize] = Some(key);
                    self.pack_outdated = true;
                }
                self.install(slot, bc, code.code);
            }
            Err(reason) => {
                self.refused[slot as usize] = true;
                let name = self.prog.funcs[slot as usize].name.clone();
                self.stats.not_compiled.push((name, reason.to_string()));
            }
        }
    }

    fn fingerprint(&self) -> [u8; 16] {
        self.jit.as_ref().map_or([0; 16], |j| j.fingerprint())
    }

    /// Loads `slot`'s native code from the code heap if it is there — from the program's
    /// pack if `preset` (the slot's bytecode is the run image's) and the pack holds it,
    /// else from its entry —; true if it was.
    fn load_native(&mut self, slot: FuncId, preset: bool) -> bool {
        let Slot::Interp(bc) = &self.table[slot as usize] else {
            return false;
        };
        let bc = bc.clone();
        if self.jit().is_err() {
            return false;
        }
        let packed = self.pack.get_mut(slot as usize).and_then(Option::take);
        if let Some(p) = packed.filter(|_| preset) {
            if let Some(h) = self.heap.as_mut() {
                h.stats.hits += 1;
            }
            self.stats.loaded += 1;
            self.keys[slot as usize] = Some(p.key);
            self.install(slot, bc, p.code);
            return true;
        }
        let key = crate::heap::key::key_for(&self.prog, &bc, &self.fingerprint());
        let Some(bytes) = self.heap.as_mut().and_then(|h| h.load(&key)) else {
            return false;
        };
        match crate::jit::code_memory::CodeMemory::new(&bytes) {
            Ok(code) => {
                self.stats.loaded += 1;
                self.keys[slot as usize] = Some(key);
                self.pack_outdated = true;
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
        if self.perf_map {
            perf_map(
                &self.prog.funcs[slot as usize].name,
                entry as usize,
                code.len(),
            );
        }
        self.stats.native_bytes += code.len() as u64;
        let links: Box<[u64]> = bc.callees().iter().map(|&c| c as u64).collect();
        self.native.install(slot, code, links);
        self.table[slot as usize] = Slot::Native(bc, entry);
    }

    /// Compiles specialization `id` (bytecode, then Cranelift) and returns its Cranelift
    /// IR and disassembly, for the inspector.
    pub fn native_listing(&mut self, id: FuncId) -> Result<(String, String), VmError> {
        let bc = self.resolve(id)?;
        let prog = self.prog.clone();
        let c = self.jit()?.compile(&prog, &bc, true)?;
        Ok((c.clif.unwrap_or_default(), c.asm.unwrap_or_default()))
    }

    /// Points `slot` at other code (a redefinition's): every caller, interpreted or
    /// native, sees it on its next call, since calls go through the slot. The code starts
    /// over in the tier the policy gives a new function.
    pub fn patch_slot(&mut self, slot: FuncId, code: Rc<CompiledFn>) {
        self.place(slot, code, false);
    }

    /// The program, read-only.
    pub fn program(&self) -> &Program {
        &self.prog
    }

    /// The program, shared (drop it before [`Vm::program_mut`], or that copies it).
    pub fn program_rc(&self) -> Rc<Program> {
        self.prog.clone()
    }

    /// The program, to add specializations to or replace some in; then call
    /// [`Vm::apply_growth`]. (Not copied: the VM holds the only reference between calls.)
    pub fn program_mut(&mut self) -> &mut Program {
        Rc::make_mut(&mut self.prog)
    }

    /// After the program grew (new specializations get unresolved slots) and/or the IR of
    /// `replaced` changed (their slots are patched with new bytecode if they had code).
    pub fn apply_growth(&mut self, replaced: &[FuncId]) -> Result<(), BytecodeError> {
        let n = self.prog.funcs.len();
        self.table.resize(n, Slot::Unresolved);
        self.hot.resize(n, 0);
        self.refused.resize(n, false);
        self.keys.resize(n, None);
        self.native.grow(n);
        // What was compiled ahead was compiled against the old program.
        self.pool = None;
        self.ahead = vec![false; n];
        self.lowered = vec![None; n];
        for &id in replaced {
            if matches!(self.table[id as usize], Slot::Unresolved) {
                continue;
            }
            let f = Rc::new(crate::bytecode::compile(&self.prog, id)?);
            self.stats.compiled += 1;
            self.patch_slot(id, f);
        }
        Ok(())
    }

    pub fn flush(&mut self) {
        self.m.flush();
    }

    /// The functions `Builtin::Host(i)` calls (index = position in `Loaded::hosts`).
    pub fn set_hosts(&mut self, hosts: Vec<HostFn>) {
        self.m.hosts = hosts;
    }

    /// Polls `flag` instead of [`INTERRUPT`] at loop back-edges (an embedder's own stop
    /// request or time budget, which then concerns this interpreter only).
    pub fn set_interrupt_flag(&mut self, flag: std::sync::Arc<std::sync::atomic::AtomicBool>) {
        // The Arc is kept in `self.interrupt`, so the pointer stays valid as long as the
        // context (which `self.native` owns).
        self.native.set_interrupt(std::sync::Arc::as_ptr(&flag) as *const u8);
        self.interrupt = Some(flag);
    }

    /// The stop flag loops poll.
    fn interrupt_flag(&self) -> &std::sync::atomic::AtomicBool {
        stop_flag(&self.interrupt)
    }

    /// Calls specialization `id` with `args` and returns its result. Whatever happens, no
    /// value of the call is left in the register files afterwards (the engine relies on it
    /// to end the loan of an embedder's array).
    pub fn call(&mut self, id: FuncId, args: &[Value]) -> Result<Value, RuntimeError> {
        let r = self
            .enter(id, |s, a| {
                let (mut ns, mut na) = (0usize, 0usize);
                for v in args {
                    v.write_leaves(s, a, &mut ns, &mut na);
                }
            })
            .map(|()| {
                let (mut ns, mut na) = (0usize, 0usize);
                Value::read_leaves(
                    &self.prog.funcs[id as usize].ret,
                    &self.m.s,
                    &self.m.a,
                    &mut ns,
                    &mut na,
                )
            });
        self.clear_registers();
        r
    }

    /// [`Vm::call`] of a specialization whose parameters and result are scalars, given
    /// and returned as their 64-bit patterns (an embedder's fast path: no `Value`).
    pub fn call_scalars(&mut self, id: FuncId, args: &[u64]) -> Result<u64, RuntimeError> {
        let r = self
            .enter(id, |s, _| {
                if s.len() < args.len() {
                    s.resize(args.len(), 0);
                }
                s[..args.len()].copy_from_slice(args)
            })
            .map(|()| self.m.s.first().copied().unwrap_or(0));
        self.clear_registers();
        r
    }

    /// Drops every value in the register files (after a call, also one that panicked).
    pub fn clear_registers(&mut self) {
        self.m.s.clear();
        self.m.a.clear();
    }

    /// Runs specialization `id` with the arguments `write` lays out as the callee's
    /// window at the bottom of the register files; the result is left at the bottom.
    fn enter(
        &mut self,
        id: FuncId,
        write: impl FnOnce(&mut Vec<u64>, &mut Vec<Option<crate::runtime::ArrayRef>>),
    ) -> Result<(), RuntimeError> {
        // The frame sizes, read in place: an embedder's call of a resolved slot touches no
        // reference count here (it is the engine's hot path).
        let (n_s, n_a) = match &self.table[id as usize] {
            Slot::Native(f, _) | Slot::Interp(f) => (f.n_s, f.n_a),
            Slot::Unresolved => {
                let f = self.resolve(id).map_err(|e| RuntimeError {
                    message: e.to_string(),
                    span: self.prog.funcs[id as usize].span,
                    chain: vec![],
                })?;
                (f.n_s, f.n_a)
            }
        };
        self.m.s.clear();
        self.m.a.clear();
        self.m.s.resize(n_s + 1, 0);
        self.m.a.resize(n_a + 1, None);
        write(&mut self.m.s, &mut self.m.a);
        match &self.table[id as usize] {
            Slot::Native(..) => self.call_native(id, 0, 0, 0).map_err(|mut e| {
                e.chain.reverse();
                if self.native.pending_at_caller {
                    e.span = self.prog.funcs[id as usize].span;
                }
                e
            }),
            Slot::Interp(f) => {
                let f = f.clone();
                self.run(f, 0, 0, 0)
            }
            Slot::Unresolved => unreachable!("resolved above"),
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
                &mut self.m.s,
                &mut self.m.a,
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
                        let outer = error(&self.prog, &frames, &cur, cur.pc - 1, String::new());
                        if self.native.pending_at_caller {
                            e.span = outer.span;
                            self.native.pending_at_caller = false;
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
                Ok(Transfer::Ext { i })
                    if matches!(cur.f.ext[i as usize], crate::bytecode::Ext::ParFor { .. }) =>
                {
                    let f = cur.f.clone();
                    let depth = depth_base + frames.len() + 1;
                    let (bs, ba) = (cur.base_s, cur.base_a);
                    if let Err(mut e) = self.par_for(&f, i as usize, cur.pc - 1, bs, ba, depth) {
                        // The body's frames replace this one's.
                        let mut chain = error(&self.prog, &frames, &cur, cur.pc - 1, String::new()).chain;
                        chain.pop();
                        chain.extend(e.chain);
                        e.chain = chain;
                        return Err(e);
                    }
                }
                Ok(Transfer::Ext { i }) => {
                    let f: &CompiledFn = &cur.f;
                    if let Err(m) = self.m.exec_ext(f, i as usize, cur.base_s, cur.base_a) {
                        return Err(error(&self.prog, &frames, &cur, cur.pc - 1, m));
                    }
                }
                Ok(Transfer::Resolve { slot }) => {
                    // First call through this slot: compile, patch, then re-run the Call.
                    if let Err(e) = self.resolve(slot) {
                        let m = e.to_string();
                        return Err(error(&self.prog, &frames, &cur, cur.pc - 1, m));
                    }
                    cur.pc -= 1;
                }
                Ok(Transfer::TooDeep) => {
                    let msg = stack_overflow_message();
                    return Err(error(&self.prog, &frames, &cur, cur.pc - 1, msg));
                }
                Err(m) => return Err(error(&self.prog, &frames, &cur, cur.pc - 1, m)),
            }
        }
    }
}

/// The functions of `id`'s pack in `heap`, by slot, read straight into executable memory
/// (one mapping, one protection change for all); empty if there is no current pack.
fn read_pack(
    heap: &mut crate::heap::CodeHeap,
    id: &crate::heap::pack::PackId,
    n_slots: usize,
) -> Vec<Option<PackFn>> {
    use crate::jit::code_memory::CodeArea;
    let Some(file) = heap.open_pack(id, n_slots) else {
        return Vec::new();
    };
    let Ok(mut area) = CodeArea::new(file.area_len()) else {
        return Vec::new();
    };
    let Some(info) = heap.read_pack(file, area.bytes_mut()) else {
        return Vec::new();
    };
    let ranges: Vec<(usize, usize)> = info.records.iter().map(|r| (r.offset, r.len)).collect();
    let Ok(codes) = area.publish(&ranges) else {
        return Vec::new();
    };
    let mut pack: Vec<Option<PackFn>> = (0..n_slots).map(|_| None).collect();
    for (r, code) in info.records.iter().zip(codes) {
        pack[r.slot as usize] = Some(PackFn { key: r.key, code });
    }
    pack
}

/// Names compiled code for `perf` (with [`Options::perf_map`]): a line in
/// `/tmp/perf-PID.map`, the place `perf report` looks (so the folder is fixed).
fn perf_map(name: &str, addr: usize, size: usize) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interp::MAX_CALL_DEPTH;
    use crate::loader::load_source;

    pub(super) fn program(src: &str) -> Program {
        let loaded = load_source("t.nk", src.to_string(), None).expect("loads");
        crate::types::check_program(&loaded).expect("checks")
    }

    /// Options that compile every function at its first call.
    pub(super) fn jit_at_first_call() -> Options {
        Options {
            policy: TierPolicy {
                tier: Tier::Jit,
                jit_calls: 0,
            },
            ..Options::default()
        }
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
        let mut it = Vm::new(Rc::new(p.clone()), Box::new(&mut out));
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
        let mut it = Vm::new(Rc::new(p.clone()), Box::new(&mut out));
        it.call(p.script, &[]).expect("runs");
        drop(it);
        assert_eq!(String::from_utf8(out).unwrap(), "328350 4.0\n");
        // <script>, many(i64), sq(i64), sq(f64): four slots resolved, one compile each.
        let mut out = Vec::new();
        let mut it = Vm::new(Rc::new(p.clone()), Box::new(&mut out));
        it.call(p.script, &[]).expect("runs");
        assert_eq!(it.stats.compiled, 4);
        assert_eq!(it.stats.calls, 102);
    }

    fn with_tier(p: &Program, tier: Tier, jit_calls: u32) -> Vm<'static> {
        Vm::with_policy(
            Rc::new(p.clone()),
            Box::new(std::io::sink()),
            TierPolicy { tier, jit_calls },
        )
    }

    /// A program of `n` functions in chains of 10, each chain called from the script.
    fn chains(n: usize) -> String {
        let mut src = String::new();
        for i in 0..n {
            if i % 10 == 0 {
                src += &format!("fn f{i}(x: i64) -> i64 {{ return x + {i}; }}\n");
            } else {
                src += &format!(
                    "fn f{i}(x: i64) -> i64 {{ if x % 2 == 0 {{ return f{}(x // 2) + {i}; }} \
                     return f{}(3 * x + 1) - 1; }}\n",
                    i - 1,
                    i - 1
                );
            }
        }
        let calls: Vec<String> = (9..n).step_by(10).map(|c| format!("f{c}({c})")).collect();
        src + &format!("print({});", calls.join(" + "))
    }

    #[test]
    fn compile_threads_compile_what_the_running_thread_would_with_the_same_result() {
        let p = program(&chains(60));
        let run = |threads: usize| {
            let mut out = Vec::new();
            let mut it = Vm::with_options(
                Rc::new(p.clone()),
                Box::new(&mut out),
                &Options {
                    compile_threads: threads,
                    ..jit_at_first_call()
                },
            );
            it.call(p.script, &[]).expect("runs");
            let native: Vec<_> = (0..p.funcs.len() as FuncId)
                .map(|s| it.slot_tier(s))
                .collect();
            let stats = (it.stats.native, it.stats.compiled, it.stats.native_bytes);
            let bytes: Vec<Vec<u8>> = (0..p.funcs.len() as FuncId)
                .map(|s| it.native.code(s).map(|c| c.bytes().to_vec()).unwrap_or_default())
                .collect();
            let ahead = it.pool.is_some();
            drop(it);
            (String::from_utf8(out).unwrap(), native, stats, bytes, ahead)
        };
        let one = run(1);
        assert!(!one.4, "one thread compiles nothing ahead");
        assert!(one.1.iter().all(|t| *t == "native"), "{:?}", one.1);
        for threads in [2, 3, 8] {
            let many = run(threads);
            assert!(many.4, "{threads} threads compile ahead");
            assert_eq!(one.0, many.0, "output with {threads} threads");
            assert_eq!(one.1, many.1, "tiers with {threads} threads");
            assert_eq!(one.2, many.2, "counts with {threads} threads");
            assert!(one.3 == many.3, "machine code with {threads} threads");
        }
    }

    #[test]
    fn a_queued_function_is_taken_once_with_the_code_the_running_thread_would_make() {
        let p = program(&chains(20));
        let jit = &mut crate::jit::Jit::new(false).expect("native code");
        let sigs = std::sync::Arc::new(p.signatures());
        let f = find(&p, "f5(i64)");
        let bc = crate::bytecode::compile(&p, f).expect("lowers");
        let direct = jit.compile(&p, &bc, false).expect("compiles");
        // With no thread to take the work, `take` compiles it with `jit`; with one, it
        // takes the thread's result or waits for it.
        for threads in [0, 1] {
            let pool = crate::jit::pool::CompilePool::new(threads, false);
            pool.submit(f, sigs.clone(), std::sync::Arc::new(bc.clone()));
            let taken = pool.take(f, jit).expect("submitted").code.expect("compiles");
            assert_eq!(taken.bytes, direct.code.bytes());
            assert!(pool.take(f, jit).is_none(), "taken once");
            assert!(pool.take(find(&p, "f6(i64)"), jit).is_none(), "never submitted");
        }
    }

    #[test]
    fn a_function_too_large_for_the_native_tier_is_interpreted_under_every_tier() {
        // About 3 ops per statement: past the limit, with a small callee that compiles.
        let mut src = String::from("fn inc(x: i64) -> i64 { return x + 1; }\nlet k = 1;\n");
        for i in 0..crate::jit::MAX_NATIVE_OPS / 3 + 100 {
            src += &format!("k = (k * {} + inc({i})) % 1000003;\n", i % 7 + 2);
        }
        src += "print(k);";
        let p = program(&src);
        let run = |tier: Tier| {
            let mut out = Vec::new();
            let mut it = Vm::with_policy(Rc::new(p.clone()), Box::new(&mut out), TierPolicy {
                tier,
                jit_calls: 0,
            });
            it.call(p.script, &[]).expect("runs");
            let tiers = (it.slot_tier(p.script), it.slot_tier(find(&p, "inc(i64)")));
            let refused = it.stats.not_compiled.clone();
            drop(it);
            (String::from_utf8(out).unwrap(), tiers, refused)
        };
        let (interp, ..) = run(Tier::Interp);
        let (jit, tiers, refused) = run(Tier::Jit);
        assert_eq!(interp, jit);
        assert_eq!(tiers, ("interpreter", "native"));
        assert_eq!(refused.len(), 1, "{refused:?}");
        assert!(
            refused[0].1.starts_with("too large for the native tier ("),
            "{refused:?}"
        );
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
                   fn mid(a) { let s = 0.0; for i in 0..20 { s += inner(a); } return s; }\n\
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
    fn the_depth_limit_is_exact_through_calls_between_the_tiers() {
        // `small` compiles; `big` is too large for the native tier (its bulk never runs),
        // so every other frame is a native call into the interpreter (`call_interp`) or
        // back: each passes the depth on, and the limit falls at the same frame as in the
        // interpreter alone.
        let mut src = String::from(
            "fn small(n: i64) -> i64 { return big(n + 1) + 1; }\n\
             fn big(n: i64) -> i64 {\n  let k = n;\n  if n < 0 {\n",
        );
        for i in 0..crate::jit::MAX_NATIVE_OPS / 3 + 100 {
            src += &format!("    k = (k * {} + {i}) % 1000003;\n", i % 7 + 2);
        }
        src += "  }\n  return small(k + 1) + 1;\n}\nprint(small(0));";
        let p = program(&src);
        let run = |tier| {
            let p = p.clone();
            std::thread::Builder::new()
                .stack_size(256 << 20)
                .spawn(move || {
                    let mut out = Vec::new();
                    let mut it = Vm::with_policy(Rc::new(p.clone()), Box::new(&mut out), TierPolicy {
                        tier,
                        jit_calls: 0,
                    });
                    let e = it.call(p.script, &[]).unwrap_err();
                    let tiers = (it.slot_tier(find(&p, "small(i64)")), it.slot_tier(find(&p, "big(i64)")));
                    (e.message, e.chain.len(), tiers)
                })
                .unwrap()
                .join()
                .expect("no crash")
        };
        let (msg, frames, _) = run(Tier::Interp);
        assert!(msg.starts_with("stack overflow"), "{msg}");
        assert_eq!(frames, MAX_CALL_DEPTH + 1);
        let (msg, frames, tiers) = run(Tier::Jit);
        assert_eq!(tiers, ("native", "interpreter"));
        assert!(msg.starts_with("stack overflow"), "{msg}");
        assert_eq!(frames, MAX_CALL_DEPTH + 1);
    }

    #[test]
    fn runtime_errors_carry_the_nk_call_chain() {
        let p = program(
            "fn inner(a) { return a[5]; }\nfn outer() { return inner(zeros(3)); }\nprint(outer());",
        );
        let mut out = Vec::new();
        let mut it = Vm::new(Rc::new(p.clone()), Box::new(&mut out));
        let e = it.call(p.script, &[]).unwrap_err();
        assert_eq!(e.message, "index 5 is out of bounds for axis 0 with size 3");
        let names: Vec<&str> = e.chain.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, vec!["<script>", "outer()", "inner(f64[])"]);
    }
}
