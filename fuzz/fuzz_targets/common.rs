//! Shared by the fuzz targets: the CLI's big stack, a per-run time budget enforced
//! through `nvm::vm::INTERRUPT`, an address-space cap, and a bounded output sink.
#![allow(dead_code)]

use std::hash::Hasher;
use std::io::Write;
use std::sync::atomic::Ordering;
use std::sync::{Mutex, Once};
use std::time::{Duration, Instant};

/// The CLI runs the whole pipeline on a thread with this stack (src/main.rs,
/// `STACK_SIZE`); so does every fuzz input, or deep-but-legal inputs would overflow the
/// 8 MiB main thread where `nvm` itself never would.
pub const STACK: usize = 512 * 1024 * 1024;

/// Runs `f` on a fresh thread with the CLI's stack. A panic there aborts the process
/// (libfuzzer-sys installs an aborting panic hook), which libFuzzer reports as a crash.
pub fn on_big_stack<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| {
        let h = std::thread::Builder::new()
            .stack_size(STACK)
            .spawn_scoped(s, f)
            .expect("spawn the fuzzing thread");
        match h.join() {
            Ok(v) => v,
            Err(p) => std::panic::resume_unwind(p),
        }
    })
}

/// The moment after which the running program must stop (None: nothing runs).
static DEADLINE: Mutex<Option<Instant>> = Mutex::new(None);
static WATCHDOG: Once = Once::new();

/// Runs `f` with a time budget: a watchdog thread sets `nvm::vm::INTERRUPT` once the
/// budget is spent (and keeps setting it, since each `Vm::call` clears it), so any
/// nk loop in either tier ends with the runtime error "interrupted".
pub fn with_budget<T>(budget: Duration, f: impl FnOnce() -> T) -> T {
    WATCHDOG.call_once(|| {
        std::thread::spawn(|| loop {
            std::thread::sleep(Duration::from_millis(10));
            let d = DEADLINE.lock().unwrap_or_else(|e| e.into_inner());
            // Set under the lock, so a run that has ended (and cleared the deadline)
            // cannot be interrupted late and no later run inherits the flag.
            if d.is_some_and(|d| Instant::now() >= d) {
                nvm::vm::INTERRUPT.store(true, Ordering::Relaxed);
            }
        });
    });
    *DEADLINE.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now() + budget);
    let r = f();
    *DEADLINE.lock().unwrap_or_else(|e| e.into_inner()) = None;
    nvm::vm::INTERRUPT.store(false, Ordering::Relaxed);
    r
}

/// Caps the process's address space once, so that a program asking for a huge array
/// gets nvm's own "out of memory" error (its allocations are fallible) instead of
/// pushing the machine into swap; libFuzzer's `-rss_limit_mb` is the second fence.
pub fn limit_address_space(bytes: u64) {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let lim = libc::rlimit {
            rlim_cur: bytes as libc::rlim_t,
            rlim_max: libc::RLIM_INFINITY,
        };
        // SAFETY: setrlimit reads the struct we pass; no memory is shared.
        unsafe {
            libc::setrlimit(libc::RLIMIT_AS, &lim);
        }
    });
}

/// An output sink that keeps the first `CAP` bytes, and the length and a hash of all.
pub struct Capped {
    pub head: Vec<u8>,
    pub total: u64,
    hash: std::collections::hash_map::DefaultHasher,
}

pub const CAP: usize = 64 * 1024;

impl Capped {
    pub fn new() -> Capped {
        Capped {
            head: Vec::new(),
            total: 0,
            hash: Default::default(),
        }
    }
    pub fn digest(&self) -> u64 {
        self.hash.finish()
    }
}

impl Write for Capped {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let room = CAP.saturating_sub(self.head.len());
        self.head.extend_from_slice(&buf[..buf.len().min(room)]);
        self.total += buf.len() as u64;
        self.hash.write(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
