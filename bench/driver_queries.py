"""What ``bench_drivers.py`` runs: the seven queries of MagicStack's pgbench, and two COPY OUTs.

The pgbench queries (:data:`PGBENCH_QUERIES`, the ones in the geometric mean):

- ``1-pg_type``: twelve columns of ``pg_type`` where ``typtypmod = $1 AND typisdefined = $2``,
  with the arguments ``(-1, True)``;
- ``2-generate_series``: ``SELECT i FROM generate_series(1, 1000) AS i``;
- ``3-large_object``: 100 rows of one random 1,000-byte ``bytea`` from a table;
- ``4-arrays``: 100 rows of one 100-element ``int4[]`` from a table;
- ``5-copyfrom``: binary COPY of :func:`copy_rows` (10,000 rows of pgbench's columns: three
  ``int4``, a ``text``, a ``float8``, an ``int4``, a ``text``) into a temporary table of each
  connection;
- ``6-batch``: ``executemany`` of a 1,000-row INSERT into a temporary table of each connection;
- ``7-oneplusone``: ``SELECT 1+1``.

The COPY OUTs (:func:`copy_out_queries`, one connection per driver, since a call moves a
million rows): ``copyout``, the text ``COPY (SELECT i, i::text, i * 1.5 FROM
generate_series(1, N) AS i) TO STDOUT`` into a sink that counts bytes; ``copyout-records``,
the same rows as records (pgconn's ``copy_records_from_query``, psycopg's binary
``copy.rows()``, asyncpg's ``fetch``, as it has no such call).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from bench.driver_sessions import Rows

__all__ = [
    "BATCH_ROWS",
    "COPY_IN_ROWS",
    "COPY_OUT_ROWS",
    "PGBENCH_QUERIES",
    "QUERIES",
    "Kind",
    "Query",
    "batch_rows",
    "copy_out_queries",
    "copy_rows",
]

BATCH_ROWS = 1000
COPY_IN_ROWS = 10_000
COPY_OUT_ROWS = 1_000_000

#: How one call of a query is made: ``fetch(sql, *args)``; ``executemany(sql, records)``;
#: ``copy_records_to_table(table, records, columns)``; ``copy_from_query(sql, output=sink)``;
#: ``copy_records_from_query(sql)``.
Kind = Literal["fetch", "executemany", "copy_in", "copy_out", "copy_records"]


@dataclass(frozen=True)
class Query:
    """One benchmark query.

    ``setup`` runs once before the rounds and ``teardown`` after them (on a pgconn
    connection); ``session_setup`` runs on every connection before its clock starts. An
    ``executemany`` or ``copy_in`` query sends the rows of ``records()`` into the connection's
    ``table`` (its ``columns``; ``types`` are their types, for psycopg's binary COPY, and the
    column types of a ``copy_records`` query). ``check`` looks at the rows of one untimed call
    (a ``copy_out``'s text split into fields) and returns what was wrong, or None. A query
    with a ``skip`` reason is listed in the table but run by no driver. ``connections``
    overrides the connections per driver; ``in_mean`` puts the query in the geometric mean;
    ``note`` is printed under the table.
    """

    name: str
    sql: str
    args: tuple[Any, ...] = ()
    setup: tuple[str, ...] = ()
    teardown: tuple[str, ...] = ()
    session_setup: tuple[str, ...] = ()
    kind: Kind = "fetch"
    table: str | None = None
    columns: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    records: Callable[[], Rows] | None = None
    check: Callable[[Rows], str | None] | None = None
    skip: str | None = None
    connections: int | None = None
    in_mean: bool = True
    note: str | None = None


def _checker(expected: Callable[[Rows], bool], what: str) -> Callable[[Rows], str | None]:
    def check(rows: Rows) -> str | None:
        return None if expected(rows) else f"expected {what}"

    return check


def _is_pg_type(rows: Rows) -> bool:
    return bool(rows) and all(len(row) == 12 and isinstance(row[0], str) and row[7] is True for row in rows)


def batch_rows(count: int = BATCH_ROWS) -> list[tuple[int, int, int, str, float, float, str]]:
    """The argument rows of ``6-batch``: three integers, two texts and two floats each."""
    return [(i, i * 2, -i, f"batch row {i}", i / 4, i * 1.5, "pgasync") for i in range(count)]


def copy_rows(count: int = COPY_IN_ROWS) -> list[tuple[int, int, int, str, float, int, str]]:
    """The rows of ``5-copyfrom``, in pgbench's column types, their values differing by row."""
    return [(i, i * 2, -i, f"copy row {i}", i / 4, i * 3, "pgasync") for i in range(count)]


_BATCH_TABLE = "_bench_batch"
_COPY_TABLE = "_bench_copy"
_COPY_COLUMNS = ("a", "b", "c", "d", "e", "f", "g")

PGBENCH_QUERIES: tuple[Query, ...] = (
    Query(
        "1-pg_type",
        "SELECT typname, typnamespace, typowner, typlen, typbyval, typcategory, typispreferred, "
        "typisdefined, typdelim, typrelid, typelem, typarray "
        "FROM pg_type WHERE typtypmod = $1 AND typisdefined = $2",
        (-1, True),
        check=_checker(_is_pg_type, "pg_type rows of 12 columns, typname a str, typisdefined True"),
    ),
    Query(
        "2-generate_series",
        "SELECT i FROM generate_series(1, 1000) AS i",
        check=_checker(lambda rows: [row[0] for row in rows] == list(range(1, 1001)), "the integers 1..1000"),
    ),
    Query(
        "3-large_object",
        "SELECT * FROM _bench_large_object",
        setup=(
            "DROP TABLE IF EXISTS _bench_large_object",
            "CREATE TABLE _bench_large_object (b bytea)",
            # The inner series refers to the outer row, so it runs again for every row and
            # each value gets random bytes of its own (an uncorrelated subquery runs once).
            "INSERT INTO _bench_large_object "
            "SELECT (SELECT decode(string_agg(lpad(to_hex(floor(random() * 256)::int), 2, '0'), ''), 'hex') "
            "FROM generate_series(1, 1000 + 0 * r.n)) FROM generate_series(1, 100) AS r(n)",
        ),
        teardown=("DROP TABLE _bench_large_object",),
        check=_checker(
            lambda rows: (
                len(rows) == 100 and all(isinstance(r[0], bytes) and len(r[0]) == 1000 for r in rows)
            ),
            "100 bytes values of 1000 bytes",
        ),
    ),
    Query(
        "4-arrays",
        "SELECT * FROM _bench_arrays",
        setup=(
            "DROP TABLE IF EXISTS _bench_arrays",
            "CREATE TABLE _bench_arrays (a int4[])",
            "INSERT INTO _bench_arrays SELECT (SELECT array_agg(i) FROM generate_series(1, 100) AS s(i)) "
            "FROM generate_series(1, 100)",
        ),
        teardown=("DROP TABLE _bench_arrays",),
        check=_checker(
            lambda rows: len(rows) == 100 and all(list(row[0]) == list(range(1, 101)) for row in rows),
            "100 arrays [1..100]",
        ),
    ),
    Query(
        "5-copyfrom",
        f"COPY {_COPY_TABLE} ({', '.join(_COPY_COLUMNS)}) FROM STDIN (FORMAT binary): {COPY_IN_ROWS:,} rows",
        session_setup=(
            f"CREATE TEMPORARY TABLE {_COPY_TABLE} "
            "(a int4, b int4, c int4, d text, e float8, f int4, g text)",
        ),
        kind="copy_in",
        table=_COPY_TABLE,
        columns=_COPY_COLUMNS,
        types=("int4", "int4", "int4", "text", "float8", "int4", "text"),
        records=copy_rows,
    ),
    Query(
        "6-batch",
        f"INSERT INTO {_BATCH_TABLE} (a, b, c, d, e, f, g) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        session_setup=(
            f"CREATE TEMPORARY TABLE {_BATCH_TABLE} "
            "(a int4, b int4, c int4, d text, e float8, f float8, g text)",
        ),
        kind="executemany",
        table=_BATCH_TABLE,
        records=batch_rows,
    ),
    Query(
        "7-oneplusone",
        "SELECT 1+1",
        check=_checker(lambda rows: [tuple(row) for row in rows] == [(2,)], "one row (2,)"),
    ),
)


def _series(count: int) -> Iterator[tuple[int, str, Decimal]]:
    """The rows of the COPY OUT query, as Python values (``i * 1.5`` is a numeric)."""
    step = Decimal("1.5")
    return ((i, str(i), i * step) for i in range(1, count + 1))


def _series_check(count: int, *, text: bool) -> Callable[[Rows], str | None]:
    """A check that the rows are :func:`_series`, as strings if ``text``."""

    def check(rows: Rows) -> str | None:
        if len(rows) != count:
            return f"expected {count} rows, got {len(rows)}"
        for number, (row, values) in enumerate(zip(rows, _series(count), strict=True), 1):
            expected: tuple[Any, ...] = tuple(map(str, values)) if text else values
            if tuple(row) != expected:
                return f"expected row {number} to be {expected!r}, got {tuple(row)!r}"
        return None

    return check


def copy_out_queries(count: int = COPY_OUT_ROWS) -> tuple[Query, Query]:
    """``copyout`` and ``copyout-records`` of ``count`` rows (see the module's docstring)."""
    select = f"SELECT i, i::text, i * 1.5 FROM generate_series(1, {count}) AS i"
    return (
        Query(
            "copyout",
            select,
            kind="copy_out",
            check=_series_check(count, text=True),
            connections=1,
            in_mean=False,
            note="COPY (query) TO STDOUT, text, into a sink that counts bytes; one connection",
        ),
        Query(
            "copyout-records",
            select,
            kind="copy_records",
            types=("int4", "text", "numeric"),
            check=_series_check(count, text=False),
            connections=1,
            in_mean=False,
            note=(
                "records of the same query: pgconn copy_records_from_query, psycopg binary "
                "copy.rows(); asyncpg fetch(query), as it has no record stream from COPY"
            ),
        ),
    )


QUERIES: tuple[Query, ...] = (*PGBENCH_QUERIES, *copy_out_queries())
