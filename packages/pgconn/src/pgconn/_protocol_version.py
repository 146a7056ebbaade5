"""The frontend/backend protocol versions a connection may speak: libpq's two settings.

libpq 18 ("Parameter Key Words"): ``max_protocol_version`` is the version asked for in the
StartupMessage, ``min_protocol_version`` the oldest one accepted after the server's
NegotiateProtocolVersion; each is ``3.0``, ``3.2`` or ``latest`` (3.2). Both default to 3.0,
except that a minimum above 3.0 raises the default maximum to ``latest``. 3.0 stays the default
because poolers and other servers that do not answer NegotiateProtocolVersion refuse a 3.2
StartupMessage outright; PostgreSQL 18's 3.2 adds the longer cancel keys of BackendKeyData.
"""

from __future__ import annotations

from dataclasses import dataclass

from pgwire import PROTOCOL_3_0, PROTOCOL_3_2
from pgwire.exceptions import ClientConfigurationError

__all__ = [
    "LATEST_PROTOCOL_VERSION",
    "ProtocolVersions",
    "protocol_version_name",
    "resolve_protocol_versions",
]

#: The newest protocol version this package speaks, which ``latest`` means.
LATEST_PROTOCOL_VERSION = PROTOCOL_3_2

_NAMES = {"3.0": PROTOCOL_3_0, "3.2": PROTOCOL_3_2, "latest": LATEST_PROTOCOL_VERSION}


def protocol_version_name(code: int) -> str:
    """``"3.2"`` for the version code 196610: major and minor as PostgreSQL writes them."""
    return f"{code >> 16}.{code & 0xFFFF}"


@dataclass(frozen=True, slots=True)
class ProtocolVersions:
    """The protocol versions a connection attempt asks for and accepts.

    Attributes:
        minimum: the oldest version accepted after negotiation (a version code, 196608 = 3.0).
        maximum: the version asked for in the StartupMessage.
    """

    minimum: int = PROTOCOL_3_0
    maximum: int = PROTOCOL_3_0


def _parse(name: str, value: object) -> int:
    if isinstance(value, str) and value.strip().lower() in _NAMES:
        return _NAMES[value.strip().lower()]
    raise ClientConfigurationError(f"{name} is expected to be one of 3.0, 3.2, latest, got {value!r}")


def resolve_protocol_versions(minimum: object, maximum: object) -> ProtocolVersions:
    """The versions from the settings' values (None: not set), with libpq's defaults.

    Args:
        minimum: the ``min_protocol_version`` value, or None.
        maximum: the ``max_protocol_version`` value, or None.

    Returns:
        The resolved versions.

    Raises:
        ClientConfigurationError: a value is not ``3.0``, ``3.2`` or ``latest``, or the minimum
            is above the maximum.
    """
    low = PROTOCOL_3_0 if minimum is None else _parse("min_protocol_version", minimum)
    if maximum is None:
        high = LATEST_PROTOCOL_VERSION if low > PROTOCOL_3_0 else PROTOCOL_3_0
    else:
        high = _parse("max_protocol_version", maximum)
    if low > high:
        raise ClientConfigurationError(
            f"min_protocol_version {protocol_version_name(low)} is greater than "
            f"max_protocol_version {protocol_version_name(high)}"
        )
    return ProtocolVersions(low, high)
