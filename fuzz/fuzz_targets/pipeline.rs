//! Bytes → check → run in the interpreter AND with every function compiled by Cranelift
//! (`--tier=interp` vs `--tier=jit`), each under a time budget; stdout and the error (the
//! rendered message with its call chain) must be identical. Must never panic or crash.
#![no_main]

mod common;

use common::Capped;
use libfuzzer_sys::fuzz_target;
use nvm::driver::{self, Checked, Failure, RunOptions};
use nvm::{Tier, TierPolicy};
use std::time::Duration;

/// Per tier. Loops poll `INTERRUPT` at back-edges, so a non-terminating loop ends here.
const BUDGET: Duration = Duration::from_millis(500);
/// Inputs longer than this are skipped: long programs only slow the search down.
const MAX_LEN: usize = 4096;
/// Address-space cap for the whole fuzzing process (the 512 MiB stack included).
const ADDRESS_SPACE: u64 = 4 << 30;

#[derive(Debug, PartialEq)]
struct Outcome {
    stdout_head: String,
    stdout_len: u64,
    stdout_hash: u64,
    error: Option<String>,
}

fn run(checked: &Checked, args: &[String], tier: Tier) -> Outcome {
    let mut out = Capped::new();
    let report = common::with_budget(BUDGET, || {
        driver::run(
            checked,
            &RunOptions {
                color: false,
                args: args.to_vec(),
                options: nvm::Options {
                    policy: TierPolicy { tier, jit_calls: 0 },
                    ..nvm::Options::default()
                },
                interrupt: None,
            },
            &mut out,
        )
    });
    Outcome {
        stdout_head: String::from_utf8_lossy(&out.head).into_owned(),
        stdout_len: out.total,
        stdout_hash: out.digest(),
        error: report
            .result
            .err()
            .map(|f: Failure| f.message().to_string()),
    }
}

/// Outcomes that depend on timing or on the allocator, not on the program alone.
fn nondeterministic(o: &Outcome) -> bool {
    o.error
        .as_deref()
        .is_some_and(|e| e.contains(nvm::vm::INTERRUPTED) || e.contains("out of memory"))
}

fuzz_target!(|data: &[u8]| {
    if data.len() > MAX_LEN {
        return;
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    common::limit_address_space(ADDRESS_SPACE);
    common::on_big_stack(|| {
        let Ok(checked) = driver::check_source("fuzz.nk", text) else {
            return;
        };
        // Arguments for `main`, if it takes any: the first of a few that parses.
        let args: Vec<String> = checked.program.main.as_ref().map_or(vec![], |m| {
            m.params
                .iter()
                .map(|(_, p)| {
                    ["3", "0.5", "true"]
                        .into_iter()
                        .find(|t| nvm::driver::parse_main_arg(*p, t).is_some())
                        .unwrap_or("3")
                        .to_string()
                })
                .collect()
        });
        let interp = run(&checked, &args, Tier::Interp);
        let jit = run(&checked, &args, Tier::Jit);
        if nondeterministic(&interp) || nondeterministic(&jit) {
            return;
        }
        assert_eq!(
            interp, jit,
            "the interpreter and the Cranelift tier disagree on:\n{text}"
        );
    });
});
