"""COPY FROM STDIN / TO STDOUT, blocking and asyncio."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from decimal import Decimal

import pytest

import pgwire
from pgwire import errors

ROWS = [
    (1, "plain", Decimal("1.5"), dt.date(2020, 1, 2)),
    (2, "tab\there", None, dt.date(1999, 12, 31)),
    (3, "new\nline \\ back", Decimal("-3"), None),
    (None, "", Decimal("0"), dt.date(2000, 2, 29)),
]


@pytest.fixture
def table(conn):
    conn.autocommit = True
    conn.execute("CREATE TEMP TABLE c (a int, b text, c numeric, d date)")
    return "c"


def test_write_rows_and_read_them_back(conn, table):
    cur = conn.cursor()
    with cur.copy("COPY c FROM STDIN") as copy:
        for row in ROWS:
            copy.write_row(row)
    assert cur.rowcount == len(ROWS)
    assert conn.execute("SELECT * FROM c ORDER BY a NULLS LAST").fetchall() == ROWS
    with cur.copy("COPY c TO STDOUT") as copy:
        copy.set_types(["int4", "text", "numeric", "date"])
        got = list(copy.rows())
    assert sorted(got, key=lambda r: (r[0] is None, r[0])) == ROWS
    assert cur.rowcount == len(ROWS)


def test_raw_write_and_read(conn, table):
    cur = conn.cursor()
    with cur.copy("COPY c (a, b) FROM STDIN") as copy:
        copy.write("10\tten\n11\t")
        copy.write(b"eleven\n")
    with cur.copy("COPY (SELECT a, b FROM c ORDER BY a) TO STDOUT") as copy:
        data = b"".join(copy)
    assert data == b"10\tten\n11\televen\n"
    with cur.copy("COPY (SELECT a, b FROM c ORDER BY a) TO STDOUT") as copy:
        assert copy.read_row() == ("10", "ten")


def test_binary_copy(conn, table):
    cur = conn.cursor()
    with cur.copy("COPY c FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(["int4", "text", "numeric", "date"])
        for row in ROWS:
            copy.write_row(row)
    with cur.copy("COPY c TO STDOUT (FORMAT BINARY)") as copy:
        copy.set_types(["int4", "text", "numeric", "date"])
        got = list(copy.rows())
    assert sorted(got, key=lambda r: (r[0] is None, r[0])) == ROWS


def test_large_copy_in_and_out(conn, table):
    cur = conn.cursor()
    n = 200_000
    with cur.copy("COPY c (a, b) FROM STDIN") as copy:
        for i in range(n):
            copy.write_row((i, f"row {i}"))
    assert cur.rowcount == n
    total = 0
    with cur.copy("COPY c (a) TO STDOUT") as copy:
        copy.set_types(["int4"])
        for (a,) in copy.rows():
            total += a
    assert total == n * (n - 1) // 2


def test_exception_in_block_aborts_copy(conn, table):
    cur = conn.cursor()
    with pytest.raises(ZeroDivisionError):
        with cur.copy("COPY c (a) FROM STDIN") as copy:
            copy.write_row((1,))
            1 / 0  # noqa: B018
    assert conn.execute("SELECT count(*) FROM c").fetchone() == (0,)


def test_bad_data_raises_and_connection_survives(conn, table):
    cur = conn.cursor()
    with pytest.raises(errors.InvalidTextRepresentation):
        with cur.copy("COPY c (a) FROM STDIN") as copy:
            copy.write("not a number\n")
    assert conn.execute("SELECT 1").fetchone() == (1,)


def test_copy_blocks_other_use(conn, table):
    cur = conn.cursor()
    with cur.copy("COPY c (a) FROM STDIN") as copy:
        with pytest.raises(pgwire.ProgrammingError, match="COPY"):
            conn.execute("SELECT 1")
        copy.write_row((5,))
    assert conn.execute("SELECT a FROM c").fetchall() == [(5,)]


def test_other_threads_wait_for_the_copy_to_end(conn, table):
    log = []
    cur = conn.cursor()
    with cur.copy("COPY c (a) FROM STDIN") as copy:

        def query() -> None:
            # Made and run during the COPY: waits for the block to end.
            other = conn.cursor()
            other.execute("SELECT count(*) FROM c")
            log.append(("counted", other.fetchone()[0]))

        worker = threading.Thread(target=query)
        worker.start()
        worker.join(0.3)
        assert worker.is_alive()
        copy.write_row((1,))
        copy.write_row((2,))
        log.append("copy done")
    worker.join(5)
    assert log == ["copy done", ("counted", 2)]


def test_async_copy_other_tasks_wait_and_the_copying_task_is_refused(dsn):
    async def main():
        async with await pgwire.AsyncConnection.connect(dsn, autocommit=True) as aconn:
            await aconn.execute("CREATE TEMP TABLE ac (a int)")
            log = []
            before = aconn.cursor()

            async def query() -> None:
                cur = await aconn.execute("SELECT count(*) FROM ac")
                log.append(("counted", (await cur.fetchone())[0]))

            async with aconn.cursor().copy("COPY ac FROM STDIN") as copy:
                task = asyncio.create_task(query())
                await asyncio.sleep(0.2)
                assert not task.done()
                # The task holding the connection would wait for itself (the
                # suite's timeout catches a hang).
                with pytest.raises(pgwire.ProgrammingError, match="in progress"):
                    await before.execute("SELECT 1")
                await copy.write_row((1,))
                log.append("copy done")
            await asyncio.wait_for(task, 5)
            assert log == ["copy done", ("counted", 1)]
            assert await (await before.execute("SELECT 2")).fetchone() == (2,)

    asyncio.run(main())


def test_not_a_copy_statement(conn):
    with pytest.raises(pgwire.ProgrammingError, match="COPY"):
        with conn.cursor().copy("SELECT 1"):
            pass
    assert conn.execute("SELECT 2").fetchone() == (2,)


def test_plain_execute_of_copy_is_refused(conn, table):
    with pytest.raises(pgwire.ProgrammingError, match="copy"):
        conn.execute("COPY c FROM STDIN")
    with pytest.raises(pgwire.ProgrammingError, match="copy"):
        conn.execute("COPY c TO STDOUT")
    assert conn.execute("SELECT 3").fetchone() == (3,)


def test_async_copy(dsn):
    async def main():
        async with await pgwire.AsyncConnection.connect(dsn, autocommit=True) as aconn:
            await aconn.execute("CREATE TEMP TABLE ac (a int, b text)")
            cur = aconn.cursor()
            async with cur.copy("COPY ac FROM STDIN") as copy:
                for i in range(1000):
                    await copy.write_row((i, str(i)))
            async with cur.copy("COPY ac TO STDOUT") as copy:
                copy.set_types(["int4", "text"])
                rows = [row async for row in copy.rows()]
            async with cur.copy("COPY (SELECT * FROM ac ORDER BY a LIMIT 2) TO STDOUT") as copy:
                assert await copy.read_row() == ("0", "0")
                assert await copy.read_row() == ("1", "1")
                assert await copy.read_row() is None
            return rows

    rows = asyncio.run(main())
    assert rows == [(i, str(i)) for i in range(1000)]


FAILING_COPY = "COPY (SELECT 1 / n FROM generate_series(-10000, 10000) n) TO STDOUT"


@pytest.mark.parametrize("autocommit", [True, False])
def test_error_mid_copy_to_is_raised_and_the_connection_survives(dsn, autocommit):
    with pgwire.connect(dsn, autocommit=autocommit) as conn:
        cur = conn.cursor()
        with pytest.raises(errors.DivisionByZero):
            with cur.copy(FAILING_COPY) as copy:
                for _row in copy.rows():
                    pass
        conn.rollback()
        # Reading after the error ends at once, and the block exits.
        with pytest.raises(errors.DivisionByZero):
            with cur.copy(FAILING_COPY) as copy:
                try:
                    while copy.read():
                        pass
                finally:
                    assert copy.read() == b""
        if not autocommit:
            conn.rollback()
        assert conn.execute("SELECT 42").fetchone() == (42,)


def test_error_mid_copy_to_async(dsn):
    async def main():
        async with await pgwire.AsyncConnection.connect(dsn, autocommit=True) as aconn:
            cur = aconn.cursor()
            with pytest.raises(errors.DivisionByZero):
                async with cur.copy(FAILING_COPY) as copy:
                    async for _row in copy.rows():
                        pass
            with pytest.raises(errors.DivisionByZero):
                async with cur.copy(FAILING_COPY) as copy:
                    while await copy.read_row() is not None:
                        pass
            assert await copy.read() == b""
            return await (await aconn.execute("SELECT 42")).fetchone()

    assert asyncio.run(asyncio.wait_for(main(), 60)) == (42,)
