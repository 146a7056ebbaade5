"""Server errors and their fields, argument errors, introspection methods, reset() and codecs."""

from __future__ import annotations

import json
from typing import Any

import pytest

import pgconn
from pgtypes import ServerVersion
from pgwire.exceptions import (
    CheckViolationError,
    DataError,
    DivisionByZeroError,
    ForeignKeyViolationError,
    InterfaceError,
    NotNullViolationError,
    PostgresError,
    PostgresSyntaxError,
    UndefinedTableError,
    UniqueViolationError,
    UnsupportedClientFeatureError,
)
from tests.pgconn.conftest import ConnectionFactory, MakeTable

# -- server errors: exact class and every field -----------------------------------------------------


async def test_unique_violation_fields(conn: pgconn.Connection, table: MakeTable) -> None:
    name = await table("id int CONSTRAINT pgconn_uq PRIMARY KEY")
    await conn.execute(f"INSERT INTO {name} VALUES (1)")
    query = f"INSERT INTO {name} VALUES ($1)"
    with pytest.raises(UniqueViolationError) as caught:
        await conn.execute(query, 1)
    error = caught.value
    assert type(error) is UniqueViolationError
    assert error.sqlstate == "23505"
    assert error.message == 'duplicate key value violates unique constraint "pgconn_uq"'
    assert error.detail == "Key (id)=(1) already exists."
    assert error.schema_name == "public"
    assert error.table_name == name
    assert error.constraint_name == "pgconn_uq"
    assert error.query == query
    assert error.severity == "ERROR"
    assert await conn.fetchval("SELECT 1") == 1


async def test_foreign_key_violation(conn: pgconn.Connection, table: MakeTable) -> None:
    parent = await table("id int PRIMARY KEY")
    child = await table(f"parent int CONSTRAINT pgconn_fk REFERENCES {parent}")
    with pytest.raises(ForeignKeyViolationError) as caught:
        await conn.execute(f"INSERT INTO {child} VALUES (5)")
    assert caught.value.sqlstate == "23503"
    assert caught.value.constraint_name == "pgconn_fk"
    assert caught.value.table_name == child
    assert caught.value.detail == f'Key (parent)=(5) is not present in table "{parent}".'


async def test_check_violation(conn: pgconn.Connection, table: MakeTable) -> None:
    name = await table("n int CONSTRAINT pgconn_positive CHECK (n > 0)")
    with pytest.raises(CheckViolationError) as caught:
        await conn.fetch(f"INSERT INTO {name} VALUES ($1) RETURNING n", -1)
    assert caught.value.sqlstate == "23514"
    assert caught.value.constraint_name == "pgconn_positive"
    assert caught.value.table_name == name


async def test_not_null_violation(conn: pgconn.Connection, table: MakeTable) -> None:
    name = await table("a int NOT NULL, b int")
    with pytest.raises(NotNullViolationError) as caught:
        await conn.execute(f"INSERT INTO {name} (b) VALUES (1)")
    assert caught.value.sqlstate == "23502"
    assert caught.value.column_name == "a"
    assert caught.value.table_name == name
    assert caught.value.schema_name == "public"


async def test_division_by_zero_and_hint(conn: pgconn.Connection) -> None:
    with pytest.raises(DivisionByZeroError) as caught:
        await conn.fetchval("SELECT 1 / $1::int", 0)
    assert caught.value.sqlstate == "22012"
    assert caught.value.message == "division by zero"
    with pytest.raises(UndefinedTableError) as missing:
        await conn.execute("SELECT * FROM pgconn_no_such_table")
    assert missing.value.position == "15"
    with pytest.raises(PostgresError) as hinted:
        await conn.execute("SELECT pgconn_no_such_function(1)")
    assert hinted.value.hint is not None and "No function matches" in hinted.value.hint


async def test_syntax_error_position(conn: pgconn.Connection) -> None:
    query = "SELECT 1 FROM WHERE"
    with pytest.raises(PostgresSyntaxError) as caught:
        await conn.execute(query)
    error = caught.value
    assert error.sqlstate == "42601"
    assert error.position == "15"
    assert error.query == query
    assert 'syntax error at or near "WHERE"' in str(error)
    with pytest.raises(PostgresSyntaxError) as extended:
        await conn.fetch("SELECT $1::int FROM WHERE", 1)
    assert extended.value.position == "21"


async def test_error_as_dict_and_str(conn: pgconn.Connection, table: MakeTable) -> None:
    name = await table("id int PRIMARY KEY")
    await conn.execute(f"INSERT INTO {name} VALUES (1)")
    with pytest.raises(UniqueViolationError) as caught:
        await conn.execute(f"INSERT INTO {name} VALUES (1)")
    fields = caught.value.as_dict()
    assert fields["sqlstate"] == "23505"
    assert "query" not in fields
    assert str(caught.value).startswith("duplicate key value")
    assert "\nDETAIL:  Key (id)=(1) already exists." in str(caught.value)


# -- argument errors before anything is sent -----------------------------------------------------


async def test_bad_argument_is_a_data_error_naming_the_position(
    conn: pgconn.Connection, table: MakeTable
) -> None:
    name = await table("a int, b text")
    with pytest.raises(DataError, match=r"invalid input for query argument \$2") as caught:
        await conn.execute(f"INSERT INTO {name} VALUES ($1, $2)", 1, object())
    assert caught.value.sqlstate == "22000"
    assert caught.value.__cause__ is not None
    with pytest.raises(DataError, match=r"\$1"):
        await conn.fetchval("SELECT $1::int", "not a number")
    assert not conn.is_in_transaction()
    assert await conn.fetchval(f"SELECT count(*) FROM {name}") == 0
    assert await conn.fetchval("SELECT $1::int", 4) == 4


async def test_bad_argument_inside_a_transaction_keeps_it_usable(conn: pgconn.Connection) -> None:
    async with conn.transaction():
        with pytest.raises(DataError):
            await conn.fetchval("SELECT $1::int", "x")
        # Nothing reached the server, so the transaction is not failed.
        assert await conn.fetchval("SELECT 2") == 2


# -- connection introspection ----------------------------------------------------------------------


async def test_server_pid_and_version(conn: pgconn.Connection) -> None:
    assert conn.get_server_pid() == await conn.fetchval("SELECT pg_backend_pid()")
    version = conn.get_server_version()
    assert isinstance(version, ServerVersion)
    assert version.major == int(await conn.fetchval("SHOW server_version_num")) // 10000
    assert version.micro == int(await conn.fetchval("SHOW server_version_num")) % 100


async def test_settings(conn: pgconn.Connection) -> None:
    settings = conn.get_settings()
    assert settings.server_version == await conn.fetchval("SHOW server_version")
    assert settings.client_encoding == "UTF8"
    with pytest.raises(AttributeError, match="pgconn_nope"):
        _ = settings.pgconn_nope
    # The server reports changes of reported parameters, and the settings follow.
    await conn.execute("SET application_name = 'pgconn-test'")
    assert settings.application_name == "pgconn-test"
    assert repr(settings).startswith("<ConnectionSettings {")


async def test_reset(connect: ConnectionFactory) -> None:
    conn, other = await connect(), await connect()
    await conn.execute("SELECT pg_advisory_lock(4242)")
    await conn.execute("LISTEN pgconn_reset_channel")
    await conn.execute("SET work_mem = '7MB'")
    await conn.execute("BEGIN")
    await conn.execute("SELECT 1")
    await conn.reset()
    assert not conn.is_in_transaction()
    assert await other.fetchval("SELECT pg_try_advisory_lock(4242)") is True
    assert await conn.fetch("SELECT pg_listening_channels()") == []
    assert await conn.fetchval("SHOW work_mem") != "7MB"
    assert conn.get_reset_query() == "SELECT pg_advisory_unlock_all();\nCLOSE ALL;\nUNLISTEN *;\nRESET ALL;"


async def test_reset_inside_a_managed_transaction(conn: pgconn.Connection) -> None:
    transaction = conn.transaction()
    await transaction.__aenter__()
    await conn.execute("SELECT 1")
    await conn.reset()
    assert not conn.is_in_transaction()
    async with conn.transaction():  # the connection is not left thinking a block is open
        assert await conn.fetchval("SELECT 3") == 3


# -- codecs through the connection -----------------------------------------------------------------


async def test_json_codec_in_pg_catalog(conn: pgconn.Connection) -> None:
    before = await conn.fetchval("SELECT '{\"a\": 1}'::json")
    assert before == '{"a": 1}'
    await conn.set_type_codec("json", schema="pg_catalog", encoder=json.dumps, decoder=json.loads)
    assert await conn.fetchval("SELECT '{\"a\": 1}'::json") == {"a": 1}
    assert await conn.fetchval("SELECT $1::json", {"b": [1, 2]}) == {"b": [1, 2]}
    assert await conn.fetchval("SELECT ARRAY['[1]'::json]") == [[1]]
    await conn.reset_type_codec("json", schema="pg_catalog")
    assert await conn.fetchval("SELECT '{\"a\": 1}'::json") == '{"a": 1}'


async def test_enum_codec(conn: pgconn.Connection) -> None:
    await conn.execute("DROP TYPE IF EXISTS pgconn_level; CREATE TYPE pgconn_level AS ENUM ('low', 'high')")
    try:
        assert await conn.fetchval("SELECT 'low'::pgconn_level") == "low"
        await conn.set_type_codec("pgconn_level", encoder=str.lower, decoder=str.upper)
        assert await conn.fetchval("SELECT 'low'::pgconn_level") == "LOW"
        assert await conn.fetchval("SELECT $1::pgconn_level", "HIGH") == "HIGH"
        assert await conn.fetchval("SELECT ARRAY['low', 'high']::pgconn_level[]") == ["LOW", "HIGH"]
        await conn.reset_type_codec("pgconn_level")
        assert await conn.fetchval("SELECT 'high'::pgconn_level") == "high"
    finally:
        await conn.execute("DROP TYPE pgconn_level")


async def test_builtin_codec_alias(conn: pgconn.Connection) -> None:
    await conn.execute("CREATE DOMAIN pg_temp.money_cents AS bigint")
    await conn.execute(
        "DROP TYPE IF EXISTS pgconn_flag; CREATE TYPE pgconn_flag AS ENUM ('1', '2')",
    )
    try:
        await conn.set_builtin_type_codec("pgconn_flag", codec_name="text")
        assert await conn.fetchval("SELECT '2'::pgconn_flag") == "2"
        with pytest.raises(InterfaceError, match="cannot alias non-scalar type"):
            await conn.set_builtin_type_codec("_int4", schema="pg_catalog", codec_name="int4")
    finally:
        await conn.execute("DROP TYPE pgconn_flag")


async def test_codec_changes_clear_the_statement_cache_but_not_prepared(conn: pgconn.Connection) -> None:
    statement = await conn.prepare("SELECT '[1]'::json")
    await conn.fetchval("SELECT '[2]'::json")
    await conn.set_type_codec("json", schema="pg_catalog", encoder=json.dumps, decoder=json.loads)
    assert await conn.fetchval("SELECT '[2]'::json") == [2]
    assert await statement.fetchval() == "[1]"  # keeps the codecs it was prepared with


@pytest.mark.parametrize("call", ["set_type_codec", "reset_type_codec", "set_builtin_type_codec"])
async def test_unknown_type(conn: pgconn.Connection, call: str) -> None:
    arguments: dict[str, dict[str, Any]] = {
        "set_type_codec": {"encoder": str, "decoder": str},
        "reset_type_codec": {},
        "set_builtin_type_codec": {"codec_name": "text"},
    }
    extra = arguments[call]
    with pytest.raises(ValueError, match=r"^unknown type: public\.nope$"):
        await getattr(conn, call)("nope", **extra)
    assert await conn.fetchval("SELECT 1") == 1


async def test_codec_on_a_domain_is_refused(conn: pgconn.Connection) -> None:
    await conn.execute("DROP DOMAIN IF EXISTS pgconn_dom; CREATE DOMAIN pgconn_dom AS int")
    try:
        with pytest.raises(
            UnsupportedClientFeatureError, match="custom codecs on domain types are not supported"
        ):
            await conn.set_type_codec("pgconn_dom", encoder=str, decoder=int)
    finally:
        await conn.execute("DROP DOMAIN pgconn_dom")


async def test_reload_schema_state_after_type_change(conn: pgconn.Connection) -> None:
    await conn.execute("DROP TYPE IF EXISTS pgconn_shape; CREATE TYPE pgconn_shape AS (a int)")
    try:
        assert tuple(await conn.fetchval("SELECT ROW(1)::pgconn_shape")) == (1,)
        await conn.execute("DROP TYPE pgconn_shape; CREATE TYPE pgconn_shape AS (a text, b text)")
        await conn.reload_schema_state()
        assert tuple(await conn.fetchval("SELECT ROW('x', 'y')::pgconn_shape")) == ("x", "y")
    finally:
        await conn.execute("DROP TYPE pgconn_shape")
