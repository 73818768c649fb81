"""Exceptions: the DB-API 2.0 hierarchy and one class per PostgreSQL SQLSTATE.

Every error the driver raises derives from :class:`Error`. Errors reported by
the server are instances of the class of their SQLSTATE (``UniqueViolation``
for ``23505``), which derives from the category class of its SQLSTATE class
(``IntegrityConstraintViolation`` for class ``23``) and from the DB-API class
psycopg 3 uses for it (``IntegrityError``), so code written against either
level keeps working. The server's error fields are available as ``.diag``.

The SQLSTATE classes are generated from PostgreSQL's ``errcodes.txt`` by
``tools/gen_errcodes.py``; see the marked section below. Each is made when
first used (named, looked up, or raised), not at import: making some 280
classes was an eighth of the time ``import pgwire`` takes.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any


class Warning(Exception):  # noqa: A001 - the DB-API name
    """Important warnings, e.g. data truncation."""


class Diagnostic:
    """The fields of an ErrorResponse or NoticeResponse, by attribute name.

    Built from a mapping of the protocol's one-letter field codes (``"C"``,
    ``"M"``, ``"D"``...) to their decoded values. Every attribute is ``None``
    when the server did not send that field. Positions and line numbers stay
    strings, as the server sent them.
    """

    __slots__ = ("_fields",)

    def __init__(self, fields: Mapping[str, str] | None = None) -> None:
        # A private copy: the caller's dict may be a reused parser buffer.
        self._fields: dict[str, str] = dict(fields) if fields else {}

    def _get(self, code: str) -> str | None:
        return self._fields.get(code)

    @property
    def severity(self) -> str | None:
        """Severity, possibly localized: ``ERROR``, ``FATAL``, ``NOTICE``... (S)."""
        return self._get("S")

    @property
    def severity_nonlocalized(self) -> str | None:
        """Severity, never localized (V); sent by PostgreSQL 9.6 and later."""
        return self._get("V")

    @property
    def sqlstate(self) -> str | None:
        """The five-character SQLSTATE code (C)."""
        return self._get("C")

    @property
    def message_primary(self) -> str | None:
        """The primary, one-line, human-readable message (M)."""
        return self._get("M")

    @property
    def message_detail(self) -> str | None:
        """An optional secondary message with more detail (D)."""
        return self._get("D")

    @property
    def message_hint(self) -> str | None:
        """An optional suggestion of what to do about the problem (H)."""
        return self._get("H")

    @property
    def statement_position(self) -> str | None:
        """1-based character index of the error in the query text (P)."""
        return self._get("P")

    @property
    def internal_position(self) -> str | None:
        """Like ``statement_position``, but in ``internal_query`` (p)."""
        return self._get("p")

    @property
    def internal_query(self) -> str | None:
        """The text of an internally generated query that failed (q)."""
        return self._get("q")

    @property
    def context(self) -> str | None:
        """Where the error happened, e.g. a call-stack traceback of functions (W)."""
        return self._get("W")

    @property
    def schema_name(self) -> str | None:
        """Schema of the object the error is about (s)."""
        return self._get("s")

    @property
    def table_name(self) -> str | None:
        """Table the error is about (t)."""
        return self._get("t")

    @property
    def column_name(self) -> str | None:
        """Column the error is about (c)."""
        return self._get("c")

    @property
    def datatype_name(self) -> str | None:
        """Data type the error is about (d)."""
        return self._get("d")

    @property
    def constraint_name(self) -> str | None:
        """Constraint the error is about (n)."""
        return self._get("n")

    @property
    def source_file(self) -> str | None:
        """Server source file that reported the error (F)."""
        return self._get("F")

    @property
    def source_line(self) -> str | None:
        """Line in ``source_file`` that reported the error (L)."""
        return self._get("L")

    @property
    def source_function(self) -> str | None:
        """Server source function that reported the error (R)."""
        return self._get("R")

    def as_dict(self) -> dict[str, str]:
        """A copy of the raw fields, keyed by one-letter field code."""
        return dict(self._fields)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Diagnostic):
            return NotImplemented
        return self._fields == other._fields

    def __hash__(self) -> int:
        # The fields never change after construction, so hashing by value is safe.
        return hash(frozenset(self._fields.items()))

    def __reduce__(self) -> tuple[Any, ...]:
        return (Diagnostic, (dict(self._fields),))

    def __repr__(self) -> str:
        parts = [
            f"{name}={value!r}"
            for name, code in _DIAG_FIELDS
            if (value := self._fields.get(code)) is not None
        ]
        # Fields this version does not name are kept, and shown, by code.
        parts.extend(
            f"{code!r}={value!r}"
            for code, value in self._fields.items()
            if code not in _DIAG_CODES
        )
        return f"<Diagnostic {' '.join(parts)}>" if parts else "<Diagnostic (empty)>"


# Attribute name -> field code, in the order a repr shows them.
_DIAG_FIELDS: tuple[tuple[str, str], ...] = (
    ("severity", "S"),
    ("severity_nonlocalized", "V"),
    ("sqlstate", "C"),
    ("message_primary", "M"),
    ("message_detail", "D"),
    ("message_hint", "H"),
    ("statement_position", "P"),
    ("internal_position", "p"),
    ("internal_query", "q"),
    ("context", "W"),
    ("schema_name", "s"),
    ("table_name", "t"),
    ("column_name", "c"),
    ("datatype_name", "d"),
    ("constraint_name", "n"),
    ("source_file", "F"),
    ("source_line", "L"),
    ("source_function", "R"),
)
_DIAG_CODES = frozenset(code for _, code in _DIAG_FIELDS)


def _restore_error(cls: type[Error], args: tuple[Any, ...], state: dict[str, Any]) -> Error:
    # Bypasses __init__ so that subclasses with other signatures unpickle too.
    exc = cls.__new__(cls, *args)
    exc.args = args
    exc.__dict__.update(state)
    return exc


class Error(Exception):
    """Base class of every error the driver raises.

    ``diag`` holds the server's error fields (empty for errors raised by the
    driver itself). ``sqlstate`` is the code the server sent, else the code
    of the exception's class, else ``None``.
    """

    sqlstate: str | None = None

    def __init__(self, *args: object, diag: Diagnostic | None = None) -> None:
        super().__init__(*args)
        self._diag = diag if diag is not None else Diagnostic()
        # An instance attribute, so an unknown code reported under a known
        # class's exception (see error_from_fields) still reads back exactly.
        self.sqlstate = self._diag.sqlstate or type(self).sqlstate

    @property
    def diag(self) -> Diagnostic:
        """The server's error fields; empty when the error did not come from it."""
        return self._diag

    @property
    def pgcode(self) -> str | None:
        """psycopg2's name for the SQLSTATE the server sent; None for the driver's own errors."""
        return self._diag.sqlstate

    @property
    def pgerror(self) -> str | None:
        """psycopg2's ``pgerror``: the server's message as ``str()`` shows it.

        None for the driver's own errors.
        """
        return str(self) if self._diag.sqlstate else None

    def __reduce__(self) -> tuple[Any, ...]:
        return (_restore_error, (type(self), self.args, dict(self.__dict__)))


class InterfaceError(Error):
    """An error related to the driver rather than the database."""


class DatabaseError(Error):
    """An error related to the database."""


class DataError(DatabaseError):
    """A problem with the processed data (division by zero, value out of range...)."""


class UnencodableText(DataError, UnicodeEncodeError):
    """A str value the client encoding can't write (raised before anything is sent).

    Also a ``UnicodeEncodeError``, which psycopg 3 raises in this case, with
    the codec's ``encoding``, ``object``, ``start``, ``end`` and ``reason``.
    """

    def __init__(self, error: UnicodeEncodeError) -> None:
        super().__init__(error.encoding, error.object, error.start, error.end, error.reason)

    def __str__(self) -> str:
        text = self.object
        shown = f"{text[:40]!r}{'...' if len(text) > 40 else ''}"
        return (
            f"cannot encode {shown} in the client encoding {self.encoding}: "
            f"{UnicodeEncodeError.__str__(self)}"
        )


class OperationalError(DatabaseError):
    """An error related to the database's operation, not under the programmer's control."""


class IntegrityError(DatabaseError):
    """The relational integrity of the database is affected."""


class InternalError(DatabaseError):
    """The database encountered an internal error."""


class ProgrammingError(DatabaseError):
    """A programming error: wrong SQL, wrong number of parameters..."""


class NotSupportedError(DatabaseError):
    """A method or database API was used which the database does not support."""


class ParametersTypeError(ProgrammingError, TypeError):
    """Query parameters of the wrong kind (a str, an int, a mapping for ``$1``...).

    A ProgrammingError for PEP 249, and a TypeError as psycopg raises there,
    so code written either way catches it.
    """


# BEGIN generated SQLSTATE classes (tools/gen_errcodes.py); do not edit by hand

if TYPE_CHECKING:
    # The classes as type checkers see them. At run time each is made when
    # first used (_sqlstate_class), from _SQLSTATE_CLASSES below.

    # Class 00 - Successful Completion

    class SuccessfulCompletion(DatabaseError):
        """SQLSTATE 00000: successful_completion, the category of class 00."""

        sqlstate = "00000"

    # Class 01 - Warning

    class Warning_(DatabaseError):
        """SQLSTATE 01000: warning, the category of class 01."""

        sqlstate = "01000"

    class DynamicResultSetsReturned(Warning_):
        """SQLSTATE 0100C: dynamic_result_sets_returned."""

        sqlstate = "0100C"

    class ImplicitZeroBitPadding(Warning_):
        """SQLSTATE 01008: implicit_zero_bit_padding."""

        sqlstate = "01008"

    class NullValueEliminatedInSetFunction(Warning_):
        """SQLSTATE 01003: null_value_eliminated_in_set_function."""

        sqlstate = "01003"

    class PrivilegeNotGranted(Warning_):
        """SQLSTATE 01007: privilege_not_granted."""

        sqlstate = "01007"

    class PrivilegeNotRevoked(Warning_):
        """SQLSTATE 01006: privilege_not_revoked."""

        sqlstate = "01006"

    class StringDataRightTruncationWarning(Warning_):
        """SQLSTATE 01004: string_data_right_truncation."""

        sqlstate = "01004"

    class DeprecatedFeature(Warning_):
        """SQLSTATE 01P01: deprecated_feature."""

        sqlstate = "01P01"

    # Class 02 - No Data (this is also a warning class per the SQL standard)

    class NoData(DatabaseError):
        """SQLSTATE 02000: no_data, the category of class 02."""

        sqlstate = "02000"

    class NoAdditionalDynamicResultSetsReturned(NoData):
        """SQLSTATE 02001: no_additional_dynamic_result_sets_returned."""

        sqlstate = "02001"

    # Class 03 - SQL Statement Not Yet Complete

    class SqlStatementNotYetComplete(DatabaseError):
        """SQLSTATE 03000: sql_statement_not_yet_complete, the category of class 03."""

        sqlstate = "03000"

    # Class 08 - Connection Exception

    class ConnectionException(OperationalError):
        """SQLSTATE 08000: connection_exception, the category of class 08."""

        sqlstate = "08000"

    class ConnectionDoesNotExist(ConnectionException):
        """SQLSTATE 08003: connection_does_not_exist."""

        sqlstate = "08003"

    class ConnectionFailure(ConnectionException):
        """SQLSTATE 08006: connection_failure."""

        sqlstate = "08006"

    class SqlclientUnableToEstablishSqlconnection(ConnectionException):
        """SQLSTATE 08001: sqlclient_unable_to_establish_sqlconnection."""

        sqlstate = "08001"

    class SqlserverRejectedEstablishmentOfSqlconnection(ConnectionException):
        """SQLSTATE 08004: sqlserver_rejected_establishment_of_sqlconnection."""

        sqlstate = "08004"

    class TransactionResolutionUnknown(ConnectionException):
        """SQLSTATE 08007: transaction_resolution_unknown."""

        sqlstate = "08007"

    class ProtocolViolation(ConnectionException):
        """SQLSTATE 08P01: protocol_violation."""

        sqlstate = "08P01"

    # Class 09 - Triggered Action Exception

    class TriggeredActionException(DatabaseError):
        """SQLSTATE 09000: triggered_action_exception, the category of class 09."""

        sqlstate = "09000"

    # Class 0A - Feature Not Supported

    class FeatureNotSupported(NotSupportedError):
        """SQLSTATE 0A000: feature_not_supported, the category of class 0A."""

        sqlstate = "0A000"

    # Class 0B - Invalid Transaction Initiation

    class InvalidTransactionInitiation(DatabaseError):
        """SQLSTATE 0B000: invalid_transaction_initiation, the category of class 0B."""

        sqlstate = "0B000"

    # Class 0F - Locator Exception

    class LocatorException(DatabaseError):
        """SQLSTATE 0F000: locator_exception, the category of class 0F."""

        sqlstate = "0F000"

    class InvalidLocatorSpecification(LocatorException):
        """SQLSTATE 0F001: invalid_locator_specification."""

        sqlstate = "0F001"

    # Class 0L - Invalid Grantor

    class InvalidGrantor(DatabaseError):
        """SQLSTATE 0L000: invalid_grantor, the category of class 0L."""

        sqlstate = "0L000"

    class InvalidGrantOperation(InvalidGrantor):
        """SQLSTATE 0LP01: invalid_grant_operation."""

        sqlstate = "0LP01"

    # Class 0P - Invalid Role Specification

    class InvalidRoleSpecification(DatabaseError):
        """SQLSTATE 0P000: invalid_role_specification, the category of class 0P."""

        sqlstate = "0P000"

    # Class 0Z - Diagnostics Exception

    class DiagnosticsException(DatabaseError):
        """SQLSTATE 0Z000: diagnostics_exception, the category of class 0Z."""

        sqlstate = "0Z000"

    class StackedDiagnosticsAccessedWithoutActiveHandler(DiagnosticsException):
        """SQLSTATE 0Z002: stacked_diagnostics_accessed_without_active_handler."""

        sqlstate = "0Z002"

    # Class 10 - XQuery Error

    class InvalidArgumentForXquery(ProgrammingError):
        """SQLSTATE 10608: invalid_argument_for_xquery."""

        sqlstate = "10608"

    # Class 20 - Case Not Found

    class CaseNotFound(ProgrammingError):
        """SQLSTATE 20000: case_not_found, the category of class 20."""

        sqlstate = "20000"

    # Class 21 - Cardinality Violation

    class CardinalityViolation(ProgrammingError):
        """SQLSTATE 21000: cardinality_violation, the category of class 21."""

        sqlstate = "21000"

    # Class 22 - Data Exception

    class DataException(DataError):
        """SQLSTATE 22000: data_exception, the category of class 22."""

        sqlstate = "22000"

    class ArraySubscriptError(DataException):
        """SQLSTATE 2202E: array_subscript_error."""

        sqlstate = "2202E"

    class CharacterNotInRepertoire(DataException):
        """SQLSTATE 22021: character_not_in_repertoire."""

        sqlstate = "22021"

    class DatetimeFieldOverflow(DataException):
        """SQLSTATE 22008: datetime_field_overflow."""

        sqlstate = "22008"

    class DivisionByZero(DataException):
        """SQLSTATE 22012: division_by_zero."""

        sqlstate = "22012"

    class ErrorInAssignment(DataException):
        """SQLSTATE 22005: error_in_assignment."""

        sqlstate = "22005"

    class EscapeCharacterConflict(DataException):
        """SQLSTATE 2200B: escape_character_conflict."""

        sqlstate = "2200B"

    class IndicatorOverflow(DataException):
        """SQLSTATE 22022: indicator_overflow."""

        sqlstate = "22022"

    class IntervalFieldOverflow(DataException):
        """SQLSTATE 22015: interval_field_overflow."""

        sqlstate = "22015"

    class InvalidArgumentForLogarithm(DataException):
        """SQLSTATE 2201E: invalid_argument_for_logarithm."""

        sqlstate = "2201E"

    class InvalidArgumentForNtileFunction(DataException):
        """SQLSTATE 22014: invalid_argument_for_ntile_function."""

        sqlstate = "22014"

    class InvalidArgumentForNthValueFunction(DataException):
        """SQLSTATE 22016: invalid_argument_for_nth_value_function."""

        sqlstate = "22016"

    class InvalidArgumentForPowerFunction(DataException):
        """SQLSTATE 2201F: invalid_argument_for_power_function."""

        sqlstate = "2201F"

    class InvalidArgumentForWidthBucketFunction(DataException):
        """SQLSTATE 2201G: invalid_argument_for_width_bucket_function."""

        sqlstate = "2201G"

    class InvalidCharacterValueForCast(DataException):
        """SQLSTATE 22018: invalid_character_value_for_cast."""

        sqlstate = "22018"

    class InvalidDatetimeFormat(DataException):
        """SQLSTATE 22007: invalid_datetime_format."""

        sqlstate = "22007"

    class InvalidEscapeCharacter(DataException):
        """SQLSTATE 22019: invalid_escape_character."""

        sqlstate = "22019"

    class InvalidEscapeOctet(DataException):
        """SQLSTATE 2200D: invalid_escape_octet."""

        sqlstate = "2200D"

    class InvalidEscapeSequence(DataException):
        """SQLSTATE 22025: invalid_escape_sequence."""

        sqlstate = "22025"

    class NonstandardUseOfEscapeCharacter(DataException):
        """SQLSTATE 22P06: nonstandard_use_of_escape_character."""

        sqlstate = "22P06"

    class InvalidIndicatorParameterValue(DataException):
        """SQLSTATE 22010: invalid_indicator_parameter_value."""

        sqlstate = "22010"

    class InvalidParameterValue(DataException):
        """SQLSTATE 22023: invalid_parameter_value."""

        sqlstate = "22023"

    class InvalidPrecedingOrFollowingSize(DataException):
        """SQLSTATE 22013: invalid_preceding_or_following_size."""

        sqlstate = "22013"

    class InvalidRegularExpression(DataException):
        """SQLSTATE 2201B: invalid_regular_expression."""

        sqlstate = "2201B"

    class InvalidRowCountInLimitClause(DataException):
        """SQLSTATE 2201W: invalid_row_count_in_limit_clause."""

        sqlstate = "2201W"

    class InvalidRowCountInResultOffsetClause(DataException):
        """SQLSTATE 2201X: invalid_row_count_in_result_offset_clause."""

        sqlstate = "2201X"

    class InvalidTablesampleArgument(DataException):
        """SQLSTATE 2202H: invalid_tablesample_argument."""

        sqlstate = "2202H"

    class InvalidTablesampleRepeat(DataException):
        """SQLSTATE 2202G: invalid_tablesample_repeat."""

        sqlstate = "2202G"

    class InvalidTimeZoneDisplacementValue(DataException):
        """SQLSTATE 22009: invalid_time_zone_displacement_value."""

        sqlstate = "22009"

    class InvalidUseOfEscapeCharacter(DataException):
        """SQLSTATE 2200C: invalid_use_of_escape_character."""

        sqlstate = "2200C"

    class MostSpecificTypeMismatch(DataException):
        """SQLSTATE 2200G: most_specific_type_mismatch."""

        sqlstate = "2200G"

    class NullValueNotAllowed(DataException):
        """SQLSTATE 22004: null_value_not_allowed."""

        sqlstate = "22004"

    class NullValueNoIndicatorParameter(DataException):
        """SQLSTATE 22002: null_value_no_indicator_parameter."""

        sqlstate = "22002"

    class NumericValueOutOfRange(DataException):
        """SQLSTATE 22003: numeric_value_out_of_range."""

        sqlstate = "22003"

    class SequenceGeneratorLimitExceeded(DataException):
        """SQLSTATE 2200H: sequence_generator_limit_exceeded."""

        sqlstate = "2200H"

    class StringDataLengthMismatch(DataException):
        """SQLSTATE 22026: string_data_length_mismatch."""

        sqlstate = "22026"

    class StringDataRightTruncation(DataException):
        """SQLSTATE 22001: string_data_right_truncation."""

        sqlstate = "22001"

    class SubstringError(DataException):
        """SQLSTATE 22011: substring_error."""

        sqlstate = "22011"

    class TrimError(DataException):
        """SQLSTATE 22027: trim_error."""

        sqlstate = "22027"

    class UnterminatedCString(DataException):
        """SQLSTATE 22024: unterminated_c_string."""

        sqlstate = "22024"

    class ZeroLengthCharacterString(DataException):
        """SQLSTATE 2200F: zero_length_character_string."""

        sqlstate = "2200F"

    class FloatingPointException(DataException):
        """SQLSTATE 22P01: floating_point_exception."""

        sqlstate = "22P01"

    class InvalidTextRepresentation(DataException):
        """SQLSTATE 22P02: invalid_text_representation."""

        sqlstate = "22P02"

    class InvalidBinaryRepresentation(DataException):
        """SQLSTATE 22P03: invalid_binary_representation."""

        sqlstate = "22P03"

    class BadCopyFileFormat(DataException):
        """SQLSTATE 22P04: bad_copy_file_format."""

        sqlstate = "22P04"

    class UntranslatableCharacter(DataException):
        """SQLSTATE 22P05: untranslatable_character."""

        sqlstate = "22P05"

    class NotAnXmlDocument(DataException):
        """SQLSTATE 2200L: not_an_xml_document."""

        sqlstate = "2200L"

    class InvalidXmlDocument(DataException):
        """SQLSTATE 2200M: invalid_xml_document."""

        sqlstate = "2200M"

    class InvalidXmlContent(DataException):
        """SQLSTATE 2200N: invalid_xml_content."""

        sqlstate = "2200N"

    class InvalidXmlComment(DataException):
        """SQLSTATE 2200S: invalid_xml_comment."""

        sqlstate = "2200S"

    class InvalidXmlProcessingInstruction(DataException):
        """SQLSTATE 2200T: invalid_xml_processing_instruction."""

        sqlstate = "2200T"

    class DuplicateJsonObjectKeyValue(DataException):
        """SQLSTATE 22030: duplicate_json_object_key_value."""

        sqlstate = "22030"

    class InvalidArgumentForSqlJsonDatetimeFunction(DataException):
        """SQLSTATE 22031: invalid_argument_for_sql_json_datetime_function."""

        sqlstate = "22031"

    class InvalidJsonText(DataException):
        """SQLSTATE 22032: invalid_json_text."""

        sqlstate = "22032"

    class InvalidSqlJsonSubscript(DataException):
        """SQLSTATE 22033: invalid_sql_json_subscript."""

        sqlstate = "22033"

    class MoreThanOneSqlJsonItem(DataException):
        """SQLSTATE 22034: more_than_one_sql_json_item."""

        sqlstate = "22034"

    class NoSqlJsonItem(DataException):
        """SQLSTATE 22035: no_sql_json_item."""

        sqlstate = "22035"

    class NonNumericSqlJsonItem(DataException):
        """SQLSTATE 22036: non_numeric_sql_json_item."""

        sqlstate = "22036"

    class NonUniqueKeysInAJsonObject(DataException):
        """SQLSTATE 22037: non_unique_keys_in_a_json_object."""

        sqlstate = "22037"

    class SingletonSqlJsonItemRequired(DataException):
        """SQLSTATE 22038: singleton_sql_json_item_required."""

        sqlstate = "22038"

    class SqlJsonArrayNotFound(DataException):
        """SQLSTATE 22039: sql_json_array_not_found."""

        sqlstate = "22039"

    class SqlJsonMemberNotFound(DataException):
        """SQLSTATE 2203A: sql_json_member_not_found."""

        sqlstate = "2203A"

    class SqlJsonNumberNotFound(DataException):
        """SQLSTATE 2203B: sql_json_number_not_found."""

        sqlstate = "2203B"

    class SqlJsonObjectNotFound(DataException):
        """SQLSTATE 2203C: sql_json_object_not_found."""

        sqlstate = "2203C"

    class TooManyJsonArrayElements(DataException):
        """SQLSTATE 2203D: too_many_json_array_elements."""

        sqlstate = "2203D"

    class TooManyJsonObjectMembers(DataException):
        """SQLSTATE 2203E: too_many_json_object_members."""

        sqlstate = "2203E"

    class SqlJsonScalarRequired(DataException):
        """SQLSTATE 2203F: sql_json_scalar_required."""

        sqlstate = "2203F"

    class SqlJsonItemCannotBeCastToTargetType(DataException):
        """SQLSTATE 2203G: sql_json_item_cannot_be_cast_to_target_type."""

        sqlstate = "2203G"

    # Class 23 - Integrity Constraint Violation

    class IntegrityConstraintViolation(IntegrityError):
        """SQLSTATE 23000: integrity_constraint_violation, the category of class 23."""

        sqlstate = "23000"

    class RestrictViolation(IntegrityConstraintViolation):
        """SQLSTATE 23001: restrict_violation."""

        sqlstate = "23001"

    class NotNullViolation(IntegrityConstraintViolation):
        """SQLSTATE 23502: not_null_violation."""

        sqlstate = "23502"

    class ForeignKeyViolation(IntegrityConstraintViolation):
        """SQLSTATE 23503: foreign_key_violation."""

        sqlstate = "23503"

    class UniqueViolation(IntegrityConstraintViolation):
        """SQLSTATE 23505: unique_violation."""

        sqlstate = "23505"

    class CheckViolation(IntegrityConstraintViolation):
        """SQLSTATE 23514: check_violation."""

        sqlstate = "23514"

    class ExclusionViolation(IntegrityConstraintViolation):
        """SQLSTATE 23P01: exclusion_violation."""

        sqlstate = "23P01"

    # Class 24 - Invalid Cursor State

    class InvalidCursorState(InternalError):
        """SQLSTATE 24000: invalid_cursor_state, the category of class 24."""

        sqlstate = "24000"

    # Class 25 - Invalid Transaction State

    class InvalidTransactionState(InternalError):
        """SQLSTATE 25000: invalid_transaction_state, the category of class 25."""

        sqlstate = "25000"

    class ActiveSqlTransaction(InvalidTransactionState):
        """SQLSTATE 25001: active_sql_transaction."""

        sqlstate = "25001"

    class BranchTransactionAlreadyActive(InvalidTransactionState):
        """SQLSTATE 25002: branch_transaction_already_active."""

        sqlstate = "25002"

    class HeldCursorRequiresSameIsolationLevel(InvalidTransactionState):
        """SQLSTATE 25008: held_cursor_requires_same_isolation_level."""

        sqlstate = "25008"

    class InappropriateAccessModeForBranchTransaction(InvalidTransactionState):
        """SQLSTATE 25003: inappropriate_access_mode_for_branch_transaction."""

        sqlstate = "25003"

    class InappropriateIsolationLevelForBranchTransaction(InvalidTransactionState):
        """SQLSTATE 25004: inappropriate_isolation_level_for_branch_transaction."""

        sqlstate = "25004"

    class NoActiveSqlTransactionForBranchTransaction(InvalidTransactionState):
        """SQLSTATE 25005: no_active_sql_transaction_for_branch_transaction."""

        sqlstate = "25005"

    class ReadOnlySqlTransaction(InvalidTransactionState):
        """SQLSTATE 25006: read_only_sql_transaction."""

        sqlstate = "25006"

    class SchemaAndDataStatementMixingNotSupported(InvalidTransactionState):
        """SQLSTATE 25007: schema_and_data_statement_mixing_not_supported."""

        sqlstate = "25007"

    class NoActiveSqlTransaction(InvalidTransactionState):
        """SQLSTATE 25P01: no_active_sql_transaction."""

        sqlstate = "25P01"

    class InFailedSqlTransaction(InvalidTransactionState):
        """SQLSTATE 25P02: in_failed_sql_transaction."""

        sqlstate = "25P02"

    class IdleInTransactionSessionTimeout(InvalidTransactionState):
        """SQLSTATE 25P03: idle_in_transaction_session_timeout."""

        sqlstate = "25P03"

    class TransactionTimeout(InvalidTransactionState):
        """SQLSTATE 25P04: transaction_timeout."""

        sqlstate = "25P04"

    # Class 26 - Invalid SQL Statement Name

    class InvalidSqlStatementName(ProgrammingError):
        """SQLSTATE 26000: invalid_sql_statement_name, the category of class 26."""

        sqlstate = "26000"

    # Class 27 - Triggered Data Change Violation

    class TriggeredDataChangeViolation(OperationalError):
        """SQLSTATE 27000: triggered_data_change_violation, the category of class 27."""

        sqlstate = "27000"

    # Class 28 - Invalid Authorization Specification

    class InvalidAuthorizationSpecification(OperationalError):
        """SQLSTATE 28000: invalid_authorization_specification, the category of class 28."""

        sqlstate = "28000"

    class InvalidPassword(InvalidAuthorizationSpecification):
        """SQLSTATE 28P01: invalid_password."""

        sqlstate = "28P01"

    # Class 2B - Dependent Privilege Descriptors Still Exist

    class DependentPrivilegeDescriptorsStillExist(InternalError):
        """SQLSTATE 2B000: dependent_privilege_descriptors_still_exist, the category of class 2B."""

        sqlstate = "2B000"

    class DependentObjectsStillExist(DependentPrivilegeDescriptorsStillExist):
        """SQLSTATE 2BP01: dependent_objects_still_exist."""

        sqlstate = "2BP01"

    # Class 2D - Invalid Transaction Termination

    class InvalidTransactionTermination(InternalError):
        """SQLSTATE 2D000: invalid_transaction_termination, the category of class 2D."""

        sqlstate = "2D000"

    # Class 2F - SQL Routine Exception

    class SqlRoutineException(OperationalError):
        """SQLSTATE 2F000: sql_routine_exception, the category of class 2F."""

        sqlstate = "2F000"

    class FunctionExecutedNoReturnStatement(SqlRoutineException):
        """SQLSTATE 2F005: function_executed_no_return_statement."""

        sqlstate = "2F005"

    class ModifyingSqlDataNotPermitted(SqlRoutineException):
        """SQLSTATE 2F002: modifying_sql_data_not_permitted."""

        sqlstate = "2F002"

    class ProhibitedSqlStatementAttempted(SqlRoutineException):
        """SQLSTATE 2F003: prohibited_sql_statement_attempted."""

        sqlstate = "2F003"

    class ReadingSqlDataNotPermitted(SqlRoutineException):
        """SQLSTATE 2F004: reading_sql_data_not_permitted."""

        sqlstate = "2F004"

    # Class 34 - Invalid Cursor Name

    class InvalidCursorName(ProgrammingError):
        """SQLSTATE 34000: invalid_cursor_name, the category of class 34."""

        sqlstate = "34000"

    # Class 38 - External Routine Exception

    class ExternalRoutineException(OperationalError):
        """SQLSTATE 38000: external_routine_exception, the category of class 38."""

        sqlstate = "38000"

    class ContainingSqlNotPermitted(ExternalRoutineException):
        """SQLSTATE 38001: containing_sql_not_permitted."""

        sqlstate = "38001"

    class ModifyingSqlDataNotPermittedExt(ExternalRoutineException):
        """SQLSTATE 38002: modifying_sql_data_not_permitted."""

        sqlstate = "38002"

    class ProhibitedSqlStatementAttemptedExt(ExternalRoutineException):
        """SQLSTATE 38003: prohibited_sql_statement_attempted."""

        sqlstate = "38003"

    class ReadingSqlDataNotPermittedExt(ExternalRoutineException):
        """SQLSTATE 38004: reading_sql_data_not_permitted."""

        sqlstate = "38004"

    # Class 39 - External Routine Invocation Exception

    class ExternalRoutineInvocationException(OperationalError):
        """SQLSTATE 39000: external_routine_invocation_exception, the category of class 39."""

        sqlstate = "39000"

    class InvalidSqlstateReturned(ExternalRoutineInvocationException):
        """SQLSTATE 39001: invalid_sqlstate_returned."""

        sqlstate = "39001"

    class NullValueNotAllowedExt(ExternalRoutineInvocationException):
        """SQLSTATE 39004: null_value_not_allowed."""

        sqlstate = "39004"

    class TriggerProtocolViolated(ExternalRoutineInvocationException):
        """SQLSTATE 39P01: trigger_protocol_violated."""

        sqlstate = "39P01"

    class SrfProtocolViolated(ExternalRoutineInvocationException):
        """SQLSTATE 39P02: srf_protocol_violated."""

        sqlstate = "39P02"

    class EventTriggerProtocolViolated(ExternalRoutineInvocationException):
        """SQLSTATE 39P03: event_trigger_protocol_violated."""

        sqlstate = "39P03"

    # Class 3B - Savepoint Exception

    class SavepointException(OperationalError):
        """SQLSTATE 3B000: savepoint_exception, the category of class 3B."""

        sqlstate = "3B000"

    class InvalidSavepointSpecification(SavepointException):
        """SQLSTATE 3B001: invalid_savepoint_specification."""

        sqlstate = "3B001"

    # Class 3D - Invalid Catalog Name

    class InvalidCatalogName(ProgrammingError):
        """SQLSTATE 3D000: invalid_catalog_name, the category of class 3D."""

        sqlstate = "3D000"

    # Class 3F - Invalid Schema Name

    class InvalidSchemaName(ProgrammingError):
        """SQLSTATE 3F000: invalid_schema_name, the category of class 3F."""

        sqlstate = "3F000"

    # Class 40 - Transaction Rollback

    class TransactionRollback(OperationalError):
        """SQLSTATE 40000: transaction_rollback, the category of class 40."""

        sqlstate = "40000"

    class TransactionIntegrityConstraintViolation(TransactionRollback):
        """SQLSTATE 40002: transaction_integrity_constraint_violation."""

        sqlstate = "40002"

    class SerializationFailure(TransactionRollback):
        """SQLSTATE 40001: serialization_failure."""

        sqlstate = "40001"

    class StatementCompletionUnknown(TransactionRollback):
        """SQLSTATE 40003: statement_completion_unknown."""

        sqlstate = "40003"

    class DeadlockDetected(TransactionRollback):
        """SQLSTATE 40P01: deadlock_detected."""

        sqlstate = "40P01"

    # Class 42 - Syntax Error or Access Rule Violation

    class SyntaxErrorOrAccessRuleViolation(ProgrammingError):
        """SQLSTATE 42000: syntax_error_or_access_rule_violation, the category of class 42."""

        sqlstate = "42000"

    class SyntaxError(SyntaxErrorOrAccessRuleViolation):
        """SQLSTATE 42601: syntax_error."""

        sqlstate = "42601"

    class InsufficientPrivilege(SyntaxErrorOrAccessRuleViolation):
        """SQLSTATE 42501: insufficient_privilege."""

        sqlstate = "42501"

    class CannotCoerce(SyntaxErrorOrAccessRuleViolation):
        """SQLSTATE 42846: cannot_coerce."""

        sqlstate = "42846"

    class GroupingError(SyntaxErrorOrAccessRuleViolation):
        """SQLSTATE 42803: grouping_error."""

        sqlstate = "42803"

    class WindowingError(SyntaxErrorOrAccessRuleViolation):
        """SQLSTATE 42P20: windowing_error."""

        sqlstate = "42P20"

    class InvalidRecursion(SyntaxErrorOrAccessRuleViolation):
        """SQLSTATE 42P19: invalid_recursion."""

        sqlstate = "42P19"

    class InvalidForeignKey(SyntaxErrorOrAccessRuleViolation):
        """SQLSTATE 42830: invalid_foreign_key."""

        sqlstate = "42830"

    class InvalidName(SyntaxErrorOrAccessRuleViolation):
        """SQLSTATE 42602: invalid_name."""

        sqlstate = "42602"

    class NameTooLong(SyntaxErrorOrAccessRuleViolation):
        """SQLSTATE 42622: name_too_long."""

        sqlstate = "42622"

    class ReservedName(SyntaxErrorOrAccessRuleViolation):
        """SQLSTATE 42939: reserved_name."""

        sqlstate = "42939"

    class DatatypeMismatch(SyntaxErrorOrAccessRuleViolation):
        """SQLSTATE 42804: datatype_mismatch."""

        sqlstate = "42804"

    class IndeterminateDatatype(SyntaxErrorOrAccessRuleViolation):
        """SQLSTATE 42P18: indeterminate_datatype."""

        sqlstate = "42P18"

    class CollationMismatch(SyntaxErrorOrAccessRuleViolation):
        """SQLSTATE 42P21: collation_mismatch."""

        sqlstate = "42P21"

    class IndeterminateCollation(SyntaxErrorOrAccessRuleViolation):
        """SQLSTATE 42P22: indeterminate_collation."""

        sqlstate = "42P22"

    class WrongObjectType(SyntaxErrorOrAccessRuleViolation):
        """SQLSTATE 42809: wrong_object_type."""

        sqlstate = "42809"

    class GeneratedAlways(SyntaxErrorOrAccessRuleViolation):
        """SQLSTATE 428C9: generated_always."""

        sqlstate = "428C9"

    class UndefinedColumn(SyntaxErrorOrAccessRuleViolation):
        """SQLSTATE 42703: undefined_column."""

        sqlstate = "42703"

    class UndefinedFunction(SyntaxErrorOrAccessRuleViolation):
        """SQLSTATE 42883: undefined_function."""

        sqlstate = "42883"

    class UndefinedTable(SyntaxErrorOrAccessRuleViolation):
        """SQLSTATE 42P01: undefined_table."""

        sqlstate = "42P01"

    class UndefinedParameter(SyntaxErrorOrAccessRuleViolation):
        """SQLSTATE 42P02: undefined_parameter."""

        sqlstate = "42P02"

    class UndefinedObject(SyntaxErrorOrAccessRuleViolation):
        """SQLSTATE 42704: undefined_object."""

        sqlstate = "42704"

    class DuplicateColumn(SyntaxErrorOrAccessRuleViolation):
        """SQLSTATE 42701: duplicate_column."""

        sqlstate = "42701"

    class DuplicateCursor(SyntaxErrorOrAccessRuleViolation):
        """SQLSTATE 42P03: duplicate_cursor."""

        sqlstate = "42P03"

    class DuplicateDatabase(SyntaxErrorOrAccessRuleViolation):
        """SQLSTATE 42P04: duplicate_database."""

        sqlstate = "42P04"

    class DuplicateFunction(SyntaxErrorOrAccessRuleViolation):
        """SQLSTATE 42723: duplicate_function."""

        sqlstate = "42723"

    class DuplicatePreparedStatement(SyntaxErrorOrAccessRuleViolation):
        """SQLSTATE 42P05: duplicate_prepared_statement."""

        sqlstate = "42P05"

    class DuplicateSchema(SyntaxErrorOrAccessRuleViolation):
        """SQLSTATE 42P06: duplicate_schema."""

        sqlstate = "42P06"

    class DuplicateTable(SyntaxErrorOrAccessRuleViolation):
        """SQLSTATE 42P07: duplicate_table."""

        sqlstate = "42P07"

    class DuplicateAlias(SyntaxErrorOrAccessRuleViolation):
        """SQLSTATE 42712: duplicate_alias."""

        sqlstate = "42712"

    class DuplicateObject(SyntaxErrorOrAccessRuleViolation):
        """SQLSTATE 42710: duplicate_object."""

        sqlstate = "42710"

    class AmbiguousColumn(SyntaxErrorOrAccessRuleViolation):
        """SQLSTATE 42702: ambiguous_column."""

        sqlstate = "42702"

    class AmbiguousFunction(SyntaxErrorOrAccessRuleViolation):
        """SQLSTATE 42725: ambiguous_function."""

        sqlstate = "42725"

    class AmbiguousParameter(SyntaxErrorOrAccessRuleViolation):
        """SQLSTATE 42P08: ambiguous_parameter."""

        sqlstate = "42P08"

    class AmbiguousAlias(SyntaxErrorOrAccessRuleViolation):
        """SQLSTATE 42P09: ambiguous_alias."""

        sqlstate = "42P09"

    class InvalidColumnReference(SyntaxErrorOrAccessRuleViolation):
        """SQLSTATE 42P10: invalid_column_reference."""

        sqlstate = "42P10"

    class InvalidColumnDefinition(SyntaxErrorOrAccessRuleViolation):
        """SQLSTATE 42611: invalid_column_definition."""

        sqlstate = "42611"

    class InvalidCursorDefinition(SyntaxErrorOrAccessRuleViolation):
        """SQLSTATE 42P11: invalid_cursor_definition."""

        sqlstate = "42P11"

    class InvalidDatabaseDefinition(SyntaxErrorOrAccessRuleViolation):
        """SQLSTATE 42P12: invalid_database_definition."""

        sqlstate = "42P12"

    class InvalidFunctionDefinition(SyntaxErrorOrAccessRuleViolation):
        """SQLSTATE 42P13: invalid_function_definition."""

        sqlstate = "42P13"

    class InvalidPreparedStatementDefinition(SyntaxErrorOrAccessRuleViolation):
        """SQLSTATE 42P14: invalid_prepared_statement_definition."""

        sqlstate = "42P14"

    class InvalidSchemaDefinition(SyntaxErrorOrAccessRuleViolation):
        """SQLSTATE 42P15: invalid_schema_definition."""

        sqlstate = "42P15"

    class InvalidTableDefinition(SyntaxErrorOrAccessRuleViolation):
        """SQLSTATE 42P16: invalid_table_definition."""

        sqlstate = "42P16"

    class InvalidObjectDefinition(SyntaxErrorOrAccessRuleViolation):
        """SQLSTATE 42P17: invalid_object_definition."""

        sqlstate = "42P17"

    # Class 44 - WITH CHECK OPTION Violation

    class WithCheckOptionViolation(ProgrammingError):
        """SQLSTATE 44000: with_check_option_violation, the category of class 44."""

        sqlstate = "44000"

    # Class 53 - Insufficient Resources

    class InsufficientResources(OperationalError):
        """SQLSTATE 53000: insufficient_resources, the category of class 53."""

        sqlstate = "53000"

    class DiskFull(InsufficientResources):
        """SQLSTATE 53100: disk_full."""

        sqlstate = "53100"

    class OutOfMemory(InsufficientResources):
        """SQLSTATE 53200: out_of_memory."""

        sqlstate = "53200"

    class TooManyConnections(InsufficientResources):
        """SQLSTATE 53300: too_many_connections."""

        sqlstate = "53300"

    class ConfigurationLimitExceeded(InsufficientResources):
        """SQLSTATE 53400: configuration_limit_exceeded."""

        sqlstate = "53400"

    # Class 54 - Program Limit Exceeded

    class ProgramLimitExceeded(OperationalError):
        """SQLSTATE 54000: program_limit_exceeded, the category of class 54."""

        sqlstate = "54000"

    class StatementTooComplex(ProgramLimitExceeded):
        """SQLSTATE 54001: statement_too_complex."""

        sqlstate = "54001"

    class TooManyColumns(ProgramLimitExceeded):
        """SQLSTATE 54011: too_many_columns."""

        sqlstate = "54011"

    class TooManyArguments(ProgramLimitExceeded):
        """SQLSTATE 54023: too_many_arguments."""

        sqlstate = "54023"

    # Class 55 - Object Not In Prerequisite State

    class ObjectNotInPrerequisiteState(OperationalError):
        """SQLSTATE 55000: object_not_in_prerequisite_state, the category of class 55."""

        sqlstate = "55000"

    class ObjectInUse(ObjectNotInPrerequisiteState):
        """SQLSTATE 55006: object_in_use."""

        sqlstate = "55006"

    class CantChangeRuntimeParam(ObjectNotInPrerequisiteState):
        """SQLSTATE 55P02: cant_change_runtime_param."""

        sqlstate = "55P02"

    class LockNotAvailable(ObjectNotInPrerequisiteState):
        """SQLSTATE 55P03: lock_not_available."""

        sqlstate = "55P03"

    class UnsafeNewEnumValueUsage(ObjectNotInPrerequisiteState):
        """SQLSTATE 55P04: unsafe_new_enum_value_usage."""

        sqlstate = "55P04"

    # Class 57 - Operator Intervention

    class OperatorIntervention(OperationalError):
        """SQLSTATE 57000: operator_intervention, the category of class 57."""

        sqlstate = "57000"

    class QueryCanceled(OperatorIntervention):
        """SQLSTATE 57014: query_canceled."""

        sqlstate = "57014"

    class AdminShutdown(OperatorIntervention):
        """SQLSTATE 57P01: admin_shutdown."""

        sqlstate = "57P01"

    class CrashShutdown(OperatorIntervention):
        """SQLSTATE 57P02: crash_shutdown."""

        sqlstate = "57P02"

    class CannotConnectNow(OperatorIntervention):
        """SQLSTATE 57P03: cannot_connect_now."""

        sqlstate = "57P03"

    class DatabaseDropped(OperatorIntervention):
        """SQLSTATE 57P04: database_dropped."""

        sqlstate = "57P04"

    class IdleSessionTimeout(OperatorIntervention):
        """SQLSTATE 57P05: idle_session_timeout."""

        sqlstate = "57P05"

    # Class 58 - System Error (errors external to PostgreSQL itself)

    class SystemError(OperationalError):
        """SQLSTATE 58000: system_error, the category of class 58."""

        sqlstate = "58000"

    class IoError(SystemError):
        """SQLSTATE 58030: io_error."""

        sqlstate = "58030"

    class UndefinedFile(SystemError):
        """SQLSTATE 58P01: undefined_file."""

        sqlstate = "58P01"

    class DuplicateFile(SystemError):
        """SQLSTATE 58P02: duplicate_file."""

        sqlstate = "58P02"

    class FileNameTooLong(SystemError):
        """SQLSTATE 58P03: file_name_too_long."""

        sqlstate = "58P03"

    # Class 72 - Snapshot Failure

    class SnapshotTooOld(DatabaseError):
        """SQLSTATE 72000: snapshot_too_old, the category of class 72."""

        sqlstate = "72000"

    # Class F0 - Configuration File Error

    class ConfigFileError(OperationalError):
        """SQLSTATE F0000: config_file_error, the category of class F0."""

        sqlstate = "F0000"

    class LockFileExists(ConfigFileError):
        """SQLSTATE F0001: lock_file_exists."""

        sqlstate = "F0001"

    # Class HV - Foreign Data Wrapper Error (SQL/MED)

    class FdwError(OperationalError):
        """SQLSTATE HV000: fdw_error, the category of class HV."""

        sqlstate = "HV000"

    class FdwColumnNameNotFound(FdwError):
        """SQLSTATE HV005: fdw_column_name_not_found."""

        sqlstate = "HV005"

    class FdwDynamicParameterValueNeeded(FdwError):
        """SQLSTATE HV002: fdw_dynamic_parameter_value_needed."""

        sqlstate = "HV002"

    class FdwFunctionSequenceError(FdwError):
        """SQLSTATE HV010: fdw_function_sequence_error."""

        sqlstate = "HV010"

    class FdwInconsistentDescriptorInformation(FdwError):
        """SQLSTATE HV021: fdw_inconsistent_descriptor_information."""

        sqlstate = "HV021"

    class FdwInvalidAttributeValue(FdwError):
        """SQLSTATE HV024: fdw_invalid_attribute_value."""

        sqlstate = "HV024"

    class FdwInvalidColumnName(FdwError):
        """SQLSTATE HV007: fdw_invalid_column_name."""

        sqlstate = "HV007"

    class FdwInvalidColumnNumber(FdwError):
        """SQLSTATE HV008: fdw_invalid_column_number."""

        sqlstate = "HV008"

    class FdwInvalidDataType(FdwError):
        """SQLSTATE HV004: fdw_invalid_data_type."""

        sqlstate = "HV004"

    class FdwInvalidDataTypeDescriptors(FdwError):
        """SQLSTATE HV006: fdw_invalid_data_type_descriptors."""

        sqlstate = "HV006"

    class FdwInvalidDescriptorFieldIdentifier(FdwError):
        """SQLSTATE HV091: fdw_invalid_descriptor_field_identifier."""

        sqlstate = "HV091"

    class FdwInvalidHandle(FdwError):
        """SQLSTATE HV00B: fdw_invalid_handle."""

        sqlstate = "HV00B"

    class FdwInvalidOptionIndex(FdwError):
        """SQLSTATE HV00C: fdw_invalid_option_index."""

        sqlstate = "HV00C"

    class FdwInvalidOptionName(FdwError):
        """SQLSTATE HV00D: fdw_invalid_option_name."""

        sqlstate = "HV00D"

    class FdwInvalidStringLengthOrBufferLength(FdwError):
        """SQLSTATE HV090: fdw_invalid_string_length_or_buffer_length."""

        sqlstate = "HV090"

    class FdwInvalidStringFormat(FdwError):
        """SQLSTATE HV00A: fdw_invalid_string_format."""

        sqlstate = "HV00A"

    class FdwInvalidUseOfNullPointer(FdwError):
        """SQLSTATE HV009: fdw_invalid_use_of_null_pointer."""

        sqlstate = "HV009"

    class FdwTooManyHandles(FdwError):
        """SQLSTATE HV014: fdw_too_many_handles."""

        sqlstate = "HV014"

    class FdwOutOfMemory(FdwError):
        """SQLSTATE HV001: fdw_out_of_memory."""

        sqlstate = "HV001"

    class FdwNoSchemas(FdwError):
        """SQLSTATE HV00P: fdw_no_schemas."""

        sqlstate = "HV00P"

    class FdwOptionNameNotFound(FdwError):
        """SQLSTATE HV00J: fdw_option_name_not_found."""

        sqlstate = "HV00J"

    class FdwReplyHandle(FdwError):
        """SQLSTATE HV00K: fdw_reply_handle."""

        sqlstate = "HV00K"

    class FdwSchemaNotFound(FdwError):
        """SQLSTATE HV00Q: fdw_schema_not_found."""

        sqlstate = "HV00Q"

    class FdwTableNotFound(FdwError):
        """SQLSTATE HV00R: fdw_table_not_found."""

        sqlstate = "HV00R"

    class FdwUnableToCreateExecution(FdwError):
        """SQLSTATE HV00L: fdw_unable_to_create_execution."""

        sqlstate = "HV00L"

    class FdwUnableToCreateReply(FdwError):
        """SQLSTATE HV00M: fdw_unable_to_create_reply."""

        sqlstate = "HV00M"

    class FdwUnableToEstablishConnection(FdwError):
        """SQLSTATE HV00N: fdw_unable_to_establish_connection."""

        sqlstate = "HV00N"

    # Class P0 - PL/pgSQL Error

    class PlpgsqlError(ProgrammingError):
        """SQLSTATE P0000: plpgsql_error, the category of class P0."""

        sqlstate = "P0000"

    class RaiseException(PlpgsqlError):
        """SQLSTATE P0001: raise_exception."""

        sqlstate = "P0001"

    class NoDataFound(PlpgsqlError):
        """SQLSTATE P0002: no_data_found."""

        sqlstate = "P0002"

    class TooManyRows(PlpgsqlError):
        """SQLSTATE P0003: too_many_rows."""

        sqlstate = "P0003"

    class AssertFailure(PlpgsqlError):
        """SQLSTATE P0004: assert_failure."""

        sqlstate = "P0004"

    # Class XX - Internal Error

    class InternalError_(InternalError):
        """SQLSTATE XX000: internal_error, the category of class XX."""

        sqlstate = "XX000"

    class DataCorrupted(InternalError_):
        """SQLSTATE XX001: data_corrupted."""

        sqlstate = "XX001"

    class IndexCorrupted(InternalError_):
        """SQLSTATE XX002: index_corrupted."""

        sqlstate = "XX002"


# Each class: its SQLSTATE, its base class and its condition name.
_SQLSTATE_CLASSES: dict[str, tuple[str, str, str]] = {
    "SuccessfulCompletion": ("00000", "DatabaseError", "successful_completion"),
    "Warning_": ("01000", "DatabaseError", "warning"),
    "DynamicResultSetsReturned": ("0100C", "Warning_", "dynamic_result_sets_returned"),
    "ImplicitZeroBitPadding": ("01008", "Warning_", "implicit_zero_bit_padding"),
    "NullValueEliminatedInSetFunction": (
        "01003",
        "Warning_",
        "null_value_eliminated_in_set_function",
    ),
    "PrivilegeNotGranted": ("01007", "Warning_", "privilege_not_granted"),
    "PrivilegeNotRevoked": ("01006", "Warning_", "privilege_not_revoked"),
    "StringDataRightTruncationWarning": ("01004", "Warning_", "string_data_right_truncation"),
    "DeprecatedFeature": ("01P01", "Warning_", "deprecated_feature"),
    "NoData": ("02000", "DatabaseError", "no_data"),
    "NoAdditionalDynamicResultSetsReturned": (
        "02001",
        "NoData",
        "no_additional_dynamic_result_sets_returned",
    ),
    "SqlStatementNotYetComplete": ("03000", "DatabaseError", "sql_statement_not_yet_complete"),
    "ConnectionException": ("08000", "OperationalError", "connection_exception"),
    "ConnectionDoesNotExist": ("08003", "ConnectionException", "connection_does_not_exist"),
    "ConnectionFailure": ("08006", "ConnectionException", "connection_failure"),
    "SqlclientUnableToEstablishSqlconnection": (
        "08001",
        "ConnectionException",
        "sqlclient_unable_to_establish_sqlconnection",
    ),
    "SqlserverRejectedEstablishmentOfSqlconnection": (
        "08004",
        "ConnectionException",
        "sqlserver_rejected_establishment_of_sqlconnection",
    ),
    "TransactionResolutionUnknown": (
        "08007",
        "ConnectionException",
        "transaction_resolution_unknown",
    ),
    "ProtocolViolation": ("08P01", "ConnectionException", "protocol_violation"),
    "TriggeredActionException": ("09000", "DatabaseError", "triggered_action_exception"),
    "FeatureNotSupported": ("0A000", "NotSupportedError", "feature_not_supported"),
    "InvalidTransactionInitiation": ("0B000", "DatabaseError", "invalid_transaction_initiation"),
    "LocatorException": ("0F000", "DatabaseError", "locator_exception"),
    "InvalidLocatorSpecification": ("0F001", "LocatorException", "invalid_locator_specification"),
    "InvalidGrantor": ("0L000", "DatabaseError", "invalid_grantor"),
    "InvalidGrantOperation": ("0LP01", "InvalidGrantor", "invalid_grant_operation"),
    "InvalidRoleSpecification": ("0P000", "DatabaseError", "invalid_role_specification"),
    "DiagnosticsException": ("0Z000", "DatabaseError", "diagnostics_exception"),
    "StackedDiagnosticsAccessedWithoutActiveHandler": (
        "0Z002",
        "DiagnosticsException",
        "stacked_diagnostics_accessed_without_active_handler",
    ),
    "InvalidArgumentForXquery": ("10608", "ProgrammingError", "invalid_argument_for_xquery"),
    "CaseNotFound": ("20000", "ProgrammingError", "case_not_found"),
    "CardinalityViolation": ("21000", "ProgrammingError", "cardinality_violation"),
    "DataException": ("22000", "DataError", "data_exception"),
    "ArraySubscriptError": ("2202E", "DataException", "array_subscript_error"),
    "CharacterNotInRepertoire": ("22021", "DataException", "character_not_in_repertoire"),
    "DatetimeFieldOverflow": ("22008", "DataException", "datetime_field_overflow"),
    "DivisionByZero": ("22012", "DataException", "division_by_zero"),
    "ErrorInAssignment": ("22005", "DataException", "error_in_assignment"),
    "EscapeCharacterConflict": ("2200B", "DataException", "escape_character_conflict"),
    "IndicatorOverflow": ("22022", "DataException", "indicator_overflow"),
    "IntervalFieldOverflow": ("22015", "DataException", "interval_field_overflow"),
    "InvalidArgumentForLogarithm": ("2201E", "DataException", "invalid_argument_for_logarithm"),
    "InvalidArgumentForNtileFunction": (
        "22014",
        "DataException",
        "invalid_argument_for_ntile_function",
    ),
    "InvalidArgumentForNthValueFunction": (
        "22016",
        "DataException",
        "invalid_argument_for_nth_value_function",
    ),
    "InvalidArgumentForPowerFunction": (
        "2201F",
        "DataException",
        "invalid_argument_for_power_function",
    ),
    "InvalidArgumentForWidthBucketFunction": (
        "2201G",
        "DataException",
        "invalid_argument_for_width_bucket_function",
    ),
    "InvalidCharacterValueForCast": ("22018", "DataException", "invalid_character_value_for_cast"),
    "InvalidDatetimeFormat": ("22007", "DataException", "invalid_datetime_format"),
    "InvalidEscapeCharacter": ("22019", "DataException", "invalid_escape_character"),
    "InvalidEscapeOctet": ("2200D", "DataException", "invalid_escape_octet"),
    "InvalidEscapeSequence": ("22025", "DataException", "invalid_escape_sequence"),
    "NonstandardUseOfEscapeCharacter": (
        "22P06",
        "DataException",
        "nonstandard_use_of_escape_character",
    ),
    "InvalidIndicatorParameterValue": (
        "22010",
        "DataException",
        "invalid_indicator_parameter_value",
    ),
    "InvalidParameterValue": ("22023", "DataException", "invalid_parameter_value"),
    "InvalidPrecedingOrFollowingSize": (
        "22013",
        "DataException",
        "invalid_preceding_or_following_size",
    ),
    "InvalidRegularExpression": ("2201B", "DataException", "invalid_regular_expression"),
    "InvalidRowCountInLimitClause": ("2201W", "DataException", "invalid_row_count_in_limit_clause"),
    "InvalidRowCountInResultOffsetClause": (
        "2201X",
        "DataException",
        "invalid_row_count_in_result_offset_clause",
    ),
    "InvalidTablesampleArgument": ("2202H", "DataException", "invalid_tablesample_argument"),
    "InvalidTablesampleRepeat": ("2202G", "DataException", "invalid_tablesample_repeat"),
    "InvalidTimeZoneDisplacementValue": (
        "22009",
        "DataException",
        "invalid_time_zone_displacement_value",
    ),
    "InvalidUseOfEscapeCharacter": ("2200C", "DataException", "invalid_use_of_escape_character"),
    "MostSpecificTypeMismatch": ("2200G", "DataException", "most_specific_type_mismatch"),
    "NullValueNotAllowed": ("22004", "DataException", "null_value_not_allowed"),
    "NullValueNoIndicatorParameter": (
        "22002",
        "DataException",
        "null_value_no_indicator_parameter",
    ),
    "NumericValueOutOfRange": ("22003", "DataException", "numeric_value_out_of_range"),
    "SequenceGeneratorLimitExceeded": (
        "2200H",
        "DataException",
        "sequence_generator_limit_exceeded",
    ),
    "StringDataLengthMismatch": ("22026", "DataException", "string_data_length_mismatch"),
    "StringDataRightTruncation": ("22001", "DataException", "string_data_right_truncation"),
    "SubstringError": ("22011", "DataException", "substring_error"),
    "TrimError": ("22027", "DataException", "trim_error"),
    "UnterminatedCString": ("22024", "DataException", "unterminated_c_string"),
    "ZeroLengthCharacterString": ("2200F", "DataException", "zero_length_character_string"),
    "FloatingPointException": ("22P01", "DataException", "floating_point_exception"),
    "InvalidTextRepresentation": ("22P02", "DataException", "invalid_text_representation"),
    "InvalidBinaryRepresentation": ("22P03", "DataException", "invalid_binary_representation"),
    "BadCopyFileFormat": ("22P04", "DataException", "bad_copy_file_format"),
    "UntranslatableCharacter": ("22P05", "DataException", "untranslatable_character"),
    "NotAnXmlDocument": ("2200L", "DataException", "not_an_xml_document"),
    "InvalidXmlDocument": ("2200M", "DataException", "invalid_xml_document"),
    "InvalidXmlContent": ("2200N", "DataException", "invalid_xml_content"),
    "InvalidXmlComment": ("2200S", "DataException", "invalid_xml_comment"),
    "InvalidXmlProcessingInstruction": (
        "2200T",
        "DataException",
        "invalid_xml_processing_instruction",
    ),
    "DuplicateJsonObjectKeyValue": ("22030", "DataException", "duplicate_json_object_key_value"),
    "InvalidArgumentForSqlJsonDatetimeFunction": (
        "22031",
        "DataException",
        "invalid_argument_for_sql_json_datetime_function",
    ),
    "InvalidJsonText": ("22032", "DataException", "invalid_json_text"),
    "InvalidSqlJsonSubscript": ("22033", "DataException", "invalid_sql_json_subscript"),
    "MoreThanOneSqlJsonItem": ("22034", "DataException", "more_than_one_sql_json_item"),
    "NoSqlJsonItem": ("22035", "DataException", "no_sql_json_item"),
    "NonNumericSqlJsonItem": ("22036", "DataException", "non_numeric_sql_json_item"),
    "NonUniqueKeysInAJsonObject": ("22037", "DataException", "non_unique_keys_in_a_json_object"),
    "SingletonSqlJsonItemRequired": ("22038", "DataException", "singleton_sql_json_item_required"),
    "SqlJsonArrayNotFound": ("22039", "DataException", "sql_json_array_not_found"),
    "SqlJsonMemberNotFound": ("2203A", "DataException", "sql_json_member_not_found"),
    "SqlJsonNumberNotFound": ("2203B", "DataException", "sql_json_number_not_found"),
    "SqlJsonObjectNotFound": ("2203C", "DataException", "sql_json_object_not_found"),
    "TooManyJsonArrayElements": ("2203D", "DataException", "too_many_json_array_elements"),
    "TooManyJsonObjectMembers": ("2203E", "DataException", "too_many_json_object_members"),
    "SqlJsonScalarRequired": ("2203F", "DataException", "sql_json_scalar_required"),
    "SqlJsonItemCannotBeCastToTargetType": (
        "2203G",
        "DataException",
        "sql_json_item_cannot_be_cast_to_target_type",
    ),
    "IntegrityConstraintViolation": ("23000", "IntegrityError", "integrity_constraint_violation"),
    "RestrictViolation": ("23001", "IntegrityConstraintViolation", "restrict_violation"),
    "NotNullViolation": ("23502", "IntegrityConstraintViolation", "not_null_violation"),
    "ForeignKeyViolation": ("23503", "IntegrityConstraintViolation", "foreign_key_violation"),
    "UniqueViolation": ("23505", "IntegrityConstraintViolation", "unique_violation"),
    "CheckViolation": ("23514", "IntegrityConstraintViolation", "check_violation"),
    "ExclusionViolation": ("23P01", "IntegrityConstraintViolation", "exclusion_violation"),
    "InvalidCursorState": ("24000", "InternalError", "invalid_cursor_state"),
    "InvalidTransactionState": ("25000", "InternalError", "invalid_transaction_state"),
    "ActiveSqlTransaction": ("25001", "InvalidTransactionState", "active_sql_transaction"),
    "BranchTransactionAlreadyActive": (
        "25002",
        "InvalidTransactionState",
        "branch_transaction_already_active",
    ),
    "HeldCursorRequiresSameIsolationLevel": (
        "25008",
        "InvalidTransactionState",
        "held_cursor_requires_same_isolation_level",
    ),
    "InappropriateAccessModeForBranchTransaction": (
        "25003",
        "InvalidTransactionState",
        "inappropriate_access_mode_for_branch_transaction",
    ),
    "InappropriateIsolationLevelForBranchTransaction": (
        "25004",
        "InvalidTransactionState",
        "inappropriate_isolation_level_for_branch_transaction",
    ),
    "NoActiveSqlTransactionForBranchTransaction": (
        "25005",
        "InvalidTransactionState",
        "no_active_sql_transaction_for_branch_transaction",
    ),
    "ReadOnlySqlTransaction": ("25006", "InvalidTransactionState", "read_only_sql_transaction"),
    "SchemaAndDataStatementMixingNotSupported": (
        "25007",
        "InvalidTransactionState",
        "schema_and_data_statement_mixing_not_supported",
    ),
    "NoActiveSqlTransaction": ("25P01", "InvalidTransactionState", "no_active_sql_transaction"),
    "InFailedSqlTransaction": ("25P02", "InvalidTransactionState", "in_failed_sql_transaction"),
    "IdleInTransactionSessionTimeout": (
        "25P03",
        "InvalidTransactionState",
        "idle_in_transaction_session_timeout",
    ),
    "TransactionTimeout": ("25P04", "InvalidTransactionState", "transaction_timeout"),
    "InvalidSqlStatementName": ("26000", "ProgrammingError", "invalid_sql_statement_name"),
    "TriggeredDataChangeViolation": (
        "27000",
        "OperationalError",
        "triggered_data_change_violation",
    ),
    "InvalidAuthorizationSpecification": (
        "28000",
        "OperationalError",
        "invalid_authorization_specification",
    ),
    "InvalidPassword": ("28P01", "InvalidAuthorizationSpecification", "invalid_password"),
    "DependentPrivilegeDescriptorsStillExist": (
        "2B000",
        "InternalError",
        "dependent_privilege_descriptors_still_exist",
    ),
    "DependentObjectsStillExist": (
        "2BP01",
        "DependentPrivilegeDescriptorsStillExist",
        "dependent_objects_still_exist",
    ),
    "InvalidTransactionTermination": ("2D000", "InternalError", "invalid_transaction_termination"),
    "SqlRoutineException": ("2F000", "OperationalError", "sql_routine_exception"),
    "FunctionExecutedNoReturnStatement": (
        "2F005",
        "SqlRoutineException",
        "function_executed_no_return_statement",
    ),
    "ModifyingSqlDataNotPermitted": (
        "2F002",
        "SqlRoutineException",
        "modifying_sql_data_not_permitted",
    ),
    "ProhibitedSqlStatementAttempted": (
        "2F003",
        "SqlRoutineException",
        "prohibited_sql_statement_attempted",
    ),
    "ReadingSqlDataNotPermitted": (
        "2F004",
        "SqlRoutineException",
        "reading_sql_data_not_permitted",
    ),
    "InvalidCursorName": ("34000", "ProgrammingError", "invalid_cursor_name"),
    "ExternalRoutineException": ("38000", "OperationalError", "external_routine_exception"),
    "ContainingSqlNotPermitted": (
        "38001",
        "ExternalRoutineException",
        "containing_sql_not_permitted",
    ),
    "ModifyingSqlDataNotPermittedExt": (
        "38002",
        "ExternalRoutineException",
        "modifying_sql_data_not_permitted",
    ),
    "ProhibitedSqlStatementAttemptedExt": (
        "38003",
        "ExternalRoutineException",
        "prohibited_sql_statement_attempted",
    ),
    "ReadingSqlDataNotPermittedExt": (
        "38004",
        "ExternalRoutineException",
        "reading_sql_data_not_permitted",
    ),
    "ExternalRoutineInvocationException": (
        "39000",
        "OperationalError",
        "external_routine_invocation_exception",
    ),
    "InvalidSqlstateReturned": (
        "39001",
        "ExternalRoutineInvocationException",
        "invalid_sqlstate_returned",
    ),
    "NullValueNotAllowedExt": (
        "39004",
        "ExternalRoutineInvocationException",
        "null_value_not_allowed",
    ),
    "TriggerProtocolViolated": (
        "39P01",
        "ExternalRoutineInvocationException",
        "trigger_protocol_violated",
    ),
    "SrfProtocolViolated": ("39P02", "ExternalRoutineInvocationException", "srf_protocol_violated"),
    "EventTriggerProtocolViolated": (
        "39P03",
        "ExternalRoutineInvocationException",
        "event_trigger_protocol_violated",
    ),
    "SavepointException": ("3B000", "OperationalError", "savepoint_exception"),
    "InvalidSavepointSpecification": (
        "3B001",
        "SavepointException",
        "invalid_savepoint_specification",
    ),
    "InvalidCatalogName": ("3D000", "ProgrammingError", "invalid_catalog_name"),
    "InvalidSchemaName": ("3F000", "ProgrammingError", "invalid_schema_name"),
    "TransactionRollback": ("40000", "OperationalError", "transaction_rollback"),
    "TransactionIntegrityConstraintViolation": (
        "40002",
        "TransactionRollback",
        "transaction_integrity_constraint_violation",
    ),
    "SerializationFailure": ("40001", "TransactionRollback", "serialization_failure"),
    "StatementCompletionUnknown": ("40003", "TransactionRollback", "statement_completion_unknown"),
    "DeadlockDetected": ("40P01", "TransactionRollback", "deadlock_detected"),
    "SyntaxErrorOrAccessRuleViolation": (
        "42000",
        "ProgrammingError",
        "syntax_error_or_access_rule_violation",
    ),
    "SyntaxError": ("42601", "SyntaxErrorOrAccessRuleViolation", "syntax_error"),
    "InsufficientPrivilege": (
        "42501",
        "SyntaxErrorOrAccessRuleViolation",
        "insufficient_privilege",
    ),
    "CannotCoerce": ("42846", "SyntaxErrorOrAccessRuleViolation", "cannot_coerce"),
    "GroupingError": ("42803", "SyntaxErrorOrAccessRuleViolation", "grouping_error"),
    "WindowingError": ("42P20", "SyntaxErrorOrAccessRuleViolation", "windowing_error"),
    "InvalidRecursion": ("42P19", "SyntaxErrorOrAccessRuleViolation", "invalid_recursion"),
    "InvalidForeignKey": ("42830", "SyntaxErrorOrAccessRuleViolation", "invalid_foreign_key"),
    "InvalidName": ("42602", "SyntaxErrorOrAccessRuleViolation", "invalid_name"),
    "NameTooLong": ("42622", "SyntaxErrorOrAccessRuleViolation", "name_too_long"),
    "ReservedName": ("42939", "SyntaxErrorOrAccessRuleViolation", "reserved_name"),
    "DatatypeMismatch": ("42804", "SyntaxErrorOrAccessRuleViolation", "datatype_mismatch"),
    "IndeterminateDatatype": (
        "42P18",
        "SyntaxErrorOrAccessRuleViolation",
        "indeterminate_datatype",
    ),
    "CollationMismatch": ("42P21", "SyntaxErrorOrAccessRuleViolation", "collation_mismatch"),
    "IndeterminateCollation": (
        "42P22",
        "SyntaxErrorOrAccessRuleViolation",
        "indeterminate_collation",
    ),
    "WrongObjectType": ("42809", "SyntaxErrorOrAccessRuleViolation", "wrong_object_type"),
    "GeneratedAlways": ("428C9", "SyntaxErrorOrAccessRuleViolation", "generated_always"),
    "UndefinedColumn": ("42703", "SyntaxErrorOrAccessRuleViolation", "undefined_column"),
    "UndefinedFunction": ("42883", "SyntaxErrorOrAccessRuleViolation", "undefined_function"),
    "UndefinedTable": ("42P01", "SyntaxErrorOrAccessRuleViolation", "undefined_table"),
    "UndefinedParameter": ("42P02", "SyntaxErrorOrAccessRuleViolation", "undefined_parameter"),
    "UndefinedObject": ("42704", "SyntaxErrorOrAccessRuleViolation", "undefined_object"),
    "DuplicateColumn": ("42701", "SyntaxErrorOrAccessRuleViolation", "duplicate_column"),
    "DuplicateCursor": ("42P03", "SyntaxErrorOrAccessRuleViolation", "duplicate_cursor"),
    "DuplicateDatabase": ("42P04", "SyntaxErrorOrAccessRuleViolation", "duplicate_database"),
    "DuplicateFunction": ("42723", "SyntaxErrorOrAccessRuleViolation", "duplicate_function"),
    "DuplicatePreparedStatement": (
        "42P05",
        "SyntaxErrorOrAccessRuleViolation",
        "duplicate_prepared_statement",
    ),
    "DuplicateSchema": ("42P06", "SyntaxErrorOrAccessRuleViolation", "duplicate_schema"),
    "DuplicateTable": ("42P07", "SyntaxErrorOrAccessRuleViolation", "duplicate_table"),
    "DuplicateAlias": ("42712", "SyntaxErrorOrAccessRuleViolation", "duplicate_alias"),
    "DuplicateObject": ("42710", "SyntaxErrorOrAccessRuleViolation", "duplicate_object"),
    "AmbiguousColumn": ("42702", "SyntaxErrorOrAccessRuleViolation", "ambiguous_column"),
    "AmbiguousFunction": ("42725", "SyntaxErrorOrAccessRuleViolation", "ambiguous_function"),
    "AmbiguousParameter": ("42P08", "SyntaxErrorOrAccessRuleViolation", "ambiguous_parameter"),
    "AmbiguousAlias": ("42P09", "SyntaxErrorOrAccessRuleViolation", "ambiguous_alias"),
    "InvalidColumnReference": (
        "42P10",
        "SyntaxErrorOrAccessRuleViolation",
        "invalid_column_reference",
    ),
    "InvalidColumnDefinition": (
        "42611",
        "SyntaxErrorOrAccessRuleViolation",
        "invalid_column_definition",
    ),
    "InvalidCursorDefinition": (
        "42P11",
        "SyntaxErrorOrAccessRuleViolation",
        "invalid_cursor_definition",
    ),
    "InvalidDatabaseDefinition": (
        "42P12",
        "SyntaxErrorOrAccessRuleViolation",
        "invalid_database_definition",
    ),
    "InvalidFunctionDefinition": (
        "42P13",
        "SyntaxErrorOrAccessRuleViolation",
        "invalid_function_definition",
    ),
    "InvalidPreparedStatementDefinition": (
        "42P14",
        "SyntaxErrorOrAccessRuleViolation",
        "invalid_prepared_statement_definition",
    ),
    "InvalidSchemaDefinition": (
        "42P15",
        "SyntaxErrorOrAccessRuleViolation",
        "invalid_schema_definition",
    ),
    "InvalidTableDefinition": (
        "42P16",
        "SyntaxErrorOrAccessRuleViolation",
        "invalid_table_definition",
    ),
    "InvalidObjectDefinition": (
        "42P17",
        "SyntaxErrorOrAccessRuleViolation",
        "invalid_object_definition",
    ),
    "WithCheckOptionViolation": ("44000", "ProgrammingError", "with_check_option_violation"),
    "InsufficientResources": ("53000", "OperationalError", "insufficient_resources"),
    "DiskFull": ("53100", "InsufficientResources", "disk_full"),
    "OutOfMemory": ("53200", "InsufficientResources", "out_of_memory"),
    "TooManyConnections": ("53300", "InsufficientResources", "too_many_connections"),
    "ConfigurationLimitExceeded": (
        "53400",
        "InsufficientResources",
        "configuration_limit_exceeded",
    ),
    "ProgramLimitExceeded": ("54000", "OperationalError", "program_limit_exceeded"),
    "StatementTooComplex": ("54001", "ProgramLimitExceeded", "statement_too_complex"),
    "TooManyColumns": ("54011", "ProgramLimitExceeded", "too_many_columns"),
    "TooManyArguments": ("54023", "ProgramLimitExceeded", "too_many_arguments"),
    "ObjectNotInPrerequisiteState": (
        "55000",
        "OperationalError",
        "object_not_in_prerequisite_state",
    ),
    "ObjectInUse": ("55006", "ObjectNotInPrerequisiteState", "object_in_use"),
    "CantChangeRuntimeParam": (
        "55P02",
        "ObjectNotInPrerequisiteState",
        "cant_change_runtime_param",
    ),
    "LockNotAvailable": ("55P03", "ObjectNotInPrerequisiteState", "lock_not_available"),
    "UnsafeNewEnumValueUsage": (
        "55P04",
        "ObjectNotInPrerequisiteState",
        "unsafe_new_enum_value_usage",
    ),
    "OperatorIntervention": ("57000", "OperationalError", "operator_intervention"),
    "QueryCanceled": ("57014", "OperatorIntervention", "query_canceled"),
    "AdminShutdown": ("57P01", "OperatorIntervention", "admin_shutdown"),
    "CrashShutdown": ("57P02", "OperatorIntervention", "crash_shutdown"),
    "CannotConnectNow": ("57P03", "OperatorIntervention", "cannot_connect_now"),
    "DatabaseDropped": ("57P04", "OperatorIntervention", "database_dropped"),
    "IdleSessionTimeout": ("57P05", "OperatorIntervention", "idle_session_timeout"),
    "SystemError": ("58000", "OperationalError", "system_error"),
    "IoError": ("58030", "SystemError", "io_error"),
    "UndefinedFile": ("58P01", "SystemError", "undefined_file"),
    "DuplicateFile": ("58P02", "SystemError", "duplicate_file"),
    "FileNameTooLong": ("58P03", "SystemError", "file_name_too_long"),
    "SnapshotTooOld": ("72000", "DatabaseError", "snapshot_too_old"),
    "ConfigFileError": ("F0000", "OperationalError", "config_file_error"),
    "LockFileExists": ("F0001", "ConfigFileError", "lock_file_exists"),
    "FdwError": ("HV000", "OperationalError", "fdw_error"),
    "FdwColumnNameNotFound": ("HV005", "FdwError", "fdw_column_name_not_found"),
    "FdwDynamicParameterValueNeeded": ("HV002", "FdwError", "fdw_dynamic_parameter_value_needed"),
    "FdwFunctionSequenceError": ("HV010", "FdwError", "fdw_function_sequence_error"),
    "FdwInconsistentDescriptorInformation": (
        "HV021",
        "FdwError",
        "fdw_inconsistent_descriptor_information",
    ),
    "FdwInvalidAttributeValue": ("HV024", "FdwError", "fdw_invalid_attribute_value"),
    "FdwInvalidColumnName": ("HV007", "FdwError", "fdw_invalid_column_name"),
    "FdwInvalidColumnNumber": ("HV008", "FdwError", "fdw_invalid_column_number"),
    "FdwInvalidDataType": ("HV004", "FdwError", "fdw_invalid_data_type"),
    "FdwInvalidDataTypeDescriptors": ("HV006", "FdwError", "fdw_invalid_data_type_descriptors"),
    "FdwInvalidDescriptorFieldIdentifier": (
        "HV091",
        "FdwError",
        "fdw_invalid_descriptor_field_identifier",
    ),
    "FdwInvalidHandle": ("HV00B", "FdwError", "fdw_invalid_handle"),
    "FdwInvalidOptionIndex": ("HV00C", "FdwError", "fdw_invalid_option_index"),
    "FdwInvalidOptionName": ("HV00D", "FdwError", "fdw_invalid_option_name"),
    "FdwInvalidStringLengthOrBufferLength": (
        "HV090",
        "FdwError",
        "fdw_invalid_string_length_or_buffer_length",
    ),
    "FdwInvalidStringFormat": ("HV00A", "FdwError", "fdw_invalid_string_format"),
    "FdwInvalidUseOfNullPointer": ("HV009", "FdwError", "fdw_invalid_use_of_null_pointer"),
    "FdwTooManyHandles": ("HV014", "FdwError", "fdw_too_many_handles"),
    "FdwOutOfMemory": ("HV001", "FdwError", "fdw_out_of_memory"),
    "FdwNoSchemas": ("HV00P", "FdwError", "fdw_no_schemas"),
    "FdwOptionNameNotFound": ("HV00J", "FdwError", "fdw_option_name_not_found"),
    "FdwReplyHandle": ("HV00K", "FdwError", "fdw_reply_handle"),
    "FdwSchemaNotFound": ("HV00Q", "FdwError", "fdw_schema_not_found"),
    "FdwTableNotFound": ("HV00R", "FdwError", "fdw_table_not_found"),
    "FdwUnableToCreateExecution": ("HV00L", "FdwError", "fdw_unable_to_create_execution"),
    "FdwUnableToCreateReply": ("HV00M", "FdwError", "fdw_unable_to_create_reply"),
    "FdwUnableToEstablishConnection": ("HV00N", "FdwError", "fdw_unable_to_establish_connection"),
    "PlpgsqlError": ("P0000", "ProgrammingError", "plpgsql_error"),
    "RaiseException": ("P0001", "PlpgsqlError", "raise_exception"),
    "NoDataFound": ("P0002", "PlpgsqlError", "no_data_found"),
    "TooManyRows": ("P0003", "PlpgsqlError", "too_many_rows"),
    "AssertFailure": ("P0004", "PlpgsqlError", "assert_failure"),
    "InternalError_": ("XX000", "InternalError", "internal_error"),
    "DataCorrupted": ("XX001", "InternalError_", "data_corrupted"),
    "IndexCorrupted": ("XX002", "InternalError_", "index_corrupted"),
}

# The code of each condition name (PL/pgSQL's), lower case.
_SQLSTATE_BY_NAME: dict[str, str] = {
    "successful_completion": "00000",
    "warning": "01000",
    "dynamic_result_sets_returned": "0100C",
    "implicit_zero_bit_padding": "01008",
    "null_value_eliminated_in_set_function": "01003",
    "privilege_not_granted": "01007",
    "privilege_not_revoked": "01006",
    "string_data_right_truncation_warning": "01004",
    "deprecated_feature": "01P01",
    "no_data": "02000",
    "no_additional_dynamic_result_sets_returned": "02001",
    "sql_statement_not_yet_complete": "03000",
    "connection_exception": "08000",
    "connection_does_not_exist": "08003",
    "connection_failure": "08006",
    "sqlclient_unable_to_establish_sqlconnection": "08001",
    "sqlserver_rejected_establishment_of_sqlconnection": "08004",
    "transaction_resolution_unknown": "08007",
    "protocol_violation": "08P01",
    "triggered_action_exception": "09000",
    "feature_not_supported": "0A000",
    "invalid_transaction_initiation": "0B000",
    "locator_exception": "0F000",
    "invalid_locator_specification": "0F001",
    "invalid_grantor": "0L000",
    "invalid_grant_operation": "0LP01",
    "invalid_role_specification": "0P000",
    "diagnostics_exception": "0Z000",
    "stacked_diagnostics_accessed_without_active_handler": "0Z002",
    "invalid_argument_for_xquery": "10608",
    "case_not_found": "20000",
    "cardinality_violation": "21000",
    "data_exception": "22000",
    "array_subscript_error": "2202E",
    "character_not_in_repertoire": "22021",
    "datetime_field_overflow": "22008",
    "division_by_zero": "22012",
    "error_in_assignment": "22005",
    "escape_character_conflict": "2200B",
    "indicator_overflow": "22022",
    "interval_field_overflow": "22015",
    "invalid_argument_for_logarithm": "2201E",
    "invalid_argument_for_ntile_function": "22014",
    "invalid_argument_for_nth_value_function": "22016",
    "invalid_argument_for_power_function": "2201F",
    "invalid_argument_for_width_bucket_function": "2201G",
    "invalid_character_value_for_cast": "22018",
    "invalid_datetime_format": "22007",
    "invalid_escape_character": "22019",
    "invalid_escape_octet": "2200D",
    "invalid_escape_sequence": "22025",
    "nonstandard_use_of_escape_character": "22P06",
    "invalid_indicator_parameter_value": "22010",
    "invalid_parameter_value": "22023",
    "invalid_preceding_or_following_size": "22013",
    "invalid_regular_expression": "2201B",
    "invalid_row_count_in_limit_clause": "2201W",
    "invalid_row_count_in_result_offset_clause": "2201X",
    "invalid_tablesample_argument": "2202H",
    "invalid_tablesample_repeat": "2202G",
    "invalid_time_zone_displacement_value": "22009",
    "invalid_use_of_escape_character": "2200C",
    "most_specific_type_mismatch": "2200G",
    "null_value_not_allowed": "22004",
    "null_value_no_indicator_parameter": "22002",
    "numeric_value_out_of_range": "22003",
    "sequence_generator_limit_exceeded": "2200H",
    "string_data_length_mismatch": "22026",
    "string_data_right_truncation": "22001",
    "substring_error": "22011",
    "trim_error": "22027",
    "unterminated_c_string": "22024",
    "zero_length_character_string": "2200F",
    "floating_point_exception": "22P01",
    "invalid_text_representation": "22P02",
    "invalid_binary_representation": "22P03",
    "bad_copy_file_format": "22P04",
    "untranslatable_character": "22P05",
    "not_an_xml_document": "2200L",
    "invalid_xml_document": "2200M",
    "invalid_xml_content": "2200N",
    "invalid_xml_comment": "2200S",
    "invalid_xml_processing_instruction": "2200T",
    "duplicate_json_object_key_value": "22030",
    "invalid_argument_for_sql_json_datetime_function": "22031",
    "invalid_json_text": "22032",
    "invalid_sql_json_subscript": "22033",
    "more_than_one_sql_json_item": "22034",
    "no_sql_json_item": "22035",
    "non_numeric_sql_json_item": "22036",
    "non_unique_keys_in_a_json_object": "22037",
    "singleton_sql_json_item_required": "22038",
    "sql_json_array_not_found": "22039",
    "sql_json_member_not_found": "2203A",
    "sql_json_number_not_found": "2203B",
    "sql_json_object_not_found": "2203C",
    "too_many_json_array_elements": "2203D",
    "too_many_json_object_members": "2203E",
    "sql_json_scalar_required": "2203F",
    "sql_json_item_cannot_be_cast_to_target_type": "2203G",
    "integrity_constraint_violation": "23000",
    "restrict_violation": "23001",
    "not_null_violation": "23502",
    "foreign_key_violation": "23503",
    "unique_violation": "23505",
    "check_violation": "23514",
    "exclusion_violation": "23P01",
    "invalid_cursor_state": "24000",
    "invalid_transaction_state": "25000",
    "active_sql_transaction": "25001",
    "branch_transaction_already_active": "25002",
    "held_cursor_requires_same_isolation_level": "25008",
    "inappropriate_access_mode_for_branch_transaction": "25003",
    "inappropriate_isolation_level_for_branch_transaction": "25004",
    "no_active_sql_transaction_for_branch_transaction": "25005",
    "read_only_sql_transaction": "25006",
    "schema_and_data_statement_mixing_not_supported": "25007",
    "no_active_sql_transaction": "25P01",
    "in_failed_sql_transaction": "25P02",
    "idle_in_transaction_session_timeout": "25P03",
    "transaction_timeout": "25P04",
    "invalid_sql_statement_name": "26000",
    "triggered_data_change_violation": "27000",
    "invalid_authorization_specification": "28000",
    "invalid_password": "28P01",
    "dependent_privilege_descriptors_still_exist": "2B000",
    "dependent_objects_still_exist": "2BP01",
    "invalid_transaction_termination": "2D000",
    "sql_routine_exception": "2F000",
    "function_executed_no_return_statement": "2F005",
    "modifying_sql_data_not_permitted": "2F002",
    "prohibited_sql_statement_attempted": "2F003",
    "reading_sql_data_not_permitted": "2F004",
    "invalid_cursor_name": "34000",
    "external_routine_exception": "38000",
    "containing_sql_not_permitted": "38001",
    "modifying_sql_data_not_permitted_ext": "38002",
    "prohibited_sql_statement_attempted_ext": "38003",
    "reading_sql_data_not_permitted_ext": "38004",
    "external_routine_invocation_exception": "39000",
    "invalid_sqlstate_returned": "39001",
    "null_value_not_allowed_ext": "39004",
    "trigger_protocol_violated": "39P01",
    "srf_protocol_violated": "39P02",
    "event_trigger_protocol_violated": "39P03",
    "savepoint_exception": "3B000",
    "invalid_savepoint_specification": "3B001",
    "invalid_catalog_name": "3D000",
    "invalid_schema_name": "3F000",
    "transaction_rollback": "40000",
    "transaction_integrity_constraint_violation": "40002",
    "serialization_failure": "40001",
    "statement_completion_unknown": "40003",
    "deadlock_detected": "40P01",
    "syntax_error_or_access_rule_violation": "42000",
    "syntax_error": "42601",
    "insufficient_privilege": "42501",
    "cannot_coerce": "42846",
    "grouping_error": "42803",
    "windowing_error": "42P20",
    "invalid_recursion": "42P19",
    "invalid_foreign_key": "42830",
    "invalid_name": "42602",
    "name_too_long": "42622",
    "reserved_name": "42939",
    "datatype_mismatch": "42804",
    "indeterminate_datatype": "42P18",
    "collation_mismatch": "42P21",
    "indeterminate_collation": "42P22",
    "wrong_object_type": "42809",
    "generated_always": "428C9",
    "undefined_column": "42703",
    "undefined_function": "42883",
    "undefined_table": "42P01",
    "undefined_parameter": "42P02",
    "undefined_object": "42704",
    "duplicate_column": "42701",
    "duplicate_cursor": "42P03",
    "duplicate_database": "42P04",
    "duplicate_function": "42723",
    "duplicate_prepared_statement": "42P05",
    "duplicate_schema": "42P06",
    "duplicate_table": "42P07",
    "duplicate_alias": "42712",
    "duplicate_object": "42710",
    "ambiguous_column": "42702",
    "ambiguous_function": "42725",
    "ambiguous_parameter": "42P08",
    "ambiguous_alias": "42P09",
    "invalid_column_reference": "42P10",
    "invalid_column_definition": "42611",
    "invalid_cursor_definition": "42P11",
    "invalid_database_definition": "42P12",
    "invalid_function_definition": "42P13",
    "invalid_prepared_statement_definition": "42P14",
    "invalid_schema_definition": "42P15",
    "invalid_table_definition": "42P16",
    "invalid_object_definition": "42P17",
    "with_check_option_violation": "44000",
    "insufficient_resources": "53000",
    "disk_full": "53100",
    "out_of_memory": "53200",
    "too_many_connections": "53300",
    "configuration_limit_exceeded": "53400",
    "program_limit_exceeded": "54000",
    "statement_too_complex": "54001",
    "too_many_columns": "54011",
    "too_many_arguments": "54023",
    "object_not_in_prerequisite_state": "55000",
    "object_in_use": "55006",
    "cant_change_runtime_param": "55P02",
    "lock_not_available": "55P03",
    "unsafe_new_enum_value_usage": "55P04",
    "operator_intervention": "57000",
    "query_canceled": "57014",
    "admin_shutdown": "57P01",
    "crash_shutdown": "57P02",
    "cannot_connect_now": "57P03",
    "database_dropped": "57P04",
    "idle_session_timeout": "57P05",
    "system_error": "58000",
    "io_error": "58030",
    "undefined_file": "58P01",
    "duplicate_file": "58P02",
    "file_name_too_long": "58P03",
    "snapshot_too_old": "72000",
    "config_file_error": "F0000",
    "lock_file_exists": "F0001",
    "fdw_error": "HV000",
    "fdw_column_name_not_found": "HV005",
    "fdw_dynamic_parameter_value_needed": "HV002",
    "fdw_function_sequence_error": "HV010",
    "fdw_inconsistent_descriptor_information": "HV021",
    "fdw_invalid_attribute_value": "HV024",
    "fdw_invalid_column_name": "HV007",
    "fdw_invalid_column_number": "HV008",
    "fdw_invalid_data_type": "HV004",
    "fdw_invalid_data_type_descriptors": "HV006",
    "fdw_invalid_descriptor_field_identifier": "HV091",
    "fdw_invalid_handle": "HV00B",
    "fdw_invalid_option_index": "HV00C",
    "fdw_invalid_option_name": "HV00D",
    "fdw_invalid_string_length_or_buffer_length": "HV090",
    "fdw_invalid_string_format": "HV00A",
    "fdw_invalid_use_of_null_pointer": "HV009",
    "fdw_too_many_handles": "HV014",
    "fdw_out_of_memory": "HV001",
    "fdw_no_schemas": "HV00P",
    "fdw_option_name_not_found": "HV00J",
    "fdw_reply_handle": "HV00K",
    "fdw_schema_not_found": "HV00Q",
    "fdw_table_not_found": "HV00R",
    "fdw_unable_to_create_execution": "HV00L",
    "fdw_unable_to_create_reply": "HV00M",
    "fdw_unable_to_establish_connection": "HV00N",
    "plpgsql_error": "P0000",
    "raise_exception": "P0001",
    "no_data_found": "P0002",
    "too_many_rows": "P0003",
    "assert_failure": "P0004",
    "internal_error": "XX000",
    "data_corrupted": "XX001",
    "index_corrupted": "XX002",
}

# The class an unknown code of a known class becomes.
_BY_CLASS: dict[str, str] = {
    "00": "SuccessfulCompletion",
    "01": "Warning_",
    "02": "NoData",
    "03": "SqlStatementNotYetComplete",
    "08": "ConnectionException",
    "09": "TriggeredActionException",
    "0A": "FeatureNotSupported",
    "0B": "InvalidTransactionInitiation",
    "0F": "LocatorException",
    "0L": "InvalidGrantor",
    "0P": "InvalidRoleSpecification",
    "0Z": "DiagnosticsException",
    "10": "ProgrammingError",
    "20": "CaseNotFound",
    "21": "CardinalityViolation",
    "22": "DataException",
    "23": "IntegrityConstraintViolation",
    "24": "InvalidCursorState",
    "25": "InvalidTransactionState",
    "26": "InvalidSqlStatementName",
    "27": "TriggeredDataChangeViolation",
    "28": "InvalidAuthorizationSpecification",
    "2B": "DependentPrivilegeDescriptorsStillExist",
    "2D": "InvalidTransactionTermination",
    "2F": "SqlRoutineException",
    "34": "InvalidCursorName",
    "38": "ExternalRoutineException",
    "39": "ExternalRoutineInvocationException",
    "3B": "SavepointException",
    "3D": "InvalidCatalogName",
    "3F": "InvalidSchemaName",
    "40": "TransactionRollback",
    "42": "SyntaxErrorOrAccessRuleViolation",
    "44": "WithCheckOptionViolation",
    "53": "InsufficientResources",
    "54": "ProgramLimitExceeded",
    "55": "ObjectNotInPrerequisiteState",
    "57": "OperatorIntervention",
    "58": "SystemError",
    "72": "SnapshotTooOld",
    "F0": "ConfigFileError",
    "HV": "FdwError",
    "P0": "PlpgsqlError",
    "XX": "InternalError_",
}

# END generated SQLSTATE classes


# SQLSTATE -> the name of its class.
_NAME_BY_SQLSTATE: dict[str, str] = {entry[0]: name for name, entry in _SQLSTATE_CLASSES.items()}

# Held while a class is made, so that every thread gets the same class object
# (reentrant: a class makes its base first).
_MAKING = threading.RLock()


def _sqlstate_class(name: str) -> type[Error]:
    """The class ``name`` of this module, a SQLSTATE class made here on its first use."""
    cls = globals().get(name)
    if cls is not None:
        return cls  # type: ignore[no-any-return]
    with _MAKING:
        cls = globals().get(name)
        if cls is None:
            code, base_name, condition = _SQLSTATE_CLASSES[name]
            base = _sqlstate_class(base_name)
            about = condition
            if code.endswith("000"):
                about += f", the category of class {code[:2]}"
            namespace = {
                "__doc__": f"SQLSTATE {code}: {about}.",
                "__module__": __name__,
                "__qualname__": name,
                "sqlstate": code,
            }
            cls = type(name, (base,), namespace)
            globals()[name] = cls
    return cls  # type: ignore[no-any-return]


def __getattr__(name: str) -> Any:
    """A SQLSTATE class, made on first use (``errors.UniqueViolation``, ``from ... import``)."""
    if name in _SQLSTATE_CLASSES:
        return _sqlstate_class(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_SQLSTATE_CLASSES))


def lookup(code: str) -> type[Error]:
    """The exception class of a SQLSTATE code or of a condition name.

    ``lookup("23505")``, ``lookup("unique_violation")`` and
    ``lookup("UNIQUE_VIOLATION")`` all return :class:`UniqueViolation`.
    Where PostgreSQL uses one condition name for two codes, the name means the
    error; the other class answers to the name with its suffix
    (``"string_data_right_truncation_warning"``, ``"..._ext"``).

    Raises :class:`KeyError` if the code or name is unknown.
    """
    name = _NAME_BY_SQLSTATE.get(code.upper())
    if name is None:
        name_code = _SQLSTATE_BY_NAME.get(code.lower())
        if name_code is None:
            raise KeyError(code)
        name = _NAME_BY_SQLSTATE[name_code]
    return _sqlstate_class(name)


# The DB-API class of a SQLSTATE class pgwire has no class for, by its
# first two characters, else its first one (psycopg's table).
_BASE_BY_PREFIX: dict[str, type[Error]] = {
    "08": OperationalError,
    "0A": NotSupportedError,
    "10": ProgrammingError,
    "20": ProgrammingError,
    "21": ProgrammingError,
    "22": DataError,
    "23": IntegrityError,
    "24": InternalError,
    "25": InternalError,
    "26": ProgrammingError,
    "27": OperationalError,
    "28": OperationalError,
    "2B": InternalError,
    "2D": InternalError,
    "2F": OperationalError,
    "34": ProgrammingError,
    "38": OperationalError,
    "39": OperationalError,
    "3B": OperationalError,
    "3D": ProgrammingError,
    "3F": ProgrammingError,
    "40": OperationalError,
    "42": ProgrammingError,
    "44": ProgrammingError,
    "53": OperationalError,
    "54": OperationalError,
    "55": OperationalError,
    "57": OperationalError,
    "58": OperationalError,
    "F": OperationalError,
    "H": OperationalError,
    "P": ProgrammingError,
    "X": InternalError,
}


def get_base_exception(sqlstate: str) -> type[Error]:
    """The DB-API exception class for a SQLSTATE, judged by its class prefix alone."""
    return (
        _BASE_BY_PREFIX.get(sqlstate[:2]) or _BASE_BY_PREFIX.get(sqlstate[:1]) or DatabaseError
    )


def error_from_fields(fields: Mapping[str, str], query: bytes | None = None) -> Error:
    """The exception for an ErrorResponse whose fields are decoded to ``str``.

    The class is that of the SQLSTATE (``C``); an unknown code gets the
    category class of its SQLSTATE class, else the DB-API class of its prefix
    (:func:`get_base_exception`). The message is libpq's rendering of the
    fields without the severity (see :func:`error_message`); all fields are
    in ``.diag``.
    """
    diag = Diagnostic(fields)
    code = diag.sqlstate or ""
    name = _NAME_BY_SQLSTATE.get(code) or _BY_CLASS.get(code[:2])
    cls = _sqlstate_class(name) if name is not None else get_base_exception(code)
    return cls(error_message(diag, query), diag=diag)


# What libpq shows of a long query line around the error position.
_DISPLAY_SIZE = 60
_MIN_RIGHT_CUT = 10


def error_message(diag: Diagnostic, query: bytes | str | None = None) -> str:
    """The error text as libpq's default verbosity writes it, without the severity.

    The primary message, the ``LINE n:`` excerpt of ``query`` with a caret
    under the error position, then DETAIL, HINT, QUERY and CONTEXT lines.
    """
    message = diag.message_primary or ""
    position_text = None
    position = diag.statement_position
    if position is not None:
        if query is not None:
            position_text = query
        else:
            message += f" at character {position}"
    else:
        position = diag.internal_position
        if position is not None:
            position_text = diag.internal_query
            if position_text is None:
                message += f" at character {position}"
    lines = [message]
    if position_text is not None and position is not None and position.isdigit():
        if isinstance(position_text, bytes):
            position_text = position_text.decode("utf-8", "replace")
        lines.extend(_position_excerpt(position_text, int(position)))
    for label, value in (
        ("DETAIL", diag.message_detail),
        ("HINT", diag.message_hint),
        ("QUERY", diag.internal_query),
        ("CONTEXT", diag.context),
    ):
        if value is not None:
            lines.append(f"{label}:  {value}")
    return "\n".join(lines)


def _position_excerpt(query: str, position: int) -> list[str]:
    """The ``LINE n: ...`` line and the caret line under character ``position`` (1-based)."""
    loc = position - 1
    if not 0 <= loc <= len(query):
        return []
    text = query.replace("\t", " ")
    line_no, start = 1, 0
    i = 0
    while i < loc:
        ch = text[i]
        if ch in "\r\n":
            if ch == "\r" and i + 1 < len(text) and text[i + 1] == "\n":
                i += 1
            line_no += 1
            start = i + 1
        i += 1
    end = start
    while end < len(text) and text[end] not in "\r\n":
        end += 1
    begin, beg_cut, end_cut = start, False, False
    if end - start > _DISPLAY_SIZE:
        if loc - start + _MIN_RIGHT_CUT < _DISPLAY_SIZE:
            end, end_cut = start + _DISPLAY_SIZE, True
        else:
            if end - loc > _MIN_RIGHT_CUT:
                end, end_cut = loc + _MIN_RIGHT_CUT, True
            if end - begin > _DISPLAY_SIZE:
                begin, beg_cut = end - _DISPLAY_SIZE, True
    prefix = f"LINE {line_no}: "
    shown = prefix + ("..." if beg_cut else "") + text[begin:end] + ("..." if end_cut else "")
    caret = " " * (len(prefix) + (3 if beg_cut else 0) + loc - begin) + "^"
    return [shown, caret]


class PipelineAborted(OperationalError):
    """A statement of a pipeline was not run: an earlier one failed before the sync."""


class InvalidConnectionOption(ProgrammingError, OperationalError):
    """A connection option ``connect()`` refuses before trying any server.

    A ``ProgrammingError`` (the program's configuration is wrong) that is
    also an ``OperationalError``: libpq fails such a connection, so code
    written for psycopg catches it as one.
    """


class ConnectionTimeout(OperationalError):
    """A connection attempt outlasted ``connect_timeout``."""


class CancellationTimeout(OperationalError):
    """A cancel request got no answer from the server in time (``cancel_safe(timeout=)``)."""


#: Every public name, the SQLSTATE classes included: ``from pgwire.errors import *``
#: makes them all.
__all__ = sorted(
    [
        name
        for name, value in globals().items()
        if not name.startswith("_") and getattr(value, "__module__", None) == __name__
    ]
    + list(_SQLSTATE_CLASSES)
)
