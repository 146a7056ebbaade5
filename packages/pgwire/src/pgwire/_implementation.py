"""Which build of the hot path runs: a package's compiled extension, or its pure-Python reference.

pgwire (``pgwire._speedups``: the DataRow walk and the Bind/Execute pairs) and pgtypes
(``pgtypes._speedups``: the row and parameter executors) each have one optional compiled module,
built with the wheel and used when it imports. One environment variable, ``PGASYNC_IMPL``, read
once at import, chooses for all of them: ``python`` forces the pure builds, ``c`` demands the
compiled ones and fails loudly (``ImportError``) when one is missing; unset or empty means
"compiled where available". Any other value is an error, so a typo cannot silently select a
build.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType
from typing import Final, Literal

__all__ = ["ENVIRONMENT_VARIABLE", "choose_implementation", "implementation", "speedups"]

#: The environment variable that selects the build.
ENVIRONMENT_VARIABLE: Final = "PGASYNC_IMPL"


def choose_implementation(package: str) -> tuple[Literal["c", "python"], ModuleType | None]:
    """The build of ``package`` to run, and its compiled ``<package>._speedups`` module (or None).

    Args:
        package: the name of a package with an optional ``_speedups`` extension.

    Returns:
        ``("c", module)`` when the compiled module runs, ``("python", None)`` for the pure build.

    Raises:
        ImportError: ``PGASYNC_IMPL`` has a value other than ``c``, ``python`` or empty, or is
            ``c`` and the package's compiled module does not import.
    """
    requested = os.environ.get(ENVIRONMENT_VARIABLE, "").strip().lower()
    if requested not in ("", "c", "python"):
        raise ImportError(
            f"{ENVIRONMENT_VARIABLE} must be 'c', 'python' or unset, got {os.environ[ENVIRONMENT_VARIABLE]!r}"
        )
    if requested == "python":
        return "python", None
    try:
        module = importlib.import_module(f"{package}._speedups")
    except ImportError as error:
        if requested == "c":
            raise ImportError(
                f"{ENVIRONMENT_VARIABLE}=c, but {package}'s compiled extension is not installed ({error}); "
                f"reinstall {package} where Cython and a C compiler are available"
            ) from error
        return "python", None
    return "c", module


_chosen = choose_implementation("pgwire")

#: ``"c"`` when pgwire's compiled twins run, ``"python"`` for the pure build.
implementation: Final[Literal["c", "python"]] = _chosen[0]

#: The compiled module, or None in the pure build.
speedups: Final[ModuleType | None] = _chosen[1]
