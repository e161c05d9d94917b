"""Writes tests/programs/arrays/random_v2_exprs.nk and its NumPy twin: random array
expressions of nk version 2 — element types u8/i32/i64/f32/f64/bool, NumPy 2's promotion
with weak literals, integer wraparound, bitwise operators and shifts, steps and reversed
slices, None axes, boolean masks, integer index arrays, broadcasting (n, 1) with (1, m) and
1-D with 2-D, axis reductions, where, astype. nk's results must equal NumPy's, so this
checks the semantics that the differential test (tests/differential, which compares nvm's
tiers with each other) cannot. The generator evaluates every candidate with NumPy and keeps
only expressions on which nk and NumPy are specified to agree (no float → int conversion
out of range, no float sums long enough for NumPy's pairwise summation, no f32 math
functions but sqrt, no division by zero). Deterministic: re-running rewrites the same files.

    python3 tests/generators/random_v2.py && python3 tests/gen_expected.py random_v2_exprs
"""
import os
import random
import warnings

import numpy as np

OUT = os.path.join(os.path.dirname(__file__), "..", "programs", "arrays")
SETUP_NK = """let a8 = arange(6, dtype=u8) * 50;
let b8 = arange(6, dtype=u8) + 250;
let i3 = (arange(6, dtype=i32) - 2) * 1000000000;
let j = arange(6) - 3;
let f = linspace(-2.5, 3.0, 6);
let g = astype(linspace(-1.5, 2.0, 6), f32);
let m = reshape(arange(12, dtype=i32), (3, 4)) - 5;
let c8 = reshape(arange(3, dtype=u8) + 7, (3, 1));
let r = reshape(arange(4) * 0.5, (1, 4));
let q = astype(reshape(arange(12), (3, 4)), f32) * 0.25;
let bm = (arange(6) % 3) == 0;
"""
SETUP_PY = """a8 = np.arange(6, dtype=np.uint8) * 50
b8 = np.arange(6, dtype=np.uint8) + 250
i3 = (np.arange(6, dtype=np.int32) - 2) * 1000000000
j = np.arange(6, dtype=np.int64) - 3
f = np.linspace(-2.5, 3.0, 6)
g = np.linspace(-1.5, 2.0, 6).astype(np.float32)
m = np.arange(12, dtype=np.int32).reshape((3, 4)) - 5
c8 = (np.arange(3, dtype=np.uint8) + 7).reshape((3, 1))
r = (np.arange(4) * 0.5).reshape((1, 4))
q = np.arange(12).reshape((3, 4)).astype(np.float32) * 0.25
bm = (np.arange(6) % 3) == 0
"""
ONE_D = ["a8", "b8", "i3", "j", "f", "g"]
TWO_D = ["m", "q"]
NK_T = {np.uint8: "u8", np.int32: "i32", np.int64: "i64", np.float32: "f32", np.float64: "f64", np.bool_: "bool"}
PY_T = {"u8": "np.uint8", "i32": "np.int32", "i64": "np.int64", "f32": "np.float32", "f64": "np.float64", "bool": "np.bool_"}
WIDTH = {np.uint8: 8, np.int32: 32, np.int64: 64}


class N:
    def __init__(self, nk, py):
        self.nk, self.py = nk, py


def ev(env, e):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with np.errstate(all="ignore"):
            return eval(e.py, env)


def kind(v):
    return v.dtype.type


def is_int(v):
    return kind(v) in WIDTH


def is_float(v):
    return kind(v) in (np.float32, np.float64)


def weak_int(r, v):
    """An integer literal that fits v's type (it takes that type)."""
    if kind(v) == np.uint8:
        return str(r.choice([0, 1, 3, 7, 100, 200, 255]))
    return r.choice(["1", "3", "7", "(-2)", "100", "(-5)"])


def leaf(r, two_d):
    name = r.choice(TWO_D if two_d else ONE_D)
    return N(name, name)


def arr(r, env, depth, two_d=False, top=True):
    if depth == 0 or (not top and r.random() < 0.2):
        return leaf(r, two_d)
    x = arr(r, env, depth - 1, two_d, False)
    vx = ev(env, x)
    k = r.random()
    if k < 0.35:
        # A binary operator with another array of the same rank or a weak literal.
        if r.random() < 0.4:
            y = N(weak_int(r, vx), weak_int(r, vx)) if not is_float(vx) else N("1.5", "1.5")
            y.py = y.nk
        else:
            y = arr(r, env, depth - 1, two_d)
        vy = np.asarray(ev(env, y))
        if vx.dtype == np.bool_ or vy.dtype == np.bool_:
            return N(f"({x.nk} & {y.nk})", f"({x.py} & {y.py})") if vx.dtype == vy.dtype else x
        op = r.choice(["+", "-", "*", "//", "%", "/", "**"])
        literal = vy.ndim == 0
        res = vx.dtype if literal else np.result_type(vx, vy)
        if op in ("//", "%") and np.issubdtype(res, np.integer):
            if literal:
                y = N("7", "7")
            else:
                y = N(f"({y.nk} | 1)", f"({y.py} | 1)")
        elif op in ("//", "%", "/"):
            y = N(f"(abs({y.nk}) + 1)", f"(np.abs({y.py}) + 1)")
        elif op == "**":
            if not np.issubdtype(res, np.integer):
                return N(f"({x.nk} * {y.nk})", f"({x.py} * {y.py})")
            y = N("2", "2") if literal else N(f"({y.nk} & 3)", f"({y.py} & 3)")
        return N(f"({x.nk} {op} {y.nk})", f"({x.py} {op} {y.py})")
    if k < 0.5 and is_int(vx):
        op = r.choice(["&", "|", "^", "<<", ">>", "~"])
        if op == "~":
            return N(f"(~{x.nk})", f"(~{x.py})")
        w = WIDTH[kind(vx)] - 1
        if op in ("<<", ">>"):
            if two_d:
                return N(f"({x.nk} {op} 3)", f"({x.py} {op} 3)")
            # The count converted to x's type, so that the result keeps it.
            t = NK_T[kind(vx)]
            return N(f"({x.nk} {op} astype(abs(j) & {min(w, 7)}, {t}))",
                     f"({x.py} {op} (np.abs(j) & {min(w, 7)}).astype({PY_T[t]}))")
        y = weak_int(r, vx)
        return N(f"({x.nk} {op} {y})", f"({x.py} {op} {y})")
    if k < 0.6:
        t = r.choice(["u8", "i32", "i64", "f32", "f64", "bool"])
        if t not in ("f32", "f64", "bool") and is_float(vx):
            info = np.iinfo(getattr(np, {"u8": "uint8", "i32": "int32", "i64": "int64"}[t]))
            if not np.all(np.isfinite(vx)) or vx.min() < info.min or vx.max() > info.max:
                return x
        return N(f"astype({x.nk}, {t})", f"{x.py}.astype({PY_T[t]})")
    if k < 0.7 and vx.dtype != np.bool_:
        fn = r.choice(["abs", "-", "minimum", "maximum", "sqrt"])
        if fn == "-":
            return N(f"(-{x.nk})", f"(-{x.py})")
        if fn == "sqrt":
            return N(f"sqrt(abs({x.nk}))", f"np.sqrt(np.abs({x.py}))")
        if fn == "abs":
            return N(f"abs({x.nk})", f"np.abs({x.py})")
        y = arr(r, env, depth - 1, two_d)
        if ev(env, y).dtype == np.bool_:
            return x
        return N(f"{fn}({x.nk}, {y.nk})", f"np.{fn}({x.py}, {y.py})")
    if k < 0.8 and not two_d:
        s = r.choice(["::-1", "::2", "1::2", "4:0:-2", "-2::-1"])
        return N(f"{paren(x.nk)}[{s}][:3]", f"{paren(x.py)}[{s}][:3]") if s != "::-1" else N(f"{paren(x.nk)}[::-1]", f"{paren(x.py)}[::-1]")
    if k < 0.9:
        c = arr(r, env, depth - 1, two_d)
        y = arr(r, env, depth - 1, two_d)
        if ev(env, c).dtype == np.bool_:
            cond_nk, cond_py = c.nk, c.py
        else:
            cond_nk, cond_py = f"({c.nk} > 0)", f"({c.py} > 0)"
        if ev(env, y).dtype == np.bool_ or vx.dtype == np.bool_:
            return x
        return N(f"where({cond_nk}, {x.nk}, {y.nk})", f"np.where({cond_py}, {x.py}, {y.py})")
    return x


def paren(s):
    return s if s.isidentifier() else f"({s})"


def line(r, env):
    k = r.random()
    if k < 0.35:
        x = arr(r, env, r.randint(2, 4))
        return f"print({x.nk});", f"nkprint({x.py})"
    if k < 0.5:
        # Broadcasting (3, 1) with (1, 4), and 2-D with 1-D rows.
        x = arr(r, env, 2, two_d=True)
        if ev(env, x).dtype == np.bool_:
            x = N(f"astype({x.nk}, u8)", f"{x.py}.astype(np.uint8)")
        y = r.choice([("c8", "c8"), ("r", "r"), ("j[:4]", "j[:4]"), ("g[1:5]", "g[1:5]"), ("a8[None, 2:]", "a8[None, 2:]"), ("i3[:3, None]", "i3[:3, None]")])
        op = r.choice(["+", "-", "*"])
        return f"print(({x.nk} {op} {y[0]}));", f"nkprint(({x.py} {op} {y[1]}))"
    if k < 0.65:
        x = arr(r, env, 2)
        vx = ev(env, x)
        if vx.dtype == np.bool_:
            return f"print(j[{x.nk}]);", f"nkprint(j[{x.py}])"
        lit = "1.5" if is_float(vx) else "3"
        return f"print({x.nk}[{x.nk} > {lit}], {x.nk}[bm]);", f"nkprint({x.py}[{x.py} > {lit}], {x.py}[bm])"
    if k < 0.75:
        x = arr(r, env, 2)
        return f"print({paren(x.nk)}[abs(j) % 6], {paren(x.nk)}[reshape(j, (2, 3))]);", f"nkprint({paren(x.py)}[np.abs(j) % 6], {paren(x.py)}[j.reshape((2, 3))])"
    x = arr(r, env, 2, two_d=True)
    vx = ev(env, x)
    fns = ["min", "max", "argmin", "argmax", "any", "all"]
    if is_int(vx) or vx.dtype == np.bool_:
        fns += ["sum", "cumsum"]
    fn = r.choice(fns)
    ax = r.choice(["0", "1", "-1"])
    py = {"min": "np.min", "max": "np.max", "argmin": "np.argmin", "argmax": "np.argmax",
          "any": "np.any", "all": "np.all", "sum": "np.sum", "cumsum": "np.cumsum"}[fn]
    if vx.dtype == np.bool_ and fn in ("min", "max", "argmin", "argmax"):
        fn, py = "any", "np.any"
    return f"print({fn}({x.nk}, axis={ax}));", f"nkprint({py}({x.py}, axis={ax}))"


def main():
    r = random.Random(14)
    env = {"np": np}
    exec(SETUP_PY, env)
    nk, py = [], []
    while len(nk) < 120:
        try:
            a, b = line(r, env)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                with np.errstate(all="ignore"):
                    v = eval(b[len("nkprint("):-1], env)
        except Exception:
            continue
        vals = v if isinstance(v, tuple) else (v,)
        if any(np.asarray(x).dtype.kind == "f" and not np.all(np.isfinite(x)) for x in vals):
            continue  # keep away from inf/nan corner cases of float // and %
        nk.append(a)
        py.append(b)
    header = "# Generated by tests/generators/random_v2.py; do not edit.\n"
    with open(os.path.join(OUT, "random_v2_exprs.nk"), "w") as fh:
        fh.write(header + SETUP_NK + "\n".join(nk) + "\n")
    with open(os.path.join(OUT, "random_v2_exprs.py"), "w") as fh:
        fh.write(header + "import numpy as np\nfrom nkfmt import nkprint\n" + SETUP_PY + "\n".join(py) + "\n")


if __name__ == "__main__":
    main()
