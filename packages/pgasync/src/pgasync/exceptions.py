"""``pgasync.exceptions``: every exception class, under asyncpg's names.

Server errors are one class per SQLSTATE (``UniqueViolationError``, ...) under
``PostgresError``; client errors are ``InterfaceError`` and its family. They live in
``pgwire.exceptions`` and are the same classes here, so ``except`` clauses work whichever
module they name.
"""

from __future__ import annotations

from pgwire.exceptions import *  # noqa: F403  # the whole hierarchy; its names are in __all__
from pgwire.exceptions import __all__ as __all__
