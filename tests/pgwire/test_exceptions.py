"""Tests for the server error model (pgwire._postgres_message) and the generated SQLSTATE classes.

EXPECTED_TREE is asyncpg's class list (name, SQLSTATE, direct base), typed in from the behaviour
reference; the generated module must match it exactly.
"""

from __future__ import annotations

import pickle
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from tools import gen_sqlstate

from pgwire import _sqlstate, exceptions
from pgwire._postgres_message import (
    PostgresError,
    PostgresLogMessage,
    PostgresMessage,
    PostgresMessageMeta,
    PostgresWarning,
    UnknownPostgresError,
)

ROOT = Path(__file__).resolve().parents[2]
GENERATOR = ROOT / "tools" / "gen_sqlstate.py"
GENERATED = ROOT / "packages" / "pgwire" / "src" / "pgwire" / "_sqlstate.py"

# asyncpg's SQLSTATE classes as "base: name code, name code, ...", one base per paragraph (continuation
# lines indented); "-" marks the class without a code of its own.
EXPECTED_TREE = """
PostgresLogMessage: PostgresWarning 01000
PostgresWarning: DynamicResultSetsReturned 0100C, ImplicitZeroBitPadding 01008,
    NullValueEliminatedInSetFunction 01003, PrivilegeNotGranted 01007, PrivilegeNotRevoked 01006,
    StringDataRightTruncation 01004, DeprecatedFeature 01P01, NoData 02000
NoData: NoAdditionalDynamicResultSetsReturned 02001
PostgresError: SQLStatementNotYetCompleteError 03000, PostgresConnectionError 08000, TriggeredActionError
    09000, FeatureNotSupportedError 0A000, InvalidTransactionInitiationError 0B000, LocatorError 0F000,
    InvalidGrantorError 0L000, InvalidRoleSpecificationError 0P000, DiagnosticsError 0Z000,
    InvalidArgumentForXqueryError 10608, CaseNotFoundError 20000, CardinalityViolationError 21000,
    DataError 22000, IntegrityConstraintViolationError 23000, InvalidCursorStateError 24000,
    InvalidTransactionStateError 25000, InvalidSQLStatementNameError 26000,
    TriggeredDataChangeViolationError 27000, InvalidAuthorizationSpecificationError 28000,
    DependentPrivilegeDescriptorsStillExistError 2B000, InvalidTransactionTerminationError 2D000,
    SQLRoutineError 2F000, InvalidCursorNameError 34000, ExternalRoutineError 38000,
    ExternalRoutineInvocationError 39000, SavepointError 3B000, InvalidCatalogNameError 3D000,
    InvalidSchemaNameError 3F000, TransactionRollbackError 40000, SyntaxOrAccessError 42000,
    WithCheckOptionViolationError 44000, InsufficientResourcesError 53000, ProgramLimitExceededError
    54000, ObjectNotInPrerequisiteStateError 55000, OperatorInterventionError 57000, PostgresSystemError
    58000, SnapshotTooOldError 72000, ConfigFileError F0000, FDWError HV000, PLPGSQLError P0000,
    InternalServerError XX000
PostgresConnectionError: ConnectionDoesNotExistError 08003, ConnectionFailureError 08006,
    ClientCannotConnectError 08001, ConnectionRejectionError 08004, TransactionResolutionUnknownError
    08007, ProtocolViolationError 08P01
FeatureNotSupportedError: InvalidCachedStatementError -
LocatorError: InvalidLocatorSpecificationError 0F001
InvalidGrantorError: InvalidGrantOperationError 0LP01
DiagnosticsError: StackedDiagnosticsAccessedWithoutActiveHandlerError 0Z002
DataError: ArraySubscriptError 2202E, CharacterNotInRepertoireError 22021, DatetimeFieldOverflowError
    22008, DivisionByZeroError 22012, ErrorInAssignmentError 22005, EscapeCharacterConflictError 2200B,
    IndicatorOverflowError 22022, IntervalFieldOverflowError 22015, InvalidArgumentForLogarithmError
    2201E, InvalidArgumentForNtileFunctionError 22014, InvalidArgumentForNthValueFunctionError 22016,
    InvalidArgumentForPowerFunctionError 2201F, InvalidArgumentForWidthBucketFunctionError 2201G,
    InvalidCharacterValueForCastError 22018, InvalidDatetimeFormatError 22007, InvalidEscapeCharacterError
    22019, InvalidEscapeOctetError 2200D, InvalidEscapeSequenceError 22025,
    NonstandardUseOfEscapeCharacterError 22P06, InvalidIndicatorParameterValueError 22010,
    InvalidParameterValueError 22023, InvalidPrecedingOrFollowingSizeError 22013,
    InvalidRegularExpressionError 2201B, InvalidRowCountInLimitClauseError 2201W,
    InvalidRowCountInResultOffsetClauseError 2201X, InvalidTablesampleArgumentError 2202H,
    InvalidTablesampleRepeatError 2202G, InvalidTimeZoneDisplacementValueError 22009,
    InvalidUseOfEscapeCharacterError 2200C, MostSpecificTypeMismatchError 2200G, NullValueNotAllowedError
    22004, NullValueNoIndicatorParameterError 22002, NumericValueOutOfRangeError 22003,
    SequenceGeneratorLimitExceededError 2200H, StringDataLengthMismatchError 22026,
    StringDataRightTruncationError 22001, SubstringError 22011, TrimError 22027, UnterminatedCStringError
    22024, ZeroLengthCharacterStringError 2200F, PostgresFloatingPointError 22P01,
    InvalidTextRepresentationError 22P02, InvalidBinaryRepresentationError 22P03, BadCopyFileFormatError
    22P04, UntranslatableCharacterError 22P05, NotAnXmlDocumentError 2200L, InvalidXmlDocumentError 2200M,
    InvalidXmlContentError 2200N, InvalidXmlCommentError 2200S, InvalidXmlProcessingInstructionError
    2200T, DuplicateJsonObjectKeyValueError 22030, InvalidArgumentForSQLJsonDatetimeFunctionError 22031,
    InvalidJsonTextError 22032, InvalidSQLJsonSubscriptError 22033, MoreThanOneSQLJsonItemError 22034,
    NoSQLJsonItemError 22035, NonNumericSQLJsonItemError 22036, NonUniqueKeysInAJsonObjectError 22037,
    SingletonSQLJsonItemRequiredError 22038, SQLJsonArrayNotFoundError 22039, SQLJsonMemberNotFoundError
    2203A, SQLJsonNumberNotFoundError 2203B, SQLJsonObjectNotFoundError 2203C,
    TooManyJsonArrayElementsError 2203D, TooManyJsonObjectMembersError 2203E, SQLJsonScalarRequiredError
    2203F, SQLJsonItemCannotBeCastToTargetTypeError 2203G
IntegrityConstraintViolationError: RestrictViolationError 23001, NotNullViolationError 23502,
    ForeignKeyViolationError 23503, UniqueViolationError 23505, CheckViolationError 23514,
    ExclusionViolationError 23P01
InvalidTransactionStateError: ActiveSQLTransactionError 25001, BranchTransactionAlreadyActiveError 25002,
    HeldCursorRequiresSameIsolationLevelError 25008, InappropriateAccessModeForBranchTransactionError
    25003, InappropriateIsolationLevelForBranchTransactionError 25004,
    NoActiveSQLTransactionForBranchTransactionError 25005, ReadOnlySQLTransactionError 25006,
    SchemaAndDataStatementMixingNotSupportedError 25007, NoActiveSQLTransactionError 25P01,
    InFailedSQLTransactionError 25P02, IdleInTransactionSessionTimeoutError 25P03, TransactionTimeoutError
    25P04
InvalidAuthorizationSpecificationError: InvalidPasswordError 28P01
DependentPrivilegeDescriptorsStillExistError: DependentObjectsStillExistError 2BP01
SQLRoutineError: FunctionExecutedNoReturnStatementError 2F005, ModifyingSQLDataNotPermittedError 2F002,
    ProhibitedSQLStatementAttemptedError 2F003, ReadingSQLDataNotPermittedError 2F004
ExternalRoutineError: ContainingSQLNotPermittedError 38001,
    ModifyingExternalRoutineSQLDataNotPermittedError 38002,
    ProhibitedExternalRoutineSQLStatementAttemptedError 38003,
    ReadingExternalRoutineSQLDataNotPermittedError 38004
ExternalRoutineInvocationError: InvalidSqlstateReturnedError 39001,
    NullValueInExternalRoutineNotAllowedError 39004, TriggerProtocolViolatedError 39P01,
    SrfProtocolViolatedError 39P02, EventTriggerProtocolViolatedError 39P03
SavepointError: InvalidSavepointSpecificationError 3B001
TransactionRollbackError: TransactionIntegrityConstraintViolationError 40002, SerializationError 40001,
    StatementCompletionUnknownError 40003, DeadlockDetectedError 40P01
SyntaxOrAccessError: PostgresSyntaxError 42601, InsufficientPrivilegeError 42501, CannotCoerceError 42846,
    GroupingError 42803, WindowingError 42P20, InvalidRecursionError 42P19, InvalidForeignKeyError 42830,
    InvalidNameError 42602, NameTooLongError 42622, ReservedNameError 42939, DatatypeMismatchError 42804,
    IndeterminateDatatypeError 42P18, CollationMismatchError 42P21, IndeterminateCollationError 42P22,
    WrongObjectTypeError 42809, GeneratedAlwaysError 428C9, UndefinedColumnError 42703,
    UndefinedFunctionError 42883, UndefinedTableError 42P01, UndefinedParameterError 42P02,
    UndefinedObjectError 42704, DuplicateColumnError 42701, DuplicateCursorError 42P03,
    DuplicateDatabaseError 42P04, DuplicateFunctionError 42723, DuplicatePreparedStatementError 42P05,
    DuplicateSchemaError 42P06, DuplicateTableError 42P07, DuplicateAliasError 42712, DuplicateObjectError
    42710, AmbiguousColumnError 42702, AmbiguousFunctionError 42725, AmbiguousParameterError 42P08,
    AmbiguousAliasError 42P09, InvalidColumnReferenceError 42P10, InvalidColumnDefinitionError 42611,
    InvalidCursorDefinitionError 42P11, InvalidDatabaseDefinitionError 42P12,
    InvalidFunctionDefinitionError 42P13, InvalidPreparedStatementDefinitionError 42P14,
    InvalidSchemaDefinitionError 42P15, InvalidTableDefinitionError 42P16, InvalidObjectDefinitionError
    42P17
InsufficientResourcesError: DiskFullError 53100, OutOfMemoryError 53200, TooManyConnectionsError 53300,
    ConfigurationLimitExceededError 53400
ProgramLimitExceededError: StatementTooComplexError 54001, TooManyColumnsError 54011,
    TooManyArgumentsError 54023
ObjectNotInPrerequisiteStateError: ObjectInUseError 55006, CantChangeRuntimeParamError 55P02,
    LockNotAvailableError 55P03, UnsafeNewEnumValueUsageError 55P04
OperatorInterventionError: QueryCanceledError 57014, AdminShutdownError 57P01, CrashShutdownError 57P02,
    CannotConnectNowError 57P03, DatabaseDroppedError 57P04, IdleSessionTimeoutError 57P05
PostgresSystemError: PostgresIOError 58030, UndefinedFileError 58P01, DuplicateFileError 58P02,
    FileNameTooLongError 58P03
ConfigFileError: LockFileExistsError F0001
FDWError: FDWColumnNameNotFoundError HV005, FDWDynamicParameterValueNeededError HV002,
    FDWFunctionSequenceError HV010, FDWInconsistentDescriptorInformationError HV021,
    FDWInvalidAttributeValueError HV024, FDWInvalidColumnNameError HV007, FDWInvalidColumnNumberError
    HV008, FDWInvalidDataTypeError HV004, FDWInvalidDataTypeDescriptorsError HV006,
    FDWInvalidDescriptorFieldIdentifierError HV091, FDWInvalidHandleError HV00B,
    FDWInvalidOptionIndexError HV00C, FDWInvalidOptionNameError HV00D,
    FDWInvalidStringLengthOrBufferLengthError HV090, FDWInvalidStringFormatError HV00A,
    FDWInvalidUseOfNullPointerError HV009, FDWTooManyHandlesError HV014, FDWOutOfMemoryError HV001,
    FDWNoSchemasError HV00P, FDWOptionNameNotFoundError HV00J, FDWReplyHandleError HV00K,
    FDWSchemaNotFoundError HV00Q, FDWTableNotFoundError HV00R, FDWUnableToCreateExecutionError HV00L,
    FDWUnableToCreateReplyError HV00M, FDWUnableToEstablishConnectionError HV00N
PLPGSQLError: RaiseError P0001, NoDataFoundError P0002, TooManyRowsError P0003, AssertError P0004
InternalServerError: DataCorruptedError XX001, IndexCorruptedError XX002
"""


def _parse_tree(text: str) -> list[tuple[str, str | None, str]]:
    """(class name, SQLSTATE or None, name of its direct base) for each entry of EXPECTED_TREE."""
    paragraphs: list[str] = []
    for line in text.strip().splitlines():
        if line.startswith(" "):
            paragraphs[-1] += " " + line.strip()
        else:
            paragraphs.append(line)
    rows: list[tuple[str, str | None, str]] = []
    for paragraph in paragraphs:
        base, _, entries = paragraph.partition(": ")
        for entry in entries.split(", "):
            name, code = entry.split()
            rows.append((name, None if code == "-" else code, base))
    return rows


EXPECTED_CLASSES = _parse_tree(EXPECTED_TREE)

# Every field of "Error and Notice Message Fields": type code -> attribute.
FIELDS = {
    "S": "severity",
    "V": "severity_en",
    "C": "sqlstate",
    "M": "message",
    "D": "detail",
    "H": "hint",
    "P": "position",
    "p": "internal_position",
    "q": "internal_query",
    "W": "context",
    "s": "schema_name",
    "t": "table_name",
    "c": "column_name",
    "d": "data_type_name",
    "n": "constraint_name",
    "F": "server_source_filename",
    "L": "server_source_line",
    "R": "server_source_function",
}


def all_fields(code: str) -> dict[str, str]:
    """A field set with every known field, each value distinct, SQLSTATE ``code``."""
    fields = {key: f"value of {name}" for key, name in FIELDS.items()}
    fields["C"] = code
    fields["P"] = "15"
    return fields


# --- the generated classes --------------------------------------------------------------------


def test_expected_list_is_the_whole_reference() -> None:
    assert len(EXPECTED_CLASSES) == 263
    assert len({name for name, _, _ in EXPECTED_CLASSES}) == 263


@pytest.mark.parametrize(("name", "sqlstate", "base"), EXPECTED_CLASSES)
def test_class_name_code_and_base(name: str, sqlstate: str | None, base: str) -> None:
    cls = getattr(exceptions, name)
    assert cls.__name__ == name
    assert cls.__bases__[0] is getattr(exceptions, base)
    assert issubclass(cls, PostgresMessage)
    if sqlstate is None:
        # No code of its own: inherits its base's and is not what a lookup returns.
        assert "sqlstate" not in vars(cls)
        assert PostgresMessageMeta.get_message_class_for_sqlstate(cls.sqlstate) is not cls
    else:
        assert vars(cls)["sqlstate"] == sqlstate
        assert PostgresMessageMeta.get_message_class_for_sqlstate(sqlstate) is cls


def test_generated_module_has_exactly_the_expected_classes() -> None:
    generated = set(_sqlstate.__all__)
    expected = {name for name, _, _ in EXPECTED_CLASSES}
    # PostgresWarning (01000) is written by hand as the base of the warning classes.
    assert generated | {"PostgresWarning"} == expected
    assert len(generated) == 262
    defined = {name for name, value in vars(_sqlstate).items() if isinstance(value, type)}
    assert defined - {"PostgresError", "PostgresWarning"} == generated


def test_codes_missing_from_reference_still_get_a_class() -> None:
    expected_codes = {code for _, code, _ in EXPECTED_CLASSES}
    for code in gen_sqlstate.parse(gen_sqlstate.ERRCODES.read_text(encoding="utf-8").splitlines()):
        if code.kind == "S":
            continue
        cls = PostgresMessageMeta.get_message_class_for_sqlstate(code.sqlstate)
        assert cls is not UnknownPostgresError, code
        if code.sqlstate not in expected_codes:
            assert cls.__name__ == gen_sqlstate.class_name(code)


def test_errcodes_has_the_newest_codes_and_legacy_72000_is_kept() -> None:
    codes = {code.sqlstate for code in gen_sqlstate.parse(gen_sqlstate.ERRCODES.read_text().splitlines())}
    assert {"10608", "25P04", "58P03", "2203G"} <= codes
    assert "72000" not in codes  # removed in PostgreSQL 17 ...
    assert exceptions.SnapshotTooOldError.sqlstate == "72000"  # ... but older servers send it


def test_warning_classes_are_warnings_not_errors() -> None:
    for name, sqlstate, _ in EXPECTED_CLASSES:
        cls = getattr(exceptions, name)
        is_warning_code = sqlstate is not None and sqlstate[:2] in ("01", "02")
        assert issubclass(cls, Warning) is is_warning_code, name
        assert issubclass(cls, PostgresLogMessage) is is_warning_code, name
        assert issubclass(cls, PostgresError) is not is_warning_code, name
        assert name.endswith("Error") is not is_warning_code or name == "PostgresWarning", name


def test_renamed_classes_do_not_shadow_builtins() -> None:
    assert exceptions.PostgresSyntaxError.sqlstate == "42601"
    assert exceptions.PostgresConnectionError.sqlstate == "08000"
    assert not issubclass(exceptions.PostgresConnectionError, ConnectionError)
    assert not hasattr(exceptions, "SyntaxError")
    assert not hasattr(exceptions, "ConnectionError")


def test_category_classes_catch_their_codes() -> None:
    error = PostgresError.new({"C": "23505", "M": "duplicate key"})
    with pytest.raises(exceptions.IntegrityConstraintViolationError):
        raise error
    assert isinstance(PostgresError.new({"C": "XX001"}), exceptions.InternalServerError)


# --- the public module --------------------------------------------------------------------------


def test_public_module_all() -> None:
    names = set(exceptions.__all__)
    assert len(names) == len(exceptions.__all__)
    assert {name for name, _, _ in EXPECTED_CLASSES} <= names
    assert {
        "PostgresError",
        "FatalPostgresError",
        "UnknownPostgresError",
        "PostgresLogMessage",
        "PostgresWarning",
        "InterfaceError",
        "InterfaceWarning",
        "ClientConfigurationError",
        "UnsupportedClientFeatureError",
        "UnsupportedServerFeatureError",
        "InternalClientError",
        "ProtocolError",
        "OutdatedSchemaCacheError",
        "TargetServerAttributeNotMatched",
    } <= names
    assert "PostgresMessage" not in names
    assert exceptions.PostgresMessage is PostgresMessage
    for name in names:
        assert getattr(exceptions, name) is not None
    namespace: dict[str, object] = {}
    exec("from pgwire.exceptions import *", namespace)
    assert "PostgresMessage" not in namespace
    assert namespace["UniqueViolationError"] is exceptions.UniqueViolationError


def test_client_data_error_is_the_server_class() -> None:
    # Argument-encoding failures raise the server DataError: sqlstate 22000 from the class.
    error = exceptions.DataError("invalid input for query argument $1")
    assert error.sqlstate == "22000"
    assert error.args[0] == "invalid input for query argument $1"
    assert str(error) == "invalid input for query argument $1"
    assert error.detail is None
    assert error.as_dict() == {"sqlstate": "22000"}


# --- new() --------------------------------------------------------------------------------------


def test_class_level_defaults_are_none() -> None:
    for name in [*FIELDS.values(), "query"]:
        assert getattr(PostgresError, name) is None
        assert getattr(PostgresMessage, name) is None
    assert exceptions.UniqueViolationError.schema_name is None


@pytest.mark.parametrize(("code", "name"), FIELDS.items())
def test_new_maps_every_field(code: str, name: str) -> None:
    fields = all_fields("23505")
    error = PostgresError.new(fields, query="INSERT INTO t VALUES (1)")
    assert type(error) is exceptions.UniqueViolationError
    assert getattr(error, name) == fields[code]
    assert error.as_dict()[name] == fields[code]


def test_new_with_all_fields() -> None:
    fields = all_fields("42P01")
    error = PostgresError.new(fields, query="SELECT * FROM nope")
    assert type(error) is exceptions.UndefinedTableError
    assert error.as_dict() == {name: fields[code] for code, name in FIELDS.items()}
    assert error.query == "SELECT * FROM nope"
    assert "query" not in error.as_dict()
    assert error.position == "15"
    assert error.args == (fields["M"],)


def test_new_leaves_missing_fields_none() -> None:
    error = PostgresError.new({"S": "ERROR", "C": "22012", "M": "division by zero"})
    assert type(error) is exceptions.DivisionByZeroError
    assert error.detail is None
    assert error.hint is None
    assert error.query is None
    assert error.as_dict() == {"severity": "ERROR", "sqlstate": "22012", "message": "division by zero"}


def test_unknown_field_codes_are_kept() -> None:
    error = PostgresError.new({"C": "42601", "M": "syntax", "Z": "future", "!": "odd"})
    assert error.as_dict() == {"sqlstate": "42601", "message": "syntax", "Z": "future", "!": "odd"}
    clone = pickle.loads(pickle.dumps(error))
    assert clone.as_dict() == error.as_dict()


def test_unknown_sqlstate_gives_unknown_error() -> None:
    error = PostgresError.new({"C": "ZZ999", "M": "mystery"})
    assert type(error) is UnknownPostgresError
    assert isinstance(error, exceptions.FatalPostgresError)
    assert error.sqlstate == "ZZ999"
    assert UnknownPostgresError.sqlstate is None
    assert type(PostgresError.new({"M": "no code"})) is UnknownPostgresError
    assert PostgresMessageMeta.get_message_class_for_sqlstate("ZZ999") is UnknownPostgresError
    assert PostgresMessageMeta.get_message_class_for_sqlstate(None) is UnknownPostgresError


def test_new_picks_exact_code_not_category() -> None:
    # 22P99 is not a code; the category class (22000) is not used for errors.
    assert type(PostgresError.new({"C": "22P99"})) is UnknownPostgresError
    assert type(PostgresError.new({"C": "22000"})) is exceptions.DataError


def test_error_new_never_returns_a_warning() -> None:
    assert type(PostgresError.new({"C": "01000", "M": "w"})) is UnknownPostgresError
    assert type(PostgresMessage.new({"C": "01000", "M": "w"})) is PostgresWarning
    assert type(PostgresMessage.new({"C": "40P01", "M": "d"})) is exceptions.DeadlockDetectedError


def test_invalid_cached_statement_error_is_not_registered() -> None:
    assert PostgresMessageMeta.get_message_class_for_sqlstate("0A000") is exceptions.FeatureNotSupportedError
    error = exceptions.InvalidCachedStatementError("cached statement plan is invalid")
    assert isinstance(error, exceptions.FeatureNotSupportedError)
    assert error.sqlstate == "0A000"


def test_registering_a_code_twice_fails() -> None:
    with pytest.raises(RuntimeError, match="22012"):

        class Again(PostgresError):
            sqlstate = "22012"

    assert PostgresMessageMeta.get_message_class_for_sqlstate("22012") is exceptions.DivisionByZeroError


# --- str() --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "text"),
    [
        ({"M": "boom"}, "boom"),
        ({"M": "boom", "D": "d"}, "boom\nDETAIL:  d"),
        ({"M": "boom", "H": "h"}, "boom\nHINT:  h"),
        ({"M": "boom", "D": "d", "H": "h"}, "boom\nDETAIL:  d\nHINT:  h"),
        ({"M": "boom", "D": "d", "H": "h", "W": "ctx", "s": "public"}, "boom\nDETAIL:  d\nHINT:  h"),
    ],
)
def test_error_str_layout(fields: dict[str, str], text: str) -> None:
    error = PostgresError.new({"C": "42703", **fields})
    assert str(error) == text


def test_log_message_str() -> None:
    notice = PostgresLogMessage.new({"S": "NOTICE", "V": "NOTICE", "C": "00000", "M": "hello", "D": "x"})
    assert str(notice) == "PostgresLogMessage: hello"
    warning = PostgresLogMessage.new({"S": "WARNING", "V": "WARNING", "C": "01P01", "M": "old"})
    assert str(warning) == "DeprecatedFeature: old"
    # An error class delivered as a notice keeps the error layout.
    error = PostgresLogMessage.new({"S": "WARNING", "V": "WARNING", "C": "25P01", "M": "no txn"})
    assert str(error) == "no txn"


# --- log messages -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"S": "NOTICE", "V": "NOTICE", "C": "00000"}, PostgresLogMessage),
        ({"S": "WARNING", "V": "WARNING", "C": "99999"}, PostgresWarning),
        ({"S": "WARNUNG", "V": "WARNING", "C": "99999"}, PostgresWarning),
        ({"S": "NOTICE", "V": "NOTICE", "C": "99999"}, PostgresLogMessage),
        ({"S": "WARNING", "V": "WARNING", "C": "01004"}, exceptions.StringDataRightTruncation),
        ({"S": "WARNING", "V": "WARNING", "C": "01XYZ"}, PostgresWarning),
        ({"S": "WARNING", "V": "WARNING", "C": "02XYZ"}, exceptions.NoData),
        ({"S": "WARNING", "V": "WARNING", "C": "25P01"}, exceptions.NoActiveSQLTransactionError),
        ({"S": "NOTICE", "V": "NOTICE", "C": "42P07"}, exceptions.DuplicateTableError),
        ({"S": "NOTICE", "V": "NOTICE", "C": "42PZZ"}, exceptions.SyntaxOrAccessError),
        ({"S": "NOTICE"}, PostgresLogMessage),
    ],
)
def test_log_message_class(fields: dict[str, str], expected: type[PostgresMessage]) -> None:
    message = PostgresLogMessage.new({**fields, "M": "m"}, query="SELECT 1")
    assert type(message) is expected
    assert message.message == "m"
    assert message.query == "SELECT 1"
    assert message.sqlstate == fields.get("C", expected.sqlstate)


def test_log_messages_are_immutable() -> None:
    for fields in ({"C": "00000", "M": "n"}, {"C": "01004", "M": "w"}):
        message = PostgresLogMessage.new(fields)
        assert isinstance(message, PostgresLogMessage)
        with pytest.raises(TypeError):
            message.message = "changed"
        with pytest.raises(TypeError):
            message.anything = 1
        with pytest.raises(TypeError):
            del message.message
        assert message.message == fields["M"]


def test_plain_log_message_is_not_an_exception() -> None:
    assert not issubclass(PostgresLogMessage, BaseException)
    assert issubclass(PostgresWarning, Warning)
    assert not issubclass(PostgresWarning, PostgresError)


def test_warning_can_still_be_issued_and_noted() -> None:
    warning = PostgresLogMessage.new({"C": "01P01", "M": "deprecated"})
    assert isinstance(warning, PostgresWarning)
    warning.add_note("extra")
    assert warning.__notes__ == ["extra"]
    with pytest.warns(exceptions.DeprecatedFeature):
        warnings.warn(warning, stacklevel=1)


# --- pickling -----------------------------------------------------------------------------------


def _pickle_cases() -> list[PostgresMessage]:
    return [
        PostgresError.new(all_fields("23505"), query="INSERT"),
        PostgresError.new(all_fields("42601")),
        PostgresError.new(all_fields("08P01")),
        PostgresError.new(all_fields("ZZ000"), query="SELECT"),
        PostgresError.new({**all_fields("42P05"), "Z": "extra"}),
        exceptions.DataError("invalid input for query argument $1"),
        exceptions.InvalidCachedStatementError("cached statement plan is invalid"),
        PostgresLogMessage.new({"S": "NOTICE", "C": "00000", "M": "plain"}, query="DO $$ $$"),
        PostgresLogMessage.new(all_fields("01004")),
        PostgresLogMessage.new({"S": "WARNING", "V": "WARNING", "C": "99999", "M": "w"}),
        PostgresLogMessage.new(all_fields("25P01")),
    ]


@pytest.mark.parametrize("message", _pickle_cases(), ids=lambda m: type(m).__name__)
def test_pickle_round_trip(message: PostgresMessage) -> None:
    clone = pickle.loads(pickle.dumps(message))
    assert type(clone) is type(message)
    assert clone.as_dict() == message.as_dict()
    assert vars(clone) == vars(message)
    for name in [*FIELDS.values(), "query"]:
        assert getattr(clone, name) == getattr(message, name)
    assert str(clone) == str(message)
    if isinstance(message, BaseException):
        assert isinstance(clone, BaseException)
        assert clone.args == message.args


# --- the pgbouncer note -------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["42P05", "26000"])
def test_pgbouncer_note_added(code: str) -> None:
    error = PostgresError.new({"C": code, "M": "prepared statement problem"})
    assert error.hint is not None
    assert "PgBouncer" in error.hint
    assert "statement_cache_size=0" in error.hint
    assert "max_prepared_statements" in error.hint
    with_hint = PostgresError.new({"C": code, "M": "m", "H": "server hint"})
    assert with_hint.hint is not None
    assert with_hint.hint.startswith("server hint\n\n")
    assert "PgBouncer" in with_hint.hint


def test_pgbouncer_note_only_for_those_codes() -> None:
    assert PostgresError.new({"C": "42P07", "M": "m"}).hint is None
    assert PostgresError.new({"C": "42P07", "M": "m", "H": "h"}).hint == "h"


# --- the generator ------------------------------------------------------------------------------


def run_generator(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(GENERATOR), *args], capture_output=True, text=True, cwd=ROOT, check=False
    )


def test_generator_check_passes_on_committed_module() -> None:
    result = run_generator("--check")
    assert result.returncode == 0, result.stderr


def test_generator_check_fails_on_modified_copy(tmp_path: Path) -> None:
    copy = tmp_path / "_sqlstate.py"
    shutil.copy(GENERATED, copy)
    assert run_generator("--check", "--output", str(copy)).returncode == 0
    copy.write_text(GENERATED.read_text().replace('sqlstate = "23505"', 'sqlstate = "23506"'))
    result = run_generator("--check", "--output", str(copy))
    assert result.returncode == 1
    assert "out of date" in result.stderr
    assert "gen_sqlstate.py" in result.stderr


def test_generator_check_fails_on_missing_file(tmp_path: Path) -> None:
    result = run_generator("--check", "--output", str(tmp_path / "missing.py"))
    assert result.returncode == 1


def test_generator_writes_the_committed_text(tmp_path: Path) -> None:
    target = tmp_path / "out.py"
    assert run_generator("--output", str(target)).returncode == 0
    assert target.read_text() == GENERATED.read_text()
    assert gen_sqlstate.generate() == GENERATED.read_text()


@pytest.mark.parametrize(
    ("line", "name"),
    [
        ("22012    E    ERRCODE_DIVISION_BY_ZERO    division_by_zero", "DivisionByZeroError"),
        ("38000    E    ERRCODE_X    external_routine_exception", "ExternalRoutineError"),
        ("42803    E    ERRCODE_X    grouping_error", "GroupingError"),
        ("25001    E    ERRCODE_X    active_sql_transaction", "ActiveSQLTransactionError"),
        ("HV00K    E    ERRCODE_X    fdw_reply_handle", "FDWReplyHandleError"),
        ("P0000    E    ERRCODE_X    plpgsql_error", "PLPGSQLError"),
        ("22032    E    ERRCODE_X    invalid_json_text", "InvalidJsonTextError"),
        ("39001    E    ERRCODE_X    invalid_sqlstate_returned", "InvalidSqlstateReturnedError"),
        ("01P01    W    ERRCODE_X    deprecated_feature", "DeprecatedFeature"),
        ("42601    E    ERRCODE_X    syntax_error", "PostgresSyntaxError"),
        ("99001    E    ERRCODE_X    brand_new_sql_thing", "BrandNewSQLThingError"),
    ],
)
def test_name_rule(line: str, name: str) -> None:
    (code,) = gen_sqlstate.parse([line])
    assert gen_sqlstate.class_name(code) == name


def test_parse_skips_aliases_and_comments_and_rejects_garbage() -> None:
    lines = [
        "# comment",
        "",
        "Section: Class 22 - Data Exception",
        "22000    E    ERRCODE_DATA_EXCEPTION    data_exception",
        "2202E    E    ERRCODE_ARRAY_ELEMENT_ERROR",
    ]
    assert gen_sqlstate.parse(lines) == [
        gen_sqlstate.Code("22000", "E", "data_exception", "Class 22 - Data Exception")
    ]
    with pytest.raises(ValueError, match="line 1"):
        gen_sqlstate.parse(["not a code line"])
