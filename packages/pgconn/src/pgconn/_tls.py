"""TLS configuration: the sslmode values and the ``ssl.SSLContext`` each one calls for.

This module decides *how* a connection is protected; opening the socket and the handshake are
the connection code's job. The rules follow libpq's "SSL Support" chapter (PostgreSQL docs,
34.19, section numbers as in the PostgreSQL 16 docs) as asyncpg applies them:

- ``disable``: no TLS at all.
- ``allow`` / ``prefer``: TLS without any certificate check (it protects against passive
  eavesdropping only).
- ``require``: TLS; the server certificate is checked only when a root certificate file exists
  (34.19.1: for compatibility, ``require`` with a root CA file acts as ``verify-ca``).
- ``verify-ca``: the server certificate must chain to a root certificate, which must exist.
- ``verify-full``: as ``verify-ca``, and the host name must match the certificate.

Every context made here requires TLS 1.2 or later unless told otherwise and offers the ALPN
protocol ``postgresql`` (PostgreSQL 17's direct TLS negotiation requires it: Frontend/Backend
Protocol, "SSL Session Encryption").
"""

from __future__ import annotations

import enum
import os
import ssl
from pathlib import Path

from pgwire.exceptions import ClientConfigurationError

__all__ = [
    "ALPN_PROTOCOL",
    "SYSTEM_ROOTS",
    "SSLMode",
    "expand_path",
    "make_ssl_context",
    "parse_tls_version",
]

#: The ALPN protocol name PostgreSQL registered (protocol docs, "SSL Session Encryption").
ALPN_PROTOCOL = "postgresql"

#: libpq's special ``sslrootcert`` value: trust the system's default certificate authorities
#: (34.19.1); it only makes sense with full verification.
SYSTEM_ROOTS = "system"

_MODE_NAMES = "disable, allow, prefer, require, verify-ca, verify-full"

_TLS_VERSIONS: dict[str, ssl.TLSVersion] = {
    "tlsv1": ssl.TLSVersion.TLSv1,
    "tlsv1.1": ssl.TLSVersion.TLSv1_1,
    "tlsv1.2": ssl.TLSVersion.TLSv1_2,
    "tlsv1.3": ssl.TLSVersion.TLSv1_3,
}


class SSLMode(enum.IntEnum):
    """libpq's ``sslmode`` values, ordered from least to most protection."""

    disable = 0
    allow = 1
    prefer = 2
    require = 3
    verify_ca = 4
    verify_full = 5

    @classmethod
    def parse(cls, value: str) -> SSLMode:
        """The mode named ``value``; ``verify-ca`` and ``verify_ca`` are both accepted.

        Args:
            value: a mode name as written in a DSN, an environment variable or ``ssl=``.

        Returns:
            The matching mode.

        Raises:
            ClientConfigurationError: ``value`` names no mode.
        """
        if isinstance(value, str):
            member = cls.__members__.get(value.replace("-", "_"))
            if member is not None:
                return member
        raise ClientConfigurationError(f"`sslmode` parameter must be one of: {_MODE_NAMES}, got {value!r}")

    @property
    def libpq_name(self) -> str:
        """The name as libpq spells it, with a hyphen: ``verify-full``."""
        return self.name.replace("_", "-")


def parse_tls_version(value: str, option: str) -> ssl.TLSVersion:
    """The TLS version named ``value`` (``TLSv1.2``, ``TLSv1.3``; case-insensitive).

    Args:
        value: the version name, as libpq's ``ssl_min_protocol_version`` takes it.
        option: the option's name, for the error message.

    Returns:
        The ``ssl.TLSVersion``.

    Raises:
        ClientConfigurationError: an SSL (pre-TLS) version or a name that is no TLS version.
    """
    version = _TLS_VERSIONS.get(value.strip().lower())
    if version is None:
        expected = "expected one of TLSv1, TLSv1.1, TLSv1.2, TLSv1.3"
        if value.strip().lower().startswith("ssl"):
            raise ClientConfigurationError(f"Unsupported TLS version {value!r} in {option}: {expected}")
        raise ClientConfigurationError(f"invalid {option} {value!r}: {expected}")
    return version


def expand_path(value: str | os.PathLike[str]) -> Path:
    """``value`` as a path, a leading ``~`` standing for the home directory.

    Without a home directory (no ``HOME`` and no passwd entry) the ``~`` is left as it is,
    where ``Path.expanduser`` would raise: the file is then simply not found.
    """
    return Path(os.path.expanduser(os.fspath(value)))


def _default_file(home: Path | None, name: str) -> Path | None:
    """libpq's default ``~/.postgresql/<name>``, or None when there is no home directory."""
    return None if home is None else home / ".postgresql" / name


def _readable(path: Path) -> bool:
    return os.access(path, os.R_OK) and path.is_file()


def _root_certificate(
    mode: SSLMode, sslrootcert: str | os.PathLike[str] | None, home: Path | None
) -> Path | None:
    """The root certificate file to verify against, or None to skip verification."""
    default = _default_file(home, "root.crt")
    path = expand_path(sslrootcert) if sslrootcert is not None else default
    if path is not None and _readable(path):
        return path
    if mode < SSLMode.verify_ca:
        # require without a root file: encrypt, but do not verify (34.19.1).
        return None
    put_it = "" if default is None else f'put it at "{default}", '
    hint = (
        f"sslmode={mode.libpq_name} checks the server certificate against a root certificate: "
        f"set sslrootcert (or PGSSLROOTCERT) to the CA file, {put_it}use sslrootcert=system for "
        "the system's CAs, or choose sslmode=require to encrypt without verification"
    )
    if path is None:
        # libpq: "could not get home directory to locate root certificate file".
        raise ClientConfigurationError(
            "no root certificate file: there is no home directory to find ~/.postgresql/root.crt in",
            hint=hint,
        )
    raise ClientConfigurationError(
        f'root certificate file "{path}" does not exist or cannot be accessed', hint=hint
    )


def _load_verification(
    context: ssl.SSLContext,
    mode: SSLMode,
    sslrootcert: str | os.PathLike[str] | None,
    sslcrl: str | os.PathLike[str] | None,
    home: Path | None,
) -> None:
    """Set the context's verification according to ``mode`` and the root certificate."""
    if mode <= SSLMode.prefer:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return
    if sslrootcert is not None and os.fspath(sslrootcert) == SYSTEM_ROOTS:
        if mode != SSLMode.verify_full:
            # libpq refuses this too: the system's CAs vouch for host names, not for a server.
            raise ClientConfigurationError(
                f'weak sslmode "{mode.libpq_name}" may not be used with sslrootcert=system '
                '(use "verify-full")'
            )
        context.load_default_certs(ssl.Purpose.SERVER_AUTH)
        context.check_hostname = True
        context.verify_mode = ssl.CERT_REQUIRED
        _load_crl(context, sslcrl, home)
        return
    root = _root_certificate(mode, sslrootcert, home)
    if root is None:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return
    try:
        context.load_verify_locations(cafile=str(root))
    except (ssl.SSLError, OSError) as error:
        raise ClientConfigurationError(f'could not load root certificate file "{root}": {error}') from None
    # Only verify-full compares the host name with the certificate (34.19.1).
    context.check_hostname = mode == SSLMode.verify_full
    context.verify_mode = ssl.CERT_REQUIRED
    _load_crl(context, sslcrl, home)


def _load_crl(context: ssl.SSLContext, sslcrl: str | os.PathLike[str] | None, home: Path | None) -> None:
    """Load the certificate revocation list: a named one must exist, the default is optional."""
    path = expand_path(sslcrl) if sslcrl is not None else _default_file(home, "root.crl")
    if path is None or not _readable(path):
        if sslcrl is None:
            return
        raise ClientConfigurationError(
            f'certificate revocation list file "{path}" does not exist or cannot be accessed'
        )
    try:
        context.load_verify_locations(cafile=str(path))
    except (ssl.SSLError, OSError) as error:
        raise ClientConfigurationError(
            f'could not load certificate revocation list file "{path}": {error}'
        ) from None
    context.verify_flags |= ssl.VERIFY_CRL_CHECK_CHAIN


def _load_client_certificate(
    context: ssl.SSLContext,
    sslcert: str | os.PathLike[str] | None,
    sslkey: str | os.PathLike[str] | None,
    sslpassword: str | None,
    home: Path | None,
) -> None:
    """Offer a client certificate: a named one must exist, the default one is optional."""
    cert = expand_path(sslcert) if sslcert is not None else _default_file(home, "postgresql.crt")
    if cert is None or not _readable(cert):
        if sslcert is None:
            return
        raise ClientConfigurationError(
            f'client certificate file "{cert}" does not exist or cannot be accessed'
        )
    key = expand_path(sslkey) if sslkey is not None else _default_file(home, "postgresql.key")
    if key is None:
        raise ClientConfigurationError(
            f'no private key file for client certificate "{cert}": set sslkey (there is no home '
            "directory to find ~/.postgresql/postgresql.key in)"
        )
    if not _readable(key):
        raise ClientConfigurationError(
            f'private key file "{key}" for client certificate "{cert}" does not exist or cannot be accessed'
        )
    try:
        context.load_cert_chain(str(cert), str(key), password=sslpassword)
    except (ssl.SSLError, OSError) as error:
        raise ClientConfigurationError(
            f'could not load client certificate "{cert}" with key "{key}": {error}',
            hint="if the key is encrypted, pass its passphrase as sslpassword",
        ) from None


def make_ssl_context(
    mode: SSLMode,
    *,
    sslrootcert: str | os.PathLike[str] | None = None,
    sslcert: str | os.PathLike[str] | None = None,
    sslkey: str | os.PathLike[str] | None = None,
    sslpassword: str | None = None,
    sslcrl: str | os.PathLike[str] | None = None,
    ssl_min_protocol_version: str | None = None,
    ssl_max_protocol_version: str | None = None,
    home: Path | None,
) -> ssl.SSLContext | None:
    """The TLS context for ``mode``, or None when ``mode`` is ``disable``.

    File options that are None fall back to libpq's defaults under ``home/.postgresql/``
    (``root.crt``, ``root.crl``, ``postgresql.crt``, ``postgresql.key``), which are used only if
    they exist; a file named explicitly must exist. Without a home directory there are no
    default files.

    Args:
        mode: the sslmode.
        sslrootcert: the CA certificates to verify the server with, or ``"system"`` for the
            system's default CAs (only with ``verify-full``).
        sslcert: the client certificate.
        sslkey: the client certificate's private key.
        sslpassword: the passphrase of an encrypted private key.
        sslcrl: a certificate revocation list; when loaded, every certificate in the chain is
            checked against it.
        ssl_min_protocol_version: the oldest TLS version allowed; ``TLSv1.2`` when None.
        ssl_max_protocol_version: the newest TLS version allowed; the newest supported when None.
        home: the user's home directory, for the default file locations; None when there is
            none (no ``HOME`` and no passwd entry).

    Returns:
        A client context offering ALPN ``postgresql``, or None for ``disable``.

    Raises:
        ClientConfigurationError: ``verify-ca``/``verify-full`` without a root certificate (or
            without a home directory to find the default one in); a named file that is missing
            or cannot be loaded; ``sslrootcert=system`` with a mode weaker than
            ``verify-full``; an unsupported or inverted TLS version range.
    """
    if mode == SSLMode.disable:
        return None
    minimum = parse_tls_version(ssl_min_protocol_version or "TLSv1.2", "ssl_min_protocol_version")
    maximum = (
        parse_tls_version(ssl_max_protocol_version, "ssl_max_protocol_version")
        if ssl_max_protocol_version
        else None
    )
    if maximum is not None and maximum < minimum:
        raise ClientConfigurationError(
            f"invalid TLS version range: ssl_min_protocol_version {minimum.name} is newer than "
            f"ssl_max_protocol_version {maximum.name}"
        )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = minimum
    if maximum is not None:
        context.maximum_version = maximum
    _load_verification(context, mode, sslrootcert, sslcrl, home)
    _load_client_certificate(context, sslcert, sslkey, sslpassword, home)
    context.set_alpn_protocols([ALPN_PROTOCOL])
    return context
