//! The embedding API's costs: calls per second through a typed handle and by name, and
//! the latency of specializing a function for new argument types.
//!
//! Run: `cargo bench --bench engine` (prints a Markdown table);
//! `cargo bench --bench engine -- --write BENCHMARKS.md` also puts it into the report,
//! between `<!-- engine:begin -->` and `<!-- engine:end -->` (`benches/run.py` keeps it).

use nvm::{Engine, Tier};
use std::time::Instant;

/// Calls per second of `f`, over about `secs` seconds (best of 3 rounds).
fn rate(secs: f64, mut f: impl FnMut(u64)) -> f64 {
    let mut best = 0.0f64;
    for _ in 0..3 {
        let mut n = 0u64;
        let mut batch = 1000u64;
        let start = Instant::now();
        while start.elapsed().as_secs_f64() < secs / 3.0 {
            for i in 0..batch {
                f(n + i);
            }
            n += batch;
            batch = (batch * 2).min(1 << 20);
        }
        best = best.max(n as f64 / start.elapsed().as_secs_f64());
    }
    best
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    let module = "fn add(a, b) { return a + b; }\n";
    // `NVM_BENCH_HANDLE_ONLY=1`: only the typed handle, native tier (for a profiler).
    if std::env::var_os("NVM_BENCH_HANDLE_ONLY").is_some() {
        let mut e = Engine::builder().tier(Tier::Jit).build();
        e.load_str("m", module).unwrap();
        let add = e.func::<(i64, i64), i64>("add").unwrap();
        let r = rate(3.0, |i| {
            std::hint::black_box(add.call((i as i64, 1)).unwrap());
        });
        println!("{:.1} M calls/s", r / 1e6);
        return;
    }
    let mut rows: Vec<String> = Vec::new();
    let mut row = |r: String| {
        println!("{r}");
        rows.push(r);
    };
    row("| what | tier | result |".into());
    row("|---|---|---:|".into());
    for (tier, tname) in [(Tier::Interp, "interp"), (Tier::Jit, "jit")] {
        let mut e = Engine::builder().tier(tier).build();
        e.load_str("m", module).unwrap();
        let add = e.func::<(i64, i64), i64>("add").unwrap();
        let r = rate(1.5, |i| {
            std::hint::black_box(add.call((i as i64, 1)).unwrap());
        });
        row(format!(
            "| typed handle `add.call((i, 1))` | {tname} | {:.1} M calls/s |",
            r / 1e6
        ));
        let r = rate(1.5, |i| {
            std::hint::black_box(e.call::<i64>("add", (i as i64, 1i64)).unwrap());
        });
        row(format!(
            "| by name `e.call(\"add\", (i, 1))` | {tname} | {:.1} M calls/s |",
            r / 1e6
        ));
    }
    // A module of 200 functions: calls by name do not depend on it.
    let mut big = String::new();
    for k in 0..200 {
        big.push_str(&format!("fn f{k}(x) {{ return x + {k}; }}\n"));
    }
    let mut e = Engine::builder().tier(Tier::Jit).build();
    e.load_str("big", &big).unwrap();
    let r = rate(1.5, |i| {
        std::hint::black_box(e.call::<i64>("f7", (i as i64,)).unwrap());
    });
    row(format!(
        "| by name, 200-function module | jit | {:.1} M calls/s |",
        r / 1e6
    ));

    // Specializing on demand: the first call of each of 100 generic functions (a new
    // specialization each, checked and added to the program; interpreter tier: no
    // Cranelift), against a module of 100 more functions and the calls made before.
    let mut src = String::new();
    for k in 0..100 {
        src.push_str(&format!(
            "fn g{k}(x) {{ let s = x; for i in 0..3 {{ s = s + i * {k}; }} return s; }}\n"
        ));
    }
    let mut e = Engine::builder().tier(Tier::Interp).build();
    e.load_str("m", &src).unwrap();
    let mut lat = Vec::new();
    for k in 0..100 {
        let t = Instant::now();
        let r = e.call::<f64>(&format!("g{k}"), (0.5,)).unwrap();
        lat.push(t.elapsed().as_secs_f64() * 1e6);
        assert_eq!(r, 0.5 + 3.0 * k as f64);
    }
    row(format!(
        "| first call of a generic function (specialize, lower, run) | interp | {:.0} µs median |",
        median(lat)
    ));
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--write") {
        let path = args.get(i + 1).expect("--write PATH");
        write_block(path, &rows);
    }
}

/// Puts the table into the report at `path`, between the engine markers (appended with
/// them if absent).
fn write_block(path: &str, rows: &[String]) {
    const BEGIN: &str = "<!-- engine:begin -->";
    const END: &str = "<!-- engine:end -->";
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let block = format!(
        "{BEGIN}\n## Embedding: call rate and specialization latency\n\n\
         Command: `cargo bench --bench engine -- --write BENCHMARKS.md` (release build; best of 3 rounds of ~0.5 s per rate; \
         a trivial function `add(a, b)`; the first-call latency is the median over 100 generic functions \
         of a 100-function module, each specialized, lowered and run once).\n\n{}\n{END}",
        rows.join("\n")
    );
    let new = match (text.find(BEGIN), text.find(END)) {
        (Some(i), Some(j)) if j > i => format!("{}{}{}", &text[..i], block, &text[j + END.len()..]),
        _ => format!("{}\n{}\n", text.trim_end(), block),
    };
    std::fs::write(path, new).expect("writes the report");
}
