"""pgwire: PostgreSQL's frontend/backend protocol 3.0 (and 3.2), sans-IO.

Bytes in, events out; messages in, bytes out. No sockets, no event loop, no clocks: the same
package serves a client (:class:`ClientConnection`), a fake server or a proxy
(:class:`ServerConnection`), or a traffic analyser (:class:`Framer` and the ``decode_*``
functions). Every message of the "Message Formats" section is a frozen dataclass named as
there. Authentication (cleartext, MD5, SCRAM-SHA-256 and SCRAM-SHA-256-PLUS) is a sans-IO
exchange, and so is startup as a whole (:class:`StartupExchange`); server errors become the
SQLSTATE classes of :mod:`pgwire.exceptions`. The one module that does I/O is
:mod:`pgwire.blocking` (a small blocking client over a socket), imported only on request.
"""

from __future__ import annotations

from pgwire import exceptions
from pgwire.__about__ import __version__
from pgwire._auth import (
    ClientAuthenticator,
    parse_require_auth,
)
from pgwire._auth_errors import (
    AuthenticationError,
)
from pgwire._authentication import (
    AuthenticationCleartextPassword,
    AuthenticationGSS,
    AuthenticationGSSContinue,
    AuthenticationKerberosV5,
    AuthenticationMD5Password,
    AuthenticationOk,
    AuthenticationRequest,
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
    EmptyQueryResponse,
    ErrorResponse,
    FunctionCallResponse,
    NegotiateProtocolVersion,
    NoData,
    NoticeFields,
    NoticeResponse,
    NotificationResponse,
    ParameterDescription,
    ParameterStatus,
    ParseComplete,
    PortalSuspended,
    ReadyForQuery,
    TransactionStatus,
)
from pgwire._batch import BindExecuteBatch
from pgwire._channel_binding import tls_server_end_point_data
from pgwire._client import (
    ClientConnection,
    ClientEvent,
)
from pgwire._client_errors import (
    ClientConfigurationError,
    InterfaceError,
    InterfaceWarning,
    InternalClientError,
    LocalProtocolError,
    ProtocolError,
    RemoteProtocolError,
)
from pgwire._copy import (
    CopyBothResponse,
    CopyData,
    CopyDone,
    CopyFail,
    CopyInResponse,
    CopyOutResponse,
    CopyResponse,
)
from pgwire._dispatch import (
    decode_backend,
    decode_frontend,
)
from pgwire._events import (
    NEED_DATA,
    CompletionRun,
    ConnectionClosed,
    CopyDataRun,
    CycleReply,
    DataRowBatch,
    GSSENCResponse,
    NeedData,
    SSLResponse,
)
from pgwire._framing import (
    DEFAULT_MAX_MESSAGE_SIZE,
    Framer,
)
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
from pgwire._implementation import choose_implementation, implementation
from pgwire._md5 import (
    md5_password,
    md5_verifier,
    verify_md5_response,
)
from pgwire._message import (
    BackendMessage,
    FrontendMessage,
    Message,
)
from pgwire._postgres_message import (
    PostgresError,
    PostgresLogMessage,
    PostgresWarning,
    UnknownPostgresError,
)
from pgwire._rows import (
    DataRow,
    FieldDescription,
    RowDescription,
)
from pgwire._saslprep import (
    saslprep,
)
from pgwire._scram import (
    SCRAM_SHA_256,
    SCRAM_SHA_256_PLUS,
    ChannelBinding,
    ScramClient,
    tls_server_end_point_hash,
)
from pgwire._scram_server import (
    ScramServer,
    ScramVerifier,
    scram_verifier,
)
from pgwire._server import (
    ServerConnection,
    ServerEvent,
)
from pgwire._startup import (
    CANCEL_REQUEST_CODE,
    GSSENC_REQUEST_CODE,
    PROTOCOL_3_0,
    PROTOCOL_3_2,
    SSL_REQUEST_CODE,
    CancelRequest,
    GSSENCRequest,
    SSLRequest,
    StartupMessage,
    decode_startup_packet,
)
from pgwire._startup_exchange import (
    StartupExchange,
    StartupResult,
)
from pgwire._states import (
    CycleKind,
    CycleState,
    Phase,
)

__all__ = [
    "CANCEL_REQUEST_CODE",
    "DEFAULT_MAX_MESSAGE_SIZE",
    "GSSENC_REQUEST_CODE",
    "NEED_DATA",
    "PROTOCOL_3_0",
    "PROTOCOL_3_2",
    "SCRAM_SHA_256",
    "SCRAM_SHA_256_PLUS",
    "SSL_REQUEST_CODE",
    "AuthenticationCleartextPassword",
    "AuthenticationError",
    "AuthenticationGSS",
    "AuthenticationGSSContinue",
    "AuthenticationKerberosV5",
    "AuthenticationMD5Password",
    "AuthenticationOk",
    "AuthenticationRequest",
    "AuthenticationSASL",
    "AuthenticationSASLContinue",
    "AuthenticationSASLFinal",
    "AuthenticationSCMCredential",
    "AuthenticationSSPI",
    "BackendKeyData",
    "BackendMessage",
    "Bind",
    "BindComplete",
    "BindExecuteBatch",
    "CancelRequest",
    "ChannelBinding",
    "ClientAuthenticator",
    "ClientConfigurationError",
    "ClientConnection",
    "ClientEvent",
    "Close",
    "CloseComplete",
    "CommandComplete",
    "CompletionRun",
    "ConnectionClosed",
    "CopyBothResponse",
    "CopyData",
    "CopyDataRun",
    "CopyDone",
    "CopyFail",
    "CopyInResponse",
    "CopyOutResponse",
    "CopyResponse",
    "CycleKind",
    "CycleReply",
    "CycleState",
    "DataRow",
    "DataRowBatch",
    "Describe",
    "EmptyQueryResponse",
    "ErrorResponse",
    "Execute",
    "FieldDescription",
    "Flush",
    "Framer",
    "FrontendMessage",
    "FunctionCall",
    "FunctionCallResponse",
    "GSSENCRequest",
    "GSSENCResponse",
    "GSSResponse",
    "InterfaceError",
    "InterfaceWarning",
    "InternalClientError",
    "LocalProtocolError",
    "Message",
    "NeedData",
    "NegotiateProtocolVersion",
    "NoData",
    "NoticeFields",
    "NoticeResponse",
    "NotificationResponse",
    "ParameterDescription",
    "ParameterStatus",
    "Parse",
    "ParseComplete",
    "PasswordMessage",
    "Phase",
    "PortalSuspended",
    "PostgresError",
    "PostgresLogMessage",
    "PostgresWarning",
    "ProtocolError",
    "Query",
    "ReadyForQuery",
    "RemoteProtocolError",
    "RowDescription",
    "SASLInitialResponse",
    "SASLResponse",
    "SSLRequest",
    "SSLResponse",
    "ScramClient",
    "ScramServer",
    "ScramVerifier",
    "ServerConnection",
    "ServerEvent",
    "StartupExchange",
    "StartupMessage",
    "StartupResult",
    "Sync",
    "Terminate",
    "TransactionStatus",
    "UnknownPostgresError",
    "__version__",
    "choose_implementation",
    "decode_backend",
    "decode_frontend",
    "decode_startup_packet",
    "exceptions",
    "implementation",
    "md5_password",
    "md5_verifier",
    "parse_require_auth",
    "saslprep",
    "scram_verifier",
    "tls_server_end_point_data",
    "tls_server_end_point_hash",
    "verify_md5_response",
]
