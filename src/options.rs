//! Settings the embedding process chooses: tiers, the code heap folder, the module search
//! path, diagnostics for `perf` and Cranelift.
//!
//! The library reads no environment variable: the `nvm` binary (`src/main.rs`) fills an
//! [`Options`] from its flags and the environment (`--jit-calls`/`NVM_JIT_CALLS`,
//! `--cache-dir`/`NVM_CACHE_DIR`, `NVM_PATH`, `NVM_PERF_MAP`, `NVM_DUMP_OPT`), and an
//! embedder sets it through [`crate::engine::EngineBuilder`]. The one exception is the
//! code heap's fault injection, a test hook compiled only with the cargo feature
//! `fault-injection`.
//!
//! A leaf module (it imports nothing of the crate), so every layer that needs a setting
//! — `loader` (module path), `jit` (dump), `vm` (policy, heap, perf map), `driver` and
//! `engine` (all of them) — can take it without an edge between those layers.

use std::path::PathBuf;

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
    /// Which tier runs the code.
    pub tier: Tier,
    /// Calls after which `Auto` compiles a loop-free function.
    pub jit_calls: u32,
}

/// Default of [`TierPolicy::jit_calls`] (the CLI: `--jit-calls`, else `NVM_JIT_CALLS`,
/// else this).
pub const DEFAULT_JIT_CALLS: u32 = 50;

impl Default for TierPolicy {
    fn default() -> Self {
        TierPolicy {
            tier: Tier::Auto,
            jit_calls: DEFAULT_JIT_CALLS,
        }
    }
}

/// How a program is loaded and run. `Options::default()`: tier `auto` after
/// [`DEFAULT_JIT_CALLS`] calls, no code heap, imports found only beside the importing
/// file and in the standard library, no `perf` map, no dumps.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Which tier runs what.
    pub policy: TierPolicy,
    /// The code heap's root folder; `None` neither reads nor writes compiled code.
    /// (CLI: `--cache-dir`, else `NVM_CACHE_DIR`, else the user cache folder;
    /// `--no-cache`: `None`.)
    pub cache_dir: Option<PathBuf>,
    /// Folders searched, in order, for an `import`ed module after the importing file's own
    /// folder and before the standard library. (CLI: `NVM_PATH`.)
    pub module_path: Vec<PathBuf>,
    /// Name compiled code for `perf`: append each function to `/tmp/perf-PID.map` and
    /// write its bytes to `/tmp/perf-PID-ADDR.bin`. (CLI: `NVM_PERF_MAP` set.)
    pub perf_map: bool,
    /// Print each function's optimized Cranelift IR to stderr when it is compiled.
    /// (CLI: `NVM_DUMP_OPT` set.)
    pub dump_opt: bool,
    /// Threads that compile ahead under [`Tier::Jit`] (and so `nvm build`): when one
    /// function is compiled, those it may call are queued for them. 0: one per core; 1:
    /// none (each function is compiled on the running thread when first called).
    pub compile_threads: usize,
    /// Threads that run the iterations of a `prange` loop in native code. 0: one per
    /// core; 1: every loop runs serially. (CLI: `--threads`, else `NVM_NUM_THREADS`.)
    pub threads: usize,
}
