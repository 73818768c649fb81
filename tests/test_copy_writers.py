"""COPY with params, and COPY FROM writers: connection, queued (thread/task), file, custom."""

from __future__ import annotations

import asyncio
import io

import pytest

import pgwire
from pgwire import errors
from pgwire.copy import (
    AsyncConnectionWriter,
    AsyncCopy,
    AsyncQueuedWriter,
    AsyncWriter,
    ConnectionWriter,
    Copy,
    FileWriter,
    QueuedWriter,
    Writer,
)

ROWS = [(1, "one"), (2, None), (3, "tab\there"), (4, "back\\slash")]
MANY = [(i, f"row {i} " + "x" * (i % 50)) for i in range(30_000)]


@pytest.fixture
def table(conn):
    conn.autocommit = True
    conn.execute("CREATE TEMP TABLE w (a int, b text)")
    return "w"


def _table_rows(conn):
    return conn.execute("SELECT a, b FROM w ORDER BY a").fetchall()


def test_copy_params_are_quoted_into_the_statement(conn):
    cur = conn.cursor()
    with cur.copy("COPY (SELECT %s::int, %s::text, %s) TO STDOUT", (7, "it's", None)) as copy:
        copy.set_types(["int4", "text", "text"])
        assert list(copy.rows()) == [(7, "it's", None)]
    with cur.copy("COPY (SELECT %(n)s::int) TO STDOUT", {"n": 3}) as copy:
        assert copy.read() == b"3\n"
    with pytest.raises(pgwire.ProgrammingError):
        cur.copy("COPY (SELECT %s) TO STDOUT", ()).__enter__()
    assert conn.execute("SELECT 1").fetchone() == (1,)


def test_default_and_explicit_connection_writer(conn, table):
    cur = conn.cursor()
    with cur.copy("COPY w FROM STDIN") as copy:
        assert isinstance(copy.writer, ConnectionWriter)
        copy.write_rows(ROWS[:2])
    writer = ConnectionWriter(cur)
    with cur.copy("COPY w FROM STDIN", writer=writer) as copy:
        assert copy.writer is writer
        copy.write_rows(ROWS[2:])
    assert cur.rowcount == 2
    assert _table_rows(conn) == ROWS


@pytest.mark.parametrize("binary", [False, True])
def test_file_writer_data_loads_into_the_server(conn, table, binary):
    file = io.BytesIO()
    cur = conn.cursor()
    with Copy(cur, binary=binary, writer=FileWriter(file)) as copy:
        if binary:
            copy.set_types(["int4", "text"])
        copy.write_rows(ROWS)
    data = file.getvalue()
    assert data.startswith(b"PGCOPY\n\xff\r\n\x00") == binary
    if not binary:
        assert data == b"1\tone\n2\t\\N\n3\ttab\\there\n4\tback\\\\slash\n"
    # Nothing was sent: the connection is idle and usable.
    assert conn.info.transaction_status == pgwire.TransactionStatus.IDLE
    fmt = "(FORMAT BINARY)" if binary else ""
    with cur.copy(f"COPY w FROM STDIN {fmt}") as copy:
        copy.write(data)
    assert _table_rows(conn) == ROWS


def test_file_writer_binary_without_types_writes_each_values_own_type(conn):
    file = io.BytesIO()
    with Copy(conn.cursor(), binary=True, writer=FileWriter(file)) as copy:
        copy.write_row((40010, "hello"))
    # int4 (the value's own size), then text; the header and the trailer around.
    body = file.getvalue()[19:-2]
    assert body == b"\x00\x02" + b"\x00\x00\x00\x04" + (40010).to_bytes(4, "big") + (
        b"\x00\x00\x00\x05hello"
    )


def test_writer_and_statement_must_agree(conn, table):
    cur = conn.cursor()
    with pytest.raises(pgwire.ProgrammingError, match="without a statement"):
        Copy(cur)
    with pytest.raises(pgwire.ProgrammingError, match="without a statement"):
        Copy(cur, writer=ConnectionWriter(cur))
    with pytest.raises(pgwire.ProgrammingError, match="must send to the"):
        cur.copy("COPY w FROM STDIN", writer=FileWriter(io.BytesIO()))
    # Refused before anything was sent.
    assert conn.execute("SELECT count(*) FROM w").fetchone() == (0,)


def test_custom_writer_sees_every_chunk_and_the_end(conn):
    seen: list[object] = []

    class Recorder(Writer):
        def write(self, data):
            seen.append(bytes(data))

        def finish(self, exception=None):
            seen.append(("finish", exception))

    with Copy(conn.cursor(), writer=Recorder()) as copy:
        copy.write_row((1, "a"))
        copy.write("2\tb\n")
    assert seen == [b"1\ta\n", b"2\tb\n", ("finish", None)]


def test_exception_in_a_file_copy_reaches_the_writer(conn):
    ends = []

    class Ends(FileWriter):
        def finish(self, exception=None):
            ends.append(exception)

    with pytest.raises(ZeroDivisionError):
        with Copy(conn.cursor(), writer=Ends(io.BytesIO())) as copy:
            copy.write_row((1, "a"))
            raise ZeroDivisionError
    assert isinstance(ends[0], ZeroDivisionError)


def test_queued_writer_worker_life(conn, table):
    cur = conn.cursor()
    writer = QueuedWriter(cur)
    with cur.copy("COPY w FROM STDIN", writer=writer) as copy:
        assert writer._worker is None
        copy.write_rows(MANY)
        worker = writer._worker
        assert worker is not None and worker.is_alive()
    assert writer._worker is None and not worker.is_alive()  # joined when the COPY ended
    assert cur.rowcount == len(MANY)
    assert conn.execute("SELECT count(*), sum(a) FROM w").fetchone() == (
        len(MANY),
        sum(r[0] for r in MANY),
    )


def test_queued_writer_exception_aborts_the_copy(conn, table):
    cur = conn.cursor()
    with pytest.raises(ZeroDivisionError):
        with cur.copy("COPY w FROM STDIN", writer=QueuedWriter(cur)) as copy:
            copy.write_rows(MANY)
            raise ZeroDivisionError
    assert conn.execute("SELECT count(*) FROM w").fetchone() == (0,)


def test_queued_writer_server_error(conn, table):
    cur = conn.cursor()
    with pytest.raises(errors.InvalidTextRepresentation):
        with cur.copy("COPY w FROM STDIN", writer=QueuedWriter(cur)) as copy:
            copy.write_rows(MANY)
            copy.write("not an int\tx\n")
    assert conn.execute("SELECT count(*) FROM w").fetchone() == (0,)


def test_queued_writer_connection_lost(dsn, conn, table):
    victim = pgwire.connect(dsn)
    victim.execute("CREATE TEMP TABLE w (a int, b text)")
    cur = victim.cursor()
    with pytest.raises(pgwire.OperationalError):
        with cur.copy("COPY w FROM STDIN", writer=QueuedWriter(cur)) as copy:
            copy.write_rows(MANY[:10])
            conn.execute("SELECT pg_terminate_backend(%s)", [victim.info.backend_pid])
            for _ in range(200):
                copy.write_rows(MANY)
    assert victim.closed or victim.broken
    victim.close()


def _run(coro):
    return asyncio.run(asyncio.wait_for(coro, 60))


@pytest.mark.parametrize("writer_cls", [None, AsyncConnectionWriter, AsyncQueuedWriter])
def test_async_writers(dsn, writer_cls):
    async def main():
        async with await pgwire.AsyncConnection.connect(dsn, autocommit=True) as aconn:
            await aconn.execute("CREATE TEMP TABLE w (a int, b text)")
            cur = aconn.cursor()
            writer = writer_cls(cur) if writer_cls else None
            async with cur.copy("COPY w FROM STDIN", writer=writer) as copy:
                await copy.write_rows(MANY)
                if writer_cls is AsyncQueuedWriter:
                    assert writer._worker is not None
            if writer_cls is AsyncQueuedWriter:
                assert writer._worker is None
            assert cur.rowcount == len(MANY)
            cur = await aconn.execute("SELECT count(*) FROM w")
            assert await cur.fetchone() == (len(MANY),)
            with pytest.raises(ZeroDivisionError):
                async with cur.copy("COPY w FROM STDIN", writer=writer_cls and writer_cls(cur)):
                    raise ZeroDivisionError
            cur = await aconn.execute("SELECT count(*) FROM w")
            assert await cur.fetchone() == (len(MANY),)

    _run(main())


def test_async_file_like_writer_and_params(dsn):
    class ToFile(AsyncWriter):
        def __init__(self, file):
            self.file = file

        async def write(self, data):
            self.file.write(data)

    async def main():
        async with await pgwire.AsyncConnection.connect(dsn) as aconn:
            cur = aconn.cursor()
            file = io.BytesIO()
            async with AsyncCopy(cur, writer=ToFile(file)) as copy:
                await copy.write_rows(ROWS)
            assert file.getvalue().startswith(b"1\tone\n2\t\\N\n")
            async with cur.copy("COPY (SELECT %s::text) TO STDOUT", ["x'y"]) as copy:
                assert await copy.read() == b"x'y\n"
            with pytest.raises(pgwire.ProgrammingError):
                AsyncCopy(cur, writer=AsyncConnectionWriter(cur))

    _run(main())


def test_finish_ends_the_copy_once(conn, table):
    cur = conn.cursor()
    with cur.copy("COPY w FROM STDIN") as copy:
        copy.write_rows(ROWS)
        copy.finish()
        assert cur.rowcount == len(ROWS)
        with pytest.raises(pgwire.ProgrammingError):
            copy.write_row((5, "late"))
    assert _table_rows(conn) == ROWS


# -- psycopg's COPY details --------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["TEXT", "BINARY"])
def test_set_types_takes_sql_spellings_and_registered_types(conn, fmt):
    import enum

    from pgwire.types import TypeInfo, register_enum

    class Mood(enum.Enum):
        sad = "sad"
        ok = "ok"

    conn.autocommit = True
    conn.execute("DROP TYPE IF EXISTS copy_mood; CREATE TYPE copy_mood AS ENUM ('sad', 'ok')")
    cur = conn.cursor()
    register_enum(TypeInfo.fetch(conn, "copy_mood"), cur, Mood)
    query = (
        "COPY (SELECT 1::bigint, 1.5::double precision, '{1,2}'::integer[],"
        f" 'ok'::copy_mood, ARRAY['sad']::copy_mood[]) TO STDOUT (FORMAT {fmt})"
    )
    with cur.copy(query) as copy:
        copy.set_types(["bigint", "double precision", "integer[]", "copy_mood", "copy_mood[]"])
        assert list(copy.rows()) == [(1, 1.5, [1, 2], Mood.ok, [Mood.sad])]
    with cur.copy(query) as copy:
        with pytest.raises(pgwire.ProgrammingError, match="unknown type name 'no_such'"):
            copy.set_types(["int8", "no_such", "int4[]", "text", "text"])
    with cur.copy(query) as copy:
        copy.set_types(["int8", "float8"])
        with pytest.raises(pgwire.ProgrammingError, match="2 types for a COPY of 5 columns"):
            copy.read_row()
    assert conn.execute("SELECT 1").fetchone() == (1,)


def test_empty_binary_copy_in_sends_a_valid_empty_file(conn, table):
    conn.autocommit = False
    cur = conn.cursor()
    with cur.copy("COPY w FROM STDIN (FORMAT BINARY)"):
        pass
    assert cur.rowcount == 0
    assert conn.info.transaction_status == pgwire.TransactionStatus.INTRANS
    conn.rollback()


def test_str_data_in_a_binary_copy_is_refused(conn, table):
    cur = conn.cursor()
    with pytest.raises(TypeError, match="bytes, not str"):
        with cur.copy("COPY w FROM STDIN (FORMAT BINARY)") as copy:
            copy.write("1\tone\n")
    assert _table_rows(conn) == []


def test_description_and_status_of_a_copy(conn, table):
    cur = conn.cursor()
    with cur.copy("COPY (SELECT 'This', 'Is', 'Text') TO STDOUT") as copy:
        assert [c.name for c in cur.description] == ["column_1", "column_2", "column_3"]
        assert list(copy.rows()) == [("This", "Is", "Text")]
    assert [c.name for c in cur.description] == ["column_1", "column_2", "column_3"]
    assert cur.statusmessage == "COPY 1"
    with cur.copy("COPY w FROM STDIN") as copy:
        copy.write_rows(ROWS)
    assert len(cur.description) == 2
    assert (cur.statusmessage, cur.rowcount) == ("COPY 4", 4)
    with pytest.raises(pgwire.ProgrammingError):
        cur.fetchone()  # a COPY has no rows to fetch
    cur.execute("SELECT 1")
    assert cur.description[0].name == "?column?"


def test_a_copy_object_is_used_once(conn):
    cur = conn.cursor()
    with cur.copy("COPY (SELECT 1) TO STDOUT") as copy:
        assert list(copy) == [b"1\n"]
    with pytest.raises(TypeError, match="only once"):
        with copy:
            pass
    assert conn.execute("SELECT 2").fetchone() == (2,)


def test_pyformat_to_and_from_wire_formats():
    from pgwire.types import Format
    from pgwire.types.adapt import PyFormat

    assert PyFormat.from_pq(Format.BINARY) is PyFormat.BINARY
    assert PyFormat.from_pq(Format.TEXT) is PyFormat.TEXT
    assert PyFormat.as_pq(PyFormat.BINARY) is Format.BINARY
    assert PyFormat.as_pq(PyFormat.TEXT) is Format.TEXT
    with pytest.raises(ValueError):
        PyFormat.as_pq(PyFormat.AUTO)


def test_binary_copy_from_learns_the_column_types(conn):
    import datetime as dt

    conn.autocommit = True
    conn.execute('DROP SCHEMA IF EXISTS "Copy S" CASCADE; CREATE SCHEMA "Copy S"')
    conn.execute(
        'CREATE TABLE "Copy S"."T" (id serial, small int2, "Big" int8, f4 float4,'
        " t varchar(10), d date, arr int4[], g int GENERATED ALWAYS AS (small * 2) STORED)"
    )
    cur = conn.cursor()
    row = (7, 2**40, 1.5, "x", dt.date(2020, 1, 2), [[1, None], [3, 4]])
    with cur.copy(
        'COPY "Copy S"."T" (small, "Big", f4, t, d, arr) FROM STDIN (FORMAT BINARY)'
    ) as copy:
        copy.write_row(row)  # no set_types(): read from the catalog
    assert conn.execute('SELECT small, "Big", f4, t, d, arr, g FROM "Copy S"."T"').fetchone() == (
        *row,
        14,
    )
    # All the columns, none listed (the generated one is not COPY's).
    conn.execute('TRUNCATE "Copy S"."T"')
    with cur.copy('copy "Copy S"."T" from stdin with (format binary)') as copy:
        copy.write_row((1, *row))
    assert conn.execute('SELECT count(*) FROM "Copy S"."T"').fetchone() == (1,)
    # A value that isn't the column's type is refused before anything is sent.
    with pytest.raises(pgwire.DataError, match="can't be written to a date column"):
        with cur.copy('COPY "Copy S"."T" (d) FROM STDIN (FORMAT BINARY)') as copy:
            copy.write_row(("2020-01-01",))
    with pytest.raises(pgwire.DataError, match="does not fit"):
        with cur.copy('COPY "Copy S"."T" (small) FROM STDIN (FORMAT BINARY)') as copy:
            copy.write_row((2**20,))
    # No such table: COPY's own error, after the lookup found nothing.
    with pytest.raises(errors.UndefinedTable):
        with cur.copy("COPY no_such_table FROM STDIN (FORMAT BINARY)") as copy:
            copy.write_row((1,))
    assert conn.execute("SELECT 1").fetchone() == (1,)
    conn.execute('DROP SCHEMA "Copy S" CASCADE')


def test_binary_copy_target_parsing():
    from pgwire.copy import binary_copy_target

    assert binary_copy_target('COPY "a"."B c" ("X", y) FROM STDIN (FORMAT BINARY)') == (
        '"a"."B c"',
        ["X", "y"],
    )
    assert binary_copy_target("copy t from stdin binary;") == ("t", None)
    assert binary_copy_target("COPY t FROM STDIN") is None
    assert binary_copy_target("COPY t TO STDOUT (FORMAT BINARY)") is None
    assert binary_copy_target("COPY (SELECT 1) TO STDOUT (FORMAT BINARY)") is None


def test_binary_copy_of_ranges_whatever_their_bounds(conn):
    import datetime as dt

    from pgwire.types import Range

    conn.autocommit = True
    conn.execute("DROP TABLE IF EXISTS rr; CREATE TABLE rr (d daterange, n int8range)")
    rows = [
        (Range(dt.date(2020, 1, 1), dt.date(2020, 2, 1)), Range(1, 10)),
        (Range(None, None), Range(empty=True)),
        (Range(dt.date(2020, 1, 1), None), Range(None, 5)),
    ]
    with conn.cursor().copy("COPY rr FROM STDIN (FORMAT BINARY)") as copy:
        copy.write_rows(rows)
    assert conn.execute("SELECT d, n FROM rr").fetchall() == rows
    conn.execute("DROP TABLE rr")


def test_async_binary_copy_from_learns_the_column_types(dsn):
    async def main():
        async with await pgwire.AsyncConnection.connect(dsn, autocommit=True) as aconn:
            await aconn.execute("CREATE TEMP TABLE tb (a int4, b text, c int8[])")
            cur = aconn.cursor()
            async with cur.copy("COPY tb FROM STDIN (FORMAT BINARY)") as copy:
                await copy.write_row((1, "x", [1, 2]))
            cur = await aconn.execute("SELECT * FROM tb")
            assert await cur.fetchall() == [(1, "x", [1, 2])]

    _run(main())


@pytest.mark.parametrize("binary", [False, True])
def test_write_row_sends_whole_chunks_in_order_and_refuses_rows_after_the_end(
    conn, table, binary
):
    from pgwire.engine.copy_rows import CHUNK_SIZE

    sizes: list[int] = []

    class Counting(ConnectionWriter):
        def write(self, data):
            sizes.append(len(data))
            super().write(data)

    cur = conn.cursor()
    statement = "COPY w FROM STDIN" + (" (FORMAT BINARY)" if binary else "")
    with cur.copy(statement, writer=Counting(cur)) as copy:
        if binary:
            copy.set_types(["int4", "text"])
        for row in MANY:
            copy.write_row(row)
        sent_before_end = len(sizes)
    # Rows are sent a chunk at a time while they are written, the rest at the end.
    assert sent_before_end >= 2
    assert all(size >= CHUNK_SIZE for size in sizes[:sent_before_end])
    assert conn.execute("SELECT count(*), sum(a), sum(length(b)) FROM w").fetchone() == (
        len(MANY),
        sum(a for a, _ in MANY),
        sum(len(b) for _, b in MANY),
    )
    with pytest.raises(pgwire.ProgrammingError, match="does not accept data"):
        copy.write_row((1, "late"))
    assert conn.execute("SELECT count(*) FROM w").fetchone() == (len(MANY),)


def test_write_row_raises_the_writers_error_and_the_copy_is_aborted(conn, table):
    class Failing(ConnectionWriter):
        def write(self, data):
            raise OSError("disk on fire")

    cur = conn.cursor()
    with pytest.raises(OSError, match="disk on fire"):
        with cur.copy("COPY w FROM STDIN", writer=Failing(cur)) as copy:
            for row in MANY:
                copy.write_row(row)
    # Nothing was loaded, and the connection goes on.
    assert conn.execute("SELECT count(*) FROM w").fetchone() == (0,)
    with cur.copy("COPY w FROM STDIN") as copy:
        copy.write_row((1, "after"))
    assert _table_rows(conn) == [(1, "after")]


@pytest.mark.parametrize("binary", [False, True])
def test_async_write_row_sends_whole_chunks_in_order_and_refuses_rows_after_the_end(
    dsn, binary
):
    from pgwire.engine.copy_rows import CHUNK_SIZE

    sizes: list[int] = []

    class Counting(AsyncConnectionWriter):
        async def write(self, data):
            sizes.append(len(data))
            await super().write(data)

    async def main():
        async with await pgwire.AsyncConnection.connect(dsn, autocommit=True) as aconn:
            await aconn.execute("CREATE TEMP TABLE w (a int, b text)")
            cur = aconn.cursor()
            statement = "COPY w FROM STDIN" + (" (FORMAT BINARY)" if binary else "")
            async with cur.copy(statement, writer=Counting(cur)) as copy:
                if binary:
                    copy.set_types(["int4", "text"])
                for row in MANY:
                    await copy.write_row(row)
                sent_before_end = len(sizes)
            assert sent_before_end >= 2
            assert all(size >= CHUNK_SIZE for size in sizes[:sent_before_end])
            cur = await aconn.execute("SELECT count(*), sum(a), sum(length(b)) FROM w")
            assert await cur.fetchone() == (
                len(MANY),
                sum(a for a, _ in MANY),
                sum(len(b) for _, b in MANY),
            )
            with pytest.raises(pgwire.ProgrammingError, match="does not accept data"):
                await copy.write_row((1, "late"))

    _run(main())


def test_async_write_row_raises_the_writers_error_and_the_copy_is_aborted(dsn):
    class Failing(AsyncConnectionWriter):
        async def write(self, data):
            raise OSError("disk on fire")

    async def main():
        async with await pgwire.AsyncConnection.connect(dsn, autocommit=True) as aconn:
            await aconn.execute("CREATE TEMP TABLE w (a int, b text)")
            cur = aconn.cursor()
            with pytest.raises(OSError, match="disk on fire"):
                async with cur.copy("COPY w FROM STDIN", writer=Failing(cur)) as copy:
                    for row in MANY:
                        await copy.write_row(row)
            cur = await aconn.execute("SELECT count(*) FROM w")
            assert await cur.fetchone() == (0,)
            async with cur.copy("COPY w FROM STDIN") as copy:
                await copy.write_row((1, "after"))
            cur = await aconn.execute("SELECT a, b FROM w")
            assert await cur.fetchall() == [(1, "after")]

    _run(main())


def _buffers_to_write() -> tuple[list[object], bytearray, list[tuple[int, str]]]:
    """Buffers of every kind write() takes, the bytearray among them, and the rows they hold."""
    reused = bytearray(b"1\tarray\n")
    wide = memoryview(b"3\tof HH\n").cast("H")  # len() is 4, the bytes 8: framed by nbytes
    strided = memoryview(b"4x\txsxtxrxixdxexdx\nx")[::2]  # not contiguous: copied
    sliced = memoryview(b"junk5\tslice\njunk")[4:-4]
    chunks: list[object] = [reused, b"2\tbytes\n", wide, strided, sliced]
    rows = [(1, "array"), (2, "bytes"), (3, "of HH"), (4, "strided"), (5, "slice")]
    return chunks, reused, rows


@pytest.mark.parametrize("writer_cls", [None, QueuedWriter])
def test_write_takes_any_buffer_and_sends_what_it_held_at_the_call(conn, table, writer_cls):
    cur = conn.cursor()
    chunks, reused, rows = _buffers_to_write()
    writer = writer_cls(cur) if writer_cls else None
    with cur.copy("COPY w FROM STDIN", writer=writer) as copy:
        for chunk in chunks:
            copy.write(chunk)  # type: ignore[arg-type]
            # The caller's buffer is theirs again once write() returns.
            reused[:] = b"9\toverwritten\n"
    assert _table_rows(conn) == rows
    assert conn.execute("SELECT 1").fetchone() == (1,)


@pytest.mark.parametrize("base", [Writer, ConnectionWriter])
def test_write_gives_a_users_writer_bytes_of_any_buffer(conn, table, base):
    seen: list[object] = []

    class Recorder(base):  # type: ignore[valid-type, misc]
        def write(self, data):
            seen.append(data)
            if base is ConnectionWriter:
                super().write(data)

    cur = conn.cursor()
    chunks, reused, rows = _buffers_to_write()
    if base is Writer:
        copy = Copy(cur, writer=Recorder())
    else:
        copy = cur.copy("COPY w FROM STDIN", writer=Recorder(cur))
    with copy:
        for chunk in chunks:
            copy.write(chunk)  # type: ignore[arg-type]
        reused[:] = b"changed"
    assert all(type(chunk) is bytes for chunk in seen)
    assert seen[0] == b"1\tarray\n" and seen[3] == b"4\tstrided\n" and seen[4] == b"5\tslice\n"
    if base is ConnectionWriter:
        assert _table_rows(conn) == rows


@pytest.mark.parametrize("writer_cls", [AsyncConnectionWriter, AsyncQueuedWriter])
def test_async_write_takes_any_buffer_and_sends_what_it_held_at_the_call(dsn, writer_cls):
    async def main():
        async with await pgwire.AsyncConnection.connect(dsn, autocommit=True) as aconn:
            await aconn.execute("CREATE TEMP TABLE w (a int, b text)")
            cur = aconn.cursor()
            chunks, reused, rows = _buffers_to_write()
            async with cur.copy("COPY w FROM STDIN", writer=writer_cls(cur)) as copy:
                for chunk in chunks:
                    await copy.write(chunk)  # type: ignore[arg-type]
                    reused[:] = b"9\toverwritten\n"
            cur = await aconn.execute("SELECT a, b FROM w ORDER BY a")
            assert await cur.fetchall() == rows

    _run(main())
