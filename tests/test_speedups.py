"""Tests for the compiled accelerator (pgwire.accel._speedups): it must behave as the Python code.

Differential tests: the same DataRow streams (made by hypothesis from the
project's own dumpers, by hand, and corrupted at random) go through the
compiled reader and the pure-Python one; rows, ``buf.pos`` and exceptions
must be the same. Likewise for the Bind message builder. They run whether or
not the accelerator is selected (``PGWIRE_NO_SPEEDUPS``), and are skipped
when it was not built.
"""

from __future__ import annotations

import json
import math
import os
import struct
import subprocess
import sys
import uuid
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pgwire.accel.decode_plans import plan_columns
from pgwire.accel.selection import compiled
from pgwire.protocol import core
from pgwire.protocol import datarows as rows_mod
from pgwire.protocol import messages as m
from pgwire.protocol.buffer import ProtocolViolation, ReadBuffer
from pgwire.types import oids
from pgwire.types.adapt import AdaptContext, Format, Transformer
from pgwire.types.datetime import DateDumper
from pgwire.types.numeric import DecimalDumper, FloatDumper
from pgwire.types.text import BytesDumper

pytestmark = pytest.mark.skipif(compiled() is None, reason="pgwire.accel._speedups is not built")

TEXT, BINARY = Format.TEXT, Format.BINARY
HYPO = settings(deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def sp() -> ModuleType:
    """The compiled module, set up as pgwire.protocol sets it up when selected."""
    mod = compiled()
    assert mod is not None
    mod.setup_rows(rows_mod.read_data_rows_py, ProtocolViolation, plan_columns)
    mod.setup_bind(m.bind_py)
    return mod


# --- comparing outcomes -------------------------------------------------------------


def key(v: Any) -> Any:
    """What must be equal between the two implementations, stricter than ==."""
    t = type(v)
    if t is float:
        return t, struct.pack("!d", v)
    if t is datetime:
        return t, repr(v), v.fold, type(v.tzinfo), v.utcoffset()
    if t is Decimal:
        return t, str(v)
    if t is uuid.UUID:
        return t, v.int, v.is_safe
    if t in (tuple, list):
        return t, [key(x) for x in v]
    if t is dict:
        return t, [(k, key(x)) for k, x in v.items()]
    return t, v


def exc_key(e: BaseException | None) -> Any:
    return None if e is None else (type(e), e.args)


class RowList(list):  # type: ignore[type-arg]
    """A list subclass: the reader must call its append."""

    def append(self, item: Any) -> None:
        super().append(("wrapped", item))


def run(
    reader: Callable[..., None],
    data: bytes | bytearray,
    pos: int,
    loaders: list[Any],
    make_row: Any,
    rows: list[Any] | None = None,
) -> tuple[Any, int, Any]:
    buf = ReadBuffer()
    buf.data = data  # type: ignore[assignment]
    buf.pos = pos
    out = [] if rows is None else rows
    try:
        reader(buf, loaders, make_row, out)
        exc = None
    except Exception as e:
        exc = e
    return [key(r) for r in out], buf.pos, exc_key(exc)


def compare(
    sp: ModuleType,
    data: bytes | bytearray,
    pos: int,
    loaders: list[Any],
    make_row: Any = tuple,
    rows_factory: Callable[[], list[Any]] = list,
) -> tuple[Any, int, Any]:
    """Run both readers; assert the same outcome; return it."""
    mk_c = make_row() if callable(make_row) and getattr(make_row, "factory", False) else make_row
    mk_p = make_row() if callable(make_row) and getattr(make_row, "factory", False) else make_row
    expected = run(rows_mod.read_data_rows_py, data, pos, loaders, mk_p, rows_factory())
    got = run(sp.read_data_rows, data, pos, loaders, mk_c, rows_factory())
    assert got == expected
    return got


# --- building messages ---------------------------------------------------------------


def data_row(values: list[bytes | None | int]) -> bytes:
    """A DataRow; an int value is a bare (negative) length with no bytes."""
    body = struct.pack("!h", len(values))
    for v in values:
        if v is None:
            body += b"\xff\xff\xff\xff"
        elif isinstance(v, int):
            body += struct.pack("!i", v)
        else:
            body += struct.pack("!i", len(v)) + v
    return b"D" + struct.pack("!i", len(body) + 4) + body


COMMAND_COMPLETE = b"C\x00\x00\x00\x0dSELECT 1\x00"
READY = b"Z\x00\x00\x00\x05I"


def loaders_for(
    cols: Sequence[tuple[int, int]],
    tz: str = "UTC",
    encoding: str = "UTF8",
    datestyle: str = "ISO, MDY",
) -> list[Any]:
    ctx = AdaptContext()
    ctx.update_parameter("TimeZone", tz)
    ctx.update_parameter("client_encoding", encoding)
    ctx.update_parameter("DateStyle", datestyle)
    return Transformer(ctx).column_loaders([c[0] for c in cols], [c[1] for c in cols])


# --- value strategies: the bytes of one value, as the server sends them (or not) ---------

_PG_EPOCH = datetime(2000, 1, 1)
_PG_EPOCH_ORD = date(2000, 1, 1).toordinal()
_I64 = st.integers(-(2**63), 2**63 - 1)
_I32 = st.integers(-(2**31), 2**31 - 1)
_MIN_US = (datetime.min - _PG_EPOCH) // timedelta(microseconds=1)
_MAX_US = (datetime.max - _PG_EPOCH) // timedelta(microseconds=1)
_EDGE_US = st.sampled_from([_MIN_US, _MAX_US]).flatmap(
    lambda us: st.integers(us - 2 * 86400 * 10**6, us + 2 * 86400 * 10**6)
)


def junk(valid: st.SearchStrategy[bytes]) -> st.SearchStrategy[bytes]:
    """Valid values, values with a byte changed or cut, and random bytes."""

    @st.composite
    def mutate(draw: st.DrawFn) -> bytes:
        b = bytearray(draw(valid))
        if not b:
            return bytes(b)
        i = draw(st.integers(0, len(b) - 1))
        if draw(st.booleans()):
            b[i] = draw(st.sampled_from(b"0123456789-+:. TtfxXaA\\\x00\xff"))
        else:
            del b[i:]
        return bytes(b)

    return st.one_of(valid, valid, valid, mutate(), st.binary(max_size=40))


def _frac(us: int) -> str:
    return ("." + f"{us:06d}").rstrip("0") if us else ""


def pg_ts(dt: datetime) -> str:
    return (
        f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d} "
        f"{dt.hour:02d}:{dt.minute:02d}:{dt.second:02d}{_frac(dt.microsecond)}"
    )


def pg_offset(secs: int) -> str:
    sign = "-" if secs < 0 else "+"
    h, rest = divmod(abs(secs), 3600)
    mi, s = divmod(rest, 60)
    out = f"{sign}{h:02d}"
    if mi or s:
        out += f":{mi:02d}"
    if s:
        out += f":{s:02d}"
    return out


ints_text = junk(st.integers(-(2**70), 2**70).map(lambda n: b"%d" % n))
floats = st.floats(allow_nan=True, allow_infinity=True)


@st.composite
def decimal_texts(draw: st.DrawFn) -> bytes:
    """Decimals of few digits, as the server writes them and otherwise: the compiled fast path."""
    digits = str(draw(st.integers(0, 2**54)))
    point = draw(st.integers(0, len(digits)))
    text = (
        draw(st.sampled_from(["", "-", "+"]))
        + draw(st.sampled_from(["", "0", "000"]))
        + digits[:point]
        + draw(st.sampled_from([".", ""]))
        + digits[point:]
        + draw(st.sampled_from(["", "0", "00"]))
    )
    if draw(st.booleans()):
        text += draw(st.sampled_from(["e", "E"])) + draw(st.sampled_from(["", "+", "-"]))
        text += str(draw(st.integers(0, 40)))
    return text.encode()


float_text = junk(
    st.one_of(
        floats.map(lambda x: FloatDumper(float, AdaptContext()).dump(x)),
        st.sampled_from(
            [b"NaN", b"Infinity", b"-Infinity", b"1e+20", b"-0", b"1_0", b" 1", b".5", b"5.", b"."]
        ),
        floats.map(lambda x: repr(x).encode()),
        decimal_texts(),
    )
)
decimals = st.decimals(allow_nan=True, allow_infinity=True, places=None)
numeric_text = junk(decimals.map(lambda d: DecimalDumper(Decimal, AdaptContext()).dump(d)))
bool_text = junk(st.sampled_from([b"t", b"f"]))
bool_bin = st.one_of(st.sampled_from([b"\x00", b"\x01"]), st.binary(max_size=3))
texts = st.one_of(
    st.text(max_size=20).map(lambda s: s.encode("utf-8", "surrogatepass")), st.binary(max_size=20)
)
bytea_text = junk(
    st.binary(max_size=20).flatmap(
        lambda b: st.sampled_from([b"\\x" + b.hex().encode(), b"\\x" + b.hex().upper().encode()])
    )
    | st.binary(max_size=20).map(lambda b: BytesDumper(bytes, AdaptContext()).dump(b))
)
dates = st.dates()
date_text = junk(
    st.one_of(
        dates.map(lambda d: DateDumper(date, AdaptContext()).dump(d)),
        st.sampled_from([b"infinity", b"-infinity", b"0044-03-15 BC", b"10000-01-01"]),
    )
)
date_bin = st.one_of(
    dates.map(lambda d: struct.pack("!i", d.toordinal() - _PG_EPOCH_ORD)),
    _I32.map(lambda n: struct.pack("!i", n)),
    st.sampled_from([struct.pack("!i", 2**31 - 1), struct.pack("!i", -(2**31))]),
    st.binary(max_size=6),
)
naive = st.datetimes()
ts_text = junk(
    st.one_of(
        naive.map(lambda dt: pg_ts(dt).encode()),
        st.sampled_from([b"infinity", b"-infinity", b"2020-01-01 00:00:00 BC"]),
        naive.map(lambda dt: dt.isoformat().encode()),
    )
)
us_values = st.one_of(
    naive.map(lambda dt: (dt - _PG_EPOCH) // timedelta(microseconds=1)),
    _I64,
    _EDGE_US,
    st.sampled_from([2**63 - 1, -(2**63)]),
)
ts_bin = st.one_of(us_values.map(lambda n: struct.pack("!q", n)), st.binary(max_size=10))
offsets = st.one_of(
    st.integers(-15, 15).map(lambda h: h * 3600),
    st.integers(-16 * 3600 + 1, 16 * 3600 - 1),
    st.sampled_from([0, 19800, -12600, 561, 20700]),
)
tstz_text = junk(
    st.one_of(
        st.tuples(naive, offsets).map(lambda t: (pg_ts(t[0]) + pg_offset(t[1])).encode()),
        st.sampled_from(
            [
                b"infinity",
                b"-infinity",
                b"9999-12-31 23:00:00-05",
                b"0001-01-01 00:30:00+01",
                b"0001-01-01 00:30:00-01",
                b"9999-12-31 23:59:59.999999+00",
                b"2020-01-01 00:00:00+0530",
                b"2020-01-01 00:00:00Z",
            ]
        ),
    )
)
uuids = st.uuids()
uuid_text = junk(
    uuids.flatmap(
        lambda u: st.sampled_from([str(u).encode(), str(u).upper().encode(), u.hex.encode()])
    )
)
uuid_bin = st.one_of(uuids.map(lambda u: u.bytes), st.binary(max_size=20))
times = st.times()
time_text = junk(
    st.one_of(
        times.map(lambda t: t.isoformat().encode()),
        st.sampled_from([b"24:00:00", b"23:59:60", b"12:00:00.1234567", b"12:00", b"1:02:03"]),
    )
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=10,
)
json_docs = st.tuples(
    json_values,
    st.sampled_from(["", " ", "\n\t", "\r "]),
    st.sampled_from(["", " ", "\n", "x", "1"]),
    st.booleans(),  # ASCII only, as json.dumps writes, or raw text, as PostgreSQL does
    st.sampled_from([(", ", ": "), (",", ":")]),
).map(
    lambda t: (
        t[1] + json.dumps(t[0], ensure_ascii=t[3], separators=t[4]) + t[2]
    ).encode("utf-8", "surrogatepass")
)
json_text = junk(json_docs | st.sampled_from([b"", b" ", b"[1,", b"\xff\xfe", b'"\\ud800"']))
jsonb_bin = junk(json_docs.map(lambda d: b"\x01" + d) | st.sampled_from([b"", b"\x02{}", b"\x01"]))


def packed(fmt: str, lo: int, hi: int) -> st.SearchStrategy[bytes]:
    return st.one_of(st.integers(lo, hi).map(lambda n: struct.pack(fmt, n)), st.binary(max_size=9))


# (oid, format) -> what the server may send for it.
KINDS: dict[tuple[int, int], st.SearchStrategy[bytes]] = {
    (oids.INT2_OID, TEXT): ints_text,
    (oids.INT4_OID, TEXT): ints_text,
    (oids.INT8_OID, TEXT): ints_text,
    (oids.OID_OID, TEXT): ints_text,
    (oids.INT2_OID, BINARY): packed("!h", -(2**15), 2**15 - 1),
    (oids.INT4_OID, BINARY): packed("!i", -(2**31), 2**31 - 1),
    (oids.INT8_OID, BINARY): packed("!q", -(2**63), 2**63 - 1),
    (oids.OID_OID, BINARY): packed("!I", 0, 2**32 - 1),
    (oids.FLOAT4_OID, TEXT): float_text,
    (oids.FLOAT8_OID, TEXT): float_text,
    (oids.FLOAT4_OID, BINARY): st.one_of(
        st.floats(width=32).map(lambda x: struct.pack("!f", x)), st.binary(max_size=5)
    ),
    (oids.FLOAT8_OID, BINARY): st.one_of(
        floats.map(lambda x: struct.pack("!d", x)), st.binary(max_size=9)
    ),
    (oids.BOOL_OID, TEXT): bool_text,
    (oids.BOOL_OID, BINARY): bool_bin,
    (oids.TEXT_OID, TEXT): texts,
    (oids.TEXT_OID, BINARY): texts,
    (oids.VARCHAR_OID, TEXT): texts,
    (oids.NAME_OID, BINARY): texts,
    (oids.BYTEA_OID, TEXT): bytea_text,
    (oids.BYTEA_OID, BINARY): st.binary(max_size=20),
    (oids.NUMERIC_OID, TEXT): numeric_text,
    (oids.DATE_OID, TEXT): date_text,
    (oids.DATE_OID, BINARY): date_bin,
    (oids.TIMESTAMP_OID, TEXT): ts_text,
    (oids.TIMESTAMP_OID, BINARY): ts_bin,
    (oids.TIMESTAMPTZ_OID, TEXT): tstz_text,
    (oids.TIMESTAMPTZ_OID, BINARY): ts_bin,
    (oids.UUID_OID, TEXT): uuid_text,
    (oids.UUID_OID, BINARY): uuid_bin,
    (oids.TIME_OID, TEXT): time_text,
    (oids.JSON_OID, TEXT): json_text,
    (oids.JSONB_OID, TEXT): json_text,
    (oids.JSON_OID, BINARY): json_text,
    (oids.JSONB_OID, BINARY): jsonb_bin,
    # Unknown types, and one the compiled reader always hands to its loader.
    (999999, TEXT): texts,
    (999999, BINARY): st.binary(max_size=10),
    (oids.INTERVAL_OID, TEXT): junk(st.sampled_from([b"1 day 02:03:04", b"-3 mons"])),
}

TIMEZONES = [
    "UTC",
    "Europe/Paris",
    "America/New_York",
    "Asia/Kolkata",
    "Australia/Lord_Howe",
    "<+14>-14",
    "Etc/GMT+12",
]
ENCODINGS = ["UTF8", "UTF8", "LATIN1", "SQL_ASCII"]


def value_or_null(s: st.SearchStrategy[bytes]) -> st.SearchStrategy[bytes | None | int]:
    return st.one_of(s, s, s, st.none(), st.integers(-5, -2))


@st.composite
def streams(
    draw: st.DrawFn, kinds: list[tuple[int, int]] | None = None
) -> tuple[bytes, int, list[Any]]:
    """A buffer of DataRows (+ maybe another message, maybe cut), its start, the loaders."""
    cols = (
        kinds if kinds is not None else draw(st.lists(st.sampled_from(sorted(KINDS)), max_size=5))
    )
    loaders = loaders_for(cols, draw(st.sampled_from(TIMEZONES)), draw(st.sampled_from(ENCODINGS)))
    nrows = draw(st.integers(0, 5))
    data = b"".join(data_row([draw(value_or_null(KINDS[c])) for c in cols]) for _ in range(nrows))
    data += draw(st.sampled_from([b"", COMMAND_COMPLETE, READY, b"D\x00"]))
    prefix = draw(st.sampled_from([b"", b"xyz", COMMAND_COMPLETE]))
    data = prefix + data
    cut = draw(st.none() | st.integers(len(prefix), len(data)))
    if cut is not None:
        data = data[:cut]
    return data, len(prefix), loaders


# --- the row reader -----------------------------------------------------------------


def test_selection_flag_matches_env() -> None:
    want = os.environ.get("PGWIRE_NO_SPEEDUPS", "") in ("", "0")
    assert rows_mod.SPEEDUPS is want
    assert (core.read_data_rows is rows_mod.read_data_rows_py) is not want
    assert (m.bind is m.bind_py) is not want


@pytest.mark.parametrize("value, flag", [("1", "False"), ("0", "True"), ("", "True")])
def test_env_var_read_at_import(value: str, flag: str) -> None:
    env = dict(os.environ, PGWIRE_NO_SPEEDUPS=value)
    out = subprocess.run(
        [sys.executable, "-c", "import pgwire.protocol.datarows as r; print(r.SPEEDUPS)"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == flag


def test_default_loaders_get_fast_paths(sp: ModuleType) -> None:
    """Every type meant to be decoded in C is recognised (a renamed class would not be)."""
    cases = {
        (oids.INT4_OID, TEXT): sp.INT_TEXT,
        (oids.INT2_OID, BINARY): sp.INT2_BIN,
        (oids.INT4_OID, BINARY): sp.INT4_BIN,
        (oids.INT8_OID, BINARY): sp.INT8_BIN,
        (oids.OID_OID, BINARY): sp.OID_BIN,
        (oids.FLOAT8_OID, TEXT): sp.FLOAT_TEXT,
        (oids.FLOAT8_OID, BINARY): sp.FLOAT8_BIN,
        (oids.BOOL_OID, TEXT): sp.BOOL_TEXT,
        (oids.BOOL_OID, BINARY): sp.BOOL_BIN,
        (oids.TEXT_OID, TEXT): sp.UTF8,
        (oids.VARCHAR_OID, BINARY): sp.UTF8,
        (999999, TEXT): sp.UTF8,
        (999999, BINARY): sp.BYTES,
        (oids.BYTEA_OID, TEXT): sp.BYTEA_TEXT,
        (oids.BYTEA_OID, BINARY): sp.BYTES,
        (oids.NUMERIC_OID, TEXT): sp.NUMERIC_TEXT,
        (oids.DATE_OID, TEXT): sp.DATE_TEXT,
        (oids.DATE_OID, BINARY): sp.DATE_BIN,
        (oids.TIMESTAMP_OID, TEXT): sp.TS_TEXT,
        (oids.TIMESTAMP_OID, BINARY): sp.TS_BIN,
        (oids.TIMESTAMPTZ_OID, TEXT): sp.TSTZ_TEXT,
        (oids.TIMESTAMPTZ_OID, BINARY): sp.TSTZ_BIN,
        (oids.UUID_OID, TEXT): sp.UUID_TEXT,
        (oids.UUID_OID, BINARY): sp.UUID_BIN,
        (oids.TIME_OID, TEXT): sp.TIME_TEXT,
        (oids.JSON_OID, TEXT): sp.JSON_TEXT,
        (oids.JSONB_OID, TEXT): sp.JSON_TEXT,
        (oids.JSON_OID, BINARY): sp.JSON_TEXT,
        (oids.JSONB_OID, BINARY): sp.JSONB_BIN,
        (oids.FLOAT4_OID, BINARY): sp.PY,
        (oids.INTERVAL_OID, TEXT): sp.PY,
    }
    cols = list(cases)
    assert sp.plan_codes(loaders_for(cols)) == list(cases.values())
    # Not UTF-8: strings are decoded by their loader.
    latin = loaders_for([(oids.TEXT_OID, TEXT), (999999, TEXT)], encoding="LATIN1")
    assert sp.plan_codes(latin) == [sp.PY, sp.PY]


def test_declared_codes_are_compiled_ones(sp: ModuleType) -> None:
    """Each C decoder or encoder a loader or dumper class declares is one the module has."""
    from pgwire.accel import decode_plans, encode_plans

    names = {d.code_name for d in decode_plans._DECODERS.values()}
    names |= {e.code_name for e in encode_plans._ENCODINGS.values()}
    names |= {e.code_name for _, e in encode_plans._TEXT_DUMPS.values()}
    assert {"INT4_BIN", "ENC_UTF8"} <= names
    assert {name for name in names if not isinstance(getattr(sp, name, None), int)} == set()


def test_rows_of_plain_values_left_out_of_the_collector(sp: ModuleType) -> None:
    """Rows holding only numbers, text and dates are untracked; a row with a list is not."""
    import gc

    loaders = loaders_for([(23, 0), (25, 0), (1184, 0), (1007, 0)])  # int4, text, tstz, int4[]
    data = data_row([b"1", b"a", b"2020-01-01 00:00:00+00", None]) + data_row(
        [b"2", None, None, b"{1,2}"]
    )
    buf = ReadBuffer()
    buf.feed(data)
    rows: list[Any] = []
    sp.read_data_rows(buf, loaders, tuple, rows)
    assert rows[0][:2] == (1, "a") and rows[1] == (2, None, None, [1, 2])
    assert not gc.is_tracked(rows[0])
    assert gc.is_tracked(rows[1])
    # What the collector would have found itself (after a pass, the Python rows agree).
    py_rows: list[Any] = []
    buf = ReadBuffer()
    buf.feed(data)
    rows_mod.read_data_rows_py(buf, loaders, tuple, py_rows)
    gc.collect()
    assert [gc.is_tracked(r) for r in py_rows] == [False, True]


def test_a_row_holding_a_container_not_tracked_yet_stays_tracked(sp: ModuleType) -> None:
    """A JSON object of numbers is a dict the collector doesn't track yet: it may come to.

    Untracked, the row would hide a cycle made through that dict later, and
    the cycle would never be collected (CPython keeps such a tuple tracked too).
    """
    import gc
    import weakref

    loaders = loaders_for([(oids.JSONB_OID, 0)])
    buf = ReadBuffer()
    buf.feed(data_row([b'{"a": 1}']))
    rows: list[Any] = []
    sp.read_data_rows(buf, loaders, tuple, rows)
    (row,) = rows
    assert row == ({"a": 1},) and not gc.is_tracked(row[0])
    assert gc.is_tracked(row)

    class Marker:
        pass

    marker = Marker()
    ref = weakref.ref(marker)
    row[0]["cycle"] = (row, marker)
    del row, rows, marker
    gc.collect()
    assert ref() is None


def test_plan_respects_overrides(sp: ModuleType) -> None:
    """A subclass or an instance replacing load is called, not decoded in C."""
    from pgwire.types.numeric import Int4BinaryLoader

    class Mine(Int4BinaryLoader):
        pass

    ctx = AdaptContext()
    sub = Mine(oids.INT4_OID, ctx)
    inst = Int4BinaryLoader(oids.INT4_OID, ctx)
    inst.load = lambda data: "patched"  # type: ignore[method-assign,assignment,return-value]
    assert sp.plan_codes([sub.load, inst.load, lambda b: b]) == [sp.PY, sp.PY, sp.PY]
    data = data_row([b"\x00\x00\x00\x07"] * 2)
    assert compare(sp, data, 0, [sub.load, inst.load])[0] == [(tuple, [(int, 7), (str, "patched")])]


@HYPO
@given(stream=streams())
def test_streams_same_as_python(sp: ModuleType, stream: tuple[bytes, int, list[Any]]) -> None:
    data, pos, loaders = stream
    compare(sp, data, pos, loaders)


@pytest.mark.parametrize("kind", sorted(KINDS), ids=lambda k: f"{k[0]}-{k[1]}")
@settings(HYPO, max_examples=80)
@given(data=st.data())
def test_each_type_same_as_python(sp: ModuleType, kind: tuple[int, int], data: Any) -> None:
    buf, pos, loaders = data.draw(streams(kinds=[kind, kind]))
    compare(sp, buf, pos, loaders)


@settings(HYPO, max_examples=400)
@given(texts=st.lists(decimal_texts(), min_size=1, max_size=8))
def test_short_decimals_read_as_float_reads_them(sp: ModuleType, texts: list[bytes]) -> None:
    """The compiled float8 text reader's fast path gives float(text), bit for bit."""
    loaders = loaders_for([(oids.FLOAT8_OID, TEXT)])
    data = b"".join(data_row([t]) for t in texts)
    rows, _, _ = compare(sp, data, 0, loaders)
    # compare() gives each float as its IEEE bytes: the sign of a zero counts.
    assert [row[1][0] for row in rows] == [(float, struct.pack(">d", float(t))) for t in texts]


@HYPO
@given(
    stream=streams(),
    at=st.integers(0, 10**6),
    patch=st.binary(min_size=1, max_size=4),
)
@example(stream=(data_row([b"1"]), 0, loaders_for([(23, 0)])), at=1, patch=b"\x80\x00\x00\x00")
@example(stream=(data_row([b"1"]), 0, loaders_for([(23, 0)])), at=1, patch=b"\x00\x00\x00\x02")
@example(stream=(data_row([b"1"]), 0, loaders_for([(23, 0)])), at=5, patch=b"\x00\x02")
@example(stream=(data_row([b"1"]), 0, loaders_for([(23, 0)])), at=7, patch=b"\x00\x00\x00\x09")
@example(stream=(data_row([b"1"]), 0, loaders_for([(23, 0)])), at=7, patch=b"\x00\x00\x00\x00")
@example(stream=(data_row([]), 0, []), at=1, patch=b"\xff\xff\xff\xf0")
def test_corrupted_streams(
    sp: ModuleType, stream: tuple[bytes, int, list[Any]], at: int, patch: bytes
) -> None:
    """Bad lengths and counts: the same ProtocolViolation (or rows) at the same place."""
    data, pos, loaders = stream
    if len(data) > pos:
        i = pos + at % (len(data) - pos)
        data = data[:i] + patch + data[i + len(patch) :]
    compare(sp, data, pos, loaders)


def test_protocol_violations(sp: ModuleType) -> None:
    one = loaders_for([(oids.INT4_OID, TEXT)])
    good = data_row([b"7"])
    cases = [
        data_row([b"1", b"2"]),  # two columns where one was described
        good[:1] + struct.pack("!i", 9) + good[5:] + b"\x00" * 8,  # length beyond values
        good[:7] + struct.pack("!i", 50) + b"7",  # value beyond the message
        good[:1] + struct.pack("!i", -3) + good[5:],  # negative message length
    ]
    for bad in cases:
        rows, pos, exc = compare(sp, good + bad + good, 0, one)
        assert exc is not None and exc[0] is ProtocolViolation
        assert rows == [(tuple, [(int, 7)])]


def test_loader_error_leaves_pos_at_failing_row(sp: ModuleType) -> None:
    calls: list[bytes] = []

    def picky(data: bytes) -> bytes:
        calls.append(data)
        if data == b"bad":
            raise KeyError("bad value")
        return data

    # A Python loader and a fast path falling back to a loader that raises.
    loaders = [picky, *loaders_for([(oids.DATE_OID, TEXT)])]
    first = data_row([b"ok", b"2020-01-02"])
    data = first + first + data_row([b"bad", b"2020-01-02"]) + first
    rows, pos, exc = compare(sp, data, 0, loaders)
    assert len(rows) == 2 and pos == 2 * len(first) and exc is not None and exc[0] is KeyError
    data = first + data_row([b"ok", b"infinity"]) + first
    rows, pos, exc = compare(sp, data, 0, loaders)
    assert len(rows) == 1 and pos == len(first)
    assert exc is not None and exc[0].__name__ == "DataError"


class _Raising:
    """A row maker failing on its third row (a fresh one per run)."""

    factory = True

    def __new__(cls) -> Any:  # type: ignore[misc]
        count = [0]

        def make(values: list[Any]) -> Any:
            count[0] += 1
            if count[0] == 3:
                raise RuntimeError("no third row")
            return ("made", values)

        return make


MAKERS: list[Any] = [
    tuple,
    list,
    lambda v: v,
    lambda v: dict(enumerate(v)),
    lambda v: v[0] if v else None,
    _Raising,
]


@pytest.mark.parametrize("make_row", MAKERS)
@pytest.mark.parametrize("rows_factory", [list, RowList])
@settings(HYPO, max_examples=25)
@given(stream=streams())
def test_row_makers(
    sp: ModuleType,
    make_row: Any,
    rows_factory: Callable[[], list[Any]],
    stream: tuple[bytes, int, list[Any]],
) -> None:
    data, pos, loaders = stream
    compare(sp, data, pos, loaders, make_row, rows_factory)


def test_row_maker_gets_a_fresh_list(sp: ModuleType) -> None:
    got: list[Any] = []
    buf = ReadBuffer()
    buf.data = data_row([b"1"]) * 2
    sp.read_data_rows(buf, loaders_for([(oids.INT4_OID, TEXT)]), lambda v: v, got)
    assert got == [[1], [1]] and got[0] is not got[1] and type(got[0]) is list


@HYPO
@given(stream=streams())
def test_non_bytes_buffer_same_as_python(
    sp: ModuleType, stream: tuple[bytes, int, list[Any]]
) -> None:
    """A bytearray (never what ReadBuffer holds): handled by the Python code, same result."""
    data, pos, loaders = stream
    compare(sp, bytearray(data), pos, loaders)


def test_plans_follow_the_loaders(sp: ModuleType) -> None:
    """Plans are cached by loader identity: other loaders, other plan."""
    raw = struct.pack("!q", 0)
    data = data_row([raw])
    utc = loaders_for([(oids.TIMESTAMPTZ_OID, BINARY)], "UTC")
    paris = loaders_for([(oids.TIMESTAMPTZ_OID, BINARY)], "Europe/Paris")
    for _ in range(2):
        for loaders in (utc, paris, list(utc), list(paris)):
            compare(sp, data, 0, loaders)
    # The same list changed in place.
    mixed = list(utc)
    rows_a = compare(sp, data, 0, mixed)[0]
    mixed[0] = paris[0]
    rows_b = compare(sp, data, 0, mixed)[0]
    assert rows_a != rows_b
    # More result shapes than the cache holds, interleaved.
    shapes = [loaders_for([(oids.INT4_OID, TEXT)] * n) for n in range(1, 8)]
    for loaders in shapes * 2:
        n = len(loaders)
        compare(sp, data_row([b"5"] * n) * 3, 0, loaders)
    sp.clear_plans()
    compare(sp, data, 0, paris)


def test_stops_at_incomplete_and_other_messages(sp: ModuleType) -> None:
    one = loaders_for([(oids.TEXT_OID, TEXT)])
    row = data_row([b"abc"])
    for tail in (b"", row[:3], row[:-1], COMMAND_COMPLETE, b"E"):
        rows, pos, exc = compare(sp, row * 2 + tail, 0, one)
        assert len(rows) == 2 and pos == 2 * len(row) and exc is None


def test_known_values(sp: ModuleType) -> None:
    """A few values decoded in C, checked against literal expectations too."""
    cols = [
        (oids.INT8_OID, TEXT),
        (oids.FLOAT8_OID, TEXT),
        (oids.TIMESTAMPTZ_OID, TEXT),
        (oids.TIMESTAMPTZ_OID, BINARY),
        (oids.UUID_OID, BINARY),
        (oids.BOOL_OID, BINARY),
        (oids.NUMERIC_OID, TEXT),
    ]
    u = uuid.UUID("12345678-1234-5678-1234-567812345678")
    data = data_row(
        [
            b"-9223372036854775808",
            b"-Infinity",
            b"2021-03-28 00:30:00.5+00",
            struct.pack("!q", 0),
            u.bytes,
            b"\x01",
            b"1.50",
        ]
    )
    rows, _, exc = compare(sp, data, 0, loaders_for(cols, "Europe/Paris"))
    assert exc is None
    buf = ReadBuffer()
    buf.data = data
    got: list[Any] = []
    sp.read_data_rows(buf, loaders_for(cols, "Europe/Paris"), tuple, got)
    (row,) = got
    assert row[0] == -(2**63)
    assert row[1] == -math.inf
    assert row[2] == datetime(2021, 3, 28, 0, 30, 0, 500000, tzinfo=timezone.utc)
    assert str(row[2].tzinfo) == "Europe/Paris" and row[2].hour == 1
    assert row[3] == datetime(2000, 1, 1, tzinfo=timezone.utc) and row[3].hour == 1
    assert row[4] == u and row[4].is_safe is uuid.SafeUUID.unknown
    assert row[5] is True
    assert str(row[6]) == "1.50"
    assert buf.pos == len(data)


def test_known_json_and_time(sp: ModuleType) -> None:
    """json, jsonb and time decoded in C; a custom json parser is called, not bypassed."""
    from datetime import time

    from pgwire.types.json import set_json_loads

    cols = [(oids.JSONB_OID, TEXT), (oids.JSONB_OID, BINARY), (oids.TIME_OID, TEXT)]
    data = data_row([b' {"a": [1, 2.5, null]} ', b'\x01"x"', b"12:34:56.789"])
    rows, _, exc = compare(sp, data, 0, loaders_for(cols))
    assert exc is None
    buf = ReadBuffer()
    buf.data = data
    got: list[Any] = []
    sp.read_data_rows(buf, loaders_for(cols), tuple, got)
    assert got == [({"a": [1, 2.5, None]}, "x", time(12, 34, 56, 789000))]

    ctx = AdaptContext()
    set_json_loads(lambda s: ("mine", s), ctx)
    mine = Transformer(ctx).column_loaders([oids.JSONB_OID], [TEXT])
    assert sp.plan_codes(mine) == [sp.PY]
    got = []
    buf = ReadBuffer()
    buf.data = data_row([b"[1]"])
    sp.read_data_rows(buf, mine, tuple, got)
    assert got == [(("mine", b"[1]"),)]


# --- bind ---------------------------------------------------------------------------

names = st.one_of(st.just(b""), st.binary(max_size=8), st.text(max_size=5).map(str.encode))
fmt_lists = st.one_of(
    st.lists(st.sampled_from([0, 1]), max_size=6),
    st.lists(st.integers(-(2**15), 2**15 - 1), max_size=3),
    st.lists(st.integers(-(2**17), 2**17), max_size=3),
    st.lists(st.sampled_from([Format.TEXT, Format.BINARY, True]), max_size=3),
    st.lists(st.sampled_from([0, 1]), min_size=60, max_size=80),
    st.tuples(st.sampled_from([0, 1])),
)
bind_values = st.lists(
    st.one_of(st.none(), st.binary(max_size=20), st.binary(max_size=5).map(bytearray)),
    max_size=8,
)


def bind_outcome(func: Callable[..., bytes], *args: Any) -> Any:
    try:
        return func(*args)
    except Exception as e:
        return type(e), str(e)


@HYPO
@given(portal=names, stmt=names, pf=fmt_lists, values=bind_values, rf=fmt_lists)
def test_bind_same_as_python(
    sp: ModuleType, portal: bytes, stmt: bytes, pf: Any, values: Any, rf: Any
) -> None:
    args = (portal, stmt, pf, values, rf)
    assert bind_outcome(sp.bind, *args) == bind_outcome(m.bind_py, *args)


def test_bind_known_bytes(sp: ModuleType) -> None:
    got = sp.bind(b"", b"s1", [0, 1], [b"1", None], [1])
    assert got == (
        b"B\x00\x00\x00\x1d"
        + b"\x00"
        + b"s1\x00"
        + b"\x00\x02\x00\x00\x00\x01"
        + b"\x00\x02"
        + b"\x00\x00\x00\x011"
        + b"\xff\xff\xff\xff"
        + b"\x00\x01\x00\x01"
    )
    assert got == m.bind_py(b"", b"s1", [0, 1], [b"1", None], [1])
    many = [b"x"] * 40000
    assert bind_outcome(sp.bind, b"", b"", [], many, []) == bind_outcome(
        m.bind_py, b"", b"", [], many, []
    )
    with pytest.raises(TypeError):
        sp.bind(b"", b"")


# --- a real server, both paths ----------------------------------------------------------

QUERY = """
SELECT i::int2, i::int4, (i * 100000000000)::int8, i::oid, (i / 7.0)::float4,
       (i / 3.0)::float8, 'NaN'::float8, mod(i, 2) = 0, 'row ' || i || ' é€',
       ('\\x' || md5(i::text))::bytea, (i / 3.0)::numeric(20, 6), date '2000-02-28' + i,
       timestamp '1999-12-31 23:59:59.5' + i * interval '1.25 s',
       timestamptz '2021-10-31 00:30:00+00' + i * interval '17 minutes',
       md5(i::text)::uuid, NULL::int4, interval '1 day' * i, 'infinity'::float8,
       CASE WHEN i = 3 THEN NULL ELSE 'x' END
FROM generate_series(1, 40) i
"""


@pytest.mark.parametrize("binary", [False, True])
@pytest.mark.parametrize("tz", ["UTC", "Europe/London", "Asia/Kathmandu"])
def test_real_query_both_paths(
    conn: Any, monkeypatch: pytest.MonkeyPatch, sp: ModuleType, binary: bool, tz: str
) -> None:
    conn.execute(f"SET TimeZone = '{tz}'")
    monkeypatch.setattr(core, "read_data_rows", sp.read_data_rows)
    fast = conn.cursor(binary=binary).execute(QUERY).fetchall()
    monkeypatch.setattr(core, "read_data_rows", rows_mod.read_data_rows_py)
    slow = conn.cursor(binary=binary).execute(QUERY).fetchall()
    assert len(fast) == 40
    assert [key(r) for r in fast] == [key(r) for r in slow]
    assert str(fast[0][13].tzinfo) in (tz, "UTC")


def test_real_query_loader_error_both_paths(
    conn: Any, monkeypatch: pytest.MonkeyPatch, sp: ModuleType
) -> None:
    """A value Python cannot hold: the same error, and the connection stays usable."""
    sql = "SELECT d FROM (VALUES (date '2020-01-01'), ('infinity'), ('2021-01-01')) v(d)"
    outcomes = []
    for reader in (sp.read_data_rows, rows_mod.read_data_rows_py):
        monkeypatch.setattr(core, "read_data_rows", reader)
        with pytest.raises(Exception) as info:
            conn.execute(sql).fetchall()
        outcomes.append((type(info.value), str(info.value)))
        assert conn.execute("SELECT 1").fetchone() == (1,)
    assert outcomes[0] == outcomes[1]


# --- copy_chunks ----------------------------------------------------------------------


def copy_data(payload: bytes) -> bytes:
    return b"d" + struct.pack("!i", len(payload) + 4) + payload


copy_streams = st.lists(
    st.one_of(
        st.binary(max_size=30).map(copy_data),
        st.binary(min_size=200, max_size=400).map(copy_data),
        st.just(b"c\x00\x00\x00\x04"),
        st.just(b"C\x00\x00\x00\x0dCOPY 3\x00\x00"),
    ),
    max_size=12,
).map(b"".join)


@HYPO
@given(stream=copy_streams, cut=st.integers(0, 30), limit=st.sampled_from([1, 100, 500, 1 << 20]))
def test_copy_chunks_same_as_python(sp: ModuleType, stream: bytes, cut: int, limit: int) -> None:
    """COPY TO data joined in C: the bytes and buf.pos of copy_read's Python loop."""
    from pgwire.protocol import copy_ops as copy_mod

    data = stream[: max(len(stream) - cut, 0)]

    def read(fast: Any) -> tuple[Any, int]:
        proto = core.Protocol()
        proto.buf.feed(data)
        saved = copy_mod._copy_chunks, copy_mod.READ_CHUNK
        copy_mod._copy_chunks, copy_mod.READ_CHUNK = fast, limit
        try:
            gen = copy_mod.copy_read(proto, copy_mod.CopyState("out", 0))
            try:
                gen.send(None)
                return "more", proto.buf.pos
            except StopIteration as stop:
                return stop.value, proto.buf.pos
            except Exception as exc:  # noqa: BLE001 - compared
                return exc_key(exc), proto.buf.pos
        finally:
            copy_mod._copy_chunks, copy_mod.READ_CHUNK = saved

    assert read(sp.copy_chunks) == read(None)


def test_copy_writer_write_row_calls_on_full_once_a_chunk_is_held(sp):
    out = bytearray()
    fallback_rows: list[Any] = []

    def fallback(row: Any) -> None:
        fallback_rows.append(row)
        out.extend(b"%d\n" % row[0])

    writer = sp.CopyWriter(False, out, fallback, 8)
    assert writer.on_full is None and writer.idle is None
    assert writer.write_row((1,)) is None  # no callback: nothing called, nothing raised
    calls: list[int] = []

    def on_full() -> str:
        calls.append(len(out))
        return "sent"

    idle = object()
    writer.on_full = on_full
    writer.idle = idle
    assert writer.write_row((22,)) is idle
    assert calls == []  # 5 bytes held: below the chunk
    assert writer.write_row((333,)) == "sent"
    assert calls == [9] and out == b"1\n22\n333\n"
    writer.idle = None
    assert fallback_rows == [(1,), (22,), (333,)]
    with pytest.raises(TypeError, match="callable"):
        writer.on_full = 3
    writer.on_full = None
    writer.write_row((4,))
    assert calls == [9]

    def fail() -> None:
        raise OSError("full")

    writer.on_full = fail
    with pytest.raises(OSError, match="full"):
        writer.write_row((5,))
    assert out.endswith(b"5\n")  # the row went in before the callback failed


# --- DONE: the awaitable of an asyncio COPY's write_row ------------------------------


def test_done_is_awaited_at_once_without_yielding_to_the_loop() -> None:
    sp = compiled()
    if sp is None:
        pytest.skip("the accelerator was not built")
    import asyncio

    order: list[str] = []

    async def other() -> None:
        order.append("other task")

    async def main() -> list[Any]:
        task = asyncio.ensure_future(other())
        results = [await sp.DONE for _ in range(3)]
        order.append("awaited")
        await task
        results.append(await asyncio.ensure_future(sp.DONE))
        results.extend(await asyncio.gather(sp.DONE, sp.DONE))
        return results

    assert asyncio.run(main()) == [None] * 6
    # The awaits finished without giving the loop a turn: the task ran after.
    assert order == ["awaited", "other task"]
    iterator = sp.DONE.__await__()
    with pytest.raises(StopIteration) as stop:
        next(iterator)
    assert stop.value.value is None
