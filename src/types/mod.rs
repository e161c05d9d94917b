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
mod promote;

pub use builtins::is_builtin_name;
pub use check::{CheckState, DefId, EntryDef};

use crate::diag::Diagnostic;
use crate::ir::{FuncId, Program, Type};
use crate::loader::{Loaded, ModuleId};
use check::Checker;

/// Checks a loaded program and lowers it to typed IR, or returns every error found; the
/// loaded modules stay whole (the unit tests read them after).
#[cfg(test)]
pub fn check_program(loaded: &Loaded) -> Result<Program, Vec<Diagnostic>> {
    Checker::new(loaded, &mut CheckState::default()).check_script()
}

/// `check_program` for a caller done with the script's top-level statements once checked
/// (`nvm run`, `nvm check`): they are taken out of `loaded` and each is freed once lowered,
/// so a large script's syntax trees and its IR are never both held whole.
pub fn check_program_taking_script(loaded: &mut Loaded) -> Result<Program, Vec<Diagnostic>> {
    let body = loaded.take_script_statements();
    Checker::new(loaded, &mut CheckState::default())
        .owning_script(body)
        .check_script()
}

/// A checker that keeps what it checked and adds to it: the engine's and the REPL's.
///
/// It owns the loaded modules and the specialization table; the typed IR it makes goes
/// into a [`Program`] its host keeps (the VM's), passed to each step. Each step either
/// succeeds — the program gains the new specializations (ids `len..`) and, after a
/// redefinition, new IR for some existing ones (same ids: their slots are patched) — or
/// fails with every error and leaves modules, table and program as they were.
/// Invariant between steps: `program.funcs.len() == state.len()`.
pub struct ProgramChecker {
    loaded: Loaded,
    st: CheckState,
}

/// What a successful step changed in the program.
#[derive(Debug, Default)]
pub struct Growth {
    /// Specializations whose IR was replaced (a redefinition): their slots must be patched.
    pub replaced: Vec<FuncId>,
    /// Specializations of functions a module replacement removed: kept as slots (nothing
    /// that is checked calls them), never lowered again.
    pub retired: Vec<FuncId>,
}

impl ProgramChecker {
    /// Checks `loaded`'s script (body, `main`, annotated functions) and keeps everything.
    pub fn new(loaded: Loaded) -> Result<(ProgramChecker, Program), Vec<Diagnostic>> {
        let mut st = CheckState::default();
        let program = Checker::new(&loaded, &mut st).check_script()?;
        Ok((ProgramChecker { loaded, st }, program))
    }

    pub fn loaded(&self) -> &Loaded {
        &self.loaded
    }

    /// The loaded modules, to add hosts (followed by [`ProgramChecker::recheck_all`]).
    pub fn loaded_mut(&mut self) -> &mut Loaded {
        &mut self.loaded
    }

    /// The function `name` of module `m`.
    pub fn def_id(&self, m: ModuleId, name: &str) -> Option<DefId> {
        self.st.def_id(m, name)
    }

    /// The definition a specialization was made from (`None`: a script body).
    pub fn def_of(&self, id: FuncId) -> Option<DefId> {
        self.st.def_of(id)
    }

    /// The function definition `did` names.
    pub fn fn_def(&self, did: DefId) -> &crate::syntax::ast::FnDef {
        match &self.loaded.modules[did.module].ast.items[did.item as usize] {
            crate::syntax::ast::Item::Fn(def) => def,
            _ => unreachable!("a DefId names a `fn` item"),
        }
    }

    /// The declared parameter types of `did` (`None` for a generic parameter).
    pub fn param_types(&mut self, did: DefId) -> Vec<Option<Type>> {
        let def = match &self.loaded.modules[did.module].ast.items[did.item as usize] {
            crate::syntax::ast::Item::Fn(def) => def,
            _ => return Vec::new(),
        };
        let mut c = Checker::new(&self.loaded, &mut self.st);
        let r = def
            .params
            .iter()
            .map(|p| p.ty.as_ref().map(|t| c.resolve_annotation(t)))
            .collect();
        let _ = c.take_diags();
        r
    }

    /// `did` specialized for `args` (checked now with whatever it needs, if new).
    pub fn specialize(
        &mut self,
        prog: &mut Program,
        did: DefId,
        args: Vec<Type>,
    ) -> Result<FuncId, Vec<Diagnostic>> {
        let start = self.st.specialization_count();
        let mut c = Checker::new(&self.loaded, &mut self.st);
        let id = c.instantiate_pub(did, args);
        let r = c.settle(&[], start, Vec::new());
        self.commit(prog, start, &[], r).map(|_| id)
    }

    /// A REPL entry (statements in module `source`, names as in module `scope`) as a new
    /// specialization taking the session's variables `vars`: its id and the entry as
    /// lowered (which variables it returns, the type of its final expression).
    pub fn specialize_entry(
        &mut self,
        prog: &mut Program,
        scope: ModuleId,
        source: ModuleId,
        vars: Vec<(String, Type)>,
        display: bool,
    ) -> Result<(FuncId, EntryDef), Vec<Diagnostic>> {
        let start = self.st.specialization_count();
        let (names, types) = vars.into_iter().unzip();
        let e = EntryDef {
            scope,
            source,
            vars: names,
            display,
            out: Vec::new(),
            value_type: None,
        };
        let mut c = Checker::new(&self.loaded, &mut self.st);
        let id = c.instantiate_entry(e, types);
        let r = c.settle(&[], start, Vec::new());
        self.commit(prog, start, &[], r)?;
        let e = self.st.entry_of(id).cloned().expect("just made");
        Ok((id, e))
    }

    /// After modules were added (`new`, ids from `Loaded::add_module`): indexes them and
    /// checks their fully annotated functions (so errors show when a module is loaded).
    pub fn add_modules(
        &mut self,
        prog: &mut Program,
        new: &[ModuleId],
    ) -> Result<Growth, Vec<Diagnostic>> {
        let start = self.st.specialization_count();
        let mut pre = Vec::new();
        for &m in new {
            pre.extend(self.st.index_module(&self.loaded, m));
        }
        let mut c = Checker::new(&self.loaded, &mut self.st);
        for &m in new {
            annotated_roots(&mut c, &self.loaded, m);
        }
        pre.append(&mut c.take_diags());
        let r = c.settle(&[], start, pre);
        self.commit(prog, start, &[], r)
    }

    /// After module `m` was replaced in place (`Loaded::add_module` on a loaded name,
    /// with `new` the modules it brought in): every specialization of `m`'s functions, and
    /// of the modules importing `m` (they may use its constants), is checked again, and
    /// then whatever calls a specialization whose return type changed. Fails — naming
    /// them — if a function still in use is gone or a dependent no longer checks.
    pub fn replace_module(
        &mut self,
        prog: &mut Program,
        m: ModuleId,
        old: &crate::loader::LoadedModule,
        new: &[ModuleId],
    ) -> Result<Growth, Vec<Diagnostic>> {
        self.or_undo(|c| c.replace_module_inner(prog, m, old, new))
    }

    /// Runs a step that may change specializations made before it; on error the table is
    /// put back as it was (a snapshot: such steps are rare — a reload, a host's new
    /// signature).
    fn or_undo<T>(
        &mut self,
        step: impl FnOnce(&mut Self) -> Result<T, Vec<Diagnostic>>,
    ) -> Result<T, Vec<Diagnostic>> {
        let saved = self.st.clone();
        let r = step(self);
        if r.is_err() {
            self.st = saved;
        }
        r
    }

    fn replace_module_inner(
        &mut self,
        prog: &mut Program,
        m: ModuleId,
        old: &crate::loader::LoadedModule,
        new: &[ModuleId],
    ) -> Result<Growth, Vec<Diagnostic>> {
        let start = self.st.specialization_count();
        let old_names: std::collections::HashMap<u32, String> = old
            .ast
            .items
            .iter()
            .enumerate()
            .filter_map(|(i, it)| match it {
                crate::syntax::ast::Item::Fn(d) => Some((i as u32, d.name.name.clone())),
                _ => None,
            })
            .collect();
        let mut pre = self.st.index_module(&self.loaded, m);
        for &n in new {
            pre.extend(self.st.index_module(&self.loaded, n));
        }
        let gone = self.st.remap_module(m, &old_names);
        let callers = callers_of(prog);
        // A function that is gone may stay only if nothing else uses it.
        let mut diags = Vec::new();
        for &g in &gone {
            for &c in callers.get(&g).into_iter().flatten() {
                if self.st.def_of(c).map(|d| d.module) != Some(m) {
                    let f = &prog.funcs[g as usize];
                    diags.push(
                        Diagnostic::error(
                            prog.funcs[c as usize].span,
                            format!(
                                "`{}` calls `{}`, which the new version of module `{}` no longer defines",
                                prog.funcs[c as usize].name, f.name, self.loaded.modules[m].name
                            ),
                        ),
                    );
                }
            }
        }
        if !diags.is_empty() {
            return Err(diags);
        }
        let importers: Vec<ModuleId> = (0..self.loaded.modules.len())
            .filter(|&i| i == m || self.loaded.modules[i].imports.values().any(|&t| t == m))
            .collect();
        let redo: Vec<FuncId> = (0..start as FuncId)
            .filter(|id| !gone.contains(id))
            .filter(|&id| {
                self.st
                    .def_of(id)
                    .is_some_and(|d| importers.contains(&d.module))
            })
            .collect();
        let mut c = Checker::new(&self.loaded, &mut self.st);
        annotated_roots(&mut c, &self.loaded, m);
        for &n in new {
            annotated_roots(&mut c, &self.loaded, n);
        }
        pre.append(&mut c.take_diags());
        drop(c);
        let mut g = self.settle_redo(prog, start, redo, pre, &callers)?;
        g.retired = gone;
        Ok(g)
    }

    /// Checks the specializations `ids` again (after something they use changed, like a
    /// host function's signature), and whatever depends on a result type that changes.
    /// On error nothing changes.
    pub fn recheck(&mut self, prog: &mut Program, ids: Vec<FuncId>) -> Result<Growth, Vec<Diagnostic>> {
        let callers = callers_of(prog);
        self.or_undo(|c| {
            let start = c.st.specialization_count();
            c.settle_redo(prog, start, ids, Vec::new(), &callers)
        })
    }

    /// Settles `redo` and the new specializations from `start`; while a redone
    /// specialization's return type differs from before, its callers are redone too.
    fn settle_redo(
        &mut self,
        prog: &mut Program,
        start: usize,
        mut redo: Vec<FuncId>,
        pre: Vec<Diagnostic>,
        callers: &std::collections::HashMap<FuncId, Vec<FuncId>>,
    ) -> Result<Growth, Vec<Diagnostic>> {
        // Specializations made before this (annotated roots, from `start`) are kept.
        let roots_end = self.st.specialization_count();
        loop {
            // A `prange` body is lowered with its parent (only then can it change).
            redo = self.st.with_prange_bodies(redo, roots_end);
            let old_rets: Vec<Type> = redo
                .iter()
                .map(|&id| prog.funcs[id as usize].ret.clone())
                .collect();
            self.st.truncate(roots_end);
            for id in redo.iter().copied().chain(start as FuncId..roots_end as FuncId) {
                self.st.reset_ret(id);
            }
            let mut c = Checker::new(&self.loaded, &mut self.st);
            let funcs = c.settle(&redo, start, pre.clone())?;
            let mut more = Vec::new();
            for (k, &id) in redo.iter().enumerate() {
                if funcs[k].1.ret != old_rets[k] {
                    for &c in callers.get(&id).into_iter().flatten() {
                        if !redo.contains(&c) && !more.contains(&c) {
                            more.push(c);
                        }
                    }
                }
            }
            if more.is_empty() {
                return self.commit(prog, start, &redo, Ok(funcs));
            }
            redo.extend(more);
        }
    }

    /// Applies a settled step to `prog`, or undoes it in the table.
    fn commit(
        &mut self,
        prog: &mut Program,
        start: usize,
        redo: &[FuncId],
        r: Result<Vec<(FuncId, crate::ir::Func)>, Vec<Diagnostic>>,
    ) -> Result<Growth, Vec<Diagnostic>> {
        match r {
            Ok(funcs) => {
                debug_assert_eq!(prog.funcs.len(), start);
                for (id, f) in funcs {
                    if (id as usize) < start {
                        prog.funcs[id as usize] = f;
                    } else {
                        debug_assert_eq!(id as usize, prog.funcs.len());
                        prog.funcs.push(f);
                    }
                }
                Ok(Growth {
                    replaced: redo.to_vec(),
                    retired: Vec::new(),
                })
            }
            Err(d) => {
                self.st.truncate(start);
                Err(d)
            }
        }
    }
}

/// Specializes every fully annotated function of module `m` (a root: checked even if
/// nothing calls it yet).
fn annotated_roots(c: &mut Checker<'_>, loaded: &Loaded, m: ModuleId) {
    for (i, item) in loaded.modules[m].ast.items.iter().enumerate() {
        if let crate::syntax::ast::Item::Fn(_) = item {
            c.instantiate_annotated(DefId {
                module: m,
                item: i as u32,
            });
        }
    }
}

/// Each specialization → the specializations whose IR calls it.
fn callers_of(prog: &Program) -> std::collections::HashMap<FuncId, Vec<FuncId>> {
    let mut out: std::collections::HashMap<FuncId, Vec<FuncId>> = Default::default();
    for (id, f) in prog.funcs.iter().enumerate() {
        for callee in f.callees() {
            let v = out.entry(callee).or_default();
            if !v.contains(&(id as FuncId)) {
                v.push(id as FuncId);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::ir::{Program, Type};
    use crate::loader::load_source;

    fn check(src: &str) -> Result<Program, Vec<String>> {
        let loaded = load_source("t.nk", src.to_string(), None)
            .map_err(|(_, d)| d.into_iter().map(|d| d.message).collect::<Vec<_>>())?;
        super::check_program(&loaded).map_err(|d| d.into_iter().map(|d| d.message).collect())
    }

    /// (name, return type) of every specialization of user functions, sorted.
    fn specs(p: &Program) -> Vec<(String, String)> {
        let mut v: Vec<_> = p
            .funcs
            .iter()
            .filter(|f| !f.name.starts_with('<'))
            .map(|f| (f.name.clone(), f.ret.to_string()))
            .collect();
        v.sort();
        v
    }

    #[test]
    fn one_specialization_per_argument_type_tuple() {
        let p = check("fn twice(x) { return x + x; }\nprint(twice(1), twice(2), twice(1.5), twice(zeros(2)));")
            .unwrap();
        let s: Vec<_> = specs(&p)
            .into_iter()
            .filter(|(n, _)| n.starts_with("twice"))
            .collect();
        assert_eq!(
            s,
            vec![
                ("twice(f64)".to_string(), "f64".to_string()),
                ("twice(f64[])".to_string(), "f64[]".to_string()),
                ("twice(i64)".to_string(), "i64".to_string()),
            ]
        );
    }

    #[test]
    fn recursive_return_inferred_whichever_case_comes_first() {
        let p = check(
            "fn fact(n) { if n > 1 { return n * fact(n - 1); } else { return 1; } }\n\
             fn even(n) { if n == 0 { return true; } return odd(n - 1); }\n\
             fn odd(n) { if n == 0 { return false; } return even(n - 1); }\n\
             print(fact(5), even(4));",
        )
        .unwrap();
        let s = specs(&p);
        assert!(
            s.contains(&("fact(i64)".to_string(), "i64".to_string())),
            "{s:?}"
        );
        assert!(
            s.contains(&("even(i64)".to_string(), "bool".to_string())),
            "{s:?}"
        );
        assert!(
            s.contains(&("odd(i64)".to_string(), "bool".to_string())),
            "{s:?}"
        );
    }

    #[test]
    fn pure_recursion_without_base_case_is_reported() {
        let e = check("fn f(n) { return f(n); }\nprint(f(1));").unwrap_err();
        assert!(
            e.iter().any(|m| m.contains("cannot infer the return type")),
            "{e:?}"
        );
    }

    #[test]
    fn all_type_errors_reported_at_once() {
        let e = check("let a = 1 + true;\nif 3 { }\nlet b: i64 = 2.5;\nprint(nope);").unwrap_err();
        assert_eq!(e.len(), 4, "{e:?}");
    }

    #[test]
    fn a_generic_error_is_reported_once_without_echoes() {
        let e = check("fn f(x) { return x + true; }\nprint(f(1), f(2.0));").unwrap_err();
        assert_eq!(
            e,
            vec!["type mismatch: cannot apply `+` to i64 and bool".to_string()]
        );
    }

    #[test]
    fn runaway_specialization_is_an_error_not_a_hang() {
        let e = check("fn g(x) { return g((x, x)); }\nprint(g(1));").unwrap_err();
        assert!(e.iter().any(|m| m.contains("tuple too large")), "{e:?}");
        let e = check("fn h(x, n: i64) { if n == 0 { return 0; } return h(zeros(1), n - 1) + h((x, 1.5), n - 1); }\nprint(h(1, 3));")
            .unwrap_err();
        assert!(
            e.iter()
                .any(|m| m.contains("tuple too large") || m.contains("specializations")),
            "{e:?}"
        );
    }

    #[test]
    fn misspelled_names_get_a_suggestion() {
        let e = check("let total = 1;\nprint(totl, lenn(zeros(2)), sqr(2.0), xyzzy);").unwrap_err();
        assert_eq!(
            e,
            vec![
                "undefined variable `totl`, did you mean `total`?".to_string(),
                "undefined function `lenn`, did you mean `len`?".to_string(),
                "undefined function `sqr`, did you mean `sqrt`?".to_string(),
                "undefined variable `xyzzy`".to_string(),
            ]
        );
    }

    #[test]
    fn int_widens_to_f64_but_not_back() {
        assert!(check("let x: f64 = 0; x = 3; print(x);").is_ok());
        // An untyped `let` takes the type of all its assignments (version 2)...
        assert!(check("let i = 0; i = 0.5;").is_ok());
        // ...a typed one does not, and neither does an array.
        let e = check("let i: i64 = 0; i = 0.5;").unwrap_err();
        assert!(e[0].contains("type mismatch"), "{e:?}");
        let e = check("let a = zeros(2); a = arange(2);").unwrap_err();
        assert!(e[0].contains("type mismatch"), "{e:?}");
    }

    #[test]
    fn returns_must_agree() {
        let e = check("fn f(c) { if c { return 1; } return 2.0; }\nprint(f(true));").unwrap_err();
        assert!(e[0].contains("returns f64 here but i64"), "{e:?}");
    }

    #[test]
    fn mixed_scalar_operands_are_made_explicit() {
        let p = check("fn f(a: i64, b: f64) { return a + b; }\nprint(f(1, 2.0));").unwrap();
        let f = p.funcs.iter().find(|f| f.name == "f(i64, f64)").unwrap();
        assert_eq!(f.ret, Type::F64);
        let text = format!("{:?}", f.body);
        assert!(
            text.contains("Cast(F64"),
            "the i64 operand must be cast explicitly: {text}"
        );
    }

    #[test]
    fn a_block_that_returns_on_every_path_returns() {
        // A bare block is lowered to `if true { ... }`: its returns count.
        for ok in [
            "fn f(x: i64) -> i64 { { return x * 2; } }\nprint(f(1));",
            "fn g(x) { if x > 0 { return 1; } else { { return 2; } } }\nprint(g(1));",
            "fn h(x) { { { if x > 0 { return 1; } } return 2; } }\nprint(h(1));",
            "fn w(x) { while true { { if x > 0 { return 1; } } } }\nprint(w(1));",
        ] {
            assert!(check(ok).is_ok(), "{ok}: {:?}", check(ok).err());
        }
        // ...but a block does not return when one of its paths falls through, and a
        // `break` inside a block still leaves `while true`.
        for bad in [
            "fn f(x: i64) -> i64 { { if x > 0 { return 1; } } }\nprint(f(1));",
            "fn g(x) { if x > 0 { return 1; } else { { let y = 2; } } }\nprint(g(1));",
            "fn w(x) -> i64 { while true { { break; } } }\nprint(w(1));",
        ] {
            let e = check(bad).unwrap_err();
            assert!(
                e.iter().any(|m| m.contains("may reach its end without a `return`")),
                "{bad}: {e:?}"
            );
        }
    }
}

#[cfg(test)]
mod effects_tests;
