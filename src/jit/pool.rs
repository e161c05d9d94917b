//! Compile threads: Cranelift runs for several functions at once while the program runs.
//!
//! The VM submits specializations it will need (under `--tier=jit` and `nvm build`, every
//! function reachable from one being compiled) and later [`CompilePool::take`]s each
//! result where it would have compiled. Machine code is relocation-free bytes, so a
//! thread can make it without touching the VM: each thread owns its [`Jit`], and gets a
//! signatures-only copy of the program ([`Program::signatures`]) and its own copy of the
//! function's bytecode. Only the VM's thread puts code into executable memory, stores it
//! in the code heap and patches slots, so nothing the running program sees is shared.
//!
//! A function still queued when the VM needs it is compiled on the VM's thread at once
//! (the VM never waits behind the queue), one a thread is compiling is waited for.

use super::{Jit, JitError, MachineCode};
use crate::bytecode::CompiledFn;
use crate::ir::{FuncId, Program};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Instant;

/// A compile's result and how long Cranelift took.
pub struct Outcome {
    pub code: Result<MachineCode, JitError>,
    pub nanos: u64,
}

struct Job {
    slot: FuncId,
    prog: Arc<Program>,
    bc: Arc<CompiledFn>,
}

#[derive(Default)]
struct State {
    queue: VecDeque<Job>,
    running: HashSet<FuncId>,
    done: HashMap<FuncId, Outcome>,
    shutdown: bool,
}

struct Shared {
    state: Mutex<State>,
    /// Signalled when a job is queued or the pool shuts down.
    work: Condvar,
    /// Signalled when a job finishes.
    finished: Condvar,
}

impl Shared {
    /// The state; a thread that panicked while holding the lock left it consistent (every
    /// update is a single collection operation), so a poisoned lock is used as it is.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

pub struct CompilePool {
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
}

impl CompilePool {
    /// `threads` compile threads, each with its own compiler (with none, everything
    /// submitted is compiled by [`take`](Self::take)).
    pub fn new(threads: usize, dump_opt: bool) -> CompilePool {
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            work: Condvar::new(),
            finished: Condvar::new(),
        });
        let threads = (0..threads)
            .filter_map(|i| {
                let shared = shared.clone();
                std::thread::Builder::new()
                    .name(format!("nvm-compile-{i}"))
                    .spawn(move || worker(&shared, dump_opt))
                    .ok()
            })
            .collect();
        CompilePool { shared, threads }
    }

    /// Queues `bc` (slot `slot`'s bytecode) for compiling against `prog`'s signatures.
    pub fn submit(&self, slot: FuncId, prog: Arc<Program>, bc: Arc<CompiledFn>) {
        self.shared.lock().queue.push_back(Job { slot, prog, bc });
        self.shared.work.notify_one();
    }

    /// The result for `slot`, which was [`submit`](Self::submit)ted: compiled by `jit` here
    /// if no thread has started it, else waited for. `None` if it was never submitted (or
    /// already taken).
    pub fn take(&self, slot: FuncId, jit: &mut Jit) -> Option<Outcome> {
        let mut st = self.shared.lock();
        loop {
            if let Some(o) = st.done.remove(&slot) {
                return Some(o);
            }
            if let Some(at) = st.queue.iter().position(|j| j.slot == slot) {
                let job = st.queue.remove(at).expect("found");
                drop(st);
                return Some(compile(jit, &job));
            }
            if !st.running.contains(&slot) || self.threads.is_empty() {
                return None;
            }
            st = self
                .shared
                .finished
                .wait(st)
                .unwrap_or_else(|p| p.into_inner());
        }
    }
}

impl Drop for CompilePool {
    /// Drops the queue, lets running compiles finish and joins the threads.
    fn drop(&mut self) {
        {
            let mut st = self.shared.lock();
            st.queue.clear();
            st.shutdown = true;
        }
        self.shared.work.notify_all();
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

fn worker(shared: &Shared, dump_opt: bool) {
    let mut jit = Jit::new(dump_opt);
    loop {
        let job = {
            let mut st = shared.lock();
            loop {
                if st.shutdown {
                    return;
                }
                if let Some(job) = st.queue.pop_front() {
                    st.running.insert(job.slot);
                    break job;
                }
                st = shared.work.wait(st).unwrap_or_else(|p| p.into_inner());
            }
        };
        let outcome = match &mut jit {
            Ok(jit) => compile(jit, &job),
            Err(e) => Outcome {
                code: Err(e.clone()),
                nanos: 0,
            },
        };
        let mut st = shared.lock();
        st.running.remove(&job.slot);
        st.done.insert(job.slot, outcome);
        drop(st);
        shared.finished.notify_all();
    }
}

/// Compiles one job; a panic inside Cranelift or the code generator becomes an error (the
/// function then stays interpreted), never a dead thread or a lost result.
fn compile(jit: &mut Jit, job: &Job) -> Outcome {
    let start = Instant::now();
    let code = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        jit.compile_bytes(&job.prog, &job.bc, false)
    }))
    .unwrap_or_else(|_| Err(JitError::Compile("the code generator panicked".into())));
    Outcome {
        code,
        nanos: start.elapsed().as_nanos() as u64,
    }
}
