//! Runtime errors: a user-facing message, without location. The interpreter attaches the
//! source span and the chain of nk calls when it reports one.
//!
//! Invariant: `msg` is already in the user's terms (NumPy/Python wording where one exists),
//! with no trailing period and no "error:" prefix.

use std::fmt;

/// A runtime failure (index out of bounds, shape mismatch, integer division by zero, out of
/// memory, ...).
#[derive(Debug, Clone, PartialEq)]
pub struct RtError {
    pub msg: String,
}

impl RtError {
    pub fn new(msg: impl Into<String>) -> Self {
        RtError { msg: msg.into() }
    }
}

impl fmt::Display for RtError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.msg)
    }
}

impl std::error::Error for RtError {}

/// A runtime error: the message, where it happened, and the nk call chain (outermost
/// first) as (function name, call-site span).
#[derive(Debug, Clone)]
pub struct RuntimeError {
    pub message: String,
    pub span: crate::source::Span,
    pub chain: Vec<(String, crate::source::Span)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_the_message() {
        let e = RtError::new("integer division by zero");
        assert_eq!(e.to_string(), "integer division by zero");
        assert_eq!(e, RtError::new(String::from("integer division by zero")));
    }
}
