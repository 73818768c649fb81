"""The asyncio API: AsyncConnection and AsyncCursor, on the same protocol core."""

from __future__ import annotations

import asyncio
import threading
import time
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Iterable
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, overload

from ._base import BaseConnection, IsolationLevel
from ._connect import ConnectSteps, connect_flow, open_session_flow
from ._cursor_base import BaseCursor, Params, _Exhausted
from ._flow import arun, arun_iter, holding
from ._hosts import resolve
from ._log import logger
from .client_cursor import ClientCursorMixin, RawCursorMixin
from .conninfo import ConnectParams, HostSpec, conninfo_to_dict
from .copy import AsyncCopy
from .drivers import eventloop
from .drivers.cancel import send_cancel as blocking_cancel
from .drivers.channel import Channel, Operation
from .drivers.connect import connect_timeout_error, open_socket
from .errors import CancellationTimeout, Error
from .pipeline import PipelineState
from .protocol import core
from .protocol.core import Notify, PGGen
from .rows import ConnectValue, Row, RowFactory, TupleRow
from .tpc import Xid
from .transaction import BaseTransaction

if TYPE_CHECKING:
    from .replication import AsyncReplicationStream

_R = TypeVar("_R")


class _SocketHandoff:
    """A socket opened in a worker thread for a task that may give up waiting.

    The thread cannot be stopped: if the task is cancelled (or times out)
    first, the socket the thread opens afterwards is closed, not leaked.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._abandoned = False
        self._sock: Any = None

    def open(self, opener: Callable[..., Any], *args: Any) -> Any:
        """Run ``opener(*args)`` in the worker thread; the socket it returns."""
        sock = opener(*args)
        with self._lock:
            if self._abandoned:
                sock.close()
                return None
            self._sock = sock
        return sock

    def abandon(self) -> None:
        """The task stopped waiting: close the socket, now or when it comes."""
        with self._lock:
            self._abandoned = True
            if self._sock is not None:
                self._sock.close()


class ConnectionLock(asyncio.Lock):
    """The asyncio lock of a connection, refusing the task running a COPY on it.

    An asyncio lock is not reentrant: a task that runs a query inside its
    own COPY block would wait for itself forever. It gets the
    ``ProgrammingError`` a blocking connection gives; other tasks wait their
    turn. (A task finding the lock held by a ``stream()`` loop it left waits:
    the loop's generator gives the lock back when it is finalised.)
    """

    def __init__(self, conn: BaseConnection) -> None:
        super().__init__()
        self._owner: asyncio.Task[Any] | None = None
        # Weak, so that a connection nobody holds is freed (and closed) at once.
        self._conn = weakref.ref(conn)

    async def acquire(self) -> Literal[True]:
        """Take the lock; ``ProgrammingError`` if the current task holds it for a COPY."""
        task = asyncio.current_task()
        if task is not None and task is self._owner:
            conn = self._conn()
            if conn is not None:
                conn._check_open()  # raises during a COPY or replication stream
        await super().acquire()
        self._owner = task
        return True

    def release(self) -> None:
        """Release the lock."""
        self._owner = None
        super().release()


class AsyncConnection(BaseConnection, ConnectSteps, Generic[Row]):
    """A connection to a PostgreSQL server for asyncio.

    Generic in the type of its rows: ``AsyncConnection[DictRow]`` when
    connected with ``row_factory=dict_row``.
    """

    @overload  # type: ignore[override]
    def cursor(self, *, binary: bool = ...) -> AsyncCursor[Row]: ...
    @overload
    def cursor(self, *, row_factory: RowFactory[_R], binary: bool = ...) -> AsyncCursor[_R]: ...
    @overload
    def cursor(
        self,
        name: str,
        *,
        row_factory: Any = ...,
        binary: bool = ...,
        scrollable: bool | None = ...,
        withhold: bool = ...,
    ) -> Any: ...
    def cursor(self, *args: Any, **kwargs: Any) -> Any:
        """A new cursor; with a ``name``, a server-side cursor (DECLARE ... CURSOR)."""
        return super().cursor(*args, **kwargs)

    _repr_name = "AsyncConnection"

    @classmethod
    async def _get_connection_params(  # type: ignore[override]
        cls, conninfo: str, **kwargs: Any
    ) -> dict[str, Any]:
        """The connection keywords ``connect()`` uses (a coroutine, as psycopg's async hook).

        The connection string's, with ``kwargs`` on top (those not None).
        """
        return conninfo_to_dict(conninfo, **kwargs)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._alock = ConnectionLock(self)

    @property
    def lock(self) -> asyncio.Lock:
        """The lock held while the connection is in use (a query, ``notifies()``, a COPY)."""
        return self._alock

    @property
    def _cursor_class(self) -> type:  # type: ignore[override]
        return AsyncCursor

    @property
    def _server_cursor_class(self) -> type:  # type: ignore[override]
        from .server_cursor import AsyncServerCursor

        return AsyncServerCursor

    @overload
    @classmethod
    async def connect(
        cls, dsn: str | None = ..., *, row_factory: RowFactory[_R], **kwargs: Any
    ) -> AsyncConnection[_R]: ...
    @overload
    @classmethod
    async def connect(
        cls, dsn: str | None = ..., *, cursor_factory: Any = ..., **kwargs: ConnectValue
    ) -> AsyncConnection[TupleRow]: ...
    @classmethod
    async def connect(cls, dsn: str | None = None, **kwargs: Any) -> AsyncConnection[Any]:
        """Connect to the server described by ``dsn``, keywords and the environment."""
        return await arun(connect_flow(cls, dsn, kwargs))  # type: ignore[no-any-return]

    # --- the asyncio steps of connecting (pgwire._connect) ----------------------------

    @staticmethod
    async def _resolve(params: ConnectParams, host: HostSpec) -> list[HostSpec]:
        # Name resolution blocks: it runs in a worker thread.
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, resolve, params, host)

    @staticmethod
    async def _open_socket(
        params: ConnectParams, host: HostSpec, deadline: float | None, tls: bool | None
    ) -> Any:
        # Name resolution and the TLS handshake block: they run in a worker thread.
        handoff = _SocketHandoff()
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(
                None, handoff.open, open_socket, params, host, deadline, tls
            )
        except BaseException:
            handoff.abandon()
            raise

    @staticmethod
    async def _execute_on(chan: Channel, gen: PGGen, deadline: float | None) -> Any:
        # The whole session is bounded by wait_for() in _open_session().
        return await eventloop.execute(chan, gen)

    @staticmethod
    async def _open_session(params: ConnectParams, host: HostSpec, attrs: str) -> Channel:
        flow = arun(open_session_flow(AsyncConnection, params, host, attrs))
        try:
            return await asyncio.wait_for(flow, params.connect_timeout)
        except asyncio.TimeoutError:
            raise connect_timeout_error(host) from None

    async def __aenter__(self) -> AsyncConnection:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await arun(self._exit_flow(exc_type))

    # --- running ---------------------------------------------------------------

    async def _run(self, gen: PGGen) -> Any:
        """Run an operation; if the awaiting task is cancelled, cancel it on the server too.

        In pipeline mode, the queued statements are synced first.
        """
        chan = self._chan
        chan.check_open()
        pipeline = self._pipeline
        if pipeline is not None and pipeline.must_sync:
            await pipeline.sync()
        op = Operation(gen)
        op.resume()
        try:
            return await eventloop.run(chan, op)
        except asyncio.CancelledError:
            if not op.finished and not chan.closed:
                await self._abort()
            raise
        except BaseException:
            if not op.finished:
                chan.close()  # stopped halfway with no way to resync from here
            raise
        finally:
            if chan.proto.closed:
                chan.close()

    async def _abort(self) -> None:
        """Cancel what runs on the server and read until the session is in sync."""
        chan = self._chan
        drain = Operation(core.drain(self._proto))
        try:
            await eventloop.send_cancel(chan)
            drain.resume()
            await eventloop.run(chan, drain)
        except BaseException:
            # Cancelled again while cleaning up, or the server went away.
            chan.close()
            if not isinstance(drain.error, Error):
                raise
        finally:
            if not drain.done:
                chan.close()

    async def execute(
        self,
        query: Any,
        params: Any = None,
        *,
        binary: bool | None = None,
        prepare: bool | None = None,
    ) -> AsyncCursor[Row]:
        """Run a query on a new cursor and return the cursor."""
        # The cursor reads in the format asked for, and shows it (cur.format).
        cur = self.cursor(binary=bool(binary))
        return await cur.execute(query, params, prepare=prepare)

    @property
    def _flow_lock(self) -> Any:
        return self._alock

    async def _settle_now(self) -> None:
        self._check_open()
        pipeline = self._pipeline
        if pipeline is not None and pipeline.must_sync:
            await pipeline.sync()

    async def _command(self, sql: bytes) -> None:
        await self._run(core.simple_query(self._proto, sql, None))

    async def _wait_messages(self, deadline: float | None) -> bool:
        """Wait for messages the server sends unasked; False if ``deadline`` came first."""
        op = Operation(core.wait_async_messages(self._proto))
        op.resume()
        try:
            if deadline is None:
                await eventloop.run(self._chan, op)
            else:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    # What has arrived by the deadline is still taken (timeout=0 polls).
                    return op.done or self._chan.step(op)
                await asyncio.wait_for(eventloop.run(self._chan, op), remaining)
        except asyncio.TimeoutError:
            return False
        finally:
            if self._proto.closed:
                self._chan.close()
        return True

    async def commit(self) -> None:
        """Commit the current transaction (nothing to do outside one)."""
        async with self._alock:
            await arun(self._end_transaction_flow(b"COMMIT"))

    async def rollback(self) -> None:
        """Roll back the current transaction (nothing to do outside one)."""
        async with self._alock:
            await arun(self._end_transaction_flow(b"ROLLBACK"))

    def _set_setting(self, name: str, value: Any) -> None:
        raise AttributeError(
            f"{name!r} is read-only on async connections: use 'await conn.set_{name}()' instead"
        )

    async def _change_setting(self, name: str, value: Any) -> None:
        async with self._alock:
            self._apply_setting(name, value)

    async def set_autocommit(self, value: bool) -> None:
        """Change autocommit (only outside a transaction)."""
        await self._change_setting("autocommit", value)

    async def set_isolation_level(self, value: IsolationLevel | None) -> None:
        """Change the isolation level of the next transactions (only outside one)."""
        await self._change_setting("isolation_level", value)

    async def set_read_only(self, value: bool | None) -> None:
        """Make the next transactions READ ONLY or not (only outside one)."""
        await self._change_setting("read_only", value)

    async def set_deferrable(self, value: bool | None) -> None:
        """Make the next transactions DEFERRABLE or not (only outside one)."""
        await self._change_setting("deferrable", value)

    # --- two-phase commit -----------------------------------------------------------

    async def tpc_begin(self, xid: Xid | str) -> None:
        """Begin a two-phase transaction with id ``xid`` (an :class:`Xid` or a gid)."""
        async with self._alock:
            await arun(self._tpc_begin_flow(xid))

    async def tpc_prepare(self) -> None:
        """Run the first phase (PREPARE TRANSACTION) of the two-phase transaction."""
        async with self._alock:
            await arun(self._tpc_prepare_flow())

    async def tpc_commit(self, xid: Xid | str | None = None) -> None:
        """Commit the two-phase transaction, or the prepared one ``xid`` (recovered)."""
        async with self._alock:
            await arun(self._tpc_finish_flow("COMMIT", xid))

    async def tpc_rollback(self, xid: Xid | str | None = None) -> None:
        """Roll back the two-phase transaction, or the prepared one ``xid`` (recovered)."""
        async with self._alock:
            await arun(self._tpc_finish_flow("ROLLBACK", xid))

    async def tpc_recover(self) -> list[Xid]:
        """The prepared transactions waiting on the server, as Xids."""
        return await arun(self._tpc_recover_flow())

    async def close(self) -> None:
        """Close the connection (idempotent)."""
        self._close()

    def cancel(self) -> Awaitable[None]:
        """Ask the server to abort what runs now; harmless when nothing runs.

        The request is sent whether or not the result is awaited, so that
        ``conn.cancel`` can be called from a plain callback (a signal handler
        of the event loop), as psycopg's blocking ``cancel()``; awaiting it
        waits until the server has taken the request (or raises why not).
        Outside the event loop's thread it is sent at once, blocking. What
        can't be cancelled (a prepared two-phase transaction) raises
        ProgrammingError at the call.
        """
        if self.closed:
            return _DONE
        self._check_cancel_allowed()
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            sock = self._chan.sock
            proto = self._chan.proto
            blocking_cancel(
                sock.family,
                sock.getpeername(),
                proto.backend_pid,
                proto.backend_key,
                self._chan.secure_cancel,
            )
            return _DONE
        return _CancelRequest(asyncio.ensure_future(eventloop.send_cancel(self._chan)))

    async def start_replication(
        self, slot_name: str | None = None, **options: Any
    ) -> AsyncReplicationStream:
        """Start streaming from a replication slot (see :mod:`pgwire.replication`)."""
        # Imported here: its message classes cost an import a few milliseconds.
        from .replication import AsyncReplicationStream

        return await AsyncReplicationStream(self, slot_name, **options).start()

    async def cancel_safe(self, *, timeout: float = 30.0) -> None:
        """Cancel what runs now, waiting at most ``timeout`` seconds for the server."""
        try:
            await asyncio.wait_for(self.cancel(), timeout)
        except asyncio.TimeoutError:
            raise CancellationTimeout("cancel request: timeout expired") from None

    def pipeline(self) -> AsyncPipeline:
        """``async with aconn.pipeline():`` — queue statements, read their results later."""
        if self._pipeline is None:
            self._check_open()
            self._pipeline = AsyncPipeline(self)
        return self._pipeline  # type: ignore[no-any-return]

    def transaction(
        self, savepoint_name: str | None = None, force_rollback: bool = False
    ) -> AsyncTransaction:
        """``async with aconn.transaction():`` — nested blocks are savepoints."""
        return AsyncTransaction(self, savepoint_name, force_rollback)

    def notifies(
        self, timeout: float | None = None, stop_after: int | None = None
    ) -> AsyncIterator[Notify]:
        """Yield notifications as they arrive; stop after ``timeout`` seconds if given."""
        return arun_iter(self._notifies_flow(timeout, stop_after))


class AsyncPipeline(PipelineState):
    """A pipeline of an asyncio connection (see :mod:`pgwire.pipeline`)."""

    _conn: AsyncConnection

    async def sync(self) -> None:
        """Send a Sync and read every queued result; raise the first error not yet raised."""
        await arun(self._sync_flow())

    async def fetch(self, cursor: AsyncCursor) -> None:
        """Read the results up to ``cursor``'s statements."""
        await arun(self._read_flow(self.fetch_op(cursor)))

    async def __aenter__(self) -> AsyncPipeline:
        self._enter()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await arun(self._exit_flow(exc))


class AsyncTransaction(BaseTransaction):
    """``async with aconn.transaction():`` — commit on success, roll back on an exception."""

    connection: AsyncConnection

    async def __aenter__(self) -> AsyncTransaction:
        conn = self.connection
        async with conn._alock:
            await arun(conn._block_enter_flow(self._plan))
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        conn = self.connection
        async with conn._alock:
            return await arun(conn._block_exit_flow(self._plan, exc))


class AsyncCursor(BaseCursor, Generic[Row]):
    """A cursor of an :class:`AsyncConnection`."""

    _conn: AsyncConnection

    async def __aenter__(self) -> AsyncCursor[Row]:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the cursor."""
        self._closed = True
        self._rows = []

    async def execute(
        self,
        query: Any,
        params: Params = None,
        *,
        binary: bool | None = None,
        prepare: bool | None = None,
    ) -> AsyncCursor[Row]:
        """Run a query."""
        conn = self._conn
        async with conn._alock:
            self._check_open()
            pipeline = conn._pipeline
            if pipeline is not None:
                request, on_failure = self._pipeline_request(query, params, binary, prepare)
                self._reset()
                pipeline.enqueue(self, request, self._description_callback(), on_failure)
                return self
            gen = self._query_gen(query, params, binary, prepare)
            self._reset()
            self._set_results(await conn._run(gen))
        return self

    async def _fetch_pipelined(self) -> None:
        """Read this cursor's results if they are still in the pipeline."""
        pipeline = self._conn._pipeline
        if pipeline is not None and pipeline.pending(self):
            async with self._conn._alock:
                await pipeline.fetch(self)

    async def _run(self, gen: PGGen) -> Any:
        return await self._conn._run(gen)

    async def _settle_connection(self) -> None:
        await self._conn._settle_now()

    async def executemany(
        self, query: Any, params_seq: Iterable[Params], *, returning: bool = False
    ) -> None:
        """Run a query once per parameter set, pipelined in one round trip."""
        async with self._conn._alock:
            await arun(self._executemany_flow(query, params_seq, returning))

    def stream(
        self, query: Any, params: Params = None, *, binary: bool | None = None, size: int = 1
    ) -> AsyncIterator[Row]:
        """Run a query and yield its rows as they arrive, in constant memory.

        The rows are read from the server a chunk at a time; leaving the loop
        early abandons the rest of them (the connection stays usable).
        """
        flow = self._stream_flow(query, params, binary, size)
        return arun_iter(holding(self._conn._alock, flow))

    def copy(self, statement: Any, params: Any = None, *, writer: Any = None) -> AsyncCopy:
        """A COPY FROM STDIN / TO STDOUT to run in a ``with`` block.

        ``params`` are quoted into the statement (COPY takes no bind
        parameters); ``writer`` is where COPY FROM data goes (default: the
        connection, see :mod:`pgwire.copy`).
        """
        return AsyncCopy(self, statement, params, writer=writer)

    async def callproc(self, name: str, params: Params = None) -> Params:
        """Call a function as ``SELECT * FROM name(params)``; return the params."""
        return await arun(self._callproc_flow(name, params))

    def nextset(self) -> bool | None:
        """Move to the next result of a multi-statement query."""
        return self._nextset()

    async def fetchone(self) -> Row | None:
        """The next row, or None."""
        if self._conn._pipeline is not None:
            await self._fetch_pipelined()
        return self._fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Row]:
        """The next ``size`` rows (default ``arraysize``)."""
        if self._conn._pipeline is not None:
            await self._fetch_pipelined()
        return self._fetchmany(size)

    async def fetchall(self) -> list[Row]:
        """All the remaining rows."""
        if self._conn._pipeline is not None:
            await self._fetch_pipelined()
        return self._fetchall()

    async def scroll(self, value: int, mode: str = "relative") -> None:
        """Move the position in the current result."""
        self._scroll(value, mode)

    def __aiter__(self) -> AsyncCursor[Row]:
        return self

    async def __anext__(self) -> Row:
        if self._conn._pipeline is not None:
            await self._fetch_pipelined()
        try:
            return self._next_row()
        except _Exhausted:
            raise StopAsyncIteration from None

    async def set_result(self, index: int) -> AsyncCursor[Row]:
        """Move to result ``index`` of the last execute (negative: from the end)."""
        self._set_result(index)
        return self

    async def results(self) -> AsyncIterator[AsyncCursor[Row]]:
        """Yield the cursor once per result of the last execute, moving to each in turn."""
        for cursor in self._each_result():
            yield cursor


class AsyncClientCursor(ClientCursorMixin, AsyncCursor):
    """An asyncio cursor binding parameters on the client (psycopg's ``AsyncClientCursor``)."""


class AsyncRawCursor(RawCursorMixin, AsyncCursor):
    """An asyncio cursor whose queries use ``$1 .. $n`` placeholders."""


__all__ = [
    "AsyncClientCursor",
    "AsyncConnection",
    "AsyncCursor",
    "AsyncRawCursor",
    "AsyncTransaction",
]


class _Done:
    """An awaitable already done (no warning if it is never awaited)."""

    def __await__(self) -> Generator[Any, None, None]:
        return
        yield


_DONE = _Done()


class _CancelRequest:
    """A cancel request sent by a task: awaiting it raises its failure, else it is logged."""

    __slots__ = ("_task", "_awaited")

    def __init__(self, task: asyncio.Future[None]) -> None:
        self._task = task
        self._awaited = False
        task.add_done_callback(self._done)

    def __await__(self) -> Generator[Any, None, None]:
        self._awaited = True
        return self._task.__await__()

    def _done(self, task: asyncio.Future[None]) -> None:
        # Read here, so that a request nobody awaits leaves no exception
        # "never retrieved"; whoever awaits it gets the failure raised instead.
        if task.cancelled():
            return
        error = task.exception()
        if error is not None and not self._awaited:
            logger().warning("cancel request failed: %s", error)
