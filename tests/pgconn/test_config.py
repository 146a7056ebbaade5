"""Tests of :mod:`pgconn._parameters`: precedence, hosts and ports, service files, validation.

No server is needed (but for connecting without a home directory): the environment and the
home directory are injected, files are written under ``tmp_path``. URI syntax has its own
module, ``test_dsn.py``.
"""

from __future__ import annotations

import getpass
import os
import pwd
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import pgconn
import pgwire
from pgasync.cluster import Cluster
from pgconn._parameters import (
    Address,
    ConnectionParameters,
    LoadBalanceHosts,
    SessionAttribute,
    SSLMode,
    parse_connect_arguments,
    validate_connection_options,
)
from pgwire.exceptions import ClientConfigurationError, InterfaceError

Parse = Callable[..., ConnectionParameters]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.fixture
def parse(home: Path) -> Parse:
    """parse_connect_arguments with an empty environment and a fresh home unless given."""

    def run(**kwargs: Any) -> ConnectionParameters:
        kwargs.setdefault("environ", {})
        kwargs.setdefault("home", home)
        return parse_connect_arguments(**kwargs)

    return run


def write_service(path: Path, name: str, lines: list[str]) -> Path:
    path.write_text(f"[{name}]\n" + "".join(line + "\n" for line in lines), encoding="utf-8")
    return path


# --- precedence: kwarg > DSN authority/path > DSN query > service file > environment > default ---

# For each value: the layers that can give it, from highest to lowest precedence; None where a
# layer cannot give it. Each layer is (kwargs, DSN authority, DSN path, DSN query, service line,
# environment) contributions, and the value expected when that layer is the highest present.
LAYERS = ("kwarg", "authority", "query", "service", "environ")
PRECEDENCE: dict[str, tuple[list[Any], Callable[[ConnectionParameters], object], list[Any]]] = {
    "user": (
        [{"user": "k"}, "n@", "user=q", "user=s", {"PGUSER": "e"}],
        lambda p: p.user,
        ["k", "n", "q", "s", "e"],
    ),
    "password": (
        [{"password": "k"}, "u:n@", "password=q", "password=s", {"PGPASSWORD": "e"}],
        lambda p: p.password,
        ["k", "n", "q", "s", "e"],
    ),
    "database": (
        [{"database": "k"}, "/n", "dbname=q", "dbname=s", {"PGDATABASE": "e"}],
        lambda p: p.database,
        ["k", "n", "q", "s", "e"],
    ),
    "host": (
        [{"host": "k"}, "n", "host=q", "host=s", {"PGHOST": "e"}],
        lambda p: p.addresses[0].host,
        ["k", "n", "q", "s", "e"],
    ),
    "port": (
        [{"port": 1001}, ":1002", "port=1003", "port=1004", {"PGPORT": "1005"}],
        lambda p: p.addresses[-1].port,
        [1001, 1002, 1003, 1004, 1005],
    ),
    "sslmode": (
        [{"ssl": "require"}, None, "sslmode=allow", "sslmode=disable", {"PGSSLMODE": "require"}],
        lambda p: p.sslmode,
        [SSLMode.require, None, SSLMode.allow, SSLMode.disable, SSLMode.require],
    ),
    "target_session_attrs": (
        [
            {"target_session_attrs": "primary"},
            None,
            "target_session_attrs=standby",
            "target_session_attrs=read-write",
            {"PGTARGETSESSIONATTRS": "read-only"},
        ],
        lambda p: p.target_session_attrs,
        ["primary", None, "standby", "read-write", "read-only"],
    ),
    # Two values only: each layer gives the other one than the layer below, and the
    # environment's differs from the default (disable).
    "load_balance_hosts": (
        [
            {"load_balance_hosts": "disable"},
            None,
            "load_balance_hosts=random",
            "load_balance_hosts=disable",
            {"PGLOADBALANCEHOSTS": "random"},
        ],
        lambda p: p.load_balance_hosts,
        ["disable", None, "random", "disable", "random"],
    ),
    # libpq's protocol version settings: each layer differs from the one below it.
    "max_protocol_version": (
        [
            {"max_protocol_version": "3.0"},
            None,
            "max_protocol_version=3.2",
            "max_protocol_version=3.0",
            {"PGMAXPROTOCOLVERSION": "latest"},
        ],
        lambda p: p.protocol_versions.maximum,
        [pgwire.PROTOCOL_3_0, None, pgwire.PROTOCOL_3_2, pgwire.PROTOCOL_3_0, pgwire.PROTOCOL_3_2],
    ),
    "krbsrvname": (
        [{"krbsrvname": "k"}, None, "krbsrvname=q", "krbsrvname=s", {"PGKRBSRVNAME": "e"}],
        lambda p: p.krbsrvname,
        ["k", None, "q", "s", "e"],
    ),
    "gsslib": (
        [{"gsslib": "sspi"}, None, "gsslib=gssapi", "gsslib=sspi", {"PGGSSLIB": "gssapi"}],
        lambda p: p.gsslib,
        ["sspi", None, "gssapi", "sspi", "gssapi"],
    ),
    "passfile": (
        [{"passfile": "/k"}, None, "passfile=/q", "passfile=/s", {"PGPASSFILE": "/e"}],
        lambda p: p.passfile,
        [Path("/k"), None, Path("/q"), Path("/s"), Path("/e")],
    ),
}


def _build(name: str, start: int, servicefile: Path) -> dict[str, Any]:
    contributions, _, _ = PRECEDENCE[name]
    kwargs: dict[str, Any] = {"servicefile": servicefile, "service": "svc", "environ": {}}
    authority, path, query, service_lines = "h", "", "", []
    for level in range(start, len(LAYERS)):
        part = contributions[level]
        if part is None:
            continue
        layer = LAYERS[level]
        if layer == "kwarg":
            kwargs.update(part)
        elif layer == "authority":
            if part.startswith("/"):
                path = part
            elif part.endswith("@"):
                authority = part + authority
            else:
                authority = part
        elif layer == "query":
            query = "?" + part
        elif layer == "service":
            service_lines.append(part)
        else:
            kwargs["environ"] = part
    if name == "host" and start >= 2:
        authority = ""  # no host in the URI, so that the lower layers can give it
    write_service(servicefile, "svc", service_lines)
    kwargs["dsn"] = f"postgresql://{authority}{path}{query}"
    return kwargs


@pytest.mark.parametrize(
    ("name", "start"),
    [
        pytest.param(name, start, id=f"{name}-{LAYERS[start]}")
        for name, (_, _, expected) in sorted(PRECEDENCE.items())
        for start in range(len(LAYERS))
        if expected[start] is not None
    ],
)
def test_precedence(parse: Parse, tmp_path: Path, name: str, start: int) -> None:
    _, get, expected = PRECEDENCE[name]
    params = parse(**_build(name, start, tmp_path / "services.conf"))
    assert get(params) == expected[start]


def test_defaults(parse: Parse, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(getpass, "getuser", lambda: "osuser")
    params = parse()
    assert params.user == "osuser"
    assert params.database == "osuser"
    assert params.password is None
    assert params.passfile == home / ".pgpass"
    assert params.sslmode == SSLMode.prefer
    assert params.ssl is not None
    assert not params.ssl_is_explicit_context
    assert not params.direct_tls
    assert params.server_settings == {}
    assert params.target_session_attrs == SessionAttribute.any
    assert params.krbsrvname is None
    assert params.gsslib == "gssapi"


def test_user_name_unknown(parse: Parse, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail() -> str:
        raise OSError("No username set in the environment")

    monkeypatch.setattr(getpass, "getuser", fail)
    with pytest.raises(ClientConfigurationError, match=r"could not determine the user name.*PGUSER"):
        parse()


def test_database_defaults_to_resolved_user(parse: Parse) -> None:
    assert parse(dsn="postgresql://dsnuser@h").database == "dsnuser"
    assert parse(environ={"PGUSER": "envuser"}).database == "envuser"


def test_empty_environment_values_are_unset(parse: Parse) -> None:
    params = parse(user="u", environ={"PGDATABASE": "", "PGHOST": "", "PGPASSWORD": ""})
    assert params.database == "u"
    assert params.password is None
    assert params.addresses[-1] == Address("localhost", 5432)


def test_windows_defaults(parse: Parse, home: Path) -> None:
    params = parse(user="u", platform_windows=True, environ={"APPDATA": "/appdata"})
    assert params.addresses == (Address("localhost", 5432),)
    assert params.passfile == Path("/appdata/postgresql/pgpass.conf")
    assert params.gsslib == "sspi"
    without = parse(user="u", platform_windows=True)
    assert without.passfile == home / "AppData" / "Roaming" / "postgresql" / "pgpass.conf"


# --- no home directory ---


@pytest.fixture
def no_home(monkeypatch: pytest.MonkeyPatch) -> None:
    """No ``HOME`` and no passwd entry for the uid (a container under an arbitrary uid)."""

    def no_entry(uid: int) -> pwd.struct_passwd:
        raise KeyError(f"getpwuid(): uid not found: {uid}")

    monkeypatch.delenv("HOME", raising=False)
    monkeypatch.setattr(pwd, "getpwuid", no_entry)
    with pytest.raises(RuntimeError):
        Path.home()  # what the configuration used to call, and fail with


def test_no_home_directory_means_no_default_files(parse: Parse, no_home: None, tmp_path: Path) -> None:
    params = parse(user="u", home=None)
    assert params.passfile is None
    assert params.sslmode == SSLMode.prefer and params.ssl is not None  # no ~/.postgresql files
    assert parse(user="u", home=None, ssl="require").ssl is not None
    assert parse(user="u", home=None, platform_windows=True).passfile is None
    appdata = parse(user="u", home=None, platform_windows=True, environ={"APPDATA": "/appdata"})
    assert appdata.passfile == Path("/appdata/postgresql/pgpass.conf")
    # Named files still count; a "~" that cannot be expanded is left as it is.
    assert parse(user="u", home=None, passfile="~/pgpass").passfile == Path("~/pgpass")
    assert parse(user="u", home=None, environ={"PGPASSFILE": "/etc/pgpass"}).passfile == Path("/etc/pgpass")
    services = write_service(tmp_path / "services.conf", "s", ["dbname=sdb"])
    assert parse(user="u", home=None, service="s", servicefile=services).database == "sdb"
    assert (
        parse(user="u", home=None, environ={"PGSERVICE": "s", "PGSERVICEFILE": str(services)}).database
        == "sdb"
    )


def test_no_home_directory_errors_name_what_is_missing(parse: Parse, no_home: None) -> None:
    with pytest.raises(
        ClientConfigurationError,
        match=r'^definition of service "s" not found: there is no home directory to find '
        r"~/.pg_service.conf in; set servicefile= or PGSERVICEFILE$",
    ):
        parse(user="u", home=None, service="s")
    with pytest.raises(
        ClientConfigurationError, match=r"^no root certificate file: there is no home directory"
    ) as caught:
        parse(user="u", home=None, host="localhost", ssl="verify-full")
    assert caught.value.hint is not None and "sslrootcert" in caught.value.hint
    with pytest.raises(
        ClientConfigurationError, match=r'client certificate file "~/client.crt" does not exist'
    ):
        parse(
            user="u", home=None, host="localhost", dsn="postgresql://h/?sslcert=~/client.crt", ssl="require"
        )


async def test_connect_without_a_home_directory(
    cluster: Cluster, no_home: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(os.environ):
        if name.startswith("PG"):
            monkeypatch.delenv(name)
    # Over TCP with sslmode=prefer, so that the TLS defaults are looked for too.
    connection = await pgconn.connect(**cluster.connection_spec(), ssl="prefer")
    try:
        assert await connection.fetchval("SELECT 1") == 1
    finally:
        await connection.close()


# --- hosts and ports ---


def test_default_hosts_posix(parse: Parse) -> None:
    params = parse(user="u", environ={"PGPORT": "5999"})
    assert params.addresses == (
        Address("/run/postgresql/.s.PGSQL.5999", 5999, is_unix=True),
        Address("/var/run/postgresql/.s.PGSQL.5999", 5999, is_unix=True),
        Address("/tmp/.s.PGSQL.5999", 5999, is_unix=True),
        Address("/private/tmp/.s.PGSQL.5999", 5999, is_unix=True),
        Address("localhost", 5999),
    )


def test_socket_directory_and_socket_file(parse: Parse) -> None:
    params = parse(user="u", host=["/sock/", "/other/.s.PGSQL.6001", Path("/p")], port=6000)
    assert params.addresses == (
        Address("/sock/.s.PGSQL.6000", 6000, is_unix=True),
        Address("/other/.s.PGSQL.6001", 6001, is_unix=True),
        Address("/p/.s.PGSQL.6000", 6000, is_unix=True),
    )


def test_host_list_forms(parse: Parse) -> None:
    params = parse(user="u", host="a:7001,b,[fe80::1]:7003,::2", port=7000)
    assert params.addresses == (
        Address("a", 7001),
        Address("b", 7000),
        Address("fe80::1", 7003),
        Address("::2", 7000),
    )
    assert parse(user="u", host=("x", "y")).addresses == (Address("x", 5432), Address("y", 5432))


def test_port_list_per_host(parse: Parse) -> None:
    params = parse(user="u", host=["a", "b"], port=[1, "2"])
    assert [address.port for address in params.addresses] == [1, 2]
    params = parse(user="u", host="a,b", port="3,4")
    assert [address.port for address in params.addresses] == [3, 4]
    params = parse(user="u", host="a,b,c", environ={"PGPORT": "5,6,7"})
    assert [address.port for address in params.addresses] == [5, 6, 7]


def test_single_port_applies_to_every_host(parse: Parse) -> None:
    params = parse(user="u", host="a,b,c", port="9")
    assert {address.port for address in params.addresses} == {9}


def test_port_count_mismatch(parse: Parse) -> None:
    with pytest.raises(ClientConfigurationError, match=r"^could not match 2 port numbers to 3 hosts$"):
        parse(user="u", host="a,b,c", port=[1, 2])
    with pytest.raises(ClientConfigurationError, match="could not match 2 port numbers to 5 hosts"):
        parse(user="u", environ={"PGPORT": "1,2"})


@pytest.mark.parametrize("port", [0, 65536, -1, "abc", "", "1.5", True, "٣"])
def test_invalid_port(parse: Parse, port: object) -> None:
    with pytest.raises(
        ClientConfigurationError, match=r"invalid port .* expected an integer from 1 to 65535"
    ):
        parse(user="u", host="h", port=port)


@pytest.mark.parametrize("port", [1.5, {}, [], [1.0]])
def test_invalid_port_type(parse: Parse, port: object) -> None:
    with pytest.raises(
        ClientConfigurationError, match="port is expected to be an int, a str or a non-empty list"
    ):
        parse(user="u", host="h", port=port)


@pytest.mark.parametrize("host", [1, [], [1], b"h"])
def test_invalid_host_type(parse: Parse, host: object) -> None:
    with pytest.raises(
        ClientConfigurationError, match="host is expected to be a str, a path or a non-empty list"
    ):
        parse(user="u", host=host)


def test_empty_host_entry(parse: Parse) -> None:
    with pytest.raises(ClientConfigurationError, match="invalid host list in host: an entry is empty"):
        parse(user="u", host="a,,b")
    with pytest.raises(ClientConfigurationError, match="invalid host list in the host setting"):
        parse(user="u", environ={"PGHOST": "a,"})


def test_port_next_to_host_beats_port_list(parse: Parse) -> None:
    params = parse(user="u", dsn="postgresql://a:1,b/db?port=2", port=None)
    assert [address.port for address in params.addresses] == [1, 2]
    params = parse(user="u", host="a:1,b", port=3)
    assert [address.port for address in params.addresses] == [1, 3]


def test_pghost_with_ports_and_sockets(parse: Parse) -> None:
    params = parse(user="u", environ={"PGHOST": "/var/sock,db.example:6543"})
    assert params.addresses == (
        Address("/var/sock/.s.PGSQL.5432", 5432, is_unix=True),
        Address("db.example", 6543),
    )


def test_address_str_and_passfile_host() -> None:
    assert str(Address("db", 5432)) == '"db:5432"'
    assert str(Address("::1", 5433)) == '"[::1]:5433"'
    unix = Address("/tmp/.s.PGSQL.5432", 5432, is_unix=True)
    assert str(unix) == '"/tmp/.s.PGSQL.5432"'
    assert unix.passfile_host == "localhost"
    assert Address("db", 1).passfile_host == "db"


# --- service file ---


def test_service_kwarg_without_dsn(parse: Parse, tmp_path: Path) -> None:
    path = write_service(
        tmp_path / "s.conf", "main", ["host=svchost", "port=6000", "user=svcuser", "dbname=sdb"]
    )
    params = parse(service="main", servicefile=path)
    assert params.addresses == (Address("svchost", 6000),)
    assert (params.user, params.database) == ("svcuser", "sdb")


def test_pgservice_is_applied(parse: Parse, tmp_path: Path) -> None:
    path = write_service(tmp_path / "s.conf", "envsvc", ["user=fromservice"])
    params = parse(environ={"PGSERVICE": "envsvc", "PGSERVICEFILE": str(path)})
    assert params.user == "fromservice"


def test_dsn_service_and_default_service_file(parse: Parse, home: Path) -> None:
    write_service(home / ".pg_service.conf", "q", ["database=qdb", "user=x"])
    assert parse(dsn="postgresql://h?service=q").database == "qdb"


def test_service_kwarg_beats_dsn_and_environment_service(parse: Parse, tmp_path: Path) -> None:
    path = tmp_path / "s.conf"
    path.write_text("[a]\nuser=from_a\n[b]\nuser=from_b\n[c]\nuser=from_c\n", encoding="utf-8")
    environ = {"PGSERVICE": "c", "PGSERVICEFILE": str(path)}
    assert parse(service="a", dsn="postgresql://h?service=b", environ=environ).user == "from_a"
    assert parse(dsn="postgresql://h?service=b", environ=environ).user == "from_b"
    assert parse(environ=environ).user == "from_c"


def test_servicefile_kwarg_beats_pgservicefile(parse: Parse, tmp_path: Path) -> None:
    chosen = write_service(tmp_path / "chosen.conf", "s", ["user=chosen"])
    other = write_service(tmp_path / "other.conf", "s", ["user=other"])
    params = parse(service="s", servicefile=chosen, environ={"PGSERVICEFILE": str(other)})
    assert params.user == "chosen"


def test_service_unknown_keys_become_server_settings(parse: Parse, tmp_path: Path) -> None:
    path = write_service(tmp_path / "s.conf", "s", ["user=u", "application_name=svcapp", "search_path=a"])
    params = parse(service="s", servicefile=path, dsn="postgresql://h?search_path=b", server_settings={})
    assert params.server_settings == {"application_name": "svcapp", "search_path": "b"}


def test_service_missing_section(parse: Parse, tmp_path: Path) -> None:
    path = write_service(tmp_path / "s.conf", "other", ["user=u"])
    with pytest.raises(
        ClientConfigurationError, match='definition of service "nope" not found in service file'
    ):
        parse(service="nope", servicefile=path)


def test_service_file_missing(parse: Parse, tmp_path: Path) -> None:
    with pytest.raises(
        ClientConfigurationError, match=r'service file ".*absent.conf" cannot be read \(needed for'
    ):
        parse(service="s", servicefile=tmp_path / "absent.conf")


def test_service_file_malformed(parse: Parse, tmp_path: Path) -> None:
    path = tmp_path / "bad.conf"
    path.write_text("user=u\n", encoding="utf-8")
    with pytest.raises(ClientConfigurationError, match="is not a valid INI file"):
        parse(service="s", servicefile=path)


def test_service_nested(parse: Parse, tmp_path: Path) -> None:
    path = write_service(tmp_path / "s.conf", "s", ["service=t"])
    with pytest.raises(ClientConfigurationError, match="nested service definitions are not supported"):
        parse(service="s", servicefile=path)


# --- validation of the other arguments ---


def test_server_settings(parse: Parse) -> None:
    params = parse(
        user="u", dsn="postgresql://h?application_name=dsn&work_mem=1MB", server_settings={"work_mem": "2MB"}
    )
    assert params.server_settings == {"application_name": "dsn", "work_mem": "2MB"}


@pytest.mark.parametrize("settings", [[("a", "b")], {"a": 1}, {1: "a"}, "a=b"])
def test_server_settings_invalid(parse: Parse, settings: object) -> None:
    with pytest.raises(
        ClientConfigurationError, match=r"server_settings is expected to be None or a Dict\[str, str\]"
    ):
        parse(user="u", server_settings=settings)


def test_target_session_attrs(parse: Parse) -> None:
    for attribute in SessionAttribute:
        assert parse(user="u", target_session_attrs=attribute.value).target_session_attrs is attribute
    assert (
        parse(user="u", target_session_attrs=SessionAttribute.standby).target_session_attrs
        is SessionAttribute.standby
    )
    assert SessionAttribute.prefer_standby.value == "prefer-standby"
    assert isinstance(SessionAttribute.read_only, str)


@pytest.mark.parametrize("value", ["master", "prefer_standby", "", 3])
def test_target_session_attrs_invalid(parse: Parse, value: object) -> None:
    expected = (
        "target_session_attrs is expected to be one of "
        "any, primary, standby, prefer-standby, read-write, read-only"
    )
    with pytest.raises(ClientConfigurationError, match=f"^{expected}, got {value!r}$"):
        parse(user="u", target_session_attrs=value)
    with pytest.raises(ClientConfigurationError, match=expected):
        parse(user="u", environ={"PGTARGETSESSIONATTRS": "primary-ish"})


def test_load_balance_hosts(parse: Parse) -> None:
    assert parse(user="u").load_balance_hosts is LoadBalanceHosts.disable
    for mode in LoadBalanceHosts:
        assert parse(user="u", load_balance_hosts=mode.value).load_balance_hosts is mode
        assert parse(user="u", load_balance_hosts=mode).load_balance_hosts is mode
    assert [mode.value for mode in LoadBalanceHosts] == ["disable", "random"]
    assert "load_balance_hosts=<LoadBalanceHosts.random: 'random'>" in repr(
        parse(user="u", load_balance_hosts="random")
    )
    # An empty value counts as unset, as for every other setting.
    empty = parse(user="u", dsn="postgresql://h?load_balance_hosts=", environ={"PGLOADBALANCEHOSTS": ""})
    assert empty.load_balance_hosts is LoadBalanceHosts.disable


def test_load_balance_hosts_from_the_service_file(parse: Parse, tmp_path: Path) -> None:
    path = write_service(tmp_path / "s.conf", "s", ["user=u", "load_balance_hosts=random"])
    params = parse(service="s", servicefile=path)
    assert params.load_balance_hosts is LoadBalanceHosts.random
    assert params.server_settings == {}  # a connection key, not a server setting


@pytest.mark.parametrize("value", ["Random", "on", "true", "round-robin", "", 1, True])
def test_load_balance_hosts_invalid(parse: Parse, value: object) -> None:
    expected = "load_balance_hosts is expected to be one of disable, random"
    with pytest.raises(ClientConfigurationError, match=f"^{expected}, got {re.escape(repr(value))}$"):
        parse(user="u", load_balance_hosts=value)


@pytest.mark.parametrize(
    "source",
    [
        {"dsn": "postgresql://h?load_balance_hosts=shuffle"},
        {"environ": {"PGLOADBALANCEHOSTS": "shuffle"}},
    ],
)
def test_load_balance_hosts_invalid_from_dsn_and_environment(parse: Parse, source: dict[str, Any]) -> None:
    with pytest.raises(
        ClientConfigurationError,
        match=r"^load_balance_hosts is expected to be one of disable, random, got 'shuffle'$",
    ):
        parse(user="u", **source)


async def test_connect_refuses_a_bad_load_balance_hosts_before_any_io() -> None:
    # A port nothing listens on: the error must come from the check, not from connecting.
    with pytest.raises(ClientConfigurationError, match="got 'sometimes'"):
        await pgconn.connect(host="127.0.0.1", port=1, user="u", load_balance_hosts="sometimes")


def test_gsslib_invalid(parse: Parse) -> None:
    with pytest.raises(
        ClientConfigurationError,
        match=r"^gsslib parameter must be either 'gssapi' or 'sspi', got 'kerberos'$",
    ):
        parse(user="u", gsslib="kerberos")
    with pytest.raises(ClientConfigurationError, match="gsslib parameter must be"):
        parse(user="u", environ={"PGGSSLIB": "x"})


@pytest.mark.parametrize(("name", "value"), [("user", 1), ("database", b"d"), ("dsn", 5), ("gsslib", 1)])
def test_string_arguments_checked(parse: Parse, name: str, value: object) -> None:
    with pytest.raises(
        ClientConfigurationError,
        match=f"^{name} is expected to be a str or None, got {type(value).__name__}$",
    ):
        parse(**{name: value})


def test_password_forms(parse: Parse) -> None:
    def fetch() -> str:
        return "x"

    assert parse(user="u", password=fetch).password is fetch
    with pytest.raises(
        ClientConfigurationError, match=r"password is expected to be a str, a callable.*got int"
    ):
        parse(user="u", password=5)


def test_empty_dsn_password_is_unset(parse: Parse) -> None:
    assert parse(dsn="postgresql://u:@h", environ={"PGPASSWORD": "env"}).password == "env"


def test_password_never_in_repr(parse: Parse) -> None:
    secret = "s3cr3t-Pa55"
    params = parse(user="u", dsn=f"postgresql://u:{secret}@h/db")
    assert params.password == secret
    for text in (repr(params), str(params), f"{params}"):
        assert secret not in text
        assert "password='***'" in text
    callable_params = parse(user="u", password=lambda: secret)
    assert "password='***'" in repr(callable_params)
    assert "lambda" not in repr(callable_params)
    assert "password=None" in repr(parse(user="u"))


def test_tls_for_skips_unix_sockets(parse: Parse) -> None:
    params = parse(user="u", host=["/sock", "h"])
    unix, tcp = params.addresses
    assert not params.tls_for(unix)
    assert params.tls_for(tcp)
    assert not parse(user="u", host="h", ssl="disable").tls_for(tcp)


# --- direct TLS (asyncpg 0.32: only with sslmode require or stronger) ---


@pytest.mark.parametrize("mode", ["disable", "allow", "prefer"])
def test_direct_tls_needs_require(parse: Parse, mode: str) -> None:
    message = "^direct TLS requires sslmode=require, verify-ca, or verify-full$"
    with pytest.raises(ClientConfigurationError, match=message):
        parse(user="u", host="h", ssl=mode, direct_tls=True)
    with pytest.raises(ClientConfigurationError, match=message):
        parse(user="u", host="h", environ={"PGSSLMODE": mode, "PGSSLNEGOTIATION": "direct"})


def test_direct_tls_sources(parse: Parse) -> None:
    assert parse(user="u", host="h", ssl="require", direct_tls=True).direct_tls
    assert parse(user="u", host="h", ssl=True, direct_tls=True).direct_tls
    assert parse(dsn="postgresql://u@h?sslmode=require&sslnegotiation=direct").direct_tls
    assert not parse(dsn="postgresql://u@h?sslnegotiation=direct", direct_tls=False).direct_tls
    assert parse(
        user="u", host="h", environ={"PGSSLNEGOTIATION": "direct", "PGSSLMODE": "require"}
    ).direct_tls
    assert not parse(user="u", host="h", environ={"PGSSLNEGOTIATION": "postgres"}).direct_tls


def test_direct_tls_invalid(parse: Parse) -> None:
    with pytest.raises(
        ClientConfigurationError, match=r"^direct_tls is expected to be a bool or None, got 'yes'$"
    ):
        parse(user="u", direct_tls="yes")
    with pytest.raises(
        ClientConfigurationError, match=r"^sslnegotiation must be either 'postgres' or 'direct', got 'tls'$"
    ):
        parse(dsn="postgresql://u@h?sslnegotiation=tls")


# --- validate_connection_options ---

GOOD: dict[str, object] = {
    "timeout": 60,
    "command_timeout": None,
    "statement_cache_size": 100,
    "max_cached_statement_lifetime": 300,
    "max_cacheable_statement_size": 15360,
}


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"timeout": None, "command_timeout": 0.5},
        {"timeout": 1e-3, "command_timeout": 10},
        {"statement_cache_size": 0, "max_cached_statement_lifetime": 0, "max_cacheable_statement_size": 0},
        {"max_cached_statement_lifetime": 2.5},
    ],
)
def test_options_accepted(changes: dict[str, object]) -> None:
    validate_connection_options(**{**GOOD, **changes})


@pytest.mark.parametrize("name", ["timeout", "command_timeout"])
@pytest.mark.parametrize("value", [0, -1, True, "5", float("nan")])
def test_timeouts_rejected(name: str, value: object) -> None:
    expected = f"invalid {name} value: expected greater than 0 float (got {value!r})"
    with pytest.raises(
        ValueError, match="^" + expected.replace("(", r"\(").replace(")", r"\)") + "$"
    ) as info:
        validate_connection_options(**{**GOOD, name: value})
    assert not isinstance(info.value, InterfaceError)


@pytest.mark.parametrize(
    "name", ["statement_cache_size", "max_cached_statement_lifetime", "max_cacheable_statement_size"]
)
@pytest.mark.parametrize("value", [None, -1, True, False, "1", float("nan")])
def test_cache_sizes_rejected(name: str, value: object) -> None:
    with pytest.raises(ValueError, match=f"^{name} is expected to be greater or equal to 0, got {value!r}$"):
        validate_connection_options(**{**GOOD, name: value})


@pytest.mark.parametrize("name", ["statement_cache_size", "max_cacheable_statement_size"])
def test_integer_sizes_reject_floats(name: str) -> None:
    with pytest.raises(ValueError, match=f"{name} is expected to be greater or equal to 0, got 1.5"):
        validate_connection_options(**{**GOOD, name: 1.5})
