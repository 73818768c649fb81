"""pgwire: DB-API cursors, ``async_=True`` cursors in a select loop, asyncio."""

from __future__ import annotations

import asyncio
import os
import select
import sys
from pathlib import Path
from typing import Any

import pgwire
from bench import workloads as w
from bench.drivers._dbapi import DbapiWorkloads, RowWriterCopy
from bench.workloads import Job, Params


def _impl() -> str:
    # A compiled accelerator shows as an extension module inside the package.
    for name, module in list(sys.modules.items()):
        if name.startswith("pgwire.") and str(getattr(module, "__file__", "")).endswith(
            (".so", ".pyd")
        ):
            return "compiled"
    return "python"


class Driver(RowWriterCopy, DbapiWorkloads):
    """pgwire's way of running each workload."""

    def info(self) -> dict[str, Any]:
        """Version and implementation in use."""
        return {
            "version": getattr(pgwire, "__version__", "?"),
            "impl": _impl(),
            "no_speedups": os.environ.get("PGWIRE_NO_SPEEDUPS", ""),
        }

    def _connect(self, p: Params, autocommit: bool = True) -> Any:
        return pgwire.connect(p.conn.dsn, autocommit=autocommit)

    async def _aconnect(self, p: Params) -> Any:
        return await pgwire.AsyncConnection.connect(p.conn.dsn, autocommit=True)

    def roundtrip(self, p: Params) -> Job:
        """``execute`` + ``fetchone`` per query on one cursor."""
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
            await pgwire.AsyncConnection.connect(p.conn.dsn, autocommit=True)
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
        """``execute(..., async_=True)`` on several cursors, ``select()`` + ``isbusy()``."""
        conns = [self._connect(p) for _ in range(p.concurrency)]
        curs = [c.cursor() for c in conns]
        sql = w.roundtrip_sql()
        n = p.size

        def run() -> int:
            todo = iter(range(n))
            total = 0
            busy = []
            for cur in curs:
                i = next(todo, None)
                if i is None:
                    break
                cur.execute(sql, (i,), async_=True)
                busy.append(cur)
            while busy:
                ready, _, _ = select.select(busy, [], [])
                for cur in ready:
                    if cur.isbusy():
                        continue
                    total += cur.fetchone()[0]
                    i = next(todo, None)
                    if i is None:
                        busy.remove(cur)
                    else:
                        cur.execute(sql, (i,), async_=True)
            return total

        def close() -> None:
            for c in conns:
                c.close()

        return Job(run, close=close)
