"""Cursors: a query's rows fetched a few at a time from a portal the server keeps open.

``connection.cursor(query, *args)`` (or ``statement.cursor(*args)``) gives a
:class:`CursorFactory`; nothing is sent until it is used:

- ``async for row in factory`` binds the portal and fetches ``prefetch`` rows per round trip
  (one Bind + Execute for the first batch, one Execute for each next one); the portal is
  closed as soon as the last row arrived, releasing what the server held for it;
- ``cursor = await factory`` binds the portal and gives a :class:`Cursor` to drive by hand
  (``fetch(n)``, ``fetchrow()``, ``forward(n)``, and ``scroll()`` when scrollable).

A plain cursor is a protocol-level portal, as asyncpg's: it needs a transaction and ends with
it. ``scrollable=True`` or ``hold=True`` declares an SQL cursor instead (``DECLARE ... SCROLL
CURSOR [WITH HOLD] FOR``), fetched with ``FETCH``: a scrollable one can move backward and to an
absolute position, and a holdable one outlives its transaction (and needs none). Rows come
through the same batch row decoder as ``fetch``, in binary where a codec exists.
"""

from __future__ import annotations

import itertools
from collections.abc import Generator, Sequence
from typing import TYPE_CHECKING, Any, Generic, Literal, cast

import pgwire
from pgconn._exchanges import Executed, ExecuteExchange
from pgconn._sql import quote_identifier
from pgconn._statement import StatementState
from pgconn._typevars import RecordT
from pgtypes import Record
from pgwire.exceptions import InterfaceError, NoActiveSQLTransactionError

if TYPE_CHECKING:
    from pgconn._runner import StatementRunner

__all__ = ["Cursor", "CursorFactory", "CursorIterator"]

_portal_numbers = itertools.count(1)
_MAX_ROWS = 2**31 - 1
_SYNC = pgwire.Sync()
#: Rows per round trip of ``async for`` unless ``prefetch`` says otherwise (asyncpg's default).
DEFAULT_PREFETCH = 50


def _check_count(n: object) -> int:
    if isinstance(n, bool) or not isinstance(n, int):
        raise InterfaceError(f"n is expected to be an int, got {type(n).__name__}")
    if n <= 0:
        raise InterfaceError("n must be greater than zero")
    if n > _MAX_ROWS:
        raise InterfaceError(f"n must be at most {_MAX_ROWS} (Execute's row count is an Int32), got {n}")
    return n


class _Portal:
    """One open cursor on the server: its name, statement, kind, and how to fetch from it."""

    __slots__ = (
        "closed",
        "connection",
        "exhausted",
        "hold",
        "lease",
        "name",
        "record_class",
        "scrollable",
        "state",
        "transaction",
    )

    def __init__(
        self,
        connection: StatementRunner,
        state: StatementState,
        record_class: type[Record],
        *,
        scrollable: bool,
        hold: bool,
    ) -> None:
        self.connection = connection
        self.lease = connection._lease
        #: The Transaction the cursor was opened in (None: a manual BEGIN, or a hold cursor).
        self.transaction: object = None if hold else connection._top_transaction
        self.state = state
        self.record_class = record_class
        self.scrollable = scrollable
        self.hold = hold
        self.name = f"__pgconn_portal_{next(_portal_numbers)}__"
        self.exhausted = False
        self.closed = False

    @property
    def is_sql_cursor(self) -> bool:
        """Declared with DECLARE (scrollable or holdable), not bound as a protocol portal."""
        return self.scrollable or self.hold

    def check_usable(self) -> None:
        connection = self.connection
        connection._check_lease(self.lease, "Cursor.fetch")
        connection._check_open()
        if self.closed:
            raise InterfaceError("cursor is closed")
        ended = self.transaction is not None and connection._top_transaction is not self.transaction
        if not self.hold and (ended or not connection.is_in_transaction()):
            raise InterfaceError(
                "cursor: the transaction it was opened in has ended (use hold=True for a cursor "
                "that outlives its transaction)"
            )

    async def open(self, args: Sequence[Any], prefetch: int) -> list[Record]:
        """Bind (or DECLARE) the portal; with ``prefetch`` > 0, fetch that many rows with it."""
        connection = self.connection
        state = self.state
        encoded = connection._encode(state, [args])[0]
        decoder = state.decoder(self.record_class)
        formats = decoder.result_formats if decoder is not None else ()
        messages: list[pgwire.FrontendMessage] = []
        if self.is_sql_cursor:
            scroll = "SCROLL" if self.scrollable else "NO SCROLL"
            hold = " WITH HOLD" if self.hold else ""
            declare = f"DECLARE {quote_identifier(self.name)} {scroll} CURSOR{hold} FOR {state.query}"
            messages += [
                pgwire.Parse("", declare, state.param_oids),
                pgwire.Bind("", "", state.encoder.formats, encoded),
                pgwire.Execute("", 0),
                _SYNC,
            ]
            await connection._hook_request(
                ExecuteExchange(connection._loop, declare, None, connection._protocol.send), messages
            )
            return await self.fetch(prefetch) if prefetch else []
        if not state.name:
            messages.append(pgwire.Parse("", state.query, state.param_oids))
        messages.append(pgwire.Bind(self.name, state.name, state.encoder.formats, encoded, formats))
        if prefetch:
            messages.append(pgwire.Execute(self.name, prefetch))
        messages.append(_SYNC)
        executed = await connection._hook_request(
            ExecuteExchange(
                connection._loop, state.query, decoder if prefetch else None, connection._protocol.send
            ),
            messages,
        )
        if prefetch:
            self._after_fetch(executed, prefetch)
        return executed.rows

    async def fetch(self, n: int) -> list[Record]:
        """The next ``n`` rows (fewer at the end)."""
        if self.exhausted:
            return []
        connection = self.connection
        decoder = self.state.decoder(self.record_class)
        formats = decoder.result_formats if decoder is not None else ()
        if self.is_sql_cursor:
            sql = f"FETCH FORWARD {n} FROM {quote_identifier(self.name)}"
            messages: list[pgwire.FrontendMessage] = [
                pgwire.Parse("", sql),
                pgwire.Bind("", "", (), (), formats),
                pgwire.Execute("", 0),
                _SYNC,
            ]
        else:
            sql = self.state.query
            messages = [pgwire.Execute(self.name, n), _SYNC]
        executed = await connection._hook_request(
            ExecuteExchange(connection._loop, sql, decoder, connection._protocol.send), messages
        )
        self._after_fetch(executed, n)
        return executed.rows

    def _after_fetch(self, executed: Executed, n: int) -> None:
        # A protocol portal says it has more with PortalSuspended; FETCH returns fewer rows.
        more = executed.suspended if not self.is_sql_cursor else len(executed.rows) == n
        if not more:
            self.exhausted = True

    async def move(self, how: str) -> int:
        """``MOVE <how>``; the number of rows it moved over (from the ``MOVE k`` tag)."""
        status = await self.connection._simple_query(f"MOVE {how} FROM {quote_identifier(self.name)}")
        return int(status.rsplit(" ", 1)[-1]) if status.startswith("MOVE") else 0

    async def close(self) -> None:
        """Close the portal on the server (its locks and memory are released)."""
        if self.closed:
            return
        self.closed = True
        connection = self.connection
        if connection.is_closed() or (not self.hold and not connection.is_in_transaction()):
            return  # it went with the connection or the transaction
        if self.is_sql_cursor:
            await connection._simple_query(f"CLOSE {quote_identifier(self.name)}")
        else:
            await connection._hook_request(
                ExecuteExchange(connection._loop, None, None, connection._protocol.send),
                [pgwire.Close("P", self.name), _SYNC],
            )


class CursorFactory(Generic[RecordT]):
    """What ``cursor()`` returns: iterate it with ``async for``, or ``await`` it for a :class:`Cursor`.

    Generic in the class of its rows. Each ``async for`` and each ``await`` opens a new cursor
    on the server; the errors of opening one are listed at :meth:`Connection.cursor`.
    """

    __slots__ = (
        "_args",
        "_connection",
        "_hold",
        "_lease",
        "_prefetch",
        "_query",
        "_record_class",
        "_scrollable",
        "_state",
        "_timeout",
    )

    def __init__(
        self,
        connection: StatementRunner,
        query: str,
        state: StatementState | None,
        args: Sequence[Any],
        *,
        prefetch: int | None,
        timeout: float | None,
        record_class: type[RecordT],
        scrollable: bool,
        hold: bool,
    ) -> None:
        self._connection = connection
        self._lease = connection._lease
        self._query = query
        self._state = state
        self._args = args
        self._prefetch = prefetch
        self._timeout = timeout
        self._record_class = record_class
        self._scrollable = scrollable
        self._hold = hold

    def __repr__(self) -> str:
        return f"<pgasync.CursorFactory {self._query[:30]!r}>"

    def _check(self) -> None:
        connection = self._connection
        connection._check_lease(self._lease, "CursorFactory")
        connection._check_open()
        if self._state is not None and self._state.closed:
            raise InterfaceError("cursor: the prepared statement is closed")
        if not self._hold and not connection.is_in_transaction():
            raise NoActiveSQLTransactionError.client_side("cursor cannot be created outside of a transaction")

    async def _open(self, prefetch: int) -> tuple[_Portal, list[Record]]:
        self._check()
        connection = self._connection
        args = self._args

        async def run() -> tuple[_Portal, list[Record]]:
            state = self._state
            if state is None:
                state = await connection._statement(self._query)
            portal = _Portal(
                connection, state, self._record_class, scrollable=self._scrollable, hold=self._hold
            )
            rows = await portal.open(args, prefetch)
            if portal.exhausted:
                await portal.close()
            return portal, rows

        return await connection._operation(self._timeout, run, self._query, args)

    def __aiter__(self) -> CursorIterator[RecordT]:
        prefetch = DEFAULT_PREFETCH if self._prefetch is None else self._prefetch
        return CursorIterator(self, prefetch)

    def __await__(self) -> Generator[Any, None, Cursor[RecordT]]:
        return self._cursor().__await__()

    async def _cursor(self) -> Cursor[RecordT]:
        if self._prefetch is not None:
            raise InterfaceError("prefetch argument can only be specified for iterable cursor")
        portal, _ = await self._open(0)
        return Cursor(portal, self._query)


class CursorIterator(Generic[RecordT]):
    """``async for`` over a cursor: ``prefetch`` rows per round trip, the portal closed at the end.

    Each step raises what :meth:`Cursor.fetch` raises (the first also what opening raises, see
    :meth:`Connection.cursor`); ``InterfaceError`` for a ``prefetch`` that is not a positive int.
    """

    __slots__ = ("_buffer", "_factory", "_portal", "_prefetch")

    def __init__(self, factory: CursorFactory[RecordT], prefetch: int) -> None:
        self._factory = factory
        self._prefetch = prefetch
        self._portal: _Portal | None = None
        self._buffer: list[RecordT] = []

    def __aiter__(self) -> CursorIterator[RecordT]:
        return self

    def __del__(self) -> None:
        # Left before its end (``break`` out of ``async for``): the cursor is closed with the
        # connection's next request, so a WITH HOLD cursor does not stay for the whole session.
        portal = getattr(self, "_portal", None)
        if portal is not None and not portal.closed and not portal.connection.is_closed():
            portal.closed = True
            portal.connection._cache.portals_to_close.append(portal.name)

    async def __anext__(self) -> RecordT:
        if not self._buffer:
            await self._refill()
            if not self._buffer:
                raise StopAsyncIteration
        return self._buffer.pop()  # the batch is kept reversed: popping from the end is O(1)

    async def _refill(self) -> None:
        prefetch = self._prefetch
        if isinstance(prefetch, bool) or not isinstance(prefetch, int) or prefetch <= 0:
            raise InterfaceError("prefetch argument must be greater than zero")
        portal = self._portal
        if portal is None:
            self._portal, rows = await self._factory._open(prefetch)
            self._buffer = cast("list[RecordT]", rows[::-1])
            return
        if portal.exhausted:
            return
        portal.check_usable()
        connection = portal.connection

        async def run() -> list[Record]:
            rows = await portal.fetch(prefetch)
            if portal.exhausted:
                await portal.close()
            return rows

        rows = await connection._operation(self._factory._timeout, run, portal.state.query)
        self._buffer = cast("list[RecordT]", rows[::-1])


class Cursor(Generic[RecordT]):
    """An open cursor: fetch rows on demand, skip ahead, and (scrollable ones) move back.

    Made by ``await connection.cursor(...)``. A plain cursor lives until its transaction ends;
    one opened with ``hold=True`` until :meth:`close` (or the session ends).
    """

    __slots__ = ("_portal", "_query")

    def __init__(self, portal: _Portal, query: str) -> None:
        self._portal = portal
        self._query = query

    def __repr__(self) -> str:
        attributes = []
        if self._portal.exhausted:
            attributes.append("exhausted")
        if self._portal.scrollable:
            attributes.append("scrollable")
        if self._portal.hold:
            attributes.append("hold")
        if self._portal.closed:
            attributes.append("closed")
        shown = " ".join(attributes)
        return f"<pgasync.Cursor {self._query[:30]!r} {shown + ' ' if shown else ''}{id(self):#x}>"

    async def _run(self, action: Any, timeout: float | None) -> Any:
        portal = self._portal
        portal.check_usable()
        return await portal.connection._operation(timeout, action, portal.state.query)

    async def fetch(self, n: int, *, timeout: float | None = None) -> list[RecordT]:
        """Fetch the next ``n`` rows, in one round trip.

        Args:
            n: how many rows, an int from 1 to 2**31 - 1.
            timeout: seconds for this round trip (``None``: ``command_timeout``).

        Returns:
            The rows, fewer than ``n`` (or ``[]``) at the end of the result.

        Raises:
            InterfaceError: ``n`` is not a positive int; the cursor or the connection is
                closed, the connection went back to its pool or is busy; or the transaction
                the (plain) cursor was opened in has ended.
            PostgresError: the server's error.
            TimeoutError: ``timeout`` passed (as :meth:`Connection.execute`).
        """
        count = _check_count(n)
        portal = self._portal

        async def run() -> list[Record]:
            return await portal.fetch(count)

        rows: list[RecordT] = await self._run(run, timeout)
        return rows

    async def fetchrow(self, *, timeout: float | None = None) -> RecordT | None:
        """Fetch the next row.

        Args:
            timeout: seconds for this round trip (``None``: ``command_timeout``).

        Returns:
            The next row, or None at the end of the result.

        Raises:
            InterfaceError: as :meth:`fetch`.
            PostgresError: the server's error.
            TimeoutError: ``timeout`` passed.
        """
        rows = await self.fetch(1, timeout=timeout)
        return rows[0] if rows else None

    async def forward(self, n: int, *, timeout: float | None = None) -> int:
        """Skip ``n`` rows without fetching them (``MOVE FORWARD n``).

        Args:
            n: how many rows, an int from 1 to 2**31 - 1.
            timeout: seconds for this round trip (``None``: ``command_timeout``).

        Returns:
            The number of rows actually skipped, less than ``n`` at the end of the result.

        Raises:
            InterfaceError: as :meth:`fetch`.
            PostgresError: the server's error.
            TimeoutError: ``timeout`` passed.
        """
        count = _check_count(n)
        portal = self._portal

        async def run() -> int:
            moved = await portal.move(f"FORWARD {count}")
            if moved < count:
                portal.exhausted = True
            return moved

        skipped: int = await self._run(run, timeout)
        return skipped

    async def scroll(
        self,
        value: int,
        mode: Literal["relative", "absolute"] = "relative",
        *,
        timeout: float | None = None,
    ) -> None:
        """Move a scrollable cursor; the next fetch starts at the new position.

        Positions count rows from 0, as list indexes: after ``scroll(0, "absolute")`` the next
        row is the first one, after ``scroll(5, "absolute")`` the sixth; ``scroll(-2)`` goes
        back two rows, so the next fetch returns the last two rows fetched again. A fetch that
        reached the end leaves the cursor after the last row (so ``scroll(-1)`` then stands on
        the last row and the next fetch returns nothing; ``scroll(-2)`` returns it again).
        Moving past either end is no error: the next fetch then returns no rows. asyncpg's
        cursors have no ``scroll``.

        Args:
            value: rows to move by (``"relative"``, negative goes back) or the position to
                move to (``"absolute"``).
            mode: ``"relative"`` (``MOVE RELATIVE``) or ``"absolute"`` (``MOVE ABSOLUTE``).
            timeout: seconds for this round trip (``None``: ``command_timeout``).

        Raises:
            InterfaceError: the cursor was not opened with ``scrollable=True``, ``value`` is
                not an int, ``mode`` is unknown, or as :meth:`fetch`.
            PostgresError: the server's error.
            TimeoutError: ``timeout`` passed.
        """
        portal = self._portal
        if not portal.scrollable:
            raise InterfaceError("cursor is not scrollable: open it with cursor(..., scrollable=True)")
        if isinstance(value, bool) or not isinstance(value, int):
            raise InterfaceError(f"value is expected to be an int, got {type(value).__name__}")
        if mode == "relative":
            how = f"RELATIVE {value}"
        elif mode == "absolute":
            # MOVE ABSOLUTE k stands on row k (1-based), so the next FETCH returns row k + 1:
            # the row whose 0-based index is k.
            how = f"ABSOLUTE {value}"
        else:
            raise InterfaceError(f"mode is expected to be 'relative' or 'absolute', got {mode!r}")

        async def run() -> None:
            await portal.move(how)
            portal.exhausted = False

        await self._run(run, timeout)

    async def close(self, *, timeout: float | None = None) -> None:
        """Close the cursor on the server; needed for ``hold=True`` cursors, harmless otherwise.

        Idempotent; does nothing once the connection or (for plain cursors) the transaction
        is gone, as the server dropped the cursor then. ``async with cursor:`` closes it too.

        Args:
            timeout: seconds for this round trip (``None``: ``command_timeout``).

        Raises:
            InterfaceError: the connection is busy with another operation.
            PostgresError: the server's error.
            TimeoutError: ``timeout`` passed.
        """
        portal = self._portal
        if portal.closed or portal.connection.is_closed():
            portal.closed = True
            return
        await portal.connection._operation(timeout, portal.close)

    async def __aenter__(self) -> Cursor[RecordT]:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()
