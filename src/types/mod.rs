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

pub use builtins::is_builtin_name;

use crate::diag::Diagnostic;
use crate::ir::Program;
use crate::loader::Loaded;

/// Checks a loaded program and lowers it to typed IR, or returns every error found.
pub fn check_program(loaded: &Loaded) -> Result<Program, Vec<Diagnostic>> {
    check::Checker::new(loaded).run()
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
        let e = check("let i = 0; i = 0.5;").unwrap_err();
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
}

#[cfg(test)]
mod effects_tests;
