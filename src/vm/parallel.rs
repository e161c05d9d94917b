//! `prange` loops (`Ext::ParFor`): the outlined body called once over the whole range (in
//! order, as the interpreter runs it), or over parts of the range on a pool of threads.
//!
//! What a worker thread touches, and why it is safe:
//! - **Its own** context, register files ([`Machine`]), pending error and output buffer:
//!   it runs native code exactly as the VM's thread does, with the helpers serving the
//!   worker instead of the VM (`bridge::Host`).
//! - **Arrays**: the loop's arrays reach it as handles made for it alone on the VM's thread
//!   before the loop starts (`Array::with_storage` over `Storage::unowned`): fresh `Rc`s
//!   over the same elements, so the views it makes and drops count references in its own
//!   `Rc`s, never in the VM's (whose counts are not atomic). Arrays it makes are its own
//!   and die with its register files, on its thread: no `Rc` crosses threads. Iterations
//!   write distinct elements (the checker forbids assigning an outer variable); two
//!   iterations writing one element race, as in Numba.
//! - **Shared and read-only while the loop runs**: the bytecode and names of the functions
//!   the body can reach, and the VM's slot entries and link vectors. Every one of those
//!   functions is resolved and compiled before the loop starts, so no worker resolves a
//!   slot, tiers one up or patches the table; the VM's thread only waits (and watches the
//!   run's stop flag) until every worker is done.
//! - **Its halt flag**, an atomic byte its native code polls at back-edges: set when a part
//!   before the one it runs fails (parts before a failed one run to their end, so the
//!   error reported, and the output printed before it, are the serial loop's), or by the
//!   VM's thread for all when the run is interrupted (Ctrl-C, a time limit, a memory
//!   limit).
//!
//! A body that draws random numbers or calls a host function runs serially: the random
//! stream and host functions belong to the VM's thread.

use super::bridge::{new_ctx, point_at, thread_stack_limit, Host};
use super::{Tier, Vm};
use crate::abi::{Ctx, NativeFn};
use crate::bytecode::{CompiledFn, Ext};
use crate::interp::{Machine, Slot, INTERRUPTED};
use crate::ir::Builtin;
use crate::runtime::{ops, ArrayRef, MemoryBudget, RuntimeError};
use crate::source::Span;
use crate::vocab::{Prim, Reduce};
use rustc_hash::FxHashMap as HashMap;
use std::cell::RefCell;
use std::ffi::c_void;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// Parts of the range per worker thread: more than one, so a thread that finishes early
/// takes another part (iterations often differ in cost: rows of a Mandelbrot set).
const PARTS_PER_THREAD: usize = 4;

/// Checks of the workers' progress the waiting thread makes before it parks (about 50 µs):
/// parking and waking cost system calls that a short loop would spend most of its time in.
const SPIN_BEFORE_PARK: usize = 20_000;

/// Stack of each worker thread (address space; pages are used only as deep as native
/// frames go). A worker's native frames stop at its own stack limit, like the VM's.
const WORKER_STACK: usize = 64 << 20;

impl Vm<'_> {
    /// Runs the `prange` loop `ext[i]` of `f` (op `pc`), whose frame is at (`bs`, `ba`)
    /// with `depth` nk frames active (its own included). On error the chain is outermost
    /// first and begins with the body's frame, which stands for `f`'s: the loop reports an
    /// error as a serial loop in `f` would.
    pub(super) fn par_for(
        &mut self,
        f: &CompiledFn,
        i: usize,
        pc: usize,
        bs: usize,
        ba: usize,
        depth: usize,
    ) -> Result<(), RuntimeError> {
        let Some(Ext::ParFor {
            slot,
            s,
            a,
            n_s,
            n_a,
            reds,
        }) = f.ext.get(i)
        else {
            unreachable!("par_for runs a ParFor op");
        };
        let (slot, ws, wa) = (*slot, bs + *s as usize, ba + *a as usize);
        let span = f.spans.at(pc);
        let (lo, hi) = (self.m.s[ws] as i64, self.m.s[ws + 1] as i64);
        let n = (hi as i128 - lo as i128).max(0) as u128;
        let threads = (self.threads as u128).min(n) as usize;
        if threads >= 2 && self.policy.tier != Tier::Interp {
            if let Some(code) = self.parallel_code(slot) {
                let window = Window {
                    slot,
                    ws,
                    wa,
                    n_s: *n_s as usize,
                    n_a: *n_a as usize,
                    reds,
                    depth,
                    span,
                };
                return self.run_parallel(&code, &window, lo, n, threads);
            }
        }
        self.call_body(slot, ws, wa, depth, span)
    }

    /// The serial loop: one call of the body over the whole range.
    fn call_body(
        &mut self,
        slot: u32,
        ws: usize,
        wa: usize,
        depth: usize,
        span: Span,
    ) -> Result<(), RuntimeError> {
        if self.enter_from_native(slot, ws, wa, depth).is_ok() {
            return Ok(());
        }
        let e = self.native.pending.take();
        let at_caller = std::mem::take(&mut self.native.pending_at_caller);
        let name = &self.prog.funcs[slot as usize].name;
        let mut e = body_error(e, at_caller, name, span);
        e.chain.reverse();
        Err(e)
    }

    /// Every function the body in `slot` may run, compiled (now, if it was not yet):
    /// their bytecode, names and entries; `None` if one cannot run on a worker (no native
    /// code, or it uses the random stream or a host function).
    fn parallel_code(&mut self, slot: u32) -> Option<HashMap<u32, Code>> {
        let mut code = HashMap::default();
        let mut todo = vec![slot];
        while let Some(s) = todo.pop() {
            if code.contains_key(&s) {
                continue;
            }
            self.resolve(s).ok()?;
            if matches!(self.table[s as usize], Slot::Interp(_)) {
                self.tier_up(s);
            }
            let Slot::Native(bc, entry) = &self.table[s as usize] else {
                return None;
            };
            let serial_only = bc.ext.iter().any(|e| {
                matches!(
                    e,
                    Ext::Builtin {
                        b: Builtin::Rand
                            | Builtin::Randn
                            | Builtin::Random
                            | Builtin::Seed
                            | Builtin::Host(_),
                        ..
                    }
                )
            });
            if serial_only {
                return None;
            }
            todo.extend(bc.callees());
            let name: &str = &self.prog.funcs[s as usize].name;
            code.insert(
                s,
                Code {
                    bc: Rc::as_ptr(bc),
                    name,
                    entry: *entry,
                },
            );
        }
        Some(code)
    }

    /// Runs the loop's `n` iterations from `lo` in parts on `threads` workers, combines
    /// the parts' reductions in range order into the window, and writes their output in
    /// range order.
    fn run_parallel(
        &mut self,
        code: &HashMap<u32, Code>,
        w: &Window,
        lo: i64,
        n: u128,
        threads: usize,
    ) -> Result<(), RuntimeError> {
        // One pool per configured count (a short range uses fewer of its threads).
        let Some(pool) = pool(self.threads) else {
            return self.call_body(w.slot, w.ws, w.wa, w.depth, w.span);
        };
        self.sync_ctx();
        let (table, links, helpers) = self.native.tables();
        let shared = Shared {
            code,
            table,
            links,
            helpers,
            halt: (0..threads).map(|_| AtomicBool::new(false)).collect(),
            current: (0..threads).map(|_| AtomicUsize::new(0)).collect(),
            failed: AtomicUsize::new(usize::MAX),
            interrupted: AtomicBool::new(false),
            panicked: AtomicBool::new(false),
        };
        let parts = (threads * PARTS_PER_THREAD).min(n.min(usize::MAX as u128) as usize);
        let bounds = |k: usize| lo.wrapping_add((n * k as u128 / parts as u128) as i64);
        let args: Vec<u64> = self.m.s[w.ws..w.ws + w.n_s].to_vec();
        let results: Mutex<Vec<Option<Part>>> = Mutex::new((0..parts).map(|_| None).collect());
        let next = AtomicUsize::new(0);
        let done = AtomicUsize::new(0);
        let budget = MemoryBudget::current();
        let waiter = std::thread::current();
        let stop_flag = self.interrupt_flag();
        let first_red = w.n_s - w.reds.len();
        pool.in_place_scope(|scope| {
            for me in 0..threads {
                let arrays = Handed(worker_arrays(&self.m.a[w.wa..w.wa + w.n_a]));
                let (shared, args, results, next, done) = (&shared, &args, &results, &next, &done);
                let (budget, waiter) = (budget.clone(), waiter.clone());
                scope.spawn(move |_| {
                    let arrays = arrays.into_inner();
                    let work = || {
                        let mut worker = Worker::new(shared, me, w.depth as u64);
                        loop {
                            // Parts are taken in range order, so once part `f` failed,
                            // every part taken later lies after it: the serial loop would
                            // not have run it.
                            let k = next.fetch_add(1, Ordering::SeqCst);
                            if k >= parts {
                                break;
                            }
                            shared.current[me].store(k, Ordering::SeqCst);
                            if k > shared.failed.load(Ordering::SeqCst)
                                || shared.interrupted.load(Ordering::SeqCst)
                            {
                                break;
                            }
                            let mut part_args = args.clone();
                            part_args[0] = bounds(k) as u64;
                            part_args[1] = bounds(k + 1) as u64;
                            if k > 0 {
                                for (j, &(r, p)) in w.reds.iter().enumerate() {
                                    part_args[first_red + j] = ops::reduction_identity(r, p);
                                }
                            }
                            #[cfg(test)]
                            if tests::PANIC_IN_PART.load(Ordering::SeqCst) == k + 1 {
                                panic!("a worker's bug (a test)");
                            }
                            let r = worker.run_part(w, &part_args, &arrays);
                            if matches!(&r, Err(e) if e.message != INTERRUPTED) {
                                shared.fail(k);
                            }
                            let out = std::mem::take(&mut *worker.out.borrow_mut());
                            if let Ok(mut rs) = results.lock() {
                                rs[k] = Some(Part { result: r, out });
                            }
                        }
                    };
                    let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match &budget {
                        Some(b) => b.run(work),
                        None => work(),
                    }));
                    if ran.is_err() {
                        // A bug in nvm: the loop fails as a whole, the process lives on.
                        shared.panicked.store(true, Ordering::SeqCst);
                        shared.fail(0);
                    }
                    drop(arrays);
                    done.fetch_add(1, Ordering::Release);
                    waiter.unpark();
                });
            }
            // This thread waits, and passes a request to stop the run on to the workers.
            // A short loop is over within microseconds: spin a little before parking.
            for _ in 0..SPIN_BEFORE_PARK {
                if done.load(Ordering::Acquire) == threads {
                    break;
                }
                std::hint::spin_loop();
            }
            while done.load(Ordering::Acquire) < threads {
                if stop_flag.load(Ordering::Relaxed) && !shared.interrupted.load(Ordering::SeqCst) {
                    shared.interrupted.store(true, Ordering::SeqCst);
                    shared.halt.iter().for_each(|h| h.store(true, Ordering::SeqCst));
                }
                std::thread::park_timeout(std::time::Duration::from_millis(5));
            }
        });
        if shared.panicked.load(Ordering::SeqCst) {
            return Err(internal_error(w.span));
        }
        let parts = results.into_inner().unwrap_or_default();
        self.finish_parallel(w, parts, first_red)
    }

    /// After the workers, what the serial loop would have done: the output of the parts
    /// in range order up to the first that failed or was interrupted, then its error (the
    /// first in range order: parts before a failed one always run to their end), or the
    /// reductions combined in range order into the window.
    fn finish_parallel(
        &mut self,
        w: &Window,
        parts: Vec<Option<Part>>,
        first_red: usize,
    ) -> Result<(), RuntimeError> {
        let mut acc: Vec<u64> =
            self.m.s[w.ws + first_red..w.ws + first_red + w.reds.len()].to_vec();
        for (k, part) in parts.into_iter().enumerate() {
            let Some(part) = part else {
                // Not run: the loop was interrupted.
                return Err(self.interrupted_at(w));
            };
            let _ = self.m.out.write_all(&part.out);
            match part.result {
                Ok(values) => {
                    for (j, &(r, p)) in w.reds.iter().enumerate() {
                        acc[j] = if k == 0 {
                            values[j]
                        } else {
                            ops::combine(r, p, acc[j], values[j])
                        };
                    }
                }
                Err(e) if e.message == INTERRUPTED => return Err(self.interrupted_at(w)),
                Err(mut e) => {
                    e.chain.reverse();
                    return Err(e);
                }
            }
        }
        self.m.s[w.ws..w.ws + w.reds.len()].copy_from_slice(&acc);
        Ok(())
    }

    /// "interrupted" at the loop, the request taken by the run it stops (as at a serial
    /// loop's back-edge).
    fn interrupted_at(&mut self, w: &Window) -> RuntimeError {
        self.interrupt_flag().store(false, Ordering::Relaxed);
        let name = self.prog.funcs[w.slot as usize].name.clone();
        RuntimeError {
            message: INTERRUPTED.to_string(),
            span: w.span,
            chain: vec![(name, w.span)],
        }
    }
}

/// A `prange` loop's call: its body, window and reductions.
struct Window<'a> {
    slot: u32,
    ws: usize,
    wa: usize,
    n_s: usize,
    n_a: usize,
    reds: &'a [(Reduce, Prim)],
    depth: usize,
    span: Span,
}

/// A function a worker may run: its bytecode (for the helpers), name (for error chains)
/// and native entry.
struct Code {
    bc: *const CompiledFn,
    name: *const str,
    entry: NativeFn,
}

/// What the workers of one loop share.
struct Shared<'a> {
    code: &'a HashMap<u32, Code>,
    table: *const usize,
    links: *const usize,
    helpers: *const usize,
    /// Per worker: set to stop the part it runs (its native code polls it at back-edges
    /// through its context), and the part it runs.
    halt: Vec<AtomicBool>,
    current: Vec<AtomicUsize>,
    /// The first part (in range order) that failed so far, `usize::MAX` for none: parts
    /// after it are not wanted, parts before it run to their end.
    failed: AtomicUsize,
    /// The run must stop (the VM's stop flag): every part is halted.
    interrupted: AtomicBool,
    /// A worker panicked (a bug in nvm).
    panicked: AtomicBool,
}

impl Shared<'_> {
    /// Part `f` failed: halts the workers running parts after it.
    fn fail(&self, f: usize) {
        self.failed.fetch_min(f, Ordering::SeqCst);
        for (h, cur) in self.halt.iter().zip(&self.current) {
            if cur.load(Ordering::SeqCst) > f {
                h.store(true, Ordering::SeqCst);
            }
        }
    }
}

// SAFETY: the pointers point into the VM's slot table, program and native tables, which
// do not change while the loop runs: the VM's thread waits in `run_parallel`, running no
// nk code, and every function the workers may reach was compiled before they started (no
// worker resolves or patches a slot). Workers only read through them; the bytecode and
// names are plain data, and no `Rc` is cloned through them.
unsafe impl Sync for Shared<'_> {}

/// One part's outcome: the reductions' values (or the error that stopped it) and what it
/// printed.
struct Part {
    result: Result<Vec<u64>, RuntimeError>,
    out: Vec<u8>,
}

/// Values made on the VM's thread for one worker alone.
struct Handed<T>(T);

// SAFETY: a `Handed` holds `Rc`s made by `worker_arrays` for one worker: fresh array
// headers over fresh storage handles that own nothing, referenced from nowhere else. The
// VM's thread moves it to that worker and never touches it again; the worker clones and
// drops those `Rc`s on its own thread only, before the loop ends.
unsafe impl<T> Send for Handed<T> {}

impl<T> Handed<T> {
    /// The value (a method, so a closure captures the whole `Handed`, not its field).
    fn into_inner(self) -> T {
        self.0
    }
}

/// A worker's handles on the window's arrays: the same layouts over storage handles that
/// own nothing (one per distinct storage, so views of one buffer still share it).
fn worker_arrays(window: &[Option<ArrayRef>]) -> Vec<Option<ArrayRef>> {
    let mut handles: Vec<(*const crate::runtime::Storage, Rc<crate::runtime::Storage>)> = Vec::new();
    window
        .iter()
        .map(|a| {
            let a = a.as_ref()?;
            let key = Rc::as_ptr(a.storage());
            let data = match handles.iter().find(|(k, _)| *k == key) {
                Some((_, d)) => d.clone(),
                None => {
                    // SAFETY: the window's array (in the VM's register file, untouched
                    // until every worker is done) keeps the storage alive and in place
                    // for as long as the handle lives; iterations write distinct elements
                    // (module documentation).
                    let d = Rc::new(unsafe { a.storage().unowned() });
                    handles.push((key, d.clone()));
                    d
                }
            };
            Some(Rc::new(a.with_storage(data)))
        })
        .collect()
}

/// The error for a body that failed: the pending one (chain innermost first), with the
/// loop's place when the body never started.
fn body_error(e: Option<RuntimeError>, at_caller: bool, name: &str, span: Span) -> RuntimeError {
    let mut e = e.unwrap_or_else(|| internal_error(span));
    if at_caller {
        // The body never started (too deep): the error is at the loop.
        e.span = span;
        e.chain.push((name.to_string(), span));
    }
    e
}

fn internal_error(span: Span) -> RuntimeError {
    RuntimeError {
        message: "internal error in a prange loop (a bug, please report it)".into(),
        span,
        chain: vec![],
    }
}

/// The pool of `threads` worker threads (one per thread count configured, kept for the
/// process).
fn pool(threads: usize) -> Option<Arc<rayon::ThreadPool>> {
    type Pools = Mutex<Vec<(usize, Arc<rayon::ThreadPool>)>>;
    static POOLS: OnceLock<Pools> = OnceLock::new();
    let mut pools = POOLS.get_or_init(Default::default).lock().ok()?;
    if let Some((_, p)) = pools.iter().find(|(t, _)| *t == threads) {
        return Some(p.clone());
    }
    let p = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .stack_size(WORKER_STACK)
        .thread_name(|i| format!("nvm-prange-{i}"))
        .build()
        .ok()?;
    let p = Arc::new(p);
    pools.push((threads, p.clone()));
    Some(p)
}

/// A worker of a `prange` loop: what the VM is to native code on its own thread.
pub(super) struct Worker<'a> {
    ctx: Box<Ctx>,
    /// The nk frames active outside the loop's body.
    depth: u64,
    m: Machine<'static>,
    out: Rc<RefCell<Vec<u8>>>,
    shared: &'a Shared<'a>,
    /// This worker's index (its `Shared::halt` flag).
    me: usize,
    pending: Option<RuntimeError>,
    at_caller: bool,
}

/// Output into a worker's buffer (the VM writes it out after the loop, in range order).
struct Buffer(Rc<RefCell<Vec<u8>>>);

impl std::io::Write for Buffer {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> Worker<'a> {
    fn new(shared: &'a Shared<'a>, me: usize, depth: u64) -> Worker<'a> {
        let out = Rc::new(RefCell::new(Vec::new()));
        let m = Machine::new(Box::new(Buffer(out.clone())));
        let mut ctx = Box::new(new_ctx(&shared.halt[me] as *const AtomicBool as *const u8));
        ctx.table = shared.table;
        ctx.links = shared.links;
        ctx.helpers = shared.helpers;
        ctx.stack_limit = thread_stack_limit();
        Worker {
            ctx,
            depth,
            m,
            out,
            shared,
            me,
            pending: None,
            at_caller: false,
        }
    }

    fn code(&self, slot: u64) -> &'a Code {
        match self.shared.code.get(&(slot as u32)) {
            Some(c) => c,
            None => unreachable!("a worker runs only the loop's compiled functions"),
        }
    }

    /// Calls the body with `args` in the window's scalar registers and `arrays` in its
    /// array registers; the reductions' values, or the error.
    fn run_part(
        &mut self,
        w: &Window,
        args: &[u64],
        arrays: &[Option<ArrayRef>],
    ) -> Result<Vec<u64>, RuntimeError> {
        let code = self.code(w.slot as u64);
        // SAFETY: `Shared`'s contract: the bytecode lives, unchanged, while the loop runs.
        let bc = unsafe { &*code.bc };
        if !self.m.grow(bc.n_s.max(args.len()) + 1, bc.n_a.max(arrays.len()) + 1) {
            return Err(body_error(None, false, "", w.span));
        }
        self.m.s[..args.len()].copy_from_slice(args);
        for (k, a) in arrays.iter().enumerate() {
            self.m.a[k] = a.clone();
        }
        let status = self.call(code.entry, w.slot as u64, 0, 0, self.depth + 1);
        if status != 0 {
            let e = self.pending.take();
            let at_caller = std::mem::take(&mut self.at_caller);
            // SAFETY: as above (names live as long as the program).
            let name = unsafe { &*code.name };
            return Err(body_error(e, at_caller, name, w.span));
        }
        Ok(self.m.s[..w.reds.len()].to_vec())
    }

    /// Enters native code `entry` for `slot` with the frame at (`bs`, `ba`), as the
    /// `depth`-th active frame.
    fn call(&mut self, entry: NativeFn, slot: u64, bs: u64, ba: u64, depth: u64) -> u64 {
        self.refresh_ctx();
        let me = self as *mut Worker<'a> as *mut c_void;
        let c: *mut Ctx = &mut *self.ctx;
        // SAFETY: `c` is this worker's own context, pointing at its register files and
        // the VM's tables (valid while the loop runs, `Shared`); the frame is inside the
        // files; `entry` is native code compiled for this program's slots and helpers.
        // `self` is not touched until the call returns, so the helpers' `host_of` is the
        // only access meanwhile.
        unsafe {
            (*c).worker = me;
            entry(c, bs, ba, slot, depth)
        }
    }
}

impl Drop for Worker<'_> {
    fn drop(&mut self) {
        // Arrays made on this thread die here, not on the VM's.
        self.m.a.clear();
    }
}

impl Host for Worker<'_> {
    fn parts(&mut self, slot: u64) -> (&CompiledFn, &mut Machine<'static>) {
        // SAFETY: `Shared`'s contract.
        let bc = unsafe { &*self.code(slot).bc };
        (bc, &mut self.m)
    }

    fn machine(&mut self) -> &mut Machine<'static> {
        &mut self.m
    }

    fn refresh_ctx(&mut self) {
        point_at(&mut self.ctx, &mut self.m);
    }

    fn record_error(&mut self, slot: u64, pc: usize, message: String) {
        let code = self.code(slot);
        // SAFETY: `Shared`'s contract.
        let (bc, name) = unsafe { (&*code.bc, &*code.name) };
        let span = bc.spans.at(pc);
        self.pending = Some(RuntimeError {
            message,
            span,
            chain: vec![(name.to_string(), span)],
        });
        self.at_caller = false;
    }

    fn record_error_at_caller(&mut self, message: String) {
        self.pending = Some(RuntimeError {
            message,
            span: Span::default(),
            chain: vec![],
        });
        self.at_caller = true;
    }

    fn trace_frame(&mut self, slot: u64, pc: u64) {
        let code = self.code(slot);
        // SAFETY: `Shared`'s contract.
        let (bc, name) = unsafe { (&*code.bc, &*code.name) };
        let span = bc.spans.at(pc as usize);
        if let Some(e) = &mut self.pending {
            if std::mem::take(&mut self.at_caller) {
                e.span = span;
            }
            e.chain.push((name.to_string(), span));
        }
    }

    fn take_stop(&mut self) -> bool {
        self.shared.halt[self.me].load(Ordering::Relaxed)
    }

    /// A `prange` inside a worker's loop runs serially: one call of its body.
    fn run_par_for(&mut self, ctx: *mut Ctx, slot: u64, pc: u64, bs: u64, ba: u64, i: usize) -> u64 {
        let code = self.code(slot);
        // SAFETY: `Shared`'s contract.
        let bc = unsafe { &*code.bc };
        let span = bc.spans.at(pc as usize);
        let (body, s, a) = match bc.ext.get(i) {
            Some(Ext::ParFor { slot, s, a, .. }) => (*slot, *s, *a),
            _ => unreachable!("run_par_for runs a ParFor op"),
        };
        let body_code = self.code(body as u64);
        // SAFETY: `ctx` is this worker's context; a plain read of one word (the loop's
        // frame stored its depth there just before this call).
        let depth = unsafe { (*ctx).depth };
        let status = self.call(body_code.entry, body as u64, bs + s as u64, ba + a as u64, depth + 1);
        self.refresh_ctx();
        if status != 0 {
            let e = self.pending.take();
            let at_caller = std::mem::take(&mut self.at_caller);
            // SAFETY: `Shared`'s contract.
            let name = unsafe { &*body_code.name };
            self.pending = Some(body_error(e, at_caller, name, span));
        }
        status
    }

    fn call_without_code(&mut self, _: u64, _: u64, _: u64, _: u64) -> u64 {
        // Unreachable: every function the body may call was compiled before the loop.
        self.record_error_at_caller("internal: a prange worker called a function without native code".into());
        1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::Options;
    use crate::vm::tests::{jit_at_first_call, program};

    /// Set to `k + 1`: the worker about to run part `k` panics (a stand-in for a bug).
    pub(super) static PANIC_IN_PART: AtomicUsize = AtomicUsize::new(0);

    #[test]
    fn a_panicking_worker_fails_the_loop_and_the_vm_goes_on() {
        let p = program(
            "fn f(n: i64) -> i64 { let s = 0; for i in prange(n) { s += i; } return s; }\n\
             print(f(1000));\n",
        );
        let mut out = Vec::new();
        let mut vm = Vm::with_options(
            Rc::new(p.clone()),
            Box::new(&mut out),
            &Options {
                threads: 2,
                ..jit_at_first_call()
            },
        );
        PANIC_IN_PART.store(3, Ordering::SeqCst);
        let e = vm.call(p.script, &[]).expect_err("the loop fails");
        PANIC_IN_PART.store(0, Ordering::SeqCst);
        assert!(e.message.contains("internal error in a prange loop"), "{}", e.message);
        // The same VM runs the loop again, whole.
        vm.call(p.script, &[]).expect("runs");
        drop(vm);
        assert_eq!(String::from_utf8(out).unwrap(), "499500\n");
    }
}
