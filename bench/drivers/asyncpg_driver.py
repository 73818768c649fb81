"""asyncpg: ``fetch``/``fetchval``, ``executemany``, ``copy_from_table``/``copy_to_table``.

Everything runs in an event loop (the default asyncio loop, as for the other
drivers' asyncio workloads).
"""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from typing import Any

import asyncpg

from bench import workloads as w
from bench.workloads import Job, Params, Skip

_COLUMNS = ["id", "txt", "f", "ts"]


async def _connect(p: Params) -> Any:
    c = p.conn
    return await asyncpg.connect(
        host=c.host, port=c.port, user=c.user, password=c.password, database=c.dbname
    )


class Driver:
    """asyncpg's way of running each workload."""

    def info(self) -> dict[str, Any]:
        """Version and implementation in use."""
        return {"version": asyncpg.__version__, "impl": "Cython"}

    async def roundtrip(self, p: Params) -> Job:
        """``fetchval`` per query (statement cache on)."""
        conn = await _connect(p)
        sql = w.roundtrip_sql("numeric")
        n = p.size

        async def run() -> int:
            total = 0
            for i in range(n):
                total += await conn.fetchval(sql, i)
            return total

        return Job(run, close=conn.close)

    async def _fetch(self, p: Params, sql: str) -> Job:
        conn = await _connect(p)

        async def run() -> list[Any]:
            return await conn.fetch(sql)

        return Job(run, close=conn.close)

    async def fetch_1m(self, p: Params) -> Job:
        """``fetch``."""
        assert p.table is not None
        return await self._fetch(p, w.rows_select_sql(p.table))

    async def fetch_wide(self, p: Params) -> Job:
        """``fetch`` (json stays a str, asyncpg's default)."""
        assert p.table is not None
        return await self._fetch(p, w.wide_select_sql(p.table))

    async def executemany(self, p: Params) -> Job:
        """``executemany`` in a transaction."""
        conn = await _connect(p)
        await conn.execute(w.temp_table_sql())
        rows = w.insert_rows(p.size)
        sql = w.insert_sql("numeric")

        async def run() -> None:
            async with conn.transaction():
                await conn.executemany(sql, rows)

        async def collect() -> Any:
            return await conn.fetchrow(w.summary_sql())

        return Job(run, collect=collect, close=conn.close)

    async def copy_out(self, p: Params) -> Job:
        """``copy_from_table`` into a coroutine function."""
        assert p.table is not None
        conn = await _connect(p)
        table = p.table

        async def run() -> bytearray:
            buf = bytearray()

            async def sink(data: bytes) -> None:
                buf.extend(data)

            await conn.copy_from_table(table, columns=_COLUMNS, output=sink)
            return buf

        return Job(run, close=conn.close)

    async def copy_in(self, p: Params) -> Job:
        """``copy_to_table`` from a file-like object."""
        assert p.copy_file is not None
        conn = await _connect(p)
        await conn.execute(w.temp_table_sql())
        data = Path(p.copy_file).read_bytes()

        async def run() -> None:
            await conn.copy_to_table(w.TARGET_TABLE, source=io.BytesIO(data), columns=_COLUMNS)

        async def collect() -> Any:
            return await conn.fetchrow(w.summary_sql())

        return Job(run, collect=collect, close=conn.close)

    async def _copy_rows(self, p: Params) -> Job:
        conn = await _connect(p)
        await conn.execute(w.rows_target_sql())
        rows = w.copy_rows(p.size)

        async def run() -> None:
            await conn.copy_records_to_table(
                w.ROWS_TARGET, records=rows, columns=["id", "txt", "f"]
            )

        async def collect() -> Any:
            return await conn.fetchrow(w.rows_summary_sql())

        return Job(run, collect=collect, close=conn.close)

    async def copy_rows(self, p: Params) -> Job:
        """``copy_records_to_table`` (asyncpg's way; always binary)."""
        return await self._copy_rows(p)

    async def copy_rows_binary(self, p: Params) -> Job:
        """``copy_records_to_table`` (asyncpg's way; always binary)."""
        return await self._copy_rows(p)

    async def copy_rows_async(self, p: Params) -> Job:
        """``copy_records_to_table`` (asyncpg's way; always binary)."""
        return await self._copy_rows(p)

    async def copy_rows_async_binary(self, p: Params) -> Job:
        """``copy_records_to_table`` (asyncpg's way; always binary)."""
        return await self._copy_rows(p)

    async def fetch_wide_fresh(self, p: Params) -> Job:
        """A new connection: ``fetch`` twice."""
        assert p.table is not None
        conn = await _connect(p)
        sql = w.wide_select_sql(p.table)

        async def run() -> list[Any]:
            return [await conn.fetch(sql), await conn.fetch(sql)]

        return Job(run, close=conn.close)

    async def executemany_gen(self, p: Params) -> Job:
        """``executemany`` of a generator in a transaction."""
        conn = await _connect(p)
        await conn.execute(w.temp_table_sql())
        sql = w.insert_sql("numeric")
        n = p.size

        async def run() -> None:
            async with conn.transaction():
                await conn.executemany(sql, w.insert_rows_iter(n))

        async def collect() -> Any:
            return await conn.fetchrow(w.summary_sql())

        return Job(run, collect=collect, close=conn.close)

    async def server_cursor(self, p: Params) -> Job:
        """``conn.cursor()`` (a server-side cursor, prefetching) in a transaction."""
        assert p.table is not None
        conn = await _connect(p)
        sql = w.rows_select_sql(p.table)

        async def run() -> tuple[int, int]:
            count = total = 0
            async with conn.transaction():
                async for row in conn.cursor(sql):
                    count += 1
                    total += row[0]
            return count, total

        return Job(run, close=conn.close)

    async def asyncio_concurrency(self, p: Params) -> Job:
        """One task per connection, each running its share of the queries."""
        conns = [await _connect(p) for _ in range(p.concurrency)]
        sql = w.roundtrip_sql("numeric")
        n, k = p.size, p.concurrency

        async def task(conn: Any, start: int) -> int:
            total = 0
            for i in range(start, n, k):
                total += await conn.fetchval(sql, i)
            return total

        async def run() -> int:
            return sum(await asyncio.gather(*(task(c, j) for j, c in enumerate(conns))))

        async def close() -> None:
            for c in conns:
                await c.close()

        return Job(run, close=close)

    def nonblocking_select(self, p: Params) -> Job:
        """Not offered: asyncpg works inside asyncio only."""
        raise Skip("asyncpg has no non-blocking cursors outside asyncio")
