//! Entry keys: what a specialization's machine code depends on, hashed.
//!
//! The key covers exactly the inputs of code generation (`jit::codegen` reads nothing
//! else):
//! - the bytecode — ops, constants, rare-op tables, frame sizes — with every `Call`'s slot
//!   replaced by the callee's index in the link vector (slots differ between programs);
//! - the function's own parameter and return types (the prologue reads its parameters);
//! - each callee's *signature* in link order: its identity (qualified name with argument
//!   types) and return type — how many registers the call passes and gets back — but not
//!   its body;
//! - the target fingerprint (nvm and Cranelift versions, code generator revision, CPU
//!   features, runtime layout).
//!
//! Source positions are not part of it (errors find them in the current bytecode), so
//! editing one function does not change the keys of the functions around it.

use crate::bytecode::{CompiledFn, Op};
use crate::ir::{FuncId, Program};
use std::fmt::Write;

/// A heap key: 128 bits of xxh3.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Key(pub [u8; 16]);

impl Key {
    pub fn hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// How a callee is named in an entry: its identity, which a loading program maps to its
/// own slot for that function.
pub fn identity(prog: &Program, id: FuncId) -> String {
    prog.funcs[id as usize].name.clone()
}

/// The key of `f`'s native code for this target.
pub fn key_for(prog: &Program, f: &CompiledFn, fingerprint: &[u8; 16]) -> Key {
    let func = &prog.funcs[f.func as usize];
    let callees = f.callees();
    let mut text = String::new();
    let _ = write!(text, "fp {fingerprint:?}\nframe {} {}\n", f.n_s, f.n_a);
    let params: Vec<String> = func
        .params
        .iter()
        .map(|&p| func.locals[p as usize].ty.to_string())
        .collect();
    let _ = writeln!(text, "sig ({}) -> {}", params.join(", "), func.ret);
    for &c in &callees {
        let _ = writeln!(
            text,
            "callee {} -> {}",
            identity(prog, c),
            prog.funcs[c as usize].ret
        );
    }
    for op in &f.code {
        match *op {
            Op::Call { slot, s, a } => {
                let k = callees
                    .iter()
                    .position(|&c| c == slot)
                    .unwrap_or(usize::MAX);
                let _ = writeln!(text, "Call link{k} {s} {a}");
            }
            other => {
                let _ = writeln!(text, "{other:?}");
            }
        }
    }
    let _ = writeln!(text, "consts {:?}", f.consts);
    let divisors: Vec<u64> = f.divisors.iter().map(|d| d.get()).collect();
    let _ = writeln!(text, "divisors {divisors:?}");
    for e in &f.ext {
        let _ = writeln!(text, "{e:?}");
    }
    Key(xxhash_rust::xxh3::xxh3_128(text.as_bytes()).to_le_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loader::load_source;

    fn keys(src: &str, fp: [u8; 16]) -> Vec<(String, Key)> {
        let loaded = load_source("k.nk", src.to_string(), None).expect("loads");
        let prog = crate::types::check_program(&loaded).expect("checks");
        (0..prog.funcs.len() as FuncId)
            .map(|id| {
                let bc = crate::bytecode::compile(&prog, id).expect("compiles");
                (
                    prog.funcs[id as usize].name.clone(),
                    key_for(&prog, &bc, &fp),
                )
            })
            .collect()
    }

    fn key_of(ks: &[(String, Key)], name: &str) -> Key {
        ks.iter().find(|(n, _)| n == name).expect("function").1
    }

    const BASE: &str = "fn callee(n: i64) -> f64 { return n * 1.5; }\n\
                        fn caller(n: i64) -> f64 { return callee(n) + 1.0; }\n\
                        print(caller(3));";

    #[test]
    fn a_callees_body_is_not_part_of_its_callers_key() {
        let a = keys(BASE, [0; 16]);
        let edited = BASE.replace("n * 1.5", "n * 2.5 + 0.0");
        let b = keys(&edited, [0; 16]);
        assert_ne!(key_of(&a, "callee(i64)"), key_of(&b, "callee(i64)"));
        assert_eq!(key_of(&a, "caller(i64)"), key_of(&b, "caller(i64)"));
    }

    #[test]
    fn a_callees_return_type_is_part_of_its_callers_key() {
        let a = keys(BASE, [0; 16]);
        let edited = BASE
            .replace("-> f64 { return n * 1.5; }", "-> i64 { return n * 2; }")
            .replace("callee(n) + 1.0", "float(callee(n)) + 1.0");
        let b = keys(&edited, [0; 16]);
        assert_ne!(key_of(&a, "caller(i64)"), key_of(&b, "caller(i64)"));
    }

    #[test]
    fn source_positions_and_slots_are_not_part_of_keys() {
        let a = keys(BASE, [0; 16]);
        // Another function first (so every slot and position moves), comments, blank lines.
        let moved = format!("fn other() -> i64 {{ return 7; }}\n# note\n\n{BASE}\nprint(other());");
        let b = keys(&moved, [0; 16]);
        for f in ["callee(i64)", "caller(i64)", "<script>"] {
            if f == "<script>" {
                assert_ne!(key_of(&a, f), key_of(&b, f), "the script itself changed");
            } else {
                assert_eq!(key_of(&a, f), key_of(&b, f), "{f}");
            }
        }
    }

    #[test]
    fn the_target_fingerprint_is_part_of_every_key() {
        let a = keys(BASE, [0; 16]);
        let b = keys(BASE, [1; 16]);
        for ((n, ka), (_, kb)) in a.iter().zip(&b) {
            assert_ne!(ka, kb, "{n}");
        }
    }
}
