"""Listeners against the real server: LISTEN/NOTIFY callbacks, log messages, termination
listeners, query loggers, and how they behave on close, loss and reset (streams:
test_notification_streams.py)."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

import pgconn
from pgasync.cluster import Cluster, ServerUser
from pgconn._listeners import LoggedQuery
from pgwire.exceptions import (
    InterfaceError,
    NoActiveSQLTransactionError,
    PostgresLogMessage,
    PostgresWarning,
    StringDataRightTruncation,
)
from tests.pgconn.conftest import ConnectionFactory
from tests.pgconn.listen_helpers import channels_of, eventually

Received = list[tuple[Any, ...]]


@contextmanager
def exception_handler(loop: asyncio.AbstractEventLoop) -> Iterator[list[dict[str, Any]]]:
    """Collect what reaches the loop's exception handler inside the block."""
    contexts: list[dict[str, Any]] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: contexts.append(context))
    try:
        yield contexts
    finally:
        loop.set_exception_handler(previous)


# -- notification callbacks ---------------------------------------------------------------------


async def test_notify_reaches_sync_and_async_callbacks(connect: ConnectionFactory) -> None:
    listener, notifier = await connect(), await connect()
    sync_calls: Received = []
    async_calls: Received = []

    def on_sync(connection: Any, pid: int, channel: str, payload: str) -> None:
        sync_calls.append((connection, pid, channel, payload))

    async def on_async(connection: Any, pid: int, channel: str, payload: str) -> None:
        await asyncio.sleep(0)
        async_calls.append((connection, pid, channel, payload))

    await listener.add_listener("jobs", on_sync)
    await listener.add_listener("jobs", on_async)
    await notifier.execute("NOTIFY jobs, 'hello'")
    await notifier.execute("NOTIFY jobs")
    await eventually(lambda: len(sync_calls) == 2 and len(async_calls) == 2)
    pid = notifier.get_server_pid()
    expected = [(listener, pid, "jobs", "hello"), (listener, pid, "jobs", "")]
    assert sync_calls == expected
    assert sorted(async_calls, key=lambda call: call[3], reverse=True) == expected
    assert pid != listener.get_server_pid()


@pytest.mark.parametrize("channel", ['12+"34', "with space", "Ünïcødé ✓", "MixedCase", "'quoted'"])
async def test_channel_names_are_quoted_identifiers(connect: ConnectionFactory, channel: str) -> None:
    listener, notifier = await connect(), await connect()
    calls: Received = []
    await listener.add_listener(channel, lambda *args: calls.append(args[1:]))
    assert await channels_of(listener) == [channel]
    await notifier.execute("SELECT pg_notify($1, 'x')", channel)
    await eventually(lambda: len(calls) == 1)
    assert calls == [(notifier.get_server_pid(), channel, "x")]
    await listener.remove_listener(channel, print)  # never added: nothing happens
    assert await channels_of(listener) == [channel]


async def test_listen_on_first_callback_unlisten_on_last(conn: pgconn.Connection) -> None:
    def first(*args: Any) -> None: ...

    async def second(*args: Any) -> None: ...

    assert await channels_of(conn) == []
    await conn.add_listener("c1", first)
    await conn.add_listener("c1", first)  # the same callable again counts once
    await conn.add_listener("c1", second)
    await conn.add_listener("c2", first)
    assert await channels_of(conn) == ["c1", "c2"]
    await conn.remove_listener("c1", first)
    assert await channels_of(conn) == ["c1", "c2"]
    await conn.remove_listener("c1", second)
    assert await channels_of(conn) == ["c2"]
    await conn.remove_listener("c1", second)  # already removed: nothing happens
    await conn.remove_listener("c2", first)
    assert await channels_of(conn) == []


async def test_the_same_callable_added_twice_is_called_once(connect: ConnectionFactory) -> None:
    listener, notifier = await connect(), await connect()
    calls: Received = []

    class Counter:
        def on_notify(self, *args: Any) -> None:
            calls.append(args)

    counter = Counter()
    await listener.add_listener("twice", counter.on_notify)  # a fresh bound method each time, equal
    await listener.add_listener("twice", counter.on_notify)
    await notifier.execute("NOTIFY twice")
    await notifier.execute("NOTIFY twice, 'end'")
    await eventually(lambda: len(calls) == 2)
    await asyncio.sleep(0.05)
    assert len(calls) == 2


async def test_bad_arguments_and_closed_connections(connect: ConnectionFactory) -> None:
    conn = await connect()
    with pytest.raises(InterfaceError, match=r"^expected a callable or an `async def` function, got 42$"):
        await conn.add_listener("c", 42)  # type: ignore[arg-type]  # the wrong type on purpose
    with pytest.raises(InterfaceError, match=r"^channel is expected to be a str, got int$"):
        await conn.add_listener(7, print)  # type: ignore[arg-type]  # the wrong type on purpose
    with pytest.raises(InterfaceError, match="NUL character"):
        await conn.add_listener("a\x00b", print)
    with pytest.raises(InterfaceError, match=r"^channel must not be empty$"):
        conn.listen("ok", "")
    assert await channels_of(conn) == []  # nothing was sent
    for register in (conn.add_log_listener, conn.add_termination_listener, conn.add_query_logger):
        with pytest.raises(InterfaceError, match=r"^expected a callable"):
            register("nope")  # type: ignore[arg-type]  # the wrong type on purpose
    with pytest.raises(InterfaceError, match="at least one channel"):
        conn.listen()
    with pytest.raises(InterfaceError, match="max_size"):
        conn.listen("c", max_size=0)
    await conn.add_listener("c", print)
    await conn.close()
    with pytest.raises(InterfaceError, match=r"^connection is closed$"):
        await conn.add_listener("c", print)
    with pytest.raises(InterfaceError, match=r"^connection is closed$"):
        conn.add_log_listener(print)
    with pytest.raises(InterfaceError, match=r"^connection is closed$"):
        async with conn.listen("c"):
            pass
    await conn.remove_listener("c", print)  # closed: nothing happens
    conn.remove_log_listener(print)


async def test_a_failed_listen_leaves_nothing_registered(conn: pgconn.Connection) -> None:
    busy = asyncio.ensure_future(conn.execute("SELECT pg_sleep(0.2)"))
    await asyncio.sleep(0.05)
    with pytest.raises(InterfaceError, match="another operation is in progress"):
        await conn.add_listener("later", print)
    await busy
    assert not conn._listeners.is_listening("later")
    await conn.add_listener("later", print)
    assert await channels_of(conn) == ["later"]


# -- when notifications arrive --------------------------------------------------------------------


async def test_delivered_while_idle(connect: ConnectionFactory) -> None:
    listener, notifier = await connect(), await connect()
    arrived = asyncio.Event()
    await listener.add_listener("idle", lambda *args: arrived.set())
    await notifier.execute("NOTIFY idle")
    # The listening connection runs nothing: the notification arrives on its own.
    await asyncio.wait_for(arrived.wait(), 5)


async def test_delivered_between_operations_in_order(connect: ConnectionFactory) -> None:
    listener, notifier = await connect(), await connect()
    calls: list[str] = []
    await listener.add_listener("between", lambda *args: calls.append(args[3]))
    for number in range(20):
        await notifier.execute(f"NOTIFY between, '{number}'")
        assert await listener.fetchval("SELECT $1::int", number) == number
    await eventually(lambda: len(calls) == 20)
    assert calls == [str(number) for number in range(20)]


# -- callback errors and task ownership ------------------------------------------------------


async def test_callback_errors_reach_the_loop_exception_handler(connect: ConnectionFactory) -> None:
    listener, notifier = await connect(), await connect()

    def failing_sync(*args: Any) -> None:
        raise ValueError("sync boom")

    async def failing_async(*args: Any) -> None:
        await asyncio.sleep(0)
        raise RuntimeError("async boom")

    def failing_log(*args: Any) -> None:
        raise KeyError("log boom")

    with exception_handler(asyncio.get_running_loop()) as contexts:
        await listener.add_listener("oops", failing_sync)
        await listener.add_listener("oops", failing_async)
        listener.add_log_listener(failing_log)
        await notifier.execute("NOTIFY oops")
        await listener.execute("DO $$ BEGIN RAISE NOTICE 'hi'; END $$")
        await eventually(lambda: len(contexts) == 3)
    errors = sorted((type(context["exception"]).__name__, str(context["exception"])) for context in contexts)
    assert errors == [("KeyError", "'log boom'"), ("RuntimeError", "async boom"), ("ValueError", "sync boom")]
    assert all(context["connection"] is listener for context in contexts)
    assert all(context["message"].startswith("unhandled exception in ") for context in contexts)
    assert await listener.fetchval("SELECT 42") == 42  # the connection does not mind


async def test_close_waits_for_callback_tasks_and_cancels_the_stuck_ones(connect: ConnectionFactory) -> None:
    listener, notifier = await connect(), await connect()
    events: list[str] = []

    async def quick(*args: Any) -> None:
        await asyncio.sleep(0.05)
        events.append("quick done")

    async def stuck(*args: Any) -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            events.append("stuck cancelled")
            raise

    await listener.add_listener("work", quick)
    await listener.add_listener("work", stuck)
    await notifier.execute("NOTIFY work")
    await eventually(lambda: len(listener._listeners._tasks) == 2)
    tasks = set(listener._listeners._tasks)
    started = asyncio.get_running_loop().time()
    await listener.close()
    assert asyncio.get_running_loop().time() - started < 4
    assert all(task.done() for task in tasks)
    assert sorted(events) == ["quick done", "stuck cancelled"]


async def test_terminate_cancels_callback_tasks(connect: ConnectionFactory) -> None:
    listener, notifier = await connect(), await connect()
    started, cancelled = asyncio.Event(), asyncio.Event()

    async def stuck(*args: Any) -> None:
        started.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    await listener.add_listener("work", stuck)
    await notifier.execute("NOTIFY work")
    await asyncio.wait_for(started.wait(), 5)
    listener.terminate()
    await asyncio.wait_for(cancelled.wait(), 5)
    await eventually(lambda: not listener._listeners._tasks)


async def test_a_callback_may_close_its_own_connection(connect: ConnectionFactory) -> None:
    listener, notifier = await connect(), await connect()
    closed = asyncio.Event()

    async def close_it(connection: pgconn.Connection, *args: Any) -> None:
        await connection.close()
        closed.set()

    await listener.add_listener("bye", close_it)
    await notifier.execute("NOTIFY bye")
    await asyncio.wait_for(closed.wait(), 3)  # well under the grace period: no waiting for itself
    assert listener.is_closed()


async def test_callbacks_run_before_the_triggering_await_resumes(conn: pgconn.Connection) -> None:
    seen: list[str] = []

    def sync_listener(connection: Any, message: Any) -> None:
        seen.append("sync " + message.message)

    async def async_listener(connection: Any, message: Any) -> None:
        seen.append("async " + message.message)

    conn.add_log_listener(sync_listener)
    conn.add_log_listener(async_listener)
    await conn.execute("DO $$ BEGIN RAISE NOTICE 'first'; END $$")
    assert seen == ["sync first", "async first"]


# -- termination listeners ---------------------------------------------------------------------


async def _termination_calls(connection: pgconn.Connection) -> tuple[Received, Received]:
    sync_calls: Received = []
    async_calls: Received = []

    async def on_async(conn: Any) -> None:
        async_calls.append((conn, conn.is_closed()))

    connection.add_termination_listener(lambda conn: sync_calls.append((conn, conn.is_closed())))
    connection.add_termination_listener(on_async)
    return sync_calls, async_calls


async def test_termination_listeners_fire_once_on_close(conn: pgconn.Connection) -> None:
    sync_calls, async_calls = await _termination_calls(conn)
    removed: Received = []
    conn.add_termination_listener(removed.append)
    conn.remove_termination_listener(removed.append)
    await conn.close()  # close() lets the async one finish
    assert sync_calls == [(conn, True)] and async_calls == [(conn, True)]
    await conn.close()
    conn.terminate()
    await asyncio.sleep(0.01)
    assert len(sync_calls) == 1 and len(async_calls) == 1 and removed == []


async def test_termination_listeners_fire_once_on_terminate(conn: pgconn.Connection) -> None:
    sync_calls, async_calls = await _termination_calls(conn)
    conn.terminate()
    await eventually(lambda: len(sync_calls) == 1 and len(async_calls) == 1)
    conn.terminate()
    await conn.close()
    assert sync_calls == [(conn, True)] and async_calls == [(conn, True)]


async def test_termination_listeners_fire_when_the_server_ends_the_session(
    connect: ConnectionFactory,
) -> None:
    conn, admin = await connect(), await connect()
    sync_calls, async_calls = await _termination_calls(conn)
    assert await admin.fetchval("SELECT pg_terminate_backend($1)", conn.get_server_pid())
    await eventually(lambda: len(sync_calls) == 1 and len(async_calls) == 1)
    assert sync_calls == [(conn, True)] and async_calls == [(conn, True)]
    await conn.close()
    assert len(sync_calls) == 1


async def test_a_connection_with_listeners_dropped_while_open_still_warns(cluster: Cluster) -> None:
    connection = await pgconn.connect(cluster.dsn())
    await connection.add_listener("dropped", print)
    connection.add_log_listener(print)
    connection.add_termination_listener(print)
    protocol = connection._protocol
    with pytest.warns(ResourceWarning, match="unclosed connection"):
        del connection
        gc.collect()
    await eventually(lambda: protocol.is_lost)


# -- log listeners --------------------------------------------------------------------------


async def test_log_messages_get_the_class_of_their_sqlstate(conn: pgconn.Connection) -> None:
    messages: list[Any] = []
    conn.add_log_listener(lambda connection, message: messages.append((connection, message)))
    notice_sql = "DO $$ BEGIN RAISE NOTICE 'plain notice'; END $$"
    await conn.execute(notice_sql)
    await conn.execute("DO $$ BEGIN RAISE WARNING 'cut short' USING ERRCODE = '01004'; END $$")
    await conn.execute("DO $$ BEGIN RAISE WARNING 'odd code' USING ERRCODE = '99999'; END $$")
    await conn.execute("ROLLBACK")
    assert all(connection is conn for connection, _ in messages)
    notice, truncation, unknown, rollback = (message for _, message in messages)

    assert type(notice) is PostgresLogMessage
    assert (notice.severity, notice.sqlstate, notice.message) == ("NOTICE", "00000", "plain notice")
    assert notice.query == notice_sql
    assert str(notice) == "PostgresLogMessage: plain notice"

    assert type(truncation) is StringDataRightTruncation and isinstance(truncation, PostgresWarning)
    assert (truncation.severity, truncation.sqlstate) == ("WARNING", "01004")

    assert type(unknown) is PostgresWarning and unknown.sqlstate == "99999"

    # An error class for a WARNING: what the server sends for a stray ROLLBACK.
    assert type(rollback) is NoActiveSQLTransactionError
    assert (rollback.severity, rollback.sqlstate) == ("WARNING", "25P01")
    assert str(rollback) == "there is no transaction in progress"


async def test_log_listeners_respect_client_min_messages_and_removal(conn: pgconn.Connection) -> None:
    messages: list[str] = []

    def listener(connection: Any, message: Any) -> None:
        messages.append(message.message)

    conn.add_log_listener(listener)
    conn.add_log_listener(listener)  # counts once
    await conn.execute("SET client_min_messages = warning")
    await conn.execute("DO $$ BEGIN RAISE NOTICE 'hidden'; RAISE WARNING 'shown'; END $$")
    conn.remove_log_listener(listener)
    conn.remove_log_listener(listener)  # not registered any more: nothing happens
    await conn.execute("DO $$ BEGIN RAISE WARNING 'unheard'; END $$")
    assert messages == ["shown"]


# -- reset --------------------------------------------------------------------------------


async def test_reset_clears_notification_and_log_listeners_only(connect: ConnectionFactory) -> None:
    conn, notifier = await connect(), await connect()
    notified: Received = []
    logged: list[Any] = []
    terminated: list[Any] = []
    queries: list[LoggedQuery] = []
    await conn.add_listener("kept", lambda *args: notified.append(args))
    conn.add_log_listener(lambda connection, message: logged.append(message))
    conn.add_termination_listener(terminated.append)
    conn.add_query_logger(queries.append)
    async with conn.listen("streamed") as stream:
        await conn.reset()
        assert await channels_of(conn) == []
        assert stream.is_ended
        with pytest.raises(StopAsyncIteration):
            await anext(stream)
    await notifier.execute("NOTIFY kept; NOTIFY streamed")
    await conn.execute("DO $$ BEGIN RAISE NOTICE 'after reset'; END $$")
    await conn.execute("SELECT 1")
    await asyncio.sleep(0.05)
    assert notified == [] and logged == []
    await conn.close()
    assert terminated == [conn]  # the termination listener stayed
    assert conn._listeners.has_query_loggers  # so did the query logger
    assert any(record.query == "SELECT 1" for record in queries)


# -- query loggers ---------------------------------------------------------------------------


async def test_query_logger_records_and_never_shows_the_password(
    connect: ConnectionFactory, server_users: dict[str, ServerUser]
) -> None:
    user = server_users["scram-sha-256"]
    assert user.password is not None
    conn = await connect(user=user.name, password=user.password)
    records: list[LoggedQuery] = []
    conn.add_query_logger(records.append)
    await conn.fetchval("SELECT $1::int", 7, timeout=30)
    with pytest.raises(Exception, match="division by zero"):
        await conn.execute("SELECT 1 / 0")
    await eventually(lambda: len(records) >= 2)
    ok = next(record for record in records if record.query == "SELECT $1::int")
    failed = next(record for record in records if record.query == "SELECT 1 / 0")
    assert tuple(ok.args) == (7,) and ok.timeout == 30 and ok.exception is None
    assert ok.elapsed >= 0
    assert type(failed.exception).__name__ == "DivisionByZeroError"
    address = conn._address
    assert ok.conn_addr == (address.host, address.port)
    assert ok.conn_params.user == user.name and ok.conn_params.password is None
    for record in records:
        assert user.password not in repr(record)
        assert user.password not in str(record)
    conn.remove_query_logger(records.append)
    count = len(records)
    await conn.execute("SELECT 2")
    await asyncio.sleep(0.02)
    assert len(records) == count


async def test_query_logger_context_manager_removes_on_error(conn: pgconn.Connection) -> None:
    records: list[LoggedQuery] = []

    async def async_logger(record: LoggedQuery) -> None:
        records.append(record)

    with pytest.raises(ZeroDivisionError), conn.query_logger(async_logger):
        await conn.execute("SELECT 'inside'")
        await eventually(lambda: len(records) == 1)
        _ = 1 / 0
    assert not conn._listeners.has_query_loggers
    await conn.execute("SELECT 'outside'")
    await asyncio.sleep(0.02)
    assert [record.query for record in records] == ["SELECT 'inside'"]
