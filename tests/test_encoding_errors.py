"""Values that the client encoding can't decode raise DataError naming the column.

The server itself sends only valid text to a UTF-8 client (it checks even
the bytes of SQL_ASCII databases); values read as UTF-8 under
client_encoding SQL_ASCII (json, hstore, enum labels) can be invalid, and so
can bytes from a hostile server (see test_faults).
"""

from __future__ import annotations

import asyncio

import pytest

import pgwire


@pytest.fixture(scope="module")
def ascii_dsn(pg_server):
    """A SQL_ASCII database read with client_encoding SQL_ASCII: bytes go through unchecked."""
    with pgwire.connect(pg_server.dsn, autocommit=True) as admin:
        admin.execute("DROP DATABASE IF EXISTS pgwire_sql_ascii")
        admin.execute(
            "CREATE DATABASE pgwire_sql_ascii ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C'"
            " TEMPLATE template0"
        )
    yield pg_server.dsn + " dbname=pgwire_sql_ascii client_encoding=SQL_ASCII"
    with pgwire.connect(pg_server.dsn, autocommit=True) as admin:
        admin.execute("DROP DATABASE IF EXISTS pgwire_sql_ascii")


BAD = (
    "SELECT 'fine'::text AS good,"
    " convert_from('\\x22c3ff22'::bytea, 'SQL_ASCII')::json AS broken"
)


@pytest.mark.parametrize("prepare", [False, True])
def test_undecodable_json_raises_data_error_naming_the_column(ascii_dsn, prepare):
    with pgwire.connect(ascii_dsn, autocommit=True) as conn:
        for _ in range(3 if prepare else 1):
            cur = conn.execute(BAD + " WHERE %s", (True,), prepare=prepare)
            with pytest.raises(pgwire.DataError, match='column "broken"'):
                cur.fetchone()
        cur = conn.execute(BAD)
        with pytest.raises(pgwire.DataError, match='column "broken"'):
            cur.fetchall()
        assert conn.execute("SELECT 'ok'").fetchone() == (b"ok",)


def test_undecodable_in_server_cursor_and_asyncio(ascii_dsn):
    with pgwire.connect(ascii_dsn) as conn:
        with conn.cursor("named") as cur:
            cur.execute(BAD)
            with pytest.raises(pgwire.DataError, match='column "broken"'):
                cur.fetchall()

    async def main():
        async with await pgwire.AsyncConnection.connect(ascii_dsn, autocommit=True) as aconn:
            cur = await aconn.execute(BAD)
            with pytest.raises(pgwire.DataError, match='column "broken"'):
                await cur.fetchone()
            return await (await aconn.execute("SELECT 1")).fetchone()

    assert asyncio.run(main()) == (1,)


@pytest.mark.parametrize("binary", [False, True])
def test_unencodable_parameter_is_data_error_and_unicode_encode_error(conn, binary):
    """As psycopg: a UnicodeEncodeError, and a DataError (DB-API), raised before sending."""
    conn.autocommit = True
    conn.execute("SET client_encoding TO LATIN1")
    with pytest.raises(pgwire.DataError) as info:
        conn.execute("SELECT %s", ["\u20ac"], binary=binary)
    err = info.value
    assert isinstance(err, UnicodeEncodeError)
    assert (err.encoding, err.object, err.start, err.end) == ("latin-1", "\u20ac", 0, 1)
    assert "cannot encode '\u20ac' in the client encoding latin-1" in str(err)
    assert conn.execute("SELECT %s", ["caf\u00e9"]).fetchone() == ("caf\u00e9",)


def test_unencodable_parameter_async(dsn):
    async def main() -> BaseException:
        conn = await pgwire.AsyncConnection.connect(dsn, autocommit=True)
        try:
            with pytest.raises(UnicodeEncodeError) as info:
                await conn.execute("SELECT %s", ["\udcff"])  # a lone surrogate: not UTF-8
            assert (await (await conn.execute("SELECT 1")).fetchone()) == (1,)
            return info.value
        finally:
            await conn.close()

    assert isinstance(asyncio.run(main()), pgwire.DataError)
