"""``BindExecuteBatch``: many Bind + Execute pairs for one statement, encoded in one pass.

Not a message of the protocol but a run of them, for the pipelines that execute one prepared
statement many times (``executemany``, ``fetchmany``): one Bind of the unnamed portal and one
Execute per row of parameter values, before one Sync. The parts that do not change from row
to row (statement name, format codes, the Execute) are encoded once; each row then costs
its values only. :meth:`ClientConnection.send` checks the pairs against the state machine as
it would check the messages one by one, and :meth:`BindExecuteBatch.messages` gives the same run as message
objects (the encoding is byte for byte theirs).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

from pgwire._buffer import int32
from pgwire._client_errors import LocalProtocolError
from pgwire._frontend import Bind, Execute, _values
from pgwire._implementation import speedups

__all__ = ["BindExecuteBatch"]

_BIND: Final = b"B"

#: The compiled twin of the pairs' encoding (``pgwire._speedups.encode_pairs``), or None.
_compiled_pairs: Final[Callable[..., bytes | None] | None] = (
    None if speedups is None else speedups.encode_pairs
)


@dataclass(frozen=True, slots=True)
class BindExecuteBatch:
    """Bind (unnamed portal) + Execute for each row of ``rows``, in order.

    Attributes:
        statement: the prepared statement ("" for the unnamed one).
        param_formats: Bind's parameter format codes (0, 1 or one per parameter).
        rows: the encoded parameter values of each execution (``None`` for NULL).
        result_formats: Bind's result format codes.
        max_rows: Execute's row limit (0: all rows).
    """

    statement: str
    param_formats: tuple[int, ...]
    rows: Sequence[tuple[bytes | None, ...]]
    result_formats: tuple[int, ...] = ()
    max_rows: int = 0

    def __len__(self) -> int:
        return len(self.rows)

    def messages(self) -> Iterator[Bind | Execute]:
        """The same run as message objects: Bind, Execute, Bind, Execute, ..."""
        execute = Execute("", self.max_rows)
        for values in self.rows:
            yield Bind("", self.statement, self.param_formats, values, self.result_formats)
            yield execute

    def encode(self) -> bytes:
        """The bytes of every pair, as the messages would encode them.

        Raises:
            LocalProtocolError: anything Bind or Execute would refuse (a NUL in the statement
                name, bad format codes, a value too long), or rows of different lengths.
        """
        rows = self.rows
        if not rows:
            return b""
        count = len(rows[0])
        head, tail, execute = _template(
            self.statement, self.param_formats, count, self.result_formats, self.max_rows
        )
        if _compiled_pairs is not None:
            encoded = _compiled_pairs(rows, head, tail, execute, count)
            if encoded is not None:
                return encoded  # else a row it does not take: the loops below encode or report it
        if count <= _MAX_UNROLLED:
            try:
                parts = _unrolled(count)(rows, head, tail + execute, len(head) + len(tail) + 4 + 4 * count)
            except Exception:
                # Never swallowed: the checked loop runs only to name the row and its fault;
                # should it find none (a value that failed once), this error stands.
                self._encode_checked(rows, count, head, tail, execute)
                raise
            return b"".join(parts)
        return self._encode_checked(rows, count, head, tail, execute)

    @staticmethod
    def _encode_checked(
        rows: Sequence[tuple[bytes | None, ...]], count: int, head: bytes, tail: bytes, execute: bytes
    ) -> bytes:
        fixed = len(head) + len(tail) + 4
        parts: list[bytes] = []
        append = parts.append
        extend = parts.extend
        for index, values in enumerate(rows):
            if len(values) != count:
                raise LocalProtocolError(
                    f"BindExecuteBatch.rows[{index}] has {len(values)} values, the first row {count}"
                )
            encoded = _values(values, f"BindExecuteBatch.rows[{index}]")
            size = fixed
            for part in encoded:
                size += len(part)
            append(_BIND)
            append(int32(size))
            append(head)
            extend(encoded)
            append(tail)
            append(execute)
        return b"".join(parts)


#: Rows of up to this many values are encoded by a loop written for their count.
_MAX_UNROLLED: Final = 32

_UnrolledEncoder = Callable[[Sequence[tuple[bytes | None, ...]], bytes, bytes, int], list[bytes]]


@lru_cache(maxsize=_MAX_UNROLLED + 1)
def _unrolled(count: int) -> _UnrolledEncoder:
    """The pairs' encoding loop written out for rows of ``count`` values.

    A loop over a row's values costs a Python iteration and several calls per value; with
    the values unpacked into local names and the parts listed in one tuple per row, a row of
    three values costs a third of that. The source is generated once per value count (as
    ``collections.namedtuple`` generates its class). It does no checking of its own: on any
    exception (a row of another length, a value too long for its Int32 length) the caller runs
    the checked loop to name the row and its fault, and raises.
    """
    names = [f"v{i}" for i in range(count)]
    lines = [
        "def encode(rows, head, tail, fixed):",
        "    parts = []",
        "    extend = parts.extend",
        f"    for {''.join(name + ', ' for name in names) or '() '}in rows:",
    ]
    for name in names:
        lines += [
            f"        if {name} is None:",
            f"            {name}_length = _NULL",
            f"            {name} = b''",
            "        else:",
            f"            {name}_length = _int32(len({name}))",
        ]
    sizes = "".join(f" + len({name})" for name in names)
    items = "".join(f", {name}_length, {name}" for name in names)
    lines += [
        f"        extend((_BIND, _int32(fixed{sizes}), head{items}, tail))",
        "    return parts",
    ]
    namespace: dict[str, Any] = {"_NULL": int32(-1), "_int32": int32, "_BIND": _BIND}
    exec("\n".join(lines), namespace)  # our own source, made from a count only
    encoder: _UnrolledEncoder = namespace["encode"]
    return encoder


@lru_cache(maxsize=512)
def _template(
    statement: str, param_formats: tuple[int, ...], count: int, result_formats: tuple[int, ...], max_rows: int
) -> tuple[bytes, bytes, bytes]:
    """Bind's payload before and after the values, and the Execute, for a statement's shape.

    Encoded through the message classes, so every check they make is made (once per shape;
    statements run again and again reuse it).
    """
    bind = Bind("", statement, param_formats, (None,) * count, result_formats).encode_payload()
    # Bind's payload: portal "" (one NUL), statement (up to its NUL), formats, then the value
    # count and values (count NULLs here: 4 bytes each), then the result formats.
    head_size = bind.index(b"\x00", 1) + 1 + 2 + 2 * len(param_formats)
    tail_size = 2 + 2 * len(result_formats)
    return bind[: head_size + 2], bind[len(bind) - tail_size :], Execute("", max_rows).encode()
