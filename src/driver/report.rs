//! What a run reports beyond its output: a runtime error rendered at its place with the
//! nk call chain, and the `--stats` summary as text or as one JSON object.
//!
//! Invariant: only formats what it is given (plus this process's peak RSS from
//! `/proc/self/status`); prints nothing itself, so the caller picks the stream.

use crate::diag::{self, Diagnostic};
use crate::interp::{self, RuntimeError};
use crate::syntax::SourceMap;

/// Renders a runtime error: the message at its place, then the nk call chain.
pub fn render_runtime_error(sources: &SourceMap, e: &RuntimeError, color: bool) -> String {
    // An error inside the standard library is shown at the user's call into it; the
    // chain below still lists the library frames.
    let in_stdlib = |sp: &crate::syntax::Span| sources.get(sp.file).is_stdlib;
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
pub fn stats_text(s: &interp::Stats, wall: std::time::Duration) -> String {
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
    for (name, why) in &s.not_compiled {
        t.push_str(&format!("stats: not compiled: {name}: {why}\n"));
    }
    t
}

/// Specializations that ran only in the interpreter.
fn interpreted(s: &interp::Stats) -> u64 {
    s.compiled.saturating_sub(s.native + s.loaded)
}

fn json_str(s: &str) -> String {
    let mut o = String::from('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            c if (c as u32) < 0x20 => o.push_str(&format!("\\u{:04x}", c as u32)),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

/// `--stats=json`: the same as one JSON object (keys documented in the README).
pub fn stats_json(s: &interp::Stats, wall: std::time::Duration) -> String {
    let not: Vec<String> = s
        .not_compiled
        .iter()
        .map(|(n, w)| {
            format!(
                "{{\"function\":{},\"reason\":{}}}",
                json_str(n),
                json_str(w)
            )
        })
        .collect();
    let h = s.heap.clone().unwrap_or_default();
    format!(
        "{{\"specializations\":{},\"interpreted\":{},\"compiled\":{},\"loaded\":{},\"heap\":{},\"heap_hits\":{},\"heap_misses\":{},\"heap_writes\":{},\"heap_bytes_loaded\":{},\"heap_load_ms\":{:.3},\"compile_ms\":{:.3},\"code_bytes\":{},\"interpreted_calls\":{},\"wall_ms\":{:.3},\"peak_rss_kib\":{},\"not_compiled\":[{}]}}",
        s.compiled,
        interpreted(s),
        s.native,
        s.loaded,
        s.heap.is_some(),
        h.hits,
        h.misses,
        h.writes,
        h.bytes_loaded,
        h.load_ns as f64 / 1e6,
        s.native_ns as f64 / 1e6,
        s.native_bytes,
        s.calls,
        wall.as_secs_f64() * 1e3,
        peak_rss_kib().map_or("null".to_string(), |k| k.to_string()),
        not.join(",")
    )
}
