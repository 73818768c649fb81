"""Streaming replication, sans I/O: the COPY BOTH sub-protocol of a walsender.

After ``START_REPLICATION`` the server answers CopyBothResponse and both sides
exchange CopyData messages whose first byte tells their kind: the server sends
XLogData (``w``: WAL, or the output of a logical decoding plugin) and primary
keepalives (``k``); the client sends standby status updates (``r``: the WAL
positions written, flushed and applied).  Either side ends the stream with
CopyDone.

:func:`start_replication` runs the command until the stream is open;
:class:`ReplicationState` then frames what arrives, tracks the positions and
says when a status update is due.  Times are handed in by the caller (this
module never reads a clock): ``now`` values are seconds on any monotonic
clock, ``clock`` values the wall-clock time in seconds since the Unix epoch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from struct import Struct

from . import messages as m
from .buffer import ProtocolViolation
from .copy_ops import copy_start
from .core import PGGen, Protocol
from .sqltext import quote_ident, quote_literal

XLOG_DATA = ord("w")
PRIMARY_KEEPALIVE = ord("k")
STANDBY_STATUS_UPDATE = b"r"

PG_EPOCH = datetime(2000, 1, 1, tzinfo=timezone.utc)
"""The origin of the server's timestamps (microseconds since then)."""

_UNIX_TO_PG_EPOCH = 946_684_800  # seconds from 1970-01-01 to 2000-01-01

_xlog_header = Struct("!QQq")
_keepalive = Struct("!QqB")
_status_update = Struct("!cQQQqB")
_LSN_TEXT = re.compile(r"([0-9A-Fa-f]{1,8})/([0-9A-Fa-f]{1,8})")


def parse_lsn(text: str) -> int:
    """The WAL position written as ``XXXXXXXX/XXXXXXXX`` (as the server shows it), as an int."""
    match = _LSN_TEXT.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"invalid LSN: {text!r}")
    return (int(match.group(1), 16) << 32) | int(match.group(2), 16)


def format_lsn(lsn: int) -> str:
    """An int WAL position in the server's ``XXXXXXXX/XXXXXXXX`` notation."""
    if not 0 <= lsn < 1 << 64:
        raise ValueError(f"invalid LSN: {lsn}")
    return f"{lsn >> 32:X}/{lsn & 0xFFFFFFFF:X}"


def pg_timestamp(micros: int) -> datetime:
    """A server timestamp (microseconds since 2000-01-01 UTC) as an aware datetime."""
    try:
        return PG_EPOCH + timedelta(microseconds=micros)
    except OverflowError:
        return (datetime.max if micros > 0 else datetime.min).replace(tzinfo=timezone.utc)


def pg_clock(clock: float) -> int:
    """Unix-epoch seconds as the server's clock: microseconds since 2000-01-01."""
    return int((clock - _UNIX_TO_PG_EPOCH) * 1_000_000)


@dataclass(frozen=True, slots=True)
class XLogData:
    """A chunk of WAL (physical) or one message of the decoding plugin (logical)."""

    data_start: int
    """The WAL position where the data starts (for logical: the change's LSN)."""
    wal_end: int
    """The end of the WAL the server had at the time."""
    send_clock: int
    """When the server sent it, in microseconds since 2000-01-01 UTC (see ``send_time``)."""
    data: bytes
    """The WAL bytes or the plugin's message."""

    @property
    def send_time(self) -> datetime:
        """When the server sent it."""
        return pg_timestamp(self.send_clock)

    @property
    def lsn(self) -> int:
        """The position to acknowledge once this message is processed."""
        return self.data_start


@dataclass(frozen=True, slots=True)
class PrimaryKeepalive:
    """The server's heartbeat; it may ask for an immediate status update."""

    wal_end: int
    send_clock: int
    """When the server sent it, in microseconds since 2000-01-01 UTC."""
    reply_requested: bool


def parse_copy_both(data: bytes, start: int, end: int) -> XLogData | PrimaryKeepalive:
    """Decode the payload of one CopyData received during replication."""
    if end <= start:
        raise ProtocolViolation("empty CopyData in the replication stream")
    kind = data[start]
    if kind == XLOG_DATA:
        if end - start < 1 + _xlog_header.size:
            raise ProtocolViolation("truncated XLogData message")
        data_start, wal_end, sent = _xlog_header.unpack_from(data, start + 1)
        payload = bytes(data[start + 1 + _xlog_header.size : end])
        return XLogData(data_start, wal_end, sent, payload)
    if kind == PRIMARY_KEEPALIVE:
        if end - start != 1 + _keepalive.size:
            raise ProtocolViolation("malformed primary keepalive message")
        wal_end, sent, reply = _keepalive.unpack_from(data, start + 1)
        return PrimaryKeepalive(wal_end, sent, bool(reply))
    raise ProtocolViolation(f"unknown replication message type {chr(kind)!r}")


def standby_status_update(write: int, flush: int, apply: int, clock: int, reply: bool) -> bytes:
    """The CopyData message of a standby status update (positions, server-epoch clock)."""
    return m.copy_data(
        _status_update.pack(STANDBY_STATUS_UPDATE, write, flush, apply, clock, reply)
    )


def start_replication_command(
    slot_name: str | None,
    physical: bool,
    start_lsn: int,
    timeline: int = 0,
    options: dict[str, str] | None = None,
) -> bytes:
    """The text of START_REPLICATION (identifiers and values quoted here)."""
    parts = ["START_REPLICATION"]
    if slot_name is not None:
        parts.append("SLOT " + quote_ident(slot_name))
    parts.append("PHYSICAL" if physical else "LOGICAL")
    parts.append(format_lsn(start_lsn))
    if physical:
        if timeline:
            parts.append(f"TIMELINE {int(timeline)}")
    elif options:
        parts.append(
            "("
            + ", ".join(f"{quote_ident(k)} {quote_literal(v)}" for k, v in options.items())
            + ")"
        )
    return " ".join(parts).encode()




@dataclass
class ReplicationState:
    """What the client knows of a running stream: positions, timers, its end.

    ``received`` is the furthest WAL position seen, ``flushed`` the one the
    consumer acknowledged; status updates report them.  With ``logical`` and
    ``idle_advance``, a keepalive received while everything delivered is
    acknowledged and no transaction is open moves ``flushed`` to the
    server's position: the WAL in between held nothing for this consumer,
    and the server may recycle it.
    """

    logical: bool
    status_interval: float
    idle_advance: bool = True
    received: int = 0
    flushed: int = 0
    delivered: int = 0
    in_transaction: bool = False
    next_status: float = 0.0
    reply_now: bool = False
    client_done: bool = False
    server_done: bool = False
    finished: bool = False
    command_tag: str | None = None
    error: BaseException | None = None

    def start(self, start_lsn: int, now: float) -> None:
        """Note the stream opened at ``start_lsn``."""
        self.received = max(self.received, start_lsn)
        self.flushed = max(self.flushed, start_lsn)
        self.delivered = self.flushed
        self.next_status = now + self.status_interval

    def note(self, msg: XLogData | PrimaryKeepalive) -> None:
        """Account for a message received (positions, requests for a reply)."""
        if isinstance(msg, XLogData):
            end = msg.data_start if self.logical else msg.data_start + len(msg.data)
            self.received = max(self.received, end, msg.wal_end if not self.logical else 0)
            self.delivered = max(self.delivered, msg.data_start)
            return
        self.received = max(self.received, msg.wal_end)
        if (
            self.logical
            and self.idle_advance
            and not self.in_transaction
            and self.flushed >= self.delivered
            and msg.wal_end > self.flushed
        ):
            self.flushed = self.delivered = msg.wal_end
        if msg.reply_requested:
            self.reply_now = True

    def ack(self, lsn: int) -> None:
        """The consumer has processed everything up to ``lsn``."""
        if not 0 <= lsn < 1 << 64:
            raise ValueError(f"invalid LSN: {lsn}")
        if lsn > self.flushed:
            self.flushed = lsn
        self.received = max(self.received, self.flushed)
        self.reply_now = True

    def due_in(self, now: float) -> float:
        """Seconds until a status update is due (0: now)."""
        if self.reply_now:
            return 0.0
        return max(0.0, self.next_status - now)

    def status_update(self, now: float, clock: float, reply: bool = False) -> bytes:
        """The status update to send now; restarts the timer."""
        self.reply_now = False
        self.next_status = now + self.status_interval
        return standby_status_update(
            self.received, self.flushed, self.flushed, pg_clock(clock), reply
        )


def start_replication(proto: Protocol, command: bytes) -> PGGen:
    """Send START_REPLICATION; return once the stream is open.

    An error (no such slot, a bad option) is raised once the session is back
    in sync; a command that answers without streaming raises
    ProgrammingError.
    """
    return copy_start(proto, command, both=True)


def read_message(proto: Protocol, state: ReplicationState) -> XLogData | None:
    """The next XLogData buffered, handling keepalives and the stream's end; None if none.

    Never waits: returns None when nothing more is buffered, or once the
    stream is over (``state.finished``: the session is back in sync, a
    server error then in ``state.error``).  Bytes that break the protocol
    raise ProtocolViolation and mark the session closed.
    """
    buf = proto.buf
    try:
        while True:
            mtype = buf.next_message()
            if mtype < 0:
                return None
            if mtype == m.COPY_DATA:
                msg = parse_copy_both(buf.data, buf.start, buf.end)
                if state.client_done:
                    continue  # the consumer stopped: the rest comes again next time
                state.note(msg)
                if isinstance(msg, XLogData):
                    return msg
            elif mtype == m.COPY_DONE:
                state.server_done = True
                if not state.client_done:
                    state.client_done = True
                    proto.send(m.COPY_DONE_MSG)
            elif mtype == m.COMMAND_COMPLETE:
                state.command_tag = m.parse_command_complete(buf.data, buf.start, buf.end)
            elif mtype in (m.ROW_DESCRIPTION, m.DATA_ROW):
                pass  # the next timeline, after a physical stream reached a switch
            elif mtype == m.ERROR_RESPONSE:
                exc = proto.server_error()
                state.server_done = True
                state.error = state.error or exc
                if proto.closed:
                    raise exc
            elif mtype == m.READY_FOR_QUERY:
                proto.ready()
                state.server_done = state.client_done = state.finished = True
                return None
            elif not proto.handle_async(mtype):
                raise proto.unexpected(mtype)
    except ProtocolViolation:
        proto.closed = True
        raise


def stop(proto: Protocol, state: ReplicationState) -> None:
    """Queue CopyDone, ending the stream from the client's side (idempotent)."""
    if not state.client_done:
        state.client_done = True
        proto.send(m.COPY_DONE_MSG)


__all__ = [
    "PG_EPOCH",
    "PrimaryKeepalive",
    "ReplicationState",
    "XLogData",
    "format_lsn",
    "parse_copy_both",
    "parse_lsn",
    "pg_clock",
    "pg_timestamp",
    "read_message",
    "standby_status_update",
    "start_replication",
    "start_replication_command",
    "stop",
]
