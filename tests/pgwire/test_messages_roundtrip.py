"""Property tests: every message survives encode then decode, and decoders never crash.

- decode(encode(m)) == m for every message class, through the dispatch function of its
  direction (``decode_startup_packet``, ``decode_frontend``, ``decode_backend``); the 'p'
  family goes through its own class, as a server decodes it by authentication stage;
- any bytes given to any decoder give a message or a ``RemoteProtocolError``, never another
  exception; and a payload that decodes re-encodes to exactly the same bytes (the formats
  are canonical, so a proxy can pass on what it decoded).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pgwire import _authentication, _backend, _copy, _frontend, _startup
from pgwire._authentication import AuthenticationRequest, decode_authentication
from pgwire._backend import NoticeFields
from pgwire._client_errors import RemoteProtocolError
from pgwire._copy import CopyResponse
from pgwire._dispatch import BACKEND_DECODERS, FRONTEND_DECODERS, decode_backend, decode_frontend
from pgwire._message import BackendMessage, FrontendMessage, Message
from pgwire._startup import decode_startup_packet
from tests.pgwire.strategies import (
    BACKEND_CLASSES,
    FRONTEND_CLASSES,
    STARTUP_CLASSES,
    STRATEGIES,
    backend_messages,
    frontend_messages,
    startup_packets,
)

# Shared bases that are not messages of their own.
_BASES = {AuthenticationRequest, NoticeFields, CopyResponse}


def _exported_message_classes() -> set[type[Message]]:
    found: set[type[Message]] = set()
    for module in (_startup, _authentication, _frontend, _backend, _copy):
        for name in module.__all__:
            value = getattr(module, name)
            if inspect.isclass(value) and issubclass(value, Message) and value not in _BASES:
                found.add(value)
    return found


def test_strategies_cover_every_message_class() -> None:
    assert set(STRATEGIES) == _exported_message_classes()
    assert set(STARTUP_CLASSES) | set(FRONTEND_CLASSES) | set(BACKEND_CLASSES) == set(STRATEGIES)


def test_dispatch_tables_are_built_from_the_classes() -> None:
    for cls in FRONTEND_CLASSES:
        assert issubclass(cls, FrontendMessage)
        assert cls.type_code[0] in FRONTEND_DECODERS
    for cls in BACKEND_CLASSES:
        assert issubclass(cls, BackendMessage)
        assert cls.type_code[0] in BACKEND_DECODERS
    assert BACKEND_DECODERS[ord("R")] is decode_authentication
    assert {cls.type_code for cls in STARTUP_CLASSES} == {b""}


def _split(wire: bytes) -> tuple[int, bytes]:
    assert int.from_bytes(wire[1:5], "big") == len(wire) - 1
    return wire[0], wire[5:]


@given(frontend_messages())
def test_frontend_roundtrip(message: FrontendMessage) -> None:
    code, payload = _split(message.encode())
    if code == ord("p"):
        assert type(message).decode(payload) == message
    else:
        assert decode_frontend(code, payload) == message


@given(backend_messages())
def test_backend_roundtrip(message: BackendMessage) -> None:
    assert decode_backend(*_split(message.encode())) == message


@given(startup_packets())
def test_startup_roundtrip(message: FrontendMessage) -> None:
    wire = message.encode()
    assert int.from_bytes(wire[:4], "big") == len(wire)
    assert decode_startup_packet(wire[4:]) == message


@given(frontend_messages(startup=True))
def test_frontend_messages_with_startup_roundtrip(message: FrontendMessage) -> None:
    wire = message.encode()
    if message.type_code:
        code, payload = _split(wire)
        decode = type(message).decode if code == ord("p") else lambda data: decode_frontend(code, data)
        assert decode(payload) == message
    else:
        assert decode_startup_packet(wire[4:]) == message


DECODERS: dict[str, Callable[[bytes], Message]] = {
    "decode_startup_packet": decode_startup_packet,
    "decode_authentication": decode_authentication,
    **{f"backend {chr(code)}": decoder for code, decoder in BACKEND_DECODERS.items()},
    **{f"frontend {chr(code)}": decoder for code, decoder in FRONTEND_DECODERS.items()},
    **{cls.__name__: cls.decode for cls in STRATEGIES},
}


def _decodes_or_refuses(decode: Callable[[bytes], Message], payload: bytes) -> None:
    try:
        message = decode(payload)
    except RemoteProtocolError:
        return
    assert isinstance(message, Message)
    assert message.encode_payload() == payload


@pytest.mark.parametrize("name", sorted(DECODERS))
@given(payload=st.binary(max_size=64))
def test_arbitrary_bytes_give_a_message_or_remote_protocol_error(name: str, payload: bytes) -> None:
    _decodes_or_refuses(DECODERS[name], payload)


@st.composite
def _mutated_payloads(draw: st.DrawFn) -> tuple[type[Message], bytes]:
    """A valid payload of some class with a slice replaced by random bytes."""
    cls = draw(st.sampled_from(sorted(STRATEGIES, key=lambda cls: cls.__name__)))
    payload = draw(STRATEGIES[cls]).encode_payload()
    start = draw(st.integers(0, len(payload)))
    stop = draw(st.integers(start, len(payload)))
    return cls, payload[:start] + draw(st.binary(max_size=8)) + payload[stop:]


@given(_mutated_payloads())
def test_mutated_payloads_give_a_message_or_remote_protocol_error(case: tuple[type[Message], bytes]) -> None:
    cls, payload = case
    _decodes_or_refuses(cls.decode, payload)
    if cls.type_code:
        dispatch = decode_backend if issubclass(cls, BackendMessage) else decode_frontend
        _decodes_or_refuses(lambda data: dispatch(cls.type_code[0], data), payload)
    else:
        _decodes_or_refuses(decode_startup_packet, payload)


def test_every_message_class_defines_its_own_codec() -> None:
    # The bases are plain classes (not abc.ABC), so nothing at class creation checks this.
    for cls in _exported_message_classes():
        assert any("encode_payload" in vars(k) for k in cls.__mro__ if k is not Message), cls
        assert any("decode" in vars(k) for k in cls.__mro__ if k is not Message), cls


def test_the_plain_base_refuses_to_encode_or_decode() -> None:
    class Incomplete(BackendMessage):
        __slots__ = ()
        type_code = b"?"

    with pytest.raises(NotImplementedError, match="Incomplete does not define encode_payload"):
        Incomplete().encode()
    with pytest.raises(NotImplementedError, match="Incomplete does not define decode"):
        Incomplete.decode(b"")
    assert not isinstance(Incomplete(), FrontendMessage)
