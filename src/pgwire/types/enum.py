"""PostgreSQL enums <-> Python :class:`enum.Enum` members.

Unregistered, an enum value loads as the str of its label (text results) and
a Python ``Enum`` member is dumped as its name, typed "unknown" so that the
server takes it for whatever the context asks (an enum column, a text
parameter). Enums mixed with another type (``class Color(int, Enum)``,
``IntEnum``, ``StrEnum``) are dumped as that type: they are ints or strs first.

:func:`register_enum` maps a PostgreSQL enum to a Python enum both ways
(arrays included): labels load as members, members dump as labels, typed as
the PostgreSQL enum.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import Enum
from typing import TYPE_CHECKING, Any, ClassVar

from ..errors import DataError
from .adapt import AdaptContext, Dumper, Format, Loader, TypesRegistry, registry_of

if TYPE_CHECKING:
    from .typeinfo import TypeInfo

__all__ = [
    "EnumBinaryDumper",
    "EnumBinaryLoader",
    "EnumDumper",
    "EnumLoader",
    "PlainEnumDumper",
    "register_enum",
]

EnumMapping = Mapping[Any, str] | Iterable[tuple[Any, str]] | None


class PlainEnumDumper(Dumper):
    """An unregistered Enum member as the text of its name, typed "unknown"."""

    format = Format.TEXT
    oid = 0

    def __init__(self, cls: type, context: AdaptContext) -> None:
        super().__init__(cls, context)
        self._encoding = context.write_encoding

    def dump(self, obj: Any) -> bytes:
        """Encode the member's name."""
        return obj.name.encode(self._encoding)  # type: ignore[no-any-return]


class EnumLoader(Loader):
    """A registered enum in text: label -> member (subclassed per type by :func:`register_enum`)."""

    format = Format.TEXT
    #: The enum type loaded (set on the subclass).
    info: ClassVar[TypeInfo]
    #: (label, member) pairs; later pairs win (set on the subclass).
    pairs: ClassVar[tuple[tuple[str, Any], ...]]

    def __init__(self, oid: int, context: AdaptContext) -> None:
        super().__init__(oid, context)
        # Under SQL_ASCII the server sends the labels' bytes as stored: UTF-8
        # in a UTF-8 database. A label the client encoding cannot spell
        # cannot come (the server would fail to convert it).
        enc = "utf-8" if self.context.sql_ascii else self.context.encoding
        self._members: dict[bytes, Any] = {}
        for label, member in self.pairs:
            try:
                self._members[label.encode(enc)] = member
            except UnicodeEncodeError:
                pass

    def load(self, data: bytes) -> Any:
        """Return the member for the label `data`."""
        try:
            return self._members[data]
        except KeyError:
            raise DataError(
                f"no member of {self.info.enum.__name__} for the label {bytes(data)!r}"
                f" of enum {self.info.regtype!r}"
            ) from None


class EnumBinaryLoader(EnumLoader):
    """A registered enum in binary: the same bytes as in text."""

    format = Format.BINARY


class EnumDumper(Dumper):
    """Members of a registered enum as their labels (subclassed per type by register_enum)."""

    format = Format.TEXT
    #: The enum type dumped to (set on the subclass).
    info: ClassVar[TypeInfo]
    #: (member, label) pairs; later pairs win (set on the subclass).
    pairs: ClassVar[tuple[tuple[Any, str], ...]]

    def __init__(self, cls: type, context: AdaptContext) -> None:
        super().__init__(cls, context)
        self.oid = self.info.oid
        enc = context.encoding
        self._labels = {member: label.encode(enc) for member, label in self.pairs}

    def dump(self, obj: Any) -> bytes:
        """Return the label of the member `obj`."""
        try:
            return self._labels[obj]
        except KeyError:
            raise DataError(f"no label of enum {self.info.regtype!r} for {obj!r}") from None


class EnumBinaryDumper(EnumDumper):
    """Members of a registered enum in binary: the same bytes as in text."""

    format = Format.BINARY


def _pairs(mapping: EnumMapping) -> list[tuple[Any, str]]:
    if not mapping:
        return []
    if isinstance(mapping, Mapping):
        return list(mapping.items())
    return list(mapping)


def _member_name(label: str, index: int) -> str:
    # Enum refuses some names ("", "mro", _sunder_) and drops __dunder__ ones.
    if not label or label == "mro" or (len(label) > 1 and label[0] == label[-1] == "_"):
        return f"label_{index}"
    return label


def _make_enum(info: TypeInfo) -> type[Enum]:
    members = [(_member_name(label, i), label) for i, label in enumerate(info.labels)]
    return Enum(info.name, members)  # type: ignore[return-value]


def register_enum(
    info: TypeInfo,
    context: Any = None,
    enum: type[Enum] | None = None,
    *,
    mapping: EnumMapping = None,
) -> None:
    """Load the enum type described by `info` (and arrays of it) as members of `enum`.

    Each label loads as the member of that name and each member dumps as its
    name; `mapping` (member -> label, as a mapping or as pairs) overrides
    that for the members and labels it names. With no `enum`, one is made
    whose values are the labels, named after them too (``label_<i>`` where a
    label cannot name a member: ``""``, ``"mro"``, ``"_x_"``); the enum used is
    kept as ``info.enum``. A label with no member raises DataError when it is
    loaded.
    `context` is a connection, a cursor, an AdaptContext or a TypesRegistry
    (None: every connection).
    """
    if info is None:
        raise TypeError("no type info given: was the enum type found?")
    if info.typtype != "e":
        raise TypeError(f"{info.name!r} is not an enum type")
    overrides = _pairs(mapping)
    if enum is None:
        # The enum made here holds the labels as values (its names may differ).
        py_enum = _make_enum(info)
        load_pairs = [(member.value, member) for member in py_enum]
        dump_pairs = [(member, member.value) for member in py_enum]
    else:
        py_enum = enum
        members = py_enum.__members__
        load_pairs = [(label, members[label]) for label in info.labels if label in members]
        dump_pairs = [(member, member.name) for member in py_enum]
    info.enum = py_enum
    load_pairs += [(label, member) for member, label in overrides]
    dump_pairs += overrides
    loader_attrs = {"info": info, "pairs": tuple(load_pairs)}
    dumper_attrs = {"info": info, "pairs": tuple(dump_pairs)}
    name = py_enum.__name__
    reg = registry_of(context)
    reg.add_type(info)
    reg.register_loader(info.oid, type(f"{name}BinaryLoader", (EnumBinaryLoader,), loader_attrs))
    reg.register_loader(info.oid, type(f"{name}Loader", (EnumLoader,), loader_attrs))
    reg.register_dumper(py_enum, type(f"{name}BinaryDumper", (EnumBinaryDumper,), dumper_attrs))
    reg.register_dumper(py_enum, type(f"{name}Dumper", (EnumDumper,), dumper_attrs))
    if info.array_oid:
        reg.register_array(info.array_oid, info.oid, info.delimiter)


def register_default_adapters(registry: TypesRegistry) -> None:
    """Dump unregistered Enum members by name on `registry`."""
    registry.register_dumper(Enum, PlainEnumDumper)
