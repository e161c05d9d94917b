"""nvm: call nk functions from Python.

nk is a small statically typed array language for numeric code; nvm runs it (an
interpreter and a Cranelift JIT, with a persistent code heap in which each compiled
function is stored once, shared by every process that uses the same folder).

    >>> import numpy as np, nvm
    >>> m = nvm.compile("fn norm2(v) { let s = 0.0; for i in 0..len(v) { s += v[i] * v[i]; } return sqrt(s); }")
    >>> m.norm2(np.array([3.0, 4.0]))
    5.0

* ``nvm.load(path)`` / ``nvm.compile(source)`` return a module whose nk functions are
  attributes; ``nvm.Engine(tier=..., cache_dir=..., time_limit=...)`` holds the options
  (``engine.load``, ``engine.compile``).
* Arguments: Python ``int``/``float``/``bool``/``str`` are nk ``i64``/``f64``/``bool``/``str``; NumPy arrays
  of ``bool``, ``uint8``, ``int32``, ``int64``, ``float32``, ``float64`` with 1 to 3
  dimensions, in any layout, are *lent* without copying: nk's writes are seen by Python
  (an array with negative strides, a byte-swapped or an unaligned one is copied in and
  written back). A read-only array is
  never written: a function that may write an array gets a copy of it. Tuples are nk
  tuples. Anything else raises ``TypeError`` naming the parameter.
* Results: NumPy arrays that own nk's buffer (no copy), Python scalars, tuples, ``None``.
* Errors: ``CompileError`` (``.diagnostics``: file, line, column, message), ``NkError``
  (``.message``, ``.chain``: the nk call chain). Ctrl-C stops a running nk loop and raises
  ``KeyboardInterrupt``. The GIL is released while nk runs.
* ``nvm.build(path, cache_dir=...)`` is ``nvm build``: it fills the code heap so that
  later processes compile nothing.
"""

from __future__ import annotations

import os
from typing import Any, Optional, Union

from ._nvm import (
    CompileError,
    Diagnostic,
    Engine,
    Frame,
    Function,
    Module,
    NkError,
    __version__,
    build,
    cache_stats,
    cache_verify,
)

__all__ = [
    "CompileError",
    "Diagnostic",
    "Engine",
    "Frame",
    "Function",
    "Module",
    "NkError",
    "build",
    "cache_entries",
    "cache_stats",
    "cache_verify",
    "compile",
    "load",
]

PathLike = Union[str, "os.PathLike[str]"]


def load(path: PathLike, **options: Any) -> Module:
    """Load the nk module in file ``path`` in a new :class:`Engine` made with ``options``
    (``tier``, ``cache_dir``, ``time_limit``, ...). Its imports are found beside it."""
    return Engine(**options).load(path)


def compile(source: str, name: Optional[str] = None, **options: Any) -> Module:  # noqa: A001
    """Compile nk ``source`` as a module in a new :class:`Engine` made with ``options``."""
    return Engine(**options).compile(source, name)


def cache_entries(cache_dir: PathLike) -> dict:
    """The code heap's machine-code entries: ``{"entries": N, "bytes": B}``, counted over
    every target folder of ``cache_dir``. Each entry is one specialization (a function
    for one tuple of argument types), stored once however many callers, programs or
    processes use it; ``cache_verify`` checks that no two entries hold the same one."""
    root = os.fspath(cache_dir)
    n = size = 0
    if os.path.isdir(root):
        for sub in os.scandir(root):
            if sub.is_dir() and sub.name.startswith("v"):
                for f in os.scandir(sub.path):
                    if f.name.endswith(".nkc"):
                        n += 1
                        size += f.stat().st_size
    return {"entries": n, "bytes": size}
