"""Adaptation between PostgreSQL values and Python objects.

Every value crossing the wire goes through an adapter: a :class:`Loader`
turns the bytes of a result value into a Python object, a :class:`Dumper`
turns a Python object into the bytes of a query parameter. Each works in one
:class:`Format` (``TEXT`` or ``BINARY``). Adapters live in a
:class:`TypesRegistry`: loaders by type OID, dumpers by Python class.

Registries are copied, as psycopg's adapters maps are (copy on write, so a
copy is cheap): what is registered on one later does not show in its copies.

* :data:`default_registry` holds every builtin adapter;
* each connection starts with a copy of it, ``conn.adapters``;
* each cursor reads its connection's as it was when the cursor was made;
  ``cur.adapters`` is a copy of that for changes local to the cursor.

A :class:`Transformer` (one per cursor) picks the loaders of a result once,
from its column OIDs and formats, and dumps parameters.

Adding a type
-------------
Write a loader (and/or a dumper) and register it where it should apply::

    from pgwire.types import Dumper, Format, Loader, default_registry

    class PointLoader(Loader):
        format = Format.TEXT                 # the format of the bytes it reads

        def load(self, data: bytes) -> tuple[float, float]:
            x, y = data[1:-1].split(b",")    # "(1.5,2)"
            return float(x), float(y)

    class Point:
        def __init__(self, x: float, y: float) -> None:
            self.x, self.y = x, y

    class PointDumper(Dumper):
        format = Format.TEXT
        oid = 600                            # point; 0 lets the server infer it

        def dump(self, obj: Point) -> bytes:
            return f"({obj.x},{obj.y})".encode()

    default_registry.register_loader("point", PointLoader)  # everywhere
    conn.adapters.register_dumper(Point, PointDumper)        # one connection only

A loader's ``__init__(oid, context)`` runs once per result column, so work
depending only on the type or the session (``context.timezone``,
``context.encoding``, ``context.sql_ascii``) belongs there and ``load`` stays
lean; a loader decoding text raises ``DataError`` for bytes the encoding cannot
decode (``adapt.decode_error`` builds it). A dumper whose
type depends on the value overrides ``upgrade(obj, format)`` to return a more
specific dumper (as ``int`` picks int2/int4/int8/numeric by size).

The format of the last loader registered for an OID is the format results of
that type are asked for; the last dumper registered for a class is the one
used when the caller does not ask for a format. A type with an array type
gets list loading from ``registry.register_array(array_oid, element_oid)``.

Built in: bool, int2/int4/int8/oid, float4/float8, numeric, text types,
bytea, date/time/timetz/timestamp/timestamptz/interval, uuid, json/jsonb,
inet/cidr, the builtin ranges (as :class:`Range`) and multiranges (as
:class:`Multirange`), anonymous records (as tuples: of str in text results,
of typed values in binary ones; a tuple parameter goes as a record literal)
and arrays of all of them; Python ``Enum`` members are dumped by name.
Unknown types load as str (text) or bytes (binary): with the loaders
registered for OID 0, as in psycopg. A None parameter is sent as the type
of the dumper registered for ``NoneType`` (a registry without one cannot
send None). Under the client
encoding SQL_ASCII text values load as bytes, as psycopg returns them. A range
type gets its
loaders from ``registry.register_range(range_oid, subtype_oid)``, a
multirange type from ``registry.register_multirange(multirange_oid,
range_oid)``.

Types defined in the database
-----------------------------
Composites, enums, domains, custom ranges and extension types such as hstore
have OIDs known only at run time. :meth:`TypeInfo.fetch` reads what the
catalog says about one (``await TypeInfo.fetch(aconn, name)`` with asyncio;
None when there is no such type), then a ``register_*`` function installs
its adapters in a context (a connection, a cursor, an AdaptContext or a
TypesRegistry; None for every connection)::

    from pgwire.types import TypeInfo, register_composite, register_enum

    info = TypeInfo.fetch(conn, "card")       # CREATE TYPE card AS (value int, suit text)
    register_composite(info, conn)            # loads as a namedtuple card(value, suit)
    Card = info.python_type
    conn.execute("SELECT %s", [Card(8, "hearts")])   # and dumps as card

    register_enum(TypeInfo.fetch(conn, "suit"), conn, Suit)  # labels <-> Suit members

* :func:`register_composite` (``factory`` builds the object from the field
  values; instances of a factory class dump as the composite, text or binary);
* :func:`register_enum` (``enum`` and ``mapping`` choose the members);
* :func:`register_hstore` (hstore <-> ``dict[str, str | None]``);
* :func:`register_range` and :func:`register_multirange` for range types
  over any subtype the context can load;
* ``info.register(context)`` records the type (``conn.adapters.types[name]``)
  and loads its array type as a list of what the type loads as, as psycopg's
  does (an enum, a composite or a range keeps loading as text); a domain
  loads as its base type (the server reports the base type of domain
  columns; the domain's own OID shows in its arrays and inside composites).

Arrays of registered types load as lists of what the element loads as, and
lists of registered Python objects dump as arrays of the type.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from . import array as _array
from . import bool as _bool
from . import composite as _composite
from . import datetime as _datetime
from . import enum as _enum
from . import json as _json
from . import multirange as _multirange
from . import net as _net
from . import none as _none
from . import numeric as _numeric
from . import numpy as _numpy
from . import oids
from . import range as _range
from . import text as _text
from . import uuid as _uuid
from .adapt import (
    AdaptContext,
    Dumper,
    Format,
    Loader,
    Transformer,
    TypesRegistry,
    default_registry,
    python_encoding,
    registry_of,
)
from .composite import register_composite
from .enum import register_enum
from .json import Json, Jsonb, set_json_dumps, set_json_loads
from .multirange import Multirange, register_multirange
from .range import Range, register_range

if TYPE_CHECKING:
    from .hstore import register_hstore
    from .typeinfo import (
        CompositeInfo,
        DomainInfo,
        EnumInfo,
        MultirangeInfo,
        RangeInfo,
        TypeInfo,
    )

#: Names whose module is imported when first asked for: what only a session
#: reading the catalog or using hstore needs (see docs/architecture.md).
_LAZY = {
    "register_hstore": "hstore",
    "CompositeInfo": "typeinfo",
    "DomainInfo": "typeinfo",
    "EnumInfo": "typeinfo",
    "MultirangeInfo": "typeinfo",
    "RangeInfo": "typeinfo",
    "TypeInfo": "typeinfo",
}

__all__ = [
    "AdaptContext",
    "CompositeInfo",
    "DomainInfo",
    "Dumper",
    "EnumInfo",
    "Format",
    "Json",
    "Jsonb",
    "Loader",
    "Multirange",
    "MultirangeInfo",
    "Range",
    "RangeInfo",
    "Transformer",
    "TypeInfo",
    "TypesRegistry",
    "default_registry",
    "oids",
    "python_encoding",
    "register_array",
    "register_composite",
    "register_default_adapters",
    "register_enum",
    "register_hstore",
    "register_multirange",
    "register_range",
    "registry_of",
    "set_json_dumps",
    "set_json_loads",
]


def register_array(info: TypeInfo, context: object = None) -> None:
    """Load the array type of ``info`` as a list of what ``info``'s type loads as.

    ``context`` is a connection, a cursor, an AdaptContext or a TypesRegistry
    (None: every connection).
    """
    from .typeinfo import register_array_of

    register_array_of(info, registry_of(context))


def register_default_adapters(registry: TypesRegistry) -> None:
    """Register every builtin adapter on `registry` (done once on the default registry)."""
    for mod in (
        _none,
        _bool,
        _numeric,
        _text,
        _datetime,
        _uuid,
        _json,
        _net,
        _range,
        _multirange,
        _composite,
        _enum,
        _array,
        _numpy,
    ):
        mod.register_default_adapters(registry)


register_default_adapters(default_registry)


def __getattr__(name: str) -> Any:
    """The names of :data:`_LAZY`, and their modules, imported on first use."""
    if name in _LAZY.values():
        return import_module(f".{name}", __name__)
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
