"""The adapted connection: one pgasync connection behind SQLAlchemy's synchronous DBAPI face.

SQLAlchemy's asyncpg dialect already adapts an asyncpg-style connection (statements prepared and
kept in a per-connection LRU cache, transactions through ``connection.transaction()``, server-side
cursors through ``PreparedStatement.cursor()``); pgasync has the same API, so the adapted
connection is that class with two changes:

- Errors are raised as pgasync raised them, with ``pgcode`` added (:func:`._errors.add_pgcode`).
  The inherited translation into emulated DBAPI classes looks the driver's exception classes
  up by importing ``asyncpg``, which is neither needed nor (usually) installed; SQLAlchemy wraps
  pgasync's exceptions itself, since the DBAPI module's error attributes are pgasync's classes
  (see :mod:`._errors`).
- Closing a connection that is already broken tolerates pgasync's client errors too.
"""

from __future__ import annotations

from typing import Any, NoReturn

from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection

import pgasync
from pgasync.sqlalchemy._errors import add_pgcode

__all__ = ["PgasyncAdaptConnection"]

# SQLAlchemy 2.0 tracks "a transaction was begun" in a flag of its own beside the transaction
# object; 2.1 only keeps the object. Both must be cleared when the connection is lost.
_HAS_STARTED_FLAG = "_started" in AsyncAdapt_asyncpg_connection.__slots__


class PgasyncAdaptConnection(AsyncAdapt_asyncpg_connection):
    """A pgasync connection adapted to SQLAlchemy's DBAPI connection protocol."""

    __slots__ = ()

    def _handle_exception(self, error: Exception) -> NoReturn:
        """Forget the transaction of a lost connection, then raise ``error`` (with ``pgcode``)."""
        if self._connection.is_closed():
            self._transaction = None
            if _HAS_STARTED_FLAG:
                self._started = False  # type: ignore[misc]  # 2.0's slot; mypy reads 2.1's
        add_pgcode(error)
        raise error

    @classmethod
    def _handle_exception_no_connection(cls, dbapi: Any, error: Exception) -> NoReturn:
        """SQLAlchemy 2.1's hook for errors without a connection: raise ``error`` (with ``pgcode``)."""
        add_pgcode(error)
        raise error

    def _terminate_handled_exceptions(self) -> tuple[type[BaseException], ...]:
        """Errors that make a graceful close give way to an abort."""
        # The inherited method is unannotated in SQLAlchemy; it returns a tuple of classes.
        inherited: tuple[type[BaseException], ...] = super()._terminate_handled_exceptions()  # type: ignore[no-untyped-call]
        return (*inherited, pgasync.PostgresError, pgasync.InterfaceError)
