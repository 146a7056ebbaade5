"""BindExecuteBatch's compiled encoding (``pgwire._speedups.encode_pairs``) against the pure loops.

For rows it takes (tuples of the first row's width, each value bytes or None) it gives the
pure loops' bytes exactly; for any other row it says "not handled" (None), and the batch then
encodes through the pure loops, which encode the row or raise the error naming it.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pgwire import BindExecuteBatch, LocalProtocolError
from pgwire import _batch as batch_module

compiled = pytest.importorskip("pgwire._speedups", reason="the pure build has no compiled encoding")

plain = st.one_of(st.none(), st.binary(max_size=12))


def view(value: bytes) -> memoryview:
    return memoryview(value)


odd = st.one_of(st.builds(bytearray, st.binary(max_size=4)), st.binary(max_size=4).map(view))


def pure_bytes(batch: BindExecuteBatch) -> bytes:
    """The batch through the checked loop alone: the reference."""
    rows = batch.rows
    head, tail, execute = batch_module._template(
        batch.statement, batch.param_formats, len(rows[0]), batch.result_formats, batch.max_rows
    )
    return BindExecuteBatch._encode_checked(rows, len(rows[0]), head, tail, execute)


def twin(batch: BindExecuteBatch) -> bytes | None:
    rows = batch.rows
    head, tail, execute = batch_module._template(
        batch.statement, batch.param_formats, len(rows[0]), batch.result_formats, batch.max_rows
    )
    result: bytes | None = compiled.encode_pairs(rows, head, tail, execute, len(rows[0]))
    return result


@given(
    st.integers(0, 40).flatmap(lambda n: st.lists(st.tuples(*[plain] * n), min_size=1, max_size=6)),
    st.sampled_from([(), (0,), (1,)]),
    st.sampled_from([(), (1,), (0, 1)]),
    st.integers(0, 3),
)
def test_the_same_bytes_as_the_pure_loops(
    rows: list[tuple[bytes | None, ...]], formats: tuple[int, ...], results: tuple[int, ...], max_rows: int
) -> None:
    batch = BindExecuteBatch("stmt", formats, rows, results, max_rows)
    assert twin(batch) == pure_bytes(batch) == b"".join(message.encode() for message in batch.messages())
    assert batch.encode() == pure_bytes(batch)


@given(st.data())
def test_rows_it_does_not_take_are_left_to_the_pure_loops(data: st.DataObject) -> None:
    width = data.draw(st.integers(1, 4))
    good = [data.draw(st.tuples(*[plain] * width)) for _ in range(data.draw(st.integers(1, 3)))]
    kind = data.draw(st.sampled_from(["list row", "bytes-like value", "str value", "short row"]))
    bad: Any = {
        "list row": [b"x"] * width,
        "bytes-like value": (data.draw(odd), *[b"y"] * (width - 1)),
        "str value": ("text", *[b"y"] * (width - 1)),
        "short row": (b"z",) * (width - 1),
    }[kind]
    batch = BindExecuteBatch("s", (1,), [*good, bad, *good])
    assert twin(batch) is None
    if kind == "short row":
        with pytest.raises(LocalProtocolError, match=r"rows\[\d\] has"):
            batch.encode()
    elif kind == "str value":
        with pytest.raises(TypeError):
            batch.encode()
    else:  # the pure loops take any bytes-like value and any sequence for a row
        assert batch.encode() == pure_bytes(batch)


def test_only_a_list_or_tuple_of_rows_is_taken() -> None:
    rows = [(b"a" * 100,)] * 3
    head, tail, execute = batch_module._template("s", (), 1, (), 0)
    expected = BindExecuteBatch._encode_checked(rows, 1, head, tail, execute)
    assert compiled.encode_pairs(rows, head, tail, execute, 1) == expected
    assert compiled.encode_pairs(tuple(rows), head, tail, execute, 1) == expected
    assert compiled.encode_pairs(iter(rows), head, tail, execute, 1) is None
