"""pgwire's DataRow walk: the compiled twin (``pgwire._speedups.walk_rows``) agrees with the
pure reference (``pgwire._framing.walk_rows``) on every input, well-formed or not."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pgwire import DataRow
from pgwire._framing import MAX_BATCH_ROWS, row_run, walk_rows

compiled = pytest.importorskip("pgwire._speedups", reason="the pure build has no compiled walk")

rows = st.lists(st.lists(st.one_of(st.none(), st.binary(max_size=12)), max_size=4).map(tuple), max_size=12)


def messages(values: list[tuple[bytes | None, ...]]) -> bytes:
    return b"".join(DataRow(row).encode() for row in values)


def both(buffer: bytes, pos: int, limit: int, max_rows: int) -> tuple[list[int], list[int], int]:
    expected = walk_rows(buffer, pos, limit, max_rows)
    assert compiled.walk_rows(buffer, pos, limit, max_rows) == expected
    return expected


@given(
    rows,
    st.binary(max_size=8),
    st.binary(max_size=8),
    st.integers(-3, 40),
    st.integers(0, 40),
    st.integers(0, 20),
)
def test_the_two_walks_agree(
    values: list[tuple[bytes | None, ...]], before: bytes, after: bytes, shift: int, limit: int, max_rows: int
) -> None:
    buffer = before + messages(values) + after
    both(buffer, len(before) + shift, limit, max_rows)
    both(buffer, len(before), 1 << 30, MAX_BATCH_ROWS)


@given(st.binary(max_size=64), st.integers(-2, 70))
def test_the_two_walks_agree_on_any_bytes(buffer: bytes, pos: int) -> None:
    both(b"D" + buffer, pos, 1 << 30, MAX_BATCH_ROWS)


def test_the_walk_stops_at_faulty_lengths_and_incomplete_rows() -> None:
    good = DataRow((b"ab",)).encode()
    for tail in (b"D\x00\x00\x00\x02", b"D" + struct.pack("!i", -7), b"D\x00\x00\x00\x40xyz", b"C\x00"):
        starts, ends, end = both(good * 3 + tail, 0, 1 << 30, MAX_BATCH_ROWS)
        assert (len(starts), end) == (3, 3 * len(good))
        assert ends == [len(good) * (i + 1) for i in range(3)]
    # Over the length limit, and at the row limit.
    assert both(good, 0, len(good) - 2, MAX_BATCH_ROWS) == ([], [], 0)
    assert both(good * 5, 0, 1 << 30, 2)[2] == 2 * len(good)


def test_row_run_gives_ranges_for_equal_rows_and_the_walk_otherwise() -> None:
    equal = messages([(b"1",)] * 4)
    starts, ends, end = row_run(equal, 0, 1 << 30)
    assert isinstance(starts, range) and isinstance(ends, range)
    assert (list(starts), list(ends), end) == walk_rows(equal, 0, 1 << 30, MAX_BATCH_ROWS)
    varied = messages([(b"1",), (b"22",), (b"333",)])
    assert row_run(varied, 0, 1 << 30) == walk_rows(varied, 0, 1 << 30, MAX_BATCH_ROWS)
