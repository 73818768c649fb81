"""The workloads: what each one does, its sizes, its data and how results are checked.

Every driver runs the same workload on the same data; the data follows simple
formulas of the row number so that a result can be checked against values
computed here, in Python, independently of any driver. A check failing makes
the measurement an error: a driver that skipped work or decoded a value wrongly
gets no time.

This module uses the standard library only: it is imported by the runner and
by every worker, whatever driver the worker measures.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import uuid
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

__all__ = [
    "BASE_TS",
    "CONCURRENCY",
    "CONN_ENV",
    "TARGET_TABLE",
    "WIDE_COLUMNS",
    "WORKLOADS",
    "ConnInfo",
    "Job",
    "Params",
    "Skip",
    "VerifyError",
    "Workload",
    "check",
    "chunks",
    "copy_in_sql",
    "copy_lines",
    "copy_out_sql",
    "copy_rows",
    "copy_rows_sql",
    "insert_rows_iter",
    "rows_summary_sql",
    "rows_target_sql",
    "ROWS_TARGET",
    "expected_summary",
    "insert_rows",
    "insert_sql",
    "roundtrip_sql",
    "rows_select_sql",
    "rows_table_sql",
    "scaled_size",
    "summary_sql",
    "temp_table_sql",
    "wide_digest",
    "wide_row",
    "wide_select_sql",
    "wide_table_sql",
]

#: How many connections the concurrency workloads spread their queries over.
CONCURRENCY = 8

#: The environment variable handing the connection parameters to a worker
#: (kept off the command line, where a password would show in ``ps``).
CONN_ENV = "PGWIRE_BENCH_CONN"

#: Time zero of the timestamp columns.
BASE_TS = datetime(2000, 1, 1, tzinfo=timezone.utc)
_BASE_NAIVE = datetime(2000, 1, 1)
_ONE_US = timedelta(microseconds=1)
# Spacing of the ``ts`` column of the narrow rows, in microseconds.
_TS_STEP_US = 1_001_000


@dataclass(frozen=True)
class Workload:
    """One benchmark workload.

    ``size`` counts what the workload is about (queries or rows); ``table``
    names the kind of prepared table it reads (``"rows"``, ``"wide"`` or
    ``None``), ``copy_file`` whether it needs the COPY input file.
    """

    name: str
    description: str
    full_size: int
    quick_size: int
    unit: str
    table: str | None = None
    copy_file: bool = False
    min_size: int = 1


WORKLOADS: dict[str, Workload] = {
    w.name: w
    for w in (
        Workload(
            "roundtrip",
            "small parameterized queries, one after the other (SELECT $1::int + 1)",
            20_000,
            5_000,
            "queries",
        ),
        Workload(
            "fetch_1m",
            "fetch all rows of (int4, text, float8, timestamptz)",
            1_000_000,
            100_000,
            "rows",
            table="rows",
        ),
        Workload(
            "fetch_wide",
            "fetch all rows of 20 columns of mixed types",
            20_000,
            5_000,
            "rows",
            table="wide",
        ),
        Workload(
            "executemany",
            "insert rows of (int4, text, float8, timestamptz) with executemany, then commit",
            50_000,
            10_000,
            "rows",
        ),
        Workload(
            "copy_out",
            "COPY ... TO STDOUT of (int4, text, float8, timestamptz) rows, text format",
            1_000_000,
            200_000,
            "rows",
            table="rows",
        ),
        Workload(
            "copy_in",
            "COPY ... FROM STDIN of (int4, text, float8, timestamptz) rows, text format",
            1_000_000,
            200_000,
            "rows",
            copy_file=True,
        ),
        Workload(
            "copy_rows",
            "COPY FROM of Python tuples (int4, text, float8), text format, a write_row() per row "
            "(asyncpg: copy_records_to_table; psycopg2/pg8000: lines formatted in Python)",
            500_000,
            100_000,
            "rows",
        ),
        Workload(
            "copy_rows_binary",
            "COPY FROM of Python tuples (int4, text, float8), binary format, a write_row() per "
            "row (asyncpg: copy_records_to_table)",
            500_000,
            100_000,
            "rows",
        ),
        Workload(
            "copy_rows_async",
            "copy_rows through asyncio: an awaited write_row() per row, text format "
            "(asyncpg: copy_records_to_table)",
            500_000,
            100_000,
            "rows",
        ),
        Workload(
            "copy_rows_async_binary",
            "copy_rows_async in binary format (asyncpg: copy_records_to_table)",
            500_000,
            100_000,
            "rows",
        ),
        Workload(
            "fetch_wide_fresh",
            "a fresh connection fetching the 20-column table twice with fetchall() "
            "(first runs: nothing prepared)",
            20_000,
            5_000,
            "rows",
            table="wide",
        ),
        Workload(
            "executemany_gen",
            "executemany of (int4, text, float8, timestamptz) rows from a generator, then commit",
            50_000,
            10_000,
            "rows",
        ),
        Workload(
            "server_cursor",
            "iterate a server-side (named) cursor over (int4, text, float8, timestamptz) rows",
            1_000_000,
            100_000,
            "rows",
            table="rows",
        ),
        Workload(
            "asyncio_concurrency",
            f"small queries spread over {CONCURRENCY} connections with asyncio",
            20_000,
            5_000,
            "queries",
            min_size=CONCURRENCY,
        ),
        Workload(
            "nonblocking_select",
            f"small queries on {CONCURRENCY} non-blocking connections in one select() loop",
            10_000,
            2_000,
            "queries",
            min_size=CONCURRENCY,
        ),
    )
}


def scaled_size(workload: Workload, *, quick: bool, scale: float) -> int:
    """The size a run uses: the full or quick size times ``scale``, at least the minimum."""
    base = workload.quick_size if quick else workload.full_size
    return max(workload.min_size, round(base * scale))


# --------------------------------------------------------------------------
# What a worker gets and what a driver returns


@dataclass(frozen=True)
class ConnInfo:
    """How to reach the server, both as a DSN and as separate parameters.

    ``host`` is a host name, an IP address or a Unix socket directory;
    ``unix_socket`` is the socket file in the latter case. ``server_pid`` is
    the postmaster's process id when the server runs on this machine: the
    workers then measure the CPU time the server spends on each run.
    """

    dsn: str
    host: str
    port: int
    user: str
    dbname: str
    password: str | None = None
    unix_socket: str | None = None
    server_pid: int | None = None

    def to_json(self) -> str:
        """Serialize for :data:`CONN_ENV`."""
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> ConnInfo:
        """The inverse of :meth:`to_json`."""
        return cls(**json.loads(text))

    @classmethod
    def from_env(cls) -> ConnInfo:
        """Read the parameters a runner left in :data:`CONN_ENV`."""
        text = os.environ.get(CONN_ENV)
        if not text:
            raise RuntimeError(f"{CONN_ENV} is not set: run workers through the runner")
        return cls.from_json(text)


@dataclass(frozen=True)
class Params:
    """What a driver needs to set a workload up.

    ``table`` is the prepared table the workload reads (if any); ``copy_file``
    the file holding the COPY input (if any).
    """

    workload: str
    size: int
    conn: ConnInfo
    table: str | None = None
    copy_file: str | None = None
    concurrency: int = CONCURRENCY


@dataclass
class Job:
    """A workload made ready by a driver.

    ``run`` is the part that is timed (a function or a coroutine function);
    its return value is what gets checked, unless ``collect`` is given: then
    ``collect`` runs after the timing and its return value is checked.
    ``close`` releases connections. ``collect`` and ``close`` are coroutine
    functions when ``run`` is one.
    """

    run: Callable[[], Any]
    collect: Callable[[], Any] | None = None
    close: Callable[[], Any] | None = None


class Skip(Exception):
    """The driver cannot run this workload (the message says why)."""


class VerifyError(AssertionError):
    """A workload's result does not match what the data says it must be."""


# --------------------------------------------------------------------------
# SQL shared by all drivers

#: The narrow target table of ``executemany`` and ``copy_in`` (a temporary table).
TARGET_TABLE = "bench_target"

#: The target of ``copy_rows`` (a temporary table of int4, text, float8).
ROWS_TARGET = "bench_rows_target"


def temp_table_sql() -> str:
    """``CREATE TEMP TABLE`` of the target of ``executemany`` and ``copy_in``."""
    return (
        f"CREATE TEMP TABLE {TARGET_TABLE} "
        "(id int4 NOT NULL, txt text NOT NULL, f float8 NOT NULL, ts timestamptz NOT NULL)"
    )


def summary_sql(table: str = TARGET_TABLE) -> str:
    """A query summing up a narrow table as text, for :func:`check` to compare."""
    return (
        "SELECT count(*)::text, sum(id)::text, sum(length(txt))::text, "
        "sum(f)::numeric::text, "
        "sum((extract(epoch FROM ts - timestamptz '2000-01-01 00:00:00+00') * 1000000)::int8)"
        f"::text FROM {table}"
    )


def insert_sql(style: str = "pyformat") -> str:
    """The INSERT of ``executemany`` with ``%s`` (``pyformat``) or ``$n`` placeholders."""
    if style == "numeric":
        marks = "$1, $2, $3, $4"
    else:
        marks = "%s, %s, %s, %s"
    return f"INSERT INTO {TARGET_TABLE} (id, txt, f, ts) VALUES ({marks})"


def roundtrip_sql(style: str = "pyformat") -> str:
    """The small query of the round-trip workloads."""
    return "SELECT $1::int + 1" if style == "numeric" else "SELECT %s::int + 1"


def rows_table_sql(table: str, n: int) -> list[str]:
    """Statements creating and filling the narrow table ``table`` with rows 1..n."""
    return [
        f"DROP TABLE IF EXISTS {table}",
        f"CREATE UNLOGGED TABLE {table} "
        "(id int4 NOT NULL, txt text NOT NULL, f float8 NOT NULL, ts timestamptz NOT NULL)",
        f"INSERT INTO {table} (id, txt, f, ts) SELECT g, 'row ' || g, g * 0.25::float8, "
        "timestamptz '2000-01-01 00:00:00+00' + g * interval '1.001 seconds' "
        f"FROM generate_series(1, {int(n)}) AS g",
        f"VACUUM ANALYZE {table}",
    ]


# Column name, SQL type, SQL expression of g, kind of normalization.
_WIDE_COLUMNS: tuple[tuple[str, str, str, str], ...] = (
    ("id", "int4", "g", "plain"),
    ("c_int2", "int2", "(g % 32000)::int2", "plain"),
    ("c_int8", "int8", "g::int8 * 1000003", "plain"),
    ("c_neg", "int4", "-g", "plain"),
    ("c_null_int", "int4", "CASE WHEN g % 7 = 0 THEN NULL ELSE g END", "plain"),
    ("c_num", "numeric(14,4)", "(g * 1.2345)::numeric(14,4)", "decimal"),
    ("c_bignum", "numeric", "g::numeric * 1000000007", "decimal"),
    ("c_float", "float8", "g::float8 / 7", "plain"),
    ("c_half", "float8", "g * 0.5::float8", "plain"),
    ("c_bool", "bool", "g % 3 = 0", "plain"),
    ("c_text", "text", "'text value ' || g", "plain"),
    ("c_varchar", "varchar(64)", "md5(g::text)", "plain"),
    (
        "c_null_text",
        "text",
        "CASE WHEN g % 5 = 0 THEN NULL ELSE repeat('abc', g % 20) END",
        "plain",
    ),
    ("c_bytea", "bytea", "decode(md5(g::text), 'hex')", "bytes"),
    ("c_date", "date", "date '2000-01-01' + g % 10000", "plain"),
    ("c_time", "time", "time '00:00' + (g % 86400) * interval '1 second'", "plain"),
    ("c_ts", "timestamp", "timestamp '2000-01-01' + g * interval '61.5 seconds'", "plain"),
    (
        "c_tstz",
        "timestamptz",
        "timestamptz '2000-01-01 00:00:00+00' + g * interval '3661.25 seconds'",
        "tstz",
    ),
    ("c_uuid", "uuid", "md5(g::text)::uuid", "uuid"),
    (
        "c_json",
        "jsonb",
        "jsonb_build_object('id', g, 'name', 'n' || g, 'tags', jsonb_build_array('x', g % 5))",
        "json",
    ),
)

#: The columns of the wide table, in order.
WIDE_COLUMNS: tuple[str, ...] = tuple(c[0] for c in _WIDE_COLUMNS)


def wide_table_sql(table: str, n: int) -> list[str]:
    """Statements creating and filling the wide table ``table`` with rows 1..n."""
    cols = ", ".join(f"{name} {typ}" for name, typ, _expr, _kind in _WIDE_COLUMNS)
    exprs = ", ".join(expr for _name, _typ, expr, _kind in _WIDE_COLUMNS)
    return [
        f"DROP TABLE IF EXISTS {table}",
        f"CREATE UNLOGGED TABLE {table} ({cols})",
        f"INSERT INTO {table} SELECT {exprs} FROM generate_series(1, {int(n)}) AS g",
        f"VACUUM ANALYZE {table}",
    ]


def wide_select_sql(table: str) -> str:
    """The query of ``fetch_wide``."""
    return f"SELECT {', '.join(WIDE_COLUMNS)} FROM {table}"


def rows_select_sql(table: str) -> str:
    """The query of ``fetch_1m``."""
    return f"SELECT id, txt, f, ts FROM {table}"


def copy_out_sql(table: str) -> str:
    """The statement of ``copy_out``."""
    return f"COPY {table} (id, txt, f, ts) TO STDOUT"


def copy_in_sql() -> str:
    """The statement of ``copy_in``."""
    return f"COPY {TARGET_TABLE} (id, txt, f, ts) FROM STDIN"


# --------------------------------------------------------------------------
# Data in Python


def _ts(i: int) -> datetime:
    return BASE_TS + timedelta(microseconds=_TS_STEP_US * i)


def insert_rows(n: int) -> list[tuple[int, str, float, datetime]]:
    """The rows ``executemany`` inserts: the narrow table's rows 1..n as Python values."""
    return [(i, f"row {i}", i * 0.25, _ts(i)) for i in range(1, n + 1)]


def copy_rows(n: int) -> list[tuple[int, str, float]]:
    """The rows of ``copy_rows``: (i, "row i", i / 4) for i in 1..n."""
    return [(i, f"row {i}", i * 0.25) for i in range(1, n + 1)]


def copy_rows_sql(binary: bool = False) -> str:
    """The statement of ``copy_rows`` and ``copy_rows_binary``."""
    return f"COPY {ROWS_TARGET} (id, txt, f) FROM STDIN" + (" (FORMAT BINARY)" if binary else "")


def rows_target_sql() -> str:
    """``CREATE TEMP TABLE`` of the target of ``copy_rows``."""
    return (
        f"CREATE TEMP TABLE {ROWS_TARGET} "
        "(id int4 NOT NULL, txt text NOT NULL, f float8 NOT NULL)"
    )


def rows_summary_sql() -> str:
    """A summary of the ``copy_rows`` target as text, for :func:`check`."""
    return (
        "SELECT count(*)::text, sum(id)::text, sum(length(txt))::text, sum(f)::numeric::text "
        f"FROM {ROWS_TARGET}"
    )


def insert_rows_iter(n: int) -> Iterator[tuple[int, str, float, datetime]]:
    """:func:`insert_rows` as a generator (what ``executemany_gen`` passes)."""
    for i in range(1, n + 1):
        yield (i, f"row {i}", i * 0.25, _ts(i))


def copy_lines(n: int) -> Iterator[bytes]:
    """The narrow rows 1..n in COPY text format, one line each."""
    for i in range(1, n + 1):
        yield f"{i}\trow {i}\t{i * 0.25!r}\t{_ts(i).isoformat(' ')}\n".encode()


def chunks(data: bytes, size: int = 65536) -> list[memoryview]:
    """``data`` cut into pieces of ``size`` bytes (views, not copies)."""
    view = memoryview(data)
    return [view[i : i + size] for i in range(0, len(view), size)]


def wide_row(g: int) -> tuple[Any, ...]:
    """Row ``g`` of the wide table as Python values (psycopg 3's types)."""
    digest = hashlib.md5(str(g).encode()).digest()
    seconds = g % 86400
    return (
        g,
        g % 32000,
        g * 1000003,
        -g,
        None if g % 7 == 0 else g,
        Decimal(g) * Decimal("1.2345"),
        Decimal(g) * 1000000007,
        g / 7,
        g * 0.5,
        g % 3 == 0,
        f"text value {g}",
        digest.hex(),
        None if g % 5 == 0 else "abc" * (g % 20),
        digest,
        date(2000, 1, 1) + timedelta(days=g % 10000),
        time(seconds // 3600, seconds // 60 % 60, seconds % 60),
        _BASE_NAIVE + timedelta(microseconds=61_500_000 * g),
        BASE_TS + timedelta(microseconds=3_661_250_000 * g),
        uuid.UUID(bytes=digest),
        {"id": g, "name": f"n{g}", "tags": ["x", g % 5]},
    )


# --------------------------------------------------------------------------
# Checks

# Drivers differ in a few documented defaults that are not errors: psycopg2
# returns bytea as memoryview and uuid as str, asyncpg json as str, and each
# has its own tzinfo class. Values are brought to one form before comparing.


def _norm_plain(v: Any) -> Any:
    return v


def _norm_decimal(v: Any) -> Any:
    return None if v is None else str(Decimal(v).normalize())


def _norm_bytes(v: Any) -> Any:
    return None if v is None else bytes(v)


def _norm_tstz(v: Any) -> Any:
    if v is None:
        return None
    if v.tzinfo is None:
        raise VerifyError(f"timestamptz read as a naive datetime: {v!r}")
    return v.astimezone(timezone.utc)


def _norm_uuid(v: Any) -> Any:
    return None if v is None else str(v)


def _norm_json(v: Any) -> Any:
    if isinstance(v, (str, bytes, bytearray)):
        v = json.loads(v)
    return json.dumps(v, sort_keys=True)


_NORMALIZERS: dict[str, Callable[[Any], Any]] = {
    "plain": _norm_plain,
    "decimal": _norm_decimal,
    "bytes": _norm_bytes,
    "tstz": _norm_tstz,
    "uuid": _norm_uuid,
    "json": _norm_json,
}
_WIDE_NORMALIZERS = tuple(_NORMALIZERS[kind] for *_rest, kind in _WIDE_COLUMNS)


def wide_digest(rows: Iterable[Sequence[Any]]) -> tuple[int, str]:
    """``(row count, sha256)`` of wide rows after normalization."""
    h = hashlib.sha256()
    count = 0
    for row in rows:
        values = tuple(row)
        if len(values) != len(_WIDE_NORMALIZERS):
            raise VerifyError(f"a wide row has {len(values)} columns, not {len(WIDE_COLUMNS)}")
        normalized = tuple(f(v) for f, v in zip(_WIDE_NORMALIZERS, values, strict=True))
        h.update(repr(normalized).encode())
        count += 1
    return count, h.hexdigest()


def _digit_sum_len(n: int) -> int:
    """Sum of ``len(str(i))`` for i in 1..n."""
    total = 0
    low = 1
    digits = 1
    while low <= n:
        high = min(n, low * 10 - 1)
        total += (high - low + 1) * digits
        low *= 10
        digits += 1
    return total


def expected_summary(n: int) -> tuple[int, int, int, Decimal, int]:
    """What :func:`summary_sql` must return for the narrow rows 1..n."""
    tri = n * (n + 1) // 2
    return (n, tri, 4 * n + _digit_sum_len(n), Decimal(tri) / 4, _TS_STEP_US * tri)


def _check_summary(row: Sequence[Any], n: int) -> dict[str, Any]:
    values = tuple(row)
    if len(values) != 5 or any(v is None for v in values):
        raise VerifyError(f"unexpected summary row {values!r}")
    got = (
        int(values[0]),
        int(values[1]),
        int(values[2]),
        Decimal(str(values[3])),
        int(values[4]),
    )
    want = expected_summary(n)
    if got != want:
        raise VerifyError(f"table summary {got!r} != expected {want!r}")
    return {"rows": got[0], "checksum": f"{got[1]}/{got[2]}/{got[3]}/{got[4]}"}


def _check_sum(total: Any, n: int) -> dict[str, Any]:
    want = n * (n + 1) // 2
    if total != want:
        raise VerifyError(f"sum of results {total!r} != expected {want}")
    return {"rows": n, "checksum": str(total)}


def _check_rows(rows: Sequence[Sequence[Any]], n: int) -> dict[str, Any]:
    if len(rows) != n:
        raise VerifyError(f"{len(rows)} rows fetched, {n} expected")
    if n:
        first = tuple(rows[0])
        types = tuple(type(v) for v in first)
        if not (
            isinstance(first[0], int)
            and isinstance(first[1], str)
            and isinstance(first[2], float)
            and isinstance(first[3], datetime)
        ):
            raise VerifyError(f"unexpected types {types!r}")
    sid = slen = sus = 0
    sf = 0.0
    for i, t, f, ts in rows:
        sid += i
        slen += len(t)
        sf += f
        sus += (ts - BASE_TS) // _ONE_US
    tri = n * (n + 1) // 2
    want = (tri, 4 * n + _digit_sum_len(n), tri / 4, _TS_STEP_US * tri)
    got = (sid, slen, sf, sus)
    if got != want:
        raise VerifyError(f"row sums {got!r} != expected {want!r}")
    return {"rows": n, "checksum": f"{sid}/{slen}/{sf!r}/{sus}"}


def _check_rows_summary(row: Sequence[Any], n: int) -> dict[str, Any]:
    values = tuple(row)
    tri = n * (n + 1) // 2
    want = (n, tri, 4 * n + _digit_sum_len(n), Decimal(tri) / 4)
    got = (int(values[0]), int(values[1]), int(values[2]), Decimal(str(values[3])))
    if got != want:
        raise VerifyError(f"table summary {got!r} != expected {want!r}")
    return {"rows": n, "checksum": f"{got[1]}/{got[2]}/{got[3]}"}


def _check_wide_twice(result: Sequence[Sequence[Sequence[Any]]], n: int) -> dict[str, Any]:
    first, second = result
    one = _check_wide(first, n)
    if _check_wide(second, n) != one:
        raise VerifyError("the second fetch differs from the first")
    return one


def _check_stream(result: Sequence[Any], n: int) -> dict[str, Any]:
    count, sid = result
    if (count, sid) != (n, n * (n + 1) // 2):
        raise VerifyError(f"streamed {count} rows summing to {sid}, expected {n}")
    return {"rows": n, "checksum": str(sid)}


def _check_wide(rows: Sequence[Sequence[Any]], n: int) -> dict[str, Any]:
    # A heap scan returns rows in insertion order, but nothing promises it.
    rows = sorted(rows, key=lambda row: row[0])
    count, digest = wide_digest(rows)
    if count != n:
        raise VerifyError(f"{count} rows fetched, {n} expected")
    want = wide_digest(wide_row(g) for g in range(1, n + 1))[1]
    if digest != want:
        # Name the first differing value: it is what someone will want to know.
        for g, row in enumerate(rows, 1):
            exp = wide_row(g)
            for col, f, a, b in zip(WIDE_COLUMNS, _WIDE_NORMALIZERS, row, exp, strict=True):
                if f(a) != f(b):
                    raise VerifyError(f"row {g} column {col}: got {a!r}, expected {b!r}")
        raise VerifyError("wide rows differ from the expected ones")
    return {"rows": count, "checksum": digest[:16]}


_COPY_ID = re.compile(rb"^(\d+)\t", re.M)


def _check_copy_out(data: bytes | bytearray, n: int) -> dict[str, Any]:
    data = bytes(data)
    lines = data.count(b"\n")
    if lines != n:
        raise VerifyError(f"COPY produced {lines} lines, {n} expected")
    if data.count(b"\t") != 3 * n:
        raise VerifyError("COPY lines do not all have 4 fields")
    sid = sum(map(int, _COPY_ID.findall(data)))
    if sid != n * (n + 1) // 2:
        raise VerifyError(f"sum of COPY ids {sid} != expected {n * (n + 1) // 2}")
    return {"rows": n, "bytes": len(data), "checksum": f"{zlib.crc32(data):08x}"}


_CHECKS: dict[str, Callable[[Any, int], dict[str, Any]]] = {
    "roundtrip": _check_sum,
    "fetch_1m": _check_rows,
    "fetch_wide": _check_wide,
    "executemany": _check_summary,
    "copy_out": _check_copy_out,
    "copy_in": _check_summary,
    "copy_rows": _check_rows_summary,
    "copy_rows_binary": _check_rows_summary,
    "copy_rows_async": _check_rows_summary,
    "copy_rows_async_binary": _check_rows_summary,
    "fetch_wide_fresh": _check_wide_twice,
    "executemany_gen": _check_summary,
    "server_cursor": _check_stream,
    "asyncio_concurrency": _check_sum,
    "nonblocking_select": _check_sum,
}


def check(workload: str, result: Any, size: int) -> dict[str, Any]:
    """Check what a driver returned for ``workload``; return a summary of it.

    Raises :class:`VerifyError` when the result is wrong.
    """
    return _CHECKS[workload](result, size)
