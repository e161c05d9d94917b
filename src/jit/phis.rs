//! Removes block parameters that carry one value around a loop (an outer loop's counter,
//! an array's shape) so Cranelift's loop-invariant code motion sees them as invariant.
//!
//! The code generator builds SSA from variables and seals every block at the end; the
//! frontend then leaves a parameter on an inner loop's header for each outer value the
//! loop reads, and Cranelift's own pass (`remove_constant_phis`) only replaces a
//! parameter by an instruction's result, never by another loop's parameter. Measured on
//! the Jacobi sweep: `u[i - 1, j]`'s row offset `(i - 1) * stride` was recomputed, and
//! `i`, kept live in a register on every back-edge, pushed shapes to the stack.
//!
//! The rule is Braun et al.'s trivial φ, iterated to a fixed point: a parameter whose
//! incoming values, other than itself, are all one value `v` is `v` (`v` reaches every
//! predecessor, so it dominates the block). A cycle of parameters that together carry one
//! value is left alone; it does not arise from structured loops.

use cranelift_codegen::ir::{Block, BlockArg, Function, Inst, Value};

/// Every `(branch, destination index)` edge into each block, by block.
fn edges(func: &Function) -> Vec<Vec<(Inst, usize)>> {
    let mut into = vec![Vec::new(); func.dfg.num_blocks()];
    for block in func.layout.blocks() {
        let Some(term) = func.layout.last_inst(block) else {
            continue;
        };
        let dfg = &func.dfg;
        for (k, call) in dfg.insts[term]
            .branch_destination(&dfg.jump_tables, &dfg.exception_tables)
            .iter()
            .enumerate()
        {
            into[call.block(&dfg.value_lists).as_u32() as usize].push((term, k));
        }
    }
    into
}

/// The one value other than `param` that reaches it along `edges`, if there is one.
fn single_incoming(func: &Function, edges: &[(Inst, usize)], param: Value, k: usize) -> Option<Value> {
    let dfg = &func.dfg;
    let mut only = None;
    for &(inst, d) in edges {
        let call = dfg.insts[inst].branch_destination(&dfg.jump_tables, &dfg.exception_tables)[d];
        let BlockArg::Value(v) = call.args(&dfg.value_lists).nth(k)? else {
            return None;
        };
        let v = dfg.resolve_aliases(v);
        if v == param {
            continue;
        }
        match only {
            None => only = Some(v),
            Some(o) if o == v => {}
            Some(_) => return None,
        }
    }
    only
}

/// Removes trivial block parameters of `func` (not the entry block's); returns how many.
pub fn remove_trivial(func: &mut Function) -> usize {
    let Some(entry) = func.layout.entry_block() else {
        return 0;
    };
    let into = edges(func);
    let blocks: Vec<Block> = func.layout.blocks().filter(|&b| b != entry).collect();
    let mut removed = 0;
    loop {
        let before = removed;
        for &block in &blocks {
            let edges = &into[block.as_u32() as usize];
            // From the last parameter down, so earlier indices stay valid.
            for k in (0..func.dfg.num_block_params(block)).rev() {
                let param = func.dfg.block_params(block)[k];
                let Some(v) = single_incoming(func, edges, param, k) else {
                    continue;
                };
                func.dfg.remove_block_param(param);
                func.dfg.change_to_alias(param, v);
                for &(inst, d) in edges {
                    let dfg = &mut func.dfg;
                    dfg.insts[inst]
                        .branch_destination_mut(&mut dfg.jump_tables, &mut dfg.exception_tables)[d]
                        .remove(k, &mut dfg.value_lists);
                }
                removed += 1;
            }
        }
        if removed == before {
            return removed;
        }
    }
}
