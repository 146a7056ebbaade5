"""Tests of connection URI parsing (:mod:`pgconn._dsn`, through ``parse_connect_arguments``).

The URI format is libpq's (PostgreSQL docs 34.1.1.2); a hypothesis test builds URIs from
random parts with percent-encoding and checks that parsing gives the parts back.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pgconn._dsn import HostEntry, parse_dsn, parse_host_list
from pgconn._parameters import Address, parse_connect_arguments
from pgwire.exceptions import ClientConfigurationError


def test_full_uri() -> None:
    params = parse_connect_arguments(
        dsn="postgresql://us%40er:p%3Aw%2F@h1:5433,[2001:db8::1]:6000,h3/d%62?application_name=app&sslmode=disable",
        environ={},
        home=Path("/nonexistent-home"),
    )
    assert params.user == "us@er"
    assert params.password == "p:w/"
    assert params.database == "db"
    assert params.addresses == (Address("h1", 5433), Address("2001:db8::1", 6000), Address("h3", 5432))
    assert params.server_settings == {"application_name": "app"}


@pytest.mark.parametrize("scheme", ["postgres", "postgresql", "PostgreSQL"])
def test_schemes(scheme: str) -> None:
    assert parse_dsn(f"{scheme}://u@h/d").user == "u"


@pytest.mark.parametrize(("dsn", "got"), [("mysql://u@h/d", "'mysql'"), ("host=h user=u", "'host=h user=u'")])
def test_bad_scheme(dsn: str, got: str) -> None:
    expected = 'invalid DSN: scheme is expected to be either "postgresql" or "postgres", got ' + got
    with pytest.raises(ClientConfigurationError) as info:
        parse_dsn(dsn)
    assert str(info.value) == expected


def test_unencoded_at_splits_at_the_first() -> None:
    parts = parse_dsn("postgresql://user:p@ss@host/db")
    assert (parts.user, parts.password) == ("user", "p")
    assert parts.hosts == [HostEntry("ss@host")]


def test_user_without_password_and_empty_parts() -> None:
    parts = parse_dsn("postgresql://alice@/")
    assert (parts.user, parts.password, parts.hosts, parts.database) == ("alice", None, None, None)
    parts = parse_dsn("postgresql://")
    assert (parts.user, parts.hosts, parts.query) == (None, None, {})


@pytest.mark.parametrize("spec", ["[::1", "[]:5432", "[::1]x", "[::1]5432"])
def test_malformed_ipv6(spec: str) -> None:
    with pytest.raises(ClientConfigurationError, match=r"^invalid IPv6 address in the connection URI: "):
        parse_dsn(f"postgresql://{spec}/db")


def test_ipv6_forms() -> None:
    assert parse_dsn("postgresql://[::1]/db").hosts == [HostEntry("::1")]
    assert parse_dsn("postgresql://[fe80::1%25eth0]:7/db").hosts == [HostEntry("fe80::1%eth0", 7)]


def test_bad_port_in_uri() -> None:
    with pytest.raises(ClientConfigurationError, match="invalid port 'x' in the DSN"):
        parse_dsn("postgresql://h:x/db")


def test_ports_without_hosts() -> None:
    parts = parse_dsn("postgresql://:5433/db")
    assert (parts.hosts, parts.ports) == (None, [5433])
    with pytest.raises(ClientConfigurationError, match="every entry of 'a,:5' must name a host, or none may"):
        parse_dsn("postgresql://a,:5/db")
    with pytest.raises(ClientConfigurationError, match="invalid DSN: empty host in 'a,,b'"):
        parse_dsn("postgresql://a,,b/db")


def test_socket_directory_in_authority() -> None:
    params = parse_connect_arguments(dsn="postgresql://u@%2Fvar%2Frun/db", environ={}, home=Path("/x"))
    assert params.addresses == (Address("/var/run/.s.PGSQL.5432", 5432, is_unix=True),)


def test_query_keys() -> None:
    parts = parse_dsn("postgresql:///?dbname=a&database=b&port=1&user=x&user=y&options=-c%20x%3Dy&a+b=c+d")
    assert parts.query == {"dbname": "a", "database": "b", "port": "1", "user": "y"}
    # libpq decodes %xx only: '+' stays a plus.
    assert parts.server_settings == {"options": "-c x=y", "a+b": "c+d"}


def test_load_balance_hosts_is_a_connection_key() -> None:
    parts = parse_dsn("postgresql://h1,h2/db?load_balance_hosts=random&application_name=a")
    assert parts.query == {"load_balance_hosts": "random"}
    assert parts.server_settings == {"application_name": "a"}  # not sent in the startup packet
    params = parse_connect_arguments(
        dsn="postgresql://u@h1,h2:5433/db?load_balance_hosts=random", environ={}, home=Path("/x")
    )
    assert params.load_balance_hosts == "random"
    # The parameters keep the given order; connect() shuffles a copy for each call.
    assert params.addresses == (Address("h1", 5432), Address("h2", 5433))


def test_query_host_and_port() -> None:
    params = parse_connect_arguments(
        dsn="postgresql:///db?host=/sock,q1:7,q2&port=9", user="u", environ={}, home=Path("/x")
    )
    assert params.addresses == (
        Address("/sock/.s.PGSQL.9", 9, is_unix=True),
        Address("q1", 7),
        Address("q2", 9),
    )


def test_authority_host_stops_query_host() -> None:
    params = parse_connect_arguments(
        dsn="postgresql://a/db?host=b&port=8", user="u", environ={}, home=Path("/x")
    )
    assert params.addresses == (Address("a", 8),)


def test_database_query_keys() -> None:
    assert (
        parse_connect_arguments(dsn="postgresql://u@h?database=x", environ={}, home=Path("/x")).database
        == "x"
    )
    assert (
        parse_connect_arguments(dsn="postgresql://u@h/p?dbname=x", environ={}, home=Path("/x")).database
        == "p"
    )


@pytest.mark.parametrize("query", ["a", "a=1&", "=1", "a=1&&b=2"])
def test_malformed_query(query: str) -> None:
    with pytest.raises(
        ClientConfigurationError, match=r"invalid DSN: query parameter .* is not of the form key=value"
    ):
        parse_dsn(f"postgresql://h/db?{query}")


def test_empty_query_is_no_parameters() -> None:
    assert parse_dsn("postgresql://h/db?").query == {}


@pytest.mark.parametrize(
    ("dsn", "what"),
    [
        ("postgresql://%ff@h", "user name"),
        ("postgresql://u:%c3@h", "password"),
        ("postgresql://h/%80", "database name"),
        ("postgresql://h?x=%fe", "value of x"),
        ("postgresql://%e2%28/db", "host"),
    ],
)
def test_invalid_utf8(dsn: str, what: str) -> None:
    with pytest.raises(ClientConfigurationError, match=f"invalid DSN: the {what} is not valid UTF-8"):
        parse_dsn(dsn)


def test_host_list_parsing() -> None:
    assert parse_host_list(["a:1,b", "/tmp:odd"], "x") == [
        HostEntry("a", 1),
        HostEntry("b"),
        HostEntry("/tmp:odd"),
    ]
    assert parse_host_list("::1", "x") == [HostEntry("::1")]
    assert HostEntry("/s").is_unix and not HostEntry("h").is_unix


# --- round trip: parts -> URI -> parts ---

_names = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=20)
_labels = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)
_hostnames = st.lists(_labels, min_size=1, max_size=3).map(".".join)
_ipv6 = st.ip_addresses(v=6).map(str)
_ipv4 = st.ip_addresses(v=4).map(str)
_ports = st.integers(min_value=1, max_value=65535)
_settings = st.dictionaries(
    st.from_regex(r"[a-z][a-z_]{0,15}", fullmatch=True).filter(
        lambda key: key not in ("host", "port", "user")
    ),
    _names,
    max_size=3,
)


def _encode(text: str) -> str:
    return quote(text, safe="")


@st.composite
def _host_entries(draw: st.DrawFn) -> tuple[str, int | None]:
    host = draw(st.one_of(_hostnames, _ipv4, _ipv6))
    return host, draw(st.none() | _ports)


@given(
    user=_names,
    password=_names,
    hosts=st.lists(_host_entries(), min_size=1, max_size=4),
    database=_names,
    settings=_settings,
)
def test_uri_round_trip(
    user: str, password: str, hosts: list[tuple[str, int | None]], database: str, settings: dict[str, str]
) -> None:
    specs = []
    for host, port in hosts:
        text = f"[{host}]" if ":" in host else host
        specs.append(text if port is None else f"{text}:{port}")
    query = "&".join(f"{_encode(key)}={_encode(value)}" for key, value in settings.items())
    dsn = f"postgresql://{_encode(user)}:{_encode(password)}@{','.join(specs)}/{_encode(database)}"
    if query:
        dsn += "?" + query
    params = parse_connect_arguments(dsn=dsn, environ={}, home=Path("/nonexistent-home"), ssl=False)
    assert params.user == user
    assert params.password == password
    assert params.database == database
    assert params.addresses == tuple(Address(host, port or 5432) for host, port in hosts)
    assert params.server_settings == settings
