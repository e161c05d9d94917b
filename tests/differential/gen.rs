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
        }
    }
    fn el(&self) -> Option<El> {
        match self {
            Ty::I => Some(El::I),
            Ty::G => Some(El::G),
            Ty::F => Some(El::F),
            Ty::B => Some(El::B),
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

fn rank(el: El) -> u8 {
    match el {
        El::I => 0,
        El::G => 1,
        El::F => 2,
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
    mult: u64,
    cost: u64,
    names: usize,
    /// The probability of each deliberate chance of a runtime error.
    err: f64,
    consts: Vec<Var>,
    /// Whether the program imports the standard library's `linalg`.
    linalg: bool,
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
            mult: 1,
            cost: 0,
            names: 0,
            err,
            consts: vec![],
            linalg: false,
        }
    }

    fn fresh(&mut self, prefix: &str) -> String {
        self.names += 1;
        format!("{prefix}{}", self.names)
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
        !dims.contains(&Dim::K(0))
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
        Some(match self.rng.below(20) {
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
        Some(match self.rng.below(12) {
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
                self.rng.below(25)
            };
            if let Some(s) = self.array_once(el, dims, d.saturating_sub(1), choice) {
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
            23 | 24 if el == El::F => {
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
                    .all(|k| vd[k] != Dim::K(0));
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
            return ":".into();
        };
        if m == n && self.rng.chance(0.5) {
            return ":".into();
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
            Ty::F if annotated => Some((self.assignable(&Ty::F, d)?, Ty::F)),
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
        let r = self.rng.below(40);
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
            let e = self.scalar(a, d);
            self.line(&format!("{name}[{idx}] {op} {e};"));
            return;
        }
        // A region: slices on some axes, indices on the others (at least one slice).
        let mut parts = Vec::new();
        let mut rdims = Vec::new();
        for k in 0..m {
            let slice =
                dims[k] == Dim::K(0) || self.rng.chance(0.6) || (k == m - 1 && rdims.is_empty());
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
            self.scalar(a, d)
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

    fn loop_stmt(&mut self, depth: u32) {
        let kind = self.rng.below(5);
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
                let hi = if self.rng.chance(0.2) {
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
        if let Some((v, t)) = var {
            self.declare(&v, t, true);
        }
        let n = self.rng.range(1, 4) as usize;
        self.block(n, depth + 1);
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
            self.line(&format!("let {r} = {name}({});", args.join(", ")));
            self.declare(&r, rt, true);
            let n = self.rng.range(0, 3) as usize;
            self.block_flat(n);
            let e = self.expr(&ret, 2).unwrap_or(base.clone());
            self.line(&format!("return {e};"));
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
