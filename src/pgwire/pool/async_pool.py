"""The asyncio connection pool."""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import TracebackType

from ..aio import AsyncConnection
from ._base import BasePool, FlowGen, arun, ping_flow

__all__ = ["AsyncConnectionPool", "AsyncNullConnectionPool"]


class AsyncConnectionPool(BasePool):
    """A pool of :class:`~pgwire.AsyncConnection` objects, for asyncio tasks.

    The same policy and parameters as :class:`~pgwire.pool.ConnectionPool`,
    with background tasks instead of threads, all in the event loop that
    opened the pool. The pool is opened by ``await pool.open()`` or
    ``async with AsyncConnectionPool(...) as pool:``; ``open=True`` opens it
    in the constructor, which then needs a running event loop. Callbacks
    (``configure``, ``reset``, ``check``, ``reconnect_failed``) and the
    ``conninfo`` and ``kwargs`` functions may be coroutine functions or
    plain functions. With ``close_returns``, ``await conn.close()`` gives a
    lent connection back to the pool.
    """

    _default_connection_class = AsyncConnection
    _run_flow = staticmethod(arun)

    def _open_in_constructor(self, open: bool | None) -> None:
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

    async def __aenter__(self) -> AsyncConnectionPool:
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
        return asyncio.get_running_loop().create_task(
            arun(flow), name=f"{self.name}-worker-{index}"
        )

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
        conn: AsyncConnection = await arun(self._getconn_flow(timeout))
        return conn

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


class AsyncNullConnectionPool(AsyncConnectionPool):
    """An :class:`AsyncConnectionPool` that keeps no connection, as psycopg_pool's.

    See :class:`~pgwire.pool.NullConnectionPool`.
    """

    _null = True
