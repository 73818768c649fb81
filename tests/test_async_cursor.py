"""The asynchronous-query mode of the blocking cursor: execute(async_=True) & co."""

from __future__ import annotations

import gc
import random
import select
import selectors
import threading
import time

import pytest

import pgwire
from pgwire import errors


def wait_done(cur: pgwire.Cursor, timeout: float = 30) -> int:
    """Poll isbusy() from a select loop; return the number of polls."""
    deadline = time.monotonic() + timeout
    polls = 0
    while cur.isbusy():
        polls += 1
        assert time.monotonic() < deadline, "the async query never ended"
        select.select([cur], [], [], 1)
    return polls


def test_execute_returns_at_once(conn):
    cur = conn.cursor()
    t0 = time.monotonic()
    cur.execute("SELECT pg_sleep(0.5), %s::int", (7,), async_=True)
    assert time.monotonic() - t0 < 0.1
    assert cur.isbusy()
    assert cur.fetchall() == [("", 7)]
    assert time.monotonic() - t0 >= 0.45
    assert not cur.isbusy()


def test_async_keyword_spelling(conn):
    cur = conn.cursor()
    t0 = time.monotonic()
    cur.execute("SELECT pg_sleep(0.3), 'x'", **{"async": 1})
    assert time.monotonic() - t0 < 0.1
    assert cur.fetchone() == ("", "x")


def test_unknown_keyword_is_rejected(conn):
    with pytest.raises(TypeError):
        conn.cursor().execute("SELECT 1", bogus=1)


def test_other_users_refused_while_running(conn):
    cur = conn.cursor()
    cur.execute("SELECT pg_sleep(0.3)", async_=True)
    other = conn.cursor()
    for attempt in (
        lambda: other.execute("CREATE TABLE must_not_exist (a int)"),
        lambda: other.executemany("CREATE TABLE must_not_exist (a int)", [()]),
        lambda: conn.execute("CREATE TABLE must_not_exist (a int)"),
        conn.commit,
        conn.rollback,
    ):
        with pytest.raises(pgwire.ProgrammingError, match="asynchronous query"):
            attempt()
    cur.fetchall()
    assert conn.execute("SELECT to_regclass('must_not_exist')").fetchone() == (None,)


def test_threads_get_the_same_answer(conn):
    cur = conn.cursor()
    cur.execute("SELECT pg_sleep(0.3)", async_=True)
    outcome: list[BaseException] = []

    def other_thread():
        try:
            conn.execute("SELECT 1")
        except BaseException as exc:  # noqa: BLE001
            outcome.append(exc)

    t = threading.Thread(target=other_thread)
    t.start()
    t.join(10)
    assert len(outcome) == 1 and isinstance(outcome[0], pgwire.ProgrammingError)
    cur.fetchall()


@pytest.mark.parametrize("how", ["fetchone", "fetchmany", "fetchall", "iter"])
def test_fetch_blocks_until_result(conn, how):
    cur = conn.cursor()
    t0 = time.monotonic()
    cur.execute("SELECT x FROM generate_series(1, 3) x, pg_sleep(0.3)", async_=True)
    assert cur.description is None
    if how == "fetchone":
        assert cur.fetchone() == (1,)
    elif how == "fetchmany":
        assert cur.fetchmany(2) == [(1,), (2,)]
    elif how == "fetchall":
        assert cur.fetchall() == [(1,), (2,), (3,)]
    else:
        assert list(cur) == [(1,), (2,), (3,)]
    assert time.monotonic() - t0 >= 0.25
    assert cur.description[0].name == "x"
    assert cur.rowcount == 3


def test_cancel_aborts_running_query(conn):
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("SELECT pg_sleep(5)", async_=True)
    time.sleep(0.1)
    t0 = time.monotonic()
    assert cur.cancel() is True
    assert time.monotonic() - t0 < 3
    with pytest.raises(pgwire.ProgrammingError):
        cur.fetchall()
    assert conn.execute("SELECT 42").fetchone() == (42,)


def test_cancel_in_transaction_leaves_it_failed(conn):
    cur = conn.cursor()
    cur.execute("SELECT pg_sleep(5)", async_=True)
    time.sleep(0.1)
    assert cur.cancel() is True
    assert conn.info.transaction_status == pgwire.TransactionStatus.INERROR
    with pytest.raises(errors.InFailedSqlTransaction):
        conn.execute("SELECT 1")
    conn.rollback()
    assert conn.execute("SELECT 2").fetchone() == (2,)


def test_cancel_after_completion_returns_false(conn):
    cur = conn.cursor()
    cur.execute("SELECT 1", async_=True)
    time.sleep(0.3)  # done on the server, not yet read
    assert cur.cancel() is False
    with pytest.raises(pgwire.ProgrammingError):
        cur.fetchone()
    assert conn.execute("SELECT 3").fetchone() == (3,)


def test_cancel_and_isbusy_without_query(conn):
    cur = conn.cursor()
    assert cur.isbusy() is False
    assert cur.cancel() is False
    cur.execute("SELECT 1")
    assert cur.isbusy() is False
    assert cur.cancel() is False
    assert cur.fetchone() == (1,)


@pytest.mark.slow
@pytest.mark.parametrize("autocommit", [True, False])
def test_cancel_never_hits_a_later_query(conn, autocommit):
    conn.autocommit = autocommit
    cur = conn.cursor()
    rng = random.Random(1234)
    outcomes = {True: 0, False: 0}
    for i in range(300):
        cur.execute("SELECT pg_sleep(%s), %s::int", (rng.choice([0, 0.001, 0.003]), i), async_=True)
        time.sleep(rng.choice([0, 0.0005, 0.002, 0.004]))
        outcomes[cur.cancel()] += 1
        if not autocommit:
            conn.rollback()
        assert conn.execute("SELECT %s::int", (i,)).fetchone() == (i,)
    # Both ways of ending must have happened for the race to have been exercised.
    assert outcomes[True] > 0 and outcomes[False] > 0, outcomes


def test_connection_cancel_stops_blocking_query(conn):
    timer = threading.Timer(0.3, conn.cancel)
    timer.start()
    t0 = time.monotonic()
    with pytest.raises(errors.QueryCanceled) as info:
        conn.execute("SELECT pg_sleep(10)")
    assert info.value.sqlstate == "57014"
    assert time.monotonic() - t0 < 5
    conn.rollback()
    assert conn.execute("SELECT 1").fetchone() == (1,)
    conn.cancel()  # harmless when nothing runs
    assert conn.execute("SELECT 2").fetchone() == (2,)


def test_execute_again_waits_and_discards(conn):
    cur = conn.cursor()
    t0 = time.monotonic()
    cur.execute("SELECT pg_sleep(0.3), 'first'", async_=True)
    cur.execute("SELECT 'second'")
    assert time.monotonic() - t0 >= 0.25
    assert cur.fetchall() == [("second",)]


def test_execute_again_discards_error(conn):
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("SELECT 1/0", async_=True)
    cur.execute("SELECT 'ok'", async_=True)
    assert cur.fetchall() == [("ok",)]


def test_fileno_in_select_selectors_and_poll(conn):
    cur = conn.cursor()
    assert cur.fileno() == conn.fileno()
    cur.execute("SELECT pg_sleep(0.2), 1", async_=True)
    sel = selectors.DefaultSelector()
    sel.register(cur, selectors.EVENT_READ)
    while cur.isbusy():
        sel.select(5)
    sel.close()
    assert cur.fetchone() == ("", 1)
    cur.execute("SELECT pg_sleep(0.2), 2", async_=True)
    poller = select.poll()
    poller.register(cur, select.POLLIN)
    while cur.isbusy():
        poller.poll(5000)
    assert cur.fetchone() == ("", 2)


def test_isbusy_never_blocks(conn):
    cur = conn.cursor()
    cur.execute("SELECT pg_sleep(0.5)", async_=True)
    worst = 0.0
    polls = 0
    while True:
        t0 = time.monotonic()
        busy = cur.isbusy()
        worst = max(worst, time.monotonic() - t0)
        if not busy:
            break
        polls += 1
        time.sleep(0.01)
    assert polls > 5
    assert worst < 0.1


@pytest.mark.slow
def test_large_result_completes_by_polling(conn):
    cur = conn.cursor()
    # About 200 MB of row data.
    cur.execute("SELECT repeat('x', 1000) FROM generate_series(1, 200000)", async_=True)
    polls = wait_done(cur, timeout=120)
    assert polls > 0
    assert cur.rowcount == 200000
    rows = cur.fetchall()
    assert len(rows) == 200000 and rows[-1][0] == "x" * 1000


def test_error_raised_by_call_that_ends_it(conn):
    cur = conn.cursor()
    cur.execute("SELECT 1/0", async_=True)
    wait_done(cur)
    with pytest.raises(errors.DivisionByZero) as info:
        cur.fetchall()
    assert info.value.sqlstate == "22012"
    conn.rollback()
    cur.execute("SELECT pg_sleep(0.1), 1/0", async_=True)
    with pytest.raises(errors.DivisionByZero):
        cur.fetchone()


def test_description_and_rowcount_set_when_ended(conn):
    cur = conn.cursor()
    cur.execute("SELECT x AS num FROM generate_series(1, 4) x, pg_sleep(0.2)", async_=True)
    assert cur.description is None
    assert cur.rowcount == -1
    wait_done(cur)
    assert [c.name for c in cur.description] == ["num"]
    assert cur.rowcount == 4
    assert cur.statusmessage == "SELECT 4"


def test_large_query_and_parameter_sent_completely(conn):
    big = "x" * 50_000_000
    cur = conn.cursor()
    t0 = time.monotonic()
    cur.execute("SELECT length(%s)", (big,), async_=True)
    assert time.monotonic() - t0 < 5
    wait_done(cur, timeout=120)
    assert cur.fetchone() == (50_000_000,)
    cur.execute("SELECT length('" + big + "')", async_=True)
    wait_done(cur, timeout=120)
    assert cur.fetchone() == (50_000_000,)


def test_several_statements_keep_last_result(conn):
    cur = conn.cursor()
    cur.execute("SELECT 1; SELECT 'two', 2", async_=True)
    assert cur.fetchall() == [("two", 2)]
    cur.execute("SELECT 1/0; SELECT 2", async_=True)
    with pytest.raises(errors.DivisionByZero):
        cur.fetchall()


def test_notices_and_notifies_during_query(conn, dsn):
    conn.autocommit = True
    notices = []
    notifies = []
    conn.add_notice_handler(lambda d: notices.append(d.message_primary))
    conn.add_notify_handler(lambda n: notifies.append(n))
    conn.execute("LISTEN chan")
    cur = conn.cursor()
    cur.execute(
        "DO $$ BEGIN RAISE NOTICE 'first'; PERFORM pg_sleep(0.3); RAISE NOTICE 'second'; END $$",
        async_=True,
    )
    with pgwire.connect(dsn, autocommit=True) as other:
        other.execute("NOTIFY chan, 'hello'")
    t_first = None
    while cur.isbusy():
        if notices and t_first is None:
            t_first = time.monotonic()
        select.select([cur], [], [], 1)
    assert notices == ["first", "second"]
    assert t_first is not None  # the first notice came while the query still ran
    conn.execute("SELECT 1")
    assert [(n.channel, n.payload) for n in notifies] == [("chan", "hello")]


@pytest.mark.parametrize("how", ["close", "gc"])
def test_cursor_gone_while_running(conn, how):
    t0 = time.monotonic()
    cur = conn.cursor()
    cur.execute("SELECT pg_sleep(0.3), 'orphan'", async_=True)
    if how == "close":
        cur.close()
    else:
        del cur
        gc.collect()
    # The next user waits for the orphan query, discards it, and gets its own answer.
    assert conn.execute("SELECT 'next'").fetchone() == ("next",)
    assert time.monotonic() - t0 >= 0.29


def test_connection_close_during_query(conn):
    cur = conn.cursor()
    cur.execute("SELECT pg_sleep(2)", async_=True)
    conn.close()
    assert conn.closed
    with pytest.raises(pgwire.Error):
        cur.fetchall()
    assert cur.isbusy() is False


def test_failed_async_query_in_transaction(conn):
    cur = conn.cursor()
    cur.execute("SELECT 1")
    cur.execute("SELECT * FROM no_such_table", async_=True)
    with pytest.raises(errors.UndefinedTable):
        cur.fetchall()
    with pytest.raises(errors.InFailedSqlTransaction):
        cur.execute("SELECT 1")
    conn.rollback()
    assert cur.execute("SELECT 5").fetchone() == (5,)


def test_seed_example_runs(dsn, pg_server):
    with pgwire.connect(dsn, dbname="test") as conn:
        curs = conn.cursor()
        curs.execute("SELECT * FROM test WHERE fielda > %s", (1971,), async_=True)
        query_ended = False
        r, w = __import__("os").pipe()
        try:
            while not query_ended:
                select.select([curs, r], [], [], 5)
                if not curs.isbusy():
                    query_ended = True
        finally:
            __import__("os").close(r)
            __import__("os").close(w)
        rows = list(curs)
        assert rows and all(row[0] > 1971 for row in rows)
        expected = conn.execute("SELECT count(*) FROM test WHERE fielda > 1971").fetchone()[0]
        assert len(rows) == expected


@pytest.mark.parametrize("ended_by", ["isbusy", "wait"])
def test_cancel_after_the_query_ended_discards_its_result(conn, ended_by):
    cur = conn.cursor()
    cur.execute("SELECT 1 UNION ALL SELECT 2", async_=True)
    if ended_by == "isbusy":
        while cur.isbusy():
            time.sleep(0.01)
    else:
        time.sleep(0.3)
        assert cur.isbusy() is False
    assert cur.cancel() is False
    with pytest.raises(pgwire.ProgrammingError):
        cur.fetchall()
    with pytest.raises(pgwire.ProgrammingError):
        cur.fetchone()
    assert conn.execute("SELECT 3").fetchone() == (3,)
