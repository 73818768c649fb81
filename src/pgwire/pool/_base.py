"""What the blocking and the asyncio pools share: settings, policy and flows.

Every pool operation that does I/O (borrowing, returning, connecting,
checking, closing) is written once here, as a generator - a *flow* - that
yields an *effect* each time it needs something done: :class:`Call` a
function (which may return an awaitable) or :class:`Wait` for an event. The
blocking pool runs flows with :func:`run`, in the caller's thread or in a
worker thread; the asyncio pool runs them with :func:`arun`, in a task (the
machinery is :mod:`pgwire._flow`, which the connections use too). The
decisions themselves live in :class:`~pgwire.pool._state.PoolState`.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import sys
import threading
import warnings
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from time import monotonic
from types import GenericAlias
from typing import Any, ClassVar, TypeVar

from .._flow import Call, Flow, FlowGen, Outcome, arun, run
from ..connection_info import TransactionStatus
from ..errors import OperationalError, ProgrammingError
from ._state import Event, Job, JobKind, PoolState, Slot, check_sizes
from .errors import PoolClosed, PoolTimeout

__all__ = ["BasePool", "Call", "Flow", "FlowGen", "Outcome", "Wait", "arun", "run"]

logger = logging.getLogger("pgwire.pool")

T = TypeVar("T")

_names = itertools.count(1)


class Wait:
    """Effect: wait until ``event`` is set, at most ``timeout`` seconds; gives ``is_set()``."""

    __slots__ = ("event", "timeout")

    def __init__(self, event: Any, timeout: float | None) -> None:
        self.event = event
        self.timeout = timeout

    def run_sync(self) -> bool:
        """Wait on a ``threading.Event``."""
        return bool(self.event.wait(self.timeout))

    async def run_async(self) -> bool:
        """Wait on an ``asyncio.Event``."""
        if self.timeout is None:
            await self.event.wait()
            return True
        # Not wait_for(): before Python 3.12 it may swallow a cancellation
        # that arrives as the event is set, and a cancelled client must see it.
        waiter = asyncio.ensure_future(self.event.wait())
        try:
            await asyncio.wait((waiter,), timeout=self.timeout)
        finally:
            waiter.cancel()
        return bool(self.event.is_set())


def ping_flow(conn: Any, set_autocommit: Callable[[Any, bool], Any]) -> FlowGen[None]:
    """Run an empty query on ``conn`` outside any transaction; raise if it fails."""
    if conn.closed:
        raise OperationalError("the connection is closed")
    # Outside autocommit an empty query would open a transaction.
    restore = not conn.autocommit
    if restore:
        yield Call(set_autocommit, conn, True)
    try:
        yield Call(conn.execute, "")
    finally:
        if restore and not conn.closed:
            yield Call(set_autocommit, conn, False)


@dataclass(eq=False)
class Lifeline:
    """What a pool's workers and finalizer share with it, without a reference to the pool.

    The workers hold a weak reference to the pool and this, so that a pool
    dropped without ``close()`` can be collected; its finalizer then closes
    the idle connections and wakes the workers up, to see it is gone.
    """

    state: PoolState
    lock: threading.Lock
    #: The events the workers sleep on (replaced, in place, at each opening).
    wakeups: list[Any] = field(default_factory=list)
    #: The event loop the asyncio pool was opened in.
    loop: Any = None


def _worker_flow(
    pool_ref: weakref.ReferenceType[BasePool], wakeup: Event, generation: int
) -> FlowGen[None]:
    """A background worker: opens and closes connections for the pool, until it is closed.

    It holds the pool only while working, never while it sleeps: a pool
    nobody holds any more is collected (see :class:`Lifeline`) and its
    workers stop.
    """
    while True:
        pool = pool_ref()
        if pool is None:
            return
        job = pool._claim_job(wakeup, generation)
        if job.kind is JobKind.STOP:
            return
        if job.kind is JobKind.SLEEP:
            del pool
            yield Wait(wakeup, job.timeout)
        elif job.kind is JobKind.CLOSE:
            yield from pool._close_quietly(job.conn)
        else:
            yield from pool._connect_flow()


def _set_pool_of(conn: Any, pool: BasePool | None) -> None:
    """Mark ``conn`` as lent by ``pool`` (None: not any more), as psycopg_pool does.

    ``conn._pool`` tells which pool a connection must go back to. It is set
    only while the connection is lent: an idle connection pointing back at
    its pool would keep a pool nobody holds from being collected.
    """
    try:
        conn._pool = pool
    except AttributeError:
        pass  # a connection class with __slots__: nothing to mark


def _null_max_size(min_size: int, max_size: int | None) -> int:
    """The ``max_size`` of a null pool; psycopg_pool's None or 0 mean no limit."""
    if min_size != 0:
        raise ValueError(f"a null pool keeps no connection: min_size must be 0, got {min_size}")
    return max_size or sys.maxsize


class BasePool:
    """Settings, state and flows common to the blocking and the asyncio pools.

    The constructor's parameters are psycopg_pool's: see
    :class:`~pgwire.pool.ConnectionPool`.
    """

    #: The class whose ``connect()`` opens connections when none is given.
    _default_connection_class: Any = None
    #: Whether the pool keeps no idle connection (the null pools).
    _null = False
    #: How the concrete pool runs a flow from a public method (``run``/``arun``).
    _run_flow: Callable[[FlowGen[Any]], Any]

    # ConnectionPool[Connection[DictRow]] in annotations, as psycopg_pool's generic pools.
    __class_getitem__: ClassVar[Any] = classmethod(GenericAlias)

    def __init__(
        self,
        conninfo: str | Callable[[], str | Awaitable[str]] = "",
        *,
        connection_class: Any = None,
        kwargs: dict[str, Any]
        | Callable[[], dict[str, Any] | Awaitable[dict[str, Any]]]
        | None = None,
        min_size: int | None = None,
        max_size: int | None = None,
        open: bool | None = None,
        configure: Callable[[Any], Any] | None = None,
        check: Callable[[Any], Any] | None = None,
        reset: Callable[[Any], Any] | None = None,
        name: str | None = None,
        timeout: float = 30.0,
        max_waiting: int = 0,
        max_lifetime: float = 3600.0,
        max_idle: float = 600.0,
        reconnect_timeout: float = 300.0,
        reconnect_failed: Callable[[Any], Any] | None = None,
        num_workers: int = 3,
        close_returns: bool = False,
    ) -> None:
        if self._null:
            min_size = min_size or 0
            max_size = _null_max_size(min_size, max_size)
        elif min_size is None:
            min_size = 4
        if num_workers < 1:
            raise ValueError(f"num_workers must be >= 1, got {num_workers}")
        if max_waiting < 0:
            raise ValueError(f"max_waiting must be >= 0, got {max_waiting}")
        for label, value in (
            ("timeout", timeout),
            ("max_lifetime", max_lifetime),
            ("max_idle", max_idle),
            ("reconnect_timeout", reconnect_timeout),
        ):
            if value < 0:
                raise ValueError(f"{label} must be >= 0, got {value}")
        #: The DSN connections are opened with, or a function (which may be a
        #: coroutine function in the asyncio pool) called for each new connection.
        self.conninfo = conninfo
        #: Keyword arguments of ``connection_class.connect()``, or a function
        #: returning them, called (and awaited if need be) for each new connection.
        self.kwargs = kwargs if callable(kwargs) else dict(kwargs or {})
        #: Whether ``conn.close()`` on a lent connection returns it to the pool.
        self.close_returns = close_returns
        #: The class whose ``connect()`` opens connections.
        self.connection_class = connection_class or self._default_connection_class
        #: Default seconds ``getconn()`` and ``connection()`` wait for a connection.
        self.timeout = timeout
        #: How many background workers open and close connections.
        self.num_workers = num_workers
        self._configure = configure
        self._reset = reset
        self._check = check
        self._reconnect_failed = reconnect_failed
        min_size, max_size = check_sizes(min_size, max_size)
        self._state = PoolState(
            name or f"pool-{next(_names)}",
            min_size,
            max_size,
            max_waiting=max_waiting,
            max_lifetime=max_lifetime,
            max_idle=max_idle,
            reconnect_timeout=reconnect_timeout,
            keep_idle=not self._null,
        )
        self._lock = threading.Lock()
        self._life = Lifeline(self._state, self._lock)
        self._wakeups = self._life.wakeups
        self._workers: list[Any] = []
        # Workers of an earlier opening that outlive close() see it change and stop.
        self._generation = 0
        # Opened by the constructor because open= was not given: psycopg_pool
        # warns at the first request that this default will change, unless the
        # pool is used as a context manager.
        self._open_implicit = False
        finalizer = weakref.finalize(self, type(self)._collected, self._life)
        # At exit the pool is left as it is, as psycopg_pool leaves it.
        finalizer.atexit = False
        self._open_in_constructor(open)

    def __repr__(self) -> str:
        state = self._state
        status = "closed" if state.closed else f"size={state.size} available={len(state.idle)}"
        module = type(self).__module__
        if module.startswith(__package__ + "."):
            module = __package__  # the public place of the pool classes
        return f"<{module}.{type(self).__qualname__} {self.name!r} {status}>"

    # --- settings and figures -------------------------------------------------------

    @property
    def name(self) -> str:
        """The pool's name, used in logs, errors and worker names."""
        return self._state.name

    @property
    def min_size(self) -> int:
        """How many connections the pool keeps open at least."""
        return self._state.min_size

    @property
    def max_size(self) -> int:
        """How many connections the pool opens at most (a null pool: 0 for no limit)."""
        size = self._state.max_size
        return 0 if self._null and size == sys.maxsize else size

    @property
    def max_waiting(self) -> int:
        """How many clients may queue for a connection (0: no limit)."""
        return self._state.max_waiting

    @property
    def max_lifetime(self) -> float:
        """Seconds after which a connection is replaced (less up to 10%)."""
        return self._state.max_lifetime

    @property
    def max_idle(self) -> float:
        """Seconds a connection above ``min_size`` may stay unused before it is closed."""
        return self._state.max_idle

    @property
    def reconnect_timeout(self) -> float:
        """Seconds of failed connection attempts before ``reconnect_failed`` is called."""
        return self._state.reconnect_timeout

    @property
    def closed(self) -> bool:
        """True unless the pool is open."""
        return self._state.closed

    def _resize(self, min_size: int, max_size: int | None = None) -> None:
        """Change the sizes; connections are opened or closed in the background."""
        if self._null:
            max_size = _null_max_size(min_size, max_size)
        with self._lock:
            self._state.resize(min_size, max_size)
        self._kick()

    def get_stats(self) -> dict[str, int]:
        """Current figures and counters since the last ``pop_stats()``.

        ``pool_min``, ``pool_max``, ``pool_size``, ``pool_available``,
        ``requests_waiting``, ``requests_num``, ``requests_queued``,
        ``requests_wait_ms``, ``requests_errors``, ``usage_ms``,
        ``returns_bad``, ``connections_num``, ``connections_ms``,
        ``connections_errors``, ``connections_lost``.
        """
        with self._lock:
            return self._state.stats()

    def pop_stats(self) -> dict[str, int]:
        """Like :meth:`get_stats`, then reset the counters."""
        with self._lock:
            return self._state.stats(reset=True)

    # --- what the concrete pools provide ---------------------------------------------

    def _open_in_constructor(self, open: bool | None) -> None:
        raise NotImplementedError

    @classmethod
    def _collected(cls, life: Lifeline) -> None:
        """The pool was garbage-collected while open: close what it held."""
        raise NotImplementedError

    def _warning_for_implicit_open(self) -> tuple[str, type[Warning]]:
        raise NotImplementedError

    def _new_event(self) -> Event:
        raise NotImplementedError

    def _spawn_worker(self, flow: FlowGen[None], index: int) -> Any:
        raise NotImplementedError

    def _stop_workers(self, workers: list[Any], timeout: float) -> Any:
        raise NotImplementedError

    def check_connection(self, conn: Any) -> Any:
        """Raise if ``conn`` doesn't work (overridden by a static method)."""
        raise NotImplementedError

    # --- opening and closing ---------------------------------------------------------

    def _kick(self) -> None:
        """Wake the workers up: there may be work for them."""
        for event in self._wakeups:
            event.set()

    def _start(self) -> None:
        """Open the pool and start its workers (nothing if open already)."""
        with self._lock:
            if not self._state.open(monotonic()):
                return
            self._generation += 1
            self._wakeups[:] = [self._new_event() for _ in range(self.num_workers)]
            pool = weakref.ref(self)
            self._workers = [
                self._spawn_worker(_worker_flow(pool, event, self._generation), index)
                for index, event in enumerate(self._wakeups)
            ]

    def _check_implicit_open(self, stacklevel: int) -> None:
        """Warn, once, at the first request to a pool opened because open= was not given."""
        if not self._open_implicit:
            return
        self._open_implicit = False
        message, category = self._warning_for_implicit_open()
        warnings.warn(message, category, stacklevel=stacklevel + 1)

    def _open_flow(self, wait: bool, timeout: float) -> FlowGen[None]:
        self._start()
        if wait:
            yield from self._wait_flow(timeout)

    def _wait_flow(self, timeout: float) -> FlowGen[None]:
        deadline = monotonic() + timeout
        event = self._new_event()
        with self._lock:
            self._state.check_open()
            self._state.ready_events.append(event)
            if self._null:
                # Nothing is kept: one connection is made, to see that it can be.
                self._state.probe()
        self._kick()
        try:
            while True:
                with self._lock:
                    event.clear()
                    ready, closed = self._state.ready, self._state.closed
                remaining = deadline - monotonic()
                if ready or closed or remaining <= 0:
                    break
                yield Wait(event, remaining)
        finally:
            with self._lock:
                self._state.ready_events.remove(event)
        if ready:
            return
        if closed:
            raise PoolClosed(f"the pool {self.name!r} is closed")
        # As psycopg's pool does: a pool that can't get ready is closed.
        yield from self._close_flow(5.0)
        raise PoolTimeout(f"pool {self.name!r} initialization incomplete after {timeout} sec")

    def _close_flow(self, timeout: float) -> FlowGen[None]:
        with self._lock:
            conns = self._state.close()
            if conns is None:
                return
            workers, self._workers = self._workers, []
        self._kick()
        for conn in conns:
            yield from self._close_quietly(conn)
        yield Call(self._stop_workers, workers, timeout)

    def _drain_flow(self) -> FlowGen[None]:
        with self._lock:
            self._state.check_open()
            conns = self._state.drain()
        self._kick()  # to open the replacements
        for conn in conns:
            yield from self._close_quietly(conn)

    def _close_quietly(self, conn: Any) -> FlowGen[None]:
        _set_pool_of(conn, None)
        try:
            # The class's close(): close_returns shadows the instance's.
            yield Call(type(conn).close, conn)
        except Exception as exc:
            logger.debug("pool %r: error closing a connection: %s", self.name, exc)

    # --- background work -----------------------------------------------------------

    def _claim_job(self, wakeup: Event, generation: int) -> Job:
        """A worker's next job; ``STOP`` for the workers of an earlier opening."""
        with self._lock:
            if generation != self._generation:
                return Job(JobKind.STOP)
            wakeup.clear()
            return self._state.claim_job(monotonic())

    def _connect_flow(self) -> FlowGen[None]:
        started = monotonic()
        conn = None
        gave_up = False
        try:
            conninfo = self.conninfo
            if callable(conninfo):
                conninfo = yield Call(conninfo)
            kwargs = self.kwargs
            if callable(kwargs):
                kwargs = yield Call(kwargs)
            conn = yield Call(self.connection_class.connect, conninfo, **kwargs)
            if self.close_returns:
                conn.close = self._close_returning(conn)
            if self._configure is not None:
                yield Call(self._configure, conn)
                status = conn.info.transaction_status
                if status != TransactionStatus.IDLE:
                    raise ProgrammingError(
                        f"connection left {status.name} by the configure function: discarded"
                    )
        except BaseException as exc:
            with self._lock:
                if isinstance(exc, Exception):
                    gave_up = self._state.connect_failed(started, monotonic())
                else:
                    self._state.connect_aborted()
            if conn is not None:
                yield from self._close_quietly(conn)
            if not isinstance(exc, Exception):
                raise
            logger.warning("pool %r: connection attempt failed: %s", self.name, exc)
            if gave_up:
                yield from self._give_up_flow()
            return
        with self._lock:
            kept = self._state.connected(conn, started, monotonic())
        if not kept:
            yield from self._close_quietly(conn)

    def _close_returning(self, conn: Any) -> Callable[[], Any]:
        """The ``close()`` of a connection of a ``close_returns`` pool."""
        # Weak: a connection kept by the pool must not keep the pool alive.
        pool_ref = weakref.ref(self)

        def close() -> Any:
            pool = pool_ref()
            if pool is None:
                return type(conn).close(conn)
            return pool._run_flow(pool._close_or_return_flow(conn))

        return close

    def _close_or_return_flow(self, conn: Any) -> FlowGen[None]:
        with self._lock:
            lent = self._state.is_lent(conn)
            # An idle connection, or one being returned or checked, is the pool's.
            owned = not self._state.closed and self._state.owns(conn)
        if lent:
            yield from self._putconn_flow(conn)
        elif not owned:
            yield Call(type(conn).close, conn)

    def _give_up_flow(self) -> FlowGen[None]:
        logger.warning(
            "pool %r: reconnection attempt failed after %s sec; retrying when a client asks",
            self.name,
            self.reconnect_timeout,
        )
        if self._reconnect_failed is None:
            return
        try:
            yield Call(self._reconnect_failed, self)
        except Exception:
            logger.exception("pool %r: error in the reconnect_failed callback", self.name)

    # --- clients ---------------------------------------------------------------------

    def _getconn_flow(self, timeout: float | None) -> FlowGen[Any]:
        if timeout is None:
            timeout = self.timeout
        started = monotonic()
        deadline = started + timeout
        while True:
            slot = yield from self._acquire_flow(deadline, timeout)
            if self._check is None:
                _set_pool_of(slot.conn, self)
                return slot.conn
            try:
                ok = yield from self._probe_flow(self._check, slot.conn, "check")
            except BaseException:
                # The client was cancelled or interrupted during the check:
                # the connection was not found bad. It goes back as a
                # returned one would (rolled back, or discarded if broken).
                yield from self._putconn_flow(slot.conn)
                raise
            if ok:
                _set_pool_of(slot.conn, self)
                return slot.conn
            with self._lock:
                now = monotonic()
                self._state.discard(slot, now, lost=True)
                if slot.created >= started:
                    self._state.note_failure(slot.created, now)
            self._kick()
            yield from self._close_quietly(slot.conn)

    def _acquire_flow(self, deadline: float, timeout: float) -> FlowGen[Slot]:
        with self._lock:
            got = self._state.request(monotonic(), self._new_event)
            wake = self._state.take_wakeup()
        if isinstance(got, Slot):
            return got
        if wake:
            self._kick()
        try:
            while not got.done:
                remaining = deadline - monotonic()
                if remaining <= 0:
                    break
                yield Wait(got.event, remaining)
        except BaseException:
            with self._lock:
                self._state.abandon(got, monotonic())
                wake = self._state.take_wakeup()
            if wake:
                self._kick()
            raise
        with self._lock:
            slot = self._state.end_wait(got, monotonic())
        if slot is None:
            raise PoolTimeout(f"couldn't get a connection after {timeout:.2f} sec")
        return slot

    def _probe_flow(self, callback: Callable[[Any], Any], conn: Any, what: str) -> FlowGen[bool]:
        """Run a check or reset callback: True if it passed and left no transaction open."""
        try:
            yield Call(callback, conn)
        except Exception as exc:
            # A failed check is the check at work (a connection the server
            # dropped): told at INFO, as psycopg_pool does; a failed reset at WARNING.
            level = logging.INFO if what == "check" else logging.WARNING
            logger.log(level, "pool %r: %s of a connection failed: %s", self.name, what, exc)
            return False
        status = conn.info.transaction_status
        if status != TransactionStatus.IDLE:
            logger.warning("pool %r: %s left a connection %s", self.name, what, status.name)
            return False
        return True

    def _putconn_flow(self, conn: Any) -> FlowGen[None]:
        owner = getattr(conn, "_pool", None)
        if owner is not None and owner is not self:
            raise ValueError(
                f"can't return {conn!r} to the pool {self.name!r}:"
                f" it comes from the pool {getattr(owner, 'name', owner)!r}"
            )
        with self._lock:
            slot = self._state.returned(conn, monotonic())
            closing = not self._state.wants_back()
        _set_pool_of(conn, None)
        # Counted bad even when the pool would not keep it (a null pool).
        broken = conn.info.transaction_status == TransactionStatus.UNKNOWN
        reusable = False
        try:
            reusable = not closing and (yield from self._restore_flow(conn))
        finally:
            with self._lock:
                kept = reusable and self._state.reclaim(slot, monotonic())
                if not reusable:
                    bad = not closing or (broken and not self._state.closed)
                    self._state.discard(slot, monotonic(), bad=bad)
                wake = self._state.take_wakeup() or not kept
            if wake:
                self._kick()
            if not kept:
                yield from self._close_quietly(conn)

    def _restore_flow(self, conn: Any) -> FlowGen[bool]:
        """Bring a returned connection back to idle; False if it can't be reused."""
        status = conn.info.transaction_status
        if status in (TransactionStatus.UNKNOWN, TransactionStatus.ACTIVE):
            why = "closed or broken" if status is TransactionStatus.UNKNOWN else "running a query"
            logger.warning("pool %r: discarding a connection returned %s: %r", self.name, why, conn)
            return False
        if status != TransactionStatus.IDLE:
            logger.warning("pool %r: rolling back a connection returned %s", self.name, status.name)
            try:
                yield Call(conn.rollback)
            except Exception as exc:
                logger.warning(
                    "pool %r: rollback on return failed, discarding the connection: %s: %s",
                    self.name,
                    type(exc).__name__,
                    exc,
                )
                return False
        if self._reset is None:
            return True
        return (yield from self._probe_flow(self._reset, conn, "reset"))

    def _loan_of(self, conn: Any) -> int | None:
        """Which loan of ``conn`` a ``connection()`` block holds (see :meth:`_release_flow`)."""
        with self._lock:
            return self._state.loan_of(conn)

    def _release_flow(self, conn: Any, commit: bool, loan: int | None) -> FlowGen[None]:
        """End the transaction of a ``connection()`` block, then return the connection."""
        if self.close_returns and self._loan_of(conn) != loan:
            return  # the block gave it back already, by closing it
        try:
            if conn.info.transaction_status in (
                TransactionStatus.INTRANS,
                TransactionStatus.INERROR,
            ):
                if commit:
                    yield Call(conn.commit)
                else:
                    try:
                        yield Call(conn.rollback)
                    except Exception as exc:
                        # The block's own exception matters; the broken
                        # connection is discarded on return.
                        logger.debug("pool %r: rollback failed: %s", self.name, exc)
        finally:
            yield from self._putconn_flow(conn)

    def _check_flow(self) -> FlowGen[None]:
        with self._lock:
            slots = self._state.take_idle()
        checker = self._check or self.check_connection
        try:
            while slots:
                ok = yield from self._probe_flow(checker, slots[-1].conn, "check")
                slot = slots.pop()
                with self._lock:
                    kept = self._state.end_check(slot, ok, monotonic())
                    wake = self._state.take_wakeup() or not kept
                if wake:
                    self._kick()
                if not kept:
                    yield from self._close_quietly(slot.conn)
        finally:
            if slots:
                # Interrupted: the connection being checked is suspect, the
                # others go back untouched.
                with self._lock:
                    now = monotonic()
                    suspect = slots.pop()
                    self._state.discard(suspect, now)
                    doomed = [suspect.conn]
                    doomed += [s.conn for s in slots if not self._state.end_check(s, True, now)]
                self._kick()
                for conn in doomed:
                    yield from self._close_quietly(conn)
