"""The blocking connection."""

from __future__ import annotations

import time
from collections.abc import Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from ._base import BaseConnection, IsolationLevel, TransactionStatus
from ._connect import ConnectSteps, connect_flow, open_session_flow
from ._flow import run, run_iter
from ._hosts import resolve
from .conninfo import ConnectParams, HostSpec
from .cursor import Cursor
from .drivers import blocking
from .drivers.cancel import send_cancel
from .drivers.channel import Channel, Operation
from .drivers.connect import connect_timeout_error, open_socket
from .errors import ConnectionTimeout, Error, OperationalError, ProgrammingError, QueryCanceled
from .pipeline import PipelineState
from .protocol import core
from .protocol.core import Notify, PGGen
from .rows import ConnectValue, Row, RowFactory, TupleRow
from .server_cursor import ServerCursor
from .tpc import Xid
from .transaction import BaseTransaction, Rollback

if TYPE_CHECKING:
    from .replication import ReplicationStream

_R = TypeVar("_R")


class ConnectionLock:
    """The lock a blocking connection holds while it talks to the server.

    A view of the connection's reentrant lock with ``locked()``, which a
    reentrant lock lacks before Python 3.14: taking it keeps every other
    thread's use of the connection waiting until it is released.
    """

    __slots__ = ("_lock",)

    def __init__(self, lock: Any) -> None:
        self._lock = lock

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        """Take the lock (reentrant: the thread holding it may take it again)."""
        return bool(self._lock.acquire(blocking, timeout))

    def release(self) -> None:
        """Release the lock once."""
        self._lock.release()

    def locked(self) -> bool:
        """Whether any thread holds the lock."""
        if self._lock._is_owned():
            return True
        if self._lock.acquire(False):
            self._lock.release()
            return False
        return True

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc_info: object) -> None:
        self.release()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {'locked' if self.locked() else 'unlocked'}>"


class Connection(BaseConnection, ConnectSteps, Generic[Row]):
    """A connection to a PostgreSQL server, blocking on I/O (PEP 249).

    Generic in the type of its rows: ``Connection[DictRow]`` when connected
    with ``row_factory=dict_row``.
    """

    @overload  # type: ignore[override]
    def cursor(self, *, binary: bool = ...) -> Cursor[Row]: ...
    @overload
    def cursor(self, *, row_factory: RowFactory[_R], binary: bool = ...) -> Cursor[_R]: ...
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

    _cursor_class = Cursor
    _server_cursor_class = ServerCursor

    @overload
    @classmethod
    def connect(
        cls, dsn: str | None = ..., *, row_factory: RowFactory[_R], **kwargs: Any
    ) -> Connection[_R]: ...
    @overload
    @classmethod
    def connect(
        cls, dsn: str | None = ..., *, cursor_factory: Any = ..., **kwargs: ConnectValue
    ) -> Connection[TupleRow]: ...
    @classmethod
    def connect(cls, dsn: str | None = None, **kwargs: Any) -> Connection[Any]:
        """Connect to the server described by ``dsn``, keywords and the environment."""
        return run(connect_flow(cls, dsn, kwargs))  # type: ignore[no-any-return]

    # --- the blocking steps of connecting (pgwire._connect) --------------------------

    _resolve = staticmethod(resolve)
    _open_socket = staticmethod(open_socket)

    @staticmethod
    def _execute_on(chan: Channel, gen: PGGen, deadline: float | None) -> Any:
        try:
            return blocking.execute(chan, gen, deadline)
        except OperationalError as exc:
            # The driver gives up only once the deadline has passed.
            if deadline is not None and time.monotonic() >= deadline:
                raise ConnectionTimeout("connection timeout expired") from exc
            raise

    @staticmethod
    def _open_session(params: ConnectParams, host: HostSpec, attrs: str) -> Channel:
        try:
            return run(open_session_flow(Connection, params, host, attrs))
        except ConnectionTimeout as exc:
            # Worded as when the socket's connect times out, naming the server.
            raise connect_timeout_error(host) from exc

    def __enter__(self) -> Connection[Row]:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        run(self._exit_flow(exc_type))

    # --- the in-flight asynchronous query --------------------------------------

    def _settle(self, cursor: Cursor | None) -> None:
        """Before an operation: wait out an orphaned async query, refuse if another runs.

        In pipeline mode, the queued statements are synced first.
        """
        if self._chan.closed or self._proto.closed or self._copying:
            self._check_open()
        pipeline = self._pipeline
        if pipeline is not None and pipeline.must_sync:
            pipeline.sync()
        inflight = self._inflight
        if inflight is None:
            return
        owner = inflight.owner_ref()
        if owner is not cursor and inflight.owner_alive():
            raise ProgrammingError("an asynchronous query is in progress on this connection")
        try:
            blocking.run(self._chan, inflight)
        except BaseException:
            if not inflight.finished:
                # Interrupted, or the connection was lost: never leave it half-read.
                blocking.recover(self._chan)
                self._inflight = None
                raise
            # Otherwise the discarded query's own error goes with it.
        self._inflight = None
        if owner is not None:
            owner._reset()

    def _cancel_inflight(self, op: Operation) -> bool:
        """Cancel the async query and wait for its end; True if the server aborted it."""
        chan = self._chan
        try:
            if not (op.done or chan.step(op)):
                self._send_cancel()
                try:
                    blocking.run(chan, op)
                except BaseException:
                    if not op.finished:
                        blocking.recover(chan)
                        self._inflight = None
                    raise
            op.outcome()
            aborted = False
        except QueryCanceled:
            aborted = True
        except OperationalError:
            if chan.closed:
                self._inflight = None
                raise
            aborted = False
        except Error:
            aborted = False
        self._inflight = None
        return aborted

    def _send_cancel(self) -> None:
        chan = self._chan
        sock = chan.sock
        send_cancel(
            sock.family,
            sock.getpeername(),
            self._proto.backend_pid,
            self._proto.backend_key,
            chan.secure_cancel,
        )

    def cancel(self) -> None:
        """Ask the server to abort what runs now; harmless when nothing runs.

        Returns once the server has taken the request.  Safe to call from
        another thread while a query blocks.
        """
        if self.closed:
            return
        self._check_cancel_allowed()
        self._send_cancel()

    def cancel_safe(self, *, timeout: float = 30.0) -> None:
        """Cancel what runs now, waiting at most ``timeout`` seconds for the server.

        pgwire's :meth:`cancel` never blocks the connection it cancels, so this
        is the same request, bounded in time.
        """
        if self.closed:
            return
        self._check_cancel_allowed()
        sock = self._chan.sock
        send_cancel(
            sock.family,
            sock.getpeername(),
            self._proto.backend_pid,
            self._proto.backend_key,
            timeout=timeout,
        )

    # --- running ----------------------------------------------------------------

    def execute(
        self,
        query: Any,
        params: Any = None,
        *,
        binary: bool | None = None,
        prepare: bool | None = None,
    ) -> Cursor[Row]:
        """Run a query on a new cursor and return the cursor."""
        # The cursor reads in the format asked for, and shows it (cur.format).
        cur = self.cursor(binary=bool(binary))
        return cur.execute(query, params, prepare=prepare)

    def _settle_now(self) -> None:
        self._settle(None)

    def _run(self, gen: PGGen) -> Any:
        return blocking.execute(self._chan, gen)

    @property
    def _flow_lock(self) -> Any:
        return self._lock

    @property
    def lock(self) -> ConnectionLock:
        """The lock held while the connection is in use (a query, ``notifies()``, a COPY)."""
        return ConnectionLock(self._lock)

    def _command(self, sql: bytes) -> None:
        with self._lock:
            self._settle(None)
            blocking.execute(self._chan, core.simple_query(self._proto, sql, None))

    def _wait_messages(self, deadline: float | None) -> bool:
        """Wait for messages the server sends unasked; False if ``deadline`` came first."""
        op_gen = core.wait_async_messages(self._proto)
        return blocking.execute_until(self._chan, op_gen, deadline)

    def commit(self) -> None:
        """Commit the current transaction (nothing to do outside one)."""
        with self._lock:
            run(self._end_transaction_flow(b"COMMIT"))

    def rollback(self) -> None:
        """Roll back the current transaction (nothing to do outside one)."""
        with self._lock:
            run(self._end_transaction_flow(b"ROLLBACK"))

    def _set_setting(self, name: str, value: Any) -> None:
        with self._lock:
            self._settle(None)
            self._apply_setting(name, value)

    def set_autocommit(self, value: bool) -> None:
        """Change autocommit (only outside a transaction)."""
        self._set_setting("autocommit", value)

    def set_isolation_level(self, value: IsolationLevel | None) -> None:
        """Change the isolation level of the next transactions (only outside one)."""
        self._set_setting("isolation_level", value)

    def set_read_only(self, value: bool | None) -> None:
        """Make the next transactions READ ONLY or not (only outside one)."""
        self._set_setting("read_only", value)

    def set_deferrable(self, value: bool | None) -> None:
        """Make the next transactions DEFERRABLE or not (only outside one)."""
        self._set_setting("deferrable", value)

    # --- two-phase commit -----------------------------------------------------------

    def tpc_begin(self, xid: Xid | str) -> None:
        """Begin a two-phase transaction with id ``xid`` (an :class:`Xid` or a gid)."""
        with self._lock:
            run(self._tpc_begin_flow(xid))

    def tpc_prepare(self) -> None:
        """Run the first phase (PREPARE TRANSACTION) of the two-phase transaction."""
        with self._lock:
            run(self._tpc_prepare_flow())

    def tpc_commit(self, xid: Xid | str | None = None) -> None:
        """Commit the two-phase transaction, or the prepared one ``xid`` (recovered)."""
        with self._lock:
            run(self._tpc_finish_flow("COMMIT", xid))

    def tpc_rollback(self, xid: Xid | str | None = None) -> None:
        """Roll back the two-phase transaction, or the prepared one ``xid`` (recovered)."""
        with self._lock:
            run(self._tpc_finish_flow("ROLLBACK", xid))

    def tpc_recover(self) -> list[Xid]:
        """The prepared transactions waiting on the server, as Xids."""
        return run(self._tpc_recover_flow())

    def close(self) -> None:
        """Close the connection (idempotent); an async query in flight is abandoned."""
        self._inflight = None
        self._close()

    def pipeline(self) -> Pipeline:
        """``with conn.pipeline():`` — queue statements, read their results later."""
        with self._lock:
            if self._pipeline is None:
                self._check_open()
                self._settle(None)
                self._pipeline = Pipeline(self)
            return self._pipeline  # type: ignore[no-any-return]

    def transaction(
        self, savepoint_name: str | None = None, force_rollback: bool = False
    ) -> Transaction:
        """A block run in a transaction; nested blocks are savepoints."""
        return Transaction(self, savepoint_name, force_rollback)

    def start_replication(self, slot_name: str | None = None, **options: Any) -> ReplicationStream:
        """Start streaming from a replication slot (see :mod:`pgwire.replication`).

        Needs a connection made with ``replication="database"`` (logical:
        ``publication_names=[...]`` and the other pgoutput options) or
        ``replication="true"`` (physical: ``start_lsn``, ``timeline``).
        """
        # Imported here: its message classes cost an import a few milliseconds.
        from .replication import ReplicationStream

        return ReplicationStream(self, slot_name, **options).start()

    # --- notifications -------------------------------------------------------------

    def notifies(
        self, timeout: float | None = None, stop_after: int | None = None
    ) -> Iterator[Notify]:
        """Yield notifications as they arrive; stop after ``timeout`` seconds if given."""
        return run_iter(self._notifies_flow(timeout, stop_after))


class Transaction(BaseTransaction):
    """``with conn.transaction():`` — commit on success, roll back on an exception."""

    connection: Connection

    def __enter__(self) -> Transaction:
        conn = self.connection
        with conn._lock:
            run(conn._block_enter_flow(self._plan))
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        conn = self.connection
        with conn._lock:
            return run(conn._block_exit_flow(self._plan, exc))


class Pipeline(PipelineState):
    """A pipeline of a blocking connection (see :mod:`pgwire.pipeline`)."""

    _conn: Connection

    def sync(self) -> None:
        """Send a Sync and read every queued result; raise the first error not yet raised."""
        with self._conn._lock:
            run(self._sync_flow())

    def fetch(self, cursor: Cursor) -> None:
        """Read the results up to ``cursor``'s statements."""
        with self._conn._lock:
            run(self._read_flow(self.fetch_op(cursor)))

    def __enter__(self) -> Pipeline:
        with self._conn._lock:
            self._enter()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with self._conn._lock:
            run(self._exit_flow(exc))


__all__ = ["Connection", "Rollback", "Transaction", "TransactionStatus"]
