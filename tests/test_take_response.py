"""The accelerator's whole-answer reader (``take_response``) against the pure-Python reader.

Answers to one extended-protocol statement are built by hand (and by
hypothesis): plain ones, ones with other messages slipped in, cut short,
with wrong column counts, bad values or odd tags.  Whenever
``take_response`` takes an answer, the generic ``core.results`` loop (with
the fast path and the compiled row reader switched off) must read the very
same result from the same bytes; whenever it declines, it must leave the
buffer as it was.  Plain answers must never be declined.
"""

from __future__ import annotations

import os
import signal
import struct
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pgwire import errors
from pgwire.accel.selection import speedups
from pgwire.protocol import core
from pgwire.protocol import datarows as rows_mod
from pgwire.protocol import messages as m
from pgwire.protocol.buffer import ReadBuffer
from pgwire.types import oids
from pgwire.types.adapt import AdaptContext, Format, Transformer

pytestmark = pytest.mark.skipif(speedups is None, reason="the accelerator is not in use")

HYPO = settings(deadline=None, max_examples=400, suppress_health_check=[HealthCheck.too_slow])

Loaders = list[Callable[[bytes], Any]]


# --- messages -----------------------------------------------------------------------


def msg(mtype: bytes, payload: bytes = b"") -> bytes:
    return mtype + struct.pack("!i", len(payload) + 4) + payload


def data_row(values: list[bytes | None]) -> bytes:
    body = struct.pack("!h", len(values))
    for v in values:
        body += b"\xff\xff\xff\xff" if v is None else struct.pack("!i", len(v)) + v
    return msg(b"D", body)


def command_complete(tag: bytes) -> bytes:
    return msg(b"C", tag + b"\x00")


def ready(status: bytes) -> bytes:
    return msg(b"Z", status)


def row_description(type_oids: list[int]) -> bytes:
    body = struct.pack("!h", len(type_oids))
    for i, oid in enumerate(type_oids):
        body += b"c%d\x00" % i + struct.pack("!ihihih", 0, 0, oid, -1, -1, 0)
    return msg(b"T", body)


ODD_MESSAGES: dict[str, bytes] = {
    "notice": msg(b"N", b"SNOTICE\x00VNOTICE\x00C00000\x00Mhello\x00\x00"),
    "error": msg(b"E", b"SERROR\x00VERROR\x00C22012\x00Mdivision by zero\x00\x00"),
    "parameter": msg(b"S", b"application_name\x00x\x00"),
    "notification": msg(b"A", struct.pack("!i", 42) + b"chan\x00payload\x00"),
    "row description": row_description([oids.INT4_OID]),
    "empty query": msg(b"I"),
    "portal suspended": msg(b"s"),
    "parameter description": msg(b"t", b"\x00\x00"),
    "second command": command_complete(b"SELECT 0"),
    "early ready": ready(b"I"),
    "unknown": msg(b"x", b"??"),
}


def fields_for(type_oids: list[int], formats: list[int] | None = None) -> list[m.FieldDescription]:
    formats = formats or [Format.TEXT] * len(type_oids)
    return [
        m.FieldDescription(
            name=f"c{i}",
            table_oid=0,
            column_number=0,
            type_oid=oid,
            type_size=-1,
            type_modifier=-1,
            format=fmt,
        )
        for i, (oid, fmt) in enumerate(zip(type_oids, formats, strict=True))
    ]


def loaders_for(type_oids: list[int], formats: list[int] | None = None) -> Loaders:
    ctx = AdaptContext()
    ctx.update_parameter("client_encoding", "UTF8")
    ctx.update_parameter("TimeZone", "UTC")
    ctx.update_parameter("DateStyle", "ISO, MDY")
    formats = formats or [Format.TEXT] * len(type_oids)
    return Transformer(ctx).column_loaders(type_oids, formats)


# --- comparing ------------------------------------------------------------------------


def key(v: Any) -> Any:
    """What must be equal between the two readers, stricter than ==."""
    t = type(v)
    if t is float:
        return t, struct.pack("!d", v)
    if t is Decimal:
        return t, str(v)
    if t in (tuple, list):
        return t, [key(x) for x in v]
    return t, v


_NOT_NOTED = -1


def take(buf: ReadBuffer, loaders: Loaders | None, make_row: Any) -> Any:
    """take_response on a session reading ``buf``: (rows, tag, rowcount, status) or None.

    The session must note the ReadyForQuery exactly when the answer is taken.
    """
    assert speedups is not None
    proto = core.Protocol()
    proto.buf = buf
    proto.pending_ready = 1
    proto.transaction_status = _NOT_NOTED
    try:
        got = speedups.take_response(proto, loaders, make_row)
    except BaseException:
        assert (proto.pending_ready, proto.transaction_status) == (1, _NOT_NOTED)
        raise
    if got is None:
        assert (proto.pending_ready, proto.transaction_status) == (1, _NOT_NOTED)
        return None
    assert proto.pending_ready == 0
    return (*got, proto.transaction_status)


def buffer_at(data: bytes, pos: int) -> ReadBuffer:
    buf = ReadBuffer()
    buf.data = data
    buf.pos = pos
    return buf


@dataclass
class PyOutcome:
    """What the generic reader made of an answer."""

    kind: str  # "done", "raised" or "incomplete"
    value: Any
    proto: core.Protocol
    # Bytes the reader was given before the answer (a RowDescription), beyond the caller's.
    shift: int = 0


def python_read(
    data: bytes,
    pos: int,
    fields: list[m.FieldDescription] | None,
    loaders: Loaders | None,
    make_row: Any,
) -> PyOutcome:
    """Run ``core.results`` on the bytes with every accelerated shortcut disabled.

    Known columns are passed as ``known_fields``, except none at all: that
    says "no rows" to ``results``, so a RowDescription of no columns goes first.
    """
    described = b""
    if fields == []:
        described = row_description([])
        data = data[:pos] + described + data[pos:]
        fields = None
    proto = core.Protocol()
    proto.buf.data = data
    proto.buf.pos = pos
    proto.pending_ready = 1

    def on_description(_fields: list[m.FieldDescription]) -> Any:
        return None if loaders is None else (loaders, make_row)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(core, "_take_response", None)
        mp.setattr(core, "CAN_TAKE_ANSWERS", False)
        mp.setattr(core, "read_data_rows", rows_mod.read_data_rows_py)
        gen = core.results(proto, on_description, known_fields=fields)
        try:
            next(gen)
        except StopIteration as stop:
            return PyOutcome("done", stop.value, proto, len(described))
        except Exception as exc:
            return PyOutcome("raised", exc, proto, len(described))
        finally:
            gen.close()
    return PyOutcome("incomplete", None, proto, len(described))


# --- answers ----------------------------------------------------------------------------


@dataclass
class Column:
    oid: int
    valid: st.SearchStrategy[bytes]
    invalid: st.SearchStrategy[bytes]
    fmt: int = Format.TEXT


NO_NUL_TEXT = st.text(st.characters(blacklist_characters="\x00", blacklist_categories=["Cs"]))


def _float_text(x: float) -> bytes:
    if x != x:
        return b"NaN"
    if x in (float("inf"), float("-inf")):
        return b"Infinity" if x > 0 else b"-Infinity"
    return repr(x).encode()


COLUMNS: dict[str, Column] = {
    "int4": Column(
        oids.INT4_OID,
        st.integers(-(2**31), 2**31 - 1).map(lambda n: b"%d" % n),
        st.sampled_from([b"", b"1.5", b"x", b" 1 2"]),
    ),
    "int8": Column(
        oids.INT8_OID,
        st.integers(-(2**63), 2**63 - 1).map(lambda n: b"%d" % n),
        st.sampled_from([b"", b"--1", b"0x10"]),
    ),
    "text": Column(
        oids.TEXT_OID,
        NO_NUL_TEXT.map(str.encode),
        st.sampled_from([b"\xff", b"ok\xc3", b"\xed\xa0\x80"]),
    ),
    "float8": Column(
        oids.FLOAT8_OID,
        st.floats(allow_nan=True, allow_infinity=True).map(_float_text),
        st.sampled_from([b"", b"one", b"1,5"]),
    ),
    "bool": Column(oids.BOOL_OID, st.sampled_from([b"t", b"f"]), st.sampled_from([b"", b"yes"])),
    "numeric": Column(
        oids.NUMERIC_OID,
        st.decimals(allow_nan=False, allow_infinity=False, places=None).map(
            lambda d: format(d, "f").encode()
        )
        | st.sampled_from([b"NaN", b"Infinity", b"-Infinity", b"0.000", b"-12.50"]),
        st.sampled_from([b"", b"1..2", b"abc"]),
    ),
    "date": Column(
        oids.DATE_OID,
        st.dates().map(lambda d: d.isoformat().encode()),
        st.sampled_from([b"2020-13-01", b"2020-02-30", b"nope"]),
    ),
    "uuid": Column(
        oids.UUID_OID,
        st.uuids().map(lambda u: str(u).encode()),
        st.sampled_from([b"", b"1234", b"zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz"]),
    ),
    "bytea": Column(
        oids.BYTEA_OID,
        st.binary(max_size=16).map(lambda b: b"\\x" + b.hex().encode()),
        st.sampled_from([b"\\x1", b"\\xzz"]),
    ),
    "int4 binary": Column(
        oids.INT4_OID,
        st.integers(-(2**31), 2**31 - 1).map(lambda n: struct.pack("!i", n)),
        st.sampled_from([b"", b"\x00", b"\x00" * 8]),
        Format.BINARY,
    ),
    "int8 binary": Column(
        oids.INT8_OID,
        st.integers(-(2**63), 2**63 - 1).map(lambda n: struct.pack("!q", n)),
        st.sampled_from([b"", b"\x00" * 4]),
        Format.BINARY,
    ),
    "float8 binary": Column(
        oids.FLOAT8_OID,
        st.floats(allow_nan=True, allow_infinity=True).map(lambda x: struct.pack("!d", x)),
        st.sampled_from([b"", b"\x00" * 4]),
        Format.BINARY,
    ),
    "bool binary": Column(
        oids.BOOL_OID, st.sampled_from([b"\x00", b"\x01"]), st.just(b""), Format.BINARY
    ),
    "text binary": Column(
        oids.TEXT_OID, NO_NUL_TEXT.map(str.encode), st.just(b"\xc3("), Format.BINARY
    ),
}


def ordinary_tags(nrows: int) -> st.SearchStrategy[bytes]:
    """CommandComplete tags take_response must take, odd ones included."""
    return st.sampled_from(
        [
            b"SELECT %d" % nrows,
            b"INSERT 0 %d" % nrows,
            b"UPDATE %d" % nrows,
            b"DELETE 0",
            b"MERGE 3",
            b"FETCH %d" % nrows,
            b"MOVE 7",
            b"COPY 12",
            b"CREATE TABLE",
            b"SHOW",
            b"BEGIN",
            b"SELECT 000012",
            b"SELECT 999999999999999999",
            b"SELECT",
            b"SELECT ",
            b"SELECT 12a",
            b"SELECT -1",
            b"INSERT 5",
            b"INSERT 0 ",
            b"",
            b"caf\xc3\xa9 1",
            b"SELECT 1\x00trailing bytes",
        ]
    )


LONG_TAGS = st.one_of(
    st.integers(10**18, 10**40).map(lambda n: b"SELECT %d" % n),
    st.integers(10**18, 10**30).map(lambda n: b"INSERT 0 %d" % n),
)


@dataclass
class Answer:
    """One generated answer, and what take_response must do with it."""

    data: bytes
    pos: int
    answer_end: int
    type_oids: list[int]
    no_rows: bool
    must_take: bool
    notes: list[str] = field(default_factory=list)
    formats: list[int] | None = None


FLAWS = (
    "invalid value",
    "wrong column count",
    "bad row length",
    "rows without loaders",
    "long tag",
    "odd message",
    "truncated",
)


@st.composite
def answers(draw: st.DrawFn) -> Answer:
    """An answer with none, one or a few of :data:`FLAWS`; plain when it has none."""
    flaws = {f for f in FLAWS if draw(st.integers(0, 7)) == 0}
    names = draw(st.lists(st.sampled_from(sorted(COLUMNS)), max_size=5))
    if "rows without loaders" in flaws:
        names = []
    cols = [COLUMNS[n] for n in names]
    no_rows = "rows without loaders" in flaws or (not names and draw(st.booleans()))
    notes: list[str] = []

    msgs = [msg(t) for t in draw(st.lists(st.sampled_from([b"1", b"2", b"3", b"n"]), max_size=3))]
    nrows = 0 if no_rows and "rows without loaders" not in flaws else draw(st.integers(0, 6))
    rows: list[list[bytes | None]] = [
        [None if draw(st.integers(0, 9)) == 0 else draw(col.valid) for col in cols]
        for _ in range(nrows)
    ]
    if rows:
        if no_rows:
            notes.append("rows without loaders")
        if "invalid value" in flaws and cols:
            i, j = draw(st.integers(0, nrows - 1)), draw(st.integers(0, len(cols) - 1))
            rows[i][j] = draw(cols[j].invalid)
            notes.append("invalid value")
        if "wrong column count" in flaws:
            changed = rows[draw(st.integers(0, nrows - 1))]
            shorter = draw(st.booleans())
            if changed and shorter:
                changed.pop()
            else:
                changed.append(b"1")
            notes.append("wrong column count")
    encoded = [data_row(r) for r in rows]
    if rows and "bad row length" in flaws:
        i = draw(st.integers(0, nrows - 1))
        bad = encoded[i]
        encoded[i] = bad[:1] + struct.pack("!i", len(bad) - 1 + 2) + bad[5:] + b"\x00\x00"
        notes.append("bad row length")
    msgs += encoded
    if "long tag" in flaws:
        msgs.append(command_complete(draw(LONG_TAGS)))
        notes.append("long tag")
    else:
        msgs.append(command_complete(draw(ordinary_tags(nrows))))
    msgs.append(ready(draw(st.sampled_from([b"I", b"T", b"E"]))))

    if "odd message" in flaws:
        odd = draw(st.sampled_from(sorted(ODD_MESSAGES)))
        # A ReadyForQuery right after the CommandComplete would just end the answer early.
        last = len(msgs) - (2 if odd == "early ready" else 1)
        msgs.insert(draw(st.integers(0, last)), ODD_MESSAGES[odd])
        notes.append(f"odd message {odd}")

    whole = b"".join(msgs)
    answer = whole
    if "truncated" in flaws:
        answer = whole[: draw(st.integers(0, len(whole) - 1))]
        notes.append("truncated")
    prefix = draw(st.sampled_from([b"", ready(b"I"), b"\x00" * 3]))
    suffix = b""
    if answer is whole:
        suffix = draw(st.sampled_from([b"", ready(b"I"), b"D\x00\x00", command_complete(b"X")]))
    return Answer(
        data=prefix + answer + suffix,
        pos=len(prefix),
        answer_end=len(prefix) + len(answer),
        type_oids=[c.oid for c in cols],
        formats=[c.fmt for c in cols],
        no_rows=no_rows,
        must_take=not notes,
        notes=notes,
    )


MAKE_ROWS: list[Any] = [tuple, list, lambda values: ("row", *values)]


def check(answer: Answer, make_row: Any = tuple) -> Any:
    """Run both readers on ``answer``; assert they agree; return take_response's outcome."""
    fields = None if answer.no_rows else fields_for(answer.type_oids, answer.formats)
    loaders = None if answer.no_rows else loaders_for(answer.type_oids, answer.formats)
    buf = buffer_at(answer.data, answer.pos)
    data_before = buf.data
    got = take(buf, loaders, make_row)
    assert buf.data is data_before
    if answer.must_take:
        assert got is not None, answer.notes
    if got is None:
        assert buf.pos == answer.pos
        return None

    rows, tag, rowcount, status = got
    assert buf.pos == answer.answer_end
    py = python_read(answer.data, answer.pos, fields, loaders, make_row)
    assert py.kind == "done", (py.kind, py.value)
    assert len(py.value) == 1
    result = py.value[0]
    assert type(rows) is list
    assert [key(r) for r in rows] == [key(r) for r in result.rows]
    assert tag == result.command_tag
    assert rowcount == m.rowcount_from_tag(tag)
    assert status == py.proto.transaction_status
    assert py.proto.buf.pos - py.shift == buf.pos

    if fields == []:
        # take_answer reads fields == [] as "no rows", not as rows of no columns.
        return got
    proto = core.Protocol()
    proto.buf.data, proto.buf.pos, proto.pending_ready = answer.data, answer.pos, 1
    taken = core.take_answer(proto, fields, loaders, make_row)
    assert taken is not None
    assert taken.fields is fields
    assert (taken.command_tag, taken.rowcount) == (result.command_tag, result.rowcount)
    assert [key(r) for r in taken.rows] == [key(r) for r in result.rows]
    assert proto.transaction_status == status and proto.pending_ready == 0
    return got


# --- differential ----------------------------------------------------------------------


EXAMPLE = msg(b"2") + data_row([b"1", b"x"]) + command_complete(b"SELECT 1") + ready(b"T")


@HYPO
@given(answers(), st.sampled_from(range(len(MAKE_ROWS))))
@example(
    Answer(
        data=EXAMPLE,
        pos=0,
        answer_end=len(EXAMPLE),
        type_oids=[oids.INT4_OID, oids.TEXT_OID],
        no_rows=False,
        must_take=True,
    ),
    0,
)
def test_same_as_the_python_reader(answer: Answer, which: int) -> None:
    check(answer, MAKE_ROWS[which])


def test_the_generated_answers_are_mostly_taken() -> None:
    """Guards the property above against a fast path that declines everything."""
    taken = declined = 0

    @settings(deadline=None, max_examples=300, database=None)
    @given(answers())
    def run(answer: Answer) -> None:
        nonlocal taken, declined
        if check(answer) is None:
            declined += 1
        else:
            taken += 1

    run()
    assert taken > 50 and declined > 20, (taken, declined)


# --- by hand ---------------------------------------------------------------------------------

INT_TEXT = [oids.INT4_OID, oids.TEXT_OID]


def plain(rows: list[list[bytes | None]], tag: bytes = b"", status: bytes = b"I") -> bytes:
    return (
        msg(b"1")
        + msg(b"2")
        + b"".join(data_row(r) for r in rows)
        + command_complete(tag or b"SELECT %d" % len(rows))
        + ready(status)
    )


def test_plain_answer_is_taken_whole() -> None:
    data = plain([[b"1", b"one"], [None, b""], [b"-3", None]], status=b"T") + ready(b"I")
    buf = buffer_at(data, 0)
    got = take(buf, loaders_for(INT_TEXT), tuple)
    assert got == ([(1, "one"), (None, ""), (-3, None)], "SELECT 3", 3, ord("T"))
    assert buf.pos == len(data) - 6


def test_every_cut_is_declined_and_the_whole_taken() -> None:
    data = plain([[b"1", b"one"], [b"2", b"two"]])
    loaders = loaders_for(INT_TEXT)
    for cut in range(len(data)):
        buf = buffer_at(data[:cut], 0)
        assert take(buf, loaders, tuple) is None
        assert buf.pos == 0
    assert take(buffer_at(data, 0), loaders, tuple) is not None


def test_a_failing_loader_declines() -> None:
    def picky(data: bytes) -> int:
        if data == b"13":
            raise ValueError("unlucky")
        return int(data)

    data = plain([[b"12"], [b"13"], [b"14"]])
    buf = buffer_at(data, 0)
    assert take(buf, [picky], tuple) is None
    assert buf.pos == 0
    py = python_read(data, 0, fields_for([oids.INT4_OID]), [picky], tuple)
    # The Python loop keeps the rows made before the failure, and the error, on the result.
    assert py.kind == "done"
    (result,) = py.value
    assert result.rows == [(12,)] and isinstance(result.error, ValueError)
    assert py.proto.buf.pos == len(data)


def test_a_failing_make_row_declines() -> None:
    def make_row(values: list[Any]) -> Any:
        raise RuntimeError("no rows today")

    buf = buffer_at(plain([[b"1", b"a"]]), 0)
    assert take(buf, loaders_for(INT_TEXT), make_row) is None
    assert buf.pos == 0


def test_keyboard_interrupt_from_a_loader_propagates() -> None:
    def interrupted(data: bytes) -> int:
        raise KeyboardInterrupt

    buf = buffer_at(plain([[b"1"]]), 0)
    with pytest.raises(KeyboardInterrupt):
        take(buf, [interrupted], tuple)
    assert buf.pos == 0


@pytest.mark.parametrize("make_row", [list, lambda values: {"values": values}])
def test_make_row_is_applied(make_row: Callable[[list[Any]], Any]) -> None:
    buf = buffer_at(plain([[b"7", b"seven"], [None, None]]), 0)
    got = take(buf, loaders_for(INT_TEXT), make_row)
    assert got is not None
    assert got[0] == [make_row([7, "seven"]), make_row([None, None])]


def test_statement_without_rows() -> None:
    data = msg(b"2") + msg(b"n") + command_complete(b"CREATE TABLE") + ready(b"T")
    buf = buffer_at(data, 0)
    assert take(buf, None, None) == ([], "CREATE TABLE", -1, ord("T"))
    assert buf.pos == len(data)

    data = msg(b"2") + data_row([]) + command_complete(b"SELECT 1") + ready(b"I")
    buf = buffer_at(data, 0)
    assert take(buf, None, None) is None
    assert buf.pos == 0


def test_no_columns() -> None:
    buf = buffer_at(plain([[], []]), 0)
    assert take(buf, [], tuple) == ([(), ()], "SELECT 2", 2, ord("I"))


@pytest.mark.parametrize(
    ("tag", "rowcount"),
    [
        (b"SELECT 123456789012345678", 123456789012345678),
        (b"INSERT 0 999999999999999999", 999999999999999999),
        (b"UPDATE 0", 0),
        (b"SELECT 1 2", -1),
        (b"LISTEN", -1),
    ],
)
def test_tag_rowcounts(tag: bytes, rowcount: int) -> None:
    got = take(buffer_at(plain([], tag), 0), [], tuple)
    assert got is not None
    assert (got[1], got[2]) == (tag.decode(), rowcount)
    assert rowcount == m.rowcount_from_tag(tag.decode())


@pytest.mark.parametrize(
    "tag",
    [
        b"SELECT 1234567890123456789012",
        b"SELECT 1234567890123456789",
        b"INSERT 0 12345678901234567890",
    ],
)
def test_a_count_too_long_declines(tag: bytes) -> None:
    buf = buffer_at(plain([], tag), 0)
    assert take(buf, [], tuple) is None
    assert buf.pos == 0


def test_a_wrong_column_count_declines() -> None:
    wrong: list[list[bytes | None]] = [[b"1"], [b"1", b"a", b"b"]]
    for row in wrong:
        buf = buffer_at(plain([[b"1", b"a"], row]), 0)
        assert take(buf, loaders_for(INT_TEXT), tuple) is None
        assert buf.pos == 0


@pytest.mark.parametrize("odd", sorted(ODD_MESSAGES))
def test_other_messages_decline(odd: str) -> None:
    head = msg(b"2") + data_row([b"1", b"a"])
    tail = command_complete(b"SELECT 1") + ready(b"I")
    buf = buffer_at(head + ODD_MESSAGES[odd] + tail, 0)
    assert take(buf, loaders_for(INT_TEXT), tuple) is None
    assert buf.pos == 0


def test_a_command_complete_without_nul_declines() -> None:
    buf = buffer_at(msg(b"2") + msg(b"C", b"SELECT 0") + ready(b"I"), 0)
    assert take(buf, [], tuple) is None
    assert buf.pos == 0


def test_a_ready_with_a_longer_payload_declines() -> None:
    buf = buffer_at(msg(b"2") + command_complete(b"SELECT 0") + msg(b"Z", b"II"), 0)
    assert take(buf, [], tuple) is None
    assert buf.pos == 0


def test_values_decode_as_the_row_reader_does() -> None:
    type_oids = [COLUMNS[n].oid for n in ("numeric", "float8", "bool", "date", "uuid", "bytea")]
    u = uuid.UUID(int=12345)
    raw: list[bytes | None] = [
        b"-1.50",
        b"Infinity",
        b"t",
        b"2024-02-29",
        str(u).encode(),
        b"\\x00ff",
    ]
    got = take(buffer_at(plain([raw]), 0), loaders_for(type_oids), tuple)
    assert got is not None
    (row,) = got[0]
    assert [key(v) for v in row] == [
        key(v) for v in (Decimal("-1.50"), float("inf"), True, date(2024, 2, 29), u, b"\x00\xff")
    ]


def test_results_takes_a_plain_answer_without_yielding(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[bool] = []
    real = core._take_response
    assert real is not None

    def spy(*args: Any) -> Any:
        out = real(*args)
        calls.append(out is not None)
        return out

    monkeypatch.setattr(core, "_take_response", spy)
    proto = core.Protocol()
    proto.pending_ready = 1
    proto.buf.feed(plain([[b"5", b"five"]], status=b"T"))
    loaders = loaders_for(INT_TEXT)
    fields = fields_for(INT_TEXT)
    gen = core.results(proto, lambda _f: (loaders, tuple), known_fields=fields)
    with pytest.raises(StopIteration) as stop:
        next(gen)
    (result,) = stop.value.value
    assert calls == [True]
    assert result.rows == [(5, "five")] and result.fields is fields
    assert proto.transaction_status == core.INTRANS and proto.pending_ready == 0


def _gen_outcome(gen: Iterator[None]) -> Any:
    try:
        next(gen)
    except StopIteration as stop:
        return stop.value
    raise AssertionError("the reader waited for more bytes")


def test_results_falls_back_when_declined() -> None:
    notices: list[dict[str, str]] = []
    proto = core.Protocol()
    proto.notice_handler = notices.append
    proto.pending_ready = 1
    proto.buf.feed(
        msg(b"2")
        + ODD_MESSAGES["notice"]
        + data_row([b"9", b"x"])
        + command_complete(b"SELECT 1")
        + ready(b"I")
    )
    loaders = loaders_for(INT_TEXT)
    (result,) = _gen_outcome(
        core.results(proto, lambda _f: (loaders, tuple), known_fields=fields_for(INT_TEXT))
    )
    assert result.rows == [(9, "x")] and result.rowcount == 1
    assert [n["M"] for n in notices] == ["hello"]


@pytest.mark.skipif(not hasattr(signal, "SIGALRM"), reason="needs SIGALRM and a shell")
def test_signal_during_the_last_row_keeps_the_protocol_consistent() -> None:
    """Recovery after Ctrl-C counts on: answer still in the buffer, or consumed and counted.

    ``os.system`` as the loader is C code that makes the shell send us SIGALRM:
    the signal is pending, and no Python code runs, until take_response returns.
    """

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    proto = core.Protocol()
    proto.pending_ready = 1
    proto.buf.feed(plain([[b"kill -ALRM %d" % os.getpid()]]))
    previous = signal.signal(signal.SIGALRM, interrupt)
    try:
        with pytest.raises(KeyboardInterrupt):
            core.take_answer(proto, None, [os.system], tuple)
    finally:
        signal.signal(signal.SIGALRM, previous)
    # Raised while nothing was consumed yet.
    assert (proto.buf.pos, proto.pending_ready) == (0, 1)


# --- known_answer: a statement run again as known ---------------------------------------


def _run_split(gen: Any, proto: core.Protocol, data: bytes, cut: int) -> tuple[Any, ...]:
    """Run an operation that sends its request, given the answer in two reads; its outcome."""
    try:
        next(gen)  # queues the request
        proto.buf.feed(data[:cut])
        gen.send(None)
        proto.buf.feed(data[cut:])
        gen.send(None)
    except StopIteration as stop:
        if not isinstance(stop.value, list):
            return ("returned", stop.value, proto.pending_ready)
        results = [
            (r.fields, [key(row) for row in r.rows], r.command_tag, r.rowcount, type(r.error))
            for r in stop.value
        ]
        return ("done", results, proto.pending_ready, proto.transaction_status, proto.closed)
    except Exception as exc:  # noqa: BLE001 - compared below
        return ("raised", type(exc), str(exc), proto.pending_ready, proto.closed)
    return ("waiting", proto.pending_ready)


@pytest.mark.parametrize("where", ["first", "before the tag"])
@pytest.mark.parametrize("odd", [None, *sorted(ODD_MESSAGES)])
def test_known_answer_reads_every_answer_as_bound_query(odd: str | None, where: str) -> None:
    fields = fields_for(INT_TEXT)
    loaders = loaders_for(INT_TEXT)
    answer = plain([[b"1", b"one"], [b"2", None]])
    if odd is not None:
        at = 0 if where == "first" else answer.index(b"C")
        answer = answer[:at] + ODD_MESSAGES[odd] + answer[at:]
    bind = m.bind_py(b"", b"stmt", [0], [b"1"], [])
    outcomes = []
    for cut in (0, 7, len(answer) - 3, len(answer)):
        seen = []
        for run in (core.bound_query, core.known_answer):
            proto = core.Protocol()
            proto.notice_handler = lambda _n: None
            if run is core.bound_query:
                gen = core.bound_query(
                    proto, bind, lambda _f: (loaders, tuple), None, b"", fields, None, None, None,
                    (loaders, tuple),
                )
            else:
                gen = core.known_answer(
                    proto, bind, lambda _f: (loaders, tuple), fields, (loaders, tuple), None
                )
            outcome = _run_split(gen, proto, answer, cut)
            seen.append((bytes(proto.out), outcome))
        assert seen[0] == seen[1]
        outcomes.append(seen[0][1])
    # What both made of it, for the answer with nothing odd in it.
    if odd is None:
        assert seen[0][0] == bind + m.EXECUTE_UNNAMED + m.SYNC
        assert outcomes[-1] == (
            "done", [(fields, [key((1, "one")), key((2, None))], "SELECT 2", 2, type(None))],
            0, ord("I"), False,
        )


def _known(proto: core.Protocol, on_error: Any = None) -> Any:
    fields = fields_for(INT_TEXT)
    return core.known_answer(
        proto, b"<bind>", lambda _f: None, fields, (loaders_for(INT_TEXT), tuple), on_error
    )


def _on_error_giving(outcome: Any, given: list[Exception]) -> Any:
    """An on_error noting each error in ``given``, whose run's outcome is ``outcome``."""

    def on_error(exc: Exception) -> Any:
        given.append(exc)
        return outcome
        yield  # a generator

    return on_error


def test_known_answer_gives_a_server_error_to_on_error() -> None:
    given: list[Exception] = []
    proto = core.Protocol()
    gen = _known(proto, _on_error_giving("run again", given))
    answer = msg(b"2") + ODD_MESSAGES["error"] + ready(b"I")
    # What on_error returns is the run's outcome, once the answer is all read.
    assert _run_split(gen, proto, answer, 3) == ("returned", "run again", 0)
    assert len(given) == 1 and given[0].sqlstate == "22012"  # type: ignore[attr-defined]


def test_known_answer_steps_as_a_generator_does() -> None:
    proto = core.Protocol()
    gen = _known(proto)
    assert iter(gen) is gen
    with pytest.raises(TypeError, match="just-started"):
        gen.send("x")
    assert next(gen) is None  # queues the request, counts its ReadyForQuery
    assert bytes(proto.out) == b"<bind>" + m.EXECUTE_UNNAMED + m.SYNC
    assert proto.pending_ready == 1
    answer = plain([[b"7", b"seven"]])
    proto.buf.feed(answer[:4])
    assert gen.send(None) is None  # not all there: waits
    proto.buf.feed(answer[4:])
    with pytest.raises(StopIteration) as stop:
        next(gen)
    (result,) = stop.value.value
    assert [key(row) for row in result.rows] == [key((7, "seven"))]
    assert (result.command_tag, result.rowcount, proto.pending_ready) == ("SELECT 1", 1, 0)
    with pytest.raises(StopIteration):
        next(gen)  # finished, as a generator that returned


@pytest.mark.parametrize(
    ("tag", "told"),
    [
        (b"SELECT 2", []),
        (b"UPDATE 2", []),
        (b"DROP TABLE", [False]),
        (b"ALTER TABLE", [False]),
        (b"ROLLBACK", [False]),
        (b"DISCARD ALL", [True]),
        (b"DEALLOCATE ALL", [True]),
        (b"DEALLOCATE", []),
        (b"DISCARD PLANS", []),
    ],
)
def test_known_answer_tells_the_schema_handler_as_command_completed_does(
    tag: bytes, told: list[bool]
) -> None:
    """The compiled answer calls command_completed() only for the tags it looks at."""
    proto = core.Protocol()
    seen: list[bool] = []
    proto.schema_handler = seen.append
    gen = _known(proto)
    next(gen)
    proto.buf.feed(plain([[b"1", b"a"], [b"2", b"b"]], tag=tag))
    with pytest.raises(StopIteration) as stop:
        gen.send(None)
    (result,) = stop.value.value
    assert result.command_tag == tag.decode()
    assert seen == told
    # As the protocol's own reading of the tag.
    direct: list[bool] = []
    proto.schema_handler = direct.append
    proto.command_completed(tag.decode())
    assert direct == told


def test_known_answer_taken_whole_at_its_second_step() -> None:
    proto = core.Protocol()
    gen = _known(proto)
    next(gen)
    proto.buf.feed(plain([]))
    with pytest.raises(StopIteration) as stop:
        gen.send(None)
    (result,) = stop.value.value
    assert (result.rows, result.rowcount, proto.transaction_status) == ([], 0, ord("I"))


def test_known_answer_thrown_errors_go_to_on_error_and_others_out() -> None:
    given: list[Exception] = []
    on_error = _on_error_giving("given", given)
    proto = core.Protocol()
    gen = _known(proto, on_error)
    next(gen)
    # An Error thrown in while the answer is awaited goes to on_error, whose outcome is the run's.
    with pytest.raises(StopIteration) as stop:
        gen.throw(errors.QueryCanceled("stop"))
    assert stop.value.value == "given" and type(given[0]) is errors.QueryCanceled
    # Anything else is raised out of it, and it is finished.
    gen = _known(core.Protocol(), on_error)
    next(gen)
    with pytest.raises(KeyboardInterrupt):
        gen.throw(KeyboardInterrupt)
    with pytest.raises(StopIteration):
        next(gen)
    # Thrown before it started: raised at once, as into a generator.
    gen = _known(core.Protocol(), on_error)
    with pytest.raises(ValueError, match="early"):
        gen.throw(ValueError("early"))
    with pytest.raises(StopIteration):
        next(gen)


def test_known_answer_closed_steps_no_more() -> None:
    proto = core.Protocol()
    gen = _known(proto)
    next(gen)
    proto.buf.feed(plain([[b"1", b"x"]])[:6])
    next(gen)  # left to the Python reader, waiting for the rest
    gen.close()
    with pytest.raises(StopIteration):
        next(gen)
    gen = _known(proto)
    gen.close()
    with pytest.raises(StopIteration):
        next(gen)
