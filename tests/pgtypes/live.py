"""A blocking pgwire session for type tests: raw values in and out, in either wire format.

``pgtypes`` does no I/O, so its live tests talk to the test server through ``pgwire`` over a
plain socket (:class:`pgwire.blocking.BlockingConnection`), choosing the
parameter and result formats themselves. The ``type_session`` fixture in
``tests/pgtypes/conftest.py`` gives one connected session per test run.
"""

from __future__ import annotations

from collections.abc import Sequence

import pgwire
from pgtypes import TEXT, ParameterEncoder, Record, RowDecoder, TypeRegistry
from pgtypes._introspection import INTROSPECTION_SQL, type_infos_from_rows
from pgwire import (
    CommandComplete,
    DataRow,
    DataRowBatch,
    ErrorResponse,
    ParameterDescription,
    PostgresError,
    ReadyForQuery,
    RowDescription,
)
from pgwire.blocking import BlockingConnection

__all__ = ["RawResult", "TypeSession"]


class RawResult:
    """What one extended-protocol statement returned, undecoded.

    Attributes:
        param_oids: the parameter type OIDs from ParameterDescription.
        fields: the RowDescription fields (empty for a statement without rows).
        rows: each row's raw column values, ``None`` for NULL.
        status: the CommandComplete tag.
    """

    def __init__(self) -> None:
        self.param_oids: tuple[int, ...] = ()
        self.fields: tuple[pgwire.FieldDescription, ...] = ()
        self.rows: list[tuple[bytes | None, ...]] = []
        self.status = ""

    @property
    def column(self) -> list[bytes | None]:
        """The first column of every row."""
        return [row[0] for row in self.rows]


class TypeSession:
    """Runs statements with chosen parameter and result formats, returning raw bytes."""

    def __init__(self, session: BlockingConnection) -> None:
        self.session = session

    def execute(self, sql: str) -> None:
        """Run SQL with the simple query protocol (DDL, SET, ...)."""
        self.session.simple_query(sql)

    def raw(
        self,
        sql: str,
        params: Sequence[bytes | None] = (),
        *,
        param_oids: Sequence[int] = (),
        param_formats: Sequence[int] = (),
        result_formats: Sequence[int] = (),
    ) -> RawResult:
        """Parse, describe, bind and execute ``sql`` once, and return the raw result.

        ``param_oids`` may leave types to the server (0 or shorter than ``params``);
        ``param_formats`` and ``result_formats`` follow Bind's rules (empty: all text, one
        code: all columns, else one per column).

        Raises:
            PostgresError: the server's error, after the session is back in sync.
        """
        self.session.send(
            pgwire.Parse("", sql, tuple(param_oids)),
            pgwire.Describe("S", ""),
            pgwire.Bind("", "", tuple(param_formats), tuple(params), tuple(result_formats)),
            pgwire.Execute(""),
            pgwire.Sync(),
        )
        result = RawResult()
        error: PostgresError | None = None
        while True:
            event = self.session.next_event()
            if isinstance(event, ParameterDescription):
                result.param_oids = event.type_oids
            elif isinstance(event, RowDescription):
                result.fields = event.fields
            elif isinstance(event, DataRow):
                result.rows.append(event.values)
            elif isinstance(event, DataRowBatch):
                result.rows.extend(event.rows())
            elif isinstance(event, CommandComplete):
                result.status = event.tag
            elif isinstance(event, ErrorResponse) and error is None:
                error = PostgresError.new(event.as_dict(), query=sql)
            elif isinstance(event, ReadyForQuery):
                break
            elif isinstance(event, pgwire.ConnectionClosed):
                raise ConnectionError("the server closed the connection")
        if error is not None:
            raise error
        return result

    def echo(self, type_sql: str, value: bytes | None, format_code: int) -> tuple[bytes | None, str | None]:
        """Send ``value`` as a parameter of ``type_sql`` in ``format_code`` and get it back.

        Runs ``SELECT $1::T, ($1::T)::text`` with the first column returned in the same
        format: the first item is what the server sends back for the value (test that it
        decodes to the original), the second the server's own text form of it.
        """
        result = self.raw(
            f"SELECT $1::{type_sql}, ($1::{type_sql})::text",
            [value],
            param_formats=[format_code],
            result_formats=[format_code, 0],
        )
        first, text = result.rows[0]
        return first, None if text is None else text.decode()

    def select(self, expression: str, format_code: int) -> bytes | None:
        """The raw value of ``SELECT <expression>`` in ``format_code`` (one row, one column)."""
        return self.raw(f"SELECT {expression}", result_formats=[format_code]).rows[0][0]

    def type_oid(self, type_sql: str) -> int:
        """The OID of a type, by ``'type_sql'::regtype``."""
        value = self.raw(f"SELECT '{type_sql}'::regtype::oid").rows[0][0]
        assert value is not None
        return int(value)

    # -- through the registry: what pgconn will do, in blocking form ---------------------

    def introspect(self, registry: TypeRegistry, oids: Sequence[int]) -> None:
        """Teach ``registry`` every type among ``oids`` (and their dependencies) it lacks."""
        missing = registry.missing_oids(oids)
        if not missing:
            return
        rows = self.fetch(INTROSPECTION_SQL, sorted(missing), registry=TypeRegistry.default())
        registry.add_types(type_infos_from_rows(rows))
        still = registry.missing_oids(oids)
        if still:
            raise LookupError(f"introspection did not describe the types {sorted(still)}")

    def fetch(
        self,
        sql: str,
        *args: object,
        registry: TypeRegistry | None = None,
        record_class: type[Record] = Record,
        text: bool = False,
    ) -> list[Record]:
        """Run ``sql`` with ``args`` through the registry's encoders and decoders.

        The statement is described first; unknown types are introspected; parameters go in
        the encoder's formats and rows come back in the decoder's (or all in text with
        ``text=True``).
        """
        registry = registry if registry is not None else TypeRegistry.default()
        described = self.raw_describe(sql)
        self.introspect(registry, [*described.param_oids, *(f.type_oid for f in described.fields)])
        encoder = ParameterEncoder.for_types(registry, described.param_oids)
        if text:
            codecs = [registry.codec(f.type_oid, TEXT) for f in described.fields]
            if any(codec is None for codec in codecs):
                raise LookupError("a column has no text codec")
            decoder = RowDecoder([f.name for f in described.fields], [c for c in codecs if c], record_class)
        else:
            decoder = RowDecoder.for_fields(registry, described.fields, record_class)
        params = encoder.encode(args)
        result = self.raw(
            sql,
            params,
            param_oids=described.param_oids,
            param_formats=encoder.formats,
            result_formats=decoder.result_formats,
        )
        return [decoder.decode_payload(_payload(row)) for row in result.rows]

    def fetchval(
        self, sql: str, *args: object, registry: TypeRegistry | None = None, text: bool = False
    ) -> object:
        """The first column of the first row of :meth:`fetch`."""
        return self.fetch(sql, *args, registry=registry, text=text)[0][0]

    def raw_describe(self, sql: str) -> RawResult:
        """Parse and describe ``sql`` without running it: parameter OIDs and fields."""
        self.session.send(pgwire.Parse("", sql), pgwire.Describe("S", ""), pgwire.Sync())
        result = RawResult()
        error: PostgresError | None = None
        while not isinstance(event := self.session.next_event(), ReadyForQuery):
            if isinstance(event, ParameterDescription):
                result.param_oids = event.type_oids
            elif isinstance(event, RowDescription):
                result.fields = event.fields
            elif isinstance(event, ErrorResponse) and error is None:
                error = PostgresError.new(event.as_dict(), query=sql)
        if error is not None:
            raise error
        return result


def _payload(row: tuple[bytes | None, ...]) -> bytes:
    """Re-encode a row as a DataRow payload (the row decoder's input)."""
    return pgwire.DataRow(row).encode_payload()
