//! Rewrites of the finished Cranelift function that Cranelift 0.135 does not make itself:
//! cheaper instructions for the same values (`rewrite`).
//!
//! Run after `phis::remove_trivial`, when a register the bytecode loads a constant into
//! once is that `iconst` at every use (before, a use in a loop is a block parameter).

use cranelift_codegen::cursor::{Cursor, FuncCursor};
use cranelift_codegen::ir::{types, Function, InstBuilder, InstructionData, Opcode, Value, ValueDef};

/// The instruction that defines `v` (through aliases), if an instruction does.
fn definition(func: &Function, v: Value) -> Option<InstructionData> {
    let dfg = &func.dfg;
    match dfg.value_def(dfg.resolve_aliases(v)) {
        ValueDef::Result(inst, _) => Some(dfg.insts[inst]),
        _ => None,
    }
}

/// Whether `v` is the float constant 2.0 (`f64const` or `f32const`).
fn is_two(func: &Function, v: Value) -> bool {
    match definition(func, v) {
        Some(InstructionData::UnaryIeee64 {
            opcode: Opcode::F64const,
            imm,
        }) => imm.bits() == 2.0f64.to_bits(),
        Some(InstructionData::UnaryIeee32 {
            opcode: Opcode::F32const,
            imm,
        }) => imm.bits() == 2.0f32.to_bits(),
        _ => false,
    }
}

/// The multiplier 3, 5 or 9 an `iconst` gives `v`, if it does.
fn small_multiplier(func: &Function, v: Value) -> Option<i64> {
    match definition(func, v) {
        Some(InstructionData::UnaryImm {
            opcode: Opcode::Iconst,
            imm,
        }) => Some(imm.bits()).filter(|c| matches!(c, 3 | 5 | 9)),
        _ => None,
    }
}

/// Rewrites `func` in one walk; returns how many instructions changed.
/// - `x * 3`, `x * 5` and `x * 9` (`i64`) become `x + (x << k)`, which x64 emits as one
///   `lea` (1 cycle; `imul` takes 3): collatz's `3 * n + 1` is on its loop-carried chain.
/// - `2.0 * x` becomes `x + x`, as LLVM makes it: the same value in every case (doubling
///   is exact, `-0.0`, infinities and NaN included) in an add's latency instead of a
///   multiply's, on a loop-carried chain (mandelbrot's `zi = 2.0 * zr * zi + ci`).
pub fn rewrite(func: &mut Function) -> usize {
    let mut done = 0;
    let mut pos = FuncCursor::new(func);
    while pos.next_block().is_some() {
        while let Some(inst) = pos.next_inst() {
            let InstructionData::Binary { opcode, args: [a, b] } = pos.func.dfg.insts[inst] else {
                continue;
            };
            match opcode {
                Opcode::Imul if pos.func.dfg.ctrl_typevar(inst) == types::I64 => {
                    let small = |v| small_multiplier(pos.func, v);
                    let (x, c) = match (small(a), small(b)) {
                        (_, Some(c)) => (a, c),
                        (Some(c), None) => (b, c),
                        (None, None) => continue,
                    };
                    // Inserted before `inst`, which becomes the add.
                    let t = pos.ins().ishl_imm_s(x, i64::from((c - 1).trailing_zeros()));
                    pos.func.replace(inst).iadd(x, t);
                }
                Opcode::Fmul => {
                    let x = match (is_two(pos.func, a), is_two(pos.func, b)) {
                        (_, true) => a,
                        (true, false) => b,
                        (false, false) => continue,
                    };
                    pos.func.replace(inst).fadd(x, x);
                }
                _ => continue,
            }
            done += 1;
        }
    }
    done
}

#[cfg(test)]
mod tests {
    use super::*;
    use cranelift_codegen::ir::{AbiParam, Signature, UserFuncName};
    use cranelift_codegen::isa::CallConv;
    use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};

    fn host_frontend() -> cranelift_codegen::isa::TargetFrontendConfig {
        cranelift_native::builder()
            .expect("host ISA")
            .finish(cranelift_codegen::settings::Flags::new(cranelift_codegen::settings::builder()))
            .expect("host flags")
            .frontend_config()
    }

    /// `x * c` for each constant, through a block parameter as a loop's register would be
    /// (an alias after `phis::remove_trivial`), then the count of `imul`s left.
    fn rewritten(cs: &[i64]) -> (usize, usize) {
        let mut sig = Signature::new(CallConv::SystemV);
        sig.params.push(AbiParam::new(types::I64));
        sig.returns.push(AbiParam::new(types::I64));
        let mut func = Function::with_name_signature(UserFuncName::default(), sig);
        let mut fctx = FunctionBuilderContext::new();
        let mut b = FunctionBuilder::new(&mut func, &mut fctx);
        let (entry, next) = (b.create_block(), b.create_block());
        b.append_block_params_for_function_params(entry);
        b.switch_to_block(entry);
        let x = b.block_params(entry)[0];
        let mut acc = x;
        for &c in cs {
            let k = b.ins().iconst(types::I64, c);
            let m = b.ins().imul(k, acc);
            acc = b.ins().iadd(acc, m);
        }
        b.ins().jump(next, &[]);
        b.switch_to_block(next);
        b.ins().return_(&[acc]);
        b.seal_all_blocks();
        b.finalize(host_frontend());
        let done = rewrite(&mut func);
        (done, count(&func, Opcode::Imul))
    }

    /// The instructions of `func` with this opcode.
    fn count(func: &Function, op: Opcode) -> usize {
        func.layout
            .blocks()
            .flat_map(|blk| func.layout.block_insts(blk))
            .filter(|&i| func.dfg.insts[i].opcode() == op)
            .count()
    }

    #[test]
    fn doublings_become_adds() {
        let mut sig = Signature::new(CallConv::SystemV);
        sig.params.push(AbiParam::new(types::F64));
        sig.params.push(AbiParam::new(types::F32));
        sig.returns.push(AbiParam::new(types::F64));
        sig.returns.push(AbiParam::new(types::F32));
        let mut func = Function::with_name_signature(UserFuncName::default(), sig);
        let mut fctx = FunctionBuilderContext::new();
        let mut b = FunctionBuilder::new(&mut func, &mut fctx);
        let entry = b.create_block();
        b.append_block_params_for_function_params(entry);
        b.switch_to_block(entry);
        let (x, y) = (b.block_params(entry)[0], b.block_params(entry)[1]);
        let (two, three) = (b.ins().f64const(2.0), b.ins().f64const(3.0));
        let x2 = b.ins().fmul(two, x);
        let x3 = b.ins().fmul(x2, three);
        let x4 = b.ins().fmul(x3, two);
        let two32 = b.ins().f32const(2.0);
        let y2 = b.ins().fmul(y, two32);
        b.ins().return_(&[x4, y2]);
        b.seal_all_blocks();
        b.finalize(host_frontend());
        assert_eq!(rewrite(&mut func), 3);
        assert_eq!(count(&func, Opcode::Fmul), 1, "only the multiply by 3.0 is left");
    }

    #[test]
    fn multiplies_by_three_five_and_nine_become_shifts_and_adds() {
        assert_eq!(rewritten(&[3, 5, 9]), (3, 0));
        assert_eq!(rewritten(&[7, -3, 2, 3]), (1, 3));
    }
}
