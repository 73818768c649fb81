"""The blocking connection pool."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from time import monotonic
from types import TracebackType
from typing import Any

from ..connection import Connection
from ._base import BasePool, FlowGen, ping_flow, run

__all__ = ["ConnectionPool"]


def _set_autocommit(conn: Connection, value: bool) -> None:
    conn.autocommit = value


class ConnectionPool(BasePool):
    """A pool of blocking :class:`~pgwire.Connection` objects, for threads.

    ``min_size`` connections are kept open; up to ``max_size`` (default:
    ``min_size``) are opened while clients wait. Worker threads open,
    replace and close connections in the background; borrowing and
    returning happen in the caller's thread. ``open=None`` opens the pool in
    the constructor; ``with ConnectionPool(...) as pool:`` opens it (if
    needed) and closes it at the end.

    Callbacks: ``configure(conn)`` runs on each new connection,
    ``reset(conn)`` on each returned one, ``check(conn)`` on each one lent
    (:meth:`check_connection` is a ready-made one), and
    ``reconnect_failed(pool)`` when connection attempts have failed for
    ``reconnect_timeout`` seconds. A connection a callback leaves in a
    transaction, or fails in, is discarded.
    """

    def __init__(
        self,
        conninfo: str = "",
        *,
        connection_class: type[Connection] = Connection,
        kwargs: dict[str, Any] | None = None,
        min_size: int = 4,
        max_size: int | None = None,
        open: bool | None = None,
        configure: Callable[[Connection], None] | None = None,
        check: Callable[[Connection], None] | None = None,
        reset: Callable[[Connection], None] | None = None,
        name: str | None = None,
        timeout: float = 30.0,
        max_waiting: int = 0,
        max_lifetime: float = 3600.0,
        max_idle: float = 600.0,
        reconnect_timeout: float = 300.0,
        reconnect_failed: Callable[[ConnectionPool], None] | None = None,
        num_workers: int = 3,
    ) -> None:
        super().__init__(
            conninfo,
            connection_class=connection_class,
            kwargs=kwargs,
            min_size=min_size,
            max_size=max_size,
            configure=configure,
            reset=reset,
            check=check,
            reconnect_failed=reconnect_failed,
            name=name,
            timeout=timeout,
            max_waiting=max_waiting,
            max_lifetime=max_lifetime,
            max_idle=max_idle,
            reconnect_timeout=reconnect_timeout,
            num_workers=num_workers,
        )
        if open is None or open:
            self.open()

    def __enter__(self) -> ConnectionPool:
        self.open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- the blocking side of the flows ----------------------------------------------

    def _new_event(self) -> threading.Event:
        return threading.Event()

    def _spawn_worker(self, flow: FlowGen[None], index: int) -> threading.Thread:
        thread = threading.Thread(
            target=run, args=(flow,), name=f"{self.name}-worker-{index}", daemon=True
        )
        thread.start()
        return thread

    def _stop_workers(self, workers: list[threading.Thread], timeout: float) -> None:
        deadline = monotonic() + timeout
        current = threading.current_thread()
        for thread in workers:
            if thread is not current:
                # A worker stuck connecting is left behind; it stops once done.
                thread.join(max(0.0, deadline - monotonic()))

    # --- public API ------------------------------------------------------------------

    def open(self, wait: bool = False, timeout: float = 30.0) -> None:
        """Open the pool (nothing if open); with ``wait``, as :meth:`wait` too."""
        run(self._open_flow(wait, timeout))

    def wait(self, timeout: float = 30.0) -> None:
        """Block until ``min_size`` connections are open.

        Raises :class:`~pgwire.pool.PoolTimeout`, and closes the pool, if
        that takes longer than ``timeout`` seconds.
        """
        run(self._wait_flow(timeout))

    def close(self, timeout: float = 5.0) -> None:
        """Close the pool and its idle connections; refuse waiting and new clients.

        Lent connections are closed when they come back. Waits up to
        ``timeout`` seconds for the worker threads to stop.
        """
        run(self._close_flow(timeout))

    def getconn(self, timeout: float | None = None) -> Connection:
        """Borrow a connection; give it back with :meth:`putconn`.

        Waits up to ``timeout`` seconds (default: the pool's ``timeout``),
        then raises :class:`~pgwire.pool.PoolTimeout`.
        """
        conn: Connection = run(self._getconn_flow(timeout))
        return conn

    def putconn(self, conn: Connection) -> None:
        """Give back a connection from :meth:`getconn`.

        An open transaction is rolled back; a closed, broken or busy
        connection is discarded (and replaced in the background).
        """
        run(self._putconn_flow(conn))

    @contextmanager
    def connection(self, timeout: float | None = None) -> Iterator[Connection]:
        """Borrow a connection for a ``with`` block.

        At the end of the block the transaction is committed, or rolled back
        if the block raised; then the connection goes back to the pool.
        """
        conn = self.getconn(timeout)
        succeeded = False
        try:
            yield conn
            succeeded = True
        finally:
            run(self._release_flow(conn, succeeded))

    def check(self) -> None:
        """Check every idle connection now; replace those that don't work."""
        run(self._check_flow())

    @staticmethod
    def check_connection(conn: Connection) -> None:
        """A ``check`` callback: raise if ``conn`` can't run an empty query."""
        run(ping_flow(conn, _set_autocommit))
