"""Prepared statements run again through a learned parameter plan (the accelerator's Bind).

Each test checks what the server got (by the rows it sends back) and that
the plan was used or left alone as it should be: values that do not fit the
plan, a changed adaptation, bad parameters and a server that forgot the
statement must all behave as without it.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from typing import Any

import pytest

import pgwire
from pgwire import TransactionStatus, errors
from pgwire.accel.selection import speedups
from pgwire.engine.plans import StatementPlan
from pgwire.rows import dict_row, namedtuple_row
from pgwire.types import Format, Loader
from pgwire.types.adapt import Dumper

pytestmark = pytest.mark.skipif(speedups is None, reason="the accelerator is not in use")

Q = "SELECT %s::int8 + 1, %s::text, %s::float8, %s::timestamptz"


@pytest.fixture
def bind_calls(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """One entry per planned Bind: True if the values fitted the plan."""
    calls: list[bool] = []
    real = StatementPlan.bind

    def spy(self: StatementPlan, params: Any, statement: bytes, tail: bytes) -> bytes | None:
        out = real(self, params, statement, tail)
        calls.append(out is not None)
        return out

    monkeypatch.setattr(StatementPlan, "bind", spy)
    return calls


def row(i: int) -> tuple[Any, ...]:
    return (i, f"t{i}", i / 2, datetime(2020, 1, 1, i % 24, tzinfo=timezone.utc))


def expected(i: int) -> tuple[Any, ...]:
    return (i + 1, f"t{i}", i / 2, datetime(2020, 1, 1, i % 24, tzinfo=timezone.utc))


@pytest.mark.parametrize("autocommit", [True, False])
def test_repeated_runs_use_the_plan(conn: Any, bind_calls: list[bool], autocommit: bool) -> None:
    conn.autocommit = autocommit
    conn.prepare_threshold = 2
    for i in range(10):
        # A new cursor each time: plans belong to the connection.
        assert conn.execute(Q, row(i)).fetchone() == expected(i)
    assert bind_calls and all(bind_calls)
    assert len(bind_calls) >= 7


def test_values_that_do_not_fit_take_the_full_path(conn: Any, bind_calls: list[bool]) -> None:
    conn.autocommit = True
    conn.prepare_threshold = 1
    cur = conn.cursor()
    values = [1, 2, 40000, 3, 2**40, 5, None, 6, -(2**15) - 1, 7]
    for v in values * 2:
        cur.execute("SELECT %s::int8", (v,))
        assert cur.fetchone() == (v,)
    assert True in bind_calls and False in bind_calls


def test_bad_values_after_a_plan_raise_before_sending(conn: Any, bind_calls: list[bool]) -> None:
    conn.autocommit = True
    conn.prepare_threshold = 1
    cur = conn.cursor()
    for i in range(3):
        assert cur.execute(Q, row(i)).fetchone() == expected(i)
    with pytest.raises(errors.DataError):
        cur.execute(Q, (1, "nul\x00", 1.0, datetime(2020, 1, 1, tzinfo=timezone.utc)))
    with pytest.raises(errors.ProgrammingError):
        cur.execute(Q, (1, "x", 1.0))
    assert cur.execute(Q, row(4)).fetchone() == expected(4)
    assert False in bind_calls


def test_a_new_dumper_is_used_at_once(conn: Any, bind_calls: list[bool]) -> None:
    conn.autocommit = True
    conn.prepare_threshold = 1
    for i in range(3):
        assert conn.execute("SELECT %s::text", (f"v{i}",)).fetchone() == (f"v{i}",)
    planned = len(bind_calls)

    class Shout(Dumper):
        oid = 25

        def dump(self, obj: Any) -> bytes:
            return obj.upper().encode()

    conn.adapters.register_dumper(str, Shout)
    assert conn.execute("SELECT %s::text", ("quiet",)).fetchone() == ("QUIET",)
    assert conn.execute("SELECT %s::text", ("again",)).fetchone() == ("AGAIN",)
    assert planned > 0


def test_cursor_registry_is_not_shared(conn: Any, bind_calls: list[bool]) -> None:
    conn.autocommit = True
    conn.prepare_threshold = 1
    for i in range(3):
        conn.execute("SELECT %s::text", (f"v{i}",)).fetchone()
    before = len(bind_calls)

    class Shout(Dumper):
        oid = 25

        def dump(self, obj: Any) -> bytes:
            return obj.upper().encode()

    cur = conn.cursor()
    cur.adapters.register_dumper(str, Shout)
    assert cur.execute("SELECT %s::text", ("mine",)).fetchone() == ("MINE",)
    assert len(bind_calls) == before
    assert conn.execute("SELECT %s::text", ("theirs",)).fetchone() == ("theirs",)


def test_statement_gone_on_the_server(conn: Any, bind_calls: list[bool]) -> None:
    conn.autocommit = True
    conn.prepare_threshold = 1
    for i in range(3):
        assert conn.execute(Q, row(i)).fetchone() == expected(i)
    # Deallocated by name, which pgwire does not follow (DEALLOCATE ALL it does).
    names = conn.execute("SELECT name FROM pg_prepared_statements", prepare=False).fetchall()
    for (name,) in names:
        conn.execute(f'DEALLOCATE "{name}"', prepare=False)
    with pytest.raises(errors.InvalidSqlStatementName):
        conn.execute(Q, row(5))
    for i in range(6, 9):
        assert conn.execute(Q, row(i)).fetchone() == expected(i)


def test_timezone_change_rebuilds(conn: Any, bind_calls: list[bool]) -> None:
    conn.autocommit = True
    conn.prepare_threshold = 1
    q = "SELECT %s::timestamptz::text"
    ts = datetime(2020, 6, 1, 12, tzinfo=timezone.utc)
    for _ in range(3):
        assert conn.execute(q, (ts,)).fetchone() == ("2020-06-01 12:00:00+00",)
    conn.execute("SET TimeZone TO 'Asia/Kolkata'")
    for _ in range(3):
        assert conn.execute(q, (ts,)).fetchone() == ("2020-06-01 17:30:00+05:30",)


def test_str_and_bytes_queries_kept_apart(conn: Any, bind_calls: list[bool]) -> None:
    """The same text as str and as bytes: separate plans, and no str/bytes comparison."""
    import warnings

    conn.autocommit = True
    conn.prepare_threshold = 1
    with warnings.catch_warnings():
        warnings.simplefilter("error", BytesWarning)
        for i in range(3):
            assert conn.execute("SELECT %s::int", (i,)).fetchone() == (i,)
            assert conn.execute(b"SELECT %s::int", (i,)).fetchone() == (i,)
    assert bind_calls and all(bind_calls)


# --- one cursor running its statement again (see _cursor_base._Repeat) -------------


@pytest.fixture
def no_planning(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Call it to make any planning of a run (plan lookup, cache lookup) fail."""

    def forbid() -> None:
        def refuse(*args: Any, **kwargs: Any) -> Any:
            raise AssertionError("the run was planned again")

        monkeypatch.setattr("pgwire.engine.plans.StatementPlans.get", refuse)
        monkeypatch.setattr("pgwire.engine.prepared.PreparedCache.known", refuse)
        monkeypatch.setattr("pgwire.engine.prepared.PreparedCache.plan", refuse)

    return forbid


@pytest.mark.parametrize("autocommit", [True, False])
def test_one_cursor_runs_its_statement_again_unplanned(
    conn: Any, no_planning: Any, autocommit: bool
) -> None:
    conn.autocommit = autocommit
    conn.prepare_threshold = 1
    cur = conn.cursor()
    for i in range(3):
        assert cur.execute(Q, row(i)).fetchone() == expected(i)
    no_planning()
    for i in range(3, 40):
        assert cur.execute(Q, row(i)).fetchone() == expected(i)
        assert cur.description[0].type_code == 20
    if not autocommit:
        conn.commit()  # the runs again opened their transactions as planned runs do
        assert cur.execute(Q, row(50)).fetchone() == expected(50)
        conn.rollback()


def test_a_statement_run_again_async(conn: Any, no_planning: Any) -> None:
    conn.autocommit = True
    conn.prepare_threshold = 1
    cur = conn.cursor()
    for i in range(3):
        cur.execute(Q, row(i), async_=True)
        assert cur.fetchone() == expected(i)
    no_planning()
    for i in range(3, 10):
        cur.execute(Q, row(i), async_=True)
        assert cur.fetchone() == expected(i)


def test_a_statement_run_again_on_asyncio(dsn: str) -> None:
    async def main() -> list[Any]:
        async with await pgwire.AsyncConnection.connect(dsn, autocommit=True) as aconn:
            aconn.prepare_threshold = 1
            cur = aconn.cursor()
            got = []
            for i in range(8):
                await cur.execute(Q, row(i))
                got.append(await cur.fetchone())
            assert cur._repeat is not None and cur._repeat.adapters is not None
            return got

    assert asyncio.run(main()) == [expected(i) for i in range(8)]


INT_Q = "SELECT %s::int4 AS n"


def running_again(conn: Any) -> Any:
    """A cursor of ``conn`` (autocommit) that has run :data:`INT_Q` prepared."""
    conn.autocommit = True
    conn.prepare_threshold = 1
    cur = conn.cursor()
    for i in range(3):
        assert cur.execute(INT_Q, (i,)).fetchone() == (i,)
    return cur


def test_run_again_follows_the_row_factory(conn: Any, no_planning: Any) -> None:
    cur = running_again(conn)
    q = INT_Q
    cur.row_factory = dict_row
    assert cur.execute(q, (6,)).fetchone() == {"n": 6}
    assert cur.execute(q, (7,)).fetchone() == {"n": 7}
    # A factory of the user's own is called by execute(), as psycopg does.
    made: list[Any] = []

    def listed(cursor: Any) -> Any:
        made.append(cursor.description[0].name)
        return list

    cur.row_factory = listed
    cur.execute(q, (3,))
    assert made == ["n"]
    assert cur.fetchone() == [3]
    cur.execute(q, (4,))
    assert made == ["n", "n"]
    assert cur.fetchone() == [4]
    cur.row_factory = namedtuple_row
    assert cur.execute(q, (5,)).fetchone().n == 5
    no_planning()
    assert cur.execute(q, (8,)).fetchone().n == 8


def test_run_again_follows_the_cursor_adapters(conn: Any) -> None:
    cur = running_again(conn)
    q = INT_Q

    class Tenfold(Loader):
        format = Format.BINARY

        def load(self, data: bytes) -> int:
            return int.from_bytes(data, "big", signed=True) * 10

    class TenfoldText(Loader):
        format = Format.TEXT

        def load(self, data: bytes) -> int:
            return int(data) * 10

    cur.adapters.register_loader("int4", Tenfold)
    cur.adapters.register_loader("int4", TenfoldText)
    for i in range(4, 8):
        assert cur.execute(q, (i,)).fetchone() == (i * 10,)
    # Another type of parameter: another statement.
    assert cur.execute(q, ("8",)).fetchone() == (80,)
    assert cur.execute(q, (1,), binary=True).fetchone() == (10,)
    assert conn.cursor().execute(q, (9,)).fetchone() == (9,)


def test_run_again_after_its_statement_was_evicted(conn: Any) -> None:
    """Evicted by another cursor: prepared afresh, and the Close of the old one goes first.

    In a transaction, where a run of a closed statement could not be made
    good by running it again.
    """
    conn.prepare_threshold = 1
    conn.prepared_max = 1
    mine, other = conn.cursor(), conn.cursor()

    def prepared() -> set[str]:
        rows = other.execute("SELECT name FROM pg_prepared_statements", prepare=False)
        return {name for (name,) in rows.fetchall()}

    for i in range(3):
        assert mine.execute("SELECT %s::int", (i,)).fetchone() == (i,)
    first = prepared()
    assert len(first) == 1
    for i in range(3):
        assert other.execute("SELECT %s::text", (str(i),)).fetchone() == (str(i),)
    for i in range(3, 8):
        assert mine.execute("SELECT %s::int", (i,)).fetchone() == (i,)
        assert not prepared() & first
    assert len(prepared()) == 1
    assert conn.info.transaction_status == TransactionStatus.INTRANS
    conn.commit()


def test_run_again_after_the_schema_changed(conn: Any) -> None:
    conn.autocommit = True
    conn.prepare_threshold = 1
    conn.execute("CREATE TEMP TABLE again (id int, v int)")
    conn.execute("INSERT INTO again VALUES (1, 10), (2, 20)")
    cur = conn.cursor()
    q = "SELECT v FROM again WHERE id = %s"
    for _ in range(3):
        assert cur.execute(q, (1,)).fetchone() == (10,)
    conn.execute("ALTER TABLE again ALTER v TYPE text")
    assert cur.execute(q, (2,)).fetchone() == ("20",)
    assert cur.execute(q, (1,)).fetchone() == ("10",)
    conn.execute("DEALLOCATE ALL")
    assert cur.execute(q, (2,)).fetchone() == ("20",)


def test_run_again_follows_the_session_timezone(conn: Any) -> None:
    conn.autocommit = True
    conn.prepare_threshold = 1
    conn.execute("SET TimeZone TO 'UTC'")
    cur = conn.cursor()
    ts = datetime(2020, 6, 1, 12, tzinfo=timezone.utc)
    for _ in range(3):
        (got,) = cur.execute("SELECT %s::timestamptz", (ts,)).fetchone()
        assert got == ts and got.utcoffset().total_seconds() == 0
    conn.execute("SET TimeZone TO 'Asia/Kolkata'")
    for _ in range(3):
        (got,) = cur.execute("SELECT %s::timestamptz", (ts,)).fetchone()
        assert got == ts and got.utcoffset().total_seconds() == 5.5 * 3600


def test_cursors_made_per_query_run_the_statement_again_unplanned(
    conn: Any, no_planning: Any
) -> None:
    conn.autocommit = True
    conn.prepare_threshold = 1
    for i in range(3):
        assert conn.execute(Q, row(i)).fetchone() == expected(i)
    no_planning()
    for i in range(3, 20):
        assert conn.execute(Q, row(i)).fetchone() == expected(i)
    # Equal text, another str object: found by its text.
    assert conn.execute("".join(Q), row(30)).fetchone() == expected(30)


def test_a_new_cursor_runs_again_only_with_the_same_adapters(conn: Any) -> None:
    cur = running_again(conn)
    assert cur.execute(INT_Q, (5,)).fetchone() == (5,)
    # A client-side binding cursor merges the parameters into the text.
    client = pgwire.ClientCursor(conn)
    assert client.execute(INT_Q, (6,)).fetchone() == (6,)
    assert client.query == b"SELECT 6::int4 AS n"
    # Another row factory, binary results, its own loaders: each as asked.
    assert conn.cursor(row_factory=dict_row).execute(INT_Q, (7,)).fetchone() == {"n": 7}
    numeric_q = "SELECT %s::numeric AS d"
    for i in range(3):
        assert conn.execute(numeric_q, (i,)).fetchone() == (i,)
    binary = conn.cursor(binary=True)
    assert binary.execute(numeric_q, (8,)).fetchone() == (8,)
    assert binary._result.fields[0].format == Format.BINARY
    assert conn.execute(numeric_q, (8,))._result.fields[0].format == Format.TEXT
    own = conn.cursor()

    class Tenfold(Loader):
        format = Format.BINARY

        def load(self, data: bytes) -> int:
            return int.from_bytes(data, "big", signed=True) * 10

    own.adapters.register_loader("int4", Tenfold)
    # Planned again by a cursor of the connection's adapters, after the registration.
    shared = conn.cursor()
    assert [shared.execute(INT_Q, (i,)).fetchone() for i in range(3)] == [(0,), (1,), (2,)]
    assert own.execute(INT_Q, (9,)).fetchone() == (90,)
    # What the connection registers after the cursors were made is for the next ones.
    conn.adapters.register_loader("int4", Tenfold)
    assert cur.execute(INT_Q, (1,)).fetchone() == (1,)
    assert conn.cursor().execute(INT_Q, (2,)).fetchone() == (20,)


def test_a_raw_cursor_does_not_run_again_what_a_pyformat_cursor_prepared(conn: Any) -> None:
    """The same text means other SQL to a cursor of ``$n`` placeholders (``%%`` stays)."""
    conn.autocommit = True
    conn.prepare_threshold = 1
    q = "SELECT '100%%' AS p"
    for _ in range(3):
        assert conn.execute(q, ()).fetchone() == ("100%",)
    assert pgwire.RawCursor(conn).execute(q, ()).fetchone() == ("100%%",)
    assert conn.execute(q, ()).fetchone() == ("100%",)
