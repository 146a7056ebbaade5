"""The DBAPI module object the dialect hands SQLAlchemy (``dialect.dbapi``).

SQLAlchemy talks to a driver through a PEP 249 module: ``connect()``, ``paramstyle`` and the
exception classes. pgasync is an asyncio driver, so, as for SQLAlchemy's own asyncio dialects,
the module is an object whose ``connect()`` runs pgasync's coroutine inside SQLAlchemy's
greenlet bridge and returns an adapted (synchronous-looking) connection.

The exception attributes are pgasync's own classes, grouped by :mod:`._errors`: an error reaches
SQLAlchemy, and ``DBAPIError.orig``, exactly as pgasync raised it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import util
from sqlalchemy.util.concurrency import await_only

import pgasync
from pgasync.sqlalchemy._adapt import PgasyncAdaptConnection
from pgasync.sqlalchemy._errors import CATEGORIES, add_pgcode

__all__ = ["PgasyncDBAPI"]

# The options the adapted connection takes; every other keyword goes to pgasync.connect().
_DEFAULT_PREPARED_STATEMENT_CACHE_SIZE = 100


class PgasyncDBAPI:
    """pgasync as a PEP 249 module for SQLAlchemy: ``connect()``, ``paramstyle``, the errors."""

    paramstyle = "numeric_dollar"
    apilevel = "2.0"
    threadsafety = 1

    # Each PEP 249 error name is a tuple of pgasync classes (``except`` and ``isinstance``
    # take a tuple as they take a class).
    Error = CATEGORIES["Error"]
    InterfaceError = CATEGORIES["InterfaceError"]
    DatabaseError = CATEGORIES["DatabaseError"]
    DataError = CATEGORIES["DataError"]
    OperationalError = CATEGORIES["OperationalError"]
    IntegrityError = CATEGORIES["IntegrityError"]
    InternalError = CATEGORIES["InternalError"]
    ProgrammingError = CATEGORIES["ProgrammingError"]
    NotSupportedError = CATEGORIES["NotSupportedError"]
    Warning = pgasync.PostgresWarning
    # SQLAlchemy's asyncpg execution context clears the prepared-statement caches of every
    # connection when one of these reaches it (a plan made stale by DDL, a dropped type).
    InvalidCachedStatementError = pgasync.InvalidCachedStatementError
    InternalServerError = pgasync.InternalServerError

    # PEP 249 type objects: SQLAlchemy 2 does not use them, its test suite looks for them.
    STRING = util.symbol("STRING")
    NUMBER = util.symbol("NUMBER")
    DATETIME = util.symbol("DATETIME")

    def __init__(self) -> None:
        # The driver module: SQLAlchemy 2.1 reads its version from ``driver``, and the type
        # processors inherited from the asyncpg dialect find ``Range`` and ``BitString`` as
        # attributes of ``asyncpg`` (the driver under the name that dialect gives it).
        self.driver = pgasync
        self.asyncpg = pgasync
        self.__version__ = pgasync.__version__

    def connect(self, *args: Any, **kwargs: Any) -> PgasyncAdaptConnection:
        """Open a pgasync connection and adapt it for SQLAlchemy's synchronous core.

        Args:
            args, kwargs: :func:`pgasync.connect` arguments, plus the dialect's own options:
                ``async_creator_fn`` (a coroutine function used instead of
                :func:`pgasync.connect`), ``prepared_statement_cache_size`` (statements the
                dialect keeps prepared per connection; 0 turns the cache off) and
                ``prepared_statement_name_func`` (a callable giving each statement's name).

        Returns:
            The adapted connection.

        Raises:
            Whatever :func:`pgasync.connect` raises (``OSError``, ``PostgresError``...), pgasync's
            errors with ``pgcode`` set (see :func:`~pgasync.sqlalchemy._errors.add_pgcode`).
        """
        creator: Callable[..., Any] = kwargs.pop("async_creator_fn", pgasync.connect)
        cache_size = kwargs.pop("prepared_statement_cache_size", _DEFAULT_PREPARED_STATEMENT_CACHE_SIZE)
        name_func = kwargs.pop("prepared_statement_name_func", None)
        try:
            connection = await_only(creator(*args, **kwargs))
        except BaseException as error:
            add_pgcode(error)
            raise
        # SQLAlchemy's adapted connection class has an unannotated __init__.
        return PgasyncAdaptConnection(  # type: ignore[no-untyped-call]
            self,
            connection,
            prepared_statement_cache_size=cache_size,
            prepared_statement_name_func=name_func,
        )

    def Binary(self, value: bytes) -> bytes:
        """PEP 249's constructor for binary values: pgasync takes ``bytes`` as they are."""
        return value
