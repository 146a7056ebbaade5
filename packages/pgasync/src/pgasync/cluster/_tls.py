"""Test certificates for a throwaway cluster: a CA, a server certificate, client certificates.

Everything is generated at run time with the ``cryptography`` package (imported only when TLS is
asked for) and written into the cluster's directory; no key is ever stored in the repository.
Keys are ECDSA P-256, which is quick to generate and accepted by OpenSSL on both ends.

PostgreSQL's rules ("Secure TCP/IP Connections with SSL", 19.9.1): the server key must be owned
by the server's account and not readable by group or others; ``ssl_ca_file`` names the CA whose
client certificates the server accepts, and the ``cert`` method matches the client
certificate's common name (CN) against the role name.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pgasync.cluster._errors import ClusterError
from pgasync.cluster._osuser import ServerAccount

if TYPE_CHECKING:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import ec

__all__ = ["ClientCertificate", "TlsFiles", "create_tls_files"]

# Host names and addresses the server certificate is valid for: the cluster listens on loopback.
SERVER_DNS_NAMES = ("localhost",)
SERVER_IP_ADDRESSES = ("127.0.0.1", "::1")
_VALIDITY = datetime.timedelta(days=30)
# Tolerate a client clock slightly behind the one that issued the certificates.
_BACKDATE = datetime.timedelta(hours=1)


def _import_cryptography() -> None:
    try:
        import cryptography  # noqa: F401 -- probing that the optional dependency is installed
    except ImportError as error:
        raise ClusterError(
            "tls=True needs the 'cryptography' package to generate test certificates; install it "
            "with 'pip install cryptography' (or the 'pgasync[cluster]' extra)"
        ) from error


@dataclass(frozen=True, slots=True)
class ClientCertificate:
    """A client certificate (CN = the role name) and its private key, both PEM files.

    Attributes:
        user: the role name in the certificate's common name.
        cert: the certificate file.
        key: the private key file (mode 0600, owned by this process's user).
    """

    user: str
    cert: Path
    key: Path


@dataclass(slots=True)
class TlsFiles:
    """The TLS material of one cluster.

    Attributes:
        directory: where the files live.
        ca_cert: the test CA's certificate; clients verify the server with it.
        server_cert: the server certificate (localhost, 127.0.0.1, ::1).
        server_key: the server key, readable only by the server's account.
        clients: client certificates by role name.
    """

    directory: Path
    ca_cert: Path
    server_cert: Path
    server_key: Path
    clients: dict[str, ClientCertificate] = field(default_factory=dict)
    # The CA key stays in memory only, to sign client certificates issued later.
    _ca_key: ec.EllipticCurvePrivateKey | None = field(default=None, repr=False)
    _ca_certificate: x509.Certificate | None = field(default=None, repr=False)

    def client(self, user: str) -> ClientCertificate:
        """The client certificate issued for ``user``.

        Raises:
            ClusterError: none was issued; pass the user in ``tls_users`` or call
                :meth:`issue_client_certificate`.
        """
        try:
            return self.clients[user]
        except KeyError:
            raise ClusterError(
                f"no client certificate for {user!r}; issued: {sorted(self.clients)}"
            ) from None

    def issue_client_certificate(self, user: str) -> ClientCertificate:
        """Issue (or return the existing) client certificate whose CN is ``user``.

        Args:
            user: the role name.

        Returns:
            The certificate and key files; the key is mode 0600, owned by this process's user.
        """
        if user in self.clients:
            return self.clients[user]
        if self._ca_key is None or self._ca_certificate is None:
            raise ClusterError("this TlsFiles has no CA key to sign with")
        from cryptography.hazmat.primitives import serialization
        from cryptography.x509.oid import ExtendedKeyUsageOID

        certificate, key = _issue(self._ca_certificate, self._ca_key, user, ExtendedKeyUsageOID.CLIENT_AUTH)
        safe = "".join(char if char.isalnum() or char in "-_." else "_" for char in user)
        stem = f"client-{safe}-{len(self.clients)}"
        cert_path = self.directory / f"{stem}.crt"
        key_path = self.directory / f"{stem}.key"
        cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        _write_private(key_path, _key_pem(key))
        issued = ClientCertificate(user, cert_path, key_path)
        self.clients[user] = issued
        return issued


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _write_private(path: Path, data: bytes) -> None:
    """Create ``path`` with mode 0600 from the start, so the key is never readable by others."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)


def _new_key() -> ec.EllipticCurvePrivateKey:
    from cryptography.hazmat.primitives.asymmetric import ec

    return ec.generate_private_key(ec.SECP256R1())


def _name(common_name: str) -> x509.Name:
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "pgasync test cluster"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _certificate_authority() -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    key = _new_key()
    now = datetime.datetime.now(datetime.UTC)
    name = _name("pgasync test CA")
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _BACKDATE)
        .not_valid_after(now + _VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return certificate, key


def _issue(
    ca_certificate: x509.Certificate,
    ca_key: ec.EllipticCurvePrivateKey,
    common_name: str,
    usage: x509.ObjectIdentifier,
    alternative_names: list[x509.GeneralName] | None = None,
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    key = _new_key()
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(ca_certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _BACKDATE)
        .not_valid_after(now + _VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
    )
    if alternative_names:
        builder = builder.add_extension(x509.SubjectAlternativeName(alternative_names), critical=False)
    return builder.sign(ca_key, hashes.SHA256()), key


def create_tls_files(directory: Path, account: ServerAccount, users: tuple[str, ...] = ()) -> TlsFiles:
    """Generate a CA, a server certificate and client certificates into ``directory``.

    Args:
        directory: a new directory to create (its parent must exist).
        account: the server's account; it gets the server key (mode 0600) and the directory.
        users: role names to issue client certificates for.

    Returns:
        The paths of everything written, able to issue more client certificates.

    Raises:
        ClusterError: ``cryptography`` is not installed.
    """
    _import_cryptography()
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.x509.oid import ExtendedKeyUsageOID

    directory.mkdir(mode=0o755)
    ca_certificate, ca_key = _certificate_authority()
    alternative_names: list[x509.GeneralName] = [x509.DNSName(name) for name in SERVER_DNS_NAMES]
    alternative_names.extend(x509.IPAddress(ipaddress.ip_address(address)) for address in SERVER_IP_ADDRESSES)
    server_certificate, server_key = _issue(
        ca_certificate, ca_key, SERVER_DNS_NAMES[0], ExtendedKeyUsageOID.SERVER_AUTH, alternative_names
    )
    files = TlsFiles(
        directory=directory,
        ca_cert=directory / "ca.crt",
        server_cert=directory / "server.crt",
        server_key=directory / "server.key",
        _ca_key=ca_key,
        _ca_certificate=ca_certificate,
    )
    files.ca_cert.write_bytes(ca_certificate.public_bytes(serialization.Encoding.PEM))
    files.server_cert.write_bytes(server_certificate.public_bytes(serialization.Encoding.PEM))
    _write_private(files.server_key, _key_pem(server_key))
    for path in (files.ca_cert, files.server_cert):
        os.chmod(path, 0o644)
    account.give(files.server_key, 0o600)
    account.give(directory, 0o755)
    for user in users:
        files.issue_client_certificate(user)
    return files
