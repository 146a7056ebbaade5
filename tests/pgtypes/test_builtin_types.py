"""The generated table of built-in types matches the test server's catalog."""

from __future__ import annotations

from tools.gen_builtin_types import CATALOG_QUERY, render

from pgtypes._builtin_types import BUILTIN_TYPES
from tests.pgtypes.live import TypeSession


def test_table_matches_the_server_catalog(type_session: TypeSession) -> None:
    rows = type_session.raw(CATALOG_QUERY).rows
    server = {int(row[0] or 0): tuple(None if v is None else v.decode() for v in row) for row in rows}
    ours = {entry[0]: entry for entry in BUILTIN_TYPES}
    assert sorted(server) == sorted(ours)
    for oid, (_, name, typtype, category, elem, array, typlen, subtype, multi_of) in server.items():
        entry = ours[oid]
        assert entry[1:6] == (name, typtype, category, int(elem or 0), int(array or 0)), oid
        assert entry[7:] == (int(subtype or 0), int(multi_of or 0)), oid
        if name != "aclitem":  # aclitem grew from 12 to 16 bytes in PostgreSQL 16
            assert entry[6] == int(typlen or 0), oid


def test_render_reproduces_the_module() -> None:
    rows = [tuple(str(value) for value in entry) for entry in BUILTIN_TYPES]
    module = render(rows)
    assert "Do not edit" in module
    for entry in BUILTIN_TYPES[:5]:
        assert repr(entry) in module
