"""What psycopg 3 writes that pgwire wrote differently: binary COPY targets, SQL_ASCII text.

* Binary COPY with ``set_types()``: numpy's integers and floats go to
  integer, numeric and float columns; a multirange (an empty one, or a typed
  one of another type) goes as the column's multirange type.
* Under ``client_encoding`` SQL_ASCII, str values are written as UTF-8 (the
  server takes any byte) and text is read back as bytes, COPY TO included.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import pgwire
from pgwire.types.multirange import DateMultirange, Int4Multirange, Multirange
from pgwire.types.range import Range

EURO = "\u20ac"


def _copy_binary(conn: Any, table: str, types: list[str], rows: list[tuple[Any, ...]]) -> Any:
    cur = conn.cursor()
    with cur.copy(f"COPY {table} FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(types)
        for row in rows:
            copy.write_row(row)
    return cur.execute(f"SELECT * FROM {table}").fetchall()


def test_numpy_numbers_to_binary_columns(conn):
    np = pytest.importorskip("numpy")
    conn.execute("CREATE TEMP TABLE nums (a int2, b int4, c int8, d numeric, e float8, f float4)")
    row = (np.int8(-128), np.uint16(65535), np.uint32(4294967295), np.int64(-(2**63)),
           np.float32(1.5), np.int16(7))
    types = ["int2", "int4", "int8", "numeric", "float8", "float4"]
    want = [(-128, 65535, 4294967295, -(2**63), 1.5, 7.0)]
    assert _copy_binary(conn, "nums", types, [row]) == want


def test_numpy_number_too_big_for_its_column_is_refused(conn):
    np = pytest.importorskip("numpy")
    conn.execute("CREATE TEMP TABLE small (a int2)")
    with pytest.raises(pgwire.DataError, match="int2"):
        _copy_binary(conn, "small", ["int2"], [(np.int32(40000),)])
    # The COPY failed on the server too, whose transaction is in error, as psycopg leaves it.
    assert conn.info.transaction_status == pgwire.TransactionStatus.INERROR
    conn.rollback()
    assert conn.execute("SELECT 1").fetchone() == (1,)


def test_multiranges_go_as_the_column_type(conn):
    conn.execute("CREATE TEMP TABLE mr (a datemultirange, b int4multirange, c int8multirange)")
    rows = [
        (Multirange(), Multirange(), Int4Multirange()),
        (Int4Multirange(), Int4Multirange([Range(1, 4)]), Multirange([Range(5, 9)])),
        (DateMultirange(), Multirange([Range(None, 3)]), Int4Multirange([Range(2, None)])),
    ]
    got = _copy_binary(conn, "mr", ["datemultirange", "int4multirange", "int8multirange"], rows)
    assert [tuple(len(v) for v in r) for r in got] == [(0, 0, 0), (0, 1, 1), (0, 1, 1)]
    assert got[1][1] == Multirange([Range(1, 4)]) and got[1][2] == Multirange([Range(5, 9)])
    assert got[2][1][0].upper == 3 and got[2][2][0].lower == 2


def test_a_multirange_of_the_wrong_type_is_refused(conn):
    conn.execute("CREATE TEMP TABLE mr2 (a int4multirange)")
    with pytest.raises(pgwire.DataError):
        _copy_binary(conn, "mr2", ["int4multirange"], [(Multirange([Range("a", "b")]),)])
    conn.rollback()
    assert conn.execute("SELECT 1").fetchone() == (1,)


@pytest.fixture
def ascii_conn(conn):
    conn.autocommit = True
    conn.execute("SET client_encoding TO SQL_ASCII")
    return conn


@pytest.mark.parametrize("binary", [False, True])
def test_sql_ascii_writes_str_as_utf8(ascii_conn, binary):
    cur = ascii_conn.cursor(binary=binary)
    row = cur.execute("SELECT ascii(%s), %s::text", [EURO, EURO]).fetchone()
    assert row == (ord(EURO), EURO.encode())
    values = [chr(i) for i in range(1, 256)] + [EURO]
    got = cur.execute("SELECT %s::text[]", [values]).fetchone()[0]
    assert got == [v.encode() for v in values]


def test_sql_ascii_copy_to_reads_bytes(ascii_conn):
    cur = ascii_conn.cursor()
    query = "COPY (SELECT chr(8364), E'a\\tb', NULL::text) TO STDOUT"
    with cur.copy(query) as copy:
        copy.set_types(["text", "text", "text"])
        assert copy.read_row() == (EURO.encode(), b"a\tb", None)
    # Without set_types(), the text is read as text values: bytes too.
    with cur.copy(query) as copy:
        assert list(copy.rows()) == [(EURO.encode(), b"a\tb", None)]


def test_sql_ascii_copy_async(dsn):
    async def main() -> Any:
        conn = await pgwire.AsyncConnection.connect(dsn, autocommit=True)
        try:
            await conn.execute("SET client_encoding TO SQL_ASCII")
            cur = conn.cursor()
            async with cur.copy("COPY (SELECT chr(8364)) TO STDOUT") as copy:
                copy.set_types(["text"])
                first = await copy.read_row()
            await cur.execute("SELECT %s::text", [EURO])
            return first, await cur.fetchone()
        finally:
            await conn.close()

    assert asyncio.run(main()) == ((EURO.encode(),), (EURO.encode(),))


@pytest.mark.parametrize("fmt", ["text", "binary"])
def test_a_dumper_may_write_null_in_copy(conn, fmt):
    from pgwire.types.text import StrBinaryDumper, StrDumperUnknown

    base: Any = StrDumperUnknown if fmt == "text" else StrBinaryDumper

    class EmptyIsNull(base):  # type: ignore[misc, valid-type]
        def dump(self, obj: Any) -> bytes | None:
            return super().dump(obj) if obj else None

    conn.adapters.register_dumper(str, EmptyIsNull)
    conn.execute("CREATE TEMP TABLE nulls (id serial, data text)")
    cur = conn.cursor()
    with cur.copy(f"COPY nulls (data) FROM STDIN (FORMAT {fmt})") as copy:
        if fmt == "binary":
            copy.set_types(["text"])
        copy.write_row(("hello",))
        copy.write_row(("",))
        copy.write_rows([("a\tb",), ("",)])
    rows = cur.execute("SELECT data FROM nulls ORDER BY id").fetchall()
    assert rows == [("hello",), (None,), ("a\tb",), (None,)]


@pytest.mark.parametrize("fmt", ["text", "binary"])
def test_json_columns_take_any_value_as_json(conn, fmt):
    """set_types() naming json/jsonb: a list is a JSON array, a bool true/false.

    A str is the document itself, as a query parameter would be.
    """
    conn.execute("CREATE TEMP TABLE docs (id serial, b jsonb, j json)")
    rows = [
        ({}, {"a": [1]}),
        ([], []),
        ([1, "x\t"], 2.5),
        ('{"s": 1}', None),
        (True, "null"),
        (False, 7),
    ]
    cur = conn.cursor()
    with cur.copy(f"COPY docs (b, j) FROM STDIN (FORMAT {fmt})") as copy:
        copy.set_types(["jsonb", "json"])
        for _ in range(3):  # again and again: the compiled encoder's plans too
            for row in rows:
                copy.write_row(row)
    got = cur.execute("SELECT b, j FROM docs ORDER BY id").fetchall()
    want = [
        ({}, {"a": [1]}),
        ([], []),
        ([1, "x\t"], 2.5),
        ({"s": 1}, None),
        (True, None),
        (False, 7),
    ]
    assert got == want * 3


@pytest.mark.parametrize("fmt", ["text", "binary"])
def test_a_value_json_cannot_write_leaves_the_copy_usable(conn, fmt):
    conn.execute("CREATE TEMP TABLE docs2 (id serial, n int4, doc jsonb)")
    cur = conn.cursor()
    with cur.copy(f"COPY docs2 (n, doc) FROM STDIN (FORMAT {fmt})") as copy:
        copy.set_types(["int4", "jsonb"])
        copy.write_row((15, {}))
        with pytest.raises(TypeError, match="complex"):  # json.dumps's own error
            copy.write_row((16, 1j))
        copy.write_row((17, []))
    assert cur.execute("SELECT n, doc FROM docs2 ORDER BY id").fetchall() == [(15, {}), (17, [])]
