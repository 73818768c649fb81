"""Python -> server -> Python round trips for every type of parameter, on a real server.

Each hypothesis example is sent three ways (``%s``: the dumper's preferred
format, ``%t``: text, ``%b``: binary) and read back three ways (text results,
binary results, a prepared statement that picks a format per column), both
with ``SELECT %s`` and through a typed column of a temporary table (insert,
then select by id). The value read back must equal the value sent, of the
same type, up to the normalisations PostgreSQL itself makes (listed per type
in ``docs/types.md``): huge ints come back as Decimal, timestamptz in the
session time zone, discrete ranges in their canonical ``[)`` form...
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import itertools
import json
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pgwire
from pgwire.types import Json, Jsonb, Range

# The session zone: aware datetimes come back in it, whatever zone they went in.
SESSION_TZ = "America/New_York"
SESSION_ZONE = ZoneInfo(SESSION_TZ)
INT8_MIN, INT8_MAX = -(2**63), 2**63 - 1

PLACEHOLDERS = ("%s", "%t", "%b")
RESULT_MODES: tuple[tuple[str, dict[str, Any]], ...] = (
    ("text", {}),
    ("binary", {"binary": True}),
    ("prepared", {"prepare": True}),
)
EXAMPLES = 40


@pytest.fixture(scope="module")
def rconn(dsn: str) -> Iterator[Any]:
    """One autocommit connection for the whole module, in SESSION_TZ."""
    conn = pgwire.connect(dsn, autocommit=True)
    conn.execute("SELECT set_config('TimeZone', %s, false)", [SESSION_TZ])
    try:
        yield conn
    finally:
        conn.close()


# -- comparison -----------------------------------------------------------------------------


def same(expected: Any, got: Any, lax_numbers: bool = False) -> bool:
    """Equal and of the same type, recursively.

    NaNs are equal; the sign of a float zero counts; Decimals compare digits
    and exponent; aware datetimes and times also compare their UTC offset.
    `lax_numbers` lets int and float stand for each other (jsonb stores JSON
    numbers as numeric: ``1e16`` comes back as ``10000000000000000``).
    """
    if lax_numbers and isinstance(expected, int | float) and isinstance(got, int | float):
        if isinstance(expected, bool) or isinstance(got, bool):
            return type(expected) is type(got) and expected == got
        if isinstance(expected, float) or isinstance(got, float):
            return float(expected) == float(got)
        return expected == got
    if isinstance(expected, Range) and isinstance(got, Range):
        return (
            expected.bounds == got.bounds
            and same(expected.lower, got.lower)
            and same(expected.upper, got.upper)
        )
    if type(expected) is not type(got):
        return False
    if isinstance(expected, float):
        if math.isnan(expected):
            return math.isnan(got)
        return expected == got and math.copysign(1, expected) == math.copysign(1, got)
    if isinstance(expected, Decimal):
        if expected.is_nan():
            return got.is_nan()
        return expected.as_tuple() == got.as_tuple()
    if isinstance(expected, list):
        return len(expected) == len(got) and all(
            same(a, b, lax_numbers) for a, b in zip(expected, got, strict=True)
        )
    if isinstance(expected, dict):
        return expected.keys() == got.keys() and all(
            same(expected[k], got[k], lax_numbers) for k in expected
        )
    if isinstance(expected, dt.datetime | dt.time):
        return expected == got and expected.utcoffset() == got.utcoffset()
    return bool(expected == got)


# -- what comes back ------------------------------------------------------------------------


def pg_decimal(d: Decimal) -> Decimal:
    """A Decimal as numeric keeps it: positive exponents spelled out, no negative zero."""
    if d.is_nan():
        return Decimal("NaN")
    if d.is_infinite():
        return d
    sign, digits, exp = d.as_tuple()
    assert isinstance(exp, int)
    if exp > 0:
        digits, exp = digits + (0,) * exp, 0
    if not any(digits):
        sign, digits = 0, (0,)
    return Decimal((sign, digits, exp))


def pg_datetime(v: dt.datetime) -> dt.datetime:
    """A datetime as timestamp/timestamptz gives it back: aware ones in the session zone."""
    if v.tzinfo is None:
        return v
    # Through UTC: astimezone() to the zone a value already has changes nothing,
    # not even a wall time that zone skips (2:30 on a spring-forward night).
    return v.astimezone(dt.timezone.utc).astimezone(SESSION_ZONE)


def pg_inet(v: Any) -> Any:
    """inet prints no prefix when it covers the whole address: an address comes back."""
    if isinstance(v, ipaddress.IPv4Interface | ipaddress.IPv6Interface):
        if v.network.prefixlen == v.max_prefixlen:
            return v.ip
    return v


def identity(v: Any) -> Any:
    """The value comes back as it went."""
    return v


@dataclass(frozen=True)
class Kind:
    """One family of Python values and how the server gives them back."""

    name: str
    strategy: st.SearchStrategy[Any]
    #: Column type of the typed insert.
    column: str
    #: What comes back for a value.
    expect: Callable[[Any], Any] = identity
    #: Appended to the placeholder of SELECT when the server cannot infer the type.
    cast: str = ""
    lax_numbers: bool = False


# -- strategies -----------------------------------------------------------------------------

ZONES: list[dt.tzinfo] = [
    dt.timezone.utc,
    dt.timezone(dt.timedelta(hours=5, minutes=30)),
    dt.timezone(dt.timedelta(hours=-9, minutes=-30, seconds=-17)),
    dt.timezone(dt.timedelta(hours=14)),
    ZoneInfo("America/New_York"),
    ZoneInfo("Asia/Kolkata"),
    ZoneInfo("Australia/Lord_Howe"),
    ZoneInfo("Europe/London"),
]
# timetz offsets: whole seconds up to 15:59:59 either way.
TIME_ZONES = st.integers(-(16 * 3600 - 1), 16 * 3600 - 1).map(
    lambda s: dt.timezone(dt.timedelta(seconds=s))
)

# A day away from the ends: moved into the session zone they must stay in range.
naive_datetimes = st.datetimes(
    min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31, 23, 59, 59, 999999)
)
aware_datetimes = st.datetimes(
    min_value=dt.datetime(1, 1, 3),
    max_value=dt.datetime(9999, 12, 29),
    timezones=st.sampled_from(ZONES),
)

finite_decimals = st.builds(
    lambda sign, digits, exp: Decimal((sign, tuple(int(c) for c in str(digits)), exp)),
    st.integers(0, 1),
    st.integers(0, 10**60),
    st.integers(-100, 100),
)
decimals = st.one_of(
    finite_decimals,
    st.sampled_from(
        [Decimal("NaN"), Decimal("sNaN"), Decimal("Infinity"), Decimal("-Infinity"),
         Decimal("-0"), Decimal("0.000"), Decimal("1E+30"), Decimal("-1E-30")]
    ),
)  # fmt: skip

ints = st.one_of(
    st.integers(INT8_MIN, INT8_MAX),
    st.sampled_from([0, -1, 32767, 32768, -32768, -32769, 2**31 - 1, 2**31, INT8_MIN, INT8_MAX]),
)
huge_ints = st.one_of(st.integers(INT8_MAX + 1, 10**100), st.integers(-(10**100), INT8_MIN - 1))
floats = st.floats(allow_nan=True, allow_infinity=True)
texts = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=40)
byte_strings = st.binary(max_size=60)
bytes_likes = st.one_of(
    byte_strings, byte_strings.map(bytearray), byte_strings.map(lambda b: memoryview(b))
)

ipv4 = st.ip_addresses(v=4)
ipv6 = st.ip_addresses(v=6)
addresses = st.one_of(ipv4, ipv6)
interfaces = st.one_of(
    st.tuples(ipv4, st.integers(0, 32)).map(lambda t: ipaddress.ip_interface((t[0], t[1]))),
    st.tuples(ipv6, st.integers(0, 128)).map(lambda t: ipaddress.ip_interface((t[0], t[1]))),
)
networks = interfaces.map(lambda i: i.network)


def arrays(elements: st.SearchStrategy[Any]) -> st.SearchStrategy[list[Any]]:
    """Rectangular lists of 1 to 3 dimensions, elements or None."""
    cells = st.one_of(st.none(), elements)

    @st.composite
    def build(draw: st.DrawFn) -> list[Any]:
        shape = draw(st.lists(st.integers(1, 3), min_size=1, max_size=3))

        def fill(dims: list[int]) -> list[Any]:
            if len(dims) == 1:
                return [draw(cells) for _ in range(dims[0])]
            return [fill(dims[1:]) for _ in range(dims[0])]

        return fill(shape)

    return build()


def expect_list(fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Apply `fn` to every non-None leaf of a nested list."""

    def apply(v: Any) -> Any:
        if isinstance(v, list):
            return [apply(x) for x in v]
        return None if v is None else fn(v)

    return apply


json_numbers = st.one_of(
    st.integers(-(10**20), 10**20), st.floats(allow_nan=False, allow_infinity=False)
)


def json_values(strings: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    """JSON documents: scalars, lists and objects nested a few levels."""
    scalars = st.one_of(st.none(), st.booleans(), json_numbers, strings)
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(strings, inner, max_size=4)
        ),
        max_leaves=12,
    )


# jsonb refuses \u0000 in strings; json keeps its text as it is.
jsonb_texts = texts
json_texts = st.text(st.characters(codec="utf-8"), max_size=20)


def roundtrip_json(v: Any) -> Any:
    """What json.loads(json.dumps(v)) gives: tuples are lists, keys strings..."""
    return json.loads(json.dumps(v))


# -- ranges -----------------------------------------------------------------------------------

BOUNDS = st.sampled_from(["[)", "(]", "()", "[]"])


def ranges(values: st.SearchStrategy[Any]) -> st.SearchStrategy[Range]:
    """Ranges with lower <= upper, unbounded sides, and the empty range."""

    def build(t: tuple[Any, Any, str, bool, bool]) -> Range:
        a, b, bounds, no_lower, no_upper = t
        lo, hi = (a, b) if a <= b else (b, a)
        return Range(None if no_lower else lo, None if no_upper else hi, bounds)

    made = st.tuples(values, values, BOUNDS, st.booleans(), st.booleans()).map(build)
    return st.one_of(made, st.just(Range(empty=True)))


def canonical_range(
    step: Any | None, bound: Callable[[Any], Any] = identity
) -> Callable[[Range], Range]:
    """The range as the server returns it, its bounds as `bound` makes them.

    Discrete types (`step` given) are made ``[)``; a range with no values is
    empty (``[a,a)``, ``(a,a]``, ``(a,a)``; for discrete ones also ``(a,a+1)``).
    """

    def canon(r: Range) -> Range:
        if r.isempty:
            return r
        lo, hi, b = r.lower, r.upper, r.bounds
        lo = None if lo is None else bound(lo)
        hi = None if hi is None else bound(hi)
        if step is not None:
            if lo is not None and b[0] == "(":
                lo = lo + step
            if hi is not None and b[1] == "]":
                hi = hi + step
            b = ("[" if lo is not None else "(") + ")"
            if lo is not None and hi is not None and lo >= hi:
                return Range(empty=True)
            return Range(lo, hi, b)
        if lo is not None and hi is not None and lo == hi and b != "[]":
            return Range(empty=True)
        return Range(lo, hi, b)

    return canon


range_ints = st.integers(-(2**62), 2**62)
range_dates = st.dates(max_value=dt.date(9999, 12, 30))
range_naive = st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 30))
range_aware = aware_datetimes

# -- the kinds ----------------------------------------------------------------------------------

KINDS: list[Kind] = [
    Kind("none", st.none(), "text"),
    Kind("bool", st.booleans(), "bool"),
    Kind("int2", st.integers(-32768, 32767), "int2"),
    Kind("int", ints, "int8"),
    Kind("huge-int", huge_ints, "numeric", expect=Decimal),
    Kind("float", floats, "float8"),
    Kind("decimal", decimals, "numeric", expect=pg_decimal),
    Kind("str", texts, "text"),
    Kind("bytes", bytes_likes, "bytea", expect=bytes),
    Kind("date", st.dates(), "date"),
    Kind("time", st.times(), "time"),
    Kind("timetz", st.times(timezones=TIME_ZONES), "timetz"),
    Kind("timestamp", naive_datetimes, "timestamp"),
    Kind("timestamptz", aware_datetimes, "timestamptz", expect=pg_datetime),
    Kind("timedelta", st.timedeltas(), "interval"),
    Kind("uuid", st.uuids(), "uuid"),
    Kind("inet-address", addresses, "inet"),
    Kind("inet-interface", interfaces, "inet", expect=pg_inet),
    Kind("cidr", networks, "cidr"),
    Kind("int-list", arrays(st.integers(INT8_MIN, INT8_MAX)), "int8[]"),
    Kind("float-list", arrays(floats), "float8[]"),
    Kind("decimal-list", arrays(finite_decimals), "numeric[]", expect=expect_list(pg_decimal)),
    Kind("str-list", arrays(texts), "text[]"),
    Kind("bool-list", arrays(st.booleans()), "bool[]"),
    Kind("bytes-list", arrays(byte_strings), "bytea[]"),
    Kind("date-list", arrays(st.dates()), "date[]"),
    Kind("time-list", arrays(st.times()), "time[]"),
    Kind("timestamp-list", arrays(naive_datetimes), "timestamp[]"),
    Kind(
        "timestamptz-list", arrays(aware_datetimes), "timestamptz[]",
        expect=expect_list(pg_datetime),
    ),
    Kind("timedelta-list", arrays(st.timedeltas()), "interval[]"),
    Kind("uuid-list", arrays(st.uuids()), "uuid[]"),
    Kind("inet-list", arrays(addresses), "inet[]"),
    Kind("json", json_values(json_texts).map(Json), "json", expect=lambda j: j.obj),
    Kind(
        "jsonb", json_values(jsonb_texts).map(Jsonb), "jsonb",
        expect=lambda j: roundtrip_json(j.obj), lax_numbers=True,
    ),
    Kind(
        "dict", st.dictionaries(jsonb_texts, json_values(jsonb_texts), max_size=5), "jsonb",
        expect=roundtrip_json, lax_numbers=True,
    ),
    Kind("int8range", ranges(range_ints), "int8range", canonical_range(1), cast="::int8range"),
    Kind("numrange", ranges(finite_decimals), "numrange", canonical_range(None, pg_decimal)),
    Kind("daterange", ranges(range_dates), "daterange", canonical_range(dt.timedelta(days=1))),
    Kind("tsrange", ranges(range_naive), "tsrange", canonical_range(None)),
    Kind("tstzrange", ranges(range_aware), "tstzrange", canonical_range(None, pg_datetime)),
]  # fmt: skip


def has_value(v: Any) -> bool:
    """Whether a nested list holds anything but None (else its type is unknown)."""
    if isinstance(v, list):
        return any(has_value(x) for x in v)
    return v is not None


def untyped(v: Any) -> bool:
    """Whether nothing in `v` tells its type: a list of None, a range without bounds.

    Those go as "unknown" and SELECT %s reads them back as the literal (str).
    """
    if isinstance(v, list):
        return not has_value(v)
    if isinstance(v, Range):
        return v.lower is None and v.upper is None
    return False


_ids = itertools.count(1)


@pytest.fixture(scope="module")
def tables(rconn: Any) -> dict[str, str]:
    """One temporary table per kind: ``(id int8, v <column type>)``."""
    names = {}
    for kind in KINDS:
        name = "rt_" + kind.name.replace("-", "_")
        rconn.execute(f"CREATE TEMP TABLE {name} (id int8 PRIMARY KEY, v {kind.column})")
        names[kind.name] = name
    return names


def check_roundtrip(conn: Any, table: str, kind: Kind, value: Any) -> list[str]:
    """Send `value` every way, read it back every way; the problems found."""
    expected = kind.expect(value)
    problems = []
    for ph, (mode, kwargs) in itertools.product(PLACEHOLDERS, RESULT_MODES):
        where = f"{ph} {mode}"
        got = conn.execute(f"SELECT {ph}{kind.cast}", [value], **kwargs).fetchone()[0]
        if untyped(value) and not kind.cast:
            if not isinstance(got, str):
                problems.append(f"SELECT {where}: got {got!r} for {value!r}")
        elif not same(expected, got, kind.lax_numbers):
            problems.append(f"SELECT {where}: expected {expected!r}, got {got!r}")
        row_id = next(_ids)
        conn.execute(f"INSERT INTO {table} (id, v) VALUES (%s, {ph})", [row_id, value])
        got = conn.execute(f"SELECT v FROM {table} WHERE id = %s", [row_id], **kwargs).fetchone()[0]
        if not same(expected, got, kind.lax_numbers):
            problems.append(f"column {kind.column} {where}: expected {expected!r}, got {got!r}")
    return problems


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_roundtrip(rconn: Any, tables: dict[str, str], kind: Kind, data: st.DataObject) -> None:
    value = data.draw(kind.strategy, label=kind.name)
    problems = check_roundtrip(rconn, tables[kind.name], kind, value)
    assert not problems, f"{value!r}:\n" + "\n".join(problems)


# -- fixed values where hypothesis might not look -------------------------------------------

EDGES: list[tuple[str, Any]] = [
    ("int", INT8_MIN), ("int", INT8_MAX), ("huge-int", INT8_MAX + 1), ("huge-int", -(10**300)),
    ("float", -0.0), ("float", 5e-324), ("float", float("nan")), ("float", float("-inf")),
    ("decimal", Decimal("sNaN")), ("decimal", Decimal("-0.000")),
    ("decimal", Decimal("1E+1000")), ("decimal", Decimal("-1E-1000")),
    ("str", ""), ("str", "NULL"), ("str", "日本語 🎉 \\ ' \""),
    ("bytes", b""), ("bytes", bytes(range(256))), ("bytes", memoryview(b"\x00\xff")),
    ("date", dt.date.min), ("date", dt.date.max),
    ("time", dt.time.max), ("timetz", dt.time(23, 59, 59, 999999, dt.timezone.utc)),
    ("timestamp", dt.datetime.min), ("timestamp", dt.datetime.max),
    ("timestamptz", dt.datetime(2021, 11, 7, 1, 30, fold=1, tzinfo=ZoneInfo("America/New_York"))),
    ("timestamptz", dt.datetime(2021, 3, 14, 2, 30, tzinfo=ZoneInfo("America/New_York"))),
    ("timestamptz", dt.datetime(1800, 1, 1, tzinfo=dt.timezone.utc)),
    ("timedelta", dt.timedelta.max), ("timedelta", dt.timedelta.min),
    ("timedelta", dt.timedelta(microseconds=-1)),
    ("inet-interface", ipaddress.ip_interface("10.1.2.3/32")),
    ("inet-interface", ipaddress.ip_interface("::ffff:1.2.3.4/96")),
    ("cidr", ipaddress.ip_network("0.0.0.0/0")), ("cidr", ipaddress.ip_network("::/0")),
    ("int-list", []), ("int-list", [None]), ("int-list", [[None, None], [None, None]]),
    ("int-list", [1, 2**40]), ("str-list", ["", "NULL", 'a"b', "c\\d", "x,y", " s ", "{}"]),
    ("float-list", [float("nan"), -0.0, float("inf")]),
    ("json", Json("\x00")), ("json", Json({"a": [1, None, True]})),
    ("jsonb", Jsonb(None)), ("jsonb", Jsonb(1e16)),
    ("dict", {}), ("dict", {"b": 1, "a": {"c": [1.5]}}),
    ("int8range", Range(empty=True)), ("int8range", Range(None, None)),
    ("int8range", Range(1, 1, "[]")), ("int8range", Range(1, 2, "()")),
    ("daterange", Range(dt.date.min, None, "(]")),
    ("tstzrange", Range(None, dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc), "(]")),
]  # fmt: skip


@pytest.mark.parametrize(("kind_name", "value"), EDGES, ids=repr)
def test_roundtrip_edges(rconn: Any, tables: dict[str, str], kind_name: str, value: Any) -> None:
    kind = next(k for k in KINDS if k.name == kind_name)
    problems = check_roundtrip(rconn, tables[kind.name], kind, value)
    assert not problems, f"{value!r}:\n" + "\n".join(problems)


def test_every_kind_has_a_table(tables: dict[str, str]) -> None:
    assert set(tables) == {k.name for k in KINDS}
    assert {k for k, _ in EDGES} <= set(tables)


def test_same_detects_differences() -> None:
    """The comparison used above tells apart what must differ."""
    assert not same(1, 1.0)
    assert not same(True, 1)
    assert not same(0.0, -0.0)
    assert same(float("nan"), float("nan"))
    assert not same(Decimal("1.5"), Decimal("1.50"))
    aware = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)
    assert not same(aware, aware.astimezone(dt.timezone(dt.timedelta(hours=1))))
    assert not same([1, None], [1])
    assert not same(Range(1, 2), Range(1, 2, "[]"))
    assert same({"a": 1.0}, {"a": 1}, lax_numbers=True)
    assert not same({"a": True}, {"a": 1}, lax_numbers=True)
    assert pg_decimal(Decimal("1E+3")).as_tuple() == Decimal("1000").as_tuple()
    assert canonical_range(1)(Range(1, 2, "()")).isempty
    assert canonical_range(1)(Range(1, 2, "[]")) == Range(1, 3, "[)")


# -- NumPy scalars as parameters --------------------------------------------------------

_NUMPY_CASES = [
    ("int8", -128, "smallint"),
    ("int16", 32_767, "smallint"),
    ("int32", -(2**31), "integer"),
    ("int64", 2**63 - 1, "bigint"),
    ("longlong", -(2**63), "bigint"),
    ("uint8", 255, "smallint"),
    ("uint16", 65_535, "integer"),
    ("uint32", 2**32 - 1, "bigint"),
    ("uint64", 2**64 - 1, "numeric"),
    ("bool_", True, "boolean"),
    ("float16", 3.14, "real"),
    ("float32", 2.7182817, "real"),
    ("float64", 2.718281828459045, "double precision"),
]


@pytest.mark.parametrize("placeholder", ["%s", "%t", "%b"])
@pytest.mark.parametrize(("nptype", "value", "pgtype"), _NUMPY_CASES)
def test_numpy_scalars(conn, placeholder, nptype, value, pgtype):
    np = pytest.importorskip("numpy")
    obj = getattr(np, nptype)(value)
    row = conn.execute(
        f"SELECT pg_typeof({placeholder})::text, {placeholder}, pg_typeof({placeholder})::text,"
        f" {placeholder}",
        [obj, obj, [obj], [obj, obj]],
    ).fetchone()
    assert row[0] == pgtype
    assert row[2] == pgtype + "[]"
    # float16 keeps about three digits: its text form is NumPy's shortest one.
    tolerance = 1e-3 if nptype == "float16" else 0
    for got in (row[1], *row[3]):
        assert got == pytest.approx(value, rel=tolerance) if tolerance else got == value
