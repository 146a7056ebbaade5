"""Correctness guard for bench/bench_framing.py: on a tiny stream, every benchmark counts exactly.

No timing is asserted: the point is that the benchmark measures the work it claims (every
message decoded, every row seen), so a broken path cannot report a fast, empty run.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bench.bench_framing import (
    Counts,
    Stream,
    collect_batches,
    drain_client,
    drain_per_message,
    iterate_rows,
    main,
    mixed_stream,
    ready_client,
    row_stream,
    run_all,
)

from pgwire import DataRow, Framer, NoticeResponse, NotificationResponse, ParameterStatus, decode_backend

ROWS = 1000


def frame_types(stream: Stream) -> list[int]:
    """The type byte of every frame in ``stream``, cut independently of the benchmark."""
    framer = Framer()
    framer.receive_data(stream.data)
    types: list[int] = []
    while (frame := framer.next_message()) is not None:
        types.append(frame[0])
    assert framer.buffered == 0
    return types


def test_row_stream_holds_what_it_says() -> None:
    stream = row_stream(ROWS)
    types = frame_types(stream)
    assert types == [ord("T")] + [ord("D")] * ROWS + [ord("C"), ord("Z")]
    assert (stream.messages, stream.rows, stream.values, stream.queries) == (ROWS + 3, ROWS, 3 * ROWS, 1)


def test_mixed_stream_holds_what_it_says() -> None:
    stream = mixed_stream(100)
    types = frame_types(stream)
    assert len(types) == stream.messages
    assert types.count(ord("D")) == stream.rows
    assert types.count(ord("Z")) == stream.queries == 100
    # 99 SELECT cycles of 1 + i % 5 rows, one SET cycle (i = 99, which would have had 5 rows).
    assert stream.rows == sum(1 + cycle % 5 for cycle in range(99))
    framer = Framer()
    framer.receive_data(stream.data)
    asynchronous: list[type] = []
    while (frame := framer.next_message()) is not None:
        message = decode_backend(*frame)
        if isinstance(message, NoticeResponse | NotificationResponse | ParameterStatus):
            asynchronous.append(type(message))
    assert asynchronous.count(NoticeResponse) == 9  # cycles 9, 19, ..., 89 (99 is the SET)
    assert asynchronous.count(NotificationResponse) == 4  # after cycles 24, 49, 74, 99
    assert asynchronous.count(ParameterStatus) == 1


def test_batch_path_counts_every_row() -> None:
    stream = row_stream(ROWS)
    counts = drain_client(ready_client(stream.queries), stream.chunks(64))
    assert counts.rows == ROWS
    assert counts.messages == ROWS + 3
    # Rows come batched: fewer events than messages, and at least the three non-row messages.
    assert 4 <= counts.events < counts.messages


def test_per_message_path_counts_every_message() -> None:
    stream = row_stream(ROWS)
    assert drain_per_message(stream.chunks(100)) == Counts(events=ROWS + 3, messages=ROWS + 3, rows=ROWS)


def test_mixed_stream_through_the_client() -> None:
    stream = mixed_stream(100)
    counts = drain_client(ready_client(stream.queries), stream.chunks())
    assert counts.messages == stream.messages
    assert counts.rows == stream.rows


def test_client_that_misses_answers_is_reported() -> None:
    stream = row_stream(10)
    # Two queries sent, one answered: the run must not pass as complete.
    with pytest.raises(RuntimeError, match="unanswered"):
        drain_client(ready_client(2), stream.chunks())


def test_iterate_rows_sees_every_value() -> None:
    stream = row_stream(ROWS)
    batches = collect_batches(stream)
    counts = iterate_rows(batches)
    assert (counts.rows, counts.values) == (ROWS, 3 * ROWS)
    # The values are the encoded ones, NULLs included.
    expected = [DataRow.decode(payload).values for batch in batches for payload in batch.payloads()]
    assert [row for batch in batches for row in batch.rows()] == expected
    assert sum(value is None for row in expected for value in row) == ROWS - len(range(0, ROWS, 7))


def test_run_all_reports_exact_counts() -> None:
    results = run_all(rows=ROWS, repeat=1)
    mixed = mixed_stream(ROWS // 10)
    big = row_stream(ROWS)
    assert [(result.name, result.unit, result.count, result.nbytes) for result in results] == [
        ("rows/batch", "messages", ROWS + 3, len(big.data)),
        ("rows/per-message", "messages", ROWS + 3, len(big.data)),
        ("mixed/client", "messages", mixed.messages, len(mixed.data)),
        ("rows/iterate", "rows", ROWS, 0),
    ]
    assert all(len(result.seconds) == 1 for result in results)


def test_main_writes_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "figures.json"
    assert main(["--rows", str(ROWS), "--repeat", "2", "--json", str(path)]) == 0
    report = json.loads(path.read_text())
    assert (report["rows"], report["repeat"]) == (ROWS, 2)
    assert [(entry["name"], entry["count"], len(entry["seconds"])) for entry in report["results"]] == [
        ("rows/batch", ROWS + 3, 2),
        ("rows/per-message", ROWS + 3, 2),
        ("mixed/client", mixed_stream(ROWS // 10).messages, 2),
        ("rows/iterate", ROWS, 2),
    ]
    assert "rows/per-message" in capsys.readouterr().out


@pytest.mark.parametrize("argument", ["--rows=0", "--repeat=0"])
def test_main_refuses_non_positive_options(argument: str) -> None:
    with pytest.raises(SystemExit):
        main([argument])
