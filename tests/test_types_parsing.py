"""Text-format parsing of known server output, and the error cases of loading."""

from __future__ import annotations

import datetime as dt
import ipaddress
import struct
from decimal import Decimal
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
        # German writes the day first whatever the order; SQL and Postgres
        # write YMD as MDY.
        ("German, MDY", b"01.03.2020"),
        ("German, YMD", b"01.03.2020"),
        ("SQL, YMD", b"03/01/2020"),
        ("Postgres, YMD", b"03-01-2020"),
        # The year first is ISO whatever the style says.
        ("SQL, DMY", b"2020-03-01"),
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


# What the server prints for 2000-01-02 03:04:05.5 in each DateStyle (PostgreSQL 15).
STYLED_TIMESTAMPS = [
    ("ISO, MDY", b"2000-01-02 03:04:05.5"),
    ("SQL, DMY", b"02/01/2000 03:04:05.5"),
    ("SQL, MDY", b"01/02/2000 03:04:05.5"),
    ("SQL, YMD", b"01/02/2000 03:04:05.5"),
    ("German, DMY", b"02.01.2000 03:04:05.5"),
    ("German, MDY", b"02.01.2000 03:04:05.5"),
    ("Postgres, MDY", b"Sun Jan 02 03:04:05.5 2000"),
    ("Postgres, DMY", b"Sun 02 Jan 03:04:05.5 2000"),
    ("Postgres, YMD", b"Sun Jan 02 03:04:05.5 2000"),
]


@pytest.mark.parametrize("datestyle, data", STYLED_TIMESTAMPS)
def test_timestamp_in_every_datestyle(datestyle: str, data: bytes) -> None:
    expected = dt.datetime(2000, 1, 2, 3, 4, 5, 500000)
    assert load(oids.TIMESTAMP_OID, data, DateStyle=datestyle) == expected
    array = b'{"' + data + b'",NULL}'
    assert load(oids.TIMESTAMP_ARRAY_OID, array, DateStyle=datestyle) == [expected, None]
    bounds = b'["' + data + b'",)'
    assert load(oids.TSRANGE_OID, bounds, DateStyle=datestyle) == Range(expected, None)


@pytest.mark.parametrize(
    "datestyle, data, match",
    [
        ("SQL, DMY", b"15/03/0044 12:00:00 BC", r"too small \(before year 1\)"),
        ("SQL, MDY", b"01/01/10000 00:00:00", r"too large \(after year 10K\)"),
        ("German, DMY", b"31.12.294276 23:59:59.999999", "too large"),
        ("Postgres, MDY", b"Sat Jan 01 00:00:00 10000", "too large"),
        ("Postgres, DMY", b"Thu 01 Jan 00:00:00 4713 BC", "too small"),
        ("SQL, DMY", b"infinity", "too large .*'infinity'"),
        ("German, DMY", b"-infinity", "too small .*'-infinity'"),
        ("SQL, DMY", b"31/02/2000 00:00:00", "can't parse timestamp"),
        ("SQL, MDY", b"02/31/2000 00:00:00", "day is out of range"),
        ("Postgres, MDY", b"Sun Foo 02 03:04:05 2000", "unknown month"),
        ("SQL, DMY", b"02/01/2000 03:04:05 UTC", "can't parse timestamp"),
        ("SQL, DMY", b"02/01/2000", "can't parse timestamp"),
        ("German, DMY", b"02.01 03:04:05", "can't parse timestamp"),
        ("SQL, DMY", b"02/01/2000 3:4:5", "can't parse timestamp"),
    ],
)
def test_styled_timestamp_errors(datestyle: str, data: bytes, match: str) -> None:
    with pytest.raises(DataError, match=match):
        load(oids.TIMESTAMP_OID, data, DateStyle=datestyle)


@pytest.mark.parametrize(
    "datestyle, data",
    [
        ("SQL, DMY", b"01/01/2000 22:04:05.5 EST"),
        ("German, DMY", b"01.01.2000 22:04:05.5 EST"),
        ("Postgres, MDY", b"Sat Jan 01 22:04:05.5 2000 EST"),
        ("Postgres, DMY", b"Sat 01 Jan 22:04:05.5 2000 +0530"),
    ],
)
def test_timestamptz_with_another_datestyle_says_so(datestyle: str, data: bytes) -> None:
    """The zone is an abbreviation: NotSupportedError naming the setting, as psycopg refuses."""
    with pytest.raises(NotSupportedError, match="DateStyle .* set DateStyle to ISO"):
        load(oids.TIMESTAMPTZ_OID, data, DateStyle=datestyle)
    with pytest.raises(NotSupportedError, match="DateStyle"):
        load(oids.TIMESTAMPTZ_ARRAY_OID, b'{"' + data + b'"}', DateStyle=datestyle)


@pytest.mark.parametrize(
    "datestyle, data, match",
    [
        ("SQL, DMY", b"31/12/0001 19:03:58 LMT BC", "too small"),
        ("SQL, MDY", b"01/01/10000 00:00:00 EST", "too large"),
        ("Postgres, MDY", b"infinity", "too large"),
        ("German, DMY", b"-infinity", "too small"),
    ],
)
def test_timestamptz_out_of_range_in_another_datestyle(
    datestyle: str, data: bytes, match: str
) -> None:
    """Values Python cannot hold raise DataError, as in the ISO style."""
    with pytest.raises(DataError, match=match):
        load(oids.TIMESTAMPTZ_OID, data, DateStyle=datestyle)


_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTH_NAMES = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


def server_timestamp_text(v: dt.datetime, datestyle: str) -> bytes:
    """How PostgreSQL prints the timestamp `v` in `datestyle` (as its EncodeDateTime does)."""
    frac = f".{v.microsecond:06d}".rstrip("0") if v.microsecond else ""
    clock = f"{v.hour:02d}:{v.minute:02d}:{v.second:02d}{frac}"
    y, m, d = f"{v.year:04d}", f"{v.month:02d}", f"{v.day:02d}"
    style, _, order = datestyle.partition(", ")
    if style == "ISO":
        out = f"{y}-{m}-{d} {clock}"
    elif style == "SQL":
        out = f"{d}/{m}/{y} {clock}" if order == "DMY" else f"{m}/{d}/{y} {clock}"
    elif style == "German":
        out = f"{d}.{m}.{y} {clock}"
    else:
        dow, mon = _DAY_NAMES[v.weekday()], _MONTH_NAMES[v.month - 1]
        out = f"{dow} {d} {mon} {clock} {y}" if order == "DMY" else f"{dow} {mon} {d} {clock} {y}"
    return out.encode()


@settings(max_examples=300, deadline=None)
@given(
    value=st.datetimes(),
    datestyle=st.sampled_from([style for style, _ in STYLED_TIMESTAMPS]),
)
def test_styled_timestamps_read_back(value: dt.datetime, datestyle: str) -> None:
    data = server_timestamp_text(value, datestyle)
    assert load(oids.TIMESTAMP_OID, data, DateStyle=datestyle) == value
    if not datestyle.startswith("Postgres"):
        # Dates print as the date part of a timestamp (Postgres: as numbers).
        date_text = data.split(b" ")[0]
        assert load(oids.DATE_OID, date_text, DateStyle=datestyle) == value.date()


def test_server_timestamp_text_is_the_server_s() -> None:
    """The formatter of the property test above writes what the server wrote."""
    value = dt.datetime(2000, 1, 2, 3, 4, 5, 500000)
    for datestyle, data in STYLED_TIMESTAMPS:
        assert server_timestamp_text(value, datestyle) == data


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


# -- "char" -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fmt, data, expected",
    [
        # Binary: one raw byte; NUL is the empty "char".
        (Format.BINARY, b"\x00", ""),
        (Format.BINARY, b"", ""),
        (Format.BINARY, b"x", "x"),
        (Format.BINARY, b"\\", "\\"),
        (Format.BINARY, b"\x7f", "\x7f"),
        # Bytes >= 0x80: the octal escape PostgreSQL 15+ prints in text.
        (Format.BINARY, b"\xc3", "\\303"),
        (Format.BINARY, b"\x80", "\\200"),
        (Format.BINARY, b"\xff", "\\377"),
        # Text: what the server printed, and the raw byte of servers before 15.
        (Format.TEXT, b"", ""),
        (Format.TEXT, b"x", "x"),
        (Format.TEXT, b"\\303", "\\303"),
        (Format.TEXT, b"\xc3", "\\303"),
    ],
)
@pytest.mark.parametrize("encoding", ["UTF8", "LATIN1", "EUC_JP"])
def test_char(fmt: Format, data: bytes, expected: str, encoding: str) -> None:
    assert load(oids.CHAR_OID, data, fmt, client_encoding=encoding) == expected


def test_char_every_byte_reads_as_the_server_prints_it() -> None:
    for byte in range(256):
        got = load(oids.CHAR_OID, bytes([byte]), Format.BINARY)
        if byte == 0:
            assert got == ""
        elif byte < 0x80:
            assert got == chr(byte)
        else:
            assert got == "\\" + oct(byte)[2:] and len(got) == 4
        # The text the server sends for it reads the same (PostgreSQL >= 15).
        assert load(oids.CHAR_OID, got.encode()) == got


def test_char_arrays() -> None:
    # 1 dimension, no NULL, "char"; 3 items from index 1; each one byte long.
    binary_array = struct.pack("!iiIii", 1, 0, oids.CHAR_OID, 3, 1) + b"".join(
        struct.pack("!i", 1) + b for b in (b"\x00", b"\xc3", b"x")
    )
    assert load(oids.CHAR_ARRAY_OID, binary_array, Format.BINARY) == ["", "\\303", "x"]
    assert load(oids.CHAR_ARRAY_OID, b'{"","\\\\303",x}') == ["", "\\303", "x"]


def test_char_binary_of_several_bytes_is_an_error() -> None:
    with pytest.raises(DataError, match='binary "char" is one byte'):
        load(oids.CHAR_OID, b"ab", Format.BINARY)


# -- client encoding SQL_ASCII ----------------------------------------------------------------


@pytest.mark.parametrize(
    "oid, fmt, data, expected",
    [
        # Text types stay bytes, as psycopg returns them: no encoding says
        # what bytes >= 0x80 are.
        (oids.TEXT_OID, Format.TEXT, b"caf\xc3\xa9", b"caf\xc3\xa9"),
        (oids.TEXT_OID, Format.BINARY, b"caf\xe9", b"caf\xe9"),
        (oids.VARCHAR_OID, Format.TEXT, b"abc", b"abc"),
        (oids.BPCHAR_OID, Format.BINARY, b"ab  ", b"ab  "),
        (oids.NAME_OID, Format.TEXT, b"\xff", b"\xff"),
        (oids.CHAR_OID, Format.TEXT, b"x", b"x"),
        (oids.CHAR_OID, Format.TEXT, b"\\303", b"\\303"),
        (oids.CHAR_OID, Format.BINARY, b"\x00", b""),
        (oids.CHAR_OID, Format.BINARY, b"\xc3", b"\\303"),
        (999999, Format.TEXT, b"<a>\xc3\xa9</a>", b"<a>\xc3\xa9</a>"),
        (oids.XML_OID, Format.TEXT, b"<a/>", b"<a/>"),
        (oids.TEXT_ARRAY_OID, Format.TEXT, b'{"\xc3\xa9 x",NULL,b}', [b"\xc3\xa9 x", None, b"b"]),
        (oids.RECORD_OID, Format.TEXT, b'(\xc3\xa9,1,,"a b")', (b"\xc3\xa9", b"1", None, b"a b")),
        # json is read as UTF-8, as json.loads() reads bytes.
        (oids.JSON_OID, Format.TEXT, b'{"k": "\xc3\xa9"}', {"k": "é"}),
        (oids.JSONB_OID, Format.BINARY, b'\x01"\xc3\xa9"', "é"),
        (oids.JSONB_ARRAY_OID, Format.TEXT, b'{"\\"\xc3\xa9\\""}', ["é"]),
        # Types read from their (ASCII) text are unaffected.
        (oids.INT4_OID, Format.TEXT, b"42", 42),
        (oids.DATE_OID, Format.TEXT, b"2020-01-02", dt.date(2020, 1, 2)),
        (oids.NUMERIC_OID, Format.TEXT, b"1.5", Decimal("1.5")),
    ],
)
def test_sql_ascii(oid: int, fmt: Format, data: bytes, expected: Any) -> None:
    got = load(oid, data, fmt, client_encoding="SQL_ASCII")
    assert same(got, expected) if not isinstance(got, tuple) else got == expected, got


def test_sql_ascii_context_flag() -> None:
    ctx = AdaptContext()
    assert not ctx.sql_ascii
    ctx.update_parameter("client_encoding", "SQL_ASCII")
    assert ctx.sql_ascii and ctx.encoding == "ascii"
    ctx.update_parameter("client_encoding", "UTF8")
    assert not ctx.sql_ascii


def test_sql_ascii_hstore() -> None:
    """hstore keys and values are read as UTF-8, as psycopg does."""
    from pgwire.types.hstore import HstoreBinaryLoader, HstoreLoader

    ctx = AdaptContext()
    ctx.update_parameter("client_encoding", "SQL_ASCII")
    assert HstoreLoader(0, ctx).load(b'"\xc3\xa9"=>"x", "k"=>NULL') == {"é": "x", "k": None}
    binary = b"\x00\x00\x00\x01\x00\x00\x00\x02\xc3\xa9\x00\x00\x00\x01x"
    assert HstoreBinaryLoader(0, ctx).load(binary) == {"é": "x"}


# -- values the client encoding cannot decode ---------------------------------------------------

# (oid, format, value): each holds a byte EUC_JP cannot decode (0xff).
UNDECODABLE = [
    (oids.TEXT_OID, Format.TEXT, b"a\xffb"),
    (oids.TEXT_OID, Format.BINARY, b"\xff"),
    (oids.VARCHAR_OID, Format.TEXT, b"\xff"),
    (oids.NAME_OID, Format.BINARY, b"\xff"),
    (oids.BPCHAR_OID, Format.TEXT, b"\xff "),
    (oids.CHAR_OID, Format.TEXT, b"\xff\xff"),
    (999999, Format.TEXT, b"\xff"),
    (oids.XML_OID, Format.TEXT, b"<a>\xff</a>"),
    (oids.TEXT_ARRAY_OID, Format.TEXT, b"{a,\xff}"),
    (oids.JSON_OID, Format.TEXT, b'"\xff"'),
    (oids.JSONB_OID, Format.BINARY, b'\x01"\xff"'),
    (oids.RECORD_OID, Format.TEXT, b"(1,\xff)"),
]


@pytest.mark.parametrize("oid, fmt, data", UNDECODABLE)
def test_undecodable_value_raises_data_error(oid: int, fmt: Format, data: bytes) -> None:
    with pytest.raises(DataError, match=r"cannot decode a value in the client encoding \(euc_jp\)"):
        load(oid, data, fmt, client_encoding="EUC_JP")


def test_undecodable_json_in_utf8_raises_data_error() -> None:
    with pytest.raises(DataError, match="utf-8"):
        load(oids.JSONB_OID, b'{"a": "\xff"}', client_encoding="UTF8")


def test_undecodable_hstore_raises_data_error() -> None:
    from pgwire.types.hstore import HstoreBinaryLoader, HstoreLoader

    ctx = AdaptContext()
    ctx.update_parameter("client_encoding", "EUC_JP")
    with pytest.raises(DataError, match="cannot decode"):
        HstoreLoader(0, ctx).load(b'"\xff"=>"x"')
    with pytest.raises(DataError, match="cannot decode"):
        HstoreBinaryLoader(0, ctx).load(b"\x00\x00\x00\x01\x00\x00\x00\x01\xff\xff\xff\xff\xff")


@pytest.mark.parametrize("oid", [oids.INET_OID, oids.CIDR_OID])
@pytest.mark.parametrize("data", [b"\xff", b"not an address", b"1.2.3.4/99"])
def test_unparsable_inet_raises_data_error(oid: int, data: bytes) -> None:
    with pytest.raises(DataError, match="can't parse"):
        load(oid, data)


# Loaders that decode text, and the formats they are used in.
DECODING = [
    (oids.TEXT_OID, Format.TEXT),
    (oids.TEXT_OID, Format.BINARY),
    (oids.NAME_OID, Format.TEXT),
    (oids.CHAR_OID, Format.TEXT),
    (oids.CHAR_OID, Format.BINARY),
    (999999, Format.TEXT),
    (oids.TEXT_ARRAY_OID, Format.TEXT),
    (oids.RECORD_OID, Format.TEXT),
    (oids.INET_OID, Format.TEXT),
    (oids.CIDR_OID, Format.TEXT),
    (oids.DATE_OID, Format.TEXT),
    (oids.TIMESTAMP_OID, Format.TEXT),
    (oids.TIMESTAMPTZ_OID, Format.TEXT),
]


@settings(max_examples=400, deadline=None)
@given(
    kind=st.sampled_from(DECODING),
    encoding=st.sampled_from(["SQL_ASCII", "LATIN1", "WIN1251", "EUC_JP", "SJIS", "BIG5"]),
    datestyle=st.sampled_from(["ISO, MDY", "SQL, DMY", "Postgres, MDY", "German"]),
    data=st.binary(max_size=12) | st.sampled_from([b"\xff", b"\x80abc", b"\xa4", b"(\xff)"]),
)
def test_any_bytes_load_or_raise_data_error(
    kind: tuple[int, Format], encoding: str, datestyle: str, data: bytes
) -> None:
    """Whatever the bytes, a value or a pgwire error; never a bare UnicodeDecodeError."""
    oid, fmt = kind
    try:
        load(oid, data, fmt, client_encoding=encoding, DateStyle=datestyle)
    except (DataError, NotSupportedError):
        pass


@pytest.mark.parametrize(
    ("text", "want"),
    [
        (b"", {}),
        (b'"a"=>"1", "b"=>"2"', {"a": "1", "b": "2"}),
        (b'"a"  => "1" , "b"  =>  "2"', {"a": "1", "b": "2"}),
        (b' "a" => NULL ', {"a": None}),
        (b'"k\\"q"=>"v\\\\"', {'k"q': "v\\"}),
    ],
)
def test_hstore_text_with_spaces(text: bytes, want: dict[str, Any]) -> None:
    """hstore's input allows spaces around keys, values and commas: so does the loader."""
    from pgwire.types import AdaptContext
    from pgwire.types.hstore import HstoreLoader

    assert HstoreLoader(0, AdaptContext()).load(text) == want


@pytest.mark.parametrize("text", [b'"a"=>"1",', b'"a"=>', b'"a"="1"', b'"a"=>"1" "b"=>"2"'])
def test_malformed_hstore_text(text: bytes) -> None:
    from pgwire.errors import DataError
    from pgwire.types import AdaptContext
    from pgwire.types.hstore import HstoreLoader

    with pytest.raises(DataError, match="malformed hstore"):
        HstoreLoader(0, AdaptContext()).load(text)


def test_an_unknown_time_zone_is_utc_with_one_warning(caplog):
    import datetime as _dt
    import logging

    from pgwire.types._tz import resolve_timezone

    caplog.set_level(logging.WARNING, logger="pgwire")
    name = "Nowhere/Unknown_Zone_For_Tests"
    assert resolve_timezone(name) is _dt.timezone.utc
    assert resolve_timezone(name) is _dt.timezone.utc
    warned = [r for r in caplog.records if name in r.getMessage()]
    assert len(warned) == 1
    assert resolve_timezone("FOOBAR0") is _dt.timezone.utc  # POSIX: a name, offset 0
    assert resolve_timezone("<+05>-05").utcoffset(None) == _dt.timedelta(hours=5)
    assert len([r for r in caplog.records if r.name == "pgwire"]) == 1
