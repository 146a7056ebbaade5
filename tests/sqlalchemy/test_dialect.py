"""The dialect itself: how SQLAlchemy finds it, what it imports (never asyncpg), the URL's
options, how pgasync's errors map onto SQLAlchemy's, reflection."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import textwrap
from typing import cast

import pytest
from sqlalchemy import exc, inspect, text
from sqlalchemy.dialects.postgresql.base import PGInspector
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

import pgasync
from pgasync.sqlalchemy import PGDialect_pgasync, dialect
from pgasync.sqlalchemy._errors import TRANSLATION_MAP, add_pgcode, category_of
from tests.sqlalchemy.conftest import MakeEngine
from tests.sqlalchemy.models import Base


def run_python(code: str) -> str:
    completed = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, check=True, timeout=60
    )
    return completed.stdout.strip()


def test_asyncpg_is_not_installed_in_this_environment() -> None:
    # The dialect must work without it: nothing below may rely on asyncpg being there.
    assert importlib.util.find_spec("asyncpg") is None


def test_importing_pgasync_does_not_import_sqlalchemy() -> None:
    assert run_python("import sys, pgasync; print('sqlalchemy' in sys.modules)") == "False"


def test_the_entry_point_finds_the_dialect_from_the_url_alone() -> None:
    found = run_python(
        """
        import sys
        from sqlalchemy.ext.asyncio import create_async_engine
        engine = create_async_engine("postgresql+pgasync://app@localhost/app")
        print(type(engine.dialect).__module__, engine.dialect.driver, "asyncpg" in sys.modules)
        """
    )
    assert found == "pgasync.sqlalchemy._dialect pgasync False"
    assert dialect is PGDialect_pgasync


async def test_errors_and_the_whole_dialect_never_import_asyncpg(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        with pytest.raises(exc.ProgrammingError):
            await connection.execute(text("SELECT * FROM no_such_table"))
        await connection.rollback()
        with pytest.raises(exc.DataError):
            await connection.execute(text("SELECT 1 / 0"))
    assert "asyncpg" not in sys.modules


@pytest.mark.parametrize(
    ("statement", "wrapper", "original"),
    [
        ("SELECT * FROM no_such_table", exc.ProgrammingError, pgasync.UndefinedTableError),
        ("SELECT 1 / 0", exc.DataError, pgasync.DivisionByZeroError),
        ("SELECT 'x'::int", exc.DataError, pgasync.InvalidTextRepresentationError),
        ("INSERT INTO checked VALUES (NULL)", exc.IntegrityError, pgasync.NotNullViolationError),
        ("INSERT INTO checked VALUES (-1)", exc.IntegrityError, pgasync.CheckViolationError),
        ("SET statement_timeout = 1; SELECT pg_sleep(1)", exc.OperationalError, pgasync.QueryCanceledError),
        ("SELECT (SELECT 1 UNION SELECT 2)", exc.ProgrammingError, pgasync.CardinalityViolationError),
        ("ROLLBACK TO SAVEPOINT nowhere", exc.OperationalError, pgasync.InvalidSavepointSpecificationError),
    ],
)
async def test_server_errors_map_to_sqlalchemys_classes(
    engine: AsyncEngine, statement: str, wrapper: type[exc.DBAPIError], original: type[Exception]
) -> None:
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE IF NOT EXISTS checked (n int NOT NULL CHECK (n >= 0))"))
    async with engine.connect() as connection:
        with pytest.raises(wrapper) as caught:
            for part in statement.split("; "):
                await connection.exec_driver_sql(part)
    assert type(caught.value.orig) is original


async def test_client_errors_are_dbapi_errors_too(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        # A value pgasync cannot encode for the parameter's type: its DataError, before sending.
        with pytest.raises(exc.DBAPIError) as caught:
            await connection.exec_driver_sql("SELECT $1::int", ("not a number",))
    assert isinstance(caught.value.orig, pgasync.DataError | pgasync.InterfaceError)


def pgcode(error: BaseException | None) -> object:
    """The ``pgcode`` the dialect set on ``error`` (``"missing"`` when it set none)."""
    return getattr(error, "pgcode", "missing")


async def test_orig_carries_pgcode_as_with_the_asyncpg_dialect(engine: AsyncEngine) -> None:
    # SQLAlchemy's asyncpg dialect gives its errors psycopg2's ``pgcode``; ours adds it to
    # pgasync's own exception, which stays what pgasync raised.
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE IF NOT EXISTS unique_ids (id int PRIMARY KEY)"))
    async with engine.connect() as connection:
        with pytest.raises(exc.IntegrityError) as integrity:
            await connection.execute(text("INSERT INTO unique_ids VALUES (1), (1)"))
        error = integrity.value.orig
        assert type(error) is pgasync.UniqueViolationError
        assert pgcode(error) == error.sqlstate == "23505"
        await connection.rollback()
        # A bad argument is refused before sending, with asyncpg's client-side DataError (22000).
        with pytest.raises(exc.DBAPIError) as bad_argument:
            await connection.exec_driver_sql("SELECT $1::int", ("not a number",))
        assert pgcode(bad_argument.value.orig) == "22000"
        # An InterfaceError has no SQLSTATE: pgcode is None, as the asyncpg dialect's.
        with pytest.raises(exc.DBAPIError) as client:
            await connection.exec_driver_sql("SELECT $1::int", (1, 2))
        assert isinstance(client.value.orig, pgasync.InterfaceError)
        assert pgcode(client.value.orig) is None


async def test_connect_errors_carry_pgcode(sqla_url: str) -> None:
    engine = create_async_engine(make_url(sqla_url).set(database="no_such_database"))
    try:
        with pytest.raises(exc.DBAPIError) as caught:
            async with engine.connect():
                pass
    finally:
        await engine.dispose()
    assert isinstance(caught.value.orig, pgasync.InvalidCatalogNameError)
    assert pgcode(caught.value.orig) == "3D000"


def test_foreign_errors_get_no_pgcode() -> None:
    error = OSError("refused")
    add_pgcode(error)
    assert pgcode(error) == "missing"


def test_every_pgasync_error_has_a_pep_249_category() -> None:
    uncategorised = [
        name
        for name in pgasync.exceptions.__all__
        if isinstance(error := getattr(pgasync.exceptions, name), type)
        and issubclass(error, Exception)
        and not issubclass(error, Warning)
        and category_of(error.__new__(error)) is None
    ]
    assert uncategorised == []
    assert TRANSLATION_MAP["IntegrityConstraintViolationError"] == "IntegrityError"
    assert category_of(pgasync.UniqueViolationError.__new__(pgasync.UniqueViolationError)) == "IntegrityError"


def test_url_options_become_pgasync_connect_arguments() -> None:
    url = make_url(
        "postgresql+pgasync://app:secret@db.example:6432/shop"
        "?command_timeout=2.5&statement_cache_size=0&prepared_statement_cache_size=0&ssl=require"
    )
    args, options = PGDialect_pgasync().create_connect_args(url)
    assert args == []
    assert options == {
        "host": "db.example",
        "port": 6432,
        "user": "app",
        "password": "secret",
        "database": "shop",
        "command_timeout": 2.5,
        "statement_cache_size": 0,
        "prepared_statement_cache_size": 0,
        "ssl": "require",
    }


def test_a_numeric_url_option_that_is_no_number_is_refused() -> None:
    with pytest.raises(exc.ArgumentError, match=r"statement_cache_size='many' must be a whole number"):
        PGDialect_pgasync().create_connect_args(
            make_url("postgresql+pgasync://h/d?statement_cache_size=many")
        )


async def test_prepared_statement_cache_off_for_pgbouncer(
    make_engine: MakeEngine, admin: pgasync.Connection
) -> None:
    engine = make_engine(
        connect_args={"prepared_statement_cache_size": 0, "statement_cache_size": 0}, pool_size=1
    )
    async with engine.connect() as connection:
        for n in range(5):
            assert await connection.scalar(text("SELECT CAST(:n AS int)"), {"n": n}) == n
        # Nothing stays prepared on the server: every statement went through the unnamed one.
        assert await connection.scalar(text("SELECT count(*) FROM pg_prepared_statements")) == 0


async def test_reflection_through_run_sync(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)

    def look(sync_connection: Connection) -> dict[str, object]:
        inspector = cast(PGInspector, inspect(sync_connection))
        samples = {column["name"]: column for column in inspector.get_columns("samples")}
        return {
            "tables": sorted(inspector.get_table_names()),
            "types": {
                name: repr(samples[name]["type"]) for name in ("numbers", "docb", "uid", "span", "mood")
            },
            "nullable": samples["id"]["nullable"],
            "foreign": [
                (fk["referred_table"], fk["constrained_columns"])
                for fk in inspector.get_foreign_keys("books")
            ],
            "indexes": [index["column_names"] for index in inspector.get_indexes("books")],
            "unique": [
                constraint["column_names"] for constraint in inspector.get_unique_constraints("authors")
            ],
            "enums": [(enum["name"], enum["labels"]) for enum in inspector.get_enums()],
            "pk": inspector.get_pk_constraint("book_tags")["constrained_columns"],
        }

    async with engine.connect() as connection:
        seen = await connection.run_sync(look)
    assert seen == {
        "tables": ["authors", "book_tags", "books", "samples", "tags"],
        "types": {
            "numbers": "ARRAY(INTEGER())",
            "docb": "JSONB(astext_type=Text())",
            "uid": "UUID()",
            "span": "INTERVAL()",
            "mood": "ENUM('happy', 'sad', 'curious', name='mood')",
        },
        "nullable": False,
        "foreign": [("authors", ["author_id"])],
        "indexes": [["author_id"]],
        "unique": [["name"]],
        "enums": [("mood", ["happy", "sad", "curious"])],
        "pk": ["book_id", "tag_id"],
    }


async def test_statements_the_dialect_evicts_are_closed_on_the_server(make_engine: MakeEngine) -> None:
    engine = make_engine(connect_args={"prepared_statement_cache_size": 3}, pool_size=1)
    async with engine.connect() as connection:
        for n in range(20):
            await connection.execute(text(f"SELECT {n} AS evictable"))
        count = text("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%AS evictable'")
        # The dialect's LRU keeps three (this count query is the third); the ones it dropped
        # were closed, not left behind.
        assert await connection.scalar(count) == 2
