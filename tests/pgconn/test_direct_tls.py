"""``direct_tls=True`` end to end, through a direct-TLS endpoint in front of the real server.

PostgreSQL 17 accepts TLS from the first byte (``sslnegotiation=direct``); the servers here
(15 and 16) do not. What the client must do is the same whoever terminates the TLS: open TLS
at once with the ALPN protocol ``postgresql``, send no SSLRequest, and then speak the protocol
inside it. So the test puts a TLS-terminating relay in front of the session server: it
accepts only TLS with that ALPN, with the test CA's server certificate, and forwards the
decrypted bytes to the server over plain TCP, recording the first bytes the client sent.
"""

from __future__ import annotations

import asyncio
import ssl
import struct
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import pgconn
import pgwire
from pgasync.cluster import Cluster, TlsFiles
from pgwire import PROTOCOL_3_0
from pgwire.blocking import BlockingConnection
from tests.pgconn.connect_helpers import isolate_environment, require_tls, uses_tls


class DirectTlsRelay:
    """A TLS endpoint (ALPN ``postgresql`` required) relaying to a plain PostgreSQL server."""

    def __init__(self, tls: TlsFiles, target_port: int) -> None:
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.context.load_cert_chain(tls.server_cert, tls.server_key)
        self.context.set_alpn_protocols(["postgresql"])
        self.target_port = target_port
        self.alpn: list[str | None] = []
        self.first_bytes: list[bytes] = []
        self.server: asyncio.Server | None = None

    @property
    def port(self) -> int:
        assert self.server is not None
        port: int = self.server.sockets[0].getsockname()[1]
        return port

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._relay, "127.0.0.1", 0, ssl=self.context)

    async def close(self) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()

    async def _relay(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        ssl_object = client_writer.get_extra_info("ssl_object")
        self.alpn.append(ssl_object.selected_alpn_protocol())
        if ssl_object.selected_alpn_protocol() != "postgresql":
            client_writer.close()  # what PostgreSQL 17 does without the ALPN
            return
        first = await client_reader.read(8)
        self.first_bytes.append(first)
        server_reader, server_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        server_writer.write(first)

        async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                while data := await reader.read(65536):
                    writer.write(data)
                    await writer.drain()
            except (ConnectionError, ssl.SSLError):
                pass
            finally:
                writer.close()

        await asyncio.gather(pipe(client_reader, server_writer), pipe(server_reader, client_writer))


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_environment(monkeypatch, tmp_path / "home")


@pytest.fixture
async def relay(cluster: Cluster) -> AsyncIterator[DirectTlsRelay]:
    endpoint = DirectTlsRelay(require_tls(cluster), cluster.port)
    await endpoint.start()
    yield endpoint
    await endpoint.close()


async def test_direct_tls_opens_tls_at_once_with_the_alpn(cluster: Cluster, relay: DirectTlsRelay) -> None:
    assert cluster.tls is not None
    dsn = (
        f"postgresql://{cluster.superuser}@localhost:{relay.port}/postgres"
        f"?sslmode=verify-full&sslrootcert={cluster.tls.ca_cert}"
    )
    connection = await pgconn.connect(dsn, direct_tls=True)
    try:
        assert await connection.fetchval("SELECT 40 + 2") == 42
        transport = connection._protocol.transport
        assert transport is not None and transport.get_extra_info("ssl_object") is not None
        # The server behind the relay saw plain TCP: the TLS was the relay's, end to end.
        assert await uses_tls(connection) is False
    finally:
        await connection.close()
    assert relay.alpn == ["postgresql"]
    # The first message inside TLS is the StartupMessage (length, then protocol 3.0), not an
    # SSLRequest (length 8, then the code 80877103).
    _length, code = struct.unpack("!ii", relay.first_bytes[0])
    assert code == PROTOCOL_3_0


async def test_direct_tls_verifies_the_certificate(cluster: Cluster, relay: DirectTlsRelay) -> None:
    # No root certificate of the test CA: the system roots do not know it.
    with pytest.raises(ssl.SSLCertVerificationError, match="certificate verify failed"):
        await pgconn.connect(
            host="localhost",
            port=relay.port,
            user=cluster.superuser,
            database="postgres",
            ssl=ssl.create_default_context(),
            direct_tls=True,
        )
    assert relay.first_bytes == []


async def test_blocking_client_direct_tls(cluster: Cluster, relay: DirectTlsRelay) -> None:
    # pgwire.blocking's direct_tls, through the same endpoint (in a thread: it blocks).
    assert cluster.tls is not None
    context = ssl.create_default_context(cafile=str(cluster.tls.ca_cert))
    context.set_alpn_protocols(["postgresql"])

    def run() -> tuple[bool, bytes | None, list[tuple[str | None, ...]]]:
        with BlockingConnection.connect(
            "localhost", relay.port, user=cluster.superuser, database="postgres", tls=context, direct_tls=True
        ) as connection:
            return connection.is_tls, connection.tls_server_end_point(), connection.query("SELECT 42").rows

    is_tls, binding, rows = await asyncio.to_thread(run)
    assert is_tls and binding is not None and rows == [("42",)]
    assert relay.alpn == ["postgresql"]
    _length, code = struct.unpack("!ii", relay.first_bytes[0])
    assert code == PROTOCOL_3_0  # a StartupMessage first, inside TLS: no SSLRequest
    with pytest.raises(pgwire.InterfaceError, match="direct_tls=True needs"):
        BlockingConnection.connect("localhost", relay.port, user="postgres", direct_tls=True)
