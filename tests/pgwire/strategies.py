"""Hypothesis strategies that generate every protocol message class with valid field values.

Shared by the message round-trip tests and by the state-machine, chunking and fuzz tests;
keep the public names stable:

- :func:`frontend_messages`: every typed frontend message (with a type byte), including the
  four 'p' authentication answers; ``startup=True`` adds the untyped startup packets;
- :func:`startup_packets`: StartupMessage, SSLRequest, GSSENCRequest, CancelRequest;
- :func:`backend_messages`: every backend message, the 'R' family included;
- :func:`messages_of`: the strategy for one class; :data:`STRATEGIES` maps each class to it.

"Valid" means ``encode()`` succeeds and decoding the result gives an equal message: strings
hold no NUL and no lone surrogates, integers fit their wire types, format codes are 0 or 1.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from hypothesis import strategies as st

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
from pgwire._message import BackendMessage, FrontendMessage, Message
from pgwire._startup import PROTOCOL_3_0, CancelRequest, GSSENCRequest, SSLRequest, StartupMessage

__all__ = [
    "BACKEND_CLASSES",
    "FRONTEND_CLASSES",
    "STARTUP_CLASSES",
    "STRATEGIES",
    "backend_messages",
    "binaries",
    "format_codes",
    "frontend_messages",
    "int16s",
    "int32s",
    "messages_of",
    "names",
    "nullable_binaries",
    "oids",
    "secret_keys",
    "startup_packets",
    "texts",
]

M = TypeVar("M", bound=Message)

#: Text that survives the wire: no NUL (strings are NUL-terminated) and no surrogates (lone
#: surrogates cannot be encoded; escaped bytes may re-decode as different characters).
texts = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12)
#: Non-empty text, for names in lists that an empty string would end.
names = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=12)
int16s = st.integers(-(2**15), 2**15 - 1)
int32s = st.integers(-(2**31), 2**31 - 1)
oids = st.integers(0, 2**32 - 1)
format_codes = st.sampled_from((0, 1))
binaries = st.binary(max_size=24)
nullable_binaries = st.none() | binaries
secret_keys = st.binary(min_size=4, max_size=256)

_formats = st.lists(format_codes, max_size=4).map(tuple)


@st.composite
def _with_formats(draw: st.DrawFn, values: st.SearchStrategy[Any]) -> tuple[tuple[int, ...], tuple[Any, ...]]:
    """Values with 0, 1 or one format code per value, as Bind and FunctionCall require."""
    drawn = tuple(draw(st.lists(values, max_size=5)))
    count = draw(st.sampled_from(sorted({0, 1, len(drawn)})))
    return tuple(draw(st.lists(format_codes, min_size=count, max_size=count))), drawn


@st.composite
def _binds(draw: st.DrawFn) -> Bind:
    formats, params = draw(_with_formats(nullable_binaries))
    return Bind(draw(texts), draw(texts), formats, params, draw(_formats))


@st.composite
def _function_calls(draw: st.DrawFn) -> FunctionCall:
    formats, args = draw(_with_formats(nullable_binaries))
    return FunctionCall(draw(oids), formats, args, draw(format_codes))


@st.composite
def _copy_formats(draw: st.DrawFn) -> tuple[int, tuple[int, ...]]:
    # "Message Formats", CopyInResponse: all column codes are 0 when the overall format is text.
    overall = draw(format_codes)
    columns = draw(_formats) if overall else tuple(0 for _ in range(draw(st.integers(0, 4))))
    return overall, columns


_fields = st.lists(st.tuples(st.characters(min_codepoint=1, max_codepoint=255), texts), max_size=6).map(tuple)

_field_descriptions = st.builds(FieldDescription, texts, oids, int16s, oids, int16s, int32s, format_codes)

_STARTUP: dict[type[Message], st.SearchStrategy[Message]] = {
    StartupMessage: st.builds(
        StartupMessage,
        st.lists(st.tuples(names, texts), max_size=4).map(tuple),
        st.integers(0, 0xFFFF).map(lambda minor: PROTOCOL_3_0 | minor),
    ),
    SSLRequest: st.just(SSLRequest()),
    GSSENCRequest: st.just(GSSENCRequest()),
    CancelRequest: st.builds(CancelRequest, int32s, secret_keys),
}

_FRONTEND: dict[type[Message], st.SearchStrategy[Message]] = {
    Query: st.builds(Query, texts),
    Parse: st.builds(Parse, texts, texts, st.lists(oids, max_size=4).map(tuple)),
    Bind: _binds(),
    Describe: st.builds(Describe, st.sampled_from(("S", "P")), texts),
    Execute: st.builds(Execute, texts, int32s),
    Close: st.builds(Close, st.sampled_from(("S", "P")), texts),
    Sync: st.just(Sync()),
    Flush: st.just(Flush()),
    Terminate: st.just(Terminate()),
    FunctionCall: _function_calls(),
    CopyFail: st.builds(CopyFail, texts),
    PasswordMessage: st.builds(PasswordMessage, texts),
    SASLInitialResponse: st.builds(SASLInitialResponse, names, nullable_binaries),
    SASLResponse: st.builds(SASLResponse, binaries),
    GSSResponse: st.builds(GSSResponse, binaries),
}

_BOTH: dict[type[Message], st.SearchStrategy[Message]] = {
    CopyData: st.builds(CopyData, binaries),
    CopyDone: st.just(CopyDone()),
}

_BACKEND: dict[type[Message], st.SearchStrategy[Message]] = {
    AuthenticationOk: st.just(AuthenticationOk()),
    AuthenticationKerberosV5: st.just(AuthenticationKerberosV5()),
    AuthenticationCleartextPassword: st.just(AuthenticationCleartextPassword()),
    AuthenticationMD5Password: st.builds(AuthenticationMD5Password, st.binary(min_size=4, max_size=4)),
    AuthenticationSCMCredential: st.just(AuthenticationSCMCredential()),
    AuthenticationGSS: st.just(AuthenticationGSS()),
    AuthenticationGSSContinue: st.builds(AuthenticationGSSContinue, binaries),
    AuthenticationSSPI: st.just(AuthenticationSSPI()),
    AuthenticationSASL: st.builds(AuthenticationSASL, st.lists(names, max_size=3).map(tuple)),
    AuthenticationSASLContinue: st.builds(AuthenticationSASLContinue, binaries),
    AuthenticationSASLFinal: st.builds(AuthenticationSASLFinal, binaries),
    BackendKeyData: st.builds(BackendKeyData, int32s, secret_keys),
    BindComplete: st.just(BindComplete()),
    CloseComplete: st.just(CloseComplete()),
    ParseComplete: st.just(ParseComplete()),
    NoData: st.just(NoData()),
    PortalSuspended: st.just(PortalSuspended()),
    EmptyQueryResponse: st.just(EmptyQueryResponse()),
    CommandComplete: st.builds(CommandComplete, texts),
    DataRow: st.builds(DataRow, st.lists(nullable_binaries, max_size=6).map(tuple)),
    ErrorResponse: st.builds(ErrorResponse, _fields),
    NoticeResponse: st.builds(NoticeResponse, _fields),
    FunctionCallResponse: st.builds(FunctionCallResponse, nullable_binaries),
    NegotiateProtocolVersion: st.builds(
        NegotiateProtocolVersion, int32s, st.lists(texts, max_size=3).map(tuple)
    ),
    NotificationResponse: st.builds(NotificationResponse, int32s, texts, texts),
    ParameterDescription: st.builds(ParameterDescription, st.lists(oids, max_size=5).map(tuple)),
    ParameterStatus: st.builds(ParameterStatus, texts, texts),
    ReadyForQuery: st.builds(ReadyForQuery, st.sampled_from(TransactionStatus)),
    RowDescription: st.builds(RowDescription, st.lists(_field_descriptions, max_size=4).map(tuple)),
    CopyInResponse: _copy_formats().map(lambda f: CopyInResponse(*f)),
    CopyOutResponse: _copy_formats().map(lambda f: CopyOutResponse(*f)),
    CopyBothResponse: _copy_formats().map(lambda f: CopyBothResponse(*f)),
}

#: Every message class mapped to a strategy for valid instances of it.
STRATEGIES: Mapping[type[Message], st.SearchStrategy[Message]] = {
    **_STARTUP,
    **_FRONTEND,
    **_BOTH,
    **_BACKEND,
}

#: The untyped startup-phase packet classes.
STARTUP_CLASSES: tuple[type[Message], ...] = tuple(_STARTUP)
#: The typed frontend message classes (CopyData and CopyDone included).
FRONTEND_CLASSES: tuple[type[Message], ...] = (*_FRONTEND, *_BOTH)
#: The backend message classes (CopyData and CopyDone included).
BACKEND_CLASSES: tuple[type[Message], ...] = (*_BACKEND, *_BOTH)


def messages_of(cls: type[M]) -> st.SearchStrategy[M]:
    """Valid instances of the message class ``cls``."""
    return cast("st.SearchStrategy[M]", STRATEGIES[cls])


def startup_packets() -> st.SearchStrategy[FrontendMessage]:
    """StartupMessage (any 3.x version), SSLRequest, GSSENCRequest and CancelRequest."""
    return cast("st.SearchStrategy[FrontendMessage]", st.one_of(*_STARTUP.values()))


def frontend_messages(*, startup: bool = False) -> st.SearchStrategy[FrontendMessage]:
    """Every typed frontend message, including the 'p' family; ``startup`` adds the startup packets.

    Without ``startup`` every message has a type byte, so a stream of them can be framed.
    """
    classes = (*FRONTEND_CLASSES, *(STARTUP_CLASSES if startup else ()))
    return cast("st.SearchStrategy[FrontendMessage]", st.one_of(*(STRATEGIES[cls] for cls in classes)))


def backend_messages() -> st.SearchStrategy[BackendMessage]:
    """Every backend message, the 'R' authentication family and CopyData/CopyDone included."""
    return cast("st.SearchStrategy[BackendMessage]", st.one_of(*(STRATEGIES[cls] for cls in BACKEND_CLASSES)))
