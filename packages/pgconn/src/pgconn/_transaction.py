"""``Transaction``: BEGIN/COMMIT/ROLLBACK, and savepoints when nested, as asyncpg does them.

``connection.transaction()`` makes one; ``async with`` starts it and commits, or rolls back
when an exception leaves the block. A transaction started while another is active on the
connection is a savepoint. Misuse raises ``InterfaceError`` with asyncpg's messages.
"""

from __future__ import annotations

import enum
import itertools
from types import TracebackType
from typing import TYPE_CHECKING, Final

from pgwire.exceptions import InterfaceError

if TYPE_CHECKING:
    from pgconn._connection import Connection

__all__ = ["ISOLATION_LEVELS", "Transaction", "TransactionState"]

#: ``isolation`` values and the SQL each means.
ISOLATION_LEVELS: Final = {
    "read_committed": "READ COMMITTED",
    "read_uncommitted": "READ UNCOMMITTED",
    "repeatable_read": "REPEATABLE READ",
    "serializable": "SERIALIZABLE",
}

_savepoints = itertools.count(1)


class TransactionState(enum.Enum):
    """Where a :class:`Transaction` is in its life."""

    NEW = 0
    STARTED = 1
    COMMITTED = 2
    ROLLEDBACK = 3
    FAILED = 4


def check_isolation(isolation: str | None) -> None:
    """Raise ``ValueError`` for an ``isolation`` that is not one of :data:`ISOLATION_LEVELS`."""
    if isolation is not None and isolation not in ISOLATION_LEVELS:
        raise ValueError(
            f"isolation is expected to be either of {sorted(ISOLATION_LEVELS)}, got {isolation!r}"
        )


class Transaction:
    """A transaction block or, nested inside another, a savepoint.

    Made by :meth:`Connection.transaction`. ``async with transaction:`` starts it and commits
    at the end of the block, or rolls back when an exception leaves it (the exception
    propagates); entering or leaving raises what :meth:`start`, :meth:`commit` and
    :meth:`rollback` raise. A transaction is used once.
    """

    __slots__ = (
        "_connection",
        "_deferrable",
        "_isolation",
        "_lease",
        "_managed",
        "_nested",
        "_readonly",
        "_savepoint",
        "_state",
    )

    def __init__(
        self, connection: Connection, isolation: str | None, readonly: bool, deferrable: bool
    ) -> None:
        check_isolation(isolation)
        self._connection = connection
        self._lease = connection._lease
        self._isolation = isolation
        self._readonly = readonly
        self._deferrable = deferrable
        self._state = TransactionState.NEW
        self._nested = False
        self._savepoint: str | None = None
        self._managed = False

    def is_managed(self) -> bool:
        """Whether the transaction runs as an ``async with`` block.

        Returns:
            True inside its ``async with`` block, where :meth:`commit` and :meth:`rollback`
            are refused; False otherwise.
        """
        return self._managed

    def __repr__(self) -> str:
        parts = [f"state:{self._state.name.lower()}"]
        if self._isolation is not None:
            parts.append(self._isolation)
        if self._readonly:
            parts.append("readonly")
        if self._deferrable:
            parts.append("deferrable")
        return f"<pgasync.Transaction {' '.join(parts)} {id(self):#x}>"

    # -- async with -----------------------------------------------------------------------

    async def __aenter__(self) -> None:
        if self._managed:
            raise InterfaceError("cannot enter context: already in an `async with` block")
        self._managed = True
        await self.start()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if exc_type is None:
                await self._commit()
            else:
                await self._rollback()
        finally:
            self._managed = False

    # -- explicit use ---------------------------------------------------------------------

    def _check_state(self, operation: str) -> None:
        if self._state is TransactionState.STARTED:
            return
        if self._state is TransactionState.NEW:
            raise InterfaceError(f"cannot {operation}; the transaction is not yet started")
        described = {
            TransactionState.COMMITTED: "is already committed",
            TransactionState.ROLLEDBACK: "is already rolled back",
            TransactionState.FAILED: "is in error state",
        }[self._state]
        raise InterfaceError(f"cannot {operation}; the transaction {described}")

    async def start(self) -> None:
        """Send ``BEGIN`` (with the isolation and access options), or ``SAVEPOINT`` when nested.

        A transaction is nested when another one of the connection is active; a top one
        ended by SQL (a manual ``COMMIT``) no longer counts. A ``BEGIN`` that was cancelled
        or timed out but ran on the server is rolled back in the connection's recovery.

        Raises:
            InterfaceError: started before, or ended; a manual ``BEGIN`` is active; a
                nested transaction asks for another isolation level than the outer one; the
                connection is closed or busy, or went back to its pool since the
                transaction was made.
            PostgresError: the server's error.
            TimeoutError: the connection's ``command_timeout`` passed.
        """
        if self._state is not TransactionState.NEW:
            if self._state is TransactionState.STARTED:
                raise InterfaceError("cannot start; the transaction is already started")
            self._check_state("start")
        connection = self._connection
        connection._check_lease(self._lease, "Transaction.start")
        connection._check_open()
        # An interrupted earlier operation may still be on its way to ReadyForQuery: the
        # transaction status below must be the server's current one.
        await connection._hook_settle()
        top = connection._top_transaction
        if top is not None and not connection.is_in_transaction():
            # The server is outside any block (ReadyForQuery 'I'): the top transaction was
            # ended by SQL (a manual COMMIT or ROLLBACK), so this one is a new top, not a
            # SAVEPOINT, which the server refuses outside a transaction block.
            connection._top_transaction = top = None
        if top is None:
            if connection.is_in_transaction():
                raise InterfaceError("cannot use Connection.transaction() in a manually started transaction")
            query = "BEGIN"
            if self._isolation is not None:
                query += f" ISOLATION LEVEL {ISOLATION_LEVELS[self._isolation]}"
            if self._readonly:
                query += " READ ONLY"
            if self._deferrable:
                query += " DEFERRABLE"
            query += ";"
        else:
            if self._isolation is not None:
                outer = top._isolation
                if outer is None:
                    outer = (await connection.fetchval("SHOW transaction_isolation;")).replace(" ", "_")
                if outer != self._isolation:
                    raise InterfaceError(
                        f"nested transaction has a different isolation level: current {self._isolation!r} "
                        f"!= outer {outer!r}"
                    )
            self._nested = True
            self._savepoint = f"__pgasync_savepoint_{next(_savepoints)}__"
            query = f"SAVEPOINT {self._savepoint};"
        if not self._nested:
            connection._top_transaction = self
        try:
            await connection.execute(query)
        except BaseException:
            self._state = TransactionState.FAILED
            if not self._nested:
                connection._top_transaction = None
                _undo_begin(connection)
            raise
        self._state = TransactionState.STARTED

    async def commit(self) -> None:
        """Send ``COMMIT``, or ``RELEASE SAVEPOINT`` when nested.

        Raises:
            InterfaceError: inside its ``async with`` block; not started, already committed
                or rolled back, or failed; the connection is closed or busy, or went back to
                its pool.
            PostgresError: the server's error (a deferred constraint's violation: the
                transaction is rolled back by the server and this one is failed).
            TimeoutError: the connection's ``command_timeout`` passed.
        """
        if self._managed:
            raise InterfaceError("cannot manually commit from within an `async with` block")
        await self._commit()

    async def rollback(self) -> None:
        """Send ``ROLLBACK``, or ``ROLLBACK TO`` the savepoint when nested.

        Raises:
            InterfaceError: inside its ``async with`` block; not started, already committed
                or rolled back, or failed; the connection is closed or busy, or went back to
                its pool.
            PostgresError: the server's error.
            TimeoutError: the connection's ``command_timeout`` passed.
        """
        if self._managed:
            raise InterfaceError("cannot manually rollback from within an `async with` block")
        await self._rollback()

    async def _commit(self) -> None:
        self._connection._check_lease(self._lease, "Transaction.commit")
        self._check_state("commit")
        query = f"RELEASE SAVEPOINT {self._savepoint};" if self._nested else "COMMIT;"
        await self._finish(query, TransactionState.COMMITTED)

    async def _rollback(self) -> None:
        self._connection._check_lease(self._lease, "Transaction.rollback")
        self._check_state("rollback")
        query = f"ROLLBACK TO {self._savepoint};" if self._nested else "ROLLBACK;"
        await self._finish(query, TransactionState.ROLLEDBACK)

    async def _finish(self, query: str, state: TransactionState) -> None:
        connection = self._connection
        if not self._nested and connection._top_transaction is self:
            connection._top_transaction = None
        try:
            await connection.execute(query)
        except BaseException:
            self._state = TransactionState.FAILED
            raise
        self._state = state


def _undo_begin(connection: Connection) -> None:
    """After a BEGIN that was cancelled or timed out but still ran on the server, roll back.

    Otherwise the session would stay in a transaction block that no Transaction object owns
    (and the next ``transaction()`` would take it for a manual BEGIN). The rollback runs in the
    connection's recovery, once the interrupted BEGIN's cycle is over, so the caller's
    cancellation or deadline is not held up by it.
    """

    async def rollback_orphan() -> None:
        if connection.is_in_transaction() and connection._top_transaction is None:
            await connection._simple_query("ROLLBACK;")

    connection._hook_after_recovery(rollback_orphan)
