//! User-facing diagnostics: one type for every syntax, type and usage error found before a
//! program runs, and their rendering (codespan-reporting) with file:line:col, the source
//! line and a caret. Front-end passes collect these and keep going.

use crate::source::{SourceMap, Span};
use std::sync::Arc;
use codespan_reporting::diagnostic::{Diagnostic as CsDiag, Label};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::{self, termcolor::Buffer};

#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub span: Span,
    pub message: String,
    /// Secondary labels ("defined here", "opened here").
    pub labels: Vec<(Span, String)>,
    /// Extra explanations ("while checking the specialization ...").
    pub notes: Vec<String>,
}

impl Diagnostic {
    pub fn error(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            span,
            message: message.into(),
            labels: Vec::new(),
            notes: Vec::new(),
        }
    }
    pub fn with_label(mut self, span: Span, text: impl Into<String>) -> Diagnostic {
        self.labels.push((span, text.into()));
        self
    }
    pub fn with_note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }
}

/// Renders diagnostics as text: `error: message`, then `┌─ file:line:col` and the source
/// line with a caret under the offending range.
pub fn render(sources: &SourceMap, diags: &[Diagnostic], color: bool) -> String {
    let mut files = SimpleFiles::new();
    for f in &sources.files {
        files.add(f.name.clone(), f.text.clone());
    }
    let mut buf = if color {
        Buffer::ansi()
    } else {
        Buffer::no_color()
    };
    let config = term::Config::default();
    let mut out = String::new();
    for d in diags.iter().take(MAX_SHOWN) {
        if sources.files[d.span.file as usize].text.is_empty() {
            // Nothing to point at (e.g. the file could not be read).
            out.push_str(&format!("error: {}\n", d.message));
            continue;
        }
        let file = d.span.file as usize;
        let text_len = sources.files[file].text.len();
        let range = clamp(d.span.lo as usize, text_len)..clamp(d.span.hi as usize, text_len);
        let mut labels = vec![Label::primary(file, range)];
        for (s, t) in &d.labels {
            let len = sources.files[s.file as usize].text.len();
            labels.push(
                Label::secondary(
                    s.file as usize,
                    clamp(s.lo as usize, len)..clamp(s.hi as usize, len),
                )
                .with_message(t.clone()),
            );
        }
        let cs = CsDiag::error()
            .with_message(&d.message)
            .with_labels(labels)
            .with_notes(d.notes.clone());
        buf.clear();
        if term::emit(&mut buf, &config, &files, &cs).is_ok() {
            out.push_str(&String::from_utf8_lossy(buf.as_slice()));
        }
    }
    if diags.len() > MAX_SHOWN {
        out.push_str(&format!(
            "... and {} more errors not shown\n",
            diags.len() - MAX_SHOWN
        ));
    }
    out
}

/// Compile errors as data — what the library returns; text is made only at the edge (the
/// CLI, the REPL, an embedder's `Display`). Each diagnostic can be read with its place
/// resolved ([`CompileError::diagnostics`]); [`CompileError::render`] gives the text with
/// `file:line:col`, the source line and a caret, colored or not. For convenience it
/// dereferences to its plain rendering (`err.contains("...")`).
#[derive(Debug, Clone)]
pub struct CompileError {
    diags: Vec<Diagnostic>,
    sources: Arc<SourceMap>,
    /// Whether the rendering ends with "N errors found; nothing was run".
    counted: bool,
    plain: String,
}

/// One compile error with its place resolved: what [`CompileError::diagnostics`] lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompileDiagnostic {
    /// The file's name as loaded (a path, `<repl>`, or an engine module's name).
    pub file: String,
    /// 1-based line and column (in characters) of the start of the offending range.
    pub line: usize,
    /// The 1-based column (in characters).
    pub column: usize,
    /// The offending range in bytes of the file's text.
    pub range: std::ops::Range<usize>,
    /// What is wrong.
    pub message: String,
    /// Secondary places ("defined here") as `(file, line, column, text)`.
    pub labels: Vec<(String, usize, usize, String)>,
    /// Extra explanations ("while checking the specialization ...").
    pub notes: Vec<String>,
}

impl CompileError {
    /// The errors `diags` found in `sources` (which it keeps, to render them later); the
    /// rendering ends with how many there were and that nothing was run.
    pub fn new(sources: &SourceMap, diags: Vec<Diagnostic>) -> CompileError {
        Self::with_count(sources, diags, true)
    }

    /// The same without the closing count (a REPL entry: the session goes on).
    pub fn of_entry(sources: &SourceMap, diags: Vec<Diagnostic>) -> CompileError {
        Self::with_count(sources, diags, false)
    }

    fn with_count(sources: &SourceMap, diags: Vec<Diagnostic>, counted: bool) -> CompileError {
        let sources = Arc::new(sources.clone());
        let plain = render_with_count(&sources, &diags, false, counted);
        CompileError {
            diags,
            sources,
            counted,
            plain,
        }
    }

    /// Every error, located.
    pub fn diagnostics(&self) -> Vec<CompileDiagnostic> {
        let at = |sp: Span| {
            let f = &self.sources.files[sp.file as usize];
            let lo = clamp(sp.lo as usize, f.text.len());
            let before = &f.text[..floor_char(&f.text, lo)];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            (f.name.clone(), line, column)
        };
        self.diags
            .iter()
            .map(|d| {
                let (file, line, column) = at(d.span);
                CompileDiagnostic {
                    file,
                    line,
                    column,
                    range: d.span.lo as usize..d.span.hi as usize,
                    message: d.message.clone(),
                    labels: d
                        .labels
                        .iter()
                        .map(|(sp, t)| {
                            let (f, l, c) = at(*sp);
                            (f, l, c, t.clone())
                        })
                        .collect(),
                    notes: d.notes.clone(),
                }
            })
            .collect()
    }

    /// The errors as text (`file:line:col`, the source line and a caret), then how many
    /// there were.
    pub fn render(&self, color: bool) -> String {
        if color {
            render_with_count(&self.sources, &self.diags, true, self.counted)
        } else {
            self.plain.clone()
        }
    }
}

impl std::fmt::Display for CompileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.plain.trim_end())
    }
}

impl std::error::Error for CompileError {}

impl std::ops::Deref for CompileError {
    type Target = str;
    fn deref(&self) -> &str {
        &self.plain
    }
}

/// The rendering, then (if `counted`) "N errors found; nothing was run".
fn render_with_count(sources: &SourceMap, diags: &[Diagnostic], color: bool, counted: bool) -> String {
    let n = diags.len();
    let mut text = render(sources, diags, color);
    if !counted {
        return text;
    }
    text.push_str(&format!(
        "{n} error{} found; nothing was run\n",
        if n == 1 { "" } else { "s" }
    ));
    text
}

/// The largest char boundary at or below `i`.
fn floor_char(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Diagnostics rendered at most; the rest are counted (binary junk gives thousands).
pub const MAX_SHOWN: usize = 50;

fn clamp(i: usize, len: usize) -> usize {
    i.min(len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rendering_shows_location_line_and_caret_and_caps_the_count() {
        let mut sm = SourceMap::default();
        let f = sm.add("t.nk".into(), "let x = 1;\nlet y = oops;\n".into());
        let one = Diagnostic::error(Span::new(f, 19, 23), "undefined variable `oops`");
        let text = render(&sm, std::slice::from_ref(&one), false);
        assert!(text.contains("error: undefined variable `oops`"), "{text}");
        assert!(text.contains("t.nk:2:9"), "{text}");
        assert!(
            text.contains("let y = oops;") && text.contains("^^^^"),
            "{text}"
        );
        let many = vec![one; MAX_SHOWN + 7];
        let text = render(&sm, &many, false);
        assert_eq!(text.matches("error: undefined").count(), MAX_SHOWN);
        assert!(text.contains("... and 7 more errors not shown"), "{text}");
    }

    #[test]
    fn an_error_without_source_is_one_line() {
        let mut sm = SourceMap::default();
        let f = sm.add("gone.nk".into(), String::new());
        let text = render(
            &sm,
            &[Diagnostic::error(
                Span::new(f, 0, 0),
                "cannot read `gone.nk`",
            )],
            false,
        );
        assert_eq!(text, "error: cannot read `gone.nk`\n");
    }

    #[test]
    fn compile_errors_are_data_located_by_line_and_column_and_rendered_on_demand() {
        let mut sm = SourceMap::default();
        let f = sm.add("t.nk".into(), "let é = 1;\nlet y = oops;\n".into());
        let d = Diagnostic::error(Span::new(f, 20, 24), "undefined variable `oops`")
            .with_label(Span::new(f, 4, 6), "similar name here")
            .with_note("check the spelling");
        let e = CompileError::new(&sm, vec![d]);
        let ds = e.diagnostics();
        assert_eq!(ds.len(), 1);
        let d = &ds[0];
        assert_eq!((d.file.as_str(), d.line, d.column), ("t.nk", 2, 9));
        assert_eq!(d.range, 20..24);
        assert_eq!(d.message, "undefined variable `oops`");
        assert_eq!(d.labels, vec![("t.nk".into(), 1, 5, "similar name here".into())]);
        assert_eq!(d.notes, vec!["check the spelling".to_string()]);
        // Plain text for Display and Deref; colour only when asked for.
        let plain = e.render(false);
        assert!(plain.contains("t.nk:2:9") && plain.ends_with("1 error found; nothing was run\n"));
        assert!(!plain.contains('\x1b'), "{plain}");
        assert!(e.render(true).contains('\x1b'));
        assert_eq!(e.to_string(), plain.trim_end());
        assert!(e.contains("undefined variable"));
        let entry = CompileError::of_entry(&sm, vec![Diagnostic::error(Span::new(f, 0, 3), "x")]);
        assert!(!entry.contains("nothing was run"), "{}", &*entry);
    }
}
