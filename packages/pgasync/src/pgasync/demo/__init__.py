"""The pgasync demo: ``python -m pgasync.demo``.

Starts a throwaway PostgreSQL server with :mod:`pgasync.cluster` (or uses the server named
by ``PGASYNC_DSN``) and shows what works so far: a startup with SCRAM-SHA-256 authentication,
a simple query and an extended query with parameters done with ``pgwire.blocking`` (pgwire
over a plain socket), with every protocol message printed as it goes by; then the same server through
``pgasync.connect()``: typed values, a prepared statement, a transaction, a cursor, COPY in
and out, and LISTEN/NOTIFY between two connections; last, a pool (``pgasync.create_pool``)
under concurrent calls, its statistics, and a transaction on an acquired connection.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TextIO
from urllib.parse import unquote, urlsplit

from pgasync.cluster import Cluster, HbaRule
from pgasync.demo._tour import run_tour
from pgwire.blocking import BlockingConnection, QueryResult

__all__ = ["ServerAddress", "main", "run_demo"]

DEMO_USER = "pgasync_demo"
DEMO_PASSWORD = "demo-password"


@dataclass(frozen=True)
class ServerAddress:
    """Where the demo connects, and as whom (the password never appears in ``repr``)."""

    host: str
    port: int
    user: str
    database: str
    password: str | None = None

    def __repr__(self) -> str:
        where = f"host={self.host!r}, port={self.port}, user={self.user!r}, database={self.database!r}"
        return f"ServerAddress({where})"

    @classmethod
    def from_dsn(cls, dsn: str) -> ServerAddress:
        """Read ``postgresql://user:password@host:port/database`` (the parts the demo needs).

        Raises:
            ValueError: the DSN is not a postgres:// or postgresql:// URI.
        """
        parts = urlsplit(dsn)
        if parts.scheme not in ("postgres", "postgresql"):
            raise ValueError(f"PGASYNC_DSN must be a postgresql:// URI, got scheme {parts.scheme!r}")
        return cls(
            host=parts.hostname or "localhost",
            port=parts.port or 5432,
            user=unquote(parts.username or os.environ.get("USER", "postgres")),
            database=unquote(parts.path.lstrip("/")) or "postgres",
            password=unquote(parts.password) if parts.password is not None else None,
        )


@contextmanager
def demo_server(out: TextIO) -> Iterator[ServerAddress]:
    """The server named by ``PGASYNC_DSN``, else a throwaway one with a SCRAM user."""
    dsn = os.environ.get("PGASYNC_DSN")
    if dsn:
        address = ServerAddress.from_dsn(dsn)
        print(f"Using PGASYNC_DSN: {address.user}@{address.host}:{address.port}/{address.database}", file=out)
        yield address
        return
    rules = [
        HbaRule("local", "all", "postgres", "trust"),
        HbaRule("host", "all", DEMO_USER, "scram-sha-256", "127.0.0.1/32"),
    ]
    with Cluster(hba_rules=rules) as cluster:
        cluster.initialize()
        cluster.create_user(DEMO_USER, DEMO_PASSWORD, "scram-sha-256", superuser=False)
        cluster.start()
        print(f"Started a throwaway PostgreSQL {cluster.version} on {cluster.host}:{cluster.port}", file=out)
        yield ServerAddress(cluster.host, cluster.port, DEMO_USER, "postgres", DEMO_PASSWORD)


def _show(result: QueryResult, out: TextIO) -> None:
    if result.columns:
        print("    " + " | ".join(result.columns), file=out)
        for row in result.rows:
            print("    " + " | ".join("NULL" if value is None else value for value in row), file=out)
    print(f"    ({result.status})", file=out)


def run_demo(address: ServerAddress, out: TextIO = sys.stdout) -> None:
    """Connect, authenticate, and run the demonstration queries, printing as it goes."""

    def trace(direction: str, message: object) -> None:
        print(f"  {direction} {message!r}", file=out)

    print("\n1. Startup and authentication (every protocol message shown):", file=out)
    with BlockingConnection.connect(
        address.host,
        address.port,
        user=address.user,
        password=address.password,
        database=address.database,
        trace=trace,
    ) as session:
        session.trace = None
        key = session.wire.backend_key
        print(f"   -> connected: backend pid {key.process_id if key else '?'}", file=out)
        print(f"   -> server_version {session.wire.parameters.get('server_version')}", file=out)

        print("\n2. A simple query (two statements in one Query message):", file=out)
        for result in session.simple_query(
            "SELECT current_user AS who, version() LIKE 'PostgreSQL%' AS is_postgres; "
            "SELECT n, n * n AS square FROM generate_series(1, 3) AS n"
        ):
            _show(result, out)

        print("\n3. An extended query with parameters (Parse, Bind, Describe, Execute, Sync):", file=out)
        session.trace = trace
        result = session.query("SELECT $1::int + $2::int AS sum, upper($3) AS shout", "40", "2", "pgwire")
        session.trace = None
        _show(result, out)
    run_tour(address.host, address.port, address.user, address.password, address.database, out)
    print("\nDone: the connection was closed with Terminate.", file=out)


def main() -> int:
    """Run the demo; the exit status is 0 on success."""
    with demo_server(sys.stdout) as address:
        run_demo(address)
    return 0
