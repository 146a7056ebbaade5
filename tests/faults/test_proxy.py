"""The fault proxy's own tests (tests/faults/proxy.py): real pgconn connections to the session's
server through it, and raw sockets where the bytes themselves are the point.

Every fault is checked by what the client sees and by the bytes the proxy held, forwarded or
swallowed; every wait that could hang is bounded (``asyncio.timeout``).
"""

from __future__ import annotations

import asyncio
import ssl
import time

import pytest

import pgconn
import pgwire
from pgasync.cluster import Cluster
from pgwire.exceptions import ConnectionDoesNotExistError, InterfaceError, ProtocolViolationError
from tests.faults import Direction, FaultProxy, ProxyClosedError
from tests.faults.conftest import ProxiedFactory
from tests.pgconn.connect_helpers import closed_port

TO_SERVER = Direction.TO_SERVER
TO_CLIENT = Direction.TO_CLIENT
IDLE = pgwire.ReadyForQuery(pgwire.TransactionStatus.IDLE).encode()
#: Generous bound for anything that could hang.
LIMIT = 10


def message_types(data: bytes) -> list[str]:
    """The type byte of each whole message in ``data``, in order."""
    framer = pgwire.Framer()
    framer.receive_data(data)
    types: list[str] = []
    while (frame := framer.next_message()) is not None:
        types.append(chr(frame[0]))
    return types


# -- relaying ----------------------------------------------------------------------------------


async def test_queries_run_through_the_proxy(proxy: FaultProxy, through_proxy: ProxiedFactory) -> None:
    client, relay = await through_proxy()
    async with asyncio.timeout(LIMIT):
        assert await client.fetchval("SELECT $1::int + 1", 41) == 42
        # The server's client is the proxy's upstream socket.
        assert await client.fetchval("SELECT inet_client_port()") == relay.upstream_address[1]
    assert proxy.connections == [relay] and relay.number == 1
    for direction in Direction:
        assert relay.bytes_forwarded(direction) == relay.bytes_received(direction) > 0
        assert relay.held(direction) == b""
        assert proxy.bytes_forwarded(direction) == relay.bytes_forwarded(direction)
    async with asyncio.timeout(LIMIT):
        await client.close()
        await relay.wait_closed()
    assert relay.is_closed and not relay.is_dropped
    assert proxy.connections == [] and proxy.relayed == [relay]


async def test_tls_passes_through_the_proxy(cluster: Cluster, through_proxy: ProxiedFactory) -> None:
    if cluster.tls is None:
        pytest.skip(f"PostgreSQL from {cluster.installation.source} was built without OpenSSL")
    client, relay = await through_proxy(ssl="require")
    async with asyncio.timeout(LIMIT):
        assert await client.fetchval("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()") is True
        # A damaged TLS record fails its integrity check: the connection is lost, nothing hangs.
        relay.corrupt(TO_CLIENT, skip=10)
        with pytest.raises(ConnectionDoesNotExistError) as caught:
            await client.fetchval("SELECT 1")
    assert isinstance(caught.value.__cause__, ssl.SSLError)
    assert client.is_closed()


# -- stalls ------------------------------------------------------------------------------------


async def test_a_stall_holds_the_servers_answer_until_resume(through_proxy: ProxiedFactory) -> None:
    client, relay = await through_proxy()
    forwarded = relay.bytes_forwarded(TO_CLIENT)
    relay.stall(TO_CLIENT)
    assert relay.is_stalled(TO_CLIENT) and not relay.is_stalled(TO_SERVER)
    async with asyncio.timeout(LIMIT):
        query = asyncio.create_task(client.execute("SELECT 42"))
        await relay.wait_until(lambda: relay.held(TO_CLIENT).endswith(IDLE))
        # The whole answer is held at the proxy; none of it reached the client.
        assert message_types(relay.held(TO_CLIENT)) == ["T", "D", "C", "Z"]
        assert relay.bytes_forwarded(TO_CLIENT) == forwarded
        assert not query.done()
        held = len(relay.held(TO_CLIENT))
        relay.resume(TO_CLIENT)
        assert await query == "SELECT 1"
    assert relay.held(TO_CLIENT) == b"" and not relay.is_stalled(TO_CLIENT)
    assert relay.bytes_forwarded(TO_CLIENT) == forwarded + held


async def test_a_stall_holds_the_clients_query_until_resume(
    proxy: FaultProxy, through_proxy: ProxiedFactory
) -> None:
    client, relay = await through_proxy()
    sent = proxy.bytes_forwarded(TO_SERVER)
    query_bytes = pgwire.Query("SELECT 7").encode()
    relay.stall()  # both directions
    assert relay.is_stalled(TO_SERVER) and relay.is_stalled(TO_CLIENT)
    async with asyncio.timeout(LIMIT):
        query = asyncio.create_task(client.execute("SELECT 7"))
        await relay.wait_until(lambda: relay.held(TO_SERVER) == query_bytes)
        assert not query.done() and relay.bytes_forwarded(TO_SERVER) == sent
        relay.resume()
        await proxy.wait_for_bytes(TO_SERVER, sent + len(query_bytes))
        assert await query == "SELECT 1"


async def test_a_stall_stops_reading_so_back_pressure_reaches_the_sender() -> None:
    # The far end is a second proxy's blackhole, which reads and records everything.
    payload = bytes(range(256)) * (16 * 4096)  # 16 MiB: more than loopback's buffers absorb
    async with FaultProxy("127.0.0.1", closed_port()) as sink:
        sink.blackhole_new_connections()
        async with FaultProxy(sink.host, sink.port) as proxy:
            _, writer = await asyncio.open_connection(proxy.host, proxy.port)
            try:
                async with asyncio.timeout(LIMIT):
                    relay = await proxy.wait_for_connection()
                    hole = await sink.wait_for_blackholed()
                relay.stall(TO_SERVER)
                writer.write(payload)
                with pytest.raises(TimeoutError):  # the sender's buffers stay full
                    async with asyncio.timeout(0.5):
                        await writer.drain()
                assert writer.transport.get_write_buffer_size() > 0
                # At most one read happened after the stall, and nothing went on.
                assert relay.bytes_received(TO_SERVER) <= 64 * 1024
                assert relay.bytes_forwarded(TO_SERVER) == 0 and hole.received == b""
                relay.resume()
                async with asyncio.timeout(LIMIT * 3):
                    await writer.drain()
                    await hole.wait_for_received(len(payload))
                assert hole.received == payload
            finally:
                writer.transport.abort()  # close() would wait to flush into a stalled proxy
                await writer.wait_closed()


async def test_stall_after_stops_exactly_mid_result(through_proxy: ProxiedFactory) -> None:
    client, relay = await through_proxy()
    query = "SELECT generate_series(1, 20000)"
    async with asyncio.timeout(LIMIT):
        # Prepared and cached by this first run: the second is one round trip, the rows.
        assert len(await client.fetch(query)) == 20000
        start = relay.bytes_forwarded(TO_CLIENT)
        relay.stall_after(TO_CLIENT, 1000)
        rows = asyncio.create_task(client.fetch(query))
        await relay.wait_stalled(TO_CLIENT)
        await relay.wait_for_held(TO_CLIENT)
        assert relay.bytes_forwarded(TO_CLIENT) == start + 1000
        assert not rows.done()
        relay.resume()
        assert [row[0] for row in await rows] == list(range(1, 20001))
    assert not relay.is_stalled(TO_CLIENT) and relay.held(TO_CLIENT) == b""


async def test_stall_after_zero_stalls_at_once_and_bad_arguments_are_refused(
    through_proxy: ProxiedFactory,
) -> None:
    _, relay = await through_proxy()
    relay.stall_after(TO_SERVER, 0)
    assert relay.is_stalled(TO_SERVER)
    relay.resume(TO_SERVER)
    with pytest.raises(ValueError, match="negative"):
        relay.stall_after(TO_SERVER, -1)
    with pytest.raises(ValueError, match="count >= 1"):
        relay.corrupt(TO_SERVER, 0)
    with pytest.raises(ValueError, match="byte value"):
        relay.corrupt(TO_SERVER, replacement=256)


# -- drops -------------------------------------------------------------------------------------


@pytest.mark.parametrize("reset", [False, True], ids=["fin", "reset"])
async def test_a_drop_mid_query_loses_the_connection(
    proxy: FaultProxy, through_proxy: ProxiedFactory, reset: bool
) -> None:
    client, relay = await through_proxy()
    sql = "SELECT pg_sleep(30)"
    sent = relay.bytes_forwarded(TO_SERVER)
    async with asyncio.timeout(LIMIT):
        query = asyncio.create_task(client.execute(sql))
        await relay.wait_for_bytes(TO_SERVER, sent + len(pgwire.Query(sql).encode()))
        started = time.monotonic()
        relay.drop(reset=reset)
        with pytest.raises(ConnectionDoesNotExistError) as caught:
            await query
        await relay.wait_closed()
    assert time.monotonic() - started < 5
    assert client.is_closed() and relay.is_dropped and proxy.connections == []
    # A reset reaches the client as ECONNRESET, an orderly drop as the end of the stream.
    cause = caught.value.__cause__
    assert isinstance(cause, ConnectionResetError) if reset else cause is None


async def test_drop_all_drops_every_live_connection(proxy: FaultProxy, through_proxy: ProxiedFactory) -> None:
    first, _ = await through_proxy()
    second, _ = await through_proxy()
    assert len(proxy.connections) == 2
    proxy.drop_all()
    async with asyncio.timeout(LIMIT):
        for client in (first, second):
            with pytest.raises((ConnectionDoesNotExistError, InterfaceError)):
                await client.execute("SELECT 1")
        await proxy.wait_until(lambda: not proxy.connections)
    assert first.is_closed() and second.is_closed()


# -- corruption ---------------------------------------------------------------------------------


async def test_a_corrupted_message_type_is_a_protocol_error(through_proxy: ProxiedFactory) -> None:
    client, relay = await through_proxy()
    relay.corrupt(TO_CLIENT)  # the answer's first byte: RowDescription's 'T' (0x54) becomes 0xab
    async with asyncio.timeout(LIMIT):
        with pytest.raises(pgwire.ProtocolError, match=r"unknown backend message type .* \(0xab\)"):
            await client.execute("SELECT 1")
    assert client.is_closed()


async def test_a_corrupted_length_is_a_protocol_error(through_proxy: ProxiedFactory) -> None:
    client, relay = await through_proxy()
    relay.corrupt(TO_CLIENT, skip=1, replacement=0x7F)  # the length word's high byte
    async with asyncio.timeout(LIMIT):
        with pytest.raises(pgwire.ProtocolError, match="over the limit"):
            await client.execute("SELECT 1")
    assert client.is_closed()


async def test_corruption_towards_the_server_is_refused_by_the_server(through_proxy: ProxiedFactory) -> None:
    client, relay = await through_proxy()
    relay.corrupt(TO_SERVER)  # Query's 'Q' (0x51) becomes 0xae: the server ends the session
    async with asyncio.timeout(LIMIT):
        with pytest.raises(ConnectionDoesNotExistError) as caught:
            await client.execute("SELECT 1")
        await relay.wait_closed()
    # The server's FATAL ErrorResponse before it closed is the cause.
    cause = caught.value.__cause__
    assert isinstance(cause, ProtocolViolationError)
    assert cause.message == "invalid frontend message type 174"
    assert client.is_closed()


# -- blackholes --------------------------------------------------------------------------------


async def test_blackholed_connections_are_accepted_and_never_answered(
    proxy: FaultProxy, through_proxy: ProxiedFactory
) -> None:
    proxy.blackhole_new_connections()
    request = pgwire.CancelRequest(1234, b"\x01\x02\x03\x04").encode()
    reader, writer = await asyncio.open_connection(proxy.host, proxy.port)
    try:
        writer.write(request)
        async with asyncio.timeout(LIMIT):
            hole = await proxy.wait_for_blackholed()
            await hole.wait_for_received(len(request))
        assert hole.received == request
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.3):
                await reader.read(1)
        # Even the client's end of stream gets no answer, not even a close.
        writer.write_eof()
        async with asyncio.timeout(LIMIT):
            await proxy.wait_until(lambda: hole.client_finished)
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.3):
                await reader.read(1)
    finally:
        writer.close()
        await writer.wait_closed()
    assert proxy.relayed == [] and proxy.blackholed == [hole]
    # Switched off, new connections are relayed again.
    proxy.blackhole_new_connections(False)
    client, _ = await through_proxy()
    assert await client.fetchval("SELECT 1") == 1


async def test_a_timeouts_cancel_request_can_be_blackholed(
    proxy: FaultProxy, through_proxy: ProxiedFactory
) -> None:
    client, relay = await through_proxy()
    proxy.blackhole_new_connections()
    # The cancel goes to the proxy (the connection's address) on a new connection, which is
    # swallowed. (pgconn may wait for the cancel until its resync limit, 10 s.)
    async with asyncio.timeout(LIMIT * 3):
        with pytest.raises(TimeoutError):
            await client.execute("SELECT pg_sleep(30)", timeout=0.3)
        hole = await proxy.wait_for_blackholed()
        await hole.wait_for_received(16)
    wire = pgwire.ServerConnection()
    wire.receive_data(hole.received)
    request = wire.next_event()
    assert isinstance(request, pgwire.CancelRequest)
    assert request.process_id == client.get_server_pid()
    assert proxy.relayed == [relay]


# -- lifecycle ---------------------------------------------------------------------------------


async def test_closing_the_proxy_closes_everything_it_holds(cluster: Cluster) -> None:
    proxy = await FaultProxy(cluster.host, cluster.port).start()
    client = await pgconn.connect(proxy.dsn())
    relay = proxy.connections[0]
    relay.stall(TO_CLIENT)
    proxy.blackhole_new_connections()
    reader, writer = await asyncio.open_connection(proxy.host, proxy.port)
    try:
        async with asyncio.timeout(LIMIT):
            hole = await proxy.wait_for_blackholed()
            await proxy.close()
            assert relay.is_closed and proxy.connections == []
            assert await reader.read() == b""  # the blackholed connection is closed too
            with pytest.raises((ConnectionDoesNotExistError, InterfaceError)):
                await client.execute("SELECT 1")
        assert client.is_closed() and not hole.client_finished
        with pytest.raises(OSError):
            await asyncio.open_connection(proxy.host, proxy.port)
        await proxy.close()  # idempotent
        with pytest.raises(ProxyClosedError):
            await proxy.wait_for_connection(2)
    finally:
        client.terminate()
        writer.close()
        await writer.wait_closed()


async def test_a_connection_the_upstream_refuses_is_closed() -> None:
    async with FaultProxy("127.0.0.1", closed_port()) as proxy:
        reader, writer = await asyncio.open_connection(proxy.host, proxy.port)
        try:
            async with asyncio.timeout(LIMIT):
                assert await reader.read() == b""
        finally:
            writer.close()
            await writer.wait_closed()
        assert proxy.upstream_failures == 1 and proxy.relayed == []
    with pytest.raises(RuntimeError, match="starts only once"):
        await proxy.start()
