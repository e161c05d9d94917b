"""Type stubs of nvm's native module (the Rust extension)."""

import os
from typing import Any, Optional, Sequence, Tuple, Union

_Path = Union[str, "os.PathLike[str]"]

__version__: str

class CompileError(Exception):
    """Syntax or type errors; ``diagnostics`` lists each one."""

    diagnostics: list[Diagnostic]

class NkError(Exception):
    """An nk runtime error with the nk call chain (outermost first)."""

    message: str
    chain: list[Frame]
    rendered: str

class Diagnostic:
    """One compile error."""

    def __init__(self, file: str, line: int, column: int, message: str) -> None: ...
    file: str
    line: int
    column: int
    message: str

class Frame:
    """One frame of an nk call chain."""

    def __init__(self, function: str, file: str, line: int, column: int) -> None: ...
    function: str
    file: str
    line: int
    column: int

class Engine:
    """An nk engine: loaded modules, their compiled code, and its settings."""

    def __init__(
        self,
        tier: str = "auto",
        cache_dir: Union[_Path, None, bool] = None,
        time_limit: Optional[float] = None,
        memory_limit: Optional[int] = None,
        jit_calls: Optional[int] = None,
        module_path: Sequence[_Path] = (),
        threads: Optional[int] = None,
    ) -> None: ...
    def load(self, path: _Path) -> Module: ...
    def compile(self, source: str, name: Optional[str] = None) -> Module: ...
    def call(self, name: str, *args: Any) -> Any: ...
    def interrupt(self) -> None: ...
    def stats(self) -> dict[str, Any]: ...
    def function_names(self) -> list[str]: ...
    def tiers(self, name: str = "") -> list[Tuple[str, str]]: ...
    def inspect(self, name: str) -> str: ...
    @property
    def cache_dir(self) -> Optional[str]: ...
    @property
    def tier(self) -> str: ...

class Module:
    """A loaded nk module; its nk functions are attributes."""

    @property
    def engine(self) -> Engine: ...
    @property
    def name(self) -> str: ...
    def __getattr__(self, name: str) -> Function: ...

class Function:
    """An nk function."""

    __name__: str
    def __call__(self, *args: Any) -> Any: ...
    def params(self) -> list[Tuple[str, Optional[str]]]: ...

def build(
    path: _Path,
    cache_dir: Union[_Path, None, bool] = None,
    module_path: Sequence[_Path] = (),
) -> dict[str, Any]: ...
def cache_stats(cache_dir: Union[_Path, None] = None) -> str: ...
def cache_verify(cache_dir: Union[_Path, None] = None) -> Tuple[str, bool]: ...
