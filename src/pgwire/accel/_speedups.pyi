"""Type stubs of the compiled accelerator (src/pgwire/accel/_speedups.c).

The C code reads and writes these attributes of Python objects by name, and
of no others:

* a read buffer (``pgwire.protocol.buffer.ReadBuffer``, given as ``buf``):
  reads ``data`` and ``pos``, writes ``pos`` (``recv_wait`` and ``recv_now``
  also read ``_chunks`` and write ``data``);
* a session (``pgwire.protocol.core.Protocol``, given to ``take_response``
  and ``known_answer`` as ``proto``): reads ``buf``, ``out`` and
  ``pending_ready``, writes ``pending_ready`` and ``transaction_status``,
  appends to ``out``, and calls ``command_completed(tag)`` (``known_answer``:
  for the tags given to ``setup_answers`` only);
* values it builds or writes: a session tzinfo's ``fromutc()``, an aware
  datetime's ``utcoffset()``, the ``int`` and ``is_safe`` slots of a new
  UUID, the ``append`` of the rows list given to ``read_data_rows``.

Renaming one of them means changing the C code too.
"""

from collections.abc import Callable, Generator, Sequence
from typing import Any, Protocol

class _ReadBuffer(Protocol):
    """What the C code uses of a ReadBuffer."""

    data: bytes
    pos: int
    _chunks: list[bytes]

class _Session(Protocol):
    """What ``take_response`` and ``known_answer`` use of a Protocol."""

    buf: _ReadBuffer
    out: bytearray
    pending_ready: int
    transaction_status: int

    def command_completed(self, tag: str) -> None: ...

_Loader = Callable[[bytes], Any]
_RowMaker = Callable[[list[Any]], Any]
_ParamPlan = tuple[type, int, int, Any]

# Decoder codes of a column plan (the extra object a plan gives with the code).
PY: int  # call the loader
INT_TEXT: int
INT2_BIN: int
INT4_BIN: int
INT8_BIN: int
OID_BIN: int
FLOAT_TEXT: int
FLOAT8_BIN: int
BOOL_TEXT: int
BOOL_BIN: int
UTF8: int
BYTES: int
BYTEA_TEXT: int
NUMERIC_TEXT: int  # extra: the Decimal class
DATE_TEXT: int
DATE_BIN: int
TS_TEXT: int
TS_BIN: int
TSTZ_TEXT: int  # extra: the session's tzinfo
TSTZ_BIN: int  # extra: the session's tzinfo
UUID_TEXT: int  # extra: (the UUID class, SafeUUID.unknown)
UUID_BIN: int  # extra: (the UUID class, SafeUUID.unknown)
TIME_TEXT: int
JSON_TEXT: int  # extra: the JSON decoder's scan_once(str, index)
JSONB_BIN: int  # extra: as JSON_TEXT, after the version byte

# Encoder codes of a parameter plan (bind_many, CopyWriter).
ENC_PY: int  # extra: the dump function, called from C
ENC_NULL: int
ENC_INT_TEXT: int  # in a Bind, the smallest of int2/int4/int8 must be the plan's OID
ENC_INT_BIN: int  # likewise in a Bind; in binary COPY, the column's width
ENC_FLOAT_TEXT: int  # COPY text only
ENC_FLOAT8_BIN: int
ENC_UTF8: int
ENC_TS_BIN: int
ENC_TSTZ_BIN: int

def setup_rows(
    fallback: Callable[[_ReadBuffer, list[_Loader], _RowMaker, list[Any]], None],
    violation: type[BaseException],
    planner: Callable[[Sequence[_Loader]], Sequence[tuple[int, Any]]],
) -> None:
    """Set the pure-Python reader, ProtocolViolation and the column planner; forget the plans."""

def setup_bind(fallback: Callable[..., bytes]) -> None:
    """Set the pure-Python bind (used for unusual input)."""

def read_data_rows(
    buf: _ReadBuffer,
    loaders: list[_Loader] | tuple[_Loader, ...],
    make_row: _RowMaker,
    rows: list[Any],
) -> None:
    """Turn every complete DataRow at ``buf.pos`` into a row appended to ``rows``."""

def take_response(
    proto: _Session,
    loaders: list[_Loader] | tuple[_Loader, ...] | None,
    make_row: _RowMaker,
    description: bytes | None = None,
) -> tuple[list[Any], str, int] | None:
    """The whole plain answer to one statement if it is all in ``proto.buf``, else None.

    Once all is decoded, ``buf.pos`` moves past the ReadyForQuery and ``proto``
    notes it (``transaction_status``, ``pending_ready`` less one), with no
    signal handled in between.
    """

def setup_answers(
    result_type: Callable[..., Any], execute_sync: bytes, noted_tags: tuple[str, ...]
) -> None:
    """What ``known_answer`` makes answers of: the Result class, the Execute + Sync messages.

    ``noted_tags``: the prefixes of the command tags ``command_completed`` looks
    at; it is called for those only.
    """

def known_answer(
    proto: _Session,
    bind: bytes,
    fields: list[Any] | None,
    loaders: list[_Loader] | tuple[_Loader, ...] | None,
    make_row: _RowMaker | None,
    rest: Callable[..., Any],
    rest_args: tuple[Any, ...],
) -> Any:
    """A prepared statement run again, stepped as a generator (``send``, ``throw``, ``close``).

    The first step queues ``bind``, Execute and Sync and counts a ReadyForQuery
    to come; the next take the answer whole as ``take_response`` does and
    return ``[Result(fields, rows, tag, rowcount)]`` after
    ``proto.command_completed(tag)``.  An answer not all there or not plain,
    or an Exception raised meanwhile, is left to the generator
    ``rest(*rest_args, exc)``.
    """

def count_commands(buf: _ReadBuffer) -> tuple[int, int]:
    """Consume the plain command answers at ``buf.pos``: (commands, rows their tags report)."""

def copy_chunks(buf: _ReadBuffer, limit: int) -> bytes:
    """The payloads of the complete CopyData messages at ``buf.pos``, up to ``limit`` bytes."""

def bind(
    portal: bytes,
    statement: bytes,
    param_formats: Sequence[int],
    values: Sequence[bytes | None],
    result_formats: Sequence[int],
) -> bytes:
    """The Bind message."""

def bind_many(
    rows: list[Sequence[Any]],
    start: int,
    plan: tuple[_ParamPlan, ...],
    head: bytes,
    tail: bytes,
    after: bytes,
) -> tuple[bytes, int]:
    """Bind messages for ``rows[start:]`` while they fit ``plan``; the index of the first left."""

def clear_plans() -> None:
    """Forget the cached column plans."""

def plan_codes(loaders: list[_Loader] | tuple[_Loader, ...]) -> list[int]:
    """The decoder codes chosen for these loaders."""

class CopyWriter:
    """Appends rows in COPY text or binary format to a bytearray, in C while they fit ``plan``."""

    plan: tuple[_ParamPlan, ...] | None
    #: What :meth:`write_row` calls once ``out`` holds a chunk (None: nothing).
    on_full: Callable[[], object] | None
    #: What :meth:`write_row` returns when it calls nothing (None by default).
    idle: object

    def __init__(
        self, binary: bool, out: bytearray, fallback: Callable[[Any], None], chunk: int
    ) -> None: ...
    def add_row(self, row: Any) -> bool:
        """Append one row; True once ``out`` holds a chunk."""

    def write_row(self, row: Any) -> Any:
        """Append one row; once ``out`` holds a chunk, return ``on_full()``, else ``idle``."""

    def add_rows(self, rows: list[Any] | tuple[Any, ...]) -> bool:
        """Append the rows of a list or tuple; True once ``out`` holds a chunk."""

def recv_wait(fd: int, buf: _ReadBuffer, size: int) -> int:
    """Wait in ``recv()`` on the blocking socket ``fd``; add what came to ``buf``.

    Returns the number of bytes read, 0 at the end of the stream, or -1
    (reading nothing) while ``buf`` collects a message larger than itself.
    Absent on platforms without ``MSG_DONTWAIT``.
    """

def recv_now(fd: int, buf: _ReadBuffer, size: int) -> int:
    """``recv_wait`` that never waits (``MSG_DONTWAIT``): -2 when nothing is there.

    Absent on platforms without ``MSG_DONTWAIT``.
    """

def send_now(fd: int, out: bytearray) -> int:
    """Send ``out`` as far as the kernel takes it now, deleting what was sent; its length.

    Absent on platforms without ``MSG_DONTWAIT``.
    """

class OperationState:
    """The state of a protocol operation being run (the base of the drivers' Operation)."""

    gen: Any
    done: bool
    result: Any
    error: BaseException | None
    interrupted: bool
    owner_ref: Any

    def __init__(self, gen: Any, owner: Any = None) -> None: ...
    def resume(self) -> bool:
        """Step ``gen`` once; True once it has finished (its result or error kept)."""

class Done:
    """An awaitable already done: awaiting it gives None at once."""

    def __await__(self) -> Generator[Any]: ...

DONE: Done
"""What an asyncio COPY's compiled ``write_row`` returns while no chunk is full."""
