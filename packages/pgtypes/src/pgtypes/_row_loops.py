"""Row loops written out per row shape: the row decoder's loop for rows with variable columns.

The general loop of :class:`pgtypes.RowDecoder` walks a row's segments (a variable-width
column, or a run of fixed-width columns unpacked together) in an inner loop, paying for the
iteration, the segment's tuple unpacking and the branches on every segment of every row. For
a given shape that walk is always the same, so its steps can be written out once as straight
code, with each segment's decode function, Struct and lengths bound to local names. The
source is generated from the shape only (how many segments, which are runs), as
``collections.namedtuple`` generates its class, and compiled once per shape.

The written-out loop handles the common rows: every column present in its expected form, a
variable-width column possibly NULL. Anything else (a NULL inside a fixed-width run, a wrong
column count, lengths that do not add up) is handed to ``slow``, the general loop for that one
row, which decodes it or raises the error that describes it.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any, Final

__all__ = ["MAX_SEGMENTS", "RowLoop", "build_row_loop"]

#: Rows of more segments than this keep the general loop (the source would grow long).
MAX_SEGMENTS: Final = 48

#: ``loop(buffer, starts, ends, out)``: decode the payloads ``buffer[starts[i]:ends[i]]``.
RowLoop = Callable[[bytes, Sequence[int], Sequence[int], list[Any]], None]

#: Per row: ``slow(buffer, start, end, out)`` decodes one row the general way.
SlowRow = Callable[[bytes, int, int, list[Any]], None]

_INT16_AT: Final = struct.Struct("!h").unpack_from
_INT32_AT: Final = struct.Struct("!i").unpack_from
_COUNT_AND_LENGTH_AT: Final = struct.Struct("!hi").unpack_from


def build_row_loop(
    segments: Sequence[tuple[Any, Any, int, tuple[int, ...]]], count: int, make: Any, slow: SlowRow
) -> RowLoop:
    """The written-out loop for rows of ``count`` columns made of ``segments``.

    ``segments`` are the row decoder's: ``(decode, None, 0, ())`` for a variable-width column,
    ``(decoders, unpack_from, size, lengths)`` for a run of fixed-width columns whose
    ``unpack_from`` reads (length, value) pairs.
    """
    shape = tuple(unpack is not None for _, unpack, _, _ in segments)
    arguments: list[Any] = [make, slow, count, _INT16_AT, _INT32_AT, _COUNT_AND_LENGTH_AT]
    for decode, unpack, size, lengths in segments:
        arguments += [unpack, size, lengths] if unpack is not None else [decode]
    loop: RowLoop = _builder(shape)(*arguments)
    return loop


@lru_cache(maxsize=256)
def _builder(shape: tuple[bool, ...]) -> Callable[..., RowLoop]:
    """Compile the builder of the loop for a shape (True: a fixed-width run; False: a column)."""
    parameters = ["make", "slow", "count", "int16_at", "int32_at", "head_at"]
    # The column count, with the first column's length when that column is variable-width.
    if shape[0]:
        body = ["if int16_at(buffer, start)[0] != count:"]
    else:
        body = ["row_count, length = head_at(buffer, start)", "if row_count != count:"]
    body += ["    slow(buffer, start, end, out)", "    continue", "pos = start + 2"]
    values: list[str] = []
    last = len(shape) - 1
    for index, is_run in enumerate(shape):
        if is_run:
            parameters += [f"unpack{index}", f"size{index}", f"lengths{index}"]
            # A run that ends the row must end exactly at the row's end.
            bound = "!=" if index == last else ">"
            body += [
                f"if pos + size{index} {bound} end:",
                "    slow(buffer, start, end, out)",
                "    continue",
                f"run{index} = unpack{index}(buffer, pos)",
                f"if run{index}[0::2] != lengths{index}:",
                "    slow(buffer, start, end, out)",
                "    continue",
                f"pos += size{index}",
            ]
            values.append(f"*run{index}[1::2]")
        else:
            parameters.append(f"decode{index}")
            if index:
                body.append("length = int32_at(buffer, pos)[0]")
            body += [
                "pos += 4",
                "if length >= 0:",
                f"    value{index} = decode{index}(buffer[pos : pos + length])",
                "    pos += length",
                "elif length == -1:",
                f"    value{index} = None",
                "else:",
                "    slow(buffer, start, end, out)",
                "    continue",
            ]
            values.append(f"value{index}")
    if not shape[last]:
        body += ["if pos != end:", "    slow(buffer, start, end, out)", "    continue"]
    lines = [
        f"def build({', '.join(parameters)}):",
        "    def loop(buffer, starts, ends, out):",
        "        append = out.append",
        "        for start, end in zip(starts, ends, strict=True):",
        *("            " + line for line in body),
        f"            append(make({_row_tuple(values)}))",
        "    return loop",
    ]
    namespace: dict[str, Any] = {}
    exec("\n".join(lines), namespace)  # our own source, made from the shape only
    builder: Callable[..., RowLoop] = namespace["build"]
    return builder


def _row_tuple(values: list[str]) -> str:
    """The expression building a row's values from the per-segment names.

    ``values`` holds ``valueN`` for a column and ``*runN[1::2]`` for a run. Up to three parts
    (runs, and groups of columns between them) are joined by tuple concatenation, which costs
    less than ``(a, *b)`` (a list built, then copied into a tuple); more parts take that form.
    """
    parts: list[str] = []
    group: list[str] = []
    for value in values:
        if value.startswith("*"):
            if group:
                parts.append(f"({', '.join(group)},)")
                group = []
            parts.append(value[1:])
        else:
            group.append(value)
    if group:
        parts.append(f"({', '.join(group)},)")
    if len(parts) <= 3:
        return " + ".join(parts)
    return f"({', '.join(values)},)"
