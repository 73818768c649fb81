"""psycopg_pool 3.3 features of both pools: null pools, drain(), close_returns,
and conninfo/kwargs given as functions; against a real server."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from test_pool import admin_fixture, app_fixture, backends, pid_of, until  # noqa: F401 - fixtures
from test_pool_async import run_async
from test_pool_async import until as auntil

from pgwire.pool import (
    AsyncConnectionPool,
    AsyncNullConnectionPool,
    ConnectionPool,
    NullConnectionPool,
    PoolClosed,
    PoolTimeout,
)

# --- null pools --------------------------------------------------------------------------


def test_null_pool_opens_per_request_and_closes_on_return(dsn, app, admin):
    with NullConnectionPool(dsn, kwargs={"application_name": app}, max_size=1) as pool:
        pool.wait()  # one connection made, to see that it can be, and closed
        until(lambda: backends(admin, app) == [])
        with pool.connection() as conn:
            pid = pid_of(conn)
            assert backends(admin, app) == [pid]
            # max_size bounds the connections: another client waits, then times out.
            with pytest.raises(PoolTimeout):
                pool.getconn(timeout=0.3)
        assert conn.closed
        until(lambda: backends(admin, app) == [])
        with pool.connection() as conn:
            assert pid_of(conn) != pid
        stats = pool.get_stats()
        assert stats["pool_available"] == 0
        assert stats["connections_num"] == 3
        assert not pool.closed


def test_null_pool_wait_proves_a_connection_can_be_made(dsn):
    def configure(conn):
        conn.execute("SELECT 1")  # leaves the connection in a transaction: refused

    with NullConnectionPool(dsn, configure=configure, reconnect_timeout=60) as pool:
        with pytest.raises(PoolTimeout, match="initialization incomplete"):
            pool.wait(timeout=0.5)
        assert pool.closed
        with pytest.raises(PoolClosed, match="is already closed"):
            pool.getconn()
    with NullConnectionPool("host=127.0.0.1 port=1 connect_timeout=2", open=False) as pool:
        pool.open()
        with pytest.raises(PoolTimeout):
            pool.wait(timeout=0.5)


def test_null_pool_hands_a_returned_connection_to_a_waiting_client(dsn, app):
    with NullConnectionPool(dsn, kwargs={"application_name": app}, max_size=1) as pool:
        conn = pool.getconn()
        got: list[Any] = []
        waiter = threading.Thread(target=lambda: got.append(pool.getconn(timeout=10)))
        waiter.start()
        until(lambda: pool.get_stats()["requests_waiting"] == 1)
        pool.putconn(conn)
        waiter.join(10)
        assert got == [conn] and not conn.closed
        pool.putconn(conn)
        assert conn.closed


def test_null_pool_min_size_must_be_zero(dsn):
    with pytest.raises(ValueError, match="min_size"):
        NullConnectionPool(dsn, min_size=1, open=False)
    pool = NullConnectionPool(dsn, open=False)
    assert (pool.min_size, pool.max_size) == (0, 0)  # max_size 0: no limit, as psycopg_pool
    with pytest.raises(ValueError, match="min_size"):
        pool.resize(2)


@run_async
async def test_async_null_pool(dsn, app, admin):
    async with AsyncNullConnectionPool(dsn, kwargs={"application_name": app}, max_size=1) as pool:
        assert backends(admin, app) == []
        async with pool.connection() as aconn:
            pid = pid_of(aconn)
            assert backends(admin, app) == [pid]
            with pytest.raises(PoolTimeout):
                await pool.getconn(timeout=0.3)
        assert aconn.closed
        await auntil(lambda: backends(admin, app) == [])
        assert pool.get_stats()["pool_available"] == 0


# --- drain() -----------------------------------------------------------------------------


def test_drain_replaces_every_connection(dsn, app, admin):
    with ConnectionPool(dsn, kwargs={"application_name": app}, min_size=2) as pool:
        pool.wait()
        lent = pool.getconn()
        before = set(backends(admin, app))
        assert len(before) == 2
        pool.drain()
        assert not pool.closed
        # The idle one is replaced at once; the lent one is kept until it comes back.
        until(lambda: len(set(backends(admin, app)) - before) == 1)
        assert pid_of(lent) in backends(admin, app)
        pool.putconn(lent)
        assert lent.closed
        until(lambda: not set(backends(admin, app)) & before)
        with pool.connection() as conn:
            assert pid_of(conn) not in before


@run_async
async def test_async_drain_replaces_every_connection(dsn, app, admin):
    async with AsyncConnectionPool(dsn, kwargs={"application_name": app}, min_size=2) as pool:
        await pool.wait()
        lent = await pool.getconn()
        before = set(backends(admin, app))
        assert len(before) == 2
        await pool.drain()
        assert not pool.closed
        await auntil(lambda: len(set(backends(admin, app)) - before) == 1)
        assert pid_of(lent) in backends(admin, app)
        await pool.putconn(lent)
        assert lent.closed
        await auntil(lambda: not set(backends(admin, app)) & before)


# --- close_returns -----------------------------------------------------------------------


def test_close_returns_gives_the_connection_back(dsn, app):
    with ConnectionPool(
        dsn, kwargs={"application_name": app}, min_size=1, close_returns=True
    ) as pool:
        conn = pool.getconn()
        pid = pid_of(conn)
        conn.execute("SELECT 1")  # leaves a transaction open, rolled back on return
        conn.close()
        assert not conn.closed
        assert pool.get_stats()["pool_available"] == 1
        with pool.connection() as again:
            assert again is conn and pid_of(again) == pid
            assert again.execute("SELECT 2").fetchone() == (2,)
        with pool.connection() as again, again:  # a with block on the connection too
            pass
        assert pool.get_stats()["pool_available"] == 1
        conn.close()  # idle in the pool: the pool's to close, not the caller's
        assert not conn.closed
        assert pool.get_stats()["pool_available"] == 1
    assert conn.closed  # closing the pool closes it for real


def test_close_returns_in_a_block_does_not_return_the_next_loan(dsn, app):
    with ConnectionPool(
        dsn, kwargs={"application_name": app}, min_size=1, close_returns=True
    ) as pool:
        with pool.connection() as conn:
            conn.close()
            other = pool.getconn()  # the same connection, lent again
            assert other is conn
        # The block's end left the new loan alone.
        assert pool.get_stats()["pool_available"] == 0
        assert other.execute("SELECT 1").fetchone() == (1,)
        pool.putconn(other)
        assert pool.get_stats()["pool_available"] == 1


def test_without_close_returns_close_closes(dsn, app):
    with ConnectionPool(dsn, kwargs={"application_name": app}, min_size=1) as pool:
        conn = pool.getconn()
        conn.close()
        assert conn.closed
        pool.putconn(conn)
        assert pool.get_stats()["returns_bad"] == 1


@run_async
async def test_async_close_returns_gives_the_connection_back(dsn, app):
    async with AsyncConnectionPool(
        dsn, kwargs={"application_name": app}, min_size=1, close_returns=True
    ) as pool:
        aconn = await pool.getconn()
        await aconn.close()
        assert not aconn.closed
        assert pool.get_stats()["pool_available"] == 1
        async with pool.connection() as again:
            assert again is aconn
    assert aconn.closed


# --- conninfo and kwargs as functions ----------------------------------------------------


def test_conninfo_and_kwargs_functions_are_called_per_connection(dsn, app, admin):
    calls: list[str] = []

    def conninfo() -> str:
        calls.append("conninfo")
        return dsn

    def kwargs() -> dict[str, Any]:
        calls.append("kwargs")
        return {"application_name": f"{app}-{calls.count('kwargs')}"}

    with ConnectionPool(conninfo, kwargs=kwargs, min_size=2, num_workers=1) as pool:
        pool.wait()
        assert calls.count("conninfo") == 2 and calls.count("kwargs") == 2
        assert len(backends(admin, f"{app}-1")) == 1
        assert len(backends(admin, f"{app}-2")) == 1


@run_async
async def test_async_conninfo_and_kwargs_may_be_coroutine_functions(dsn, app, admin):
    calls: list[str] = []

    async def conninfo() -> str:
        await asyncio.sleep(0)
        calls.append("conninfo")
        return dsn

    async def kwargs() -> dict[str, Any]:
        calls.append("kwargs")
        return {"application_name": app}

    async with AsyncConnectionPool(conninfo, kwargs=kwargs, min_size=2) as pool:
        await pool.wait()
        assert calls.count("conninfo") == 2 and calls.count("kwargs") == 2
        assert len(backends(admin, app)) == 2


# --- typing and logging as psycopg_pool --------------------------------------------------


def test_pools_are_generic_in_annotations():
    import pgwire

    for pool_class, conn_class in (
        (ConnectionPool, pgwire.Connection),
        (NullConnectionPool, pgwire.Connection),
        (AsyncConnectionPool, pgwire.AsyncConnection),
        (AsyncNullConnectionPool, pgwire.AsyncConnection),
    ):
        alias = pool_class[conn_class]
        assert alias.__origin__ is pool_class and alias.__args__ == (conn_class,)


def test_a_failed_check_is_told_at_info(dsn, app, admin, caplog):
    """A check that finds a dropped connection is the check at work: INFO, not WARNING."""
    import logging

    caplog.set_level(logging.INFO, logger="pgwire.pool")
    kwargs = {"application_name": app}
    with ConnectionPool(
        dsn, kwargs=kwargs, min_size=1, check=ConnectionPool.check_connection
    ) as pool:
        pool.wait()
        with pool.connection() as conn:
            pid = pid_of(conn)
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
        until(lambda: pid not in backends(admin, app))
        with pool.connection() as conn:
            assert pid_of(conn) != pid
    failed = [r for r in caplog.records if "check of a connection failed" in r.getMessage()]
    assert failed and all(r.levelno == logging.INFO for r in failed)


# --- a pool made without open= ---------------------------------------------------------


def test_pool_opened_by_default_warns_at_first_request(dsn, app, recwarn):
    import warnings

    kwargs = {"application_name": app}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # Told open= (either way), or used in a with block: nothing to warn about.
        for pool in (
            ConnectionPool(dsn, kwargs=kwargs, min_size=1, open=True),
            ConnectionPool(dsn, kwargs=kwargs, min_size=1, open=False),
        ):
            pool.open()
            with pool.connection():
                pass
            pool.close()
        with ConnectionPool(dsn, kwargs=kwargs, min_size=1) as pool, pool.connection():
            pass
    # Not told: opened, as psycopg_pool's, and the first request warns, once.
    pool = NullConnectionPool(dsn, kwargs=kwargs)
    try:
        assert not pool.closed
        with pytest.warns(DeprecationWarning, match="'open' parameter") as caught:
            with pool.connection() as conn:
                assert conn.execute("SELECT 1").fetchone() == (1,)
        assert caught[0].filename == __file__  # pointed at the caller
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            pool.getconn(timeout=5).close()
    finally:
        pool.close()


def test_async_pool_without_open_opens_in_a_running_loop(dsn, app):
    import warnings

    kwargs = {"application_name": app}
    # No running loop: it can't be opened yet, and stays closed until it is.
    pool = AsyncConnectionPool(dsn, kwargs=kwargs, min_size=1)
    assert pool.closed

    async def main() -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            async with pool, pool.connection():
                pass
            async with AsyncConnectionPool(dsn, kwargs=kwargs, min_size=1) as other:
                async with other.connection():
                    pass
        # In a running loop it is opened, as psycopg_pool's, and the first
        # request warns (even after open(): it was opened in the constructor).
        implicit = AsyncNullConnectionPool(dsn, kwargs=kwargs)
        assert not implicit.closed
        await implicit.open()
        try:
            with pytest.warns(RuntimeWarning, match="in the constructor") as caught:
                async with implicit.connection() as aconn:
                    await aconn.execute("SELECT 1")
            assert caught[0].filename == __file__
        finally:
            await implicit.close()

    asyncio.run(asyncio.wait_for(main(), 30))


# --- conn._pool, and the pool's own figures ------------------------------------------------


def test_a_lent_connection_knows_its_pool(dsn, app):
    kwargs = {"application_name": app}
    with ConnectionPool(dsn, kwargs=kwargs, min_size=1) as pool:
        with ConnectionPool(dsn, kwargs=kwargs, min_size=1) as other:
            conn = pool.getconn()
            assert conn._pool is pool
            with pytest.raises(ValueError, match=f"comes from the pool {pool.name!r}"):
                other.putconn(conn)
            pool.putconn(conn)
            assert conn._pool is None
            with pool.connection() as again:
                assert again is conn and again._pool is pool


@run_async
async def test_async_lent_connection_knows_its_pool(dsn, app):
    async with AsyncConnectionPool(dsn, kwargs={"application_name": app}, min_size=1) as pool:
        async with pool.connection() as aconn:
            assert aconn._pool is pool
        assert aconn._pool is None


def test_null_pool_counts_as_queued_only_the_requests_that_wait(dsn, app):
    release = threading.Event()

    def hold() -> None:
        with pool.connection():
            release.wait(10)

    with NullConnectionPool(dsn, kwargs={"application_name": app}, max_size=2) as pool:
        holders = [threading.Thread(target=hold) for _ in range(2)]
        for thread in holders:
            thread.start()
        until(lambda: pool.get_stats()["pool_size"] == 2)
        stats = pool.get_stats()
        # Each got its own connection: neither queued nor counted as waiting.
        assert (stats["requests_queued"], stats["requests_wait_ms"]) == (0, 0)
        waiter = threading.Thread(target=hold)
        waiter.start()
        until(lambda: pool.get_stats()["requests_waiting"] == 1)
        release.set()
        for thread in [*holders, waiter]:
            thread.join()
        stats = pool.pop_stats()
        assert (stats["requests_num"], stats["requests_queued"]) == (3, 1)
        # A connection given back closed is counted bad, though it would be closed anyway.
        with pool.connection() as conn:
            conn.close()
        assert pool.get_stats()["returns_bad"] == 1


@run_async
async def test_async_null_pool_counts_a_closed_return_as_bad(dsn, app):
    async with AsyncNullConnectionPool(dsn, kwargs={"application_name": app}) as pool:
        async with pool.connection() as aconn:
            await aconn.close()
        stats = pool.get_stats()
        assert (stats["requests_queued"], stats["returns_bad"]) == (0, 1)
