//! `prange` loops run on several threads: the same results under 1, 2, 3 and 8 threads as
//! the interpreter's serial run (integers exactly, float sums within 1e-9 relative), many
//! short loops with tier-up happening during them, cold and warm code heaps, errors with
//! the serial call chain, Ctrl-C, an engine's time limit, host functions and random
//! numbers (which keep a body serial).

mod support;

use nvm::{Engine, Error, Tier};
use std::time::Duration;
use support::{nvm, repo_path, TempDir};

const THREADS: [&str; 4] = ["1", "2", "3", "8"];

/// Every corpus program about `prange` (its results exact in any order of the parts):
/// the same stdout, stderr and status as the interpreter under each thread count.
#[test]
fn corpus_prange_programs_agree_with_the_interpreter_under_1_2_3_8_threads() {
    let mut programs = Vec::new();
    for dir in ["parallel", "errors_type", "errors_runtime"] {
        let d = repo_path(&format!("tests/programs/{dir}"));
        for entry in std::fs::read_dir(&d).expect("corpus folder") {
            let p = entry.expect("entry").path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            if name.ends_with(".nk") && (dir == "parallel" || name.starts_with("prange")) {
                programs.push(p);
            }
        }
    }
    assert!(programs.len() >= 10, "{programs:?}");
    for p in &programs {
        let want = nvm()
            .args(["run", "--no-cache", "--tier=interp"])
            .arg(p)
            .run();
        for tier in ["jit", "auto"] {
            for t in THREADS {
                let got = nvm()
                    .args([
                        "run",
                        "--no-cache",
                        &format!("--tier={tier}"),
                        "--threads",
                        t,
                    ])
                    .arg(p)
                    .run();
                let what = format!("{} --tier={tier} --threads {t}", p.display());
                assert_eq!(got.status, want.status, "{what}: {}", got.stderr);
                assert_eq!(got.stdout, want.stdout, "{what}");
                assert_eq!(got.stderr, want.stderr, "{what}");
            }
        }
    }
}

/// Float sums and products whose parts round differently: within 1e-9 relative of the
/// serial result (an f32 sum within its own rounding error), integers exact.
#[test]
fn float_reductions_agree_within_1e_9_relative() {
    let dir = TempDir::new("prange-floats");
    let script = dir.file(
        "floats.nk",
        "fn sums(n: i64) -> (f64, f64, f32, f64, i64) {\n\
         \x20   let s = 0.0;\n    let p = 1.0;\n    let h: f32 = 0.0;\n    let m = 0.0;\n    let c = 0;\n\
         \x20   for i in prange(n) {\n\
         \x20       s += 1.0 / f64(i + 1);\n\
         \x20       p *= 1.0 + 1.0 / f64(n + i * 7);\n\
         \x20       h += f32(sin(f64(i)));\n\
         \x20       m = max(m, sin(f64(i) * 0.37));\n\
         \x20       c += i % 7;\n\
         \x20   }\n    return (s, p, h, m, c);\n}\n\
         print(sums(100000));\nprint(sums(3));\n",
    );
    let numbers = |out: &str| -> Vec<f64> {
        out.split(|c: char| "(), \n".contains(c))
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<f64>()
                    .unwrap_or_else(|_| panic!("number in {out}"))
            })
            .collect()
    };
    let serial = nvm()
        .args(["run", "--no-cache", "--tier=interp", &script])
        .run();
    assert_eq!(serial.status, 0, "{}", serial.stderr);
    let want = numbers(&serial.stdout);
    for t in THREADS {
        let got = nvm()
            .args(["run", "--no-cache", "--tier=jit", "--threads", t, &script])
            .run();
        assert_eq!(got.status, 0, "{}", got.stderr);
        let got = numbers(&got.stdout);
        assert_eq!(got.len(), want.len());
        for (k, (g, w)) in got.iter().zip(&want).enumerate() {
            // Per result: s, p, h, m, c. `h` is an f32 running sum of 10^5 terms of
            // either sign: the serial one itself is off by ~10^-5, so parts may differ by
            // as much.
            let tol = if k % 5 == 2 { 1e-3 } else { 1e-9 };
            assert!(
                (g - w).abs() <= tol * w.abs().max(1e-300),
                "threads {t}, result {k}: {g} vs {w}"
            );
            if k % 5 == 4 {
                assert_eq!(g, w, "threads {t}: integer sums are exact");
            }
        }
    }
}

/// Thousands of short parallel loops whose body calls a function that tiers up while
/// they run (auto, hot after 3 calls), then the same program warm from the code heap.
#[test]
fn many_short_parallel_loops_with_tier_up_during_them_and_a_warm_heap() {
    let dir = TempDir::new("prange-stress");
    let script = dir.file(
        "stress.nk",
        "fn g(x: i64) -> i64 { return (x * 2654435761) % 1000003; }\n\
         fn h(x: f64) -> f64 { return x * 0.5 + 1.0; }\n\
         fn f(k: i64, out: i64[]) -> i64 {\n\
         \x20   let s = 0;\n\
         \x20   for i in prange(len(out)) {\n\
         \x20       out[i] = g(i + k);\n\
         \x20       s += out[i] + i64(h(f64(i)));\n\
         \x20   }\n    return s;\n}\n\
         let out = zeros(40, i64);\nlet total = 0;\n\
         for k in range(3000) { total = (total + f(k, out)) % 1000000007; }\n\
         print(total, sum(out));\n",
    );
    let want = nvm()
        .args(["run", "--no-cache", "--tier=interp", &script])
        .run();
    assert_eq!(want.status, 0, "{}", want.stderr);
    for t in THREADS {
        let got = nvm()
            .args([
                "run",
                "--no-cache",
                "--tier=auto",
                "--jit-calls=3",
                "--threads",
                t,
                &script,
            ])
            .run();
        assert_eq!(
            (got.status, &got.stdout),
            (0, &want.stdout),
            "{t}: {}",
            got.stderr
        );
    }
    let heap = dir.heap();
    for round in ["cold", "warm"] {
        let got = nvm()
            .args([
                "run",
                "--cache-dir",
                &heap,
                "--tier=jit",
                "--threads",
                "3",
                "--stats=json",
                &script,
            ])
            .run();
        assert_eq!(
            (got.status, &got.stdout),
            (0, &want.stdout),
            "{round}: {}",
            got.stderr
        );
        if round == "warm" {
            assert_eq!(got.n("compiled"), 0, "a warm run compiles nothing");
        }
    }
}

/// One Ctrl-C stops a parallel loop whose iterations never end, promptly, on every worker.
#[test]
fn ctrl_c_stops_every_worker_of_a_parallel_loop() {
    let dir = TempDir::new("prange-sigint");
    let script = dir.file(
        "spin.nk",
        "print(\"before\");\nlet s = 0;\nfor i in prange(8) {\n    let n = 0;\n    while n >= 0 { n = (n + 1) % 1000; }\n    s += n;\n}\nprint(s);\n",
    );
    let mut wait = Duration::from_millis(500);
    let out = loop {
        let child = nvm()
            .args(["run", "--no-cache", "--tier=jit", "--threads", "4", &script])
            .timeout(Duration::from_secs(60))
            .spawn();
        std::thread::sleep(wait);
        child.interrupt();
        let out = child.wait();
        assert!(!out.timed_out, "one SIGINT must stop every worker");
        if out.stdout.is_empty() && wait.as_secs() < 20 {
            wait *= 2;
            continue;
        }
        break out;
    };
    assert_eq!(out.code, Some(130), "{}", out.stderr);
    assert_eq!(out.stdout, "before\n");
    assert!(out.stderr.contains("interrupted"), "{}", out.stderr);
}

/// The engine: its time limit stops a parallel loop; host functions and random numbers
/// keep a body serial (their state is the engine's); `threads(1)` and `threads(4)` agree.
#[test]
fn engine_time_limit_host_functions_and_thread_counts() {
    let mut e = Engine::builder()
        .tier(Tier::Jit)
        .threads(4)
        .time_limit(Duration::from_millis(300))
        .build();
    e.register_fn("twice", |x: f64| 2.0 * x).unwrap();
    e.load_str(
        "m",
        "fn spin(n: i64) -> i64 { let s = 0; for i in prange(n) { let k = 0; while k >= 0 { k = (k + 1) % 7; } s += k; } return s; }\n\
         fn tri(n: i64) -> i64 { let s = 0; for i in prange(n) { s += i; } return s; }\n\
         fn hosted(n: i64) -> f64 { let s = 0.0; for i in prange(n) { s += twice(f64(i)); } return s; }\n\
         fn draws(n: i64) -> f64 { seed(7); let s = 0.0; for i in prange(n) { s += random(); } return s; }\n",
    )
    .unwrap();
    match e.call::<i64>("m.spin", (16_i64,)) {
        Err(Error::Runtime { message, .. }) => {
            assert!(message.contains("time limit exceeded"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    // The next call runs normally.
    assert_eq!(e.call::<i64>("m.tri", (1000_i64,)).unwrap(), 499500);
    assert_eq!(e.call::<f64>("m.hosted", (100_i64,)).unwrap(), 9900.0);
    let mut serial = Engine::builder().tier(Tier::Interp).build();
    serial.register_fn("twice", |x: f64| 2.0 * x).unwrap();
    serial
        .load_str("m", "fn draws(n: i64) -> f64 { seed(7); let s = 0.0; for i in prange(n) { s += random(); } return s; }\n")
        .unwrap();
    let want: f64 = serial.call("m.draws", (1000_i64,)).unwrap();
    assert_eq!(e.call::<f64>("m.draws", (1000_i64,)).unwrap(), want);
    let mut one = Engine::builder().tier(Tier::Jit).threads(1).build();
    one.load_str(
        "m",
        "fn tri(n: i64) -> i64 { let s = 0; for i in prange(n) { s += i * i; } return s; }\n",
    )
    .unwrap();
    assert_eq!(
        one.call::<i64>("m.tri", (100_000_i64,)).unwrap(),
        333328333350000
    );
}

/// The parallel benchmarks (`benches/parallel/`) at a small size: the same output from the
/// interpreter and from native code under 1 and 3 threads.
#[test]
fn parallel_benchmarks_run_and_agree_at_a_small_size() {
    let dir = repo_path("benches/parallel");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).expect("benches/parallel") {
        let p = entry.expect("entry").path();
        if p.extension().is_none_or(|e| e != "nk") {
            continue;
        }
        n += 1;
        let run = |tier: &str, t: &str| {
            nvm()
                .args([
                    "run",
                    "--no-cache",
                    &format!("--tier={tier}"),
                    "--threads",
                    t,
                ])
                .arg(&p)
                .args(["60", "2"])
                .run()
        };
        let want = run("interp", "1");
        assert_eq!(want.status, 0, "{}: {}", p.display(), want.stderr);
        for t in ["1", "3"] {
            let got = run("jit", t);
            assert_eq!(
                (got.status, &got.stdout),
                (0, &want.stdout),
                "{} {t}: {}",
                p.display(),
                got.stderr
            );
        }
    }
    assert!(n >= 3);
}
