"""Frontend messages of the simple and extended query protocols and the function call.

Query, Parse, Bind, Describe, Execute, Close, Sync, Flush, Terminate and FunctionCall, as in
PostgreSQL's "Message Formats" section. Bind is on the hot path of every extended query, so
its ``encode_payload`` validates with set operations and builds the payload with one join.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import ClassVar, Final, Literal, Self

from pgwire._buffer import PayloadReader, cstring, int16, int32
from pgwire._checks import (
    FORMAT_CODES,
    MAX_COUNT,
    NoPayload,
    check_count,
    check_format,
    check_formats,
    check_int32,
    check_uint32,
    read_formats,
)
from pgwire._client_errors import LocalProtocolError
from pgwire._message import FrontendMessage

__all__ = [
    "Bind",
    "Close",
    "Describe",
    "Execute",
    "Flush",
    "FunctionCall",
    "Parse",
    "Query",
    "Sync",
    "Terminate",
]

_NULL: Final = int32(-1)
_KINDS: Final = {"S": b"S", "P": b"P"}
_KIND_BYTES: Final[dict[int, Literal["S", "P"]]] = {ord("S"): "S", ord("P"): "P"}


def _values(values: tuple[bytes | None, ...], what: str) -> list[bytes]:
    """Length-prefixed values (``Int32`` -1 for NULL) as parts for one join."""
    parts: list[bytes] = []
    append = parts.append
    pack = int32
    try:
        for value in values:
            if value is None:
                append(_NULL)
            else:
                append(pack(len(value)))
                append(value)
    except struct.error:
        raise LocalProtocolError(f"{what} holds a value too long for an Int32 length") from None
    return parts


def _read_values(reader: PayloadReader, what: str) -> tuple[bytes | None, ...]:
    count = reader.count(what)
    return tuple(reader.nullable_bytes() for _ in range(count))


def _check_format_count(formats: int, values: int, what: str) -> None:
    # "Message Formats", Bind: the format code count "can be zero to indicate that there are
    # no parameters or that the parameters all use the default format (text); or one, in which
    # case the specified format code is applied to all parameters; or it can equal the actual
    # number of parameters". FunctionCall states the same for its arguments.
    if formats > 1 and formats != values:
        raise LocalProtocolError(
            f"{what} has {formats} format codes for {values} values; need 0, 1 or {values}"
        )


@dataclass(frozen=True, slots=True)
class Query(FrontendMessage):
    """Query (F): a simple query, one or more SQL commands in one string."""

    type_code: ClassVar[bytes] = b"Q"

    query: str

    def encode_payload(self) -> bytes:
        """The query as a ``String``.

        Raises:
            LocalProtocolError: the query holds a NUL.
        """
        return cstring(self.query, "Query.query")

    @classmethod
    def decode(cls, payload: bytes) -> Self:
        """Parse the payload: one ``String``.

        Raises:
            RemoteProtocolError: an unterminated string or trailing bytes.
        """
        reader = PayloadReader(payload, "Query")
        query = reader.cstring()
        reader.finish()
        return cls(query)


@dataclass(frozen=True, slots=True)
class Parse(FrontendMessage):
    """Parse (F): prepare ``query`` as statement ``name`` ("" is the unnamed statement).

    ``param_types`` are parameter type OIDs; 0 leaves a type for the server to infer.
    """

    type_code: ClassVar[bytes] = b"P"

    name: str
    query: str
    param_types: tuple[int, ...] = ()

    def encode_payload(self) -> bytes:
        """``String`` name, ``String`` query, ``Int16`` count, one ``Int32`` OID each.

        Raises:
            LocalProtocolError: a NUL in a string, more than 32767 types, or an OID that is
                not an unsigned 32-bit value.
        """
        types = self.param_types
        count = len(types)
        check_count(count, "Parse.param_types")
        try:
            packed = struct.pack(f"!{count}I", *types)
        except struct.error:
            for oid in types:
                check_uint32(oid, "Parse.param_types element")
            raise LocalProtocolError(f"Parse.param_types must hold OIDs, got {types!r}") from None
        return b"".join(
            (cstring(self.name, "Parse.name"), cstring(self.query, "Parse.query"), int16(count), packed)
        )

    @classmethod
    def decode(cls, payload: bytes) -> Self:
        """Parse the payload.

        Raises:
            RemoteProtocolError: a truncated payload, a negative count or trailing bytes.
        """
        reader = PayloadReader(payload, "Parse")
        name = reader.cstring()
        query = reader.cstring()
        count = reader.count("parameter type")
        types = tuple(reader.uint32() for _ in range(count))
        reader.finish()
        return cls(name, query, types)


@dataclass(frozen=True, slots=True)
class Bind(FrontendMessage):
    """Bind (F): bind parameter values to a prepared statement, creating a portal.

    ``portal`` and ``statement`` may be "" (the unnamed ones). ``param_formats`` holds 0, 1 or
    ``len(params)`` format codes (0 text, 1 binary); ``params`` are the encoded values, ``None``
    for NULL; ``result_formats`` likewise holds 0, 1 or one code per result column.
    """

    type_code: ClassVar[bytes] = b"B"

    portal: str
    statement: str
    param_formats: tuple[int, ...] = ()
    params: tuple[bytes | None, ...] = ()
    result_formats: tuple[int, ...] = ()

    def encode_payload(self) -> bytes:
        """The Bind payload, built in one join.

        Raises:
            LocalProtocolError: a NUL in a name, more than 32767 elements in a tuple, a format
                code other than 0 or 1, a format count that is not 0, 1 or the number of
                parameters, or a value too long for an ``Int32`` length.
        """
        param_formats = self.param_formats
        params = self.params
        result_formats = self.result_formats
        n_formats = len(param_formats)
        n_params = len(params)
        n_results = len(result_formats)
        if n_formats > MAX_COUNT or n_params > MAX_COUNT or n_results > MAX_COUNT:
            check_count(n_formats, "Bind.param_formats")
            check_count(n_params, "Bind.params")
            check_count(n_results, "Bind.result_formats")
        if not (FORMAT_CODES.issuperset(param_formats) and FORMAT_CODES.issuperset(result_formats)):
            check_formats(param_formats, "Bind.param_formats")
            check_formats(result_formats, "Bind.result_formats")
        if n_formats > 1 and n_formats != n_params:
            _check_format_count(n_formats, n_params, "Bind")
        parts = [
            cstring(self.portal, "Bind.portal"),
            cstring(self.statement, "Bind.statement"),
            struct.pack(f"!{n_formats + 1}h", n_formats, *param_formats),
            int16(n_params),
        ]
        parts += _values(params, "Bind.params")
        parts.append(struct.pack(f"!{n_results + 1}h", n_results, *result_formats))
        return b"".join(parts)

    @classmethod
    def decode(cls, payload: bytes) -> Self:
        """Parse the payload.

        Raises:
            RemoteProtocolError: a truncated payload, a negative count or length, a format
                code other than 0 or 1, a format count that does not match the parameters,
                or trailing bytes.
        """
        reader = PayloadReader(payload, "Bind")
        portal = reader.cstring()
        statement = reader.cstring()
        param_formats = read_formats(reader, "parameter format code")
        params = _read_values(reader, "parameter")
        result_formats = read_formats(reader, "result format code")
        reader.finish()
        if len(param_formats) > 1 and len(param_formats) != len(params):
            raise reader.error(f"{len(param_formats)} parameter format codes for {len(params)} parameters")
        return cls(portal, statement, param_formats, params, result_formats)


@dataclass(frozen=True, slots=True)
class _Target(FrontendMessage):
    """Describe and Close: a ``Byte1`` 'S' (statement) or 'P' (portal), then a name."""

    kind: Literal["S", "P"]
    name: str = ""

    def encode_payload(self) -> bytes:
        """``Byte1`` kind then ``String`` name.

        Raises:
            LocalProtocolError: the kind is not "S" or "P", or the name holds a NUL.
        """
        what = type(self).__name__
        kind = _KINDS.get(self.kind)
        if kind is None:
            raise LocalProtocolError(
                f"{what}.kind must be 'S' (statement) or 'P' (portal), got {self.kind!r}"
            )
        return kind + cstring(self.name, f"{what}.name")

    @classmethod
    def decode(cls, payload: bytes) -> Self:
        """Parse the payload.

        Raises:
            RemoteProtocolError: a kind other than 'S' or 'P', an unterminated name or
                trailing bytes.
        """
        reader = PayloadReader(payload, cls.__name__)
        code = reader.byte1()
        kind = _KIND_BYTES.get(code)
        if kind is None:
            raise reader.error(f"kind {chr(code)!r} is neither 'S' (statement) nor 'P' (portal)")
        name = reader.cstring()
        reader.finish()
        return cls(kind, name)


@dataclass(frozen=True, slots=True)
class Describe(_Target):
    """Describe (F): describe a prepared statement ('S') or a portal ('P'); "" is the unnamed one."""

    type_code: ClassVar[bytes] = b"D"


@dataclass(frozen=True, slots=True)
class Close(_Target):
    """Close (F): close a prepared statement ('S') or a portal ('P'); "" is the unnamed one."""

    type_code: ClassVar[bytes] = b"C"


@dataclass(frozen=True, slots=True)
class Execute(FrontendMessage):
    """Execute (F): run a portal; ``max_rows`` 0 means no limit, else the portal suspends."""

    type_code: ClassVar[bytes] = b"E"

    portal: str = ""
    max_rows: int = 0

    def encode_payload(self) -> bytes:
        """``String`` portal then ``Int32`` row limit.

        Raises:
            LocalProtocolError: a NUL in the portal name, or a limit that does not fit ``Int32``.
        """
        check_int32(self.max_rows, "Execute.max_rows")
        return cstring(self.portal, "Execute.portal") + int32(self.max_rows)

    @classmethod
    def decode(cls, payload: bytes) -> Self:
        """Parse the payload.

        Raises:
            RemoteProtocolError: a truncated payload or trailing bytes.
        """
        reader = PayloadReader(payload, "Execute")
        portal = reader.cstring()
        max_rows = reader.int32()
        reader.finish()
        return cls(portal, max_rows)


@dataclass(frozen=True, slots=True)
class Sync(NoPayload, FrontendMessage):
    """Sync (F): end an extended-query batch; the server answers ReadyForQuery."""

    type_code: ClassVar[bytes] = b"S"


@dataclass(frozen=True, slots=True)
class Flush(NoPayload, FrontendMessage):
    """Flush (F): ask the server to send the output it has pending."""

    type_code: ClassVar[bytes] = b"H"


@dataclass(frozen=True, slots=True)
class Terminate(NoPayload, FrontendMessage):
    """Terminate (F): close the session."""

    type_code: ClassVar[bytes] = b"X"


@dataclass(frozen=True, slots=True)
class FunctionCall(FrontendMessage):
    """FunctionCall (F): call the function with this OID (the legacy fast-path interface).

    ``arg_formats`` holds 0, 1 or ``len(args)`` format codes; ``args`` are the encoded
    arguments, ``None`` for NULL; ``result_format`` is 0 (text) or 1 (binary).
    """

    type_code: ClassVar[bytes] = b"F"

    function_oid: int
    arg_formats: tuple[int, ...] = ()
    args: tuple[bytes | None, ...] = ()
    result_format: int = 0

    def encode_payload(self) -> bytes:
        """``Int32`` OID, format codes, arguments, ``Int16`` result format.

        Raises:
            LocalProtocolError: an OID that is not unsigned 32-bit, more than 32767 elements,
                a format code other than 0 or 1, or a format count that is not 0, 1 or the
                number of arguments.
        """
        check_uint32(self.function_oid, "FunctionCall.function_oid")
        arg_formats = self.arg_formats
        check_formats(arg_formats, "FunctionCall.arg_formats")
        check_count(len(self.args), "FunctionCall.args")
        _check_format_count(len(arg_formats), len(self.args), "FunctionCall")
        check_format(self.result_format, "FunctionCall.result_format")
        parts = [
            struct.pack(f"!Ih{len(arg_formats)}h", self.function_oid, len(arg_formats), *arg_formats),
            int16(len(self.args)),
        ]
        parts += _values(self.args, "FunctionCall.args")
        parts.append(int16(self.result_format))
        return b"".join(parts)

    @classmethod
    def decode(cls, payload: bytes) -> Self:
        """Parse the payload.

        Raises:
            RemoteProtocolError: a truncated payload, a negative count or length, a format
                code other than 0 or 1, a format count that does not match, or trailing bytes.
        """
        reader = PayloadReader(payload, "FunctionCall")
        function_oid = reader.uint32()
        arg_formats = read_formats(reader, "argument format code")
        args = _read_values(reader, "argument")
        result_format = reader.int16()
        reader.finish()
        if result_format not in FORMAT_CODES:
            raise reader.error(f"result format code {result_format} is neither 0 (text) nor 1 (binary)")
        if len(arg_formats) > 1 and len(arg_formats) != len(args):
            raise reader.error(f"{len(arg_formats)} argument format codes for {len(args)} arguments")
        return cls(function_oid, arg_formats, args, result_format)
