"""``prepare()``, ``cursor()`` and ``transaction()``: the ``Connection`` methods that make objects.

Each makes a :class:`pgconn.PreparedStatement`, :class:`pgconn.CursorFactory` or
:class:`pgconn.Transaction` bound to the connection; the objects reach the connection only
through the runner's hooks (:mod:`pgconn._runner`). ``prepare`` and ``cursor`` are generic in
the record class, so ``record_class=R`` types the rows they give as ``R``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast, overload

from pgconn._cursor import CursorFactory
from pgconn._prepared import PreparedStatement
from pgconn._transaction import Transaction
from pgconn._typevars import RecordT
from pgtypes import Record

if TYPE_CHECKING:
    from pgconn._connection import Connection
    from pgconn._runner import StatementRunner

    _Base = StatementRunner
else:
    _Base = object

__all__ = ["StatementMethods"]


class StatementMethods(_Base):
    """Mixed into ``Connection``; built on the runner's operation hooks."""

    @overload
    async def prepare(
        self, query: str, *, name: str | None = ..., timeout: float | None = ..., record_class: None = ...
    ) -> PreparedStatement[Record]: ...
    @overload
    async def prepare(
        self,
        query: str,
        *,
        name: str | None = ...,
        timeout: float | None = ...,
        record_class: type[RecordT],
    ) -> PreparedStatement[RecordT]: ...
    async def prepare(
        self,
        query: str,
        *,
        name: str | None = None,
        timeout: float | None = None,
        record_class: type[Record] | None = None,
    ) -> PreparedStatement[Any]:
        """Prepare ``query`` as a server-side statement (never through the statement cache).

        Types the connection does not know yet (enums, composites, domains...) are
        introspected now; the statement keeps the codecs in force at this moment.

        Args:
            query: the SQL text, with ``$1``, ``$2``... parameters.
            name: the statement's server-side name (reachable with ``EXECUTE name``); by
                default a generated one, or the unnamed statement when the statement cache
                is off (``statement_cache_size=0``, for PgBouncer in transaction mode). A
                statement with a generated name is closed on the server once it is dropped
                (no reference to it or to a cursor on it is left); a name of the caller's
                stays for the session.
            timeout: seconds for preparing (and introspecting unknown types).
            record_class: the class of the rows it returns (``None``: the connection's);
                typed, so the statement is a ``PreparedStatement[R]``.

        Returns:
            A :class:`PreparedStatement`.

        Raises:
            PostgresError: the server refused the statement (``PostgresSyntaxError``,
                ``UndefinedTableError``...).
            InterfaceError: the connection is closed or busy.
            TimeoutError: ``timeout`` passed (as :meth:`~pgconn.Connection.execute`).
        """

        async def run() -> PreparedStatement[Any]:
            statement_name = (
                name if name is not None else (self._statement_name() if self._cache.enabled else "")
            )
            state = await self._describe(query, statement_name)
            if name is None:
                # A generated name nobody can know: closed on the server with a later request
                # once the statement is dropped. A name the caller chose stays (EXECUTE name).
                state.release = self._cache.to_close.append
            return PreparedStatement(
                cast("Connection", self), state, self._record_class if record_class is None else record_class
            )

        return await self._operation(timeout, run, query)

    @overload
    def cursor(
        self,
        query: str,
        *args: Any,
        prefetch: int | None = ...,
        timeout: float | None = ...,
        record_class: None = ...,
        scrollable: bool = ...,
        hold: bool = ...,
    ) -> CursorFactory[Record]: ...
    @overload
    def cursor(
        self,
        query: str,
        *args: Any,
        prefetch: int | None = ...,
        timeout: float | None = ...,
        record_class: type[RecordT],
        scrollable: bool = ...,
        hold: bool = ...,
    ) -> CursorFactory[RecordT]: ...
    def cursor(
        self,
        query: str,
        *args: Any,
        prefetch: int | None = None,
        timeout: float | None = None,
        record_class: type[Record] | None = None,
        scrollable: bool = False,
        hold: bool = False,
    ) -> CursorFactory[Any]:
        """A cursor over ``query``'s rows; nothing is sent until it is iterated or awaited.

        ``async for row in connection.cursor(...)`` fetches ``prefetch`` rows per round trip;
        ``cursor = await connection.cursor(...)`` gives a :class:`Cursor` to drive by hand. A
        plain cursor is a protocol-level portal, as asyncpg's: it needs a transaction and ends
        with it. ``scrollable`` and ``hold`` are ours (asyncpg has neither): they declare an
        SQL cursor instead.

        Args:
            query: the SQL query, with ``$1``, ``$2``... parameters.
            args: the values of ``$1``, ``$2``...
            prefetch: rows per round trip of ``async for`` (default 50); only for iteration.
            timeout: seconds for opening the cursor and, for ``async for``, for each fetch.
            record_class: the class of the rows (``None``: the connection's); typed, so the
                rows are ``R``.
            scrollable: declare a ``SCROLL`` cursor, which :meth:`Cursor.scroll` can move
                backward and to absolute positions. The server may have to keep the rows it
                produced (in ``work_mem``, then temporary files) for plans that cannot run
                backward.
            hold: declare a ``WITH HOLD`` cursor, which needs no transaction and outlives
                the one it was opened in; close it with :meth:`Cursor.close`. At the end of
                its transaction the server computes and stores every remaining row (memory,
                then temporary files), which costs as much as fetching the whole result.

        Returns:
            A :class:`CursorFactory`: iterate it, or await it for a :class:`Cursor`.

        Raises:
            InterfaceError: the connection is closed (at once); when iterated or awaited:
                ``prefetch`` is not a positive int, or was given for an awaited cursor.
            NoActiveSQLTransactionError: (when iterated or awaited) no transaction is active
                and ``hold`` is False.
            PostgresError: (when iterated or awaited) the server's error.
        """
        self._check_open()
        return CursorFactory(
            self,
            query,
            None,
            args,
            prefetch=prefetch,
            timeout=timeout,
            record_class=self._record_class if record_class is None else record_class,
            scrollable=scrollable,
            hold=hold,
        )

    def transaction(
        self, *, isolation: str | None = None, readonly: bool = False, deferrable: bool = False
    ) -> Transaction:
        """A transaction, or a savepoint when one is already active; nothing is sent yet.

        ``async with connection.transaction():`` starts it, commits when the block ends, and
        rolls back when an exception leaves the block; or call :meth:`Transaction.start`,
        :meth:`Transaction.commit` and :meth:`Transaction.rollback` yourself.

        Args:
            isolation: ``"serializable"``, ``"repeatable_read"``, ``"read_committed"``,
                ``"read_uncommitted"``, or None for the session's default. A nested
                transaction may only repeat the outer one's level.
            readonly: ``BEGIN ... READ ONLY`` (ignored for a savepoint).
            deferrable: ``BEGIN ... DEFERRABLE``, which matters for serializable read-only
                transactions (ignored for a savepoint).

        Returns:
            A :class:`Transaction`, not yet started.

        Raises:
            InterfaceError: the connection is closed.
            ValueError: an unknown ``isolation``.
        """
        self._check_open()
        return Transaction(cast("Connection", self), isolation, readonly, deferrable)
