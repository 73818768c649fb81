"""Prepared statements run again through a learned parameter plan (the accelerator's Bind).

Each test checks what the server got (by the rows it sends back) and that
the plan was used or left alone as it should be: values that do not fit the
plan, a changed adaptation, bad parameters and a server that forgot the
statement must all behave as without it.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from pgwire import errors
from pgwire.accel.selection import speedups
from pgwire.engine.plans import StatementPlan
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
