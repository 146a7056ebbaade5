"""pgconn: one asyncio PostgreSQL connection for pgasync, with asyncpg's API.

:func:`connect` resolves asyncpg's arguments (DSN, environment, passfile, service file, TLS
modes, several hosts, ``target_session_attrs``) and returns a :class:`Connection`: queries
(``execute``, ``executemany``, ``fetch``, ``fetchrow``, ``fetchval``, ``fetchmany``),
prepared statements with a statement cache, transactions, cursors, COPY, listeners and
query loggers, type codecs, timeouts and cancellation. The protocol is ``pgwire``'s and the
types are ``pgtypes``'; this package is the asyncio pump between them and the socket. See
``docs/pgconn.md``.
"""

from __future__ import annotations

from pgconn.__about__ import __version__
from pgconn._connection import Connection
from pgconn._copy_stream import CopyRecordStream
from pgconn._cursor import Cursor, CursorFactory, CursorIterator
from pgconn._failover import connect
from pgconn._listeners import LoggedQuery
from pgconn._notification_stream import Notification, NotificationOverflowError, NotificationStream
from pgconn._parameters import SessionAttribute, SSLMode
from pgconn._prepared import PreparedStatement
from pgconn._server_settings import ConnectionSettings
from pgconn._tracing import EndSpan, OperationTracer, TraceTarget, get_tracer, set_tracer
from pgconn._transaction import Transaction, TransactionState

__all__ = [
    "Connection",
    "ConnectionSettings",
    "CopyRecordStream",
    "Cursor",
    "CursorFactory",
    "CursorIterator",
    "EndSpan",
    "LoggedQuery",
    "Notification",
    "NotificationOverflowError",
    "NotificationStream",
    "OperationTracer",
    "PreparedStatement",
    "SSLMode",
    "SessionAttribute",
    "TraceTarget",
    "Transaction",
    "TransactionState",
    "__version__",
    "connect",
    "get_tracer",
    "set_tracer",
]
