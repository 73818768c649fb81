"""The blocking driver: runs an operation to the end, waiting with poll/select."""

from __future__ import annotations

import select
import time
from collections.abc import Callable, Generator
from typing import Any

from ..protocol import core
from ..protocol.core import PGGen
from .cancel import send_cancel
from .channel import Channel, Operation

_HAS_POLL = hasattr(select, "poll")


_READ = select.POLLIN if _HAS_POLL else 0
_READ_WRITE = (select.POLLIN | select.POLLOUT) if _HAS_POLL else 0
_READABLE = (select.POLLIN | select.POLLERR | select.POLLHUP) if _HAS_POLL else 0


def _watch(chan: Channel, mask: int) -> None:
    """Make the channel's poll object (made on first use) watch for ``mask``."""
    if chan.poller is None:
        chan.poller = select.poll()
        chan.poller.register(chan.fd, mask)
    else:
        chan.poller.modify(chan.fd, mask)
    chan.poll_mask = mask


def wait_io(chan: Channel, write: bool, timeout: float | None) -> tuple[bool, bool]:
    """Block until the socket is readable (or writable, if asked); return (readable, writable)."""
    if chan.tls and chan.pending():
        return True, False
    if _HAS_POLL:
        mask = _READ_WRITE if write else _READ
        if chan.poll_mask != mask:
            _watch(chan, mask)
        events = chan.poller.poll(None if timeout is None else max(0, int(timeout * 1000)))
        if not events:
            return False, False
        ev = events[0][1]
        return bool(ev & _READABLE), bool(ev & select.POLLOUT)
    r, w, _ = select.select([chan.fd], [chan.fd] if write else [], [], timeout)
    return bool(r), bool(w)


class TimeoutExpired(Exception):
    """The deadline of :func:`run` passed (with ``keep_open``)."""


def _pump(
    chan: Channel, step: Callable[[], Any], deadline: float | None, keep_open: bool
) -> Any:
    """Wait for the server and call ``step`` on each arrival until it returns true (or raises).

    A generator's ``__next__`` as ``step`` ends with StopIteration: its value is returned.

    Reading goes on while writing, so a large query cannot deadlock against a
    server that is already answering.  ``deadline`` (a ``time.monotonic()``
    value) bounds the wait; passing it raises OperationalError, or
    TimeoutExpired with ``keep_open``.
    """
    proto = chan.proto
    # Without a deadline, a plain socket is waited on in recv() itself.
    in_recv = deadline is None and chan.waits_in_recv
    try:
        while True:
            if in_recv and not proto.out and chan.recv_wait():
                if step():
                    return None
                continue
            timeout = None
            expired = False
            if deadline is not None:
                timeout = deadline - time.monotonic()
                if timeout <= 0:
                    # What has arrived by the deadline is still taken (timeout=0 polls).
                    timeout, expired = 0.0, True
            readable, writable = wait_io(chan, bool(proto.out), timeout)
            if chan.closed:
                # Closed by another thread while this one waited.
                raise chan.closed_while_waiting()
            if writable:
                chan.send_some()
            # Everything already there is taken before stepping, to step fewer times.
            if readable and chan.recv_some() and step():
                return None
            if expired:
                if keep_open:
                    raise TimeoutExpired()
                raise chan.lost("timeout expired")
    except StopIteration as stop:
        return stop.value


def run(
    chan: Channel, op: Operation, deadline: float | None = None, keep_open: bool = False
) -> Any:
    """Drive the started operation ``op`` to its end; its outcome (or raise its error)."""
    if not op.done:
        _pump(chan, op.resume, deadline, keep_open)
    return op.outcome()


RECOVERY_TIMEOUT = 10.0
"""Seconds to wait for an interrupted query to end before giving the session up."""


def recover(chan: Channel, finished: bool = False) -> None:
    """After an interruption (Ctrl-C) mid-operation: cancel it and resync, or close.

    ``finished``: the operation had read all of its answer.  The session
    must never be left with the interrupted query's answers still to come:
    they would be taken for the next query's.
    """
    if finished or chan.closed or chan.proto.pending_ready <= 0:
        # Nothing more to come: a cancel now could hit the next query.
        return
    if chan.in_io or not chan.proto.backend_key:
        # Interrupted between the kernel and our buffers (bytes may be lost),
        # or before the server gave its cancel key (while connecting): close.
        chan.close()
        return
    drain = Operation(core.drain(chan.proto))
    try:
        sock = chan.sock
        send_cancel(
            sock.family,
            sock.getpeername(),
            chan.proto.backend_pid,
            chan.proto.backend_key,
            chan.secure_cancel,
        )
        drain.resume()
        run(chan, drain, time.monotonic() + RECOVERY_TIMEOUT)
    except BaseException:
        chan.close()
        raise
    finally:
        if not drain.done:
            chan.close()


def execute(chan: Channel, gen: PGGen, deadline: float | None = None) -> Any:
    """Start the operation ``gen`` and run it to completion; its return value.

    The generator is stepped directly (no :class:`Operation` around it):
    this is every blocking query's path.  An error it raises has ended it
    with its answer read; an error of the I/O has closed the channel; only
    an interruption (Ctrl-C) can leave an answer half-read, to recover from.
    """
    chan.check_open()
    step = gen.__next__
    try:
        step()
        # Send at once: poll() would only say what we know, that the socket takes it.
        chan.send_some()
        return _pump(chan, step, deadline, False)
    except StopIteration as stop:
        return stop.value  # it needed no answer
    except Exception:
        raise
    except BaseException:
        recover(chan)
        raise
    finally:
        if chan.proto.closed:
            chan.close()


def execute_until(chan: Channel, gen: PGGen, deadline: float | None) -> bool:
    """Run an operation that may be abandoned at a message boundary; False on timeout."""
    chan.check_open()
    op = Operation(gen)
    op.resume()
    try:
        run(chan, op, deadline, keep_open=True)
    except TimeoutExpired:
        op.gen.close()
        return False
    finally:
        if chan.proto.closed:
            chan.close()
    return True


def flush(chan: Channel) -> None:
    """Send everything queued, taking in (and buffering) what the server sends meanwhile."""
    # Sending first: the kernel usually takes it all, and a wait (a system
    # call) is only needed when its buffer is full.
    chan.send_some()
    while chan.wants_write:
        readable, writable = wait_io(chan, True, None)
        if readable:
            chan.recv_some()
        if writable:
            chan.send_some()


WOULD_BLOCK: Any = object()
"""What :func:`drive` returns when the flow needs input and may not wait for it."""


def drive(chan: Channel, flow: Generator[float | None, None, Any], block: bool = True) -> Any:
    """Run a flow that yields the seconds it may wait for input (None: no limit).

    Queued output is sent at each step.  Without ``block`` the flow is
    abandoned (it must keep its state elsewhere) and WOULD_BLOCK returned as
    soon as it would have to wait.
    """
    chan.check_open()
    try:
        timeout = next(flow)
        while True:
            if chan.wants_write:
                chan.send_some()
            if not chan.recv_some():
                if not block:
                    flow.close()
                    return WOULD_BLOCK
                readable, writable = wait_io(chan, chan.wants_write, timeout)
                if writable:
                    chan.send_some()
                if readable:
                    chan.recv_some()
            timeout = flow.send(None)
    except StopIteration as stop:
        if chan.wants_write:
            chan.send_some()  # what the flow queued on its way out
        return stop.value
    finally:
        if chan.proto.closed:
            chan.close()
