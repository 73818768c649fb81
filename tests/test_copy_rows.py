"""COPY FROM of Python rows: write_row()/write_rows(), the row encoder, compiled and not."""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import datetime as dt
import math
import platform
import sys
import uuid
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pgwire
from pgwire import copy as copy_module
from pgwire import errors
from pgwire.accel.selection import compiled
from pgwire.engine import copy_rows as _copy_rows
from pgwire.types import Transformer
from pgwire.types.adapt import AdaptContext

UTC = dt.timezone.utc
PLUS2 = dt.timezone(dt.timedelta(hours=2))

COLUMNS = "a int8, b text, c float8, d timestamptz, e timestamp, f bool, g numeric, h int2"
TYPES = ["int8", "text", "float8", "timestamptz", "timestamp", "bool", "numeric", "int2"]
TYPE_OIDS = [20, 25, 701, 1184, 1114, 16, 1700, 21]

ROWS: list[tuple[Any, ...]] = [
    (
        1,
        "plain",
        0.25,
        dt.datetime(2020, 1, 2, 3, 4, 5, 6, UTC),
        dt.datetime(2001, 2, 3),
        True,
        Decimal("1.5"),
        7,
    ),
    (
        -(2**62),
        "tab\there\nnew\rline \\ back",
        -0.0,
        dt.datetime(1999, 12, 31, tzinfo=PLUS2),
        dt.datetime(1, 1, 1),
        False,
        Decimal("-3"),
        -32768,
    ),
    (None, None, None, None, None, None, None, None),
    (
        2**40,
        "ünïcödé ✓ 𝄞",
        float("inf"),
        dt.datetime(2000, 1, 1, tzinfo=UTC),
        dt.datetime(9999, 12, 31, 23, 59, 59, 999999),
        True,
        Decimal("1e-20"),
        32767,
    ),
    (0, "", 1 / 3, dt.datetime(1970, 1, 1, tzinfo=UTC), None, None, None, 0),
    (5, "\\N", float("-inf"), None, dt.datetime(2020, 2, 29, 12), False, Decimal("0"), None),
]


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    if isinstance(a, float) and isinstance(b, float):
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    return bool(a == b)


def _check_table(conn: Any, rows: list[tuple[Any, ...]]) -> None:
    got = conn.execute("SELECT * FROM r ORDER BY n").fetchall()
    assert len(got) == len(rows)
    for g, want in zip(got, rows, strict=True):
        assert all(_same(x, y) for x, y in zip(g[1:], want, strict=True)), (g, want)


@pytest.fixture
def rtable(conn: Any) -> str:
    conn.autocommit = True
    conn.execute(f"CREATE TEMP TABLE r (n serial, {COLUMNS})")
    return "r"


def _statement(binary: bool) -> str:
    cols = "a, b, c, d, e, f, g, h"
    return f"COPY r ({cols}) FROM STDIN" + (" (FORMAT BINARY)" if binary else "")


@pytest.mark.parametrize("binary", [False, True], ids=["text", "binary"])
@pytest.mark.parametrize("how", ["write_row", "write_rows", "generator"])
def test_rows_round_trip(conn: Any, rtable: str, binary: bool, how: str) -> None:
    rows = ROWS * 3
    cur = conn.cursor()
    with cur.copy(_statement(binary)) as copy:
        if binary:
            copy.set_types(TYPES)
        if how == "write_row":
            for row in rows:
                copy.write_row(row)
        elif how == "write_rows":
            copy.write_rows(rows)
        else:
            copy.write_rows(row for row in rows)
    assert cur.rowcount == len(rows)
    _check_table(conn, rows)


@pytest.mark.parametrize("binary", [False, True], ids=["text", "binary"])
def test_many_rows_in_chunks(conn: Any, rtable: str, binary: bool) -> None:
    # Several chunks' worth, and a row that doesn't fit the compiled plan in the middle.
    rows = [(i, f"row {i}", i * 0.5, None, None, i % 2 == 0, None, i % 100) for i in range(20000)]
    rows[12345] = (2**62, None, None, None, None, None, Decimal(7), None)
    cur = conn.cursor()
    with cur.copy(_statement(binary)) as copy:
        if binary:
            copy.set_types(TYPES)
        copy.write_rows(rows[:10000])
        for row in rows[10000:]:
            copy.write_row(row)
    _check_table(conn, rows)


def test_rows_and_raw_data_keep_their_order(conn: Any, rtable: str) -> None:
    cur = conn.cursor()
    with cur.copy("COPY r (a, b) FROM STDIN") as copy:
        copy.write_row((1, "one"))
        copy.write("2\ttwo\n")
        copy.write_rows([(3, "three")])
    assert conn.execute("SELECT a, b FROM r ORDER BY n").fetchall() == [
        (1, "one"),
        (2, "two"),
        (3, "three"),
    ]


@pytest.mark.parametrize("binary", [False, True], ids=["text", "binary"])
def test_bad_rows_raise_before_sending_and_abort(conn: Any, rtable: str, binary: bool) -> None:
    cur = conn.cursor()
    bad_rows: list[tuple[Any, ...]] = [
        (1, "a", 1.0, None, None, None, None, None, "extra"),  # too many values
        (1, "nul\x00", 1.0, None, None, None, None, None),
        (1, "x", 1.0, None, None, None, None, 40000),  # int2 overflow
    ]
    if binary:
        bad_rows.append((1, "x", 1.0, dt.datetime(2000, 1, 1), None, None, None, None))
    for bad in bad_rows:
        with pytest.raises((errors.DataError, errors.ProgrammingError)):
            with cur.copy(_statement(binary)) as copy:
                if binary:
                    copy.set_types(TYPES)
                copy.write_rows([ROWS[0]] * 50 + [bad])
        # Nothing half-written: the COPY was aborted, the connection is fine.
        assert conn.execute("SELECT count(*) FROM r").fetchone() == (0,)


def test_binary_without_set_types_reads_the_column_types(conn: Any, rtable: str) -> None:
    cur = conn.cursor()
    with cur.copy(_statement(True)) as copy:
        copy.write_rows(ROWS)
    assert cur.rowcount == len(ROWS)
    # A statement whose target can't be read (a comment first) needs set_types().
    with pytest.raises(errors.ProgrammingError, match="set_types"):
        with cur.copy("/* rows */ " + _statement(True)) as copy:
            copy.write_row(ROWS[0])
    assert conn.execute("SELECT count(*) FROM r").fetchone() == (len(ROWS),)


def test_write_rows_consumes_an_iterator_lazily(
    conn: Any, rtable: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(copy_module, "ROWS_BATCH", 10)
    taken = 0

    def rows() -> Any:
        nonlocal taken
        for i in range(1000):
            taken += 1
            yield (i, "x" if i != 35 else "bad\x00") + (None,) * 6

    cur = conn.cursor()
    with pytest.raises(errors.DataError):
        with cur.copy(_statement(False)) as copy:
            copy.write_rows(rows())
    # The batch holding the bad row was the last one taken from the iterator.
    assert taken == 40


def test_async_write_row_and_rows(dsn: str) -> None:
    async def main() -> list[tuple[Any, ...]]:
        conn = await pgwire.AsyncConnection.connect(dsn, autocommit=True)
        try:
            await conn.execute(f"CREATE TEMP TABLE r (n serial, {COLUMNS})")
            cur = conn.cursor()
            async with cur.copy(_statement(True)) as copy:
                copy.set_types(TYPES)
                for row in ROWS:
                    await copy.write_row(row)
                await copy.write_rows(iter(ROWS))
            async with cur.copy(_statement(False)) as copy:
                await copy.write_rows(ROWS)
            return await (await conn.execute("SELECT * FROM r ORDER BY n")).fetchall()
        finally:
            await conn.close()

    got = asyncio.run(main())
    want = ROWS * 3
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert all(_same(x, y) for x, y in zip(g[1:], w, strict=True))


# --- the compiled encoder against the Python one, without a server ------------------

_values = st.one_of(
    st.none(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.integers(min_value=-40000, max_value=40000),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(2**40), 2**40).map(lambda i: i / 1024),
    st.text(),
    st.text(alphabet="ab\\\t\n\r\x00\b\f\v ").filter(lambda s: len(s) < 20),
    st.booleans(),
    st.decimals(allow_nan=False, places=3, min_value=-(10**6), max_value=10**6),
    st.datetimes(timezones=st.sampled_from([None, UTC, PLUS2])),
    st.uuids(),
)


def _encoder(binary: bool, compiled_on: bool, types: list[int]) -> _copy_rows.RowEncoder:
    """A row encoder with the compiled writer or without it, whatever PGWIRE_NO_SPEEDUPS says."""
    saved = _copy_rows.speedups
    _copy_rows.speedups = compiled() if compiled_on else None
    try:
        tx = Transformer(AdaptContext())
        return _copy_rows.RowEncoder(tx, "utf-8", binary=binary, ncolumns=len(types), types=types)
    finally:
        _copy_rows.speedups = saved


def _encode(
    rows: list[tuple[Any, ...]],
    binary: bool,
    compiled_on: bool,
    types: list[int],
    lines: bool = True,
) -> Any:
    """Each row's bytes (or exception class); ``lines=False``: every row value by value."""
    enc = _encoder(binary, compiled_on, types)
    if not lines:
        enc._lines = False
    out = []
    for row in rows:
        try:
            enc.add_row(row)
            out.append(bytes(enc.data))
        except Exception as exc:  # noqa: BLE001 - compared below
            out.append(type(exc))
    return out


@pytest.mark.skipif(compiled() is None, reason="the accelerator is not built")
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(st.tuples(_values, _values, _values), min_size=1, max_size=12),
    binary=st.booleans(),
    types=st.sampled_from(
        [[20, 25, 701], [21, 23, 20], [1184, 1114, 25], [16, 1700, 2950], [3802, 114, 25]]
    ),
)
def test_compiled_encoder_writes_what_python_writes(
    rows: list[tuple[Any, ...]], binary: bool, types: list[int]
) -> None:
    # Repeat each row so that the compiled plan gets used after it is learned.
    rows = [r for row in rows for r in (row, row)]
    assert _encode(rows, binary, True, types) == _encode(rows, binary, False, types)


# The compiled writer formats floats in repr's fixed-point range without
# repr(), and must agree with it: those a decimal of at most 15 digits names
# (0.1, 12.75, 3e-4...), those that need 16 or 17 (0.1 + 0.2, 1/3), and the
# powers of two and their neighbours, where the gap below is half the gap above.
_decimal_floats = st.builds(
    lambda m, k: m / 10**k, st.integers(-(10**17) + 1, 10**17 - 1), st.integers(0, 21)
)
_power_of_two_floats = st.builds(
    lambda e, toward: 2.0**e if toward is None else math.nextafter(2.0**e, toward),
    st.integers(-14, 50),
    st.sampled_from([None, 0.0, math.inf]),
)


@pytest.mark.skipif(compiled() is None, reason="the accelerator is not built")
@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    x=st.one_of(
        _decimal_floats,
        _power_of_two_floats,
        st.floats(min_value=1e-4, max_value=1e15),
        st.floats(allow_nan=False, allow_infinity=False),
        st.sampled_from([0.0, -0.0, 1e-4, -1e-4, 1e15, 999999999999999.9, 0.1 + 0.2]),
    )
)
def test_compiled_float_text_is_repr(x: float) -> None:
    rows = [(x,), (x,)]  # the second row goes through the learned plan
    compiled_out = _encode(rows, False, True, [701])
    assert compiled_out == _encode(rows, False, False, [701])
    line = compiled_out[-1].split(b"\n")[-2]
    assert line == repr(x).encode()


def _fesetround() -> Any:
    """libm's fesetround and x86-64's FE_UPWARD, or None where they aren't known."""
    if platform.machine() not in ("x86_64", "AMD64") or sys.platform != "linux":
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6").fesetround
    except (OSError, AttributeError):
        return None


_FE_UPWARD, _FE_TONEAREST = 0x800, 0


@pytest.mark.skipif(compiled() is None, reason="the accelerator is not built")
@pytest.mark.skipif(_fesetround() is None, reason="FE_UPWARD is known for x86-64 Linux only")
def test_compiled_float_text_is_repr_whatever_the_rounding_mode() -> None:
    """The shortcut to repr's digits holds when rounding to nearest only: else repr() is used.

    Without that check these floats come out as, say, 9.452159999999999 for
    9.45216 when the process rounds upward.
    """
    fesetround = _fesetround()
    floats = [9.45216, 0.0729634, 43639.7, -764162.5926579, 443080.065, 0.98477]
    fesetround(_FE_UPWARD)
    try:
        # The second row goes through the learned plan, in C.
        lines = [_encode([(x,), (x,)], False, True, [701])[-1] for x in floats]
    finally:
        fesetround(_FE_TONEAREST)
    assert lines == [(repr(x) + "\n").encode() * 2 for x in floats]


class _Str(str):
    """A str subclass: dumped as str, but not by the compiled plan of str."""


class _Int(int):
    """An int subclass: its text may not be what an f-string gives."""

    def __format__(self, spec: str) -> str:
        return "not a number"


_line_values = st.one_of(
    st.none(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(),
    st.text(alphabet="ab\\\t\n\r\x00\b\f\v é").filter(lambda s: len(s) < 20),
    st.sampled_from([True, _Int(3), _Str("s")]),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(st.tuples(_line_values, _line_values, _line_values), min_size=1, max_size=12),
    types=st.sampled_from([[20, 25, 701], [25, 25, 25], [3802, 114, 25]]),
)
def test_pure_python_line_encoder_writes_what_the_dumpers_write(
    rows: list[tuple[Any, ...]], types: list[int]
) -> None:
    # Rows of int, float and str go through one line encoder per row shape;
    # the rest (other types, str to escape, NUL) value by value, as before.
    rows = [r for row in rows for r in (row, row)]
    assert _encode(rows, False, False, types) == _encode(rows, False, False, types, False)


def test_pure_python_line_encoder_is_used_and_bounded() -> None:
    enc = _encoder(False, False, [20, 25, 701])
    enc.add_row((1, "a", 1.5))
    assert enc._line is not None
    calls: list[Any] = []
    real = enc._value_func

    def spy(column: int, obj: Any) -> Any:
        calls.append(obj)
        return real(column, obj)

    enc._value_func = spy  # type: ignore[method-assign]
    enc.add_row((2, None, float("nan")))
    enc.add_row((None, "b\tc", -0.0))  # escaped value by value
    assert calls == []
    assert bytes(enc.data) == b"1\ta\t1.5\n2\t\\N\tNaN\n\\N\tb\\tc\t-0.0\n"
    # Shapes changing row after row make a few encoders, then rows go value by value.
    for i in range(20):
        enc.add_row((i, 1.5, "x") if i % 2 else ("x", i, 2.5))
    assert enc._lines_made == _copy_rows._MAX_LINE_ENCODERS
    assert enc._line is None


@pytest.mark.skipif(compiled() is None, reason="the accelerator is not built")


def test_compiled_encoder_is_used() -> None:
    for binary in (False, True):
        enc = _encoder(binary, True, [23, 25, 701])
        enc.add_rows([(1, "a", 1.5)])
        assert enc._writer.plan  # learned from the first row
        calls: list[Any] = []

        def spy(row: Any, real: Any = enc._encode_row, calls: list[Any] = calls) -> bytes:
            calls.append(row)
            return real(row)  # type: ignore[no-any-return]

        enc._encode_row = spy  # type: ignore[method-assign]
        assert not enc.add_rows([(i, "b", 2.5) for i in range(100)])
        enc.add_row((7, "c", 0.5))
        assert calls == []
        # A row the plan doesn't fit goes to Python, and rows after it to C again.
        # (The plan follows the last row that didn't fit: the row after the
        # odd one re-plans too.)
        odd, back = (9, _Str("d"), 1.0), (8, "e", 1.0)
        enc.add_rows([odd, back, (10, "f", 1.0), (11, "g", 1.0)])
        assert calls == [odd, back]


def test_uuid_and_text_escapes_in_text_format() -> None:
    rows = [(uuid.UUID(int=5), "a\tb\\c\nd", None)]
    data = _encode(rows, False, False, [2950, 25, 25])[0]
    assert _encode(rows, False, True, [2950, 25, 25])[0] == data
    assert data == b"00000000000000000000000000000005\ta\\tb\\\\c\\nd\t\\N\n"


def test_control_characters_escaped_as_the_server_writes_them(conn: Any) -> None:
    # Every character 1-255 written with write_row() comes out as the server's
    # own COPY TO writes it (\b \f \v escaped too), and reads back the same.
    conn.autocommit = True
    conn.execute("SET client_encoding TO UTF8")
    conn.execute("CREATE TEMP TABLE chars (n int, c text)")
    rows = [(i, chr(i)) for i in range(1, 256)]
    for compiled_on in (False, True):
        assert _encode(rows, False, compiled_on, [23, 25])[-1] == b"".join(
            b"%d\t%s\n" % (i, {8: b"\\b", 9: b"\\t", 10: b"\\n", 11: b"\\v", 12: b"\\f",
                                13: b"\\r", 92: b"\\\\"}.get(i, chr(i).encode()))
            for i in range(1, 256)
        )
    cur = conn.cursor()
    with cur.copy("COPY chars FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    with cur.copy("COPY (SELECT * FROM chars ORDER BY n) TO STDOUT") as copy:
        server_text = b"".join(copy)
    assert server_text == _encode(rows, False, True, [23, 25])[-1]
    assert conn.execute("SELECT n, c FROM chars ORDER BY n").fetchall() == rows


@pytest.mark.parametrize("encoding", ["LATIN1", "SJIS"])
def test_text_rows_in_other_client_encodings(conn: Any, encoding: str) -> None:
    # In SJIS "ソ" is 0x83 0x5C: its second byte is a backslash, which must not
    # be escaped as one.
    text = "é\tà\\b" if encoding == "LATIN1" else "ソ表\t\\x"
    conn.autocommit = True
    conn.execute(f"SET client_encoding TO {encoding}")
    conn.execute("CREATE TEMP TABLE enc (n int, t text)")
    cur = conn.cursor()
    rows = [(i, text) for i in range(5)]
    with cur.copy("COPY enc (n, t) FROM STDIN") as copy:
        copy.write_rows(rows)
        copy.write_row((5, text))
    assert conn.execute("SELECT n, t FROM enc ORDER BY n").fetchall() == rows + [(5, text)]


def test_a_row_of_the_wrong_length_is_refused_before_it_is_sent(conn):
    cur = conn.cursor()
    cur.execute("CREATE TEMP TABLE wrong_len (id int, b text)")
    with pytest.raises(pgwire.errors.BadCopyFileFormat, match="3 values for a COPY of 1"):
        with cur.copy("COPY wrong_len (id) FROM STDIN") as copy:
            copy.write_row((1, "a", 3))
    assert cur.rowcount == -1
    conn.rollback()
    assert conn.execute("SELECT count(*) FROM pg_class").fetchone()[0] > 0


def test_async_write_row_over_many_chunks(dsn: str) -> None:
    """Row after row in asyncio: the chunks sent when full, nothing lost between them."""
    n = 60_000  # a few hundred KiB: several chunks

    async def main() -> tuple[Any, ...]:
        conn = await pgwire.AsyncConnection.connect(dsn, autocommit=True)
        try:
            await conn.execute("CREATE TEMP TABLE many (i int, t text, f float8)")
            cur = conn.cursor()
            for binary in (False, True):
                statement = "COPY many FROM STDIN" + (" (FORMAT BINARY)" if binary else "")
                async with cur.copy(statement) as copy:
                    if binary:
                        copy.set_types(["int4", "text", "float8"])
                    for i in range(n):
                        await copy.write_row((i, f"row {i}", i / 4))
            cur = await conn.execute(
                "SELECT count(*), sum(i), count(DISTINCT t), sum(f) FROM many"
            )
            return await cur.fetchone()
        finally:
            await conn.close()

    total = n * (n - 1) // 2
    assert asyncio.run(main()) == (2 * n, 2 * total, n, 2 * total / 4)
