"""SCRAM-SHA-256 and SCRAM-SHA-256-PLUS as sans-IO exchanges, for the client and the server.

RFC 5802 defines SCRAM, RFC 7677 its SHA-256 variant, RFC 5929 the ``tls-server-end-point``
channel binding, and PostgreSQL's protocol docs ("SASL Authentication", "SCRAM-SHA-256
Authentication") how PostgreSQL uses them: the user name in the client-first-message is ignored
(the one from the startup message counts), so clients send ``n=`` with an empty name; passwords
go through SASLprep with a raw-bytes fallback (:mod:`pgwire._saslprep`); verifiers are stored as
``SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>``.

This module holds the client (:class:`ScramClient`), the RFC 5802 functions and the message
parsing that both roles share; the server role is :mod:`pgwire._scram_server`. Both work on
the SASL payloads only, as bytes: the caller moves them in and out of ``SASLInitialResponse`` /
``AuthenticationSASLContinue`` / ``SASLResponse`` / ``AuthenticationSASLFinal`` messages. TLS
stays outside: the caller passes the ``tls-server-end-point`` hash of the server certificate
(:func:`tls_server_end_point_hash`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from typing import Final, Literal

from pgwire._auth_errors import AuthenticationError
from pgwire._client_errors import (
    ClientConfigurationError,
    InterfaceError,
    LocalProtocolError,
    RemoteProtocolError,
    UnsupportedServerFeatureError,
)
from pgwire._saslprep import scram_password_bytes

__all__ = [
    "SCRAM_SHA_256",
    "SCRAM_SHA_256_PLUS",
    "ChannelBinding",
    "ScramClient",
    "client_proof",
    "salted_password",
    "server_signature",
    "tls_server_end_point_hash",
]

SCRAM_SHA_256: Final = "SCRAM-SHA-256"
SCRAM_SHA_256_PLUS: Final = "SCRAM-SHA-256-PLUS"
CHANNEL_BINDING_TYPE: Final = "tls-server-end-point"
# PostgreSQL's defaults (scram_iterations, SCRAM_DEFAULT_SALT_LEN, SCRAM_RAW_NONCE_LEN).
DEFAULT_ITERATIONS: Final = 4096
DEFAULT_SALT_LENGTH: Final = 16
RAW_NONCE_LENGTH: Final = 18
# PostgreSQL keeps the iteration count in an int; a larger count can only be hostile.
MAX_ITERATIONS: Final = 2**31 - 1
_KEY_LENGTH: Final = 32  # SHA-256 output

ChannelBinding = Literal["disable", "prefer", "require"]
_POLICIES: Final = ("disable", "prefer", "require")

# RFC 5802 section 7: printable = %x21-2B / %x2D-7E, i.e. visible ASCII except ",".
_NONCE: Final = re.compile(r"[\x21-\x2b\x2d-\x7e]+")
_DIGITS: Final = re.compile(r"[0-9]{1,10}")
_WRONG_SIGNATURE: Final = (
    "server signature does not match: the server does not know the password, "
    "or the connection was tampered with"
)

# RFC 5929 section 4.1: MD5 and SHA-1 are replaced by SHA-256; any other single hash is used as is.
_END_POINT_HASHES: Final = {
    "md5": "sha256",
    "sha1": "sha256",
    "sha-1": "sha256",
    "sha224": "sha224",
    "sha-224": "sha224",
    "sha256": "sha256",
    "sha-256": "sha256",
    "sha384": "sha384",
    "sha-384": "sha384",
    "sha512": "sha512",
    "sha-512": "sha512",
    "sha3-224": "sha3_224",
    "sha3_224": "sha3_224",
    "sha3-256": "sha3_256",
    "sha3_256": "sha3_256",
    "sha3-384": "sha3_384",
    "sha3_384": "sha3_384",
    "sha3-512": "sha3_512",
    "sha3_512": "sha3_512",
}


def tls_server_end_point_hash(der_certificate: bytes, signature_hash_algorithm: str | None) -> bytes:
    """The ``tls-server-end-point`` channel binding data for a server certificate (RFC 5929, 4.1).

    The hash is the one the certificate's signature uses, except that MD5 and SHA-1 become
    SHA-256. pgwire does not parse X.509: the TLS layer passes the signature's hash name
    (for example ``cert.signature_hash_algorithm.name`` from the ``cryptography`` package).

    Args:
        der_certificate: the server's certificate, DER-encoded.
        signature_hash_algorithm: the name of the hash in the certificate's signature algorithm
            (``"sha256"``, ``"SHA-384"``, ``"md5"``, ...); ``None`` when the algorithm has no
            separate hash (Ed25519, Ed448).

    Returns:
        The hash of ``der_certificate``, to pass as ``channel_binding_data``.

    Raises:
        UnsupportedServerFeatureError: RFC 5929 defines no binding for this signature algorithm,
            so SCRAM-SHA-256-PLUS cannot be used with this certificate.
    """
    name = _END_POINT_HASHES.get((signature_hash_algorithm or "").lower())
    if name is None:
        raise UnsupportedServerFeatureError(
            "tls-server-end-point channel binding is not defined for a certificate signed with "
            f"{signature_hash_algorithm or 'no separate hash algorithm'}",
            hint="use channel_binding='disable' or 'prefer' with this server certificate",
        )
    return hashlib.new(name, der_certificate).digest()


# RFC 5802 section 3: the SCRAM functions, with H = SHA-256 (RFC 7677).


def _hmac(key: bytes, message: bytes) -> bytes:
    return hmac.digest(key, message, "sha256")


def _xor(left: bytes, right: bytes) -> bytes:
    return bytes(a ^ b for a, b in zip(left, right, strict=True))


def salted_password(password: str, salt: bytes, iterations: int) -> bytes:
    """``SaltedPassword := Hi(Normalize(password), salt, i)`` (RFC 5802, section 3).

    ``Hi`` is PBKDF2 with HMAC-SHA-256; ``Normalize`` is PostgreSQL's SASLprep with its
    raw-bytes fallback.

    Args:
        password: the password.
        salt: the salt from the verifier or the server-first-message.
        iterations: the iteration count, at least 1.

    Returns:
        The 32-byte salted password.

    Raises:
        InterfaceError: ``iterations`` is below 1.
        LocalProtocolError: the password cannot be encoded.
    """
    if iterations < 1:
        raise InterfaceError(f"the SCRAM iteration count must be at least 1, got {iterations}")
    return hashlib.pbkdf2_hmac("sha256", scram_password_bytes(password), salt, iterations)


def client_proof(salted: bytes, auth_message: bytes) -> bytes:
    """``ClientProof := ClientKey XOR HMAC(H(ClientKey), AuthMessage)`` (RFC 5802, section 3).

    Args:
        salted: the result of :func:`salted_password`.
        auth_message: client-first-message-bare "," server-first-message ","
            client-final-message-without-proof.

    Returns:
        The 32-byte proof, sent base64-encoded as ``p=``.
    """
    client_key = _hmac(salted, b"Client Key")
    return _xor(client_key, _hmac(hashlib.sha256(client_key).digest(), auth_message))


def server_signature(salted: bytes, auth_message: bytes) -> bytes:
    """``ServerSignature := HMAC(HMAC(SaltedPassword, "Server Key"), AuthMessage)`` (RFC 5802, 3).

    Args:
        salted: the result of :func:`salted_password`.
        auth_message: as for :func:`client_proof`.

    Returns:
        The 32-byte signature, sent base64-encoded as ``v=``.
    """
    return _hmac(_hmac(salted, b"Server Key"), auth_message)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(value: str, what: str, fail: type[Exception] = AuthenticationError) -> bytes:
    try:
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise fail(f"{what} is not valid base64") from None


def _make_nonce(nonce: str | None) -> str:
    if nonce is None:
        return _b64(secrets.token_bytes(RAW_NONCE_LENGTH))
    if not _NONCE.fullmatch(nonce):
        raise InterfaceError("a SCRAM nonce must be non-empty visible ASCII without ','")
    return nonce


def _decode(data: bytes, what: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise AuthenticationError(f"malformed SCRAM {what}: not valid UTF-8") from None


def _attributes(message: str, what: str, names: str) -> dict[str, str]:
    """Split ``message`` into its leading attributes, which must be ``names`` in that order.

    Returns the values by name. Further attributes are extensions, which RFC 5802 section 7
    lets a peer add and tells the other side to ignore; only the reserved mandatory-extension
    ``m=`` must make the exchange fail.
    """
    parts = message.split(",")
    if parts[0].startswith("m="):
        raise AuthenticationError(f"SCRAM {what} requires an extension (m=) that is not supported")
    values: dict[str, str] = {}
    for index, part in enumerate(parts):
        if len(part) < 2 or part[1] != "=" or not part[0].isascii() or not part[0].isalpha():
            raise AuthenticationError(f"malformed SCRAM {what}: attribute {index + 1} is not x=value")
        if index < len(names):
            if part[0] != names[index]:
                raise AuthenticationError(
                    f"malformed SCRAM {what}: expected attribute {names[index]!r} at position {index + 1}, "
                    f"got {part[0]!r}"
                )
            values[part[0]] = part[2:]
    if len(parts) < len(names):
        raise AuthenticationError(f"malformed SCRAM {what}: attribute {names[len(parts)]!r} is missing")
    return values


def _iterations(value: str, what: str) -> int:
    if not _DIGITS.fullmatch(value) or not 1 <= int(value) <= MAX_ITERATIONS:
        raise AuthenticationError(f"malformed SCRAM {what}: invalid iteration count {value!r}")
    return int(value)


class ScramClient:
    """The client side of one SCRAM-SHA-256(-PLUS) exchange, sans-IO.

    Call :meth:`initial_response` for the ``SASLInitialResponse``, :meth:`continue_` with the
    data of ``AuthenticationSASLContinue`` for the ``SASLResponse``, and :meth:`finish` with the
    data of ``AuthenticationSASLFinal``. Only after :meth:`finish` returns has the server proved
    that it knows the password (:attr:`is_finished`).

    The password is kept only until the salted password is derived, and never appears in
    ``repr()`` or in an error.
    """

    __slots__ = (
        "_binding_data",
        "_client_first_bare",
        "_expected_signature",
        "_gs2_header",
        "_nonce",
        "_password",
        "_state",
        "mechanism",
    )

    def __init__(
        self,
        password: str,
        mechanisms: Iterable[str],
        *,
        channel_binding_data: bytes | None = None,
        channel_binding: ChannelBinding = "prefer",
        nonce: str | None = None,
        username: str = "",
    ) -> None:
        """Pick the mechanism and prepare the exchange.

        Args:
            password: the password.
            mechanisms: the mechanism names from ``AuthenticationSASL``.
            channel_binding_data: the ``tls-server-end-point`` hash of the server certificate
                when the connection uses TLS (see :func:`tls_server_end_point_hash`), else None.
            channel_binding: libpq's policy. ``"prefer"`` uses SCRAM-SHA-256-PLUS when there
                is binding data and the server offers it; ``"require"`` fails otherwise;
                ``"disable"`` never binds.
            nonce: the client nonce (visible ASCII, no ``,``); 18 random bytes in base64 when
                omitted. Tests pass a fixed one.
            username: the SCRAM user name. PostgreSQL ignores it and uses the startup
                message's, so leave it empty; it is here for RFC test vectors.

        Raises:
            ClientConfigurationError: ``channel_binding`` is not one of the three policies.
            AuthenticationError: no offered mechanism is usable, or ``"require"`` cannot be met.
            InterfaceError: ``nonce`` or ``channel_binding_data`` is malformed.
        """
        if channel_binding not in _POLICIES:
            raise ClientConfigurationError(
                f"channel_binding must be one of {', '.join(_POLICIES)}, got {channel_binding!r}"
            )
        if channel_binding_data is not None and not channel_binding_data:
            raise InterfaceError("channel_binding_data must not be empty; pass None without TLS")
        offered = tuple(mechanisms)
        can_bind = channel_binding_data is not None and channel_binding != "disable"
        if can_bind and SCRAM_SHA_256_PLUS in offered:
            self.mechanism: str = SCRAM_SHA_256_PLUS
            self._gs2_header = f"p={CHANNEL_BINDING_TYPE},,"
        elif channel_binding == "require":
            raise AuthenticationError(
                "channel binding is required, but "
                + (
                    "the server did not offer SCRAM-SHA-256-PLUS"
                    if can_bind
                    else "no TLS server certificate hash is available to bind to"
                ),
                detail=f"server offered: {', '.join(offered) or 'nothing'}",
                hint="connect with TLS to a server that offers channel binding, or relax channel_binding",
            )
        elif SCRAM_SHA_256 in offered:
            self.mechanism = SCRAM_SHA_256
            # RFC 5802 section 6: "y" says "I could bind, but you did not offer it", which lets a
            # server that does support binding detect that the mechanism list was stripped.
            self._gs2_header = "y,," if can_bind else "n,,"
        else:
            raise AuthenticationError(
                "none of the server's SASL authentication mechanisms is supported",
                detail=f"server offered: {', '.join(offered) or 'nothing'}; "
                f"supported: {SCRAM_SHA_256_PLUS} (with TLS), {SCRAM_SHA_256}",
            )
        self._binding_data = (channel_binding_data or b"") if self.mechanism == SCRAM_SHA_256_PLUS else b""
        self._nonce = _make_nonce(nonce)
        self._password = password
        # RFC 5802 section 5.1: "=" and "," in a user name are escaped as "=3D" and "=2C".
        saslname = username.replace("=", "=3D").replace(",", "=2C")
        self._client_first_bare = f"n={saslname},r={self._nonce}"
        self._expected_signature = b""
        self._state: Literal["initial", "first-sent", "final-sent", "finished"] = "initial"

    def __repr__(self) -> str:
        return f"<ScramClient {self.mechanism} {self._state}>"

    @property
    def is_finished(self) -> bool:
        """Whether the server's signature was verified: the server knows the password."""
        return self._state == "finished"

    @property
    def is_channel_bound(self) -> bool:
        """Whether the finished exchange used channel binding (SCRAM-SHA-256-PLUS)."""
        return self.is_finished and self.mechanism == SCRAM_SHA_256_PLUS

    def initial_response(self) -> tuple[str, bytes]:
        """The mechanism and the client-first-message, for ``SASLInitialResponse``.

        Returns:
            ``(mechanism, data)``; ``data`` is ``gs2-header client-first-message-bare``, for
            PostgreSQL ``n,,n=,r=<nonce>`` (or ``y,,`` / ``p=tls-server-end-point,,``).

        Raises:
            LocalProtocolError: called twice.
        """
        if self._state != "initial":
            raise LocalProtocolError("the SCRAM client-first-message was already sent")
        self._state = "first-sent"
        return self.mechanism, (self._gs2_header + self._client_first_bare).encode()

    def continue_(self, server_first: bytes) -> bytes:
        """Answer the server-first-message with the client-final-message (the proof).

        Args:
            server_first: the data of ``AuthenticationSASLContinue``.

        Returns:
            The client-final-message, for ``SASLResponse``.

        Raises:
            AuthenticationError: the message is malformed, the server nonce does not extend
                ours, the salt is not base64, or the iteration count is not a positive integer.
            RemoteProtocolError: the server sent it at the wrong step of the exchange.
            LocalProtocolError: the password cannot be encoded.
        """
        if self._state != "first-sent":
            raise RemoteProtocolError("unexpected SCRAM server-first-message at this step of the exchange")
        what = "server-first-message"
        message = _decode(server_first, what)
        values = _attributes(message, what, "rsi")
        nonce = values["r"]
        # RFC 5802 section 5.1: the server appends its own part to our nonce.
        if not nonce.startswith(self._nonce) or len(nonce) == len(self._nonce):
            raise AuthenticationError(
                "SCRAM server nonce does not extend the client nonce: the exchange was tampered with or "
                "the server is broken"
            )
        if not _NONCE.fullmatch(nonce):
            raise AuthenticationError(f"malformed SCRAM {what}: the nonce is not visible ASCII without ','")
        salt = _unb64(values["s"], f"SCRAM {what} salt")
        salted = salted_password(self._password, salt, _iterations(values["i"], what))
        self._password = ""
        binding = _b64(self._gs2_header.encode("ascii") + self._binding_data)
        without_proof = f"c={binding},r={nonce}"
        # RFC 5802 section 3: AuthMessage, what both proofs sign.
        auth_message = f"{self._client_first_bare},{message},{without_proof}".encode()
        proof = client_proof(salted, auth_message)
        self._expected_signature = server_signature(salted, auth_message)
        self._state = "final-sent"
        return f"{without_proof},p={_b64(proof)}".encode("ascii")

    def finish(self, server_final: bytes) -> None:
        """Check the server-final-message: the server's proof that it knows the password.

        Args:
            server_final: the data of ``AuthenticationSASLFinal``.

        Raises:
            AuthenticationError: the server reported an error (``e=``), the message is
                malformed, or the server signature does not match.
            RemoteProtocolError: the server sent it at the wrong step of the exchange.
        """
        if self._state != "final-sent":
            raise RemoteProtocolError("unexpected SCRAM server-final-message at this step of the exchange")
        what = "server-final-message"
        message = _decode(server_final, what)
        if message.startswith("e="):
            # RFC 5802 section 7: server-error = "e=" server-error-value
            raise AuthenticationError(f"the server rejected the SCRAM exchange: {message[2:].split(',')[0]}")
        values = _attributes(message, what, "v")
        signature = _unb64(values["v"], f"SCRAM {what} signature")
        if not hmac.compare_digest(signature, self._expected_signature):
            raise AuthenticationError(_WRONG_SIGNATURE)
        self._state = "finished"
