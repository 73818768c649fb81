"""The blocking connection pool, and the pool policy shared with the asyncio one."""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pgwire
from pgwire import TransactionStatus
from pgwire.pool import (
    AttemptWithBackoff,
    ConnectionPool,
    PoolClosed,
    PoolTimeout,
    TooManyRequests,
)
from pgwire.pool._state import JobKind, PoolState, Slot, SlotState, Waiter, check_sizes


def until(predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Poll ``predicate`` until it is true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            assert value, f"condition not met within {timeout} s"
            return value
        time.sleep(0.02)


# The fixtures are named apart from their functions so that test_pool_async
# can import them.


@pytest.fixture(name="app")
def app_fixture() -> str:
    """A unique application_name, to count a pool's backends."""
    return "pgwire-pool-" + secrets.token_hex(4)


@pytest.fixture(name="admin")
def admin_fixture(dsn: str) -> Iterator[pgwire.Connection]:
    """A connection to watch the server with."""
    # Autocommit: pg_stat_activity is a snapshot frozen for a transaction.
    conn = pgwire.connect(dsn, autocommit=True)
    yield conn
    conn.close()


def backends(admin: pgwire.Connection, app: str) -> list[int]:
    """The pids of the server processes serving ``app``."""
    cur = admin.execute(
        "SELECT pid FROM pg_stat_activity WHERE application_name = %s ORDER BY pid", (app,)
    )
    return [row[0] for row in cur.fetchall()]


def make_pool(dsn: str, app: str, **kwargs: Any) -> ConnectionPool:
    kwargs.setdefault("timeout", 5.0)
    return ConnectionPool(dsn, kwargs={"application_name": app}, **kwargs)


def pid_of(conn: pgwire.Connection) -> int:
    return int(conn.info.backend_pid)


# --------------------------------------------------------------------------------------
# The policy alone, without a server


class FakeEvent:
    def __init__(self) -> None:
        self.flag = False

    def set(self) -> None:
        self.flag = True

    def clear(self) -> None:
        self.flag = False

    def is_set(self) -> bool:
        return self.flag


def new_state(min_size: int = 2, max_size: int | None = 4, **kwargs: Any) -> PoolState:
    min_size, max_size = check_sizes(min_size, max_size)
    state = PoolState("test", min_size, max_size, rng=lambda: 0.5, **kwargs)
    state.open(0.0)
    return state


def fill(state: PoolState, now: float = 0.0) -> list[object]:
    """Run the connect jobs the state asks for; return the new connections."""
    conns = []
    while state.claim_job(now).kind is JobKind.CONNECT:
        conn = object()
        assert state.connected(conn, now, now)
        conns.append(conn)
    return conns


def test_state_fills_min_size_then_sleeps():
    state = new_state(min_size=2, max_size=4)
    assert not state.ready
    assert len(fill(state)) == 2
    assert state.ready and state.size == 2
    job = state.claim_job(0.0)
    assert job.kind is JobKind.SLEEP
    # Nothing to do until the first lifetime expiry (less up to 10% jitter).
    assert job.timeout == pytest.approx(3600 * 0.95)


def test_state_grows_for_waiters_up_to_max_size():
    state = new_state(min_size=1, max_size=3)
    fill(state)
    assert isinstance(state.request(0.0, FakeEvent), Slot)
    waiters = [state.request(0.0, FakeEvent) for _ in range(5)]
    assert all(isinstance(w, Waiter) for w in waiters)
    assert len(fill(state)) == 2  # 1 lent + 2 new = max_size
    served = [w for w in waiters if isinstance(w, Waiter) and w.done]
    assert len(served) == 2 and all(w.event.is_set() for w in served)
    assert state.size == 3 and len(state.waiters) == 3
    assert state.claim_job(0.0).kind is JobKind.SLEEP


def test_state_return_serves_the_first_waiter():
    state = new_state(min_size=1, max_size=1)
    fill(state)
    slot = state.request(0.0, FakeEvent)
    assert isinstance(slot, Slot)
    first, second = state.request(1.0, FakeEvent), state.request(1.0, FakeEvent)
    assert isinstance(first, Waiter) and isinstance(second, Waiter)
    assert state.returned(slot.conn, 2.0) is slot
    assert state.reclaim(slot, 2.0)
    assert first.slot is slot and first.event.is_set() and not second.done
    assert state.end_wait(first, 2.5) is slot
    assert state.end_wait(second, 3.0) is None  # timed out
    stats = state.stats()
    assert stats["requests_num"] == 3 and stats["requests_queued"] == 2
    assert stats["requests_errors"] == 1 and stats["usage_ms"] == 2000
    assert stats["requests_wait_ms"] == 1500 + 2000


def test_state_max_waiting():
    state = new_state(min_size=0, max_size=1, max_waiting=2)
    state.request(0.0, FakeEvent)
    state.request(0.0, FakeEvent)
    with pytest.raises(TooManyRequests):
        state.request(0.0, FakeEvent)
    assert state.stats()["requests_errors"] == 1


def test_state_lifetime_and_idle_expiry():
    state = new_state(min_size=1, max_size=3, max_lifetime=100.0, max_idle=10.0)
    fill(state)
    slots = [state.request(0.0, FakeEvent) for _ in range(3)]
    fill(state)
    slots = [s.slot if isinstance(s, Waiter) else s for s in slots]
    for slot in slots:
        assert slot is not None
        state.returned(slot.conn, 1.0)
        state.reclaim(slot, 1.0)
    assert state.size == 3
    job = state.claim_job(5.0)
    assert job.kind is JobKind.SLEEP and job.timeout == pytest.approx(6.0)
    # Idle for max_idle: the pool shrinks back to min_size, oldest first.
    closed = [state.claim_job(11.0) for _ in range(2)]
    assert [job.kind for job in closed] == [JobKind.CLOSE, JobKind.CLOSE]
    assert state.size == 1 and state.claim_job(11.0).kind is JobKind.SLEEP
    # Past its lifetime (95 s with this rng) a connection is replaced.
    assert state.claim_job(96.0).kind is JobKind.CLOSE
    assert state.claim_job(96.0).kind is JobKind.CONNECT


def test_state_expired_connection_is_not_taken_back():
    state = new_state(min_size=1, max_size=1, max_lifetime=10.0)
    fill(state)
    slot = state.request(0.0, FakeEvent)
    assert isinstance(slot, Slot)
    state.returned(slot.conn, 20.0)
    assert not state.reclaim(slot, 20.0)
    assert state.size == 0 and state.claim_job(20.0).kind is JobKind.CONNECT


def test_state_backoff_and_giving_up():
    state = new_state(min_size=1, max_size=1, reconnect_timeout=10.0)
    assert state.claim_job(0.0).kind is JobKind.CONNECT
    assert not state.connect_failed(0.0, 0.0)
    job = state.claim_job(0.0)
    assert job.kind is JobKind.SLEEP and job.timeout == pytest.approx(1.0)
    assert state.claim_job(1.0).kind is JobKind.CONNECT
    assert not state.connect_failed(1.0, 1.0)
    assert state.claim_job(1.0).timeout == pytest.approx(2.0)  # doubled
    assert state.claim_job(3.0).kind is JobKind.CONNECT
    assert not state.connect_failed(3.0, 3.0)
    assert state.claim_job(3.0).timeout == pytest.approx(4.0)
    assert state.claim_job(7.0).kind is JobKind.CONNECT
    assert not state.connect_failed(7.0, 7.0)
    # The last attempt happens when reconnect_timeout is up, not later.
    assert state.claim_job(7.0).timeout == pytest.approx(3.0)
    assert state.claim_job(10.0).kind is JobKind.CONNECT
    assert state.connect_failed(10.0, 10.0)  # gave up
    assert state.claim_job(100.0) == state.claim_job(100.0)
    assert state.claim_job(100.0).timeout is None  # nothing until a client asks
    assert isinstance(state.request(100.0, FakeEvent), Waiter)
    assert state.claim_job(100.0).kind is JobKind.CONNECT
    stats = state.stats()
    assert stats["connections_num"] == 5 and stats["connections_errors"] == 5


def test_state_close_returns_idle_connections():
    state = new_state(min_size=2, max_size=2)
    conns = fill(state)
    slot = state.request(0.0, FakeEvent)
    assert isinstance(slot, Slot)
    assert state.close() == [c for c in conns if c is not slot.conn]
    assert state.close() is None
    with pytest.raises(PoolClosed, match="closed"):
        state.request(1.0, FakeEvent)
    # A connection lent before closing is closed when it comes back.
    state.returned(slot.conn, 1.0)
    assert not state.reclaim(slot, 1.0)
    assert state.claim_job(1.0).kind is JobKind.STOP


def test_state_close_refuses_waiters():
    state = new_state(min_size=0, max_size=1)
    waiter = state.request(0.0, FakeEvent)
    assert isinstance(waiter, Waiter)
    assert state.close() == []
    assert isinstance(waiter.error, PoolClosed) and waiter.event.is_set()
    with pytest.raises(PoolClosed):
        state.end_wait(waiter, 1.0)
    assert state.stats()["requests_errors"] == 1


def test_state_refuses_foreign_and_double_returns():
    state = new_state()
    fill(state)
    with pytest.raises(ValueError, match="not lent"):
        state.returned(object(), 0.0)
    slot = state.request(0.0, FakeEvent)
    assert isinstance(slot, Slot)
    state.returned(slot.conn, 0.0)
    with pytest.raises(ValueError):
        state.returned(slot.conn, 0.0)


def test_state_lost_connections_and_failing_checks():
    state = new_state(min_size=1, max_size=1)
    fill(state)
    slot = state.request(0.0, FakeEvent)
    assert isinstance(slot, Slot)
    state.discard(slot, 0.0, lost=True)
    assert state.stats()["connections_lost"] == 1
    assert state.claim_job(0.0).kind is JobKind.CONNECT  # replaced at once
    state.connect_aborted()
    state.note_failure(0.0, 0.0)  # a new connection that failed its check
    job = state.claim_job(0.0)
    assert job.kind is JobKind.SLEEP and job.timeout == pytest.approx(1.0)


def test_state_sizes_are_validated():
    with pytest.raises(ValueError):
        new_state(min_size=-1)
    with pytest.raises(ValueError):
        new_state(min_size=3, max_size=2)
    with pytest.raises(ValueError):
        new_state(min_size=0, max_size=None)  # at most min_size: none
    state = new_state(min_size=0, max_size=1)
    state.resize(3)
    assert (state.min_size, state.max_size) == (3, 3)


OPS = st.lists(
    st.sampled_from(["request", "return", "return_bad", "job", "fail", "tick", "wait", "check"]),
    max_size=60,
)


@settings(max_examples=150, deadline=None)
@given(OPS, st.integers(0, 3), st.integers(1, 4), st.integers(0, 2))
def test_state_invariants(ops, min_size, extra, max_waiting):
    """Whatever happens, sizes hold, connections are in one place, nothing spins."""
    state = new_state(
        min_size=min_size,
        max_size=min_size + extra,
        max_waiting=max_waiting,
        max_lifetime=50.0,
        max_idle=5.0,
        reconnect_timeout=20.0,
    )
    now = 0.0
    lent: list[Slot] = []
    waiting: list[Waiter] = []
    dropped: set[int] = set()
    made: list[object] = []  # alive, so that no id() is reused
    for op in ops:
        if op == "request":
            try:
                got = state.request(now, FakeEvent)
            except TooManyRequests:
                assert max_waiting and len(state.waiters) >= max_waiting
            else:
                (lent if isinstance(got, Slot) else waiting).append(got)  # type: ignore[arg-type]
        elif op in ("return", "return_bad") and lent:
            slot = lent.pop(0)
            assert state.returned(slot.conn, now) is slot
            if op == "return_bad":
                state.discard(slot, now, bad=True)
                dropped.add(id(slot.conn))
            elif not state.reclaim(slot, now):
                dropped.add(id(slot.conn))
        elif op in ("job", "fail"):
            job = state.claim_job(now)
            if job.kind is JobKind.CONNECT:
                if op == "fail":
                    state.connect_failed(now, now)
                else:
                    made.append(object())
                    state.connected(made[-1], now, now)
            elif job.kind is JobKind.CLOSE:
                dropped.add(id(job.conn))
            else:
                assert job.kind is JobKind.SLEEP
                assert job.timeout is None or job.timeout > 0, "a worker would spin"
                now += 1.0 if job.timeout is None else job.timeout
        elif op == "tick":
            now += 0.7
        elif op == "wait" and waiting:
            waiter = waiting.pop(0)
            slot = state.end_wait(waiter, now)
            if slot is not None:
                lent.append(slot)
        elif op == "check":
            for slot in state.take_idle():
                if not state.end_check(slot, id(slot) % 2 == 0, now):
                    dropped.add(id(slot.conn))
        assert state.size == len(state.idle) + len(state.busy) + state.connecting
        assert state.size <= state.max_size
        idle_ids = {id(slot.conn) for slot in state.idle}
        assert len(idle_ids) == len(state.idle)
        assert not idle_ids & set(state.busy)
        assert not (idle_ids | set(state.busy)) & dropped
        assert all(slot.state is SlotState.IDLE for slot in state.idle)
        assert all(not w.done for w in state.waiters)
        for slot in lent:
            assert state.busy[id(slot.conn)] is slot and slot.state is SlotState.LENT
        if state.waiters:
            assert not state.idle


# --------------------------------------------------------------------------------------
# Against the server


def test_borrow_and_return(dsn, app, admin):
    with make_pool(dsn, app, min_size=2) as pool:
        pool.wait()
        assert len(backends(admin, app)) == 2
        with pool.connection() as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
            pid = pid_of(conn)
        conn = pool.getconn()
        assert pid_of(conn) == pid  # the most recently used first
        assert conn.info.transaction_status == TransactionStatus.IDLE
        pool.putconn(conn)
        stats = pool.get_stats()
        assert stats["pool_size"] == 2 and stats["pool_available"] == 2
        assert stats["requests_num"] == 2 and stats["connections_num"] == 2
        assert "ConnectionPool" in repr(pool) and pool.name in repr(pool)
    assert pool.closed
    until(lambda: backends(admin, app) == [])


def test_sizes_are_honoured(dsn, app, admin):
    with make_pool(dsn, app, min_size=1, max_size=3) as pool:
        pool.wait()
        assert len(backends(admin, app)) == 1
        held = [pool.getconn() for _ in range(3)]
        assert len({pid_of(c) for c in held}) == 3
        assert len(backends(admin, app)) == 3
        with pytest.raises(PoolTimeout):
            pool.getconn(timeout=0.2)
        assert len(backends(admin, app)) == 3
        for conn in held:
            pool.putconn(conn)
        assert pool.get_stats()["pool_size"] == 3


def test_timeout(dsn, app):
    with make_pool(dsn, app, min_size=1, timeout=0.3) as pool:
        conn = pool.getconn()
        started = time.monotonic()
        with pytest.raises(PoolTimeout) as info:
            pool.getconn()
        assert 0.25 < time.monotonic() - started < 2.0
        assert isinstance(info.value, pgwire.OperationalError)
        started = time.monotonic()
        with pytest.raises(PoolTimeout), pool.connection(timeout=0.1):
            pass
        assert time.monotonic() - started < 1.0
        pool.putconn(conn)
        assert pool.get_stats()["requests_errors"] == 2
        assert pool.get_stats()["requests_waiting"] == 0


def test_max_waiting(dsn, app):
    with make_pool(dsn, app, min_size=1, max_waiting=1) as pool:
        conn = pool.getconn()
        waiter = threading.Thread(target=lambda: pool.putconn(pool.getconn(timeout=5)))
        waiter.start()
        until(lambda: pool.get_stats()["requests_waiting"] == 1)
        with pytest.raises(TooManyRequests):
            pool.getconn()
        pool.putconn(conn)
        waiter.join()
        assert pool.get_stats()["requests_waiting"] == 0


def test_many_threads(dsn, app, admin):
    seen: set[int] = set()
    errors: list[BaseException] = []
    lock = threading.Lock()
    active = [0, 0]  # now, most

    def work() -> None:
        try:
            for i in range(5):
                with pool.connection() as conn:
                    with lock:
                        active[0] += 1
                        active[1] = max(active)
                    assert conn.execute("SELECT %s::int", (i,)).fetchone() == (i,)
                    seen.add(pid_of(conn))
                    with lock:
                        active[0] -= 1
        except BaseException as exc:
            errors.append(exc)

    with make_pool(dsn, app, min_size=2, max_size=4, timeout=20) as pool:
        threads = [threading.Thread(target=work) for _ in range(12)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert 2 <= len(seen) <= 4 and active[1] <= 4
        assert len(backends(admin, app)) <= 4
        stats = pool.get_stats()
        assert stats["requests_num"] == 60 and stats["requests_waiting"] == 0
        assert stats["pool_size"] <= 4


def test_connection_block_commits_or_rolls_back(dsn, app, admin):
    table = "pool_tx_" + secrets.token_hex(4)
    with make_pool(dsn, app, min_size=1) as pool:
        with pool.connection() as conn:
            conn.execute(f"CREATE TABLE {table} (a int)")
        with pool.connection() as conn:
            conn.execute(f"INSERT INTO {table} VALUES (1)")
        with pytest.raises(ZeroDivisionError), pool.connection() as conn:
            conn.execute(f"INSERT INTO {table} VALUES (2)")
            1 / 0  # noqa: B018
        with pytest.raises(pgwire.errors.DivisionByZero), pool.connection() as conn:
            conn.execute(f"INSERT INTO {table} VALUES (3)")
            conn.execute("SELECT 1/0")
        assert pool.get_stats()["returns_bad"] == 0
    rows = admin.execute(f"SELECT a FROM {table}").fetchall()
    admin.execute(f"DROP TABLE {table}")
    assert rows == [(1,)]


def test_open_transaction_rolled_back_on_return(dsn, app, admin, caplog):
    table = "pool_rb_" + secrets.token_hex(4)
    admin.execute(f"CREATE TABLE {table} (a int)")
    try:
        with make_pool(dsn, app, min_size=1) as pool:
            conn = pool.getconn()
            conn.execute(f"INSERT INTO {table} VALUES (1)")
            assert conn.info.transaction_status == TransactionStatus.INTRANS
            with caplog.at_level(logging.WARNING, logger="pgwire.pool"):
                pool.putconn(conn)
            assert "rolling back" in caplog.text
            assert conn.info.transaction_status == TransactionStatus.IDLE
            again = pool.getconn()
            assert again is conn and not again.closed
            pool.putconn(again)
        assert admin.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,)
    finally:
        admin.execute(f"DROP TABLE {table}")


def test_broken_connection_is_replaced(dsn, app, admin):
    with make_pool(dsn, app, min_size=2) as pool:
        pool.wait()
        conn = pool.getconn()
        victim = pid_of(conn)
        admin.execute("SELECT pg_terminate_backend(%s)", (victim,))
        with pytest.raises(pgwire.OperationalError):
            conn.execute("SELECT 1")
        pool.putconn(conn)
        assert pool.get_stats()["returns_bad"] == 1
        until(lambda: len(backends(admin, app)) == 2 and victim not in backends(admin, app))
        pool.wait()
        pids = set()
        for _ in range(2):
            with pool.connection() as c:
                pids.add(pid_of(c))
        assert victim not in pids


def test_connection_with_a_query_running_is_discarded(dsn, app, admin):
    with make_pool(dsn, app, min_size=1) as pool:
        conn = pool.getconn()
        pid = pid_of(conn)
        conn.cursor().execute("SELECT pg_sleep(0.05)", async_=True)
        assert conn.info.transaction_status == TransactionStatus.ACTIVE
        pool.putconn(conn)
        assert conn.closed
        assert pool.get_stats()["returns_bad"] == 1
        until(lambda: backends(admin, app) not in ([], [pid]))


def test_closed_connection_is_discarded(dsn, app):
    with make_pool(dsn, app, min_size=1) as pool:
        conn = pool.getconn()
        conn.close()
        pool.putconn(conn)
        with pool.connection() as other:
            assert other is not conn and not other.closed


def test_putconn_refuses_foreign_connections(dsn, app, conn):
    with make_pool(dsn, app, min_size=1) as pool:
        with pytest.raises(ValueError):
            pool.putconn(conn)
        mine = pool.getconn()
        pool.putconn(mine)
        with pytest.raises(ValueError):
            pool.putconn(mine)


def test_max_lifetime(dsn, app, admin):
    with make_pool(dsn, app, min_size=2, max_lifetime=0.4) as pool:
        pool.wait()
        first = set(backends(admin, app))
        until(lambda: len(backends(admin, app)) == 2 and not first & set(backends(admin, app)))
        # A connection lent past its lifetime is replaced when it comes back.
        conn = pool.getconn()
        time.sleep(0.5)
        pool.putconn(conn)
        assert conn.closed
        assert pool.get_stats()["returns_bad"] == 0
        pool.wait()


def test_max_idle(dsn, app, admin):
    with make_pool(dsn, app, min_size=1, max_size=3, max_idle=0.3) as pool:
        held = [pool.getconn() for _ in range(3)]
        for conn in held:
            pool.putconn(conn)
        assert len(backends(admin, app)) == 3
        until(lambda: len(backends(admin, app)) == 1)
        assert pool.get_stats()["pool_size"] == 1
        time.sleep(0.4)
        assert pool.get_stats()["pool_size"] == 1  # never below min_size


def test_close(dsn, app, admin):
    pool = make_pool(dsn, app, min_size=2, open=True)
    pool.wait()
    lent = pool.getconn()
    outcome: list[BaseException] = []
    other = pool.getconn()

    def wait_for_one() -> None:
        try:
            pool.getconn(timeout=5)
        except BaseException as exc:
            outcome.append(exc)

    waiter = threading.Thread(target=wait_for_one)
    waiter.start()
    until(lambda: pool.get_stats()["requests_waiting"] == 1)
    pool.putconn(other)  # served to the waiter... which then got it
    waiter.join()
    assert outcome == []
    waiter = threading.Thread(target=wait_for_one)
    waiter.start()
    until(lambda: pool.get_stats()["requests_waiting"] == 1)
    pool.close()
    waiter.join()
    assert len(outcome) == 1 and isinstance(outcome[0], PoolClosed)
    assert pool.closed and not lent.closed
    with pytest.raises(PoolClosed):
        pool.getconn()
    pool.putconn(lent)
    assert lent.closed
    assert not [t for t in threading.enumerate() if t.name.startswith(pool.name + "-worker")]
    pool.close()  # idempotent
    # The connection the waiter got is still out: it is closed on return too.
    until(lambda: len(backends(admin, app)) == 1)


def test_open_later_and_reopen(dsn, app):
    pool = make_pool(dsn, app, min_size=1, open=False)
    assert pool.closed
    with pytest.raises(PoolClosed, match="not open yet"):
        pool.getconn()
    pool.open(wait=True)
    assert not pool.closed
    pool.open()  # nothing to do
    with pool.connection() as conn:
        conn.execute("SELECT 1")
    pool.close()
    with pool:
        with pool.connection() as conn:
            assert conn.execute("SELECT 2").fetchone() == (2,)
    assert pool.closed


def test_resize(dsn, app, admin):
    with make_pool(dsn, app, min_size=1, max_size=2, max_idle=0.3) as pool:
        pool.wait()
        pool.resize(3, 4)
        assert (pool.min_size, pool.max_size) == (3, 4)
        until(lambda: len(backends(admin, app)) == 3)
        pool.resize(1)
        until(lambda: len(backends(admin, app)) == 1)
        with pytest.raises(ValueError):
            pool.resize(2, 1)


def test_callbacks(dsn, app):
    calls: dict[str, int] = {"configure": 0, "reset": 0, "check": 0}

    def configure(conn: pgwire.Connection) -> None:
        calls["configure"] += 1
        conn.execute("SET search_path TO pg_catalog")
        conn.commit()

    def reset(conn: pgwire.Connection) -> None:
        calls["reset"] += 1
        assert conn.info.transaction_status == TransactionStatus.IDLE
        conn.execute("RESET ALL")
        conn.commit()

    def check(conn: pgwire.Connection) -> None:
        calls["check"] += 1
        ConnectionPool.check_connection(conn)

    with make_pool(dsn, app, min_size=1, configure=configure, reset=reset, check=check) as pool:
        with pool.connection() as conn:
            # Set by configure, then undone by reset.
            assert conn.execute("SHOW search_path").fetchone() == ("pg_catalog",)
        with pool.connection() as conn:
            assert conn.execute("SHOW search_path").fetchone() != ("pg_catalog",)
        assert calls == {"configure": 1, "reset": 2, "check": 2}


def test_callback_leaving_a_transaction_discards(dsn, app):
    def reset(conn: pgwire.Connection) -> None:
        conn.execute("SELECT 1")  # and no commit

    with make_pool(dsn, app, min_size=1, reset=reset) as pool:
        conn = pool.getconn()
        pool.putconn(conn)
        assert conn.closed and pool.get_stats()["returns_bad"] == 1


def test_configure_failure_is_a_failed_attempt(dsn, app):
    def configure(conn: pgwire.Connection) -> None:
        conn.execute("SELECT 1")  # leaves a transaction open

    pool = make_pool(dsn, app, min_size=1, configure=configure, open=False)
    with pytest.raises(PoolTimeout):
        pool.open(wait=True, timeout=0.3)
    assert pool.closed  # a pool that can't get ready is closed
    stats = pool.get_stats()
    assert stats["connections_errors"] >= 1 and stats["pool_size"] == 0


def test_failing_check_gets_another_connection(dsn, app, admin):
    with make_pool(dsn, app, min_size=2, check=ConnectionPool.check_connection) as pool:
        pool.wait()
        victims = backends(admin, app)
        for pid in victims:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        until(lambda: backends(admin, app) == [])
        with pool.connection() as conn:
            assert pid_of(conn) not in victims
            assert conn.execute("SELECT 1").fetchone() == (1,)
        assert pool.get_stats()["connections_lost"] == 2


def test_check_connection(conn):
    ConnectionPool.check_connection(conn)
    assert not conn.autocommit
    assert conn.info.transaction_status == TransactionStatus.IDLE
    conn.close()
    with pytest.raises(pgwire.OperationalError):
        ConnectionPool.check_connection(conn)


def test_stats(dsn, app):
    with make_pool(dsn, app, min_size=1) as pool:
        pool.wait()
        with pool.connection():
            time.sleep(0.05)
        stats = pool.pop_stats()
        assert stats["requests_num"] == 1 and stats["usage_ms"] >= 50
        assert stats["connections_num"] == 1 and stats["connections_ms"] >= 0
        assert set(stats) >= {"pool_min", "pool_max", "pool_available", "requests_queued"}
        after = pool.get_stats()
        assert after["requests_num"] == 0 and after["usage_ms"] == 0
        assert after["pool_size"] == 1 and after["pool_min"] == 1


def test_invalid_arguments():
    with pytest.raises(ValueError):
        ConnectionPool(min_size=2, max_size=1, open=False)
    with pytest.raises(ValueError):
        ConnectionPool(num_workers=0, open=False)
    with pytest.raises(ValueError):
        ConnectionPool(timeout=-1, open=False)


def test_server_restart(make_cluster, app, monkeypatch):
    cluster = make_cluster()
    with make_pool(cluster.dsn, app, min_size=2) as pool:
        pool.wait()
        with cluster.connect(autocommit=True) as admin:
            before = set(backends(admin, app))
        cluster.restart()
        pool.check()
        assert pool.get_stats()["connections_lost"] == 2
        pool.wait()
        with pool.connection() as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
        with cluster.connect(autocommit=True) as admin:
            after = set(backends(admin, app))
        assert len(after) == 2 and not before & after

        # Down for a while: clients time out, the pool reconnects once it is back.
        monkeypatch.setattr(AttemptWithBackoff, "INITIAL_DELAY", 0.05)
        cluster.kill()
        pool.check()
        with pytest.raises(PoolTimeout):
            pool.getconn(timeout=0.3)
        assert pool.get_stats()["connections_errors"] >= 1
        cluster.start()
        with pool.connection(timeout=10) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
        pool.wait(timeout=10)


def test_reconnect_failed(make_cluster, app, monkeypatch):
    cluster = make_cluster()
    dsn = cluster.dsn
    cluster.kill()
    failed = threading.Event()
    pool = make_pool(
        dsn,
        app,
        min_size=1,
        open=False,
        reconnect_timeout=0.3,
        reconnect_failed=lambda p: failed.set(),
    )
    monkeypatch.setattr(AttemptWithBackoff, "INITIAL_DELAY", 0.05)
    with pool:
        assert failed.wait(5)
        assert pool.get_stats()["pool_size"] == 0
        cluster.start()
        # After giving up, a client asking for a connection brings attempts back.
        with pool.connection(timeout=10) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)


def test_pool_dropped_without_close_is_collected(dsn, app, admin):
    import gc
    import warnings
    import weakref

    for close_returns in (False, True):
        pool = make_pool(dsn, app, min_size=2, open=True, close_returns=close_returns)
        pool.wait()
        with pool.connection() as conn:
            conn.execute("SELECT 1")
        workers = list(pool._workers)
        ref = weakref.ref(pool)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            del pool, conn
            gc.collect()
        assert ref() is None
        # No connection was left open to warn about.
        assert not caught, [str(w.message) for w in caught]
        # Its workers stop and its connections are closed, not left to the server.
        for thread in workers:
            thread.join(10)
            assert not thread.is_alive()
        until(lambda: backends(admin, app) == [])


def test_rollback_failure_on_return_is_told_with_its_error(dsn, app, caplog):
    with make_pool(dsn, app, min_size=1) as pool:
        conn = pool.getconn()
        conn.execute("SELECT 1")  # a transaction is open

        def failing_rollback() -> None:
            raise pgwire.OperationalError("no rollback today")

        conn.rollback = failing_rollback  # type: ignore[method-assign]
        with caplog.at_level(logging.WARNING, logger="pgwire.pool"):
            pool.putconn(conn)
        assert "rollback on return failed" in caplog.text
        assert "OperationalError: no rollback today" in caplog.text
        assert conn.closed and pool.get_stats()["returns_bad"] == 1


def test_giving_up_reconnecting_is_logged(dsn, caplog, monkeypatch):
    def failing_conninfo() -> str:
        raise RuntimeError("no conninfo")

    pool = ConnectionPool(failing_conninfo, min_size=1, open=False, reconnect_timeout=0.2)
    monkeypatch.setattr(AttemptWithBackoff, "INITIAL_DELAY", 0.05)
    with caplog.at_level(logging.WARNING, logger="pgwire.pool"), pool:
        with pytest.raises(PoolTimeout):
            pool.wait(timeout=1.0)
    assert "reconnection attempt failed after 0.2 sec" in caplog.text


def test_attempt_with_backoff():
    attempt = AttemptWithBackoff(timeout=10.0, rng=lambda: 1.0)  # the most jitter
    assert not attempt.time_to_give_up(0.0)
    attempt.update_delay(0.0)
    assert attempt.delay == pytest.approx(1.1) and attempt.give_up_at == 10.0
    attempt.update_delay(1.1)
    assert attempt.delay == pytest.approx(2.2)  # jitter once, then doubled
    attempt.update_delay(8.0)
    assert attempt.delay == pytest.approx(2.0)  # the last attempt when the time is up
    assert not attempt.time_to_give_up(9.9) and attempt.time_to_give_up(10.0)


def test_backoff_delays_follow_the_class_attributes(monkeypatch):
    monkeypatch.setattr(AttemptWithBackoff, "INITIAL_DELAY", 0.5)
    monkeypatch.setattr(AttemptWithBackoff, "DELAY_BACKOFF", 3.0)
    state = new_state(min_size=1, max_size=1, reconnect_timeout=100.0)
    assert state.claim_job(0.0).kind is JobKind.CONNECT
    state.connect_failed(0.0, 0.0)
    assert state.claim_job(0.0).timeout == pytest.approx(0.5)
    assert state.claim_job(0.5).kind is JobKind.CONNECT
    state.connect_failed(0.5, 0.5)
    assert state.claim_job(0.5).timeout == pytest.approx(1.5)


def test_discarding_a_closed_connection_names_it(dsn, app, caplog):
    with make_pool(dsn, app, min_size=1) as pool:
        conn = pool.getconn()
        conn.close()
        with caplog.at_level(logging.WARNING, logger="pgwire.pool"):
            pool.putconn(conn)
        assert "returned closed or broken: <pgwire.Connection [BAD]" in caplog.text
