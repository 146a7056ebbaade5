"""Pools side by side: pgpool, asyncpg's pool and psycopg_pool's ``AsyncConnectionPool``.

Each pool holds ``--size`` connections (default 10, ``min_size = max_size``). A round opens a
fresh pool, warms it up (all its connections acquired at once, each asked for its backend pid
and ``SELECT 1``, which prepares the statement), then runs N tasks that loop for
``--duration`` s (default 2). The pools take turns round by round (pgpool, asyncpg, psycopg,
pgpool, ...) for ``--rounds`` rounds (default 5), so that noise hits one round of one pool.
The workloads (:data:`WORKLOADS`):

- ``select1``: ``async with pool.acquire() as conn`` (psycopg: ``pool.connection()``), one
  ``SELECT 1``, release; at 10, 100 and 1,000 tasks. Latency: from asking for a connection
  to getting it.
- ``fetchval``: ``pool.fetchval("SELECT 1")`` (psycopg has none: its nearest is the
  ``select1`` body in one coroutine); latency: the whole call.
- ``select1-noreset``: ``select1`` at 100 tasks, pgpool's and asyncpg's ``reset=`` a no-op
  coroutine: one round trip per acquire in all three (by default the other two send a reset
  query at release; psycopg_pool sends nothing for a connection idle in autocommit).
- ``release``: acquire and release, no query, the default reset.
- ``no-io``: acquire and release, ``reset=`` a no-op for pgpool and asyncpg: nothing reaches
  the server (the round checks it); what is left is the pool's own work.

:func:`core_overhead` times pgpool's :class:`~pgpool._core.PoolCore` alone (``request`` and
``released`` on fake slots: no asyncio, no connection); :func:`harness_overhead` the
benchmark's loop around a context manager that does nothing.

Guards, any of which raises :class:`BenchmarkError`: the warm-up must see ``--size``
distinct backends and ``SELECT 1`` answer 1 on each; every timed query must return 1; a round
records one latency per call; the pool still holds ``--size`` connections at the end;
pgpool's ``get_stats().requests`` and psycopg's ``requests_num`` grew by exactly the calls
counted; after a ``no-io`` round no pooled backend's ``pg_stat_activity.state_change`` is
later than the round's start (no statement reached the server). No speed is asserted.

Usage: ``python bench/bench_pool.py [--duration S] [--rounds N] [--size N] [--pools
pgpool,asyncpg,psycopg] [--workloads select1,...] [--core-iterations N] [--quick] [--json PATH]``
"""

from __future__ import annotations

import sys
from pathlib import Path

if not __package__:
    # Run as a script: the modules next to this one are imported as the ``bench`` package.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import asyncio
import contextlib
import functools
import gc
import importlib
import importlib.util
import json
import math
import os
import platform
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any

import pgconn
from bench.bench_drivers import _names, _positive
from bench.driver_sessions import BenchmarkError
from pgasync.cluster import Cluster, installation_for_tests
from pgpool._core import Limits, PoolCore

__all__ = [
    "BASELINE",
    "CONTENDERS",
    "WORKLOADS",
    "BenchmarkError",
    "Contender",
    "PoolHandle",
    "RoundResult",
    "ScenarioResult",
    "Workload",
    "core_overhead",
    "format_table",
    "harness_overhead",
    "main",
    "measure_round",
    "percentile",
    "run_all",
]

BASELINE = "asyncpg"
SQL = "SELECT 1"
PID_SQL = "SELECT pg_backend_pid()"
_PERCENTILES = (("p50", 0.5), ("p99", 0.99), ("max", 1.0))


@dataclass(frozen=True)
class Workload:
    """What each task does in a loop, and at which concurrencies."""

    name: str
    concurrencies: tuple[int, ...]
    #: Runs ``SELECT 1`` on each acquired connection.
    query: bool
    #: One pool-level call (``pool.fetchval``) instead of acquire / query / release.
    direct: bool = False
    #: pgpool's and asyncpg's ``reset=`` is a no-op coroutine (no reset query at release).
    no_reset: bool = False
    #: Nothing may reach the server during the timed loop: the round checks it.
    no_io: bool = False


WORKLOADS: tuple[Workload, ...] = (
    Workload("select1", (10, 100, 1000), query=True),
    Workload("fetchval", (10, 100, 1000), query=True, direct=True),
    Workload("select1-noreset", (100,), query=True, no_reset=True),
    Workload("release", (10,), query=False),
    Workload("no-io", (1, 100), query=False, no_reset=True, no_io=True),
)


@dataclass
class PoolHandle:
    """One open pool of one library, as the benchmark drives it."""

    #: ``acquire()`` (psycopg: ``connection()``): an async context manager giving a connection.
    acquire: Callable[[], AbstractAsyncContextManager[Any]]
    #: The first value of the first row of a query, on an acquired connection.
    value: Callable[[Any, str], Awaitable[Any]]
    #: ``pool.fetchval(SQL)`` or its nearest equivalent.
    call: Callable[[], Awaitable[Any]]
    #: Connections the pool holds now.
    size: Callable[[], int]
    close: Callable[[], Awaitable[None]]
    #: Acquires the pool counted since it opened, where it counts them.
    requests: Callable[[], int] | None = None


async def _no_reset(connection: Any) -> None:
    """The ``reset=`` of the ``no-io`` workload: sends nothing."""


def _asyncpg_api(module: str) -> Callable[[str, int, bool], Awaitable[PoolHandle]]:
    """How to open a pool of ``module`` (pgpool or asyncpg: the same API)."""

    async def open_pool(dsn: str, size: int, no_reset: bool) -> PoolHandle:
        options: dict[str, Any] = {"reset": _no_reset} if no_reset else {}
        pool = await importlib.import_module(module).create_pool(dsn, min_size=size, max_size=size, **options)
        return PoolHandle(
            acquire=pool.acquire,
            value=lambda connection, sql: connection.fetchval(sql),
            call=functools.partial(pool.fetchval, SQL),
            size=pool.get_size,
            close=pool.close,
            # asyncpg's pool counts nothing.
            requests=(lambda: pool.get_stats().requests) if module == "pgpool" else None,
        )

    return open_pool


async def _psycopg_value(connection: Any, sql: str) -> Any:
    cursor = await connection.execute(sql)
    row = await cursor.fetchone()
    return row[0]


async def _open_psycopg(dsn: str, size: int, no_reset: bool) -> PoolHandle:
    # Imported by name: psycopg_pool is installed in the bench environment only.
    psycopg_pool = importlib.import_module("psycopg_pool")
    # Autocommit, as the other two run (a connection idle in autocommit is returned as it
    # is); prepared from the first call, as the other two do. psycopg_pool has no reset
    # query, so ``no_reset`` changes nothing for it.
    pool = psycopg_pool.AsyncConnectionPool(
        dsn,
        min_size=size,
        max_size=size,
        open=False,
        kwargs={"autocommit": True, "prepare_threshold": 0},
    )
    await pool.open(wait=True)

    async def fetchval() -> Any:
        async with pool.connection() as connection:
            return await _psycopg_value(connection, SQL)

    return PoolHandle(
        acquire=pool.connection,
        value=_psycopg_value,
        call=fetchval,
        size=lambda: int(pool.get_stats()["pool_size"]),
        close=pool.close,
        requests=lambda: int(pool.get_stats().get("requests_num", 0)),
    )


@dataclass(frozen=True)
class Contender:
    """A pool under test: its name, the modules it needs, and how to open one."""

    name: str
    modules: tuple[str, ...]
    open: Callable[[str, int, bool], Awaitable[PoolHandle]]

    def is_installed(self) -> bool:
        """Whether every one of :attr:`modules` can be imported."""
        return all(importlib.util.find_spec(module) is not None for module in self.modules)

    def version(self) -> str:
        """The installed versions of its modules."""
        versions = [
            f"{module} {getattr(importlib.import_module(module), '__version__', '?')}"
            for module in self.modules
        ]
        return ", ".join(versions)


CONTENDERS: tuple[Contender, ...] = (
    Contender("pgpool", ("pgpool",), _asyncpg_api("pgpool")),
    Contender("asyncpg", ("asyncpg",), _asyncpg_api("asyncpg")),
    Contender("psycopg", ("psycopg_pool", "psycopg"), _open_psycopg),
)


# -- one round ----------------------------------------------------------------------------


@dataclass
class RoundResult:
    """One round of one pool: calls completed, the seconds they took, a latency per call."""

    calls: int
    seconds: float
    latencies: list[float]


async def _warm_up(handle: PoolHandle, size: int, name: str) -> list[int]:
    """Every connection at once: its backend pid, and ``SELECT 1`` (checked). The pids."""
    async with contextlib.AsyncExitStack() as stack:
        connections = [await stack.enter_async_context(handle.acquire()) for _ in range(size)]
        pids = [int(await handle.value(connection, PID_SQL)) for connection in connections]
        values = [await handle.value(connection, SQL) for connection in connections]
    if len(set(pids)) != size or values != [1] * size:
        raise BenchmarkError(f"{name}: the warm-up saw backends {pids} and values {values}")
    return pids


async def _acquire_loop(
    handle: PoolHandle, deadline: float, latencies: list[float], query: bool
) -> tuple[int, int]:
    perf = time.perf_counter
    acquire, value, record = handle.acquire, handle.value, latencies.append
    calls = wrong = 0
    while perf() < deadline:
        asked = perf()
        async with acquire() as connection:
            record(perf() - asked)
            if query and await value(connection, SQL) != 1:
                wrong += 1
        calls += 1
    return calls, wrong


async def _call_loop(handle: PoolHandle, deadline: float, latencies: list[float]) -> tuple[int, int]:
    perf = time.perf_counter
    call, record = handle.call, latencies.append
    calls = wrong = 0
    while perf() < deadline:
        asked = perf()
        result = await call()
        record(perf() - asked)
        if result != 1:
            wrong += 1
        calls += 1
    return calls, wrong


async def _on_server(dsn: str, sql: str, *args: Any) -> Any:
    """One value of ``sql``, on a connection of its own (not one of the pool's)."""
    connection = await pgconn.connect(dsn)
    try:
        return await connection.fetchval(sql, *args)
    finally:
        await connection.close()


async def measure_round(
    contender: Contender, dsn: str, workload: Workload, concurrency: int, duration: float, size: int = 10
) -> RoundResult:
    """One round: a fresh pool of ``size`` connections, ``concurrency`` tasks for ``duration`` s.

    Raises:
        BenchmarkError: a guard failed (see the module docstring).
    """
    name = f"{workload.name} x{concurrency}: {contender.name}"
    handle = await contender.open(dsn, size, workload.no_reset)
    try:
        pids = await _warm_up(handle, size, name)
        since = await _on_server(dsn, "SELECT clock_timestamp()") if workload.no_io else None
        requests = handle.requests() if handle.requests is not None else 0
        latencies: list[float] = []
        gc.collect()
        started = time.perf_counter()
        deadline = started + duration
        async with asyncio.TaskGroup() as group:
            tasks = [
                group.create_task(
                    _call_loop(handle, deadline, latencies)
                    if workload.direct
                    else _acquire_loop(handle, deadline, latencies, workload.query)
                )
                for _ in range(concurrency)
            ]
        seconds = time.perf_counter() - started
        calls = sum(task.result()[0] for task in tasks)
        wrong = sum(task.result()[1] for task in tasks)
        if wrong:
            raise BenchmarkError(f"{name}: {wrong} of {calls} calls did not return 1")
        if len(latencies) != calls:
            raise BenchmarkError(f"{name}: {len(latencies)} latencies for {calls} calls")
        if handle.size() != size:
            raise BenchmarkError(f"{name}: the pool holds {handle.size()} connections, not {size}")
        if handle.requests is not None and handle.requests() - requests != calls:
            raise BenchmarkError(
                f"{name}: the pool counted {handle.requests() - requests} acquires for {calls} calls"
            )
        if since is not None:
            # A backend that ran a statement changed its state (active, then idle) since then.
            touched = await _on_server(
                dsn,
                "SELECT count(*) FROM pg_stat_activity WHERE pid = ANY($1::int4[]) AND state_change >= $2",
                pids,
                since,
            )
            if touched:
                raise BenchmarkError(f"{name}: {touched} backends ran a statement in a no-io round")
        return RoundResult(calls, seconds, latencies)
    finally:
        await handle.close()


# -- all rounds -----------------------------------------------------------------------------


def percentile(samples: Sequence[float], fraction: float) -> float | None:
    """The nearest-rank percentile of ``samples`` (None when empty)."""
    if not samples:
        return None
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


@dataclass
class ScenarioResult:
    """One workload at one concurrency: acquires per second per round, latencies of all rounds."""

    workload: str
    concurrency: int
    rates: dict[str, list[float]] = field(default_factory=dict)
    calls: dict[str, list[int]] = field(default_factory=dict)
    latencies: dict[str, list[float]] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"{self.workload} x{self.concurrency}"

    def median(self, pool: str) -> float | None:
        """The median round of ``pool``, or None if it did not run."""
        rounds = self.rates.get(pool)
        return statistics.median(rounds) if rounds else None

    def ratio(self, pool: str) -> float | None:
        """``pool``'s median over asyncpg's, or None if either did not run."""
        ours, theirs = self.median(pool), self.median(BASELINE)
        return ours / theirs if ours is not None and theirs else None

    def latency(self, pool: str, fraction: float) -> float | None:
        """A percentile of ``pool``'s latencies over all its rounds, in seconds."""
        return percentile(self.latencies.get(pool, []), fraction)

    def as_dict(self) -> dict[str, Any]:
        """The figures as JSON-ready data (latencies as percentiles, in seconds)."""
        pools = list(self.rates)
        return {
            "workload": self.workload,
            "concurrency": self.concurrency,
            "rates": self.rates,
            "calls": self.calls,
            "median_rate": {pool: self.median(pool) for pool in pools},
            "ratio_to_asyncpg": {pool: self.ratio(pool) for pool in pools},
            "latency": {pool: {key: self.latency(pool, f) for key, f in _PERCENTILES} for pool in pools},
        }


async def run_all(
    dsn: str,
    *,
    contenders: Sequence[Contender] = CONTENDERS,
    workloads: Sequence[Workload] = WORKLOADS,
    duration: float = 2.0,
    rounds: int = 5,
    size: int = 10,
) -> list[ScenarioResult]:
    """Every workload at each of its concurrencies, the pools taking turns round by round.

    Raises:
        BenchmarkError: a guard failed (see :func:`measure_round`).
    """
    results: list[ScenarioResult] = []
    for workload in workloads:
        for concurrency in workload.concurrencies:
            result = ScenarioResult(workload.name, concurrency)
            results.append(result)
            for _ in range(rounds):
                for contender in contenders:
                    measured = await measure_round(contender, dsn, workload, concurrency, duration, size)
                    name = contender.name
                    result.rates.setdefault(name, []).append(measured.calls / measured.seconds)
                    result.calls.setdefault(name, []).append(measured.calls)
                    result.latencies.setdefault(name, []).extend(measured.latencies)
    return results


# -- without the server ---------------------------------------------------------------------


def _core_path(iterations: int, handoff: bool) -> float:
    """Seconds for ``iterations`` of ``PoolCore.request`` + ``PoolCore.released`` over 10
    fake slots: an idle slot handed out and back idle, or (``handoff``) with every slot in
    use, the request queued and the release handing the slot to it."""
    core: PoolCore[int] = PoolCore(Limits(10, 10))
    core.idle.extend(core.new_slot(None, 0.0) for _ in range(10))
    request, released = core.request, core.released
    held: Any = [request(-1 - number) for number in range(10)] if handoff else []
    slot: Any = held[0] if handoff else None
    started = time.perf_counter()
    if handoff:
        for waiter in range(iterations):
            request(waiter)
            slot = released(slot, 0.0)[1]  # type: ignore[index]  # a waiter is queued
    else:
        for waiter in range(iterations):
            released(request(waiter), 0.0)  # type: ignore[arg-type]  # a Slot: one is idle
    seconds = time.perf_counter() - started
    core.check()
    slots = core.in_use if handoff else core.idle
    if core.waiters or len(slots) != 10 or sum(s.acquired for s in slots) != iterations + len(held):
        raise BenchmarkError(f"PoolCore: {iterations} acquires (handoff={handoff}) were not all served")
    return seconds


def core_overhead(iterations: int, repeat: int = 5) -> dict[str, float]:
    """pgpool's :class:`PoolCore` alone: nanoseconds per request + release, best of ``repeat``,
    on the ``idle`` path and the ``handoff`` path (see :func:`_core_path`)."""
    return {
        name: min(_core_path(iterations, handoff) for _ in range(repeat)) / iterations * 1e9
        for name, handoff in (("idle", False), ("handoff", True))
    }


class _NothingContext:
    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, *exc_info: object) -> None:
        return None


async def harness_overhead(duration: float) -> float:
    """Microseconds per iteration of the benchmark's acquire loop around a context manager
    that does nothing (the loop's clock reads, the latency list, ``async with`` itself)."""

    async def nothing(connection: Any, sql: str) -> Any:
        return 1

    async def closed() -> None:
        return None

    handle = PoolHandle(_NothingContext, nothing, closed, lambda: 0, closed)
    latencies: list[float] = []
    started = time.perf_counter()
    calls, _ = await _acquire_loop(handle, started + duration, latencies, query=False)
    return (time.perf_counter() - started) / calls * 1e6


# -- the table ----------------------------------------------------------------------------


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value * 1e3:.3f}"


def format_table(
    results: Sequence[ScenarioResult], pools: Sequence[str], overhead: dict[str, float] | None = None
) -> str:
    """Median acquires/s per pool and the ratios to asyncpg; then p99 / max latency in ms;
    then the per-acquire overhead figures (microseconds and nanoseconds)."""
    others = [pool for pool in pools if pool != BASELINE]

    def row(name: str, cells: Sequence[str], width: int = 14) -> str:
        return f"{name:<20}" + "".join(f"{cell:>{max(width, len(cell) + 2)}}" for cell in cells)

    header = [f"{pool} acq/s" for pool in pools] + [f"{pool}/{BASELINE}" for pool in others]
    lines = [row("workload", header)]
    for result in results:
        cells = [_rate(result.median(pool)) for pool in pools]
        lines.append(row(result.name, cells + [_ratio(result.ratio(pool)) for pool in others]))
    lines += ["", row("latency ms", [f"{pool} p99 / max" for pool in pools], 24)]
    for result in results:
        cells = [f"{_ms(result.latency(p, 0.99))} / {_ms(result.latency(p, 1.0))}" for p in pools]
        lines.append(row(result.name, cells, 24))
    no_io = [result for result in results if result.workload == "no-io"]
    if no_io:
        lines += ["", "per acquire + release, nothing sent to the server (wall time, 1 / median rate):"]
        for result in no_io:
            figures = [(pool, result.median(pool)) for pool in pools]
            lines.append(
                f"  {result.name}: "
                + ", ".join(f"{pool} {1e6 / rate:.2f} us" for pool, rate in figures if rate)
            )
    if overhead:
        lines += ["", "pgpool's core alone, and the benchmark's own loop:"]
        lines += [f"  {label}: {value:.3f}" for label, value in overhead.items()]
    return "\n".join(lines)


# -- command line -------------------------------------------------------------------------


async def _measure(
    dsn: str, contenders: Sequence[Contender], workloads: Sequence[Workload], options: dict[str, Any]
) -> tuple[str, list[ScenarioResult], float]:
    connection = await pgconn.connect(dsn)
    try:
        version = str(await connection.fetchval("SHOW server_version"))
    finally:
        await connection.close()
    results = await run_all(dsn, contenders=contenders, workloads=workloads, **options)
    return version, results, await harness_overhead(min(options["duration"], 1.0))


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments, find or start a server, measure, print the table (and write JSON).

    Returns:
        The exit status, 0.

    Raises:
        BenchmarkError: a guard failed (see :func:`measure_round`).
    """
    pool_names = [contender.name for contender in CONTENDERS]
    workload_names = [workload.name for workload in WORKLOADS]
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--duration", type=_positive(float), default=2.0, help="seconds per round")
    parser.add_argument("--rounds", type=_positive(int), default=5)
    parser.add_argument("--size", type=_positive(int), default=10, help="connections per pool")
    parser.add_argument("--pools", type=lambda text: _names(text, pool_names, "pool"), default=pool_names)
    parser.add_argument(
        "--workloads", type=lambda text: _names(text, workload_names, "workload"), default=workload_names
    )
    parser.add_argument("--core-iterations", type=_positive(int), default=1_000_000)
    parser.add_argument(
        "--quick", action="store_true", help="one round of 0.05 s, 2,000 core iterations (the test guard)"
    )
    parser.add_argument("--json", type=Path, help="also write every round's figures here")
    args = parser.parse_args(argv)
    if args.quick:
        args.duration, args.rounds, args.core_iterations = 0.05, 1, 2000
    contenders = [contender for contender in CONTENDERS if contender.name in args.pools]
    missing = [contender.name for contender in contenders if not contender.is_installed()]
    if missing:
        print(f"not installed, left out: {', '.join(missing)} (run with `hatch run bench:python ...`)")
        contenders = [contender for contender in contenders if contender.name not in missing]
    workloads = [workload for workload in WORKLOADS if workload.name in args.workloads]
    options = {"duration": args.duration, "rounds": args.rounds, "size": args.size}
    core = core_overhead(args.core_iterations, repeat=1 if args.quick else 5)
    dsn = os.environ.get("PGASYNC_DSN")
    if dsn:
        version, results, harness = asyncio.run(_measure(dsn, contenders, workloads, options))
    else:
        with Cluster(installation_for_tests()) as cluster:
            cluster.start()
            version, results, harness = asyncio.run(_measure(cluster.dsn(), contenders, workloads, options))
    names = [contender.name for contender in contenders]
    versions = {contender.name: contender.version() for contender in contenders}
    overhead = {
        "PoolCore request + released, idle slot (ns)": core["idle"],
        "PoolCore request + released, handed to a waiter (ns)": core["handoff"],
        "the benchmark loop alone, per iteration (us)": harness,
    }
    print(
        f"PostgreSQL {version}, Python {platform.python_version()}, {os.cpu_count()} CPUs; "
        + ", ".join(versions.values())
        + f"; pools of {args.size}, {args.rounds} rounds of {args.duration} s, median acquires/s"
    )
    print(format_table(results, names, overhead))
    if args.json:
        report = {
            "python": platform.python_version(),
            "postgres": version,
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            **options,
            "pools": versions,
            "results": [result.as_dict() for result in results],
            "core_ns": core,
            "core_iterations": args.core_iterations,
            "harness_us": harness,
        }
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
