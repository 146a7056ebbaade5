"""pgasync: an asyncio PostgreSQL driver with asyncpg's API.

``import pgasync`` gives what ``import asyncpg`` gives, under the same names: ``connect``,
``Connection``, ``PreparedStatement``, ``Record``, ``Transaction``, ``Cursor``,
``CursorFactory``, ``create_pool``, ``Pool``, the ``connection``, ``cursor``, ``exceptions``,
``pool``, ``prepared_stmt``, ``transaction`` and ``types`` modules, and every exception class
at the top level. ``pgasync.implementation`` says which build of the hot path runs: ``"c"``
(the compiled extension) or ``"python"`` (the pure reference, forced by ``PGASYNC_IMPL=python``).
The value classes of ``pgasync.types`` (``Range``, ``Point``, ...) are
importable from the top level too, though not listed in ``__all__``, as in asyncpg.

Example::

    import pgasync

    connection = await pgasync.connect("postgresql://app@localhost/app")
    rows = await connection.fetch("SELECT id, name FROM users WHERE id > $1", 10)
    await connection.close()
"""

from __future__ import annotations

from pgasync import connection, cursor, exceptions, pool, prepared_stmt, transaction, types
from pgasync.__about__ import __version__

# The value classes, importable from the top level but not part of __all__ (as asyncpg's).
from pgasync.types import Attribute as Attribute
from pgasync.types import BitString as BitString
from pgasync.types import Box as Box
from pgasync.types import Circle as Circle
from pgasync.types import Line as Line
from pgasync.types import LineSegment as LineSegment
from pgasync.types import Path as Path
from pgasync.types import Point as Point
from pgasync.types import Polygon as Polygon
from pgasync.types import Range as Range
from pgasync.types import ServerVersion as ServerVersion
from pgasync.types import Type as Type
from pgconn import Connection, Cursor, CursorFactory, PreparedStatement, Transaction, connect
from pgpool import Pool, create_pool
from pgtypes import Record, implementation
from pgwire.exceptions import *  # noqa: F403  # every exception class, as asyncpg exports them

__all__ = [
    "Connection",
    "Cursor",
    "CursorFactory",
    "Pool",
    "PreparedStatement",
    "Record",
    "Transaction",
    "__version__",
    "connect",
    "connection",
    "create_pool",
    "cursor",
    "exceptions",
    "implementation",
    "pool",
    "prepared_stmt",
    "transaction",
    "types",
]
__all__ += exceptions.__all__
