"""The asyncio driver: runs an operation, waiting on the event loop."""

from __future__ import annotations

import asyncio
import socket
import weakref
from collections.abc import Generator
from typing import Any

from ..protocol import messages as m
from ..protocol.core import PGGen
from .cancel import cancel_failed
from .cancel import send_cancel as blocking_cancel
from .channel import Channel, Operation


class Watcher:
    """The event loop's reader on a connection's socket, kept from one wait to the next.

    Registering a reader costs the selector's bookkeeping and two system
    calls, and a query waits once or twice: so the reader stays registered
    while the connection is used.  Bytes arriving while nobody waits (a
    notification between queries) make it step aside until the next wait,
    as the socket then stays readable and the loop would call it again and
    again.  It is stopped before the socket is closed, and when the
    connection is dropped without being closed.
    """

    __slots__ = ("loop", "fd", "waiter", "registered", "__weakref__")

    def __init__(self, loop: asyncio.AbstractEventLoop, fd: int) -> None:
        self.loop = loop
        self.fd = fd
        self.waiter: asyncio.Future[None] | None = None
        self.registered = False

    def _wake(self) -> None:
        waiter = self.waiter
        if waiter is None:
            self.stop()
        elif not waiter.done():
            waiter.set_result(None)

    def _wake_writer(self) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def wait(self, write: bool) -> None:
        """Wait until the socket is readable (or writable, if asked)."""
        loop = self.loop
        fut = self.waiter = loop.create_future()
        if not self.registered:
            loop.add_reader(self.fd, self._wake)
            self.registered = True
        if write:
            loop.add_writer(self.fd, self._wake_writer)
        try:
            await fut
        finally:
            self.waiter = None
            if write:
                loop.remove_writer(self.fd)

    def stop(self) -> None:
        """Unregister the reader (idempotent; harmless once the loop is closed).

        A task waiting (the connection closed by another task) is woken: it
        then finds the channel closed.
        """
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
        if self.registered:
            self.registered = False
            try:
                self.loop.remove_reader(self.fd)
            except (RuntimeError, OSError, ValueError):
                pass  # the loop is closed (uvloop says so) or the fd is gone


def _stop_watcher(ref: weakref.ReferenceType[Watcher]) -> None:
    watcher = ref()
    if watcher is not None:
        watcher.stop()


def _watcher(chan: Channel) -> Watcher:
    """The channel's watcher on the running loop (a new one after a change of loop)."""
    loop = asyncio.get_running_loop()
    watcher = chan.watcher
    if watcher is None or watcher.loop is not loop:
        if watcher is not None:
            watcher.stop()
        watcher = chan.watcher = Watcher(loop, chan.fd)
        # A connection dropped unclosed must not leave its fd in the selector:
        # the number is reused by the next socket opened.
        weakref.finalize(chan, _stop_watcher, weakref.ref(watcher))
    return watcher


async def run(chan: Channel, op: Operation) -> Any:
    """Drive ``op`` to completion on the event loop; return its outcome."""
    while not op.done:
        if chan.wants_write:
            chan.send_some()
        if chan.recv_some():
            op.resume()
            continue
        await _watcher(chan).wait(chan.wants_write)
        if chan.closed:
            raise chan.closed_while_waiting()
    return op.outcome()


async def flush(chan: Channel) -> None:
    """Send everything queued, taking in (and buffering) what the server sends meanwhile."""
    chan.send_some()
    while chan.wants_write:
        # The kernel's buffer is full: the server may be blocked sending to us.
        chan.recv_some()
        await _watcher(chan).wait(True)
        if chan.closed:
            raise chan.closed_while_waiting()
        chan.send_some()


async def execute(chan: Channel, gen: PGGen) -> Any:
    """Start the operation ``gen`` and run it to completion."""
    chan.check_open()
    op = Operation(gen)
    op.resume()
    try:
        return await run(chan, op)
    finally:
        if chan.proto.closed:
            chan.close()


async def send_cancel(chan: Channel) -> None:
    """Send a CancelRequest for ``chan``'s session and wait until the server has closed it.

    Over TLS when the session is (the handshake then runs in a worker thread).
    """
    loop = asyncio.get_running_loop()
    family, address = chan.sock.family, chan.sock.getpeername()
    pid, key = chan.proto.backend_pid, chan.proto.backend_key
    if chan.secure_cancel is not None:
        await loop.run_in_executor(
            None, blocking_cancel, family, address, pid, key, chan.secure_cancel
        )
        return
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setblocking(False)
    try:
        await loop.sock_connect(sock, address)
        await loop.sock_sendall(sock, m.cancel_request(pid, key))
        while await loop.sock_recv(sock, 4096):
            pass
    except OSError as exc:
        raise cancel_failed(exc) from None
    finally:
        sock.close()


async def drive(chan: Channel, flow: Generator[float | None, None, Any]) -> Any:
    """Run a flow that yields the seconds it may wait for input (None: no limit)."""
    chan.check_open()
    try:
        timeout = next(flow)
        while True:
            if chan.wants_write:
                chan.send_some()
            if not chan.recv_some():
                try:
                    await asyncio.wait_for(_watcher(chan).wait(chan.wants_write), timeout)
                except asyncio.TimeoutError:
                    pass
                chan.recv_some()
            timeout = flow.send(None)
    except StopIteration as stop:
        if chan.wants_write:
            chan.send_some()  # what the flow queued on its way out
        return stop.value
    finally:
        if chan.proto.closed:
            chan.close()
