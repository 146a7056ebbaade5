"""COPY against the real server: every source and output form, the options, quoting, binary records."""

from __future__ import annotations

import datetime
import decimal
import io
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

import pgconn
from pgtypes import Record
from pgwire.exceptions import (
    DataError,
    InterfaceError,
    InvalidTextRepresentationError,
    UndefinedTableError,
    UniqueViolationError,
)
from tests.pgconn.conftest import MakeTable

CSV = b"1,one\n2,two\n3,\n"


async def rows_of(conn: pgconn.Connection, table: str) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in await conn.fetch(f"SELECT * FROM {table} ORDER BY 1")]


# -- COPY IN from every source form ----------------------------------------------------------


async def test_copy_to_table_from_a_buffer_a_file_and_a_path(
    conn: pgconn.Connection, table: MakeTable, tmp_path: Path
) -> None:
    name = await table("a int, b text")
    assert await conn.copy_to_table(name, source=bytearray(CSV), format="csv") == "COPY 3"
    assert await conn.copy_to_table(name, source=memoryview(CSV), format="csv") == "COPY 3"
    assert await conn.copy_to_table(name, source=io.BytesIO(CSV), format="csv") == "COPY 3"
    path = tmp_path / "data.csv"
    path.write_bytes(CSV)
    assert await conn.copy_to_table(name, source=path, format="csv") == "COPY 3"
    assert await conn.copy_to_table(name, source=str(path), format="csv") == "COPY 3"
    assert await conn.copy_to_table(name, source=bytes(path), format="csv") == "COPY 3"  # bytes: a path
    rows = await rows_of(conn, name)
    assert len(rows) == 18
    assert rows[:3] == [(1, "one"), (1, "one"), (1, "one")]
    assert (3, None) in rows


async def test_copy_to_table_from_an_async_iterable(conn: pgconn.Connection, table: MakeTable) -> None:
    name = await table("a int, b text")

    async def chunks() -> AsyncIterator[bytes | str]:
        yield b"1\tx"  # chunks need not align with rows
        yield "\n2\t"
        yield b"y\n"

    assert await conn.copy_to_table(name, source=chunks()) == "COPY 2"
    assert await rows_of(conn, name) == [(1, "x"), (2, "y")]


async def test_copy_to_table_options_columns_and_where(conn: pgconn.Connection, table: MakeTable) -> None:
    name = await table("a int, b text, c text")
    data = b"b|a\nNIL|1\nkeep|2\n'|'|3\n"
    status = await conn.copy_to_table(
        name,
        source=bytearray(data),
        columns=["b", "a"],
        format="csv",
        header=True,
        delimiter="|",
        null="NIL",
        quote="'",
        force_not_null=["b"],
        where="a > 1",
    )
    assert status == "COPY 2"
    assert await rows_of(conn, name) == [(2, "keep", None), (3, "|", None)]
    await conn.execute(f"TRUNCATE {name}")
    source = bytearray(b'1,"",""\n')
    await conn.copy_to_table(name, source=source, format="csv", force_null=["b"], force_not_null=["c"])
    assert await rows_of(conn, name) == [(1, None, "")]
    await conn.execute(f"TRUNCATE {name}")
    await conn.copy_to_table(name, source=bytearray(b"a,b,c\n4,x,y\n"), format="csv", header="match")
    assert await rows_of(conn, name) == [(4, "x", "y")]


async def test_copy_freeze_in_the_transaction_that_created_the_table(conn: pgconn.Connection) -> None:
    async with conn.transaction():
        await conn.execute("CREATE TEMP TABLE frozen (a int)")
        assert await conn.copy_to_table("frozen", source=bytearray(b"1\n2\n"), freeze=True) == "COPY 2"
        assert await conn.fetchval("SELECT sum(a) FROM frozen") == 3


async def test_awkward_names_are_quoted(conn: pgconn.Connection) -> None:
    await conn.execute('CREATE SCHEMA IF NOT EXISTS "odd ""schema"""')
    await conn.execute('CREATE TABLE "odd ""schema"""."tåble; DROP" ("col ""1""" int, "ünï cödé" text)')
    try:
        schema, columns = 'odd "schema"', ['col "1"', "ünï cödé"]
        source = bytearray(b"7\tseven\n")
        status = await conn.copy_to_table("tåble; DROP", schema_name=schema, columns=columns, source=source)
        assert status == "COPY 1"
        out = io.BytesIO()
        await conn.copy_from_table("tåble; DROP", schema_name=schema, output=out, columns=["ünï cödé"])
        assert out.getvalue() == b"seven\n"
        records = [r async for r in conn.copy_records_from_table("tåble; DROP", schema_name='odd "schema"')]
        assert [tuple(r) for r in records] == [(7, "seven")]
    finally:
        await conn.execute('DROP SCHEMA "odd ""schema""" CASCADE')


async def test_bad_options_are_refused_before_anything_is_sent(conn: pgconn.Connection) -> None:
    with pytest.raises(InterfaceError, match="format is expected to be one of"):
        await conn.copy_to_table("t", source=bytearray(b""), format="xml")
    with pytest.raises(InterfaceError, match="header is expected to be a bool"):
        await conn.copy_from_table("t", output=io.BytesIO(), header="yes")  # type: ignore[arg-type]  # misuse
    with pytest.raises(InterfaceError, match="columns is expected to be a list"):
        await conn.copy_from_table("t", output=io.BytesIO(), columns="a")
    with pytest.raises(InterfaceError, match="NUL"):
        await conn.copy_from_table("t\x00", output=io.BytesIO())
    with pytest.raises(TypeError, match="output is expected to be a file-like object"):
        await conn.copy_from_table("pg_class", output=42)
    with pytest.raises(TypeError, match="source is expected to be a path"):
        await conn.copy_to_table("t", source=42)
    with pytest.raises(UndefinedTableError):
        await conn.copy_to_table("no such table", source=bytearray(b""))
    assert await conn.fetchval("SELECT 1") == 1


# -- COPY OUT to every output form -------------------------------------------------------------


async def test_copy_from_table_to_a_path_a_file_and_a_coroutine(
    conn: pgconn.Connection, table: MakeTable, tmp_path: Path
) -> None:
    name = await table("a int, b text")
    await conn.execute(f"INSERT INTO {name} VALUES (1, 'one'), (2, NULL)")
    for target in (tmp_path / "a.csv", str(tmp_path / "b.csv"), bytes(tmp_path / "c.csv")):
        assert await conn.copy_from_table(name, output=target, format="csv") == "COPY 2"
        assert Path(target.decode() if isinstance(target, bytes) else target).read_bytes() == b"1,one\n2,\n"
    buffer = io.BytesIO()
    await conn.copy_from_table(name, output=buffer, format="csv", header=True, force_quote=True)
    assert buffer.getvalue() == b'a,b\n"1","one"\n"2",\n'  # the header line is never force-quoted
    chunks: list[bytes] = []

    async def sink(chunk: bytes) -> None:
        chunks.append(chunk)

    await conn.copy_from_table(name, output=sink, columns=["b"], null="-", delimiter=";")
    assert b"".join(chunks) == b"one\n-\n"
    assert all(isinstance(chunk, bytes) for chunk in chunks)


async def test_copy_from_query_inlines_arguments_outside_strings(conn: pgconn.Connection) -> None:
    out = io.BytesIO()
    query = "SELECT $1::int + 1, '$1 stays', $2::text, $3::date -- $1 in a comment\n"
    status = await conn.copy_from_query(query, 41, None, datetime.date(2024, 2, 29), output=out, format="csv")
    assert status == "COPY 1"
    assert out.getvalue() == b"42,$1 stays,,2024-02-29\n"
    out = io.BytesIO()
    await conn.copy_from_query("SELECT $1::text", "it's; DROP TABLE x; --", output=out)
    assert out.getvalue() == b"it's; DROP TABLE x; --\n"


# -- binary records both ways ------------------------------------------------------------------


ROW_TYPES = (
    "i int, big int8, t text, f float8, n numeric, ts timestamptz, d date, u uuid, b bytea, ok bool, a int[]"
)


def sample_rows(count: int) -> list[tuple[Any, ...]]:
    moment = datetime.datetime(2024, 5, 1, 12, 30, tzinfo=datetime.UTC)
    return [
        (
            i,
            i * 10**12,
            f"row {i} é",
            i / 3,
            decimal.Decimal(i) / 7,
            moment + datetime.timedelta(seconds=i),
            datetime.date(2000, 1, 1) + datetime.timedelta(days=i),
            uuid.UUID(int=i),
            bytes([i % 256]) * 3,
            i % 2 == 0,
            [i, None, -i],
        )
        if i % 10
        else (i,) + (None,) * 10
        for i in range(count)
    ]


async def test_copy_records_to_table_round_trip(conn: pgconn.Connection, table: MakeTable) -> None:
    name = await table(ROW_TYPES)
    rows = sample_rows(2500)
    assert await conn.copy_records_to_table(name, records=rows) == "COPY 2500"
    fetched = await conn.fetch(f"SELECT * FROM {name} ORDER BY i")
    assert [tuple(r)[:4] + tuple(r)[5:] for r in fetched] == [r[:4] + r[5:] for r in rows]
    streamed = [r async for r in conn.copy_records_from_query(f"SELECT * FROM {name} ORDER BY i")]
    assert [tuple(r) for r in streamed] == [tuple(r) for r in fetched]


async def test_copy_records_async_source_columns_and_where(conn: pgconn.Connection, table: MakeTable) -> None:
    name = await table("a int, b text, c int DEFAULT 7")

    async def records() -> AsyncIterator[tuple[str, int]]:
        for i in range(5):
            yield (f"v{i}", i)

    status = await conn.copy_records_to_table(name, records=records(), columns=["b", "a"], where="a % 2 = 0")
    assert status == "COPY 3"
    assert await rows_of(conn, name) == [(0, "v0", 7), (2, "v2", 7), (4, "v4", 7)]


async def test_copy_records_bad_value_names_row_and_column(conn: pgconn.Connection, table: MakeTable) -> None:
    name = await table("a int, b text")
    rows: list[tuple[Any, ...]] = [(1, "x"), (2, "y"), ("three", "z")]
    with pytest.raises(DataError) as caught:
        await conn.copy_records_to_table(name, records=rows)
    message = str(caught.value)
    assert message.startswith("invalid input for COPY row 3, column 'a' (int4): 'three'")
    assert await rows_of(conn, name) == []
    assert await conn.fetchval("SELECT 1") == 1


async def test_copy_records_from_table_with_record_class(conn: pgconn.Connection, table: MakeTable) -> None:
    class Row(Record):
        pass

    name = await table("a int, b text")
    await conn.execute(f"INSERT INTO {name} SELECT i, i::text FROM generate_series(1, 3) AS i")
    async with conn.copy_records_from_table(name, columns=["b"], record_class=Row) as stream:
        rows = [row async for row in stream]
    assert [row["b"] for row in rows] == ["1", "2", "3"]
    assert all(isinstance(row, Row) for row in rows)
    assert stream.status == "COPY 3"


async def test_record_stream_closed_early_frees_the_connection(conn: pgconn.Connection) -> None:
    async with conn.copy_records_from_query("SELECT i FROM generate_series(1, 1000000) AS i") as stream:
        first = await stream.__anext__()
        assert first["i"] == 1
        with pytest.raises(InterfaceError, match="another operation is in progress"):
            await conn.fetchval("SELECT 1")
    assert await conn.fetchval("SELECT 2") == 2


async def test_server_error_mid_copy_raises_its_class(conn: pgconn.Connection, table: MakeTable) -> None:
    name = await table("a int PRIMARY KEY")
    with pytest.raises(InvalidTextRepresentationError):
        await conn.copy_to_table(name, source=bytearray(b"1\n2\nnot a number\n4\n"))
    with pytest.raises(UniqueViolationError):
        await conn.copy_records_to_table(name, records=[(1,), (1,)])
    assert await rows_of(conn, name) == []
    assert await conn.fetchval("SELECT 3") == 3
