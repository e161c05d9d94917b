//! What a run reports beyond its output: a runtime error rendered at its place with the
//! nk call chain, and the `--stats` summary as text or as one JSON object.
//!
//! Invariant: only formats what it is given (plus this process's peak RSS from
//! `/proc/self/status`); prints nothing itself, so the caller picks the stream.

use crate::diag::{self, Diagnostic};
use crate::runtime::RuntimeError;
use crate::source::SourceMap;
use crate::vm;
use serde::Serialize;

/// Renders a runtime error: the message at its place, then the nk call chain.
pub fn render_runtime_error(sources: &SourceMap, e: &RuntimeError, color: bool) -> String {
    // An error inside the standard library is shown at the user's call into it; the
    // chain below still lists the library frames.
    let in_stdlib = |sp: &crate::source::Span| sources.get(sp.file).is_stdlib;
    let span = if in_stdlib(&e.span) {
        e.chain
            .iter()
            .rev()
            .map(|(_, sp)| *sp)
            .find(|sp| !in_stdlib(sp))
            .unwrap_or(e.span)
    } else {
        e.span
    };
    let mut d = Diagnostic::error(span, e.message.clone());
    if !e.chain.is_empty() {
        let mut note = String::from("call chain (most recent call last):");
        let mut i = 0;
        while i < e.chain.len() {
            let (name, span) = &e.chain[i];
            let mut j = i + 1;
            while j < e.chain.len() && e.chain[j] == e.chain[i] {
                j += 1;
            }
            note.push_str(&format!("\n  {} in {}", sources.location(*span), name));
            if j - i > 1 {
                note.push_str(&format!(
                    "\n  [previous line repeated {} more times]",
                    j - i - 1
                ));
            }
            i = j;
        }
        d = d.with_note(note);
    }
    diag::render(sources, &[d], color)
}

/// Peak resident memory of this process in KiB (Linux `VmHWM`), if known.
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// `--stats` as text: one line per tier, then what stayed interpreted and why.
pub fn stats_text(s: &vm::Stats, wall: std::time::Duration) -> String {
    let mut t = format!(
        "stats: {} specializations ran: {} interpreted, {} compiled by Cranelift ({:.2} ms), {} loaded from the code heap; {} bytes of native code\n",
        s.compiled,
        interpreted(s),
        s.native,
        s.native_ns as f64 / 1e6,
        s.loaded,
        s.native_bytes,
    );
    if let Some(h) = &s.heap {
        t.push_str(&format!(
            "stats: code heap: {} hits, {} misses, {} entries written, {} bytes loaded in {:.2} ms\n",
            h.hits,
            h.misses,
            h.writes,
            h.bytes_loaded,
            h.load_ns as f64 / 1e6
        ));
    }
    t.push_str(&format!(
        "stats: {} interpreted calls, {:.1} ms wall",
        s.calls,
        wall.as_secs_f64() * 1e3
    ));
    if let Some(kib) = peak_rss_kib() {
        t.push_str(&format!(", peak RSS {:.1} MiB", kib as f64 / 1024.0));
    }
    t.push('\n');
    if s.main_ns.len() > 1 {
        let each: Vec<String> = s
            .main_ns
            .iter()
            .map(|&ns| format!("{:.3}", ns as f64 / 1e6))
            .collect();
        t.push_str(&format!("stats: main calls: {} ms\n", each.join(", ")));
    }
    for (name, why) in &s.not_compiled {
        t.push_str(&format!("stats: not compiled: {name}: {why}\n"));
    }
    t
}

/// Specializations that ran only in the interpreter.
fn interpreted(s: &vm::Stats) -> u64 {
    s.compiled.saturating_sub(s.native + s.loaded)
}

/// One line of `--stats=json`. Field order is the key order the README documents and
/// scripts read; keep it.
#[derive(Serialize)]
struct StatsJson<'a> {
    specializations: u64,
    interpreted: u64,
    compiled: u64,
    loaded: u64,
    heap: bool,
    heap_hits: u64,
    heap_misses: u64,
    heap_writes: u64,
    heap_bytes_loaded: u64,
    heap_load_ms: f64,
    compile_ms: f64,
    code_bytes: u64,
    interpreted_calls: u64,
    wall_ms: f64,
    /// `null` where unknown.
    peak_rss_kib: Option<u64>,
    not_compiled: Vec<NotCompiled<'a>>,
    /// The run image: `"hit"`, `"miss"` or `null` (none used).
    image: Option<&'static str>,
    /// The program's pack of native code: `"hit"`, `"miss"` or `null` (none looked for).
    pack: Option<&'static str>,
    compile_wait_ms: f64,
    /// Each call of `main`'s wall time (`--repeat N`: N of them).
    main_ms: Vec<f64>,
}

#[derive(Serialize)]
struct NotCompiled<'a> {
    function: &'a str,
    reason: &'a str,
}

/// Nanoseconds as milliseconds, to the microsecond.
fn ms(ns: f64) -> f64 {
    (ns / 1e3).round() / 1e3
}

/// `--stats=json`: the same as one JSON object on one line (keys documented in the README).
pub fn stats_json(s: &vm::Stats, wall: std::time::Duration) -> String {
    let h = s.heap.clone().unwrap_or_default();
    let j = StatsJson {
        specializations: s.compiled,
        interpreted: interpreted(s),
        compiled: s.native,
        loaded: s.loaded,
        heap: s.heap.is_some(),
        heap_hits: h.hits,
        heap_misses: h.misses,
        heap_writes: h.writes,
        heap_bytes_loaded: h.bytes_loaded,
        heap_load_ms: ms(h.load_ns as f64),
        compile_ms: ms(s.native_ns as f64),
        code_bytes: s.native_bytes,
        interpreted_calls: s.calls,
        wall_ms: ms(wall.as_nanos() as f64),
        peak_rss_kib: peak_rss_kib(),
        not_compiled: s
            .not_compiled
            .iter()
            .map(|(function, reason)| NotCompiled { function, reason })
            .collect(),
        image: s.image,
        pack: h.pack,
        compile_wait_ms: ms(s.compile_wait_ns as f64),
        main_ms: s.main_ns.iter().map(|&ns| ms(ns as f64)).collect(),
    };
    serde_json::to_string(&j).expect("plain data serializes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_json_is_json_with_every_key_in_order() {
        let s = vm::Stats {
            calls: 32,
            compiled: 5,
            native: 2,
            loaded: 1,
            heap: Some(crate::heap::HeapStats {
                hits: 1,
                misses: 2,
                writes: 2,
                bytes_loaded: 100,
                load_ns: 1_234_567,
                pack: Some("hit"),
            }),
            native_ns: 6_738_400,
            compile_wait_ns: 2_500_000,
            native_bytes: 5280,
            not_compiled: vec![("f(i64)".into(), "a \"quoted\" \\ reason\n\u{1}".into())],
            image: Some("hit"),
            main_ns: vec![1_500_000, 1_250_400],
        };
        let text = stats_json(&s, std::time::Duration::from_micros(7791));
        assert!(!text.contains('\n'), "one line: {text}");
        let v: serde_json::Value = serde_json::from_str(&text).expect(&text);
        let keys = [
            "specializations",
            "interpreted",
            "compiled",
            "loaded",
            "heap",
            "heap_hits",
            "heap_misses",
            "heap_writes",
            "heap_bytes_loaded",
            "heap_load_ms",
            "compile_ms",
            "code_bytes",
            "interpreted_calls",
            "wall_ms",
            "peak_rss_kib",
            "not_compiled",
            "image",
            "pack",
            "compile_wait_ms",
            "main_ms",
        ];
        let obj = v.as_object().expect("an object");
        assert_eq!(obj.len(), keys.len(), "{text}");
        let mut at = 0;
        for k in keys {
            assert!(obj.contains_key(k), "no `{k}` in {text}");
            let pos = text.find(&format!("\"{k}\":")).unwrap();
            assert!(pos >= at, "`{k}` out of order in {text}");
            at = pos;
        }
        assert_eq!(v["specializations"], 5);
        assert_eq!(v["interpreted"], 2);
        assert_eq!(v["compiled"], 2);
        assert_eq!(v["heap"], true);
        assert_eq!(v["compile_wait_ms"], 2.5);
        assert_eq!(v["heap_bytes_loaded"], 100);
        assert_eq!(v["heap_load_ms"], 1.235);
        assert_eq!(v["compile_ms"], 6.738);
        assert_eq!(v["wall_ms"], 7.791);
        assert_eq!(v["main_ms"], serde_json::json!([1.5, 1.25]));
        assert!(v["peak_rss_kib"].is_u64() || v["peak_rss_kib"].is_null());
        assert_eq!(v["not_compiled"][0]["function"], "f(i64)");
        assert_eq!(
            v["not_compiled"][0]["reason"],
            "a \"quoted\" \\ reason\n\u{1}"
        );
        // Without a heap: zeros, and `heap` false.
        let text = stats_json(&vm::Stats::default(), std::time::Duration::ZERO);
        let v: serde_json::Value = serde_json::from_str(&text).expect(&text);
        assert_eq!(v["heap"], false);
        assert_eq!(v["heap_hits"], 0);
        assert_eq!(v["not_compiled"], serde_json::json!([]));
        assert_eq!(v["pack"], serde_json::Value::Null);
    }
}
