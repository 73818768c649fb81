"""pg8000 (pure Python): its DB-API interface, ``stream=`` for COPY."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pg8000
import pg8000.dbapi

from bench import workloads as w
from bench.drivers._dbapi import DbapiWorkloads, LinesCopy
from bench.workloads import Job, Params, Skip


class _Sink:
    """A file-like object gathering what COPY ... TO STDOUT sends."""

    def __init__(self) -> None:
        self.buf = bytearray()

    def write(self, data: bytes) -> int:
        self.buf += data
        return len(data)


class Driver(LinesCopy, DbapiWorkloads):
    """pg8000's way of running each workload."""

    def info(self) -> dict[str, Any]:
        """Version and implementation in use."""
        return {"version": getattr(pg8000, "__version__", "?"), "impl": "python"}

    def _connect(self, p: Params, autocommit: bool = True) -> Any:
        c = p.conn
        kwargs: dict[str, Any] = {"user": c.user, "database": c.dbname, "password": c.password}
        if c.unix_socket:
            kwargs["unix_sock"] = c.unix_socket
        else:
            kwargs["host"] = c.host
            kwargs["port"] = c.port
        conn = pg8000.dbapi.connect(**kwargs)
        conn.autocommit = autocommit
        return conn

    def roundtrip(self, p: Params) -> Job:
        """``execute`` + ``fetchone`` per query (statements cached)."""
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
        """``executemany`` in a transaction (one round trip per row), then ``commit``."""
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
        """``execute(..., stream=sink)``."""
        assert p.table is not None
        conn = self._connect(p)
        cur = conn.cursor()
        sql = w.copy_out_sql(p.table)

        def run() -> bytearray:
            sink = _Sink()
            cur.execute(sql, stream=sink)
            return sink.buf

        return Job(run, close=conn.close)

    def copy_in(self, p: Params) -> Job:
        """``execute(..., stream=file)``."""
        assert p.copy_file is not None
        conn = self._connect(p)
        cur = conn.cursor()
        cur.execute(w.temp_table_sql())
        data = Path(p.copy_file).read_bytes()
        sql = w.copy_in_sql()

        def run() -> None:
            cur.execute(sql, stream=io.BytesIO(data))

        def collect() -> Any:
            cur.execute(w.summary_sql())
            return cur.fetchone()

        return Job(run, collect=collect, close=conn.close)

    def _copy_lines(self, cur: Any, sql: str, lines: Any) -> None:
        cur.execute(sql, stream=lines)

    def server_cursor(self, p: Params) -> Job:
        """Not offered: pg8000's DB-API has no named (server-side) cursors."""
        raise Skip("pg8000 has no server-side cursors")

    def asyncio_concurrency(self, p: Params) -> Job:
        """Not offered: pg8000 has no asyncio interface."""
        raise Skip("pg8000 has no asyncio interface")

    def copy_rows_async(self, p: Params) -> Job:
        """Not offered: pg8000 has no asyncio interface."""
        raise Skip("pg8000 has no asyncio interface")

    def copy_rows_async_binary(self, p: Params) -> Job:
        """Not offered: pg8000 has no asyncio interface."""
        raise Skip("pg8000 has no asyncio interface")

    def nonblocking_select(self, p: Params) -> Job:
        """Not offered: pg8000 has no non-blocking interface."""
        raise Skip("pg8000 has no non-blocking interface")
