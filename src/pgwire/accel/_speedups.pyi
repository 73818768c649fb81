"""Type stubs of the compiled accelerator (src/pgwire/_speedups.c)."""

from collections.abc import Callable, Sequence
from typing import Any

# Decoder codes of a column plan.
PY: int
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
NUMERIC_TEXT: int
DATE_TEXT: int
DATE_BIN: int
TS_TEXT: int
TS_BIN: int
TSTZ_TEXT: int
TSTZ_BIN: int
UUID_TEXT: int
UUID_BIN: int
TIME_TEXT: int
JSON_TEXT: int
JSONB_BIN: int

# Encoder codes of a parameter plan (bind, bind_many, CopyWriter).
ENC_PY: int
ENC_NULL: int
ENC_INT_TEXT: int
ENC_INT_BIN: int
ENC_FLOAT_TEXT: int
ENC_FLOAT8_BIN: int
ENC_UTF8: int
ENC_TS_BIN: int
ENC_TSTZ_BIN: int

def read_data_rows(
    buf: Any,
    loaders: list[Callable[[bytes], Any]],
    make_row: Callable[[list[Any]], Any],
    rows: list[Any],
) -> None:
    """Turn every complete DataRow at the front of ``buf`` into a row appended to ``rows``."""

def bind(
    portal: bytes,
    statement: bytes,
    param_formats: Sequence[int],
    values: Sequence[bytes | None],
    result_formats: Sequence[int],
) -> bytes:
    """The Bind message."""

def bind_many(
    rows: Sequence[Sequence[Any]],
    start: int,
    plan: Sequence[tuple[type, int, int, Any]],
    head: bytes,
    tail: bytes,
    after: bytes,
) -> tuple[bytes, int]:
    """Bind messages for ``rows[start:]`` while they fit ``plan``; the index of the first left."""

def count_commands(buf: Any) -> tuple[int, int]:
    """Consume the plain command answers at ``buf.pos``: (commands, rows their tags report)."""

def copy_chunks(buf: Any, limit: int) -> bytes:
    """The payloads of the complete CopyData messages at ``buf.pos``, up to ``limit`` bytes."""

def take_response(
    proto: Any,
    loaders: list[Callable[[bytes], Any]] | None,
    make_row: Callable[[list[Any]], Any],
    description: bytes | None = None,
) -> tuple[list[Any], str, int] | None:
    """The whole plain answer to one statement, if it is all in ``proto.buf``; else None."""

def setup_rows(
    fallback: Callable[..., None],
    violation: type[BaseException],
    planner: Callable[[Sequence[Callable[[bytes], Any]]], list[tuple[int, Any]]],
) -> None:
    """Set the pure-Python reader, ProtocolViolation and the column planner."""

def setup_bind(fallback: Callable[..., bytes]) -> None:
    """Set the pure-Python bind."""

def clear_plans() -> None:
    """Forget the cached column plans."""

def plan_codes(loaders: Sequence[Callable[[bytes], Any]]) -> list[int]:
    """The decoder codes chosen for these loaders."""

class CopyWriter:
    """Appends rows in COPY text or binary format to a bytearray, in C while they fit ``plan``."""

    plan: tuple[tuple[type, int, int, Any], ...] | None

    def __init__(
        self, binary: bool, out: bytearray, fallback: Callable[[Any], None], chunk: int
    ) -> None: ...
    def add_row(self, row: Any) -> bool:
        """Append one row; True once ``out`` holds a chunk."""

    def add_rows(self, rows: list[Any] | tuple[Any, ...]) -> bool:
        """Append the rows of a list or tuple; True once ``out`` holds a chunk."""
