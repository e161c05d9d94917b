//! Name resolution, type inference and specialization: loaded modules → typed IR.
//!
//! Each generic function is checked and lowered once per distinct tuple of argument types
//! (a *specialization*, Numba's "overload"); its return type is inferred per
//! specialization. Recursion, also mutual and across modules, is handled in two phases:
//! phase 1 lowers every reachable specialization repeatedly, treating calls whose return
//! type is not yet known as `Unknown`, until the table of return types stops changing;
//! phase 2 lowers each once more with the final table and keeps that IR and its errors.
//!
//! Invariants: this module makes no code and runs nothing; it reports every error it
//! finds (deduplicated across specializations) instead of stopping at the first.

mod builtins;
mod check;

use crate::diag::Diagnostic;
use crate::ir::Program;
use crate::loader::Loaded;

/// Checks a loaded program and lowers it to typed IR, or returns every error found.
pub fn check_program(loaded: &Loaded) -> Result<Program, Vec<Diagnostic>> {
    check::Checker::new(loaded).run()
}
