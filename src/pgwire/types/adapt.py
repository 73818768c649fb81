"""The adaptation machinery: formats, session context, registries, the Transformer.

A :class:`Loader` turns the bytes of one result value into a Python object; a
:class:`Dumper` turns a Python object into the bytes of a query parameter.
Both are registered on a :class:`TypesRegistry` (loaders by type OID, dumpers
by Python class) for one :class:`Format`. Registries chain: a connection's
registry is a child of :data:`default_registry`, a cursor may add its own child.
A :class:`Transformer` picks loaders once per result and dumps parameters.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import timezone, tzinfo
from enum import Enum, IntEnum
from typing import Any, ClassVar

from ..accel.decode_plans import asked_for_when_compiled, decoded_in_c, is_utf8
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
_NoneType = type(None)


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
        # The TimeZone's name and, once asked for, its tzinfo (see timezone).
        self._timezone_name = "UTC"
        self._timezone: tzinfo | None = timezone.utc
        self.datestyle = "ISO, MDY"
        self.intervalstyle = "postgres"
        self.standard_conforming_strings = True
        self.parameters = {}
        self.generation = 0
        self._parent: AdaptContext | None = None
        self._parent_generation = 0
        # The loaders of the pinned transformers reading this context's
        # registry (see _LoaderCache).
        self._shared_loaders: _LoaderCache | None = None

    @property
    def timezone(self) -> tzinfo:
        """The session TimeZone; timestamptz values are returned in it.

        Resolved when first asked for: a session that reads no timestamptz
        never loads zoneinfo nor reads the time zone database.
        """
        tz = self._timezone
        if tz is None:
            tz = self._timezone = resolve_timezone(self._timezone_name)
        return tz

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
            self._timezone_name = value
            self._timezone = None
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
        self._timezone_name = p._timezone_name
        self._timezone = p._timezone
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
        # The default registry itself, not a copy: what is registered there
        # later applies to adapters made without a context (psycopg's too).
        _STANDALONE.append(AdaptContext(default_registry))
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
    # A dumper written to psycopg's protocol only (not a Dumper) may lack upgrade_auto.
    return (
        cls.upgrade is Dumper.upgrade and getattr(cls, "upgrade_auto", None) is Dumper.upgrade_auto
    )


def upgrade_auto(dumper: Dumper, obj: Any) -> Dumper:
    """The dumper `dumper` picks for `obj` when the caller leaves the format to it.

    psycopg's dumper protocol has no ``upgrade_auto``: a dumper written to it
    alone (a class that does not inherit :class:`Dumper`) is asked
    ``upgrade(obj, PyFormat.AUTO)``, as psycopg asks it.
    """
    method = getattr(dumper, "upgrade_auto", None)
    if method is None:
        return dumper.upgrade(obj, PyFormat.AUTO)  # type: ignore[arg-type]
    return method(obj)  # type: ignore[no-any-return]


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


#: The tables of a registry, shared between a registry and its copies until
#: one of them writes to one (copy on write, as psycopg's maps do).
_COW_TABLES = (
    "_loader_tables",
    "_loader_pref",
    "_dumper_tables",
    "_dumper_pref",
    "_by_oid",
    "_range_subtype",
    "_subtype_range",
    "_array_element",
    "_element_array",
    "_delimiter",
    "_multirange_range",
    "_range_multirange",
    "_types",
)


class _Epoch:
    """The state of a registry between two writes, as the Transformers reading it see it.

    A Transformer reading a registry it does not own (a cursor reading its
    connection's) marks the current epoch ``watched``. The next write to the
    registry first leaves a copy of the registry as it was in ``snapshot``:
    those Transformers go on with it, as psycopg's cursors go on with the
    copy of the adapters taken when they were made.
    """

    __slots__ = ("watched", "snapshot")

    def __init__(self) -> None:
        self.watched = False
        self.snapshot: TypesRegistry | None = None


class TypesRegistry:
    """Loaders by type OID and dumpers by Python class, per format; types by name and OID.

    ``TypesRegistry(template)`` starts as a copy of `template` (a registry, or
    its ``types``), psycopg's ``AdaptersMap(template)``: later registrations on
    either do not show in the other (the tables are shared until one of them
    writes, so a copy is cheap). ``TypesRegistry()`` is empty. The last dumper
    registered for a class (in either format) is that class's preferred one;
    likewise the format of the last loader registered for an OID is the
    preferred result format for it.

    A registry is psycopg's ``TypesRegistry`` too (the types by name and
    OID): :meth:`add`, ``registry[key]``, :meth:`get`, :meth:`get_oid`,
    :meth:`get_by_subtype`; ``registry.types`` is the same view of it.
    """

    # Bumped on any registration in any registry, so cached choices get rechecked.
    _generation: ClassVar[int] = 0

    _loader_tables: tuple[dict[int, type[Loader]], dict[int, type[Loader]]]
    _loader_pref: dict[int, Format]
    _dumper_tables: tuple[dict[DumperKey, type[Dumper]], dict[DumperKey, type[Dumper]]]
    _dumper_pref: dict[DumperKey, type[Dumper]]
    # Per format, the dumper last registered for each OID, with a class or
    # without one (``register_dumper(None, ...)``): get_dumper_by_oid().
    _by_oid: tuple[dict[int, type[Dumper]], dict[int, type[Dumper]]]
    _range_subtype: dict[int, int]
    _subtype_range: dict[int, int]
    _array_element: dict[int, int]
    _element_array: dict[int, int]
    _delimiter: dict[int, bytes]
    _multirange_range: dict[int, int]
    _range_multirange: dict[int, int]
    # TypeInfos added (from the catalog...) by OID, array OID, name and regtype.
    _types: dict[str | int, Any]

    def __init__(self, template: Any = None) -> None:
        """Create a registry: a copy of `template` (a registry or its ``types``), or empty."""
        if template is not None and not isinstance(template, TypesRegistry):
            found = getattr(template, "_registry", None)
            if not isinstance(found, TypesRegistry):
                raise TypeError(
                    f"a registry is made from a registry, not {type(template).__name__}"
                )
            template = found
        self._live = _Epoch()
        if template is None:
            self._loader_tables = ({}, {})
            self._loader_pref = {}
            self._dumper_tables = ({}, {})
            self._dumper_pref = {}
            self._by_oid = ({}, {})
            self._range_subtype = {}
            self._subtype_range = {}
            self._array_element = {}
            self._element_array = {}
            self._delimiter = {}
            self._multirange_range = {}
            self._range_multirange = {}
            self._types = {}
            self._shared: set[str] = set()
            self._has_str_keys = False
            # Whether the builtin types are known by name and OID (the default
            # registry and its copies: psycopg's postgres.types).
            self._builtins = False
            return
        for name in _COW_TABLES:
            setattr(self, name, getattr(template, name))
        self._shared = set(_COW_TABLES)
        template._shared = set(_COW_TABLES)
        self._has_str_keys = template._has_str_keys
        self._builtins = template._builtins

    def copy(self) -> TypesRegistry:
        """A registry with this one's registrations, changed independently."""
        return TypesRegistry(self)

    def _write(self, name: str) -> Any:
        """The table `name`, this registry's own, about to be written to."""
        live = self._live
        if live.watched:
            # Transformers reading this registry go on with it as it is now.
            live.snapshot = TypesRegistry(self)
            self._live = _Epoch()
        table = getattr(self, name)
        if name in self._shared:
            if isinstance(table, tuple):
                table = tuple(dict(t) for t in table)
            else:
                table = dict(table)
            setattr(self, name, table)
            self._shared.discard(name)
        return table

    @property
    def adapters(self) -> TypesRegistry:
        """The registry itself: a registry is an adaptation context, as a connection is."""
        return self

    # psycopg's AdaptersMap keeps its tables in `_dumpers`, `_dumpers_by_oid`
    # and `_loaders`; code written for psycopg (its test helpers among it)
    # lists the adaptable classes from them, and saves, edits and restores the
    # global map through them. These are this registry's own tables (made its
    # own first: what is changed there changes this registry only), in that
    # shape; assigning one replaces them.

    @property
    def _dumpers(self) -> dict[PyFormat, dict[DumperKey, type[Dumper]]]:
        """psycopg's ``_dumpers``: the dumper classes by class, per placeholder format."""
        tables = self._write("_dumper_tables")
        self._bump()  # the caller may change them
        return {
            PyFormat.AUTO: self._write("_dumper_pref"),
            PyFormat.TEXT: tables[Format.TEXT],
            PyFormat.BINARY: tables[Format.BINARY],
        }

    @_dumpers.setter
    def _dumpers(self, tables: dict[PyFormat, dict[DumperKey, type[Dumper]]]) -> None:
        self._write("_dumper_pref")
        self._write("_dumper_tables")
        self._dumper_pref = dict(tables[PyFormat.AUTO])
        self._dumper_tables = (dict(tables[PyFormat.TEXT]), dict(tables[PyFormat.BINARY]))
        self._has_str_keys = any(isinstance(k, str) for k in self._dumper_pref)
        self._bump()

    @property
    def _dumpers_by_oid(self) -> list[dict[int, type[Dumper]]]:
        """psycopg's ``_dumpers_by_oid``: per wire format, the dumper last registered per OID."""
        tables = self._write("_by_oid")
        self._bump()
        return list(tables)

    @_dumpers_by_oid.setter
    def _dumpers_by_oid(self, tables: list[dict[int, type[Dumper]]]) -> None:
        self._write("_by_oid")
        self._by_oid = (dict(tables[Format.TEXT]), dict(tables[Format.BINARY]))
        self._bump()

    @property
    def _loaders(self) -> list[dict[int, type[Loader]]]:
        """psycopg's ``_loaders``: the loader classes by OID, per wire format."""
        tables = self._write("_loader_tables")
        self._bump()
        return list(tables)

    @_loaders.setter
    def _loaders(self, tables: list[dict[int, type[Loader]]]) -> None:
        self._write("_loader_tables")
        self._loader_tables = (dict(tables[Format.TEXT]), dict(tables[Format.BINARY]))
        self._bump()

    # -- types by name and OID (psycopg's TypesRegistry) -------------------------------

    @property
    def types(self) -> Any:
        """The types known here by name or OID: ``registry.types["tsrange"].oid`` (as psycopg's).

        The builtin types (in the default registry and the registries made
        from it), and those added here (``register_hstore``,
        ``info.register()``...).
        """
        from .typeinfo import RegistryTypes

        return RegistryTypes(self)

    def add(self, info: Any) -> None:
        """Remember a TypeInfo: found by its OID, array OID, name and regtype from now on."""
        types = self._write("_types")
        if info.oid:
            types[info.oid] = info
        if info.array_oid:
            types[info.array_oid] = info
        types[info.name] = info
        if info.regtype and info.regtype not in types:
            types[info.regtype] = info
        self._bump()

    add_type = add

    def __getitem__(self, key: str | int) -> Any:
        """The TypeInfo of the type called `key` or of OID `key` (its array's OID too).

        KeyError if this registry does not know it.
        """
        if isinstance(key, str):
            if key.endswith("[]"):
                key = key[:-2]
            info = self._types.get(key)
            if info is None and self._builtins:
                try:
                    info = _builtin_info(_oids.lookup(key))
                except KeyError:
                    pass
        elif isinstance(key, int):
            info = self._types.get(key)
            if info is None and self._builtins:
                info = _builtin_info(key)
        else:
            raise TypeError(f"the key must be an oid or a name, got {type(key).__name__}")
        if info is None:
            raise KeyError(f"couldn't find the type {key!r} in the types registry")
        return info

    def get(self, key: str | int) -> Any:
        """Like ``registry[key]``, but None for a type this registry does not know."""
        try:
            return self[key]
        except KeyError:
            return None

    def get_oid(self, name: str) -> int:
        """The OID of the type called `name` (its array type's for ``name[]``); KeyError if none."""
        info = self[name]
        return int(info.array_oid if name.endswith("[]") else info.oid)

    def get_by_subtype(self, cls: type, subtype: int | str) -> Any:
        """The `cls` info (a RangeInfo, a MultirangeInfo) whose subtype is `subtype`, or None."""
        sub = self.get(subtype)
        if sub is None:
            return None
        for info in self:
            if isinstance(info, cls) and getattr(info, "subtype_oid", 0) == sub.oid:
                return info
        return None

    def __iter__(self) -> Iterator[Any]:
        """The TypeInfos added to this registry (the builtin types are not listed)."""
        seen: set[int] = set()
        for info in self._types.values():
            if id(info) not in seen:
                seen.add(id(info))
                yield info

    def clear_types(self) -> None:
        """Forget the TypeInfos added to this registry."""
        self._write("_types").clear()
        self._bump()

    def type_info(self, oid: int) -> Any:
        """The TypeInfo added for `oid` (a type's or its array's), or None."""
        return self._types.get(oid)

    def sql_type_name(self, oid: int) -> str | None:
        """How SQL spells an added type or its array type; None if none was added."""
        info = self._types.get(oid)
        if info is None:
            return None
        name = str(info.regtype or info.name)
        return name + "[]" if oid == info.array_oid and oid != info.oid else name

    @staticmethod
    def _bump() -> None:
        TypesRegistry._generation += 1

    # -- loaders --------------------------------------------------------------

    def register_loader(self, oid: int | str, loader: type[Loader]) -> None:
        """Use `loader` for values of type `oid` (an OID, or a type name this registry knows)."""
        if isinstance(oid, str):
            info = self.get(oid)
            oid = info.oid if info is not None else _oids.lookup(oid)
        fmt = Format(loader.format)
        self._write("_loader_tables")[fmt][oid] = loader
        self._write("_loader_pref")[oid] = fmt
        self._bump()

    def get_loader(self, oid: int, format: Format) -> type[Loader] | None:
        """Return the loader class for `oid` in `format`, or None."""
        return self._loader_tables[format].get(oid)

    def preferred_format(self, oid: int) -> Format | None:
        """Return the format of the last loader registered for `oid` (None if none).

        An array type registered with :meth:`register_array` (a range type with
        :meth:`register_range`, a multirange with :meth:`register_multirange`)
        prefers what its element type (subtype, range type) prefers.
        """
        fmt = self._loader_pref.get(oid)
        if fmt is not None:
            return fmt
        elem = self._array_element.get(oid)
        if elem is None:
            elem = self._range_subtype.get(oid)
        if elem is None:
            elem = self._multirange_range.get(oid)
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

        self._write("_array_element")[array_oid] = element_oid
        if dump:
            self._write("_element_array")[element_oid] = array_oid
        self._write("_delimiter")[array_oid] = delimiter.encode()
        tables = self._write("_loader_tables")
        tables[Format.TEXT][array_oid] = ArrayLoader
        tables[Format.BINARY][array_oid] = ArrayBinaryLoader
        self._write("_loader_pref").pop(array_oid, None)
        self._bump()

    def array_element(self, array_oid: int) -> int | None:
        """Return the element OID of an array type, or None if not an array type."""
        return self._array_element.get(array_oid)

    def array_of(self, element_oid: int) -> int:
        """Return the OID of the array type of `element_oid` (0 if unknown)."""
        return self._element_array.get(element_oid, 0)

    def array_delimiter(self, array_oid: int) -> bytes:
        """Return the element delimiter of an array type (``b","`` but for box)."""
        return self._delimiter.get(array_oid, b",")

    # -- ranges ---------------------------------------------------------------

    def register_range(self, range_oid: int, subtype_oid: int, *, dump: bool = True) -> None:
        """Declare `range_oid` as a range of `subtype_oid` and load it as a Range.

        With `dump` true (the default) Range objects whose bounds dump as
        `subtype_oid` are sent as `range_oid` from now on.
        """
        from .range import RangeBinaryLoader, RangeLoader

        self._write("_range_subtype")[range_oid] = subtype_oid
        if dump:
            self._write("_subtype_range")[subtype_oid] = range_oid
        tables = self._write("_loader_tables")
        tables[Format.TEXT][range_oid] = RangeLoader
        tables[Format.BINARY][range_oid] = RangeBinaryLoader
        self._write("_loader_pref").pop(range_oid, None)
        self._bump()

    def range_subtype(self, range_oid: int) -> int | None:
        """Return the subtype OID of a range type, or None if not a range type."""
        return self._range_subtype.get(range_oid)

    def range_of(self, subtype_oid: int) -> int:
        """Return the OID of the range type over `subtype_oid` (0 if unknown)."""
        return self._subtype_range.get(subtype_oid, 0)

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

        self._write("_multirange_range")[multirange_oid] = range_oid
        if dump:
            self._write("_range_multirange")[range_oid] = multirange_oid
        tables = self._write("_loader_tables")
        tables[Format.TEXT][multirange_oid] = MultirangeLoader
        tables[Format.BINARY][multirange_oid] = MultirangeBinaryLoader
        self._write("_loader_pref").pop(multirange_oid, None)
        self._bump()

    def multirange_range(self, multirange_oid: int) -> int | None:
        """Return the range OID of a multirange type, or None if not a multirange type."""
        return self._multirange_range.get(multirange_oid)

    def multirange_of(self, range_oid: int) -> int:
        """Return the OID of the multirange type of `range_oid` (0 if unknown)."""
        return self._range_multirange.get(range_oid, 0)

    # -- dumpers --------------------------------------------------------------

    def register_dumper(self, cls: type | str | None, dumper: type[Dumper]) -> None:
        """Use `dumper` for objects of class `cls` in the dumper's format.

        `cls` may be given as ``"module.QualName"`` to avoid importing it. The
        last dumper registered for a class becomes its preferred one. With
        `cls` None the dumper is only found by its OID (:meth:`get_dumper_by_oid`).
        """
        by_oid = self._write("_by_oid")[dumper.format]
        by_oid.pop(dumper.oid, None)
        by_oid[dumper.oid] = dumper
        if cls is not None:
            if isinstance(cls, str):
                self._has_str_keys = True
            self._write("_dumper_tables")[dumper.format][cls] = dumper
            self._write("_dumper_pref")[cls] = dumper
        self._bump()

    def get_dumper_by_oid(self, oid: int, format: Format = Format.TEXT) -> type[Dumper]:
        """Return the dumper class last registered that sends type `oid` in `format`.

        Raises ProgrammingError if no registered dumper sends that type.
        """
        fmt = Format(format)
        found = self._by_oid[fmt].get(oid)
        if found is not None:
            return found
        raise ProgrammingError(f"no dumper registered for type oid {oid} in {fmt.name} format")

    def _find_dumper(self, klass: type, fmt: Format | None) -> type[Dumper] | None:
        table = self._dumper_pref if fmt is None else self._dumper_tables[fmt]
        found = table.get(klass)
        if found is None and self._has_str_keys:
            found = table.get(_qualname(klass))
        return found

    def get_dumper(self, cls: type, format: Format | PyFormat | str | None) -> type[Dumper] | None:
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


_BUILTIN_INFOS: dict[int, Any] = {}
_DELIMITERS = {oid: delim for _, oid, _, delim in _oids.BUILTIN_TYPES}


def _builtin_info(oid: int) -> Any:
    """The TypeInfo of a builtin type (of the element type for an array OID), or None.

    Made once per type: the same object whatever the registry asked.
    """
    oid = _oids.ARRAY_TO_ELEMENT.get(oid, oid)
    info = _BUILTIN_INFOS.get(oid)
    if info is None:
        name = _oids.OID_TO_NAME.get(oid)
        if name is None:
            return None
        from .typeinfo import TypeInfo

        delimiter = _DELIMITERS.get(oid, ",")
        array_oid = _oids.ELEMENT_TO_ARRAY.get(oid, 0)
        info = _BUILTIN_INFOS[oid] = TypeInfo(name, oid, array_oid, delimiter=delimiter)
    return info


default_registry = TypesRegistry()
"""The registry holding every builtin adapter; each connection starts with a copy of it."""
default_registry._builtins = True


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


class _LoaderCache:
    """Load functions by (OID, format), and the last result's columns with theirs.

    One is shared by the pinned transformers of a context that read the same
    state of its registry (``epoch``) under the same session facts and
    registrations (``stamp``): a cursor made per query (as
    ``connection.execute()`` makes them) finds the loaders the cursors before
    it made, and so the compiled row reader its column plans, which it keeps
    by loader.  Any other transformer has its own.
    """

    __slots__ = ("epoch", "stamp", "loaders", "fields_memo")

    def __init__(self, epoch: _Epoch | None, stamp: tuple[int, int]) -> None:
        self.epoch = epoch
        self.stamp = stamp
        self.loaders: dict[tuple[int, int], Callable[[bytes], Any]] = {}
        # The last result's columns and their loaders: a statement run again
        # (prepared, its columns known) brings the very same list.
        self.fields_memo: tuple[Any, list[Callable[[bytes], Any]]] | None = None


class Transformer:
    """Per cursor: picks loaders once per result and dumps parameters.

    Loader and dumper instances are cached and dropped when the session facts
    or any registry change.
    """

    def __init__(
        self, context: Any = None, registry: TypesRegistry | None = None, *, pinned: bool = False
    ) -> None:
        """Adapt in `context`, looking types up in `registry` (default: the context's).

        `context` is an AdaptContext, or a connection or cursor (its context);
        None adapts with the defaults (UTF-8, UTC, the default registry).
        With `pinned`, what is registered on the context's registry afterwards
        does not apply here: the registry is read as it is now (as a psycopg
        cursor reads the copy of its connection's adapters made with it).
        """
        if type(context) is not AdaptContext:
            context = adapt_context_of(context)
        self.context = context
        self.registry = registry if registry is not None else context.registry
        self._own_context = registry is not None and registry is not context.registry
        self._ctx = context.with_registry(self.registry) if self._own_context else context
        #: Whether the registry is this transformer's own (given to it, not its context's).
        self.owns_registry = self._own_context
        # Pinned to the context's registry, whose owner may change it: a change
        # leaves this transformer the registry as it was (see _Epoch).
        self._epoch: _Epoch | None = None
        if pinned and not self._own_context:
            epoch = self._epoch = self.registry._live
            epoch.watched = True
        self._stamp = (context.generation, TypesRegistry._generation)
        self._loader_cache = self._find_loader_cache()
        self._dumpers: dict[tuple[type, int], Dumper] = {}
        self._static_dumpers: dict[tuple[type, None], Dumper] = {}
        # The OID of the NoneType dumper, looked up when a None is first sent.
        self._none_oid: int | None = None

    def _find_loader_cache(self) -> _LoaderCache:
        """The loader cache for the registry state and stamp read now (see _LoaderCache)."""
        epoch = self._epoch
        if epoch is None or self._own_context:
            return _LoaderCache(None, self._stamp)
        context = self.context
        shared = context._shared_loaders
        if shared is None or shared.epoch is not epoch or shared.stamp != self._stamp:
            shared = context._shared_loaders = _LoaderCache(epoch, self._stamp)
        return shared

    def current_stamp(self) -> tuple[int, int]:
        """Changes whenever the adapters this transformer picks may change.

        A method, not a property: callers on every query's path pay no
        descriptor call for it.
        """
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

    def current_registry(self) -> TypesRegistry:
        """The registry this transformer reads now (a copy, once its context's changed)."""
        self._check()
        return self.registry

    def _check(self) -> None:
        stamp = (self.context.generation, TypesRegistry._generation)
        if stamp != self._stamp:
            epoch = self._epoch
            if epoch is not None and epoch.snapshot is not None:
                # The context's registry changed since this transformer was
                # made: go on with the copy left of it as it was.
                self.registry = epoch.snapshot
                self._epoch = None
                self._own_context = True
                self._ctx = self.context.with_registry(self.registry)
            self._stamp = stamp
            self._loader_cache = self._find_loader_cache()
            self._dumpers.clear()
            self._static_dumpers.clear()
            self._none_oid = None
            if self._own_context:
                self._ctx._sync()

    # -- results --------------------------------------------------------------

    def get_loader(self, oid: int, format: Format | int) -> Loader:
        """Return a new loader instance for `oid` in `format` (fallback for unknown OIDs)."""
        fmt = Format(format)
        reg = self.registry
        cls = reg.get_loader(oid, fmt)
        if cls is None:
            # As psycopg: what is registered for OID 0 loads the types nobody registered.
            cls = reg.get_loader(0, fmt)
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
        cache = self._loader_cache.loaders
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
        memo = self._loader_cache.fields_memo
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
        self._loader_cache.fields_memo = (fields, loaders)
        return loaders

    def load_row(
        self, loaders: Sequence[Callable[[bytes], Any]], values: Sequence[bytes | None]
    ) -> tuple[Any, ...]:
        """Apply `loaders` to one row of raw values (None stays None)."""
        return tuple(None if v is None else f(v) for f, v in zip(loaders, values, strict=True))

    def preferred_result_format(self, oid: int) -> Format:
        """Return BINARY where a binary loader exists and is the cheaper one, else TEXT.

        The cheaper one is the format of the loader registered last, or, when
        rows are read compiled, a binary loader declared ``asked_for`` (see
        :func:`~pgwire.accel.decode_plans.asked_for_when_compiled`). Types
        whose text form follows DateStyle are asked in binary when the
        session's DateStyle is not ISO (the text loaders read ISO only).
        """
        if self._stamp[1] != TypesRegistry._generation:
            self._check()
        reg = self.registry
        fmt = reg.preferred_format(oid)
        if fmt is None:
            return Format.TEXT
        binary_loader = reg.get_loader(oid, Format.BINARY)
        if binary_loader is None:
            return Format.TEXT
        if fmt == Format.BINARY:
            return Format.BINARY
        if asked_for_when_compiled(binary_loader, reg.get_loader(oid, fmt)):
            return Format.BINARY
        if not self.context.datestyle.upper().startswith("ISO"):
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
            return upgrade_auto(dumper, obj)
        return dumper.upgrade(obj, format)

    def none_oid(self) -> int:
        """The type OID a None parameter is sent as: the one of the dumper of NoneType.

        As in psycopg, None needs a dumper registered for ``NoneType`` (every
        registry made from the default one has it); without one it cannot be
        sent (ProgrammingError).
        """
        oid = self._none_oid
        if oid is None:
            dcls = self.registry.get_dumper(_NoneType, None)
            if dcls is None:
                raise ProgrammingError("cannot adapt type 'NoneType': no dumper registered for it")
            oid = self._none_oid = dcls.oid
        return oid

    def dump(
        self, obj: Any, format: Format | PyFormat | None = None
    ) -> tuple[int, int, bytes | None]:
        """Dump one parameter -> ``(oid, format, value)``; None -> ``(0, TEXT, None)``."""
        self._check()
        if obj is None:
            return self.none_oid(), Format.TEXT, None
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
                oids.append(self.none_oid() if self._none_oid is None else self._none_oid)
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
