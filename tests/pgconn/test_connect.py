"""``pgconn.connect()`` against the real session server: authentication, passwords, DSNs, timeouts.

Each password method has its own role in the session ``cluster`` (``server_users``). TLS is
in ``test_connect_tls.py`` and several hosts in ``test_connect_hosts.py``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

import pgconn
from pgasync.cluster import Cluster, ServerUser
from pgtypes import Record
from pgwire import AuthenticationError
from pgwire.exceptions import (
    InterfaceError,
    InvalidAuthorizationSpecificationError,
    InvalidCatalogNameError,
    InvalidPasswordError,
    UndefinedObjectError,
)
from tests.pgconn.connect_helpers import SilentServer, closed_port, isolate_environment, server_port

PASSWORD_METHODS = ("password", "md5", "scram-sha-256")


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_environment(monkeypatch, tmp_path / "home")


async def _current_user(connection: pgconn.Connection) -> str:
    try:
        name = await connection.fetchval("SELECT current_user")
    finally:
        await connection.close()
    assert isinstance(name, str)
    return name


def _percent_encode_all(text: str) -> str:
    """Every byte percent-encoded, even those a URI may carry bare."""
    return "".join(f"%{byte:02X}" for byte in text.encode())


# -- authentication methods -----------------------------------------------------------------------


@pytest.mark.parametrize("method", ["trust", *PASSWORD_METHODS])
@pytest.mark.parametrize("unix_socket", [False, True], ids=["tcp", "unix"])
async def test_each_method_logs_in(
    cluster: Cluster, server_users: dict[str, ServerUser], method: str, unix_socket: bool
) -> None:
    user = server_users[method]
    spec = cluster.connection_spec(user.name, user.password, unix_socket=unix_socket)
    connection = await pgconn.connect(**spec, ssl="disable")
    assert await _current_user(connection) == user.name


async def test_reject_rule_refuses_even_the_right_password(
    cluster: Cluster, server_users: dict[str, ServerUser]
) -> None:
    user = server_users["reject"]
    with pytest.raises(
        InvalidAuthorizationSpecificationError, match=r"pg_hba\.conf rejects connection"
    ) as info:
        await pgconn.connect(**cluster.connection_spec(user.name, user.password))
    assert not isinstance(info.value, InvalidPasswordError)
    assert info.value.sqlstate == "28000"


@pytest.mark.parametrize("method", PASSWORD_METHODS)
async def test_wrong_password_carries_the_server_message(
    cluster: Cluster, server_users: dict[str, ServerUser], method: str
) -> None:
    user = server_users[method]
    wrong = "not-the-password-42"
    with pytest.raises(InvalidPasswordError) as info:
        await pgconn.connect(**cluster.connection_spec(user.name, wrong))
    assert info.value.sqlstate == "28P01"
    assert info.value.message == f'password authentication failed for user "{user.name}"'
    # The password itself never shows up in what the error says.
    assert wrong not in str(info.value)
    assert wrong not in repr(info.value)


@pytest.mark.parametrize("method", PASSWORD_METHODS)
async def test_no_password_at_all_is_a_clear_client_error(
    cluster: Cluster, server_users: dict[str, ServerUser], method: str
) -> None:
    user = server_users[method]
    with pytest.raises(AuthenticationError, match="no password was supplied"):
        await pgconn.connect(**cluster.connection_spec(user.name))


async def test_unknown_database(cluster: Cluster) -> None:
    with pytest.raises(InvalidCatalogNameError, match='database "pgconn_no_such_db" does not exist'):
        await pgconn.connect(**cluster.connection_spec(database="pgconn_no_such_db"))


async def test_unknown_role(cluster: Cluster) -> None:
    with pytest.raises(InvalidAuthorizationSpecificationError) as info:
        await pgconn.connect(**cluster.connection_spec(user="pgconn_no_such_role"))
    assert "pgconn_no_such_role" in str(info.value)


async def test_refused_port_raises_oserror_naming_the_address() -> None:
    port = closed_port()
    with pytest.raises(OSError) as info:
        await pgconn.connect(host="127.0.0.1", port=port, user="postgres", timeout=10)
    assert isinstance(info.value, ConnectionRefusedError)
    assert str(port) in str(info.value)
    assert "127.0.0.1" in str(info.value)


async def test_missing_unix_socket_raises_oserror(tmp_path: Path) -> None:
    with pytest.raises(OSError) as info:
        await pgconn.connect(host=os.fspath(tmp_path), port=5999, user="postgres")
    assert isinstance(info.value, FileNotFoundError | ConnectionRefusedError)


# -- password forms ---------------------------------------------------------------------------------


async def test_password_as_sync_callable_is_called_per_attempt(
    cluster: Cluster, server_users: dict[str, ServerUser]
) -> None:
    user = server_users["scram-sha-256"]
    calls: list[int] = []

    def password() -> str:
        calls.append(1)
        assert user.password is not None
        return user.password

    spec = cluster.connection_spec(user.name)
    assert await _current_user(await pgconn.connect(**spec, password=password, ssl="disable")) == user.name
    assert await _current_user(await pgconn.connect(**spec, password=password, ssl="disable")) == user.name
    assert len(calls) == 2


@pytest.mark.parametrize("form", ["async def", "lambda returning a coroutine"])
async def test_password_as_async_callable(
    cluster: Cluster, server_users: dict[str, ServerUser], form: str
) -> None:
    user = server_users["md5"]
    assert user.password is not None
    secret = user.password

    async def fetch_token() -> str:
        return secret

    password: Callable[[], Awaitable[str]] = fetch_token if form == "async def" else (lambda: fetch_token())
    connection = await pgconn.connect(**cluster.connection_spec(user.name), password=password)
    assert await _current_user(connection) == user.name


async def test_password_callable_returning_no_str(
    cluster: Cluster, server_users: dict[str, ServerUser]
) -> None:
    user = server_users["password"]
    with pytest.raises(InterfaceError, match="return a str"):
        await pgconn.connect(**cluster.connection_spec(user.name), password=lambda: 42)


async def test_password_from_pgpassword(
    cluster: Cluster, server_users: dict[str, ServerUser], monkeypatch: pytest.MonkeyPatch
) -> None:
    user = server_users["scram-sha-256"]
    assert user.password is not None
    monkeypatch.setenv("PGPASSWORD", user.password)
    assert await _current_user(await pgconn.connect(**cluster.connection_spec(user.name))) == user.name


# -- the password file -----------------------------------------------------------------------------


def _write_passfile(path: Path, lines: list[str], mode: int = 0o600) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    path.chmod(mode)
    return path


async def test_explicit_passfile(
    cluster: Cluster, server_users: dict[str, ServerUser], tmp_path: Path
) -> None:
    user = server_users["scram-sha-256"]
    passfile = _write_passfile(
        tmp_path / "pgpass",
        [
            "# a comment, then a line for another port that must not match",
            f"127.0.0.1:{cluster.port + 1}:postgres:{user.name}:wrong",
            f"127.0.0.1:{cluster.port}:postgres:{user.name}:{user.password}",
        ],
    )
    connection = await pgconn.connect(**cluster.connection_spec(user.name), passfile=passfile)
    assert await _current_user(connection) == user.name


async def test_passfile_from_pgpassfile_with_wildcards(
    cluster: Cluster, server_users: dict[str, ServerUser], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = server_users["md5"]
    passfile = _write_passfile(tmp_path / "pgpass", [f"*:*:*:{user.name}:{user.password}"])
    monkeypatch.setenv("PGPASSFILE", os.fspath(passfile))
    connection = await pgconn.connect(**cluster.connection_spec(user.name))
    assert await _current_user(connection) == user.name


async def test_passfile_first_match_wins(
    cluster: Cluster, server_users: dict[str, ServerUser], tmp_path: Path
) -> None:
    user = server_users["password"]
    passfile = _write_passfile(
        tmp_path / "pgpass",
        [f"127.0.0.1:*:*:{user.name}:first-and-wrong", f"*:*:*:*:{user.password}"],
    )
    with pytest.raises(InvalidPasswordError):
        await pgconn.connect(**cluster.connection_spec(user.name), passfile=passfile)


async def test_passfile_in_home_matches_unix_socket_as_localhost(
    cluster: Cluster, server_users: dict[str, ServerUser]
) -> None:
    user = server_users["scram-sha-256"]
    home = Path(os.environ["HOME"])
    home.mkdir()
    _write_passfile(home / ".pgpass", [f"localhost:{cluster.port}:*:{user.name}:{user.password}"])
    connection = await pgconn.connect(**cluster.connection_spec(user.name, unix_socket=True))
    assert await _current_user(connection) == user.name


async def test_passfile_with_group_access_is_ignored_with_a_warning(
    cluster: Cluster, server_users: dict[str, ServerUser], tmp_path: Path
) -> None:
    user = server_users["scram-sha-256"]
    passfile = _write_passfile(tmp_path / "pgpass", [f"*:*:*:*:{user.password}"], mode=0o640)
    with (
        pytest.warns(UserWarning, match="has group or world access"),
        pytest.raises(AuthenticationError, match="no password was supplied"),
    ):
        await pgconn.connect(**cluster.connection_spec(user.name), passfile=passfile, ssl="disable")


async def test_passfile_ignored_when_a_password_is_given(
    cluster: Cluster, server_users: dict[str, ServerUser], tmp_path: Path
) -> None:
    user = server_users["md5"]
    passfile = _write_passfile(tmp_path / "pgpass", [f"*:*:*:*:{user.password}"])
    with pytest.raises(InvalidPasswordError):
        await pgconn.connect(**cluster.connection_spec(user.name, "explicit-and-wrong"), passfile=passfile)


# -- DSNs, settings, the environment --------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["postgres", "postgresql"])
async def test_dsn_schemes_with_percent_encoded_password(
    cluster: Cluster, server_users: dict[str, ServerUser], scheme: str
) -> None:
    user = server_users["scram-sha-256"]
    assert user.password is not None
    dsn = f"{scheme}://{user.name}:{_percent_encode_all(user.password)}@127.0.0.1:{cluster.port}/postgres"
    assert await _current_user(await pgconn.connect(dsn)) == user.name


async def test_dsn_query_options_become_server_settings(cluster: Cluster) -> None:
    # libpq's URI rules: %xx is decoded, '+' stays a plus.
    connection = await pgconn.connect(
        f"{cluster.dsn()}?application_name=pgconn%20dsn+test&search_path=pg_catalog&statement_timeout=1234"
    )
    try:
        assert await connection.fetchval("SHOW application_name") == "pgconn dsn+test"
        assert await connection.fetchval("SHOW search_path") == "pg_catalog"
        assert await connection.fetchval("SHOW statement_timeout") == "1234ms"
        assert connection.get_settings().application_name == "pgconn dsn+test"
    finally:
        await connection.close()


async def test_server_settings_win_over_dsn_query(cluster: Cluster) -> None:
    connection = await pgconn.connect(
        cluster.dsn(application_name="from-dsn"),
        server_settings={"application_name": "from-argument", "work_mem": "3MB"},
    )
    try:
        assert await connection.fetchval("SHOW application_name") == "from-argument"
        assert await connection.fetchval("SHOW work_mem") == "3MB"
    finally:
        await connection.close()


async def test_keyword_arguments_win_over_the_dsn(
    cluster: Cluster, server_users: dict[str, ServerUser]
) -> None:
    user = server_users["trust"]
    dsn = f"postgresql://nobody-at-all:x@127.0.0.1:{closed_port()}/nowhere"
    connection = await pgconn.connect(
        dsn, host="127.0.0.1", port=cluster.port, user=user.name, database="postgres"
    )
    try:
        assert await connection.fetchval("SELECT current_user") == user.name
        assert await connection.fetchval("SELECT current_database()") == "postgres"
    finally:
        await connection.close()


async def test_unknown_server_setting_is_the_server_error(cluster: Cluster) -> None:
    with pytest.raises(UndefinedObjectError, match='unrecognized configuration parameter "no_such_setting"'):
        await pgconn.connect(cluster.dsn(), server_settings={"no_such_setting": "1"})


async def test_environment_variables(
    cluster: Cluster, server_users: dict[str, ServerUser], monkeypatch: pytest.MonkeyPatch
) -> None:
    user = server_users["md5"]
    assert user.password is not None
    monkeypatch.setenv("PGHOST", "127.0.0.1")
    monkeypatch.setenv("PGPORT", str(cluster.port))
    monkeypatch.setenv("PGUSER", user.name)
    monkeypatch.setenv("PGPASSWORD", user.password)
    monkeypatch.setenv("PGDATABASE", "template1")
    monkeypatch.setenv("PGSSLMODE", "disable")
    connection = await pgconn.connect()
    try:
        assert await connection.fetchval("SELECT current_database()") == "template1"
        assert await connection.fetchval("SELECT current_user") == user.name
    finally:
        await connection.close()


async def test_unix_socket_directory(cluster: Cluster) -> None:
    connection = await pgconn.connect(host=cluster.socket_dir, port=cluster.port, user="postgres")
    try:
        # No TCP address on the server's side of a Unix-domain socket.
        assert await connection.fetchval("SELECT inet_server_addr()") is None
        assert await server_port(connection) == cluster.port
    finally:
        await connection.close()


async def test_unix_socket_in_dsn_query_and_as_socket_file(cluster: Cluster) -> None:
    for dsn in (
        cluster.dsn(unix_socket=True),
        f"postgresql://postgres@/postgres?host={cluster.socket_dir}/.s.PGSQL.{cluster.port}",
    ):
        connection = await pgconn.connect(dsn)
        try:
            assert await connection.fetchval("SELECT inet_server_addr()") is None
        finally:
            await connection.close()


# -- timeout, classes ------------------------------------------------------------------------------


async def test_timeout_covers_a_server_that_never_answers() -> None:
    async with SilentServer() as silent:
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            await pgconn.connect(host="127.0.0.1", port=silent.port, user="postgres", timeout=0.5)
        elapsed = time.monotonic() - started
        assert silent.accepted == 1
    assert 0.4 < elapsed < 3.0


async def test_timeout_is_for_the_whole_attempt_not_per_host(cluster: Cluster) -> None:
    async with SilentServer() as silent:
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            await pgconn.connect(
                host=["127.0.0.1", "127.0.0.1"],
                port=[silent.port, cluster.port],
                user="postgres",
                timeout=0.5,
            )
        assert time.monotonic() - started < 3.0


class _MyConnection(pgconn.Connection):
    pass


class _MyRecord(Record):
    pass


async def test_connection_class_and_record_class(cluster: Cluster) -> None:
    connection = await pgconn.connect(cluster.dsn(), connection_class=_MyConnection, record_class=_MyRecord)
    try:
        assert type(connection) is _MyConnection
        row = await connection.fetchrow("SELECT 1 AS a, 'x' AS b")
        assert isinstance(row, _MyRecord)
        assert row is not None and row["a"] == 1 and row["b"] == "x"
    finally:
        await connection.close()


async def test_bad_classes_are_refused_before_connecting() -> None:
    class NotAConnection:
        pass

    class RecordWithInit(Record):
        def __init__(self) -> None:
            super().__init__()

    # The port is closed: reaching it would be an OSError, so these fail before any I/O.
    port = closed_port()
    with pytest.raises(InterfaceError, match="connection_class is expected to be a subclass"):
        await pgconn.connect(host="127.0.0.1", port=port, connection_class=NotAConnection)  # type: ignore[type-var]  # the point of the test
    with pytest.raises(InterfaceError, match="record_class is expected to be a subclass"):
        await pgconn.connect(host="127.0.0.1", port=port, record_class=dict)  # type: ignore[arg-type]  # the point of the test
    with pytest.raises(InterfaceError, match="must not redefine __new__ or __init__"):
        await pgconn.connect(host="127.0.0.1", port=port, record_class=RecordWithInit)
