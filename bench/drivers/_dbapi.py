"""Workloads written the same way with several DB-API drivers (``_connect`` given by each)."""

from __future__ import annotations

from typing import Any

from bench import workloads as w
from bench.workloads import Job, Params


class DbapiWorkloads:
    """``fetch_wide_fresh``, ``executemany_gen`` and ``server_cursor`` with DB-API calls."""

    def _connect(self, p: Params, autocommit: bool = True) -> Any:
        raise NotImplementedError

    def fetch_wide_fresh(self, p: Params) -> Job:
        """A new connection: ``execute`` + ``fetchall`` twice."""
        assert p.table is not None
        conn = self._connect(p)
        sql = w.wide_select_sql(p.table)

        def run() -> list[Any]:
            cur = conn.cursor()
            cur.execute(sql)
            first = cur.fetchall()
            cur.execute(sql)
            return [first, cur.fetchall()]

        return Job(run, close=conn.close)

    def executemany_gen(self, p: Params) -> Job:
        """``executemany`` of a generator in a transaction, then ``commit``."""
        conn = self._connect(p, autocommit=False)
        cur = conn.cursor()
        cur.execute(w.temp_table_sql())
        conn.commit()
        sql = w.insert_sql()
        n = p.size

        def run() -> None:
            cur.executemany(sql, w.insert_rows_iter(n))
            conn.commit()

        def collect() -> Any:
            cur.execute(w.summary_sql())
            row = cur.fetchone()
            conn.commit()
            return row

        return Job(run, collect=collect, close=conn.close)

    def _named_cursor(self, conn: Any) -> Any:
        return conn.cursor("bench_stream")

    def server_cursor(self, p: Params) -> Job:
        """A named cursor in a transaction, iterated row by row."""
        assert p.table is not None
        conn = self._connect(p, autocommit=False)
        sql = w.rows_select_sql(p.table)

        def run() -> tuple[int, int]:
            cur = self._named_cursor(conn)
            cur.execute(sql)
            count = total = 0
            for row in cur:
                count += 1
                total += row[0]
            cur.close()
            conn.commit()
            return count, total

        return Job(run, close=conn.close)


class RowWriterCopy:
    """``copy_rows`` with ``Cursor.copy()`` and ``write_row()`` (pgwire, psycopg 3)."""

    def _connect(self, p: Params, autocommit: bool = True) -> Any:
        raise NotImplementedError

    def _copy_rows(self, p: Params, binary: bool) -> Job:
        conn = self._connect(p)
        cur = conn.cursor()
        cur.execute(w.rows_target_sql())
        rows = w.copy_rows(p.size)
        sql = w.copy_rows_sql(binary)

        def run() -> None:
            with cur.copy(sql) as copy:
                if binary:
                    copy.set_types(["int4", "text", "float8"])
                for row in rows:
                    copy.write_row(row)

        def collect() -> Any:
            cur.execute(w.rows_summary_sql())
            return cur.fetchone()

        return Job(run, collect=collect, close=conn.close)

    def copy_rows(self, p: Params) -> Job:
        """``with cur.copy(...) as copy: for row in rows: copy.write_row(row)``."""
        return self._copy_rows(p, False)

    def copy_rows_binary(self, p: Params) -> Job:
        """The same in binary format (after ``set_types``)."""
        return self._copy_rows(p, True)

    async def _aconnect(self, p: Params) -> Any:
        raise NotImplementedError

    async def _copy_rows_async(self, p: Params, binary: bool) -> Job:
        conn = await self._aconnect(p)
        cur = conn.cursor()
        await cur.execute(w.rows_target_sql())
        rows = w.copy_rows(p.size)
        sql = w.copy_rows_sql(binary)

        async def run() -> None:
            async with cur.copy(sql) as copy:
                if binary:
                    copy.set_types(["int4", "text", "float8"])
                for row in rows:
                    await copy.write_row(row)

        async def collect() -> Any:
            await cur.execute(w.rows_summary_sql())
            return await cur.fetchone()

        return Job(run, collect=collect, close=conn.close)

    async def copy_rows_async(self, p: Params) -> Job:
        """``async with cur.copy(...) as copy: for row in rows: await copy.write_row(row)``."""
        return await self._copy_rows_async(p, False)

    async def copy_rows_async_binary(self, p: Params) -> Job:
        """The same in binary format (after ``set_types``)."""
        return await self._copy_rows_async(p, True)


class LinesCopy:
    """``copy_rows`` for drivers without a row writer: lines formatted in Python."""

    def _connect(self, p: Params, autocommit: bool = True) -> Any:
        raise NotImplementedError

    def _copy_lines(self, cur: Any, sql: str, lines: Any) -> None:
        raise NotImplementedError

    def copy_rows(self, p: Params) -> Job:
        """Lines formatted in Python (no row writer in the driver), then COPY from them."""
        conn = self._connect(p)
        cur = conn.cursor()
        cur.execute(w.rows_target_sql())
        rows = w.copy_rows(p.size)
        sql = w.copy_rows_sql()

        def run() -> None:
            lines = (f"{i}\t{t}\t{f!r}\n" for i, t, f in rows)
            self._copy_lines(cur, sql, lines)

        def collect() -> Any:
            cur.execute(w.rows_summary_sql())
            return cur.fetchone()

        return Job(run, collect=collect, close=conn.close)
