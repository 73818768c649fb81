"""The asyncio API on the same protocol core."""

from __future__ import annotations

import asyncio
import functools
import threading
import time

import pytest

import pgwire
from pgwire import errors
from pgwire.rows import dict_row


def run_async(func):
    """Run an async test function to completion on a fresh event loop."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return asyncio.run(asyncio.wait_for(func(*args, **kwargs), 60))

    return wrapper


@run_async
async def test_connect_execute_fetch(dsn):
    aconn = await pgwire.AsyncConnection.connect(dsn)
    cur = aconn.cursor()
    await cur.execute("SELECT x, x * 2 AS y FROM generate_series(1, 3) x WHERE x > %s", (0,))
    assert [c.name for c in cur.description] == ["x", "y"]
    assert cur.rowcount == 3
    assert await cur.fetchone() == (1, 2)
    assert await cur.fetchmany(1) == [(2, 4)]
    assert await cur.fetchall() == [(3, 6)]
    await cur.execute("SELECT generate_series(1, 3)")
    assert [row async for row in cur] == [(1,), (2,), (3,)]
    await aconn.close()
    assert aconn.closed


@run_async
async def test_async_with_and_transaction(dsn):
    async with await pgwire.AsyncConnection.connect(dsn, autocommit=True) as aconn:
        await aconn.execute("CREATE TEMP TABLE t (a int)")
        async with aconn.transaction():
            await aconn.execute("INSERT INTO t VALUES (1)")
            with pytest.raises(errors.DivisionByZero):
                async with aconn.transaction():
                    await aconn.execute("INSERT INTO t VALUES (2)")
                    await aconn.execute("SELECT 1/0")
        async with aconn.cursor(row_factory=dict_row) as cur:
            await cur.execute("SELECT a FROM t")
            assert await cur.fetchall() == [{"a": 1}]
        assert cur.closed
    assert aconn.closed


@run_async
async def test_connection_context_commits(dsn):
    async with await pgwire.AsyncConnection.connect(dsn) as aconn:
        await aconn.execute("CREATE TABLE aio_commit (a int)")
    async with await pgwire.AsyncConnection.connect(dsn, autocommit=True) as aconn:
        cur = await aconn.execute("SELECT to_regclass('aio_commit')::text")
        assert await cur.fetchone() == ("aio_commit",)
        await aconn.execute("DROP TABLE aio_commit")


@run_async
async def test_executemany_and_errors(dsn):
    async with await pgwire.AsyncConnection.connect(dsn) as aconn:
        cur = aconn.cursor()
        await cur.execute("CREATE TEMP TABLE m (a int PRIMARY KEY)")
        await cur.executemany("INSERT INTO m VALUES (%s)", [(i,) for i in range(100)])
        assert cur.rowcount == 100
        with pytest.raises(errors.UniqueViolation) as info:
            await cur.execute("INSERT INTO m VALUES (1)")
        assert info.value.sqlstate == "23505"
        with pytest.raises(errors.InFailedSqlTransaction):
            await cur.execute("SELECT 1")
        await aconn.rollback()
        await cur.execute("SELECT 1")
        assert await cur.fetchone() == (1,)


@run_async
async def test_wait_for_timeout_cancels_on_server(dsn):
    async with await pgwire.AsyncConnection.connect(dsn, autocommit=True) as aconn:
        pid = aconn.info.backend_pid
        t0 = time.monotonic()
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(aconn.execute("SELECT pg_sleep(10)"), 0.3)
        assert time.monotonic() - t0 < 5
        async with await pgwire.AsyncConnection.connect(dsn) as other:
            cur = await other.execute(
                "SELECT state, query FROM pg_stat_activity WHERE pid = %s", (pid,)
            )
            state, query = await cur.fetchone()
            assert state == "idle"
        cur = await aconn.execute("SELECT 42")
        assert await cur.fetchone() == (42,)


@run_async
async def test_task_cancel_in_transaction(dsn):
    async with await pgwire.AsyncConnection.connect(dsn) as aconn:
        task = asyncio.ensure_future(aconn.execute("SELECT pg_sleep(10)"))
        await asyncio.sleep(0.2)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert aconn.info.transaction_status == pgwire.TransactionStatus.INERROR
        await aconn.rollback()
        cur = await aconn.execute("SELECT 7")
        assert await cur.fetchone() == (7,)


@run_async
async def test_fifty_coroutines_ten_connections(dsn):
    conns = [await pgwire.AsyncConnection.connect(dsn, autocommit=True) for _ in range(10)]

    async def job(i):
        aconn = conns[i % 10]
        cur = await aconn.execute("SELECT %s::int * 2, pg_sleep(0.01 * (%s::int %% 3))", (i, i))
        return (await cur.fetchone())[0]

    results = await asyncio.gather(*(job(i) for i in range(50)))
    assert results == [i * 2 for i in range(50)]
    for c in conns:
        await c.close()


@run_async
async def test_two_coroutines_one_connection_serialized(dsn):
    async with await pgwire.AsyncConnection.connect(dsn, autocommit=True) as aconn:

        async def job(value):
            cur = aconn.cursor()
            await cur.execute("SELECT pg_sleep(0.2), %s::text", (value,))
            return await cur.fetchall()

        t0 = time.monotonic()
        a, b = await asyncio.gather(job("a"), job("b"))
        assert a == [("", "a")] and b == [("", "b")]
        assert time.monotonic() - t0 >= 0.35


@run_async
async def test_notifies_and_handlers(dsn):
    async with await pgwire.AsyncConnection.connect(dsn, autocommit=True) as aconn:
        handled = []
        aconn.add_notify_handler(handled.append)
        await aconn.execute("LISTEN ch")
        async with await pgwire.AsyncConnection.connect(dsn, autocommit=True) as other:
            for i in range(5):
                await other.execute("SELECT pg_notify('ch', %s)", (str(i),))
        # Notifications arriving during another query are queued, not lost.
        await aconn.execute("SELECT pg_sleep(0.1)")
        got = []
        async for n in aconn.notifies(timeout=1):
            got.append(n.payload)
        assert got == ["0", "1", "2", "3", "4"]
        assert [n.payload for n in handled] == got
        t0 = time.monotonic()
        assert [n async for n in aconn.notifies(timeout=0.2)] == []
        assert time.monotonic() - t0 < 2


@run_async
async def test_notices(dsn):
    async with await pgwire.AsyncConnection.connect(dsn) as aconn:
        got = []
        aconn.add_notice_handler(lambda d: got.append(d.message_primary))
        await aconn.execute("DO $$ BEGIN RAISE NOTICE 'async hello'; END $$")
        assert got == ["async hello"]


def test_runs_under_uvloop(dsn):
    uvloop = pytest.importorskip("uvloop")

    async def main():
        async with await pgwire.AsyncConnection.connect(dsn) as aconn:
            cur = await aconn.execute("SELECT %s::int + 1", (1,))
            assert await cur.fetchone() == (2,)
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(aconn.execute("SELECT pg_sleep(5)"), 0.2)
            await aconn.rollback()
            cur = await aconn.execute("SELECT 3")
            return await cur.fetchone()

    assert uvloop.run(main()) == (3,)


@run_async
async def test_server_gone(dsn):
    aconn = await pgwire.AsyncConnection.connect(dsn)
    async with await pgwire.AsyncConnection.connect(dsn, autocommit=True) as admin:
        await admin.execute("SELECT pg_terminate_backend(%s)", (aconn.info.backend_pid,))
    await asyncio.sleep(0.2)
    with pytest.raises(pgwire.OperationalError):
        await aconn.execute("SELECT 1")
    assert aconn.closed


def _watched(fd: int) -> bool:
    """Whether the running loop's selector has ``fd`` registered."""
    selector = asyncio.get_running_loop()._selector  # type: ignore[attr-defined]
    return fd in selector.get_map()


@run_async
async def test_reader_kept_between_queries_and_removed_on_close(dsn):
    aconn = await pgwire.AsyncConnection.connect(dsn, autocommit=True)
    fd = aconn._chan.fd
    for i in range(3):
        # The sleep makes sure the answer is waited for (a fast one may not be).
        cur = await aconn.execute("SELECT %s::int FROM pg_sleep(0.01)", (i,))
        assert await cur.fetchone() == (i,)
        # Kept for the next query: no register/unregister per wait.
        assert _watched(fd)
    await aconn.close()
    assert not _watched(fd)


@run_async
async def test_idle_notification_does_not_spin(dsn):
    async with await pgwire.AsyncConnection.connect(dsn, autocommit=True) as aconn:
        await aconn.execute("LISTEN idle")
        # An answer waited for registers the reader (a fast one may be there at once).
        await aconn.execute("SELECT pg_sleep(0.01)")
        fd = aconn._chan.fd
        assert _watched(fd)
        async with await pgwire.AsyncConnection.connect(dsn, autocommit=True) as other:
            await other.execute("NOTIFY idle, 'x'")
        # The notification makes the socket readable with nobody waiting: the
        # reader steps aside instead of being called on every loop turn.
        calls = 0
        for _ in range(50):
            await asyncio.sleep(0.01)
            calls += 1
            if not _watched(fd):
                break
        assert not _watched(fd), "the reader was left registered on an idle readable socket"
        got = [n.payload async for n in aconn.notifies(timeout=1, stop_after=1)]
        assert got == ["x"]
        cur = await aconn.execute("SELECT 1")
        assert await cur.fetchone() == (1,)


@run_async
async def test_dropped_connection_leaves_no_reader(dsn):
    import gc

    aconn = await pgwire.AsyncConnection.connect(dsn, autocommit=True)
    # The sleep makes sure the answer is waited for (a fast one may be there at once).
    await aconn.execute("SELECT pg_sleep(0.01)")
    fd = aconn._chan.fd
    assert _watched(fd)
    del aconn
    gc.collect()
    assert not _watched(fd)
    # The fd number is free for the next socket, which must work normally.
    conns = [await pgwire.AsyncConnection.connect(dsn, autocommit=True) for _ in range(3)]
    for c in conns:
        cur = await c.execute("SELECT 2")
        assert await cur.fetchone() == (2,)
        await c.close()


@run_async
async def test_text_without_params_is_sent_as_written(dsn):
    # As psycopg: with no parameters, % is not a placeholder, whatever the path.
    query = "SELECT '100%%', '%s'"
    async with await pgwire.AsyncConnection.connect(dsn) as aconn:
        for options in ({}, {"prepare": True}, {"binary": True}):
            cur = await aconn.execute(query, **options)
            assert await cur.fetchone() == ("100%%", "%s")
        rows = [row async for row in aconn.cursor().stream(query)]
        assert rows == [("100%%", "%s")]


@run_async
async def test_stream_stops_when_the_connection_is_closed(dsn):
    aconn = await pgwire.AsyncConnection.connect(dsn)
    seen = []
    with pytest.raises(pgwire.OperationalError, match="closed"):
        async for (value,) in aconn.cursor().stream("SELECT generate_series(1, 3)"):
            seen.append(value)
            await aconn.close()
    assert seen == [1] and aconn.closed


@run_async
async def test_cursor_repr_shows_result_and_transaction(dsn):
    async with await pgwire.AsyncConnection.connect(dsn) as aconn:
        cur = aconn.cursor()
        assert repr(cur).startswith("<pgwire.AsyncCursor [no result] [IDLE] (host=")
        await cur.execute("SELECT 1")
        assert "[TUPLES_OK] [INTRANS]" in repr(cur)


@run_async
async def test_executemany_keeps_the_last_status(dsn):
    async with await pgwire.AsyncConnection.connect(dsn) as aconn:
        cur = aconn.cursor()
        await cur.execute("CREATE TEMP TABLE em (num int)")
        await cur.executemany("INSERT INTO em VALUES (%s)", [(1,), (2,)])
        assert (cur.rowcount, cur.statusmessage) == (2, "INSERT 0 1")


@run_async
async def test_row_factory_set_after_execute_applies_to_the_next_fetch(dsn):
    async with await pgwire.AsyncConnection.connect(dsn) as aconn:
        cur = aconn.cursor()
        await cur.execute("SELECT 1 AS a FROM generate_series(1, 2)")
        assert await cur.fetchone() == (1,)
        cur.row_factory = pgwire.rows.dict_row
        assert await cur.fetchone() == {"a": 1}


@run_async
async def test_custom_row_factory_rows_are_made_at_fetch(dsn):
    def failing_on_two(cursor):
        name = cursor.description[0].name

        def make(values):
            if values[0] == 2:
                raise ValueError("two")
            return {name.upper(): values[0]}

        return make

    async with await pgwire.AsyncConnection.connect(dsn) as aconn:
        cur = aconn.cursor(row_factory=failing_on_two)
        await cur.execute("SELECT generate_series(1, 3) AS a")
        assert await cur.fetchone() == {"A": 1}
        with pytest.raises(ValueError, match="two"):
            await cur.fetchone()
        cur.row_factory = pgwire.rows.tuple_row
        assert await cur.fetchall() == [(2,), (3,)]


@run_async
async def test_cancel_awaited(dsn):
    async with await pgwire.AsyncConnection.connect(dsn) as aconn:
        query = asyncio.create_task(aconn.execute("SELECT pg_sleep(5)"))
        await asyncio.sleep(0.3)
        await aconn.cancel()
        with pytest.raises(pgwire.errors.QueryCanceled):
            await query
        await aconn.rollback()
        assert await (await aconn.execute("SELECT 1")).fetchone() == (1,)


@run_async
async def test_cancel_not_awaited_from_a_loop_callback(dsn):
    """As a signal handler of the loop calls it: conn.cancel, never awaited."""
    async with await pgwire.AsyncConnection.connect(dsn) as aconn:
        asyncio.get_running_loop().call_later(0.3, aconn.cancel)
        t0 = time.monotonic()
        with pytest.raises(pgwire.errors.QueryCanceled):
            await aconn.execute("SELECT pg_sleep(5)")
        assert time.monotonic() - t0 < 3
        await aconn.rollback()
        assert await (await aconn.execute("SELECT 2")).fetchone() == (2,)


@run_async
async def test_cancel_from_another_thread(dsn):
    async with await pgwire.AsyncConnection.connect(dsn) as aconn:
        timer = threading.Timer(0.3, aconn.cancel)  # no event loop in that thread
        timer.start()
        with pytest.raises(pgwire.errors.QueryCanceled):
            await aconn.execute("SELECT pg_sleep(5)")
        timer.join()
        await aconn.rollback()
    await aconn.cancel()  # closed: nothing to do, still awaitable
    aconn.cancel()
