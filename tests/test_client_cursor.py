"""Client-side binding (ClientCursor), $n placeholders (RawCursor), typed numbers,
connect(context=...) and the adapters map, blocking and asyncio."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
from decimal import Decimal

import pytest

import pgwire
from pgwire.client_cursor import ClientCursorMixin
from pgwire.server_cursor import ServerCursor
from pgwire.types import Format, TypesRegistry
from pgwire.types.numeric import Float4, Float8, Int2, Int4, Int8, IntNumeric, Oid
from pgwire.types.text import TextLoader


def run_async(func):
    """Run an async test function to completion on a fresh event loop."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return asyncio.run(asyncio.wait_for(func(*args, **kwargs), 60))

    return wrapper


# --- ClientCursor -------------------------------------------------------------


def test_mogrify_quotes_with_the_type_system(conn):
    cur = pgwire.ClientCursor(conn)
    day = dt.date(2024, 2, 29)
    text = cur.mogrify(
        "SELECT %s, %s, %s, %s, %s, %s, 100%%",
        [1, "it's", None, day, [1, 2], b"\x00\xff"],
    )
    assert text == (
        "SELECT 1, 'it''s', NULL, '2024-02-29'::date, '{1,2}'::int2[], '\\x00ff'::bytea, 100%"
    )
    assert cur.mogrify("SELECT %(a)s + %(a)s", {"a": -3}) == "SELECT  -3 +  -3"
    # Without parameters the text is left alone.
    assert cur.mogrify("SELECT '100%'") == "SELECT '100%'"


def test_client_cursor_runs_the_mogrified_query(conn):
    cur = pgwire.ClientCursor(conn)
    cur.execute("SELECT %s::text, %s, %s", ["a'b\\c", Decimal("1.50"), dt.date(2020, 1, 2)])
    assert cur.fetchone() == ("a'b\\c", Decimal("1.50"), dt.date(2020, 1, 2))
    assert cur.query == b"SELECT  E'a''b\\\\c'::text, 1.50, '2020-01-02'::date"
    assert cur.params == ["a'b\\c", Decimal("1.50"), dt.date(2020, 1, 2)]
    # The text goes as one plain query: several statements are allowed.
    cur.execute("SELECT %s; SELECT %s", [1, 2])
    assert cur.fetchall() == [(1,)]
    assert cur.nextset()
    assert cur.fetchall() == [(2,)]


def test_client_cursor_as_connection_factory(dsn):
    with pgwire.connect(dsn, cursor_factory=pgwire.ClientCursor) as conn:
        cur = conn.cursor()
        assert isinstance(cur, pgwire.ClientCursor)
        cur.execute("SELECT %s + %s", [Int2(1), Int8(2)])
        assert cur.fetchone() == (3,)


def test_client_cursor_executemany(conn):
    cur = pgwire.ClientCursor(conn)
    cur.execute("CREATE TEMP TABLE t (id int, name text)")
    cur.executemany("INSERT INTO t VALUES (%s, %s)", [(1, "a"), (2, "b'"), (3, None)])
    assert cur.rowcount == 3
    cur.executemany("INSERT INTO t VALUES (%s, %s) RETURNING id", [(4, "d")], returning=True)
    assert cur.fetchall() == [(4,)]
    cur.execute("SELECT name FROM t ORDER BY id")
    assert cur.fetchall() == [("a",), ("b'",), (None,), ("d",)]


def test_client_cursor_errors_before_sending(conn):
    cur = pgwire.ClientCursor(conn)
    with pytest.raises(pgwire.ProgrammingError):
        cur.execute("SELECT %s, %s", [1])
    with pytest.raises(pgwire.DataError):
        cur.execute("SELECT %s", ["a\x00b"])
    with pytest.raises(pgwire.NotSupportedError):
        cur.execute("SELECT %s", [1], binary=True)
    with pytest.raises(pgwire.NotSupportedError):
        cur.execute("SELECT %s", [1], prepare=True)
    # Nothing was sent: the connection is fine and not in a failed transaction.
    cur.execute("SELECT %s", [5])
    assert cur.fetchone() == (5,)


def test_client_cursor_uses_the_cursor_dumpers(conn):
    class Point:
        def __init__(self, x, y):
            self.x, self.y = x, y

    class PointDumper(pgwire.types.Dumper):
        oid = pgwire.types.oids.lookup("point")

        def dump(self, obj):
            return f"({obj.x},{obj.y})".encode()

    cur = pgwire.ClientCursor(conn)
    cur.adapters.register_dumper(Point, PointDumper)
    assert cur.mogrify("SELECT %s", [Point(1, 2)]) == "SELECT '(1,2)'::point"
    cur.execute("SELECT %s::text", [Point(1, 2)])
    assert cur.fetchone() == ("(1,2)",)


def test_client_cursor_casts_registered_types(conn):
    conn.execute("CREATE TYPE card AS (value int, suit text)")
    info = pgwire.types.TypeInfo.fetch(conn, "card")
    pgwire.types.register_composite(info, conn)
    card = info.python_type(8, "hearts")
    cur = pgwire.ClientCursor(conn)
    assert cur.mogrify("SELECT %s", [card]) == "SELECT '(8,hearts)'::card"
    assert cur.mogrify("SELECT %s", [[card]]) == "SELECT '{\"(8,hearts)\"}'::card[]"
    cur.execute("SELECT %s, %s", [card, [card]])
    assert cur.fetchone() == (card, [card])
    assert conn.adapters.types["card"].oid == info.oid
    assert conn.adapters.types[info.oid] is info
    assert conn.adapters.types["int4"].oid == 23
    conn.rollback()


def test_client_named_cursor(conn):
    class ClientServerCursor(ClientCursorMixin, ServerCursor):
        pass

    cur = ClientServerCursor(conn, "c1")
    cur.execute("SELECT g FROM generate_series(1, %s) g WHERE g > %s", [5, 2])
    assert cur.query.startswith(b'DECLARE "c1" CURSOR')
    assert b"generate_series(1, 5) g WHERE g > 2" in cur.query
    assert cur.fetchall() == [(3,), (4,), (5,)]
    cur.close()


@run_async
async def test_async_client_cursor(dsn):
    aconn = await pgwire.AsyncConnection.connect(dsn)
    try:
        cur = pgwire.AsyncClientCursor(aconn)
        assert cur.mogrify("SELECT %s", ["x"]) == "SELECT 'x'"
        await cur.execute("SELECT %s, %s", [1, "two"])
        assert await cur.fetchone() == (1, "two")
        assert cur.query == b"SELECT 1, 'two'"
        await cur.executemany("SELECT %s", [(1,), (2,)])
        assert cur.rowcount == 2
        with pytest.raises(pgwire.NotSupportedError):
            await cur.execute("SELECT %s", [1], binary=True)
    finally:
        await aconn.close()


# --- RawCursor ------------------------------------------------------------------


def test_raw_cursor(conn):
    cur = pgwire.RawCursor(conn)
    cur.execute("SELECT $1::int + $2, $1 || '%s'", [2, 3])
    assert cur.fetchone() == (5, "2%s")
    cur.execute("CREATE TEMP TABLE r (x int)")
    cur.executemany("INSERT INTO r VALUES ($1)", [(1,), (2,)])
    assert cur.rowcount == 2
    cur.execute("SELECT sum(x) FROM r")
    assert cur.fetchone() == (3,)
    with pytest.raises(pgwire.ProgrammingError):
        cur.execute("SELECT $1", {"a": 1})
    with pytest.raises(pgwire.OperationalError, match="supplies 1 parameters"):
        cur.execute("SELECT $2", [1])
    conn.rollback()
    cur.execute("SELECT $1::int", [9])
    assert cur.fetchone() == (9,)


@run_async
async def test_async_raw_cursor(dsn):
    aconn = await pgwire.AsyncConnection.connect(dsn)
    try:
        cur = pgwire.AsyncRawCursor(aconn)
        await cur.execute("SELECT $1::text, $2", ["a", 2])
        assert await cur.fetchone() == ("a", 2)
    finally:
        await aconn.close()


# --- typed numbers --------------------------------------------------------------


@pytest.mark.parametrize(
    "value, typename",
    [
        (Int2(1), "smallint"),
        (Int4(1), "integer"),
        (Int8(1), "bigint"),
        (IntNumeric(1), "numeric"),
        (Oid(1), "oid"),
        (Float4(1.5), "real"),
        (Float8(1.5), "double precision"),
    ],
)
@pytest.mark.parametrize("fmt", ["s", "t", "b"])
def test_numeric_wrappers_force_the_type(conn, value, typename, fmt):
    row = conn.execute(f"SELECT pg_typeof(%{fmt})::text, %{fmt}", [value, value]).fetchone()
    assert row == (typename, value)


def test_numeric_wrappers_are_numbers():
    assert Int4(3) + 1 == 4 and repr(Int8(-2)) == "Int8(-2)" and str(Int2(7)) == "7"
    assert repr(Float4(0.5)) == "Float4(0.5)"


def test_numeric_wrappers_out_of_range(conn):
    with pytest.raises(pgwire.DataError):
        conn.execute("SELECT %b", [Oid(-1)])
    with pytest.raises(pgwire.DataError):
        conn.execute("SELECT %s", [Int2(70000)])


@run_async
async def test_async_numeric_wrappers(dsn):
    aconn = await pgwire.AsyncConnection.connect(dsn)
    try:
        cur = await aconn.execute("SELECT pg_typeof(%s)::text", [Int2(3)])
        assert await cur.fetchone() == ("smallint",)
    finally:
        await aconn.close()


# --- connect(context=...) and the adapters map ---------------------------------


def test_connect_copies_the_context(dsn):
    template = TypesRegistry(pgwire.types.default_registry)
    template.register_loader("int4", TextLoader)
    with pgwire.connect(dsn, context=template) as conn:
        assert conn.execute("SELECT 42").fetchone() == ("42",)
        # Registrations after the connection: each side keeps its own.
        conn.adapters.register_loader("int8", TextLoader)
        template.register_loader("text", _UpperLoader)
        assert conn.execute("SELECT 7::int8, 'a'::text").fetchone() == ("7", "a")
    with pgwire.connect(dsn, context=template) as conn:
        assert conn.execute("SELECT 7::int8, 'a'::text").fetchone() == (7, "A")
        # Another connection can serve as the context.
        with pgwire.connect(dsn, context=conn) as other:
            assert other.execute("SELECT 1").fetchone() == ("1",)


class _UpperLoader(TextLoader):
    def load(self, data):
        return bytes(data).decode().upper()


@run_async
async def test_async_connect_context(dsn):
    template = TypesRegistry(pgwire.types.default_registry)
    template.register_loader("int4", TextLoader)
    aconn = await pgwire.AsyncConnection.connect(dsn, context=template)
    try:
        cur = await aconn.execute("SELECT 42")
        assert await cur.fetchone() == ("42",)
    finally:
        await aconn.close()


def test_adapters_by_name_and_oid(conn):
    oid = pgwire.types.oids.lookup("timestamptz")
    assert conn.adapters.get_loader(oid, Format.TEXT) is not None
    conn.adapters.register_loader("timestamptz", TextLoader)
    assert conn.adapters.get_loader(oid, Format.TEXT) is TextLoader
    assert conn.execute("SELECT '2020-01-01 00:00+00'::timestamptz::text").fetchone()[0]
    dumper = conn.adapters.get_dumper_by_oid(pgwire.types.oids.lookup("int2"), Format.BINARY)
    assert dumper.oid == pgwire.types.oids.lookup("int2")
    with pytest.raises(pgwire.ProgrammingError):
        conn.adapters.get_dumper_by_oid(999999, Format.TEXT)


def test_register_array(conn):
    conn.execute("CREATE TYPE mood AS ENUM ('sad', 'ok')")
    info = pgwire.types.TypeInfo.fetch(conn, "mood")
    query = "SELECT ARRAY['sad', 'ok']::mood[]"
    assert conn.execute(query).fetchone() == ("{sad,ok}",)
    pgwire.types.register_array(info, conn)
    assert conn.execute(query).fetchone() == (["sad", "ok"],)
    conn.rollback()


def test_choosing_dumper_subclass_sees_every_choice(conn):
    # A psycopg-style dumper adjusting upgrade() (Django sends naive datetime
    # ranges as tstzrange this way) is used with server-side binding too.
    from pgwire.types.range import Range, RangeDumper

    tsrange, tstzrange = (pgwire.types.oids.lookup(n) for n in ("tsrange", "tstzrange"))

    class TzRangeDumper(RangeDumper):
        def upgrade(self, obj, format):
            dumper = super().upgrade(obj, format)
            if dumper is not self and dumper.oid == tsrange:
                dumper.oid = tstzrange
            return dumper

    cur = conn.cursor()
    cur.adapters.register_dumper(Range, TzRangeDumper)
    naive = Range(dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 2))
    cur.execute("SELECT pg_typeof(%s)::text", [naive])
    assert cur.fetchone() == ("tstzrange",)
    client = pgwire.ClientCursor(conn)
    client.adapters.register_dumper(Range, TzRangeDumper)
    assert client.mogrify("SELECT %s", [naive]).endswith("::tstzrange")


@pytest.mark.parametrize(
    ("sqltype", "precision", "scale", "display_size"),
    [
        ("varchar(42)", None, None, 42),
        ("varchar(7)[]", None, None, 7),
        ("numeric(10,3)[]", 10, 3, None),
        ("numeric(2,-3)", 2, -3, None),
        ("numeric(1,1000)", 1, 1000, None),
        ("numeric(1000,1000)", 1000, 1000, None),
        ("bit(42)", None, None, 42),
        ("varbit", None, None, None),
        ("time(2)", 2, None, None),
        ("timestamptz(0)", 0, None, None),
        ("interval(4)", 4, None, None),
        ("interval", None, None, None),
    ],
)
def test_column_details_from_the_modifier(conn, sqltype, precision, scale, display_size):
    if "-" in sqltype and conn.info.server_version < 150000:
        pytest.skip("negative numeric scales came with PostgreSQL 15")
    col = conn.execute(f"SELECT NULL::{sqltype}").description[0]
    assert (col.precision, col.scale, col.display_size) == (precision, scale, display_size)
    assert col.type_display == sqltype
    assert repr(col) == f"<Column {col.name!r}, type: {sqltype} (oid: {col.type_code})>"


def test_column_type_display(conn):
    cur = conn.execute(
        "SELECT 1::int4, 'a'::varchar(5), 'a'::char(3), 1.5::numeric(10,2), 1.5::numeric,"
        " now()::timestamp(3), now(), '1 day'::interval(2), '{1}'::int4[],"
        " '{a}'::varchar(4)[], '1'::bit(3), 1::oid, '00:00'::timetz"
    )
    assert [c.type_display for c in cur.description] == [
        "int4",
        "varchar(5)",
        "bpchar(3)",
        "numeric(10,2)",
        "numeric",
        "timestamp(3)",
        "timestamptz",
        "interval(2)",
        "int4[]",
        "varchar(4)[]",
        "bit(3)",
        "oid",
        "timetz",
    ]
    assert len(cur.description[0]) == 7
    conn.execute("CREATE TYPE mood2 AS ENUM ('sad')")
    info = pgwire.types.TypeInfo.fetch(conn, "mood2")
    cur = conn.execute("SELECT 'sad'::mood2, ARRAY['sad']::mood2[]")
    assert [c.type_display for c in cur.description] == [str(info.oid), str(info.array_oid)]
    info.register(conn)
    cur = conn.execute("SELECT 'sad'::mood2, ARRAY['sad']::mood2[]")
    assert [c.type_display for c in cur.description] == ["mood2", "mood2[]"]
    conn.rollback()


def test_dumper_quote_without_context():
    # psycopg's Dumper(cls).quote(obj): Django's full-text lexemes use it.
    class Utf8Dumper(pgwire.types.Dumper):
        def dump(self, obj):
            return bytes(obj, "utf-8")

    dumper = Utf8Dumper(str)
    assert dumper.context.encoding == "utf-8"
    assert dumper.quote("L amour piqué") == "'L amour piqué'".encode()
    assert dumper.quote("it's") == b"'it''s'"
    assert dumper.quote("a\\b") == b" E'a\\\\b'"


def test_dumper_quote_runs_on_the_server(conn):
    class Utf8Dumper(pgwire.types.Dumper):
        def dump(self, obj):
            return bytes(obj, "utf-8")

    for text in ["it's", "a\\b'c", "plain"]:
        literal = Utf8Dumper(str).quote(text).decode()
        assert conn.execute(f"SELECT {literal}::text").fetchone() == (text,)
