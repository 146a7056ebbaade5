"""``Connection.transaction()`` against a real server: blocks, savepoints, options, misuse."""

from __future__ import annotations

import asyncio
import re

import pytest

import pgconn
from pgconn import TransactionState
from pgconn import _transaction as pgconn_transaction
from pgwire.exceptions import (
    ActiveSQLTransactionError,
    DivisionByZeroError,
    InFailedSQLTransactionError,
    InterfaceError,
    PostgresSyntaxError,
    ReadOnlySQLTransactionError,
    UndefinedColumnError,
)
from tests.pgconn.conftest import MakeTable


class Boom(Exception):
    """Raised inside transaction blocks to make them roll back."""


async def count(conn: pgconn.Connection, table: str) -> int:
    value = await conn.fetchval(f"SELECT count(*) FROM {table}")
    assert isinstance(value, int)
    return value


async def test_commit(conn: pgconn.Connection, table: MakeTable) -> None:
    name = await table("a int")
    transaction = conn.transaction()
    async with transaction as entered:
        assert entered is None
        assert conn.is_in_transaction()
        await conn.execute(f"INSERT INTO {name} VALUES (1)")
    assert not conn.is_in_transaction()
    assert transaction._state is TransactionState.COMMITTED
    assert await count(conn, name) == 1


async def test_rollback_on_exception(conn: pgconn.Connection, table: MakeTable) -> None:
    name = await table("a int")
    transaction = conn.transaction()
    with pytest.raises(Boom):
        async with transaction:
            await conn.execute(f"INSERT INTO {name} VALUES (1)")
            raise Boom
    assert transaction._state is TransactionState.ROLLEDBACK
    assert not conn.is_in_transaction()
    assert await count(conn, name) == 0


async def test_rollback_after_a_server_error(conn: pgconn.Connection, table: MakeTable) -> None:
    name = await table("a int")
    with pytest.raises(InFailedSQLTransactionError):
        async with conn.transaction():
            await conn.execute(f"INSERT INTO {name} VALUES (1)")
            with pytest.raises(DivisionByZeroError):
                await conn.execute("SELECT 1 / 0")
            assert conn.is_in_transaction()  # 'E': failed, still a transaction
            await conn.execute("SELECT 1")
    assert not conn.is_in_transaction()
    assert await count(conn, name) == 0


async def test_explicit_start_commit_rollback(conn: pgconn.Connection, table: MakeTable) -> None:
    name = await table("a int")
    first = conn.transaction()
    await first.start()
    await conn.execute(f"INSERT INTO {name} VALUES (1)")
    await first.commit()
    second = conn.transaction()
    await second.start()
    await conn.execute(f"INSERT INTO {name} VALUES (2)")
    await second.rollback()
    assert await conn.fetch(f"SELECT a FROM {name}") == [(1,)]


async def test_nested_savepoints(conn: pgconn.Connection, table: MakeTable) -> None:
    name = await table("a int")
    async with conn.transaction():
        await conn.execute(f"INSERT INTO {name} VALUES (1)")
        with pytest.raises(Boom):
            async with conn.transaction():
                await conn.execute(f"INSERT INTO {name} VALUES (2)")
                raise Boom
        async with conn.transaction():
            await conn.execute(f"INSERT INTO {name} VALUES (3)")
            inner = conn.transaction()
            await inner.start()
            await conn.execute(f"INSERT INTO {name} VALUES (4)")
            await inner.rollback()
        # A server error inside a savepoint is undone by rolling back to it.
        with pytest.raises(DivisionByZeroError):
            async with conn.transaction():
                await conn.execute("SELECT 1 / 0")
        assert await conn.fetchval("SELECT 1") == 1
    assert await conn.fetch(f"SELECT a FROM {name} ORDER BY a") == [(1,), (3,)]


@pytest.mark.parametrize(
    ("isolation", "shown"),
    [
        ("serializable", "serializable"),
        ("repeatable_read", "repeatable read"),
        ("read_committed", "read committed"),
        ("read_uncommitted", "read uncommitted"),
        (None, "read committed"),
    ],
)
async def test_isolation_levels(conn: pgconn.Connection, isolation: str | None, shown: str) -> None:
    async with conn.transaction(isolation=isolation):
        assert await conn.fetchval("SHOW transaction_isolation") == shown


async def test_nested_isolation_must_match(conn: pgconn.Connection) -> None:
    async with conn.transaction(isolation="repeatable_read"):
        async with conn.transaction(isolation="repeatable_read"):
            pass
        async with conn.transaction():
            pass
        with pytest.raises(
            InterfaceError,
            match=re.escape(
                "nested transaction has a different isolation level: "
                "current 'serializable' != outer 'repeatable_read'"
            ),
        ):
            async with conn.transaction(isolation="serializable"):
                pass
    async with conn.transaction():  # outer None: looked up with SHOW
        with pytest.raises(InterfaceError, match="current 'serializable' != outer 'read_committed'"):
            async with conn.transaction(isolation="serializable"):
                pass
        async with conn.transaction(isolation="read_committed"):
            pass


async def test_invalid_isolation(conn: pgconn.Connection) -> None:
    with pytest.raises(ValueError, match="isolation is expected to be either of"):
        conn.transaction(isolation="chaos")


async def test_readonly(conn: pgconn.Connection, table: MakeTable) -> None:
    name = await table("a int")
    with pytest.raises(ReadOnlySQLTransactionError):
        async with conn.transaction(readonly=True):
            assert await conn.fetchval("SHOW transaction_read_only") == "on"
            await conn.execute(f"INSERT INTO {name} VALUES (1)")
    assert await count(conn, name) == 0


async def test_deferrable(conn: pgconn.Connection) -> None:
    async with conn.transaction(isolation="serializable", readonly=True, deferrable=True):
        assert await conn.fetchval("SHOW transaction_deferrable") == "on"
        assert await conn.fetchval("SHOW transaction_read_only") == "on"


async def test_misuse_messages(conn: pgconn.Connection) -> None:
    transaction = conn.transaction()
    with pytest.raises(InterfaceError, match="cannot commit; the transaction is not yet started"):
        await transaction.commit()
    with pytest.raises(InterfaceError, match="cannot rollback; the transaction is not yet started"):
        await transaction.rollback()
    await transaction.start()
    with pytest.raises(InterfaceError, match="cannot start; the transaction is already started"):
        await transaction.start()
    await transaction.commit()
    for operation in ("start", "commit", "rollback"):
        with pytest.raises(InterfaceError, match=f"cannot {operation}; the transaction is already committed"):
            await getattr(transaction, operation)()
    rolled = conn.transaction()
    await rolled.start()
    await rolled.rollback()
    with pytest.raises(InterfaceError, match="cannot commit; the transaction is already rolled back"):
        await rolled.commit()
    assert not conn.is_in_transaction()


async def test_misuse_inside_async_with(conn: pgconn.Connection) -> None:
    transaction = conn.transaction()
    async with transaction:
        with pytest.raises(InterfaceError, match="cannot manually commit from within an `async with` block"):
            await transaction.commit()
        with pytest.raises(
            InterfaceError, match="cannot manually rollback from within an `async with` block"
        ):
            await transaction.rollback()
        with pytest.raises(InterfaceError, match="cannot enter context: already in an `async with` block"):
            async with transaction:
                pass
        assert conn.is_in_transaction()
    assert transaction._state is TransactionState.COMMITTED
    assert not conn.is_in_transaction()


async def test_refused_start_leaves_the_transaction_new(conn: pgconn.Connection) -> None:
    await conn.execute("BEGIN")
    transaction = conn.transaction()
    with pytest.raises(InterfaceError, match=r"cannot use Connection\.transaction\(\) in a manually started"):
        await transaction.start()
    await conn.execute("ROLLBACK")
    # The misuse never reached the server, so the transaction object is still new and usable.
    await transaction.start()
    await transaction.commit()


async def test_failed_start_does_not_poison_later_transactions(
    conn: pgconn.Connection, table: MakeTable
) -> None:
    # Appendix A8: a start() that fails must not leave the connection believing that a top
    # transaction exists, or every later transaction() becomes a SAVEPOINT outside any block.
    name = await table("a int")
    sleeper = asyncio.ensure_future(conn.fetchval("SELECT pg_sleep(0.1)"))
    await asyncio.sleep(0.02)
    failed = conn.transaction()
    with pytest.raises(InterfaceError, match="another operation is in progress"):
        await failed.start()
    assert failed._state is TransactionState.FAILED
    with pytest.raises(InterfaceError, match="cannot start; the transaction is in error state"):
        await failed.start()
    await sleeper
    with pytest.raises(Boom):
        async with conn.transaction():  # a real BEGIN, not a SAVEPOINT
            await conn.execute(f"INSERT INTO {name} VALUES (1)")
            raise Boom
    assert not conn.is_in_transaction()
    assert await count(conn, name) == 0


async def test_begin_refused_by_the_server(
    conn: pgconn.Connection, table: MakeTable, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Appendix A8 with a BEGIN that reaches the server and fails there: an isolation level
    # the server does not know (added to the table for this test only) gives a syntax error.
    name = await table("a int")
    monkeypatch.setitem(pgconn_transaction.ISOLATION_LEVELS, "bogus", "BOGUS")
    failed = conn.transaction(isolation="bogus")
    with pytest.raises(PostgresSyntaxError):
        await failed.start()
    assert failed._state is TransactionState.FAILED
    assert not conn.is_in_transaction()
    with pytest.raises(Boom):
        async with conn.transaction():  # a BEGIN, not a SAVEPOINT outside any block
            await conn.execute(f"INSERT INTO {name} VALUES (1)")
            raise Boom
    assert await count(conn, name) == 0


async def test_manual_begin_then_transaction(conn: pgconn.Connection) -> None:
    await conn.execute("BEGIN")
    transaction = conn.transaction()
    with pytest.raises(InterfaceError, match=r"cannot use Connection\.transaction\(\) in a manually started"):
        await transaction.start()
    await conn.execute("ROLLBACK")
    assert not conn.is_in_transaction()
    async with conn.transaction():
        assert conn.is_in_transaction()


async def test_serializable_after_prepare_and_failed_queries(conn: pgconn.Connection) -> None:
    # Appendix A7: nothing the client does may leave the server's implicit transaction open,
    # or BEGIN ISOLATION LEVEL fails with "must be called before any query".
    await conn.prepare("SELECT 1")
    with pytest.raises(UndefinedColumnError):
        await conn.prepare("SELECT nope")
    await conn.fetchrow("SELECT generate_series(1, 10)")  # a suspended portal
    with pytest.raises(ActiveSQLTransactionError):
        await conn.execute("BEGIN; SELECT 1; SET TRANSACTION ISOLATION LEVEL SERIALIZABLE")
    assert conn.is_in_transaction()  # the script's own BEGIN, now failed
    await conn.execute("ROLLBACK")
    async with conn.transaction(isolation="serializable"):
        assert await conn.fetchval("SHOW transaction_isolation") == "serializable"


async def test_manual_rollback_of_a_started_transaction(conn: pgconn.Connection, table: MakeTable) -> None:
    name = await table("a int")
    await conn.transaction().start()
    await conn.execute("ROLLBACK")
    with pytest.raises(ZeroDivisionError):
        async with conn.transaction():
            await conn.execute(f"INSERT INTO {name} VALUES (1)")
            raise ZeroDivisionError
    assert await conn.fetchval(f"SELECT count(*) FROM {name}") == 0
    assert not conn.is_in_transaction()


async def test_is_in_transaction_states(conn: pgconn.Connection) -> None:
    assert not conn.is_in_transaction()
    await conn.execute("BEGIN")
    assert conn.is_in_transaction()  # 'T'
    with pytest.raises(DivisionByZeroError):
        await conn.execute("SELECT 1 / 0")
    assert conn.is_in_transaction()  # 'E'
    with pytest.raises(InFailedSQLTransactionError):
        await conn.fetchval("SELECT 1")
    await conn.execute("ROLLBACK")
    assert not conn.is_in_transaction()


async def test_repr(conn: pgconn.Connection) -> None:
    transaction = conn.transaction(isolation="serializable", readonly=True, deferrable=True)
    assert re.fullmatch(
        r"<pgasync\.Transaction state:new serializable readonly deferrable 0x[0-9a-f]+>", repr(transaction)
    )
    async with transaction:
        assert "state:started" in repr(transaction)
    assert "state:committed" in repr(transaction)
    plain = conn.transaction()
    assert re.fullmatch(r"<pgasync\.Transaction state:new 0x[0-9a-f]+>", repr(plain))


async def test_transaction_on_a_closed_connection(conn: pgconn.Connection) -> None:
    transaction = conn.transaction()
    await conn.close()
    with pytest.raises(InterfaceError, match="connection is closed"):
        conn.transaction()
    with pytest.raises(InterfaceError, match="connection is closed"):
        await transaction.start()
