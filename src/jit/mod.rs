//! The Cranelift tier: compiles a specialization's bytecode to native code.
//!
//! ```text
//!  CompiledFn (bytecode) --codegen--> CLIF --Cranelift--> bytes --code_memory--> NativeFn
//! ```
//! A compiled function reaches other nk functions and the runtime only through the
//! context's table and helper pointers (`abi`), so its bytes contain no absolute address:
//! a compilation that would need a relocation is refused, and the function stays
//! interpreted (reported by `--stats`). Runtime helpers are declared in `crate::abi`.

mod bounds;
pub mod code_memory;
pub mod codegen;
mod cold;
mod diamonds;
mod held;
mod peephole;
mod phis;
pub mod pool;
mod ranges;
mod simd;
mod unroll;
mod versions;

use crate::bytecode::CompiledFn;
use crate::ir::Program;
use cranelift_codegen::control::ControlPlane;
use cranelift_codegen::ir::{Function, UserFuncName};
use cranelift_codegen::isa::OwnedTargetIsa;
use cranelift_codegen::settings::{self, Configurable};
use cranelift_codegen::Context;
use cranelift_frontend::FunctionBuilderContext;

const _: () = assert!(
    std::mem::size_of::<usize>() == 8,
    "the native tier assumes 64-bit words"
);

/// Bump when the code generator or the native ABI changes: cached code from an older
/// revision is then never loaded (it is part of [`Jit::fingerprint`], with a hash of the
/// code generator's sources taken at build time by `build.rs`, so an edit that forgets
/// the bump is still safe).
pub const CODEGEN_REVISION: u32 = 2;

/// The largest function (in bytecode ops) the native tier compiles. Cranelift's time and
/// memory grow with a function's size (about 25 µs and 60 KB per op in a generated
/// straight-line script), and a function this large is machine-made code that runs
/// once; so compile memory stays bounded per function, and a 400,000-statement script
/// is interpreted instead of taking a minute and gigabytes to compile.
pub const MAX_NATIVE_OPS: usize = 20_000;

/// Why the native tier did not compile a function: it then stays interpreted, and the
/// reason shows in `--stats`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JitError {
    /// No native code on this machine or build (the CPU, Cranelift's settings, `Rc`'s
    /// layout).
    Unavailable(String),
    /// Code generation or Cranelift failed for this function.
    Compile(String),
    /// The code would need a relocation (it must run unchanged at any address and in any
    /// process); the relocation's target.
    Relocation(String),
    /// Executable memory could not be had.
    Memory(String),
}

impl std::fmt::Display for JitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JitError::Unavailable(m) | JitError::Compile(m) | JitError::Memory(m) => {
                f.write_str(m)
            }
            JitError::Relocation(t) => {
                write!(f, "the code would need a relocation ({t}); it stays interpreted")
            }
        }
    }
}

impl std::error::Error for JitError {}

/// One compiled function.
pub struct Compiled {
    pub code: code_memory::CodeMemory,
    /// The Cranelift IR and disassembly, when asked for (the inspector).
    pub clif: Option<String>,
    pub asm: Option<String>,
    /// The functions the code calls, in link-vector order (see `abi`).
    pub callees: Vec<crate::ir::FuncId>,
}

impl MachineCode {
    /// Copies the code into executable memory.
    pub fn into_executable(self) -> Result<Compiled, JitError> {
        Ok(Compiled {
            code: code_memory::CodeMemory::new(&self.bytes)?,
            clif: self.clif,
            asm: self.asm,
            callees: self.callees,
        })
    }
}

/// The compiler: a target ISA and reusable Cranelift contexts.
pub struct Jit {
    isa: OwnedTargetIsa,
    fctx: FunctionBuilderContext,
    ctx: Context,
    rc_off: i64,
    /// Print each function's optimized Cranelift IR to stderr (`Options::dump_opt`).
    dump_opt: bool,
    /// `fingerprint()`, computed once (every heap key hashes it).
    fingerprint: [u8; 16],
}

impl Jit {
    /// A compiler for the host CPU, or why there is none (the run is then interpreted).
    /// With `dump_opt`, each compiled function's optimized Cranelift IR goes to stderr.
    pub fn new(dump_opt: bool) -> Result<Jit, JitError> {
        let rc_off = crate::abi::pure::rc_layout()
            .ok_or_else(|| {
                JitError::Unavailable("this build's Rc layout is not the one native code expects".into())
            })?
            .value;
        let mut flags = settings::builder();
        let set = |f: &mut settings::Builder, k: &str, v: &str| {
            f.set(k, v)
                .map_err(|e| JitError::Unavailable(format!("cranelift setting {k}: {e}")))
        };
        set(&mut flags, "opt_level", "speed")?;
        // Cranelift's IR verifier runs between its passes and took 39% of compile time
        // (callgrind, 300 small functions). Debug builds — every test — keep it on, so
        // the code generator's IR is still checked on the whole corpus and the
        // differential programs; release builds trust what the tests checked, as
        // wasmtime does.
        set(
            &mut flags,
            "enable_verifier",
            if cfg!(debug_assertions) { "true" } else { "false" },
        )?;
        // Frames are small and depth is bounded by the context's counter: no stack
        // probes, whose outline form would need a relocation.
        set(&mut flags, "enable_probestack", "false")?;
        let isa = cranelift_native::builder()
            .map_err(|e| JitError::Unavailable(format!("no native code for this CPU: {e}")))?
            .finish(settings::Flags::new(flags))
            .map_err(|e| JitError::Unavailable(format!("cranelift: {e}")))?;
        let fingerprint = fingerprint_of(&*isa, rc_off);
        Ok(Jit {
            isa,
            fctx: FunctionBuilderContext::new(),
            ctx: Context::new(),
            rc_off,
            dump_opt,
            fingerprint,
        })
    }

    /// What the machine code depends on besides its bytecode: nvm and Cranelift versions,
    /// the code generator's revision, the target and its CPU features, and the runtime's
    /// layout. Part of every code heap key; code compiled for another fingerprint is
    /// never loaded.
    pub fn fingerprint(&self) -> [u8; 16] {
        self.fingerprint
    }

    /// Compiles `f` into executable memory. `listing` also renders the Cranelift IR and
    /// disassembly.
    pub fn compile(
        &mut self,
        prog: &Program,
        f: &CompiledFn,
        listing: bool,
    ) -> Result<Compiled, JitError> {
        self.compile_bytes(prog, f, listing)?.into_executable()
    }

    /// Compiles `f` to its machine code bytes (relocation-free, so they run unchanged
    /// wherever they are copied): what a compile thread of [`pool::CompilePool`] hands
    /// back. `prog` needs only the functions' signatures (see [`Program::signatures`]).
    pub fn compile_bytes(
        &mut self,
        prog: &Program,
        f: &CompiledFn,
        listing: bool,
    ) -> Result<MachineCode, JitError> {
        if f.code.len() > MAX_NATIVE_OPS {
            return Err(JitError::Compile(format!(
                "too large for the native tier ({} bytecode ops; it compiles up to \
                 {MAX_NATIVE_OPS}); it stays interpreted",
                f.code.len()
            )));
        }
        self.ctx.clear();
        let cc = self.isa.default_call_conv();
        let mut func = Function::with_name_signature(
            UserFuncName::testcase(&prog.funcs[f.func as usize].name),
            codegen::native_signature(cc),
        );
        let callees = codegen::lower(
            &mut func,
            &mut self.fctx,
            self.isa.frontend_config(),
            prog,
            f,
            self.rc_off,
        )
        .map_err(JitError::Compile)?;
        let clif = listing.then(|| func.display().to_string());
        self.ctx.func = func;
        self.ctx.set_disasm(listing);
        if self.dump_opt {
            let mut c = Context::for_function(self.ctx.func.clone());
            if c.optimize(&*self.isa, &mut ControlPlane::default()).is_ok() {
                eprintln!("{}", c.func.display());
            }
        }
        let params = self.ctx.func.params.clone();
        let code = self
            .ctx
            .compile(&*self.isa, &mut ControlPlane::default())
            .map_err(|e| JitError::Compile(format!("cranelift: {:?}", e.inner)))?;
        if let Some(r) = code.buffer.relocs().first() {
            return Err(JitError::Relocation(format!("{:?}", r.target)));
        }
        let listing_err = |e: String| JitError::Compile(format!("disassembly: {e}"));
        let asm = if listing {
            let cs = self.isa.to_capstone().map_err(|e| listing_err(e.to_string()))?;
            Some(
                code.disassemble(Some(&params), &cs)
                    .map_err(|e| listing_err(e.to_string()))?,
            )
        } else {
            None
        };
        Ok(MachineCode {
            bytes: code.code_buffer().to_vec(),
            clif,
            asm,
            callees,
        })
    }
}

/// One compiled function's machine code, not yet in executable memory.
pub struct MachineCode {
    pub bytes: Vec<u8>,
    pub clif: Option<String>,
    pub asm: Option<String>,
    /// The functions the code calls, in link-vector order (see `abi`).
    pub callees: Vec<crate::ir::FuncId>,
}

/// See [`Jit::fingerprint`].
fn fingerprint_of(isa: &dyn cranelift_codegen::isa::TargetIsa, rc_off: i64) -> [u8; 16] {
    let text = format!(
        "nvm {} codegen {CODEGEN_REVISION} sources {} cranelift 0.135.8 {} {} {} rc {}",
        env!("CARGO_PKG_VERSION"),
        env!("NVM_CODEGEN_HASH"),
        isa.triple(),
        isa.flags(),
        isa.isa_flags()
            .iter()
            .map(|f| f.to_string())
            .collect::<Vec<_>>()
            .join(","),
        rc_off
    );
    xxhash_rust::xxh3::xxh3_128(text.as_bytes()).to_le_bytes()
}

/// For the analyses' tests: the checked program of `src` and the index and bytecode of
/// its first specialization whose name starts with `name`.
#[cfg(test)]
pub(crate) fn compiled_for_test(src: &str, name: &str) -> (Program, usize, CompiledFn) {
    let loaded = crate::loader::load_source("t.nk", src.to_string(), None).expect("loads");
    let prog = crate::types::check_program(&loaded).expect("checks");
    let id = prog.funcs.iter().position(|f| f.name.starts_with(name)).expect("the function");
    let bc = crate::bytecode::compile(&prog, id as crate::ir::FuncId).expect("lowers");
    (prog, id, bc)
}
