//! Rust ⇄ nk conversions of the embedding API: every array layout in and out (by value,
//! `&`, `&mut`), a randomized comparison with ndarray, tuples and any arity, every element
//! type, structured errors, host functions with state and silent panics.

use ndarray::{arr1, arr2, s, Array1, Array2, Array3, ArrayD, ArrayViewD, IxDyn, Slice};
use nvm::engine::{Engine, Error};
use nvm::{Tier, Value};

const SRC: &str = "\
fn ident(x) { return x; }
fn total(x) { return sum(x); }
fn bump1(x) { x[:] = x + 1; }
fn bump2(x) { x[:, :] = x + 1; }
fn bump3(x) { x[:, :, :] = x + 1; }
fn flip1(x) { x[:] = not x; }
fn flip2(x) { x[:, :] = not x; }
fn flip3(x) { x[:, :, :] = not x; }
fn bumped(x) { x += 1.0; return x; }
fn first(x: f64[]) -> f64 { return x[0]; }
";

fn engine(tier: Tier) -> Engine {
    let mut e = Engine::builder().tier(tier).build();
    e.load_str("m", SRC).unwrap();
    e
}

/// Same shape, same elements in logical order.
fn same<A: PartialEq + std::fmt::Debug>(got: &ArrayD<A>, want: ArrayViewD<'_, A>, what: &str) {
    assert_eq!(got.shape(), want.shape(), "{what}: shape");
    for (i, (g, w)) in got.iter().zip(want.iter()).enumerate() {
        assert_eq!(g, w, "{what}: element {i} of {:?}", want);
    }
}

#[test]
fn every_layout_arrives_in_logical_order() {
    let mut e = engine(Tier::Auto);
    let c = arr2(&[[1., 2., 3.], [4., 5., 6.]]);
    let b: Array2<f64> = e.call("ident", (c.t(),)).unwrap();
    assert_eq!(b, arr2(&[[1., 4.], [2., 5.], [3., 6.]]));
    let b: Array2<f64> = e.call("ident", (c.clone().reversed_axes(),)).unwrap();
    assert_eq!(b, arr2(&[[1., 4.], [2., 5.], [3., 6.]]));
    let b: Array2<f64> = e.call("ident", (c.slice(s![..;-1, ..;2]),)).unwrap();
    assert_eq!(b, arr2(&[[4., 6.], [1., 3.]]));
    let b: Array2<f64> = e.call("ident", (&c.slice(s![.., ..;-1]).t(),)).unwrap();
    assert_eq!(b, arr2(&[[3., 6.], [2., 5.], [1., 4.]]));
    // An owned array in another layout (F order).
    let f = c.t().to_owned();
    let b: Array2<f64> = e.call("ident", (f,)).unwrap();
    assert_eq!(b, arr2(&[[1., 4.], [2., 5.], [3., 6.]]));
    // An owned array whose data starts inside its buffer.
    let tail = arr1(&[1_i64, 2, 3, 4]).slice_move(s![2..]);
    let b: Array1<i64> = e.call("ident", (tail,)).unwrap();
    assert_eq!(b, arr1(&[3, 4]));
    // A host function returning a transposed array.
    e.register_fn("host_t", || {
        arr2(&[[1_i64, 2, 3], [4, 5, 6]]).reversed_axes()
    })
    .unwrap();
    e.load_str("h", "fn get() { return host_t(); }").unwrap();
    let b: Array2<i64> = e.call("get", ()).unwrap();
    assert_eq!(b, arr2(&[[1, 4], [2, 5], [3, 6]]));
}

#[test]
fn a_reversed_view_is_no_panic() {
    let mut e = engine(Tier::Auto);
    let big = Array1::from_iter((0..10).map(f64::from));
    let t: f64 = e.call("total", (big.slice(s![..;-1]),)).unwrap();
    assert_eq!(t, 45.0);
    let t: f64 = e.call("first", (big.slice(s![..;-3]),)).unwrap();
    assert_eq!(t, 9.0);
    // ndarray's `2..;-1` is the elements from 2 on, reversed.
    let t: f64 = e.call("first", (&big.slice(s![2..;-1]),)).unwrap();
    assert_eq!(t, 9.0);
}

#[test]
fn mut_arrays_of_every_layout_are_written_in_place_or_back() {
    for tier in [Tier::Interp, Tier::Jit] {
        let mut e = engine(tier);
        let base = arr2(&[[1., 2., 3.], [4., 5., 6.]]);
        // Transposed, reversed, stepped, a view of a view, by `&mut` and by `ArrayViewMut`.
        let mut a = base.clone();
        e.call::<()>("bump2", (&mut a.view_mut().reversed_axes(),))
            .unwrap();
        assert_eq!(a, &base + 1.0);
        let mut a = base.clone();
        e.call::<()>("bump2", (a.slice_mut(s![..;-1, ..;-2]),))
            .unwrap();
        assert_eq!(a, arr2(&[[2., 2., 4.], [5., 5., 7.]]));
        let mut a = base.clone();
        let mut v = a.slice_mut(s![.., 1..]);
        let mut vv = v.slice_mut(s![..;-1, ..;-1]);
        e.call::<()>("bump2", (&mut vv.view_mut().reversed_axes(),))
            .unwrap();
        assert_eq!(a, arr2(&[[1., 3., 4.], [4., 6., 7.]]));
        // bool arrays cannot be lent (1-byte elements): copied and written back.
        let mut m = arr2(&[[true, false], [false, false]]);
        e.call::<()>("flip2", (&mut m.slice_mut(s![.., ..;-1]),))
            .unwrap();
        assert_eq!(m, arr2(&[[false, true], [true, true]]));
        // A failing call still writes back what nk wrote before the error.
        e.load_str("w", "fn half(x: f64[]) { x[0] = 7.0; x[10] = 1.0; }")
            .unwrap();
        let mut r = arr1(&[1., 2., 3.]);
        let err = e.call::<()>("half", (&mut r.slice_mut(s![..;-1]),));
        assert!(matches!(err, Err(Error::Runtime { .. })), "{err:?}");
        assert_eq!(r, arr1(&[1., 2., 7.]));
    }
}

#[test]
fn shared_arrays_are_read_in_place_or_copied_for_writers() {
    let mut e = engine(Tier::Auto);
    let a = arr1(&[1., 2., 3.]);
    // A function that writes gets a copy: the caller's array is unchanged.
    let b: Array1<f64> = e.call("bumped", (&a,)).unwrap();
    assert_eq!(b, arr1(&[2., 3., 4.]));
    assert_eq!(a, arr1(&[1., 2., 3.]));
    let b: Array1<f64> = e.call("bumped", (a.view(),)).unwrap();
    assert_eq!((b, &a), (arr1(&[2., 3., 4.]), &arr1(&[1., 2., 3.])));
    // A function that writes no array reads the caller's memory (also inside tuples).
    assert_eq!(e.call::<f64>("total", (&a,)).unwrap(), 6.0);
    e.load_str(
        "t",
        "fn both(p) { let (x, y) = p; return sum(x) + sum(y); }\n\
         fn write_first(p) { let (x, y) = p; x[0] = 100.0; return sum(x) + sum(y); }",
    )
    .unwrap();
    let m = arr2(&[[1., 2.], [3., 4.]]);
    assert_eq!(e.call::<f64>("both", ((&a, m.column(1)),)).unwrap(), 12.0);
    assert_eq!(
        e.call::<f64>("write_first", ((&a, m.row(0)),)).unwrap(),
        105.0 + 3.0
    );
    assert_eq!(a, arr1(&[1., 2., 3.]));
    // The result of a read-only function that returns its argument is the caller's values.
    let r: Array2<f64> = e.call("ident", (&m.t(),)).unwrap();
    assert_eq!(r, m.t());
}

#[test]
fn tuples_and_any_number_of_arguments() {
    let mut e = engine(Tier::Auto);
    e.load_str(
        "t",
        "fn nest(t) { let (a, (b, c)) = t; return (c, (a + 1.0, b), len(c)); }\n\
         fn sum16(a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p) {\n\
             return a + b + c + d + e + f + g + h + i + j + k + l + m + n + o + p;\n\
         }\n\
         fn one(t) { return t.0 * 2; }\n\
         fn mix(a, b, c) { return a + b + sum(c); }",
    )
    .unwrap();
    let (c, (a, b), n): (Array1<i64>, (f64, bool), i64) = e
        .call("nest", ((1.5, (true, arr1(&[1_i64, 2, 3]))),))
        .unwrap();
    assert_eq!((c, a, b, n), (arr1(&[1, 2, 3]), 2.5, true, 3));
    let s: i64 = e
        .call(
            "sum16",
            (
                1_i64, 2_i64, 3_i64, 4_i64, 5_i64, 6_i64, 7_i64, 8_i64, 9_i64, 10_i64, 11_i64,
                12_i64, 13_i64, 14_i64, 15_i64, 16_i64,
            ),
        )
        .unwrap();
    assert_eq!(s, 136);
    let xs: Vec<i64> = (1..=16).collect();
    assert_eq!(e.call::<i64>("sum16", xs.clone()).unwrap(), 136);
    assert_eq!(e.call::<i64>("sum16", xs.as_slice()).unwrap(), 136);
    assert_eq!(e.call::<i64>("one", ((21_i64,),)).unwrap(), 42);
    // Dynamic arity with mixed types: `Value`s, from nk results or Rust values.
    let three: Value = e.call("ident", (3.0,)).unwrap();
    let arr: Value = e.call("ident", (arr1(&[1.0, 2.0]),)).unwrap();
    let args = vec![three.clone(), three, arr];
    assert_eq!(e.call::<f64>("mix", args.as_slice()).unwrap(), 9.0);
    assert_eq!(e.call::<f64>("mix", args).unwrap(), 9.0);
    // A tuple result as a `Vec`.
    let v: Vec<f64> = e.call("ident", ((1.0, 2.0, 3.0),)).unwrap();
    assert_eq!(v, vec![1.0, 2.0, 3.0]);
}

#[test]
fn every_element_type_and_rank_in_and_out() {
    let mut e = engine(Tier::Auto);
    let b = arr2(&[[true, false, true], [false, false, true]]);
    let r: Array2<bool> = e.call("ident", (b.t(),)).unwrap();
    assert_eq!(r, b.t());
    let r: ArrayD<bool> = e.call("ident", (b.clone(),)).unwrap();
    assert_eq!(r, b.clone().into_dyn());
    let cube = Array3::from_shape_fn((2, 3, 4), |(i, j, k)| (100 * i + 10 * j + k) as i64);
    let r: Array3<i64> = e
        .call("ident", (cube.view().permuted_axes([2, 0, 1]),))
        .unwrap();
    assert_eq!(r, cube.view().permuted_axes([2, 0, 1]));
    let d = ArrayD::from_shape_fn(IxDyn(&[2, 2, 2]), |ix| ix[0] as f64 - ix[2] as f64);
    let r: ArrayD<f64> = e.call("ident", (&d,)).unwrap();
    assert_eq!(r, d);
    // The host side too: bool arrays and tuples of arrays.
    e.register_fn("any_true", |v: Array1<bool>| v.iter().any(|&x| x))
        .unwrap();
    e.register_fn("pair", |(a, n): (Array1<f64>, i64)| a.sum() * n as f64)
        .unwrap();
    e.load_str(
        "h",
        "fn h1(x) { return any_true(x); }\nfn h2(x) { return pair((x, 2)); }",
    )
    .unwrap();
    assert!(e.call::<bool>("h1", (arr1(&[false, true]),)).unwrap());
    assert_eq!(e.call::<f64>("h2", (arr1(&[1.0, 2.0]),)).unwrap(), 6.0);
}

#[test]
fn conversion_errors_name_the_argument_and_both_types() {
    let mut e = engine(Tier::Auto);
    let four = ArrayD::<f64>::zeros(IxDyn(&[2, 2, 2, 2]));
    let err = e.call::<f64>("total", (1.0, &four)).unwrap_err();
    let Error::Usage(m) = err else {
        panic!("{err:?}")
    };
    assert!(m.starts_with("argument 1:"), "{m}");
    assert!(
        m.contains("1 to 3 dimensions") && m.contains("[2, 2, 2, 2]"),
        "{m}"
    );
    let zero_d = ArrayD::<i64>::zeros(IxDyn(&[]));
    let err = e.call::<f64>("total", (zero_d.view(),)).unwrap_err();
    assert!(
        matches!(&err, Error::Usage(m) if m.starts_with("argument 0:") && m.contains("[]")),
        "{err:?}"
    );
    let err = e.call::<i64>("total", (arr1(&[1.0]),)).unwrap_err();
    assert!(
        matches!(&err, Error::Usage(m) if m.contains("returned f64, not i64")),
        "{err:?}"
    );
    let err = e.call::<Array2<f64>>("ident", (arr1(&[1.0]),)).unwrap_err();
    assert!(
        matches!(&err, Error::Usage(m) if m.contains("f64[]") && m.contains("f64[,]")),
        "{err:?}"
    );
    let err = e
        .call::<(f64, f64)>("ident", ((1.0, 2.0, 3.0),))
        .unwrap_err();
    assert!(
        matches!(&err, Error::Usage(m) if m.contains("a tuple of 2")),
        "{err:?}"
    );
    // Nested tuple arguments name their position too.
    let err = e.call::<f64>("ident", (2.0, (1.0, &four))).unwrap_err();
    assert!(
        matches!(&err, Error::Usage(m) if m.starts_with("argument 1:")),
        "{err:?}"
    );
}

/// splitmix64: a small deterministic generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// A random slicing of each axis (start, end, step of either sign) and a random axis order.
fn plan(rng: &mut Rng, shape: &[usize]) -> (Vec<Slice>, Vec<usize>) {
    let slices = shape
        .iter()
        .map(|&d| {
            let step = [1, 1, 2, 3, -1, -1, -2][rng.below(7)];
            if d == 0 {
                return Slice::new(0, None, step);
            }
            let a = rng.below(d) as isize;
            let b = a + 1 + rng.below(d - a as usize) as isize;
            match rng.below(3) {
                0 => Slice::new(0, None, step),
                1 => Slice::new(a, Some(b), step),
                _ => Slice::new(-(d as isize), Some(b), step),
            }
        })
        .collect();
    let mut perm: Vec<usize> = (0..shape.len()).collect();
    for i in (1..perm.len()).rev() {
        perm.swap(i, rng.below(i + 1));
    }
    (slices, perm)
}

/// `v` sliced and permuted by `plan` (`ArrayView` or `ArrayViewMut`).
fn apply<S: ndarray::RawData>(
    v: ndarray::ArrayBase<S, IxDyn>,
    (slices, perm): &(Vec<Slice>, Vec<usize>),
) -> ndarray::ArrayBase<S, IxDyn> {
    let v = slices
        .iter()
        .enumerate()
        .fold(v, |v, (k, &sl)| v.slice_axis_move(ndarray::Axis(k), sl));
    v.permuted_axes(perm.clone())
}

/// Runs the randomized comparison for one element type.
fn randomized<A>(
    e: &mut Engine,
    rng: &mut Rng,
    make: impl Fn(usize) -> A,
    modify: &str,
    change: impl Fn(A) -> A,
    cases: usize,
) where
    A: nvm::engine::NkElement + PartialEq + std::fmt::Debug + Default,
{
    for case in 0..cases {
        let ndim = 1 + rng.below(3);
        let shape: Vec<usize> = (0..ndim).map(|_| rng.below(6)).collect();
        let n: usize = shape.iter().product();
        let base = ArrayD::from_shape_vec(IxDyn(&shape), (0..n).map(&make).collect()).unwrap();
        let p1 = plan(rng, &shape);
        let first = apply(base.view(), &p1);
        let p2 = plan(rng, first.shape());
        let view = apply(first.clone(), &p2);
        let what = format!(
            "case {case}: shape {shape:?}, view {:?} strides {:?}",
            view.shape(),
            view.strides()
        );
        // By value (a view), by `&`, owned copies in the view's layout.
        let got: ArrayD<A> = e.call("ident", (view.clone(),)).unwrap();
        same(&got, view.view(), &what);
        let got: ArrayD<A> = e.call("ident", (&view,)).unwrap();
        same(&got, view.view(), &what);
        let got: ArrayD<A> = e.call("ident", (view.to_owned(),)).unwrap();
        same(&got, view.view(), &what);
        let got: ArrayD<A> = e.call("ident", (view.to_owned().reversed_axes(),)).unwrap();
        same(&got, view.to_owned().reversed_axes().view(), &what);
        // By `&mut`: nk's writes land on exactly the view's elements.
        if view.ndim() >= 1 {
            let mut target = base.clone();
            {
                let mut m = apply(apply(target.view_mut(), &p1), &p2);
                e.call::<()>(&format!("{modify}{}", m.ndim()), (&mut m,))
                    .unwrap();
            }
            let mut want = base.clone();
            {
                let mut w = apply(apply(want.view_mut(), &p1), &p2);
                w.map_inplace(|x| *x = change(std::mem::take(x)));
            }
            same(&target, want.view(), &format!("{what} (&mut)"));
        }
    }
}

#[test]
fn random_layouts_convert_both_ways_like_ndarray() {
    let mut rng = Rng(0x5eed);
    for tier in [Tier::Interp, Tier::Jit] {
        let mut e = engine(tier);
        randomized(
            &mut e,
            &mut rng,
            |i| i as f64 * 0.5 - 3.0,
            "bump",
            |x| x + 1.0,
            150,
        );
        randomized(
            &mut e,
            &mut rng,
            |i| i as i64 * 7 - 20,
            "bump",
            |x| x + 1,
            100,
        );
        randomized(&mut e, &mut rng, |i| i % 3 == 0, "flip", |x| !x, 100);
    }
}

#[test]
fn host_state_is_the_engines_and_panics_print_nothing() {
    let mut e = engine(Tier::Auto);
    let seen = e
        .register_fn_with("record", Vec::new(), |log: &mut Vec<f64>, x: f64| {
            log.push(x);
            log.len() as i64
        })
        .unwrap();
    e.register_fn("boom", |x: i64| -> i64 { panic!("boom {x}") })
        .unwrap();
    e.load_str(
        "s",
        "fn rec(n: i64) -> i64 { let k = 0; for i in 0..n { k = record(i * 0.5); } return k; }\n\
         fn b(x: i64) -> i64 { return boom(x); }",
    )
    .unwrap();
    assert_eq!(e.call::<i64>("rec", (3_i64,)).unwrap(), 3);
    assert_eq!(seen.get(), vec![0.0, 0.5, 1.0]);
    seen.with(|l| l.clear());
    assert_eq!(e.call::<i64>("rec", (1_i64,)).unwrap(), 1);
    match e.call::<i64>("b", (4_i64,)) {
        Err(Error::Runtime { message, .. }) => {
            assert_eq!(message, "host function panicked: boom 4")
        }
        other => panic!("{other:?}"),
    }
    // The engine is `Send`-ready: host functions are, so they can move to a thread.
    fn assert_send<T: Send>(_: &T) {}
    assert_send(&seen);
}

/// A child process runs a panicking host function: its stderr must stay empty.
#[test]
fn host_panics_write_nothing_to_stderr() {
    if std::env::var_os("NVM_CONVERT_CHILD").is_some() {
        let mut e = Engine::new();
        e.register_fn("boom", |x: i64| -> i64 { panic!("boom {x}") })
            .unwrap();
        e.load_str("m", "fn b(x: i64) -> i64 { return boom(x); }")
            .unwrap();
        for tier_call in 0..3 {
            assert!(e.call::<i64>("b", (tier_call,)).is_err());
        }
        // Outside a host call, panics reach the usual hook again.
        let _ = std::panic::catch_unwind(|| panic!("visible outside"));
        return;
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "host_panics_write_nothing_to_stderr",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("NVM_CONVERT_CHILD", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        !stderr.contains("boom"),
        "a host panic was printed:\n{stderr}"
    );
    assert!(
        stderr.contains("visible outside"),
        "the previous hook is gone:\n{stderr}"
    );
}
