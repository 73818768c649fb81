"""Pipeline mode: queued statements, results read later, errors at the right statement."""

from __future__ import annotations

import asyncio
import functools

import pytest

import pgwire
from pgwire import errors


def run_async(func):
    """Run an async test function to completion on a fresh event loop."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return asyncio.run(asyncio.wait_for(func(*args, **kwargs), 60))

    return wrapper


def test_results_read_later(conn):
    with conn.pipeline() as p:
        assert conn.info.pipeline_status == pgwire.PipelineStatus.ON
        c1, c2 = conn.cursor(), conn.cursor()
        c1.execute("SELECT 1")
        c2.execute("SELECT %s::text", ("two",))
        assert len(p.result_queue) == 2
        assert c2.statusmessage is None
        assert c1.fetchone() == (1,)
    assert c2.fetchone() == ("two",)
    assert c2.statusmessage == "SELECT 1"
    assert conn.info.pipeline_status == pgwire.PipelineStatus.OFF
    assert p.status == pgwire.PipelineStatus.OFF
    # Not autocommit: the pipeline opened a transaction.
    assert conn.info.transaction_status == pgwire.TransactionStatus.INTRANS


def test_nested_pipeline_is_the_same(conn):
    with conn.pipeline() as p1:
        with conn.pipeline() as p2:
            assert p2 is p1
            cur = conn.execute("SELECT 1")
        assert cur.fetchone() == (1,)
        assert conn._pipeline is p1
    assert conn._pipeline is None


def test_error_then_aborted_then_sync(conn):
    conn.autocommit = True
    with conn.pipeline() as p:
        c1 = conn.execute("SELECT 1")
        with pytest.raises(errors.UndefinedTable):
            conn.execute("SELECT * FROM doesnotexist").fetchone()
        with pytest.raises(errors.PipelineAborted):
            conn.execute("SELECT 'aborted'").fetchone()
        p.sync()
        c2 = conn.execute("SELECT 2")
    assert c1.fetchone() == (1,)
    assert c2.fetchone() == (2,)


def test_error_raised_at_exit_and_later_statements_skipped(conn):
    conn.autocommit = True
    with pytest.raises(errors.UndefinedTable):
        with conn.pipeline():
            conn.execute("SELECT * FROM nosuchtable")
            skipped = conn.execute("CREATE TABLE voila ()")
    with pytest.raises(errors.PipelineAborted):
        skipped.fetchone()
    cur = conn.execute("SELECT count(*) FROM pg_tables WHERE tablename = 'voila'")
    assert cur.fetchone() == (0,)


def test_sync_raises_error_once(conn):
    conn.autocommit = True
    with conn.pipeline() as p:
        conn.execute("SELECT 1 FROM nosuchtable")
        with pytest.raises(errors.UndefinedTable):
            p.sync()
        p.sync()  # nothing left to raise
        assert conn.execute("SELECT 3").fetchone() == (3,)


def test_commit_syncs_and_raises(conn):
    with conn.pipeline():
        conn.execute("SELECT 1 FROM nosuchtable")
        with pytest.raises(errors.UndefinedTable):
            conn.commit()
        conn.rollback()
    assert conn.info.transaction_status == pgwire.TransactionStatus.IDLE


def test_executemany_inside(conn):
    conn.execute("CREATE TEMP TABLE pm (x int)")
    with conn.pipeline():
        cur = conn.cursor()
        cur.executemany("INSERT INTO pm VALUES (%s) RETURNING x * 10", [(1,), (2,)], returning=True)
        assert [c.fetchone() for c in cur.results()] == [(10,), (20,)]
        count = conn.execute("SELECT count(*) FROM pm")
    assert count.fetchone() == (2,)


def test_exit_on_closed_connection(dsn, conn):
    with pytest.raises(pgwire.OperationalError):
        with conn.pipeline():
            conn.execute("SELECT 1")
            conn.close()
    other = pgwire.connect(dsn)
    with pytest.raises(ZeroDivisionError):  # the block's own exception wins
        with other.pipeline():
            other.close()
            raise ZeroDivisionError


def test_pipeline_on_closed_connection(conn):
    conn.close()
    with pytest.raises(pgwire.OperationalError):
        with conn.pipeline():
            pass


@run_async
async def test_async_pipeline(dsn):
    aconn = await pgwire.AsyncConnection.connect(dsn, autocommit=True)
    async with aconn.pipeline() as p:
        c1, c2 = aconn.cursor(), aconn.cursor()
        await c1.execute("SELECT 1")
        await c2.execute("SELECT 2")
        assert len(p.result_queue) == 2
        assert await c1.fetchone() == (1,)
        with pytest.raises(errors.UndefinedTable):
            await (await aconn.execute("SELECT * FROM doesnotexist")).fetchone()
        with pytest.raises(errors.PipelineAborted):
            await (await aconn.execute("SELECT 'x'")).fetchone()
        await p.sync()
        c3 = await aconn.execute("SELECT 3")
    assert await c2.fetchone() == (2,)
    assert await c3.fetchone() == (3,)
    with pytest.raises(errors.UndefinedTable):
        async with aconn.pipeline():
            await aconn.execute("SELECT * FROM nosuchtable")
    assert aconn._pipeline is None
    await aconn.close()


def test_transaction_block_inside(conn):
    with conn.pipeline():
        with conn.transaction():
            cur = conn.execute("SELECT 'tx'")
        assert cur.fetchone() == ("tx",)
        with pytest.raises(errors.UndefinedTable):
            with conn.transaction():
                conn.execute("SELECT 1 FROM nosuchtable")
        after = conn.execute("SELECT 1")
    assert after.fetchone() == (1,)


def test_stream_refused(conn):
    with conn.pipeline():
        with pytest.raises(pgwire.ProgrammingError):
            list(conn.cursor().stream("SELECT 1"))


def test_prepare_ignored_rollback_after_error(conn):
    conn.autocommit = True
    with conn.pipeline():
        c1 = conn.execute("SELECT %s::int", [10], prepare=True)
        c2 = conn.execute("SELECT 2")
        assert c1.fetchone() == (10,)
        assert c2.fetchone() == (2,)
        with pytest.raises(errors.DivisionByZero):
            conn.execute("SELECT 1 / %s", [0]).fetchone()
        conn.rollback()  # leaves the aborted state
        assert conn.execute("SELECT 3").fetchone() == (3,)


@run_async
async def test_async_commit_and_transaction_inside(dsn):
    aconn = await pgwire.AsyncConnection.connect(dsn)
    async with aconn.pipeline():
        await aconn.execute("SELECT 1 FROM nosuchtable")
        with pytest.raises(errors.UndefinedTable):
            await aconn.commit()
        await aconn.rollback()
        with pytest.raises(errors.UndefinedTable):
            async with aconn.transaction():
                await aconn.execute("SELECT 1 FROM nosuchtable")
        cur = await aconn.execute("SELECT 'ok'")
    assert await cur.fetchone() == ("ok",)
    await aconn.close()


PREPARED_COUNT = "SELECT count(*) FROM pg_prepared_statements WHERE name != ''"


def test_prepare_true_names_the_statement(conn):
    conn.autocommit = True
    with conn.pipeline():
        first = conn.execute("SELECT %s::int * 2", [10], prepare=True)
        again = conn.execute("SELECT %s::int * 2", [11], prepare=True)
        count = conn.execute(PREPARED_COUNT)
        plain = conn.execute("SELECT %s::int * 3", [1])
    assert first.fetchone() == (20,)
    assert again.fetchone() == (22,)
    assert count.fetchone() == (1,)  # parsed once, bound twice
    assert plain.fetchone() == (3,)
    # The named statement serves the runs after the pipeline.
    assert conn.execute("SELECT %s::int * 2", [12], prepare=True).fetchone() == (24,)
    assert conn.execute(PREPARED_COUNT).fetchone() == (1,)


def test_prepared_statement_skipped_by_an_aborted_pipeline_is_forgotten(conn):
    conn.autocommit = True
    with pytest.raises(errors.DivisionByZero):
        with conn.pipeline():
            conn.execute("SELECT 1 / 0")
            skipped = conn.execute("SELECT %s::int + 5", [1], prepare=True)
    with pytest.raises(errors.PipelineAborted):
        skipped.fetchone()
    assert conn.execute(PREPARED_COUNT).fetchone() == (0,)
    # Not taken for prepared: parsed afresh, it runs.
    assert conn.execute("SELECT %s::int + 5", [2], prepare=True).fetchone() == (7,)
    assert conn.execute(PREPARED_COUNT).fetchone() == (1,)


@run_async
async def test_async_prepare_true_names_the_statement(dsn):
    async with await pgwire.AsyncConnection.connect(dsn, autocommit=True) as aconn:
        async with aconn.pipeline():
            first = await aconn.execute("SELECT %s::int * 2", [10], prepare=True)
            count = await aconn.execute(PREPARED_COUNT)
        assert await first.fetchone() == (20,)
        assert await count.fetchone() == (1,)
        cur = await aconn.execute("SELECT %s::int * 2", [4], prepare=True)
        assert await cur.fetchone() == (8,)
        assert await (await aconn.execute(PREPARED_COUNT)).fetchone() == (1,)
