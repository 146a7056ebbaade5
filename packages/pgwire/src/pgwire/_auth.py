"""The client's side of authentication: what to answer to each request, and which to refuse.

The connection state machine decodes an ``Authentication*`` request and asks a
:class:`ClientAuthenticator` for the answer: :meth:`~ClientAuthenticator.cleartext` or
:meth:`~ClientAuthenticator.md5` for a ``PasswordMessage``, the ``sasl_*`` methods for the SCRAM
exchange, and :meth:`~ClientAuthenticator.ok` when ``AuthenticationOk`` arrives. Two of libpq's
connection parameters set the policy ("Parameter Key Words" in the libpq docs):
``require_auth`` (which methods the server may use; by default any, or none at all) and
``channel_binding`` (``disable`` / ``prefer`` / ``require``). Only bytes and str go in and out.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from pgwire._auth_errors import AuthenticationError
from pgwire._client_errors import ClientConfigurationError, InterfaceError, RemoteProtocolError
from pgwire._md5 import md5_password
from pgwire._scram import ChannelBinding, ScramClient

__all__ = ["AUTH_METHODS", "ClientAuthenticator", "parse_require_auth"]

# libpq's require_auth methods: the request kinds a server can make, plus "none" for no request.
AUTH_METHODS: Final = frozenset({"password", "md5", "gss", "sspi", "scram-sha-256", "none"})
_NOT_BOUND: Final = (
    "channel binding is required, but the server authenticated the client without channel binding"
)


def parse_require_auth(value: str | None) -> frozenset[str]:
    """The methods that libpq's ``require_auth`` setting allows.

    ``None`` or ``""`` allows every method, and no authentication at all. A list allows exactly
    the listed methods; a list of negated methods (``"!password,!md5"``) allows all the others.
    ``none`` stands for a server that asks for no authentication.

    Args:
        value: the setting, a comma-separated list.

    Returns:
        The allowed methods, a subset of :data:`AUTH_METHODS`.

    Raises:
        ClientConfigurationError: an unknown method, a method listed twice, or negated and
            plain methods mixed (libpq refuses these too).
    """
    if not value:
        return AUTH_METHODS
    listed: set[str] = set()
    negated: set[bool] = set()
    for item in value.split(","):
        method = item.strip()
        negated.add(method.startswith("!"))
        method = method.removeprefix("!")
        if method not in AUTH_METHODS:
            raise ClientConfigurationError(
                f"invalid require_auth method {method!r}",
                hint=f"valid methods: {', '.join(sorted(AUTH_METHODS))}, each optionally negated with '!'",
            )
        if method in listed:
            raise ClientConfigurationError(f"require_auth method {method!r} is listed more than once")
        listed.add(method)
    if len(negated) > 1:
        raise ClientConfigurationError("require_auth cannot mix negated (!) and plain methods")
    return AUTH_METHODS - listed if True in negated else frozenset(listed)


class ClientAuthenticator:
    """Answers one connection's authentication requests, under the client's policy.

    Every request is first checked against ``require_auth`` and ``channel_binding``, so the
    client never sends anything derived from the password to a server using a method it refused.
    With ``channel_binding="require"`` only SCRAM-SHA-256-PLUS is answered (as in libpq), and
    :meth:`ok` insists that it completed. The password never appears in ``repr()`` or errors.
    """

    __slots__ = (
        "_allowed",
        "_channel_binding",
        "_channel_binding_data",
        "_method",
        "_nonce",
        "_password",
        "_require_auth",
        "_scram",
        "user",
    )

    def __init__(
        self,
        user: str,
        password: str | None,
        *,
        channel_binding_data: bytes | None = None,
        channel_binding: ChannelBinding = "prefer",
        require_auth: str | None = None,
        nonce: str | None = None,
    ) -> None:
        """Set up the policy; nothing is computed until the server asks.

        Args:
            user: the role name sent in the startup message (MD5 hashes it in).
            password: the password, or None when none was configured.
            channel_binding_data: the ``tls-server-end-point`` hash of the server certificate
                when the connection uses TLS, else None.
            channel_binding: libpq's ``channel_binding``: ``disable``, ``prefer`` or ``require``.
            require_auth: libpq's ``require_auth`` (see :func:`parse_require_auth`); None allows all.
            nonce: the SCRAM client nonce, for tests; random when omitted.

        Raises:
            ClientConfigurationError: ``channel_binding`` or ``require_auth`` is invalid.
        """
        if channel_binding not in ("disable", "prefer", "require"):
            raise ClientConfigurationError(
                f"channel_binding must be one of disable, prefer, require, got {channel_binding!r}"
            )
        self.user = user
        self._password = password
        self._channel_binding_data = channel_binding_data
        self._channel_binding: ChannelBinding = channel_binding
        self._allowed = parse_require_auth(require_auth)
        self._require_auth = require_auth
        self._nonce = nonce
        self._method: str | None = None
        self._scram: ScramClient | None = None

    def __repr__(self) -> str:
        return f"<ClientAuthenticator user={self.user!r} method={self._method or 'none yet'}>"

    @property
    def method(self) -> str | None:
        """The ``require_auth`` name of the method the server asked for; None before any request."""
        return self._method

    @property
    def is_channel_bound(self) -> bool:
        """Whether a SCRAM-SHA-256-PLUS exchange bound authentication to the TLS channel."""
        return self._scram is not None and self._scram.is_channel_bound

    def check_method(self, method: str) -> None:
        """Check that the server may authenticate with ``method``; called for every request.

        The state machine calls it directly for requests this class does not answer (``gss``,
        ``sspi``); the answering methods below call it themselves.

        Args:
            method: a ``require_auth`` method name other than ``none``.

        Raises:
            AuthenticationError: ``require_auth`` does not allow the method, or
                ``channel_binding="require"`` and the method is not SCRAM.
            InterfaceError: ``method`` is not a method name.
        """
        if method not in AUTH_METHODS or method == "none":
            raise InterfaceError(f"unknown authentication method {method!r}")
        # libpq: with channel_binding=require, answering a non-SASL request could leak the
        # password (or a hash of it) to a server that has not proved anything.
        if self._channel_binding == "require" and method != "scram-sha-256":
            raise AuthenticationError(
                f"channel binding is required, but the server requested {method} authentication",
                hint="channel binding needs SCRAM-SHA-256-PLUS over TLS",
            )
        if method not in self._allowed:
            raise AuthenticationError(
                f'authentication method requirement "{self._require_auth}" failed: '
                f"the server requested {method} authentication"
            )
        self._method = method

    def _password_or_fail(self) -> str:
        if self._password is None:
            raise AuthenticationError(
                f"the server requested {self._method} authentication, but no password was supplied"
            )
        return self._password

    def cleartext(self) -> str:
        """Answer ``AuthenticationCleartextPassword``: the password for a ``PasswordMessage``.

        Raises:
            AuthenticationError: the policy refuses cleartext passwords, or there is no password.
        """
        self.check_method("password")
        return self._password_or_fail()

    def md5(self, salt: bytes) -> str:
        """Answer ``AuthenticationMD5Password``: the hashed password for a ``PasswordMessage``.

        Args:
            salt: the 4-byte salt of the request.

        Raises:
            AuthenticationError: the policy refuses MD5, or there is no password.
            InterfaceError: ``salt`` is not 4 bytes.
        """
        self.check_method("md5")
        return md5_password(self.user, self._password_or_fail(), salt)

    def sasl_start(self, mechanisms: Iterable[str]) -> tuple[str, bytes]:
        """Answer ``AuthenticationSASL``: the mechanism and data for ``SASLInitialResponse``.

        Args:
            mechanisms: the mechanisms the server offered.

        Raises:
            AuthenticationError: the policy refuses SCRAM, there is no password, no offered
                mechanism is usable, or ``channel_binding="require"`` cannot be met.
            RemoteProtocolError: the server started a second SASL exchange.
        """
        if self._scram is not None:
            raise RemoteProtocolError("the server started a second SASL authentication exchange")
        self.check_method("scram-sha-256")
        self._scram = ScramClient(
            self._password_or_fail(),
            mechanisms,
            channel_binding_data=self._channel_binding_data,
            channel_binding=self._channel_binding,
            nonce=self._nonce,
        )
        return self._scram.initial_response()

    def _exchange(self, step: str) -> ScramClient:
        if self._scram is None:
            raise RemoteProtocolError(f"the server sent {step} without starting a SASL exchange")
        return self._scram

    def sasl_continue(self, data: bytes) -> bytes:
        """Answer ``AuthenticationSASLContinue``: the data for ``SASLResponse``.

        Raises:
            AuthenticationError: the server-first-message is malformed or tampered with.
            RemoteProtocolError: no SASL exchange is in progress, or it is at another step.
        """
        return self._exchange("AuthenticationSASLContinue").continue_(data)

    def sasl_final(self, data: bytes) -> None:
        """Check ``AuthenticationSASLFinal``: the server's signature.

        Raises:
            AuthenticationError: the server signature does not match, or the server sent an error.
            RemoteProtocolError: no SASL exchange is in progress, or it is at another step.
        """
        self._exchange("AuthenticationSASLFinal").finish(data)

    def ok(self) -> None:
        """Check that ``AuthenticationOk`` may be accepted now.

        A server that skipped authentication must be allowed to (``none`` in ``require_auth``);
        a SCRAM exchange must have finished, because only ``AuthenticationSASLFinal`` proves
        that the server knows the password; ``channel_binding="require"`` needs that exchange to
        have been channel-bound.

        Raises:
            AuthenticationError: one of those checks failed.
        """
        if self._method is None:
            if self._channel_binding == "require":
                raise AuthenticationError(_NOT_BOUND)
            if "none" not in self._allowed:
                raise AuthenticationError(
                    f'authentication method requirement "{self._require_auth}" failed: '
                    "the server did not complete authentication"
                )
            return
        scram = self._scram
        if scram is not None and not scram.is_finished:
            raise AuthenticationError(
                "the server sent AuthenticationOk before finishing the SCRAM exchange, so it never "
                "proved that it knows the password",
                hint="the server may be an impostor; check the host you connect to",
            )
        if self._channel_binding == "require" and (scram is None or not scram.is_channel_bound):
            raise AuthenticationError(_NOT_BOUND)
