"""Pipeline mode: statements sent one after the other, their results read later.

Inside ``with conn.pipeline():`` a cursor's ``execute()`` only queues the
statement's extended-protocol messages (no Sync) and returns.  Results are
read when a cursor needs one (a Flush, then the answers up to that
statement), when ``sync()`` is called, or when the block ends (a Sync, then
everything up to its ReadyForQuery).  After a failed statement the server
skips the rest until the next Sync: those statements raise
:class:`~pgwire.errors.PipelineAborted`.

Nothing here waits: :class:`PipelineState` builds the operations and the
flows (:mod:`pgwire._flow`), which the blocking and the asyncio pipelines run.
"""

from __future__ import annotations

import weakref
from collections import deque
from collections.abc import Callable
from typing import Any

from ._flow import Call, FlowGen
from ._log import logger
from .errors import Error, OperationalError, PipelineAborted
from .protocol import core
from .protocol import messages as m
from .protocol.core import PGGen


class _Entry:
    """A queued statement: the cursor waiting for its result (None: internal).

    ``on_failure`` is called if the statement fails or is skipped.
    """

    __slots__ = ("cursor_ref", "on_description", "on_failure")

    def __init__(
        self, cursor: Any, on_description: Any, on_failure: Callable[[], None] | None = None
    ) -> None:
        self.cursor_ref = weakref.ref(cursor) if cursor is not None else None
        self.on_description = on_description
        self.on_failure = on_failure

    @property
    def cursor(self) -> Any:
        return self.cursor_ref() if self.cursor_ref is not None else None


_ABORTED = "the pipeline is aborted: an earlier statement failed; sync() to go on"


class PipelineState:
    """The statements queued in pipeline mode and the results still to read."""

    def __repr__(self) -> str:
        return f"<pgwire.{type(self).__qualname__} {self._conn._summary()} at 0x{id(self):x}>"

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self._queue: deque[_Entry] = deque()
        # A statement failed: the server skips the rest until the next Sync.
        self.aborted = False
        self.level = 0
        # A BEGIN is queued since the last Sync.
        self._begin_queued = False
        # The first error not yet raised to the user.
        self.error: Error | None = None
        # Results are being read: operations run meanwhile are the pipeline's own.
        self.reading = False

    @staticmethod
    def is_supported() -> bool:
        """Pipeline mode needs no client library: always True."""
        return True

    @property
    def status(self) -> Any:
        """ON while the pipeline block runs (ABORTED after an error), OFF once left."""
        from .connection_info import PipelineStatus

        if self._conn._pipeline is not self:
            return PipelineStatus.OFF
        return PipelineStatus.ABORTED if self.aborted else PipelineStatus.ON

    @property
    def must_sync(self) -> bool:
        """Whether an operation outside the pipeline must sync it first."""
        return (bool(self._queue) or self.aborted) and not self.reading

    def _enter(self) -> None:
        self._conn._check_open()
        self.level += 1

    def _leave(self) -> bool:
        """One block less; True when the outermost block ends."""
        self.level -= 1
        return self.level == 0

    @property
    def result_queue(self) -> list[Any]:
        """The cursors waiting for a result, one per queued statement."""
        return [entry.cursor for entry in self._queue if entry.cursor_ref is not None]

    def enqueue(
        self,
        cursor: Any,
        request: bytes,
        on_description: Any,
        on_failure: Callable[[], None] | None = None,
    ) -> None:
        """Queue one statement of ``cursor`` (BEGIN first when a transaction must start)."""
        if self.aborted:
            raise PipelineAborted(_ABORTED)
        conn = self._conn
        proto = conn._proto
        idle = proto.transaction_status == core.IDLE
        if not conn._autocommit and idle and not self._begin_queued:
            proto.send(core.statement_request(conn._begin_statement, [], [], [], []))
            self._queue.append(_Entry(None, None))
            self._begin_queued = True
        proto.send(request)
        self._queue.append(_Entry(cursor, on_description, on_failure))

    def pending(self, cursor: Any) -> bool:
        """Whether ``cursor`` waits for a result still unread."""
        return any(entry.cursor is cursor for entry in self._queue)

    def fetch_op(self, cursor: Any) -> PGGen:
        """Flush, and read the results up to ``cursor``'s last statement."""
        last = 0
        for i, entry in enumerate(self._queue):
            if entry.cursor is cursor:
                last = i + 1
        self._conn._proto.send(m.FLUSH)
        return self._read_op(last, False)

    def sync_op(self) -> PGGen:
        """Sync, and read every result up to the ReadyForQuery."""
        return self._read_op(len(self._queue), True)

    def _read_op(self, count: int, sync: bool) -> PGGen:
        proto = self._conn._proto
        if sync:
            proto.send_query(m.SYNC)
        # No yield before reading: answers may already be buffered, and the
        # driver sends what is queued whenever the reading waits.
        queue = self._queue
        for _ in range(count):
            entry = queue.popleft()
            cursor = entry.cursor
            if self.aborted:
                if entry.on_failure is not None:
                    entry.on_failure()
                if cursor is not None:
                    cursor._pipeline_result(None, PipelineAborted(_ABORTED))
                continue
            try:
                results = yield from core.results(
                    proto, entry.on_description, 0, one_statement=True
                )
            except Error as exc:
                if proto.closed:
                    raise
                self.aborted = True
                self.error = self.error or exc
                if entry.on_failure is not None:
                    entry.on_failure()
                if cursor is not None:
                    cursor._pipeline_result(None, exc)
                continue
            if cursor is not None:
                cursor._pipeline_result(results, None)
        if sync:
            yield from core.results(proto, None, 1)
            self.aborted = False
            self._begin_queued = False

    def take_error(self) -> Error | None:
        """The first error met and not yet raised (then forgotten)."""
        error, self.error = self.error, None
        return error

    # --- flows (pgwire._flow), run by the blocking and the asyncio pipelines -------

    def _read_flow(self, op: PGGen) -> FlowGen[None]:
        """Run an operation reading the pipeline's results (not a statement outside it)."""
        self.reading = True
        try:
            yield Call(self._conn._run, op)
        finally:
            self.reading = False

    def _sync_flow(self) -> FlowGen[None]:
        """sync(): a Sync, every queued result read, the first error not yet raised."""
        self._conn._check_open()
        yield from self._read_flow(self.sync_op())
        error = self.take_error()
        if error is not None:
            raise error

    def _exit_flow(self, exc: BaseException | None) -> FlowGen[None]:
        """Leaving the pipeline block: sync, and end pipeline mode with the outermost block."""
        conn = self._conn
        outer = self._leave()
        try:
            if conn.closed:
                raise OperationalError("the connection was closed in the pipeline")
            yield Call(self.sync)  # type: ignore[attr-defined]
        except Exception:
            if exc is None:
                raise
            logger().warning("error ignored leaving the pipeline of %r", conn, exc_info=True)
        finally:
            if outer:
                conn._pipeline = None


__all__ = ["PipelineState"]
