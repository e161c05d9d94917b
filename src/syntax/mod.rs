//! Source text to AST: the logos lexer, the lalrpop parser (grammar/nk.lalrpop), spans.
//! Invariant: parsing never fails as a whole — `parse` returns a module (possibly with
//! `StmtKind::Error` holes) and every syntax error found, so the user sees them all.
//! The generated parser is reachable only through `parse`, so it could be replaced.

pub mod ast;
pub mod lexer;

use crate::diag::Diagnostic;
use crate::source::{FileId, Span};
use lalrpop_util::{lalrpop_mod, ParseError};
use lexer::{LexError, Token};

lalrpop_mod!(
    #[allow(clippy::all, unused_parens, dead_code)]
    grammar,
    "/nk.rs"
);

/// The deepest nesting of brackets accepted. The generated LR parser keeps its own stack,
/// but later passes recurse over the tree; this bound keeps them far from stack overflow.
pub const MAX_NESTING: usize = 1_000;

/// Parses one file. Always returns a module; `diags` is empty iff the file is well formed.
/// Whether `word` is a keyword of nk (lexes as something other than one name).
pub fn is_keyword(word: &str) -> bool {
    use logos::Logos;
    let mut lex = lexer::Token::lexer(word);
    !matches!(
        (lex.next(), lex.next()),
        (Some(Ok(lexer::Token::Ident(_))), None)
    )
}

pub fn parse(file: FileId, src: &str) -> (ast::Module, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    if let Some(d) = check_nesting(file, src) {
        return (ast::Module { items: vec![] }, vec![d]);
    }
    let mut recovered = Vec::new();
    // Tokens are made as the parser asks for them: a whole file's tokens (64 bytes each)
    // were the largest thing alive while a big script was parsed.
    let mut tokens = lex(file, src, &mut diags);
    let result = grammar::ModuleParser::new().parse(file, &mut recovered, &mut tokens);
    // A parse that stopped early still reports every bad token after that point.
    tokens.for_each(drop);
    for e in recovered {
        diags.push(parse_error_diag(file, e.error));
    }
    let module = match result {
        Ok(m) => m,
        Err(e) => {
            diags.push(parse_error_diag(file, e));
            ast::Module { items: vec![] }
        }
    };
    dedup_by_span(&mut diags);
    (module, diags)
}

/// Parses a single expression (used by the REPL's `:type` and by tests).
// Used by the fuzz target (feature `internals`); the REPL no longer needs it.
#[cfg_attr(not(feature = "internals"), allow(dead_code))]
pub fn parse_expr(file: FileId, src: &str) -> Result<ast::Expr, Vec<Diagnostic>> {
    if let Some(d) = check_nesting(file, src) {
        return Err(vec![d]);
    }
    let mut recovered = Vec::new();
    let mut diags = Vec::new();
    let tokens: Vec<ParserItem> = lex(file, src, &mut diags).collect();
    if !diags.is_empty() {
        return Err(diags);
    }
    match grammar::ExprParser::new().parse(file, &mut recovered, tokens) {
        Ok(e) if recovered.is_empty() => Ok(e),
        Ok(_) => Err(recovered
            .into_iter()
            .map(|e| parse_error_diag(file, e.error))
            .collect()),
        Err(e) => Err(vec![parse_error_diag(file, e)]),
    }
}

type ParserItem = Result<(usize, Token, usize), LexError>;

/// Lexes the file as the parser pulls tokens. A bad token becomes a diagnostic and is
/// replaced by a harmless stand-in (or dropped), so the parser goes on and reports the
/// errors after it too.
fn lex<'a>(
    file: FileId,
    src: &'a str,
    diags: &'a mut Vec<Diagnostic>,
) -> impl Iterator<Item = ParserItem> + 'a {
    lexer::lex(src).filter_map(move |item| match item {
        Ok(t) => Some(Ok(t)),
        Err((lo, e, hi)) => {
            // A run of bad characters (binary junk, broken UTF-8) is one error.
            let previous = diags.last_mut().filter(|d| {
                matches!(e, LexError::InvalidToken)
                    && d.span.file == file
                    && d.span.hi as usize == lo
                    && d.message.starts_with("syntax error: invalid")
            });
            match previous {
                Some(d) => d.span.hi = hi as u32,
                None => diags.push(Diagnostic::error(
                    Span::new(file, lo, hi),
                    e.message(src.get(lo..hi).unwrap_or("")),
                )),
            }
            let stand_in = match e {
                LexError::IntTooLarge => Some(Token::Int(0)),
                LexError::BadEscape | LexError::UnterminatedString => Some(Token::Str(String::new())),
                LexError::InvalidToken => None,
            };
            stand_in.map(|t| Ok((lo, t, hi)))
        }
    })
}

fn check_nesting(file: FileId, src: &str) -> Option<Diagnostic> {
    let mut depth = 0usize;
    let mut bytes = src.bytes().enumerate();
    while let Some((i, b)) = bytes.next() {
        match b {
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some(Diagnostic::error(
                        Span::new(file, i, i + 1),
                        format!("syntax error: brackets nested more than {MAX_NESTING} deep"),
                    ));
                }
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            // Brackets in comments and strings do not nest anything.
            b'#' => {
                for (_, c) in bytes.by_ref() {
                    if c == b'\n' {
                        break;
                    }
                }
            }
            b'"' => {
                while let Some((_, c)) = bytes.next() {
                    match c {
                        b'\\' => {
                            bytes.next();
                        }
                        b'"' | b'\n' => break,
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    None
}

fn dedup_by_span(diags: &mut Vec<Diagnostic>) {
    let mut seen = std::collections::HashSet::new();
    diags.retain(|d| seen.insert((d.span, d.message.clone())));
}

fn expected_list(expected: &[String]) -> String {
    let shown: Vec<&str> = expected.iter().take(6).map(|s| s.as_str()).collect();
    let mut s = shown.join(", ");
    if expected.len() > 6 {
        s.push_str(", ...");
    }
    s.replace("\"ident\"", "identifier")
        .replace("\"int\"", "integer")
        .replace("\"float\"", "number")
        .replace("\"string\"", "string")
        .replace('"', "`")
}

fn parse_error_diag(file: FileId, e: ParseError<usize, Token, LexError>) -> Diagnostic {
    match e {
        ParseError::InvalidToken { location } => Diagnostic::error(
            Span::new(file, location, location + 1),
            "syntax error: invalid token".to_string(),
        ),
        ParseError::UnrecognizedEof { location, expected } => Diagnostic::error(
            Span::new(file, location, location),
            format!(
                "syntax error: unexpected end of file, expected one of {}",
                expected_list(&expected)
            ),
        ),
        ParseError::UnrecognizedToken {
            token: (lo, tok, hi),
            expected,
        } => {
            let msg = match tok {
                Token::UnterminatedStr => "syntax error: unterminated string literal".to_string(),
                _ => format!(
                    "syntax error: expected one of {} but found {}",
                    expected_list(&expected),
                    tok.describe()
                ),
            };
            Diagnostic::error(Span::new(file, lo, hi), msg)
        }
        ParseError::ExtraToken {
            token: (lo, tok, hi),
        } => Diagnostic::error(
            Span::new(file, lo, hi),
            format!("syntax error: unexpected {}", tok.describe()),
        ),
        ParseError::User { error } => Diagnostic::error(Span::new(file, 0, 0), error.message("")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::BinOp;
    use ast::*;

    fn parse_ok(src: &str) -> Module {
        let (m, d) = parse(0, src);
        assert!(d.is_empty(), "unexpected errors: {d:?}");
        m
    }

    fn stmt_expr(src: &str) -> ExprKind {
        match &parse_ok(src).items[0] {
            Item::Stmt(s) => match &s.kind {
                StmtKind::Expr(e) => e.kind.clone(),
                other => panic!("not an expression statement: {other:?}"),
            },
            other => panic!("not an expression statement: {other:?}"),
        }
    }

    #[test]
    fn power_binds_tighter_than_unary_minus() {
        match stmt_expr("-2 ** 2;") {
            ExprKind::Neg(inner) => {
                assert!(matches!(inner.kind, ExprKind::Binary(BinOp::Pow, _, _)))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bitwise_precedence_is_pythons() {
        // `a | b ^ c & d << e + f` is `a | (b ^ (c & (d << (e + f))))`, all above `<`.
        match stmt_expr("a | b ^ c & d << e + f < g;") {
            ExprKind::Binary(BinOp::Lt, lhs, _) => match lhs.kind {
                ExprKind::Binary(BinOp::BitOr, _, x) => match x.kind {
                    ExprKind::Binary(BinOp::BitXor, _, y) => match y.kind {
                        ExprKind::Binary(BinOp::BitAnd, _, z) => {
                            assert!(matches!(z.kind, ExprKind::Binary(BinOp::Shl, _, _)))
                        }
                        other => panic!("{other:?}"),
                    },
                    other => panic!("{other:?}"),
                },
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        }
        assert!(matches!(stmt_expr("a @ b * c;"), ExprKind::Binary(BinOp::Mul, _, _)));
        assert!(matches!(stmt_expr("~a ** 2;"), ExprKind::BitNot(_)));
    }

    #[test]
    fn bad_tokens_after_a_fatal_parse_error_are_reported() {
        // The unclosed block ends the parse at the end of the file; the lexer's errors
        // (pulled lazily by the parser) are still all found, the last one included.
        let src = "let a = 1 $ 2;\nfn f() {\n let b = 3 $ 4;\n let c = \"x\\q\";\n";
        let (_, diags) = parse(0, src);
        let invalid = diags.iter().filter(|d| d.message.contains("invalid")).count();
        assert_eq!(invalid, 2, "{diags:?}");
        assert!(diags.iter().any(|d| d.message.contains("escape")), "{diags:?}");
        assert!(diags.iter().any(|d| d.span.lo as usize >= src.len() - 1), "{diags:?}");
    }

    #[test]
    fn power_is_right_associative() {
        match stmt_expr("2 ** 3 ** 2;") {
            ExprKind::Binary(BinOp::Pow, a, b) => {
                assert!(matches!(a.kind, ExprKind::Int(2)));
                assert!(matches!(b.kind, ExprKind::Binary(BinOp::Pow, _, _)));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn nested_tuple_field_splits_float_token() {
        match stmt_expr("t.0.1;") {
            ExprKind::TupleField(inner, 1) => {
                assert!(matches!(inner.kind, ExprKind::TupleField(_, 0)))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn steps_and_none_in_an_index() {
        let ExprKind::Index(_, idx) = stmt_expr("a[::-1, 1:5:2, None, lo:];") else {
            panic!("not an index")
        };
        assert!(matches!(&idx[0], IndexArg::Slice(None, None, Some(s)) if matches!(s.kind, ExprKind::Neg(_))));
        assert!(matches!(&idx[1], IndexArg::Slice(Some(_), Some(_), Some(_))));
        assert!(matches!(&idx[2], IndexArg::NewAxis(_)));
        assert!(matches!(&idx[3], IndexArg::Slice(Some(_), None, None)));
        // Elsewhere `None` is an expression the checker refuses.
        assert!(matches!(stmt_expr("None;"), ExprKind::NoneLit));
    }

    #[test]
    fn items_and_statements() {
        let m = parse_ok(
            "import a.b; const N = 3; fn f(x: f64[,], y) -> (i64, f64) { return (1, 2.0); }\n\
             for i in 0..N { if i > 1 { break; } else if i == 0 { continue; } else { } }\n\
             let (q, r) = divmod(7, 2); a[1:, :2] += 1; m[i, j] = 2;",
        );
        assert_eq!(m.items.len(), 7);
        match &m.items[2] {
            Item::Fn(f) => {
                assert_eq!(f.params.len(), 2);
                assert!(matches!(
                    f.params[0].ty,
                    Some(TypeExpr::Named { dims: 2, .. })
                ));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn reports_several_syntax_errors() {
        let (_, d) = parse(0, "let x = 1\nlet y = 2;\nlet z = ;\nprint(y);");
        assert!(d.len() >= 2, "{d:?}");
        assert!(d.iter().all(|d| d.message.starts_with("syntax error")));
    }

    #[test]
    fn a_run_of_bad_characters_is_one_error() {
        let (_, d) = parse(0, "let x = 1; $$$\u{FFFD}\u{FFFD} let y = 2;");
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!((d[0].span.lo, d[0].span.hi), (11, 20));
    }

    #[test]
    fn brackets_in_comments_and_strings_do_not_count_as_nesting() {
        let src = format!(
            "# {}\nprint(\"{}\", 1);",
            "(".repeat(2000),
            "[".repeat(2000)
        );
        let (_, d) = parse(0, &src);
        assert!(d.is_empty(), "{d:?}");
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let src = format!("{}1{};", "(".repeat(100_000), ")".repeat(100_000));
        let (_, d) = parse(0, &src);
        assert_eq!(d.len(), 1);
    }

    #[test]
    fn binary_junk_does_not_panic() {
        let junk: String = (0u32..2000)
            .map(|i| char::from_u32((i * 7919) % 0x250).unwrap_or('?'))
            .collect();
        let (_, d) = parse(0, &junk);
        assert!(!d.is_empty());
    }
}
