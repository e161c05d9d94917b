//! The frame's four parameters (context, scalar and array window bases, slot) reloaded
//! from the stack in cold blocks, so a loop whose hot path never reads them does not keep
//! them in registers.
//!
//! Every error exit, poll slow path and interpreter fallback calls a helper with the
//! context and the windows. Those blocks are cold, but they sit inside the loops, and the
//! register allocator weighs a use by its loop depth, not by its block's temperature: the
//! context and the helper table (a load Cranelift merges into one value at the entry) held
//! two callee-saved registers through mergesort's merge loop while its array pointers and
//! strides were reloaded from the stack on every element. Here each cold block gets its
//! own copies: a load of each parameter it reads from a slot the entry block fills, and
//! `window << 3` (the byte offsets) recomputed from it. The hot path is unchanged; a
//! function pays one store per parameter so reloaded, once per call, which is why only
//! functions with a loop get all four. The prologue's slow path (`H_ENTER`) keeps its
//! reads: it runs before any loop, and its reloads made every call store the windows'
//! bases, which no cold block in fib_rec's loop reads, and put a move on the prologue's
//! way into the body (fib_rec ran 1.03x, histogram 1.13x). A function without loops or
//! nk calls gets the context alone: its error exit needs it after the helper calls that
//! lead there, and nothing else would keep a callee-saved register for it.

use cranelift_codegen::cursor::{Cursor, FuncCursor};
use cranelift_codegen::ir::{
    types, Block, Function, InstBuilder, StackSlotData, StackSlotKind, Value,
};

/// One value the rewrite replaces: the parameter it is (0..4, in the stack slot's order),
/// shifted left by 3 (`bs8`, `ba8`) or not.
#[derive(Clone, Copy)]
pub struct ParamCopy {
    pub value: Value,
    pub param: usize,
    pub shifted: bool,
}

/// Rewrites every cold block's reads of `copies` to reloads, but `skip`'s (the prologue's
/// slow path, which runs before any loop: its reads would only make the entry store
/// parameters no loop needs); `entry_params` are the entry block's values of the four
/// parameters (stored at the entry when some block reloads them). Returns how many cold
/// blocks were rewritten.
pub fn reload_params(
    func: &mut Function,
    entry_params: [Value; 4],
    copies: &[ParamCopy],
    skip: Block,
) -> usize {
    let blocks: Vec<_> = (func.layout.blocks())
        .filter(|&b| func.layout.is_cold(b) && b != skip)
        .collect();
    let slot = func.create_sized_stack_slot(StackSlotData::new(StackSlotKind::ExplicitSlot, 32, 3));
    let mut used = [false; 4];
    let mut rewritten = 0;
    for block in blocks {
        // Which copies this block reads (instruction arguments; a branch's block arguments
        // are left as they are).
        let insts: Vec<_> = func.layout.block_insts(block).collect();
        let reads = |func: &Function, c: &ParamCopy| {
            insts
                .iter()
                .any(|&i| func.dfg.inst_args(i).contains(&c.value))
        };
        let wanted: Vec<ParamCopy> = copies.iter().copied().filter(|c| reads(func, c)).collect();
        if wanted.is_empty() {
            continue;
        }
        rewritten += 1;
        let mut pos = FuncCursor::new(func).at_first_insertion_point(block);
        let mut loaded: [Option<Value>; 4] = [None; 4];
        let mut map: Vec<(Value, Value)> = Vec::new();
        for c in &wanted {
            let p = match loaded[c.param] {
                Some(v) => v,
                None => {
                    let v = pos.ins().stack_load(types::I64, types::I64, slot, 8 * c.param as i32);
                    loaded[c.param] = Some(v);
                    used[c.param] = true;
                    v
                }
            };
            let v = if c.shifted { pos.ins().ishl_imm_s(p, 3) } else { p };
            map.push((c.value, v));
        }
        for i in insts {
            for a in pos.func.dfg.inst_args_mut(i) {
                if let Some(&(_, to)) = map.iter().find(|(from, _)| from == a) {
                    *a = to;
                }
            }
        }
    }
    if rewritten > 0 {
        let entry = func.layout.entry_block().expect("a function has an entry block");
        let mut pos = FuncCursor::new(func).at_first_insertion_point(entry);
        for (k, &v) in entry_params.iter().enumerate() {
            if used[k] {
                pos.ins().stack_store(types::I64, v, slot, 8 * k as i32);
            }
        }
    }
    rewritten
}
