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
