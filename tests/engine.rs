//! The embedding API (`nvm::engine::Engine`), used as a Rust program would.

use ndarray::{arr1, arr2, ArrayD};
use nvm::engine::{Engine, Error};
use nvm::interp::Tier;

const PHYSICS: &str = "fn energy(m: f64, v: f64) -> f64 { return 0.5 * m * v * v; }\n\
    fn total(ms: f64[], vs: f64[]) -> f64 {\n\
        let s = 0.0;\n\
        for i in 0..len(ms) { s += energy(ms[i], vs[i]); }\n\
        return s;\n\
    }\n\
    fn scaled(a, k) { return a * k; }\n\
    fn stats(a: f64[]) { return (min(a), max(a)); }\n\
    fn first(a: f64[]) -> f64 { return a[10]; }\n\
    fn outer(a: f64[]) -> f64 { return first(a) + 1.0; }\n";

#[test]
fn calls_specialize_on_first_use_in_every_tier() {
    for tier in [Tier::Interp, Tier::Jit, Tier::Auto] {
        let mut e = Engine::builder().tier(tier).build();
        e.load_str("physics", PHYSICS).unwrap();
        let x: f64 = e.call("energy", (2.0, 3.0)).unwrap();
        assert_eq!(x, 9.0);
        let t: f64 = e
            .call("physics.total", (arr1(&[1.0, 2.0]), arr1(&[2.0, 1.0])))
            .unwrap();
        assert_eq!(t, 3.0);
        // A generic function, specialized once per argument type list.
        let ints: ArrayD<i64> = e.call("scaled", (arr1(&[1i64, 2, 3]), 2i64)).unwrap();
        assert_eq!(ints.as_slice().unwrap(), &[2, 4, 6]);
        let m: ArrayD<f64> = e
            .call("scaled", (arr2(&[[1.0, 2.0], [3.0, 4.0]]), 0.5))
            .unwrap();
        assert_eq!(m.shape(), &[2, 2]);
        assert_eq!(m[[1, 1]], 2.0);
        let (lo, hi): (f64, f64) = e.call("stats", (arr1(&[3.0, -1.0, 7.5]),)).unwrap();
        assert_eq!((lo, hi), (-1.0, 7.5));
    }
}

#[test]
fn errors_come_back_typed_with_the_nk_call_chain() {
    let mut e = Engine::new();
    // Syntax errors show at load; type errors when a call specializes the function (nk
    // types a generic function per call). Both render as the CLI renders them.
    let err = e.load_str("bad", "fn f(x) { return x + ; }").unwrap_err();
    match &err {
        Error::Compile(r) => assert!(r.contains("bad:1:"), "{r}"),
        other => panic!("{other:?}"),
    }
    e.load_str("typed", "fn g(x: i64) -> i64 { return x + true; }")
        .unwrap();
    match e.call::<i64>("g", (1i64,)).unwrap_err() {
        Error::Compile(r) => assert!(r.contains("typed:1:"), "{r}"),
        other => panic!("{other:?}"),
    }
    e.load_str("physics", PHYSICS).unwrap();
    match e.call::<f64>("outer", (arr1(&[1.0, 2.0]),)).unwrap_err() {
        Error::Runtime {
            message,
            chain,
            rendered,
        } => {
            assert_eq!(message, "index 10 is out of bounds for axis 0 with size 2");
            assert_eq!(chain.len(), 2, "{chain:?}");
            assert!(
                chain[0].starts_with("physics.outer(f64[]) at physics:"),
                "{chain:?}"
            );
            assert!(
                chain[1].starts_with("physics.first(f64[]) at physics:"),
                "{chain:?}"
            );
            assert!(rendered.contains("call chain"), "{rendered}");
        }
        other => panic!("{other:?}"),
    }
    // Asking for the wrong result type, an unknown function: usage errors.
    assert!(
        matches!(e.call::<i64>("energy", (1.0, 1.0)), Err(Error::Usage(m)) if m.contains("returned f64"))
    );
    assert!(matches!(e.call::<f64>("nope", ()), Err(Error::Usage(_))));
    // Arguments of the wrong type are nk type errors at the call.
    assert!(matches!(
        e.call::<f64>("energy", (true, 1.0)),
        Err(Error::Compile(_))
    ));
    // ... and the engine still works afterwards.
    assert_eq!(e.call::<f64>("energy", (1.0, 2.0)).unwrap(), 2.0);
}

#[test]
fn reloading_a_module_replaces_its_functions_and_frees_the_old_code() {
    let mut e = Engine::builder().tier(Tier::Jit).capture_output().build();
    e.load_str("m", "fn f(x: f64) -> f64 { return x + 1.0; }")
        .unwrap();
    assert_eq!(e.call::<f64>("f", (1.0,)).unwrap(), 2.0);
    e.load_str("m", "fn f(x: f64) -> f64 { print(x); return x * 10.0; }")
        .unwrap();
    assert_eq!(e.call::<f64>("f", (1.0,)).unwrap(), 10.0);
    assert_eq!(e.take_output(), "1.0\n");
    // Many redefinitions: memory stays bounded (each replaces, nothing accumulates).
    let rss = || {
        std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmRSS:"))
                    .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
            })
            .unwrap_or(0)
    };
    let mut before = 0;
    for i in 0..10_000 {
        e.load_str("m", &format!("fn f(x: f64) -> f64 {{ return x + {i}.0; }}"))
            .unwrap();
        assert_eq!(e.call::<f64>("f", (1.0,)).unwrap(), 1.0 + i as f64);
        if i == 1000 {
            before = rss();
        }
    }
    let after = rss();
    assert!(
        after < before + 20 * 1024,
        "RSS grew from {before} KiB to {after} KiB"
    );
}

#[test]
fn modules_load_from_files_with_their_imports() {
    let dir = std::env::temp_dir().join(format!("nvm-engine-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("helpers.nk"),
        "fn twice(x: f64) -> f64 { return 2.0 * x; }",
    )
    .unwrap();
    std::fs::write(
        dir.join("main_mod.nk"),
        "import helpers;\nfn quad(x: f64) -> f64 { return helpers.twice(helpers.twice(x)); }",
    )
    .unwrap();
    let mut e = Engine::builder().cache_dir(dir.join("heap")).build();
    e.load_file(dir.join("main_mod.nk")).unwrap();
    assert_eq!(e.call::<f64>("quad", (1.5,)).unwrap(), 6.0);
    assert!(matches!(
        e.load_file(dir.join("missing.nk")),
        Err(Error::Usage(_))
    ));
    let _ = std::fs::remove_dir_all(&dir);
}
