"""Which build of the hot path runs: the compiled extension, or the pure-Python reference.

The compiled executor (``pgtypes._speedups``, a Cython extension built with the wheel) is used
when it imports. The environment variable ``PGASYNC_IMPL`` overrides the choice, read once at
import, as it does for pgwire's compiled module (:func:`pgwire.choose_implementation`):
``python`` forces the pure build, ``c`` demands the compiled one and fails loudly
(``ImportError``) when it is missing; unset or empty means "compiled when available". Any
other value is an error, so a typo cannot silently select a build.
"""

from __future__ import annotations

from types import ModuleType
from typing import Final, Literal

from pgwire import choose_implementation

__all__ = ["implementation", "speedups"]

_chosen = choose_implementation("pgtypes")

#: ``"c"`` when the compiled executor runs, ``"python"`` for the pure build.
implementation: Final[Literal["c", "python"]] = _chosen[0]

#: The compiled module, or None in the pure build.
speedups: Final[ModuleType | None] = _chosen[1]
