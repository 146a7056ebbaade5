"""pgtypes: the PostgreSQL type system for pgasync: codecs, Record, row decoding.

Sans-IO, like ``pgwire``: values in, bytes out, and back. It holds a codec for every built-in
type in binary and text format, derives codecs for arrays, composites, domains, enums, ranges,
multiranges and extension types from plain type information (:class:`TypeInfo`, which the
connection reads from the catalog), and keeps them in a :class:`TypeRegistry` that takes user
codecs the way asyncpg's ``set_type_codec`` does. :class:`RowDecoder` turns batches of DataRow
payloads into :class:`Record` objects; :class:`ParameterEncoder` turns a statement's arguments
into Bind values; :class:`CopyRecordEncoder` and :class:`CopyRecordDecoder` do the same for binary
COPY data. The value classes live in :mod:`pgtypes.types`. See ``docs/pgtypes.md``.

``implementation`` says which build decodes rows: ``"c"`` (the compiled extension) or
``"python"`` (the pure reference); ``PGASYNC_IMPL=python`` forces the pure build.
"""

from __future__ import annotations

from pgtypes import types
from pgtypes.__about__ import __version__
from pgtypes._builtin_codecs import BUILTIN_TYPE_NAME_MAP, lookup_builtin_type
from pgtypes._codec import BINARY, TEXT, Codec
from pgtypes._copy_decoder import CopyRecordDecoder
from pgtypes._copy_encoder import CopyRecordEncoder
from pgtypes._implementation import implementation
from pgtypes._introspection import INTROSPECTION_SQL, type_infos_from_rows
from pgtypes._param_encoder import MAX_ARGUMENTS, ParameterEncoder
from pgtypes._record import Record
from pgtypes._registry import TypeRegistry
from pgtypes._row_decoder import RowDecoder
from pgtypes._type_meta import parse_server_version
from pgtypes._typeinfo import TypeInfo, TypeKind
from pgtypes.types import (
    Attribute,
    BitString,
    Box,
    Circle,
    Line,
    LineSegment,
    Path,
    Point,
    Polygon,
    Range,
    ServerVersion,
    Type,
)

__all__ = [
    "BINARY",
    "BUILTIN_TYPE_NAME_MAP",
    "INTROSPECTION_SQL",
    "MAX_ARGUMENTS",
    "TEXT",
    "Attribute",
    "BitString",
    "Box",
    "Circle",
    "Codec",
    "CopyRecordDecoder",
    "CopyRecordEncoder",
    "Line",
    "LineSegment",
    "ParameterEncoder",
    "Path",
    "Point",
    "Polygon",
    "Range",
    "Record",
    "RowDecoder",
    "ServerVersion",
    "Type",
    "TypeInfo",
    "TypeKind",
    "TypeRegistry",
    "__version__",
    "implementation",
    "lookup_builtin_type",
    "parse_server_version",
    "type_infos_from_rows",
    "types",
]
