//! Bytes → lexer + parser, then the diagnostics are rendered. Must never panic, hang or
//! overflow the stack; `parse` must return an empty diagnostics list only for text it
//! accepted.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use nvm::source::SourceMap;
use nvm::syntax;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).into_owned();
    common::on_big_stack(move || {
        let mut sources = SourceMap::default();
        let file = sources.add("fuzz.nk".to_string(), text.clone());
        let (_module, diags) = syntax::parse(file, &text);
        // Rendering reads every span back out of the source: a span outside the text
        // or off a character boundary would panic here.
        let _ = nvm::diag::render(&sources, &diags, false);
        // Single expressions go through the same lexer with another start symbol.
        if let Err(d) = syntax::parse_expr(file, &text) {
            let _ = nvm::diag::render(&sources, &d, false);
        }
    });
});
