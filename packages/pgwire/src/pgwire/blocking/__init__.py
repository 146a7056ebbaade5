"""pgwire.blocking: a small blocking PostgreSQL client, the one part of pgwire that does I/O.

The rest of pgwire is sans-IO. This subpackage puts it on a blocking socket for protocol
tooling, scripts, test fixtures and code generators that need a real server and no event
loop: :class:`BlockingConnection` connects (TCP or Unix socket, TLS through SSLRequest with
channel binding, cleartext/MD5/SCRAM-SHA-256(-PLUS) through :class:`pgwire.StartupExchange`),
and then gives the protocol itself (:meth:`~BlockingConnection.send`,
:meth:`~BlockingConnection.next_event`) and complete request cycles: simple and extended
queries, pipelines, COPY in and out, notifications, cancellation. Values travel in text
format. Applications use the asyncio driver (pgconn, pgasync) instead.

``import pgwire`` does not import this subpackage; it imports ``socket`` and ``ssl`` only when
it is imported itself.

Example::

    from pgwire.blocking import BlockingConnection

    with BlockingConnection.connect("localhost", 5432, user="postgres") as connection:
        result = connection.query("SELECT $1::int + 1 AS answer", "41")
        assert result.columns == ("answer",) and result.rows == [("42",)]
"""

from __future__ import annotations

from pgwire.blocking._connection import BlockingConnection, TlsRefusedError, Trace
from pgwire.blocking._result import QueryResult

__all__ = ["BlockingConnection", "QueryResult", "TlsRefusedError", "Trace"]
