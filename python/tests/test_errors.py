"""Compile errors with diagnostics, runtime errors with the nk call chain."""

import numpy as np
import pytest

import nvm


def test_compile_error_lists_every_diagnostic():
    src = "fn f(x) {\n    return x +;\n}\nfn g() { return undefined_name; }\n"
    with pytest.raises(nvm.CompileError) as e:
        nvm.compile(src, name="bad", cache_dir=False)
    d = e.value.diagnostics
    assert len(d) >= 1
    first = d[0]
    assert isinstance(first, nvm.Diagnostic)
    assert (first.file, first.line) == ("bad", 2)
    assert first.column >= 1 and first.message
    assert "bad:2:" in str(first)
    assert "error" in str(e.value)


def test_type_errors_found_at_the_first_call_are_compile_errors():
    m = nvm.compile("fn f(x) { return x.nope; }", name="m", cache_dir=False)
    with pytest.raises(nvm.CompileError) as e:
        m.f(np.zeros(2))
    assert any(d.file == "m" and d.line == 1 for d in e.value.diagnostics)


def test_compile_error_in_a_file(tmp_path):
    p = tmp_path / "broken.nk"
    p.write_text("fn ok() { return 1; }\nfn bad( { }\n")
    with pytest.raises(nvm.CompileError) as e:
        nvm.load(p, cache_dir=False)
    (d, *_) = e.value.diagnostics
    assert d.file.endswith("broken.nk") and d.line == 2


def test_runtime_error_carries_message_and_call_chain(k, kernels_path):
    x = np.arange(3.0)
    with pytest.raises(nvm.NkError) as e:
        k.outer(x, 10)
    err = e.value
    assert "out of bounds" in err.message
    names = [f.function for f in err.chain]
    # Outermost first: outer called inner, which failed.
    assert names[0].startswith("kernels.outer") and names[-1].startswith("kernels.inner"), names
    assert all(isinstance(f, nvm.Frame) and f.file.endswith("kernels.nk") for f in err.chain)
    lines = kernels_path.read_text().splitlines()
    assert lines[err.chain[-1].line - 1].startswith("fn inner(")
    assert lines[err.chain[0].line - 1].startswith("fn outer(")
    assert "out of bounds" in str(err)
    # The engine is still usable after an error.
    assert k.outer(x, 2) == 4.0


def test_runtime_error_after_partial_writes_keeps_them(k1):
    m = nvm.compile("fn f(a) { a[0] = 1.0; a[5] = 2.0; }", cache_dir=False)
    a = np.zeros(3)
    with pytest.raises(nvm.NkError):
        m.f(a)
    assert a[0] == 1.0


def test_time_limit_stops_a_runaway_loop(kernels_path):
    m = nvm.load(kernels_path, cache_dir=False, time_limit=0.2)
    with pytest.raises(nvm.NkError, match="time limit"):
        m.spin(10**12)
    assert m.spin(10) == 45


def test_errors_survive_pickling(k1):
    """A Dask worker's exception reaches the client pickled: with its chain."""
    import pickle

    with pytest.raises(nvm.NkError) as e:
        k1.outer(np.arange(3.0), 10)
    back = pickle.loads(pickle.dumps(e.value))
    assert isinstance(back, nvm.NkError)
    assert back.chain == e.value.chain and back.message == e.value.message
    with pytest.raises(nvm.CompileError) as c:
        nvm.compile("fn f( {", cache_dir=False)
    back = pickle.loads(pickle.dumps(c.value))
    assert back.diagnostics == c.value.diagnostics and str(back) == str(c.value)
