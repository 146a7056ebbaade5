"""The PgBouncer fixture's own behaviour: the skip without PgBouncer, the configuration, stopping."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.pgbouncer import bouncer as bouncer_module
from tests.pgbouncer.bouncer import PREPARED_STATEMENTS_VERSION, PgBouncer
from tests.pgbouncer.fixtures import MakePgBouncer, require_pgbouncer


def test_skips_with_how_to_install_when_absent(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(bouncer_module, "_KNOWN_LOCATIONS", ())
    assert bouncer_module.find_pgbouncer() is None
    with pytest.raises(pytest.skip.Exception, match="apt-get install pgbouncer"):
        require_pgbouncer()


def test_version_is_read(pgbouncer_version: tuple[int, int, int]) -> None:
    assert pgbouncer_version >= (1, 0, 0)


def test_configuration_and_stop(make_pgbouncer: MakePgBouncer) -> None:
    bouncer: PgBouncer = make_pgbouncer(pool_mode="session", pool_size=3, settings={"max_client_conn": 7})
    assert bouncer.is_running()
    assert "process up: PgBouncer" in bouncer.log_text()
    assert repr(bouncer) == f"<PgBouncer session pool_size=3 port {bouncer.port}>"
    with socket.create_connection(("127.0.0.1", bouncer.port), timeout=5):
        pass
    bouncer.stop()
    assert not bouncer.is_running()
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", bouncer.port), timeout=5):
        pass
    bouncer.stop()  # idempotent


def test_config_text(make_pgbouncer: MakePgBouncer, pgbouncer_version: tuple[int, int, int]) -> None:
    bouncer = make_pgbouncer(pool_mode="transaction", pool_size=2, settings={"max_client_conn": 7})
    text = bouncer.config_text(Path("/etc/x"))
    assert "pool_mode = transaction\n" in text
    assert "default_pool_size = 2\n" in text
    assert text.count("max_client_conn") == 1 and "max_client_conn = 7\n" in text
    assert "auth_file = /etc/x/userlist.txt\n" in text
    # Written (as 0) only where the setting exists: 1.18 refuses to start with it.
    has_setting = pgbouncer_version >= PREPARED_STATEMENTS_VERSION
    assert ("max_prepared_statements = 0\n" in text) == has_setting
    assert ("max_prepared_statements" in text) == has_setting
    with pytest.raises(ValueError, match="line break"):
        PgBouncer(bouncer.program, bouncer.cluster, "db", "u", "p", settings={"x": "a\nb"}).config_text(
            Path("/x")
        )
