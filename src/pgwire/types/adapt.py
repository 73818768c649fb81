"""The adaptation machinery: formats, session context, registries, the Transformer.

A :class:`Loader` turns the bytes of one result value into a Python object; a
:class:`Dumper` turns a Python object into the bytes of a query parameter.
Both are registered on a :class:`TypesRegistry` (loaders by type OID, dumpers
by Python class) for one :class:`Format`. Registries chain: a connection's
registry is a child of :data:`default_registry`, a cursor may add its own child.
A :class:`Transformer` picks loaders once per result and dumps parameters.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timezone, tzinfo
from enum import Enum, IntEnum
from functools import partial
from typing import Any, ClassVar

from ..accel.decode_plans import decoded_in_c, is_utf8
from ..accel.encode_plans import use_upgrade_check
from ..charsets import python_encoding
from ..errors import DataError, ProgrammingError
from . import oids as _oids
from ._tz import resolve_timezone
from .literal import dumped_literal

__all__ = [
    "PyFormat",
    "AdaptContext",
    "Dumper",
    "Format",
    "Loader",
    "Transformer",
    "TypesRegistry",
    "AdaptersMap",
    "decode_error",
    "default_registry",
    "python_encoding",
    "registry_of",
]

DumperKey = type | str


class Format(IntEnum):
    """The wire format of a value: 0 = text, 1 = binary (as in the protocol)."""

    TEXT = 0
    BINARY = 1


class PyFormat(str, Enum):
    """The format a placeholder asks for: ``%s`` (AUTO), ``%t`` (TEXT), ``%b`` (BINARY).

    Its values are the placeholder letters, so it is accepted wherever a
    letter is (``sql.Placeholder(format=PyFormat.BINARY)``).
    """

    AUTO = "s"
    TEXT = "t"
    BINARY = "b"

    @classmethod
    def from_pq(cls, fmt: int) -> PyFormat:
        """The placeholder format asking for wire format `fmt` (psycopg's name)."""
        return cls.BINARY if fmt == Format.BINARY else cls.TEXT

    @classmethod
    def as_pq(cls, fmt: PyFormat) -> Format:
        """The wire format placeholder format `fmt` asks for; AUTO has none (ValueError)."""
        if fmt is cls.AUTO:
            raise ValueError("PyFormat.AUTO asks for no particular wire format")
        return Format.BINARY if fmt is cls.BINARY else Format.TEXT


#: The wire format a placeholder's format asks for (None: the dumper's preferred one).
_WIRE_FORMAT: dict[PyFormat, Format | None] = {
    PyFormat.AUTO: None,
    PyFormat.TEXT: Format.TEXT,
    PyFormat.BINARY: Format.BINARY,
}

# Python's spellings of UTF-8, as codecs.lookup() and users write it.
_UTF8_NAMES = frozenset(["utf-8", "utf8", "utf_8"])


class AdaptContext:
    """Session facts adaptation needs; one per connection, updated from ParameterStatus.

    Every :meth:`update_parameter` bumps :attr:`generation`, so adapters chosen
    from older facts (a Transformer's cached loaders) are picked anew.
    """

    registry: TypesRegistry
    #: Python codec name of the session's client_encoding.
    encoding: str
    #: The session TimeZone; timestamptz values are returned in it.
    timezone: tzinfo
    #: Raw DateStyle (e.g. ``"ISO, MDY"``).
    datestyle: str
    #: Raw IntervalStyle (e.g. ``"postgres"``).
    intervalstyle: str
    #: Whether backslashes in ordinary string literals are literal.
    standard_conforming_strings: bool
    #: Every parameter reported so far, as given.
    parameters: dict[str, str]
    #: Bumped on every change of a session fact.
    generation: int

    def __init__(self, registry: TypesRegistry | None = None) -> None:
        """Create a context using `registry`, or a new child of the default registry."""
        self.registry = registry if registry is not None else TypesRegistry(default_registry)
        self.encoding = "utf-8"
        self.timezone = timezone.utc
        self.datestyle = "ISO, MDY"
        self.intervalstyle = "postgres"
        self.standard_conforming_strings = True
        self.parameters = {}
        self.generation = 0
        self._parent: AdaptContext | None = None
        self._parent_generation = 0

    @property
    def sql_ascii(self) -> bool:
        """Whether the client encoding is SQL_ASCII (Python's ``ascii``).

        Bytes above 127 then stand for no known character: text values load
        as ``bytes``, undecoded, as psycopg 3 returns them.
        """
        return self.encoding == "ascii"

    @property
    def write_encoding(self) -> str:
        """The codec str values are written with: the client encoding, UTF-8 under SQL_ASCII.

        SQL_ASCII takes any byte as it is, so text is sent as UTF-8 rather
        than refused beyond ASCII (as psycopg 3 does).
        """
        return "utf-8" if self.encoding == "ascii" else self.encoding

    def update_parameter(self, name: str, value: str) -> None:
        """Record one ParameterStatus (``TimeZone``, ``client_encoding``, ``DateStyle``...)."""
        self.parameters[name] = value
        key = name.lower()
        if key == "timezone":
            self.timezone = resolve_timezone(value)
        elif key == "client_encoding":
            self.encoding = python_encoding(value)
        elif key == "datestyle":
            self.datestyle = value
        elif key == "intervalstyle":
            self.intervalstyle = value
        elif key == "standard_conforming_strings":
            self.standard_conforming_strings = value.strip().lower() == "on"
        self.generation += 1

    def with_registry(self, registry: TypesRegistry) -> AdaptContext:
        """Return a context with the same session facts and another registry."""
        child = AdaptContext(registry)
        child._parent = self
        child._sync()
        return child

    def _sync(self) -> None:
        # Copy the parent's facts; cheap, done only when the parent changed.
        p = self._parent
        if p is None:
            return
        self.encoding = p.encoding
        self.timezone = p.timezone
        self.datestyle = p.datestyle
        self.intervalstyle = p.intervalstyle
        self.standard_conforming_strings = p.standard_conforming_strings
        self.parameters = dict(p.parameters)
        self._parent_generation = p.generation
        self.generation += 1


class Loader:
    """Turns the bytes of one value of one column into a Python object.

    Subclasses set :attr:`format` and implement :meth:`load`. A loader is
    created once per column of a result (or less often), so work that depends
    only on the OID or the session goes in ``__init__``.
    """

    format: ClassVar[Format] = Format.TEXT
    #: True for text loaders reading the ISO DateStyle only, or much faster
    #: than the others: results of the type are then asked in binary when
    #: the session uses another style.
    datestyle_sensitive: ClassVar[bool] = False

    def __init__(self, oid: int, context: AdaptContext) -> None:
        """Prepare to load values of type `oid` in `context`.

        `context` may also be a connection or a cursor (its context), or None
        for the defaults.
        """
        self.oid = oid
        self.context = context if type(context) is AdaptContext else adapt_context_of(context)

    def load(self, data: bytes) -> Any:
        """Return the Python object for `data` (never called for NULL)."""
        raise NotImplementedError


class Dumper:
    """Turns a Python object into the bytes of a parameter.

    Subclasses set :attr:`format` and :attr:`oid` and implement :meth:`dump`.
    Dumpers whose type depends on the value (int size, list element type)
    override :meth:`upgrade` to return a more specific dumper.
    """

    format: ClassVar[Format] = Format.TEXT
    #: Type OID sent to the server; 0 lets the server infer it.
    oid: int = 0

    def __init__(self, cls: type, context: Any = None) -> None:
        """Prepare to dump objects of class `cls` in `context` (None: the defaults).

        `context` is an AdaptContext, or a connection or cursor (its context).
        """
        self.cls = cls
        self.context = context if type(context) is AdaptContext else adapt_context_of(context)

    def dump(self, obj: Any) -> bytes:
        """Return the wire representation of `obj` in :attr:`format`."""
        raise NotImplementedError

    def quote(self, obj: Any) -> bytes:
        """`obj` as an SQL literal made by this dumper (psycopg's ``Dumper.quote``).

        Spelled as :func:`pgwire.sql.quote` spells it: numbers plainly,
        booleans as ``true``/``false``, anything else a string constant
        (``E'...'`` when it holds backslashes) cast to the dumper's type.
        """
        ctx = self.context
        return dumped_literal(self, obj, ctx.encoding, ctx.registry).encode(ctx.encoding)

    def upgrade(self, obj: Any, format: Format) -> Dumper:
        """Return the dumper to use for this very value in `format` (default: self)."""
        return self

    def upgrade_auto(self, obj: Any) -> Dumper:
        """Like :meth:`upgrade` when the caller left the format to the dumper."""
        return self.upgrade(obj, self.format)


_STANDALONE: list[AdaptContext] = []


def _standalone_context() -> AdaptContext:
    """The context of dumpers made without one: the defaults (UTF-8, UTC...)."""
    if not _STANDALONE:
        _STANDALONE.append(AdaptContext())
    return _STANDALONE[0]


def adapt_context_of(context: Any) -> AdaptContext:
    """The AdaptContext of `context`: itself, a connection's or a cursor's; None: the defaults.

    psycopg accepts a connection or a cursor wherever an adaptation context
    is asked for; so does pgwire.
    """
    if context is None:
        return _standalone_context()
    if isinstance(context, AdaptContext):
        return context
    for owner in (context, getattr(context, "connection", None)):
        found = getattr(owner, "adapt_context", None)
        if isinstance(found, AdaptContext):
            return found
    if isinstance(context, TypesRegistry):
        return AdaptContext(context)
    raise TypeError(
        "context must be None, an AdaptContext, or an object with an adapt_context "
        f"attribute (a connection or a cursor), got {type(context).__name__}"
    )


class ChoosingDumper(Dumper):
    """A dumper that picks, for each value, the dumper that really dumps it.

    Containers (lists, ranges, multiranges) are dumped as their elements call
    for; subclasses say how in :meth:`_choose`.
    """

    def _choose(self, obj: Any, format: Format | None) -> Dumper:
        """The dumper for `obj` in `format` (None: the elements' preferred one)."""
        raise NotImplementedError

    def upgrade(self, obj: Any, format: Format) -> Dumper:
        """The dumper for this value's elements in `format`."""
        return self._choose(obj, format)

    def upgrade_auto(self, obj: Any) -> Dumper:
        """The dumper for this value's elements in their preferred format.

        A subclass that overrides :meth:`upgrade` (to adjust the dumper chosen,
        as psycopg's dumpers do) has it called here too, in its own format.
        """
        if type(self).upgrade is not ChoosingDumper.upgrade:
            return self.upgrade(obj, self.format)
        return self._choose(obj, None)

    def dump(self, obj: Any) -> bytes:
        """Dump with the dumper the elements call for."""
        return self.upgrade(obj, self.format).dump(obj)


class TypedDumpers:
    """The text and binary dumpers of each typed class of a container (psycopg's names).

    psycopg has one pair per builtin range and multirange type
    (``Int4RangeDumper``, ``DateMultirangeBinaryDumper``...), named after
    the typed class: registered for it, and usable for any value of the
    container's class. ``text`` and ``binary`` are the container's dumpers.
    """

    def __init__(self, text: type[Dumper], binary: type[Dumper]) -> None:
        self._bases = (text, binary)
        self._made: dict[type, tuple[type[Dumper], type[Dumper]]] = {}

    def make(self, typed: type, oid: int) -> tuple[type[Any], type[Any]]:
        """The pair for ``typed``, sending ``oid``: ``<Typed>Dumper``, ``<Typed>BinaryDumper``."""

        def subclass(base: type[Dumper], suffix: str) -> type[Dumper]:
            name = typed.__name__ + suffix
            doc = f"{typed.__name__} values (or any) sent as type OID {oid}, a {base.__name__}."
            attrs = {"oid": oid, "__module__": typed.__module__, "__doc__": doc}
            return type(name, (base,), attrs)

        pair = self._made[typed] = (
            subclass(self._bases[0], "Dumper"),
            subclass(self._bases[1], "BinaryDumper"),
        )
        return pair

    def register(self, registry: TypesRegistry) -> None:
        """Register each pair for its typed class."""
        for typed, pair in self._made.items():
            for dumper in pair:
                registry.register_dumper(typed, dumper)


def _never_upgrades(dumper: Dumper) -> bool:
    """True if the dumper's choice for a value never depends on the value."""
    cls = type(dumper)
    return cls.upgrade is Dumper.upgrade and cls.upgrade_auto is Dumper.upgrade_auto


# The compiled encoders call a dumper's dump only where it never picks another.
use_upgrade_check(_never_upgrades)


def _in_utf8(adapter: Any) -> bool:
    """Whether a loader's or dumper's text is UTF-8 (what the compiled text codecs handle)."""
    return is_utf8(adapter._encoding)


def _qualname(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def type_name(cls: type) -> str:
    """The name of a class for messages: ``int``, ``decimal.Decimal``, ``app.models.Point``."""
    if cls.__module__ == "builtins":
        return cls.__qualname__
    return _qualname(cls)


class TypesRegistry:
    """Loaders by type OID and dumpers by Python class, per format.

    Lookups fall back to the `parent` registry. The last dumper registered for
    a class (in either format) is that class's preferred one; likewise the
    format of the last loader registered for an OID is the preferred result
    format for it.
    """

    # Bumped on any registration in any registry, so cached choices get rechecked.
    _generation: ClassVar[int] = 0

    def __init__(self, parent: TypesRegistry | None = None) -> None:
        """Create an empty registry falling back to `parent`."""
        self.parent = parent
        self._loader_tables: tuple[dict[int, type[Loader]], dict[int, type[Loader]]] = ({}, {})
        self._loader_pref: dict[int, Format] = {}
        self._dumper_tables: tuple[dict[DumperKey, type[Dumper]], dict[DumperKey, type[Dumper]]] = (
            {},
            {},
        )
        self._dumper_pref: dict[DumperKey, type[Dumper]] = {}
        # Per format, the dumper last registered for each OID, with a class or
        # without one (``register_dumper(None, ...)``): get_dumper_by_oid().
        self._by_oid: tuple[dict[int, type[Dumper]], dict[int, type[Dumper]]] = ({}, {})
        self._has_str_keys = False
        self._range_subtype: dict[int, int] = {}
        self._subtype_range: dict[int, int] = {}
        self._array_element: dict[int, int] = {}
        self._element_array: dict[int, int] = {}
        self._delimiter: dict[int, bytes] = {}
        self._multirange_range: dict[int, int] = {}
        self._range_multirange: dict[int, int] = {}
        # Types from the catalog (TypeInfo) by OID, their array types by array OID.
        self._type_infos: dict[int, Any] = {}
        self._array_type_infos: dict[int, Any] = {}

    def copy(self) -> TypesRegistry:
        """A registry with this one's registrations and parent, changed independently.

        What is registered on either afterwards does not show in the other
        (registrations on a common parent still show in both).
        """
        twin = TypesRegistry(self.parent)
        for name, value in vars(self).items():
            if name == "parent":
                continue
            if isinstance(value, tuple):
                value = tuple(dict(table) for table in value)
            elif isinstance(value, dict):
                value = dict(value)
            setattr(twin, name, value)
        return twin

    @property
    def adapters(self) -> TypesRegistry:
        """The registry itself: a registry is an adaptation context, as a connection is."""
        return self

    # psycopg's AdaptersMap keeps its tables in `_dumpers`, `_dumpers_by_oid`
    # and `_loaders`; code written for psycopg (its test helpers among it)
    # lists the adaptable classes from them, and saves and restores the
    # global map through them. These are views of this registry in that
    # shape, its parents' registrations included; assigning one replaces
    # this registry's own tables.

    def _merged(self, pick: Callable[[TypesRegistry], dict[Any, Any]]) -> dict[Any, Any]:
        merged: dict[Any, Any] = {}
        for reg in reversed(self._chain()):
            merged.update(pick(reg))
        return merged

    @property
    def _dumpers(self) -> dict[PyFormat, dict[DumperKey, type[Dumper]]]:
        """psycopg's ``_dumpers``: the dumper classes by class, per placeholder format."""
        return {
            PyFormat.AUTO: self._merged(lambda reg: reg._dumper_pref),
            PyFormat.TEXT: self._merged(partial(_dumper_table, fmt=Format.TEXT)),
            PyFormat.BINARY: self._merged(partial(_dumper_table, fmt=Format.BINARY)),
        }

    @_dumpers.setter
    def _dumpers(self, tables: dict[PyFormat, dict[DumperKey, type[Dumper]]]) -> None:
        self._dumper_pref = dict(tables[PyFormat.AUTO])
        self._dumper_tables = (dict(tables[PyFormat.TEXT]), dict(tables[PyFormat.BINARY]))
        self._has_str_keys = any(isinstance(k, str) for k in self._dumper_pref)
        self._bump()

    @property
    def _dumpers_by_oid(self) -> list[dict[int, type[Dumper]]]:
        """psycopg's ``_dumpers_by_oid``: per wire format, the dumper last registered per OID."""
        return [self._merged(partial(_by_oid_table, fmt=fmt)) for fmt in Format]

    @_dumpers_by_oid.setter
    def _dumpers_by_oid(self, tables: list[dict[int, type[Dumper]]]) -> None:
        self._by_oid = (dict(tables[Format.TEXT]), dict(tables[Format.BINARY]))
        self._bump()

    @property
    def _loaders(self) -> list[dict[int, type[Loader]]]:
        """psycopg's ``_loaders``: the loader classes by OID, per wire format."""
        return [self._merged(partial(_loader_table, fmt=fmt)) for fmt in Format]

    @_loaders.setter
    def _loaders(self, tables: list[dict[int, type[Loader]]]) -> None:
        self._loader_tables = (dict(tables[Format.TEXT]), dict(tables[Format.BINARY]))
        self._bump()

    @property
    def types(self) -> Any:
        """The types known here by name or OID: ``registry.types["tsrange"].oid`` (as psycopg's).

        The builtin types, and those whose TypeInfo was registered in this
        registry or its parents (``register_hstore``, ``info.register()``...).
        """
        from .typeinfo import RegistryTypes

        return RegistryTypes(self)

    def add_type(self, info: Any) -> None:
        """Remember a TypeInfo from the catalog: its name spells casts of its OID."""
        if info.oid:
            self._type_infos[info.oid] = info
        if info.array_oid:
            self._array_type_infos[info.array_oid] = info

    def type_info(self, oid: int) -> Any:
        """The TypeInfo registered for `oid`, or None."""
        for reg in self._chain():
            info = reg._type_infos.get(oid)
            if info is not None:
                return info
        return None

    def sql_type_name(self, oid: int) -> str | None:
        """How SQL spells a registered (non-builtin) type or its array type; None if unknown."""
        for reg in self._chain():
            info = reg._type_infos.get(oid)
            if info is not None:
                return str(info.regtype or info.name)
            info = reg._array_type_infos.get(oid)
            if info is not None:
                return str(info.regtype or info.name) + "[]"
        return None

    def _chain(self) -> list[TypesRegistry]:
        chain = []
        reg: TypesRegistry | None = self
        while reg is not None:
            chain.append(reg)
            reg = reg.parent
        return chain

    @staticmethod
    def _bump() -> None:
        TypesRegistry._generation += 1

    # -- loaders --------------------------------------------------------------

    def register_loader(self, oid: int | str, loader: type[Loader]) -> None:
        """Use `loader` for values of type `oid` (an OID, or a builtin type name)."""
        if isinstance(oid, str):
            oid = _oids.lookup(oid)
        fmt = Format(loader.format)
        self._loader_tables[fmt][oid] = loader
        self._loader_pref[oid] = fmt
        self._bump()

    def get_loader(self, oid: int, format: Format) -> type[Loader] | None:
        """Return the loader class for `oid` in `format`, or None."""
        reg: TypesRegistry | None = self
        while reg is not None:
            cls = reg._loader_tables[format].get(oid)
            if cls is not None:
                return cls
            reg = reg.parent
        return None

    def preferred_format(self, oid: int) -> Format | None:
        """Return the format of the last loader registered for `oid` (None if none).

        An array type registered with :meth:`register_array` (a range type with
        :meth:`register_range`, a multirange with :meth:`register_multirange`)
        prefers what its element type (subtype, range type) prefers.
        """
        for reg in self._chain():
            fmt = reg._loader_pref.get(oid)
            if fmt is not None:
                return fmt
            elem = reg._array_element.get(oid)
            if elem is None:
                elem = reg._range_subtype.get(oid)
            if elem is None:
                elem = reg._multirange_range.get(oid)
            if elem is not None:
                return self.preferred_format(elem)
        return None

    # -- arrays ---------------------------------------------------------------

    def register_array(
        self, array_oid: int, element_oid: int, delimiter: str = ",", *, dump: bool = True
    ) -> None:
        """Declare `array_oid` as the array type of `element_oid` and load it as a list.

        The array's loaders follow the element's: whichever loader is
        registered for `element_oid` is used for each element. With `dump`
        false, lists of `element_oid` values are not dumped as `array_oid`
        (for a domain over an array type, say).
        """
        from .array import ArrayBinaryLoader, ArrayLoader

        self._array_element[array_oid] = element_oid
        if dump:
            self._element_array[element_oid] = array_oid
        self._delimiter[array_oid] = delimiter.encode()
        self._loader_tables[Format.TEXT][array_oid] = ArrayLoader
        self._loader_tables[Format.BINARY][array_oid] = ArrayBinaryLoader
        self._loader_pref.pop(array_oid, None)
        self._bump()

    def array_element(self, array_oid: int) -> int | None:
        """Return the element OID of an array type, or None if not an array type."""
        reg: TypesRegistry | None = self
        while reg is not None:
            oid = reg._array_element.get(array_oid)
            if oid is not None:
                return oid
            reg = reg.parent
        return None

    def array_of(self, element_oid: int) -> int:
        """Return the OID of the array type of `element_oid` (0 if unknown)."""
        reg: TypesRegistry | None = self
        while reg is not None:
            oid = reg._element_array.get(element_oid)
            if oid is not None:
                return oid
            reg = reg.parent
        return 0

    def array_delimiter(self, array_oid: int) -> bytes:
        """Return the element delimiter of an array type (``b","`` but for box)."""
        reg: TypesRegistry | None = self
        while reg is not None:
            d = reg._delimiter.get(array_oid)
            if d is not None:
                return d
            reg = reg.parent
        return b","

    # -- ranges ---------------------------------------------------------------

    def register_range(self, range_oid: int, subtype_oid: int, *, dump: bool = True) -> None:
        """Declare `range_oid` as a range of `subtype_oid` and load it as a Range.

        With `dump` true (the default) Range objects whose bounds dump as
        `subtype_oid` are sent as `range_oid` from now on.
        """
        from .range import RangeBinaryLoader, RangeLoader

        self._range_subtype[range_oid] = subtype_oid
        if dump:
            self._subtype_range[subtype_oid] = range_oid
        self._loader_tables[Format.TEXT][range_oid] = RangeLoader
        self._loader_tables[Format.BINARY][range_oid] = RangeBinaryLoader
        self._loader_pref.pop(range_oid, None)
        self._bump()

    def range_subtype(self, range_oid: int) -> int | None:
        """Return the subtype OID of a range type, or None if not a range type."""
        reg: TypesRegistry | None = self
        while reg is not None:
            oid = reg._range_subtype.get(range_oid)
            if oid is not None:
                return oid
            reg = reg.parent
        return None

    def range_of(self, subtype_oid: int) -> int:
        """Return the OID of the range type over `subtype_oid` (0 if unknown)."""
        reg: TypesRegistry | None = self
        while reg is not None:
            oid = reg._subtype_range.get(subtype_oid)
            if oid is not None:
                return oid
            reg = reg.parent
        return 0

    # -- multiranges ----------------------------------------------------------

    def register_multirange(
        self, multirange_oid: int, range_oid: int, *, dump: bool = True
    ) -> None:
        """Declare `multirange_oid` as the multirange of `range_oid`; load it as a Multirange.

        Each range goes through whatever loads `range_oid` (declare that one
        with :meth:`register_range`). With `dump` true (the default)
        Multirange objects of `range_oid` ranges are sent as `multirange_oid`.
        """
        from .multirange import MultirangeBinaryLoader, MultirangeLoader

        self._multirange_range[multirange_oid] = range_oid
        if dump:
            self._range_multirange[range_oid] = multirange_oid
        self._loader_tables[Format.TEXT][multirange_oid] = MultirangeLoader
        self._loader_tables[Format.BINARY][multirange_oid] = MultirangeBinaryLoader
        self._loader_pref.pop(multirange_oid, None)
        self._bump()

    def multirange_range(self, multirange_oid: int) -> int | None:
        """Return the range OID of a multirange type, or None if not a multirange type."""
        reg: TypesRegistry | None = self
        while reg is not None:
            oid = reg._multirange_range.get(multirange_oid)
            if oid is not None:
                return oid
            reg = reg.parent
        return None

    def multirange_of(self, range_oid: int) -> int:
        """Return the OID of the multirange type of `range_oid` (0 if unknown)."""
        reg: TypesRegistry | None = self
        while reg is not None:
            oid = reg._range_multirange.get(range_oid)
            if oid is not None:
                return oid
            reg = reg.parent
        return 0

    # -- dumpers --------------------------------------------------------------

    def register_dumper(self, cls: type | str | None, dumper: type[Dumper]) -> None:
        """Use `dumper` for objects of class `cls` in the dumper's format.

        `cls` may be given as ``"module.QualName"`` to avoid importing it. The
        last dumper registered for a class becomes its preferred one. With
        `cls` None the dumper is only found by its OID (:meth:`get_dumper_by_oid`).
        """
        by_oid = self._by_oid[dumper.format]
        by_oid.pop(dumper.oid, None)
        by_oid[dumper.oid] = dumper
        if cls is not None:
            if isinstance(cls, str):
                self._has_str_keys = True
            self._dumper_tables[dumper.format][cls] = dumper
            self._dumper_pref[cls] = dumper
        self._bump()

    def get_dumper_by_oid(self, oid: int, format: Format = Format.TEXT) -> type[Dumper]:
        """Return the dumper class last registered that sends type `oid` in `format`.

        Raises ProgrammingError if no registered dumper sends that type.
        """
        fmt = Format(format)
        for reg in self._chain():
            found = reg._by_oid[fmt].get(oid)
            if found is not None:
                return found
        raise ProgrammingError(f"no dumper registered for type oid {oid} in {fmt.name} format")

    def _find_dumper(self, klass: type, fmt: Format | None) -> type[Dumper] | None:
        name: str | None = None
        reg: TypesRegistry | None = self
        while reg is not None:
            table = reg._dumper_pref if fmt is None else reg._dumper_tables[fmt]
            found = table.get(klass)
            if found is None and reg._has_str_keys:
                if name is None:
                    name = _qualname(klass)
                found = table.get(name)
            if found is not None:
                return found
            reg = reg.parent
        return None

    def get_dumper(
        self, cls: type, format: Format | PyFormat | str | None
    ) -> type[Dumper] | None:
        """Return the dumper class for `cls` in `format` following the MRO, or None.

        `format` None (or ``PyFormat.AUTO``) asks for the class's preferred
        dumper; a PyFormat (or its letter, ``"s"``, ``"t"``, ``"b"``) is taken
        as psycopg's AdaptersMap takes it.
        """
        if isinstance(format, str):
            format = PyFormat(format)  # a letter other than s, t, b: ValueError
        if isinstance(format, PyFormat):
            format = None if format is PyFormat.AUTO else PyFormat.as_pq(format)
        for klass in cls.__mro__:
            found = self._find_dumper(klass, format)
            if found is not None:
                return found
        return None


def _by_oid_table(reg: TypesRegistry, fmt: Format) -> dict[int, type[Dumper]]:
    return reg._by_oid[fmt]


def _dumper_table(reg: TypesRegistry, fmt: Format) -> dict[DumperKey, type[Dumper]]:
    return reg._dumper_tables[fmt]


def _loader_table(reg: TypesRegistry, fmt: Format) -> dict[int, type[Loader]]:
    return reg._loader_tables[fmt]


default_registry = TypesRegistry()
"""The registry holding every builtin adapter; connections use a child of it."""


def registry_of(context: Any) -> TypesRegistry:
    """Find the registry of `context`.

    `context` may be a TypesRegistry, an AdaptContext, an object with an
    ``adapters`` registry (a connection, a cursor) or a ``registry`` one (a
    Transformer); None means :data:`default_registry` (every connection).
    """
    if context is None:
        return default_registry
    if isinstance(context, TypesRegistry):
        return context
    if isinstance(context, AdaptContext):
        return context.registry
    reg = getattr(context, "adapters", None)
    if isinstance(reg, TypesRegistry):
        return reg
    reg = getattr(context, "registry", None)
    if isinstance(reg, TypesRegistry):
        return reg
    raise TypeError(f"not an adaptation context: {type(context).__name__}")


def decode_error(ex: UnicodeDecodeError) -> DataError:
    """The DataError to raise for a value the client encoding cannot decode.

    `ex` is the codec's error: it names the encoding, the bytes and where.
    """
    obj = bytes(ex.object)
    more = "..." if len(obj) > 40 else ""
    return DataError(
        f"cannot decode a value in the client encoding ({ex.encoding}): {ex.reason}"
        f" at byte {ex.start} ({obj[ex.start : ex.end]!r}) of {obj[:40]!r}{more}"
    )


class DecodingLoader(Loader):
    """Values read as the text they are: str in the session encoding (bytes under SQL_ASCII)."""

    format = Format.TEXT

    def __init__(self, oid: int, context: AdaptContext) -> None:
        super().__init__(oid, context)
        self._encoding = self.context.encoding
        if type(self).load is DecodingLoader.load:
            # Direct builtins: no Python frame per value, and the compiled row
            # reader recognises them (subclasses overriding load keep their
            # own). The server sends only valid UTF-8 to a UTF-8 client (it
            # checks even the bytes of SQL_ASCII databases).
            if self.context.sql_ascii:
                self.load = bytes  # type: ignore[method-assign,assignment]
            elif self._encoding.lower() in _UTF8_NAMES:
                self.load = bytes.decode  # type: ignore[method-assign,assignment]

    def load(self, data: bytes) -> str | bytes:
        """Decode `data`; bytes the encoding cannot decode raise DataError."""
        try:
            return data.decode(self._encoding)
        except UnicodeDecodeError as ex:
            raise decode_error(ex) from None


@decoded_in_c("UTF8", when=_in_utf8)
class _UnknownTextLoader(DecodingLoader):
    """Values of types nobody registered, in text: decoded str (bytes under SQL_ASCII)."""


@decoded_in_c("BYTES")
class _UnknownBinaryLoader(Loader):
    """Values of types nobody registered, in binary: the bytes as they came."""

    format = Format.BINARY

    def load(self, data: bytes) -> bytes:
        """Return `data` unchanged."""
        return bytes(data)


class Transformer:
    """Per cursor: picks loaders once per result and dumps parameters.

    Loader and dumper instances are cached and dropped when the session facts
    or any registry change.
    """

    def __init__(self, context: Any = None, registry: TypesRegistry | None = None) -> None:
        """Adapt in `context`, looking types up in `registry` (default: the context's).

        `context` is an AdaptContext, or a connection or cursor (its context);
        None adapts with the defaults (UTF-8, UTC, the default registry).
        """
        if type(context) is not AdaptContext:
            context = adapt_context_of(context)
        self.context = context
        self.registry = registry if registry is not None else context.registry
        self._own_context = registry is not None and registry is not context.registry
        self._ctx = context.with_registry(self.registry) if self._own_context else context
        self._stamp = (context.generation, TypesRegistry._generation)
        self._loaders: dict[tuple[int, int], Callable[[bytes], Any]] = {}
        self._dumpers: dict[tuple[type, int], Dumper] = {}
        self._static_dumpers: dict[tuple[type, None], Dumper] = {}
        # The last result's columns and their loaders: a statement run again
        # (prepared, its columns known) brings the very same list.
        self._fields_memo: tuple[Any, list[Callable[[bytes], Any]]] | None = None

    @property
    def stamp(self) -> tuple[int, int]:
        """Changes whenever the adapters this transformer picks may change."""
        stamp = self._stamp
        if stamp[0] != self.context.generation or stamp[1] != TypesRegistry._generation:
            self._check()
            stamp = self._stamp
        return stamp

    @property
    def adapt_context(self) -> AdaptContext:
        """The context handed to loaders and dumpers (uses this transformer's registry)."""
        self._check()
        return self._ctx

    def _check(self) -> None:
        stamp = (self.context.generation, TypesRegistry._generation)
        if stamp != self._stamp:
            self._stamp = stamp
            self._loaders.clear()
            self._dumpers.clear()
            self._static_dumpers.clear()
            self._fields_memo = None
            if self._own_context:
                self._ctx._sync()

    # -- results --------------------------------------------------------------

    def get_loader(self, oid: int, format: Format | int) -> Loader:
        """Return a new loader instance for `oid` in `format` (fallback for unknown OIDs)."""
        fmt = Format(format)
        cls = self.registry.get_loader(oid, fmt)
        if cls is None:
            cls = _UnknownTextLoader if fmt == Format.TEXT else _UnknownBinaryLoader
        return cls(oid, self._ctx)

    def column_loaders(
        self, oids: Sequence[int], formats: Sequence[int]
    ) -> list[Callable[[bytes], Any]]:
        """Return one load function per column of a result.

        An unknown OID loads as str in text format (decoded with the session
        encoding) and as bytes in binary format.
        """
        self._check()
        cache = self._loaders
        out = []
        for oid, fmt in zip(oids, formats, strict=True):
            key = (oid, fmt)
            fn = cache.get(key)
            if fn is None:
                fn = cache[key] = self.get_loader(oid, Format(fmt)).load
            out.append(fn)
        return out

    def fields_loaders(self, fields: Sequence[Any]) -> list[Callable[[bytes], Any]]:
        """:meth:`column_loaders` for a result's columns (objects with type_oid and format)."""
        memo = self._fields_memo
        stamp = self._stamp
        if (
            memo is not None
            and memo[0] is fields
            and stamp[0] == self.context.generation
            and stamp[1] == TypesRegistry._generation
        ):
            # The columns of the last result, nothing registered since (the
            # most frequent case: a prepared statement run again).
            return memo[1]
        self._check()
        loaders = self.column_loaders([f.type_oid for f in fields], [f.format for f in fields])
        self._fields_memo = (fields, loaders)
        return loaders

    def load_row(
        self, loaders: Sequence[Callable[[bytes], Any]], values: Sequence[bytes | None]
    ) -> tuple[Any, ...]:
        """Apply `loaders` to one row of raw values (None stays None)."""
        return tuple(None if v is None else f(v) for f, v in zip(loaders, values, strict=True))

    def preferred_result_format(self, oid: int) -> Format:
        """Return BINARY where a binary loader exists and is the cheaper one, else TEXT.

        Types whose text form follows DateStyle are asked in binary when the
        session's DateStyle is not ISO (the text loaders read ISO only).
        """
        reg = self.registry
        fmt = reg.preferred_format(oid)
        if fmt is None:
            return Format.TEXT
        has_binary = reg.get_loader(oid, Format.BINARY) is not None
        if fmt == Format.BINARY:
            return Format.BINARY if has_binary else Format.TEXT
        if has_binary and not self.context.datestyle.upper().startswith("ISO"):
            elem = reg.array_element(oid) or oid
            elem = reg.multirange_range(elem) or elem
            elem = reg.range_subtype(elem) or elem
            text_loader = reg.get_loader(elem, Format.TEXT)
            if getattr(text_loader, "datestyle_sensitive", False):
                return Format.BINARY
        return Format.TEXT

    # -- parameters -------------------------------------------------------------

    def get_dumper(self, obj: Any, format: Format | PyFormat | None = None) -> Dumper:
        """Return the dumper for this very `obj` (upgraded), `format` None = preferred.

        `format` may also be a placeholder's PyFormat (AUTO: preferred).
        Raises ProgrammingError naming the type if nobody can dump it.
        """
        if isinstance(format, PyFormat):
            format = _WIRE_FORMAT[format]
        cls = type(obj)
        key = (cls, -1 if format is None else int(format))
        dumper = self._dumpers.get(key)
        if dumper is None:
            dcls = self.registry.get_dumper(cls, format)
            if dcls is None and format is not None:
                # The other format is better than an error: the server is told which.
                dcls = self.registry.get_dumper(cls, None)
            if dcls is None:
                raise ProgrammingError(
                    f"cannot adapt type {type_name(cls)!r}: no dumper registered for it"
                    + ("" if format is None else f" in {format.name} format")
                )
            dumper = self._dumpers[key] = dcls(cls, self._ctx)
        if format is None:
            return dumper.upgrade_auto(obj)
        return dumper.upgrade(obj, format)

    def dump(
        self, obj: Any, format: Format | PyFormat | None = None
    ) -> tuple[int, int, bytes | None]:
        """Dump one parameter -> ``(oid, format, value)``; None -> ``(0, TEXT, None)``."""
        if obj is None:
            return 0, Format.TEXT, None
        self._check()
        d = self.get_dumper(obj, format)
        return d.oid, d.format, d.dump(obj)

    def dump_params(
        self, params: Sequence[Any], formats: Sequence[Format | None] | None = None
    ) -> tuple[list[int], list[int], list[bytes | None]]:
        """Dump query parameters -> ``(oids, formats, values)``.

        None -> ``(0, TEXT, None)``; a format of None lets each dumper use its
        preferred format. An object nobody can dump raises ProgrammingError
        naming its type; a str containing NUL raises DataError.
        """
        self._check()
        n = len(params)
        if formats is not None and len(formats) != n:
            raise ProgrammingError(f"got {len(formats)} formats for {n} parameters")
        oids: list[int] = []
        fmts: list[int] = []
        values: list[bytes | None] = []
        get_dumper = self.get_dumper
        # Hot path: a dumper cached for the type whose choice never depends on
        # the value (no upgrade) is used as it is, without the general lookup.
        static = self._static_dumpers
        for i, obj in enumerate(params):
            if obj is None:
                oids.append(0)
                fmts.append(Format.TEXT)
                values.append(None)
                continue
            fmt = None if formats is None else formats[i]
            d = static.get((type(obj), fmt)) if fmt is None else None
            if d is None:
                d = get_dumper(obj, fmt)
                # Only when the type's own dumper is the one used (ints, lists...
                # pick another one per value).
                if fmt is None and d is self._dumpers.get((type(obj), -1)) and _never_upgrades(d):
                    static[type(obj), None] = d
            values.append(d.dump(obj))
            oids.append(d.oid)
            fmts.append(d.format)
        return oids, fmts, values

    def param_dumpers(
        self, params: Sequence[Any], formats: Sequence[Format | None] | None = None
    ) -> list[tuple[Dumper, Dumper] | None]:
        """Per parameter, the dumper registered for its type and the one it used.

        The second one is the first after an upgrade (e.g. int2 for a small
        int); None stands for a None parameter.  :meth:`dump_params` must have
        run on the same parameters (this only looks up what it found).
        """
        self._check()
        out: list[tuple[Dumper, Dumper] | None] = []
        for i, obj in enumerate(params):
            if obj is None:
                out.append(None)
                continue
            fmt = None if formats is None else formats[i]
            used = self.get_dumper(obj, fmt)
            base = self._dumpers.get((type(obj), -1 if fmt is None else int(fmt)), used)
            out.append((base, used))
        return out


AdaptersMap = TypesRegistry
"""psycopg's name for an adapters map: ``AdaptersMap(parent)`` is ``TypesRegistry(parent)``."""
