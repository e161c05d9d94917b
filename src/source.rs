//! Source positions. A `Span` names a byte range in one loaded file; every AST node, IR
//! node and diagnostic carries one so errors can point at the user's source.

/// Index of a file in the [`crate::source::SourceMap`].
pub type FileId = u32;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Span {
    pub file: FileId,
    pub lo: u32,
    pub hi: u32,
}

impl Span {
    pub fn new(file: FileId, lo: usize, hi: usize) -> Span {
        Span {
            file,
            lo: lo as u32,
            hi: hi as u32,
        }
    }
    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span {
            file: self.file,
            lo: self.lo.min(other.lo),
            hi: self.hi.max(other.hi),
        }
    }
}

/// One loaded source file.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub name: String,
    pub text: String,
    /// Part of nvm's standard library (errors inside it are shown at the user's call).
    pub is_stdlib: bool,
}

/// All files of one program (or REPL session), indexed by [`FileId`].
#[derive(Debug, Default, Clone)]
pub struct SourceMap {
    pub files: Vec<SourceFile>,
}

impl SourceMap {
    pub fn add(&mut self, name: String, text: String) -> FileId {
        self.push(SourceFile {
            name,
            text,
            is_stdlib: false,
        })
    }
    pub fn add_stdlib(&mut self, name: String, text: String) -> FileId {
        self.push(SourceFile {
            name,
            text,
            is_stdlib: true,
        })
    }
    fn push(&mut self, file: SourceFile) -> FileId {
        self.files.push(file);
        (self.files.len() - 1) as FileId
    }
    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id as usize]
    }
    /// 1-based (line, column) of a byte offset; columns count characters.
    pub fn line_col(&self, span: Span) -> (usize, usize) {
        let text = &self.get(span.file).text;
        let lo = (span.lo as usize).min(text.len());
        let before = &text[..floor_char_boundary(text, lo)];
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        (line, col)
    }
    /// `file:line:col` for messages and call chains.
    pub fn location(&self, span: Span) -> String {
        let (l, c) = self.line_col(span);
        format!("{}:{}:{}", self.get(span.file).name, l, c)
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}
