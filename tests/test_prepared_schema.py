"""Auto-prepared statements survive schema changes, as unprepared queries do."""

from __future__ import annotations

import asyncio

import pytest

import pgwire

RUNS = 8  # past the prepare threshold used below


def prepared_count(conn) -> int:
    # Statements to close go out with the next extended-protocol query: this one.
    query = "SELECT count(*) FROM pg_prepared_statements WHERE %s"
    return conn.execute(query, (True,), prepare=False).fetchone()[0]


def run_many(conn, query, params, expected):
    for _ in range(RUNS):
        assert conn.execute(query, params).fetchall() == expected


@pytest.mark.parametrize("autocommit", [True, False])
def test_table_recreated_with_another_column_type(conn, autocommit):
    conn.autocommit = autocommit
    conn.prepare_threshold = 2
    conn.execute("CREATE TEMP TABLE st (a int)")
    conn.execute("INSERT INTO st VALUES (1)")
    run_many(conn, "SELECT * FROM st WHERE %s::int > 0", (1,), [(1,)])
    assert prepared_count(conn) >= 1
    conn.execute("DROP TABLE st")
    conn.execute("CREATE TEMP TABLE st (a text)")
    conn.execute("INSERT INTO st VALUES ('x')")
    run_many(conn, "SELECT * FROM st WHERE %s::int > 0", (1,), [("x",)])


def test_column_added_by_alter_table(conn):
    conn.autocommit = True
    conn.prepare_threshold = 2
    conn.execute("CREATE TEMP TABLE sa (a int)")
    conn.execute("INSERT INTO sa VALUES (1)")
    run_many(conn, "SELECT * FROM sa WHERE %s::int > 0", (1,), [(1,)])
    conn.execute("ALTER TABLE sa ADD COLUMN b text DEFAULT 'b'")
    run_many(conn, "SELECT * FROM sa WHERE %s::int > 0", (1,), [(1, "b")])


def test_type_dropped_and_created_again(conn):
    conn.autocommit = True
    conn.prepare_threshold = 2
    conn.execute("CREATE TYPE pgwire_mood AS ENUM ('happy', 'sad')")
    try:
        run_many(conn, "SELECT %s::text::pgwire_mood::text", ("sad",), [("sad",)])
        conn.execute("DROP TYPE pgwire_mood")
        conn.execute("CREATE TYPE pgwire_mood AS ENUM ('sad', 'happy')")
        run_many(conn, "SELECT %s::text::pgwire_mood::text", ("sad",), [("sad",)])
    finally:
        conn.execute("DROP TYPE IF EXISTS pgwire_mood")


def test_statements_are_closed_on_the_server_after_a_schema_change(conn):
    conn.autocommit = True
    conn.prepare_threshold = 1
    run_many(conn, "SELECT %s::int", (1,), [(1,)])
    assert prepared_count(conn) == 1
    conn.execute("CREATE TEMP TABLE sc (a int)")
    conn.execute("DROP TABLE sc")
    assert prepared_count(conn) == 0


def test_rollback_discards_the_statements(conn):
    conn.prepare_threshold = 1
    run_many(conn, "SELECT %s::int", (1,), [(1,)])
    conn.rollback()
    assert prepared_count(conn) == 0


def test_executemany_of_a_schema_change_is_seen(conn):
    conn.autocommit = True
    conn.prepare_threshold = 2
    conn.execute("CREATE TEMP TABLE sm (a int)")
    conn.execute("INSERT INTO sm VALUES (1)")
    run_many(conn, "SELECT * FROM sm WHERE %s::int > 0", (1,), [(1,)])
    conn.cursor().executemany("DROP TABLE sm", [()])
    conn.execute("CREATE TEMP TABLE sm (a text)")
    conn.execute("INSERT INTO sm VALUES ('x')")
    run_many(conn, "SELECT * FROM sm WHERE %s::int > 0", (1,), [("x",)])


@pytest.mark.parametrize("autocommit", [True, False])
def test_schema_changed_by_another_session(dsn, autocommit):
    with pgwire.connect(dsn, autocommit=True) as other:
        other.execute("DROP TABLE IF EXISTS pgwire_shared")
        other.execute("CREATE TABLE pgwire_shared (a int)")
        other.execute("INSERT INTO pgwire_shared VALUES (1)")
        try:
            with pgwire.connect(dsn, autocommit=autocommit, prepare_threshold=2) as conn:
                query = "SELECT * FROM pgwire_shared WHERE %s::int > 0"
                for _ in range(RUNS):
                    assert conn.execute(query, (1,)).fetchall() == [(1,)]
                    conn.commit()
                other.execute("ALTER TABLE pgwire_shared ALTER COLUMN a TYPE text")
                for _ in range(RUNS):
                    assert conn.execute(query, (1,)).fetchall() == [("1",)]
                    conn.commit()
        finally:
            other.execute("DROP TABLE pgwire_shared")


def test_schema_change_inside_a_transaction_is_not_hidden(dsn):
    """A stale plan in a transaction already under way can't be retried: it is raised."""
    with pgwire.connect(dsn, autocommit=True) as other:
        other.execute("DROP TABLE IF EXISTS pgwire_shared2")
        other.execute("CREATE TABLE pgwire_shared2 (a int)")
        try:
            with pgwire.connect(dsn, prepare_threshold=1) as conn:
                query = "SELECT * FROM pgwire_shared2 WHERE %s::int > 0"
                for _ in range(3):
                    conn.execute(query, (1,))
                conn.commit()
                conn.execute("SELECT 1")  # the transaction is under way
                other.execute("ALTER TABLE pgwire_shared2 ALTER COLUMN a TYPE text")
                with pytest.raises(pgwire.errors.FeatureNotSupported):
                    conn.execute(query, (1,))
                conn.rollback()
                assert conn.execute(query, (1,)).fetchall() == []
        finally:
            other.execute("DROP TABLE pgwire_shared2")


def test_async_table_recreated(dsn):
    async def main():
        async with await pgwire.AsyncConnection.connect(
            dsn, autocommit=True, prepare_threshold=2
        ) as aconn:
            await aconn.execute("CREATE TEMP TABLE sx (a int)")
            await aconn.execute("INSERT INTO sx VALUES (1)")
            query = "SELECT * FROM sx WHERE %s::int > 0"
            for _ in range(RUNS):
                assert await (await aconn.execute(query, (1,))).fetchall() == [(1,)]
            await aconn.execute("DROP TABLE sx")
            await aconn.execute("CREATE TEMP TABLE sx (a text)")
            await aconn.execute("INSERT INTO sx VALUES ('x')")
            for _ in range(RUNS):
                assert await (await aconn.execute(query, (1,))).fetchall() == [("x",)]

    asyncio.run(main())


@pytest.mark.parametrize("autocommit", [True, False])
def test_statements_are_closed_by_the_next_simple_query_too(conn, autocommit):
    conn.autocommit = autocommit
    conn.execute("SELECT 1", prepare=True)
    for _ in range(3):
        conn.execute("DROP TABLE IF EXISTS noprep; CREATE TABLE noprep ()")
    # Queries without parameters go by the simple protocol: the Close messages
    # are sent after this one, with a Sync of their own.
    cur = conn.execute("SELECT 'a'; SELECT 'b'")
    assert (cur.fetchall(), cur.nextset(), cur.fetchall()) == ([("a",)], True, [("b",)])
    listed = "SELECT name FROM pg_prepared_statements"
    assert conn.execute(listed).fetchall() == []
    with pytest.raises(pgwire.errors.UndefinedColumn):  # a failing query closes them all the same
        conn.execute("SELECT 1", prepare=True)
        conn.execute("DROP TABLE noprep")
        conn.execute("SELECT wat")
    conn.rollback()
    assert conn.execute(listed).fetchall() == []
    conn.rollback()
