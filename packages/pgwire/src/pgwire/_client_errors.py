"""Exceptions raised on the client side: API misuse, configuration and protocol errors.

The class names and bases follow asyncpg's exception hierarchy so that code written for it
catches the same things. Server errors (``ErrorResponse``) are a separate family, in
:mod:`pgwire._postgres_message` and the generated :mod:`pgwire._sqlstate`.
"""

from __future__ import annotations

from typing import Any, Self

__all__ = [
    "ClientConfigurationError",
    "InterfaceError",
    "InterfaceMessage",
    "InterfaceWarning",
    "InternalClientError",
    "LocalProtocolError",
    "OutdatedSchemaCacheError",
    "ProtocolError",
    "RemoteProtocolError",
    "TargetServerAttributeNotMatched",
    "UnsupportedClientFeatureError",
    "UnsupportedServerFeatureError",
]


class InterfaceMessage:
    """Mixin giving client-side errors and warnings a ``detail`` and a ``hint``.

    ``str()`` renders as ``message``, then ``DETAIL:`` and ``HINT:`` lines when they are set,
    the same layout PostgreSQL's own errors use.
    """

    args: tuple[Any, ...]

    def __init__(self, msg: str, *, detail: str | None = None, hint: str | None = None) -> None:
        self.detail = detail
        self.hint = hint
        super().__init__(msg)  # type: ignore[call-arg]  # cooperates with the Exception base

    def __str__(self) -> str:
        text = str(self.args[0]) if self.args else ""
        if self.detail:
            text += "\nDETAIL:  " + self.detail
        if self.hint:
            text += "\nHINT:  " + self.hint
        return text

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_interface_message, (type(self), self.args[0] if self.args else "", self.__dict__))


def _rebuild_interface_message(
    cls: type[InterfaceMessage], msg: str, state: dict[str, Any]
) -> InterfaceMessage:
    error = cls.__new__(cls)
    InterfaceMessage.__init__(error, msg)
    error.__dict__.update(state)
    return error


class InterfaceError(InterfaceMessage, Exception):
    """The API was used wrongly: a closed connection, a bad argument, an operation in progress."""

    def with_msg(self, msg: str) -> Self:
        """Return a copy of this error with another message, keeping detail, hint and traceback."""
        copy = type(self).__new__(type(self))
        InterfaceMessage.__init__(copy, msg, detail=self.detail, hint=self.hint)
        copy.__dict__.update({k: v for k, v in self.__dict__.items() if k not in ("detail", "hint")})
        return copy.with_traceback(self.__traceback__)


class ClientConfigurationError(InterfaceError, ValueError):
    """A connection option or configuration value is invalid."""


class UnsupportedClientFeatureError(InterfaceError):
    """The request needs something this client does not implement."""


class UnsupportedServerFeatureError(InterfaceError):
    """The request needs something the connected server does not offer."""


class InterfaceWarning(InterfaceMessage, UserWarning):
    """A warning about API use that is not an error (for example listeners left registered)."""


class InternalClientError(Exception):
    """Something went wrong inside the client; not caused by API misuse."""


class ProtocolError(InternalClientError):
    """The frontend/backend protocol was violated; the connection cannot continue in sync."""


class LocalProtocolError(ProtocolError):
    """This side tried to do something the protocol does not allow in the current state.

    Raised by ``send()`` before any byte is produced, so nothing has been half-sent.
    """


class RemoteProtocolError(ProtocolError):
    """The peer sent bytes that break the protocol: malformed, oversized or out of place."""


class TargetServerAttributeNotMatched(InternalClientError):
    """No host matched the requested ``target_session_attrs``."""


class OutdatedSchemaCacheError(InternalClientError):
    """A cached type description no longer matches the server (for example a changed composite)."""

    def __init__(
        self,
        msg: str,
        *,
        schema: str | None = None,
        data_type: str | None = None,
        position: str | None = None,
    ) -> None:
        super().__init__(msg)
        self.schema_name = schema
        self.data_type_name = data_type
        self.position = position
