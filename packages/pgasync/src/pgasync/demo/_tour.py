"""The demo's asyncio part: the same server through ``pgasync.connect``.

Typed values, a prepared statement, a transaction, a cursor, COPY in and out, a
notification sent from a second connection, and a pool (:mod:`pgasync.demo._pool_tour`).
"""

from __future__ import annotations

import asyncio
import datetime
import decimal
import io
from collections.abc import Iterator
from typing import TextIO
from urllib.parse import quote

import pgasync
from pgasync.demo._pool_tour import pool_tour

__all__ = ["run_tour"]


def _dsn(host: str, port: int, user: str, password: str | None, database: str) -> str:
    credentials = quote(user, safe="") + (":" + quote(password, safe="") if password is not None else "")
    return f"postgresql://{credentials}@{host}:{port}/{quote(database, safe='')}"


async def _tour(dsn: str, out: TextIO) -> None:
    connection = await pgasync.connect(dsn)
    try:
        print(f"   -> {connection!r}, server version {tuple(connection.get_server_version())}", file=out)

        print("\n5. fetchrow with parameters: values arrive as Python types (binary format):", file=out)
        row = await connection.fetchrow(
            "SELECT $1::int8 * 2 AS doubled, $2::numeric / 3 AS third, $3::timestamptz AS at, "
            "ARRAY[1, NULL, 3] AS numbers, '{\"a\": [1, 2]}'::jsonb AS document",
            21,
            decimal.Decimal("1.00"),
            datetime.datetime(2024, 2, 29, 12, 30, tzinfo=datetime.UTC),
        )
        assert row is not None
        for name, value in row.items():
            print(f"    {name} = {value!r}", file=out)

        print("\n6. A prepared statement, described and run twice:", file=out)
        statement = await connection.prepare(
            "SELECT n, n * n AS square FROM generate_series($1::int, 1, -1) AS n"
        )
        print(f"    parameters: {[t.name for t in statement.get_parameters()]}", file=out)
        print(f"    columns: {[(a.name, a.type.name) for a in statement.get_attributes()]}", file=out)
        print(f"    fetch(3) -> {[tuple(r) for r in await statement.fetch(3)]}", file=out)
        print(f"    fetchval(5, column='square') -> {await statement.fetchval(5, column='square')}", file=out)

        print("\n7. A transaction with a savepoint rolled back inside it:", file=out)
        await connection.execute("CREATE TEMPORARY TABLE demo_items (id int PRIMARY KEY, name text)")
        async with connection.transaction():
            await connection.executemany("INSERT INTO demo_items VALUES ($1, $2)", [(1, "kept"), (2, "kept")])
            try:
                async with connection.transaction():
                    await connection.execute("INSERT INTO demo_items VALUES ($1, $2)", 1, "duplicate")
            except pgasync.UniqueViolationError as error:
                print(f"    savepoint rolled back: {type(error).__name__}: {error}", file=out)
        names = await connection.fetch("SELECT id, name FROM demo_items ORDER BY id")
        print(f"    committed rows: {[tuple(r) for r in names]}", file=out)

        await _cursor(connection, out)
        await _copy(connection, out)
        await _notification(connection, dsn, out)
    finally:
        await connection.close()
    await pool_tour(dsn, out)


async def _cursor(connection: pgasync.Connection, out: TextIO) -> None:
    print("\n8. A cursor in a transaction: async for, 100 rows per round trip:", file=out)
    query = "SELECT n, n * n AS square FROM generate_series(1, $1::int) AS n"
    async with connection.transaction():
        count = total = 0
        async for row in connection.cursor(query, 1000, prefetch=100):
            count += 1
            total += row["square"]
        print(f"    {count} rows, sum of the squares = {total}", file=out)
        cursor = await connection.cursor(query, 1000)
        skipped = await cursor.forward(997)
        rest = [tuple(row) for row in await cursor.fetch(10)]
        print(f"    a Cursor: forward({skipped}), then fetch(10) -> {rest}", file=out)


def _readings(count: int) -> Iterator[tuple[int, str, decimal.Decimal, datetime.datetime]]:
    start = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
    for n in range(1, count + 1):
        yield n, f"sensor-{n % 3}", decimal.Decimal(n) / 4, start + datetime.timedelta(minutes=n)


async def _copy(connection: pgasync.Connection, out: TextIO) -> None:
    print("\n9. COPY: binary records in, CSV and records out:", file=out)
    await connection.execute(
        "CREATE TEMPORARY TABLE demo_readings (id int, sensor text, reading numeric, at timestamptz)"
    )
    status = await connection.copy_records_to_table("demo_readings", records=_readings(1000))
    print(f"    copy_records_to_table(1000 generated rows) -> {status}", file=out)
    buffer = io.BytesIO()
    status = await connection.copy_from_query(
        "SELECT id, sensor, reading FROM demo_readings WHERE id <= $1 ORDER BY id",
        3,
        output=buffer,
        format="csv",
        header=True,
    )
    print(f"    copy_from_query(..., output=BytesIO, format='csv', header=True) -> {status}:", file=out)
    for line in buffer.getvalue().decode().splitlines():
        print(f"      {line}", file=out)
    readings = decimal.Decimal(0)
    async with connection.copy_records_from_table("demo_readings", columns=["reading"]) as rows:
        async for row in rows:
            readings += row["reading"]
    print(f"    copy_records_from_table streamed {rows.status}, sum of readings = {readings}", file=out)


async def _notification(connection: pgasync.Connection, dsn: str, out: TextIO) -> None:
    print("\n10. LISTEN on this connection, NOTIFY from a second one:", file=out)
    notifier = await pgasync.connect(dsn)
    try:
        async with connection.listen("demo_events") as stream:
            await notifier.execute("NOTIFY demo_events, 'build 42 finished'")
            notification = await asyncio.wait_for(anext(stream), 10)
        pid = notification.pid
        sender = "the second connection" if pid == notifier.get_server_pid() else f"backend {pid}"
        print(f"    received {notification.payload!r} on {notification.channel!r} from {sender}", file=out)
    finally:
        await notifier.close()


def run_tour(host: str, port: int, user: str, password: str | None, database: str, out: TextIO) -> None:
    """Run the asyncio part of the demo against the given server."""
    print("\n4. The same server through pgasync.connect() (asyncio):", file=out)
    asyncio.run(_tour(_dsn(host, port, user, password, database), out))
