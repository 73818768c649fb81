"""Answers to a statement described again: the RowDescription expected, or another.

A statement run unnamed sends a Describe each time; when its answer is the
RowDescription seen before, the columns (and their loaders) already known are
used without parsing it again, by the accelerator (``take_answer``) and by the
Python loop (``core.results``) alike.  Any other description replaces them.
"""

from __future__ import annotations

import struct
from typing import Any

import pytest

from pgwire.accel.selection import speedups
from pgwire.protocol import core
from pgwire.protocol import messages as m
from pgwire.types import oids
from pgwire.types.adapt import AdaptContext, Format, Transformer

needs_speedups = pytest.mark.skipif(speedups is None, reason="the accelerator is not in use")


def msg(mtype: bytes, payload: bytes = b"") -> bytes:
    return mtype + struct.pack("!i", len(payload) + 4) + payload


def description_body(type_oids: list[int]) -> bytes:
    body = struct.pack("!h", len(type_oids))
    for i, oid in enumerate(type_oids):
        body += b"c%d\x00" % i + struct.pack("!ihihih", 0, 0, oid, -1, -1, 0)
    return body


def data_row(values: list[bytes]) -> bytes:
    body = struct.pack("!h", len(values))
    for v in values:
        body += struct.pack("!i", len(v)) + v
    return msg(b"D", body)


def answer(description: bytes, rows: list[list[bytes]]) -> bytes:
    return (
        msg(b"1")
        + msg(b"2")
        + (msg(b"T", description) if description else msg(b"n"))
        + b"".join(data_row(r) for r in rows)
        + msg(b"C", b"SELECT %d\x00" % len(rows))
        + msg(b"Z", b"I")
    )


def transformer() -> Transformer:
    ctx = AdaptContext()
    ctx.update_parameter("client_encoding", "UTF8")
    return Transformer(ctx)


INT_TEXT = [oids.INT4_OID, oids.TEXT_OID]
KNOWN = description_body(INT_TEXT)


def known_fields() -> list[m.FieldDescription]:
    body = KNOWN
    return m.parse_row_description(body, 0, len(body), "utf-8")


def protocol(data: bytes) -> core.Protocol:
    proto = core.Protocol()
    proto.pending_ready = 1
    proto.buf.feed(data)
    return proto


def run(gen: Any) -> Any:
    try:
        next(gen)
    except StopIteration as stop:
        return stop.value
    raise AssertionError("the reader waited for more bytes")


@needs_speedups
def test_take_answer_with_the_description_expected() -> None:
    fields = known_fields()
    loaders = transformer().fields_loaders(fields)
    proto = protocol(answer(KNOWN, [[b"1", b"one"], [b"2", b"two"]]))
    result = core.take_answer(proto, fields, loaders, tuple, KNOWN)
    assert result is not None and result.fields is fields
    assert result.rows == [(1, "one"), (2, "two")] and result.rowcount == 2
    assert proto.pending_ready == 0 and len(proto.buf) == 0


@needs_speedups
@pytest.mark.parametrize(
    "description",
    [
        description_body([oids.INT4_OID, oids.INT4_OID]),  # a column of another type
        description_body([oids.INT4_OID]),  # fewer columns
        b"",  # NoData: no rows any more
    ],
)
def test_take_answer_declines_another_description(description: bytes) -> None:
    fields = known_fields()
    loaders = transformer().fields_loaders(fields)
    data = answer(description, [])
    proto = protocol(data)
    assert core.take_answer(proto, fields, loaders, tuple, KNOWN) is None
    assert proto.pending_ready == 1 and len(proto.buf) == len(data)
    # Without a description expected, a RowDescription is never taken.
    assert core.take_answer(protocol(answer(KNOWN, [])), fields, loaders, tuple) is None


@pytest.fixture(params=["accelerated", "python"])
def reader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "accelerated":
        if speedups is None:
            pytest.skip("the accelerator is not in use")
    else:
        monkeypatch.setattr(core, "CAN_TAKE_ANSWERS", False)
    return str(request.param)


def test_results_keeps_the_known_columns(reader: str) -> None:
    fields = known_fields()
    tx = transformer()
    described: list[Any] = []

    def on_description(f: list[m.FieldDescription]) -> Any:
        described.append(f)
        return tx.fields_loaders(f), tuple

    proto = protocol(answer(KNOWN, [[b"7", b"seven"]]))
    (result,) = run(core.results(proto, on_description, known_fields=fields, description=KNOWN))
    assert result.fields is fields and result.rows == [(7, "seven")]
    assert described == [fields]


def test_results_reads_a_new_description(reader: str) -> None:
    fields = known_fields()
    tx = transformer()
    described: list[Any] = []

    def on_description(f: list[m.FieldDescription]) -> Any:
        described.append(f)
        return tx.fields_loaders(f), tuple

    other = description_body([oids.TEXT_OID, oids.INT4_OID, oids.INT4_OID])
    proto = protocol(answer(other, [[b"a", b"1", b"2"]]))
    (result,) = run(core.results(proto, on_description, known_fields=fields, description=KNOWN))
    assert [f.type_oid for f in result.fields] == [oids.TEXT_OID, oids.INT4_OID, oids.INT4_OID]
    assert result.rows == [("a", 1, 2)]
    assert proto.last_description == other
    assert described[-1] is result.fields and all(f.format == Format.TEXT for f in result.fields)


def test_results_no_data_instead_of_rows(reader: str) -> None:
    fields = known_fields()
    tx = transformer()
    proto = protocol(answer(b"", []))
    gen = core.results(
        proto, lambda f: (tx.fields_loaders(f), tuple), known_fields=fields, description=KNOWN
    )
    (result,) = run(gen)
    assert result.fields is None and result.rows == []
