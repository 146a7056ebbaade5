"""The network address codecs: inet, cidr, macaddr and macaddr8, in process and live."""

from __future__ import annotations

import re
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
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pgtypes._codec import BINARY, TEXT, Codec, CodecTable
from pgtypes._network import CIDR_OID, INET_OID, MACADDR8_OID, MACADDR_OID, register
from tests.pgtypes.live import TypeSession

TABLE = CodecTable()
register(TABLE)

NAMES = {INET_OID: "inet", CIDR_OID: "cidr", MACADDR_OID: "macaddr", MACADDR8_OID: "macaddr8"}
FORMATS = pytest.mark.parametrize("fmt", [BINARY, TEXT], ids=["binary", "text"])
LIVE = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def codec(oid: int, fmt: int) -> Codec:
    found = TABLE.get(oid, fmt)
    assert found is not None
    return found


@st.composite
def inet_values(draw: st.DrawFn) -> IPv4Address | IPv6Address | IPv4Interface | IPv6Interface:
    """What inet decodes to: an address, or an interface with a shorter prefix."""
    address = draw(st.ip_addresses())
    bits = draw(st.integers(0, address.max_prefixlen))
    if bits == address.max_prefixlen:
        return address
    return ip_interface((address, bits))


@st.composite
def cidr_values(draw: st.DrawFn) -> IPv4Network | IPv6Network:
    address = draw(st.ip_addresses())
    return ip_network((address, draw(st.integers(0, address.max_prefixlen))), strict=False)


macaddrs = st.binary(min_size=6, max_size=6).map(lambda raw: raw.hex(":"))
macaddr8s = st.binary(min_size=8, max_size=8).map(lambda raw: raw.hex(":"))


def test_register_adds_both_formats_of_every_type() -> None:
    assert len(TABLE) == 8
    for oid, name in NAMES.items():
        for fmt in (BINARY, TEXT):
            found = codec(oid, fmt)
            assert (found.name, found.schema, found.kind, found.fixed) == (name, "pg_catalog", "scalar", "")
    with pytest.raises(ValueError, match="already registered"):
        register(TABLE)


# -- golden values ---------------------------------------------------------------------------

V6 = bytes.fromhex("20010db8000000000000000000000001")


@pytest.mark.parametrize(
    ("value", "binary", "text", "decoded"),
    [
        ("192.168.0.1", b"\x02\x20\x00\x04\xc0\xa8\x00\x01", b"192.168.0.1/32", IPv4Address("192.168.0.1")),
        (
            "192.168.0.1/24",
            b"\x02\x18\x00\x04\xc0\xa8\x00\x01",
            b"192.168.0.1/24",
            IPv4Interface("192.168.0.1/24"),
        ),
        (
            IPv4Address("10.0.0.1"),
            b"\x02\x20\x00\x04\x0a\x00\x00\x01",
            b"10.0.0.1/32",
            IPv4Address("10.0.0.1"),
        ),
        (
            IPv4Network("10.0.0.0/8"),
            b"\x02\x08\x00\x04\x0a\x00\x00\x00",
            b"10.0.0.0/8",
            IPv4Interface("10.0.0.0/8"),
        ),
        ("2001:db8::1", b"\x03\x80\x00\x10" + V6, b"2001:db8::1/128", IPv6Address("2001:db8::1")),
        (
            IPv6Interface("2001:db8::1/64"),
            b"\x03\x40\x00\x10" + V6,
            b"2001:db8::1/64",
            IPv6Interface("2001:db8::1/64"),
        ),
        ("0.0.0.0/0", b"\x02\x00\x00\x04\x00\x00\x00\x00", b"0.0.0.0/0", IPv4Interface("0.0.0.0/0")),
    ],
)
def test_inet_golden(value: object, binary: bytes, text: bytes, decoded: object) -> None:
    assert codec(INET_OID, BINARY).encode(value) == binary
    assert codec(INET_OID, TEXT).encode(value) == text
    assert codec(INET_OID, BINARY).decode(binary) == decoded
    assert type(codec(INET_OID, BINARY).decode(binary)) is type(decoded)


@pytest.mark.parametrize(
    ("text", "decoded"),
    [
        (b"192.168.0.1", IPv4Address("192.168.0.1")),
        (b"192.168.0.1/24", IPv4Interface("192.168.0.1/24")),
        (b"192.168.0.1/32", IPv4Address("192.168.0.1")),
        (b"::ffff:1.2.3.4", IPv6Address("::ffff:102:304")),
        (b"2001:db8::1/64", IPv6Interface("2001:db8::1/64")),
    ],
)
def test_inet_text_decode(text: bytes, decoded: object) -> None:
    assert codec(INET_OID, TEXT).decode(text) == decoded
    assert type(codec(INET_OID, TEXT).decode(text)) is type(decoded)


@pytest.mark.parametrize(
    ("value", "binary", "text"),
    [
        ("10.0.0.0/8", b"\x02\x08\x01\x04\x0a\x00\x00\x00", b"10.0.0.0/8"),
        (IPv4Network("192.168.1.0/24"), b"\x02\x18\x01\x04\xc0\xa8\x01\x00", b"192.168.1.0/24"),
        (IPv4Address("1.2.3.4"), b"\x02\x20\x01\x04\x01\x02\x03\x04", b"1.2.3.4/32"),
        (("10.1.0.0", 16), b"\x02\x10\x01\x04\x0a\x01\x00\x00", b"10.1.0.0/16"),
        (0x0A000000, b"\x02\x20\x01\x04\x0a\x00\x00\x00", b"10.0.0.0/32"),
        (b"\x01\x02\x03\x04", b"\x02\x20\x01\x04\x01\x02\x03\x04", b"1.2.3.4/32"),
        ("2001:db8::/32", b"\x03\x20\x01\x10" + bytes.fromhex("20010db8") + bytes(12), b"2001:db8::/32"),
        (IPv6Network("::/0"), b"\x03\x00\x01\x10" + bytes(16), b"::/0"),
    ],
)
def test_cidr_golden(value: object, binary: bytes, text: bytes) -> None:
    assert codec(CIDR_OID, BINARY).encode(value) == binary
    assert codec(CIDR_OID, TEXT).encode(value) == text
    network = ip_network(text.decode())
    assert codec(CIDR_OID, BINARY).decode(binary) == network
    assert codec(CIDR_OID, TEXT).decode(text) == network


@pytest.mark.parametrize(
    ("oid", "value", "binary", "text"),
    [
        (MACADDR_OID, "08:00:2b:01:02:03", b"\x08\x00\x2b\x01\x02\x03", b"08:00:2b:01:02:03"),
        (MACADDR_OID, "08-00-2B-01-02-03", b"\x08\x00\x2b\x01\x02\x03", b"08:00:2b:01:02:03"),
        (MACADDR_OID, "08002b:010203", b"\x08\x00\x2b\x01\x02\x03", b"08:00:2b:01:02:03"),
        (MACADDR_OID, "08002b-010203", b"\x08\x00\x2b\x01\x02\x03", b"08:00:2b:01:02:03"),
        (MACADDR_OID, "0800.2b01.0203", b"\x08\x00\x2b\x01\x02\x03", b"08:00:2b:01:02:03"),
        (MACADDR_OID, "0800-2b01-0203", b"\x08\x00\x2b\x01\x02\x03", b"08:00:2b:01:02:03"),
        (MACADDR_OID, "08002B010203", b"\x08\x00\x2b\x01\x02\x03", b"08:00:2b:01:02:03"),
        (
            MACADDR8_OID,
            "08:00:2b:01:02:03:04:05",
            bytes.fromhex("08002b0102030405"),
            b"08:00:2b:01:02:03:04:05",
        ),
        (MACADDR8_OID, "08002b:0102030405", bytes.fromhex("08002b0102030405"), b"08:00:2b:01:02:03:04:05"),
        (MACADDR8_OID, "0800.2b01.0203.0405", bytes.fromhex("08002b0102030405"), b"08:00:2b:01:02:03:04:05"),
        (MACADDR8_OID, "08002b0102030405", bytes.fromhex("08002b0102030405"), b"08:00:2b:01:02:03:04:05"),
        # Six bytes become EUI-64 with ff:fe in the middle, as macaddr8_in does.
        (MACADDR8_OID, "08:00:2b:01:02:03", bytes.fromhex("08002bfffe010203"), b"08:00:2b:ff:fe:01:02:03"),
    ],
)
def test_macaddr_golden(oid: int, value: str, binary: bytes, text: bytes) -> None:
    assert codec(oid, BINARY).encode(value) == binary
    assert codec(oid, TEXT).encode(value) == text
    assert codec(oid, BINARY).decode(binary) == text.decode()
    assert codec(oid, TEXT).decode(text) == text.decode()


# -- round trips -----------------------------------------------------------------------------


@FORMATS
@given(value=inet_values())
def test_inet_round_trip(fmt: int, value: Any) -> None:
    found = codec(INET_OID, fmt)
    decoded = found.decode(found.encode(value))
    assert decoded == value and type(decoded) is type(value)
    assert found.decode(found.encode(str(value))) == value


@FORMATS
@given(value=cidr_values())
def test_cidr_round_trip(fmt: int, value: Any) -> None:
    found = codec(CIDR_OID, fmt)
    assert found.decode(found.encode(value)) == value
    assert found.decode(found.encode(str(value))) == value


@FORMATS
@pytest.mark.parametrize(("oid", "strategy"), [(MACADDR_OID, macaddrs), (MACADDR8_OID, macaddr8s)])
@given(data=st.data())
def test_macaddr_round_trip(
    fmt: int, oid: int, strategy: st.SearchStrategy[str], data: st.DataObject
) -> None:
    value = data.draw(strategy)
    found = codec(oid, fmt)
    assert found.decode(found.encode(value)) == value
    assert found.decode(found.encode(value.upper().replace(":", "-"))) == value


# -- errors ----------------------------------------------------------------------------------


@FORMATS
@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        ("1.2.3", ValueError, "^invalid inet value: '1.2.3'$"),
        ("1.2.3.4/33", ValueError, r"^invalid inet value: '1.2.3.4/33'$"),
        ("", ValueError, "^invalid inet value: ''$"),
        (
            "fe80::1%eth0",
            ValueError,
            re.escape("invalid inet value 'fe80::1%eth0': an IPv6 zone (%eth0) is not"),
        ),
        (IPv6Address("fe80::1%2"), ValueError, re.escape("an IPv6 zone (%2) is not allowed")),
        (IPv6Interface("fe80::1%2/64"), ValueError, re.escape("an IPv6 zone (%2) is not allowed")),
        (IPv6Network("fe80::%2/64"), ValueError, re.escape("an IPv6 zone (%2) is not allowed")),
        (
            b"\x01\x02\x03\x04",
            TypeError,
            "^expected str or an ipaddress address, interface or network, got bytes$",
        ),
        (16909060, TypeError, "got int$"),
        (None, TypeError, "got NoneType$"),
    ],
)
def test_inet_encode_errors(fmt: int, value: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        codec(INET_OID, fmt).encode(value)


@FORMATS
@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        ("10.1.0.0/8", ValueError, "^invalid cidr value '10.1.0.0/8': 10.1.0.0/8 has host bits set$"),
        (
            IPv4Interface("1.2.3.4/24"),
            ValueError,
            r"^invalid cidr value IPv4Interface\('1.2.3.4/24'\): .*host bits",
        ),
        ("nonsense", ValueError, "^invalid cidr value 'nonsense': "),
        ("fe80::%eth0/64", ValueError, re.escape("an IPv6 zone (%eth0) is not allowed")),
        (True, TypeError, "^expected str or a value ip_network\\(\\) accepts, got bool$"),
        (1.5, TypeError, "got float$"),
        ([1, 2], TypeError, "got list$"),
    ],
)
def test_cidr_encode_errors(fmt: int, value: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        codec(CIDR_OID, fmt).encode(value)


@pytest.mark.parametrize("oid", [INET_OID, CIDR_OID])
@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x02\x20\x00", "expected at least 4 bytes, got 3"),
        (b"\x01\x20\x00\x04\x01\x02\x03\x04", "unknown address family 1"),
        (b"\x02\x20\x00\x04\x01\x02\x03", re.escape("IPv4 address of 3 bytes (length byte 4), expected 4")),
        (
            b"\x02\x20\x00\x10\x01\x02\x03\x04",
            re.escape("IPv4 address of 4 bytes (length byte 16), expected 4"),
        ),
        (
            b"\x03\x80\x00\x10" + bytes(15),
            re.escape("IPv6 address of 15 bytes (length byte 16), expected 16"),
        ),
        (b"\x02\x21\x00\x04\x01\x02\x03\x04", "prefix of 33 bits for an IPv4 address"),
        (b"\x03\x81\x00\x10" + bytes(16), "prefix of 129 bits for an IPv6 address"),
    ],
)
def test_inet_cidr_binary_decode_errors(oid: int, data: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=f"^invalid {NAMES[oid]} value: {message}$"):
        codec(oid, BINARY).decode(data)


def test_cidr_decode_rejects_host_bits() -> None:
    with pytest.raises(ValueError, match=r"^invalid cidr value: 1.2.3.4/24 has host bits set$"):
        codec(CIDR_OID, BINARY).decode(b"\x02\x18\x01\x04\x01\x02\x03\x04")
    with pytest.raises(ValueError, match=r"^invalid cidr value: '1.2.3.4/24'$"):
        codec(CIDR_OID, TEXT).decode(b"1.2.3.4/24")


def test_inet_text_decode_errors() -> None:
    with pytest.raises(ValueError, match=r"^invalid inet value: '1.2.3.4/40'$"):
        codec(INET_OID, TEXT).decode(b"1.2.3.4/40")
    with pytest.raises(ValueError, match=r"^invalid inet value: 'host'$"):
        codec(INET_OID, TEXT).decode(b"host")


@FORMATS
@pytest.mark.parametrize(("oid", "name"), [(MACADDR_OID, "macaddr"), (MACADDR8_OID, "macaddr8")])
@pytest.mark.parametrize(
    "value",
    [
        "",
        "08:00:2b:01:02",  # too short for either
        "08:00:2b:01:02:03:04",  # seven bytes
        "08:00:2b:01:02:03:04:05:06",
        "08:00-2b:01:02:03",  # mixed separators
        "0:8:0:0:2b:01:02:03",  # odd groups
        "08::00:2b:01:02:03",  # empty group
        "0g:00:2b:01:02:03",
        "08 00 2b 01 02 03",  # bytes.fromhex would skip the spaces; the server does not
        " 08002b010203",
    ],
)
def test_macaddr_encode_errors(fmt: int, oid: int, name: str, value: str) -> None:
    with pytest.raises(ValueError, match=f"^invalid {name} value: {re.escape(repr(value))}$"):
        codec(oid, fmt).encode(value)


@FORMATS
def test_macaddr_encode_length_and_type_errors(fmt: int) -> None:
    with pytest.raises(
        ValueError, match=r"^invalid macaddr value: expected 6 bytes, got 8: '08002b0102030405'$"
    ):
        codec(MACADDR_OID, fmt).encode("08002b0102030405")
    for oid in (MACADDR_OID, MACADDR8_OID):
        with pytest.raises(TypeError, match=r"^expected str, got bytes$"):
            codec(oid, fmt).encode(b"\x08\x00\x2b\x01\x02\x03")


def test_macaddr_binary_decode_errors() -> None:
    with pytest.raises(ValueError, match=r"^invalid macaddr value: expected 6 bytes, got 5$"):
        codec(MACADDR_OID, BINARY).decode(bytes(5))
    with pytest.raises(ValueError, match=r"^invalid macaddr8 value: expected 8 bytes, got 6$"):
        codec(MACADDR8_OID, BINARY).decode(bytes(6))


# -- live ------------------------------------------------------------------------------------


def echo(session: TypeSession, oid: int, fmt: int, value: object) -> tuple[Any, str | None]:
    found = codec(oid, fmt)
    raw, text = session.echo(found.name, found.encode(value), fmt)
    assert raw is not None
    return found.decode(raw), text


def select(session: TypeSession, oid: int, fmt: int, expression: str) -> Any:
    raw = session.select(expression, fmt)
    assert raw is not None
    return codec(oid, fmt).decode(raw)


def inet_text(value: Any) -> str:
    """How the inet-to-text cast (``network_show``) prints a value: always with ``/bits``."""
    if isinstance(value, IPv4Interface | IPv6Interface):
        return f"{value.ip}/{value.network.prefixlen}"
    return f"{value}/{value.max_prefixlen}"


@FORMATS
@LIVE
@given(value=inet_values())
def test_live_inet_round_trip(type_session: TypeSession, fmt: int, value: Any) -> None:
    decoded, text = echo(type_session, INET_OID, fmt, value)
    assert decoded == value and type(decoded) is type(value)
    assert text is not None and codec(INET_OID, TEXT).decode(text.encode()) == value


@FORMATS
@LIVE
@given(value=cidr_values())
def test_live_cidr_round_trip(type_session: TypeSession, fmt: int, value: Any) -> None:
    decoded, text = echo(type_session, CIDR_OID, fmt, value)
    assert decoded == value and type(decoded) is type(value)
    assert text is not None and ip_network(text) == value


@FORMATS
@pytest.mark.parametrize(
    ("literal", "expected"),
    [
        ("192.168.100.128/25", IPv4Interface("192.168.100.128/25")),
        ("192.168.100.128/32", IPv4Address("192.168.100.128")),
        ("192.168.100.128", IPv4Address("192.168.100.128")),
        ("10.1.2.3/8", IPv4Interface("10.1.2.3/8")),
        ("0.0.0.0/0", IPv4Interface("0.0.0.0/0")),
        ("::1", IPv6Address("::1")),
        ("2001:4f8:3:ba:2e0:81ff:fe22:d1f1/64", IPv6Interface("2001:4f8:3:ba:2e0:81ff:fe22:d1f1/64")),
        ("::ffff:1.2.3.4", IPv6Address("::ffff:1.2.3.4")),
        ("::/0", IPv6Interface("::/0")),
    ],
)
def test_live_inet_values(type_session: TypeSession, fmt: int, literal: str, expected: Any) -> None:
    decoded = select(type_session, INET_OID, fmt, f"'{literal}'::inet")
    assert decoded == expected and type(decoded) is type(expected)
    assert echo(type_session, INET_OID, fmt, literal)[0] == expected


@FORMATS
@pytest.mark.parametrize(
    ("literal", "expected"),
    [
        ("192.168.100.128/25", "192.168.100.128/25"),
        ("10", "10.0.0.0/8"),  # cidr_in's abbreviations, section 8.9.2
        ("128.1", "128.1.0.0/16"),
        ("192.168.1.1", "192.168.1.1/32"),
        ("2001:4f8:3:ba::/64", "2001:4f8:3:ba::/64"),
        ("::ffff:1.2.3.0/120", "::ffff:1.2.3.0/120"),
        ("::/0", "::/0"),
    ],
)
def test_live_cidr_values(type_session: TypeSession, fmt: int, literal: str, expected: str) -> None:
    decoded = select(type_session, CIDR_OID, fmt, f"'{literal}'::cidr")
    assert decoded == ip_network(expected)
    assert echo(type_session, CIDR_OID, fmt, expected) == (ip_network(expected), expected)


@FORMATS
def test_live_inet_text_matches_the_server(type_session: TypeSession, fmt: int) -> None:
    for value in (
        ip_address("10.0.0.1"),
        ip_interface("10.0.0.1/24"),
        ip_address("2001:db8::1"),
        ip_interface("2001:db8::1/64"),
    ):
        assert echo(type_session, INET_OID, fmt, value) == (value, inet_text(value))


@FORMATS
@LIVE
@given(value=macaddrs)
def test_live_macaddr_round_trip(type_session: TypeSession, fmt: int, value: str) -> None:
    assert echo(type_session, MACADDR_OID, fmt, value) == (value, value)


@FORMATS
@LIVE
@given(value=macaddr8s)
def test_live_macaddr8_round_trip(type_session: TypeSession, fmt: int, value: str) -> None:
    assert echo(type_session, MACADDR8_OID, fmt, value) == (value, value)


@FORMATS
@pytest.mark.parametrize(
    ("oid", "literal", "expected"),
    [
        (MACADDR_OID, "08-00-2B-01-02-03", "08:00:2b:01:02:03"),
        (MACADDR_OID, "0800.2b01.0203", "08:00:2b:01:02:03"),
        (MACADDR_OID, "ff:ff:ff:ff:ff:ff", "ff:ff:ff:ff:ff:ff"),
        (MACADDR8_OID, "08002b:0102030405", "08:00:2b:01:02:03:04:05"),
        (MACADDR8_OID, "08:00:2b:01:02:03", "08:00:2b:ff:fe:01:02:03"),
    ],
)
def test_live_macaddr_values(
    type_session: TypeSession, fmt: int, oid: int, literal: str, expected: str
) -> None:
    assert select(type_session, oid, fmt, f"'{literal}'::{NAMES[oid]}") == expected
    # The encoder reads the same notations as the server, with the same result.
    assert echo(type_session, oid, fmt, literal) == (expected, expected)
