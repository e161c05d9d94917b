//! nvm — a tiered virtual machine for nk, a small statically typed array language.
//!
//! The public surface is the embedding API — [`Engine`], [`EngineBuilder`], typed
//! function handles [`Func`], [`Value`], [`Tier`], [`Stats`], the structured [`Error`]
//! (with [`CompileError`] diagnostics and runtime call chains of [`Frame`]s) (more in
//! [`engine`]) — and what the `nvm` binary needs ([`driver`], [`repl`]). The layers below are private; the `internals`
//! feature makes them public (the fuzz targets use it).
//!
//! The layers, from the bottom; each imports only modules listed before it
//! (`tests/layers.rs` fails on any import cycle between them):
//!
//! | module      | role                                                                  |
//! |-------------|-----------------------------------------------------------------------|
//! | `source`    | spans and the source map — a leaf                                     |
//! | `options`   | `Options`: tiers, code heap folder, module path, diagnostics — a leaf |
//! | `vocab`     | operator and scalar-type vocabulary (`Prim`, `BinOp`, `MathFn`) — a leaf |
//! | `diag`      | compile-time diagnostics and their rendering                          |
//! | `syntax`    | lexer (logos), parser (lalrpop), AST — knows no types                 |
//! | `ir`        | the typed IR shared by every tier, and its printer                    |
//! | `loader`    | files, imports, the embedded stdlib                                   |
//! | `types`     | name resolution, inference, specialization → typed IR                 |
//! | `bytecode`  | the instruction set, lowering from the IR, the verifier, link order   |
//! | `runtime`   | arrays, scalar semantics, print format, RNG, runtime errors           |
//! | `abi`       | the native context layout and the one table of runtime helpers        |
//! | `interp`    | the dispatch loop and the interpreter's code for every op             |
//! | `jit`       | bytecode → Cranelift → relocation-free machine code                   |
//! | `heap`      | the persistent code heap on disk                                      |
//! | `vm`        | slot table, tier policy, native bridge, statistics — the only place that joins `interp`, `jit` and `heap` |
//! | `driver`    | the CLI's pipeline: check, run, build, inspect, reports               |
//! | `engine`    | the embedding API                                                     |
//! | `repl`      | the interactive session                                               |
//!
//! The library reads no environment variable (`tests/no_env.rs` checks it): the `nvm`
//! binary reads its flags and environment and passes an [`Options`] down; embedders
//! configure an [`EngineBuilder`]. The one exception is a test hook, the code heap's fault
//! injection, compiled only with the cargo feature `fault-injection` (which `cargo test`
//! turns on, release builds do not).

// Every public item of the embedding API is documented (the layers, public only with
// `internals`, are documented for their readers, not checked).
#![cfg_attr(not(feature = "internals"), warn(missing_docs))]

/// Declares the internal layers: private to the crate, public only with the `internals`
/// feature (for the fuzz targets and for tools that need the pipeline's pieces).
macro_rules! internal {
    ($($m:ident),* $(,)?) => {
        $(
            #[cfg(feature = "internals")]
            pub mod $m;
            #[cfg(not(feature = "internals"))]
            mod $m;
        )*
    };
}

internal!(
    abi, bytecode, diag, heap, interp, ir, jit, loader, options, runtime, source, syntax, types,
    vm, vocab
);

pub mod driver;
pub mod engine;
pub mod repl;

pub use diag::{CompileDiagnostic, CompileError};
pub use engine::{ConvertError, Engine, EngineBuilder, Error, Frame, Func};
pub use interp::Value;
pub use options::Options;
pub use vm::{Stats, Tier, TierPolicy, DEFAULT_JIT_CALLS};
