"""Peak memory of fetching 1,000,000 rows: pgconn (compiled and pure builds) vs asyncpg.

Each measurement runs in a fresh child process: it connects, notes its peak resident set size
(``ru_maxrss``), fetches the rows of ``SELECT i, i::text FROM generate_series(1, N)`` into a
list of records, and reports how much the peak grew. The rows themselves are kept (as an
application keeps a fetch's result), so the figure is the records plus whatever the driver
held at its high-water mark on the way.

Usage: ``hatch run bench:python bench/bench_rows_memory.py [--rows N]``
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import subprocess
import sys
from collections.abc import Sequence

__all__ = ["main"]

_SQL = "SELECT i, i::text FROM generate_series(1, {rows}) AS s(i)"
#: (label, driver module, PGASYNC_IMPL)
_RUNS = (("pgconn c", "pgconn", "c"), ("pgconn python", "pgconn", "python"), ("asyncpg", "asyncpg", ""))


def _peak_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


async def _child(module: str, dsn: str, rows: int) -> None:
    if module == "asyncpg":
        import asyncpg

        connection = await asyncpg.connect(dsn)
    else:
        import pgconn

        connection = await pgconn.connect(dsn)
    await connection.fetch("SELECT 1")
    before = _peak_kib()
    result = await connection.fetch(_SQL.format(rows=rows))
    after = _peak_kib()
    assert len(result) == rows
    await connection.close()
    print(after - before)


def main(argv: Sequence[str] | None = None) -> None:
    """Start a server, measure each driver in its own process, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--child", nargs=3, metavar=("MODULE", "DSN", "ROWS"))
    args = parser.parse_args(argv)
    if args.child:
        module, dsn, rows = args.child
        asyncio.run(_child(module, dsn, int(rows)))
        return
    from pgasync.cluster import Cluster, installation_for_tests

    with Cluster(installation_for_tests()) as cluster:
        cluster.start()
        dsn = cluster.dsn()
        print(f"peak RSS growth while fetching {args.rows:,} rows of (int4, text)")
        figures: dict[str, int] = {}
        for label, module, impl in _RUNS:
            environment = {**os.environ, "PGASYNC_IMPL": impl} if impl else dict(os.environ)
            command = [
                sys.executable,
                "-m",
                "bench.bench_rows_memory",
                "--child",
                module,
                dsn,
                str(args.rows),
            ]
            done = subprocess.run(command, env=environment, check=True, capture_output=True, text=True)
            figures[label] = int(done.stdout.strip())
        for label, kib in figures.items():
            print(f"{label:14} {kib / 1024:8.1f} MiB   {kib / figures['asyncpg']:5.2f}x asyncpg")


if __name__ == "__main__":
    main()
