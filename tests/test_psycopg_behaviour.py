"""psycopg 3 behaviour that code written for it relies on: reprs, defaults, formats, results."""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

import pgwire
from pgwire import postgres
from pgwire.rows import tuple_row
from pgwire.types import Format


def test_connection_repr(conn):
    assert repr(conn).startswith("<pgwire.Connection [IDLE] (host=")
    assert "database=" in repr(conn)
    conn.execute("SELECT 1")
    assert "[INTRANS]" in repr(conn)
    conn.close()
    assert repr(conn).startswith("<pgwire.Connection [BAD] at 0x")


def test_transaction_pipeline_and_copy_reprs(conn):
    conn.autocommit = True
    with conn.transaction() as tx:
        assert "Transaction (active) [INTRANS] (host=" in repr(tx)
        with conn.transaction("inner") as sp:
            assert "Transaction 'inner' (active) [INTRANS]" in repr(sp)
    assert "(committed) [IDLE]" in repr(tx)
    with conn.pipeline() as p:
        assert "Pipeline [IDLE, pipeline=ON] (host=" in repr(p)
    cur = conn.cursor()
    with cur.copy("COPY (SELECT 1) TO STDOUT") as copy:
        # A COPY in progress: the session is busy, as libpq reports it.
        assert "Copy [ACTIVE]" in repr(copy)
        assert conn.info.transaction_status == pgwire.TransactionStatus.ACTIVE
        list(copy)
    assert "Copy [IDLE]" in repr(copy)
    conn.close()
    assert "[BAD]" in repr(p) and "[BAD]" in repr(tx)


def test_factories_show_their_defaults(conn):
    assert conn.row_factory is tuple_row
    assert conn.cursor_factory is pgwire.Cursor
    assert conn.server_cursor_factory is pgwire.ServerCursor

    class MyCursor(pgwire.Cursor):
        pass

    conn.cursor_factory = MyCursor
    assert isinstance(conn.execute("SELECT 1"), MyCursor)


def test_async_factories_show_their_defaults(dsn):
    async def main() -> Any:
        conn = await pgwire.AsyncConnection.connect(dsn)
        try:
            return conn.row_factory, conn.cursor_factory, conn.server_cursor_factory
        finally:
            await conn.close()

    assert asyncio.run(main()) == (tuple_row, pgwire.AsyncCursor, pgwire.AsyncServerCursor)


def test_format_follows_binary(conn):
    cur = conn.execute("SELECT %s, %s", [10, 20], binary=True)
    assert cur.format == Format.BINARY and cur.fetchone() == (10, 20)
    cur.format = Format.TEXT
    assert cur.binary is False
    assert conn.execute("SELECT 1").format == Format.TEXT


QUERY = "SELECT n, date '2020-01-02' + n AS d, n * 1.5 AS x FROM generate_series(1, 5) AS n"
WANT = [
    (n, dt.date(2020, 1, 2) + dt.timedelta(days=n), Decimal(n) * Decimal("1.5"))
    for n in range(1, 6)
]


@pytest.mark.parametrize("how", ["cursor", "execute"])
def test_server_cursor_in_binary(conn, sent, how):
    """cursor(name, binary=True) and execute(..., binary=True) fetch binary rows."""
    cur = conn.cursor("bin", binary=how == "cursor")
    assert cur.format == (Format.BINARY if how == "cursor" else Format.TEXT)
    cur.execute(QUERY, binary=True if how == "execute" else None)
    assert cur.fetchone() == WANT[0]
    assert cur.fetchmany(2) == WANT[1:3]
    assert cur.fetchall() == WANT[3:]
    # The FETCHes asked for binary results: a Bind with result format 1.
    assert any(b"FETCH" in d and b"\x00\x01\x00\x01" in d for d in sent)
    cur.close()


def test_async_server_cursor_in_binary(dsn):
    async def main() -> Any:
        conn = await pgwire.AsyncConnection.connect(dsn)
        try:
            cur = conn.cursor("bin", binary=True)
            await cur.execute(QUERY)
            return [row async for row in cur]
        finally:
            await conn.close()

    assert asyncio.run(main()) == WANT


def test_failed_rollback_on_exit_is_logged_not_raised(dsn, conn, caplog):
    conn.autocommit = True
    with pytest.raises(ZeroDivisionError):
        with pgwire.connect(dsn) as other:
            other.execute("SELECT 1")
            conn.execute("SELECT pg_terminate_backend(%s)", [other.info.backend_pid])
            1 / 0  # noqa: B018 - the block's own error
    assert other.closed
    (record,) = [r for r in caplog.records if r.name == "pgwire"]
    assert record.levelname == "WARNING" and "in rollback" in record.getMessage()


@pytest.mark.parametrize("cursor_class", ["Cursor", "ClientCursor"])
def test_executemany_without_returning_leaves_no_result(conn, cursor_class):
    cur = getattr(pgwire, cursor_class)(conn)
    cur.executemany("SELECT * FROM generate_series(1, %s)", [(i,) for i in range(3)])
    assert cur.statusmessage == "SELECT 2" and cur.rowcount == 3
    assert list(cur.results()) == [] and cur.nextset() is None
    with pytest.raises(pgwire.ProgrammingError, match="command status: SELECT 2"):
        cur.fetchone()
    cur.executemany("SELECT %s", [(1,), (2,)], returning=True)
    assert [r.fetchall() for r in cur.results()] == [[(1,)], [(2,)]]


def test_async_executemany_without_returning_leaves_no_result(dsn):
    async def main() -> Any:
        conn = await pgwire.AsyncConnection.connect(dsn)
        try:
            cur = conn.cursor()
            await cur.executemany("SELECT %s", [(1,), (2,)])
            with pytest.raises(pgwire.ProgrammingError):
                await cur.fetchone()
            return cur.statusmessage, [r async for r in cur.results()]
        finally:
            await conn.close()

    assert asyncio.run(main()) == ("SELECT 1", [])


@pytest.mark.parametrize("query", ["CREATE TEMP TABLE streamed ()", "SET timezone = 'UTC'"])
def test_stream_of_a_command_raises(conn, query):
    conn.autocommit = True
    with pytest.raises(pgwire.ProgrammingError, match="didn't produce rows"):
        for _ in conn.cursor().stream(query):
            pass
    # The command ran (as in psycopg), and the connection goes on.
    assert conn.execute("SELECT 1").fetchone() == (1,)


@pytest.mark.parametrize("nested", [False, True])
def test_pipeline_left_on_a_closed_connection_is_logged(conn, caplog, nested):
    with pytest.raises(ZeroDivisionError):
        with conn.pipeline():
            if nested:
                with conn.pipeline():
                    conn.close()
                    1 / 0  # noqa: B018 - the block's own error
            conn.close()
            1 / 0  # noqa: B018
    records = [r for r in caplog.records if "leaving the pipeline" in r.getMessage()]
    assert len(records) == (2 if nested else 1)


def test_server_cursor_executed_again_declares_again(conn):
    with conn.cursor("again") as cur:
        cur.execute("SELECT generate_series(1, %s) AS n", (3,))
        assert cur.fetchone() == (1,)
        cur.execute("SELECT %s::text AS bar, %s::text AS baz", ("hello", "world"))
        assert cur.fetchone() == ("hello", "world")
        assert [c.name for c in cur.description] == ["bar", "baz"]
    # Only one cursor was ever open on the server at a time.
    assert conn.execute("SELECT count(*) FROM pg_cursors WHERE name = 'again'").fetchone() == (0,)


@pytest.mark.parametrize("query", ["SELECT 1; SELECT 2", "wat", ""])
def test_server_cursor_takes_one_query(conn, query):
    cur = conn.cursor("one")
    with pytest.raises(pgwire.ProgrammingError):
        cur.execute(query)
    conn.rollback()
    cur.close()


@pytest.mark.parametrize(
    "query",
    [
        "COPY (SELECT 1) TO STDOUT; SELECT 1",
        "COPY (SELECT 1) TO STDOUT; COPY (SELECT 2) TO STDOUT",
        "COPY (SELECT 1) TO STDOUT; COPY mixed FROM STDIN",
    ],
)
def test_copy_to_mixed_with_other_statements(conn, query):
    conn.autocommit = True
    conn.execute("CREATE TEMP TABLE mixed (a int)")
    cur = conn.cursor()
    with pytest.raises(pgwire.ProgrammingError, match="mixed with other statements"):
        with cur.copy(query) as copy:
            assert list(copy) == [b"1\n"]
    # The session is in sync, and nothing reached the table.
    assert conn.execute("SELECT count(*) FROM mixed").fetchone() == (0,)


def test_copy_from_mixed_with_other_statements(conn):
    conn.autocommit = True
    conn.execute("CREATE TEMP TABLE mixed_in (a int)")
    cur = conn.cursor()
    with pytest.raises(pgwire.ProgrammingError, match="mixed with other statements"):
        with cur.copy("COPY mixed_in FROM STDIN; SELECT 1") as copy:
            copy.write_row((5,))
    assert conn.execute("SELECT a FROM mixed_in").fetchall() == [(5,)]


@pytest.mark.parametrize(
    "query",
    [
        "SELECT 1; COPY (SELECT 1) TO STDOUT",
        "INSERT INTO mixed_before VALUES (5); COPY mixed_before FROM STDIN",
    ],
)
@pytest.mark.parametrize("autocommit", [True, False])
def test_copy_after_other_statements_is_refused(conn, query, autocommit):
    conn.execute("CREATE TABLE IF NOT EXISTS mixed_before (a int)")
    conn.commit()
    conn.autocommit = autocommit
    cur = conn.cursor()
    with pytest.raises(pgwire.ProgrammingError, match="mixed with other statements"):
        with cur.copy(query) as copy:
            if "STDIN" in query:
                copy.write_row((1,))
            else:
                list(copy)
    if not autocommit:
        conn.rollback()
    # Ended at once: the session is in sync, and no row reached the table.
    assert conn.execute("SELECT count(*) FROM mixed_before").fetchone() == (0,)
    conn.execute("DROP TABLE mixed_before")
    conn.commit()


def test_async_copy_mixed_with_other_statements(dsn):
    async def main() -> Any:
        conn = await pgwire.AsyncConnection.connect(dsn, autocommit=True)
        try:
            cur = conn.cursor()
            with pytest.raises(pgwire.ProgrammingError):
                async with cur.copy("COPY (SELECT 1) TO STDOUT; SELECT 1") as copy:
                    [chunk async for chunk in copy]
            return await (await conn.execute("SELECT 42")).fetchone()
        finally:
            await conn.close()

    assert asyncio.run(main()) == (42,)


def test_literals_use_the_context_dumpers_of_builtin_types(conn, dsn):
    from pgwire import sql
    from pgwire.types.text import StrDumper

    class Suffixed(StrDumper):
        oid = 25

        def dump(self, obj: Any) -> bytes:
            return super().dump(obj) + b"-x"

    assert sql.Literal("a").as_string(conn) == "'a'"
    conn.adapters.register_dumper(str, Suffixed)
    assert sql.Literal("a").as_string(conn) == "'a-x'"  # text: no cast, as psycopg
    assert pgwire.ClientCursor(conn).execute("SELECT %s", ["a"]).fetchone() == ("a-x",)
    # Other connections and the defaults keep pgwire's own.
    with pgwire.connect(dsn) as other:
        assert sql.Literal("a").as_string(other) == "'a'"
        assert pgwire.ClientCursor(other).execute("SELECT %s", ["a"]).fetchone() == ("a",)
    assert sql.Literal("a").as_string(None) == "'a'"


def test_registry_lookups_take_pyformat(conn):
    from pgwire.types.adapt import Format, PyFormat
    from pgwire.types.text import StrBinaryDumper, StrDumperUnknown

    class MyStr(str):
        pass

    adapters = conn.adapters
    assert adapters.get_dumper(MyStr, PyFormat.TEXT) is StrDumperUnknown
    assert adapters.get_dumper(MyStr, PyFormat.BINARY) is StrBinaryDumper
    assert adapters.get_dumper(MyStr, PyFormat.AUTO) is adapters.get_dumper(MyStr, None)
    # The placeholder letters, as psycopg's PyFormat values are.
    assert adapters.get_dumper(MyStr, "s") is adapters.get_dumper(MyStr, None)
    assert adapters.get_dumper(MyStr, "b") is StrBinaryDumper
    with pytest.raises(ValueError):
        adapters.get_dumper(MyStr, "x")

    class Mine(StrDumperUnknown):
        pass

    adapters.register_dumper(MyStr, Mine)
    assert adapters.get_dumper(MyStr, PyFormat.TEXT) is Mine
    assert adapters.get_dumper(MyStr, Format.TEXT) is Mine


def test_quote_of_none_and_of_float_specials(conn):
    from pgwire import sql
    from pgwire.types import AdaptContext, Transformer
    from pgwire.types.adapt import PyFormat

    tx = Transformer(AdaptContext())
    assert tx.get_dumper(None, PyFormat.TEXT).quote(None) == b"NULL"
    for value, literal in [
        (float("-inf"), b"'-Infinity'::float8"),
        (float("inf"), b"'Infinity'::float8"),
        (float("nan"), b"'NaN'::float8"),
        (-1.5, b" -1.5"),
    ]:
        assert tx.get_dumper(value, PyFormat.TEXT).quote(value) == literal
    query = sql.SQL("SELECT {v}, -{v}").format(v=sql.Literal(float("-inf")))
    assert conn.execute(query).fetchone() == (float("-inf"), float("inf"))


def test_time_from_ticks_keeps_microseconds():
    ticks = 1273173119.99992
    assert pgwire.TimeFromTicks(ticks) == dt.datetime.fromtimestamp(ticks).time()
    assert pgwire.TimeFromTicks(ticks).microsecond == 999920


@pytest.fixture
def empty_str_is_null(conn):
    """A connection whose str dumpers write an empty string as NULL."""
    from pgwire.types.text import StrBinaryDumper, StrDumperUnknown

    class Text(StrDumperUnknown):
        def dump(self, obj: Any) -> bytes | None:
            return super().dump(obj) if obj else None

    class Binary(StrBinaryDumper):
        def dump(self, obj: Any) -> bytes | None:
            return super().dump(obj) if obj else None

    conn.adapters.register_dumper(str, Text)
    conn.adapters.register_dumper(str, Binary)
    return conn


@pytest.mark.parametrize("fmt", ["s", "t", "b"])
def test_null_from_a_dumper_in_arrays_and_ranges(empty_str_is_null, fmt):
    from pgwire.types.range import Range

    conn = empty_str_is_null
    got = conn.execute(f"SELECT %{fmt}::text[]", (["foo", "", "bar"],)).fetchone()[0]
    assert got == ["foo", None, "bar"]
    got = conn.execute(f"SELECT %{fmt}::int4range", (Range(1, 5),)).fetchone()[0]
    assert (got.lower, got.upper) == (1, 5)
    conn.execute("DROP TYPE IF EXISTS textrange; CREATE TYPE textrange AS RANGE (subtype = text)")
    from pgwire.types.range import register_range
    from pgwire.types.typeinfo import RangeInfo

    register_range(RangeInfo.fetch(conn, "textrange"), conn)
    got = conn.execute(f"SELECT %{fmt}::textrange", (Range("", "foo"),)).fetchone()[0]
    assert got.lower is None and got.upper == "foo"
    conn.rollback()


def test_a_result_of_no_columns(conn):
    from pgwire.rows import args_row, class_row, dict_row, namedtuple_row

    cur = conn.execute("SELECT")
    assert cur.description == [] and cur.fetchall() == [()]
    assert conn.cursor(row_factory=dict_row).execute("SELECT").fetchall() == [{}]
    (row,) = conn.cursor(row_factory=namedtuple_row).execute("SELECT").fetchall()
    assert tuple(row) == ()
    assert conn.cursor(row_factory=args_row(lambda *a: a)).execute("SELECT").fetchone() == ()

    class Empty:
        def __init__(self, x: int = 10) -> None:
            self.x = x

    assert conn.cursor(row_factory=class_row(Empty)).execute("SELECT").fetchone().x == 10
    # A command still has no description at all.
    assert conn.execute("SET timezone = 'UTC'").description is None


def test_notifies_with_timeout_zero_and_stop_after(conn, dsn):
    conn.autocommit = True
    conn.execute("LISTEN pgwire_zero")
    assert list(conn.notifies(timeout=0)) == []
    with pgwire.connect(dsn, autocommit=True) as other:
        with other.transaction():
            other.execute("NOTIFY pgwire_zero, '1'")
            other.execute("NOTIFY pgwire_zero, '2'")
        other.execute("NOTIFY pgwire_zero, '3'")
    import time

    time.sleep(0.2)
    # stop_after=1: the ones that came in the same packet are given too.
    first = [n.payload for n in conn.notifies(timeout=1, stop_after=1)]
    assert first[0] == "1" and first == ["1", "2", "3"][: len(first)]
    # timeout=0 takes what has arrived without waiting.
    rest = [n.payload for n in conn.notifies(timeout=0)]
    assert first + rest == ["1", "2", "3"]


def test_async_notifies_with_timeout_zero(dsn):
    async def main() -> Any:
        conn = await pgwire.AsyncConnection.connect(dsn, autocommit=True)
        try:
            await conn.execute("LISTEN pgwire_azero")
            empty = [n async for n in conn.notifies(timeout=0)]
            async with await pgwire.AsyncConnection.connect(dsn, autocommit=True) as other:
                await other.execute("NOTIFY pgwire_azero, 'x'")
            await asyncio.sleep(0.2)
            return empty, [n.payload async for n in conn.notifies(timeout=0)]
        finally:
            await conn.close()

    assert asyncio.run(main()) == ([], ["x"])


def test_a_client_encoding_without_python_codec(conn):
    conn.autocommit = True
    conn.execute("SET client_encoding TO EUC_TW")
    # ASCII is the same in every encoding: it goes; anything else is refused, not garbled.
    assert conn.execute("SELECT 'x'").fetchone() == ("x",)
    with pytest.raises(pgwire.NotSupportedError, match="EUC_TW"):
        conn.execute("SELECT %s", ["caf\u00e9"])
    with pytest.raises(pgwire.NotSupportedError, match="EUC_TW"):
        # A CJK character the server sends in EUC_TW: not decoded as something else.
        conn.execute("SELECT convert_from('\\xe4b8ad'::bytea, 'UTF8')").fetchone()
    conn.execute("SET client_encoding TO UTF8")
    assert conn.execute("SELECT %s", ["caf\u00e9"]).fetchone() == ("caf\u00e9",)


def test_info_after_close_and_encoding_names(conn):
    conn.execute("SET client_encoding TO LATIN9")
    assert conn.info.encoding == "iso8859-15"
    assert conn.info.backend_pid > 0
    conn.close()
    with pytest.raises(pgwire.OperationalError):
        conn.info.backend_pid  # noqa: B018 - the property raises


@pytest.mark.parametrize("autocommit", [False, True])
def test_copy_to_left_by_an_error_is_cancelled(dsn, autocommit):
    """The server is stopped, not read to the end; the transaction fails (as psycopg)."""
    with pgwire.connect(dsn, autocommit=autocommit) as conn:
        cur = conn.cursor()
        with pytest.raises(ZeroDivisionError):
            with cur.copy("COPY (SELECT generate_series(1, 50000000)) TO STDOUT") as copy:
                assert copy.read_row() == ("1",)
                1 / 0  # noqa: B018 - the block's own error
        want = pgwire.TransactionStatus.IDLE if autocommit else pgwire.TransactionStatus.INERROR
        assert conn.info.transaction_status == want
        conn.rollback()
        assert conn.execute("SELECT 1").fetchone() == (1,)
        # Left without an error, the rest is read and dropped: the transaction goes on.
        with cur.copy("COPY (SELECT generate_series(1, 1000)) TO STDOUT") as copy:
            copy.read_row()
        assert conn.execute("SELECT 2").fetchone() == (2,)


def test_async_copy_to_left_by_an_error_is_cancelled(dsn):
    async def main() -> Any:
        conn = await pgwire.AsyncConnection.connect(dsn)
        try:
            cur = conn.cursor()
            with pytest.raises(ZeroDivisionError):
                async with cur.copy("COPY (SELECT generate_series(1, 50000000)) TO STDOUT") as copy:
                    await copy.read_row()
                    1 / 0  # noqa: B018
            status = conn.info.transaction_status
            await conn.rollback()
            return status, await (await conn.execute("SELECT 1")).fetchone()
        finally:
            await conn.close()

    assert asyncio.run(main()) == (pgwire.TransactionStatus.INERROR, (1,))


def test_resource_warnings_for_what_is_left_open(dsn, conn):
    import gc
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pgwire.connect(dsn):
            pass
        closed = pgwire.connect(dsn)
        closed.close()
        del closed
        gc.collect()
        assert not [w for w in caught if issubclass(w.category, ResourceWarning)]
        left = pgwire.connect(dsn)
        left.execute("SELECT 1")
        del left
        cur = conn.cursor("left_open")
        cur.execute("SELECT generate_series(1, 10)")
        del cur
        unused = conn.cursor("never_executed")
        del unused
        gc.collect()
    messages = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    assert any("Connection" in m and "deleted while still open" in m for m in messages)
    assert any("ServerCursor 'left_open'" in m and ".close()" in m for m in messages)
    assert not any("never_executed" in m for m in messages)


def test_get_connection_params_is_the_hook_connect_uses(dsn):
    class Tagged(pgwire.Connection):
        @classmethod
        def _get_connection_params(cls, conninfo: str, **kwargs: Any) -> dict[str, Any]:
            params = super()._get_connection_params(conninfo, **kwargs)
            params["application_name"] = "tagged-by-hook"
            return params

    assert pgwire.Connection._get_connection_params("dbname=a connect_timeout=2", user=None) == {
        "dbname": "a",
        "connect_timeout": "2",
    }
    with Tagged.connect(dsn) as conn:
        assert conn.execute("SHOW application_name").fetchone() == ("tagged-by-hook",)

    class ATagged(pgwire.AsyncConnection):
        @classmethod
        async def _get_connection_params(cls, conninfo: str, **kwargs: Any) -> dict[str, Any]:
            params = await super()._get_connection_params(conninfo, **kwargs)
            return {**params, "application_name": "a"}

    async def main() -> Any:
        params = await pgwire.AsyncConnection._get_connection_params("dbname=b", port=None)
        async with await ATagged.connect(dsn) as conn:
            row = await (await conn.execute("SHOW application_name")).fetchone()
        return params, row

    assert asyncio.run(main()) == ({"dbname": "b"}, ("a",))


def test_transaction_connection_is_read_only(conn):
    with conn.transaction() as tx:
        assert tx.connection is conn
        with pytest.raises(AttributeError):
            tx.connection = conn  # type: ignore[misc]


@pytest.mark.parametrize("style", ["postgres", "postgres_verbose", "sql_standard", "iso_8601"])
def test_timedelta_parameters_whatever_the_interval_style(conn, style):
    """Under sql_standard a leading minus applies to every unsigned field: each has its sign."""
    conn.execute(f"SET IntervalStyle TO '{style}'")
    values = [
        dt.timedelta(seconds=-1),
        dt.timedelta(microseconds=-1),
        dt.timedelta(days=-1, seconds=5),
        dt.timedelta(days=3, seconds=7200, microseconds=5),
        dt.timedelta.min,
        dt.timedelta.max,
    ]
    cur = conn.cursor(binary=True)  # read back in binary: every style's text isn't loaded
    for td in values:
        assert cur.execute("SELECT %t::interval, %b::interval", (td, td)).fetchone() == (td, td)


@pytest.mark.parametrize("binary", [False, True])
def test_null_from_a_dumper_in_a_composite(empty_str_is_null, binary):
    from pgwire.types.composite import register_composite
    from pgwire.types.typeinfo import CompositeInfo

    conn = empty_str_is_null
    conn.execute("DROP TYPE IF EXISTS nullpair; CREATE TYPE nullpair AS (f1 text, f2 text)")
    register_composite(CompositeInfo.fetch(conn, "nullpair"), conn)
    cur = conn.cursor(binary=binary)
    assert cur.execute("SELECT %s::nullpair", [("foo", "")]).fetchone()[0] == ("foo", None)
    conn.rollback()


def test_an_error_keeps_no_cursor_alive(conn):
    import gc
    import weakref

    cur = conn.cursor()
    with pytest.raises(pgwire.errors.UndefinedTable) as info:
        cur.execute("SELECT * FROM nosuchtable")
    diag = info.value.diag
    del info
    ref = weakref.ref(cur)
    del cur
    gc.collect()
    assert ref() is None
    assert diag.sqlstate == "42P01"
    assert conn.info.error_message.startswith('ERROR:  relation "nosuchtable" does not exist')


@pytest.mark.parametrize("typename", ["text", "varchar", "name"])
@pytest.mark.parametrize("fmt", [0, 1])
def test_str_dumpers_found_by_oid(conn, typename, fmt):
    from pgwire.types.adapt import Format

    oid = conn.adapters.types[typename].oid
    dumper = conn.adapters.get_dumper_by_oid(oid, Format(fmt))
    assert (dumper.oid, dumper.format) == (oid, fmt)
    # Found by OID only: a str is still sent untyped in text.
    assert conn.adapters.get_dumper(str, Format.TEXT).oid == 0


def test_dumper_registered_for_no_class(conn):
    from pgwire.types.adapt import Format
    from pgwire.types.text import StrDumper, StrDumperVarchar

    class Shouting(StrDumperVarchar):
        def dump(self, obj: Any) -> bytes:
            return super().dump(obj.upper())

    conn.adapters.register_dumper(None, Shouting)
    assert conn.adapters.get_dumper_by_oid(1043, Format.TEXT) is Shouting
    assert pgwire.adapters.get_dumper_by_oid(1043, Format.TEXT) is StrDumperVarchar
    with pytest.raises(pgwire.errors.IndeterminateDatatype):
        conn.execute("SELECT concat(%s, %s)", ["a", "b"])
    conn.rollback()
    conn.adapters.register_dumper(str, StrDumper)  # typed text: functions resolve
    assert conn.execute("SELECT concat(%s, %s)", ["a", "b"]).fetchone() == ("ab",)
    assert conn.adapters.get_dumper_by_oid(25, Format.TEXT) is StrDumper


# -- adapters: registries as psycopg's maps -------------------------------------------------


class _SuffixLoader(pgwire.types.Loader):
    """Text values with a suffix, to tell which registration loaded them."""

    suffix = ""

    def load(self, data: bytes) -> str:
        return bytes(data).decode() + self.suffix


def _suffix_loader(suffix: str) -> type[pgwire.types.Loader]:
    return type("SuffixLoader", (_SuffixLoader,), {"suffix": suffix})


def test_types_registry_psycopg_api() -> None:
    from pgwire.postgres import types as builtins
    from pgwire.types import TypeInfo, TypesRegistry

    empty = TypesRegistry()
    assert empty.get("text") is None
    with pytest.raises(KeyError):
        empty["text"]
    info = TypeInfo("test", 1, 0)
    empty.add(info)
    assert empty["test"] is empty[1] is info
    with pytest.raises(KeyError):
        empty[0]
    # A copy of the builtins: the same TypeInfo objects, by name and OID.
    copy = TypesRegistry(builtins)
    assert copy.get("text") is copy["text"] is copy[25] is builtins["text"]
    assert copy["integer"] is copy["int4[]"] is copy[1007]
    assert copy.get_oid("int4[]") == 1007
    dummy = TypeInfo("dummy", 25, 1009)
    copy.add(dummy)
    assert copy[25] is copy["dummy"] is dummy
    assert builtins[25] is copy["text"] is not dummy


def test_cursor_adapters_are_a_copy_made_with_the_cursor(conn) -> None:
    conn.adapters.register_loader("text", _suffix_loader("t"))
    cur1 = conn.cursor()
    cur2 = conn.cursor()
    cur2.adapters.register_loader("text", _suffix_loader("c2"))
    conn.adapters.register_loader("text", _suffix_loader("t1"))
    assert cur1.execute("SELECT 'a'::text").fetchone() == ("at",)
    assert cur2.execute("SELECT 'a'::text").fetchone() == ("ac2",)
    assert conn.cursor().execute("SELECT 'a'::text").fetchone() == ("at1",)
    # Registering on the cursor copies what the cursor had.
    cur1.adapters.register_loader("int4", _suffix_loader("i"))
    assert cur1.execute("SELECT 'a'::text, 1").fetchone() == ("at", "1i")


def test_async_cursor_adapters_are_a_copy_made_with_the_cursor(dsn) -> None:
    async def main() -> None:
        async with await pgwire.AsyncConnection.connect(dsn) as aconn:
            aconn.adapters.register_loader("text", _suffix_loader("t"))
            cur = aconn.cursor()
            aconn.adapters.register_loader("text", _suffix_loader("t1"))
            await cur.execute("SELECT 'a'::text")
            assert await cur.fetchone() == ("at",)
            cur = await aconn.execute("SELECT 'a'::text")
            assert await cur.fetchone() == ("at1",)

    asyncio.run(main())


def test_connection_adapters_are_a_copy_of_the_global_ones(dsn) -> None:
    from pgwire.types import TypeInfo

    before = pgwire.connect(dsn)
    saved = pgwire.adapters._loaders
    info = TypeInfo("pgwire_test_global", 900001, 900002)
    try:
        pgwire.adapters.types.add(info)
        assert pgwire.adapters.types[900001] is info
        assert before.adapters.types.get(900001) is None
        with pgwire.connect(dsn) as after:
            assert after.adapters.types[900002] is info
    finally:
        pgwire.adapters._loaders = saved
        pgwire.adapters.clear_types()
        before.close()


def test_none_needs_a_none_dumper(dsn) -> None:
    from pgwire.types import TypesRegistry, default_registry
    from pgwire.types.text import StrDumper

    assert default_registry.get_loader(0, Format.TEXT) is not None
    assert default_registry.get_loader(0, Format.BINARY) is not None
    context = TypesRegistry()
    context.register_loader(0, default_registry.get_loader(0, Format.TEXT))
    context.register_dumper(str, StrDumper)
    with pgwire.connect(dsn, context=context) as conn:
        assert conn.execute("SELECT %s", ["x"]).fetchone() == ("x",)
        for _ in range(2):  # and once the query has a plan
            with pytest.raises(pgwire.ProgrammingError, match="NoneType"):
                conn.execute("SELECT %s", [None])
    with pgwire.connect(dsn) as conn:
        assert conn.execute("SELECT %s", [None]).fetchone() == (None,)


def test_record_text_fields_use_the_text_loader(conn) -> None:
    cur = conn.cursor()
    cur.adapters.register_loader("text", _suffix_loader("c"))
    assert cur.execute("SELECT row('a'::text, 1)").fetchone()[0] == ("ac", "1c")
    assert conn.execute("SELECT row('a'::text, 1)").fetchone()[0] == ("a", "1")


def test_list_of_box_uses_the_box_delimiter(conn) -> None:
    class Box:
        def __init__(self, *coords: int) -> None:
            self.coords = coords

    class BoxDumper(pgwire.types.Dumper):
        oid = postgres.types["box"].oid

        def dump(self, box: Box) -> bytes:
            return "({},{}),({},{})".format(*box.coords).encode()

    conn.adapters.register_dumper(Box, BoxDumper)
    got = conn.execute("SELECT (%s::box[])::text", ([Box(1, 2, 3, 4), Box(5, 4, 3, 2)],))
    assert got.fetchone()[0] == "{(3,4),(1,2);(5,4),(3,2)}"


def test_dumper_of_psycopg_protocol_without_upgrade_auto(conn) -> None:
    class TwiceDumper:  # not a pgwire Dumper: psycopg's protocol only
        format = Format.TEXT
        oid = 25

        def __init__(self, cls: type, context: Any = None) -> None:
            pass

        def dump(self, obj: str) -> bytes:
            return (obj * 2).encode()

        def quote(self, obj: str) -> bytes:
            return b"'" + self.dump(obj).replace(b"h", b"q") + b"'"

        def upgrade(self, obj: str, format: Any) -> Any:
            return self

    conn.adapters.register_dumper(str, TwiceDumper)
    assert conn.execute("SELECT %s", ["hi"]).fetchone()[0] == "hihi"
    assert conn.execute("SELECT %s", [["hi", "ha"]]).fetchone()[0] == ["hihi", "haha"]
    assert pgwire.sql.Literal("hi").as_string(conn) == "'qiqi'"


def test_info_register_loads_arrays_only(conn) -> None:
    conn.execute("CREATE TEMPORARY TABLE pgwire_rowtype (data text)")
    info = pgwire.types.TypeInfo.fetch(conn, "pgwire_rowtype")
    info.register(conn)
    row = conn.execute("""SELECT '(foo)'::pgwire_rowtype, '{"(foo)"}'::pgwire_rowtype[]""")
    assert row.fetchone() == ("(foo)", ["(foo)"])
