"""Drivers side by side: pgconn, asyncpg and psycopg on MagicStack's pgbench queries, and COPY.

Each query runs on ``--concurrency`` connections per driver (default 10; the COPY OUTs on
one), one asyncio task per connection calling the query in a loop for ``--duration`` seconds
(default 2). That is one round; the drivers take turns round by round (pgconn, asyncpg,
psycopg, pgconn, ...) for ``--rounds`` rounds (default 3), so that a noisy neighbour hurts
every driver alike. The figure per round is queries per second (calls completed by all
connections together, divided by the time until the last one finished); the table shows the
median round per driver and query, its ratio to asyncpg, the geometric mean of those ratios
over the pgbench queries measured, and rows per second for the bulk queries (COPY and
``executemany``).

The queries and COPY OUTs are described in :mod:`bench.driver_queries`, the drivers' adapters
in :mod:`bench.driver_sessions`: pgconn and asyncpg are driven with the same calls of their
shared API (``fetch(sql, *args)``, ``executemany``, ``copy_records_to_table``,
``copy_from_query(output=sink)``, each with its statement cache); psycopg with an
``AsyncConnection`` in autocommit (as the other two are), ``prepare_threshold=0`` (prepared from
the first call, as the other two do), one ``cursor(binary=True)`` per connection (binary
results, as the others ask for; measured faster than text on every query), its pipelining
``executemany``, and binary ``cursor.copy`` with ``write_row`` and ``rows()``.

Guards, any of which raises :class:`BenchmarkError`: each connection's untimed first call is
checked value by value (a COPY OUT's whole text; an ``executemany`` or COPY's rows read back
from the table); every timed call records its (rows, columns) shape, which must be the checked
call's, and the same for every round and driver (a COPY OUT whose byte count differs from the
checked call's has the shape ``(-1, bytes)``); after an ``executemany`` or COPY round each
connection's table must hold exactly the rows sent by the calls counted. The server is
``PGASYNC_DSN`` when set, else a throwaway one from :mod:`pgasync.cluster`; the tables
``_bench_large_object`` and ``_bench_arrays`` are created (dropped first if they exist) and
dropped at the end.

``--loop uvloop`` runs everything on uvloop's event loop (default asyncio's); ``--impl
python|c`` runs the measurement in a subprocess with ``PGASYNC_IMPL`` set (pgasync's
pure-Python or compiled extension modules, where they exist), so that each build gets a
column of its own.

Usage: ``python bench/bench_drivers.py [--duration S] [--rounds N] [--concurrency N]
[--drivers pgconn,asyncpg,psycopg] [--queries 1-pg_type,...] [--copy-out-rows N] [--json PATH]
[--loop asyncio|uvloop] [--impl python|c]``
"""

from __future__ import annotations

import sys
from pathlib import Path

if not __package__:
    # Run as a script: the modules next to this one are imported as the ``bench`` package.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import asyncio
import gc
import json
import math
import os
import platform
import statistics
import subprocess
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import pgconn
from bench.driver_queries import (
    COPY_OUT_ROWS,
    PGBENCH_QUERIES,
    QUERIES,
    Kind,
    Query,
    batch_rows,
    copy_out_queries,
    copy_rows,
)
from bench.driver_sessions import (
    DRIVERS,
    BenchmarkError,
    Driver,
    Rows,
    Session,
    Shape,
    driver_version,
)
from pgasync.cluster import Cluster, installation_for_tests

__all__ = [
    "BASELINE",
    "DRIVERS",
    "PGBENCH_QUERIES",
    "QUERIES",
    "BenchmarkError",
    "Driver",
    "Query",
    "QueryResult",
    "RoundResult",
    "Session",
    "batch_rows",
    "copy_out_queries",
    "copy_rows",
    "driver_version",
    "format_table",
    "geometric_mean_ratio",
    "main",
    "measure_round",
    "run_all",
]

BASELINE = "asyncpg"

#: The bulk queries, whose rows per second the table shows.
_BULK: frozenset[Kind] = frozenset({"executemany", "copy_in", "copy_out", "copy_records"})


@dataclass
class QueryResult:
    """One query's figures: queries per second per driver, one entry per round."""

    name: str
    sql: str
    skip: str | None = None
    kind: Kind = "fetch"
    in_mean: bool = True
    note: str | None = None
    rows_per_call: int | None = None
    columns: int | None = None
    qps: dict[str, list[float]] = field(default_factory=dict)
    calls: dict[str, list[int]] = field(default_factory=dict)

    def median(self, driver: str) -> float | None:
        """The median round of ``driver``, or None if it did not run."""
        rounds = self.qps.get(driver)
        return statistics.median(rounds) if rounds else None

    def rows_per_second(self, driver: str) -> float | None:
        """The median round's queries per second times the rows of a call, or None."""
        median = self.median(driver)
        return median * self.rows_per_call if median is not None and self.rows_per_call is not None else None

    def ratio(self, driver: str) -> float | None:
        """``driver``'s median over asyncpg's, or None if either did not run."""
        ours, theirs = self.median(driver), self.median(BASELINE)
        return ours / theirs if ours is not None and theirs else None

    def as_dict(self) -> dict[str, Any]:
        """The figures as JSON-ready data, medians and ratios included."""
        return {
            **asdict(self),
            "median_qps": {driver: self.median(driver) for driver in self.qps},
            "median_rows_per_second": {driver: self.rows_per_second(driver) for driver in self.qps},
            "ratio_to_asyncpg": {d: self.ratio(d) for d in self.qps},
        }


def geometric_mean_ratio(results: Sequence[QueryResult], driver: str) -> float | None:
    """The geometric mean of ``driver``'s ratios to asyncpg over the pgbench queries both ran."""
    ratios = [ratio for r in results if r.in_mean and (ratio := r.ratio(driver)) is not None]
    return math.exp(sum(math.log(ratio) for ratio in ratios) / len(ratios)) if ratios else None


@dataclass
class RoundResult:
    """One round of one driver on one query."""

    calls: int
    seconds: float
    shape: Shape


Call = Callable[[], Awaitable[Shape]]


def _shape(rows: Rows) -> Shape:
    return len(rows), len(rows[0]) if rows else 0


class _ByteCounter:
    """The COPY OUT sink of the timed calls: it only counts bytes."""

    def __init__(self) -> None:
        self.count = 0

    async def write(self, chunk: bytes | bytearray | memoryview) -> None:
        self.count += len(chunk)


async def _send(session: Session, query: Query, records: Rows) -> None:
    """One ``executemany`` or COPY FROM of ``records``."""
    if query.kind == "executemany":
        await session.executemany(query.sql, records)
    else:
        assert query.table is not None
        await session.copy_records_to_table(query.table, records, query.columns, query.types)


async def _warm_up(session: Session, query: Query, records: Rows, driver: str) -> tuple[Call, Shape]:
    """One untimed, checked call (it also prepares the statement).

    Returns:
        The timed call, and the shape that each of its calls must return.
    """

    def wrong(problem: str) -> BenchmarkError:
        return BenchmarkError(f"{query.name}: {driver} returned wrong values: {problem}")

    if query.table is not None:  # executemany, copy_in
        await _send(session, query, records)
        stored = await session.fetch(f"SELECT * FROM {query.table} ORDER BY a", ())
        if [tuple(row) for row in stored] != [tuple(row) for row in records]:
            raise wrong(f"the table holds other rows than the {len(records)} sent")
        await session.execute(f"TRUNCATE {query.table}")
        shape = _shape(records)

        async def send() -> Shape:
            await _send(session, query, records)
            return shape

        return send, shape
    if query.kind == "copy_out":
        collected = bytearray()

        async def collect(chunk: bytes | bytearray | memoryview) -> None:
            collected.extend(chunk)

        await session.copy_from_query(query.sql, collect)
        lines = collected.decode().split("\n")
        if lines.pop() != "":
            raise wrong("the COPY output does not end with a newline")
        rows = [tuple(line.split("\t")) for line in lines]
        problem = query.check(rows) if query.check is not None else None
        if problem is not None:
            raise wrong(problem)
        shape, size = _shape(rows), len(collected)
        del collected, lines, rows

        async def copy_out() -> Shape:
            counter = _ByteCounter()
            await session.copy_from_query(query.sql, counter.write)
            return shape if counter.count == size else (-1, counter.count)

        return copy_out, shape

    async def fetch() -> Rows:
        if query.kind == "copy_records":
            return await session.copy_records_from_query(query.sql, query.types)
        return await session.fetch(query.sql, query.args)

    fetched = await fetch()
    problem = query.check(fetched) if query.check is not None else None
    if problem is not None:
        raise wrong(problem)

    async def timed() -> Shape:
        return _shape(await fetch())

    return timed, _shape(fetched)


async def _loop(call: Call, deadline: float, shapes: set[Shape]) -> int:
    calls = 0
    while time.perf_counter() < deadline:
        shapes.add(await call())
        calls += 1
    return calls


async def measure_round(
    driver: Driver, dsn: str, query: Query, duration: float, concurrency: int
) -> RoundResult:
    """One round: ``concurrency`` connections of ``driver`` (or the query's own number) call
    ``query`` for ``duration`` s.

    Returns:
        The calls completed, the seconds from the start until the last call ended, and the
        (rows, columns) shape that every call returned.

    Raises:
        BenchmarkError: a warm-up call returned wrong values, a timed call a shape other than
            the warm-up's, or a connection's table does not hold the rows of its calls.
    """
    records: Rows = query.records() if query.records is not None else ()
    sessions: list[Session] = []
    try:
        for _ in range(query.connections or concurrency):
            sessions.append(await driver.connect(dsn))
        calls_of: list[Call] = []
        checked: set[Shape] = set()
        for session in sessions:
            for statement in query.session_setup:
                await session.execute(statement)
            call, shape = await _warm_up(session, query, records, driver.name)
            calls_of.append(call)
            checked.add(shape)
        shapes: set[Shape] = set()
        gc.collect()
        started = time.perf_counter()
        # A task group: if one connection fails, the others are cancelled before the close.
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(_loop(call, started + duration, shapes)) for call in calls_of]
        counts = [task.result() for task in tasks]
        seconds = time.perf_counter() - started
        if len(shapes | checked) != 1:
            raise BenchmarkError(
                f"{query.name}: {driver.name} calls returned different shapes {sorted(shapes)}, "
                f"the checked calls {sorted(checked)}"
            )
        if query.table is not None:
            for session, count in zip(sessions, counts, strict=True):
                stored = (await session.fetch(f"SELECT count(*) FROM {query.table}", ()))[0][0]
                if stored != count * len(records):
                    raise BenchmarkError(
                        f"{query.name}: {driver.name} inserted {stored} rows in {count} calls "
                        f"of {len(records)}"
                    )
        return RoundResult(sum(counts), seconds, shapes.pop())
    finally:
        for session in sessions:
            await session.close()


async def _run_statements(dsn: str, statements: Sequence[str]) -> None:
    if not statements:
        return
    connection = await pgconn.connect(dsn)
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


async def run_all(
    dsn: str,
    *,
    drivers: Sequence[Driver] = DRIVERS,
    queries: Sequence[Query] = QUERIES,
    duration: float = 2.0,
    rounds: int = 3,
    concurrency: int = 10,
) -> list[QueryResult]:
    """Measure every query on every driver, the drivers taking turns round by round.

    Raises:
        BenchmarkError: a driver returned wrong values, or a shape different from another
            call's, round's or driver's (see :func:`measure_round`).
    """
    results: list[QueryResult] = []
    for query in queries:
        result = QueryResult(query.name, query.sql, query.skip, query.kind, query.in_mean, query.note)
        results.append(result)
        if query.skip is not None:
            continue
        await _run_statements(dsn, query.setup)
        try:
            for _ in range(rounds):
                for driver in drivers:
                    measured = await measure_round(driver, dsn, query, duration, concurrency)
                    rows, columns = measured.shape
                    if result.rows_per_call is None:
                        result.rows_per_call, result.columns = rows, columns
                    elif (rows, columns) != (result.rows_per_call, result.columns):
                        raise BenchmarkError(
                            f"{query.name}: {driver.name} returned {rows} rows of {columns} columns per "
                            f"call, another run {result.rows_per_call} of {result.columns}"
                        )
                    result.qps.setdefault(driver.name, []).append(measured.calls / measured.seconds)
                    result.calls.setdefault(driver.name, []).append(measured.calls)
        finally:
            await _run_statements(dsn, query.teardown)
    return results


def _figure(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def _rate(value: float | None) -> str:
    """A per-second figure: whole numbers, two decimals below 10 (a COPY OUT's calls)."""
    return _figure(value, ".2f" if value is not None and value < 10 else ",.0f")


def format_table(results: Sequence[QueryResult], drivers: Sequence[str]) -> str:
    """The results as a text table: median qps per driver and the ratios to asyncpg.

    The pgbench queries come first, then their geometric mean, then the other queries; then
    rows per second of the bulk queries (COPY and ``executemany``), and the queries' notes.
    """
    others = [driver for driver in drivers if driver != BASELINE]

    def row(name: str, figures: Sequence[str], ratios: Sequence[str]) -> str:
        return f"{name:<18}" + "".join(f"{f:>14}" for f in figures) + "".join(f"{r:>18}" for r in ratios)

    lines = [row("query", [d + " qps" for d in drivers], [d + "/" + BASELINE for d in others])]
    means = [_figure(geometric_mean_ratio(results, d), ".2f") for d in others]
    mean = row("geometric mean", [""] * len(drivers), means)
    ordered = [r for r in results if r.in_mean] + [None] + [r for r in results if not r.in_mean]
    for result in ordered:
        if result is None:
            lines.append(mean)
        elif result.skip is not None:
            lines.append(f"{result.name:<18}  {result.skip}")
        else:
            figures = [_rate(result.median(d)) for d in drivers]
            lines.append(row(result.name, figures, [_figure(result.ratio(d), ".2f") for d in others]))
    bulk = [r for r in results if r.kind in _BULK and r.skip is None and r.rows_per_call is not None]
    if bulk:
        lines += ["", row("rows/s", drivers, [])]
        lines += [row(r.name, [_rate(r.rows_per_second(d)) for d in drivers], []) for r in bulk]
    notes = [f"{r.name}: {r.note}" for r in results if r.note is not None]
    if notes:
        lines += ["", *notes]
    return "\n".join(lines)


def _names(text: str, known: Sequence[str], what: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in known]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown {what} {unknown}; choose from {', '.join(known)}")
    return names


def _positive(kind: Callable[[str], Any]) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be positive, got {text}")
        return value

    return parse


async def _server_version(dsn: str) -> str:
    connection = await pgconn.connect(dsn)
    try:
        return str(await connection.fetchval("SHOW server_version"))
    finally:
        await connection.close()


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments, find or start a server, measure, print the table (and write JSON).

    Returns:
        The exit status, 0.

    Raises:
        BenchmarkError: a driver returned wrong results (see :func:`run_all`).
    """
    driver_names = [driver.name for driver in DRIVERS]
    query_names = [query.name for query in QUERIES]
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--duration", type=_positive(float), default=2.0, help="seconds per round")
    parser.add_argument("--rounds", type=_positive(int), default=3)
    parser.add_argument("--concurrency", type=_positive(int), default=10, help="connections per driver")
    parser.add_argument(
        "--drivers", type=lambda text: _names(text, driver_names, "driver"), default=driver_names
    )
    parser.add_argument(
        "--queries", type=lambda text: _names(text, query_names, "query"), default=query_names
    )
    parser.add_argument(
        "--copy-out-rows", type=_positive(int), default=COPY_OUT_ROWS, help="rows of each COPY OUT call"
    )
    parser.add_argument("--json", type=Path, help="also write every round's figures here")
    parser.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio", help="the event loop")
    parser.add_argument("--impl", choices=("python", "c"), help="run with PGASYNC_IMPL set, in a subprocess")
    args = parser.parse_args(argv)
    if args.impl is not None and os.environ.get("PGASYNC_IMPL") != args.impl:
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            *(argv if argv is not None else sys.argv[1:]),
        ]
        completed = subprocess.run(command, env={**os.environ, "PGASYNC_IMPL": args.impl}, check=False)
        return completed.returncode
    drivers = [driver for driver in DRIVERS if driver.name in args.drivers]
    missing = [driver.name for driver in drivers if not driver.is_installed()]
    if missing:
        print(f"not installed, left out: {', '.join(missing)} (run with `hatch run bench:python ...`)")
        drivers = [driver for driver in drivers if driver.name not in missing]
    every = (*PGBENCH_QUERIES, *copy_out_queries(args.copy_out_rows))
    queries = [query for query in every if query.name in args.queries]
    options = {"duration": args.duration, "rounds": args.rounds, "concurrency": args.concurrency}

    async def measure(dsn: str) -> tuple[str, list[QueryResult]]:
        return await _server_version(dsn), await run_all(dsn, drivers=drivers, queries=queries, **options)

    def run(dsn: str) -> tuple[str, list[QueryResult]]:
        if args.loop == "uvloop":
            import uvloop

            return uvloop.run(measure(dsn))
        return asyncio.run(measure(dsn))

    dsn = os.environ.get("PGASYNC_DSN")
    if dsn:
        version, results = run(dsn)
    else:
        with Cluster(installation_for_tests()) as cluster:
            cluster.start()
            version, results = run(cluster.dsn())
    names = [driver.name for driver in drivers]
    versions = {driver.name: driver_version(driver) for driver in drivers}
    print(
        f"PostgreSQL {version}, Python {platform.python_version()}, {os.cpu_count()} CPUs; "
        + ", ".join(f"{name} {number}" for name, number in versions.items())
        + "; "
        f"{args.concurrency} connections per driver, {args.rounds} rounds of {args.duration} s, "
        f"{args.loop} loop" + (f", PGASYNC_IMPL={args.impl}" if args.impl else "") + ", median queries/s"
    )
    print(format_table(results, names))
    if args.json:
        report = {
            "python": platform.python_version(),
            "postgres": version,
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            **options,
            "loop": args.loop,
            "impl": args.impl,
            "copy_out_rows": args.copy_out_rows,
            "drivers": versions,
            "results": [result.as_dict() for result in results],
            "geometric_mean_ratio": {name: geometric_mean_ratio(results, name) for name in names},
        }
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
