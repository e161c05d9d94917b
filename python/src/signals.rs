//! Ctrl-C while nk runs: SIGINT sets the running engine's stop flag.
//!
//! While nk runs, the calling thread has released the GIL and runs no Python code, so
//! Python's own SIGINT handler (a C function that only notes the signal for the main
//! thread's next bytecode) cannot stop it. So a handler of ours is put in front of
//! Python's, once, at the first call made on Python's main thread (the one thread Python
//! delivers `KeyboardInterrupt` to): it sets the stop flag of the engine running a call on
//! the main thread, if any (nk stops at its next loop iteration or call, in either tier),
//! and then calls Python's handler, so Python notes the signal as it always does. When the
//! call returns, `PyErr_CheckSignals` runs the Python-level handler: `KeyboardInterrupt`
//! (or whatever the program set).
//!
//! Invariants: our handler is installed only over a handler *function* (Python's): a SIGINT
//! that is ignored (`SIG_IGN`) or kills the process (`SIG_DFL`) keeps doing so. A program
//! that sets a new Python handler (`signal.signal`) makes Python install its C handler
//! again, over ours: each call asks `sigaction` which handler is installed and puts ours
//! in front of a new one again. Calls on other
//! threads are not stopped by SIGINT (`Engine.interrupt()` stops those).

use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering};
use std::sync::Arc;

/// The stop flag of the engine running a call on the main thread (null: none).
static CURRENT: AtomicPtr<AtomicBool> = AtomicPtr::new(std::ptr::null_mut());
/// A SIGINT arrived while `CURRENT` was set.
static HIT: AtomicBool = AtomicBool::new(false);
/// The handler ours replaced (Python's `signal_handler`), called after ours; 0: none.
static CHAINED: AtomicUsize = AtomicUsize::new(0);

extern "C" fn on_sigint(sig: libc::c_int) {
    // Only atomics and the chained handler: async-signal-safe.
    let flag = CURRENT.load(Ordering::Acquire);
    if !flag.is_null() {
        // SAFETY: `CURRENT` is non-null only while a `CallGuard` is alive, and the guard
        // holds an `Arc` of the flag, so the pointer is valid here.
        unsafe { (*flag).store(true, Ordering::Release) };
        HIT.store(true, Ordering::Release);
    }
    let chained = CHAINED.load(Ordering::Acquire);
    if chained != 0 {
        // SAFETY: `CHAINED` holds only an `sa_handler` function pointer that `sigaction`
        // returned as SIGINT's previous action (never SIG_IGN/SIG_DFL, see `install`), which
        // is a signal handler taking the signal number.
        let f: extern "C" fn(libc::c_int) = unsafe { std::mem::transmute(chained) };
        f(sig);
    }
}

/// Puts our handler in front of SIGINT's handler function; whether it is there.
fn install() -> bool {
    // SAFETY: `sigaction` with valid pointers to initialized structs; `on_sigint` is
    // async-signal-safe and has the signature of an `sa_handler`.
    unsafe {
        let mut new: libc::sigaction = std::mem::zeroed();
        new.sa_sigaction = on_sigint as *const () as libc::sighandler_t;
        libc::sigemptyset(&mut new.sa_mask);
        new.sa_flags = libc::SA_ONSTACK;
        let mut old: libc::sigaction = std::mem::zeroed();
        if libc::sigaction(libc::SIGINT, &new, &mut old) != 0 {
            return false;
        }
        let ours = on_sigint as *const () as libc::sighandler_t;
        if old.sa_sigaction == ours {
            return true; // already in front (the chained handler is the one we saw)
        }
        if old.sa_sigaction == libc::SIG_IGN
            || old.sa_sigaction == libc::SIG_DFL
            || old.sa_flags & libc::SA_SIGINFO != 0
        {
            // Not a plain handler function (Python's is one): leave SIGINT as it was.
            libc::sigaction(libc::SIGINT, &old, std::ptr::null_mut());
            CHAINED.store(0, Ordering::Release);
            return false;
        }
        CHAINED.store(old.sa_sigaction, Ordering::Release);
        true
    }
}

/// For the length of one call on the main thread: SIGINT stops `flag`'s engine.
pub struct CallGuard {
    _flag: Arc<AtomicBool>,
}

impl CallGuard {
    /// Arms SIGINT for a call stopped by `flag`; `None` when SIGINT has no Python handler
    /// function to put ours in front of.
    pub fn arm(flag: &Arc<AtomicBool>) -> Option<CallGuard> {
        // One `sigaction` query a call (Python's `signal.getsignal` costs more): is ours
        // still in front?
        // SAFETY: a query (null new action) into a zeroed struct.
        let current = unsafe {
            let mut cur: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(libc::SIGINT, std::ptr::null(), &mut cur) != 0 {
                return None;
            }
            cur.sa_sigaction
        };
        if current != on_sigint as *const () as libc::sighandler_t && !install() {
            return None;
        }
        HIT.store(false, Ordering::Release);
        CURRENT.store(Arc::as_ptr(flag).cast_mut(), Ordering::Release);
        Some(CallGuard {
            _flag: flag.clone(),
        })
    }

    /// Disarms; whether a SIGINT came during the call (Python's handler has noted it too).
    pub fn finish(self) -> bool {
        drop(self);
        HIT.swap(false, Ordering::AcqRel)
    }
}

impl Drop for CallGuard {
    fn drop(&mut self) {
        CURRENT.store(std::ptr::null_mut(), Ordering::Release);
        // A SIGINT noted only as nk returned must not stop the engine's next call.
        if HIT.load(Ordering::Acquire) {
            self._flag.store(false, Ordering::Release);
        }
    }
}
