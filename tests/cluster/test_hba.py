"""pg_hba.conf and configuration rendering, and the SQL text for roles: no server needed."""

from __future__ import annotations

import pytest

from pgasync.cluster import DEFAULT_HBA_RULES, HbaRule, ServerUser, render_hba, rules_for_user
from pgasync.cluster._conf import render_settings, render_value
from pgasync.cluster._sql import create_role_statement, quote_identifier, quote_literal, single_user_input


def test_rules_render_as_pg_hba_records() -> None:
    rules = [
        HbaRule("local", "all", "postgres", "trust"),
        HbaRule("host", "all", "alice", "scram-sha-256", "127.0.0.1/32"),
        HbaRule("hostssl", "app,reports", "bob", "cert", "::1/128", {"map": "certmap"}),
        HbaRule("hostnossl", "all", "all", "reject", "0.0.0.0/0"),
        HbaRule("host", "my db", "carol smith", "md5", "::1/128"),
    ]
    assert render_hba(rules).splitlines()[1:] == [
        "local all postgres trust",
        "host all alice 127.0.0.1/32 scram-sha-256",
        "hostssl app,reports bob ::1/128 cert map=certmap",
        "hostnossl all all 0.0.0.0/0 reject",
        'host "my db" "carol smith" ::1/128 md5',
    ]
    assert render_hba([]).endswith("\n")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("local", "all", "a", "trust", "127.0.0.1/32"), "takes no address"),
        (("host", "all", "a", "trust"), "needs an address"),
        (("host", "all", "a", "cert", "127.0.0.1/32"), "hostssl"),
        (("local", "all", "a", "peer"), "method must be one of"),
        (("hostgssenc", "all", "a", "trust", "::1/128"), "connection_type must be one of"),
    ],
)
def test_invalid_rules_are_refused(arguments: tuple[str, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        HbaRule(*arguments)  # type: ignore[arg-type]  # deliberately wrong literals


def test_field_with_double_quote_is_refused() -> None:
    with pytest.raises(ValueError, match="double quotes"):
        HbaRule("local", "all", 'evil"user', "trust").render()


def test_rules_are_immutable_and_hashable() -> None:
    options = {"clientcert": "verify-full"}
    rule = HbaRule("hostssl", "all", "a", "scram-sha-256", "::1/128", options)
    options["clientcert"] = "verify-ca"
    assert rule.options["clientcert"] == "verify-full"
    assert rule == HbaRule("hostssl", "all", "a", "scram-sha-256", "::1/128", {"clientcert": "verify-full"})
    assert len({rule, rule}) == 1


def test_rules_for_user_bind_one_method_over_socket_and_loopback() -> None:
    scram = rules_for_user(ServerUser("alice", "pw", "scram-sha-256"))
    assert [rule.render() for rule in scram] == [
        "local all alice scram-sha-256",
        "host all alice 127.0.0.1/32 scram-sha-256",
        "host all alice ::1/128 scram-sha-256",
    ]
    cert = rules_for_user(ServerUser("bob", None, "cert"), database="app")
    assert [rule.render() for rule in cert] == [
        "hostssl app bob 127.0.0.1/32 cert",
        "hostssl app bob ::1/128 cert",
    ]


def test_default_rules_trust_socket_and_loopback() -> None:
    assert [rule.render() for rule in DEFAULT_HBA_RULES] == [
        "local all all trust",
        "host all all 127.0.0.1/32 trust",
        "host all all ::1/128 trust",
    ]


def test_server_user_repr_hides_the_password() -> None:
    user = ServerUser("alice", "s3cret", "md5")
    assert "s3cret" not in repr(user)
    assert "alice" in repr(user)


def test_settings_render_in_configuration_syntax() -> None:
    text = render_settings({"max_connections": 7, "fsync": False, "search_path": "a, 'b'", "work_mem": 2.5})
    assert text.splitlines()[1:] == [
        "max_connections = 7",
        "fsync = off",
        "search_path = 'a, ''b'''",
        "work_mem = 2.5",
    ]
    assert render_value(True) == "on"


@pytest.mark.parametrize("settings", [{"bad name": 1}, {"x; y": 1}, {"application_name": "a\nb"}])
def test_unwritable_settings_are_refused(settings: dict[str, str | int]) -> None:
    with pytest.raises(ValueError):
        render_settings(settings)


def test_role_statement_sets_the_password_hash_for_that_command_only() -> None:
    statement = create_role_statement("o'neil", "pa'ss", "md5", superuser=True)
    assert statement == (
        "SET password_encryption = 'md5'; "
        "CREATE ROLE \"o'neil\" LOGIN SUPERUSER PASSWORD 'pa''ss'; RESET password_encryption"
    )
    assert create_role_statement('we"ird') == 'CREATE ROLE "we""ird" LOGIN NOSUPERUSER'
    with pytest.raises(ValueError, match="password_encryption"):
        create_role_statement("a", "b", "crypt")  # type: ignore[arg-type]  # deliberately wrong


def test_quoting_refuses_what_sql_cannot_hold() -> None:
    with pytest.raises(ValueError):
        quote_identifier("")
    with pytest.raises(ValueError):
        quote_literal("a\0b")


def test_single_user_input_ends_each_command_with_an_empty_line() -> None:
    assert (
        single_user_input(["SELECT 1;", "  ", "CREATE DATABASE x"])
        == "SELECT 1\n;\n\nCREATE DATABASE x\n;\n\n"
    )
    with pytest.raises(ValueError, match="separately"):
        single_user_input(["SELECT 1;\n\nSELECT 2"])
