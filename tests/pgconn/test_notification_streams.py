"""Notification streams (``Connection.listen``) against the real server: LISTEN and UNLISTEN,
order, the overflow policy, and how a stream ends on close and on loss."""

from __future__ import annotations

import asyncio

import pytest

from pgconn._notification_stream import Notification, NotificationOverflowError
from pgwire.exceptions import ConnectionDoesNotExistError, InterfaceError
from tests.pgconn.conftest import ConnectionFactory
from tests.pgconn.listen_helpers import channels_of, eventually


async def test_delivered_when_sent_during_a_query(connect: ConnectionFactory) -> None:
    listener, notifier = await connect(), await connect()
    calls: list[str] = []
    await listener.add_listener("busy", lambda *args: calls.append(args[3]))

    async def notify_soon() -> None:
        await asyncio.sleep(0.1)
        await notifier.execute("NOTIFY busy, 'during'")

    async with listener.listen("busy") as stream:
        sender = asyncio.ensure_future(notify_soon())
        # The server holds the notification while the query runs and sends it once idle.
        assert await listener.fetchval("SELECT 1 FROM pg_sleep(0.3)") == 1
        await sender
        notification = await asyncio.wait_for(anext(stream), 5)
        assert len(stream) == 0
    assert notification == Notification(notifier.get_server_pid(), "busy", "during")
    assert calls == ["during"]


async def test_many_notifications_in_order_none_twice(connect: ConnectionFactory) -> None:
    listener, notifier = await connect(), await connect()
    calls: list[str] = []
    await listener.add_listener("many", lambda *args: calls.append(args[3]))
    async with listener.listen("many", max_size=2000) as stream:
        # 600 in one transaction (delivered together at commit), 400 in transactions of their own.
        await notifier.execute("SELECT pg_notify('many', n::text) FROM generate_series(0, 599) AS n")
        for number in range(600, 1000):
            await notifier.execute(f"NOTIFY many, '{number}'")
        streamed: list[str] = []
        async for notification in stream:
            streamed.append(notification.payload)
            if len(streamed) == 1000:
                break
    await eventually(lambda: len(calls) == 1000)
    await asyncio.sleep(0.05)
    expected = [str(number) for number in range(1000)]
    assert streamed == expected
    assert calls == expected


async def test_stream_listens_and_unlistens(connect: ConnectionFactory) -> None:
    listener, notifier = await connect(), await connect()
    await listener.add_listener("a", print)
    async with listener.listen("a", "b", "b") as stream:
        assert stream.channels == ("a", "b")
        assert await channels_of(listener) == ["a", "b"]
        await notifier.execute("NOTIFY b, '1'; NOTIFY a, '2'; NOTIFY other, '3'")
        pid = notifier.get_server_pid()
        assert await anext(stream) == Notification(pid, "b", "1")
        assert await anext(stream) == Notification(pid, "a", "2")
        assert len(stream) == 0
    # "a" still has its callback; "b" had only the stream.
    assert await channels_of(listener) == ["a"]
    with pytest.raises(StopAsyncIteration):
        await anext(stream)


async def test_stream_overflow_is_reported_after_the_buffered_notifications(
    connect: ConnectionFactory,
) -> None:
    listener, notifier = await connect(), await connect()
    calls: list[str] = []
    await listener.add_listener("flood", lambda *args: calls.append(args[3]))
    async with listener.listen("flood", max_size=5) as stream:
        await notifier.execute("SELECT pg_notify('flood', n::text) FROM generate_series(1, 8) AS n")
        await eventually(lambda: stream.is_ended)
        await notifier.execute("NOTIFY flood, 'after the gap'")
        # The callback saw every one, the late one too: the stream has counted them all.
        await eventually(lambda: len(calls) == 9)
        received = [(await anext(stream)).payload for _ in range(5)]
        assert received == ["1", "2", "3", "4", "5"]
        with pytest.raises(NotificationOverflowError) as info:
            await anext(stream)
        assert (info.value.lost, info.value.max_size) == (4, 5)
        assert str(info.value).startswith("notification stream overflowed: 4 notification(s) on 'flood'")
        assert isinstance(info.value, InterfaceError)
        with pytest.raises(StopAsyncIteration):
            await anext(stream)


async def test_stream_ends_on_close_after_the_buffered_notifications(connect: ConnectionFactory) -> None:
    listener, notifier = await connect(), await connect()
    async with listener.listen("closing") as stream:
        waiting = asyncio.ensure_future(anext(stream))
        await notifier.execute("NOTIFY closing, 'one'; NOTIFY closing, 'two'")
        assert (await waiting).payload == "one"
        await eventually(lambda: len(stream) == 1)
        await listener.close()
        assert [notification.payload async for notification in stream] == ["two"]
    # Leaving the block after the close sends nothing (the connection is closed).


async def test_stream_raises_when_the_connection_is_lost(connect: ConnectionFactory) -> None:
    listener, admin = await connect(), await connect()
    async with listener.listen("doomed") as stream:
        waiting = asyncio.ensure_future(anext(stream))
        await admin.execute("NOTIFY doomed, 'last words'")
        assert (await waiting).payload == "last words"
        waiting = asyncio.ensure_future(anext(stream))
        await asyncio.sleep(0.05)
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", listener.get_server_pid())
        with pytest.raises(ConnectionDoesNotExistError):
            await asyncio.wait_for(waiting, 5)
    assert listener.is_closed()


async def test_a_cancelled_read_loses_nothing(connect: ConnectionFactory) -> None:
    listener, notifier = await connect(), await connect()
    async with listener.listen("patient") as stream:
        waiting = asyncio.ensure_future(anext(stream))
        await asyncio.sleep(0.02)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        await notifier.execute("NOTIFY patient, 'kept'")
        assert (await asyncio.wait_for(anext(stream), 5)).payload == "kept"
