"""psycopg 3: ``execute`` + ``fetch*``, ``executemany``, ``cursor.copy()``, asyncio.

The implementation (C or pure Python) follows ``PSYCOPG_IMPL``, set by the
runner for the ``psycopg3-pure`` variant.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import psycopg

from bench import workloads as w
from bench.drivers._dbapi import DbapiWorkloads, RowWriterCopy
from bench.workloads import Job, Params, Skip


class Driver(RowWriterCopy, DbapiWorkloads):
    """psycopg 3's way of running each workload."""

    def info(self) -> dict[str, Any]:
        """Version and implementation in use."""
        impl = psycopg.pq.__impl__
        wanted = os.environ.get("PSYCOPG_IMPL")
        if wanted and impl != wanted:
            raise RuntimeError(f"PSYCOPG_IMPL={wanted} but psycopg uses {impl}")
        return {"version": psycopg.__version__, "impl": impl, "libpq": psycopg.pq.version()}

    def _connect(self, p: Params, autocommit: bool = True) -> Any:
        return psycopg.connect(p.conn.dsn, autocommit=autocommit)

    async def _aconnect(self, p: Params) -> Any:
        return await psycopg.AsyncConnection.connect(p.conn.dsn, autocommit=True)

    def roundtrip(self, p: Params) -> Job:
        """``execute`` + ``fetchone`` per query on one cursor (auto-prepared)."""
        conn = self._connect(p)
        cur = conn.cursor()
        sql = w.roundtrip_sql()
        n = p.size

        def run() -> int:
            total = 0
            for i in range(n):
                cur.execute(sql, (i,))
                total += cur.fetchone()[0]
            return total

        return Job(run, close=conn.close)

    def _fetch(self, p: Params, sql: str) -> Job:
        conn = self._connect(p)
        cur = conn.cursor()

        def run() -> list[Any]:
            cur.execute(sql)
            return cur.fetchall()

        return Job(run, close=conn.close)

    def fetch_1m(self, p: Params) -> Job:
        """``execute`` + ``fetchall``."""
        assert p.table is not None
        return self._fetch(p, w.rows_select_sql(p.table))

    def fetch_wide(self, p: Params) -> Job:
        """``execute`` + ``fetchall``."""
        assert p.table is not None
        return self._fetch(p, w.wide_select_sql(p.table))

    def executemany(self, p: Params) -> Job:
        """``executemany`` in a transaction, then ``commit``."""
        conn = self._connect(p, autocommit=False)
        cur = conn.cursor()
        cur.execute(w.temp_table_sql())
        conn.commit()
        rows = w.insert_rows(p.size)
        sql = w.insert_sql()

        def run() -> None:
            cur.executemany(sql, rows)
            conn.commit()

        def collect() -> Any:
            cur.execute(w.summary_sql())
            row = cur.fetchone()
            conn.commit()
            return row

        return Job(run, collect=collect, close=conn.close)

    def copy_out(self, p: Params) -> Job:
        """``with cur.copy(...) as copy: for data in copy``."""
        assert p.table is not None
        conn = self._connect(p)
        cur = conn.cursor()
        sql = w.copy_out_sql(p.table)

        def run() -> bytearray:
            buf = bytearray()
            with cur.copy(sql) as copy:
                for data in copy:
                    buf += data
            return buf

        return Job(run, close=conn.close)

    def copy_in(self, p: Params) -> Job:
        """``with cur.copy(...) as copy: copy.write(chunk)``."""
        assert p.copy_file is not None
        conn = self._connect(p)
        cur = conn.cursor()
        cur.execute(w.temp_table_sql())
        pieces = w.chunks(Path(p.copy_file).read_bytes())
        sql = w.copy_in_sql()

        def run() -> None:
            with cur.copy(sql) as copy:
                for piece in pieces:
                    copy.write(piece)

        def collect() -> Any:
            cur.execute(w.summary_sql())
            return cur.fetchone()

        return Job(run, collect=collect, close=conn.close)

    async def asyncio_concurrency(self, p: Params) -> Job:
        """One task per ``AsyncConnection``, each running its share of the queries."""
        conns = [
            await psycopg.AsyncConnection.connect(p.conn.dsn, autocommit=True)
            for _ in range(p.concurrency)
        ]
        sql = w.roundtrip_sql()
        n, k = p.size, p.concurrency

        async def task(conn: Any, start: int) -> int:
            cur = conn.cursor()
            total = 0
            for i in range(start, n, k):
                await cur.execute(sql, (i,))
                total += (await cur.fetchone())[0]
            return total

        async def run() -> int:
            return sum(await asyncio.gather(*(task(c, j) for j, c in enumerate(conns))))

        async def close() -> None:
            for c in conns:
                await c.close()

        return Job(run, close=close)

    def nonblocking_select(self, p: Params) -> Job:
        """Not offered: psycopg 3 has no asynchronous cursors outside asyncio."""
        raise Skip("psycopg 3 has no non-blocking cursors to select() on (it has asyncio)")
