"""The README's demo: run as the README runs it, and against the test server via a DSN."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys

import pytest

from pgasync.cluster import Cluster, ServerUser
from pgasync.demo import ServerAddress, run_demo


def test_demo_runs_as_the_readme_says() -> None:
    env = {k: v for k, v in os.environ.items() if k != "PGASYNC_DSN"}
    done = subprocess.run(
        [sys.executable, "-m", "pgasync.demo"],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Started a throwaway PostgreSQL" in out
    assert "<- AuthenticationSASLFinal(" in out
    assert "<- AuthenticationOk()" in out
    assert "    3 | 9\n" in out
    assert "    42 | PGWIRE\n" in out
    assert "    doubled = 42\n" in out and "    third = Decimal('0.33333333333333333333')\n" in out
    assert "    at = datetime.datetime(2024, 2, 29, 12, 30, tzinfo=datetime.timezone.utc)\n" in out
    assert "    fetch(3) -> [(3, 9), (2, 4), (1, 1)]\n" in out
    assert "    fetchval(5, column='square') -> 25\n" in out
    assert "    savepoint rolled back: UniqueViolationError" in out
    assert "    committed rows: [(1, 'kept'), (2, 'kept')]\n" in out
    assert_streaming_sections(out)
    assert_pool_section(out)
    assert out.rstrip().endswith("Done: the connection was closed with Terminate.")


def assert_streaming_sections(out: str) -> None:
    """The cursor, COPY and LISTEN/NOTIFY parts of the tour printed what they should."""
    assert "    1000 rows, sum of the squares = 333833500\n" in out
    rest = "[(998, 996004), (999, 998001), (1000, 1000000)]"
    assert f"    a Cursor: forward(997), then fetch(10) -> {rest}\n" in out
    assert "    copy_records_to_table(1000 generated rows) -> COPY 1000\n" in out
    csv = "      id,sensor,reading\n      1,sensor-1,0.25\n      2,sensor-2,0.5\n      3,sensor-0,0.75\n"
    assert "header=True) -> COPY 3:\n" + csv in out
    assert "    copy_records_from_table streamed COPY 1000, sum of readings = 125125.00\n" in out
    assert "    received 'build 42 finished' on 'demo_events' from the second connection\n" in out


def assert_pool_section(out: str) -> None:
    """The pool part: 20 calls on 2 + 2 connections, its statistics, a transaction, close()."""
    pool = "<pgasync.Pool open size={} in_use={} idle={} waiting={} max=4>"
    assert f"    started: {pool.format(2, 0, 2, 0)}\n" in out
    # Every call asked before any finished: two took the idle connections, eighteen wait.
    assert f"      while they run: {pool.format(2, 2, 0, 18)}\n" in out
    assert "      results in order: True, sum = 210\n" in out
    assert f"      after them: {pool.format(4, 0, 4, 0)}\n" in out
    assert "    get_stats(): requests=20, requests_waited=18, connections_opened=4 (" in out
    longest = re.search(r"^    the longest wait: (\d+\.\d\d) s \(at least 4 x 0\.05 s\)", out, re.M)
    assert longest is not None and float(longest[1]) >= 0.2  # the last call waited for 16 others
    assert "      in a transaction: 2 of 3 jobs done, is_in_transaction() -> True\n" in out
    assert f"      while acquired: {pool.format(4, 1, 3, 0)}\n" in out
    released = "InterfaceError: cannot call Connection.fetchval(): connection has been released"
    assert f"      released, the proxy refuses: {released}" in out
    assert "    pool.close() -> <pgasync.Pool closed size=0 in_use=0 idle=0 waiting=0 max=4>\n" in out


def test_demo_against_a_given_server(cluster: Cluster, server_users: dict[str, ServerUser]) -> None:
    user = server_users["scram-sha-256"]
    address = ServerAddress.from_dsn(cluster.dsn(user=user.name, password=user.password))
    assert address.password == user.password
    out = io.StringIO()
    run_demo(address, out)
    text = out.getvalue()
    assert f"    {user.name} | t\n" in text
    assert "-> SASLInitialResponse(mechanism='SCRAM-SHA-256'" in text
    assert_streaming_sections(text)  # as a user without superuser rights, too
    assert_pool_section(text)


def test_dsn_parsing_and_secrecy() -> None:
    address = ServerAddress.from_dsn("postgresql://bob:s%40cret@db.example:6543/app")
    assert (address.host, address.port, address.user, address.database) == ("db.example", 6543, "bob", "app")
    assert address.password == "s@cret"
    assert "cret" not in repr(address)
    with pytest.raises(ValueError, match="postgresql:// URI, got scheme 'mysql'"):
        ServerAddress.from_dsn("mysql://x@y/z")
