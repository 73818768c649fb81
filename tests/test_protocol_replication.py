"""The replication sub-protocol and pgoutput, byte for byte, without a server."""

from __future__ import annotations

import struct
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pgwire.errors import InterfaceError
from pgwire.protocol import messages as m
from pgwire.protocol import pgoutput as po
from pgwire.protocol import replication as pr
from pgwire.protocol.core import Protocol

TS = 789_000_000_123_456  # microseconds since 2000-01-01
TS_DATE = datetime(2000, 1, 1, tzinfo=timezone.utc) + timedelta(microseconds=TS)


def copy_data(payload: bytes) -> bytes:
    return b"d" + struct.pack("!i", len(payload) + 4) + payload


def xlog(start: int, end: int, data: bytes) -> bytes:
    return b"w" + struct.pack("!QQq", start, end, TS) + data


def keepalive(end: int, reply: bool) -> bytes:
    return b"k" + struct.pack("!QqB", end, TS, reply)


# --- LSNs and framing -----------------------------------------------------------------


@given(st.integers(min_value=0, max_value=(1 << 64) - 1))
def test_lsn_round_trip(lsn: int) -> None:
    assert pr.parse_lsn(pr.format_lsn(lsn)) == lsn


def test_lsn_text() -> None:
    assert pr.format_lsn(0x16_B374D848) == "16/B374D848"
    assert pr.parse_lsn("16/B374D848") == 0x16_B374D848
    assert pr.parse_lsn("0/0") == 0
    for bad in ("", "16", "16/", "x/1", "1/2/3", "123456789/0"):
        with pytest.raises(ValueError):
            pr.parse_lsn(bad)


def test_parse_xlog_data() -> None:
    payload = xlog(0x100, 0x200, b"hello")
    msg = pr.parse_copy_both(payload, 0, len(payload))
    assert msg == pr.XLogData(0x100, 0x200, TS, b"hello")
    assert msg.lsn == 0x100 and msg.send_time == TS_DATE


def test_parse_keepalive() -> None:
    payload = keepalive(0x300, True)
    assert pr.parse_copy_both(payload, 0, len(payload)) == pr.PrimaryKeepalive(0x300, TS, True)


@pytest.mark.parametrize(
    "payload",
    [
        b"",
        b"w" + b"\x00" * 23,
        b"k" + b"\x00" * 16,
        b"k" + b"\x00" * 18,
        b"x123",
        b"r" + b"\0" * 33,
    ],
)
def test_bad_copy_both_payloads(payload: bytes) -> None:
    with pytest.raises(InterfaceError):
        pr.parse_copy_both(payload, 0, len(payload))


@given(st.binary(max_size=64))
def test_copy_both_parser_raises_only_protocol_errors(payload: bytes) -> None:
    try:
        msg = pr.parse_copy_both(payload, 0, len(payload))
    except InterfaceError:
        return
    assert isinstance(msg, (pr.XLogData, pr.PrimaryKeepalive))


def test_standby_status_update_bytes() -> None:
    out = pr.standby_status_update(0x10, 0x20, 0x30, 0x40, True)
    assert out == (
        b"d\x00\x00\x00\x26r"
        + (0x10).to_bytes(8, "big")
        + (0x20).to_bytes(8, "big")
        + (0x30).to_bytes(8, "big")
        + (0x40).to_bytes(8, "big")
        + b"\x01"
    )


def test_pg_clock() -> None:
    assert pr.pg_clock(946_684_800.0) == 0
    assert pr.pg_clock(946_684_801.5) == 1_500_000


def test_start_replication_command() -> None:
    assert pr.start_replication_command(None, True, 0x1000000, 2) == (
        b"START_REPLICATION PHYSICAL 0/1000000 TIMELINE 2"
    )
    assert pr.start_replication_command(
        'my"slot', False, 0, options={"proto_version": "1", "publication_names": "\"p\",'q'"}
    ) == (
        b'START_REPLICATION SLOT "my""slot" LOGICAL 0/0 '
        b"(\"proto_version\" '1', \"publication_names\" '\"p\",''q''')"
    )


# --- the state of a stream ----------------------------------------------------------------


def test_state_feedback_timer_and_reply() -> None:
    state = pr.ReplicationState(logical=True, status_interval=10.0)
    state.start(0x100, now=5.0)
    assert state.due_in(7.0) == 8.0
    assert state.due_in(20.0) == 0.0
    state.note(pr.PrimaryKeepalive(0x100, TS, True))
    assert state.due_in(7.0) == 0.0
    out = state.status_update(now=8.0, clock=946_684_800.0)
    assert out == pr.standby_status_update(0x100, 0x100, 0x100, 0, False)
    assert state.due_in(8.0) == 10.0


def test_state_ack_and_idle_advance() -> None:
    state = pr.ReplicationState(logical=True, status_interval=10.0)
    state.start(0, now=0.0)
    state.note(pr.XLogData(0x500, 0x500, TS, b"B"))
    state.in_transaction = True
    state.note(pr.PrimaryKeepalive(0x900, TS, False))
    assert state.flushed == 0  # a transaction is open: nothing moves
    state.in_transaction = False
    state.note(pr.PrimaryKeepalive(0x900, TS, False))
    assert state.flushed == 0  # 0x500 delivered, not acknowledged
    state.ack(0x500)
    assert state.flushed == 0x500 and state.due_in(0.0) == 0.0
    state.note(pr.PrimaryKeepalive(0x900, TS, False))
    assert state.flushed == 0x900
    state.ack(0x100)  # never backwards
    assert state.flushed == 0x900
    with pytest.raises(ValueError):
        state.ack(-1)


def test_state_physical_positions() -> None:
    state = pr.ReplicationState(logical=False, status_interval=1.0)
    state.start(0x1000, now=0.0)
    state.note(pr.XLogData(0x1000, 0x2000, TS, b"x" * 0x80))
    assert state.received == 0x2000
    state.note(pr.PrimaryKeepalive(0x3000, TS, False))
    assert state.received == 0x3000 and state.flushed == 0x1000


def feed(proto: Protocol, *messages: bytes) -> None:
    proto.buf.feed(b"".join(messages))


def test_read_message_stream_and_server_end() -> None:
    proto = Protocol()
    proto.expect_ready()
    state = pr.ReplicationState(logical=True, status_interval=10.0)
    feed(
        proto,
        copy_data(keepalive(0x10, False)),
        copy_data(xlog(0x20, 0x20, b"data")),
        m.COPY_DONE_MSG,
    )
    assert pr.read_message(proto, state) == pr.XLogData(0x20, 0x20, TS, b"data")
    assert pr.read_message(proto, state) is None
    assert state.server_done and state.client_done and not state.finished
    assert bytes(proto.out) == m.COPY_DONE_MSG  # answered
    feed(proto, b"C\x00\x00\x00\x16START_REPLICATION\x00", b"Z\x00\x00\x00\x05I")
    assert pr.read_message(proto, state) is None
    assert state.finished and state.command_tag == "START_REPLICATION"


def test_read_message_after_stop_drops_data() -> None:
    proto = Protocol()
    proto.expect_ready()
    state = pr.ReplicationState(logical=True, status_interval=10.0)
    pr.stop(proto, state)
    pr.stop(proto, state)
    assert bytes(proto.out) == m.COPY_DONE_MSG
    feed(proto, copy_data(xlog(0x20, 0x20, b"late")), m.COPY_DONE_MSG)
    feed(proto, b"C\x00\x00\x00\x0bCOPY 0\x00", b"Z\x00\x00\x00\x05I")
    assert pr.read_message(proto, state) is None
    assert state.finished and bytes(proto.out) == m.COPY_DONE_MSG


@pytest.mark.parametrize(
    "payload", [xlog(1, 1, b"")[:-3], b"?junk", b""], ids=["truncated", "unknown", "empty"]
)
def test_read_message_hostile_bytes_close(payload: bytes) -> None:
    proto = Protocol()
    state = pr.ReplicationState(logical=True, status_interval=10.0)
    feed(proto, copy_data(payload))
    with pytest.raises(InterfaceError):
        pr.read_message(proto, state)
    assert proto.closed


def test_start_replication_operation() -> None:
    proto = Protocol()
    gen = pr.start_replication(proto, b"START_REPLICATION SLOT s LOGICAL 0/0")
    next(gen)
    assert bytes(proto.out) == m.query(b"START_REPLICATION SLOT s LOGICAL 0/0")
    feed(proto, b"W\x00\x00\x00\x07\x00\x00\x00")
    with pytest.raises(StopIteration):
        next(gen)


# --- pgoutput -------------------------------------------------------------------------------


def cstr(text: str) -> bytes:
    return text.encode() + b"\x00"


def relation_msg(relid: int = 16384, xid: bytes = b"") -> bytes:
    cols = [(1, "id", 23, -1), (0, "name", 25, -1)]
    body = b"R" + xid + struct.pack("!I", relid) + cstr("public") + cstr("t") + b"d"
    body += struct.pack("!h", len(cols))
    for flags, name, oid, typmod in cols:
        body += bytes([flags]) + cstr(name) + struct.pack("!Ii", oid, typmod)
    return body


def tuple_data(*values: bytes | None | str) -> bytes:
    out = struct.pack("!h", len(values))
    for v in values:
        if v is None:
            out += b"n"
        elif v == "u":
            out += b"u"
        elif isinstance(v, str):
            out += b"b" + struct.pack("!i", len(v)) + v.encode()
        else:
            out += b"t" + struct.pack("!i", len(v)) + v
    return out


def loaders(oids: list[int], formats: list[int]) -> list:
    def make(oid: int, fmt: int):
        if oid == 23 and fmt == 0:
            return lambda b: int(b)
        if oid == 23:
            return lambda b: int.from_bytes(b, "big", signed=True)
        return lambda b: ("bin:" if fmt else "") + b.decode()

    return [make(o, f) for o, f in zip(oids, formats, strict=True)]


def decoder() -> po.PgOutputDecoder:
    return po.PgOutputDecoder(loaders)


def test_pgoutput_transaction() -> None:
    d = decoder()
    begin = d.decode(b"B" + struct.pack("!QqI", 0x900, TS, 777), 0x800)
    assert begin == po.Begin(lsn=0x800, final_lsn=0x900, commit_time=TS_DATE, xid=777)
    rel = d.decode(relation_msg(), 0)
    assert isinstance(rel, po.Relation) and rel.column_names == ("id", "name")
    assert rel.columns[0].key and not rel.columns[1].key
    ins = d.decode(b"I" + struct.pack("!I", 16384) + b"N" + tuple_data(b"42", b"x y"), 0x810)
    assert ins == po.Insert(lsn=0x810, relation=rel, new=(42, "x y"))
    assert ins.as_dict(ins.new) == {"id": 42, "name": "x y"}
    upd = d.decode(
        b"U"
        + struct.pack("!I", 16384)
        + b"K"
        + tuple_data(b"42", None)
        + b"N"
        + tuple_data("\x00\x00\x00\x2b", "u"),
        0x820,
    )
    assert upd == po.Update(
        lsn=0x820, relation=rel, old=(42, None), old_kind="K", new=(43, po.UNCHANGED_TOAST)
    )
    upd2 = d.decode(b"U" + struct.pack("!I", 16384) + b"N" + tuple_data(b"1", b"a"), 0x830)
    assert upd2.old is None and upd2.old_kind is None
    dele = d.decode(b"D" + struct.pack("!I", 16384) + b"O" + tuple_data(b"1", b"a"), 0x840)
    assert dele == po.Delete(lsn=0x840, relation=rel, old=(1, "a"), old_kind="O")
    trunc = d.decode(b"T" + struct.pack("!IBI", 1, 3, 16384), 0x850)
    assert trunc == po.Truncate(lsn=0x850, relations=(rel,), cascade=True, restart_identity=True)
    commit = d.decode(b"C" + struct.pack("!BQQq", 0, 0x900, 0x950, TS), 0x950)
    assert commit == po.Commit(
        lsn=0x950, flags=0, commit_lsn=0x900, end_lsn=0x950, commit_time=TS_DATE
    )


def test_pgoutput_misc_messages() -> None:
    d = decoder()
    assert d.decode(b"O" + struct.pack("!Q", 5) + cstr("node1"), 1) == po.Origin(
        lsn=1, origin_lsn=5, name="node1"
    )
    assert d.decode(b"Y" + struct.pack("!I", 99) + cstr("s") + cstr("mood"), 1) == po.Type(
        lsn=1, type_oid=99, namespace="s", name="mood"
    )
    msg = d.decode(b"M\x01" + struct.pack("!Q", 7) + cstr("pre") + struct.pack("!i", 3) + b"abc", 2)
    assert msg == po.Message(lsn=2, transactional=True, message_lsn=7, prefix="pre", content=b"abc")


def test_pgoutput_streamed_transaction() -> None:
    d = decoder()
    xid = struct.pack("!I", 900)
    assert d.decode(b"S" + xid + b"\x01", 1) == po.StreamStart(lsn=1, xid=900, first_segment=True)
    rel = d.decode(relation_msg(xid=xid), 0)
    assert rel.xid == 900
    ins = d.decode(b"I" + xid + struct.pack("!I", 16384) + b"N" + tuple_data(b"1", None), 2)
    assert ins.xid == 900 and ins.new == (1, None)
    assert d.decode(b"E", 3) == po.StreamStop(lsn=3)
    assert d.decode(b"A" + xid + struct.pack("!I", 901), 4) == po.StreamAbort(
        lsn=4, xid=900, subxid=901
    )
    assert d.decode(b"A" + xid + struct.pack("!IQq", 900, 0x70, TS), 4) == po.StreamAbort(
        lsn=4, xid=900, subxid=900, abort_lsn=0x70, abort_time=TS_DATE
    )
    assert d.decode(b"c" + xid + struct.pack("!BQQq", 0, 5, 6, TS), 6) == po.StreamCommit(
        lsn=6, xid=900, flags=0, commit_lsn=5, end_lsn=6, commit_time=TS_DATE
    )
    # Outside a stream block no xid is read.
    assert d.decode(b"I" + struct.pack("!I", 16384) + b"N" + tuple_data(b"2", b"b"), 7).xid is None


def test_pgoutput_two_phase() -> None:
    d = decoder()
    gid = cstr("tx1")
    assert d.decode(b"b" + struct.pack("!QQqI", 1, 2, TS, 9) + gid, 1) == po.BeginPrepare(
        lsn=1, prepare_lsn=1, end_lsn=2, prepare_time=TS_DATE, xid=9, gid="tx1"
    )
    fields = struct.pack("!BQQqI", 0, 1, 2, TS, 9) + gid
    assert d.decode(b"P" + fields, 2) == po.Prepare(
        lsn=2, flags=0, prepare_lsn=1, end_lsn=2, prepare_time=TS_DATE, xid=9, gid="tx1"
    )
    assert type(d.decode(b"p" + fields, 2)) is po.StreamPrepare
    assert d.decode(b"K" + fields, 3) == po.CommitPrepared(
        lsn=3, flags=0, commit_lsn=1, end_lsn=2, commit_time=TS_DATE, xid=9, gid="tx1"
    )
    assert d.decode(b"r" + struct.pack("!BQQqqI", 0, 1, 2, TS, TS, 9) + gid, 4) == (
        po.RollbackPrepared(
            lsn=4,
            flags=0,
            prepare_end_lsn=1,
            rollback_end_lsn=2,
            prepare_time=TS_DATE,
            rollback_time=TS_DATE,
            xid=9,
            gid="tx1",
        )
    )


def test_pgoutput_without_loaders_keeps_bytes() -> None:
    d = po.PgOutputDecoder()
    d.decode(relation_msg(), 0)
    ins = d.decode(b"I" + struct.pack("!I", 16384) + b"N" + tuple_data(b"1", "b"), 1)
    assert ins.new == (b"1", b"b")


VALID = [
    b"B" + struct.pack("!QqI", 1, TS, 2),
    b"C" + struct.pack("!BQQq", 0, 1, 2, TS),
    b"I" + struct.pack("!I", 16384) + b"N" + tuple_data(b"42", b"x"),
    b"U" + struct.pack("!I", 16384) + b"O" + tuple_data(b"1", b"a") + b"N" + tuple_data(b"2", None),
    b"D" + struct.pack("!I", 16384) + b"K" + tuple_data(b"1", None),
    b"T" + struct.pack("!IBI", 1, 0, 16384),
    b"M\x00" + struct.pack("!Q", 7) + cstr("p") + struct.pack("!i", 2) + b"hi",
    b"b" + struct.pack("!QQqI", 1, 2, TS, 9) + cstr("g"),
]


@pytest.mark.parametrize("message", VALID)
def test_pgoutput_truncated_or_padded_raises(message: bytes) -> None:
    d = decoder()
    d.decode(relation_msg(), 0)
    d.decode(message, 1)  # whole: fine
    for cut in range(1, len(message)):
        with pytest.raises(InterfaceError):
            d.decode(message[:cut], 1)
    with pytest.raises(InterfaceError):
        d.decode(message + b"\x00", 1)


def test_pgoutput_unknown_and_orphans() -> None:
    d = decoder()
    for bad in (b"", b"?", b"I" + struct.pack("!I", 5) + b"N" + tuple_data(b"1")):
        with pytest.raises(InterfaceError):
            d.decode(bad, 0)
    d.decode(relation_msg(), 0)
    with pytest.raises(InterfaceError, match="columns"):
        d.decode(b"I" + struct.pack("!I", 16384) + b"N" + tuple_data(b"1"), 0)
    with pytest.raises(InterfaceError, match="kind"):
        d.decode(b"I" + struct.pack("!I", 16384) + b"N" + b"\x00\x02x" + b"n", 0)


@settings(max_examples=300)
@given(st.sampled_from(VALID), st.binary(max_size=40), st.integers(min_value=0, max_value=60))
def test_pgoutput_fuzz_raises_only_interface_errors(base: bytes, noise: bytes, at: int) -> None:
    d = decoder()
    d.decode(relation_msg(), 0)
    data = base[:at] + noise + base[at + len(noise) :]
    try:
        msg = d.decode(data, 1)
    except InterfaceError:
        return
    assert isinstance(msg, po.PgOutputMessage)
