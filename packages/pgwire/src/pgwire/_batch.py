"""``BindExecuteBatch``: many Bind + Execute pairs for one statement, encoded in one pass.

Not a message of the protocol but a run of them, for the pipelines that execute one prepared
statement many times (``executemany``, ``fetchmany``): one Bind of the unnamed portal and one
Execute per row of parameter values, before one Sync. The parts that do not change from row
to row (statement name, format codes, the Execute) are encoded once; each row then costs
its values only. :meth:`ClientConnection.send` checks the pairs against the state machine as
it would check the messages one by one, and :meth:`messages` gives the same run as message
objects (the encoding is byte for byte theirs).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Final

from pgwire._buffer import int16, int32
from pgwire._client_errors import LocalProtocolError
from pgwire._frontend import Bind, Execute, _values

__all__ = ["BindExecuteBatch"]

_BIND: Final = b"B"


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
        # The first pair through the message classes: every check they make, once.
        first = Bind("", self.statement, self.param_formats, rows[0], self.result_formats).encode()
        execute = Execute("", self.max_rows).encode()
        payload = first[5:]
        # Bind's payload: portal, statement, formats | count, values | result formats. The
        # portal is "" (one NUL); the statement ends at the next NUL.
        head_size = payload.index(b"\x00", 1) + 1 + 2 + 2 * len(self.param_formats)
        tail_size = 2 + 2 * len(self.result_formats)
        head = payload[:head_size] + int16(count)
        tail = payload[len(payload) - tail_size :]
        fixed = len(head) + len(tail) + 4
        parts = [first, execute]
        append = parts.append
        extend = parts.extend
        for index in range(1, len(rows)):
            values = rows[index]
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
