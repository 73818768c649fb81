"""The policy of a connection pool: sizes, lifetimes, waiting clients, stats.

:class:`PoolState` decides everything a pool decides, from the connections
it tracks and the time its caller passes in. It performs no I/O, reads no
clock, starts nothing and waits for nothing, so the blocking and the asyncio
pools share it as it is, and it can be driven step by step in tests. The
only side effect is setting the events that waiting clients sleep on.

It is not thread-safe by itself: the pools call it under their lock and
never hold that lock across I/O.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Protocol

from .errors import PoolClosed, TooManyRequests

__all__ = [
    "COUNTERS",
    "AttemptWithBackoff",
    "Job",
    "JobKind",
    "PoolState",
    "Slot",
    "SlotState",
    "Waiter",
    "check_sizes",
]

#: The cumulative counters of :meth:`PoolState.stats`, reset by ``pop_stats()``.
COUNTERS = (
    "requests_num",
    "requests_queued",
    "requests_wait_ms",
    "requests_errors",
    "usage_ms",
    "returns_bad",
    "connections_num",
    "connections_ms",
    "connections_errors",
    "connections_lost",
)


class Event(Protocol):
    """What the pool needs of ``threading.Event`` and ``asyncio.Event``."""

    def set(self) -> None:
        """Wake up whoever waits on the event."""

    def clear(self) -> None:
        """Make the next wait block again."""

    def is_set(self) -> bool:
        """Whether the event is set."""


class SlotState(Enum):
    """Where a pooled connection is."""

    IDLE = "idle"
    LENT = "lent"
    RETURNING = "returning"
    CHECKING = "checking"


@dataclass(eq=False)
class Slot:
    """One connection of the pool and what the policy knows about it."""

    conn: Any
    created: float
    expires: float
    #: When it last became idle, or was lent.
    since: float = 0.0
    state: SlotState = SlotState.IDLE
    #: How many times it was lent: tells one loan from the next.
    loans: int = 0


@dataclass(eq=False)
class Waiter:
    """A client queued for a connection; ``event`` is set once it is served or refused."""

    event: Event
    since: float
    slot: Slot | None = None
    error: Exception | None = None
    #: Counted in ``requests_queued`` and ``requests_wait_ms`` (a null pool's
    #: request served by a connection opened for it is not).
    queued: bool = True

    @property
    def done(self) -> bool:
        """Whether the request got a connection or an error."""
        return self.slot is not None or self.error is not None


class JobKind(Enum):
    """The kinds of background work."""

    CONNECT = "connect"
    CLOSE = "close"
    SLEEP = "sleep"
    STOP = "stop"


@dataclass(frozen=True)
class Job:
    """What a background worker should do next."""

    kind: JobKind
    #: The connection to close (``CLOSE``).
    conn: Any = None
    #: How long to sleep at most (``SLEEP``); None until woken up.
    timeout: float | None = None


def check_sizes(min_size: int, max_size: int | None) -> tuple[int, int]:
    """Validate pool sizes; ``max_size=None`` means as many as ``min_size`` (as psycopg_pool).

    So ``min_size=0`` needs a ``max_size``: a pool of at most no connection is refused.
    """
    if min_size < 0:
        raise ValueError(f"min_size must be >= 0, got {min_size}")
    if max_size is None:
        max_size = min_size
    if max_size < max(min_size, 1):
        raise ValueError(f"max_size must be >= min_size and >= 1, got {max_size}")
    return min_size, max_size


class AttemptWithBackoff:
    """The delays between the attempts of a streak of failures, as psycopg_pool's.

    The first retry waits :attr:`INITIAL_DELAY` seconds, give or take
    :attr:`DELAY_JITTER` of it (so that pools don't retry in step), each
    further one :attr:`DELAY_BACKOFF` times longer; the last one comes when
    ``timeout`` seconds have passed since the first failure, and then it is
    time to give up. The pools retry failed connection attempts so; the
    class attributes set the delays of the streaks that begin after they change.
    """

    #: Seconds before the first retry.
    INITIAL_DELAY = 1.0
    #: The fraction of the first delay added or taken at random.
    DELAY_JITTER = 0.1
    #: How many times longer each further delay is.
    DELAY_BACKOFF = 2.0

    def __init__(self, *, timeout: float, rng: Callable[[], float] = random.random) -> None:
        #: Seconds, from the first failure, after which to give up.
        self.timeout = timeout
        #: Seconds before the next attempt (0 before the first failure).
        self.delay = 0.0
        #: When to give up (0 before the first failure).
        self.give_up_at = 0.0
        self._rng = rng

    def update_delay(self, now: float) -> None:
        """An attempt failed at ``now``: compute :attr:`delay` before the next one."""
        if self.give_up_at == 0.0:
            self.give_up_at = now + self.timeout
            spread = self.DELAY_JITTER * (2 * self._rng() - 1)
            self.delay = self.INITIAL_DELAY * (1 + spread)
        else:
            self.delay *= self.DELAY_BACKOFF
        # The last attempt is made when the time is up, not later.
        self.delay = max(0.0, min(self.delay, self.give_up_at - now))

    def time_to_give_up(self, now: float) -> bool:
        """Whether the streak has lasted ``timeout`` seconds: no more attempts."""
        return self.give_up_at > 0.0 and now >= self.give_up_at


@dataclass
class _Backoff:
    """The streak of failed connection attempts."""

    attempt: AttemptWithBackoff | None = None
    retry_at: float = 0.0
    # After reconnect_timeout of failures, background attempts to reach
    # min_size stop until a client asks for a connection.
    gave_up: bool = False


@dataclass(eq=False, repr=False)
class PoolState:
    """The bookkeeping and the decisions of a pool; see the module docstring.

    The sizes given must have passed :func:`check_sizes`.

    ``size`` counts every connection the pool is responsible for: idle ones,
    the ones lent to clients (or being returned or checked), and the ones
    being opened.
    """

    name: str
    min_size: int
    max_size: int
    max_waiting: int = 0
    max_lifetime: float = 3600.0
    max_idle: float = 600.0
    reconnect_timeout: float = 300.0
    rng: Callable[[], float] = random.random
    #: False for a null pool: a connection nobody waits for is closed at once.
    keep_idle: bool = True

    idle: deque[Slot] = field(default_factory=deque, init=False)
    busy: dict[int, Slot] = field(default_factory=dict, init=False)
    waiters: deque[Waiter] = field(default_factory=deque, init=False)
    connecting: int = field(default=0, init=False)
    #: Connections dropped by the policy, for a worker to close.
    to_close: list[Any] = field(default_factory=list, init=False)
    #: Events of the clients of ``wait()``, set once the pool is ready or closed.
    ready_events: list[Event] = field(default_factory=list, init=False)
    #: A null pool's ``wait()`` asked for one connection to prove the server can
    #: be reached (the connection is closed once made).
    probing: bool = field(default=False, init=False)
    closed: bool = field(default=True, init=False)
    opened: bool = field(default=False, init=False)
    _counters: dict[str, float] = field(
        default_factory=lambda: dict.fromkeys(COUNTERS, 0.0), init=False
    )
    _backoff: _Backoff = field(default_factory=_Backoff, init=False)
    # When the sleeping workers wake up by themselves (None: not before
    # they are woken up), and whether they must be woken up earlier.
    _sleep_until: float | None = field(default=None, init=False)
    _wake_workers: bool = field(default=False, init=False)

    # --- facts -----------------------------------------------------------------

    @property
    def size(self) -> int:
        """Connections the pool is responsible for, including those being opened."""
        return len(self.idle) + len(self.busy) + self.connecting

    @property
    def ready(self) -> bool:
        """Whether at least ``min_size`` connections are open (and a probe asked for, made)."""
        return not self.probing and len(self.idle) + len(self.busy) >= self.min_size

    def probe(self) -> None:
        """A null pool's ``wait()``: open one connection, just to see that it can."""
        self.probing = True
        self._backoff = _Backoff(retry_at=self._backoff.retry_at)
        self._wake_workers = True

    def stats(self, *, reset: bool = False) -> dict[str, int]:
        """The current figures and the counters (times in milliseconds)."""
        out = {
            "pool_min": self.min_size,
            "pool_max": self.max_size,
            "pool_size": self.size,
            "pool_available": len(self.idle),
            "requests_waiting": len(self.waiters),
        }
        out.update((key, round(value)) for key, value in self._counters.items())
        if reset:
            self._counters = dict.fromkeys(COUNTERS, 0.0)
        return out

    def _count(self, key: str, amount: float = 1) -> None:
        self._counters[key] += amount

    def check_open(self) -> None:
        """Raise :class:`PoolClosed` unless the pool is open."""
        if self.closed:
            state = "already closed" if self.opened else "not open yet"
            raise PoolClosed(f"the pool {self.name!r} is {state}")

    # --- life cycle ------------------------------------------------------------

    def open(self, now: float) -> bool:
        """Open the pool; False if it was open already."""
        if not self.closed:
            return False
        self.closed = False
        self.opened = True
        self._backoff = _Backoff(retry_at=now)
        return True

    def close(self) -> list[Any] | None:
        """Close the pool: refuse waiting clients; return the connections to close.

        Returns None when it was closed already. Lent connections stay lent
        and are closed when they come back.
        """
        if self.closed:
            return None
        self.closed = True
        conns = [slot.conn for slot in self.idle] + self.to_close
        self.idle.clear()
        self.to_close = []
        while self.waiters:
            waiter = self.waiters.popleft()
            waiter.error = PoolClosed(f"the pool {self.name!r} is closed")
            waiter.event.set()
        for event in self.ready_events:
            event.set()
        return conns

    def drain(self) -> list[Any]:
        """Replace every connection: return the idle ones to close; the
        others are closed when they come back."""
        conns = [slot.conn for slot in self.idle]
        self.idle.clear()
        for slot in self.busy.values():
            slot.expires = float("-inf")
        return conns

    def resize(self, min_size: int, max_size: int | None = None) -> None:
        """Change the sizes; the workers open or drop connections to match."""
        self.min_size, self.max_size = check_sizes(min_size, max_size)

    # --- clients ---------------------------------------------------------------

    def request(self, now: float, new_event: Callable[[], Event]) -> Slot | Waiter:
        """A client asks for a connection: an idle one, or a place in the queue."""
        self.check_open()
        self._count("requests_num")
        if self.idle:
            # The most recently used first: the others age out under max_idle.
            slot = self.idle.pop()
            self._lend(slot, now)
            return slot
        if self.max_waiting and len(self.waiters) >= self.max_waiting:
            self._count("requests_errors")
            raise TooManyRequests(
                f"the pool {self.name!r} already has {len(self.waiters)} requests waiting"
            )
        queued = self.keep_idle or (
            len(self.idle) + len(self.busy) + len(self.waiters) >= self.max_size
        )
        if queued:
            # A null pool opens a connection for each request: only one that
            # must wait for another client's connection is queued (as in
            # psycopg_pool, whose null pool connects in the client's thread).
            self._count("requests_queued")
        if self._backoff.gave_up:
            # Demand is back: try connecting again at once.
            self._backoff = _Backoff(retry_at=now)
        waiter = Waiter(new_event(), now, queued=queued)
        self.waiters.append(waiter)
        if self._deficit() > 0:
            self._wake_workers = True  # to open a connection for it
        return waiter

    def end_wait(self, waiter: Waiter, now: float) -> Slot | None:
        """The queued client stops waiting: its connection, or None on timeout."""
        if waiter.queued:
            self._count("requests_wait_ms", (now - waiter.since) * 1000)
        if waiter.slot is not None:
            return waiter.slot
        self._count("requests_errors")
        if waiter.error is not None:
            raise waiter.error
        self.waiters.remove(waiter)
        return None

    def abandon(self, waiter: Waiter, now: float) -> None:
        """The queued client went away (cancelled): pass on what it was given."""
        slot = waiter.slot
        if slot is None:
            if waiter in self.waiters:
                self.waiters.remove(waiter)
            return
        self.busy.pop(id(slot.conn), None)
        self._make_available(slot, now)

    def returned(self, conn: Any, now: float) -> Slot:
        """A client gives a connection back; the pool restores it before reclaiming it."""
        slot = self.busy.get(id(conn))
        if slot is None or not self.is_lent(conn):
            raise ValueError(f"can't return {conn!r}: it is not lent by the pool {self.name!r}")
        slot.state = SlotState.RETURNING
        self._count("usage_ms", (now - slot.since) * 1000)
        return slot

    def is_lent(self, conn: Any) -> bool:
        """Whether ``conn`` is lent to a client now."""
        slot = self.busy.get(id(conn))
        return slot is not None and slot.conn is conn and slot.state is SlotState.LENT

    def loan_of(self, conn: Any) -> int | None:
        """Which loan of ``conn`` is under way; None if it is not lent."""
        return self.busy[id(conn)].loans if self.is_lent(conn) else None

    def owns(self, conn: Any) -> bool:
        """Whether ``conn`` is one of the pool's connections (idle, lent or in hand)."""
        slot = self.busy.get(id(conn))
        return (slot is not None and slot.conn is conn) or any(s.conn is conn for s in self.idle)

    def wants_back(self) -> bool:
        """Whether a connection being returned may be kept (False: it will be closed)."""
        return not self.closed and (self.keep_idle or bool(self.waiters))

    def reclaim(self, slot: Slot, now: float) -> bool:
        """Take back a restored connection; False if it must be closed instead.

        That is when the pool is closed, the connection has outlived
        ``max_lifetime``, or the pool holds more than ``max_size``.
        """
        self.busy.pop(id(slot.conn), None)
        if self.closed or slot.expires <= now or self.size >= self.max_size:
            return False
        if not self.keep_idle and not self.waiters:
            return False
        self._make_available(slot, now)
        return True

    def discard(self, slot: Slot, now: float, *, bad: bool = False, lost: bool = False) -> None:
        """Forget a connection that will be closed (``bad``: returned unusable;
        ``lost``: found broken by a check)."""
        self.busy.pop(id(slot.conn), None)
        if bad:
            self._count("returns_bad")
        if lost:
            self._count("connections_lost")

    def note_failure(self, started: float, now: float) -> None:
        """Count a connection found unusable at once as a failed attempt.

        A check that fails on new connections would otherwise make the pool
        open and drop connections in a tight loop.
        """
        self._failed(started, now)

    def take_idle(self) -> list[Slot]:
        """Take every idle connection out to check it (see :meth:`end_check`)."""
        slots = list(self.idle)
        self.idle.clear()
        for slot in slots:
            slot.state = SlotState.CHECKING
            self.busy[id(slot.conn)] = slot
        return slots

    def end_check(self, slot: Slot, ok: bool, now: float) -> bool:
        """A checked connection: True if kept, False if it must be closed."""
        if ok:
            return self.reclaim(slot, now)
        self.discard(slot, now, lost=True)
        return False

    def _lend(self, slot: Slot, now: float) -> None:
        slot.state = SlotState.LENT
        slot.loans += 1
        slot.since = now
        self.busy[id(slot.conn)] = slot

    def _make_available(self, slot: Slot, now: float) -> None:
        if self.waiters:
            waiter = self.waiters.popleft()
            self._lend(slot, now)
            waiter.slot = slot
            waiter.event.set()
        else:
            slot.state = SlotState.IDLE
            slot.since = now
            self.idle.append(slot)
            self._note_deadline(self._idle_deadline(slot))
        if self.ready:
            for event in self.ready_events:
                event.set()

    # --- background work ---------------------------------------------------------

    def claim_job(self, now: float) -> Job:
        """The next thing a worker should do; a ``CONNECT`` is counted in ``size``."""
        if self.closed:
            return Job(JobKind.STOP)
        self._expire(now)
        if self.to_close:
            return Job(JobKind.CLOSE, conn=self.to_close.pop())
        deficit = self._deficit()
        if deficit > 0 and now >= self._backoff.retry_at:
            self.connecting += 1
            return Job(JobKind.CONNECT)
        deadlines = [self._idle_deadline(slot) for slot in self.idle]
        if deficit > 0:
            deadlines.append(self._backoff.retry_at)
        self._sleep_until = min(deadlines) if deadlines else None
        self._wake_workers = False
        timeout = None if self._sleep_until is None else max(0.0, self._sleep_until - now)
        return Job(JobKind.SLEEP, timeout=timeout)

    def _idle_deadline(self, slot: Slot) -> float:
        """When an idle connection is due to be dropped, if nothing changes."""
        if self.size > self.min_size:
            return min(slot.expires, slot.since + self.max_idle)
        return slot.expires

    def _note_deadline(self, deadline: float) -> None:
        if self._sleep_until is None or deadline < self._sleep_until:
            self._wake_workers = True

    def take_wakeup(self) -> bool:
        """Whether the workers must wake up before they planned to (asked once)."""
        wake, self._wake_workers = self._wake_workers, False
        return wake

    def _expire(self, now: float) -> None:
        """Drop idle connections past their lifetime, over max_size, or idle too long."""
        if any(slot.expires <= now for slot in self.idle):
            kept = deque(slot for slot in self.idle if slot.expires > now)
            self.to_close.extend(slot.conn for slot in self.idle if slot.expires <= now)
            self.idle = kept
        # The left end holds the connections idle for the longest.
        while self.idle and self.size > self.max_size:
            self.to_close.append(self.idle.popleft().conn)
        while self.idle and self.size > self.min_size and self.idle[0].since + self.max_idle <= now:
            self.to_close.append(self.idle.popleft().conn)

    def _deficit(self) -> int:
        """How many connections to open now: up to min_size, and for queued clients."""
        for_min = 0 if self._backoff.gave_up else self.min_size - self.size
        for_waiters = min(len(self.waiters) - self.connecting, self.max_size - self.size)
        for_probe = 1 if self.probing and not self.connecting else 0
        return max(for_min, for_waiters, for_probe)

    def connected(self, conn: Any, started: float, now: float) -> bool:
        """A connection attempt succeeded; False if the connection is not wanted."""
        self.connecting -= 1
        self._count("connections_num")
        self._count("connections_ms", (now - started) * 1000)
        self._backoff = _Backoff(retry_at=now)
        if self.probing:
            self.probing = False
            if self.ready:
                for event in self.ready_events:
                    event.set()
        if self.closed or self.size >= self.max_size:
            return False
        if not self.keep_idle and not self.waiters:
            return False  # its client gave up waiting
        # Shortened by up to 10% so that connections opened together don't
        # all expire together.
        lifetime = self.max_lifetime * (1 - 0.1 * self.rng())
        self._make_available(Slot(conn, created=now, expires=now + lifetime), now)
        return True

    def connect_failed(self, started: float, now: float) -> bool:
        """A connection attempt failed; True if the pool gives up reconnecting now."""
        self.connecting -= 1
        self._count("connections_num")
        self._count("connections_ms", (now - started) * 1000)
        self._count("connections_errors")
        return self._failed(started, now)

    def connect_aborted(self) -> None:
        """A connection attempt was interrupted (the pool is closing)."""
        self.connecting -= 1

    def _failed(self, started: float, now: float) -> bool:
        backoff = self._backoff
        if backoff.attempt is None:
            backoff.attempt = AttemptWithBackoff(timeout=self.reconnect_timeout, rng=self.rng)
        if backoff.attempt.time_to_give_up(now):
            self._backoff = _Backoff(retry_at=now, gave_up=True)
            return True
        backoff.attempt.update_delay(now)
        backoff.retry_at = now + backoff.attempt.delay
        return False
