"""The catalog query that describes non-built-in types, and its rows turned into TypeInfo.

pgtypes does no I/O: the connection runs :data:`INTROSPECTION_SQL` with one parameter, the
OIDs :meth:`TypeRegistry.missing_oids` reported (as an ``oid[]``), and hands the decoded rows
to :func:`type_infos_from_rows`. The query follows every dependency in one round trip:
array elements, domain base types, range subtypes, the ranges of multiranges and composite
attributes, recursively, stopping at built-in types (OIDs below 10000), which pgtypes knows,
except the system catalogs' row types, which it describes too.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Final

from pgtypes._typeinfo import TYPE_KINDS, TypeInfo

__all__ = ["INTROSPECTION_SQL", "type_infos_from_rows"]

# Built-in types have OIDs below FirstGenbkiObjectId (10000) and pgtypes knows them, except
# the system catalogs' row types (composites), which are described like any other.
INTROSPECTION_SQL: Final = """\
WITH RECURSIVE wanted(oid) AS (
    SELECT requested.oid FROM unnest($1::pg_catalog.oid[]) AS requested(oid)
  UNION
    SELECT dependency.oid
    FROM wanted
    JOIN pg_catalog.pg_type AS t ON t.oid = wanted.oid
    CROSS JOIN LATERAL unnest(
        ARRAY[
            t.typelem,
            t.typbasetype,
            (SELECT r.rngsubtype FROM pg_catalog.pg_range AS r WHERE r.rngtypid = t.oid),
            (SELECT r.rngtypid FROM pg_catalog.pg_range AS r WHERE r.rngmultitypid = t.oid)
        ]
        || ARRAY(
            SELECT a.atttypid FROM pg_catalog.pg_attribute AS a
            WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped
        )
    ) AS dependency(oid)
    WHERE dependency.oid >= 10000
       OR (SELECT d.typtype FROM pg_catalog.pg_type AS d WHERE d.oid = dependency.oid) = 'c'
)
SELECT
    t.oid,
    t.typname::text,
    n.nspname::text,
    t.typtype::text,
    t.typcategory::text,
    t.typelem,
    t.typbasetype,
    coalesce(r.rngsubtype, m.rngtypid, 0::pg_catalog.oid),
    t.typdelim::text,
    ARRAY(
        SELECT a.attname::text FROM pg_catalog.pg_attribute AS a
        WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum
    ),
    ARRAY(
        SELECT a.atttypid FROM pg_catalog.pg_attribute AS a
        WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum
    )
FROM wanted
JOIN pg_catalog.pg_type AS t ON t.oid = wanted.oid
JOIN pg_catalog.pg_namespace AS n ON n.oid = t.typnamespace
LEFT JOIN pg_catalog.pg_range AS r ON r.rngtypid = t.oid
LEFT JOIN pg_catalog.pg_range AS m ON m.rngmultitypid = t.oid
"""


def type_infos_from_rows(rows: Iterable[Sequence[Any]]) -> list[TypeInfo]:
    """Turn the decoded rows of :data:`INTROSPECTION_SQL` into :class:`TypeInfo` objects.

    Raises:
        ValueError: a row does not have the query's eleven columns or an unknown ``typtype``.
    """
    infos: list[TypeInfo] = []
    for row in rows:
        if len(row) != 11:
            raise ValueError(f"an introspection row has {len(row)} columns, expected 11")
        oid, name, schema, typtype, category, element, base, subtype, delimiter, names, oids = row
        try:
            kind = TYPE_KINDS[typtype]
        except KeyError:
            raise ValueError(f"type {schema}.{name} has an unknown typtype {typtype!r}") from None
        if kind == "base" and category == "A" and element:
            kind = "array"
        infos.append(
            TypeInfo(
                oid=oid,
                name=name,
                schema=schema,
                kind=kind,
                element_oid=element if kind == "array" else 0,
                base_oid=base if kind == "domain" else 0,
                range_subtype_oid=subtype if kind in ("range", "multirange") else 0,
                attributes=tuple(zip(names, oids, strict=True)) if kind == "composite" else (),
                delimiter=delimiter or ",",
            )
        )
    return infos
