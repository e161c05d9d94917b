//! `prange` loops (`Ext::ParFor`): the outlined body called once over the whole range
//! (in order, as the interpreter may), or over parts of it on the thread pool.

use super::Vm;
use crate::bytecode::{CompiledFn, Ext};
use crate::runtime::RuntimeError;
use crate::source::Span;

impl Vm<'_> {
    /// Runs the `prange` loop `ext[i]` of `f`, whose frame is at (`bs`, `ba`) with `depth`
    /// nk frames active (its own included). On error the chain is outermost first and
    /// begins with the body's frame, which stands for `f`'s: the loop reports an error as
    /// a serial loop in `f` would.
    pub(super) fn par_for(
        &mut self,
        f: &CompiledFn,
        i: usize,
        pc: usize,
        bs: usize,
        ba: usize,
        depth: usize,
    ) -> Result<(), RuntimeError> {
        let Some(Ext::ParFor { slot, s, a, .. }) = f.ext.get(i) else {
            unreachable!("par_for runs a ParFor op");
        };
        let (slot, ws, wa) = (*slot, bs + *s as usize, ba + *a as usize);
        let span = f.spans.get(pc).copied().unwrap_or_default();
        self.call_body(slot, ws, wa, depth, span)
    }

    /// The serial loop: one call of the body over the whole range.
    fn call_body(
        &mut self,
        slot: u32,
        ws: usize,
        wa: usize,
        depth: usize,
        span: Span,
    ) -> Result<(), RuntimeError> {
        if self.enter_from_native(slot, ws, wa, depth).is_ok() {
            return Ok(());
        }
        let mut e = self.native.pending.take().unwrap_or_else(|| RuntimeError {
            message: "internal: a prange body failed without an error".into(),
            span,
            chain: vec![],
        });
        if std::mem::take(&mut self.native.pending_at_caller) {
            // The body never started (too deep): the error is at the loop.
            e.span = span;
            e.chain.push((self.prog.funcs[slot as usize].name.clone(), span));
        }
        e.chain.reverse();
        Err(e)
    }
}
