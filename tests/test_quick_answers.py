"""The blocking cursor's quick path: prepared statements whose answer the accelerator takes whole.

Once a statement is prepared, its columns known and its parameter plan
learned, ``Cursor.execute`` sends Bind/Execute/Sync and its operation hands
the answer to ``core.take_answer``; what it declines (a large result, an error, a notice,
a value a loader refuses...) is read by the generic loop.  Each test checks
that the quick path was (or was not) taken, and that cursors see exactly
what the normal path gives them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

import pgwire
from pgwire import errors
from pgwire.accel.selection import speedups
from pgwire.cursor import Cursor
from pgwire.protocol import core
from pgwire.rows import dict_row
from pgwire.types import Loader

pytestmark = pytest.mark.skipif(speedups is None, reason="the accelerator is not in use")


@dataclass
class QuickRuns:
    """What each quick run did: answer "taken" whole, read by the "fallback", or "interrupted"."""

    outcomes: list[str] = field(default_factory=list)
    _taken: list[Any] = field(default_factory=list)
    _running: bool = False

    @property
    def taken(self) -> int:
        return self.outcomes.count("taken")

    @property
    def fallbacks(self) -> int:
        return self.outcomes.count("fallback")

    def reset(self) -> None:
        self.outcomes.clear()


@pytest.fixture
def quick(monkeypatch: pytest.MonkeyPatch) -> QuickRuns:
    """Spy on the runs of known statements with known columns, and on ``core.take_answer``.

    Those runs are made by ``core.bound_query`` or, run again as known, ``core.known_answer``.

    A run is "taken" when its result is the one ``take_answer`` made, or, for
    ``known_answer``, when it never left the answer to ``core._known_rest``
    (the accelerator took it whole) or that took it whole.
    """
    runs = QuickRuns()
    real_bound = core.bound_query
    real_known = core.known_answer
    real_rest = core._known_rest
    real_take = core.take_answer
    real_execute = Cursor.execute
    left: list[bool] = []

    def known_rest(*args: Any) -> Any:
        left.append(True)
        return real_rest(*args)

    def take_answer(*args: Any) -> Any:
        result = real_take(*args)
        if result is not None:
            runs._taken.append(result)
        return result

    def track(gen: Any, known: bool = False) -> Any:
        runs._taken = []
        runs._running = True
        left.clear()
        try:
            results = yield from gen
        except Exception:
            runs._running = False
            runs.outcomes.append("fallback")
            raise
        runs._running = False
        taken = len(results) == 1 and (
            any(results[0] is r for r in runs._taken) or (known and not left)
        )
        runs.outcomes.append("taken" if taken else "fallback")
        return results

    def bound_query(*args: Any) -> Any:
        gen = real_bound(*args)
        known_fields = args[5]
        if known_fields is None or not core.CAN_TAKE_ANSWERS:
            return gen
        return track(gen)

    def execute(self: Cursor, *args: Any, **kwargs: Any) -> Any:
        try:
            return real_execute(self, *args, **kwargs)
        except KeyboardInterrupt:
            if runs._running:
                runs._running = False
                runs.outcomes.append("interrupted")
            raise

    monkeypatch.setattr(core, "take_answer", take_answer)
    def known_answer(*args: Any) -> Any:
        # Only ever run with the statement's columns known.
        return track(real_known(*args), known=True)

    monkeypatch.setattr(core, "bound_query", bound_query)
    monkeypatch.setattr(core, "known_answer", known_answer)
    monkeypatch.setattr(core, "_known_rest", known_rest)
    monkeypatch.setattr(Cursor, "execute", execute)
    return runs


@pytest.fixture(params=[1, None], ids=["prepared", "described"])
def qconn(conn: Any, request: pytest.FixtureRequest) -> Any:
    """An autocommit connection preparing every statement at its first run, or never.

    Never (the default) runs statements unnamed, with a Describe whose
    answer the quick path expects.
    """
    conn.autocommit = True
    conn.prepare_threshold = request.param
    return conn


@dataclass
class Seen:
    """What a cursor shows after a query."""

    rows: list[Any]
    description: list[tuple[str, int]] | None
    rowcount: int
    statusmessage: str | None
    query: Any


def seen(cur: Any) -> Seen:
    desc = cur.description
    return Seen(
        rows=cur.fetchall() if desc is not None else [],
        description=None if desc is None else [(c.name, c.type_code) for c in desc],
        rowcount=cur.rowcount,
        statusmessage=cur.statusmessage,
        query=cur.query,
    )


def normal_path(
    conn: Any, query: str, params: Any, row_factory: Any = None, prepare: bool | None = None
) -> Seen:
    """The query's outcome with the accelerator's whole-answer reading switched off."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(core, "CAN_TAKE_ANSWERS", False)
        mp.setattr(core, "_take_response", None)
        cur = conn.cursor(row_factory=row_factory)
        cur.execute(query, params, prepare=prepare)
        return seen(cur)


def warm_up(cur: Any, query: str, params: Any, runs: int = 3) -> None:
    for _ in range(runs):
        cur.execute(query, params)
        cur.fetchall()


# --- results --------------------------------------------------------------------------


def test_repeated_runs_are_taken_whole(qconn: Any, quick: QuickRuns) -> None:
    cur = qconn.cursor()
    got = []
    for i in range(20):
        cur.execute("SELECT %s::int + 1", (i,))
        got.append(cur.fetchone())
        assert cur.fetchone() is None
        assert (cur.rowcount, cur.statusmessage) == (1, "SELECT 1")
        assert [(c.name, c.type_code) for c in cur.description] == [("?column?", 23)]
    assert got == [(i + 1,) for i in range(20)]
    assert quick.taken >= 17 and quick.fallbacks == 0


MIXED = (
    "SELECT g, 'row ' || g || %s, CASE WHEN mod(g, 3) = 0 THEN NULL ELSE g * %s::float8 END,"
    " (g * 1.25)::numeric(10, 2), g > %s, DATE '2020-01-01' + g, NULL::text AS nothing"
    " FROM generate_series(1, %s) g"
)


def test_rows_of_mixed_types_with_nulls(qconn: Any, quick: QuickRuns) -> None:
    cur = qconn.cursor()
    warm_up(cur, MIXED, ("!", 0.5, 2, 6))
    quick.reset()
    for n in (0, 1, 7, 40):
        params = ("?", 1.5, n // 2, n)
        cur.execute(MIXED, params)
        mine = seen(cur)
        assert mine == normal_path(qconn, MIXED, params)
        assert mine.rowcount == n and mine.statusmessage == f"SELECT {n}"
    assert quick.outcomes == ["taken"] * 4
    cur.execute(MIXED, ("?", 1.5, 1, 3))
    assert cur.fetchall() == [
        (1, "row 1?", 1.5, Decimal("1.25"), False, date(2020, 1, 2), None),
        (2, "row 2?", 3.0, Decimal("2.50"), True, date(2020, 1, 3), None),
        (3, "row 3?", None, Decimal("3.75"), True, date(2020, 1, 4), None),
    ]


def test_a_result_bigger_than_a_read_goes_through_the_fallback(
    qconn: Any, quick: QuickRuns
) -> None:
    query = "SELECT g, repeat('x', 1000) FROM generate_series(1, %s) g"
    cur = qconn.cursor()
    warm_up(cur, query, (2,))
    quick.reset()
    cur.execute(query, (2000,))
    rows = cur.fetchall()
    assert quick.outcomes == ["fallback"]
    assert rows == [(g, "x" * 1000) for g in range(1, 2001)]
    assert (cur.rowcount, cur.statusmessage) == (2000, "SELECT 2000")
    cur.execute(query, (3,))
    assert cur.fetchall() == [(g, "x" * 1000) for g in range(1, 4)]
    assert quick.outcomes == ["fallback", "taken"]


def test_row_factory(qconn: Any, quick: QuickRuns) -> None:
    query = "SELECT %s::int AS a, %s::text AS b, NULL::int AS c"
    cur = qconn.cursor(row_factory=dict_row)
    warm_up(cur, query, (0, ""))
    quick.reset()
    cur.execute(query, (7, "seven"))
    assert cur.fetchall() == [{"a": 7, "b": "seven", "c": None}]
    assert quick.outcomes == ["taken"]
    assert seen(cur.execute(query, (8, "x"))) == normal_path(qconn, query, (8, "x"), dict_row)


def test_statement_without_rows(
    qconn: Any, quick: QuickRuns, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A statement known to return no rows (NoData) is run quick too."""
    taken: list[bool] = []
    real = core.take_answer

    def spy(*args: Any) -> Any:
        out = real(*args)
        taken.append(out is not None)
        return out

    monkeypatch.setattr(core, "take_answer", spy)
    qconn.execute("CREATE TEMP TABLE quick_rows (id int, v text)")
    qconn.execute("INSERT INTO quick_rows SELECT g, 'v' FROM generate_series(1, 10) g")
    query = "UPDATE quick_rows SET v = %s WHERE id <= %s"
    cur = qconn.cursor()
    taken.clear()
    for n in range(1, 8):
        cur.execute(query, (f"v{n}", n))
        assert (cur.rowcount, cur.statusmessage, cur.description) == (n, f"UPDATE {n}", None)
    assert quick.fallbacks == 0 and quick.taken >= 4
    assert taken.count(True) == 7
    assert qconn.execute("SELECT count(*) FROM quick_rows WHERE v = 'v7'").fetchone() == (7,)


def test_async_query_after_preparing(qconn: Any, quick: QuickRuns) -> None:
    query = "SELECT g * %s FROM generate_series(1, 3) g"
    cur = qconn.cursor()
    warm_up(cur, query, (1,))
    quick.reset()
    cur.execute(query, (10,), async_=True)
    assert cur.fetchall() == [(10,), (20,), (30,)]
    assert (cur.rowcount, cur.statusmessage) == (3, "SELECT 3")
    assert quick.outcomes == ["taken"]
    cur.execute(query, (5,))
    assert cur.fetchall() == [(5,), (10,), (15,)]
    assert quick.outcomes == ["taken"] * 2


def test_asyncio_cursor(dsn: str, quick: QuickRuns) -> None:
    """``AsyncCursor.execute`` runs the same operation: its answers are taken whole too."""
    query = "SELECT g * %s FROM generate_series(1, 3) g"

    async def scenario(autocommit: bool) -> list[Any]:
        aconn = await pgwire.AsyncConnection.connect(
            dsn, autocommit=autocommit, prepare_threshold=1
        )
        async with aconn:
            cur = aconn.cursor()
            got = []
            for i in range(5):
                await cur.execute(query, (i,))
                got.append(await cur.fetchall())
                # Each statement is the first of its transaction, sent after a BEGIN.
                await aconn.commit()
            return got

    expected = [[(i,), (2 * i,), (3 * i,)] for i in range(5)]
    for autocommit in (True, False):
        quick.reset()
        assert asyncio.run(scenario(autocommit)) == expected
        assert quick.outcomes == ["taken"] * 3


# --- transactions -------------------------------------------------------------------------


def test_transactions_begin_on_the_quick_path(conn: Any, quick: QuickRuns) -> None:
    """BEGIN goes in the round trip of the transaction's first statement, taken whole too."""
    conn.prepare_threshold = 1
    assert not conn.autocommit
    query = "SELECT %s::int * 2, txid_current_if_assigned() IS NULL"
    cur = conn.cursor()
    for i in range(3):
        cur.execute(query, (i,))
        assert cur.fetchall() == [(i * 2, True)]
        assert conn.info.transaction_status == pgwire.TransactionStatus.INTRANS
    conn.commit()
    assert conn.info.transaction_status == pgwire.TransactionStatus.IDLE
    quick.reset()

    cur.execute(query, (10,))
    assert quick.outcomes == ["taken"]
    assert cur.fetchall() == [(20, True)]
    assert conn.info.transaction_status == pgwire.TransactionStatus.INTRANS
    for i in range(11, 14):
        cur.execute(query, (i,))
        assert cur.fetchall() == [(i * 2, True)]
        assert conn.info.transaction_status == pgwire.TransactionStatus.INTRANS
    assert quick.outcomes == ["taken"] * 4

    conn.execute("CREATE TEMP TABLE quick_tx (v int)")
    for i in range(3):
        cur.execute("INSERT INTO quick_tx VALUES (%s)", (i,))
        assert cur.rowcount == 1
    conn.commit()
    assert conn.info.transaction_status == pgwire.TransactionStatus.IDLE
    assert conn.execute("SELECT sum(v) FROM quick_tx").fetchone() == (3,)
    conn.rollback()


def test_error_inside_a_transaction(conn: Any, quick: QuickRuns) -> None:
    conn.prepare_threshold = 1
    query = "SELECT 10 / %s::int"
    cur = conn.cursor()
    warm_up(cur, query, (2,))
    quick.reset()
    with pytest.raises(errors.DivisionByZero):
        cur.execute(query, (0,))
    assert quick.outcomes == ["fallback"]
    assert conn.info.transaction_status == pgwire.TransactionStatus.INERROR
    with pytest.raises(errors.InFailedSqlTransaction):
        cur.execute(query, (5,))
    conn.rollback()
    assert conn.info.transaction_status == pgwire.TransactionStatus.IDLE
    cur.execute(query, (5,))
    assert cur.fetchall() == [(2,)]


# --- what the fast path declines ------------------------------------------------------------


def test_server_error(qconn: Any, quick: QuickRuns) -> None:
    query = "SELECT 1 / %s::int"
    cur = qconn.cursor()
    warm_up(cur, query, (1,))
    quick.reset()
    with pytest.raises(errors.DataError) as info:
        cur.execute(query, (0,))
    assert info.value.sqlstate == "22012"
    assert quick.outcomes == ["fallback"]
    assert qconn.info.transaction_status == pgwire.TransactionStatus.IDLE
    for _ in range(4):
        cur.execute(query, (1,))
        assert cur.fetchall() == [(1,)]
    assert quick.taken >= 2


def test_notice_during_the_statement(qconn: Any, quick: QuickRuns) -> None:
    qconn.execute(
        "CREATE FUNCTION pg_temp.quick_notice(n int) RETURNS int LANGUAGE plpgsql AS $$"
        " BEGIN IF n < 0 THEN RAISE NOTICE 'negative: %', n; END IF; RETURN n * 2; END $$"
    )
    notices: list[str | None] = []
    qconn.add_notice_handler(lambda diag: notices.append(diag.message_primary))
    query = "SELECT pg_temp.quick_notice(%s)"
    cur = qconn.cursor()
    warm_up(cur, query, (1,))
    quick.reset()
    cur.execute(query, (-4,))
    assert cur.fetchall() == [(-8,)]
    assert (cur.rowcount, cur.statusmessage) == (1, "SELECT 1")
    assert notices == ["negative: -4"]
    assert quick.outcomes == ["fallback"]
    cur.execute(query, (3,))
    assert cur.fetchall() == [(6,)]
    assert quick.outcomes == ["fallback", "taken"]
    assert notices == ["negative: -4"]


class PickyText(Loader):
    """Text in upper case; refuses the value "boom"."""

    def load(self, data: bytes) -> str:
        if bytes(data) == b"boom":
            raise ValueError("refused boom")
        return bytes(data).decode().upper()


def test_loader_error(qconn: Any, quick: QuickRuns) -> None:
    qconn.adapters.register_loader("text", PickyText)
    query = "SELECT g, %s::text FROM generate_series(1, 3) g"
    cur = qconn.cursor()
    warm_up(cur, query, ("a",))
    quick.reset()
    cur.execute(query, ("ok",))
    assert cur.fetchall() == [(1, "OK"), (2, "OK"), (3, "OK")]
    cur.execute(query, ("boom",))
    with pytest.raises(ValueError, match="refused boom"):
        cur.fetchone()
    assert quick.outcomes == ["taken", "fallback"]
    assert qconn.info.transaction_status == pgwire.TransactionStatus.IDLE
    cur.execute(query, ("fine",))
    assert cur.fetchall() == [(1, "FINE"), (2, "FINE"), (3, "FINE")]
    assert quick.outcomes[-1] == "taken"


def test_row_factory_error(qconn: Any, quick: QuickRuns) -> None:
    def picky(cursor: Any) -> Callable[[list[Any]], Any]:
        def make_row(values: list[Any]) -> Any:
            if values[0] == 13:
                raise LookupError("unlucky row")
            return tuple(values)

        return make_row

    query = "SELECT %s::int"
    cur = qconn.cursor(row_factory=picky)
    warm_up(cur, query, (1,))
    quick.reset()
    cur.execute(query, (13,))
    with pytest.raises(LookupError, match="unlucky row"):
        cur.fetchall()
    cur.execute(query, (14,))
    assert cur.fetchall() == [(14,)]
    # Rows of a custom factory are made at fetch time: the answers are taken
    # whole either way, and the maker's error comes from the fetch.
    assert quick.outcomes == ["taken", "taken"]


def test_notifications(qconn: Any, quick: QuickRuns) -> None:
    qconn.execute("LISTEN quick_channel")
    query = "SELECT pg_notify('quick_channel', %s), %s::int"
    cur = qconn.cursor()
    warm_up(cur, query, ("warm", 0))
    assert {n.payload for n in qconn.notifies(timeout=0)} == {"warm"}
    quick.reset()
    for i in range(3):
        cur.execute(query, (f"p{i}", i))
        assert cur.fetchall() == [("", i)]
    assert quick.outcomes == ["fallback"] * 3
    assert [n.payload for n in qconn.notifies(timeout=0)] == ["p0", "p1", "p2"]


def test_parameter_status(qconn: Any, quick: QuickRuns) -> None:
    query = "SELECT set_config('application_name', %s, false)"
    cur = qconn.cursor()
    warm_up(cur, query, ("warm",))
    cur.execute(query, ("warm",))
    quick.reset()
    for i in range(3):
        cur.execute(query, (f"app{i}",))
        assert cur.fetchall() == [(f"app{i}",)]
        assert qconn.info.parameter_status("application_name") == f"app{i}"
    assert quick.outcomes[:1] == ["fallback"]


def test_session_changes_between_runs(qconn: Any, quick: QuickRuns) -> None:
    query = "SELECT %s::date + 1, %s::timestamptz"
    stamp = datetime(2020, 6, 1, 12, tzinfo=timezone.utc)
    cur = qconn.cursor()
    warm_up(cur, query, (date(2020, 1, 1), stamp))
    qconn.execute("SET DateStyle TO 'SQL, DMY'")
    qconn.execute("SET TimeZone TO 'Asia/Kolkata'")
    quick.reset()
    for day in range(1, 5):
        cur.execute(query, (date(2020, 1, day), stamp))
        ((got_date, got_stamp),) = cur.fetchall()
        assert got_date == date(2020, 1, day + 1)
        assert got_stamp == stamp and got_stamp.utcoffset() == timedelta(hours=5, minutes=30)
    assert quick.taken >= 2


def test_row_factory_failing_once_per_result(qconn: Any, quick: QuickRuns) -> None:
    """As on the normal path: the statement runs, then the error, and the cursor has no result."""
    calls = 0

    def factory(cursor: Any) -> Callable[[list[Any]], Any]:
        nonlocal calls
        calls += 1
        if calls == 5:
            raise RuntimeError("factory failed")
        return tuple

    qconn.execute("CREATE TEMP TABLE quick_factory (n int)")
    qconn.execute("INSERT INTO quick_factory VALUES (0)")
    query = "UPDATE quick_factory SET n = n + %s RETURNING n"
    cur = qconn.cursor(row_factory=factory)
    warm_up(cur, query, (1,), runs=4)
    assert quick.outcomes[-1:] == ["taken"]
    with pytest.raises(RuntimeError, match="factory failed"):
        cur.execute(query, (1,))
    assert qconn.execute("SELECT n FROM quick_factory").fetchone() == (5,)
    with pytest.raises(pgwire.ProgrammingError):
        cur.fetchall()


def test_rows_of_no_columns(qconn: Any, quick: QuickRuns) -> None:
    query = "SELECT FROM generate_series(1, %s)"
    cur = qconn.cursor()
    cur.execute(query, (3,), prepare=False)
    assert cur.fetchall() == [(), (), ()]
    for _ in range(4):
        cur.execute(query, (3,))
        assert (cur.rowcount, cur.statusmessage) == (3, "SELECT 3")
        assert cur.fetchall() == [(), (), ()]


def _run_or_error(conn: Any, query: str, params: Any) -> Any:
    try:
        return conn.cursor().execute(query, params).fetchall()
    except errors.DatabaseError as exc:
        return type(exc)


def test_deallocate_all_between_runs(qconn: Any, quick: QuickRuns, dsn: str) -> None:
    query = "SELECT %s::int * 3"

    def scenario(conn: Any) -> list[Any]:
        out = [_run_or_error(conn, query, (i,)) for i in range(3)]
        # Deallocated by name, which pgwire does not follow (DEALLOCATE ALL it does).
        for (name,) in conn.execute("SELECT name FROM pg_prepared_statements", prepare=False):
            conn.execute(f'DEALLOCATE "{name}"', prepare=False)
        out += [_run_or_error(conn, query, (i,)) for i in range(3, 7)]
        return out

    got = scenario(qconn)
    # Unnamed statements don't mind the statements being deallocated.
    assert quick.fallbacks == (1 if qconn.prepare_threshold else 0) and quick.taken >= 2
    with (
        pytest.MonkeyPatch.context() as mp,
        pgwire.connect(
            dsn, autocommit=True, prepare_threshold=qconn.prepare_threshold
        ) as other,
    ):
        mp.setattr(core, "CAN_TAKE_ANSWERS", False)
        mp.setattr(core, "_take_response", None)
        assert scenario(other) == got
    assert got[3] in ([(9,)], errors.InvalidSqlStatementName)
    assert got[4:] == [[(12,)], [(15,)], [(18,)]]


@pytest.mark.parametrize(
    "alter",
    [
        "ALTER TABLE quick_alter ADD COLUMN extra text DEFAULT 'new'",
        "ALTER TABLE quick_alter ALTER COLUMN v TYPE text USING v::text || '!'",
        "ALTER TABLE quick_alter DROP COLUMN v",
    ],
)
def test_altered_table_under_a_prepared_statement(qconn: Any, quick: QuickRuns, alter: str) -> None:
    qconn.execute("CREATE TEMP TABLE quick_alter (id int, v int)")
    qconn.execute("INSERT INTO quick_alter SELECT g, g * 10 FROM generate_series(1, 3) g")
    query = "SELECT * FROM quick_alter WHERE id = %s"
    cur = qconn.cursor()
    for i in (1, 2, 3, 1):
        cur.execute(query, (i,))
        assert cur.fetchall() == [(i, i * 10)]
    assert quick.taken >= 1
    qconn.execute(alter)
    after = normal_path(qconn, query, (2,), prepare=False)

    try:
        cur.execute(query, (2,))
    except errors.FeatureNotSupported:
        assert quick.outcomes[-1] == "fallback"
    else:
        assert seen(cur) == after
    for _ in range(3):
        cur.execute(query, (2,))
        assert seen(cur) == after
    assert after.rows != [(2, 20)]
    assert quick.outcomes[-1] == "taken"


# --- interruption -----------------------------------------------------------------------------


def test_interrupted_while_waiting(
    qconn: Any, quick: QuickRuns, interrupt_after: Callable[[float], None]
) -> None:
    query = "SELECT pg_sleep(%s), %s::int"
    cur = qconn.cursor()
    for i in range(3):
        cur.execute(query, (0.0, i))
        assert cur.fetchall() == [("", i)]
    quick.reset()
    interrupt_after(0.3)
    t0 = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        cur.execute(query, (5.0, 99))
    assert time.monotonic() - t0 < 3
    assert quick.outcomes == ["interrupted"]
    assert not qconn.closed
    assert qconn.info.transaction_status == pgwire.TransactionStatus.IDLE
    assert qconn.execute("SELECT 'in sync'").fetchone() == ("in sync",)
    for i in range(3):
        cur.execute(query, (0.0, i))
        assert cur.fetchall() == [("", i)]
    assert quick.outcomes[1:] == ["taken"] * 3
