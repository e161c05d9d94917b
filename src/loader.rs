//! Finds, reads and parses every file of a program: the script, what it imports
//! (transitively; cycles allowed; each file loaded once), and the prelude.
//!
//! Lookup for `import a.b;` from file F: `F's folder/a/b.nk`, then each folder of the
//! module search path the caller gives (`Options::module_path`; the CLI takes it from
//! `NVM_PATH`), then the standard library, which is embedded in the binary so nvm finds it
//! whatever the working directory. The loader reads no environment variable.

use crate::diag::Diagnostic;
use crate::source::{FileId, SourceMap, Span};
use crate::syntax;
use crate::syntax::ast::{Item, Module, ScriptBody};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The standard library, embedded at build time: (module path, source).
pub const STDLIB: &[(&str, &str)] = &[
    ("prelude", include_str!("../stdlib/prelude.nk")),
    ("linalg", include_str!("../stdlib/linalg.nk")),
];

/// Index into `Loaded::modules`.
pub type ModuleId = usize;

#[derive(Debug, Clone)]
pub struct LoadedModule {
    pub file: FileId,
    /// Name used in messages: `<script>` file stem, or the import path `linalg.solvers`.
    pub name: String,
    pub ast: Module,
    /// Import alias (last path segment) → module.
    pub imports: HashMap<String, ModuleId>,
    pub is_script: bool,
}

#[derive(Debug, Clone)]
pub struct Loaded {
    pub sources: SourceMap,
    pub modules: Vec<LoadedModule>,
    /// The script (always module 0) and the prelude, whose functions every module sees.
    pub script: ModuleId,
    pub prelude: ModuleId,
    /// Functions of the embedding program callable from every module (after the module's
    /// own functions, before built-ins); `Builtin::Host(i)` calls `hosts[i]`.
    pub hosts: Vec<crate::ir::HostSig>,
    /// Files the import lookup tried and did not find (or could not read) before the one it
    /// used: the program would change if one appeared, so the CLI's run image checks that
    /// they are still absent.
    pub absent: Vec<PathBuf>,
    /// Where each module came from (to load each file once, also when more modules are
    /// added later), and the folder its own imports are looked in first.
    by_origin: HashMap<Origin, ModuleId>,
    dirs: HashMap<ModuleId, Option<PathBuf>>,
}

/// Where a module's text comes from; its identity for "load each file once".
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Origin {
    File(PathBuf),
    Stdlib(&'static str),
    /// A module given as text (the embedding API's `Engine::load_str`).
    Text(String),
}

struct Loader<'l> {
    l: &'l mut Loaded,
    search_path: Vec<PathBuf>,
    /// Modules given as text, by import name; found before any folder.
    texts: HashMap<String, String>,
    diags: Vec<Diagnostic>,
}

/// Reads a file as text. Bytes that are not UTF-8 become U+FFFD, which the lexer then
/// reports as an invalid character at its place.
pub fn read_source(path: &Path) -> std::io::Result<String> {
    let bytes = std::fs::read(path)?;
    Ok(match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    })
}

/// Loads a script from disk with everything it imports; imports not beside their
/// importing file are looked up in each folder of `module_path`, then the standard library.
pub fn load_file(
    path: &Path,
    module_path: &[PathBuf],
) -> Result<Loaded, (SourceMap, Vec<Diagnostic>)> {
    let text = read_source(path).map_err(|e| {
        let mut sm = SourceMap::default();
        let f = sm.add(path.display().to_string(), String::new());
        (
            sm,
            vec![Diagnostic::error(
                Span::new(f, 0, 0),
                format!("cannot read `{}`: {e}", path.display()),
            )],
        )
    })?;
    let dir = path.parent().map(|p| p.to_path_buf());
    load_source_with(
        &path.display().to_string(),
        text,
        dir,
        module_path.to_vec(),
        HashMap::new(),
    )
}

/// Loads a script given as text (`name` is used in messages); imports are looked up in
/// `dir` (if any) and the standard library.
pub fn load_source(
    name: &str,
    text: String,
    dir: Option<PathBuf>,
) -> Result<Loaded, (SourceMap, Vec<Diagnostic>)> {
    load_source_with(name, text, dir, Vec::new(), HashMap::new())
}

/// `load_source` with a module search path (folders looked in after `dir`) and modules
/// given as text (import name → source), found before any folder.
pub fn load_source_with(
    name: &str,
    text: String,
    dir: Option<PathBuf>,
    search_path: Vec<PathBuf>,
    texts: HashMap<String, String>,
) -> Result<Loaded, (SourceMap, Vec<Diagnostic>)> {
    let mut loaded = Loaded {
        sources: SourceMap::default(),
        modules: Vec::new(),
        script: 0,
        prelude: 0,
        hosts: Vec::new(),
        absent: Vec::new(),
        by_origin: HashMap::new(),
        dirs: HashMap::new(),
    };
    let mut l = Loader {
        l: &mut loaded,
        search_path,
        texts,
        diags: Vec::new(),
    };
    let script = l.add_module(name.to_string(), text, None, dir, true);
    let prelude = l.load_stdlib("prelude").expect("prelude is embedded");
    l.resolve_from(0);
    let diags = l.diags;
    loaded.script = script;
    loaded.prelude = prelude;
    if diags.is_empty() {
        Ok(loaded)
    } else {
        Err((loaded.sources, diags))
    }
}

/// Where a module added with [`Loaded::add_module`] comes from.
pub enum ModuleSource {
    /// Text, named as the module (`<name>` in messages).
    Text(String),
    /// A file, already read (its text), found at this path.
    File(PathBuf, String),
    /// Items already parsed (from texts already in the source map: the REPL's entries).
    Parsed(FileId, Module),
}

impl Loaded {
    /// Takes the script's top-level statements out, in order, and leaves its imports,
    /// constants and functions (at new positions: take them before checking).
    pub fn take_script_statements(&mut self) -> ScriptBody {
        let items = &mut self.modules[self.script].ast.items;
        let mut body = Vec::new();
        for item in std::mem::take(items) {
            match item {
                Item::Stmt(s) => body.push(s),
                other => items.push(other),
            }
        }
        body
    }

    /// The module added under `name` (from text or a file, not the standard library's),
    /// if any.
    pub fn module_named(&self, name: &str) -> Option<ModuleId> {
        self.by_origin
            .iter()
            .filter(|(o, _)| !matches!(o, Origin::Stdlib(_)))
            .map(|(_, &m)| m)
            .find(|&m| self.modules[m].name == name && !self.modules[m].is_script)
    }

    /// Adds module `name` to a loaded program, with the modules it imports that are not
    /// loaded yet (looked up beside it, then in `search_path`, then the standard
    /// library; `texts`: modules given as text, by import name, found first); a module of
    /// that name added before is replaced in place (same id).
    /// Returns the module's id, the ids of every module new to the program, and the
    /// replaced module (to undo the step with [`Loaded::undo_add`]). On error nothing
    /// changed.
    #[allow(clippy::type_complexity)]
    pub fn add_module(
        &mut self,
        name: &str,
        src: ModuleSource,
        search_path: &[PathBuf],
        texts: &HashMap<String, String>,
    ) -> Result<(ModuleId, Vec<ModuleId>, Option<LoadedModule>), Vec<Diagnostic>> {
        let old_len = self.modules.len();
        let replaced = self.module_named(name);
        let mut l = Loader {
            l: self,
            search_path: search_path.to_vec(),
            texts: texts.clone(),
            diags: Vec::new(),
        };
        let (id, origin) = match src {
            ModuleSource::Text(t) => {
                let origin = Origin::Text(name.to_string());
                let id = l.add_module(name.to_string(), t, Some(origin.clone()), None, false);
                (id, origin)
            }
            ModuleSource::File(p, t) => {
                let canon = p.canonicalize().unwrap_or(p.clone());
                let dir = canon.parent().map(|d| d.to_path_buf());
                let origin = Origin::File(canon);
                let id = l.add_module(name.to_string(), t, Some(origin.clone()), dir, false);
                (id, origin)
            }
            ModuleSource::Parsed(file, ast) => {
                let origin = Origin::Text(name.to_string());
                let id = l.push_module(name.to_string(), file, ast, Some(origin.clone()), None, false);
                (id, origin)
            }
        };
        let before = match replaced {
            Some(old) => {
                // The new version takes the old one's id: importers keep pointing at it.
                let new = l.l.modules.pop().expect("just added");
                let prev = std::mem::replace(&mut l.l.modules[old], new);
                l.l.by_origin.retain(|_, m| *m != old && *m != id);
                l.l.by_origin.insert(origin, old);
                let d = l.l.dirs.remove(&id).flatten();
                l.l.dirs.insert(old, d);
                l.resolve_imports(old);
                Some(prev)
            }
            None => None,
        };
        let id = replaced.unwrap_or(id);
        l.resolve_from(old_len);
        let diags = l.diags;
        if diags.is_empty() {
            Ok((id, (old_len..self.modules.len()).collect(), before))
        } else {
            self.undo_add(id, old_len, before);
            Err(diags)
        }
    }

    /// Adds statements (already parsed from `file`, in the source map) as a module of their
    /// own that nothing imports: a REPL entry's body, checked in another module's scope.
    pub fn add_entry_module(&mut self, name: &str, file: FileId, ast: Module) -> ModuleId {
        let id = self.modules.len();
        self.modules.push(LoadedModule {
            file,
            name: name.to_string(),
            ast,
            imports: HashMap::new(),
            is_script: true,
        });
        id
    }

    /// Undoes [`Loaded::add_module`]: drops the modules from `old_len` on and puts back
    /// the replaced module. (The source map keeps the texts: spans stay valid.)
    pub fn undo_add(&mut self, id: ModuleId, old_len: usize, replaced: Option<LoadedModule>) {
        self.modules.truncate(old_len);
        self.by_origin.retain(|_, m| *m < old_len);
        self.dirs.retain(|m, _| *m < old_len);
        if let Some(prev) = replaced {
            self.modules[id] = prev;
        }
    }
}

impl Loader<'_> {
    /// Resolves the imports of every module from `first` on; modules they bring in are
    /// appended and resolved in turn (breadth-first).
    fn resolve_from(&mut self, first: ModuleId) {
        let mut next = first;
        while next < self.l.modules.len() {
            self.resolve_imports(next);
            next += 1;
        }
    }

    fn add_module(
        &mut self,
        name: String,
        text: String,
        origin: Option<Origin>,
        dir: Option<PathBuf>,
        is_script: bool,
    ) -> ModuleId {
        let file = match &origin {
            Some(Origin::File(p)) => self.l.sources.add(p.display().to_string(), text),
            Some(Origin::Stdlib(n)) => self.l.sources.add_stdlib(format!("<stdlib>/{n}.nk"), text),
            Some(Origin::Text(n)) => self.l.sources.add(n.clone(), text),
            None => self.l.sources.add(name.clone(), text),
        };
        let (ast, diags) = syntax::parse(file, &self.l.sources.get(file).text);
        self.diags.extend(diags);
        self.push_module(name, file, ast, origin, dir, is_script)
    }

    /// Adds a parsed module (`file` already in the source map).
    fn push_module(
        &mut self,
        name: String,
        file: FileId,
        ast: Module,
        origin: Option<Origin>,
        dir: Option<PathBuf>,
        is_script: bool,
    ) -> ModuleId {
        if !is_script {
            for item in &ast.items {
                if let Item::Stmt(s) = item {
                    self.diags.push(Diagnostic::error(
                        s.span,
                        "a module may contain only `import`, `const` and `fn`; statements belong in the script",
                    ));
                }
            }
        }
        let id = self.l.modules.len();
        self.l.modules.push(LoadedModule {
            file,
            name,
            ast,
            imports: HashMap::new(),
            is_script,
        });
        if let Some(o) = origin {
            self.l.by_origin.insert(o, id);
        }
        self.l.dirs.insert(id, dir);
        id
    }

    fn load_stdlib(&mut self, path: &str) -> Option<ModuleId> {
        let (name, text) = STDLIB.iter().find(|(n, _)| *n == path)?;
        let origin = Origin::Stdlib(name);
        if let Some(&id) = self.l.by_origin.get(&origin) {
            return Some(id);
        }
        Some(self.add_module(
            name.to_string(),
            text.to_string(),
            Some(origin),
            None,
            false,
        ))
    }

    fn resolve_imports(&mut self, id: ModuleId) {
        let imports: Vec<(Vec<String>, Span)> = self.l.modules[id]
            .ast
            .items
            .iter()
            .filter_map(|it| match it {
                Item::Import { path, span } => {
                    Some((path.iter().map(|i| i.name.clone()).collect(), *span))
                }
                _ => None,
            })
            .collect();
        for (path, span) in imports {
            let alias = path.last().cloned().unwrap_or_default();
            match self.find_module(id, &path) {
                Ok(target) => {
                    if let Some(&prev) = self.l.modules[id].imports.get(&alias) {
                        if prev != target {
                            self.diags.push(Diagnostic::error(
                                span,
                                format!(
                                    "two imported modules are both named `{alias}` in this file"
                                ),
                            ));
                        }
                    }
                    self.l.modules[id].imports.insert(alias, target);
                }
                Err(looked) => self.diags.push(
                    Diagnostic::error(span, format!("cannot find module `{}`", path.join(".")))
                        .with_note(format!("looked in: {}", looked.join(", "))),
                ),
            }
        }
    }

    fn find_module(&mut self, from: ModuleId, path: &[String]) -> Result<ModuleId, Vec<String>> {
        let dotted = path.join(".");
        // A module the embedder or REPL loaded by that name (in any order).
        if let Some(id) = self.l.module_named(&dotted) {
            return Ok(id);
        }
        if let Some(text) = self.texts.get(&dotted).cloned() {
            let origin = Origin::Text(dotted.clone());
            if let Some(&id) = self.l.by_origin.get(&origin) {
                return Ok(id);
            }
            return Ok(self.add_module(dotted, text, Some(origin), None, false));
        }
        let rel: PathBuf = path.iter().collect::<PathBuf>().with_extension("nk");
        let mut dirs: Vec<PathBuf> = Vec::new();
        if let Some(Some(d)) = self.l.dirs.get(&from) {
            dirs.push(d.clone());
        }
        dirs.extend(self.search_path.iter().cloned());
        let mut looked = Vec::new();
        for d in dirs {
            let candidate = d.join(&rel);
            looked.push(candidate.display().to_string());
            if candidate.is_file() {
                let canon = candidate.canonicalize().unwrap_or(candidate.clone());
                let origin = Origin::File(canon.clone());
                if let Some(&id) = self.l.by_origin.get(&origin) {
                    return Ok(id);
                }
                let text = match read_source(&candidate) {
                    Ok(t) => t,
                    Err(e) => {
                        self.l.absent.push(candidate.clone());
                        looked.push(format!("{} (unreadable: {e})", candidate.display()));
                        continue;
                    }
                };
                let dir = canon.parent().map(|p| p.to_path_buf());
                return Ok(self.add_module(path.join("."), text, Some(origin), dir, false));
            }
            self.l.absent.push(candidate);
        }
        looked.push("the standard library".to_string());
        self.load_stdlib(&path.join("/")).ok_or(looked)
    }
}
