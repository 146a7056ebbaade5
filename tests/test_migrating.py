"""docs/migrating.md's table of differences from asyncpg holds: one test per row, against the real server.

Each row of the table has an ID (``D1``, ``D2``, ...) and each ID has one ``test_<ID>_...`` here
asserting pgasync's side of the difference; a row without a test, or a test without a row, fails
``test_every_row_has_a_test``.
"""

from __future__ import annotations

import re
import sys
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
