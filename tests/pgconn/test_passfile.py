"""Tests of :mod:`pgconn._passfile`: the password file (PostgreSQL docs 34.16) and password callables."""

from __future__ import annotations

import os
import warnings
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from pgconn._parameters import Address
from pgconn._passfile import find_password, parse_passfile_line, resolve_password
from pgwire.exceptions import InterfaceError

TCP = Address("db.example", 5432)
UNIX = Address("/tmp/.s.PGSQL.5433", 5433, is_unix=True)


def passfile(tmp_path: Path, text: str, mode: int = 0o600) -> Path:
    path = tmp_path / "pgpass"
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


@pytest.mark.parametrize(
    ("line", "fields"),
    [
        ("h:1:d:u:pw", ("h", "1", "d", "u", "pw")),
        ("*:*:*:*:pw", (None, None, None, None, "pw")),
        (r"h\:x:1:d:u:p\:w", ("h:x", "1", "d", "u", "p:w")),
        (r"h:1:d:u:a:b\\c", ("h", "1", "d", "u", "a:b\\c")),
        (r"\*:1:d\\:u:pw", ("*", "1", "d\\", "u", "pw")),
        ("h:1:d:u:", ("h", "1", "d", "u", "")),
        ("h:1:d:u:pw\\", ("h", "1", "d", "u", "pw\\")),
        ("**:1:d:u:pw", ("**", "1", "d", "u", "pw")),
    ],
)
def test_parse_line(line: str, fields: tuple[str | None, ...]) -> None:
    assert parse_passfile_line(line) == fields


@pytest.mark.parametrize("line", ["", "# h:1:d:u:pw", "h:1:d:u", r"h:1:d:u\:pw"])
def test_parse_line_skipped(line: str) -> None:
    assert parse_passfile_line(line) is None


def test_first_match_wins(tmp_path: Path) -> None:
    path = passfile(
        tmp_path,
        "# comment\n\nother:5432:app:alice:no\ndb.example:5432:app:alice:first\n*:*:*:*:second\n",
    )
    assert find_password(path, TCP, "app", "alice") == "first"
    assert find_password(path, TCP, "other_db", "alice") == "second"


@pytest.mark.parametrize(
    ("line", "database", "user", "expected"),
    [
        ("db.example:5432:app:alice:pw", "app", "alice", "pw"),
        ("db.example:5432:app:alice:pw", "app", "bob", None),
        ("db.example:5432:app:alice:pw", "other", "alice", None),
        ("db.example:5433:app:alice:pw", "app", "alice", None),
        ("DB.example:5432:app:alice:pw", "app", "alice", None),
        ("db.example:*:*:alice:pw", "anything", "alice", "pw"),
        ("*:5432:app:*:pw", "app", "zed", "pw"),
        (r"db.example:5432:a\:b:alice:pw", "a:b", "alice", "pw"),
        (r"db.example:5432:\*:alice:pw", "app", "alice", None),
        (r"db.example:5432:\*:alice:pw", "*", "alice", "pw"),
    ],
)
def test_matching(tmp_path: Path, line: str, database: str, user: str, expected: str | None) -> None:
    assert find_password(passfile(tmp_path, line + "\n"), TCP, database, user) == expected


def test_unix_socket_matches_localhost(tmp_path: Path) -> None:
    path = passfile(tmp_path, "/tmp:5433:d:u:bypath\nlocalhost:5433:d:u:local\n")
    assert find_password(path, UNIX, "d", "u") == "local"
    assert find_password(path, Address("localhost", 5433), "d", "u") == "local"


def test_crlf_line_endings(tmp_path: Path) -> None:
    path = passfile(tmp_path, "db.example:5432:d:u:pw\r\n")
    assert find_password(path, TCP, "d", "u") == "pw"


def test_missing_file_is_silent(tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert find_password(tmp_path / "absent", TCP, "d", "u") is None


def test_unreadable_file_is_silent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = passfile(tmp_path, "*:*:*:*:pw\n")

    def refuse(self: Path, *args: object, **kwargs: object) -> str:
        raise PermissionError(13, "Permission denied", str(self))

    # Root reads any file whatever its mode, so the refusal is simulated.
    monkeypatch.setattr(Path, "read_text", refuse)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert find_password(path, TCP, "d", "u") is None


def test_not_utf8_is_silent(tmp_path: Path) -> None:
    path = tmp_path / "pgpass"
    path.write_bytes(b"*:*:*:*:\xff\n")
    path.chmod(0o600)
    assert find_password(path, TCP, "d", "u") is None


def test_directory_warns(tmp_path: Path) -> None:
    directory = tmp_path / "dir"
    directory.mkdir()
    with pytest.warns(UserWarning, match=r'^password file ".*dir" is not a plain file$'):
        assert find_password(directory, TCP, "d", "u") is None


@pytest.mark.skipif(os.name == "nt", reason="POSIX permission bits")
@pytest.mark.parametrize("mode", [0o640, 0o604, 0o610, 0o601, 0o660, 0o644])
def test_group_or_world_access_warns(tmp_path: Path, mode: int) -> None:
    path = passfile(tmp_path, "*:*:*:*:pw\n", mode=mode)
    message = (
        r'^password file ".*pgpass" has group or world access; '
        r"permissions should be u=rw \(0600\) or less$"
    )
    with pytest.warns(UserWarning, match=message):
        assert find_password(path, TCP, "d", "u") is None


@pytest.mark.parametrize("mode", [0o600, 0o400])
def test_private_modes_accepted(tmp_path: Path, mode: int) -> None:
    path = passfile(tmp_path, "*:*:*:*:pw\n", mode=mode)
    assert find_password(path, TCP, "d", "u") == "pw"


# --- resolve_password ---


async def test_resolve_plain_values() -> None:
    assert await resolve_password(None) is None
    assert await resolve_password("pw") == "pw"
    assert await resolve_password("") == ""


async def test_resolve_sync_callable_called_each_time() -> None:
    calls: list[int] = []

    def token() -> str:
        calls.append(1)
        return f"token-{len(calls)}"

    assert await resolve_password(token) == "token-1"
    assert await resolve_password(token) == "token-2"


async def test_resolve_async_callables() -> None:
    async def fetch() -> str:
        return "from-async"

    assert await resolve_password(fetch) == "from-async"
    # A lambda returning a coroutine object.
    assert await resolve_password(lambda: fetch()) == "from-async"


async def test_resolve_callable_returning_other_awaitable() -> None:
    class Token:
        def __await__(self):  # type: ignore[no-untyped-def]  # a generator-based awaitable
            yield from ()
            return "awaited"

    assert await resolve_password(Token) == "awaited"


@pytest.mark.parametrize(("value", "name"), [(5, "int"), (b"pw", "bytes"), (["pw"], "list")])
async def test_resolve_wrong_type(value: object, name: str) -> None:
    with pytest.raises(InterfaceError, match=f"password is expected to be a str, a callable.*got {name}$"):
        await resolve_password(value)  # type: ignore[arg-type]  # the wrong type under test


@pytest.mark.parametrize(("result", "name"), [(None, "NoneType"), (b"pw", "bytes"), (1, "int")])
async def test_resolve_callable_wrong_result(result: object, name: str) -> None:
    async def wrong_async() -> object:
        return result

    message = f"^the password callable is expected to return a str or an awaitable of a str, got {name}$"
    with pytest.raises(InterfaceError, match=message):
        await resolve_password(lambda: result)
    with pytest.raises(InterfaceError, match=message):
        await resolve_password(wrong_async)


async def test_resolve_propagates_callable_errors() -> None:
    def broken() -> Awaitable[str]:
        raise RuntimeError("vault unreachable")

    fetch: Callable[[], object] = broken
    with pytest.raises(RuntimeError, match="vault unreachable"):
        await resolve_password(fetch)
