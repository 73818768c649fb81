"""Replication streams: logical (``pgoutput`` decoded) and physical, blocking and asyncio.

Connect with ``replication="database"`` (logical) or ``replication="true"``
(physical); replication commands (``IDENTIFY_SYSTEM``,
``CREATE_REPLICATION_SLOT``, ...) then run with ``conn.execute()`` and
return rows.  ``conn.start_replication(...)`` opens the stream::

    with conn.start_replication("my_slot", publication_names=["my_pub"]) as stream:
        for msg in stream:
            if isinstance(msg, replication.Insert):
                print(msg.relation.name, msg.as_dict(msg.new))
            elif isinstance(msg, replication.Commit):
                stream.ack(msg)     # never delivered again

Delivery is at least once: whatever was not acknowledged when the consumer
stopped (or crashed) is delivered again by the next stream started from the
slot; a transaction whose Commit was acknowledged never is.  The stream
sends standby status updates every ``status_interval`` seconds and at once
when the server asks; while the consumer is away with a message, a keeper
(a thread for the blocking stream, an event loop timer for asyncio) goes on
sending them, so a slow consumer is not cut off by ``wal_sender_timeout``.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import AsyncIterator, Generator, Iterator, Sequence
from contextlib import contextmanager
from types import TracebackType
from typing import TYPE_CHECKING, Any

from ._flow import Call, FlowGen, arun, run
from .conninfo import replication_mode
from .drivers import blocking
from .errors import Error, ProgrammingError
from .protocol import replication as pr
from .protocol.buffer import ProtocolViolation
from .protocol.pgoutput import (
    UNCHANGED_TOAST,
    Begin,
    BeginPrepare,
    Change,
    Commit,
    CommitPrepared,
    Delete,
    Insert,
    Message,
    Origin,
    PgOutputDecoder,
    PgOutputMessage,
    Prepare,
    Relation,
    RelationColumn,
    RollbackPrepared,
    StreamAbort,
    StreamCommit,
    StreamPrepare,
    StreamStart,
    StreamStop,
    Truncate,
    Type,
    Update,
)
from .protocol.replication import XLogData, format_lsn, parse_lsn
from .protocol.sqltext import quote_ident
from .types import Transformer

if TYPE_CHECKING:
    from .aio import AsyncConnection
    from .connection import Connection

DEFAULT_STATUS_INTERVAL = 10.0
"""Seconds between standby status updates (as pg_recvlogical)."""

_MIN_CHECK = 0.01
"""Shortest pause of the status keeper, in seconds."""

_BUSY_CHECK = 0.1
"""Pause of the status keeper while the consumer is in the stream, at least."""

_END: Any = object()

# Messages after which no transaction is open (for the idle advance of the slot).
_CLOSING = (Commit, Prepare, RollbackPrepared, StreamAbort)


def _flag(value: bool | str) -> str:
    if isinstance(value, str):
        return value
    return "true" if value else "false"


def default_proto_version(server_version: int) -> int:
    """The highest pgoutput protocol version the server speaks."""
    if server_version >= 160000:
        return 4
    if server_version >= 150000:
        return 3
    if server_version >= 140000:
        return 2
    return 1


def pgoutput_options(
    server_version: int,
    publication_names: Sequence[str],
    proto_version: int | None = None,
    streaming: bool | str | None = None,
    messages: bool | None = None,
    binary: bool | None = None,
    two_phase: bool | None = None,
    origin: str | None = None,
) -> dict[str, str]:
    """The START_REPLICATION options of ``pgoutput``; bad combinations raise ProgrammingError."""
    if isinstance(publication_names, str):
        publication_names = [publication_names]
    if not publication_names:
        raise ProgrammingError("pgoutput needs publication_names")
    version = default_proto_version(server_version) if proto_version is None else proto_version
    need = {"streaming": 2, "two_phase": 3}
    if streaming == "parallel":
        need["streaming"] = 4
    for name, value in (("streaming", streaming), ("two_phase", two_phase)):
        if value and version < need[name]:
            raise ProgrammingError(f"{name} needs pgoutput proto_version {need[name]} or later")
    options = {
        "proto_version": str(version),
        "publication_names": ",".join(quote_ident(p) for p in publication_names),
    }
    if streaming is not None:
        options["streaming"] = (
            streaming if isinstance(streaming, str) else ("on" if streaming else "off")
        )
    for name, value in (("messages", messages), ("binary", binary), ("two_phase", two_phase)):
        if value is not None:
            options[name] = _flag(value)
    if origin is not None:
        options["origin"] = origin
    return options


class BaseReplicationStream:
    """The stream's logic, shared by the blocking and the asyncio stream.

    Nothing here waits: :meth:`_next_flow` is a flow (a generator yielding
    the seconds it may wait for input) that the concrete stream runs with
    its driver; starting, taking a message and stopping are flows of
    :mod:`pgwire._flow` around it, which the concrete stream runs with
    ``run`` or ``arun``.
    """

    def __init__(
        self,
        conn: Any,
        slot_name: str | None = None,
        *,
        physical: bool | None = None,
        start_lsn: int | str = 0,
        timeline: int = 0,
        publication_names: Sequence[str] | None = None,
        proto_version: int | None = None,
        streaming: bool | str | None = None,
        messages: bool | None = None,
        binary: bool | None = None,
        two_phase: bool | None = None,
        origin: str | None = None,
        options: dict[str, str] | None = None,
        decode: bool = True,
        status_interval: float = DEFAULT_STATUS_INTERVAL,
        idle_advance: bool = True,
    ) -> None:
        """Prepare the stream of ``slot_name`` on the replication connection ``conn``.

        ``physical`` (default: what the connection is for) streams WAL
        from ``start_lsn`` on ``timeline`` (0: the server's current one);
        ``slot_name`` may then be None.  A logical stream needs the slot
        and, to decode ``pgoutput``, ``publication_names``; the other
        pgoutput options (``proto_version``, default the server's highest;
        ``streaming`` True or "parallel"; ``messages``; ``binary``;
        ``two_phase``; ``origin``) are sent when given, ``options`` as they
        are (for another plugin, with ``decode=False``: the messages are
        then the raw :class:`XLogData`).  Status updates go out every
        ``status_interval`` seconds; with ``idle_advance`` the slot moves
        on over WAL that brought nothing while everything delivered is
        acknowledged.  Mistakes raise ProgrammingError before anything is
        sent.
        """
        mode = conn._params.server_settings.get("replication")
        kind = None if mode is None else replication_mode(mode)
        if kind is None:
            raise ProgrammingError(
                "start_replication needs a replication connection (replication=database or true)"
            )
        if physical is None:
            physical = kind == "physical"
        if not physical and kind != "logical":
            raise ProgrammingError("logical replication needs replication=database")
        if not physical and slot_name is None:
            raise ProgrammingError("logical replication needs a slot_name")
        if not physical and getattr(conn, "_logical_streamed", False):
            # The server would end a second logical stream on the same session at once.
            raise ProgrammingError(
                "a logical stream ran on this connection already: open a new connection"
            )
        if status_interval <= 0:
            raise ProgrammingError("status_interval must be positive")
        lsn = parse_lsn(start_lsn) if isinstance(start_lsn, str) else int(start_lsn)
        plugin: dict[str, str] = {}
        self._decoder: PgOutputDecoder | None = None
        if not physical:
            if publication_names is not None or decode:
                if publication_names is None:
                    raise ProgrammingError(
                        "decoding pgoutput needs publication_names (or decode=False and options)"
                    )
                plugin = pgoutput_options(
                    conn.info.server_version,
                    publication_names,
                    proto_version,
                    streaming,
                    messages,
                    binary,
                    two_phase,
                    origin,
                )
            plugin.update(options or {})
            if decode:
                tx = Transformer(conn.adapt_context)
                self._decoder = PgOutputDecoder(tx.column_loaders, conn.adapt_context.encoding)
        self._conn = conn
        self._chan = conn._chan
        self._proto = conn._proto
        self.physical = physical
        self._command = pr.start_replication_command(slot_name, physical, lsn, timeline, plugin)
        self._start_lsn = lsn
        self._state = pr.ReplicationState(not physical, status_interval, idle_advance)
        self._open = False
        # Held while the consumer runs the stream; the status keeper only
        # acts while nobody holds it (the consumer away with a message).
        self._busy = threading.Lock()
        self._stopped = threading.Event()
        self._timer: Any = None

    @property
    def command(self) -> bytes:
        """The START_REPLICATION command sent."""
        return self._command

    @property
    def received_lsn(self) -> int:
        """The furthest WAL position received (reported as written)."""
        return self._state.received

    @property
    def flushed_lsn(self) -> int:
        """The position acknowledged (reported as flushed and applied)."""
        return self._state.flushed

    @property
    def closed(self) -> bool:
        """True once the stream has ended (stopped by either side, or the connection lost)."""
        return self._state.finished or self._conn.closed

    @property
    def command_tag(self) -> str | None:
        """The server's CommandComplete tag once the stream has ended."""
        return self._state.command_tag

    def fileno(self) -> int:
        """The connection's socket, for select() and selectors."""
        return self._chan.fileno()  # type: ignore[no-any-return]

    def status_due_in(self) -> float:
        """Seconds until the next status update is due: the longest to wait in select()."""
        return self._state.due_in(time.monotonic())

    def ack(self, lsn: int | str | PgOutputMessage | XLogData) -> None:
        """Acknowledge everything up to ``lsn`` (or a message's ``lsn``) as processed.

        The server is told at once (without waiting) and will not deliver it
        again, even to a new stream on the slot.  Acknowledge a Commit to
        have its whole transaction done.
        """
        if isinstance(lsn, str):
            lsn = parse_lsn(lsn)
        elif not isinstance(lsn, int):
            lsn = lsn.lsn
        if self.closed:
            raise ProgrammingError("the replication stream has ended")
        with self._busy:
            self._state.ack(lsn)
            self._send_status()
            if self._chan.wants_write:
                self._chan.send_some()

    def _keep_status(self) -> float | None:
        """Send a status update that is due while the consumer is away from the stream.

        Returns the seconds until the next check, or None once there is
        nothing more to keep (the stream or the connection has ended).
        """
        state = self._state
        if not self._busy.acquire(blocking=False):
            # The consumer is in the stream and sends them itself; look again when due.
            return max(state.due_in(time.monotonic()), _BUSY_CHECK)
        try:
            if not self._open or state.client_done or self._chan.closed:
                return None
            if state.due_in(time.monotonic()) <= 0:
                self._send_status()
                self._chan.send_some()
            return max(state.due_in(time.monotonic()), _MIN_CHECK)
        except Error:
            return None  # the connection is lost: the consumer will hear of it
        finally:
            self._busy.release()

    # --- flows -------------------------------------------------------------------------

    def _start_gen(self) -> Any:
        self._conn._check_open()
        return pr.start_replication(self._proto, self._command)

    def _started(self) -> None:
        self._open = True
        self._conn._copying = True
        if not self.physical:
            self._conn._logical_streamed = True
        self._state.start(self._start_lsn, time.monotonic())

    def _send_status(self, reply: bool = False) -> None:
        state = self._state
        if not state.client_done:
            self._proto.send(state.status_update(time.monotonic(), time.time(), reply))

    def _next_flow(self) -> Generator[float | None, None, Any]:
        """The next message of the stream, or _END once it has ended."""
        state = self._state
        proto = self._proto
        while True:
            if state.due_in(time.monotonic()) <= 0:
                self._send_status()
            xlog = pr.read_message(proto, state)
            if xlog is not None:
                return self._deliver(xlog)
            if state.finished:
                self._finish()
                if state.error is not None:
                    error, state.error = state.error, None
                    raise error
                return _END
            yield None if state.client_done else state.due_in(time.monotonic())

    def _deliver(self, xlog: XLogData) -> Any:
        decoder = self._decoder
        if decoder is None:
            return xlog
        try:
            msg = decoder.decode(xlog.data, xlog.data_start)
        except ProtocolViolation:
            self._proto.closed = True
            raise
        if isinstance(msg, (Begin, BeginPrepare)):
            self._state.in_transaction = True
        elif isinstance(msg, _CLOSING):
            self._state.in_transaction = False
        return msg

    def _stop_flow(self) -> Generator[float | None, None, Any]:
        """End the stream: status update, CopyDone, then read up to the server's end."""
        state = self._state
        if not state.client_done:
            self._send_status()
            pr.stop(self._proto, state)
        # Once stopped, what still arrives is read and dropped up to the end.
        yield from self._next_flow()

    def _finish(self) -> None:
        if self._open:
            self._open = False
            self._conn._copying = False
        self._stopped.set()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _abandon(self) -> None:
        """After a failure: the connection goes (it is mid-stream, with no way back)."""
        self._finish()
        self._conn._close()

    def _drive(self, flow: Generator[float | None, None, Any], block: bool) -> Any:
        """Step: run ``flow`` on the stream's channel, holding the stream."""
        raise NotImplementedError

    def _start_flow(self) -> FlowGen[None]:
        """start(): START_REPLICATION sent, and the server streaming."""
        conn = self._conn
        yield Call(conn._settle_now)
        yield Call(conn._run, self._start_gen())
        self._started()

    def _message_flow(self, block: bool) -> FlowGen[Any]:
        """The next message; _END once the stream is over, WOULD_BLOCK if none and not ``block``."""
        if self._state.finished:
            return _END
        try:
            return (yield Call(self._drive, self._next_flow(), block))
        except BaseException:
            if self._conn.closed:
                self._finish()
            raise

    def _stop_stream_flow(self) -> FlowGen[None]:
        """stop(): CopyDone both ways, and what still arrives read to the end."""
        if self._state.finished or self._conn.closed:
            self._finish()
            return
        try:
            yield Call(self._drive, self._stop_flow(), True)
        except BaseException:
            if not self._state.finished:
                self._abandon()
            raise
        finally:
            self._finish()


class ReplicationStream(BaseReplicationStream):
    """A replication stream on a blocking connection: iterate it for the messages."""

    _conn: Connection

    def start(self) -> ReplicationStream:
        """Send START_REPLICATION and wait until the server streams."""
        with self._conn._lock:
            run(self._start_flow())
        threading.Thread(
            target=_keep_status_thread,
            args=(weakref.ref(self), self._stopped, self._state.status_interval),
            name="pgwire-replication-status",
            daemon=True,
        ).start()
        return self

    def __enter__(self) -> ReplicationStream:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __iter__(self) -> Iterator[Any]:
        return self

    def __next__(self) -> Any:
        msg = run(self._message_flow(True))
        if msg is _END:
            raise StopIteration
        return msg

    def read_message(self) -> Any:
        """The next message if one can be had without waiting, else None (never blocks).

        Also sends the status updates that are due.  At the end of the
        stream it returns None and ``closed`` is True.
        """
        msg = run(self._message_flow(False))
        return None if msg is _END or msg is blocking.WOULD_BLOCK else msg

    def _drive(self, flow: Generator[float | None, None, Any], block: bool) -> Any:
        with self._busy:
            return blocking.drive(self._chan, flow, block)

    def stop(self) -> None:
        """End the stream (CopyDone both ways); unacknowledged messages come again next time.

        The connection is then free for commands again.
        """
        run(self._stop_stream_flow())


class AsyncReplicationStream(BaseReplicationStream):
    """A replication stream on an asyncio connection: ``async for msg in stream``."""

    _conn: AsyncConnection

    async def start(self) -> AsyncReplicationStream:
        """Send START_REPLICATION and wait until the server streams."""
        async with self._conn._alock:
            await arun(self._start_flow())
        import asyncio  # not at the top: ``import pgwire`` loads no asyncio

        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(
            self._state.status_interval, _keep_status_tick, weakref.ref(self), loop
        )
        return self

    async def __aenter__(self) -> AsyncReplicationStream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def __aiter__(self) -> AsyncIterator[Any]:
        return self

    async def __anext__(self) -> Any:
        msg = await arun(self._message_flow(True))
        if msg is _END:
            raise StopAsyncIteration
        return msg

    def read_message(self) -> Any:
        """The next message if one can be had without waiting, else None (never blocks)."""
        if self._state.finished:
            return None
        with self._claim():
            msg = blocking.drive(self._chan, self._next_flow(), False)
        return None if msg is _END or msg is blocking.WOULD_BLOCK else msg

    @contextmanager
    def _claim(self) -> Iterator[None]:
        """Hold the stream while a coroutine uses it.

        The status keeper runs on the same loop and never holds it across
        an await: held here means another task is in the stream.
        """
        if not self._busy.acquire(blocking=False):
            raise ProgrammingError("another task is using this replication stream")
        try:
            yield
        finally:
            self._busy.release()

    async def stop(self) -> None:
        """End the stream (CopyDone both ways); unacknowledged messages come again next time."""
        await arun(self._stop_stream_flow())

    async def _drive(self, flow: Generator[float | None, None, Any], block: bool) -> Any:
        # Always waits: an asyncio stream reads without waiting in read_message().
        from .drivers import eventloop

        with self._claim():
            return await eventloop.drive(self._chan, flow)


def _keep_status_thread(
    ref: weakref.ReferenceType[BaseReplicationStream], stopped: threading.Event, delay: float
) -> None:
    """The blocking stream's status keeper: a thread living as long as the stream."""
    next_check: float | None = delay
    while next_check is not None and not stopped.wait(next_check):
        stream = ref()
        next_check = None if stream is None else stream._keep_status()
        del stream


def _keep_status_tick(ref: weakref.ReferenceType[Any], loop: Any) -> None:
    """The asyncio stream's status keeper: a timer of the event loop."""
    stream = ref()
    if stream is None:
        return
    stream._timer = None
    delay = stream._keep_status()
    if delay is not None:
        stream._timer = loop.call_later(delay, _keep_status_tick, ref, loop)


__all__ = [
    "UNCHANGED_TOAST",
    "AsyncReplicationStream",
    "Begin",
    "BeginPrepare",
    "Change",
    "Commit",
    "CommitPrepared",
    "Delete",
    "Insert",
    "Message",
    "Origin",
    "PgOutputMessage",
    "Prepare",
    "Relation",
    "RelationColumn",
    "ReplicationStream",
    "RollbackPrepared",
    "StreamAbort",
    "StreamCommit",
    "StreamPrepare",
    "StreamStart",
    "StreamStop",
    "Truncate",
    "Type",
    "Update",
    "XLogData",
    "default_proto_version",
    "format_lsn",
    "parse_lsn",
    "pgoutput_options",
]
