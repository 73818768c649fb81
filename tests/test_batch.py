"""executemany's messages: the compiled encoder must give the Python code's bytes.

``encode_batches`` runs with the accelerator's ``bind_many`` and without it on
the same parameter sets (drawn by hypothesis across types, sizes, NULLs and
time zones, including values the compiled side must hand back to Python);
the statement, the bytes, or the exception must be the same. The answers'
side (``count_commands``) is compared with the Python message loop, and both
run against a real server.
"""

from __future__ import annotations

import contextlib
import enum
import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from types import ModuleType, SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pgwire import errors
from pgwire.accel import selection
from pgwire.accel.selection import compiled
from pgwire.engine import batch as _batch
from pgwire.protocol import core
from pgwire.protocol import messages as m
from pgwire.protocol.buffer import ReadBuffer
from pgwire.types.adapt import AdaptContext, Transformer

HYPO = settings(deadline=None, max_examples=200, suppress_health_check=[HealthCheck.too_slow])

needs_compiled = pytest.mark.skipif(
    compiled() is None, reason="pgwire.accel._speedups is not built"
)


class Color(enum.IntEnum):
    RED = 1


ZONES = [timezone.utc, timezone(timedelta(hours=-3, minutes=-30)), ZoneInfo("Europe/Paris")]

ints = st.one_of(
    st.integers(-(2**15), 2**15 - 1),
    st.integers(-(2**31), 2**31 - 1),
    st.integers(-(2**63), 2**63 - 1),
    st.integers(-(2**70), 2**70),
    st.sampled_from([2**15 - 1, 2**15, -(2**15) - 1, 2**31, -(2**31) - 1, 2**63, -(2**63) - 1]),
)
naive = st.datetimes()
aware = st.builds(
    lambda d, z, fold: d.replace(tzinfo=z, fold=fold),
    st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 30)),
    st.sampled_from(ZONES),
    st.integers(0, 1),
)
scalars = st.one_of(
    st.none(),
    ints,
    st.booleans(),
    st.floats(),
    st.text(max_size=10),
    st.sampled_from(["a\x00b", "\ud800", "é"]),
    naive,
    aware,
    st.decimals(allow_nan=True, places=3),
    st.binary(max_size=5),
    st.dates(),
    st.uuids(),
    st.just(Color.RED),
    st.lists(st.integers(-5, 40000), max_size=3),
)


@st.composite
def row_sets(draw: st.DrawFn) -> list[Any]:
    """Rows of one width, mostly shaped alike (so runs form), sometimes not."""
    width = draw(st.integers(0, 4))
    kinds = [
        draw(st.sampled_from([ints, st.floats(), st.text(max_size=6), aware, naive, scalars]))
        for _ in range(width)
    ]
    uniform = st.tuples(*kinds)
    row = st.one_of(uniform, uniform, uniform, st.tuples(*[scalars] * width))
    rows = draw(st.lists(row, max_size=12))
    out: list[Any] = []
    for r in rows:
        shape = draw(st.sampled_from(["tuple", "tuple", "list", "short"]))
        if shape == "list":
            out.append(list(r))
        elif shape == "short":
            out.append(r[:-1] if r else (1,))
        else:
            out.append(r)
    return out


@contextlib.contextmanager
def using(sp: Any) -> Iterator[None]:
    """Select the compiled encoder (or None: Python only), whatever PGWIRE_NO_SPEEDUPS says."""
    saved = _batch.speedups, selection.speedups
    _batch.speedups = sp
    selection.speedups = compiled() if sp is not None else None
    try:
        yield
    finally:
        _batch.speedups, selection.speedups = saved


def outcome(sp: ModuleType | None, query: Any, rows: Any, describe: bool = False) -> Any:
    """encode_batches' result (joined) or its exception, with or without the compiled encoder."""
    with using(sp):
        try:
            tx = Transformer(AdaptContext())
            sql, batches = _batch.encode_batches(tx, query, rows, "utf-8", [], describe)
            return sql, b"".join(batches), len(batches)
        except Exception as exc:  # noqa: BLE001 - compared below
            return type(exc), str(exc)


def same(query: Any, rows: Any, describe: bool = False) -> Any:
    sp = compiled()
    fast = outcome(sp, query, rows, describe)
    slow = outcome(None, query, rows, describe)
    # The number of batches differs (runs are joined); the bytes may not.
    assert fast[:2] == slow[:2]
    return fast


def marks(width: int) -> str:
    return ", ".join(["%s"] * width)


@needs_compiled
@HYPO
@given(rows=row_sets(), describe=st.booleans())
def test_same_bytes_as_python(rows: list[Any], describe: bool) -> None:
    width = len(rows[0]) if rows else 0
    same(f"INSERT INTO t VALUES ({marks(width)})", rows, describe)


@needs_compiled
def test_runs_are_encoded_in_c() -> None:
    """A uniform batch takes the compiled path: one call for everything after the first row."""
    sp = compiled()
    calls: list[tuple[int, int]] = []

    def spy(rows: list[Any], start: int, *args: Any) -> Any:
        data, stop = sp.bind_many(rows, start, *args)
        calls.append((start, stop))
        return data, stop

    rows = [(i, f"r{i}", i / 4, datetime(2020, 1, 1, tzinfo=timezone.utc)) for i in range(1, 1000)]
    with using(SimpleNamespace(bind_many=spy)):
        tx = Transformer(AdaptContext())
        _sql, batches = _batch.encode_batches(
            tx, "INSERT INTO t VALUES (%s, %s, %s, %s)", rows, "utf-8", [], False
        )
    assert calls == [(1, 999)]
    assert len(batches) == 3  # Parse, the first Bind + Execute, the rest
    assert same("INSERT INTO t VALUES (%s, %s, %s, %s)", rows)


@needs_compiled
def test_messages_larger_than_the_first_buffer() -> None:
    """A Bind starts in a small buffer of the encoder's own, then moves to one that grows."""
    q = "INSERT INTO t VALUES (%s, %s)"
    assert same(q, [(1, "x" * 400), (2, "y" * 600)])
    assert same(q, [(1, "z" * 100_000), (2, "a")])
    assert same(q, [(i, "w" * (i * 37)) for i in range(300)])


@needs_compiled
def test_stops_where_python_must_decide() -> None:
    """A wider int, a None, an unknown type, a NUL: each row is handed back, bytes unchanged."""
    q = "INSERT INTO t VALUES (%s, %s)"
    same(q, [(1, "a"), (2, "b"), (40000, "c"), (3, "d"), (None, "e"), (4, None)])
    same(q, [(1, "a"), (2, "a\x00")])
    same(q, [(1, "a"), (2, "\udc00")])
    same(q, [(1, "a"), (Color.RED, "b"), (True, "c"), (1.5, "d")])
    same(q, [(1, "a"), [2, "b"], (3,), {"x": 1}])
    same("INSERT INTO t VALUES (%(a)s, %(b)s)", [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}])
    naive_then_aware = [
        (1, datetime(2020, 1, 1)),
        (2, datetime(2020, 1, 1, tzinfo=timezone.utc)),
        (3, datetime(2021, 3, 28, 2, 30, tzinfo=ZoneInfo("Europe/Paris"))),
        (4, datetime(2020, 1, 1)),
    ]
    same(q, naive_then_aware)
    same(q, [(1, Decimal("1.5")), (2, Decimal("NaN")), (3, date(2020, 1, 1)), (4, uuid.uuid4())])


@needs_compiled
def test_rows_changed_by_a_dumper() -> None:
    """A dumper emptying the caller's list mid-run changes nothing: every row is sent."""
    from pgwire.types.adapt import Dumper

    rows: list[Any] = []

    class Evil:
        pass

    class EvilDumper(Dumper):
        oid = 25

        def dump(self, obj: Any) -> bytes:
            rows.clear()
            return b"evil"

    ctx = AdaptContext()
    tx = Transformer(ctx)
    tx.registry.register_dumper(Evil, EvilDumper)
    rows.extend([(Evil(),), (Evil(),), (Evil(),)])
    sql, batches = _batch.encode_batches(tx, "SELECT %s", rows, "utf-8", [], False)
    assert sql == b"SELECT $1" and b"".join(batches).count(b"evil") == 3


# --- answers -----------------------------------------------------------------------------


def answers(tags: list[bytes]) -> bytes:
    out = b""
    for tag in tags:
        out += b"2\x00\x00\x00\x04" + m._header.pack(b"C", len(tag) + 5) + tag + b"\x00"
    return out + b"Z\x00\x00\x00\x05I"


TAGS = st.lists(
    st.sampled_from(
        [
            b"INSERT 0 1",
            b"INSERT 0 7",
            b"UPDATE 3",
            b"DELETE 0",
            b"SELECT 12",
            b"CREATE TABLE",
            b"MERGE 2",
            b"COPY 99999999999999999999",
            b"INSERT 0 ",
            b"UPDATE x",
            b"FETCH 5",
            b"MOVE 1",
            b"INSERT 0 123456789012345678901",
        ]
    ),
    max_size=30,
)


def run_results(data: bytes, count_only: bool, counter: Any) -> Any:
    proto = core.Protocol()
    proto.pending_ready = 1
    proto.buf.feed(data)
    saved = core._count_commands
    core._count_commands = counter
    try:
        gen = core.results(proto, None, count_only=count_only)
        try:
            gen.send(None)
        except StopIteration as stop:
            return [(r.rowcount, r.fields) for r in stop.value]
        raise AssertionError("the answers were complete")
    finally:
        core._count_commands = saved


@needs_compiled
@settings(deadline=None, max_examples=200)
@given(tags=TAGS, cut=st.integers(0, 40))
def test_count_commands_same_as_python(tags: list[bytes], cut: int) -> None:
    data = answers(tags)
    sp = compiled()
    every = run_results(data, False, None)
    expected = [(sum(max(n, 0) for n, _ in every), None)] if every else []
    assert run_results(data, True, None) == expected
    assert run_results(data, True, sp.count_commands) == expected
    # Cut anywhere: the compiled scan stops at the incomplete message.
    kept = data[: max(len(data) - cut, 0)]
    buf = ReadBuffer()
    buf.feed(kept)
    commands, _rows = sp.count_commands(buf)
    assert 0 <= buf.pos <= len(kept)
    assert commands <= len(tags)


# --- against the server --------------------------------------------------------------------


@pytest.mark.parametrize("autocommit", [True, False])
def test_executemany_mixed_rows_round_trip(conn: Any, autocommit: bool) -> None:
    """Rows that switch types midway are stored as one execute() per row would store them."""
    conn.autocommit = autocommit
    cur = conn.cursor()
    cur.execute("CREATE TEMP TABLE mix (i int8, t text, f float8, ts timestamptz, n timestamp)")
    paris = ZoneInfo("Europe/Paris")
    rows = []
    for i in range(300):
        rows.append(
            (
                None if i % 50 == 7 else (i * 1000 if i % 3 else -i),
                None if i % 40 == 3 else f"row {i} é",
                i / 3 if i % 60 else float("inf"),
                datetime(2021, 3, 28, 1, 30, tzinfo=paris) + timedelta(minutes=7 * i),
                datetime(1999, 12, 31, 23, 59) + timedelta(seconds=i),
            )
        )
    cur.executemany("INSERT INTO mix VALUES (%s, %s, %s, %s, %s)", rows)
    assert cur.rowcount == len(rows)
    got = conn.execute("SELECT i, t, f, ts, n FROM mix ORDER BY n").fetchall()
    assert len(got) == len(rows)
    for want, row in zip(rows, got, strict=True):
        assert row[:3] == want[:3]
        # In the DST gap, == between zones is False by design: compare instants.
        assert row[3].timestamp() == want[3].timestamp() and row[4] == want[4]
    with pytest.raises(errors.DataError):
        cur.executemany("INSERT INTO mix (t) VALUES (%s)", [("ok",), ("bad\x00",)])
    assert conn.execute("SELECT count(*) FROM mix").fetchone() == (len(rows),)
