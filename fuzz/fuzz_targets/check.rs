//! Bytes → load (with the embedded prelude) → parse → type check → typed IR, with every
//! error rendered. Must never panic, hang or overflow the stack.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    common::on_big_stack(|| {
        if let Ok(checked) = nvm::driver::check_source("fuzz.nk", text) {
            // Bytecode for every specialization: what both tiers start from, and the
            // verifier's input.
            for id in 0..checked.program.funcs.len() {
                // The only legitimate failure is a function too big for the register
                // file; anything else (a verifier rejection) is a compiler bug.
                if let Err(e) = nvm::bytecode::compile(&checked.program, id as u32) {
                    assert!(
                        matches!(e, nvm::bytecode::BytecodeError::TooManyRegisters { .. }),
                        "bytecode of a checked program: {e}"
                    );
                }
            }
        }
    });
});
