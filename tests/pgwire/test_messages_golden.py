"""Golden bytes for every protocol message, written out by hand from "Message Formats".

Each case is a message and its complete wire form (type byte, ``Int32`` length including
itself, payload). Both directions are checked: ``encode()`` gives exactly those bytes, and
decoding the payload through the dispatch function of its direction gives the message back.
"""

from __future__ import annotations

import pytest

from pgwire._authentication import (
    AuthenticationCleartextPassword,
    AuthenticationGSS,
    AuthenticationGSSContinue,
    AuthenticationKerberosV5,
    AuthenticationMD5Password,
    AuthenticationOk,
    AuthenticationSASL,
    AuthenticationSASLContinue,
    AuthenticationSASLFinal,
    AuthenticationSCMCredential,
    AuthenticationSSPI,
    GSSResponse,
    PasswordMessage,
    SASLInitialResponse,
    SASLResponse,
)
from pgwire._backend import (
    BackendKeyData,
    BindComplete,
    CloseComplete,
    CommandComplete,
    DataRow,
    EmptyQueryResponse,
    ErrorResponse,
    FieldDescription,
    FunctionCallResponse,
    NegotiateProtocolVersion,
    NoData,
    NoticeResponse,
    NotificationResponse,
    ParameterDescription,
    ParameterStatus,
    ParseComplete,
    PortalSuspended,
    ReadyForQuery,
    RowDescription,
    TransactionStatus,
)
from pgwire._copy import CopyBothResponse, CopyData, CopyDone, CopyFail, CopyInResponse, CopyOutResponse
from pgwire._dispatch import decode_backend, decode_frontend
from pgwire._framing import Framer
from pgwire._frontend import (
    Bind,
    Close,
    Describe,
    Execute,
    Flush,
    FunctionCall,
    Parse,
    Query,
    Sync,
    Terminate,
)
from pgwire._message import BackendMessage, Message
from pgwire._startup import (
    PROTOCOL_3_2,
    CancelRequest,
    GSSENCRequest,
    SSLRequest,
    StartupMessage,
    decode_startup_packet,
)
from tests.pgwire.strategies import STRATEGIES

KEY32 = bytes(range(32))
KEY256 = bytes(range(256))

STARTUP: list[tuple[Message, bytes]] = [
    (StartupMessage((("user", "bob"),)), b"\x00\x00\x00\x12\x00\x03\x00\x00user\x00bob\x00\x00"),
    (StartupMessage(()), b"\x00\x00\x00\x09\x00\x03\x00\x00\x00"),
    (
        StartupMessage((("user", "u"), ("database", "d"), ("_pq_.opt", "x")), PROTOCOL_3_2),
        b"\x00\x00\x00\x26\x00\x03\x00\x02user\x00u\x00database\x00d\x00_pq_.opt\x00x\x00\x00",
    ),
    (StartupMessage((("user", "jörg"),)), b"\x00\x00\x00\x14\x00\x03\x00\x00user\x00j\xc3\xb6rg\x00\x00"),
    (StartupMessage((("options", ""),)), b"\x00\x00\x00\x12\x00\x03\x00\x00options\x00\x00\x00"),
    (SSLRequest(), b"\x00\x00\x00\x08\x04\xd2\x16\x2f"),
    (GSSENCRequest(), b"\x00\x00\x00\x08\x04\xd2\x16\x30"),
    (
        CancelRequest(1234, b"\x01\x02\x03\x04"),
        b"\x00\x00\x00\x10\x04\xd2\x16\x2e\x00\x00\x04\xd2\x01\x02\x03\x04",
    ),
    (
        CancelRequest(-1, b"\xff\xfe\xfd\xfc"),
        b"\x00\x00\x00\x10\x04\xd2\x16\x2e\xff\xff\xff\xff\xff\xfe\xfd\xfc",
    ),
    (CancelRequest(7, KEY32), b"\x00\x00\x00\x2c\x04\xd2\x16\x2e\x00\x00\x00\x07" + KEY32),
    (CancelRequest(7, KEY256), b"\x00\x00\x01\x0c\x04\xd2\x16\x2e\x00\x00\x00\x07" + KEY256),
]

AUTHENTICATION: list[tuple[Message, bytes]] = [
    (AuthenticationOk(), b"R\x00\x00\x00\x08\x00\x00\x00\x00"),
    (AuthenticationKerberosV5(), b"R\x00\x00\x00\x08\x00\x00\x00\x02"),
    (AuthenticationCleartextPassword(), b"R\x00\x00\x00\x08\x00\x00\x00\x03"),
    (AuthenticationMD5Password(b"\x01\x02\x03\x04"), b"R\x00\x00\x00\x0c\x00\x00\x00\x05\x01\x02\x03\x04"),
    (AuthenticationSCMCredential(), b"R\x00\x00\x00\x08\x00\x00\x00\x06"),
    (AuthenticationGSS(), b"R\x00\x00\x00\x08\x00\x00\x00\x07"),
    (AuthenticationGSSContinue(b"tok"), b"R\x00\x00\x00\x0b\x00\x00\x00\x08tok"),
    (AuthenticationSSPI(), b"R\x00\x00\x00\x08\x00\x00\x00\x09"),
    (
        AuthenticationSASL(("SCRAM-SHA-256-PLUS", "SCRAM-SHA-256")),
        b"R\x00\x00\x00\x2a\x00\x00\x00\x0aSCRAM-SHA-256-PLUS\x00SCRAM-SHA-256\x00\x00",
    ),
    (AuthenticationSASL(()), b"R\x00\x00\x00\x09\x00\x00\x00\x0a\x00"),
    (AuthenticationSASLContinue(b"r=abc"), b"R\x00\x00\x00\x0d\x00\x00\x00\x0br=abc"),
    (AuthenticationSASLContinue(b""), b"R\x00\x00\x00\x08\x00\x00\x00\x0b"),
    (AuthenticationSASLFinal(b"v=xyz"), b"R\x00\x00\x00\x0d\x00\x00\x00\x0cv=xyz"),
]

# The 'p' family: decoded with each class's own decode, as a server does by auth stage.
PASSWORD: list[tuple[Message, bytes]] = [
    (PasswordMessage("secret"), b"p\x00\x00\x00\x0bsecret\x00"),
    (PasswordMessage(""), b"p\x00\x00\x00\x05\x00"),
    (PasswordMessage("pässword"), b"p\x00\x00\x00\x0ep\xc3\xa4ssword\x00"),
    (
        SASLInitialResponse("SCRAM-SHA-256", b"n,,n=,r=abc"),
        b"p\x00\x00\x00\x21SCRAM-SHA-256\x00\x00\x00\x00\x0bn,,n=,r=abc",
    ),
    (SASLInitialResponse("SCRAM-SHA-256", None), b"p\x00\x00\x00\x16SCRAM-SHA-256\x00\xff\xff\xff\xff"),
    (SASLInitialResponse("X", b""), b"p\x00\x00\x00\x0aX\x00\x00\x00\x00\x00"),
    (SASLResponse(b"c=biws,r=abc,p=xyz"), b"p\x00\x00\x00\x16c=biws,r=abc,p=xyz"),
    (SASLResponse(b""), b"p\x00\x00\x00\x04"),
    (GSSResponse(b"\x60\x01"), b"p\x00\x00\x00\x06\x60\x01"),
]

FRONTEND: list[tuple[Message, bytes]] = [
    (Query("SELECT 1"), b"Q\x00\x00\x00\x0dSELECT 1\x00"),
    (Query(""), b"Q\x00\x00\x00\x05\x00"),
    (Query("SELECT 'é'"), b"Q\x00\x00\x00\x10SELECT '\xc3\xa9'\x00"),
    (Parse("s1", "SELECT $1", (23,)), b"P\x00\x00\x00\x17s1\x00SELECT $1\x00\x00\x01\x00\x00\x00\x17"),
    (Parse("", "SELECT 1"), b"P\x00\x00\x00\x10\x00SELECT 1\x00\x00\x00"),
    (Parse("", "x", (4294967295, 0)), b"P\x00\x00\x00\x11\x00x\x00\x00\x02\xff\xff\xff\xff\x00\x00\x00\x00"),
    (
        Bind("", "s1", (1,), (b"\x00\x00\x00\x2a", None), (1,)),
        b"B\x00\x00\x00\x1e\x00s1\x00\x00\x01\x00\x01\x00\x02\x00\x00\x00\x04\x00\x00\x00\x2a"
        b"\xff\xff\xff\xff\x00\x01\x00\x01",
    ),
    (Bind("p", ""), b"B\x00\x00\x00\x0dp\x00\x00\x00\x00\x00\x00\x00\x00"),
    (
        Bind("", "", (0, 1), (b"", b"ab"), ()),
        b"B\x00\x00\x00\x1a\x00\x00\x00\x02\x00\x00\x00\x01\x00\x02\x00\x00\x00\x00\x00\x00\x00\x02ab\x00\x00",
    ),
    (Describe("S", "s1"), b"D\x00\x00\x00\x08Ss1\x00"),
    (Describe("P"), b"D\x00\x00\x00\x06P\x00"),
    (Execute(), b"E\x00\x00\x00\x09\x00\x00\x00\x00\x00"),
    (Execute("c", 100), b"E\x00\x00\x00\x0ac\x00\x00\x00\x00\x64"),
    (Close("P", "c"), b"C\x00\x00\x00\x07Pc\x00"),
    (Close("S"), b"C\x00\x00\x00\x06S\x00"),
    (Sync(), b"S\x00\x00\x00\x04"),
    (Flush(), b"H\x00\x00\x00\x04"),
    (Terminate(), b"X\x00\x00\x00\x04"),
    (
        FunctionCall(1598, (1,), (b"\x00\x00\x00\x01", None), 1),
        b"F\x00\x00\x00\x1c\x00\x00\x06\x3e\x00\x01\x00\x01\x00\x02\x00\x00\x00\x04\x00\x00\x00\x01"
        b"\xff\xff\xff\xff\x00\x01",
    ),
    (FunctionCall(42), b"F\x00\x00\x00\x0e\x00\x00\x00\x2a\x00\x00\x00\x00\x00\x00"),
    (CopyData(b"1\tfoo\n"), b"d\x00\x00\x00\x0a1\tfoo\n"),
    (CopyData(b""), b"d\x00\x00\x00\x04"),
    (CopyDone(), b"c\x00\x00\x00\x04"),
    (CopyFail("bad"), b"f\x00\x00\x00\x08bad\x00"),
]

BACKEND: list[tuple[Message, bytes]] = [
    (BackendKeyData(4242, b"\x0a\x0b\x0c\x0d"), b"K\x00\x00\x00\x0c\x00\x00\x10\x92\x0a\x0b\x0c\x0d"),
    (BackendKeyData(4242, KEY32), b"K\x00\x00\x00\x28\x00\x00\x10\x92" + KEY32),
    (BackendKeyData(4242, KEY256), b"K\x00\x00\x01\x08\x00\x00\x10\x92" + KEY256),
    (ParseComplete(), b"1\x00\x00\x00\x04"),
    (BindComplete(), b"2\x00\x00\x00\x04"),
    (CloseComplete(), b"3\x00\x00\x00\x04"),
    (NoData(), b"n\x00\x00\x00\x04"),
    (PortalSuspended(), b"s\x00\x00\x00\x04"),
    (EmptyQueryResponse(), b"I\x00\x00\x00\x04"),
    (CommandComplete("SELECT 1"), b"C\x00\x00\x00\x0dSELECT 1\x00"),
    (CommandComplete("INSERT 0 1"), b"C\x00\x00\x00\x0fINSERT 0 1\x00"),
    (
        DataRow((b"1", None, b"")),
        b"D\x00\x00\x00\x13\x00\x03\x00\x00\x00\x011\xff\xff\xff\xff\x00\x00\x00\x00",
    ),
    (DataRow(()), b"D\x00\x00\x00\x06\x00\x00"),
    (DataRow((b"h\xc3\xa9",)), b"D\x00\x00\x00\x0d\x00\x01\x00\x00\x00\x03h\xc3\xa9"),
    (
        ErrorResponse((("S", "ERROR"), ("V", "ERROR"), ("C", "42P01"), ("M", 'relation "x" does not exist'))),
        b'E\x00\x00\x00\x37SERROR\x00VERROR\x00C42P01\x00Mrelation "x" does not exist\x00\x00',
    ),
    (ErrorResponse(()), b"E\x00\x00\x00\x05\x00"),
    (NoticeResponse((("S", "NOTICE"), ("M", "hé"))), b"N\x00\x00\x00\x12SNOTICE\x00Mh\xc3\xa9\x00\x00"),
    (FunctionCallResponse(b"\x00\x01"), b"V\x00\x00\x00\x0a\x00\x00\x00\x02\x00\x01"),
    (FunctionCallResponse(None), b"V\x00\x00\x00\x08\xff\xff\xff\xff"),
    (FunctionCallResponse(b""), b"V\x00\x00\x00\x08\x00\x00\x00\x00"),
    (
        NegotiateProtocolVersion(0, ("_pq_.foo",)),
        b"v\x00\x00\x00\x15\x00\x00\x00\x00\x00\x00\x00\x01_pq_.foo\x00",
    ),
    (NegotiateProtocolVersion(2), b"v\x00\x00\x00\x0c\x00\x00\x00\x02\x00\x00\x00\x00"),
    (NotificationResponse(77, "chan", "hi"), b"A\x00\x00\x00\x10\x00\x00\x00\x4dchan\x00hi\x00"),
    (NotificationResponse(1, "c"), b"A\x00\x00\x00\x0b\x00\x00\x00\x01c\x00\x00"),
    (ParameterDescription((23, 25)), b"t\x00\x00\x00\x0e\x00\x02\x00\x00\x00\x17\x00\x00\x00\x19"),
    (ParameterDescription((4294967295,)), b"t\x00\x00\x00\x0a\x00\x01\xff\xff\xff\xff"),
    (ParameterDescription(()), b"t\x00\x00\x00\x06\x00\x00"),
    (ParameterStatus("client_encoding", "UTF8"), b"S\x00\x00\x00\x19client_encoding\x00UTF8\x00"),
    (ParameterStatus("application_name", ""), b"S\x00\x00\x00\x16application_name\x00\x00"),
    (ReadyForQuery(TransactionStatus.IDLE), b"Z\x00\x00\x00\x05I"),
    (ReadyForQuery(TransactionStatus.IN_TRANSACTION), b"Z\x00\x00\x00\x05T"),
    (ReadyForQuery(TransactionStatus.IN_FAILED_TRANSACTION), b"Z\x00\x00\x00\x05E"),
    (
        RowDescription(
            (
                FieldDescription("id", 16384, 1, 23, 4, -1, 0),
                FieldDescription("?column?", 0, 0, 25, -1, -1, 1),
            )
        ),
        b"T\x00\x00\x00\x36\x00\x02"
        b"id\x00\x00\x00\x40\x00\x00\x01\x00\x00\x00\x17\x00\x04\xff\xff\xff\xff\x00\x00"
        b"?column?\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x19\xff\xff\xff\xff\xff\xff\x00\x01",
    ),
    (RowDescription(()), b"T\x00\x00\x00\x06\x00\x00"),
    (CopyData(b"1\tfoo\n"), b"d\x00\x00\x00\x0a1\tfoo\n"),
    (CopyDone(), b"c\x00\x00\x00\x04"),
    (CopyInResponse(0, (0, 0)), b"G\x00\x00\x00\x0b\x00\x00\x02\x00\x00\x00\x00"),
    (CopyOutResponse(1, (1, 1)), b"H\x00\x00\x00\x0b\x01\x00\x02\x00\x01\x00\x01"),
    (CopyBothResponse(0), b"W\x00\x00\x00\x07\x00\x00\x00"),
]


def _typed_payload(wire: bytes) -> tuple[int, bytes]:
    """The type byte and payload of a typed message, checking the length word on the way."""
    assert int.from_bytes(wire[1:5], "big") == len(wire) - 1
    return wire[0], wire[5:]


def test_parameter_description_count_is_unsigned() -> None:
    # The server writes the count as an unsigned 16-bit value (a statement may have up to
    # 65535 parameters): 40000 is 0x9c40, which a signed read would take for -25536.
    for count, count_bytes in [(32768, b"\x80\x00"), (40000, b"\x9c\x40"), (65535, b"\xff\xff")]:
        oids = tuple(range(1, count + 1))
        wire = b"t" + (6 + 4 * count).to_bytes(4, "big") + count_bytes
        wire += b"".join(oid.to_bytes(4, "big") for oid in oids)
        assert ParameterDescription(oids).encode() == wire
        assert decode_backend(*_typed_payload(wire)) == ParameterDescription(oids)


def _ids(cases: list[tuple[Message, bytes]]) -> list[str]:
    return [f"{type(message).__name__}-{index}" for index, (message, _) in enumerate(cases)]


@pytest.mark.parametrize(("message", "wire"), STARTUP + AUTHENTICATION + PASSWORD + FRONTEND + BACKEND)
def test_encode_gives_golden_bytes(message: Message, wire: bytes) -> None:
    assert message.encode() == wire


@pytest.mark.parametrize(("message", "wire"), STARTUP, ids=_ids(STARTUP))
def test_decode_startup_packet(message: Message, wire: bytes) -> None:
    assert int.from_bytes(wire[:4], "big") == len(wire)
    decoded = decode_startup_packet(wire[4:])
    assert decoded == message
    assert type(decoded) is type(message)


@pytest.mark.parametrize(("message", "wire"), AUTHENTICATION + BACKEND, ids=_ids(AUTHENTICATION + BACKEND))
def test_decode_backend(message: Message, wire: bytes) -> None:
    decoded = decode_backend(*_typed_payload(wire))
    assert decoded == message
    assert type(decoded) is type(message)


@pytest.mark.parametrize(("message", "wire"), FRONTEND, ids=_ids(FRONTEND))
def test_decode_frontend(message: Message, wire: bytes) -> None:
    decoded = decode_frontend(*_typed_payload(wire))
    assert decoded == message
    assert type(decoded) is type(message)


@pytest.mark.parametrize(("message", "wire"), PASSWORD, ids=_ids(PASSWORD))
def test_decode_password_family_by_class(message: Message, wire: bytes) -> None:
    code, payload = _typed_payload(wire)
    assert code == ord("p")
    assert type(message).decode(payload) == message


ALL_TYPED = AUTHENTICATION + BACKEND + FRONTEND + PASSWORD
#: Bytes of another message that follow the golden one in the stream.
TRAILING = Sync().encode()


def _decode_typed(message: Message, code: int, payload: bytes) -> Message:
    if (message, message.encode()) in PASSWORD:
        return type(message).decode(payload)
    if isinstance(message, BackendMessage):
        return decode_backend(code, payload)
    return decode_frontend(code, payload)


@pytest.mark.parametrize(("message", "wire"), ALL_TYPED, ids=_ids(ALL_TYPED))
def test_decode_byte_at_a_time_with_trailing_data(message: Message, wire: bytes) -> None:
    framer = Framer()
    stream = wire + TRAILING
    frames = []
    for i in range(len(stream)):
        framer.receive_data(stream[i : i + 1])
        while (frame := framer.next_message()) is not None:
            frames.append(frame)
    assert len(frames) == 2
    assert _decode_typed(message, *frames[0]) == message
    assert frames[1] == (ord("S"), b"")


@pytest.mark.parametrize(("message", "wire"), STARTUP, ids=_ids(STARTUP))
def test_decode_startup_byte_at_a_time_with_trailing_data(message: Message, wire: bytes) -> None:
    framer = Framer()
    stream = wire + TRAILING
    payload = None
    for i in range(len(stream)):
        framer.receive_data(stream[i : i + 1])
        if payload is None:
            payload = framer.next_untyped()
            assert payload is None or i == len(wire) - 1  # complete exactly at its last byte
    assert payload is not None
    assert decode_startup_packet(payload) == message
    # What follows a startup packet is typed: the framer hands it over unchanged.
    assert framer.next_message() == (ord("S"), b"")


def test_decode_frontend_reads_p_as_password_message() -> None:
    assert decode_frontend(ord("p"), b"secret\x00") == PasswordMessage("secret")


def test_every_class_has_a_golden_case() -> None:
    covered = {type(message) for message, _ in STARTUP + AUTHENTICATION + PASSWORD + FRONTEND + BACKEND}
    assert covered == set(STRATEGIES)


def test_notice_fields_accessors() -> None:
    error = ErrorResponse(
        (("S", "FEHLER"), ("V", "ERROR"), ("C", "23505"), ("M", "duplicate key"), ("D", "x"), ("D", "y"))
    )
    assert (error.severity, error.sqlstate, error.message) == ("FEHLER", "23505", "duplicate key")
    assert error.get("D") == "x"
    assert error.get("H") is None
    assert error.as_dict() == {"S": "FEHLER", "V": "ERROR", "C": "23505", "M": "duplicate key", "D": "x"}
    notice = NoticeResponse(())
    assert (notice.severity, notice.sqlstate, notice.message) == (None, None, None)
    assert notice.as_dict() == {}
    same_fields: Message = NoticeResponse(error.fields)
    assert error != same_fields


def test_startup_message_get() -> None:
    startup = StartupMessage((("user", "bob"), ("database", "db")))
    assert startup.get("database") == "db"
    assert startup.get("options") is None


def test_secrets_stay_out_of_repr() -> None:
    assert "hunter2" not in repr(PasswordMessage("hunter2"))
    assert repr(b"\x0a\x0b\x0c\x0d") not in repr(BackendKeyData(1, b"\x0a\x0b\x0c\x0d"))
    assert repr(b"\x0a\x0b\x0c\x0d") not in repr(CancelRequest(1, b"\x0a\x0b\x0c\x0d"))


def test_messages_are_frozen_and_slotted() -> None:
    message = Query("SELECT 1")
    with pytest.raises(AttributeError):
        message.query = "SELECT 2"  # type: ignore[misc]  # the point: frozen dataclasses refuse this
    assert not hasattr(message, "__dict__")
    assert hash(Query("SELECT 1")) == hash(message)
