"""Replication connections and streams against a real server with wal_level=logical."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import select
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

# A Proxy in front of the server that can replace what it sends (see test_faults).
from test_faults import Proxy

import pgwire
from pgwire import replication as r
from pgwire.errors import InterfaceError, OperationalError, ProgrammingError
from pgwire.protocol.replication import parse_lsn


@pytest.fixture
def sql(logical_server: Any) -> Iterator[pgwire.Connection]:
    conn = pgwire.connect(logical_server.dsn, autocommit=True)
    yield conn
    conn.close()


def repl(server: Any, **kwargs: Any) -> pgwire.Connection:
    return pgwire.connect(server.dsn, replication="database", **kwargs)


class Feed:
    """A publication over fresh tables and a slot on it, dropped afterwards."""

    def __init__(self, server: Any, sql: pgwire.Connection, tables: dict[str, str]) -> None:
        self.server = server
        self.sql = sql
        tag = uuid.uuid4().hex[:8]
        self.tables = {name: f"{name}_{tag}" for name in tables}
        for name, columns in tables.items():
            sql.execute(f"CREATE TABLE {self.tables[name]} ({columns})")
        self.publication = f"pub_{tag}"
        self.slot = f"slot_{tag}"
        sql.execute(
            f"CREATE PUBLICATION {self.publication} FOR TABLE {', '.join(self.tables.values())}"
        )

    def create_slot(self, options: str = "") -> None:
        with repl(self.server) as conn:
            conn.execute(f"CREATE_REPLICATION_SLOT {self.slot} LOGICAL pgoutput {options}")

    def stream(self, conn: pgwire.Connection, **kwargs: Any) -> r.ReplicationStream:
        kwargs.setdefault("publication_names", [self.publication])
        return conn.start_replication(self.slot, **kwargs)

    def drop(self) -> None:
        self.sql.execute(
            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
            " WHERE slot_name = %s AND NOT active",
            (self.slot,),
        )


@pytest.fixture
def feed_factory(logical_server: Any, sql: pgwire.Connection) -> Iterator[Any]:
    feeds: list[Feed] = []

    def make(**tables: str) -> Feed:
        feed = Feed(logical_server, sql, tables)
        feeds.append(feed)
        return feed

    yield make
    time.sleep(0.05)  # let walsenders of closed connections go
    for feed in feeds:
        feed.drop()


def until_commits(stream: Any, count: int, timeout: float = 30.0) -> list[Any]:
    """The messages of the stream up to its ``count``-th Commit."""
    out: list[Any] = []
    deadline = time.monotonic() + timeout
    for msg in stream:
        out.append(msg)
        if isinstance(msg, r.Commit):  # StreamCommit and CommitPrepared too
            count -= 1
            if count == 0:
                return out
        assert time.monotonic() < deadline, "the stream took too long"
    raise AssertionError("the stream ended early")


def changes(messages: list[Any]) -> list[tuple[str, Any, ...]]:
    out: list[tuple[Any, ...]] = []
    for msg in messages:
        if isinstance(msg, r.Insert):
            out.append(("I", msg.relation.name, msg.new))
        elif isinstance(msg, r.Update):
            out.append(("U", msg.relation.name, msg.old, msg.new))
        elif isinstance(msg, r.Delete):
            out.append(("D", msg.relation.name, msg.old))
        elif isinstance(msg, r.Truncate):
            out.append(("T", tuple(sorted(rel.name for rel in msg.relations))))
    return out


# --- connections and commands ---------------------------------------------------------


def test_replication_keyword_values(logical_server: Any) -> None:
    for value, expected in (("database", "postgres"), ("true", None), ("on", None), ("1", None)):
        with pgwire.connect(logical_server.dsn, replication=value) as conn:
            assert conn.autocommit
            systemid, timeline, xlogpos, dbname = conn.execute("IDENTIFY_SYSTEM").fetchone()
            assert int(systemid) > 0 and timeline >= 1 and parse_lsn(xlogpos) > 0
            assert dbname == expected
    for value in ("false", "off", "0"):
        with pgwire.connect(logical_server.dsn, replication=value) as conn:
            assert not conn.autocommit
            assert conn.execute("SELECT 1").fetchone() == (1,)
    with pytest.raises(ProgrammingError, match="replication"):
        pgwire.connect(logical_server.dsn, replication="maybe")
    with pytest.raises(ProgrammingError, match="replication"):
        pgwire.connect(logical_server.dsn + " replication=Database2")


def test_replication_commands(logical_server: Any, sql: pgwire.Connection) -> None:
    name = "cmd_" + uuid.uuid4().hex[:8]
    with repl(logical_server) as conn:
        cur = conn.execute(f"CREATE_REPLICATION_SLOT {name} TEMPORARY LOGICAL pgoutput")
        assert [d.name for d in cur.description] == [
            "slot_name",
            "consistent_point",
            "snapshot_name",
            "output_plugin",
        ]
        slot, point, snapshot, plugin = cur.fetchone()
        assert (slot, plugin) == (name, "pgoutput") and parse_lsn(point) > 0 and snapshot
        # SQL runs too on a logical replication connection.
        assert conn.execute("SELECT 40 + 2").fetchone() == (42,)
        with pytest.raises(pgwire.DatabaseError):
            conn.execute("TIMELINE_HISTORY 1")  # timeline 1 has no history file
        assert conn.execute("IDENTIFY_SYSTEM").fetchone()[3] == "postgres"
    # The temporary slot went with its session.
    time.sleep(0.1)
    assert sql.execute(
        "SELECT count(*) FROM pg_replication_slots WHERE slot_name = %s", (name,)
    ).fetchone() == (0,)

    with pgwire.connect(logical_server.dsn, replication="true") as conn:
        conn.execute(f"CREATE_REPLICATION_SLOT {name}_p PHYSICAL RESERVE_WAL")
        if conn.server_version >= 150000:
            row = conn.execute(f"READ_REPLICATION_SLOT {name}_p").fetchone()
            assert row[0] == "physical" and parse_lsn(row[1]) > 0 and row[2] >= 1
        conn.execute(f"DROP_REPLICATION_SLOT {name}_p")
        with pytest.raises(pgwire.DatabaseError):
            conn.execute("SELECT 1")  # no SQL on a physical replication connection
        assert conn.execute("IDENTIFY_SYSTEM").fetchone()[3] is None


def test_export_and_use_snapshot(feed_factory: Any, sql: pgwire.Connection) -> None:
    feed = feed_factory(t="id int primary key")
    sql.execute(f"INSERT INTO {feed.tables['t']} VALUES (1), (2)")
    with repl(feed.server) as exporter:
        _, _, snapshot, _ = exporter.execute(
            f"CREATE_REPLICATION_SLOT {feed.slot} LOGICAL pgoutput EXPORT_SNAPSHOT"
        ).fetchone()
        with pgwire.connect(feed.server.dsn) as reader:
            reader.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
            reader.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
            sql.execute(f"INSERT INTO {feed.tables['t']} VALUES (3)")
            # The snapshot sees the table as the slot starts: the new row comes by the stream.
            assert reader.execute(f"SELECT count(*) FROM {feed.tables['t']}").fetchone() == (2,)
    with repl(feed.server) as conn:
        with conn.start_replication(feed.slot, publication_names=[feed.publication]) as stream:
            assert changes(until_commits(stream, 1)) == [("I", feed.tables["t"], (3,))]
    slot2 = feed.slot + "_u"
    with repl(feed.server, autocommit=True) as conn:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        conn.execute(f"CREATE_REPLICATION_SLOT {slot2} TEMPORARY LOGICAL pgoutput USE_SNAPSHOT")
        assert conn.execute(f"SELECT count(*) FROM {feed.tables['t']}").fetchone() == (3,)
        conn.execute("COMMIT")


# --- logical streams ------------------------------------------------------------------


@pytest.mark.parametrize("binary", [False, True], ids=["text", "binary"])
def test_changes_arrive_in_commit_order_with_values(
    feed_factory: Any, sql: pgwire.Connection, binary: bool
) -> None:
    feed = feed_factory(
        a="id int primary key, name text, amount numeric, at timestamptz, tags text[], doc jsonb",
        b="k uuid primary key, d date, f float8, raw bytea, flag bool",
    )
    feed.create_slot()
    a, b = feed.tables["a"], feed.tables["b"]
    sql.execute(f"ALTER TABLE {b} REPLICA IDENTITY FULL")
    key = uuid.uuid4()
    with sql.transaction():
        sql.execute(
            f"INSERT INTO {a} VALUES (1, 'one', 1.50, '2024-05-06 07:08:09.123456+00',"
            " '{x,\"y z\"}', '{\"k\": [1, null]}'), (2, NULL, '-0.50', NULL, '{}', 'null')"
        )
        sql.execute(f"INSERT INTO {b} VALUES (%s, '2020-02-29', 0.1, '\\x00ff', true)", (key,))
    sql.execute(f"UPDATE {a} SET name = 'uno' WHERE id = 1")
    sql.execute(f"UPDATE {a} SET id = 3 WHERE id = 2")
    sql.execute(f"UPDATE {b} SET flag = false")
    sql.execute(f"DELETE FROM {a} WHERE id = 1")
    sql.execute(f"DELETE FROM {b}")
    sql.execute(f"TRUNCATE {a}, {b}")

    with repl(feed.server) as conn:
        with feed.stream(conn, binary=binary) as stream:
            messages = until_commits(stream, 7)
    # What a SELECT returns for the same rows.
    row1 = sql.execute(
        "SELECT 1, 'one'::text, 1.50::numeric, '2024-05-06 07:08:09.123456+00'::timestamptz,"
        " '{x,\"y z\"}'::text[], '{\"k\": [1, null]}'::jsonb"
    ).fetchone()
    brow = sql.execute(
        "SELECT %s::uuid, '2020-02-29'::date, 0.1::float8, '\\x00ff'::bytea, true", (key,)
    ).fetchone()
    assert row1 == (
        1,
        "one",
        Decimal("1.50"),
        dt.datetime(2024, 5, 6, 7, 8, 9, 123456, dt.timezone.utc),
        ["x", "y z"],
        {"k": [1, None]},
    )
    assert changes(messages) == [
        ("I", a, row1),
        ("I", a, (2, None, Decimal("-0.50"), None, [], None)),
        ("I", b, brow),
        ("U", a, None, (1, "uno", *row1[2:])),
        ("U", a, (2, None, None, None, None, None), (3, None, Decimal("-0.50"), None, [], None)),
        ("U", b, brow, (*brow[:4], False)),
        ("D", a, (1, None, None, None, None, None)),
        ("D", b, (*brow[:4], False)),
        ("T", tuple(sorted([a, b]))),
    ]
    kinds = [type(m).__name__ for m in messages if not isinstance(m, (r.Relation, r.Type))]
    assert kinds[:4] == ["Begin", "Insert", "Insert", "Insert"]
    commits = [m for m in messages if isinstance(m, r.Commit)]
    assert len(commits) == 7
    assert [c.commit_lsn for c in commits] == sorted(c.commit_lsn for c in commits)
    assert all(c.lsn == c.end_lsn for c in commits)
    insert = next(m for m in messages if isinstance(m, r.Insert))
    assert insert.as_dict(insert.new)["name"] == "one"
    assert insert.relation.columns[0].key and insert.relation.namespace == "public"


def test_ack_means_never_again_and_unacked_comes_again(
    feed_factory: Any, sql: pgwire.Connection
) -> None:
    feed = feed_factory(t="id int primary key")
    feed.create_slot()
    for i in range(1, 6):
        sql.execute(f"INSERT INTO {feed.tables['t']} VALUES ({i})")
    with repl(feed.server) as conn:
        with feed.stream(conn) as stream:
            messages = until_commits(stream, 3)
            stream.ack(messages[-1])  # transactions 1..3 done
            more = until_commits(stream, 2)  # 4 and 5 seen, not acknowledged
    assert [c[2] for c in changes(messages + more)] == [(i,) for i in range(1, 6)]
    with repl(feed.server) as conn:
        with feed.stream(conn) as stream:
            again = until_commits(stream, 2)
            assert [c[2] for c in changes(again)] == [(4,), (5,)]
            stream.ack(again[-1].lsn)
    sql.execute(f"INSERT INTO {feed.tables['t']} VALUES (6)")
    with repl(feed.server) as conn:
        with feed.stream(conn) as stream:
            assert [c[2] for c in changes(until_commits(stream, 1))] == [(6,)]


def test_logical_messages_and_truncate_options(feed_factory: Any, sql: pgwire.Connection) -> None:
    feed = feed_factory(t="id serial primary key")
    feed.create_slot()
    with sql.transaction():
        sql.execute("SELECT pg_logical_emit_message(true, 'app', 'hello')")
        sql.execute(f"INSERT INTO {feed.tables['t']} DEFAULT VALUES")
    sql.execute("SELECT pg_logical_emit_message(false, 'app', '\\x00ff'::bytea)")
    sql.execute(f"TRUNCATE {feed.tables['t']} RESTART IDENTITY CASCADE")
    with repl(feed.server) as conn:
        with feed.stream(conn, messages=True, proto_version=1) as stream:
            got = until_commits(stream, 2)
    messages = [m for m in got if isinstance(m, r.Message)]
    assert [(m.transactional, m.prefix, m.content) for m in messages] == [
        (True, "app", b"hello"),
        (False, "app", b"\x00\xff"),
    ]
    truncate = next(m for m in got if isinstance(m, r.Truncate))
    assert truncate.cascade and truncate.restart_identity


def test_streamed_large_transaction(feed_factory: Any, sql: pgwire.Connection) -> None:
    feed = feed_factory(t="id int primary key, filler text")
    feed.create_slot()
    rows = 3000
    sql.execute(
        f"INSERT INTO {feed.tables['t']}"
        f" SELECT i, repeat('x', 100) FROM generate_series(1, {rows}) i"
    )
    with repl(feed.server, options="-c logical_decoding_work_mem=64kB") as conn:
        with feed.stream(conn, streaming=True) as stream:
            got = until_commits(stream, 1, timeout=60)
    starts = [m for m in got if isinstance(m, r.StreamStart)]
    stops = [m for m in got if isinstance(m, r.StreamStop)]
    assert len(starts) >= 2 and len(starts) == len(stops)
    assert starts[0].first_segment and not starts[1].first_segment
    inserts = [m for m in got if isinstance(m, r.Insert)]
    assert [m.new[0] for m in inserts] == list(range(1, rows + 1))
    assert {m.xid for m in inserts} == {starts[0].xid}
    assert isinstance(got[-1], r.StreamCommit) and got[-1].xid == starts[0].xid
    assert not any(isinstance(m, r.Begin) for m in got)


def test_toast_types_and_origin(feed_factory: Any, sql: pgwire.Connection) -> None:
    mood = "mood_" + uuid.uuid4().hex[:8]
    sql.execute(f"CREATE TYPE {mood} AS ENUM ('sad', 'happy')")
    feed = feed_factory(t=f"id int primary key, m {mood}, big text, n int")
    feed.create_slot()
    big = "".join(str(i) for i in range(20000))  # stored out of line, compressed or not
    sql.execute(f"INSERT INTO {feed.tables['t']} VALUES (1, 'happy', %s, 0)", (big,))
    sql.execute(f"UPDATE {feed.tables['t']} SET n = 1")
    origin = "origin_" + uuid.uuid4().hex[:8]
    with pgwire.connect(feed.server.dsn, autocommit=True) as other:
        other.execute("SELECT pg_replication_origin_create(%s)", (origin,))
        other.execute("SELECT pg_replication_origin_session_setup(%s)", (origin,))
        other.execute(f"INSERT INTO {feed.tables['t']} VALUES (2, 'sad', 'x', 2)")
        other.execute("SELECT pg_replication_origin_session_reset()")
        other.execute("SELECT pg_replication_origin_drop(%s)", (origin,))
    with repl(feed.server) as conn:
        with feed.stream(conn) as stream:
            got = until_commits(stream, 3)
    types = [m for m in got if isinstance(m, r.Type)]
    assert [(t.name, t.namespace) for t in types] == [(mood, "public")]
    assert (
        types[0].type_oid == next(m for m in got if isinstance(m, r.Relation)).columns[1].type_oid
    )
    insert, update, insert2 = (m for m in got if isinstance(m, (r.Insert, r.Update)))
    assert insert.new == (1, "happy", big, 0)
    assert update.new == (1, "happy", r.UNCHANGED_TOAST, 1)
    assert insert2.new == (2, "sad", "x", 2)
    origins = [m for m in got if isinstance(m, r.Origin)]
    assert [o.name for o in origins] == [origin]


def test_streamed_transaction_aborted(feed_factory: Any, sql: pgwire.Connection) -> None:
    feed = feed_factory(t="id int primary key, filler text")
    feed.create_slot()
    parallel = sql.server_version >= 160000
    with pgwire.connect(feed.server.dsn) as other:
        other.execute(
            f"INSERT INTO {feed.tables['t']}"
            " SELECT i, repeat('z', 100) FROM generate_series(1, 2000) i"
        )
        with repl(feed.server, options="-c logical_decoding_work_mem=64kB") as conn:
            streaming = "parallel" if parallel else True
            with feed.stream(conn, streaming=streaming) as stream:
                got = []
                for msg in stream:  # the open transaction is streamed...
                    got.append(msg)
                    if isinstance(msg, r.StreamStop):
                        break
                other.rollback()  # ... then aborted
                sql.execute(f"INSERT INTO {feed.tables['t']} VALUES (0, 'kept')")
                got += until_commits(stream, 1, timeout=60)
    aborts = [m for m in got if isinstance(m, r.StreamAbort)]
    assert len(aborts) == 1 and aborts[0].xid == aborts[0].subxid
    assert any(isinstance(m, r.StreamStart) and m.xid == aborts[0].xid for m in got)
    if parallel:  # protocol version 4 tells where and when
        assert aborts[0].abort_lsn and aborts[0].abort_time is not None
    else:
        assert aborts[0].abort_lsn is None
    assert changes(got)[-1] == ("I", feed.tables["t"], (0, "kept"))


def test_two_phase(feed_factory: Any, sql: pgwire.Connection) -> None:
    if sql.server_version < 150000:
        pytest.skip("two-phase decoding over the replication protocol needs PostgreSQL 15")
    feed = feed_factory(t="id int primary key")
    feed.create_slot("(TWO_PHASE true)")
    with pgwire.connect(feed.server.dsn, autocommit=True) as other:
        other.execute("BEGIN")
        other.execute(f"INSERT INTO {feed.tables['t']} VALUES (1)")
        other.execute("PREPARE TRANSACTION 'gx1'")
        other.execute("COMMIT PREPARED 'gx1'")
        other.execute("BEGIN")
        other.execute(f"INSERT INTO {feed.tables['t']} VALUES (2)")
        other.execute("PREPARE TRANSACTION 'gx2'")
        other.execute("ROLLBACK PREPARED 'gx2'")
    with repl(feed.server) as conn:
        with feed.stream(conn, two_phase=True) as stream:
            got = []
            for msg in stream:
                got.append(msg)
                if isinstance(msg, r.RollbackPrepared):
                    break
    kinds = [type(m).__name__ for m in got if not isinstance(m, r.Relation)]
    assert kinds == [
        "BeginPrepare",
        "Insert",
        "Prepare",
        "CommitPrepared",
        "BeginPrepare",
        "Insert",
        "Prepare",
        "RollbackPrepared",
    ]
    assert [m.gid for m in got if isinstance(m, r.Prepare)] == ["gx1", "gx2"]


def test_options_checked_before_sending(feed_factory: Any) -> None:
    with repl_conn(feed_factory) as conn:
        with pytest.raises(ProgrammingError, match="publication_names"):
            conn.start_replication("s")
        with pytest.raises(ProgrammingError, match="proto_version"):
            conn.start_replication("s", publication_names=["p"], proto_version=1, streaming=True)
        with pytest.raises(ProgrammingError, match="slot_name"):
            conn.start_replication(publication_names=["p"])
        with pytest.raises(pgwire.DatabaseError):
            conn.start_replication("no_such_slot", publication_names=["p"])
        assert conn.execute("SELECT 1").fetchone() == (1,)


def repl_conn(feed_factory: Any) -> pgwire.Connection:
    return repl(feed_factory(t="id int").server)


def test_start_replication_through_execute_is_refused(feed_factory: Any) -> None:
    feed = feed_factory(t="id int")
    feed.create_slot()
    with repl(feed.server) as conn:
        command = (
            f"START_REPLICATION SLOT {feed.slot} LOGICAL 0/0"
            f" (proto_version '1', publication_names '{feed.publication}')"
        )
        with pytest.raises(pgwire.NotSupportedError, match="start_replication"):
            conn.execute(command)
        assert conn.execute("SELECT 1").fetchone() == (1,)
        with pytest.raises(pgwire.NotSupportedError, match="start_replication"):
            with conn.cursor().copy(command):
                pass
        assert conn.closed  # COPY BOTH inside copy(): given up


def test_plain_connection_refuses(sql: pgwire.Connection) -> None:
    with pytest.raises(ProgrammingError, match="replication connection"):
        sql.start_replication("s", publication_names=["p"])


def test_consumer_killed_loses_and_duplicates_nothing(
    feed_factory: Any, sql: pgwire.Connection
) -> None:
    feed = feed_factory(t="id int primary key")
    feed.create_slot()
    total = 200
    for start in range(1, total + 1, 20):
        with sql.transaction():
            for i in range(start, start + 20):
                sql.execute(f"INSERT INTO {feed.tables['t']} VALUES ({i})")
    # One transaction per id from here: acknowledged one by one.
    script = textwrap.dedent(
        f"""
        import sys, time, pgwire
        from pgwire import replication as r
        conn = pgwire.connect({feed.server.dsn!r}, replication="database")
        stream = conn.start_replication({feed.slot!r}, publication_names=[{feed.publication!r}])
        pending = []
        for msg in stream:
            if isinstance(msg, r.Insert):
                pending.append(msg.new[0])
            elif isinstance(msg, r.Commit):
                print("seen", *pending, flush=True)
                stream.ack(msg)
                print("acked", *pending, flush=True)
                pending = []
                time.sleep(0.05)
        """
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    proc = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, env=env, text=True
    )
    assert proc.stdout is not None
    seen: list[int] = []
    acked: list[int] = []
    deadline = time.monotonic() + 30
    while len(acked) < 60 and time.monotonic() < deadline:
        line = proc.stdout.readline().split()
        if not line:
            break
        (acked if line[0] == "acked" else seen).extend(map(int, line[1:]))
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    for line in proc.stdout.read().splitlines():
        words = line.split()
        (acked if words[0] == "acked" else seen).extend(map(int, words[1:]))
    proc.stdout.close()
    assert len(acked) >= 60
    with repl(feed.server) as conn:
        with feed.stream(conn) as stream:
            rest = [c[2][0] for c in changes(until_commits(stream, (total - len(acked)) // 20))]
    # Nothing acknowledged comes again; everything else does, in order.
    assert not set(rest) & set(acked)
    assert sorted(acked) + rest == list(range(1, total + 1))


@pytest.mark.parametrize("pause", [0.0, 2.5], ids=["many-short-stops", "one-long-stop"])
def test_slow_consumer_is_not_timed_out(
    feed_factory: Any, sql: pgwire.Connection, pause: float
) -> None:
    feed = feed_factory(t="id int primary key, filler text")
    feed.create_slot()
    for i in range(30):
        sql.execute(f"INSERT INTO {feed.tables['t']} VALUES ({i}, repeat('y', 2000))")
    started = time.monotonic()
    with repl(feed.server, options="-c wal_sender_timeout=1000") as conn:
        with feed.stream(conn, status_interval=0.2) as stream:
            got = []
            for msg in stream:
                if isinstance(msg, r.Insert):
                    got.append(msg.new[0])
                    # 3 s in all, three times the timeout; or one stop 2.5 times as long.
                    time.sleep(pause if len(got) == 1 else 0.0 if pause else 0.1)
                elif isinstance(msg, r.Commit) and len(got) == 30:
                    break
        assert conn.execute("SELECT 1").fetchone() == (1,)
    assert got == list(range(30))
    assert time.monotonic() - started > 2.5


def test_non_blocking_reads_and_select(feed_factory: Any, sql: pgwire.Connection) -> None:
    feed = feed_factory(t="id int primary key")
    feed.create_slot()
    with repl(feed.server) as conn:
        stream = feed.stream(conn, status_interval=0.5)
        t0 = time.monotonic()
        while stream.read_message() is not None:
            pass  # whatever the server sent at the start
        assert stream.read_message() is None
        assert time.monotonic() - t0 < 0.5
        sql.execute(f"INSERT INTO {feed.tables['t']} VALUES (7)")
        got: list[Any] = []
        deadline = time.monotonic() + 10
        while not any(isinstance(m, r.Commit) for m in got):
            assert time.monotonic() < deadline
            readable, _, _ = select.select([stream], [], [], stream.status_due_in())
            msg = stream.read_message()
            while msg is not None:
                got.append(msg)
                msg = stream.read_message()
        assert changes(got) == [("I", feed.tables["t"], (7,))]
        stream.stop()
        assert stream.closed
        with pytest.raises(ProgrammingError):
            stream.ack(got[-1])
        assert conn.execute("IDENTIFY_SYSTEM").fetchone()


def test_connection_busy_while_streaming(feed_factory: Any) -> None:
    feed = feed_factory(t="id int")
    feed.create_slot()
    with repl(feed.server) as conn:
        with feed.stream(conn):
            with pytest.raises(ProgrammingError):
                conn.execute("SELECT 1")
        assert conn.execute("SELECT 1").fetchone() == (1,)
        with pytest.raises(ProgrammingError, match="new connection"):
            feed.stream(conn)
        assert conn.execute("SELECT 1").fetchone() == (1,)


def test_asyncio_stream(feed_factory: Any, sql: pgwire.Connection) -> None:
    feed = feed_factory(t="id int primary key, v text")
    feed.create_slot()
    sql.execute(f"INSERT INTO {feed.tables['t']} VALUES (1, 'a'), (2, 'b')")
    sql.execute(f"UPDATE {feed.tables['t']} SET v = 'c' WHERE id = 2")

    async def main() -> list[Any]:
        conn = await pgwire.AsyncConnection.connect(
            feed.server.dsn, replication="database", options="-c wal_sender_timeout=1000"
        )
        assert conn.autocommit
        cur = await conn.execute("IDENTIFY_SYSTEM")
        assert (await cur.fetchone())[3] == "postgres"
        got: list[Any] = []
        stream = await conn.start_replication(
            feed.slot, publication_names=[feed.publication], status_interval=0.3
        )
        async with stream:
            commits = 0
            async for msg in stream:
                got.append(msg)
                if isinstance(msg, r.Commit):
                    commits += 1
                    stream.ack(msg)
                    if commits == 1:
                        await asyncio.sleep(2.5)  # status updates keep going meanwhile
                    if commits == 2:
                        break
        cur = await conn.execute("SELECT 1")
        assert await cur.fetchone() == (1,)
        await conn.close()
        return got

    got = asyncio.run(main())
    assert changes(got) == [
        ("I", feed.tables["t"], (1, "a")),
        ("I", feed.tables["t"], (2, "b")),
        ("U", feed.tables["t"], None, (2, "c")),
    ]
    with repl(feed.server) as conn:
        # Both acknowledged: nothing more on the slot.
        stream = feed.stream(conn)
        time.sleep(0.3)
        msgs = []
        while (msg := stream.read_message()) is not None:
            msgs.append(msg)
        assert changes(msgs) == []
        stream.stop()


# --- physical streams -----------------------------------------------------------------


def test_physical_stream_from_identify_system(logical_server: Any, sql: pgwire.Connection) -> None:
    with pgwire.connect(logical_server.dsn, replication="true") as conn:
        _, timeline, xlogpos, _ = conn.execute("IDENTIFY_SYSTEM").fetchone()
        start = parse_lsn(xlogpos) & ~0xFFFFFF  # a segment boundary, as pg_receivewal starts
        marker = "marker-" + uuid.uuid4().hex
        with conn.start_replication(
            start_lsn=start, timeline=timeline, status_interval=0.5
        ) as stream:
            assert stream.physical
            sql.execute("SELECT pg_logical_emit_message(false, 'test', %s)", (marker,))
            position = start
            wal = bytearray()
            deadline = time.monotonic() + 20
            for msg in stream:
                assert isinstance(msg, r.XLogData)
                assert msg.data_start == position  # contiguous WAL
                position += len(msg.data)
                wal += msg.data
                stream.ack(msg.data_start + len(msg.data))
                if marker.encode() in wal:
                    break
                assert time.monotonic() < deadline
            assert stream.received_lsn >= position and stream.flushed_lsn == position
        assert conn.execute("IDENTIFY_SYSTEM").fetchone()


# --- hostile bytes --------------------------------------------------------------------


def _xlog_copy_data(payload: bytes) -> bytes:
    return b"d" + (len(payload) + 4).to_bytes(4, "big") + payload


@pytest.mark.parametrize(
    "payload",
    [
        b"w" + b"\x00" * 10,  # truncated XLogData header
        b"?" + b"\x00" * 30,  # unknown replication message
        b"w" + b"\x00" * 24 + b"Z",  # unknown pgoutput message
        b"w" + b"\x00" * 24 + b"B\x00\x00",  # truncated Begin
    ],
    ids=["truncated-xlogdata", "unknown-type", "unknown-pgoutput", "truncated-pgoutput"],
)
def test_hostile_bytes_raise_interface_error_and_close(
    feed_factory: Any, sql: pgwire.Connection, payload: bytes
) -> None:
    feed = feed_factory(t="id int")
    feed.create_slot()
    proxy = Proxy("127.0.0.1", feed.server.port)
    try:
        conn = pgwire.connect(
            feed.server.dsn, host="127.0.0.1", port=proxy.port, replication="database"
        )
        stream = feed.stream(conn)
        proxy.inject = _xlog_copy_data(payload)
        sql.execute(f"INSERT INTO {feed.tables['t']} VALUES (1)")
        with pytest.raises(InterfaceError):
            for _ in stream:
                pass
        assert conn.closed and stream.closed
        with pytest.raises(OperationalError):
            conn.execute("SELECT 1")
        stream.stop()  # harmless now
    finally:
        proxy.close()
