//! nvm — a tiered virtual machine for nk, a small statically typed array language.
//!
//! | module      | role                                                             |
//! |-------------|------------------------------------------------------------------|
//! | `syntax`    | lexer (logos), parser (lalrpop), AST, spans — knows no types     |
//! | `diag`      | every compile-time diagnostic and its rendering                  |
//! | `types`     | modules, name resolution, inference, specialization → typed IR   |
//! | `ir`        | the typed IR shared by every tier; operator vocabularies         |
//! | `interp`    | bytecode compiler + interpreter tier; calls only through slots   |
//! | `runtime`   | arrays, scalar semantics, print format, RNG — shared by tiers    |
//! | `driver`    | loads a program from disk and runs it (used by the CLI and tests) |
//! | `options`   | `Options`: tiers, code heap folder, module path, diagnostics      |
//!
//! The library reads no environment variable (`tests/no_env.rs` checks it): the `nvm`
//! binary reads its flags and environment and passes an [`options::Options`] down;
//! embedders configure an [`engine::EngineBuilder`]. The one exception is a test hook,
//! the code heap's fault injection, compiled only with the cargo feature
//! `fault-injection` (which `cargo test` turns on, release builds do not).

pub mod abi;
pub mod bytecode;
pub mod diag;
pub mod driver;
pub mod engine;
pub mod heap;
pub mod interp;
pub mod ir;
pub mod jit;
pub mod loader;
pub mod options;
pub mod repl;
pub mod runtime;
pub mod source;
pub mod syntax;
pub mod types;
pub mod vm;
pub mod vocab;

pub use options::Options;
pub use vm::{Stats, Tier, TierPolicy};
