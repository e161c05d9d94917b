import os
from typing import Any, Optional, Union

from ._nvm import (
    CompileError as CompileError,
    Diagnostic as Diagnostic,
    Engine as Engine,
    Frame as Frame,
    Function as Function,
    Module as Module,
    NkError as NkError,
    __version__ as __version__,
    build as build,
    cache_stats as cache_stats,
    cache_verify as cache_verify,
)

def load(path: Union[str, "os.PathLike[str]"], **options: Any) -> Module: ...
def compile(source: str, name: Optional[str] = None, **options: Any) -> Module: ...
def cache_entries(cache_dir: Union[str, "os.PathLike[str]"]) -> dict[str, int]: ...
