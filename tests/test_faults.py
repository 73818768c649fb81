"""Faults on the wire: a lost server, resets, and bytes that break the protocol.

Garbage is injected by a TCP proxy in front of the real test server, which
forwards the real conversation until told to corrupt or cut it.
"""

from __future__ import annotations

import asyncio
import selectors
import socket
import struct
import threading
import time
import tracemalloc

import pytest

import pgwire


class Proxy:
    """Forwards one client to the server; can replace what the server sends next."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.inject: bytes | None = None
        self.reset = False
        self._stop = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        self.listener.settimeout(10)
        try:
            client, _ = self.listener.accept()
        except OSError:
            return
        server = socket.create_connection(self.target)
        peer = {client: server, server: client}
        with selectors.DefaultSelector() as sel:
            sel.register(client, selectors.EVENT_READ)
            sel.register(server, selectors.EVENT_READ)
            while not self._stop:
                for key, _ in sel.select(0.1):
                    src = key.fileobj
                    try:
                        data = src.recv(65536)
                    except OSError:
                        data = b""
                    if not data:
                        client.close()
                        server.close()
                        return
                    if src is server and self.reset:
                        # Close with an RST, as a crashed host or a middlebox would.
                        client.setsockopt(
                            socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                        )
                        client.close()
                        server.close()
                        return
                    if src is server and self.inject is not None:
                        data, self.inject = self.inject, None
                    peer[src].sendall(data)
        client.close()
        server.close()

    def close(self) -> None:
        self._stop = True
        self.listener.close()
        self._thread.join(5)


@pytest.fixture
def proxied(pg_server):
    proxy = Proxy("127.0.0.1", pg_server.port)
    conn = pgwire.connect(pg_server.dsn, host="127.0.0.1", port=proxy.port, sslmode="disable")
    yield proxy, conn
    conn.close()
    proxy.close()


def assert_closed_for_good(conn):
    assert conn.closed
    t0 = time.monotonic()
    with pytest.raises(pgwire.OperationalError):
        conn.execute("SELECT 1")
    assert time.monotonic() - t0 < 0.5


def test_proxy_passes_real_traffic(proxied):
    _, conn = proxied
    assert conn.execute("SELECT %s::int * 2", (21,)).fetchone() == (42,)


def test_unknown_message_type(proxied):
    proxy, conn = proxied
    proxy.inject = b"~\x00\x00\x00\x04"
    with pytest.raises(pgwire.InterfaceError, match="unknown message"):
        conn.execute("SELECT 1")
    assert_closed_for_good(conn)


def test_huge_length_is_not_allocated(proxied):
    proxy, conn = proxied
    proxy.inject = b"D" + struct.pack("!i", 0x7FFFFFF0) + b"\x00\x01"
    tracemalloc.start()
    try:
        with pytest.raises(pgwire.InterfaceError, match="length"):
            conn.execute("SELECT 1")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 50 * 1024 * 1024
    assert_closed_for_good(conn)


def test_bad_length_small(proxied):
    proxy, conn = proxied
    proxy.inject = b"C\x00\x00\x00\x02"
    with pytest.raises(pgwire.InterfaceError):
        conn.execute("SELECT 1")
    assert_closed_for_good(conn)


def test_malformed_row(proxied):
    proxy, conn = proxied
    # RowDescription for one int4 column, then a DataRow claiming 3 columns.
    field = b"a\x00" + struct.pack("!IhIhih", 0, 0, 23, 4, -1, 0)
    row_desc = b"T" + struct.pack("!ih", 4 + 2 + len(field), 1) + field
    bad_row = b"D" + struct.pack("!ih", 4 + 2 + 4, 3) + struct.pack("!i", -1)
    proxy.inject = row_desc + bad_row
    with pytest.raises(pgwire.InterfaceError):
        conn.execute("SELECT 1")
    assert_closed_for_good(conn)


def test_connection_reset(proxied):
    proxy, conn = proxied
    proxy.reset = True
    with pytest.raises(pgwire.OperationalError):
        conn.execute("SELECT 1")
    assert_closed_for_good(conn)


def test_server_killed_mid_query(make_cluster):
    cluster = make_cluster()
    conn = pgwire.connect(cluster.dsn)
    cur = conn.cursor()
    cur.execute("SELECT pg_sleep(10)", async_=True)
    time.sleep(0.2)
    cluster.kill()
    t0 = time.monotonic()
    with pytest.raises(pgwire.OperationalError):
        cur.fetchall()
    assert time.monotonic() - t0 < 5
    assert_closed_for_good(conn)


def test_server_restarted_between_queries(make_cluster):
    cluster = make_cluster()
    conn = pgwire.connect(cluster.dsn)
    assert conn.execute("SELECT 1").fetchone() == (1,)
    cluster.restart()
    with pytest.raises(pgwire.OperationalError):
        conn.execute("SELECT 1")
    assert_closed_for_good(conn)
    with pgwire.connect(cluster.dsn) as again:
        assert again.execute("SELECT 2").fetchone() == (2,)


def test_asyncio_garbage_and_reset(pg_server):
    import asyncio

    async def main():
        proxy = Proxy("127.0.0.1", pg_server.port)
        aconn = await pgwire.AsyncConnection.connect(
            pg_server.dsn, host="127.0.0.1", port=proxy.port, sslmode="disable"
        )
        try:
            cur = await aconn.execute("SELECT 1")
            assert await cur.fetchone() == (1,)
            proxy.inject = b"~\x00\x00\x00\x04"
            with pytest.raises(pgwire.InterfaceError):
                await aconn.execute("SELECT 2")
            assert aconn.closed
            with pytest.raises(pgwire.OperationalError):
                await aconn.execute("SELECT 3")
        finally:
            await aconn.close()
            proxy.close()

        proxy = Proxy("127.0.0.1", pg_server.port)
        aconn = await pgwire.AsyncConnection.connect(
            pg_server.dsn, host="127.0.0.1", port=proxy.port, sslmode="disable"
        )
        try:
            proxy.reset = True
            with pytest.raises(pgwire.OperationalError):
                await aconn.execute("SELECT 4")
            assert aconn.closed
        finally:
            await aconn.close()
            proxy.close()

    asyncio.run(asyncio.wait_for(main(), 30))


def _message(mtype: bytes, body: bytes) -> bytes:
    return mtype + struct.pack("!i", len(body) + 4) + body


INT4_FIELD = b"a\x00" + struct.pack("!IhIhih", 0, 0, 23, 4, -1, 0)
ONE_INT4_COLUMN = _message(b"T", struct.pack("!h", 1) + INT4_FIELD)
ROW_OF_ONE = _message(b"D", struct.pack("!hi", 1, 1) + b"1")
SELECT_1 = _message(b"C", b"SELECT 1\x00")


@pytest.mark.parametrize(
    "ready",
    [
        _message(b"Z", b"X"),  # no such transaction status
        _message(b"Z", b"I\x00"),  # one byte too long
        _message(b"Z", b""),  # no status at all
    ],
    ids=["status", "too-long", "empty"],
)
def test_malformed_ready_for_query(proxied, ready):
    proxy, conn = proxied
    proxy.inject = ONE_INT4_COLUMN + ROW_OF_ONE + SELECT_1 + ready
    with pytest.raises(pgwire.InterfaceError, match="ReadyForQuery"):
        conn.execute("SELECT 1")
    assert_closed_for_good(conn)


def test_malformed_ready_for_query_after_a_prepared_statement(proxied):
    """The answer of a prepared statement with known columns is read whole by the accelerator."""
    proxy, conn = proxied
    conn.autocommit = True
    for _ in range(8):
        assert conn.execute("SELECT %s::int", (1,)).fetchone() == (1,)
    row = _message(b"D", struct.pack("!hi", 1, 4) + struct.pack("!i", 1))
    proxy.inject = _message(b"2", b"") + row + SELECT_1 + _message(b"Z", b"Q")
    with pytest.raises(pgwire.InterfaceError, match="ReadyForQuery"):
        conn.execute("SELECT %s::int", (1,))
    assert_closed_for_good(conn)


def test_data_row_before_row_description(proxied):
    proxy, conn = proxied
    proxy.inject = ROW_OF_ONE + SELECT_1 + _message(b"Z", b"I")
    with pytest.raises(pgwire.InterfaceError, match="RowDescription"):
        conn.execute("SELECT 1")
    assert_closed_for_good(conn)


TEXT_FIELD = b"t\x00" + struct.pack("!IhIhih", 0, 0, 25, -1, -1, 0)


@pytest.mark.parametrize("value", [b"\xff", b"ok\xc3(", b"\xed\xa0\x80"], ids=repr)
def test_invalid_utf8_text_raises_data_error_naming_the_column(proxied, value):
    proxy, conn = proxied
    conn.autocommit = True  # one answer (no BEGIN's) to replace
    row = _message(b"D", struct.pack("!hi", 2, 1) + b"1" + struct.pack("!i", len(value)) + value)
    two_columns = _message(b"T", struct.pack("!h", 2) + INT4_FIELD + TEXT_FIELD)
    proxy.inject = two_columns + row + SELECT_1 + _message(b"Z", b"I")
    cur = conn.execute("SELECT 1")
    # The answer was read to its end: the session goes on.
    assert conn.execute("SELECT 2").fetchone() == (2,)
    with pytest.raises(pgwire.DataError, match='column "t"') as info:
        cur.fetchone()
    assert isinstance(info.value.__cause__, UnicodeDecodeError)


def test_cancel_safe_gets_no_answer_in_time(proxied):
    # The proxy takes one connection: a cancel request to it is queued, never answered.
    proxy, conn = proxied
    t0 = time.monotonic()
    with pytest.raises(pgwire.errors.CancellationTimeout, match="timeout expired"):
        conn.cancel_safe(timeout=0.5)
    assert 0.4 < time.monotonic() - t0 < 3
    proxy.close()
    with pytest.raises(pgwire.OperationalError, match="Connection refused"):
        conn.cancel_safe(timeout=2)


def test_async_cancel_safe_gets_no_answer_in_time(pg_server):
    proxy = Proxy("127.0.0.1", pg_server.port)

    async def main():
        aconn = await pgwire.AsyncConnection.connect(
            pg_server.dsn, host="127.0.0.1", port=proxy.port, sslmode="disable"
        )
        try:
            t0 = time.monotonic()
            with pytest.raises(pgwire.errors.CancellationTimeout, match="timeout expired"):
                await aconn.cancel_safe(timeout=0.5)
            elapsed = time.monotonic() - t0
            proxy.close()
            with pytest.raises(pgwire.OperationalError, match="Connection refused"):
                await aconn.cancel_safe(timeout=2)
            return elapsed
        finally:
            await aconn.close()

    try:
        assert 0.4 < asyncio.run(main()) < 3
    finally:
        proxy.close()


def test_block_error_survives_a_failed_rollback(dsn, conn, caplog):
    """The connection dies inside a transaction block that then raises: the block's error wins."""
    conn.autocommit = True
    victim = pgwire.connect(dsn)
    with caplog.at_level("WARNING", logger="pgwire"):
        with pytest.raises(ZeroDivisionError):
            with victim.transaction():
                victim.execute("SELECT 1")
                conn.execute("SELECT pg_terminate_backend(%s)", (victim.info.backend_pid,))
                raise ZeroDivisionError("the block fails")
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert "in rollback" in caplog.records[0].getMessage()
    assert victim.closed
    with pytest.raises(pgwire.OperationalError):
        victim.execute("SELECT 1")


def test_async_block_error_survives_a_failed_rollback(dsn, conn, caplog):
    conn.autocommit = True

    async def main() -> None:
        victim = await pgwire.AsyncConnection.connect(dsn)
        with pytest.raises(ZeroDivisionError):
            async with victim.transaction():
                await victim.execute("SELECT 1")
                conn.execute("SELECT pg_terminate_backend(%s)", (victim.info.backend_pid,))
                raise ZeroDivisionError("the block fails")
        assert victim.closed
        await victim.close()

    with caplog.at_level("WARNING", logger="pgwire"):
        asyncio.run(main())
    assert ["in rollback" in r.getMessage() for r in caplog.records] == [True]


def test_close_from_another_thread_ends_the_waiting_query(dsn):
    conn = pgwire.connect(dsn, autocommit=True)
    outcome = []

    def query() -> None:
        try:
            conn.execute("SELECT pg_sleep(5)")
            outcome.append("finished")
        except pgwire.OperationalError as exc:
            outcome.append(str(exc))

    worker = threading.Thread(target=query)
    t0 = time.monotonic()
    worker.start()
    time.sleep(0.3)
    conn.close()
    worker.join(3)
    assert not worker.is_alive()
    assert time.monotonic() - t0 < 2
    assert outcome == ["the connection was closed while waiting for the server"]
    assert conn.closed


def test_close_from_another_task_ends_the_waiting_query(dsn):
    async def main() -> list[str]:
        aconn = await pgwire.AsyncConnection.connect(dsn, autocommit=True)
        outcome = []

        async def query() -> None:
            try:
                await aconn.execute("SELECT pg_sleep(5)")
                outcome.append("finished")
            except pgwire.OperationalError as exc:
                outcome.append(str(exc))

        task = asyncio.create_task(query())
        await asyncio.sleep(0.3)
        await aconn.close()
        await asyncio.wait_for(task, 2)
        assert aconn.closed
        return outcome

    t0 = time.monotonic()
    assert asyncio.run(main()) == ["the connection was closed while waiting for the server"]
    assert time.monotonic() - t0 < 2


def test_async_cancel_failure_raised_when_awaited_logged_when_not(pg_server, caplog):
    proxy = Proxy("127.0.0.1", pg_server.port)

    async def main() -> None:
        aconn = await pgwire.AsyncConnection.connect(
            pg_server.dsn, host="127.0.0.1", port=proxy.port, sslmode="disable"
        )
        # The session goes on through the proxy; a cancel request's own
        # connection is refused.
        proxy.listener.close()
        with pytest.raises(pgwire.OperationalError, match="refused"):
            await aconn.cancel()
        assert not caplog.records
        aconn.cancel()  # not awaited: the failure can only be logged
        for _ in range(200):
            if caplog.records:
                break
            await asyncio.sleep(0.01)
        await aconn.close()

    try:
        with caplog.at_level("WARNING", logger="pgwire"):
            asyncio.run(main())
    finally:
        proxy.close()
    assert [r.getMessage().startswith("cancel request failed") for r in caplog.records] == [True]
