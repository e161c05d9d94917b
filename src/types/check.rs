//! The checker proper: scopes, statements, expressions, calls and the specialization table.

use super::builtins;
use super::promote;
use crate::diag::Diagnostic;
use crate::ir::{
    Builtin, Expr, ExprKind, Func, FuncId, Local, LocalId, MainFn, ParLoop, Program, SliceIdx, Stmt, Type,
    UnOp,
};
use crate::loader::{Loaded, ModuleId};
use crate::source::Span;
use crate::syntax::ast::{self, FnDef, IndexArg, Item, Pattern, StmtKind, TypeExpr};
use crate::vocab::{BinOp, Prim, Reduce};
// Fx hashing: the keys are small (names, type lists) and never attacker-chosen in a way that
// matters to a compiler run; SipHash showed in the checker's profile.
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

/// Deepest expression nesting lowered; deeper input is reported, not overflowed.
const MAX_EXPR_DEPTH: usize = 2_000;
/// Phase-1 rounds before giving up on a return-type fixpoint.
const MAX_INFER_ROUNDS: usize = 32;
/// Largest tuple value, in scalar/array leaves. Recursion like `g((x, x))` would otherwise
/// grow types (and specializations) without end.
const MAX_TUPLE_LEAVES: usize = 256;
/// Most specializations of one function before argument types are deemed runaway.
const MAX_SPECS_PER_FN: usize = 200;

/// A function definition: its module and the index of its `fn` item there. Stable while
/// the module is loaded; replacing the module maps each name to its new item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DefId {
    pub module: ModuleId,
    pub item: u32,
}

/// What a specialization's body is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Body {
    Fn(DefId),
    Script(ModuleId),
    /// A REPL entry: index into `CheckState::entries`.
    Entry(u32),
    /// The body of the `prange` loop at this span of specialization `parent`, outlined
    /// (`CheckState::prange_funcs` holds its IR, made when the parent was lowered).
    Prange { parent: FuncId, at: Span },
}

/// A REPL entry's statements, run as a function of the session's variables that returns
/// their new values.
#[derive(Clone, Debug)]
pub struct EntryDef {
    /// The module whose names the statements see (the session's definitions).
    pub scope: ModuleId,
    /// The module holding the statements (`Loaded::add_entry_module`).
    pub source: ModuleId,
    /// The session's variables: the parameters (their types are the specialization's).
    pub vars: Vec<String>,
    /// Print the value of a final expression statement (an entry without a final `;`).
    pub display: bool,
    /// Set when lowered: the variables whose values the entry returns, as a tuple in
    /// this order (nothing if empty), and the type of its final expression, if any.
    pub out: Vec<String>,
    pub value_type: Option<Type>,
}

#[derive(Clone, Debug)]
struct Spec {
    body: Body,
    args: Vec<Type>,
    /// The call that first asked for it, and the specialization that call is in: errors
    /// inside a prelude function point back to the user's call.
    origin: Option<(Span, FuncId)>,
}

/// What the checker keeps between growth steps: every specialization made so far (its
/// index is its `FuncId`), their return types, and each module's names. It owns no AST:
/// the modules are lent for each step, so a host can keep both and add to them.
#[derive(Default, Clone)]
pub struct CheckState {
    specs: Vec<Spec>,
    spec_index: HashMap<(DefId, Vec<Type>), FuncId>,
    rets: Vec<Option<Type>>,
    /// Specializations created per function, to stop runaway instantiation.
    spec_counts: HashMap<DefId, usize>,
    /// Per module: function name → item index, constant name → item index.
    fns: Vec<HashMap<String, u32>>,
    consts: Vec<HashMap<String, u32>>,
    entries: Vec<EntryDef>,
    /// Each outlined `prange` body, by its parent and the loop's span: lowering the
    /// parent again (another round, a widening pass, a later step) updates the same one.
    prange_index: HashMap<(FuncId, Span), FuncId>,
    /// The IR of each outlined `prange` body, from its parent's latest lowering.
    prange_funcs: HashMap<FuncId, Func>,
}

/// One growth step's view: the loaded modules (read-only) and the state it adds to.
pub struct Checker<'a> {
    loaded: &'a Loaded,
    st: &'a mut CheckState,
    diags: Vec<Diagnostic>,
    /// Consts being lowered, to report `const A = B; const B = A;`.
    consts_in_progress: HashSet<(ModuleId, String)>,
    /// The specialization being lowered (the origin of the calls it makes).
    lowering: Option<FuncId>,
    /// The script's top-level statements when this checker owns them (see
    /// [`Checker::owning_script`]).
    owned_script: Option<OwnedScript>,
}

/// A script body the checker owns. Until every return type is final its passes keep no IR
/// (each statement's is dropped once made); then one last pass makes the IR for good and
/// frees each statement once lowered, so a script's syntax trees and its IR are never
/// both held whole: a 400,000-statement script peaked at 577 MiB with both.
struct OwnedScript {
    body: ast::ScriptBody,
    /// The widenings the latest pass started from: the last pass starts from them too,
    /// so it widens nothing (see [`Checker::widening`]).
    start: HashMap<Span, Type>,
}

/// Passes over a body that widen a variable before one more is the last (`widening`): each
/// pass widens what the one before did not see (`v1 = v0` after `v0` became an `f64`).
const MAX_WIDENING_PASSES: usize = 64;

/// Per-specialization lowering state.
struct FnCx {
    module: ModuleId,
    locals: Vec<Local>,
    /// Each name's bindings, innermost last: lookup costs the same however deep the
    /// nesting (a chain of 100 000 `else if`s must not make checking quadratic).
    bindings: HashMap<String, Vec<LocalId>>,
    /// The names bound in each open scope, unbound when it closes.
    scopes: Vec<Vec<String>>,
    declared_ret: Option<Type>,
    returns: Vec<(Type, Span)>,
    loop_depth: usize,
    /// The `prange` loop being lowered, if any (a `prange` inside it runs serially).
    par: Option<ParCx>,
    is_script: bool,
    depth: usize,
    /// The `let` (its name's span) that declared each local, for untyped scalar `let`s:
    /// such a variable takes the promoted type of all its assignments (as Numba).
    decl: Vec<Option<Span>>,
    /// Types decided for untyped `let`s by an earlier pass over this body: a wider
    /// numeric kind, or a run-time string for a variable given different strings.
    widen: HashMap<Span, Type>,
    /// Whether this pass found an assignment that widens a variable: the body is lowered
    /// again with the wider type from the declaration on.
    widened: bool,
}

/// What the checker tracks inside a `prange` body: which locals are outer (declared
/// before the loop) and the reductions found so far.
struct ParCx {
    /// Locals numbered below this were declared before the loop.
    boundary: LocalId,
    /// `FnCx::loop_depth` inside the loop's own body (a `break` there would leave it).
    depth: usize,
    /// Each outer variable updated as a reduction: how, and where first.
    reductions: Vec<(LocalId, Reduce, Span)>,
}

impl FnCx {
    fn new(module: ModuleId, declared_ret: Option<Type>, is_script: bool) -> FnCx {
        FnCx {
            module,
            locals: vec![],
            bindings: HashMap::default(),
            scopes: vec![Vec::new()],
            declared_ret,
            returns: vec![],
            loop_depth: 0,
            par: None,
            is_script,
            depth: 0,
            decl: vec![],
            widen: HashMap::default(),
            widened: false,
        }
    }

    /// A fresh context for another pass over the same body, keeping the widenings found.
    fn again(&self) -> FnCx {
        let mut cx = FnCx::new(self.module, self.declared_ret.clone(), self.is_script);
        cx.widen = self.widen.clone();
        cx
    }

    /// Records that the variable `id` must hold values of type `to` (its `let` is known
    /// and untyped, and `to` is a wider numeric kind than its scalar's, or another string
    /// than its literal's): true if recorded.
    fn widen_var(&mut self, id: LocalId, to: &Type) -> bool {
        let Some(Some(at)) = self.decl.get(id as usize).copied() else {
            return false;
        };
        let wide = match (&self.locals[id as usize].ty, to) {
            (Type::Prim(cur), Type::Prim(to)) => {
                let wide = Prim::promote(*cur, *to);
                if !cur.is_numeric() || !to.is_numeric() || wide == *cur {
                    return false;
                }
                Type::Prim(wide)
            }
            (Type::Str(Some(cur)), Type::Str(to)) if to.as_ref() != Some(cur) => Type::Str(None),
            _ => return false,
        };
        self.widen.insert(at, wide);
        self.widened = true;
        true
    }
    fn open_scope(&mut self) {
        self.scopes.push(Vec::new());
    }
    fn close_scope(&mut self) {
        for name in self.scopes.pop().unwrap_or_default() {
            if let Some(ids) = self.bindings.get_mut(&name) {
                ids.pop();
            }
        }
    }
    fn new_local(&mut self, name: &str, ty: Type) -> LocalId {
        self.locals.push(Local {
            name: name.to_string(),
            ty,
        });
        self.decl.push(None);
        (self.locals.len() - 1) as LocalId
    }
    fn bind(&mut self, name: &str, ty: Type) -> LocalId {
        let id = self.new_local(name, ty);
        self.bindings.entry(name.to_string()).or_default().push(id);
        if let Some(scope) = self.scopes.last_mut() {
            scope.push(name.to_string());
        }
        id
    }
    fn temp(&mut self, ty: Type) -> LocalId {
        self.new_local("", ty)
    }
    fn lookup(&self, name: &str) -> Option<LocalId> {
        self.bindings.get(name).and_then(|ids| ids.last().copied())
    }
}

/// How a reduction is written in a `prange` loop (for messages).
fn reduction_form(r: Reduce) -> &'static str {
    match r {
        Reduce::Sum => "+=",
        Reduce::Prod => "*=",
        Reduce::Min => "min",
        _ => "max",
    }
}

fn local(id: LocalId, ty: Type, span: Span) -> Expr {
    Expr {
        kind: ExprKind::Local(id),
        ty,
        span,
    }
}

fn unknown(span: Span) -> Expr {
    Expr {
        kind: ExprKind::Int(0),
        ty: Type::Unknown,
        span,
    }
}

/// Is the expression free of effects and cheap, so it may be evaluated twice?
fn is_trivial(e: &Expr) -> bool {
    matches!(
        e.kind,
        ExprKind::Local(_) | ExprKind::Int(_) | ExprKind::Float(_) | ExprKind::Bool(_)
    )
}

/// Does every path through `stmts` end in a `return` (or a `while true` loop without
/// `break`)? A bare block `{ ... }` is lowered to `if true { ... }`, so an `if` whose
/// condition is the constant `true` returns when its first branch does.
fn always_returns(stmts: &[Stmt]) -> bool {
    stmts.iter().any(|s| match s {
        Stmt::Return(_) => true,
        Stmt::If(c, a, _) if matches!(c.kind, ExprKind::Bool(true)) => always_returns(a),
        Stmt::If(_, a, b) => always_returns(a) && always_returns(b),
        Stmt::While(c, body) => matches!(c.kind, ExprKind::Bool(true)) && !contains_break(body),
        _ => false,
    })
}

fn contains_break(stmts: &[Stmt]) -> bool {
    stmts.iter().any(|s| match s {
        Stmt::Break => true,
        Stmt::If(_, a, b) => contains_break(a) || contains_break(b),
        _ => false,
    })
}

/// Is `e` a call of `print` or `assert` (statements that look like calls)?
fn is_statement_call(e: &ast::Expr) -> bool {
    matches!(&e.kind, ast::ExprKind::Call(c, _)
        if matches!(&c.kind, ast::ExprKind::Name(n) if n == "print" || n == "assert"))
}

/// Does the block assign to `name` (syntactically)? Decides whether a `for` variable can
/// double as the loop counter.
fn assigns_name(block: &ast::Block, name: &str) -> bool {
    block.stmts.iter().any(|s| match &s.kind {
        StmtKind::Assign { target, .. } => {
            matches!(&target.kind, ast::ExprKind::Name(n) if n == name)
        }
        StmtKind::If { then, els, .. } => {
            assigns_name(then, name) || els.as_ref().is_some_and(|b| assigns_name(b, name))
        }
        StmtKind::While { body, .. } | StmtKind::For { body, .. } => assigns_name(body, name),
        StmtKind::Block(b) => assigns_name(b, name),
        _ => false,
    })
}

impl CheckState {
    /// Records module `m`'s functions and constants by name (replacing what an earlier
    /// version of it had); a name defined twice is reported.
    pub fn index_module(&mut self, loaded: &Loaded, m: ModuleId) -> Vec<Diagnostic> {
        let mut diags = Vec::new();
        let mut f: HashMap<String, u32> = HashMap::default();
        let mut c: HashMap<String, u32> = HashMap::default();
        let items = &loaded.modules[m].ast.items;
        for (i, item) in items.iter().enumerate() {
            let (what, map, name) = match item {
                Item::Fn(def) => ("function", &mut f, &def.name),
                Item::Const(def) => ("constant", &mut c, &def.name),
                _ => continue,
            };
            if let Some(prev) = map.insert(name.name.clone(), i as u32) {
                let prev_span = match &items[prev as usize] {
                    Item::Fn(d) => d.name.span,
                    Item::Const(d) => d.name.span,
                    _ => name.span,
                };
                diags.push(
                    Diagnostic::error(name.span, format!("{what} `{}` is defined twice", name.name))
                        .with_label(prev_span, "first defined here"),
                );
            }
        }
        if self.fns.len() <= m {
            self.fns.resize_with(m + 1, HashMap::default);
            self.consts.resize_with(m + 1, HashMap::default);
        }
        self.fns[m] = f;
        self.consts[m] = c;
        diags
    }

    /// How many specializations exist (the next one's `FuncId`).
    pub fn specialization_count(&self) -> usize {
        self.specs.len()
    }

    /// The function `name` of module `m`, if it defines one.
    pub fn def_id(&self, m: ModuleId, name: &str) -> Option<DefId> {
        let item = *self.fns.get(m)?.get(name)?;
        Some(DefId { module: m, item })
    }

    /// The definition a specialization was made from (`None`: a script body).
    pub fn def_of(&self, id: FuncId) -> Option<DefId> {
        match self.specs.get(id as usize)?.body {
            Body::Fn(d) => Some(d),
            Body::Script(_) | Body::Entry(_) | Body::Prange { .. } => None,
        }
    }

    /// A REPL entry as lowered (its `out` and `value_type` set), by its specialization.
    pub fn entry_of(&self, id: FuncId) -> Option<&EntryDef> {
        match self.specs.get(id as usize)?.body {
            Body::Entry(k) => self.entries.get(k as usize),
            _ => None,
        }
    }

    /// Marks `id`'s return type as not known yet (before lowering it again).
    pub fn reset_ret(&mut self, id: FuncId) {
        self.rets[id as usize] = None;
    }

    /// Forgets every specialization from `len` on (a failed growth step).
    pub fn truncate(&mut self, len: usize) {
        for (k, spec) in self.specs.drain(len..).enumerate() {
            match spec.body {
                Body::Fn(d) => {
                    self.spec_index.remove(&(d, spec.args));
                    if let Some(n) = self.spec_counts.get_mut(&d) {
                        *n = n.saturating_sub(1);
                    }
                }
                Body::Prange { parent, at } => {
                    self.prange_index.remove(&(parent, at));
                    self.prange_funcs.remove(&((len + k) as FuncId));
                }
                Body::Script(_) | Body::Entry(_) => {}
            }
        }
        self.rets.truncate(len);
    }

    /// `ids` and, after them, the outlined `prange` bodies (below `below`) of any of them
    /// not listed yet: a body is lowered again whenever its parent is, and after it.
    pub fn with_prange_bodies(&self, mut ids: Vec<FuncId>, below: usize) -> Vec<FuncId> {
        let mut bodies: Vec<FuncId> = self
            .prange_index
            .iter()
            .filter(|((parent, _), &body)| {
                ids.contains(parent) && (body as usize) < below && !ids.contains(&body)
            })
            .map(|(_, &body)| body)
            .collect();
        bodies.sort_unstable();
        ids.extend(bodies);
        ids
    }

    /// After module `m` was replaced: each of its specializations points at the item of
    /// the same name in the new version; those whose function is gone are returned (they
    /// keep their old item index and must not be lowered again).
    pub fn remap_module(&mut self, m: ModuleId, old_names: &std::collections::HashMap<u32, String>) -> Vec<FuncId> {
        let mut gone = Vec::new();
        for id in 0..self.specs.len() {
            let Body::Fn(d) = self.specs[id].body else {
                continue;
            };
            if d.module != m {
                continue;
            }
            let name = old_names.get(&d.item).map(String::as_str).unwrap_or("");
            match self.fns[m].get(name) {
                Some(&item) => {
                    let nd = DefId { module: m, item };
                    let args = self.specs[id].args.clone();
                    self.spec_index.remove(&(d, args.clone()));
                    self.spec_index.insert((nd, args), id as FuncId);
                    if let Some(n) = self.spec_counts.remove(&d) {
                        *self.spec_counts.entry(nd).or_insert(0) += n;
                    }
                    self.specs[id].body = Body::Fn(nd);
                }
                None => {
                    // Kept as a slot, never lowered again, found by no lookup.
                    self.spec_index.remove(&(d, self.specs[id].args.clone()));
                    self.specs[id].body = Body::Fn(DefId {
                        module: m,
                        item: u32::MAX,
                    });
                    gone.push(id as FuncId);
                }
            }
        }
        gone
    }
}

impl<'a> Checker<'a> {
    pub fn new(loaded: &'a Loaded, st: &'a mut CheckState) -> Self {
        Checker {
            loaded,
            st,
            diags: Vec::new(),
            consts_in_progress: HashSet::default(),
            lowering: None,
            owned_script: None,
        }
    }

    /// Gives the checker the script's top-level statements, taken out of the loaded
    /// script module (which must then hold none): [`Checker::check_script`] frees each
    /// once it is lowered for good.
    pub fn owning_script(mut self, body: ast::ScriptBody) -> Self {
        self.owned_script = Some(OwnedScript {
            body,
            start: HashMap::default(),
        });
        self
    }

    /// The whole script: its body, `main`, and every fully annotated function of the
    /// script module (so their errors are reported even if nothing calls them). The
    /// state must be empty; the script body becomes specialization 0.
    pub fn check_script(mut self) -> Result<Program, Vec<Diagnostic>> {
        let script_mod = self.loaded.script;
        let mut pre_diags = Vec::new();
        for m in 0..self.loaded.modules.len() {
            pre_diags.extend(self.st.index_module(self.loaded, m));
        }
        self.st.specs.push(Spec {
            body: Body::Script(script_mod),
            args: vec![],
            origin: None,
        });
        self.st.rets.push(Some(Type::Unit));
        let script: FuncId = 0;

        let mut main = None;
        let mut module_fns: Vec<(DefId, &'a FnDef)> = self.st.fns[script_mod]
            .values()
            .map(|&item| self.def(DefId { module: script_mod, item }))
            .collect();
        module_fns.sort_by_key(|(_, d)| d.span.lo);
        for (did, def) in module_fns {
            if def.name.name == "main" {
                let mut params = Vec::new();
                let mut ok = true;
                for p in &def.params {
                    match p.ty.as_ref().map(|t| self.resolve_type(t)) {
                        Some(t @ (Type::Prim(_) | Type::Str(None))) => {
                            params.push((p.name.name.clone(), t))
                        }
                        _ => {
                            ok = false;
                            self.diags.push(Diagnostic::error(
                                p.name.span,
                                format!(
                                    "parameter `{}` of `main` needs a scalar type (bool, u8, i32, i64, f32 or f64) or str",
                                    p.name.name
                                ),
                            ));
                        }
                    }
                }
                if ok {
                    let args = params.iter().map(|(_, t)| t.clone()).collect();
                    let id = self.instantiate(did, args);
                    main = Some(MainFn { func: id, params });
                }
            } else {
                self.instantiate_annotated(did);
            }
        }
        pre_diags.append(&mut self.diags);
        let mut funcs: Vec<Func> = self
            .settle(&[], 0, pre_diags)?
            .into_iter()
            .map(|(_, f)| f)
            .collect();
        if let Some(owned) = self.owned_script.take() {
            let func = &mut funcs[script as usize];
            (func.locals, func.body) = self.lower_owned_script(script, owned)?;
        }
        Ok(Program {
            funcs,
            script,
            main,
        })
    }

    /// The last pass over an owned script body (every return type final, no errors): its
    /// locals and IR, each statement freed once lowered.
    fn lower_owned_script(
        &mut self,
        script: FuncId,
        owned: OwnedScript,
    ) -> Result<(Vec<Local>, Vec<Stmt>), Vec<Diagnostic>> {
        let Body::Script(m) = self.st.specs[script as usize].body else {
            unreachable!("specialization 0 is the script body");
        };
        let mut cx = FnCx::new(m, Some(Type::Unit), true);
        cx.widen = owned.start;
        let mut out = Vec::with_capacity(owned.body.len());
        let outer = self.lowering.replace(script);
        for s in owned.body {
            self.stmt(&mut cx, &s, &mut out);
        }
        self.lowering = outer;
        // From the same state as the pass before, this pass makes the same IR: one that
        // widens (only after `widening`'s bound of passes) is taken as that one was.
        if !self.diags.is_empty() {
            // The pass before, from the same state, found none.
            let mut diags = std::mem::take(&mut self.diags);
            diags.push(Diagnostic::error(
                Span::new(self.loaded.modules[m].file, 0, 0),
                "internal: the script's last pass differs from the one before",
            ));
            return Err(diags);
        }
        out.shrink_to_fit();
        Ok((cx.locals, out))
    }

    /// Specializes `def` for its own annotations if every parameter has one.
    pub fn instantiate_annotated(&mut self, did: DefId) -> Option<FuncId> {
        let (_, def) = self.def(did);
        let args: Option<Vec<Type>> = def
            .params
            .iter()
            .map(|p| p.ty.as_ref().map(|t| self.resolve_type(t)))
            .collect();
        let args = args?;
        if args.iter().any(Type::is_unknown) {
            return None;
        }
        Some(self.instantiate(did, args))
    }

    /// `instantiate` for the growing checker (a new specialization is lowered by
    /// [`Checker::settle`]).
    pub fn instantiate_pub(&mut self, did: DefId, args: Vec<Type>) -> FuncId {
        self.instantiate(did, args)
    }

    /// A new specialization for REPL entry `e`, with the variables' types as arguments
    /// (lowered by [`Checker::settle`]).
    pub fn instantiate_entry(&mut self, e: EntryDef, var_types: Vec<Type>) -> FuncId {
        let k = self.st.entries.len() as u32;
        self.st.entries.push(e);
        let id = self.st.specs.len() as FuncId;
        self.st.specs.push(Spec {
            body: Body::Entry(k),
            args: var_types,
            origin: None,
        });
        self.st.rets.push(None);
        id
    }

    /// Resolves a written type (types are global in nk).
    pub fn resolve_annotation(&mut self, t: &TypeExpr) -> Type {
        self.resolve_type(t)
    }

    /// Errors found so far by this step (taken).
    pub fn take_diags(&mut self) -> Vec<Diagnostic> {
        std::mem::take(&mut self.diags)
    }

    /// Infers and lowers the specializations `redo` (made earlier, to be lowered again:
    /// their return types must have been reset) and every one from `start` on (new ones,
    /// including those found on the way): phase 1 finds every specialization and its
    /// return type by iterating to a fixpoint; phase 2 lowers each once more with the
    /// final table and keeps that IR and its errors. Returns the IR of `redo` then of the
    /// new ones in id order; on error, every diagnostic (deduplicated, sorted) — the
    /// caller then undoes the step (see [`CheckState::truncate`]).
    pub fn settle(
        &mut self,
        redo: &[FuncId],
        start: usize,
        pre_diags: Vec<Diagnostic>,
    ) -> Result<Vec<(FuncId, Func)>, Vec<Diagnostic>> {
        // The k-th specialization to lower: `redo`, then the new ones (their number
        // grows as lowering finds calls at new argument types).
        let work = |k: usize, st: &CheckState| -> Option<FuncId> {
            match redo.get(k) {
                Some(&id) => Some(id),
                None => {
                    let id = start + (k - redo.len());
                    (id < st.specs.len()).then_some(id as FuncId)
                }
            }
        };
        // Phase 1: find every specialization and its return type, lowering every one per
        // round until a round changes no return type. That round saw only final return
        // types, so its IR and errors are phase 2's: they are kept (most programs need two
        // rounds, and so lower each function twice, not three times).
        let mut settled = None;
        for _round in 0..MAX_INFER_ROUNDS {
            let mut changed = false;
            let mut funcs = Vec::new();
            self.diags.clear();
            let mut k = 0;
            while let Some(id) = work(k, self.st) {
                k += 1;
                let before = self.diags.len();
                let (func, ret) = self.lower_spec(id);
                if self.st.rets[id as usize] != ret {
                    self.st.rets[id as usize] = ret.clone();
                    changed = true;
                }
                if !changed {
                    self.finish_spec(id, &func, ret.is_none(), before);
                }
                funcs.push((id, func));
            }
            if !changed {
                settled = Some(funcs);
                break;
            }
        }
        let mut round_diags = std::mem::take(&mut self.diags);
        let funcs = match settled {
            Some(funcs) => funcs,
            None => {
                // No fixpoint within the rounds (runaway types are reported): lower every
                // specialization once more with the table as it is.
                let mut funcs = Vec::new();
                let mut k = 0;
                while let Some(id) = work(k, self.st) {
                    k += 1;
                    let before = self.diags.len();
                    let (func, ret) = self.lower_spec(id);
                    self.finish_spec(id, &func, ret.is_none(), before);
                    funcs.push((id, func));
                }
                round_diags = std::mem::take(&mut self.diags);
                funcs
            }
        };
        self.diags = pre_diags;
        self.diags.append(&mut round_diags);
        let mut seen = HashSet::default();
        let mut diags: Vec<Diagnostic> = std::mem::take(&mut self.diags)
            .into_iter()
            // One message per place: a generic function's error is reported for the
            // first specialization that hits it, not once per specialization.
            .filter(|d| seen.insert(d.span))
            .collect();
        if diags.is_empty() {
            Ok(funcs)
        } else {
            diags.sort_by_key(|d| (d.span.file, d.span.lo));
            Err(diags)
        }
    }

    /// After lowering specialization `id` for good (its errors are `self.diags[before..]`):
    /// names the specialization in a generic function's errors, and reports a return type
    /// that stayed unknown without an error to explain it.
    fn finish_spec(&mut self, id: FuncId, func: &Func, ret_unknown: bool, before: usize) {
        if self.diags.len() > before && self.is_generic(id) {
            // The same line can be fine for one argument type and wrong for another.
            for d in &mut self.diags[before..] {
                d.notes
                    .push(format!("while checking the specialization `{}`", func.name));
            }
        }
        if self.diags.len() > before {
            if let Some((site, called)) = self.user_call_site(id) {
                let label = format!("in `{}`, called from here", self.spec_name(called));
                for d in &mut self.diags[before..] {
                    d.labels.push((site, label.clone()));
                }
            }
        }
        // An unknown return type after an error is that error's echo, not news.
        if ret_unknown && self.diags.len() == before {
            self.diags.push(Diagnostic::error(
                func.span,
                format!(
                    "cannot infer the return type of `{}`: every `return` depends on a recursive call",
                    func.name
                ),
            ));
        }
    }

    pub(super) fn err(&mut self, span: Span, msg: impl Into<String>) -> Expr {
        self.diags.push(Diagnostic::error(span, msg));
        unknown(span)
    }

    fn instantiate(&mut self, did: DefId, args: Vec<Type>) -> FuncId {
        let key = (did, args);
        if let Some(&id) = self.st.spec_index.get(&key) {
            return id;
        }
        let id = self.st.specs.len() as FuncId;
        self.st.specs.push(Spec {
            body: Body::Fn(did),
            args: key.1.clone(),
            origin: None,
        });
        self.st.rets.push(None);
        self.st.spec_index.insert(key, id);
        id
    }

    /// For a specialization of a prelude function: the call in user code that led to it
    /// (through other prelude functions), if it was made from user code, and the prelude
    /// specialization that call made.
    fn user_call_site(&self, mut id: FuncId) -> Option<(Span, FuncId)> {
        let in_prelude = |id: FuncId| {
            matches!(self.st.specs[id as usize].body, Body::Fn(d) if d.module == self.loaded.prelude)
        };
        if !in_prelude(id) {
            return None;
        }
        // Bounded: origins point to earlier specializations.
        for _ in 0..self.st.specs.len() {
            let (span, caller) = self.st.specs[id as usize].origin?;
            if !in_prelude(caller) {
                return Some((span, id));
            }
            id = caller;
        }
        None
    }

    /// The definition `did` names (borrowed from the loaded modules, not from `self`).
    fn def(&self, did: DefId) -> (DefId, &'a FnDef) {
        let loaded: &'a Loaded = self.loaded;
        match &loaded.modules[did.module].ast.items[did.item as usize] {
            Item::Fn(def) => (did, def),
            _ => unreachable!("a DefId names a `fn` item"),
        }
    }

    /// Module `m`'s function `name`, if it defines one.
    fn fn_def(&self, m: ModuleId, name: &str) -> Option<(DefId, &'a FnDef)> {
        self.st.def_id(m, name).map(|d| self.def(d))
    }

    fn const_def(&self, m: ModuleId, name: &str) -> Option<&'a ast::ConstDef> {
        let loaded: &'a Loaded = self.loaded;
        let item = *self.st.consts.get(m)?.get(name)?;
        match &loaded.modules[m].ast.items[item as usize] {
            Item::Const(def) => Some(def),
            _ => None,
        }
    }

    /// Has the specialization's function a parameter without a type annotation?
    fn is_generic(&self, id: FuncId) -> bool {
        match self.st.specs[id as usize].body {
            Body::Fn(d) => self.def(d).1.params.iter().any(|p| p.ty.is_none()),
            Body::Script(_) | Body::Entry(_) | Body::Prange { .. } => false,
        }
    }

    fn spec_name(&self, id: FuncId) -> String {
        let spec = &self.st.specs[id as usize];
        match spec.body {
            Body::Script(_) => "<script>".to_string(),
            // The body's frames read as its parent's, as a serial loop's would.
            Body::Prange { parent, .. } => self.spec_name(parent),
            Body::Entry(k) => {
                let e = &self.st.entries[k as usize];
                self.loaded.modules[e.source].name.clone()
            }
            Body::Fn(d) => {
                let m = d.module;
                let def = self.def(d).1;
                let module = &self.loaded.modules[m];
                let prefix = if module.is_script || m == self.loaded.prelude {
                    String::new()
                } else {
                    format!("{}.", module.name)
                };
                let args: Vec<String> = spec.args.iter().map(|t| t.to_string()).collect();
                let mut args = args.join(", ");
                if args.chars().count() > 100 {
                    // Keep messages readable when a tuple type is huge.
                    args = args.chars().take(97).collect::<String>() + "...";
                }
                format!("{prefix}{}({args})", def.name.name)
            }
        }
    }

    /// Lowers one specialization with the current return-type table.
    fn lower_spec(&mut self, id: FuncId) -> (Func, Option<Type>) {
        let outer = self.lowering.replace(id);
        let r = self.lower_spec_body(id);
        self.lowering = outer;
        r
    }

    fn lower_spec_body(&mut self, id: FuncId) -> (Func, Option<Type>) {
        let body = self.st.specs[id as usize].body;
        let args = self.st.specs[id as usize].args.clone();
        let name = self.spec_name(id);
        match body {
            Body::Script(m) => {
                let mut cx = FnCx::new(m, Some(Type::Unit), true);
                let mut out = Vec::new();
                let mut owned = self.owned_script.take();
                self.widening(&mut cx, &mut out, |ch, cx, out| match &mut owned {
                    Some(owned) => {
                        owned.start = cx.widen.clone();
                        for s in &owned.body {
                            ch.stmt(cx, s, out);
                            out.clear();
                        }
                    }
                    None => {
                        for item in &ch.loaded.modules[m].ast.items {
                            if let Item::Stmt(s) = item {
                                ch.stmt(cx, s, out);
                            }
                        }
                    }
                });
                self.owned_script = owned;
                let file = self.loaded.modules[m].file;
                let func = Func {
                    name,
                    params: vec![],
                    locals: cx.locals,
                    ret: Type::Unit,
                    body: out,
                    span: Span::new(file, 0, 0),
                };
                (func, Some(Type::Unit))
            }
            Body::Entry(k) => self.lower_entry(k, args, name),
            Body::Prange { .. } => {
                let func = self.st.prange_funcs.get(&id).cloned().unwrap_or_else(|| Func {
                    name,
                    params: vec![],
                    locals: vec![],
                    ret: Type::Unknown,
                    body: vec![],
                    span: Span::default(),
                });
                let ret = Some(func.ret.clone());
                (func, ret)
            }
            Body::Fn(did) => {
                let (_, def) = self.def(did);
                let m = did.module;
                let declared_ret = def.ret.as_ref().map(|t| self.resolve_type(t));
                let mut cx = FnCx::new(m, declared_ret, false);
                let mut params = Vec::new();
                let mut out = Vec::new();
                self.widening(&mut cx, &mut out, |ch, cx, out| {
                    params = def
                        .params
                        .iter()
                        .zip(&args)
                        .map(|(p, t)| cx.bind(&p.name.name, t.clone()))
                        .collect();
                    for s in &def.body.stmts {
                        ch.stmt(cx, s, out);
                    }
                });
                // `cx`'s: a function returning different strings returns a run-time one.
                let ret = match cx.declared_ret.clone() {
                    Some(t) => Some(t),
                    None => self.join_returns(&cx.returns, id),
                };
                let ret_ty = ret.clone().unwrap_or(Type::Unknown);
                if ret_ty != Type::Unit && !ret_ty.is_unknown() && !always_returns(&out) {
                    self.diags.push(Diagnostic::error(
                        def.name.span,
                        format!(
                            "function `{}` returns {ret_ty} but may reach its end without a `return`",
                            def.name.name
                        ),
                    ));
                }
                let func = Func {
                    name,
                    params,
                    locals: cx.locals,
                    ret: ret_ty,
                    body: out,
                    span: def.name.span,
                };
                (func, ret)
            }
        }
    }

    /// Lowers a body with `pass`, again while a pass widens a variable (each widening moves
    /// one variable up the promotion order, so this ends; bounded anyway). The errors of
    /// an abandoned pass are dropped with it.
    fn widening(
        &mut self,
        cx: &mut FnCx,
        out: &mut Vec<Stmt>,
        mut pass: impl FnMut(&mut Self, &mut FnCx, &mut Vec<Stmt>),
    ) {
        for _ in 0..MAX_WIDENING_PASSES {
            let diags = self.diags.len();
            pass(self, cx, out);
            if !cx.widened {
                return;
            }
            self.diags.truncate(diags);
            *cx = cx.again();
            out.clear();
        }
        let known: HashSet<Span> = cx.widen.keys().copied().collect();
        pass(self, cx, out);
        // A variable still widening was typed narrower than a value it holds: an error,
        // not a silently truncated value.
        if let Some(&at) = cx.widen.keys().filter(|s| !known.contains(s)).min_by_key(|s| s.lo) {
            self.diags.push(Diagnostic::error(
                at,
                format!(
                    "the type of this variable depends on a chain of more than {MAX_WIDENING_PASSES} assignments that each widen the next; give it a type (`let name: f64 = ...`)"
                ),
            ));
        }
    }

    /// A REPL entry: its statements with the session's variables as parameters; a final
    /// expression is printed (when the entry asks for it); the top-level variables'
    /// values are returned as a tuple.
    fn lower_entry(&mut self, k: u32, args: Vec<Type>, name: String) -> (Func, Option<Type>) {
        let e = self.st.entries[k as usize].clone();
        let loaded: &'a Loaded = self.loaded;
        let source = &loaded.modules[e.source];
        let mut cx = FnCx::new(e.scope, None, true);
        let stmts: Vec<&ast::Stmt> = source
            .ast
            .items
            .iter()
            .filter_map(|it| match it {
                Item::Stmt(s) => Some(&**s),
                _ => None,
            })
            .collect();
        let mut params: Vec<LocalId> = Vec::new();
        let mut out = Vec::new();
        let mut value_type = None;
        self.widening(&mut cx, &mut out, |ch, cx, out| {
            params = e
                .vars
                .iter()
                .zip(&args)
                .map(|(n, t)| cx.bind(n, t.clone()))
                .collect();
            value_type = None;
            for (i, s) in stmts.iter().enumerate() {
                let last = i + 1 == stmts.len();
                match &s.kind {
                    StmtKind::Expr(x) if last && !is_statement_call(x) => {
                        let v = ch.expr(cx, x);
                        value_type = Some(v.ty.clone());
                        let shown = !matches!(v.ty, Type::Unit | Type::Unknown);
                        out.push(if e.display && shown {
                            Stmt::Print(vec![v])
                        } else {
                            Stmt::Expr(v)
                        });
                    }
                    _ => ch.stmt(cx, s, out),
                }
            }
        });
        // The variables, each at its latest binding: the session's, then new ones.
        let span = Span::new(source.file, 0, 0);
        let mut names: Vec<String> = e.vars.clone();
        for n in cx.scopes.first().into_iter().flatten() {
            if !names.contains(n) {
                names.push(n.clone());
            }
        }
        let mut kept = Vec::new();
        let mut elems = Vec::new();
        for n in names {
            let Some(id) = cx.lookup(&n) else { continue };
            let ty = cx.locals[id as usize].ty.clone();
            if ty == Type::Unit || ty.is_unknown() {
                continue;
            }
            // A string variable lives on as a run-time string (its later entries may
            // assign it another).
            elems.push(builtins::runtime_str(local(id, ty, span)));
            kept.push(n);
        }
        let ret = if elems.is_empty() {
            Type::Unit
        } else {
            let ty = Type::tuple(elems.iter().map(|x| x.ty.clone()).collect());
            out.push(Stmt::Return(Some(Expr {
                kind: ExprKind::Tuple(elems),
                ty: ty.clone(),
                span,
            })));
            ty
        };
        let entry = &mut self.st.entries[k as usize];
        entry.out = kept;
        entry.value_type = value_type;
        let func = Func {
            name,
            params,
            locals: cx.locals,
            ret: ret.clone(),
            body: out,
            span,
        };
        (func, Some(ret))
    }

    /// The inferred return type: all `return`s whose type is known must agree.
    fn join_returns(&mut self, returns: &[(Type, Span)], id: FuncId) -> Option<Type> {
        if returns.is_empty() {
            return Some(Type::Unit);
        }
        let mut known = returns.iter().filter(|(t, _)| !t.is_unknown());
        let (first, first_span) = known.next()?.clone();
        for (t, span) in known {
            if *t != first {
                let name = self.spec_name(id);
                self.diags.push(
                    Diagnostic::error(
                        *span,
                        format!("type mismatch: `{name}` returns {t} here but {first} elsewhere"),
                    )
                    .with_label(first_span, format!("returns {first} here")),
                );
            }
        }
        Some(first)
    }

    pub(super) fn resolve_type(&mut self, t: &TypeExpr) -> Type {
        match t {
            TypeExpr::Named { name, dims } if name.name == "str" => {
                if *dims != 0 {
                    self.err(name.span, "arrays of strings are not supported");
                    return Type::Unknown;
                }
                // A declared `str` holds any string: one specialization, the value known
                // when the program runs.
                Type::Str(None)
            }
            TypeExpr::Named { name, dims } => {
                let Some(prim) = Prim::from_name(&name.name) else {
                    self.err(
                        name.span,
                        format!(
                            "unknown type `{}` (expected bool, u8, i32, i64, f32, f64 or str)",
                            name.name
                        ),
                    );
                    return Type::Unknown;
                };
                match *dims {
                    0 => Type::Prim(prim),
                    1..=3 => Type::Array(prim, *dims as u8),
                    _ => {
                        self.err(name.span, "arrays have at most 3 dimensions");
                        Type::Unknown
                    }
                }
            }
            TypeExpr::Tuple(ts, _) => {
                Type::tuple(ts.iter().map(|t| self.resolve_type(t)).collect())
            }
        }
    }

    // ---------------------------------------------------------------- statements

    fn block(&mut self, cx: &mut FnCx, b: &ast::Block) -> Vec<Stmt> {
        cx.open_scope();
        let mut out = Vec::with_capacity(b.stmts.len());
        for s in &b.stmts {
            self.stmt(cx, s, &mut out);
        }
        cx.close_scope();
        // A short block is the common one: not the four places a first push makes.
        out.shrink_to_fit();
        out
    }

    fn stmt(&mut self, cx: &mut FnCx, s: &ast::Stmt, out: &mut Vec<Stmt>) {
        match &s.kind {
            StmtKind::Error => {}
            StmtKind::Let { pat, ty, value } => {
                let mut v = self.value(cx, value);
                if let Some(t) = ty {
                    let want = self.resolve_type(t);
                    v = self.coerce(v, &want, "this `let`");
                } else if let Pattern::Name(id) = pat {
                    // An untyped scalar `let`: the type of all its assignments.
                    match cx.widen.get(&id.span) {
                        Some(&Type::Prim(wide)) => v = Expr::cast(wide, v),
                        Some(Type::Str(None)) => v = builtins::runtime_str(v),
                        _ => {}
                    }
                    let l = cx.bind(&id.name, v.ty.clone());
                    if matches!(v.ty, Type::Prim(p) if p.is_numeric()) || matches!(v.ty, Type::Str(Some(_))) {
                        cx.decl[l as usize] = Some(id.span);
                    }
                    out.push(Stmt::Assign(l, v));
                    return;
                }
                self.bind_pattern(cx, pat, v, out);
            }
            StmtKind::Assign { target, op, value } => {
                self.assign(cx, target, *op, value, s.span, out)
            }
            StmtKind::Expr(e) => {
                if let ast::ExprKind::Call(callee, args) = &e.kind {
                    if let ast::ExprKind::Name(n) = &callee.kind {
                        if cx.lookup(n).is_none() && !self.st.fns[cx.module].contains_key(n.as_str()) {
                            match n.as_str() {
                                "print" => {
                                    let args = args.iter().map(|a| self.printable(cx, a)).collect();
                                    out.push(Stmt::Print(args));
                                    return;
                                }
                                "assert" => {
                                    self.assert(cx, args, e.span, out, false);
                                    return;
                                }
                                // The prelude's checks: like `assert`, but the message
                                // is the whole error (as NumPy words it).
                                "__check" if cx.module == self.loaded.prelude => {
                                    self.assert(cx, args, e.span, out, true);
                                    return;
                                }
                                _ => {}
                            }
                        }
                    }
                }
                let e = self.expr(cx, e);
                out.push(Stmt::Expr(e));
            }
            StmtKind::If { cond, then, els } => {
                let c = self.condition(cx, cond);
                let t = self.block(cx, then);
                let e = els.as_ref().map(|b| self.block(cx, b)).unwrap_or_default();
                out.push(Stmt::If(Box::new(c), t, e));
            }
            StmtKind::While { cond, body } => {
                let c = self.condition(cx, cond);
                cx.loop_depth += 1;
                let b = self.block(cx, body);
                cx.loop_depth -= 1;
                out.push(Stmt::While(Box::new(c), b));
            }
            StmtKind::For { var, iter, body } => self.for_loop(cx, var, iter, body, s.span, out),
            StmtKind::Return(e) => {
                if cx.is_script {
                    self.err(s.span, "`return` outside of a function");
                    return;
                }
                if cx.par.is_some() {
                    self.err(
                        s.span,
                        "`return` inside a `prange` loop: its iterations run independently; \
                         compute a result per iteration into an array, or use a `range` loop",
                    );
                    return;
                }
                let v = match e {
                    Some(e) => {
                        let v = self.value(cx, e);
                        Some(match cx.declared_ret.clone() {
                            Some(want) => self.coerce(v, &want, "the declared return type"),
                            None => v,
                        })
                    }
                    None => {
                        if let Some(want) = cx.declared_ret.clone() {
                            if want != Type::Unit {
                                self.err(s.span, format!("type mismatch: expected a value of type {want} after `return`"));
                            }
                        }
                        None
                    }
                };
                let ty = v.as_ref().map_or(Type::Unit, |v| v.ty.clone());
                if cx.declared_ret.is_none()
                    && matches!(ty, Type::Str(_))
                    && cx.returns.iter().any(|(t, _)| matches!(t, Type::Str(_)) && *t != ty)
                {
                    // Different strings returned: the function returns a run-time string
                    // (lowered again with that return type).
                    cx.declared_ret = Some(Type::Str(None));
                    cx.widened = true;
                    return;
                }
                cx.returns.push((ty, s.span));
                out.push(Stmt::Return(v));
            }
            StmtKind::Break | StmtKind::Continue => {
                if cx.loop_depth == 0 {
                    self.err(s.span, "`break`/`continue` outside of a loop");
                } else if matches!(s.kind, StmtKind::Break)
                    && cx.par.as_ref().is_some_and(|p| p.depth == cx.loop_depth)
                {
                    self.err(
                        s.span,
                        "`break` cannot leave a `prange` loop: its iterations run \
                         independently (use a `range` loop, or `continue`)",
                    );
                } else if matches!(s.kind, StmtKind::Break) {
                    out.push(Stmt::Break);
                } else {
                    out.push(Stmt::Continue);
                }
            }
            StmtKind::Block(b) => {
                let stmts = self.block(cx, b);
                out.push(Stmt::If(
                    Box::new(Expr {
                        kind: ExprKind::Bool(true),
                        ty: Type::BOOL,
                        span: b.span,
                    }),
                    stmts,
                    vec![],
                ));
            }
        }
    }

    fn assert(
        &mut self,
        cx: &mut FnCx,
        args: &[ast::Expr],
        span: Span,
        out: &mut Vec<Stmt>,
        plain: bool,
    ) {
        if args.is_empty() || args.len() > 2 {
            self.err(
                span,
                format!(
                    "`assert` takes 1 or 2 arguments but {} were given",
                    args.len()
                ),
            );
            return;
        }
        let c = self.condition(cx, &args[0]);
        let msg = match args.get(1).map(|a| &a.kind) {
            None => None,
            Some(ast::ExprKind::Str(s)) => Some(s.clone()),
            Some(_) => {
                self.err(
                    args[1].span,
                    "type mismatch: the message of `assert` must be a string literal",
                );
                None
            }
        };
        let message = match (msg, plain) {
            (Some(m), true) => m,
            (Some(m), false) => format!("assertion failed: {m}"),
            (None, _) => "assertion failed".to_string(),
        };
        out.push(Stmt::Assert(Box::new(c), message, span));
    }

    fn printable(&mut self, cx: &mut FnCx, a: &ast::Expr) -> Expr {
        if let ast::ExprKind::Str(s) = &a.kind {
            return Expr {
                kind: ExprKind::Str(s.clone()),
                ty: Type::str_lit(s.clone()),
                span: a.span,
            };
        }
        self.value(cx, a)
    }

    fn condition(&mut self, cx: &mut FnCx, e: &ast::Expr) -> Expr {
        let c = self.value(cx, e);
        if c.ty != Type::BOOL && !c.ty.is_unknown() {
            return self.err(
                e.span,
                format!(
                    "type mismatch: expected bool for a condition, found {}",
                    c.ty
                ),
            );
        }
        c
    }

    fn bind_pattern(&mut self, cx: &mut FnCx, pat: &Pattern, v: Expr, out: &mut Vec<Stmt>) {
        match pat {
            Pattern::Name(id) => {
                let l = cx.bind(&id.name, v.ty.clone());
                out.push(Stmt::Assign(l, v));
            }
            Pattern::Tuple(pats, span) => {
                let elems = match &v.ty {
                    Type::Tuple(ts) if ts.len() == pats.len() => ts.to_vec(),
                    Type::Unknown => vec![Type::Unknown; pats.len()],
                    other => {
                        self.err(
                            *span,
                            format!(
                                "type mismatch: cannot unpack {other} into {} names",
                                pats.len()
                            ),
                        );
                        vec![Type::Unknown; pats.len()]
                    }
                };
                let tmp = cx.temp(v.ty.clone());
                let vspan = v.span;
                out.push(Stmt::Assign(tmp, v));
                for (i, (p, t)) in pats.iter().zip(elems).enumerate() {
                    let field = Expr {
                        kind: ExprKind::Field(
                            Box::new(local(tmp, cx.locals[tmp as usize].ty.clone(), vspan)),
                            i,
                        ),
                        ty: t,
                        span: vspan,
                    };
                    self.bind_pattern(cx, p, field, out);
                }
            }
        }
    }

    fn assign(
        &mut self,
        cx: &mut FnCx,
        target: &ast::Expr,
        op: Option<BinOp>,
        value: &ast::Expr,
        span: Span,
        out: &mut Vec<Stmt>,
    ) {
        match &target.kind {
            ast::ExprKind::Name(n) => {
                let Some(id) = cx.lookup(n) else {
                    let msg = if self.st.consts[cx.module].contains_key(n.as_str()) {
                        format!("cannot assign to constant `{n}`")
                    } else {
                        format!("undefined variable `{n}`")
                    };
                    self.err(target.span, msg);
                    return;
                };
                if cx.par.as_ref().is_some_and(|p| id < p.boundary)
                    && !self.prange_update(cx, id, n, op, value, target.span)
                {
                    return;
                }
                let ty = cx.locals[id as usize].ty.clone();
                let cur = local(id, ty.clone(), target.span);
                let v = self.value(cx, value);
                match op {
                    None => {
                        let fits = v.ty == ty
                            || (weak(value)
                                && ty.prim().and_then(|t| promote::literal_as(&v, t)).is_some());
                        if !fits && cx.widen_var(id, &v.ty) {
                            return; // lowered again with the wider type
                        }
                        let v = self.coerce(v, &ty, &format!("variable `{n}`"));
                        out.push(Stmt::Assign(id, v));
                    }
                    Some(op) if ty.is_array() => {
                        // `a += b` on an array variable updates `a` in place, as NumPy does.
                        let new = self.binary(op, cur.clone(), v, (false, weak(value)), span);
                        let new = self.coerce_elementwise(new, &ty, span);
                        out.push(Stmt::StoreSlice {
                            array: Box::new(cur),
                            index: vec![],
                            value: Box::new(new),
                            span,
                        });
                    }
                    Some(op) => {
                        let new = self.binary(op, cur, v, (false, weak(value)), span);
                        if new.ty != ty && cx.widen_var(id, &new.ty) {
                            return; // lowered again with the wider type
                        }
                        let new = self.coerce(new, &ty, &format!("variable `{n}`"));
                        out.push(Stmt::Assign(id, new));
                    }
                }
            }
            ast::ExprKind::Index(base, idx) => {
                let arr = self.value(cx, base);
                let arr = self.spill(cx, arr, out);
                let (ndim, elem) = match arr.ty {
                    Type::Array(p, n) => (n as usize, p),
                    Type::Unknown => {
                        self.value(cx, value);
                        return;
                    }
                    Type::Tuple(_) => {
                        self.err(
                            target.span,
                            "tuples cannot be changed; build a new tuple instead",
                        );
                        return;
                    }
                    ref other => {
                        self.err(
                            base.span,
                            format!("type mismatch: cannot index into {other}"),
                        );
                        return;
                    }
                };
                let indexed = self.index_args(cx, idx, ndim, target.span);
                let v = |this: &mut Self, cx: &mut FnCx| this.value(cx, value);
                match indexed {
                    Indexed::Error => {
                        v(self, cx);
                    }
                    Indexed::Elem(index) => {
                        let index: Vec<Expr> =
                            index.into_iter().map(|e| self.spill(cx, e, out)).collect();
                        let v = v(self, cx);
                        let v = match op {
                            None => v,
                            Some(op) => {
                                let cur = Expr {
                                    kind: ExprKind::Index(Box::new(arr.clone()), index.clone()),
                                    ty: Type::Prim(elem),
                                    span: target.span,
                                };
                                self.binary(op, cur, v, (false, weak(value)), span)
                            }
                        };
                        let v = match v.ty {
                            Type::Prim(p) => store_convert(v, p, elem),
                            _ => self.coerce(v, &Type::Prim(elem), "this array element"),
                        };
                        out.push(Stmt::Store {
                            array: Box::new(arr),
                            index,
                            value: Box::new(v),
                            span,
                        });
                    }
                    Indexed::View(index, view_ndim) => {
                        let index: Vec<SliceIdx> = index
                            .into_iter()
                            .map(|i| match i {
                                SliceIdx::At(e) => SliceIdx::At(self.spill(cx, e, out)),
                                SliceIdx::Range(a, b, c) => SliceIdx::Range(
                                    a.map(|e| self.spill(cx, e, out)),
                                    b.map(|e| self.spill(cx, e, out)),
                                    c.map(|e| self.spill(cx, e, out)),
                                ),
                                SliceIdx::NewAxis => SliceIdx::NewAxis,
                            })
                            .collect();
                        let v = v(self, cx);
                        let view_ty = Type::Array(elem, view_ndim);
                        let (array, index, v) = match op {
                            None => (arr, index, v),
                            Some(op) => {
                                let view = Expr {
                                    kind: ExprKind::Slice(Box::new(arr), index),
                                    ty: view_ty.clone(),
                                    span: target.span,
                                };
                                let view = self.spill(cx, view, out);
                                let new =
                                    self.binary(op, view.clone(), v, (false, weak(value)), span);
                                (view, vec![], new)
                            }
                        };
                        let v = self.slice_value(v, &view_ty, span);
                        out.push(Stmt::StoreSlice {
                            array: Box::new(array),
                            index,
                            value: Box::new(v),
                            span,
                        });
                    }
                    Indexed::Take(index, n) => {
                        let index = self.spill(cx, index, out);
                        let v = v(self, cx);
                        let sel_ty = Type::Array(elem, n);
                        // `a[idx] op= v` is `a[idx] = a[idx] op v`, as NumPy buffers it: a
                        // repeated index is updated once.
                        let v = match op {
                            None => v,
                            Some(op) => {
                                let cur = Expr {
                                    kind: ExprKind::Take(
                                        Box::new(arr.clone()),
                                        Box::new(index.clone()),
                                    ),
                                    ty: sel_ty.clone(),
                                    span: target.span,
                                };
                                self.binary(op, cur, v, (false, weak(value)), span)
                            }
                        };
                        let v = self.slice_value(v, &sel_ty, span);
                        out.push(Stmt::StoreTake {
                            array: Box::new(arr),
                            index: Box::new(index),
                            value: Box::new(v),
                            span,
                        });
                    }
                }
            }
            ast::ExprKind::TupleField(..) => {
                self.err(
                    target.span,
                    "tuples cannot be changed; build a new tuple instead",
                );
            }
            _ => {
                self.err(target.span, "cannot assign to this expression");
            }
        }
    }

    /// A value stored into a view: a scalar of the element type (filled) or an array of
    /// the view's dimensions.
    fn slice_value(&mut self, v: Expr, view_ty: &Type, span: Span) -> Expr {
        let Type::Array(elem, n) = *view_ty else {
            return v;
        };
        match &v.ty {
            // Stored values convert to the element type as NumPy's assignment does.
            Type::Prim(p) => store_convert(v.clone(), *p, elem),
            Type::Array(_, m) if *m <= n => v, // broadcast at run time
            Type::Unknown => v,
            other => self.err(
                span,
                format!("type mismatch: cannot store {other} into a slice of type {view_ty}"),
            ),
        }
    }

    /// After `a op= b` on an array `a`: the new value must fit `a`'s element type by
    /// NumPy's "same kind" rule (an integer result into a float array, a float into any
    /// float array, an integer into any integer array; not a float into an integer array).
    fn coerce_elementwise(&mut self, v: Expr, want: &Type, span: Span) -> Expr {
        match (&v.ty, want) {
            (Type::Array(p, n), Type::Array(q, m))
                if n == m && (p == q || (!p.is_float() && *p != Prim::Bool) || q.is_float()) =>
            {
                v
            }
            (Type::Unknown, _) => v,
            (got, _) => self.err(
                span,
                format!("type mismatch: the result is {got}, which cannot be stored in {want}"),
            ),
        }
    }

    /// Moves a non-trivial expression into a temporary so it can be used twice.
    fn spill(&mut self, cx: &mut FnCx, e: Expr, out: &mut Vec<Stmt>) -> Expr {
        if is_trivial(&e) || e.ty.is_unknown() {
            return e;
        }
        let t = cx.temp(e.ty.clone());
        let (ty, span) = (e.ty.clone(), e.span);
        out.push(Stmt::Assign(t, e));
        local(t, ty, span)
    }

    fn for_loop(
        &mut self,
        cx: &mut FnCx,
        var: &ast::Ident,
        iter: &ast::ForIter,
        body: &ast::Block,
        span: Span,
        out: &mut Vec<Stmt>,
    ) {
        // (start, end, step) of an integer range, or an array to iterate over.
        let mut parallel = false;
        let range: Result<(Expr, Expr, Option<Expr>), Expr> = match iter {
            ast::ForIter::Range(a, b) => Ok((self.int_value(cx, a), self.int_value(cx, b), None)),
            ast::ForIter::Expr(e) => match &e.kind {
                ast::ExprKind::Call(c, args) if matches!(&c.kind, ast::ExprKind::Name(n) if (n == "range" || n == "prange") && cx.lookup(n).is_none() && !self.st.fns[cx.module].contains_key(n.as_str())) =>
                {
                    let a: Vec<Expr> = args.iter().map(|a| self.int_value(cx, a)).collect();
                    let zero = Expr {
                        kind: ExprKind::Int(0),
                        ty: Type::I64,
                        span: e.span,
                    };
                    parallel = matches!(&c.kind, ast::ExprKind::Name(n) if n == "prange");
                    match a.len() {
                        1 => Ok((zero, a[0].clone(), None)),
                        2 => Ok((a[0].clone(), a[1].clone(), None)),
                        3 if !parallel => Ok((a[0].clone(), a[1].clone(), Some(a[2].clone()))),
                        n if parallel => {
                            self.err(
                                e.span,
                                format!("`prange` takes 1 or 2 arguments (its step is 1) but {n} were given"),
                            );
                            Ok((zero.clone(), zero, None))
                        }
                        n => {
                            self.err(
                                e.span,
                                format!("`range` takes 1 to 3 arguments but {n} were given"),
                            );
                            Ok((zero.clone(), zero, None))
                        }
                    }
                }
                _ => Err(self.value(cx, e)),
            },
        };
        // A `prange` inside a `prange` runs serially: a plain loop of the outer body.
        let outline = parallel && cx.par.is_none();
        let boundary = cx.locals.len() as LocalId;
        cx.open_scope();
        cx.loop_depth += 1;
        if outline {
            cx.par = Some(ParCx {
                boundary,
                depth: cx.loop_depth,
                reductions: Vec::new(),
            });
        }
        match range {
            Ok((start, end, step)) => {
                let needs_counter = assigns_name(body, &var.name);
                let counter = if needs_counter { cx.temp(Type::I64) } else { 0 };
                let v = cx.bind(&var.name, Type::I64);
                let mut stmts = Vec::new();
                if needs_counter {
                    stmts.push(Stmt::Assign(v, local(counter, Type::I64, var.span)));
                }
                stmts.extend(self.block(cx, body));
                let var = if needs_counter { counter } else { v };
                match cx.par.take() {
                    Some(par) if outline => {
                        let lp = self.outline_prange(cx, par, var, start, end, stmts, span);
                        out.push(lp);
                    }
                    par => {
                        cx.par = par;
                        out.push(Stmt::ForRange {
                            var,
                            start: Box::new(start),
                            end: Box::new(end),
                            step: step.map(Box::new),
                            body: stmts,
                            span,
                        });
                    }
                }
            }
            Err(arr) => {
                let (elem_ty, ndim) = match arr.ty {
                    Type::Array(p, 1) => (Type::Prim(p), 1),
                    Type::Array(p, n) => (Type::Array(p, n - 1), n),
                    Type::Unknown => (Type::Unknown, 1),
                    ref other => {
                        let msg = format!(
                            "type mismatch: `for ... in` needs a range or an array, found {other}"
                        );
                        self.err(arr.span, msg);
                        (Type::Unknown, 1)
                    }
                };
                let arr_span = arr.span;
                let arr_ty = arr.ty.clone();
                let a = cx.temp(arr_ty.clone());
                out.push(Stmt::Assign(a, arr));
                let counter = cx.temp(Type::I64);
                let v = cx.bind(&var.name, elem_ty.clone());
                let arr_e = local(a, arr_ty, arr_span);
                let i_e = local(counter, Type::I64, var.span);
                let element = if ndim == 1 {
                    ExprKind::Index(Box::new(arr_e.clone()), vec![i_e])
                } else {
                    ExprKind::Slice(Box::new(arr_e.clone()), vec![SliceIdx::At(i_e)])
                };
                let mut stmts = vec![Stmt::Assign(
                    v,
                    Expr {
                        kind: element,
                        ty: elem_ty,
                        span: var.span,
                    },
                )];
                stmts.extend(self.block(cx, body));
                let len = Expr {
                    kind: ExprKind::Builtin(Builtin::Len, vec![arr_e]),
                    ty: Type::I64,
                    span: arr_span,
                };
                out.push(Stmt::ForRange {
                    var: counter,
                    start: Box::new(Expr {
                        kind: ExprKind::Int(0),
                        ty: Type::I64,
                        span,
                    }),
                    end: Box::new(len),
                    step: None,
                    body: stmts,
                    span,
                });
            }
        }
        cx.loop_depth -= 1;
        cx.close_scope();
    }

    /// An assignment `name op= value` (or `name = value`) inside a `prange` body to `id`, a
    /// variable declared outside the loop: allowed only as a reduction of a numeric
    /// scalar (`+=`, `*=`, `= min(name, e)`, `= max(name, e)`), which is recorded. Reports
    /// anything else and returns false.
    fn prange_update(
        &mut self,
        cx: &mut FnCx,
        id: LocalId,
        n: &str,
        op: Option<BinOp>,
        value: &ast::Expr,
        span: Span,
    ) -> bool {
        let is_builtin = |f: &str| cx.lookup(f).is_none() && !self.st.fns[cx.module].contains_key(f);
        let r = match (op, &value.kind) {
            (Some(BinOp::Add), _) => Some(Reduce::Sum),
            (Some(BinOp::Mul), _) => Some(Reduce::Prod),
            (None, ast::ExprKind::Call(f, args)) if args.len() == 2 => {
                let is_var = |e: &ast::Expr| matches!(&e.kind, ast::ExprKind::Name(x) if x == n);
                match &f.kind {
                    // The variable first: `min(v, e)` keeps the earlier of two equal
                    // values (signed zeros, NaNs), which the parts' combination follows.
                    ast::ExprKind::Name(f) if is_builtin(f) && is_var(&args[0]) => {
                        match f.as_str() {
                            "min" => Some(Reduce::Min),
                            "max" => Some(Reduce::Max),
                            _ => None,
                        }
                    }
                    _ => None,
                }
            }
            _ => None,
        };
        let ty = cx.locals[id as usize].ty.clone();
        let scalar = ty.is_numeric();
        let Some(r) = r.filter(|_| scalar) else {
            let msg = if ty.is_array() {
                format!(
                    "`{n}` is declared outside this `prange` loop, so its iterations may not \
                     assign it; write distinct elements instead (`{n}[i] = ...`)"
                )
            } else {
                format!(
                    "`{n}` is declared outside this `prange` loop: inside it, it may only be \
                     updated as a reduction of a number — `{n} += e`, `{n} *= e`, \
                     `{n} = min({n}, e)` or `{n} = max({n}, e)`"
                )
            };
            self.err(span, msg);
            return false;
        };
        let Some(par) = cx.par.as_mut() else {
            return true;
        };
        match par.reductions.iter().find(|(v, _, _)| *v == id) {
            Some(&(_, other, _)) if other != r => {
                let msg = format!(
                    "`{n}` is reduced with both `{}` and `{}` in this `prange` loop: one \
                     reduction per variable",
                    reduction_form(other),
                    reduction_form(r)
                );
                self.err(span, msg);
                false
            }
            Some(_) => true,
            None => {
                par.reductions.push((id, r, span));
                true
            }
        }
    }

    /// Moves a `prange` loop's body (lowered in the parent's locals) into a specialization
    /// of its own, `(start, end, captured..., reductions...) -> reductions`, and returns
    /// the statement that calls it. Reports a reduction variable read inside the loop
    /// (there it holds only a part's value).
    #[allow(clippy::too_many_arguments)]
    fn outline_prange(
        &mut self,
        cx: &mut FnCx,
        par: ParCx,
        var: LocalId,
        start: Expr,
        end: Expr,
        body: Vec<Stmt>,
        span: Span,
    ) -> Stmt {
        let reds: Vec<(LocalId, Reduce)> = par.reductions.iter().map(|&(v, r, _)| (v, r)).collect();
        // Outer locals the body reads, and the reduction variables' reads and updates.
        let mut captured: Vec<LocalId> = Vec::new();
        let mut reads = vec![0usize; reds.len()];
        let mut updates = vec![0usize; reds.len()];
        crate::ir::walk(
            &body,
            &mut |s| {
                if let Stmt::Assign(v, _) = s {
                    if let Some(k) = reds.iter().position(|&(r, _)| r == *v) {
                        updates[k] += 1;
                    }
                }
            },
            &mut |e| {
                if let ExprKind::Local(l) = e.kind {
                    if let Some(k) = reds.iter().position(|&(r, _)| r == l) {
                        reads[k] += 1;
                    } else if l < par.boundary && !captured.contains(&l) {
                        captured.push(l);
                    }
                }
            },
        );
        for (k, &(v, _, at)) in par.reductions.iter().enumerate() {
            if reads[k] > updates[k] {
                let n = cx.locals[v as usize].name.clone();
                self.err(
                    at,
                    format!(
                        "`{n}` is a reduction variable of this `prange` loop: inside the loop \
                         it holds only part of the result, so it may be updated (`{}`) but not \
                         read; read it after the loop",
                        reduction_form(reds[k].1)
                    ),
                );
            }
        }
        captured.sort_unstable();
        // The body's locals: start, end, captured, reductions (the parameters), then the
        // loop's own in their order.
        let (nc, nr) = (captured.len() as LocalId, reds.len() as LocalId);
        let inner = cx.locals.len() as LocalId - par.boundary;
        let outer_pos = |l: LocalId| -> LocalId {
            match captured.iter().position(|&c| c == l) {
                Some(k) => 2 + k as LocalId,
                None => 2 + nc + reds.iter().position(|&(v, _)| v == l).unwrap_or(0) as LocalId,
            }
        };
        let map = |l: LocalId| {
            if l >= par.boundary {
                2 + nc + nr + (l - par.boundary)
            } else {
                outer_pos(l)
            }
        };
        let mut locals = vec![
            Local {
                name: "start".into(),
                ty: Type::I64,
            },
            Local {
                name: "end".into(),
                ty: Type::I64,
            },
        ];
        locals.extend(captured.iter().map(|&l| cx.locals[l as usize].clone()));
        locals.extend(reds.iter().map(|&(l, _)| cx.locals[l as usize].clone()));
        locals.extend((0..inner).map(|k| cx.locals[(par.boundary + k) as usize].clone()));
        let mut body = body;
        crate::ir::rename_locals(&mut body, &map);
        let red_tys: Vec<Type> = reds.iter().map(|&(l, _)| cx.locals[l as usize].ty.clone()).collect();
        let ret = match red_tys.as_slice() {
            [] => Type::Unit,
            [t] => t.clone(),
            ts => Type::tuple(ts.to_vec()),
        };
        let at_param = |k: LocalId, ty: &Type| local(k, ty.clone(), span);
        let mut stmts = vec![Stmt::ForRange {
            var: map(var),
            start: Box::new(at_param(0, &Type::I64)),
            end: Box::new(at_param(1, &Type::I64)),
            step: None,
            body,
            span,
        }];
        let results: Vec<Expr> = (0..nr)
            .map(|k| at_param(2 + nc + k, &red_tys[k as usize]))
            .collect();
        match results.len() {
            0 => {}
            1 => stmts.push(Stmt::Return(results.into_iter().next())),
            _ => stmts.push(Stmt::Return(Some(Expr {
                kind: ExprKind::Tuple(results),
                ty: ret.clone(),
                span,
            }))),
        }
        let parent = self.lowering.unwrap_or(0);
        let id = self.prange_spec(parent, span);
        let func = Func {
            name: self.spec_name(id),
            params: (0..2 + nc + nr).collect(),
            locals,
            ret: ret.clone(),
            body: stmts,
            span,
        };
        self.st.prange_funcs.insert(id, func);
        let mut args = vec![start, end];
        args.extend(captured.iter().map(|&l| local(l, cx.locals[l as usize].ty.clone(), span)));
        args.extend(reds.iter().map(|&(l, _)| local(l, cx.locals[l as usize].ty.clone(), span)));
        Stmt::ParFor(Box::new(ParLoop {
            call: Expr {
                kind: ExprKind::Call(id, args),
                ty: ret,
                span,
            },
            reductions: reds,
            span,
        }))
    }

    /// The specialization of the `prange` body at `at` in `parent`: the one made by an
    /// earlier lowering of the parent, or a new one.
    fn prange_spec(&mut self, parent: FuncId, at: Span) -> FuncId {
        if let Some(&id) = self.st.prange_index.get(&(parent, at)) {
            return id;
        }
        let id = self.st.specs.len() as FuncId;
        self.st.specs.push(Spec {
            body: Body::Prange { parent, at },
            args: vec![],
            origin: None,
        });
        self.st.rets.push(None);
        self.st.prange_index.insert((parent, at), id);
        id
    }

    // ---------------------------------------------------------------- expressions

    /// An expression whose value is used: a call that returns nothing is an error here.
    fn value(&mut self, cx: &mut FnCx, e: &ast::Expr) -> Expr {
        let v = self.expr(cx, e);
        match v.ty {
            Type::Unit => self.err(e.span, "type mismatch: this call returns no value"),
            // Strings are values known when the program is checked (a function taking one
            // is specialized per string, as Numba's literal strings).
            _ => v,
        }
    }

    fn int_value(&mut self, cx: &mut FnCx, e: &ast::Expr) -> Expr {
        let v = self.value(cx, e);
        if v.ty != Type::I64 && !v.ty.is_unknown() {
            return self.err(
                e.span,
                format!("type mismatch: expected i64, found {}", v.ty),
            );
        }
        v
    }

    /// Converts `e` to `want` where nk allows it (i64 → f64, element-wise in tuples), or
    /// reports a mismatch naming `what`.
    pub(super) fn coerce(&mut self, e: Expr, want: &Type, what: &str) -> Expr {
        if &e.ty == want || e.ty.is_unknown() || want.is_unknown() {
            return e;
        }
        match (&e.ty, want) {
            (Type::Str(Some(_)), Type::Str(None)) => builtins::runtime_str(e),
            (Type::Prim(from), Type::Prim(to)) => {
                if let Some(lit) = promote::literal_as(&e, *to) {
                    return lit;
                }
                if from.widens_to(*to) {
                    return Expr::cast(*to, e);
                }
                self.err(
                    e.span,
                    format!("type mismatch: expected {want} for {what}, found {}", e.ty),
                )
            }
            (Type::Tuple(ts), Type::Tuple(ws)) if ts.len() == ws.len() => {
                if let ExprKind::Tuple(items) = e.kind {
                    let items: Vec<Expr> = items
                        .into_iter()
                        .zip(ws.iter())
                        .map(|(x, w)| self.coerce(x, w, what))
                        .collect();
                    let ty = Type::tuple(items.iter().map(|x| x.ty.clone()).collect());
                    Expr {
                        kind: ExprKind::Tuple(items),
                        ty,
                        span: e.span,
                    }
                } else {
                    self.err(
                        e.span,
                        format!("type mismatch: expected {want} for {what}, found {}", e.ty),
                    )
                }
            }
            _ => self.err(
                e.span,
                format!("type mismatch: expected {want} for {what}, found {}", e.ty),
            ),
        }
    }

    fn expr(&mut self, cx: &mut FnCx, e: &ast::Expr) -> Expr {
        cx.depth += 1;
        let r = if cx.depth > MAX_EXPR_DEPTH {
            self.err(
                e.span,
                format!("expression nested more than {MAX_EXPR_DEPTH} deep"),
            )
        } else {
            self.expr_inner(cx, e)
        };
        cx.depth -= 1;
        r
    }

    fn expr_inner(&mut self, cx: &mut FnCx, e: &ast::Expr) -> Expr {
        let span = e.span;
        let mk = |kind, ty| Expr { kind, ty, span };
        match &e.kind {
            ast::ExprKind::Int(i) => mk(ExprKind::Int(*i), Type::I64),
            ast::ExprKind::Float(f) => mk(ExprKind::Float(*f), Type::F64),
            ast::ExprKind::Bool(b) => mk(ExprKind::Bool(*b), Type::BOOL),
            ast::ExprKind::Str(s) => mk(ExprKind::Str(s.clone()), Type::str_lit(s.clone())),
            ast::ExprKind::Name(n) => {
                if let Some(id) = cx.lookup(n) {
                    let ty = cx.locals[id as usize].ty.clone();
                    return mk(ExprKind::Local(id), ty);
                }
                if let Some(c) = self.const_value(cx.module, n, span) {
                    return c;
                }
                if self.st.fns[cx.module].contains_key(n.as_str())
                    || builtins::is_builtin_name(n)
                    || self.loaded.hosts.iter().any(|h| h.name == *n)
                {
                    return self.err(
                        span,
                        format!("`{n}` is a function; functions are not values (call it)"),
                    );
                }
                let names: Vec<&str> = cx
                    .bindings
                    .iter()
                    .filter(|(_, ids)| !ids.is_empty())
                    .map(|(k, _)| k.as_str())
                    .chain(self.st.consts[cx.module].keys().map(String::as_str))
                    .collect();
                let hint = did_you_mean(n, names);
                self.err(span, format!("undefined variable `{n}`{hint}"))
            }
            ast::ExprKind::Binary(op, a, b) => {
                let w = (weak(a), weak(b));
                let a = self.value(cx, a);
                let b = self.value(cx, b);
                self.binary(*op, a, b, w, span)
            }
            ast::ExprKind::And(a, b) | ast::ExprKind::Or(a, b) => {
                let a = self.condition(cx, a);
                let b = self.condition(cx, b);
                let kind = if matches!(e.kind, ast::ExprKind::And(..)) {
                    ExprKind::And(Box::new(a), Box::new(b))
                } else {
                    ExprKind::Or(Box::new(a), Box::new(b))
                };
                mk(kind, Type::BOOL)
            }
            ast::ExprKind::Not(a) => {
                let a = self.value(cx, a);
                match a.ty {
                    Type::Prim(Prim::Bool) | Type::Array(Prim::Bool, _) | Type::Unknown => {
                        let ty = a.ty.clone();
                        mk(ExprKind::Unary(UnOp::Not, Box::new(a)), ty)
                    }
                    ref other => self.err(
                        span,
                        format!("type mismatch: `not` needs bool, found {other}"),
                    ),
                }
            }
            ast::ExprKind::Neg(a) => {
                let a = self.value(cx, a);
                if let (ExprKind::Int(i), true) = (&a.kind, a.ty == Type::I64) {
                    return mk(ExprKind::Int(i.wrapping_neg()), Type::I64);
                }
                if let (ExprKind::Float(f), true) = (&a.kind, a.ty == Type::F64) {
                    return mk(ExprKind::Float(-f), Type::F64);
                }
                match a.ty {
                    Type::Prim(p) | Type::Array(p, _) if p.is_numeric() => {
                        let ty = a.ty.clone();
                        mk(ExprKind::Unary(UnOp::Neg, Box::new(a)), ty)
                    }
                    Type::Unknown => {
                        let ty = a.ty.clone();
                        mk(ExprKind::Unary(UnOp::Neg, Box::new(a)), ty)
                    }
                    ref other => self.err(span, format!("type mismatch: cannot negate {other}")),
                }
            }
            ast::ExprKind::BitNot(a) => {
                let a = self.value(cx, a);
                match a.ty {
                    Type::Prim(Prim::Bool) | Type::Array(Prim::Bool, _) => {
                        let ty = a.ty.clone();
                        mk(ExprKind::Unary(UnOp::Not, Box::new(a)), ty)
                    }
                    Type::Prim(p) | Type::Array(p, _) if p.is_int() => {
                        let ty = a.ty.clone();
                        mk(ExprKind::Unary(UnOp::BitNot, Box::new(a)), ty)
                    }
                    Type::Unknown => unknown(span),
                    ref other => self.err(
                        span,
                        format!("type mismatch: `~` needs an integer or bool, found {other}"),
                    ),
                }
            }
            ast::ExprKind::ArrayLit(_) => self.array_literal(cx, e),
            ast::ExprKind::MatMul(a, b) => {
                let a = self.value(cx, a);
                let b = self.value(cx, b);
                match builtins::lower(self, "dot", vec![a, b], builtins::Extra::default(), span) {
                    Some(r) => r.unwrap_or_else(|msg| self.err(span, msg.replace("`dot`", "`@`"))),
                    None => unknown(span),
                }
            }
            ast::ExprKind::Call(callee, args) => self.call(cx, callee, args, span),
            ast::ExprKind::Keyword(k, _) => self.err(
                k.span,
                "a keyword argument (`name=value`) can only be an argument of a call",
            ),
            ast::ExprKind::Index(base, idx) => {
                let arr = self.value(cx, base);
                let (ndim, elem) = match arr.ty {
                    Type::Array(p, n) => (n as usize, p),
                    Type::Unknown => return unknown(span),
                    Type::Tuple(ref ts) => return self.tuple_index(arr.clone(), ts.len(), idx, span),
                    ref other => {
                        return self.err(
                            base.span,
                            format!("type mismatch: cannot index into {other}"),
                        );
                    }
                };
                match self.index_args(cx, idx, ndim, span) {
                    Indexed::Elem(index) => {
                        mk(ExprKind::Index(Box::new(arr), index), Type::Prim(elem))
                    }
                    Indexed::View(index, n) => {
                        mk(ExprKind::Slice(Box::new(arr), index), Type::Array(elem, n))
                    }
                    Indexed::Take(index, n) => mk(
                        ExprKind::Take(Box::new(arr), Box::new(index)),
                        Type::Array(elem, n),
                    ),
                    Indexed::Error => unknown(span),
                }
            }
            ast::ExprKind::NoneLit => self.err(
                span,
                "`None` can only be an index, where it adds an axis (`x[:, None]`)",
            ),
            ast::ExprKind::Member(base, member) => {
                if let ast::ExprKind::Name(m) = &base.kind {
                    if cx.lookup(m).is_none() {
                        if let Some(&target) =
                            self.loaded.modules[cx.module].imports.get(m.as_str())
                        {
                            if let Some(c) = self.const_value(target, &member.name, span) {
                                return c;
                            }
                            return self.err(
                                member.span,
                                format!("module `{m}` has no constant `{}`", member.name),
                            );
                        }
                        return self.err(
                            base.span,
                            format!(
                                "undefined variable `{m}` (no module of that name is imported)"
                            ),
                        );
                    }
                }
                let v = self.value(cx, base);
                if v.ty.is_unknown() {
                    return v;
                }
                // Array attributes, as NumPy's: `m.T`, `a.shape`, `a.size`, `a.ndim`.
                let builtin = match member.name.as_str() {
                    "T" => Some("transpose"),
                    "shape" => Some("shape"),
                    "size" => Some("size"),
                    "ndim" => Some("ndim"),
                    _ => None,
                };
                let is_array = v.ty.is_array();
                let ty = v.ty.clone();
                if let (Some(b), true) = (builtin, is_array) {
                    let extra = builtins::Extra::default();
                    if let Some(r) = builtins::lower(self, b, vec![v], extra, span) {
                        return r.unwrap_or_else(|msg| self.err(span, msg));
                    }
                    return unknown(span);
                }
                let hint = if is_array {
                    " (arrays have `.T`, `.shape`, `.size` and `.ndim`)"
                } else {
                    ""
                };
                self.err(
                    member.span,
                    format!("type mismatch: {ty} has no member `{}`{hint}", member.name),
                )
            }
            ast::ExprKind::TupleField(base, i) => {
                let v = self.value(cx, base);
                match &v.ty {
                    Type::Tuple(ts) if *i < ts.len() => {
                        let ty = ts[*i].clone();
                        mk(ExprKind::Field(Box::new(v), *i), ty)
                    }
                    Type::Tuple(ts) => {
                        let msg = format!(
                            "tuple index {i} is out of range for a tuple of {} elements",
                            ts.len()
                        );
                        self.err(span, msg)
                    }
                    Type::Unknown => v,
                    other => {
                        let msg = format!("type mismatch: `.{i}` needs a tuple, found {other}");
                        self.err(span, msg)
                    }
                }
            }
            ast::ExprKind::Tuple(items) => {
                let items: Vec<Expr> = items.iter().map(|x| self.value(cx, x)).collect();
                let ty = Type::tuple(items.iter().map(|x| x.ty.clone()).collect());
                if leaves(&ty) > MAX_TUPLE_LEAVES {
                    return self.err(
                        span,
                        format!(
                            "tuple too large: more than {MAX_TUPLE_LEAVES} values in one tuple"
                        ),
                    );
                }
                mk(ExprKind::Tuple(items), ty)
            }
        }
    }

    /// Lowers the index arguments of an array of `ndim` axes: one element, a view, or an
    /// index array (a mask or integer positions, which copy).
    fn index_args(&mut self, cx: &mut FnCx, idx: &[IndexArg], ndim: usize, span: Span) -> Indexed {
        // `a[idx]` with an array `idx`: NumPy's boolean or integer array indexing.
        if let [IndexArg::At(e)] = idx {
            let v = self.value(cx, e);
            if v.ty == Type::Unknown {
                // Not inferred yet (a call whose return type is still being inferred): it
                // may be a mask or an index array, so the result is not known either.
                return Indexed::Error;
            }
            if let Type::Array(p, n) = v.ty {
                let n = n as usize;
                let (s, dims) = (if ndim == 1 { "" } else { "s" }, if n == 1 { "" } else { "s" });
                if p == Prim::Bool {
                    if n != ndim {
                        self.err(
                            e.span,
                            format!(
                                "type mismatch: a boolean mask needs the array's {ndim} dimension{s}, found {} with {n} dimension{dims}",
                                v.ty
                            ),
                        );
                        return Indexed::Error;
                    }
                    return Indexed::Take(v, 1);
                }
                if !p.is_int() {
                    self.err(
                        e.span,
                        format!("type mismatch: arrays used as indices must be of integer (or boolean) type, found {}", v.ty),
                    );
                    return Indexed::Error;
                }
                if ndim != 1 {
                    self.err(
                        e.span,
                        format!(
                            "an integer index array indexes a 1-D array; this one has {ndim} dimensions (index its rows with a loop or a mask)"
                        ),
                    );
                    return Indexed::Error;
                }
                return Indexed::Take(v, n as u8);
            }
            let i = self.index_int(v, e.span);
            return if ndim == 1 {
                Indexed::Elem(vec![i])
            } else {
                Indexed::View(vec![SliceIdx::At(i)], (ndim - 1) as u8)
            };
        }
        let consumed = idx
            .iter()
            .filter(|a| !matches!(a, IndexArg::NewAxis(_)))
            .count();
        if consumed > ndim {
            self.err(
                span,
                format!(
                    "too many indices: the array has {ndim} dimension{} but {consumed} were given",
                    if ndim == 1 { "" } else { "s" },
                ),
            );
            return Indexed::Error;
        }
        let out: Vec<SliceIdx> = idx
            .iter()
            .map(|a| match a {
                IndexArg::At(e) => {
                    let v = self.value(cx, e);
                    SliceIdx::At(self.index_int(v, e.span))
                }
                IndexArg::Slice(lo, hi, step) => {
                    // A `None` bound or step is an absent one, as in Python.
                    let mut part = |x: &Option<ast::Expr>| {
                        let x = x.as_ref().filter(|e| !matches!(e.kind, ast::ExprKind::NoneLit));
                        x.map(|e| {
                            let v = self.value(cx, e);
                            self.index_int(v, e.span)
                        })
                    };
                    SliceIdx::Range(part(lo), part(hi), part(step))
                }
                IndexArg::NewAxis(_) => SliceIdx::NewAxis,
            })
            .collect();
        if out.iter().all(|i| matches!(i, SliceIdx::At(_))) && consumed == ndim {
            let index = out
                .into_iter()
                .map(|i| match i {
                    SliceIdx::At(e) => e,
                    _ => unreachable!("checked: all elements"),
                })
                .collect();
            return Indexed::Elem(index);
        }
        let rank = out.iter().filter(|i| !matches!(i, SliceIdx::At(_))).count() + (ndim - consumed);
        if rank > 3 {
            self.err(
                span,
                format!("this index gives an array of {rank} dimensions; arrays have at most 3"),
            );
            return Indexed::Error;
        }
        Indexed::View(out, rank as u8)
    }

    /// `t[k]` on a tuple of `n` elements: `t.k` when `k` is an integer literal (negative
    /// counts from the end, as Python); a computed index has no static type.
    fn tuple_index(&mut self, t: Expr, n: usize, idx: &[IndexArg], span: Span) -> Expr {
        let lit = match idx {
            [IndexArg::At(e)] => match &e.kind {
                ast::ExprKind::Int(i) => Some(*i),
                ast::ExprKind::Neg(x) => match x.kind {
                    ast::ExprKind::Int(i) => Some(-i),
                    _ => None,
                },
                _ => None,
            },
            _ => None,
        };
        let Some(k) = lit else {
            return self.err(
                span,
                "a tuple can only be indexed by an integer literal (`t[0]`, or `t.0`); its \
                 elements may have different types",
            );
        };
        let j = if k < 0 { k + n as i64 } else { k };
        if j < 0 || j >= n as i64 {
            return self.err(
                span,
                format!("tuple index {k} is out of range for a tuple of {n} elements"),
            );
        }
        let Type::Tuple(ts) = &t.ty else {
            return unknown(span);
        };
        let ty = ts[j as usize].clone();
        Expr {
            kind: ExprKind::Field(Box::new(t), j as usize),
            ty,
            span,
        }
    }

    /// An index or slice bound: an integer scalar (`u8`, `i32` widen to `i64`).
    fn index_int(&mut self, v: Expr, span: Span) -> Expr {
        match v.ty {
            Type::Prim(Prim::I64) | Type::Unknown => v,
            Type::Prim(p) if p.is_int() => Expr::cast(Prim::I64, v),
            Type::Array(..) => self.err(
                span,
                "an index array must be the only index (`a[idx]`, `a[mask]`)",
            ),
            ref other => self.err(
                span,
                format!("type mismatch: expected an integer index, found {other}"),
            ),
        }
    }

    fn const_value(&mut self, module: ModuleId, name: &str, span: Span) -> Option<Expr> {
        let def = self.const_def(module, name)?;
        let key = (module, name.to_string());
        if !self.consts_in_progress.insert(key.clone()) {
            return Some(self.err(
                span,
                format!("constant `{name}` is defined in terms of itself"),
            ));
        }
        if !is_const_expr(&def.value) {
            self.consts_in_progress.remove(&key);
            return Some(self.err(
                def.value.span,
                "a `const` must be computed from literals, operators and other constants",
            ));
        }
        // Lowered in the defining module's scope (no locals), at the use site.
        let mut cx = FnCx::new(module, None, false);
        let mut v = self.value(&mut cx, &def.value);
        if let Some(t) = &def.ty {
            let want = self.resolve_type(t);
            v = self.coerce(v, &want, "this constant");
        }
        self.consts_in_progress.remove(&key);
        v.span = span;
        Some(v)
    }

    /// `a op b` with NumPy 2's promotion (NEP 50). `weak` says which operands are literals
    /// in the source (also negated ones; not variables or constants): a weak operand takes
    /// the other operand's kind (see [`promote::weaken`]).
    pub(super) fn binary(
        &mut self,
        op: BinOp,
        a: Expr,
        b: Expr,
        weak: (bool, bool),
        span: Span,
    ) -> Expr {
        if a.ty.is_unknown() || b.ty.is_unknown() {
            return unknown(span);
        }
        // Strings known when the program is checked compare then (their values are in
        // their types); run-time strings compare their bytes.
        if let (Type::Str(x), Type::Str(y), BinOp::Eq | BinOp::Ne) = (&a.ty, &b.ty, op) {
            if let (Some(x), Some(y)) = (x, y) {
                return Expr {
                    kind: ExprKind::Bool((x == y) == (op == BinOp::Eq)),
                    ty: Type::BOOL,
                    span,
                };
            }
            let args = vec![builtins::str_bytes(a), builtins::str_bytes(b)];
            let eq = self.call_prelude_fn("__str_eq", args, span);
            return if op == BinOp::Eq {
                eq
            } else {
                Expr {
                    kind: ExprKind::Unary(UnOp::Not, Box::new(eq)),
                    ty: Type::BOOL,
                    span,
                }
            };
        }
        let mismatch = |this: &mut Self, a: &Expr, b: &Expr| {
            this.err(
                span,
                format!(
                    "type mismatch: cannot apply `{}` to {} and {}",
                    op.symbol(),
                    a.ty,
                    b.ty
                ),
            )
        };
        let elem = |t: &Type| match t {
            Type::Prim(p) => Some((*p, None)),
            Type::Array(p, n) => Some((*p, Some(*n))),
            _ => None,
        };
        let (Some((pa, na)), Some((pb, nb))) = (elem(&a.ty), elem(&b.ty)) else {
            return mismatch(self, &a, &b);
        };
        // Arrays of different ranks broadcast (NumPy's rules, checked at run time): the
        // result has the larger rank.
        let ndim = match (na, nb) {
            (Some(x), Some(y)) => Some(x.max(y)),
            (x, y) => x.or(y),
        };
        let both_bool = pa == Prim::Bool && pb == Prim::Bool;
        let any_bool = pa == Prim::Bool || pb == Prim::Bool;
        if op.is_bitwise() {
            // Integers and bool (logical for `& | ^` on bools); shifts on integers only.
            let shift = matches!(op, BinOp::Shl | BinOp::Shr);
            if pa.is_float() || pb.is_float() || (shift && any_bool) {
                let what = if shift { "integers" } else { "integers or bools" };
                return self.err(
                    span,
                    format!(
                        "type mismatch: `{}` needs {what}, found {} and {}",
                        op.symbol(),
                        a.ty,
                        b.ty
                    ),
                );
            }
        } else if op.is_comparison() {
            if any_bool && !(both_bool && matches!(op, BinOp::Eq | BinOp::Ne)) {
                return mismatch(self, &a, &b);
            }
        } else if any_bool {
            return mismatch(self, &a, &b);
        }
        let cmp = op.is_comparison();
        let (a, b) = match weak {
            (true, false) => match promote::weaken(a, pb, cmp) {
                Ok(a) => (a, b),
                Err(msg) => return self.err(span, msg),
            },
            (false, true) => match promote::weaken(b, pa, cmp) {
                Ok(b) => (a, b),
                Err(msg) => return self.err(span, msg),
            },
            _ => (a, b),
        };
        let (pa, pb) = (elem(&a.ty).map_or(pa, |e| e.0), elem(&b.ty).map_or(pb, |e| e.0));
        let result_prim = Prim::binop_result(op, pa, pb);
        let ty = match ndim {
            Some(n) => Type::Array(result_prim, n),
            None => Type::Prim(result_prim),
        };
        // Scalar ⊕ scalar: make the operand type explicit (see the IR's invariant).
        let (a, b) = if ndim.is_none() && !both_bool {
            let operand = if cmp {
                Prim::promote(pa, pb)
            } else {
                result_prim
            };
            (cast_to(operand, a), cast_to(operand, b))
        } else {
            (a, b)
        };
        Expr {
            kind: ExprKind::Binary(op, Box::new(a), Box::new(b)),
            ty,
            span,
        }
    }

    fn call(&mut self, cx: &mut FnCx, callee: &ast::Expr, args: &[ast::Expr], span: Span) -> Expr {
        // Positional arguments first, then `name=value` ones.
        let (mut pos, mut kws) = (Vec::new(), Vec::new());
        for a in args {
            match &a.kind {
                ast::ExprKind::Keyword(k, v) => kws.push((&**k, &**v)),
                _ if !kws.is_empty() => {
                    return self.err(a.span, "positional argument after keyword argument");
                }
                _ => pos.push(a),
            }
        }
        match &callee.kind {
            ast::ExprKind::Name(n) => {
                if cx.lookup(n).is_some() {
                    return self.err(callee.span, format!("`{n}` is a variable, not a function"));
                }
                if let Some((did, def)) = self.fn_def(cx.module, n) {
                    return match self.user_args(cx, def, &pos, &kws, span) {
                        Some(args) => self.call_user(did, def, args, span),
                        None => unknown(span),
                    };
                }
                if matches!(n.as_str(), "print" | "assert") {
                    return self.err(
                        span,
                        format!("`{n}` returns no value; use it as a statement"),
                    );
                }
                if let Some(r) = Reduce::by_name(n) {
                    if let Some(e) = self.reduce_axis_call(cx, r, &pos, &kws, span) {
                        return e;
                    }
                }
                if n == "range" {
                    return self.err(
                        span,
                        "`range(...)` can only be used in `for ... in range(...)`",
                    );
                }
                if let Some(h) = self.loaded.hosts.iter().position(|h| h.name == *n) {
                    if let Some((k, _)) = kws.first() {
                        return self.err(k.span, format!("`{n}` takes no keyword arguments"));
                    }
                    let args: Vec<Expr> = pos.iter().map(|a| self.value(cx, a)).collect();
                    return self.call_host(h, args, span);
                }
                if builtins::is_builtin_name(n) || Prim::from_name(n).is_some() {
                    return self.call_builtin(cx, n, pos, kws, span);
                }
                if let ("bincount", [x], [(k, v)]) = (n.as_str(), pos.as_slice(), kws.as_slice()) {
                    // `bincount(x, minlength=k)`: the prelude's two-argument form.
                    if k.name == "minlength" {
                        let x = self.value(cx, x);
                        let v = self.value(cx, v);
                        let v = self.coerce(v, &Type::I64, "`minlength`");
                        return self.call_prelude_fn("__bincount", vec![x, v], span);
                    }
                }
                let prelude = self.loaded.prelude;
                if let Some((did, def)) = self.fn_def(prelude, n) {
                    let Some(args) = self.user_args(cx, def, &pos, &kws, span) else {
                        return unknown(span);
                    };
                    if let Some(form) = builtins::prelude_scalar_form(n, &args) {
                        return self.call_prelude_fn(form, args, span);
                    }
                    return self.call_user(did, def, args, span);
                }
                let prelude = self.loaded.prelude;
                let names: Vec<String> = self.st.fns[cx.module]
                    .keys()
                    .chain(self.st.fns[prelude].keys().filter(|k| !k.starts_with("__")))
                    .map(|k| k.to_string())
                    .chain(builtins::public_names().map(String::from))
                    .chain(self.loaded.hosts.iter().map(|h| h.name.clone()))
                    .collect();
                let hint = did_you_mean(n, names.iter().map(String::as_str));
                self.err(callee.span, format!("undefined function `{n}`{hint}"))
            }
            ast::ExprKind::Member(base, f) => {
                if let ast::ExprKind::Name(m) = &base.kind {
                    if cx.lookup(m).is_none() {
                        if let Some(&target) =
                            self.loaded.modules[cx.module].imports.get(m.as_str())
                        {
                            if let Some((did, def)) = self.fn_def(target, &f.name) {
                                return match self.user_args(cx, def, &pos, &kws, span) {
                                    Some(args) => self.call_user(did, def, args, span),
                                    None => unknown(span),
                                };
                            }
                            return self
                                .err(f.span, format!("undefined function `{m}.{}`", f.name));
                        }
                        return self.err(
                            base.span,
                            format!(
                                "undefined variable `{m}` (no module of that name is imported)"
                            ),
                        );
                    }
                }
                self.err(callee.span, "only functions can be called")
            }
            _ => self.err(callee.span, "only functions can be called"),
        }
    }

    /// The arguments of a call of nk function `def` in parameter order: positional ones,
    /// then keyword ones placed by parameter name. `None` after reporting a misplaced,
    /// unknown or repeated keyword.
    fn user_args(
        &mut self,
        cx: &mut FnCx,
        def: &FnDef,
        pos: &[&ast::Expr],
        kws: &[(&ast::Ident, &ast::Expr)],
        span: Span,
    ) -> Option<Vec<Expr>> {
        let mut args: Vec<Expr> = pos.iter().map(|a| self.value(cx, a)).collect();
        if kws.is_empty() {
            return Some(args);
        }
        let name = &def.name.name;
        let mut slots: Vec<Option<Expr>> = vec![None; def.params.len().max(args.len())];
        for (k, a) in args.drain(..).enumerate() {
            slots[k] = Some(a);
        }
        let mut ok = true;
        for (k, v) in kws {
            let v = self.value(cx, v);
            match def.params.iter().position(|p| p.name.name == k.name) {
                None => {
                    self.err(
                        k.span,
                        format!("`{name}` has no parameter named `{}`", k.name),
                    );
                    ok = false;
                }
                Some(i) if slots[i].is_some() => {
                    self.err(
                        k.span,
                        format!("`{name}` got two values for parameter `{}`", k.name),
                    );
                    ok = false;
                }
                Some(i) => slots[i] = Some(v),
            }
        }
        if !ok {
            return None;
        }
        if let Some(i) = slots.iter().position(Option::is_none) {
            self.err(
                span,
                format!(
                    "`{name}` is missing a value for parameter `{}`",
                    def.params[i].name.name
                ),
            );
            return None;
        }
        Some(slots.into_iter().flatten().collect())
    }

    /// `[1.0, 2.0]`, `[[1, 2], [3, 4]]`: up to 3-D, rectangular, the elements promoted.
    fn array_literal(&mut self, cx: &mut FnCx, e: &ast::Expr) -> Expr {
        // The shape, and the leaves in C order.
        fn walk<'e>(
            e: &'e ast::Expr,
            depth: usize,
            shape: &mut Vec<usize>,
            leaves: &mut Vec<&'e ast::Expr>,
        ) -> Result<(), (Span, String)> {
            let ast::ExprKind::ArrayLit(items) = &e.kind else {
                if depth < shape.len() {
                    return Err((e.span, "array literal rows must have the same shape".into()));
                }
                leaves.push(e);
                return Ok(());
            };
            if items.is_empty() {
                return Err((
                    e.span,
                    "an empty array literal has no element type: write zeros(0)".into(),
                ));
            }
            if depth >= 3 {
                return Err((e.span, "arrays have at most 3 dimensions".into()));
            }
            match shape.get(depth) {
                Some(&n) if n != items.len() => {
                    return Err((e.span, "array literal rows must have the same length".into()))
                }
                Some(_) => {}
                None if depth == shape.len() && leaves.is_empty() => shape.push(items.len()),
                None => {
                    return Err((e.span, "array literal rows must have the same shape".into()))
                }
            }
            for it in items {
                walk(it, depth + 1, shape, leaves)?;
            }
            Ok(())
        }
        let (mut shape, mut leaves) = (Vec::new(), Vec::new());
        if let Err((at, msg)) = walk(e, 0, &mut shape, &mut leaves) {
            return self.err(at, msg);
        }
        let span = e.span;
        let vals: Vec<Expr> = leaves.iter().map(|l| self.value(cx, l)).collect();
        // The elements' promoted kind. Unlike operands of an operator, literals here are not
        // weak: NumPy's `np.array([np.float32(1), 2.5])` is float64, and so is Numba's.
        let mut kind: Option<Prim> = None;
        for v in &vals {
            match v.ty {
                Type::Prim(p) => kind = Some(kind.map_or(p, |k| Prim::promote(k, p))),
                Type::Unknown => return unknown(span),
                ref other => {
                    return self.err(
                        v.span,
                        format!("type mismatch: an array literal holds numbers or bools, found {other}"),
                    )
                }
            }
        }
        let p = kind.unwrap_or(Prim::F64);
        let mut args = vec![Expr {
            kind: ExprKind::Tuple(
                shape
                    .iter()
                    .map(|&d| Expr {
                        kind: ExprKind::Int(d as i64),
                        ty: Type::I64,
                        span,
                    })
                    .collect(),
            ),
            ty: Type::tuple(vec![Type::I64; shape.len()]),
            span,
        }];
        args.extend(vals.into_iter().map(|v| cast_to(p, v)));
        Expr {
            kind: ExprKind::Builtin(Builtin::ArrayLit(p), args),
            ty: Type::Array(p, shape.len() as u8),
            span,
        }
    }

    /// `sum(a, axis=k)`, `sum(a, k)` and the other reductions along an axis; `None` when
    /// the call has no axis (the whole-array forms). `min(x, y)`/`max(x, y)` of two
    /// scalars stay the two-value built-ins.
    fn reduce_axis_call(
        &mut self,
        cx: &mut FnCx,
        r: Reduce,
        pos: &[&ast::Expr],
        kws: &[(&ast::Ident, &ast::Expr)],
        span: Span,
    ) -> Option<Expr> {
        let axis_kw = kws.iter().find(|(k, _)| k.name == "axis");
        if axis_kw.is_none() && pos.len() != 2 {
            return None;
        }
        let name = r.name();
        if pos.len() + kws.len() != 2 || pos.is_empty() {
            return Some(self.err(
                span,
                format!("`{name}` takes an array and an axis: `{name}(a, axis=0)`"),
            ));
        }
        if let Some((k, _)) = kws.iter().find(|(k, _)| k.name != "axis") {
            return Some(self.err(k.span, format!("`{name}` has no keyword argument `{}`", k.name)));
        }
        let a = self.value(cx, pos[0]);
        let axis_ast = match axis_kw {
            Some((_, v)) => *v,
            None => pos[1],
        };
        let axis = self.value(cx, axis_ast);
        let (p, nd) = match a.ty {
            Type::Array(p, nd) => (p, nd),
            Type::Unknown => return Some(unknown(span)),
            _ if matches!(r, Reduce::Min | Reduce::Max) && axis_kw.is_none() => {
                let extra = builtins::Extra::default();
                return builtins::lower(self, name, vec![a, axis], extra, span)
                    .map(|res| res.unwrap_or_else(|msg| self.err(span, msg)));
            }
            ref other => {
                return Some(self.err(
                    pos[0].span,
                    format!("type mismatch: `{name}` along an axis needs an array, found {other}"),
                ))
            }
        };
        let axis = match axis.ty {
            Type::Prim(q) if q.is_int() => cast_to(Prim::I64, axis),
            Type::Unknown => return Some(unknown(span)),
            ref other => {
                return Some(self.err(
                    axis_ast.span,
                    format!("type mismatch: an axis is an integer, found {other}"),
                ))
            }
        };
        let out = r.result(p);
        let ty = if r.keeps_shape() {
            Type::Array(out, nd)
        } else if nd == 1 {
            Type::Prim(out)
        } else {
            Type::Array(out, nd - 1)
        };
        Some(Expr {
            kind: ExprKind::Builtin(Builtin::ReduceAxis(r), vec![a, axis]),
            ty,
            span,
        })
    }

    /// A call of a built-in (or of a type name as a conversion, `f32(x)`): a trailing
    /// positional type name or `dtype=` is the element type of the result.
    fn call_builtin(
        &mut self,
        cx: &mut FnCx,
        n: &str,
        mut pos: Vec<&ast::Expr>,
        kws: Vec<(&ast::Ident, &ast::Expr)>,
        span: Span,
    ) -> Expr {
        // A type name among the positional arguments is the dtype (`zeros(n, f32)`,
        // `load_npy(path, f32, 2)`).
        let mut dtype = None;
        if let Some(k) = pos.iter().position(|a| self.dtype_name(cx, a).is_some()) {
            dtype = self.dtype_name(cx, pos[k]);
            pos.remove(k);
        }
        let mut keywords = Vec::new();
        for (k, v) in kws {
            if k.name == "dtype" {
                match self.dtype_name(cx, v) {
                    Some(_) if dtype.is_some() => {
                        return self.err(k.span, format!("`{n}` got two dtypes"));
                    }
                    Some(p) => dtype = Some(p),
                    None => {
                        return self.err(
                            v.span,
                            "a dtype is one of the type names bool, u8, i32, i64, f32, f64",
                        );
                    }
                }
            } else {
                let v = self.value(cx, v);
                keywords.push((k.name.clone(), v));
            }
        }
        let args: Vec<Expr> = pos.iter().map(|a| self.value(cx, a)).collect();
        let extra = builtins::Extra { dtype, keywords };
        match builtins::lower(self, n, args, extra, span) {
            Some(r) => r.unwrap_or_else(|msg| self.err(span, msg)),
            None => self.err(span, format!("internal: `{n}` has no typing rule")),
        }
    }

    /// The element type a type name written as a value names (`zeros(n, f32)`), unless the
    /// name is a variable or constant.
    fn dtype_name(&self, cx: &FnCx, e: &ast::Expr) -> Option<Prim> {
        let ast::ExprKind::Name(t) = &e.kind else {
            return None;
        };
        if cx.lookup(t).is_some() || self.st.consts[cx.module].contains_key(t.as_str()) {
            return None;
        }
        Prim::from_name(t)
    }

    /// Calls the prelude function `name` (used by built-ins that dispatch to nk code).
    fn call_prelude_fn(&mut self, name: &str, args: Vec<Expr>, span: Span) -> Expr {
        let prelude = self.loaded.prelude;
        match self.fn_def(prelude, name) {
            Some((did, def)) => self.call_user(did, def, args, span),
            None => self.err(
                span,
                format!("internal: prelude function `{name}` is missing"),
            ),
        }
    }

    fn arity_error(&mut self, name: &str, want: usize, got: usize, span: Span) -> Expr {
        let s = if want == 1 { "" } else { "s" };
        self.err(
            span,
            format!("wrong number of arguments: `{name}` expected {want} argument{s}, found {got}"),
        )
    }

    /// A call of host function `index`: its parameter types are fixed, as for a built-in.
    fn call_host(&mut self, index: usize, args: Vec<Expr>, span: Span) -> Expr {
        let sig = &self.loaded.hosts[index];
        if args.len() != sig.params.len() {
            return self.arity_error(&sig.name, sig.params.len(), args.len(), span);
        }
        let lowered: Vec<Expr> = args
            .into_iter()
            .zip(&sig.params)
            .enumerate()
            .map(|(i, (a, want))| {
                let what = format!("argument {} of `{}`", i + 1, sig.name);
                self.coerce(a, want, &what)
            })
            .collect();
        if lowered.iter().any(|a| a.ty.is_unknown()) {
            return unknown(span);
        }
        Expr {
            kind: ExprKind::Builtin(Builtin::Host(index as u32), lowered),
            ty: sig.ret.clone(),
            span,
        }
    }

    fn call_user(&mut self, did: DefId, def: &'a FnDef, args: Vec<Expr>, span: Span) -> Expr {
        let name = &def.name.name;
        if args.len() != def.params.len() {
            return self.arity_error(name, def.params.len(), args.len(), span);
        }
        let mut lowered = Vec::new();
        for (a, p) in args.into_iter().zip(&def.params) {
            let a = match &p.ty {
                Some(t) => {
                    let want = self.resolve_type(t);
                    if a.ty == want {
                        a // (the usual case: no message to build)
                    } else {
                        self.coerce(
                            a,
                            &want,
                            &format!("parameter `{}` of `{name}`", p.name.name),
                        )
                    }
                }
                None => a,
            };
            lowered.push(a);
        }
        if lowered.iter().any(|a| a.ty.is_unknown()) {
            return unknown(span);
        }
        let tys: Vec<Type> = lowered.iter().map(|a| a.ty.clone()).collect();
        let key = (did, tys);
        if !self.st.spec_index.contains_key(&key) {
            let n = self.st.spec_counts.entry(did).or_insert(0);
            *n += 1;
            if *n > MAX_SPECS_PER_FN {
                return self.err(
                    span,
                    format!(
                        "`{name}` needs more than {MAX_SPECS_PER_FN} specializations: its argument types keep changing (recursion that builds ever larger types?)"
                    ),
                );
            }
        }
        let id = self.instantiate(did, key.1);
        let spec = &mut self.st.specs[id as usize];
        if spec.origin.is_none() {
            spec.origin = self.lowering.map(|caller| (span, caller));
        }
        match self.st.rets[id as usize].clone() {
            Some(ret) => Expr {
                kind: ExprKind::Call(id, lowered),
                ty: ret,
                span,
            },
            None => unknown(span),
        }
    }
}

/// ", did you mean `x`?" for the closest known name within a small edit distance.
fn did_you_mean<'n>(name: &str, known: impl IntoIterator<Item = &'n str>) -> String {
    let limit = if name.len() <= 3 { 1 } else { 2 };
    known
        .into_iter()
        .filter(|k| !k.is_empty() && *k != name)
        .map(|k| (edit_distance(name, k), k))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, k)| format!(", did you mean `{k}`?"))
        .unwrap_or_default()
}

/// Levenshtein distance (names are short; the quadratic table is fine).
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let subst = prev[j] + usize::from(ca != cb);
            cur[j + 1] = subst.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Scalar and array leaves of a value of type `t`.
fn leaves(t: &Type) -> usize {
    match t {
        Type::Tuple(ts) => ts.iter().map(leaves).sum(),
        _ => 1,
    }
}

fn is_const_expr(e: &ast::Expr) -> bool {
    match &e.kind {
        ast::ExprKind::Int(_)
        | ast::ExprKind::Float(_)
        | ast::ExprKind::Bool(_)
        | ast::ExprKind::Name(_) => true,
        ast::ExprKind::Member(b, _) => matches!(b.kind, ast::ExprKind::Name(_)),
        ast::ExprKind::Binary(_, a, b) | ast::ExprKind::And(a, b) | ast::ExprKind::Or(a, b) => {
            is_const_expr(a) && is_const_expr(b)
        }
        ast::ExprKind::Neg(a) | ast::ExprKind::Not(a) => is_const_expr(a),
        ast::ExprKind::Tuple(items) => items.iter().all(is_const_expr),
        _ => false,
    }
}

/// Whether a source expression is a literal number (also a negated one): NumPy 2's "weak"
/// Python scalar, which takes the other operand's kind.
fn weak(e: &ast::Expr) -> bool {
    match &e.kind {
        ast::ExprKind::Int(_) | ast::ExprKind::Float(_) => true,
        ast::ExprKind::Neg(a) => weak(a),
        _ => false,
    }
}

/// A scalar of kind `from` stored into an element of kind `to`: converted as NumPy's
/// assignment converts (floats truncate into integers, integers keep their low bits).
/// What an index expression on an array selects (see `Checker::index_args`).
enum Indexed {
    /// One element: an `i64` per axis.
    Elem(Vec<Expr>),
    /// A view of the given number of axes.
    View(Vec<SliceIdx>, u8),
    /// An index array (a copy of the given number of axes).
    Take(Expr, u8),
    /// Already reported.
    Error,
}

fn store_convert(v: Expr, from: Prim, to: Prim) -> Expr {
    if from == to {
        v
    } else {
        promote::literal_as(&v, to).unwrap_or_else(|| Expr::cast(to, v))
    }
}

fn cast_to(p: Prim, e: Expr) -> Expr {
    if e.ty == Type::Prim(p) {
        e
    } else {
        Expr::cast(p, e)
    }
}

impl builtins::Prelude for Checker<'_> {
    fn call_prelude(&mut self, name: &str, args: Vec<Expr>, span: Span) -> Expr {
        self.call_prelude_fn(name, args, span)
    }
}
