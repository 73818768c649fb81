"""The ``postgresql+pgwire`` dialect through a real server: core, ORM, types, transactions."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import ipaddress
import logging
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqla_fixtures import make_url, register_dialects, require

import pgwire
from pgwire.testing import TestCluster
from pgwire.types import Range as PgwireRange

sa = require("sqlalchemy")
register_dialects()

from sqlalchemy import (  # noqa: E402
    Column,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    event,
    select,
    text,
)
from sqlalchemy.dialects import postgresql as pg  # noqa: E402
from sqlalchemy.orm import (  # noqa: E402
    DeclarativeBase,
    Mapped,
    Session,
    mapped_column,
    relationship,
)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def metadata(engine: Any) -> Any:
    """A MetaData whose tables are dropped after the test."""
    md = MetaData()
    yield md
    md.drop_all(engine)


# --- naming the dialect -------------------------------------------------------------------


def test_entry_points_name_the_dialects() -> None:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["entry-points"][
        "sqlalchemy.dialects"
    ]
    from pgwire.sqlalchemy import PGDialect_pgwire, PGDialectAsync_pgwire

    assert declared == {
        "postgresql.pgwire": "pgwire.sqlalchemy:PGDialect_pgwire",
        "postgresql.pgwire_async": "pgwire.sqlalchemy:PGDialectAsync_pgwire",
    }
    assert sa.engine.make_url("postgresql+pgwire://").get_dialect() is PGDialect_pgwire
    url = sa.engine.make_url("postgresql+pgwire_async://")
    assert url.get_dialect() is PGDialectAsync_pgwire
    # The sync name picks the asyncio dialect for create_async_engine too.
    assert PGDialect_pgwire.get_async_dialect_cls(url) is PGDialectAsync_pgwire


def test_import_pgwire_sqlalchemy_is_separate() -> None:
    import subprocess

    code = "import sys, pgwire; pgwire.connect; sys.exit('sqlalchemy' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT / "src", check=False)
    assert result.returncode == 0


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql+pgwire://", {}),
        (
            "postgresql+pgwire://u:s%40cret@db.example:6543/app",
            {
                "user": "u",
                "password": "s@cret",
                "host": "db.example",
                "port": 6543,
                "dbname": "app",
            },
        ),
        (
            "postgresql+pgwire://u@h/d?sslmode=require&application_name=web&prepare_threshold=none",
            {
                "user": "u",
                "host": "h",
                "dbname": "d",
                "sslmode": "require",
                "application_name": "web",
                "prepare_threshold": None,
            },
        ),
        ("postgresql+pgwire:///d?prepare_threshold=10", {"dbname": "d", "prepare_threshold": 10}),
        (
            "postgresql+pgwire://u@/d?host=h1:5432&host=h2:5433",
            {"user": "u", "dbname": "d", "host": "h1,h2", "port": "5432,5433"},
        ),
        (
            "postgresql+pgwire://u@/d?host=/var/run/postgresql",
            {"user": "u", "dbname": "d", "host": "/var/run/postgresql"},
        ),
    ],
)
def test_url_to_connect_arguments(url: str, expected: dict[str, Any]) -> None:
    dialect = sa.engine.make_url(url).get_dialect()()
    args, kwargs = dialect.create_connect_args(sa.engine.make_url(url))
    assert args == []
    assert kwargs == expected
    # pgwire accepts them all (nothing is sent: only the parameters are resolved).
    pgwire.conninfo.make_params(**{k: v for k, v in kwargs.items() if k != "prepare_threshold"})


# --- core and ORM ----------------------------------------------------------------------------


def test_core_round_trip(engine: Any, metadata: Any) -> None:
    items = Table(
        "core_items",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("name", String(50), nullable=False),
        Column("qty", Integer, server_default="0"),
    )
    metadata.create_all(engine)
    with engine.begin() as conn:
        result = conn.execute(items.insert().returning(items.c.id), [{"name": "a"}, {"name": "b"}])
        assert result.scalars().all() == [1, 2]
        conn.execute(items.insert(), [{"name": f"n{i}", "qty": i} for i in range(10)])
        assert conn.execute(items.update().where(items.c.qty > 4).values(qty=0)).rowcount == 5
        assert conn.execute(items.delete().where(items.c.name == "a")).rowcount == 1
    with engine.connect() as conn:
        assert conn.scalar(select(sa.func.count()).select_from(items)) == 11
        assert conn.execute(select(items.c.name).where(items.c.qty == 4)).scalar_one() == "n4"
        assert conn.exec_driver_sql("SELECT %(a)s::int + %(b)s", {"a": 40, "b": 2}).scalar() == 42


def test_orm_basics(engine: Any) -> None:
    class Base(DeclarativeBase):
        pass

    class Author(Base):
        __tablename__ = "orm_author"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(40))
        books: Mapped[list[Book]] = relationship(back_populates="author", order_by="Book.id")

    class Book(Base):
        __tablename__ = "orm_book"
        id: Mapped[int] = mapped_column(primary_key=True)
        title: Mapped[str]
        author_id: Mapped[int] = mapped_column(ForeignKey("orm_author.id"))
        author: Mapped[Author] = relationship(back_populates="books")
        version: Mapped[int] = mapped_column(default=1)
        __mapper_args__ = {"version_id_col": version}

    Base.metadata.create_all(engine)
    try:
        with Session(engine) as session:
            ann = Author(name="Ann", books=[Book(title=f"t{i}") for i in range(3)])
            session.add_all([ann, Author(name="Bob")])
            session.commit()
            # A versioned update of many rows runs as one executemany with RETURNING.
            for book in ann.books:
                book.title += "!"
            session.commit()
        with Session(engine) as session:
            got = session.scalars(select(Author).order_by(Author.name)).all()
            assert [a.name for a in got] == ["Ann", "Bob"]
            assert [(b.title, b.version) for b in got[0].books] == [
                ("t0!", 2),
                ("t1!", 2),
                ("t2!", 2),
            ]
            session.delete(got[1])
            session.commit()
            assert session.scalar(select(sa.func.count(Author.id))) == 1
    finally:
        Base.metadata.drop_all(engine)


# --- types -------------------------------------------------------------------------------


class Mood(enum.Enum):
    happy = "happy"
    sad = "sad"


VALUES: list[tuple[str, Any, Any]] = [
    ("small", sa.SmallInteger, 7),
    ("int", Integer, -(2**31)),
    ("big", sa.BigInteger, 2**62),
    ("num", sa.Numeric(20, 6), decimal.Decimal("12345678901234.123456")),
    ("num_float", sa.Numeric(10, 2, asdecimal=False), 3.25),
    ("flt", sa.Float, 0.1),
    ("real", sa.REAL, 1.5),
    ("dbl", sa.Double, 1e300),
    ("flt_dec", sa.Float(asdecimal=True), decimal.Decimal("2.5")),
    ("txt", sa.Text, "héllo\nwörld ' \" \\ %s %(x)s"),
    ("vchar", String(10), "short"),
    ("bool", sa.Boolean, True),
    ("date", sa.Date, dt.date(1999, 12, 31)),
    ("ts", sa.DateTime, dt.datetime(2024, 2, 29, 23, 59, 59, 999999)),
    ("tstz", sa.DateTime(timezone=True), dt.datetime(2024, 1, 1, 12, tzinfo=dt.timezone.utc)),
    ("time", sa.Time, dt.time(13, 14, 15, 16)),
    ("interval", sa.Interval, dt.timedelta(days=3, seconds=5, microseconds=7)),
    ("bytes", sa.LargeBinary, b"\x00\x01\xff"),
    ("uuid", sa.Uuid, uuid.UUID("12345678-1234-5678-1234-567812345678")),
    ("uuid_str", sa.Uuid(as_uuid=False), "12345678-1234-5678-1234-567812345678"),
    ("json", sa.JSON, {"a": [1, 2.5, None, True], "b": "ü"}),
    ("jsonb", pg.JSONB, [{"k": "v"}, 1, "two"]),
    ("json_scalar", pg.JSONB, "just a string"),
    ("ints", pg.ARRAY(Integer), [1, None, 3]),
    ("strs", pg.ARRAY(String), ["a", "b,c", '"q"']),
    ("grid", pg.ARRAY(Integer, dimensions=2), [[1, 2], [3, 4]]),
    ("decs", pg.ARRAY(sa.Numeric(10, 2)), [decimal.Decimal("1.50"), None]),
    ("floats", pg.ARRAY(sa.Float), [0.5, -2.25]),
    ("floats_dec", pg.ARRAY(sa.Float(asdecimal=True)), [decimal.Decimal("0.5")]),
    ("hstore", pg.HSTORE, {"a": "1", "b": None}),
    ("irange", pg.INT4RANGE, pg.Range(1, 10)),
    ("drange", pg.DATERANGE, pg.Range(dt.date(2024, 1, 1), None, bounds="[)")),
    ("nrange", pg.NUMRANGE, pg.Range(decimal.Decimal("1.5"), decimal.Decimal("2.5"), bounds="[]")),
    ("tsrange", pg.TSTZRANGE, pg.Range(empty=True)),
    ("multi", pg.INT4MULTIRANGE, pg.MultiRange([pg.Range(1, 3), pg.Range(5, 7)])),
    ("mood", sa.Enum(Mood, name="mood_t"), Mood.sad),
    ("pgenum", pg.ENUM("x", "y", name="xy_t"), "y"),
    ("moods", pg.ARRAY(sa.Enum(Mood, name="moods_t")), [Mood.sad, None, Mood.sad]),
    ("pgenums", pg.ARRAY(pg.ENUM("p", "q", name="pq_t")), ["q", "p"]),
    ("inet", pg.INET, ipaddress.ip_interface("192.168.0.1/24")),
    ("cidr", pg.CIDR, ipaddress.ip_network("10.0.0.0/8")),
    ("ci", pg.CITEXT, "MiXeD"),
    ("money", pg.MONEY, "$1.50"),
    ("bits", pg.BIT(4), pg.BitString("1010")),
]


def test_types_round_trip(engine: Any, metadata: Any) -> None:
    table = Table(
        "type_values",
        metadata,
        Column("id", Integer, primary_key=True),
        *(Column(name, type_) for name, type_, _ in VALUES),
    )
    metadata.create_all(engine)
    row = {name: value for name, _, value in VALUES}
    with engine.begin() as conn:
        nulls = {name: None for name in row}
        conn.execute(table.insert(), [row, nulls])  # executemany, NULLs in the second
        conn.execute(table.insert(), row)  # one row
        got = conn.execute(select(table).order_by(table.c.id)).mappings().all()
    assert [r["id"] for r in got] == [1, 2, 3]
    for name, _, value in VALUES:
        for r in (got[0], got[2]):
            assert r[name] == value, name
            assert type(r[name]) is type(value), name
        assert got[1][name] is None, name
    assert isinstance(got[0]["irange"], pg.Range) and not isinstance(got[0]["irange"], PgwireRange)


def test_types_compared_in_sql(engine: Any, metadata: Any) -> None:
    table = Table(
        "type_where",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("r", pg.INT4RANGE),
        Column("j", pg.JSONB),
        Column("tags", pg.ARRAY(String)),
        Column("h", pg.HSTORE),
    )
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(
            table.insert(),
            [
                {"r": pg.Range(1, 5), "j": {"n": 1}, "tags": ["a", "b"], "h": {"k": "1"}},
                {"r": pg.Range(10, 20), "j": {"n": 2}, "tags": ["c"], "h": {"k": "2"}},
            ],
        )
        assert conn.scalar(select(table.c.id).where(table.c.r.contains(15))) == 2
        assert conn.scalar(select(table.c.id).where(table.c.j["n"].as_integer() == 1)) == 1
        assert conn.scalar(select(table.c.id).where(table.c.tags.contains(["c"]))) == 2
        assert conn.scalar(select(table.c.id).where(table.c.h["k"] == "1")) == 1
        assert conn.scalar(select(table.c.j["n"]).where(table.c.id == 2)) == 2


def test_json_serializer_and_deserializer(sqla_database: dict[str, Any]) -> None:
    import json

    calls: list[str] = []

    def dumps(obj: Any) -> str:
        calls.append("dumps")
        return json.dumps(obj)

    def loads(data: Any) -> Any:
        calls.append("loads")
        return {"loaded": json.loads(data)}

    eng = sa.create_engine(make_url(sqla_database), json_serializer=dumps, json_deserializer=loads)
    try:
        with eng.connect() as conn:
            value = conn.scalar(select(sa.cast(sa.literal({"a": 1}, pg.JSONB), pg.JSONB)))
        assert value == {"loaded": {"a": 1}}
        assert calls == ["dumps", "loads"]
    finally:
        eng.dispose()


def test_native_inet_types_off(sqla_database: dict[str, Any]) -> None:
    eng = sa.create_engine(make_url(sqla_database), native_inet_types=False)
    try:
        with eng.connect() as conn:
            assert conn.scalar(text("SELECT '10.1.2.3/16'::inet")) == "10.1.2.3/16"
    finally:
        eng.dispose()


# --- transactions ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "level", ["READ COMMITTED", "READ UNCOMMITTED", "REPEATABLE READ", "SERIALIZABLE"]
)
def test_isolation_levels(engine: Any, level: str) -> None:
    with engine.connect().execution_options(isolation_level=level) as conn:
        assert conn.get_isolation_level() == level
        assert conn.exec_driver_sql("SHOW transaction_isolation").scalar().upper() == level
        conn.rollback()
    with engine.connect() as conn:  # given back to the pool reset to the default
        assert conn.get_isolation_level() == "READ COMMITTED"


def test_autocommit(engine: Any, metadata: Any) -> None:
    table = Table("ac", metadata, Column("x", Integer))
    metadata.create_all(engine)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(table.insert(), {"x": 1})
        raw = conn.connection.dbapi_connection
        assert raw.autocommit
        assert raw.info.transaction_status == pgwire.TransactionStatus.IDLE
        with engine.connect() as other:
            assert other.scalar(select(table.c.x)) == 1  # visible without a commit


def test_read_only_and_deferrable(engine: Any, metadata: Any) -> None:
    table = Table("ro", metadata, Column("x", Integer))
    metadata.create_all(engine)
    with engine.connect().execution_options(postgresql_readonly=True) as conn:
        assert conn.exec_driver_sql("SHOW transaction_read_only").scalar() == "on"
        with pytest.raises(sa.exc.InternalError, match="read-only transaction"):
            conn.execute(table.insert(), {"x": 1})
        conn.rollback()
    opts = {"postgresql_deferrable": True, "isolation_level": "SERIALIZABLE"}
    with engine.connect().execution_options(**opts) as conn:
        assert conn.exec_driver_sql("SHOW transaction_deferrable").scalar() == "on"


def test_savepoints(engine: Any, metadata: Any) -> None:
    table = Table("sp", metadata, Column("x", Integer))
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(table.insert(), {"x": 1})
        nested = conn.begin_nested()
        conn.execute(table.insert(), {"x": 2})
        nested.rollback()
        with conn.begin_nested():
            conn.execute(table.insert(), {"x": 3})
    with engine.connect() as conn:
        assert conn.scalars(select(table.c.x).order_by(table.c.x)).all() == [1, 3]


def test_two_phase_commit(make_cluster: Any) -> None:
    cluster = make_cluster(settings={"max_prepared_transactions": "4"})
    url = sa.engine.URL.create(
        "postgresql+pgwire",
        username=cluster.superuser,
        host=cluster.host,
        port=cluster.port,
        database="postgres",
    )
    eng = sa.create_engine(url)
    try:
        with eng.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE tpc (x int)")
        with eng.connect() as conn:
            tx = conn.begin_twophase()
            conn.exec_driver_sql("INSERT INTO tpc VALUES (1)")
            tx.prepare()
            with cluster.connect() as other:
                assert other.execute("SELECT count(*) FROM pg_prepared_xacts").fetchone() == (1,)
            tx.commit()
            tx = conn.begin_twophase()
            conn.exec_driver_sql("INSERT INTO tpc VALUES (2)")
            tx.prepare()
            tx.rollback()
        # A prepared transaction left behind, found by recover and committed.
        with cluster.connect() as raw:
            raw.execute("INSERT INTO tpc VALUES (3)")
            raw.execute("PREPARE TRANSACTION 'xid-left-behind'")
        with eng.connect() as conn:
            assert conn.recover_twophase() == ["xid-left-behind"]
            conn.commit_prepared("xid-left-behind", recover=True)
            assert conn.exec_driver_sql("SELECT array_agg(x ORDER BY x) FROM tpc").scalar() == [
                1,
                3,
            ]
            assert conn.recover_twophase() == []
    finally:
        eng.dispose()


# --- executemany with RETURNING ----------------------------------------------------------


def _count_executes(eng: Any) -> list[bool]:
    calls: list[bool] = []

    @event.listens_for(eng, "before_cursor_execute")
    def before(conn: Any, cursor: Any, stmt: Any, params: Any, context: Any, many: bool) -> None:
        calls.append(many)

    return calls


def test_update_and_delete_many_returning_in_one_round_trip(engine: Any, metadata: Any) -> None:
    table = Table("umr", metadata, Column("id", Integer, primary_key=True), Column("v", String))
    metadata.create_all(engine)
    calls = _count_executes(engine)
    with engine.begin() as conn:
        conn.execute(table.insert(), [{"id": i, "v": "x"} for i in range(1, 6)])
        calls.clear()
        stmt = (
            table.update()
            .where(table.c.id == bindparam("b_id"))
            .values(v=bindparam("b_v"))
            .returning(table.c.id, table.c.v)
        )
        result = conn.execute(stmt, [{"b_id": i, "b_v": f"v{i}"} for i in (4, 2, 9, 1)])
        assert result.all() == [(4, "v4"), (2, "v2"), (1, "v1")]  # parameter order; 9 matched none
        assert result.rowcount == 3
        stmt = table.delete().where(table.c.id == bindparam("b_id")).returning(table.c.v)
        assert conn.execute(stmt, [{"b_id": 5}, {"b_id": 3}]).scalars().all() == ["x", "x"]
    assert calls == [True, True]  # each one executemany: one round trip


def test_insert_many_returning_without_insertmanyvalues(sqla_database: dict[str, Any]) -> None:
    eng = sa.create_engine(make_url(sqla_database), use_insertmanyvalues=False)
    metadata = MetaData()
    table = Table("imr", metadata, Column("id", Integer, primary_key=True), Column("v", String))
    try:
        metadata.create_all(eng)
        calls = _count_executes(eng)
        with eng.begin() as conn:
            stmt = table.insert().returning(table.c.id, table.c.v, sort_by_parameter_order=True)
            rows = conn.execute(stmt, [{"v": c} for c in "abcd"]).all()
        assert rows == [(1, "a"), (2, "b"), (3, "c"), (4, "d")]
        assert calls == [True]
    finally:
        metadata.drop_all(eng)
        eng.dispose()


# --- server-side cursors ----------------------------------------------------------------------


@pytest.mark.parametrize("how", ["stream_results", "yield_per"])
def test_server_side_cursor(engine: Any, how: str) -> None:
    query = text("SELECT n, repeat('x', 10) FROM generate_series(1, 2500) AS n")
    with engine.connect() as conn:
        opts = {"stream_results": True} if how == "stream_results" else {"yield_per": 100}
        result = conn.execute(query, execution_options=opts)
        assert result.cursor.name  # a named cursor on the server
        first = result.fetchmany(10)
        cursors = conn.exec_driver_sql("SELECT statement FROM pg_cursors WHERE name <> ''")
        assert cursors.scalars().all() == [
            f'DECLARE "{result.cursor.name}" CURSOR WITHOUT HOLD FOR {query}'
        ]
        rest = [row[0] for row in result]
    assert [row[0] for row in first] + rest == list(range(1, 2501))


def test_orm_yield_per(engine: Any, metadata: Any) -> None:
    table = Table("yp", metadata, Column("id", Integer, primary_key=True))
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(table.insert(), [{"id": i} for i in range(1, 301)])
    with Session(engine) as session:
        partitions = session.execute(
            select(table.c.id).execution_options(yield_per=64)
        ).partitions()
        sizes = [len(p) for p in partitions]
    assert sizes == [64, 64, 64, 64, 44]


# --- broken connections -----------------------------------------------------------------------


def _terminate(dsn: str, pid: int) -> None:
    with pgwire.connect(dsn) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


def test_disconnect_is_detected_and_pool_recovers(engine: Any, dsn: str) -> None:
    conn = engine.connect()
    pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    conn.rollback()
    _terminate(dsn, pid)
    with pytest.raises(sa.exc.OperationalError) as info:
        conn.exec_driver_sql("SELECT 1")
    assert info.value.connection_invalidated
    conn.close()
    with engine.connect() as fresh:
        assert fresh.exec_driver_sql("SELECT pg_backend_pid()").scalar() != pid


def test_is_disconnect_by_sqlstate(engine: Any) -> None:
    dialect = engine.dialect
    assert dialect.is_disconnect(pgwire.errors.AdminShutdown("x"), None, None)
    assert dialect.is_disconnect(pgwire.errors.ConnectionFailure("x"), None, None)
    assert not dialect.is_disconnect(pgwire.errors.UniqueViolation("x"), None, None)
    assert not dialect.is_disconnect(ValueError("x"), None, None)


def test_pool_pre_ping_replaces_a_dead_connection(sqla_database: dict[str, Any], dsn: str) -> None:
    eng = sa.create_engine(make_url(sqla_database), pool_pre_ping=True, pool_size=1)
    try:
        with eng.connect() as conn:
            pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        with eng.connect() as conn:  # the pooled one, pinged
            assert conn.exec_driver_sql("SELECT pg_backend_pid()").scalar() == pid
        _terminate(dsn, pid)
        with eng.connect() as conn:
            assert conn.exec_driver_sql("SELECT pg_backend_pid()").scalar() != pid
    finally:
        eng.dispose()


def test_ping_leaves_an_idle_connection_idle(engine: Any) -> None:
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        conn.rollback()
        assert engine.dialect.do_ping(raw)
        assert raw.info.transaction_status == pgwire.TransactionStatus.IDLE
        assert not raw.autocommit


# --- connections made elsewhere ---------------------------------------------------------------


def test_creator_passes_an_existing_connection(dsn: str, sqla_database: dict[str, Any]) -> None:
    made: list[Any] = []

    def connect() -> pgwire.Connection:
        conn = pgwire.connect(dsn, dbname=sqla_database["database"], prepare_threshold=None)
        made.append(conn)
        return conn

    eng = sa.create_engine("postgresql+pgwire://", creator=connect)
    try:
        with eng.connect() as conn:
            assert conn.connection.dbapi_connection is made[0]
            assert conn.exec_driver_sql("SELECT current_database()").scalar() == "pgwire_sqla"
    finally:
        eng.dispose()


def test_notices_go_to_the_sqlalchemy_logger(engine: Any, caplog: Any) -> None:
    with caplog.at_level(logging.INFO, logger="sqlalchemy.dialects.postgresql"):
        with engine.connect() as conn:
            conn.exec_driver_sql("DO $$ BEGIN RAISE NOTICE 'hello from plpgsql'; END $$")
    assert any("hello from plpgsql" in r.getMessage() for r in caplog.records)


# --- the README runs as written ----------------------------------------------------------------


def readme_blocks() -> list[str]:
    """The Python blocks of the README's SQLAlchemy section."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## SQLAlchemy\n", 1)[1].split("\n## ", 1)[0]
    return [part.split("```", 1)[0] for part in section.split("```python\n")[1:]]


# From a checkout that was not pip-installed, the entry points are missing.
_REGISTER = """
import importlib.metadata
from sqlalchemy.dialects import registry
if not any(ep.name == "postgresql.pgwire"
           for ep in importlib.metadata.entry_points(group="sqlalchemy.dialects")):
    registry.register("postgresql.pgwire", "pgwire.sqlalchemy", "PGDialect_pgwire")
    registry.register("postgresql.pgwire_async", "pgwire.sqlalchemy", "PGDialectAsync_pgwire")
"""


@pytest.mark.parametrize("index", range(4))
def test_readme_runs_as_written(index: int, pg_server: Any) -> None:
    import os
    import subprocess

    blocks = readme_blocks()
    assert len(blocks) == 4
    if not isinstance(pg_server, TestCluster):
        pytest.skip("the README's examples reach localhost with the PG* environment")
    env = dict(
        os.environ,
        PGPORT=str(pg_server.port),
        PGUSER=pg_server.superuser,
        PYTHONPATH=str(ROOT / "src"),
    )
    result = subprocess.run(
        [sys.executable, "-c", _REGISTER + blocks[index]],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    expected = ["3", "[1960, 1970, 1971, 1972, 1989, 2001]", "", "test"][index]
    assert result.stdout.strip() == expected
