"""How a blocking query waits for its answer: in recv() itself where it can.

With the accelerator, on a plain socket, the socket blocks in the kernel and
a blocking query sleeps in the compiled ``recv_wait()`` (one system call);
every read or write that must not wait passes ``MSG_DONTWAIT``, made in C by
``recv_now()`` and ``send_now()``. Without it, the socket never blocks and
waits are polls.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import struct
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pgwire
from pgwire.accel.selection import compiled, speedups
from pgwire.drivers import blocking
from pgwire.drivers.channel import Channel
from pgwire.protocol.buffer import ReadBuffer
from pgwire.protocol.core import Protocol

_c = compiled()
needs_c = pytest.mark.skipif(
    _c is None or not hasattr(_c, "recv_wait"), reason="the accelerator's recv_wait is not built"
)
waits_in_recv = speedups is not None and hasattr(speedups, "recv_wait")


def _closed_after(
    ours: socket.socket, peer: socket.socket
) -> Iterator[tuple[socket.socket, socket.socket]]:
    try:
        yield ours, peer
    finally:
        ours.close()
        peer.close()


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    yield from _closed_after(*socket.socketpair())


@pytest.fixture
def blocking_pair(
    pair: tuple[socket.socket, socket.socket],
) -> tuple[socket.socket, socket.socket]:
    """``pair`` with our end blocking, as on a channel whose queries wait in recv()."""
    pair[0].setblocking(True)
    return pair


# --- the channel ---------------------------------------------------------------------


def test_the_socket_blocks_only_where_queries_wait_in_recv(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    ours, _ = pair
    chan = Channel(ours, Protocol())
    assert chan.waits_in_recv is waits_in_recv
    assert ours.getblocking() is waits_in_recv


def test_reads_and_writes_that_must_not_wait_do_not(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    ours, peer = pair
    chan = Channel(ours, Protocol())
    # Nothing has come: the read returns at once, whatever the socket's mode.
    assert chan.recv_some() is False
    # More than the kernel takes while the peer reads nothing: the write
    # takes what fits and returns, the rest stays queued.
    chan.proto.out += b"x" * (16 << 20)
    chan.send_some()
    assert 0 < len(chan.proto.out) < 16 << 20
    assert chan.wants_write


@pytest.mark.skipif(not waits_in_recv, reason="queries wait in poll() without the accelerator")
def test_recv_wait_takes_what_the_peer_sends(pair: tuple[socket.socket, socket.socket]) -> None:
    ours, peer = pair
    chan = Channel(ours, Protocol())
    threading.Timer(0.05, peer.sendall, (b"hello",)).start()
    assert chan.recv_wait() is True
    assert chan.proto.buf.data == b"hello"
    peer.close()
    with pytest.raises(pgwire.OperationalError, match="closed the connection"):
        chan.recv_wait()
    assert chan.closed


@pytest.mark.skipif(not waits_in_recv, reason="queries wait in poll() without the accelerator")
def test_recv_wait_ended_by_close_from_another_thread(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    ours, _ = pair
    chan = Channel(ours, Protocol())
    threading.Timer(0.1, chan.close).start()
    with pytest.raises(pgwire.OperationalError, match="closed while waiting"):
        chan.recv_wait()


@pytest.fixture
def polls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[object, ...]]:
    """The calls of the blocking driver's poll from here on."""
    calls: list[tuple[object, ...]] = []
    poll = blocking.wait_io

    def counted(*args: object) -> tuple[bool, bool]:
        calls.append(args)
        return poll(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(blocking, "wait_io", counted)
    return calls


def test_a_blocking_query_waits_without_polling(
    conn: pgwire.Connection, polls: list[tuple[object, ...]]
) -> None:
    assert conn.execute("SELECT 42 FROM pg_sleep(0.05)").fetchone() == (42,)
    assert conn.execute("SELECT %s::int", [7]).fetchone() == (7,)
    if waits_in_recv and not conn._chan.tls:
        assert polls == []
    else:
        assert polls


def test_a_wait_with_a_deadline_polls(dsn: str, polls: list[tuple[object, ...]]) -> None:
    """A wait with a deadline (here the connect_timeout of the startup) polls."""
    with pgwire.connect(dsn, connect_timeout=10) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
    assert polls


# --- the compiled recv_wait() and recv_now() ----------------------------------------


@pytest.fixture(scope="module", params=["recv_wait", "recv_now"])
def recv(request: pytest.FixtureRequest) -> Any:
    """The two compiled reads into a ReadBuffer: they differ only in waiting."""
    return getattr(_c, request.param)


def _buffer(data: bytes = b"", pos: int = 0) -> ReadBuffer:
    buf = ReadBuffer()
    buf.data, buf.pos = data, pos
    return buf


@needs_c
def test_recv_keeps_what_was_not_consumed(
    pair: tuple[socket.socket, socket.socket], recv: Any
) -> None:
    ours, peer = pair
    peer.sendall(b"XYZ")
    buf = _buffer(b"abcdef", 4)
    assert recv(ours.fileno(), buf, 65536) == 3
    assert (buf.data, buf.pos) == (b"efXYZ", 0)
    peer.sendall(b"123456")
    buf.pos = 5
    assert recv(ours.fileno(), buf, 4) == 4  # no more than asked
    assert (buf.data, buf.pos) == (b"1234", 0)


@needs_c
def test_recv_leaves_a_large_message_to_feed(
    pair: tuple[socket.socket, socket.socket], recv: Any
) -> None:
    ours, peer = pair
    buf = ReadBuffer()
    buf.feed(b"D\x00\x02\x00\x00" + b"x" * 10)  # a 128 KiB message, 10 bytes of it here
    assert buf.next_message() == -1
    assert buf._chunks
    peer.sendall(b"rest")
    assert recv(ours.fileno(), buf, 65536) == -1
    assert ours.recv(10) == b"rest"  # untouched


@needs_c
def test_recv_at_the_end_of_the_stream_and_on_errors(
    pair: tuple[socket.socket, socket.socket], recv: Any
) -> None:
    ours, peer = pair
    peer.close()
    buf = _buffer(b"kept")
    assert recv(ours.fileno(), buf, 100) == 0
    assert buf.data == b"kept"
    spare = socket.socket()
    fd = spare.fileno()
    spare.close()
    with pytest.raises(OSError):
        recv(fd, buf, 100)
    with pytest.raises(ValueError, match=recv.__name__):
        recv(ours.fileno(), buf, 0)
    with pytest.raises(ValueError, match=recv.__name__):
        recv(-1, buf, 10)
    with pytest.raises(TypeError, match=recv.__name__):
        recv(ours.fileno(), buf)


@needs_c
def test_recv_now_returns_at_once_when_nothing_is_there(
    blocking_pair: tuple[socket.socket, socket.socket],
) -> None:
    ours, peer = blocking_pair
    buf = _buffer(b"held", 1)
    assert _c.recv_now(ours.fileno(), buf, 100) == -2
    assert (buf.data, buf.pos) == (b"held", 1)
    peer.sendall(b"new")
    assert _c.recv_now(ours.fileno(), buf, 100) == 3
    assert (buf.data, buf.pos) == (b"eldnew", 0)


class _Interrupted(Exception):
    pass


#: Signal handlers run in the main thread only.
main_thread_only = pytest.mark.skipif(
    threading.current_thread() is not threading.main_thread(), reason="signals"
)


@contextlib.contextmanager
def _alarm(handler: Any, seconds: float) -> Iterator[None]:
    """SIGALRM handled by ``handler`` in ``seconds``; the previous handler back after."""
    previous = signal.signal(signal.SIGALRM, handler)
    try:
        signal.setitimer(signal.ITIMER_REAL, seconds)
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@needs_c
@main_thread_only
def test_a_signal_handler_raising_takes_nothing(
    blocking_pair: tuple[socket.socket, socket.socket],
) -> None:
    """The Ctrl-C case: the handler's exception comes out, no byte is lost."""
    ours, peer = blocking_pair

    def handler(signum: int, frame: object) -> None:
        raise _Interrupted

    with _alarm(handler, 0.1):
        buf = _buffer()
        with pytest.raises(_Interrupted):
            _c.recv_wait(ours.fileno(), buf, 100)
        assert buf.data == b""
        peer.sendall(b"after")
        assert _c.recv_wait(ours.fileno(), buf, 100) == 5
        assert buf.data == b"after"


@needs_c
@main_thread_only
def test_a_signal_handler_returning_lets_the_wait_go_on(
    blocking_pair: tuple[socket.socket, socket.socket],
) -> None:
    ours, peer = blocking_pair
    seen = []
    with _alarm(lambda signum, frame: seen.append(signum), 0.05):
        threading.Timer(0.3, peer.sendall, (b"late",)).start()
        buf = _buffer()
        assert _c.recv_wait(ours.fileno(), buf, 100) == 4
        assert buf.data == b"late"
        assert seen == [signal.SIGALRM]


@needs_c
@settings(max_examples=200, deadline=None)
@given(
    held=st.binary(max_size=40),
    consumed=st.integers(min_value=0, max_value=40),
    chunk=st.binary(min_size=1, max_size=200),
)
def test_recv_buffers_as_feed_does(recv: Any, held: bytes, consumed: int, chunk: bytes) -> None:
    consumed = min(consumed, len(held))
    ours, peer = socket.socketpair()
    try:
        peer.sendall(chunk)
        waited = _buffer(held, consumed)
        assert recv(ours.fileno(), waited, 1024) == len(chunk)
        fed = _buffer(held, consumed)
        fed.feed(chunk)
        assert (waited.data, waited.pos) == (fed.data, fed.pos)
    finally:
        ours.close()
        peer.close()


# --- the compiled send_now() ---------------------------------------------------------


def _drain(peer: socket.socket, size: int) -> bytes:
    """The next ``size`` bytes the peer receives."""
    parts = []
    while size:
        part = peer.recv(min(size, 1 << 20))
        assert part, "the stream ended early"
        parts.append(part)
        size -= len(part)
    return b"".join(parts)


@needs_c
def test_send_now_sends_what_the_kernel_takes_and_keeps_the_rest(
    blocking_pair: tuple[socket.socket, socket.socket],
) -> None:
    ours, peer = blocking_pair
    data = bytes(range(256)) * (64 << 10)  # 16 MiB: more than the socket buffers hold
    out = bytearray(data)
    sent = _c.send_now(ours.fileno(), out)
    assert 0 < sent < len(data)
    assert out == data[sent:]
    assert _drain(peer, sent) == data[:sent]
    while out:
        more = _c.send_now(ours.fileno(), out)
        assert _drain(peer, more) == data[len(data) - len(out) - more : len(data) - len(out)]
    assert _c.send_now(ours.fileno(), out) == 0


@needs_c
def test_send_now_on_errors(pair: tuple[socket.socket, socket.socket]) -> None:
    ours, peer = pair
    with pytest.raises(TypeError, match="bytearray"):
        _c.send_now(ours.fileno(), b"bytes")
    with pytest.raises(ValueError):
        _c.send_now(-1, bytearray(b"x"))
    peer.close()
    out = bytearray(b"x" * 1000)
    with pytest.raises(OSError):
        for _ in range(100):  # the first writes may still be taken
            _c.send_now(ours.fileno(), out)
            out += b"x" * 1000


def test_a_channel_sends_everything_in_order(pair: tuple[socket.socket, socket.socket]) -> None:
    ours, peer = pair
    chan = Channel(ours, Protocol())
    data = bytes(range(251)) * 40_000
    chan.proto.out += data
    received = bytearray()
    while chan.wants_write:
        chan.send_some()
        received += peer.recv(1 << 20)
    while len(received) < len(data):
        received += peer.recv(1 << 20)
    assert received == data


def test_a_write_to_a_peer_gone_closes_the_channel(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    ours, peer = pair
    chan = Channel(ours, Protocol())
    peer.close()
    with pytest.raises(pgwire.OperationalError, match="lost while sending"):
        for _ in range(100):  # the first writes may still be taken
            chan.proto.out += b"x" * 1000
            chan.send_some()
    assert chan.closed


@pytest.fixture
def tcp_pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    """A connected pair of TCP sockets on loopback (a reset needs TCP)."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        ours = socket.create_connection(server.getsockname())
        peer, _ = server.accept()
    yield from _closed_after(ours, peer)


def test_a_read_after_a_reset_closes_the_channel(
    tcp_pair: tuple[socket.socket, socket.socket],
) -> None:
    ours, peer = tcp_pair
    chan = Channel(ours, Protocol())
    # Closing with unread data and SO_LINGER 0 sends a reset.
    peer.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    ours.sendall(b"unread")
    threading.Event().wait(0.05)
    peer.close()
    threading.Event().wait(0.05)
    with pytest.raises(pgwire.OperationalError, match="lost"):
        chan.recv_some()
    assert chan.closed


def test_a_read_at_the_end_of_the_stream_closes_the_channel(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    ours, peer = pair
    chan = Channel(ours, Protocol())
    peer.sendall(b"last")
    peer.close()
    assert chan.recv_some() is True
    assert chan.proto.buf.data == b"last"
    with pytest.raises(pgwire.OperationalError, match="closed the connection"):
        chan.recv_some()
    assert chan.closed


def test_a_closed_channel_never_touches_the_socket_that_reuses_its_descriptor() -> None:
    """After close(), the descriptor's number may be given to another socket at once."""
    ours, peer = socket.socketpair()
    chan = Channel(ours, Protocol())
    fd = chan.fd
    chan.close()
    peer.close()
    others = [socket.socketpair() for _ in range(4)]
    try:
        reused = [pair for pair in others if fd in (pair[0].fileno(), pair[1].fileno())]
        assert reused, "the system gave the number to none of the new sockets"
        for a, b in others:
            a.sendall(b"theirs")
            b.sendall(b"theirs")
        with pytest.raises(pgwire.OperationalError):
            chan.recv_some()
        chan.proto.out += b"ours"
        with pytest.raises(pgwire.OperationalError):
            chan.send_some()
        if chan.waits_in_recv:
            with pytest.raises(pgwire.OperationalError, match="closed while waiting"):
                chan.recv_wait()
        for a, b in others:  # nothing read from them, nothing written to them
            assert a.recv(100) == b"theirs" and b.recv(100) == b"theirs"
            a.setblocking(False)
            with pytest.raises(BlockingIOError):
                a.recv(100)
    finally:
        for a, b in others:
            a.close()
            b.close()
