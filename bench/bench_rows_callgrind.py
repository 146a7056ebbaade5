"""Client instructions per call of the row-heavy pgbench queries, under callgrind, vs asyncpg.

Wall-clock figures on a small shared machine move by tens of percent between runs; the number
of instructions the client executes does not. For each driver (pgconn on the compiled build,
pgconn on the pure build with ``PGASYNC_IMPL=python``, asyncpg) and each query of
:data:`bench.driver_queries.PGBENCH_QUERIES` named on the command line, this script runs a child
process under ``valgrind --tool=callgrind`` twice, making ``--low`` and ``--high`` calls, and
reports ``(Ir(high) - Ir(low)) / (high - low)``: the instructions of one call, without the
start-up, imports and connection. ``asyncpg/c`` and ``asyncpg/py`` are asyncpg's instructions
over pgconn's: above 1, pgconn does the call in fewer instructions than asyncpg. The server
(started here with :mod:`pgasync.cluster`) runs outside valgrind, so its work is not counted.

Usage: ``hatch run bench:python bench/bench_rows_callgrind.py [QUERY ...] [--low 2 --high 12]``
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from bench.driver_queries import PGBENCH_QUERIES, Query
from bench.driver_sessions import DRIVERS

__all__ = ["main"]

_DEFAULT_QUERIES = ("1-pg_type", "2-generate_series", "3-large_object", "4-arrays", "6-batch", "5-copyfrom")
#: (label, driver name, PGASYNC_IMPL)
_RUNS = (("pgconn c", "pgconn", "c"), ("pgconn python", "pgconn", "python"), ("asyncpg", "asyncpg", ""))


async def _child(driver_name: str, query_name: str, dsn: str, calls: int) -> None:
    query = next(item for item in PGBENCH_QUERIES if item.name == query_name)
    driver = next(item for item in DRIVERS if item.name == driver_name)
    session = await driver.connect(dsn)
    for statement in query.session_setup:
        await session.execute(statement)
    records = query.records() if query.records is not None else []
    for _ in range(calls):
        if query.kind == "fetch":
            await session.fetch(query.sql, query.args)
        elif query.kind == "executemany":
            await session.executemany(query.sql, records)
        elif query.kind == "copy_in":
            assert query.table is not None
            await session.copy_records_to_table(query.table, records, query.columns, query.types)
        else:
            raise SystemExit(f"{query_name}: kind {query.kind} is not measured here")
    await session.close()


def _instructions(label: str, driver: str, impl: str, query: str, dsn: str, calls: int) -> int:
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "callgrind.out"
        environment = {**os.environ, "PGASYNC_IMPL": impl} if impl else dict(os.environ)
        command = [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={out}",
            sys.executable,
            "-m",
            "bench.bench_rows_callgrind",
            "--child",
            driver,
            query,
            dsn,
            str(calls),
        ]
        subprocess.run(command, env=environment, check=True, capture_output=True)
        match = re.search(r"^summary: (\d+)", out.read_text(), re.MULTILINE)
        if match is None:
            raise RuntimeError(f"{label} {query}: no summary line in the callgrind output")
        return int(match.group(1))


def _setup(dsn: str, query: Query, statements: Sequence[str]) -> None:
    async def run() -> None:
        import pgconn

        connection = await pgconn.connect(dsn)
        for statement in statements:
            await connection.execute(statement)
        await connection.close()

    asyncio.run(run())


def main(argv: Sequence[str] | None = None) -> None:
    """Start a server, measure each (driver, query) under callgrind, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("queries", nargs="*", default=list(_DEFAULT_QUERIES))
    parser.add_argument("--low", type=int, default=2)
    parser.add_argument("--high", type=int, default=12)
    parser.add_argument("--child", nargs=4, metavar=("DRIVER", "QUERY", "DSN", "CALLS"))
    args = parser.parse_args(argv)
    if args.child:
        driver, query, dsn, calls = args.child
        asyncio.run(_child(driver, query, dsn, int(calls)))
        return
    from pgasync.cluster import Cluster, installation_for_tests

    with Cluster(installation_for_tests()) as cluster:
        cluster.start()
        dsn = cluster.dsn()
        print(f"client instructions per call (callgrind Ir), calls {args.low} vs {args.high}")
        header = ("query", "pgconn c", "pgconn py", "asyncpg", "asyncpg/c", "asyncpg/py")
        print(f"{header[0]:20}" + "".join(f" {item:>12}" for item in header[1:4]), *header[4:])
        for name in args.queries:
            query = next(item for item in PGBENCH_QUERIES if item.name == name)
            _setup(dsn, query, query.setup)
            figures: dict[str, float] = {}
            for label, driver, impl in _RUNS:
                low = _instructions(label, driver, impl, name, dsn, args.low)
                high = _instructions(label, driver, impl, name, dsn, args.high)
                figures[label] = (high - low) / (args.high - args.low)
            _setup(dsn, query, query.teardown)
            base = figures["asyncpg"]
            print(
                f"{name:20} {figures['pgconn c']:12,.0f} {figures['pgconn python']:12,.0f} {base:12,.0f}"
                f" {base / figures['pgconn c']:10.2f} {base / figures['pgconn python']:10.2f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
