//! `nvm inspect`: the text of what each tier makes of a specialization — the typed IR
//! (as `ir::print` writes it), the bytecode, the Cranelift IR and the machine code.
//!
//! Invariant: inspecting runs nothing of the program; it lowers (and, for `clif`/`asm`,
//! compiles) only the chosen specializations, with the program's output discarded.

use super::Checked;
use crate::interp::Interp;

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
/// with it, or — with `args` such as `i64,f64[]` — exactly `func(args)`).
pub fn inspect(
    checked: &Checked,
    func: &str,
    args: Option<&str>,
    emit: &[Emit],
) -> Result<String, String> {
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
        return Err(if have.is_empty() {
            format!("no specialization of `{what}` in this program (a function is specialized for each argument type list it is called with)")
        } else {
            format!(
                "no specialization `{what}`; this program has: {}",
                have.join(", ")
            )
        });
    }
    let mut sink = Vec::new();
    let mut it = Interp::new(prog.clone(), Box::new(&mut sink));
    let mut out = String::new();
    for id in chosen {
        let f = &prog.funcs[id];
        out.push_str(&format!("== {} -> {} (slot {id})\n", f.name, f.ret));
        if emit.contains(&Emit::Ir) {
            out.push_str("-- typed IR\n");
            out.push_str(&crate::ir::print::func(prog, id as u32));
            out.push('\n');
            let code = it.bytecode(id as u32)?;
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
