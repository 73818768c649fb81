"""``execute(..., async_=True)`` of a planned statement: sent at once, read as it comes."""

from __future__ import annotations

import select
from typing import Any

import pytest

from pgwire import errors
from pgwire.protocol import core


@pytest.fixture
def starts(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Records each query started on the planned path with its columns known."""
    seen: list[Any] = []
    real = core.bound_query
    real_known = core.known_answer

    def spy(*args: Any) -> Any:
        known_fields = args[5]
        if known_fields is not None and core.CAN_TAKE_ANSWERS:
            seen.append(known_fields)
        return real(*args)

    def spy_known(*args: Any) -> Any:
        seen.append(args[3])  # known_answer is only run with the columns known
        return real_known(*args)

    monkeypatch.setattr(core, "bound_query", spy)
    monkeypatch.setattr(core, "known_answer", spy_known)
    return seen


@pytest.fixture(params=[1, None], ids=["prepared", "described"])
def qconn(conn: Any, request: pytest.FixtureRequest) -> Any:
    conn.autocommit = True
    conn.prepare_threshold = request.param
    return conn


def _wait(cur: Any) -> None:
    while cur.isbusy():
        select.select([cur], [], [], 5)


def test_planned_async_queries(qconn: Any, starts: list[Any]) -> None:
    cur = qconn.cursor()
    query = "SELECT g * %s, 'x' || g FROM generate_series(1, 3) g"
    for k in range(5):
        cur.execute(query, (k,), async_=True)
        if k % 2:
            _wait(cur)
        assert cur.fetchall() == [(g * k, f"x{g}") for g in (1, 2, 3)]
        assert (cur.rowcount, cur.statusmessage) == (3, "SELECT 3")
    # Once the statement is known (with the accelerator only).
    assert (len(starts) >= 2) == core.CAN_TAKE_ANSWERS
    # A blocking query after them runs normally.
    cur.execute(query, (7,))
    assert cur.fetchone() == (7, "x1")


def test_planned_async_server_error(qconn: Any, starts: list[Any]) -> None:
    cur = qconn.cursor()
    query = "SELECT 10 / %s"
    for _ in range(3):
        cur.execute(query, (2,), async_=True)
        assert cur.fetchone() == (5,)
    assert bool(starts) == core.CAN_TAKE_ANSWERS
    cur.execute(query, (0,), async_=True)
    with pytest.raises(errors.DivisionByZero):
        _wait(cur)
        cur.fetchone()
    cur.execute(query, (5,), async_=True)
    assert cur.fetchone() == (2,)


def test_planned_async_row_factory_error(qconn: Any, starts: list[Any]) -> None:
    def picky(cursor: Any) -> Any:
        def make_row(values: list[Any]) -> Any:
            if values[0] == 13:
                raise LookupError("unlucky row")
            return tuple(values)

        return make_row

    cur = qconn.cursor(row_factory=picky)
    for _ in range(3):
        cur.execute("SELECT %s::int", (1,), async_=True)
        assert cur.fetchall() == [(1,)]
    assert bool(starts) == core.CAN_TAKE_ANSWERS
    cur.execute("SELECT %s::int", (13,), async_=True)
    with pytest.raises(LookupError, match="unlucky row"):
        cur.fetchall()
    cur.execute("SELECT %s::int", (14,), async_=True)
    assert cur.fetchall() == [(14,)]
    assert qconn.execute("SELECT 1").fetchone() == (1,)


def test_planned_async_cancel(qconn: Any, starts: list[Any]) -> None:
    cur = qconn.cursor()
    for _ in range(3):
        cur.execute("SELECT pg_sleep(%s)", (0,), async_=True)
        cur.fetchall()
    assert bool(starts) == core.CAN_TAKE_ANSWERS
    cur.execute("SELECT pg_sleep(%s)", (30,), async_=True)
    cur.cancel()
    assert not cur.isbusy()
    with pytest.raises(errors.ProgrammingError):
        cur.fetchone()  # the cancelled query's result is gone
    cur.execute("SELECT %s::int", (3,), async_=True)
    assert cur.fetchone() == (3,)
