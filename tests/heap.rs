//! The code heap's invariants (../shared/DESIGN.md, "The code heap and the indirection
//! table"), each shown through the `nvm` binary on a private heap folder:
//! once, order-free and lazy, patchable (see the unit tests in `interp`), precise
//! invalidation, warm means warm, safe to share (8 processes, damaged files), bounded.

mod support;

use std::path::Path;
use support::{Output, TempDir};

/// `nvm ARGS` with the environment `env` (and no `NVM_*` variable of the test's own).
fn nvm(args: &[&str], env: &[(&str, &str)]) -> Output {
    support::nvm().args(args).envs(env.iter().copied()).run()
}

/// `nvm run --tier=jit --stats=json --cache-dir HEAP FILE`.
fn run(dir: &TempDir, file: &str) -> Output {
    let heap = dir.heap();
    nvm(
        &[
            "run",
            "--tier=jit",
            "--stats=json",
            "--cache-dir",
            &heap,
            file,
        ],
        &[],
    )
}

fn verify(dir: &TempDir) -> (bool, String) {
    let r = nvm(&["cache", "verify", "--cache-dir", &dir.heap()], &[]);
    (r.status == 0, r.stdout)
}

const MODULE: &str = "fn scale(x: f64) -> f64 { return x * 2.5; }\n\
                      fn total(a: f64[]) -> f64 { return sum(a) + scale(1.0); }\n";

const PROG_A: &str = "import shared;\n\
    fn callee(n: i64) -> f64 { let s = 0.0; for i in 0..n { s += shared.scale(float(i)); } return s; }\n\
    fn caller(n: i64) -> f64 { return callee(n) + shared.total(ones(n)); }\n\
    print(caller(10));\n";

const PROG_B: &str = "import shared;\n\
    fn other(n: i64) -> f64 { return shared.total(full(n, 2.0)) * 2.0; }\n\
    print(other(4), shared.scale(3.0));\n";

#[test]
fn warm_runs_compile_nothing_and_build_makes_first_runs_warm() {
    let d = TempDir::new("heap-warm");
    d.file("shared.nk", MODULE);
    let a = d.file("a.nk", PROG_A);
    let cold = run(&d, &a);
    assert_eq!(cold.status, 0, "{}", cold.stderr);
    assert!(cold.n("compiled") >= 5, "{}", cold.stats_line());
    assert_eq!(cold.n("loaded"), 0);
    let warm = run(&d, &a);
    assert_eq!(warm.stdout, cold.stdout);
    assert_eq!(
        warm.n("compiled"),
        0,
        "warm means warm: {}",
        warm.stats_line()
    );
    assert_eq!(warm.n("loaded"), cold.n("compiled"));
    assert_eq!(warm.n("heap_hits"), cold.n("compiled"));

    // `nvm build` on an empty heap: the first run is already warm, in auto mode too.
    let d2 = TempDir::new("heap-build");
    d2.file("shared.nk", MODULE);
    let a2 = d2.file("a.nk", PROG_A);
    let heap = d2.heap();
    let b = nvm(&["build", "--cache-dir", &heap, &a2], &[]);
    assert_eq!(b.status, 0, "{}", b.stderr);
    assert!(b.stdout.contains("compiled"), "{}", b.stdout);
    let first = nvm(&["run", "--stats=json", "--cache-dir", &heap, &a2], &[]);
    assert_eq!(first.stdout, cold.stdout);
    assert_eq!(first.n("compiled"), 0, "{}", first.stats_line());
    assert!(first.n("loaded") >= 5, "{}", first.stats_line());
}

#[test]
fn each_function_is_stored_once_whatever_uses_it() {
    let d = TempDir::new("heap-once");
    d.file("shared.nk", MODULE);
    let a = d.file("a.nk", PROG_A);
    let b = d.file("b.nk", PROG_B);
    let ra = run(&d, &a);
    let n_after_a = d.entries().len();
    let rb = run(&d, &b);
    assert_eq!((ra.status, rb.status), (0, 0), "{}{}", ra.stderr, rb.stderr);
    // B's `shared.*` and `sum(f64[])` come from A's entries: B adds only its own functions
    // (`other` and its script), although every slot number differs between the programs.
    assert_eq!(rb.n("loaded"), 3, "{}", rb.stats_line());
    assert_eq!(d.entries().len(), n_after_a + 2);
    assert_eq!(rb.stdout, "21.0 7.5\n");
    let names: Vec<String> = d
        .entries()
        .iter()
        .map(|p| {
            let b = std::fs::read(p).unwrap();
            let code_len = u32::from_le_bytes(b[48..52].try_into().unwrap()) as usize;
            String::from_utf8_lossy(&b[64 + code_len..])
                .lines()
                .next()
                .unwrap()
                .to_string()
        })
        .collect();
    for f in ["shared.scale(f64)", "shared.total(f64[])", "sum(f64[])"] {
        assert_eq!(
            names.iter().filter(|n| *n == f).count(),
            1,
            "{f}: {names:?}"
        );
    }
    // No entry contains its callee's code; every entry is intact.
    let (clean, report) = verify(&d);
    assert!(clean, "{report}");
    assert!(report.contains("caller/callee pairs"), "{report}");
}

#[test]
fn a_callers_entry_does_not_grow_with_its_callee() {
    // The caller's code is the same whether the callee is tiny or huge: it holds no
    // callee code, only a call through its link vector.
    let caller_size = |body: &str| {
        let d = TempDir::new(&format!("heap-size{}", body.len()));
        let p = d.file(
            "p.nk",
            &format!(
                "fn callee(x: f64) -> f64 {{ {body} }}\n\
                 fn caller(x: f64) -> f64 {{ return callee(x) + 1.0; }}\nprint(caller(2.0));\n"
            ),
        );
        assert_eq!(run(&d, &p).status, 0);
        d.entries()
            .iter()
            .map(|e| std::fs::read(e).unwrap())
            .find(|b| String::from_utf8_lossy(b).contains("caller(f64)\ncallee(f64)"))
            .expect("caller's entry")
            .len()
    };
    let small = caller_size("return x;");
    let mut big = String::from("let s = x;");
    for i in 0..200 {
        big.push_str(&format!(" if s > {i}.5 {{ s = s * 0.5 + sqrt(s); }}"));
    }
    big.push_str(" return s;");
    assert_eq!(small, caller_size(&big));
}

#[test]
fn editing_a_callee_body_recompiles_it_alone() {
    let d = TempDir::new("heap-edit-body");
    d.file("shared.nk", MODULE);
    let a = d.file("a.nk", PROG_A);
    assert_eq!(run(&d, &a).status, 0);
    // Same signature, new body.
    d.file(
        "a.nk",
        &PROG_A.replace(
            "s += shared.scale(float(i));",
            "s += shared.scale(float(i)) * 0.5;",
        ),
    );
    let r = run(&d, &a);
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert_eq!(r.n("compiled"), 1, "only callee(i64): {}", r.stats_line());
    assert!(r.n("loaded") >= 4, "{}", r.stats_line());
}

#[test]
fn a_callees_new_return_type_recompiles_its_callers() {
    let d = TempDir::new("heap-edit-sig");
    let p = d.file(
        "p.nk",
        "fn callee(n: i64) { return n * 2; }\nfn caller(n: i64) { return callee(n) + 1; }\n\
         fn top() -> i64 { return 5; }\nprint(caller(3), top());\n",
    );
    assert_eq!(run(&d, &p).status, 0);
    // callee's inferred return type becomes f64: callee and caller are recompiled (and the
    // script, whose call to caller now returns f64); `top` is reused.
    d.file(
        "p.nk",
        "fn callee(n: i64) { return n * 2.5; }\nfn caller(n: i64) { return callee(n) + 1; }\n\
         fn top() -> i64 { return 5; }\nprint(caller(3), top());\n",
    );
    let r = run(&d, &p);
    assert_eq!(r.stdout, "8.5 5\n");
    assert_eq!(r.n("compiled"), 3, "{}", r.stats_line());
    assert_eq!(r.n("loaded"), 1, "{}", r.stats_line());
}

#[test]
fn editing_one_file_recompiles_nothing_in_other_files() {
    let d = TempDir::new("heap-edit-file");
    d.file("shared.nk", MODULE);
    let a = d.file("a.nk", PROG_A);
    let first = run(&d, &a);
    assert_eq!(first.status, 0);
    // Edit the script (a comment, and caller's body): shared.nk's functions and the
    // prelude's `sum` are loaded, not compiled.
    d.file(
        "a.nk",
        &format!(
            "# a comment moves every line\n\n{}",
            PROG_A.replace("+ shared.total", "- shared.total")
        ),
    );
    let r = run(&d, &a);
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert_eq!(r.n("compiled"), 1, "caller(i64) only: {}", r.stats_line());
}

#[test]
fn a_cached_caller_works_before_its_callee_is_loaded_in_any_order() {
    let d = TempDir::new("heap-order");
    d.file("shared.nk", MODULE);
    let a = d.file("a.nk", PROG_A);
    let first = run(&d, &a);
    // Remove every entry but the callers' (and the program's pack, which would give all
    // of them at once): the callees must resolve at their first call (compiled again in
    // `jit`, interpreted in `interp`-like auto), never fail.
    remove_packs(&d);
    for e in d.entries() {
        let text = String::from_utf8_lossy(&std::fs::read(&e).unwrap()).into_owned();
        if text.contains("shared.scale(f64)\n") || text.contains("sum(f64[])\n") {
            continue; // keep callers of scale and sum
        }
        std::fs::remove_file(e).unwrap();
    }
    let r = run(&d, &a);
    assert_eq!(r.stdout, first.stdout);
    assert!(
        r.n("loaded") >= 1 && r.n("compiled") >= 1,
        "{}",
        r.stats_line()
    );
    let heap = d.heap();
    let auto = nvm(
        &[
            "run",
            "--tier=auto",
            "--jit-calls=1000",
            "--stats=json",
            "--cache-dir",
            &heap,
            &a,
        ],
        &[],
    );
    assert_eq!(auto.stdout, first.stdout);
}

#[test]
fn eight_processes_share_one_empty_heap() {
    let d = TempDir::new("heap-share");
    d.file("shared.nk", MODULE);
    let progs = [d.file("a.nk", PROG_A), d.file("b.nk", PROG_B)];
    let expect = [
        run(&TempDir::new("heap-share-ref"), &progs[0]).stdout,
        "21.0 7.5\n".to_string(),
    ];
    let _ = std::fs::remove_dir_all(d.heap());
    let heap = d.heap();
    // All eight start before any finishes.
    let children: Vec<_> = (0..8)
        .map(|i| {
            support::nvm()
                .args(["run", "--tier=jit", "--cache-dir", &heap, &progs[i % 2]])
                .spawn()
        })
        .collect();
    for (i, child) in children.into_iter().enumerate() {
        let o = child.wait();
        assert_eq!(o.code, Some(0), "{}", o.stderr);
        assert_eq!(o.stdout, expect[i % 2]);
        assert!(o.stderr.is_empty(), "{}", o.stderr);
    }
    let (clean, report) = verify(&d);
    assert!(clean, "{report}");
}

/// The code heap's packs (`HEAP/v1-*/*.nkp`).
fn packs(d: &TempDir) -> Vec<std::path::PathBuf> {
    let mut v = Vec::new();
    for t in std::fs::read_dir(d.join("heap"))
        .into_iter()
        .flatten()
        .flatten()
    {
        for f in std::fs::read_dir(t.path()).into_iter().flatten().flatten() {
            if f.path().extension().is_some_and(|e| e == "nkp") {
                v.push(f.path());
            }
        }
    }
    v.sort();
    v
}

fn remove_packs(d: &TempDir) {
    for p in packs(d) {
        std::fs::remove_file(p).unwrap();
    }
}

/// What a run's `--stats=json` says of the program's pack.
fn pack_state(r: &Output) -> String {
    let line = r.stats_line();
    serde_json::from_str::<serde_json::Value>(line)
        .ok()
        .and_then(|v| v.get("pack").map(|p| p.to_string()))
        .unwrap_or_else(|| "?".into())
}

/// Damages every entry with `f`, then checks the next run warns, rebuilds and is right.
fn survives(name: &str, damage: impl Fn(&Path)) {
    let d = TempDir::new(name);
    d.file("shared.nk", MODULE);
    let a = d.file("a.nk", PROG_A);
    let good = run(&d, &a);
    // Without the program's pack, the run reads the entries one by one.
    remove_packs(&d);
    for e in d.entries() {
        damage(&e);
    }
    let r = run(&d, &a);
    assert_eq!(r.status, 0, "{name}: {}", r.stderr);
    assert_eq!(r.stdout, good.stdout, "{name}");
    assert!(
        r.stderr.contains("warning: code heap entry"),
        "{name}: {}",
        r.stderr
    );
    assert_eq!(r.n("loaded"), 0, "{name}: nothing damaged is used");
    // Rebuilt: the run after is warm and the heap verifies.
    let again = run(&d, &a);
    assert_eq!(again.n("compiled"), 0, "{name}: {}", again.stats_line());
    let (clean, report) = verify(&d);
    assert!(clean, "{name}: {report}");
}

#[test]
fn damaged_entries_are_reported_and_rebuilt() {
    survives("truncated", |p| {
        let b = std::fs::read(p).unwrap();
        std::fs::write(p, &b[..b.len() / 2]).unwrap();
    });
    survives("flipped", |p| {
        let mut b = std::fs::read(p).unwrap();
        let mid = 64 + (b.len() - 64) / 2;
        b[mid] ^= 0x5a;
        std::fs::write(p, &b).unwrap();
    });
    survives("foreign-version", |p| {
        let mut b = std::fs::read(p).unwrap();
        b[8] = b[8].wrapping_add(1); // format version
        std::fs::write(p, &b).unwrap();
    });
    survives("other-cpu", |p| {
        let mut b = std::fs::read(p).unwrap();
        b[40] ^= 1; // target fingerprint: another CPU or nvm build
        std::fs::write(p, &b).unwrap();
    });
    survives("junk", |p| {
        std::fs::write(p, b"not an entry at all").unwrap()
    });
}

#[test]
fn an_unusable_cache_folder_means_a_warning_and_an_uncached_run() {
    let d = TempDir::new("heap-unusable");
    d.file("shared.nk", MODULE);
    let a = d.file("a.nk", PROG_A);
    let want = run(&TempDir::new("heap-unusable-ref"), &a).stdout;
    // The "folder" is a file: nothing can be created in it.
    let blocked = d.file("not-a-dir", "x");
    let r = nvm(&["run", "--tier=jit", "--cache-dir", &blocked, &a], &[]);
    assert_eq!(
        (r.status, r.stdout.as_str()),
        (0, want.as_str()),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("warning: cannot write to the code heap"),
        "{}",
        r.stderr
    );
    assert_eq!(
        r.stderr.matches("warning").count(),
        1,
        "one warning: {}",
        r.stderr
    );
    // A full disk (simulated).
    let heap = d.heap();
    let r = nvm(
        &["run", "--tier=jit", "--cache-dir", &heap, &a],
        &[("NVM_HEAP_FAULT", "enospc")],
    );
    assert_eq!((r.status, r.stdout.as_str()), (0, want.as_str()));
    assert!(r.stderr.contains("No space left"), "{}", r.stderr);
    // --no-cache touches nothing.
    let r = nvm(
        &["run", "--no-cache", "--tier=jit", &a],
        &[("NVM_CACHE_DIR", &blocked)],
    );
    assert_eq!((r.status, r.stderr.as_str()), (0, ""));
}

#[test]
fn cache_stats_gc_and_clear_manage_the_heap() {
    let d = TempDir::new("heap-manage");
    d.file("shared.nk", MODULE);
    let a = d.file("a.nk", PROG_A);
    run(&d, &a);
    let n = d.entries().len();
    let heap = d.heap();
    let s = nvm(&["cache", "stats", "--cache-dir", &heap], &[]);
    assert!(s.stdout.contains(&format!("{n} entries")), "{}", s.stdout);
    assert!(
        s.stdout.contains("module shared: 2 entries"),
        "{}",
        s.stdout
    );
    let g = nvm(
        &["cache", "gc", "--max-bytes", "0", "--cache-dir", &heap],
        &[],
    );
    assert!(
        g.stdout.contains(&format!("removed {n} entries")),
        "{}",
        g.stdout
    );
    run(&d, &a);
    let c = nvm(&["cache", "clear", "--cache-dir", &heap], &[]);
    assert!(
        c.stdout.contains(&format!("removed {n} entries")),
        "{}",
        c.stdout
    );
    assert!(d.entries().is_empty());
}

/// Whether a run's `--stats=json` says its run image was used.
fn image_state(r: &Output) -> String {
    let line = r.stats_line();
    line.split("\"image\":")
        .nth(1)
        .and_then(|v| v.split(',').next())
        .map_or("?".into(), |v| v.trim_end_matches('}').to_string())
}

/// The image folder's files (`HEAP/img-v2/*.nki`).
fn images(d: &TempDir) -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(d.join("heap/img-v2"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "nki"))
        .collect();
    v.sort();
    v
}

#[test]
fn a_warm_run_uses_the_run_image_and_sees_an_edited_import() {
    let d = TempDir::new("heap-image");
    let module = d.file("shared.nk", MODULE);
    let a = d.file("a.nk", PROG_A);
    let cold = run(&d, &a);
    assert_eq!(image_state(&cold), "\"miss\"", "{}", cold.stderr);
    assert_eq!(images(&d).len(), 1);
    let warm = run(&d, &a);
    assert_eq!(warm.stdout, cold.stdout);
    assert_eq!(image_state(&warm), "\"hit\"", "{}", warm.stderr);
    assert_eq!(warm.n("compiled"), 0, "{}", warm.stats_line());
    // The imported module changes: the image is stale, the edit is seen.
    std::fs::write(&module, MODULE.replace("2.5", "4.5")).unwrap();
    let edited = run(&d, &a);
    assert_eq!(image_state(&edited), "\"miss\"", "{}", edited.stderr);
    assert_ne!(edited.stdout, cold.stdout);
    let reference = TempDir::new("heap-image-ref");
    reference.file("shared.nk", &MODULE.replace("2.5", "4.5"));
    let want = run(&reference, &reference.file("a.nk", PROG_A));
    assert_eq!(edited.stdout, want.stdout);
    let again = run(&d, &a);
    assert_eq!(image_state(&again), "\"hit\"");
    assert_eq!(again.stdout, edited.stdout);
    // A module appearing where the import lookup looked first (the module path's folder
    // shadowing the standard library's `linalg`) makes the image stale too.
    let lin = d.file("b.nk", "import linalg;\nprint(linalg.eye(2));\n");
    let first = run(&d, &lin);
    assert_eq!(first.status, 0, "{}", first.stderr);
    assert_eq!(image_state(&run(&d, &lin)), "\"hit\"");
    d.file("linalg.nk", "fn eye(n: i64) -> i64 { return n * 100; }\n");
    let shadowed = run(&d, &lin);
    assert_eq!(image_state(&shadowed), "\"miss\"", "{}", shadowed.stderr);
    assert_eq!(shadowed.stdout, "200\n");
    let (clean, report) = verify(&d);
    assert!(clean, "{report}");
}

#[test]
fn runtime_errors_from_the_run_image_render_as_from_a_checked_run() {
    let d = TempDir::new("heap-image-error");
    d.file("shared.nk", MODULE);
    let p = d.file(
        "err.nk",
        "import shared;\nfn f(a: f64[], i: i64) -> f64 { return a[i] + shared.scale(1.0); }\n\
         fn g(n: i64) -> f64 { return f(ones(n), n + 2); }\nprint(g(1));\nprint(g(3));\n",
    );
    let heap = d.heap();
    let args = ["run", "--tier=jit", "--cache-dir", &heap, &p];
    let cold = nvm(&args, &[]);
    assert_eq!(cold.status, 1, "{}", cold.stderr);
    assert!(cold.stderr.contains("err.nk:"), "{}", cold.stderr);
    let warm = nvm(&args, &[]);
    assert_eq!(
        (warm.status, &warm.stdout, &warm.stderr),
        (cold.status, &cold.stdout, &cold.stderr)
    );
    let interp = nvm(&["run", "--tier=interp", "--cache-dir", &heap, &p], &[]);
    assert_eq!(interp.stderr, cold.stderr);
    assert_eq!(images(&d).len(), 1);
}

#[test]
fn a_damaged_run_image_is_a_miss_never_a_crash() {
    let d = TempDir::new("heap-image-damage");
    d.file("shared.nk", MODULE);
    let a = d.file("a.nk", PROG_A);
    let good = run(&d, &a);
    type Damage = (&'static str, fn(&mut Vec<u8>));
    let damages: [Damage; 4] = [
        ("truncated", |b| b.truncate(b.len() / 2)),
        ("flipped", |b| {
            let mid = 48 + (b.len() - 48) / 2;
            b[mid] ^= 0x5a;
        }),
        ("header", |b| b[40] ^= 1),
        ("junk", |b| *b = b"not an image".to_vec()),
    ];
    for (name, damage) in damages {
        let img = images(&d);
        assert_eq!(img.len(), 1, "{name}");
        let mut b = std::fs::read(&img[0]).unwrap();
        damage(&mut b);
        std::fs::write(&img[0], &b).unwrap();
        let r = run(&d, &a);
        assert_eq!(
            (r.status, &r.stdout),
            (0, &good.stdout),
            "{name}: {}",
            r.stderr
        );
        assert!(
            r.stderr.contains("warning: run image"),
            "{name}: {}",
            r.stderr
        );
        assert_eq!(image_state(&r), "\"miss\"", "{name}");
        let again = run(&d, &a);
        assert_eq!(image_state(&again), "\"hit\"", "{name}: rewritten");
        assert_eq!(again.stdout, good.stdout);
    }
    // `verify` reports a damaged image; `gc` removes it; `clear` removes every image.
    let img = images(&d);
    std::fs::write(&img[0], b"junk").unwrap();
    let (clean, report) = verify(&d);
    assert!(!clean && report.contains(".nki"), "{report}");
    let heap = d.heap();
    let g = nvm(&["cache", "gc", "--cache-dir", &heap], &[]);
    assert!(g.stdout.contains("1 run image"), "{}", g.stdout);
    assert!(images(&d).is_empty());
    let (clean, report) = verify(&d);
    assert!(clean, "{report}");
    run(&d, &a);
    assert_eq!(images(&d).len(), 1);
    let s = nvm(&["cache", "stats", "--cache-dir", &heap], &[]);
    assert!(s.stdout.contains("1 run images"), "{}", s.stdout);
    nvm(&["cache", "clear", "--cache-dir", &heap], &[]);
    assert!(images(&d).is_empty());
    assert!(!d.join("heap/img-v2").exists());
}

#[test]
fn a_warm_run_takes_all_its_code_from_the_programs_pack() {
    let d = TempDir::new("heap-pack");
    d.file("shared.nk", MODULE);
    let a = d.file("a.nk", PROG_A);
    let cold = run(&d, &a);
    assert_eq!(pack_state(&cold), "\"miss\"", "{}", cold.stderr);
    assert_eq!(packs(&d).len(), 1, "the cold run wrote the pack");
    let warm = run(&d, &a);
    assert_eq!(warm.stdout, cold.stdout);
    assert_eq!(pack_state(&warm), "\"hit\"", "{}", warm.stderr);
    assert_eq!(warm.n("compiled"), 0, "{}", warm.stats_line());
    assert_eq!(warm.n("loaded"), cold.n("compiled"));
    assert_eq!(warm.n("heap_misses"), 0, "{}", warm.stats_line());
    // The pack alone serves the program: with every entry gone it is still warm.
    let entries = d.entries();
    for e in &entries {
        std::fs::remove_file(e).unwrap();
    }
    let r = run(&d, &a);
    assert_eq!((r.status, &r.stdout), (0, &cold.stdout), "{}", r.stderr);
    assert_eq!(r.n("compiled"), 0, "{}", r.stats_line());
    assert_eq!(pack_state(&r), "\"hit\"");
    // `nvm build` puts the entries back from the pack, the same bytes, for other programs.
    let heap = d.heap();
    let b = nvm(&["build", "--cache-dir", &heap, &a], &[]);
    assert_eq!(b.status, 0, "{}", b.stderr);
    assert_eq!(d.entries(), entries);
    let (clean, report) = verify(&d);
    assert!(clean && report.contains("1 packs checked"), "{report}");
    // Without its pack, a warm run loads the entries one by one and writes the pack again.
    remove_packs(&d);
    let r = run(&d, &a);
    assert_eq!((r.status, &r.stdout), (0, &cold.stdout), "{}", r.stderr);
    assert_eq!(r.n("compiled"), 0, "{}", r.stats_line());
    assert_eq!(r.n("heap_hits"), cold.n("compiled"), "{}", r.stats_line());
    assert_eq!(pack_state(&r), "\"miss\"");
    assert_eq!(packs(&d).len(), 1, "written again");
    assert_eq!(pack_state(&run(&d, &a)), "\"hit\"");
    // Another tier uses it too (auto: native code in the heap is used at once); the
    // interpreter reads no code, so no pack.
    let auto = nvm(&["run", "--stats=json", "--cache-dir", &heap, &a], &[]);
    assert_eq!(
        (auto.stdout.as_str(), auto.n("compiled")),
        (cold.stdout.as_str(), 0)
    );
    assert_eq!(pack_state(&auto), "\"hit\"");
    let interp = nvm(
        &[
            "run",
            "--tier=interp",
            "--stats=json",
            "--cache-dir",
            &heap,
            &a,
        ],
        &[],
    );
    assert_eq!(interp.stdout, cold.stdout);
    assert_eq!(pack_state(&interp), "null");
}

#[test]
fn stale_code_is_never_served_from_a_pack_after_a_source_change() {
    let d = TempDir::new("heap-pack-stale");
    let module = d.file("shared.nk", MODULE);
    let a = d.file("a.nk", PROG_A);
    let cold = run(&d, &a);
    assert_eq!(pack_state(&run(&d, &a)), "\"hit\"");
    let old_pack = packs(&d);
    assert_eq!(old_pack.len(), 1);
    let old_bytes = std::fs::read(&old_pack[0]).unwrap();
    // An imported module's body changes; the script does not, so the run image keeps its
    // key (and the pack its file name) but not its content: the pack is stale.
    std::fs::write(&module, MODULE.replace("x * 2.5", "x * 4.5")).unwrap();
    let reference = TempDir::new("heap-pack-stale-ref");
    reference.file("shared.nk", &MODULE.replace("x * 2.5", "x * 4.5"));
    let want = run(&reference, &reference.file("a.nk", PROG_A)).stdout;
    assert_ne!(want, cold.stdout);
    let edited = run(&d, &a);
    assert_eq!(edited.stdout, want, "{}", edited.stderr);
    assert_eq!(pack_state(&edited), "\"miss\"", "{}", edited.stderr);
    assert_eq!(
        edited.n("compiled"),
        1,
        "shared.scale(f64): {}",
        edited.stats_line()
    );
    assert!(
        edited.stderr.lines().count() == 1,
        "no warning: {}",
        edited.stderr
    );
    assert_eq!(packs(&d), old_pack, "rewritten under the same name");
    let again = run(&d, &a);
    assert_eq!(
        (again.stdout.as_str(), pack_state(&again).as_str()),
        (want.as_str(), "\"hit\"")
    );
    // The old pack put back (whole, for the same file name and target, for the image's
    // earlier content): a miss, never its code.
    std::fs::write(&old_pack[0], &old_bytes).unwrap();
    let r = run(&d, &a);
    assert_eq!(r.stdout, want, "{}", r.stderr);
    assert_eq!(pack_state(&r), "\"miss\"");
    assert_eq!(
        r.n("compiled"),
        0,
        "the entries are current: {}",
        r.stats_line()
    );
    // `gc` removes a pack no run would read: stale, or without its image.
    std::fs::write(&old_pack[0], &old_bytes).unwrap();
    let heap = d.heap();
    let g = nvm(&["cache", "gc", "--cache-dir", &heap], &[]);
    assert!(g.stdout.contains("1 pack"), "{}", g.stdout);
    assert!(packs(&d).is_empty());
    let (clean, report) = verify(&d);
    assert!(clean, "{report}");
    // Editing the script itself names another image, so another pack.
    run(&d, &a);
    d.file("a.nk", &PROG_A.replace("+ shared.total", "- shared.total"));
    let r = run(&d, &a);
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert_eq!(pack_state(&r), "\"miss\"");
    assert_eq!(packs(&d).len(), 2);
}

#[test]
fn a_damaged_pack_is_a_warning_and_a_miss_never_a_crash() {
    let d = TempDir::new("heap-pack-damage");
    d.file("shared.nk", MODULE);
    let a = d.file("a.nk", PROG_A);
    let good = run(&d, &a);
    type Damage = (&'static str, fn(&mut Vec<u8>));
    let damages: [Damage; 7] = [
        ("truncated", |b| b.truncate(b.len() / 2)),
        ("truncated-header", |b| b.truncate(40)),
        ("flipped-code", |b| {
            let at = b.len() - 70;
            b[at] ^= 0x5a;
        }),
        ("flipped-record", |b| b[64 + 4] ^= 0x40),
        ("foreign-version", |b| b[8] = b[8].wrapping_add(1)),
        ("other-cpu", |b| b[40] ^= 1),
        ("junk", |b| *b = b"NVMPACK\0 and nothing else".to_vec()),
    ];
    for (name, damage) in damages {
        let ps = packs(&d);
        assert_eq!(ps.len(), 1, "{name}");
        let p = &ps[0];
        let mut bytes = std::fs::read(p).unwrap();
        damage(&mut bytes);
        std::fs::write(p, &bytes).unwrap();
        let r = run(&d, &a);
        assert_eq!(
            (r.status, &r.stdout),
            (0, &good.stdout),
            "{name}: {}",
            r.stderr
        );
        assert!(
            r.stderr.contains("warning: code heap pack"),
            "{name}: {}",
            r.stderr
        );
        assert_eq!(pack_state(&r), "\"miss\"", "{name}");
        assert_eq!(
            r.n("compiled"),
            0,
            "{name}: the entries serve: {}",
            r.stats_line()
        );
        let again = run(&d, &a);
        assert_eq!(
            pack_state(&again),
            "\"hit\"",
            "{name}: rewritten: {}",
            again.stderr
        );
        assert_eq!(again.stdout, good.stdout);
    }
    // Another program's pack under this program's name: its key says so.
    let b = d.file("b.nk", PROG_B);
    run(&d, &b);
    let ps = packs(&d);
    assert_eq!(ps.len(), 2);
    std::fs::copy(&ps[0], &ps[1]).unwrap();
    let (clean, report) = verify(&d);
    assert!(
        !clean && report.contains("its key does not match"),
        "{report}"
    );
    for f in [&a, &b] {
        let r = run(&d, f);
        assert_eq!(r.status, 0, "{}", r.stderr);
    }
    let (clean, report) = verify(&d);
    assert!(clean, "{report}");
    // `stats` counts packs; `clear` removes them with the folders.
    let heap = d.heap();
    let s = nvm(&["cache", "stats", "--cache-dir", &heap], &[]);
    assert!(s.stdout.contains("2 packs"), "{}", s.stdout);
    nvm(&["cache", "clear", "--cache-dir", &heap], &[]);
    assert!(packs(&d).is_empty());
    assert_eq!(std::fs::read_dir(d.join("heap")).unwrap().count(), 0);
}

/// A file built by `nvm build` as a script and loaded by an engine as a module (where its
/// functions are `kern.f`, not `f`) shares its entries: callers name callees in their keys
/// by signature, not by name, so the engine compiles nothing.
#[test]
fn an_engine_reuses_what_nvm_build_compiled_for_the_same_file() {
    let d = TempDir::new("heap-cli-engine");
    let file = d.file(
        "kern.nk",
        "fn inner(x: f64) -> f64 { return x * 0.5 + 1.0; }\n\
         fn outer(a: f64[]) -> f64 { let s = 0.0; for i in 0..len(a) { s += inner(a[i]); } return s; }\n\
         fn main(n: i64) { print(outer(linspace(0.0, 1.0, n))); }\n",
    );
    let heap = d.heap();
    let b = nvm(&["build", "--cache-dir", &heap, &file], &[]);
    assert_eq!(b.status, 0, "{}", b.stderr);
    let mut e = nvm::Engine::builder()
        .tier(nvm::Tier::Jit)
        .cache_dir(&heap)
        .build();
    e.load_file(&file).unwrap();
    let a = ndarray::Array1::linspace(0.0, 1.0, 5);
    let r: f64 = e.call("outer", (&a,)).unwrap();
    assert_eq!(r, 6.25);
    let st = e.stats();
    assert_eq!(st.native, 0, "nothing compiled by Cranelift: {st:?}");
    assert_eq!(st.loaded, 2, "{st:?}");
}
