"""Automatic prepared statements."""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal

import pytest

import pgwire
from pgwire.accel import selection
from pgwire.engine.prepared import PreparedCache


def prepared_names(conn):
    query = "SELECT name FROM pg_prepared_statements ORDER BY name"
    # prepare=False: this query itself is neither counted nor prepared.
    return [r[0] for r in conn.execute(query, prepare=False)]


def test_prepared_after_threshold(conn):
    conn.prepare_threshold = 3
    q = "SELECT %s::int + 1, %s::text, now()::date"
    for i in range(2):
        assert conn.execute(q, (i, "x")).fetchone()[:2] == (i + 1, "x")
    assert prepared_names(conn) == []
    for i in range(2, 6):
        row = conn.execute(q, (i, "y")).fetchone()
        assert row[:2] == (i + 1, "y") and isinstance(row[2], dt.date)
    assert len(prepared_names(conn)) == 1


def test_prepare_flag(conn):
    conn.execute("SELECT %s::numeric * 2", (Decimal("1.5"),), prepare=True)
    assert len(prepared_names(conn)) == 1
    conn.execute("SELECT 1 + %s", (1,), prepare=False)
    assert len(prepared_names(conn)) == 1
    cur = conn.execute("SELECT %s::numeric * 2", (Decimal("2.5"),))
    assert cur.fetchone() == (Decimal("5.0"),)


def test_disabled(conn):
    conn.prepare_threshold = None
    for _ in range(10):
        conn.execute("SELECT %s", (1,))
    assert prepared_names(conn) == []


def test_schema_change_invalidates(conn):
    conn.autocommit = True
    conn.execute("CREATE TEMP TABLE ch (a int)")
    conn.execute("INSERT INTO ch VALUES (1)")
    q = "SELECT * FROM ch WHERE a = %s"
    for _ in range(3):
        assert conn.execute(q, (1,), prepare=True).fetchall() == [(1,)]
    conn.execute("ALTER TABLE ch ADD COLUMN b text DEFAULT 'x'")
    try:
        rows = conn.execute(q, (1,)).fetchall()
    except pgwire.errors.FeatureNotSupported:
        rows = conn.execute(q, (1,)).fetchall()  # the statement was forgotten
    assert rows == [(1, "x")]


def test_deallocated_behind_our_back(conn):
    conn.autocommit = True
    conn.execute("SELECT %s::int", (1,), prepare=True)
    # Deallocated by name, which pgwire does not follow (DEALLOCATE ALL it does).
    for name in prepared_names(conn):
        conn.execute(f'DEALLOCATE "{name}"', prepare=False)
    with pytest.raises(pgwire.errors.InvalidSqlStatementName):
        conn.execute("SELECT %s::int", (1,))
    assert conn.execute("SELECT %s::int", (2,)).fetchone() == (2,)


def test_cache_evicts_and_closes_on_server(conn):
    conn.autocommit = True
    conn._prepared.prepared_max = 3
    for i in range(6):
        conn.execute(f"SELECT %s::int + {i}", (1,), prepare=True)
    conn.execute("SELECT 1", (), prepare=False)
    assert len(prepared_names(conn)) <= 3


def test_binary_columns_chosen_per_column(conn):
    q = "SELECT 1::int4, 'x'::text, 2.5::float8, true, '\\x01'::bytea, %s::uuid"
    import uuid

    u = uuid.uuid4()
    first = conn.execute(q, (u,), prepare=True).fetchone()
    second = conn.execute(q, (u,)).fetchone()
    assert first == second == (1, "x", 2.5, True, b"\x01", u)


@pytest.mark.parametrize("autocommit", [True, False])
def test_known_columns_skip_describe(conn, autocommit, sent):
    """Prepared runs skip describing the portal; the columns, rows and BEGIN stay right."""
    from pgwire.rows import dict_row

    conn.autocommit = autocommit
    conn.prepare_threshold = 2
    q = "SELECT %s::int AS n, %s::text AS t, now() AS ts"
    for i in range(8):
        cur = conn.cursor(row_factory=dict_row if i % 2 else None)
        row = cur.execute(q, (i, f"v{i}")).fetchone()
        assert [c.name for c in cur.description] == ["n", "t", "ts"]
        if i % 2:
            assert (row["n"], row["t"]) == (i, f"v{i}")
        else:
            assert row[:2] == (i, f"v{i}")
        assert cur.rowcount == 1
        if not autocommit:
            conn.commit()
    queries = [d for d in sent if b"_pgwire_" in d]
    # Prepared on the 2nd run; described on it and the next (formats chosen then); not after.
    assert queries and all(b"D\x00\x00\x00\x06P\x00" not in d for d in queries[-4:])
    assert any(b"D\x00\x00\x00\x06P\x00" in d for d in queries[:2])


@pytest.mark.parametrize("autocommit", [True, False])
def test_statements_without_rows_skip_describe(conn, autocommit, sent):
    """An INSERT run again is not described; it still has no result set and the right rowcount."""
    conn.autocommit = autocommit
    conn.prepare_threshold = 2
    conn.execute("CREATE TEMP TABLE no_rows (id int, v text)")
    cur = conn.cursor()
    for i in range(8):
        cur.execute("INSERT INTO no_rows VALUES (%s, %s)", (i, f"v{i}"))
        assert cur.rowcount == 1
        assert cur.description is None
        with pytest.raises(pgwire.ProgrammingError):
            cur.fetchone()
        # Another statement in between keeps its own plan.
        if i == 5:
            cur.execute("UPDATE no_rows SET v = %s WHERE id <= %s", ("u", i))
            assert cur.rowcount == i + 1
    if not autocommit:
        conn.commit()
    counts = conn.execute("SELECT count(*), count(*) FILTER (WHERE v = 'u') FROM no_rows")
    assert counts.fetchone() == (8, 6)
    queries = [d for d in sent if b"_pgwire_" in d]
    assert queries and all(b"D\x00\x00\x00\x06P\x00" not in d for d in queries[-4:])
    assert any(b"D\x00\x00\x00\x06P\x00" in d for d in queries[:2])


def test_cache_policy():
    cache = PreparedCache(threshold=2, prepared_max=2)
    key = (b"q", ())
    assert cache.plan(key, None) == (cache._entries[key], False)
    assert cache.plan(key, None) == (cache._entries[key], False)
    # Two runs before it, as psycopg counts: the third prepares it.
    entry, preparing = cache.plan(key, None)
    assert preparing and entry.name == b"_pgwire_1"
    assert cache.plan(key, None) == (entry, False)
    cache.plan((b"a", ()), True)
    cache.plan((b"b", ()), True)
    assert cache.pending_closes().count(b"C") == 1
    assert cache.plan((b"c", ()), False) == (None, False)


# --- unnamed statements with a cached description ------------------------------------

DESCRIBE_PORTAL = b"D\x00\x00\x00\x06P\x00"
UNNAMED_PARSE = b"P"  # then the length, then b"\x00": the unnamed statement


def _unnamed_parses(chunk: bytes) -> int:
    count = 0
    at = 0
    while at < len(chunk):
        length = int.from_bytes(chunk[at + 1 : at + 5], "big")
        if chunk[at : at + 1] == UNNAMED_PARSE and chunk[at + 5 : at + 6] == b"\x00":
            count += 1
        at += 1 + length
    return count


@pytest.mark.parametrize("autocommit", [True, False])
def test_unnamed_keeps_nothing_on_the_server(conn, autocommit, sent):
    """Each run is Parse (unnamed), Bind, Describe, Execute, Sync in one request."""
    conn.prepare_threshold = None
    conn.autocommit = autocommit
    q = "SELECT %s::int AS n, %s::text AS t, now()::date AS d"
    for i in range(10):
        cur = conn.execute(q, (i, f"v{i}"))
        assert cur.fetchone()[:2] == (i, f"v{i}")
        assert [c.name for c in cur.description] == ["n", "t", "d"]
        if not autocommit:
            conn.commit()
    runs = [d for d in sent if b"::int AS n" in d]
    assert len(runs) == 10
    assert all(_unnamed_parses(d) == 1 and DESCRIBE_PORTAL in d for d in runs)
    assert not any(b"_pgwire_" in d for d in sent)
    assert prepared_names(conn) == []
    entry = next(iter(conn._prepared._entries.values()))
    assert entry.name is None and entry.description


def test_unnamed_runs_survive_deallocate_and_discard(conn):
    conn.prepare_threshold = None
    conn.autocommit = True
    q = "SELECT %s::int * 5"
    for i in range(6):
        assert conn.execute(q, (i,)).fetchone() == (i * 5,)
        conn.execute("DEALLOCATE ALL" if i % 2 else "DISCARD ALL")


@pytest.mark.parametrize(
    "alter, after",
    [
        ("ALTER TABLE desc_ch ADD COLUMN c text DEFAULT 'x'", (1, "one", "x")),
        ("ALTER TABLE desc_ch ALTER COLUMN b TYPE int USING length(b)", (1, 3)),
        ("ALTER TABLE desc_ch DROP COLUMN b", (1,)),
    ],
)
def test_described_columns_follow_schema_changes(conn, alter, after):
    """The Describe of each run tells when the columns changed: never stale rows."""
    conn.prepare_threshold = None
    conn.autocommit = True
    conn.execute("CREATE TEMP TABLE desc_ch (a int, b text)")
    conn.execute("INSERT INTO desc_ch VALUES (1, 'one')")
    q = "SELECT * FROM desc_ch WHERE a = %s"
    for _ in range(4):
        assert conn.execute(q, (1,)).fetchall() == [(1, "one")]
    conn.execute(alter)
    try:
        rows = conn.execute(q, (1,)).fetchall()
    except pgwire.errors.FeatureNotSupported:
        # A format per column was asked for the old columns: told once, as
        # for a prepared statement.
        rows = conn.execute(q, (1,)).fetchall()
    assert rows == [after]
    for _ in range(3):
        cur = conn.execute(q, (1,))
        assert cur.fetchall() == [after]
        assert len(cur.description) == len(after)


def test_described_statement_in_failed_transaction(conn):
    conn.prepare_threshold = None
    conn.execute("CREATE TEMP TABLE desc_tx (a int PRIMARY KEY)")
    conn.commit()
    for i in range(3):
        conn.execute("INSERT INTO desc_tx VALUES (%s)", (i,))
    conn.commit()
    with pytest.raises(pgwire.errors.UniqueViolation):
        conn.execute("INSERT INTO desc_tx VALUES (%s)", (1,))
    conn.rollback()
    conn.execute("INSERT INTO desc_tx VALUES (%s)", (7,))
    conn.commit()
    assert conn.execute("SELECT count(*) FROM desc_tx").fetchone() == (4,)


def test_threshold_still_names_statements(conn):
    conn.prepare_threshold = 5
    q = "SELECT %s::int - 2"
    for i in range(5):
        assert conn.execute(q, (i,)).fetchone() == (i - 2,)
    assert prepared_names(conn) == []
    conn.execute(q, (9,))
    assert prepared_names(conn) == ["_pgwire_1"]


@pytest.mark.parametrize("autocommit", [True, False])
def test_auto_names_statements_on_a_direct_connection(conn, autocommit, sent):
    """The default: after 5 runs, once the connection is seen to reach the server itself."""
    assert conn.prepare_threshold == "auto"
    conn.autocommit = autocommit
    q = "SELECT %s::int * 11"
    for i in range(5):
        assert conn.execute(q, (i,)).fetchone() == (i * 11,)
    assert conn._prepared.direct is True
    assert prepared_names(conn) == []
    assert sum(b"pg_backend_pid()" in d for d in sent) == 1
    for i in range(5, 10):
        assert conn.execute(q, (i,)).fetchone() == (i * 11,)
    assert prepared_names(conn) == ["_pgwire_1"]
    # Asked once per connection.
    for i in range(6):
        conn.execute("SELECT %s::int * 12", (i,))
    assert sum(b"pg_backend_pid()" in d for d in sent) == 1
    assert len(prepared_names(conn)) == 2


def test_auto_waits_out_a_failed_transaction(conn):
    q = "SELECT %s::int * 13"
    for i in range(4):
        conn.execute(q, (i,))
    with pytest.raises(pgwire.errors.DivisionByZero):
        conn.execute("SELECT 1 / %s", (0,))
    with pytest.raises(pgwire.errors.InFailedSqlTransaction):
        conn.execute(q, (4,))
    assert conn._prepared.direct is None
    conn.rollback()
    # The failed run dropped the statement: counted again from the start.
    for i in range(6):
        assert conn.execute(q, (i,)).fetchone() == (i * 13,)
    assert conn._prepared.direct is True and prepared_names(conn) == ["_pgwire_1"]


@pytest.mark.parametrize("value", ["sometimes", -1, 2.5, True])
def test_bad_threshold(conn, value):
    with pytest.raises(ValueError):
        conn.prepare_threshold = value
    assert conn.prepare_threshold == "auto"


# --- queries without parameters ---------------------------------------------------

NO_PARAM_CASES = [
    # (threshold, query, prepared statements after each of 4 runs)
    (2, "SELECT 41 + 1", [0, 0, 1, 1]),
    (0, "SELECT 41 + 1", [1, 1, 1, 1]),
    # A ';' may separate statements: run simply once, then prepared if it was one.
    (0, "SELECT 41 + 1;", [0, 1, 1, 1]),
    (1, "SELECT 41; SELECT 1", [0, 0, 0, 0]),
    (None, "SELECT 41 + 1", [0, 0, 0, 0]),
]


@pytest.mark.parametrize(("threshold", "query", "want"), NO_PARAM_CASES)
def test_queries_without_parameters_are_counted(conn, threshold, query, want):
    """As in psycopg: a run that was one statement and succeeded counts toward preparing it."""
    conn.autocommit = True
    conn.prepare_threshold = threshold
    got = []
    for _ in range(4):
        cur = conn.execute(query)
        assert cur.fetchone() == (42,) or cur.nextset()
        got.append(len(prepared_names(conn)))
    assert got == want


def test_failed_and_unprepared_runs_are_not_counted(conn):
    conn.autocommit = True
    conn.prepare_threshold = 1
    for _ in range(3):
        with pytest.raises(pgwire.errors.UndefinedColumn):
            conn.execute("SELECT wat")
        conn.execute("SELECT 7", prepare=False)
    assert prepared_names(conn) == []
    # A prepared run of a parameterless query gives the rows a simple query gives.
    for _ in range(3):
        assert conn.execute("SELECT 'a%%b', 7").fetchall() == [("a%%b", 7)]
    assert len(prepared_names(conn)) == 1


def test_queries_without_parameters_are_counted_async(dsn):
    async def main() -> list[int]:
        conn = await pgwire.AsyncConnection.connect(dsn, autocommit=True, prepare_threshold=2)
        try:
            got = []
            for _ in range(4):
                cur = await conn.execute("SELECT 41 + 1")
                assert await cur.fetchone() == (42,)
                count = "SELECT count(*) FROM pg_prepared_statements"
                cur = await conn.execute(count, prepare=False)
                got.append((await cur.fetchone())[0])
            return got
        finally:
            await conn.close()

    assert asyncio.run(main()) == [0, 0, 1, 1]


@pytest.mark.parametrize("command", ["DISCARD ALL", "DEALLOCATE ALL"])
def test_statements_dropped_by_the_server_are_forgotten(conn, command):
    conn.autocommit = True
    conn.prepare_threshold = 0
    q = "SELECT %s::int * 2"
    assert conn.execute(q, (2,)).fetchone() == (4,)
    assert len(prepared_names(conn)) == 1
    conn.execute(command)
    assert prepared_names(conn) == []
    # Prepared again, not run by a name the server no longer has.
    assert conn.execute(q, (3,)).fetchone() == (6,)
    assert conn.execute(q, (4,), binary=True).fetchone() == (8,)
    assert len(prepared_names(conn)) == 1


@pytest.mark.parametrize("timezone", ["UTC", "Asia/Kolkata", "America/St_Johns"])
def test_fixed_width_columns_read_alike_in_either_format(conn, timezone):
    """float8, date, timestamp and timestamptz: the first run reads text, the next
    ones the format chosen for them (binary with the accelerator); same values."""
    conn.execute(f"SET TimeZone = '{timezone}'")
    q = (
        "SELECT v.f, v.d, v.ts, v.tstz, v.t, %s::int FROM (VALUES"
        " (2.5::float8, '2000-02-29'::date, '2000-02-29 23:59:59.999999'::timestamp,"
        "  '2000-02-29 23:59:59.999999+00'::timestamptz, '12:34:56.789'::time),"
        " ('-0', '0001-01-01', '0001-01-01 00:00:00', '1900-01-01 00:00:00+00', '00:00'),"
        " ('Infinity', '9999-12-31', '9999-12-31 23:59:59.999999',"
        "  '2038-03-12 06:30:00.5+00', '23:59:59.999999'),"
        " ('-Infinity', '1970-01-01', '1970-01-01 00:00:00.000001',"
        "  '1970-03-29 01:30:00+01', '23:00'),"
        " (1e-300, NULL, NULL, NULL, NULL),"
        " (0.1, '1999-12-31', '1999-12-31 12:00', '2024-10-27 01:30+00', '00:00:00.5')"
        ") AS v(f, d, ts, tstz, t)"
    )
    first = conn.execute(q, (1,)).fetchall()
    for _ in range(3):
        assert conn.execute(q, (1,)).fetchall() == first
    f, d, ts, tstz, _t, _one = first[0]
    assert (f, d) == (2.5, dt.date(2000, 2, 29))
    assert ts == dt.datetime(2000, 2, 29, 23, 59, 59, 999999)
    assert tstz == dt.datetime(2000, 2, 29, 23, 59, 59, 999999, tzinfo=dt.timezone.utc)
    assert str(first[1][0]) == "-0.0" and first[2][0] == float("inf")
    (entry,) = [e for k, e in conn._prepared._entries.items() if k[0].startswith(b"SELECT v.f")]
    formats = entry.result_formats
    if selection.speedups is not None:
        assert formats == [1, 1, 1, 1, 0, 1]
    else:
        assert formats == [0, 0, 0, 0, 0, 1]
