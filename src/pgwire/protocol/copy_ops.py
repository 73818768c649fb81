"""COPY, sans I/O: the operations that start and end a COPY, and its data formats.

COPY FROM STDIN: :func:`copy_start` returns once the server has sent
CopyInResponse; data goes out with :func:`copy_data`; :func:`copy_end`
sends CopyDone (or CopyFail) and waits for the outcome.  COPY TO STDOUT:
:func:`copy_start`, then :func:`copy_read` until it returns None.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from struct import Struct
from typing import Any

from ..accel.selection import speedups
from ..errors import NotSupportedError, ProgrammingError
from . import messages as m
from .core import PGGen, Protocol, _closes_on_violation, results

BINARY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
BINARY_HEADER = BINARY_SIGNATURE + b"\x00\x00\x00\x00\x00\x00\x00\x00"
BINARY_TRAILER = b"\xff\xff"

READ_CHUNK = 1 << 20
"""Most COPY TO bytes one read returns, when more are already buffered."""

# Joins runs of CopyData payloads in C (the same bytes as the loop in copy_read).
_copy_chunks: Callable[[Any, int], bytes] | None = (
    speedups.copy_chunks if speedups is not None else None
)

_i16 = Struct("!h")
_i32 = Struct("!i")


class CopyState:
    """What the server said when the COPY started, and how it ended.

    ``direction`` is "in", "out" or "both" (replication); ``format`` 0 for
    text, 1 for binary.
    """

    __slots__ = ("column_formats", "command_tag", "direction", "format", "rowcount")

    def __init__(
        self,
        direction: str,
        format: int,
        column_formats: list[int] | None = None,
        rowcount: int = -1,
        command_tag: str | None = None,
    ) -> None:
        self.direction = direction
        self.format = format
        self.column_formats = [] if column_formats is None else column_formats
        self.rowcount = rowcount
        self.command_tag = command_tag

    def __repr__(self) -> str:
        return (
            f"CopyState(direction={self.direction!r}, format={self.format!r},"
            f" column_formats={self.column_formats!r}, rowcount={self.rowcount!r},"
            f" command_tag={self.command_tag!r})"
        )


_DIRECTIONS = {m.COPY_IN_RESPONSE: "in", m.COPY_OUT_RESPONSE: "out", m.COPY_BOTH_RESPONSE: "both"}

# The answers of statements that follow a COPY in the same query text.
_AFTER_COPY = frozenset(
    {
        m.ROW_DESCRIPTION,
        m.DATA_ROW,
        m.COMMAND_COMPLETE,
        m.EMPTY_QUERY_RESPONSE,
        m.COPY_IN_RESPONSE,
        m.COPY_OUT_RESPONSE,
        m.COPY_DATA,
        m.COPY_DONE,
    }
)


@_closes_on_violation
def copy_start(
    proto: Protocol, sql: bytes, begin: bool | bytes | None = False, both: bool = False
) -> PGGen:
    """Send a COPY statement; return its CopyState once the data can flow.

    With ``both``, the statement is one answered by COPY BOTH (replication's
    START_REPLICATION), and only that.
    """
    if begin:
        proto.send_query(m.query(begin if isinstance(begin, bytes) else b"BEGIN"))
    proto.send_query(m.query(sql))
    buf = proto.buf
    pending_z = 2 if begin else 1
    error: BaseException | None = None
    # A statement of the same query text ended before the COPY began: the
    # COPY is ended at once (as psycopg refuses COPY mixed with other statements).
    preceded = mixed = False
    while True:
        mtype = buf.next_message()
        if mtype < 0:
            yield
            continue
        if mixed and mtype in (m.COPY_DATA, m.COPY_DONE):
            continue
        if preceded and mtype in (m.COPY_IN_RESPONSE, m.COPY_OUT_RESPONSE):
            mixed = True
            if mtype == m.COPY_IN_RESPONSE:
                proto.send(m.copy_fail("COPY mixed with other statements"))
                yield  # the CopyFail goes out before more is read
            continue
        if mtype in _DIRECTIONS and both == (mtype == m.COPY_BOTH_RESPONSE):
            fmt, formats = m.parse_copy_response(buf.data, buf.start, buf.end)
            return CopyState(_DIRECTIONS[mtype], fmt, formats)
        if mtype in _DIRECTIONS:
            proto.closed = True
            if both:
                raise ProgrammingError("the command started a COPY, not a replication stream")
            raise NotSupportedError("COPY BOTH (replication) needs conn.start_replication()")
        if mtype == m.READY_FOR_QUERY:
            proto.ready()
            pending_z -= 1
            if pending_z == 0:
                if mixed:
                    raise ProgrammingError(
                        "COPY can't be mixed with other statements in one query"
                    ) from error
                if error is not None:
                    raise error
                if both:
                    raise ProgrammingError("the command did not start a replication stream")
                raise ProgrammingError("the statement is not a COPY FROM STDIN or COPY TO STDOUT")
        elif mtype == m.ERROR_RESPONSE:
            exc = proto.server_error()
            if proto.closed:
                raise exc
            error = error or exc
        elif mtype in (m.COMMAND_COMPLETE, m.EMPTY_QUERY_RESPONSE):
            preceded = preceded or pending_z == 1  # not the answer to the BEGIN sent first
        elif mtype in (m.ROW_DESCRIPTION, m.DATA_ROW):
            pass
        elif not proto.handle_async(mtype):
            raise proto.unexpected(mtype)


@_closes_on_violation
def copy_read(proto: Protocol, state: CopyState) -> PGGen:
    """The next chunk of COPY TO STDOUT data, or None once the COPY has ended.

    Statements sent after the COPY in the same text run when it ends; their
    answers are read and dropped, and ProgrammingError is raised once the
    session is back in sync (as psycopg refuses COPY mixed with other statements).
    """
    buf = proto.buf
    error: BaseException | None = None
    ended = mixed = False
    while True:
        mtype = buf.next_message()
        if mtype < 0:
            yield
            continue
        if ended and mtype in _AFTER_COPY:
            mixed = True
            if mtype == m.COPY_IN_RESPONSE:
                proto.send(m.copy_fail("COPY mixed with other statements"))
                yield  # the CopyFail goes out before more is read
            continue
        if mtype == m.COPY_DATA:
            # Hand over every CopyData already received (the server sends one
            # per row): one call per buffer, not per row.
            if _copy_chunks is not None:
                buf.pos = buf.start - 5  # from this message on
                return _copy_chunks(buf, READ_CHUNK)
            chunks = buf.payloads_alike(READ_CHUNK)
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)
        if mtype == m.COPY_DONE:
            continue
        if mtype == m.COMMAND_COMPLETE:
            state.command_tag = tag = m.parse_command_complete(buf.data, buf.start, buf.end)
            state.rowcount = m.rowcount_from_tag(tag)
            ended = True
        elif mtype == m.ERROR_RESPONSE:
            exc = proto.server_error()
            if proto.closed:
                raise exc
            error = error or exc
        elif mtype == m.READY_FOR_QUERY:
            proto.ready()
            if mixed:
                # The COPY itself succeeded (an error would have skipped the rest).
                raise ProgrammingError(
                    "COPY can't be mixed with other statements in one query"
                ) from error
            if error is not None:
                raise error
            return None
        elif not proto.handle_async(mtype):
            raise proto.unexpected(mtype)


def copy_data(proto: Protocol, data: bytes | bytearray | memoryview) -> None:
    """Queue a chunk of COPY FROM STDIN data (a contiguous buffer of bytes)."""
    # Header and data go into the output buffer one after the other: a
    # CopyData message built first would copy every chunk once more.
    out = proto.out
    out += m.copy_data_header(len(data) if isinstance(data, bytes) else memoryview(data).nbytes)
    out += data


def copy_end(proto: Protocol, state: CopyState, fail: str | None = None) -> PGGen:
    """Finish COPY FROM STDIN (CopyDone, or CopyFail with a reason); wait for the outcome."""
    proto.send(m.copy_fail(fail) if fail is not None else m.COPY_DONE_MSG)
    out = yield from results(proto, None)
    if out:
        state.command_tag = out[0].command_tag
        state.rowcount = out[0].rowcount
    if len(out) > 1:
        # Statements after the COPY in the same text: they ran, as the server does.
        raise ProgrammingError("COPY can't be mixed with other statements in one query")
    return state


# --- text format ---------------------------------------------------------------

#: The characters COPY text writes backslash-escaped, as the server's COPY TO
#: does, and their escapes.
TEXT_ESCAPES = {
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\v": "\\v",
    "\f": "\\f",
    "\r": "\\r",
}
_ESCAPE = str.maketrans(TEXT_ESCAPES)
_UNESCAPE = {escape[1]: char for char, escape in TEXT_ESCAPES.items()}


def format_text_row(values: Sequence[str | None]) -> str:
    """One row in COPY text format (values already turned into text)."""
    return "\t".join("\\N" if v is None else v.translate(_ESCAPE) for v in values) + "\n"


def _unescape(field: str) -> str:
    if "\\" not in field:
        return field
    out = []
    i = 0
    n = len(field)
    while i < n:
        ch = field[i]
        if ch != "\\" or i + 1 == n:
            out.append(ch)
            i += 1
            continue
        nxt = field[i + 1]
        if nxt in _UNESCAPE:
            out.append(_UNESCAPE[nxt])
            i += 2
        elif nxt == "x" and i + 2 < n and field[i + 2] in "0123456789abcdefABCDEF":
            j = i + 2
            while j < n and j < i + 4 and field[j] in "0123456789abcdefABCDEF":
                j += 1
            out.append(chr(int(field[i + 2 : j], 16)))
            i = j
        elif nxt in "01234567":
            j = i + 1
            while j < n and j < i + 4 and field[j] in "01234567":
                j += 1
            out.append(chr(int(field[i + 1 : j], 8)))
            i = j
        else:
            out.append(nxt)
            i += 2
    return "".join(out)


def parse_text_row(line: str) -> list[str | None]:
    """The fields of one COPY text-format line (without its newline)."""
    return [None if f == "\\N" else _unescape(f) for f in line.split("\t")]


# --- binary format ---------------------------------------------------------------


def format_binary_row(values: Sequence[bytes | None]) -> bytes:
    """One row in COPY binary format (values already dumped in binary)."""
    parts = [_i16.pack(len(values))]
    for v in values:
        if v is None:
            parts.append(b"\xff\xff\xff\xff")
        else:
            parts.append(_i32.pack(len(v)))
            parts.append(v)
    return b"".join(parts)


def parse_binary_rows(
    data: bytes, row_sink: Callable[[list[bytes | None]], Any]
) -> tuple[int, bool]:
    """Parse complete binary rows from ``data``; return (bytes consumed, trailer seen).

    The file header must have been removed.
    """
    pos = 0
    size = len(data)
    while size - pos >= 2:
        (count,) = _i16.unpack_from(data, pos)
        if count == -1:
            return pos + 2, True
        p = pos + 2
        values: list[bytes | None] = []
        for _ in range(count):
            if p + 4 > size:
                return pos, False
            (n,) = _i32.unpack_from(data, p)
            p += 4
            if n < 0:
                values.append(None)
                continue
            if p + n > size:
                return pos, False
            values.append(data[p : p + n])
            p += n
        row_sink(values)
        pos = p
    return pos, False
