"""Type, Attribute, ServerVersion and parse_server_version."""

from __future__ import annotations

import pytest

from pgtypes import Attribute, ServerVersion, Type, parse_server_version


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15.4 (Debian 15.4-1.pgdg120+1)", (15, 0, 4, "final", 0)),
        ("16.2", (16, 0, 2, "final", 0)),
        ("10.1", (10, 0, 1, "final", 0)),
        ("9.6.24", (9, 6, 24, "final", 0)),
        ("9.4beta1", (9, 4, 0, "beta", 1)),
        ("16beta2", (16, 0, 0, "beta", 2)),
        ("15rc1", (15, 0, 0, "rc", 1)),
        ("10devel", (10, 0, 0, "devel", 0)),
        ("PostgreSQL 11.2-YB-2.1.0.0-b0", (11, 0, 2, "final", 0)),
        ("Postgres-XL 9.2.1", (9, 2, 1, "final", 0)),
    ],
)
def test_parse_server_version(text: str, expected: tuple[int, int, int, str, int]) -> None:
    version = parse_server_version(text)
    assert version == ServerVersion(*expected)
    assert version.major == expected[0] and version.releaselevel == expected[3]


def test_parse_server_version_rejects_text_without_a_number() -> None:
    with pytest.raises(ValueError, match="cannot parse the server version 'unknown'"):
        parse_server_version("unknown")


def test_versions_compare_as_tuples() -> None:
    assert parse_server_version("9.6.24") < parse_server_version("10.1") < parse_server_version("15.4")
    assert parse_server_version("15.4") >= (15, 0)


def test_type_and_attribute_are_named_tuples() -> None:
    int4 = Type(23, "int4", "scalar", "pg_catalog")
    column = Attribute("id", int4)
    assert column.type.name == "int4" and column == ("id", (23, "int4", "scalar", "pg_catalog"))
    oid, name, kind, schema = int4
    assert (oid, name, kind, schema) == (23, "int4", "scalar", "pg_catalog")
