"""The blocking Connection against a real server."""

from __future__ import annotations

import asyncio
import logging
import socket
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import pytest

import pgwire
from pgwire import errors


def test_module_globals():
    assert pgwire.apilevel == "2.0"
    assert pgwire.threadsafety == 2
    assert pgwire.paramstyle == "pyformat"
    for name in (
        "Warning",
        "Error",
        "InterfaceError",
        "DatabaseError",
        "DataError",
        "OperationalError",
        "IntegrityError",
        "InternalError",
        "ProgrammingError",
        "NotSupportedError",
    ):
        assert issubclass(getattr(pgwire, name), Exception)
    assert pgwire.NUMBER == 23 and pgwire.STRING == 25 and pgwire.DATETIME == 1184
    assert pgwire.BINARY == 17 and pgwire.ROWID == 26 and pgwire.NUMBER != 25


def test_connect_and_info(conn, pg_server):
    info = conn.info
    assert info.transaction_status == pgwire.TransactionStatus.IDLE
    assert info.server_version // 10000 in (15, 16, 17, 18)
    assert info.backend_pid == conn.execute("SELECT pg_backend_pid()").fetchone()[0]
    assert info.parameter_status("server_encoding") == "UTF8"
    assert info.parameter_status("no_such_param") is None
    assert info.transaction_status == pgwire.TransactionStatus.INTRANS
    assert conn.fileno() > 0
    assert not conn.closed


def test_keyword_arguments_override_dsn(pg_server):
    with pgwire.connect(pg_server.dsn, dbname="test", application_name="pgwire-test") as conn:
        row = conn.execute("SELECT current_database(), current_setting('application_name')")
        assert row.fetchone() == ("test", "pgwire-test")


def test_uri_dsn(pg_server):
    uri = f"postgresql://postgres@127.0.0.1:{pg_server.port}/test?application_name=uri%20app"
    with pgwire.connect(uri) as conn:
        row = conn.execute("SELECT current_database(), current_setting('application_name')")
        assert row.fetchone() == ("test", "uri app")


def test_unknown_keyword(pg_server):
    with pytest.raises(pgwire.ProgrammingError, match="bogus_option"):
        pgwire.connect(pg_server.dsn, bogus_option=1)


def test_close_is_idempotent_and_final(conn):
    conn.close()
    conn.close()
    assert conn.closed
    with pytest.raises(pgwire.OperationalError):
        conn.execute("SELECT 1")
    with pytest.raises(pgwire.Error):
        conn.cursor()


def test_implicit_begin_and_commit(conn, dsn):
    conn.execute("CREATE TABLE tx_commit (a int)")
    assert conn.info.transaction_status == pgwire.TransactionStatus.INTRANS
    with pgwire.connect(dsn) as other:
        assert other.execute("SELECT to_regclass('tx_commit')").fetchone() == (None,)
    conn.commit()
    assert conn.info.transaction_status == pgwire.TransactionStatus.IDLE
    with pgwire.connect(dsn, autocommit=True) as other:
        assert other.execute("SELECT to_regclass('tx_commit')::text").fetchone() == ("tx_commit",)
        other.execute("DROP TABLE tx_commit")


def test_rollback_discards(conn):
    conn.execute("CREATE TABLE tx_rollback (a int)")
    conn.rollback()
    assert conn.execute("SELECT to_regclass('tx_rollback')").fetchone() == (None,)


def test_autocommit(conn, dsn):
    conn.autocommit = True
    assert conn.autocommit
    conn.execute("CREATE TABLE ac_table (a int)")
    assert conn.info.transaction_status == pgwire.TransactionStatus.IDLE
    with pgwire.connect(dsn, autocommit=True) as other:
        assert other.execute("SELECT to_regclass('ac_table')::text").fetchone() == ("ac_table",)
    conn.execute("DROP TABLE ac_table")
    conn.autocommit = False
    conn.execute("SELECT 1")
    with pytest.raises(pgwire.ProgrammingError):
        conn.autocommit = True
    conn.rollback()
    conn.autocommit = True


def test_failed_transaction_until_rollback(conn):
    with pytest.raises(errors.UndefinedTable) as info:
        conn.execute("SELECT * FROM no_such_table")
    assert info.value.sqlstate == "42P01"
    assert info.value.diag.message_primary.startswith('relation "no_such_table"')
    assert info.value.diag.severity == "ERROR"
    with pytest.raises(errors.InFailedSqlTransaction):
        conn.execute("SELECT 1")
    assert conn.info.transaction_status == pgwire.TransactionStatus.INERROR
    conn.rollback()
    assert conn.execute("SELECT 1").fetchone() == (1,)


def test_with_connection_commits(dsn):
    with pgwire.connect(dsn) as conn:
        conn.execute("CREATE TABLE with_commit (a int)")
    assert conn.closed
    with pgwire.connect(dsn, autocommit=True) as conn:
        assert conn.execute("SELECT to_regclass('with_commit')::text").fetchone() == (
            "with_commit",
        )
        conn.execute("DROP TABLE with_commit")


def test_with_connection_rolls_back_on_error(dsn):
    with pytest.raises(ZeroDivisionError):
        with pgwire.connect(dsn) as conn:
            conn.execute("CREATE TABLE with_rollback (a int)")
            1 / 0  # noqa: B018
    assert conn.closed
    with pgwire.connect(dsn) as conn:
        assert conn.execute("SELECT to_regclass('with_rollback')").fetchone() == (None,)


def test_transaction_blocks_and_savepoints(conn):
    conn.autocommit = True
    conn.execute("CREATE TEMP TABLE items (a int)")
    with conn.transaction():
        conn.execute("INSERT INTO items VALUES (1)")
        with pytest.raises(errors.UniqueViolation):
            with conn.transaction() as inner:
                assert inner.savepoint_name
                conn.execute("INSERT INTO items VALUES (2)")
                conn.execute("CREATE UNIQUE INDEX ON items (a)")
                conn.execute("INSERT INTO items VALUES (1)")
        with conn.transaction():
            conn.execute("INSERT INTO items VALUES (3)")
            raise pgwire.Rollback()
        conn.execute("INSERT INTO items VALUES (4)")
    assert conn.info.transaction_status == pgwire.TransactionStatus.IDLE
    assert conn.execute("SELECT a FROM items ORDER BY a").fetchall() == [(1,), (4,)]
    with pytest.raises(RuntimeError):
        with conn.transaction():
            conn.execute("INSERT INTO items VALUES (5)")
            raise RuntimeError("boom")
    assert conn.execute("SELECT count(*) FROM items").fetchone() == (2,)


def test_transaction_inside_implicit_transaction_is_savepoint(conn):
    conn.execute("CREATE TEMP TABLE things (a int)")
    with conn.transaction() as tx:
        assert tx.savepoint_name is not None
        conn.execute("INSERT INTO things VALUES (1)")
    assert conn.info.transaction_status == pgwire.TransactionStatus.INTRANS
    with pytest.raises(pgwire.ProgrammingError):
        with conn.transaction():
            conn.commit()
    conn.rollback()


def test_connection_refused_within_timeout():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    t0 = time.monotonic()
    with pytest.raises(pgwire.OperationalError):
        pgwire.connect(host="127.0.0.1", port=port, user="x", dbname="x", connect_timeout=3)
    assert time.monotonic() - t0 < 3.5


def _connect_with(driver: str, params: dict) -> None:
    """Connect with the blocking or the asyncio driver (the connection is not kept)."""
    if driver == "blocking":
        pgwire.connect(**params)
    else:
        asyncio.run(pgwire.AsyncConnection.connect(**params))


@pytest.mark.parametrize("driver", ["blocking", "asyncio"])
def test_connect_timeout_on_silent_server(driver):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        params = dict(
            host="127.0.0.1", port=port, user="x", dbname="x", connect_timeout=2, sslmode="disable"
        )
        t0 = time.monotonic()
        with pytest.raises(pgwire.OperationalError) as info:
            _connect_with(driver, params)
        assert 1.5 < time.monotonic() - t0 < 4
    # The same error and words from both drivers, naming the server.
    assert isinstance(info.value, pgwire.errors.ConnectionTimeout)
    assert str(info.value) == (
        f'connection to server at "127.0.0.1", port {port} failed: connection timeout expired'
    )


@pytest.mark.parametrize("driver", ["blocking", "asyncio"])
def test_connect_timeout_while_the_tcp_handshake_waits(driver):
    # A listener whose accept queue is full drops new SYNs: connect() itself waits.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        fillers = []
        for _ in range(4):
            filler = socket.socket()
            filler.setblocking(False)
            try:
                filler.connect(("127.0.0.1", port))
            except BlockingIOError:
                pass
            fillers.append(filler)
        try:
            params = dict(
                host="127.0.0.1",
                port=port,
                user="x",
                dbname="x",
                connect_timeout=2,
                sslmode="disable",
            )
            t0 = time.monotonic()
            with pytest.raises(pgwire.errors.ConnectionTimeout, match="connection timeout expired"):
                _connect_with(driver, params)
            assert 1.5 < time.monotonic() - t0 < 4
        finally:
            for filler in fillers:
                filler.close()


@pytest.mark.parametrize("driver", ["blocking", "asyncio"])
def test_every_failed_host_is_reported(driver):
    with socket.socket() as silent, socket.socket() as closed:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        closed.bind(("127.0.0.1", 0))
        ports = [silent.getsockname()[1], closed.getsockname()[1]]
        params = dict(
            host="127.0.0.1,127.0.0.1",
            port=f"{ports[0]},{ports[1]}",
            user="x",
            dbname="x",
            connect_timeout=2,
            sslmode="disable",
        )
        with pytest.raises(pgwire.OperationalError) as info:
            _connect_with(driver, params)
    lines = str(info.value).splitlines()
    assert lines[0] == "Multiple connection attempts failed. All failures were:"
    assert len(lines) == 3
    assert lines[1].startswith(f"- host: '127.0.0.1', port: '{ports[0]}', hostaddr: ")
    assert lines[1].endswith("connection timeout expired")
    assert lines[2].startswith(f"- host: '127.0.0.1', port: '{ports[1]}', hostaddr: ")
    assert "refused" in lines[2].lower()


def test_unknown_host():
    with pytest.raises(pgwire.OperationalError):
        pgwire.connect(host="no-such-host.invalid", user="x", dbname="x", connect_timeout=3)


def test_multi_host_falls_through(pg_server):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead_port = s.getsockname()[1]
    with pgwire.connect(
        host="127.0.0.1,127.0.0.1",
        port=f"{dead_port},{pg_server.port}",
        user="postgres",
        dbname="postgres",
    ) as conn:
        assert conn.info.port == pg_server.port


def test_target_session_attrs(pg_server):
    with pgwire.connect(pg_server.dsn, target_session_attrs="read-write") as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
    with pytest.raises(pgwire.OperationalError):
        pgwire.connect(pg_server.dsn, target_session_attrs="standby")


def test_backend_terminated_mid_query(conn, dsn):
    pid = conn.info.backend_pid
    with pgwire.connect(dsn, autocommit=True) as admin:
        cur = conn.cursor()
        cur.execute("SELECT pg_sleep(10)", async_=True)
        time.sleep(0.2)
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    t0 = time.monotonic()
    with pytest.raises(pgwire.OperationalError):
        cur.fetchall()
    assert time.monotonic() - t0 < 5
    assert conn.closed
    with pytest.raises(pgwire.OperationalError):
        conn.execute("SELECT 1")


def test_backend_terminated_while_idle(conn, dsn):
    with pgwire.connect(dsn, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (conn.info.backend_pid,))
    time.sleep(0.2)
    with pytest.raises(pgwire.OperationalError):
        conn.execute("SELECT 1")
    assert conn.closed


def test_notice_handlers(conn, caplog):
    got = []
    conn.add_notice_handler(got.append)
    conn.execute("DO $$ BEGIN RAISE NOTICE 'hello %', 42; END $$")
    assert [d.message_primary for d in got] == ["hello 42"]
    assert got[0].severity == "NOTICE"
    conn.remove_notice_handler(got.append)
    with caplog.at_level(logging.INFO, logger="pgwire"):
        conn.execute("DO $$ BEGIN RAISE WARNING 'careful'; END $$")
    assert "careful" in caplog.text


def test_parameter_status_tracked(conn):
    conn.execute("SET TimeZone TO 'Asia/Kolkata'")
    assert conn.info.parameter_status("TimeZone") == "Asia/Kolkata"
    conn.execute("SET application_name TO 'changed'")
    assert conn.info.parameter_status("application_name") == "changed"


def test_notifies_iterator(conn, dsn):
    conn.autocommit = True
    conn.execute("LISTEN events")
    with pgwire.connect(dsn, autocommit=True) as other:
        other.execute("NOTIFY events, 'one'")
        other.execute("NOTIFY events, 'two'")
    got = list(conn.notifies(timeout=1))
    assert [(n.channel, n.payload) for n in got] == [("events", "one"), ("events", "two")]
    assert got[0].pid != conn.info.backend_pid
    t0 = time.monotonic()
    assert list(conn.notifies(timeout=0.3)) == []
    assert 0.25 < time.monotonic() - t0 < 2
    assert conn.execute("SELECT 1").fetchone() == (1,)


def test_repr_hides_password(pg_server):
    users = getattr(pg_server, "auth_users", None)
    if not users:
        pytest.skip("no auth users")
    user, password = users["scram-sha-256"]
    with pgwire.connect(
        host="127.0.0.1", port=pg_server.port, user=user, password=password, dbname="postgres"
    ) as conn:
        assert password not in repr(conn)
        assert password not in repr(conn._params)


def test_transaction_characteristics(conn):
    conn.isolation_level = pgwire.IsolationLevel.SERIALIZABLE
    conn.read_only = True
    assert conn.execute("SHOW transaction_isolation").fetchone() == ("serializable",)
    with pytest.raises(errors.ReadOnlySqlTransaction):
        conn.execute("CREATE TABLE ro_table (a int)")
    conn.rollback()
    conn.isolation_level = pgwire.IsolationLevel.REPEATABLE_READ
    conn.read_only = None
    with conn.transaction():
        assert conn.execute("SHOW transaction_isolation").fetchone() == ("repeatable read",)
        assert conn.execute("SHOW transaction_read_only").fetchone() == ("off",)


def test_unread_notifications_keep_bounded_memory(conn, dsn, caplog):
    conn.autocommit = True
    conn.max_queued_notifies = 1000
    conn.execute("LISTEN pgwire_flood")
    with pgwire.connect(dsn, autocommit=True) as other:
        other.execute("SELECT pg_notify('pgwire_flood', n::text) FROM generate_series(1, 5000) n")
    tracemalloc.start()
    try:
        with caplog.at_level(logging.WARNING, logger="pgwire"):
            # Notifications are read along with the answers of later queries.
            for _ in range(20):
                conn.execute("SELECT pg_sleep(0.01)")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(conn._notifies) == 1000
    assert conn.dropped_notifies == 4000
    assert any("dropping the oldest" in r.getMessage() for r in caplog.records)
    # The newest are kept.
    got = [n.payload for n in conn.notifies(timeout=0, stop_after=1000)]
    assert got == [str(n) for n in range(4001, 5001)]
    assert peak < 5 * 1024 * 1024


@pytest.mark.parametrize("driver", ["blocking", "asyncio"])
@pytest.mark.parametrize(
    "option", [{"target_session_attrs": "nosuchmode"}, {"sslmode": "bogus"}, {"port": "x"}]
)
def test_invalid_option_is_refused_before_connecting(driver, option):
    with socket.socket() as nobody:
        nobody.bind(("127.0.0.1", 0))
        params = {"host": "127.0.0.1", "port": nobody.getsockname()[1], "user": "x", **option}
        with pytest.raises(pgwire.errors.InvalidConnectionOption, match=next(iter(option))) as info:
            _connect_with(driver, params)
    # Caught as pgwire documents it, and as code written for psycopg catches it.
    assert isinstance(info.value, pgwire.ProgrammingError)
    assert isinstance(info.value, pgwire.OperationalError)


def test_the_session_time_zone_is_resolved_when_first_needed(
    dsn: str, isolated_script: Callable[..., Any]
) -> None:
    """zoneinfo (and the tz database) wait for the first timestamptz of a process."""
    code = """
        import sys
        import pgwire

        with pgwire.connect(sys.argv[1]) as conn:
            conn.execute("SET TimeZone = 'Europe/Rome'")
            assert conn.execute("SELECT 1, 'x', now()::date").fetchone()[0] == 1
            assert "zoneinfo" not in sys.modules
            at = conn.execute("SELECT '2024-07-01 12:00+00'::timestamptz").fetchone()[0]
            assert str(at.tzinfo) == "Europe/Rome" and at.hour == 14, at
            assert str(conn.info.timezone) == "Europe/Rome"
            conn.execute("SET TimeZone = 'UTC'")
            at = conn.execute("SELECT '2024-07-01 12:00+00'::timestamptz").fetchone()[0]
            assert at.utcoffset().total_seconds() == 0 and at.hour == 12, at
        """
    out = isolated_script(code, dsn)
    assert out.returncode == 0, out.stderr
