//! `nvm inspect`: the text of what each tier makes of a specialization — the typed IR
//! (as `ir::print` writes it), the bytecode, the Cranelift IR and the machine code.
//!
//! Invariant: inspecting runs nothing of the program; it lowers (and, for `clif`/`asm`,
//! compiles) only the chosen specializations, with the program's output discarded.

use super::Checked;
use crate::options::Options;
use crate::vm::{self, Vm, VmError};

/// What `nvm inspect` shows of a specialization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Emit {
    /// The typed IR and the bytecode both tiers start from.
    Ir,
    /// The Cranelift IR the native tier builds.
    Clif,
    /// The machine code Cranelift produces, disassembled.
    Asm,
}

/// The inspector's text for the specializations of `func` (every one whose name starts
/// with it, or — with `args` such as `i64,f64[]` — exactly `func(args)`). Nothing runs,
/// nothing is read from or written to a code heap; of `opts` only `dump_opt` matters.
pub fn inspect(
    checked: &Checked,
    func: &str,
    args: Option<&str>,
    emit: &[Emit],
    opts: &Options,
) -> Result<String, InspectError> {
    let prog = &checked.program;
    let wanted = args.map(|a| {
        let a: Vec<&str> = a
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .collect();
        format!("{func}({})", a.join(", "))
    });
    let chosen: Vec<usize> = (0..prog.funcs.len())
        .filter(|&id| {
            let name = &prog.funcs[id].name;
            match &wanted {
                Some(w) => name == w,
                None => name.starts_with(func),
            }
        })
        .collect();
    if chosen.is_empty() {
        let base = func.split('(').next().unwrap_or(func);
        let mut have: Vec<&str> = prog
            .funcs
            .iter()
            .map(|f| f.name.as_str())
            .filter(|n| n.starts_with(&format!("{base}(")))
            .collect();
        have.sort();
        let what = wanted.as_deref().unwrap_or(func);
        return Err(InspectError::NoSuchSpecialization(if have.is_empty() {
            format!("no specialization of `{what}` in this program (a function is specialized for each argument type list it is called with)")
        } else {
            format!(
                "no specialization `{what}`; this program has: {}",
                have.join(", ")
            )
        }));
    }
    let mut sink = Vec::new();
    let mut it = Vm::with_options(
        prog.clone(),
        Box::new(&mut sink),
        &Options {
            policy: vm::TierPolicy {
                tier: vm::Tier::Interp,
                ..Default::default()
            },
            dump_opt: opts.dump_opt,
            ..Options::default()
        },
    );
    let mut out = String::new();
    for id in chosen {
        let f = &prog.funcs[id];
        out.push_str(&format!("== {} -> {} (slot {id})\n", f.name, f.ret));
        if emit.contains(&Emit::Ir) {
            out.push_str("-- typed IR\n");
            out.push_str(&crate::ir::print::func(prog, id as u32));
            out.push('\n');
            let code = it.bytecode(id as u32).map_err(VmError::from)?;
            out.push_str(&format!(
                "-- bytecode ({} scalar, {} array registers)\n{}\n",
                code.n_s,
                code.n_a,
                code.disassemble()
            ));
        }
        if emit.contains(&Emit::Clif) || emit.contains(&Emit::Asm) {
            let (clif, asm) = it.native_listing(id as u32)?;
            if emit.contains(&Emit::Clif) {
                out.push_str(&format!("-- Cranelift IR\n{clif}\n"));
            }
            if emit.contains(&Emit::Asm) {
                out.push_str(&format!("-- machine code\n{asm}\n"));
            }
        }
    }
    Ok(out)
}

/// Why the inspector cannot show a specialization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InspectError {
    /// No specialization matches; the message names the ones there are.
    NoSuchSpecialization(String),
    /// Its bytecode or native code could not be made.
    Vm(VmError),
}

impl std::fmt::Display for InspectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InspectError::NoSuchSpecialization(m) => f.write_str(m),
            InspectError::Vm(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for InspectError {}

impl From<VmError> for InspectError {
    fn from(e: VmError) -> Self {
        InspectError::Vm(e)
    }
}

#[cfg(test)]
mod tests {
    //! The IR printer, tested here because checking a program needs the layers above `ir`.
    use crate::ir::Program;
    use crate::loader::load_source;

    fn program(src: &str) -> Program {
        let loaded = load_source("t.nk", src.to_string(), None).expect("loads");
        crate::types::check_program(&loaded).expect("checks")
    }

    /// The printed specialization named `name`.
    fn printed(prog: &Program, name: &str) -> String {
        let id = prog.funcs.iter().position(|f| f.name == name);
        let id = id.unwrap_or_else(|| panic!("no {name}"));
        crate::ir::print::func(prog, id as u32)
    }

    #[test]
    fn prints_a_short_function_as_annotated_source() {
        let prog = program(
            "fn total(v: f64[]) -> f64 {\n\
                 let s = 0.0;\n\
                 for i in 0..len(v) {\n\
                     s = s + v[i];\n\
                 }\n\
                 return s;\n\
             }\n\
             print(total(zeros(3)));\n",
        );
        assert_eq!(
            printed(&prog, "total(f64[])"),
            "fn total(v: f64[]) -> f64 {\n\
             \x20   let s: f64 = 0.0\n\
             \x20   for i: i64 in 0..(len(v): i64) {\n\
             \x20       s = (s + (v[i]: f64): f64)\n\
             \x20   }\n\
             \x20   return s\n\
             }\n"
        );
        let slot = prog.funcs.iter().position(|f| f.name == "total(f64[])");
        assert!(
            printed(&prog, "<script>").contains(&format!("total(f64[])#{}(", slot.unwrap())),
            "a call names the specialization and its slot"
        );
    }

    #[test]
    fn prints_every_kind_of_statement_and_expression() {
        let prog = program(
            "fn g(b: bool) { if b { return; } }\n\
             fn f(x: i64, a: f64[,]) -> (i64, f64) {\n\
                 let t = (x, 2.5);\n\
                 g(true);\n\
                 let y = -x;\n\
                 while x > 0 and not (y > 3 or x == 2) {\n\
                     if x % 2 == 0 { break; } else if x > 5 { continue; } else { y = y + 1; }\n\
                 }\n\
                 for j in range(0, 10, 2) { a[j, 0] = float(j); }\n\
                 a[0, 1:] = 1.0;\n\
                 a += 1.0;\n\
                 let row = a[1, :];\n\
                 assert(x >= 0, \"x is negative\");\n\
                 print(\"y\", y, row);\n\
                 let y = t.1 * x;\n\
                 return (x, y);\n\
             }\n\
             print(f(3, zeros((2, 3))));\n",
        );
        let text = printed(&prog, "f(i64, f64[,])");
        for want in [
            "fn f(x: i64, a: f64[,]) -> (i64, f64) {\n",
            "let t: (i64, f64) = ((x, 2.5): (i64, f64))",
            "    let t: (i64, f64) = ((x, 2.5): (i64, f64))\n    (g(bool)#",
            "(true): nothing)\n    let y: i64 = (-x: i64)",
            "while ((x > 0: bool) and (not ((y > 3: bool) or (x == 2: bool): bool): bool): bool) {",
            "        if ((x % 2: i64) == 0: bool) {\n            break\n",
            "        } else if (x > 5: bool) {\n            continue\n        } else {\n",
            "            y = (y + 1: i64)\n        }\n    }\n",
            "for j: i64 in range(0, 10, 2) {\n        a[j, 0] = (f64(j): f64)\n    }",
            "a[0, 1:] = 1.0",
            "a[...] = (a + 1.0: f64[,])",
            "let row: f64[] = (a[1, :]: f64[])",
            "assert((x >= 0: bool), \"assertion failed: x is negative\")",
            "print(\"y\", y, row)",
            "let y.1: f64 = ((t.1: f64) * (f64(x): f64): f64)",
            "return ((x, y.1): (i64, f64))",
        ] {
            assert!(text.contains(want), "no {want:?} in\n{text}");
        }
        assert!(
            !text.contains("<temp>") && !text.contains("Expr {"),
            "{text}"
        );
        assert_eq!(
            printed(&prog, "g(bool)"),
            "fn g(b: bool) -> nothing {\n    if b {\n        return\n    }\n}\n"
        );
    }
}
