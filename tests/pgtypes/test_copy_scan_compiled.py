"""The binary COPY decoder's compiled tuple walk (``pgtypes._speedups.scan_copy_tuples``)
against the pure scanner (``pgtypes._copy_scan``): the same records and the same errors for
any data, whole or damaged, however it is cut."""

from __future__ import annotations

import struct
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pgtypes
from pgtypes import CopyRecordDecoder, Record
from pgtypes._copy_scan import build_scanner
from tests.pgtypes.copy_rows import REGISTRY, cut, encode_all, fields, tables
from tests.pgtypes.rows import shape
from tests.pgtypes.test_copy_binary import encoder_for

compiled = pytest.importorskip("pgtypes._speedups", reason="the pure build has no compiled walk")
pytestmark = pytest.mark.skipif(pgtypes.implementation != "c", reason="the pure build runs the pure scanner")


def pure(decoder: CopyRecordDecoder) -> CopyRecordDecoder:
    """The same decoder with the pure scanner: the reference."""
    codecs = decoder.codecs
    decoder._scan_common = build_scanner(  # the private switch the differential test needs
        [struct.calcsize("!" + codec.fixed) if codec.fixed else 0 for codec in codecs]
    )
    return decoder


def outcome(decoder: CopyRecordDecoder, pieces: list[bytes]) -> tuple[list[Any], str | None]:
    records: list[Record] = []
    try:
        for piece in pieces:
            decoder.feed(piece, records)
        decoder.finish()
    except Exception as error:
        return [shape(record) for record in records], f"{type(error).__name__}: {error}"
    return [shape(record) for record in records], None


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(tables(), st.data())
def test_the_compiled_walk_decodes_as_the_pure_scanner(
    table: tuple[list[int], list[Any]], data: st.DataObject
) -> None:
    oids, rows = table
    columns = fields(oids)
    stream = bytearray(encode_all(encoder_for(columns), rows))
    how = data.draw(st.sampled_from(["whole", "byte", "cut", "extend", "length"]))
    if how == "byte" and stream:
        stream[data.draw(st.integers(0, len(stream) - 1))] = data.draw(st.integers(0, 255))
    elif how == "cut":
        del stream[data.draw(st.integers(0, len(stream))) :]
    elif how == "extend":
        stream += data.draw(st.binary(min_size=1, max_size=8))
    elif how == "length" and len(stream) > 27:
        at = data.draw(st.integers(19, len(stream) - 4))
        stream[at : at + 4] = struct.pack("!i", data.draw(st.integers(-5, 2**31 - 1)))
    pieces = list(cut(bytes(stream), data.draw(st.lists(st.integers(0, 10_000), max_size=8))))
    fast = CopyRecordDecoder.for_fields(REGISTRY, columns)
    assert fast._scan_common.func is compiled.scan_copy_tuples  # type: ignore[attr-defined]  # a partial
    assert outcome(fast, pieces) == outcome(pure(CopyRecordDecoder.for_fields(REGISTRY, columns)), pieces)


def test_the_walk_stops_where_the_decoder_must_look() -> None:
    one = struct.pack("!hi", 1, 4) + b"abcd"
    starts: list[int] = []
    ends: list[int] = []
    trailer = struct.pack("!h", -1)
    assert compiled.scan_copy_tuples(1, one * 2 + trailer, 0, len(one) * 2 + 2, starts, ends) == 2 * len(one)
    assert (starts, ends) == ([0, len(one)], [len(one), 2 * len(one)])
    # A length below -1, and a value that runs past the data, stop it where the tuple starts.
    assert compiled.scan_copy_tuples(1, struct.pack("!hi", 1, -2), 0, 6, [], []) == 0
    assert compiled.scan_copy_tuples(1, one, 0, len(one) - 1, [], []) == 0
    assert compiled.scan_copy_tuples(1, one, -1, len(one), [], []) == -1


def test_a_position_near_the_end_of_the_index_range_and_none_are_refused_cleanly() -> None:
    assert compiled.scan_copy_tuples(1, b"\x00\x01\x00\x00\x00\x00", 2**63 - 1, 6, [], []) == 2**63 - 1
    with pytest.raises(TypeError):
        compiled.scan_copy_tuples(1, None, 0, 6, [], [])
