"""The codecs pgtypes is built with, and the names a user may call built-in types by.

Every family module adds its codecs in ``register()``; :func:`builtin_codecs` runs them all
once. Arrays, ranges and multiranges of built-in types are not listed here: the registry
derives them from :data:`BUILTIN_TYPE_INFOS` like any other type, so user codecs on an
element type reach its arrays too.
"""

from __future__ import annotations

from functools import cache
from typing import Final

from pgtypes import _bits, _datetime, _geometry, _integers, _network, _numeric, _snapshot, _text, _vectors
from pgtypes._builtin_types import BUILTIN_TYPES
from pgtypes._codec import CodecTable
from pgtypes._typeinfo import TYPE_KINDS, TypeInfo

__all__ = ["BUILTIN_TYPE_INFOS", "BUILTIN_TYPE_NAME_MAP", "builtin_codecs", "lookup_builtin_type"]

_FAMILIES = (_integers, _numeric, _datetime, _text, _network, _geometry, _bits, _snapshot, _vectors)

# typdelim is ',' for every built-in type but box, whose text form is full of commas.
_DELIMITERS: Final = {603: ";"}


def _info(entry: tuple[int, str, str, str, int, int, int, int, int]) -> TypeInfo:
    oid, name, typtype, category, element, _array, _typlen, subtype, range_of = entry
    kind = TYPE_KINDS[typtype]
    if (kind == "base" and category == "A") or oid == _RECORD_ARRAY_OID:
        return TypeInfo(oid, name, "pg_catalog", "array", element_oid=element)
    if kind == "range":
        return TypeInfo(oid, name, "pg_catalog", kind, range_subtype_oid=subtype)
    if kind == "multirange":
        return TypeInfo(oid, name, "pg_catalog", kind, range_subtype_oid=range_of)
    return TypeInfo(oid, name, "pg_catalog", kind, delimiter=_DELIMITERS.get(oid, ","))


# record[] is a pseudo type in the catalog, but its values are arrays of anonymous records.
_RECORD_ARRAY_OID: Final = 2287

#: Catalog facts of every built-in type, by OID. The system catalogs' row types (``pg_type``,
#: ``pg_class``, ...) are left out: their attributes are not in the table, so the connection
#: introspects them like any composite.
BUILTIN_TYPE_INFOS: Final[dict[int, TypeInfo]] = {
    entry[0]: _info(entry) for entry in BUILTIN_TYPES if entry[2] != "c"
}

_ALIASES: Final = {
    "smallint": "int2",
    "int": "int4",
    "integer": "int4",
    "bigint": "int8",
    "decimal": "numeric",
    "real": "float4",
    "float": "float8",
    "double precision": "float8",
    "boolean": "bool",
    "timestamp with timezone": "timestamptz",
    "timestamp with time zone": "timestamptz",
    "timestamp without timezone": "timestamp",
    "timestamp without time zone": "timestamp",
    "time with timezone": "timetz",
    "time with time zone": "timetz",
    "time without timezone": "time",
    "time without time zone": "time",
    "char": "bpchar",
    "character": "bpchar",
    "character varying": "varchar",
    "bit varying": "varbit",
}

#: Lower-case type names (``pg_type.typname`` and the SQL spellings such as ``integer``,
#: ``double precision``, ``character varying``) -> built-in type OID.
BUILTIN_TYPE_NAME_MAP: Final[dict[str, int]] = {info.name: oid for oid, info in BUILTIN_TYPE_INFOS.items()}
BUILTIN_TYPE_NAME_MAP.update({alias: BUILTIN_TYPE_NAME_MAP[name] for alias, name in _ALIASES.items()})
# "char" with quotes is the one-byte type; bare char is SQL's character(1), as above.
BUILTIN_TYPE_NAME_MAP['"char"'] = 18


def lookup_builtin_type(name: str) -> TypeInfo | None:
    """The built-in type called ``name`` (any case, SQL aliases allowed), or ``None``."""
    oid = BUILTIN_TYPE_NAME_MAP.get(" ".join(name.lower().split()))
    return None if oid is None else BUILTIN_TYPE_INFOS[oid]


@cache
def builtin_codecs() -> CodecTable:
    """Every codec of the family modules, built once per process and never changed."""
    table = CodecTable()
    for family in _FAMILIES:
        family.register(table)
    return table
