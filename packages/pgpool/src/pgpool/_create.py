"""``create_pool()``: asyncpg's pool factory, its checks, and the options asyncpg lacks."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from typing import Any

from pgconn import Connection
from pgpool._core import check_sizes
from pgpool._pool import ConnectionHook, Pool
from pgtypes import Record

__all__ = ["create_pool"]


def _check_seconds(name: str, value: object, *, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value) or value < 0:
        raise ValueError(f"{name} is expected to be a non-negative number of seconds, got {value!r}")


def create_pool(
    dsn: str | None = None,
    *,
    min_size: int = 10,
    max_size: int = 10,
    max_queries: int = 50000,
    max_inactive_connection_lifetime: float = 300.0,
    max_lifetime: float = 3600.0,
    lifetime_jitter: float = 0.1,
    health_check_after: float | None = 10.0,
    max_waiting: int = 0,
    connect: Callable[..., Awaitable[Connection]] | None = None,
    setup: ConnectionHook | None = None,
    init: ConnectionHook | None = None,
    reset: ConnectionHook | None = None,
    reconnect_failed: Callable[[Pool, BaseException], object] | None = None,
    loop: Any = None,
    connection_class: type[Connection] = Connection,
    record_class: type[Record] = Record,
    **connect_kwargs: Any,
) -> Pool:
    """A connection pool; start it with ``await`` (or ``async with``), as in asyncpg.

    Args:
        dsn: the connection string; it and ``connect_kwargs`` go to :func:`pgconn.connect`.
        min_size: connections opened at start and kept open: lost or expired ones are
            replaced in the background (with exponential backoff and jitter while the server
            cannot be reached).
        max_size: the most connections open at once.
        max_queries: operations after which a connection is replaced (at its release).
        max_inactive_connection_lifetime: seconds an idle connection above ``min_size`` stays
            open (0: forever).
        max_lifetime: seconds after which a connection is replaced (0: never), each one
            shortened at random by up to ``lifetime_jitter`` of it, so that connections opened
            together do not all close together.
        lifetime_jitter: see ``max_lifetime`` (a fraction, 0 to 1).
        health_check_after: a connection idle this many seconds is checked with an empty
            query before it is handed out (None: never; a connection known closed is never
            handed out).
        max_waiting: the most callers that may wait for a connection; one more gets
            :class:`TooManyWaitersError` at once (0: no limit).
        connect: a coroutine function used instead of :func:`pgconn.connect`, called with
            the same arguments; it must return a ``connection_class`` instance.
        setup: ``async setup(proxy)`` before each hand-out (a failure closes the connection
            and propagates to ``acquire``).
        init: ``async init(connection)`` once per new connection, with the connection itself.
        reset: ``async reset(connection)`` at each release, in place of the reset query
            (the rollback of an open transaction and the listeners' removal still run first).
        reconnect_failed: ``reconnect_failed(pool, error)``, called each time an attempt to
            keep the floor fails.
        loop: ignored (asyncpg's deprecated argument).
        connection_class: the :class:`pgconn.Connection` subclass the pool's connections
            are, as in :func:`pgconn.connect`.
        record_class: the ``Record`` subclass of rows by default, as in :func:`pgconn.connect`.
        connect_kwargs: the other arguments of :func:`pgconn.connect` (``user``, ``ssl``,
            ``command_timeout``, ``statement_cache_size``...), used for every connection.

    Returns:
        The :class:`Pool`, not yet started.

    Raises:
        ValueError: a size or time out of range (asyncpg's messages where it has them).
        TypeError: ``connection_class`` or ``record_class`` of the wrong kind.
    """
    del loop
    check_sizes(min_size, max_size)
    if isinstance(max_queries, bool) or not isinstance(max_queries, int) or max_queries <= 0:
        raise ValueError("max_queries is expected to be greater than zero")
    if isinstance(max_waiting, bool) or not isinstance(max_waiting, int) or max_waiting < 0:
        raise ValueError(f"max_waiting is expected to be a non-negative int, got {max_waiting!r}")
    _check_seconds("max_inactive_connection_lifetime", max_inactive_connection_lifetime)
    _check_seconds("max_lifetime", max_lifetime)
    _check_seconds("health_check_after", health_check_after, allow_none=True)
    if not 0 <= lifetime_jitter <= 1:
        raise ValueError(f"lifetime_jitter is expected to be between 0 and 1, got {lifetime_jitter!r}")
    if not isinstance(connection_class, type) or not issubclass(connection_class, Connection):
        raise TypeError(
            f"connection_class is expected to be a subclass of pgasync.Connection, got {connection_class!r}"
        )
    if not isinstance(record_class, type) or not issubclass(record_class, Record):
        raise TypeError(f"record_class is expected to be a subclass of pgasync.Record, got {record_class!r}")
    args = (dsn,) if dsn is not None else ()
    return Pool(
        *args,
        min_size=min_size,
        max_size=max_size,
        max_queries=max_queries,
        max_inactive_connection_lifetime=max_inactive_connection_lifetime,
        max_lifetime=max_lifetime,
        lifetime_jitter=lifetime_jitter,
        health_check_after=health_check_after,
        max_waiting=max_waiting,
        connect=connect,
        setup=setup,
        init=init,
        reset=reset,
        reconnect_failed=reconnect_failed,
        connection_class=connection_class,
        record_class=record_class,
        **connect_kwargs,
    )
