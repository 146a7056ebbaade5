"""Codecs of the network address types ``inet``, ``cidr``, ``macaddr`` and ``macaddr8``.

Python values follow asyncpg (reference section 9.1): ``inet`` decodes to an
``IPv4Address``/``IPv6Address`` when its prefix covers the whole address, else to an
``IPv4Interface``/``IPv6Interface`` (an address with its network); ``cidr`` decodes to
``IPv4Network``/``IPv6Network``; ``macaddr`` and ``macaddr8`` to the server's canonical text,
lower-case hex bytes joined by colons (``'08:00:2b:01:02:03'``).

Wire formats (section 8.9, "Network Address Types"; ``inet_send``/``inet_recv``,
``macaddr_send``, ``macaddr8_send`` and the matching ``*_out``/``*_in``):

- inet and cidr, binary: one byte each for the address family (``PGSQL_AF_INET`` = 2,
  ``PGSQL_AF_INET6`` = 3), the prefix length in bits, an is-cidr flag and the address length
  (4 or 16), then the address bytes in network order. Text: ``addr/bits``; ``inet_out`` leaves
  the ``/bits`` out when the prefix covers the whole address, ``cidr_out`` never does.
- macaddr: 6 bytes; macaddr8: 8 bytes. Text: the canonical colon form above.

A ``cidr`` value must have no bits set to the right of its prefix, as the server requires; an
IPv6 zone (``fe80::1%eth0``) has no place in either type and is rejected before sending.
"""

from __future__ import annotations

from ipaddress import (
    IPv4Address,
    IPv4Interface,
    IPv4Network,
    IPv6Address,
    IPv6Interface,
    IPv6Network,
    ip_address,
    ip_interface,
    ip_network,
)
from typing import Final

from pgtypes._codec import BINARY, TEXT, Codec, CodecTable, type_error

__all__ = [
    "CIDR_OID",
    "INET_OID",
    "MACADDR8_OID",
    "MACADDR_OID",
    "PGSQL_AF_INET",
    "PGSQL_AF_INET6",
    "decode_cidr_binary",
    "decode_cidr_text",
    "decode_inet_binary",
    "decode_inet_text",
    "decode_macaddr8_binary",
    "decode_macaddr_binary",
    "encode_cidr_binary",
    "encode_cidr_text",
    "encode_inet_binary",
    "encode_inet_text",
    "encode_macaddr8_binary",
    "encode_macaddr8_text",
    "encode_macaddr_binary",
    "encode_macaddr_text",
    "register",
]

INET_OID: Final = 869
CIDR_OID: Final = 650
MACADDR_OID: Final = 829
MACADDR8_OID: Final = 774

#: The server's own address family codes (utils/inet.h): AF_INET, and AF_INET + 1 for IPv6,
#: fixed so that the wire format does not depend on the platform's AF_INET6.
PGSQL_AF_INET: Final = 2
PGSQL_AF_INET6: Final = 3

InetValue = IPv4Address | IPv6Address | IPv4Interface | IPv6Interface
CidrValue = IPv4Network | IPv6Network
IPAddress = IPv4Address | IPv6Address
#: What a cidr encoder passes on to ip_network(); interfaces are address subclasses.
_CIDR_INPUTS: Final = (str, int, bytes, tuple, IPv4Address, IPv6Address, IPv4Network, IPv6Network)

_HEX_DIGITS: Final = frozenset("0123456789abcdefABCDEF")
_MAC_SEPARATORS: Final = (":", "-", ".")


def _check_no_zone(address: IPAddress, type_name: str, value: object) -> None:
    if isinstance(address, IPv6Address) and address.scope_id is not None:
        raise ValueError(
            f"invalid {type_name} value {value!r}: an IPv6 zone (%{address.scope_id}) is not allowed"
        )


def _inet_parts(value: object) -> tuple[IPAddress, int]:
    """An inet encoder's input as (address, prefix length).

    An interface and a network keep their prefix; an address gets the full-length prefix.
    """
    parsed: object = value
    if isinstance(value, str):
        try:
            parsed = ip_interface(value)
        except ValueError:
            raise ValueError(f"invalid inet value: {value!r}") from None
    # Interfaces are subclasses of the address classes, so they are tested first.
    if isinstance(parsed, IPv4Interface | IPv6Interface):
        # An interface keeps its zone on itself, not on .ip.
        _check_no_zone(parsed, "inet", value)
        return parsed.ip, parsed.network.prefixlen
    if isinstance(parsed, IPv4Address | IPv6Address):
        _check_no_zone(parsed, "inet", value)
        return parsed, parsed.max_prefixlen
    if isinstance(parsed, IPv4Network | IPv6Network):
        _check_no_zone(parsed.network_address, "inet", value)
        return parsed.network_address, parsed.prefixlen
    raise type_error("str or an ipaddress address, interface or network", value)


def _pack(address: IPAddress, bits: int, is_cidr: int) -> bytes:
    if address.version == 4:
        return bytes((PGSQL_AF_INET, bits, is_cidr, 4)) + address.packed
    return bytes((PGSQL_AF_INET6, bits, is_cidr, 16)) + address.packed


def _unpack(data: bytes, type_name: str) -> tuple[int, int, bytes]:
    """(IP version, prefix bits, address bytes) of a binary inet or cidr.

    Raises:
        ValueError: a short value, an unknown family, a wrong length or too many prefix bits.
    """
    if len(data) < 4:
        raise ValueError(f"invalid {type_name} value: expected at least 4 bytes, got {len(data)}")
    family = data[0]
    bits = data[1]
    size = data[3]
    if family == PGSQL_AF_INET:
        version, expected = 4, 4
    elif family == PGSQL_AF_INET6:
        version, expected = 6, 16
    else:
        raise ValueError(f"invalid {type_name} value: unknown address family {family}")
    if size != expected or len(data) != 4 + expected:
        raise ValueError(
            f"invalid {type_name} value: IPv{version} address of {len(data) - 4} bytes "
            f"(length byte {size}), expected {expected}"
        )
    if bits > expected * 8:
        raise ValueError(f"invalid {type_name} value: prefix of {bits} bits for an IPv{version} address")
    return version, bits, data[4:]


def encode_inet_binary(value: object) -> bytes:
    """Encode an inet value in binary.

    Args:
        value: a ``str`` (``'10.1.2.3'``, ``'10.1.2.3/24'``, ``'::1'``), or an ``ipaddress``
            address (full-length prefix), interface or network (its prefix).

    Returns:
        The ``inet_recv`` bytes.

    Raises:
        TypeError: another type.
        ValueError: a string that is not an address, or an IPv6 zone.
    """
    address, bits = _inet_parts(value)
    return _pack(address, bits, 0)


def decode_inet_binary(data: bytes) -> InetValue:
    """Decode a binary inet: an address for a full-length prefix, else an interface.

    Raises:
        ValueError: malformed data (see the module docstring for the layout).
    """
    version, bits, raw = _unpack(data, "inet")
    if version == 4:
        return IPv4Address(raw) if bits == 32 else IPv4Interface((raw, bits))
    return IPv6Address(raw) if bits == 128 else IPv6Interface((raw, bits))


def encode_inet_text(value: object) -> bytes:
    """Encode an inet value as ``addr/bits`` text; inputs and errors as :func:`encode_inet_binary`."""
    address, bits = _inet_parts(value)
    return f"{address}/{bits}".encode()


def decode_inet_text(data: bytes) -> InetValue:
    """Decode ``inet_out``'s text: ``addr`` or ``addr/bits``.

    Raises:
        ValueError: not an address.
    """
    text = data.decode()
    try:
        if "/" not in text:
            return ip_address(text)
        interface = ip_interface(text)
    except ValueError:
        raise ValueError(f"invalid inet value: {text!r}") from None
    if interface.network.prefixlen == interface.max_prefixlen:
        return interface.ip
    return interface


def _network(value: object) -> CidrValue:
    """A cidr encoder's input as a network, strictly: no bits set right of the prefix."""
    if isinstance(value, bool) or not isinstance(value, _CIDR_INPUTS):
        raise type_error("str or a value ip_network() accepts", value)
    try:
        network = ip_network(value)
    except ValueError as exc:
        raise ValueError(f"invalid cidr value {value!r}: {exc}") from None
    _check_no_zone(network.network_address, "cidr", value)
    return network


def encode_cidr_binary(value: object) -> bytes:
    """Encode a cidr value in binary.

    Args:
        value: anything :func:`ipaddress.ip_network` accepts with ``strict=True``: a ``str``
            (``'10.0.0.0/8'``), an address or network object, an ``int``, packed ``bytes``
            or an ``(address, prefix)`` tuple.

    Returns:
        The ``cidr_recv`` bytes.

    Raises:
        TypeError: another type.
        ValueError: not a network, host bits set right of the prefix, or an IPv6 zone.
    """
    network = _network(value)
    return _pack(network.network_address, network.prefixlen, 1)


def decode_cidr_binary(data: bytes) -> CidrValue:
    """Decode a binary cidr into a network.

    Raises:
        ValueError: malformed data, or host bits set right of the prefix.
    """
    version, bits, raw = _unpack(data, "cidr")
    try:
        return IPv4Network((raw, bits)) if version == 4 else IPv6Network((raw, bits))
    except ValueError as exc:
        raise ValueError(f"invalid cidr value: {exc}") from None


def encode_cidr_text(value: object) -> bytes:
    """Encode a cidr value as ``addr/bits`` text; inputs and errors as :func:`encode_cidr_binary`."""
    return str(_network(value)).encode()


def decode_cidr_text(data: bytes) -> CidrValue:
    """Decode ``cidr_out``'s text, ``addr/bits``.

    Raises:
        ValueError: not a network, or host bits set right of the prefix.
    """
    text = data.decode()
    try:
        return ip_network(text)
    except ValueError:
        raise ValueError(f"invalid cidr value: {text!r}") from None


def _mac_bytes(value: object, type_name: str) -> bytes:
    """The bytes of a MAC address written as hex digits, optionally grouped.

    Accepted: 12 or 16 hex digits, on their own or split into groups of an even number of
    digits by one kind of separator, ``:``, ``-`` or ``.`` (``08:00:2b:01:02:03``,
    ``08-00-2b-01-02-03``, ``0800.2b01.0203``, ``08002b:010203``, ``08002b010203``): the
    notations of section 8.9.3 and 8.9.4.
    """
    if not isinstance(value, str):
        raise type_error("str", value)
    digits = value
    for separator in _MAC_SEPARATORS:
        if separator in value:
            groups = value.split(separator)
            if any(not group or len(group) % 2 for group in groups):
                raise ValueError(f"invalid {type_name} value: {value!r}")
            digits = "".join(groups)
            break
    if len(digits) not in (12, 16) or not _HEX_DIGITS.issuperset(digits):
        raise ValueError(f"invalid {type_name} value: {value!r}")
    return bytes.fromhex(digits)


def encode_macaddr_binary(value: object) -> bytes:
    """The 6 bytes of a MAC address ``str`` (notations as in the module docstring).

    Raises:
        TypeError: not a ``str``.
        ValueError: not 6 bytes in an accepted notation.
    """
    raw = _mac_bytes(value, "macaddr")
    if len(raw) != 6:
        raise ValueError(f"invalid macaddr value: expected 6 bytes, got {len(raw)}: {value!r}")
    return raw


def encode_macaddr_text(value: object) -> bytes:
    """A MAC address ``str`` in the canonical colon form; errors as :func:`encode_macaddr_binary`."""
    return encode_macaddr_binary(value).hex(":").encode()


def decode_macaddr_binary(data: bytes) -> str:
    """Decode 6 bytes into ``'08:00:2b:01:02:03'``.

    Raises:
        ValueError: not 6 bytes.
    """
    if len(data) != 6:
        raise ValueError(f"invalid macaddr value: expected 6 bytes, got {len(data)}")
    return data.hex(":")


def encode_macaddr8_binary(value: object) -> bytes:
    """The 8 bytes of an EUI-64 MAC address ``str``.

    A 6-byte address becomes EUI-64 with ``ff:fe`` inserted after its third byte, as
    ``macaddr8_in`` does (section 8.9.4).

    Raises:
        TypeError: not a ``str``.
        ValueError: not 6 or 8 bytes in an accepted notation.
    """
    raw = _mac_bytes(value, "macaddr8")
    if len(raw) == 6:
        return raw[:3] + b"\xff\xfe" + raw[3:]
    return raw


def encode_macaddr8_text(value: object) -> bytes:
    """A MAC address ``str`` in the canonical 8-byte colon form; as :func:`encode_macaddr8_binary`."""
    return encode_macaddr8_binary(value).hex(":").encode()


def decode_macaddr8_binary(data: bytes) -> str:
    """Decode 8 bytes into ``'08:00:2b:01:02:03:04:05'``.

    Raises:
        ValueError: not 8 bytes.
    """
    if len(data) != 8:
        raise ValueError(f"invalid macaddr8 value: expected 8 bytes, got {len(data)}")
    return data.hex(":")


#: The server prints MAC addresses in the canonical form already: text decodes as it is.
_decode_utf8: Final = bytes.decode


def register(table: CodecTable) -> None:
    """Add the binary and text codecs of inet, cidr, macaddr and macaddr8 to ``table``.

    Raises:
        ValueError: one of them is already registered.
    """
    table.add(Codec(INET_OID, "inet", BINARY, encode_inet_binary, decode_inet_binary))
    table.add(Codec(INET_OID, "inet", TEXT, encode_inet_text, decode_inet_text))
    table.add(Codec(CIDR_OID, "cidr", BINARY, encode_cidr_binary, decode_cidr_binary))
    table.add(Codec(CIDR_OID, "cidr", TEXT, encode_cidr_text, decode_cidr_text))
    table.add(Codec(MACADDR_OID, "macaddr", BINARY, encode_macaddr_binary, decode_macaddr_binary))
    table.add(Codec(MACADDR_OID, "macaddr", TEXT, encode_macaddr_text, _decode_utf8))
    table.add(Codec(MACADDR8_OID, "macaddr8", BINARY, encode_macaddr8_binary, decode_macaddr8_binary))
    table.add(Codec(MACADDR8_OID, "macaddr8", TEXT, encode_macaddr8_text, _decode_utf8))
