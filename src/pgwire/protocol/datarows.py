"""Decoding DataRow messages into rows: the hot loop of every fetch.

:func:`read_data_rows` is the compiled implementation from
:mod:`pgwire.accel._speedups` when it is available (see :data:`SPEEDUPS`), else
:func:`read_data_rows_py`; both behave the same.
"""

from __future__ import annotations

from collections.abc import Callable
from struct import Struct
from typing import TYPE_CHECKING, Any

from ..accel.decode_plans import plan_columns
from ..accel.selection import speedups
from .buffer import ProtocolViolation

if TYPE_CHECKING:
    from .buffer import ReadBuffer

_unpack_i32 = Struct("!i").unpack_from
_unpack_header = Struct("!ih").unpack_from
_DATA_ROW = ord("D")


def read_data_rows_py(
    buf: ReadBuffer,
    loaders: list[Callable[[bytes], Any]],
    make_row: Callable[[list[Any]], Any],
    rows: list[Any],
) -> None:
    """Turn every complete DataRow at the front of ``buf`` into a row appended to ``rows``.

    Stops at the first message that is not a complete DataRow, leaving it in
    the buffer.  If a loader or ``make_row`` raises, the rows before it are
    kept and the buffer points at the failing message.
    """
    data = buf.data
    pos = buf.pos
    size = len(data)
    ncols = len(loaders)
    append = rows.append
    while size - pos >= 7 and data[pos] == _DATA_ROW:
        length, count = _unpack_header(data, pos + 1)
        end = pos + 1 + length
        if end > size:
            break
        if count != ncols:
            raise ProtocolViolation(f"DataRow with {count} columns where {ncols} were described")
        buf.pos = pos
        p = pos + 7
        values: list[Any] = []
        for load in loaders:
            if p + 4 > end:
                raise ProtocolViolation("DataRow length does not match its values")
            (n,) = _unpack_i32(data, p)
            p += 4
            if n < 0:
                values.append(None)
            else:
                if p + n > end:
                    raise ProtocolViolation("DataRow value runs past the message")
                values.append(load(data[p : p + n]))
                p += n
        if p != end:
            raise ProtocolViolation("DataRow length does not match its values")
        append(make_row(values))
        pos = end
    buf.pos = pos


def failing_column(buf: ReadBuffer, loaders: list[Callable[[bytes], Any]]) -> int | None:
    """The column whose loader raises on the DataRow at ``buf.pos``, or None if none does.

    Where :func:`read_data_rows` left the buffer after a loader failed; the
    row is decoded again value by value, to name the culprit in the error.
    The buffer is not moved.
    """
    data = buf.data
    pos = buf.pos
    if len(data) - pos < 7 or data[pos] != _DATA_ROW:
        return None
    length, _ = _unpack_header(data, pos + 1)
    end = min(pos + 1 + length, len(data))
    p = pos + 7
    for index, load in enumerate(loaders):
        if p + 4 > end:
            return None
        (n,) = _unpack_i32(data, p)
        p += 4
        if n < 0:
            continue
        try:
            load(data[p : p + n])
        except Exception:
            return index
        p += n
    return None


read_data_rows: Callable[
    [ReadBuffer, list[Callable[[bytes], Any]], Callable[[list[Any]], Any], list[Any]], None
] = read_data_rows_py

SPEEDUPS: bool = speedups is not None
"""Whether :func:`read_data_rows` is the compiled implementation."""

if speedups is not None:
    speedups.setup_rows(read_data_rows_py, ProtocolViolation, plan_columns)
    read_data_rows = speedups.read_data_rows

__all__ = ["SPEEDUPS", "failing_column", "read_data_rows", "read_data_rows_py"]
