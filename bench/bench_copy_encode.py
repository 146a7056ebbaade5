"""Binary COPY: pgtypes' CopyRecordEncoder and CopyRecordDecoder on N rows, in process.

The rows (default 100,000) are ``(int4, text, float8, timestamptz, bool)``: a counter, a short
text, a float, an aware datetime a second apart, and a bool; one row in ten is all NULL.
Measured, best of ``--repeat`` runs, no server involved:

- ``encode``: :meth:`CopyRecordEncoder.chunks` over the rows and :meth:`~CopyRecordEncoder.finish`,
  in the default 512 KiB chunks (the fast loop written out for the columns);
- ``encode/plain``: the plain path, ``encode_tuple`` row by row (the reference the fast loop
  is tested against), to show what the loop saves;
- ``decode/64k``: :meth:`CopyRecordDecoder.feed` over the encoder's output cut into 64 KiB
  pieces, then :meth:`~CopyRecordDecoder.finish`;
- ``decode/per-row``: the same data fed one tuple at a time, as the server sends COPY TO
  STDOUT (one CopyData message per row).

Every run checks its count, and the decoded records are compared with the rows once.

Usage: ``python bench/bench_copy_encode.py [--rows N] [--repeat N] [--json PATH]``
"""

from __future__ import annotations

import argparse
import datetime
import gc
import json
import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pgwire
from pgtypes import CopyRecordDecoder, CopyRecordEncoder, Record, TypeRegistry
from pgtypes._copy_encoder import encode_tuple
from pgtypes._copy_format import HEADER_SIZE

__all__ = ["FIELDS", "Result", "main", "make_rows", "run_all"]

#: The columns: int4, text, float8, timestamptz, bool.
FIELDS = tuple(
    pgwire.FieldDescription(name, 0, 0, oid, size, -1)
    for name, oid, size in (
        ("n", 23, 4),
        ("label", 25, -1),
        ("score", 701, 8),
        ("at", 1184, 8),
        ("ok", 16, 1),
    )
)
_PIECE = 64 * 1024


@dataclass
class Result:
    """One benchmark's figures (seconds of every run)."""

    name: str
    rows: int
    seconds: list[float] = field(default_factory=list)

    @property
    def best(self) -> float:
        return min(self.seconds)

    @property
    def rate(self) -> float:
        return self.rows / self.best


def make_rows(count: int) -> list[tuple[Any, ...]]:
    """``count`` rows for :data:`FIELDS`; every tenth is all NULL."""
    start = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
    return [
        (None,) * 5
        if n % 10 == 9
        else (n, f"row number {n}", n * 0.25, start + datetime.timedelta(seconds=n), n % 3 == 0)
        for n in range(count)
    ]


def _timed(action: Callable[[], int], expected: int) -> float:
    gc.collect()
    started = time.perf_counter()
    counted = action()
    elapsed = time.perf_counter() - started
    if counted != expected:
        raise RuntimeError(f"a run handled {counted} rows, expected {expected}")
    return elapsed


def _tuples(data: bytes, count: int) -> list[bytes]:
    """The stream cut at tuple boundaries: the header with the first tuple, ..., the trailer."""
    decoder = CopyRecordDecoder.for_fields(TypeRegistry.default(), FIELDS)
    pieces: list[bytes] = []
    position = HEADER_SIZE
    # Find each tuple's end by walking its field lengths (the decoder's own walk, done once).
    for _ in range(count):
        end = position + 2
        for _ in FIELDS:
            length = int.from_bytes(data[end : end + 4], "big", signed=True)
            end += 4 + max(length, 0)
        pieces.append(data[position:end])
        position = end
    pieces[0] = data[:HEADER_SIZE] + pieces[0]
    pieces.append(data[position:])
    # The cut is right when the decoder reads it back whole.
    out: list[Record] = []
    for piece in pieces:
        decoder.feed(piece, out)
    decoder.finish()
    if len(out) != count:
        raise RuntimeError(f"cut into {len(out)} tuples, expected {count}")
    return pieces


def run_all(rows: int, repeat: int) -> list[Result]:
    """Run every benchmark ``repeat`` times on ``rows`` rows.

    Raises:
        RuntimeError: a run handled another number of rows, or the decoded records differ
            from the rows.
    """
    registry = TypeRegistry.default()
    values = make_rows(rows)
    encoder = CopyRecordEncoder.for_fields(registry, FIELDS)
    data = b"".join([*encoder.chunks(values), encoder.finish()])
    per_row = _tuples(data, rows)
    pieces = [data[start : start + _PIECE] for start in range(0, len(data), _PIECE)]

    def encode() -> int:
        fresh = CopyRecordEncoder.for_fields(registry, FIELDS)
        chunks = [*fresh.chunks(values), fresh.finish()]
        if b"".join(chunks) != data:
            raise RuntimeError("the encoder wrote other bytes")
        return fresh.rows

    def encode_plain() -> int:
        names, codecs = encoder.names, encoder.codecs
        tuples = [encode_tuple(names, codecs, row, number) for number, row in enumerate(values, start=1)]
        return len(tuples)

    def decode(chunks: Sequence[bytes]) -> Callable[[], int]:
        def run() -> int:
            decoder = CopyRecordDecoder.for_fields(registry, FIELDS)
            out: list[Record] = []
            feed = decoder.feed
            for chunk in chunks:
                feed(chunk, out)
            decoder.finish()
            return len(out)

        return run

    check = CopyRecordDecoder.for_fields(registry, FIELDS).feed(data)
    if [tuple(record) for record in check] != values:
        raise RuntimeError("the decoded records differ from the rows")
    benchmarks = [
        ("encode", encode),
        ("encode/plain", encode_plain),
        ("decode/64k", decode(pieces)),
        ("decode/per-row", decode(per_row)),
    ]
    results = [Result(name, rows) for name, _ in benchmarks]
    for _ in range(repeat):
        for result, (_, action) in zip(results, benchmarks, strict=True):
            result.seconds.append(_timed(action, rows))
    return results


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmarks and print the table; see ``--help``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="rows (default %(default)s)")
    parser.add_argument("--repeat", type=int, default=5, help="runs, best kept (default %(default)s)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures to PATH as JSON")
    options = parser.parse_args(argv)
    for option in ("rows", "repeat"):
        if getattr(options, option) < 1:
            parser.error(f"--{option} must be at least 1")
    results = run_all(options.rows, options.repeat)
    print(f"Python {platform.python_version()}, {options.rows:,} rows, best of {options.repeat}")
    print(f"{'benchmark':<16} {'best s':>8} {'rows/s':>12}")
    for result in results:
        print(f"{result.name:<16} {result.best:>8.3f} {result.rate:>12,.0f}")
    if options.json:
        figures = {"python": platform.python_version(), "rows": options.rows, "repeat": options.repeat}
        figures["results"] = [asdict(result) for result in results]
        options.json.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    main()
