"""docs/migrating.md's table of differences from asyncpg holds: one test per row, against the real server.

Each row of the table has an ID (``D1``, ``D2``, ...) and each ID has one ``test_<ID>_...`` here
asserting pgasync's side of the difference; a row without a test, or a test without a row, fails
``test_every_row_has_a_test``.
"""

from __future__ import annotations

import asyncio
import io
import re
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import pgasync
from pgasync.cluster import Cluster

PAGE = Path(__file__).resolve().parent.parent / "docs" / "migrating.md"
ROW_ID = re.compile(r"^\|\s*(D\d+)\s*\|", re.MULTILINE)


def table_ids() -> list[str]:
    return ROW_ID.findall(PAGE.read_text(encoding="utf-8"))


@pytest.fixture
async def connection(cluster: Cluster) -> AsyncIterator[pgasync.Connection]:
    connection = await pgasync.connect(cluster.dsn())
    try:
        yield connection
    finally:
        await connection.close()


def test_every_row_has_a_test() -> None:
    ids = table_ids()
    assert len(ids) == len(set(ids)), "an ID appears twice in the table"
    tests = {name.split("_")[1] for name in dir(sys.modules[__name__]) if re.match(r"test_D\d+_", name)}
    assert set(ids) == tests, (
        f"rows without a test: {set(ids) - tests}; tests without a row: {tests - set(ids)}"
    )


async def test_D1_record_class_per_shape(connection: pgasync.Connection) -> None:
    row = await connection.fetchrow("SELECT 1 AS a")
    assert isinstance(row, pgasync.Record)
    assert type(row) is not pgasync.Record


async def test_D2_integer_refuses_fraction(connection: pgasync.Connection) -> None:
    with pytest.raises(pgasync.DataError):
        await connection.fetchval("SELECT $1::int4", 1.7)
    assert await connection.fetchval("SELECT 1") == 1  # nothing half-sent


async def test_D3_time_2400_is_an_error(connection: pgasync.Connection) -> None:
    with pytest.raises(pgasync.DataError, match="24:00:00"):
        await connection.fetchval("SELECT '24:00:00'::time")


async def test_D4_text_with_nul_refused_before_sending(connection: pgasync.Connection) -> None:
    with pytest.raises(pgasync.DataError):
        await connection.fetchval("SELECT $1::text", "a\x00b")
    assert await connection.fetchval("SELECT 1") == 1


async def test_D5_uuid_is_the_standard_class(connection: pgasync.Connection) -> None:
    value = await connection.fetchval("SELECT '8d4c6b3e-3f4a-4a57-9d1a-0c6f2b1e5a77'::uuid")
    assert type(value) is uuid.UUID
    assert value == uuid.UUID("8d4c6b3e-3f4a-4a57-9d1a-0c6f2b1e5a77")


async def test_D6_path_repr(connection: pgasync.Connection) -> None:
    value = await connection.fetchval("SELECT '((0,0),(1,1))'::path")
    assert repr(value) == "pgasync.types.Path((0.0, 0.0), (1.0, 1.0), is_closed=True)"


async def test_D7_empty_query_returns_empty_status(connection: pgasync.Connection) -> None:
    assert await connection.execute("") == ""
    assert await connection.execute("   ") == ""


async def test_D8_execute_copy_from_stdin_fails_at_once(connection: pgasync.Connection) -> None:
    await connection.execute("CREATE TEMPORARY TABLE d8 (n int)")
    started = time.monotonic()
    with pytest.raises(pgasync.QueryCanceledError):
        await connection.execute("COPY d8 FROM STDIN")
    assert time.monotonic() - started < 5
    assert await connection.fetchval("SELECT count(*) FROM d8") == 0  # usable


async def test_D9_repr_shows_address_and_pid(connection: pgasync.Connection) -> None:
    text = repr(connection)
    assert f"pid={connection.get_server_pid()}" in text and "127.0.0.1" in text


async def test_D10_statement_names(connection: pgasync.Connection) -> None:
    await connection.fetchval("SELECT 'd10'::text")
    names = [row[0] for row in await connection.fetch("SELECT name FROM pg_prepared_statements")]
    assert names and all(re.fullmatch(r"__pgconn_stmt_\d+__", name) for name in names), names


async def test_D11_logged_query_has_no_password(cluster: Cluster) -> None:
    records: list[pgasync.connection.LoggedQuery] = []
    connection = await pgasync.connect(cluster.dsn(), password="not-shown")
    try:
        with connection.query_logger(records.append):
            await connection.execute("SELECT 1")
    finally:
        await connection.close()
    (record,) = records
    assert record.conn_params.password is None
    assert "not-shown" not in repr(record)


async def test_D12_copy_from_query_leaves_dollar_in_strings(connection: pgasync.Connection) -> None:
    sink = io.BytesIO()
    await connection.copy_from_query("SELECT '$1' AS literal, $1::int AS argument", 7, output=sink)
    assert sink.getvalue() == b"$1\t7\n"


async def test_D13_copy_boolean_options_must_be_bools(connection: pgasync.Connection) -> None:
    with pytest.raises(pgasync.InterfaceError, match="header"):
        await connection.copy_from_query("SELECT 1", output=io.BytesIO(), format="csv", header="no")  # type: ignore[arg-type]  # the wrong type is the point
    assert await connection.fetchval("SELECT 1") == 1


async def test_D14_sink_chunks_are_bytes(connection: pgasync.Connection) -> None:
    chunks: list[object] = []

    async def sink(chunk: bytes) -> None:
        chunks.append(chunk)

    await connection.copy_from_query("SELECT generate_series(1, 1000)", output=sink)
    assert chunks and all(type(chunk) is bytes for chunk in chunks)
    assert len(chunks) < 1000  # several rows per chunk
    assert b"".join(chunks) == b"".join(b"%d\n" % n for n in range(1, 1001))  # type: ignore[arg-type]  # they are bytes, checked above


async def test_D15_prepare_leaves_no_transaction_open(connection: pgasync.Connection) -> None:
    await connection.prepare("SELECT 1")
    assert not connection.is_in_transaction()
    async with connection.transaction(isolation="serializable"):
        assert await connection.fetchval("SHOW transaction_isolation") == "serializable"


async def test_D16_pool_waiters_are_served_in_order(cluster: Cluster) -> None:
    async with pgasync.create_pool(cluster.dsn(), min_size=1, max_size=1) as pool:
        served: list[int] = []
        holder = await pool.acquire()

        async def wait_in_line(number: int) -> None:
            async with pool.acquire() as connection:
                served.append(number)
                await connection.fetchval("SELECT 1")

        waiters = []
        for number in range(5):
            waiters.append(asyncio.ensure_future(wait_in_line(number)))
            await asyncio.sleep(0.01)  # each one in line before the next
        await pool.release(holder)
        await asyncio.gather(*waiters)
    assert served == [0, 1, 2, 3, 4]


async def test_D17_target_attribute_error_names_the_requirement(cluster: Cluster) -> None:
    with pytest.raises(pgasync.TargetServerAttributeNotMatched, match="requirement 'standby'"):
        await pgasync.connect(cluster.dsn(), target_session_attrs="standby")


async def test_D18_copy_records_error_names_row_and_column(connection: pgasync.Connection) -> None:
    await connection.execute("CREATE TEMPORARY TABLE d18 (id int, label text)")
    with pytest.raises(pgasync.DataError) as raised:
        await connection.copy_records_to_table("d18", records=[(1, "a"), ("two", "b")])
    text = str(raised.value)
    assert "row 2" in text and "id" in text and "two" in text, text
    assert await connection.fetchval("SELECT count(*) FROM d18") == 0
