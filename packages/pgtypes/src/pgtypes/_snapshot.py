"""Codecs of the transaction snapshot types ``txid_snapshot`` and ``pg_snapshot``.

Both types hold the same thing (PostgreSQL docs, "Transaction ID and Snapshot Information
Functions", section 9.27): ``xmin``, ``xmax`` and the list of transaction IDs in progress
between them. The Python value is asyncpg's (reference section 9.1): a tuple
``(xmin, xmax, (xip, ...))`` of ints; encoding also takes a list of three.

Wire formats (``pg_snapshot_send``/``pg_snapshot_recv``, ``pg_snapshot_out``/``_in``):

- binary: int32 number of in-progress IDs, int64 xmin, int64 xmax, then one int64 per ID;
- text: ``xmin:xmax:xip,xip,...`` (``10:20:10,14,15``; ``10:20:`` with none in progress).

The server accepts a snapshot only when ``xmin <= xmax``, both are valid transaction IDs (the
low 32 bits, the epoch-less ID, are not 0), and every in-progress ID lies in ``[xmin, xmax)``
in ascending order (duplicates it drops); the encoders check the same, so that a value the
server would reject fails before anything is sent.
"""

from __future__ import annotations

import struct
from typing import Final

from pgtypes._codec import BINARY, TEXT, Codec, CodecTable

__all__ = [
    "PG_SNAPSHOT_OID",
    "TXID_SNAPSHOT_OID",
    "decode_snapshot_binary",
    "decode_snapshot_text",
    "encode_snapshot_binary",
    "encode_snapshot_text",
    "register",
]

TXID_SNAPSHOT_OID: Final = 2970
PG_SNAPSHOT_OID: Final = 5038

_HEADER: Final = struct.Struct("!iQQ")
_XID: Final = struct.Struct("!Q")
#: Transaction IDs travel as unsigned 64-bit (FullTransactionId).
_XID_MAX: Final = 2**64 - 1

Snapshot = tuple[int, int, tuple[int, ...]]


def _xid(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"invalid snapshot {what}: expected int, got {type(value).__name__}")
    if value < 1 or value > _XID_MAX:
        raise ValueError(f"invalid snapshot {what}: transaction ID out of range (1..{_XID_MAX}): {value}")
    return value


def _check(value: object) -> Snapshot:
    """``value`` as a validated ``(xmin, xmax, (xip, ...))`` tuple.

    Raises:
        TypeError: not a tuple or list of three with int transaction IDs and a sequence of them.
        ValueError: IDs out of range or out of order.
    """
    if not isinstance(value, tuple | list):
        raise TypeError(f"expected a tuple or list (xmin, xmax, xip), got {type(value).__name__}")
    if len(value) != 3:
        raise ValueError(f"invalid number of elements in snapshot tuple, expecting 3, got {len(value)}")
    xmin = _xid(value[0], "xmin")
    xmax = _xid(value[1], "xmax")
    for what, xid in (("xmin", xmin), ("xmax", xmax)):
        # The server takes the low 32 bits as the transaction ID proper, and 0 there is
        # InvalidTransactionId: it rejects such an xmin or xmax in both formats.
        if not xid & 0xFFFFFFFF:
            raise ValueError(
                f"invalid snapshot {what}: {xid} is not a valid transaction ID (its low 32 bits are 0)"
            )
    if xmax < xmin:
        raise ValueError(f"invalid snapshot: xmax {xmax} is less than xmin {xmin}")
    raw_xip = value[2]
    if not isinstance(raw_xip, tuple | list):
        raise TypeError(
            f"invalid snapshot xip: expected a tuple or list of ints, got {type(raw_xip).__name__}"
        )
    xip = tuple(_xid(item, "xip") for item in raw_xip)
    last = xmin
    for item in xip:
        if item < last or item >= xmax:
            raise ValueError(
                f"invalid snapshot xip: {item} is out of order or outside [xmin, xmax) = [{xmin}, {xmax})"
            )
        last = item
    return xmin, xmax, xip


def encode_snapshot_binary(value: object) -> bytes:
    """``(xmin, xmax, (xip, ...))`` in the binary format (errors as :func:`encode_snapshot_text`)."""
    xmin, xmax, xip = _check(value)
    return _HEADER.pack(len(xip), xmin, xmax) + struct.pack(f"!{len(xip)}Q", *xip)


def decode_snapshot_binary(data: bytes) -> tuple[int, int, tuple[int, ...]]:
    """A binary snapshot as ``(xmin, xmax, (xip, ...))``.

    Raises:
        ValueError: the data is shorter or longer than its count of in-progress IDs says.
    """
    size = len(data)
    if size < 20:
        raise ValueError(f"invalid snapshot value: expected at least 20 bytes, got {size}")
    count, xmin, xmax = _HEADER.unpack_from(data)
    if count < 0 or size != 20 + 8 * count:
        raise ValueError(f"invalid snapshot value: {count} in-progress IDs do not fit {size} bytes")
    return xmin, xmax, struct.unpack_from(f"!{count}Q", data, 20)


def encode_snapshot_text(value: object) -> bytes:
    """``(xmin, xmax, (xip, ...))`` as ``xmin:xmax:xip,...``.

    Raises:
        TypeError: not a tuple or list of three, or IDs that are not ints.
        ValueError: a wrong length, IDs outside 1..2**64-1, an xmin or xmax whose low 32 bits
            are 0, ``xmax < xmin``, or in-progress IDs out of ascending order or outside
            ``[xmin, xmax)``.
    """
    xmin, xmax, xip = _check(value)
    return f"{xmin}:{xmax}:{','.join(map(str, xip))}".encode()


def decode_snapshot_text(data: bytes) -> tuple[int, int, tuple[int, ...]]:
    """A text snapshot ``xmin:xmax:xip,...`` as ``(xmin, xmax, (xip, ...))``.

    Raises:
        ValueError: not three colon-separated parts of decimal IDs.
    """
    text = data.decode()
    parts = text.split(":")
    if len(parts) != 3:
        raise ValueError(f"invalid snapshot value: expected 'xmin:xmax:xip,...', got {text!r}")
    xip_parts = parts[2].split(",") if parts[2] else []
    for part in (parts[0], parts[1], *xip_parts):
        # int() alone would also take signs, spaces and underscores, which the server never prints.
        if not (part.isascii() and part.isdigit()):
            raise ValueError(f"invalid snapshot value: expected decimal transaction IDs, got {text!r}")
    xmin = int(parts[0])
    xmax = int(parts[1])
    xip = tuple(int(part) for part in xip_parts)
    return xmin, xmax, xip


def register(table: CodecTable) -> None:
    """Add the binary and text codecs of ``txid_snapshot`` and ``pg_snapshot`` to ``table``."""
    for oid, name in ((TXID_SNAPSHOT_OID, "txid_snapshot"), (PG_SNAPSHOT_OID, "pg_snapshot")):
        table.add(Codec(oid, name, BINARY, encode_snapshot_binary, decode_snapshot_binary))
        table.add(Codec(oid, name, TEXT, encode_snapshot_text, decode_snapshot_text))
