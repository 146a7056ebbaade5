"""pgwire's DataRow walk and CopyData run: the compiled twins (``pgwire._speedups.walk_rows``,
``row_run`` and ``copy_run``) agree with the pure references (``pgwire._framing``) on every
input, well-formed or not."""

from __future__ import annotations

import struct
from collections.abc import Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pgwire import CommandComplete, CopyData, DataRow
from pgwire._framing import MAX_BATCH_ROWS, copy_run, row_run, walk_rows

compiled = pytest.importorskip("pgwire._speedups", reason="the pure build has no compiled walk")

rows = st.lists(st.lists(st.one_of(st.none(), st.binary(max_size=12)), max_size=4).map(tuple), max_size=12)


def messages(values: Sequence[tuple[bytes | None, ...]]) -> bytes:
    return b"".join(DataRow(row).encode() for row in values)


def both(buffer: bytes, pos: int, limit: int, max_rows: int) -> tuple[list[int], list[int], int]:
    """The walk of both builds, and the run (ranges for equal rows) of both, which must agree."""
    expected = walk_rows(buffer, pos, limit, max_rows)
    assert compiled.walk_rows(buffer, pos, limit, max_rows) == expected
    pure_run = row_run(buffer, pos, limit, max_rows)
    compiled_run = compiled.row_run(buffer, pos, limit, max_rows)
    assert [type(part) for part in compiled_run] == [type(part) for part in pure_run]
    assert [list(pure_run[0]), list(pure_run[1]), pure_run[2]] == [
        list(compiled_run[0]),
        list(compiled_run[1]),
        compiled_run[2],
    ]
    if isinstance(pure_run[0], list):  # no run of equal rows: the run is the walk
        assert pure_run == expected
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


@given(st.integers(0, 6), st.integers(0, 3), st.integers(0, 8), st.integers(1, 10))
def test_the_two_runs_agree_on_equal_rows(equal: int, other: int, cut: int, max_rows: int) -> None:
    data = messages([(b"ab",)] * equal + [(b"abc",)] * other)
    both(data[: len(data) - cut], 0, 1 << 30, max_rows)


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
    starts, ends, end = row_run(equal, 0, 1 << 30, MAX_BATCH_ROWS)
    assert isinstance(starts, range) and isinstance(ends, range)
    assert (list(starts), list(ends), end) == walk_rows(equal, 0, 1 << 30, MAX_BATCH_ROWS)
    varied = messages([(b"1",), (b"22",), (b"333",)])
    assert row_run(varied, 0, 1 << 30, MAX_BATCH_ROWS) == walk_rows(varied, 0, 1 << 30, MAX_BATCH_ROWS)


pieces = st.one_of(
    st.binary(max_size=20).map(lambda payload: CopyData(payload).encode()),
    st.binary(max_size=20).map(lambda payload: CopyData(payload).encode()),
    st.just(CommandComplete("COPY 1").encode()),
    st.tuples(st.integers(-5, 40), st.binary(max_size=8)).map(
        lambda v: b"d" + struct.pack("!i", v[0]) + v[1]
    ),
)


@given(st.lists(pieces, max_size=12), st.integers(-1, 12), st.integers(0, 30), st.integers(0, 3))
def test_the_compiled_walk_agrees_with_the_pure_one(
    parts: list[bytes], pos: int, limit: int, cut: int
) -> None:
    buffer = b"".join(parts)
    buffer = buffer[: len(buffer) - cut] if cut <= len(buffer) else buffer
    assert compiled.copy_run(buffer, pos, limit) == copy_run(buffer, pos, limit)
    assert compiled.copy_run(buffer, pos, 1 << 30) == copy_run(buffer, pos, 1 << 30)


def test_positions_near_the_end_of_the_index_range_and_none_are_refused_cleanly() -> None:
    # No overflow of the position arithmetic, and no bytes object made of None.
    last = 2**63 - 1
    assert compiled.copy_run(b"d\x00\x00\x00\x04", last, 100) == copy_run(b"d\x00\x00\x00\x04", last, 100)
    assert compiled.walk_rows(b"D\x00\x00\x00\x04", last, 100, 10) == walk_rows(
        b"D\x00\x00\x00\x04", last, 100, 10
    )
    for walk in (compiled.copy_run, compiled.walk_rows, compiled.row_run):
        with pytest.raises(TypeError):
            walk(None, 0, 100, *([10] if walk is not compiled.copy_run else []))
    with pytest.raises(TypeError):
        compiled.encode_pairs([(b"a",)], None, b"", b"", 1)
