"""The asyncio connection pool against a real server."""

from __future__ import annotations

import asyncio
import functools
import secrets
import time
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
from test_pool import admin_fixture, app_fixture, backends, pid_of  # noqa: F401 - fixtures

import pgwire
from pgwire import AsyncConnection, TransactionStatus
from pgwire.pool import (
    AsyncConnectionPool,
    AttemptWithBackoff,
    PoolClosed,
    PoolTimeout,
    TooManyRequests,
)


def run_async(func: Callable[..., Coroutine[Any, Any, Any]]) -> Callable[..., Any]:
    """Run an async test on a fresh event loop, within the whole test time budget."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return asyncio.run(asyncio.wait_for(func(*args, **kwargs), 30))

    return wrapper


async def until(predicate: Callable[[], Any], timeout: float = 10.0) -> None:
    """Poll ``predicate`` while the event loop runs; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"condition not met within {timeout} s"
        await asyncio.sleep(0.02)


def make_pool(dsn: str, app: str, **kwargs: Any) -> AsyncConnectionPool:
    kwargs.setdefault("timeout", 5.0)
    return AsyncConnectionPool(dsn, kwargs={"application_name": app}, **kwargs)


async def fetch(aconn: AsyncConnection, query: str, params: Any = None) -> Any:
    cur = await aconn.execute(query, params)
    return await cur.fetchone()


@run_async
async def test_borrow_and_return(dsn, app, admin):
    async with make_pool(dsn, app, min_size=2) as pool:
        await pool.wait()
        assert len(backends(admin, app)) == 2
        async with pool.connection() as aconn:
            assert await fetch(aconn, "SELECT 1") == (1,)
            pid = pid_of(aconn)
        aconn = await pool.getconn()
        assert pid_of(aconn) == pid
        assert aconn.info.transaction_status == TransactionStatus.IDLE
        await pool.putconn(aconn)
        stats = pool.get_stats()
        assert stats["pool_size"] == 2 and stats["requests_num"] == 2
        assert "AsyncConnectionPool" in repr(pool)
    assert pool.closed
    assert not [t for t in asyncio.all_tasks() if t.get_name().startswith(pool.name)]
    await until(lambda: backends(admin, app) == [])


@run_async
async def test_many_tasks(dsn, app, admin):
    active = [0, 0]  # now, most
    seen: set[int] = set()

    async def work(n: int) -> int:
        for i in range(5):
            async with pool.connection() as aconn:
                active[0] += 1
                active[1] = max(active)
                assert await fetch(aconn, "SELECT %s::int FROM pg_sleep(0.001)", (i,)) == (i,)
                seen.add(pid_of(aconn))
                active[0] -= 1
        return n

    async with make_pool(dsn, app, min_size=1, max_size=3, timeout=20) as pool:
        assert await asyncio.gather(*(work(n) for n in range(12))) == list(range(12))
        assert active[1] <= 3 and 1 <= len(seen) <= 3
        assert len(backends(admin, app)) <= 3
        stats = pool.get_stats()
        assert stats["requests_num"] == 60 and stats["requests_waiting"] == 0


@run_async
async def test_timeout_and_max_waiting(dsn, app):
    async with make_pool(dsn, app, min_size=1, max_waiting=1) as pool:
        aconn = await pool.getconn()
        started = time.monotonic()
        with pytest.raises(PoolTimeout) as info:
            await pool.getconn(timeout=0.2)
        assert 0.15 < time.monotonic() - started < 2.0
        assert isinstance(info.value, pgwire.OperationalError)
        waiting = asyncio.create_task(pool.getconn(timeout=5))
        await until(lambda: pool.get_stats()["requests_waiting"] == 1)
        with pytest.raises(TooManyRequests):
            await pool.getconn()
        await pool.putconn(aconn)
        assert await waiting is aconn
        await pool.putconn(aconn)
        assert pool.get_stats()["requests_errors"] == 2


@run_async
async def test_connection_block_commits_or_rolls_back(dsn, app, admin):
    table = "apool_tx_" + secrets.token_hex(4)
    async with make_pool(dsn, app, min_size=1) as pool:
        async with pool.connection() as aconn:
            await aconn.execute(f"CREATE TABLE {table} (a int)")
        async with pool.connection() as aconn:
            await aconn.execute(f"INSERT INTO {table} VALUES (1)")
        with pytest.raises(ZeroDivisionError):
            async with pool.connection() as aconn:
                await aconn.execute(f"INSERT INTO {table} VALUES (2)")
                1 / 0  # noqa: B018
        # Returned inside a transaction: rolled back.
        aconn = await pool.getconn()
        await aconn.execute(f"INSERT INTO {table} VALUES (3)")
        await pool.putconn(aconn)
        assert aconn.info.transaction_status == TransactionStatus.IDLE and not aconn.closed
        assert pool.get_stats()["returns_bad"] == 0
    rows = admin.execute(f"SELECT a FROM {table}").fetchall()
    admin.execute(f"DROP TABLE {table}")
    assert rows == [(1,)]


@run_async
async def test_broken_connection_is_replaced(dsn, app, admin):
    async with make_pool(dsn, app, min_size=2) as pool:
        await pool.wait()
        aconn = await pool.getconn()
        victim = pid_of(aconn)
        admin.execute("SELECT pg_terminate_backend(%s)", (victim,))
        with pytest.raises(pgwire.OperationalError):
            await aconn.execute("SELECT 1")
        await pool.putconn(aconn)
        assert aconn.closed and pool.get_stats()["returns_bad"] == 1
        await until(lambda: len(backends(admin, app)) == 2 and victim not in backends(admin, app))


@run_async
async def test_cancelled_waiter_leaves_nothing_behind(dsn, app):
    async with make_pool(dsn, app, min_size=1) as pool:
        aconn = await pool.getconn()
        waiting = asyncio.create_task(pool.getconn(timeout=5))
        await until(lambda: pool.get_stats()["requests_waiting"] == 1)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        assert pool.get_stats()["requests_waiting"] == 0
        # Served and cancelled before it could run: the connection is passed on.
        waiting = asyncio.create_task(pool.getconn(timeout=5))
        await until(lambda: pool.get_stats()["requests_waiting"] == 1)
        await pool.putconn(aconn)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        stats = pool.get_stats()
        assert stats["pool_available"] == 1 and stats["requests_waiting"] == 0
        async with pool.connection(timeout=1) as again:
            assert again is aconn


@run_async
async def test_close(dsn, app, admin):
    pool = make_pool(dsn, app, min_size=1, open=False)
    with pytest.raises(PoolClosed, match="not open yet"):
        await pool.getconn()
    await pool.open(wait=True)
    lent = await pool.getconn()
    waiting = asyncio.create_task(pool.getconn(timeout=5))
    await until(lambda: pool.get_stats()["requests_waiting"] == 1)
    await pool.close()
    with pytest.raises(PoolClosed):
        await waiting
    with pytest.raises(PoolClosed):
        await pool.getconn()
    assert not lent.closed
    await pool.putconn(lent)
    assert lent.closed
    await pool.close()
    assert not [t for t in asyncio.all_tasks() if t.get_name().startswith(pool.name)]
    await until(lambda: backends(admin, app) == [])


def test_open_in_constructor_needs_a_loop(dsn, app):
    with pytest.warns(RuntimeWarning, match="await pool.open"):
        with pytest.raises(RuntimeError, match="event loop"):
            make_pool(dsn, app, open=True)

    async def main() -> tuple[int]:
        with pytest.warns(RuntimeWarning, match="await pool.open"):
            pool = make_pool(dsn, app, min_size=1, open=True)
        try:
            async with pool.connection() as aconn:
                return await fetch(aconn, "SELECT 7")  # type: ignore[no-any-return]
        finally:
            await pool.close()

    assert asyncio.run(main()) == (7,)


@run_async
async def test_callbacks_sync_and_async(dsn, app):
    calls: dict[str, int] = {"configure": 0, "reset": 0, "check": 0}

    async def configure(aconn: AsyncConnection) -> None:
        calls["configure"] += 1
        await aconn.set_autocommit(True)
        await aconn.execute("SET search_path TO pg_catalog")

    def reset(aconn: AsyncConnection) -> None:
        # A plain function is accepted too.
        calls["reset"] += 1

    async def check(aconn: AsyncConnection) -> None:
        calls["check"] += 1
        await AsyncConnectionPool.check_connection(aconn)

    async with make_pool(
        dsn, app, min_size=1, configure=configure, reset=reset, check=check
    ) as pool:
        for _ in range(2):
            async with pool.connection() as aconn:
                assert aconn.autocommit
                assert await fetch(aconn, "SHOW search_path") == ("pg_catalog",)
        assert calls == {"configure": 1, "reset": 2, "check": 2}


@run_async
async def test_check_connection(dsn):
    aconn = await AsyncConnection.connect(dsn)
    await AsyncConnectionPool.check_connection(aconn)
    assert not aconn.autocommit
    assert aconn.info.transaction_status == TransactionStatus.IDLE
    await aconn.close()
    with pytest.raises(pgwire.OperationalError):
        await AsyncConnectionPool.check_connection(aconn)


@run_async
async def test_max_idle_and_lifetime(dsn, app, admin):
    async with make_pool(dsn, app, min_size=1, max_size=3, max_idle=0.3) as pool:
        held = [await pool.getconn() for _ in range(3)]
        for aconn in held:
            await pool.putconn(aconn)
        assert len(backends(admin, app)) == 3
        await until(lambda: len(backends(admin, app)) == 1)
        assert pool.get_stats()["pool_size"] == 1
    async with make_pool(dsn, app, min_size=1, max_lifetime=0.3) as pool:
        await pool.wait()
        first = backends(admin, app)
        await until(lambda: len(backends(admin, app)) == 1 and backends(admin, app) != first)


@run_async
async def test_resize(dsn, app, admin):
    async with make_pool(dsn, app, min_size=1) as pool:
        pool.resize(3)
        await until(lambda: len(backends(admin, app)) == 3)
        assert pool.get_stats()["pool_size"] == 3


def test_server_restart_and_outage(make_cluster, app, monkeypatch):
    cluster = make_cluster()
    failed: list[object] = []

    async def reconnect_failed(pool: AsyncConnectionPool) -> None:
        failed.append(pool)

    async def main() -> None:
        pool = make_pool(
            cluster.dsn,
            app,
            min_size=2,
            reconnect_timeout=0.3,
            reconnect_failed=reconnect_failed,
        )
        monkeypatch.setattr(AttemptWithBackoff, "INITIAL_DELAY", 0.05)
        async with pool:
            await pool.wait()
            held = [await pool.getconn(), await pool.getconn()]
            before = {pid_of(c) for c in held}
            for aconn in held:
                await pool.putconn(aconn)
            cluster.restart()
            await pool.check()
            assert pool.get_stats()["connections_lost"] == 2
            await pool.wait()
            async with pool.connection() as aconn:
                assert await fetch(aconn, "SELECT 1") == (1,)
                assert pid_of(aconn) not in before

            cluster.kill()
            await pool.check()
            with pytest.raises(PoolTimeout):
                await pool.getconn(timeout=0.2)
            await until(lambda: failed, timeout=5)
            assert all(p is pool for p in failed)
            cluster.start()
            async with pool.connection(timeout=10) as aconn:
                assert await fetch(aconn, "SELECT 1") == (1,)

    asyncio.run(asyncio.wait_for(main(), 30))


def test_runs_under_uvloop(dsn, app):
    uvloop = pytest.importorskip("uvloop")

    async def main() -> list[tuple[int]]:
        async with make_pool(dsn, app, min_size=1, max_size=2) as pool:

            async def one(i: int) -> tuple[int]:
                async with pool.connection() as aconn:
                    return await fetch(aconn, "SELECT %s::int", (i,))  # type: ignore[no-any-return]

            return await asyncio.gather(*(one(i) for i in range(6)))

    assert uvloop.run(main()) == [(i,) for i in range(6)]


@run_async
async def test_resize_may_be_awaited(dsn, app, admin):
    async with make_pool(dsn, app, min_size=1) as pool:
        await pool.resize(2)  # as psycopg_pool's coroutine
        assert (pool.min_size, pool.max_size) == (2, 2)
        pool.resize(3)  # done at the call, awaited or not
        assert (pool.min_size, pool.max_size) == (3, 3)
        await until(lambda: len(backends(admin, app)) == 3)


@run_async
async def test_cancelled_check_gives_the_connection_back(dsn, app):
    cancel = True

    async def check(aconn: AsyncConnection) -> None:
        nonlocal cancel
        if cancel:
            cancel = False
            raise asyncio.CancelledError
        await AsyncConnectionPool.check_connection(aconn)

    async with make_pool(dsn, app, min_size=1, check=check, timeout=1.0) as pool:
        await pool.wait()
        with pytest.raises(asyncio.CancelledError):
            await pool.getconn()
        # Not found bad: back in the pool, and no backoff before the next request.
        stats = pool.get_stats()
        assert (stats["pool_available"], stats["connections_lost"]) == (1, 0)
        async with pool.connection() as aconn:
            assert await fetch(aconn, "SELECT 1") == (1,)


def test_pool_dropped_without_close_is_collected(dsn, app, admin):
    import gc
    import warnings
    import weakref

    async def main() -> None:
        pool = make_pool(dsn, app, min_size=2, open=False)
        await pool.open(wait=True)
        async with pool.connection() as aconn:
            await aconn.execute("SELECT 1")
        workers = list(pool._workers)
        ref = weakref.ref(pool)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            del pool, aconn
            gc.collect()
        assert ref() is None
        # No connection was left open to warn about.
        assert not caught, [str(w.message) for w in caught]
        # Its worker tasks stop and its connections are closed in the loop.
        await until(lambda: all(task.done() for task in workers))
        await until(lambda: backends(admin, app) == [])

    asyncio.run(asyncio.wait_for(main(), 30))
