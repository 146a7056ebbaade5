"""Helpers for the row decoder tests: DataRow payloads built by hand, batches in shared buffers.

A batch puts its payloads inside one buffer with other bytes around them, as pgwire's framer
hands rows over; ``reference`` is the model every decoder path is checked against.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from pgtypes import Codec, TypeRegistry
from pgwire import DataRow, DataRowBatch

__all__ = [
    "JUNK",
    "NULL",
    "REGISTRY",
    "batch",
    "codec",
    "col",
    "fails_once",
    "length",
    "payload",
    "raw_row",
    "reference",
    "shape",
    "unfixed",
]

REGISTRY = TypeRegistry.default()

# Junk placed around rows in a batch: not valid UTF-8, not a valid bool, not a plausible length.
JUNK = b"\xa5\xff\x07"


def codec(oid: int) -> Codec:
    return REGISTRY.result_codec(oid)


def unfixed(codecs: Sequence[Codec]) -> list[Codec]:
    """The same codecs without their struct code: the decoder then has no fast path at all."""
    return [replace(item, fixed="") for item in codecs]


def payload(values: Sequence[bytes | None]) -> bytes:
    return DataRow(tuple(values)).encode_payload()


def col(data: bytes) -> bytes:
    """One column of a hand-built payload: its Int32 length and its bytes."""
    return struct.pack("!i", len(data)) + data


def length(value: int) -> bytes:
    """A bare Int32 length field."""
    return struct.pack("!i", value)


NULL = length(-1)


def raw_row(count: int, *parts: bytes) -> bytes:
    return struct.pack("!h", count) + b"".join(parts)


def batch(
    payloads: Sequence[bytes], *, before: bytes = JUNK, gap: bytes = JUNK, after: bytes = JUNK * 40
) -> DataRowBatch:
    """The payloads inside one buffer, with ``before``, ``gap`` and ``after`` bytes around them.

    Bytes after the last row make sure no decoding path reads past a row's end unnoticed.
    """
    buffer = bytearray(before)
    starts: list[int] = []
    ends: list[int] = []
    for index, item in enumerate(payloads):
        if index:
            buffer += gap
        starts.append(len(buffer))
        buffer += item
        ends.append(len(buffer))
    buffer += after
    return DataRowBatch(bytes(buffer), starts, ends)


def shape(values: Sequence[Any]) -> list[tuple[type, str]]:
    """What a comparison must see: the type and repr of each value (NaN equals NaN, 0.0 is not -0.0)."""
    return [(type(value), repr(value)) for value in values]


def reference(codecs: Sequence[Codec], raw: Sequence[bytes | None]) -> list[Any]:
    """The reference model: each value decoded on its own by its column's codec."""
    return [None if data is None else item.decode(data) for item, data in zip(codecs, raw, strict=True)]


def fails_once(then: Callable[[Any], Any]) -> tuple[Callable[[Any], Any], list[Any]]:
    """A codec function that raises ``ValueError("first call fails")`` on its first call and
    answers ``then(value)`` afterwards, with the list of the values it was called with."""
    calls: list[Any] = []

    def flaky(value: Any) -> Any:
        calls.append(value)
        if len(calls) == 1:
            raise ValueError("first call fails")
        return then(value)

    return flaky, calls
