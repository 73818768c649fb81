# ruff: noqa: E501  (the table keeps the server's bytes on one line per value)
"""Loaders against real server output (PostgreSQL 15, TimeZone UTC, DateStyle ISO).

Each row is the text and the binary form the server sent for one value, and
the value psycopg 3's default (text) cursor returned for it. Both of our
loaders must give exactly that value, of the same type.
"""

from __future__ import annotations

import datetime
import math
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from pgwire.errors import DataError
from pgwire.types import AdaptContext, Format, Transformer

nan = float("nan")
inf = float("inf")

SERVER_OUTPUT: list[tuple[int, bytes, bytes, Any]] = [
    # 2147483647::int4
    (23, b"2147483647", b"\x7f\xff\xff\xff", 2147483647),
    # (-9223372036854775808)::int8
    (20, b"-9223372036854775808", b"\x80\x00\x00\x00\x00\x00\x00\x00", -9223372036854775808),
    # 4294967295::oid
    (26, b"4294967295", b"\xff\xff\xff\xff", 4294967295),
    # 0.1::float4
    (700, b"0.1", b"=\xcc\xcc\xcd", 0.1),
    # '-0'::float4
    (700, b"-0", b"\x80\x00\x00\x00", -0.0),
    # 1.0000001::float4
    (700, b"1.0000001", b"?\x80\x00\x01", 1.0000001),
    # 3.4028235e38::float4
    (700, b"3.4028235e+38", b"\x7f\x7f\xff\xff", 3.4028235e38),
    # 1e-45::float4
    (700, b"1e-45", b"\x00\x00\x00\x01", 1e-45),
    # 16777217::float4
    (700, b"1.6777216e+07", b"K\x80\x00\x00", 16777216.0),
    # 0.1::float8
    (701, b"0.1", b"?\xb9\x99\x99\x99\x99\x99\x9a", 0.1),
    # '-inf'::float8
    (701, b"-Infinity", b"\xff\xf0\x00\x00\x00\x00\x00\x00", -inf),
    # 'NaN'::numeric
    (1700, b"NaN", b"\x00\x00\x00\x00\xc0\x00\x00\x00", Decimal("NaN")),
    # '-Infinity'::numeric
    (1700, b"-Infinity", b"\x00\x00\x00\x00\xf0\x00\x00 ", Decimal("-Infinity")),
    # 1.500::numeric
    (1700, b"1.500", b"\x00\x02\x00\x00\x00\x00\x00\x03\x00\x01\x13\x88", Decimal("1.500")),
    # 0.000::numeric
    (1700, b"0.000", b"\x00\x00\x00\x00\x00\x00\x00\x03", Decimal("0.000")),
    # -123456789.123456789::numeric
    (
        1700,
        b"-123456789.123456789",
        b"\x00\x06\x00\x02@\x00\x00\t\x00\x01\t)\x1a\x85\x04\xd2\x16.#(",
        Decimal("-123456789.123456789"),
    ),
    # '1e-20'::numeric
    (
        1700,
        b"0.00000000000000000001",
        b"\x00\x01\xff\xfb\x00\x00\x00\x14\x00\x01",
        Decimal("1E-20"),
    ),
    # '1e20'::numeric
    (
        1700,
        b"100000000000000000000",
        b"\x00\x01\x00\x05\x00\x00\x00\x00\x00\x01",
        Decimal("100000000000000000000"),
    ),
    # 12345678901234567890123456789::numeric
    (
        1700,
        b"12345678901234567890123456789",
        b'\x00\x08\x00\x07\x00\x00\x00\x00\x00\x01\t)\x1a\x85\x00{\x11\xd7"\xc5\t)\x1a\x85',
        Decimal("12345678901234567890123456789"),
    ),
    # true
    (16, b"t", b"\x01", True),
    # 'héllo €'::text
    (25, b"h\xc3\xa9llo \xe2\x82\xac", b"h\xc3\xa9llo \xe2\x82\xac", "héllo €"),
    # 'ab'::char(5)
    (1042, b"ab   ", b"ab   ", "ab   "),
    # '\x0001ff'::bytea
    (17, b"\\x0001ff", b"\x00\x01\xff", b"\x00\x01\xff"),
    # '0001-01-01'::date
    (1082, b"0001-01-01", b"\xff\xf4\xdb\xf9", datetime.date(1, 1, 1)),
    # '2020-02-29'::date
    (1082, b"2020-02-29", b"\x00\x00\x1c\xc4", datetime.date(2020, 2, 29)),
    # '23:59:59.999999'::time
    (1083, b"23:59:59.999999", b"\x00\x00\x00\x14\x1d\xd7_\xff", datetime.time(23, 59, 59, 999999)),
    # '10:00:00.5+05:30'::timetz
    (
        1266,
        b"10:00:00.5+05:30",
        b"\x00\x00\x00\x08a\xcc\t \xff\xff\xb2\xa8",
        datetime.time(
            10, 0, 0, 500000, tzinfo=datetime.timezone(datetime.timedelta(seconds=19800))
        ),
    ),
    # '10:00:00-03:30:17'::timetz
    (
        1266,
        b"10:00:00-03:30:17",
        b"\x00\x00\x00\x08a\xc4h\x00\x00\x001I",
        datetime.time(10, 0, tzinfo=datetime.timezone(datetime.timedelta(days=-1, seconds=73783))),
    ),
    # '2020-01-01 10:00:00.5'::timestamp
    (
        1114,
        b"2020-01-01 10:00:00.5",
        b"\x00\x02>\x0f\xe8\x8ei ",
        datetime.datetime(2020, 1, 1, 10, 0, 0, 500000),
    ),
    # '0001-01-01 00:00:00'::timestamp
    (
        1114,
        b"0001-01-01 00:00:00",
        b"\xff\x1f\xe2\xff\xc5\x9c`\x00",
        datetime.datetime(1, 1, 1, 0, 0),
    ),
    # '9999-12-31 23:59:59.999999'::timestamp
    (
        1114,
        b"9999-12-31 23:59:59.999999",
        b"\x03\x80\xe7\x0b\x91;\x7f\xff",
        datetime.datetime(9999, 12, 31, 23, 59, 59, 999999),
    ),
    # '2020-01-01 10:00:00.5+05:30'::timestamptz
    (
        1184,
        b"2020-01-01 04:30:00.5+00",
        b"\x00\x02>\x0bLbc ",
        datetime.datetime(2020, 1, 1, 4, 30, 0, 500000, tzinfo=datetime.timezone.utc),
    ),
    # '1 year 2 mons -3 days +04:05:06.789'::interval
    (
        1186,
        b"1 year 2 mons -3 days +04:05:06.789",
        b"\x00\x00\x00\x03l\x97\xca\x88\xff\xff\xff\xfd\x00\x00\x00\x0e",
        datetime.timedelta(days=422, seconds=14706, microseconds=789000),
    ),
    # '-1 year -2 mons 3 days -04:05:06.789'::interval
    (
        1186,
        b"-1 years -2 mons +3 days -04:05:06.789",
        b"\xff\xff\xff\xfc\x93h5x\x00\x00\x00\x03\xff\xff\xff\xf2",
        datetime.timedelta(days=-423, seconds=71693, microseconds=211000),
    ),
    # '-00:00:00.000001'::interval
    (
        1186,
        b"-00:00:00.000001",
        b"\xff\xff\xff\xff\xff\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\x00",
        datetime.timedelta(days=-1, seconds=86399, microseconds=999999),
    ),
    # '100000 hours'::interval
    (
        1186,
        b"100000:00:00",
        b"\x00\x01Gk\x08\x1e\x80\x00\x00\x00\x00\x00\x00\x00\x00\x00",
        datetime.timedelta(days=4166, seconds=57600),
    ),
    # 'c1b7e2a4-2b5e-4a3f-9d2f-0b1d6f2e7a11'::uuid
    (
        2950,
        b"c1b7e2a4-2b5e-4a3f-9d2f-0b1d6f2e7a11",
        b"\xc1\xb7\xe2\xa4+^J?\x9d/\x0b\x1do.z\x11",
        UUID("c1b7e2a4-2b5e-4a3f-9d2f-0b1d6f2e7a11"),
    ),
    # '{"a": 1, "b": [1, 2.5, null, "x"]}'::jsonb
    (
        3802,
        b'{"a": 1, "b": [1, 2.5, null, "x"]}',
        b'\x01{"a": 1, "b": [1, 2.5, null, "x"]}',
        {"a": 1, "b": [1, 2.5, None, "x"]},
    ),
    # '{"a": 1, "b": [1, 2.5, null, "x"]}'::json
    (
        114,
        b'{"a": 1, "b": [1, 2.5, null, "x"]}',
        b'{"a": 1, "b": [1, 2.5, null, "x"]}',
        {"a": 1, "b": [1, 2.5, None, "x"]},
    ),
    # array[[1,2],[3,null]]::int4[]
    (
        1007,
        b"{{1,2},{3,NULL}}",
        b"\x00\x00\x00\x02\x00\x00\x00\x01\x00\x00\x00\x17\x00\x00\x00\x02\x00\x00\x00\x01\x00\x00\x00\x02\x00\x00\x00\x01\x00\x00\x00\x04\x00\x00\x00\x01\x00\x00\x00\x04\x00\x00\x00\x02\x00\x00\x00\x04\x00\x00\x00\x03\xff\xff\xff\xff",
        [[1, 2], [3, None]],
    ),
    # array['a"b',null,'NULL',' x','','a\b','{}', 'a,b', 'é']
    (
        1009,
        b'{"a\\"b",NULL,"NULL"," x","","a\\\\b","{}","a,b",\xc3\xa9}',
        b'\x00\x00\x00\x01\x00\x00\x00\x01\x00\x00\x00\x19\x00\x00\x00\t\x00\x00\x00\x01\x00\x00\x00\x03a"b\xff\xff\xff\xff\x00\x00\x00\x04NULL\x00\x00\x00\x02 x\x00\x00\x00\x00\x00\x00\x00\x03a\\b\x00\x00\x00\x02{}\x00\x00\x00\x03a,b\x00\x00\x00\x02\xc3\xa9',
        ['a"b', None, "NULL", " x", "", "a\\b", "{}", "a,b", "é"],
    ),
    # '[2:3]={1,2}'::int[]
    (
        1007,
        b"[2:3]={1,2}",
        b"\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x17\x00\x00\x00\x02\x00\x00\x00\x02\x00\x00\x00\x04\x00\x00\x00\x01\x00\x00\x00\x04\x00\x00\x00\x02",
        [1, 2],
    ),
    # array['\x00'::bytea, '\x'::bytea]
    (
        1001,
        b'{"\\\\x00","\\\\x"}',
        b"\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x11\x00\x00\x00\x02\x00\x00\x00\x01\x00\x00\x00\x01\x00\x00\x00\x00\x00",
        [b"\x00", b""],
    ),
    # array[1.5::float4, 0.1, 'nan', '-inf']
    (
        1021,
        b"{1.5,0.1,NaN,-Infinity}",
        b"\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x02\xbc\x00\x00\x00\x04\x00\x00\x00\x01\x00\x00\x00\x04?\xc0\x00\x00\x00\x00\x00\x04=\xcc\xcc\xcd\x00\x00\x00\x04\x7f\xc0\x00\x00\x00\x00\x00\x04\xff\x80\x00\x00",
        [1.5, 0.1, nan, -inf],
    ),
    # array[true,false,null]
    (
        1000,
        b"{t,f,NULL}",
        b"\x00\x00\x00\x01\x00\x00\x00\x01\x00\x00\x00\x10\x00\x00\x00\x03\x00\x00\x00\x01\x00\x00\x00\x01\x01\x00\x00\x00\x01\x00\xff\xff\xff\xff",
        [True, False, None],
    ),
    # array['2020-01-01 10:00:00+05'::timestamptz]
    (
        1185,
        b'{"2020-01-01 05:00:00+00"}',
        b"\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x04\xa0\x00\x00\x00\x01\x00\x00\x00\x01\x00\x00\x00\x08\x00\x02>\x0b\xb7\xa4\x94\x00",
        [datetime.datetime(2020, 1, 1, 5, 0, tzinfo=datetime.timezone.utc)],
    ),
    # array[interval '1 day', interval '2 hours']
    (
        1187,
        b'{"1 day",02:00:00}',
        b"\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x04\xa2\x00\x00\x00\x02\x00\x00\x00\x01\x00\x00\x00\x10\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x10\x00\x00\x00\x01\xad'H\x00\x00\x00\x00\x00\x00\x00\x00\x00",
        [datetime.timedelta(days=1), datetime.timedelta(seconds=7200)],
    ),
    # array['{"a":1}'::jsonb, '[1]']
    (
        3807,
        b'{"{\\"a\\": 1}",[1]}',
        b'\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x0e\xda\x00\x00\x00\x02\x00\x00\x00\x01\x00\x00\x00\t\x01{"a": 1}\x00\x00\x00\x04\x01[1]',
        [{"a": 1}, [1]],
    ),
    # '{}'::int[]
    (1007, b"{}", b"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x17", []),
    # '{{{1}},{{2}}}'::int[]
    (
        1007,
        b"{{{1}},{{2}}}",
        b"\x00\x00\x00\x03\x00\x00\x00\x00\x00\x00\x00\x17\x00\x00\x00\x02\x00\x00\x00\x01\x00\x00\x00\x01\x00\x00\x00\x01\x00\x00\x00\x01\x00\x00\x00\x01\x00\x00\x00\x04\x00\x00\x00\x01\x00\x00\x00\x04\x00\x00\x00\x02",
        [[[1]], [[2]]],
    ),
    # array[array['a','b'],array['c',null]]
    (
        1009,
        b"{{a,b},{c,NULL}}",
        b"\x00\x00\x00\x02\x00\x00\x00\x01\x00\x00\x00\x19\x00\x00\x00\x02\x00\x00\x00\x01\x00\x00\x00\x02\x00\x00\x00\x01\x00\x00\x00\x01a\x00\x00\x00\x01b\x00\x00\x00\x01c\xff\xff\xff\xff",
        [["a", "b"], ["c", None]],
    ),
    # array[1.5::numeric, 'NaN']
    (
        1231,
        b"{1.5,NaN}",
        b"\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x06\xa4\x00\x00\x00\x02\x00\x00\x00\x01\x00\x00\x00\x0c\x00\x02\x00\x00\x00\x00\x00\x01\x00\x01\x13\x88\x00\x00\x00\x08\x00\x00\x00\x00\xc0\x00\x00\x00",
        [Decimal("1.5"), Decimal("NaN")],
    ),
]


def same(a: Any, b: Any) -> bool:
    """Equal values of the same type; NaN equals NaN; aware values keep their offset."""
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, float):
        return repr(a) == repr(b)
    if isinstance(a, Decimal) and a.is_nan():
        return b.is_nan()
    if isinstance(a, Decimal):
        return str(a) == str(b)
    if isinstance(a, (datetime.datetime, datetime.time)) and a.tzinfo is not None:
        return a == b and a.utcoffset() == b.utcoffset()
    return bool(a == b)


@pytest.fixture(scope="module")
def transformer() -> Transformer:
    ctx = AdaptContext()
    ctx.update_parameter("TimeZone", "UTC")
    ctx.update_parameter("DateStyle", "ISO, MDY")
    ctx.update_parameter("IntervalStyle", "postgres")
    return Transformer(ctx)


@pytest.mark.parametrize("oid, text, binary, expected", SERVER_OUTPUT)
def test_text_loader_matches_psycopg(
    transformer: Transformer, oid: int, text: bytes, binary: bytes, expected: Any
) -> None:
    load = transformer.column_loaders([oid], [Format.TEXT])[0]
    got = load(text)
    assert same(got, expected), (got, expected)


@pytest.mark.parametrize("oid, text, binary, expected", SERVER_OUTPUT)
def test_binary_loader_matches_psycopg(
    transformer: Transformer, oid: int, text: bytes, binary: bytes, expected: Any
) -> None:
    load = transformer.column_loaders([oid], [Format.BINARY])[0]
    got = load(binary)
    assert same(got, expected), (got, expected)


OUT_OF_RANGE = [
    # (oid, text, binary, words in the message)
    (1082, b"infinity", b"\x7f\xff\xff\xff", "too large"),
    (1082, b"-infinity", b"\x80\x00\x00\x00", "too small"),
    (1114, b"infinity", b"\x7f\xff\xff\xff\xff\xff\xff\xff", "too large"),
    (1184, b"-infinity", b"\x80\x00\x00\x00\x00\x00\x00\x00", "too small"),
    # '0044-03-15 BC'::date / timestamp / timestamptz
    (1082, b"0044-03-15 BC", b"\xff\xf4\x9d{", "too small"),
    (1114, b"0044-03-15 00:00:00 BC", b"\xff\x1a\xf9\xde\xec[ \x00", "too small"),
    (1184, b"0044-03-15 00:00:00+00 BC", b"\xff\x1a\xf9\xde\xec[ \x00", "too small"),
    # '10000-01-01'::date / timestamp / '12020-01-01'::timestamptz
    (1082, b"10000-01-01", b"\x00,\x95\xd4", "too large"),
    (1114, b"10000-01-01 00:00:00", b"\x03\x80\xe7\x0b\x91;\x80\x00", "too large"),
    (1184, b"12020-01-01 00:00:00+00", b"\x04c^\xd5\xfcL\xc0\x00", "too large"),
]


@pytest.mark.parametrize("oid, text, binary, words", OUT_OF_RANGE)
def test_out_of_range_raise_data_error(
    transformer: Transformer, oid: int, text: bytes, binary: bytes, words: str
) -> None:
    for fmt, data in ((Format.TEXT, text), (Format.BINARY, binary)):
        load = transformer.column_loaders([oid], [fmt])[0]
        with pytest.raises(DataError, match=words):
            load(data)


def test_table_covers_nan() -> None:
    # Guard against the NaN rows silently comparing as "same" for any value.
    assert not same(1.0, nan)
    assert same(nan, nan) and math.isnan(nan)
