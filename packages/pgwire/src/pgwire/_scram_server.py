"""The server role of SCRAM-SHA-256(-PLUS): stored verifiers and the server's half of the exchange.

For fake servers, proxies and tests. :class:`ScramVerifier` is what PostgreSQL keeps in
``pg_authid.rolpassword`` (``SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>``, see
the "Password Authentication" section of the docs); :class:`ScramServer` checks a client
against it with the checks of RFC 5802 section 5 and of PostgreSQL's own server: the client
proof, the nonce, and the channel binding data and flag (RFC 5929, RFC 5802 section 6).
The client role and the shared functions are in :mod:`pgwire._scram`.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field
from typing import Final, Literal

from pgwire._auth_errors import AuthenticationError
from pgwire._client_errors import ClientConfigurationError, RemoteProtocolError
from pgwire._scram import (
    _KEY_LENGTH,
    _NONCE,
    CHANNEL_BINDING_TYPE,
    DEFAULT_ITERATIONS,
    DEFAULT_SALT_LENGTH,
    MAX_ITERATIONS,
    SCRAM_SHA_256,
    SCRAM_SHA_256_PLUS,
    _attributes,
    _b64,
    _decode,
    _hmac,
    _make_nonce,
    _unb64,
    _xor,
    salted_password,
)

__all__ = ["ScramServer", "ScramVerifier", "scram_verifier"]

# RFC 5802 section 7: gs2-header = gs2-cbind-flag "," [ authzid ] ","
_GS2_HEADER: Final = re.compile(r"(n|y|p=[A-Za-z0-9.-]+),(a=[^,]*)?,")


@dataclass(frozen=True, slots=True)
class ScramVerifier:
    """What a server stores instead of the password: PostgreSQL's SCRAM secret.

    ``str()`` gives PostgreSQL's ``rolpassword`` text; :meth:`parse` reads it back. The keys are
    left out of ``repr()``: with them a server can be impersonated.
    """

    iterations: int
    salt: bytes
    stored_key: bytes = field(repr=False)
    server_key: bytes = field(repr=False)

    @classmethod
    def from_password(
        cls, password: str, salt: bytes | None = None, iterations: int = DEFAULT_ITERATIONS
    ) -> ScramVerifier:
        """Compute the verifier for ``password``.

        Args:
            password: the password (SASLprep is applied as PostgreSQL applies it).
            salt: the salt; 16 random bytes when omitted, as PostgreSQL does.
            iterations: the iteration count; PostgreSQL's default is 4096.

        Returns:
            The verifier.

        Raises:
            InterfaceError: ``iterations`` is below 1.
        """
        salt = secrets.token_bytes(DEFAULT_SALT_LENGTH) if salt is None else salt
        salted = salted_password(password, salt, iterations)
        stored_key = hashlib.sha256(_hmac(salted, b"Client Key")).digest()
        return cls(iterations, salt, stored_key, _hmac(salted, b"Server Key"))

    @classmethod
    def parse(cls, text: str) -> ScramVerifier:
        """Read PostgreSQL's ``SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>``.

        Args:
            text: the stored secret, as in ``pg_authid.rolpassword``.

        Returns:
            The verifier.

        Raises:
            ClientConfigurationError: ``text`` is not a SCRAM-SHA-256 verifier.
        """
        match = re.fullmatch(r"SCRAM-SHA-256\$([0-9]{1,10}):([^$:]+)\$([^$:]+):([^$:]+)", text)
        if match is None:
            raise ClientConfigurationError(
                "not a SCRAM-SHA-256 verifier: "
                "expected SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>"
            )
        iterations = int(match[1])
        if not 1 <= iterations <= MAX_ITERATIONS:
            raise ClientConfigurationError(f"SCRAM verifier has an invalid iteration count {iterations}")
        salt, stored_key, server_key = (
            _unb64(match[n], f"SCRAM verifier {name}", ClientConfigurationError)
            for n, name in ((2, "salt"), (3, "StoredKey"), (4, "ServerKey"))
        )
        if len(stored_key) != _KEY_LENGTH or len(server_key) != _KEY_LENGTH:
            raise ClientConfigurationError(f"SCRAM verifier keys must be {_KEY_LENGTH} bytes")
        return cls(iterations, salt, stored_key, server_key)

    def __str__(self) -> str:
        return (
            f"SCRAM-SHA-256${self.iterations}:{_b64(self.salt)}"
            f"${_b64(self.stored_key)}:{_b64(self.server_key)}"
        )


def scram_verifier(password: str, salt: bytes | None = None, iterations: int = DEFAULT_ITERATIONS) -> str:
    """PostgreSQL's stored form of a SCRAM-SHA-256 password (what ``CREATE ROLE ... PASSWORD`` keeps).

    Args:
        password: the password.
        salt: the salt; 16 random bytes when omitted.
        iterations: the iteration count, at least 1.

    Returns:
        ``"SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>"``, base64 fields.

    Raises:
        InterfaceError: ``iterations`` is below 1.
    """
    return str(ScramVerifier.from_password(password, salt, iterations))


class ScramServer:
    """The server side of one SCRAM-SHA-256(-PLUS) exchange, for fake servers and proxies.

    Offer :attr:`mechanisms` in ``AuthenticationSASL``; pass the ``SASLInitialResponse`` to
    :meth:`server_first` and send its result in ``AuthenticationSASLContinue``; pass the
    ``SASLResponse`` to :meth:`server_final` and send its result in ``AuthenticationSASLFinal``
    followed by ``AuthenticationOk``. A failed check raises :class:`AuthenticationError`; a
    server answers it as PostgreSQL does, with an ``ErrorResponse`` (SQLSTATE 28P01).
    """

    __slots__ = (
        "_auth_prefix",
        "_binding_data",
        "_gs2_header",
        "_nonce",
        "_server_nonce",
        "_state",
        "verifier",
    )

    def __init__(
        self,
        verifier: ScramVerifier | str,
        *,
        channel_binding_data: bytes | None = None,
        nonce: str | None = None,
    ) -> None:
        """Prepare an exchange against a stored verifier.

        Args:
            verifier: the stored secret, parsed or as PostgreSQL's text.
            channel_binding_data: the ``tls-server-end-point`` hash of this server's certificate
                when the connection uses TLS; SCRAM-SHA-256-PLUS is offered only then.
            nonce: the server's part of the nonce; 18 random bytes in base64 when omitted.

        Raises:
            ClientConfigurationError: ``verifier`` text is not a SCRAM-SHA-256 verifier.
            InterfaceError: ``nonce`` is malformed.
        """
        self.verifier = ScramVerifier.parse(verifier) if isinstance(verifier, str) else verifier
        self._binding_data = channel_binding_data
        self._server_nonce = _make_nonce(nonce)
        self._nonce = ""
        self._gs2_header = ""
        self._auth_prefix = ""
        self._state: Literal["initial", "first-sent", "finished"] = "initial"

    def __repr__(self) -> str:
        return f"<ScramServer {self._state}>"

    @property
    def mechanisms(self) -> tuple[str, ...]:
        """The mechanisms to offer, in PostgreSQL's order: PLUS first when there is TLS."""
        if self._binding_data is not None:
            return (SCRAM_SHA_256_PLUS, SCRAM_SHA_256)
        return (SCRAM_SHA_256,)

    @property
    def is_finished(self) -> bool:
        """Whether the client proved that it knows the password."""
        return self._state == "finished"

    def server_first(self, mechanism: str, client_first: bytes) -> bytes:
        """Check the client-first-message and answer with the server-first-message.

        Args:
            mechanism: the mechanism named in ``SASLInitialResponse``.
            client_first: its data.

        Returns:
            ``r=<nonce>,s=<salt>,i=<iterations>``, for ``AuthenticationSASLContinue``.

        Raises:
            AuthenticationError: an unknown mechanism, a malformed message, an authorization
                identity, or a channel binding flag that contradicts the mechanism or the
                server (the checks of PostgreSQL's ``read_client_first_message``).
            RemoteProtocolError: the client sent it at the wrong step of the exchange.
        """
        if self._state != "initial":
            raise RemoteProtocolError("unexpected SCRAM client-first-message at this step of the exchange")
        if mechanism not in self.mechanisms:
            raise AuthenticationError(f"the client selected an unsupported SASL mechanism {mechanism!r}")
        what = "client-first-message"
        message = _decode(client_first, what)
        header = _GS2_HEADER.match(message)
        if header is None:
            raise AuthenticationError(f"malformed SCRAM {what}: invalid GS2 header")
        flag = header[1]
        if header[2] is not None:
            raise AuthenticationError("SCRAM authorization identities (a=) are not supported")
        plus = mechanism == SCRAM_SHA_256_PLUS
        if flag.startswith("p="):
            if flag[2:] != CHANNEL_BINDING_TYPE:
                raise AuthenticationError(f"unsupported SCRAM channel binding type {flag[2:]!r}")
            if not plus:
                raise AuthenticationError(
                    f"the client selected {SCRAM_SHA_256} without channel binding, "
                    "but its message asks for channel binding"
                )
        elif plus:
            raise AuthenticationError(
                f"the client selected {SCRAM_SHA_256_PLUS}, but its message does not use channel binding"
            )
        elif flag == "y" and self._binding_data is not None:
            # RFC 5802 section 6: the client could bind and thinks we cannot, but we offered PLUS,
            # so someone removed it from the mechanism list on the way: a downgrade attack.
            raise AuthenticationError(
                "SCRAM channel binding negotiation error: the client supports channel binding and "
                "thinks the server does not, but it does (the mechanism list was tampered with)"
            )
        bare = message[header.end() :]
        values = _attributes(bare, what, "nr")
        if not _NONCE.fullmatch(values["r"]):
            raise AuthenticationError(f"malformed SCRAM {what}: invalid nonce")
        self._gs2_header = header[0]
        self._nonce = values["r"] + self._server_nonce
        verifier = self.verifier
        server_first = f"r={self._nonce},s={_b64(verifier.salt)},i={verifier.iterations}"
        self._auth_prefix = f"{bare},{server_first},"
        self._state = "first-sent"
        return server_first.encode("ascii")

    def server_final(self, client_final: bytes) -> bytes:
        """Verify the client's proof and channel binding; answer with the server signature.

        Args:
            client_final: the data of ``SASLResponse``.

        Returns:
            ``v=<ServerSignature>``, for ``AuthenticationSASLFinal``.

        Raises:
            AuthenticationError: the proof is wrong (the client does not know the password),
                the channel binding data or the nonce does not match, or the message is malformed.
            RemoteProtocolError: the client sent it at the wrong step of the exchange.
        """
        if self._state != "first-sent":
            raise RemoteProtocolError("unexpected SCRAM client-final-message at this step of the exchange")
        what = "client-final-message"
        message = _decode(client_final, what)
        # RFC 5802 section 7: client-final-message = without-proof "," proof; the proof is last.
        without_proof, sep, proof_attribute = message.rpartition(",")
        if not sep or not proof_attribute.startswith("p="):
            raise AuthenticationError(f"malformed SCRAM {what}: the proof (p=) must be the last attribute")
        values = _attributes(without_proof, what, "cr")
        expected_binding = self._gs2_header.encode("ascii")
        if self._gs2_header.startswith("p="):
            # server_first refused "p=" when this server has no binding data.
            expected_binding += self._binding_data or b""
        if not hmac.compare_digest(_unb64(values["c"], f"SCRAM {what} channel binding"), expected_binding):
            raise AuthenticationError(
                "SCRAM channel binding check failed: the client saw a different server certificate "
                "(the connection may pass through a man in the middle)"
            )
        if values["r"] != self._nonce:
            raise AuthenticationError(
                "SCRAM nonce mismatch: this client-final-message is for another exchange"
            )
        proof = _unb64(proof_attribute[2:], f"SCRAM {what} proof")
        if len(proof) != _KEY_LENGTH:
            raise AuthenticationError(f"malformed SCRAM {what}: the proof must be {_KEY_LENGTH} bytes")
        auth_message = (self._auth_prefix + without_proof).encode()
        verifier = self.verifier
        client_key = _xor(proof, _hmac(verifier.stored_key, auth_message))
        if not hmac.compare_digest(hashlib.sha256(client_key).digest(), verifier.stored_key):
            raise AuthenticationError(
                "SCRAM client proof does not match the stored verifier: wrong password",
                hint="the client does not know the password for this role",
            )
        self._state = "finished"
        return ("v=" + _b64(_hmac(verifier.server_key, auth_message))).encode("ascii")
