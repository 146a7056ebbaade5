"""``pgconn.connect()`` with several hosts: fallback on unreachable ones, ``target_session_attrs``.

A module ``primary`` cluster with a streaming-replication hot ``standby``
(:class:`pgasync.cluster._standby.Standby`), made once for the module; the session ``cluster``
stands in for any other live server.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import pgconn
from pgasync.cluster import DEFAULT_HBA_RULES, Cluster, PostgresInstallation
from pgasync.cluster._standby import Standby, replication_rules
from pgwire.exceptions import (
    CannotConnectNowError,
    InvalidCatalogNameError,
    InvalidPasswordError,
    TargetServerAttributeNotMatched,
)
from tests.conftest import MakeCluster
from tests.pgconn.connect_helpers import SilentServer, closed_port, isolate_environment, server_port

LOCAL = "127.0.0.1"


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_environment(monkeypatch, tmp_path / "home")


@pytest.fixture(scope="module")
def primary(pg_installation: PostgresInstallation) -> Iterator[Cluster]:
    """A server that accepts replication connections from its superuser."""
    server = Cluster(pg_installation, hba_rules=[*DEFAULT_HBA_RULES, *replication_rules()])
    try:
        server.start()
        yield server
    finally:
        server.destroy()


@pytest.fixture(scope="module")
def standby(primary: Cluster) -> Iterator[Standby]:
    """A hot standby of ``primary``."""
    with Standby(primary) as server:
        yield server


async def _connect_ports(ports: list[int], **options: Any) -> pgconn.Connection:
    return await pgconn.connect(host=[LOCAL] * len(ports), port=ports, user="postgres", **options)


async def _reached(ports: list[int], **options: Any) -> int:
    """Connect to ``ports`` in order; the port of the server that was chosen."""
    connection = await _connect_ports(ports, **options)
    try:
        return await server_port(connection)
    finally:
        await connection.close()


# -- unreachable hosts ---------------------------------------------------------------------------


async def test_dead_host_then_live_one(cluster: Cluster) -> None:
    assert await _reached([closed_port(), cluster.port]) == cluster.port


async def test_dead_unix_socket_then_live_tcp(cluster: Cluster, tmp_path: Path) -> None:
    connection = await pgconn.connect(
        host=[os.fspath(tmp_path), LOCAL], port=cluster.port, user="postgres", database="postgres"
    )
    try:
        assert await connection.fetchval("SELECT inet_server_addr() IS NOT NULL") is True
    finally:
        await connection.close()


async def test_dsn_with_several_hosts(cluster: Cluster) -> None:
    dsn = f"postgresql://postgres@{LOCAL}:{closed_port()},localhost:{cluster.port}/postgres"
    connection = await pgconn.connect(dsn)
    try:
        assert await server_port(connection) == cluster.port
    finally:
        await connection.close()


async def test_all_hosts_dead_raises_the_last_oserror() -> None:
    first, last = closed_port(), closed_port()
    with pytest.raises(OSError) as info:
        await _connect_ports([first, last])
    assert f"'{LOCAL}', {last})" in str(info.value)


async def test_server_error_on_the_first_host_is_raised_at_once(cluster: Cluster) -> None:
    async with SilentServer() as next_host:
        with pytest.raises(InvalidCatalogNameError):
            await _connect_ports([cluster.port, next_host.port], database="pgconn_no_such_db", timeout=10)
        assert next_host.accepted == 0


async def test_wrong_password_on_the_first_host_is_raised_at_once(cluster: Cluster) -> None:
    user = "pgasync_scram_sha_256"
    async with SilentServer() as next_host:
        with pytest.raises(InvalidPasswordError):
            await pgconn.connect(
                host=[LOCAL, LOCAL],
                port=[cluster.port, next_host.port],
                user=user,
                password="wrong",
                timeout=10,
            )
        assert next_host.accepted == 0


async def test_server_shutting_down_moves_on(make_cluster: MakeCluster, cluster: Cluster) -> None:
    # A smart shutdown waits for the open session and answers new connections with 57P03
    # "the database system is shutting down" (CannotConnectNowError): try the next host.
    closing = make_cluster()
    holder = await pgconn.connect(**closing.connection_spec())
    try:
        assert closing.pid is not None
        os.kill(closing.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while "received smart shutdown request" not in closing.log_path.read_text(
            encoding="utf-8", errors="replace"
        ):
            assert time.monotonic() < deadline, "the server never logged its shutdown"
            await asyncio.sleep(0.01)
        with pytest.raises(CannotConnectNowError, match="shutting down"):
            await _connect_ports([closing.port])
        assert await _reached([closing.port, cluster.port]) == cluster.port
    finally:
        holder.terminate()


# -- target_session_attrs ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "chosen"),
    [
        ("primary", "primary"),
        ("read-write", "primary"),
        ("standby", "standby"),
        ("read-only", "standby"),
        ("prefer-standby", "standby"),
    ],
)
@pytest.mark.parametrize("order", ["primary first", "standby first"])
async def test_target_session_attrs(
    primary: Cluster, standby: Standby, target: str, chosen: str, order: str
) -> None:
    ports = [primary.port, standby.port] if order == "primary first" else [standby.port, primary.port]
    expected = primary.port if chosen == "primary" else standby.port
    assert await _reached(ports, target_session_attrs=target) == expected


@pytest.mark.parametrize("order", ["primary first", "standby first"])
async def test_any_takes_the_first(primary: Cluster, standby: Standby, order: str) -> None:
    ports = [primary.port, standby.port] if order == "primary first" else [standby.port, primary.port]
    assert await _reached(ports, target_session_attrs="any") == ports[0]
    assert await _reached(ports) == ports[0]


async def test_standby_reports_hot_standby(standby: Standby) -> None:
    connection = await pgconn.connect(standby.dsn())
    try:
        assert connection.get_settings().in_hot_standby == "on"
        assert await connection.fetchval("SELECT pg_is_in_recovery()") is True
    finally:
        await connection.close()


async def test_target_from_dsn_and_environment(
    primary: Cluster, standby: Standby, monkeypatch: pytest.MonkeyPatch
) -> None:
    dsn = f"postgresql://postgres@{LOCAL}:{primary.port},{LOCAL}:{standby.port}/postgres"
    connection = await pgconn.connect(f"{dsn}?target_session_attrs=standby")
    try:
        assert await server_port(connection) == standby.port
    finally:
        await connection.close()
    monkeypatch.setenv("PGTARGETSESSIONATTRS", "read-only")
    connection = await pgconn.connect(dsn)
    try:
        assert await server_port(connection) == standby.port
    finally:
        await connection.close()


@pytest.mark.parametrize("target", ["standby", "read-only"])
async def test_nothing_matches(primary: Cluster, cluster: Cluster, target: str) -> None:
    with pytest.raises(TargetServerAttributeNotMatched, match=f"target attribute requirement '{target}'"):
        await _connect_ports([primary.port, cluster.port], target_session_attrs=target)


@pytest.mark.parametrize("target", ["primary", "read-write"])
async def test_nothing_matches_on_standbys_only(standby: Standby, target: str) -> None:
    with pytest.raises(TargetServerAttributeNotMatched):
        await _connect_ports([standby.port, standby.port], target_session_attrs=target)


async def test_dead_hosts_and_no_match_reports_the_mismatch(primary: Cluster) -> None:
    with pytest.raises(TargetServerAttributeNotMatched):
        await _connect_ports([closed_port(), primary.port], target_session_attrs="standby")


async def test_prefer_standby_without_standby_takes_a_primary(primary: Cluster, cluster: Cluster) -> None:
    ports = [primary.port, cluster.port]
    assert await _reached(ports, target_session_attrs="prefer-standby") in ports


async def test_read_only_primary_by_default_transaction_read_only(primary: Cluster, standby: Standby) -> None:
    # default_transaction_read_only is reported in ParameterStatus (PostgreSQL 14+), so a
    # read-only session on a primary counts as read-only, and not as read-write.
    read_only = {"default_transaction_read_only": "on"}
    reached = await _reached([primary.port], target_session_attrs="read-only", server_settings=read_only)
    assert reached == primary.port
    reached = await _reached(
        [primary.port, standby.port], target_session_attrs="read-only", server_settings=read_only
    )
    assert reached == primary.port
    with pytest.raises(TargetServerAttributeNotMatched):
        await _connect_ports([primary.port], target_session_attrs="read-write", server_settings=read_only)


async def test_rejected_candidates_are_closed(primary: Cluster, standby: Standby) -> None:
    name = "pgconn-rejected-candidate"
    connection = await _connect_ports(
        [primary.port, standby.port],
        target_session_attrs="standby",
        server_settings={"application_name": name},
    )
    await connection.close()
    watcher = await pgconn.connect(primary.dsn())
    try:
        deadline = time.monotonic() + 5
        query = "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1"
        while await watcher.fetchval(query, name):
            assert time.monotonic() < deadline, "the rejected primary connection stayed open"
            await asyncio.sleep(0.02)
    finally:
        await watcher.close()
