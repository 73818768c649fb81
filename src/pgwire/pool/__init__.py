"""Connection pools: :class:`ConnectionPool` for threads, :class:`AsyncConnectionPool` for asyncio.

Modelled on psycopg_pool::

    from pgwire.pool import ConnectionPool

    with ConnectionPool("dbname=test", min_size=2, max_size=10) as pool:
        with pool.connection() as conn:
            conn.execute("INSERT INTO t VALUES (1)")
        # committed here, and the connection is back in the pool

Both pools share one policy (:mod:`pgwire.pool._state`) and one set of
operations (:mod:`pgwire.pool._base`); they differ only in how they wait and
connect. Failed connection attempts are retried after the delays of
:class:`AttemptWithBackoff` (psycopg_pool's ``psycopg_pool.base.AttemptWithBackoff``).
"""

from __future__ import annotations

from ._state import AttemptWithBackoff
from .async_pool import AsyncConnectionPool, AsyncNullConnectionPool
from .errors import PoolClosed, PoolTimeout, TooManyRequests
from .sync_pool import ConnectionPool, NullConnectionPool

__all__ = [
    "AsyncConnectionPool",
    "AsyncNullConnectionPool",
    "AttemptWithBackoff",
    "ConnectionPool",
    "NullConnectionPool",
    "PoolClosed",
    "PoolTimeout",
    "TooManyRequests",
]
