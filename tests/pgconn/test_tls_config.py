"""Tests of the TLS configuration (:mod:`pgconn._tls` and its use by ``parse_connect_arguments``).

Contexts are checked by what they do, not only by their attributes: each test runs a real TLS
handshake in memory (``ssl.MemoryBIO``) against a server context holding certificates from
``pgasync.cluster``'s test CA. The live TLS connection tests come with the connection.
"""

from __future__ import annotations

import datetime
import getpass
import os
import shutil
import ssl
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from pgasync.cluster import TlsFiles
from pgasync.cluster._osuser import ServerAccount
from pgasync.cluster._tls import create_tls_files
from pgconn._parameters import parse_connect_arguments
from pgconn._tls import SSLMode, make_ssl_context, parse_tls_version
from pgwire.exceptions import ClientConfigurationError

USER = "alice"


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    account = ServerAccount(getpass.getuser(), os.getuid(), os.getgid(), is_switched=False)
    return create_tls_files(tmp_path_factory.mktemp("tls") / "files", account, users=(USER,))


@pytest.fixture(scope="module")
def other_ca(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CA that signed nothing the test server presents."""
    account = ServerAccount(getpass.getuser(), os.getuid(), os.getgid(), is_switched=False)
    return create_tls_files(tmp_path_factory.mktemp("other") / "files", account).ca_cert


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


def install(home: Path, source: Path, name: str) -> Path:
    """Copy ``source`` to ``home/.postgresql/name``, libpq's default location."""
    directory = home / ".postgresql"
    directory.mkdir(exist_ok=True)
    target = directory / name
    shutil.copyfile(source, target)
    target.chmod(0o600)
    return target


def server_context(tls: TlsFiles, *, client_certificates: bool = False) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tls.server_cert, tls.server_key)
    context.set_alpn_protocols(["postgresql"])
    if client_certificates:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(cafile=tls.ca_cert)
    return context


def handshake(
    client: ssl.SSLContext, server: ssl.SSLContext, server_hostname: str = "localhost"
) -> tuple[ssl.SSLObject, ssl.SSLObject]:
    """A complete TLS handshake in memory; raises the first side's SSLError."""
    client_in, client_out, server_in, server_out = (ssl.MemoryBIO() for _ in range(4))
    client_side = client.wrap_bio(client_in, client_out, server_hostname=server_hostname)
    server_side = server.wrap_bio(server_in, server_out, server_side=True)
    done = {id(client_side): False, id(server_side): False}
    for _ in range(20):
        for side in (client_side, server_side):
            if not done[id(side)]:
                try:
                    side.do_handshake()
                    done[id(side)] = True
                except ssl.SSLWantReadError:
                    pass
        server_in.write(client_out.read())
        client_in.write(server_out.read())
        if all(done.values()):
            return client_side, server_side
    raise AssertionError("the handshake did not finish")


def context(mode: SSLMode, home: Path, **options: str | Path | None) -> ssl.SSLContext:
    made = make_ssl_context(mode, home=home, **options)  # type: ignore[arg-type]  # options by name
    assert made is not None
    return made


# --- SSLMode ---


def test_sslmode_values() -> None:
    assert [(mode.name, int(mode)) for mode in SSLMode] == [
        ("disable", 0),
        ("allow", 1),
        ("prefer", 2),
        ("require", 3),
        ("verify_ca", 4),
        ("verify_full", 5),
    ]
    assert SSLMode.verify_full.libpq_name == "verify-full"


@pytest.mark.parametrize("text", ["verify-ca", "verify_ca"])
def test_sslmode_parse_accepts_both_separators(text: str) -> None:
    assert SSLMode.parse(text) is SSLMode.verify_ca


@pytest.mark.parametrize("text", ["", "verify", "VERIFY-FULL", "true", "verify-full "])
def test_sslmode_parse_rejects(text: str) -> None:
    expected = (
        "`sslmode` parameter must be one of: disable, allow, prefer, require, verify-ca, verify-full, "
        f"got {text!r}"
    )
    with pytest.raises(ClientConfigurationError) as info:
        SSLMode.parse(text)
    assert str(info.value) == expected


# --- make_ssl_context, mode by mode ---


def test_disable_is_no_context(home: Path) -> None:
    assert make_ssl_context(SSLMode.disable, home=home) is None


@pytest.mark.parametrize("mode", [SSLMode.allow, SSLMode.prefer])
def test_allow_and_prefer_do_not_verify(tls: TlsFiles, home: Path, other_ca: Path, mode: SSLMode) -> None:
    install(home, other_ca, "root.crt")  # even a root certificate is not used for these modes
    made = context(mode, home)
    assert (made.verify_mode, made.check_hostname) == (ssl.CERT_NONE, False)
    handshake(made, server_context(tls), "wrong.example")


def test_require_without_root_does_not_verify(tls: TlsFiles, home: Path) -> None:
    made = context(SSLMode.require, home)
    assert made.verify_mode == ssl.CERT_NONE
    handshake(made, server_context(tls), "wrong.example")


def test_require_with_default_root_verifies_the_chain_only(tls: TlsFiles, home: Path, other_ca: Path) -> None:
    install(home, tls.ca_cert, "root.crt")
    made = context(SSLMode.require, home)
    assert (made.verify_mode, made.check_hostname) == (ssl.CERT_REQUIRED, False)
    handshake(made, server_context(tls), "wrong.example")
    install(home, other_ca, "root.crt")
    with pytest.raises(ssl.SSLCertVerificationError):
        handshake(context(SSLMode.require, home), server_context(tls))


@pytest.mark.parametrize("mode", [SSLMode.verify_ca, SSLMode.verify_full])
def test_verify_needs_a_root_certificate(home: Path, mode: SSLMode) -> None:
    with pytest.raises(ClientConfigurationError) as info:
        make_ssl_context(mode, home=home)
    default = home / ".postgresql" / "root.crt"
    assert info.value.args[0] == f'root certificate file "{default}" does not exist or cannot be accessed'
    assert info.value.hint is not None
    assert "sslrootcert" in info.value.hint and "sslmode=require" in info.value.hint
    with pytest.raises(
        ClientConfigurationError, match=r'root certificate file ".*missing.crt" does not exist'
    ):
        make_ssl_context(mode, home=home, sslrootcert=home / "missing.crt")


def test_verify_ca_ignores_the_host_name(tls: TlsFiles, home: Path, other_ca: Path) -> None:
    made = context(SSLMode.verify_ca, home, sslrootcert=tls.ca_cert)
    assert (made.verify_mode, made.check_hostname) == (ssl.CERT_REQUIRED, False)
    handshake(made, server_context(tls), "wrong.example")
    with pytest.raises(ssl.SSLCertVerificationError):
        handshake(context(SSLMode.verify_ca, home, sslrootcert=other_ca), server_context(tls))


def test_verify_full_checks_the_host_name(tls: TlsFiles, home: Path) -> None:
    made = context(SSLMode.verify_full, home, sslrootcert=str(tls.ca_cert))
    assert (made.verify_mode, made.check_hostname) == (ssl.CERT_REQUIRED, True)
    client, _ = handshake(made, server_context(tls), "localhost")
    assert client.getpeercert() is not None
    handshake(made, server_context(tls), "127.0.0.1")
    with pytest.raises(ssl.SSLCertVerificationError, match=r"match|mismatch"):
        handshake(made, server_context(tls), "wrong.example")


def test_unloadable_root_certificate(home: Path) -> None:
    bad = home / "bad.crt"
    bad.write_text("not a certificate\n", encoding="utf-8")
    with pytest.raises(ClientConfigurationError, match=r'could not load root certificate file ".*bad.crt"'):
        make_ssl_context(SSLMode.verify_ca, home=home, sslrootcert=bad)


def test_system_roots(tls: TlsFiles, home: Path) -> None:
    made = context(SSLMode.verify_full, home, sslrootcert="system")
    assert (made.verify_mode, made.check_hostname) == (ssl.CERT_REQUIRED, True)
    with pytest.raises(ssl.SSLCertVerificationError):  # the test CA is no system CA
        handshake(made, server_context(tls))
    for weak in (SSLMode.require, SSLMode.verify_ca):
        message = (
            f'weak sslmode "{weak.libpq_name}" may not be used with sslrootcert=system (use "verify-full")'
        )
        with pytest.raises(ClientConfigurationError) as info:
            make_ssl_context(weak, home=home, sslrootcert="system")
        assert str(info.value) == message


def test_alpn_postgresql(tls: TlsFiles, home: Path) -> None:
    _, server = handshake(context(SSLMode.prefer, home), server_context(tls))
    assert server.selected_alpn_protocol() == "postgresql"


# --- certificate revocation lists ---


def write_crl(tls: TlsFiles, path: Path, revoked: list[Path]) -> Path:
    assert tls._ca_key is not None and tls._ca_certificate is not None
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(tls._ca_certificate.subject)
        .last_update(now - datetime.timedelta(hours=1))
        .next_update(now + datetime.timedelta(days=1))
    )
    for certificate_path in revoked:
        serial = x509.load_pem_x509_certificate(certificate_path.read_bytes()).serial_number
        entry = x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(now).build()
        builder = builder.add_revoked_certificate(entry)
    crl = builder.sign(tls._ca_key, hashes.SHA256())
    path.write_bytes(crl.public_bytes(serialization.Encoding.PEM))
    return path


def test_crl_revokes_the_server(tls: TlsFiles, home: Path) -> None:
    clean = write_crl(tls, home / "clean.crl", [])
    made = context(SSLMode.verify_full, home, sslrootcert=tls.ca_cert, sslcrl=clean)
    assert made.verify_flags & ssl.VERIFY_CRL_CHECK_CHAIN
    handshake(made, server_context(tls))
    install(home, write_crl(tls, home / "revoked.crl", [tls.server_cert]), "root.crl")
    by_default = context(SSLMode.verify_full, home, sslrootcert=tls.ca_cert)
    with pytest.raises(ssl.SSLCertVerificationError, match="revoked"):
        handshake(by_default, server_context(tls))


def test_no_crl_no_flag(tls: TlsFiles, home: Path) -> None:
    made = context(SSLMode.verify_ca, home, sslrootcert=tls.ca_cert)
    assert not made.verify_flags & ssl.VERIFY_CRL_CHECK_CHAIN


def test_named_crl_must_exist(tls: TlsFiles, home: Path) -> None:
    with pytest.raises(
        ClientConfigurationError, match=r'certificate revocation list file ".*none.crl" does not'
    ):
        make_ssl_context(SSLMode.verify_ca, home=home, sslrootcert=tls.ca_cert, sslcrl=home / "none.crl")
    garbage = home / "garbage.crl"
    garbage.write_text("junk", encoding="utf-8")
    with pytest.raises(ClientConfigurationError, match="could not load certificate revocation list file"):
        make_ssl_context(SSLMode.verify_ca, home=home, sslrootcert=tls.ca_cert, sslcrl=garbage)


# --- client certificates ---


def test_client_certificate(tls: TlsFiles, home: Path) -> None:
    issued = tls.client(USER)
    made = context(SSLMode.require, home, sslcert=issued.cert, sslkey=issued.key)
    _, server = handshake(made, server_context(tls, client_certificates=True))
    subject = dict(item for rdn in server.getpeercert()["subject"] for item in rdn)  # type: ignore[index, misc]  # getpeercert's loose typing
    assert subject["commonName"] == USER


def test_default_client_certificate(tls: TlsFiles, home: Path) -> None:
    with pytest.raises(ssl.SSLError):
        handshake(context(SSLMode.require, home), server_context(tls, client_certificates=True))
    install(home, tls.client(USER).cert, "postgresql.crt")
    install(home, tls.client(USER).key, "postgresql.key")
    handshake(context(SSLMode.require, home), server_context(tls, client_certificates=True))


def test_client_certificate_missing_files(tls: TlsFiles, home: Path) -> None:
    with pytest.raises(
        ClientConfigurationError, match=r'client certificate file ".*nope.crt" does not exist'
    ):
        make_ssl_context(SSLMode.require, home=home, sslcert=home / "nope.crt")
    with pytest.raises(ClientConfigurationError, match=r'private key file ".*postgresql.key" for client'):
        make_ssl_context(SSLMode.require, home=home, sslcert=tls.client(USER).cert)


def test_encrypted_client_key(tls: TlsFiles, home: Path) -> None:
    issued = tls.client(USER)
    key = serialization.load_pem_private_key(issued.key.read_bytes(), password=None)
    encrypted = home / "encrypted.key"
    encrypted.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"open sesame"),
        )
    )
    made = context(SSLMode.require, home, sslcert=issued.cert, sslkey=encrypted, sslpassword="open sesame")
    handshake(made, server_context(tls, client_certificates=True))
    with pytest.raises(ClientConfigurationError, match="could not load client certificate") as info:
        make_ssl_context(
            SSLMode.require, home=home, sslcert=issued.cert, sslkey=encrypted, sslpassword="wrong"
        )
    assert info.value.hint is not None and "sslpassword" in info.value.hint


# --- protocol versions ---


def test_tls_versions(tls: TlsFiles, home: Path) -> None:
    assert context(SSLMode.prefer, home).minimum_version == ssl.TLSVersion.TLSv1_2
    capped = context(SSLMode.prefer, home, ssl_max_protocol_version="TLSv1.2")
    client, _ = handshake(capped, server_context(tls))
    assert client.version() == "TLSv1.2"
    newest = context(SSLMode.prefer, home, ssl_min_protocol_version="tlsv1.3")
    assert newest.minimum_version == ssl.TLSVersion.TLSv1_3
    client, _ = handshake(newest, server_context(tls))
    assert client.version() == "TLSv1.3"


@pytest.mark.parametrize(
    ("name", "version"), [("TLSv1", "TLSv1"), ("TLSv1.1", "TLSv1_1"), ("TLSv1.3", "TLSv1_3")]
)
def test_parse_tls_version(name: str, version: str) -> None:
    assert parse_tls_version(name, "x") == ssl.TLSVersion[version]


@pytest.mark.parametrize("name", ["SSLv3", "sslv2"])
def test_ssl_versions_unsupported(home: Path, name: str) -> None:
    with pytest.raises(
        ClientConfigurationError, match=f"^Unsupported TLS version '{name}' in ssl_min_protocol_version"
    ):
        make_ssl_context(SSLMode.prefer, home=home, ssl_min_protocol_version=name)


def test_invalid_tls_versions(home: Path) -> None:
    with pytest.raises(
        ClientConfigurationError, match=r"^invalid ssl_max_protocol_version 'TLSv9': expected one of"
    ):
        make_ssl_context(SSLMode.prefer, home=home, ssl_max_protocol_version="TLSv9")
    with pytest.raises(
        ClientConfigurationError, match="TLSv1_3 is newer than ssl_max_protocol_version TLSv1_2"
    ):
        make_ssl_context(
            SSLMode.prefer, home=home, ssl_min_protocol_version="TLSv1.3", ssl_max_protocol_version="TLSv1.2"
        )


# --- parse_connect_arguments: where the TLS settings come from ---


def params_context(home: Path, **kwargs: object) -> ssl.SSLContext:
    kwargs.setdefault("environ", {})
    params = parse_connect_arguments(user="u", host="localhost", home=home, **kwargs)  # type: ignore[arg-type]  # by name
    assert params.ssl is not None
    return params.ssl


def test_root_certificate_sources(tls: TlsFiles, home: Path, tmp_path: Path) -> None:
    for made in (
        params_context(home, ssl="verify-full", environ={"PGSSLROOTCERT": str(tls.ca_cert)}),
        params_context(home, dsn=f"postgresql://h?sslmode=verify-full&sslrootcert={tls.ca_cert}"),
    ):
        handshake(made, server_context(tls))
    service = tmp_path / "services.conf"
    service.write_text(f"[s]\nsslmode=verify-full\nsslrootcert={tls.ca_cert}\n", encoding="utf-8")
    handshake(params_context(home, service="s", servicefile=service), server_context(tls))
    install(home, tls.ca_cert, "root.crt")
    handshake(params_context(home, environ={"PGSSLMODE": "verify-full"}), server_context(tls))


def test_client_certificate_sources(tls: TlsFiles, home: Path) -> None:
    issued = tls.client(USER)
    environ = {"PGSSLCERT": str(issued.cert), "PGSSLKEY": str(issued.key)}
    handshake(
        params_context(home, ssl="require", environ=environ), server_context(tls, client_certificates=True)
    )


def test_ssl_true_is_verify_full(tls: TlsFiles, home: Path) -> None:
    params = parse_connect_arguments(user="u", host="h", ssl=True, environ={}, home=home)
    assert params.sslmode == SSLMode.verify_full and not params.ssl_is_explicit_context
    assert params.ssl is not None and params.ssl.check_hostname
    with pytest.raises(ssl.SSLCertVerificationError):  # system CAs only
        handshake(params.ssl, server_context(tls))
    configured = params_context(home, ssl=True, environ={"PGSSLROOTCERT": str(tls.ca_cert)})
    handshake(configured, server_context(tls))


def test_explicit_context(home: Path) -> None:
    mine = ssl.create_default_context()
    params = parse_connect_arguments(
        user="u", host="h", ssl=mine, environ={"PGSSLMODE": "disable"}, home=home
    )
    assert params.ssl is mine
    assert params.sslmode == SSLMode.require
    assert params.ssl_is_explicit_context
    assert parse_connect_arguments(
        user="u", host="h", ssl=mine, direct_tls=True, environ={}, home=home
    ).direct_tls


def test_ssl_false_and_mode_values(home: Path) -> None:
    params = parse_connect_arguments(
        user="u", host="h", ssl=False, environ={"PGSSLMODE": "require"}, home=home
    )
    assert (params.sslmode, params.ssl) == (SSLMode.disable, None)
    assert (
        parse_connect_arguments(user="u", host="h", ssl=SSLMode.allow, environ={}, home=home).sslmode
        == SSLMode.allow
    )


@pytest.mark.parametrize(("value", "message"), [(1, "got int"), (b"require", "got bytes")])
def test_ssl_argument_type(home: Path, value: object, message: str) -> None:
    with pytest.raises(
        ClientConfigurationError,
        match=f"ssl is expected to be None, a bool, an sslmode name or an ssl.SSLContext, {message}",
    ):
        parse_connect_arguments(user="u", host="h", ssl=value, environ={}, home=home)  # type: ignore[arg-type]  # wrong type under test


def test_bad_sslmode_strings(home: Path) -> None:
    cases: list[dict[str, Any]] = [
        {"ssl": "on", "environ": {}},
        {"environ": {"PGSSLMODE": "on"}},
        {"dsn": "postgresql://h?sslmode=on", "environ": {}},
    ]
    for kwargs in cases:
        with pytest.raises(ClientConfigurationError, match="`sslmode` parameter must be one of"):
            parse_connect_arguments(user="u", host="h", home=home, **kwargs)


def test_unix_sockets_need_no_certificates(home: Path) -> None:
    params = parse_connect_arguments(user="u", host="/sock", ssl="verify-full", environ={}, home=home)
    assert (params.sslmode, params.ssl) == (SSLMode.verify_full, None)
    with pytest.raises(ClientConfigurationError, match="root certificate file"):
        parse_connect_arguments(user="u", host="/sock,tcp", ssl="verify-full", environ={}, home=home)


def test_protocol_versions_from_environment(home: Path) -> None:
    made = params_context(
        home, environ={"PGSSLMINPROTOCOLVERSION": "TLSv1.3", "PGSSLMAXPROTOCOLVERSION": "TLSv1.3"}
    )
    assert (made.minimum_version, made.maximum_version) == (ssl.TLSVersion.TLSv1_3, ssl.TLSVersion.TLSv1_3)
    with pytest.raises(ClientConfigurationError, match=r"^Unsupported TLS version 'SSLv3'"):
        params_context(home, dsn="postgresql://h?ssl_min_protocol_version=SSLv3")


def test_sslkeylogfile(home: Path, tmp_path: Path) -> None:
    keylog = tmp_path / "keys.log"
    assert params_context(home, environ={"SSLKEYLOGFILE": str(keylog)}).keylog_filename == str(keylog)
    assert params_context(home).keylog_filename is None
