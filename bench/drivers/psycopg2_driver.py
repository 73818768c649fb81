"""psycopg2: ``execute`` + ``fetch*``, ``execute_batch``, ``copy_expert``, async connections."""

from __future__ import annotations

import io
import select
from pathlib import Path
from typing import Any

import psycopg2
import psycopg2.extensions as ext
import psycopg2.extras

from bench import workloads as w
from bench.drivers._dbapi import DbapiWorkloads, LinesCopy
from bench.workloads import Job, Params, Skip


class _Sink:
    """A file-like object gathering what ``copy_expert`` writes."""

    def __init__(self) -> None:
        self.buf = bytearray()

    def write(self, data: bytes) -> int:
        self.buf += data
        return len(data)


def _wait(conn: Any) -> None:
    """Drive an asynchronous connection until its current operation ends."""
    while True:
        state = conn.poll()
        if state == ext.POLL_OK:
            return
        if state == ext.POLL_READ:
            select.select([conn], [], [])
        elif state == ext.POLL_WRITE:
            select.select([], [conn], [])
        else:
            raise psycopg2.OperationalError(f"poll() returned {state}")


class Driver(LinesCopy, DbapiWorkloads):
    """psycopg2's way of running each workload."""

    def info(self) -> dict[str, Any]:
        """Version and implementation in use."""
        return {
            "version": psycopg2.__version__.split()[0],
            "impl": "C (libpq)",
            "libpq": psycopg2.__libpq_version__,
        }

    def _connect(self, p: Params, autocommit: bool = True) -> Any:
        conn = psycopg2.connect(p.conn.dsn)
        conn.autocommit = autocommit
        return conn

    def roundtrip(self, p: Params) -> Job:
        """``execute`` + ``fetchone`` per query (parameters merged client-side)."""
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
        """``execute`` + ``fetchall`` (uuid stays a str, psycopg2's default)."""
        assert p.table is not None
        return self._fetch(p, w.wide_select_sql(p.table))

    def executemany(self, p: Params) -> Job:
        """``psycopg2.extras.execute_batch`` in a transaction, then ``commit``.

        psycopg2's own ``executemany`` makes one round trip per row; its
        documentation points to ``execute_batch`` for speed, which runs the
        same INSERT per row, 100 to a round trip.
        """
        conn = self._connect(p, autocommit=False)
        cur = conn.cursor()
        cur.execute(w.temp_table_sql())
        conn.commit()
        rows = w.insert_rows(p.size)
        sql = w.insert_sql()

        def run() -> None:
            psycopg2.extras.execute_batch(cur, sql, rows)
            conn.commit()

        def collect() -> Any:
            cur.execute(w.summary_sql())
            row = cur.fetchone()
            conn.commit()
            return row

        return Job(run, collect=collect, close=conn.close)

    def copy_out(self, p: Params) -> Job:
        """``copy_expert`` into a file-like object."""
        assert p.table is not None
        conn = self._connect(p)
        cur = conn.cursor()
        sql = w.copy_out_sql(p.table)

        def run() -> bytearray:
            sink = _Sink()
            cur.copy_expert(sql, sink)
            return sink.buf

        return Job(run, close=conn.close)

    def copy_in(self, p: Params) -> Job:
        """``copy_expert`` from a file-like object."""
        assert p.copy_file is not None
        conn = self._connect(p)
        cur = conn.cursor()
        cur.execute(w.temp_table_sql())
        data = Path(p.copy_file).read_bytes()
        sql = w.copy_in_sql()

        def run() -> None:
            cur.copy_expert(sql, io.BytesIO(data))

        def collect() -> Any:
            cur.execute(w.summary_sql())
            return cur.fetchone()

        return Job(run, collect=collect, close=conn.close)

    def _copy_lines(self, cur: Any, sql: str, lines: Any) -> None:
        cur.copy_expert(sql, io.StringIO("".join(lines)))

    def asyncio_concurrency(self, p: Params) -> Job:
        """Not offered: psycopg2 has no asyncio interface."""
        raise Skip("psycopg2 has no asyncio interface")

    def copy_rows_async(self, p: Params) -> Job:
        """Not offered: psycopg2 has no asyncio interface."""
        raise Skip("psycopg2 has no asyncio interface")

    def copy_rows_async_binary(self, p: Params) -> Job:
        """Not offered: psycopg2 has no asyncio interface."""
        raise Skip("psycopg2 has no asyncio interface")

    def nonblocking_select(self, p: Params) -> Job:
        """Asynchronous connections (``async_=1``) driven by ``poll()`` and ``select()``."""
        conns = [psycopg2.connect(p.conn.dsn, async_=1) for _ in range(p.concurrency)]
        for conn in conns:
            _wait(conn)
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
                cur.execute(sql, (i,))
                busy.append(cur)
            while busy:
                readers = []
                writers = []
                for cur in list(busy):
                    state = cur.connection.poll()
                    while state == ext.POLL_OK:
                        total += cur.fetchone()[0]
                        i = next(todo, None)
                        if i is None:
                            busy.remove(cur)
                            break
                        cur.execute(sql, (i,))
                        state = cur.connection.poll()
                    else:
                        # Still waiting for the server (the loop ended without break).
                        if state == ext.POLL_READ:
                            readers.append(cur.connection)
                        elif state == ext.POLL_WRITE:
                            writers.append(cur.connection)
                        else:
                            raise psycopg2.OperationalError(f"poll() returned {state}")
                if readers or writers:
                    select.select(readers, writers, [])
            return total

        def close() -> None:
            for c in conns:
                c.close()

        return Job(run, close=close)
