"""The blocking cursor, including the asynchronous-query mode (``async_=True``)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic

from ._cursor_base import BaseCursor, Params, _Exhausted
from ._flow import holding, run, run_iter
from .copy import Copy
from .drivers import blocking
from .drivers.channel import Operation
from .protocol.core import PGGen
from .rows import Row

if TYPE_CHECKING:
    from .connection import Connection


class Cursor(BaseCursor, Generic[Row]):
    """A PEP 249 cursor on a blocking connection.

    ``execute(query, params, async_=True)`` sends the query and returns at
    once; ``isbusy()``, ``fileno()`` and ``cancel()`` then follow it, and a
    fetch waits for its result.
    """

    _conn: Connection

    def __init__(
        self, connection: Connection, *, row_factory: Any = None, binary: bool = False
    ) -> None:
        super().__init__(connection, row_factory=row_factory, binary=binary)
        # True while the result on the cursor is an asynchronous query's
        # (running or ended): cancel() discards it.
        self._async_result = False

    def __enter__(self) -> Cursor[Row]:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the cursor; a query of its own still running is left to be discarded."""
        self._closed = True
        self._rows = []

    # --- running queries -----------------------------------------------------

    def _run(self, gen: PGGen) -> Any:
        return blocking.execute(self._conn._chan, gen)

    def execute(
        self,
        query: Any,
        params: Params = None,
        *,
        binary: bool | None = None,
        prepare: bool | None = None,
        async_: bool = False,
        **kwargs: Any,
    ) -> Cursor[Row]:
        """Run a query; with ``async_=True`` (or ``async=1``) send it and return at once."""
        if kwargs:
            if set(kwargs) != {"async"}:
                raise TypeError(f"unexpected keyword arguments: {', '.join(kwargs)}")
            async_ = bool(kwargs["async"])
        conn = self._conn
        with conn._lock:
            if self._closed:
                self._check_open()
            pipeline = conn._pipeline
            if pipeline is not None and not async_:
                conn._check_open()
                request, on_failure = self._pipeline_request(query, params, binary, prepare)
                self._reset()
                pipeline.enqueue(self, request, self._description_callback(), on_failure)
                return self
            conn._settle(self)  # checks the connection
            gen = self._query_gen(query, params, binary, prepare)
            self._reset()
            self._async_result = async_
            if async_:
                op = Operation(gen, self)
                op.resume()
                chan = conn._chan
                chan.send_some()
                if op.done and op.error is not None and chan.closed:
                    op.outcome()
                conn._inflight = op
                self._no_result_reason = "the asynchronous query is still running"
                return self
            self._set_results(blocking.execute(conn._chan, gen))
        return self

    def executemany(
        self, query: Any, params_seq: Iterable[Params], *, returning: bool = False
    ) -> None:
        """Run a query once per parameter set, pipelined in one round trip."""
        with self._conn._lock:
            run(self._executemany_flow(query, params_seq, returning))

    def _settle_connection(self) -> None:
        self._conn._settle(self)

    def stream(
        self, query: Any, params: Params = None, *, binary: bool | None = None, size: int = 1
    ) -> Iterator[Row]:
        """Run a query and yield its rows as they arrive, in constant memory.

        The rows are read from the server a chunk at a time; leaving the loop
        early abandons the rest of them (the connection stays usable).
        """
        flow = self._stream_flow(query, params, binary, size)
        return run_iter(holding(self._conn._lock, flow))

    def copy(self, statement: Any, params: Any = None, *, writer: Any = None) -> Copy:
        """A COPY FROM STDIN / TO STDOUT to run in a ``with`` block.

        ``params`` are quoted into the statement (COPY takes no bind
        parameters); ``writer`` is where COPY FROM data goes (default: the
        connection, see :mod:`pgwire.copy`).
        """
        return Copy(self, statement, params, writer=writer)

    def callproc(self, name: str, params: Params = None) -> Params:
        """Call a function as ``SELECT * FROM name(params)``; return the params."""
        return run(self._callproc_flow(name, params))

    def nextset(self) -> bool | None:
        """Move to the next result of a multi-statement query; None when there is none."""
        self._wait_async()
        return self._nextset()

    # --- asynchronous mode -----------------------------------------------------

    def _owns_inflight(self) -> Operation | None:
        inflight = self._conn._inflight
        if inflight is not None and inflight.owner_ref() is self:
            return inflight  # type: ignore[no-any-return]
        return None

    def _finish_async(self, op: Operation) -> None:
        """File the outcome of the finished asynchronous query on this cursor."""
        conn = self._conn
        conn._inflight = None
        self._no_result_reason = "no result available: execute a query first"
        if op.error is not None:
            self._error = op.error
            op.error = None
            if conn._chan.proto.closed:
                conn._chan.close()
            return
        self._set_results(op.result, keep_last=True)

    def _wait_async(self) -> None:
        """Block until this cursor's asynchronous (or pipelined) query has ended."""
        pipeline = self._conn._pipeline
        if pipeline is not None and pipeline.pending(self):
            pipeline.fetch(self)
        inflight = self._owns_inflight()
        if inflight is None:
            return
        conn = self._conn
        with conn._lock:
            if conn._inflight is not inflight:
                return
            try:
                blocking.run(conn._chan, inflight)
            except BaseException as exc:
                if not inflight.finished:
                    # Interrupted (Ctrl-C) or the connection was lost mid-query.
                    blocking.recover(conn._chan)
                    conn._inflight = None
                    raise
                inflight.error = exc
            self._finish_async(inflight)

    def isbusy(self) -> bool:
        """True while this cursor's asynchronous query is running; never blocks."""
        conn = self._conn
        inflight = conn._inflight
        # The cursor's own query, or none: _owns_inflight() without its frame.
        if inflight is None or inflight.owner_ref() is not self:
            return False
        with conn._lock:
            if conn._inflight is not inflight:
                return False
            try:
                done = inflight.done or conn._chan.step(inflight)
            except BaseException as exc:
                if not inflight.finished:
                    blocking.recover(conn._chan)
                    conn._inflight = None
                    raise
                inflight.error = exc
                done = True
            if done:
                self._finish_async(inflight)
                return False
            return True

    def fileno(self) -> int:
        """The socket's descriptor, for select()/poll()/selectors."""
        # select() calls it for every cursor it watches, each time: no frame
        # more than needed when the connection is open.
        conn = self._conn
        chan = conn._chan
        if chan.closed or chan.proto.closed or conn._copying:
            return conn.fileno()  # raises the connection's error
        return chan.fd

    def cancel(self) -> bool:
        """Abort this cursor's asynchronous query and wait for it to end.

        Returns True if the server aborted it, False if it had completed (or
        no query was running).  Its results are discarded either way.
        """
        conn = self._conn
        with conn._lock:
            inflight = self._owns_inflight()
            aborted = False
            if inflight is not None:
                aborted = conn._cancel_inflight(inflight)
            elif not self._async_result:
                # No asynchronous query of this cursor: nothing to discard.
                return False
            self._async_result = False
            self._reset()
            self._no_result_reason = "the asynchronous query was cancelled: no result"
            return aborted

    # --- fetching ------------------------------------------------------------------

    def fetchone(self) -> Row | None:
        """The next row, or None when the result is exhausted."""
        if self._conn._inflight is not None or self._conn._pipeline is not None:
            self._wait_async()
        return self._fetchone()

    def fetchmany(self, size: int | None = None) -> list[Row]:
        """The next ``size`` rows (default ``arraysize``)."""
        if self._conn._inflight is not None or self._conn._pipeline is not None:
            self._wait_async()
        return self._fetchmany(size)

    def fetchall(self) -> list[Row]:
        """All the remaining rows."""
        if self._conn._inflight is not None or self._conn._pipeline is not None:
            self._wait_async()
        return self._fetchall()

    def scroll(self, value: int, mode: str = "relative") -> None:
        """Move the position in the current result."""
        self._wait_async()
        self._scroll(value, mode)

    def __iter__(self) -> Cursor[Row]:
        return self

    def __next__(self) -> Row:
        if self._conn._inflight is not None or self._conn._pipeline is not None:
            self._wait_async()
        try:
            return self._next_row()
        except _Exhausted:
            raise StopIteration from None

    def set_result(self, index: int) -> Cursor[Row]:
        """Move to result ``index`` of the last execute (negative: from the end)."""
        self._wait_async()
        self._set_result(index)
        return self

    def results(self) -> Iterator[Cursor[Row]]:
        """Yield the cursor once per result of the last execute, moving to each in turn."""
        self._wait_async()
        yield from self._each_result()

    @property
    def description(self) -> Any:
        """The columns of the current result (None while an async query runs)."""
        if self._owns_inflight() is not None:
            return None
        return super().description


__all__ = ["Cursor"]
