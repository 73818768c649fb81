"""Server-side (named) cursors."""

from __future__ import annotations

import asyncio

import pytest

import pgwire
from pgwire.rows import dict_row


def test_fetch_in_batches(conn):
    cur = conn.cursor("big")
    cur.execute("SELECT x, x * 2 AS y FROM generate_series(1, 1000) x WHERE x > %s", (0,))
    assert [c.name for c in cur.description] == ["x", "y"]
    assert cur.fetchone() == (1, 2)
    assert cur.fetchmany(3) == [(2, 4), (3, 6), (4, 8)]
    assert cur.rownumber == 4
    cur.itersize = 50
    rest = list(cur)
    assert len(rest) == 996 and rest[-1] == (1000, 2000)
    assert cur.fetchone() is None
    cur.close()
    assert cur.closed
    assert conn.execute("SELECT count(*) FROM pg_cursors").fetchone() == (0,)


def test_rownumber_counts_the_rows_given_while_iterating(conn, dsn):
    # A FETCH brings itersize rows; the row number follows the loop, row by row.
    cur = conn.cursor("counted")
    cur.itersize = 3
    cur.execute("SELECT generate_series(1, %s)", (7,))
    seen = [(row[0], cur.rownumber) for row in cur]
    assert seen == [(i, i) for i in range(1, 8)]
    cur.execute("SELECT generate_series(1, 10)")
    for row in cur:
        if row[0] == 2:
            break
    assert cur.rownumber == 2
    # The next fetch reads where the server cursor is (after the batch), as psycopg's does.
    assert cur.fetchone() == (4,) and cur.rownumber == 3
    cur.close()

    async def main():
        async with await pgwire.AsyncConnection.connect(dsn) as aconn:
            acur = aconn.cursor("acounted")
            acur.itersize = 2
            await acur.execute("SELECT generate_series(1, 5)")
            return [(row[0], acur.rownumber) async for row in acur]

    assert asyncio.run(main()) == [(i, i) for i in range(1, 6)]


def test_cursor_lives_on_the_server(conn):
    cur = conn.cursor("visible")
    cur.execute("SELECT generate_series(1, 10)")
    assert conn.execute("SELECT name FROM pg_cursors").fetchall() == [("visible",)]
    assert cur.fetchall() == [(i,) for i in range(1, 11)]
    cur.close()
    assert conn.execute("SELECT count(*) FROM pg_cursors").fetchone() == (0,)


def test_scroll_and_options(conn):
    with conn.cursor("scrolly", scrollable=True, row_factory=dict_row) as cur:
        cur.execute("SELECT generate_series(1, 5) AS n")
        assert cur.fetchmany(2) == [{"n": 1}, {"n": 2}]
        cur.scroll(-2)
        assert cur.fetchone() == {"n": 1}
        cur.scroll(3, "absolute")
        assert cur.fetchone() == {"n": 4}


def test_withhold_survives_commit(conn):
    cur = conn.cursor("held", withhold=True)
    cur.execute("SELECT generate_series(1, 3)")
    conn.commit()
    assert cur.fetchall() == [(1,), (2,), (3,)]
    cur.close()


def test_errors(conn):
    cur = conn.cursor("bad")
    with pytest.raises(pgwire.errors.UndefinedTable):
        cur.execute("SELECT * FROM nowhere")
    conn.rollback()
    with pytest.raises(pgwire.ProgrammingError):
        conn.cursor("unused").fetchone()
    with pytest.raises(pgwire.NotSupportedError):
        conn.cursor("many").executemany("SELECT 1", [()])


def test_async_server_cursor(dsn):
    async def main():
        async with await pgwire.AsyncConnection.connect(dsn) as aconn:
            cur = aconn.cursor("acur")
            await cur.execute("SELECT generate_series(1, 250)")
            first = await cur.fetchone()
            rest = [row async for row in cur]
            await cur.close()
            return first, rest

    first, rest = asyncio.run(main())
    assert first == (1,) and len(rest) == 249 and rest[-1] == (250,)


def test_fetches_after_the_first_are_taken_whole(conn, monkeypatch):
    """Once the cursor is described, a FETCH's plain answer is read in one piece.

    Its RowDescription is the one seen at DECLARE time; a row a loader
    refuses still fails the fetch that reaches it, and the rows come out the
    same as message by message.
    """
    from pgwire.protocol import core

    taken: list[bool] = []
    real = core.take_answer

    def spy(proto, fields, *args):
        out = real(proto, fields, *args)
        if fields:  # the looks with columns: FETCHes, not BEGIN
            taken.append(out is not None)
        return out

    monkeypatch.setattr(core, "take_answer", spy)
    cur = conn.cursor("whole", row_factory=dict_row)
    cur.execute("SELECT x, 'v' || x AS v FROM generate_series(1, 250) x")
    cur.itersize = 100
    rows = list(cur)
    assert rows == [{"x": i, "v": f"v{i}"} for i in range(1, 251)]
    if core.CAN_TAKE_ANSWERS:
        assert taken == [True, True, True]
    else:
        assert taken == []
    cur.close()
    # A value its loader refuses, in a later batch: the fetch raises the
    # loader's own error (as a plain cursor does), the connection stays usable.
    conn.adapters.register_loader("int4", _PickyLoader)
    bad = conn.cursor("picky")
    bad.execute("SELECT x FROM generate_series(1, 30) x")
    assert bad.fetchmany(10) == [(i,) for i in range(1, 11)]
    with pytest.raises(ValueError, match="17 is refused"):
        bad.fetchmany(20)
    conn.rollback()
    assert conn.execute("SELECT 1").fetchone() == (1,)


class _PickyLoader(pgwire.types.Loader):
    """An int4 loader refusing 17."""

    def load(self, data):
        value = int(bytes(data))
        if value == 17:
            raise ValueError("17 is refused")
        return value


def test_cursor_declared_elsewhere_is_taken_over(conn):
    plain = conn.cursor()
    plain.execute("DECLARE elsewhere CURSOR FOR SELECT generate_series(1, 5) AS s")
    named = conn.cursor("elsewhere", row_factory=dict_row)
    assert named.fetchone() == {"s": 1}  # no execute(): fetched as it is
    assert [c.name for c in named.description] == ["s"]
    assert named.fetchmany(2) == [{"s": 2}, {"s": 3}]
    assert list(named) == [{"s": 4}, {"s": 5}]
    named.close()
    # Closed on the server: the name can be declared again.
    plain.execute("DECLARE elsewhere CURSOR FOR SELECT 1")
    conn.cursor("elsewhere").close()  # closed without any fetch
    plain.execute("SELECT count(*) FROM pg_cursors WHERE name = 'elsewhere'")
    assert plain.fetchone() == (0,)
    conn.cursor("never_declared").close()  # nothing to close: no error
    conn.commit()


def test_refcursor_returned_by_a_function(conn):
    plain = conn.cursor()
    plain.execute(
        "CREATE FUNCTION pg_temp.letters() RETURNS refcursor LANGUAGE plpgsql AS $$"
        " DECLARE c refcursor := 'letters';"
        " BEGIN OPEN c FOR SELECT 'a' AS x UNION ALL SELECT 'b'; RETURN c; END $$"
    )
    plain.execute("SELECT pg_temp.letters()")
    (name,) = plain.fetchone()
    with conn.cursor(name) as named:
        assert named.fetchall() == [("a",), ("b",)]
    conn.rollback()


def test_fetch_from_a_name_with_no_cursor(conn):
    named = conn.cursor("no_such_cursor")
    with pytest.raises(pgwire.errors.InvalidCursorName):
        named.fetchone()
    conn.rollback()
    assert conn.execute("SELECT 1").fetchone() == (1,)


def test_async_cursor_declared_elsewhere(dsn):
    async def main():
        async with await pgwire.AsyncConnection.connect(dsn) as aconn:
            await aconn.cursor().execute("DECLARE t2 CURSOR FOR SELECT 1 AS one, 2 AS two")
            named = aconn.cursor("t2")
            rows = await named.fetchall()
            await named.close()
            cur = await aconn.execute("SELECT count(*) FROM pg_cursors")
            return rows, await cur.fetchone()

    assert asyncio.run(main()) == ([(1, 2)], (0,))


def test_single_result_api(conn):
    with conn.cursor("one", row_factory=dict_row) as named:
        named.execute("SELECT generate_series(1, 2) AS n")
        assert named.nextset() is None
        assert list(named.results()) == [named]
        assert list(named.stream("SELECT 7 AS n")) == [{"n": 7}]  # not declared: plain rows
        with pytest.raises(pgwire.NotSupportedError):
            named.executemany("SELECT %s", [(1,)])
        assert named.fetchall() == [{"n": 1}, {"n": 2}]  # the cursor is unaffected


def test_async_single_result_api(dsn):
    async def main():
        async with await pgwire.AsyncConnection.connect(dsn) as aconn:
            named = aconn.cursor("one")
            await named.execute("SELECT 1")
            results = [c async for c in named.results()]
            streamed = [r async for r in named.stream("SELECT 2")]
            with pytest.raises(pgwire.NotSupportedError):
                await named.executemany("SELECT %s", [(1,)])
            nextset = named.nextset()
            await named.close()
            return results == [named], streamed, nextset

    assert asyncio.run(main()) == (True, [(2,)], None)


def _fetch_sizes(chunks):
    import re

    return [int(n) for n in re.findall(rb"FETCH FORWARD (\d+)", b"".join(chunks))]


def test_default_itersize_grows_while_iterating(conn, sent):
    with conn.cursor("grow") as named:
        named.execute("SELECT generate_series(1, 10000)")
        assert named.itersize == 100
        sent.clear()
        assert sum(1 for _ in named) == 10000
        assert _fetch_sizes(sent) == [100, 200, 400, 800, 1600, 2000, 2000, 2000, 2000]
    conn.rollback()


def test_chosen_itersize_is_kept(conn, sent):
    with conn.cursor("kept") as named:
        named.execute("SELECT generate_series(1, 1000)")
        named.itersize = 100
        sent.clear()
        assert sum(1 for _ in named) == 1000
        assert _fetch_sizes(sent) == [100] * 11
    conn.rollback()


def test_row_factories_make_the_fetched_rows(conn):
    from pgwire.rows import namedtuple_row, scalar_row

    calls = []

    def negated(cursor):
        calls.append(cursor.description[0].name)
        return lambda values: [len(calls)] + [-v for v in values]

    with conn.cursor("made", row_factory=negated, scrollable=True) as named:
        named.execute("SELECT generate_series(1, 3) AS x")
        assert calls == ["x"]  # at execute()
        assert named.fetchone() == [1, -1]
        assert named.fetchmany(1) == [[1, -2]]
        assert list(named) == [[1, -3]]
        named.scroll(0, "absolute")
        named.row_factory = namedtuple_row
        assert named.fetchone().x == 1
        assert calls == ["x"]
    with conn.cursor("scalars", row_factory=scalar_row) as named:
        named.execute("VALUES (NULL), (0)")
        assert [named.fetchone(), named.fetchone()] == [None, 0]
        named.execute("VALUES (NULL), (0)")
        assert named.fetchall() == [None, 0]
        named.execute("VALUES (NULL), (0)")
        assert list(named) == [None, 0]

    def broken(cursor):
        raise ZeroDivisionError

    named = conn.cursor("broken", row_factory=broken)
    with pytest.raises(ZeroDivisionError):
        named.execute("SELECT 1")
    conn.rollback()
