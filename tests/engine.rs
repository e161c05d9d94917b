//! The embedding API (`nvm::engine::Engine`), used as a Rust program would.

mod support;

use ndarray::{arr1, arr2, ArrayD};
use nvm::engine::{Engine, Error};
use nvm::Tier;
use support::TempDir;

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
    // Syntax errors, and type errors in fully annotated functions, show at load; those of
    // a generic function when a call specializes it (nk types a generic function per
    // call). All render as the CLI renders them; a failed load changes nothing.
    let err = e.load_str("bad", "fn f(x) { return x + ; }").unwrap_err();
    match &err {
        Error::Compile(r) => assert!(r.contains("bad:1:"), "{r}"),
        other => panic!("{other:?}"),
    }
    match e.load_str("typed", "fn g(x: i64) -> i64 { return x + true; }") {
        Err(Error::Compile(r)) => assert!(r.contains("typed:1:"), "{r}"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(e.call::<i64>("g", (1i64,)), Err(Error::Usage(_))));
    e.load_str("generic", "fn g(x) { return x + true; }")
        .unwrap();
    match e.call::<i64>("g", (1i64,)).unwrap_err() {
        Error::Compile(r) => assert!(r.contains("generic:1:"), "{r}"),
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
                chain[0]
                    .to_string()
                    .starts_with("physics.outer(f64[]) at physics:"),
                "{chain:?}"
            );
            assert!(
                chain[1]
                    .to_string()
                    .starts_with("physics.first(f64[]) at physics:"),
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
    // Arguments of the wrong type for the declared parameters: the function, what it
    // takes and what it was given (not an error in generated code).
    match e.call::<f64>("energy", (true, 1.0)) {
        Err(Error::Usage(m)) => assert_eq!(
            m,
            "`physics.energy` takes (m: f64, v: f64), given (bool, f64)"
        ),
        other => panic!("{other:?}"),
    }
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
    let dir = TempDir::new("engine");
    dir.file("helpers.nk", "fn twice(x: f64) -> f64 { return 2.0 * x; }");
    dir.file(
        "main_mod.nk",
        "import helpers;\nfn quad(x: f64) -> f64 { return helpers.twice(helpers.twice(x)); }",
    );
    let mut e = Engine::builder().cache_dir(dir.join("heap")).build();
    e.load_file(dir.join("main_mod.nk")).unwrap();
    assert_eq!(e.call::<f64>("quad", (1.5,)).unwrap(), 6.0);
    assert!(matches!(
        e.load_file(dir.join("missing.nk")),
        Err(Error::Usage(_))
    ));
}

/// The engine reads no environment: its module search path and perf map are set on the
/// builder (one folder per `module_path`, in order), or all at once with `options`.
#[test]
fn module_path_and_perf_map_are_set_on_the_builder() {
    let dir = TempDir::new("engine-options");
    for sub in ["a", "b"] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
    }
    std::fs::write(dir.join("b/lib.nk"), "fn k() -> i64 { return 2; }").unwrap();
    let user = "import lib;\nfn get() -> i64 { return lib.k(); }";
    let mut e = Engine::new();
    // Not found: the module waits for `lib` (loaded later, or never: then calls say so).
    e.load_str("m", user).unwrap();
    match e.call::<i64>("get", ()) {
        Err(Error::Usage(m)) => assert!(m.contains("`m` waits for lib"), "{m}"),
        other => panic!("{other:?}"),
    }
    let mut e = Engine::builder()
        .module_path(dir.join("a"))
        .module_path(dir.join("b"))
        .build();
    e.load_str("m", user).unwrap();
    assert_eq!(e.call::<i64>("get", ()).unwrap(), 2);
    std::fs::write(dir.join("a/lib.nk"), "fn k() -> i64 { return 1; }").unwrap();
    let mut e = Engine::builder()
        .options(nvm::Options {
            module_path: vec![dir.join("a"), dir.join("b")],
            ..nvm::Options::default()
        })
        .build();
    e.load_str("m", user).unwrap();
    assert_eq!(
        e.call::<i64>("get", ()).unwrap(),
        1,
        "the first folder wins"
    );

    // The perf map is this (test) process's: written only when asked for.
    let map = std::path::PathBuf::from(format!("/tmp/perf-{}.map", std::process::id()));
    let names = |m: &std::path::Path| std::fs::read_to_string(m).unwrap_or_default();
    let mut e = Engine::builder().tier(Tier::Jit).build();
    e.load_str("pm", "fn perf_off(x: i64) -> i64 { return x + 1; }")
        .unwrap();
    assert_eq!(e.call::<i64>("perf_off", (1,)).unwrap(), 2);
    assert!(!names(&map).contains("perf_off"));
    let mut e = Engine::builder().tier(Tier::Jit).perf_map(true).build();
    e.load_str("pm", "fn perf_on(x: i64) -> i64 { return x + 1; }")
        .unwrap();
    assert_eq!(e.call::<i64>("perf_on", (1,)).unwrap(), 2);
    let written = names(&map);
    for f in std::fs::read_dir("/tmp").unwrap().flatten() {
        let n = f.file_name().to_string_lossy().into_owned();
        if n.starts_with(&format!("perf-{}", std::process::id())) {
            let _ = std::fs::remove_file(f.path());
        }
    }
    assert!(
        written
            .lines()
            .any(|l| l.contains(" nk::") && l.contains("perf_on(i64)")),
        "{written}"
    );
}

/// Every tier, and `Auto` with one call to tier up: host calls cross from native code.
fn engines() -> Vec<Engine> {
    vec![
        Engine::builder().tier(Tier::Interp).build(),
        Engine::builder().tier(Tier::Jit).build(),
        Engine::builder().tier(Tier::Auto).jit_calls(1).build(),
    ]
}

#[test]
fn host_functions_are_called_from_nk_in_every_tier_and_type_checked() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    for mut e in engines() {
        // Host functions are `Send`: shared counters are atomics (or use `register_fn_with`).
        let calls = Arc::new(AtomicUsize::new(0));
        let c = calls.clone();
        e.register_fn("lookup", move |i: i64| {
            c.fetch_add(1, Ordering::SeqCst);
            [1.5, 2.5, 4.0][i.rem_euclid(3) as usize]
        })
        .unwrap();
        e.register_fn("norm", |v: ndarray::Array1<f64>| v.dot(&v).sqrt())
            .unwrap();
        e.register_fn("grid", |n: i64, m: i64| {
            ndarray::Array2::<i64>::from_shape_fn((n as usize, m as usize), |(i, j)| {
                (10 * i + j) as i64
            })
        })
        .unwrap();
        e.register_fn("split", |x: f64| (x.trunc() as i64, x.fract()))
            .unwrap();
        e.register_fn("checked_sqrt", |x: f64| {
            if x < 0.0 {
                Err(format!("checked_sqrt of negative {x}"))
            } else {
                Ok(x.sqrt())
            }
        })
        .unwrap();
        e.load_str(
            "m",
            "fn total(n: i64) -> f64 { let s = 0.0; for i in 0..n { s += lookup(i); } return s; }\n\
             fn lengths() -> f64 { return norm(ones(4)) + norm(zeros(2) + 3.0); }\n\
             fn corner(n: i64) -> i64 { let g = grid(n, 3); return g[n - 1, 2] + sum(g[0, :]); }\n\
             fn parts(x: f64) -> f64 { let (i, f) = split(x); let k: f64 = i; return k * 10.0 + f; }\n\
             fn inner(x: f64) -> f64 { return checked_sqrt(x); }\n\
             fn outer(x: f64) -> f64 { return inner(x) + 1.0; }\n\
             fn widened() -> f64 { return checked_sqrt(16); }\n",
        )
        .unwrap();
        assert_eq!(e.call::<f64>("total", (6_i64,)).unwrap(), 16.0);
        assert_eq!(calls.load(Ordering::SeqCst), 6);
        assert_eq!(e.call::<f64>("lengths", ()).unwrap(), 2.0 + 18f64.sqrt());
        assert_eq!(e.call::<i64>("corner", (4_i64,)).unwrap(), 32 + 3);
        assert_eq!(e.call::<f64>("parts", (7.25,)).unwrap(), 70.25);
        assert_eq!(e.call::<f64>("widened", ()).unwrap(), 4.0);
        assert_eq!(e.call::<f64>("outer", (9.0,)).unwrap(), 4.0);
        // The host's `Err` is an nk runtime error with the nk call chain.
        match e.call::<f64>("outer", (-1.0,)) {
            Err(Error::Runtime { message, chain, .. }) => {
                assert_eq!(message, "checked_sqrt of negative -1");
                assert_eq!(chain.len(), 2, "{chain:?}");
                assert!(
                    chain[0].to_string().starts_with("m.outer")
                        && chain[1].to_string().starts_with("m.inner"),
                    "{chain:?}"
                );
            }
            other => panic!("{other:?}"),
        }
        // Calls are checked like a built-in's (when the caller is loaded, if it is fully
        // annotated, or first specialized).
        match e.load_str("bad", "fn f() -> f64 { return lookup(1.5); }") {
            Err(Error::Compile(r)) => {
                assert!(
                    r.contains("argument 1 of `lookup`") && r.contains("bad"),
                    "{r}"
                )
            }
            other => panic!("{other:?}"),
        }
        e.load_str("bad", "fn f(k) { return norm(); }").unwrap();
        let arity = e.call::<f64>("bad.f", (1.5,));
        assert!(
            matches!(&arity, Err(Error::Compile(r)) if r.contains("expected 1 argument")),
            "{arity:?}"
        );
        // The engine goes on after the failed calls.
        assert_eq!(e.call::<f64>("total", (3_i64,)).unwrap(), 8.0);
    }
}

#[test]
fn host_function_panics_and_bad_registrations_are_errors() {
    let mut e = Engine::new();
    e.register_fn("boom", |x: i64| -> i64 {
        if x > 2 {
            panic!("boom at {x}");
        }
        x
    })
    .unwrap();
    e.load_str(
        "m",
        "fn f(n: i64) -> i64 { let s = 0; for i in 0..n { s += boom(i); } return s; }",
    )
    .unwrap();
    assert_eq!(e.call::<i64>("f", (3_i64,)).unwrap(), 3);
    match e.call::<i64>("f", (5_i64,)) {
        Err(Error::Runtime { message, .. }) => assert!(message.contains("boom at 3"), "{message}"),
        other => panic!("{other:?}"),
    }
    // Still usable.
    assert_eq!(e.call::<i64>("f", (2_i64,)).unwrap(), 1);
    for name in ["sqrt", "print", "for", "2x", "", "__x"] {
        assert!(
            matches!(e.register_fn(name, |x: f64| x), Err(Error::Usage(_))),
            "{name}"
        );
    }
    // ArrayD has no fixed rank nk could name.
    let r = e.register_fn("dyn_arr", |a: ndarray::ArrayD<f64>| a.sum());
    assert!(matches!(r, Err(Error::Usage(m)) if m.contains("Array1")));
    // A new signature that breaks loaded callers is refused; the old one stays.
    let r = e.register_fn("boom", |a: ndarray::Array1<f64>| a.sum());
    assert!(
        matches!(&r, Err(Error::Compile(m)) if m.contains("boom")),
        "{r:?}"
    );
    assert_eq!(e.call::<i64>("f", (2_i64,)).unwrap(), 1);
    // A compatible replacement is used by existing callers.
    e.register_fn("boom", |x: i64| x * 100).unwrap();
    assert_eq!(e.call::<i64>("f", (3_i64,)).unwrap(), 300);
}

#[test]
fn arrays_lent_by_mut_reference_are_written_in_place() {
    for mut e in engines() {
        e.load_str(
            "m",
            "fn scale(xs: f64[], k: f64) { for i in 0..len(xs) { xs[i] = xs[i] * k; } }\n\
             fn bump(a: i64[,]) { a[:, :] = a + 1; }\n\
             fn view(xs: f64[]) { return xs[1:]; }\n\
             fn same(xs: f64[]) { return xs; }\n",
        )
        .unwrap();
        let mut v = arr1(&[1.0, 2.0, 3.0]);
        e.call::<()>("scale", (&mut v, 2.0)).unwrap();
        assert_eq!(v, arr1(&[2.0, 4.0, 6.0]));
        // A strided view (a column) and a transposed array are lent as they are.
        let mut m = arr2(&[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]);
        e.call::<()>("scale", (&mut m.column_mut(1), 10.0)).unwrap();
        assert_eq!(m, arr2(&[[1.0, 20.0], [3.0, 40.0], [5.0, 60.0]]));
        let mut g = arr2(&[[1_i64, 2, 3], [4, 5, 6]]);
        let mut t = g.view_mut().reversed_axes();
        e.call::<()>("bump", (&mut t,)).unwrap();
        assert_eq!(g, arr2(&[[2_i64, 3, 4], [5, 6, 7]]));
        // A result that views lent memory is a copy: the loan ends with the call.
        let mut w = arr1(&[1.0, 2.0, 3.0]);
        let tail: ArrayD<f64> = e.call("view", (&mut w,)).unwrap();
        w[1] = 99.0;
        assert_eq!(tail.into_raw_vec_and_offset().0, vec![2.0, 3.0]);
        // Negative strides cannot be lent: nk gets a copy, written back after the call.
        let mut r = arr1(&[1.0, 2.0, 3.0]);
        let mut rev = r.slice_mut(ndarray::s![..;-1]);
        e.call::<()>("scale", (&mut rev, 2.0)).unwrap();
        assert_eq!(r, arr1(&[2.0, 4.0, 6.0]));
        // An owned standard-layout array moves in and back out without a copy.
        let owned = arr1(&[5.0, 6.0, 7.0]);
        let p = owned.as_ptr();
        let back: ndarray::Array1<f64> = e.call("same", (owned,)).unwrap();
        assert_eq!(back.as_ptr(), p, "the buffer was copied");
        assert_eq!(back, arr1(&[5.0, 6.0, 7.0]));
    }
}

#[test]
fn a_time_limit_or_interrupt_stops_runaway_loops_in_every_tier() {
    for tier in [Tier::Interp, Tier::Jit] {
        let mut e = Engine::builder()
            .tier(tier)
            .time_limit(std::time::Duration::from_millis(200))
            .build();
        e.load_str(
            "m",
            "fn spin() -> i64 { let i = 0; while true { i += 1; } return i; }\n\
             fn count(n: i64) -> i64 { let s = 0; for i in 0..n { s += i % 3; } return s; }\n",
        )
        .unwrap();
        match e.call::<i64>("spin", ()) {
            Err(Error::Runtime { message, .. }) => {
                assert!(message.contains("time limit exceeded"), "{message}")
            }
            other => panic!("{other:?}"),
        }
        // The next call runs normally.
        assert_eq!(e.call::<i64>("count", (10_i64,)).unwrap(), 9);
        // A `for` loop of 4e12 iterations (counting up from below zero) is stopped too.
        e.load_str(
            "f",
            "fn big() -> i64 { let s = 0; for i in -2000000000000..2000000000000 { s += i % 7; } return s; }",
        )
        .unwrap();
        match e.call::<i64>("big", ()) {
            Err(Error::Runtime { message, .. }) => {
                assert!(message.contains("time limit exceeded"), "{message}")
            }
            other => panic!("{other:?}"),
        }
        // Recursion without a loop (fib(60): ~10^12 calls) is stopped at a call.
        e.load_str(
            "r",
            "fn fib(n: i64) -> i64 { if n < 2 { return n; } return fib(n - 1) + fib(n - 2); }",
        )
        .unwrap();
        match e.call::<i64>("fib", (60_i64,)) {
            Err(Error::Runtime { message, chain, .. }) => {
                assert!(message.contains("time limit exceeded"), "{message}");
                assert!(
                    chain.iter().all(|c| c.function.starts_with("r.fib")),
                    "{chain:?}"
                );
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(e.call::<i64>("fib", (20_i64,)).unwrap(), 6765);
        // A loop whose every iteration calls a function without loops or calls (which
        // does not look at the flag itself: its caller's loop does).
        e.load_str(
            "l",
            "fn inc(x: i64) -> i64 { return (x + 1) % 1000; }
             fn spin_calls() -> i64 { let i = 0; while true { i = inc(i); } return i; }",
        )
        .unwrap();
        match e.call::<i64>("spin_calls", ()) {
            Err(Error::Runtime { message, .. }) => {
                assert!(message.contains("time limit exceeded"), "{message}")
            }
            other => panic!("{other:?}"),
        }
        // Loop nests entered once, 2,000 rows of 1,000 columns, 1,000 rows of 2,000 or
        // 300,000 rows of 3, each ~1.5 s of powers (`u8` elements: another test here
        // measures the process's memory). In native code an inner loop of at most 1,024
        // iterations does not poll (the outer loop's back-edge does, every `1,024 / columns`
        // rows); a longer one polls every 1,024 iterations. Each stops within a few rows of
        // the limit; a nest that did not poll would run to its end (and report the limit
        // after).
        let nest = |name: &str, cols: usize| {
            let body = "s = (s + x[r, c]) ** 0.37;".repeat(60);
            format!(
                "fn {name}(rows: i64) -> f64 {{ let x = ones((rows, {cols}), u8); let s = 0.0;
                 for r in 0..shape(x).0 {{ for c in 0..shape(x).1 {{ {body} }} }}
                 return s; }}\n"
            )
        };
        let src = nest("short", 1000) + &nest("long", 2000) + &nest("narrow", 3);
        e.load_str("n", &src).unwrap();
        for (name, rows) in [("short", 2000_i64), ("long", 1000), ("narrow", 300_000)] {
            // A first, small call: the timed one below compiles nothing.
            assert!(e.call::<f64>(name, (1_i64,)).unwrap() > 0.0);
            let t0 = std::time::Instant::now();
            match e.call::<f64>(name, (rows,)) {
                Err(Error::Runtime { message, .. }) => {
                    assert!(message.contains("time limit exceeded"), "{message}")
                }
                other => panic!("{other:?}"),
            }
            let took = t0.elapsed();
            assert!(
                took < std::time::Duration::from_secs(1),
                "{name} ({tier:?}) stopped after {took:?}"
            );
        }
        // Without a limit: the interrupt handle, set from another thread.
        let mut e = Engine::builder().tier(tier).build();
        e.load_str(
            "m",
            "fn spin() -> i64 { let i = 0; while true { i += 1; } return i; }",
        )
        .unwrap();
        let flag = e.interrupt_handle();
        let t = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(100));
            flag.store(true, std::sync::atomic::Ordering::Relaxed);
        });
        match e.call::<i64>("spin", ()) {
            Err(Error::Runtime { message, .. }) => assert_eq!(message, "interrupted"),
            other => panic!("{other:?}"),
        }
        t.join().unwrap();
    }
}

/// Runs `examples/NAME.rs` (built by `cargo test`; built here when only this file's tests
/// were asked for, or the binary is stale).
fn run_example(name: &str, args: &[&str]) -> std::process::Output {
    let bin_dir = support::nvm_bin().parent().unwrap().to_path_buf();
    let exe = bin_dir.join("examples").join(name);
    // Missing or older than this test binary: built from older sources.
    let modified = |p: &std::path::Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let this = modified(&std::env::current_exe().unwrap());
    if modified(&exe).is_none_or(|t| this.is_some_and(|this| t < this)) {
        let release = bin_dir.ends_with("release");
        let mut cargo = std::process::Command::new(env!("CARGO"));
        cargo.args(["build", "--quiet", "--example", name]);
        if release {
            cargo.arg("--release");
        }
        assert!(cargo.status().unwrap().success(), "building example {name}");
    }
    std::process::Command::new(exe).args(args).output().unwrap()
}

#[test]
fn the_embedding_examples_run() {
    let out = run_example("formula", &["x * x - 1.0"]);
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 11, "{text}");
    assert_eq!(
        lines[3].split_whitespace().collect::<Vec<_>>(),
        ["3.0", "+8.000000"]
    );
    let bad = run_example("formula", &["x +* 2"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("error"));

    let out = run_example("host_function", &[]);
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("total: 33.50 (3 price lookups)"), "{text}");
    assert!(text.contains("no price for item 9"), "{text}");
    assert!(text.contains("pricing.line(i64, i64)"), "{text}");
    assert!(!text.contains("__nvm_entry"), "{text}");
}

#[test]
fn cached_native_callers_of_host_functions_call_the_current_engines_host() {
    let dir = TempDir::new("engine-host");
    let heap = dir.join("heap");
    let src = "fn twice_g(x: f64) -> f64 { let s = 0.0; for i in 0..2 { s += g(x); } return s; }";
    for (k, expected) in [(2.0, 12.0), (3.0, 18.0)] {
        let mut e = Engine::builder().tier(Tier::Jit).cache_dir(&heap).build();
        e.register_fn("g", move |x: f64| x * k).unwrap();
        e.load_str("m", src).unwrap();
        assert_eq!(e.call::<f64>("twice_g", (3.0,)).unwrap(), expected);
        let s = e.stats();
        if k == 3.0 {
            // The second engine loaded the first one's native code (compiling nothing),
            // and that code called this engine's `g`.
            assert!(s.loaded > 0 && s.native == 0, "{s:?}");
        }
    }
}
