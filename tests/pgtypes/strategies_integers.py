"""Helpers shared by the pgtypes._integers tests: codec lookup and exact float comparison."""

from __future__ import annotations

import math

from pgtypes import _integers as ints
from pgtypes._codec import Codec, CodecTable

__all__ = ["REG_OIDS", "all_codecs", "codec", "same"]

_TABLE = CodecTable()
ints.register(_TABLE)

#: The reg* type OIDs (text-only codecs).
REG_OIDS = tuple(ints.REG_OIDS)


def codec(oid: int, format_code: int) -> Codec:
    """The _integers codec for ``oid`` in ``format_code`` (it must exist)."""
    found = _TABLE.get(oid, format_code)
    assert found is not None, (oid, format_code)
    return found


def all_codecs() -> list[Codec]:
    """Every codec _integers registers."""
    return list(_TABLE)


def same(left: object, right: object) -> bool:
    """Equality that also tells NaN from other values, -0.0 from 0.0 and bool from int."""
    if isinstance(left, float) and isinstance(right, float):
        if math.isnan(left) or math.isnan(right):
            return math.isnan(left) and math.isnan(right)
        return left == right and math.copysign(1.0, left) == math.copysign(1.0, right)
    return type(left) is type(right) and left == right
