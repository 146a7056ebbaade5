"""Benchmark of pgwire's decoding: the DataRow batch path, the per-message path, a mixed stream.

Run on demand (``hatch run python bench/bench_framing.py --help``), never as a timed test.
Four measurements, each the best of ``--repeat`` runs timed with ``time.perf_counter``:

* ``rows/batch``: one simple-query cycle with ``--rows`` DataRow messages, fed to a
  :class:`~pgwire.ClientConnection` in 64 KiB chunks (as a socket hands them over), events
  drained; rows arrive as :class:`~pgwire.DataRowBatch` events (DESIGN section 2).
* ``rows/per-message``: the same bytes cut by a :class:`~pgwire.Framer` and each frame decoded
  with :func:`~pgwire.decode_backend`, one message object per row: what the batch path saves.
* ``mixed/client``: many short simple-query cycles (RowDescription, a few DataRows,
  CommandComplete, ReadyForQuery) with the occasional NoticeResponse, ParameterStatus and
  NotificationResponse, through a ClientConnection.
* ``rows/iterate``: :meth:`~pgwire.DataRowBatch.rows` over the batches of the first stream,
  giving raw column values.

Only the decoding is timed: the streams are encoded with the message classes' ``encode()`` and
cut into chunks beforehand, and each run's fresh client is brought to READY (StartupMessage
sent, AuthenticationOk and ReadyForQuery fed, the Query messages sent) before the clock starts.
Every run checks the counts it sees against the counts the stream was built with and raises
``RuntimeError`` on a difference, so a broken path cannot pass for a fast one.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final, TypeVar

from pgwire import (
    NEED_DATA,
    AuthenticationOk,
    BackendMessage,
    ClientConnection,
    CommandComplete,
    DataRow,
    DataRowBatch,
    FieldDescription,
    Framer,
    NoticeResponse,
    NotificationResponse,
    ParameterStatus,
    Query,
    ReadyForQuery,
    RowDescription,
    StartupMessage,
    TransactionStatus,
    decode_backend,
)

__all__ = [
    "CHUNK_SIZE",
    "DEFAULT_REPEAT",
    "DEFAULT_ROWS",
    "Counts",
    "Result",
    "Stream",
    "collect_batches",
    "drain_client",
    "drain_per_message",
    "environment",
    "format_table",
    "iterate_rows",
    "main",
    "mixed_stream",
    "ready_client",
    "row_stream",
    "run_all",
]

#: What one ``recv`` typically hands over; the benchmark feeds the stream in pieces this big.
CHUNK_SIZE: Final = 64 * 1024
DEFAULT_ROWS: Final = 1_000_000
DEFAULT_REPEAT: Final = 3
#: Distinct rows encoded; the stream repeats them, so building a million rows stays quick.
_DISTINCT_ROWS: Final = 1024
#: Rows of the big stream per short cycle of the mixed stream (sets the mixed stream's size).
_ROWS_PER_MIXED_CYCLE: Final = 10
_MEGABYTE: Final = 1_000_000

# A simple query returns every column in text format (protocol docs, "Simple Query"):
# an int4, a short text and a nullable text, the shape of a typical narrow table.
_COLUMNS: Final = RowDescription(
    (
        FieldDescription("id", 16384, 1, 23, 4, -1, 0),
        FieldDescription("name", 16384, 2, 25, -1, -1, 0),
        FieldDescription("note", 16384, 3, 25, -1, -1, 0),
    )
)
_READY: Final = ReadyForQuery(TransactionStatus.IDLE)

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class Stream:
    """A backend byte stream and what it was built from.

    Attributes:
        data: the bytes, as the server would send them.
        queries: simple-query cycles in it: the client sends this many Query messages first.
        messages: backend messages in it.
        rows: DataRow messages among them.
        values: column values in those rows (NULLs included).
    """

    data: bytes
    queries: int
    messages: int
    rows: int
    values: int

    def chunks(self, size: int = CHUNK_SIZE) -> list[bytes]:
        """The stream cut into pieces of ``size`` bytes (the last one shorter)."""
        data = self.data
        return [data[start : start + size] for start in range(0, len(data), size)]


@dataclass(frozen=True, slots=True)
class Counts:
    """What one run saw; equal across repeats, and equal to what its stream holds.

    Attributes:
        events: events returned (a DataRowBatch counts once).
        messages: protocol messages decoded (each row of a batch counts once).
        rows: DataRow messages (or rows iterated).
        values: column values iterated (only ``iterate_rows`` counts them).
    """

    events: int
    messages: int
    rows: int
    values: int = 0


@dataclass(frozen=True, slots=True)
class Result:
    """One benchmark's figures.

    Attributes:
        name: the benchmark's short name.
        unit: what ``count`` counts: ``"messages"`` or ``"rows"``.
        count: how many were processed in one run.
        nbytes: stream bytes processed in one run (0 where bytes are not the measure).
        seconds: the duration of every run, in order.
        counts: everything the run counted.
    """

    name: str
    unit: str
    count: int
    nbytes: int
    seconds: tuple[float, ...]
    counts: Counts

    @property
    def best(self) -> float:
        """The fastest run, in seconds: the least disturbed by the rest of the machine."""
        return min(self.seconds)

    @property
    def per_second(self) -> float:
        """``count`` per second in the fastest run."""
        return self.count / self.best

    @property
    def megabytes_per_second(self) -> float:
        """Stream megabytes (10**6 bytes) per second in the fastest run; 0 without bytes."""
        return self.nbytes / _MEGABYTE / self.best


def _row(index: int) -> DataRow:
    # Every seventh row has a note, the rest NULL: both cases of the column length word.
    note = f"note {index}".encode() if index % 7 == 0 else None
    return DataRow((str(100_000 + index * 37).encode(), f"user-{index:04d}".encode(), note))


def _encoded_rows() -> list[bytes]:
    return [_row(index).encode() for index in range(_DISTINCT_ROWS)]


def row_stream(rows: int) -> Stream:
    """One simple-query cycle answering ``SELECT id, name, note`` with ``rows`` rows.

    Args:
        rows: the number of DataRow messages (>= 0).

    Returns:
        RowDescription, the DataRows, CommandComplete and ReadyForQuery, encoded.
    """
    encoded = _encoded_rows()
    distinct = len(encoded)
    body = b"".join([encoded[index % distinct] for index in range(rows)])
    data = b"".join([_COLUMNS.encode(), body, CommandComplete(f"SELECT {rows}").encode(), _READY.encode()])
    return Stream(data, queries=1, messages=rows + 3, rows=rows, values=rows * len(_COLUMNS.fields))


def mixed_stream(cycles: int) -> Stream:
    """``cycles`` short simple-query cycles, with the asynchronous messages a session sees.

    Cycle ``i`` is a SELECT of ``1 + i % 5`` rows; every 10th also carries a NoticeResponse
    (a RAISE NOTICE in a function), every 25th is followed by a NotificationResponse (a NOTIFY
    delivered while idle), and every 100th is a ``SET`` answered by ParameterStatus instead.

    Args:
        cycles: the number of cycles, hence of Query messages the client sends first.

    Returns:
        The encoded stream and its counts.
    """
    encoded_rows = _encoded_rows()
    cache: dict[BackendMessage, bytes] = {}

    def encode(message: BackendMessage) -> bytes:
        # The same few messages recur: encode each once, as the row pool does for rows.
        data = cache.get(message)
        if data is None:
            data = cache[message] = message.encode()
        return data

    notice = NoticeResponse(
        (("S", "NOTICE"), ("V", "NOTICE"), ("C", "00000"), ("M", "refreshing cache"), ("W", "PL/pgSQL"))
    )
    notification = NotificationResponse(4242, "jobs", '{"id": 17}')
    parameter = ParameterStatus("TimeZone", "Europe/Paris")
    parts: list[bytes] = []
    messages = rows = values = 0
    next_row = 0
    for cycle in range(cycles):
        if cycle % 100 == 99:
            parts += [encode(parameter), encode(CommandComplete("SET")), encode(_READY)]
            messages += 3
        else:
            count = 1 + cycle % 5
            parts.append(encode(_COLUMNS))
            for _ in range(count):
                parts.append(encoded_rows[next_row % len(encoded_rows)])
                next_row += 1
            if cycle % 10 == 9:
                parts.append(encode(notice))
                messages += 1
            parts += [encode(CommandComplete(f"SELECT {count}")), encode(_READY)]
            messages += 3 + count
            rows += count
            values += count * len(_COLUMNS.fields)
        if cycle % 25 == 24:
            parts.append(encode(notification))
            messages += 1
    return Stream(b"".join(parts), queries=cycles, messages=messages, rows=rows, values=values)


def ready_client(queries: int) -> ClientConnection:
    """A client in normal operation that has sent ``queries`` Query messages.

    The startup exchange is the shortest the protocol allows (protocol docs, "Start-up"):
    StartupMessage, then AuthenticationOk (trust) and ReadyForQuery from the server.

    Raises:
        RuntimeError: the client did not reach READY.
    """
    client = ClientConnection(batch_events=True)
    client.send(StartupMessage((("user", "bench"), ("database", "bench"))))
    client.receive_data(AuthenticationOk().encode() + _READY.encode())
    while client.next_event() is not NEED_DATA:
        pass
    if not client.is_ready:
        raise RuntimeError(f"the client did not reach READY: {client!r}")
    query = Query("SELECT id, name, note FROM accounts")
    for _ in range(queries):
        client.send(query)
    return client


def drain_client(client: ClientConnection, chunks: Sequence[bytes]) -> Counts:
    """Feed ``chunks`` to ``client`` one by one, draining its events after each.

    Returns:
        The events, messages and rows seen.

    Raises:
        RuntimeError: the client still waits for answers at the end of the stream.
    """
    events = messages = rows = 0
    for chunk in chunks:
        client.receive_data(chunk)
        while True:
            event = client.next_event()
            if event is NEED_DATA:
                break
            events += 1
            if isinstance(event, DataRowBatch):
                count = len(event)
                rows += count
                messages += count
            else:
                messages += 1
    if not client.is_ready:
        raise RuntimeError(f"the stream ended with requests unanswered: {client!r}")
    return Counts(events=events, messages=messages, rows=rows)


def drain_per_message(chunks: Sequence[bytes]) -> Counts:
    """Cut ``chunks`` into frames with a Framer and decode each with ``decode_backend``.

    Returns:
        The messages (each one event) and the DataRows among them.
    """
    framer = Framer()
    messages = rows = 0
    for chunk in chunks:
        framer.receive_data(chunk)
        while (frame := framer.next_message()) is not None:
            message = decode_backend(*frame)
            messages += 1
            if isinstance(message, DataRow):
                rows += 1
    return Counts(events=messages, messages=messages, rows=rows)


def collect_batches(stream: Stream) -> list[DataRowBatch]:
    """The DataRowBatch events a READY client gives for ``stream`` fed in 64 KiB chunks."""
    client = ready_client(stream.queries)
    batches: list[DataRowBatch] = []
    for chunk in stream.chunks():
        client.receive_data(chunk)
        while (event := client.next_event()) is not NEED_DATA:
            if isinstance(event, DataRowBatch):
                batches.append(event)
    return batches


def iterate_rows(batches: Sequence[DataRowBatch]) -> Counts:
    """Iterate ``rows()`` of every batch, counting rows and column values.

    Raises:
        RemoteProtocolError: a malformed row (not with the benchmark's streams).
    """
    rows = values = 0
    for batch in batches:
        for row in batch.rows():
            rows += 1
            values += len(row)
    return Counts(events=len(batches), messages=rows, rows=rows, values=values)


def _measure(setup: Callable[[], _T], run: Callable[[_T], Counts], repeat: int) -> tuple[list[float], Counts]:
    """Time ``run(setup())`` ``repeat`` times; only ``run`` is inside the clock."""
    timings: list[float] = []
    seen: list[Counts] = []
    for _ in range(repeat):
        argument = setup()
        # Start each run without garbage from the previous one; the collector stays on, as
        # it is in a real driver.
        gc.collect()
        start = time.perf_counter()
        counts = run(argument)
        timings.append(time.perf_counter() - start)
        seen.append(counts)
    if any(counts != seen[0] for counts in seen):
        raise RuntimeError(f"runs counted differently: {seen}")
    return timings, seen[0]


def _expect(name: str, counts: Counts, **expected: int) -> None:
    for field, value in expected.items():
        got = getattr(counts, field)
        if got != value:
            raise RuntimeError(f"{name}: counted {got} {field}, the stream holds {value}")


def run_all(rows: int = DEFAULT_ROWS, repeat: int = DEFAULT_REPEAT) -> list[Result]:
    """Build the streams and run the four benchmarks.

    Args:
        rows: DataRow messages in the big stream; the mixed stream has ``rows // 10`` cycles
            (at least one).
        repeat: runs per benchmark; the best one is reported.

    Returns:
        One :class:`Result` per benchmark, in the order of the module docstring.

    Raises:
        ValueError: ``rows`` below 0 or ``repeat`` below 1.
        RuntimeError: a run counted something other than what its stream holds.
    """
    if rows < 0:
        raise ValueError(f"rows must be >= 0, got {rows}")
    if repeat < 1:
        raise ValueError(f"repeat must be >= 1, got {repeat}")
    results: list[Result] = []

    big = row_stream(rows)
    big_chunks = big.chunks()
    timings, counts = _measure(
        lambda: ready_client(big.queries), lambda client: drain_client(client, big_chunks), repeat
    )
    _expect("rows/batch", counts, messages=big.messages, rows=big.rows)
    results.append(Result("rows/batch", "messages", counts.messages, len(big.data), tuple(timings), counts))

    timings, counts = _measure(lambda: big_chunks, drain_per_message, repeat)
    _expect("rows/per-message", counts, messages=big.messages, rows=big.rows)
    results.append(
        Result("rows/per-message", "messages", counts.messages, len(big.data), tuple(timings), counts)
    )

    mixed = mixed_stream(max(1, rows // _ROWS_PER_MIXED_CYCLE))
    mixed_chunks = mixed.chunks()
    timings, counts = _measure(
        lambda: ready_client(mixed.queries), lambda client: drain_client(client, mixed_chunks), repeat
    )
    _expect("mixed/client", counts, messages=mixed.messages, rows=mixed.rows)
    results.append(
        Result("mixed/client", "messages", counts.messages, len(mixed.data), tuple(timings), counts)
    )

    batches = collect_batches(big)
    timings, counts = _measure(lambda: batches, iterate_rows, repeat)
    _expect("rows/iterate", counts, rows=big.rows, values=big.values)
    results.append(Result("rows/iterate", "rows", counts.rows, 0, tuple(timings), counts))
    return results


def _cpu_model() -> str:
    # /proc/cpuinfo names the CPU on Linux; platform.processor() is often empty there.
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def environment() -> dict[str, str | int]:
    """The Python version and the machine the figures were taken on."""
    return {
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu": _cpu_model(),
        "cpu_count": os.cpu_count() or 0,
    }


def format_table(results: Sequence[Result]) -> str:
    """The results as an aligned text table, one line per benchmark."""
    header = ("benchmark", "count", "unit", "best s", "per second", "MB/s")
    lines = [header]
    for result in results:
        lines.append(
            (
                result.name,
                f"{result.count:,}",
                result.unit,
                f"{result.best:.3f}",
                f"{result.per_second:,.0f}",
                f"{result.megabytes_per_second:.1f}" if result.nbytes else "-",
            )
        )
    widths = [max(len(line[column]) for line in lines) for column in range(len(header))]
    return "\n".join(
        "  ".join(
            cell.ljust(width) if column in (0, 2) else cell.rjust(width)
            for column, (cell, width) in enumerate(zip(line, widths, strict=True))
        )
        for line in lines
    )


def _report(results: Sequence[Result], rows: int, repeat: int) -> dict[str, object]:
    return {
        "environment": environment(),
        "rows": rows,
        "repeat": repeat,
        "chunk_size": CHUNK_SIZE,
        "results": [
            {
                "name": result.name,
                "unit": result.unit,
                "count": result.count,
                "bytes": result.nbytes,
                "seconds": list(result.seconds),
                "best_seconds": result.best,
                "per_second": result.per_second,
                "megabytes_per_second": result.megabytes_per_second if result.nbytes else None,
                "events": result.counts.events,
                "rows": result.counts.rows,
            }
            for result in results
        ],
    }


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmarks and print the table; see ``--help``.

    Returns:
        The exit status: 0.
    """
    parser = argparse.ArgumentParser(description="Benchmark pgwire's decoding of backend streams.")
    parser.add_argument(
        "--rows", type=_positive, default=DEFAULT_ROWS, help="DataRow messages (default %(default)s)"
    )
    parser.add_argument(
        "--repeat", type=_positive, default=DEFAULT_REPEAT, help="runs, best kept (default %(default)s)"
    )
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures to PATH as JSON")
    options = parser.parse_args(argv)
    results = run_all(options.rows, options.repeat)
    for key, value in environment().items():
        print(f"{key}: {value}")
    print(f"rows: {options.rows:,}, best of {options.repeat}, chunks of {CHUNK_SIZE} bytes\n")
    print(format_table(results))
    if options.json is not None:
        options.json.write_text(json.dumps(_report(results, options.rows, options.repeat), indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
