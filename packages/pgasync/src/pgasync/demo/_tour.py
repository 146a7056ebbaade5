"""The demo's asyncio part: the same server through ``pgasync.connect``, with typed values."""

from __future__ import annotations

import asyncio
import datetime
import decimal
from typing import TextIO
from urllib.parse import quote

import pgasync

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
    finally:
        await connection.close()


def run_tour(host: str, port: int, user: str, password: str | None, database: str, out: TextIO) -> None:
    """Run the asyncio part of the demo against the given server."""
    print("\n4. The same server through pgasync.connect() (asyncio):", file=out)
    asyncio.run(_tour(_dsn(host, port, user, password, database), out))
