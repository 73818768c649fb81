"""Round trips dumper -> loader in text and binary format for every builtin type."""

from __future__ import annotations

import datetime as dt
import ipaddress
import math
import struct
from decimal import Decimal
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from pgwire.types import AdaptContext, Format, Json, Jsonb, Range, Transformer, oids
from pgwire.types.numeric import float4_shortest

FORMATS = [None, Format.TEXT, Format.BINARY]
ZONES = [
    dt.timezone.utc,
    dt.timezone(dt.timedelta(hours=5, minutes=30)),
    dt.timezone(dt.timedelta(hours=-3, minutes=-30, seconds=-17)),
    ZoneInfo("America/New_York"),
    ZoneInfo("Asia/Kolkata"),
    ZoneInfo("Australia/Lord_Howe"),
]
SESSION_ZONES = ["UTC", "America/New_York", "Asia/Kathmandu", "<+14>-14"]


def make_transformer(tz: str = "UTC") -> Transformer:
    ctx = AdaptContext()
    ctx.update_parameter("TimeZone", tz)
    return Transformer(ctx)


T = make_transformer()

# Where the server would type the value from context (oid 0), read it back as this.
UNKNOWN_AS: dict[type, int] = {str: oids.TEXT_OID, list: oids.TEXT_ARRAY_OID}


def roundtrip(obj: Any, fmt: Format | None, t: Transformer = T, as_oid: int = 0) -> Any:
    oids_, fmts, values = t.dump_params([obj], [fmt])
    oid = oids_[0] or as_oid or UNKNOWN_AS.get(type(obj), oids.TEXT_OID)
    value = values[0]
    assert isinstance(value, bytes)
    if fmt is not None and oids_[0]:
        assert fmts[0] == fmt
    return t.column_loaders([oid], [fmts[0]])[0](value)


def same_float(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or (
        a == b and math.copysign(1, a) == math.copysign(1, b)
    )


settings.register_profile("types", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("types")


# -- numbers ------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
@given(n=st.integers(min_value=-(2**63), max_value=2**63 - 1))
def test_int_in_int8_range(fmt: Format | None, n: int) -> None:
    got = roundtrip(n, fmt)
    assert got == n and type(got) is int


@pytest.mark.parametrize("fmt", FORMATS)
@given(n=st.integers(min_value=2**63).map(lambda x: x**2) | st.integers(max_value=-(2**63) - 1))
def test_int_beyond_int8_is_numeric(fmt: Format | None, n: int) -> None:
    oids_, _, _ = T.dump_params([n], [fmt])
    assert oids_ == [oids.NUMERIC_OID]
    assert roundtrip(n, fmt) == Decimal(n)


@pytest.mark.parametrize(
    "n, oid",
    [
        (0, oids.INT2_OID),
        (-(2**15), oids.INT2_OID),
        (2**15 - 1, oids.INT2_OID),
        (2**15, oids.INT4_OID),
        (-(2**15) - 1, oids.INT4_OID),
        (2**31 - 1, oids.INT4_OID),
        (-(2**31), oids.INT4_OID),
        (2**31, oids.INT8_OID),
        (2**63 - 1, oids.INT8_OID),
        (-(2**63), oids.INT8_OID),
        (2**63, oids.NUMERIC_OID),
    ],
)
@pytest.mark.parametrize("fmt", [Format.TEXT, Format.BINARY])
def test_int_picks_smallest_type(n: int, oid: int, fmt: Format) -> None:
    oids_, fmts, values = T.dump_params([n], [fmt])
    assert oids_ == [oid] and fmts == [fmt]
    if fmt == Format.TEXT:
        assert values == [str(n).encode()]


@pytest.mark.parametrize("fmt", FORMATS)
@given(x=st.floats(allow_nan=True, allow_infinity=True))
def test_float(fmt: Format | None, x: float) -> None:
    got = roundtrip(x, fmt)
    assert type(got) is float and same_float(got, x)


@pytest.mark.parametrize(
    "x, text",
    [(math.nan, b"NaN"), (math.inf, b"Infinity"), (-math.inf, b"-Infinity"), (-0.0, b"-0.0")],
)
def test_float_special_text(x: float, text: bytes) -> None:
    assert T.dump_params([x], [Format.TEXT]) == ([oids.FLOAT8_OID], [Format.TEXT], [text])


def _f32(bits: int) -> Decimal:
    return Decimal(struct.unpack("!f", struct.pack("!I", bits))[0])


def shortest_float4_oracle(bits: int) -> float:
    """Brute force over the p-digit decimals next to the value, with exact arithmetic.

    A candidate is valid when it lies strictly inside the half-gaps to the
    neighbouring float32 values (the server does not take exact ties); the
    fewest digits win, then the closest to the value, then the even one.
    """
    x = _f32(bits)
    mag = bits & 0x7FFFFFFF
    # The neighbours: one step towards zero and one away (none past FLT_MAX).
    neighbours = [_f32(bits - 1)] if mag else []
    if mag < 0x7F7FFFFF:
        neighbours.append(_f32(bits + 1))
    gaps_above = [n - x for n in neighbours if n > x]
    gaps_below = [x - n for n in neighbours if n < x]
    above = gaps_above[0] if gaps_above else gaps_below[0]
    below = gaps_below[0] if gaps_below else gaps_above[0]
    for p in range(1, 10):
        d0 = Decimal(format(float(x), f".{p - 1}e"))
        unit = Decimal(1).scaleb(d0.adjusted() - p + 1)
        valid = [
            c
            for c in (d0 - unit, d0, d0 + unit)
            if (c >= x and c - x < above / 2) or (c < x and x - c < below / 2)
        ]
        if valid:
            # The closest; between two as close, the even last digit (the
            # server rounds half to even: 1388616.75 prints as 1.3886168e+06).
            return float(min(valid, key=lambda c: (abs(c - x), int(c / unit) % 2)))
    raise AssertionError("no decimal of 9 digits or less")


@given(bits=st.integers(min_value=0, max_value=2**32 - 1))
# Powers of two (uneven gaps), exact ties the server rejects, subnormals, FLT_MAX.
@example(bits=0x0F800000)
@example(bits=0x6B000000)
@example(bits=0xEC800000)
@example(bits=0xCF23CAE8)
@example(bits=0x4C41D9C0)
@example(bits=0x00000001)
@example(bits=0x80000001)
@example(bits=0x007FFFFF)
@example(bits=0x7F7FFFFF)
@example(bits=0x4B800001)
@example(bits=0x3DCCCCCD)
@example(bits=0x49A98246)  # 1388616.75: two 8-digit decimals as close
def test_float4_binary_reads_shortest_repr(bits: int) -> None:
    raw = struct.pack("!I", bits)
    (x,) = struct.unpack("!f", raw)
    assume(not math.isnan(x) and not math.isinf(x) and x != 0)
    got = T.column_loaders([oids.FLOAT4_OID], [Format.BINARY])[0](raw)
    assert got == shortest_float4_oracle(bits)


@pytest.mark.parametrize(
    "x, expected",
    [(0.10000000149011612, 0.1), (1.401298464324817e-45, 1e-45), (16777216.0, 16777216.0)],
)
def test_float4_shortest_known_values(x: float, expected: float) -> None:
    assert float4_shortest(x) == expected


decimals = st.decimals(allow_nan=True, allow_infinity=True) | st.builds(
    lambda d, e: Decimal(d).scaleb(e),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.integers(min_value=-16000, max_value=16000),
)


def same_decimal(a: Decimal, b: Decimal) -> bool:
    if a.is_nan():
        return b.is_nan()
    return a == b


@pytest.mark.parametrize("fmt", FORMATS)
@given(d=decimals)
def test_decimal(fmt: Format | None, d: Decimal) -> None:
    if d.is_finite() and d:
        # The binary format holds at most 16383 decimals and 131072 digits before the point.
        exponent = d.as_tuple().exponent
        assert isinstance(exponent, int)
        assume(-exponent <= 16383 and d.adjusted() < 131072)
    got = roundtrip(d, fmt)
    assert type(got) is Decimal and same_decimal(got, d)


@pytest.mark.parametrize(
    "d, text", [("NaN", b"NaN"), ("-NaN", b"NaN"), ("sNaN", b"NaN"), ("-Infinity", b"-Infinity")]
)
def test_decimal_special_text(d: str, text: bytes) -> None:
    assert T.dump_params([Decimal(d)], [Format.TEXT])[2] == [text]


@pytest.mark.parametrize(
    "d, shown",
    [
        ("1.500", "1.500"),
        ("0.000", "0.000"),
        ("-0.01", "-0.01"),
        ("123456789.123456789000", "123456789.123456789000"),
        ("1E+20", "100000000000000000000"),
        ("-12E+3", "-12000"),
    ],
)
def test_decimal_binary_keeps_scale(d: str, shown: str) -> None:
    # The server shows as many decimals as the scale: so must the binary loader.
    assert str(roundtrip(Decimal(d), Format.BINARY)) == shown


def test_decimal_binary_out_of_range() -> None:
    from pgwire.errors import DataError

    with pytest.raises(DataError):
        T.dump_params([Decimal("1E-20000")], [Format.BINARY])
    with pytest.raises(DataError):
        T.dump_params([Decimal("1E+200000")], [Format.BINARY])


@pytest.mark.parametrize("fmt", FORMATS)
@given(b=st.booleans())
def test_bool(fmt: Format | None, b: bool) -> None:
    got = roundtrip(b, fmt)
    assert got is b


# -- strings and bytes --------------------------------------------------------------------

text_no_nul = st.text(
    alphabet=st.characters(exclude_characters="\x00", exclude_categories=["Cs"])
)


@pytest.mark.parametrize("fmt", FORMATS)
@given(s=text_no_nul)
def test_str(fmt: Format | None, s: str) -> None:
    assert roundtrip(s, fmt) == s


def test_str_oid() -> None:
    # Text with oid 0 lets '2020-01-01' go into a date column.
    assert T.dump_params(["2020-01-01"]) == ([0], [Format.TEXT], [b"2020-01-01"])
    assert T.dump_params(["x"], [Format.BINARY]) == ([oids.TEXT_OID], [Format.BINARY], [b"x"])


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("cls", [bytes, bytearray, memoryview])
@given(b=st.binary())
def test_bytes(fmt: Format | None, cls: type, b: bytes) -> None:
    got = roundtrip(cls(b), fmt)
    assert got == b and type(got) is bytes


def test_bytes_prefers_binary() -> None:
    assert T.dump_params([b"\x00"]) == ([oids.BYTEA_OID], [Format.BINARY], [b"\x00"])
    assert T.dump_params([b"\x00\xff"], [Format.TEXT])[2] == [b"\\x00ff"]


# -- dates and times ----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
@given(d=st.dates())
def test_date(fmt: Format | None, d: dt.date) -> None:
    got = roundtrip(d, fmt)
    assert got == d and type(got) is dt.date


@pytest.mark.parametrize("fmt", FORMATS)
@given(t=st.times())
def test_time(fmt: Format | None, t: dt.time) -> None:
    got = roundtrip(t, fmt)
    assert got == t and got.tzinfo is None


fixed_offsets = st.integers(min_value=-(16 * 3600 - 1), max_value=16 * 3600 - 1).map(
    lambda s: dt.timezone(dt.timedelta(seconds=s))
)


@pytest.mark.parametrize("fmt", FORMATS)
@given(t=st.times(), tz=fixed_offsets)
def test_timetz(fmt: Format | None, t: dt.time, tz: dt.tzinfo) -> None:
    t = t.replace(tzinfo=tz)
    oids_, _, _ = T.dump_params([t], [fmt])
    assert oids_ == [oids.TIMETZ_OID]
    got = roundtrip(t, fmt)
    assert got == t and got.utcoffset() == t.utcoffset()


@pytest.mark.parametrize("fmt", FORMATS)
@given(d=st.datetimes())
def test_timestamp(fmt: Format | None, d: dt.datetime) -> None:
    oids_, _, _ = T.dump_params([d], [fmt])
    assert oids_ == [oids.TIMESTAMP_OID]
    got = roundtrip(d, fmt)
    assert got == d and got.tzinfo is None


EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("session_tz", SESSION_ZONES)
@given(
    d=st.datetimes(
        min_value=dt.datetime(2, 1, 1),
        max_value=dt.datetime(9998, 12, 31),
        timezones=st.sampled_from(ZONES),
    )
)
def test_timestamptz(fmt: Format | None, session_tz: str, d: dt.datetime) -> None:
    t = make_transformer(session_tz)
    oids_, _, _ = t.dump_params([d], [fmt])
    assert oids_ == [oids.TIMESTAMPTZ_OID]
    got = roundtrip(d, fmt, t)
    # Same instant (compared as durations: gap/fold times compare unequal across zones)...
    assert got - EPOCH == d - EPOCH
    # ...in the session's time zone.
    assert got.tzinfo is t.adapt_context.timezone


@pytest.mark.parametrize("fmt", FORMATS)
@given(td=st.timedeltas())
def test_timedelta(fmt: Format | None, td: dt.timedelta) -> None:
    got = roundtrip(td, fmt)
    assert got == td and type(got) is dt.timedelta


# -- uuid, json ---------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
@given(u=st.uuids())
def test_uuid(fmt: Format | None, u: UUID) -> None:
    got = roundtrip(u, fmt)
    assert got == u and type(got) is UUID and got.version == u.version and hash(got) == hash(u)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | text_no_nul,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(text_no_nul, children, max_size=4)
    ),
    max_leaves=12,
)


@pytest.mark.parametrize("fmt", FORMATS)
@given(obj=st.dictionaries(text_no_nul, json_values, max_size=5))
def test_dict_as_jsonb(fmt: Format | None, obj: dict[str, Any]) -> None:
    oids_, _, _ = T.dump_params([obj], [fmt])
    assert oids_ == [oids.JSONB_OID]
    assert roundtrip(obj, fmt) == obj


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("wrapper, oid", [(Json, oids.JSON_OID), (Jsonb, oids.JSONB_OID)])
@given(obj=json_values)
def test_json_wrappers(fmt: Format | None, wrapper: type, oid: int, obj: Any) -> None:
    oids_, _, _ = T.dump_params([wrapper(obj)], [fmt])
    assert oids_ == [oid]
    assert roundtrip(wrapper(obj), fmt) == obj


# -- arrays -------------------------------------------------------------------------------


def nested(elements: st.SearchStrategy[Any]) -> st.SearchStrategy[list[Any]]:
    """Lists of 1 to 3 dimensions with a regular shape, elements or None."""

    @st.composite
    def build(draw: st.DrawFn) -> list[Any]:
        dims = draw(st.lists(st.integers(min_value=1, max_value=3), min_size=1, max_size=3))

        def level(depth: int) -> list[Any]:
            if depth == len(dims) - 1:
                return [draw(st.none() | elements) for _ in range(dims[depth])]
            return [level(depth + 1) for _ in range(dims[depth])]

        return level(0)

    return build()


def leaves(obj: Any) -> list[Any]:
    if isinstance(obj, list):
        return [x for item in obj for x in leaves(item)]
    return [obj]


ARRAY_ELEMENTS = {
    "int": st.integers(min_value=-(2**63), max_value=2**63 - 1),
    "bigint": st.integers(),
    "float": st.floats(allow_nan=False),
    "decimal": st.decimals(allow_nan=False, allow_infinity=True, places=5),
    "bool": st.booleans(),
    "str": text_no_nul,
    "bytes": st.binary(),
    "date": st.dates(),
    "time": st.times(),
    "datetime": st.datetimes(),
    "datetimetz": st.datetimes(
        min_value=dt.datetime(2, 1, 1),
        max_value=dt.datetime(9998, 1, 1),
        timezones=st.just(dt.timezone.utc),
    ),
    "timedelta": st.timedeltas(),
    "uuid": st.uuids(),
    "dict": st.dictionaries(text_no_nul, json_values, max_size=3),
}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("kind", list(ARRAY_ELEMENTS))
@given(data=st.data())
def test_list(fmt: Format | None, kind: str, data: st.DataObject) -> None:
    obj = data.draw(nested(ARRAY_ELEMENTS[kind]))
    items = [x for x in leaves(obj) if x is not None]
    oids_, fmts, values = T.dump_params([obj], [fmt])
    if not items:
        assert (oids_, fmts) == ([0], [Format.TEXT])
        return
    got = roundtrip(obj, fmt)
    if kind == "bigint" and any(not -(2**63) <= x < 2**63 for x in items):
        assert oids_ == [oids.NUMERIC_ARRAY_OID]
    assert got == obj
    assert [type(x) for x in leaves(got)] == [type(x) for x in leaves(obj)] or kind == "bigint"


@pytest.mark.parametrize("fmt", [Format.TEXT, Format.BINARY])
def test_list_ints_share_the_widest_size(fmt: Format) -> None:
    assert T.dump_params([[1, 2]], [fmt])[0] == [oids.INT2_ARRAY_OID]
    assert T.dump_params([[1, 2**40, None]], [fmt])[0] == [oids.INT8_ARRAY_OID]
    assert T.dump_params([[-(2**20), 1]], [fmt])[0] == [oids.INT4_ARRAY_OID]
    assert T.dump_params([[[1], [2**70]]], [fmt])[0] == [oids.NUMERIC_ARRAY_OID]


def test_list_text_literal() -> None:
    values = T.dump_params([["a b", "NULL", "", None, 'x"y\\z', "{}", "null", "é"]], [Format.TEXT])[
        2
    ]
    assert values == [b'{"a b","NULL","",NULL,"x\\"y\\\\z","{}","null",\xc3\xa9}']
    assert T.dump_params([[[1, 2], [3, None]]], [Format.TEXT])[2] == [b"{{1,2},{3,NULL}}"]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("obj", [[], [None], [None, None], [[], []]])
def test_empty_and_all_null_lists(fmt: Format | None, obj: list[Any]) -> None:
    oids_, fmts, values = T.dump_params([obj], [fmt])
    assert (oids_, fmts) == ([0], [Format.TEXT])
    assert values[0] in (b"{}", b"{NULL}", b"{NULL,NULL}")


def test_list_of_str_is_text_array() -> None:
    # Unlike a lone str (unknown), a list of str is text[] in both formats, so it
    # comes back from the server as a list.
    assert T.dump_params([["a"]])[0:2] == ([oids.TEXT_ARRAY_OID], [Format.TEXT])
    assert T.dump_params([["a"]], [Format.BINARY])[0:2] == ([oids.TEXT_ARRAY_OID], [Format.BINARY])


def test_list_auto_follows_element_preference() -> None:
    assert T.dump_params([[1]])[1] == [Format.BINARY]
    assert T.dump_params([[Decimal(1)]])[1] == [Format.TEXT]
    assert T.dump_params([[1.5]])[0] == [oids.FLOAT8_ARRAY_OID]


# -- inet/cidr, ranges --------------------------------------------------------------------

ip_addresses = st.ip_addresses()
ip_interfaces = st.ip_addresses().flatmap(
    lambda a: st.integers(min_value=0, max_value=a.max_prefixlen - 1).map(
        lambda p: ipaddress.ip_interface((a.packed, p))
    )
)
ip_networks = st.ip_addresses().flatmap(
    lambda a: st.integers(min_value=0, max_value=a.max_prefixlen).map(
        lambda p: ipaddress.ip_network((a.packed, p), strict=False)
    )
)


@pytest.mark.parametrize("fmt", FORMATS)
@given(obj=ip_addresses | ip_interfaces | ip_networks)
def test_ipaddress(fmt: Format | None, obj: Any) -> None:
    oids_, _, _ = T.dump_params([obj], [fmt])
    is_net = isinstance(obj, (ipaddress.IPv4Network, ipaddress.IPv6Network))
    assert oids_ == [oids.CIDR_OID if is_net else oids.INET_OID]
    got = roundtrip(obj, fmt)
    assert got == obj and type(got) is type(obj)


def ranges(bound: st.SearchStrategy[Any]) -> st.SearchStrategy[Range]:
    return st.one_of(
        st.just(Range(empty=True)),
        st.builds(
            lambda a, b, bounds: Range(*sorted([a, b]), bounds=bounds),  # type: ignore[misc]
            bound,
            bound,
            st.sampled_from(["[)", "(]", "()", "[]"]),
        ),
        st.builds(lambda a: Range(a, None), bound),
        st.builds(lambda a: Range(None, a, "(]"), bound),
    )


RANGE_BOUNDS = {
    oids.NUMRANGE_OID: st.decimals(allow_nan=False, allow_infinity=False, places=4),
    oids.DATERANGE_OID: st.dates(),
    oids.TSRANGE_OID: st.datetimes(),
    oids.TSTZRANGE_OID: st.datetimes(
        min_value=dt.datetime(2, 1, 1),
        max_value=dt.datetime(9998, 1, 1),
        timezones=st.just(dt.timezone.utc),
    ),
    oids.INT8RANGE_OID: st.integers(min_value=-(2**63), max_value=2**63 - 1),
}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("range_oid", list(RANGE_BOUNDS))
@given(data=st.data())
def test_range(fmt: Format | None, range_oid: int, data: st.DataObject) -> None:
    r = data.draw(ranges(RANGE_BOUNDS[range_oid]))
    oids_, fmts, _ = T.dump_params([r], [fmt])
    if range_oid == oids.INT8RANGE_OID or r.isempty:
        # ints (and bound-less ranges) go as text for the server to type.
        assert (oids_, fmts) == ([0], [Format.TEXT])
    else:
        assert oids_ == [range_oid]
    got = roundtrip(r, fmt, as_oid=range_oid)
    assert got == r and type(got) is Range


def test_range_object() -> None:
    r = Range(1, 5)
    assert (r.lower, r.upper, r.bounds, r.isempty) == (1, 5, "[)", False)
    assert (r.lower_inc, r.upper_inc, r.lower_inf, r.upper_inf) == (True, False, False, False)
    assert 1 in r and 4 in r and 5 not in r and 0 not in r
    assert repr(r) == "Range(1, 5, '[)')" and str(r) == "[1, 5)"
    e = Range(empty=True)
    assert e.isempty and not e and 1 not in e and str(e) == "empty"
    assert not e.lower_inf and not e.upper_inf
    u = Range(None, 3, "[]")
    assert u.bounds == "(]" and u.lower_inf and not u.lower_inc and 3 in u and -(10**9) in u
    assert Range(1, 5) == Range(1, 5) != Range(1, 5, "[]")
    assert hash(Range(1, 5)) == hash(Range(1, 5))
    assert sorted([Range(2, 3), Range(empty=True), Range(None, 1), Range(1, 2)]) == [
        Range(empty=True),
        Range(None, 1),
        Range(1, 2),
        Range(2, 3),
    ]
    with pytest.raises(ValueError):
        Range(1, 2, "<>")
    import pickle

    assert pickle.loads(pickle.dumps(Range(1, 2, "[]"))) == Range(1, 2, "[]")
