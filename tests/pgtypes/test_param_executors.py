"""The compiled parameter encoder against the pure one: the same bytes and the same errors.

``ParameterEncoder.encode_many`` runs ``pgtypes._speedups.encode_many`` on the plan of
``pgtypes._param_plan`` in the compiled build; with its compiled executor switched off it runs
the pure reference. hypothesis draws parameter types and argument values of the right and of
wrong Python types, out of range, with NUL characters, lone surrogates and NULLs, in lists,
tuples and other containers: both must return the same tuples of bytes or raise the same
exception with the same message; the binary COPY encoder runs the same plan
(``pgtypes._speedups.copy_rows``) and must give the same bytes and errors. Skipped in the pure
build (one executor).
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pgtypes
from pgtypes import CopyRecordEncoder, ParameterEncoder, TypeRegistry, _copy_encoder
from pgwire.exceptions import DataError

pytestmark = pytest.mark.skipif(pgtypes.implementation != "c", reason="the pure build has one executor")

REGISTRY = TypeRegistry.default()
OIDS = [21, 23, 20, 26, 701, 700, 25, 1043, 17, 16, 1700, 1082, 3802, 1007]
ANY_VALUE = st.one_of(
    st.none(),
    st.integers(-(2**70), 2**70),
    st.floats(),
    st.text(max_size=6),
    st.sampled_from(["a\x00b", "\ud800", "é", ""]),
    st.binary(max_size=6),
    st.booleans(),
    st.just(Decimal("1.25")),
    st.just(datetime.date(2024, 1, 2)),
    st.lists(st.integers(-5, 5), max_size=3),
    st.just(bytearray(b"xy")),
)


def outcome(encoder: ParameterEncoder, sets: Any, first_index: int) -> tuple[str, Any]:
    try:
        return "ok", encoder.encode_many(sets, first_index=first_index)
    except Exception as error:
        return "error", (type(error), str(error))


def pure(encoder: ParameterEncoder) -> ParameterEncoder:
    encoder._compiled = None  # the private switch the differential test needs
    return encoder


@settings(max_examples=500)
@given(
    st.lists(st.sampled_from(OIDS), min_size=1, max_size=6),
    st.data(),
    st.sampled_from([list, tuple]),
    st.integers(0, 3),
)
def test_encode_many_agrees(oids: list[int], data: st.DataObject, container: type, first_index: int) -> None:
    width = len(oids)
    row = st.lists(ANY_VALUE, min_size=width, max_size=width).map(container)
    odd = st.one_of(row, st.lists(ANY_VALUE, max_size=width + 1).map(tuple), st.just({"a": 1}))
    sets = data.draw(st.lists(st.one_of(row, row, odd), max_size=5))
    compiled = ParameterEncoder.for_types(REGISTRY, oids)
    assert compiled._compiled is not None
    reference = pure(ParameterEncoder.for_types(REGISTRY, oids))
    assert outcome(compiled, sets, first_index) == outcome(reference, sets, first_index)


def test_every_common_value_is_encoded_in_c_as_by_its_codec() -> None:
    oids = [21, 23, 20, 26, 701, 25, 17]
    values = (-(2**15), 2**31 - 1, -(2**63), 2**32 - 1, -0.0, "zß€", b"\x00\xff")
    encoder = ParameterEncoder.for_types(REGISTRY, oids)
    assert encoder.encode_many([values]) == [
        tuple(REGISTRY.parameter_codec(o).encode(v) for o, v in zip(oids, values, strict=True))
    ]


def test_an_out_of_range_integer_is_named_by_the_reference() -> None:
    encoder = ParameterEncoder.for_types(REGISTRY, [23])
    with pytest.raises(DataError, match=r"\$1 in element #1 of executemany"):
        encoder.encode_many([(1,), (2**31,)])


def pure_copy_encoder(names: list[str], codecs: list[Any], chunk_size: int) -> CopyRecordEncoder:
    """The COPY encoder of the pure build (built while the compiled module is hidden)."""
    saved = vars(_copy_encoder)["speedups"]
    setattr(_copy_encoder, "speedups", None)  # noqa: B010  # the module's Final name, for this test only
    try:
        return CopyRecordEncoder(names, codecs, chunk_size=chunk_size)
    finally:
        setattr(_copy_encoder, "speedups", saved)  # noqa: B010


def copy_outcome(encoder: CopyRecordEncoder, rows: list[Any]) -> tuple[Any, ...]:
    try:
        data = b"".join(encoder.chunks(rows))
    except Exception as error:
        return "error", type(error), str(error), encoder.take(), encoder.rows
    return "ok", data + encoder.finish(), encoder.rows


@settings(max_examples=300)
@given(st.lists(st.sampled_from(OIDS), min_size=1, max_size=6), st.data(), st.integers(1, 64))
def test_copy_records_agree(oids: list[int], data: st.DataObject, chunk_size: int) -> None:
    width = len(oids)
    row = st.lists(ANY_VALUE, min_size=width, max_size=width).map(tuple)
    rows = data.draw(st.lists(st.one_of(row, row, st.lists(ANY_VALUE, max_size=width + 1)), max_size=5))
    codecs = [REGISTRY.result_codec(oid) for oid in oids]
    names = [f"c{index}" for index in range(width)]
    compiled = CopyRecordEncoder(names, codecs, chunk_size=chunk_size)
    reference = pure_copy_encoder(names, codecs, chunk_size)
    assert copy_outcome(compiled, rows) == copy_outcome(reference, rows)
