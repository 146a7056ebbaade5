"""``pgconn.connect()`` with several hosts: fallback on unreachable ones, ``target_session_attrs``,
``load_balance_hosts``.

A module ``primary`` cluster with a streaming-replication hot ``standby``
(:class:`pgasync.cluster._standby.Standby`), made once for the module; the session ``cluster``
stands in for any other live server. The load-balancing tests spread connections over these
three servers; most replace ``pgconn._failover.host_order_random`` with a seeded generator (a
run can be replayed) or with a fixed order (the failover order is the shuffled one).
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import time
from collections import Counter
from collections.abc import Iterator, MutableSequence
from pathlib import Path
from typing import Any

import pytest

import pgconn
import pgpool
from pgasync.cluster import DEFAULT_HBA_RULES, Cluster, PostgresInstallation
from pgasync.cluster._standby import Standby, replication_rules
from pgconn import _failover
from pgconn._parameters import parse_connect_arguments
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


async def _reached_by_dsn(dsn: str, **options: Any) -> int:
    """Connect with ``dsn``; the port of the server that was chosen."""
    connection = await pgconn.connect(dsn, **options)
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
    assert await _reached_by_dsn(f"{dsn}?target_session_attrs=standby") == standby.port
    monkeypatch.setenv("PGTARGETSESSIONATTRS", "read-only")
    assert await _reached_by_dsn(dsn) == standby.port


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


# -- load_balance_hosts --------------------------------------------------------------------------


class _FixedOrder(random.Random):
    """A stand-in for ``host_order_random`` whose shuffle puts the addresses in a chosen port order."""

    def __init__(self, *ports: int) -> None:
        super().__init__(0)
        self.ports = list(ports)
        self.shuffled: list[list[int]] = []

    def shuffle(self, x: MutableSequence[Any]) -> None:
        self.shuffled.append([address.port for address in x])
        x[:] = sorted(x, key=lambda address: self.ports.index(address.port))


@pytest.fixture
def seeded(monkeypatch: pytest.MonkeyPatch) -> random.Random:
    """A seeded generator in place of the SystemRandom, so that a run can be replayed."""
    generator = random.Random(20240916)
    monkeypatch.setattr(_failover, "host_order_random", generator)
    return generator


async def _reached_counts(ports: list[int], times: int, **options: Any) -> Counter[int]:
    return Counter([await _reached(ports, **options) for _ in range(times)])


def test_random_shuffles_a_copy_for_each_call(seeded: random.Random) -> None:
    params = parse_connect_arguments(
        host=["a", "b", "c", "d"], user="u", load_balance_hosts="random", environ={}, home=Path("/x")
    )
    orders = {tuple(address.host for address in _failover.addresses_to_try(params)) for _ in range(50)}
    assert len(orders) > 10  # of the 24 orders
    assert all(sorted(order) == ["a", "b", "c", "d"] for order in orders)
    assert [address.host for address in params.addresses] == ["a", "b", "c", "d"]
    disabled = parse_connect_arguments(host=["a", "b", "c", "d"], user="u", environ={}, home=Path("/x"))
    assert [address.host for address in _failover.addresses_to_try(disabled)] == ["a", "b", "c", "d"]


def test_the_default_generator_is_system_random() -> None:
    # No state to share with a forked child, nothing to seed (see host_order_random).
    assert isinstance(_failover.host_order_random, random.SystemRandom)


@pytest.mark.parametrize("options", [{}, {"load_balance_hosts": "disable"}])
async def test_disable_always_takes_the_first_host(
    primary: Cluster, standby: Standby, cluster: Cluster, options: dict[str, str]
) -> None:
    ports = [cluster.port, primary.port, standby.port]
    assert await _reached_counts(ports, 20, **options) == Counter({cluster.port: 20})


async def test_random_reaches_every_host_and_never_a_dead_one(
    primary: Cluster, standby: Standby, cluster: Cluster, seeded: random.Random
) -> None:
    live = [cluster.port, primary.port, standby.port]
    dead = closed_port()
    counts = await _reached_counts([dead, *live], 60, load_balance_hosts="random")
    assert set(counts) == set(live)  # every live server, and the dead port never
    assert min(counts.values()) >= 10  # about 20 each


async def test_random_without_seeding(primary: Cluster, cluster: Cluster) -> None:
    # The SystemRandom itself: missing one of two hosts in 40 connects has odds of 2 in 2**40.
    counts = await _reached_counts([primary.port, cluster.port], 40, load_balance_hosts="random")
    assert set(counts) == {primary.port, cluster.port}


async def test_random_order_is_the_failover_order(
    primary: Cluster, cluster: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    dead = closed_port()
    order = _FixedOrder(dead, cluster.port, primary.port)
    monkeypatch.setattr(_failover, "host_order_random", order)
    assert await _reached([primary.port, cluster.port, dead], load_balance_hosts="random") == cluster.port
    assert order.shuffled == [[primary.port, cluster.port, dead]]
    order.ports = [primary.port, dead, cluster.port]
    assert await _reached([primary.port, cluster.port, dead], load_balance_hosts="random") == primary.port
    assert len(order.shuffled) == 2  # a new shuffle for each connect()


async def test_random_with_every_host_dead_raises_an_oserror(seeded: random.Random) -> None:
    with pytest.raises(OSError):
        await _connect_ports([closed_port(), closed_port()], load_balance_hosts="random")


async def test_random_from_dsn_and_environment(
    primary: Cluster, cluster: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_failover, "host_order_random", _FixedOrder(cluster.port, primary.port))
    dsn = f"postgresql://postgres@{LOCAL}:{primary.port},{LOCAL}:{cluster.port}/postgres"
    assert await _reached_by_dsn(f"{dsn}?load_balance_hosts=random") == cluster.port
    monkeypatch.setenv("PGLOADBALANCEHOSTS", "random")
    assert await _reached_by_dsn(dsn) == cluster.port
    # The argument wins over the environment.
    assert await _reached_by_dsn(dsn, load_balance_hosts="disable") == primary.port


@pytest.mark.parametrize("target", ["primary", "read-write"])
async def test_random_over_the_primaries_only(
    primary: Cluster, standby: Standby, cluster: Cluster, seeded: random.Random, target: str
) -> None:
    ports = [standby.port, primary.port, cluster.port]
    counts = await _reached_counts(ports, 30, load_balance_hosts="random", target_session_attrs=target)
    assert set(counts) == {primary.port, cluster.port}


@pytest.mark.parametrize("target", ["standby", "read-only", "prefer-standby"])
async def test_random_finds_the_standby_wherever_it_is(
    primary: Cluster, standby: Standby, cluster: Cluster, seeded: random.Random, target: str
) -> None:
    ports = [primary.port, closed_port(), standby.port, cluster.port]
    counts = await _reached_counts(ports, 15, load_balance_hosts="random", target_session_attrs=target)
    assert counts == Counter({standby.port: 15})


async def test_random_prefer_standby_without_standby_spreads_over_the_others(
    primary: Cluster, cluster: Cluster, seeded: random.Random
) -> None:
    ports = [primary.port, closed_port(), cluster.port]
    counts = await _reached_counts(
        ports, 30, load_balance_hosts="random", target_session_attrs="prefer-standby"
    )
    assert set(counts) == {primary.port, cluster.port}


async def test_random_prefer_standby_takes_the_first_answer_of_the_random_order(
    primary: Cluster, cluster: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    # libpq: no standby, so every host again in "any" mode; the first that answers wins.
    dead = closed_port()
    for first, second in ((primary.port, cluster.port), (cluster.port, primary.port)):
        monkeypatch.setattr(_failover, "host_order_random", _FixedOrder(dead, first, second))
        reached = await _reached(
            [primary.port, cluster.port, dead],
            load_balance_hosts="random",
            target_session_attrs="prefer-standby",
        )
        assert reached == first


async def test_a_pool_of_read_replicas(primary: Cluster, standby: Standby) -> None:
    # A pool over both servers that wants standbys: every connection it opens (the floor, and
    # the ones opened for waiters) lands on the standby, whatever the order of the hosts.
    async with pgpool.create_pool(
        host=[LOCAL, LOCAL],
        port=[primary.port, standby.port],
        user="postgres",
        target_session_attrs="standby",
        load_balance_hosts="random",
        min_size=2,
        max_size=4,
    ) as replicas:
        held = [await replicas.acquire() for _ in range(4)]
        try:
            assert {await server_port(connection) for connection in held} == {standby.port}
            assert all([await c.fetchval("SELECT pg_is_in_recovery()") for c in held])
        finally:
            for connection in held:
                await replicas.release(connection)
