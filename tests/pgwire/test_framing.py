"""The framer: same frames for any split of the stream, bounded sizes, DataRow batches."""

from __future__ import annotations

import itertools
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pgwire._client_errors import RemoteProtocolError
from pgwire._events import DataRowBatch
from pgwire._framing import MAX_BATCH_ROWS, MAX_STARTUP_PACKET_SIZE, Framer


def frame(type_code: bytes, payload: bytes) -> bytes:
    return type_code + struct.pack("!i", len(payload) + 4) + payload


def data_row(*values: bytes | None) -> bytes:
    body = struct.pack("!h", len(values))
    for value in values:
        body += struct.pack("!i", -1) if value is None else struct.pack("!i", len(value)) + value
    return frame(b"D", body)


def drain(framer: Framer) -> list[tuple[int, bytes]]:
    frames = []
    while (item := framer.next_message()) is not None:
        frames.append(item)
    return frames


STREAM = frame(b"Z", b"I") + frame(b"C", b"SELECT 1\x00") + frame(b"S", b"") + frame(b"d", b"x" * 300)
EXPECTED = [(ord("Z"), b"I"), (ord("C"), b"SELECT 1\x00"), (ord("S"), b""), (ord("d"), b"x" * 300)]


def test_whole_stream_at_once() -> None:
    framer = Framer()
    framer.receive_data(STREAM)
    assert drain(framer) == EXPECTED
    assert framer.buffered == 0


def test_byte_at_a_time() -> None:
    framer = Framer()
    frames = []
    for i in range(len(STREAM)):
        framer.receive_data(STREAM[i : i + 1])
        frames.extend(drain(framer))
    assert frames == EXPECTED


@given(st.lists(st.integers(min_value=0, max_value=len(STREAM)), max_size=12))
def test_any_split_gives_the_same_frames(cuts: list[int]) -> None:
    points = [0, *sorted(cuts), len(STREAM)]
    framer = Framer()
    frames = []
    for start, end in itertools.pairwise(points):
        if end > start:  # an empty chunk would mean the end of the stream
            framer.receive_data(STREAM[start:end])
        frames.extend(drain(framer))
    assert frames == EXPECTED


def test_trailing_partial_message_is_kept() -> None:
    framer = Framer()
    framer.receive_data(STREAM + b"Z\x00\x00")
    assert drain(framer) == EXPECTED
    assert framer.buffered == 3
    framer.receive_data(b"\x00\x05T")
    assert drain(framer) == [(ord("Z"), b"T")]


def test_large_message_in_many_chunks() -> None:
    payload = bytes(range(256)) * 4096  # 1 MiB
    data = frame(b"d", payload)
    framer = Framer()
    for i in range(0, len(data), 1000):
        framer.receive_data(data[i : i + 1000])
        if i + 1000 < len(data):
            assert framer.next_message() is None
    assert framer.next_message() == (ord("d"), payload)


def test_length_below_four_is_an_error() -> None:
    framer = Framer()
    framer.receive_data(b"Z\x00\x00\x00\x03")
    with pytest.raises(RemoteProtocolError, match=r"invalid length 3 for message type 'Z'"):
        framer.next_message()


def test_oversized_message_is_refused_from_its_header() -> None:
    framer = Framer(max_message_size=100)
    framer.receive_data(b"d" + struct.pack("!i", 105))  # only the header: nothing buffered beyond it
    with pytest.raises(RemoteProtocolError, match=r"declares 101 bytes, over the limit of 100"):
        framer.next_message()
    at_limit = Framer(max_message_size=100)
    at_limit.receive_data(frame(b"d", b"x" * 100))
    assert at_limit.next_message() == (ord("d"), b"x" * 100)


def test_end_of_stream_on_a_boundary_and_in_a_message() -> None:
    framer = Framer()
    framer.receive_data(frame(b"Z", b"I"))
    assert not framer.check_end()
    framer.receive_data(b"")
    assert framer.eof
    assert drain(framer) == [(ord("Z"), b"I")]
    assert framer.check_end()

    cut = Framer()
    cut.receive_data(frame(b"Z", b"I")[:4])
    cut.receive_data(b"")
    assert cut.next_message() is None
    with pytest.raises(RemoteProtocolError, match="closed in the middle of a message"):
        cut.check_end()
    with pytest.raises(RemoteProtocolError, match="after the end of the stream"):
        cut.receive_data(b"more")


def test_untyped_startup_packets() -> None:
    packet = struct.pack("!ii", 8, 80877103)
    framer = Framer()
    framer.receive_data(packet[:3])
    assert framer.next_untyped() is None
    framer.receive_data(packet[3:] + b"Q")
    assert framer.next_untyped() == struct.pack("!i", 80877103)
    assert framer.buffered == 1


@pytest.mark.parametrize("length", [7, MAX_STARTUP_PACKET_SIZE + 1, -1])
def test_startup_packet_length_limits(length: int) -> None:
    framer = Framer()
    framer.receive_data(struct.pack("!i", length) + b"\x00" * 8)
    with pytest.raises(RemoteProtocolError, match="invalid startup packet length"):
        framer.next_untyped()


def test_single_bytes() -> None:
    framer = Framer()
    assert framer.next_byte() is None
    framer.receive_data(b"S")
    assert framer.next_byte() == ord("S")
    assert framer.buffered == 0


def test_data_rows_come_as_one_batch_without_copy() -> None:
    rows = [data_row(b"1", None, b"abc"), data_row(), data_row(b"")]
    framer = Framer()
    framer.receive_data(b"".join(rows) + frame(b"C", b"SELECT 3\x00"))
    batch = framer._next_data_rows()
    assert isinstance(batch, DataRowBatch)
    assert len(batch) == 3
    assert list(batch.rows()) == [(b"1", None, b"abc"), (), (b"",)]
    assert list(batch.payloads()) == [r[5:] for r in rows]
    assert framer._next_data_rows() is None  # a CommandComplete is next
    assert framer.next_message() == (ord("C"), b"SELECT 3\x00")


def test_data_row_batch_stops_at_an_incomplete_row_and_resumes() -> None:
    rows = b"".join(data_row(str(i).encode()) for i in range(5))
    framer = Framer()
    framer.receive_data(rows[:-3])
    first = framer._next_data_rows()
    assert first is not None
    assert [r[0] for r in first.rows()] == [b"0", b"1", b"2", b"3"]
    assert framer._next_data_rows() is None
    framer.receive_data(rows[-3:])
    second = framer._next_data_rows()
    assert second is not None
    assert list(second.rows()) == [(b"4",)]


def test_data_row_split_over_chunks_is_joined() -> None:
    row = data_row(b"x" * 50)
    framer = Framer()
    for i in range(len(row)):
        framer.receive_data(row[i : i + 1])
    batch = framer._next_data_rows()
    assert batch is not None
    assert list(batch.rows()) == [(b"x" * 50,)]


def test_data_row_batches_are_bounded() -> None:
    framer = Framer()
    framer.receive_data(data_row(b"1") * (MAX_BATCH_ROWS + 10))
    first = framer._next_data_rows()
    second = framer._next_data_rows()
    assert first is not None and second is not None
    assert (len(first), len(second)) == (MAX_BATCH_ROWS, 10)


def test_oversized_data_row_is_refused() -> None:
    framer = Framer(max_message_size=10)
    framer.receive_data(data_row(b"1") + b"D" + struct.pack("!i", 1000))
    first = framer._next_data_rows()
    assert first is not None and len(first) == 1
    with pytest.raises(RemoteProtocolError, match="over the limit of 10"):
        framer._next_data_rows()


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        (b"\x00", "no column count"),
        (b"\xff\xff", "negative column count"),
        (b"\x00\x01\x00\x00", "column 1 has no length"),
        (b"\x00\x01\x00\x00\x00\x09ab", "column 1 has length 9, but 2 bytes are left in the row"),
        (b"\x00\x01\xff\xff\xff\xfe", "column 1 has length -2, but 0 bytes are left in the row"),
        (b"\x00\x00zz", "2 bytes after the last column"),
    ],
)
def test_malformed_data_rows_are_reported(payload: bytes, problem: str) -> None:
    framer = Framer()
    framer.receive_data(frame(b"D", payload))
    batch = framer._next_data_rows()
    assert batch is not None
    with pytest.raises(RemoteProtocolError, match=problem):
        list(batch.rows())


@pytest.mark.parametrize("run", [2, 15, 16, 17, 64, 65, 300, 1000])
def test_equal_size_rows_then_other_messages(run: int) -> None:
    """Runs of equal-size rows are found in C (header bytes compared at a stride); the run
    ends exactly where a row of another size or another message starts."""
    rows = [data_row(struct.pack("!i", i)) for i in range(run)]
    longer = data_row(b"12345")
    stream = b"".join(rows) + longer + rows[0] + frame(b"C", b"SELECT 1\x00")
    framer = Framer()
    framer.receive_data(stream)
    batches = []
    while (batch := framer._next_data_rows()) is not None:
        batches.append(batch)
    values = [row for batch in batches for row in batch.rows()]
    assert values == [(struct.pack("!i", i),) for i in range(run)] + [(b"12345",), (struct.pack("!i", 0),)]
    assert len(batches[0]) == run  # the whole equal-size run in one batch
    assert framer.next_message() == (ord("C"), b"SELECT 1\x00")


def test_equal_size_run_stops_at_a_length_that_differs_in_one_byte() -> None:
    same = [data_row(b"ab") for _ in range(40)]
    # Same total size as the others, but its length field says one byte less and the
    # following message makes up for it: the run must end before it.
    odd = b"D" + struct.pack("!i", 11) + struct.pack("!hi", 1, 1) + b"a"
    stream = b"".join(same) + odd + frame(b"S", b"") + frame(b"C", b"SELECT 41\x00")
    framer = Framer()
    framer.receive_data(stream)
    first = framer._next_data_rows()
    assert first is not None and len(first) == 40
    second = framer._next_data_rows()
    assert second is not None and list(second.rows()) == [(b"a",)]
    assert framer.next_message() == (ord("S"), b"")


def test_equal_size_batches_are_bounded() -> None:
    framer = Framer()
    framer.receive_data(data_row(b"1234") * (MAX_BATCH_ROWS * 2 + 3))
    sizes = []
    while (batch := framer._next_data_rows()) is not None:
        sizes.append(len(batch))
    assert sizes == [MAX_BATCH_ROWS, MAX_BATCH_ROWS, 3]


def test_skip_exact_consumes_only_a_whole_match() -> None:
    framer = Framer()
    framer.receive_data(b"2\x00\x00\x00\x04" + b"2\x00\x00")
    assert framer._skip_exact(b"2\x00\x00\x00\x04")
    assert not framer._skip_exact(b"2\x00\x00\x00\x04")  # only 3 of its 5 bytes are here
    framer.receive_data(b"\x00\x04")
    assert framer.next_message() == (ord("2"), b"")
    assert framer.next_message() is None
