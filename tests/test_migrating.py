"""docs/migrating.md's table of differences from asyncpg holds: one test per row, against the real server.

Each row of the table has an ID (``D1``, ``D2``, ...) and each ID has one ``test_<ID>_...`` here
asserting pgasync's side of the difference; a row without a test, or a test without a row, fails
``test_every_row_has_a_test``.
"""

from __future__ import annotations

import asyncio
import inspect
import io
import re
import sys
import time
import uuid
import warnings
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

import pgasync
from pgasync.cluster import Cluster, ServerUser
from pgconn import _attempt
from tests.pgconn.connect_helpers import isolate_environment, require_tls, uses_tls

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
    await connection.close()
    assert "closed" in repr(connection)


async def test_D10_generated_names(cluster: Cluster, connection: pgasync.Connection) -> None:
    await connection.fetchval("SELECT 'd10'::text")
    names = [row[0] for row in await connection.fetch("SELECT name FROM pg_prepared_statements")]
    assert names and all(re.fullmatch(r"__pgconn_stmt_\d+__", name) for name in names), names
    monitor = await pgasync.connect(cluster.dsn())
    try:
        async with connection.transaction():
            async with connection.transaction():
                # The server shows another session's last statement: the SAVEPOINT just sent.
                last = await monitor.fetchval(
                    "SELECT query FROM pg_stat_activity WHERE pid = $1", connection.get_server_pid()
                )
                assert re.fullmatch(r"SAVEPOINT __pgasync_savepoint_\d+__;", last), last
            await connection.cursor("SELECT 1")
            portals = [row[0] for row in await connection.fetch("SELECT name FROM pg_cursors")]
            assert any(re.fullmatch(r"__pgconn_portal_\d+__", name) for name in portals), portals
    finally:
        await monitor.close()


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


async def test_D19_failed_start_leaves_no_transaction_behind(connection: pgasync.Connection) -> None:
    await connection.execute("CREATE TEMPORARY TABLE d19 (n int)")
    sleeper = asyncio.ensure_future(connection.fetchval("SELECT pg_sleep(0.2)"))
    await asyncio.sleep(0.05)
    with pytest.raises(pgasync.InterfaceError, match="another operation is in progress"):
        await connection.transaction().start()
    await sleeper
    with pytest.raises(ZeroDivisionError):
        async with connection.transaction():  # a BEGIN, not a SAVEPOINT outside any block
            await connection.execute("INSERT INTO d19 VALUES (1)")
            raise ZeroDivisionError
    assert await connection.fetchval("SELECT count(*) FROM d19") == 0


async def test_D20_service_without_a_dsn(
    cluster: Cluster, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    isolate_environment(monkeypatch, tmp_path / "home")
    spec = cluster.connection_spec()
    services = tmp_path / "services.conf"
    services.write_text(
        f"[d20]\nhost={spec['host']}\nport={spec['port']}\nuser=postgres\ndbname=postgres\n",
        encoding="utf-8",
    )
    connection = await pgasync.connect(service="d20", servicefile=str(services))
    await connection.close()
    monkeypatch.setenv("PGSERVICE", "d20")
    monkeypatch.setenv("PGSERVICEFILE", str(services))
    connection = await pgasync.connect()
    try:
        assert await connection.fetchval("SELECT current_user") == "postgres"
    finally:
        await connection.close()


async def test_D21_no_callback_outlives_its_connection(cluster: Cluster) -> None:
    started, cancelled = asyncio.Event(), asyncio.Event()

    async def slow(*_: object) -> None:
        started.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    for end in ("close", "terminate"):
        started.clear()
        cancelled.clear()
        connection = await pgasync.connect(cluster.dsn())
        await connection.add_listener("d21", slow)
        await connection.execute("NOTIFY d21")
        await asyncio.wait_for(started.wait(), 5)
        began = time.monotonic()
        if end == "close":
            await connection.close()
        else:
            connection.terminate()
        await asyncio.wait_for(cancelled.wait(), 3)
        assert time.monotonic() - began < 3, end


async def test_D22_not_callable_message(connection: pgasync.Connection) -> None:
    with pytest.raises(
        pgasync.InterfaceError, match=r"^expected a callable or an `async def` function, got 42$"
    ):
        await connection.add_listener("d22", 42)  # type: ignore[arg-type]  # the wrong type is the point


async def test_D23_scram_over_tls_uses_channel_binding(
    cluster: Cluster, server_users: dict[str, ServerUser], monkeypatch: pytest.MonkeyPatch
) -> None:
    require_tls(cluster)
    user = server_users["scram-sha-256"]
    spec = cluster.connection_spec(user.name, user.password)
    connection = await pgasync.connect(**spec, ssl="require")
    try:
        assert await uses_tls(connection)
    finally:
        await connection.close()
    # The server compares SCRAM-SHA-256-PLUS binding data with its certificate: wrong data is
    # refused, so the connection above used the binding.
    monkeypatch.setattr(_attempt, "tls_server_end_point_data", lambda der: b"\x00" * 32)
    with pytest.raises(pgasync.InvalidAuthorizationSpecificationError, match="channel binding"):
        await pgasync.connect(**spec, ssl="require")


async def pool_pids(monitor: pgasync.Connection, name: str) -> set[int]:
    rows = await monitor.fetch("SELECT pid FROM pg_stat_activity WHERE application_name = $1", name)
    return {row[0] for row in rows}


async def test_D24_expire_connections_closes_idle_ones_at_once(cluster: Cluster) -> None:
    monitor = await pgasync.connect(cluster.dsn())
    settings = {"application_name": "d24"}
    try:
        pool = pgasync.create_pool(cluster.dsn(), min_size=2, max_size=2, server_settings=settings)
        async with pool:
            before = await pool_pids(monitor, "d24")
            assert len(before) == 2
            await pool.expire_connections()
            deadline = time.monotonic() + 5
            while (await pool_pids(monitor, "d24")) & before and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            assert not (await pool_pids(monitor, "d24")) & before  # no acquire needed
    finally:
        await monitor.close()


async def test_D25_connections_are_retired_by_age(cluster: Cluster) -> None:
    assert inspect.signature(pgasync.create_pool).parameters["max_lifetime"].default == 3600
    pool = pgasync.create_pool(cluster.dsn(), min_size=1, max_size=1, max_lifetime=0.3, lifetime_jitter=0)
    async with pool:
        first = await pool.fetchval("SELECT pg_backend_pid()")
        await asyncio.sleep(0.6)
        assert await pool.fetchval("SELECT pg_backend_pid()") != first


async def test_D26_idle_connections_are_checked_before_hand_out(cluster: Cluster) -> None:
    assert inspect.signature(pgasync.create_pool).parameters["health_check_after"].default == 10
    monitor = await pgasync.connect(cluster.dsn())
    settings = {"application_name": "d26"}
    last_query = "SELECT query FROM pg_stat_activity WHERE application_name = 'd26'"
    try:
        async with pgasync.create_pool(
            cluster.dsn(), min_size=1, max_size=1, health_check_after=0.2, server_settings=settings
        ) as pool:
            await pool.fetchval("SELECT 'd26'")
            assert "RESET ALL" in await monitor.fetchval(last_query)  # the release's reset
            await asyncio.sleep(0.4)
            async with pool.acquire():
                assert await monitor.fetchval(last_query) == ""  # the check: an empty query
    finally:
        await monitor.close()


async def test_D27_connect_hook_gets_no_loop(cluster: Cluster) -> None:
    seen: list[set[str]] = []

    async def connect(dsn: str, **options: Any) -> pgasync.Connection:
        seen.append(set(options))
        connection: pgasync.Connection = await pgasync.connect(dsn, **options)
        return connection

    async with pgasync.create_pool(cluster.dsn(), min_size=1, max_size=1, connect=connect):
        pass
    assert seen and all("loop" not in options for options in seen), seen


async def test_D28_listener_warning_text(cluster: Cluster) -> None:
    async with pgasync.create_pool(cluster.dsn(), min_size=1, max_size=1) as pool:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            async with pool.acquire() as connection:
                await connection.add_listener("d28", lambda *_: None)
    texts = [str(warning.message) for warning in caught]
    ending = "is being released to the pool but has active notification or log listeners"
    assert any(text.endswith(ending) for text in texts), texts


async def test_D29_proxy_class_per_connection_class(cluster: Cluster) -> None:
    async with (
        pgasync.create_pool(cluster.dsn(), min_size=1, max_size=1) as pool,
        pool.acquire() as connection,
    ):
        kind = type(connection)
    assert kind.__name__ == "PoolConnectionProxy[Connection]"
    assert issubclass(kind, pgasync.pool.PoolConnectionProxy) and kind is not pgasync.pool.PoolConnectionProxy


async def test_D30_pool_repr_shows_its_state(cluster: Cluster) -> None:
    async with pgasync.create_pool(cluster.dsn(), min_size=1, max_size=2) as pool:
        assert repr(pool) == "<pgasync.Pool open size=1 in_use=0 idle=1 waiting=0 max=2>"
    assert repr(pool).startswith("<pgasync.Pool closed ")


async def test_D31_a_failed_release_keeps_the_blocks_cancellation(cluster: Cluster) -> None:
    async def slow_reset(connection: Any) -> None:
        await asyncio.sleep(1)  # outlasts the acquire's timeout, which bounds the reset

    async with pgasync.create_pool(cluster.dsn(), min_size=1, max_size=1, reset=slow_reset) as pool:
        entered = asyncio.Event()

        async def body() -> None:
            async with pool.acquire(timeout=0.05) as connection:
                entered.set()
                await connection.execute("SELECT pg_sleep(10)")

        task = asyncio.ensure_future(body())
        await entered.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert pool.get_stats().connections_recycled == 1  # terminated, and replaced
        assert await pool.fetchval("SELECT 1") == 1
