"""Row factories: how a cursor turns the values of a row into a Python object.

A row factory is called with the cursor once per result (its ``description``
is set by then) and returns a function that turns a list of values into a row.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any, NamedTuple, Protocol, TypeVar

from .errors import ProgrammingError

T = TypeVar("T")
#: The type of the rows a row factory makes.
Row = TypeVar("Row", covariant=True)
TupleRow = tuple[Any, ...]
#: A connection keyword's value (typing: what connect() takes besides row_factory).
ConnectValue = str | int | float | bool | None
DictRow = dict[str, Any]


class RowMaker(Protocol[Row]):
    """Turns the values of one row into the row."""

    def __call__(self, values: Sequence[Any], /) -> Row: ...


class RowFactory(Protocol[Row]):
    """Called with a cursor, returns the function building each row."""

    def __call__(self, cursor: Any, /) -> RowMaker[Row]: ...


def _names(cursor: Any) -> list[str]:
    desc = cursor.description
    if desc is None:
        raise ProgrammingError("the result has no columns")
    return [col.name for col in desc]


def tuple_row(cursor: Any) -> RowMaker[TupleRow]:
    """Rows as tuples (the default)."""
    return tuple


def dict_row(cursor: Any) -> RowMaker[DictRow]:
    """Rows as dicts keyed by column name."""
    names = _names(cursor)

    def make_row(values: Sequence[Any]) -> dict[str, Any]:
        return dict(zip(names, values, strict=False))

    return make_row


@lru_cache(512)
def _namedtuple_class(names: tuple[str, ...]) -> type[NamedTuple]:
    return namedtuple("Row", names, rename=True)  # type: ignore[return-value]


def namedtuple_row(cursor: Any) -> RowMaker[NamedTuple]:
    """Rows as named tuples; invalid identifiers are renamed ``_0``, ``_1``..."""
    cls = _namedtuple_class(tuple(_names(cursor)))
    make = cls._make
    return make


def class_row(cls: Callable[..., T]) -> RowFactory[T]:
    """Rows as ``cls(**{column: value})``."""

    def factory(cursor: Any) -> RowMaker[T]:
        names = _names(cursor)

        def make_row(values: Sequence[Any]) -> T:
            return cls(**dict(zip(names, values, strict=False)))

        return make_row

    return factory


def args_row(func: Callable[..., T]) -> RowFactory[T]:
    """Rows as ``func(*values)``."""

    def factory(cursor: Any) -> RowMaker[T]:
        def make_row(values: Sequence[Any]) -> T:
            return func(*values)

        return make_row

    return factory


def kwargs_row(func: Callable[..., T]) -> RowFactory[T]:
    """Rows as ``func(**{column: value})``."""

    def factory(cursor: Any) -> RowMaker[T]:
        names = _names(cursor)

        def make_row(values: Sequence[Any]) -> T:
            return func(**dict(zip(names, values, strict=False)))

        return make_row

    return factory


def scalar_row(cursor: Any) -> RowMaker[Any]:
    """Rows as the value of their first column."""
    if not _names(cursor):
        raise ProgrammingError("scalar_row needs a result with at least one column")

    def make_row(values: Sequence[Any]) -> Any:
        return values[0]

    return make_row
