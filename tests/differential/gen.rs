//! A generator of random, well-typed nk programs for the differential test
//! (`tests/differential.rs`). Each program is a function of its seed.
//!
//! The generator keeps a static model of every value: its nk type and, for arrays, its
//! shape (a dimension is a known size or a symbol standing for the size of a parameter's
//! axis, with an nk expression that computes it). With it, it writes programs that
//! type-check, index in bounds, broadcast shapes that agree and divide by non-zero integers
//! — except at a few deliberate places (about one in a few hundred), where a runtime error
//! may occur on purpose: an unchecked index, an unguarded integer division, a negative
//! integer exponent, mismatched shapes, a failing `assert`, a reduction of an empty array.
//!
//! Generic functions have one type variable (`G`, an `i64` or `f64` per specialization)
//! and are called at several types; the model joins numeric types by rank
//! (`i64 < G < f64`), which is exactly nk's promotion rule for both instantiations.
//! Termination: every loop is bounded (literal ranges, counted `while` loops, arrays of at
//! most 24 elements), recursion counts down a non-negative depth, and a cost estimate
//! (statement executions, loops multiplying) bounds what each call may do.

use std::collections::HashMap;

/// splitmix64: small, deterministic, good enough for choosing program shapes.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ 0x9E37_79B9_7F4A_7C15)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    /// Inclusive range.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo + 1) as u64) as i64
    }
    pub fn chance(&mut self, p: f64) -> bool {
        ((self.next() >> 11) as f64 / (1u64 << 53) as f64) < p
    }
    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

/// Element types; `G` is the type variable of a generic function (`i64` or `f64`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum El {
    I,
    G,
    F,
    B,
    // nk version 2's narrow types (never the instance of `G`).
    U8,
    I32,
    F32,
}

/// One axis of an array: a known size, or a symbol (see `Gen::syms`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Dim {
    K(usize),
    S(u32),
}

#[derive(Clone, PartialEq, Debug)]
enum Ty {
    I,
    G,
    F,
    B,
    U8,
    I32,
    F32,
    A(El, Vec<Dim>),
    T(Vec<Ty>),
}

impl Ty {
    fn of(el: El) -> Ty {
        match el {
            El::I => Ty::I,
            El::G => Ty::G,
            El::F => Ty::F,
            El::B => Ty::B,
            El::U8 => Ty::U8,
            El::I32 => Ty::I32,
            El::F32 => Ty::F32,
        }
    }
    fn el(&self) -> Option<El> {
        match self {
            Ty::I => Some(El::I),
            Ty::G => Some(El::G),
            Ty::F => Some(El::F),
            Ty::B => Some(El::B),
            Ty::U8 => Some(El::U8),
            Ty::I32 => Some(El::I32),
            Ty::F32 => Some(El::F32),
            _ => None,
        }
    }
    fn has_g(&self) -> bool {
        match self {
            Ty::G | Ty::A(El::G, _) => true,
            Ty::T(ts) => ts.iter().any(Ty::has_g),
            _ => false,
        }
    }
    /// nk's spelling (no `G`, which never gets an annotation).
    fn annot(&self) -> String {
        match self {
            Ty::I => "i64".into(),
            Ty::F => "f64".into(),
            Ty::B => "bool".into(),
            Ty::U8 => "u8".into(),
            Ty::I32 => "i32".into(),
            Ty::F32 => "f32".into(),
            Ty::G => unreachable!("generic types are not annotated"),
            Ty::A(el, dims) => format!("{}[{}]", Ty::of(*el).annot(), ",".repeat(dims.len() - 1)),
            Ty::T(ts) if ts.len() == 1 => format!("({},)", ts[0].annot()),
            Ty::T(ts) => format!(
                "({})",
                ts.iter().map(Ty::annot).collect::<Vec<_>>().join(", ")
            ),
        }
    }
}

/// The version-1 join of `i64 < G < f64` (narrow types never reach the code using it).
fn rank(el: El) -> u8 {
    match el {
        El::I | El::U8 | El::I32 => 0,
        El::G => 1,
        El::F | El::F32 => 2,
        El::B => 9,
    }
}
fn numeric(el: El) -> bool {
    el != El::B
}

#[derive(Clone)]
struct Var {
    name: String,
    ty: Ty,
    /// Loop counters and recursion depths are never assigned by random statements.
    assignable: bool,
}

struct Func {
    name: String,
    params: Vec<(String, Ty, bool)>,
    ret: Option<Ty>,
    ret_annot: bool,
    generic: bool,
    recursive: bool,
    cost: u64,
}

/// The most a function body (or the script) may cost, in estimated statement executions.
const BUDGET: u64 = 4000;

pub struct Gen {
    rng: Rng,
    out: String,
    indent: usize,
    scopes: Vec<Vec<Var>>,
    /// Symbolic dimensions: an nk expression computing each, where one is known.
    syms: Vec<Option<String>>,
    funcs: Vec<Func>,
    /// The function being written (calls go only to higher indices, or to itself when
    /// recursive), `usize::MAX` for the script.
    cur: usize,
    generic: bool,
    ret: Option<Ty>,
    loops: u32,
    /// Enclosing `for` counters with constant bounds: name, `lo`, `hi` (indices `i + c`).
    counters: Vec<(String, i64, i64)>,
    mult: u64,
    cost: u64,
    names: usize,
    /// The probability of each deliberate chance of a runtime error.
    err: f64,
    consts: Vec<Var>,
    /// Whether the program imports the standard library's `linalg`.
    linalg: bool,
    /// Symbols of lengths that may be 0 (a mask's selection): not indexed, except by design.
    maybe_empty: std::collections::HashSet<u32>,
    /// Inside a `prange` body: no calls (a called function may write an array another
    /// iteration reads, which would race).
    no_calls: bool,
}

const I_EDGE: &[&str] = &[
    "0",
    "(-1)",
    "1",
    "2",
    "3",
    "7",
    "(-13)",
    "63",
    "64",
    "255",
    "(-128)",
    "1000000007",
    "3037000499",
    "4294967296",
    "4611686018427387904",
    "(-4611686018427387903)",
    "9223372036854775807",
    "(-9223372036854775807 - 1)",
    "(-9223372036854775807)",
];
const F_EDGE: &[&str] = &[
    "0.0",
    "(-0.0)",
    "1.0",
    "(-1.0)",
    "0.5",
    "0.1",
    "(-2.25)",
    "3.0",
    "1e-3",
    "2.5e10",
    "1e308",
    "(-1e308)",
    "1.7976931348623157e308",
    "5e-324",
    "2.2250738585072014e-308",
    "1e-300",
    "1e16",
    "9007199254740993.0",
    "0.30000000000000004",
    "(1.0 / 0.0)",
    "(-1.0 / 0.0)",
    "(0.0 / 0.0)",
    "3.141592653589793",
    "(-7.5)",
    "4.5",
    "(-0.5)",
    "2.5",
];
const I_DIVISORS: &[&str] = &[
    "1",
    "2",
    "3",
    "4",
    "5",
    "7",
    "8",
    "10",
    "16",
    "64",
    "1024",
    "(-1)",
    "(-2)",
    "(-3)",
    "(-4)",
    "(-8)",
    "9223372036854775807",
    "(-9223372036854775807 - 1)",
    "4611686018427387904",
];

impl Gen {
    pub fn new(seed: u64) -> Gen {
        let mut rng = Rng::new(seed);
        let err = *rng.pick(&[0.0, 0.001, 0.003, 0.006, 0.01]);
        Gen {
            rng,
            out: String::new(),
            indent: 0,
            scopes: vec![],
            syms: vec![],
            funcs: vec![],
            cur: usize::MAX,
            generic: false,
            ret: None,
            loops: 0,
            counters: vec![],
            mult: 1,
            cost: 0,
            names: 0,
            err,
            consts: vec![],
            linalg: false,
            maybe_empty: Default::default(),
            no_calls: false,
        }
    }

    fn fresh(&mut self, prefix: &str) -> String {
        self.names += 1;
        let name = format!("{prefix}{}", self.names);
        if ["u8", "i32", "i64", "f32", "f64"].contains(&name.as_str()) {
            // Type names are functions (`u8(x)`): a variable would hide one.
            return self.fresh(prefix);
        }
        name
    }
    fn line(&mut self, s: &str) {
        for _ in 0..self.indent {
            self.out.push_str("    ");
        }
        self.out.push_str(s);
        self.out.push('\n');
    }
    fn oops(&mut self) -> bool {
        self.err > 0.0 && self.rng.chance(self.err)
    }
    fn new_sym(&mut self, expr: Option<String>) -> Dim {
        self.syms.push(expr);
        Dim::S(self.syms.len() as u32 - 1)
    }
    fn dim_expr(&self, d: Dim) -> Option<String> {
        match d {
            Dim::K(n) => Some(n.to_string()),
            Dim::S(i) => self.syms[i as usize].clone(),
        }
    }
    fn shape_expr(&self, dims: &[Dim]) -> Option<String> {
        let es: Option<Vec<String>> = dims.iter().map(|d| self.dim_expr(*d)).collect();
        let es = es?;
        Some(if es.len() == 1 {
            es[0].clone()
        } else {
            format!("({})", es.join(", "))
        })
    }
    fn declare(&mut self, name: &str, ty: Ty, assignable: bool) {
        self.scopes.last_mut().unwrap().push(Var {
            name: name.to_string(),
            ty,
            assignable,
        });
    }
    /// Visible variables (an inner declaration hides an outer one of the same name).
    fn vars(&self) -> Vec<Var> {
        let mut seen = std::collections::HashSet::new();
        let mut v = Vec::new();
        for scope in self.scopes.iter().rev() {
            for var in scope.iter().rev() {
                if seen.insert(var.name.clone()) {
                    v.push(var.clone());
                }
            }
        }
        v
    }
    fn rand_dims(&mut self, nd: usize) -> Vec<Dim> {
        let mut dims = Vec::new();
        let max_total = if self.rng.chance(0.05) { 64usize } else { 24 };
        for k in 0..nd {
            let left = nd - k - 1;
            let used: usize = dims
                .iter()
                .map(|d| if let Dim::K(n) = d { *n } else { 1 })
                .product();
            let cap = (max_total / used.max(1) / 2usize.pow(left as u32)).clamp(1, 8);
            let n = if self.rng.chance(0.01) {
                0
            } else {
                self.rng.range(1, cap as i64) as usize
            };
            dims.push(Dim::K(n));
        }
        dims
    }
    fn nonempty(&self, dims: &[Dim]) -> bool {
        !dims.iter().any(|d| match d {
            Dim::K(n) => *n == 0,
            Dim::S(s) => self.maybe_empty.contains(s),
        })
    }
    /// A new symbol for the length of a mask's selection (it may be 0).
    fn selection_sym(&mut self, expr: Option<String>) -> Dim {
        let d = self.new_sym(expr);
        if let Dim::S(s) = d {
            self.maybe_empty.insert(s);
        }
        d
    }

    // ---------------------------------------------------------------- literals and leaves

    fn lit(&mut self, el: El) -> String {
        match el {
            El::I => {
                if self.rng.chance(0.6) {
                    let v = self.rng.range(-3, 10);
                    if v < 0 {
                        format!("({v})")
                    } else {
                        v.to_string()
                    }
                } else {
                    self.rng.pick(I_EDGE).to_string()
                }
            }
            El::F => {
                if self.rng.chance(0.5) {
                    let v = (self.rng.range(-400, 400) as f64) / 8.0;
                    if v < 0.0 || (v == 0.0 && v.is_sign_negative()) {
                        format!("({v:?})")
                    } else {
                        format!("{v:?}")
                    }
                } else {
                    self.rng.pick(F_EDGE).to_string()
                }
            }
            El::B => if self.rng.chance(0.5) {
                "true"
            } else {
                "false"
            }
            .into(),
            El::U8 | El::I32 | El::F32 => self.v2_lit(el),
            El::G => unreachable!("no literal has the generic type"),
        }
    }

    /// A small `i64` expression without calls (for indices).
    fn ileaf(&mut self) -> String {
        let vs: Vec<String> = self
            .vars()
            .into_iter()
            .filter(|v| v.ty == Ty::I)
            .map(|v| v.name)
            .collect();
        if !vs.is_empty() && self.rng.chance(0.7) {
            self.rng.pick(&vs).clone()
        } else {
            self.lit(El::I)
        }
    }

    /// An index for axis `k` of the array `path` (dims `dims`): in bounds unless by design.
    fn index(&mut self, path: &str, dims: &[Dim], k: usize) -> String {
        if self.oops() {
            return self.ileaf();
        }
        // The counter of an enclosing loop plus a constant that keeps it in bounds on
        // every iteration: the native tier proves these before the loop (`jit::versions`).
        if let (Dim::K(n), false) = (dims[k], self.counters.is_empty()) {
            let (i, lo, hi) = self.rng.pick(&self.counters).clone();
            let (cmin, cmax) = (-lo, n as i64 - hi.max(lo));
            if n > 0 && cmin <= cmax && self.rng.chance(0.5) {
                let c = self.rng.range(cmin, cmax.min(cmin + 6));
                return match c {
                    0 => i,
                    c if c > 0 => format!("({i} + {c})"),
                    c => format!("({i} - {})", -c),
                };
            }
        }
        match dims[k] {
            Dim::K(n) if n > 0 && self.rng.chance(0.7) => {
                self.rng.range(-(n as i64), n as i64 - 1).to_string()
            }
            _ => {
                let e = self.ileaf();
                let len = if k == 0 {
                    format!("len({path})")
                } else {
                    format!("shape({path}).{k}")
                };
                if self.rng.chance(0.2) {
                    format!("(-1 - {e} % {len})")
                } else {
                    format!("({e} % {len})")
                }
            }
        }
    }
    fn indices(&mut self, path: &str, dims: &[Dim]) -> String {
        (0..dims.len())
            .map(|k| self.index(path, dims, k))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Ways to read a value of type `want` (a scalar type) from variables: the variable,
    /// a tuple field, an array element.
    fn scalar_paths(&mut self, path: &str, ty: &Ty, want: &Ty, out: &mut Vec<String>) {
        match ty {
            t if t == want => out.push(path.to_string()),
            Ty::T(ts) => {
                for (k, t) in ts.iter().enumerate() {
                    self.scalar_paths(&format!("{path}.{k}"), t, want, out);
                }
            }
            Ty::A(el, dims) if Ty::of(*el) == *want && (self.nonempty(dims) || self.oops()) => {
                let idx = self.indices(path, &dims.clone());
                out.push(format!("{path}[{idx}]"));
            }
            _ => {}
        }
    }
    fn scalar_leaf(&mut self, el: El) -> Option<String> {
        let mut cands = Vec::new();
        for v in self.vars() {
            self.scalar_paths(&v.name, &v.ty, &Ty::of(el), &mut cands);
        }
        if el != El::G && (cands.is_empty() || self.rng.chance(0.4)) {
            return Some(self.lit(el));
        }
        if cands.is_empty() {
            return None;
        }
        Some(self.rng.pick(&cands).clone())
    }

    // ---------------------------------------------------------------- scalars

    /// Numeric element types whose join is `el` (for the operands of an operator).
    fn operands_for(&mut self, el: El) -> (El, El) {
        let lower: Vec<El> = [El::I, El::G, El::F]
            .into_iter()
            .filter(|e| rank(*e) <= rank(el) && (*e != El::G || self.generic))
            .collect();
        let other = *self.rng.pick(&lower);
        if self.rng.chance(0.5) {
            (el, other)
        } else {
            (other, el)
        }
    }
    fn any_num(&mut self) -> El {
        if self.generic && self.rng.chance(0.4) {
            El::G
        } else if self.rng.chance(0.5) {
            El::I
        } else {
            El::F
        }
    }
    fn any_el(&mut self) -> El {
        if self.rng.chance(0.15) {
            *self.rng.pick(&[El::U8, El::I32, El::F32])
        } else if self.rng.chance(0.15) {
            El::B
        } else {
            self.any_num()
        }
    }

    /// A non-zero divisor of integer kind `el` (unless by design).
    fn divisor(&mut self, el: El, d: u32) -> String {
        if el == El::F {
            return self.scalar(El::F, d);
        }
        if self.oops() {
            return self.scalar(el, d);
        }
        match self.rng.below(3) {
            0 => self.rng.pick(I_DIVISORS).to_string(),
            1 => format!("(abs({}) + 1)", self.scalar(el, d)),
            _ => format!("maximum({}, 1)", self.scalar(el, d)),
        }
    }
    /// A non-negative integer exponent (unless by design).
    fn exponent(&mut self, el: El, d: u32) -> String {
        if el == El::F && self.rng.chance(0.3) {
            // Literal exponents the lowering turns into multiplications or a square root.
            return self
                .rng
                .pick(&["0.5", "0.0", "2.0", "3.0", "6.0", "17.0", "33.0"])
                .to_string();
        }
        if el == El::F || self.oops() {
            return self.scalar(el, d);
        }
        if self.rng.chance(0.5) {
            self.rng.range(0, 4).to_string()
        } else {
            format!("(abs({}) % 5)", self.scalar(el, d))
        }
    }

    fn scalar(&mut self, el: El, d: u32) -> String {
        if narrow(el) {
            return self.v2_scalar(el, d);
        }
        if d == 0 || self.rng.chance(0.25) {
            if let Some(s) = self.scalar_leaf(el) {
                return s;
            }
        }
        let d = d.saturating_sub(1);
        for _ in 0..8 {
            let r = if el == El::B {
                self.bool_expr(d)
            } else {
                self.num_expr(el, d)
            };
            if let Some(s) = r {
                return s;
            }
        }
        match el {
            El::G => {
                let g = self.scalar_leaf(El::G);
                g.unwrap_or_else(|| panic!("no source of the generic type\n{}", self.out))
            }
            _ => self.lit(el),
        }
    }

    fn num_expr(&mut self, el: El, d: u32) -> Option<String> {
        Some(match self.rng.below(23) {
            20..=22 => self.v2_scalar_once(el, d)?,
            0..=6 => {
                let op = *self
                    .rng
                    .pick(&["+", "-", "*", "+", "-", "*", "//", "%", "**", "/"]);
                if op == "/" {
                    if el != El::F {
                        return None;
                    }
                    let (a, b) = (self.any_num(), self.any_num());
                    return Some(format!("({} / {})", self.scalar(a, d), self.scalar(b, d)));
                }
                let (a, b) = self.operands_for(el);
                // A guarded divisor or exponent may be a plain `i64`: the left operand
                // then carries the type.
                let (a, b) = if op == "//" || op == "%" || op == "**" {
                    (el, if rank(a) < rank(b) { a } else { b })
                } else {
                    (a, b)
                };
                let x = self.scalar(a, d);
                let y = match op {
                    "//" | "%" => self.divisor(b, d),
                    "**" => self.exponent(b, d),
                    _ => self.scalar(b, d),
                };
                format!("({x} {op} {y})")
            }
            7 => format!("(-{})", self.scalar(el, d)),
            8 => format!("abs({})", self.scalar(el, d)),
            9 => {
                let f = *self.rng.pick(&["min", "max", "minimum", "maximum"]);
                let (a, b) = self.operands_for(el);
                format!("{f}({}, {})", self.scalar(a, d), self.scalar(b, d))
            }
            10 | 11 => match el {
                El::F => {
                    let f = *self.rng.pick(&[
                        "sqrt", "exp", "log", "log10", "sin", "cos", "tan", "asin", "acos", "atan",
                        "sinh", "cosh", "tanh", "floor", "ceil", "round", "float", "atan2", "pow",
                    ]);
                    let a = self.any_num();
                    if f == "atan2" || f == "pow" {
                        let b = self.any_num();
                        format!("{f}({}, {})", self.scalar(a, d), self.scalar(b, d))
                    } else {
                        format!("{f}({})", self.scalar(a, d))
                    }
                }
                El::I => {
                    let a = if self.generic && self.rng.chance(0.3) {
                        El::G
                    } else {
                        El::F
                    };
                    format!("int({})", self.scalar(a, d))
                }
                _ => return None,
            },
            12 | 13 => self.reduction(el, d)?,
            14 => {
                let i = self.pick_call(|t| t.el() == Some(el))?;
                self.call(i, d)?.0
            }
            15 => {
                // A field of a tuple expression.
                let other = self.any_el();
                let mut tys = vec![Ty::of(el), Ty::of(other)];
                if self.rng.chance(0.5) {
                    tys.swap(0, 1);
                }
                let k = tys.iter().position(|t| *t == Ty::of(el)).unwrap();
                format!("{}.{k}", self.tuple(&tys, d)?)
            }
            16 if el != El::F => {
                let x = self.scalar(el, d);
                let y = self.divisor(el, d);
                format!("divmod({x}, {y}).{}", self.rng.below(2))
            }
            17 if el == El::F => {
                if self.linalg && self.rng.chance(0.6) {
                    let a = self.any_num();
                    format!("linalg.norm({})", self.any_array(a, 1, d)?.0)
                } else {
                    "random()".into()
                }
            }
            _ => self.scalar_leaf(el)?,
        })
    }

    /// A scalar computed from an array.
    fn reduction(&mut self, el: El, d: u32) -> Option<String> {
        let nd = self.rng.range(1, 3) as usize;
        Some(match el {
            El::I => match self.rng.below(6) {
                0 => {
                    let a = if self.rng.chance(0.3) { El::B } else { El::I };
                    let f = if a == El::B {
                        "sum"
                    } else {
                        *self.rng.pick(&["sum", "prod"])
                    };
                    format!("{f}({})", self.any_array(a, nd, d)?.0)
                }
                1 => {
                    let a = self.any_num();
                    let f = *self.rng.pick(&["argmin", "argmax"]);
                    format!("{f}({})", self.nonempty_array(a, nd, d)?)
                }
                2 => {
                    let a = self.any_el();
                    let f = *self.rng.pick(&["len", "size", "ndim"]);
                    format!("{f}({})", self.any_array(a, nd, d)?.0)
                }
                3 => {
                    let a = self.any_el();
                    let (s, dims) = self.any_array(a, nd, d)?;
                    format!("shape({s}).{}", self.rng.below(dims.len()))
                }
                4 => self.dot_scalar(El::I, d)?,
                _ => {
                    let f = *self.rng.pick(&["min", "max"]);
                    format!("{f}({})", self.nonempty_array(El::I, nd, d)?)
                }
            },
            El::G | El::F => match self.rng.below(5) {
                0 => {
                    let f = *self.rng.pick(&["sum", "prod"]);
                    format!("{f}({})", self.any_array(el, nd, d)?.0)
                }
                1 => {
                    let f = *self.rng.pick(&["min", "max"]);
                    format!("{f}({})", self.nonempty_array(el, nd, d)?)
                }
                2 if el == El::F => {
                    let f = *self.rng.pick(&["mean", "std", "var"]);
                    let a = self.any_num();
                    format!("{f}({})", self.any_array(a, nd, d)?.0)
                }
                _ => self.dot_scalar(el, d)?,
            },
            El::U8 | El::I32 | El::F32 => return None,
            El::B => {
                let f = *self.rng.pick(&["any", "all"]);
                let a = self.any_el();
                format!("{f}({})", self.any_array(a, nd, d)?.0)
            }
        })
    }
    fn nonempty_array(&mut self, el: El, nd: usize, d: u32) -> Option<String> {
        for _ in 0..4 {
            let (s, dims) = self.any_array(el, nd, d)?;
            if self.nonempty(&dims) || self.oops() {
                return Some(s);
            }
        }
        None
    }
    fn dot_scalar(&mut self, el: El, d: u32) -> Option<String> {
        let (a, b) = self.operands_for(el);
        let (x, dims) = self.any_array(a, 1, d)?;
        let dims = if self.oops() { self.rand_dims(1) } else { dims };
        let y = self.array(b, &dims, d)?;
        Some(format!("dot({x}, {y})"))
    }

    fn bool_expr(&mut self, d: u32) -> Option<String> {
        Some(match self.rng.below(14) {
            12 | 13 => self.v2_scalar_once(El::B, d)?,
            0..=3 => {
                let op = *self.rng.pick(&["<", "<=", ">", ">=", "==", "!="]);
                if self.rng.chance(0.1) {
                    let op = *self.rng.pick(&["==", "!="]);
                    format!("({} {op} {})", self.scalar(El::B, d), self.scalar(El::B, d))
                } else {
                    let (a, b) = (self.any_num(), self.any_num());
                    format!("({} {op} {})", self.scalar(a, d), self.scalar(b, d))
                }
            }
            4 | 5 => {
                let op = *self.rng.pick(&["and", "or"]);
                format!("({} {op} {})", self.scalar(El::B, d), self.scalar(El::B, d))
            }
            6 => format!("(not {})", self.scalar(El::B, d)),
            7 => {
                let f = *self.rng.pick(&["isnan", "isinf"]);
                let a = self.any_num();
                format!("{f}({})", self.scalar(a, d))
            }
            8 => self.reduction(El::B, d)?,
            9 => {
                let i = self.pick_call(|t| *t == Ty::B)?;
                self.call(i, d)?.0
            }
            _ => self.scalar_leaf(El::B)?,
        })
    }

    // ---------------------------------------------------------------- arrays

    /// An array of element type `el`, any shape with `nd` axes, and its shape.
    fn any_array(&mut self, el: El, nd: usize, d: u32) -> Option<(String, Vec<Dim>)> {
        let r = self.rng.below(10);
        if r < 4 {
            let vs: Vec<Var> = self
                .vars()
                .into_iter()
                .filter(|v| matches!(&v.ty, Ty::A(e, dims) if *e == el && dims.len() == nd))
                .collect();
            if !vs.is_empty() {
                let v = self.rng.pick(&vs).clone();
                let Ty::A(_, dims) = v.ty else { unreachable!() };
                return Some((v.name, dims));
            }
        } else if r < 5 && nd == 1 && el != El::G && self.rng.chance(0.3) {
            // A boolean mask's selection: 1-D, of a length known only when it runs.
            let vs = self.array_vars(|e, _| e == el);
            if !vs.is_empty() {
                let (name, _, dims) = self.rng.pick(&vs).clone();
                let m = self.mask_of(&name, el, &dims, d)?;
                return Some((format!("{name}[{m}]"), vec![self.selection_sym(None)]));
            }
        } else if r < 5 {
            if let Some(i) =
                self.pick_call(|t| matches!(t, Ty::A(e, dims) if *e == el && dims.len() == nd))
            {
                if let Some((s, Some(Ty::A(_, dims)))) = self.call(i, d) {
                    return Some((s, dims));
                }
            }
        }
        let dims = self.rand_dims(nd);
        Some((self.array(el, &dims, d)?, dims))
    }

    fn array_vars(&self, pred: impl Fn(El, &[Dim]) -> bool) -> Vec<(String, El, Vec<Dim>)> {
        self.vars()
            .into_iter()
            .filter_map(|v| match v.ty {
                Ty::A(el, dims) if pred(el, &dims) => Some((v.name, el, dims)),
                _ => None,
            })
            .collect()
    }

    fn construct(&mut self, el: El, dims: &[Dim]) -> Option<String> {
        let shape = self.shape_expr(dims)?;
        let known: Option<Vec<usize>> = dims
            .iter()
            .map(|d| if let Dim::K(n) = d { Some(*n) } else { None })
            .collect();
        let total = known.as_ref().map(|k| k.iter().product::<usize>());
        let reshaped = |s: String| {
            if dims.len() == 1 {
                s
            } else {
                format!("reshape({s}, {shape})")
            }
        };
        if narrow(el) {
            return self.v2_construct(el, dims);
        }
        Some(match el {
            El::F => match self.rng.below(6) {
                0 => format!("zeros({shape})"),
                1 => format!("ones({shape})"),
                2 => format!("full({shape}, {})", self.lit(El::F)),
                3 if total.is_some() => {
                    let n = total.unwrap();
                    let (a, b) = (self.lit(El::F), self.lit(El::F));
                    reshaped(format!("linspace({a}, {b}, {n})"))
                }
                4 if total.is_some() => {
                    let n = total.unwrap();
                    let f = *self.rng.pick(&["rand", "randn"]);
                    reshaped(format!("{f}({n})"))
                }
                5 if total.is_some() => {
                    let n = total.unwrap() as f64;
                    let lo = self.rng.range(-5, 5) as f64 + 0.5;
                    reshaped(format!("arange({lo:?}, {:?})", lo + n))
                }
                _ => format!("full({shape}, {})", self.scalar_leaf(El::F)?),
            },
            El::I => match self.rng.below(3) {
                0 if total.is_some() => {
                    let n = total.unwrap() as i64;
                    let lo = self.rng.range(-6, 6);
                    if lo == 0 && self.rng.chance(0.5) {
                        reshaped(format!("arange({n})"))
                    } else if self.rng.chance(0.3) {
                        let step = *self.rng.pick(&[2i64, 3, -1, -2, -5]);
                        let end = lo
                            + n * step
                            + if step > 0 { -1 } else { 1 } * self.rng.range(0, step.abs() - 1);
                        reshaped(format!("arange({lo}, {end}, {step})"))
                    } else {
                        reshaped(format!("arange({lo}, {})", lo + n))
                    }
                }
                1 => format!("full({shape}, {})", self.lit(El::I)),
                _ => format!("full({shape}, {})", self.scalar_leaf(El::I)?),
            },
            El::G => format!("full({shape}, {})", self.scalar_leaf(El::G)?),
            El::B => match self.rng.below(2) {
                0 => format!("full({shape}, {})", self.lit(El::B)),
                _ => format!("(zeros({shape}) {} 0.5)", self.rng.pick(&["<", ">"])),
            },
            El::U8 | El::I32 | El::F32 => unreachable!("narrow types are built above"),
        })
    }

    /// An array of `a` with shape `dims` and a second operand of `b` (a scalar or an array
    /// of that shape), in either order: the two sides of a broadcasting binary operation.
    fn array_and_operand(
        &mut self,
        a: El,
        b: El,
        dims: &[Dim],
        d: u32,
    ) -> Option<(String, String)> {
        let x = self.array(a, dims, d)?;
        let y = if self.rng.chance(0.5) {
            self.scalar(b, d)
        } else {
            self.array(b, dims, d)?
        };
        Some(if self.rng.chance(0.5) { (x, y) } else { (y, x) })
    }

    /// An array of element type `el` and exactly the shape `dims`.
    fn array(&mut self, el: El, dims: &[Dim], d: u32) -> Option<String> {
        for _ in 0..8 {
            let choice = if d == 0 || self.rng.chance(0.2) {
                self.rng.below(3)
            } else {
                self.rng.below(31)
            };
            let r = if narrow(el) && choice > 2 {
                self.v2_array_once(el, dims, d.saturating_sub(1))
            } else {
                self.array_once(el, dims, d.saturating_sub(1), choice)
            };
            if let Some(s) = r {
                return Some(s);
            }
        }
        self.construct(el, dims).or_else(|| {
            let vs = self.array_vars(|e, ds| e == el && ds == dims);
            vs.first().map(|v| v.0.clone())
        })
    }

    fn array_once(&mut self, el: El, dims: &[Dim], d: u32, choice: usize) -> Option<String> {
        let nd = dims.len();
        match choice {
            0 => {
                let vs = self.array_vars(|e, ds| e == el && ds == dims);
                if vs.is_empty() {
                    return None;
                }
                let v = self.rng.pick(&vs).0.clone();
                Some(if self.rng.chance(0.15) {
                    format!("copy({v})")
                } else {
                    v
                })
            }
            1 => self.construct(el, dims),
            2 => self.view(el, dims),
            3..=7 if numeric(el) => {
                let op = *self
                    .rng
                    .pick(&["+", "-", "*", "+", "*", "//", "%", "**", "/"]);
                if op == "/" && el != El::F {
                    return None;
                }
                let (a, b) = if op == "/" {
                    (self.any_num(), self.any_num())
                } else {
                    self.operands_for(el)
                };
                let (a, b) = if op == "//" || op == "%" || op == "**" {
                    (el, if rank(a) < rank(b) { a } else { b })
                } else {
                    (a, b)
                };
                let form = self.rng.below(3); // array op array, array op scalar, scalar op array
                let x = if form == 2 {
                    self.scalar(a, d)
                } else {
                    self.array(a, dims, d)?
                };
                let mismatch = form == 0 && self.oops();
                let ydims = if mismatch {
                    self.rand_dims(nd)
                } else {
                    dims.to_vec()
                };
                let y = match (op, form) {
                    ("//" | "%", 1) => self.divisor(b, d),
                    ("//" | "%", _) if b != El::F && !self.oops() => {
                        format!("(abs({}) + 1)", self.array(b, &ydims, d)?)
                    }
                    ("**", 1) => self.exponent(b, d),
                    ("**", _) if b != El::F && !self.oops() => {
                        format!("(abs({}) % 4)", self.array(b, &ydims, d)?)
                    }
                    (_, 1) => self.scalar(b, d),
                    _ => self.array(b, &ydims, d)?,
                };
                Some(format!("({x} {op} {y})"))
            }
            8 if numeric(el) && el != El::F => {
                let f = *self.rng.pick(&["-", "abs"]);
                let x = self.array(el, dims, d)?;
                Some(if f == "-" {
                    format!("(-{x})")
                } else {
                    format!("abs({x})")
                })
            }
            8 | 9 if el == El::F => {
                let f = *self.rng.pick(&[
                    "sqrt", "exp", "log", "sin", "cos", "tanh", "atan", "floor", "ceil", "round",
                    "abs", "-", "atan2", "pow", "to_float", "log10", "cosh",
                ]);
                let a = match f {
                    "abs" | "-" => El::F,
                    "to_float" => El::I,
                    _ => self.any_num(),
                };
                let x = self.array(a, dims, d)?;
                Some(match f {
                    "-" => format!("(-{x})"),
                    "atan2" | "pow" => {
                        let b = self.any_num();
                        let y = if self.rng.chance(0.5) {
                            self.scalar(b, d)
                        } else {
                            self.array(b, dims, d)?
                        };
                        format!("{f}({x}, {y})")
                    }
                    _ => format!("{f}({x})"),
                })
            }
            10 if numeric(el) => {
                let f = *self.rng.pick(&["minimum", "maximum"]);
                let (a, b) = self.operands_for(el);
                let (x, y) = self.array_and_operand(a, b, dims, d)?;
                Some(format!("{f}({x}, {y})"))
            }
            11..=13 if el == El::B => {
                if self.rng.chance(0.25) {
                    let x = self.array(El::B, dims, d)?;
                    return Some(if self.rng.chance(0.5) {
                        format!("(not {x})")
                    } else {
                        let y = self.array(El::B, dims, d)?;
                        format!("({x} {} {y})", self.rng.pick(&["==", "!="]))
                    });
                }
                let op = *self.rng.pick(&["<", "<=", ">", ">=", "==", "!="]);
                let (a, b) = (self.any_num(), self.any_num());
                let (x, y) = self.array_and_operand(a, b, dims, d)?;
                Some(format!("({x} {op} {y})"))
            }
            14 if el == El::I => {
                let a = *self.rng.pick(&[El::B, El::F, El::I]);
                Some(format!("to_int({})", self.array(a, dims, d)?))
            }
            14 if el == El::F => {
                let a = *self.rng.pick(&[El::B, El::I]);
                Some(format!("to_float({})", self.array(a, dims, d)?))
            }
            15 if nd == 2 => {
                let t = vec![dims[1], dims[0]];
                Some(format!("transpose({})", self.array(el, &t, d)?))
            }
            16 if el != El::B => {
                if nd == 1 && self.rng.chance(0.5) {
                    Some(format!("cumsum({})", self.array(el, dims, d)?))
                } else {
                    Some(format!("sort({})", self.array(el, dims, d)?))
                }
            }
            17 => self.reshape(el, dims, d),
            18 if numeric(el) && nd <= 2 => {
                // dot: (r, k)·(k) -> (r); (r, k)·(k, c) -> (r, c)
                let (a, b) = self.operands_for(el);
                let k = Dim::K(self.rng.range(1, 4) as usize);
                let x = self.array(a, &[dims[0], k], d)?;
                let y = if nd == 1 {
                    self.array(b, &[k], d)?
                } else {
                    self.array(b, &[k, dims[1]], d)?
                };
                Some(format!("dot({x}, {y})"))
            }
            19 | 20 => {
                let want = Ty::A(el, dims.to_vec());
                let i =
                    self.pick_call(|t| matches!(t, Ty::A(e, ds) if *e == el && ds.len() == nd))?;
                let (s, t) = self.call(i, d)?;
                (t == Some(want)).then_some(s)
            }
            22 if el == El::F && nd == 2 && self.linalg => {
                if dims[0] == dims[1] && self.rng.chance(0.3) {
                    return Some(format!("linalg.eye({})", self.dim_expr(dims[0])?));
                }
                let (a, b) = (self.any_num(), self.any_num());
                let x = self.array(a, &dims[..1], d)?;
                let y = self.array(b, &dims[1..], d)?;
                Some(format!("linalg.outer({x}, {y})"))
            }
            22 if el != El::B && nd == 1 => {
                // cumsum flattens a 2-D array.
                let Dim::K(n) = dims[0] else { return None };
                let r = (1..=n.max(1)).filter(|r| n % r == 0).collect::<Vec<_>>();
                let r = *self.rng.pick(&r);
                let src = [Dim::K(r), Dim::K(n / r.max(1))];
                Some(format!("cumsum({})", self.array(el, &src, d)?))
            }
            23 if el != El::B => self.v2_chain(el, dims),
            24 if el == El::F => {
                // A chain of `+ - * /` over f64 variables of this shape and scalars (the
                // native tier fuses such runs into one loop when the arrays are contiguous).
                let vs = self.array_vars(|e, ds| e == El::F && ds == dims);
                if vs.is_empty() {
                    return None;
                }
                let mut e = self.rng.pick(&vs).0.clone();
                for _ in 0..self.rng.range(1, 4) {
                    let op = *self.rng.pick(&["+", "-", "*", "/"]);
                    let y = if self.rng.chance(0.7) {
                        self.rng.pick(&vs).0.clone()
                    } else if self.rng.chance(0.3) {
                        // A typed scalar of another type (converted once, before the loop).
                        let t = *self.rng.pick(&[El::U8, El::I32, El::I, El::F32]);
                        self.strong(t, 0)
                    } else if self.rng.chance(0.5) {
                        self.lit(El::F)
                    } else {
                        self.array(El::F, dims, 0)?
                    };
                    e = if self.rng.chance(0.5) {
                        format!("{e} {op} {y}")
                    } else {
                        format!("({e} {op} {y})")
                    };
                }
                Some(format!("({e})"))
            }
            21 => {
                // A field of a tuple that holds the array.
                let other = self.any_el();
                let tys = vec![Ty::of(other), Ty::A(el, dims.to_vec())];
                Some(format!("{}.1", self.tuple(&tys, d)?))
            }
            25..=30 => self.v2_array_once(el, dims, d),
            _ => None,
        }
    }

    /// A view of a variable with the shape `dims` (slicing, rows, columns, planes).
    fn view(&mut self, el: El, dims: &[Dim]) -> Option<String> {
        let vs = self.array_vars(|e, _| e == el);
        if vs.is_empty() {
            return None;
        }
        let (name, _, vd) = self.rng.pick(&vs).clone();
        let nd = dims.len();
        // Axes of `vd` kept by the view, in order; the others are indexed.
        let mut plans: Vec<Vec<usize>> = Vec::new();
        let m = vd.len();
        for mask in 0..(1u32 << m) {
            let kept: Vec<usize> = (0..m).filter(|k| mask & (1 << k) != 0).collect();
            if kept.len() != nd {
                continue;
            }
            let ok = kept.iter().zip(dims).all(|(&k, &want)| fits(vd[k], want))
                && (0..m)
                    .filter(|k| !kept.contains(k))
                    .all(|k| self.nonempty(&[vd[k]]));
            if ok {
                plans.push(kept);
            }
        }
        if plans.is_empty() {
            return None;
        }
        let kept = self.rng.pick(&plans).clone();
        let mut parts = Vec::new();
        let mut j = 0;
        for k in 0..m {
            if kept.contains(&k) {
                parts.push(self.slice_of(vd[k], dims[j]));
                j += 1;
            } else {
                parts.push(self.index(&name, &vd, k));
            }
        }
        // `m[i]` is a row: trailing full slices may be left out.
        if m == 2 && kept == [1] && parts[1] == ":" && self.rng.chance(0.5) {
            return Some(format!("{name}[{}]", parts[0]));
        }
        Some(format!("{name}[{}]", parts.join(", ")))
    }

    /// A slice of an axis of size `have` with `want` elements.
    fn slice_of(&mut self, have: Dim, want: Dim) -> String {
        let (Dim::K(m), Dim::K(n)) = (have, want) else {
            if have == want && self.rng.chance(0.2) {
                return "::-1".into();
            }
            return ":".into();
        };
        if m == n && self.rng.chance(0.5) {
            return if self.rng.chance(0.2) { "::-1" } else { ":" }.into();
        }
        if self.rng.chance(0.3) {
            if let Some(s) = self.stepped_slice(m as i64, n as i64) {
                return s;
            }
        }
        let lo = self.rng.range(0, (m - n) as i64);
        let hi = lo + n as i64;
        let m = m as i64;
        match self.rng.below(6) {
            0 if hi == m => format!("{lo}:"),
            1 if lo == 0 => format!(":{hi}"),
            2 if hi < m => format!("{}:{}", lo - m, hi - m),
            3 if hi == m && lo < m => format!("{}:{}", lo - m, hi + self.rng.range(0, 5)),
            4 if n == 0 => {
                let a = self.rng.range(0, m + 2);
                format!("{a}:{}", a - self.rng.range(0, 2))
            }
            _ => format!("{lo}:{hi}"),
        }
    }

    /// A slice with a step other than 1 (negative too) taking exactly `n` of `m` elements.
    fn stepped_slice(&mut self, m: i64, n: i64) -> Option<String> {
        let t = self.rng.range(1, 3);
        if n == 0 {
            let a = self.rng.range(0, m);
            return Some(if self.rng.chance(0.5) {
                format!("{a}:{a}:{}", t + 1)
            } else {
                format!("{a}:{}:-{t}", a + self.rng.range(0, 2))
            });
        }
        let span = (n - 1) * t; // first to last selected index
        if span > m - 1 {
            return None;
        }
        if self.rng.chance(0.5) && t > 1 {
            // Forward: lo, lo + t, ..., then a stop past the last one but before the next.
            let lo = self.rng.range(0, m - 1 - span);
            let last = lo + span;
            let hi = (last + 1 + self.rng.range(0, t - 1)).min(m);
            let lo_s = if lo == 0 && self.rng.chance(0.3) {
                String::new()
            } else if self.rng.chance(0.2) {
                (lo - m).to_string()
            } else {
                lo.to_string()
            };
            Some(if last + t >= m && self.rng.chance(0.5) {
                format!("{lo_s}::{t}")
            } else {
                format!("{lo_s}:{hi}:{t}")
            })
        } else {
            // Backward from `a`: a, a - t, ..., a - span, then a stop below that.
            let a = self.rng.range(span, m - 1);
            let b = a - span - 1 - self.rng.range(0, t - 1);
            let a_s = if a == m - 1 && self.rng.chance(0.3) {
                String::new()
            } else if self.rng.chance(0.2) {
                (a - m).to_string()
            } else {
                a.to_string()
            };
            if b >= 0 {
                Some(format!("{a_s}:{b}:-{t}"))
            } else if a - span < t {
                Some(format!("{a_s}::-{t}"))
            } else {
                None
            }
        }
    }

    fn reshape(&mut self, el: El, dims: &[Dim], d: u32) -> Option<String> {
        let known: Option<Vec<usize>> = dims
            .iter()
            .map(|d| if let Dim::K(n) = d { Some(*n) } else { None })
            .collect();
        let known = known?;
        let total: usize = known.iter().product();
        // Some shape with the same number of elements.
        let src: Vec<Dim> = match self.rng.below(3) {
            0 => vec![Dim::K(total)],
            1 if total > 0 && total.is_multiple_of(2) => vec![Dim::K(2), Dim::K(total / 2)],
            _ => vec![Dim::K(total), Dim::K(1)],
        };
        let x = self.array(el, &src, d)?;
        let mut parts: Vec<String> = known.iter().map(|n| n.to_string()).collect();
        if total > 0 && self.rng.chance(0.3) {
            let k = self.rng.below(parts.len());
            parts[k] = "-1".into();
        }
        let shape = if parts.len() == 1 && self.rng.chance(0.5) {
            parts[0].clone()
        } else if parts.len() == 1 {
            format!("({},)", parts[0])
        } else {
            format!("({})", parts.join(", "))
        };
        Some(format!("reshape({x}, {shape})"))
    }

    // ---------------------------------------------------------------- tuples and calls

    fn tuple(&mut self, tys: &[Ty], d: u32) -> Option<String> {
        let want = Ty::T(tys.to_vec());
        if self.rng.chance(0.3) {
            let vs: Vec<String> = self
                .vars()
                .into_iter()
                .filter(|v| v.ty == want)
                .map(|v| v.name)
                .collect();
            if !vs.is_empty() {
                return Some(self.rng.pick(&vs).clone());
            }
        }
        if self.rng.chance(0.15) {
            if let Some(i) = self.pick_call(|t| *t == want) {
                if let Some((s, Some(t))) = self.call(i, d) {
                    if t == want {
                        return Some(s);
                    }
                }
            }
        }
        let parts: Option<Vec<String>> = tys.iter().map(|t| self.expr(t, d)).collect();
        let parts = parts?;
        Some(if parts.len() == 1 {
            format!("({},)", parts[0])
        } else {
            format!("({})", parts.join(", "))
        })
    }

    /// A value of type `ty` (exactly, shapes included).
    fn expr(&mut self, ty: &Ty, d: u32) -> Option<String> {
        match ty {
            Ty::A(el, dims) => self.array(*el, dims, d),
            Ty::T(ts) => self.tuple(ts, d),
            t => Some(self.scalar(t.el().unwrap(), d)),
        }
    }

    /// A value that may be stored where `ty` is expected (`i64` widens to `f64`, and to
    /// the generic type).
    fn assignable(&mut self, ty: &Ty, d: u32) -> Option<String> {
        match ty {
            Ty::F | Ty::G if self.rng.chance(0.3) => Some(self.scalar(El::I, d)),
            // Implicit conversions along promotion (`u8` → `i64`, `f32` → `f64`) and of
            // integers into floats; none of them widens a variable (§2.3, §2.4).
            Ty::F if self.rng.chance(0.2) => {
                let t = *self.rng.pick(&[El::U8, El::I32, El::F32]);
                Some(self.strong(t, d))
            }
            Ty::I if self.rng.chance(0.2) => {
                let t = *self.rng.pick(&[El::U8, El::I32]);
                Some(self.strong(t, d))
            }
            t => self.expr(t, d),
        }
    }

    fn rand_ty(&mut self, depth: u32) -> Ty {
        match self.rng.below(10) {
            0..=4 => Ty::of(self.any_el()),
            5..=7 => {
                let el = self.any_el();
                let nd = *self.rng.pick(&[1, 1, 1, 2, 2, 3]);
                Ty::A(el, self.rand_dims(nd))
            }
            _ if depth > 0 => {
                let n = self.rng.range(1, 3) as usize;
                Ty::T((0..n).map(|_| self.rand_ty(depth - 1)).collect())
            }
            _ => Ty::of(self.any_el()),
        }
    }

    /// A function (index) this code may call whose return type (generic types taken as
    /// the caller's) satisfies `pred`, within the cost budget.
    /// Also gives the instance of the generic type to call it with.
    fn pick_call(&mut self, pred: impl Fn(&Ty) -> bool) -> Option<(usize, El)> {
        if self.no_calls {
            return None;
        }
        let lo = if self.cur == usize::MAX {
            0
        } else {
            self.cur + 1
        };
        let room = BUDGET.saturating_sub(self.cost);
        let mut cands = Vec::new();
        for i in lo..self.funcs.len() {
            let f = &self.funcs[i];
            if f.cost.saturating_mul(self.mult) > room {
                continue;
            }
            let Some(r) = &f.ret else { continue };
            for g in [El::I, El::F, El::G] {
                if (g != El::G || self.generic)
                    && (f.generic || g == El::I)
                    && pred(&subst_el(r, g))
                {
                    cands.push((i, g));
                }
            }
        }
        if cands.is_empty() {
            None
        } else {
            Some(*self.rng.pick(&cands))
        }
    }
    fn random_g(&mut self, i: usize) -> El {
        if !self.funcs[i].generic {
            El::I
        } else if self.generic && self.rng.chance(0.4) {
            El::G
        } else if self.rng.chance(0.5) {
            El::I
        } else {
            El::F
        }
    }

    /// A call of function `i`: its text and its return type at this call (shapes of the
    /// arguments substituted).
    fn call(&mut self, (i, g): (usize, El), d: u32) -> Option<(String, Option<Ty>)> {
        let params: Vec<(String, Ty, bool)> = self.funcs[i].params.clone();
        let mut map: HashMap<u32, Dim> = HashMap::new();
        let mut args = Vec::new();
        for (k, (_, pty, annotated)) in params.iter().enumerate() {
            if self.funcs[i].recursive && k == 0 {
                let cheap = self.funcs[i].cost < 13 * 40 && self.mult == 1;
                args.push(if cheap && self.oops() {
                    // Deeper than the 20 000 frames nvm allows.
                    "25000".to_string()
                } else if self.rng.chance(0.7) {
                    self.rng.range(0, 12).to_string()
                } else {
                    format!("(abs({}) % 10)", self.scalar(El::I, d.min(1)))
                });
                continue;
            }
            let pty = subst_el(pty, g);
            let (s, actual) = self.arg(&pty, *annotated, d)?;
            unify(&pty, &actual, &mut map);
            args.push(s);
        }
        let f = &self.funcs[i];
        self.cost = self.cost.saturating_add(f.cost.saturating_mul(self.mult));
        let name = f.name.clone();
        let ret = f.ret.clone().map(|r| subst_el(&r, g));
        let ret = ret.map(|r| self.subst_dims(&r, &map));
        Some((format!("{name}({})", args.join(", ")), ret))
    }

    /// An argument for a parameter of type `pty` (array shapes free): text and actual type.
    fn arg(&mut self, pty: &Ty, annotated: bool, d: u32) -> Option<(String, Ty)> {
        match pty {
            Ty::A(el, dims) => {
                let (s, ad) = self.any_array(*el, dims.len(), d)?;
                Some((s, Ty::A(*el, ad)))
            }
            Ty::T(ts) => {
                let mut actual = Vec::new();
                let mut parts = Vec::new();
                for t in ts {
                    let (s, a) = self.arg(t, false, d)?;
                    parts.push(s);
                    actual.push(a);
                }
                let s = if parts.len() == 1 {
                    format!("({},)", parts[0])
                } else {
                    format!("({})", parts.join(", "))
                };
                Some((s, Ty::T(actual)))
            }
            Ty::F | Ty::I if annotated => Some((self.assignable(pty, d)?, pty.clone())),
            // A literal converts to the narrow type of an annotated parameter if it fits.
            Ty::U8 | Ty::I32 | Ty::F32 if annotated && self.rng.chance(0.3) => {
                Some((self.weak_lit(pty.el().unwrap()), pty.clone()))
            }
            t => Some((self.scalar(t.el().unwrap(), d), t.clone())),
        }
    }

    fn subst_dims(&mut self, t: &Ty, map: &HashMap<u32, Dim>) -> Ty {
        match t {
            Ty::A(el, dims) => Ty::A(
                *el,
                dims.iter()
                    .map(|d| match d {
                        Dim::S(s) => match map.get(s) {
                            Some(x) => *x,
                            None => self.new_sym(None),
                        },
                        k => *k,
                    })
                    .collect(),
            ),
            Ty::T(ts) => Ty::T(ts.iter().map(|t| self.subst_dims(t, map)).collect()),
            t => t.clone(),
        }
    }

    // ---------------------------------------------------------------- statements

    fn block(&mut self, n: usize, depth: u32) {
        self.scopes.push(vec![]);
        for _ in 0..n {
            if self.cost > BUDGET {
                break;
            }
            self.stmt(depth);
        }
        self.scopes.pop();
    }

    fn cond(&mut self) -> String {
        let mut c = self.scalar(El::B, 2);
        if c == "true" || c == "false" {
            c = self.scalar(El::B, 2);
        }
        c.strip_prefix('(')
            .and_then(|c| c.strip_suffix(')'))
            .filter(|c| balanced(c))
            .map(String::from)
            .unwrap_or(c)
    }

    fn stmt(&mut self, depth: u32) {
        self.cost = self.cost.saturating_add(self.mult);
        // Now and then a deeper expression (more temporaries at once).
        let d = if self.rng.chance(0.04) {
            5
        } else {
            self.rng.range(1, 3) as u32
        };
        let r = self.rng.below(44);
        let nested = depth < 3 && self.mult < 300;
        match r {
            0..=5 => self.let_stmt(d),
            6..=10 => self.assign_stmt(d),
            11..=13 => self.store_stmt(d),
            14..=16 => {
                let n = self.rng.range(1, 3) as usize;
                let mut args = Vec::new();
                for _ in 0..n {
                    let t = self.rand_ty(1);
                    if let Some(s) = self.expr(&t, d) {
                        args.push(s);
                    }
                }
                if self.rng.chance(0.3) {
                    let esc = *self.rng.pick(&["", "\\t", "\\n", "\\\\", "\\\""]);
                    args.insert(0, format!("\"p{}{esc}\"", self.names));
                }
                self.line(&format!("print({});", args.join(", ")));
            }
            17..=19 if nested => {
                let c = self.cond();
                self.line(&format!("if {c} {{"));
                self.indent += 1;
                let n = self.rng.range(1, 4) as usize;
                self.block(n, depth + 1);
                self.indent -= 1;
                if self.rng.chance(0.3) {
                    let c = self.cond();
                    self.line(&format!("}} else if {c} {{"));
                    self.indent += 1;
                    let n = self.rng.range(1, 3) as usize;
                    self.block(n, depth + 1);
                    self.indent -= 1;
                }
                if self.rng.chance(0.4) {
                    self.line("} else {");
                    self.indent += 1;
                    let n = self.rng.range(1, 3) as usize;
                    self.block(n, depth + 1);
                    self.indent -= 1;
                }
                self.line("}");
            }
            20..=25 if nested => self.loop_stmt(depth),
            26 | 27 if self.loops > 0 => {
                let c = self.cond();
                let k = if self.rng.chance(0.5) {
                    "break"
                } else {
                    "continue"
                };
                self.line(&format!("if {c} {{ {k}; }}"));
            }
            28 if self.ret.is_some() && self.rng.chance(0.5) => {
                let c = self.cond();
                let ret = self.ret.clone().unwrap();
                if let Some(e) = self.expr(&ret, d) {
                    self.line(&format!("if {c} {{ return {e}; }}"));
                }
            }
            29 => {
                let c = if self.oops() {
                    self.cond()
                } else {
                    format!("{} or true", self.scalar(El::B, d))
                };
                if self.rng.chance(0.5) {
                    self.line(&format!("assert({c}, \"check {}\");", self.names));
                } else {
                    self.line(&format!("assert({c});"));
                }
            }
            30 => {
                let s = self.rng.range(0, 100);
                self.line(&format!("seed({s});"));
            }
            31..=33 => {
                // A call as a statement (void functions, or discarding a value).
                let lo = if self.cur == usize::MAX {
                    0
                } else {
                    self.cur + 1
                };
                let room = BUDGET.saturating_sub(self.cost);
                let cands: Vec<usize> = (lo..self.funcs.len())
                    .filter(|&i| self.funcs[i].cost.saturating_mul(self.mult) <= room)
                    .collect();
                if !cands.is_empty() {
                    let i = *self.rng.pick(&cands);
                    let g = self.random_g(i);
                    if let Some((s, ret)) = self.call((i, g), d) {
                        match ret {
                            Some(t) if self.rng.chance(0.5) => {
                                let name = self.fresh("r");
                                self.line(&format!("let {name} = {s};"));
                                self.declare(&name, t, true);
                            }
                            _ => self.line(&format!("{s};")),
                        }
                    }
                }
            }
            34 if self.rng.chance(0.3) => {
                // Shadow a scalar variable in a nested block.
                let inner: Vec<String> = self
                    .scopes
                    .last()
                    .unwrap()
                    .iter()
                    .map(|v| v.name.clone())
                    .collect();
                let vs: Vec<Var> = self
                    .vars()
                    .into_iter()
                    .filter(|v| {
                        v.assignable
                            && v.ty.el().is_some()
                            && !inner.contains(&v.name)
                            && !v.name.starts_with('p')
                            // A `for` counter indexes arrays as `i + c`: it stays an i64.
                            && !self.counters.iter().any(|(c, _, _)| *c == v.name)
                    })
                    .collect();
                if !vs.is_empty() && self.scopes.len() > 1 {
                    let v = self.rng.pick(&vs).clone();
                    let t = Ty::of(self.any_el());
                    let e = self.expr(&t, d).unwrap();
                    self.line(&format!("let {} = {e};", v.name));
                    self.declare(&v.name, t, true);
                }
            }
            40..=43 => self.v2_stmt(d),
            35 | 36 if nested && self.rng.chance(0.5) => self.prange_stmt(),
            37 if self.rng.chance(0.5) => self.lane_loop_stmt(),
            37 => self.unroll_loop_stmt(),
            38 if self.rng.chance(0.4) => self.count_loop_stmt(),
            38 if self.rng.chance(0.3) => self.merge_loop_stmt(),
            39 if self.rng.chance(0.4) => self.wrap_div_stmt(),
            39 if self.rng.chance(0.4) => self.nest_loop_stmt(),
            _ => self.let_stmt(d),
        }
    }

    fn let_stmt(&mut self, d: u32) {
        let ty = self.rand_ty(1);
        match &ty {
            Ty::T(ts) if ts.len() >= 2 && self.rng.chance(0.5) => {
                let Some(e) = self.tuple(ts, d) else { return };
                let names: Vec<String> = ts.iter().map(|_| self.fresh("u")).collect();
                self.line(&format!("let ({}) = {e};", names.join(", ")));
                for (n, t) in names.iter().zip(ts) {
                    self.declare(n, t.clone(), true);
                }
            }
            _ => {
                let name = self.fresh("v");
                let annot = !ty.has_g() && self.rng.chance(0.2);
                let e = if annot {
                    self.assignable(&ty, d)
                } else {
                    self.expr(&ty, d)
                };
                let Some(e) = e else { return };
                if annot {
                    self.line(&format!("let {name}: {} = {e};", ty.annot()));
                } else {
                    self.line(&format!("let {name} = {e};"));
                }
                self.declare(&name, ty, true);
            }
        }
    }

    fn assign_stmt(&mut self, d: u32) {
        let vs: Vec<Var> = self.vars().into_iter().filter(|v| v.assignable).collect();
        if vs.is_empty() {
            return self.let_stmt(d);
        }
        let v = self.rng.pick(&vs).clone();
        match &v.ty {
            t if t.el().is_some_and(narrow) => {
                return self.v2_assign_scalar(&v.name, t.el().unwrap(), d)
            }
            Ty::A(el, dims)
                if !matches!(el, El::B | El::G) && (narrow(*el) || self.rng.chance(0.2)) =>
            {
                return self.v2_assign_array(&v.name, *el, &dims.clone(), d)
            }
            _ => {}
        }
        match &v.ty {
            Ty::I | Ty::G | Ty::F if self.rng.chance(0.5) => {
                let el = v.ty.el().unwrap();
                let op = *self.rng.pick(&["+=", "-=", "*=", "/="]);
                if op == "/=" && el != El::F {
                    return;
                }
                let (a, _) = self.operands_for(el);
                let a = if rank(a) > rank(el) { el } else { a };
                let e = self.scalar(a, d);
                self.line(&format!("{} {op} {e};", v.name));
            }
            Ty::A(el, dims) if numeric(*el) && self.rng.chance(0.5) => {
                // In place, on the whole array.
                let op = *self.rng.pick(&["+=", "-=", "*=", "/="]);
                if op == "/=" && *el != El::F {
                    return;
                }
                let (a, _) = self.operands_for(*el);
                let a = if rank(a) > rank(*el) { *el } else { a };
                let e = if self.rng.chance(0.5) {
                    self.scalar(a, d)
                } else {
                    let Some(e) = self.array(a, dims, d) else {
                        return;
                    };
                    e
                };
                self.line(&format!("{} {op} {e};", v.name));
            }
            t => {
                let Some(e) = self.assignable(t, d) else {
                    return;
                };
                self.line(&format!("{} = {e};", v.name));
            }
        }
    }

    /// A store into array elements or a slice, plain or compound.
    fn store_stmt(&mut self, d: u32) {
        let vs = self.array_vars(|_, _| true);
        if vs.is_empty() {
            return self.let_stmt(d);
        }
        let (name, el, dims) = self.rng.pick(&vs).clone();
        let m = dims.len();
        let compound = numeric(el) && self.rng.chance(0.3);
        let op = if compound {
            *self.rng.pick(&["+=", "-=", "*="])
        } else {
            "="
        };
        let lower = |g: &mut Gen| {
            if narrow(el) {
                // A store converts any number; `strong` keeps a literal from having to
                // fit the narrow type in `a[i] += 300`.
                return g.v2_num();
            }
            let (a, _) = g.operands_for(el);
            if rank(a) > rank(el) {
                el
            } else {
                a
            }
        };
        if self.rng.chance(0.5) && (self.nonempty(&dims) || self.oops()) {
            let idx = self.indices(&name, &dims);
            let a = if numeric(el) { lower(self) } else { El::B };
            let e = if narrow(el) {
                self.strong(a, d)
            } else {
                self.scalar(a, d)
            };
            self.line(&format!("{name}[{idx}] {op} {e};"));
            return;
        }
        // A region: slices on some axes, indices on the others (at least one slice).
        let mut parts = Vec::new();
        let mut rdims = Vec::new();
        for k in 0..m {
            let slice = !self.nonempty(&dims[k..=k])
                || self.rng.chance(0.6)
                || (k == m - 1 && rdims.is_empty());
            if slice {
                let n = match dims[k] {
                    Dim::K(n) => Dim::K(self.rng.range(0, n as i64) as usize),
                    s => s,
                };
                parts.push(self.slice_of(dims[k], n));
                rdims.push(n);
            } else {
                parts.push(self.index(&name, &dims, k));
            }
        }
        let a = if numeric(el) { lower(self) } else { El::B };
        let e = if self.rng.chance(0.5) {
            if narrow(el) {
                self.strong(a, d)
            } else {
                self.scalar(a, d)
            }
        } else {
            let want = if self.oops() {
                self.rand_dims(rdims.len())
            } else {
                rdims
            };
            let Some(e) = self.array(a, &want, d) else {
                return;
            };
            e
        };
        self.line(&format!("{name}[{}] {op} {e};", parts.join(", ")));
    }

    /// A `prange` loop: integer `+=`/`*=` and float `min`/`max` reductions (exact whatever
    /// the parts: integers wrap, `min(v, e)` keeps the earlier of equal values), per
    /// iteration `let`s, prints and `continue`, reading the variables around it.
    fn prange_stmt(&mut self) {
        let (i, acc, m) = (self.fresh("i"), self.fresh("r"), self.fresh("m"));
        let lo = self.rng.range(-3, 3);
        let n = if self.mult <= 4 && self.rng.chance(0.3) {
            self.rng.range(20, 200)
        } else {
            self.rng.range(0, 8)
        };
        let (a0, m0) = (self.scalar(El::I, 1), self.scalar(El::F, 1));
        self.line(&format!("let {acc} = {a0};"));
        self.line(&format!("let {m} = {m0};"));
        self.line(&format!("for {i} in prange({lo}, {}) {{", lo + n));
        self.indent += 1;
        let saved = self.mult;
        self.mult = self.mult.saturating_mul(n.max(1) as u64);
        self.cost = self.cost.saturating_add(self.mult);
        self.scopes.push(vec![]);
        self.declare(&i, Ty::I, false);
        self.no_calls = true;
        for _ in 0..self.rng.range(0, 2) {
            let t = self.fresh("t");
            let e = self.scalar(El::I, 2);
            self.line(&format!("let {t} = {e};"));
            self.declare(&t, Ty::I, false);
        }
        if self.rng.chance(0.2) {
            let c = self.cond();
            self.line(&format!("if {c} {{ continue; }}"));
        }
        if self.rng.chance(0.3) {
            let e = self.scalar(El::I, 1);
            self.line(&format!("print(\"it\", {i}, {e});"));
        }
        let op = *self.rng.pick(&["+=", "*="]);
        let e = self.scalar(El::I, 2);
        self.line(&format!("{acc} {op} {e};"));
        let f = *self.rng.pick(&["min", "max"]);
        let e = self.scalar(El::F, 2);
        self.line(&format!("{m} = {f}({m}, {e});"));
        self.no_calls = false;
        self.scopes.pop();
        self.mult = saved;
        self.indent -= 1;
        self.line("}");
        self.declare(&acc, Ty::I, true);
        self.declare(&m, Ty::F, true);
    }

    /// A loop the native tier may run in two `f64x2` lanes (`jit::simd`): `f64` element
    /// loads and a store indexed by the counter plus a constant, arithmetic on them and
    /// invariant scalars, a value kept past the loop; now and then its arrays overlap (a
    /// view of a source, or the source itself), which must give the one-at-a-time result.
    fn lane_loop_stmt(&mut self) {
        let (a, b, v, k, last) = (
            self.fresh("la"),
            self.fresh("lb"),
            self.fresh("lv"),
            self.fresh("k"),
            self.fresh("last"),
        );
        let len = self.rng.range(0, 12);
        let (c1, c2) = (self.lit(El::F), self.lit(El::F));
        self.line(&format!(
            "let {a} = astype(arange({len}), f64) * 0.5 + {c1};"
        ));
        self.line(&format!("let {b} = ones({len}) * {c2};"));
        // The destination: a fresh array, a source, or a view over a source (shifted).
        let (dst, dlen) = match self.rng.below(4) {
            0 => {
                self.line(&format!("let {v} = zeros({len});"));
                (v.clone(), len)
            }
            1 => (a.clone(), len),
            2 => {
                self.line(&format!("let {v} = {a}[1:];"));
                (v.clone(), (len - 1).max(0))
            }
            _ => {
                let s = if len > 0 {
                    format!("{a}[:-1]")
                } else {
                    format!("{a}[:]")
                };
                self.line(&format!("let {v} = {s};"));
                (v.clone(), (len - 1).max(0))
            }
        };
        // The counter's range keeps `k - 1` and `k + 1` inside every array.
        let n = dlen.min(len);
        let (lo, hi) = (1.min(n), (n - 1).max(1.min(n)));
        let x = self.scalar(El::F, 1);
        self.line(&format!("let {last} = 0.0;"));
        self.line(&format!("for {k} in {lo}..{hi} {{"));
        self.indent += 1;
        let load = |g: &mut Self| -> String {
            let arr = if g.rng.chance(0.5) { &a } else { &b };
            // Now and then a quotient of the counter (proven before the loop, no lanes).
            let off = *g.rng.pick(&["", " - 1", " + 1", "", " // 2", " // 3"]);
            format!("{arr}[{k}{off}]")
        };
        let (p, q, r) = (load(self), load(self), load(self));
        let op = *self.rng.pick(&["+", "-", "*", "/"]);
        self.line(&format!("{last} = {p} {op} {q} * {x};"));
        let rhs = match self.rng.below(3) {
            0 => format!("{last} - {r}"),
            1 => format!("-{last} * 0.25 + {r}"),
            _ => format!("({r} + {last}) / 3.0"),
        };
        let doff = *self.rng.pick(&["", " - 1", " + 1"]);
        let doff = if dlen < len { "" } else { doff };
        self.line(&format!("{dst}[{k}{doff}] = {rhs};"));
        self.indent -= 1;
        self.line("}");
        self.line(&format!("print({last}, {a}, {b}, {dst});"));
    }

    /// A loop the native tier runs four iterations per pass (`jit::unroll`): a sum carried
    /// from one iteration to the next (no lanes), over a view whose stride is not one now
    /// and then, with an `i32` array and the counter as values, and now and then a store
    /// that the next iteration reads back; 0–13 iterations, around a pass's four.
    fn unroll_loop_stmt(&mut self) {
        let (a, u, v, s, t, k) = (
            self.fresh("ua"),
            self.fresh("ui"),
            self.fresh("uv"),
            self.fresh("us"),
            self.fresh("ut"),
            self.fresh("k"),
        );
        let len = self.rng.range(0, 14);
        let c = self.lit(El::F);
        self.line(&format!(
            "let {a} = astype(arange({len}), f64) * 0.25 + {c};"
        ));
        self.line(&format!("let {u} = astype(arange({len}) * 7 - 20, i32);"));
        let (view, n) = match self.rng.below(4) {
            0 => (format!("{a}[::2]"), (len + 1) / 2),
            1 => (format!("{a}[::-1]"), len),
            2 => (format!("{a}[1::3]"), (len + 1) / 3),
            _ => (a.clone(), len),
        };
        self.line(&format!("let {v} = {view};"));
        let (lo, hi) = (1.min(n), (n - 1).max(1.min(n)));
        let off = *self.rng.pick(&["", " - 1", " + 1"]);
        let s0 = self.lit(El::F);
        self.line(&format!("let {s} = {s0};"));
        self.line(&format!("let {t} = 0;"));
        self.line(&format!("for {k} in {lo}..{hi} {{"));
        self.indent += 1;
        self.line(&format!("{s} = {s} * 0.5 + {v}[{k}] * {a}[{k}{off}];"));
        self.line(&format!("{t} += {k} * 3 - {u}[{k}];"));
        if self.rng.chance(0.4) {
            self.line(&format!("{v}[{k}{off}] = {s} - 1.0;"));
        }
        self.indent -= 1;
        self.line("}");
        self.line(&format!("print({s}, {t}, {a});"));
    }

    /// A loop counting the true elements of a `bool` array (the native tier counts eight
    /// at a time where it can): lengths around the word size, a start and an index offset
    /// that may wrap, a strided view now and then.
    /// A loop around one inner loop over a 2-D array or view (jit::versions' nests):
    /// inner ranges of constants, of the view's shape and of the row, rows and columns at an offset
    /// (a negative one wraps: the checked copy runs), a store in the outer loop's body.
    fn nest_loop_stmt(&mut self) {
        let (a, v, s, j, c) = (
            self.fresh("na"),
            self.fresh("nv"),
            self.fresh("ns"),
            self.fresh("nj"),
            self.fresh("nc"),
        );
        let (r, w) = (self.rng.range(0, 6), self.rng.range(0, 7));
        let c0 = self.lit(El::F);
        self.line(&format!("let {a} = zeros(({r}, {w}));"));
        self.line(&format!(
            "for {j} in 0..{r} {{ for {c} in 0..{w} {{ {a}[{j}, {c}] = float({j} * {w} + {c}) * 0.25 + {c0}; }} }}"
        ));
        let (view, rows, cols) = match self.rng.below(5) {
            0 => (format!("{a}.T"), w, r),
            1 => (format!("{a}[::-1]"), r, w),
            2 => (format!("{a}[:, ::2]"), r, (w + 1) / 2),
            3 => (format!("{a}[1:]"), (r - 1).max(0), w),
            _ => (a.clone(), r, w),
        };
        self.line(&format!("let {v} = {view};"));
        let s0 = self.lit(El::F);
        self.line(&format!("let {s} = {s0};"));
        // Rows `j` or `j - 1` (wraps at 0); columns `c`, `c - 1` (wraps when the range
        // starts at 0) or `c + 1` (the range stops one short).
        let row = *self.rng.pick(&["", " - 1"]);
        let col = *self.rng.pick(&["", " - 1", " + 1"]);
        // Triangular ranges too: from the row (`j`, `j + 1`) or, where every row has a
        // column `j`, to it.
        let lo = match self.rng.below(4) {
            0 => j.clone(),
            1 => format!("{j} + 1"),
            k => format!("{}", k - 2),
        };
        let room = if col == " + 1" { cols - 1 } else { cols };
        let hi = match (col, self.rng.below(4)) {
            (_, 3) if rows <= room => format!("{j} + 1"),
            (" + 1", _) | (_, 0) => format!("shape({v}).1 - 1"),
            (_, 1) => format!("{}", (cols - 1).max(0)),
            _ => format!("shape({v}).1"),
        };
        self.line(&format!("for {j} in 0..{rows} {{"));
        self.indent += 1;
        self.line(&format!("for {c} in {lo}..{hi} {{"));
        self.indent += 1;
        self.line(&format!(
            "{s} = {s} * 0.5 + {v}[{j}, {c}] * {v}[{j}{row}, {c}{col}];"
        ));
        self.indent -= 1;
        self.line("}");
        if cols > 0 && self.rng.chance(0.5) {
            self.line(&format!("{v}[{j}, 0] = {s} - 1.0;"));
        }
        self.indent -= 1;
        self.line("}");
        self.line(&format!("print({s}, {v});"));
    }

    fn count_loop_stmt(&mut self) {
        let (m, c, k) = (self.fresh("m"), self.fresh("c"), self.fresh("k"));
        let len = self.rng.range(0, 30);
        let (p, q) = (self.rng.range(2, 6), self.rng.range(0, 3));
        self.line(&format!("let {m} = arange({len}) % {p} == {q};"));
        let (src, n) = if len > 1 && self.rng.chance(0.25) {
            let v = self.fresh("mv");
            self.line(&format!("let {v} = {m}[::2];"));
            (v, (len + 1) / 2)
        } else {
            (m.clone(), len)
        };
        // Negative starts wrap, within the array.
        let lo = self.rng.range(-2, 4).clamp(-n, n);
        let off = if lo >= 1 && self.rng.chance(0.3) {
            " - 1"
        } else {
            ""
        };
        let by = self.rng.range(1, 4);
        let start = self.rng.range(-3, 3);
        self.line(&format!("let {c} = {start};"));
        self.line(&format!("for {k} in {lo}..{n} {{"));
        self.indent += 1;
        self.line(&format!("if {src}[{k}{off}] {{ {c} += {by}; }}"));
        self.indent -= 1;
        self.line("}");
        self.line(&format!("print({c});"));
    }

    /// A merge of two arrays (the native tier runs its step `if a[i] <= b[j] { c[k] = a[i];
    /// i += 1; } else { c[k] = b[j]; j += 1; }` without a branch, `jit::diamonds`): `f64`
    /// values with ties, infinities and NaN, or `i64` ones, a comparison that may go either
    /// way, the store's value computed in the arms now and then, the output a strided view
    /// now and then, and (rarely) one element short, so the store fails in either arm.
    fn merge_loop_stmt(&mut self) {
        let (a, b, c) = (self.fresh("ma"), self.fresh("mb"), self.fresh("mc"));
        let (i, j, k) = (self.fresh("i"), self.fresh("j"), self.fresh("k"));
        let float = self.rng.chance(0.6);
        let (na, nb) = (self.rng.range(0, 9), self.rng.range(0, 9));
        let (el, one) = if float { ("f64", "1.0") } else { ("i64", "1") };
        for (x, n) in [(&a, na), (&b, nb)] {
            let parts: Vec<String> = (0..n)
                .map(|_| match (float, self.rng.below(8)) {
                    (true, 0) => "1.0 / 0.0".to_string(),
                    (true, 1) if self.rng.chance(0.3) => "0.0 / 0.0".to_string(),
                    (true, _) => format!("{}.5", self.rng.range(-3, 4)),
                    (false, _) => self.rng.range(-3, 4).to_string(),
                })
                .collect();
            if n == 0 {
                self.line(&format!("let {x} = zeros(0, {el});"));
            } else {
                self.line(&format!("let {x} = [{}];", parts.join(", ")));
            }
        }
        // The merge stores at most `na + nb - 1` elements (it stops when either side
        // runs out).
        let short = if self.oops() { self.rng.range(1, 3) } else { 0 };
        let n = (na + nb - 1 - short).max(0);
        let out = if self.rng.chance(0.25) {
            let w = self.fresh("mw");
            self.line(&format!("let {w} = zeros({}, {el});", 2 * n));
            format!("{w}[::2]")
        } else {
            format!("zeros({n}, {el})")
        };
        self.line(&format!("let {c} = {out};"));
        self.line(&format!("let {i} = 0;"));
        self.line(&format!("let {j} = 0;"));
        self.line(&format!("let {k} = 0;"));
        self.line(&format!("while {i} < len({a}) and {j} < len({b}) {{"));
        self.indent += 1;
        let cmp = *self.rng.pick(&["<=", "<", ">", ">="]);
        let (va, vb) = if self.rng.chance(0.3) {
            (format!("{a}[{i}] * 2 + {one}"), format!("{b}[{j}] - {one}"))
        } else {
            (format!("{a}[{i}]"), format!("{b}[{j}]"))
        };
        self.line(&format!("if {a}[{i}] {cmp} {b}[{j}] {{"));
        self.line(&format!("    {c}[{k}] = {va};"));
        self.line(&format!("    {i} += 1;"));
        self.line("} else {");
        self.line(&format!("    {c}[{k}] = {vb};"));
        self.line(&format!("    {j} += 1;"));
        self.line("}");
        self.line(&format!("{k} += 1;"));
        self.indent -= 1;
        self.line("}");
        self.line(&format!("print({i}, {j}, {k}, {c});"));
        // (At the error rate) a store that one arm's test proves in bounds and the other
        // arm's is not: made as one store after both arms, it must keep its check.
        if self.oops() {
            let q = self.fresh("q");
            let extra = self.rng.range(0, 2);
            self.line(&format!("let {q} = {k} + {extra};"));
            self.line(&format!("if {q} >= 0 {{"));
            self.line(&format!(
                "    if {q} < len({c}) {{ {c}[{q}] = {one}; }} else {{ {c}[{q}] = -{one}; }}"
            ));
            self.line("}");
            self.line(&format!("print({c});"));
        }
    }

    /// A counter that climbs past `i64::MAX` by `+= imm` from a large constant, divided
    /// and reduced by a constant each step: native code may drop the sign fix of `//` and
    /// `%` only for values that cannot overflow (`ranges::Bound::Exact`).
    fn wrap_div_stmt(&mut self) {
        let (c, k) = (self.fresh("w"), self.fresh("k"));
        let start = i64::MAX - self.rng.range(0, 4) * 1_000_000_000 - self.rng.range(0, 999);
        let step = self.rng.range(1, 1_000_000_000);
        let n = self.rng.range(1, 8);
        let d = *self.rng.pick(&[3, 7, 10, 1_000_003]);
        self.line(&format!("let {c} = {start};"));
        self.line(&format!("for {k} in 0..{n} {{"));
        self.indent += 1;
        self.line(&format!("{c} += {step};"));
        self.line(&format!(
            "print({c} // {d}, {c} % {d}, ({k} + {step}) % {d});"
        ));
        self.indent -= 1;
        self.line("}");
    }

    fn loop_stmt(&mut self, depth: u32) {
        let kind = self.rng.below(5);
        // A body that makes a row first (below), mostly under bounds that are not both
        // literals, as `ir::hoist` wants them.
        let row_first = kind <= 1 && self.rng.chance(0.25);
        let (iters, header, var): (u64, String, Option<(String, Ty)>) = match kind {
            0 | 1 => {
                let i = self.fresh("i");
                let lo = self.rng.range(-3, 3);
                // Now and then a longer loop (values evolve, overflow, tiers warm up).
                let n = if self.mult <= 4 && self.rng.chance(0.15) {
                    self.rng.range(20, 60)
                } else {
                    self.rng.range(0, 6)
                };
                let hi = if self.rng.chance(if row_first { 0.8 } else { 0.2 }) {
                    let vs = self.array_vars(|_, _| true);
                    if vs.is_empty() {
                        (lo + n).to_string()
                    } else {
                        format!("len({})", self.rng.pick(&vs).0)
                    }
                } else {
                    (lo + n).to_string()
                };
                let iters = if hi.starts_with("len") { 24 } else { n as u64 };
                (iters, format!("for {i} in {lo}..{hi} {{"), Some((i, Ty::I)))
            }
            2 => {
                let i = self.fresh("i");
                let step = *self.rng.pick(&[1i64, 2, 3, -1, -2, -3]);
                let n = self.rng.range(0, 6);
                let a = self.rng.range(-5, 5);
                let b = a + step * n + self.rng.range(0, step.abs() - 1) * step.signum();
                (
                    n as u64 + 1,
                    format!("for {i} in range({a}, {b}, {step}) {{"),
                    Some((i, Ty::I)),
                )
            }
            3 => {
                let vs = self.array_vars(|_, ds| ds.len() <= 2);
                if vs.is_empty() {
                    return;
                }
                let (name, el, dims) = self.rng.pick(&vs).clone();
                let x = self.fresh("x");
                let ty = if dims.len() == 1 {
                    Ty::of(el)
                } else {
                    Ty::A(el, dims[1..].to_vec())
                };
                let iters = match dims[0] {
                    Dim::K(n) => n as u64,
                    _ => 24,
                };
                (iters, format!("for {x} in {name} {{"), Some((x, ty)))
            }
            _ => {
                let w = self.fresh("w");
                let n = self.rng.range(0, 6);
                self.line(&format!("let {w} = 0;"));
                let c = if self.rng.chance(0.5) {
                    format!(" and {}", self.scalar(El::B, 1))
                } else {
                    String::new()
                };
                if self.rng.chance(0.3) {
                    self.line("while true {");
                    self.indent += 1;
                    self.line(&format!("{w} += 1;"));
                    self.line(&format!("if {w} > {n} {{ break; }}"));
                    self.indent -= 1;
                } else {
                    self.line(&format!("while {w} < {n}{c} {{"));
                    self.indent += 1;
                    self.line(&format!("{w} += 1;"));
                    self.indent -= 1;
                }
                // Declared after the header so that no statement assigns it.
                self.scopes.last_mut().unwrap().push(Var {
                    name: w.clone(),
                    ty: Ty::I,
                    assignable: false,
                });
                (n as u64 + 1, String::new(), None)
            }
        };
        if !header.is_empty() {
            self.line(&header);
        }
        self.indent += 1;
        let saved = self.mult;
        self.mult = self.mult.saturating_mul(iters.max(1));
        self.loops += 1;
        self.scopes.push(vec![]);
        if let Some((v, t)) = var.clone() {
            self.declare(&v, t, true);
        }
        let counted = match (&var, header.split_once(" in ")) {
            (Some((v, Ty::I)), Some((_, range))) if kind <= 1 => {
                let (lo, hi) = range
                    .trim_end_matches(" {")
                    .split_once("..")
                    .unwrap_or(("", ""));
                match (lo.parse::<i64>(), hi.parse::<i64>()) {
                    (Ok(lo), Ok(hi)) => {
                        self.counters.push((v.clone(), lo, hi));
                        true
                    }
                    _ => false,
                }
            }
            _ => false,
        };
        let n = self.rng.range(1, 4) as usize;
        let kernel = self.array_vars(|_, ds| ds.iter().all(|d| matches!(d, Dim::K(k) if *k > 0)));
        if counted && !kernel.is_empty() && self.rng.chance(0.3) {
            // A kernel-shaped body: element copies and updates only (no call, no array
            // expression), which the native tier runs in two versions (`jit::versions`).
            for _ in 0..n {
                let (name, el, dims) = self.rng.pick(&kernel).clone();
                let (to, from) = (self.indices(&name, &dims), self.indices(&name, &dims));
                let op = if numeric(el) && self.rng.chance(0.5) {
                    "+="
                } else {
                    "="
                };
                self.line(&format!("{name}[{to}] {op} {name}[{from}];"));
            }
        } else {
            // Now and then a row made first in the body, of an array from outside the loop
            // at a constant index: the view `ir::hoist` makes once before the loop (when
            // the bounds are not both literals), which the body may then write through,
            // rebind or pass on.
            let rows =
                self.array_vars(|_, ds| ds.len() >= 2 && matches!(ds[0], Dim::K(k) if k > 0));
            if row_first && !rows.is_empty() {
                let (name, el, dims) = self.rng.pick(&rows).clone();
                let v = self.fresh("row");
                let at = *self.rng.pick(&["0", "-1"]);
                self.line(&format!("let {v} = {name}[{at}];"));
                self.declare(&v, Ty::A(el, dims[1..].to_vec()), true);
            }
            self.block(n, depth + 1);
        }
        if counted {
            self.counters.pop();
        }
        self.scopes.pop();
        self.loops -= 1;
        self.mult = saved;
        self.indent -= 1;
        self.line("}");
    }

    // ---------------------------------------------------------------- functions

    fn signature(&mut self, idx: usize) -> Func {
        let recursive = self.rng.chance(0.15);
        let generic = self.rng.chance(0.45);
        self.generic = generic;
        let n = self.rng.range(if recursive || generic { 1 } else { 0 }, 3) as usize;
        let mut params = Vec::new();
        if recursive {
            params.push(("n".to_string(), Ty::I, true));
        }
        for k in 0..n {
            let mut ty = self.rand_ty(1);
            if generic && k == 0 {
                ty = if self.rng.chance(0.6) {
                    Ty::G
                } else {
                    Ty::A(El::G, vec![Dim::K(1)])
                };
            }
            // Parameters' shapes are symbols computed from the parameter.
            let name = format!("p{k}");
            let ty = self.symbolize(&ty, &name);
            let annotated = !ty.has_g() && self.rng.chance(0.4);
            params.push((name, ty, annotated));
        }
        let ret = if self.rng.chance(0.15) && !recursive {
            None
        } else {
            let mut t = self.rand_ty(1);
            // Returned arrays take the shape of an array parameter, or a known one.
            if let Ty::A(el, dims) = &t {
                let same: Vec<Vec<Dim>> = params
                    .iter()
                    .filter_map(|p| match &p.1 {
                        Ty::A(_, ds) if ds.len() == dims.len() => Some(ds.clone()),
                        _ => None,
                    })
                    .collect();
                if !same.is_empty() && self.rng.chance(0.6) {
                    t = Ty::A(*el, self.rng.pick(&same).clone());
                }
            }
            if generic && self.rng.chance(0.5) {
                t = match t {
                    Ty::A(El::I | El::F, ds) => Ty::A(El::G, ds),
                    Ty::I | Ty::F => Ty::G,
                    t => t,
                };
            }
            Some(t)
        };
        let generic = params.iter().any(|p| p.1.has_g());
        let ret_annot = ret.as_ref().is_some_and(|r| !r.has_g()) && self.rng.chance(0.4);
        Func {
            name: format!("f{idx}"),
            params,
            ret,
            ret_annot,
            generic,
            recursive,
            cost: 0,
        }
    }

    fn symbolize(&mut self, ty: &Ty, path: &str) -> Ty {
        match ty {
            Ty::A(el, dims) => {
                let ds = (0..dims.len())
                    .map(|k| {
                        let e = if k == 0 {
                            format!("len({path})")
                        } else {
                            format!("shape({path}).{k}")
                        };
                        self.new_sym(Some(e))
                    })
                    .collect();
                Ty::A(*el, ds)
            }
            Ty::T(ts) => Ty::T(
                ts.iter()
                    .enumerate()
                    .map(|(k, t)| self.symbolize(t, &format!("{path}.{k}")))
                    .collect(),
            ),
            t => t.clone(),
        }
    }

    fn function(&mut self, idx: usize) -> String {
        let saved = std::mem::take(&mut self.out);
        let f = &self.funcs[idx];
        let params: Vec<String> = f
            .params
            .iter()
            .map(|(n, t, a)| {
                if *a {
                    format!("{n}: {}", t.annot())
                } else {
                    n.clone()
                }
            })
            .collect();
        let mut head = format!("fn {}({})", f.name, params.join(", "));
        if f.ret_annot {
            head += &format!(" -> {}", f.ret.as_ref().unwrap().annot());
        }
        let (ret, recursive, name) = (f.ret.clone(), f.recursive, f.name.clone());
        self.cur = idx;
        self.generic = f.generic;
        self.ret = ret.clone();
        self.cost = 0;
        self.mult = 1;
        self.loops = 0;
        self.scopes = vec![self.consts.clone()];
        for (k, (n, t, _)) in self.funcs[idx].params.clone().into_iter().enumerate() {
            self.declare(&n, t, !(recursive && k == 0));
        }
        if std::env::var_os("NVM_GEN_DEBUG").is_some() {
            let sig = format!("# params {:?} -> {ret:?}", self.funcs[idx].params);
            self.line(&sig);
        }
        self.line(&format!("{head} {{"));
        self.indent = 1;
        if recursive {
            let ret = ret.clone().unwrap();
            let base = self.expr(&ret, 1).unwrap_or_else(|| "0".into());
            let base_first = self.rng.chance(0.7);
            if base_first {
                self.line(&format!("if n <= 0 {{ return {base}; }}"));
            } else {
                self.line("if n > 0 {");
                self.indent += 1;
            }
            let n = self.rng.range(0, 3) as usize;
            self.block_flat(n);
            // The recursive call: same generic type, depth going down.
            let r = self.fresh("r");
            let g = if self.generic { El::G } else { El::I };
            let mut args = vec![format!("n - {}", self.rng.range(1, 2))];
            let mut map = HashMap::new();
            let params = self.funcs[idx].params.clone();
            for (_, pty, annotated) in params.iter().skip(1) {
                let pty = subst_el(pty, g);
                let (s, actual) = self
                    .arg(&pty, *annotated, 1)
                    .unwrap_or_else(|| (self.expr(&pty, 0).expect("parameter value"), pty.clone()));
                unify(&pty, &actual, &mut map);
                args.push(s);
            }
            let rt = self.subst_dims(&ret, &map);
            let call = format!("{name}({})", args.join(", "));
            if self.rng.chance(0.3) {
                // A self-call in tail position (run as a loop, `ir::accumulate`):
                // `return f(..)`, or for `i64` `return e + f(..)` / `return e * f(..)`.
                let n = self.rng.range(0, 3) as usize;
                self.block_flat(n);
                let e = match ret {
                    Ty::I if self.rng.chance(0.7) => self.expr(&ret, 2),
                    _ => None,
                };
                match e {
                    Some(e) => {
                        let op = if self.rng.chance(0.7) { "+" } else { "*" };
                        self.line(&format!("return ({e}) {op} {call};"));
                    }
                    None => self.line(&format!("return {call};")),
                }
            } else {
                self.line(&format!("let {r} = {call};"));
                self.declare(&r, rt, true);
                let n = self.rng.range(0, 3) as usize;
                self.block_flat(n);
                let e = self.expr(&ret, 2).unwrap_or(base.clone());
                self.line(&format!("return {e};"));
            }
            if !base_first {
                self.indent -= 1;
                self.line("}");
                self.line(&format!("return {base};"));
            }
        } else {
            let n = self.rng.range(2, 8) as usize;
            self.block_flat(n);
            if let Some(ret) = &ret {
                let e = self
                    .expr(ret, 2)
                    .or_else(|| self.expr(ret, 0))
                    .unwrap_or_else(|| panic!("no value of the return type {ret:?}"));
                self.line(&format!("return {e};"));
            }
        }
        self.indent = 0;
        self.line("}");
        let cost = if recursive {
            (self.cost + 1).saturating_mul(13)
        } else {
            self.cost + 1
        };
        self.funcs[idx].cost = cost;
        std::mem::replace(&mut self.out, saved)
    }

    /// Two generic functions that call each other, counting a depth down: `ma(n, x)` and
    /// `mb(n, x)` (named like the others) return the type of `x`. They are added to the functions the script calls.
    fn mutual_pair(&mut self) -> String {
        let k = self.funcs.len();
        let names = [format!("f{k}"), format!("f{}", k + 1)];
        for name in &names {
            self.funcs.push(Func {
                name: name.clone(),
                params: vec![("n".into(), Ty::I, true), ("p0".into(), Ty::G, false)],
                ret: Some(Ty::G),
                ret_annot: false,
                generic: true,
                recursive: true,
                cost: 0,
            });
        }
        let saved = std::mem::take(&mut self.out);
        let mut cost = 0;
        for (j, name) in names.iter().enumerate() {
            let other = &names[1 - j];
            self.cur = usize::MAX - 1; // no other calls
            self.generic = true;
            self.ret = None;
            self.cost = 0;
            self.mult = 1;
            self.loops = 0;
            self.scopes = vec![self.consts.clone()];
            self.declare("n", Ty::I, false);
            self.declare("p0", Ty::G, true);
            self.line(&format!("fn {name}(n: i64, p0) {{"));
            self.indent = 1;
            let base = self.scalar(El::G, 2);
            if j == 0 {
                self.line(&format!("if n <= 0 {{ return {base}; }}"));
            } else {
                self.line(&format!("if n < 1 {{ return {base}; }}"));
            }
            let n = self.rng.range(0, 2) as usize;
            self.block_flat(n);
            let step = self.rng.range(1, 2);
            let arg = self.scalar(El::G, 2);
            self.line(&format!("let p1 = {other}(n - {step}, {arg});"));
            self.declare("p1", Ty::G, true);
            let e = self.scalar(El::G, 2);
            self.line(&format!("return {e};"));
            self.indent = 0;
            self.line("}");
            cost += self.cost + 2;
        }
        for i in [k, k + 1] {
            self.funcs[i].cost = cost * 13;
        }
        std::mem::replace(&mut self.out, saved)
    }

    /// Statements in the current scope (so that what they declare stays visible).
    fn block_flat(&mut self, n: usize) {
        for _ in 0..n {
            if self.cost > BUDGET {
                break;
            }
            self.stmt(1);
        }
    }

    /// The whole program, and the arguments of its `main` (if any).
    pub fn program(&mut self) -> (String, Vec<String>) {
        let mut text = "# generated by tests/differential (seed-determined)\n".to_string();
        if self.rng.chance(0.3) {
            self.linalg = true;
            text += "import linalg;\n";
        }
        for k in 0..self.rng.range(0, 2) {
            let (v, ty) = if self.rng.chance(0.5) {
                let v = format!("{} * {} - 1", self.rng.range(1, 9), self.rng.range(-5, 5));
                (v, Ty::I)
            } else {
                (format!("{}.5 / 4", self.rng.range(-9, 9)), Ty::F)
            };
            text += &format!("const C{k} = {v};\n");
            self.consts.push(Var {
                name: format!("C{k}"),
                ty,
                assignable: false,
            });
        }
        let nf = self.rng.range(0, 7) as usize;
        for i in 0..nf {
            let f = self.signature(i);
            self.funcs.push(f);
        }
        // Callees first, so that each caller knows what its calls cost.
        let mut bodies = vec![String::new(); nf];
        for i in (0..nf).rev() {
            bodies[i] = self.function(i);
        }
        let mut order: Vec<usize> = (0..nf).collect();
        if self.rng.chance(0.5) {
            order.reverse();
        }
        for i in order {
            text += &bodies[i];
        }
        if self.rng.chance(0.3) {
            text += &self.mutual_pair();
        }
        // The script.
        self.cur = usize::MAX;
        self.generic = false;
        self.ret = None;
        self.cost = 0;
        self.mult = 1;
        self.loops = 0;
        self.scopes = vec![self.consts.clone()];
        self.out.clear();
        self.indent = 0;
        let n = self.rng.range(6, 24) as usize;
        self.block_flat(n);
        let mut args = Vec::new();
        if self.rng.chance(0.2) {
            let script = std::mem::take(&mut self.out);
            let i: i64 = *self.rng.pick(&[0, -3, 7, 9223372036854775807]);
            let x: f64 = *self.rng.pick(&[0.5, -2.0, 1e300, -0.0]);
            let b = self.rng.chance(0.5);
            self.scopes = vec![self.consts.clone()];
            self.declare("a", Ty::I, true);
            self.declare("x", Ty::F, true);
            self.declare("b", Ty::B, true);
            self.cost = 0;
            self.line("fn main(a: i64, x: f64, b: bool) {");
            self.indent = 1;
            let n = self.rng.range(2, 8) as usize;
            self.block_flat(n);
            self.indent = 0;
            self.line("}");
            self.out = script + &self.out;
            args = vec![i.to_string(), format!("{x:?}"), b.to_string()];
        }
        text += &self.out;
        (text, args)
    }
}

fn fits(have: Dim, want: Dim) -> bool {
    match (have, want) {
        (Dim::K(m), Dim::K(n)) => m >= n,
        (a, b) => a == b,
    }
}

fn subst_el(t: &Ty, g: El) -> Ty {
    match t {
        Ty::G => Ty::of(g),
        Ty::A(El::G, ds) => Ty::A(g, ds.clone()),
        Ty::T(ts) => Ty::T(ts.iter().map(|t| subst_el(t, g)).collect()),
        t => t.clone(),
    }
}

fn unify(p: &Ty, a: &Ty, map: &mut HashMap<u32, Dim>) {
    match (p, a) {
        (Ty::A(_, pd), Ty::A(_, ad)) => {
            for (x, y) in pd.iter().zip(ad) {
                if let Dim::S(s) = x {
                    map.insert(*s, *y);
                }
            }
        }
        (Ty::T(ps), Ty::T(as_)) => {
            for (x, y) in ps.iter().zip(as_) {
                unify(x, y, map);
            }
        }
        _ => {}
    }
}

fn balanced(s: &str) -> bool {
    let mut depth = 0i32;
    for c in s.chars() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            _ => {}
        }
    }
    depth == 0
}

/// The program for `seed`, and the arguments for its `main`.
pub fn generate(seed: u64) -> (String, Vec<String>) {
    Gen::new(seed).program()
}

// =================================================================== nk version 2
//
// The narrow element types (`u8`, `i32`, `f32`) beside `bool`, `i64` and `f64`, NumPy 2's
// promotion (NEP 50) with weak literals, wraparound, saturating float → int conversions,
// bitwise operators and shifts, stepped and reversed slices, `None` axes, boolean masks,
// integer index arrays, broadcasting of `(n, 1)` with `(1, m)` and of 1-D with 2-D, axis
// reductions, `where`, `@`, `.T`, `concatenate`/`stack`. The version-1 generator above
// reaches this part through `scalar`/`array`/`construct` of a narrow type and, now and
// then, for `i64`, `f64` and `bool` too; version-2 expressions never involve `G`.

fn narrow(el: El) -> bool {
    matches!(el, El::U8 | El::I32 | El::F32)
}
fn int_el(el: El) -> bool {
    matches!(el, El::U8 | El::I32 | El::I)
}
fn float_el(el: El) -> bool {
    matches!(el, El::F32 | El::F)
}
fn tname(el: El) -> &'static str {
    match el {
        El::B => "bool",
        El::U8 => "u8",
        El::I32 => "i32",
        El::I => "i64",
        El::F32 => "f32",
        El::F => "f64",
        El::G => unreachable!("G has no name"),
    }
}
/// The bit width of an integer type (shift counts must stay below it).
fn width(el: El) -> u32 {
    match el {
        El::U8 => 8,
        El::I32 => 32,
        _ => 64,
    }
}
const NUMS: [El; 5] = [El::U8, El::I32, El::I, El::F32, El::F];
const ALL: [El; 6] = [El::B, El::U8, El::I32, El::I, El::F32, El::F];

fn prank(el: El) -> u8 {
    match el {
        El::B => 0,
        El::U8 => 1,
        El::I32 => 2,
        El::I => 3,
        El::F32 => 4,
        El::F => 5,
        El::G => 9,
    }
}
/// NumPy 2's promotion of two typed (strong) operands: `bool < u8 < i32 < i64 < f32 < f64`,
/// except `i32`/`i64` with `f32` giving `f64`; `None` for `bool` with a number.
fn promote(a: El, b: El) -> Option<El> {
    if a == El::G || b == El::G {
        return None;
    }
    if a == b {
        return Some(a);
    }
    if a == El::B || b == El::B {
        return None;
    }
    let (lo, hi) = if prank(a) < prank(b) { (a, b) } else { (b, a) };
    Some(if hi == El::F32 && matches!(lo, El::I32 | El::I) {
        El::F
    } else {
        hi
    })
}
/// `/` and the float math functions: `f32` stays `f32`, everything else gives `f64`.
fn float_of(p: El) -> El {
    if p == El::F32 {
        El::F32
    } else {
        El::F
    }
}
fn div_result(a: El, b: El) -> Option<El> {
    promote(a, b).filter(|p| *p != El::B).map(float_of)
}
fn arith_result(a: El, b: El) -> Option<El> {
    promote(a, b).filter(|p| *p != El::B)
}
fn bit_result(a: El, b: El) -> Option<El> {
    promote(a, b).filter(|p| !float_el(*p))
}
/// `dot`/`@`: integers give `i64`, floats the promoted type.
fn matmul_result(a: El, b: El) -> Option<El> {
    let p = arith_result(a, b)?;
    Some(if int_el(p) { El::I } else { p })
}

/// Whether nk takes this expression as a literal (NEP 50's "weak" scalar): a number,
/// parenthesized or negated; the two-argument built-ins (`minimum`, `max`, `atan2`...)
/// take a `const` as one too.
fn weak_text(s: &str) -> bool {
    let t = s.trim();
    if let Some(inner) = t.strip_prefix('(').and_then(|x| x.strip_suffix(')')) {
        if balanced(inner) {
            return weak_text(inner);
        }
    }
    if let Some(inner) = t.strip_prefix('-') {
        return weak_text(inner);
    }
    let mut cs = t.chars();
    match cs.next() {
        Some('C') => !t[1..].is_empty() && t[1..].chars().all(|c| c.is_ascii_digit()),
        Some(c) if c.is_ascii_digit() => t
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '+' | '-')),
        _ => false,
    }
}

/// Parenthesized unless a name (for indexing an expression: `(a + b)[::-1]`).
fn paren(s: &str) -> String {
    if s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        s.to_string()
    } else {
        format!("({s})")
    }
}

const U8_VALS: &[&str] = &[
    "0", "1", "7", "127", "128", "200", "255", "256", "300", "(-1)", "(-128)",
];
const I32_VALS: &[&str] = &[
    "0",
    "1",
    "(-1)",
    "(-7)",
    "65536",
    "1000000007",
    "2147483647",
    "(-2147483647 - 1)",
    "2147483648",
    "4294967295",
    "(-3000000000)",
];
const F32_VALS: &[&str] = &[
    "0.1",
    "1.0",
    "(-0.0)",
    "2.5",
    "(-7.5)",
    "16777217",
    "16777216.0",
    "3.4028235e38",
    "1e39",
    "(-1e39)",
    "1e-45",
    "1e-46",
    "0.3333333333333333",
    "1e-3",
    "(1.0 / 0.0)",
    "(0.0 / 0.0)",
];
/// Literals that stay literals (weak): no operator in them.
const WEAK_FLOATS: &[&str] = &[
    "0.5",
    "(-2.25)",
    "1.5",
    "0.1",
    "3.0",
    "(-0.0)",
    "1e-3",
    "1e10",
    "3.4e38",
    "1e39",
    "1e-40",
    "16777217.0",
    "(-7.5)",
    "1e308",
    "0.0",
];
/// Float values for conversions into integers: in range, at the edges, out of range, NaN.
const F_TO_INT: &[&str] = &[
    "2.7",
    "(-2.7)",
    "255.9",
    "256.0",
    "(-0.5)",
    "(-1.5)",
    "2147483647.5",
    "(-2147483649.0)",
    "1e10",
    "(-1e10)",
    "1e20",
    "(-1e20)",
    "9.3e18",
    "(1.0 / 0.0)",
    "(-1.0 / 0.0)",
    "(0.0 / 0.0)",
];

impl Gen {
    fn v2_any(&mut self) -> El {
        *self.rng.pick(&ALL)
    }
    fn v2_num(&mut self) -> El {
        *self.rng.pick(&NUMS)
    }

    /// A typed scalar of a narrow type, written as a conversion (`u8(300)` wraps,
    /// `i32(1e10)` saturates, `f32(16777217)` rounds).
    fn v2_lit(&mut self, el: El) -> String {
        let v = match el {
            El::U8 if self.rng.chance(0.2) => self.rng.pick(F_TO_INT).to_string(),
            El::U8 => self.rng.pick(U8_VALS).to_string(),
            El::I32 if self.rng.chance(0.2) => self.rng.pick(F_TO_INT).to_string(),
            El::I32 => self.rng.pick(I32_VALS).to_string(),
            El::F32 => self.rng.pick(F32_VALS).to_string(),
            _ => return self.lit(el),
        };
        let v = if self.rng.chance(0.3) && !v.starts_with('(') {
            let w = self.rng.range(0, 9);
            if v.contains('.') || v.contains('e') {
                format!("{w}.5")
            } else {
                w.to_string()
            }
        } else {
            v
        };
        format!("{}({v})", tname(el))
    }

    /// A literal that takes `el`'s kind in an operator with an `el` operand (it fits).
    fn weak_lit(&mut self, el: El) -> String {
        match el {
            El::U8 => self
                .rng
                .pick(&[
                    "0", "1", "2", "3", "7", "100", "127", "128", "200", "254", "255",
                ])
                .to_string(),
            El::I32 => self
                .rng
                .pick(&[
                    "0",
                    "1",
                    "2",
                    "3",
                    "(-1)",
                    "(-7)",
                    "1000",
                    "65536",
                    "2147483647",
                    "(-2147483648)",
                ])
                .to_string(),
            El::I => {
                let s = self.lit(El::I);
                if weak_text(&s) {
                    s
                } else {
                    "9223372036854775807".into()
                }
            }
            El::F32 if self.rng.chance(0.3) => self
                .rng
                .pick(&["0", "1", "3", "(-2)", "100", "16777217"])
                .to_string(),
            _ => self.rng.pick(WEAK_FLOATS).to_string(),
        }
    }

    /// A non-zero literal for `el` (an integer divisor).
    fn weak_divisor(&mut self, el: El) -> String {
        match el {
            El::U8 => self
                .rng
                .pick(&["1", "2", "3", "7", "16", "255"])
                .to_string(),
            El::I32 => self
                .rng
                .pick(&["1", "3", "(-1)", "(-4)", "7", "2147483647"])
                .to_string(),
            _ => self.rng.pick(I_DIVISORS).to_string(),
        }
    }

    /// A chain of `+ - *` (and `/` for floats) over whole variables of type `el` and shape
    /// `dims`, literals of `el`, typed scalars whose type keeps `el` (`u8(7)` with `f32`),
    /// and now and then another array expression of `el`: the runs native code fuses into
    /// one loop at the arrays' own element size (SIMD, with a scalar tail), integers
    /// wrapping at their width.
    fn v2_chain(&mut self, el: El, dims: &[Dim]) -> Option<String> {
        let vs = self.array_vars(|e, ds| e == el && ds == dims);
        if vs.is_empty() || el == El::B || el == El::G {
            return None;
        }
        let keeps: Vec<El> = NUMS
            .iter()
            .copied()
            .filter(|t| arith_result(el, *t) == Some(el))
            .collect();
        let ops: &[&str] = if float_el(el) {
            &["+", "-", "*", "/"]
        } else {
            &["+", "-", "*"]
        };
        let mut e = self.rng.pick(&vs).0.clone();
        for _ in 0..self.rng.range(1, 4) {
            let op = *self.rng.pick(ops);
            let y = if self.rng.chance(0.5) {
                self.rng.pick(&vs).0.clone()
            } else if self.rng.chance(0.5) {
                self.weak_lit(el)
            } else if self.rng.chance(0.6) {
                let t = *self.rng.pick(&keeps);
                self.strong(t, 0)
            } else {
                self.array(el, dims, 0)?
            };
            // Unparenthesized only while `e` is a name: `e + 3 * 127` would parse as
            // `e + (3 * 127)`, and `3 * 127` is no longer a literal (it does not take `e`'s
            // kind), which the chain's type (`el`) does not model.
            let bare = e.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            e = match self.rng.below(3) {
                0 => format!("({y} {op} {e})"),
                1 if bare => format!("{e} {op} {y}"),
                _ => format!("({e} {op} {y})"),
            };
        }
        Some(format!("({e})"))
    }

    /// A typed (strong) scalar of `el`: a literal is wrapped in a conversion.
    fn strong(&mut self, el: El, d: u32) -> String {
        let s = self.scalar(el, d);
        if weak_text(&s) {
            format!("{}({s})", tname(el))
        } else {
            s
        }
    }

    fn v2_scalar(&mut self, el: El, d: u32) -> String {
        if d == 0 || self.rng.chance(0.25) {
            if let Some(s) = self.scalar_leaf(el) {
                return s;
            }
        }
        let d = d.saturating_sub(1);
        for _ in 0..8 {
            if let Some(s) = self.v2_scalar_once(el, d) {
                return s;
            }
        }
        self.lit(el)
    }

    /// Two operand types whose result under `f` is `el`.
    fn pair_for(&mut self, el: El, f: fn(El, El) -> Option<El>) -> Option<(El, El)> {
        let mut ps = Vec::new();
        for a in ALL {
            for b in ALL {
                if f(a, b) == Some(el) {
                    ps.push((a, b));
                }
            }
        }
        if ps.is_empty() {
            None
        } else {
            Some(*self.rng.pick(&ps))
        }
    }

    /// Scalar operands of a binary operator with result `el` (under `f`): two typed ones,
    /// or one of type `el` and a weak literal taking its kind, in either order.
    fn scalar_operands(
        &mut self,
        el: El,
        f: fn(El, El) -> Option<El>,
        d: u32,
    ) -> Option<(String, String, El, El, bool)> {
        if el != El::B && self.rng.chance(0.35) {
            let x = self.strong(el, d);
            let y = self.weak_lit(el);
            return Some(if self.rng.chance(0.5) {
                (x, y, el, el, true)
            } else {
                (y, x, el, el, true)
            });
        }
        let (a, b) = self.pair_for(el, f)?;
        Some((self.strong(a, d), self.strong(b, d), a, b, false))
    }

    /// A scalar of `el` (any of the six types) built with version-2 operations.
    fn v2_scalar_once(&mut self, el: El, d: u32) -> Option<String> {
        if el == El::G {
            return None;
        }
        Some(match self.rng.below(16) {
            0..=3 if el != El::B => {
                let op = *self
                    .rng
                    .pick(&["+", "-", "*", "+", "*", "//", "%", "**", "/"]);
                match op {
                    "/" => {
                        if !float_el(el) {
                            return None;
                        }
                        let (x, y, ..) = self.scalar_operands(el, div_result, d)?;
                        format!("({x} / {y})")
                    }
                    "//" | "%" | "**" => {
                        // A divisor or exponent of an integer result is made non-zero / non-negative.
                        let (a, b) = self.pair_for(el, arith_result)?;
                        let x = self.strong(a, d);
                        let y = if float_el(el) || self.oops() {
                            self.strong(b, d)
                        } else if self.rng.chance(0.3) && a == el {
                            // A literal takes the other operand's type.
                            if op == "**" {
                                self.rng.range(0, 4).to_string()
                            } else {
                                self.weak_divisor(el)
                            }
                        } else if op == "**" {
                            format!("({} & 3)", self.strong(b, d))
                        } else {
                            format!("({} | 1)", self.strong(b, d))
                        };
                        format!("({x} {op} {y})")
                    }
                    _ => {
                        let (x, y, ..) = self.scalar_operands(el, arith_result, d)?;
                        format!("({x} {op} {y})")
                    }
                }
            }
            4 if int_el(el) || el == El::B => {
                let op = *self.rng.pick(&["&", "|", "^"]);
                let (x, y, ..) = self.scalar_operands(el, bit_result, d)?;
                format!("({x} {op} {y})")
            }
            5 if int_el(el) => {
                let op = *self.rng.pick(&["<<", ">>"]);
                let (a, b) = self.pair_for(el, bit_result)?;
                let x = self.strong(a, d);
                let w = width(el) as i64;
                let n = if self.oops() {
                    self.strong(b, d)
                } else if self.rng.chance(0.4) && a == el {
                    self.rng.range(0, w - 1).to_string()
                } else {
                    format!("({} & {})", self.strong(b, d), w - 1)
                };
                format!("({x} {op} {n})")
            }
            6 => match el {
                El::B => format!("(~{})", self.strong(El::B, d)),
                _ if int_el(el) && self.rng.chance(0.4) => format!("(~{})", self.strong(el, d)),
                _ if self.rng.chance(0.5) => format!("(-{})", self.strong(el, d)),
                _ => format!("abs({})", self.strong(el, d)),
            },
            7 | 8 => {
                // A conversion: wraps, saturates, rounds, tests non-zero.
                let src = if self.rng.chance(0.3) && int_el(el) {
                    El::F
                } else {
                    self.v2_any()
                };
                let x = if src == El::F && self.rng.chance(0.4) {
                    self.rng.pick(F_TO_INT).to_string()
                } else {
                    self.scalar(src, d)
                };
                let f = match el {
                    El::I if self.rng.chance(0.3) && src != El::B => "int",
                    El::F if self.rng.chance(0.3) && src != El::B => "float",
                    _ => tname(el),
                };
                format!("{f}({x})")
            }
            9 if el != El::B => {
                let f = *self.rng.pick(&["min", "max", "minimum", "maximum"]);
                let (x, y, ..) = self.scalar_operands(el, arith_result, d)?;
                format!("{f}({x}, {y})")
            }
            10 if float_el(el) => {
                if self.rng.chance(0.3) {
                    let f = *self.rng.pick(&["atan2", "pow"]);
                    let (a, b) = self.pair_for(el, div_result)?;
                    let (x, y) = (self.strong(a, d), self.strong(b, d));
                    format!("{f}({x}, {y})")
                } else {
                    let f = *self.rng.pick(&[
                        "sqrt", "exp", "log", "log10", "sin", "cos", "tan", "atan", "tanh",
                        "floor", "ceil", "round", "square", "exp2",
                    ]);
                    let src = if el == El::F32 {
                        El::F32
                    } else {
                        *self.rng.pick(&[El::U8, El::I32, El::I, El::F])
                    };
                    let src = if f == "square" { el } else { src };
                    format!("{f}({})", self.strong(src, d))
                }
            }
            11 | 12 => self.v2_reduction(el, d)?,
            13 if el == El::B => {
                if self.rng.chance(0.3) {
                    let f = *self.rng.pick(&["isnan", "isinf", "isfinite"]);
                    let a = *self.rng.pick(&[El::F32, El::F]);
                    return Some(format!("{f}({})", self.strong(a, d)));
                }
                let op = *self.rng.pick(&["<", "<=", ">", ">=", "==", "!="]);
                let a = self.v2_num();
                let x = self.strong(a, d);
                let y = if self.rng.chance(0.4) {
                    // A literal keeps its value in a comparison, even out of `a`'s range.
                    if float_el(a) || self.rng.chance(0.3) {
                        self.rng.pick(WEAK_FLOATS).to_string()
                    } else {
                        self.rng
                            .pick(&["300", "(-1)", "256", "2147483648", "0", "255"])
                            .to_string()
                    }
                } else {
                    let b = self.v2_num();
                    self.strong(b, d)
                };
                format!("({x} {op} {y})")
            }
            14 if el != El::B => {
                let c = self.scalar(El::B, d);
                let (x, y, ..) = self.scalar_operands(el, arith_result, d)?;
                format!("where({c}, {x}, {y})")
            }
            _ => self.scalar_leaf(el)?,
        })
    }

    /// A scalar of `el` computed from an array (whole-array reductions, `dot`, `@`).
    fn v2_reduction(&mut self, el: El, d: u32) -> Option<String> {
        let nd = self.rng.range(1, 3) as usize;
        match (el, self.rng.below(5)) {
            (El::B, _) => {
                let f = *self.rng.pick(&["any", "all"]);
                let a = self.v2_any();
                Some(format!("{f}({})", self.any_array(a, nd, d)?.0))
            }
            (El::I, 0) => {
                let a = *self.rng.pick(&[El::B, El::U8, El::I32, El::I]);
                let f = *self.rng.pick(&["sum", "prod", "count_nonzero"]);
                Some(format!("{f}({})", self.any_array(a, nd, d)?.0))
            }
            (El::I, 1) => {
                let a = self.v2_num();
                let f = *self.rng.pick(&["argmin", "argmax"]);
                Some(format!("{f}({})", self.nonempty_array(a, nd, d)?))
            }
            (El::F | El::F32, 0) => {
                // Whole-array statistics: f32 stays f32, everything else gives f64.
                let a = if el == El::F32 {
                    El::F32
                } else {
                    *self.rng.pick(&[El::B, El::U8, El::I32, El::I, El::F])
                };
                let f = *self.rng.pick(&["mean", "var", "std"]);
                Some(format!("{f}({})", self.any_array(a, nd, d)?.0))
            }
            (El::F | El::F32, 1) => {
                let f = *self.rng.pick(&["sum", "prod"]);
                Some(format!("{f}({})", self.any_array(el, nd, d)?.0))
            }
            (_, 2) if el != El::B => {
                let f = *self.rng.pick(&["min", "max"]);
                Some(format!("{f}({})", self.nonempty_array(el, nd, d)?))
            }
            (El::I | El::F | El::F32, _) => {
                let (a, b) = self.pair_for(el, matmul_result)?;
                if a == El::B || b == El::B {
                    return None;
                }
                let (x, dims) = self.any_array(a, 1, d)?;
                let dims = if self.oops() { self.rand_dims(1) } else { dims };
                let y = self.array(b, &dims, d)?;
                Some(if self.rng.chance(0.5) {
                    format!("({x} @ {y})")
                } else {
                    format!("dot({x}, {y})")
                })
            }
            _ => None,
        }
    }

    /// Array constructors for any of the six element types.
    fn v2_construct(&mut self, el: El, dims: &[Dim]) -> Option<String> {
        let shape = self.shape_expr(dims)?;
        let t = tname(el);
        let total: Option<usize> = dims
            .iter()
            .map(|d| if let Dim::K(n) = d { Some(*n) } else { None })
            .product();
        let reshaped = |s: String| {
            if dims.len() == 1 {
                s
            } else {
                format!("reshape({s}, {shape})")
            }
        };
        Some(match self.rng.below(8) {
            0 => format!("zeros({shape}, {t})"),
            7 => {
                // `empty` fills with zeros; the `*_like` built-ins keep their argument's
                // element type, as NumPy.
                if self.rng.chance(0.6) {
                    let x = self.array(el, dims, 0)?;
                    format!(
                        "{}({x})",
                        self.rng.pick(&["zeros_like", "ones_like", "empty_like"])
                    )
                } else {
                    format!("empty({shape}, {t})")
                }
            }
            1 => format!("ones({shape}, dtype={t})"),
            2 => {
                let v = if el == El::B {
                    self.lit(El::B)
                } else if self.rng.chance(0.5) {
                    self.weak_lit(el)
                } else {
                    self.lit(el)
                };
                if self.rng.chance(0.5) || weak_text(&v) {
                    format!("full({shape}, {v}, {t})")
                } else {
                    format!("full({shape}, {v})")
                }
            }
            3 | 4 if total.is_some() && el != El::B => {
                let n = total.unwrap() as i64;
                let lo = self.rng.range(-3, 250);
                if lo == 0 || self.rng.chance(0.3) {
                    reshaped(format!("arange({n}, dtype={t})"))
                } else {
                    reshaped(format!("arange({lo}, {}, dtype={t})", lo + n))
                }
            }
            5 if total.is_some() => {
                // A conversion of a version-1 array (wraps, saturates, rounds).
                let n = total.unwrap();
                let src = match self.rng.below(3) {
                    0 => format!("linspace({}, {}, {n})", self.lit(El::F), self.lit(El::F)),
                    1 => format!(
                        "(randn({n}) * {})",
                        self.rng.pick(&["1.0", "100.0", "1e10", "3e9"])
                    ),
                    _ => format!("(arange({n}) * {} - {})", self.lit(El::I), self.lit(El::I)),
                };
                let src = reshaped(src);
                if self.rng.chance(0.5) {
                    format!("astype({src}, {t})")
                } else {
                    format!("{t}({src})")
                }
            }
            _ => {
                let src = self.v2_any();
                let x = self.array(src, dims, 0)?;
                format!("astype({x}, {t})")
            }
        })
    }

    /// Shapes for the two operands of a broadcasting operation with result `dims`: each
    /// axis full on both sides or 1 on one side (`(n, 1)` with `(1, m)`), and now and then
    /// one side without leading axes (1-D with 2-D).
    fn bcast_dims(&mut self, dims: &[Dim]) -> (Vec<Dim>, Vec<Dim>) {
        let mut x = Vec::new();
        let mut y = Vec::new();
        for &dk in dims {
            match self.rng.below(5) {
                0..=2 => {
                    x.push(dk);
                    y.push(dk);
                }
                3 => {
                    x.push(Dim::K(1));
                    y.push(dk);
                }
                _ => {
                    x.push(dk);
                    y.push(Dim::K(1));
                }
            }
        }
        if dims.len() >= 2 && self.rng.chance(0.3) {
            let drop = self.rng.range(1, dims.len() as i64 - 1) as usize;
            x[..drop].copy_from_slice(&dims[..drop]);
            y.drain(..drop);
        }
        if self.oops() && !y.is_empty() {
            let k = self.rng.below(y.len());
            y[k] = Dim::K(self.rng.range(0, 5) as usize);
        }
        (x, y)
    }

    /// The two sides of a broadcasting binary operation with result shape `dims`: an
    /// array of `a` and a scalar of `b` (typed), or two arrays whose shapes broadcast to
    /// `dims`. `wrap` guards the second operand (a divisor, an exponent, a shift count).
    fn bin_sides(
        &mut self,
        (a, b): (El, El),
        dims: &[Dim],
        d: u32,
        wrap: &dyn Fn(String) -> String,
    ) -> Option<(String, String)> {
        if self.rng.chance(0.3) {
            let x = self.array(a, dims, d)?;
            let y = self.strong(b, d);
            return Some((x, wrap(y)));
        }
        let (xd, yd) = self.bcast_dims(dims);
        if self.rng.chance(0.5) {
            let x = self.array(a, &xd, d)?;
            let y = self.array(b, &yd, d)?;
            Some((x, wrap(y)))
        } else {
            let x = self.array(a, &yd, d)?;
            let y = self.array(b, &xd, d)?;
            Some((x, wrap(y)))
        }
    }

    /// An array of `el` and exactly the shape `dims` built with version-2 operations.
    fn v2_array_once(&mut self, el: El, dims: &[Dim], d: u32) -> Option<String> {
        if el == El::G {
            return None;
        }
        let nd = dims.len();
        match self.rng.below(23) {
            22 => self.v2_chain(el, dims),
            0 => self.v2_construct(el, dims),
            1 | 2 => {
                let src = self.v2_any();
                let x = self.array(src, dims, d)?;
                Some(if self.rng.chance(0.5) {
                    format!("astype({x}, {})", tname(el))
                } else {
                    format!("{}({x})", tname(el))
                })
            }
            3..=5 if el != El::B => {
                let op = *self
                    .rng
                    .pick(&["+", "-", "*", "+", "*", "//", "%", "**", "/"]);
                let f = if op == "/" { div_result } else { arith_result };
                if op == "/" && !float_el(el) {
                    return None;
                }
                if self.rng.chance(0.3) {
                    // An array of `el` with a weak literal.
                    let x = self.array(el, dims, d)?;
                    let y = match op {
                        "//" | "%" if int_el(el) => self.weak_divisor(el),
                        "**" if int_el(el) => self.rng.range(0, 3).to_string(),
                        _ => self.weak_lit(el),
                    };
                    return Some(if self.rng.chance(0.6) || matches!(op, "//" | "%" | "**") {
                        format!("({x} {op} {y})")
                    } else {
                        format!("({y} {op} {x})")
                    });
                }
                let ab = self.pair_for(el, f)?;
                let guard = int_el(el) && !self.oops();
                let (x, y) = match op {
                    "//" | "%" if guard => {
                        self.bin_sides(ab, dims, d, &|y| format!("({y} | 1)"))?
                    }
                    "**" if guard => self.bin_sides(ab, dims, d, &|y| format!("({y} & 3)"))?,
                    _ => self.bin_sides(ab, dims, d, &|y| y)?,
                };
                Some(format!("({x} {op} {y})"))
            }
            6 if int_el(el) || el == El::B => {
                let op = *self.rng.pick(&["&", "|", "^"]);
                let ab = self.pair_for(el, bit_result)?;
                let (x, y) = self.bin_sides(ab, dims, d, &|y| y)?;
                Some(format!("({x} {op} {y})"))
            }
            7 if int_el(el) => {
                let op = *self.rng.pick(&["<<", ">>"]);
                let ab = self.pair_for(el, bit_result)?;
                let w = width(el) as i64;
                let (x, n) = if self.oops() {
                    self.bin_sides(ab, dims, d, &|y| y)?
                } else if self.rng.chance(0.4) {
                    // A literal count takes the shifted array's type.
                    (
                        self.array(el, dims, d)?,
                        self.rng.range(0, w - 1).to_string(),
                    )
                } else {
                    self.bin_sides(ab, dims, d, &|y| format!("({y} & {})", w - 1))?
                };
                Some(format!("({x} {op} {n})"))
            }
            8 => {
                let x = self.array(el, dims, d)?;
                Some(match el {
                    El::B => format!("(~{x})"),
                    _ if int_el(el) && self.rng.chance(0.4) => format!("(~{x})"),
                    _ if self.rng.chance(0.5) => format!("(-{x})"),
                    _ => format!("abs({x})"),
                })
            }
            9 if float_el(el) => {
                let f = *self.rng.pick(&[
                    "sqrt", "exp", "log", "sin", "cos", "tanh", "floor", "ceil", "round", "square",
                ]);
                let src = if el == El::F32 || f == "square" {
                    el
                } else {
                    *self.rng.pick(&[El::U8, El::I32, El::I, El::F])
                };
                Some(format!("{f}({})", self.array(src, dims, d)?))
            }
            10 if el != El::B => {
                let f = *self.rng.pick(&["minimum", "maximum"]);
                let ab = self.pair_for(el, arith_result)?;
                let (x, y) = self.bin_sides(ab, dims, d, &|y| y)?;
                Some(if self.rng.chance(0.5) {
                    format!("{f}({x}, {y})")
                } else {
                    format!("{f}({y}, {x})")
                })
            }
            11 if el == El::B => {
                let op = *self.rng.pick(&["<", "<=", ">", ">=", "==", "!="]);
                let ab = (self.v2_num(), self.v2_num());
                let (x, y) = if self.rng.chance(0.3) {
                    let lit = *self.rng.pick(&["300", "(-1)", "0", "0.5", "255", "(-0.0)"]);
                    (self.array(ab.0, dims, d)?, lit.to_string())
                } else {
                    self.bin_sides(ab, dims, d, &|y| y)?
                };
                Some(format!("({x} {op} {y})"))
            }
            12 if el != El::B => {
                // where(c, a, b): the promoted type of `a` and `b`, all three broadcast.
                let c = self.array(El::B, dims, d)?;
                let ab = self.pair_for(el, arith_result)?;
                let (x, y) = if self.rng.chance(0.2) {
                    (self.strong(ab.0, d), self.strong(ab.1, d))
                } else {
                    let (x, y) = self.bin_sides(ab, dims, d, &|y| y)?;
                    if self.rng.chance(0.3) {
                        // Now and then the condition is the smaller one.
                        let (cd, _) = self.bcast_dims(dims);
                        let c = self.array(El::B, &cd, d)?;
                        let xx = self.array(ab.0, dims, d)?;
                        return Some(format!("where({c}, {xx}, {y})"));
                    }
                    (x, y)
                };
                Some(if self.rng.chance(0.5) {
                    format!("where({c}, {x}, {y})")
                } else {
                    format!("where({c}, {y}, {x})")
                })
            }
            13 => self.v2_index_array(el, dims, d),
            14 if nd <= 2 => self.v2_axis_reduction(el, dims, d),
            15 if nd >= 2 => {
                let t: Vec<Dim> = dims.iter().rev().copied().collect();
                let x = self.array(el, &t, d)?;
                Some(if nd == 2 && self.rng.chance(0.5) {
                    format!("transpose({x})")
                } else {
                    format!("{}.T", paren(&x))
                })
            }
            16 if nd <= 2 && matches!(el, El::I | El::F | El::F32) => {
                let (a, b) = self.pair_for(el, matmul_result)?;
                if a == El::B || b == El::B {
                    return None;
                }
                let k = Dim::K(self.rng.range(1, 4) as usize);
                let (xd, yd) = match nd {
                    1 if self.rng.chance(0.5) => (vec![k], vec![k, dims[0]]),
                    1 => (vec![dims[0], k], vec![k]),
                    _ => (vec![dims[0], k], vec![k, dims[1]]),
                };
                let yd = if self.oops() {
                    self.rand_dims(yd.len())
                } else {
                    yd
                };
                let x = self.array(a, &xd, d)?;
                let y = self.array(b, &yd, d)?;
                Some(if self.rng.chance(0.7) {
                    format!("({x} @ {y})")
                } else {
                    format!("dot({x}, {y})")
                })
            }
            17 => {
                // A `None` axis: `x[:, None]`, `x[None, :]` (views).
                let ones: Vec<usize> = (0..nd).filter(|&k| dims[k] == Dim::K(1)).collect();
                if ones.is_empty() || nd == 1 && self.rng.chance(0.5) {
                    return None;
                }
                let k = *self.rng.pick(&ones);
                let mut src = dims.to_vec();
                src.remove(k);
                if src.is_empty() {
                    return None;
                }
                let x = self.array(el, &src, d)?;
                let mut parts = vec![":"; src.len()];
                parts.insert(k, "None");
                Some(format!("{}[{}]", paren(&x), parts.join(", ")))
            }
            18 if nd == 1 => {
                // Steps on an expression: reversed, every other element.
                let Dim::K(n) = dims[0] else {
                    let x = self.array(el, dims, d)?;
                    return Some(format!("{}[::-1]", paren(&x)));
                };
                let (m, s) = match self.rng.below(4) {
                    0 => (n, "::-1".to_string()),
                    1 if n > 0 => (2 * n - self.rng.below(2), "::2".to_string()),
                    2 if n > 0 => (2 * n - self.rng.below(2), "::-2".to_string()),
                    _ => (2 * n + self.rng.below(2), "1::2".to_string()),
                };
                let x = self.array(el, &[Dim::K(m)], d)?;
                Some(format!("{}[{s}]", paren(&x)))
            }
            19 if nd <= 2 => {
                // concatenate along an axis, or stack two arrays along a new one.
                let k = self.rng.below(nd);
                let (a, b) = if el == El::B {
                    (El::B, El::B)
                } else {
                    self.pair_for(el, arith_result)?
                };
                if el != El::B && (a == El::B || b == El::B) {
                    return None;
                }
                if let Dim::K(2) = dims[k] {
                    if self.rng.chance(0.5) {
                        let mut src = dims.to_vec();
                        src.remove(k);
                        if !src.is_empty() {
                            let x = self.array(a, &src, d)?;
                            let y = self.array(b, &src, d)?;
                            return Some(format!("stack(({x}, {y}), axis={k})"));
                        }
                    }
                }
                let Dim::K(n) = dims[k] else { return None };
                let n1 = self.rng.range(0, n as i64) as usize;
                let (mut xd, mut yd) = (dims.to_vec(), dims.to_vec());
                xd[k] = Dim::K(n1);
                yd[k] = Dim::K(n - n1);
                let x = self.array(a, &xd, d)?;
                let y = self.array(b, &yd, d)?;
                Some(if k == 0 && self.rng.chance(0.5) {
                    format!("concatenate(({x}, {y}))")
                } else {
                    format!("concatenate(({x}, {y}), axis={k})")
                })
            }
            20 if el != El::B => {
                let x = self.array(el, dims, d)?;
                Some(format!("sort({x})"))
            }
            21 => {
                // An array literal (elements of one type: not weak), or `ravel`.
                let known: Option<Vec<usize>> = dims
                    .iter()
                    .map(|d| if let Dim::K(n) = d { Some(*n) } else { None })
                    .collect();
                let known = known?;
                if nd == 1 && known[0] > 1 && self.rng.chance(0.5) {
                    // ravel of a 2-D array (a view if contiguous, else a copy).
                    let n = known[0];
                    let r = (1..=n).filter(|r| n % r == 0).collect::<Vec<_>>();
                    let r = *self.rng.pick(&r);
                    let src = [Dim::K(r), Dim::K(n / r)];
                    return Some(if self.rng.chance(0.4) {
                        let t = [Dim::K(n / r), Dim::K(r)];
                        format!("ravel({}.T)", paren(&self.array(el, &t, d)?))
                    } else {
                        format!("ravel({})", self.array(el, &src, d)?)
                    });
                }
                if nd > 2 || known.contains(&0) || known.iter().product::<usize>() > 12 {
                    return None;
                }
                let row = |g: &mut Gen, n: usize| -> String {
                    let xs: Vec<String> = (0..n).map(|_| g.scalar(el, d.min(1))).collect();
                    format!("[{}]", xs.join(", "))
                };
                Some(if nd == 1 {
                    row(self, known[0])
                } else {
                    let rows: Vec<String> = (0..known[0]).map(|_| row(self, known[1])).collect();
                    format!("[{}]", rows.join(", "))
                })
            }
            _ => None,
        }
    }

    /// `x[idx]`: a 1-D variable indexed by an integer array of shape `dims` (entries in
    /// bounds, some negative, unless by design).
    fn v2_index_array(&mut self, el: El, dims: &[Dim], d: u32) -> Option<String> {
        let vs = self.array_vars(|e, ds| e == el && ds.len() == 1 && self.nonempty(ds));
        if vs.is_empty() {
            return None;
        }
        let (name, _, vd) = self.rng.pick(&vs).clone();
        Some(format!(
            "{name}[{}]",
            self.index_array(&name, vd[0], dims, d)?
        ))
    }

    /// An integer array of shape `dims` whose entries index an axis of size `n` (the array
    /// `name`'s first axis).
    fn index_array(&mut self, name: &str, n: Dim, dims: &[Dim], d: u32) -> Option<String> {
        let (len, small) = match n {
            Dim::K(n) => (n.to_string(), n <= 127),
            Dim::S(_) => (format!("len({name})"), false),
        };
        let t = if small {
            *self.rng.pick(&[El::U8, El::I32, El::I])
        } else {
            *self.rng.pick(&[El::I32, El::I])
        };
        let src = self.array(t, dims, d)?;
        if self.oops() {
            return Some(src);
        }
        let t = if matches!(n, Dim::S(_)) { El::I } else { t };
        Some(if t != El::U8 && self.rng.chance(0.3) {
            format!("({src} % {len} - {len})")
        } else {
            format!("({src} % {len})")
        })
    }

    /// A reduction along an axis of a one-axis-larger array (or `cumsum` along an axis).
    fn v2_axis_reduction(&mut self, el: El, dims: &[Dim], d: u32) -> Option<String> {
        let nd = dims.len();
        let k = self.rng.below(nd + 1);
        let s = if self.rng.chance(0.05) {
            0
        } else {
            self.rng.range(1, 4) as usize
        };
        let mut src = dims.to_vec();
        src.insert(k, Dim::K(s));
        let (f, a): (&str, El) = match el {
            El::I => match self.rng.below(3) {
                0 => (
                    *self.rng.pick(&["sum", "prod"]),
                    *self.rng.pick(&[El::B, El::U8, El::I32, El::I]),
                ),
                1 => (*self.rng.pick(&["argmin", "argmax"]), self.v2_any()),
                _ => (*self.rng.pick(&["min", "max"]), El::I),
            },
            El::B => (*self.rng.pick(&["any", "all", "min", "max"]), El::B),
            El::F32 | El::F if self.rng.chance(0.4) => {
                let a = if el == El::F32 {
                    El::F32
                } else {
                    *self.rng.pick(&[El::B, El::U8, El::I, El::F])
                };
                (*self.rng.pick(&["mean", "var", "std"]), a)
            }
            El::F32 | El::F => (*self.rng.pick(&["sum", "prod", "min", "max"]), el),
            _ => (*self.rng.pick(&["min", "max"]), el),
        };
        let f = if (f == "any" || f == "all") && self.rng.chance(0.5) {
            // any/all take every element type.
            let a2 = self.v2_any();
            let x = self.array(a2, &src, d)?;
            return Some(format!("{f}({x}, axis={k})"));
        } else {
            f
        };
        let needs_elements = matches!(f, "min" | "max" | "argmin" | "argmax");
        if s == 0 && needs_elements && !self.oops() {
            return None;
        }
        if self.rng.chance(0.15) && matches!(f, "sum" | "prod") && el != El::B {
            // cumsum/cumprod along an axis keep the shape.
            let g = if f == "sum" { "cumsum" } else { "cumprod" };
            let kk = self.rng.below(nd);
            let x = self.array(a, dims, d)?;
            return Some(format!("{g}({x}, axis={kk})"));
        }
        let x = self.array(a, &src, d)?;
        let axis = if self.rng.chance(0.3) {
            format!("{}", k as i64 - (nd as i64 + 1))
        } else {
            k.to_string()
        };
        Some(if self.rng.chance(0.3) {
            format!("{f}({x}, {axis})")
        } else {
            format!("{f}({x}, axis={axis})")
        })
    }
}

impl Gen {
    /// `v = e`, `v = 200`, `v += e` on a scalar variable of a narrow type: the value has the
    /// variable's type or is a literal that fits it (anything else would widen the variable,
    /// §2.4 of docs/language.md).
    fn v2_assign_scalar(&mut self, name: &str, el: El, d: u32) {
        let e = if self.rng.chance(0.4) {
            self.weak_lit(el)
        } else {
            self.strong(el, d)
        };
        let ops: &[&str] = if float_el(el) {
            &["=", "=", "+=", "-=", "*=", "/="]
        } else {
            &["=", "=", "+=", "-=", "*="]
        };
        let op = *self.rng.pick(ops);
        self.line(&format!("{name} {op} {e};"));
    }

    /// An array variable updated in place (keeping its element type: an integer result
    /// wraps into it), or assigned an array of its type and shape.
    fn v2_assign_array(&mut self, name: &str, el: El, dims: &[Dim], d: u32) {
        if self.rng.chance(0.25) {
            if let Some(e) = self.array(el, dims, d) {
                self.line(&format!("{name} = {e};"));
            }
            return;
        }
        let op = if float_el(el) {
            *self.rng.pick(&["+=", "-=", "*=", "/="])
        } else {
            *self.rng.pick(&["+=", "-=", "*="])
        };
        let b = if float_el(el) {
            self.v2_num()
        } else {
            *self.rng.pick(&[El::U8, El::I32, El::I])
        };
        let e = match self.rng.below(3) {
            0 => self.weak_lit(el),
            1 => self.strong(b, d),
            _ => {
                let (_, yd) = self.bcast_dims(dims);
                let Some(e) = self.array(b, &yd, d) else {
                    return;
                };
                e
            }
        };
        self.line(&format!("{name} {op} {e};"));
    }

    /// A boolean mask of the shape of `name` (rank-matched; of another shape by design).
    fn mask_of(&mut self, name: &str, el: El, dims: &[Dim], d: u32) -> Option<String> {
        if self.oops() {
            let other = self.rand_dims(dims.len());
            return self.array(El::B, &other, d);
        }
        Some(match (el, self.rng.below(3)) {
            (El::B, 0) => name.to_string(),
            (El::B, 1) => format!("(~{name})"),
            (_, 0 | 1) => {
                let op = *self.rng.pick(&["<", "<=", ">", ">=", "==", "!="]);
                let lit = if float_el(el) {
                    self.rng.pick(WEAK_FLOATS).to_string()
                } else {
                    self.rng
                        .pick(&["0", "1", "2", "(-1)", "100", "300"])
                        .to_string()
                };
                let m = format!("({name} {op} {lit})");
                if self.rng.chance(0.3) {
                    let other = self.array(El::B, dims, d)?;
                    format!("({m} {} {other})", self.rng.pick(&["&", "|", "^"]))
                } else {
                    m
                }
            }
            _ => self.array(El::B, dims, d)?,
        })
    }

    /// Statements of version 2: masked reads into a new variable, masked stores, stores
    /// through integer index arrays, row stores.
    fn v2_stmt(&mut self, d: u32) {
        let vs = self.array_vars(|_, _| true);
        if vs.is_empty() {
            return self.let_stmt(d);
        }
        let (name, el, dims) = self.rng.pick(&vs).clone();
        match self.rng.below(4) {
            0 => {
                // let v = x[mask]; (a 1-D copy of unknown length)
                let Some(m) = self.mask_of(&name, el, &dims, d) else {
                    return;
                };
                let v = self.fresh("v");
                self.line(&format!("let {v} = {name}[{m}];"));
                let s = self.selection_sym(Some(format!("len({v})")));
                self.declare(&v, Ty::A(el, vec![s]), true);
            }
            1 => {
                // x[mask] = v; x[mask] op= v; x[mk] = x[mk] op s;
                let Some(m) = self.mask_of(&name, el, &dims, d) else {
                    return;
                };
                let m = if self.rng.chance(0.4) && !m.chars().all(|c| c.is_alphanumeric()) {
                    let mk = self.fresh("mk");
                    self.line(&format!("let {mk} = {m};"));
                    self.declare(&mk, Ty::A(El::B, dims.clone()), true);
                    mk
                } else {
                    m
                };
                let compound = el != El::B && self.rng.chance(0.3);
                let a = if el == El::B && self.rng.chance(0.7) {
                    El::B
                } else {
                    self.v2_num()
                };
                let s = self.strong(a, d);
                if compound {
                    let op = *self.rng.pick(&["+=", "-=", "*="]);
                    self.line(&format!("{name}[{m}] {op} {s};"));
                } else if m.starts_with("mk") && el != El::B && self.rng.chance(0.5) {
                    let op = *self.rng.pick(&["+", "-", "*"]);
                    self.line(&format!("{name}[{m}] = {name}[{m}] {op} {s};"));
                } else {
                    self.line(&format!("{name}[{m}] = {s};"));
                }
            }
            2 => {
                // x[idx] = v; x[idx] += v; (x 1-D, idx any integer array)
                let vs1 = self.array_vars(|_, ds| ds.len() == 1 && self.nonempty(ds));
                if vs1.is_empty() {
                    return;
                }
                let (name, el, vd) = self.rng.pick(&vs1).clone();
                let nd = *self.rng.pick(&[1, 1, 2]);
                let idims = self.rand_dims(nd);
                let Some(idx) = self.index_array(&name, vd[0], &idims, d) else {
                    return;
                };
                let a = if el == El::B { El::B } else { self.v2_num() };
                let v = if self.rng.chance(0.5) {
                    Some(self.strong(a, d))
                } else {
                    self.array(a, &idims, d)
                };
                let Some(v) = v else { return };
                let op = if el != El::B && a != El::B && self.rng.chance(0.3) {
                    *self.rng.pick(&["+=", "-=", "*="])
                } else {
                    "="
                };
                self.line(&format!("{name}[{idx}] {op} {v};"));
            }
            _ => {
                // m[i] = v; m[i] op= v; (a row of a 2-D or 3-D array, v broadcasting into it)
                if dims.len() < 2 || !self.nonempty(&dims[..1]) {
                    return;
                }
                let i = self.index(&name, &dims, 0);
                let rest = dims[1..].to_vec();
                let (_, yd) = self.bcast_dims(&rest);
                let a = if el == El::B { El::B } else { self.v2_num() };
                let v = if self.rng.chance(0.4) {
                    Some(self.strong(a, d))
                } else {
                    self.array(a, &yd, d)
                };
                let Some(v) = v else { return };
                let op = if el != El::B && a != El::B && self.rng.chance(0.3) {
                    *self.rng.pick(&["+=", "-=", "*="])
                } else {
                    "="
                };
                self.line(&format!("{name}[{i}] {op} {v};"));
            }
        }
    }
}
