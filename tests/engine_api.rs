//! The embedding API on the growing checker: typed handles, modules in any order,
//! redefinition, interrupts, threads.

use nvm::{Engine, Error, Tier};
use std::sync::atomic::Ordering;

#[test]
fn typed_handles_are_checked_when_made() {
    let mut e = Engine::new();
    e.load_str(
        "m",
        "fn add(a, b) { return a + b; }\nfn scale(x: f64, k: f64) -> f64 { return x * k; }",
    )
    .unwrap();
    let add = e.func::<(i64, i64), i64>("add").unwrap();
    assert_eq!(add.call((2, 3)).unwrap(), 5);
    assert_eq!(add.name(), "m.add(i64, i64)");
    let addf = e.func::<(f64, f64), f64>("m.add").unwrap();
    assert_eq!(addf.call((0.5, 0.25)).unwrap(), 0.75);
    // The result type is checked when the handle is made.
    match e.func::<(i64, i64), f64>("add") {
        Err(Error::Usage(m)) => assert_eq!(m, "`m.add(i64, i64)` returns i64, not f64 as asked"),
        other => panic!("{:?}", other.map(|_| ())),
    }
    // So are the arguments against the declared parameters (i64 widens to f64).
    match e.func::<(bool, f64), f64>("scale") {
        Err(Error::Usage(m)) => {
            assert_eq!(m, "`m.scale` takes (x: f64, k: f64), given (bool, f64)")
        }
        other => panic!("{:?}", other.map(|_| ())),
    }
    let scale = e.func::<(i64, f64), f64>("scale").unwrap();
    assert_eq!(scale.call((3, 0.5)).unwrap(), 1.5);
    match e.func::<(f64,), f64>("scale") {
        Err(Error::Usage(m)) => assert!(m.contains("given (f64)"), "{m}"),
        other => panic!("{:?}", other.map(|_| ())),
    }
    // Every scalar widening nk allows at a call: an i32 to an i64 parameter, u8 and i32
    // to f64, f32 to f64 (the f32's value, not its bits); never narrowing or from bool.
    e.load_str(
        "w",
        "fn twice(n: i64) -> i64 { return 2 * n; }\nfn half(x: f64) -> f64 { return x / 2.0; }",
    )
    .unwrap();
    assert_eq!(e.call::<i64>("twice", (21,)).unwrap(), 42, "i32 literal");
    assert_eq!(e.call::<i64>("twice", (-4_i32,)).unwrap(), -8);
    assert_eq!(e.call::<i64>("twice", (200_u8,)).unwrap(), 400);
    assert_eq!(e.call::<f64>("half", (0.25_f32,)).unwrap(), 0.125);
    assert_eq!(e.call::<f64>("half", (-3_i32,)).unwrap(), -1.5);
    let twice = e.func::<(i32,), i64>("twice").unwrap();
    assert_eq!(
        twice.call((-21,)).unwrap(),
        -42,
        "the scalar fast path widens too"
    );
    let half = e.func::<(f32,), f64>("half").unwrap();
    assert_eq!(half.call((1.5,)).unwrap(), 0.75);
    let half_u8 = e.func::<(u8,), f64>("half").unwrap();
    assert_eq!(half_u8.call((255,)).unwrap(), 127.5);
    for bad in [
        e.call::<i64>("twice", (1.5,)).unwrap_err(),
        e.call::<i64>("twice", (true,)).unwrap_err(),
        e.call::<f64>("half", (true,)).unwrap_err(),
    ] {
        assert!(
            matches!(&bad, Error::Usage(m) if m.contains("takes (")),
            "{bad}"
        );
    }
    // Generic bodies are checked for the handle's types.
    e.load_str("g", "fn neg(x) { return -x; }").unwrap();
    assert!(matches!(
        e.func::<(bool,), bool>("neg"),
        Err(Error::Compile(_))
    ));
    assert!(matches!(
        e.func::<(i64,), i64>("nope"),
        Err(Error::Usage(_))
    ));
    // Scalars take a fast path: results of every scalar type, nothing, and runtime errors
    // with their chain come back as through any other call.
    e.load_str(
        "s",
        "fn pos(x: f64) -> bool { return x > 0.0; }\nfn noop(x: i64) { }\nfn div(a: i64, b: i64) -> i64 { return inner(a, b); }\nfn inner(a: i64, b: i64) -> i64 { return a // b; }",
    )
    .unwrap();
    let pos = e.func::<(i64,), bool>("pos").unwrap();
    assert!(pos.call((3,)).unwrap());
    assert!(!pos.call((-3,)).unwrap());
    e.func::<(i64,), ()>("noop").unwrap().call((1,)).unwrap();
    let div = e.func::<(i64, i64), i64>("div").unwrap();
    assert_eq!(div.call((-7, 2)).unwrap(), -4, "floor division");
    match div.call((1, 0)) {
        Err(Error::Runtime { message, chain, .. }) => {
            assert!(message.contains("division by zero"), "{message}");
            let names: Vec<&str> = chain.iter().map(|f| f.function.as_str()).collect();
            assert_eq!(names, ["s.div(i64, i64)", "s.inner(i64, i64)"]);
            assert_eq!((chain[1].file.as_str(), chain[1].line), ("s", 4));
        }
        other => panic!("{other:?}"),
    }
    // Twelve arguments.
    e.load_str(
        "many",
        "fn s(a, b, c, d, e, f, g, h, i, j, k, l) { return a + b + c + d + e + f + g + h + i + j + k + l; }",
    )
    .unwrap();
    type Twelve = (i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64);
    let s = e.func::<Twelve, i64>("s").unwrap();
    assert_eq!(s.call((1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12)).unwrap(), 78);
}

#[test]
fn a_handle_follows_redefinitions_of_its_function() {
    let mut e = Engine::builder().tier(Tier::Jit).build();
    e.load_str("m", "fn f(x: i64) -> i64 { return x + 1; }")
        .unwrap();
    let f = e.func::<(i64,), i64>("f").unwrap();
    assert_eq!(f.call((1,)).unwrap(), 2);
    e.load_str("m", "fn f(x: i64) -> i64 { return x * 100; }")
        .unwrap();
    assert_eq!(f.call((2,)).unwrap(), 200, "the slot was patched");
    e.load_str("m", "fn f(x: i64) -> f64 { return x * 0.5; }")
        .unwrap();
    match f.call((2,)) {
        Err(Error::Usage(m)) => assert!(m.contains("now returns f64"), "{m}"),
        other => panic!("{other:?}"),
    }
    e.load_str("m", "fn g() -> i64 { return 0; }").unwrap();
    match f.call((2,)) {
        Err(Error::Usage(m)) => assert!(m.contains("no longer defined"), "{m}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn modules_load_in_any_order_and_may_import_each_other() {
    let mut e = Engine::new();
    // `a` imports `b`, which is not loaded yet: `a` waits.
    e.load_str(
        "a",
        "import b;\nfn even(n: i64) -> bool { if n == 0 { return true; } return b.odd(n - 1); }",
    )
    .unwrap();
    match e.call::<bool>("a.even", (4i64,)) {
        Err(Error::Usage(m)) => assert!(m.contains("`a` waits for b"), "{m}"),
        other => panic!("{other:?}"),
    }
    e.load_str(
        "b",
        "import a;\nfn odd(n: i64) -> bool { if n == 0 { return false; } return a.even(n - 1); }",
    )
    .unwrap();
    assert!(e.call::<bool>("a.even", (10i64,)).unwrap());
    assert!(e.call::<bool>("odd", (7i64,)).unwrap());
}

#[test]
fn a_reload_that_would_break_another_module_is_refused() {
    let mut e = Engine::new();
    e.load_str("lib", "fn k() -> i64 { return 2; }").unwrap();
    e.load_str(
        "user",
        "import lib;\nfn get() -> i64 { return lib.k() * 10; }",
    )
    .unwrap();
    assert_eq!(e.call::<i64>("get", ()).unwrap(), 20);
    // A result type the caller cannot use: the error is in the caller, and nothing changes.
    match e.load_str("lib", "fn k() -> bool { return true; }") {
        Err(Error::Compile(c)) => {
            let d = &c.diagnostics()[0];
            assert_eq!(d.file, "user", "{c}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(e.call::<i64>("get", ()).unwrap(), 20);
    // A function the caller needs is gone: named.
    match e.load_str("lib", "fn other() -> i64 { return 1; }") {
        Err(Error::Compile(c)) => assert!(
            c.contains("`user.get()` calls `lib.k()`, which the new version of module `lib` no longer defines"),
            "{c}"
        ),
        other => panic!("{other:?}"),
    }
    // A compatible change goes through, and the caller sees it.
    e.load_str("lib", "fn k() -> i64 { return 3; }").unwrap();
    assert_eq!(e.call::<i64>("get", ()).unwrap(), 30);
}

#[test]
fn new_argument_types_add_to_what_is_compiled() {
    let mut e = Engine::builder().tier(Tier::Jit).build();
    e.load_str("m", "fn a(x) { return x + 1; }\nfn b(x) { return x * 2; }")
        .unwrap();
    assert_eq!(e.call::<i64>("a", (1i64,)).unwrap(), 2);
    assert_eq!(e.call::<i64>("b", (1i64,)).unwrap(), 2);
    assert_eq!(e.call::<i64>("a", (5i64,)).unwrap(), 6);
    assert_eq!(e.call::<f64>("a", (0.5,)).unwrap(), 1.5);
    let s = e.stats();
    assert_eq!(
        s.native, 3,
        "a(i64), b(i64), a(f64), each compiled once: {s:?}"
    );
    // Loading another module compiles nothing again either.
    e.load_str("n", "fn c() -> i64 { return 1; }").unwrap();
    assert_eq!(e.call::<i64>("a", (5i64,)).unwrap(), 6);
    assert_eq!(e.stats().native, 3);
}

#[test]
fn an_interrupt_raised_before_a_call_is_not_lost() {
    for tier in [Tier::Interp, Tier::Jit] {
        let mut e = Engine::builder().tier(tier).build();
        e.load_str(
            "m",
            "fn spin(n: i64) -> i64 { let s = 0; for i in 0..n { s += i % 7; } return s; }",
        )
        .unwrap();
        let flag = e.interrupt_handle();
        flag.store(true, Ordering::SeqCst);
        match e.call::<i64>("spin", (1_000_000_000i64,)) {
            Err(Error::Runtime { message, .. }) => assert_eq!(message, "interrupted"),
            other => panic!("{tier:?}: {other:?}"),
        }
        // Consumed: the next call runs.
        assert_eq!(e.call::<i64>("spin", (7i64,)).unwrap(), 21);
    }
}

#[test]
fn an_engine_moves_to_other_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Engine>();
    send_sync::<nvm::engine::Func<(i64,), i64>>();
    let mut e = Engine::builder().tier(Tier::Jit).build();
    e.load_str("m", "fn sq(x) { return x * x; }").unwrap();
    let sq = e.func::<(i64,), i64>("sq").unwrap();
    let t = std::thread::spawn(move || {
        let r = e.call::<i64>("sq", (9i64,)).unwrap();
        (r, e)
    });
    let (r, e) = t.join().unwrap();
    assert_eq!(r, 81);
    // Handles share the engine, from any thread; calls take turns.
    let hs: Vec<_> = (0..4)
        .map(|k| {
            let sq = sq.clone();
            std::thread::spawn(move || (0..1000).map(|i| sq.call((i + k,)).unwrap()).sum::<i64>())
        })
        .collect();
    let total: i64 = hs.into_iter().map(|h| h.join().unwrap()).sum();
    let want: i64 = (0..4)
        .map(|k| (0..1000).map(|i: i64| (i + k) * (i + k)).sum::<i64>())
        .sum();
    assert_eq!(total, want);
    drop(e);
    assert_eq!(sq.call((3,)).unwrap(), 9, "a handle keeps the engine alive");
}

#[test]
fn a_host_function_calling_into_its_own_engine_is_an_error_not_a_deadlock() {
    let mut e = Engine::new();
    e.load_str(
        "m",
        "fn one() -> i64 { return 1; }\nfn outer(x) { return back(x); }",
    )
    .unwrap();
    let one = e.func::<(), i64>("one").unwrap();
    e.register_fn("back", move |_x: i64| -> Result<i64, String> {
        one.call(()).map_err(|e| e.to_string())
    })
    .unwrap();
    match e.call::<i64>("outer", (1i64,)) {
        Err(Error::Runtime { message, .. }) => {
            assert!(
                message.contains("cannot call into its own engine"),
                "{message}"
            )
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(e.call::<i64>("one", ()).unwrap(), 1);
}

#[test]
fn a_file_module_is_read_once_when_loaded() {
    let dir = std::env::temp_dir().join(format!("nvm-engine-api-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("k.nk");
    std::fs::write(&f, "fn k() -> i64 { return 1; }").unwrap();
    let mut e = Engine::new();
    e.load_file(&f).unwrap();
    std::fs::write(&f, "fn k() -> i64 { return 2; }").unwrap();
    assert_eq!(e.call::<i64>("k", ()).unwrap(), 1, "edits need a reload");
    e.load_file(&f).unwrap();
    assert_eq!(e.call::<i64>("k", ()).unwrap(), 2);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_memory_limit_stops_calls_that_hold_too_much_in_every_tier() {
    for tier in [Tier::Interp, Tier::Jit] {
        let mut e = Engine::builder()
            .tier(tier)
            .memory_limit(8 * 15_000)
            .build();
        e.load_str(
            "m",
            "fn big(n: i64) -> f64 { return sum(zeros(n)); }\n\
             fn churn(n: i64) -> f64 { let a = zeros(n); let s = 0.0; for i in 0..100 { let b = a + 1.0; s += b[0]; a = b; } return s; }",
        )
        .unwrap();
        // An allocation checked up front.
        match e.call::<f64>("big", (20_000i64,)) {
            Err(Error::Runtime { message, .. }) => {
                assert!(
                    message.starts_with("memory limit exceeded: an array of shape (20000,)"),
                    "{tier:?}: {message}"
                )
            }
            other => panic!("{tier:?}: {other:?}"),
        }
        // Elementwise results: two arrays of 10,000 alive at once pass 15,000 words. (`b`
        // and `a` hold one array after `a = b`, so `a + 1.0` needs a new one: native code
        // writes a result into the array its variable held only when nothing else sees it.)
        match e.call::<f64>("churn", (10_000i64,)) {
            Err(Error::Runtime { message, .. }) => {
                assert!(
                    message.starts_with("memory limit exceeded"),
                    "{tier:?}: {message}"
                )
            }
            other => panic!("{tier:?}: {other:?}"),
        }
        // What fits still runs, and the budget was given back.
        assert_eq!(e.call::<f64>("churn", (5_000i64,)).unwrap(), 5050.0);
        assert_eq!(e.call::<f64>("big", (14_000i64,)).unwrap(), 0.0);
    }
}

#[test]
fn the_code_heap_is_trimmed_from_the_api() {
    let dir = std::env::temp_dir().join(format!("nvm-engine-gc-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut e = Engine::builder().tier(Tier::Jit).cache_dir(&dir).build();
    e.load_str("m", "fn f(x) { return x * 3; }").unwrap();
    assert_eq!(e.call::<i64>("f", (2i64,)).unwrap(), 6);
    assert_eq!(e.call::<f64>("f", (0.5,)).unwrap(), 1.5);
    let files = |d: &std::path::Path| {
        fn walk(d: &std::path::Path, n: &mut usize) {
            for e in std::fs::read_dir(d).into_iter().flatten().flatten() {
                let p = e.path();
                if p.is_dir() {
                    walk(&p, n)
                } else {
                    *n += 1
                }
            }
        }
        let mut n = 0;
        walk(d, &mut n);
        n
    };
    let before = files(&dir);
    assert!(before >= 2, "two entries written: {before} files");
    let report = e.gc_code_heap(None, Some(0)).unwrap();
    assert!(report.contains("removed"), "{report}");
    assert!(files(&dir) < before, "{report}");
    // Still callable (its code is in memory), and an engine without a heap says so.
    assert_eq!(e.call::<i64>("f", (5i64,)).unwrap(), 15);
    assert!(matches!(
        Engine::new().gc_code_heap(None, None),
        Err(Error::Usage(_))
    ));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn strings_cross_the_boundary_as_str() {
    for tier in [Tier::Interp, Tier::Jit] {
        let mut e = Engine::builder().tier(tier).build();
        e.load_str(
            "s",
            "fn hello(name: str) -> str { if name == \"\" { return \"nobody\"; } return name; }\n\
             fn same(a, b) { return (a == b, a, \"lit\"); }\n\
             fn fixed() { return \"known\"; }",
        )
        .unwrap();
        assert_eq!(e.call::<String>("hello", ("nk",)).unwrap(), "nk");
        assert_eq!(e.call::<String>("hello", ("",)).unwrap(), "nobody");
        assert_eq!(
            e.call::<String>("hello", (String::from("é ü"),)).unwrap(),
            "é ü"
        );
        let (eq, a, lit): (bool, String, String) = e.call("same", ("x", "x")).unwrap();
        assert!(eq && a == "x" && lit == "lit", "{tier:?}");
        let (eq, _, _): (bool, String, String) = e.call("same", ("x", "y")).unwrap();
        assert!(!eq);
        assert_eq!(e.call::<String>("fixed", ()).unwrap(), "known");
        // A string where a number is declared names both.
        match e.call::<i64>("hello", (3_i64,)) {
            Err(Error::Usage(m)) => assert!(m.contains("name: str") && m.contains("i64"), "{m}"),
            other => panic!("{:?}", other.map(|_| ())),
        }
    }
}
