//! The layers stay honest: no cycle among the top-level modules of `src/`.
//!
//! Every `.rs` file under `src/` belongs to a top-level module: `src/X.rs` and
//! `src/X/**` belong to `X`; `lib.rs` and `main.rs` belong to none. A file of `X` that
//! names `crate::Y` (in a path, or as an item of a `use crate::{A, B::c}` group) makes an
//! edge X -> Y when `Y` is another top-level module; text after `//` is ignored. A
//! strongly connected component of more than one module is a cycle, reported with the
//! edges inside it (and the files that make them), after the whole graph.
//!
//! These are the rules of /work/shared/tools/modcycles.py (`python3 modcycles.py src`
//! prints the same edges and cycles), except that a nested group
//! (`crate::{a::{b, c}, d}`) is read by its braces: it names `a` and `d`.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// A top-level module's name.
type Module = String;

/// The import graph: every module (also those without edges), each edge with the files
/// (relative to `src/`) that make it.
#[derive(Default, Debug)]
struct Graph {
    modules: BTreeSet<Module>,
    edges: BTreeMap<Module, BTreeMap<Module, BTreeSet<String>>>,
}

/// The top-level module of a file, from its path relative to `src/` (`/`-separated).
fn module_of(rel: &str) -> Option<Module> {
    match rel.split_once('/') {
        Some((dir, _)) => Some(dir.to_string()),
        None => {
            let name = rel.strip_suffix(".rs")?;
            (name != "lib" && name != "main").then(|| name.to_string())
        }
    }
}

/// `text` without what follows `//` on each line (line and doc comments; a `//` in a
/// string cuts the line too, as the Python tool does).
fn strip_comments(text: &str) -> String {
    text.lines()
        .map(|l| l.find("//").map_or(l, |i| &l[..i]))
        .collect::<Vec<_>>()
        .join("\n")
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The leading identifier of `s` (after spaces).
fn leading_ident(s: &str) -> &str {
    let s = s.trim_start();
    &s[..s.find(|c: char| !is_ident_char(c)).unwrap_or(s.len())]
}

/// The names `text` reaches as `crate::NAME` or inside `crate::{...}` groups (the first
/// segment of each item of the group).
fn crate_references(text: &str) -> BTreeSet<String> {
    let text = strip_comments(text);
    let mut names = BTreeSet::new();
    let mut from = 0;
    while let Some(at) = text[from..].find("crate::") {
        let start = from + at;
        from = start + "crate::".len();
        // A word of its own: not `mycrate::` (`$crate::` counts, as `\b` does in Python).
        if text[..start].chars().next_back().is_some_and(is_ident_char) {
            continue;
        }
        let rest = &text[from..];
        if let Some(group) = rest.strip_prefix('{') {
            // The group up to its matching brace; its items are split at depth 0.
            let (mut depth, mut item_start) = (0usize, 0usize);
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' | ',' if depth == 0 => {
                        let item = leading_ident(&group[item_start..i]);
                        if !item.is_empty() {
                            names.insert(item.to_string());
                        }
                        item_start = i + 1;
                        if c == '}' {
                            break;
                        }
                    }
                    '}' => depth -= 1,
                    _ => {}
                }
            }
        } else {
            let name = leading_ident(rest);
            if name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_') {
                names.insert(name.to_string());
            }
        }
    }
    names
}

/// The graph of a set of files: (path relative to `src/`, text).
fn graph(files: &[(String, String)]) -> Graph {
    let mut g = Graph::default();
    let owned: Vec<(Module, &str, &str)> = files
        .iter()
        .filter_map(|(rel, text)| module_of(rel).map(|m| (m, rel.as_str(), text.as_str())))
        .collect();
    g.modules = owned.iter().map(|(m, _, _)| m.clone()).collect();
    for (m, rel, text) in &owned {
        for target in crate_references(text) {
            if g.modules.contains(&target) && target != *m {
                g.edges
                    .entry(m.clone())
                    .or_default()
                    .entry(target)
                    .or_default()
                    .insert(rel.to_string());
            }
        }
    }
    g
}

/// Every `.rs` file under `src` as (path relative to `src`, `/`-separated; text).
fn read_sources(src: &Path) -> Vec<(String, String)> {
    support::files_with_extension(src, "rs")
        .into_iter()
        .map(|p| {
            let rel: Vec<_> = p
                .strip_prefix(src)
                .unwrap()
                .iter()
                .map(|c| c.to_string_lossy())
                .collect();
            let text = String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into_owned();
            (rel.join("/"), text)
        })
        .collect()
}

/// The strongly connected components of more than one module (Tarjan), each sorted, in
/// the order of their first module.
fn cycles(g: &Graph) -> Vec<Vec<Module>> {
    struct Tarjan<'a> {
        g: &'a Graph,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        components: Vec<Vec<Module>>,
    }
    impl<'a> Tarjan<'a> {
        fn strong(&mut self, v: &'a str) {
            let i = self.index.len();
            self.index.insert(v, i);
            self.low.insert(v, i);
            self.stack.push(v);
            self.on_stack.insert(v);
            for w in self.g.edges.get(v).into_iter().flat_map(|e| e.keys()) {
                let w = w.as_str();
                if !self.index.contains_key(w) {
                    self.strong(w);
                    let lw = self.low[w];
                    let lv = self.low.get_mut(v).unwrap();
                    *lv = (*lv).min(lw);
                } else if self.on_stack.contains(w) {
                    let iw = self.index[w];
                    let lv = self.low.get_mut(v).unwrap();
                    *lv = (*lv).min(iw);
                }
            }
            if self.low[v] == self.index[v] {
                let mut comp = Vec::new();
                loop {
                    let w = self.stack.pop().unwrap();
                    self.on_stack.remove(w);
                    comp.push(w.to_string());
                    if w == v {
                        break;
                    }
                }
                self.components.push(comp);
            }
        }
    }
    let mut t = Tarjan {
        g,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        components: Vec::new(),
    };
    for m in &g.modules {
        if !t.index.contains_key(m.as_str()) {
            t.strong(m);
        }
    }
    let mut out: Vec<Vec<Module>> = t
        .components
        .into_iter()
        .filter(|c| c.len() > 1)
        .map(|mut c| {
            c.sort();
            c
        })
        .collect();
    out.sort();
    out
}

/// The graph as modcycles.py prints it: one line per module, `X -> A, B` (or `-`).
fn edge_lines(g: &Graph) -> String {
    g.modules
        .iter()
        .map(|m| {
            let targets: Vec<&str> = g
                .edges
                .get(m)
                .into_iter()
                .flat_map(|e| e.keys().map(String::as_str))
                .collect();
            let targets = if targets.is_empty() {
                "-".to_string()
            } else {
                targets.join(", ")
            };
            format!("{m} -> {targets}\n")
        })
        .collect()
}

/// `Err(report)` listing every cycle with its edges (and the files making them), then the
/// whole graph.
fn check(g: &Graph) -> Result<(), String> {
    let found = cycles(g);
    if found.is_empty() {
        return Ok(());
    }
    let mut report = format!(
        "{} cycle(s) among the {} top-level modules of src/:\n",
        found.len(),
        g.modules.len()
    );
    for c in &found {
        report.push_str(&format!("\ncycle: {}\n", c.join(" <-> ")));
        for from in c {
            for (to, files) in g.edges.get(from).into_iter().flatten() {
                if c.contains(to) {
                    let files: Vec<&str> = files.iter().map(String::as_str).collect();
                    report.push_str(&format!(
                        "  {from} -> {to}   (crate::{to} in {})\n",
                        files.join(", ")
                    ));
                }
            }
        }
    }
    report.push_str(&format!(
        "\nthe import graph (X -> what X names as crate::Y):\n{}",
        edge_lines(g)
    ));
    Err(report)
}

/// The check of a source folder, failing the test with the report.
/// The check both the real tree and the made-up folder go through: `Err` with the report.
fn check_folder(src: &Path) -> Result<(), String> {
    let g = graph(&read_sources(src));
    assert!(!g.modules.is_empty(), "no modules under {}", src.display());
    check(&g)
}

fn assert_no_cycles(src: &Path) {
    if let Err(report) = check_folder(src) {
        panic!("{report}");
    }
}

#[test]
fn top_level_modules_form_no_cycle() {
    assert_no_cycles(&support::repo_path("src"));
}

/// The tiers and the code heap sit side by side: only `vm` joins them (ARCHITECTURE.md,
/// "Layers"), and the leaves import nothing of the crate.
#[test]
fn the_tiers_and_the_heap_never_import_each_other_and_the_leaves_nothing() {
    let g = graph(&read_sources(&support::repo_path("src")));
    let edges = |m: &str| -> Vec<String> {
        g.edges
            .get(m)
            .map(|e| e.keys().cloned().collect())
            .unwrap_or_default()
    };
    let side_by_side = ["interp", "jit", "heap"];
    for a in side_by_side {
        for b in side_by_side {
            assert!(
                !edges(a).contains(&b.to_string()),
                "{a} imports {b}: only vm may join them\n{}",
                edge_lines(&g)
            );
        }
    }
    for leaf in ["source", "vocab", "options"] {
        assert!(
            edges(leaf).is_empty(),
            "{leaf} must be a leaf: {:?}",
            edges(leaf)
        );
    }
}

// The detector itself, on small made-up crates.

fn files(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(p, t)| (p.to_string(), t.to_string()))
        .collect()
}

/// a -> b -> c -> a is a cycle; d -> a and e (alone) are not in it; lib.rs and main.rs
/// belong to no module.
const CYCLIC: &[(&str, &str)] = &[
    (
        "lib.rs",
        "pub mod a;\npub mod b;\npub mod c;\npub mod d;\npub mod e;\n",
    ),
    (
        "main.rs",
        "use crate::e::run;\nfn main() { nvm::a::f(); }\n",
    ),
    ("a.rs", "use crate::b::Thing;\npub fn f() {}\n"),
    ("b/mod.rs", "mod inner;\n"),
    ("b/inner.rs", "use crate::{c::deep::Item, e};\n"),
    ("c/deep/item.rs", "pub fn g() { crate::a::f() }\n"),
    ("d.rs", "use crate::a;\n"),
    ("e.rs", "pub fn run() {}\n"),
];

#[test]
fn the_detector_finds_a_cycle_with_its_edges_and_files() {
    let g = graph(&files(CYCLIC));
    let mods: Vec<&str> = g.modules.iter().map(String::as_str).collect();
    assert_eq!(mods, ["a", "b", "c", "d", "e"]);
    assert_eq!(cycles(&g), vec![vec!["a", "b", "c"]]);
    let report = check(&g).unwrap_err();
    assert!(report.contains("cycle: a <-> b <-> c"), "{report}");
    for edge in [
        "a -> b   (crate::b in a.rs)",
        "b -> c   (crate::c in b/inner.rs)",
        "c -> a   (crate::a in c/deep/item.rs)",
    ] {
        assert!(report.contains(edge), "{edge}: {report}");
    }
    // d -> a and b -> e are edges, but of no cycle.
    assert!(!report.contains("  d -> a"), "{report}");
    assert!(report.contains("\nd -> a\n"), "the whole graph: {report}");
    assert!(
        report.contains("\nb -> c, e\n"),
        "the whole graph: {report}"
    );
    assert!(report.contains("\ne -> -\n"), "the whole graph: {report}");
}

#[test]
fn two_cycles_are_two_components_and_a_self_reference_is_none() {
    let g = graph(&files(&[
        ("x.rs", "use crate::y;\nuse crate::x::inner;\n"),
        ("y.rs", "use crate::x;\n"),
        ("p/mod.rs", "use crate::q;\n"),
        ("q.rs", "fn f() -> crate::p::T { todo!() }\n"),
        ("alone.rs", "use crate::alone::me;\n"),
    ]));
    assert_eq!(cycles(&g), vec![vec!["p", "q"], vec!["x", "y"]]);
}

#[test]
fn comments_other_crates_and_non_modules_make_no_edge() {
    let g = graph(&files(&[
        (
            "a.rs",
            "// use crate::b;\n/// see [`crate::b`]\nlet s = 1; // crate::b\n",
        ),
        (
            "b.rs",
            "use mycrate::a;\nuse std::a;\nuse crate::Thing;\nuse crate::{Other, self};\n",
        ),
    ]));
    assert!(g.edges.is_empty(), "{:?}", g.edges);
    assert!(check(&g).is_ok());
}

#[test]
fn groups_name_their_first_segments_nested_or_not() {
    let refs = crate_references(
        "use crate::{\n    a::{x, y::{z}},\n    b as bee,\n    c::*,\n};\nuse crate::d::e;\n\
         $crate::m::n!();\n",
    );
    let refs: Vec<&str> = refs.iter().map(String::as_str).collect();
    assert_eq!(refs, ["a", "b", "c", "d", "m"]);
}

/// The check on a folder of files fails, naming the cycle: the same path as the real
/// tree's test.
#[test]
fn the_check_of_a_folder_with_a_cycle_fails() {
    let dir = support::TempDir::new("layers");
    for (rel, text) in CYCLIC {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    let report = check_folder(dir.path()).expect_err("a folder with a cycle fails the check");
    assert!(report.contains("cycle: a <-> b <-> c"), "{report}");
}
