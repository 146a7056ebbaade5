"""Decoders reject malformed payloads with RemoteProtocolError; encoders reject bad values.

Every class is exercised with an example: each proper prefix of its payload (a truncated
message) and the payload with a byte appended (trailing data) must be refused. Then the
specific violations: unknown type bytes and subtypes, enum and format values outside the
protocol, inconsistent counts. Finally ``LocalProtocolError`` for values that do not fit the
wire, naming the message, field and value.
"""

from __future__ import annotations

from collections.abc import Callable

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
    decode_authentication,
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
from pgwire._client_errors import LocalProtocolError, RemoteProtocolError
from pgwire._copy import CopyBothResponse, CopyData, CopyDone, CopyFail, CopyInResponse, CopyOutResponse
from pgwire._dispatch import decode_backend, decode_frontend
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
from pgwire._message import Message
from pgwire._startup import (
    PROTOCOL_3_0,
    PROTOCOL_3_2,
    CancelRequest,
    GSSENCRequest,
    SSLRequest,
    StartupMessage,
    decode_startup_packet,
)
from tests.pgwire.strategies import STRATEGIES

KEY256 = bytes(range(256))

# (example, shortest payload prefix that is still a valid message of that class). Messages
# whose last field runs to the end of the payload accept shorter payloads by design; for
# them only prefixes cut inside the fixed part are truncations.
EXAMPLES: list[tuple[Message, int | None]] = [
    (StartupMessage((("user", "bob"), ("database", ""))), None),
    (SSLRequest(), None),
    (GSSENCRequest(), None),
    (CancelRequest(5, KEY256), 12),
    (AuthenticationOk(), None),
    (AuthenticationKerberosV5(), None),
    (AuthenticationCleartextPassword(), None),
    (AuthenticationMD5Password(b"salt"), None),
    (AuthenticationSCMCredential(), None),
    (AuthenticationGSS(), None),
    (AuthenticationGSSContinue(b"gss"), 4),
    (AuthenticationSSPI(), None),
    (AuthenticationSASL(("SCRAM-SHA-256",)), None),
    (AuthenticationSASLContinue(b"r=1"), 4),
    (AuthenticationSASLFinal(b"v=1"), 4),
    (PasswordMessage("pw"), None),
    (SASLInitialResponse("SCRAM-SHA-256", b"n,,"), None),
    (SASLResponse(b"c=biws"), 0),
    (GSSResponse(b"\x60"), 0),
    (Query("SELECT 1"), None),
    (Parse("s", "SELECT $1", (23,)), None),
    (Bind("p", "s", (1,), (b"\x00\x01", None), (0,)), None),
    (Describe("S", "s"), None),
    (Execute("p", 5), None),
    (Close("P", "p"), None),
    (Sync(), None),
    (Flush(), None),
    (Terminate(), None),
    (FunctionCall(1598, (0,), (b"1",), 1), None),
    (CopyData(b"abc"), 0),
    (CopyDone(), None),
    (CopyFail("stop"), None),
    (CopyInResponse(1, (0, 1)), None),
    (CopyOutResponse(0, (0,)), None),
    (CopyBothResponse(1, (1,)), None),
    (BackendKeyData(5, KEY256), 8),
    (ParseComplete(), None),
    (BindComplete(), None),
    (CloseComplete(), None),
    (NoData(), None),
    (PortalSuspended(), None),
    (EmptyQueryResponse(), None),
    (CommandComplete("SELECT 1"), None),
    (DataRow((b"ab", None, b"")), None),
    (ErrorResponse((("S", "ERROR"), ("M", "boom"))), None),
    (NoticeResponse((("S", "NOTICE"),)), None),
    (FunctionCallResponse(b"x"), None),
    (NegotiateProtocolVersion(1, ("_pq_.a",)), None),
    (NotificationResponse(3, "ch", "pl"), None),
    (ParameterDescription((23,)), None),
    (ParameterStatus("TimeZone", "UTC"), None),
    (ReadyForQuery(TransactionStatus.IDLE), None),
    (RowDescription((FieldDescription("a", 1, 1, 23, 4, -1, 0),)), None),
]

IDS = [type(message).__name__ for message, _ in EXAMPLES]


def test_examples_cover_every_class() -> None:
    assert {type(message) for message, _ in EXAMPLES} == set(STRATEGIES)


@pytest.mark.parametrize(("message", "shortest"), EXAMPLES, ids=IDS)
def test_truncated_payload_is_rejected(message: Message, shortest: int | None) -> None:
    payload = message.encode_payload()
    limit = len(payload) if shortest is None else shortest
    assert type(message).decode(payload) == message
    for cut in range(limit):
        with pytest.raises(RemoteProtocolError, match="malformed"):
            type(message).decode(payload[:cut])


# The data of these runs to the end of the payload, so there is no such thing as a trailing
# byte; the 256-byte keys of the CancelRequest and BackendKeyData examples are at the
# maximum, so one more byte is refused.
OPEN_ENDED = (
    AuthenticationGSSContinue,
    AuthenticationSASLContinue,
    AuthenticationSASLFinal,
    SASLResponse,
    GSSResponse,
    CopyData,
)
CLOSED = [message for message, _ in EXAMPLES if not isinstance(message, OPEN_ENDED)]


@pytest.mark.parametrize("message", CLOSED, ids=[type(message).__name__ for message in CLOSED])
def test_trailing_bytes_are_rejected(message: Message) -> None:
    with pytest.raises(RemoteProtocolError, match="malformed"):
        type(message).decode(message.encode_payload() + b"\x00")


@pytest.mark.parametrize(
    ("decode", "code", "match"),
    [
        (decode_backend, ord("x"), r"unknown backend message type 'x' \(0x78\)"),
        (decode_backend, 0, r"unknown backend message type '\\x00' \(0x00\)"),
        (decode_backend, ord("Q"), r"'Q' \(0x51\)"),
        (decode_frontend, ord("Z"), r"unknown frontend message type 'Z' \(0x5a\)"),
        (decode_frontend, 0xFF, r"unknown frontend message type 'ÿ' \(0xff\)"),
    ],
)
def test_unknown_type_byte(decode: Callable[[int, bytes], Message], code: int, match: str) -> None:
    with pytest.raises(RemoteProtocolError, match=match):
        decode(code, b"")


@pytest.mark.parametrize(
    ("decode", "payload", "match"),
    [
        (decode_authentication, b"\x00\x00\x00\x04", "unknown authentication request subtype 4"),
        (decode_authentication, b"\xff\xff\xff\xff", "subtype -1"),
        (decode_authentication, b"\x00\x00", "too short"),
        (AuthenticationOk.decode, b"\x00\x00\x00\x03", "subtype 3, expected 0"),
        (AuthenticationMD5Password.decode, b"\x00\x00\x00\x05abc", "needs 4 more bytes"),
        (
            decode_startup_packet,
            b"\x00\x02\x00\x00user\x00x\x00\x00",
            r"unsupported startup packet code 131072 \(protocol version 2.0\)",
        ),
        (decode_startup_packet, b"\x04\xd2\x16\x31", "80877105"),
        (decode_startup_packet, b"\x00\x03", "too short"),
        (StartupMessage.decode, b"\x00\x04\x00\x00\x00", "protocol version 4.0 is not 3.x"),
        (SSLRequest.decode, b"\x04\xd2\x16\x30", "request code 80877104, expected 80877103"),
        (
            CancelRequest.decode,
            b"\x04\xd2\x16\x2e\x00\x00\x00\x01abc",
            "secret key must be 4 to 256 bytes long, got 3",
        ),
        (CancelRequest.decode, b"\x04\xd2\x16\x2e\x00\x00\x00\x01" + bytes(257), "got 257"),
        (BackendKeyData.decode, b"\x00\x00\x00\x01" + bytes(257), "got 257"),
        (BackendKeyData.decode, b"\x00\x00\x00\x01", "got 0"),
        (ReadyForQuery.decode, b"X", r"unknown transaction status 'X' \(0x58\)"),
        (ReadyForQuery.decode, b"i", "'i'"),
        (Describe.decode, b"Qname\x00", "kind 'Q' is neither 'S'"),
        (Close.decode, b"s\x00", "kind 's'"),
        (Bind.decode, b"\x00\x00\x00\x01\x00\x02\x00\x00\x00\x00", "parameter format code 2"),
        (
            Bind.decode,
            b"\x00\x00\x00\x02\x00\x00\x00\x00\x00\x01\xff\xff\xff\xff\x00\x00",
            "2 parameter format codes for 1",
        ),
        (Bind.decode, b"\x00\x00\xff\xff", "negative parameter format code count"),
        (Bind.decode, b"\x00\x00\x00\x00\x00\x01\xff\xff\xff\xfe\x00\x00", "invalid value length -2"),
        (FunctionCall.decode, b"\x00\x00\x00\x01\x00\x00\x00\x00\x00\x02", "result format code 2"),
        (DataRow.decode, b"\x00\x01\xff\xff\xff\xfe", "column 1 has length -2, but 0 bytes are left"),
        (DataRow.decode, b"\xff\xff", "negative column count -1"),
        # An unsigned count: 0xffff is 65535 parameters (whose OIDs are missing), not -1.
        (ParameterDescription.decode, b"\xff\xff", "needs 4 more bytes"),
        (DataRow.decode, b"\x00\x01\x00\x00\x00\x05ab", "column 1 has length 5, but 2 bytes are left"),
        (RowDescription.decode, b"\x00\x01a\x00" + bytes(16) + b"\x00\x02", "format code 2"),
        (CopyInResponse.decode, b"\x02\x00\x00", "overall format 2"),
        (CopyOutResponse.decode, b"\x00\x00\x01\x00\x01", "binary column format in a textual copy"),
        (CopyBothResponse.decode, b"\x01\x00\x01\x00\x05", "column format code 5"),
        (NegotiateProtocolVersion.decode, b"\x00\x00\x00\x00\x7f\xff\xff\xff", "invalid option count"),
        (NegotiateProtocolVersion.decode, b"\x00\x00\x00\x00\xff\xff\xff\xff", "invalid option count -1"),
        (SASLInitialResponse.decode, b"\x00\xff\xff\xff\xff", "empty SASL mechanism"),
        (SASLInitialResponse.decode, b"M\x00\xff\xff\xff\xfe", "invalid value length -2"),
        (ErrorResponse.decode, b"Sfoo", "not NUL-terminated"),
        (Sync.decode, b"\x00", "expected an empty payload, got 1 bytes"),
    ],
)
def test_specific_violations(decode: Callable[[bytes], Message], payload: bytes, match: str) -> None:
    with pytest.raises(RemoteProtocolError, match=match):
        decode(payload)


@pytest.mark.parametrize(
    ("message", "match"),
    [
        (Query("a\x00b"), r"Query.query must not contain a NUL character, got 'a\\x00b'"),
        (Query("\ud800"), "Query.query cannot be encoded"),
        (Parse("", "x", (-1,)), r"Parse.param_types element must be an unsigned 32-bit value .*got -1"),
        (Parse("", "x", (2**32,)), "got 4294967296"),
        (
            Parse("", "x", (0,) * 32768),
            "Parse.param_types has 32768 elements; the protocol allows at most 32767",
        ),
        (Bind("", "", (2,), (b"",)), r"Bind.param_formats must hold only 0 \(text\) or 1 \(binary\), got 2"),
        (Bind("", "", (), (), (0, -1)), "Bind.result_formats .* got -1"),
        (Bind("", "", (), (None,) * 32768), "Bind.params has 32768 elements"),
        (Bind("", "", (0,) * 32768, (None,) * 32768), "Bind.param_formats has 32768 elements"),
        (Bind("", "", (), (), (0,) * 32768), "Bind.result_formats has 32768 elements"),
        (Bind("", "", (0, 1), (b"", b"", b"")), "Bind has 2 format codes for 3 values"),
        (Bind("a\x00", ""), "Bind.portal must not contain a NUL"),
        (Bind("", "b\x00"), "Bind.statement must not contain a NUL"),
        (Describe("X", ""), r"Describe.kind must be 'S' \(statement\) or 'P' \(portal\), got 'X'"),  # type: ignore[arg-type]
        (Close("s", ""), "Close.kind .* got 's'"),  # type: ignore[arg-type]
        (Execute("", 2**31), r"Execute.max_rows must fit in Int32 .*got 2147483648"),
        (FunctionCall(-1), "FunctionCall.function_oid .* got -1"),
        (FunctionCall(1, result_format=2), "FunctionCall.result_format must be 0 .* got 2"),
        (FunctionCall(1, (1, 1), (b"x",)), "FunctionCall has 2 format codes for 1 values"),
        (FunctionCall(1, (3,), (b"x",)), "FunctionCall.arg_formats .* got 3"),
        (CancelRequest(2**31, b"abcd"), "CancelRequest.process_id must fit in Int32 .*got 2147483648"),
        (CancelRequest(1, b"abc"), "CancelRequest.secret_key must be 4 to 256 bytes long, got 3 bytes"),
        (CancelRequest(1, bytes(257)), "CancelRequest.secret_key .* got 257 bytes"),
        (BackendKeyData(1, bytes(257)), "BackendKeyData.secret_key .* got 257 bytes"),
        (BackendKeyData(-(2**31) - 1, b"abcd"), "BackendKeyData.process_id .* got -2147483649"),
        (StartupMessage((("", "x"),)), "StartupMessage parameter name must not be empty"),
        (StartupMessage((("user", "a\x00"),)), "StartupMessage parameter 'user' must not contain a NUL"),
        (
            StartupMessage((), 0x00020000),
            "StartupMessage.protocol_version must be a 3.x version .*got 131072",
        ),
        (StartupMessage((), PROTOCOL_3_0 + 0x10000), "got 262144"),
        (AuthenticationMD5Password(b"abc"), "AuthenticationMD5Password.salt must be 4 bytes, got b'abc'"),
        (AuthenticationSASL(("SCRAM-SHA-256", "")), "AuthenticationSASL mechanism name must not be empty"),
        (AuthenticationSASL(("a\x00",)), "AuthenticationSASL mechanism name must not contain a NUL"),
        (SASLInitialResponse(""), "SASLInitialResponse.mechanism must not be empty"),
        (ErrorResponse((("SS", "x"),)), "ErrorResponse.fields code must be one character, not NUL, got 'SS'"),
        (NoticeResponse((("\x00", "x"),)), r"NoticeResponse.fields code .* got '\\x00'"),
        (ErrorResponse((("€", "x"),)), "got '€'"),
        (ErrorResponse((("M", "a\x00"),)), r"ErrorResponse.fields\['M'\] must not contain a NUL"),
        (NotificationResponse(2**31, "c"), "NotificationResponse.process_id .* got 2147483648"),
        (NegotiateProtocolVersion(2**31), "NegotiateProtocolVersion.newest_minor .* got 2147483648"),
        (ParameterDescription((-1,)), "ParameterDescription.type_oids element .* got -1"),
        (
            ParameterDescription((0,) * 65536),
            "ParameterDescription.type_oids has 65536 elements; the protocol allows at most 65535",
        ),
        (ParameterStatus("a", "b\x00"), "ParameterStatus.value must not contain a NUL"),
        (ReadyForQuery("X"), "ReadyForQuery.status must be a TransactionStatus, got 'X'"),  # type: ignore[arg-type]
        (DataRow((None,) * 32768), "DataRow.values has 32768 elements"),
        (CommandComplete("\x00"), "CommandComplete.tag must not contain a NUL"),
        (CopyFail("a\x00"), "CopyFail.message must not contain a NUL"),
        (CopyInResponse(2), r"CopyInResponse.format must be 0 \(text\) or 1 \(binary\), got 2"),
        (
            CopyOutResponse(0, (1,)),
            r"CopyOutResponse.column_formats must be all 0 in a textual copy, got \(1,\)",
        ),
        (CopyBothResponse(1, (2,)), "CopyBothResponse.column_formats .* got 2"),
        (
            RowDescription((FieldDescription("a", 0, 0, 23, 4, -1, 2),)),
            r"RowDescription.fields\[0\].format .* got 2",
        ),
        (
            RowDescription((FieldDescription("a", 0, 0, -1, 4, -1, 0),)),
            r"RowDescription.fields\[0\] has a number",
        ),
        (
            RowDescription((FieldDescription("a", 0, 2**15, 23, 4, -1, 0),)),
            "column_number and type_size Int16",
        ),
        (
            RowDescription((FieldDescription("a\x00", 0, 0, 23, 4, -1, 0),)),
            r"fields\[0\].name must not contain",
        ),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, Message) else "",
)
def test_encode_rejects_bad_values(message: Message, match: str) -> None:
    with pytest.raises(LocalProtocolError, match=match):
        message.encode()


def test_password_errors_do_not_show_the_password() -> None:
    with pytest.raises(LocalProtocolError) as caught:
        PasswordMessage("hunter2\x00").encode()
    assert "hunter2" not in str(caught.value)
    assert "PasswordMessage.password" in str(caught.value)


def test_secret_key_errors_do_not_show_the_key() -> None:
    with pytest.raises(LocalProtocolError) as caught:
        CancelRequest(1, b"\x99" * 300).encode()
    assert "\\x99" not in str(caught.value)


def test_version_constants() -> None:
    assert (PROTOCOL_3_0 >> 16, PROTOCOL_3_0 & 0xFFFF) == (3, 0)
    assert (PROTOCOL_3_2 >> 16, PROTOCOL_3_2 & 0xFFFF) == (3, 2)
