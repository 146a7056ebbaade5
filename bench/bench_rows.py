"""Row decoding: pgtypes' RowDecoder on real server rows, side by side with asyncpg.

Four result sets of N rows (default 100,000), fetched in binary from a throwaway server
started with :mod:`pgasync.cluster`:

- ``int4``: one int4 column;
- ``pg_type``: the twelve ``pg_type`` columns of the ``1-pg_type`` query of MagicStack's
  pgbench (``typtypmod = -1 AND typisdefined``), the catalog repeated until N rows;
- ``int4[100]``: one 100-element int4 array;
- ``bytea1000``: one 1,000-byte bytea.

Measured per set, best of ``--repeat`` runs:

- ``decode``: :meth:`RowDecoder.decode_batch` over the DataRow batches already received;
- ``fetch``: Bind/Execute/Sync written to a blocking socket, the rows framed by pgwire and
  decoded batch by batch as they arrive (the whole client side, without asyncio);
- ``asyncpg``: ``await connection.fetch(query)`` on asyncpg from PyPI, same server, same run
  (install the ``bench`` dependency group: ``hatch run bench:python bench/bench_rows.py``).

``fetch / asyncpg`` is the ratio of rows per second (above 1 is faster than asyncpg). Both
include the server's own time to produce the rows.

Usage: ``python bench/bench_rows.py [--rows N] [--repeat N] [--json PATH]``
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pgwire
from pgasync.cluster import Cluster, installation_for_tests
from pgtypes._record import Record
from pgtypes._registry import TypeRegistry
from pgtypes._row_decoder import RowDecoder
from pgwire import CommandComplete, DataRowBatch, ErrorResponse, PostgresError, ReadyForQuery, RowDescription
from pgwire.blocking import BlockingConnection

__all__ = ["QUERIES", "Query", "SetResult", "fetch_rows", "main", "prepare", "run_all"]


@dataclass(frozen=True)
class Query:
    """One result set: its SQL (``{rows}`` filled in) and text-format arguments."""

    name: str
    sql: str
    args: tuple[Any, ...] = ()


QUERIES: tuple[Query, ...] = (
    Query("int4", "SELECT i::int4 FROM generate_series(1, {rows}) AS s(i)"),
    Query(
        "pg_type",
        "SELECT typname, typnamespace, typowner, typlen, typbyval, typcategory, typispreferred, "
        "typisdefined, typdelim, typrelid, typelem, typarray "
        "FROM pg_type, generate_series(1, 1 + {rows} / 300) AS copies "
        "WHERE typtypmod = $1 AND typisdefined = $2 LIMIT {rows}",
        (-1, True),
    ),
    Query(
        "int4[100]",
        "SELECT (SELECT array_agg(i) FROM generate_series(1, 100) AS a(i)) FROM generate_series(1, {rows})",
    ),
    Query("bytea1000", "SELECT decode(repeat('a5', 1000), 'hex') FROM generate_series(1, {rows})"),
)


def _text_arg(value: Any) -> bytes:
    if isinstance(value, bool):
        return b"t" if value else b"f"
    return str(value).encode()


@dataclass
class SetResult:
    """Figures for one result set (seconds are the best run)."""

    name: str
    rows: int
    decode_seconds: float
    fetch_seconds: float
    asyncpg_seconds: float | None
    runs: dict[str, list[float]] = field(default_factory=dict)

    def rate(self, seconds: float | None) -> float | None:
        return None if not seconds else self.rows / seconds


def prepare(session: BlockingConnection, sql: str, args: Sequence[Any]) -> RowDecoder:
    """Parse and describe ``sql`` as the unnamed statement; the decoder for its rows."""
    session.send(pgwire.Parse("", sql), pgwire.Describe("S", ""), pgwire.Sync())
    fields: tuple[pgwire.FieldDescription, ...] = ()
    while not isinstance(event := session.next_event(), ReadyForQuery):
        if isinstance(event, RowDescription):
            fields = event.fields
        elif isinstance(event, ErrorResponse):
            raise PostgresError.new(event.as_dict(), query=sql)
    return RowDecoder.for_fields(TypeRegistry.default(), fields)


def fetch_rows(
    session: BlockingConnection,
    decoder: RowDecoder,
    args: Sequence[Any],
    on_batch: Callable[[DataRowBatch], object],
) -> str:
    """Bind and execute the unnamed statement, handing each DataRow batch to ``on_batch``."""
    session.send(
        pgwire.Bind("", "", (), tuple(_text_arg(arg) for arg in args), decoder.result_formats),
        pgwire.Execute(""),
        pgwire.Sync(),
    )
    status = ""
    error: PostgresError | None = None
    while not isinstance(event := session.next_event(), ReadyForQuery):
        if isinstance(event, DataRowBatch):
            on_batch(event)
        elif isinstance(event, CommandComplete):
            status = event.tag
        elif isinstance(event, ErrorResponse):
            error = PostgresError.new(event.as_dict())
    if error is not None:
        raise error
    return status


def _timed(action: Callable[[], object]) -> float:
    gc.collect()
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _measure_ours(
    session: BlockingConnection, query: Query, rows: int, repeat: int
) -> tuple[SetResult, list[Record]]:
    sql = query.sql.format(rows=rows)
    decoder = prepare(session, sql, query.args)
    batches: list[DataRowBatch] = []
    fetch_rows(session, decoder, query.args, batches.append)
    records: list[Record] = []

    def decode_all() -> None:
        records.clear()
        for batch in batches:
            decoder.decode_batch(batch, records)

    def fetch_and_decode() -> None:
        fetched: list[Record] = []
        fetch_rows(session, decoder, query.args, lambda batch: decoder.decode_batch(batch, fetched))
        if len(fetched) != rows:
            raise RuntimeError(f"{query.name}: fetched {len(fetched)} rows, expected {rows}")

    decode_runs = [_timed(decode_all) for _ in range(repeat)]
    if len(records) != rows:
        raise RuntimeError(f"{query.name}: decoded {len(records)} rows, expected {rows}")
    fetch_runs = [_timed(fetch_and_decode) for _ in range(repeat)]
    result = SetResult(query.name, rows, min(decode_runs), min(fetch_runs), None)
    result.runs = {"decode": decode_runs, "fetch": fetch_runs}
    return result, records


async def _measure_asyncpg(dsn: str, query: Query, rows: int, repeat: int) -> tuple[list[float], list[Any]]:
    import asyncpg

    connection = await asyncpg.connect(dsn)
    try:
        sql = query.sql.format(rows=rows)
        fetched = await connection.fetch(sql, *query.args)  # warms the statement cache
        runs: list[float] = []
        for _ in range(repeat):
            gc.collect()
            started = time.perf_counter()
            fetched = await connection.fetch(sql, *query.args)
            runs.append(time.perf_counter() - started)
        return runs, fetched
    finally:
        await connection.close()


def _has_asyncpg() -> bool:
    try:
        import asyncpg  # noqa: F401
    except ImportError:
        return False
    return True


def run_all(
    cluster: Cluster, rows: int, repeat: int, *, compare: bool = True, queries: Sequence[Query] = QUERIES
) -> list[SetResult]:
    """Measure every result set on ``cluster``; with ``compare``, asyncpg too if installed.

    Raises:
        RuntimeError: a run decoded a different number of rows, or asyncpg's rows differ
            from ours (the two drivers must have decoded the same values).
    """
    results: list[SetResult] = []
    with BlockingConnection.connect(cluster.host, cluster.port, user=cluster.superuser) as session:
        session.wire.batch_events = True  # the rows as pgconn receives them: DataRowBatch events
        for query in queries:
            result, records = _measure_ours(session, query, rows, repeat)
            if compare and _has_asyncpg():
                dsn = cluster.dsn(user=cluster.superuser)
                runs, theirs = asyncio.run(_measure_asyncpg(dsn, query, rows, repeat))
                if [tuple(row) for row in theirs] != [tuple(record) for record in records]:
                    raise RuntimeError(f"{query.name}: asyncpg decoded different values")
                result.asyncpg_seconds = min(runs)
                result.runs["asyncpg"] = runs
            results.append(result)
    return results


def _format(results: Sequence[SetResult]) -> str:
    lines = [
        f"{'result set':<12} {'rows':>8} {'decode rows/s':>14} {'fetch rows/s':>13} "
        f"{'asyncpg rows/s':>15} {'fetch/asyncpg':>14}"
    ]
    for result in results:
        theirs = result.rate(result.asyncpg_seconds)
        ours = result.rate(result.fetch_seconds)
        ratio = f"{ours / theirs:.2f}" if theirs and ours else "-"
        lines.append(
            f"{result.name:<12} {result.rows:>8} {result.rate(result.decode_seconds) or 0:>14,.0f} "
            f"{ours or 0:>13,.0f} {theirs or 0:>15,.0f} {ratio:>14}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    """Parse arguments, start a server, measure, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--no-asyncpg", action="store_true", help="measure pgtypes only")
    args = parser.parse_args(argv)
    with Cluster(installation_for_tests()) as cluster:
        cluster.start()
        results = run_all(cluster, args.rows, args.repeat, compare=not args.no_asyncpg)
        version = cluster.version
    print(f"PostgreSQL {version}, Python {platform.python_version()}, best of {args.repeat}")
    if not _has_asyncpg() and not args.no_asyncpg:
        print("asyncpg is not installed: run `hatch run bench:python bench/bench_rows.py` to compare")
    print(_format(results))
    if args.json:
        figures = {
            "python": platform.python_version(),
            "postgres": version,
            "results": [asdict(r) for r in results],
        }
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
