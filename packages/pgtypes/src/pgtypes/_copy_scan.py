"""Tuple scanners written out per column shape: where the binary COPY decoder's tuples end.

COPY data carries no tuple lengths: a tuple's end is found by reading its field count and
each field's length word in turn (PostgreSQL docs, "COPY", "Binary Format", "Tuples"). For
the columns of one COPY that walk is always the same, so it is written out once per shape
and compiled, as :mod:`pgtypes._row_loops` does for decoding: one precompiled ``struct``
call reads the field count or a variable-width value's length word together with the length
words of the fixed-width columns that follow it (their values skipped as pad bytes), and
those lengths are compared with the widths they must have.

The scanner takes the common tuples: complete, the right field count, every fixed-width
column present. It stops at anything else (a NULL in a fixed-width column, the trailer, a
tuple that runs past the data, a malformed tuple) and returns its position, where the
decoder's general walk takes one tuple and then hands back to the scanner.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from functools import lru_cache

from pgtypes._copy_format import compile_builder, piece_layouts

__all__ = ["Scanner", "build_scanner"]

#: ``scan(buffer, position, size, starts, ends) -> position``: append the start and end of
#: each complete common tuple from ``position`` on; return where the first other one starts.
Scanner = Callable[[bytes, int, int, list[int], list[int]], int]


def build_scanner(widths: Sequence[int]) -> Scanner:
    """The written-out scanner for tuples whose columns have ``widths`` (0: variable width)."""
    layouts = _layouts(tuple(widths))
    scanner: Scanner = _builder(tuple(widths))(*(struct.Struct(layout).unpack_from for layout in layouts))
    return scanner


def _layouts(widths: tuple[int, ...]) -> list[str]:
    """The ``struct`` layout of each piece a tuple is read in: the field count or a length
    word, the length words of the fixed-width columns that follow (their values skipped),
    and the length word of the next variable-width value."""
    return piece_layouts([(f"i{width}x" if width else "i", not width) for width in widths])


@lru_cache(maxsize=256)
def _builder(widths: tuple[int, ...]) -> Callable[..., Scanner]:
    """Compile the builder of the scanner for a shape."""
    layouts = _layouts(widths)
    body: list[str] = []
    column = 0
    for piece, layout in enumerate(layouts):
        size = struct.calcsize(layout)
        # The columns this piece reads the length word of.
        read: list[int] = []
        while column < len(widths):
            read.append(column)
            column += 1
            if not widths[read[-1]]:
                break
        names = ([] if piece else ["fields"]) + [f"l{index}" for index in read]
        checks = [] if piece else ["fields != count"]
        checks += [f"l{index} != {widths[index]}" if widths[index] else f"l{index} < -1" for index in read]
        body += [
            f"if at + {size} > size:",
            "    return position",
            f"{', '.join(names)}, = p{piece}(buffer, at)",
            f"if {' or '.join(checks)}:",
            "    return position",
            f"at += {size}",
        ]
        last = read[-1] if read else -1
        if read and not widths[last]:
            body += [f"if l{last} > 0:", f"    at += l{last}"]
    if widths and not widths[-1]:
        body += ["if at > size:", "    return position"]
    lines = [
        f"def build({', '.join(f'p{index}' for index in range(len(layouts)))}):",
        "    def scan(buffer, position, size, starts, ends):",
        f"        count = {len(widths)}",
        "        add_start = starts.append",
        "        add_end = ends.append",
        "        while True:",
        "            at = position",
        *("            " + line for line in body),
        "            add_start(position)",
        "            add_end(at)",
        "            position = at",
        "    return scan",
    ]
    builder: Callable[..., Scanner] = compile_builder(lines)
    return builder
