//! Ctrl-C while nk runs: SIGINT sets the running engine's stop flag.
//!
//! While nk runs, the calling thread has released the GIL and runs no Python code, so
//! Python's own SIGINT handler (which only notes the signal for the main thread's next
//! bytecode) cannot stop it. For a call made on Python's main thread — the one thread
//! Python delivers `KeyboardInterrupt` to — [`SigintGuard::install`] puts a small handler in
//! front of Python's for the length of the call: it sets the engine's interrupt flag (nk
//! stops at its next loop iteration or call, in either tier) and notes the signal. When the
//! call ends the previous handler is put back and, if a SIGINT came, it is handed to Python
//! (`PyErr_SetInterrupt`), whose handler then raises `KeyboardInterrupt` as usual (or does
//! what the program set it to do).
//!
//! Invariant: the handler is installed only over a handler function (Python's): a SIGINT
//! that is ignored (`SIG_IGN`) or kills the process (`SIG_DFL`) keeps doing so. Calls on
//! other threads install nothing; `Engine.interrupt()` stops those.

use std::sync::atomic::{AtomicBool, AtomicPtr, Ordering};
use std::sync::Arc;

/// The flag of the engine running on the main thread (null: none).
static CURRENT: AtomicPtr<AtomicBool> = AtomicPtr::new(std::ptr::null_mut());
/// A SIGINT arrived during the current guarded call.
static HIT: AtomicBool = AtomicBool::new(false);

extern "C" fn on_sigint(_: libc::c_int) {
    // Only atomics: async-signal-safe.
    let flag = CURRENT.load(Ordering::Acquire);
    if !flag.is_null() {
        // SAFETY: `CURRENT` is non-null only while a `SigintGuard` is alive, and the guard
        // holds an `Arc` of the flag, so the pointer is valid here.
        unsafe { (*flag).store(true, Ordering::Release) };
    }
    HIT.store(true, Ordering::Release);
}

/// Python's SIGINT handler, replaced by ours for the length of one call.
pub struct SigintGuard {
    old: libc::sigaction,
    flag: Arc<AtomicBool>,
}

impl SigintGuard {
    /// Installs the handler for a call stopped by `flag`; `None` when SIGINT has no
    /// handler function (ignored, or the default action) or it cannot be read.
    pub fn install(flag: &Arc<AtomicBool>) -> Option<SigintGuard> {
        HIT.store(false, Ordering::Release);
        CURRENT.store(Arc::as_ptr(flag).cast_mut(), Ordering::Release);
        // SAFETY: `sigaction` with valid pointers to initialized structs; `on_sigint` is
        // async-signal-safe (atomics only) and has the signature of an `sa_handler`.
        let old = unsafe {
            let mut new: libc::sigaction = std::mem::zeroed();
            new.sa_sigaction = on_sigint as *const () as libc::sighandler_t;
            libc::sigemptyset(&mut new.sa_mask);
            new.sa_flags = libc::SA_RESTART;
            let mut old: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(libc::SIGINT, &new, &mut old) != 0 {
                CURRENT.store(std::ptr::null_mut(), Ordering::Release);
                return None;
            }
            old
        };
        let guard = SigintGuard {
            old,
            flag: flag.clone(),
        };
        if old.sa_sigaction == libc::SIG_IGN || old.sa_sigaction == libc::SIG_DFL {
            // Not Python's handler: put it back (the guard's drop does) and do nothing.
            drop(guard);
            return None;
        }
        Some(guard)
    }

    /// Puts Python's handler back; whether a SIGINT came during the call.
    pub fn finish(self) -> bool {
        drop(self);
        HIT.swap(false, Ordering::AcqRel)
    }
}

impl Drop for SigintGuard {
    fn drop(&mut self) {
        // SAFETY: restores the action `sigaction` returned, with a valid pointer.
        unsafe {
            libc::sigaction(libc::SIGINT, &self.old, std::ptr::null_mut());
        }
        CURRENT.store(std::ptr::null_mut(), Ordering::Release);
        // A SIGINT noted only after nk returned must not stop the engine's next call.
        if HIT.load(Ordering::Acquire) {
            self.flag.store(false, Ordering::Release);
        }
    }
}
