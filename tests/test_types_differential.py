"""Result values of pgwire against psycopg 3's default (text) cursor, on a real server.

Every SQL expression of ``tests/data/types_corpus.sql`` is selected under
several session TimeZones, by psycopg 3 (the reference: a text cursor) and by
pgwire in each of its ways of reading results: the default (text), forced
binary, and a prepared statement (first run, then the run that uses the
per-column formats chosen from the first). Both must give equal values of
equal types (aware datetimes also with equal ``utcoffset()``), or both refuse
the value with their ``DataError``.

Where pgwire differs on purpose, the test names the difference (an entry of
``docs/types.md``) and asserts what each driver does. The same is done for
Python values sent as parameters (``SELECT %s``), for the DateStyle and
IntervalStyle settings and for client encodings.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import math
import random
import re
import struct
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import pytest
from psycopg.types.json import Json as PJson
from psycopg.types.json import Jsonb as PJsonb
from psycopg.types.range import Range as PRange

import pgwire
from pgwire.types import Format, Json, Jsonb, Range, default_registry, oids

CORPUS_FILE = Path(__file__).parent / "data" / "types_corpus.sql"

TIMEZONES = ("UTC", "America/New_York", "Asia/Kolkata", "Etc/GMT-14", "<+14>-14")
# A POSIX zone spec: the server understands it, zoneinfo does not.
POSIX_ZONE = "<+14>-14"
PLUS_14 = dt.timezone(dt.timedelta(hours=14))

# How pgwire is asked for results. "prepared-first" prepares the statement
# (results in text); "prepared" reruns it with the formats chosen per column.
MODES: tuple[tuple[str, dict[str, Any]], ...] = (
    ("text", {}),
    ("binary", {"binary": True}),
    ("prepared-first", {"prepare": True}),
    ("prepared", {"prepare": True}),
)


def load_corpus() -> list[str]:
    """The expressions of the corpus file, in order."""
    lines = CORPUS_FILE.read_text(encoding="utf-8").splitlines()
    return [s.strip() for s in lines if s.strip() and not s.lstrip().startswith("--")]


CORPUS = load_corpus()


# -- outcomes and comparison ------------------------------------------------------------


@dataclass
class Outcome:
    """What one driver did with one query: a value, or an exception."""

    value: Any = None
    error: BaseException | None = None
    type_oid: int | None = None

    @property
    def ok(self) -> bool:
        """Whether a value came back."""
        return self.error is None

    def __repr__(self) -> str:
        if self.error is not None:
            return f"raised {type(self.error).__module__}.{type(self.error).__name__}: {self.error}"
        return f"returned {self.value!r}"


def is_data_error(o: Outcome, driver: Any) -> bool:
    """Whether `o` is the driver's DataError (psycopg or pgwire module given)."""
    return isinstance(o.error, driver.DataError)


def mismatch(ref: Any, got: Any, where: str = "value") -> str | None:
    """Why `got` (pgwire) is not the same as `ref` (psycopg), or None if it is.

    Same means the same type (psycopg's Range matches pgwire's Range) and an
    equal value; floats compare NaN and the sign of zero, Decimals their exact
    digits and exponent, aware datetimes and times also their UTC offset,
    dicts their key order too.
    """
    if isinstance(ref, PRange):
        if not isinstance(got, Range):
            return f"{where}: expected a Range, got {type(got).__name__} {got!r}"
        if ref.isempty != got.isempty or (not ref.isempty and ref.bounds != got.bounds):
            return f"{where}: expected {ref!r}, got {got!r}"
        return mismatch(ref.lower, got.lower, where + ".lower") or mismatch(
            ref.upper, got.upper, where + ".upper"
        )
    if type(ref) is not type(got):
        return f"{where}: expected {type(ref).__name__} {ref!r}, got {type(got).__name__} {got!r}"
    if isinstance(ref, float):
        if math.isnan(ref) and math.isnan(got):
            return None
        if ref == got and math.copysign(1.0, ref) == math.copysign(1.0, got):
            return None
        return f"{where}: expected {ref!r}, got {got!r}"
    if isinstance(ref, Decimal):
        if ref.as_tuple() == got.as_tuple():
            return None
        return f"{where}: expected {ref!r}, got {got!r}"
    if isinstance(ref, list | tuple):
        if len(ref) != len(got):
            return f"{where}: expected {len(ref)} items {ref!r}, got {len(got)} {got!r}"
        for i, (a, b) in enumerate(zip(ref, got, strict=True)):
            problem = mismatch(a, b, f"{where}[{i}]")
            if problem:
                return problem
        return None
    if isinstance(ref, dict):
        if list(ref) != list(got):
            return f"{where}: expected keys {list(ref)!r}, got {list(got)!r}"
        for k in ref:
            problem = mismatch(ref[k], got[k], f"{where}[{k!r}]")
            if problem:
                return problem
        return None
    if isinstance(ref, dt.datetime | dt.time):
        if (ref.tzinfo is None) != (got.tzinfo is None) or ref != got:
            return f"{where}: expected {ref!r}, got {got!r}"
        if ref.utcoffset() != got.utcoffset():
            return (
                f"{where}: expected UTC offset {ref.utcoffset()} ({ref!r}),"
                f" got {got.utcoffset()} ({got!r})"
            )
        return None
    return None if ref == got else f"{where}: expected {ref!r}, got {got!r}"


def outcome_mismatch(ref: Outcome, got: Outcome) -> str | None:
    """Why the two outcomes differ, None when they agree.

    Agreeing means: equal values (see :func:`mismatch`), or psycopg's DataError
    and pgwire's DataError, or server errors with the same SQLSTATE.
    """
    if ref.ok and got.ok:
        return mismatch(ref.value, got.value)
    if not ref.ok and not got.ok:
        if is_data_error(ref, psycopg) and is_data_error(got, pgwire):
            return None
        ref_state = getattr(ref.error, "sqlstate", None)
        if ref_state and ref_state == getattr(got.error, "sqlstate", None):
            return None
    return f"psycopg {ref!r}; pgwire {got!r}"


def walk(value: Any) -> Iterator[Any]:
    """Every leaf of a value: list items, range bounds, the value itself."""
    if isinstance(value, list):
        for v in value:
            yield from walk(v)
    elif isinstance(value, PRange | Range):
        yield from walk(value.lower)
        yield from walk(value.upper)
    else:
        yield value


def map_leaves(value: Any, fn: Callable[[Any], Any]) -> Any:
    """`value` with `fn` applied to every leaf (lists and psycopg ranges kept)."""
    if isinstance(value, list):
        return [map_leaves(v, fn) for v in value]
    if isinstance(value, PRange):
        if value.isempty:
            return value
        return PRange(map_leaves(value.lower, fn), map_leaves(value.upper, fn), value.bounds)
    return fn(value)


# -- sessions -----------------------------------------------------------------------------


class Session:
    """A psycopg connection and a pgwire connection set up the same way."""

    def __init__(self, dsn: str, settings: dict[str, str]) -> None:
        self.settings = settings
        self.ref = psycopg.connect(dsn, autocommit=True)
        self.conn = pgwire.connect(dsn, autocommit=True)
        for name, value in settings.items():
            self.ref.execute("SELECT set_config(%s, %s, false)", [name, value])
            self.conn.execute("SELECT set_config(%s, %s, false)", [name, value])

    def reference(self, sql: str, params: list[Any] | None = None, binary: bool = False) -> Outcome:
        """psycopg's outcome for the first column of the first row (text cursor by default)."""
        try:
            cur = self.ref.execute(sql, params, binary=binary)
            row = cur.fetchone()
        except Exception as ex:  # the exception is the outcome
            return Outcome(error=ex)
        assert row is not None
        return Outcome(value=row[0])

    def pgwire(self, sql: str, params: list[Any] | None = None, **kwargs: Any) -> Outcome:
        """pgwire's outcome for the first column of the first row."""
        try:
            cur = self.conn.execute(sql, params, **kwargs)
            oid = cur.description[0].type_code if cur.description else None
            row = cur.fetchone()
        except Exception as ex:  # the exception is the outcome
            return Outcome(error=ex)
        assert row is not None
        return Outcome(value=row[0], type_oid=oid)

    def close(self) -> None:
        """Close both connections."""
        self.ref.close()
        self.conn.close()


SessionFactory = Callable[..., Session]


@pytest.fixture(scope="module")
def session(dsn: str) -> Iterator[SessionFactory]:
    """``session(TimeZone=..., DateStyle=...)``: one Session per distinct setting, reused."""
    made: dict[tuple[tuple[str, str], ...], Session] = {}

    def get(**settings: str) -> Session:
        key = tuple(sorted(settings.items()))
        s = made.get(key)
        if s is None:
            s = made[key] = Session(dsn, dict(settings))
        return s

    try:
        yield get
    finally:
        for s in made.values():
            s.close()


# -- deliberate differences ---------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One comparison: a query in a session, read by pgwire in one mode."""

    expr: str
    timezone: str
    mode: str


@dataclass(frozen=True)
class Deliberate:
    """A difference from psycopg 3 made on purpose; `name` is its entry in docs/types.md."""

    name: str
    applies: Callable[[Case, Outcome, Outcome], bool]
    check: Callable[[Case, Outcome, Outcome], str | None]


def _has_aware_datetime(value: Any) -> bool:
    return any(isinstance(v, dt.datetime) and v.tzinfo is not None for v in walk(value))


def _posix_zone_applies(case: Case, ref: Outcome, got: Outcome) -> bool:
    return case.timezone == POSIX_ZONE and ref.ok and _has_aware_datetime(ref.value)


def _posix_zone_check(case: Case, ref: Outcome, got: Outcome) -> str | None:
    # psycopg cannot resolve "<+14>-14" with zoneinfo and falls back to UTC;
    # pgwire parses the POSIX spec: the same instants, at +14:00.
    for v in walk(ref.value):
        if isinstance(v, dt.datetime) and v.utcoffset() != dt.timedelta(0):
            return f"psycopg was expected to read {v!r} in UTC"

    def to_plus_14(v: Any) -> Any:
        if isinstance(v, dt.datetime) and v.tzinfo is not None:
            return v.astimezone(PLUS_14)
        return v

    if not got.ok:
        return f"pgwire {got!r}"
    return mismatch(map_leaves(ref.value, to_plus_14), got.value)


def _no_binary_loader(oid: int | None) -> bool:
    if oid is None:
        return False
    elem = default_registry.array_element(oid)
    return default_registry.get_loader(elem or oid, Format.BINARY) is None


def _binary_unknown_applies(case: Case, ref: Outcome, got: Outcome) -> bool:
    return case.mode == "binary" and got.ok and _no_binary_loader(got.type_oid)


def _binary_unknown_check(case: Case, ref: Outcome, got: Outcome) -> str | None:
    # The server's binary form, as bytes, wherever psycopg has a str.
    if not ref.ok:
        return f"psycopg {ref!r}"

    def as_bytes_type(v: Any) -> Any:
        return b"" if isinstance(v, str) else v

    expected = map_leaves(ref.value, as_bytes_type)
    got_types = map_leaves(got.value, lambda v: b"" if isinstance(v, bytes) else v)
    return mismatch(expected, got_types)


# Intervals beyond timedelta's range that psycopg's C loader wraps around (its
# pure-Python loader raises DataError, as pgwire does).
WRAPPED_INTERVALS = frozenset(["'178000000 years'::interval", "'-178000000 years'::interval"])


def _interval_wrap_applies(case: Case, ref: Outcome, got: Outcome) -> bool:
    return case.expr in WRAPPED_INTERVALS


def _interval_wrap_check(case: Case, ref: Outcome, got: Outcome) -> str | None:
    if not is_data_error(got, pgwire):
        return f"pgwire was expected to raise DataError: {got!r}"
    if ref.ok:
        years = int(re.findall(r"-?\d+", case.expr)[0])
        if not isinstance(ref.value, dt.timedelta) or ref.value.days == years * 365:
            return f"psycopg was expected to wrap around: {ref!r}"
    elif not is_data_error(ref, psycopg):
        return f"psycopg {ref!r}"
    return None


DELIBERATE: tuple[Deliberate, ...] = (
    Deliberate("posix-timezone", _posix_zone_applies, _posix_zone_check),
    Deliberate("binary-unknown-types", _binary_unknown_applies, _binary_unknown_check),
    Deliberate("interval-overflow", _interval_wrap_applies, _interval_wrap_check),
)


def compare(case: Case, ref: Outcome, got: Outcome) -> str | None:
    """The problem with pgwire's outcome for `case`, None if it is right.

    A deliberate difference that applies replaces plain comparison.
    """
    for d in DELIBERATE:
        if d.applies(case, ref, got):
            problem = d.check(case, ref, got)
            return None if problem is None else f"[{d.name}] {problem}"
    return outcome_mismatch(ref, got)


def run_modes(
    s: Session, expr: str, ref: Outcome, timezone: str, sql: str | None = None
) -> list[str]:
    """Run `expr` through pgwire in every mode; the problems found, one line each."""
    sql = sql or f"SELECT {expr}"
    problems = []
    for mode, kwargs in MODES:
        got = s.pgwire(sql, **kwargs)
        problem = compare(Case(expr, timezone, mode), ref, got)
        if problem:
            problems.append(f"{mode}: {problem}")
    return problems


# -- the corpus ---------------------------------------------------------------------------

# Corpus expressions pgwire reads wrong (an open bug of docs/types.md each),
# marked as strict xfails: expression -> the bug.
KNOWN_BUGS: dict[str, str] = {}


def corpus_params() -> list[Any]:
    """(timezone, expr) pairs, the known bugs marked xfail."""
    out = []
    for expr in CORPUS:
        marks = []
        if expr in KNOWN_BUGS:
            marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[expr]))
        for tz in TIMEZONES:
            out.append(pytest.param(tz, expr, marks=marks, id=f"{tz}|{expr}"))
    return out


def test_corpus_is_loaded() -> None:
    assert len(CORPUS) > 300
    assert "'[2:3]={1,2}'::int4[]" in CORPUS
    assert all(not e.startswith("--") for e in CORPUS)
    for expr in list(KNOWN_BUGS) + list(WRAPPED_INTERVALS):
        assert expr in CORPUS, expr


@pytest.mark.parametrize(("timezone", "expr"), corpus_params())
def test_literal_matches_psycopg(session: SessionFactory, timezone: str, expr: str) -> None:
    s = session(TimeZone=timezone)
    ref = s.reference(f"SELECT {expr}")
    problems = run_modes(s, expr, ref, timezone)
    assert not problems, f"SELECT {expr} (TimeZone {timezone}):\n" + "\n".join(problems)


def test_char_binary_empty_reads_as_empty_string(session: SessionFactory) -> None:
    s = session(TimeZone="UTC")
    assert s.reference("SELECT ''::\"char\"").value == ""
    assert s.pgwire("SELECT ''::\"char\"").value == ""
    assert s.pgwire("SELECT ''::\"char\"", binary=True).value == ""


def test_char_binary_high_byte_reads_as_server_text(session: SessionFactory) -> None:
    s = session(TimeZone="UTC")
    ref = s.reference("SELECT 'é'::\"char\"")
    assert outcome_mismatch(ref, s.pgwire("SELECT 'é'::\"char\"")) is None
    assert outcome_mismatch(ref, s.pgwire("SELECT 'é'::\"char\"", binary=True)) is None


# -- deliberate differences, asserted one by one ------------------------------------------


def test_posix_timezone_reads_in_its_offset(session: SessionFactory) -> None:
    """[posix-timezone] psycopg reads timestamptz in UTC, pgwire at +14:00."""
    s = session(TimeZone=POSIX_ZONE)
    sql = "SELECT '2000-01-01 00:00:00+00'::timestamptz"
    ref = s.reference(sql)
    assert ref.value.utcoffset() == dt.timedelta(0)
    for _mode, kwargs in MODES:
        got = s.pgwire(sql, **kwargs)
        assert got.value == ref.value
        assert got.value.utcoffset() == dt.timedelta(hours=14)
        assert got.value.hour == 14


def test_binary_unknown_type_reads_as_bytes(session: SessionFactory) -> None:
    """[binary-unknown-types] binary=True on a type without a loader gives its binary bytes."""
    s = session(TimeZone="UTC")
    sql = "SELECT '(1,2)'::point"
    assert s.reference(sql).value == "(1,2)"
    assert s.pgwire(sql, binary=True).value == struct.pack("!dd", 1.0, 2.0)
    # Without forcing binary, pgwire asks for text where it has no binary loader.
    for _ in range(2):
        assert s.pgwire(sql, prepare=True).value == "(1,2)"


def test_interval_overflow_raises(session: SessionFactory) -> None:
    """[interval-overflow] psycopg's C loader wraps around; pgwire raises DataError."""
    s = session(TimeZone="UTC")
    sql = "SELECT '178000000 years'::interval"
    ref = s.reference(sql)
    if ref.ok:
        # 178000000 * 365 days modulo 2**32: garbage, not the interval.
        assert ref.value == dt.timedelta(days=178000000 * 365 % 2**32)
    else:
        assert is_data_error(ref, psycopg)
    for _mode, kwargs in MODES:
        assert is_data_error(s.pgwire(sql, **kwargs), pgwire)


# -- random bulk values ------------------------------------------------------------------


def _float4_literals(rng: random.Random, n: int) -> list[str]:
    out = []
    for _ in range(n):
        (f,) = struct.unpack("!f", struct.pack("!I", rng.getrandbits(32)))
        out.append("NaN" if math.isnan(f) else repr(f))
    return out


def _float8_literals(rng: random.Random, n: int) -> list[str]:
    out = []
    for _ in range(n):
        (f,) = struct.unpack("!d", struct.pack("!Q", rng.getrandbits(64)))
        out.append("NaN" if math.isnan(f) else repr(f))
    return out


def _numeric_literals(rng: random.Random, n: int) -> list[str]:
    out = []
    for _ in range(n):
        digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 60)))
        exp = rng.randint(-80, 80)
        sign = rng.choice(["", "-"])
        out.append(f"{sign}{digits}e{exp}")
    return out + ["NaN", "Infinity", "-Infinity", "0", "-0.00"]


def _date_literals(rng: random.Random, n: int) -> list[str]:
    lo, hi = dt.date(1, 1, 1).toordinal(), dt.date(9999, 12, 31).toordinal()
    return [dt.date.fromordinal(rng.randint(lo, hi)).isoformat() for _ in range(n)]


def _timestamp_literals(rng: random.Random, n: int) -> list[str]:
    # Keep a day away from the ends: a timestamptz near them can leave
    # Python's range in the session zone (both drivers then refuse it).
    lo = dt.datetime(1, 1, 2)
    span = int((dt.datetime(9999, 12, 30) - lo).total_seconds())
    out = []
    for _ in range(n):
        t = lo + dt.timedelta(seconds=rng.randint(0, span), microseconds=rng.randint(0, 999999))
        out.append(t.isoformat(" "))
    return out


def _interval_literals(rng: random.Random, n: int) -> list[str]:
    out = []
    for _ in range(n):
        months = rng.randint(-100000, 100000)
        days = rng.randint(-1000000, 1000000)
        us = rng.randint(-(10**15), 10**15)
        out.append(f"{months} mons {days} days {us} microseconds")
    return out


BULK: dict[str, tuple[str, Callable[[random.Random, int], list[str]]]] = {
    "float4": ("float4", _float4_literals),
    "float8": ("float8", _float8_literals),
    "numeric": ("numeric", _numeric_literals),
    "date": ("date", _date_literals),
    "timestamp": ("timestamp", _timestamp_literals),
    "timestamptz": ("timestamptz", _timestamp_literals),
    "interval": ("interval", _interval_literals),
}


@pytest.mark.parametrize("timezone", ["America/New_York", "Asia/Kolkata"])
@pytest.mark.parametrize("family", sorted(BULK))
def test_random_values_match_psycopg(session: SessionFactory, family: str, timezone: str) -> None:
    """Many random values of one type in one array, in every mode."""
    type_name, make = BULK[family]
    rng = random.Random(f"{family}-{timezone}")
    items = make(rng, 500)
    literal = "{" + ",".join(f'"{x}"' for x in items) + "}"
    expr = f"'{literal}'::{type_name}[]"
    s = session(TimeZone=timezone)
    ref = s.reference(f"SELECT {expr}")
    assert ref.ok, ref
    assert len(ref.value) == len(items)
    problems = run_modes(s, f"<{len(items)} random {type_name}>", ref, timezone, f"SELECT {expr}")
    assert not problems, "\n".join(p[:2000] for p in problems)


# -- parameters: SELECT %s ------------------------------------------------------------------


class R:
    """A range for either driver (psycopg and pgwire each have their Range class)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.args = args
        self.kwargs = kwargs

    def __repr__(self) -> str:
        return f"Range{self.args or ''}{self.kwargs or ''}"


class J:
    """A Json wrapper for either driver."""

    def __init__(self, obj: Any, binary: bool = False) -> None:
        self.obj = obj
        self.b = binary

    def __repr__(self) -> str:
        return f"{'Jsonb' if self.b else 'Json'}({self.obj!r})"


def for_driver(value: Any, driver: str) -> Any:
    """Turn the R and J placeholders of `value` into `driver`'s own classes."""
    if isinstance(value, R):
        cls = PRange if driver == "psycopg" else Range
        return cls(*value.args, **value.kwargs)
    if isinstance(value, J):
        if driver == "psycopg":
            return (PJsonb if value.b else PJson)(value.obj)
        return (Jsonb if value.b else Json)(value.obj)
    if isinstance(value, list):
        return [for_driver(v, driver) for v in value]
    return value


NY = ZoneInfo("America/New_York")
UTC = dt.timezone.utc

PARAMS: list[Any] = [
    None, True, False,
    0, 1, -1, 32767, 32768, -32769, 2**31, 2**63 - 1, 2**63, -(2**63), -(2**63) - 1,
    10**30, -(10**40),
    0.0, -0.0, 0.1, 1e300, 5e-324, float("nan"), float("inf"), float("-inf"),
    Decimal("1.500"), Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity"),
    Decimal("-0"), Decimal("1E+30"), Decimal("1E-30"), Decimal("sNaN"),
    "", "abc", "日本語🎉", "a'b\"c\\", "NULL", "{a,b}",
    b"", b"\x00\xff", bytearray(b"ab"), memoryview(b"xy"),
    dt.date(2000, 1, 1), dt.date.min, dt.date.max,
    dt.time(0, 0), dt.time(23, 59, 59, 999999),
    dt.time(12, 0, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30))), dt.time(12, tzinfo=NY),
    dt.datetime(2000, 1, 1), dt.datetime.min, dt.datetime.max,
    dt.datetime(2000, 1, 1, tzinfo=UTC), dt.datetime(1, 1, 1, tzinfo=UTC),
    dt.datetime(2021, 11, 7, 1, 30, tzinfo=NY), dt.datetime(2021, 11, 7, 1, 30, fold=1, tzinfo=NY),
    dt.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    dt.datetime(2000, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30, seconds=15))),
    dt.timedelta(0), dt.timedelta(days=1, microseconds=1), dt.timedelta(days=-1),
    dt.timedelta(microseconds=-1), dt.timedelta.max, dt.timedelta.min, dt.timedelta(days=400),
    uuid.UUID(int=0), uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
    ipaddress.ip_address("1.2.3.4"), ipaddress.ip_address("::1"),
    ipaddress.ip_interface("1.2.3.4/24"), ipaddress.ip_interface("::1/64"),
    ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("2001:db8::/32"),
    [1, 2, 3], [1, None], [None], [], [[1, 2], [3, 4]], [2**40], [1, 2**40], [1, 10**30],
    [1.5, None], [True], [Decimal("1.5")], [dt.date(2000, 1, 1)],
    [dt.datetime(2000, 1, 1, tzinfo=UTC)], [dt.timedelta(1)], [uuid.UUID(int=1)], [b"ab"],
    [ipaddress.ip_address("1.2.3.4")], [[None, 1], [2, None]], [1, 1.5], [1, "a"],
    ["a", "b"], ["a", None], [""], ["NULL"], ['a"b', "c\\d", "x,y", " s "], [[]], [[], []],
    {"a": 1}, {},
    J({"a": [1, None]}), J({"a": [1, None]}, binary=True), J("str"), J(None, binary=True),
    J([1, 2.5]),
    R(Decimal("1.5"), None), R(dt.date(2000, 1, 1), dt.date(2000, 2, 1)),
    R(dt.datetime(2000, 1, 1), dt.datetime(2000, 1, 2)), R(dt.datetime(2000, 1, 1, tzinfo=UTC)),
    R(1, 10), R(empty=True), R(None, None),
]  # fmt: skip


def _is_str_list(value: Any) -> bool:
    leaves = [v for v in walk(value) if v is not None] if isinstance(value, list) else []
    return bool(leaves) and all(isinstance(v, str) for v in leaves)


def _only_empty_lists(value: Any) -> bool:
    return isinstance(value, list) and not list(walk(value))


def param_difference(value: Any, tz: str, ref: Outcome, got: Outcome) -> str | None:
    """The name of the deliberate difference for `SELECT %s` of `value`, checked.

    Returns None when no deliberate difference applies (plain comparison).
    Raises AssertionError when one applies but a driver does not behave as
    described.
    """
    if _is_str_list(value):
        # [str-list-as-text-array] psycopg sends it as unknown: SELECT %s gives
        # the array literal; pgwire sends text[]: it comes back as the list.
        assert ref.ok and isinstance(ref.value, str) and ref.value.startswith("{"), ref
        assert got.ok and mismatch(value, got.value) is None, got
        return "str-list-as-text-array"
    if _only_empty_lists(value) and value != []:
        # [nested-empty-list] [[]] goes as '{}' (an empty array has no dimensions).
        assert ref.ok and isinstance(ref.value, str) and ref.value.startswith("{{"), ref
        assert got.ok and got.value == "{}", got
        return "nested-empty-list"
    if isinstance(value, dict):
        # [dict-as-jsonb] psycopg cannot adapt dict; pgwire sends it as jsonb.
        assert isinstance(ref.error, psycopg.ProgrammingError), ref
        assert got.ok and mismatch(value, got.value) is None, got
        return "dict-as-jsonb"
    if tz == POSIX_ZONE and ref.ok and _has_aware_datetime(ref.value):
        problem = _posix_zone_check(Case("%s", tz, ""), ref, got)
        assert problem is None, problem
        return "posix-timezone"
    return None


@pytest.mark.parametrize("timezone", TIMEZONES)
@pytest.mark.parametrize("value", PARAMS, ids=repr)
def test_parameter_matches_psycopg(session: SessionFactory, value: Any, timezone: str) -> None:
    s = session(TimeZone=timezone)
    ref = s.reference("SELECT %s", [for_driver(value, "psycopg")])
    problems = []
    for mode, kwargs in MODES:
        got = s.pgwire("SELECT %s", [for_driver(value, "pgwire")], **kwargs)
        if param_difference(value, timezone, ref, got):
            continue
        problem = outcome_mismatch(ref, got)
        if problem:
            problems.append(f"{mode}: {problem}")
    assert not problems, f"SELECT %s with {value!r} (TimeZone {timezone}):\n" + "\n".join(problems)


@pytest.mark.parametrize("value", [[[]], [[], []], [[[]]]], ids=repr)
def test_nested_empty_list_is_the_empty_array(session: SessionFactory, value: Any) -> None:
    """[nested-empty-list] psycopg sends '{{}}', which servers before 18 reject; pgwire '{}'."""
    s = session(TimeZone="UTC")
    ref = s.reference("SELECT %s::int4[]", [value])
    if ref.error is not None:
        assert isinstance(ref.error, psycopg.errors.InvalidTextRepresentation), ref
    else:
        assert ref.value == [], ref
    for _mode, kwargs in MODES:
        assert s.pgwire("SELECT %s::int4[]", [value], **kwargs).value == []


def test_params_cover_every_difference() -> None:
    """Each parameter difference of docs/types.md is exercised by PARAMS."""
    assert any(_is_str_list(v) for v in PARAMS)
    assert [[]] in PARAMS
    assert any(isinstance(v, dict) for v in PARAMS)


# -- DateStyle and IntervalStyle ---------------------------------------------------------

STYLES = (
    ("SQL, DMY", "postgres"),
    ("SQL, MDY", "sql_standard"),
    ("German", "iso_8601"),
    ("Postgres, MDY", "postgres_verbose"),
    ("Postgres, DMY", "postgres"),
    ("ISO, DMY", "sql_standard"),
)
_DATETIME_TYPES = r"(date|time|timetz|timestamp|timestamptz|interval|daterange|tsrange|tstzrange)"
DATETIME_CORPUS = [e for e in CORPUS if re.search(rf"::{_DATETIME_TYPES}(\[\])?\)?$", e)]

@pytest.mark.parametrize("expr", DATETIME_CORPUS)
@pytest.mark.parametrize(("datestyle", "intervalstyle"), STYLES)
def test_datestyle_matches_psycopg(
    session: SessionFactory,
    datestyle: str,
    intervalstyle: str,
    expr: str,
) -> None:
    """Any DateStyle/IntervalStyle: the value psycopg reads in it (or in ISO style).

    Where psycopg cannot parse the style (timestamptz outside ISO, intervals
    outside the postgres style: NotImplementedError), pgwire must return the
    value psycopg's binary cursor reads (what an ISO session reads), or
    raise its NotSupportedError ([non-iso-styles]).
    """
    tz = "America/New_York"
    s = session(TimeZone=tz, DateStyle=datestyle, IntervalStyle=intervalstyle)
    sql = f"SELECT {expr}"
    ref = s.reference(sql)
    # The value whatever the style: psycopg's binary loaders read it.
    ref_any = s.reference(sql, binary=True)
    problems = []
    for mode, kwargs in MODES:
        got = s.pgwire(sql, **kwargs)
        case = Case(expr, tz, mode)
        if isinstance(ref.error, NotImplementedError):
            if isinstance(got.error, pgwire.NotSupportedError) and mode != "binary":
                continue
            problem = compare(case, ref_any, got)
        else:
            problem = compare(case, ref, got)
        if problem:
            problems.append(f"{mode}: {problem}")
    assert not problems, f"{sql} ({datestyle}; {intervalstyle}):\n" + "\n".join(problems)


def test_timestamp_text_in_sql_datestyle(session: SessionFactory) -> None:
    """The non-ISO timestamp failure by itself."""
    s = session(TimeZone="UTC", DateStyle="SQL, DMY")
    sql = "SELECT '2000-01-02 03:04:05.5'::timestamp"
    expected = dt.datetime(2000, 1, 2, 3, 4, 5, 500000)
    assert s.reference(sql).value == expected
    assert s.pgwire(sql, binary=True).value == expected
    assert s.pgwire(sql).value == expected


# Where timestamps are cheaper in binary (Python < 3.11) the statement asks
# binary from its second run on, whatever the DateStyle: no failure there.
TIMESTAMP_PREFERS_TEXT = default_registry.preferred_format(oids.TIMESTAMP_OID) == Format.TEXT


def test_prepared_statement_survives_datestyle_change(dsn: str) -> None:
    """A statement prepared under ISO keeps reading right after DateStyle changes."""
    with pgwire.connect(dsn, autocommit=True) as conn:
        sql = "SELECT '2000-01-02 03:04:05.5'::timestamp"
        expected = dt.datetime(2000, 1, 2, 3, 4, 5, 500000)
        assert conn.execute(sql, prepare=True).fetchone() == (expected,)
        conn.execute("SET DateStyle = 'SQL, DMY'")
        assert conn.execute(sql, prepare=True).fetchone() == (expected,)


# -- client encodings -----------------------------------------------------------------

# A sample each encoding can represent, and the expressions tried with it.
ENCODINGS = {"LATIN1": "héllo wörld", "WIN1251": "Жжж ё", "EUC_JP": "日本語テキスト"}
ENCODING_EXPRS = (
    "'{s}'::text",
    "'{s}'::varchar",
    "'{s}'::char(20)",
    "'{s}'::name",
    "ARRAY['{s}', 'x y']",
    "'\"{s}\"'::json",
    '\'{{"k": "{s}"}}\'::jsonb',
    "'<a>{s}</a>'::xml",
    "'x'::\"char\"",
)


def _json_encoding_applies(encoding: str, expr: str) -> bool:
    return "json" in expr


@pytest.mark.parametrize("template", ENCODING_EXPRS)
@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
def test_client_encoding_matches_psycopg(
    session: SessionFactory, encoding: str, template: str
) -> None:
    """Text types decode with the client encoding, in every mode.

    [json-client-encoding] psycopg hands json's bytes to json.loads, which
    only reads UTF-8: with non-ASCII text in another client encoding it
    raises UnicodeDecodeError; pgwire decodes with the client encoding and
    returns what a UTF-8 session returns.
    """
    expr = template.format(s=ENCODINGS[encoding])
    s = session(TimeZone="UTC", client_encoding=encoding)
    utf8 = session(TimeZone="UTC")
    ref = s.reference(f"SELECT {expr}")
    if _json_encoding_applies(encoding, expr):
        assert isinstance(ref.error, UnicodeDecodeError), ref
        ref = utf8.reference(f"SELECT {expr}")
    problems = run_modes(s, expr, ref, "UTC")
    assert not problems, f"SELECT {expr} ({encoding}):\n" + "\n".join(problems)


@pytest.mark.parametrize(
    "expr",
    [
        "'hello'::text",
        "convert_from('\\xc3a9'::bytea, 'UTF8')",
        "ARRAY[convert_from('\\xc3a9'::bytea, 'UTF8')]",
    ],
)
def test_sql_ascii_matches_psycopg(session: SessionFactory, expr: str) -> None:
    s = session(TimeZone="UTC", client_encoding="SQL_ASCII")
    ref = s.reference(f"SELECT {expr}")
    assert ref.ok and isinstance(next(walk(ref.value)), bytes), ref
    problems = run_modes(s, expr, ref, "UTC")
    assert not problems, "\n".join(problems)
