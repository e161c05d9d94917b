//! Entry keys: what a specialization's machine code depends on, hashed.
//!
//! The key covers exactly the inputs of code generation (`jit::codegen` reads nothing
//! else):
//! - the bytecode — ops, constants, rare-op tables, frame sizes — with every `Call`'s slot
//!   replaced by the callee's index in the link vector (slots differ between programs);
//! - the function's own parameter and return types (the prologue reads its parameters);
//! - each callee's *signature* in link order: its parameter and return types — how many
//!   registers the call passes and gets back — but neither its body nor its name (the
//!   code reaches it through the link vector, which each loading program fills from its
//!   own bytecode; so a file run as a script and the same file loaded as a module, where
//!   its functions are named `f` and `stem.f`, share their entries);
//! - the target fingerprint (nvm and Cranelift versions, code generator revision, CPU
//!   features, runtime layout).
//!
//! Source positions are not part of it (errors find them in the current bytecode), so
//! editing one function does not change the keys of the functions around it.

use crate::bytecode::{CompiledFn, Ext, Op};
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

/// How a callee is named in an entry's metadata (`cache verify` looks its code up by it;
/// linking never does: a loading program fills the link vector from its own bytecode).
pub fn identity(prog: &Program, id: FuncId) -> String {
    prog.funcs[id as usize].name.clone()
}

/// The key of `f`'s native code for this target.
///
/// The hashed bytes are a binary record (every string and list length-prefixed, so no two
/// inputs give the same bytes): each op is its discriminant and its fields' values, which
/// covers every operand code generation reads; `Ext` ops (rare, data-heavy) are their
/// `Debug` text. Computing a key is on every warm call's first resolution, so it formats
/// nothing per op.
pub fn key_for(prog: &Program, f: &CompiledFn, fingerprint: &[u8; 16]) -> Key {
    use std::hash::Hash;
    let func = &prog.funcs[f.func as usize];
    let callees = f.callees();
    let mut b = KeyBytes(Vec::with_capacity(64 + 16 * f.code.len()));
    b.0.extend_from_slice(b"nvm-key-3");
    b.0.extend_from_slice(fingerprint);
    b.u64(f.n_s as u64);
    b.u64(f.n_a as u64);
    b.u64(func.params.len() as u64);
    let mut text = String::new();
    for &p in &func.params {
        text.clear();
        let _ = write!(text, "{}", func.locals[p as usize].ty);
        b.str(&text);
    }
    text.clear();
    let _ = write!(text, "{}", func.ret);
    b.str(&text);
    b.u64(callees.len() as u64);
    for &c in &callees {
        let callee = &prog.funcs[c as usize];
        b.u64(callee.params.len() as u64);
        for &p in &callee.params {
            text.clear();
            let _ = write!(text, "{}", callee.locals[p as usize].ty);
            b.str(&text);
        }
        text.clear();
        let _ = write!(text, "{}", callee.ret);
        b.str(&text);
    }
    b.u64(f.code.len() as u64);
    for op in &f.code {
        std::mem::discriminant(op).hash(&mut b);
        match *op {
            Op::Call { slot, s, a } => {
                let k = callees
                    .iter()
                    .position(|&c| c == slot)
                    .unwrap_or(usize::MAX);
                for v in [k as u64, s as u64, a as u64] {
                    b.u64(v);
                }
            }
            other => {
                other.all_operands(|field| {
                    b.u64(field.value as u64);
                    true
                });
            }
        }
    }
    b.u64(f.consts.len() as u64);
    for &c in &f.consts {
        b.u64(c);
    }
    b.u64(f.divisors.len() as u64);
    for d in &f.divisors {
        b.u64(d.get());
    }
    b.u64(f.ext.len() as u64);
    for e in &f.ext {
        text.clear();
        let _ = match e {
            // A `prange` body, like a call's callee, by its link index.
            Ext::ParFor {
                slot,
                s,
                a,
                n_s,
                n_a,
                reds,
            } => {
                let k = callees.iter().position(|c| c == slot);
                write!(text, "ParFor {k:?} {s} {a} {n_s} {n_a} {reds:?}")
            }
            _ => write!(text, "{e:?}"),
        };
        b.str(&text);
    }
    Key(xxhash_rust::xxh3::xxh3_128(&b.0).to_le_bytes())
}

/// The bytes a key hashes; also a `Hasher`, so an op's discriminant can write itself.
struct KeyBytes(Vec<u8>);

impl KeyBytes {
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn str(&mut self, s: &str) {
        self.u64(s.len() as u64);
        self.0.extend_from_slice(s.as_bytes());
    }
}

impl std::hash::Hasher for KeyBytes {
    fn write(&mut self, bytes: &[u8]) {
        self.0.extend_from_slice(bytes);
    }
    fn finish(&self) -> u64 {
        0 // never asked: the bytes are hashed by `key_for`
    }
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
    fn a_prange_body_counts_by_link_index_not_by_slot() {
        let src = "fn par(n: i64) -> i64 { let s = 0; for i in prange(n) { s += i; } return s; }\n\
                   print(par(3));";
        let a = keys(src, [0; 16]);
        let moved = format!(
            "fn other() -> i64 {{ return 7; }}\nfn o2(x: f64) -> f64 {{ return x; }}\n\
             print(other(), o2(1.0));\n{src}"
        );
        let b = keys(&moved, [0; 16]);
        // The first `par(i64)` is the function; its body (same name) comes after it.
        assert_eq!(key_of(&a, "par(i64)"), key_of(&b, "par(i64)"));
    }

    #[test]
    fn callees_count_by_signature_not_by_name() {
        let a = keys(BASE, [0; 16]);
        let renamed = BASE.replace("callee", "helper");
        let b = keys(&renamed, [0; 16]);
        assert_eq!(key_of(&a, "caller(i64)"), key_of(&b, "caller(i64)"));
        // A callee taking another type passes other registers: another key.
        let typed = BASE
            .replace("fn callee(n: i64)", "fn callee(n: f64)")
            .replace("callee(n) + 1.0", "callee(float(n)) + 1.0");
        let c = keys(&typed, [0; 16]);
        assert_ne!(key_of(&a, "caller(i64)"), key_of(&c, "caller(i64)"));
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
