"""The scripted fake server's own tests (tests/faults/fake_server.py), driven by pgconn and raw sockets.

A real client (:func:`pgconn.connect`) logs in, gets scripted rows, blocks at a named point
until the test releases it, and cancels a query the script never answers; raw sockets check
what the server records of CancelRequests and how a failing script reaches the test.
"""

from __future__ import annotations

import asyncio
import struct
import time

import pytest

import pgconn
import pgwire
from pgwire.exceptions import ConnectionDoesNotExistError, FeatureNotSupportedError
from tests.faults import FakeServer, FakeSession, UnexpectedMessageError, answer_queries

IDLE = pgwire.TransactionStatus.IDLE
#: Generous bound for anything that could hang.
LIMIT = 10

INT4, TEXT = 23, 25
FIELDS = (
    pgwire.FieldDescription("n", 0, 0, INT4, 4, -1, 0),
    pgwire.FieldDescription("word", 0, 0, TEXT, -1, -1, 0),
)
ROWS = [(1, "one"), (2, "two"), (3, None)]


def encode_row(row: tuple[int, str | None], formats: tuple[int, ...]) -> pgwire.DataRow:
    """``row`` as a DataRow in the result formats a Bind asked for (none: text; one: for all)."""
    codes = formats * len(row) if len(formats) == 1 else formats or (0,) * len(row)
    number, word = row
    n = struct.pack("!i", number) if codes[0] == 1 else str(number).encode()
    return pgwire.DataRow((n, None if word is None else word.encode()))


async def test_pgconn_connects_and_the_default_handler_answers() -> None:
    async with FakeServer() as server:
        conn = await pgconn.connect(server.dsn(user="alice", database="app"))
        try:
            session = await server.wait_for_session()
            assert conn.get_server_pid() == session.process_id
            assert conn.get_server_version().major == 15
            assert conn.get_settings().session_authorization == "alice"
            assert conn.get_settings().client_encoding == "UTF8"
            startup = session.startup
            assert (startup.get("user"), startup.get("database"), startup.get("client_encoding")) == (
                "alice",
                "app",
                "UTF8",
            )
            async with asyncio.timeout(LIMIT):
                assert await conn.execute("UPDATE t SET x = 1") == "SELECT 0"
                # The extended protocol is refused cleanly, and the session stays in sync.
                with pytest.raises(FeatureNotSupportedError, match="does not answer Parse"):
                    await conn.fetch("SELECT 1")
                assert await conn.execute("SELECT 2") == "SELECT 0"
        finally:
            await conn.close()
        async with asyncio.timeout(LIMIT):
            await session.wait_finished()
    assert session.received[0] == pgwire.Query("UPDATE t SET x = 1")
    assert session.received[-1] == pgwire.Terminate()
    assert server.sessions == [session] and server.errors == []


async def test_a_scripted_query_returns_scripted_rows() -> None:
    binds: list[pgwire.Bind] = []

    async def script(session: FakeSession) -> None:
        parse = await session.expect(pgwire.Parse)
        assert await session.expect(pgwire.Describe) == pgwire.Describe("S", parse.name)
        await session.expect(pgwire.Sync)
        session.send(
            pgwire.ParseComplete(),
            pgwire.ParameterDescription(()),
            pgwire.RowDescription(FIELDS),
            pgwire.ReadyForQuery(IDLE),
        )
        bind = await session.expect(pgwire.Bind)
        binds.append(bind)
        await session.expect(pgwire.Execute)
        await session.expect(pgwire.Sync)
        rows = [encode_row(row, bind.result_formats) for row in ROWS]
        session.send(pgwire.BindComplete(), *rows, pgwire.CommandComplete("SELECT 3"))
        session.send_ready()
        await answer_queries(session)

    async with FakeServer(script) as server:
        conn = await pgconn.connect(server.dsn())
        try:
            async with asyncio.timeout(LIMIT):
                records = await conn.fetch("SELECT n, word FROM words")
        finally:
            await conn.close()
    assert [(record["n"], record["word"]) for record in records] == ROWS
    [parse] = [m for m in server.sessions[0].received if isinstance(m, pgwire.Parse)]
    assert parse.query == "SELECT n, word FROM words" and binds[0].statement == parse.name


async def test_a_named_point_is_reached_and_released() -> None:
    async def script(session: FakeSession) -> None:
        await session.expect(pgwire.Query)
        await session.pause("after-query")
        session.send(pgwire.CommandComplete("UPDATE 7"), pgwire.ReadyForQuery(IDLE))
        await answer_queries(session)

    async with FakeServer(script) as server:
        first = await pgconn.connect(server.dsn())
        second = await pgconn.connect(server.dsn())
        try:
            async with asyncio.timeout(LIMIT):
                query = asyncio.create_task(first.execute("UPDATE t SET x = 1"))
                session = await server.reached("after-query")
                assert session.received == [pgwire.Query("UPDATE t SET x = 1")]
                assert session.process_id == first.get_server_pid()
                assert not query.done()  # held at the point, not by chance
                server.release("after-query")
                assert await query == "UPDATE 7"
                # A released point lets later sessions through at once.
                assert await second.execute("UPDATE t SET x = 2") == "UPDATE 7"
        finally:
            await first.close()
            await second.close()


async def test_a_timeouts_cancel_request_is_recorded() -> None:
    async def script(session: FakeSession) -> None:
        batch = await session.receive_until(pgwire.Sync)
        assert [type(message) for message in batch] == [pgwire.Parse, pgwire.Describe, pgwire.Sync]
        # Answered only once cancelled, as a server does, so pgconn's resync ends either way.
        await session.answer_cancel()
        await answer_queries(session)

    async with FakeServer(script) as server:
        conn = await pgconn.connect(server.dsn())
        try:
            started = time.monotonic()
            async with asyncio.timeout(LIMIT):
                with pytest.raises(TimeoutError):
                    await conn.fetch("SELECT pg_sleep(60)", timeout=0.2)
                request = await server.wait_for_cancel_request()
            assert time.monotonic() - started < 5
            session = server.sessions[0]
            assert request.process_id == conn.get_server_pid() == session.process_id
            assert request.secret_key == session.secret_key
            assert session.cancel_requests == [request]
            assert len(server.sessions) == 1  # the cancel's own connection is no session
        finally:
            conn.terminate()


async def test_cancelling_the_task_at_a_named_point_sends_a_cancel_request() -> None:
    async def script(session: FakeSession) -> None:
        await session.receive_until(pgwire.Sync)
        await session.pause("described")
        await session.answer_cancel()
        await answer_queries(session)

    async with FakeServer(script) as server:
        conn = await pgconn.connect(server.dsn())
        try:
            async with asyncio.timeout(LIMIT):
                query = asyncio.create_task(conn.fetch("SELECT 1", timeout=LIMIT))
                session = await server.reached("described")
                assert server.cancel_requests == []  # nothing was cancelled yet
                server.release("described")
                query.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await query
                request = await server.wait_for_cancel_request()
            assert (request.process_id, request.secret_key) == (session.process_id, session.secret_key)
        finally:
            conn.terminate()


async def test_a_cancel_request_is_recorded_and_never_answered() -> None:
    async with FakeServer() as server:
        conn = await pgconn.connect(server.dsn())
        try:
            session = await server.wait_for_session()
            reader, writer = await asyncio.open_connection(server.host, server.port)
            try:
                wrong_key = bytes(b ^ 0xFF for b in session.secret_key)
                writer.write(pgwire.CancelRequest(session.process_id, wrong_key).encode())
                async with asyncio.timeout(LIMIT):
                    assert await reader.read() == b""  # closed without a byte of answer
            finally:
                writer.close()
                await writer.wait_closed()
            assert server.cancel_requests == [pgwire.CancelRequest(session.process_id, wrong_key)]
            assert session.cancel_requests == []  # not this session's key
        finally:
            await conn.close()


async def test_ssl_is_refused() -> None:
    async with FakeServer() as server:
        with pytest.raises(ConnectionError, match="rejected SSL upgrade"):
            await pgconn.connect(server.dsn(), ssl="require", timeout=LIMIT)
        assert server.sessions == [] and server.errors == []


async def test_garbage_from_the_script_is_a_protocol_error_for_the_client() -> None:
    async def script(session: FakeSession) -> None:
        await session.expect(pgwire.Query)
        session.send_raw(b"\xff\x00\x00\x00\x04")  # a message type no backend sends
        await session.drain()

    async with FakeServer(script) as server:
        conn = await pgconn.connect(server.dsn())
        try:
            async with asyncio.timeout(LIMIT):
                with pytest.raises(pgwire.ProtocolError, match=r"unknown backend message type .* \(0xff\)"):
                    await conn.execute("SELECT 1")
        finally:
            conn.terminate()
    assert conn.is_closed()


async def test_a_failing_script_fails_the_test() -> None:
    async def script(session: FakeSession) -> None:
        await session.expect(pgwire.Parse)

    with pytest.raises(UnexpectedMessageError, match="expected Parse, got Query"):
        async with FakeServer(script) as server:
            conn = await pgconn.connect(server.dsn())
            try:
                async with asyncio.timeout(LIMIT):
                    with pytest.raises(ConnectionDoesNotExistError):
                        await conn.execute("SELECT 1")  # the failed session was closed
                    with pytest.raises(RuntimeError, match="failed") as caught:
                        await server.reached("never")
                assert isinstance(caught.value.__cause__, UnexpectedMessageError)
            finally:
                conn.terminate()


async def test_closing_the_server_ends_paused_sessions() -> None:
    async def script(session: FakeSession) -> None:
        await session.expect(pgwire.Query)
        await session.pause("forever")

    server = await FakeServer(script).start()
    conn = await pgconn.connect(server.dsn())
    try:
        async with asyncio.timeout(LIMIT):
            query = asyncio.create_task(conn.execute("SELECT 1"))
            await server.reached("forever")
            await server.close()
            with pytest.raises(ConnectionDoesNotExistError):
                await query
        assert server.errors == [] and server.sessions[0].is_finished
        with pytest.raises(OSError):
            await pgconn.connect(server.dsn(), timeout=LIMIT)
        await server.close()  # idempotent
    finally:
        conn.terminate()
