"""The asyncio connection pool."""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import AsyncIterator, Awaitable, Generator
from contextlib import asynccontextmanager
from types import TracebackType

from ..aio import AsyncConnection
from ._base import BasePool, FlowGen, Lifeline, arun, ping_flow

__all__ = ["AsyncConnectionPool", "AsyncNullConnectionPool"]


class AsyncConnectionPool(BasePool):
    """A pool of :class:`~pgwire.AsyncConnection` objects, for asyncio tasks.

    The same policy and parameters as :class:`~pgwire.pool.ConnectionPool`,
    with background tasks instead of threads, all in the event loop that
    opened the pool. The pool is opened by ``await pool.open()`` or
    ``async with AsyncConnectionPool(...) as pool:``. As psycopg_pool's, it
    is also opened by the constructor with ``open=True`` (which warns
    ``RuntimeWarning`` and needs a running event loop), and without ``open=``
    when an event loop is running (the first request then warns
    ``RuntimeWarning``, not in an ``async with`` block); without ``open=``
    and no running loop it stays closed until opened. Callbacks
    (``configure``, ``reset``, ``check``, ``reconnect_failed``) and the
    ``conninfo`` and ``kwargs`` functions may be coroutine functions or
    plain functions. With ``close_returns``, ``await conn.close()`` gives a
    lent connection back to the pool.
    """

    _default_connection_class = AsyncConnection
    _run_flow = staticmethod(arun)

    def _open_in_constructor(self, open: bool | None) -> None:
        if open is None:
            try:
                asyncio.get_running_loop()
            except RuntimeError:
                # psycopg_pool raises here; a pool made at import time and
                # opened later by 'async with' is the way it is asked for.
                return
            self._open_implicit = True
            self._start()
            return
        if not open:
            return
        # As psycopg_pool: a constructor can't wait for the opening, nor raise its errors.
        warnings.warn(
            "AsyncConnectionPool(open=True) opens the pool without waiting for it:"
            " use 'await pool.open()' or 'async with pool' instead",
            RuntimeWarning,
            stacklevel=3,
        )
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            raise RuntimeError(
                "AsyncConnectionPool(open=True) needs a running event loop; "
                "use 'await pool.open()' or 'async with pool' instead"
            ) from None
        self._start()

    def _warning_for_implicit_open(self) -> tuple[str, type[Warning]]:
        name = type(self).__name__
        return (
            f"opening the async pool {name} in the constructor is deprecated"
            " (as in psycopg_pool): use 'await pool.open()', or the pool as a"
            f" context manager: 'async with {name}(...) as pool:'",
            RuntimeWarning,
        )

    async def __aenter__(self) -> AsyncConnectionPool:
        self._open_implicit = False
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # --- the asyncio side of the flows -----------------------------------------------

    def _new_event(self) -> asyncio.Event:
        return asyncio.Event()

    def _spawn_worker(self, flow: FlowGen[None], index: int) -> asyncio.Task[None]:
        loop = self._life.loop = asyncio.get_running_loop()
        return loop.create_task(arun(flow), name=f"{self.name}-worker-{index}")

    @classmethod
    def _collected(cls, life: Lifeline) -> None:
        with life.lock:
            conns = life.state.close()
        if conns is None:
            return  # closed already
        wakeups = list(life.wakeups)

        def finish() -> None:
            for event in wakeups:
                event.set()  # the workers find the pool gone and stop
            if conns:
                loop.create_task(_close_all(conns))

        loop = life.loop
        try:
            # The finalizer may run in any thread: the events and the
            # connections belong to the loop.
            loop.call_soon_threadsafe(finish)
        except RuntimeError:
            pass  # the loop is closed: the connections are lost with it

    async def _stop_workers(self, workers: list[asyncio.Task[None]], timeout: float) -> None:
        current = asyncio.current_task()
        tasks = [task for task in workers if task is not current]
        for task in tasks:
            # A worker may be waiting for a connection attempt: don't wait for it.
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=timeout)

    # --- public API ------------------------------------------------------------------

    async def open(self, wait: bool = False, timeout: float = 30.0) -> None:
        """Open the pool (nothing if open); with ``wait``, as :meth:`wait` too."""
        await arun(self._open_flow(wait, timeout))

    async def wait(self, timeout: float = 30.0) -> None:
        """Wait until ``min_size`` connections are open (a null pool: until one could be made).

        Raises :class:`~pgwire.pool.PoolTimeout`, and closes the pool, if
        that takes longer than ``timeout`` seconds.
        """
        await arun(self._wait_flow(timeout))

    async def close(self, timeout: float = 5.0) -> None:
        """Close the pool and its idle connections; refuse waiting and new clients.

        Lent connections are closed when they come back. Waits up to
        ``timeout`` seconds for the worker tasks to stop.
        """
        await arun(self._close_flow(timeout))

    async def getconn(self, timeout: float | None = None) -> AsyncConnection:
        """Borrow a connection; give it back with :meth:`putconn`.

        Waits up to ``timeout`` seconds (default: the pool's ``timeout``),
        then raises :class:`~pgwire.pool.PoolTimeout`.
        """
        self._check_implicit_open(stacklevel=2)
        conn: AsyncConnection = await arun(self._getconn_flow(timeout))
        return conn

    def resize(self, min_size: int, max_size: int | None = None) -> Awaitable[None]:
        """Change the sizes; connections are opened or closed in the background.

        Done at the call; what it returns may be awaited (``await
        pool.resize(...)``, as psycopg_pool's coroutine) or not.
        """
        self._resize(min_size, max_size)
        return _DONE

    async def putconn(self, conn: AsyncConnection) -> None:
        """Give back a connection from :meth:`getconn`.

        An open transaction is rolled back; a closed, broken or busy
        connection is discarded (and replaced in the background).
        """
        await arun(self._putconn_flow(conn))

    @asynccontextmanager
    async def connection(self, timeout: float | None = None) -> AsyncIterator[AsyncConnection]:
        """Borrow a connection for an ``async with`` block.

        At the end of the block the transaction is committed, or rolled back
        if the block raised; then the connection goes back to the pool.
        """
        # Told here, so that the warning points at the caller's 'async with'.
        self._check_implicit_open(stacklevel=3)
        aconn = await self.getconn(timeout)
        loan = self._loan_of(aconn)
        succeeded = False
        try:
            yield aconn
            succeeded = True
        finally:
            await arun(self._release_flow(aconn, succeeded, loan))

    async def drain(self) -> None:
        """Replace every connection: close the idle ones now, the lent ones
        when they come back; the pool stays open and opens new ones."""
        await arun(self._drain_flow())

    async def check(self) -> None:
        """Check every idle connection now; replace those that don't work."""
        await arun(self._check_flow())

    @staticmethod
    async def check_connection(conn: AsyncConnection) -> None:
        """A ``check`` callback: raise if ``conn`` can't run an empty query."""
        await arun(ping_flow(conn, AsyncConnection.set_autocommit))


class _Done:
    """An awaitable with nothing left to do (no warning if it is never awaited)."""

    __slots__ = ()

    def __await__(self) -> Generator[None, None, None]:
        return
        yield  # a generator, ending at once


_DONE = _Done()


async def _close_all(conns: list[AsyncConnection]) -> None:
    """Close the idle connections of a pool that was garbage-collected."""
    for conn in conns:
        try:
            await type(conn).close(conn)
        except Exception:
            pass  # nothing to tell in a finalizer


class AsyncNullConnectionPool(AsyncConnectionPool):
    """An :class:`AsyncConnectionPool` that keeps no connection, as psycopg_pool's.

    See :class:`~pgwire.pool.NullConnectionPool`.
    """

    _null = True
