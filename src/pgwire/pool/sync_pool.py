"""The blocking connection pool."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from time import monotonic
from types import TracebackType

from ..connection import Connection
from ._base import BasePool, FlowGen, Lifeline, ping_flow, run

__all__ = ["ConnectionPool", "NullConnectionPool"]


def _set_autocommit(conn: Connection, value: bool) -> None:
    conn.autocommit = value


class ConnectionPool(BasePool):
    """A pool of blocking :class:`~pgwire.Connection` objects, for threads.

    ``ConnectionPool(conninfo="", *, connection_class=Connection, kwargs=None,
    min_size=4, max_size=None, open=None, configure=None, check=None,
    reset=None, name=None, timeout=30.0, max_waiting=0, max_lifetime=3600.0,
    max_idle=600.0, reconnect_timeout=300.0, reconnect_failed=None,
    num_workers=3, close_returns=False)``, as psycopg_pool's:

    * connections are ``connection_class.connect(conninfo, **kwargs)``;
      ``conninfo`` and ``kwargs`` may be functions, called for each new
      connection;
    * ``min_size`` of them are kept open; up to ``max_size`` (default:
      ``min_size``) are opened while clients wait for one;
    * ``open``: ``True`` opens the pool in the constructor; ``False`` leaves
      it to :meth:`open`, or to ``with ConnectionPool(...) as pool:``, which
      opens it (if needed) and closes it at the end. ``None`` (not given)
      opens it too, but the first request warns ``DeprecationWarning``, as
      psycopg_pool's, whose default will become ``False`` (not when the pool
      is used in a ``with`` block);
    * ``configure(conn)`` runs on each new connection, ``reset(conn)`` on
      each one returned, ``check(conn)`` on each one about to be lent
      (:meth:`check_connection` is a ready-made one); a connection a
      callback fails on, or leaves in a transaction, is discarded;
    * ``timeout``: default seconds :meth:`getconn` waits;
      ``max_waiting``: how many clients may wait at once (0: no limit),
      more raise :class:`~pgwire.pool.TooManyRequests`;
    * ``max_lifetime``: seconds after which a connection is replaced
      (shortened by up to 10% at random); ``max_idle``: seconds after which
      an unused connection above ``min_size`` is closed;
    * failed connection attempts are retried with exponential backoff; after
      ``reconnect_timeout`` seconds of failures ``reconnect_failed(pool)`` is
      called and attempts stop until a client asks for a connection;
    * ``num_workers`` threads open, replace and close connections in the
      background; borrowing and returning run in the caller's thread;
    * ``close_returns``: ``conn.close()`` on a lent connection gives it back
      to the pool (as :meth:`putconn`) instead of closing it.
    """

    _default_connection_class = Connection
    _run_flow = staticmethod(run)

    def _open_in_constructor(self, open: bool | None) -> None:
        if open is None:
            self._open_implicit = True
        if open is None or open:
            self.open()

    def _warning_for_implicit_open(self) -> tuple[str, type[Warning]]:
        name = type(self).__name__
        return (
            f"the default of the {name} 'open' parameter will become False"
            " (as in psycopg_pool): pass open=True or open=False, or use the pool"
            f" as a context manager: 'with {name}(...) as pool:'",
            DeprecationWarning,
        )

    def __enter__(self) -> ConnectionPool:
        self._open_implicit = False
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

    @classmethod
    def _collected(cls, life: Lifeline) -> None:
        with life.lock:
            conns = life.state.close()
        if conns is None:
            return  # closed already
        for event in life.wakeups:
            event.set()  # the workers find the pool gone and stop
        for conn in conns:
            try:
                type(conn).close(conn)
            except Exception:
                pass  # nothing to tell in a finalizer

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
        """Block until ``min_size`` connections are open (a null pool: until one could be made).

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
        self._check_implicit_open(stacklevel=2)
        conn: Connection = run(self._getconn_flow(timeout))
        return conn

    def resize(self, min_size: int, max_size: int | None = None) -> None:
        """Change the sizes; connections are opened or closed in the background."""
        self._resize(min_size, max_size)

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
        # Told here, so that the warning points at the caller's 'with'.
        self._check_implicit_open(stacklevel=3)
        conn = self.getconn(timeout)
        loan = self._loan_of(conn)
        succeeded = False
        try:
            yield conn
            succeeded = True
        finally:
            run(self._release_flow(conn, succeeded, loan))

    def drain(self) -> None:
        """Replace every connection: close the idle ones now, the lent ones
        when they come back; the pool stays open and opens new ones."""
        run(self._drain_flow())

    def check(self) -> None:
        """Check every idle connection now; replace those that don't work."""
        run(self._check_flow())

    @staticmethod
    def check_connection(conn: Connection) -> None:
        """A ``check`` callback: raise if ``conn`` can't run an empty query."""
        run(ping_flow(conn, _set_autocommit))


class NullConnectionPool(ConnectionPool):
    """A :class:`ConnectionPool` that keeps no connection, as psycopg_pool's.

    Each request opens a connection, closed when it comes back (unless a
    client waits for one: it gets it). ``min_size`` must be 0; ``max_size``
    bounds the connections open at once, and more clients wait (up to
    ``timeout``); ``None`` or 0 means no bound.
    """

    _null = True
