"""The ``postgresql+pgwire_async`` dialect through a real server."""

from __future__ import annotations

import asyncio
import datetime as dt
import decimal
import functools
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
from sqla_fixtures import make_url, register_dialects, require

import pgwire

sa = require("sqlalchemy")
register_dialects()
require("greenlet")
from sqlalchemy import Column, Integer, MetaData, String, Table, bindparam, select, text  # noqa: E402
from sqlalchemy.dialects import postgresql as pg  # noqa: E402
from sqlalchemy.ext.asyncio import (  # noqa: E402
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column  # noqa: E402


def run_async(func: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run an async test to completion on a fresh event loop."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        asyncio.run(asyncio.wait_for(func(*args, **kwargs), 60))

    return wrapper


@run_async
async def test_core_round_trip(async_engine: Any) -> None:
    metadata = MetaData()
    table = Table(
        "async_items",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("name", String(20)),
        Column("r", pg.DATERANGE),
        Column("price", sa.Numeric(10, 2)),
        Column("at", sa.DateTime(timezone=True)),
        Column("j", pg.JSONB),
        Column("h", pg.HSTORE),
    )
    when = dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.timezone.utc)
    try:
        async with async_engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
            rows = [
                {
                    "name": f"n{i}",
                    "r": pg.Range(dt.date(2024, 1, i + 1), dt.date(2024, 2, 1)),
                    "price": decimal.Decimal(f"{i}.50"),
                    "at": when,
                    "j": {"i": i},
                    "h": {"i": str(i)},
                }
                for i in range(5)
            ]
            ids = (await conn.execute(table.insert().returning(table.c.id), rows)).scalars().all()
            assert ids == [1, 2, 3, 4, 5]
        async with async_engine.connect() as conn:
            got = (await conn.execute(select(table).order_by(table.c.id))).all()
            assert [tuple(r)[1:] for r in got] == [tuple(row.values()) for row in rows]
            assert await conn.scalar(text("SELECT 'a' || :x"), {"x": "b"}) == "ab"
    finally:
        async with async_engine.begin() as conn:
            await conn.run_sync(metadata.drop_all)
        await async_engine.dispose()


@run_async
async def test_orm_session(async_engine: Any) -> None:
    class Base(DeclarativeBase):
        pass

    class Note(Base):
        __tablename__ = "async_note"
        id: Mapped[int] = mapped_column(primary_key=True)
        body: Mapped[str]
        version: Mapped[int] = mapped_column(default=1)
        __mapper_args__ = {"version_id_col": version}

    make_session = async_sessionmaker(async_engine, expire_on_commit=False)
    try:
        async with async_engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        async with make_session() as session:
            notes = [Note(body=f"b{i}") for i in range(3)]
            session.add_all(notes)
            await session.commit()
            for note in notes:
                note.body += "!"
            await session.commit()  # executemany UPDATE .. RETURNING, versioned
        async with AsyncSession(async_engine) as session:
            got = (await session.scalars(select(Note).order_by(Note.id))).all()
            assert [(n.body, n.version) for n in got] == [("b0!", 2), ("b1!", 2), ("b2!", 2)]
    finally:
        async with async_engine.begin() as conn:
            await conn.run_sync(Base.metadata.drop_all)
        await async_engine.dispose()


@run_async
async def test_streaming(async_engine: Any) -> None:
    try:
        async with async_engine.connect() as conn:
            result = await conn.stream(text("SELECT generate_series(1, 1000)"))
            assert result._real_result.cursor.name
            seen = [row[0] async for row in result]
            assert seen == list(range(1, 1001))
            result = await conn.stream(text("SELECT generate_series(1, 1000)"))
            sizes = [len(part) async for part in result.partitions(300)]
            assert sizes == [300, 300, 300, 100]
    finally:
        await async_engine.dispose()


@run_async
async def test_isolation_levels_and_autocommit(async_engine: Any) -> None:
    try:
        for level in ("SERIALIZABLE", "REPEATABLE READ", "READ COMMITTED", "READ UNCOMMITTED"):
            async with async_engine.connect() as conn:
                conn = await conn.execution_options(isolation_level=level)
                assert await conn.get_isolation_level() == level
                shown = await conn.exec_driver_sql("SHOW transaction_isolation")
                assert shown.scalar().upper() == level
        async with async_engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.exec_driver_sql("SELECT 1")
            raw = await conn.get_raw_connection()
            assert raw.driver_connection.autocommit
            assert raw.driver_connection.info.transaction_status == pgwire.TransactionStatus.IDLE
    finally:
        await async_engine.dispose()


@run_async
async def test_update_many_returning(async_engine: Any) -> None:
    metadata = MetaData()
    table = Table(
        "async_umr", metadata, Column("id", Integer, primary_key=True), Column("v", String)
    )
    try:
        async with async_engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
            await conn.execute(table.insert(), [{"id": i, "v": "x"} for i in range(1, 4)])
            stmt = (
                table.update()
                .where(table.c.id == bindparam("b_id"))
                .values(v=bindparam("b_v"))
                .returning(table.c.id, table.c.v)
            )
            result = await conn.execute(stmt, [{"b_id": 3, "b_v": "c"}, {"b_id": 1, "b_v": "a"}])
            assert result.all() == [(3, "c"), (1, "a")]
            assert result.rowcount == 2
    finally:
        async with async_engine.begin() as conn:
            await conn.run_sync(metadata.drop_all)
        await async_engine.dispose()


@run_async
async def test_disconnect_and_pre_ping(sqla_database: dict[str, Any], dsn: str) -> None:
    engine = create_async_engine(make_url(sqla_database, "pgwire_async"), pool_pre_ping=True)
    try:
        async with engine.connect() as conn:
            pid = await conn.scalar(text("SELECT pg_backend_pid()"))
        admin = await pgwire.AsyncConnection.connect(dsn, autocommit=True)
        await admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        async with engine.connect() as conn:  # the ping finds it dead and reconnects
            assert await conn.scalar(text("SELECT pg_backend_pid()")) != pid
            pid = await conn.scalar(text("SELECT pg_backend_pid()"))
            await admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
            with pytest.raises(sa.exc.OperationalError) as info:
                await conn.execute(text("SELECT 1"))
            assert info.value.connection_invalidated
        await admin.close()
    finally:
        await engine.dispose()


@run_async
async def test_async_creator(sqla_database: dict[str, Any], dsn: str) -> None:
    async def connect() -> pgwire.AsyncConnection:
        return await pgwire.AsyncConnection.connect(dsn, dbname=sqla_database["database"])

    engine = create_async_engine("postgresql+pgwire_async://", async_creator=connect)
    try:
        async with engine.connect() as conn:
            assert await conn.scalar(text("SELECT current_database()")) == "pgwire_sqla"
            raw = await conn.get_raw_connection()
            assert isinstance(raw.driver_connection, pgwire.AsyncConnection)
    finally:
        await engine.dispose()


@run_async
async def test_sync_url_name_gives_async_dialect(sqla_database: dict[str, Any]) -> None:
    engine = create_async_engine(make_url(sqla_database, "pgwire"))
    try:
        assert engine.dialect.is_async
        async with engine.connect() as conn:
            assert await conn.scalar(text("SELECT 41 + 1")) == 42
    finally:
        await engine.dispose()


@run_async
async def test_two_phase_commit(make_cluster: Any) -> None:
    cluster = make_cluster(settings={"max_prepared_transactions": "4"})
    url = sa.engine.URL.create(
        "postgresql+pgwire_async",
        username=cluster.superuser,
        host=cluster.host,
        port=cluster.port,
        database="postgres",
    )
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.exec_driver_sql("CREATE TABLE tpc (x int)")
        def two_transactions(sync_conn: Any) -> None:
            # SQLAlchemy's asyncio API has no two-phase calls: its sync facade does.
            tx = sync_conn.begin_twophase()
            sync_conn.exec_driver_sql("INSERT INTO tpc VALUES (1)")
            tx.prepare()
            tx.commit()
            tx = sync_conn.begin_twophase()
            sync_conn.exec_driver_sql("INSERT INTO tpc VALUES (2)")
            tx.prepare()
            tx.rollback()

        async with engine.connect() as conn:
            await conn.run_sync(two_transactions)
        async with engine.connect() as conn:
            assert (await conn.exec_driver_sql("SELECT array_agg(x) FROM tpc")).scalar() == [1]
    finally:
        await engine.dispose()
