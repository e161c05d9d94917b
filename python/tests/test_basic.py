"""Loading, calling, scalars, arrays of every dtype and layout, results."""

import numpy as np
import pytest

import nvm

DTYPES = [np.bool_, np.uint8, np.int32, np.int64, np.float32, np.float64]
NUMERIC = [np.uint8, np.int32, np.int64, np.float32, np.float64]


def test_load_and_call_scalars(k):
    assert k.add(2, 3) == 5 and type(k.add(2, 3)) is int
    assert k.add(2.5, 1) == 3.5 and type(k.add(2.5, 1)) is float
    assert k.scale(3.0, 2.0) == 6.0
    assert k.scale(3, 2) == 6.0  # i64 arguments widen to a declared f64
    assert k.negate(True) is False
    assert k.caller(1000) == sum(i % 7 for i in range(1000))  # an imported module's function


def test_compile_source():
    m = nvm.compile("fn f(x: i64) -> i64 { return x * 3; }\nfn g(x) { return x + 0.5; }", cache_dir=False)
    assert m.f(14) == 42
    assert m.g(1) == 1.5
    assert m.name == "main"
    assert isinstance(m.engine, nvm.Engine)


def test_numpy_scalars_keep_their_type():
    m = nvm.compile("fn f(x) { return x + x; }", cache_dir=False)
    r = m.f(np.float32(1.25))
    assert r == 2.5 and isinstance(r, np.float32)
    r = m.f(np.int32(7))
    assert r == 14 and isinstance(r, np.int32)
    assert m.f(np.float64(0.25)) == 0.5
    assert m.f(np.int64(5)) == 10


@pytest.mark.parametrize("dtype", DTYPES)
def test_every_dtype_lent_and_written_in_place(k, dtype):
    if dtype is np.bool_:
        a = np.array([True, False, True])
        k.flip(a)
        assert a.tolist() == [False, True, False]
        return
    a = np.arange(6, dtype=dtype)
    ptr = a.ctypes.data
    k.bump1(a)
    assert a.dtype == dtype and a.ctypes.data == ptr
    np.testing.assert_array_equal(a, (np.arange(6) * 2 + 1).astype(dtype))


def layouts(dtype):
    """(name, array) for many layouts of one 2-D base."""
    base = np.arange(4 * 6, dtype=dtype).reshape(4, 6)
    yield "C", base.copy()
    yield "Fortran", np.asfortranarray(base)
    yield "transposed", base.copy().T
    yield "strided", base.copy()[::2, 1::2]
    yield "negative rows", base.copy()[::-1]
    yield "negative both", base.copy()[::-1, ::-2]
    yield "column", base.copy()[:, 3:4]


@pytest.mark.parametrize("dtype", NUMERIC)
def test_every_layout_reads_and_writes_through(k, dtype):
    for name, a in layouts(dtype):
        expect = (a.astype(np.int64) * 2 + 1).astype(dtype)
        assert k.total(a) == pytest.approx(a.sum(dtype=np.float64 if a.dtype.kind == "f" else None)), name
        k.bump2(a)
        np.testing.assert_array_equal(a, expect, err_msg=name)


def test_writes_through_views_reach_the_base(k1):
    base = np.zeros((3, 4))
    k1.bump1(base[1])  # a row view
    k1.bump1(base[::-1, 2])  # a reversed column view: copied in, written back
    assert base.tolist() == [[0, 0, 1, 0], [1, 1, 3, 1], [0, 0, 1, 0]]


def test_three_dimensional_and_bool_2d(k1):
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4).transpose(2, 0, 1)
    expect = a * 2 + 1
    k1.bump3(a)
    np.testing.assert_array_equal(a, expect)
    b = np.array([[True, False], [False, False]])
    assert k1.total(b) == 1


def test_read_only_array_is_never_written(k1):
    a = np.arange(4.0)
    a.flags.writeable = False
    # A function that writes gets a copy: the caller's array stays as it was.
    k1.bump1(a)
    assert a.tolist() == [0.0, 1.0, 2.0, 3.0]
    assert k1.total(a) == 6.0  # and a function that only reads it reads it in place


def test_results_are_numpy_arrays_without_copy(k1):
    r = k1.squares(5)
    assert isinstance(r, np.ndarray) and r.dtype == np.float64
    assert r.tolist() == [0.0, 1.0, 4.0, 9.0, 16.0]
    # The array does not own its memory: its base object holds nk's buffer.
    assert not r.flags.owndata and r.base is not None
    assert r.flags.writeable and r.flags.c_contiguous
    r[0] = 7.0
    assert r[0] == 7.0
    for dtype in NUMERIC:
        d = k1.doubled(np.arange(3, dtype=dtype).reshape(3, 1))
        assert d.shape == (3, 1)
        np.testing.assert_array_equal(d, np.arange(3).reshape(3, 1) * 2)


def test_tuples_and_none(k1):
    s, d = k1.pair(np.array([1.0, 2.0]))
    assert s == 3.0 and d.tolist() == [2.0, 4.0]
    a = np.zeros(2)
    assert k1.nothing(a) is None and a[0] == 42.0
    m = nvm.compile("fn f(t) { let (a, b) = t; return a * b; }", cache_dir=False)
    assert m.f((3, 2.5)) == 7.5


def test_same_function_many_types(k1):
    assert k1.total(np.arange(5)) == 10
    assert k1.total(np.arange(5.0)) == 10.0
    assert k1.total(np.ones((2, 2), dtype=np.float32)) == 4.0
    assert k1.first(np.array([9], dtype=np.int32)) == 9


@pytest.mark.parametrize(
    "value, fragment",
    [
        (np.array([1 + 2j]), "complex128"),
        (np.array([object()], dtype=object), "object"),
        (np.array(["a"]), "str32"),
        (np.zeros((1, 1, 1, 1)), "4-dimensional"),
        (np.array(1.0), "0-dimensional"),
        (np.zeros(2, dtype=np.int16), "int16"),
        (b"bytes", "bytes"),
        ([1.0, 2.0], "list"),
        (2**70, "does not fit"),
        (None, "NoneType"),
    ],
)
def test_unsupported_arguments_are_type_errors_naming_the_parameter(k1, value, fragment):
    with pytest.raises(TypeError) as e:
        k1.total(value)
    msg = str(e.value)
    assert "argument 1 (`xs`) of `kernels.total`" in msg, msg
    assert fragment in msg, msg


def test_wrong_dtype_or_rank_for_a_declared_parameter(k1):
    with pytest.raises(TypeError, match=r"argument 1 \(`x`\) of `kernels.only_f64`: expected f64\[\], got i64\[\]"):
        k1.only_f64(np.arange(3))
    with pytest.raises(TypeError, match=r"argument 1 \(`m`\).*expected f64\[,\], got f64\[\]"):
        k1.matrix_sum(np.arange(3.0))
    with pytest.raises(TypeError, match=r"takes 2 arguments \(x, k\), 1 given"):
        k1.scale(1.0)


def test_unknown_function_is_attribute_error(k1):
    with pytest.raises(AttributeError, match="no function `nope`"):
        k1.nope
    assert "total" in dir(k1)


def test_overlapping_writable_arguments_are_refused(k1):
    m = nvm.compile("fn f(a, b) { a[0] = b[1]; }", cache_dir=False)
    a = np.arange(3.0)
    with pytest.raises(TypeError, match=r"argument 2 \(`b`\).*shares memory"):
        m.f(a, a)
    b = a.copy()
    m.f(a, b)
    assert a[0] == 1.0


def test_engine_options_are_checked():
    with pytest.raises(ValueError, match="tier"):
        nvm.Engine(tier="fast")
    with pytest.raises(ValueError, match="time_limit"):
        nvm.Engine(time_limit=-1)
    with pytest.raises(TypeError, match="cache_dir"):
        nvm.Engine(cache_dir=3)
    with pytest.raises(FileNotFoundError):
        nvm.load("/nonexistent/x.nk")
    e = nvm.Engine(tier="jit", cache_dir=False)
    assert e.tier == "jit" and e.cache_dir is None


def test_empty_arrays(k1):
    assert k1.total(np.zeros(0)) == 0.0
    a = np.zeros((0, 3))
    k1.bump2(a)
    assert a.shape == (0, 3)


def unaligned(dtype, n):
    """An array of `n` elements at an odd address (as a buffer received over a socket)."""
    raw = np.zeros(n * np.dtype(dtype).itemsize + 1, dtype=np.uint8)
    a = raw[1:].view(dtype)
    assert not a.flags.aligned
    return a


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.float32, np.float64])
def test_unaligned_and_byte_swapped_arrays_are_copied_and_written_back(k1, dtype):
    a = unaligned(dtype, 4)
    a[:] = np.arange(4)
    assert k1.total(a) == 6
    k1.bump1(a)
    assert a.tolist() == [1, 3, 5, 7]
    swapped = np.arange(4, dtype=np.dtype(dtype).newbyteorder(">" if np.little_endian else "<"))
    assert k1.total(swapped) == 6
    k1.bump1(swapped)
    assert swapped.tolist() == [1, 3, 5, 7] and swapped.dtype.byteorder in "<>"
    ro = unaligned(dtype, 3)
    ro[:] = 5
    ro.flags.writeable = False
    k1.bump1(ro)  # a read-only array is never written
    assert ro.tolist() == [5, 5, 5]


def test_a_result_that_views_an_argument_is_a_copy():
    """nk's view of a lent array cannot outlive the call: Python gets a copy of it."""
    m = nvm.compile(
        "fn ident(x) { return x; }\nfn col(m) { return m[:, 1]; }\nfn mask(x) { return x > 1.0; }\nfn empty() { return zeros(0); }",
        cache_dir=False,
    )
    a = np.arange(4.0)
    r = m.ident(a)
    assert r.tolist() == a.tolist() and not np.shares_memory(r, a)
    M = np.arange(6.0).reshape(2, 3)
    c = m.col(M)
    assert c.tolist() == [1.0, 4.0] and not np.shares_memory(c, M)
    assert m.mask(a).tolist() == [False, False, True, True] and m.mask(a).dtype == np.bool_
    assert m.empty().shape == (0,)


def test_strings_cross_both_ways():
    m = nvm.compile('fn greet(name: str) { return name; }\nfn same(a: str, b: str) -> bool { return a == b; }', cache_dir=False)
    assert m.greet("nk ✓") == "nk ✓"
    assert m.same("a", "a") is True and m.same("a", "b") is False
