"""Which build of the hot path runs: the compiled extension, or the pure-Python reference.

The compiled executor (``pgtypes._speedups``, a Cython extension built with the wheel) is used
when it imports. The environment variable ``PGASYNC_IMPL`` overrides the choice, read once at
import: ``python`` forces the pure build, ``c`` demands the compiled one and fails loudly
(``ImportError``) when it is missing; unset or empty means "compiled when available". Any
other value is an error, so a typo cannot silently select a build.
"""

from __future__ import annotations

import os
from types import ModuleType
from typing import Final, Literal

__all__ = ["ENVIRONMENT_VARIABLE", "implementation", "speedups"]

#: The environment variable that selects the build.
ENVIRONMENT_VARIABLE: Final = "PGASYNC_IMPL"


def _choose() -> tuple[Literal["c", "python"], ModuleType | None]:
    requested = os.environ.get(ENVIRONMENT_VARIABLE, "").strip().lower()
    if requested not in ("", "c", "python"):
        raise ImportError(
            f"{ENVIRONMENT_VARIABLE} must be 'c', 'python' or unset, got {os.environ[ENVIRONMENT_VARIABLE]!r}"
        )
    if requested == "python":
        return "python", None
    try:
        from pgtypes import _speedups  # type: ignore[attr-defined]  # compiled; absent in the pure build
    except ImportError as error:
        if requested == "c":
            raise ImportError(
                f"{ENVIRONMENT_VARIABLE}=c, but pgtypes' compiled extension is not installed ({error}); "
                "reinstall pgtypes where Cython and a C compiler are available"
            ) from error
        return "python", None
    module: ModuleType = _speedups
    return "c", module


_chosen = _choose()

#: ``"c"`` when the compiled executor runs, ``"python"`` for the pure build.
implementation: Final[Literal["c", "python"]] = _chosen[0]

#: The compiled module, or None in the pure build.
speedups: Final[ModuleType | None] = _chosen[1]
