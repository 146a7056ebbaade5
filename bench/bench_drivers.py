"""Drivers side by side: pgconn, asyncpg and psycopg on the seven queries of MagicStack's pgbench.

Each query runs on ``--concurrency`` connections per driver (default 10), one asyncio task per
connection calling the query in a loop for ``--duration`` seconds (default 2). That is one
round; the drivers take turns round by round (pgconn, asyncpg, psycopg, pgconn, ...) for
``--rounds`` rounds (default 3), so that a noisy neighbour hurts every driver alike. The figure
per round is queries per second (calls completed by all connections together, divided by the
time until the last one finished); the table shows the median round per driver and query, its
ratio to asyncpg, and the geometric mean of those ratios over the queries measured.

The queries:

- ``1-pg_type``: twelve columns of ``pg_type`` where ``typtypmod = $1 AND typisdefined = $2``,
  with the arguments ``(-1, True)``;
- ``2-generate_series``: ``SELECT i FROM generate_series(1, 1000) AS i``;
- ``3-large_object``: 100 rows of one random 1,000-byte ``bytea`` from a table;
- ``4-arrays``: 100 rows of one 100-element ``int4[]`` from a table;
- ``5-copyfrom``: 10,000 rows copied into a table; listed but not run, since pgconn has no
  COPY yet (issue 5);
- ``6-batch``: ``executemany`` of a 1,000-row INSERT into a temporary table of each connection;
- ``7-oneplusone``: ``SELECT 1+1``.

pgconn and asyncpg are driven with ``fetch(sql, *args)`` and ``executemany`` (both keep
prepared statements in their statement cache); psycopg with an ``AsyncConnection`` in
autocommit (as the other two are), ``prepare_threshold=0`` (prepared from the first call, as
the other two do) and one ``cursor(binary=True)`` per connection (binary results, as the others
ask for; measured faster than text on every query); its ``executemany`` pipelines too.

Guards, any of which raises :class:`BenchmarkError`: each connection's untimed first call is
checked value by value; every timed call records its (rows, columns) shape, which must be the
same for every call, round and driver; after a ``6-batch`` round each connection's table
must hold exactly 1,000 rows per call counted. The server is ``PGASYNC_DSN`` when set, else a
throwaway one from :mod:`pgasync.cluster`; the tables ``_bench_large_object`` and
``_bench_arrays`` are created (dropped first if they exist) and dropped at the end.

Usage: ``python bench/bench_drivers.py [--duration S] [--rounds N] [--concurrency N]
[--drivers pgconn,asyncpg,psycopg] [--queries 1-pg_type,...] [--json PATH]``
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import gc
import importlib
import importlib.util
import json
import math
import os
import platform
import re
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pgconn
from pgasync.cluster import Cluster, installation_for_tests

__all__ = [
    "BASELINE",
    "DRIVERS",
    "QUERIES",
    "BenchmarkError",
    "Driver",
    "Query",
    "QueryResult",
    "RoundResult",
    "Session",
    "batch_rows",
    "driver_version",
    "format_table",
    "geometric_mean_ratio",
    "main",
    "measure_round",
    "run_all",
]

BASELINE = "asyncpg"
BATCH_ROWS = 1000
_BATCH_TABLE = "_bench_batch"

Rows = Sequence[Sequence[Any]]
Shape = tuple[int, int]


class BenchmarkError(RuntimeError):
    """A driver returned something other than what the query must return."""


class Session(Protocol):
    """One connection of one driver, as the benchmark drives it."""

    async def fetch(self, sql: str, args: Sequence[Any]) -> Rows:
        """Run ``sql`` (``$n`` placeholders) with ``args``; every row."""

    async def executemany(self, sql: str, rows: Rows) -> None:
        """Run ``sql`` once per argument row, pipelined."""

    async def execute(self, sql: str) -> None:
        """Run one statement without arguments."""

    async def close(self) -> None:
        """Close the connection."""


class _AsyncpgApiSession:
    """pgconn and asyncpg share the asyncpg API, so one adapter serves both."""

    def __init__(self, connection: Any) -> None:
        self._connection = connection

    async def fetch(self, sql: str, args: Sequence[Any]) -> Rows:
        rows: Rows = await self._connection.fetch(sql, *args)
        return rows

    async def executemany(self, sql: str, rows: Rows) -> None:
        await self._connection.executemany(sql, rows)

    async def execute(self, sql: str) -> None:
        await self._connection.execute(sql)

    async def close(self) -> None:
        await self._connection.close()


@functools.cache
def _percent_placeholders(sql: str) -> str:
    """psycopg's ``%s`` for each ``$n`` (the queries use their parameters in order, once each)."""
    return re.sub(r"\$\d+", "%s", sql)


class _PsycopgSession:
    def __init__(self, connection: Any) -> None:
        self._connection = connection
        self._cursor = connection.cursor(binary=True)

    async def fetch(self, sql: str, args: Sequence[Any]) -> Rows:
        cursor = self._cursor
        await cursor.execute(_percent_placeholders(sql), args)
        rows: Rows = await cursor.fetchall()
        return rows

    async def executemany(self, sql: str, rows: Rows) -> None:
        await self._cursor.executemany(_percent_placeholders(sql), rows)

    async def execute(self, sql: str) -> None:
        await self._cursor.execute(sql)

    async def close(self) -> None:
        await self._connection.close()


async def _connect_pgconn(dsn: str) -> Session:
    return _AsyncpgApiSession(await pgconn.connect(dsn))


async def _connect_asyncpg(dsn: str) -> Session:
    import asyncpg

    return _AsyncpgApiSession(await asyncpg.connect(dsn))


async def _connect_psycopg(dsn: str) -> Session:
    import psycopg

    connection = await psycopg.AsyncConnection.connect(dsn, autocommit=True, prepare_threshold=0)
    return _PsycopgSession(connection)


@dataclass(frozen=True)
class Driver:
    """A driver under test: its name, the module it needs, and how to open a session."""

    name: str
    module: str
    connect: Callable[[str], Awaitable[Session]]

    def is_installed(self) -> bool:
        """Whether :attr:`module` can be imported."""
        return importlib.util.find_spec(self.module) is not None


DRIVERS: tuple[Driver, ...] = (
    Driver("pgconn", "pgconn", _connect_pgconn),
    Driver("asyncpg", "asyncpg", _connect_asyncpg),
    Driver("psycopg", "psycopg", _connect_psycopg),
)


def _checker(expected: Callable[[Rows], bool], what: str) -> Callable[[Rows], str | None]:
    def check(rows: Rows) -> str | None:
        return None if expected(rows) else f"expected {what}"

    return check


def _is_pg_type(rows: Rows) -> bool:
    return bool(rows) and all(len(row) == 12 and isinstance(row[0], str) and row[7] is True for row in rows)


@dataclass(frozen=True)
class Query:
    """One benchmark query.

    ``setup`` runs once before the rounds and ``teardown`` after them (on a pgconn
    connection); ``session_setup`` runs on every connection before its clock starts. A
    ``batch`` query is an ``executemany`` of :func:`batch_rows`. ``check`` looks at the rows
    of one untimed call and returns what was wrong, or None. A query with a ``skip`` reason
    is listed in the table but run by no driver.
    """

    name: str
    sql: str
    args: tuple[Any, ...] = ()
    setup: tuple[str, ...] = ()
    teardown: tuple[str, ...] = ()
    session_setup: tuple[str, ...] = ()
    batch: bool = False
    check: Callable[[Rows], str | None] | None = None
    skip: str | None = None


QUERIES: tuple[Query, ...] = (
    Query(
        "1-pg_type",
        "SELECT typname, typnamespace, typowner, typlen, typbyval, typcategory, typispreferred, "
        "typisdefined, typdelim, typrelid, typelem, typarray "
        "FROM pg_type WHERE typtypmod = $1 AND typisdefined = $2",
        (-1, True),
        check=_checker(_is_pg_type, "pg_type rows of 12 columns, typname a str, typisdefined True"),
    ),
    Query(
        "2-generate_series",
        "SELECT i FROM generate_series(1, 1000) AS i",
        check=_checker(lambda rows: [row[0] for row in rows] == list(range(1, 1001)), "the integers 1..1000"),
    ),
    Query(
        "3-large_object",
        "SELECT * FROM _bench_large_object",
        setup=(
            "DROP TABLE IF EXISTS _bench_large_object",
            "CREATE TABLE _bench_large_object (b bytea)",
            # The inner series refers to the outer row, so it runs again for every row and
            # each value gets random bytes of its own (an uncorrelated subquery runs once).
            "INSERT INTO _bench_large_object "
            "SELECT (SELECT decode(string_agg(lpad(to_hex(floor(random() * 256)::int), 2, '0'), ''), 'hex') "
            "FROM generate_series(1, 1000 + 0 * r.n)) FROM generate_series(1, 100) AS r(n)",
        ),
        teardown=("DROP TABLE _bench_large_object",),
        check=_checker(
            lambda rows: (
                len(rows) == 100 and all(isinstance(r[0], bytes) and len(r[0]) == 1000 for r in rows)
            ),
            "100 bytes values of 1000 bytes",
        ),
    ),
    Query(
        "4-arrays",
        "SELECT * FROM _bench_arrays",
        setup=(
            "DROP TABLE IF EXISTS _bench_arrays",
            "CREATE TABLE _bench_arrays (a int4[])",
            "INSERT INTO _bench_arrays SELECT (SELECT array_agg(i) FROM generate_series(1, 100) AS s(i)) "
            "FROM generate_series(1, 100)",
        ),
        teardown=("DROP TABLE _bench_arrays",),
        check=_checker(
            lambda rows: len(rows) == 100 and all(list(row[0]) == list(range(1, 101)) for row in rows),
            "100 arrays [1..100]",
        ),
    ),
    Query(
        "5-copyfrom",
        "COPY _bench_copy FROM STDIN: 10,000 rows (copy_records_to_table)",
        skip="not yet: needs COPY (issue 5)",
    ),
    Query(
        "6-batch",
        f"INSERT INTO {_BATCH_TABLE} (a, b, c, d, e, f, g) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        session_setup=(
            f"CREATE TEMPORARY TABLE {_BATCH_TABLE} "
            "(a int4, b int4, c int4, d text, e float8, f float8, g text)",
        ),
        batch=True,
    ),
    Query(
        "7-oneplusone",
        "SELECT 1+1",
        check=_checker(lambda rows: [tuple(row) for row in rows] == [(2,)], "one row (2,)"),
    ),
)


def batch_rows(count: int = BATCH_ROWS) -> list[tuple[int, int, int, str, float, float, str]]:
    """The argument rows of ``6-batch``: three integers, two texts and two floats each."""
    return [(i, i * 2, -i, f"batch row {i}", i / 4, i * 1.5, "pgasync") for i in range(count)]


@dataclass
class QueryResult:
    """One query's figures: queries per second per driver, one entry per round."""

    name: str
    sql: str
    skip: str | None = None
    rows_per_call: int | None = None
    columns: int | None = None
    qps: dict[str, list[float]] = field(default_factory=dict)
    calls: dict[str, list[int]] = field(default_factory=dict)

    def median(self, driver: str) -> float | None:
        """The median round of ``driver``, or None if it did not run."""
        rounds = self.qps.get(driver)
        return statistics.median(rounds) if rounds else None

    def ratio(self, driver: str) -> float | None:
        """``driver``'s median over asyncpg's, or None if either did not run."""
        ours, theirs = self.median(driver), self.median(BASELINE)
        return ours / theirs if ours is not None and theirs else None

    def as_dict(self) -> dict[str, Any]:
        """The figures as JSON-ready data, medians and ratios included."""
        medians = {driver: self.median(driver) for driver in self.qps}
        return {
            **asdict(self),
            "median_qps": medians,
            "ratio_to_asyncpg": {d: self.ratio(d) for d in self.qps},
        }


def geometric_mean_ratio(results: Sequence[QueryResult], driver: str) -> float | None:
    """The geometric mean of ``driver``'s ratios to asyncpg over the queries both ran."""
    ratios = [ratio for result in results if (ratio := result.ratio(driver)) is not None]
    return math.exp(sum(math.log(ratio) for ratio in ratios) / len(ratios)) if ratios else None


@dataclass
class RoundResult:
    """One round of one driver on one query."""

    calls: int
    seconds: float
    shape: Shape


def _call(session: Session, query: Query, rows: Rows) -> Callable[[], Awaitable[Shape]]:
    """One call of ``query`` on ``session``, returning how many rows and columns it handled."""
    if query.batch:
        shape = (len(rows), len(rows[0]))

        async def insert() -> Shape:
            await session.executemany(query.sql, rows)
            return shape

        return insert

    async def fetch() -> Shape:
        fetched = await session.fetch(query.sql, query.args)
        return len(fetched), len(fetched[0]) if fetched else 0

    return fetch


async def _loop(call: Callable[[], Awaitable[Shape]], deadline: float, shapes: set[Shape]) -> int:
    calls = 0
    while time.perf_counter() < deadline:
        shapes.add(await call())
        calls += 1
    return calls


async def _warm_up(session: Session, query: Query, rows: Rows, driver: str) -> None:
    """One untimed call: prepares the statement and checks the values it returns."""
    if query.batch:
        await session.executemany(query.sql, rows)
        await session.execute(f"TRUNCATE {_BATCH_TABLE}")
        return
    fetched = await session.fetch(query.sql, query.args)
    problem = query.check(fetched) if query.check is not None else None
    if problem is not None:
        raise BenchmarkError(f"{query.name}: {driver} returned wrong values: {problem}")


async def measure_round(
    driver: Driver, dsn: str, query: Query, duration: float, concurrency: int
) -> RoundResult:
    """One round: ``concurrency`` connections of ``driver`` call ``query`` for ``duration`` s.

    Returns:
        The calls completed, the seconds from the start until the last call ended, and the
        (rows, columns) shape that every call returned.

    Raises:
        BenchmarkError: a warm-up call returned wrong values, calls returned different shapes,
            or a ``6-batch`` connection's table does not hold 1,000 rows per call.
    """
    rows = batch_rows()
    sessions: list[Session] = []
    try:
        for _ in range(concurrency):
            sessions.append(await driver.connect(dsn))
        for session in sessions:
            for statement in query.session_setup:
                await session.execute(statement)
            await _warm_up(session, query, rows, driver.name)
        shapes: set[Shape] = set()
        calls_of = [_call(session, query, rows) for session in sessions]
        gc.collect()
        started = time.perf_counter()
        # A task group: if one connection fails, the others are cancelled before the close.
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(_loop(call, started + duration, shapes)) for call in calls_of]
        counts = [task.result() for task in tasks]
        seconds = time.perf_counter() - started
        if len(shapes) != 1:
            raise BenchmarkError(
                f"{query.name}: {driver.name} calls returned different shapes {sorted(shapes)}"
            )
        if query.batch:
            for session, count in zip(sessions, counts, strict=True):
                inserted = (await session.fetch(f"SELECT count(*) FROM {_BATCH_TABLE}", ()))[0][0]
                if inserted != count * BATCH_ROWS:
                    raise BenchmarkError(
                        f"{query.name}: {driver.name} inserted {inserted} rows in {count} calls "
                        f"of {BATCH_ROWS}"
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
        result = QueryResult(query.name, query.sql, query.skip)
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


def driver_version(driver: Driver) -> str:
    """The installed version of ``driver``'s module (psycopg's with its libpq implementation)."""
    module = importlib.import_module(driver.module)
    version = str(getattr(module, "__version__", "?"))
    if driver.module == "psycopg":
        version += f" ({module.pq.__impl__} implementation)"
    return version


def _figure(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def format_table(results: Sequence[QueryResult], drivers: Sequence[str]) -> str:
    """The results as a text table: median qps per driver and the ratios to asyncpg."""
    others = [driver for driver in drivers if driver != BASELINE]
    header = f"{'query':<18}" + "".join(f"{driver + ' qps':>14}" for driver in drivers)
    header += "".join(f"{driver + '/' + BASELINE:>18}" for driver in others)
    lines = [header]
    for result in results:
        if result.skip is not None:
            lines.append(f"{result.name:<18}  {result.skip}")
            continue
        line = f"{result.name:<18}" + "".join(f"{_figure(result.median(d), ',.0f'):>14}" for d in drivers)
        line += "".join(f"{_figure(result.ratio(d), '.2f'):>18}" for d in others)
        lines.append(line)
    mean = f"{'geometric mean':<18}" + " " * 14 * len(drivers)
    mean += "".join(f"{_figure(geometric_mean_ratio(results, d), '.2f'):>18}" for d in others)
    lines.append(mean)
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
    parser.add_argument("--json", type=Path, help="also write every round's figures here")
    args = parser.parse_args(argv)
    drivers = [driver for driver in DRIVERS if driver.name in args.drivers]
    missing = [driver.name for driver in drivers if not driver.is_installed()]
    if missing:
        print(f"not installed, left out: {', '.join(missing)} (run with `hatch run bench:python ...`)")
        drivers = [driver for driver in drivers if driver.name not in missing]
    queries = [query for query in QUERIES if query.name in args.queries]
    options = {"duration": args.duration, "rounds": args.rounds, "concurrency": args.concurrency}

    async def measure(dsn: str) -> tuple[str, list[QueryResult]]:
        return await _server_version(dsn), await run_all(dsn, drivers=drivers, queries=queries, **options)

    dsn = os.environ.get("PGASYNC_DSN")
    if dsn:
        version, results = asyncio.run(measure(dsn))
    else:
        with Cluster(installation_for_tests()) as cluster:
            cluster.start()
            version, results = asyncio.run(measure(cluster.dsn()))
    names = [driver.name for driver in drivers]
    versions = {driver.name: driver_version(driver) for driver in drivers}
    print(
        f"PostgreSQL {version}, Python {platform.python_version()}, {os.cpu_count()} CPUs; "
        + ", ".join(f"{name} {number}" for name, number in versions.items())
        + "; "
        f"{args.concurrency} connections per driver, {args.rounds} rounds of {args.duration} s, "
        "median queries/s"
    )
    print(format_table(results, names))
    if args.json:
        report = {
            "python": platform.python_version(),
            "postgres": version,
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            **options,
            "drivers": versions,
            "results": [result.as_dict() for result in results],
            "geometric_mean_ratio": {name: geometric_mean_ratio(results, name) for name in names},
        }
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
