"""A small inventory service written as a user of pgasync writes one, fully typed.

``tests/typing/test_typing.py`` checks it with ``mypy --strict`` (no error allowed) and runs it
against a real server. It uses what an application leans on: ``connect``, a pool, a record class
of its own passed as ``record_class=``, transactions, a cursor, COPY in and out, a prepared
statement, a query logger and notifications (a callback and a stream).
"""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass, field

import pgasync
from pgasync.connection import LoggedQuery, Notification


class Item(pgasync.Record):
    """A row of ``items``, with typed accessors."""

    @property
    def sku(self) -> str:
        """The item's stock-keeping unit."""
        value: str = self["sku"]
        return value

    @property
    def quantity(self) -> int:
        """How many are in stock."""
        value: int = self["quantity"]
        return value


@dataclass
class Report:
    """What :func:`run` found, for the caller to check."""

    skus: list[str] = field(default_factory=list)
    total: int = 0
    low_stock: list[str] = field(default_factory=list)
    first: Item | None = None
    exported: bytes = b""
    copied: str = ""
    notified: list[str] = field(default_factory=list)
    streamed: list[Notification] = field(default_factory=list)
    logged: int = 0
    statement_rows: int = 0


SCHEMA = """
CREATE TABLE IF NOT EXISTS {table} (sku text PRIMARY KEY, quantity int NOT NULL);
TRUNCATE {table};
"""


async def load_items(connection: pgasync.Connection, table: str, items: dict[str, int]) -> str:
    """Insert ``items`` with a binary COPY inside a transaction; the COPY status."""
    async with connection.transaction():
        return await connection.copy_records_to_table(table, records=list(items.items()))


async def low_stock(pool: pgasync.Pool, table: str, below: int) -> list[Item]:
    """The items with fewer than ``below`` in stock, through the pool, as ``Item`` records."""
    async with pool.acquire() as connection:
        rows: list[Item] = await connection.fetch(
            f"SELECT sku, quantity FROM {table} WHERE quantity < $1 ORDER BY sku", below, record_class=Item
        )
    return rows


async def walk(connection: pgasync.Connection, table: str) -> list[str]:
    """Every SKU, read with a cursor two rows per round trip."""
    skus: list[str] = []
    async with connection.transaction():
        async for item in connection.cursor(
            f"SELECT sku, quantity FROM {table} ORDER BY sku", prefetch=2, record_class=Item
        ):
            skus.append(item.sku)
        cursor = await connection.cursor(f"SELECT sku, quantity FROM {table} ORDER BY sku", record_class=Item)
        first: Item | None = await cursor.fetchrow()
        assert first is None or isinstance(first.quantity, int)
    return skus


async def run(dsn: str, table: str = "typing_example_items") -> Report:
    """Run the whole application once against ``dsn``; what it saw."""
    report = Report()
    connection = await pgasync.connect(dsn, command_timeout=30)
    try:
        await connection.execute(SCHEMA.format(table=table))
        await load_items(connection, table, {"apple": 3, "pear": 12, "plum": 1})

        def log(record: LoggedQuery) -> None:
            report.logged += 1 if record.exception is None else 0

        with connection.query_logger(log):
            total = await connection.fetchval(f"SELECT sum(quantity) FROM {table}")
        report.total = int(total)
        report.first = await connection.fetchrow(
            f"SELECT sku, quantity FROM {table} ORDER BY sku LIMIT 1", record_class=Item
        )
        report.skus = await walk(connection, table)

        statement = await connection.prepare(
            f"SELECT sku, quantity FROM {table} WHERE quantity > $1", record_class=Item
        )
        items: list[Item] = await statement.fetch(0)
        report.statement_rows = len(items)

        buffer = io.BytesIO()
        await connection.copy_from_table(table, output=buffer, format="csv")
        report.exported = buffer.getvalue()
        report.copied = await connection.copy_to_table(
            table, source=io.BytesIO(b"fig,7\n"), format="csv", columns=["sku", "quantity"]
        )
        async with connection.copy_records_from_table(table, record_class=Item) as stream:
            async for item in stream:
                assert item.quantity >= 0

        received = asyncio.Event()

        def on_restock(_connection: object, _pid: int, _channel: str, payload: str) -> None:
            report.notified.append(payload)
            received.set()

        await connection.add_listener("restock", on_restock)
        async with connection.listen("restock") as notifications:
            await connection.execute("SELECT pg_notify('restock', 'pear')")
            async for notification in notifications:
                report.streamed.append(notification)
                break
        await asyncio.wait_for(received.wait(), 10)
        await connection.remove_listener("restock", on_restock)
    finally:
        await connection.close()

    async with pgasync.create_pool(dsn, min_size=1, max_size=2) as pool:
        report.low_stock = [item.sku for item in await low_stock(pool, table, 5)]
        row = await pool.fetchrow(
            f"SELECT sku, quantity FROM {table} WHERE sku = $1", "fig", record_class=Item
        )
        assert row is not None and row.quantity == 7
        await pool.execute(f"DROP TABLE {table}")
    return report
