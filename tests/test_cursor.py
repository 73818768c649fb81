"""The blocking Cursor: PEP 249 behaviour, parameters and bad input."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from decimal import Decimal

import pytest

import pgwire
from pgwire import errors
from pgwire.rows import (
    args_row,
    class_row,
    dict_row,
    kwargs_row,
    namedtuple_row,
    scalar_row,
    tuple_row,
)


def test_description_rowcount_statusmessage(conn):
    cur = conn.cursor()
    assert cur.description is None and cur.rowcount == -1
    cur.execute("SELECT 1 AS a, 'x'::varchar(10) AS b, 1.5::numeric(6,2) AS c")
    a, b, c = cur.description
    assert (a.name, a.type_code) == ("a", 23)
    assert (b.name, b.type_code, b.display_size) == ("b", 1043, 10)
    assert (c.precision, c.scale) == (6, 2)
    assert len(a) == 7 and a[0] == "a"
    assert cur.rowcount == 1
    assert cur.statusmessage == "SELECT 1"
    cur.execute("CREATE TEMP TABLE t (a int)")
    assert cur.description is None
    assert cur.statusmessage == "CREATE TABLE"
    cur.execute("INSERT INTO t SELECT generate_series(1, 5)")
    assert cur.rowcount == 5
    assert cur.statusmessage == "INSERT 0 5"
    cur.execute("UPDATE t SET a = a + 1 WHERE a > %s", (2,))
    assert cur.rowcount == 3
    with pytest.raises(pgwire.ProgrammingError):
        cur.fetchone()


def test_fetch_methods(conn):
    cur = conn.cursor()
    cur.execute("SELECT generate_series(1, 10)")
    assert cur.rownumber == 0
    assert cur.fetchone() == (1,)
    assert cur.fetchmany() == [(2,)]
    cur.arraysize = 3
    assert cur.fetchmany() == [(3,), (4,), (5,)]
    assert cur.fetchmany(2) == [(6,), (7,)]
    assert cur.rownumber == 7
    assert list(cur) == [(8,), (9,), (10,)]
    assert cur.fetchone() is None
    assert cur.fetchall() == []
    cur.scroll(-2)
    assert cur.fetchall() == [(9,), (10,)]
    cur.scroll(0, "absolute")
    assert cur.fetchone() == (1,)
    with pytest.raises(IndexError):
        cur.scroll(100)


def test_fetch_before_execute(conn):
    with pytest.raises(pgwire.ProgrammingError):
        conn.cursor().fetchone()


def test_cursor_context_and_close(conn):
    with conn.cursor() as cur:
        cur.execute("SELECT 1")
    assert cur.closed
    with pytest.raises(pgwire.InterfaceError):
        cur.execute("SELECT 1")


def test_basic_types(conn):
    row = conn.execute(
        """SELECT NULL, true, 1::int2, 2::int4, 3::int8, 4::oid, 1.5::float4, 2.5::float8,
        1.25::numeric, 'text'::text, 'vc'::varchar, 'ch'::char(3), 'nm'::name, '\\x00ff'::bytea,
        '2024-02-29'::date, '13:45:01.5'::time, '2024-02-29 13:45:01'::timestamp,
        '1 day 02:03:04'::interval, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid,
        '{"a": [1, 2]}'::json, '{"b": null}'::jsonb, '(1,2)'::point"""
    ).fetchone()
    assert row == (
        None,
        True,
        1,
        2,
        3,
        4,
        1.5,
        2.5,
        Decimal("1.25"),
        "text",
        "vc",
        "ch ",
        "nm",
        b"\x00\xff",
        dt.date(2024, 2, 29),
        dt.time(13, 45, 1, 500000),
        dt.datetime(2024, 2, 29, 13, 45, 1),
        dt.timedelta(days=1, seconds=7384),
        uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
        {"a": [1, 2]},
        {"b": None},
        "(1,2)",
    )


def test_timestamptz_in_session_zone(conn):
    conn.execute("SET TimeZone TO 'America/New_York'")
    (value,) = conn.execute("SELECT '2024-07-01 12:00:00+00'::timestamptz").fetchone()
    assert value == dt.datetime(2024, 7, 1, 12, tzinfo=dt.timezone.utc)
    assert value.utcoffset() == dt.timedelta(hours=-4)


PARAMS = [
    None,
    True,
    False,
    0,
    -(2**63),
    2**63 - 1,
    2**70,
    1.5,
    float("inf"),
    Decimal("1.10"),
    Decimal("NaN"),
    "text ü ✓",
    "",
    b"\x00\x01\xff",
    dt.date(2000, 1, 1),
    dt.time(12, 30, 1, 5),
    dt.datetime(2020, 5, 17, 1, 2, 3, 4),
    dt.datetime(2020, 5, 17, 1, 2, 3, tzinfo=dt.timezone.utc),
    dt.timedelta(days=-3, seconds=5, microseconds=7),
    uuid.UUID(int=12345),
    [1, 2, None],
    ["a", "b"],
]


@pytest.mark.parametrize("value", PARAMS, ids=repr)
def test_parameter_round_trip(conn, value):
    (got,) = conn.execute("SELECT %s", (value,)).fetchone()
    if isinstance(value, Decimal) and value.is_nan():
        assert got.is_nan()
    elif isinstance(value, int) and not isinstance(value, bool) and value >= 2**63:
        assert got == value and isinstance(got, Decimal)  # beyond int8: numeric
        return
    else:
        assert got == value
    assert type(got) is type(value)


def test_named_placeholders_and_percent(conn):
    cur = conn.execute("SELECT %(a)s, %(b)s, %(a)s, '100%%'", {"a": 1, "b": "x"})
    assert cur.fetchone() == (1, "x", 1, "100%")
    assert conn.execute("SELECT '100%'").fetchone() == ("100%",)


@pytest.mark.parametrize(
    "options", [{}, {"prepare": True}, {"binary": True}], ids=["plain", "prepare", "binary"]
)
def test_text_without_params_is_sent_as_written(conn, options):
    # As psycopg: with no parameters, % is not a placeholder, whatever the path.
    query = "SELECT '100%%', '%s'"
    for cursor in (conn.cursor(), pgwire.RawCursor(conn)):
        assert cursor.execute(query, **options).fetchone() == ("100%%", "%s")
    assert list(conn.cursor().stream(query)) == [("100%%", "%s")]
    with conn.pipeline():
        cur = conn.execute(query)
    assert cur.fetchone() == ("100%%", "%s")


@pytest.mark.parametrize(
    "query, params, match",
    [
        ("SELECT %s, %s", (1,), "2"),
        ("SELECT %s", (1, 2), "1"),
        ("SELECT %(a)s", {"b": 1}, "a"),
        ("SELECT %s, %(a)s", (1,), "mix"),
        ("SELECT %s", {"a": 1}, "must be a sequence"),
        ("SELECT %(a)s", (1,), "must be a mapping"),
        ("SELECT %x", (1,), "%x"),
    ],
)
def test_bad_parameters_raise_before_sending(conn, query, params, match):
    with pytest.raises(pgwire.ProgrammingError, match=match):
        conn.execute(query, params)
    # Nothing was sent: no implicit BEGIN happened.
    assert conn.info.transaction_status == pgwire.TransactionStatus.IDLE
    assert conn.execute("SELECT 1").fetchone() == (1,)


def test_unsupported_parameter_type_named(conn):
    class Strange:
        pass

    with pytest.raises(pgwire.ProgrammingError, match="Strange"):
        conn.execute("SELECT %s", (Strange(),))
    assert conn.info.transaction_status == pgwire.TransactionStatus.IDLE


def test_nul_in_string_is_data_error(conn):
    with pytest.raises(pgwire.DataError):
        conn.execute("SELECT %s", ("a\x00b",))
    assert conn.execute("SELECT 'still ok'").fetchone() == ("still ok",)


def test_server_error_classes(conn):
    conn.autocommit = True
    conn.execute("CREATE TEMP TABLE u (a int PRIMARY KEY)")
    conn.execute("INSERT INTO u VALUES (1)")
    with pytest.raises(errors.UniqueViolation) as info:
        conn.execute("INSERT INTO u VALUES (%s)", (1,))
    e = info.value
    assert isinstance(e, pgwire.IntegrityError)
    assert e.sqlstate == "23505"
    assert e.diag.constraint_name == "u_pkey"
    assert e.diag.table_name == "u"
    assert e.diag.message_detail == "Key (a)=(1) already exists."
    with pytest.raises(errors.SyntaxError) as info:
        conn.execute("SELEC 1")
    assert isinstance(info.value, pgwire.ProgrammingError)
    assert info.value.diag.statement_position == "1"
    with pytest.raises(errors.DivisionByZero):
        conn.execute("SELECT 1/%s", (0,))
    assert errors.lookup("23505") is errors.UniqueViolation


def test_loader_error_mid_rows_keeps_connection_in_sync(conn):
    from pgwire.types import Loader

    class Exploding(Loader):
        def load(self, data):
            if data == b"500":
                raise ValueError("boom")
            return int(data)

    cur = conn.cursor()
    cur.adapters.register_loader("int4", Exploding)
    cur.execute("SELECT generate_series(1, 1000)")
    # As psycopg: rows are made as they are fetched, so the error comes from
    # the fetch reaching the failing row; the connection is in sync already.
    assert conn.execute("SELECT 'right answer'").fetchone() == ("right answer",)
    assert cur.rowcount == 1000
    assert cur.fetchmany(499) == [(i,) for i in range(1, 500)]
    with pytest.raises(ValueError, match="boom"):
        cur.fetchone()
    with pytest.raises(ValueError, match="boom"):  # the position stays before it
        cur.fetchall()
    with pytest.raises(ValueError, match="boom"):
        list(cur)
    cur.execute("SELECT generate_series(1, 3)")
    assert cur.fetchall() == [(1,), (2,), (3,)]
    cur.execute("SELECT generate_series(499, 501)")
    with pytest.raises(ValueError, match="boom"):
        cur.fetchmany(5)
    assert cur.fetchone() == (499,)
    with pytest.raises(ValueError, match="boom"):
        next(cur.stream("SELECT 500"))


def test_row_factory_error_keeps_connection_usable(conn):
    def bad_factory(cursor):
        raise RuntimeError("factory failed")

    with pytest.raises(RuntimeError, match="factory failed"):
        conn.cursor(row_factory=bad_factory).execute("SELECT generate_series(1, 100)")
    assert conn.execute("SELECT 2").fetchone() == (2,)


def test_row_factories(conn):
    q = "SELECT 1 AS a, 'x' AS b"
    assert conn.cursor(row_factory=dict_row).execute(q).fetchone() == {"a": 1, "b": "x"}
    nt = conn.cursor(row_factory=namedtuple_row).execute(q).fetchone()
    assert (nt.a, nt.b) == (1, "x")

    class Point:
        def __init__(self, a, b):
            self.a, self.b = a, b

    p = conn.cursor(row_factory=class_row(Point)).execute(q).fetchone()
    assert (p.a, p.b) == (1, "x")
    assert conn.cursor(row_factory=args_row(lambda a, b: (b, a))).execute(q).fetchone() == ("x", 1)
    assert conn.cursor(row_factory=kwargs_row(lambda **kw: sorted(kw))).execute(q).fetchone() == [
        "a",
        "b",
    ]
    cur = conn.cursor()
    cur.row_factory = dict_row
    assert cur.execute("SELECT 3 AS c").fetchall() == [{"c": 3}]


def test_connection_row_factory(dsn):
    with pgwire.connect(dsn, row_factory=dict_row) as conn:
        assert conn.execute("SELECT 4 AS d").fetchone() == {"d": 4}


def test_executemany(conn):
    cur = conn.cursor()
    cur.execute("CREATE TEMP TABLE m (a int, b text)")
    cur.executemany("INSERT INTO m VALUES (%s, %s)", [(i, str(i)) for i in range(1000)])
    assert cur.rowcount == 1000
    assert conn.execute("SELECT count(*), sum(a) FROM m").fetchone() == (1000, 499500)
    cur.executemany(
        "INSERT INTO m VALUES (%(a)s, %(b)s)", [{"a": None, "b": "x"}, {"a": 70000, "b": None}]
    )
    assert cur.rowcount == 2
    cur.executemany(
        "INSERT INTO m VALUES (%s, %s) RETURNING a", [(1, "r"), (2, "s")], returning=True
    )
    assert cur.rowcount == 1  # each parameter set's result has its own rowcount
    assert cur.fetchall() == [(1,)]
    assert cur.nextset() and cur.fetchall() == [(2,)]
    assert cur.rowcount == 1
    cur.executemany("INSERT INTO m VALUES (%s, %s)", [])
    assert cur.rowcount == 0


def test_executemany_error_rolls_back_batch(conn):
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("CREATE TEMP TABLE e (a int PRIMARY KEY)")
    with pytest.raises(errors.UniqueViolation):
        cur.executemany("INSERT INTO e VALUES (%s)", [(1,), (2,), (1,), (3,)])
    assert conn.execute("SELECT count(*) FROM e").fetchone() == (0,)


def test_callproc(conn):
    conn.execute(
        "CREATE FUNCTION pg_temp.addmul(a int, b int, OUT s int, OUT p int)"
        " AS 'SELECT a + b, a * b' LANGUAGE sql"
    )
    cur = conn.cursor()
    assert cur.callproc("pg_temp.addmul", (3, 4)) == (3, 4)
    assert cur.fetchone() == (7, 12)
    cur.callproc("pg_temp.addmul", {"a": 2, "b": 5})
    assert cur.fetchone() == (7, 10)


def test_nextset_over_multiple_statements(conn):
    cur = conn.execute("SELECT 1; SELECT 'two', 2; CREATE TEMP TABLE z (a int)")
    assert cur.fetchall() == [(1,)]
    assert cur.nextset() is True
    assert cur.fetchall() == [("two", 2)]
    assert cur.nextset() is True
    assert cur.description is None and cur.statusmessage == "CREATE TABLE"
    assert cur.nextset() is None


def test_empty_query(conn):
    cur = conn.execute("")
    assert cur.description is None
    assert cur.statusmessage is None


def test_binary_results(conn):
    cur = conn.cursor(binary=True)
    row = cur.execute(
        "SELECT 1::int4, 'x'::text, 2.5::float8, '2024-01-01'::date, %s::numeric", (Decimal("3.3"),)
    ).fetchone()
    assert row == (1, "x", 2.5, dt.date(2024, 1, 1), Decimal("3.3"))
    row = conn.execute("SELECT 1.5::float4, true", binary=True).fetchone()
    assert row == (1.5, True)


def test_query_attribute(conn):
    cur = conn.execute("SELECT %s", (1,))
    assert cur.query == b"SELECT $1"


def test_dbapi_constructors():
    assert pgwire.Date(2020, 1, 2) == dt.date(2020, 1, 2)
    assert pgwire.Time(1, 2, 3) == dt.time(1, 2, 3)
    assert pgwire.Timestamp(2020, 1, 2, 3, 4, 5) == dt.datetime(2020, 1, 2, 3, 4, 5)
    assert pgwire.Binary(bytearray(b"ab")) == b"ab"
    assert pgwire.DateFromTicks(0).year in (1969, 1970)
    assert isinstance(pgwire.TimestampFromTicks(0), dt.datetime)
    assert isinstance(pgwire.TimeFromTicks(0), dt.time)


def test_cursor_adapters_are_its_own(conn):
    from pgwire.types import Loader

    class Doubled(Loader):
        def load(self, data):
            return int(data) * 2

    cur = conn.cursor()
    cur.adapters.register_loader("int4", Doubled)
    assert cur.execute("SELECT 21").fetchone() == (42,)
    assert conn.execute("SELECT 21").fetchone() == (21,)
    assert conn.cursor().execute("SELECT 21").fetchone() == (21,)
    conn.adapters.register_loader("int4", Doubled)
    assert conn.execute("SELECT 5").fetchone() == (10,)


def test_fetch_from_a_closed_cursor_raises_interface_error(conn):
    cur = conn.cursor()
    cur.execute("SELECT generate_series(1, 3)")
    assert cur.fetchone() == (1,)
    cur.close()
    for fetch in (cur.fetchone, cur.fetchall, cur.fetchmany, lambda: list(cur)):
        with pytest.raises(pgwire.InterfaceError):
            fetch()


def test_fetch_from_a_closed_async_cursor_raises_interface_error(dsn):
    async def main():
        async with await pgwire.AsyncConnection.connect(dsn) as aconn:
            cur = await aconn.execute("SELECT 1")
            await cur.close()
            for fetch in (cur.fetchone, cur.fetchall, cur.fetchmany):
                with pytest.raises(pgwire.InterfaceError):
                    await fetch()

    asyncio.run(main())


def test_exception_classes_are_connection_attributes(conn):
    names = (
        "Warning Error InterfaceError DatabaseError DataError OperationalError "
        "IntegrityError InternalError ProgrammingError NotSupportedError"
    ).split()
    for name in names:
        assert getattr(conn, name) is getattr(pgwire, name)
    with pytest.raises(conn.ProgrammingError):
        conn.execute("SELEC 1")


@pytest.mark.parametrize("count", [32767, 32768, 65535])
def test_many_parameters(conn, count):
    query = "SELECT cardinality(ARRAY[" + ",".join(["%s"] * count) + "]::int[])"
    assert conn.execute(query, list(range(count))).fetchone() == (count,)


@pytest.mark.parametrize("count", [65536, 70000])
def test_too_many_parameters_raise_before_sending(conn, count):
    query = "SELECT cardinality(ARRAY[" + ",".join(["%s"] * count) + "]::int[])"
    pid = conn.info.backend_pid
    with pytest.raises(pgwire.ProgrammingError, match="too many parameters"):
        conn.execute(query, list(range(count)))
    with pytest.raises(pgwire.ProgrammingError, match="too many parameters"):
        conn.cursor().executemany(query, [list(range(count))])
    # Nothing was sent: the session is the same, not in a failed transaction.
    assert conn.execute("SELECT pg_backend_pid()").fetchone() == (pid,)


def test_parameters_of_the_wrong_kind_are_a_type_error_too(conn):
    for bad in ("ab", 5):
        with pytest.raises(TypeError, match="sequence or a mapping"):
            conn.execute("SELECT %s", bad)
        with pytest.raises(pgwire.ProgrammingError):
            conn.execute("SELECT %s", bad)
    with pytest.raises(TypeError, match="sequence"):
        pgwire.RawCursor(conn).execute("SELECT $1", {"a": 1})
    assert conn.execute("SELECT 1").fetchone() == (1,)


def test_scroll_stays_on_the_rows_and_no_records_says_why(conn):
    cur = conn.execute("SELECT generate_series(0, 9)")
    cur.scroll(9, mode="absolute")
    assert cur.fetchone() == (9,)
    with pytest.raises(IndexError):
        cur.scroll(10, mode="absolute")
    cur.scroll(9, mode="absolute")
    with pytest.raises(IndexError):
        cur.scroll(1)
    cur.execute("SET timezone TO utc")
    with pytest.raises(pgwire.ProgrammingError, match="command status: SET"):
        cur.fetchone()
    cur.execute("")
    with pytest.raises(pgwire.ProgrammingError, match="result status: EMPTY_QUERY"):
        cur.fetchone()


def test_stream_stops_when_the_connection_is_closed(dsn):
    # The chunk read ahead is not given once the connection is closed.
    conn = pgwire.connect(dsn)
    seen = []
    with pytest.raises(pgwire.OperationalError, match="closed"):
        for (value,) in conn.cursor().stream("SELECT generate_series(1, 3)"):
            seen.append(value)
            conn.close()
    assert seen == [1] and conn.closed


def test_repr_shows_result_and_transaction(dsn):
    conn = pgwire.connect(dsn)
    cur = conn.cursor()
    assert "[no result] [IDLE]" in repr(cur)
    cur.execute("SELECT 1")
    assert "[TUPLES_OK] [INTRANS]" in repr(cur)
    cur.execute("SET timezone = 'UTC'")
    assert "[COMMAND_OK] [INTRANS]" in repr(cur)
    cur.close()
    assert "[closed] [INTRANS]" in repr(cur)
    conn.close()
    assert repr(cur).startswith("<pgwire.Cursor [closed] [BAD] at 0x")


def test_executemany_keeps_the_last_status(conn):
    cur = conn.cursor()
    cur.execute("CREATE TEMP TABLE em (num int)")
    cur.executemany("INSERT INTO em VALUES (%s)", ((i,) for i in range(3000)))
    assert (cur.rowcount, cur.statusmessage, cur.description) == (3000, "INSERT 0 1", None)
    cur.executemany("UPDATE em SET num = num WHERE num = %s", [(5,), (7,), (-1,)])
    assert (cur.rowcount, cur.statusmessage) == (2, "UPDATE 0")  # the last command's
    with pytest.raises(pgwire.ProgrammingError, match="no result available: executemany.*UPDATE 0"):
        cur.fetchone()
    cur.executemany("INSERT INTO em VALUES (%s)", [])
    assert (cur.rowcount, cur.statusmessage) == (0, None)


def test_row_factory_set_after_execute_applies_to_the_next_fetch(conn):
    cur = conn.cursor()
    cur.execute("SELECT 'x' AS x; SELECT 'y' AS y, 'z' AS z FROM generate_series(1, 2)")
    cur.row_factory = dict_row
    assert cur.fetchall() == [{"x": "x"}]
    assert cur.nextset()
    assert cur.fetchone() == {"y": "y", "z": "z"}
    cur.row_factory = namedtuple_row
    assert cur.fetchone()._asdict() == {"y": "y", "z": "z"}
    cur.scroll(-2)
    cur.row_factory = tuple_row
    assert cur.fetchall() == [("y", "z"), ("y", "z")]
    cur.row_factory = scalar_row
    cur.scroll(0, "absolute")
    assert cur.fetchone() == "y"
    cur.row_factory = dict_row  # the rows read are kept: any factory can follow
    assert cur.fetchone() == {"y": "y", "z": "z"}
    # Rows of a factory that drops values are made at fetch time: the values stay.
    cur = conn.cursor(row_factory=scalar_row)
    cur.execute("SELECT 1 AS a, 2 AS b")
    cur.row_factory = dict_row
    assert cur.fetchone() == {"a": 1, "b": 2}


def _upper_titled(cursor):
    titles = [c.name for c in cursor.description]
    return lambda values: [f"{v.upper()}{t}" for t, v in zip(titles, values, strict=True)]


def test_custom_row_factory_then_a_builtin_one(conn):
    cur = conn.cursor(row_factory=_upper_titled)
    cur.execute("SELECT 'x' AS x; SELECT 'y' AS y, 'z' AS z")
    assert cur.fetchall() == [["Xx"]]
    assert cur.nextset()
    assert cur.fetchall() == [["Yy", "Zz"]]
    cur.scroll(-1)
    cur.row_factory = dict_row
    assert cur.fetchone() == {"y": "y", "z": "z"}


def test_row_factory_called_once_per_result_at_execute(conn):
    calls = []

    def counting(cursor):
        calls.append(cursor.description[0].name)
        return lambda values: [len(calls), *values]

    cur = conn.cursor(row_factory=counting)
    cur.execute("SELECT 1 AS a; SELECT 2 AS b")
    assert calls == ["a", "b"]  # before any fetch
    assert cur.fetchall() == [[2, 1]]
    cur.nextset()
    assert cur.fetchall() == [[2, 2]]
    assert calls == ["a", "b"]

    def broken(cursor):
        raise ZeroDivisionError

    cur.row_factory = broken
    with pytest.raises(ZeroDivisionError):
        cur.execute("SELECT 1")


def test_row_maker_error_comes_from_the_fetch_of_its_row(conn):
    def failing_on_three(cursor):
        def make(values):
            if values[0] == 3:
                raise ValueError("three")
            return values[0]

        return make

    cur = conn.cursor(row_factory=failing_on_three)
    cur.execute("SELECT generate_series(1, 5)")
    assert [cur.fetchone(), cur.fetchone()] == [1, 2]
    for _ in range(2):  # the position stays before the failing row
        with pytest.raises(ValueError, match="three"):
            cur.fetchone()
    with pytest.raises(ValueError, match="three"):
        cur.fetchall()
    cur.scroll(0, "absolute")
    assert cur.fetchmany(2) == [1, 2]
    cur.row_factory = tuple_row  # values are kept: another factory gets them all
    assert cur.fetchall() == [(3,), (4,), (5,)]


def test_row_factory_set_while_streaming(conn):
    cur = conn.cursor(row_factory=dict_row)
    rows = cur.stream("SELECT generate_series(1, 2) AS a")
    assert next(rows) == {"a": 1}
    cur.row_factory = namedtuple_row
    assert next(rows).a == 2


def test_a_row_maker_error_stays_with_its_result(conn):
    def failing(cursor):
        def make(values):
            if values[0] == "bad":
                raise ValueError("bad row")
            return values[0]

        return make

    cur = conn.cursor(row_factory=failing)
    cur.execute("SELECT 'bad'; SELECT 'good'")
    with pytest.raises(ValueError, match="bad row"):
        cur.fetchone()
    cur.row_factory = tuple_row
    assert cur.nextset()
    assert cur.fetchall() == [("good",)]  # the first result's error is not raised here
