"""Text-format parsing of known server output, and the error cases of loading."""

from __future__ import annotations

import datetime as dt
import ipaddress
from decimal import Decimal
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest

from pgwire.errors import DataError, NotSupportedError
from pgwire.types import (
    AdaptContext,
    Format,
    Range,
    Transformer,
    TypesRegistry,
    default_registry,
    oids,
)

UTC = dt.timezone.utc


def tz(hours: int = 0, minutes: int = 0, seconds: int = 0) -> dt.timezone:
    return dt.timezone(dt.timedelta(hours=hours, minutes=minutes, seconds=seconds))


def load(oid: int, data: bytes, fmt: Format = Format.TEXT, **params: str) -> Any:
    ctx = AdaptContext()
    for name, value in params.items():
        ctx.update_parameter(name, value)
    return Transformer(ctx).column_loaders([oid], [fmt])[0](data)


TEXT_CASES: list[tuple[int, bytes, Any]] = [
    # numbers
    (oids.INT2_OID, b"-32768", -32768),
    (oids.INT8_OID, b"9223372036854775807", 2**63 - 1),
    (oids.OID_OID, b"4294967295", 4294967295),
    (oids.FLOAT4_OID, b"1.6777216e+07", 16777216.0),
    (oids.FLOAT8_OID, b"-Infinity", float("-inf")),
    (oids.FLOAT8_OID, b"5e-324", 5e-324),
    (oids.NUMERIC_OID, b"Infinity", Decimal("Infinity")),
    (oids.NUMERIC_OID, b"0.00000000000000000001", Decimal("1E-20")),
    (oids.BOOL_OID, b"f", False),
    # strings and bytes
    (oids.BPCHAR_OID, b"ab   ", "ab   "),
    (oids.CHAR_OID, b"a", "a"),
    (oids.NAME_OID, b"x y", "x y"),
    (oids.BYTEA_OID, b"\\x0001ff", b"\x00\x01\xff"),
    (oids.BYTEA_OID, b"\\x", b""),
    # bytea_output = escape
    (oids.BYTEA_OID, b"ab\\000\\\\c\\377", b"ab\x00\\c\xff"),
    # dates and times
    (oids.DATE_OID, b"0001-01-01", dt.date(1, 1, 1)),
    (oids.TIME_OID, b"10:00:00.5", dt.time(10, 0, 0, 500000)),
    (oids.TIME_OID, b"23:59:59.999999", dt.time(23, 59, 59, 999999)),
    (oids.TIMETZ_OID, b"10:00:00.5+05:30", dt.time(10, 0, 0, 500000, tz(5, 30))),
    (oids.TIMETZ_OID, b"10:00:00-03:30:17", dt.time(10, tzinfo=tz(-3, -30, -17))),
    (oids.TIMETZ_OID, b"01:02:03+05", dt.time(1, 2, 3, tzinfo=tz(5))),
    (oids.TIMESTAMP_OID, b"2020-01-01 10:00:00.5", dt.datetime(2020, 1, 1, 10, 0, 0, 500000)),
    (oids.TIMESTAMP_OID, b"0999-12-31 23:59:59", dt.datetime(999, 12, 31, 23, 59, 59)),
    (
        oids.TIMESTAMPTZ_OID,
        b"2020-01-01 10:00:00.5+05:30",
        dt.datetime(2020, 1, 1, 4, 30, 0, 500000, UTC),
    ),
    (
        oids.TIMESTAMPTZ_OID,
        b"1900-01-01 00:00:00-03:30:17",
        dt.datetime(1900, 1, 1, 3, 30, 17, 0, UTC),
    ),
    (oids.TIMESTAMPTZ_OID, b"2020-06-30 20:00:00-04", dt.datetime(2020, 7, 1, tzinfo=UTC)),
    # intervals (IntervalStyle postgres): a month is 30 days, a year 365
    (oids.INTERVAL_OID, b"1 year 2 mons 3 days 04:05:06", dt.timedelta(days=428, seconds=14706)),
    (
        oids.INTERVAL_OID,
        b"1 year 2 mons -3 days +04:05:06.789",
        dt.timedelta(days=422, seconds=14706, microseconds=789000),
    ),
    (
        oids.INTERVAL_OID,
        b"-1 years -2 mons +3 days -04:05:06.789",
        -dt.timedelta(days=422, seconds=14706, microseconds=789000),
    ),
    (oids.INTERVAL_OID, b"-00:00:00.000001", dt.timedelta(microseconds=-1)),
    (oids.INTERVAL_OID, b"100000:00:00", dt.timedelta(hours=100000)),
    (oids.INTERVAL_OID, b"1 day", dt.timedelta(days=1)),
    (oids.INTERVAL_OID, b"-1 days +23:59:59.999999", dt.timedelta(microseconds=-1)),
    (oids.INTERVAL_OID, b"1 mon -00:00:01", dt.timedelta(days=30, seconds=-1)),
    (oids.INTERVAL_OID, b"00:00:00", dt.timedelta(0)),
    # uuid, json
    (
        oids.UUID_OID,
        b"c1b7e2a4-2b5e-4a3f-9d2f-0b1d6f2e7a11",
        UUID("c1b7e2a4-2b5e-4a3f-9d2f-0b1d6f2e7a11"),
    ),
    (oids.JSON_OID, b'{"a": [1, 2.5, null, "\\u00e9"]}', {"a": [1, 2.5, None, "é"]}),
    (oids.JSONB_OID, b'"\xc3\xa9"', "é"),
    # arrays
    (oids.INT4_ARRAY_OID, b"{{1,2},{3,NULL}}", [[1, 2], [3, None]]),
    (oids.TEXT_ARRAY_OID, b'{"a\\"b",NULL,"NULL"}', ['a"b', None, "NULL"]),
    (
        oids.TEXT_ARRAY_OID,
        b'{"a\\"b",NULL,"NULL"," x","","a\\\\b","{}","a,b",\xc3\xa9}',
        ['a"b', None, "NULL", " x", "", "a\\b", "{}", "a,b", "é"],
    ),
    (oids.TEXT_ARRAY_OID, b"{{a,b},{c,NULL}}", [["a", "b"], ["c", None]]),
    (oids.TEXT_ARRAY_OID, b'{{"a b","{"},{"}",NULL}}', [["a b", "{"], ["}", None]]),
    (oids.INT4_ARRAY_OID, b"[2:3]={1,2}", [1, 2]),
    (oids.INT4_ARRAY_OID, b"[0:1][1:1]={{1},{2}}", [[1], [2]]),
    (oids.INT4_ARRAY_OID, b"{}", []),
    (oids.INT4_ARRAY_OID, b"{{{1}},{{2}}}", [[[1]], [[2]]]),
    (oids.BYTEA_ARRAY_OID, b'{"\\\\x00","\\\\x"}', [b"\x00", b""]),
    (oids.FLOAT4_ARRAY_OID, b"{1.5,0.1,-Infinity}", [1.5, 0.1, float("-inf")]),
    (oids.BOOL_ARRAY_OID, b"{t,f,NULL}", [True, False, None]),
    (oids.NUMERIC_ARRAY_OID, b"{1.5,NaN}", [Decimal("1.5"), Decimal("NaN")]),
    (
        oids.TIMESTAMPTZ_ARRAY_OID,
        b'{"2020-01-01 05:00:00+00"}',
        [dt.datetime(2020, 1, 1, 5, tzinfo=UTC)],
    ),
    (
        oids.INTERVAL_ARRAY_OID,
        b'{"1 day",02:00:00}',
        [dt.timedelta(days=1), dt.timedelta(hours=2)],
    ),
    (oids.JSONB_ARRAY_OID, b'{"{\\"a\\": 1}",[1]}', [{"a": 1}, [1]]),
    (oids.DATE_ARRAY_OID, b"{2020-01-01,NULL}", [dt.date(2020, 1, 1), None]),
    # inet/cidr
    (oids.INET_OID, b"1.2.3.4", ipaddress.ip_address("1.2.3.4")),
    (oids.INET_OID, b"1.2.3.4/24", ipaddress.ip_interface("1.2.3.4/24")),
    (oids.INET_OID, b"2001:db8::1/64", ipaddress.ip_interface("2001:db8::1/64")),
    (oids.CIDR_OID, b"10.0.0.0/8", ipaddress.ip_network("10.0.0.0/8")),
    (
        oids.INET_ARRAY_OID,
        b"{1.2.3.4,10.0.0.0/8}",
        [ipaddress.ip_address("1.2.3.4"), ipaddress.ip_interface("10.0.0.0/8")],
    ),
    # ranges
    (oids.INT4RANGE_OID, b"[1,5)", Range(1, 5)),
    (oids.INT8RANGE_OID, b"(,6)", Range(None, 6, "()")),
    (oids.NUMRANGE_OID, b"[1.5,)", Range(Decimal("1.5"), None)),
    (oids.DATERANGE_OID, b"empty", Range(empty=True)),
    (
        oids.TSTZRANGE_OID,
        b'["2020-01-01 05:00:00+00","2020-01-02 00:00:00+00"]',
        Range(dt.datetime(2020, 1, 1, 5, tzinfo=UTC), dt.datetime(2020, 1, 2, tzinfo=UTC), "[]"),
    ),
    (oids.INT4RANGE_ARRAY_OID, b'{"[1,5)",empty}', [Range(1, 5), Range(empty=True)]),
    # element types without a loader stay str, inside arrays too
    (oids.XID_ARRAY_OID, b"{1,2}", ["1", "2"]),
    (oids.POINT_ARRAY_OID, b'{"(1,2)"}', ["(1,2)"]),
    # box[] separates elements with ';'
    (oids.BOX_ARRAY_OID, b"{(1,1),(0,0);(2,2),(1,1)}", ["(1,1),(0,0)", "(2,2),(1,1)"]),
]


def same(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, Decimal) and a.is_nan():
        return b.is_nan()
    if isinstance(a, Range):
        return a.bounds == b.bounds and same(a.lower, b.lower) and same(a.upper, b.upper)
    if isinstance(a, (dt.datetime, dt.time)) and a.tzinfo is not None:
        return a == b and a.utcoffset() == b.utcoffset()
    return bool(a == b)


@pytest.mark.parametrize("oid, data, expected", TEXT_CASES)
def test_text_parsing(oid: int, data: bytes, expected: Any) -> None:
    got = load(oid, data)
    assert same(got, expected), got


@pytest.mark.parametrize(
    "datestyle, data",
    [
        ("ISO, MDY", b"2020-03-01"),
        ("SQL, MDY", b"03/01/2020"),
        ("SQL, DMY", b"01/03/2020"),
        ("Postgres, MDY", b"03-01-2020"),
        ("Postgres, DMY", b"01-03-2020"),
        ("German, DMY", b"01.03.2020"),
    ],
)
def test_date_in_every_datestyle(datestyle: str, data: bytes) -> None:
    assert load(oids.DATE_OID, data, DateStyle=datestyle) == dt.date(2020, 3, 1)


def test_timestamptz_in_session_zone() -> None:
    got = load(oids.TIMESTAMPTZ_OID, b"2020-01-01 10:00:00+00", TimeZone="America/New_York")
    assert got.tzinfo == ZoneInfo("America/New_York")
    assert (got.hour, got.utcoffset()) == (5, dt.timedelta(hours=-5))
    binary = b"\x00\x02>\x0f\xe8\x86\xc8\x00"  # 2020-01-01 10:00:00 UTC
    got = load(oids.TIMESTAMPTZ_OID, binary, Format.BINARY, TimeZone="Asia/Kolkata")
    assert (got.hour, got.minute, got.tzinfo) == (15, 30, ZoneInfo("Asia/Kolkata"))


def test_timestamptz_just_past_python_range_in_utc() -> None:
    # 9999-12-31 20:00-05 is 10000-01-01 01:00 UTC: still fits in New York time.
    binary = b"\x03\x80\xe7\x0cg\xcf$\x00"
    got = load(oids.TIMESTAMPTZ_OID, binary, Format.BINARY, TimeZone="America/New_York")
    assert got == dt.datetime(9999, 12, 31, 20, tzinfo=ZoneInfo("America/New_York"))
    got = load(oids.TIMESTAMPTZ_OID, b"9999-12-31 20:00:00-05", TimeZone="America/New_York")
    assert got.replace(tzinfo=None) == dt.datetime(9999, 12, 31, 20)
    assert got.utcoffset() == dt.timedelta(hours=-5)


@pytest.mark.parametrize(
    "name, offset",
    [
        ("UTC", dt.timedelta(0)),
        ("Etc/UTC", dt.timedelta(0)),
        ("<+14>-14", dt.timedelta(hours=14)),
        ("<-03>+03", dt.timedelta(hours=-3)),
        ("<+05:30>-05:30", dt.timedelta(hours=5, minutes=30)),
        ("+05:30", dt.timedelta(hours=-5, minutes=-30)),
        ("UTC+5", dt.timedelta(hours=-5)),
        ("Etc/GMT+5", dt.timedelta(hours=-5)),
        ("Etc/GMT-14", dt.timedelta(hours=14)),
        ("XYZ3ABC,M3.2.0,M11.1.0", dt.timedelta(hours=-3)),
        ("Not/AZone", dt.timedelta(0)),
        ("", dt.timedelta(0)),
    ],
)
def test_timezone_names(name: str, offset: dt.timedelta) -> None:
    ctx = AdaptContext()
    ctx.update_parameter("TimeZone", name)
    assert ctx.timezone.utcoffset(dt.datetime(2020, 1, 1)) == offset


def test_timezone_iana() -> None:
    ctx = AdaptContext()
    ctx.update_parameter("TimeZone", "Europe/Rome")
    assert ctx.timezone == ZoneInfo("Europe/Rome")


# -- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "oid, data, match",
    [
        (oids.DATE_OID, b"infinity", r"too large \(after year 10K\): 'infinity'"),
        (oids.DATE_OID, b"-infinity", "too small"),
        (oids.DATE_OID, b"2020-01-01 BC", r"too small \(before year 1\)"),
        (oids.DATE_OID, b"10000-01-01", "too large"),
        (oids.TIMESTAMP_OID, b"infinity", "too large"),
        (oids.TIMESTAMP_OID, b"-infinity", "too small"),
        (oids.TIMESTAMP_OID, b"0044-03-15 00:00:00 BC", "too small"),
        (oids.TIMESTAMP_OID, b"12020-01-01 00:00:00", "too large"),
        (oids.TIMESTAMPTZ_OID, b"infinity", "too large"),
        (oids.TIMESTAMPTZ_OID, b"0001-01-01 00:00:00+00 BC", "too small"),
        (oids.TIMESTAMPTZ_OID, b"12020-01-01 00:00:00+00", "too large"),
        (oids.TIMESTAMPTZ_OID, b"2020-13-01 00:00:00+00", "can't parse timestamp"),
        (oids.TIME_OID, b"24:00:00", "can't parse time '24:00:00'"),
        (oids.TIMETZ_OID, b"24:00:00+00", "can't parse timetz '24:00:00\\+00'"),
        (oids.INTERVAL_OID, b"-178000000 years", "interval too large"),
        (oids.INTERVAL_OID, b"1 fortnight", "can't parse interval"),
        (oids.JSONB_OID, b"\x02{}", "jsonb binary format version"),
    ],
)
def test_load_errors(oid: int, data: bytes, match: str) -> None:
    fmt = Format.BINARY if data.startswith(b"\x02") else Format.TEXT
    with pytest.raises(DataError, match=match):
        load(oid, data, fmt)


@pytest.mark.parametrize(
    "oid, data, match",
    [
        (oids.DATE_OID, b"\x7f\xff\xff\xff", "too large .*'infinity'"),
        (oids.DATE_OID, b"\x80\x00\x00\x00", "too small .*'-infinity'"),
        (oids.TIMESTAMP_OID, b"\x7f\xff\xff\xff\xff\xff\xff\xff", "too large .*'infinity'"),
        (oids.TIMESTAMPTZ_OID, b"\x80\x00\x00\x00\x00\x00\x00\x00", "too small .*'-infinity'"),
        (oids.TIME_OID, b"\x00\x00\x00\x14\x1d\xd7`\x00", "hour=24"),
        (
            oids.INTERVAL_OID,
            b"\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff\xff\xff\x7f\xff\xff\xff",
            "interval",
        ),
        (oids.NUMERIC_OID, b"\x00\x00\x00\x00\x12\x34\x00\x00", "bad sign"),
    ],
)
def test_binary_load_errors(oid: int, data: bytes, match: str) -> None:
    with pytest.raises(DataError, match=match):
        load(oid, data, Format.BINARY)


def test_timestamp_with_another_datestyle_says_so() -> None:
    with pytest.raises(NotSupportedError, match="DateStyle"):
        load(oids.TIMESTAMP_OID, b"Wed Jan 01 10:00:00 2020", DateStyle="Postgres, MDY")


def test_interval_with_another_style_says_so() -> None:
    with pytest.raises(NotSupportedError, match="IntervalStyle"):
        load(oids.INTERVAL_OID, b"P1Y2M", IntervalStyle="iso_8601")


def test_unknown_oid() -> None:
    assert load(999999, b"caf\xc3\xa9") == "café"
    assert load(999999, b"\x00\x01", Format.BINARY) == b"\x00\x01"
    # Types with no loader: as psycopg, str in text.
    assert load(oids.XID_OID, b"12") == "12"


def test_client_encoding() -> None:
    assert load(oids.TEXT_OID, b"caf\xe9", client_encoding="LATIN1") == "café"
    assert load(oids.JSON_OID, b'"caf\xe9"', client_encoding="LATIN1") == "café"
    assert load(oids.TEXT_ARRAY_OID, b'{"caf\xe9"}', client_encoding="LATIN1") == ["café"]
    assert load(999999, b"caf\xe9", client_encoding="WIN1252") == "café"


@pytest.mark.parametrize(
    "oid, data",
    [
        (oids.INT4_ARRAY_OID, b"1,2"),
        (oids.TEXT_ARRAY_OID, b'"a",{b}'),
    ],
)
def test_malformed_array(oid: int, data: bytes) -> None:
    with pytest.raises(DataError, match="malformed array"):
        load(oid, data)


@pytest.mark.parametrize(
    "data, expected",
    [
        (b'["a\\"b","c""d")', Range('a"b', 'c"d')),
        (b'(" x",)', Range(" x", None, "()")),
        (b'["",a]', Range("", "a", "[]")),
        (b"[a\\,b,c)", Range("a,b", "c")),
    ],
)
def test_range_bound_quoting(data: bytes, expected: Range) -> None:
    reg = TypesRegistry(default_registry)
    reg.register_range(900001, oids.TEXT_OID)
    t = Transformer(AdaptContext(reg))
    assert t.column_loaders([900001], [Format.TEXT])[0](data) == expected
    # And back: our quoting reads back the same.
    _, _, values = t.dump_params([expected])
    assert t.column_loaders([900001], [Format.TEXT])[0](values[0] or b"") == expected


@pytest.mark.parametrize("data", [b"[1,5", b"1,5)", b"[1,5)x", b"[1,5,6)"])
def test_malformed_range(data: bytes) -> None:
    with pytest.raises(DataError, match="malformed range"):
        load(oids.INT4RANGE_OID, data)
