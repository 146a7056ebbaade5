"""``executemany`` over an iterable of any length, in bounded memory.

The argument sets are taken from the iterable :data:`BATCH_SIZE` at a time, encoded, and
written as runs of Bind/Execute pairs under the transport's write flow control, all in one
extended-query cycle closed by a single Sync. So the whole run stays one implicit
transaction outside a transaction block (atomic, as asyncpg's), and no more than one batch of
encoded arguments is held at once, however long the iterable.

When something fails on our side midway (the iterable raises, an argument cannot be encoded,
the task is cancelled), the cycle must still end: outside a transaction block a deliberately
failing message goes before the Sync, so that the server rolls back what already ran; inside
one, the batches executed so far stay executed (asyncpg's behaviour) and only the Sync goes.
A short run (one batch) takes the ordinary path, with its re-prepare on a stale plan.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import pgwire
from pgconn._copy_exchanges import forget
from pgconn._exchanges import ExecuteExchange
from pgconn._runner import invalid_cached_statement, is_stale_plan
from pgwire.exceptions import FeatureNotSupportedError

if TYPE_CHECKING:
    from pgconn._runner import StatementRunner

__all__ = ["BATCH_SIZE", "execute_in_batches"]

#: Argument sets encoded and written per step.
BATCH_SIZE = 1000

# Describing a portal that does not exist is an error (34000), which makes the server discard
# the rest of the cycle and roll back its implicit transaction.
_ABORT = pgwire.Describe("P", "__pgconn_abort_executemany__")
_SYNC = pgwire.Sync()


def _take(iterator: Iterator[Sequence[Any]]) -> list[Sequence[Any]]:
    return list(itertools.islice(iterator, BATCH_SIZE))


async def execute_in_batches(runner: StatementRunner, command: str, args: Iterable[Sequence[Any]]) -> None:
    """Execute ``command`` once per argument set of ``args``; see the module docstring.

    Raises:
        DataError: an argument set cannot be encoded (the message names its element).
        PostgresError: the server's first error.
        Exception: whatever the iterable raised, unchanged.
    """
    iterator = iter(args)
    batch = _take(iterator)
    if not batch:
        return
    if len(batch) < BATCH_SIZE:
        await runner._execute(command, batch, None, rows=False, many=True)
        return
    await _stream(runner, command, batch, iterator)


async def _stream(
    runner: StatementRunner, command: str, batch: list[Sequence[Any]], iterator: Iterator[Sequence[Any]]
) -> None:
    state = await runner._statement(command)
    protocol = runner._protocol
    encoded = runner._encode(state, batch, many=True)
    outside_transaction = not runner.is_in_transaction()
    exchange = ExecuteExchange(runner._loop, command, None, runner._protocol.send)
    first: list[pgwire.FrontendMessage | pgwire.BindExecuteBatch] = [*runner._cache.take_close_messages()]
    if not state.name:
        first.append(pgwire.Parse("", state.query, state.param_oids))
    first.append(pgwire.BindExecuteBatch(state.name, state.encoder.formats, encoded, state.result_formats))
    future = protocol.start(exchange, *first)
    done = len(batch)
    failure: BaseException | None = None
    try:
        while exchange.error is None:
            await protocol.drain()
            batch = _take(iterator)
            if not batch:
                break
            encoded = runner._encode(state, batch, first_index=done, many=True)
            protocol.send(
                pgwire.BindExecuteBatch(state.name, state.encoder.formats, encoded, state.result_formats)
            )
            done += len(batch)
    except asyncio.CancelledError:
        _end_cycle(runner, abort=True)
        forget(future)
        runner._begin_recovery(exchange)
        raise
    except BaseException as error:
        failure = error
    _end_cycle(runner, abort=failure is not None and outside_transaction)
    try:
        await future
    except asyncio.CancelledError:
        runner._begin_recovery(exchange)
        raise
    except FeatureNotSupportedError as error:
        if failure is None:
            if is_stale_plan(error):
                runner._cache.discard(command)
                raise invalid_cached_statement(error) from error
            raise
    except Exception:
        if failure is None:
            raise
    if failure is not None:
        raise failure


def _end_cycle(runner: StatementRunner, *, abort: bool) -> None:
    """Close the open cycle with Sync, after the failing message when it must roll back."""
    if runner.is_closed():
        return
    runner._protocol.send(*((_ABORT, _SYNC) if abort else (_SYNC,)))
