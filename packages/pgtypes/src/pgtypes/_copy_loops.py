"""Encoding loops written out per column shape: the binary COPY encoder's fast path.

A binary COPY tuple is the Int16 field count, then per field an Int32 length and the value
(PostgreSQL docs, "COPY", "Binary Format", "Tuples"). For a given table the walk over the
columns is always the same, so, as :mod:`pgtypes._row_loops` does for decoding, the loop that
encodes rows is written out once per shape and compiled, with each column's encode function
and each precompiled ``struct.Struct`` bound to a local name. The field count, the length
words and every value of a run of fixed-width columns (int4, float8, ...) are packed by one
``struct`` call; each other value is encoded by its codec and its length goes into the
``struct`` call before it. The source is made from the shape only (struct codes and which
columns need a type guard), as ``collections.namedtuple`` generates its class.

The loop takes the common rows: a tuple or list of the right length whose fixed-width values
``struct`` packs exactly as their codecs would. Anything else (a NULL in a fixed-width
column, a float where an int4 goes, a value its codec refuses, a row of another length)
stops the loop, which hands that row back for the encoder's plain path to encode or
describe. Each row's bytes are built before they are appended, so the output only ever holds
whole tuples.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator, Sequence
from enum import Enum
from functools import lru_cache
from typing import Any

from pgtypes._copy_format import compile_builder, piece_layouts

__all__ = ["CopyLoop", "LoopEnd", "build_copy_loop"]


class LoopEnd(Enum):
    """Why a loop returned, when it was not for a row it could not encode."""

    FULL = "full"  # the output reached its limit; more rows may follow
    DONE = "done"  # the rows ran out


#: ``loop(rows, out, size, limit) -> (end, size)``: encode rows from the iterator ``rows``,
#: appending one ``bytes`` per tuple to ``out``, with ``size`` the bytes already in ``out``;
#: stop when ``size`` reaches ``limit`` (FULL), at the end (DONE), or at a row the loop
#: cannot encode, which it returns instead of a ``LoopEnd``.
CopyLoop = Callable[[Iterator[Any], list[bytes], int, int], tuple[Any, int]]

# A column of the shape: (struct code or "" for a value its codec encodes, has a type guard).
Column = tuple[str, bool]


def build_copy_loop(
    columns: Sequence[Column], encoders: Sequence[Any], guards: Sequence[type | None]
) -> CopyLoop:
    """The written-out loop for rows of ``columns``.

    Args:
        columns: per column, the ``struct`` code its values are packed with (``""``: the
            value goes through its encoder) and whether its values need a type guard.
        encoders: per column, its codec's encode function (used for the ``""`` columns).
        guards: per column, the exact type a packed value must have to be packed (``None``:
            ``struct`` accepts only what the codec accepts, so no guard is needed).
    """
    shape = tuple((code, guard is not None) for (code, _), guard in zip(columns, guards, strict=True))
    structs = [struct.Struct(layout).pack for layout in _layouts(shape)]
    arguments: list[Any] = [(tuple, list), LoopEnd.FULL, LoopEnd.DONE, *structs]
    arguments += [encode for (code, _), encode in zip(shape, encoders, strict=True) if not code]
    arguments += [guard for guard in guards if guard is not None]
    loop: CopyLoop = _builder(shape)(*arguments)
    return loop


def _layouts(shape: Sequence[Column]) -> list[str]:
    """The ``struct`` layout of each packed piece of a tuple: the field count or a length
    word, the length words and values of the fixed-width columns that follow, and the length
    word of the next encoded value."""
    return piece_layouts([("i" + code, not code) for code, _ in shape])


@lru_cache(maxsize=256)
def _builder(shape: tuple[Column, ...]) -> Callable[..., CopyLoop]:
    """Compile the builder of the loop for a shape."""
    count = len(shape)
    packs = len(_layouts(shape))
    parameters = ["row_types", "full", "done", *(f"s{index}" for index in range(packs))]
    parameters += [f"e{index}" for index, (code, _) in enumerate(shape) if not code]
    parameters += [f"g{index}" for index, (_, guarded) in enumerate(shape) if guarded]
    names = [f"a{index}" for index in range(count)]
    body = [f"{''.join(name + ', ' for name in names) or '[] '}= row" if count != 1 else "a0, = row"]
    guarded = [f"type(a{index}) is not g{index}" for index, (_, guard) in enumerate(shape) if guard]
    if guarded:
        body += [f"if {' or '.join(guarded)}:", "    return row, size"]
    # The encoded values first: their lengths go into the struct calls.
    for index, (code, _) in enumerate(shape):
        if not code:
            body += [
                f"if a{index} is None:",
                f'    d{index} = b""',
                f"    l{index} = -1",
                "else:",
                f"    d{index} = e{index}(a{index})",
                f"    l{index} = len(d{index})",
            ]
    parts: list[str] = []
    arguments = [str(count)]
    for index, (code, _) in enumerate(shape):
        if code:
            arguments += [str(struct.calcsize("!" + code)), f"a{index}"]
        else:
            arguments.append(f"l{index}")
            parts += [f"s{len(parts) // 2}({', '.join(arguments)})", f"d{index}"]
            arguments = []
    if arguments:
        parts.append(f"s{len(parts) // 2}({', '.join(arguments)})")
    body.append(f"data = {' + '.join(parts)}")
    lines = [
        f"def build({', '.join(parameters)}):",
        "    def loop(rows, out, size, limit):",
        "        append = out.append",
        "        for row in rows:",
        "            if not isinstance(row, row_types):",
        "                return row, size",
        "            try:",
        *("                " + line for line in body),
        "            except Exception:  # the plain path encodes the row or describes the fault",
        "                return row, size",
        "            append(data)",
        "            size += len(data)",
        "            if size >= limit:",
        "                return full, size",
        "        return done, size",
        "    return loop",
    ]
    builder: Callable[..., CopyLoop] = compile_builder(lines)
    return builder
