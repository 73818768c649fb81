"""Ctrl-C (KeyboardInterrupt) in the middle of a query never desynchronizes the session."""

from __future__ import annotations

import asyncio
import gc
import socket
import threading
import time
import warnings

import pytest

import pgwire


def test_interrupted_blocking_query_is_cancelled(conn, interrupt_after):
    conn.autocommit = True
    interrupt_after(0.3)
    t0 = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        conn.execute("SELECT pg_sleep(5)")
    assert time.monotonic() - t0 < 3
    assert not conn.closed
    assert conn.execute("SELECT 'in sync'").fetchone() == ("in sync",)


@pytest.mark.parametrize("delay", [0.01, 0.03, 0.05, 0.08, 0.13])
def test_interrupted_large_fetch(dsn, interrupt_after, delay):
    """Wherever the interruption lands, the session is in sync or clearly closed."""
    conn = pgwire.connect(dsn, autocommit=True)
    try:
        interrupt_after(delay)
        with pytest.raises(KeyboardInterrupt):
            for _ in range(50):
                conn.execute("SELECT repeat('x', 100), g FROM generate_series(1, 200000) g")
        if conn.closed:
            with pytest.raises(pgwire.OperationalError):
                conn.execute("SELECT 42")
        else:
            assert conn.execute("SELECT 42").fetchone() == (42,)
    finally:
        conn.close()


def test_interrupted_async_fetch(conn, interrupt_after):
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("SELECT pg_sleep(5)", async_=True)
    interrupt_after(0.3)
    with pytest.raises(KeyboardInterrupt):
        cur.fetchall()
    assert conn.execute("SELECT 'next'").fetchone() == ("next",)


@pytest.mark.parametrize("sslmode", ["disable", "prefer"])
def test_interrupted_connect_leaves_no_socket_open(interrupt_after, sslmode):
    """Ctrl-C while a silent server is being connected to (TLS request or startup)."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        port = silent.getsockname()[1]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ResourceWarning)
            interrupt_after(0.3)
            with pytest.raises(KeyboardInterrupt):
                pgwire.connect(host="127.0.0.1", port=port, user="x", dbname="x", sslmode=sslmode)
            gc.collect()
    leaks = [w for w in caught if issubclass(w.category, ResourceWarning)]
    assert not leaks, [str(w.message) for w in leaks]


def test_cancelled_async_connect_leaves_no_socket_open():
    """A task giving up while its socket is opened in a worker thread: that socket is closed."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        accepted = []

        def slow_server() -> None:
            # Refuses TLS, late: the worker thread opens the socket after the task gave up.
            sock, _ = listener.accept()
            accepted.append(sock)
            sock.recv(8)
            time.sleep(0.6)
            sock.sendall(b"N")

        server = threading.Thread(target=slow_server)
        server.start()

        async def give_up() -> None:
            connect = pgwire.AsyncConnection.connect(
                host="127.0.0.1",
                port=port,
                user="x",
                dbname="x",
                sslmode="prefer",
                connect_timeout=10,
            )
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(connect, 0.2)

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ResourceWarning)
            asyncio.run(give_up())
            server.join()
            time.sleep(0.3)  # the worker thread ends once the server has answered
            gc.collect()
        for sock in accepted:
            sock.close()
    leaks = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    assert not leaks, leaks
