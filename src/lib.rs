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
pub mod repl;
pub mod runtime;
pub mod source;
pub mod syntax;
pub mod types;
pub mod vm;
pub mod vocab;

pub use vm::{Stats, Tier, TierPolicy};
