"""psycopg 3 API parity: session settings, cursor iteration and results, info, sql helpers."""

from __future__ import annotations

import asyncio
import functools
import threading
import time

import pytest

import pgwire
from pgwire import errors, sql
from pgwire.types import Format


def run_async(func):
    """Run an async test function to completion on a fresh event loop."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return asyncio.run(asyncio.wait_for(func(*args, **kwargs), 60))

    return wrapper


# --- session settings -----------------------------------------------------------


SETTINGS = [
    (
        "isolation_level",
        pgwire.IsolationLevel.SERIALIZABLE,
        "transaction_isolation",
        "serializable",
    ),
    ("read_only", True, "transaction_read_only", "on"),
    ("deferrable", True, "transaction_deferrable", "on"),
]


@pytest.mark.parametrize(("name", "value", "guc", "shown"), SETTINGS)
def test_set_setting(conn, name, value, guc, shown):
    getattr(conn, f"set_{name}")(value)
    assert getattr(conn, name) == value
    assert conn.execute(f"SHOW {guc}").fetchone() == (shown,)
    with pytest.raises(pgwire.ProgrammingError, match="INTRANS"):
        getattr(conn, f"set_{name}")(None)
    conn.rollback()
    setattr(conn, name, None)
    assert getattr(conn, name) is None


def test_setting_in_transaction_block(conn):
    with conn.transaction():
        with pytest.raises(pgwire.ProgrammingError, match="transaction\\(\\) context"):
            conn.read_only = True
    assert conn.read_only is None


@pytest.mark.parametrize("bad", ["wat", 42, 0])
def test_isolation_level_invalid(conn, bad):
    with pytest.raises(ValueError):
        conn.isolation_level = bad
    with pytest.raises(ValueError):
        conn.set_isolation_level(bad)
    assert conn.isolation_level is None


def test_isolation_level_by_value(conn):
    conn.isolation_level = 3
    assert conn.isolation_level is pgwire.IsolationLevel.REPEATABLE_READ


def test_set_autocommit(conn):
    conn.set_autocommit(True)
    assert conn.autocommit
    conn.execute("SELECT 1")
    assert conn.info.transaction_status == pgwire.TransactionStatus.IDLE
    conn.set_autocommit(False)
    conn.execute("SELECT 1")
    with pytest.raises(pgwire.ProgrammingError):
        conn.set_autocommit(True)


@run_async
async def test_async_settings(dsn):
    async with await pgwire.AsyncConnection.connect(dsn) as aconn:
        for name, value, guc, shown in SETTINGS:
            with pytest.raises(AttributeError, match=f"set_{name}"):
                setattr(aconn, name, value)
            await getattr(aconn, f"set_{name}")(value)
            assert getattr(aconn, name) == value
            cur = await aconn.execute(f"SHOW {guc}")
            assert await cur.fetchone() == (shown,)
            with pytest.raises(pgwire.ProgrammingError):
                await getattr(aconn, f"set_{name}")(None)
            await aconn.rollback()
            await getattr(aconn, f"set_{name}")(None)
        with pytest.raises(ValueError):
            await aconn.set_isolation_level("wat")
        with pytest.raises(AttributeError):
            aconn.autocommit = True
        await aconn.set_autocommit(True)
        assert aconn.autocommit


def test_cancel_safe(conn):
    conn.cancel_safe()  # nothing running: harmless
    conn.execute("SELECT 1")
    conn.close()
    conn.cancel_safe()


@run_async
async def test_async_cancel_safe(dsn):
    aconn = await pgwire.AsyncConnection.connect(dsn)
    await aconn.cancel_safe(timeout=5)
    cur = await aconn.execute("SELECT 1")
    assert await cur.fetchone() == (1,)
    await aconn.close()


def test_server_cursor_factory(conn):
    class MyServerCursor(pgwire.server_cursor.ServerCursor):
        pass

    conn.server_cursor_factory = MyServerCursor
    cur = conn.cursor("named")
    assert type(cur) is MyServerCursor
    cur.execute("SELECT generate_series(1, 3)")
    assert cur.fetchall() == [(1,), (2,), (3,)]


def test_prepared_max(conn):
    assert conn.prepared_max == 100
    conn.prepared_max = 2
    conn.prepare_threshold = 0
    for i in range(4):
        conn.execute(f"SELECT {i} + %s", (1,))
    count = conn.execute("SELECT count(*) FROM pg_prepared_statements").fetchone()[0]
    assert count == 2


def test_prepared_max_none_is_unbounded(conn):
    conn.prepared_max = None
    assert conn.prepared_max is None
    conn.prepare_threshold = 0
    for i in range(120):
        conn.execute(f"SELECT {i} + %s", (1,))
    count = conn.execute("SELECT count(*) FROM pg_prepared_statements").fetchone()[0]
    assert count == 121  # the 120 and the count query, prepared too
    conn.prepared_max = 0
    assert conn.prepared_max == 0


# --- cursors ------------------------------------------------------------------------


def test_cursor_is_iterator(conn):
    cur = conn.execute("SELECT generate_series(1, 3)")
    assert iter(cur) is cur
    assert next(cur) == (1,)
    assert list(cur) == [(2,), (3,)]
    with pytest.raises(StopIteration):
        next(cur)


@run_async
async def test_async_cursor_is_iterator(dsn):
    async with await pgwire.AsyncConnection.connect(dsn) as aconn:
        cur = await aconn.execute("SELECT generate_series(1, 3)")
        assert await anext(cur) == (1,)
        assert [row async for row in cur] == [(2,), (3,)]
        with pytest.raises(StopAsyncIteration):
            await anext(cur)


def test_cursor_format(conn):
    assert conn.cursor().format == Format.TEXT
    assert conn.cursor(binary=True).format == Format.BINARY


def test_results_and_set_result(conn):
    cur = conn.cursor()
    assert list(cur.results()) == []
    with pytest.raises(IndexError):
        cur.set_result(0)
    cur.execute("SELECT 'foo'; SELECT generate_series(1, 3)")
    assert [c.fetchall() for c in cur.results()] == [[("foo",)], [(1,), (2,), (3,)]]
    assert cur.set_result(0) is cur
    assert cur.fetchall() == [("foo",)]
    assert cur.set_result(-1).rowcount == 3
    with pytest.raises(IndexError):
        cur.set_result(2)
    with pytest.raises(IndexError):
        cur.set_result(-3)


@run_async
async def test_async_results_and_set_result(dsn):
    async with await pgwire.AsyncConnection.connect(dsn) as aconn:
        cur = aconn.cursor()
        with pytest.raises(IndexError):
            await cur.set_result(0)
        await cur.execute("SELECT 'foo'; SELECT generate_series(1, 3)")
        got = [await c.fetchall() async for c in cur.results()]
        assert got == [[("foo",)], [(1,), (2,), (3,)]]
        assert await cur.set_result(-2) is cur
        assert await cur.fetchall() == [("foo",)]


# --- connection info ----------------------------------------------------------------


def test_info_additions(conn):
    info = conn.info
    assert info.status == pgwire.ConnStatus.OK
    assert info.vendor == "PostgreSQL"
    assert info.pipeline_status == pgwire.PipelineStatus.OFF
    assert info.full_protocol_version >= 30000
    assert info.hostaddr == "127.0.0.1"
    assert info.options == ""
    params = info.get_parameters()
    assert params["dbname"] == info.dbname
    assert params["port"] == str(info.port)
    assert "password" not in params
    assert f"dbname={info.dbname}" in info.dsn
    assert info.error_message == ""
    conn.close()
    assert conn.info.status == pgwire.ConnStatus.BAD
    for attr in ("host", "port", "dbname", "user", "hostaddr", "full_protocol_version"):
        with pytest.raises(pgwire.OperationalError):
            getattr(conn.info, attr)


def test_info_dsn_hides_password(pg_server):
    user, password = pg_server.auth_users["scram-sha-256"]
    with pgwire.connect(pg_server.dsn, user=user, password=password) as conn:
        assert conn.info.password == password
        assert "password" not in conn.info.dsn
        assert password not in conn.info.dsn
        assert "password" not in conn.info.get_parameters()


def test_info_error_message(conn):
    with pytest.raises(pgwire.ProgrammingError) as excinfo:
        conn.execute("wat")
    assert str(excinfo.value) in conn.info.error_message
    assert conn.info.error_message.startswith("ERROR:  ")
    conn.close()
    assert "NULL" in conn.info.error_message


@run_async
async def test_async_info(dsn):
    aconn = await pgwire.AsyncConnection.connect(dsn)
    assert aconn.info.status == pgwire.ConnStatus.OK
    assert "password" not in aconn.info.dsn
    await aconn.close()
    assert aconn.info.status == pgwire.ConnStatus.BAD


# --- errors ---------------------------------------------------------------------------


def test_error_shows_line_context(conn):
    with pytest.raises(errors.UndefinedColumn) as excinfo:
        conn.execute("SELECT 1,\n  wat")
    assert str(excinfo.value) == 'column "wat" does not exist\nLINE 2:   wat\n          ^'


def test_error_shows_detail(conn):
    conn.execute("CREATE TEMP TABLE uniq (id int PRIMARY KEY)")
    conn.execute("INSERT INTO uniq VALUES (1)")
    with pytest.raises(errors.UniqueViolation) as excinfo:
        conn.execute("INSERT INTO uniq VALUES (%s)", (1,))
    assert str(excinfo.value).endswith("\nDETAIL:  Key (id)=(1) already exists.")


def test_error_long_line_is_cut(conn):
    query = "SELECT " + ", ".join(f"{i} AS c{i}" for i in range(40)) + ", nope"
    with pytest.raises(errors.UndefinedColumn) as excinfo:
        conn.execute(query)
    line, caret = str(excinfo.value).splitlines()[1:3]
    assert line.startswith("LINE 1: ...") and line.endswith("nope")
    assert line[caret.index("^") :].startswith("nope")


def test_unknown_sqlstate_by_prefix(conn):
    with pytest.raises(pgwire.ProgrammingError) as excinfo:
        conn.execute("DO $$BEGIN RAISE EXCEPTION 'made up' USING errcode = 'PXX99'; END$$")
    assert excinfo.value.sqlstate == "PXX99"
    assert errors.get_base_exception("PXX99") is pgwire.ProgrammingError


# --- sql ----------------------------------------------------------------------------------


def test_sql_null_default_as_string(conn):
    query = sql.SQL("INSERT INTO t VALUES ({}, {}, {})").format(sql.NULL, sql.DEFAULT, 42)
    assert sql.as_string(query) == "INSERT INTO t VALUES (NULL, DEFAULT, 42)"
    assert sql.as_string("it's", conn) == "'it''s'"
    assert sql.as_bytes(sql.Identifier("a b"), conn) == b'"a b"'
    assert sql.as_bytes(None) == b"NULL"


# --- transaction status -----------------------------------------------------------------


def test_transaction_status(conn):
    Status = pgwire.Transaction.Status
    tx = conn.transaction()
    assert tx.status == Status.NOT_STARTED
    with tx:
        assert tx.status == Status.ACTIVE
        with conn.transaction(force_rollback=True) as inner:
            pass
        assert inner.status == Status.ROLLED_BACK_EXPLICITLY
    assert tx.status == Status.COMMITTED
    with pytest.raises(TypeError):
        with tx:
            pass
    with pytest.raises(ZeroDivisionError):
        with conn.transaction() as failing:
            raise ZeroDivisionError
    assert failing.status == Status.ROLLED_BACK_WITH_ERROR
    with conn.transaction() as explicit:
        raise pgwire.Rollback
    assert explicit.status == "rolled_back_explicitly"


@run_async
async def test_async_transaction_status(dsn):
    async with await pgwire.AsyncConnection.connect(dsn) as aconn:
        async with aconn.transaction() as tx:
            assert tx.status == tx.Status.ACTIVE
        assert tx.status == tx.Status.COMMITTED
        with pytest.raises(ZeroDivisionError):
            async with aconn.transaction() as failing:
                raise ZeroDivisionError
        assert failing.status == tx.Status.ROLLED_BACK_WITH_ERROR


@pytest.mark.parametrize("exit_error", [None, ZeroDivisionError, pgwire.Rollback])
def test_out_of_order_block_exit(conn, exit_error):
    from pgwire.transaction import OutOfOrderTransactionNesting

    exc_info = (exit_error, exit_error(), None) if exit_error else (None, None, None)
    conn.autocommit = True
    outer = conn.transaction()
    outer.__enter__()
    inner = conn.transaction()
    inner.__enter__()
    conn.execute("CREATE TEMP TABLE kept_by_nobody (x int)")
    # Ending the outer block first would end the inner one's work in its place:
    # refused, and nothing is sent, so the inner block's work is still pending.
    with pytest.raises(OutOfOrderTransactionNesting, match="wrong nesting level"):
        outer.__exit__(*exc_info)
    assert issubclass(OutOfOrderTransactionNesting, pgwire.ProgrammingError)
    assert conn.info.transaction_status == pgwire.TransactionStatus.INTRANS
    with pytest.raises(OutOfOrderTransactionNesting):
        inner.__exit__(*exc_info)
    conn.rollback()
    assert conn.info.transaction_status == pgwire.TransactionStatus.IDLE
    with conn.transaction():  # the connection is usable again
        assert conn.execute("SELECT 1").fetchone() == (1,)


@run_async
async def test_async_out_of_order_block_exit(dsn):
    from pgwire.transaction import OutOfOrderTransactionNesting

    async with await pgwire.AsyncConnection.connect(dsn, autocommit=True) as aconn:
        outer = aconn.transaction()
        await outer.__aenter__()
        inner = aconn.transaction()
        await inner.__aenter__()
        with pytest.raises(OutOfOrderTransactionNesting):
            await outer.__aexit__(None, None, None)
        with pytest.raises(OutOfOrderTransactionNesting):
            await inner.__aexit__(None, None, None)
        await aconn.rollback()
        async with aconn.transaction():
            assert await (await aconn.execute("SELECT 1")).fetchone() == (1,)


# --- stream -------------------------------------------------------------------------------


def test_stream(conn):
    cur = conn.cursor()
    rows = cur.stream("SELECT x, x::text FROM generate_series(1, %s) x", (1000,))
    assert next(rows) == (1, "1")
    assert cur.description[1].name == "x"
    assert sum(1 for _ in rows) == 999
    assert conn.info.transaction_status == pgwire.TransactionStatus.INTRANS
    assert conn.execute("SELECT 42").fetchone() == (42,)


def test_stream_break_leaves_connection_usable(conn):
    conn.autocommit = True
    cur = conn.cursor()
    stream = cur.stream("SELECT generate_series(1, 100000)")
    for i, row in enumerate(stream):
        if i == 250:
            assert row == (251,)
            break
    stream.close()
    assert conn.info.transaction_status == pgwire.TransactionStatus.IDLE
    assert conn.execute("SELECT 1").fetchone() == (1,)


def test_stream_error(conn):
    cur = conn.cursor()
    with pytest.raises(errors.DivisionByZero):
        for _ in cur.stream("SELECT 1 / (x - 150) FROM generate_series(1, 200) x"):
            pass
    conn.rollback()
    with pytest.raises(errors.UndefinedTable):
        list(cur.stream("SELECT * FROM nosuchtable"))
    conn.rollback()
    # A statement without rows has nothing to stream: ProgrammingError, as psycopg.
    with pytest.raises(errors.ProgrammingError, match="didn't produce rows"):
        list(cur.stream("CREATE TEMP TABLE st (x int)"))
    with pytest.raises(errors.ProgrammingError):
        list(cur.stream(""))
    with pytest.raises(ValueError):
        list(cur.stream("SELECT 1", size=0))
    assert conn.execute("SELECT 1").fetchone() == (1,)


def test_stream_row_factory_and_binary(conn):
    from pgwire.rows import dict_row

    cur = conn.cursor(row_factory=dict_row)
    got = list(cur.stream("SELECT generate_series(1, 3) AS n", binary=True, size=2))
    assert got == [{"n": 1}, {"n": 2}, {"n": 3}]


@run_async
async def test_async_stream(dsn):
    async with await pgwire.AsyncConnection.connect(dsn) as aconn:
        cur = aconn.cursor()
        got = [row async for row in cur.stream("SELECT generate_series(1, %s)", (500,))]
        assert len(got) == 500 and got[-1] == (500,)
        async for row in cur.stream("SELECT generate_series(1, 100000)"):
            if row[0] == 10:
                break
        assert row == (10,)
        await aconn.rollback()
        cur2 = await aconn.execute("SELECT 7")
        assert await cur2.fetchone() == (7,)


# --- behaviour ----------------------------------------------------------------------------


def test_broken_stays_after_close(dsn, conn):
    victim = pgwire.connect(dsn)
    conn.execute("SELECT pg_terminate_backend(%s)", (victim.info.backend_pid,))
    with pytest.raises(pgwire.OperationalError):
        victim.execute("SELECT 1")
    assert victim.broken
    victim.close()
    assert victim.broken
    conn.close()
    assert not conn.broken


@run_async
async def test_async_broken_stays_after_close(dsn, conn):
    victim = await pgwire.AsyncConnection.connect(dsn)
    conn.execute("SELECT pg_terminate_backend(%s)", (victim.info.backend_pid,))
    with pytest.raises(pgwire.OperationalError):
        await victim.execute("SELECT 1")
    await victim.close()
    assert victim.broken


def test_conninfo_to_dict():
    from pgwire.conninfo import conninfo_to_dict

    got = conninfo_to_dict("host=h port=5433 dbname=d", user="u", dbname="x", password=None)
    assert got == {"host": "h", "port": "5433", "dbname": "x", "user": "u"}
    assert conninfo_to_dict("postgresql://a@b/c") == {"user": "a", "host": "b", "dbname": "c"}


# --- the connection lock ----------------------------------------------------------


def test_lock_is_held_while_notifies_waits(conn):
    conn.autocommit = True
    assert not conn.lock.locked()
    started = threading.Event()

    def listen() -> None:
        started.set()
        for _ in conn.notifies(timeout=0.6):
            pass

    worker = threading.Thread(target=listen)
    worker.start()
    started.wait()
    deadline = time.monotonic() + 5
    while not conn.lock.locked() and time.monotonic() < deadline:
        time.sleep(0.005)
    assert conn.lock.locked()
    t0 = time.monotonic()
    conn.execute("SELECT 1")  # waits for notifies() to give the connection back
    assert time.monotonic() - t0 > 0.2
    worker.join()
    assert not conn.lock.locked()


def test_lock_taken_by_the_user_keeps_other_threads_waiting(conn):
    done = threading.Event()

    def query() -> None:
        conn.execute("SELECT 1")
        done.set()

    with conn.lock:
        assert conn.lock.locked()
        worker = threading.Thread(target=query)
        worker.start()
        assert not done.wait(0.2)
        conn.execute("SELECT 2")  # reentrant for the thread holding it
    worker.join(5)
    assert done.is_set()
    assert not conn.lock.locked()


@run_async
async def test_async_lock_is_held_while_notifies_waits(dsn):
    async with await pgwire.AsyncConnection.connect(dsn, autocommit=True) as aconn:
        assert isinstance(aconn.lock, asyncio.Lock)
        assert not aconn.lock.locked()

        async def listen() -> None:
            async for _ in aconn.notifies(timeout=0.3):
                pass

        task = asyncio.create_task(listen())
        for _ in range(100):
            if aconn.lock.locked():
                break
            await asyncio.sleep(0.005)
        assert aconn.lock.locked()
        await task
        assert not aconn.lock.locked()
