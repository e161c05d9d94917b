//! The nk lexer (logos). Turns source text into `(lo, Token, hi)` triples for the parser.
//! Invariant: lexing never fails as a whole — a bad character or literal becomes a
//! `LexError` item with its span and lexing continues after it.

use logos::Logos;

#[derive(Debug, Clone, PartialEq, Default)]
pub enum LexError {
    #[default]
    InvalidToken,
    IntTooLarge,
    BadEscape,
    UnterminatedString,
}

impl LexError {
    pub fn message(&self, text: &str) -> String {
        match self {
            LexError::InvalidToken if text.contains('\u{FFFD}') => {
                "syntax error: invalid UTF-8 in source (nk source must be UTF-8 text)".to_string()
            }
            LexError::InvalidToken => {
                let shown: String = text.chars().take(12).collect();
                if shown.chars().all(|c| !c.is_control()) && !shown.is_empty() {
                    format!("syntax error: invalid token `{shown}`")
                } else {
                    "syntax error: invalid character in source".to_string()
                }
            }
            LexError::IntTooLarge => {
                "integer literal is too large for i64 (max 9223372036854775807)".to_string()
            }
            LexError::BadEscape => {
                "syntax error: unknown escape in string literal (use \\n \\t \\\\ \\\")".to_string()
            }
            LexError::UnterminatedString => "syntax error: unterminated string literal".to_string(),
        }
    }
}

fn parse_int(lex: &mut logos::Lexer<Token>) -> Result<i64, LexError> {
    let digits: String = lex.slice().chars().filter(|&c| c != '_').collect();
    digits.parse::<i64>().map_err(|_| LexError::IntTooLarge)
}

fn unterminated(_lex: &mut logos::Lexer<Token>) -> Result<(), LexError> {
    Err(LexError::UnterminatedString)
}

fn parse_string(lex: &mut logos::Lexer<Token>) -> Result<String, LexError> {
    let s = lex.slice();
    let inner = &s[1..s.len() - 1];
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('\\') => out.push('\\'),
                Some('"') => out.push('"'),
                _ => return Err(LexError::BadEscape),
            }
        } else {
            out.push(c);
        }
    }
    Ok(out)
}

#[derive(Logos, Debug, Clone, PartialEq)]
#[logos(error = LexError)]
#[logos(skip r"[ \t\r\n\f]+")]
#[logos(skip r"#[^\n]*")]
pub enum Token {
    #[token("fn")]
    Fn,
    #[token("let")]
    Let,
    #[token("const")]
    Const,
    #[token("if")]
    If,
    #[token("else")]
    Else,
    #[token("while")]
    While,
    #[token("for")]
    For,
    #[token("in")]
    In,
    #[token("return")]
    Return,
    #[token("break")]
    Break,
    #[token("continue")]
    Continue,
    #[token("import")]
    Import,
    #[token("and")]
    And,
    #[token("or")]
    Or,
    #[token("not")]
    Not,
    #[token("true")]
    True,
    #[token("false")]
    False,
    /// `None`: a new axis in an index (`x[:, None]`).
    #[token("None")]
    NoneKw,

    #[regex("[A-Za-z_][A-Za-z0-9_]*", |lex| lex.slice().to_string())]
    Ident(String),
    #[regex("[0-9][0-9_]*", parse_int)]
    Int(i64),
    /// Kept as text: `t.0.1` lexes `0.1` as a float that the parser splits into two
    /// tuple indices.
    #[regex(r"[0-9][0-9_]*\.[0-9][0-9_]*([eE][+-]?[0-9]+)?", |lex| lex.slice().to_string())]
    #[regex(r"[0-9][0-9_]*[eE][+-]?[0-9]+", |lex| lex.slice().to_string())]
    Float(String),
    #[regex(r#""([^"\\\n]|\\.)*""#, parse_string)]
    Str(String),
    #[regex(r#""([^"\\\n]|\\.)*"#, unterminated)]
    UnterminatedStr,

    #[token("+")]
    Plus,
    #[token("-")]
    Minus,
    #[token("*")]
    Star,
    #[token("**")]
    StarStar,
    #[token("/")]
    Slash,
    #[token("//")]
    SlashSlash,
    #[token("%")]
    Percent,
    #[token("&")]
    Amp,
    #[token("|")]
    Pipe,
    #[token("^")]
    Caret,
    #[token("~")]
    Tilde,
    #[token("<<")]
    Shl,
    #[token(">>")]
    Shr,
    #[token("@")]
    At,
    #[token("=")]
    Assign,
    #[token("+=")]
    PlusAssign,
    #[token("-=")]
    MinusAssign,
    #[token("*=")]
    StarAssign,
    #[token("/=")]
    SlashAssign,
    #[token("==")]
    EqEq,
    #[token("!=")]
    NotEq,
    #[token("<")]
    Lt,
    #[token("<=")]
    Le,
    #[token(">")]
    Gt,
    #[token(">=")]
    Ge,
    #[token("(")]
    LParen,
    #[token(")")]
    RParen,
    #[token("[")]
    LBracket,
    #[token("]")]
    RBracket,
    #[token("{")]
    LBrace,
    #[token("}")]
    RBrace,
    #[token(",")]
    Comma,
    #[token(";")]
    Semi,
    #[token(":")]
    Colon,
    #[token("->")]
    Arrow,
    #[token("..")]
    DotDot,
    #[token(".")]
    Dot,
}

impl Token {
    /// How the token is written, for "expected X but found Y" messages.
    pub fn describe(&self) -> String {
        match self {
            Token::Ident(s) => format!("identifier `{s}`"),
            Token::Int(i) => format!("integer `{i}`"),
            Token::Float(s) => format!("number `{s}`"),
            Token::Str(_) | Token::UnterminatedStr => "string literal".to_string(),
            other => format!("`{}`", other.text()),
        }
    }
    pub fn text(&self) -> &'static str {
        match self {
            Token::Fn => "fn",
            Token::Let => "let",
            Token::Const => "const",
            Token::If => "if",
            Token::Else => "else",
            Token::While => "while",
            Token::For => "for",
            Token::In => "in",
            Token::Return => "return",
            Token::Break => "break",
            Token::Continue => "continue",
            Token::Import => "import",
            Token::And => "and",
            Token::Or => "or",
            Token::Not => "not",
            Token::True => "true",
            Token::False => "false",
            Token::NoneKw => "None",
            Token::Plus => "+",
            Token::Minus => "-",
            Token::Star => "*",
            Token::StarStar => "**",
            Token::Slash => "/",
            Token::SlashSlash => "//",
            Token::Percent => "%",
            Token::Amp => "&",
            Token::Pipe => "|",
            Token::Caret => "^",
            Token::Tilde => "~",
            Token::Shl => "<<",
            Token::Shr => ">>",
            Token::At => "@",
            Token::Assign => "=",
            Token::PlusAssign => "+=",
            Token::MinusAssign => "-=",
            Token::StarAssign => "*=",
            Token::SlashAssign => "/=",
            Token::EqEq => "==",
            Token::NotEq => "!=",
            Token::Lt => "<",
            Token::Le => "<=",
            Token::Gt => ">",
            Token::Ge => ">=",
            Token::LParen => "(",
            Token::RParen => ")",
            Token::LBracket => "[",
            Token::RBracket => "]",
            Token::LBrace => "{",
            Token::RBrace => "}",
            Token::Comma => ",",
            Token::Semi => ";",
            Token::Colon => ":",
            Token::Arrow => "->",
            Token::DotDot => "..",
            Token::Dot => ".",
            Token::Ident(_) | Token::Int(_) | Token::Float(_) | Token::Str(_) => "literal",
            Token::UnterminatedStr => "\"",
        }
    }
}

/// A positioned lexer item, in the shape lalrpop's external-lexer interface expects.
pub type Spanned = Result<(usize, Token, usize), (usize, LexError, usize)>;

pub fn lex(src: &str) -> impl Iterator<Item = Spanned> + '_ {
    Token::lexer(src).spanned().map(|(tok, range)| match tok {
        Ok(t) => Ok((range.start, t, range.end)),
        Err(e) => Err((range.start, e, range.end)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(src: &str) -> Vec<Token> {
        lex(src).map(|r| r.map(|(_, t, _)| t).unwrap()).collect()
    }

    #[test]
    fn numbers_and_ranges() {
        assert_eq!(
            toks("0..10 1_000 1.5 1e-3 2.5E+10 1_000.5"),
            vec![
                Token::Int(0),
                Token::DotDot,
                Token::Int(10),
                Token::Int(1000),
                Token::Float("1.5".into()),
                Token::Float("1e-3".into()),
                Token::Float("2.5E+10".into()),
                Token::Float("1_000.5".into()),
            ]
        );
    }

    #[test]
    fn keywords_idents_comments() {
        assert_eq!(
            toks("fn fnx # comment\n let"),
            vec![Token::Fn, Token::Ident("fnx".into()), Token::Let]
        );
    }

    #[test]
    fn strings_with_escapes() {
        assert_eq!(toks(r#""a\n\"b""#), vec![Token::Str("a\n\"b".into())]);
    }

    #[test]
    fn errors_are_items_not_failures() {
        let items: Vec<_> = lex("1 $ 99999999999999999999 \"abc").collect();
        assert!(matches!(items[1], Err((2, LexError::InvalidToken, 3))));
        assert!(matches!(items[2], Err((_, LexError::IntTooLarge, _))));
        assert!(matches!(
            items[3],
            Err((_, LexError::UnterminatedString, _))
        ));
    }

    #[test]
    fn operators_longest_match() {
        assert_eq!(
            toks("** // -> <= += ."),
            vec![
                Token::StarStar,
                Token::SlashSlash,
                Token::Arrow,
                Token::Le,
                Token::PlusAssign,
                Token::Dot
            ]
        );
    }
}
