"""Each package's public names are pinned: adding or removing one is a deliberate change."""

from __future__ import annotations

import importlib

import pytest

import pgwire
import pgwire.exceptions

PGWIRE = [
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
    "CopyDataRun",
    "CycleReply",
    "ConnectionClosed",
    "CopyBothResponse",
    "CopyData",
    "CopyDone",
    "CopyFail",
    "CopyInResponse",
    "CopyOutResponse",
    "CopyResponse",
    "CycleKind",
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

PGASYNC_CLUSTER = [
    "AUTH_METHODS",
    "DEFAULT_HBA_RULES",
    "LOOPBACK_ADDRESSES",
    "TEST_SERVER_VARIABLE",
    "BinariesNotFoundError",
    "ClientCertificate",
    "Cluster",
    "ClusterError",
    "HbaRule",
    "PostgresInstallation",
    "ServerUser",
    "TlsFiles",
    "find_installation",
    "installation_for_tests",
    "render_hba",
    "rules_for_user",
]

PGTYPES_TYPES = [
    "Attribute",
    "BitString",
    "Box",
    "Circle",
    "Line",
    "LineSegment",
    "Path",
    "Point",
    "Polygon",
    "Range",
    "ServerVersion",
    "Type",
]

PGTYPES = [
    *PGTYPES_TYPES,
    "BINARY",
    "BUILTIN_TYPE_NAME_MAP",
    "INTROSPECTION_SQL",
    "MAX_ARGUMENTS",
    "TEXT",
    "Codec",
    "CopyRecordDecoder",
    "CopyRecordEncoder",
    "ParameterEncoder",
    "Record",
    "RowDecoder",
    "TypeInfo",
    "TypeKind",
    "TypeRegistry",
    "__version__",
    "implementation",
    "lookup_builtin_type",
    "parse_server_version",
    "type_infos_from_rows",
    "types",
]

PGCONN = [
    "Connection",
    "ConnectionSettings",
    "CopyRecordStream",
    "Cursor",
    "CursorFactory",
    "CursorIterator",
    "EndSpan",
    "LoggedQuery",
    "Notification",
    "NotificationOverflowError",
    "NotificationStream",
    "OperationTracer",
    "PreparedStatement",
    "SSLMode",
    "SessionAttribute",
    "TraceTarget",
    "Transaction",
    "TransactionState",
    "__version__",
    "connect",
    "get_tracer",
    "set_tracer",
]

PGASYNC = [
    "Connection",
    "Cursor",
    "CursorFactory",
    "Pool",
    "PreparedStatement",
    "Record",
    "Transaction",
    "__version__",
    "connect",
    "connection",
    "create_pool",
    "cursor",
    "exceptions",
    "implementation",
    "pool",
    "prepared_stmt",
    "transaction",
    "types",
    *pgwire.exceptions.__all__,
]

PGPOOL = [
    "Pool",
    "PoolAcquireContext",
    "PoolConnectionProxy",
    "PoolListener",
    "PoolStats",
    "TooManyWaitersError",
    "__version__",
    "create_pool",
]


@pytest.mark.parametrize(
    ("module", "expected"),
    [
        ("pgwire", PGWIRE),
        ("pgwire.blocking", ["BlockingConnection", "QueryResult", "TlsRefusedError", "Trace"]),
        ("pgasync.cluster", PGASYNC_CLUSTER),
        ("pgtypes", PGTYPES),
        ("pgtypes.types", PGTYPES_TYPES),
        ("pgconn", PGCONN),
        ("pgpool", PGPOOL),
        ("pgasync", PGASYNC),
        ("pgasync.types", PGTYPES_TYPES),
        ("pgasync.exceptions", pgwire.exceptions.__all__),
        (
            "pgasync.connection",
            [
                "Connection",
                "ConnectionSettings",
                "CopyRecordStream",
                "LoggedQuery",
                "Notification",
                "NotificationOverflowError",
                "NotificationStream",
                "connect",
            ],
        ),
        ("pgasync.cursor", ["Cursor", "CursorFactory", "CursorIterator"]),
        ("pgasync.pool", [name for name in PGPOOL if name != "__version__"]),
        ("pgasync.prepared_stmt", ["PreparedStatement"]),
        ("pgasync.opentelemetry", ["instrument", "is_instrumented", "uninstrument"]),
        ("pgasync.transaction", ["Transaction", "TransactionState"]),
        ("pgasync.sqlalchemy", ["PGDialect_pgasync", "dialect"]),
    ],
)
def test_public_names_are_pinned(module: str, expected: list[str]) -> None:
    imported = importlib.import_module(module)
    assert sorted(imported.__all__) == sorted(expected)
    missing = [name for name in expected if not hasattr(imported, name)]
    assert missing == []


def test_every_package_has_its_own_version() -> None:
    for package in ["pgwire", "pgtypes", "pgconn", "pgpool", "pgasync"]:
        version = importlib.import_module(package).__version__
        assert version.count(".") == 2, (package, version)


def test_umbrella_objects_are_the_packages_own() -> None:
    import pgasync
    import pgconn
    import pgtypes

    assert pgasync.connect is pgconn.connect and pgasync.Record is pgtypes.Record
    assert pgasync.UniqueViolationError is pgwire.exceptions.UniqueViolationError
    # The value classes are importable from the top level but not listed, as in asyncpg.
    assert pgasync.Range is pgtypes.Range and "Range" not in pgasync.__all__
    assert not hasattr(pgasync, "PostgresMessage")


def test_other_packages_use_only_pgwires_public_api() -> None:
    # Protocol tooling sees the same pgwire API as the driver: nothing above pgwire reaches
    # into its private modules (the SQLSTATE classes come from pgwire.exceptions).
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "packages"
    found = []
    for package in ["pgtypes", "pgconn", "pgpool", "pgasync"]:
        for path in sorted((root / package / "src").rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = (
                    [alias.name for alias in node.names]
                    if isinstance(node, ast.Import)
                    else [node.module or ""]
                    if isinstance(node, ast.ImportFrom)
                    else []
                )
                found += [f"{path.name}: {name}" for name in names if name.startswith("pgwire._")]
    assert found == []


def test_star_import_of_pgwire_exceptions_gives_every_sqlstate_class() -> None:
    namespace: dict[str, object] = {}
    exec("from pgwire.exceptions import *", namespace)
    assert namespace["UniqueViolationError"] is pgwire.exceptions.UniqueViolationError
    assert "__all__" not in namespace
    assert len(pgwire.exceptions.__all__) == len(set(pgwire.exceptions.__all__))
