"""A socket bound to a protocol session, with the non-blocking I/O every driver shares."""

from __future__ import annotations

import socket
import sys
import weakref
from typing import TYPE_CHECKING, Any

from ..accel.selection import speedups
from ..errors import OperationalError
from ..protocol.core import PGGen, Protocol

RECV_SIZE = 1 << 16
"""Bytes asked of the kernel per read while answers are small.

``socket.recv(n)`` allocates ``n`` bytes before the read and shrinks them to
what came.  Above glibc's mmap threshold (128 KiB until a freed mapping
raises it) the allocation is a fresh mapping, and one shrunk to a small
answer is unmapped on free without raising the threshold: every query would
pay an mmap, an mremap, a munmap and page faults.  Below it, the heap
serves the buffer and takes the rest back.
"""

RECV_SIZE_BULK = 1 << 18
"""Bytes asked per read while reads come back full: a large answer streaming in.

Large enough to take many rows at once; a full read frees a mapping of this
size, which raises the threshold above it (the heap serves the next ones).
"""

SEND_CHUNK = 1 << 20
"""Bytes offered to the kernel per write, so a huge query is sent in steps."""

_WOULD_BLOCK = (BlockingIOError, InterruptedError)

_DONT_WAIT: int = getattr(socket, "MSG_DONTWAIT", 0)
_recv_wait = getattr(speedups, "recv_wait", None) if _DONT_WAIT else None
# Called only on channels with compiled_io, where they are there.
_recv_now: Any = getattr(speedups, "recv_now", None) if _DONT_WAIT else None
_send_now: Any = getattr(speedups, "send_now", None) if _DONT_WAIT else None
# What _recv_now() returns when nothing is there to read.
_NOTHING_THERE = -2


def is_tls(sock: socket.socket) -> bool:
    """Whether ``sock`` speaks TLS.

    Asked without importing :mod:`ssl` (milliseconds of each process's
    start, which a Unix socket or a server without TLS never needs): before
    that import there can be no TLS socket.
    """
    ssl = sys.modules.get("ssl")
    return ssl is not None and isinstance(sock, ssl.SSLSocket)


class _OperationState:
    """The state of an operation being run: its generator, and once finished its outcome.

    The accelerator's ``OperationState`` is the same in C (its resume() makes
    no StopIteration when the generator ends): :class:`Operation` is built
    on whichever is there.
    """

    __slots__ = ("gen", "done", "result", "error", "interrupted", "owner_ref")

    def __init__(self, gen: PGGen, owner: Any = None) -> None:
        self.gen = gen
        self.done = False
        self.result: Any = None
        self.error: BaseException | None = None
        # True if a KeyboardInterrupt & co. stopped the operation halfway: the
        # server's answer is then only partly read.
        self.interrupted = False
        # A weak reference to whoever the operation is run for (the cursor of
        # an asynchronous query), None for none: it may be dropped meanwhile.
        self.owner_ref: weakref.ref[Any] | None = None if owner is None else weakref.ref(owner)

    def resume(self) -> bool:
        """Let the operation process what has arrived; True once it has finished."""
        try:
            self.gen.send(None)
        except StopIteration as stop:
            self.done = True
            self.result = stop.value
        except Exception as exc:  # noqa: BLE001 - re-raised by outcome()
            self.done = True
            self.error = exc
        except BaseException as exc:
            self.done = self.interrupted = True
            self.error = exc
        return self.done


if TYPE_CHECKING:
    _OperationBase = _OperationState
else:
    _OperationBase = getattr(speedups, "OperationState", _OperationState)


class Operation(_OperationBase):
    """A protocol operation being run: its generator and, once finished, its outcome.

    ``Operation(gen, owner=None)``: ``gen``, ``done``, ``result``, ``error``,
    ``interrupted`` (a KeyboardInterrupt & co. stopped it halfway, its
    answer partly read), ``owner_ref`` (a weak reference to ``owner``, the
    cursor of an asynchronous query, or None), and ``resume()``.
    """

    __slots__ = ()

    def owner_alive(self) -> bool:
        """True while the owner exists and is open."""
        owner = self.owner_ref() if self.owner_ref is not None else None
        return owner is not None and not owner.closed

    @property
    def finished(self) -> bool:
        """True once the operation has read all of the server's answer."""
        return self.done and not self.interrupted

    def outcome(self) -> Any:
        """The operation's return value, or raise its exception."""
        if self.error is not None:
            error, self.error = self.error, None
            raise error.with_traceback(error.__traceback__)
        return self.result


class Channel:
    """A connected socket and the protocol session spoken over it."""

    def __init__(self, sock: socket.socket, proto: Protocol) -> None:
        self.sock = sock
        #: True for a TLS socket, which may hold decrypted bytes the kernel doesn't see.
        self.tls = is_tls(sock)
        #: True where a blocking query waits in recv() itself (see :meth:`recv_wait`):
        #: the socket blocks then, and every read or write that must not wait says
        #: so with MSG_DONTWAIT. Otherwise the socket never blocks and waits are polls.
        self.waits_in_recv = _recv_wait is not None and not self.tls
        #: True where the reads and writes that must not wait are made in C,
        #: straight from and into the protocol's buffers (on the same sockets).
        self.compiled_io = self.waits_in_recv
        sock.setblocking(self.waits_in_recv)
        self._dont_wait = _DONT_WAIT if self.waits_in_recv else 0
        # What a read or write that would block raises on this socket.
        self.would_block: tuple[type[BaseException], ...] = _WOULD_BLOCK
        if self.tls:
            ssl = sys.modules["ssl"]
            self.would_block += (ssl.SSLWantReadError, ssl.SSLWantWriteError)
        self.proto = proto
        self.fd = sock.fileno()
        self.closed = False
        # The blocking driver's poll object, kept for the socket's life.
        self.poller: Any = None
        self.poll_mask = 0
        # The asyncio driver's watch on the socket (anything with a stop()),
        # stopped before the socket closes.
        self.watcher: Any = None
        # True between taking bytes from (or giving them to) the kernel and
        # recording it: an interruption there loses track of the stream.
        self.in_io = False
        # How cancel requests for this session are encrypted (None: plain).
        self.secure_cancel: Any = None
        # Bytes asked of the next read: RECV_SIZE, or RECV_SIZE_BULK while the
        # kernel fills every read.
        self.recv_size = RECV_SIZE

    def fileno(self) -> int:
        """The socket's file descriptor."""
        return self.fd

    def close(self) -> None:
        """Close the socket (idempotent)."""
        if not self.closed:
            self.closed = True
            self.proto.closed = True
            # The compiled reads and writes take the descriptor's number, which
            # the system may give to another socket once this one is closed: from
            # here on they go through the socket object, which knows it is closed.
            self.compiled_io = False
            if self.watcher is not None:
                self.watcher.stop()
            try:
                # Wakes a thread waiting on the socket (close() alone does not):
                # it then finds the channel closed.
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                self.sock.close()
            except OSError:
                pass

    def lost(self, reason: str, exc: BaseException | None = None) -> OperationalError:
        """Close after losing the server and return the error to raise."""
        self.close()
        detail = f": {exc}" if exc is not None and str(exc) else ""
        return OperationalError(f"{reason}{detail}")

    @staticmethod
    def closed_while_waiting() -> OperationalError:
        """The error of a wait the channel's closing (by another thread or task) ended."""
        return OperationalError("the connection was closed while waiting for the server")

    def check_open(self) -> None:
        """Raise OperationalError at once if the connection is gone."""
        if self.closed or self.proto.closed:
            raise OperationalError("the connection is closed")

    @property
    def wants_write(self) -> bool:
        """True while queued bytes wait to be sent."""
        return bool(self.proto.out)

    def send_some(self) -> None:
        """Send as much of the queued output as the kernel takes now."""
        out = self.proto.out
        if self.compiled_io:
            # In C: no frame of Python between the kernel taking bytes and
            # their leaving the queue, so no in_io to keep.
            try:
                _send_now(self.fd, out)
            except OSError as exc:
                raise self.lost("the connection to the server was lost while sending", exc) from exc
            return
        send = self.sock.send
        while out:
            self.in_io = True
            try:
                sent = send(
                    out if len(out) <= SEND_CHUNK else memoryview(out)[:SEND_CHUNK],
                    self._dont_wait,
                )
            except self.would_block:
                sent = 0
            except OSError as exc:
                raise self.lost("the connection to the server was lost while sending", exc) from exc
            del out[:sent]
            self.in_io = False
            if not sent:
                return

    def recv_some(self) -> bool:
        """Read what the server has sent; False if nothing was there."""
        size = self.recv_size
        received = -1
        if self.compiled_io:
            # Read into the buffer in C: no bytes object, no feed() frame.
            try:
                received = _recv_now(self.fd, self.proto.buf, size)
            except OSError as exc:
                raise self.lost("the connection to the server was lost", exc) from exc
            if received == _NOTHING_THERE:
                return False
            if received == 0:
                raise self.lost("the server closed the connection unexpectedly")
        if received < 0:
            # No accelerator, TLS, or a message larger than the buffer being collected.
            self.in_io = True
            try:
                data = self.sock.recv(size, self._dont_wait)
            except self.would_block:
                self.in_io = False
                return False
            except OSError as exc:
                raise self.lost("the connection to the server was lost", exc) from exc
            if not data:
                raise self.lost("the server closed the connection unexpectedly")
            self.proto.buf.feed(data)
            self.in_io = False
            received = len(data)
        # Inline (not shared with recv_wait): a frame less on every read.
        if received == size:
            self.recv_size = RECV_SIZE_BULK
        elif received < RECV_SIZE:
            self.recv_size = RECV_SIZE
        return True

    def recv_wait(self) -> bool:
        """Wait for the server in recv() and take what it sent; False if that can't be done now.

        One system call where a poll and a read take two: a blocking query
        waits here (:attr:`waits_in_recv` channels only).  The compiled
        recv_wait() hands the bytes to the read buffer before it returns, so
        an interruption (Ctrl-C) leaves nothing half-taken: the query can be
        cancelled and the session kept. False, with nothing read, while the
        buffer collects a message larger than itself (:meth:`recv_some` reads those).
        """
        assert _recv_wait is not None
        if self.closed:
            # Its descriptor's number may be another socket's by now (see close()).
            raise self.closed_while_waiting()
        size = self.recv_size
        try:
            received: int = _recv_wait(self.fd, self.proto.buf, size)
        except OSError as exc:
            if self.closed:
                raise self.closed_while_waiting() from exc
            raise self.lost("the connection to the server was lost", exc) from exc
        if received > 0:
            if received == size:
                self.recv_size = RECV_SIZE_BULK
            elif received < RECV_SIZE:
                self.recv_size = RECV_SIZE
            return True
        if received < 0:
            return False
        if self.closed:
            # Shut down by another thread while this one waited.
            raise self.closed_while_waiting()
        raise self.lost("the server closed the connection unexpectedly")

    def pending(self) -> bool:
        """True if decrypted bytes are buffered inside the TLS layer."""
        return self.tls and self.sock.pending() > 0  # type: ignore[attr-defined]

    def step(self, op: Operation) -> bool:
        """Advance ``op`` without ever waiting; True once it has finished."""
        while True:
            if self.proto.out:
                self.send_some()
            if not self.recv_some():
                return False
            if op.resume():
                return True
