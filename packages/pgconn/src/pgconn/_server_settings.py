"""``ConnectionSettings``: the server's run-time parameters, as attributes.

The server reports parameters (``server_version``, ``TimeZone``, ``application_name``, ...)
at startup and again whenever one changes; pgwire keeps the latest values, and this view
reads them live.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["ConnectionSettings"]


class ConnectionSettings:
    """The server's parameters: ``settings.server_version``, ``settings.TimeZone``, ...

    A parameter the server never reported raises ``AttributeError``.
    """

    __slots__ = ("_parameters",)

    def __init__(self, parameters: Mapping[str, str]) -> None:
        self._parameters = parameters

    def __getattr__(self, name: str) -> str:
        try:
            return self._parameters[name]
        except KeyError:
            raise AttributeError(name) from None

    def __repr__(self) -> str:
        return f"<ConnectionSettings {dict(self._parameters)!r}>"
