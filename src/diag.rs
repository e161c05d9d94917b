//! User-facing diagnostics: one type for every syntax, type and usage error found before a
//! program runs, and their rendering (codespan-reporting) with file:line:col, the source
//! line and a caret. Front-end passes collect these and keep going.

use crate::source::{SourceMap, Span};
use codespan_reporting::diagnostic::{Diagnostic as CsDiag, Label};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::{self, termcolor::Buffer};

#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub span: Span,
    pub message: String,
    /// Secondary labels ("defined here", "opened here").
    pub labels: Vec<(Span, String)>,
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
}
