//! Tests of `ir::effects` over checked programs (here because `ir` may not import
//! `loader` or `types`, even in tests: `tests/layers.rs`).
use crate::ir::effects::writes_arrays;
use crate::ir::{FuncId, HostSig, Program, Type};
use crate::loader::load_source;
use crate::vocab::Prim;

fn program(src: &str, hosts: Vec<HostSig>) -> Program {
    let mut loaded = load_source("t.nk", src.to_string(), None).expect("loads");
    loaded.hosts = hosts;
    crate::types::check_program(&loaded).expect("checks")
}

fn id(p: &Program, name: &str) -> FuncId {
    p.funcs
        .iter()
        .position(|f| f.name == name)
        .unwrap_or_else(|| panic!("{name} in {:?}", p.funcs.iter().map(|f| &f.name)))
        as FuncId
}

const SRC: &str = "\
fn total(xs) { return sum(xs) + mean(xs); }
fn view(xs) { let v = xs[1:]; return v[0] + len(xs); }
fn store(xs) { xs[0] = 1.0; }
fn store_slice(xs) { xs[1:] = 0.0; }
fn aug(xs) { xs += 1.0; }
fn rebind(xs) { xs = xs + 1.0; return xs; }
fn calls_store(xs) { store(xs); }
fn deep(xs) { return indirect(xs); }
fn indirect(xs) { if len(xs) > 0 { calls_store(xs); } return 0.0; }
fn rec_read(xs, n) { if n == 0 { return xs[0]; } return rec_read(xs, n - 1); }
fn rec_write(xs, n) { if n == 0 { xs[0] = 2.0; return 0.0; } return rec_write(xs, n - 1); }
fn own(n) { let a = zeros(n); a[0] = 1.0; return a; }
fn sorted(xs) { return sort(xs)[0] + copy(xs)[0] + transpose(xs)[0]; }
fn host_scalar(x) { return h_scalar(x); }
fn host_array(xs) { return h_array(xs); }
fn in_loop(xs) { let s = 0.0; for i in 0..len(xs) { while s < 0.0 { xs[i] = 0.0; } s += xs[i]; } return s; }
let a = ones(3);
print(total(a), view(a), rebind(a), rec_read(a, 3), sorted(a), own(2), host_scalar(1.0), host_array(a), in_loop(a));
store(a); store_slice(a); aug(a); calls_store(a); print(deep(a), rec_write(a, 2));
";

#[test]
fn stores_anywhere_in_the_call_graph_are_found() {
    let hosts = vec![
        HostSig {
            name: "h_scalar".into(),
            params: vec![Type::F64],
            ret: Type::F64,
        },
        HostSig {
            name: "h_array".into(),
            params: vec![Type::Array(Prim::F64, 1)],
            ret: Type::F64,
        },
    ];
    let p = program(SRC, hosts);
    let f = |n: &str| writes_arrays(&p, id(&p, n));
    for pure in [
        "total(f64[])",
        "view(f64[])",
        "rebind(f64[])",
        "rec_read(f64[], i64)",
        "sorted(f64[])",
        "host_scalar(f64)",
    ] {
        assert!(!f(pure), "{pure} writes no array");
    }
    for writes in [
        "store(f64[])",
        "store_slice(f64[])",
        "aug(f64[])",
        "calls_store(f64[])",
        "deep(f64[])",
        "indirect(f64[])",
        "rec_write(f64[], i64)",
        "own(i64)",
        "host_array(f64[])",
        "in_loop(f64[])",
    ] {
        assert!(f(writes), "{writes} writes an array");
    }
    // The script calls writers; an id outside the program is answered safely.
    assert!(writes_arrays(&p, p.script));
    assert!(writes_arrays(&p, p.funcs.len() as FuncId));
}
